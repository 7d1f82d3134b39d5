//! No N+1, walked by introspection: for every list a portal pages through (`subAccounts`,
//! `accounts`, `orders`, `tickets`, `invoices`, `services`) and every field of its rows (and
//! every relation one level below a relation), a page of 5 and a page of 50 parents cost the
//! same number of SQL statements, and the same count on every one of 20 runs. (A relation
//! asked again one level below itself may cost one statement less with more rows: what the
//! level above loaded is in the request's cache.) A field added later is walked without
//! editing this file. And `node(id)` of every kind of object, for every kind of viewer,
//! costs one statement: the row comes with the account the policy decides by.

use serde_json::{Value, json};

use portal_api::fixtures::bench::{self, Size};

use crate::{
    helpers::{TestApp, decode_pk},
    tenants::{COLUMNS, tenant},
    walk::Schema,
};

/// A list whose rows the walk selects fields on: `{n}` is the page size, `{rows}` the
/// selection of each row.
struct List {
    name: &'static str,
    query: &'static str,
    row: &'static str,
    admin: bool,
}

const LISTS: &[List] = &[
    List {
        name: "subAccounts",
        query: "{ viewer { account { subAccounts(first: {n}) { nodes { id {rows} } } } } }",
        row: "Account",
        admin: false,
    },
    List {
        name: "accounts",
        query: "{ accounts(first: {n}) { nodes { id {rows} } } }",
        row: "Account",
        admin: true,
    },
    List {
        name: "orders",
        query: "{ viewer { account { orders(first: {n}) { nodes { id {rows} } } } } }",
        row: "Order",
        admin: false,
    },
    List {
        name: "tickets",
        query: "{ viewer { account { tickets(first: {n}) { nodes { id {rows} } } } } }",
        row: "Ticket",
        admin: false,
    },
    List {
        name: "invoices",
        query: "{ viewer { account { invoices(first: {n}) { nodes { id {rows} } } } } }",
        row: "Invoice",
        admin: false,
    },
    List {
        name: "services",
        query: "{ viewer { account { services(first: {n}) { nodes { id {rows} } } } } }",
        row: "Service",
        admin: false,
    },
];

