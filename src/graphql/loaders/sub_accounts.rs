//! The sub-accounts lists of main accounts ([`SubAccountsLoader`]), and a page of them with
//! a list of each sub-account read in the page's own statement
//! ([`crate::db::children::Nest`]; PostgreSQL, [`Loaders::folding`]): the pages go to the
//! sub-accounts loader's cache and each sub-account's list to its own loader's cache, under
//! the keys the level below asks for, so that level sends no statement. Where the engine
//! reads no nested list (SQLite) the level below reads it as it always does.

use std::{collections::HashMap, hash::Hash, sync::Arc};

use async_graphql::dataloader::Loader;
use sea_orm::{DatabaseConnection, EntityTrait, sea_query::Condition};

use entity::account;

use super::{
    Cached, LoadError, Loaders,
    pages::{Nests, PageKey, Paged, group, shared, spread},
};
use crate::{
    auth::Viewer,
    db::{
        children::{Nest, Pages},
        page::PageRequest,
    },
    domain::service::Totals,
};

/// A main account's sub-accounts list: what narrows it, how it is sorted, and whether its
/// rows' totals are wanted (read in the same statement, [`SubAccountsLoader`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubAccounts {
    pub filter: crate::domain::account::AccountFilter,
    pub sort: crate::domain::account::AccountSort,
    pub descending: bool,
    pub totals: bool,
}

/// The sub-accounts lists of many main accounts: one statement per distinct list asked and
/// per scope its mains' sub-accounts are read through (`policy::scope::sub_accounts_of`:
/// none for the viewer's own, the accounts scope for any other). When the list's totals are
/// wanted, each sub-account's totals row is read beside it and handed to the totals loader,
/// which then has no statement to send for them.
pub struct SubAccountsLoader {
    pub(super) db: DatabaseConnection,
    pub(super) viewer: Arc<Viewer>,
    pub(super) totals: super::Cached<super::TotalsLoader>,
}

impl SubAccountsLoader {
    /// One statement: the pages of `mains` within `scope`, with `B` read beside each row
    /// and `nest`'s list of each row.
    async fn read<B: crate::db::children::Beside, N: EntityTrait>(
        &self,
        (scope, mains): (Condition, &[i64]),
        (list, page, counted): (&SubAccounts, &PageRequest, bool),
        nest: Option<&Nest<N>>,
    ) -> Result<crate::db::children::Folded<account::Model, B, N::Model>, LoadError>
    where
        N::Model: crate::db::rows::Positional,
    {
        crate::domain::account::sub_accounts_of::<B, N, _>(
            &self.db,
            (scope, mains),
            &list.filter,
            (list.sort, list.descending),
            (page, counted),
            nest,
        )
        .await
        .map_err(Arc::new)
    }

    /// The pages `keys` ask for (one statement per distinct list and scope; the rows'
    /// totals handed to the totals loader when the list wants them), and `nest`'s page of
    /// each sub-account on them, read in the same statements where the engine can (`None`
    /// where it cannot: SQLite).
    pub async fn pages<N: EntityTrait>(
        &self,
        keys: &[PageKey<SubAccounts>],
        nest: Option<&Nest<N>>,
    ) -> Result<
        (
            HashMap<PageKey<SubAccounts>, Paged<account::Model>>,
            Option<Pages<N::Model>>,
        ),
        LoadError,
    >
    where
        N::Model: crate::db::rows::Positional,
    {
        let mut out = HashMap::new();
        let mut nested: Option<Pages<N::Model>> = None;
        let mut unread = false;
        for (group, mains) in group(keys) {
            let (list, page, counted) = &group;
            for (scope, mains) in by_scope(&self.viewer, mains) {
                let at = (scope, mains.as_slice());
                let (pages, found) = if list.totals {
                    let folded = self
                        .read::<Totals, N>(at, (list, page, *counted), nest)
                        .await?;
                    for (account, totals) in folded.beside {
                        self.totals.prime(account, totals);
                    }
                    (folded.pages, folded.nested)
                } else {
                    let folded = self.read::<(), N>(at, (list, page, *counted), nest).await?;
                    (folded.pages, folded.nested)
                };
                match found {
                    Some(found) => nested.get_or_insert_default().extend(found),
                    None => unread = true,
                }
                spread(&mut out, &group, mains, pages);
            }
        }
        Ok((out, nested.filter(|_| !unread)))
    }
}

