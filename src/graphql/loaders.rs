//! DataLoaders, built per request (they cache per request; a process-wide cache would leak
//! data between viewers). One loader per relation, keyed by the parent id; aggregates and
//! nested pages have their own batched loaders. Authorization is checked by the resolvers
//! on what a loader returns.

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use async_graphql::dataloader::Loader;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter,
    sea_query::{Condition, Expr, ExprTrait},
};

use entity::{
    account, activity, change_request, document, email_template, invoice, invoice_line, order,
    order_item, partner, partner_portal_settings, service, service_request, tariff, ticket,
    ticket_message,
};

use super::batch::{Batched, Batcher};
use crate::{
    db::page::{Page, PageRequest},
    domain::{self, service::Totals},
    error::AppError,
};

pub type LoadError = Arc<AppError>;

/// Turns a loader error into a GraphQL error with its code.
pub fn gql(e: LoadError) -> async_graphql::Error {
    crate::error::shared(&e)
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
            .map(|row| Ok((crate::db::page::model_id::<E>(&row)?, row)))
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

/// Pages of the children of many parents (one statement per distinct page request):
/// `filter_column` narrows by a list of text values (statuses, kinds), `extra` adds a fixed
/// condition.
pub struct PagesOf<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    filter_column: Option<E::Column>,
    extra: fn() -> Condition,
    descending: bool,
}

fn no_condition() -> Condition {
    Condition::all()
}

impl<E: EntityTrait> PagesOf<E> {
    fn new(
        db: &DatabaseConnection,
        parent: E::Column,
        filter_column: Option<E::Column>,
        descending: bool,
    ) -> Self {
        Self {
            db: db.clone(),
            parent,
            filter_column,
            extra: no_condition,
            descending,
        }
    }
}

/// The key of a nested page whose filter is a list of text values.
pub type PageKey = ChildPageKey<Vec<String>>;

impl<E> Loader<PageKey> for PagesOf<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    type Value = (Page<E::Model>, i64);
    type Error = LoadError;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, LoadError> {
        let mut out = HashMap::new();
        for ((values, page), parents) in group(keys) {
            let mut filter = (self.extra)();
            if let (Some(column), false) = (self.filter_column, values.is_empty()) {
                filter = filter.add(column.is_in(values.iter().cloned()));
            }
            let mut pages = crate::db::page::fetch_children::<E, _>(
                &self.db,
                self.parent,
                &parents,
                filter,
                self.descending,
                &page,
            )
            .await
            .map_err(Arc::new)?;
            for parent in parents {
                let value = pages.remove(&parent).unwrap_or_else(|| (Page::empty(), 0));
                out.insert(
                    ChildPageKey {
                        parent,
                        filter: values.clone(),
                        page: page.clone(),
                    },
                    value,
                );
            }
        }
        Ok(out)
    }
}

/// All children of many parents, in id order (order items, invoice lines, ...).
pub struct ChildrenOf<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
}

impl<E> Loader<i64> for ChildrenOf<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<E::Model>>, LoadError> {
        use sea_orm::{ModelTrait, QueryOrder};
        let rows = E::find()
            .filter(self.parent.is_in(keys.iter().copied()))
            .order_by_asc(Expr::col(sea_orm::sea_query::Alias::new("id")))
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        let mut out: HashMap<i64, Vec<E::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let sea_orm::Value::BigInt(Some(parent)) = row.get(self.parent) {
                out.entry(parent).or_default().push(row);
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

/// Tariffs by id, kept for the life of the process: tariffs are insert-only (there is
/// `createTariff`, no update and no delete), so a row once read never changes. Should tariffs
/// ever become editable, this cache has to go (or be invalidated across replicas).
pub type TariffCache = Arc<std::sync::RwLock<HashMap<i64, tariff::Model>>>;

/// Loads tariffs through the process-wide [`TariffCache`]: only ids never seen hit the database.
pub struct TariffLoader(DatabaseConnection, TariffCache);

impl Loader<i64> for TariffLoader {
    type Value = tariff::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, tariff::Model>, LoadError> {
        let mut found = HashMap::with_capacity(keys.len());
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
            let loaded = ById::<tariff::Entity>(self.0.clone(), PhantomData)
                .load(&missing)
                .await?;
            let mut cache = self.1.write().unwrap_or_else(|e| e.into_inner());
            for (id, t) in loaded {
                cache.insert(id, t.clone());
                found.insert(id, t);
            }
        }
        Ok(found)
    }
}

/// A loader of the request, batched by [`super::batch`].
pub type Cached<T, K = i64> = Arc<Batched<K, T>>;

/// Every loader of one request.
pub struct Loaders {
    batcher: Arc<Batcher>,
    pub account: Cached<ById<account::Entity>>,
    pub partner: Cached<ById<partner::Entity>>,
    pub partner_settings: Cached<ById<partner_portal_settings::Entity>>,
    pub email_template: Cached<ById<email_template::Entity>>,
    pub tariff: Cached<TariffLoader>,
    pub service: Cached<ById<service::Entity>>,
    pub order: Cached<ById<order::Entity>>,
    pub invoice: Cached<ById<invoice::Entity>>,
    pub document: Cached<ById<document::Entity>>,
    pub totals: Cached<TotalsLoader>,
    pub services: Cached<PagesOf<service::Entity>, PageKey>,
    pub pending_change: Cached<PendingChangeLoader>,
    pub activity: Cached<PagesOf<activity::Entity>, PageKey>,
    pub orders: Cached<PagesOf<order::Entity>, PageKey>,
    pub sub_account_orders: Cached<PagesOf<order::Entity>, PageKey>,
    pub self_placed_orders: Cached<PagesOf<order::Entity>, PageKey>,
    pub invoices: Cached<PagesOf<invoice::Entity>, PageKey>,
    pub documents: Cached<PagesOf<document::Entity>, PageKey>,
    pub tickets: Cached<PagesOf<ticket::Entity>, PageKey>,
    pub unhidden_tickets: Cached<PagesOf<ticket::Entity>, PageKey>,
    pub ticket_messages: Cached<PagesOf<ticket_message::Entity>, PageKey>,
    pub ticket: Cached<ById<ticket::Entity>>,
    pub order_items: Cached<ChildrenOf<order_item::Entity>>,
    pub item_requests: Cached<ChildrenOf<service_request::Entity>>,
    pub invoice_lines: Cached<ChildrenOf<invoice_line::Entity>>,
}

/// Tickets a sub-account did not hide from its main account.
fn not_hidden() -> Condition {
    Condition::all().add(ticket::Column::HiddenFromMain.eq(false))
}

/// Orders an account placed for itself.
fn own_orders() -> Condition {
    Condition::all()
        .add(Expr::col(order::Column::AccountId).eq(Expr::col(order::Column::PlacedById)))
}

/// Orders a main account pays for, or is asked to pay for, that are not its own.
fn others_orders() -> Condition {
    Condition::all().add(Expr::col(order::Column::AccountId).ne(Expr::col(order::Column::PayerId)))
}

impl Loaders {
    /// The batches of this request's loaders, which [`super::batch::Driven`] runs.
    pub fn batcher(&self) -> Arc<Batcher> {
        self.batcher.clone()
    }

