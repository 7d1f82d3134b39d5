//! Maintained totals: an account's active-services count and monthly cost are kept by the
//! database on every change of its services (triggers, in the change's transaction), read
//! by the lists, sorted by, and checked against the services by the reconciliation; the
//! viewer cache does not hear of them.

use serde_json::{Value, json};

use portal_api::domain::service::reconcile;

use crate::helpers::{TestApp, decode_pk};

const TOTALS: &str =
    "query($a: ID!) { node(id: $a) { ... on Account { activeServicesCount totalServiceCost } } }";

async fn totals(app: &TestApp, account: &str) -> (i64, String) {
    let data = app
        .ok(TOTALS, json!({ "a": account }), Some(app.admin()))
        .await;
    (
        data["node"]["activeServicesCount"].as_i64().expect("count"),
        data["node"]["totalServiceCost"]
            .as_str()
            .expect("cost")
            .to_string(),
    )
}

async fn agree(app: &TestApp) {
    let drift = reconcile(&app.state.db).await.expect("reconcile");
    assert!(
        drift.is_empty(),
        "kept totals differ from the services: {drift:?}"
    );
}

/// A staff mutation of a service (`input` of type `input_type`), which must succeed.
async fn service(app: &TestApp, mutation: &str, input_type: &str, input: Value) -> Value {
    let query = format!(
        "mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ userErrors {{ code }} }} }}"
    );
    let out = app
        .ok(&query, json!({ "i": input }), Some(app.admin()))
        .await;
    assert_eq!(out[mutation]["userErrors"], json!([]), "{mutation}: {out}");
    out
}

#[tokio::test]
async fn totals_follow_every_change_of_the_services_and_agree_with_them() {
    let app = TestApp::spawn().await;
    let t = app.tenant("tot").await;
    let fiber = app.create_tariff("Fiber 50", "30.00").await;
    let faster = app.create_tariff("Fiber 250", "45.50").await;
    agree(&app).await;
    assert_eq!(totals(&app, &t.aggregated).await, (0, "0.00".into()));

    let a = app
        .add_service(&t.aggregated, &fiber, entity::enums::ServiceStatus::Active)
        .await;
    let b = app
        .add_service(&t.aggregated, &faster, entity::enums::ServiceStatus::Active)
        .await;
    app.add_service(&t.aggregated, &fiber, entity::enums::ServiceStatus::Pending)
        .await;
    agree(&app).await;
    assert_eq!(totals(&app, &t.aggregated).await, (2, "75.50".into()));

    let id = |pk: i64| crate::helpers::encode_id("Service", pk);
    let token = app.token_for(&t.main).await;
    let paused = app
        .ok(
            "mutation($s: ID!) { pauseService(input: {serviceId: $s}) { userErrors { code } } }",
            json!({ "s": id(a) }),
            Some(&token),
        )
        .await;
    assert_eq!(paused["pauseService"]["userErrors"], json!([]));
    agree(&app).await;
    assert_eq!(totals(&app, &t.aggregated).await, (1, "45.50".into()));

    let resumed = app
        .ok(
            "mutation($s: ID!) { resumeService(input: {serviceId: $s}) { userErrors { code } } }",
            json!({ "s": id(a) }),
            Some(&token),
        )
        .await;
    assert_eq!(resumed["resumeService"]["userErrors"], json!([]));
    assert_eq!(totals(&app, &t.aggregated).await, (2, "75.50".into()));

    service(
        &app,
        "disableService",
        "DisableServiceInput",
        json!({ "serviceId": id(b) }),
    )
    .await;
    agree(&app).await;
    assert_eq!(totals(&app, &t.aggregated).await, (1, "30.00".into()));
    service(
        &app,
        "enableService",
        "ServiceIdInput",
        json!({ "serviceId": id(b) }),
    )
    .await;
    assert_eq!(totals(&app, &t.aggregated).await, (2, "75.50".into()));
    let yesterday = portal_api::domain::today() - chrono::Duration::days(1);
    service(
        &app,
        "archiveService",
        "ArchiveServiceInput",
        json!({ "serviceId": id(b), "endDate": yesterday.to_string() }),
    )
    .await;
    agree(&app).await;
    assert_eq!(totals(&app, &t.aggregated).await, (1, "30.00".into()));
    // The main account's own totals never moved.
    assert_eq!(totals(&app, &t.main).await, (0, "0.00".into()));
}

#[tokio::test]
async fn the_reconciliation_finds_totals_that_drifted() {
    let app = TestApp::spawn().await;
    let account = app
        .create_account("drifty", json!({ "status": "ACTIVE" }))
        .await;
    let tariff = app.create_tariff("Fiber 10", "10.00").await;
    app.add_service(&account, &tariff, entity::enums::ServiceStatus::Active)
        .await;
    agree(&app).await;
    // Written behind the triggers' back: the check names the account.
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE account_totals SET cost_minor = 1 WHERE account_id = {}",
            decode_pk(&account)
        ))
        .await
        .expect("update");
    let drift = reconcile(&app.state.db).await.expect("reconcile");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(drift[0].account_id, decode_pk(&account));
    assert_eq!(drift[0].counted.cost_minor, 100_000);
}

