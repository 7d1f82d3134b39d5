//! The gate every GraphQL operation passes, in order: authentication (a bad token is 401,
//! never anonymous), the prepared document (parsed, limited and validated once per process:
//! `graphql::prepared`), the method (no mutation over GET), the role's limits, the
//! query-cost budget, execution (`graphql::execute`), and the status code of the answer
//! (GraphQL over HTTP).

use async_graphql::{ErrorExtensions, ServerError};
use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use async_graphql::parser::types::OperationType;

use crate::{
    AppState,
    auth::Viewer,
    error::AppError,
    graphql::prepared::Role,
    graphql::{limits, loaders::Loaders},
};

use super::{
    Ctx,
    persisted::{self, DocumentRef, Resolved},
};

pub(super) const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// A GraphQL response with errors only.
pub(super) fn error_response(
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

pub(super) fn coded(message: &str, code: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.to_string()))
}

/// The response content type the client accepts.
pub(super) fn response_type(headers: &HeaderMap) -> &'static str {
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

/// The viewer (and its session) from the `Authorization` header: none is anonymous;
/// anything wrong is an error.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Viewer, Option<String>), AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok((Viewer::Anonymous, None));
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthenticated("malformed Authorization header"))?;
    let value = value.trim();
    // `Bearer` with no token after it (the playground's header before one is pasted; fetch
    // trims the space): no token.
    if value.eq_ignore_ascii_case("bearer") {
        return Ok((Viewer::Anonymous, None));
    }
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        ))?;
    let verified = state.jwt.verify_token(token.trim())?;
    Ok((
        state.viewers.viewer(&state.db, verified.subject).await?,
        verified.session,
    ))
}

/// Root fields a session may use while its account must change its password.
const WHILE_PASSWORD_CHANGE_REQUIRED: &[&str] = &[
    "changePassword",
    "logout",
    "logoutEverywhere",
    "viewer",
    "__typename",
];

/// The client's address: the connection's peer, or, when that peer is a trusted proxy (a
/// load balancer, `PORTAL_TRUSTED_PROXIES`), the nearest address before it in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub(super) fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

