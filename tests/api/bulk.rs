//! Bulk actions (SPEC.md "Controls"): each item authorized and done on its own, a result per
//! item, a partial success reported and kept, the same key answering the same results.

use serde_json::{Value, json};

use entity::enums::ServiceStatus;

use crate::helpers::{TestApp, encode_id};

const PAUSE: &str = "mutation($s: [ID!]!, $k: String) { bulkPauseServices(input: {serviceIds: $s, idempotencyKey: $k}) { result { okCount failedCount replayed items { item ok code permission message service { id status } } } userErrors { code field message } } }";
const TICKETS: &str = "mutation($a: [ID!]!, $subject: String!) { bulkCreateTickets(input: {accountIds: $a, subject: $subject, message: \"The line is down\", priority: HIGH}) { result { okCount failedCount items { item ok code permission ticket { subject priority account { id } } } } userErrors { code field } } }";

async fn status(app: &TestApp, service: &str) -> Value {
    app.ok(
        "query($s: ID!) { node(id: $s) { ... on Service { status } } }",
        json!({ "s": service }),
        Some(app.admin()),
    )
    .await["node"]["status"]
        .clone()
}

#[tokio::test]
async fn mixed_items_get_their_own_codes_and_only_the_allowed_ones_change() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bulk").await;
    let other = app.tenant("other").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let svc = |account: &str, status| {
        let (app, account, tariff) = (&app, account.to_string(), tariff.clone());
        async move { encode_id("Service", app.add_service(&account, &tariff, status).await) }
    };
    let allowed = svc(&t.aggregated, ServiceStatus::Active).await;
    let allowed_too = svc(&t.main, ServiceStatus::Active).await;
    // Independent access is off: the main sees the independent sub-account in its list
    // but may not pause its services.
    let forbidden = svc(&t.independent, ServiceStatus::Active).await;
    let paused = svc(&t.aggregated, ServiceStatus::Paused).await;
    let foreign = svc(&other.aggregated, ServiceStatus::Active).await;
    let token = app.token_for(&t.main).await;
    let items = json!([
        allowed,
        forbidden,
        paused,
        foreign,
        "garbage",
        allowed_too,
        allowed
    ]);
    let out = app
        .ok(PAUSE, json!({ "s": items, "k": "pause-1" }), Some(&token))
        .await["bulkPauseServices"]
        .clone();
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let result = &out["result"];
    let codes: Vec<(Value, Value)> = result["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["item"].clone(), i["code"].clone()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (json!(allowed), Value::Null),
            (json!(forbidden), json!("FORBIDDEN")),
            (json!(paused), json!("INVALID_STATE")),
            (json!(foreign), json!("NOT_FOUND")),
            (json!("garbage"), json!("NOT_FOUND")),
            (json!(allowed_too), Value::Null),
        ],
        "one result per item, a repeated item once: {out}"
    );
    assert_eq!(result["items"][1]["permission"], "pauseServices");
    assert_eq!(result["items"][0]["service"]["status"], "PAUSED");
    assert_eq!(
        result["items"][3]["service"],
        Value::Null,
        "nothing of another tenant"
    );
    assert_eq!(
        (result["okCount"].clone(), result["failedCount"].clone()),
        (json!(2), json!(4))
    );
    assert_eq!(result["replayed"], false);
    // Only the allowed ones changed, and they stay changed.
    for (service, want) in [
        (&allowed, "PAUSED"),
        (&allowed_too, "PAUSED"),
        (&forbidden, "ACTIVE"),
        (&paused, "PAUSED"),
        (&foreign, "ACTIVE"),
    ] {
        assert_eq!(status(&app, service).await, want, "{service}");
    }

    // The same key again: the same results, nothing done twice.
    let again = app
        .ok(PAUSE, json!({ "s": items, "k": "pause-1" }), Some(&token))
        .await["bulkPauseServices"]
        .clone();
    assert_eq!(again["result"]["replayed"], true);
    assert_eq!(again["result"]["items"], result["items"]);
    let pauses = app
        .number(&format!(
            "SELECT COUNT(*) FROM service_pauses WHERE service_id = {}",
            crate::helpers::decode_pk(&allowed)
        ))
        .await;
    assert_eq!(pauses, 1);
    // The key for other items: refused.
    let reused = app
        .ok(
            PAUSE,
            json!({ "s": [allowed_too], "k": "pause-1" }),
            Some(&token),
        )
        .await["bulkPauseServices"]
        .clone();
    assert_eq!(reused["userErrors"][0]["code"], "DUPLICATE");
    assert_eq!(
        reused["userErrors"][0]["field"],
        json!(["input", "idempotencyKey"])
    );

    // Resume in bulk: the paused ones come back.
    let resumed = app
        .ok(
            "mutation($s: [ID!]!) { bulkResumeServices(input: {serviceIds: $s}) { result { okCount items { code } } } }",
            json!({ "s": [allowed, allowed_too, forbidden] }),
            Some(&token),
        )
        .await;
    assert_eq!(resumed["bulkResumeServices"]["result"]["okCount"], 2);
    assert_eq!(
        resumed["bulkResumeServices"]["result"]["items"][2]["code"],
        "FORBIDDEN"
    );
    assert_eq!(status(&app, &allowed).await, "ACTIVE");
}

