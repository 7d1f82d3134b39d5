//! `Account.capabilities`: what the viewer may do with an account, each flag the policy's
//! own answer for its action (switches included), so a portal greys out exactly the buttons
//! whose operation would be refused.

use async_graphql::{Context, Object};

use super::Account;
use crate::{graphql::guards::Guarded, policy::Action};

/// What the viewer may do with an account, so a portal can grey out buttons without
/// guessing: each flag is true exactly when the matching operation is accepted.
pub struct AccountCapabilities(pub Account);

impl AccountCapabilities {
    /// The policy's own answer, as the account's guards ask it.
    async fn can(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<bool> {
        Ok(self.0.decide(ctx, action).await?.is_ok())
    }
}

/// What the viewer may do with an account, so a portal can grey out buttons without
/// guessing: each flag is true exactly when the matching operation is accepted.
#[Object]
impl AccountCapabilities {
    /// Open the account's details: services list, activity, contact data.
    async fn view_details(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ViewDetails).await
    }

    /// Order new services for it (`placeOrder`); for an aggregated sub-account on itself,
    /// whether it may ask its main account (its partner allows it and the main can approve).
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::Order).await
    }

    /// Pause and resume its services.
    async fn pause_services(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::PauseServices).await
    }

    /// Change its services (self-change or request to change).
    async fn change_services(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ChangeServices).await
    }

    /// See its Internet usage statistics.
    async fn view_internet_usage(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ViewInternetUsage).await
    }

    /// See its Voice usage statistics.
    async fn view_voice_usage(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ViewVoiceUsage).await
    }

    /// See and download its documents and contracts.
    async fn view_documents(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ViewDocuments).await
    }

    /// Create, list, reply to and close its tickets.
    async fn manage_tickets(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ManageTickets).await
    }

    /// Approve (by paying) or reject orders it placed.
    async fn manage_orders(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ManageOrders).await
    }

    /// See its orders (`Account.orders`).
    async fn view_orders(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ViewOrders).await
    }

    /// See its balance (`Account.balance`).
    async fn view_balance(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ViewBalance).await
    }

    /// See its invoices and "Manage orders" (`Account.invoices`, `Account.subAccountOrders`).
    async fn view_billing(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::ViewBilling).await
    }

    /// Hide its tickets from its main account (`createTicket(hiddenFromMain: true)`).
    async fn hide_tickets_from_main(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::HideTicketFromMain).await
    }

    /// Set its monthly spending cap and auto-approval threshold (`setSpendingControls`):
    /// an aggregated sub-account its main manages.
    async fn set_spending_controls(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::SetSpendingControls).await
    }

    /// Move money from your balance to its balance (`transferBalance`): an independent
    /// sub-account you may manage.
    async fn transfer_balance(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.can(ctx, Action::TransferBalance).await
    }
}
