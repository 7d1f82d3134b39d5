//! A service's life on the staff side (SPEC.md "Running day to day"): disable from a date
//! and enable again, archive on an end date, the daily job that archives ended services;
//! what the next billing runs charge, to the day; lists without `ARCHIVED` unless asked;
//! before/after in the activity and a notification each time.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use portal_api::{
    domain::{self, billing::Month},
    jobs::{scheduler::Scheduler, work::Jobs},
};

use crate::helpers::{TestApp, encode_id};

const DISABLE: &str = "mutation($s: ID!, $f: Date) { disableService(input: {serviceId: $s, from: $f}) { service { status endDate } userErrors { code field message } } }";
const ENABLE: &str = "mutation($s: ID!) { enableService(input: {serviceId: $s}) { service { status } userErrors { code message } } }";
const ARCHIVE: &str = "mutation($s: ID!, $e: Date) { archiveService(input: {serviceId: $s, endDate: $e}) { service { status endDate } userErrors { code field message } } }";
const RUN: &str = "mutation($p: Date!) { runBilling(input: {periodStart: $p}) { invoicesIssued userErrors { code message } } }";
const INVOICES: &str = "query($a: ID!) { node(id: $a) { ... on Account { invoices(first: 10) { nodes { periodStart total
  lines { service { id } periodFrom periodTo total } } } } } }";

/// A tariff costing exactly 1.00 a day in `month` (no tax), so a line's total is its days.
async fn a_unit_a_day(app: &TestApp, month: &Month, name: &str) -> String {
    app.ok(
        "mutation($n: String!, $p: Decimal!) { createTariff(input: {name: $n, kind: INTERNET, price: $p, taxPercent: \"0\"}) { tariff { id } } }",
        json!({ "n": name, "p": format!("{}.00", month.days()) }),
        Some(app.admin()),
    )
    .await["createTariff"]["tariff"]["id"]
        .as_str()
        .expect("tariff")
        .to_string()
}

async fn placed(app: &TestApp, account: &str, tariff: &str, start: NaiveDate) -> String {
    use sea_orm::EntityTrait;
    let t = entity::tariff::Entity::find_by_id(crate::helpers::decode_pk(tariff))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("tariff");
    let id = portal_api::fixtures::demo::place_service(
        &app.state.db,
        crate::helpers::decode_pk(account),
        &t,
        entity::enums::ServiceStatus::Active,
        start,
    )
    .await
    .expect("placed")
    .id;
    encode_id("Service", id)
}

