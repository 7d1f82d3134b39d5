//! The scheduler's jobs as staff see them: last run, outcome, next run (`jobs::scheduler`).

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{guards::Staff, scalars::Date};
use crate::{error::ResultExt, jobs::scheduler};

/// One scheduled job of the server.
#[derive(SimpleObject)]
pub struct Job {
    /// e.g. `activate-services`, `monthly-billing`.
    pub name: String,
    /// Whether this installation runs it (the billing job is off with `PORTAL_BILLING_DAY=0`).
    pub enabled: bool,
    /// When it last ran (on any replica); null before its first run.
    pub last_run_at: Option<DateTime<Utc>>,
    /// `ok: <summary>` or `failed`; null before its first run.
    pub last_outcome: Option<String>,
    /// Why the last run failed; null after a success.
    pub last_error: Option<String>,
    /// When it is due next (a failed run is retried sooner); null while disabled or before
    /// the first tick.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Runs so far, on every replica.
    pub runs: i64,
    /// Failed runs so far.
    pub failures: i64,
    /// Whether a replica holds its lease (is running it) now.
    pub running: bool,
    /// `monthly-billing` only: the first month it has not billed yet (its first day). Every
    /// month from here whose billing day has come is billed on the next run, oldest first.
    pub next_period: Option<Date>,
}

/// The scheduler's jobs (staff only).
#[derive(Default)]
pub struct JobQuery;

/// The scheduler's jobs (staff only).
#[Object]
impl JobQuery {
    /// The scheduler's jobs: last run, outcome and next run; admins only.
    #[graphql(guard = "Staff")]
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Job>> {
        let state = crate::graphql::state(ctx)?;
        let now = crate::domain::now();
        Ok(scheduler::list(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(|(job, row)| {
                let enabled = job.runs_with(&state.config.calendar);
                Job {
                    name: job.name().to_string(),
                    enabled,
                    last_run_at: row.as_ref().and_then(|r| r.last_run_at),
                    last_outcome: row.as_ref().and_then(|r| r.last_outcome.clone()),
                    last_error: row.as_ref().and_then(|r| r.last_error.clone()),
                    next_run_at: row.as_ref().filter(|_| enabled).map(|r| r.next_run_at),
                    runs: row.as_ref().map_or(0, |r| r.runs),
                    failures: row.as_ref().map_or(0, |r| r.failures),
                    running: row
                        .as_ref()
                        .and_then(|r| r.lease_until)
                        .is_some_and(|until| until > now),
                    next_period: row.as_ref().and_then(|r| r.period).map(Date),
                }
            })
            .collect())
    }
}
