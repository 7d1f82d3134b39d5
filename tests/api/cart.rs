//! The cart before ordering: `orderQuote` prices it exactly as `placeOrder` then charges it
//! (tax per unit, to the cent), writes nothing, and asks the policy as ordering does.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

const QUOTE: &str =
    "query($a: ID!, $items: [OrderItemInput!]!) { orderQuote(accountId: $a, items: $items) {
  subtotal tax total lines { tariff { id } quantity unitPrice taxPercent tax total } } }";
const PLACE: &str = "mutation($a: ID!, $items: [OrderItemInput!]!) {
  placeOrder(input: {accountId: $a, items: $items, paymentMethod: {kind: ACCOUNT_BALANCE}}) {
    order { subtotal tax total items { quantity unitPrice total } } userErrors { code } } }";

fn sums(v: &Value) -> (String, String, String) {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (s("subtotal"), s("tax"), s("total"))
}

#[tokio::test]
async fn a_quote_is_what_placing_the_order_charges_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    // 9.99 + 19%: 1.8981 per unit rounds to 1.90, so 3 of them are 5.70 in tax (not 5.69).
    let odd = app.create_tariff("Fiber 9.99", "9.99").await;
    let fiber = app.create_tariff("Fiber 100", "20.00").await;
    app.deposit(&t.main, "500.00").await;
    let main = app.token_for(&t.main).await;
    let items = json!([{ "tariffId": odd, "quantity": 3 }, { "tariffId": fiber }]);
    let orders_before = app.number("SELECT COUNT(*) FROM orders").await;
    let quote = app
        .ok(
            QUOTE,
            json!({ "a": t.aggregated, "items": items }),
            Some(&main),
        )
        .await["orderQuote"]
        .clone();
    assert_eq!(
        sums(&quote),
        ("49.97".into(), "9.50".into(), "59.47".into()),
        "{quote}"
    );
    let first = &quote["lines"][0];
    assert_eq!(
        (
            &first["quantity"],
            &first["unitPrice"],
            &first["tax"],
            &first["total"]
        ),
        (&json!(3), &json!("9.99"), &json!("5.70"), &json!("35.67"))
    );
    assert_eq!(quote["lines"][1]["quantity"], 1, "quantity defaults to 1");
    assert_eq!(
        app.number("SELECT COUNT(*) FROM orders").await,
        orders_before,
        "a quote places nothing"
    );
    let placed = app
        .ok(
            PLACE,
            json!({ "a": t.aggregated, "items": items }),
            Some(&main),
        )
        .await["placeOrder"]
        .clone();
    assert_eq!(placed["userErrors"], json!([]));
    assert_eq!(sums(&placed["order"]), sums(&quote), "charged as quoted");
    for (line, item) in quote["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .zip(placed["order"]["items"].as_array().expect("items"))
    {
        assert_eq!(
            (&line["quantity"], &line["unitPrice"], &line["total"]),
            (&item["quantity"], &item["unitPrice"], &item["total"])
        );
    }
}

#[tokio::test]
async fn a_quote_asks_the_policy_and_checks_the_cart_as_ordering_does() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let other = app.tenant("o").await;
    let fiber = app.create_tariff("Fiber 100", "20.00").await;
    let main = app.token_for(&t.main).await;
    let ask = |account: &str, items: Value, token: String| {
        let app = &app;
        let vars = json!({ "a": account, "items": items });
        async move { app.graphql(QUOTE, vars, Some(&token)).await.1 }
    };
    let one = json!([{ "tariffId": fiber }]);
    let foreign = ask(&other.aggregated, one.clone(), main.clone()).await;
    assert_eq!(first_code(&foreign), "NOT_FOUND", "{foreign}");
    let none = ask(
        &t.aggregated,
        json!([{ "tariffId": fiber, "quantity": 0 }]),
        main.clone(),
    )
    .await;
    assert_eq!(first_code(&none), "BAD_USER_INPUT", "{none}");
    // The refusal's own reason, as `placeOrder` gives it in `userErrors`.
    let reason = none["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(reason.contains("quantit"), "{none}");
    let empty = ask(&t.aggregated, json!([]), main.clone()).await;
    assert_eq!(first_code(&empty), "BAD_USER_INPUT", "{empty}");
    let unknown = ask(
        &t.aggregated,
        json!([{ "tariffId": "bm9wZQ" }]),
        main.clone(),
    )
    .await;
    assert_eq!(first_code(&unknown), "BAD_USER_INPUT", "{unknown}");
    let reason = unknown["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(reason.contains("tariff"), "{unknown}");
    // With management off the main may not order for its sub-account: nor quote for it.
    app.set_management(&t.main, false).await;
    let off = ask(&t.aggregated, one.clone(), main.clone()).await;
    assert_eq!(first_code(&off), "FORBIDDEN", "{off}");
    assert!(off["data"]["orderQuote"].is_null(), "{off}");
    // Its own cart it may price.
    let own = ask(&t.main, one, main).await;
    assert_eq!(own["data"]["orderQuote"]["total"], "23.80", "{own}");
}