async fn invoice_lines(app: &TestApp, account: &str, month: &Month) -> Vec<Value> {
    let data = app
        .ok(INVOICES, json!({ "a": account }), Some(app.admin()))
        .await;
    data["node"]["invoices"]["nodes"]
        .as_array()
        .expect("invoices")
        .iter()
        .filter(|i| i["periodStart"] == json!(month.first.to_string()))
        .flat_map(|i| i["lines"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn lines_of<'a>(lines: &'a [Value], service: &str) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut out: Vec<(&str, &str, &str)> = lines
        .iter()
        .filter(|l| l["service"]["id"] == service)
        .map(|l| {
            (
                l["periodFrom"].as_str().expect("from"),
                l["periodTo"].as_str().expect("to"),
                l["total"].as_str().expect("total"),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn disable_archive_and_enable_decide_what_the_next_runs_bill_to_the_day() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin());
    let today = domain::today();
    let current = Month::containing(today);
    let previous = Month::containing(current.first - Duration::days(1));
    let customer = app
        .create_account("lifecycle", json!({ "status": "ACTIVE" }))
        .await;
    let daily = a_unit_a_day(&app, &previous, "Daily unit").await;
    let a = placed(&app, &customer, &daily, previous.first).await;
    let b = placed(&app, &customer, &daily, previous.first).await;
    let c = placed(&app, &customer, &daily, previous.first).await;

    // A: disabled from the 11th of last month, enabled again today.
    let disabled = app
        .ok(
            DISABLE,
            json!({ "s": a, "f": (previous.first + Duration::days(10)).to_string() }),
            admin,
        )
        .await;
    assert_eq!(disabled["disableService"]["userErrors"], json!([]));
    assert_eq!(disabled["disableService"]["service"]["status"], "DISABLED");
    let again = app.ok(DISABLE, json!({ "s": a }), admin).await;
    assert_eq!(
        again["disableService"]["userErrors"][0]["code"], "INVALID_STATE",
        "{again}"
    );
    let enabled = app.ok(ENABLE, json!({ "s": a }), admin).await;
    assert_eq!(enabled["enableService"]["service"]["status"], "ACTIVE");
    // B: ended on the 20th of last month: archived at once.
    let archived = app
        .ok(
            ARCHIVE,
            json!({ "s": b, "e": (previous.first + Duration::days(19)).to_string() }),
            admin,
        )
        .await;
    assert_eq!(archived["archiveService"]["userErrors"], json!([]));
    assert_eq!(archived["archiveService"]["service"]["status"], "ARCHIVED");
    let revive = app.ok(ENABLE, json!({ "s": b }), admin).await;
    assert_eq!(
        revive["enableService"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    // C: ends today: it runs (and is billed) through today, archived tomorrow.
    let ending = app
        .ok(ARCHIVE, json!({ "s": c, "e": today.to_string() }), admin)
        .await;
    assert_eq!(ending["archiveService"]["service"]["status"], "ACTIVE");
    assert_eq!(
        ending["archiveService"]["service"]["endDate"],
        json!(today.to_string())
    );

    // Last month: A its first ten days, B its first twenty, C every day.
    let run = app
        .ok(RUN, json!({ "p": previous.first.to_string() }), admin)
        .await;
    assert_eq!(run["runBilling"]["invoicesIssued"], 1, "{run}");
    let lines = invoice_lines(&app, &customer, &previous).await;
    let day = |n: i64| (previous.first + Duration::days(n)).to_string();
    assert_eq!(
        lines_of(&lines, &a),
        vec![(day(0).as_str(), day(9).as_str(), "10.00")]
    );
    assert_eq!(
        lines_of(&lines, &b),
        vec![(day(0).as_str(), day(19).as_str(), "20.00")]
    );
    let whole = format!("{}.00", previous.days());
    assert_eq!(
        lines_of(&lines, &c),
        vec![(
            previous.first.to_string().as_str(),
            previous.last.to_string().as_str(),
            whole.as_str()
        )]
    );

    // This month: A from today (it was disabled until today), B nothing, C through today.
    let run = app
        .ok(RUN, json!({ "p": current.first.to_string() }), admin)
        .await;
    assert_eq!(run["runBilling"]["userErrors"], json!([]), "{run}");
    let lines = invoice_lines(&app, &customer, &current).await;
    let periods = |service: &str| -> Vec<(String, String)> {
        lines_of(&lines, service)
            .into_iter()
            .map(|(f, t, _)| (f.to_string(), t.to_string()))
            .collect()
    };
    assert_eq!(
        periods(&a),
        vec![(today.to_string(), current.last.to_string())]
    );
    assert_eq!(periods(&b), Vec::<(String, String)>::new());
    assert_eq!(
        periods(&c),
        vec![(current.first.to_string(), today.to_string())]
    );

    // Lists leave ARCHIVED out unless asked.
    let list = app
        .ok(
            "query($a: ID!) { node(id: $a) { ... on Account { all: services { totalCount nodes { id } } archived: services(status: [ARCHIVED]) { nodes { id } } } } }",
            json!({ "a": customer }),
            admin,
        )
        .await;
    assert_eq!(list["node"]["all"]["totalCount"], 2, "{list}");
    assert_eq!(list["node"]["archived"]["nodes"], json!([{ "id": b }]));

    // The day after its end date, the daily job archives C.
    let scheduler = Scheduler::new(&app.state, Arc::new(Jobs));
    scheduler
        .tick(domain::start_of_day(today + Duration::days(1)) + Duration::seconds(1))
        .await
        .expect("tick");
    let status = app
        .ok(
            "query($s: ID!) { node(id: $s) { ... on Service { status endDate } } }",
            json!({ "s": c }),
            admin,
        )
        .await;
    assert_eq!(status["node"]["status"], "ARCHIVED");

    // Every change: an activity entry with before/after, and the account is told.
    let feed = app.activity_of(&customer, None).await;
    let actions: Vec<String> = feed
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_string())
        .collect();
    for action in [
        "service.disabled",
        "service.enabled",
        "service.archived",
        "service.end_scheduled",
    ] {
        assert!(
            actions.contains(&action.to_string()),
            "{action}: {actions:?}"
        );
    }
    let disabled_entry = feed
        .iter()
        .find(|e| e["action"] == "service.disabled")
        .expect("entry");
    let details = &disabled_entry["details"];
    assert_eq!(details["before"]["status"], "ACTIVE", "{details}");
    assert_eq!(details["after"]["status"], "DISABLED", "{details}");
    let token = app.token_for(&customer).await;
    let told = app
        .ok(
            "{ viewer { notifications(first: 20) { nodes { kind message service { id } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let changes = told["viewer"]["notifications"]["nodes"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["kind"] == "SERVICE_STATUS_CHANGED")
        .count();
    assert_eq!(changes, 5, "disable, enable, two archives, one end: {told}");
}

#[tokio::test]
async fn lifecycle_dates_are_checked_and_customers_cannot_use_it() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin());
    let customer = app
        .create_account("dates", json!({ "status": "ACTIVE" }))
        .await;
    let tariff = app.create_tariff("Fiber", "10.00").await;
    let service = encode_id(
        "Service",
        app.add_service(&customer, &tariff, entity::enums::ServiceStatus::Active)
            .await,
    );
    let tomorrow = domain::today() + Duration::days(1);
    let future = app
        .ok(
            DISABLE,
            json!({ "s": service, "f": tomorrow.to_string() }),
            admin,
        )
        .await;
    assert_eq!(
        future["disableService"]["userErrors"][0]["code"],
        "INVALID_INPUT"
    );
    assert_eq!(
        future["disableService"]["userErrors"][0]["field"],
        json!(["input", "from"])
    );
    let before_start = app
        .ok(
            ARCHIVE,
            json!({ "s": service, "e": (domain::today() - Duration::days(40)).to_string() }),
            admin,
        )
        .await;
    assert_eq!(
        before_start["archiveService"]["userErrors"][0]["code"],
        "INVALID_INPUT"
    );
    let token = app.token_for(&customer).await;
    for query in [DISABLE, ENABLE, ARCHIVE] {
        let (_, body) = app
            .graphql(query, json!({ "s": service }), Some(&token))
            .await;
        assert_eq!(crate::helpers::first_code(&body), "FORBIDDEN", "{body}");
    }
    let status = app
        .ok(
            "query($s: ID!) { node(id: $s) { ... on Service { status } } }",
            json!({ "s": service }),
            admin,
        )
        .await;
    assert_eq!(status["node"]["status"], "ACTIVE", "nothing changed");
}
