//! Exports through signed, expiring links: the activity feed as CSV. The link names the
//! viewer it was made for and its filter; the viewer is loaded again when it is used, so
//! what the CSV holds is what that viewer may read now.

use axum::{
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{auth::Subject, domain::activity::feed, error::AppError};

use super::Ctx;

#[derive(Deserialize)]
pub(super) struct ExportParams {
    subject: Option<String>,
    filter: Option<String>,
    expires: Option<i64>,
    sig: Option<String>,
}

/// Serves the activity feed as CSV. A missing, tampered or expired link is 403.
pub(super) async fn activity(
    State(ctx): State<Ctx>,
    Query(params): Query<ExportParams>,
) -> Response {
    let forbidden =
        || (StatusCode::FORBIDDEN, "this link is invalid or has expired").into_response();
    let (Some(subject), Some(filter), Some(expires), Some(sig)) =
        (params.subject, params.filter, params.expires, params.sig)
    else {
        return forbidden();
    };
    let now = chrono::Utc::now();
    let Some(filter) =
        feed::verify_export(&ctx.state().link_key, &subject, &filter, expires, &sig, now)
    else {
        return forbidden();
    };
    let Some(subject) = Subject::parse(&subject) else {
        return forbidden();
    };
    let db = &ctx.state().db;
    let csv = match ctx.state().viewers.viewer(db, subject).await {
        Ok(viewer) => feed::export_csv(db, &viewer, &filter).await,
        Err(e) => Err(e),
    };
    match csv {
        Ok(csv) => {
            let headers = [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"activity.csv\"",
                ),
                (header::CACHE_CONTROL, "private, no-store"),
            ];
            (StatusCode::OK, headers, csv).into_response()
        }
        // The viewer is gone or may no longer read what the link names.
        Err(
            AppError::Unauthenticated(_)
            | AppError::NotFound
            | AppError::Forbidden
            | AppError::Denied(_),
        ) => forbidden(),
        Err(e) => super::internal("activity export", &e),
    }
}
