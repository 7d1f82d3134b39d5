//! Email templates (staff configuration; a partner picks one for the order email).

use async_graphql::{Context, ID, Object};

use entity::email_template;

use super::{Partner, catalog_object};
use crate::{
    domain::catalog::{self, SERVICE_ORDER_PLACEHOLDERS},
    error::ResultExt,
    graphql::{
        enums::EmailTemplateKind,
        guards::{Staff, follow_optional},
        ids::{self, Kind},
    },
};

catalog_object!(EmailTemplate, EmailTemplate, email_template, EmailTemplate);

/// An email template.
#[derive(Clone)]
pub struct EmailTemplate(pub email_template::Model);

/// An email template.
#[Object]
impl EmailTemplate {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::EmailTemplate, self.0.id)
    }

    /// What the template is used for.
    async fn kind(&self) -> EmailTemplateKind {
        self.0.kind.into()
    }

    /// Name shown to staff.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Subject line, with `{{placeholders}}`.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// Body text, with `{{placeholders}}`.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The placeholders this kind of template may use.
    async fn placeholders(&self) -> Vec<&'static str> {
        SERVICE_ORDER_PLACEHOLDERS.to_vec()
    }

    /// The partner that owns it (only that partner's settings may pick it); null for a
    /// template every partner may pick.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Partner>> {
        follow_optional(ctx, self.0.partner_id).await
    }
}

/// Email templates (staff).
#[derive(Default)]
pub struct TemplateQuery;

/// Email templates (staff).
#[Object]
impl TemplateQuery {
    /// All email templates; admins only.
    #[graphql(guard = "Staff")]
    async fn email_templates(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<EmailTemplate>> {
        let rows = catalog::email_templates(crate::graphql::db(ctx)?, crate::graphql::viewer(ctx)?)
            .await
            .gql()?;
        Ok(rows.into_iter().map(EmailTemplate).collect())
    }
}

/// A new email template.
#[derive(async_graphql::InputObject)]
pub struct CreateEmailTemplateInput {
    /// What it is used for.
    pub kind: EmailTemplateKind,
    /// Name shown to staff, 1..200 characters.
    pub name: String,
    /// Subject line, with `{{placeholders}}` from `placeholders`.
    pub subject: String,
    /// Body text, with `{{placeholders}}`.
    pub body: String,
    /// The partner that owns it; omitted: a template every partner may pick.
    pub partner_id: Option<ID>,
}

/// Edit an email template; placeholders are checked.
#[derive(async_graphql::InputObject)]
pub struct UpdateEmailTemplateInput {
    /// The template.
    pub id: ID,
    /// New subject.
    pub subject: Option<String>,
    /// New body.
    pub body: Option<String>,
}

crate::graphql::payload::payload!(
    /// Result of `createEmailTemplate` and `updateEmailTemplate`.
    EmailTemplatePayload { template: EmailTemplate });

/// Staff mutations of email templates (a partner picks one with
/// `updatePartnerPortalSettings`).
#[derive(Default)]
pub struct TemplateMutation;

/// Staff mutations of email templates (a partner picks one with
/// `updatePartnerPortalSettings`).
#[Object]
impl TemplateMutation {
    /// Create an email template (staff); unknown placeholders are refused.
    #[graphql(guard = "crate::graphql::guards::Staff")]
    async fn create_email_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CreateEmailTemplateInput,
    ) -> async_graphql::Result<EmailTemplatePayload> {
        let partner_id = input
            .partner_id
            .as_ref()
            .map(|id| ids::decode(Kind::Partner, id))
            .transpose()
            .gql()?;
        let new = catalog::NewTemplate {
            kind: input.kind.into(),
            name: input.name,
            subject: input.subject,
            body: input.body,
            partner_id,
        };
        let result = catalog::create_email_template(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            new,
        )
        .await;
        EmailTemplatePayload::from_result(result.map(EmailTemplate))
    }

    /// Edit an email template (staff); unknown placeholders are refused.
    #[graphql(guard = "crate::graphql::guards::Staff")]
    async fn update_email_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UpdateEmailTemplateInput,
    ) -> async_graphql::Result<EmailTemplatePayload> {
        let id = ids::decode(Kind::EmailTemplate, &input.id).gql()?;
        let result = catalog::update_email_template(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            id,
            input.subject,
            input.body,
        )
        .await;
        EmailTemplatePayload::from_result(result.map(EmailTemplate))
    }
}
