//! The `Account` type: the row columns of the portal's Sub-accounts table, the viewer's
//! capabilities, and the nested lists, each behind its guard and a DataLoader.

pub mod balance;
mod capabilities;
pub mod controls;
pub mod keys;
pub mod list;
pub mod manage;
mod nested;

use async_graphql::{Context, ErrorExtensions, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use entity::account;

pub use capabilities::AccountCapabilities;
pub use keys::{
    documents_key, documents_of, orders_key, orders_of, paid_for_others_key, services_key,
    services_of, tickets_key, tickets_of,
};
pub use list::{
    AccountFilter, AccountOrder, SubAccountFilter, account_connection, sort_of, sub_accounts_key,
};
pub use nested::{List, by_id_with_list, fold};

use super::{
    activity::ActivityEntry,
    catalog::Partner,
    connection::{Connection, page_request},
    document::Document,
    enums::{
        AccountStatus, BillingMode, DocumentKind, OrderStatus, ServiceStatus, SubAccountType,
        TicketStatus,
    },
    guards::{Can, Decision, Guarded, Loadable, follow, follow_optional},
    ids::{self, Kind},
    invoice::Invoice,
    loaders::{PageKey, gql, page_of},
    order::Order,
    scalars::{Date, Decimal},
    service::Service,
    ticket::Ticket,
    usage::{InternetUsage, UsagePeriod, VoiceUsage},
};
use crate::{
    domain::service::Totals,
    error::{AppError, ResultExt},
    policy::{self, Action, Target},
};

/// A customer account: standalone, a main account, or a sub-account linked to a main.
#[derive(Clone)]
pub struct Account {
    pub row: account::Model,
    /// A former sub-account of the viewer: its row as it was when they were unlinked, with
    /// the totals it had then (`domain::account::former`).
    former: Option<Totals>,
}

impl Account {
    pub fn new(row: account::Model) -> Self {
        Self { row, former: None }
    }

    /// What the policy decides about: the account, or the viewer's former sub-account.
    fn target(&self) -> Target<'_> {
        match self.former {
            Some(_) => Target::FormerSubAccount(&self.row),
            None => Target::Account(&self.row),
        }
    }
}

crate::connection_names!(Account => "AccountConnection", "AccountEdge";);

impl Guarded for Account {
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        Ok(policy::authorize(
            super::viewer(ctx)?,
            action,
            self.target(),
        ))
    }
}

impl Loadable for Account {
    const KIND: Kind = Kind::Account;

    /// The account; to a customer for which it is a former sub-account, as it was when they
    /// were unlinked (the same answer on every path: `node`, an order's account, an invoice
    /// line's sub-account).
    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let Some(row) = load_account(ctx, id).await? else {
            return Ok(None);
        };
        let viewer = super::viewer(ctx)?;
        let stranger = viewer
            .account()
            .is_some_and(|me| row.id != me.id && row.main_account_id != Some(me.id));
        if stranger {
            let former = super::loaders(ctx)?
                .former_subs
                .load_one(())
                .await
                .map_err(gql)?
                .and_then(|all| all.get(&row.id).cloned());
            if let Some((frozen, at)) = former {
                return Ok(Some(Account {
                    row: frozen.row(row.id, at),
                    former: Some(frozen.totals()),
                }));
            }
        }
        Ok(Some(Account::new(row)))
    }
}

/// An account row through the request's loader, before any policy question.
pub async fn load_account(
    ctx: &Context<'_>,
    id: i64,
) -> async_graphql::Result<Option<account::Model>> {
    super::loaders(ctx)?.account.load_one(id).await.map_err(gql)
}

/// An account row that must exist (the owner of an object the viewer has in hand).
pub async fn owner(ctx: &Context<'_>, id: i64) -> async_graphql::Result<account::Model> {
    load_account(ctx, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("account {id} is missing")).extend())
}

/// A postal address.
#[derive(SimpleObject, Clone)]
pub struct Address {
    /// Street and house number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Country (ISO 3166-1 alpha-2 code or name).
    pub country: String,
}

