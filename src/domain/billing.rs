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

use chrono::{Datelike, Months, NaiveDate, NaiveTime};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use entity::{
    account, account_link,
    enums::{
        BillingMode, BillingPeriod, InvoiceKind, InvoiceStatus, NotificationKind, ServiceStatus,
        SubAccountType,
    },
    invoice, invoice_line, service, service_pause, service_rate,
};

use super::activity::Activity;
use super::{account::post_ledger_entry, activity, invoice::NewLine, notification};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError},
    money::Money,
    policy,
};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Month {
    /// The month that starts on `first`; `None` unless `first` is the first of a month.
    pub fn starting(first: NaiveDate) -> Option<Month> {
        if first.day() != 1 {
            return None;
        }
        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Month { first, last })
    }

    /// `2026-12` → December 2026.
    pub fn parse(s: &str) -> Option<Month> {
        let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()?;
        Self::starting(first)
    }

    /// The month containing `day`.
    pub fn containing(day: NaiveDate) -> Month {
        let first = day.with_day(1).unwrap_or(day);
        Self::starting(first).unwrap_or(Month {
            first: day,
            last: day,
        })
    }

    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    pub fn iter_days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        self.first.iter_days().take(self.days() as usize)
    }

    /// "December 2026".
    pub fn label(&self) -> String {
        self.first.format("%B %Y").to_string()
    }

    fn next_first(&self) -> NaiveDate {
        self.last.succ_opt().unwrap_or(self.last)
    }
}

/// A service's price from `valid_from` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub valid_from: NaiveDate,
    pub description: String,
    pub price: Money,
    pub tax_percent: Money,
}

/// What billing needs to know about one monthly service.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    pub id: i64,
    pub owner_id: i64,
    pub start: Option<NaiveDate>,
    /// Last day of service, inclusive.
    pub end: Option<NaiveDate>,
    /// Ended (`DISABLED` or `ARCHIVED`) without an end date: no day is billed.
    pub ended_undated: bool,
    /// Last day paid by the order that created it.
    pub paid_through: Option<NaiveDate>,
    /// Pauses as `[paused_on, resumed_on)`; open while `resumed_on` is `None`.
    pub pauses: Vec<(NaiveDate, Option<NaiveDate>)>,
    /// Prices over time, by `valid_from`. Days before the first rate use the first rate.
    pub rates: Vec<Rate>,
    /// Day ranges `[from, to]` already on an invoice.
    pub invoiced: Vec<(NaiveDate, NaiveDate)>,
}

impl ServiceFacts {
    /// Whether `day` is still to be billed.
    pub fn billable_on(&self, day: NaiveDate) -> bool {
        !self.ended_undated
            && !self.rates.is_empty()
            && self.start.is_some_and(|s| s <= day)
            && self.end.is_none_or(|e| day <= e)
            && self.paid_through.is_none_or(|p| day > p)
            && !self
                .pauses
                .iter()
                .any(|(from, until)| *from <= day && until.is_none_or(|u| day < u))
            && !self
                .invoiced
                .iter()
                .any(|(from, to)| *from <= day && day <= *to)
    }

    fn rate_on(&self, day: NaiveDate) -> usize {
        self.rates
            .iter()
            .rposition(|r| r.valid_from <= day)
            .unwrap_or(0)
    }
}

/// One link of an account to a main account, as the days `[from, until)` it covers: a link
/// made or ended during a day counts from that day on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSpan {
    pub main_id: i64,
    pub aggregated: bool,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl From<&account_link::Model> for LinkSpan {
    fn from(l: &account_link::Model) -> Self {
        LinkSpan {
            main_id: l.main_account_id,
            aggregated: l.kind == SubAccountType::Aggregated,
            from: l.linked_at.date_naive(),
            until: l.unlinked_at.map(|u| u.date_naive()),
        }
    }
}

/// Who pays `owner`'s services on `day`: the main account it is aggregated under that day,
/// or itself.
pub fn payer_on(owner: i64, links: &[LinkSpan], day: NaiveDate) -> i64 {
    links
        .iter()
        .find(|l| l.aggregated && l.from <= day && l.until.is_none_or(|u| day < u))
        .map_or(owner, |l| l.main_id)
}

