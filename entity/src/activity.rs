//! The activity history of an account: who did what, when, with before/after details (JSON text).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub actor: String,
    pub action: String,
    pub details: String,
    pub created_at: DateTimeUtc,
    /// `STAFF`, `ACCOUNT` or `SYSTEM` (a scheduled job); null on entries older than the
    /// audit trail.
    pub actor_kind: Option<String>,
    /// The staff user or account that acted.
    pub actor_id: Option<i64>,
    /// The account the actor acted for, when it is not the actor itself.
    pub on_behalf_of_id: Option<i64>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
