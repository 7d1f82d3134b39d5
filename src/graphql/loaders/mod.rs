//! DataLoaders, built per request (they cache per request; a process-wide cache would leak
//! data between viewers) and batched by [`super::batch`]. One loader per relation, keyed by
//! the parent id; aggregates and nested pages have their own batched loaders. What part of
//! a list a viewer sees is a scope from the policy, carried in the key; what is reached
//! through a loader is authorized by the guards ([`super::guards`]).

use std::{collections::HashMap, hash::Hash, marker::PhantomData, sync::Arc};

use async_graphql::dataloader::Loader;
use sea_orm::{
    DatabaseConnection, EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter, sea_query::Expr,
};

use entity::{
    account, activity, change_request, document, email_template,
    enums::{DocumentKind, OrderStatus, ServiceStatus},
    internet_session, invoice, invoice_line, notification, order, order_item, partner,
    partner_portal_settings, service, service_request, staff_user, tariff, ticket, ticket_message,
    voice_call,
};

use super::batch::{Batched, Batcher};
use crate::{
    AppState,
    auth::Viewer,
    db::page::{self, Page},
    domain::{self, service::Totals},
    error::AppError,
    policy::scope::{self, Deferred},
};

mod pages;
mod usage;

pub use pages::{
    AnyOf, ChildFilter, PageKey, Paged, PagesOf, PaidForOthers, SubAccounts, SubAccountsLoader,
    TicketFilter, TicketsLoader,
};
pub use usage::{Between, CallsBetween, InternetLoader, SessionsBetween, UsageKey, VoiceLoader};

pub type LoadError = Arc<AppError>;

/// Turns a loader error into a GraphQL error with its code.
pub fn gql(e: LoadError) -> async_graphql::Error {
    crate::error::shared(&e)
}

fn failed(e: impl Into<AppError>) -> LoadError {
    Arc::new(e.into())
}

/// Rows of one table by primary key (`id`), within a scope: everything for the rows the
/// guards decide about; the policy's scope for a derived record (a notification about an
/// object the viewer may not see is not found, as in its lists).
pub struct ById<E> {
    db: DatabaseConnection,
    scope: Deferred,
    entity: PhantomData<E>,
}

impl<E> ById<E> {
    fn new(db: &DatabaseConnection) -> Self {
        Self::scoped(db, Deferred::everything())
    }

    fn scoped(db: &DatabaseConnection, scope: Deferred) -> Self {
        Self {
            db: db.clone(),
            scope,
            entity: PhantomData,
        }
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

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, LoadError> {
        let rows = with_ids::<E>(keys)?
            .filter(self.scope.condition())
            .all(&self.db)
            .await
            .map_err(failed)?;
        rows.into_iter()
            .map(|row| Ok((page::model_id::<E>(&row)?, row)))
            .collect::<Result<_, AppError>>()
            .map_err(Arc::new)
    }
}

/// Rows of a table that belong to an account, by primary key, each read with its owner
/// account in the same statement (a join). The guards decide about such a row with its
/// owner ([`super::guards`]): the owner goes into the request's account loader, so the
/// decision costs no statement of its own.
pub struct OwnedById<E: EntityTrait> {
    db: DatabaseConnection,
    owner: E::Column,
    accounts: Cached<ById<account::Entity>>,
    /// A derived record's scope (activity entries); everything for other rows, which the
    /// guards decide about.
    scope: Deferred,
}

impl<E: EntityTrait> OwnedById<E> {
    fn new(
        db: &DatabaseConnection,
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

    fn scoped(mut self, scope: Deferred) -> Self {
        self.scope = scope;
        self
    }
}

impl<E> Loader<i64> for OwnedById<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, LoadError> {
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
        let mut out = HashMap::with_capacity(rows.len());
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

/// What each account's own orders of this month add up to (against its spending cap).
pub struct SpentLoader(DatabaseConnection);

impl Loader<i64> for SpentLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, i64>, LoadError> {
        let mut found = domain::order::controls::spent_this_month(&self.0, keys, domain::now())
            .await
            .map_err(Arc::new)?;
        for key in keys {
            found.entry(*key).or_default();
        }
        Ok(found)
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
            .filter(crate::db::among::column_among(
                self.parent,
                keys.iter().copied(),
            ))
            .order_by_asc(Expr::col(sea_orm::sea_query::Alias::new("id")))
            .all(&self.db)
            .await
            .map_err(failed)?;
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

pub use crate::domain::catalog::TariffCache;

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
pub struct CatalogLoader(DatabaseConnection);

impl Loader<()> for CatalogLoader {
    type Value = Arc<Vec<tariff::Model>>;
    type Error = LoadError;

