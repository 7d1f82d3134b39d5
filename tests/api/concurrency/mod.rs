//! Every writing mutation, 24 calls at once: no `INTERNAL_SERVER_ERROR`, and what is stored
//! is exactly what the accepted calls did (balances, switch values, counts). The list of
//! mutations comes from introspection, so a new one fails here until it has its case.

use futures_util::future::join_all;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, encode_id},
    walk::Schema,
};

mod cases;
mod day_to_day;

use cases::case;

pub(super) const N: usize = 24;

/// Sends `N` requests at once; their bodies.
pub(super) async fn at_once<F>(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    vars: F,
) -> Vec<Value>
where
    F: Fn(usize) -> Value,
{
    let calls = (0..N).map(|i| {
        let vars = vars(i);
        async move { app.graphql(query, vars, token).await.1 }
    });
    join_all(calls).await
}

/// How many answers came through without errors and user errors (the accepted calls),
/// after checking that none failed inside the server.
pub(super) fn accepted(what: &str, bodies: &[Value], payload: &str) -> usize {
    for b in bodies {
        assert!(
            b["errors"].as_array().is_none_or(|e| e
                .iter()
                .all(|e| e["extensions"]["code"] != "INTERNAL_SERVER_ERROR")),
            "{what}: an internal error: {b}"
        );
    }
    bodies
        .iter()
        .filter(|b| {
            b.get("errors").is_none()
                && b["data"][payload]["userErrors"]
                    .as_array()
                    .is_none_or(|e| e.is_empty())
        })
        .count()
}

pub(super) async fn count(app: &TestApp, sql: &str) -> i64 {
    app.number(sql).await
}

pub(super) fn pk(id: &str) -> i64 {
    crate::helpers::decode_pk(id)
}

pub(super) struct Shop {
    pub main: String,
    pub sub: String,
    pub main_token: String,
    pub sub_token: String,
    pub fiber: String,
    pub fiber_plus: String,
}

/// A main account (management on, 1,000.00 on its balance) with an aggregated sub-account,
/// whose partner lets sub-accounts order.
async fn shop(app: &TestApp, name: &str) -> Shop {
    let main = app
        .create_account(&format!("{name}-main"), json!({ "status": "ACTIVE" }))
        .await;
    let sub = app
        .create_account(&format!("{name}-sub"), json!({ "status": "ACTIVE" }))
        .await;
    assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));
    app.set_management(&main, true).await;
    app.allow_sub_orders().await;
    app.deposit(&main, "1000.00").await;
    Shop {
        main_token: app.token_for(&main).await,
        sub_token: app.token_for(&sub).await,
        main,
        sub,
        fiber: app.create_tariff(&format!("{name} Fiber"), "20.00").await,
        fiber_plus: app
            .create_tariff(&format!("{name} Fiber Plus"), "30.00")
            .await,
    }
}

async fn balance(app: &TestApp, account: &str) -> Decimal {
    app.ok(
        "query($id: ID!) { node(id: $id) { ... on Account { balance } } }",
        json!({ "id": account }),
        Some(app.admin()),
    )
    .await["node"]["balance"]
        .as_str()
        .expect("balance")
        .parse()
        .expect("a decimal")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

/// An order the sub-account placed, waiting for its main.
async fn waiting_order(app: &TestApp, s: &Shop) -> String {
    let out = app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { id status } userErrors { code } } }",
            json!({ "a": s.sub, "t": s.fiber }),
            Some(&s.sub_token),
        )
        .await;
    assert_eq!(
        out["placeOrder"]["order"]["status"],
        "AWAITING_MAIN_APPROVAL"
    );
    out["placeOrder"]["order"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// A paid order of the main for its sub-account; its pending service requests.
async fn paid_requests(app: &TestApp, s: &Shop) -> Vec<String> {
    let out = app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t, quantity: 2}], paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { items { serviceRequests { id } } } userErrors { code } } }",
            json!({ "a": s.sub, "t": s.fiber }),
            Some(&s.main_token),
        )
        .await;
    out["placeOrder"]["order"]["items"][0]["serviceRequests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

pub(super) async fn service(app: &TestApp, s: &Shop) -> String {
    encode_id(
        "Service",
        app.add_service(&s.sub, &s.fiber, entity::enums::ServiceStatus::Active)
            .await,
    )
}

pub(super) async fn ticket(app: &TestApp, s: &Shop) -> String {
    app.ok(
        "mutation($a: ID!) { createTicket(input: {accountId: $a, subject: \"Line\", message: \"Slow\"}) { ticket { id } } }",
        json!({ "a": s.sub }),
        Some(&s.main_token),
    )
    .await["createTicket"]["ticket"]["id"]
        .as_str()
        .expect("ticket")
        .to_string()
}

async fn change_request(app: &TestApp, s: &Shop) -> String {
    let svc = service(app, s).await;
    app.ok(
        "mutation($s: ID!, $t: ID!) { changeService(input: {serviceId: $s, tariffId: $t, mode: REQUEST}) { changeRequest { id } userErrors { code } } }",
        json!({ "s": svc, "t": s.fiber_plus }),
        Some(&s.main_token),
    )
    .await["changeService"]["changeRequest"]["id"]
        .as_str()
        .expect("change request")
        .to_string()
}

async fn voice_tariff(app: &TestApp) -> String {
    app.ok(
        "mutation { createTariff(input: {name: \"Voice\", kind: VOICE, price: \"5.00\"}) { tariff { id } } }",
        json!({}),
        Some(app.admin()),
    )
    .await["createTariff"]["tariff"]["id"]
        .as_str()
        .expect("tariff")
        .to_string()
}

async fn upload(app: &TestApp, account: &str, i: usize) -> Value {
    use reqwest::multipart;
    let query = "mutation($a: ID!, $f: Upload!) { uploadDocument(input: {accountId: $a, kind: OTHER, title: \"At once\", file: $f}) { document { id } userErrors { code } } }";
    let form = multipart::Form::new()
        .text(
            "operations",
            json!({ "query": query, "variables": { "a": account, "f": null } }).to_string(),
        )
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part(
            "0",
            multipart::Part::bytes(format!("%PDF-1.4\n{i}\n%%EOF\n").into_bytes())
                .file_name("doc.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        );
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(app.admin())
        .header("x-requested-with", "tests")
        .multipart(form)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn every_writing_mutation_holds_under_24_concurrent_calls() {
    let app = TestApp::spawn().await;
    let schema = Schema::load(&app).await;
    for login in ["login-case", "refresh-case"] {
        app.create_account(login, json!({ "status": "ACTIVE" }))
            .await;
    }
    let s = shop(&app, "at-once").await;
    for mutation in schema.field_names("Mutation") {
        case(&app, &mutation, &s).await;
    }
}
