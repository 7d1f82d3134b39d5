//! Derived records in GraphQL: the rows they name, read through the request's DataLoaders
//! (so the records of a page are read together, in one batch per kind), for a
//! [`domain::record::Reader`] to render them for the viewer.

use async_graphql::{Context, futures_util::try_join};

use crate::domain::{
    language::Language,
    record::{Reader, Ref, Rows, Wanted},
};

use super::loaders::gql;

/// The request's reader of `rows`: its viewer, in the language the call came in.
pub fn reader<'a>(ctx: &Context<'a>, rows: &'a Rows) -> async_graphql::Result<Reader<'a>> {
    let language = ctx.data_opt::<Language>().copied().unwrap_or_default();
    Ok(Reader::in_language(super::viewer(ctx)?, rows, language))
}

/// The rows `refs` names, and the accounts that own them.
pub async fn rows(
    ctx: &Context<'_>,
    refs: impl IntoIterator<Item = Ref>,
) -> async_graphql::Result<Rows> {
    rows_of(super::loaders(ctx)?, refs).await.map_err(gql)
}

/// The rows `refs` names, and the accounts that own them, through `l`.
pub async fn rows_of(
    l: &super::loaders::Loaders,
    refs: impl IntoIterator<Item = Ref>,
) -> Result<Rows, super::loaders::LoadError> {
    let wanted: Wanted = refs.into_iter().collect();
    let (orders, invoices, tickets, services, documents, tariffs, staff, accounts) = try_join!(
        l.order.load_many(wanted.orders.iter().copied()),
        l.invoice.load_many(wanted.invoices.iter().copied()),
        l.ticket.load_many(wanted.tickets.iter().copied()),
        l.service.load_many(wanted.services.iter().copied()),
        l.document.load_many(wanted.documents.iter().copied()),
        l.tariff.load_many(wanted.tariffs.iter().copied()),
        l.staff_user.load_many(wanted.staff.iter().copied()),
        l.accounts_to_read(wanted.accounts.iter().copied()),
    )?;
    let mut rows = Rows {
        accounts: accounts.into_iter().collect(),
        orders,
        invoices,
        tickets,
        services,
        documents,
        tariffs,
        staff,
    };
    // Owners came along with their rows (the loaders prime them): no statement of their own.
    let owners = rows.owners();
    if !owners.is_empty() {
        rows.accounts.extend(l.accounts_to_read(owners).await?);
    }
    Ok(rows)
}
