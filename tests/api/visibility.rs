//! Nothing of the main account reaches a sub-account: its notifications and activity name
//! only what it can open, templates are staff configuration on every path, and a request
//! never waits on a main account that cannot act on it.

use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, first_code};

struct Setup {
    app: TestApp,
    t: Tenant,
    main: String,
    sub: String,
    tariff: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let t = app.tenant("v").await;
    app.allow_sub_orders().await;
    app.deposit(&t.main, "500.00").await;
    Setup {
        main: app.token_for(&t.main).await,
        sub: app.token_for(&t.aggregated).await,
        tariff: app.create_tariff("Fiber 100", "20.00").await,
        app,
        t,
    }
}

const NOTIFICATIONS: &str = "{ viewer { notifications(first: 50) { nodes { kind message order { id number } service { id } } } } }";
const ACTIVITY: &str =
    "{ viewer { account { activity(first: 50) { nodes { action details } } } } }";

async fn notifications(s: &Setup, token: &str) -> Vec<Value> {
    s.app.ok(NOTIFICATIONS, json!({}), Some(token)).await["viewer"]["notifications"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone()
}

async fn activity(s: &Setup, token: &str) -> String {
    s.app.ok(ACTIVITY, json!({}), Some(token)).await["viewer"]["account"]["activity"]["nodes"]
        .to_string()
}

/// The main orders for its sub-account and pays; the order's number and its invoice's.
async fn main_orders(s: &Setup) -> (String, String, String) {
    let out = s
        .app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id number invoice { number } items { serviceRequests { id } } } userErrors { code } } }",
            json!({ "a": s.t.aggregated, "t": s.tariff }),
            Some(&s.main),
        )
        .await;
    let order = &out["placeOrder"]["order"];
    (
        order["number"].as_str().expect("number").to_string(),
        order["invoice"]["number"]
            .as_str()
            .expect("invoice")
            .to_string(),
        order["items"][0]["serviceRequests"][0]["id"]
            .as_str()
            .expect("request")
            .to_string(),
    )
}

async fn sub_asks(s: &Setup) -> String {
    let out = s
        .app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { id status } userErrors { code } } }",
            json!({ "a": s.t.aggregated, "t": s.tariff }),
            Some(&s.sub),
        )
        .await;
    assert_eq!(out["placeOrder"]["userErrors"], json!([]), "{out}");
    out["placeOrder"]["order"]["id"]
        .as_str()
        .expect("order")
        .to_string()
}

#[tokio::test]
async fn a_sub_account_hears_of_what_its_main_ordered_for_it_without_the_mains_order_or_invoice() {
    let s = setup().await;
    let (number, invoice, request) = main_orders(&s).await;
    let mine = notifications(&s, &s.sub).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["kind"], "SERVICES_ORDERED");
    assert_eq!(mine[0]["order"], Value::Null);
    let seen = format!("{mine:?}{}", activity(&s, &s.sub).await);
    assert!(seen.contains("Fiber 100"), "the services are named: {seen}");
    for secret in [&number, &invoice] {
        assert!(
            !seen.contains(secret.as_str()),
            "{secret} reached the sub-account: {seen}"
        );
    }
    // The main account's own history keeps the order and its invoice.
    let main_history = activity(&s, &s.main).await;
    assert!(main_history.contains(&number) && main_history.contains(&invoice));

    // Once staff approve, the sub-account is pointed at its new service, not at the order.
    let approved = s
        .app
        .ok(
            "mutation($r: ID!) { approveServiceRequest(input: {serviceRequestId: $r, startDate: \"2026-12-01\"}) { serviceRequest { service { id } } userErrors { code } } }",
            json!({ "r": request }),
            Some(s.app.admin()),
        )
        .await;
    let service = approved["approveServiceRequest"]["serviceRequest"]["service"]["id"].clone();
    let mine = notifications(&s, &s.sub).await;
    let started = mine
        .iter()
        .find(|n| n["kind"] == "SERVICE_REQUEST_APPROVED")
        .expect("told of the start");
    assert_eq!(started["service"]["id"], service);
    assert_eq!(started["order"], Value::Null);
    assert!(
        !started["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&number)
    );
    // What it is pointed at, it can open.
    let opened = s
        .app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Service { id status } } }",
            json!({ "id": service }),
            Some(&s.sub),
        )
        .await;
    assert_eq!(opened["node"]["id"], service);
}

