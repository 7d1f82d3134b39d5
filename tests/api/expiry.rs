//! Requests that wait too long for the main account expire (SPEC.md "Controls"): one
//! reminder a day before, then `EXPIRED` with nothing charged, by the scheduler on any
//! replica. The tests move the scheduler's clock; they never sleep.

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use portal_api::jobs::{
    scheduler::{Ran, Scheduler},
    work::{Job, Jobs},
};

use crate::{controls::setup, helpers::decode_pk};

fn ran(results: &[Ran]) -> Vec<&Ran> {
    results
        .iter()
        .filter(|r| r.job == Job::ExpireApprovals)
        .collect()
}

#[tokio::test]
async fn a_waiting_request_is_reminded_once_then_expires_charging_nothing_across_replicas() {
    let s = setup("100.00").await;
    let other = s.app.replica().await;
    let partner = s
        .app
        .ok("{ partners { id } }", json!({}), Some(s.app.admin()))
        .await["partners"][0]["id"]
        .clone();
    let days = s
        .app
        .ok(
            "mutation($p: ID!, $d: Int) { updatePartnerPortalSettings(input: {partnerId: $p, approvalExpiryDays: $d}) { partner { settings { approvalExpiryDays } } userErrors { code field } } }",
            json!({ "p": partner, "d": 3 }),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(
        days["updatePartnerPortalSettings"]["partner"]["settings"]["approvalExpiryDays"], 3,
        "{days}"
    );
    let (_, bad) = s
        .app
        .graphql(
            "mutation($p: ID!) { updatePartnerPortalSettings(input: {partnerId: $p, approvalExpiryDays: 0}) { userErrors { code field } } }",
            json!({ "p": partner }),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(
        bad["data"]["updatePartnerPortalSettings"]["userErrors"][0]["field"],
        json!(["input", "approvalExpiryDays"])
    );

    // The main account has an address for the reminder email.
    {
        use sea_orm::ConnectionTrait;
        s.app
            .state
            .db
            .execute_unprepared(&format!(
                "UPDATE accounts SET email = 'boss@example.net' WHERE id = {}",
                decode_pk(&s.t.main)
            ))
            .await
            .expect("update");
    }
    let placed = Utc::now();
    let order = s.order(1).await;
    let expires: chrono::DateTime<Utc> = order["order"]["expiresAt"]
        .as_str()
        .expect("a deadline")
        .parse()
        .expect("a time");
    assert!((expires - placed - Duration::days(3)).num_seconds().abs() < 60);

    let (a, b) = (
        Scheduler::new(&s.app.state, Arc::new(Jobs)),
        Scheduler::new(&other.state, Arc::new(Jobs)),
    );
    let tick_both = |at: chrono::DateTime<Utc>| {
        let (a, b) = (&a, &b);
        async move {
            let (x, y) = tokio::join!(a.tick(at), b.tick(at));
            let (x, y) = (x.expect("tick"), y.expect("tick"));
            let outcomes: Vec<String> = ran(&x)
                .into_iter()
                .chain(ran(&y))
                .map(|r| r.outcome.clone().expect("the job succeeds"))
                .collect();
            outcomes
        }
    };
    let reminders = || s.sql("SELECT COUNT(*) FROM notifications WHERE kind = 'ORDER_EXPIRING'");
    // Two days before: nothing to do.
    assert_eq!(
        tick_both(placed + Duration::hours(1)).await,
        ["0 reminded, 0 expired"]
    );
    // A day before: one reminder (portal and email), from one replica.
    assert_eq!(
        tick_both(expires - Duration::hours(20)).await,
        ["1 reminded, 0 expired"]
    );
    assert_eq!(reminders().await, 1);
    assert_eq!(
        s.sql("SELECT COUNT(*) FROM email_outbox WHERE subject LIKE '%expires soon' AND to_address = 'boss@example.net'")
            .await,
        1
    );
    // An hour later: not reminded again.
    assert_eq!(
        tick_both(expires - Duration::hours(19)).await,
        ["0 reminded, 0 expired"]
    );
    assert_eq!(reminders().await, 1);
    // Its time has come: expired, nothing charged, both told.
    assert_eq!(
        tick_both(expires + Duration::hours(1)).await,
        ["0 reminded, 1 expired"]
    );
    let seen = s
        .app
        .ok(
            "query($o: ID!) { node(id: $o) { ... on Order { status paidAt invoice { id } } } }",
            json!({ "o": order["order"]["id"] }),
            Some(&s.main),
        )
        .await;
    assert_eq!(
        seen["node"],
        json!({ "status": "EXPIRED", "paidAt": null, "invoice": null })
    );
    assert_eq!(s.balance(&s.t.main).await, "100.00");
    for token in [&s.main, &s.sub] {
        let notes = s
            .app
            .ok(
                "{ viewer { notifications(first: 20) { nodes { kind order { id } } } } }",
                json!({}),
                Some(token),
            )
            .await;
        let expired: Vec<&Value> = notes["viewer"]["notifications"]["nodes"]
            .as_array()
            .expect("notifications")
            .iter()
            .filter(|n| n["kind"] == "ORDER_EXPIRED")
            .collect();
        assert_eq!(expired.len(), 1, "{notes}");
        assert_eq!(expired[0]["order"]["id"], order["order"]["id"]);
    }
    // The main can no longer approve it, and it no longer counts.
    let late = s
        .app
        .ok(
            "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { status } userErrors { code } } }",
            json!({ "o": order["order"]["id"] }),
            Some(&s.main),
        )
        .await;
    assert_eq!(
        late["approveOrder"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    assert_eq!(s.balance(&s.t.main).await, "100.00");
}

#[tokio::test]
async fn a_deadline_holds_at_the_action_without_the_job() {
    // No scheduler runs here: approving a second after the deadline is refused as EXPIRED,
    // charges nothing, and expires the order there and then; rejecting likewise.
    let s = setup("100.00").await;
    for mutation in [
        "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { status } userErrors { code } } }",
        "mutation($o: ID!) { rejectOrder(input: {orderId: $o, reason: \"Too late\"}) { order { status } userErrors { code } } }",
    ] {
        let order = s.order(1).await["order"]["id"].clone();
        {
            use sea_orm::ConnectionTrait;
            let past = (Utc::now() - Duration::seconds(1)).to_rfc3339();
            s.app
                .state
                .db
                .execute_unprepared(&format!(
                    "UPDATE orders SET expires_at = '{past}' WHERE id = {}",
                    decode_pk(order.as_str().expect("id"))
                ))
                .await
                .expect("a deadline just passed");
        }
        let late = s
            .app
            .ok(mutation, json!({ "o": order }), Some(&s.main))
            .await;
        let payload = late
            .as_object()
            .and_then(|o| o.values().next())
            .expect("payload");
        assert_eq!(payload["userErrors"][0]["code"], "EXPIRED", "{late}");
        let seen = s
            .app
            .ok(
                "query($o: ID!) { node(id: $o) { ... on Order { status paidAt } } }",
                json!({ "o": order }),
                Some(&s.main),
            )
            .await;
        assert_eq!(seen["node"], json!({ "status": "EXPIRED", "paidAt": null }));
        assert_eq!(s.balance(&s.t.main).await, "100.00");
    }
    assert_eq!(
        s.sql("SELECT COUNT(*) FROM notifications WHERE kind = 'ORDER_EXPIRED'")
            .await,
        4,
        "both parties told, each time"
    );
}
