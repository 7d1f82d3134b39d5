//! The price of a service from `valid_from` on (until the next row): one row when the service
//! is created and one per tariff change, so that billing prorates each day at its own price.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_rates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub tariff_id: i64,
    pub description: String,
    pub price_minor: i64,
    pub tax_percent_minor: i64,
    pub valid_from: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
