//! Lists read in their parent's statement ([`crate::db::children::Nest`]; PostgreSQL): a
//! page of the viewer's sub-accounts, or one account by id, with the lists of an account
//! the request selects under it; a ticket by id with its messages; an order by id
//! with its items, and its invoice with its lines. The parents go to their loader's cache
//! and each one's list to its own loader's cache, under the key the level below asks for,
//! so that level sends no statement. Where the engine reads no nested list (SQLite),
//! nothing is read here: the parents and their lists are read through their batches as
//! always.

use std::{hash::Hash, sync::Arc, sync::atomic::Ordering};

use sea_orm::EntityTrait;

use entity::{account, invoice, invoice_line, order, order_item, ticket};

use super::{
    Cached, ChildrenOf, LoadError, Loaders, OwnedById, UsageKey,
    pages::{Nests, PageKey, Paged, shared},
    sub_accounts::SubAccounts,
};
use crate::{
    db::{
        children::{Nest, Nested, Pages, Reading, fetch_one},
        page::{PageRequest, Sort},
        rows::Positional,
    },
    error::AppResult,
    graphql::batch::Load,
    policy::{self, Action, Target},
};

/// What a list is read with.
#[derive(Debug, Clone, Copy)]
pub enum Under<'a> {
    /// Pages of the viewer's own sub-accounts (a request has one such page, so reading it
    /// past the batches costs no statement per parent).
    Pages(&'a [PageKey<SubAccounts>]),
    /// One account by id (`node`). Only a request's first is read so: later ones go
    /// through the batches, where any number of them cost one statement per level.
    Account(i64),
}

