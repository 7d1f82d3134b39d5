//! Lists read in their parent's statement ([`crate::db::children::Nest`]; PostgreSQL): a
//! page of the viewer's sub-accounts, or one account by id, with the first list of an
//! account the request selects under it; a ticket by id with its messages; an order by id
//! with its items, and its invoice with its lines. The parents go to their loader's cache
//! and each one's list to its own loader's cache, under the key the level below asks for,
//! so that level sends no statement. Where the engine reads no nested list (SQLite),
//! nothing is read here: the parents and their lists are read through their batches as
//! always.

use std::{hash::Hash, sync::Arc, sync::atomic::Ordering};

use async_graphql::dataloader::Loader;
use sea_orm::{DatabaseBackend, EntityTrait};

use entity::{account, invoice, invoice_line, order, order_item, ticket, ticket_message};

use super::{
    Cached, ChildrenOf, LoadError, Loaders, OwnedById, UsageKey,
    pages::{Nests, PageKey, Paged, shared},
    sub_accounts::SubAccounts,
};
use crate::{
    db::{
        children::{Nest, fetch_one},
        page::{PageRequest, Sort},
        rows::Positional,
    },
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

impl Loaders {
    /// Reads what `under` names with `nested`'s list of each account in the same statement,
    /// and keeps both in their loaders' caches: the list `nested_key` names for an account
    /// (`None`: none), only for the accounts the viewer may read it of (`allowed`, the list
    /// field's guard), and only under the key the list would be asked by. Nothing is read
    /// where the engine cannot (SQLite) or `under` does not qualify ([`Under`]).
    pub async fn folding<F, L>(
        &self,
        under: Under<'_>,
        nested: &Cached<L, PageKey<F>>,
        nested_key: impl Fn(i64) -> Option<PageKey<F>>,
        allowed: impl Fn(&account::Model) -> bool,
    ) -> Result<(), LoadError>
    where
        F: Clone + Eq + Hash + Send + Sync + 'static,
        L: Nests<F> + Loader<PageKey<F>, Value = Paged<<L::Entity as EntityTrait>::Model>>,
        <L::Entity as EntityTrait>::Model: crate::db::rows::Positional,
    {
        let db = &self.made.db;
        let me = self.made.viewer.account().map(|a| a.id);
        // What the list of an account under `under` is read as (a sub-account's lists differ
        // only by their parent; the viewer's own may take in more, and not be nested).
        let template = nested_key(match under {
            Under::Pages(_) => 0,
            Under::Account(id) => id,
        })
        .filter(|_| db.get_database_backend() == DatabaseBackend::Postgres);
        let nest = template.as_ref().and_then(|key| nested.loader().nest(key));
        let Some((template, nest)) = template.zip(nest) else {
            return Ok(());
        };
        let folds = match under {
            Under::Pages(keys) => !keys.is_empty() && keys.iter().all(|k| Some(k.parent) == me),
            Under::Account(_) => self.past_batches(Past::Object),
        };
        if !folds {
            return Ok(());
        }
        let keep = |row: &account::Model, list: Option<Paged<_>>| {
            let key = nested_key(row.id).filter(|key| {
                key.filter == template.filter
                    && key.page == template.page
                    && key.counted == template.counted
                    && allowed(row)
            });
            if let Some((key, list)) = key.zip(list) {
                nested.prime(key, list);
            }
        };
        const LOADER: &str = "accounts with a list of each";
        match under {
            Under::Pages(keys) => {
                let read = self.sub_accounts.loader().pages(keys, Some(&nest));
                let (pages, lists) = past(LOADER, keys.len(), read).await?;
                let mut lists = lists.unwrap_or_default();
                for (key, paged) in pages {
                    for (_, row) in &paged.0.items {
                        let list = lists
                            .remove(&row.id)
                            .map(|(page, total)| shared(page, total));
                        keep(row, list);
                    }
                    self.sub_accounts.prime(key, paged);
                }
            }
            Under::Account(id) => {
                // Unscoped, as the account loader reads by id: the guards decide.
                let read =
                    fetch_one::<account::Entity, (), _, _>(db, (account::Column::Id, id), &nest);
                let found = past(LOADER, 1, read).await.map_err(Arc::new)?;
                if let Some((row, _, list)) = found {
                    keep(&row, list.map(|(page, total)| shared(page, total)));
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
        let read = fetch_one::<ticket::Entity, account::Model, ticket_message::Entity, _>(
            &self.made.db,
            (ticket::Column::Id, key.parent),
            &nest,
        );
        let found = past("a ticket with its messages", 1, read)
            .await
            .map_err(Arc::new)?;
        let Some((ticket, Some(owner), list)) = found else {
            return Ok(());
        };
        let seen = policy::authorize(
            &self.made.viewer,
            Action::See,
            Target::Ticket(&ticket, &owner),
        );
        if let Some((page, total)) = list.filter(|_| seen.is_ok()) {
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
        let nest = Nest::<C> {
            parent,
            filter: sea_orm::sea_query::Condition::all(),
            sort: Sort::by_id((C::default(), child_id), false),
            key: None,
            page: PageRequest::first(WHOLE),
            counted: false,
        };
        let read = fetch_one::<P, account::Model, C, _>(&self.made.db, (id_column, id), &nest);
        let found = past(span, 1, read).await.map_err(Arc::new)?;
        let Some((row, Some(owner), list)) = found else {
            return Ok(());
        };
        if let Some((page, _)) = list.filter(|(page, _)| !page.has_next) {
            lists.prime(id, page.items.into_iter().map(|(_, child)| child).collect());
        }
        self.account.prime(owner.id, owner);
        rows.prime(id, row);
        Ok(())
    }

    /// Whether this request may read `what` past the batches now: on PostgreSQL, and only
    /// its first (later ones go through the batches, where many cost one statement).
    fn past_batches(&self, what: Past) -> bool {
        let bit = what as u8;
        self.made.db.get_database_backend() == DatabaseBackend::Postgres
            && self.read_past_batches.fetch_or(bit, Ordering::Relaxed) & bit == 0
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
    let span = tracing::info_span!("dataloader.batch", loader, keys);
    tracing::Instrument::instrument(read, span).await
}
