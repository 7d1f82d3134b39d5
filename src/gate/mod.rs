//! The one door every GraphQL operation passes, whatever carried it (HTTP POST or GET, a
//! WebSocket message), in this order: who is asking ([`Caller`]: a bad token is refused,
//! never anonymous; a session that must change its password may only do that) and from
//! where; which document (trusted documents, the prepared cache); the method; the role's
//! limits; the query-cost budget; then execution with the request's loaders, the client's
//! origin and the login throttle's address. A transport turns the [`Answer`] into its own
//! messages (`http::graphql`: status codes; `http::ws`: `graphql-transport-ws` frames).

pub mod execute;
pub mod limits;
mod order;
pub mod origin;
pub mod persisted;
pub mod prepared;
pub mod rate;
mod reply;
pub mod schemas;
pub mod trusted;

use std::sync::Arc;

use async_graphql::{
    ErrorExtensions, Response, ServerError, Value, futures_util::stream::BoxStream,
    parser::types::OperationType,
};

use crate::{
    AppState,
    auth::{Subject, Viewer},
    domain::activity::{self, Client},
    error::AppError,
    graphql::{
        batch::Driven,
        loaders::Loaders,
        session::{ClientAddr, CurrentSession},
        slot::Slot,
        subscription::TokenExpiry,
    },
};

use persisted::{DocumentRef, Resolved};
use prepared::Role;
pub use reply::Reply;
pub use schemas::Schemas;

/// The door, shared by every transport of a process.
#[derive(Clone)]
pub struct Gate {
    pub state: AppState,
    pub schemas: Schemas,
}

/// What a caller presents to prove who it is.
#[derive(Debug, Clone, Default)]
pub enum Credential {
    /// Nothing: an anonymous caller (it may only sign in).
    #[default]
    None,
    /// An HTTP `Authorization` header's value (`Bearer <token>`).
    Header(String),
    /// A bare access token (a WebSocket's `connection_init`).
    Token(String),
}

/// Who is asking, and from where, as the transport saw it.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub credential: Credential,
    /// The client's address (through the trusted proxies) and user agent.
    pub client: Client,
    pub address: Option<std::net::IpAddr>,
    /// The language the caller reads the server's sentences in (`Accept-Language`).
    pub language: crate::domain::language::Language,
}

/// What carried the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Post,
    /// `GET /graphql`: queries only.
    Get,
    WebSocket,
}

/// One operation as a transport received it.
pub struct Call {
    pub transport: Transport,
    pub request: async_graphql::Request,
    /// A trusted document's id (`documentId`), when the request names one.
    pub document_id: Option<String>,
}

/// Why the gate refused an operation before anything ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No valid credential where one was presented (or is required).
    Unauthenticated,
    /// The document does not parse, is not allowed (trusted documents), breaks a limit or
    /// leaves out a required variable.
    Document,
    /// A mutation or subscription sent over `GET`.
    MethodNotAllowed,
    /// The account must change its password before anything else.
    PasswordChangeRequired,
    /// The caller's query-cost budget is spent.
    RateLimited { retry_after: u64 },
    /// Something failed on the server's side (logged).
    Internal,
}

/// What the answer's errors say about the request as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran (with or without errors in places).
    Ran,
    /// Nothing ran: validation failed or the variables do not fit their types.
    RequestError,
    /// A field found the caller unauthenticated.
    Unauthenticated,
    /// A field was rate-limited.
    RateLimited,
}

/// The gate's answer.
pub enum Answer {
    Refused(Refusal, Vec<ServerError>),
    Executed(Box<Reply>, Outcome),
    /// A subscription's events.
    Stream(BoxStream<'static, Response>),
}

/// An error about the request as a whole (no location in the document).
fn error(message: impl Into<String>, code: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code.to_string());
    e.extensions = Some(extensions);
    e
}

fn refused(refusal: Refusal, e: ServerError) -> Answer {
    Answer::Refused(refusal, vec![e])
}

/// Root fields a session may use while its account must change its password.
const WHILE_PASSWORD_CHANGE_REQUIRED: &[&str] = &[
    "changePassword",
    "logout",
    "logoutEverywhere",
    "viewer",
    "__typename",
];

/// Who a credential belongs to, now.
pub struct Authenticated {
    pub viewer: Viewer,
    pub session: Option<String>,
    /// When the token expires (unix seconds).
    pub expires: Option<i64>,
}

impl Gate {
    pub fn new(state: AppState) -> Self {
        let schemas = Schemas::build(&state);
        Self { state, schemas }
    }

