//! Tariffs: what customers order. Everyone signed in lists them; staff create them.

use async_graphql::{Context, ID, InputObject, Object};

use entity::tariff;

use super::catalog_object;
use crate::{
    domain::catalog::{self, NewTariff},
    error::ResultExt,
    graphql::{
        enums::{BillingPeriod, TariffKind},
        guards::{SignedIn, Staff},
        ids::{self, Kind},
        payload::payload,
        scalars::Decimal,
    },
};

catalog_object!(Tariff, Tariff, tariff, Tariff);

payload!(
    /// Result of `createTariff`.
    TariffPayload { tariff: Tariff });

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

/// A new tariff.
#[derive(InputObject)]
pub struct CreateTariffInput {
    /// Product name.
    pub name: String,
    /// What it provides.
    pub kind: TariffKind,
    /// Monthly or one-time.
    #[graphql(default_with = "Some(BillingPeriod::Monthly)")]
    pub period: Option<BillingPeriod>,
    /// Price per period, before tax, as a string (at most 4 decimal places).
    pub price: Decimal,
    /// Tax rate in percent, 0..100.
    #[graphql(default_with = "Some(Decimal(rust_decimal::Decimal::ZERO))")]
    pub tax_percent: Option<Decimal>,
    /// Whether services may switch to another tariff themselves.
    #[graphql(default_with = "Some(false)")]
    pub allows_self_change: Option<bool>,
    /// Download speed in kbit/s.
    pub download_speed_kbps: Option<i32>,
    /// Upload speed in kbit/s.
    pub upload_speed_kbps: Option<i32>,
}

/// Catalogue queries open to every signed-in viewer.
#[derive(Default)]
pub struct TariffQuery;

/// Catalogue queries open to every signed-in viewer.
#[Object]
impl TariffQuery {
    /// The tariffs that can be ordered, optionally of one kind.
    #[graphql(guard = "SignedIn")]
    async fn tariffs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this kind.")] kind: Option<TariffKind>,
    ) -> async_graphql::Result<Vec<Tariff>> {
        let rows = catalog::tariffs(crate::graphql::db(ctx)?, kind.map(Into::into))
            .await
            .gql()?;
        Ok(rows.into_iter().map(Tariff).collect())
    }
}

/// Create tariffs (staff).
#[derive(Default)]
pub struct TariffMutation;

/// Create tariffs (staff).
#[Object]
impl TariffMutation {
    /// Create a tariff.
    #[graphql(guard = "Staff")]
    async fn create_tariff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CreateTariffInput,
    ) -> async_graphql::Result<TariffPayload> {
        let new = NewTariff {
            name: input.name,
            kind: input.kind.into(),
            period: input.period.unwrap_or(BillingPeriod::Monthly).into(),
            price: input.price.0,
            tax_percent: input.tax_percent.map(|d| d.0).unwrap_or_default(),
            allows_self_change: input.allows_self_change.unwrap_or(false),
            download_speed_kbps: input.download_speed_kbps,
            upload_speed_kbps: input.upload_speed_kbps,
        };
        let result =
            catalog::create_tariff(crate::graphql::db(ctx)?, crate::graphql::viewer(ctx)?, new)
                .await;
        TariffPayload::from_result(result.map(Tariff))
    }
}
