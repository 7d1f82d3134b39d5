//! Accounts as staff make and link them: the list of all accounts, a new account, linking
//! and unlinking sub-accounts, and the management switch of a main account.

use async_graphql::{Context, ID, InputObject, Object};

use super::{Account, AccountFilter, account_connection};
use crate::{
    domain::account::{self as accounts, Address, NewAccount},
    error::ResultExt,
    graphql::{
        connection::{Connection, page_request},
        enums::{AccountStatus, BillingMode, SubAccountType},
        guards::Staff,
        ids::{self, Kind},
        payload::payload,
    },
};

payload!(
    /// Result of an account mutation.
    AccountPayload { account: Account });
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

/// All accounts (staff).
#[derive(Default)]
pub struct AccountsQuery;

/// All accounts (staff).
#[Object]
impl AccountsQuery {
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
}

/// Create and link accounts (staff).
#[derive(Default)]
pub struct AccountsMutation;

/// Create and link accounts (staff).
#[Object]
impl AccountsMutation {
    /// Create a customer account.
    #[graphql(guard = "Staff")]
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CreateAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
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
            accounts::create(crate::graphql::db(ctx)?, viewer, new)
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
        let viewer = crate::graphql::viewer(ctx)?;
        let main = ids::decode(Kind::Account, &input.main_account_id).gql()?;
        let sub = ids::decode(Kind::Account, &input.sub_account_id).gql()?;
        let result = accounts::link(
            crate::graphql::db(ctx)?,
            viewer,
            main,
            sub,
            input.kind.into(),
        )
        .await;
        AccountPayload::from_result(result.map(Account::new))
    }

    /// Unlink a sub-account; from then on it is billed on its own.
    #[graphql(guard = "Staff")]
    async fn unlink_sub_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: UnlinkSubAccountInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
        let sub = ids::decode(Kind::Account, &input.sub_account_id).gql()?;
        AccountPayload::from_result(
            accounts::unlink(crate::graphql::db(ctx)?, viewer, sub)
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
        let viewer = crate::graphql::viewer(ctx)?;
        let id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let result =
            accounts::set_management(crate::graphql::db(ctx)?, viewer, id, input.enabled).await;
        AccountPayload::from_result(result.map(Account::new))
    }
}
