//! The activity history of an account: who did what, when, the objects it is about and its
//! facts (JSON text: each fact with the object whose data it is). What a reader sees of an
//! entry is rendered when it is read; nothing here is text written for one audience.
use sea_orm::entity::prelude::*;

use crate::enums::ActorKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub action: String,
    /// The entry's facts (`{"facts": [...]}`), each guarded by the object it belongs to.
    pub details: String,
    pub created_at: DateTimeUtc,
    /// Who acted; null only on entries whose actor is unknown.
    pub actor_kind: Option<ActorKind>,
    /// The staff user or account that acted (null for the system).
    pub actor_id: Option<i64>,
    /// The account the actor acted for, when it is not the actor itself.
    pub on_behalf_of_id: Option<i64>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// The objects the entry is about: a reader who may not see one of them does not see
    /// the entry at all.
    pub order_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub service_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
