//! `GET /graphql/ws`: GraphQL over WebSocket (`graphql-transport-ws`). The connection only
//! carries operations: `connection_init` authenticates it (a bad token closes it with 4403;
//! none is an anonymous connection, which may sign in as over HTTP), and every `subscribe`
//! is handed to the [`crate::gate`] like an HTTP request, with the connection's token
//! checked again (it may have expired) and the client's origin and language from the upgrade
//! request (the language also from `connection_init`'s `acceptLanguage`).
//! Refusals come back as `error`, answers as `next` then `complete`.

use std::{collections::HashMap, time::Duration};

use async_graphql::futures_util::{SinkExt, StreamExt};
use axum::{
    extract::{
        State,
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    },
    http::HeaderMap,
    response::Response,
};
use serde_json::{Value, json};
use tokio::{sync::mpsc, task::AbortHandle};

use crate::{
    domain::language::Language,
    gate::{Answer, Call, Caller, Credential, Gate, Transport, origin},
};

use super::{Ctx, graphql::take_document_id};

/// The one subprotocol spoken here.
const PROTOCOL: &str = "graphql-transport-ws";
/// How long a connection may wait before `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Operations one connection may run at once.
const MAX_OPERATIONS: usize = 64;

pub(super) async fn ws(
    State(ctx): State<Ctx>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let peer = peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip());
    let (address, client) = origin::of(peer, &headers, &ctx.state().config.trusted_proxies);
    let caller = Caller {
        credential: Credential::None,
        client,
        address,
        language: origin::language(&headers),
    };
    let upgrade = upgrade
        .protocols([PROTOCOL])
        .max_message_size(super::BODY_LIMIT)
        .max_frame_size(super::BODY_LIMIT);
    let spoken = upgrade.selected_protocol().is_some();
    let gate = ctx.gate.clone();
    upgrade.on_upgrade(move |socket| async move {
        if spoken {
            Connection::new(gate, caller).serve(socket).await;
        } else {
            let _ = close(socket, 4406, "Subprotocol not acceptable").await;
        }
    })
}

async fn close(mut socket: WebSocket, code: u16, reason: &str) -> Result<(), axum::Error> {
    socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await
}

/// What an operation's task hands the connection to send.
enum Out {
    Next(String, Value),
    Error(String, Value),
    Complete(String),
}

/// One connection's state.
struct Connection {
    gate: std::sync::Arc<Gate>,
    caller: Caller,
    acknowledged: bool,
    running: HashMap<String, AbortHandle>,
}