/// A list of each account read with the accounts ([`Loaders::folding`]): its reader in
/// the accounts' statement, and where each account's page goes after it.
pub trait Fold: Send {
    /// Its reader, joined to the accounts' statement.
    fn reading(&mut self) -> &mut dyn Nested;
    /// Takes the pages read.
    fn read(&mut self) -> Result<(), LoadError>;
    /// Keeps `row`'s page in its loader's cache, when it may.
    fn keep(&mut self, row: &account::Model);
    /// Which list it is (its loader, and a hash of the key it is read under): a list asked
    /// twice (aliases, fragments) is read once.
    fn which(&self) -> (&'static str, u64);
}

/// A list of each account of a loader `L` keyed by `PageKey<F>` ([`Fold`]): the key each
/// account's list is asked by (`key`, its total read when `counted`; none where it does not
/// build), and whether the viewer may read it of an account (`allowed`, the list field's
/// guard).
pub struct Folding<'a, F, L, K, A>
where
    F: Clone + Eq + Hash + Send + Sync + 'static,
    L: Nests<F> + Load<PageKey<F>, Value = Paged<<L::Entity as EntityTrait>::Model>>,
{
    loader: &'a Cached<L, PageKey<F>>,
    key: K,
    counted: bool,
    allowed: A,
    /// The key the list of an account is read under (a sub-account's lists differ only by
    /// their parent).
    template: PageKey<F>,
    reading: Reading<L::Entity>,
    pages: Pages<<L::Entity as EntityTrait>::Model>,
}

impl<'a, F, L, K, A> Folding<'a, F, L, K, A>
where
    F: Clone + Eq + Hash + Send + Sync + 'static,
    L: Nests<F> + Load<PageKey<F>, Value = Paged<<L::Entity as EntityTrait>::Model>>,
    <L::Entity as EntityTrait>::Model: Positional + Send + Sync,
    K: Fn(i64) -> AppResult<PageKey<F>> + Send,
    A: Fn(&account::Model) -> bool + Send,
{
    /// The list `key` names of each account `under` names, boxed as a [`Fold`]; `None`
    /// where it is read on its own (no key, or its loader does not nest it).
    pub fn boxed(
        under: Under<'_>,
        loader: &'a Cached<L, PageKey<F>>,
        (key, counted): (K, bool),
        allowed: A,
    ) -> Option<Box<dyn Fold + 'a>>
    where
        F: 'a,
        K: 'a,
        A: 'a,
    {
        let parent = match under {
            Under::Pages(_) => 0,
            Under::Account(id) => id,
        };
        let template = key(parent).ok()?.counted(counted);
        let nest = loader.loader().nest(&template)?;
        Some(Box::new(Self {
            loader,
            key,
            counted,
            allowed,
            template,
            reading: Reading::new(nest),
            pages: Pages::default(),
        }))
    }
}

impl<F, L, K, A> Fold for Folding<'_, F, L, K, A>
where
    F: Clone + Eq + Hash + Send + Sync + 'static,
    L: Nests<F> + Load<PageKey<F>, Value = Paged<<L::Entity as EntityTrait>::Model>>,
    <L::Entity as EntityTrait>::Model: Positional + Send + Sync,
    K: Fn(i64) -> AppResult<PageKey<F>> + Send,
    A: Fn(&account::Model) -> bool + Send,
{
    fn reading(&mut self) -> &mut dyn Nested {
        &mut self.reading
    }

    fn read(&mut self) -> Result<(), LoadError> {
        self.pages = self.reading.pages().map_err(Arc::new)?;
        Ok(())
    }

    fn keep(&mut self, row: &account::Model) {
        let template = &self.template;
        let key = (self.key)(row.id).ok().map(|key| key.counted(self.counted));
        let key = key.filter(|key| {
            key.filter == template.filter
                && key.page == template.page
                && key.counted == template.counted
                && (self.allowed)(row)
        });
        let list = self.pages.remove(&row.id);
        if let Some((key, (page, total))) = key.zip(list) {
            let paged = shared(page, total);
            self.loader.loader().seen(&paged);
            self.loader.prime(key, paged);
        }
    }

    fn which(&self) -> (&'static str, u64) {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(&self.template);
        (std::any::type_name::<L>(), hash)
    }
}

/// The most lists of one account by id read in its statement: each is a `LATERAL` of its
/// own, gated on its rows, and a selection with more reads the others through their
/// batches.
pub const MOST_FOLDED: usize = 4;

/// The most lists of each row of a page of sub-accounts read in the page's statement: each
/// gated list repeats every row once more. Side by side, a second list so cost less than
/// its own statement once the statement is not sorted (the page with documents and
/// orders +7-11%, `sizes` +5-9%); a third is not measured (bench/ANALYSIS.md).
pub const MOST_FOLDED_ON_A_PAGE: usize = 2;

impl Loaders {
    /// Reads what `under` names with each of `lists` of each account in the same
    /// statement ([`Fold`]; [`MOST_FOLDED_ON_A_PAGE`], [`MOST_FOLDED`]), and keeps the
    /// accounts and each list in their loaders' caches: a list only for the accounts the
    /// viewer may read it of, and only under the key the list would be asked by. Nothing
    /// is read, and no list made, where the engine cannot (SQLite) or `under` does not
    /// qualify ([`Under`]); no more lists are made than are read.
    pub async fn folding<'a>(
        &self,
        under: Under<'_>,
        lists: impl IntoIterator<Item = Box<dyn Fold + 'a>>,
    ) -> Result<(), LoadError> {
        let db = &self.made.db;
        if !self.made.folds {
            return Ok(());
        }
        let me = self.made.viewer.account().map(|a| a.id);
        let folds = match under {
            Under::Pages(keys) => !keys.is_empty() && keys.iter().all(|k| Some(k.parent) == me),
            Under::Account(_) => self.past_batches(Past::Object),
        };
        if !folds {
            return Ok(());
        }
        let most = match under {
            Under::Pages(_) => MOST_FOLDED_ON_A_PAGE,
            Under::Account(_) => MOST_FOLDED,
        };
        let mut seen = Vec::with_capacity(most);
        let mut lists: Vec<_> = lists
            .into_iter()
            .filter(|list| {
                let which = list.which();
                let new = !seen.contains(&which);
                seen.push(which);
                new
            })
            .take(most)
            .collect();
        if lists.is_empty() {
            return Ok(());
        }
        let mut readers: Vec<&mut dyn Nested> = lists.iter_mut().map(|l| l.reading()).collect();
        const LOADER: &str = "accounts with lists of each";
        match under {
            Under::Pages(keys) => {
                let read = self.sub_accounts.loader().pages(keys, &mut readers);
                let pages = past(LOADER, keys.len(), read).await?;
                drop(readers);
                for list in &mut lists {
                    list.read()?;
                }
                for (key, paged) in pages {
                    for (_, row) in &paged.0.items {
                        for list in &mut lists {
                            list.keep(row);
                        }
                    }
                    self.sub_accounts.prime(key, paged);
                }
            }
            Under::Account(id) => {
                // Unscoped, as the account loader reads by id: the guards decide.
                let read = fetch_one::<account::Entity, (), _>(
                    db,
                    (account::Column::Id, id),
                    &mut readers,
                );
                let found = past(LOADER, 1, read).await.map_err(Arc::new)?;
                drop(readers);
                if let Some((row, _)) = found {
                    for list in &mut lists {
                        list.read()?;
                        list.keep(&row);
                    }
                    self.account.prime(id, row);
                }
            }
        }
        Ok(())
    }

