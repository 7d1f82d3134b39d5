//! The jobs the scheduler runs ([`Job`]) and their work ([`Jobs`]): what each does when it
//! is due, handed a [`RunContext`] with the tick's instant and the ISP's calendar. The
//! billing job's work bills the months its ledger says have come due.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use entity::job;

use super::calendar::Calendar;
use crate::{
    auth::Viewer,
    domain::{
        billing::{self, Month},
        service::lifecycle,
    },
    error::{AppError, AppResult},
};

/// The jobs there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// `PENDING` services whose start date has come become `ACTIVE` (daily, at the start of
    /// the day).
    ActivateServices,
    /// Services whose end date has passed become `ARCHIVED` (daily).
    ArchiveEndedServices,
    /// The month's recurring invoices (on the billing day; off when the ISP bills from cron).
    MonthlyBilling,
    /// Failed-login counters whose window has passed are deleted (hourly).
    SweepLoginFailures,
    /// Requests waiting for a main account: a reminder a day before they expire, then
    /// `EXPIRED` (hourly).
    ExpireApprovals,
}

impl Job {
    pub const ALL: [Job; 5] = [
        Job::ActivateServices,
        Job::ArchiveEndedServices,
        Job::MonthlyBilling,
        Job::SweepLoginFailures,
        Job::ExpireApprovals,
    ];

    /// The name in `jobs`, the `jobs` query and `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            Job::ActivateServices => "activate-services",
            Job::ArchiveEndedServices => "archive-ended-services",
            Job::MonthlyBilling => "monthly-billing",
            Job::SweepLoginFailures => "sweep-login-failures",
            Job::ExpireApprovals => "expire-approvals",
        }
    }

    pub(super) fn named(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// Whether the job runs with this calendar (billing is off without a billing day).
    pub fn runs_with(self, calendar: &Calendar) -> bool {
        self != Job::MonthlyBilling || calendar.billing_day.is_some()
    }

    /// When a job other than the billing run is due next after a run at `after` (the
    /// billing run is due when its next month is: [`Calendar::billing_due`]).
    pub(super) fn next_after(self, calendar: &Calendar, after: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Job::SweepLoginFailures | Job::ExpireApprovals => after + chrono::Duration::hours(1),
            _ => calendar.next_day_start(after),
        }
    }

    /// How long a claim holds before another replica may take the job over.
    pub(super) fn lease(self) -> chrono::Duration {
        match self {
            Job::MonthlyBilling => chrono::Duration::hours(6),
            _ => chrono::Duration::minutes(10),
        }
    }
}

/// What a job is handed to do its work.
pub struct RunContext<'a> {
    pub db: &'a DatabaseConnection,
    /// Who the jobs act as: the system.
    pub viewer: &'a Viewer,
    /// The tick's instant and the ISP's calendar day at it.
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub calendar: Calendar,
    pub billing_workers: usize,
    /// The billing job's ledger: the first month it has not billed.
    pub period: Option<NaiveDate>,
    /// The lease the run holds (the ledger moves only under it).
    pub(super) owner: &'a str,
}

impl RunContext<'_> {
    /// Records `month` as billed: the ledger moves on to the next month. Refused when
    /// the lease was lost (another replica took the job over and keeps the ledger).
    pub async fn billed(&self, month: &Month) -> AppResult<()> {
        let moved = job::Entity::update_many()
            .col_expr(job::Column::Period, Expr::value(month.next_first()))
            .filter(job::Column::Name.eq(Job::MonthlyBilling.name()))
            .filter(job::Column::LeaseOwner.eq(self.owner))
            .exec(self.db)
            .await?;
        if moved.rows_affected == 1 {
            Ok(())
        } else {
            Err(AppError::Internal(anyhow::anyhow!(
                "the billing lease was lost after billing {}",
                month.label()
            )))
        }
    }
}

/// Does the work of a job; returns a one-line summary for `lastOutcome`.
pub trait Work: Send + Sync {
    fn run<'a>(&'a self, job: Job, ctx: &'a RunContext<'a>) -> BoxFuture<'a, AppResult<String>>;
}

/// The jobs' real work.
pub struct Jobs;

impl Work for Jobs {
    fn run<'a>(&'a self, job: Job, ctx: &'a RunContext<'a>) -> BoxFuture<'a, AppResult<String>> {
        Box::pin(async move {
            match job {
                Job::ActivateServices => {
                    let n = crate::domain::service::lifecycle::activate_due(
                        ctx.db, ctx.viewer, ctx.today,
                    )
                    .await?;
                    Ok(format!("{n} services activated"))
                }
                Job::ArchiveEndedServices => {
                    let n = lifecycle::archive_ended(ctx.db, ctx.viewer, ctx.today).await?;
                    Ok(format!("{n} services archived"))
                }
                Job::MonthlyBilling => bill_due_months(ctx).await,
                Job::SweepLoginFailures => {
                    let n = crate::auth::throttle::sweep(ctx.db, ctx.now).await?;
                    Ok(format!("{n} expired failed-login counters deleted"))
                }
                Job::ExpireApprovals => {
                    let out =
                        crate::domain::order::controls::expire_due(ctx.db, ctx.viewer, ctx.now)
                            .await?;
                    Ok(format!(
                        "{} reminded, {} expired",
                        out.reminded, out.expired
                    ))
                }
            }
        })
    }
}

/// Bills every month that has come due and is not billed yet, oldest first, moving the
/// ledger after each; a month with a failed payer stops the run there (retried: the next
/// run bills that month's failed payers, then goes on).
async fn bill_due_months(ctx: &RunContext<'_>) -> AppResult<String> {
    let mut month = ctx
        .period
        .and_then(Month::starting)
        .unwrap_or_else(|| ctx.calendar.first_billing_month(ctx.now));
    let workers = billing::workers_for(ctx.db, ctx.billing_workers);
    let mut billed = Vec::new();
    while ctx.calendar.billing_due(&month) <= ctx.now {
        let out =
            billing::run(ctx.db, ctx.viewer, month.first, ctx.today, workers, &|_| {}).await?;
        if out.payers_failed > 0 {
            billed.push(format!(
                "{}: {} invoices issued, {} payers failed",
                month.label(),
                out.invoices_issued,
                out.payers_failed
            ));
            return Err(AppError::Internal(anyhow::anyhow!("{}", billed.join("; "))));
        }
        ctx.billed(&month).await?;
        billed.push(format!(
            "{}: {} invoices issued ({} unpaid)",
            month.label(),
            out.invoices_issued,
            out.invoices_unpaid
        ));
        month = Month::containing(month.next_first());
    }
    if billed.is_empty() {
        billed.push(format!("nothing due before {}", month.label()));
    }
    Ok(billed.join("; "))
}
