//! The `Account` type: the row columns of the portal's Sub-accounts table, the viewer's
//! capabilities, and the nested lists, each behind the policy and a DataLoader.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use entity::{account, enums};

use super::{
    activity::ActivityEntry,
    catalog::Partner,
    connection::{Connection, page_request, wants_total},
    document::Document,
    enums::{
        AccountSortField, AccountStatus, BillingMode, DocumentKind, OrderStatus, ServiceStatus,
        SortDirection, SubAccountType,
    },
    ids::{self, Kind},
    invoice::Invoice,
    loaders::account_page,
    loaders::{ChildPageKey, PageKey, gql},
    order::Order,
    scalars::Decimal,
    service::Service,
};
use crate::{
    auth::Viewer,
    db::page::PageRequest,
    domain::account::{AccountFilter as DomainFilter, AccountSort},
    error::{AppError, ResultExt},
    policy::{self, Action, Target},
};

/// A customer account: standalone, a main account, or a sub-account linked to a main.
#[derive(Clone)]
pub struct Account(pub account::Model);

crate::connection_names!(Account => "AccountConnection", "AccountEdge";);

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

/// What the viewer may do with an account, so a portal can grey out buttons without guessing.
#[derive(SimpleObject, Clone, Copy)]
pub struct AccountCapabilities {
    /// Open the account's details: services list, activity.
    pub view_details: bool,
    /// Order new services for it.
    pub order: bool,
    /// Pause and resume its services.
    pub pause_services: bool,
    /// Change its services (self-change or request to change).
    pub change_services: bool,
    /// See its Internet usage statistics.
    pub view_internet_usage: bool,
    /// See its Voice usage statistics.
    pub view_voice_usage: bool,
    /// See and download its documents and contracts.
    pub view_documents: bool,
    /// Create, list, reply to and close its tickets.
    pub manage_tickets: bool,
    /// Approve (by paying) or reject orders it placed.
    pub manage_orders: bool,
}

/// Filter of a main account's sub-accounts list.
#[derive(InputObject, Default)]
pub struct SubAccountFilter {
    /// Only these statuses (any of them); at most 4 values.
    pub status: Option<Vec<AccountStatus>>,
    /// Only this sub-account type.
    #[graphql(name = "type")]
    pub kind: Option<SubAccountType>,
    /// Case-insensitive text search over full name, login and address.
    pub search: Option<String>,
}

/// Filter of the admin's accounts list.
#[derive(InputObject, Default)]
pub struct AccountFilter {
    /// Only these statuses (any of them).
    pub status: Option<Vec<AccountStatus>>,
    /// Case-insensitive text search over full name, login and address.
    pub search: Option<String>,
    /// Only accounts of this partner.
    pub partner_id: Option<ID>,
    /// Only the sub-accounts of this main account.
    pub main_account_id: Option<ID>,
}

/// Sort order of an account list; ties are broken by id.
#[derive(InputObject)]
pub struct AccountOrder {
    /// What to sort by.
    pub field: AccountSortField,
    /// Which way.
    #[graphql(default_with = "SortDirection::Asc")]
    pub direction: SortDirection,
}

const MAX_SEARCH: usize = 200;

fn statuses(list: Option<Vec<AccountStatus>>) -> Result<Vec<enums::AccountStatus>, AppError> {
    let list = list.unwrap_or_default();
    if list.len() > 100 {
        return Err(AppError::BadUserInput("at most 100 statuses".into()));
    }
    Ok(list.into_iter().map(Into::into).collect())
}

fn search(s: Option<String>) -> Result<Option<String>, AppError> {
    match s {
        Some(s) if s.chars().count() > MAX_SEARCH => Err(AppError::BadUserInput(format!(
            "search is at most {MAX_SEARCH} characters"
        ))),
        other => Ok(other),
    }
}

impl SubAccountFilter {
    fn into_domain(self, main_id: i64) -> Result<DomainFilter, AppError> {
        Ok(DomainFilter {
            statuses: statuses(self.status)?,
            kind: self.kind.map(Into::into),
            search: search(self.search)?,
            partner_id: None,
            main_account_id: Some(main_id),
        })
    }
}

impl AccountFilter {
    pub fn into_domain(self) -> Result<DomainFilter, AppError> {
        Ok(DomainFilter {
            statuses: statuses(self.status)?,
            kind: None,
            search: search(self.search)?,
            partner_id: self
                .partner_id
                .as_ref()
                .map(|id| ids::decode(Kind::Partner, id))
                .transpose()?,
            main_account_id: self
                .main_account_id
                .as_ref()
                .map(|id| ids::decode(Kind::Account, id))
                .transpose()?,
        })
    }
}

