//! Entries of an account's activity history.

use async_graphql::{ID, Json, Object};
use chrono::{DateTime, Utc};

use entity::activity;

use super::ids::{self, Kind};

/// One entry of an account's activity history.
#[derive(Clone)]
pub struct ActivityEntry(pub activity::Model);

crate::connection_names!(ActivityEntry => "ActivityConnection", "ActivityEdge";);
crate::part_of_account!(ActivityEntry, Activity, activity_entry, ActivityOf);

/// One entry of an account's activity history: who did what, when, with before/after.
#[Object]
impl ActivityEntry {
    /// ID of the entry.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Activity, self.0.id)
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who did it (staff member or account).
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// What was done, e.g. `sub_account.linked`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// Details, with `before` and `after` values where something changed.
    async fn details(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.details).unwrap_or(serde_json::Value::Null))
    }
}
