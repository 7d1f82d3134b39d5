//! Recurring billing (SPEC.md "Recurring billing"): for a calendar month, one `RECURRING`
//! invoice per paying account for the service days not yet paid for.
//!
//! The run is two parts. [`plan`] is pure: from what is known about each service (start and
//! end dates, pauses, prices over time, days already invoiced or paid by its order) and about
//! each account's links, it decides day by day whether the day is billable and who pays it,
//! and cuts the billable days into lines (one per run of days with the same payer and price).
//! [`bill_payer`] then, in one transaction per payer, locks the payer, gathers those facts,
//! keeps the payer's lines and issues the invoice. A unique key on (payer, period) and the
//! lock make a second or concurrent run issue nothing twice; a run that dies halfway leaves
//! whole invoices behind and the next run bills the payers it did not reach.
//!
//! Money: each line is `price × days ÷ days in the month`, rounded to the cent half away
//! from zero (half-up for the positive amounts billed here); tax is computed per line on the
//! rounded net, also to the cent; the invoice's total is the sum of its lines.

use crate::db::LockForWrite;
use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use entity::{
    account, account_link,
    enums::{
        BillingMode, BillingPeriod, InvoiceKind, InvoiceStatus, NotificationKind, ServiceStatus,
        SubAccountType,
    },
    invoice, invoice_line, service, service_pause, service_rate,
};

use super::activity::Activity;
use super::{
    account::post_ledger_entry,
    activity,
    invoice::NewLine,
    notification,
    record::{Record, Ref},
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError},
    money::Money,
    policy,
};

mod plan;

pub use plan::{LinkSpan, Month, PlannedLine, Rate, ServiceFacts, payer_on, plan};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub invoices_issued: u32,
    /// Of those, invoices left `UNPAID` because a prepaid balance did not cover them.
    pub invoices_unpaid: u32,
    /// `PENDING` services whose start date had come, turned `ACTIVE` by this run.
    pub services_activated: u32,
    /// Payers whose transaction failed (logged; nothing of theirs was written). Running the
    /// month again bills them, and only them.
    pub payers_failed: u32,
}

/// How far a run is: payers handled out of all candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// How many payers are billed at once: each in its own transaction and connection. On SQLite
/// writers queue for the one write lock anyway, so one.
pub fn workers_for(db: &DatabaseConnection, configured: usize) -> usize {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        1
    } else {
        configured.max(1)
    }
}

/// Checks the month a run may bill: it starts on the 1st and is not later than next month
/// (a month is billed in advance at most one month ahead).
pub fn month_to_bill(period_start: NaiveDate, today: NaiveDate) -> AppResult<Month> {
    let month = Month::starting(period_start).ok_or_else(|| {
        AppError::user(UserError::invalid(
            "periodStart",
            "periodStart must be the first day of a month",
        ))
    })?;
    if month.first > Month::containing(today).next_first() {
        return Err(AppError::user(UserError::invalid(
            "periodStart",
            "a month can be billed at most one month in advance",
        )));
    }
    Ok(month)
}

/// Bills a month (`today` is the ISP's calendar day: at most next month is billed ahead):
/// activates services whose start date has come, then issues each payer's
/// invoice in its own transaction, `workers` payers at once. Running it again issues nothing
/// new; runs at once (other replicas, cron) bill each payer once (its row lock and the
/// unique (payer, month) key). `progress` hears after every payer.
pub async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    period_start: NaiveDate,
    today: NaiveDate,
    workers: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> AppResult<RunOutcome> {
    use futures_util::stream::{self, StreamExt};
    policy::require_admin(viewer)?;
    let month = month_to_bill(period_start, today)?;
    let mut outcome = RunOutcome {
        services_activated: activate_due(db, viewer, today).await?,
        ..Default::default()
    };
    let candidates = payers(db, &month).await?;
    let total = candidates.len();
    let month = &month;
    let mut billed = stream::iter(candidates)
        .map(|payer| async move { (payer, bill_payer(db, viewer, month, payer).await) })
        .buffer_unordered(workers.max(1));
    let mut done = 0;
    while let Some((payer, result)) = billed.next().await {
        done += 1;
        match result {
            Ok(Some(issued)) => {
                outcome.invoices_issued += 1;
                if issued.status == InvoiceStatus::Unpaid {
                    outcome.invoices_unpaid += 1;
                }
            }
            Ok(None) => {}
            Err(e) => {
                outcome.payers_failed += 1;
                tracing::error!(payer, error = ?e, "billing a payer failed; run the month again");
            }
        }
        progress(Progress { done, total });
    }
    tracing::info!(month = %month.label(), ?outcome, "billing run finished");
    Ok(outcome)
}

