//! Due work is a ledger of periods, not a clock reading (README "Operations"): the billing
//! run bills every month that came due and is not billed, oldest first, none early; due
//! times follow the settings a server starts with; a night without a midnight starts its
//! day once. The clock is the scheduler's input: moved, never slept on.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use portal_api::{
    domain::billing::Month,
    jobs::{
        calendar::Calendar,
        scheduler::{Ran, Scheduler},
        work::{Job, Jobs},
    },
};

use crate::{
    helpers::{TestApp, decode_pk},
    scheduler::{FailingBilling, approved_for, job, ran, start_of},
};

/// An installation billing on the `day`th, and a customer with one active monthly service.
async fn billing_on(day: u32) -> (TestApp, String) {
    let app = TestApp::spawn_with(portal_api::config::Mode::Development, |c| {
        c.calendar.billing_day = Some(day)
    })
    .await;
    let customer = app
        .create_account("ledger", json!({ "status": "ACTIVE" }))
        .await;
    let tariff = app.create_tariff("Fiber 10", "10.00").await;
    app.add_service(&customer, &tariff, entity::enums::ServiceStatus::Active)
        .await;
    (app, customer)
}

/// The months the customer has a recurring invoice for, in the order they were issued.
async fn billed_months(app: &TestApp, customer: &str) -> Vec<String> {
    let data = app
        .ok(
            "query($a: ID!) { node(id: $a) { ... on Account { invoices(first: 50) { nodes { id kind periodStart } } } } }",
            json!({ "a": customer }),
            Some(app.admin()),
        )
        .await;
    let mut recurring: Vec<(i64, String)> = data["node"]["invoices"]["nodes"]
        .as_array()
        .expect("invoices")
        .iter()
        .filter(|i| i["kind"] == "RECURRING")
        .map(|i| {
            (
                decode_pk(i["id"].as_str().expect("id")),
                i["periodStart"].as_str().expect("period").to_string(),
            )
        })
        .collect();
    recurring.sort();
    recurring.into_iter().map(|(_, month)| month).collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().expect("a time").parse().expect("time")
}

fn billing_runs<'a>(x: &'a [Ran], y: &'a [Ran]) -> Vec<&'a Ran> {
    x.iter()
        .chain(y)
        .filter(|r| r.job == Job::MonthlyBilling)
        .collect()
}

/// The month the ledger waits for, read from `jobs { nextPeriod }`.
async fn next_period(app: &TestApp) -> Month {
    let seen = job(app, "monthly-billing").await;
    let first: NaiveDate = seen["nextPeriod"]
        .as_str()
        .expect("next period")
        .parse()
        .expect("date");
    Month::starting(first).expect("a month's first day")
}

fn utc_calendar(day: u32) -> Calendar {
    Calendar {
        zone: chrono_tz::Tz::UTC,
        billing_day: Some(day),
    }
}

