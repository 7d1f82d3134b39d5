//! The keys of an account's lists from their GraphQL arguments: what the resolvers page by
//! and what a compiled plan pages by (`crate::plan`), built in one place so both read the
//! same batch and cache entry.

use async_graphql::{InputType, Value};

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

/// A field's arguments as given, by name (variables replaced).
pub type Given<'a> = &'a (dyn Fn(&str) -> Option<Value> + Sync);

/// The argument `name` as `T` (`None`: it does not parse).
pub fn parse<T: InputType>(arg: Given<'_>, name: &str) -> Option<T> {
    T::parse(arg(name)).ok()
}

/// `Account.services`' key for any account from its arguments as given (`None`: one does
/// not parse; the resolver says so).
pub fn services_of(
    arg: Given<'_>,
) -> Option<impl Fn(i64) -> Result<PageKey<AnyOf<entity::enums::ServiceStatus>>, AppError> + use<>>
{
    let status: Option<Vec<ServiceStatus>> = parse(arg, "status")?;
    let (first, after): (Option<i32>, Option<String>) =
        (parse(arg, "first")?, parse(arg, "after")?);
    let (last, before): (Option<i32>, Option<String>) =
        (parse(arg, "last")?, parse(arg, "before")?);
    Some(move |id| {
        services_key(
            id,
            status.clone(),
            first,
            after.clone(),
            last,
            before.clone(),
        )
    })
}

/// `Account.orders`' key, as [`services_of`].
pub fn orders_of(
    arg: Given<'_>,
) -> Option<impl Fn(i64) -> Result<PageKey<AnyOf<entity::enums::OrderStatus>>, AppError> + use<>> {
    let status: Option<Vec<OrderStatus>> = parse(arg, "status")?;
    let (first, after): (Option<i32>, Option<String>) =
        (parse(arg, "first")?, parse(arg, "after")?);
    Some(move |id| orders_key(id, status.clone(), first, after.clone()))
}

/// `Account.tickets`' key for `viewer`, as [`services_of`].
pub fn tickets_of<'v>(
    viewer: &'v crate::auth::Viewer,
    arg: Given<'_>,
) -> Option<impl Fn(i64) -> Result<PageKey<TicketFilter>, AppError> + use<'v>> {
    let status: Option<Vec<TicketStatus>> = parse(arg, "status")?;
    let (first, after): (Option<i32>, Option<String>) =
        (parse(arg, "first")?, parse(arg, "after")?);
    Some(move |id| tickets_key(viewer, id, status.clone(), first, after.clone()))
}

/// `Account.documents`' key, as [`services_of`].
pub fn documents_of(
    arg: Given<'_>,
) -> Option<impl Fn(i64) -> Result<PageKey<AnyOf<entity::enums::DocumentKind>>, AppError> + use<>> {
    let kind: Option<DocumentKind> = parse(arg, "kind")?;
    let (first, after): (Option<i32>, Option<String>) =
        (parse(arg, "first")?, parse(arg, "after")?);
    Some(move |id| documents_key(id, kind, first, after.clone()))
}
