//! `/readyz` (the database answers) and `/metrics` (Prometheus text).

use std::time::Duration;

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};

use crate::db;

use super::Ctx;

pub(super) async fn readyz(State(ctx): State<Ctx>) -> impl IntoResponse {
    let ok = tokio::time::timeout(Duration::from_secs(2), db::ping(&ctx.state.db))
        .await
        .unwrap_or(false);
    if ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

pub(super) async fn metrics(State(ctx): State<Ctx>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        ctx.state.metrics.render() + &ctx.state.viewers.counts().render(),
    )
}
