//! SPEC.md's permission table, both ways, generated from one table: for each column (the
//! state of the switches and the sub-account's type) and each capability, the capability
//! flag matches, and the operations that exist answer with data or with `FORBIDDEN`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, encode_id, first_code};

/// The capabilities of `Account.capabilities`, in the table's order.
const CAPABILITIES: [&str; 9] = [
    "viewDetails",
    "order",
    "pauseServices",
    "changeServices",
    "viewInternetUsage",
    "viewVoiceUsage",
    "viewDocuments",
    "manageTickets",
    "manageOrders",
];

/// One column of the table.
struct Column {
    name: &'static str,
    management: bool,
    independent_access: bool,
    sub_type: &'static str,
    /// Expected value per capability, in `CAPABILITIES` order.
    allowed: [bool; 9],
}

const NONE: [bool; 9] = [false; 9];
const AGGREGATED: [bool; 9] = [true; 9];
//                          view   order  pause  change inet   voice  docs   tickets orders
const INDEPENDENT: [bool; 9] = [true, false, true, false, true, false, true, true, false];

const TABLE: [Column; 6] = [
    Column {
        name: "management off, aggregated",
        management: false,
        independent_access: false,
        sub_type: "AGGREGATED",
        allowed: NONE,
    },
    Column {
        name: "management off, independent (access on)",
        management: false,
        independent_access: true,
        sub_type: "INDEPENDENT",
        allowed: NONE,
    },
    Column {
        name: "management on, aggregated",
        management: true,
        independent_access: false,
        sub_type: "AGGREGATED",
        allowed: AGGREGATED,
    },
    Column {
        name: "management on, aggregated (access on)",
        management: true,
        independent_access: true,
        sub_type: "AGGREGATED",
        allowed: AGGREGATED,
    },
    Column {
        name: "management on, independent, access off",
        management: true,
        independent_access: false,
        sub_type: "INDEPENDENT",
        allowed: NONE,
    },
    Column {
        name: "management on + independent access, independent",
        management: true,
        independent_access: true,
        sub_type: "INDEPENDENT",
        allowed: INDEPENDENT,
    },
];

const PROBE: &str = "query($id: ID!) { node(id: $id) { ... on Account { fullName status activeServicesCount totalServiceCost billingMode address { city }
  capabilities { viewDetails order pauseServices changeServices viewInternetUsage viewVoiceUsage viewDocuments manageTickets manageOrders } } } }";

/// Each capability with an operation that exists, and the request that exercises it.
/// Variables: `$id` the sub-account, `$s` its active service, `$t` a tariff and `$t2` another
/// of the same kind, `$o` an order the sub-account placed.
const OPERATIONS: [(&str, &str); 11] = [
    (
        "viewDetails",
        "query($id: ID!) { node(id: $id) { ... on Account { services(first: 5) { totalCount nodes { status } } } } }",
    ),
    (
        "viewDetails",
        "query($id: ID!) { node(id: $id) { ... on Account { activity(first: 5) { totalCount } } } }",
    ),
    (
        "viewDetails",
        "query($id: ID!) { node(id: $id) { ... on Account { email } } }",
    ),
    (
        "pauseServices",
        "mutation($s: ID!) { pauseService(input: {serviceId: $s}) { service { status } userErrors { code } } }",
    ),
    (
        "changeServices",
        "mutation($s: ID!, $t2: ID!) { changeService(input: {serviceId: $s, tariffId: $t2, mode: REQUEST}) { changeRequest { status } userErrors { code } } }",
    ),
    (
        "manageTickets",
        "mutation($id: ID!) { createTicket(input: {accountId: $id, subject: \"probe\", message: \"probe\"}) { ticket { id } userErrors { code } } }",
    ),
    (
        "viewInternetUsage",
        "query($id: ID!) { node(id: $id) { ... on Account { internetUsage(from: \"2026-11-01\", to: \"2026-12-01\") { downloadBytes } } } }",
    ),
    (
        "viewVoiceUsage",
        "query($id: ID!) { node(id: $id) { ... on Account { voiceUsage(from: \"2026-11-01\", to: \"2026-12-01\") { callCount } } } }",
    ),
    (
        "viewDocuments",
        "query($id: ID!) { node(id: $id) { ... on Account { documents { totalCount } } } }",
    ),
    (
        "order",
        "mutation($id: ID!, $t: ID!) { placeOrder(input: {accountId: $id, items: [{tariffId: $t}], paymentMethod: {kind: GATEWAY, gatewayToken: \"tok_ok\"}}) { order { status } userErrors { code } } }",
    ),
    (
        "manageOrders",
        "mutation($o: ID!) { rejectOrder(input: {orderId: $o, reason: \"probe\"}) { order { status } userErrors { code } } }",
    ),
];

/// The sub-account places an order of its own (asking its main when aggregated).
async fn sub_order(app: &TestApp, sub: &str, tariff: &str) -> String {
    let token = app.token_for(sub).await;
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Account { subAccountType } } }",
            json!({ "id": sub }),
            Some(app.admin()),
        )
        .await;
    let pm = if data["node"]["subAccountType"] == "AGGREGATED" {
        Value::Null
    } else {
        json!({ "kind": "GATEWAY", "gatewayToken": "tok_ok" })
    };
    let out = app
        .ok(
            "mutation($a: ID!, $t: ID!, $pm: PaymentMethodInput) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: $pm}) { order { id } userErrors { code } } }",
            json!({ "a": sub, "t": tariff, "pm": pm }),
            Some(&token),
        )
        .await;
    assert_eq!(out["placeOrder"]["userErrors"], json!([]), "{out}");
    out["placeOrder"]["order"]["id"]
        .as_str()
        .expect("order id")
        .to_string()
}

