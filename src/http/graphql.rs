//! The GraphQL endpoint over HTTP: `POST /graphql` (JSON and multipart uploads, with the
//! CSRF rule and the body limit) and `GET /graphql` (queries; GraphiQL for browsers). Each
//! operation is handed to the [`crate::gate`]; its answer becomes a status code per GraphQL
//! over HTTP (400 for request errors to `application/graphql-response+json` clients, 200 for
//! legacy `application/json` ones).

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::gate::{Answer, Call, Caller, Credential, Outcome, Refusal, Transport, origin};

use super::Ctx;

/// Largest accepted JSON `/graphql` body (and WebSocket message).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Room for the form around an uploaded file in a multipart body.
const FORM_ROOM: usize = 64 * 1024;

pub(super) const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// A GraphQL response with errors only.
pub(super) fn error_response(
    status: StatusCode,
    errors: Vec<async_graphql::ServerError>,
    json_type: &'static str,
) -> Response {
    let body = serde_json::json!({ "errors": errors });
    (
        status,
        [(header::CONTENT_TYPE, json_type)],
        body.to_string(),
    )
        .into_response()
}

/// A refusal of the HTTP layer itself (before the gate): a malformed body, a missing header.
pub(super) fn bad_request(status: StatusCode, message: &str, json_type: &'static str) -> Response {
    error_response(status, crate::gate::transport_error(message), json_type)
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

/// Who is calling, from the request's headers and connection.
fn caller(ctx: &Ctx, headers: &HeaderMap, peer: Option<std::net::IpAddr>) -> Caller {
    let (address, client) = origin::of(peer, headers, &ctx.state().config.trusted_proxies);
    let credential = match headers.get(header::AUTHORIZATION) {
        None => Credential::None,
        // Not text at all: a malformed header, refused as such by the gate.
        Some(v) => Credential::Header(v.to_str().unwrap_or("\u{0}").to_string()),
    };
    Caller {
        credential,
        client,
        address,
        language: origin::language(headers),
    }
}

/// Hands the call to the gate and answers with its status code.
async fn through_gate(
    ctx: &Ctx,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    call: Call,
) -> Response {
    let json_type = response_type(headers);
    let answer = ctx.gate.call(&caller(ctx, headers, peer), call).await;
    match answer {
        Answer::Refused(refusal, errors) => {
            let status = match refusal {
                Refusal::Unauthenticated => StatusCode::UNAUTHORIZED,
                Refusal::Document => document_error_status(json_type),
                Refusal::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
                Refusal::PasswordChangeRequired => StatusCode::FORBIDDEN,
                Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let mut response = error_response(status, errors, json_type);
            let headers = response.headers_mut();
            match refusal {
                Refusal::Unauthenticated => {
                    headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                }
                Refusal::MethodNotAllowed => {
                    headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
                }
                Refusal::RateLimited { retry_after } => {
                    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                        headers.insert(header::RETRY_AFTER, v);
                    }
                }
                _ => {}
            }
            response
        }
        Answer::Executed(reply, outcome) => {
            let status = match outcome {
                Outcome::Ran => StatusCode::OK,
                Outcome::RequestError => document_error_status(json_type),
                Outcome::Unauthenticated => StatusCode::UNAUTHORIZED,
                Outcome::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            };
            match reply.to_json() {
                Ok(body) => (status, [(header::CONTENT_TYPE, json_type)], body).into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "response serialization failed");
                    error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        crate::gate::internal_error(),
                        json_type,
                    )
                }
            }
        }
        // A subscription over HTTP: async-graphql answers it as not supported here.
        Answer::Stream(_) => bad_request(
            StatusCode::BAD_REQUEST,
            "subscriptions run over the WebSocket at /graphql/ws",
            json_type,
        ),
    }
}

