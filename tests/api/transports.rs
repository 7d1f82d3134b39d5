//! Every transport is the same door: each gate case (authentication states, limits, the
//! query-cost budget, trusted documents, the login throttle, recording where a request came
//! from) is run over HTTP and over the WebSocket, and both give the same answer: the same
//! error codes, or the same data.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use portal_api::config::{Config, Mode};

use crate::helpers::{PASSWORD, TestApp};

/// How an operation travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Http,
    WebSocket,
}

const BOTH: [Transport; 2] = [Transport::Http, Transport::WebSocket];

/// What came back, as a client reads it: the error codes (empty without errors) and the data.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    codes: Vec<String>,
    data: Value,
}

impl Answer {
    fn of(body: &Value) -> Answer {
        let codes = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        Answer {
            codes,
            data: body.get("data").cloned().unwrap_or(Value::Null),
        }
    }

    fn code(code: &str) -> Answer {
        Answer {
            codes: vec![code.to_string()],
            data: Value::Null,
        }
    }
}

const AGENT: &str = "parity-check/1.0";

/// One operation (a body as POST sends it: `query`, `variables`, or `documentId`) over a
/// transport, with a token or none.
async fn send(app: &TestApp, over: Transport, body: Value, token: Option<&str>) -> Answer {
    match over {
        Transport::Http => {
            let mut req = app
                .client
                .post(app.url("/graphql"))
                .header(
                    "accept",
                    "application/graphql-response+json, application/json",
                )
                .header("user-agent", AGENT)
                .json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await.expect("request sent");
            Answer::of(&resp.json::<Value>().await.expect("JSON body"))
        }
        Transport::WebSocket => ws(app, body, token).await,
    }
}

