//! The loaders of single rows and of whole child lists, keyed by id: rows by primary key
//! (within a scope for derived records), rows with their owner account, all children of a
//! parent, and the per-account aggregates (totals, this month's spending, pending changes),
//! the tariffs through the process-wide cache, the catalogue and the former sub-accounts.

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use sea_orm::{EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter, sea_query::Expr};

use entity::{account, change_request, tariff};

use super::{Cached, LoadError, failed};
use crate::{
    Map,
    db::{page, reads::Reads, rows::Columns},
    domain::{self, service::Totals},
    graphql::batch::Load,
    policy::scope::Deferred,
};

/// Rows of one table by primary key (`id`), within a scope: everything for the rows the
/// guards decide about; the policy's scope for a derived record (a notification about an
/// object the viewer may not see is not found, as in its lists).
pub struct ById<E: EntityTrait> {
    db: Reads,
    scope: Deferred,
    /// Rows the request read in other statements, taken before the database is asked
    /// (unscoped loaders only: a scope would have to be checked again).
    seen: Option<Arc<Seen<E::Model>>>,
    entity: PhantomData<E>,
}

impl<E: EntityTrait> ById<E> {
    pub(super) fn new(db: &Reads) -> Self {
        Self::scoped(db, Deferred::everything())
    }

    pub(super) fn scoped(db: &Reads, scope: Deferred) -> Self {
        Self {
            db: db.clone(),
            scope,
            seen: None,
            entity: PhantomData,
        }
    }

    /// Unscoped, taking the rows `seen` holds before it asks the database.
    pub(super) fn seeing(db: &Reads, seen: &Arc<Seen<E::Model>>) -> Self {
        Self {
            seen: Some(seen.clone()),
            ..Self::new(db)
        }
    }
}

/// Rows of a table this request has read in a statement of another loader (the rows of a
/// page of sub-accounts), each with the columns it was read with, for a load by id of the
/// same table to take instead of reading them again: e.g. the authors of the messages under
/// a page of sub-accounts are mostly those sub-accounts. A load takes only rows that hold
/// the columns it reads: the account loader whole rows, the reader of derived records those
/// with a reader's columns ([`super::Loaders::accounts_to_read`]). Handing a page's rows
/// over costs a pointer each; only the rows a load asks for are copied. Forgotten with the
/// loaders' values (a subscription's next event reads afresh:
/// [`crate::graphql::batch::Forget`]).
pub struct Seen<M>(std::sync::Mutex<Map<i64, (Columns, Arc<M>)>>);

impl<M> Default for Seen<M> {
    fn default() -> Self {
        Self(Default::default())
    }
}

impl<M: Send + Sync> crate::graphql::batch::Forget for Seen<M> {
    fn forget(&self) {
        crate::lock(&self.0).clear();
    }
}

impl<M: Clone> Seen<M> {
    /// Keeps `rows` (by id), read with `columns`, for later loads; a row kept with fewer
    /// columns gives way to it.
    pub fn add<'a>(&self, columns: Columns, rows: impl IntoIterator<Item = (i64, &'a Arc<M>)>)
    where
        M: 'a,
    {
        use std::collections::hash_map::Entry;
        let mut seen = crate::lock(&self.0);
        for (id, row) in rows {
            match seen.entry(id) {
                Entry::Vacant(place) => {
                    place.insert((columns, row.clone()));
                }
                Entry::Occupied(mut place) => {
                    if place.get().0 != columns && columns.hold(place.get().0) {
                        place.insert((columns, row.clone()));
                    }
                }
            }
        }
    }

    /// The rows of `keys` that were seen with at least `columns`, and the keys that were not.
    pub fn take(&self, keys: &[i64], columns: Columns) -> (Map<i64, M>, Vec<i64>) {
        let seen = crate::lock(&self.0);
        let mut found = Map::with_capacity_and_hasher(keys.len(), Default::default());
        let mut rest = Vec::new();
        for key in keys {
            match seen.get(key).filter(|(held, _)| held.hold(columns)) {
                Some((_, row)) => {
                    found.insert(*key, M::clone(row));
                }
                None => rest.push(*key),
            }
        }
        (found, rest)
    }
}

