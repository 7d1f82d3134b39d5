//! The GraphQL endpoint: `POST /graphql` (JSON and multipart uploads), `GET /graphql`
//! (queries; GraphiQL for browsers), `/graphql/ws` (subscriptions), and the gate every
//! operation passes: authentication, CSRF rule, body and document limits, the query-cost
//! budget, and the status code of the answer.

use async_graphql::{ErrorExtensions, ServerError, http::GraphiQLSource};
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    AppState,
    auth::{Viewer, load_viewer},
    error::AppError,
    graphql::{limits, loaders::Loaders},
};

use super::Ctx;

/// Largest accepted JSON `/graphql` body.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest accepted multipart (upload) body: the largest file plus room for the form.
pub const UPLOAD_BODY_LIMIT: usize = crate::domain::document::MAX_UPLOAD_BYTES + 64 * 1024;
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Subscriptions over `graphql-transport-ws`, authenticated in `connection_init` with
/// `{"Authorization": "Bearer <token>"}` (or `{"token": "<token>"}`).
pub(super) async fn ws(
    State(ctx): State<Ctx>,
    protocol: async_graphql_axum::GraphQLProtocol,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    let schema = ctx.schemas.customer.clone();
    let state = ctx.state.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let executor = crate::graphql::execute::Batching {
                schema,
                state: state.clone(),
            };
            async_graphql_axum::GraphQLWebSocket::new(socket, executor, protocol)
                .on_connection_init(move |payload| async move { ws_init(&state, payload).await })
                .serve()
        })
}

/// Authenticates a WebSocket connection from its `connection_init` payload.
async fn ws_init(
    state: &AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str());
    let token = field("Authorization")
        .or_else(|| field("authorization"))
        .map(|h| {
            h.trim_start_matches("Bearer ")
                .trim_start_matches("bearer ")
        })
        .or_else(|| field("token"))
        .ok_or_else(|| {
            AppError::Unauthenticated("connection_init needs an access token").extend()
        })?;
    let (subject, expires) = state
        .jwt
        .verify_until(token.trim())
        .map_err(|e| e.extend())?;
    let viewer = load_viewer(&state.db, subject)
        .await
        .map_err(|e| e.extend())?;
    let mut data = async_graphql::Data::default();
    data.insert(viewer);
    data.insert(crate::graphql::subscription::TokenExpiry(expires));
    Ok(data)
}

/// A GraphQL response with errors only.
fn error_response(
    status: StatusCode,
    errors: Vec<async_graphql::Error>,
    json_type: &'static str,
) -> Response {
    // No locations: these errors are about the request as a whole, not a place in it.
    let errors: Vec<_> = errors
        .into_iter()
        .map(|e| {
            let mut e = e.into_server_error(Default::default());
            e.locations.clear();
            e
        })
        .collect();
    let body = serde_json::json!({ "errors": errors });
    (
        status,
        [(header::CONTENT_TYPE, json_type)],
        body.to_string(),
    )
        .into_response()
}

fn coded(message: &str, code: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.to_string()))
}

/// The response content type the client accepts.
fn response_type(headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains(GRAPHQL_RESPONSE_JSON) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    }
}

/// The viewer from the `Authorization` header: none is anonymous; anything wrong is an error.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Viewer, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthenticated("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        ))?;
    let subject = state.jwt.verify(token.trim())?;
    load_viewer(&state.db, subject).await
}

