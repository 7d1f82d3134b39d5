//! Idempotency keys belong to whoever sent them and the account they act for: a key used by
//! one account never hands another its order; a replay returns only what its sender may read
//! (and why its payment failed, if it did); concurrent calls with one key place one order and
//! replay it, without an internal error, on both engines.

use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp};

const PLACE: &str = "mutation($a: ID!, $t: ID!, $pm: PaymentMethodInput, $key: String) {
  placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: $pm, idempotencyKey: $key}) {
    order { id number status total paidAt account { id } } userErrors { code message } } }";
const APPROVE: &str = "mutation($o: ID!, $key: String) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}, idempotencyKey: $key}) { order { id status } userErrors { code field } } }";

struct Shop {
    app: TestApp,
    t: Tenant,
    main: String,
    sub: String,
    tariff: String,
}

async fn shop() -> Shop {
    let app = TestApp::spawn().await;
    let t = app.tenant("keys").await;
    app.allow_sub_orders().await;
    let tariff = app.create_tariff("Fiber 100", "20.00").await;
    let main = app.token_for(&t.main).await;
    let sub = app.token_for(&t.aggregated).await;
    Shop {
        app,
        t,
        main,
        sub,
        tariff,
    }
}

impl Shop {
    async fn place(&self, token: &str, account: &str, pm: Value, key: &str) -> Value {
        self.app
            .ok(
                PLACE,
                json!({ "a": account, "t": self.tariff, "pm": pm, "key": key }),
                Some(token),
            )
            .await["placeOrder"]
            .clone()
    }

    async fn orders(&self) -> i64 {
        self.app.number("SELECT COUNT(*) FROM orders").await
    }
}

fn balance() -> Value {
    json!({ "kind": "ACCOUNT_BALANCE" })
}

#[tokio::test]
async fn a_key_the_main_used_never_hands_its_order_to_a_sub_account() {
    let s = shop().await;
    s.app.deposit(&s.t.main, "100.00").await;
    let mains = s.place(&s.main, &s.t.main, balance(), "cart-1").await;
    assert_eq!(mains["order"]["status"], "PAID", "{mains}");
    // The aggregated sub-account orders for itself with the same key: its own order.
    let subs = s
        .place(&s.sub, &s.t.aggregated, Value::Null, "cart-1")
        .await;
    assert_eq!(subs["userErrors"], json!([]), "{subs}");
    assert_eq!(subs["order"]["status"], "AWAITING_MAIN_APPROVAL");
    assert_eq!(subs["order"]["account"]["id"], s.t.aggregated);
    assert_ne!(subs["order"]["id"], mains["order"]["id"]);
    assert_ne!(subs["order"]["number"], mains["order"]["number"]);
    assert_eq!(s.orders().await, 2);
    // Each replays its own.
    let again = s
        .place(&s.sub, &s.t.aggregated, Value::Null, "cart-1")
        .await;
    assert_eq!(again["order"]["id"], subs["order"]["id"]);
    let again = s.place(&s.main, &s.t.main, balance(), "cart-1").await;
    assert_eq!(again["order"]["id"], mains["order"]["id"]);
    assert_eq!(s.orders().await, 2);
}

#[tokio::test]
async fn one_key_for_two_accounts_places_one_order_for_each() {
    let s = shop().await;
    s.app.deposit(&s.t.main, "100.00").await;
    let for_sub = s.place(&s.main, &s.t.aggregated, balance(), "k").await;
    let for_main = s.place(&s.main, &s.t.main, balance(), "k").await;
    assert_eq!(for_sub["order"]["status"], "PAID", "{for_sub}");
    assert_eq!(for_main["order"]["status"], "PAID", "{for_main}");
    assert_ne!(for_sub["order"]["id"], for_main["order"]["id"]);
    let replay = s.place(&s.main, &s.t.aggregated, balance(), "k").await;
    assert_eq!(replay["order"]["id"], for_sub["order"]["id"]);
    assert_eq!(s.orders().await, 2);
}

#[tokio::test]
async fn eight_concurrent_calls_with_one_key_place_one_order_and_seven_replays() {
    let s = shop().await;
    s.app.deposit(&s.t.main, "100.00").await;
    let calls = (0..8).map(|_| {
        s.app.graphql(
            PLACE,
            json!({ "a": s.t.aggregated, "t": s.tariff, "pm": balance(), "key": "double-click" }),
            Some(&s.main),
        )
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut ids = Vec::new();
    for (status, body) in &answers {
        assert_eq!(status.as_u16(), 200, "{body}");
        assert!(body.get("errors").is_none(), "no error, a replay: {body}");
        assert_eq!(
            body["data"]["placeOrder"]["userErrors"],
            json!([]),
            "{body}"
        );
        assert_eq!(body["data"]["placeOrder"]["order"]["status"], "PAID");
        ids.push(body["data"]["placeOrder"]["order"]["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one order for all eight: {ids:?}");
    assert_eq!(s.orders().await, 1);
    assert_eq!(
        s.app.number("SELECT COUNT(*) FROM payments").await,
        1,
        "charged once"
    );
    let left = s
        .app
        .ok(
            "query($a: ID!) { node(id: $a) { ... on Account { balance } } }",
            json!({ "a": s.t.main }),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(left["node"]["balance"], "76.20", "100.00 - 23.80 once");
}

#[tokio::test]
async fn a_replayed_failure_says_why_again_and_a_new_key_tries_again() {
    let s = shop().await;
    let failed = s.place(&s.main, &s.t.main, balance(), "first").await;
    assert_eq!(failed["order"]["status"], "PAYMENT_FAILED");
    assert_eq!(failed["userErrors"][0]["code"], "INSUFFICIENT_BALANCE");
    s.app.deposit(&s.t.main, "100.00").await;
    let replay = s.place(&s.main, &s.t.main, balance(), "first").await;
    assert_eq!(replay["order"]["id"], failed["order"]["id"]);
    assert_eq!(replay["userErrors"][0]["code"], "INSUFFICIENT_BALANCE");
    assert_eq!(s.orders().await, 1);
    let paid = s.place(&s.main, &s.t.main, balance(), "second").await;
    assert_eq!(paid["order"]["status"], "PAID", "{paid}");
}

#[tokio::test]
async fn an_approval_key_replays_its_order_and_refuses_another() {
    let s = shop().await;
    s.app.deposit(&s.t.main, "100.00").await;
    let a = s.place(&s.sub, &s.t.aggregated, Value::Null, "a").await["order"]["id"].clone();
    let b = s.place(&s.sub, &s.t.aggregated, Value::Null, "b").await["order"]["id"].clone();
    let approve = |order: &Value| {
        s.app.ok(
            APPROVE,
            json!({ "o": order, "key": "approve-1" }),
            Some(&s.main),
        )
    };
    let first = approve(&a).await["approveOrder"].clone();
    assert_eq!(first["order"]["status"], "PAID", "{first}");
    let replay = approve(&a).await["approveOrder"].clone();
    assert_eq!(replay, first, "the same answer again");
    let other = approve(&b).await["approveOrder"].clone();
    assert_eq!(
        other["userErrors"],
        json!([{ "code": "DUPLICATE", "field": ["input", "idempotencyKey"] }])
    );
    assert_eq!(
        s.app
            .number("SELECT COUNT(*) FROM payments WHERE status = 'SUCCEEDED'")
            .await,
        1
    );
}
