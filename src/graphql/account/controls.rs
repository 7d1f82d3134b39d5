//! A main account's controls over its sub-accounts: spending controls (read on `Account`,
//! set with `setSpendingControls`) and `transferBalance`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use entity::account;

use super::Account;
use crate::{
    domain::{self, order::controls},
    error::ResultExt,
    graphql::{
        guards::{CanWithId, follow},
        ids::{self, Kind},
        payload::payload,
        scalars::Decimal,
    },
    policy::Action,
};

/// What an aggregated sub-account's own orders may cost, set by its main account or staff.
pub struct SpendingControls(pub account::Model);

/// What an aggregated sub-account's own orders may cost, set by its main account or staff.
#[Object]
impl SpendingControls {
    /// The most its own orders may cost per calendar month; null: no cap.
    async fn monthly_cap(&self) -> Option<Decimal> {
        self.0.spending_cap_minor.map(Decimal::from_minor)
    }

    /// Its own orders up to this total are paid at once from the main account's balance
    /// (when it covers them); null: every order waits for the main.
    async fn auto_approve_up_to(&self) -> Option<Decimal> {
        self.0.auto_approve_minor.map(Decimal::from_minor)
    }

    /// What its own orders of this month cost so far (waiting or paid).
    async fn spent_this_month(&self, ctx: &Context<'_>) -> async_graphql::Result<Decimal> {
        Ok(Decimal::from_minor(self.spent(ctx).await?))
    }

    /// What remains of the cap this month; null without a cap.
    async fn remaining_this_month(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Decimal>> {
        let Some(cap) = self.0.spending_cap_minor else {
            return Ok(None);
        };
        let spent = self.spent(ctx).await?;
        Ok(Some(Decimal::from_minor((cap - spent).max(0))))
    }
}

impl SpendingControls {
    /// What its own orders of this month cost so far (minor units), batched per request.
    async fn spent(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(crate::graphql::loaders(ctx)?
            .spent
            .load_one(self.0.id)
            .await
            .map_err(crate::graphql::loaders::gql)?
            .unwrap_or(0))
    }
}

/// Set (or clear, with null) an aggregated sub-account's spending controls.
#[derive(InputObject)]
pub struct SetSpendingControlsInput {
    /// The aggregated sub-account.
    pub account_id: ID,
    /// The most its own orders may cost per calendar month; null: no cap.
    pub monthly_cap: Option<Decimal>,
    /// Its own orders up to this total are paid at once from your balance; null: every
    /// order waits for you. Not above the cap.
    pub auto_approve_up_to: Option<Decimal>,
}

payload!(
    /// Result of `setSpendingControls`.
    SpendingControlsPayload { account: Account });

/// Money moved from a main account's balance to an independent sub-account's.
pub struct BalanceTransfer(pub domain::account::Transferred);

/// Money moved from a main account's balance to an independent sub-account's.
#[Object]
impl BalanceTransfer {
    /// What was moved.
    async fn amount(&self) -> Decimal {
        Decimal::from_minor(self.0.transfer.amount_minor)
    }

    /// The account whose balance paid it.
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.transfer.from_account_id).await
    }

    /// The account whose balance received it.
    async fn to(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.transfer.to_account_id).await
    }

    /// The key the client sent: the same key again returns this transfer.
    async fn idempotency_key(&self) -> &str {
        &self.0.transfer.idempotency_key
    }

    /// When the money moved.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.transfer.created_at
    }

    /// True when an earlier request with the same key made this transfer and this one
    /// moved nothing.
    async fn replayed(&self) -> bool {
        self.0.replayed
    }
}

/// Move money from your balance to an independent sub-account's balance.
#[derive(InputObject)]
pub struct TransferBalanceInput {
    /// The independent sub-account that receives it.
    pub account_id: ID,
    /// How much; more than zero, at most your balance.
    pub amount: Decimal,
    /// A key of your choosing (1 to 100 characters): a retry with the same key moves the
    /// money once.
    pub idempotency_key: String,
}

payload!(
    /// Result of `transferBalance`.
    TransferBalancePayload { transfer: BalanceTransfer });

/// The main account's control mutations.
#[derive(Default)]
pub struct ControlsMutation;

#[Object]
impl ControlsMutation {
    /// Set an aggregated sub-account's monthly cap and auto-approval threshold (its main
    /// account managing it, or staff); needs `setSpendingControls`.
    #[graphql(guard = "CanWithId::<Account>::new(Action::SetSpendingControls, &input.account_id)")]
    async fn set_spending_controls(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: SetSpendingControlsInput,
    ) -> async_graphql::Result<SpendingControlsPayload> {
        let id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let result = controls::set_spending_controls(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            id,
            input.monthly_cap.map(|d| d.0),
            input.auto_approve_up_to.map(|d| d.0),
        )
        .await;
        SpendingControlsPayload::from_result(result.map(Account::new))
    }

    /// Move money from your balance to an independent sub-account's balance (one you may
    /// manage); needs `transferBalance`. Exactly once per idempotency key; refused with
    /// `INSUFFICIENT_BALANCE` when your balance does not cover it.
    #[graphql(guard = "CanWithId::<Account>::new(Action::TransferBalance, &input.account_id)")]
    async fn transfer_balance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: TransferBalanceInput,
    ) -> async_graphql::Result<TransferBalancePayload> {
        let id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let result = domain::account::transfer_balance(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            id,
            input.amount.0,
            &input.idempotency_key,
        )
        .await;
        TransferBalancePayload::from_result(result.map(BalanceTransfer))
    }
}
