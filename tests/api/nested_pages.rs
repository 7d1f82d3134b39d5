//! The pages of many parents read at once (a loader's one statement: `LATERAL` on
//! PostgreSQL, window functions on SQLite) are each parent's list cut where Relay says:
//! for main accounts with no, few and many sub-accounts (ties in every sort key), every
//! sort field in both directions, forward and backward pages from the start, from a cursor
//! and between two cursors, the nested `subAccounts` of a page of main accounts hold the
//! rows, cursors and `pageInfo` the test works out from each main's rows sorted by the
//! field's rule itself; `totalCount`, read only when asked for, is each parent's count
//! whether or not its page is empty.

use std::{cmp::Ordering, collections::HashMap};

use serde_json::{Value, json};

use crate::helpers::{TestApp, decode_pk};

const ARGS: &str = "orderBy: {field: $field, direction: $dir}, first: $first, after: $after, last: $last, before: $before";

const VARS: &str = "$field: AccountSortField!, $dir: SortDirection!, $first: Int, $after: String, $last: Int, $before: String";

const ROW: &str = "id fullName status linkedAt totalServiceCost";

/// Every main's list at once: the sub-accounts of a page of main accounts.
async fn together(app: &TestApp, vars: &Value, counted: bool) -> Vec<(String, Value)> {
    let total = if counted { "totalCount " } else { "" };
    let q = format!(
        "query({VARS}) {{ accounts(filter: {{search: \"nest-m\"}}, first: 10) {{ nodes {{ id subAccounts({ARGS}) {{ {total}pageInfo {{ hasNextPage hasPreviousPage }} edges {{ cursor node {{ {ROW} }} }} }} }} }} }}"
    );
    let data = app.ok(&q, vars.clone(), Some(app.admin())).await;
    data["accounts"]["nodes"]
        .as_array()
        .expect("mains")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("id").to_string(),
                n["subAccounts"].clone(),
            )
        })
        .collect()
}

/// The order of two rows under `field` and `dir`, ties broken by id in the same direction.
fn order(field: &str, dir: &str, a: &Value, b: &Value) -> Ordering {
    let rank = |s: &Value| {
        ["NEW", "ACTIVE", "BLOCKED", "INACTIVE"]
            .iter()
            .position(|x| s == x)
    };
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("linkedAt")).expect("time")
    };
    let cost = |v: &Value| v.as_str().expect("cost").parse::<f64>().expect("decimal");
    let by_key = match field {
        "FULL_NAME" => a["fullName"].as_str().cmp(&b["fullName"].as_str()),
        "STATUS" => rank(&a["status"]).cmp(&rank(&b["status"])),
        "LINKED_AT" => time(&a["linkedAt"]).cmp(&time(&b["linkedAt"])),
        _ => cost(&a["totalServiceCost"]).total_cmp(&cost(&b["totalServiceCost"])),
    };
    let id = |v: &Value| decode_pk(v["id"].as_str().expect("id"));
    let both = by_key.then(id(a).cmp(&id(b)));
    if dir == "DESC" { both.reverse() } else { both }
}

/// The page Relay's rules cut from `rows` (sorted) for `req`, the cursors' rows given:
/// (the rows' ids, hasPreviousPage, hasNextPage).
fn expected(
    rows: &[Value],
    req: &Value,
    after: Option<&Value>,
    before: Option<&Value>,
    cmp: impl Fn(&Value, &Value) -> Ordering,
) -> (Vec<String>, bool, bool) {
    let window: Vec<&Value> = rows
        .iter()
        .filter(|r| after.is_none_or(|c| cmp(r, c) == Ordering::Greater))
        .filter(|r| before.is_none_or(|c| cmp(r, c) == Ordering::Less))
        .collect();
    let ids = |rows: &[&Value]| {
        rows.iter()
            .map(|r| r["id"].as_str().expect("id").to_string())
            .collect()
    };
    if let Some(n) = req["last"].as_u64() {
        let from = window.len().saturating_sub(n as usize);
        (ids(&window[from..]), from > 0, before.is_some())
    } else {
        let n = req["first"].as_u64().expect("first") as usize;
        let to = window.len().min(n);
        (ids(&window[..to]), after.is_some(), window.len() > n)
    }
}

