//! One line of an invoice; `sub_account_id` names the sub-account whose service it bills.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invoice_id: i64,
    pub service_id: Option<i64>,
    pub sub_account_id: Option<i64>,
    pub description: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub tax_percent_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub period_from: Option<Date>,
    pub period_to: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
