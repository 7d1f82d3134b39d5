//! Recurring billing (SPEC.md "Recurring billing"): a worked month to the cent, aggregated
//! sub-accounts rolled up and tagged, exactly-once runs (again, interrupted, concurrent),
//! mid-month links, prepaid balances, and random schedules billed day by day.
//!
//! Dates in the past cannot be made through the API (pauses, links and tariff changes
//! happen "now"), so the tests make them through the API where they can and then move
//! their dates to the schedule under test, directly in the database.

use chrono::{NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use serde_json::{Value, json};

use entity::{
    account_link, document_content, enums::ServiceStatus, invoice, invoice_line, service,
    service_pause, service_rate,
};
use portal_api::domain::billing;

use crate::helpers::{TestApp, decode_pk, encode_id, first_code};

const RUN: &str = "mutation($p: Date!) { runBilling(input: {periodStart: $p}) { invoicesIssued invoicesUnpaid servicesActivated userErrors { code field } } }";
const INVOICES: &str = "query($a: ID!) { node(id: $a) { ... on Account { balance invoices(first: 10) { totalCount nodes {
  number kind status periodStart subtotal tax total document { id }
  lines { description subAccount { id } service { id } quantity unitPrice taxPercent periodFrom periodTo net tax total } } } } } }";
const DECEMBER: &str = "2026-12-01";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

async fn tariff(app: &TestApp, name: &str, price: &str) -> String {
    app.ok(
        "mutation($n: String!, $p: Decimal!) { createTariff(input: {name: $n, kind: INTERNET, price: $p, taxPercent: \"19\", allowsSelfChange: true}) { tariff { id } } }",
        json!({ "n": name, "p": price }),
        Some(app.admin()),
    )
    .await["createTariff"]["tariff"]["id"]
        .as_str()
        .expect("tariff")
        .to_string()
}

/// An `ACTIVE` service from `start` on; returns its primary key.
async fn place(app: &TestApp, account: &str, tariff: &str, start: NaiveDate) -> i64 {
    let t = entity::tariff::Entity::find_by_id(decode_pk(tariff))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("tariff");
    portal_api::fixtures::demo::place_service(
        &app.state.db,
        decode_pk(account),
        &t,
        ServiceStatus::Active,
        start,
    )
    .await
    .expect("service placed")
    .id
}

async fn update_service(app: &TestApp, id: i64, change: impl FnOnce(&mut service::ActiveModel)) {
    let found = service::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("service");
    let mut active: service::ActiveModel = found.into();
    change(&mut active);
    active.update(&app.state.db).await.expect("updated");
}

/// A pause of `[from, until)`.
async fn pause(app: &TestApp, service: i64, from: NaiveDate, until: Option<NaiveDate>) {
    service_pause::ActiveModel {
        service_id: Set(service),
        paused_on: Set(from),
        resumed_on: Set(until),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .expect("pause");
}

fn at(s: &str) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(
        &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"),
    )
}

/// Moves the sub-account's latest link to the given times.
async fn move_link(app: &TestApp, sub: &str, linked: &str, unlinked: Option<&str>) {
    let latest = account_link::Entity::find()
        .filter(account_link::Column::SubAccountId.eq(decode_pk(sub)))
        .order_by_desc(account_link::Column::Id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("a link row");
    let mut active: account_link::ActiveModel = latest.into();
    active.linked_at = Set(at(linked));
    if let Some(u) = unlinked {
        active.unlinked_at = Set(Some(at(u)));
    }
    active.update(&app.state.db).await.expect("moved");
}

async fn run(app: &TestApp, month: &str) -> Value {
    app.ok(RUN, json!({ "p": month }), Some(app.admin())).await["runBilling"].clone()
}

async fn account_invoices(app: &TestApp, account: &str) -> Value {
    app.ok(INVOICES, json!({ "a": account }), Some(app.admin()))
        .await["node"]
        .clone()
}

/// The lines of an invoice as (sub-account, from, to, net, tax, total), for comparing.
fn line_figures(invoice: &Value) -> Vec<Value> {
    invoice["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            json!([
                l["subAccount"]["id"],
                l["periodFrom"],
                l["periodTo"],
                l["net"],
                l["tax"],
                l["total"]
            ])
        })
        .collect()
}

