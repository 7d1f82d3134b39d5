//! DataLoaders, built per request (they cache per request; a process-wide cache would leak
//! data between viewers) and batched by [`super::batch`]. One loader per relation, keyed by
//! the parent id; aggregates and nested pages have their own batched loaders. What part of
//! a list a viewer sees is a scope from the policy, carried in the key; what is reached
//! through a loader is authorized by the guards ([`super::guards`]).
//!
//! Here: the request's set of loaders ([`Loaders`], each made when first read through);
//! rows by id and whole child lists in [`relations`], nested pages in [`pages`], usage
//! figures in [`usage`].

use std::{
    hash::Hash,
    sync::{Arc, OnceLock},
};

use entity::{
    account, activity, change_request, document, email_template,
    enums::{DocumentKind, OrderStatus, ServiceStatus},
    internet_session, invoice, invoice_line, notification, order, order_item, partner,
    partner_portal_settings, service, service_request, staff_user, ticket, ticket_message,
    voice_call,
};

use super::batch::{Batched, Batcher};
use crate::{
    AppState,
    auth::Viewer,
    db::{page::Page, reads::Reads},
    error::AppError,
    graphql::batch::Load,
    policy::scope::{self, Deferred},
};

mod folding;
mod pages;
mod relations;
mod sub_accounts;
mod tickets;
mod usage;

pub use folding::{Fold, Folding, Under};
pub use pages::{AnyOf, ChildFilter, Nests, PageKey, Paged, PagesOf, PaidForOthers, Vouched};
pub use relations::{
    ById, CatalogLoader, ChildrenOf, FormerSubs, FormerSubsLoader, OwnedById, PendingChangeLoader,
    Seen, SpentLoader, TariffCache, TariffLoader, TotalsLoader,
};
pub use sub_accounts::{SubAccounts, SubAccountsLoader};
pub use tickets::{TicketFilter, TicketsLoader};
pub use usage::{Between, CallsBetween, InternetLoader, SessionsBetween, UsageKey, VoiceLoader};

pub type LoadError = Arc<AppError>;

/// Turns a loader error into a GraphQL error with its code.
pub fn gql(e: LoadError) -> async_graphql::Error {
    crate::error::shared(&e)
}

fn failed(e: impl Into<AppError>) -> LoadError {
    Arc::new(e.into())
}

/// A loader of the request, batched by [`super::batch`].
pub type Cached<T, K = i64> = Arc<Batched<K, T>>;

/// What the request's loaders are made of.
struct Made {
    db: Reads,
    viewer: Arc<Viewer>,
    batcher: Arc<Batcher>,
    tariffs: TariffCache,
    /// The loaders others hand their rows to (made at once).
    account: Cached<ById<account::Entity>>,
    totals: Cached<TotalsLoader>,
    /// Accounts read by other loaders (a page's rows), which the account loader takes.
    seen_accounts: Arc<Seen<account::Model>>,
    /// Tickets read through the viewer's scope of tickets, whose messages are read
    /// without checking them again.
    vouched_tickets: Arc<Vouched>,
    /// Lists may be read in their parent's statement: on PostgreSQL, unless the operator
    /// says otherwise (`Config::folded_lists`; [`folding`]).
    folds: bool,
}

/// A loader made the first time the request reads through it: a request reads through a
/// few of its forty, and making and dropping all of them (each a batch slot, a cache and a
/// scope) was a share of a small request's CPU of its own.
pub struct Lazy<T> {
    made: OnceLock<T>,
    of: Arc<Made>,
    make: fn(&Made) -> T,
}

impl<T> Lazy<T> {
    fn new(of: &Arc<Made>, make: fn(&Made) -> T) -> Self {
        Self {
            made: OnceLock::new(),
            of: of.clone(),
            make,
        }
    }
}

impl<T> std::ops::Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.made.get_or_init(|| (self.make)(&self.of))
    }
}

/// A lazily made loader of nested pages of `E` narrowed by `F`.
pub type Paging<E, F> = Lazy<Cached<PagesOf<E, F>, PageKey<F>>>;

