//! Invoices: issued to the payer with lines and totals (total = sum of lines to the cent),
//! numbered without gaps per year, and rendered to a PDF stored as an `INVOICE` document.

use chrono::{Datelike, NaiveDate};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use entity::{
    account,
    enums::{DocumentKind, InvoiceKind, InvoiceStatus},
    invoice, invoice_line,
};

use super::document;
use crate::{
    error::{AppError, AppResult},
    money::Money,
    render::pdf::{self, InvoiceDocument, PdfLine},
};

/// One line to invoice.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub description: String,
    pub service_id: Option<i64>,
    /// The sub-account whose service the line bills (with its name for the PDF).
    pub sub_account: Option<(i64, String)>,
    pub quantity: i32,
    pub unit_price: Money,
    pub tax_percent: Money,
    pub net: Money,
    pub tax: Money,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
}

impl NewLine {
    pub fn total(&self) -> Option<Money> {
        self.net.checked_add(self.tax)
    }

    /// The stored line of invoice `invoice_id` (`id` 0 until it is inserted; an upcoming
    /// invoice's lines are never inserted).
    pub fn to_model(&self, invoice_id: i64) -> AppResult<invoice_line::Model> {
        Ok(invoice_line::Model {
            id: 0,
            invoice_id,
            service_id: self.service_id,
            sub_account_id: self.sub_account.as_ref().map(|s| s.0),
            description: self.description.clone(),
            quantity: self.quantity,
            unit_price_minor: self.unit_price.minor(),
            tax_percent_minor: self.tax_percent.minor(),
            net_minor: self.net.minor(),
            tax_minor: self.tax.minor(),
            total_minor: self.total().ok_or_else(overflow)?.minor(),
            period_from: self.period_from,
            period_to: self.period_to,
        })
    }
}

fn overflow() -> AppError {
    AppError::Internal(anyhow::anyhow!("invoice amount out of range"))
}

/// The next number of the payer's series: each partner (the branch or reseller that issues
/// the invoice) has its own gapless series per year, `INV-{year}-P{partner}-{n:06}`. The
/// counter row is locked until the caller commits, so one series for the whole ISP would
/// bill one payer at a time; one per partner lets the payers of different partners be
/// billed at once (EU VAT rules allow several series, each without gaps).
async fn number_for<C: ConnectionTrait>(
    db: &C,
    payer: &account::Model,
    year: i32,
) -> AppResult<String> {
    let partner = payer.partner_id;
    let n = crate::db::next_number(db, &format!("invoice:{year}:{partner}")).await?;
    Ok(format!("INV-{year}-P{partner}-{n:06}"))
}

/// Issues an invoice to `payer` in the caller's transaction, with its PDF. The gapless
/// number is taken last, just before the rows that carry it are written: the counter row
/// it locks is shared by every invoice of the partner's year, so the time it is held
/// (until the caller commits) is what bounds how many of its payers can be billed at once.
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    payer: &account::Model,
    kind: InvoiceKind,
    status: InvoiceStatus,
    lines: &[NewLine],
    order_id: Option<i64>,
    period_start: Option<NaiveDate>,
) -> AppResult<invoice::Model> {
    let now = super::now();
    let mut subtotal = Money::ZERO;
    let mut tax = Money::ZERO;
    let mut subtotals: Vec<(String, Money)> = Vec::new();
    let mut totals = Vec::with_capacity(lines.len());
    for line in lines {
        subtotal = subtotal.checked_add(line.net).ok_or_else(overflow)?;
        tax = tax.checked_add(line.tax).ok_or_else(overflow)?;
        let line_total = line.total().ok_or_else(overflow)?;
        totals.push(line_total);
        if let Some((_, name)) = &line.sub_account {
            match subtotals.iter_mut().find(|(n, _)| n == name) {
                Some((_, sum)) => *sum = sum.checked_add(line_total).ok_or_else(overflow)?,
                None => subtotals.push((name.clone(), line_total)),
            }
        }
    }
    let total = subtotal.checked_add(tax).ok_or_else(overflow)?;
    let pdf_lines: Vec<PdfLine> = lines
        .iter()
        .zip(&totals)
        .map(|(l, line_total)| PdfLine {
            description: match &l.sub_account {
                Some((_, name)) => format!("{} ({name})", l.description),
                None => l.description.clone(),
            },
            quantity: l.quantity,
            unit_price: l.unit_price.to_string(),
            tax_percent: l.tax_percent.to_string(),
            total: line_total.to_string(),
        })
        .collect();
    let number = number_for(db, payer, now.year()).await?;
    let pdf = pdf::render_invoice(&InvoiceDocument {
        heading: format!("Invoice {number}"),
        issued_on: now.format("%Y-%m-%d").to_string(),
        payer_name: payer.full_name.clone(),
        payer_address: format!(
            "{}, {} {}, {}",
            payer.street, payer.zip_code, payer.city, payer.country
        ),
        currency: payer.currency.clone(),
        lines: pdf_lines,
        subtotals: subtotals
            .into_iter()
            .map(|(n, m)| (n, m.to_string()))
            .collect(),
        subtotal: subtotal.to_string(),
        tax: tax.to_string(),
        total: total.to_string(),
    });
    let doc = document::store(
        db,
        payer.id,
        DocumentKind::Invoice,
        &format!("Invoice {number}"),
        "application/pdf",
        pdf,
    )
    .await?;
    let created = invoice::ActiveModel {
        number: Set(number),
        account_id: Set(payer.id),
        kind: Set(kind),
        status: Set(status),
        subtotal_minor: Set(subtotal.minor()),
        tax_minor: Set(tax.minor()),
        total_minor: Set(total.minor()),
        period_start: Set(period_start),
        order_id: Set(order_id),
        document_id: Set(Some(doc.id)),
        issued_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if !lines.is_empty() {
        let rows = lines
            .iter()
            .map(|line| {
                // Every column set but the id the database gives.
                let mut row =
                    invoice_line::ActiveModel::from(line.to_model(created.id)?).reset_all();
                row.id = sea_orm::ActiveValue::NotSet;
                Ok(row)
            })
            .collect::<AppResult<Vec<_>>>()?;
        // One statement for the lines (well under both engines' bind limits: 12 per line).
        for chunk in rows.chunks(2_000) {
            invoice_line::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(created)
}

/// The lines of these invoices, in order.
pub async fn lines_for<C: ConnectionTrait>(
    db: &C,
    invoice_ids: &[i64],
) -> AppResult<Vec<invoice_line::Model>> {
    use sea_orm::QueryOrder;
    Ok(invoice_line::Entity::find()
        .filter(crate::db::among::column_among(
            invoice_line::Column::InvoiceId,
            invoice_ids.iter().copied(),
        ))
        .order_by_asc(invoice_line::Column::Id)
        .all(db)
        .await?)
}