pub(super) async fn post(
    State(ctx): State<Ctx>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Present when served with connect info (serve and the tests are).
    let peer = peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip());
    let json_type = response_type(&headers);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        // Uploads (GraphQL multipart request spec). A browser can send multipart across
        // sites without a preflight, so a non-simple header is required (CSRF).
        if !headers.contains_key("x-requested-with")
            && !headers.contains_key("apollo-require-preflight")
        {
            return error_response(
                StatusCode::BAD_REQUEST,
                vec![coded(
                    "multipart requests need an x-requested-with header",
                    "BAD_REQUEST",
                )],
                json_type,
            );
        }
        let opts = async_graphql::http::MultipartOptions::default()
            .max_file_size(crate::domain::document::MAX_UPLOAD_BYTES)
            .max_num_files(1);
        let reader = async_graphql::futures_util::io::Cursor::new(body);
        return match async_graphql::http::receive_body(Some(content_type), reader, opts).await {
            Ok(request) => execute(ctx, headers, request, false, peer).await,
            Err(e) => {
                let status = if matches!(e, async_graphql::ParseRequestError::PayloadTooLarge) {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                };
                error_response(
                    status,
                    vec![coded(
                        &format!("invalid multipart request: {e}"),
                        "BAD_REQUEST",
                    )],
                    json_type,
                )
            }
        };
    }
    // CSRF: only JSON is accepted without a non-simple header (a form post is "simple").
    if !content_type.starts_with("application/json") && !headers.contains_key("x-requested-with") {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            vec![coded(
                "send application/json (other content types need an x-requested-with header)",
                "BAD_REQUEST",
            )],
            json_type,
        );
    }
    if body.len() > BODY_LIMIT {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            vec![coded("the request body is over 64 KiB", "BAD_REQUEST")],
            json_type,
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Array(_)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                vec![coded("batched requests are not supported", "BAD_REQUEST")],
                json_type,
            );
        }
        Ok(value) => match serde_json::from_value(value) {
            Ok(r) => r,
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    vec![coded("the body is not a GraphQL request", "BAD_REQUEST")],
                    json_type,
                );
            }
        },
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                vec![coded("the body is not valid JSON", "BAD_REQUEST")],
                json_type,
            );
        }
    };
    execute(ctx, headers, request, false, peer).await
}

#[derive(Deserialize)]
pub(super) struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
}

pub(super) async fn get(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if params.query.is_none() && accept.contains("text/html") {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    let json_type = response_type(&headers);
    let Some(query) = params.query else {
        return error_response(
            StatusCode::BAD_REQUEST,
            vec![coded("missing query", "BAD_REQUEST")],
            json_type,
        );
    };
    let mut request = async_graphql::Request::new(query);
    request.operation_name = params.operation_name;
    if let Some(vars) = params.variables {
        match serde_json::from_str(&vars) {
            Ok(v) => request.variables = async_graphql::Variables::from_json(v),
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    vec![coded("variables are not valid JSON", "BAD_REQUEST")],
                    json_type,
                );
            }
        }
    }
    execute(ctx, headers, request, true, None).await
}

fn is_mutation(doc: &async_graphql::parser::types::ExecutableDocument, name: Option<&str>) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let ty = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    };
    ty.is_some_and(|t| t != OperationType::Query)
}