/// `PENDING` services whose start date is today or earlier become `ACTIVE`.
pub async fn activate_due(
    db: &DatabaseConnection,
    viewer: &Viewer,
    today: NaiveDate,
) -> AppResult<u32> {
    let txn = crate::db::write_txn(db).await?;
    let due = service::Entity::find()
        .filter(service::Column::Status.eq(ServiceStatus::Pending))
        .filter(service::Column::StartDate.lte(today))
        .order_by_asc(service::Column::Id)
        .for_write()
        .all(&txn)
        .await?;
    let count = due.len() as u32;
    for found in due {
        let (id, owner) = (found.id, found.account_id);
        let mut active: service::ActiveModel = found.into();
        active.status = Set(ServiceStatus::Active);
        active.updated_at = Set(super::now());
        active.update(&txn).await?;
        let record = Record::on(Ref::Service(id)).change("status", "PENDING", "ACTIVE");
        activity::record(&txn, owner, viewer, Activity::ServiceActivated, record).await?;
    }
    txn.commit().await?;
    Ok(count)
}

/// When `day` begins in the ISP's time zone.
fn midnight(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    crate::domain::start_of_day(day)
}

/// Links that cover at least one day of the month.
fn links_in(month: &Month) -> Condition {
    Condition::all()
        .add(account_link::Column::LinkedAt.lt(midnight(month.next_first())))
        .add(
            Condition::any()
                .add(account_link::Column::UnlinkedAt.is_null())
                .add(
                    account_link::Column::UnlinkedAt
                        .gte(midnight(month.first.succ_opt().unwrap_or(month.first))),
                ),
        )
}

/// Monthly services that may have a billable day in the month.
fn services_in(month: &Month) -> Condition {
    Condition::all()
        .add(service::Column::BillingPeriod.eq(BillingPeriod::Monthly))
        .add(service::Column::StartDate.lte(month.last))
        .add(
            Condition::any()
                .add(service::Column::EndDate.is_null())
                .add(service::Column::EndDate.gte(month.first)),
        )
}

/// Aggregated links that cover every day of the month: their sub-account pays nothing itself.
fn aggregated_all_month(month: &Month) -> Condition {
    Condition::all()
        .add(account_link::Column::Kind.eq(SubAccountType::Aggregated))
        .add(
            account_link::Column::LinkedAt
                .lt(midnight(month.first.succ_opt().unwrap_or(month.first))),
        )
        .add(
            Condition::any()
                .add(account_link::Column::UnlinkedAt.is_null())
                .add(account_link::Column::UnlinkedAt.gte(midnight(month.next_first()))),
        )
}

/// Every account that may pay something for the month and has no invoice for it yet, in id
/// order: owners of services in the month and main accounts with aggregated links in it,
/// less the sub-accounts aggregated under a main all month (their main's run bills them; as
/// candidates they would only lock their services against it and find nothing to bill).
pub async fn payers<C: ConnectionTrait>(db: &C, month: &Month) -> AppResult<Vec<i64>> {
    let owners: Vec<i64> = service::Entity::find()
        .select_only()
        .column(service::Column::AccountId)
        .distinct()
        .filter(services_in(month))
        .into_tuple()
        .all(db)
        .await?;
    let mains: Vec<i64> = account_link::Entity::find()
        .select_only()
        .column(account_link::Column::MainAccountId)
        .distinct()
        .filter(account_link::Column::Kind.eq(SubAccountType::Aggregated))
        .filter(links_in(month))
        .into_tuple()
        .all(db)
        .await?;
    let billed: BTreeSet<i64> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::AccountId)
        .filter(invoice::Column::PeriodStart.eq(month.first))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let covered: BTreeSet<i64> = account_link::Entity::find()
        .select_only()
        .column(account_link::Column::SubAccountId)
        .filter(aggregated_all_month(month))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let all: BTreeSet<i64> = owners.into_iter().chain(mains).collect();
    Ok(all
        .into_iter()
        .filter(|a| !billed.contains(a) && !covered.contains(a))
        .collect())
}

