//! Trusted documents: the named operations a published client sends, kept in `operations/`
//! and embedded here, with their manifest (`sha256:<hex>` of the text → document). Clients
//! send `{"documentId": "sha256:<hex>", "variables": …}` (the GraphQL-over-HTTP persisted
//! documents form) or Apollo's `extensions.persistedQuery.sha256Hash`; with
//! `PORTAL_TRUSTED_DOCUMENTS=require` customers may run nothing else. The playground's example
//! tabs are the same documents.

use std::{collections::HashMap, sync::OnceLock};

use super::prepared::hash_of;

/// One trusted operation.
#[derive(Debug)]
pub struct Operation {
    /// The operation's name, as in its document.
    pub name: &'static str,
    /// The document's text, exactly as in `operations/<name>.graphql`.
    pub document: &'static str,
    /// Variables the playground's tab starts with (demo data).
    pub example_variables: &'static str,
}

macro_rules! operations {
    ($($name:literal => $vars:literal,)+) => {
        /// Every file of `operations/`, in the order the playground shows them.
        pub const OPERATIONS: &[Operation] = &[
            $(Operation {
                name: $name,
                document: include_str!(concat!("../../operations/", $name, ".graphql")),
                example_variables: $vars,
            },)+
        ];
    };
}

operations! {
    "Login" => r#"{ "login": "main", "password": "demo-pass" }"#,
    "RefreshSession" => r#"{ "refreshToken": "" }"#,
    "SubAccounts" => r#"{ "filter": { "status": ["ACTIVE"] }, "first": 20 }"#,
    "PlaceOrder" => r#"{ "accountId": "", "items": [{ "tariffId": "", "quantity": 1 }], "paymentMethod": { "kind": "ACCOUNT_BALANCE" } }"#,
    "ApproveOrder" => r#"{ "orderId": "", "paymentMethod": { "kind": "ACCOUNT_BALANCE" } }"#,
    "PauseService" => r#"{ "serviceId": "" }"#,
    "CreateTicket" => r#"{ "subject": "Internet drops in the evening", "message": "Since Monday around 8 pm.", "priority": "HIGH" }"#,
    "NotificationAdded" => "{}",
    "Dashboard" => r#"{ "billing": true, "main": true }"#,
    "SubAccount" => r#"{ "id": "" }"#,
    "ResumeService" => r#"{ "serviceId": "" }"#,
    "Logout" => "{}",
    "AccountSections" => r#"{ "id": "", "documents": true, "tickets": true, "activity": true }"#,
    "ManageOrders" => r#"{ "status": ["AWAITING_MAIN_APPROVAL"], "first": 20 }"#,
    "RejectOrder" => r#"{ "orderId": "", "reason": "Not this month" }"#,
    "Tariffs" => "{}",
    "Ticket" => r#"{ "id": "" }"#,
    "ReplyToTicket" => r#"{ "ticketId": "", "message": "It works again, thank you." }"#,
    "CloseTicket" => r#"{ "ticketId": "" }"#,
    "AccountUsage" => r#"{ "id": "", "from": "2026-11-01", "to": "2026-12-01", "groupBy": "DAY", "internet": true, "voice": true }"#,
    "ChangeService" => r#"{ "serviceId": "", "tariffId": "", "mode": "REQUEST" }"#,
    "OrderAccounts" => "{}",
    "OrderQuote" => r#"{ "accountId": "", "items": [{ "tariffId": "", "quantity": 2 }] }"#,
    "Invoices" => r#"{ "first": 20 }"#,
    "Me" => "{}",
    "Notifications" => r#"{ "first": 20 }"#,
    "MarkNotificationsRead" => r#"{ "all": true }"#,
    "SubAccountCursors" => r#"{ "first": 100 }"#,
    "OrderCursors" => r#"{ "status": ["AWAITING_MAIN_APPROVAL"], "last": 100 }"#,
    "InvoiceCursors" => r#"{ "first": 100 }"#,
}

pub use crate::config::TrustedDocuments as Mode;

