//! A page of sub-accounts read by the resolvers with the first list of an account its rows
//! select (services, orders, tickets, documents) read in the page's own statement, as a
//! compiled plan reads it ([`Loaders::folding`]): the list's resolver below then finds its
//! page in its loader's cache, so both paths cost the same statements for one shape. Only
//! the viewer's own page is read so (one per request: it needs no batch); the sub-accounts
//! of many accounts at once (staff's lists) are read a level at a time.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, SelectionField};

use entity::account;

use super::{Account, keys};
use crate::{
    graphql::{
        connection::Connection,
        loaders::{LoadError, Loaders, PageKey, Paged, SubAccounts, gql},
    },
    policy::{self, Target},
};

/// The page of sub-accounts `key` asks for (its total read only when `totalCount` is
/// selected), with the first list of an account its rows select read with it.
pub async fn sub_accounts_page(
    ctx: &Context<'_>,
    key: PageKey<SubAccounts>,
) -> async_graphql::Result<Connection<Account>> {
    let loaders = crate::graphql::loaders(ctx)?;
    let key = key.counted(crate::graphql::connection::wants_total(ctx));
    // Only the viewer's own page: a request has one, so reading it past the batches costs
    // no statement per parent (a compiled plan folds the same pages: `crate::plan`).
    let own = crate::graphql::viewer(ctx)?.account().map(|a| a.id) == Some(key.parent);
    let found = match first_list(ctx).filter(|_| own) {
        Some(list) => folding(ctx, loaders, &key, list).await,
        None => None,
    };
    let mut found = match found {
        Some(found) => found,
        None => loaders.sub_accounts.load_many([key.clone()]).await,
    }
    .map_err(gql)?;
    let (page, total) = found
        .remove(&key)
        .unwrap_or_else(|| (crate::db::page::Page::empty(), 0));
    Ok(Connection::new(
        page.map(|row| Account::new(Arc::unwrap_or_clone(row))),
        total,
    ))
}

/// The first list of an account the connection's rows (`nodes`, `edges { node }`) select,
/// in the document's order.
fn first_list<'a>(ctx: &'a Context<'a>) -> Option<SelectionField<'a>> {
    let mut rows = Vec::new();
    for conn in ctx.look_ahead().selection_fields() {
        for field in conn.selection_set() {
            match field.name() {
                "nodes" => rows.push(field),
                "edges" => rows.extend(field.selection_set().filter(|e| e.name() == "node")),
                _ => {}
            }
        }
    }
    rows.into_iter().find_map(|row| {
        row.selection_set()
            .find(|f| crate::plan::list_guard(f.name()).is_some())
    })
}

/// `key`'s page with `list` of each sub-account on it; `None` when the list's arguments do
/// not parse (its resolver says so) and the page is read alone.
async fn folding(
    ctx: &Context<'_>,
    loaders: &Loaders,
    key: &PageKey<SubAccounts>,
    list: SelectionField<'_>,
) -> Option<Result<HashMap<PageKey<SubAccounts>, Paged<account::Model>>, LoadError>> {
    let args = list.arguments().ok()?;
    let arg = |name: &str| args.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let viewer = crate::graphql::viewer(ctx).ok()?;
    let guard = crate::plan::list_guard(list.name())?;
    let allowed =
        |row: &account::Model| policy::authorize(viewer, guard, Target::Account(row)).is_ok();
    let counted = list.selection_set().any(|f| f.name() == "totalCount");
    with_list(
        (loaders, viewer),
        vec![key.clone()],
        List {
            name: list.name(),
            arg: &arg,
            counted,
            allowed: &allowed,
        },
    )
    .await
}

/// A list of an account read with a page of sub-accounts: its field's name, its arguments
/// as given, whether its total is selected, and the sub-accounts the viewer may read it of.
pub struct List<'a> {
    pub name: &'a str,
    pub arg: keys::Given<'a>,
    pub counted: bool,
    pub allowed: &'a (dyn Fn(&account::Model) -> bool + Sync),
}

/// The pages of sub-accounts `keys` ask for with `list` of each sub-account read in the
/// same statement (the resolvers' and a compiled plan's: one definition of what is read and
/// under which key it is kept). `None`: `list` is no list of an account, or its arguments do
/// not parse; nothing was read.
pub async fn with_list(
    (l, viewer): (&Loaders, &crate::auth::Viewer),
    keys: Vec<PageKey<SubAccounts>>,
    list: List<'_>,
) -> Option<Result<HashMap<PageKey<SubAccounts>, Paged<account::Model>>, LoadError>> {
    let (arg, allowed) = (list.arg, list.allowed);
    Some(match list.name {
        "services" => {
            let key = keys::services_of(arg)?;
            let key = |id| key(id).ok().map(|k| k.counted(list.counted));
            l.folding(keys, &l.services, key, allowed).await
        }
        "orders" => {
            let key = keys::orders_of(arg)?;
            let key = |id| key(id).ok().map(|k| k.counted(list.counted));
            l.folding(keys, &l.orders, key, allowed).await
        }
        "tickets" => {
            let key = keys::tickets_of(viewer, arg)?;
            let key = |id| key(id).ok().map(|k| k.counted(list.counted));
            l.folding(keys, &l.tickets, key, allowed).await
        }
        "documents" => {
            let key = keys::documents_of(arg)?;
            let key = |id| key(id).ok().map(|k| k.counted(list.counted));
            l.folding(keys, &l.documents, key, allowed).await
        }
        _ => return None,
    })
}