    /// Reads the ticket whose messages page `key` names with its owner account and that
    /// page in one statement, and keeps all three in their loaders' caches (the page only
    /// when the viewer may see the ticket). As an account by id ([`Under::Account`]): only a
    /// request's first object read so, and only where the engine can (PostgreSQL).
    pub async fn ticket_with_messages(&self, key: PageKey<()>) -> Result<(), LoadError> {
        let nest = self.ticket_messages.loader().nest(&key);
        let Some(nest) = nest.filter(|_| self.past_batches(Past::Object)) else {
            return Ok(());
        };
        let mut list = Reading::new(nest);
        let mut readers: [&mut dyn Nested; 1] = [&mut list];
        let read = fetch_one::<ticket::Entity, account::Model, _>(
            &self.made.db,
            (ticket::Column::Id, key.parent),
            &mut readers,
        );
        let found = past("a ticket with its messages", 1, read)
            .await
            .map_err(Arc::new)?;
        let Some((ticket, Some(owner))) = found else {
            return Ok(());
        };
        let seen = policy::authorize(
            &self.made.viewer,
            Action::See,
            Target::Ticket(&ticket, &owner),
        );
        let page = list.pages().map_err(Arc::new)?.remove(&ticket.id);
        if let Some((page, total)) = page.filter(|_| seen.is_ok()) {
            self.ticket_messages.prime(key, shared(page, total));
        }
        self.account.prime(owner.id, owner);
        self.ticket.prime(ticket.id, ticket);
        Ok(())
    }

    /// Reads the order `id` with its owner account and its items in one statement
    /// ([`Self::with_whole_list`]). As an account by id ([`Under::Account`]): only a
    /// request's first object read so, and only where the engine can (PostgreSQL).
    pub async fn order_with_items(&self, id: i64) -> Result<(), LoadError> {
        self.with_whole_list(
            Past::Object,
            (order::Column::Id, id),
            (order_item::Column::OrderId, order_item::Column::Id),
            (&self.order, &self.order_items),
            "an order with its items",
        )
        .await
    }

    /// Reads the invoice `id` with its owner account and its lines in one statement
    /// ([`Self::with_whole_list`]): the invoice of an order read by id. Only a request's
    /// first invoice is read so, and only where the engine can (PostgreSQL).
    pub async fn invoice_with_lines(&self, id: i64) -> Result<(), LoadError> {
        self.with_whole_list(
            Past::Invoice,
            (invoice::Column::Id, id),
            (invoice_line::Column::InvoiceId, invoice_line::Column::Id),
            (&self.invoice, &self.invoice_lines),
            "an invoice with its lines",
        )
        .await
    }

