//! A page of sub-accounts, or an account by id, read by the resolvers with the lists of an
//! account its rows select (services, orders, tickets, documents) read in the same
//! statement where [`Loaders::folding`] reads them so (a page: its rows' first two), as a
//! compiled plan reads it: each list's resolver below then finds its page in its loader's
//! cache, so both paths cost the same statements for one shape.

use async_graphql::{Context, SelectionField};

use entity::account;

use super::{Account, keys};
use crate::{
    graphql::{
        connection::Connection,
        loaders::{Fold, Folding, LoadError, Loaders, PageKey, SubAccounts, Under, gql, page_of},
    },
    policy::{self, Action, Target},
};

/// The page of sub-accounts `key` asks for, with the lists of an account its rows select
/// read with it where [`Loaders::folding`] can.
pub async fn sub_accounts_page(
    ctx: &Context<'_>,
    key: PageKey<SubAccounts>,
) -> async_graphql::Result<Connection<Account>> {
    let loaders = crate::graphql::loaders(ctx)?;
    let lists = lists_of(rows_of(ctx));
    if !lists.is_empty() {
        // Its total read as `page_of` below asks for it, so the page is in the cache.
        let key = key
            .clone()
            .counted(crate::graphql::connection::wants_total(ctx));
        folding(ctx, loaders, Under::Pages(&[key]), lists)
            .await
            .map_err(gql)?;
    }
    page_of(ctx, &loaders.sub_accounts, key, Account::new).await
}

/// Reads the account `id` that `node(id:)` asks for with the lists of an account its
/// selection selects, where [`Loaders::folding`] can; the account and the lists are then in
/// their loaders' caches (the node's resolver reads and decides the account as always).
///
/// Its Internet usage is read with it instead when that comes first (a statement that
/// sums the usage beside the account's row).
pub async fn by_id_with_list(ctx: &Context<'_>, id: i64) -> async_graphql::Result<()> {
    let loaders = crate::graphql::loaders(ctx)?;
    let objects = || ctx.look_ahead().selection_fields();
    let first = first_field(objects(), |name| name == INTERNET_USAGE || is_list(name));
    match first {
        Some(usage) if usage.name() == INTERNET_USAGE => {
            with_internet(ctx, loaders, id, usage).await.map_err(gql)
        }
        Some(_) => folding(ctx, loaders, Under::Account(id), lists_of(objects()))
            .await
            .map_err(gql),
        None => Ok(()),
    }
}

/// The field of an account's Internet usage.
const INTERNET_USAGE: &str = "internetUsage";

/// The account `id` with its Internet usage as `usage` asks for it, kept where its resolver
/// finds it ([`Loaders::account_with_internet`]); nothing is read when the arguments do not
/// parse or the range is refused (the field's resolver says so).
async fn with_internet(
    ctx: &Context<'_>,
    loaders: &Loaders,
    id: i64,
    usage: SelectionField<'_>,
) -> Result<(), LoadError> {
    use crate::graphql::{scalars::Date, usage::UsagePeriod};
    use async_graphql::InputType;
    let (Ok(args), Ok(viewer)) = (usage.arguments(), crate::graphql::viewer(ctx)) else {
        return Ok(());
    };
    let arg = given(&args);
    let key = (|| {
        let from = Date::parse(arg("from")).ok()?;
        let to = Date::parse(arg("to")).ok()?;
        let by = Option::<UsagePeriod>::parse(arg("groupBy")).ok()?;
        let by = by.unwrap_or(UsagePeriod::Day);
        crate::graphql::usage::internet_key(id, from.0, to.0, by).ok()
    })();
    let Some(key) = key else {
        return Ok(());
    };
    let allowed = |row: &account::Model| {
        policy::authorize(viewer, Action::ViewInternetUsage, Target::Account(row)).is_ok()
    };
    loaders.account_with_internet(key, allowed).await
}