async fn ws(app: &TestApp, body: Value, token: Option<&str>) -> Answer {
    match Connection::open(app, token).await {
        Some(mut connection) => connection.run(body).await,
        // A bad token closes the connection (4403): the WebSocket's way to say 401.
        None => Answer::code("UNAUTHENTICATED"),
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An open `graphql-transport-ws` connection.
struct Connection {
    socket: Socket,
    next_id: u32,
}

impl Connection {
    /// Opens and initialises a connection; `None` when the server refuses the credential.
    async fn open(app: &TestApp, token: Option<&str>) -> Option<Connection> {
        let mut request = format!("ws://{}/graphql/ws", app.addr)
            .into_client_request()
            .expect("request");
        let headers = request.headers_mut();
        headers.insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        headers.insert("User-Agent", HeaderValue::from_static(AGENT));
        let (socket, _) = connect_async(request).await.expect("upgrade");
        let mut connection = Connection { socket, next_id: 0 };
        let payload = match token {
            Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        connection
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match connection.next().await {
            Ok(ack) if ack["type"] == "connection_ack" => Some(connection),
            Err(Some(4403)) => None,
            other => panic!("no ack: {other:?}"),
        }
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("sent");
    }

    /// The next text message, or the close code.
    async fn next(&mut self) -> Result<Value, Option<u16>> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a message in time");
            match message {
                Some(Ok(Message::Text(t))) => {
                    return Ok(serde_json::from_str(&t).expect("JSON"));
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                _ => return Err(None),
            }
        }
    }

    /// Runs one operation on the connection: its answer (`next`), or its refusal (`error`).
    async fn run(&mut self, body: Value) -> Answer {
        self.next_id += 1;
        let id = self.next_id.to_string();
        self.send(json!({ "id": id, "type": "subscribe", "payload": body }))
            .await;
        let mut answer = None;
        loop {
            let message = self.next().await.expect("a message for the operation");
            assert_eq!(message["id"], id, "{message}");
            match message["type"].as_str() {
                Some("next") => answer = Some(Answer::of(&message["payload"])),
                Some("error") => return Answer::of(&json!({ "errors": message["payload"] })),
                Some("complete") => return answer.expect("an answer before complete"),
                _ => continue,
            }
        }
    }
}

/// Runs `case` on a fresh server per transport (what a case changes, a budget or a throttle,
/// stays its own) and asserts that both answered alike; returns the answer.
async fn alike<F, Fut>(tweak: fn(&mut Config), case: F) -> Vec<Answer>
where
    F: Fn(TestApp, Transport) -> Fut,
    Fut: std::future::Future<Output = Vec<Answer>>,
{
    let mut answers = Vec::new();
    for over in BOTH {
        let app = TestApp::spawn_with(Mode::Development, tweak).await;
        answers.push(case(app, over).await);
    }
    assert_eq!(
        answers[0], answers[1],
        "HTTP and the WebSocket answer alike"
    );
    answers.swap_remove(0)
}

fn same(_: &mut Config) {}

#[tokio::test]
async fn authentication_states_answer_alike() {
    let answers = alike(same, |app, over| async move {
        let t = app.tenant("auth").await;
        let token = app.token_for(&t.main).await;
        let ticket = json!({ "query": "mutation { createTicket(input: {subject: \"S\", message: \"M\"}) { ticket { subject } } }" });
        vec![
            // Anonymous: may ask who it is, not act.
            send(&app, over, json!({ "query": "{ __typename }" }), None).await,
            send(&app, over, ticket.clone(), None).await,
            // A bad token is refused, never anonymous.
            send(&app, over, json!({ "query": "{ viewer { role } }" }), Some("not-a-token")).await,
            send(&app, over, ticket, Some(&token)).await,
        ]
    })
    .await;
    assert_eq!(answers[0].data, json!({ "__typename": "Query" }));
    assert_eq!(answers[1].codes, ["UNAUTHENTICATED"]);
    assert_eq!(answers[2].codes, ["UNAUTHENTICATED"]);
    assert_eq!(answers[3].codes, Vec::<String>::new());
}

#[tokio::test]
async fn a_session_that_must_change_its_password_may_only_do_that_on_either_transport() {
    let answers = alike(same, |app, over| async move {
        let account = app
            .create_account("reset-me", json!({ "status": "ACTIVE" }))
            .await;
        app.ok(
            "mutation($a: ID!) { forcePasswordReset(input: {accountId: $a, temporaryPassword: \"temporary-123\"}) { userErrors { code } } }",
            json!({ "a": account }),
            Some(app.admin()),
        )
        .await;
        let login = app
            .ok(
                "mutation { login(input: {login: \"reset-me\", password: \"temporary-123\"}) { accessToken } }",
                json!({}),
                None,
            )
            .await;
        let token = login["login"]["accessToken"].as_str().expect("token").to_string();
        vec![
            send(&app, over, json!({ "query": "mutation { createTicket(input: {subject: \"S\", message: \"M\"}) { ticket { id } } }" }), Some(&token)).await,
            send(&app, over, json!({ "query": "{ viewer { role } }" }), Some(&token)).await,
        ]
    })
    .await;
    assert_eq!(answers[0].codes, ["PASSWORD_CHANGE_REQUIRED"]);
    assert_eq!(answers[1].data, json!({ "viewer": { "role": "CUSTOMER" } }));
}

/// `{ viewer { a0: role a1: role … } }` with `n` aliases (one root field).
fn aliases(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: role")).collect();
    format!("{{ viewer {{ {} }} }}", fields.join(" "))
}

#[tokio::test]
async fn the_limits_hold_on_either_transport() {
    let answers = alike(same, |app, over| async move {
        let t = app.tenant("limits").await;
        let token = app.token_for(&t.main).await;
        let logins: Vec<String> = (0..30)
            .map(|i| format!("l{i}: login(input: {{login: \"user-{i}\", password: \"guess\"}}) {{ accessToken }}"))
            .collect();
        vec![
            send(&app, over, json!({ "query": aliases(15) }), Some(&token)).await,
            send(&app, over, json!({ "query": aliases(60) }), Some(&token)).await,
            // One message with 30 logins is refused whole: none is judged.
            send(&app, over, json!({ "query": format!("mutation {{ {} }}", logins.join(" ")) }), None).await,
        ]
    })
    .await;
    assert!(answers[0].codes.is_empty(), "{:?}", answers[0]);
    assert_eq!(answers[1].codes, ["QUERY_TOO_COMPLEX"]);
    assert_eq!(answers[2].codes, ["QUERY_TOO_COMPLEX"]);
}

#[tokio::test]
async fn the_query_cost_budget_is_spent_on_either_transport() {
    fn tiny(c: &mut Config) {
        // Room for the staff's set-up; one page of 100 rows overdraws it.
        c.rate_limit_burst = 400;
        c.rate_limit_per_second = 0;
    }
    let answers = alike(tiny, |app, over| async move {
        let t = app.tenant("rate").await;
        let token = app.token_for(&t.main).await;
        let query = json!({ "query": "{ viewer { account { subAccounts(first: 100) { nodes { id fullName login status } } } } }" });
        let mut answers = Vec::new();
        for _ in 0..3 {
            answers.push(send(&app, over, query.clone(), Some(&token)).await);
        }
        answers
    })
    .await;
    assert!(answers[0].codes.is_empty());
    assert_eq!(answers[2].codes, ["RATE_LIMITED"]);
}

#[tokio::test]
async fn trusted_documents_are_required_on_either_transport() {
    fn require(c: &mut Config) {
        c.trusted_documents = portal_api::gate::trusted::Mode::Require;
    }
    let answers = alike(require, |app, over| async move {
        let t = app.tenant("trusted").await;
        let token = app.token_for(&t.main).await;
        let me = portal_api::gate::trusted::OPERATIONS
            .iter()
            .find(|o| o.name == "Me")
            .expect("the Me document");
        vec![
            send(
                &app,
                over,
                json!({ "query": "{ viewer { role } }" }),
                Some(&token),
            )
            .await,
            send(
                &app,
                over,
                json!({ "documentId": portal_api::gate::trusted::document_id(me.document) }),
                Some(&token),
            )
            .await,
        ]
    })
    .await;
    assert_eq!(answers[0].codes, ["PERSISTED_QUERY_REQUIRED"]);
    assert!(answers[1].codes.is_empty(), "{:?}", answers[1]);
}

#[tokio::test]
async fn the_login_throttle_counts_the_address_on_either_transport() {
    let answers = alike(same, |app, over| async move {
        app.create_account("victim", json!({ "status": "ACTIVE" })).await;
        let wrong = json!({ "query": "mutation { login(input: {login: \"victim\", password: \"wrong-guess\"}) { accessToken userErrors { code } } }" });
        let mut answers = Vec::new();
        for _ in 0..portal_api::auth::throttle::MAX_PER_PAIR + 1 {
            answers.push(send(&app, over, wrong.clone(), None).await);
        }
        // The right password from this address waits out the window too.
        let right = json!({ "query": format!("mutation {{ login(input: {{login: \"victim\", password: \"{PASSWORD}\"}}) {{ userErrors {{ code }} }} }}") });
        answers.push(send(&app, over, right, None).await);
        answers
    })
    .await;
    let first = &answers[0];
    assert_eq!(
        first.data["login"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    assert_eq!(answers[answers.len() - 2].codes, ["RATE_LIMITED"]);
    assert_eq!(answers[answers.len() - 1].codes, ["RATE_LIMITED"]);
}

#[tokio::test]
async fn where_a_request_came_from_is_recorded_on_either_transport() {
    let answers = alike(same, |app, over| async move {
        let t = app.tenant("origin").await;
        let token = app.token_for(&t.main).await;
        let created = send(&app, over, json!({ "query": "mutation { createTicket(input: {subject: \"S\", message: \"M\"}) { ticket { id } } }" }), Some(&token)).await;
        assert!(created.codes.is_empty(), "{created:?}");
        let entry = app
            .ok(
                "query($a: ID!) { node(id: $a) { ... on Account { activity(first: 1) { nodes { action clientAddress userAgent } } } } }",
                json!({ "a": t.main }),
                Some(app.admin()),
            )
            .await;
        vec![Answer::of(&json!({ "data": entry["node"]["activity"]["nodes"][0] }))]
    })
    .await;
    assert_eq!(
        answers[0].data,
        json!({ "action": "ticket.created", "clientAddress": "127.0.0.1", "userAgent": AGENT })
    );
}

#[tokio::test]
async fn an_open_connection_passes_the_gate_with_each_operation() {
    // The account's state is read again for every operation on the connection: a reset
    // forced meanwhile holds at once, as it would over HTTP.
    let app = TestApp::spawn().await;
    let t = app.tenant("open").await;
    let token = app.token_for(&t.main).await;
    let mut connection = Connection::open(&app, Some(&token))
        .await
        .expect("connected");
    let ticket = json!({ "query": "mutation { createTicket(input: {subject: \"S\", message: \"M\"}) { ticket { id } } }" });
    assert!(connection.run(ticket.clone()).await.codes.is_empty());
    app.ok(
        "mutation($a: ID!) { forcePasswordReset(input: {accountId: $a, temporaryPassword: \"temporary-123\"}) { userErrors { code } } }",
        json!({ "a": t.main }),
        Some(app.admin()),
    )
    .await;
    assert_eq!(
        connection.run(ticket.clone()).await.codes,
        ["PASSWORD_CHANGE_REQUIRED"]
    );
    assert_eq!(
        send(&app, Transport::Http, ticket, Some(&token))
            .await
            .codes,
        ["PASSWORD_CHANGE_REQUIRED"]
    );
    // And a connection's operations pass the limits one by one.
    assert_eq!(
        connection.run(json!({ "query": aliases(60) })).await.codes,
        ["QUERY_TOO_COMPLEX"]
    );
}