impl Loader<PageKey<SubAccounts>> for SubAccountsLoader {
    type Value = Paged<account::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PageKey<SubAccounts>],
    ) -> Result<HashMap<PageKey<SubAccounts>, Self::Value>, LoadError> {
        Ok(self.pages::<account::Entity>(keys, None).await?.0)
    }
}

/// The mains grouped by the scope of their sub-accounts for the viewer.
fn by_scope(viewer: &Viewer, mains: Vec<i64>) -> Vec<(Condition, Vec<i64>)> {
    let mut groups: Vec<(Condition, Vec<i64>)> = Vec::new();
    for main in mains {
        let scope = crate::policy::scope::sub_accounts_of(viewer, main);
        match groups.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, of)) => of.push(main),
            None => groups.push((scope, vec![main])),
        }
    }
    groups
}

impl Loaders {
    /// Reads the sub-accounts pages `keys` ask for with `nested`'s list of each sub-account
    /// on them in the same statement, and keeps both in their loaders' caches: the list
    /// `nested_key` names for a sub-account (`None`: none), only for the sub-accounts the
    /// viewer may read it of (`allowed`, the list field's guard), and only under the key the
    /// list would be asked by. Done only for the viewer's own page (a request has one, so
    /// reading it past the batches costs no statement per parent) and where the engine can
    /// (PostgreSQL); otherwise nothing is read here, and the pages and lists are read
    /// through their batches as always.
    pub async fn folding<F, L>(
        &self,
        keys: &[PageKey<SubAccounts>],
        nested: &Cached<L, PageKey<F>>,
        nested_key: impl Fn(i64) -> Option<PageKey<F>>,
        allowed: impl Fn(&account::Model) -> bool,
    ) -> Result<(), LoadError>
    where
        F: Clone + Eq + Hash + Send + Sync + 'static,
        L: Nests<F> + Loader<PageKey<F>, Value = Paged<<L::Entity as sea_orm::EntityTrait>::Model>>,
        <L::Entity as sea_orm::EntityTrait>::Model: crate::db::rows::Positional,
    {
        let loader = self.sub_accounts.loader();
        let me = loader.viewer.account().map(|a| a.id);
        let folds = loader.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
            && !keys.is_empty()
            && keys.iter().all(|key| Some(key.parent) == me);
        let template = nested_key(0).filter(|_| folds);
        let nest = template.as_ref().and_then(|key| nested.loader().nest(key));
        let Some((template, nest)) = template.zip(nest) else {
            return Ok(());
        };
        // Read past the batches, in a batch's span all the same.
        let span = tracing::info_span!(
            "dataloader.batch",
            loader = "sub_accounts with a list of each",
            keys = keys.len()
        );
        let (pages, lists) =
            tracing::Instrument::instrument(loader.pages(keys, Some(&nest)), span).await?;
        let same = |key: &PageKey<F>| {
            key.filter == template.filter
                && key.page == template.page
                && key.counted == template.counted
        };
        let mut lists = lists.unwrap_or_default();
        for (key, paged) in pages {
            for (_, row) in &paged.0.items {
                let Some(list) = lists.remove(&row.id) else {
                    continue;
                };
                if let Some(key) = nested_key(row.id).filter(|k| same(k) && allowed(row)) {
                    nested.prime(key, shared(list.0, list.1));
                }
            }
            self.sub_accounts.prime(key, paged);
        }
        Ok(())
    }
}
