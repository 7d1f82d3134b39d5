//! The scheduler `serve` runs: due jobs run by themselves, exactly once across replicas.
//!
//! Each job has a row in `jobs` with the time it is due next. Every replica ticks (every
//! `PORTAL_SCHEDULER_POLL_SECS`); a tick claims each due job with one conditional `UPDATE`
//! (due, and nobody's lease running), so of several replicas exactly one runs it. The runner
//! records the outcome and the next due time; a failure is logged, counted and retried with
//! a growing delay, never skipped. A replica that dies mid-run leaves its lease, which runs
//! out; the jobs themselves are idempotent (activating, archiving and billing do nothing the
//! second time), so a rerun after a lost lease is harmless.
//!
//! Time is an input: [`Scheduler::tick`] takes the instant to run at, so tests move the clock
//! instead of sleeping.

use std::{sync::Arc, time::Duration};

use async_graphql::futures_util::future::BoxFuture;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use entity::job;

use crate::{
    AppState,
    auth::Viewer,
    domain::{self, billing, service::lifecycle},
    error::{AppError, AppResult},
    metrics::Metrics,
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

    /// How long a claim holds before another replica may take the job over.
    fn lease(self) -> chrono::Duration {
        match self {
            Job::MonthlyBilling => chrono::Duration::hours(6),
            _ => chrono::Duration::minutes(10),
        }
    }
}

/// When jobs are due: the ISP's calendar (its time zone is the process's, see
/// `domain::set_time_zone`) and the billing day.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    /// Day of the month (1..=28) the billing run bills the month; `None` turns the job off.
    pub billing_day: Option<u32>,
}

impl Calendar {
    pub fn runs(&self, job: Job) -> bool {
        job != Job::MonthlyBilling || self.billing_day.is_some()
    }

    /// When `job` is due next after a run at `after`.
    pub fn next_after(&self, job: Job, after: DateTime<Utc>) -> DateTime<Utc> {
        let today = domain::local_date(after);
        let tomorrow = today.succ_opt().unwrap_or(today);
        match job {
            Job::ActivateServices | Job::ArchiveEndedServices => domain::start_of_day(tomorrow),
            Job::SweepLoginFailures | Job::ExpireApprovals => after + chrono::Duration::hours(1),
            Job::MonthlyBilling => {
                let day = self.billing_day.unwrap_or(1).clamp(1, 28);
                let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), day);
                let next = match this_month {
                    Some(d) if d > today => d,
                    _ => billing::Month::containing(today)
                        .next_first()
                        .with_day(day)
                        .unwrap_or(tomorrow),
                };
                domain::start_of_day(next)
            }
        }
    }

    /// When a job never run before is first due: the daily jobs at once (catching up), the
    /// billing run on its next billing day (a new installation bills nothing at start).
    fn first_due(&self, job: Job, now: DateTime<Utc>) -> DateTime<Utc> {
        match job {
            Job::MonthlyBilling => self.next_after(job, now),
            _ => now,
        }
    }
}

/// What a job is handed to do its work.
pub struct RunContext<'a> {
    pub db: &'a DatabaseConnection,
    /// The staff user the jobs act as.
    pub viewer: &'a Viewer,
    /// The tick's instant and the ISP's calendar day at it.
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub billing_workers: usize,
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
                    let n = billing::activate_due(ctx.db, ctx.viewer, ctx.today).await?;
                    Ok(format!("{n} services activated"))
                }
                Job::ArchiveEndedServices => {
                    let n = lifecycle::archive_ended(ctx.db, ctx.viewer, ctx.today).await?;
                    Ok(format!("{n} services archived"))
                }
                Job::MonthlyBilling => {
                    let month = billing::Month::containing(ctx.today);
                    let workers = billing::workers_for(ctx.db, ctx.billing_workers);
                    let out =
                        billing::run(ctx.db, ctx.viewer, month.first, ctx.today, workers, &|_| {})
                            .await?;
                    if out.payers_failed > 0 {
                        // Retried: the next run bills only those that failed.
                        return Err(AppError::Internal(anyhow::anyhow!(
                            "{}: {} invoices issued, {} payers failed",
                            month.label(),
                            out.invoices_issued,
                            out.payers_failed
                        )));
                    }
                    Ok(format!(
                        "{}: {} invoices issued ({} unpaid)",
                        month.label(),
                        out.invoices_issued,
                        out.invoices_unpaid
                    ))
                }
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

