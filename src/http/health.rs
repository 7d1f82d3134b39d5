//! `/readyz` (the database answers and the process is not stopping) and `/metrics`
//! (Prometheus text).

use std::time::Duration;

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};

use crate::db;

use super::Ctx;

pub(super) async fn readyz(State(ctx): State<Ctx>) -> impl IntoResponse {
    if ctx.state().shutdown.begun() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    let ok = tokio::time::timeout(Duration::from_secs(2), db::ping(&ctx.state().db))
        .await
        .unwrap_or(false);
    if ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// The Prometheus text of a process.
fn exposition(state: &crate::AppState) -> impl IntoResponse + use<> {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render() + &state.viewers.counts().render(),
    )
}

/// `/metrics` on the API port: only for a caller with the metrics token
/// (`PORTAL_METRICS_TOKEN`); anyone else gets 404, as if it were not there.
pub(super) async fn metrics(
    State(ctx): State<Ctx>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&ctx.state().config.metrics_token, sent) {
        (Some(token), Some(sent)) if same(token.as_bytes(), sent.trim().as_bytes()) => {
            exposition(ctx.state()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Compares secrets in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The router of the metrics listener (`PORTAL_METRICS_BIND`): `/metrics` and nothing else.
pub fn router(state: crate::AppState) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let state = state.clone();
            async move { exposition(&state) }
        }),
    )
}