/// Why the connection closes.
struct Closing(u16, &'static str);

impl Connection {
    fn new(gate: std::sync::Arc<Gate>, caller: Caller) -> Self {
        Self {
            gate,
            caller,
            acknowledged: false,
            running: HashMap::new(),
        }
    }

    async fn serve(mut self, socket: WebSocket) {
        let (mut sink, mut stream) = socket.split();
        let (out, mut results) = mpsc::channel::<Out>(64);
        let deadline = tokio::time::sleep(INIT_TIMEOUT);
        tokio::pin!(deadline);
        let closing = loop {
            tokio::select! {
                incoming = stream.next() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
                        Some(Ok(_)) => continue,
                    };
                    match self.receive(text.as_str(), &out).await {
                        Ok(Some(reply)) => {
                            if sink.send(Message::text(reply.to_string())).await.is_err() {
                                break None;
                            }
                        }
                        Ok(None) => {}
                        Err(closing) => break Some(closing),
                    }
                }
                Some(result) = results.recv() => {
                    let message = match result {
                        Out::Next(id, payload) => json!({ "id": id, "type": "next", "payload": payload }),
                        Out::Error(id, payload) => {
                            self.running.remove(&id);
                            json!({ "id": id, "type": "error", "payload": payload })
                        }
                        Out::Complete(id) => {
                            self.running.remove(&id);
                            json!({ "id": id, "type": "complete" })
                        }
                    };
                    if sink.send(Message::text(message.to_string())).await.is_err() {
                        break None;
                    }
                }
                () = &mut deadline, if !self.acknowledged => {
                    break Some(Closing(4408, "Connection initialisation timeout"));
                }
                // The process is stopping: the client reconnects (to another replica).
                () = self.gate.state.shutdown.wait() => {
                    break Some(Closing(1001, "Server restarting"));
                }
            }
        };
        for (_, task) in self.running.drain() {
            task.abort();
        }
        if let Some(Closing(code, reason)) = closing {
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })))
                .await;
        }
    }

    /// Handles one client message: a reply to send, nothing, or a reason to close.
    async fn receive(
        &mut self,
        text: &str,
        out: &mpsc::Sender<Out>,
    ) -> Result<Option<Value>, Closing> {
        let invalid = || Closing(4400, "Invalid message");
        let message: Value = serde_json::from_str(text).map_err(|_| invalid())?;
        let kind = message
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(invalid)?;
        match kind {
            "connection_init" => {
                if self.acknowledged {
                    return Err(Closing(4429, "Too many initialisation requests"));
                }
                let credential = credential(message.get("payload"));
                // A bad token closes the connection; none is an anonymous connection.
                if self.gate.authenticate(&credential).await.is_err() {
                    return Err(Closing(4403, "Forbidden"));
                }
                self.caller.credential = credential;
                // A client may name its language here (a browser's socket cannot set headers).
                if let Some(language) = message
                    .get("payload")
                    .and_then(|p| p.get("acceptLanguage"))
                    .and_then(Value::as_str)
                {
                    self.caller.language = Language::from_accept_language(language);
                }
                self.acknowledged = true;
                Ok(Some(json!({ "type": "connection_ack" })))
            }
            "ping" => Ok(Some(json!({ "type": "pong" }))),
            "pong" => Ok(None),
            "subscribe" => {
                if !self.acknowledged {
                    return Err(Closing(4401, "Unauthorized"));
                }
                let id = message
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(invalid)?
                    .to_string();
                if self.running.contains_key(&id) {
                    return Err(Closing(4409, "Subscriber for this id already exists"));
                }
                let mut payload = message.get("payload").cloned().ok_or_else(invalid)?;
                let document_id = take_document_id(&mut payload);
                let request: async_graphql::Request =
                    serde_json::from_value(payload).map_err(|_| invalid())?;
                if self.running.len() >= MAX_OPERATIONS {
                    let errors = crate::gate::transport_error(
                        "too many operations at once on this connection",
                    );
                    return Ok(Some(
                        json!({ "id": id, "type": "error", "payload": errors }),
                    ));
                }
                let call = Call {
                    transport: Transport::WebSocket,
                    request,
                    document_id,
                };
                let task = tokio::spawn(run(
                    self.gate.clone(),
                    self.caller.clone(),
                    call,
                    id.clone(),
                    out.clone(),
                ));
                self.running.insert(id, task.abort_handle());
                Ok(None)
            }
            "complete" => {
                if let Some(id) = message.get("id").and_then(Value::as_str)
                    && let Some(task) = self.running.remove(id)
                {
                    task.abort();
                }
                Ok(None)
            }
            _ => Err(invalid()),
        }
    }
}

/// The credential of a `connection_init` payload: `{"Authorization": "Bearer <token>"}` or
/// `{"token": "<token>"}`.
fn credential(payload: Option<&Value>) -> Credential {
    let field = |name: &str| payload.and_then(|p| p.get(name)).and_then(Value::as_str);
    if let Some(header) = field("Authorization").or_else(|| field("authorization")) {
        return Credential::Header(header.to_string());
    }
    match field("token") {
        Some(token) => Credential::Token(token.to_string()),
        None => Credential::None,
    }
}

/// Runs one operation through the gate and hands its messages to the connection.
async fn run(
    gate: std::sync::Arc<Gate>,
    caller: Caller,
    call: Call,
    id: String,
    out: mpsc::Sender<Out>,
) {
    match gate.call(&caller, call).await {
        Answer::Refused(_, errors) => {
            let _ = out.send(Out::Error(id, json(&errors))).await;
        }
        Answer::Executed(reply, _) => {
            let _ = out.send(Out::Next(id.clone(), json(&reply))).await;
            let _ = out.send(Out::Complete(id)).await;
        }
        Answer::Stream(mut events) => {
            while let Some(response) = events.next().await {
                if out
                    .send(Out::Next(id.clone(), json(&response)))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let _ = out.send(Out::Complete(id)).await;
        }
    }
}

/// A message's payload as JSON (one that fails to serialize is null).
fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