#[tokio::test]
async fn a_worked_month_of_aggregated_billing_is_exact_to_the_cent() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bill").await;
    let (main, sub_a, sub_c) = (&t.main, &t.aggregated, &t.independent);
    let sub_b = app.create_account("bill-b", json!({})).await;
    assert_eq!(app.link(main, &sub_b, "AGGREGATED").await, json!([]));
    for sub in [sub_a, &sub_b, sub_c] {
        move_link(&app, sub, "2026-11-01 10:00", None).await;
    }
    let f30 = tariff(&app, "Fiber 30", "30.00").await;
    let f4999 = tariff(&app, "Fiber 49.99", "49.99").await;
    let f25 = tariff(&app, "Fiber 25", "25.00").await;
    let f20 = tariff(&app, "Fiber 20", "20.00").await;
    let f40 = tariff(&app, "Fiber 40", "40.00").await;
    let f31 = tariff(&app, "Fiber 31", "31.00").await;
    let f10 = tariff(&app, "Fiber 10", "10.00").await;
    let f15 = tariff(&app, "Fiber 15", "15.00").await;

    // Sub-account A: a whole month, and a service starting mid-month.
    let s1 = place(&app, sub_a, &f30, d("2026-10-01")).await;
    let s2 = place(&app, sub_a, &f4999, d("2026-12-10")).await;
    // Sub-account B: a pause from the 5th up to the 15th, a tariff change on the 20th, and a
    // service whose order paid its first month, through 14 December.
    let s3 = place(&app, &sub_b, &f25, d("2026-10-01")).await;
    pause(&app, s3, d("2026-12-05"), Some(d("2026-12-15"))).await;
    let s4 = place(&app, &sub_b, &f20, d("2026-10-01")).await;
    let changed = app
        .ok(
            "mutation($s: ID!, $t: ID!) { changeService(input: {serviceId: $s, tariffId: $t, mode: SELF_CHANGE}) { service { price } userErrors { code } } }",
            json!({ "s": encode_id("Service", s4), "t": f40 }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(changed["changeService"]["service"]["price"], "40.00");
    service_rate::Entity::update_many()
        .col_expr(
            service_rate::Column::ValidFrom,
            Expr::value(d("2026-12-20")),
        )
        .filter(service_rate::Column::ServiceId.eq(s4))
        .filter(service_rate::Column::TariffId.eq(decode_pk(&f40)))
        .exec(&app.state.db)
        .await
        .expect("rate moved");
    let s5 = place(&app, &sub_b, &f31, d("2026-11-15")).await;
    let paid = portal_api::domain::order::first_month_paid_through(d("2026-11-15"));
    assert_eq!(paid, Some(d("2026-12-14")));
    update_service(&app, s5, |s| s.paid_through = Set(paid)).await;
    // The independent sub-account and the main account's own service.
    let s6 = place(&app, sub_c, &f10, d("2026-10-01")).await;
    let s7 = place(&app, main, &f15, d("2026-10-01")).await;

    let out = run(&app, DECEMBER).await;
    assert_eq!(
        out,
        json!({ "invoicesIssued": 2, "invoicesUnpaid": 0, "servicesActivated": 0, "userErrors": [] })
    );

    let m = account_invoices(&app, main).await;
    assert_eq!(m["invoices"]["totalCount"], 1);
    let inv = &m["invoices"]["nodes"][0];
    let (a, b) = (json!(sub_a), json!(sub_b));
    // By hand, 31 days, tax 19% on each line's rounded net:
    assert_eq!(
        line_figures(inv),
        vec![
            // 30.00 × 31/31 = 30.00; tax 5.70
            json!([a, "2026-12-01", "2026-12-31", "30.00", "5.70", "35.70"]),
            // 49.99 × 22/31 = 35.4767 → 35.48; tax 6.7412 → 6.74
            json!([a, "2026-12-10", "2026-12-31", "35.48", "6.74", "42.22"]),
            // 25.00 × 4/31 = 3.2258 → 3.23; tax 0.6137 → 0.61
            json!([b, "2026-12-01", "2026-12-04", "3.23", "0.61", "3.84"]),
            // 25.00 × 17/31 = 13.7097 → 13.71; tax 2.6049 → 2.60
            json!([b, "2026-12-15", "2026-12-31", "13.71", "2.60", "16.31"]),
            // 20.00 × 19/31 = 12.2581 → 12.26; tax 2.3294 → 2.33
            json!([b, "2026-12-01", "2026-12-19", "12.26", "2.33", "14.59"]),
            // 40.00 × 12/31 = 15.4839 → 15.48; tax 2.9412 → 2.94
            json!([b, "2026-12-20", "2026-12-31", "15.48", "2.94", "18.42"]),
            // 31.00 × 17/31 = 17.00; tax 3.23
            json!([b, "2026-12-15", "2026-12-31", "17.00", "3.23", "20.23"]),
            // The main account's own service: not tagged.
            json!([null, "2026-12-01", "2026-12-31", "15.00", "2.85", "17.85"]),
        ]
    );
    assert_eq!(
        (
            &inv["kind"],
            &inv["status"],
            &inv["periodStart"],
            &inv["subtotal"],
            &inv["tax"],
            &inv["total"]
        ),
        (
            &json!("RECURRING"),
            &json!("PAID"),
            &json!(DECEMBER),
            &json!("142.16"),
            &json!("27.00"),
            &json!("169.16")
        )
    );
    let line_ids: Vec<i64> = inv["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| decode_pk(l["service"]["id"].as_str().expect("service")))
        .collect();
    assert_eq!(line_ids, vec![s1, s2, s3, s3, s4, s4, s5, s7]);
    assert_eq!(
        inv["lines"][4]["description"],
        "Fiber 20, 2026-12-01 to 2026-12-19 (19 of 31 days)"
    );
    assert_eq!(inv["lines"][5]["unitPrice"], "40.00");
    // Charged to the main account's balance through the ledger.
    assert_eq!(m["balance"], "-169.16");

    // The PDF has a subtotal per sub-account: A 35.70 + 42.22; B the other five lines.
    let doc = decode_pk(inv["document"]["id"].as_str().expect("document"));
    let pdf = document_content::Entity::find_by_id(doc)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("pdf");
    let text = String::from_utf8_lossy(&pdf.bytes);
    assert!(text.contains("Subtotals per sub-account"));
    assert!(
        text.contains("(Name of bill-agg) Tj") && text.contains("(77.92) Tj"),
        "A's subtotal"
    );
    assert!(
        text.contains("(Name of bill-b) Tj") && text.contains("(73.39) Tj"),
        "B's subtotal"
    );
    assert!(
        text.contains("(169.16 USD) Tj") || text.contains("169.16"),
        "total"
    );

    // The independent sub-account is billed on its own invoice, never on the main's.
    let c = account_invoices(&app, sub_c).await;
    assert_eq!(
        line_figures(&c["invoices"]["nodes"][0]),
        vec![json!([
            null,
            "2026-12-01",
            "2026-12-31",
            "10.00",
            "1.90",
            "11.90"
        ])]
    );
    assert_eq!(c["balance"], "-11.90");
    assert!(!line_ids.contains(&s6));
    // Aggregated sub-accounts get no invoice of their own.
    for sub in [sub_a, &sub_b] {
        assert_eq!(
            account_invoices(&app, sub).await["invoices"]["totalCount"],
            0
        );
    }
    // The main account sees its invoice, with the tags, in its own portal.
    let token = app.token_for(main).await;
    let own = app
        .ok(
            "{ viewer { account { invoices(first: 5) { nodes { total lines { subAccount { id } } } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        own["viewer"]["account"]["invoices"]["nodes"][0]["total"],
        "169.16"
    );
    assert_eq!(
        own["viewer"]["account"]["invoices"]["nodes"][0]["lines"][0]["subAccount"]["id"],
        json!(sub_a)
    );

    // Running the month again issues nothing and charges nothing.
    let again = run(&app, DECEMBER).await;
    assert_eq!(again["invoicesIssued"], 0);
    assert_eq!(account_invoices(&app, main).await["balance"], "-169.16");
    assert_eq!(
        invoice::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        2
    );
}

#[tokio::test]
async fn linking_and_unlinking_mid_month_bills_each_side_its_days() {
    let app = TestApp::spawn().await;
    let main = app.create_account("mid-main", json!({})).await;
    let sub = app.create_account("mid-sub", json!({})).await;
    let f31 = tariff(&app, "Fiber 31", "31.00").await;
    place(&app, &sub, &f31, d("2026-10-01")).await;
    assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));
    let unlinked = app
        .ok(
            "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { userErrors { code } } }",
            json!({ "s": sub }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(unlinked["unlinkSubAccount"]["userErrors"], json!([]));
    // Linked on 11 December in the morning, unlinked on the 21st in the afternoon.
    move_link(&app, &sub, "2026-12-11 09:00", Some("2026-12-21 15:00")).await;

    assert_eq!(run(&app, DECEMBER).await["invoicesIssued"], 2);
    // The main pays the 10 linked days, tagged; the sub-account the 10 + 11 others.
    let m = account_invoices(&app, &main).await;
    assert_eq!(
        line_figures(&m["invoices"]["nodes"][0]),
        vec![json!([
            sub,
            "2026-12-11",
            "2026-12-20",
            "10.00",
            "1.90",
            "11.90"
        ])]
    );
    let s = account_invoices(&app, &sub).await;
    assert_eq!(
        line_figures(&s["invoices"]["nodes"][0]),
        vec![
            json!([null, "2026-12-01", "2026-12-10", "10.00", "1.90", "11.90"]),
            json!([null, "2026-12-21", "2026-12-31", "11.00", "2.09", "13.09"]),
        ]
    );
    // Together exactly one month: 31.00 + 5.89 tax.
    assert_eq!(
        (&m["balance"], &s["balance"]),
        (&json!("-11.90"), &json!("-24.99"))
    );
}

#[tokio::test]
async fn a_prepaid_balance_never_goes_below_zero() {
    let app = TestApp::spawn().await;
    let f10 = tariff(&app, "Fiber 10", "10.00").await;
    let short = app
        .create_account("short", json!({ "billingMode": "PREPAID" }))
        .await;
    let enough = app
        .create_account("enough", json!({ "billingMode": "PREPAID" }))
        .await;
    for (who, amount) in [(&short, "5.00"), (&enough, "20.00")] {
        app.ok(
            "mutation($a: ID!, $m: Decimal!) { adjustBalance(input: {accountId: $a, amount: $m, reason: \"top-up\"}) { userErrors { code } } }",
            json!({ "a": who, "m": amount }),
            Some(app.admin()),
        )
        .await;
        place(&app, who, &f10, d("2026-10-01")).await;
    }
    let out = run(&app, DECEMBER).await;
    assert_eq!(
        (&out["invoicesIssued"], &out["invoicesUnpaid"]),
        (&json!(2), &json!(1))
    );
    let s = account_invoices(&app, &short).await;
    assert_eq!(
        (
            &s["balance"],
            &s["invoices"]["nodes"][0]["status"],
            &s["invoices"]["nodes"][0]["total"]
        ),
        (&json!("5.00"), &json!("UNPAID"), &json!("11.90"))
    );
    let e = account_invoices(&app, &enough).await;
    assert_eq!(
        (&e["balance"], &e["invoices"]["nodes"][0]["status"]),
        (&json!("8.10"), &json!("PAID"))
    );
    // The account holder is told.
    let token = app.token_for(&short).await;
    let note = app
        .ok(
            "{ viewer { notifications(first: 5) { nodes { kind message } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let first = &note["viewer"]["notifications"]["nodes"][0];
    assert_eq!(first["kind"], "INVOICE_ISSUED");
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.contains("unpaid")),
        "{first}"
    );
}

/// A main with an aggregated sub-account, an independent sub-account and a standalone
/// customer, one 31.00 service each, linked since before December: three payers.
async fn three_payers(app: &TestApp) -> Vec<String> {
    let t = app.tenant("x").await;
    let solo = app.create_account("x-solo", json!({})).await;
    let f31 = tariff(app, "Fiber 31", "31.00").await;
    for sub in [&t.aggregated, &t.independent] {
        move_link(app, sub, "2026-11-01 00:00", None).await;
    }
    for who in [&t.main, &t.aggregated, &t.independent, &solo] {
        place(app, who, &f31, d("2026-10-01")).await;
    }
    vec![t.main, t.independent, solo]
}

/// Every service's December days are on exactly one invoice line, and each payer has one
/// invoice whose total is the sum of its lines.
async fn assert_billed_once(app: &TestApp, payers: &[String]) {
    let invoices = invoice::Entity::find()
        .all(&app.state.db)
        .await
        .expect("invoices");
    let mut owners: Vec<i64> = invoices.iter().map(|i| i.account_id).collect();
    owners.sort();
    let mut expected: Vec<i64> = payers.iter().map(|p| decode_pk(p)).collect();
    expected.sort();
    assert_eq!(owners, expected, "one invoice per payer");
    let lines = invoice_line::Entity::find()
        .all(&app.state.db)
        .await
        .expect("lines");
    let services = service::Entity::find()
        .all(&app.state.db)
        .await
        .expect("services");
    for s in &services {
        let of: Vec<_> = lines
            .iter()
            .filter(|l| l.service_id == Some(s.id))
            .collect();
        assert_eq!(of.len(), 1, "service {} billed once", s.id);
        assert_eq!(
            (of[0].period_from, of[0].period_to),
            (Some(d("2026-12-01")), Some(d("2026-12-31")))
        );
    }
    for i in &invoices {
        let sum: i64 = lines
            .iter()
            .filter(|l| l.invoice_id == i.id)
            .map(|l| l.total_minor)
            .sum();
        assert_eq!(sum, i.total_minor, "total = sum of lines");
    }
    // One ledger entry per invoice.
    assert_eq!(
        entity::balance_entry::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        payers.len() as u64
    );
}

#[tokio::test]
async fn an_interrupted_run_completes_cleanly_on_the_next_run() {
    let app = TestApp::spawn().await;
    let payers = three_payers(&app).await;
    let month = billing::Month::parse("2026-12").expect("month");
    let admin = portal_api::auth::Viewer::Admin(portal_api::auth::StaffViewer {
        id: 1,
        full_name: "Test".into(),
    });
    // A run that died inside a payer's transaction leaves nothing behind...
    {
        let txn = portal_api::db::write_txn(&app.state.db).await.expect("txn");
        let payer = entity::account::Entity::find_by_id(decode_pk(&payers[0]))
            .one(&txn)
            .await
            .expect("query")
            .expect("payer");
        portal_api::domain::invoice::issue(
            &txn,
            &payer,
            entity::enums::InvoiceKind::Recurring,
            entity::enums::InvoiceStatus::Paid,
            &[],
            None,
            Some(month.first),
        )
        .await
        .expect("issued inside the transaction");
        // Dropped without commit: the process died here.
    }
    assert_eq!(
        invoice::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
    // ...and one that died after its first payer leaves that payer's invoice whole.
    // Candidates: the three payers; not the sub-account aggregated under its main all
    // month (its main's invoice bills it).
    let todo = billing::payers(&app.state.db, &month)
        .await
        .expect("payers");
    assert_eq!(todo.len(), 3);
    let first = billing::bill_payer(&app.state.db, &admin, &month, todo[0])
        .await
        .expect("billed")
        .expect("an invoice");
    assert_eq!(
        billing::payers(&app.state.db, &month)
            .await
            .expect("payers")
            .len(),
        2,
        "the next run starts with the payers left"
    );

    let out = run(&app, DECEMBER).await;
    assert_eq!(out["invoicesIssued"], 2);
    assert_eq!(run(&app, DECEMBER).await["invoicesIssued"], 0);
    assert_billed_once(&app, &payers).await;
    // Numbers stay gapless: the rolled-back number was given back.
    let mut numbers: Vec<String> = invoice::Entity::find()
        .all(&app.state.db)
        .await
        .expect("invoices")
        .into_iter()
        .map(|i| i.number)
        .collect();
    numbers.sort();
    // All three payers belong to the default partner: one series, `INV-{year}-P{id}-…`.
    let (year, series) = (
        &first.number[4..8],
        first.number.trim_end_matches(|c: char| c.is_ascii_digit()),
    );
    assert!(
        series.starts_with(&format!("INV-{year}-P")) && series.ends_with('-'),
        "{series}"
    );
    assert_eq!(
        numbers,
        (1..=3)
            .map(|n| format!("{series}{n:06}"))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn concurrent_runs_bill_once() {
    let app = TestApp::spawn().await;
    let payers = three_payers(&app).await;
    let (a, b, c, d) = tokio::join!(
        run(&app, DECEMBER),
        run(&app, DECEMBER),
        run(&app, DECEMBER),
        run(&app, DECEMBER)
    );
    let outs = [a, b, c, d];
    let issued: i64 = outs
        .iter()
        .map(|o| o["invoicesIssued"].as_i64().expect("count"))
        .sum();
    assert_eq!(issued, 3, "{outs:?}");
    assert_billed_once(&app, &payers).await;
}

#[tokio::test]
async fn runs_refuse_bad_months_and_customers_and_activate_started_services() {
    let app = TestApp::spawn().await;
    let who = app.create_account("bad-month", json!({})).await;
    for (month, why) in [
        ("2026-12-15", "not the 1st"),
        ("2999-01-01", "too far ahead"),
    ] {
        let out = run(&app, month).await;
        assert_eq!(
            out["userErrors"],
            json!([{ "code": "INVALID_INPUT", "field": ["input", "periodStart"] }]),
            "{why}"
        );
    }
    for outside in ["-4800-01-01", "+12026-01-01"] {
        let (_, body) = app
            .graphql(RUN, json!({ "p": outside }), Some(app.admin()))
            .await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{outside}: {body}");
    }
    let token = app.token_for(&who).await;
    let (_, body) = app
        .graphql(RUN, json!({ "p": DECEMBER }), Some(&token))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");

    // A service approved for a start date that has come turns ACTIVE on the next run.
    let f10 = tariff(&app, "Fiber 10", "10.00").await;
    let pending = app.add_service(&who, &f10, ServiceStatus::Pending).await;
    let yesterday = Utc::now().date_naive().pred_opt().expect("date");
    update_service(&app, pending, |s| s.start_date = Set(Some(yesterday))).await;
    let this_month = format!("{}", yesterday.format("%Y-%m-01"));
    let out = run(&app, &this_month).await;
    assert_eq!(out["servicesActivated"], 1);
    let status = service::Entity::find_by_id(pending)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("service")
        .status;
    assert_eq!(status, ServiceStatus::Active);
    assert_eq!(nothing_twice(&app, &this_month).await, 0);
}

async fn nothing_twice(app: &TestApp, month: &str) -> i64 {
    run(app, month).await["invoicesIssued"]
        .as_i64()
        .expect("count")
}

/// One random service schedule of the property test, with what the test expects of it.
struct Case {
    service: i64,
    owner: i64,
    start: NaiveDate,
    end: Option<NaiveDate>,
    paid_through: Option<NaiveDate>,
    pauses: Vec<(NaiveDate, Option<NaiveDate>)>,
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, n).expect("december day")
}

#[tokio::test]
async fn random_schedules_bill_every_day_once_to_the_right_payer() {
    let app = TestApp::spawn().await;
    let mut rng = StdRng::seed_from_u64(0x5eed_b111);
    let f31 = tariff(&app, "Fiber 31", "31.00").await;
    let f62 = tariff(&app, "Fiber 62", "62.00").await;
    let mut cases: Vec<Case> = Vec::new();
    // Per sub-account: its links as (main, aggregated, from-day, until-day).
    let mut links: Vec<(i64, i64, bool, NaiveDate, Option<NaiveDate>)> = Vec::new();
    for k in 0..6 {
        let main = app.create_account(&format!("p{k}-main"), json!({})).await;
        let subs = [
            app.create_account(&format!("p{k}-a"), json!({})).await,
            app.create_account(&format!("p{k}-b"), json!({})).await,
        ];
        for sub in &subs {
            // Up to two link periods in or around December, each aggregated or independent.
            let mut from = rng.gen_range(0..=33u32);
            for _ in 0..rng.gen_range(0..=2) {
                let until = from + rng.gen_range(1..=20u32);
                let aggregated = rng.gen_bool(0.7);
                let as_date = |n: u32| {
                    if n == 0 {
                        d("2026-11-20")
                    } else if n > 31 {
                        d("2027-01-05")
                    } else {
                        day(n)
                    }
                };
                let (f, u) = (as_date(from), (until <= 31).then(|| as_date(until)));
                account_link::ActiveModel {
                    sub_account_id: Set(decode_pk(sub)),
                    main_account_id: Set(decode_pk(&main)),
                    kind: Set(if aggregated {
                        entity::enums::SubAccountType::Aggregated
                    } else {
                        entity::enums::SubAccountType::Independent
                    }),
                    // Some time during the day: the day counts from the link on.
                    linked_at: Set(Utc.from_utc_datetime(
                        &f.and_hms_opt(rng.gen_range(0..24), 30, 0).expect("time"),
                    )),
                    unlinked_at: Set(u.map(|u| {
                        Utc.from_utc_datetime(
                            &u.and_hms_opt(rng.gen_range(0..24), 0, 0).expect("time"),
                        )
                    })),
                    ..Default::default()
                }
                .insert(&app.state.db)
                .await
                .expect("link");
                links.push((decode_pk(sub), decode_pk(&main), aggregated, f, u));
                if u.is_none() {
                    break;
                }
                from = until + rng.gen_range(0..=3);
            }
        }
        for owner in [&main, &subs[0], &subs[1]] {
            for _ in 0..rng.gen_range(1..=2) {
                let start = if rng.gen_bool(0.3) {
                    d("2026-10-15")
                } else {
                    day(rng.gen_range(1..=31))
                };
                let tariff = if rng.gen_bool(0.5) { &f31 } else { &f62 };
                let id = place(&app, owner, tariff, start).await;
                let end = rng
                    .gen_bool(0.3)
                    .then(|| day(rng.gen_range(1..=31)))
                    .filter(|e| *e >= start);
                let paid_through = rng
                    .gen_bool(0.3)
                    .then(|| portal_api::domain::order::first_month_paid_through(start))
                    .flatten();
                update_service(&app, id, |s| {
                    s.end_date = Set(end);
                    s.paid_through = Set(paid_through);
                })
                .await;
                let mut pauses = Vec::new();
                if rng.gen_bool(0.5) {
                    let from = rng.gen_range(1..=31);
                    let until = (rng.gen_bool(0.8))
                        .then(|| from + rng.gen_range(1..=10))
                        .filter(|u| *u <= 31)
                        .map(day);
                    pause(&app, id, day(from), until).await;
                    pauses.push((day(from), until));
                }
                if rng.gen_bool(0.4) {
                    // A price change during the month.
                    let t62 = entity::tariff::Entity::find_by_id(decode_pk(&f62))
                        .one(&app.state.db)
                        .await
                        .expect("query")
                        .expect("tariff");
                    let s = service::Entity::find_by_id(id)
                        .one(&app.state.db)
                        .await
                        .expect("query")
                        .expect("service");
                    portal_api::domain::service::record_rate(
                        &app.state.db,
                        &s,
                        &t62,
                        day(rng.gen_range(2..=31)),
                    )
                    .await
                    .expect("rate");
                }
                cases.push(Case {
                    service: id,
                    owner: decode_pk(owner),
                    start,
                    end,
                    paid_through,
                    pauses,
                });
            }
        }
    }

    run(&app, DECEMBER).await;
    assert_eq!(nothing_twice(&app, DECEMBER).await, 0);

    let invoices = invoice::Entity::find()
        .all(&app.state.db)
        .await
        .expect("invoices");
    let payer_of = |invoice_id: i64| {
        invoices
            .iter()
            .find(|i| i.id == invoice_id)
            .map(|i| i.account_id)
            .expect("invoice")
    };
    let lines = invoice_line::Entity::find()
        .all(&app.state.db)
        .await
        .expect("lines");
    let mut billed_days = 0;
    for c in &cases {
        for n in 1..=31 {
            let today = day(n);
            let expected = today >= c.start
                && c.end.is_none_or(|e| today <= e)
                && c.paid_through.is_none_or(|p| today > p)
                && !c
                    .pauses
                    .iter()
                    .any(|(f, u)| *f <= today && u.is_none_or(|u| today < u));
            let payer = links
                .iter()
                .find(|(sub, _, agg, f, u)| {
                    *sub == c.owner && *agg && *f <= today && u.is_none_or(|u| today < u)
                })
                .map_or(c.owner, |l| l.1);
            let covering: Vec<_> = lines
                .iter()
                .filter(|l| {
                    l.service_id == Some(c.service)
                        && l.period_from.is_some_and(|f| f <= today)
                        && l.period_to.is_some_and(|t| today <= t)
                })
                .collect();
            if expected {
                billed_days += 1;
                assert_eq!(covering.len(), 1, "service {} on {today}", c.service);
                assert_eq!(
                    payer_of(covering[0].invoice_id),
                    payer,
                    "payer of {} on {today}",
                    c.service
                );
                assert_eq!(
                    covering[0].sub_account_id,
                    (payer != c.owner).then_some(c.owner),
                    "tag of {} on {today}",
                    c.service
                );
            } else {
                assert!(
                    covering.is_empty(),
                    "service {} on {today} is not billable",
                    c.service
                );
            }
        }
    }
    assert!(
        billed_days > 100,
        "the schedules bill something: {billed_days}"
    );
    for i in &invoices {
        let of = lines.iter().filter(|l| l.invoice_id == i.id);
        let (net, tax, total) = of.fold((0, 0, 0), |(n, t, s), l| {
            assert_eq!(l.net_minor + l.tax_minor, l.total_minor);
            (n + l.net_minor, t + l.tax_minor, s + l.total_minor)
        });
        assert_eq!(
            (net, tax, total),
            (i.subtotal_minor, i.tax_minor, i.total_minor)
        );
    }
}
