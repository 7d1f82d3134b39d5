//! Partners and their portal settings, the global portal settings, email templates and
//! tariffs; `tariffs` is the one catalogue query customers use.

use async_graphql::{Context, ID, Object};

use entity::{email_template, partner, partner_portal_settings, portal_settings, tariff};

use super::{
    enums::{BillingPeriod, EmailTemplateKind, TariffKind},
    guards::{Decision, Guarded, Loadable, SignedIn, follow_optional},
    ids::{self, Kind},
    loaders::gql,
    scalars::Decimal,
};
use crate::{
    domain::catalog::{self, SERVICE_ORDER_PLACEHOLDERS},
    error::{AppError, ResultExt},
    policy::{self, Action, Target},
};

/// Implements the policy's view and the loading of a catalogue object.
macro_rules! catalog_object {
    ($type:ident, $kind:ident, $loader:ident, $target:ident) => {
        impl Guarded for $type {
            async fn decide(
                &self,
                ctx: &Context<'_>,
                action: Action,
            ) -> async_graphql::Result<Decision> {
                Ok(policy::authorize(
                    super::viewer(ctx)?,
                    action,
                    Target::$target(&self.0),
                ))
            }
        }

        impl Loadable for $type {
            const KIND: Kind = Kind::$kind;

            async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
                let found = super::loaders(ctx)?
                    .$loader
                    .load_one(id)
                    .await
                    .map_err(gql)?;
                Ok(found.map($type))
            }
        }
    };
}

catalog_object!(Partner, Partner, partner, Partner);
catalog_object!(EmailTemplate, EmailTemplate, email_template, EmailTemplate);
catalog_object!(Tariff, Tariff, tariff, Tariff);

/// An ISP branch or reseller; every account belongs to one.
#[derive(Clone)]
pub struct Partner(pub partner::Model);

/// An ISP branch or reseller; every account belongs to one.
#[Object]
impl Partner {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Partner, self.0.id)
    }

    /// Name of the branch or reseller.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Portal settings that apply to this partner's accounts.
    async fn settings(&self, ctx: &Context<'_>) -> async_graphql::Result<PartnerPortalSettings> {
        let found = super::loaders(ctx)?
            .partner_settings
            .load_one(self.0.id)
            .await
            .map_err(gql)?;
        found
            .map(PartnerPortalSettings)
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("partner {} has no settings row", self.0.id))
            })
            .gql()
    }
}

/// Per-partner portal switches.
pub struct PartnerPortalSettings(pub partner_portal_settings::Model);

/// Per-partner portal switches.
#[Object]
impl PartnerPortalSettings {
    /// Aggregated sub-accounts may place orders in their own portal (the main approves and pays).
    async fn sub_accounts_can_order(&self) -> bool {
        self.0.sub_accounts_can_order
    }

    /// Email the main account when a sub-account places an order.
    async fn notify_main_on_sub_account_order(&self) -> bool {
        self.0.notify_main_on_sub_account_order
    }

    /// Days a sub-account's request waits for its main account before it expires.
    async fn approval_expiry_days(&self) -> i32 {
        self.0.approval_expiry_days
    }

    /// The template of that email (staff configuration: null for customers).
    async fn sub_account_order_template(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<EmailTemplate>> {
        follow_optional(ctx, self.0.sub_account_order_template_id).await
    }
}

/// Global portal configuration.
pub struct PortalSettings(pub portal_settings::Model);

/// Global portal configuration.
#[Object]
impl PortalSettings {
    /// Main accounts with management on may also manage their independent sub-accounts (limited).
    async fn independent_sub_account_access(&self) -> bool {
        self.0.independent_sub_account_access
    }
}

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

super::payload::payload!(
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
    #[graphql(guard = "super::guards::Staff")]
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
        let result =
            catalog::create_email_template(super::db(ctx)?, super::viewer(ctx)?, new).await;
        EmailTemplatePayload::from_result(result.map(EmailTemplate))
    }

    /// Edit an email template (staff); unknown placeholders are refused.
    #[graphql(guard = "super::guards::Staff")]
    async fn update_email_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UpdateEmailTemplateInput,
    ) -> async_graphql::Result<EmailTemplatePayload> {
        let id = ids::decode(Kind::EmailTemplate, &input.id).gql()?;
        let result = catalog::update_email_template(
            super::db(ctx)?,
            super::viewer(ctx)?,
            id,
            input.subject,
            input.body,
        )
        .await;
        EmailTemplatePayload::from_result(result.map(EmailTemplate))
    }
}

/// A product customers can order.
#[derive(Clone)]
pub struct Tariff(pub tariff::Model);

/// A product customers can order.
#[Object]
impl Tariff {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Tariff, self.0.id)
    }

    /// Product name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it provides.
    async fn kind(&self) -> TariffKind {
        self.0.kind.into()
    }

    /// Monthly or one-time.
    async fn period(&self) -> BillingPeriod {
        self.0.period.into()
    }

    /// Price per period, before tax.
    async fn price(&self) -> Decimal {
        Decimal::from_minor(self.0.price_minor)
    }

    /// Tax rate in percent, e.g. "19".
    async fn tax_percent(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_percent_minor)
    }

    /// Whether services on this tariff may switch tariff themselves (self-change).
    async fn allows_self_change(&self) -> bool {
        self.0.allows_self_change
    }

    /// Download speed in kbit/s, for Internet tariffs.
    async fn download_speed_kbps(&self) -> Option<i32> {
        self.0.download_speed_kbps
    }

    /// Upload speed in kbit/s, for Internet tariffs.
    async fn upload_speed_kbps(&self) -> Option<i32> {
        self.0.upload_speed_kbps
    }
}

/// Catalogue queries open to every signed-in viewer.
#[derive(Default)]
pub struct CatalogQuery;

/// Catalogue queries open to every signed-in viewer.
#[Object]
impl CatalogQuery {
    /// The tariffs that can be ordered, optionally of one kind.
    #[graphql(guard = "SignedIn")]
    async fn tariffs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this kind.")] kind: Option<TariffKind>,
    ) -> async_graphql::Result<Vec<Tariff>> {
        let rows = catalog::tariffs(super::db(ctx)?, kind.map(Into::into))
            .await
            .gql()?;
        Ok(rows.into_iter().map(Tariff).collect())
    }
}
