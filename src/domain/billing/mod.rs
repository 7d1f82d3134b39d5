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

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use entity::enums::InvoiceStatus;

use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError},
    policy,
};

mod facts;
mod issue;
mod plan;

pub use facts::{Lock, lines_for, payers};
pub use issue::{bill_payer, upcoming};
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
        services_activated: super::service::lifecycle::activate_due(db, viewer, today).await?,
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
