//! portal-api: the GraphQL API of an ISP's customer portal, centred on sub-accounts.
//!
//! A tour in reading order:
//! - [`config`]: settings from flags and environment variables.
//! - [`error`]: the one error type and how it reaches clients (`extensions.code`, `userErrors`).
//! - [`money`]: exact amounts as integer minor units.
//! - [`auth`]: JWT access tokens, password hashing, the `Viewer` of a request.
//! - [`policy`]: the one authorization function (viewer, action, target).
//! - [`domain`]: workflows over the database, in transactions; no GraphQL here.
//! - [`db`]: the connection pool (every statement counted), the one way to open a write
//!   transaction, keyset pages, server keys.
//! - [`render`], [`jobs`], [`fixtures`]: PDFs, the background workers, demo and benchmark data.
//! - [`graphql`]: the schema, one module per area, guards, DataLoaders, Relay connections.
//! - [`gate`]: the one door every GraphQL operation passes, whatever the transport: who is
//!   asking, the document, limits, budget, then execution.
//! - [`http`]: the axum router: `/graphql` and `/graphql/ws` (both through the gate),
//!   GraphiQL, documents, health, readiness, metrics.
//! - [`metrics`]: Prometheus text.

pub mod action;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod fixtures;
pub mod gate;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod listen;
pub mod metrics;
pub mod money;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod render;
pub mod shutdown;
pub mod telemetry;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::jwt::JwtKeys, config::Config, domain::payment::PaymentGateway, metrics::Metrics,
};

/// Locks `m`; a lock poisoned by a panic still gives its data: everything kept behind these
/// locks (caches, queues of waiters) is plain data that stays usable.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The maps a request's loaders answer with and its rows are grouped in: a faster hash
/// than SipHash (a page's keys are looked up many times a row), still seeded per process.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// What every request handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// What the request's loaders read through: the pool's connection, with PostgreSQL's
    /// reads on connections of their own (no round trip at each release).
    pub reads: db::reads::Reads,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub metrics: Arc<Metrics>,
    pub gateway: Arc<dyn PaymentGateway>,
    /// Signs document download links.
    pub link_key: Arc<Vec<u8>>,
    /// Query-cost budgets per subject.
    pub rate_limiter: Arc<gate::rate::RateLimiter>,
    /// Tariffs already read (they never change).
    pub tariffs: domain::catalog::TariffCache,
    /// Permits for GraphQL executions (`max_in_flight`).
    pub executions: Arc<tokio::sync::Semaphore>,
    /// Documents parsed, limited and validated once.
    pub prepared: Arc<gate::prepared::PreparedCache>,
    /// The process's one `LISTEN` connection (PostgreSQL): viewers' changes and live
    /// notifications from every replica.
    pub listener: listen::Listener,
    /// Viewers kept current by `NOTIFY` (PostgreSQL): no viewer statement per request.
    pub viewers: auth::cache::ViewerCache,
    /// The process's stop, heard by everything that serves (`shutdown`).
    pub shutdown: shutdown::Shutdown,
}

impl AppState {
    /// Connects, migrates, ensures the defaults every installation has, and resolves the JWT
    /// secret (configured, or generated once and kept in the database).
    pub async fn init(config: Config) -> anyhow::Result<Self> {
        clock::set_time_zone(config.calendar.zone);
        let metrics = Arc::new(Metrics::default());
        let db = db::connect(&config, metrics.clone()).await?;
        db::migrate(&db).await?;
        let keys = domain::bootstrap::ensure_defaults(&db).await?;
        let secret = match &config.jwt_secret {
            Some(secret) if secret.len() >= 32 => secret.clone(),
            Some(_) => anyhow::bail!("PORTAL_JWT_SECRET must be at least 32 characters"),
            None => keys.jwt_secret,
        };
        let jwt = JwtKeys::new(secret.as_bytes(), &config.jwt_issuer, &config.jwt_audience);
        let gateway = domain::payment::from_name(&config.payment_gateway)?;
        let link_key = keys.link_key;
        let max_in_flight = config.max_in_flight.max(1);
        let config_prepared = config.prepared_cache;
        let rate_limiter = Arc::new(gate::rate::RateLimiter::new(
            config.rate_limit_burst,
            config.rate_limit_per_second,
        ));
        let listener = listen::Listener::new(db.get_database_backend(), &config.database_url);
        listener.on(
            domain::notification::CHANNEL,
            Arc::new(domain::notification::heard),
        );
        let viewers = auth::cache::ViewerCache::new(&listener, config.viewer_cache);
        Ok(Self {
            listener,
            viewers,
            reads: db::reads::Reads::new(&db, config.db_max_connections, metrics.clone()),
            db,
            config: Arc::new(config),
            jwt: Arc::new(jwt),
            metrics,
            gateway,
            link_key: Arc::new(link_key.into_bytes()),
            rate_limiter,
            tariffs: Default::default(),
            executions: Arc::new(tokio::sync::Semaphore::new(max_in_flight)),
            prepared: Arc::new(gate::prepared::PreparedCache::new(config_prepared)),
            shutdown: shutdown::Shutdown::default(),
        })
    }
}
