//! Relay pagination, filters, sorting and search of account lists.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

const ACCOUNTS: &str = "query($first: Int, $after: String, $last: Int, $before: String) { accounts(first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { login } } }";

fn logins(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["login"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn forward_and_backward_pages_cover_the_list_exactly_once() {
    let app = TestApp::spawn().await;
    // Names sort differently from creation order; the admin list sorts by full name.
    for login in ["e-user", "c-user", "a-user", "d-user", "b-user"] {
        app.create_account(login, json!({})).await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .ok(
                ACCOUNTS,
                json!({ "first": 2, "after": after }),
                Some(app.admin()),
            )
            .await["accounts"]
            .clone();
        assert_eq!(page["totalCount"], 5);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], after.is_some());
        seen.extend(logins(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(String::from);
    }
    assert_eq!(seen, ["a-user", "b-user", "c-user", "d-user", "e-user"]);

    // Every page size from one to past the end, both ways: a page's statement reads its
    // size rounded up to a bucket (`db::limit`), and the page is still cut at its size.
    let all = ["a-user", "b-user", "c-user", "d-user", "e-user"];
    for n in 1..=7usize {
        let first = app
            .ok(ACCOUNTS, json!({ "first": n }), Some(app.admin()))
            .await["accounts"]
            .clone();
        assert_eq!(logins(&first), all[..n.min(5)], "first {n}");
        assert_eq!(first["pageInfo"]["hasNextPage"], n < 5, "first {n}");
        let last = app
            .ok(ACCOUNTS, json!({ "last": n }), Some(app.admin()))
            .await["accounts"]
            .clone();
        assert_eq!(logins(&last), all[5 - n.min(5)..], "last {n}");
        assert_eq!(last["pageInfo"]["hasPreviousPage"], n < 5, "last {n}");
    }

    let last = app
        .ok(ACCOUNTS, json!({ "last": 2 }), Some(app.admin()))
        .await["accounts"]
        .clone();
    assert_eq!(logins(&last), ["d-user", "e-user"]);
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    let before = last["pageInfo"]["startCursor"].clone();
    let prev = app
        .ok(
            ACCOUNTS,
            json!({ "last": 2, "before": before }),
            Some(app.admin()),
        )
        .await["accounts"]
        .clone();
    assert_eq!(logins(&prev), ["b-user", "c-user"]);
    assert_eq!(prev["pageInfo"]["hasNextPage"], true);

    // Past the end: an empty page without cursors.
    let end = seen.len();
    assert_eq!(end, 5);
    let tail = app
        .ok(
            ACCOUNTS,
            json!({ "first": 10, "after": after }),
            Some(app.admin()),
        )
        .await["accounts"]
        .clone();
    let cursor = tail["pageInfo"]["endCursor"].clone();
    let empty = app
        .ok(
            ACCOUNTS,
            json!({ "first": 10, "after": cursor }),
            Some(app.admin()),
        )
        .await["accounts"]
        .clone();
    assert_eq!(empty["nodes"], json!([]));
    assert_eq!(
        empty["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": true, "startCursor": null, "endCursor": null })
    );
}

#[tokio::test]
async fn page_sizes_outside_1_to_100_and_first_with_last_are_refused() {
    let app = TestApp::spawn().await;
    for vars in [
        json!({ "first": 0 }),
        json!({ "first": 101 }),
        json!({ "last": -1 }),
        json!({ "first": 2, "last": 2 }),
        json!({ "after": "not-a-cursor" }),
    ] {
        let (status, body) = app.graphql(ACCOUNTS, vars.clone(), Some(app.admin())).await;
        assert_eq!(status, StatusCode::OK, "{vars}");
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{vars}: {body}");
    }
    let ok = app
        .ok(ACCOUNTS, json!({ "first": 100 }), Some(app.admin()))
        .await;
    assert_eq!(ok["accounts"]["totalCount"], 0);
}

const SUBS: &str = "query($f: SubAccountFilter, $o: AccountOrder, $first: Int, $after: String) { viewer { account { subAccounts(filter: $f, orderBy: $o, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { login fullName status subAccountType activeServicesCount totalServiceCost } } } } }";

struct Fixture {
    app: TestApp,
    token: String,
}

/// A main account with six sub-accounts of every status and both types.
async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let tariff = app.create_tariff("Fiber", "10.50").await;
    let subs = [
        ("s-new", "Zed New", "NEW", "AGGREGATED", "Elm Street", 0),
        (
            "s-act",
            "Amy Active",
            "ACTIVE",
            "AGGREGATED",
            "Oak Avenue",
            2,
        ),
        (
            "s-blk",
            "Bob Blocked",
            "BLOCKED",
            "INDEPENDENT",
            "Pine Road",
            1,
        ),
        (
            "s-ina",
            "Cat Inactive",
            "INACTIVE",
            "INDEPENDENT",
            "Elm Street",
            0,
        ),
        (
            "s-act2",
            "Dan Active",
            "ACTIVE",
            "INDEPENDENT",
            "Birch Way",
            3,
        ),
        (
            "s-tie",
            "Amy Active",
            "ACTIVE",
            "AGGREGATED",
            "100% Lane_x",
            1,
        ),
    ];
    for (login, name, status, kind, street, services) in subs {
        let id = app
            .create_account(login, json!({ "fullName": name, "status": status, "address": { "street": street, "city": "Town", "zipCode": "1", "country": "DE" } }))
            .await;
        assert_eq!(app.link(&main, &id, kind).await, json!([]));
        for _ in 0..services {
            app.add_service(&id, &tariff, entity::enums::ServiceStatus::Active)
                .await;
        }
        app.add_service(&id, &tariff, entity::enums::ServiceStatus::Paused)
            .await;
    }
    let token = app.token_for(&main).await;
    Fixture { app, token }
}