#[tokio::test]
async fn a_failed_run_retried_after_the_month_turns_bills_the_month_that_came_due_and_not_the_next()
{
    let (app, customer) = billing_on(5).await;
    let other = app.replica().await;
    let work = Arc::new(FailingBilling { failures: 1.into() });
    let (a, b) = (
        Scheduler::new(&app.state, work.clone()),
        Scheduler::new(&other.state, work),
    );
    let cal = utc_calendar(5);
    a.tick(Utc::now()).await.expect("tick");
    let due_month = next_period(&app).await;
    let due = cal.billing_due(&due_month);
    assert!(due > Utc::now(), "nothing is billed at the start");
    let following = Month::containing(due_month.next_first());

    // The billing day: the run fails (a payer's row was held).
    let at = due + Duration::seconds(5);
    let (x, y) = tokio::join!(a.tick(at), b.tick(at));
    let (x, y) = (x.expect("tick"), y.expect("tick"));
    assert_eq!(billing_runs(&x, &y).len(), 1, "{x:?} {y:?}");
    assert!(billing_runs(&x, &y)[0].outcome.is_err());
    assert_eq!(billed_months(&app, &customer).await, Vec::<String>::new());

    // The retry comes only on the 2nd of the following month, three days before that
    // month is due: it bills the month that came due, once, and not the following one.
    let second = start_of(following.first + Duration::days(1));
    let (x, y) = tokio::join!(a.tick(second), b.tick(second));
    let (x, y) = (x.expect("tick"), y.expect("tick"));
    let runs = billing_runs(&x, &y);
    assert_eq!(runs.len(), 1, "{x:?} {y:?}");
    let summary = runs[0].outcome.clone().expect("the retry bills");
    assert!(summary.starts_with(&due_month.label()), "{summary}");
    assert!(!summary.contains(&following.label()), "{summary}");
    assert_eq!(
        billed_months(&app, &customer).await,
        vec![due_month.first.to_string()]
    );
    let seen = job(&app, "monthly-billing").await;
    assert_eq!(time(&seen["nextRunAt"]), cal.billing_due(&following));
    assert_eq!(next_period(&app).await, following);

    // Not a minute early; then the following month, once.
    let early = a
        .tick(cal.billing_due(&following) - Duration::minutes(1))
        .await
        .expect("tick");
    assert_eq!(ran(&early, Job::MonthlyBilling), 0, "{early:?}");
    let on_time = cal.billing_due(&following) + Duration::seconds(5);
    let (x, y) = tokio::join!(a.tick(on_time), b.tick(on_time));
    let (x, y) = (x.expect("tick"), y.expect("tick"));
    assert_eq!(billing_runs(&x, &y).len(), 1, "{x:?} {y:?}");
    assert_eq!(
        billed_months(&app, &customer).await,
        vec![due_month.first.to_string(), following.first.to_string()]
    );
}

#[tokio::test]
async fn three_months_of_downtime_bill_three_months_in_order_once_each_across_replicas() {
    let (app, customer) = billing_on(1).await;
    let other = app.replica().await;
    let (a, b) = (
        Scheduler::new(&app.state, Arc::new(Jobs)),
        Scheduler::new(&other.state, Arc::new(Jobs)),
    );
    let cal = utc_calendar(1);
    a.tick(Utc::now()).await.expect("tick");
    let first = next_period(&app).await;
    let second = Month::containing(first.next_first());
    let third = Month::containing(second.next_first());
    let fourth = Month::containing(third.next_first());

    // Every replica down from before the first month came due until a day after the third:
    // both come back at once.
    let back = cal.billing_due(&third) + Duration::days(1);
    let (x, y) = tokio::join!(a.tick(back), b.tick(back));
    let (x, y) = (x.expect("tick"), y.expect("tick"));
    let runs = billing_runs(&x, &y);
    assert_eq!(runs.len(), 1, "one replica catches up: {x:?} {y:?}");
    let summary = runs[0].outcome.clone().expect("the catch-up bills");
    let labels: Vec<usize> = [first, second, third]
        .iter()
        .map(|m| summary.find(&m.label()).expect("each month in the summary"))
        .collect();
    assert!(labels.is_sorted(), "oldest first: {summary}");
    assert!(!summary.contains(&fourth.label()), "{summary}");
    assert_eq!(
        billed_months(&app, &customer).await,
        [first, second, third]
            .iter()
            .map(|m| m.first.to_string())
            .collect::<Vec<_>>(),
        "one invoice per month, issued oldest first"
    );

    // Later that month nothing more; the next due is the fourth month's billing day.
    let (x, y) = tokio::join!(
        a.tick(back + Duration::days(1)),
        b.tick(back + Duration::days(1))
    );
    assert_eq!(billing_runs(&x.expect("tick"), &y.expect("tick")).len(), 0);
    let seen = job(&app, "monthly-billing").await;
    assert_eq!(time(&seen["nextRunAt"]), cal.billing_due(&fourth));
    assert_eq!(next_period(&app).await, fourth);
    assert_eq!(seen["runs"], 1);
    assert_eq!(billed_months(&app, &customer).await.len(), 3);
}

