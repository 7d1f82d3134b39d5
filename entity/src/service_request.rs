//! A paid order line waiting for an admin to approve it with a start date (or reject and refund).
use sea_orm::entity::prelude::*;

use crate::enums::ServiceRequestStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub order_item_id: i64,
    pub account_id: i64,
    pub tariff_id: i64,
    pub status: ServiceRequestStatus,
    /// What was paid for this one unit, refunded to the payer on rejection.
    pub amount_minor: i64,
    pub start_date: Option<Date>,
    pub service_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
