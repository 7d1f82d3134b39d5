//! Orders and their items; placing, approving (by paying) and rejecting them. Service
//! requests and the admin's decisions on them are in [`request`].

mod quote;
mod request;

pub use quote::OrderQuoteQuery;
pub use request::{ServiceRequest, ServiceRequestMutation, ServiceRequestQuery};

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use entity::{order, order_item};

use super::{
    account::{Account, owner},
    catalog::Tariff,
    enums::{OrderStatus, PaymentMethodKind},
    guards::{CanWithId, Decision, Guarded, Loadable, follow, follow_optional},
    ids::{self, Kind},
    invoice::Invoice,
    loaders::gql,
    payload::{UserError, split},
    scalars::Decimal,
};
use crate::{
    domain::{
        self,
        order::{NewItem, Outcome, PaymentChoice},
    },
    error::{AppError, AppResult, ResultExt},
    policy::{self, Action, Target},
};

/// An order: a cart for one account.
#[derive(Clone)]
pub struct Order(pub order::Model);

/// Reads the order `id` that `node(id:)` asks for with its items in one statement when its
/// selection selects them, and its invoice with the invoice's lines in a second when it
/// selects those, where [`Loaders::order_with_items`] and [`Loaders::invoice_with_lines`]
/// can (as a compiled plan reads them); the node's resolver then reads and decides the order
/// as always, and the invoice's when it is reached.
///
/// [`Loaders::order_with_items`]: crate::graphql::loaders::Loaders::order_with_items
/// [`Loaders::invoice_with_lines`]: crate::graphql::loaders::Loaders::invoice_with_lines
pub async fn by_id_with_lists(ctx: &Context<'_>, id: i64) -> async_graphql::Result<()> {
    let l = super::loaders(ctx)?;
    if super::node::selected(ctx, "items").is_some() {
        l.order_with_items(id).await.map_err(gql)?;
    }
    let lines = super::node::selected(ctx, "invoice")
        .is_some_and(|invoice| invoice.selection_set().any(|f| f.name() == "lines"));
    if !lines {
        return Ok(());
    }
    // Only under an order the viewer may see (its guard; a compiled plan decides first too).
    let Some(order) = l.order.load_one(id).await.map_err(gql)? else {
        return Ok(());
    };
    let invoice = order.invoice_id;
    let seen = Order(order).decide(ctx, Action::See).await?;
    if let (Ok(()), Some(invoice)) = (seen, invoice) {
        l.invoice_with_lines(invoice).await.map_err(gql)?;
    }
    Ok(())
}

crate::connection_names!(Order => "OrderConnection", "OrderEdge";);

impl Guarded for Order {
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        let account = owner(ctx, self.0.account_id).await?;
        Ok(policy::authorize(
            super::viewer(ctx)?,
            action,
            Target::Order(&self.0, &account),
        ))
    }
}

impl Loadable for Order {
    const KIND: Kind = Kind::Order;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?.order.load_one(id).await.map_err(gql)?;
        Ok(found.map(Order))
    }
}

/// An order: a cart for one account.
#[Object]
impl Order {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Order, self.0.id)
    }

    /// Human-readable order number, e.g. `ORD-2026-000042`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The account the order is for.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.account_id).await
    }

    /// Who placed it (the account itself, or its main account).
    async fn placed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.placed_by_id).await
    }

    /// Where the order stands.
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    /// When a request waiting for the main account expires (`EXPIRED`, nothing charged);
    /// null for orders that never waited for a main account.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// The lines, with prices as they were when ordered.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderItem>> {
        let items = super::loaders(ctx)?
            .order_items
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(items.into_iter().map(OrderItem).collect())
    }

    /// Sum of the lines before tax.
    async fn subtotal(&self) -> Decimal {
        Decimal::from_minor(self.0.subtotal_minor)
    }

    /// Tax, computed per line.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// What is (or was) paid.
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// When it was placed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was paid.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }

    /// How it was (or was tried to be) paid.
    async fn payment_method(&self) -> Option<PaymentMethodKind> {
        self.0.payment_method.map(Into::into)
    }

    /// The invoice issued for the payment; null when the viewer may not see the payer's
    /// billing (a sub-account's order is paid, and invoiced, to its main account).
    async fn invoice(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Invoice>> {
        follow_optional(ctx, self.0.invoice_id).await
    }

    /// Why the main account rejected it.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }

    /// Why the last payment attempt failed, or why the order was called off, as the viewer
    /// may read it (the payer's balance only with `viewBalance` on the payer).
    async fn failure_reason(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if self.0.failure.is_none() {
            return Ok(None);
        }
        let rows = crate::graphql::record::rows(
            ctx,
            crate::domain::order::failure::refs(&self.0)
                .into_iter()
                .chain([crate::domain::record::Ref::Order(self.0.id)]),
        )
        .await?;
        Ok(crate::domain::order::failure::reason(
            &crate::graphql::record::reader(ctx, &rows)?,
            &self.0,
        ))
    }
}

/// One line of an order.
pub struct OrderItem(pub order_item::Model);

/// One line of an order.
#[Object]
impl OrderItem {
    /// The tariff ordered.
    async fn tariff(&self, ctx: &Context<'_>) -> async_graphql::Result<Tariff> {
        follow(ctx, self.0.tariff_id).await
    }

    /// How many.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// Price of one, before tax, as ordered.
    async fn unit_price(&self) -> Decimal {
        Decimal::from_minor(self.0.unit_price_minor)
    }

    /// Tax rate in percent, as ordered.
    async fn tax_percent(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_percent_minor)
    }

    /// Tax of the line.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// Line total, tax included.
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// The service requests the paid line opened (one per unit).
    async fn service_requests(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ServiceRequest>> {
        let rows = super::loaders(ctx)?
            .item_requests
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(ServiceRequest).collect())
    }
}

