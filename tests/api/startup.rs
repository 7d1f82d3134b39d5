//! Replicas starting at once on one fresh database: the migrations run once (one after the
//! other, the rest finding nothing to do) and the defaults every installation has are
//! written once, in one transaction, on both engines.

use portal_api::{
    AppState,
    config::{Config, DbArgs, Mode},
};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::TestDb;

async fn count(state: &AppState, sql: &str) -> i64 {
    let db = &state.db;
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_string(),
    ))
    .await
    .expect("query")
    .expect("row")
    .try_get_by_index::<i64>(0)
    .expect("a number")
}

#[tokio::test]
async fn replicas_starting_together_migrate_and_write_the_defaults_once() {
    let (url, _db) = TestDb::create().await;
    let config = Config::new(&DbArgs::new(url), None, Mode::Development);
    let started =
        futures_util::future::join_all((0..4).map(|_| AppState::init(config.clone()))).await;
    let states: Vec<AppState> = started
        .into_iter()
        .map(|s| s.expect("every replica starts"))
        .collect();
    let state = &states[0];
    for (what, sql) in [
        ("one default partner", "SELECT COUNT(*) FROM partners"),
        (
            "its settings",
            "SELECT COUNT(*) FROM partner_portal_settings",
        ),
        (
            "one default template",
            "SELECT COUNT(*) FROM email_templates WHERE partner_id IS NULL",
        ),
        ("one settings row", "SELECT COUNT(*) FROM portal_settings"),
        ("one staff user", "SELECT COUNT(*) FROM staff_users"),
        ("two generated keys", "SELECT COUNT(*) FROM server_keys"),
    ] {
        let want = if what == "two generated keys" { 2 } else { 1 };
        assert_eq!(count(state, sql).await, want, "{what}");
    }
    // And they all sign with the one generated secret.
    let (token, _) = states[1]
        .jwt
        .issue(
            portal_api::auth::Subject::Staff(1),
            std::time::Duration::from_secs(60),
        )
        .expect("token");
    assert!(states[3].jwt.verify_token(&token).is_ok());
}
