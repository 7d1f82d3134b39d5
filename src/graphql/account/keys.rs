//! The keys of an account's lists from their GraphQL arguments: what the resolvers page by
//! and what a compiled plan pages by (`crate::plan`), built in one place so both read the
//! same batch and cache entry.

use crate::error::AppError;
use crate::graphql::{
    connection::page_request,
    enums::{DocumentKind, OrderStatus, ServiceStatus, TicketStatus},
    loaders::{AnyOf, PageKey, PaidForOthers, TicketFilter},
};

/// A list argument of enum values as the loaders' filter.
fn values<T: Copy + Eq, G>(
    list: Option<Vec<G>>,
    name: impl Fn(&T) -> &'static str,
) -> Result<AnyOf<T>, AppError>
where
    G: Into<T>,
{
    AnyOf::new(list.unwrap_or_default().into_iter().map(Into::into), name)
}

/// The key of `Account.services` from its arguments (the resolver's and a compiled plan's).
pub fn services_key(
    account: i64,
    status: Option<Vec<ServiceStatus>>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageKey<AnyOf<entity::enums::ServiceStatus>>, AppError> {
    Ok(PageKey::new(
        account,
        values(status, |s: &entity::enums::ServiceStatus| s.as_str())?,
        page_request(first, after, last, before)?,
    ))
}

/// The key of `Account.orders`.
pub fn orders_key(
    account: i64,
    status: Option<Vec<OrderStatus>>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageKey<AnyOf<entity::enums::OrderStatus>>, AppError> {
    Ok(PageKey::new(
        account,
        values(status, |s: &entity::enums::OrderStatus| s.as_str())?,
        page_request(first, after, None, None)?,
    ))
}

/// The key of `Account.tickets`: the viewer's own list takes in its sub-accounts' tickets
/// (the ones it may see).
pub fn tickets_key(
    viewer: &crate::auth::Viewer,
    account: i64,
    status: Option<Vec<TicketStatus>>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageKey<TicketFilter>, AppError> {
    Ok(PageKey::new(
        account,
        TicketFilter {
            statuses: values(status, |s: &entity::enums::TicketStatus| s.as_str())?,
            with_sub_accounts: viewer.account().map(|a| a.id) == Some(account),
        },
        page_request(first, after, None, None)?,
    ))
}

/// The key of `Account.documents`.
pub fn documents_key(
    account: i64,
    kind: Option<DocumentKind>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageKey<AnyOf<entity::enums::DocumentKind>>, AppError> {
    Ok(PageKey::new(
        account,
        values(kind.map(|k| vec![k]), |k: &entity::enums::DocumentKind| {
            k.as_str()
        })?,
        page_request(first, after, None, None)?,
    ))
}

/// The key of `Account.subAccountOrders`: the orders this main account paid for its
/// sub-accounts or that wait for it.
pub fn paid_for_others_key(
    account: i64,
    status: Option<Vec<OrderStatus>>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageKey<PaidForOthers>, AppError> {
    Ok(PageKey::new(
        account,
        PaidForOthers(values(status, |s: &entity::enums::OrderStatus| s.as_str())?),
        page_request(first, after, last, before)?,
    ))
}
