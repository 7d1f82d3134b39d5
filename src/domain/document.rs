//! Documents: metadata rows plus bytes behind a small storage seam (the database today;
//! object storage can implement the same two functions), and short-lived signed download
//! links (HMAC-SHA256 over id and expiry) served by `GET /documents/{id}`.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use sha2::{Digest, Sha256};

use entity::{document, document_content, enums::DocumentKind};

use super::{
    activity::Activity,
    record::{Record, Ref},
};
use crate::error::{AppError, AppResult};

/// How long a download link stays valid.
pub const LINK_TTL_SECONDS: i64 = 10 * 60;
/// Name of the server key that signs download links.
pub const LINK_KEY: &str = "document_link_key";

/// Stores a new document for an account, in the caller's transaction.
/// The SHA-256 of a document's bytes, as lower-case hex (kept with every document).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn store<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    kind: DocumentKind,
    title: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> AppResult<document::Model> {
    let sha = sha256_hex(&bytes);
    let doc = document::ActiveModel {
        account_id: Set(account_id),
        kind: Set(kind),
        title: Set(title.to_string()),
        content_type: Set(content_type.to_string()),
        size_bytes: Set(bytes.len() as i64),
        sha256: Set(sha),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    document_content::ActiveModel {
        document_id: Set(doc.id),
        bytes: Set(bytes),
    }
    .insert(db)
    .await?;
    Ok(doc)
}

/// A document and its bytes, for a verified download link.
pub async fn fetch<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<(document::Model, Vec<u8>)> {
    let doc = document::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let content = document_content::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((doc, content.bytes))
}

/// A link to download document `id`, valid until `now + LINK_TTL_SECONDS`.
pub fn signed_path(key: &[u8], id: i64, now: DateTime<Utc>) -> AppResult<String> {
    let expires = now.timestamp() + LINK_TTL_SECONDS;
    let sig = super::signed::sign(key, &format!("document:{id}"), expires)?;
    Ok(format!("/documents/{id}?expires={expires}&sig={sig}"))
}

/// Checks a link's signature (in constant time) and expiry.
pub fn verify_link(key: &[u8], id: i64, expires: i64, sig_hex: &str, now: DateTime<Utc>) -> bool {
    super::signed::verify(key, &format!("document:{id}"), expires, sig_hex, now)
}

/// Whether bytes are a PDF, judged by content (header and trailer), not by a file name.
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    bytes.starts_with(b"%PDF-") && tail.windows(5).any(|w| w == b"%%EOF")
}

/// An admin uploads a PDF document (at most `max_bytes`: `PORTAL_UPLOAD_LIMIT_MIB`) (contract, invoice or other) for an account.
pub async fn upload(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::auth::Viewer,
    account_id: i64,
    kind: DocumentKind,
    title: &str,
    bytes: Vec<u8>,
    max_bytes: usize,
) -> AppResult<document::Model> {
    use crate::error::UserError;
    crate::policy::require_admin(viewer)?;
    let owner = entity::account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut checks = super::validate::Checks::default();
    let title = checks.text("title", title, 1, 200);
    checks.finish()?;
    if bytes.is_empty() || bytes.len() > max_bytes {
        return Err(AppError::user(UserError::invalid(
            "file",
            format!(
                "the file must hold 1 byte to {} MiB",
                max_bytes / (1024 * 1024)
            ),
        )));
    }
    if !looks_like_pdf(&bytes) {
        return Err(AppError::user(UserError::invalid(
            "file",
            "only PDF documents are accepted",
        )));
    }
    let txn = crate::db::write_txn(db).await?;
    let doc = store(&txn, owner.id, kind, &title, "application/pdf", bytes).await?;
    let record = Record::default()
        .names("title", Ref::Document(doc.id))
        .value("kind", kind.as_str())
        .value("sizeBytes", doc.size_bytes);
    super::activity::record(&txn, owner.id, viewer, Activity::DocumentUploaded, record).await?;
    txn.commit().await?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_verifies_until_it_expires_and_not_after_tampering() {
        let key = b"0123456789abcdef0123456789abcdef";
        let now = Utc::now();
        let path = signed_path(key, 7, now).expect("signs");
        let query = path.split_once('?').expect("query").1;
        let params: std::collections::HashMap<_, _> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let expires: i64 = params["expires"].parse().expect("number");
        let sig = params["sig"];
        assert!(verify_link(key, 7, expires, sig, now));
        assert!(!verify_link(key, 8, expires, sig, now), "another document");
        assert!(
            !verify_link(key, 7, expires + 1, sig, now),
            "another expiry"
        );
        assert!(!verify_link(key, 7, expires, &sig.replace('a', "b"), now) || !sig.contains('a'));
        assert!(
            !verify_link(
                key,
                7,
                expires,
                sig,
                now + chrono::Duration::seconds(LINK_TTL_SECONDS + 1)
            ),
            "expired"
        );
        assert!(!verify_link(
            b"another-key-another-key-another!!",
            7,
            expires,
            sig,
            now
        ));
    }
}