/// A customer account: standalone, a main account, or a sub-account linked to a main.
#[Object]
impl Account {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Account, self.row.id)
    }

    /// Login name.
    async fn login(&self) -> &str {
        &self.row.login
    }

    /// Full name (person or company).
    async fn full_name(&self) -> &str {
        &self.row.full_name
    }

    /// Contact email; needs `viewDetails`.
    #[graphql(guard = "Can(Action::ViewDetails, self)")]
    async fn email(&self) -> Option<&str> {
        self.row.email.as_deref()
    }

    /// Account status.
    async fn status(&self) -> AccountStatus {
        self.row.status.into()
    }

    /// Service address.
    async fn address(&self) -> Address {
        Address {
            street: self.row.street.clone(),
            city: self.row.city.clone(),
            zip_code: self.row.zip_code.clone(),
            country: self.row.country.clone(),
        }
    }

    /// How the account pays.
    async fn billing_mode(&self) -> BillingMode {
        self.row.billing_mode.into()
    }

    /// Current balance in the account's currency; needs `viewBalance` (a main account sees
    /// it for the aggregated sub-accounts it manages: it pays for them).
    #[graphql(guard = "Can(Action::ViewBalance, self)")]
    async fn balance(&self) -> Option<Decimal> {
        Some(Decimal::from_minor(self.row.balance_minor))
    }

    /// An aggregated sub-account's spending controls (what its own orders may cost per
    /// month, and up to what they are paid at once); needs `viewOrders`.
    #[graphql(guard = "Can(Action::ViewOrders, self)")]
    async fn spending_controls(&self) -> Option<controls::SpendingControls> {
        Some(controls::SpendingControls(self.row.clone()))
    }

    /// ISO 4217 currency of all amounts of this account.
    async fn currency(&self) -> &str {
        &self.row.currency
    }

    /// The partner (branch or reseller) the account belongs to.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Partner> {
        follow(ctx, self.row.partner_id).await
    }

    /// The main account this sub-account is linked to; null for others, and for a
    /// sub-account itself (a sub-account never reaches its main account's data).
    async fn main_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        follow_optional(ctx, self.row.main_account_id).await
    }

    /// Aggregated or independent, for a sub-account; null otherwise.
    async fn sub_account_type(&self) -> Option<SubAccountType> {
        self.row.sub_account_type.map(Into::into)
    }

    /// When the sub-account was linked to its main account.
    async fn linked_at(&self) -> Option<DateTime<Utc>> {
        self.row.linked_at
    }

    /// Whether this main account may manage its sub-accounts (set by admins).
    async fn sub_account_management(&self) -> bool {
        self.row.sub_account_management
    }

    /// Number of active services.
    async fn active_services_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(self.totals(ctx).await?.active_count)
    }

    /// Sum of the monthly prices of active services, exact, in the account's currency.
    async fn total_service_cost(&self, ctx: &Context<'_>) -> async_graphql::Result<Decimal> {
        Ok(Decimal::from_minor(self.totals(ctx).await?.cost_minor))
    }

    /// What the viewer may do with this account.
    async fn capabilities(&self) -> AccountCapabilities {
        AccountCapabilities(self.clone())
    }

    /// The sub-accounts linked to this main account (the portal's Sub-accounts section).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn sub_accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrow the list by status, type or text.")] filter: Option<
            SubAccountFilter,
        >,
        #[graphql(desc = "Sort order; by full name when omitted.")] order_by: Option<AccountOrder>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Connection<Account>> {
        let req = page_request(first, after, last, before).gql()?;
        let filter = filter.unwrap_or_default().into_domain(self.row.id).gql()?;
        // The lists of every main account on the page are one batch when their filters are
        // the same, within the viewer's scope of accounts.
        let key = sub_accounts_key(
            self.row.id,
            filter,
            list::sort_of(order_by),
            req,
            (list::wants_totals(ctx), crate::db::rows::Columns::ALL),
        );
        nested::sub_accounts_page(ctx, key).await
    }

    /// The most recently linked sub-accounts, newest first (the dashboard widget).
    async fn recently_linked_sub_accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many (1..20).", default_with = "Some(5)")] limit: Option<i32>,
    ) -> async_graphql::Result<Vec<Account>> {
        list::recently_linked(ctx, self.row.id, limit).await
    }

    /// The account's services, oldest first; needs `viewDetails`.
    #[graphql(
        guard = "Can(Action::ViewDetails, self)",
        complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)"
    )]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<Vec<ServiceStatus>>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Service>>> {
        let key = services_key(self.row.id, status, first, after, last, before).gql()?;
        page_of(ctx, &super::loaders(ctx)?.services, key, Service)
            .await
            .map(Some)
    }

    /// The account's activity history, newest first; needs `viewDetails`.
    #[graphql(
        guard = "Can(crate::policy::READ_ACTIVITY, self)",
        complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)"
    )]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Option<Connection<ActivityEntry>>> {
        let key = PageKey::new(
            self.row.id,
            (),
            page_request(first, after, last, before).gql()?,
        );
        page_of(ctx, &super::loaders(ctx)?.activity, key, ActivityEntry)
            .await
            .map(Some)
    }

    /// Orders for this account, newest first; needs `viewOrders`. A sub-account's own list
    /// holds the orders it placed (those its main account placed for it are the main's).
    #[graphql(
        guard = "Can(Action::ViewOrders, self)",
        complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<Vec<OrderStatus>>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Order>>> {
        let key = orders_key(self.row.id, status, first, after).gql()?;
        page_of(ctx, &super::loaders(ctx)?.orders, key, Order)
            .await
            .map(Some)
    }

    /// "Manage orders": orders this main account paid for its sub-accounts or that they
    /// placed for it to approve, newest first; needs `viewBilling`.
    #[graphql(
        guard = "Can(Action::ViewBilling, self)",
        complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)"
    )]
    async fn sub_account_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<Vec<OrderStatus>>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Order>>> {
        let key = paid_for_others_key(self.row.id, status, first, after, last, before).gql()?;
        page_of(ctx, &super::loaders(ctx)?.paid_for_others, key, Order)
            .await
            .map(Some)
    }

    /// Tickets of this account, newest first; needs `manageTickets`. A main account's own
    /// list also shows the tickets of the sub-accounts it manages tickets for that they did
    /// not hide from it.
    #[graphql(
        guard = "Can(Action::ManageTickets, self)",
        complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)"
    )]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<Vec<TicketStatus>>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Ticket>>> {
        let key = tickets_key(super::viewer(ctx)?, self.row.id, status, first, after).gql()?;
        page_of(ctx, &super::loaders(ctx)?.tickets, key, Ticket)
            .await
            .map(Some)
    }

    /// Internet traffic in `[from, to)` (at most 366 days), with points per day or month;
    /// needs `viewInternetUsage`.
    #[graphql(guard = "Can(Action::ViewInternetUsage, self)")]
    async fn internet_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First day (inclusive).")] from: Date,
        #[graphql(desc = "Last day (exclusive).")] to: Date,
        #[graphql(
            desc = "Points per day or per month.",
            default_with = "Some(UsagePeriod::Day)"
        )]
        group_by: Option<UsagePeriod>,
    ) -> async_graphql::Result<Option<InternetUsage>> {
        let by = group_by.unwrap_or(UsagePeriod::Day);
        super::usage::internet(ctx, self.row.id, from.0, to.0, by)
            .await
            .map(Some)
    }

    /// Voice calls in `[from, to)` (at most 366 days), with totals; needs `viewVoiceUsage`.
    #[graphql(guard = "Can(Action::ViewVoiceUsage, self)")]
    async fn voice_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First day (inclusive).")] from: Date,
        #[graphql(desc = "Last day (exclusive).")] to: Date,
    ) -> async_graphql::Result<Option<VoiceUsage>> {
        super::usage::voice(ctx, self.row.id, from.0, to.0)
            .await
            .map(Some)
    }

    /// Invoices issued to this account, newest first; needs `viewBilling`.
    #[graphql(
        guard = "Can(Action::ViewBilling, self)",
        complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)"
    )]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Invoice>>> {
        let key = PageKey::new(
            self.row.id,
            (),
            page_request(first, after, last, before).gql()?,
        );
        page_of(ctx, &super::loaders(ctx)?.invoices, key, Invoice)
            .await
            .map(Some)
    }

    /// Documents and contracts of this account, newest first; needs `viewDocuments`.
    #[graphql(
        guard = "Can(Action::ViewDocuments, self)",
        complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)"
    )]
    async fn documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this kind.")] kind: Option<DocumentKind>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Document>>> {
        let key = documents_key(self.row.id, kind, first, after).gql()?;
        page_of(ctx, &super::loaders(ctx)?.documents, key, Document)
            .await
            .map(Some)
    }
}

impl Account {
    async fn totals(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<crate::domain::service::Totals> {
        if let Some(frozen) = self.former {
            return Ok(frozen);
        }
        Ok(super::loaders(ctx)?
            .totals
            .load_one(self.row.id)
            .await
            .map_err(gql)?
            .unwrap_or_default())
    }
}
