//! Live notifications over `graphql-transport-ws`: authentication in `connection_init`,
//! only the viewer's own notifications, and fan-out across two server processes sharing
//! one database (PostgreSQL LISTEN/NOTIFY; on SQLite the periodic re-check carries it).

use std::{process::Child, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::helpers::TestApp;

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(addr: &str, token: &str) -> Result<Ws, String> {
    open_in(addr, token, None).await
}

/// The same, naming the language to read in (`acceptLanguage` in `connection_init`).
async fn open_in(addr: &str, token: &str, language: Option<&str>) -> Result<Ws, String> {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = connect_async(request).await.map_err(|e| e.to_string())?;
    let mut payload = json!({ "Authorization": format!("Bearer {token}") });
    if let Some(language) = language {
        payload["acceptLanguage"] = json!(language);
    }
    let init = json!({ "type": "connection_init", "payload": payload });
    ws.send(Message::text(init.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    match next_json(&mut ws).await {
        Some(v) if v["type"] == "connection_ack" => Ok(ws),
        other => Err(format!("no ack: {other:?}")),
    }
}

/// The next JSON message, within a bound (a closed socket or silence gives None).
async fn next_json(ws: &mut Ws) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(6), ws.next())
            .await
            .ok()??
            .ok()?;
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).ok(),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Subscribes with the portal's trusted document (operations/NotificationAdded.graphql).
async fn subscribe(ws: &mut Ws) {
    let document = portal_api::gate::trusted::OPERATIONS
        .iter()
        .find(|o| o.name == "NotificationAdded")
        .expect("the trusted subscription")
        .document;
    let msg = json!({ "id": "1", "type": "subscribe", "payload": { "query": document } });
    ws.send(Message::text(msg.to_string()))
        .await
        .expect("subscribe sent");
}

/// Lets the tenant's aggregated sub-account order (so its order notifies the main).
async fn allow_orders(app: &TestApp) -> String {
    let partner = app
        .ok("{ partners { id } }", json!({}), Some(app.admin()))
        .await["partners"][0]["id"]
        .clone();
    app.ok("mutation($p: ID!) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: true}) { userErrors { code } } }", json!({ "p": partner }), Some(app.admin())).await;
    app.create_tariff("Fiber", "20.00").await
}

const ASK: &str = "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { status } } }";

#[tokio::test]
async fn a_subscriber_gets_its_own_notifications_only() {
    let app = TestApp::spawn().await;
    let a = app.tenant("a").await;
    let b = app.tenant("b").await;
    let tariff = allow_orders(&app).await;
    let mut ws = open(&app.addr.to_string(), &app.token_for(&a.main).await)
        .await
        .expect("connected");
    subscribe(&mut ws).await;
    let mut got = None;
    for _ in 0..3 {
        // The other tenant's event first, then ours: only ours may arrive.
        let b_sub = app.token_for(&b.aggregated).await;
        app.ok(ASK, json!({ "a": b.aggregated, "t": tariff }), Some(&b_sub))
            .await;
        let a_sub = app.token_for(&a.aggregated).await;
        app.ok(ASK, json!({ "a": a.aggregated, "t": tariff }), Some(&a_sub))
            .await;
        if let Some(msg) = next_json(&mut ws).await {
            got = Some(msg);
            break;
        }
    }
    let msg = got.expect("a notification arrived");
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["data"]["notificationAdded"]["kind"],
        "SUB_ACCOUNT_ORDER_PLACED"
    );
    assert!(
        msg["payload"]["data"]["notificationAdded"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Name of a-agg")),
        "{msg}"
    );
}

/// A subscriber reads in the language its `connection_init` names (a browser's socket cannot
/// set `Accept-Language` itself).
#[tokio::test]
async fn a_subscriber_reads_in_the_language_its_connection_names() {
    let app = TestApp::spawn().await;
    let a = app.tenant("de").await;
    let tariff = allow_orders(&app).await;
    let mut ws = open_in(
        &app.addr.to_string(),
        &app.token_for(&a.main).await,
        Some("de-DE"),
    )
    .await
    .expect("connected");
    subscribe(&mut ws).await;
    let sub = app.token_for(&a.aggregated).await;
    let mut got = None;
    for _ in 0..3 {
        app.ok(ASK, json!({ "a": a.aggregated, "t": tariff }), Some(&sub))
            .await;
        if let Some(msg) = next_json(&mut ws).await {
            got = Some(msg);
            break;
        }
    }
    let msg = got.expect("a notification arrived");
    let message = msg["payload"]["data"]["notificationAdded"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.starts_with("Name of de-agg hat die Bestellung"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_bad_token_in_connection_init_is_refused() {
    let app = TestApp::spawn().await;
    let result = open(&app.addr.to_string(), "not-a-token").await;
    assert!(result.is_err(), "the connection is not acknowledged");
}

/// Starts `portal-api serve` on the test's database; returns the child and its address.
fn serve(app: &TestApp) -> (Child, String) {
    let outbox = std::env::temp_dir().join("portal-live-outbox");
    crate::cli::serve(
        &app.state.config.database_url,
        &[],
        &[
            ("PORTAL_JWT_SECRET", "test-secret-test-secret-test-secret!"),
            ("PORTAL_OUTBOX_DIR", outbox.to_str().expect("utf8 temp dir")),
        ],
    )
}

#[tokio::test]
async fn a_notification_reaches_a_subscriber_on_another_replica() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let tariff = allow_orders(&app).await;
    let (mut a, addr_a) = serve(&app);
    let (mut b, addr_b) = serve(&app);
    let mut ws = open(&addr_b, &app.token_for(&t.main).await)
        .await
        .expect("connected to replica B");
    subscribe(&mut ws).await;
    let client = reqwest::Client::new();
    let sub_token = app.token_for(&t.aggregated).await;
    let mut got = None;
    for _ in 0..3 {
        let resp: Value = client
            .post(format!("http://{addr_a}/graphql"))
            .bearer_auth(&sub_token)
            .json(&json!({ "query": ASK, "variables": { "a": t.aggregated, "t": tariff } }))
            .send()
            .await
            .expect("sent to replica A")
            .json()
            .await
            .expect("json");
        assert_eq!(
            resp["data"]["placeOrder"]["order"]["status"], "AWAITING_MAIN_APPROVAL",
            "{resp}"
        );
        if let Some(msg) = next_json(&mut ws).await {
            got = Some(msg);
            break;
        }
    }
    let _ = a.kill();
    let _ = b.kill();
    let _ = (a.wait(), b.wait());
    let msg = got.expect("the notification crossed replicas");
    assert_eq!(
        msg["payload"]["data"]["notificationAdded"]["kind"], "SUB_ACCOUNT_ORDER_PLACED",
        "{msg}"
    );
}

#[tokio::test]
async fn a_subscription_ends_when_its_token_expires() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let subject = portal_api::auth::Subject::Account(crate::helpers::decode_pk(&t.main));
    let (short, _) = app
        .state
        .jwt
        .issue(subject, Duration::from_secs(1))
        .expect("token");
    let mut ws = open(&app.addr.to_string(), &short)
        .await
        .expect("connected");
    subscribe(&mut ws).await;
    // Within the re-check period after expiry the server ends the subscription.
    let msg = next_json(&mut ws)
        .await
        .expect("an answer before the bound");
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{msg}"
    );
}

/// On PostgreSQL a `NOTIFY` on the notifications' channel, from any session, reaches this
/// process's hub (what wakes its subscriptions) through its one listening connection, well
/// before a subscription's own periodic look; also when the process keeps no viewers.
#[tokio::test]
async fn a_notify_from_any_session_reaches_the_hub() {
    for keep in [10_000, 0] {
        let app = TestApp::spawn_with(portal_api::config::Mode::Development, |c| {
            c.viewer_cache = keep;
        })
        .await;
        if app.postgres_database().is_none() {
            return;
        }
        assert!(
            hub_hears(&app).await,
            "viewer cache of {keep}: the hub never heard"
        );
    }
}

async fn hub_hears(app: &TestApp) -> bool {
    use sea_orm::ConnectionTrait;
    let mut hints = portal_api::domain::notification::hub().subscribe();
    // Unique to this app: the hub is shared by every app of the test process.
    let id = 9_000_000_000_i64 + i64::from(std::process::id()) * 1_000 + app.addr.port() as i64;
    let notify = format!(
        "NOTIFY {}, '{id}'",
        portal_api::domain::notification::CHANNEL
    );
    // Sent again until heard: the listener starts listening a moment after the server.
    for _ in 0..50 {
        app.state
            .db
            .execute_unprepared(&notify)
            .await
            .expect("notify");
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        while let Ok(Ok(got)) = tokio::time::timeout_at(deadline, hints.recv()).await {
            if got == id {
                return true;
            }
        }
    }
    false
}