/// The rows of a table whose primary key is one of `keys`.
fn with_ids<E: EntityTrait>(keys: &[i64]) -> Result<sea_orm::Select<E>, LoadError> {
    let Some(pk) = E::PrimaryKey::iter().next() else {
        return Err(failed(anyhow::anyhow!("entity without primary key")));
    };
    Ok(E::find().filter(crate::db::among::column_among(
        pk.into_column(),
        keys.iter().copied(),
    )))
}

impl<E> Load<i64> for ById<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, E::Model>, LoadError> {
        let (mut found, rest) = match &self.seen {
            Some(seen) => {
                let (found, rest) = seen.take(keys, Columns::ALL);
                (found, std::borrow::Cow::Owned(rest))
            }
            None => (Map::default(), std::borrow::Cow::Borrowed(keys)),
        };
        if rest.is_empty() {
            return Ok(found);
        }
        let rows = with_ids::<E>(&rest)?
            .filter(self.scope.condition())
            .all(&self.db)
            .await
            .map_err(failed)?;
        for row in rows {
            found.insert(page::model_id::<E>(&row).map_err(Arc::new)?, row);
        }
        Ok(found)
    }
}

/// Rows of a table that belong to an account, by primary key, each read with its owner
/// account in the same statement (a join). The guards decide about such a row with its
/// owner ([`super::guards`]): the owner goes into the request's account loader, so the
/// decision costs no statement of its own.
pub struct OwnedById<E: EntityTrait> {
    db: Reads,
    owner: E::Column,
    accounts: Cached<ById<account::Entity>>,
    /// A derived record's scope (activity entries); everything for other rows, which the
    /// guards decide about.
    scope: Deferred,
}

impl<E: EntityTrait> OwnedById<E> {
    pub(super) fn new(
        db: &Reads,
        owner: E::Column,
        accounts: &Cached<ById<account::Entity>>,
    ) -> Self {
        Self {
            db: db.clone(),
            owner,
            accounts: accounts.clone(),
            scope: Deferred::everything(),
        }
    }

    pub(super) fn scoped(mut self, scope: Deferred) -> Self {
        self.scope = scope;
        self
    }
}

impl<E> Load<i64> for OwnedById<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, E::Model>, LoadError> {
        use sea_orm::{JoinType, QuerySelect};
        let to_owner = E::belongs_to(account::Entity)
            .from(self.owner)
            .to(account::Column::Id)
            .into();
        let rows = with_ids::<E>(keys)?
            .filter(self.scope.condition())
            .join(JoinType::LeftJoin, to_owner)
            .select_also(account::Entity)
            .all(&self.db)
            .await
            .map_err(failed)?;
        let mut out = Map::with_capacity_and_hasher(rows.len(), Default::default());
        for (row, owner) in rows {
            if let Some(owner) = owner {
                self.accounts.prime(owner.id, owner);
            }
            out.insert(page::model_id::<E>(&row).map_err(Arc::new)?, row);
        }
        Ok(out)
    }
}

/// Active services count and total monthly cost per account.
pub struct TotalsLoader(pub(super) Reads);

impl Load<i64> for TotalsLoader {
    type Value = Totals;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, Totals>, LoadError> {
        let found = domain::service::totals_for(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(every_key(found, keys))
    }
}

/// What each account's own orders of this month add up to (against its spending cap).
pub struct SpentLoader(pub(super) Reads);

impl Load<i64> for SpentLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, i64>, LoadError> {
        let found = domain::order::controls::spent_this_month(&self.0, keys, domain::now())
            .await
            .map_err(Arc::new)?;
        Ok(every_key(found, keys))
    }
}

