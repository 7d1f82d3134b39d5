//! A main account's controls over its sub-accounts (SPEC.md "Controls"): spending caps and
//! auto-approval over GraphQL, on both engines. Requests that expire are in `expiry.rs`,
//! balance transfers in `transfers.rs`; both use this file's setup.

use chrono::{Duration, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, decode_pk, first_code};

const PLACE: &str = "mutation($a: ID!, $t: ID!, $q: Int) { placeOrder(input: {accountId: $a, items: [{tariffId: $t, quantity: $q}]}) { order { id status total expiresAt } userErrors { code message field } } }";
const SET: &str = "mutation($a: ID!, $c: Decimal, $t: Decimal) { setSpendingControls(input: {accountId: $a, monthlyCap: $c, autoApproveUpTo: $t}) { account { spendingControls { monthlyCap autoApproveUpTo spentThisMonth remainingThisMonth } } userErrors { code field message } } }";
const CONTROLS: &str = "query($a: ID!) { node(id: $a) { ... on Account { spendingControls { monthlyCap autoApproveUpTo spentThisMonth remainingThisMonth } } } }";

/// A tenant whose aggregated sub-account may order, the main with `balance`, and a tariff
/// of 10.00 + 19 % tax (11.90 an order).
pub(crate) struct Setup {
    pub app: TestApp,
    pub t: Tenant,
    pub main: String,
    pub sub: String,
    pub tariff: String,
}

pub(crate) async fn setup(balance: &str) -> Setup {
    let app = TestApp::spawn().await;
    let t = app.tenant("ctl").await;
    app.allow_sub_orders().await;
    app.deposit(&t.main, balance).await;
    let tariff = app.create_tariff("Fiber 10", "10.00").await;
    Setup {
        main: app.token_for(&t.main).await,
        sub: app.token_for(&t.aggregated).await,
        app,
        t,
        tariff,
    }
}

impl Setup {
    pub(crate) async fn order(&self, quantity: i32) -> Value {
        self.app
            .ok(
                PLACE,
                json!({ "a": self.t.aggregated, "t": self.tariff, "q": quantity }),
                Some(&self.sub),
            )
            .await["placeOrder"]
            .clone()
    }

    pub(crate) async fn set(
        &self,
        cap: Option<&str>,
        threshold: Option<&str>,
        token: &str,
    ) -> Value {
        self.app
            .ok(
                SET,
                json!({ "a": self.t.aggregated, "c": cap, "t": threshold }),
                Some(token),
            )
            .await["setSpendingControls"]
            .clone()
    }

    pub(crate) async fn controls(&self) -> Value {
        self.app
            .ok(
                CONTROLS,
                json!({ "a": self.t.aggregated }),
                Some(&self.main),
            )
            .await["node"]["spendingControls"]
            .clone()
    }

    pub(crate) async fn balance(&self, account: &str) -> String {
        self.app
            .ok(
                "query($a: ID!) { node(id: $a) { ... on Account { balance } } }",
                json!({ "a": account }),
                Some(self.app.admin()),
            )
            .await["node"]["balance"]
            .as_str()
            .expect("balance")
            .to_string()
    }

    pub(crate) async fn activity(&self, account: &str, action: &str) -> Vec<Value> {
        self.app.activity_of(account, Some(action)).await
    }

    pub(crate) async fn sql(&self, sql: &str) -> i64 {
        self.app.number(sql).await
    }
}

