//! Document uploads (GraphQL multipart request spec): PDFs only, by content; the upload
//! downloads byte-identical through its signed link; only admins upload.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

const UPLOAD: &str = "mutation($a: ID!, $f: Upload!) { uploadDocument(input: {accountId: $a, kind: CONTRACT, title: \"Contract 2026\", file: $f}) { document { id kind title contentType sizeBytes downloadUrl } userErrors { code field } } }";

pub(crate) fn pdf_bytes() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(70_000));
    bytes.extend_from_slice(b"\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    bytes
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    account: &str,
    bytes: Vec<u8>,
    filename: &str,
    csrf_header: bool,
) -> (StatusCode, Value) {
    app.multipart(
        token,
        UPLOAD,
        json!({ "a": account, "f": null }),
        "f",
        (bytes, filename, "application/pdf"),
        csrf_header,
    )
    .await
}

#[tokio::test]
async fn an_uploaded_pdf_is_listed_and_downloads_byte_identical() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let bytes = pdf_bytes();
    let (status, body) = upload(
        &app,
        app.admin(),
        &t.aggregated,
        bytes.clone(),
        "contract.pdf",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let doc = body["data"]["uploadDocument"]["document"].clone();
    assert_eq!(body["data"]["uploadDocument"]["userErrors"], json!([]));
    assert_eq!(
        (
            doc["kind"].clone(),
            doc["contentType"].clone(),
            doc["sizeBytes"].clone()
        ),
        (
            json!("CONTRACT"),
            json!("application/pdf"),
            json!(bytes.len())
        )
    );
    // The main account (management on) sees it in the sub-account's documents.
    let token = app.token_for(&t.main).await;
    let list = app.ok("query($id: ID!) { node(id: $id) { ... on Account { documents(kind: CONTRACT) { totalCount nodes { id downloadUrl } } } } }", json!({ "id": t.aggregated }), Some(&token)).await;
    assert_eq!(list["node"]["documents"]["totalCount"], 1);
    let url = list["node"]["documents"]["nodes"][0]["downloadUrl"]
        .as_str()
        .expect("url")
        .to_string();
    let resp = app
        .client
        .get(app.url(&format!("{url}&download=1")))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );
    assert_eq!(
        resp.bytes().await.expect("body").to_vec(),
        bytes,
        "byte-identical"
    );
}

#[tokio::test]
async fn anything_but_a_pdf_is_refused_and_only_admins_upload() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let png = b"\x89PNG\r\n\x1a\n not a pdf at all".to_vec();
    let (status, body) = upload(&app, app.admin(), &t.main, png, "sneaky.pdf", true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"]["uploadDocument"],
        json!({ "document": null, "userErrors": [{ "code": "INVALID_INPUT", "field": ["input", "file"] }] })
    );
    let token = app.token_for(&t.main).await;
    let (_, body) = upload(&app, &token, &t.main, pdf_bytes(), "contract.pdf", true).await;
    assert_eq!(first_code(&body), "FORBIDDEN");
    let (status, body) = upload(
        &app,
        app.admin(),
        &t.main,
        pdf_bytes(),
        "contract.pdf",
        false,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "multipart without a non-simple header: {body}"
    );
    let docs = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Account { documents { totalCount } } } }",
            json!({ "id": t.main }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(
        docs["node"]["documents"]["totalCount"], 0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_plain_text_post_is_refused_without_a_non_simple_header() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": "{ viewer { role } }" }).to_string();
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .bearer_auth(app.admin())
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// A PDF of exactly `size` bytes.
fn pdf_of(size: usize) -> Vec<u8> {
    let (head, tail) = (b"%PDF-1.4\n".as_slice(), b"\n%%EOF\n".as_slice());
    let mut bytes = head.to_vec();
    bytes.resize(size - tail.len(), b'x');
    bytes.extend_from_slice(tail);
    bytes
}

#[tokio::test]
async fn an_upload_at_the_limit_is_taken_and_a_bigger_one_refused_with_a_json_413() {
    let app = TestApp::spawn_with(portal_api::config::Mode::Development, |c| {
        c.max_upload_bytes = 3 * 1024 * 1024;
    })
    .await;
    let t = app.tenant("big").await;
    // Larger than the 2 MiB an extractor takes by default, exactly the configured limit.
    let (status, body) = upload(
        &app,
        app.admin(),
        &t.aggregated,
        pdf_of(3 * 1024 * 1024),
        "big.pdf",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["uploadDocument"]["document"]["sizeBytes"],
        3 * 1024 * 1024
    );
    // One byte more is the file's own refusal; far more, the body's: 413, in JSON.
    let (_, body) = upload(
        &app,
        app.admin(),
        &t.aggregated,
        pdf_of(3 * 1024 * 1024 + 1),
        "big.pdf",
        true,
    )
    .await;
    assert_eq!(
        body["data"]["uploadDocument"]["userErrors"][0],
        json!({ "code": "INVALID_INPUT", "field": ["input", "file"] }),
        "{body}"
    );
    let (status, body) = upload(
        &app,
        app.admin(),
        &t.aggregated,
        pdf_of(4 * 1024 * 1024),
        "bigger.pdf",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(first_code(&body), "BAD_REQUEST", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("3 MiB")),
        "{body}"
    );
    assert_eq!(
        app.number("SELECT COUNT(*) FROM documents WHERE title = 'Contract 2026'")
            .await,
        1,
        "only the one at the limit"
    );
}