/// How to pay.
#[derive(InputObject)]
pub struct PaymentMethodInput {
    /// From the payer's balance, or through the payment gateway.
    pub kind: PaymentMethodKind,
    /// The gateway's payment token (`GATEWAY` only).
    pub gateway_token: Option<String>,
}

impl From<PaymentMethodInput> for PaymentChoice {
    fn from(p: PaymentMethodInput) -> Self {
        match p.kind {
            PaymentMethodKind::AccountBalance => PaymentChoice::Balance,
            PaymentMethodKind::Gateway => PaymentChoice::Gateway(p.gateway_token),
        }
    }
}

/// One line to order.
#[derive(InputObject)]
pub struct OrderItemInput {
    /// The tariff.
    pub tariff_id: ID,
    /// How many (1..100).
    #[graphql(default_with = "Some(1)")]
    pub quantity: Option<i32>,
}

/// The lines of a cart as the domain takes them: at most 100 (more is a request error); an
/// id that is no tariff's is a business refusal on `items`.
pub(super) fn decode_items(items: Vec<OrderItemInput>) -> AppResult<Vec<NewItem>> {
    crate::domain::validate::Bounded::new(items, "items")?
        .into_vec()
        .into_iter()
        .map(|item| {
            let tariff_id = ids::decode(Kind::Tariff, &item.tariff_id).map_err(|_| {
                AppError::user(crate::error::UserError::invalid("items", "no such tariff"))
            })?;
            Ok(NewItem {
                tariff_id,
                quantity: item.quantity.unwrap_or(1),
            })
        })
        .collect()
}

/// Place an order for one account.
#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// The account the order is for: your own, or an aggregated sub-account you manage.
    pub account_id: ID,
    /// 1..100 lines.
    pub items: Vec<OrderItemInput>,
    /// How to pay; omitted when an aggregated sub-account asks its main account.
    pub payment_method: Option<PaymentMethodInput>,
    /// Makes retries safe: the same key returns the first result and charges nothing.
    pub idempotency_key: Option<String>,
}

/// Approve a sub-account's order by paying it.
#[derive(InputObject)]
pub struct ApproveOrderInput {
    /// The order.
    pub order_id: ID,
    /// How to pay.
    pub payment_method: PaymentMethodInput,
    /// Makes retries safe.
    pub idempotency_key: Option<String>,
}

/// Reject a sub-account's order.
#[derive(InputObject)]
pub struct RejectOrderInput {
    /// The order.
    pub order_id: ID,
    /// Why (shown to the sub-account).
    pub reason: String,
}

/// Result of an order mutation: the order (also when its payment failed) and why not.
#[derive(SimpleObject)]
pub struct OrderPayload {
    /// The order; with a failed payment it is returned with its `failureReason`.
    pub order: Option<Order>,
    /// Why the mutation did not succeed; nothing was charged.
    pub user_errors: Vec<UserError>,
}

impl OrderPayload {
    fn from_outcome(result: AppResult<Outcome>) -> async_graphql::Result<Self> {
        let (outcome, mut user_errors) = split(result)?;
        let order = outcome.map(|o| {
            if let Some(refusal) = o.refusal {
                user_errors.push(refusal.into());
            }
            Order(o.order)
        });
        Ok(Self { order, user_errors })
    }
}

/// Ordering mutations.
#[derive(Default)]
pub struct OrderMutation;

/// Ordering mutations.
#[Object]
impl OrderMutation {
    /// Order services for one account: your own, or (with management on) an aggregated
    /// sub-account; needs `order` on that account.
    #[graphql(guard = "CanWithId::<Account>::new(Action::Order, &input.account_id)")]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: PlaceOrderInput,
    ) -> async_graphql::Result<OrderPayload> {
        let state = super::state(ctx)?;
        let viewer = super::viewer(ctx)?;
        let account_id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let items = match decode_items(input.items) {
            Ok(items) => items,
            Err(e @ AppError::User(_)) => return OrderPayload::from_outcome(Err(e)),
            Err(e) => return Err(e).gql(),
        };
        let payment = input.payment_method.map(Into::into);
        let result = domain::order::place(
            &state.db,
            state.gateway.as_ref(),
            viewer,
            account_id,
            &items,
            payment,
            input.idempotency_key,
        )
        .await;
        OrderPayload::from_outcome(result)
    }

    /// Approve a sub-account's order by paying it (main accounts with management on); needs
    /// `manageOrders`.
    #[graphql(guard = "CanWithId::<Order>::new(Action::ManageOrders, &input.order_id)")]
    async fn approve_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ApproveOrderInput,
    ) -> async_graphql::Result<OrderPayload> {
        let state = super::state(ctx)?;
        let viewer = super::viewer(ctx)?;
        let order_id = ids::decode(Kind::Order, &input.order_id).gql()?;
        let result = domain::order::approve(
            &state.db,
            state.gateway.as_ref(),
            viewer,
            order_id,
            input.payment_method.into(),
            input.idempotency_key,
        )
        .await;
        OrderPayload::from_outcome(result)
    }

    /// Reject a sub-account's order, with a reason; needs `manageOrders`.
    #[graphql(guard = "CanWithId::<Order>::new(Action::ManageOrders, &input.order_id)")]
    async fn reject_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: RejectOrderInput,
    ) -> async_graphql::Result<OrderPayload> {
        let viewer = super::viewer(ctx)?;
        let order_id = ids::decode(Kind::Order, &input.order_id).gql()?;
        let result = domain::order::reject(super::db(ctx)?, viewer, order_id, &input.reason).await;
        OrderPayload::from_outcome(result.map(|order| Outcome {
            order,
            refusal: None,
        }))
    }
}
