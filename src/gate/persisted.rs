//! Which document a request runs: its text, a trusted document by id (`documentId:
//! "sha256:<hex>"`, the GraphQL-over-HTTP persisted-documents form), or Apollo's
//! `extensions.persistedQuery.sha256Hash` (a manifest document, or one this process has
//! prepared before from its text). `PORTAL_TRUSTED_DOCUMENTS` decides what is accepted; in
//! `require` mode customers and anonymous callers run manifest documents only.

use std::sync::Arc;

use super::{
    prepared::{Prepared, PreparedCache, hash_of},
    trusted::{self, Mode},
};

/// How a request names its document.
#[derive(Debug, Clone, Default)]
pub struct DocumentRef {
    /// The text (`query`), possibly empty.
    pub text: String,
    /// `documentId`, or the APQ hash (hex, with or without `sha256:`).
    pub id: Option<String>,
}

impl DocumentRef {
    /// From a request body: its `query`, `documentId` and `extensions.persistedQuery`.
    pub fn of(request: &async_graphql::Request, document_id: Option<String>) -> Self {
        let apq = request
            .extensions
            .get("persistedQuery")
            .and_then(|p| match p {
                async_graphql::Value::Object(o) => o.get("sha256Hash").cloned(),
                _ => None,
            })
            .and_then(|h| match h {
                async_graphql::Value::String(s) => Some(s),
                _ => None,
            });
        Self {
            text: request.query.clone(),
            id: document_id.or(apq),
        }
    }
}

/// Why a request's document cannot run: message and `extensions.code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub message: String,
    pub code: &'static str,
}

fn refused(message: impl Into<String>, code: &'static str) -> Refused {
    Refused {
        message: message.into(),
        code,
    }
}

fn required() -> Refused {
    refused(
        "this server runs only its clients' trusted documents (operations/): send a documentId",
        "PERSISTED_QUERY_REQUIRED",
    )
}

/// What a request's document resolved to.
pub enum Resolved {
    /// Prepared, with its trusted operation's name when it is a manifest document.
    Ready(Arc<Prepared>, Option<&'static str>),
    /// The text does not parse.
    Unparsable(async_graphql::parser::Error),
}

/// The document a request runs, under the server's mode (`staff` keep free text).
pub fn resolve(
    cache: &PreparedCache,
    mode: Mode,
    staff: bool,
    doc: &DocumentRef,
) -> Result<Resolved, Refused> {
    let free_text_allowed = mode != Mode::Require || staff;
    let prepared = match &doc.id {
        Some(_) if mode == Mode::Off => {
            return Err(refused(
                "documents by id are turned off on this server; send the query text",
                "PERSISTED_QUERY_NOT_SUPPORTED",
            ));
        }
        Some(id) => {
            let hex = id
                .strip_prefix("sha256:")
                .unwrap_or(id)
                .to_ascii_lowercase();
            if !doc.text.is_empty() && hash_of(&doc.text) != hex {
                return Err(refused(
                    "the query text does not match its document id",
                    "BAD_REQUEST",
                ));
            }
            match trusted::by_id(&hex) {
                Some(op) => cache.prepare(op.document),
                // Only manifest documents run here for this caller, whatever it sends with
                // the id.
                None if !free_text_allowed => return Err(required()),
                // APQ: a text sent with its hash is prepared, and known by its hash from
                // then on in this process.
                None if !doc.text.is_empty() => cache.prepare(&doc.text),
                None => match cache.get(&hex) {
                    Some(found) => Ok(found),
                    None => {
                        return Err(refused(
                            "no document with this id is known here; send its text",
                            "PERSISTED_QUERY_NOT_FOUND",
                        ));
                    }
                },
            }
        }
        None if free_text_allowed || trusted::is_trusted(&doc.text) => cache.prepare(&doc.text),
        None => return Err(required()),
    };
    Ok(match prepared {
        Ok(p) => {
            let name = trusted::manifest().get(&p.hash).map(|op| op.name);
            Resolved::Ready(p, name)
        }
        Err(e) => Resolved::Unparsable(e),
    })
}