/// One replica's scheduler.
pub struct Scheduler {
    db: DatabaseConnection,
    calendar: Calendar,
    billing_workers: usize,
    metrics: Arc<Metrics>,
    work: Arc<dyn Work>,
    /// Who holds a lease: unique per scheduler.
    owner: String,
}

/// What one tick did with one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub job: Job,
    /// The summary, or why it failed.
    pub outcome: Result<String, String>,
}

/// The longest wait before a failed job is tried again.
const MAX_RETRY: chrono::Duration = chrono::Duration::hours(1);

fn retry_delay(attempts: i32) -> chrono::Duration {
    let minutes = 1i64 << attempts.clamp(1, 7).saturating_sub(1);
    chrono::Duration::minutes(minutes).min(MAX_RETRY)
}

impl Scheduler {
    /// The scheduler of an app instance, doing `work` (normally [`Jobs`]).
    pub fn new(state: &AppState, work: Arc<dyn Work>) -> Self {
        Self {
            db: state.db.clone(),
            calendar: state.config.calendar,
            billing_workers: state.config.billing_workers,
            metrics: state.metrics.clone(),
            work,
            owner: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Runs every job due at `now` that no other replica is running; returns what ran.
    pub async fn tick(&self, now: DateTime<Utc>) -> AppResult<Vec<Ran>> {
        let mut ran = Vec::new();
        for job in Job::ALL {
            if !self.calendar.runs(job) {
                continue;
            }
            self.ensure(job, now).await?;
            if !self.claim(job, now).await? {
                continue;
            }
            let outcome = self.run(job, now).await.map_err(|e| {
                tracing::error!(job = job.name(), error = ?e, "job failed; it will be retried");
                match e {
                    AppError::Internal(cause) => format!("{cause:#}"),
                    other => other.to_string(),
                }
            });
            self.finish(job, now, &outcome).await?;
            ran.push(Ran { job, outcome });
        }
        Ok(ran)
    }

    async fn ensure(&self, job: Job, now: DateTime<Utc>) -> AppResult<()> {
        job::Entity::insert(job::ActiveModel {
            name: Set(job.name().into()),
            next_run_at: Set(self.calendar.first_due(job, now)),
            lease_owner: Set(None),
            lease_until: Set(None),
            last_run_at: Set(None),
            last_outcome: Set(None),
            last_error: Set(None),
            runs: Set(0),
            failures: Set(0),
            attempts: Set(0),
        })
        .on_conflict(
            OnConflict::column(job::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Takes the job's lease if it is due and nobody holds it: one statement, so of the
    /// replicas ticking at once exactly one gets it.
    async fn claim(&self, job: Job, now: DateTime<Utc>) -> AppResult<bool> {
        let claimed = job::Entity::update_many()
            .col_expr(job::Column::LeaseOwner, Expr::value(self.owner.clone()))
            .col_expr(job::Column::LeaseUntil, Expr::value(now + job.lease()))
            .filter(job::Column::Name.eq(job.name()))
            .filter(job::Column::NextRunAt.lte(now))
            .filter(
                sea_orm::Condition::any()
                    .add(job::Column::LeaseUntil.is_null())
                    .add(job::Column::LeaseUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    async fn run(&self, job: Job, now: DateTime<Utc>) -> AppResult<String> {
        // The server's own work: credited to the system, never to a staff user.
        let viewer = Viewer::System;
        let ctx = RunContext {
            db: &self.db,
            viewer: &viewer,
            now,
            today: domain::local_date(now),
            billing_workers: self.billing_workers,
        };
        self.work.run(job, &ctx).await
    }

    async fn finish(
        &self,
        job: Job,
        now: DateTime<Utc>,
        outcome: &Result<String, String>,
    ) -> AppResult<()> {
        let mut update = job::Entity::update_many()
            .col_expr(job::Column::LeaseOwner, Expr::value(None::<String>))
            .col_expr(job::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
            .col_expr(job::Column::LastRunAt, Expr::value(now))
            .col_expr(job::Column::Runs, Expr::col(job::Column::Runs).add(1));
        match outcome {
            Ok(summary) => {
                tracing::info!(job = job.name(), %summary, "job ran");
                update = update
                    .col_expr(
                        job::Column::LastOutcome,
                        Expr::value(format!("ok: {summary}")),
                    )
                    .col_expr(job::Column::LastError, Expr::value(None::<String>))
                    .col_expr(job::Column::Attempts, Expr::value(0))
                    .col_expr(
                        job::Column::NextRunAt,
                        Expr::value(self.calendar.next_after(job, now)),
                    );
            }
            Err(message) => {
                let attempts = self.attempts(job).await? + 1;
                let retry = now + retry_delay(attempts);
                tracing::warn!(job = job.name(), attempts, %retry, "job retry scheduled");
                update = update
                    .col_expr(job::Column::LastOutcome, Expr::value("failed"))
                    .col_expr(
                        job::Column::LastError,
                        Expr::value(message.chars().take(500).collect::<String>()),
                    )
                    .col_expr(job::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        job::Column::Failures,
                        Expr::col(job::Column::Failures).add(1),
                    )
                    .col_expr(job::Column::NextRunAt, Expr::value(retry));
            }
        }
        update
            .filter(job::Column::Name.eq(job.name()))
            .filter(job::Column::LeaseOwner.eq(self.owner.clone()))
            .exec(&self.db)
            .await?;
        self.metrics.record_job(job.name(), outcome.is_ok());
        Ok(())
    }

    async fn attempts(&self, job: Job) -> AppResult<i32> {
        Ok(job::Entity::find_by_id(job.name())
            .one(&self.db)
            .await?
            .map_or(0, |j| j.attempts))
    }

    /// Ticks every `every` until the process ends.
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(e) = self.tick(Utc::now()).await {
                    tracing::error!(error = ?e, "scheduler tick failed; trying again next tick");
                }
            }
        })
    }
}

/// Every job's row as staff see it (`jobs`), in [`Job::ALL`] order; a job that never ticked
/// yet has no row.
pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<(Job, Option<job::Model>)>> {
    let rows = job::Entity::find().all(db).await?;
    Ok(Job::ALL
        .into_iter()
        .map(|j| (j, rows.iter().find(|r| r.name == j.name()).cloned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn daily_jobs_are_due_at_the_next_start_of_day_and_billing_on_its_day() {
        let cal = Calendar {
            billing_day: Some(1),
        };
        assert_eq!(
            cal.next_after(Job::ActivateServices, at("2026-12-01T10:00:00Z")),
            at("2026-12-02T00:00:00Z")
        );
        assert_eq!(
            cal.next_after(Job::MonthlyBilling, at("2026-12-01T00:00:05Z")),
            at("2027-01-01T00:00:00Z")
        );
        assert_eq!(
            cal.next_after(Job::MonthlyBilling, at("2026-12-31T23:59:00Z")),
            at("2027-01-01T00:00:00Z")
        );
        let mid = Calendar {
            billing_day: Some(15),
        };
        assert_eq!(
            mid.next_after(Job::MonthlyBilling, at("2026-12-03T08:00:00Z")),
            at("2026-12-15T00:00:00Z")
        );
        assert_eq!(
            mid.next_after(Job::MonthlyBilling, at("2026-12-15T00:00:00Z")),
            at("2027-01-15T00:00:00Z")
        );
        assert!(!Calendar { billing_day: None }.runs(Job::MonthlyBilling));
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_delay(1), chrono::Duration::minutes(1));
        assert_eq!(retry_delay(2), chrono::Duration::minutes(2));
        assert_eq!(retry_delay(4), chrono::Duration::minutes(8));
        assert_eq!(
            retry_delay(30),
            chrono::Duration::minutes(64).min(MAX_RETRY)
        );
    }
}
