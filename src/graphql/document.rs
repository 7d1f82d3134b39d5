//! Documents of accounts (contracts, invoice PDFs) and `uploadDocument`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use entity::document;

use super::{
    account::{Account, owner},
    enums::DocumentKind,
    guards::{Decision, Guarded, Loadable, Staff, follow},
    ids::{self, Kind},
    loaders::gql,
    payload::payload,
};
use crate::{
    domain,
    error::{AppError, ResultExt},
    policy::{self, Action, Target},
};

/// A document of an account (contract, invoice PDF, ...).
#[derive(Clone)]
pub struct Document(pub document::Model);

crate::connection_names!(Document => "DocumentConnection", "DocumentEdge";);

impl Guarded for Document {
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        let owner = owner(ctx, self.0.account_id).await?;
        Ok(policy::authorize(
            super::viewer(ctx)?,
            action,
            Target::Document(&self.0, &owner),
        ))
    }
}

impl Loadable for Document {
    const KIND: Kind = Kind::Document;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .document
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(Document))
    }
}

/// A document of an account (contract, invoice PDF, ...).
#[Object]
impl Document {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Document, self.0.id)
    }

    /// The account it belongs to.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.account_id).await
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

/// Document mutations.
#[Object]
impl DocumentMutation {
    /// Upload a PDF document for an account (admins; GraphQL multipart request).
    #[graphql(guard = "Staff")]
    async fn upload_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UploadDocumentInput,
    ) -> async_graphql::Result<DocumentPayload> {
        let viewer = super::viewer(ctx)?;
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
            super::state(ctx)?.config.max_upload_bytes,
        )
        .await;
        DocumentPayload::from_result(result.map(Document))
    }
}
