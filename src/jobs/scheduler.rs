//! The scheduler `serve` runs: due jobs run by themselves, exactly once across replicas.
//!
//! Each job has a row in `jobs` with the time it is due next. Due work is a ledger, not a
//! clock reading: the billing job keeps the first month it has not billed (`jobs.period`)
//! and bills every month from there that has come due, oldest first, never one that has
//! not; the daily jobs act on everything whose day has come. Due times are recomputed from
//! the settings (time zone, billing day) when a scheduler starts. Every replica ticks (every
//! `PORTAL_SCHEDULER_POLL_SECS`); a tick claims each due job with one conditional `UPDATE`
//! (due, and nobody's lease running), so of several replicas exactly one runs it. The runner
//! records the outcome and the next due time; a failure is logged, counted and retried with
//! a growing delay, never skipped. A replica that dies mid-run leaves its lease, which runs
//! out; the jobs themselves are idempotent (activating, archiving and billing do nothing the
//! second time), so a rerun after a lost lease is harmless.
//!
//! Time is an input: [`Scheduler::tick`] takes the instant to run at, so tests move the clock
//! instead of sleeping.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use entity::job;

use super::{
    calendar::Calendar,
    work::{Job, RunContext, Work},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::billing::Month,
    error::{AppError, AppResult},
    metrics::Metrics,
};

/// One replica's scheduler.
pub struct Scheduler {
    db: DatabaseConnection,
    calendar: Calendar,
    billing_workers: usize,
    metrics: Arc<Metrics>,
    work: Arc<dyn Work>,
    /// Who holds a lease: unique per scheduler.
    owner: String,
    /// Whether the first tick has written the rows and due times from the settings.
    aligned: AtomicBool,
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
            aligned: AtomicBool::new(false),
        }
    }

    /// Runs every job due at `now` that no other replica is running; returns what ran.
    pub async fn tick(&self, now: DateTime<Utc>) -> AppResult<Vec<Ran>> {
        if !self.aligned.load(Ordering::Acquire) {
            self.align(now).await?;
            self.aligned.store(true, Ordering::Release);
        }
        let mut ran = Vec::new();
        for job in Job::ALL {
            if !job.runs_with(&self.calendar) || !self.claim(job, now).await? {
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

    /// At start: every job has its row, and the due times follow this process's settings
    /// (a billing day or time zone changed since the last run takes effect now, not after
    /// one more run on the old day). A job another replica is running keeps its row.
    async fn align(&self, now: DateTime<Utc>) -> AppResult<()> {
        for job in Job::ALL {
            self.ensure(job, now).await?;
        }
        for row in job::Entity::find().all(&self.db).await? {
            let Some(job) = Job::named(&row.name) else {
                continue;
            };
            if !job.runs_with(&self.calendar) {
                continue;
            }
            let (next, period) = match job {
                Job::MonthlyBilling => {
                    let month = row.period.and_then(Month::starting).unwrap_or_else(|| {
                        Month::containing(self.calendar.day_at(row.next_run_at))
                    });
                    let due = self.calendar.billing_due(&month);
                    // A retry waiting out its delay keeps waiting.
                    let next = if row.attempts > 0 {
                        Ord::max(due, row.next_run_at)
                    } else {
                        due
                    };
                    (next, Some(month.first))
                }
                _ => match row.last_run_at {
                    Some(last) if row.attempts == 0 => (job.next_after(&self.calendar, last), None),
                    _ => (row.next_run_at, None),
                },
            };
            if next == row.next_run_at && (period.is_none() || period == row.period) {
                continue;
            }
            tracing::info!(job = job.name(), was = %row.next_run_at, %next, "due time follows the settings");
            // Only over the row as read: a replica that ran the job meanwhile (and moved its
            // due time and ledger) keeps what it wrote.
            let mut update = job::Entity::update_many()
                .col_expr(job::Column::NextRunAt, Expr::value(next))
                .filter(job::Column::Name.eq(job.name()))
                .filter(job::Column::NextRunAt.eq(row.next_run_at))
                .filter(match row.period {
                    Some(p) => job::Column::Period.eq(p),
                    None => job::Column::Period.is_null(),
                })
                .filter(
                    sea_orm::Condition::any()
                        .add(job::Column::LeaseUntil.is_null())
                        .add(job::Column::LeaseUntil.lt(now)),
                );
            if let Some(period) = period {
                update = update.col_expr(job::Column::Period, Expr::value(period));
            }
            update.exec(&self.db).await?;
        }
        Ok(())
    }

    /// The job's row, as a new installation first has it: the daily jobs due at once
    /// (catching up), the billing run on the next billing day (nothing is billed at start).
    async fn ensure(&self, job: Job, now: DateTime<Utc>) -> AppResult<()> {
        let (next_run_at, period) = match job {
            Job::MonthlyBilling => {
                let month = self.calendar.first_billing_month(now);
                (self.calendar.billing_due(&month), Some(month.first))
            }
            _ => (now, None),
        };
        job::Entity::insert(job::ActiveModel {
            name: Set(job.name().into()),
            next_run_at: Set(next_run_at),
            lease_owner: Set(None),
            lease_until: Set(None),
            last_run_at: Set(None),
            last_outcome: Set(None),
            last_error: Set(None),
            runs: Set(0),
            failures: Set(0),
            attempts: Set(0),
            period: Set(period),
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
        let period = match job {
            Job::MonthlyBilling => self.row(job).await?.and_then(|r| r.period),
            _ => None,
        };
        let ctx = RunContext {
            db: &self.db,
            viewer: &viewer,
            now,
            today: self.calendar.day_at(now),
            calendar: self.calendar,
            billing_workers: self.billing_workers,
            period,
            owner: &self.owner,
        };
        self.work.run(job, &ctx).await
    }

    /// When `job` is due after a successful run at `now`: the billing run when the first
    /// month its ledger has not billed comes due.
    async fn next_due(&self, job: Job, now: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
        if job != Job::MonthlyBilling {
            return Ok(job.next_after(&self.calendar, now));
        }
        let month = self
            .row(job)
            .await?
            .and_then(|r| r.period)
            .and_then(Month::starting)
            .unwrap_or_else(|| self.calendar.first_billing_month(now));
        Ok(self.calendar.billing_due(&month))
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
                        Expr::value(self.next_due(job, now).await?),
                    );
            }
            Err(message) => {
                let attempts = self.row(job).await?.map_or(0, |r| r.attempts) + 1;
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

    async fn row(&self, job: Job) -> AppResult<Option<job::Model>> {
        Ok(job::Entity::find_by_id(job.name()).one(&self.db).await?)
    }

    /// Ticks every `every` until the process ends.
    pub fn spawn(
        self,
        every: Duration,
        stop: crate::shutdown::Shutdown,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                // A tick under way finishes its jobs; none starts once the stop began.
                tokio::select! {
                    _ = ticker.tick() => {}
                    () = stop.wait() => break,
                }
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
