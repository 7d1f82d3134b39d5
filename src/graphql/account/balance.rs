//! Staff adjust an account's balance through the ledger.

use async_graphql::{Context, ID, InputObject, Object};

use super::{Account, manage::AccountPayload};
use crate::{
    domain::account as accounts,
    error::ResultExt,
    graphql::{
        guards::Staff,
        ids::{self, Kind},
        scalars::Decimal,
    },
};

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

/// Balance adjustments (staff).
#[derive(Default)]
pub struct BalanceMutation;

/// Balance adjustments (staff).
#[Object]
impl BalanceMutation {
    /// Credit or debit an account's balance through the ledger.
    #[graphql(guard = "Staff")]
    async fn adjust_balance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: AdjustBalanceInput,
    ) -> async_graphql::Result<AccountPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
        let id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let result = accounts::adjust_balance(
            crate::graphql::db(ctx)?,
            viewer,
            id,
            input.amount.0,
            &input.reason,
        )
        .await;
        AccountPayload::from_result(result.map(Account::new))
    }
}
