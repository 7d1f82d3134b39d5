//! A cart for one account (`account_id`), placed by `placed_by_id`, paid by `payer_id`.
use sea_orm::entity::prelude::*;

use crate::enums::{OrderStatus, PaymentMethodKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub account_id: i64,
    pub placed_by_id: i64,
    pub payer_id: i64,
    pub status: OrderStatus,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub payment_method: Option<PaymentMethodKind>,
    pub paid_at: Option<DateTimeUtc>,
    pub invoice_id: Option<i64>,
    pub rejection_reason: Option<String>,
    /// Why the last payment attempt failed or the order was called off: a code and its
    /// facts (JSON), rendered for each reader.
    pub failure: Option<String>,
    /// A request waiting for the main account expires then (the partner's number of days).
    pub expires_at: Option<DateTimeUtc>,
    /// When the main account was reminded that the request is about to expire.
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Whether someone other than the order's account pays for it (a main account for its
    /// sub-account).
    pub fn paid_for_another(&self) -> bool {
        self.payer_id != self.account_id
    }
}