/// One line the plan bills: days `from..=to` of a service, at one price, to one payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub service_id: i64,
    pub owner_id: i64,
    pub payer_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rate: Rate,
    pub net: Money,
    pub tax: Money,
}

impl PlannedLine {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// Cuts every billable day of the month into lines. `None` if an amount is out of range.
pub fn plan(
    month: &Month,
    services: &[ServiceFacts],
    links: &HashMap<i64, Vec<LinkSpan>>,
) -> Option<Vec<PlannedLine>> {
    let mut out = Vec::new();
    for s in services {
        let owner_links = links.get(&s.owner_id).map(Vec::as_slice).unwrap_or(&[]);
        // (payer, rate index, from, to) of the run being built.
        let mut run: Option<(i64, usize, NaiveDate, NaiveDate)> = None;
        for day in month.iter_days() {
            let key = s
                .billable_on(day)
                .then(|| (payer_on(s.owner_id, owner_links, day), s.rate_on(day)));
            match (run, key) {
                (Some((payer, rate, from, _)), Some(k)) if (payer, rate) == k => {
                    run = Some((payer, rate, from, day));
                }
                (_, next) => {
                    if let Some(done) = run.take() {
                        out.push(line(month, s, done)?);
                    }
                    run = next.map(|(payer, rate)| (payer, rate, day, day));
                }
            }
        }
        if let Some(done) = run {
            out.push(line(month, s, done)?);
        }
    }
    Some(out)
}

fn line(
    month: &Month,
    s: &ServiceFacts,
    (payer_id, rate, from, to): (i64, usize, NaiveDate, NaiveDate),
) -> Option<PlannedLine> {
    let rate = s.rates.get(rate)?.clone();
    let days = (to - from).num_days() + 1;
    let net = rate.price.prorate(days, month.days())?;
    let tax = net.percent(rate.tax_percent)?;
    Some(PlannedLine {
        service_id: s.id,
        owner_id: s.owner_id,
        payer_id,
        from,
        to,
        rate,
        net,
        tax,
    })
}

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

/// Bills a month: activates services whose start date has come, then issues each payer's
/// invoice in its own transaction, `workers` payers at once. Running it again issues nothing
/// new; runs at once (other replicas, cron) bill each payer once (its row lock and the
/// unique (payer, month) key). `progress` hears after every payer.
pub async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    period_start: NaiveDate,
    workers: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> AppResult<RunOutcome> {
    use async_graphql::futures_util::stream::{self, StreamExt};
    policy::require_admin(viewer)?;
    let today = super::now().date_naive();
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
        activity::record(&txn, owner, viewer, Activity::ServiceActivated, json!({ "serviceId": id, "before": { "status": "PENDING" }, "after": { "status": "ACTIVE" } })).await?;
    }
    txn.commit().await?;
    Ok(count)
}

/// Midnight UTC at the start of `day`.
fn midnight(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
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

/// Every account that may pay something for the month and has no invoice for it yet, in id
/// order: owners of services in the month and main accounts with aggregated links in it.
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
    let all: BTreeSet<i64> = owners.into_iter().chain(mains).collect();
    Ok(all.difference(&billed).copied().collect())
}