async fn subs(f: &Fixture, vars: Value) -> Value {
    f.app.ok(SUBS, vars, Some(&f.token)).await["viewer"]["account"]["subAccounts"].clone()
}

#[tokio::test]
async fn the_sub_accounts_list_filters_by_every_status_combination() {
    let f = fixture().await;
    let all = ["NEW", "ACTIVE", "BLOCKED", "INACTIVE"];
    let count_of = |s: &str| match s {
        "ACTIVE" => 3,
        _ => 1,
    };
    for mask in 1u32..16 {
        let chosen: Vec<&str> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect();
        let page = subs(&f, json!({ "f": { "status": chosen } })).await;
        let expected: i64 = chosen.iter().map(|s| count_of(s)).sum();
        assert_eq!(page["totalCount"], expected, "{chosen:?}");
        assert!(
            page["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .all(|n| chosen.contains(&n["status"].as_str().unwrap_or_default()))
        );
    }
    assert_eq!(subs(&f, json!({})).await["totalCount"], 6);
    assert_eq!(
        subs(&f, json!({ "f": { "type": "INDEPENDENT" } })).await["totalCount"],
        3
    );
    assert_eq!(
        subs(
            &f,
            json!({ "f": { "type": "AGGREGATED", "status": ["ACTIVE"] } })
        )
        .await["totalCount"],
        2
    );
}

#[tokio::test]
async fn search_is_case_insensitive_over_name_login_and_address_and_only_text() {
    let f = fixture().await;
    let found = |page: Value| logins(&page);
    assert_eq!(
        found(subs(&f, json!({ "f": { "search": "ELM street" } })).await),
        ["s-ina", "s-new"]
    );
    assert_eq!(
        found(subs(&f, json!({ "f": { "search": "s-BLK" } })).await),
        ["s-blk"]
    );
    assert_eq!(
        found(subs(&f, json!({ "f": { "search": "dan" } })).await),
        ["s-act2"]
    );
    // Wildcards and SQL are plain text.
    assert_eq!(
        found(subs(&f, json!({ "f": { "search": "100%" } })).await),
        ["s-tie"]
    );
    assert_eq!(
        found(subs(&f, json!({ "f": { "search": "_x" } })).await),
        ["s-tie"]
    );
    assert_eq!(
        subs(&f, json!({ "f": { "search": "%" } })).await["totalCount"],
        1
    );
    assert_eq!(
        subs(&f, json!({ "f": { "search": "' OR 1=1 --" } })).await["totalCount"],
        0
    );
}

#[tokio::test]
async fn the_list_sorts_by_each_field_with_ties_broken_by_id() {
    let f = fixture().await;
    let order = |field: &str, dir: &str| json!({ "o": { "field": field, "direction": dir } });
    assert_eq!(
        logins(&subs(&f, order("FULL_NAME", "ASC")).await),
        ["s-act", "s-tie", "s-blk", "s-ina", "s-act2", "s-new"]
    );
    assert_eq!(
        logins(&subs(&f, order("FULL_NAME", "DESC")).await),
        ["s-new", "s-act2", "s-ina", "s-blk", "s-tie", "s-act"]
    );
    assert_eq!(
        logins(&subs(&f, order("STATUS", "ASC")).await),
        ["s-new", "s-act", "s-act2", "s-tie", "s-blk", "s-ina"]
    );
    assert_eq!(
        logins(&subs(&f, order("LINKED_AT", "DESC")).await),
        ["s-tie", "s-act2", "s-ina", "s-blk", "s-act", "s-new"]
    );
    let by_cost = subs(&f, order("TOTAL_SERVICE_COST", "DESC")).await;
    assert_eq!(
        logins(&by_cost),
        ["s-act2", "s-act", "s-tie", "s-blk", "s-ina", "s-new"]
    );
    assert_eq!(by_cost["nodes"][0]["totalServiceCost"], "31.50");
    assert_eq!(by_cost["nodes"][0]["activeServicesCount"], 3);
    assert_eq!(by_cost["nodes"][5]["totalServiceCost"], "0.00");
}

#[tokio::test]
async fn cursors_stay_stable_when_rows_are_inserted_between_pages() {
    for (field, dir) in [
        ("FULL_NAME", "ASC"),
        ("STATUS", "DESC"),
        ("LINKED_AT", "ASC"),
        ("TOTAL_SERVICE_COST", "DESC"),
    ] {
        let f = fixture().await;
        let vars = |after: Option<String>| json!({ "o": { "field": field, "direction": dir }, "first": 2, "after": after });
        let first = subs(&f, vars(None)).await;
        let reference = {
            let all = subs(
                &f,
                json!({ "o": { "field": field, "direction": dir }, "first": 100 }),
            )
            .await;
            logins(&all)
        };
        // Insert a row that sorts before everything seen so far.
        let main = f
            .app
            .ok("{ viewer { account { id } } }", json!({}), Some(&f.token))
            .await["viewer"]["account"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let new = f
            .app
            .create_account(
                "s-late",
                json!({ "fullName": "Aaa Early", "status": "NEW" }),
            )
            .await;
        f.app.link(&main, &new, "INDEPENDENT").await;
        let mut seen = logins(&first);
        let mut after = first["pageInfo"]["endCursor"].as_str().map(String::from);
        loop {
            let page = subs(&f, vars(after.clone())).await;
            seen.extend(logins(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(String::from);
        }
        seen.retain(|l| l != "s-late");
        assert_eq!(seen, reference, "{field} {dir}: no row skipped or repeated");
    }
}

/// Every list of an account that pages from the end (`last`/`before`, found by introspection:
/// a list given them tomorrow is walked too) holds, walked backward a row at a time, the
/// rows paging forward gives, in the same order. On the demo's main account, whose lists
/// have rows.
#[tokio::test]
async fn every_list_that_pages_backward_holds_the_forward_list() {
    let app = TestApp::spawn().await;
    portal_api::fixtures::demo::demo(&app.state.db)
        .await
        .expect("demo data");
    let schema = crate::walk::Schema::load(&app).await;
    let found = app
        .ok(
            "{ accounts(filter: {search: \"Northwind Holdings\"}) { nodes { id login } } }",
            json!({}),
            Some(app.admin()),
        )
        .await;
    let main = found["accounts"]["nodes"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["login"] == "main")
        .expect("the demo's main")["id"]
        .clone();
    let token = app.token_for(main.as_str().expect("id")).await;
    // Two more orders the main pays for a sub-account: more invoices and orders to walk.
    let world = app
        .ok(
            "{ tariffs { id } viewer { account { subAccounts(filter: {status: [ACTIVE]}) { nodes { id subAccountType } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let tariff = world["tariffs"][0]["id"].clone();
    let sub = world["viewer"]["account"]["subAccounts"]["nodes"]
        .as_array()
        .expect("subs")
        .iter()
        .find(|a| a["subAccountType"] == "AGGREGATED")
        .expect("an aggregated sub-account")["id"]
        .clone();
    for _ in 0..2 {
        let placed = app
            .ok(
                "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: ACCOUNT_BALANCE}}) { userErrors { code message } } }",
                json!({ "a": sub, "t": tariff }),
                Some(&token),
            )
            .await;
        assert_eq!(placed["placeOrder"]["userErrors"], json!([]));
    }
    let mut walked = Vec::new();
    for field in schema.fields("Account") {
        let args: Vec<&str> = field["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(|a| a["name"].as_str())
            .collect();
        if !["first", "after", "last", "before"]
            .iter()
            .all(|a| args.contains(a))
        {
            continue;
        }
        let name = field["name"].as_str().expect("name");
        let query = format!(
            "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{ node(id: $id) {{ ... on Account {{ list: {name}(first: $first, after: $after, last: $last, before: $before) {{ totalCount edges {{ cursor }} pageInfo {{ hasPreviousPage startCursor }} }} }} }} }}"
        );
        let cursors = |page: &Value| -> Vec<Value> {
            page["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["cursor"].clone())
                .collect()
        };
        let forward = app
            .ok(&query, json!({ "id": main, "first": 100 }), Some(&token))
            .await["node"]["list"]
            .clone();
        let forward_cursors = cursors(&forward);
        let mut backward = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = app
                .ok(
                    &query,
                    json!({ "id": main, "last": 1, "before": before }),
                    Some(&token),
                )
                .await["node"]["list"]
                .clone();
            assert_eq!(page["totalCount"], forward["totalCount"], "{name}");
            backward.splice(0..0, cursors(&page));
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(
            backward, forward_cursors,
            "{name}: backward holds the forward list"
        );
        walked.push((name.to_string(), forward_cursors.len()));
    }
    // The portal's numbered pages rely on these; each has rows to walk in the demo.
    for list in ["subAccounts", "subAccountOrders", "invoices", "activity"] {
        assert!(
            walked.iter().any(|(n, rows)| n == list && *rows > 2),
            "{list} walked with rows: {walked:?}"
        );
    }
}
