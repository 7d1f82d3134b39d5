//! Database faults on PostgreSQL: the server's connections are terminated mid-load and the
//! database refuses new ones for a while. Requests fail fast with INTERNAL_SERVER_ERROR
//! (no hang, no leak), `/readyz` says 503, and service resumes without a restart.
//! (The test needs PostgreSQL: on SQLite there is no server to take away.)

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::{TestApp, first_code};

#[tokio::test]
async fn the_server_survives_the_database_going_away_and_coming_back() {
    let Some(admin_url) = TestApp::postgres_admin_url() else {
        eprintln!("skipped: the database-fault test runs on PostgreSQL (TEST_DATABASE_URL)");
        return;
    };
    let app = TestApp::spawn().await;
    let name = app.postgres_database().expect("a PostgreSQL test database");
    let pg = Database::connect(&admin_url)
        .await
        .expect("admin connection");
    let query = "{ viewer { role } accounts { totalCount } }";
    app.ok(query, json!({}), Some(app.admin())).await;

    // Mid-load: requests in flight while every server connection is killed and new ones refused.
    let load = {
        let client = app.client.clone();
        let url = app.url("/graphql");
        let token = app.admin().to_string();
        tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for _ in 0..40 {
                let started = Instant::now();
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "query": query }))
                    .send()
                    .await;
                let ok = match resp {
                    Ok(r) => {
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        body.get("errors").is_none() || first_code(&body) == "INTERNAL_SERVER_ERROR"
                    }
                    Err(_) => false,
                };
                outcomes.push((ok, started.elapsed()));
            }
            outcomes
        })
    };
    pg.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .expect("refuse new connections");
    pg.execute_unprepared(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await
    .expect("terminate");
    let outcomes = load.await.expect("load task");
    assert!(
        outcomes.iter().all(|(ok, _)| *ok),
        "every answer is data or INTERNAL_SERVER_ERROR: {outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|(_, t)| *t < Duration::from_secs(8)),
        "no request hangs: {outcomes:?}"
    );

    let (status, body) = app.graphql(query, json!({}), Some(app.admin())).await;
    // The viewer cannot even be loaded: nothing executes, so it is a plain 500.
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR"),
        "{body}"
    );
    assert!(
        !body.to_string().to_lowercase().contains("connection"),
        "no internals leak: {body}"
    );
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    // The database comes back: the same server process serves again.
    pg.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .expect("allow");
    let mut recovered = false;
    for _ in 0..50 {
        let (status, body) = app.graphql(query, json!({}), Some(app.admin())).await;
        if status == StatusCode::OK && body.get("errors").is_none() {
            recovered = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(recovered, "service resumes without a restart");
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_postgresql_connection_has_a_five_second_statement_timeout_and_plans_once() {
    let Some(app) =
        TestApp::spawn_on_postgres("the statement timeout is a PostgreSQL setting").await
    else {
        return;
    };
    assert_eq!(setting(&app.state.db, "statement_timeout").await, "5s");
    assert_eq!(
        setting(&app.state.db, "plan_cache_mode").await,
        "force_generic_plan"
    );
    // The operator's setting in the URL stands.
    let own = app
        .replica_with(|c| {
            let sep = if c.database_url.contains('?') {
                '&'
            } else {
                '?'
            };
            c.database_url
                .push_str(&format!("{sep}options=-c%20plan_cache_mode%3Dauto"));
        })
        .await;
    assert_eq!(setting(&own.state.db, "plan_cache_mode").await, "auto");
    // A statement that runs longer is cut off, and the pool stays usable.
    let slow = app.state.db.execute_unprepared("SELECT pg_sleep(6)").await;
    assert!(slow.is_err(), "cancelled by the timeout");
    app.ok("{ viewer { role } }", json!({}), Some(app.admin()))
        .await;
}

/// A PostgreSQL session setting as the pool's connections have it.
async fn setting(db: &sea_orm::DatabaseConnection, name: &str) -> String {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SHOW {name}"),
        ))
        .await
        .expect("query")
        .expect("a row");
    row.try_get("", name).expect("text")
}
