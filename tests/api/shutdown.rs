//! SIGTERM under load: writes keep coming while the server stops. Every request is answered
//! (200) or refused with 503 and `Retry-After` (a client that is refused goes elsewhere, as
//! behind a load balancer); `/readyz` turns 503 at once; a WebSocket closes with 1001; the
//! process exits 0 within its grace; every write that was answered is stored.

use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::{
    cli::{login, run, serve},
    helpers::TestDb,
};

const CREATE: &str = "mutation($s: String!) { createTicket(input: {subject: $s, message: \"load\"}) { ticket { id subject } userErrors { code } } }";

/// What one request got.
enum Got {
    Stored(String),
    Refused,
}

async fn create(client: &reqwest::Client, addr: &str, token: &str, subject: &str) -> Got {
    let response = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": CREATE, "variables": { "s": subject } }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{subject}: no answer ({e}): a request was lost"));
    match response.status().as_u16() {
        200 => {
            let body: Value = response.json().await.expect("json");
            let ticket = &body["data"]["createTicket"]["ticket"];
            assert_eq!(ticket["subject"], subject, "{body}");
            Got::Stored(subject.to_string())
        }
        503 => {
            assert_eq!(
                response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap_or("")),
                Some("1"),
                "a refusal says when to try again"
            );
            let body: Value = response.json().await.expect("json");
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
                "{body}"
            );
            Got::Refused
        }
        other => panic!(
            "{subject}: HTTP {other}: {}",
            response.text().await.unwrap_or_default()
        ),
    }
}

#[tokio::test]
async fn sigterm_under_load_loses_nothing() {
    let (db, _guard) = TestDb::create().await;
    run(&db, &["seed", "--demo"]);
    let (mut server, addr) = serve(
        &db,
        &["--shutdown-grace-secs", "20", "--shutdown-drain-secs", "1"],
        &[
            ("PORTAL_RATE_LIMIT_BURST", "1000000"),
            ("PORTAL_RATE_LIMIT_PER_SECOND", "1000000"),
            ("PORTAL_SCHEDULER_POLL_SECS", "1"),
        ],
    );
    let client = reqwest::Client::new();
    let token = login(&client, &addr).await;

    // A live connection, to be told the server is going away.
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = connect_async(request).await.expect("upgrade");
    futures_util::SinkExt::send(
        &mut socket,
        Message::text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string()),
    )
    .await
    .expect("init");
    let ack = socket.next().await.expect("a message").expect("ack");
    assert!(
        ack.to_text().unwrap_or("").contains("connection_ack"),
        "{ack:?}"
    );

    // Eight writers, each on fresh connections, until the server refuses them.
    let answered = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(tokio::sync::Notify::new());
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (addr, token) = (addr.clone(), token.clone());
            let (answered, started) = (answered.clone(), started.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(0)
                    .build()
                    .expect("client");
                let mut stored = Vec::new();
                for n in 0.. {
                    match create(&client, &addr, &token, &format!("load {w}-{n}")).await {
                        Got::Stored(subject) => stored.push(subject),
                        Got::Refused => return stored,
                    }
                    if answered.fetch_add(1, Ordering::SeqCst) + 1 == 40 {
                        started.notify_one();
                    }
                }
                stored
            })
        })
        .collect();
    started.notified().await;

    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );

    // The WebSocket hears the stop: a close frame with 1001 (going away).
    let close = loop {
        match socket.next().await {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1001));
    // A load balancer's probe sees the replica draining.
    let ready = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .expect("readyz answers while draining");
    assert_eq!(ready.status().as_u16(), 503);

    let mut stored = Vec::new();
    for w in writers {
        stored.extend(w.await.expect("writer"));
    }
    let exit = tokio::task::spawn_blocking(move || server.wait())
        .await
        .expect("join")
        .expect("the server exits");
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
    assert!(stored.len() >= 40, "load ran: {}", stored.len());

    // Every answered write is in the database.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let conn = sea_orm::Database::connect(&db).await.expect("connect");
    let found = entity::ticket::Entity::find()
        .filter(entity::ticket::Column::Subject.starts_with("load "))
        .all(&conn)
        .await
        .expect("tickets");
    let kept: std::collections::HashSet<&str> = found.iter().map(|t| t.subject.as_str()).collect();
    for subject in &stored {
        assert!(
            kept.contains(subject.as_str()),
            "{subject} was answered but not stored"
        );
    }
    conn.close().await.ok();
}
