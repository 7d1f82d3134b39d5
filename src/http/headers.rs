//! Headers every answer carries, and CORS for portals served from their own origin.
//!
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` everywhere (a
//!   signed document link never leaves through `Referer`); `Cache-Control: no-store` on
//!   everything that does not set its own (GraphQL answers and document downloads carry
//!   personal data).
//! - CORS: origins in `PORTAL_CORS_ORIGINS` (exact `scheme://host[:port]`; none by default:
//!   same-origin only) get `Access-Control-Allow-Origin` with their own origin, and their
//!   preflights are answered and cached for a day. Tokens travel in `Authorization`, never
//!   in cookies, so credentials are not allowed. Other origins get no CORS headers at all.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
const ALLOWED_HEADERS: &str =
    "authorization, content-type, accept, x-requested-with, apollo-require-preflight, traceparent";
const EXPOSED_HEADERS: &str = "x-request-id, retry-after";
const PREFLIGHT_MAX_AGE: &str = "86400";

/// The request's `Origin` when it is in the allowlist.
fn allowed_origin(headers: &HeaderMap, allowed: &[String]) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    allowed
        .iter()
        .any(|a| a.eq_ignore_ascii_case(text))
        .then(|| origin.clone())
}

pub(super) async fn apply(State(ctx): State<super::Ctx>, req: Request, next: Next) -> Response {
    let origin = allowed_origin(req.headers(), &ctx.state().config.cors_origins);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        // Answered here for every path: an allowed origin gets the rules, any other none.
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if preflight {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            );
        } else {
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
        }
    }
    response
}