#[tokio::test]
async fn sub_accounts_sort_by_their_kept_total_cost_both_ways() {
    let app = TestApp::spawn().await;
    let main = app
        .create_account("sorter", json!({ "status": "ACTIVE" }))
        .await;
    app.set_management(&main, true).await;
    let tariff = app.create_tariff("Fiber 10", "10.00").await;
    let mut subs = Vec::new();
    for (i, services) in [3, 0, 5, 1].into_iter().enumerate() {
        let sub = app
            .create_account(&format!("sorter-{i}"), json!({ "status": "ACTIVE" }))
            .await;
        app.link(&main, &sub, "AGGREGATED").await;
        for _ in 0..services {
            app.add_service(&sub, &tariff, entity::enums::ServiceStatus::Active)
                .await;
        }
        subs.push((sub, services));
    }
    let token = app.token_for(&main).await;
    for (direction, mut want) in [("ASC", vec![0, 1, 3, 5]), ("DESC", vec![5, 3, 1, 0])] {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app
                .ok(
                    "query($d: SortDirection!, $after: String) { viewer { account { subAccounts(first: 1, after: $after, orderBy: {field: TOTAL_SERVICE_COST, direction: $d}) { nodes { activeServicesCount } pageInfo { hasNextPage endCursor } } } } }",
                    json!({ "d": direction, "after": after }),
                    Some(&token),
                )
                .await;
            let list = &page["viewer"]["account"]["subAccounts"];
            seen.extend(
                list["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .map(|n| n["activeServicesCount"].as_i64().expect("count")),
            );
            if list["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = list["pageInfo"]["endCursor"].clone();
        }
        want.dedup();
        assert_eq!(seen, want, "{direction}");
    }
}

#[tokio::test]
async fn the_viewer_cache_does_not_hear_of_moving_totals() {
    let app = TestApp::spawn().await;
    if app.postgres_database().is_none() {
        return; // The viewer cache listens on PostgreSQL only.
    }
    let t = app.tenant("quiet").await;
    let tariff = app.create_tariff("Fiber 10", "10.00").await;
    let line = app
        .add_service(&t.main, &tariff, entity::enums::ServiceStatus::Active)
        .await;
    let token = app.token_for(&t.main).await;
    let me = "{ viewer { account { id } } }";
    app.ok(me, json!({}), Some(&token)).await;
    app.ok(me, json!({}), Some(&token)).await;
    let before = app.state.viewers.counts();
    // The main's own service ends: its totals move, its row does not.
    service(
        &app,
        "disableService",
        "DisableServiceInput",
        json!({ "serviceId": crate::helpers::encode_id("Service", line) }),
    )
    .await;
    assert_eq!(totals(&app, &t.main).await, (0, "0.00".into()));
    app.ok(me, json!({}), Some(&token)).await;
    let after = app.state.viewers.counts();
    assert_eq!(
        after.misses, before.misses,
        "the main's viewer was kept: {before:?} → {after:?}"
    );
    assert!(after.hits > before.hits, "{before:?} → {after:?}");
}

/// A page of sub-accounts with their totals, as `nodes` and as `edges { node }` (through a
/// fragment), the totals asked only when `$t`.
const PAGE_TOTALS: &str = "query($t: Boolean!) { viewer { account { subAccounts(first: 10) { nodes { login activeServicesCount @include(if: $t) totalServiceCost @include(if: $t) } edges { node { ...Kept } } } } } }
fragment Kept on Account { login activeServicesCount @include(if: $t) }";

#[tokio::test]
async fn a_page_of_sub_accounts_reads_their_totals_in_its_own_statement_on_both_paths() {
    let app = TestApp::spawn().await;
    let main = app
        .create_account("kept", json!({ "status": "ACTIVE" }))
        .await;
    app.set_management(&main, true).await;
    let tariff = app.create_tariff("Fiber 10", "10.00").await;
    for (i, services) in [2, 0, 3].into_iter().enumerate() {
        let sub = app
            .create_account(&format!("kept-{i}"), json!({ "status": "ACTIVE" }))
            .await;
        app.link(&main, &sub, "AGGREGATED").await;
        for _ in 0..services {
            app.add_service(&sub, &tariff, entity::enums::ServiceStatus::Active)
                .await;
        }
    }
    let token = app.token_for(&main).await;
    let resolvers = app.resolvers().await;
    for (path, server, state) in app.paths(&resolvers) {
        let mut cost = Vec::new();
        for asked in [false, true] {
            // The second run of each: the caches of the first (tariffs, the viewer) are warm.
            let mut answer = Value::Null;
            let mut statements = 0;
            for _ in 0..2 {
                let before = state.metrics.db_queries();
                answer = app
                    .ok_at(server, PAGE_TOTALS, json!({ "t": asked }), Some(&token))
                    .await;
                statements = state.metrics.db_queries() - before;
            }
            cost.push(statements);
            let list = &answer["viewer"]["account"]["subAccounts"];
            let nodes: Vec<_> = list["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| {
                    (
                        n["login"].as_str().expect("login").to_string(),
                        n["activeServicesCount"].clone(),
                        n["totalServiceCost"].clone(),
                    )
                })
                .collect();
            let want: Vec<_> = [
                ("kept-0", 2, "20.00"),
                ("kept-1", 0, "0.00"),
                ("kept-2", 3, "30.00"),
            ]
            .into_iter()
            .map(|(login, count, cost)| {
                if asked {
                    (login.to_string(), json!(count), json!(cost))
                } else {
                    (login.to_string(), Value::Null, Value::Null)
                }
            })
            .collect();
            assert_eq!(nodes, want, "{path}, totals asked: {asked}");
            let edges: Vec<_> = list["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["activeServicesCount"].clone())
                .collect();
            let want: Vec<_> = [2, 0, 3]
                .into_iter()
                .map(|n| if asked { json!(n) } else { Value::Null })
                .collect();
            assert_eq!(edges, want, "{path}, edges, totals asked: {asked}");
        }
        assert_eq!(
            cost[0], cost[1],
            "{path}: the totals cost statements of their own (without, with)"
        );
    }
}