#[tokio::test]
async fn pages_of_many_parents_at_once_are_each_parents_own_pages() {
    // A budget the few hundred pages below do not spend.
    let app = TestApp::spawn_with(portal_api::config::Mode::Development, |c| {
        c.rate_limit_burst = 100_000_000;
        c.rate_limit_per_second = 100_000_000;
    })
    .await;
    let tariff = app.create_tariff("Nested", "10.00").await;
    let mut mains = Vec::new();
    // Mains with 0, 1 and 6 sub-accounts; names, statuses and costs repeat (ties).
    for (m, subs) in [0usize, 1, 6].into_iter().enumerate() {
        let main = app
            .create_account(&format!("nest-m{m}"), json!({ "status": "ACTIVE" }))
            .await;
        for s in 0..subs {
            let status = ["ACTIVE", "NEW", "BLOCKED"][s % 3];
            let sub = app
                .create_account(
                    &format!("nest-s{m}-{s}"),
                    json!({ "status": status, "fullName": format!("Sub {}", s % 2) }),
                )
                .await;
            assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));
            if s % 3 == 0 {
                app.add_service(&sub, &tariff, entity::enums::ServiceStatus::Active)
                    .await;
            }
        }
        mains.push((main, subs));
    }
    for field in ["FULL_NAME", "STATUS", "LINKED_AT", "TOTAL_SERVICE_COST"] {
        for dir in ["ASC", "DESC"] {
            let cmp = |a: &Value, b: &Value| order(field, dir, a, b);
            let base = json!({ "field": field, "dir": dir });
            // Each main's whole list, which the pages are cut from: in the field's order.
            let mut whole = base.clone();
            whole["first"] = json!(100);
            let full = together(&app, &whole, true).await;
            let mut rows: HashMap<String, Vec<Value>> = HashMap::new();
            let mut cursors: HashMap<String, Value> = HashMap::new();
            for (main, subs) in &mains {
                let list = &full.iter().find(|(id, _)| id == main).expect("main").1;
                let edges = list["edges"].as_array().expect("edges");
                assert_eq!(edges.len(), *subs, "{field} {dir}: {list}");
                let nodes: Vec<Value> = edges.iter().map(|e| e["node"].clone()).collect();
                for pair in nodes.windows(2) {
                    assert_eq!(
                        cmp(&pair[0], &pair[1]),
                        Ordering::Less,
                        "{field} {dir}: {list}"
                    );
                }
                for e in edges {
                    cursors.insert(
                        e["cursor"].as_str().expect("cursor").into(),
                        e["node"].clone(),
                    );
                }
                rows.insert(main.clone(), nodes);
            }
            // The longest list's cursors, to page every list from.
            let many: Vec<String> = full
                .iter()
                .find(|(id, _)| *id == mains[2].0)
                .expect("main")
                .1["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["cursor"].as_str().expect("cursor").to_string())
                .collect();
            let requests = [
                json!({ "first": 2 }),
                // Sizes whose statement reads past the page and its one more (db::limit).
                json!({ "first": 4 }),
                json!({ "first": 6 }),
                json!({ "last": 4 }),
                json!({ "first": 2, "after": many[1] }),
                json!({ "first": 10, "after": many[5] }),
                json!({ "last": 2 }),
                json!({ "last": 3, "before": many[4] }),
                json!({ "last": 3, "before": many[0] }),
                json!({ "first": 5, "after": many[0], "before": many[4] }),
            ];
            for req in requests {
                let mut vars = base.clone();
                for (k, v) in req.as_object().expect("request") {
                    vars[k] = v.clone();
                }
                let at = |k: &str| req[k].as_str().map(|c| &cursors[c]);
                for counted in [true, false] {
                    let at_once = together(&app, &vars, counted).await;
                    assert_eq!(at_once.len(), 3, "every main is on the page");
                    for (main, subs) in &mains {
                        let nested = &at_once.iter().find(|(id, _)| id == main).expect("main").1;
                        let (ids, previous, next) =
                            expected(&rows[main], &req, at("after"), at("before"), cmp);
                        let got: Vec<&str> = nested["edges"]
                            .as_array()
                            .expect("edges")
                            .iter()
                            .map(|e| e["node"]["id"].as_str().expect("id"))
                            .collect();
                        let context = format!("{field} {dir} {req} counted {counted}, {subs} subs");
                        assert_eq!(got, ids, "{context}: {nested}");
                        assert_eq!(nested["pageInfo"]["hasPreviousPage"], previous, "{context}");
                        assert_eq!(nested["pageInfo"]["hasNextPage"], next, "{context}");
                        for e in nested["edges"].as_array().expect("edges") {
                            let row = &cursors[e["cursor"].as_str().expect("cursor")];
                            assert_eq!(row["id"], e["node"]["id"], "{context}: a row's cursor");
                        }
                        if counted {
                            assert_eq!(nested["totalCount"], json!(subs), "{context}");
                        } else {
                            assert!(nested.get("totalCount").is_none(), "{context}");
                        }
                    }
                }
            }
        }
    }
}
