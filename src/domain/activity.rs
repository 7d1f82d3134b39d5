//! The activity history: every change leaves an entry on the account it touched.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use entity::activity;

use crate::{auth::Viewer, error::AppResult};

/// Writes one history entry: who (`actor`), what (`action`, e.g. `sub_account.linked`) and
/// the before/after details.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    viewer: &Viewer,
    action: &str,
    details: Value,
) -> AppResult<()> {
    activity::ActiveModel {
        account_id: Set(account_id),
        actor: Set(viewer.actor_label()),
        action: Set(action.to_string()),
        details: Set(details.to_string()),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