    pub fn new(state: &crate::AppState) -> Self {
        let (db, tariffs) = (&state.db, &state.tariffs);
        let batcher = Arc::new(Batcher::default());
        Self {
            batcher: batcher.clone(),
            account: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            partner: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            partner_settings: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            email_template: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            tariff: Batched::new(&batcher, TariffLoader(db.clone(), tariffs.clone())),
            service: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            order: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            invoice: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            document: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            totals: Batched::new(&batcher, TotalsLoader(db.clone())),
            services: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    service::Column::AccountId,
                    Some(service::Column::Status),
                    false,
                ),
            ),
            pending_change: Batched::new(&batcher, PendingChangeLoader(db.clone())),
            activity: Batched::new(
                &batcher,
                PagesOf::new(db, activity::Column::AccountId, None, true),
            ),
            orders: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    order::Column::AccountId,
                    Some(order::Column::Status),
                    true,
                ),
            ),
            sub_account_orders: Batched::new(
                &batcher,
                PagesOf {
                    extra: others_orders,
                    ..PagesOf::new(
                        db,
                        order::Column::PayerId,
                        Some(order::Column::Status),
                        true,
                    )
                },
            ),
            self_placed_orders: Batched::new(
                &batcher,
                PagesOf {
                    extra: own_orders,
                    ..PagesOf::new(
                        db,
                        order::Column::PlacedById,
                        Some(order::Column::Status),
                        true,
                    )
                },
            ),
            invoices: Batched::new(
                &batcher,
                PagesOf::new(db, invoice::Column::AccountId, None, true),
            ),
            documents: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    document::Column::AccountId,
                    Some(document::Column::Kind),
                    true,
                ),
            ),
            tickets: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    ticket::Column::AccountId,
                    Some(ticket::Column::Status),
                    true,
                ),
            ),
            unhidden_tickets: Batched::new(
                &batcher,
                PagesOf {
                    extra: not_hidden,
                    ..PagesOf::new(
                        db,
                        ticket::Column::AccountId,
                        Some(ticket::Column::Status),
                        true,
                    )
                },
            ),
            ticket_messages: Batched::new(
                &batcher,
                PagesOf::new(db, ticket_message::Column::TicketId, None, false),
            ),
            ticket: Batched::new(&batcher, ById(db.clone(), PhantomData)),
            order_items: Batched::new(
                &batcher,
                ChildrenOf {
                    db: db.clone(),
                    parent: order_item::Column::OrderId,
                },
            ),
            item_requests: Batched::new(
                &batcher,
                ChildrenOf {
                    db: db.clone(),
                    parent: service_request::Column::OrderItemId,
                },
            ),
            invoice_lines: Batched::new(
                &batcher,
                ChildrenOf {
                    db: db.clone(),
                    parent: invoice_line::Column::InvoiceId,
                },
            ),
        }
    }
}

/// A nested list of an account: orders, invoices or documents, through its loader.
pub async fn account_page<N: super::connection::ConnectionNode, E>(
    loader: &Cached<PagesOf<E>, PageKey>,
    key: PageKey,
    wrap: fn(E::Model) -> N,
) -> async_graphql::Result<super::connection::Connection<N>>
where
    E: sea_orm::EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    let (page, total) = loader
        .load_one(key)
        .await
        .map_err(gql)?
        .unwrap_or_else(|| (Page::empty(), 0));
    Ok(super::connection::Connection::new(page.map(wrap), total))
}
