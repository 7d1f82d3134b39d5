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

    /// Invoice number, gapless per partner and year, e.g. `INV-2026-P1-000001`.
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

/// Next month's recurring invoice as the billing run would issue it today (nothing is
/// written): the same lines, per-sub-account subtotals, tax and total.
pub struct UpcomingInvoice {
    pub period_start: chrono::NaiveDate,
    pub currency: String,
    pub lines: Vec<invoice_line::Model>,
}

/// What one sub-account's services add to an invoice.
#[derive(async_graphql::SimpleObject)]
pub struct SubAccountSubtotal {
    /// The sub-account (null when the viewer may not see it).
    pub sub_account: Option<Account>,
    /// Its lines' total, tax included.
    pub total: Decimal,
}

fn sum(lines: &[invoice_line::Model], f: impl Fn(&invoice_line::Model) -> i64) -> Decimal {
    Decimal::from_minor(lines.iter().map(f).sum())
}

/// Next month's recurring invoice as the billing run would issue it today.
#[Object]
impl UpcomingInvoice {
    /// First day of the month it bills.
    async fn period_start(&self) -> Date {
        Date(self.period_start)
    }

    /// Currency of the amounts.
    async fn currency(&self) -> &str {
        &self.currency
    }

    /// The lines, as the run would write them.
    async fn lines(&self) -> Vec<InvoiceLine> {
        self.lines.iter().cloned().map(InvoiceLine).collect()
    }

    /// Per sub-account, what its services add (the payer's own lines are not in it).
    async fn sub_account_subtotals(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<SubAccountSubtotal>> {
        let mut subs: Vec<i64> = self.lines.iter().filter_map(|l| l.sub_account_id).collect();
        subs.sort_unstable();
        subs.dedup();
        // All the sub-accounts at once: one batch.
        let accounts = async_graphql::futures_util::future::try_join_all(
            subs.iter()
                .map(|sub| follow_optional::<Account>(ctx, Some(*sub))),
        )
        .await?;
        Ok(subs
            .iter()
            .zip(accounts)
            .map(|(sub, account)| {
                let lines: Vec<invoice_line::Model> = self
                    .lines
                    .iter()
                    .filter(|l| l.sub_account_id == Some(*sub))
                    .cloned()
                    .collect();
                SubAccountSubtotal {
                    sub_account: account,
                    total: sum(&lines, |l| l.total_minor),
                }
            })
            .collect())
    }

    /// Sum of the lines before tax.
    async fn subtotal(&self) -> Decimal {
        sum(&self.lines, |l| l.net_minor)
    }

    /// Sum of the lines' tax.
    async fn tax(&self) -> Decimal {
        sum(&self.lines, |l| l.tax_minor)
    }

    /// Total, tax included: the sum of the lines, to the cent.
    async fn total(&self) -> Decimal {
        sum(&self.lines, |l| l.total_minor)
    }
}

/// `upcomingInvoice`.
#[derive(Default)]
pub struct UpcomingInvoiceQuery;

#[Object]
impl UpcomingInvoiceQuery {
    /// Next month's recurring invoice of a payer (your own account when omitted) as the
    /// billing run would issue it today, computed by the run's own planning and writing
    /// nothing; null once that month is billed. Needs `viewBilling` on the account.
    #[graphql(
        guard = "crate::graphql::guards::CanWithId::<Account>::optional(Action::ViewBilling, account_id.as_ref())"
    )]
    async fn upcoming_invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payer; your own account when omitted (staff must name one).")]
        account_id: Option<ID>,
    ) -> async_graphql::Result<Option<UpcomingInvoice>> {
        use crate::error::ResultExt;
        let viewer = super::viewer(ctx)?;
        let id = match (&account_id, viewer.account()) {
            (Some(id), _) => ids::decode(Kind::Account, id).gql()?,
            (None, Some(me)) => me.id,
            (None, None) => {
                return Err(crate::error::AppError::BadUserInput(
                    "staff name the account (accountId)".into(),
                ))
                .gql();
            }
        };
        let payer = owner(ctx, id).await?;
        let found =
            crate::domain::billing::upcoming(super::db(ctx)?, &payer, crate::domain::today())
                .await
                .gql()?;
        let Some((month, lines)) = found else {
            return Ok(None);
        };
        let lines = lines
            .iter()
            .map(|l| l.to_model(0))
            .collect::<crate::error::AppResult<Vec<_>>>()
            .gql()?;
        Ok(Some(UpcomingInvoice {
            period_start: month.first,
            currency: payer.currency.clone(),
            lines,
        }))
    }
}
