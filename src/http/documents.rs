//! Document downloads through signed, expiring links.

use axum::{
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::error::AppError;

use super::Ctx;

#[derive(Deserialize)]
pub(super) struct LinkParams {
    expires: Option<i64>,
    sig: Option<String>,
    download: Option<String>,
}

/// Serves a document through a signed link. A missing, tampered or expired signature is
/// 403 whether or not the document exists; only a valid link can learn that it is gone (404).
pub(super) async fn download(
    State(ctx): State<Ctx>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(params): Query<LinkParams>,
) -> Response {
    use crate::domain::document;
    let forbidden =
        || (StatusCode::FORBIDDEN, "this link is invalid or has expired").into_response();
    let (Ok(id), Some(expires), Some(sig)) = (id.parse::<i64>(), params.expires, params.sig) else {
        return forbidden();
    };
    if !document::verify_link(&ctx.state().link_key, id, expires, &sig, chrono::Utc::now()) {
        return forbidden();
    }
    match document::fetch(&ctx.state().db, id).await {
        Ok((doc, bytes)) => {
            let disposition = if params.download.is_some() {
                "attachment"
            } else {
                "inline"
            };
            let filename: String = doc
                .title
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let extension = if doc.content_type == "application/pdf" && !filename.ends_with(".pdf")
            {
                ".pdf"
            } else {
                ""
            };
            let headers = [
                (header::CONTENT_TYPE, doc.content_type.clone()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("{disposition}; filename=\"{filename}{extension}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ];
            (StatusCode::OK, headers, bytes).into_response()
        }
        Err(AppError::NotFound) => (StatusCode::NOT_FOUND, "no such document").into_response(),
        Err(e) => super::internal("document download", &e),
    }
}
