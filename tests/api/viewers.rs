//! The viewer cache (`auth::cache`) across replicas: a change committed anywhere (a switch
//! flipped on one replica, a partner setting, a row written by hand in SQL) is honoured by
//! the very next request on any other replica, and a request whose viewer did not change
//! costs no viewer statement (PostgreSQL; SQLite reads the viewer on every request).

use std::net::SocketAddr;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, decode_pk};

/// As the main account: may it pause its aggregated sub-account's services (its own
/// management switch)?
const MAIN_VIEW: &str =
    "query($s: ID!) { node(id: $s) { ... on Account { capabilities { pauseServices } } } }";
/// As the aggregated sub-account: its name, and whether it may ask its main for an order
/// (its partner's setting and its main's management switch).
const SUB_VIEW: &str = "{ viewer { account { fullName capabilities { order } } } }";

async fn ask(app: &TestApp, server: SocketAddr, query: &str, vars: Value, token: &str) -> Value {
    app.ok_at(server, query, vars, Some(token)).await
}

#[tokio::test]
async fn a_change_committed_anywhere_holds_on_the_next_request_on_another_replica() {
    let app = TestApp::spawn().await;
    let t = app.tenant("vc").await;
    app.allow_sub_orders().await;
    let partner = app
        .ok("{ partners { id } }", json!({}), Some(app.admin()))
        .await["partners"][0]["id"]
        .clone();
    let other = app.replica().await;
    let (main, sub) = (
        app.token_for(&t.main).await,
        app.token_for(&t.aggregated).await,
    );
    let vars = json!({ "s": t.aggregated });
    // What the other replica answers: may the main pause its sub's services, may the sub
    // ask for an order.
    let seen = async || {
        let main = ask(&app, other.addr, MAIN_VIEW, vars.clone(), &main).await;
        let sub = ask(&app, other.addr, SUB_VIEW, json!({}), &sub).await;
        (
            main["node"]["capabilities"]["pauseServices"].clone(),
            sub["viewer"]["account"]["capabilities"]["order"].clone(),
        )
    };
    for round in 0..10 {
        let on = round % 2 == 1;
        // The main's own switch and, through it, what its sub-account may ask: flipped on
        // this replica, asked of the other at once.
        app.set_management(&t.main, on).await;
        assert_eq!(
            seen().await,
            (json!(on), json!(on)),
            "round {round}: switch"
        );
        // The partner's setting (a table of its own).
        app.set_partner_ordering(&partner, false).await;
        assert_eq!(
            seen().await,
            (json!(on), json!(false)),
            "round {round}: partner"
        );
        app.set_partner_ordering(&partner, true).await;
        assert_eq!(seen().await, (json!(on), json!(on)), "round {round}: back");
        // A row written by hand, by no server at all.
        let name = format!("Renamed by hand {round}");
        app.state
            .db
            .execute_unprepared(&format!(
                "UPDATE accounts SET full_name = '{name}' WHERE id = {}",
                decode_pk(&t.aggregated)
            ))
            .await
            .expect("update by hand");
        let seen = ask(&app, other.addr, SUB_VIEW, json!({}), &sub).await;
        assert_eq!(
            seen["viewer"]["account"]["fullName"],
            json!(name),
            "round {round}"
        );
    }

    // Nothing changed: the viewer costs the other replica no statement on PostgreSQL, one
    // on SQLite.
    let hits = other.state.viewers.counts().hits;
    let before = other.state.metrics.db_queries();
    let seen = ask(&app, other.addr, SUB_VIEW, json!({}), &sub).await;
    assert_eq!(
        seen["viewer"]["account"]["fullName"],
        json!("Renamed by hand 9")
    );
    let cost = other.state.metrics.db_queries() - before;
    if TestApp::postgres_admin_url().is_some() {
        assert_eq!(cost, 0, "the viewer came from the cache");
        assert_eq!(other.state.viewers.counts().hits, hits + 1);
    } else {
        assert_eq!(cost, 1, "SQLite reads the viewer");
        assert_eq!(other.state.viewers.counts().hits, 0);
    }
}

#[tokio::test]
async fn a_link_or_a_staff_name_changed_by_hand_is_seen_at_once_on_another_replica() {
    let app = TestApp::spawn().await;
    let t = app.tenant("vg").await;
    let other = app.replica().await;
    let sub = app.token_for(&t.aggregated).await;
    const LINK: &str = "{ viewer { account { subAccountType } } }";
    const FLIP: &str = "mutation($a: ID!, $e: Boolean!) { setSubAccountManagement(input: {accountId: $a, enabled: $e}) { userErrors { code } } }";
    const ACTOR: &str = "query($a: ID!) { node(id: $a) { ... on Account { activity(first: 1) { nodes { action actor } } } } }";
    // Kept by the other replica: the sub-account's viewer and the staff member's.
    let seen = ask(&app, other.addr, LINK, json!({}), &sub).await;
    assert_eq!(
        seen["viewer"]["account"]["subAccountType"],
        json!("AGGREGATED")
    );
    let flip = json!({ "a": t.main, "e": false });
    ask(&app, other.addr, FLIP, flip.clone(), app.admin()).await;
    // Then both rows changed by hand.
    let pk = decode_pk(&t.aggregated);
    for sql in [
        format!(
            "UPDATE accounts SET main_account_id = NULL, sub_account_type = NULL WHERE id = {pk}"
        ),
        "UPDATE staff_users SET full_name = 'Renamed staff'".to_string(),
    ] {
        app.state
            .db
            .execute_unprepared(&sql)
            .await
            .expect("by hand");
    }
    let seen = ask(&app, other.addr, LINK, json!({}), &sub).await;
    assert_eq!(
        seen["viewer"]["account"]["subAccountType"],
        Value::Null,
        "{seen}"
    );
    // The history names the staff member as the row now does.
    ask(
        &app,
        other.addr,
        FLIP,
        json!({ "a": t.main, "e": true }),
        app.admin(),
    )
    .await;
    let seen = ask(&app, other.addr, ACTOR, json!({ "a": t.main }), app.admin()).await;
    let actor = seen["node"]["activity"]["nodes"][0]["actor"]
        .as_str()
        .unwrap_or_default();
    assert!(actor.contains("Renamed staff"), "{seen}");
}
