//! After unlinking, history stays with whoever it belongs to: the former main account keeps
//! the orders it paid (its "Manage orders" still lists them), and they name the former
//! sub-account as it was in the main's list when they were unlinked: frozen then, the same on
//! every path, with nothing current and nothing more. The former sub-account still never
//! reaches its former main.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, decode_pk, first_code};

const MANAGE: &str = "{ viewer { account { subAccountOrders(first: 50) { totalCount nodes { number account { id fullName status activeServicesCount totalServiceCost } placedBy { id } } } } } }";
const ROW: &str = "query($id: ID!) { node(id: $id) { ... on Account { id fullName status activeServicesCount totalServiceCost capabilities { viewDetails order pauseServices manageOrders } } } }";

#[tokio::test]
async fn the_former_main_keeps_its_orders_and_sees_the_former_sub_account_as_it_was() {
    let app = TestApp::spawn().await;
    let t = app.tenant("former").await;
    app.allow_sub_orders().await;
    let fiber = app.create_tariff("Fiber", "20.00").await;
    app.add_service(&t.aggregated, &fiber, entity::enums::ServiceStatus::Active)
        .await;
    app.deposit(&t.main, "200.00").await;
    let main = app.token_for(&t.main).await;
    let sub = app.token_for(&t.aggregated).await;
    // One order the sub-account asked for and the main paid, one the main placed for it.
    let asked = app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { id } } }",
            json!({ "a": t.aggregated, "t": fiber }),
            Some(&sub),
        )
        .await["placeOrder"]["order"]["id"]
        .clone();
    app.ok(
        "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { userErrors { code } } }",
        json!({ "o": asked }),
        Some(&main),
    )
    .await;
    app.ok(
        "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id } } }",
        json!({ "a": t.aggregated, "t": fiber }),
        Some(&main),
    )
    .await;
    let before = app.ok(MANAGE, json!({}), Some(&main)).await;
    let row = |v: &Value| v["viewer"]["account"]["subAccountOrders"]["nodes"][0]["account"].clone();
    let as_listed = row(&before);
    assert_eq!(as_listed["fullName"], "Name of former-agg");
    app.ok(
        "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { userErrors { code } } }",
        json!({ "s": t.aggregated }),
        Some(app.admin()),
    )
    .await;
    // It changes afterwards; the former main does not see it change.
    let pk = decode_pk(&t.aggregated);
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE accounts SET full_name = 'Renamed since', status = 'BLOCKED' WHERE id = {pk}"
        ))
        .await
        .expect("by hand");
    app.add_service(&t.aggregated, &fiber, entity::enums::ServiceStatus::Active)
        .await;
    let after = app.ok(MANAGE, json!({}), Some(&main)).await;
    assert_eq!(
        after["viewer"]["account"]["subAccountOrders"]["totalCount"], 2,
        "the orders it paid stay listed: {after}"
    );
    for order in after["viewer"]["account"]["subAccountOrders"]["nodes"]
        .as_array()
        .expect("orders")
    {
        assert_eq!(order["account"], as_listed, "frozen at unlinking");
        assert!(order["placedBy"].is_object(), "{order}");
    }
    // The same answer through node(id), with nothing beyond the list's columns.
    let node = app
        .ok(ROW, json!({ "id": t.aggregated }), Some(&main))
        .await;
    assert_eq!(node["node"]["fullName"], "Name of former-agg");
    assert_eq!(node["node"]["status"], as_listed["status"]);
    assert_eq!(
        node["node"]["capabilities"],
        json!({ "viewDetails": false, "order": false, "pauseServices": false, "manageOrders": false })
    );
    let (_, services) = app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on Account { services { totalCount } } } }",
            json!({ "id": t.aggregated }),
            Some(&main),
        )
        .await;
    assert_eq!(first_code(&services), "FORBIDDEN");
    // Staff see it as it is; the former sub-account never reaches its former main.
    let live = app
        .ok(ROW, json!({ "id": t.aggregated }), Some(app.admin()))
        .await;
    assert_eq!(live["node"]["fullName"], "Renamed since");
    let (_, body) = app.graphql(ROW, json!({ "id": t.main }), Some(&sub)).await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    // A stranger still finds nothing.
    let stranger = app
        .create_account("former-stranger", json!({ "status": "ACTIVE" }))
        .await;
    let stranger = app.token_for(&stranger).await;
    let (_, body) = app
        .graphql(ROW, json!({ "id": t.aggregated }), Some(&stranger))
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
}

#[tokio::test]
async fn linked_again_it_is_a_sub_account_again() {
    let app = TestApp::spawn().await;
    let t = app.tenant("again").await;
    let main = app.token_for(&t.main).await;
    for q in [
        "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { userErrors { code } } }",
    ] {
        app.ok(q, json!({ "s": t.aggregated }), Some(app.admin()))
            .await;
    }
    assert_eq!(
        app.link(&t.main, &t.aggregated, "AGGREGATED").await,
        json!([])
    );
    let row = app
        .ok(ROW, json!({ "id": t.aggregated }), Some(&main))
        .await;
    assert_eq!(row["node"]["capabilities"]["viewDetails"], true, "{row}");
}