/// Every loader of one request.
pub struct Loaders {
    batcher: Arc<Batcher>,
    /// What the loaders are made of (the database, the viewer).
    made: Arc<Made>,
    /// What has been read past the batches, a bit each ([`folding::Past`]).
    read_past_batches: std::sync::atomic::AtomicU8,
    pub account: Cached<ById<account::Entity>>,
    pub partner: Lazy<Cached<ById<partner::Entity>>>,
    pub partner_settings: Lazy<Cached<ById<partner_portal_settings::Entity>>>,
    pub email_template: Lazy<Cached<ById<email_template::Entity>>>,
    pub tariff: Lazy<Cached<TariffLoader>>,
    pub catalog: Lazy<Cached<CatalogLoader, ()>>,
    pub former_subs: Lazy<Cached<FormerSubsLoader, ()>>,
    pub service: Lazy<Cached<OwnedById<service::Entity>>>,
    pub change_request: Lazy<Cached<ById<change_request::Entity>>>,
    pub order: Lazy<Cached<OwnedById<order::Entity>>>,
    pub service_request: Lazy<Cached<ById<service_request::Entity>>>,
    pub invoice: Lazy<Cached<OwnedById<invoice::Entity>>>,
    pub document: Lazy<Cached<OwnedById<document::Entity>>>,
    pub ticket: Lazy<Cached<OwnedById<ticket::Entity>>>,
    pub notification: Lazy<Cached<ById<notification::Entity>>>,
    pub staff_user: Lazy<Cached<ById<staff_user::Entity>>>,
    pub activity_entry: Lazy<Cached<OwnedById<activity::Entity>>>,
    pub ticket_message: Lazy<Cached<ById<ticket_message::Entity>>>,
    pub voice_call: Lazy<Cached<OwnedById<voice_call::Entity>>>,
    pub internet_session: Lazy<Cached<OwnedById<internet_session::Entity>>>,
    pub totals: Cached<TotalsLoader>,
    pub spent: Lazy<Cached<SpentLoader>>,
    pub pending_change: Lazy<Cached<PendingChangeLoader>>,
    pub services: Paging<service::Entity, AnyOf<ServiceStatus>>,
    pub activity: Paging<activity::Entity, ()>,
    pub orders: Paging<order::Entity, AnyOf<OrderStatus>>,
    pub paid_for_others: Paging<order::Entity, PaidForOthers>,
    pub invoices: Paging<invoice::Entity, ()>,
    pub documents: Paging<document::Entity, AnyOf<DocumentKind>>,
    pub tickets: Lazy<Cached<TicketsLoader, PageKey<TicketFilter>>>,
    pub sub_accounts: Lazy<Cached<SubAccountsLoader, PageKey<SubAccounts>>>,
    pub internet: Lazy<Cached<InternetLoader, UsageKey>>,
    pub voice: Lazy<Cached<VoiceLoader, UsageKey>>,
    pub calls: Paging<voice_call::Entity, CallsBetween>,
    pub sessions: Paging<internet_session::Entity, SessionsBetween>,
    pub ticket_messages: Paging<ticket_message::Entity, ()>,
    pub order_items: Lazy<Cached<ChildrenOf<order_item::Entity>>>,
    pub item_requests: Lazy<Cached<ChildrenOf<service_request::Entity>>>,
    pub invoice_lines: Lazy<Cached<ChildrenOf<invoice_line::Entity>>>,
}

impl Loaders {
    /// The batches of this request's loaders, which [`super::batch::Driven`] runs.
    pub fn batcher(&self) -> Arc<Batcher> {
        self.batcher.clone()
    }

