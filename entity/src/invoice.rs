//! An invoice issued to a payer; `period_start` is set for billing-run invoices (unique per payer).
use sea_orm::entity::prelude::*;

use crate::enums::{InvoiceKind, InvoiceStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub account_id: i64,
    pub kind: InvoiceKind,
    pub status: InvoiceStatus,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub period_start: Option<Date>,
    pub order_id: Option<i64>,
    pub document_id: Option<i64>,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
