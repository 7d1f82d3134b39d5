//! DataLoaders, built per request (they cache per request; a process-wide cache would leak
//! data between viewers). One loader per relation, keyed by the parent id; aggregates and
//! nested pages have their own batched loaders. Authorization is checked by the resolvers
//! on what a loader returns.

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use async_graphql::{
    ErrorExtensions,
    dataloader::{DataLoader, HashMapCache, Loader},
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter,
};

use entity::{
    account, activity, change_request, email_template, enums::ServiceStatus, partner,
    partner_portal_settings, service, tariff,
};

use crate::{
    domain::{
        self,
        page::{Page, PageRequest},
        service::Totals,
    },
    error::AppError,
};

pub type LoadError = Arc<AppError>;

/// Turns a loader error into a GraphQL error with its code.
pub fn gql(e: LoadError) -> async_graphql::Error {
    e.as_ref().extend()
}

/// Rows of one table by primary key (`id`).
pub struct ById<E>(DatabaseConnection, PhantomData<E>);

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, LoadError> {
        let Some(pk) = E::PrimaryKey::iter().next() else {
            return Err(Arc::new(AppError::Internal(anyhow::anyhow!(
                "entity without primary key"
            ))));
        };
        let rows = E::find()
            .filter(pk.into_column().is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        rows.into_iter()
            .map(|row| Ok((domain::page::model_id::<E>(&row)?, row)))
            .collect::<Result<_, AppError>>()
            .map_err(Arc::new)
    }
}

/// Active services count and total monthly cost per account.
pub struct TotalsLoader(DatabaseConnection);

impl Loader<i64> for TotalsLoader {
    type Value = Totals;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Totals>, LoadError> {
        let mut found = domain::service::totals_for(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        for key in keys {
            found.entry(*key).or_default();
        }
        Ok(found)
    }
}

/// The key of a nested page: the parent, the filter and the page asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildPageKey<F> {
    pub parent: i64,
    pub filter: F,
    pub page: PageRequest,
}

/// Groups keys by (filter, page) so each distinct request is one statement for all parents.
fn group<F: Clone + Eq + std::hash::Hash>(
    keys: &[ChildPageKey<F>],
) -> HashMap<(F, PageRequest), Vec<i64>> {
    let mut groups: HashMap<(F, PageRequest), Vec<i64>> = HashMap::new();
    for key in keys {
        groups
            .entry((key.filter.clone(), key.page.clone()))
            .or_default()
            .push(key.parent);
    }
    groups
}

/// Pages of services per account, by status filter.
pub struct ServicesPageLoader(DatabaseConnection);

impl Loader<ChildPageKey<Vec<ServiceStatus>>> for ServicesPageLoader {
    type Value = (Page<service::Model>, i64);
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ChildPageKey<Vec<ServiceStatus>>],
    ) -> Result<HashMap<ChildPageKey<Vec<ServiceStatus>>, Self::Value>, LoadError> {
        let mut out = HashMap::new();
        for ((statuses, page), parents) in group(keys) {
            let mut pages = domain::service::pages_for(&self.0, &parents, &statuses, &page)
                .await
                .map_err(Arc::new)?;
            for parent in parents {
                let value = pages.remove(&parent).unwrap_or_else(|| (Page::empty(), 0));
                out.insert(
                    ChildPageKey {
                        parent,
                        filter: statuses.clone(),
                        page: page.clone(),
                    },
                    value,
                );
            }
        }
        Ok(out)
    }
}

/// Pages of activity entries per account, newest first.
pub struct ActivityPageLoader(DatabaseConnection);

impl Loader<ChildPageKey<()>> for ActivityPageLoader {
    type Value = (Page<activity::Model>, i64);
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ChildPageKey<()>],
    ) -> Result<HashMap<ChildPageKey<()>, Self::Value>, LoadError> {
        let mut out = HashMap::new();
        for (((), page), parents) in group(keys) {
            let mut pages = domain::page::fetch_children::<activity::Entity, _>(
                &self.0,
                activity::Column::AccountId,
                &parents,
                sea_orm::sea_query::Condition::all(),
                true,
                &page,
            )
            .await
            .map_err(Arc::new)?;
            for parent in parents {
                let value = pages.remove(&parent).unwrap_or_else(|| (Page::empty(), 0));
                out.insert(
                    ChildPageKey {
                        parent,
                        filter: (),
                        page: page.clone(),
                    },
                    value,
                );
            }
        }
        Ok(out)
    }
}

/// The pending change request of each service (`None` cached for services without one).
pub struct PendingChangeLoader(DatabaseConnection);

impl Loader<i64> for PendingChangeLoader {
    type Value = Option<change_request::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, LoadError> {
        let mut found = domain::service::pending_changes_for(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.remove(k))).collect())
    }
}

/// A loader with a cache that lives as long as its request: lists prefetch whole levels
/// with `load_many`, and the per-row `load_one` calls then hit the cache, so the number of
/// statements never depends on how the executor interleaves rows.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Every loader of one request.
pub struct Loaders {
    pub account: Cached<ById<account::Entity>>,
    pub partner: Cached<ById<partner::Entity>>,
    pub partner_settings: Cached<ById<partner_portal_settings::Entity>>,
    pub email_template: Cached<ById<email_template::Entity>>,
    pub tariff: Cached<ById<tariff::Entity>>,
    pub totals: Cached<TotalsLoader>,
    pub services: Cached<ServicesPageLoader>,
    pub pending_change: Cached<PendingChangeLoader>,
    pub activity: Cached<ActivityPageLoader>,
}

fn cached<T: Send + Sync + 'static>(loader: T) -> Cached<T> {
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            account: cached(ById(db.clone(), PhantomData)),
            partner: cached(ById(db.clone(), PhantomData)),
            partner_settings: cached(ById(db.clone(), PhantomData)),
            email_template: cached(ById(db.clone(), PhantomData)),
            tariff: cached(ById(db.clone(), PhantomData)),
            totals: cached(TotalsLoader(db.clone())),
            services: cached(ServicesPageLoader(db.clone())),
            pending_change: cached(PendingChangeLoader(db.clone())),
            activity: cached(ActivityPageLoader(db.clone())),
        }
    }
}