/// The connection's rows (`nodes`, `edges { node }`), in the document's order.
fn rows_of<'a>(ctx: &'a Context<'a>) -> Vec<SelectionField<'a>> {
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
    rows
}

/// Whether the field `name` of an account is a list of it (one its guard is known for).
fn is_list(name: &str) -> bool {
    crate::plan::list_guard(name).is_some()
}

/// The lists of an account `objects` select, in the document's order.
fn lists_of<'a>(objects: impl IntoIterator<Item = SelectionField<'a>>) -> Vec<SelectionField<'a>> {
    objects
        .into_iter()
        .flat_map(|object| {
            let fields: Vec<_> = object.selection_set().collect();
            fields
        })
        .filter(|field| is_list(field.name()))
        .collect()
}

/// The first field of an account `objects` select whose name is `wanted`, in the
/// document's order.
fn first_field<'a>(
    objects: impl IntoIterator<Item = SelectionField<'a>>,
    wanted: impl Fn(&str) -> bool,
) -> Option<SelectionField<'a>> {
    objects
        .into_iter()
        .find_map(|object| object.selection_set().find(|f| wanted(f.name())))
}

/// A field's argument by name, as given (variables resolved).
fn given(
    args: &[(async_graphql::Name, async_graphql::Value)],
) -> impl Fn(&str) -> Option<async_graphql::Value> + '_ {
    |name| args.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

/// What `under` names, with each of `lists` of each account (a list whose arguments do not
/// parse is read on its own: its resolver says so).
async fn folding(
    ctx: &Context<'_>,
    loaders: &Loaders,
    under: Under<'_>,
    lists: Vec<SelectionField<'_>>,
) -> Result<(), LoadError> {
    let Ok(viewer) = crate::graphql::viewer(ctx) else {
        return Ok(());
    };
    let asked: Vec<_> = lists
        .iter()
        .filter_map(|list| Some((list, list.arguments().ok()?)))
        .collect();
    let args: Vec<_> = asked.iter().map(|(_, args)| given(args)).collect();
    let lists = asked.iter().zip(&args).map(|((list, _), arg)| List {
        name: list.name(),
        arg,
        counted: list.selection_set().any(|f| f.name() == "totalCount"),
    });
    let folds = lists.filter_map(|list| fold((loaders, viewer), under, &list));
    loaders.folding(under, folds).await
}

/// A list of an account read with the account: its field's name, its arguments as given,
/// and whether its total is selected.
pub struct List<'a> {
    pub name: &'a str,
    pub arg: keys::Given<'a>,
    pub counted: bool,
}

/// How `list` of each account `under` names is read with the accounts, kept for the
/// accounts the list's guard lets the viewer read it of ([`Loaders::folding`]; the
/// resolvers' and a compiled plan's: one definition of what is read and under which key it
/// is kept). `None` when `list` is no list of an account, its arguments do not parse or its
/// loader reads it on its own.
pub fn fold<'a>(
    (l, viewer): (&'a Loaders, &'a crate::auth::Viewer),
    under: Under<'_>,
    list: &List<'_>,
) -> Option<Box<dyn Fold + 'a>> {
    let guard = crate::plan::list_guard(list.name)?;
    let allowed =
        move |row: &account::Model| policy::authorize(viewer, guard, Target::Account(row)).is_ok();
    let (arg, counted) = (list.arg, list.counted);
    match list.name {
        "services" => {
            let key = (keys::services_of(arg)?, counted);
            Folding::boxed(under, &l.services, key, allowed)
        }
        "orders" => Folding::boxed(under, &l.orders, (keys::orders_of(arg)?, counted), allowed),
        "tickets" => {
            let key = (keys::tickets_of(viewer, arg)?, counted);
            Folding::boxed(under, &l.tickets, key, allowed)
        }
        "documents" => {
            let key = (keys::documents_of(arg)?, counted);
            Folding::boxed(under, &l.documents, key, allowed)
        }
        _ => None,
    }
}
