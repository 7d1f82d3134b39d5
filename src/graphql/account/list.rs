//! Account lists: a main account's sub-accounts and the admin's accounts list, their
//! filters and sort orders.

use async_graphql::{Context, ID, InputObject};

use super::Account;
use crate::{
    db::{page::PageRequest, rows::Columns},
    domain::account::{self as accounts, AccountFilter as DomainFilter, AccountSort},
    error::{AppError, ResultExt},
    graphql::{
        connection::{Connection, wants_total},
        enums::{AccountSortField, AccountStatus, SortDirection, SubAccountType},
        ids::{self, Kind},
        loaders::{PageKey, SubAccounts, gql},
    },
};

/// Filter of a main account's sub-accounts list.
#[derive(InputObject, Default)]
pub struct SubAccountFilter {
    /// Only these statuses (any of them).
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

fn statuses(
    list: Option<Vec<AccountStatus>>,
) -> Result<Vec<entity::enums::AccountStatus>, AppError> {
    let list = crate::domain::validate::Bounded::new(list.unwrap_or_default(), "statuses")?;
    Ok(list.into_vec().into_iter().map(Into::into).collect())
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
    pub fn into_domain(self, main_id: i64) -> Result<DomainFilter, AppError> {
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

pub fn sort_of(order: Option<AccountOrder>) -> (AccountSort, bool) {
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

/// One page of accounts under a filter, as a connection (staff's list: every account).
pub async fn account_connection(
    ctx: &Context<'_>,
    filter: DomainFilter,
    order: Option<AccountOrder>,
    req: PageRequest,
) -> async_graphql::Result<Connection<Account>> {
    let db = crate::graphql::db(ctx)?;
    let scope = crate::policy::scope::accounts(crate::graphql::viewer(ctx)?);
    let (sort, descending) = sort_of(order);
    let found = accounts::list(db, &scope, &filter, sort, descending, &req)
        .await
        .gql()?;
    let total = if wants_total(ctx) {
        accounts::count(db, &scope, &filter).await.gql()?
    } else {
        0
    };
    Ok(Connection::new(found.map(Account::new), total))
}

/// The key of a main account's sub-accounts list. The main account is the key's parent: the
/// lists of every main on a page are one batch when their filters are the same. `totals`:
/// the rows' totals are wanted (read in the list's statement); `columns`: those of the rows
/// read ([`SubAccounts::columns`]).
pub fn sub_accounts_key(
    main: i64,
    filter: DomainFilter,
    sort: (AccountSort, bool),
    page: PageRequest,
    (totals, columns): (bool, Columns),
) -> PageKey<SubAccounts> {
    PageKey::new(
        main,
        SubAccounts {
            filter: DomainFilter {
                main_account_id: None,
                ..filter
            },
            sort: sort.0,
            descending: sort.1,
            totals,
            columns,
        },
        page,
    )
}

/// Whether a connection of accounts answers a total of its rows (`activeServicesCount`,
/// `totalServiceCost`) under `nodes` or `edges { node }`.
pub fn wants_totals(ctx: &Context<'_>) -> bool {
    let ahead = ctx.look_ahead();
    [ahead.field("nodes"), ahead.field("edges").field("node")]
        .iter()
        .any(|rows| {
            rows.field("activeServicesCount").exists() || rows.field("totalServiceCost").exists()
        })
}

/// The most recently linked sub-accounts of a main account the viewer may reach.
pub async fn recently_linked(
    ctx: &Context<'_>,
    main: i64,
    limit: Option<i32>,
) -> async_graphql::Result<Vec<Account>> {
    let limit = limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(AppError::BadUserInput(
            "limit must be between 1 and 20".into(),
        ))
        .gql();
    }
    let key = sub_accounts_key(
        main,
        DomainFilter::default(),
        (AccountSort::LinkedAt, true),
        PageRequest::first(limit as u64),
        (false, Columns::ALL),
    )
    .counted(false);
    let found = crate::graphql::loaders(ctx)?
        .sub_accounts
        .load_one(key)
        .await
        .map_err(gql)?;
    Ok(found.map_or_else(Vec::new, |(page, _)| {
        page.items
            .into_iter()
            .map(|(_, row)| Account::new(std::sync::Arc::unwrap_or_clone(row)))
            .collect()
    }))
}
