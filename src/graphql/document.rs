//! Documents of accounts (contracts, invoice PDFs) and `uploadDocument`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use entity::document;

use super::{
    account::Account,
    account::visible_account,
    enums::DocumentKind,
    ids::{self, Kind},
    payload::payload,
};
use crate::{
    domain::{self},
    error::{AppError, ResultExt},
    policy::{self, Action, Target},
};

/// A document of an account (contract, invoice PDF, ...).
#[derive(Clone)]
pub struct Document(pub document::Model);

crate::connection_names!(Document => "DocumentConnection", "DocumentEdge";);

/// Whether the viewer may see a document: its account's documents.
pub async fn document_visible(
    ctx: &Context<'_>,
    found: &document::Model,
) -> async_graphql::Result<()> {
    let viewer = super::viewer(ctx)?;
    let owner = visible_account(ctx, found.account_id).await?;
    policy::authorize(viewer, Action::ViewDocuments, Target::Account(&owner.0)).gql()
}

#[Object]
impl Document {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Document, self.0.id)
    }

    /// The account it belongs to.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        visible_account(ctx, self.0.account_id).await
    }

    /// Contract, invoice or other.
    async fn kind(&self) -> DocumentKind {
        self.0.kind.into()
    }

    /// Title shown in lists.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// MIME type, e.g. `application/pdf`.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// Size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }

    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// A link valid for 10 minutes that opens the file (`&download=1` to save it).
    async fn download_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let state = super::state(ctx)?;
        domain::document::signed_path(&state.link_key, self.0.id, Utc::now()).gql()
    }
}

/// Upload a document (admins). Send it as a GraphQL multipart request.
#[derive(InputObject)]
pub struct UploadDocumentInput {
    /// The account it belongs to.
    pub account_id: ID,
    /// Contract, invoice or other.
    pub kind: DocumentKind,
    /// Title shown in lists (1..200 characters).
    pub title: String,
    /// The PDF (checked by content; at most 20 MiB).
    pub file: async_graphql::Upload,
}

payload!(
    /// Result of `uploadDocument`.
    DocumentPayload { document: Document });

/// Document mutations.
#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    /// Upload a PDF document for an account (admins; GraphQL multipart request).
    async fn upload_document(
        &self,
        ctx: &Context<'_>,
        input: UploadDocumentInput,
    ) -> async_graphql::Result<DocumentPayload> {
        let viewer = super::viewer(ctx)?;
        policy::require_admin(viewer).gql()?;
        let account_id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let file = input
            .file
            .value(ctx)
            .map_err(|e| AppError::Internal(e.into()))
            .gql()?;
        let result = domain::document::upload(
            super::db(ctx)?,
            viewer,
            account_id,
            input.kind.into(),
            &input.title,
            file.content.to_vec(),
        )
        .await;
        DocumentPayload::from_result(result.map(Document))
    }
}