    async fn load(&self, _: &[()]) -> Result<HashMap<(), Self::Value>, LoadError> {
        let all = domain::catalog::tariffs(&self.0, None)
            .await
            .map_err(Arc::new)?;
        Ok(HashMap::from([((), Arc::new(all))]))
    }
}

/// The viewer's former sub-accounts, frozen as they were when unlinked (read once per
/// request, and only when an account the viewer may not see otherwise is asked for).
pub struct FormerSubsLoader {
    db: DatabaseConnection,
    main: Option<i64>,
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

impl Loader<()> for FormerSubsLoader {
    type Value = FormerSubs;
    type Error = LoadError;

    async fn load(&self, _: &[()]) -> Result<HashMap<(), Self::Value>, LoadError> {
        let found = match self.main {
            Some(main) => domain::account::former::of_main(&self.db, main)
                .await
                .map_err(Arc::new)?,
            None => HashMap::new(),
        };
        Ok(HashMap::from([((), Arc::new(found))]))
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
    pub catalog: Cached<CatalogLoader, ()>,
    pub former_subs: Cached<FormerSubsLoader, ()>,
    pub service: Cached<OwnedById<service::Entity>>,
    pub change_request: Cached<ById<change_request::Entity>>,
    pub order: Cached<OwnedById<order::Entity>>,
    pub service_request: Cached<ById<service_request::Entity>>,
    pub invoice: Cached<OwnedById<invoice::Entity>>,
    pub document: Cached<OwnedById<document::Entity>>,
    pub ticket: Cached<OwnedById<ticket::Entity>>,
    pub notification: Cached<ById<notification::Entity>>,
    pub staff_user: Cached<ById<staff_user::Entity>>,
    pub activity_entry: Cached<OwnedById<activity::Entity>>,
    pub ticket_message: Cached<ById<ticket_message::Entity>>,
    pub voice_call: Cached<OwnedById<voice_call::Entity>>,
    pub internet_session: Cached<OwnedById<internet_session::Entity>>,
    pub totals: Cached<TotalsLoader>,
    pub spent: Cached<SpentLoader>,
    pub pending_change: Cached<PendingChangeLoader>,
    pub services:
        Cached<PagesOf<service::Entity, AnyOf<ServiceStatus>>, PageKey<AnyOf<ServiceStatus>>>,
    pub activity: Cached<PagesOf<activity::Entity, ()>, PageKey<()>>,
    pub orders: Cached<PagesOf<order::Entity, AnyOf<OrderStatus>>, PageKey<AnyOf<OrderStatus>>>,
    pub paid_for_others: Cached<PagesOf<order::Entity, PaidForOthers>, PageKey<PaidForOthers>>,
    pub invoices: Cached<PagesOf<invoice::Entity, ()>, PageKey<()>>,
    pub documents:
        Cached<PagesOf<document::Entity, AnyOf<DocumentKind>>, PageKey<AnyOf<DocumentKind>>>,
    pub tickets: Cached<TicketsLoader, PageKey<TicketFilter>>,
    pub sub_accounts: Cached<SubAccountsLoader, PageKey<SubAccounts>>,
    pub internet: Cached<InternetLoader, UsageKey>,
    pub voice: Cached<VoiceLoader, UsageKey>,
    pub calls: Cached<PagesOf<voice_call::Entity, CallsBetween>, PageKey<CallsBetween>>,
    pub sessions:
        Cached<PagesOf<internet_session::Entity, SessionsBetween>, PageKey<SessionsBetween>>,
    pub ticket_messages: Cached<PagesOf<ticket_message::Entity, ()>, PageKey<()>>,
    pub order_items: Cached<ChildrenOf<order_item::Entity>>,
    pub item_requests: Cached<ChildrenOf<service_request::Entity>>,
    pub invoice_lines: Cached<ChildrenOf<invoice_line::Entity>>,
}

impl Loaders {
    /// The batches of this request's loaders, which [`super::batch::Driven`] runs.
    pub fn batcher(&self) -> Arc<Batcher> {
        self.batcher.clone()
    }

