//! A payment attempt, successful or failed (failed ones are kept for history).
use sea_orm::entity::prelude::*;

use crate::enums::{PaymentMethodKind, PaymentStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub order_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub method: PaymentMethodKind,
    pub status: PaymentStatus,
    pub amount_minor: i64,
    pub gateway_reference: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
