//! Staff-only queries and mutations: accounts, links, switches, tariffs, templates and
//! balance adjustments. Every one asks the policy (a customer gets `FORBIDDEN`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    account::{Account, AccountFilter, account_connection},
    catalog::{EmailTemplate, Partner, PortalSettings, Tariff},
    connection::{Connection, page_request},
    enums::{AccountStatus, BillingMode, BillingPeriod, SubAccountType, TariffKind},
    guards::Staff,
    ids::{self, Kind},
    payload::{UserError, payload, split},
    scalars::{Date, Decimal},
};
use crate::{
    domain::{
        account::{self as accounts, Address, NewAccount},
        billing,
        catalog::{self, NewTariff, PartnerSettingsChange},
    },
    error::ResultExt,
};

payload!(
    /// Result of an account mutation.
    AccountPayload { account: Account });
payload!(
    /// Result of a partner mutation.
    PartnerPayload { partner: Partner });
payload!(
    /// Result of `updatePortalSettings`.
    PortalSettingsPayload { portal_settings: PortalSettings });
payload!(
    /// Result of `createTariff`.
    TariffPayload { tariff: Tariff });

/// A postal address.
#[derive(InputObject)]
pub struct AddressInput {
    /// Street and house number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Country.
    pub country: String,
}

/// A new customer account.
#[derive(InputObject)]
pub struct CreateAccountInput {
    /// Login name: 3..64 letters, digits, `.`, `_`, `-`, `@`; unique.
    pub login: String,
    /// Initial password, 8..200 characters.
    pub password: String,
    /// Person or company name.
    pub full_name: String,
    /// Contact email.
    pub email: Option<String>,
    /// Partner; the default partner when omitted.
    pub partner_id: Option<ID>,
    /// Initial status.
    #[graphql(default_with = "Some(AccountStatus::New)")]
    pub status: Option<AccountStatus>,
    /// How the account pays.
    #[graphql(default_with = "Some(BillingMode::Recurring)")]
    pub billing_mode: Option<BillingMode>,
    /// Service address.
    pub address: AddressInput,
}

/// Link an account to a main account.
#[derive(InputObject)]
pub struct LinkSubAccountInput {
    /// The main account.
    pub main_account_id: ID,
    /// The account that becomes its sub-account.
    pub sub_account_id: ID,
    /// Aggregated (the main pays) or independent.
    #[graphql(name = "type")]
    pub kind: SubAccountType,
}

/// Unlink a sub-account from its main account (history is kept).
#[derive(InputObject)]
pub struct UnlinkSubAccountInput {
    /// The sub-account.
    pub sub_account_id: ID,
}

