//! The HTTP surface, as one axum router: `/graphql` (POST, and GET for queries; the
//! playground for browsers) in [`graphql`] and `/graphql/ws` in [`ws`], both handing every
//! operation to the [`crate::gate`]; the playground's embedded
//! assets in [`playground`], signed document downloads in [`documents`], `/healthz`,
//! `/readyz` (and `/metrics`, on its own listener or behind a token) in [`health`];
//! security headers and CORS on every answer in [`headers`].

mod branding;
mod documents;
mod exports;
mod graphql;
mod headers;
pub mod health;
mod playground;
pub mod portal;
mod ws;

use std::time::Instant;

use axum::{
    Router,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{AppState, gate::Gate};

pub use graphql::BODY_LIMIT;

/// What every route and layer reads: the gate, and through it the process's state. One
/// `Arc`: a request clones a pointer, not each of the state's handles.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) gate: std::sync::Arc<Gate>,
}

impl Ctx {
    pub(crate) fn state(&self) -> &AppState {
        &self.gate.state
    }
}

/// The whole application as an axum router, testable without a socket.
pub fn app(state: AppState) -> Router {
    // The viewers' changes and live notifications from every replica reach this one
    // through one PostgreSQL LISTEN connection.
    state.listener.start();
    router(Gate::new(state))
}

pub fn router(gate: Gate) -> Router {
    let timeout = gate.state.config.request_timeout;
    let ctx = Ctx {
        gate: std::sync::Arc::new(gate),
    };
    let x_request_id = header::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::ws))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/documents/{id}", get(documents::download))
        .route("/branding/{id}/logo", get(branding::logo))
        .route("/exports/activity.csv", get(exports::activity))
        .route("/playground/{file}", get(playground::asset))
        .route("/", get(portal::root))
        .route("/portal/", get(portal::page))
        .route("/portal", get(portal::root))
        .route("/portal/{file}", get(portal::asset))
        .with_state(ctx.clone())
        .layer(middleware::from_fn_with_state(ctx.clone(), refuse_while_stopping))
        .layer(middleware::from_fn_with_state(ctx.clone(), count_requests))
        .layer(middleware::from_fn_with_state(ctx, headers::apply))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            let span = tracing::info_span!("request", otel.name = tracing::field::Empty, otel.kind = "server", http.request.method = %req.method(), url.path = %req.uri().path(), http.response.status_code = tracing::field::Empty, request_id = %id);
            if crate::telemetry::exporting() {
                span.record("otel.name", format!("{} {}", req.method(), req.uri().path()));
            }
            crate::telemetry::adopt_parent(&span, req.headers());
            span
        }).on_failure(log_failure))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}

/// The answer of a plain (non-GraphQL) route that failed for a reason of its own: a 500
/// whose body says nothing, and `what` failed with the error in the log.
fn internal(what: &str, e: &crate::error::AppError) -> Response {
    use axum::response::IntoResponse;
    tracing::error!(error = %e, "{what} failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// A response the server failed: an error, except 503, which the server says on purpose
/// (stopping, draining, a request over its time) and the client retries elsewhere: a warning.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass::StatusCode as Status;
    let latency_ms = latency.as_millis();
    match class {
        Status(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::warn!(
                latency_ms,
                "answered 503: unavailable (stopping, draining or timed out)"
            )
        }
        other => tracing::error!(classification = %other, latency_ms, "response failed"),
    }
}

/// Once the process is stopping, a request that still arrives on an open connection is
/// refused with 503 and `Retry-After` (another replica, or this one restarted, answers it);
/// the connection closes after the answer. `/readyz` answers itself (503: drain me).
async fn refuse_while_stopping(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    if !ctx.state().shutdown.begun() || req.uri().path() == "/readyz" {
        return next.run(req).await;
    }
    let mut response = graphql::error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        crate::gate::transport_refusal(
            "the server is restarting; send the request again",
            "UNAVAILABLE",
        ),
        "application/json",
    );
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

async fn count_requests(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(req).await;
    ctx.state()
        .metrics
        .record_request(response.status().as_u16(), started.elapsed());
    // Inside the request's span (the trace layer is outside this one).
    let span = tracing::Span::current();
    span.record(
        "http.response.status_code",
        i64::from(response.status().as_u16()),
    );
    crate::telemetry::announce(&span, response.headers_mut());
    response
}
