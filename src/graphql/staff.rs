//! The staff's day to day: staff users (whom tickets are assigned to) and the scheduler's
//! jobs with their last and next runs. Staff only.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use entity::staff_user;

use super::{
    guards::Staff,
    ids::{self, Kind},
};
use crate::{error::ResultExt, jobs::scheduler};

/// An ISP staff member.
#[derive(Clone)]
pub struct StaffUser(pub staff_user::Model);

impl super::guards::Guarded for StaffUser {
    async fn decide(
        &self,
        ctx: &async_graphql::Context<'_>,
        action: crate::policy::Action,
    ) -> async_graphql::Result<super::guards::Decision> {
        Ok(crate::policy::authorize(
            super::viewer(ctx)?,
            action,
            crate::policy::Target::StaffUser,
        ))
    }
}

impl super::guards::Loadable for StaffUser {
    const KIND: Kind = Kind::StaffUser;

    async fn load(
        ctx: &async_graphql::Context<'_>,
        id: i64,
    ) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .staff_user
            .load_one(id)
            .await
            .map_err(super::loaders::gql)?;
        Ok(found.map(StaffUser))
    }
}

/// An ISP staff member (staff see all of them; customers see an assignee's name on its
/// ticket).
#[Object]
impl StaffUser {
    /// ID of the staff user (for `assignTicket` and the ticket queue's filter).
    pub async fn id(&self) -> ID {
        ids::encode(Kind::StaffUser, self.0.id)
    }

    /// Login name; staff only.
    #[graphql(guard = "Staff")]
    async fn login(&self) -> &str {
        &self.0.login
    }

    /// Name shown on tickets.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }
}

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
    pub next_period: Option<super::scalars::Date>,
}

/// Staff-only queries of the day to day.
#[derive(Default)]
pub struct StaffQuery;

/// Staff-only queries of the day to day.
#[Object]
impl StaffQuery {
    /// Every staff user, by name; admins only.
    #[graphql(guard = "Staff")]
    async fn staff_users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffUser>> {
        use sea_orm::{EntityTrait, QueryOrder};
        let rows = staff_user::Entity::find()
            .order_by_asc(staff_user::Column::FullName)
            .order_by_asc(staff_user::Column::Id)
            .all(super::db(ctx)?)
            .await
            .map_err(crate::error::AppError::from)
            .gql()?;
        Ok(rows.into_iter().map(StaffUser).collect())
    }

    /// The scheduler's jobs: last run, outcome and next run; admins only.
    #[graphql(guard = "Staff")]
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Job>> {
        let state = super::state(ctx)?;
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
                    next_period: row
                        .as_ref()
                        .and_then(|r| r.period)
                        .map(super::scalars::Date),
                }
            })
            .collect())
    }
}