/// The `documentId` of a document text: `sha256:<hex>`.
pub fn document_id(text: &str) -> String {
    format!("sha256:{}", hash_of(text))
}

/// The manifest: hash (hex) → operation.
pub fn manifest() -> &'static HashMap<String, &'static Operation> {
    static MANIFEST: OnceLock<HashMap<String, &'static Operation>> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        OPERATIONS
            .iter()
            .map(|op| (hash_of(op.document), op))
            .collect()
    })
}

/// The manifest's operation with this hash (hex, with or without the `sha256:` prefix).
pub fn by_id(id: &str) -> Option<&'static Operation> {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    manifest().get(&hex.to_ascii_lowercase()).copied()
}

/// The manifest as a client downloads it (`portal-api operations --manifest`), in Apollo's
/// persisted-query manifest format: each operation's id (`sha256:` of its exact text), name,
/// type and text.
pub fn manifest_json() -> serde_json::Value {
    let operations: Vec<serde_json::Value> = OPERATIONS
        .iter()
        .map(|op| {
            let kind = ["subscription", "mutation"]
                .into_iter()
                .find(|k| op.document.lines().any(|l| l.starts_with(k)))
                .unwrap_or("query");
            serde_json::json!({
                "id": document_id(op.document),
                "name": op.name,
                "type": kind,
                "body": op.document,
            })
        })
        .collect();
    serde_json::json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": operations,
    })
}

/// Whether `text` is a manifest document.
pub fn is_trusted(text: &str) -> bool {
    manifest().contains_key(&hash_of(text))
}

/// What the example sign-in carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logins {
    /// The demo's login and password (a server with demo data, `--demo`).
    Demo,
    /// Blank: no password is published anywhere else.
    Blank,
}

impl Logins {
    /// The example logins of a server: the demo's with demo data, blank otherwise.
    pub fn of(config: &crate::config::Config) -> Self {
        if config.demo {
            Logins::Demo
        } else {
            Logins::Blank
        }
    }
}

/// `window.PORTAL_EXAMPLES` for the playground: each operation's name, document and
/// starting variables, the sign-in filled in with the demo's only for [`Logins::Demo`].
pub fn examples_js(logins: Logins) -> String {
    let examples: Vec<serde_json::Value> = OPERATIONS
        .iter()
        .map(|op| {
            let mut variables: serde_json::Value =
                serde_json::from_str(op.example_variables).unwrap_or_default();
            if logins == Logins::Blank
                && let Some(vars) = variables.as_object_mut()
            {
                for secret in ["login", "password"] {
                    if let Some(v) = vars.get_mut(secret) {
                        *v = serde_json::Value::String(String::new());
                    }
                }
            }
            serde_json::json!({
                "name": op.name,
                "id": document_id(op.document),
                "document": op.document,
                "variables": variables.to_string(),
            })
        })
        .collect();
    format!(
        "window.PORTAL_EXAMPLES = {};\n",
        serde_json::Value::Array(examples)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_operations_is_in_the_manifest_under_its_own_name() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/operations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("operations/")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".graphql"))
                    .map(str::to_string)
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = OPERATIONS.iter().map(|o| o.name.to_string()).collect();
        listed.sort();
        assert_eq!(
            files, listed,
            "operations/ and OPERATIONS list the same files"
        );
        for op in OPERATIONS {
            let doc = async_graphql::parser::parse_query(op.document).expect("parses");
            let names: Vec<String> = match &doc.operations {
                async_graphql::parser::types::DocumentOperations::Single(_) => Vec::new(),
                async_graphql::parser::types::DocumentOperations::Multiple(ops) => {
                    ops.keys().map(|k| k.to_string()).collect()
                }
            };
            assert_eq!(
                names,
                [op.name],
                "{}: one operation named like its file",
                op.name
            );
            serde_json::from_str::<serde_json::Value>(op.example_variables)
                .unwrap_or_else(|e| panic!("{}: example variables: {e}", op.name));
            assert!(by_id(&document_id(op.document)).is_some_and(|o| o.name == op.name));
        }
        assert_eq!(manifest().len(), OPERATIONS.len(), "no two documents alike");
    }
}
