//! A product customers can order. Prices in minor units; tax percent in 1/10,000 of a percent.
use sea_orm::entity::prelude::*;

use crate::enums::{BillingPeriod, TariffKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tariffs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: TariffKind,
    pub period: BillingPeriod,
    pub price_minor: i64,
    pub tax_percent_minor: i64,
    pub allows_self_change: bool,
    pub download_speed_kbps: Option<i32>,
    pub upload_speed_kbps: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