/// The body, read up to `limit` bytes; over it, the JSON 413 answer.
async fn read_body(
    body: axum::body::Body,
    headers: &HeaderMap,
    limit: usize,
    json_type: &'static str,
) -> Result<Bytes, Response> {
    let too_large = || {
        bad_request(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is over {}", size(limit)),
            json_type,
        )
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

/// A size in words (`64 KiB`, `20 MiB`).
fn size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

pub(super) async fn post(
    State(ctx): State<Ctx>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    // Present when served with connect info (serve and the tests are).
    let peer = peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip());
    let json_type = response_type(&headers);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // One limit per kind of body: JSON operations are small; an upload is its file plus the
    // form (`PORTAL_UPLOAD_LIMIT_MIB`).
    let max_upload = ctx.state().config.max_upload_bytes;
    let multipart = content_type.starts_with("multipart/form-data");
    let limit = if multipart {
        max_upload + FORM_ROOM
    } else {
        BODY_LIMIT
    };
    if multipart {
        // Uploads (GraphQL multipart request spec). A browser can send multipart across
        // sites without a preflight, so a non-simple header is required (CSRF).
        if !headers.contains_key("x-requested-with")
            && !headers.contains_key("apollo-require-preflight")
        {
            return bad_request(
                StatusCode::BAD_REQUEST,
                "multipart requests need an x-requested-with header",
                json_type,
            );
        }
        let body = match read_body(body, &headers, limit, json_type).await {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        // async-graphql bounds the whole stream by this; the file's own limit is the
        // upload's (`domain::document::upload`), and the body's is above.
        let opts = async_graphql::http::MultipartOptions::default()
            .max_file_size(limit)
            .max_num_files(1);
        let reader = async_graphql::futures_util::io::Cursor::new(body);
        return match async_graphql::http::receive_body(Some(content_type), reader, opts).await {
            Ok(request) => {
                let call = Call {
                    transport: Transport::Post,
                    request,
                    document_id: None,
                };
                through_gate(&ctx, &headers, peer, call).await
            }
            Err(e) => {
                let status = if matches!(e, async_graphql::ParseRequestError::PayloadTooLarge) {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                };
                bad_request(
                    status,
                    &format!("invalid multipart request: {e}"),
                    json_type,
                )
            }
        };
    }
    // CSRF: only JSON is accepted without a non-simple header (a form post is "simple").
    if !content_type.starts_with("application/json") && !headers.contains_key("x-requested-with") {
        return bad_request(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/json (other content types need an x-requested-with header)",
            json_type,
        );
    }
    let body = match read_body(body, &headers, limit, json_type).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let document_id;
    let request: async_graphql::Request = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Array(_)) => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                "batched requests are not supported",
                json_type,
            );
        }
        Ok(mut value) => {
            document_id = take_document_id(&mut value);
            match serde_json::from_value(value) {
                Ok(r) => r,
                Err(_) => {
                    return bad_request(
                        StatusCode::BAD_REQUEST,
                        "the body is not a GraphQL request",
                        json_type,
                    );
                }
            }
        }
        Err(_) => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                "the body is not valid JSON",
                json_type,
            );
        }
    };
    let call = Call {
        transport: Transport::Post,
        request,
        document_id,
    };
    through_gate(&ctx, &headers, peer, call).await
}

/// Takes a persisted-documents `documentId` out of a request body (async-graphql's request
/// has no such field).
pub(super) fn take_document_id(body: &mut serde_json::Value) -> Option<String> {
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
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
) -> Response {
    let peer = peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip());
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
        return bad_request(StatusCode::BAD_REQUEST, "missing query", json_type);
    }
    let mut request = async_graphql::Request::new(params.query.unwrap_or_default());
    request.operation_name = params.operation_name;
    if let Some(extensions) = params.extensions {
        match serde_json::from_str(&extensions) {
            Ok(e) => request.extensions = e,
            Err(_) => {
                return bad_request(
                    StatusCode::BAD_REQUEST,
                    "extensions are not valid JSON",
                    json_type,
                );
            }
        }
    }
    if let Some(vars) = params.variables {
        match serde_json::from_str(&vars) {
            Ok(v) => request.variables = async_graphql::Variables::from_json(v),
            Err(_) => {
                return bad_request(
                    StatusCode::BAD_REQUEST,
                    "variables are not valid JSON",
                    json_type,
                );
            }
        }
    }
    let call = Call {
        transport: Transport::Get,
        request,
        document_id: params.document_id,
    };
    through_gate(&ctx, &headers, peer, call).await
}
