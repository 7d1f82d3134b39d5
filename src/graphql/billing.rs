//! The monthly billing run, started by staff (`portal-api bill` and the scheduler run the
//! same `domain::billing::run`).

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::{
    domain::billing,
    graphql::{
        guards::Staff,
        payload::{UserError, split},
        scalars::Date,
    },
};

/// The month a billing run bills.
#[derive(InputObject)]
pub struct RunBillingInput {
    /// First day of the month, e.g. "2026-12-01"; at most next month.
    pub period_start: Date,
}

/// Result of `runBilling`. Running a month again issues nothing new (all counts zero).
#[derive(SimpleObject)]
pub struct RunBillingPayload {
    /// Recurring invoices this run issued (one per paying account at most).
    pub invoices_issued: i32,
    /// Of those, invoices left `UNPAID` because a prepaid balance did not cover them.
    pub invoices_unpaid: i32,
    /// `PENDING` services whose start date had come, turned `ACTIVE` by this run.
    pub services_activated: i32,
    /// Payers whose invoice could not be written (logged); running the month again bills
    /// them, and only them.
    pub payers_failed: i32,
    /// Why nothing was billed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The billing run (staff).
#[derive(Default)]
pub struct BillingMutation;

/// The billing run (staff).
#[Object]
impl BillingMutation {
    /// Issues the recurring invoices of a month: per paying account, one invoice for the
    /// service days not yet paid for, aggregated sub-accounts' days on their main account's
    /// invoice. Each payer is billed in its own transaction; for large installations run
    /// `portal-api bill --month YYYY-MM` from cron instead (no request timeout).
    #[graphql(guard = "Staff")]
    async fn run_billing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: RunBillingInput,
    ) -> async_graphql::Result<RunBillingPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
        let state = crate::graphql::state(ctx)?;
        let workers = billing::workers_for(&state.db, state.config.billing_workers);
        let (outcome, user_errors) = split(
            billing::run(
                &state.db,
                viewer,
                input.period_start.0,
                crate::domain::today(),
                workers,
                &|_| {},
            )
            .await,
        )?;
        let outcome = outcome.unwrap_or_default();
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(RunBillingPayload {
            invoices_issued: count(outcome.invoices_issued),
            invoices_unpaid: count(outcome.invoices_unpaid),
            services_activated: count(outcome.services_activated),
            payers_failed: count(outcome.payers_failed),
            user_errors,
        })
    }
}