    /// Reads the account `key` names with its Internet usage in the key's range in one
    /// statement, and keeps both in their loaders' caches (the usage only when `allowed`,
    /// the usage field's guard, lets the viewer see it of the account). As an account by
    /// id with a list ([`Under::Account`]): only a request's first object read so, and
    /// only where the engine can (PostgreSQL).
    pub async fn account_with_internet(
        &self,
        key: UsageKey,
        allowed: impl Fn(&account::Model) -> bool,
    ) -> Result<(), LoadError> {
        if !self.past_batches(Past::Object) {
            return Ok(());
        }
        let read = crate::domain::usage::account_with_internet(
            &self.made.db,
            key.account,
            (key.range.from, key.range.to),
            key.monthly,
        );
        let found = past("an account with its Internet usage", 1, read)
            .await
            .map_err(Arc::new)?;
        if let Some((row, stats)) = found {
            if allowed(&row) {
                self.internet.prime(key, stats);
            }
            self.account.prime(row.id, row);
        }
        Ok(())
    }

    /// Reads the row `id` of `P` with its owner account beside it and its whole list of
    /// `C` (the rows whose `parent` is `id`, in id order as [`ChildrenOf`] reads them) in
    /// one statement, and keeps all three in their loaders' caches; the list only when the
    /// statement read all of it (at most [`WHOLE`] rows: a longer one is read on its own).
    /// Nothing here is decided: the list is what its own loader reads (unscoped), shown
    /// only under a row the guards let through. Nothing is read unless the request may read
    /// `what` past the batches now ([`Self::past_batches`]).
    async fn with_whole_list<P, C>(
        &self,
        what: Past,
        (id_column, id): (P::Column, i64),
        (parent, child_id): (C::Column, C::Column),
        (rows, lists): (&Cached<OwnedById<P>>, &Cached<ChildrenOf<C>>),
        span: &'static str,
    ) -> Result<(), LoadError>
    where
        P: EntityTrait + Send + Sync + 'static,
        P::Model: Positional + Clone + Send + Sync + 'static,
        P::Column: Send + Sync,
        C: EntityTrait + Send + Sync + 'static,
        C::Model: Positional + Clone + Send + Sync + 'static,
        C::Column: Send + Sync,
    {
        if !self.past_batches(what) {
            return Ok(());
        }
        let mut list = Reading::new(Nest::<C> {
            parent,
            filter: sea_orm::sea_query::Condition::all(),
            by_parent_row: None,
            on_parent: None,
            sort: Sort::by_id((C::default(), child_id), false),
            key: None,
            page: PageRequest::first(WHOLE),
            counted: false,
        });
        let mut readers: [&mut dyn Nested; 1] = [&mut list];
        let read = fetch_one::<P, account::Model, _>(&self.made.db, (id_column, id), &mut readers);
        let found = past(span, 1, read).await.map_err(Arc::new)?;
        let Some((row, Some(owner))) = found else {
            return Ok(());
        };
        let list = list.pages().map_err(Arc::new)?.remove(&id);
        if let Some((page, _)) = list.filter(|(page, _)| !page.has_next) {
            lists.prime(id, page.items.into_iter().map(|(_, child)| child).collect());
        }
        self.account.prime(owner.id, owner);
        rows.prime(id, row);
        Ok(())
    }

    /// Whether this request may read `what` past the batches now: where lists are read in
    /// their parent's statement (PostgreSQL), and only its first (later ones go through the
    /// batches, where many cost one statement).
    fn past_batches(&self, what: Past) -> bool {
        let bit = what as u8;
        self.made.folds && self.read_past_batches.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }
}

/// What a request reads past the batches, once each ([`Loaders::past_batches`]).
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub enum Past {
    /// Its first object by id (`node`).
    Object = 1,
    /// The invoice of an order read by id.
    Invoice = 2,
}

/// The most rows of a whole list read with its parent ([`Loaders::with_whole_list`]): an
/// order holds at most [`crate::domain::validate::MAX_LIST`] items; an invoice's lines are
/// as many (an order's) or one per service billed (a period's).
const WHOLE: u64 = 1000;

/// Awaits `read`, a read past the batches, in a batch's span all the same (as every read
/// of a request's loaders is traced).
async fn past<T>(loader: &'static str, keys: usize, read: impl Future<Output = T>) -> T {
    let span = crate::graphql::batch::batch_span(|| loader, keys);
    tracing::Instrument::instrument(read, span).await
}
