//! A page of sub-accounts reads the first list its rows select (services, orders, tickets,
//! documents) in its own statement on PostgreSQL (`db::children::Nest`): the list costs no
//! statement of its own, on the plan's path and the resolvers', and the answer is the one
//! the list gives when read on its own (pages, totals, cursors, filters, sort keys, a row
//! whose list is empty). SQLite reads the list in a statement of its own.

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Shapes of a page of sub-accounts with a list of each: `{list}` is the list's selection.
const SHAPES: &[&str] = &[
    "{ viewer { account { subAccounts(first: 10) { nodes { login services(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id status price } } } } } } }",
    "{ viewer { account { subAccounts(first: 10) { edges { node { ...Row } } } } } } fragment Row on Account { login services(status: [ACTIVE, PAUSED]) { nodes { id status tariff { name } } } }",
    "{ viewer { account { subAccounts(first: 3, orderBy: {field: TOTAL_SERVICE_COST, direction: DESC}) { nodes { login tickets(first: 2) { totalCount edges { cursor node { subject messages(first: 5) { nodes { body } } } } } } } } } }",
    "{ viewer { account { subAccounts(first: 10) { nodes { login documents(first: 1) { nodes { title } } orders(first: 1) { nodes { id } } } } } } }",
    "{ viewer { account { subAccounts(first: 10) { nodes { login orders(first: 5) { totalCount nodes { id status } } } } } } }",
];

/// The same page without the list: what the fold costs (no statement more).
const BARE: &str = "{ viewer { account { subAccounts(first: 10) { nodes { login } } } } }";

#[tokio::test]
async fn a_page_of_sub_accounts_reads_a_list_of_each_in_its_own_statement() {
    let app = TestApp::spawn().await;
    let main = app
        .create_account("folder", json!({ "status": "ACTIVE" }))
        .await;
    app.set_management(&main, true).await;
    let tariff = app.create_tariff("Fiber 20", "20.00").await;
    let token = app.token_for(&main).await;
    use entity::enums::ServiceStatus as S;
    let services: [&[S]; 4] = [
        &[],
        &[S::Active],
        &[S::Active, S::Paused, S::Archived],
        &[S::Active, S::Active, S::Paused, S::Active, S::Active],
    ];
    for (i, list) in services.into_iter().enumerate() {
        let sub = app
            .create_account(&format!("folded-{i}"), json!({ "status": "ACTIVE" }))
            .await;
        app.link(&main, &sub, "AGGREGATED").await;
        for status in list {
            app.add_service(&sub, &tariff, *status).await;
        }
        for t in 0..i {
            let made = app
                .ok(
                    "mutation($a: ID!, $s: String!) { createTicket(input: {accountId: $a, subject: $s, message: \"first\"}) { ticket { id } userErrors { code } } }",
                    json!({ "a": sub, "s": format!("ticket {t} of {i}") }),
                    Some(&token),
                )
                .await;
            assert_eq!(made["createTicket"]["userErrors"], json!([]), "{made}");
        }
    }
    let resolvers = app.replica_with(|c| c.compiled_plans = false).await;
    let postgres = TestApp::postgres_admin_url().is_some();
    let paths = [
        ("plan", app.addr, &app.state),
        ("resolvers", resolvers.addr, &resolvers.state),
    ];
    // Three runs of each: the last finds the process's caches (tariffs, the viewer) warm
    // and, on the plan's server, the document's plan compiled.
    let cost = |at: std::net::SocketAddr, state: &portal_api::AppState, query: &str| {
        let (app, token, state) = (&app, &token, state.clone());
        let query = query.to_string();
        async move {
            let mut last = (0, Value::Null);
            for _ in 0..3 {
                let before = state.metrics.db_queries();
                let (_, body) = app.graphql_at(at, &query, json!({}), Some(token)).await;
                assert!(body["errors"].is_null(), "{query}: {body}");
                last = (state.metrics.db_queries() - before, body["data"].clone());
            }
            last
        }
    };
    for (path, at, state) in paths {
        let (bare, _) = cost(at, state, BARE).await;
        let mut answers = Vec::new();
        for shape in SHAPES {
            let (statements, data) = cost(at, state, shape).await;
            let rows = data["viewer"]["account"]["subAccounts"].to_string();
            assert!(rows.contains("folded-3"), "{path} {shape}: {rows}");
            if postgres {
                // The list is read with the page: one statement, as the page alone (a
                // second list and messages below cost theirs; tariffs are kept by the process).
                let more = [0, 0, 1, 1, 0][answers.len()];
                assert_eq!(
                    statements,
                    bare + more,
                    "{path} {shape}: the first list cost a statement of its own"
                );
            }
            answers.push(data);
        }
        // The reference: each list read on its own, after another list read with the page.
        for (shape, data) in SHAPES.iter().zip(&answers) {
            let alone = shape.replacen(
                "login ",
                "login unfolded: orders(first: 1) { totalCount } ",
                1,
            );
            let (_, mut want) = cost(at, state, &alone).await;
            strip(&mut want, "unfolded");
            assert_eq!(
                data, &want,
                "{path} {shape}: the list read with the page differs"
            );
        }
    }
}

/// `value` without the members named `key`, at any depth.
fn strip(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| strip(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, key)),
        _ => {}
    }
}
