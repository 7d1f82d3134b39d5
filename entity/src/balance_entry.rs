//! The balance ledger: every change of an account's balance, with its reason. The balance
//! column on the account is kept equal to the sum of these entries.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "balance_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub amount_minor: i64,
    pub reason: String,
    pub actor: String,
    pub order_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