#[tokio::test]
async fn a_bulk_request_is_refused_whole_when_it_is_malformed() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bulk").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let one = encode_id(
        "Service",
        app.add_service(&t.aggregated, &tariff, ServiceStatus::Active)
            .await,
    );
    let token = app.token_for(&t.main).await;
    let too_many: Vec<String> = (0..101).map(|_| one.clone()).collect();
    for (items, field) in [(json!(too_many), "serviceIds"), (json!([]), "serviceIds")] {
        let out = app.ok(PAUSE, json!({ "s": items }), Some(&token)).await;
        assert_eq!(out["bulkPauseServices"]["result"], Value::Null);
        assert_eq!(
            out["bulkPauseServices"]["userErrors"][0]["code"],
            "INVALID_INPUT"
        );
        assert_eq!(
            out["bulkPauseServices"]["userErrors"][0]["field"],
            json!(["input", field])
        );
    }
    assert_eq!(status(&app, &one).await, "ACTIVE", "nothing done");
    let blank = app
        .ok(
            TICKETS,
            json!({ "a": [t.aggregated], "subject": "" }),
            Some(&token),
        )
        .await;
    assert_eq!(
        blank["bulkCreateTickets"]["userErrors"][0]["field"],
        json!(["input", "subject"])
    );
    assert_eq!(app.number("SELECT COUNT(*) FROM tickets").await, 0);
}

#[tokio::test]
async fn a_ticket_opened_for_many_accounts_lands_where_it_is_allowed() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bulk").await;
    let other = app.tenant("other").await;
    let token = app.token_for(&t.main).await;
    let out = app
        .ok(
            TICKETS,
            json!({ "a": [t.aggregated, t.main, t.independent, other.main], "subject": "Outage in Mitte" }),
            Some(&token),
        )
        .await["bulkCreateTickets"]
        .clone();
    let items = out["result"]["items"].as_array().expect("items");
    assert_eq!(items[0]["ticket"]["account"]["id"], json!(t.aggregated));
    assert_eq!(items[0]["ticket"]["priority"], "HIGH");
    assert_eq!(items[1]["ticket"]["subject"], "Outage in Mitte");
    assert_eq!(items[2]["code"], "FORBIDDEN");
    assert_eq!(items[2]["permission"], "manageTickets");
    assert_eq!(items[3]["code"], "NOT_FOUND");
    assert_eq!(out["result"]["okCount"], 2);
    assert_eq!(
        app.number("SELECT COUNT(*) FROM tickets WHERE subject = 'Outage in Mitte'")
            .await,
        2
    );
    // A sub-account in bulk: only its own account.
    let sub = app.token_for(&t.aggregated).await;
    let mine = app
        .ok(
            TICKETS,
            json!({ "a": [t.aggregated, t.main], "subject": "Mine" }),
            Some(&sub),
        )
        .await["bulkCreateTickets"]["result"]
        .clone();
    assert_eq!(mine["items"][0]["ok"], true);
    assert_eq!(
        mine["items"][1]["code"], "NOT_FOUND",
        "its main does not exist for it"
    );
}
