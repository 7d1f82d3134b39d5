//! One period during which an account was linked to a main account (`unlinked_at` is null
//! while it lasts). Billing reads it to know who paid for a sub-account's service on a day.
use sea_orm::entity::prelude::*;

use crate::enums::SubAccountType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sub_account_id: i64,
    pub main_account_id: i64,
    pub kind: SubAccountType,
    pub linked_at: DateTimeUtc,
    pub unlinked_at: Option<DateTimeUtc>,
    /// The sub-account's row in its main account's list when it was unlinked (JSON): what
    /// the former main keeps seeing of it beside the orders it paid.
    pub snapshot: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
