//! The scheduler (SPEC.md "Running day to day"): due jobs run by themselves, exactly once
//! across replicas, failures retried; staff see the jobs and `/metrics` counts the runs.
//! Time is the scheduler's input: the tests move its clock, they never sleep.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use portal_api::{
    domain,
    error::{AppError, AppResult},
    jobs::{
        scheduler::{Ran, Scheduler},
        work::{Job, Jobs, RunContext, Work},
    },
};

use crate::helpers::{TestApp, decode_pk};

const JOBS: &str = "{ jobs { name enabled lastRunAt lastOutcome lastError nextRunAt nextPeriod runs failures running } }";
const TOTALS: &str = "query($a: ID!) { node(id: $a) { ... on Account { activeServicesCount totalServiceCost services(first: 5) { nodes { id status startDate } } } } }";

fn scheduler(state: &portal_api::AppState) -> Scheduler {
    Scheduler::new(state, Arc::new(Jobs))
}

/// The instant a day starts, plus a few seconds.
pub(crate) fn start_of(day: chrono::NaiveDate) -> DateTime<Utc> {
    domain::start_of_day(day) + Duration::seconds(5)
}

pub(crate) fn ran(results: &[Ran], job: Job) -> usize {
    results.iter().filter(|r| r.job == job).count()
}

pub(crate) async fn job(app: &TestApp, name: &str) -> Value {
    let data = app.ok(JOBS, json!({}), Some(app.admin())).await;
    data["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no job {name}: {data}"))
}

/// A main account's order for its aggregated sub-account, paid, its service request
/// approved by staff to start on `start`.
pub(crate) async fn approved_for(app: &TestApp, start: chrono::NaiveDate) -> (String, String) {
    let t = app.tenant("sched").await;
    let tariff = app.create_tariff("Fiber 50", "20.00").await;
    app.deposit(&t.main, "100.00").await;
    let token = app.token_for(&t.main).await;
    let order = app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { items { serviceRequests { id } } } userErrors { code } } }",
            json!({ "a": t.aggregated, "t": tariff }),
            Some(&token),
        )
        .await;
    let request = order["placeOrder"]["order"]["items"][0]["serviceRequests"][0]["id"].clone();
    let approved = app
        .ok(
            "mutation($r: ID!, $d: Date!) { approveServiceRequest(input: {serviceRequestId: $r, startDate: $d}) { serviceRequest { status service { id status } } userErrors { code } } }",
            json!({ "r": request, "d": start.to_string() }),
            Some(app.admin()),
        )
        .await;
    let service = &approved["approveServiceRequest"]["serviceRequest"]["service"];
    assert_eq!(service["status"], "PENDING", "{approved}");
    (
        t.aggregated,
        service["id"].as_str().expect("service").to_string(),
    )
}

