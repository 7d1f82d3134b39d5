//! A support ticket about one account; `created_by_id` null when staff opened it,
//! `assignee_id` the staff user working it.
use sea_orm::entity::prelude::*;

use crate::enums::{TicketPriority, TicketStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub created_by_id: Option<i64>,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub hidden_from_main: bool,
    pub assignee_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
