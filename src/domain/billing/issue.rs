//! What a billing run writes: one payer's invoice for a month, in its own transaction (the
//! payer locked, its lines kept, the invoice issued and charged, the payer told); and the
//! same invoice previewed without writing (`upcoming`).

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use entity::{
    account,
    enums::{BillingMode, InvoiceKind, InvoiceStatus, NotificationKind},
    invoice,
};

use super::Month;
use crate::db::LockForWrite;
use crate::domain::activity::Activity;
use crate::domain::{
    account::post_ledger_entry,
    activity,
    invoice::NewLine,
    notification,
    record::{Record, Ref},
};
use crate::{auth::Viewer, error::AppResult, money::Money, policy};

use super::facts::{Lock, lines_for, out_of_range};

/// Issues one payer's invoice for the month in its own transaction: its own services' days
/// and those of the sub-accounts aggregated under it on each day. `None` when the payer
/// already has the month's invoice or owes nothing for it.
pub async fn bill_payer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    month: &Month,
    payer_id: i64,
) -> AppResult<Option<invoice::Model>> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    // The payer's row lock serializes concurrent runs; the unique (payer, period) key backs it.
    let Some(payer) = account::Entity::find_by_id(payer_id)
        .for_write()
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let issued = invoice::Entity::find()
        .filter(invoice::Column::AccountId.eq(payer.id))
        .filter(invoice::Column::PeriodStart.eq(month.first))
        .one(&txn)
        .await?;
    if issued.is_some() {
        return Ok(None);
    }
    let lines = lines_for(&txn, month, &payer, Lock::ForWrite).await?;
    if lines.is_empty() {
        return Ok(None);
    }
    let mut total = Money::ZERO;
    for l in &lines {
        total = total
            .checked_add(l.total().ok_or_else(out_of_range)?)
            .ok_or_else(out_of_range)?;
    }
    let charge = payer.billing_mode != BillingMode::Prepaid || payer.balance_minor >= total.minor();
    let status = if charge {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Unpaid
    };
    let issued = crate::domain::invoice::issue(
        &txn,
        &payer,
        InvoiceKind::Recurring,
        status,
        &lines,
        None,
        Some(month.first),
    )
    .await?;
    if charge {
        let debit = Money::ZERO.checked_sub(total).ok_or_else(out_of_range)?;
        let reason = format!("Invoice {} ({})", issued.number, month.label());
        post_ledger_entry(&txn, &payer, debit, &reason, viewer).await?;
    }
    let record = Record::on(Ref::Invoice(issued.id))
        .names("invoice", Ref::Invoice(issued.id))
        .value("period", month.label())
        .amount("total", Ref::Invoice(issued.id), total)
        .value("currency", payer.currency.clone())
        .value("status", status.as_str());
    notification::notify(
        &txn,
        payer.id,
        NotificationKind::InvoiceIssued,
        notification::Template::InvoiceIssued,
        record.clone(),
    )
    .await?;
    activity::record(&txn, payer.id, viewer, Activity::InvoiceIssued, record).await?;
    txn.commit().await?;
    Ok(Some(issued))
}

/// Next month's recurring invoice of `payer` as the billing run would issue it today: the
/// same lines (from [`lines_for`]), writing nothing. `None` when the month is billed already.
pub async fn upcoming(
    db: &DatabaseConnection,
    payer: &account::Model,
    today: NaiveDate,
) -> AppResult<Option<(Month, Vec<NewLine>)>> {
    let month = Month::containing(Month::containing(today).next_first());
    let issued = invoice::Entity::find()
        .filter(invoice::Column::AccountId.eq(payer.id))
        .filter(invoice::Column::PeriodStart.eq(month.first))
        .one(db)
        .await?;
    if issued.is_some() {
        return Ok(None);
    }
    Ok(Some((
        month,
        lines_for(db, &month, payer, Lock::ReadOnly).await?,
    )))
}
