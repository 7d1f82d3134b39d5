//! One line of an order; the tariff's price and tax are copied so later price changes do not alter it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub tariff_id: i64,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub tax_percent_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
