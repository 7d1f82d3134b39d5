//! Pausing, resuming and changing services, on one's own and on sub-accounts' services,
//! with the admin's side of change requests.

use serde_json::{Value, json};

use crate::helpers::{TestApp, encode_id, first_code};

const PAUSE: &str = "mutation($s: ID!) { pauseService(input: {serviceId: $s}) { service { status } userErrors { code } } }";
const RESUME: &str = "mutation($s: ID!) { resumeService(input: {serviceId: $s}) { service { status } userErrors { code } } }";
const CHANGE: &str = "mutation($s: ID!, $t: ID!, $m: ChangeMode!) { changeService(input: {serviceId: $s, tariffId: $t, mode: $m}) {
  service { price tariff { name } pendingChange { id status } } changeRequest { id mode status fromTariff { name } toTariff { name } } userErrors { code field } } }";

async fn tariff(app: &TestApp, name: &str, price: &str, self_change: bool) -> String {
    app.ok(
        "mutation($n: String!, $p: Decimal!, $s: Boolean) { createTariff(input: {name: $n, kind: INTERNET, price: $p, allowsSelfChange: $s}) { tariff { id } } }",
        json!({ "n": name, "p": price, "s": self_change }),
        Some(app.admin()),
    )
    .await["createTariff"]["tariff"]["id"]
        .as_str()
        .expect("tariff")
        .to_string()
}