/// Turn sub-account management on or off for a main account.
#[derive(InputObject)]
pub struct SetSubAccountManagementInput {
    /// The main account.
    pub account_id: ID,
    /// On or off.
    pub enabled: bool,
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

/// Credit (positive) or debit (negative) an account's balance, through the ledger.
#[derive(InputObject)]
pub struct AdjustBalanceInput {
    /// The account.
    pub account_id: ID,
    /// Amount as a string, e.g. "25.00" or "-5.50".
    pub amount: Decimal,
    /// Why (kept in the ledger).
    pub reason: String,
}

/// The month a billing run bills.
#[derive(InputObject)]
pub struct RunBillingInput {
    /// First day of the month, e.g. "2026-12-01"; at most next month.
    pub period_start: Date,
}

/// Result of `runBilling`. Running a month again issues nothing new (all counts zero).
#[derive(SimpleObject)]
pub struct RunBillingPayload {
    /// Recurring invoices this run issued (one per paying account at most).
    pub invoices_issued: i32,
    /// Of those, invoices left `UNPAID` because a prepaid balance did not cover them.
    pub invoices_unpaid: i32,
    /// `PENDING` services whose start date had come, turned `ACTIVE` by this run.
    pub services_activated: i32,
    /// Payers whose invoice could not be written (logged); running the month again bills
    /// them, and only them.
    pub payers_failed: i32,
    /// Why nothing was billed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A new partner.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// Unique name.
    pub name: String,
}

/// Staff-only queries.
#[derive(Default)]
pub struct AdminQuery;

/// Staff-only queries.
#[Object]
impl AdminQuery {
    /// All accounts, filtered; admins only.
    #[graphql(
        guard = "Staff",
        complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)"
    )]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrow the list.")] filter: Option<AccountFilter>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Connection<Account>> {
        let req = page_request(first, after, last, before).gql()?;
        let filter = filter.unwrap_or_default().into_domain().gql()?;
        account_connection(ctx, filter, None, req).await
    }

    /// Global portal settings; admins only.
    #[graphql(guard = "Staff")]
    async fn portal_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<PortalSettings> {
        Ok(PortalSettings(
            catalog::portal_settings(super::db(ctx)?).await.gql()?,
        ))
    }

    /// All partners; admins only.
    #[graphql(guard = "Staff")]
    async fn partners(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Partner>> {
        Ok(catalog::partners(super::db(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Partner)
            .collect())
    }

    /// All email templates; admins only.
    #[graphql(guard = "Staff")]
    async fn email_templates(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<EmailTemplate>> {
        let rows = catalog::email_templates(super::db(ctx)?, super::viewer(ctx)?)
            .await
            .gql()?;
        Ok(rows.into_iter().map(EmailTemplate).collect())
    }
}

/// Staff-only mutations.
#[derive(Default)]
pub struct AdminMutation;

/// Staff-only mutations.
#[Object]
impl AdminMutation {
    /// Create a partner (with default portal settings).
    #[graphql(guard = "Staff")]
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CreatePartnerInput,
    ) -> async_graphql::Result<PartnerPayload> {
        let result =
            catalog::create_partner(super::db(ctx)?, super::viewer(ctx)?, &input.name).await;
        PartnerPayload::from_result(result.map(Partner))
    }

    /// Create a customer account.
    #[graphql(guard = "Staff")]
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CreateAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = super::viewer(ctx)?;
        let partner_id = input
            .partner_id
            .as_ref()
            .map(|id| ids::decode(Kind::Partner, id))
            .transpose()
            .gql()?;
        let new = NewAccount {
            login: input.login,
            password: input.password,
            full_name: input.full_name,
            email: input.email,
            partner_id,
            status: input.status.unwrap_or(AccountStatus::New).into(),
            billing_mode: input.billing_mode.unwrap_or(BillingMode::Recurring).into(),
            address: Address {
                street: input.address.street,
                city: input.address.city,
                zip_code: input.address.zip_code,
                country: input.address.country,
            },
        };
        AccountPayload::from_result(
            accounts::create(super::db(ctx)?, viewer, new)
                .await
                .map(Account::new),
        )
    }

    /// Link an account to a main account as an aggregated or independent sub-account.
    #[graphql(guard = "Staff")]
    async fn link_sub_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: LinkSubAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = super::viewer(ctx)?;
        let main = ids::decode(Kind::Account, &input.main_account_id).gql()?;
        let sub = ids::decode(Kind::Account, &input.sub_account_id).gql()?;
        let result = accounts::link(super::db(ctx)?, viewer, main, sub, input.kind.into()).await;
        AccountPayload::from_result(result.map(Account::new))
    }

    /// Unlink a sub-account; from then on it is billed on its own.
    #[graphql(guard = "Staff")]
    async fn unlink_sub_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UnlinkSubAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = super::viewer(ctx)?;
        let sub = ids::decode(Kind::Account, &input.sub_account_id).gql()?;
        AccountPayload::from_result(
            accounts::unlink(super::db(ctx)?, viewer, sub)
                .await
                .map(Account::new),
        )
    }

    /// Turn sub-account management on or off for a main account.
    #[graphql(guard = "Staff")]
    async fn set_sub_account_management(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: SetSubAccountManagementInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = super::viewer(ctx)?;
        let id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let result = accounts::set_management(super::db(ctx)?, viewer, id, input.enabled).await;
        AccountPayload::from_result(result.map(Account::new))
    }

    /// Change global portal settings.
    #[graphql(guard = "Staff")]
    async fn update_portal_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UpdatePortalSettingsInput,
    ) -> async_graphql::Result<PortalSettingsPayload> {
        let result = catalog::update_portal_settings(
            super::db(ctx)?,
            super::viewer(ctx)?,
            input.independent_sub_account_access,
        )
        .await;
        PortalSettingsPayload::from_result(result.map(PortalSettings))
    }

    /// Change a partner's portal settings.
    #[graphql(guard = "Staff")]
    async fn update_partner_portal_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")]
        input: UpdatePartnerPortalSettingsInput,
    ) -> async_graphql::Result<PartnerPayload> {
        let viewer = super::viewer(ctx)?;
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
            catalog::update_partner_settings(super::db(ctx)?, viewer, partner_id, change).await;
        PartnerPayload::from_result(result.map(Partner))
    }

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
        let result = catalog::create_tariff(super::db(ctx)?, super::viewer(ctx)?, new).await;
        TariffPayload::from_result(result.map(Tariff))
    }

    /// Issues the recurring invoices of a month: per paying account, one invoice for the
    /// service days not yet paid for, aggregated sub-accounts' days on their main account's
    /// invoice. Each payer is billed in its own transaction; for large installations run
    /// `portal-api bill --month YYYY-MM` from cron instead (no request timeout).
    #[graphql(guard = "Staff")]
    async fn run_billing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: RunBillingInput,
    ) -> async_graphql::Result<RunBillingPayload> {
        let viewer = super::viewer(ctx)?;
        let state = super::state(ctx)?;
        let workers = billing::workers_for(&state.db, state.config.billing_workers);
        let (outcome, user_errors) = split(
            billing::run(
                &state.db,
                viewer,
                input.period_start.0,
                crate::domain::today(),
                workers,
                &|_| {},
            )
            .await,
        )?;
        let outcome = outcome.unwrap_or_default();
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(RunBillingPayload {
            invoices_issued: count(outcome.invoices_issued),
            invoices_unpaid: count(outcome.invoices_unpaid),
            services_activated: count(outcome.services_activated),
            payers_failed: count(outcome.payers_failed),
            user_errors,
        })
    }

    /// Credit or debit an account's balance through the ledger.
    #[graphql(guard = "Staff")]
    async fn adjust_balance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: AdjustBalanceInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = super::viewer(ctx)?;
        let id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let result =
            accounts::adjust_balance(super::db(ctx)?, viewer, id, input.amount.0, &input.reason)
                .await;
        AccountPayload::from_result(result.map(Account::new))
    }
}
