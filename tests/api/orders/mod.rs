//! Orders end to end: the three paths, payments and their refusals, idempotency,
//! concurrent approvals, admin decisions with refunds, invoices with PDFs behind signed
//! links, notifications, and the email over SMTP.

mod approvals;
mod decisions;
mod paths;

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, first_code};

const PLACE: &str = "mutation($a: ID!, $items: [OrderItemInput!]!, $pm: PaymentMethodInput, $key: String) {
  placeOrder(input: {accountId: $a, items: $items, paymentMethod: $pm, idempotencyKey: $key}) {
    order { id number status subtotal tax total paymentMethod failureReason account { id } placedBy { id }
      items { quantity unitPrice total serviceRequests { id status } }
      invoice { id number kind status subtotal tax total lines { description total subAccount { id } } document { contentType downloadUrl } } }
    userErrors { code field message } } }";
const APPROVE: &str = "mutation($o: ID!, $pm: PaymentMethodInput!, $key: String) { approveOrder(input: {orderId: $o, paymentMethod: $pm, idempotencyKey: $key}) { order { id status total invoice { id kind total } } userErrors { code } } }";
const REJECT: &str = "mutation($o: ID!, $r: String!) { rejectOrder(input: {orderId: $o, reason: $r}) { order { status rejectionReason } userErrors { code } } }";
const BALANCE: &str = "query($id: ID!) { node(id: $id) { ... on Account { balance } } }";

fn balance() -> Value {
    json!({ "kind": "ACCOUNT_BALANCE" })
}

fn card(token: &str) -> Value {
    json!({ "kind": "GATEWAY", "gatewayToken": token })
}

struct Shop {
    app: TestApp,
    t: Tenant,
    main: String,
    sub: String,
    fiber: String,
    install: String,
}

/// A tenant with management on, a monthly tariff (20.00 + 19%) and a one-time one.
async fn shop() -> Shop {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let fiber = app.create_tariff("Fiber 100", "20.00").await;
    let install = app
        .ok("mutation { createTariff(input: {name: \"Installation\", kind: CUSTOM, period: ONE_TIME, price: \"50.00\", taxPercent: \"19\"}) { tariff { id } } }", json!({}), Some(app.admin()))
        .await["createTariff"]["tariff"]["id"].as_str().expect("id").to_string();
    let main = app.token_for(&t.main).await;
    let sub = app.token_for(&t.aggregated).await;
    Shop {
        app,
        t,
        main,
        sub,
        fiber,
        install,
    }
}

async fn deposit(app: &TestApp, account: &str, amount: &str) {
    let out = app
        .ok("mutation($a: ID!, $m: Decimal!) { adjustBalance(input: {accountId: $a, amount: $m, reason: \"deposit\"}) { userErrors { code } } }", json!({ "a": account, "m": amount }), Some(app.admin()))
        .await;
    assert_eq!(out["adjustBalance"]["userErrors"], json!([]));
}

async fn balance_of(app: &TestApp, account: &str) -> Value {
    app.ok(BALANCE, json!({ "id": account }), Some(app.admin()))
        .await["node"]["balance"]
        .clone()
}

async fn place(s: &Shop, token: &str, account: &str, items: Value, pm: Value, key: Value) -> Value {
    s.app
        .ok(
            PLACE,
            json!({ "a": account, "items": items, "pm": pm, "key": key }),
            Some(token),
        )
        .await["placeOrder"]
        .clone()
}

/// The aggregated sub-account orders one Fiber 100 for itself, with no payment method (it
/// asks its main account): the payload.
async fn sub_orders_fiber(s: &Shop) -> Value {
    place(
        s,
        &s.sub,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        Value::Null,
        Value::Null,
    )
    .await
}

async fn sub_asks(s: &Shop) -> Value {
    let partner = s
        .app
        .ok("{ partners { id } }", json!({}), Some(s.app.admin()))
        .await["partners"][0]["id"]
        .clone();
    s.app.ok("mutation($p: ID!) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: true}) { userErrors { code } } }", json!({ "p": partner }), Some(s.app.admin())).await;
    let out = sub_orders_fiber(s).await;
    assert_eq!(out["userErrors"], json!([]));
    assert_eq!(out["order"]["status"], "AWAITING_MAIN_APPROVAL");
    out["order"].clone()
}
