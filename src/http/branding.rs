//! A partner's logo at its own address: public (an `<img>` sends no token, and a logo is what
//! a partner shows everyone), cached for good when the address carries the current digest
//! (`Partner.branding.logoUrl`), never sniffed as anything but the image it was judged to be.

use axum::{
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    domain::branding,
    error::AppError,
    graphql::ids::{self, Kind},
};

use super::Ctx;

#[derive(Deserialize)]
pub(super) struct Version {
    v: Option<String>,
}

/// `GET /branding/{partnerId}/logo?v=…`.
pub(super) async fn logo(
    State(ctx): State<Ctx>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(version): Query<Version>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such logo").into_response();
    let Ok(partner_id) = ids::decode(Kind::Partner, &id.into()) else {
        return not_found();
    };
    match branding::logo(&ctx.state().db, partner_id).await {
        Ok((kind, digest, bytes)) => {
            // The address names this logo: it never changes. Any other address is revalidated.
            let current = version
                .v
                .is_some_and(|v| !v.is_empty() && digest.starts_with(&v));
            let cache = if current {
                "public, max-age=31536000, immutable"
            } else {
                "public, no-cache"
            };
            let headers = [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, cache.to_string()),
                (header::ETAG, format!("\"{digest}\"")),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'".to_string(),
                ),
            ];
            (StatusCode::OK, headers, bytes).into_response()
        }
        Err(AppError::NotFound) => not_found(),
        Err(e) => super::internal("logo read", &e),
    }
}