#[tokio::test]
async fn pause_and_resume_follow_the_table_and_the_states() {
    let app = TestApp::spawn().await;
    app.set_independent_access(true).await;
    let t = app.tenant("t").await;
    let fiber = tariff(&app, "Fiber", "20.00", true).await;
    let token = app.token_for(&t.main).await;
    for sub in [&t.aggregated, &t.independent] {
        let s = encode_id(
            "Service",
            app.add_service(sub, &fiber, entity::enums::ServiceStatus::Active)
                .await,
        );
        let out = app.ok(PAUSE, json!({ "s": s }), Some(&token)).await;
        assert_eq!(
            out["pauseService"],
            json!({ "service": { "status": "PAUSED" }, "userErrors": [] })
        );
        let again = app.ok(PAUSE, json!({ "s": s }), Some(&token)).await;
        assert_eq!(
            again["pauseService"],
            json!({ "service": null, "userErrors": [{ "code": "INVALID_STATE" }] })
        );
        let out = app.ok(RESUME, json!({ "s": s }), Some(&token)).await;
        assert_eq!(out["resumeService"]["service"]["status"], "ACTIVE");
        let again = app.ok(RESUME, json!({ "s": s }), Some(&token)).await;
        assert_eq!(
            again["resumeService"]["userErrors"],
            json!([{ "code": "INVALID_STATE" }])
        );
    }
    let pending = encode_id(
        "Service",
        app.add_service(&t.aggregated, &fiber, entity::enums::ServiceStatus::Pending)
            .await,
    );
    assert_eq!(
        app.ok(PAUSE, json!({ "s": pending }), Some(&token)).await["pauseService"]["userErrors"],
        json!([{ "code": "INVALID_STATE" }])
    );
    // History on the sub-account.
    let history = app.ok("query($id: ID!) { node(id: $id) { ... on Account { activity(first: 2) { nodes { action actor } } } } }", json!({ "id": t.aggregated }), Some(&token)).await;
    assert_eq!(
        history["node"]["activity"]["nodes"][0]["action"],
        "service.resumed"
    );
    assert_eq!(
        history["node"]["activity"]["nodes"][0]["actor"], "Name of t-main",
        "the main names itself by its name"
    );
    // Management off: refused.
    let s = encode_id(
        "Service",
        app.add_service(&t.aggregated, &fiber, entity::enums::ServiceStatus::Active)
            .await,
    );
    app.set_management(&t.main, false).await;
    let (_, body) = app.graphql(PAUSE, json!({ "s": s }), Some(&token)).await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn a_self_change_switches_at_once_and_a_request_waits_for_an_admin() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let basic = tariff(&app, "Basic", "20.00", true).await;
    let fast = tariff(&app, "Fast", "35.50", false).await;
    let faster = tariff(&app, "Faster", "50.00", false).await;
    let token = app.token_for(&t.main).await;
    let s = encode_id(
        "Service",
        app.add_service(&t.aggregated, &basic, entity::enums::ServiceStatus::Active)
            .await,
    );

    let out = app
        .ok(
            CHANGE,
            json!({ "s": s, "t": fast, "m": "SELF_CHANGE" }),
            Some(&token),
        )
        .await["changeService"]
        .clone();
    assert_eq!(out["userErrors"], json!([]));
    assert_eq!(out["service"]["tariff"]["name"], "Fast");
    assert_eq!(
        out["service"]["price"], "35.50",
        "the price follows the tariff"
    );
    assert_eq!(out["changeRequest"]["status"], "APPLIED");
    // "Fast" does not allow self-change.
    let out = app
        .ok(
            CHANGE,
            json!({ "s": s, "t": faster, "m": "SELF_CHANGE" }),
            Some(&token),
        )
        .await["changeService"]
        .clone();
    assert_eq!(
        out["userErrors"],
        json!([{ "code": "NOT_ALLOWED_BY_SETTINGS", "field": null }])
    );
    let out = app
        .ok(
            CHANGE,
            json!({ "s": s, "t": faster, "m": "REQUEST" }),
            Some(&token),
        )
        .await["changeService"]
        .clone();
    assert_eq!(out["changeRequest"]["status"], "PENDING");
    assert_eq!(
        out["service"]["pendingChange"]["id"],
        out["changeRequest"]["id"]
    );
    let request = out["changeRequest"]["id"].clone();
    let twice = app
        .ok(
            CHANGE,
            json!({ "s": s, "t": basic, "m": "REQUEST" }),
            Some(&token),
        )
        .await["changeService"]
        .clone();
    assert_eq!(
        twice["userErrors"][0]["code"], "INVALID_STATE",
        "one open request per service"
    );
    let same = app
        .ok(
            CHANGE,
            json!({ "s": s, "t": fast, "m": "REQUEST" }),
            Some(&token),
        )
        .await["changeService"]
        .clone();
    assert_eq!(
        same["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "tariffId"] }]),
        "already on it"
    );

    let decide = "mutation($r: ID!) { approveChangeRequest(input: {changeRequestId: $r}) { service { tariff { name } price pendingChange { id } } changeRequest { status } userErrors { code } } }";
    let (_, body) = app
        .graphql(decide, json!({ "r": request }), Some(&token))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN", "only admins decide");
    let queue = app.ok("{ changeRequests(status: PENDING) { totalCount nodes { id service { id } requestedBy { id } } } }", json!({}), Some(app.admin())).await;
    assert_eq!(queue["changeRequests"]["totalCount"], 1);
    assert_eq!(
        queue["changeRequests"]["nodes"][0]["requestedBy"]["id"],
        json!(t.main)
    );
    let done = app
        .ok(decide, json!({ "r": request }), Some(app.admin()))
        .await["approveChangeRequest"]
        .clone();
    assert_eq!(
        done["service"],
        json!({ "tariff": { "name": "Faster" }, "price": "50.00", "pendingChange": null })
    );
    assert_eq!(done["changeRequest"]["status"], "APPROVED");
    let again = app
        .ok(decide, json!({ "r": request }), Some(app.admin()))
        .await["approveChangeRequest"]
        .clone();
    assert_eq!(again["userErrors"], json!([{ "code": "INVALID_STATE" }]));

    let reject = "mutation($r: ID!) { rejectChangeRequest(input: {changeRequestId: $r}) { service { tariff { name } } changeRequest { status } } }";
    let out = app
        .ok(
            CHANGE,
            json!({ "s": s, "t": basic, "m": "REQUEST" }),
            Some(&token),
        )
        .await["changeService"]
        .clone();
    let rejected = app
        .ok(
            reject,
            json!({ "r": out["changeRequest"]["id"] }),
            Some(app.admin()),
        )
        .await["rejectChangeRequest"]
        .clone();
    assert_eq!(
        rejected,
        json!({ "service": { "tariff": { "name": "Faster" } }, "changeRequest": { "status": "REJECTED" } })
    );
}

#[tokio::test]
async fn changing_an_independent_sub_accounts_service_is_refused() {
    let app = TestApp::spawn().await;
    app.set_independent_access(true).await;
    let t = app.tenant("t").await;
    let basic = tariff(&app, "Basic", "20.00", true).await;
    let fast = tariff(&app, "Fast", "30.00", true).await;
    let token = app.token_for(&t.main).await;
    let s = encode_id(
        "Service",
        app.add_service(&t.independent, &basic, entity::enums::ServiceStatus::Active)
            .await,
    );
    for mode in ["SELF_CHANGE", "REQUEST"] {
        let (_, body) = app
            .graphql(
                CHANGE,
                json!({ "s": s, "t": fast, "m": mode }),
                Some(&token),
            )
            .await;
        assert_eq!(first_code(&body), "FORBIDDEN");
        assert_eq!(body["data"]["changeService"], Value::Null);
    }
    // Its owner may.
    let own = app.token_for(&t.independent).await;
    let out = app
        .ok(
            CHANGE,
            json!({ "s": s, "t": fast, "m": "SELF_CHANGE" }),
            Some(&own),
        )
        .await;
    assert_eq!(out["changeService"]["service"]["tariff"]["name"], "Fast");
}

const OPTIONS: &str =
    "query($s: ID!) { node(id: $s) { ... on Service { status changeOptions { name } } } }";

async fn options(app: &TestApp, service: &str, token: &str) -> Vec<String> {
    let out = app.ok(OPTIONS, json!({ "s": service }), Some(token)).await;
    out["node"]["changeOptions"]
        .as_array()
        .expect("options")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn change_options_are_what_the_change_accepts_for_this_viewer_now() {
    let app = TestApp::spawn().await;
    app.set_independent_access(true).await;
    let t = app.tenant("t").await;
    let basic = tariff(&app, "Basic", "20.00", false).await;
    let fast = tariff(&app, "Fast", "30.00", false).await;
    let faster = tariff(&app, "Faster", "40.00", false).await;
    app.create_tariff_of("VOICE", "Voice Flat", "9.00").await;
    let main = app.token_for(&t.main).await;
    let s = encode_id(
        "Service",
        app.add_service(&t.aggregated, &basic, entity::enums::ServiceStatus::Active)
            .await,
    );
    // Another tariff of the same kind: not itself, not Voice.
    assert_eq!(options(&app, &s, &main).await, ["Fast", "Faster"]);
    // Each option is accepted by the change itself.
    for (name, id) in [("Fast", fast), ("Faster", faster)] {
        let out = app
            .ok(
                CHANGE,
                json!({ "s": s, "t": id, "m": "REQUEST" }),
                Some(&main),
            )
            .await;
        assert_eq!(out["changeService"]["userErrors"], json!([]), "{name}");
        // An open request: nothing more to choose until an admin decides it.
        assert!(options(&app, &s, &main).await.is_empty());
        let request = out["changeService"]["changeRequest"]["id"].clone();
        app.ok(
            "mutation($r: ID!) { rejectChangeRequest(input: {changeRequestId: $r}) { userErrors { code } } }",
            json!({ "r": request }),
            Some(app.admin()),
        )
        .await;
    }
    // Without `changeServices` (an independent sub-account's service the main may only
    // see), no options; its owner has them.
    let theirs = encode_id(
        "Service",
        app.add_service(&t.independent, &basic, entity::enums::ServiceStatus::Active)
            .await,
    );
    assert!(options(&app, &theirs, &main).await.is_empty());
    let own = app.token_for(&t.independent).await;
    assert_eq!(options(&app, &theirs, &own).await, ["Fast", "Faster"]);
}