/// What the probes act on: an active service and an order of the sub-account.
async fn probe(app: &TestApp, sub: &str, tariff: &str, other_tariff: &str) -> Probe {
    let service = app
        .add_service(sub, tariff, entity::enums::ServiceStatus::Active)
        .await;
    Probe {
        sub: sub.to_string(),
        service: encode_id("Service", service),
        tariff: tariff.to_string(),
        other_tariff: other_tariff.to_string(),
        order: sub_order(app, sub, tariff).await,
    }
}

/// Lets aggregated sub-accounts place orders (so there are orders to manage).
async fn allow_sub_orders(app: &TestApp) {
    let partner = app
        .ok("{ partners { id } }", json!({}), Some(app.admin()))
        .await["partners"][0]["id"]
        .clone();
    app.ok(
        "mutation($p: ID!) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: true}) { userErrors { code } } }",
        json!({ "p": partner }),
        Some(app.admin()),
    )
    .await;
}

struct Probe {
    sub: String,
    service: String,
    tariff: String,
    other_tariff: String,
    order: String,
}

async fn check_column(app: &TestApp, p: &Probe, token: &str, column: &Column) {
    let (sub, tariff, order) = (&p.sub, &p.tariff, &p.order);
    // Always: the sub-account is in the list with every row column.
    let list = app
        .ok("{ viewer { account { subAccounts(first: 10) { nodes { id fullName status activeServicesCount totalServiceCost billingMode } } } } }", json!({}), Some(token))
        .await;
    let nodes = list["viewer"]["account"]["subAccounts"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert!(
        nodes.iter().any(|n| n["id"] == json!(sub)),
        "{}: listed",
        column.name
    );

    let probe = app.ok(PROBE, json!({ "id": sub }), Some(token)).await;
    for (i, cap) in CAPABILITIES.iter().enumerate() {
        assert_eq!(
            probe["node"]["capabilities"][cap],
            json!(column.allowed[i]),
            "{}: capability {cap}",
            column.name
        );
    }
    for (cap, query) in OPERATIONS {
        let allowed = column.allowed[CAPABILITIES
            .iter()
            .position(|c| *c == cap)
            .expect("known capability")];
        let vars =
            json!({ "id": sub, "s": p.service, "t": tariff, "t2": p.other_tariff, "o": order });
        let (_, body) = app.graphql(query, vars, Some(token)).await;
        if allowed {
            assert!(
                body.get("errors").is_none(),
                "{}: {cap} allowed: {body}",
                column.name
            );
        } else {
            assert_eq!(
                first_code(&body),
                "FORBIDDEN",
                "{}: {cap} refused: {body}",
                column.name
            );
            // A refused field is nulled alone; the account itself is still there.
            if query.starts_with("query") {
                assert!(
                    body["data"]["node"].is_object(),
                    "{}: row kept: {body}",
                    column.name
                );
            }
        }
    }
}

#[tokio::test]
async fn the_permission_table_holds_in_every_column_both_ways() {
    let app = TestApp::spawn().await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let other_tariff = app.create_tariff("Fiber Plus", "30.00").await;
    allow_sub_orders(&app).await;
    for (i, column) in TABLE.iter().enumerate() {
        let main = app.create_account(&format!("main{i}"), json!({})).await;
        let sub = app
            .create_account(&format!("sub{i}"), json!({ "email": "sub@example.net" }))
            .await;
        assert_eq!(app.link(&main, &sub, column.sub_type).await, json!([]));
        app.set_management(&main, column.management).await;
        app.set_independent_access(column.independent_access).await;
        let probe = probe(&app, &sub, &tariff, &other_tariff).await;
        let token = app.token_for(&main).await;
        check_column(&app, &probe, &token, column).await;
    }
}

#[tokio::test]
async fn turning_management_off_again_takes_every_capability_away() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    app.link(&main, &sub, "AGGREGATED").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let other_tariff = app.create_tariff("Fiber Plus", "30.00").await;
    allow_sub_orders(&app).await;
    let probe = probe(&app, &sub, &tariff, &other_tariff).await;
    let token = app.token_for(&main).await;
    app.set_management(&main, true).await;
    check_column(&app, &probe, &token, &TABLE[2]).await;
    app.set_management(&main, false).await;
    check_column(&app, &probe, &token, &TABLE[0]).await;
}

#[tokio::test]
async fn an_account_has_every_capability_on_itself_but_approving_its_own_orders() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    app.link(&main, &sub, "AGGREGATED").await;
    for id in [&main, &sub] {
        let token = app.token_for(id).await;
        let data = app.ok("{ viewer { account { balance email services { totalCount } capabilities { viewDetails order pauseServices changeServices viewInternetUsage viewVoiceUsage viewDocuments manageTickets manageOrders } } } }", json!({}), Some(&token)).await;
        let caps = &data["viewer"]["account"]["capabilities"];
        for cap in CAPABILITIES {
            assert_eq!(caps[cap], json!(cap != "manageOrders"), "own {cap}");
        }
    }
}

#[tokio::test]
async fn a_sub_account_never_reaches_its_main_account() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    app.link(&main, &sub, "AGGREGATED").await;
    app.set_management(&main, true).await;
    let token = app.token_for(&sub).await;
    let (_, body) = app
        .graphql(PROBE, json!({ "id": main }), Some(&token))
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    assert_eq!(body["data"]["node"], Value::Null);
    let me = app
        .ok(
            "{ viewer { account { subAccountType mainAccount { id } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        me["viewer"]["account"],
        json!({ "subAccountType": "AGGREGATED", "mainAccount": null })
    );
    // Nor through the main's sub-account list.
    let (_, body) = app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on Account { subAccounts { totalCount } } } }",
            json!({ "id": main }),
            Some(&token),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
}