async fn execute(
    ctx: Ctx,
    headers: HeaderMap,
    mut request: async_graphql::Request,
    via_get: bool,
    peer: Option<std::net::IpAddr>,
) -> Response {
    let json_type = response_type(&headers);
    let viewer = match authenticate(&ctx.state, &headers).await {
        Ok(v) => v,
        Err(e) => {
            let status = if matches!(e, AppError::Unauthenticated(_)) {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let mut response = error_response(status, vec![e.extend()], json_type);
            if status == StatusCode::UNAUTHORIZED {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            return response;
        }
    };
    let operation_name = request.operation_name.clone();
    match request.parsed_query() {
        Ok(doc) => {
            if via_get && is_mutation(doc, operation_name.as_deref()) {
                let mut response = error_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    vec![coded(
                        "mutations are not allowed over GET; use POST",
                        "BAD_REQUEST",
                    )],
                    json_type,
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
        }
        Err(e) => {
            let error = async_graphql::Error::new(e.message)
                .extend_with(|_, x| x.set("code", "GRAPHQL_PARSE_FAILED"));
            return error_response(document_error_status(json_type), vec![error], json_type);
        }
    }
    let (schema, limits) = if viewer.is_admin() {
        (&ctx.schemas.admin, &limits::ADMIN)
    } else {
        (&ctx.schemas.customer, &limits::CUSTOMER)
    };
    if let Ok(doc) = request.parsed_query()
        && let Err(message) = limits::check(doc, limits)
    {
        return error_response(
            document_error_status(json_type),
            vec![coded(&message, "QUERY_TOO_COMPLEX")],
            json_type,
        );
    }
    let subject = match &viewer {
        Viewer::Admin(staff) => Some(format!("staff:{}", staff.id)),
        Viewer::Customer(c) => Some(format!("account:{}", c.account.id)),
        Viewer::Anonymous => None,
    };
    let limiter = &ctx.state.rate_limiter;
    if let Some(subject) = &subject
        && let Err(wait) = limiter.available(subject)
    {
        let error = async_graphql::Error::new("too many requests: the query-cost budget is spent")
            .extend_with(|_, e| {
                e.set("code", "RATE_LIMITED");
                e.set("cost", async_graphql::value!({ "remaining": 0, "limit": limiter.burst(), "retryAfterSeconds": wait }));
            });
        let mut response = error_response(StatusCode::TOO_MANY_REQUESTS, vec![error], json_type);
        if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let variables = std::mem::take(&mut request.variables);
    let cost = request
        .parsed_query()
        .map(|doc| limits::cost(doc, operation_name.as_deref(), &variables))
        .unwrap_or(0);
    request.variables = variables;
    let mut request = request.data(viewer);
    if let Some(ip) = peer {
        request = request.data(crate::graphql::auth::ClientAddr(ip));
    }
    // Bounded concurrency: a closed semaphore never happens (it is never closed), but if it
    // did, running unbounded is better than refusing.
    let permit = ctx.state.executions.acquire().await.ok();
    let mut response =
        crate::graphql::execute::execute(schema, request, Loaders::new(&ctx.state)).await;
    drop(permit);
    // A document refused by validation ran nothing and costs nothing.
    let nothing_ran = response.data == async_graphql::Value::Null;
    let refused = nothing_ran
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if let Some(subject) = &subject {
        let spent = if refused { 0 } else { cost };
        let remaining = limiter.spend(subject, spent);
        response = response.extension(
            "cost",
            async_graphql::value!({ "requestedQueryCost": spent, "remaining": remaining.max(0), "limit": limiter.burst() }),
        );
    }
    let mut status = StatusCode::OK;
    if refused {
        // Nothing executed: a validation failure (or bad variables).
        status = document_error_status(json_type);
        for e in response.errors.iter_mut() {
            let code = if is_coercion_error(e) {
                "BAD_USER_INPUT"
            } else if is_limit_error(e) {
                "QUERY_TOO_COMPLEX"
            } else {
                "GRAPHQL_VALIDATION_FAILED"
            };
            set_code_if_missing(e, code);
        }
    }
    for e in response.errors.iter_mut() {
        // Argument values that failed to parse (e.g. a Decimal sent as a JSON number).
        if is_coercion_error(e) {
            set_code_if_missing(e, "BAD_USER_INPUT");
        }
    }
    if nothing_ran && !response.errors.is_empty() && response.errors.iter().all(is_coercion_error) {
        status = document_error_status(json_type);
    }
    for e in response.errors.iter_mut() {
        set_code_if_missing(e, "INTERNAL_SERVER_ERROR");
    }
    if response
        .errors
        .iter()
        .any(|e| code_of(e) == Some("UNAUTHENTICATED"))
    {
        status = StatusCode::UNAUTHORIZED;
    }
    if response
        .errors
        .iter()
        .any(|e| code_of(e) == Some("RATE_LIMITED"))
    {
        status = StatusCode::TOO_MANY_REQUESTS;
    }
    let body = match serde_json::to_string(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "response serialization failed");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                vec![coded("internal error", "INTERNAL_SERVER_ERROR")],
                json_type,
            );
        }
    };
    (status, [(header::CONTENT_TYPE, json_type)], body).into_response()
}

fn code_of(e: &ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn set_code_if_missing(e: &mut ServerError, code: &str) {
    if code_of(e).is_none() {
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code.to_string());
    }
}

/// Errors async-graphql raises when an argument or variable value does not fit its type.
fn is_coercion_error(e: &ServerError) -> bool {
    e.message.starts_with("Failed to parse") || e.message.starts_with("Invalid value for argument")
}

/// Errors async-graphql raises when an operation breaks a depth, complexity or directive limit.
fn is_limit_error(e: &ServerError) -> bool {
    e.message.contains("too complex")
        || e.message.contains("nested too deep")
        || e.message.contains("directives")
}

/// The status of a request whose document did not parse, validate or fit the limits, or
/// whose variables did not coerce: 400 for `application/graphql-response+json` clients, 200
/// for legacy `application/json` ones (GraphQL over HTTP: they read errors from the body).
fn document_error_status(json_type: &str) -> StatusCode {
    if json_type == GRAPHQL_RESPONSE_JSON {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}