/// The rows' selections the walk tries: all leaf fields at once, each relation alone, and
/// each relation below each relation.
fn shapes(schema: &Schema, row: &str) -> Vec<String> {
    let fields = schema.fields(row);
    let (leaves, relations): (Vec<&Value>, Vec<&Value>) = fields
        .iter()
        .filter(|f| schema.ask(f).is_some())
        .partition(|f| matches!(Schema::named(&f["type"]).0, "SCALAR" | "ENUM"));
    let mut out = vec![
        leaves
            .iter()
            .filter_map(|f| schema.ask(f))
            .collect::<Vec<_>>()
            .join(" "),
    ];
    for relation in relations {
        let asked = schema.ask(relation).expect("askable");
        out.push(asked.clone());
        let (_, inner) = Schema::named(&relation["type"]);
        // Below a connection, its nodes' relations.
        let (wrap, inner) = if schema.field_names(inner).iter().any(|f| f == "nodes") {
            let node = schema
                .fields(inner)
                .into_iter()
                .find(|f| f["name"] == "nodes")
                .expect("nodes");
            ("nodes { {} }", Schema::named(&node["type"]).1.to_string())
        } else {
            ("{}", inner.to_string())
        };
        let head = asked.trim_end_matches(" { __typename }");
        for below in schema.fields(&inner) {
            if matches!(Schema::named(&below["type"]).0, "SCALAR" | "ENUM") {
                continue;
            }
            if let Some(below) = schema.ask(&below) {
                out.push(format!("{head} {{ {} }}", wrap.replace("{}", &below)));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_relation_below_every_list_costs_the_same_statements_for_5_and_50_rows() {
    // A large budget: the walk sends a few thousand pages.
    let app = TestApp::spawn_with(portal_api::config::Mode::Development, |c| {
        c.rate_limit_burst = 100_000_000;
        c.rate_limit_per_second = 100_000_000;
    })
    .await;
    let schema = Schema::load(&app).await;
    bench::bench(
        &app.state.db,
        Size {
            mains: 1,
            subs_per_main: 60,
            usage_days: 3,
        },
    )
    .await
    .expect("generated");
    // The main account, with management and independent access on, and 55 of everything.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let main = entity::account::Entity::find()
        .filter(entity::account::Column::MainAccountId.is_null())
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("main");
    let main_id = crate::helpers::encode_id("Account", main.id);
    app.set_management(&main_id, true).await;
    app.set_independent_access(true).await;
    let token = app.token_for(&main_id).await;
    let tariff = app.create_tariff("Walk Fiber", "20.00").await;
    for i in 0..55 {
        app.add_service(&main_id, &tariff, entity::enums::ServiceStatus::Active)
            .await;
        let placed = app
            .ok(
                "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: GATEWAY, gatewayToken: \"tok_ok\"}}) { userErrors { code } } }",
                json!({ "a": main_id, "t": tariff }),
                Some(&token),
            )
            .await;
        assert_eq!(placed["placeOrder"]["userErrors"], json!([]));
        app.ok(
            "mutation($s: String!) { createTicket(input: {subject: $s, message: \"Walk\"}) { userErrors { code } } }",
            json!({ "s": format!("Ticket {i}") }),
            Some(&token),
        )
        .await;
    }
    // Every sub-account gets a document, a ticket and a paid order (so every page, of 5 rows
    // or of 50, reaches every relation), and the main account sorts first among all.
    app.deposit(&main_id, "100000.00").await;
    let admin_viewer = crate::tenants::admin_viewer(&app).await;
    let subs = entity::account::Entity::find()
        .filter(entity::account::Column::MainAccountId.eq(main.id))
        .all(&app.state.db)
        .await
        .expect("subs");
    for sub in &subs {
        let id = crate::helpers::encode_id("Account", sub.id);
        portal_api::domain::document::upload(
            &app.state.db,
            &admin_viewer,
            sub.id,
            entity::enums::DocumentKind::Contract,
            "Contract",
            b"%PDF-1.4\n%%EOF\n".to_vec(),
            app.state.config.max_upload_bytes,
        )
        .await
        .expect("document");
        app.ok(
            "mutation($a: ID!) { createTicket(input: {accountId: $a, subject: \"Line\", message: \"Slow\"}) { userErrors { code } } }",
            json!({ "a": id }),
            Some(app.admin()),
        )
        .await;
        let (payer, payment) = match sub.sub_account_type {
            Some(entity::enums::SubAccountType::Aggregated) => {
                (token.clone(), json!({ "kind": "ACCOUNT_BALANCE" }))
            }
            _ => (
                app.token_for(&id).await,
                json!({ "kind": "GATEWAY", "gatewayToken": "tok_ok" }),
            ),
        };
        let placed = app
            .ok(
                "mutation($a: ID!, $t: ID!, $p: PaymentMethodInput) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: $p}) { userErrors { code } } }",
                json!({ "a": id, "t": tariff, "p": payment }),
                Some(&payer),
            )
            .await;
        assert_eq!(placed["placeOrder"]["userErrors"], json!([]));
    }
    {
        use sea_orm::{ActiveModelTrait, Set};
        let mut first: entity::account::ActiveModel = main.clone().into();
        first.full_name = Set("Aaa Main".into());
        first.update(&app.state.db).await.expect("renamed");
    }
    assert!(decode_pk(&main_id) > 0);

    let mut failures = Vec::new();
    let mut walked = 0;
    for list in LISTS {
        let token = if list.admin { app.admin() } else { &token };
        for rows in shapes(&schema, list.row) {
            let query = |n: usize| {
                list.query
                    .replace("{n}", &n.to_string())
                    .replace("{rows}", &rows)
            };
            // Warm the process-wide caches (tariffs never change).
            // Some rows refuse some fields (FORBIDDEN, by the policy); anything else is wrong.
            let (_, body) = app.graphql(&query(50), json!({}), Some(token)).await;
            if let Some(e) = body["errors"]
                .as_array()
                .and_then(|e| e.iter().find(|e| e["extensions"]["code"] != "FORBIDDEN"))
            {
                failures.push(format!("{} {{ {rows} }}: {e}", list.name));
                continue;
            }
            let nodes = |body: &Value, n: usize| -> bool {
                let mut at = &body["data"];
                while at.is_object() && at.get("nodes").is_none() {
                    at = at
                        .as_object()
                        .and_then(|o| o.values().next())
                        .unwrap_or(&Value::Null);
                }
                at["nodes"].as_array().map(Vec::len) == Some(n)
            };
            let mut counts = Vec::new();
            for run in 0..20 {
                let n = if run % 2 == 0 { 5 } else { 50 };
                let before = app.statements();
                let (_, body) = app.graphql(&query(n), json!({}), Some(token)).await;
                counts.push((n, app.statements() - before));
                if !nodes(&body, n) {
                    failures.push(format!("{}: not {n} rows: {body}", list.name));
                    break;
                }
            }
            walked += 1;
            let of = |size: usize| -> Vec<u64> {
                counts
                    .iter()
                    .filter(|(n, _)| *n == size)
                    .map(|(_, c)| *c)
                    .collect()
            };
            let (small, large) = (of(5), of(50));
            let steady =
                small.iter().all(|c| *c == small[0]) && large.iter().all(|c| *c == large[0]);
            // A relation asked again one level down (sub-accounts of sub-accounts) may find
            // what the level above already loaded in the request's cache: with more rows,
            // fewer new keys. It never costs more.
            let repeated = |rows: &str| {
                let words: Vec<&str> = rows
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                words
                    .iter()
                    .enumerate()
                    .any(|(i, w)| words[i + 1..].contains(w) && *w != "nodes" && *w != "__typename")
            };
            let same = small.first() == large.first()
                || (repeated(&rows) && large.first() < small.first());
            if !steady || !same {
                failures.push(format!(
                    "{} {{ {rows} }}: statements by page size {counts:?}",
                    list.name
                ));
            }
        }
    }
    assert!(walked > 100, "only {walked} shapes walked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn an_object_by_id_costs_one_statement_for_every_viewer() {
    let app = TestApp::spawn().await;
    let tariffs = [
        app.create_tariff("Fiber", "20.00").await,
        app.create_tariff("Fiber Plus", "30.00").await,
    ];
    let mut costs = Vec::new();
    for (i, c) in COLUMNS.iter().enumerate() {
        let t = tenant(&app, i, c, &tariffs).await;
        let token = &t.tokens[&c.viewer];
        // What any request of this viewer costs before its operation runs: on SQLite the
        // viewer's statement, on PostgreSQL none once the viewer is kept (after a first).
        app.ok("{ __typename }", json!({}), Some(token)).await;
        let before = app.statements();
        app.ok("{ __typename }", json!({}), Some(token)).await;
        let base = app.statements() - before;
        for (id, object) in &t.objects {
            let before = app.statements();
            let (_, body) = app
                .graphql(
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({ "id": id }),
                    Some(token),
                )
                .await;
            let cost = app.statements() - before - base;
            let answer = body["data"]["node"]["id"].as_str().map_or_else(
                || crate::helpers::first_code(&body).to_string(),
                |_| "shown".into(),
            );
            costs.push((cost, format!("{}: {object:?} ({answer})", c.name)));
        }
    }
    assert!(costs.len() > 150, "too few objects: {}", costs.len());
    let wrong: Vec<String> = costs
        .iter()
        .filter(|(cost, _)| *cost != 1)
        .map(|(cost, what)| format!("{cost} statements: {what}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
