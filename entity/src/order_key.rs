//! Idempotency keys of orders: unique per (who sent it, the account it acts for, key), so a
//! retry finds the first result here and nobody else's key ever matches.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The subject that sent it, as tokens write it (`account:7`, `staff:2`).
    pub owner: String,
    /// The account the request acted for (the order's account).
    pub account_id: i64,
    pub key: String,
    /// The order it placed or approved (set in the same transaction that claims the key).
    pub order_id: Option<i64>,
    /// Why that attempt's payment failed (the order's failure as it was then), if it did.
    pub refusal: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