/// Gathers the facts of every monthly service of these accounts that touches the month,
/// locking the service rows.
async fn service_facts<C: ConnectionTrait>(
    db: &C,
    month: &Month,
    owners: &[i64],
) -> AppResult<Vec<ServiceFacts>> {
    let services = service::Entity::find()
        .filter(service::Column::AccountId.is_in(owners.iter().copied()))
        .filter(services_in(month))
        .order_by_asc(service::Column::Id)
        .for_write()
        .all(db)
        .await?;
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
            let ended = matches!(s.status, ServiceStatus::Disabled | ServiceStatus::Archived);
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
    let subs: Vec<i64> = account_link::Entity::find()
        .select_only()
        .column(account_link::Column::SubAccountId)
        .filter(account_link::Column::MainAccountId.eq(payer.id))
        .filter(account_link::Column::Kind.eq(SubAccountType::Aggregated))
        .filter(links_in(month))
        .into_tuple()
        .all(&txn)
        .await?;
    let owners: Vec<i64> = std::iter::once(payer.id)
        .chain(subs)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let facts = service_facts(&txn, month, &owners).await?;
    let mut links: HashMap<i64, Vec<LinkSpan>> = HashMap::new();
    for l in account_link::Entity::find()
        .filter(account_link::Column::SubAccountId.is_in(owners.iter().copied()))
        .filter(links_in(month))
        .all(&txn)
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
        return Ok(None);
    }
    let names: HashMap<i64, String> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::FullName)
        .filter(account::Column::Id.is_in(planned.iter().map(|l| l.owner_id)))
        .into_tuple::<(i64, String)>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let lines: Vec<NewLine> = planned
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
        .collect();
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
    let message = format!(
        "Invoice {} for {}: {} {}{}.",
        issued.number,
        month.label(),
        total,
        payer.currency,
        if charge {
            ", charged to your balance"
        } else {
            ", unpaid: your prepaid balance does not cover it"
        }
    );
    notification::notify(
        &txn,
        payer.id,
        NotificationKind::InvoiceIssued,
        message,
        notification::About::default(),
    )
    .await?;
    activity::record(
        &txn,
        payer.id,
        viewer,
        Activity::InvoiceIssued,
        json!({ "invoiceId": issued.id, "number": issued.number, "period": month.first.to_string(),
            "total": total.to_decimal().to_string(), "status": status.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(issued))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn rate(from: &str, price: i64) -> Rate {
        Rate {
            valid_from: d(from),
            description: "Fiber".into(),
            price: Money::from_minor(price * 10_000),
            tax_percent: Money::from_minor(19 * 10_000),
        }
    }

    #[test]
    fn months() {
        let dec = Month::parse("2026-12").expect("month");
        assert_eq!(
            (dec.first, dec.last, dec.days()),
            (d("2026-12-01"), d("2026-12-31"), 31)
        );
        assert_eq!(Month::parse("2028-02").map(|m| m.days()), Some(29));
        assert_eq!(Month::parse("2026-13"), None);
        assert_eq!(Month::starting(d("2026-12-02")), None);
        assert_eq!(Month::containing(d("2026-11-27")).first, d("2026-11-01"));
        assert_eq!(dec.label(), "December 2026");
        assert!(month_to_bill(d("2026-12-01"), d("2026-11-27")).is_ok());
        assert!(month_to_bill(d("2027-01-01"), d("2026-11-27")).is_err());
        assert!(month_to_bill(d("2026-12-15"), d("2026-11-27")).is_err());
    }

    #[test]
    fn a_pause_and_a_price_change_cut_lines() {
        let dec = Month::parse("2026-12").expect("month");
        let s = ServiceFacts {
            id: 1,
            owner_id: 7,
            start: Some(d("2026-01-01")),
            pauses: vec![(d("2026-12-05"), Some(d("2026-12-15")))],
            rates: vec![rate("2026-01-01", 20), rate("2026-12-20", 40)],
            ..Default::default()
        };
        let lines = plan(&dec, &[s], &HashMap::new()).expect("plan");
        let spans: Vec<_> = lines.iter().map(|l| (l.from.day(), l.to.day())).collect();
        assert_eq!(spans, vec![(1, 4), (15, 19), (20, 31)]);
        // 20 × 4 ÷ 31 = 2.5806 → 2.58; 20 × 5 ÷ 31 = 3.2258 → 3.23; 40 × 12 ÷ 31 = 15.4839 → 15.48
        let nets: Vec<String> = lines.iter().map(|l| l.net.to_string()).collect();
        assert_eq!(nets, vec!["2.58", "3.23", "15.48"]);
        // Tax per line on the rounded net: 0.4902 → 0.49; 0.6137 → 0.61; 2.9412 → 2.94
        let taxes: Vec<String> = lines.iter().map(|l| l.tax.to_string()).collect();
        assert_eq!(taxes, vec!["0.49", "0.61", "2.94"]);
    }

    #[test]
    fn links_decide_the_payer_day_by_day() {
        let links = vec![
            LinkSpan {
                main_id: 1,
                aggregated: true,
                from: d("2026-12-10"),
                until: Some(d("2026-12-20")),
            },
            LinkSpan {
                main_id: 2,
                aggregated: false,
                from: d("2026-12-20"),
                until: None,
            },
        ];
        assert_eq!(payer_on(9, &links, d("2026-12-09")), 9);
        assert_eq!(payer_on(9, &links, d("2026-12-10")), 1);
        assert_eq!(payer_on(9, &links, d("2026-12-19")), 1);
        assert_eq!(payer_on(9, &links, d("2026-12-20")), 9);
    }

    /// Random schedules: every billable day is on exactly one line, with the payer of that
    /// day; lines never overlap and never join days of different payers or prices.
    #[test]
    fn random_schedules_cover_each_billable_day_once() {
        use rand::{Rng, SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(7);
        let month = Month::parse("2027-02").expect("month");
        let day = |n: u32| month.first + chrono::Duration::days(i64::from(n) - 1);
        for _ in 0..2_000 {
            let owner = 10;
            let mut links = Vec::new();
            let mut from = rng.gen_range(0..=30u32);
            while links.len() < 3 && from <= 28 {
                let until = from + rng.gen_range(1..=15);
                links.push(LinkSpan {
                    main_id: rng.gen_range(1..=2),
                    aggregated: rng.gen_bool(0.7),
                    from: day(from.max(1)),
                    until: (until <= 28).then(|| day(until)),
                });
                from = until + rng.gen_range(0..=2);
            }
            let s = ServiceFacts {
                id: 1,
                owner_id: owner,
                start: Some(day(rng.gen_range(0..=28)).max(d("2027-01-20"))),
                end: rng.gen_bool(0.3).then(|| day(rng.gen_range(1..=28))),
                ended_undated: rng.gen_bool(0.05),
                paid_through: rng.gen_bool(0.3).then(|| day(rng.gen_range(1..=28))),
                pauses: (0..rng.gen_range(0..=2))
                    .map(|_| {
                        let p = rng.gen_range(1..=28);
                        (
                            day(p),
                            rng.gen_bool(0.7).then(|| day(p + rng.gen_range(1..=5))),
                        )
                    })
                    .collect(),
                rates: {
                    let mut r = vec![rate("2027-01-01", 28)];
                    if rng.gen_bool(0.5) {
                        r.push(rate(&day(rng.gen_range(2..=28)).to_string(), 56));
                    }
                    r
                },
                invoiced: (0..rng.gen_range(0..=1))
                    .map(|_| {
                        let f = rng.gen_range(1..=28);
                        (day(f), day((f + rng.gen_range(0..=4)).min(28)))
                    })
                    .collect(),
            };
            let lines = plan(
                &month,
                std::slice::from_ref(&s),
                &HashMap::from([(owner, links.clone())]),
            )
            .expect("plan");
            for today in month.iter_days() {
                let on: Vec<&PlannedLine> = lines
                    .iter()
                    .filter(|l| l.from <= today && today <= l.to)
                    .collect();
                if s.billable_on(today) {
                    assert_eq!(on.len(), 1, "{today}: {s:?} {links:?}");
                    assert_eq!(on[0].payer_id, payer_on(owner, &links, today));
                    assert_eq!(on[0].rate, s.rates[s.rate_on(today)]);
                } else {
                    assert!(on.is_empty(), "{today} is not billable: {s:?}");
                }
            }
            // Price 28.00 over February's 28 days: whole days are whole units, no rounding.
            for l in &lines {
                let per_day = l.rate.price.minor() / 28;
                assert_eq!(l.net.minor(), per_day * l.days());
            }
        }
    }

    #[test]
    fn paid_invoiced_and_ended_days_are_not_billed() {
        let s = ServiceFacts {
            id: 1,
            owner_id: 7,
            start: Some(d("2026-11-15")),
            end: Some(d("2026-12-25")),
            paid_through: Some(d("2026-12-14")),
            invoiced: vec![(d("2026-12-20"), d("2026-12-21"))],
            rates: vec![rate("2026-11-15", 31)],
            ..Default::default()
        };
        assert!(!s.billable_on(d("2026-12-14")));
        assert!(s.billable_on(d("2026-12-15")));
        assert!(!s.billable_on(d("2026-12-20")));
        assert!(s.billable_on(d("2026-12-25")));
        assert!(!s.billable_on(d("2026-12-26")));
        let undated = ServiceFacts {
            ended_undated: true,
            ..s
        };
        assert!(!undated.billable_on(d("2026-12-15")));
    }
}