    /// Accounts by id for a reader of derived records, which reads only some of their
    /// columns ([`crate::domain::record::account_columns`]): rows this request read with
    /// those (a compiled plan's page) as they are, the rest through the account loader.
    pub async fn accounts_to_read(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<crate::Map<i64, account::Model>, LoadError> {
        use crate::db::rows::Columns;
        // Found once: it is asked for each derived record a request reads.
        static READ: std::sync::LazyLock<Columns> = std::sync::LazyLock::new(|| {
            let names: Vec<&str> = crate::domain::record::account_columns().collect();
            Columns::of::<account::Model>(&names)
        });
        let ids: Vec<i64> = ids.into_iter().collect();
        let (mut found, rest) = self.made.seen_accounts.take(&ids, *READ);
        if !rest.is_empty() {
            let rest: crate::Map<_, _> = self.account.load_many(rest).await?;
            found.extend(rest);
        }
        Ok(found)
    }

    /// The loaders of one request by `viewer`: its lists read through the viewer's scopes.
    pub fn new(state: &AppState, viewer: &Viewer) -> Self {
        let db = &state.reads;
        let batcher = Arc::new(Batcher::default());
        let seen_accounts = Arc::new(Seen::default());
        batcher.keeps(&seen_accounts);
        let vouched_tickets = Arc::new(Vouched::default());
        batcher.keeps(&vouched_tickets);
        let account = Batched::new(&batcher, ById::seeing(db, &seen_accounts));
        let totals = Batched::new(&batcher, TotalsLoader(db.clone()));
        let ctx = Arc::new(Made {
            db: db.clone(),
            viewer: Arc::new(viewer.clone()),
            batcher: batcher.clone(),
            tariffs: state.tariffs.clone(),
            account: account.clone(),
            totals: totals.clone(),
            seen_accounts,
            vouched_tickets,
            folds: state.config.folded_lists
                && state.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres,
        });
        Self {
            partner: Lazy::new(&ctx, |c| Batched::new(&c.batcher, ById::new(&c.db))),
            partner_settings: Lazy::new(&ctx, |c| Batched::new(&c.batcher, ById::new(&c.db))),
            email_template: Lazy::new(&ctx, |c| Batched::new(&c.batcher, ById::new(&c.db))),
            tariff: Lazy::new(&ctx, |c| {
                Batched::new(&c.batcher, TariffLoader(c.db.clone(), c.tariffs.clone()))
            }),
            catalog: Lazy::new(&ctx, |c| {
                Batched::new(&c.batcher, CatalogLoader(c.db.clone()))
            }),
            former_subs: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    FormerSubsLoader {
                        db: c.db.clone(),
                        main: c.viewer.account().map(|a| a.id),
                    },
                )
            }),
            service: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, service::Column::AccountId, &c.account),
                )
            }),
            change_request: Lazy::new(&ctx, |c| Batched::new(&c.batcher, ById::new(&c.db))),
            order: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, order::Column::AccountId, &c.account),
                )
            }),
            service_request: Lazy::new(&ctx, |c| Batched::new(&c.batcher, ById::new(&c.db))),
            invoice: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, invoice::Column::AccountId, &c.account),
                )
            }),
            document: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, document::Column::AccountId, &c.account),
                )
            }),
            ticket: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, ticket::Column::AccountId, &c.account),
                )
            }),
            notification: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    ById::scoped(&c.db, Deferred::of(&c.viewer, scope::notifications)),
                )
            }),
            staff_user: Lazy::new(&ctx, |c| Batched::new(&c.batcher, ById::new(&c.db))),
            activity_entry: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, activity::Column::AccountId, &c.account)
                        .scoped(Deferred::of(&c.viewer, scope::activity)),
                )
            }),
            ticket_message: Lazy::new(&ctx, |c| Batched::new(&c.batcher, ById::new(&c.db))),
            voice_call: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, voice_call::Column::AccountId, &c.account),
                )
            }),
            internet_session: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    OwnedById::new(&c.db, internet_session::Column::AccountId, &c.account),
                )
            }),
            spent: Lazy::new(&ctx, |c| {
                Batched::new(&c.batcher, SpentLoader(c.db.clone()))
            }),
            pending_change: Lazy::new(&ctx, |c| {
                Batched::new(&c.batcher, PendingChangeLoader(c.db.clone()))
            }),
            services: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        service::Column::AccountId,
                        false,
                        pages::Scope::owned(&c.viewer, scope::Owned::Services),
                    ),
                )
            }),
            activity: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        activity::Column::AccountId,
                        true,
                        Deferred::of(&c.viewer, scope::activity),
                    ),
                )
            }),
            orders: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        order::Column::AccountId,
                        true,
                        Deferred::of(&c.viewer, scope::orders),
                    ),
                )
            }),
            paid_for_others: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        order::Column::PayerId,
                        true,
                        Deferred::of(&c.viewer, scope::orders),
                    ),
                )
            }),
            invoices: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        invoice::Column::AccountId,
                        true,
                        pages::Scope::owned(&c.viewer, scope::Owned::Invoices),
                    ),
                )
            }),
            documents: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        document::Column::AccountId,
                        true,
                        pages::Scope::owned(&c.viewer, scope::Owned::Documents),
                    ),
                )
            }),
            tickets: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    TicketsLoader {
                        db: c.db.clone(),
                        scope: pages::OwnedScope::of(&c.viewer, scope::Owned::Tickets),
                        vouched: c.vouched_tickets.clone(),
                    },
                )
            }),
            sub_accounts: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    SubAccountsLoader {
                        db: c.db.clone(),
                        viewer: c.viewer.clone(),
                        totals: c.totals.clone(),
                        seen: c.seen_accounts.clone(),
                    },
                )
            }),
            internet: Lazy::new(&ctx, |c| {
                Batched::new(&c.batcher, InternetLoader(c.db.clone()))
            }),
            voice: Lazy::new(&ctx, |c| {
                Batched::new(&c.batcher, VoiceLoader(c.db.clone()))
            }),
            // Usage is listed by when it happened, newest first (recorded later or not).
            calls: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        voice_call::Column::AccountId,
                        true,
                        pages::Scope::owned(&c.viewer, scope::Owned::VoiceCalls),
                    )
                    .sorted_by(
                        voice_call::Column::StartedAt,
                        crate::db::children::KeyKind::Time,
                    ),
                )
            }),
            sessions: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        internet_session::Column::AccountId,
                        true,
                        pages::Scope::owned(&c.viewer, scope::Owned::InternetSessions),
                    )
                    .sorted_by(
                        internet_session::Column::StartedAt,
                        crate::db::children::KeyKind::Time,
                    ),
                )
            }),
            ticket_messages: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    PagesOf::new(
                        &c.db,
                        ticket_message::Column::TicketId,
                        false,
                        pages::Scope::parent(
                            &c.viewer,
                            scope::ticket_messages_of,
                            &c.vouched_tickets,
                        ),
                    ),
                )
            }),
            order_items: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    ChildrenOf {
                        db: c.db.clone(),
                        parent: order_item::Column::OrderId,
                    },
                )
            }),
            item_requests: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    ChildrenOf {
                        db: c.db.clone(),
                        parent: service_request::Column::OrderItemId,
                    },
                )
            }),
            invoice_lines: Lazy::new(&ctx, |c| {
                Batched::new(
                    &c.batcher,
                    ChildrenOf {
                        db: c.db.clone(),
                        parent: invoice_line::Column::InvoiceId,
                    },
                )
            }),
            account,
            totals,
            batcher,
            made: ctx,
            read_past_batches: Default::default(),
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
    L: Load<PageKey<F>, Value = Paged<M>, Error = LoadError>,
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
