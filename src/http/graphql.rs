//! The GraphQL endpoint: `POST /graphql` (JSON and multipart uploads, with the CSRF rule
//! and the body limit), `GET /graphql` (queries; GraphiQL for browsers) and `/graphql/ws`
//! (subscriptions). Every operation then passes the [`super::gate`].

use async_graphql::ErrorExtensions;
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use serde::Deserialize;

use crate::{AppState, error::AppError};

use super::{
    Ctx,
    gate::{coded, error_response, execute, response_type},
};

/// Largest accepted JSON `/graphql` body.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest accepted multipart (upload) body: the largest file plus room for the form.
pub const UPLOAD_BODY_LIMIT: usize = crate::domain::document::MAX_UPLOAD_BYTES + 64 * 1024;

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
            use std::sync::{
                Arc,
                atomic::{AtomicBool, Ordering},
            };
            let require = state.config.trusted_documents == crate::graphql::trusted::Mode::Require;
            let free_text = Arc::new(AtomicBool::new(!require));
            let executor = crate::graphql::execute::Batching {
                schema,
                state: state.clone(),
                free_text: free_text.clone(),
            };
            async_graphql_axum::GraphQLWebSocket::new(socket, executor, protocol)
                .on_connection_init(move |payload| async move {
                    let (data, staff) = ws_init(&state, payload).await?;
                    if staff {
                        free_text.store(true, Ordering::Release);
                    }
                    Ok(data)
                })
                .serve()
        })
}

/// Authenticates a WebSocket connection from its `connection_init` payload: the
/// connection's data, and whether staff opened it.
async fn ws_init(
    state: &AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<(async_graphql::Data, bool)> {
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
    let verified = state
        .jwt
        .verify_token(token.trim())
        .map_err(|e| e.extend())?;
    let (subject, expires) = (verified.subject, verified.expires);
    let viewer = state
        .viewers
        .viewer(&state.db, subject)
        .await
        .map_err(|e| e.extend())?;
    let staff = viewer.is_admin();
    let mut data = async_graphql::Data::default();
    data.insert(viewer);
    data.insert(crate::graphql::subscription::TokenExpiry(expires));
    Ok((data, staff))
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
            Ok(request) => execute(ctx, headers, request, false, peer, None).await,
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
    let document_id;
    let request: async_graphql::Request = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Array(_)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                vec![coded("batched requests are not supported", "BAD_REQUEST")],
                json_type,
            );
        }
        Ok(mut value) => {
            document_id = take_document_id(&mut value);
            match serde_json::from_value(value) {
                Ok(r) => r,
                Err(_) => {
                    return error_response(
                        StatusCode::BAD_REQUEST,
                        vec![coded("the body is not a GraphQL request", "BAD_REQUEST")],
                        json_type,
                    );
                }
            }
        }
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                vec![coded("the body is not valid JSON", "BAD_REQUEST")],
                json_type,
            );
        }
    };
    execute(ctx, headers, request, false, peer, document_id).await
}

/// Takes a persisted-documents `documentId` out of a request body (async-graphql's request
/// has no such field).
fn take_document_id(body: &mut serde_json::Value) -> Option<String> {
    let id = body.as_object_mut()?.remove("documentId")?;
    id.as_str().map(str::to_string)
}

#[derive(Deserialize)]
pub(super) struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    /// A trusted document's id instead of `query`.
    #[serde(rename = "documentId")]
    document_id: Option<String>,
    /// JSON, e.g. Apollo's `{"persistedQuery": {"version": 1, "sha256Hash": "…"}}`.
    extensions: Option<String>,
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
    let by_id = params.document_id.is_some() || params.extensions.is_some();
    if params.query.is_none() && !by_id && accept.contains("text/html") {
        return super::playground::page();
    }
    let json_type = response_type(&headers);
    if params.query.is_none() && !by_id {
        return error_response(
            StatusCode::BAD_REQUEST,
            vec![coded("missing query", "BAD_REQUEST")],
            json_type,
        );
    }
    let mut request = async_graphql::Request::new(params.query.unwrap_or_default());
    request.operation_name = params.operation_name;
    if let Some(extensions) = params.extensions {
        match serde_json::from_str(&extensions) {
            Ok(e) => request.extensions = e,
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    vec![coded("extensions are not valid JSON", "BAD_REQUEST")],
                    json_type,
                );
            }
        }
    }
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
    execute(ctx, headers, request, true, None, params.document_id).await
}