#[tokio::test]
async fn small_orders_are_paid_at_once_larger_ones_wait_and_the_cap_refuses_the_rest() {
    let s = setup("100.00").await;
    let set = s.set(Some("50.00"), Some("15.00"), &s.main).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    assert_eq!(
        set["account"]["spendingControls"],
        json!({ "monthlyCap": "50.00", "autoApproveUpTo": "15.00", "spentThisMonth": "0.00", "remainingThisMonth": "50.00" })
    );

    // At or under the threshold, the main's balance covering it: paid at once.
    let small = s.order(1).await;
    assert_eq!(small["userErrors"], json!([]), "{small}");
    assert_eq!(small["order"]["status"], "PAID");
    assert_eq!(small["order"]["total"], "11.90");
    assert_eq!(s.balance(&s.t.main).await, "88.10");
    let auto = s.activity(&s.t.main, "order.auto_approved").await;
    assert_eq!(auto.len(), 1, "the main's history says why it paid");

    // Above the threshold: waits for the main, with a deadline.
    let large = s.order(2).await;
    assert_eq!(large["order"]["status"], "AWAITING_MAIN_APPROVAL");
    assert!(large["order"]["expiresAt"].is_string(), "{large}");
    assert_eq!(s.balance(&s.t.main).await, "88.10", "nothing charged yet");
    assert_eq!(
        s.controls().await,
        json!({ "monthlyCap": "50.00", "autoApproveUpTo": "15.00", "spentThisMonth": "35.70", "remainingThisMonth": "14.30" })
    );

    // Over what remains of the cap: refused, saying what remains, nothing written.
    let orders = s.sql("SELECT COUNT(*) FROM orders").await;
    let refused = s.order(2).await;
    assert_eq!(refused["order"], Value::Null);
    assert_eq!(refused["userErrors"][0]["code"], "SPENDING_LIMIT_EXCEEDED");
    let message = refused["userErrors"][0]["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("14.30"), "says what remains: {message}");
    assert_eq!(s.sql("SELECT COUNT(*) FROM orders").await, orders);

    // Under the threshold but the balance is short: waits for the main.
    let drain = s
        .app
        .ok(
            "mutation($a: ID!) { adjustBalance(input: {accountId: $a, amount: \"-85.00\", reason: \"refund\"}) { userErrors { code } } }",
            json!({ "a": s.t.main }),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(drain["adjustBalance"]["userErrors"], json!([]));
    let short = s.order(1).await;
    assert_eq!(short["order"]["status"], "AWAITING_MAIN_APPROVAL");
    assert_eq!(s.balance(&s.t.main).await, "3.10");

    // Rejected orders give their share of the cap back.
    let reject = s
        .app
        .ok(
            "mutation($o: ID!) { rejectOrder(input: {orderId: $o, reason: \"not now\"}) { order { status } userErrors { code } } }",
            json!({ "o": large["order"]["id"] }),
            Some(&s.main),
        )
        .await;
    assert_eq!(reject["rejectOrder"]["order"]["status"], "REJECTED_BY_MAIN");
    assert_eq!(s.controls().await["spentThisMonth"], "23.80");

    // Cleared: every order waits again, and there is no cap.
    let cleared = s.set(None, None, &s.main).await;
    assert_eq!(
        cleared["account"]["spendingControls"]["remainingThisMonth"],
        Value::Null
    );
    s.app.deposit(&s.t.main, "100.00").await;
    assert_eq!(
        s.order(1).await["order"]["status"],
        "AWAITING_MAIN_APPROVAL"
    );
}

#[tokio::test]
async fn spending_controls_are_checked_and_only_the_managing_main_or_staff_set_them() {
    let s = setup("10.00").await;
    let above = s.set(Some("10.00"), Some("20.00"), &s.main).await;
    assert_eq!(above["userErrors"][0]["code"], "INVALID_INPUT");
    assert_eq!(
        above["userErrors"][0]["field"],
        json!(["input", "autoApproveUpTo"])
    );
    let negative = s.set(Some("-1.00"), None, &s.main).await;
    assert_eq!(
        negative["userErrors"][0]["field"],
        json!(["input", "monthlyCap"])
    );
    assert_eq!(s.controls().await["monthlyCap"], Value::Null, "nothing set");

    // The sub-account itself, or on an independent sub-account: refused by the policy.
    let (_, own) = s
        .app
        .graphql(
            SET,
            json!({ "a": s.t.aggregated, "c": "1.00" }),
            Some(&s.sub),
        )
        .await;
    assert_eq!(first_code(&own), "FORBIDDEN");
    let (_, independent) = s
        .app
        .graphql(
            SET,
            json!({ "a": s.t.independent, "c": "1.00" }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&independent), "FORBIDDEN");
    // Management off: the main may no longer set them; staff still may.
    s.app.set_management(&s.t.main, false).await;
    let (_, off) = s
        .app
        .graphql(
            SET,
            json!({ "a": s.t.aggregated, "c": "1.00" }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&off), "FORBIDDEN");
    let staff = s.set(Some("30.00"), None, s.app.admin()).await;
    assert_eq!(staff["userErrors"], json!([]));
    let entries = s.activity(&s.t.aggregated, "spending_controls.set").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["details"]["before"]["monthlyCap"], Value::Null);
    assert_eq!(entries[0]["details"]["after"]["monthlyCap"], "30.00");
}

#[tokio::test]
async fn the_cap_counts_orders_of_this_calendar_month_only() {
    let s = setup("1.00").await;
    s.set(Some("20.00"), None, &s.main).await;
    let first = s.order(1).await;
    assert_eq!(first["order"]["status"], "AWAITING_MAIN_APPROVAL");
    assert_eq!(s.controls().await["spentThisMonth"], "11.90");
    let id = decode_pk(first["order"]["id"].as_str().expect("id"));
    let month = portal_api::domain::billing::Month::containing(portal_api::domain::today());
    let start = portal_api::domain::start_of_day(month.first);
    let move_to = |at: chrono::DateTime<Utc>| {
        let db = s.app.state.db.clone();
        async move {
            use sea_orm::{ActiveModelTrait, EntityTrait, Set};
            let row = entity::order::Entity::find_by_id(id)
                .one(&db)
                .await
                .expect("query")
                .expect("order");
            let mut active: entity::order::ActiveModel = row.into();
            active.created_at = Set(at);
            active.update(&db).await.expect("update");
        }
    };
    // The last second of last month: not counted.
    move_to(start - Duration::seconds(1)).await;
    assert_eq!(s.controls().await["spentThisMonth"], "0.00");
    assert_eq!(
        s.order(1).await["order"]["status"],
        "AWAITING_MAIN_APPROVAL"
    );
    // The first instant of this month: counted, and the next order is over the cap.
    move_to(start).await;
    assert_eq!(s.controls().await["spentThisMonth"], "23.80");
    assert_eq!(
        s.order(1).await["userErrors"][0]["code"],
        "SPENDING_LIMIT_EXCEEDED"
    );
}

#[tokio::test]
async fn eight_orders_at_once_cannot_pass_the_cap_together() {
    // Room for three orders of 11.90; the balance pays two at once.
    let s = setup("23.80").await;
    s.set(Some("35.70"), Some("11.90"), &s.main).await;
    let bodies = join_all((0..8).map(|_| {
        s.app.graphql(
            PLACE,
            json!({ "a": s.t.aggregated, "t": s.tariff, "q": 1 }),
            Some(&s.sub),
        )
    }))
    .await;
    let mut by_outcome = std::collections::BTreeMap::<String, usize>::new();
    for (_, body) in &bodies {
        assert!(body.get("errors").is_none(), "{body}");
        let out = &body["data"]["placeOrder"];
        let key = out["order"]["status"]
            .as_str()
            .or(out["userErrors"][0]["code"].as_str())
            .expect("an outcome")
            .to_string();
        *by_outcome.entry(key).or_default() += 1;
    }
    assert_eq!(
        by_outcome,
        [
            ("AWAITING_MAIN_APPROVAL".to_string(), 1),
            ("PAID".to_string(), 2),
            ("SPENDING_LIMIT_EXCEEDED".to_string(), 5)
        ]
        .into_iter()
        .collect(),
    );
    assert_eq!(s.balance(&s.t.main).await, "0.00");
    assert_eq!(s.controls().await["remainingThisMonth"], "0.00");
}
