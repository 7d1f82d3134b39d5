//! Orders end to end: the three paths, payments and their refusals, idempotency,
//! concurrent approvals, admin decisions with refunds, invoices with PDFs behind signed
//! links, notifications, and the email over SMTP.

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

#[tokio::test]
async fn a_main_account_orders_for_its_aggregated_sub_account_and_pays_from_its_balance() {
    let s = shop().await;
    deposit(&s.app, &s.t.main, "100.00").await;
    let out = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber, "quantity": 2 }]),
        balance(),
        Value::Null,
    )
    .await;
    assert_eq!(out["userErrors"], json!([]));
    let order = &out["order"];
    assert_eq!(order["status"], "PAID");
    assert_eq!(
        (
            order["subtotal"].as_str(),
            order["tax"].as_str(),
            order["total"].as_str()
        ),
        (Some("40.00"), Some("7.60"), Some("47.60"))
    );
    assert_eq!(order["paymentMethod"], "ACCOUNT_BALANCE");
    assert_eq!(order["account"]["id"], json!(s.t.aggregated));
    assert_eq!(order["placedBy"]["id"], json!(s.t.main));
    assert_eq!(
        order["items"][0]["serviceRequests"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert!(
        order["items"][0]["serviceRequests"]
            .as_array()
            .expect("list")
            .iter()
            .all(|r| r["status"] == "PENDING")
    );
    let invoice = &order["invoice"];
    assert!(
        invoice["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("INV-") && n.ends_with("-000001")),
        "{invoice}"
    );
    assert_eq!(
        (
            invoice["kind"].as_str(),
            invoice["status"].as_str(),
            invoice["total"].as_str()
        ),
        (Some("RECURRING"), Some("PAID"), Some("47.60"))
    );
    assert_eq!(
        invoice["lines"][0]["subAccount"]["id"],
        json!(s.t.aggregated)
    );
    assert_eq!(balance_of(&s.app, &s.t.main).await, "52.40");

    // The PDF opens through the signed link and carries the invoice number.
    let url = invoice["document"]["downloadUrl"].as_str().expect("link");
    let resp = s.app.client.get(s.app.url(url)).send().await.expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline")
    );
    let bytes = resp.bytes().await.expect("body");
    assert!(bytes.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&bytes).contains(invoice["number"].as_str().expect("number")));

    // Manage orders lists it for the main; the sub-account sees no invoice and no main.
    let managed = s.app.ok("{ viewer { account { subAccountOrders { totalCount nodes { number account { id } } } invoices { totalCount } } } }", json!({}), Some(&s.main)).await;
    assert_eq!(
        managed["viewer"]["account"]["subAccountOrders"]["totalCount"],
        1
    );
    assert_eq!(managed["viewer"]["account"]["invoices"]["totalCount"], 1);
    // The sub-account has no billing of its own (its main pays), and the order is the
    // main's.
    let (_, sub_view) = s
        .app
        .graphql(
            "{ viewer { account { invoices { totalCount } orders { totalCount } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        sub_view["data"]["viewer"]["account"],
        json!({ "invoices": null, "orders": { "totalCount": 0 } })
    );
    assert_eq!(sub_view["errors"][0]["extensions"]["action"], "viewBilling");
    let (_, body) = s
        .app
        .graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": order["id"] }),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        first_code(&body),
        "NOT_FOUND",
        "a sub-account does not see what its main placed for it"
    );
}

#[tokio::test]
async fn a_tampered_or_unsigned_download_link_is_refused() {
    let s = shop().await;
    deposit(&s.app, &s.t.main, "100.00").await;
    let out = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.install }]),
        balance(),
        Value::Null,
    )
    .await;
    assert_eq!(out["order"]["invoice"]["kind"], "ONE_TIME");
    let url = out["order"]["invoice"]["document"]["downloadUrl"]
        .as_str()
        .expect("link")
        .to_string();
    let id = url
        .trim_start_matches("/documents/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    // Change the signature's last hex digit (to another digit, whatever it was).
    let last = if url.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &url[..url.len() - 1]);
    for bad in [
        tampered,
        format!("/documents/{id}"),
        url.replace(&format!("/documents/{id}?"), "/documents/999999?"),
    ] {
        let resp = s
            .app
            .client
            .get(s.app.url(&bad))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{bad}");
    }
}

