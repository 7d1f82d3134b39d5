//! Workflows and rules, as plain async functions over a database connection or transaction.
//! No GraphQL types here: every function is testable without HTTP. Each function that
//! changes data asks `policy` first and leaves an activity-history entry.

pub mod account;
pub mod activity;
pub mod billing;
pub mod bootstrap;
pub mod catalog;
pub mod document;
pub mod generate;
pub mod invoice;
pub mod keys;
pub mod notification;
pub mod order;
pub mod outbox;
pub mod page;
pub mod payment;
pub mod pdf;
pub mod seed;
pub mod service;
pub mod session;
pub mod ticket;
pub mod usage;
pub mod validate;

use chrono::{DateTime, Utc};

/// The current time, truncated to microseconds so that what is stored equals what is read
/// back on both engines.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing
/// when a reader upgrades; on PostgreSQL workflows lock the rows they change (`FOR UPDATE`).
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
) -> Result<i64, error::AppError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
    let counters = Alias::new("counters");
    let value = Alias::new("value");
    let mut stmt = Query::insert();
    stmt.into_table(counters.clone())
        .columns([Alias::new("name"), value.clone()])
        .values([name.into(), 1i64.into()])
        .map_err(|e| error::AppError::Internal(e.into()))?
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
            error::AppError::Internal(anyhow::anyhow!("counter {name} returned nothing"))
        })?;
    Ok(row.try_get::<i64>("", "value")?)
}

use crate::error;
