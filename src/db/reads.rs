//! The connection a request's loaders read through. On PostgreSQL its queries go through
//! connections of their own, kept here instead of in the pool: the pool (sqlx's) pings a
//! connection on every release, a round trip to PostgreSQL after every statement and a task
//! spawned to make it, which is there to recover a connection whose statement was dropped
//! half-read. Here a connection goes back only once its statement was read to its end; one
//! dropped midway (a cancelled request) or failed is closed instead. Everything else
//! (statements that write, transactions, SQLite) goes to the pool: [`Reads`] is a
//! [`ConnectionTrait`], so a reader generic over the connection reads through either.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::TryStreamExt;
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement,
    sqlx::{self, Connection, postgres::PgConnectOptions, postgres::PgConnection},
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Semaphore;

use super::{ACQUIRE_TIMEOUT, CONNECT_TIMEOUT, PING_AFTER_IDLE};
use crate::metrics::Metrics;

/// The loaders' connection: the pool's, with PostgreSQL's queries read on connections of
/// their own (the module doc).
#[derive(Clone)]
pub struct Reads {
    db: DatabaseConnection,
    own: Option<Arc<Own>>,
}

impl Reads {
    /// Reads through `db`; on PostgreSQL, queries on at most `max` connections of their own
    /// (opened as the pool's are, with its settings), each counted in `metrics`.
    pub fn new(db: &DatabaseConnection, max: u32, metrics: Arc<Metrics>) -> Self {
        let own = (db.get_database_backend() == DatabaseBackend::Postgres).then(|| {
            Arc::new(Own {
                options: db.get_postgres_connection_pool().connect_options(),
                idle: Mutex::new(Vec::new()),
                open: Semaphore::new(max.max(1) as usize),
                metrics,
            })
        });
        Self {
            db: db.clone(),
            own,
        }
    }
}

/// PostgreSQL connections of the reads.
struct Own {
    options: Arc<PgConnectOptions>,
    /// Connections whose last statement was read to its end, the latest last.
    idle: Mutex<Vec<Idle>>,
    /// One permit a leased connection: at most this many are open (a new one is opened only
    /// when none is idle).
    open: Semaphore,
    metrics: Arc<Metrics>,
}

struct Idle {
    conn: PgConnection,
    since: Instant,
}

/// An idle connection older than this is closed instead of leased (one idle
/// [`PING_AFTER_IDLE`] is pinged first, as the pool's are).
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// The rows a read's vector has room for at first: a short page's without growing.
const ROWS_ROOM: usize = 16;

impl Own {
    /// `stmt`'s rows, read on a leased connection.
    async fn query(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.open.acquire())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        let mut conn = self.lease().await?;
        let started = Instant::now();
        let values = stmt.values.unwrap_or(sea_orm::Values(Vec::new()));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql), SqlxValues(values));
        // Each row is wrapped as it is read, into a vector that starts with room for a page
        // (collected whole, then wrapped, the rows were copied twice and grown into).
        let rows = async {
            let mut rows = Vec::with_capacity(ROWS_ROOM);
            let mut stream = query.fetch(&mut conn);
            while let Some(row) = stream.try_next().await? {
                rows.push(QueryResult::from(row));
            }
            Ok::<_, sqlx::Error>(rows)
        }
        .await;
        self.metrics.record_query(started.elapsed(), rows.is_err());
        match rows {
            Ok(rows) => {
                crate::lock(&self.idle).push(Idle {
                    conn,
                    since: Instant::now(),
                });
                drop(permit);
                Ok(rows)
            }
            Err(e) => {
                // The connection is closed (dropped); when it was lost, so are the idle ones.
                if matches!(e, sqlx::Error::Io(_) | sqlx::Error::Protocol(_)) {
                    crate::lock(&self.idle).clear();
                }
                Err(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
            }
        }
    }

    /// An idle connection (pinged when it sat idle a while), or a new one.
    async fn lease(&self) -> Result<PgConnection, DbErr> {
        loop {
            let idle = crate::lock(&self.idle).pop();
            let Some(Idle { mut conn, since }) = idle else {
                break;
            };
            let idle_for = since.elapsed();
            if idle_for < PING_AFTER_IDLE || (idle_for < IDLE_TIMEOUT && conn.ping().await.is_ok())
            {
                return Ok(conn);
            }
        }
        tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&self.options))
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.db.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.own {
            Some(own) => Ok(traced(own, stmt).await?.into_iter().next()),
            None => self.db.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.own {
            Some(own) => traced(own, stmt).await,
            None => self.db.query_all_raw(stmt).await,
        }
    }

    fn support_returning(&self) -> bool {
        self.db.support_returning()
    }
}

/// `stmt`'s rows read on `own`'s connections, in a statement span as SeaORM makes for the
/// pool's (its name, target and attributes: a trace holds every statement alike, and the
/// logs' filter leaves both out). The text has no values: they are bound apart.
async fn traced(own: &Own, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
    use tracing::field::Empty;
    let span = tracing::info_span!(
        target: "sea_orm::reads",
        "sea_orm.query_all",
        otel.kind = "client",
        db.system = "postgresql",
        db.operation = "SELECT",
        db.statement = Empty,
        otel.status_code = Empty,
        exception.message = Empty,
    );
    if span.is_disabled() {
        return own.query(stmt).await;
    }
    span.record("db.statement", stmt.sql.as_str());
    let result = tracing::Instrument::instrument(own.query(stmt), span.clone()).await;
    match &result {
        Ok(_) => span.record("otel.status_code", "OK"),
        Err(e) => span
            .record("otel.status_code", "ERROR")
            .record("exception.message", tracing::field::display(e)),
    };
    result
}