fn sort_of(order: Option<AccountOrder>) -> (AccountSort, bool) {
    match order {
        None => (AccountSort::FullName, false),
        Some(o) => (
            match o.field {
                AccountSortField::FullName => AccountSort::FullName,
                AccountSortField::Status => AccountSort::Status,
                AccountSortField::LinkedAt => AccountSort::LinkedAt,
                AccountSortField::TotalServiceCost => AccountSort::TotalServiceCost,
            },
            o.direction == SortDirection::Desc,
        ),
    }
}

/// The account `id`, which the viewer must be allowed to see.
pub async fn visible_account(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Account> {
    let found = load_account(ctx, id).await?;
    policy::authorize(super::viewer(ctx)?, Action::See, Target::Account(&found)).gql()?;
    Ok(Account(found))
}

/// An account through the request's loader, before any policy question (callers ask it).
pub async fn load_account(
    ctx: &Context<'_>,
    id: i64,
) -> async_graphql::Result<entity::account::Model> {
    super::loaders(ctx)?
        .account
        .load_one(id)
        .await
        .map_err(gql)?
        .ok_or(AppError::NotFound)
        .gql()
}

/// One page of accounts under a filter, as a connection, keeping only rows the viewer may see.
pub async fn account_connection(
    ctx: &Context<'_>,
    filter: DomainFilter,
    order: Option<AccountOrder>,
    req: PageRequest,
) -> async_graphql::Result<Connection<Account>> {
    let db = super::db(ctx)?;
    let viewer = super::viewer(ctx)?;
    let (sort, descending) = sort_of(order);
    let page = crate::domain::account::list(db, &filter, sort, descending, &req)
        .await
        .gql()?;
    let total = if wants_total(ctx) {
        crate::domain::account::count(db, &filter).await.gql()?
    } else {
        0
    };
    let mut page = page;
    page.items
        .retain(|(_, a)| policy::allows(viewer, Action::See, Target::Account(a)));
    Ok(Connection::new(page.map(Account), total))
}

/// The loader key of `Account.services` from its arguments.
pub fn services_key(
    parent: i64,
    status: Option<Vec<ServiceStatus>>,
    page: PageRequest,
) -> Result<PageKey, AppError> {
    let values = status
        .unwrap_or_default()
        .into_iter()
        .map(|s| enums::ServiceStatus::from(s).as_str());
    page_key(parent, values, page)
}

/// A nested page key with a list filter (at most 100 values; order and repeats do not matter).
pub fn page_key<'a>(
    parent: i64,
    values: impl Iterator<Item = &'a str>,
    page: PageRequest,
) -> Result<PageKey, AppError> {
    let mut filter: Vec<String> = values.map(String::from).collect();
    if filter.len() > 100 {
        return Err(AppError::BadUserInput("at most 100 filter values".into()));
    }
    filter.sort();
    filter.dedup();
    Ok(ChildPageKey {
        parent,
        filter,
        page,
    })
}

impl Account {
    fn check(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<()> {
        policy::authorize(super::viewer(ctx)?, action, Target::Account(&self.0)).gql()
    }

    async fn totals(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<crate::domain::service::Totals> {
        Ok(super::loaders(ctx)?
            .totals
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .unwrap_or_default())
    }
}

#[Object]
impl Account {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Account, self.0.id)
    }

    /// Login name.
    async fn login(&self) -> &str {
        &self.0.login
    }

