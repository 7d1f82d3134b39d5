//! Money is exact on both engines and travels as strings.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, first_code};

const ADJUST: &str = "mutation($a: ID!, $m: Decimal!) { adjustBalance(input: {accountId: $a, amount: $m, reason: \"test\"}) { account { balance } userErrors { code field } } }";

#[tokio::test]
async fn ten_cents_plus_twenty_cents_is_exactly_thirty_cents_in_the_database() {
    let app = TestApp::spawn().await;
    let id = app.create_account("alice", json!({})).await;
    for amount in ["0.10", "0.20"] {
        app.ok(ADJUST, json!({ "a": id, "m": amount }), Some(app.admin()))
            .await;
    }
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Account { balance } } }",
            json!({ "id": id }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(data["node"]["balance"], "0.30");
    // The ledger holds the same sum as the balance column.
    use sea_orm::{EntityTrait, QuerySelect, sea_query::Expr};
    let sum: Option<i64> = entity::balance_entry::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(amount_minor) AS BIGINT)"), "s")
        .into_tuple()
        .one(&app.state.db)
        .await
        .expect("query")
        .flatten();
    assert_eq!(sum, Some(3_000));
}

#[tokio::test]
async fn sub_cent_amounts_survive_and_too_many_decimals_are_refused() {
    let app = TestApp::spawn().await;
    let id = app.create_account("alice", json!({})).await;
    let ok = app
        .ok(ADJUST, json!({ "a": id, "m": "0.0001" }), Some(app.admin()))
        .await;
    assert_eq!(ok["adjustBalance"]["account"]["balance"], "0.0001");
    let bad = app
        .ok(
            ADJUST,
            json!({ "a": id, "m": "0.00001" }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(
        bad["adjustBalance"]["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "amount"] }])
    );
}

#[tokio::test]
async fn a_decimal_sent_as_a_json_number_is_refused() {
    let app = TestApp::spawn().await;
    let id = app.create_account("alice", json!({})).await;
    let (status, body) = app
        .graphql(ADJUST, json!({ "a": id, "m": 0.1 }), Some(app.admin()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Account { balance } } }",
            json!({ "id": id }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(data["node"]["balance"], "0.00");
}

#[tokio::test]
async fn an_aggregated_sub_account_has_no_balance_of_its_own() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    app.link(&main, &sub, "AGGREGATED").await;
    let out = app
        .ok(ADJUST, json!({ "a": sub, "m": "5.00" }), Some(app.admin()))
        .await;
    assert_eq!(
        out["adjustBalance"]["userErrors"],
        json!([{ "code": "INVALID_STATE", "field": ["input", "accountId"] }])
    );
}
