//! The HTTP surface: health, readiness, metrics, GraphiQL, status codes and content types.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("sent")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent")
            .status(),
        StatusCode::OK
    );
    app.ok("{ tariffs { id } }", json!({}), Some(app.admin()))
        .await;
    let text = app.metrics_at(app.addr).await;
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    assert!(value("portal_db_queries_total") > 0.0, "{text}");
    // The viewer cache's counters (zero on SQLite, where it is off).
    assert!(value("portal_viewer_cache_hits_total") >= 0.0, "{text}");
    assert!(
        value("portal_http_requests_total{status=\"2xx\"}") >= 2.0,
        "{text}"
    );
    assert!(
        value("portal_http_request_duration_seconds_count") >= 2.0,
        "{text}"
    );
}

#[tokio::test]
async fn a_browser_gets_graphiql() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .expect("html")
            .to_lowercase()
            .contains("graphiql")
    );
}

#[tokio::test]
async fn queries_run_over_get_but_mutations_do_not() {
    let app = TestApp::spawn().await;
    let get = |q: &str| {
        app.client
            .get(app.url("/graphql"))
            .query(&[("query", q)])
            .bearer_auth(app.admin())
            .send()
    };
    let resp = get("{ viewer { role } }").await.expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Value>().await.expect("json")["data"]["viewer"]["role"],
        "ADMIN"
    );
    let resp = get("mutation { createPartner(input: {name: \"via get\"}) { partner { id } } }")
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    let partners = app
        .ok("{ partners { name } }", json!({}), Some(app.admin()))
        .await;
    assert_eq!(partners["partners"], json!([{ "name": "Default" }]));
}

#[tokio::test]
async fn malformed_requests_get_400_with_a_code() {
    let app = TestApp::spawn().await;
    let raw = |body: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .bearer_auth(app.admin())
            .body(body)
            .send()
    };
    let resp = raw("{ not json").await.expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (status, body) = app
        .graphql("{ viewer { role ", json!({}), Some(app.admin()))
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "GRAPHQL_PARSE_FAILED")
    );
    let (status, body) = app
        .graphql("{ viewer { noSuchField } }", json!({}), Some(app.admin()))
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "GRAPHQL_VALIDATION_FAILED")
    );
    // The server still serves.
    app.ok("{ viewer { role } }", json!({}), Some(app.admin()))
        .await;
}

#[tokio::test]
async fn the_graphql_response_media_type_is_used_when_accepted() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(
            "accept",
            "application/graphql-response+json, application/json",
        )
        .bearer_auth(app.admin())
        .json(&json!({ "query": "{ viewer { role } }" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.headers()["content-type"],
        "application/graphql-response+json"
    );
    let resp = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(app.admin())
        .json(&json!({ "query": "{ viewer { role } }" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn internal_details_never_reach_the_client() {
    let app = TestApp::spawn().await;
    // A node id whose pk overflows is just NOT_FOUND, not a database error.
    use base64::Engine;
    let id =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("Account:99999999999999999999");
    let (_, body) = app
        .graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    let text = body.to_string().to_lowercase();
    assert!(!text.contains("sql") && !text.contains("select"), "{text}");
}

#[tokio::test]
async fn a_legacy_json_client_reads_document_errors_from_a_200() {
    let app = TestApp::spawn().await;
    for (query, code) in [
        ("{ viewer { role ", "GRAPHQL_PARSE_FAILED"),
        ("{ viewer { nope } }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header("accept", "application/json")
            .bearer_auth(app.admin())
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(first_code(&body), code);
    }
}

#[tokio::test]
async fn abusive_shapes_are_refused_cheaply_and_the_server_still_serves() {
    let app = TestApp::spawn().await;
    let post = |body: String| {
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .bearer_auth(app.admin())
            .body(body)
            .send()
    };
    // A batch of 50 operations.
    let batch =
        serde_json::to_string(&vec![json!({ "query": "{ viewer { role } }" }); 50]).expect("json");
    let resp = post(batch).await.expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // A 200 KB body.
    let big =
        json!({ "query": format!("{{ viewer {{ role }} }} #{}", "x".repeat(200_000)) }).to_string();
    let resp = post(big).await.expect("sent");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A query of a million nodes is far over the body limit; one that fits the body is
    // still priced before it runs.
    let wide: String = (0..3000).map(|i| format!("f{i}: __typename ")).collect();
    let (status, body) = app
        .graphql(&format!("{{ {wide} }}"), json!({}), Some(app.admin()))
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX")
    );
    // Circular fragments.
    let circular = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let (status, body) = app.graphql(circular, json!({}), Some(app.admin())).await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
    app.ok("{ viewer { role } }", json!({}), Some(app.admin()))
        .await;
}

/// With one execution at a time, concurrent requests queue and all succeed, including
/// writes that lock rows (a permit is held only while an operation runs).
#[tokio::test]
async fn executions_beyond_the_in_flight_bound_wait_their_turn() {
    let app = TestApp::spawn_with(portal_api::config::Mode::Development, |c| {
        c.max_in_flight = 1
    })
    .await;
    let who = app.create_account("queued", json!({})).await;
    let credit = "mutation($a: ID!) { adjustBalance(input: {accountId: $a, amount: \"1.00\", reason: \"queue\"}) { account { balance } userErrors { code } } }";
    let read = "query($a: ID!) { node(id: $a) { ... on Account { login } } }";
    let vars = json!({ "a": who });
    let (a, b, c, d) = tokio::join!(
        app.graphql(credit, vars.clone(), Some(app.admin())),
        app.graphql(read, vars.clone(), Some(app.admin())),
        app.graphql(credit, vars.clone(), Some(app.admin())),
        app.graphql(read, vars.clone(), Some(app.admin())),
    );
    for (status, body) in [&a, &b, &c, &d] {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    let balance = app
        .ok(
            read.replace("login", "balance").as_str(),
            vars,
            Some(app.admin()),
        )
        .await;
    assert_eq!(balance["node"]["balance"], "2.00");
}

/// A repeated document is prepared once (parsed, limited, validated); its later runs check
/// their variables just as the first did: left out or of the wrong type is a request error.
#[tokio::test]
async fn a_repeated_document_is_prepared_once_and_its_variables_still_checked() {
    use std::sync::atomic::Ordering;
    let app = TestApp::spawn().await;
    let main = app.create_account("prep-main", json!({})).await;
    let token = app.token_for(&main).await;
    let query = "query Probe($id: ID!, $n: Int) { node(id: $id) { ... on Account { fullName services(first: $n) { totalCount } } } }";
    let hits = || app.state.prepared.hits.load(Ordering::Relaxed);
    let before = hits();
    for _ in 0..3 {
        let data = app
            .ok(query, json!({ "id": main, "n": 5 }), Some(&token))
            .await;
        assert_eq!(data["node"]["fullName"], "Name of prep-main");
    }
    assert_eq!(hits() - before, 2, "parsed once, then found");
    // The same document, now on the fast path, with variables that do not fit.
    for (vars, why) in [
        (json!({}), "a required variable left out"),
        (json!({ "id": null }), "a required variable sent as null"),
        (
            json!({ "id": main, "n": "five" }),
            "a variable of the wrong type",
        ),
    ] {
        let (status, body) = app.graphql(query, vars, Some(&token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(
            crate::helpers::first_code(&body),
            "BAD_USER_INPUT",
            "{why}: {body}"
        );
        assert!(body["data"].is_null(), "{why}: nothing ran: {body}");
    }
}