/// Gathers the facts of every monthly service of these accounts that touches the month,
/// locking the service rows.
async fn service_facts<C: ConnectionTrait>(
    db: &C,
    month: &Month,
    owners: &[i64],
    lock: Lock,
) -> AppResult<Vec<ServiceFacts>> {
    let mut services = service::Entity::find()
        .filter(service::Column::AccountId.is_in(owners.iter().copied()))
        .filter(services_in(month))
        .order_by_asc(service::Column::Id);
    if lock == Lock::ForWrite {
        services = services.for_write();
    }
    let services = services.all(db).await?;
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    let pauses = service_pause::Entity::find()
        .filter(service_pause::Column::ServiceId.is_in(ids.iter().copied()))
        .filter(service_pause::Column::PausedOn.lte(month.last))
        .filter(
            Condition::any()
                .add(service_pause::Column::ResumedOn.is_null())
                .add(service_pause::Column::ResumedOn.gt(month.first)),
        )
        .all(db)
        .await?;
    let rates = service_rate::Entity::find()
        .filter(service_rate::Column::ServiceId.is_in(ids.iter().copied()))
        .order_by_asc(service_rate::Column::ValidFrom)
        .order_by_asc(service_rate::Column::Id)
        .all(db)
        .await?;
    let invoiced = invoice_line::Entity::find()
        .filter(invoice_line::Column::ServiceId.is_in(ids.iter().copied()))
        .filter(invoice_line::Column::PeriodFrom.lte(month.last))
        .filter(invoice_line::Column::PeriodTo.gte(month.first))
        .all(db)
        .await?;
    let mut facts: HashMap<i64, ServiceFacts> = services
        .into_iter()
        .map(|s| {
            let ended = s.status == ServiceStatus::Archived;
            let f = ServiceFacts {
                id: s.id,
                owner_id: s.account_id,
                start: s.start_date,
                end: s.end_date,
                ended_undated: ended && s.end_date.is_none(),
                paid_through: s.paid_through,
                ..Default::default()
            };
            (s.id, f)
        })
        .collect();
    for p in pauses {
        if let Some(f) = facts.get_mut(&p.service_id) {
            f.pauses.push((p.paused_on, p.resumed_on));
        }
    }
    for r in rates {
        if let Some(f) = facts.get_mut(&r.service_id) {
            // Two changes on one day: the later one is the day's price.
            if f.rates
                .last()
                .is_some_and(|last| last.valid_from == r.valid_from)
            {
                f.rates.pop();
            }
            f.rates.push(Rate {
                valid_from: r.valid_from,
                description: r.description,
                price: Money::from_minor(r.price_minor),
                tax_percent: Money::from_minor(r.tax_percent_minor),
            });
        }
    }
    for l in invoiced {
        if let (Some(id), Some(from), Some(to)) = (l.service_id, l.period_from, l.period_to)
            && let Some(f) = facts.get_mut(&id)
        {
            f.invoiced.push((from, to));
        }
    }
    let mut out: Vec<ServiceFacts> = facts.into_values().collect();
    out.sort_by_key(|f| f.id);
    Ok(out)
}

fn out_of_range() -> AppError {
    AppError::Internal(anyhow::anyhow!("billing amount out of range"))
}

/// Whether the rows read for a payer's invoice are locked (the billing run) or only read
/// (the preview).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    ForWrite,
    ReadOnly,
}

/// The lines of `payer`'s recurring invoice for `month` as the plan cuts them now: its own
/// services' days and those of the sub-accounts aggregated under it on each day. The one
/// definition the billing run issues and the upcoming invoice shows.
pub async fn lines_for<C: ConnectionTrait>(
    db: &C,
    month: &Month,
    payer: &account::Model,
    lock: Lock,
) -> AppResult<Vec<NewLine>> {
    let subs: Vec<i64> = account_link::Entity::find()
        .select_only()
        .column(account_link::Column::SubAccountId)
        .filter(account_link::Column::MainAccountId.eq(payer.id))
        .filter(account_link::Column::Kind.eq(SubAccountType::Aggregated))
        .filter(links_in(month))
        .into_tuple()
        .all(db)
        .await?;
    let owners: Vec<i64> = std::iter::once(payer.id)
        .chain(subs)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let facts = service_facts(db, month, &owners, lock).await?;
    let mut links: HashMap<i64, Vec<LinkSpan>> = HashMap::new();
    for l in account_link::Entity::find()
        .filter(account_link::Column::SubAccountId.is_in(owners.iter().copied()))
        .filter(links_in(month))
        .all(db)
        .await?
    {
        links.entry(l.sub_account_id).or_default().push((&l).into());
    }
    let planned: Vec<PlannedLine> = plan(month, &facts, &links)
        .ok_or_else(out_of_range)?
        .into_iter()
        .filter(|l| l.payer_id == payer.id)
        .collect();
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    let names: HashMap<i64, String> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::FullName)
        .filter(account::Column::Id.is_in(planned.iter().map(|l| l.owner_id)))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(planned
        .iter()
        .map(|l| NewLine {
            description: format!(
                "{}, {} to {} ({} of {} days)",
                l.rate.description,
                l.from,
                l.to,
                l.days(),
                month.days()
            ),
            service_id: Some(l.service_id),
            sub_account: (l.owner_id != payer.id).then(|| {
                let name = names.get(&l.owner_id).cloned().unwrap_or_default();
                (l.owner_id, name)
            }),
            quantity: 1,
            unit_price: l.rate.price,
            tax_percent: l.rate.tax_percent,
            net: l.net,
            tax: l.tax,
            period_from: Some(l.from),
            period_to: Some(l.to),
        })
        .collect())
}

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
    let issued = super::invoice::issue(
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
