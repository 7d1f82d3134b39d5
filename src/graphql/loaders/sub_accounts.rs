//! The sub-accounts lists of main accounts ([`SubAccountsLoader`]), with a list of each
//! sub-account read in the same statement where the engine can
//! ([`crate::db::children::Nest`]; PostgreSQL, [`super::Loaders::folding`]).

use std::sync::Arc;

use sea_orm::sea_query::Condition;

use entity::account;

use super::{
    LoadError,
    pages::{PageKey, Paged, group, spread},
};
use crate::{
    Map,
    auth::Viewer,
    db::reads::Reads,
    db::{children::Nested, page::PageRequest, rows::Columns},
    domain::service::Totals,
    graphql::batch::Load,
};

/// A main account's sub-accounts list: what narrows it, how it is sorted, whether its
/// rows' totals are wanted (read in the same statement, [`SubAccountsLoader`]) and which of
/// their columns: a compiled plan reads those it writes and those the policy decides with
/// (`plan`), the resolvers whole rows ([`Columns::ALL`]). Narrow rows stay under their own
/// key, and are handed on with their columns ([`super::Seen`]): no reader expecting more
/// columns is handed one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubAccounts {
    pub filter: crate::domain::account::AccountFilter,
    pub sort: crate::domain::account::AccountSort,
    pub descending: bool,
    pub totals: bool,
    pub columns: Columns,
}

/// The sub-accounts lists of many main accounts: one statement per distinct list asked and
/// per scope its mains' sub-accounts are read through (`policy::scope::sub_accounts_of`:
/// none for the viewer's own, the accounts scope for any other). When the list's totals are
/// wanted, each sub-account's totals row is read beside it and handed to the totals loader,
/// which then has no statement to send for them. The rows themselves are kept for loads by
/// id ([`super::Seen`]): a sub-account asked for by id later in the request (a message's
/// author) is not read again.
pub struct SubAccountsLoader {
    pub(super) db: Reads,
    pub(super) viewer: Arc<Viewer>,
    pub(super) totals: super::Cached<super::TotalsLoader>,
    pub(super) seen: Arc<super::Seen<account::Model>>,
}

impl SubAccountsLoader {
    /// One statement: the pages of `mains` within `scope`, with `B` read beside each row
    /// and each of `nests`' list of each row (kept by each nest).
    async fn read<B: crate::db::children::Beside>(
        &self,
        (scope, mains): (Condition, &[i64]),
        (list, page, counted): (&SubAccounts, &PageRequest, bool),
        nests: &mut [&mut dyn Nested],
    ) -> Result<crate::db::children::Folded<account::Model, B>, LoadError> {
        crate::domain::account::sub_accounts_of::<B, _>(
            &self.db,
            (scope, mains),
            &list.filter,
            (list.sort, list.descending),
            (page, counted, list.columns),
            nests,
        )
        .await
        .map_err(Arc::new)
    }

    /// The pages `keys` ask for (one statement per distinct list and scope; the rows'
    /// totals handed to the totals loader when the list wants them; the rows kept with their
    /// columns for loads by id), and each of `nests`' page of each sub-account on them, read
    /// in the same statements where the engine can (kept by each nest).
    pub async fn pages(
        &self,
        keys: &[PageKey<SubAccounts>],
        nests: &mut [&mut dyn Nested],
    ) -> Result<Map<PageKey<SubAccounts>, Paged<account::Model>>, LoadError> {
        let mut out = Map::default();
        for (group, mains) in group(keys) {
            let (list, page, counted) = &group;
            for (scope, mains) in by_scope(&self.viewer, mains) {
                let at = (scope, mains.as_slice());
                let pages = if list.totals {
                    let folded = self
                        .read::<Totals>(at, (list, page, *counted), nests)
                        .await?;
                    for (account, totals) in folded.beside {
                        self.totals.prime(account, totals);
                    }
                    folded.pages
                } else {
                    self.read::<()>(at, (list, page, *counted), nests)
                        .await?
                        .pages
                };
                spread(&mut out, &group, mains, pages);
            }
        }
        for (key, (page, _)) in &out {
            self.seen.add(
                key.filter.columns,
                page.items.iter().map(|(_, row)| (row.id, row)),
            );
        }
        Ok(out)
    }
}

impl Load<PageKey<SubAccounts>> for SubAccountsLoader {
    type Value = Paged<account::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PageKey<SubAccounts>],
    ) -> Result<Map<PageKey<SubAccounts>, Self::Value>, LoadError> {
        self.pages(keys, &mut []).await
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
