//! Opening the database (SQLite file or PostgreSQL), with every statement counted for
//! `/metrics`, and running the migrations.

use std::{sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions, sqlite::SqliteJournalMode},
};

use crate::{config::Config, metrics::Metrics};

pub mod among;
pub mod backup;
pub mod children;
pub mod keys;
pub mod limit;
pub mod page;
pub mod reads;
pub mod rows;

/// Connects with pool limits and engine settings: on SQLite WAL, foreign keys and a busy
/// timeout; on PostgreSQL a 5 s statement timeout, and each prepared statement planned once
/// (`plan_cache_mode = force_generic_plan`, unless the URL sets it).
///
/// A statement's text depends on the request's shape only (a page's limit written in, or
/// a parameter for the pages of many parents; its parents padded to a bucket: [`limit`],
/// [`among`]), and its plan on the text: an index range per parent. Left to choose,
/// PostgreSQL planned some of them again at every execution: it keeps a custom plan while
/// the generic one's estimate is higher, and for a page's second list (64 parents' ids as
/// parameters and the viewer's scope) the estimates differ by under 1%, so it replanned
/// for ever (a fifth of PostgreSQL's time on that shape; the README's "Planning once" has
/// the figures).
///
/// A pooled connection is pinged before it is handed out only when it has been idle for
/// [`PING_AFTER_IDLE`] (what a server, proxy or firewall drops). The pool's default pings on
/// every checkout: a round trip to PostgreSQL before each statement, which doubled the
/// round trips of every read.
pub async fn connect(config: &Config, metrics: Arc<Metrics>) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    // `options=-c plan_cache_mode=…` in the URL is the operator's to set.
    let plan_once = !config.database_url.contains("plan_cache_mode");
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .test_before_acquire_if_idle_for(PING_AFTER_IDLE)
        .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        })
        .map_sqlx_postgres_opts(move |o: PgConnectOptions| {
            let o = o.options([("statement_timeout", "5000")]);
            if plan_once {
                o.options([("plan_cache_mode", "force_generic_plan")])
            } else {
                o
            }
        });
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |info| metrics.record_query(info.elapsed, info.failed));
    Ok(db)
}

/// How long a pooled connection may sit idle before it is pinged on checkout (the pool's and
/// the loaders' own, [`reads`]).
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);
/// How long a statement waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The rows `stmt` reads. Boxed: the driver's future is large, and every future awaiting a
/// read would otherwise carry (and move) it.
pub async fn read_all<C: ConnectionTrait>(
    db: &C,
    stmt: sea_orm::Statement,
) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
    Box::pin(db.query_all_raw(stmt)).await
}

/// Brings the schema up to date, in one write transaction: replicas starting at once
/// migrate one after the other (the write lock on SQLite, an advisory lock on PostgreSQL),
/// and a migration that fails leaves the schema as it was.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let txn = write_txn(db).await?;
    one_at_a_time(&txn).await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Makes transactions that start the server (migrations, defaults) run one at a time across
/// replicas: on PostgreSQL a transaction-level advisory lock (SQLite's write transaction
/// already holds the database).
pub async fn one_at_a_time(txn: &sea_orm::DatabaseTransaction) -> Result<(), sea_orm::DbErr> {
    /// The advisory lock of start-up (an arbitrary constant of this application).
    const STARTING: i64 = 0x706f_7274_616c;
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({STARTING})"))
            .await?;
    }
    Ok(())
}

/// Whether the database answers a trivial statement.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Row locks of writers: `FOR NO KEY UPDATE` on PostgreSQL (SQLite has none: its write
/// transaction holds the database). It serializes the writers of a row without blocking the
/// key-share locks that other transactions' foreign-key checks take (inserting a
/// notification for an account another transaction is billing), which `FOR UPDATE` does and
/// which made parallel billing runs deadlock. No writer here changes a key.
pub trait LockForWrite: sea_orm::QuerySelect + Sized {
    fn for_write(self) -> Self {
        self.lock(sea_orm::sea_query::LockType::NoKeyUpdate)
    }
}

impl<T: sea_orm::QuerySelect> LockForWrite for T {}

/// Starts a transaction that will write: the one way every writer opens one (`clippy.toml`
/// forbids a direct `begin()`). On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing when a
/// reader upgrades; on PostgreSQL workflows lock the rows they change (`FOR UPDATE`).
#[allow(clippy::disallowed_methods)] // this is the helper the lint points to
pub async fn write_txn(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{DatabaseBackend, TransactionOptions, TransactionTrait};
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// The next value of a named gapless counter (e.g. `invoice:2026`), inside the caller's
/// transaction: a rollback gives the number back.
pub async fn next_number<C: sea_orm::ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<i64, crate::error::AppError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
    let counters = Alias::new("counters");
    let value = Alias::new("value");
    let mut stmt = Query::insert();
    stmt.into_table(counters.clone())
        .columns([Alias::new("name"), value.clone()])
        .values([name.into(), 1i64.into()])
        .map_err(|e| crate::error::AppError::Internal(e.into()))?
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .value(value.clone(), Expr::col((counters, value.clone())).add(1))
                .to_owned(),
        )
        .returning_col(value);
    let row = db
        .query_one_raw(db.get_database_backend().build(&stmt))
        .await?
        .ok_or_else(|| {
            crate::error::AppError::Internal(anyhow::anyhow!("counter {name} returned nothing"))
        })?;
    Ok(row.try_get::<i64>("", "value")?)
}