#[tokio::test]
async fn a_service_approved_for_tomorrow_becomes_active_at_the_start_of_that_day_once_across_replicas()
 {
    let app = TestApp::spawn().await;
    let other = app.replica().await;
    let today = domain::today();
    let tomorrow = today + Duration::days(1);
    let (sub, service) = approved_for(&app, tomorrow).await;
    let totals = app.ok(TOTALS, json!({ "a": sub }), Some(app.admin())).await;
    assert_eq!(totals["node"]["activeServicesCount"], 0);
    assert_eq!(totals["node"]["totalServiceCost"], "0.00");

    let (a, b) = (scheduler(&app.state), scheduler(&other.state));
    // Today: the daily job runs (it catches up at start) and finds nothing to start.
    let now = Utc::now();
    let (first, second) = tokio::join!(a.tick(now), b.tick(now));
    let (first, second) = (first.expect("tick"), second.expect("tick"));
    assert_eq!(
        ran(&first, Job::ActivateServices) + ran(&second, Job::ActivateServices),
        1,
        "one replica ran it: {first:?} {second:?}"
    );
    let service_row = |db: &sea_orm::DatabaseConnection| {
        let id = decode_pk(&service);
        let db = db.clone();
        async move {
            use sea_orm::EntityTrait;
            entity::service::Entity::find_by_id(id)
                .one(&db)
                .await
                .expect("query")
                .expect("service")
        }
    };
    assert_eq!(
        service_row(&app.state.db).await.status,
        entity::enums::ServiceStatus::Pending
    );
    // Later today (halfway to tomorrow's start, so still today whatever the hour): not
    // due again.
    let later = a
        .tick(now + (start_of(tomorrow) - now) / 2)
        .await
        .expect("tick");
    assert_eq!(ran(&later, Job::ActivateServices), 0, "{later:?}");

    // Tomorrow, both replicas at once: one activates it.
    let at = start_of(tomorrow);
    let (first, second) = tokio::join!(a.tick(at), b.tick(at));
    let (first, second) = (first.expect("tick"), second.expect("tick"));
    let runs: Vec<&Ran> = first
        .iter()
        .chain(second.iter())
        .filter(|r| r.job == Job::ActivateServices)
        .collect();
    assert_eq!(runs.len(), 1, "exactly once: {first:?} {second:?}");
    assert_eq!(
        runs[0].outcome,
        Ok("1 services activated".to_string()),
        "{runs:?}"
    );
    assert_eq!(
        service_row(&other.state.db).await.status,
        entity::enums::ServiceStatus::Active
    );
    let totals = app.ok(TOTALS, json!({ "a": sub }), Some(app.admin())).await;
    assert_eq!(totals["node"]["activeServicesCount"], 1);
    assert_eq!(totals["node"]["totalServiceCost"], "20.00");
    let entries = app.activity_of(&sub, Some("service.activated")).await;
    assert_eq!(entries.len(), 1, "one activation entry: {entries:?}");

    let seen = job(&app, "activate-services").await;
    assert_eq!(seen["runs"], 2);
    assert_eq!(seen["failures"], 0);
    assert_eq!(seen["lastOutcome"], "ok: 1 services activated");
    assert_eq!(seen["running"], false);
    let next: DateTime<Utc> = seen["nextRunAt"]
        .as_str()
        .expect("next run")
        .parse()
        .expect("time");
    assert_eq!(next, domain::start_of_day(tomorrow + Duration::days(1)));
}

/// The real jobs, except that the billing run fails the first `failures` times.
pub(crate) struct FailingBilling {
    pub(crate) failures: std::sync::atomic::AtomicUsize,
}

impl Work for FailingBilling {
    fn run<'a>(&'a self, job: Job, ctx: &'a RunContext<'a>) -> BoxFuture<'a, AppResult<String>> {
        Box::pin(async move {
            use std::sync::atomic::Ordering;
            if job == Job::MonthlyBilling
                && self
                    .failures
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "the database went away"
                )));
            }
            Jobs.run(job, ctx).await
        })
    }
}