    /// The viewer a credential names, as the database says now: a missing credential is
    /// anonymous; a malformed, expired or wrongly signed one, or one whose subject is gone,
    /// is `UNAUTHENTICATED`.
    pub async fn authenticate(&self, credential: &Credential) -> Result<Authenticated, AppError> {
        let token = match credential {
            Credential::None => None,
            Credential::Header(value) => bearer(value)?,
            Credential::Token(token) => Some(token.trim()),
        };
        let Some(token) = token else {
            return Ok(Authenticated {
                viewer: Viewer::Anonymous,
                session: None,
                expires: None,
            });
        };
        let verified = self.state.jwt.verify_token(token)?;
        let viewer = self
            .state
            .viewers
            .viewer(&self.state.db, verified.subject)
            .await?;
        Ok(Authenticated {
            viewer,
            session: verified.session,
            expires: Some(verified.expires),
        })
    }

    /// Passes one operation through the door.
    pub async fn call(&self, caller: &Caller, call: Call) -> Answer {
        // Both halves boxed: their futures are large (the viewer's read, the execution),
        // and a transport's future awaiting this one would otherwise carry and move them.
        let who = match Box::pin(self.authenticate(&caller.credential)).await {
            Ok(who) => who,
            Err(e @ AppError::Unauthenticated(_)) => {
                let e = e.extend().into_server_error(Default::default());
                return Answer::Refused(Refusal::Unauthenticated, vec![e]);
            }
            Err(e) => {
                tracing::error!(error = ?e, "authentication failed");
                return refused(
                    Refusal::Internal,
                    error("internal error", "INTERNAL_SERVER_ERROR"),
                );
            }
        };
        Box::pin(self.admit(caller, who, call)).await
    }

    /// Everything after authentication: the document, the method, the account's state,
    /// the limits, the budget, then execution.
    async fn admit(&self, caller: &Caller, who: Authenticated, call: Call) -> Answer {
        let Call {
            transport,
            request,
            document_id,
        } = call;
        let viewer = who.viewer;
        let operation_name = request.operation_name.clone();
        let document = DocumentRef::of(&request, document_id);
        let staff = viewer.is_admin();
        let (prepared, trusted_name) = match persisted::resolve(
            &self.state.prepared,
            self.state.config.trusted_documents,
            staff,
            &document,
        ) {
            Ok(Resolved::Ready(prepared, name)) => (prepared, name),
            Ok(Resolved::Unparsable(e)) => {
                return refused(
                    Refusal::Document,
                    error(e.to_string(), "GRAPHQL_PARSE_FAILED"),
                );
            }
            Err(no) => return refused(Refusal::Document, error(no.message, no.code)),
        };
        self.state
            .metrics
            .record_operation(trusted_name.unwrap_or("other"));
        let operation = prepared.operation_type(operation_name.as_deref());
        if transport == Transport::Get && operation.is_some_and(|t| t != OperationType::Query) {
            return refused(
                Refusal::MethodNotAllowed,
                error(
                    "mutations are not allowed over GET; use POST",
                    "BAD_REQUEST",
                ),
            );
        }
        if viewer.account().is_some_and(|a| a.must_change_password)
            && let Some(field) = prepared
                .root_fields(operation_name.as_deref())
                .into_iter()
                .find(|f| !WHILE_PASSWORD_CHANGE_REQUIRED.contains(&f.as_str()))
        {
            return refused(
                Refusal::PasswordChangeRequired,
                error(
                    format!(
                        "change your password first (with changePassword); `{field}` waits until then"
                    ),
                    "PASSWORD_CHANGE_REQUIRED",
                ),
            );
        }
        let role = if staff { Role::Admin } else { Role::Customer };
        if let Err(message) = prepared.limits(role) {
            return refused(
                Refusal::Document,
                error(message.clone(), "QUERY_TOO_COMPLEX"),
            );
        }
        // A query validated before runs with the fast validation; its variables are still
        // checked: a required one left out is a request error here, one that does not fit
        // its type a request error after execution (below).
        let fast = prepared.validated(role) && operation == Some(OperationType::Query);
        let missing = prepared.missing_variables(operation_name.as_deref(), &request.variables);
        if !missing.is_empty() {
            let errors = missing
                .iter()
                .map(|name| error(format!("variable ${name} is required"), "BAD_USER_INPUT"))
                .collect();
            return Answer::Refused(Refusal::Document, errors);
        }
        let schema = if prepared.introspection_only() {
            self.schemas.introspection(role).clone()
        } else {
            self.schemas.pick(role, fast).clone()
        };
        let subject = viewer.subject().map(Subject::encode);
        let limiter = &self.state.rate_limiter;
        if let Some(subject) = &subject
            && let Err(wait) = limiter.available(subject)
        {
            let mut e = error(
                "too many requests: the query-cost budget is spent",
                "RATE_LIMITED",
            );
            if let Some(ext) = e.extensions.as_mut() {
                ext.set(
                    "cost",
                    async_graphql::value!({ "remaining": 0, "limit": limiter.burst(), "retryAfterSeconds": wait }),
                );
            }
            return refused(Refusal::RateLimited { retry_after: wait }, e);
        }
        let cost = prepared.cost(operation_name.as_deref(), &request.variables);
        let loaders = Loaders::new(&self.state, &viewer);
        let given = operation_name.as_deref().or(trusted_name);
        let span = execute::operation_span(operation, given, &prepared.hash, &request.query);
        if operation == Some(OperationType::Subscription) {
            // Its events run as they come: no execution slot is held meanwhile.
            if let Some(subject) = &subject {
                limiter.spend(subject, cost);
            }
            let request = self.request_data(
                request,
                &prepared,
                viewer,
                (who.session, who.expires),
                caller,
            );
            return Answer::Stream(execute::execute_stream(
                &schema,
                request,
                loaders,
                prepared.clone(),
            ));
        }
        // A query a compiled plan knows, once validated, is answered by it (`crate::plan`).
        let plan = (fast && self.state.config.compiled_plans)
            .then(|| prepared.plan(operation_name.as_deref()))
            .flatten();
        // Bounded concurrency: the slot is held while the operation runs (a wait it only
        // sits through, a throttled login's, sets it aside: `graphql::slot`).
        let slot = Slot::take(&self.state.executions).await;
        let answered = async {
            if let Some(plan) = &plan {
                let written = Driven::new(
                    crate::plan::run(
                        plan,
                        &request.variables,
                        &viewer,
                        caller.language,
                        &loaders,
                        &self.state.link_key,
                    ),
                    loaders.batcher(),
                )
                .await;
                let reply = written.map(|w| Reply::written(w.data, w.errors));
                self.state.metrics.record_plan(reply.is_some());
                if let Some(reply) = reply {
                    return (reply, Outcome::Ran);
                }
            }
            let request = self
                .request_data(
                    request,
                    &prepared,
                    viewer,
                    (who.session, who.expires),
                    caller,
                )
                .data(slot.clone());
            let mut response = execute::execute(&schema, request, loaders, &prepared).await;
            let outcome = execute::classify(&mut response, fast);
            (Reply::resolved(response), outcome)
        };
        let (mut reply, outcome) = tracing::Instrument::instrument(
            activity::from_client(caller.client.clone(), answered),
            span,
        )
        .await;
        drop(slot);
        if !fast && outcome != Outcome::RequestError {
            // It passed full validation (whatever it did next): from now on the fast one.
            prepared.mark_validated(role);
        }
        if let Some(subject) = &subject {
            let spent = if outcome == Outcome::RequestError {
                0
            } else {
                cost
            };
            let remaining = limiter.spend(subject, spent);
            reply = reply.extension(
                "cost",
                async_graphql::value!({ "requestedQueryCost": spent, "remaining": remaining.max(0), "limit": limiter.burst() }),
            );
        }
        Answer::Executed(Box::new(reply), outcome)
    }