#[tokio::test]
async fn a_sub_accounts_own_order_paid_by_its_main_shows_it_the_order_but_not_the_invoice() {
    let s = setup().await;
    let order = sub_asks(&s).await;
    let paid = s
        .app
        .ok(
            "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { status invoice { number } } userErrors { code } } }",
            json!({ "o": order }),
            Some(&s.main),
        )
        .await;
    assert_eq!(paid["approveOrder"]["order"]["status"], "PAID");
    let invoice = paid["approveOrder"]["order"]["invoice"]["number"]
        .as_str()
        .expect("invoice")
        .to_string();
    let mine = notifications(&s, &s.sub).await;
    let told = mine
        .iter()
        .find(|n| n["kind"] == "ORDER_PAID")
        .expect("told it was paid");
    assert_eq!(
        told["order"]["id"],
        json!(order),
        "its own order: it may open it"
    );
    let seen = s
        .app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Order { status invoice { id } } } }",
            json!({ "id": order }),
            Some(&s.sub),
        )
        .await;
    assert_eq!(seen["node"], json!({ "status": "PAID", "invoice": null }));
    let everything = format!("{mine:?}{}", activity(&s, &s.sub).await);
    assert!(!everything.contains(&invoice), "{everything}");
    assert!(
        !everything.contains("Name of v-main"),
        "the main's name: {everything}"
    );
}

#[tokio::test]
async fn turning_management_off_calls_the_waiting_orders_off_and_stops_new_ones() {
    let s = setup().await;
    let order = sub_asks(&s).await;
    s.app.set_management(&s.t.main, false).await;
    let status = |token: String| {
        let app = &s.app;
        let order = order.clone();
        async move {
            app.ok(
                "query($id: ID!) { node(id: $id) { ... on Order { status } } }",
                json!({ "id": order }),
                Some(&token),
            )
            .await["node"]["status"]
                .clone()
        }
    };
    assert_eq!(status(s.sub.clone()).await, "CANCELLED");
    assert_eq!(status(s.main.clone()).await, "CANCELLED");
    for token in [&s.sub, &s.main] {
        let told = notifications(&s, token).await;
        let cancelled = told
            .iter()
            .find(|n| n["kind"] == "ORDER_CANCELLED")
            .expect("told");
        assert_eq!(cancelled["order"]["id"], json!(order));
    }
    // Asking again is refused by the switch, and the capability says so beforehand.
    let caps = s
        .app
        .ok(
            "{ viewer { account { capabilities { order } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(caps["viewer"]["account"]["capabilities"]["order"], false);
    let again = s
        .app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { id } userErrors { code } } }",
            json!({ "a": s.t.aggregated, "t": s.tariff }),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        again["placeOrder"]["userErrors"][0]["code"],
        "NOT_ALLOWED_BY_SETTINGS"
    );
    // Nothing was charged.
    let balance = s
        .app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Account { balance } } }",
            json!({ "id": s.t.main }),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(balance["node"]["balance"], "500.00");
}

#[tokio::test]
async fn unlinking_calls_off_the_sub_accounts_waiting_orders() {
    let s = setup().await;
    let order = sub_asks(&s).await;
    s.app
        .ok(
            "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { userErrors { code } } }",
            json!({ "s": s.t.aggregated }),
            Some(s.app.admin()),
        )
        .await;
    let seen = s
        .app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Order { status } } }",
            json!({ "id": order }),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(seen["node"]["status"], "CANCELLED");
}

#[tokio::test]
async fn the_order_email_template_is_staff_configuration_on_every_path() {
    let s = setup().await;
    let template = s
        .app
        .ok(
            "{ emailTemplates { id subject } }",
            json!({}),
            Some(s.app.admin()),
        )
        .await["emailTemplates"][0]["id"]
        .clone();
    for token in [&s.main, &s.sub] {
        let (_, body) = s
            .app
            .graphql(
                "{ viewer { account { partner { settings { subAccountsCanOrder subAccountOrderTemplate { subject body } } } } } }",
                json!({}),
                Some(token),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(
            body["data"]["viewer"]["account"]["partner"]["settings"]["subAccountOrderTemplate"],
            Value::Null
        );
        let (_, body) = s
            .app
            .graphql(
                "query($id: ID!) { node(id: $id) { ... on EmailTemplate { subject } } }",
                json!({ "id": template }),
                Some(token),
            )
            .await;
        assert_eq!(first_code(&body), "NOT_FOUND");
    }
    let staff = s
        .app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on EmailTemplate { subject } } }",
            json!({ "id": template }),
            Some(s.app.admin()),
        )
        .await;
    assert!(staff["node"]["subject"].is_string());
}