#[tokio::test]
async fn the_billing_job_runs_once_a_month_across_replicas_and_a_failed_run_is_retried() {
    let app = TestApp::spawn().await;
    let other = app.replica().await;
    let customer = app
        .create_account("billed", json!({ "status": "ACTIVE" }))
        .await;
    let tariff = app.create_tariff("Fiber 10", "10.00").await;
    app.add_service(&customer, &tariff, entity::enums::ServiceStatus::Active)
        .await;
    // The first billing run fails, whichever replica makes it.
    let work = Arc::new(FailingBilling { failures: 1.into() });
    let a = Scheduler::new(&app.state, work.clone());
    let b = Scheduler::new(&other.state, work);
    // A new installation bills nothing at start: the run waits for the next 1st.
    let now = Utc::now();
    let first = a.tick(now).await.expect("tick");
    assert_eq!(ran(&first, Job::MonthlyBilling), 0, "{first:?}");
    let next_month = domain::billing::Month::containing(domain::today())
        .last
        .succ_opt()
        .expect("next month");
    let seen = job(&app, "monthly-billing").await;
    assert_eq!(seen["enabled"], true);
    assert_eq!(seen["runs"], 0);
    let due: DateTime<Utc> = seen["nextRunAt"]
        .as_str()
        .expect("next run")
        .parse()
        .expect("time");
    assert_eq!(due, domain::start_of_day(next_month));

    // The 1st, both replicas: one runs it, and it fails.
    let at = start_of(next_month);
    let (x, y) = tokio::join!(a.tick(at), b.tick(at));
    let (x, y) = (x.expect("tick"), y.expect("tick"));
    assert_eq!(
        ran(&x, Job::MonthlyBilling) + ran(&y, Job::MonthlyBilling),
        1,
        "{x:?} {y:?}"
    );
    let seen = job(&app, "monthly-billing").await;
    assert_eq!(seen["lastOutcome"], "failed");
    assert!(
        seen["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("went away")),
        "{seen}"
    );
    assert_eq!(seen["failures"], 1);
    let retry: DateTime<Utc> = seen["nextRunAt"]
        .as_str()
        .expect("retry")
        .parse()
        .expect("time");
    assert_eq!(retry, at + Duration::minutes(1), "retried in a minute");
    // Not before the retry is due; then it bills, once.
    let early = a.tick(at + Duration::seconds(30)).await.expect("tick");
    assert_eq!(ran(&early, Job::MonthlyBilling), 0);
    let retry_at = at + Duration::minutes(1);
    let (x, y) = tokio::join!(a.tick(retry_at), b.tick(retry_at));
    let (x, y) = (x.expect("tick"), y.expect("tick"));
    let runs: Vec<&Ran> = x
        .iter()
        .chain(y.iter())
        .filter(|r| r.job == Job::MonthlyBilling)
        .collect();
    assert_eq!(runs.len(), 1, "{x:?} {y:?}");
    let summary = runs[0].outcome.clone().expect("the retry succeeds");
    assert!(summary.contains("1 invoices issued"), "{summary}");
    // Later that month nothing more runs; the next is due on the next 1st.
    let later = a.tick(at + Duration::days(3)).await.expect("tick");
    assert_eq!(ran(&later, Job::MonthlyBilling), 0);
    let invoices = app
        .ok(
            "query($a: ID!) { node(id: $a) { ... on Account { invoices(first: 10) { totalCount nodes { periodStart } } } } }",
            json!({ "a": customer }),
            Some(app.admin()),
        )
        .await;
    let periods: Vec<&Value> = invoices["node"]["invoices"]["nodes"]
        .as_array()
        .expect("invoices")
        .iter()
        .map(|i| &i["periodStart"])
        .filter(|p| **p == json!(next_month.to_string()))
        .collect();
    assert_eq!(periods.len(), 1, "one invoice for the month: {invoices}");
    let seen = job(&app, "monthly-billing").await;
    assert_eq!(seen["runs"], 2);
    assert_eq!(seen["failures"], 1);
    assert!(
        seen["lastOutcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("ok: ")),
        "{seen}"
    );
    assert_eq!(seen["lastError"], Value::Null);

    // Each process counts the runs it made.
    let (mine, theirs) = (
        app.metrics_at(app.addr).await,
        app.metrics_at(other.addr).await,
    );
    let count = |text: &str, outcome: &str| -> u64 {
        text.lines()
            .find(|l| {
                l.starts_with(&format!(
                    "portal_job_runs_total{{job=\"monthly-billing\",outcome=\"{outcome}\"}}"
                ))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    assert_eq!(count(&mine, "failed") + count(&theirs, "failed"), 1);
    assert_eq!(count(&mine, "ok") + count(&theirs, "ok"), 1);
}

#[tokio::test]
async fn customers_cannot_see_the_jobs() {
    let app = TestApp::spawn().await;
    let customer = app.create_account("curious", json!({})).await;
    let token = app.token_for(&customer).await;
    let (_, body) = app.graphql(JOBS, json!({}), Some(&token)).await;
    assert_eq!(crate::helpers::first_code(&body), "FORBIDDEN", "{body}");
}