    /// The loaders of one request by `viewer`: its lists read through the viewer's scopes.
    pub fn new(state: &AppState, viewer: &Viewer) -> Self {
        let db = &state.db;
        let batcher = Arc::new(Batcher::default());
        let viewer = Arc::new(viewer.clone());
        let account = Batched::new(&batcher, ById::new(db));
        let totals = Batched::new(&batcher, TotalsLoader(db.clone()));
        Self {
            partner: Batched::new(&batcher, ById::new(db)),
            partner_settings: Batched::new(&batcher, ById::new(db)),
            email_template: Batched::new(&batcher, ById::new(db)),
            tariff: Batched::new(&batcher, TariffLoader(db.clone(), state.tariffs.clone())),
            catalog: Batched::new(&batcher, CatalogLoader(db.clone())),
            former_subs: Batched::new(
                &batcher,
                FormerSubsLoader {
                    db: db.clone(),
                    main: viewer.account().map(|a| a.id),
                },
            ),
            service: Batched::new(
                &batcher,
                OwnedById::new(db, service::Column::AccountId, &account),
            ),
            change_request: Batched::new(&batcher, ById::new(db)),
            order: Batched::new(
                &batcher,
                OwnedById::new(db, order::Column::AccountId, &account),
            ),
            service_request: Batched::new(&batcher, ById::new(db)),
            invoice: Batched::new(
                &batcher,
                OwnedById::new(db, invoice::Column::AccountId, &account),
            ),
            document: Batched::new(
                &batcher,
                OwnedById::new(db, document::Column::AccountId, &account),
            ),
            ticket: Batched::new(
                &batcher,
                OwnedById::new(db, ticket::Column::AccountId, &account),
            ),
            notification: Batched::new(
                &batcher,
                ById::scoped(db, Deferred::of(&viewer, scope::notifications)),
            ),
            staff_user: Batched::new(&batcher, ById::new(db)),
            activity_entry: Batched::new(
                &batcher,
                OwnedById::new(db, activity::Column::AccountId, &account)
                    .scoped(Deferred::of(&viewer, scope::activity)),
            ),
            ticket_message: Batched::new(&batcher, ById::new(db)),
            voice_call: Batched::new(
                &batcher,
                OwnedById::new(db, voice_call::Column::AccountId, &account),
            ),
            internet_session: Batched::new(
                &batcher,
                OwnedById::new(db, internet_session::Column::AccountId, &account),
            ),
            spent: Batched::new(&batcher, SpentLoader(db.clone())),
            pending_change: Batched::new(&batcher, PendingChangeLoader(db.clone())),
            services: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    service::Column::AccountId,
                    false,
                    Deferred::of(&viewer, scope::services),
                ),
            ),
            activity: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    activity::Column::AccountId,
                    true,
                    Deferred::of(&viewer, scope::activity),
                ),
            ),
            orders: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    order::Column::AccountId,
                    true,
                    Deferred::of(&viewer, scope::orders),
                ),
            ),
            paid_for_others: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    order::Column::PayerId,
                    true,
                    Deferred::of(&viewer, scope::orders),
                ),
            ),
            invoices: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    invoice::Column::AccountId,
                    true,
                    Deferred::of(&viewer, scope::invoices),
                ),
            ),
            documents: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    document::Column::AccountId,
                    true,
                    Deferred::of(&viewer, scope::documents),
                ),
            ),
            tickets: Batched::new(
                &batcher,
                TicketsLoader {
                    db: db.clone(),
                    scope: Deferred::of(&viewer, scope::tickets),
                },
            ),
            sub_accounts: Batched::new(
                &batcher,
                SubAccountsLoader {
                    db: db.clone(),
                    viewer: viewer.clone(),
                    totals: totals.clone(),
                },
            ),
            internet: Batched::new(&batcher, InternetLoader(db.clone())),
            voice: Batched::new(&batcher, VoiceLoader(db.clone())),
            // Usage is listed by when it happened, newest first (recorded later or not).
            calls: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    voice_call::Column::AccountId,
                    true,
                    Deferred::of(&viewer, scope::voice_calls),
                )
                .sorted_by(
                    voice_call::Column::StartedAt,
                    crate::db::children::KeyKind::Time,
                ),
            ),
            sessions: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    internet_session::Column::AccountId,
                    true,
                    Deferred::of(&viewer, scope::internet_sessions),
                )
                .sorted_by(
                    internet_session::Column::StartedAt,
                    crate::db::children::KeyKind::Time,
                ),
            ),
            ticket_messages: Batched::new(
                &batcher,
                PagesOf::new(
                    db,
                    ticket_message::Column::TicketId,
                    false,
                    Deferred::of(&viewer, scope::ticket_messages),
                ),
            ),
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
            account,
            totals,
            batcher,
        }
    }
}

/// A connection of one parent's list through its loader: the key's page, its total read
/// only when the client selected `totalCount` on this field.
pub async fn page_of<F, L, N, M>(
    ctx: &async_graphql::Context<'_>,
    loader: &Cached<L, PageKey<F>>,
    key: PageKey<F>,
    wrap: fn(M) -> N,
) -> async_graphql::Result<super::connection::Connection<N>>
where
    F: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<PageKey<F>, Value = Paged<M>, Error = LoadError>,
    N: super::connection::ConnectionNode,
    M: Clone + Send + Sync + 'static,
{
    let key = key.counted(super::connection::wants_total(ctx));
    let (page, total) = loader
        .load_one(key)
        .await
        .map_err(gql)?
        .unwrap_or_else(|| (Page::empty(), 0));
    // The resolvers own their rows: the loader's cache keeps its own.
    Ok(super::connection::Connection::new(
        page.map(|row| wrap(Arc::unwrap_or_clone(row))),
        total,
    ))
}