#[tokio::test]
async fn insufficient_balance_and_a_declined_card_charge_nothing() {
    let s = shop().await;
    deposit(&s.app, &s.t.main, "10.00").await;
    let poor = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        balance(),
        Value::Null,
    )
    .await;
    assert_eq!(poor["userErrors"][0]["code"], "INSUFFICIENT_BALANCE");
    assert_eq!(poor["order"]["status"], "PAYMENT_FAILED");
    assert_eq!(poor["order"]["invoice"], Value::Null);
    assert_eq!(poor["order"]["items"][0]["serviceRequests"], json!([]));
    let declined = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_declined"),
        Value::Null,
    )
    .await;
    assert_eq!(declined["userErrors"][0]["code"], "PAYMENT_DECLINED");
    assert_eq!(declined["order"]["status"], "PAYMENT_FAILED");
    let unknown = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_whatever"),
        Value::Null,
    )
    .await;
    assert_eq!(
        unknown["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "paymentMethod"], "message": "unknown payment token" }])
    );
    assert_eq!(unknown["order"], Value::Null);
    assert_eq!(balance_of(&s.app, &s.t.main).await, "10.00");
    let data = s
        .app
        .ok(
            "{ viewer { account { invoices { totalCount } subAccountOrders { totalCount } } } } ",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(data["viewer"]["account"]["invoices"]["totalCount"], 0);
    assert_eq!(
        data["viewer"]["account"]["subAccountOrders"]["totalCount"], 2,
        "failed attempts are kept for history"
    );
    let requests = s
        .app
        .ok(
            "{ serviceRequests { totalCount } }",
            json!({}),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(requests["serviceRequests"]["totalCount"], 0);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_first_order_and_charges_once() {
    let s = shop().await;
    let first = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_ok"),
        json!("cart-1"),
    )
    .await;
    let again = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_ok"),
        json!("cart-1"),
    )
    .await;
    assert_eq!(first["order"]["id"], again["order"]["id"]);
    assert_eq!(again["order"]["status"], "PAID");
    let data = s
        .app
        .ok(
            "{ viewer { account { invoices { totalCount } subAccountOrders { totalCount } } } }",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(
        data["viewer"]["account"],
        json!({ "invoices": { "totalCount": 1 }, "subAccountOrders": { "totalCount": 1 } })
    );
}

#[tokio::test]
async fn ordering_follows_the_permission_table() {
    let s = shop().await;
    let other = s.app.tenant("other").await;
    let items = json!([{ "tariffId": s.fiber }]);
    let (_, body) = s
        .app
        .graphql(
            PLACE,
            json!({ "a": s.t.independent, "items": items, "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await;
    assert_eq!(
        first_code(&body),
        "FORBIDDEN",
        "not for an independent sub-account"
    );
    let (_, body) = s
        .app
        .graphql(
            PLACE,
            json!({ "a": other.aggregated, "items": items, "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND", "another tenant's account");
    s.app.set_management(&s.t.main, false).await;
    let (_, body) = s
        .app
        .graphql(
            PLACE,
            json!({ "a": s.t.aggregated, "items": items, "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN", "management off");
    // Any customer orders for itself and pays itself.
    let own = place(
        &s,
        &s.main,
        &s.t.main,
        items.clone(),
        card("tok_ok"),
        Value::Null,
    )
    .await;
    assert_eq!(own["order"]["status"], "PAID");
    let ind = s.app.token_for(&s.t.independent).await;
    let own = place(
        &s,
        &ind,
        &s.t.independent,
        items,
        card("tok_ok"),
        Value::Null,
    )
    .await;
    assert_eq!(own["order"]["status"], "PAID");
    assert_eq!(own["order"]["invoice"]["total"], "23.80");
}

async fn sub_asks(s: &Shop) -> Value {
    let partner = s
        .app
        .ok("{ partners { id } }", json!({}), Some(s.app.admin()))
        .await["partners"][0]["id"]
        .clone();
    s.app.ok("mutation($p: ID!) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: true}) { userErrors { code } } }", json!({ "p": partner }), Some(s.app.admin())).await;
    let out = place(
        s,
        &s.sub,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        Value::Null,
        Value::Null,
    )
    .await;
    assert_eq!(out["userErrors"], json!([]));
    assert_eq!(out["order"]["status"], "AWAITING_MAIN_APPROVAL");
    out["order"].clone()
}

#[tokio::test]
async fn a_sub_account_asks_its_main_only_when_its_partner_allows_it() {
    let s = shop().await;
    let refused = place(
        &s,
        &s.sub,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        Value::Null,
        Value::Null,
    )
    .await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_ALLOWED_BY_SETTINGS");
    assert_eq!(refused["order"], Value::Null);
    let order = sub_asks(&s).await;
    assert_eq!(order["invoice"], Value::Null);
    let main = s.app.ok("{ viewer { unreadNotificationCount notifications { nodes { kind message order { id } } } account { subAccountOrders(status: [AWAITING_MAIN_APPROVAL]) { totalCount } } } }", json!({}), Some(&s.main)).await;
    assert_eq!(main["viewer"]["unreadNotificationCount"], 1);
    assert_eq!(
        main["viewer"]["notifications"]["nodes"][0]["kind"],
        "SUB_ACCOUNT_ORDER_PLACED"
    );
    assert_eq!(
        main["viewer"]["notifications"]["nodes"][0]["order"]["id"],
        order["id"]
    );
    assert_eq!(
        main["viewer"]["account"]["subAccountOrders"]["totalCount"],
        1
    );
    // The sub-account sees its own order.
    let mine = s
        .app
        .ok(
            "{ viewer { account { orders { nodes { id status } } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        mine["viewer"]["account"]["orders"]["nodes"][0]["id"],
        order["id"]
    );
    let read = s
        .app
        .ok(
            "mutation { markNotificationsRead(input: {all: true}) { unreadNotificationCount } }",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(read["markNotificationsRead"]["unreadNotificationCount"], 0);
}

#[tokio::test]
async fn the_main_approves_a_sub_accounts_order_by_paying_it() {
    let s = shop().await;
    let order = sub_asks(&s).await;
    let out = s
        .app
        .ok(
            APPROVE,
            json!({ "o": order["id"], "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await["approveOrder"]
        .clone();
    assert_eq!(out["userErrors"], json!([]));
    assert_eq!(out["order"]["status"], "PAID");
    assert_eq!(out["order"]["invoice"]["kind"], "RECURRING");
    assert_eq!(out["order"]["invoice"]["total"], "23.80");
    let sub = s
        .app
        .ok(
            "{ viewer { notifications { nodes { kind } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        sub["viewer"]["notifications"]["nodes"][0]["kind"],
        "ORDER_PAID"
    );
    let again = s
        .app
        .ok(
            APPROVE,
            json!({ "o": order["id"], "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await["approveOrder"]
        .clone();
    assert_eq!(again["userErrors"], json!([{ "code": "INVALID_STATE" }]));
}

#[tokio::test]
async fn the_main_rejects_a_sub_accounts_order_and_the_sub_account_is_told() {
    let s = shop().await;
    let order = sub_asks(&s).await;
    let out = s
        .app
        .ok(
            REJECT,
            json!({ "o": order["id"], "r": "not this month" }),
            Some(&s.main),
        )
        .await["rejectOrder"]
        .clone();
    assert_eq!(
        out,
        json!({ "order": { "status": "REJECTED_BY_MAIN", "rejectionReason": "not this month" }, "userErrors": [] })
    );
    let sub = s
        .app
        .ok(
            "{ viewer { notifications { nodes { kind message } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        sub["viewer"]["notifications"]["nodes"][0]["kind"],
        "ORDER_REJECTED"
    );
    let approve = s
        .app
        .ok(
            APPROVE,
            json!({ "o": order["id"], "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await["approveOrder"]
        .clone();
    assert_eq!(approve["userErrors"], json!([{ "code": "INVALID_STATE" }]));
    // The sub-account itself may not approve or reject.
    let (_, body) = s
        .app
        .graphql(REJECT, json!({ "o": order["id"], "r": "x" }), Some(&s.sub))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn eight_concurrent_approvals_pay_once_and_issue_one_invoice() {
    let s = Arc::new(shop().await);
    deposit(&s.app, &s.t.main, "100.00").await;
    let order = sub_asks(&s).await;
    let mut handles = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        let id = order["id"].clone();
        handles.push(tokio::spawn(async move {
            s.app
                .ok(APPROVE, json!({ "o": id, "pm": balance() }), Some(&s.main))
                .await["approveOrder"]
                .clone()
        }));
    }
    let mut paid = 0;
    for h in handles {
        let out = h.await.expect("task");
        if out["userErrors"] == json!([]) {
            paid += 1;
        } else {
            assert_eq!(out["userErrors"], json!([{ "code": "INVALID_STATE" }]));
        }
    }
    assert_eq!(paid, 1);
    assert_eq!(balance_of(&s.app, &s.t.main).await, "76.20");
    let data = s
        .app
        .ok(
            "{ viewer { account { invoices { totalCount } } } }",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(data["viewer"]["account"]["invoices"]["totalCount"], 1);
}

const REQUESTS: &str = "{ serviceRequests(status: PENDING) { totalCount nodes { id account { id } tariff { name } order { id } } } }";

#[tokio::test]
async fn an_admin_approves_with_a_start_date_or_rejects_with_a_refund() {
    let s = shop().await;
    deposit(&s.app, &s.t.main, "100.00").await;
    let out = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber, "quantity": 2 }]),
        balance(),
        Value::Null,
    )
    .await;
    let order_id = out["order"]["id"].clone();
    let pending =
        s.app.ok(REQUESTS, json!({}), Some(s.app.admin())).await["serviceRequests"].clone();
    assert_eq!(pending["totalCount"], 2);
    let (first, second) = (
        pending["nodes"][0]["id"].clone(),
        pending["nodes"][1]["id"].clone(),
    );

    let approve = "mutation($r: ID!, $d: Date!) { approveServiceRequest(input: {serviceRequestId: $r, startDate: $d}) { serviceRequest { status startDate service { status startDate paidThrough price } } userErrors { code } } }";
    let (_, body) = s
        .app
        .graphql(
            approve,
            json!({ "r": first, "d": "2026-12-01" }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN", "only admins approve");
    let done = s
        .app
        .ok(
            approve,
            json!({ "r": first, "d": "2099-12-01" }),
            Some(s.app.admin()),
        )
        .await["approveServiceRequest"]
        .clone();
    assert_eq!(done["serviceRequest"]["status"], "APPROVED");
    assert_eq!(
        done["serviceRequest"]["service"],
        json!({ "status": "PENDING", "startDate": "2099-12-01", "paidThrough": "2099-12-31", "price": "20.00" })
    );
    let twice = s
        .app
        .ok(
            approve,
            json!({ "r": first, "d": "2099-12-01" }),
            Some(s.app.admin()),
        )
        .await["approveServiceRequest"]
        .clone();
    assert_eq!(twice["userErrors"], json!([{ "code": "INVALID_STATE" }]));

    let reject = "mutation($r: ID!) { rejectServiceRequest(input: {serviceRequestId: $r, reason: \"no line at the address\"}) { serviceRequest { status rejectionReason } userErrors { code } } }";
    let rejected = s
        .app
        .ok(reject, json!({ "r": second }), Some(s.app.admin()))
        .await["rejectServiceRequest"]
        .clone();
    assert_eq!(
        rejected["serviceRequest"],
        json!({ "status": "REJECTED", "rejectionReason": "no line at the address" })
    );
    // 100.00 - 47.60 + 23.80 refunded.
    assert_eq!(balance_of(&s.app, &s.t.main).await, "76.20");
    let order = s
        .app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Order { status } } }",
            json!({ "id": order_id }),
            Some(&s.main),
        )
        .await;
    assert_eq!(order["node"]["status"], "APPROVED");
    let sub = s.app.ok("{ viewer { notifications { nodes { kind } } account { services { nodes { status } } } } }", json!({}), Some(&s.sub)).await;
    let kinds: Vec<&str> = sub["viewer"]["notifications"]["nodes"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"SERVICE_REQUEST_APPROVED") && kinds.contains(&"SERVICE_REQUEST_REJECTED"),
        "{kinds:?}"
    );
    let today = chrono::Utc::now().date_naive().to_string();
    let third = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        balance(),
        Value::Null,
    )
    .await;
    let req = third["order"]["items"][0]["serviceRequests"][0]["id"].clone();
    let now = s
        .app
        .ok(
            approve,
            json!({ "r": req, "d": today }),
            Some(s.app.admin()),
        )
        .await["approveServiceRequest"]
        .clone();
    assert_eq!(now["serviceRequest"]["service"]["status"], "ACTIVE");
}

#[tokio::test]
async fn another_tenants_order_is_not_found() {
    let s = shop().await;
    let order = sub_asks(&s).await;
    let other = s.app.tenant("other").await;
    let token = s.app.token_for(&other.main).await;
    for q in [
        "query($o: ID!) { node(id: $o) { id } }",
        "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id } } }",
        "mutation($o: ID!) { rejectOrder(input: {orderId: $o, reason: \"x\"}) { order { id } } }",
    ] {
        let (_, body) = s
            .app
            .graphql(q, json!({ "o": order["id"] }), Some(&token))
            .await;
        assert_eq!(first_code(&body), "NOT_FOUND", "{q}");
    }
}
