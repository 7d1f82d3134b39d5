//! A portal notification for one account: what happened (its kind), the objects it is about
//! and its facts. Its text is rendered for its recipient when read.
use sea_orm::entity::prelude::*;

use crate::enums::NotificationKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub kind: NotificationKind,
    /// The notification's facts (`{"facts": [...]}`), each guarded by its object.
    pub facts: String,
    pub order_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub service_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
