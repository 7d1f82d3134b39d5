//! Invoices and their lines.

use super::document::Document;
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use entity::{invoice, invoice_line};

use super::{
    account::Account,
    account::visible_account,
    enums::{InvoiceKind, InvoiceStatus},
    ids::{self, Kind},
    loaders::gql,
    scalars::{Date, Decimal},
    service::{Service, authorized_service},
};
use crate::{
    error::ResultExt,
    policy::{self, Action, Target},
};

/// An invoice issued to a payer.
#[derive(Clone)]
pub struct Invoice(pub invoice::Model);

crate::connection_names!(Invoice => "InvoiceConnection", "InvoiceEdge";);

/// Whether the viewer may see an invoice: its payer's billing.
pub async fn invoice_visible(
    ctx: &Context<'_>,
    found: &invoice::Model,
) -> async_graphql::Result<()> {
    let viewer = super::viewer(ctx)?;
    let payer = visible_account(ctx, found.account_id).await?;
    policy::authorize(viewer, Action::ViewBilling, Target::Account(&payer.0)).gql()
}

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
        visible_account(ctx, self.0.account_id).await
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
        let Some(id) = self.0.document_id else {
            return Ok(None);
        };
        Ok(super::loaders(ctx)?
            .document
            .load_one(id)
            .await
            .map_err(gql)?
            .map(Document))
    }
}

/// One line of an invoice.
pub struct InvoiceLine(pub invoice_line::Model);

#[Object]
impl InvoiceLine {
    /// What is billed.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The sub-account whose service the line bills, when not the payer's own.
    async fn sub_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(id) = self.0.sub_account_id else {
            return Ok(None);
        };
        Ok(visible_account(ctx, id).await.ok())
    }

    /// How many.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The service the line bills, when the viewer may see it.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        let Some(id) = self.0.service_id else {
            return Ok(None);
        };
        let Some(found) = super::loaders(ctx)?
            .service
            .load_one(id)
            .await
            .map_err(gql)?
        else {
            return Ok(None);
        };
        Ok(authorized_service(ctx, found).await.ok())
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
