//! `orderQuote`: what a cart costs before it is ordered, priced by the same code that
//! prices a placed order (so the portal never computes tax itself).

use async_graphql::{Context, ID, Object};

use super::{OrderItemInput, decode_items};
use crate::{
    domain::{
        self,
        order::{Quote, QuoteLine},
    },
    error::{AppError, ResultExt, UserErrorCode},
    graphql::{
        account::Account,
        catalog::Tariff,
        guards::CanWithId,
        ids::{self, Kind},
        scalars::Decimal,
    },
    policy::Action,
};

/// A cart priced now: its lines and sums, as `placeOrder` would charge them.
pub struct OrderQuote(Quote);

/// A cart priced now.
#[Object]
impl OrderQuote {
    /// Each line, in the cart's order.
    async fn lines(&self) -> Vec<QuotedLine<'_>> {
        self.0.lines.iter().map(QuotedLine).collect()
    }

    /// Sum of the lines before tax.
    async fn subtotal(&self) -> Decimal {
        self.0.totals.subtotal.into()
    }

    /// Sum of the lines' tax (computed per unit, to the cent).
    async fn tax(&self) -> Decimal {
        self.0.totals.tax.into()
    }

    /// What placing the order would charge.
    async fn total(&self) -> Decimal {
        self.0.totals.total.into()
    }
}

/// One priced line of a cart.
pub struct QuotedLine<'a>(&'a QuoteLine);

/// One priced line of a cart.
#[Object]
impl QuotedLine<'_> {
    /// The tariff, at its current price.
    async fn tariff(&self) -> Tariff {
        Tariff(self.0.priced.tariff.clone())
    }

    /// How many.
    async fn quantity(&self) -> i32 {
        self.0.priced.quantity
    }

    /// Price of one, before tax.
    async fn unit_price(&self) -> Decimal {
        self.0.priced.unit_price.into()
    }

    /// Tax rate in percent.
    async fn tax_percent(&self) -> Decimal {
        Decimal::from_minor(self.0.priced.tariff.tax_percent_minor)
    }

    /// Tax of the line.
    async fn tax(&self) -> Decimal {
        self.0.tax.into()
    }

    /// Line total, tax included.
    async fn total(&self) -> Decimal {
        self.0.total.into()
    }
}

/// `orderQuote`.
#[derive(Default)]
pub struct OrderQuoteQuery;

#[Object]
impl OrderQuoteQuery {
    /// What a cart for an account would cost if ordered now (lines, tax per unit to the
    /// cent, total), priced exactly as `placeOrder` prices it; writes nothing. Needs `order`
    /// on the account.
    #[graphql(guard = "CanWithId::<Account>::new(Action::Order, &account_id)")]
    async fn order_quote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account the cart is for.")] account_id: ID,
        #[graphql(desc = "The cart's lines (1..100).")] items: Vec<OrderItemInput>,
    ) -> async_graphql::Result<OrderQuote> {
        let viewer = crate::graphql::viewer(ctx)?;
        let account_id = ids::decode(Kind::Account, &account_id).gql()?;
        let items = decode_items(items).gql()?;
        let quote = domain::order::quote(crate::graphql::db(ctx)?, viewer, account_id, &items)
            .await
            .map_err(as_query_error)
            .gql()?;
        Ok(OrderQuote(quote))
    }
}

/// A query has no `userErrors`: what ordering would refuse is said as an error, a switch
/// that forbids ordering as `FORBIDDEN` (action `order`), a bad cart as `BAD_USER_INPUT`
/// with its reasons (as every refusal outside a payload: [`AppError::User`]).
fn as_query_error(e: AppError) -> AppError {
    match e {
        AppError::User(errors)
            if errors
                .iter()
                .any(|e| e.code == UserErrorCode::NotAllowedBySettings) =>
        {
            AppError::Denied(Action::Order)
        }
        e => e,
    }
}
