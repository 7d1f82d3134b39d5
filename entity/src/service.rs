//! A service an account subscribes to, on one tariff. `paid_through` is the last day already paid.
use sea_orm::entity::prelude::*;

use crate::enums::{BillingPeriod, ServiceStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub tariff_id: i64,
    pub description: String,
    pub status: ServiceStatus,
    /// Copied from the tariff so that totals and billing need no join.
    pub billing_period: BillingPeriod,
    pub price_minor: i64,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub paid_through: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
