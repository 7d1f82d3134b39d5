//! Recurring billing (SPEC.md "Recurring billing"): a worked month to the cent, aggregated
//! sub-accounts rolled up and tagged, exactly-once runs (again, interrupted, concurrent),
//! mid-month links, prepaid balances, and random schedules billed day by day.
//!
//! Dates in the past cannot be made through the API (pauses, links and tariff changes
//! happen "now"), so the tests make them through the API where they can and then move
//! their dates to the schedule under test, directly in the database.

mod month;
mod once;
mod random;

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

async fn nothing_twice(app: &TestApp, month: &str) -> i64 {
    run(app, month).await["invoicesIssued"]
        .as_i64()
        .expect("count")
}