pub(super) async fn execute(
    ctx: Ctx,
    headers: HeaderMap,
    mut request: async_graphql::Request,
    via_get: bool,
    peer: Option<std::net::IpAddr>,
    document_id: Option<String>,
) -> Response {
    let peer = client_address(peer, &headers, &ctx.state.config.trusted_proxies);
    let json_type = response_type(&headers);
    let (viewer, session) = match authenticate(&ctx.state, &headers).await {
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
    let document = DocumentRef::of(&request, document_id);
    let resolved = persisted::resolve(
        &ctx.state.prepared,
        ctx.state.config.trusted_documents,
        viewer.is_admin(),
        &document,
    );
    let (prepared, trusted_name) = match resolved {
        Ok(Resolved::Ready(prepared, name)) => (prepared, name),
        Ok(Resolved::Unparsable(e)) => {
            let error = async_graphql::Error::new(e.to_string())
                .extend_with(|_, x| x.set("code", "GRAPHQL_PARSE_FAILED"));
            return error_response(document_error_status(json_type), vec![error], json_type);
        }
        Err(refused) => {
            return error_response(
                document_error_status(json_type),
                vec![coded(&refused.message, refused.code)],
                json_type,
            );
        }
    };
    ctx.state
        .metrics
        .record_operation(trusted_name.unwrap_or("other"));
    let operation = prepared.operation_type(operation_name.as_deref());
    if via_get && operation.is_some_and(|t| t != OperationType::Query) {
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
    if viewer.account().is_some_and(|a| a.must_change_password)
        && let Some(field) = prepared
            .root_fields(operation_name.as_deref())
            .into_iter()
            .find(|f| !WHILE_PASSWORD_CHANGE_REQUIRED.contains(&f.as_str()))
    {
        return error_response(
            StatusCode::FORBIDDEN,
            vec![coded(
                &format!(
                    "change your password first (with changePassword); `{field}` waits until then"
                ),
                "PASSWORD_CHANGE_REQUIRED",
            )],
            json_type,
        );
    }
    let role = if viewer.is_admin() {
        Role::Admin
    } else {
        Role::Customer
    };
    if let Err(message) = prepared.limits(role) {
        return error_response(
            document_error_status(json_type),
            vec![coded(message, "QUERY_TOO_COMPLEX")],
            json_type,
        );
    }
    // A query validated before runs with the fast validation; its variables are still
    // checked: a required one left out is a request error here, one that does not fit its
    // type a request error after execution (below).
    let fast = prepared.validated(role) && operation == Some(OperationType::Query);
    // Validation does not look at the values: a required variable left out would only be
    // found while resolving (for mutations too), so it is a request error here.
    let missing = prepared.missing_variables(operation_name.as_deref(), &request.variables);
    if !missing.is_empty() {
        let errors = missing
            .iter()
            .map(|name| coded(&format!("variable ${name} is required"), "BAD_USER_INPUT"))
            .collect();
        return error_response(document_error_status(json_type), errors, json_type);
    }
    let schema = ctx.schemas.pick(role, fast);
    request.set_parsed_query(prepared.doc.clone());
    let subject = viewer.subject().map(crate::auth::Subject::encode);
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
    let cost = limits::cost(&prepared.doc, operation_name.as_deref(), &request.variables);
    let mut request = request
        .data(viewer)
        .data(crate::graphql::auth::CurrentSession(session));
    if let Some(ip) = peer {
        request = request.data(crate::graphql::auth::ClientAddr(ip));
    }
    // Bounded concurrency: a closed semaphore never happens (it is never closed), but if it
    // did, running unbounded is better than refusing.
    let permit = ctx.state.executions.acquire().await.ok();
    let client = crate::domain::activity::Client {
        address: peer.map(|ip| ip.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    let kind = match operation {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    };
    // Named by the request or by the manifest: free. What only a collector reads (the name
    // written in the document, the span's display name, the redacted document) is worked
    // out only when spans are exported.
    let given = operation_name.as_deref().or(trusted_name);
    let span = tracing::info_span!(
        "graphql.operation",
        otel.name = tracing::field::Empty,
        graphql.operation.type = kind,
        graphql.operation.name = given,
        graphql.document = tracing::field::Empty,
        graphql.document.id = %prepared.hash,
    );
    if crate::telemetry::exporting() {
        let named_in_document = crate::telemetry::operation_name(&request.query);
        let name = given.or(named_in_document.as_deref()).unwrap_or("");
        span.record("graphql.operation.name", name);
        span.record("otel.name", format!("{kind} {name}").trim_end());
        span.record("graphql.document", crate::telemetry::redact(&request.query));
    }
    let mut response = tracing::Instrument::instrument(
        crate::domain::activity::from_client(
            client,
            crate::graphql::execute::execute(schema, request, Loaders::new(&ctx.state)),
        ),
        span,
    )
    .await;
    drop(permit);
    if fast && response.errors.iter().any(is_coercion_error) {
        // Variables that do not fit their types: a request error, as full validation says.
        response.data = async_graphql::Value::Null;
        response.errors.retain(is_coercion_error);
        for e in response.errors.iter_mut() {
            e.path.clear();
        }
    }
    // A document refused by validation ran nothing and costs nothing.
    let nothing_ran = response.data == async_graphql::Value::Null;
    let refused = nothing_ran
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if !fast && !refused {
        // It passed full validation (whatever it did next): from now on the fast one.
        prepared.mark_validated(role);
    }
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
    [
        "Failed to parse",
        "Invalid value for argument",
        "Expected input type",
    ]
    .iter()
    .any(|start| e.message.starts_with(start))
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