    /// The request with what its resolvers read: the parsed document (a copy of the
    /// prepared one, made only when the resolvers answer), the viewer, its session and token
    /// expiry, the client's address, its language.
    fn request_data(
        &self,
        mut request: async_graphql::Request,
        prepared: &prepared::Prepared,
        viewer: Viewer,
        (session, expires): (Option<String>, Option<i64>),
        caller: &Caller,
    ) -> async_graphql::Request {
        request.set_parsed_query(prepared.doc.clone());
        let mut request = request
            .data(viewer)
            .data(CurrentSession(session))
            .data(TokenExpiry(expires))
            .data(caller.language);
        if let Some(ip) = caller.address {
            request = request.data(ClientAddr(ip));
        }
        request
    }
}

/// The token of an `Authorization` header: none for `Bearer` with nothing after it (the
/// playground's header before one is pasted); anything but `Bearer <token>` is an error.
fn bearer(value: &str) -> Result<Option<&str>, AppError> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(|t| Some(t.trim()))
        .ok_or(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        ))
}

/// A failure inside an answer's data (a field's error) that is about the whole request.
pub fn code_of(e: &ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// The shared answer to a transport that refused something itself (a malformed message).
pub fn transport_error(message: &str) -> Vec<ServerError> {
    transport_refusal(message, "BAD_REQUEST")
}

/// A transport's own refusal with its code (`UNAVAILABLE` while the process stops).
pub fn transport_refusal(message: &str, code: &str) -> Vec<ServerError> {
    vec![error(message, code)]
}

/// Kept for a transport that needs a generic internal error.
pub fn internal_error() -> Vec<ServerError> {
    vec![error("internal error", "INTERNAL_SERVER_ERROR")]
}

/// A handle for transports: the gate in an `Arc`.
pub type SharedGate = Arc<Gate>;
