//! The loaders' reads on PostgreSQL's connections of their own (`db::reads`): a connection
//! whose statement was read to its end is used again, one dropped midway or failed is closed
//! instead of handed to the next read, at most the given number are open, each statement is
//! counted, and they carry the pool's settings. (On SQLite the reads are the pool's.)

use std::{sync::Arc, time::Duration};

use portal_api::{db::reads::Reads, metrics::Metrics};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::helpers::TestApp;

async fn one(reads: &Reads, sql: &str, column: &str) -> Result<String, sea_orm::DbErr> {
    let row = reads
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await?
        .expect("a row");
    row.try_get("", column)
}

async fn pid(reads: &Reads) -> String {
    one(reads, "SELECT pg_backend_pid()::text AS pid", "pid")
        .await
        .expect("read")
}

#[tokio::test]
async fn a_read_connection_is_used_again_only_after_a_statement_read_to_its_end() {
    let Some(app) = TestApp::spawn_on_postgres("the reads' own connections are PostgreSQL's").await
    else {
        return;
    };
    let metrics = Arc::new(Metrics::default());
    let reads = Reads::new(&app.state.db, 1, metrics.clone());
    let first = pid(&reads).await;
    assert_eq!(pid(&reads).await, first, "kept, and used again");
    // One connection at most: two reads at once take turns on it.
    let (a, b) = tokio::join!(pid(&reads), pid(&reads));
    assert_eq!((&a, &b), (&first, &first));
    assert_eq!(metrics.db_queries(), 4, "every statement counted");

    // A read dropped midway (its request cancelled): its connection is not handed on.
    let slow = reads.query_all_raw(Statement::from_string(
        DatabaseBackend::Postgres,
        "SELECT pg_sleep(3)",
    ));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), slow)
            .await
            .is_err(),
        "dropped while PostgreSQL sleeps"
    );
    let second = pid(&reads).await;
    assert_ne!(second, first, "a new connection after a dropped read");

    // A failed statement: an error, and the next read answers on a new connection.
    let failed = one(&reads, "SELECT (1 / 0)::text AS x", "x").await;
    assert!(failed.is_err(), "division by zero: {failed:?}");
    let third = pid(&reads).await;
    assert_ne!(third, second, "a new connection after a failed read");
    assert_eq!(pid(&reads).await, third);
}

#[tokio::test]
async fn read_connections_have_the_pools_settings() {
    let Some(app) = TestApp::spawn_on_postgres("the reads' own connections are PostgreSQL's").await
    else {
        return;
    };
    let reads = &app.state.reads;
    let show = |name: &'static str| async move {
        one(reads, &format!("SHOW {name}"), name)
            .await
            .expect("read")
    };
    assert_eq!(show("statement_timeout").await, "5s");
    assert_eq!(show("plan_cache_mode").await, "force_generic_plan");
    // The statement timeout cuts a read off, and reads go on.
    let slow = reads
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_sleep(6)",
        ))
        .await;
    assert!(slow.is_err(), "cancelled by the timeout");
    assert_eq!(show("statement_timeout").await, "5s");
}