#[tokio::test]
async fn a_new_billing_day_takes_effect_at_the_restart_and_nothing_is_billed_on_the_old_day() {
    let (app, customer) = billing_on(5).await;
    Scheduler::new(&app.state, Arc::new(Jobs))
        .tick(Utc::now())
        .await
        .expect("tick");
    let month = next_period(&app).await;
    let (old, new) = (utc_calendar(5), utc_calendar(12));
    let seen = job(&app, "monthly-billing").await;
    assert_eq!(time(&seen["nextRunAt"]), old.billing_due(&month));

    // Restarted with --billing-day 12 before the 5th: the due time follows at once.
    let restarted = app
        .replica_with(|c| c.calendar.billing_day = Some(12))
        .await;
    let scheduler = Scheduler::new(&restarted.state, Arc::new(Jobs));
    let fifth = old.billing_due(&month) + Duration::hours(1);
    let on_the_fifth = scheduler.tick(fifth).await.expect("tick");
    assert_eq!(
        ran(&on_the_fifth, Job::MonthlyBilling),
        0,
        "{on_the_fifth:?}"
    );
    let seen = job(&app, "monthly-billing").await;
    assert_eq!(time(&seen["nextRunAt"]), new.billing_due(&month));
    assert_eq!(billed_months(&app, &customer).await, Vec::<String>::new());

    let twelfth = scheduler
        .tick(new.billing_due(&month) + Duration::seconds(5))
        .await
        .expect("tick");
    assert_eq!(ran(&twelfth, Job::MonthlyBilling), 1, "{twelfth:?}");
    assert_eq!(
        billed_months(&app, &customer).await,
        vec![month.first.to_string()]
    );
}

#[tokio::test]
async fn a_night_without_a_midnight_starts_its_day_once() {
    let app = TestApp::spawn().await;
    // An ISP in Chile, where the clock jumps from 00:00 to 01:00 one night each September.
    let santiago = Calendar {
        zone: chrono_tz::America::Santiago,
        billing_day: Some(1),
    };
    let today = portal_api::domain::today();
    let night = (2..800)
        .map(|n| today + Duration::days(n))
        .find(|d| {
            let start = santiago.start_of(*d);
            start.with_timezone(&santiago.zone).time() != chrono::NaiveTime::MIN
        })
        .expect("a night without a midnight within two years");
    let (_, service) = approved_for(&app, night).await;
    let replica = app.replica_with(|c| c.calendar.zone = santiago.zone).await;
    let scheduler = Scheduler::new(&replica.state, Arc::new(Jobs));
    let status = || async {
        use sea_orm::EntityTrait;
        entity::service::Entity::find_by_id(decode_pk(&service))
            .one(&app.state.db)
            .await
            .expect("query")
            .expect("service")
            .status
    };

    // Every quarter of an hour from the evening before to the morning after.
    let start = santiago.start_of(night);
    let mut at = start - Duration::hours(6);
    let mut activations = Vec::new();
    while at <= start + Duration::hours(6) {
        let ran = scheduler.tick(at).await.expect("tick");
        activations.extend(
            ran.into_iter()
                .filter(|r| r.job == Job::ActivateServices)
                .map(|r| (at, r.outcome)),
        );
        let expected = if at < start {
            entity::enums::ServiceStatus::Pending
        } else {
            entity::enums::ServiceStatus::Active
        };
        assert_eq!(status().await, expected, "at {at}");
        at += Duration::minutes(15);
    }
    // The evening's catch-up run, then the night's one at the jump: once.
    assert_eq!(activations.len(), 2, "{activations:?}");
    assert_eq!(activations[0].1, Ok("0 services activated".to_string()));
    assert_eq!(activations[1].0, start);
    assert_eq!(activations[1].1, Ok("1 services activated".to_string()));
    let seen = job(&app, "activate-services").await;
    assert_eq!(
        time(&seen["nextRunAt"]),
        santiago.start_of(night + Duration::days(1)),
        "the short day's end"
    );
}
