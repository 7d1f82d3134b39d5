//! Partners (the ISP's branches and resellers) and the portal settings: per partner and
//! global. Staff create partners and flip the settings; a customer reads its own partner.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject, Upload};

use entity::{partner, partner_portal_settings, portal_settings};

use super::{EmailTemplate, catalog_object};
use crate::{
    domain::{
        branding::{self, BrandingChange, Change},
        catalog::{self, PartnerSettingsChange},
    },
    error::{AppError, ResultExt},
    graphql::{
        guards::{Staff, follow_optional},
        ids::{self, Kind},
        loaders::gql,
        payload::payload,
    },
};

catalog_object!(Partner, Partner, partner, Partner);

payload!(
    /// Result of a partner mutation.
    PartnerPayload { partner: Partner });
payload!(
    /// Result of `updatePortalSettings`.
    PortalSettingsPayload { portal_settings: PortalSettings });
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

    /// How the portal of this partner's accounts looks: its accent colour and logo.
    async fn branding(&self) -> PartnerBranding {
        PartnerBranding {
            display_name: self.0.display_name.clone(),
            accent_color: self.0.accent_color.clone(),
            logo_url: self.0.logo_digest.as_ref().map(|digest| {
                format!(
                    "/branding/{}/logo?v={}",
                    ids::encode(Kind::Partner, self.0.id).as_str(),
                    &digest[..16.min(digest.len())]
                )
            }),
        }
    }

    /// Portal settings that apply to this partner's accounts.
    async fn settings(&self, ctx: &Context<'_>) -> async_graphql::Result<PartnerPortalSettings> {
        let found = crate::graphql::loaders(ctx)?
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

/// How a partner's accounts see their portal; each part null where the partner has none
/// (the portal's own look then).
#[derive(SimpleObject)]
pub struct PartnerBranding {
    /// The name the portal shows its accounts (a brand: "Spreenet Berlin").
    pub display_name: Option<String>,
    /// The accent colour, `#rrggbb`; white text on it has a contrast of at least 4.5:1.
    pub accent_color: Option<String>,
    /// The logo's address on this server (PNG or JPEG; public, like the logo itself). It
    /// changes when the logo does, so it may be cached for good.
    pub logo_url: Option<String>,
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

/// A new partner.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// Unique name.
    pub name: String,
}

/// Change global portal settings; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdatePortalSettingsInput {
    /// Let main accounts with management on manage their independent sub-accounts.
    pub independent_sub_account_access: Option<bool>,
}

/// Change a partner's portal settings; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdatePartnerPortalSettingsInput {
    /// The partner.
    pub partner_id: ID,
    /// Aggregated sub-accounts may place orders themselves.
    pub sub_accounts_can_order: Option<bool>,
    /// Email the main account when a sub-account places an order.
    pub notify_main_on_sub_account_order: Option<bool>,
    /// The template of that email.
    pub sub_account_order_template_id: Option<ID>,
    /// Days a sub-account's request waits for its main account before it expires (1 to 90).
    pub approval_expiry_days: Option<i32>,
}

/// Change a partner's branding; omitted fields stay as they are, null removes. Send it as a
/// GraphQL multipart request when it carries a logo.
#[derive(InputObject)]
pub struct UpdatePartnerBrandingInput {
    /// The partner.
    pub partner_id: ID,
    /// The name the portal shows its accounts (1 to 60 characters).
    pub display_name: MaybeUndefined<String>,
    /// The accent colour, `#rrggbb`, dark enough for white text (contrast at least 4.5:1).
    pub accent_color: MaybeUndefined<String>,
    /// The logo: a PNG or JPEG of at most 256 KiB, judged by its content.
    pub logo: MaybeUndefined<Upload>,
}

/// An input field as a change: omitted keeps, null removes, a value sets.
fn change<T>(field: MaybeUndefined<T>) -> Change<T> {
    match field {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(value) => Change::Set(value),
    }
}

/// Partners and the portal settings (staff).
#[derive(Default)]
pub struct PartnerQuery;

/// Partners and the portal settings (staff).
#[Object]
impl PartnerQuery {
    /// All partners; admins only.
    #[graphql(guard = "Staff")]
    async fn partners(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Partner>> {
        Ok(catalog::partners(crate::graphql::db(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Partner)
            .collect())
    }

    /// Global portal settings; admins only.
    #[graphql(guard = "Staff")]
    async fn portal_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<PortalSettings> {
        Ok(PortalSettings(
            catalog::portal_settings(crate::graphql::db(ctx)?)
                .await
                .gql()?,
        ))
    }
}

/// Create partners and change the portal settings (staff).
#[derive(Default)]
pub struct PartnerMutation;

/// Create partners and change the portal settings (staff).
#[Object]
impl PartnerMutation {
    /// Create a partner (with default portal settings).
    #[graphql(guard = "Staff")]
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CreatePartnerInput,
    ) -> async_graphql::Result<PartnerPayload> {
        let result = catalog::create_partner(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            &input.name,
        )
        .await;
        PartnerPayload::from_result(result.map(Partner))
    }

    /// Change a partner's portal settings.
    #[graphql(guard = "Staff")]
    async fn update_partner_portal_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")]
        input: UpdatePartnerPortalSettingsInput,
    ) -> async_graphql::Result<PartnerPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
        let partner_id = ids::decode(Kind::Partner, &input.partner_id).gql()?;
        let template_id = input
            .sub_account_order_template_id
            .as_ref()
            .map(|id| ids::decode(Kind::EmailTemplate, id))
            .transpose()
            .gql()?;
        let change = PartnerSettingsChange {
            sub_accounts_can_order: input.sub_accounts_can_order,
            notify_main_on_sub_account_order: input.notify_main_on_sub_account_order,
            template_id,
            approval_expiry_days: input.approval_expiry_days,
        };
        let result =
            catalog::update_partner_settings(crate::graphql::db(ctx)?, viewer, partner_id, change)
                .await;
        PartnerPayload::from_result(result.map(Partner))
    }

    /// Change a partner's branding: the name, accent colour and logo its accounts' portal
    /// shows.
    #[graphql(guard = "Staff")]
    async fn update_partner_branding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UpdatePartnerBrandingInput,
    ) -> async_graphql::Result<PartnerPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
        let partner_id = ids::decode(Kind::Partner, &input.partner_id).gql()?;
        // The upload's bytes, when one was sent.
        let logo = match change(input.logo) {
            Change::Set(upload) => {
                let file = upload
                    .value(ctx)
                    .map_err(|e| AppError::Internal(e.into()))
                    .gql()?;
                Change::Set(file.content.to_vec())
            }
            Change::Keep => Change::Keep,
            Change::Clear => Change::Clear,
        };
        let wanted = BrandingChange {
            display_name: change(input.display_name),
            accent_color: change(input.accent_color),
            logo,
        };
        let result = branding::update(crate::graphql::db(ctx)?, viewer, partner_id, wanted).await;
        PartnerPayload::from_result(result.map(Partner))
    }

    /// Change global portal settings.
    #[graphql(guard = "Staff")]
    async fn update_portal_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UpdatePortalSettingsInput,
    ) -> async_graphql::Result<PortalSettingsPayload> {
        let result = catalog::update_portal_settings(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            input.independent_sub_account_access,
        )
        .await;
        PortalSettingsPayload::from_result(result.map(PortalSettings))
    }
}