    /// Full name (person or company).
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    /// Contact email; needs `viewDetails`.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        super::nullable(
            ctx,
            self.check(ctx, Action::ViewDetails)
                .map(|_| self.0.email.as_deref()),
        )
    }

    /// Account status.
    async fn status(&self) -> AccountStatus {
        self.0.status.into()
    }

    /// Service address.
    async fn address(&self) -> Address {
        Address {
            street: self.0.street.clone(),
            city: self.0.city.clone(),
            zip_code: self.0.zip_code.clone(),
            country: self.0.country.clone(),
        }
    }

    /// How the account pays.
    async fn billing_mode(&self) -> BillingMode {
        self.0.billing_mode.into()
    }

    /// Current balance in the account's currency; null (with `FORBIDDEN`) where the viewer may not see it.
    async fn balance(&self, ctx: &Context<'_>) -> Option<Decimal> {
        let result = self
            .check(ctx, Action::ViewBalance)
            .map(|_| Some(Decimal::from_minor(self.0.balance_minor)));
        super::nullable(ctx, result)
    }

    /// ISO 4217 currency of all amounts of this account.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// The partner (branch or reseller) the account belongs to.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Partner> {
        super::loaders(ctx)?
            .partner
            .load_one(self.0.partner_id)
            .await
            .map_err(gql)?
            .map(Partner)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("account without partner")))
            .gql()
    }

    /// The main account this sub-account is linked to; null for others, and for a
    /// sub-account itself (a sub-account never reaches its main account's data).
    async fn main_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(main_id) = self.0.main_account_id else {
            return Ok(None);
        };
        let viewer = super::viewer(ctx)?;
        let main = super::loaders(ctx)?
            .account
            .load_one(main_id)
            .await
            .map_err(gql)?;
        Ok(main
            .filter(|m| policy::allows(viewer, Action::See, Target::Account(m)))
            .map(Account))
    }

    /// Aggregated or independent, for a sub-account; null otherwise.
    async fn sub_account_type(&self) -> Option<SubAccountType> {
        self.0.sub_account_type.map(Into::into)
    }

    /// When the sub-account was linked to its main account.
    async fn linked_at(&self) -> Option<DateTime<Utc>> {
        self.0.linked_at
    }

    /// Whether this main account may manage its sub-accounts (set by admins).
    async fn sub_account_management(&self) -> bool {
        self.0.sub_account_management
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
    async fn capabilities(&self, ctx: &Context<'_>) -> async_graphql::Result<AccountCapabilities> {
        let viewer: &Viewer = super::viewer(ctx)?;
        let can = |action| policy::allows(viewer, action, Target::Account(&self.0));
        Ok(AccountCapabilities {
            view_details: can(Action::ViewDetails),
            order: can(Action::Order),
            pause_services: can(Action::PauseServices),
            change_services: can(Action::ChangeServices),
            view_internet_usage: can(Action::ViewInternetUsage),
            view_voice_usage: can(Action::ViewVoiceUsage),
            view_documents: can(Action::ViewDocuments),
            manage_tickets: can(Action::ManageTickets),
            manage_orders: can(Action::ManageOrders),
        })
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
        self.check(ctx, Action::See)?;
        let req = page_request(first, after, last, before).gql()?;
        let filter = filter.unwrap_or_default().into_domain(self.0.id).gql()?;
        account_connection(ctx, filter, order_by, req).await
    }

    /// The most recently linked sub-accounts, newest first (the dashboard widget).
    async fn recently_linked_sub_accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many (1..20).", default_with = "Some(5)")] limit: Option<i32>,
    ) -> async_graphql::Result<Vec<Account>> {
        self.check(ctx, Action::See)?;
        let limit = limit.unwrap_or(5);
        if !(1..=20).contains(&limit) {
            return Err(AppError::BadUserInput(
                "limit must be between 1 and 20".into(),
            ))
            .gql();
        }
        let viewer = super::viewer(ctx)?;
        let rows =
            crate::domain::account::recently_linked(super::db(ctx)?, self.0.id, limit as u64)
                .await
                .gql()?;
        Ok(rows
            .into_iter()
            .filter(|a| policy::allows(viewer, Action::See, Target::Account(a)))
            .map(Account)
            .collect())
    }

    /// The account's services, oldest first; needs `viewDetails`.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<Vec<ServiceStatus>>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Option<Connection<Service>> {
        super::nullable(
            ctx,
            self.services_page(ctx, status, first, after, last, before)
                .await,
        )
    }

    /// The account's activity history, newest first; needs `viewDetails`.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Option<Connection<ActivityEntry>> {
        super::nullable(
            ctx,
            self.activity_page(ctx, first, after, last, before).await,
        )
    }

    /// Orders for this account, newest first. A sub-account sees the orders it placed.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<Vec<OrderStatus>>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> Option<Connection<Order>> {
        let result = async {
            self.check(ctx, Action::ViewOrders)?;
            let key = order_key(self.0.id, status, first, after).gql()?;
            let loaders = super::loaders(ctx)?;
            // A sub-account's own view leaves out what its main placed for it (see policy).
            let own_sub_view = super::viewer(ctx)?
                .account()
                .is_some_and(|me| me.id == self.0.id)
                && self.0.main_account_id.is_some();
            let loader = if own_sub_view {
                &loaders.self_placed_orders
            } else {
                &loaders.orders
            };
            account_page(loader, key, Order).await.map(Some)
        };
        super::nullable(ctx, result.await)
    }

    /// "Manage orders": orders this main account paid for its sub-accounts or that they
    /// placed for it to approve, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn sub_account_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<Vec<OrderStatus>>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> Option<Connection<Order>> {
        let result = async {
            self.check(ctx, Action::ViewBilling)?;
            let key = order_key(self.0.id, status, first, after).gql()?;
            account_page(&super::loaders(ctx)?.sub_account_orders, key, Order)
                .await
                .map(Some)
        };
        super::nullable(ctx, result.await)
    }

    /// Tickets of this account, newest first (a main account's own list also shows its
    /// sub-accounts' tickets that were not hidden from it).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these statuses (any of them).")] status: Option<
            Vec<super::enums::TicketStatus>,
        >,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> Option<Connection<super::ticket::Ticket>> {
        let result = super::ticket::account_tickets(ctx, &self.0, status, first, after)
            .await
            .map(Some);
        super::nullable(ctx, result)
    }

    /// Internet traffic in `[from, to)` (at most 366 days), with points per day or month.
    async fn internet_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First day (inclusive).")] from: super::scalars::Date,
        #[graphql(desc = "Last day (exclusive).")] to: super::scalars::Date,
        #[graphql(
            desc = "Points per day or per month.",
            default_with = "Some(super::usage::UsagePeriod::Day)"
        )]
        group_by: Option<super::usage::UsagePeriod>,
    ) -> Option<super::usage::InternetUsage> {
        let result = async {
            self.check(ctx, Action::ViewInternetUsage)?;
            let by = group_by.unwrap_or(super::usage::UsagePeriod::Day);
            super::usage::internet(ctx, self.0.id, from.0, to.0, by)
                .await
                .map(Some)
        };
        super::nullable(ctx, result.await)
    }

    /// Voice calls in `[from, to)` (at most 366 days), with totals.
    async fn voice_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First day (inclusive).")] from: super::scalars::Date,
        #[graphql(desc = "Last day (exclusive).")] to: super::scalars::Date,
    ) -> Option<super::usage::VoiceUsage> {
        let result = async {
            self.check(ctx, Action::ViewVoiceUsage)?;
            super::usage::voice(ctx, self.0.id, from.0, to.0)
                .await
                .map(Some)
        };
        super::nullable(ctx, result.await)
    }

    /// Invoices issued to this account, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> Option<Connection<Invoice>> {
        let result = async {
            self.check(ctx, Action::ViewBilling)?;
            let page = page_request(first, after, None, None).gql()?;
            let key = page_key(self.0.id, std::iter::empty(), page).gql()?;
            account_page(&super::loaders(ctx)?.invoices, key, Invoice)
                .await
                .map(Some)
        };
        super::nullable(ctx, result.await)
    }

    /// Documents and contracts of this account, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this kind.")] kind: Option<DocumentKind>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> Option<Connection<Document>> {
        let result = async {
            self.check(ctx, Action::ViewDocuments)?;
            let kinds = kind.map(|k| entity::enums::DocumentKind::from(k).as_str());
            let page = page_request(first, after, None, None).gql()?;
            let key = page_key(self.0.id, kinds.into_iter(), page).gql()?;
            account_page(&super::loaders(ctx)?.documents, key, Document)
                .await
                .map(Some)
        };
        super::nullable(ctx, result.await)
    }
}

fn order_key(
    account: i64,
    status: Option<Vec<OrderStatus>>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageKey, AppError> {
    let values = status
        .unwrap_or_default()
        .into_iter()
        .map(|s| entity::enums::OrderStatus::from(s).as_str());
    page_key(account, values, page_request(first, after, None, None)?)
}

impl Account {
    async fn services_page(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<ServiceStatus>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Service>>> {
        self.check(ctx, Action::ViewDetails)?;
        let page = page_request(first, after, last, before).gql()?;
        let key = services_key(self.0.id, status, page).gql()?;
        account_page(&super::loaders(ctx)?.services, key, Service)
            .await
            .map(Some)
    }

    async fn activity_page(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Option<Connection<ActivityEntry>>> {
        self.check(ctx, Action::ViewDetails)?;
        let page = page_request(first, after, last, before).gql()?;
        let key = ChildPageKey {
            parent: self.0.id,
            filter: Vec::new(),
            page,
        };
        account_page(&super::loaders(ctx)?.activity, key, ActivityEntry)
            .await
            .map(Some)
    }
}
