//! Traces over OTLP: `serve` with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a receiver in
//! this test sends the request span (child of the caller's `traceparent`), the operation
//! span with its semantic attributes and the document without literals, SQL and DataLoader
//! spans; the answer carries its own `traceparent`; no variable value reaches the export.

use std::process::Command;

use serde_json::{Value, json};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER: &str = "00f067aa0ba902b7";
const SECRET_LITERAL: &str = "literal-secret-9481";

/// A receiver for OTLP/HTTP JSON: every body posted to `/v1/traces`.
async fn receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                axum::Json(json!({}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), rx)
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

fn text<'a>(span: &'a Value, key: &str) -> &'a str {
    attribute(span, key)
        .and_then(|v| v["stringValue"].as_str())
        .unwrap_or("")
}

// Multi-threaded: the receiver keeps answering while this test waits for the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_span_follows_the_callers_traceparent_without_variable_values() {
    let (endpoint, mut bodies) = receiver().await;
    // A fresh database on the suite's engine (on PostgreSQL the loaders read on their own
    // connections, `db::reads`, and their statements have spans all the same).
    let (db, _guard) = crate::helpers::TestDb::create().await;
    let (mut server, addr) = crate::cli::serve(
        &db,
        &["--demo"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let client = reqwest::Client::new();
    let send = |query: &str, variables: Value, token: Option<&str>| {
        let mut req = client
            .post(format!("http://{addr}/graphql"))
            .header("traceparent", format!("00-{TRACE}-{CALLER}-01"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let answer = send(
        "mutation Login($password: String!) { login(input: {login: \"main\", password: $password}) { accessToken } }",
        json!({ "password": "demo-pass" }),
        None,
    )
    .await
    .expect("sent");
    let returned = answer.headers()["traceparent"]
        .to_str()
        .expect("ascii")
        .to_string();
    let body: Value = answer.json().await.expect("json");
    let token = body["data"]["login"]["accessToken"]
        .as_str()
        .expect("a token")
        .to_string();
    let parts: Vec<&str> = returned.split('-').collect();
    assert_eq!(parts[1], TRACE, "the answer continues the caller's trace");
    assert_ne!(parts[2], CALLER, "with the request's own span");
    let page = send(
        &format!("query Page {{ viewer {{ account {{ subAccounts(first: 3, filter: {{search: \"{SECRET_LITERAL}\"}}) {{ nodes {{ services {{ totalCount }} }} }} }} }} }}"),
        json!({}),
        Some(&token),
    )
    .await
    .expect("sent");
    assert_eq!(page.status(), 200);
    let page: Value = page.json().await.expect("json");
    assert!(page.get("errors").is_none(), "{page}");

    // Stop the server: it flushes what it buffered.
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(server.wait().expect("exits").success());
    let mut exported = Vec::new();
    while let Ok(body) = bodies.try_recv() {
        exported.push(body);
    }
    let all = exported.join("\n");
    assert!(
        !all.contains("demo-pass"),
        "a variable's value was exported"
    );
    assert!(!all.contains(SECRET_LITERAL), "a literal was exported");
    assert!(!all.contains(&token), "a token was exported");

    let spans: Vec<Value> = exported
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .flat_map(|b| {
            b["resourceSpans"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .flat_map(|r| r["scopeSpans"].as_array().cloned().unwrap_or_default())
                .flat_map(|s| s["spans"].as_array().cloned().unwrap_or_default())
        })
        .filter(|s| s["traceId"].as_str().map(str::to_lowercase).as_deref() == Some(TRACE))
        .collect();
    let named =
        |name: &str| -> Vec<&Value> { spans.iter().filter(|s| s["name"] == name).collect() };
    let requests = named("POST /graphql");
    assert_eq!(requests.len(), 2, "one span per HTTP request: {spans:?}");
    for r in &requests {
        assert_eq!(
            r["parentSpanId"].as_str().map(str::to_lowercase).as_deref(),
            Some(CALLER)
        );
    }
    let login = named("mutation Login");
    assert_eq!(login.len(), 1, "one operation span: {spans:?}");
    let login = login[0];
    assert_eq!(text(login, "graphql.operation.type"), "mutation");
    assert_eq!(text(login, "graphql.operation.name"), "Login");
    assert!(
        text(login, "graphql.document").contains("login: \"\""),
        "the document without literals: {login}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r["spanId"] == login["parentSpanId"]),
        "the operation is the request's child"
    );
    let page_op = named("query Page");
    assert_eq!(page_op.len(), 1);
    let sql: Vec<&Value> = spans
        .iter()
        .filter(|s| attribute(s, "db.system").is_some())
        .collect();
    assert!(!sql.is_empty(), "SQL statements have spans: {spans:?}");
    assert!(
        sql.iter()
            .any(|s| text(s, "db.statement").contains("sort_key__")),
        "the loaders' reads (the page of sub-accounts) have spans: {sql:?}"
    );
    assert!(
        sql.iter()
            .all(|s| !text(s, "db.statement").contains("demo-pass")),
        "statements without values"
    );
    let batches = named("dataloader.batch");
    assert!(!batches.is_empty(), "DataLoader batches have spans");
    assert!(
        spans
            .iter()
            .all(|s| !s["name"].as_str().unwrap_or("").starts_with("field")),
        "no per-field spans"
    );
}