/// `found` with a value for every one of `keys`: the default (nothing active, nothing spent)
/// where a key has no row.
fn every_key<V: Default>(mut found: HashMap<i64, V>, keys: &[i64]) -> Map<i64, V> {
    keys.iter()
        .map(|key| (*key, found.remove(key).unwrap_or_default()))
        .collect()
}

/// All children of many parents, in id order (order items, invoice lines, ...).
pub struct ChildrenOf<E: EntityTrait> {
    pub(super) db: Reads,
    pub(super) parent: E::Column,
}

impl<E> Load<i64> for ChildrenOf<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, Vec<E::Model>>, LoadError> {
        use sea_orm::{ModelTrait, QueryOrder};
        let rows = E::find()
            .filter(crate::db::among::column_among(
                self.parent,
                keys.iter().copied(),
            ))
            .order_by_asc(Expr::col(sea_orm::sea_query::Alias::new("id")))
            .all(&self.db)
            .await
            .map_err(failed)?;
        let mut out: Map<i64, Vec<E::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let sea_orm::Value::BigInt(Some(parent)) = row.get(self.parent) {
                out.entry(parent).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// The pending change request of each service (`None` cached for services without one).
pub struct PendingChangeLoader(pub(super) Reads);

impl Load<i64> for PendingChangeLoader {
    type Value = Option<change_request::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, Self::Value>, LoadError> {
        let mut found = domain::service::pending_changes_for(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.remove(k))).collect())
    }
}

pub use crate::domain::catalog::TariffCache;

/// Loads tariffs through the process-wide [`TariffCache`]: only ids never seen hit the database.
pub struct TariffLoader(pub(super) Reads, pub(super) TariffCache);

impl Load<i64> for TariffLoader {
    type Value = tariff::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, tariff::Model>, LoadError> {
        let mut found = Map::with_capacity_and_hasher(keys.len(), Default::default());
        let mut missing = Vec::new();
        {
            let cache = self.1.read().unwrap_or_else(|e| e.into_inner());
            for k in keys {
                match cache.get(k) {
                    Some(t) => {
                        found.insert(*k, t.clone());
                    }
                    None => missing.push(*k),
                }
            }
        }
        if !missing.is_empty() {
            let loaded = ById::<tariff::Entity>::new(&self.0).load(&missing).await?;
            let mut cache = self.1.write().unwrap_or_else(|e| e.into_inner());
            for (id, t) in loaded {
                cache.insert(id, t.clone());
                found.insert(id, t);
            }
        }
        Ok(found)
    }
}

/// The whole tariff catalogue, once per request (what a service may change to is chosen
/// from it).
pub struct CatalogLoader(pub(super) Reads);

impl Load<()> for CatalogLoader {
    type Value = Arc<Vec<tariff::Model>>;
    type Error = LoadError;

    async fn load(&self, _: &[()]) -> Result<Map<(), Self::Value>, LoadError> {
        let all = domain::catalog::tariffs(&self.0, None)
            .await
            .map_err(Arc::new)?;
        Ok(Map::from_iter([((), Arc::new(all))]))
    }
}

/// The viewer's former sub-accounts, frozen as they were when unlinked (read once per
/// request, and only when an account the viewer may not see otherwise is asked for).
pub struct FormerSubsLoader {
    pub(super) db: Reads,
    pub(super) main: Option<i64>,
}

/// Former sub-accounts by id: their frozen row and when they were unlinked.
pub type FormerSubs = Arc<
    HashMap<
        i64,
        (
            domain::account::former::Frozen,
            chrono::DateTime<chrono::Utc>,
        ),
    >,
>;

impl Load<()> for FormerSubsLoader {
    type Value = FormerSubs;
    type Error = LoadError;

    async fn load(&self, _: &[()]) -> Result<Map<(), Self::Value>, LoadError> {
        let found = match self.main {
            Some(main) => domain::account::former::of_main(&self.db, main)
                .await
                .map_err(Arc::new)?,
            None => HashMap::new(),
        };
        Ok(Map::from_iter([((), Arc::new(found))]))
    }
}
