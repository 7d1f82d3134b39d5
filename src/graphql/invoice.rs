//! Invoices and their lines.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use entity::{invoice, invoice_line};

use super::{
    account::{Account, owner},
    document::Document,
    enums::{InvoiceKind, InvoiceStatus},
    guards::{Decision, Guarded, Loadable, follow, follow_optional},
    ids::{self, Kind},
    loaders::gql,
    scalars::{Date, Decimal},
    service::Service,
};
use crate::policy::{self, Action, Target};

/// An invoice issued to a payer.
#[derive(Clone)]
pub struct Invoice(pub invoice::Model);

crate::connection_names!(Invoice => "InvoiceConnection", "InvoiceEdge";);

impl Guarded for Invoice {
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        let payer = owner(ctx, self.0.account_id).await?;
        Ok(policy::authorize(
            super::viewer(ctx)?,
            action,
            Target::Invoice(&self.0, &payer),
        ))
    }
}

impl Loadable for Invoice {
    const KIND: Kind = Kind::Invoice;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .invoice
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(Invoice))
    }
}

/// An invoice issued to a payer.
#[Object]
impl Invoice {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Invoice, self.0.id)
    }

    /// Invoice number, gapless per year, e.g. `INV-2026-000001`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The payer.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.account_id).await
    }

    /// One-time or recurring.
    async fn kind(&self) -> InvoiceKind {
        self.0.kind.into()
    }

    /// Paid or unpaid.
    async fn status(&self) -> InvoiceStatus {
        self.0.status.into()
    }

    /// Sum of the lines before tax.
    async fn subtotal(&self) -> Decimal {
        Decimal::from_minor(self.0.subtotal_minor)
    }

    /// Sum of the lines' tax.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// Sum of the lines, tax included (to the cent).
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// When it was issued.
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }

    /// First day of the billed month, for invoices of a billing run (null for orders').
    async fn period_start(&self) -> Option<Date> {
        self.0.period_start.map(Date)
    }

    /// The lines.
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<InvoiceLine>> {
        let rows = super::loaders(ctx)?
            .invoice_lines
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(InvoiceLine).collect())
    }

    /// The invoice's PDF.
    async fn document(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Document>> {
        follow_optional(ctx, self.0.document_id).await
    }
}

/// One line of an invoice.
pub struct InvoiceLine(pub invoice_line::Model);

/// One line of an invoice.
#[Object]
impl InvoiceLine {
    /// What is billed.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The sub-account whose service the line bills, when not the payer's own.
    async fn sub_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        follow_optional(ctx, self.0.sub_account_id).await
    }

    /// How many.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The service the line bills, when the viewer may see it.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        follow_optional(ctx, self.0.service_id).await
    }

    /// Price of one, before tax.
    async fn unit_price(&self) -> Decimal {
        Decimal::from_minor(self.0.unit_price_minor)
    }

    /// Amount before tax: quantity × unit price, or for recurring lines the monthly price
    /// prorated to the days billed (price × days ÷ days in the month, to the cent).
    async fn net(&self) -> Decimal {
        Decimal::from_minor(self.0.net_minor)
    }

    /// Tax rate in percent.
    async fn tax_percent(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_percent_minor)
    }

    /// Tax of the line.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// Line total, tax included.
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// First day billed (recurring lines).
    async fn period_from(&self) -> Option<Date> {
        self.0.period_from.map(Date)
    }

    /// Last day billed (recurring lines).
    async fn period_to(&self) -> Option<Date> {
        self.0.period_to.map(Date)
    }
}
