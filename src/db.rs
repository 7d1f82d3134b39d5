//! Opening the database (SQLite file or PostgreSQL), with every statement counted for
//! `/metrics`, and running the migrations.

use std::{sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions, sqlite::SqliteJournalMode},
};

use crate::{config::Config, metrics::Metrics};

/// Connects with pool limits and engine settings: on SQLite WAL, foreign keys and a busy
/// timeout; on PostgreSQL a 5 s statement timeout.
pub async fn connect(config: &Config, metrics: Arc<Metrics>) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(3))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        })
        .map_sqlx_postgres_opts(|o: PgConnectOptions| o.options([("statement_timeout", "5000")]));
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |info| metrics.record_query(info.elapsed, info.failed));
    Ok(db)
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Whether the database answers a trivial statement.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
