//! The audit trail (SPEC.md "Controls"): every entry says who acted, for which account, from
//! where, with before and after; a main account reads the feed across the sub-accounts it
//! may see and downloads it as CSV through a signed link that expires.

use serde_json::{Value, json};

use entity::enums::ServiceStatus;

use crate::helpers::{TestApp, decode_pk, encode_id, first_code};

const ENTRY: &str = "id action actor actorKind actorAccount { id } actorStaffUser { id } onBehalfOf { id } clientAddress userAgent before after";

/// A GraphQL request with a user agent of our own.
async fn as_client(app: &TestApp, query: &str, variables: Value, token: &str) -> Value {
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header("user-agent", "AuditTest/1.0 (portal)")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

async fn feed(app: &TestApp, token: &str, filter: Value) -> Vec<Value> {
    let data = app
        .ok(
            &format!("query($f: ActivityFilter) {{ activityFeed(filter: $f, first: 100) {{ totalCount nodes {{ {ENTRY} }} }} }}"),
            json!({ "f": filter }),
            Some(token),
        )
        .await;
    let nodes = data["activityFeed"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(data["activityFeed"]["totalCount"], nodes.len());
    nodes
}

#[tokio::test]
async fn entries_say_who_acted_for_whom_from_where_with_before_and_after() {
    let app = TestApp::spawn().await;
    let t = app.tenant("audit").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let service = encode_id(
        "Service",
        app.add_service(&t.aggregated, &tariff, ServiceStatus::Active)
            .await,
    );
    let main = app.token_for(&t.main).await;
    as_client(
        &app,
        "mutation($s: ID!) { pauseService(input: {serviceId: $s}) { userErrors { code } } }",
        json!({ "s": service }),
        &main,
    )
    .await;

    // The main account reads the sub-account's history in full.
    let seen = feed(
        &app,
        &main,
        json!({ "accountIds": [t.aggregated], "actions": ["service.paused"] }),
    )
    .await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    let e = &seen[0];
    assert_eq!(e["actorKind"], "ACCOUNT");
    assert_eq!(e["actorAccount"]["id"], json!(t.main));
    assert_eq!(e["onBehalfOf"]["id"], json!(t.aggregated));
    assert_eq!(e["clientAddress"], "127.0.0.1");
    assert_eq!(e["userAgent"], "AuditTest/1.0 (portal)");
    assert_eq!(e["before"]["status"], "ACTIVE");
    assert_eq!(e["after"]["status"], "PAUSED");

    // The sub-account sees what happened, not who its main is nor where it acted from.
    let sub = app.token_for(&t.aggregated).await;
    let own = feed(&app, &sub, json!({ "actions": ["service.paused"] })).await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["actor"], "your main account");
    assert_eq!(own[0]["actorAccount"], Value::Null);
    assert_eq!(own[0]["clientAddress"], Value::Null);
    assert_eq!(own[0]["userAgent"], Value::Null);
    assert_eq!(own[0]["after"]["status"], "PAUSED");

    // Staff: named as staff, on behalf of the account; they see the origin.
    app.deposit(&t.main, "10.00").await;
    let staff = feed(
        &app,
        app.admin(),
        json!({ "accountIds": [t.main], "actions": ["balance.adjusted"] }),
    )
    .await;
    assert_eq!(staff[0]["actorKind"], "STAFF");
    assert!(staff[0]["actorStaffUser"]["id"].is_string(), "{staff:?}");
    assert_eq!(staff[0]["onBehalfOf"]["id"], json!(t.main));
    assert_eq!(staff[0]["clientAddress"], "127.0.0.1");
    // Customers do not see staff users as objects.
    let mine = feed(
        &app,
        &main,
        json!({ "accountIds": [t.main], "actions": ["balance.adjusted"] }),
    )
    .await;
    assert_eq!(mine[0]["actorKind"], "STAFF");
    assert_eq!(mine[0]["actorStaffUser"], Value::Null);
    assert_eq!(mine[0]["clientAddress"], Value::Null);
}

#[tokio::test]
async fn the_feed_spans_the_readable_sub_accounts_with_filters_and_pages() {
    let app = TestApp::spawn().await;
    let t = app.tenant("feed").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let main = app.token_for(&t.main).await;
    for account in [&t.aggregated, &t.main, &t.aggregated] {
        let s = encode_id(
            "Service",
            app.add_service(account, &tariff, ServiceStatus::Active)
                .await,
        );
        app.ok(
            "mutation($s: ID!) { pauseService(input: {serviceId: $s}) { userErrors { code } } }",
            json!({ "s": s }),
            Some(&main),
        )
        .await;
    }
    // The independent sub-account's history is not readable (independent access off).
    app.ok(
        "mutation($a: ID!) { adjustBalance(input: {accountId: $a, amount: \"5.00\", reason: \"gift\"}) { userErrors { code } } }",
        json!({ "a": t.independent }),
        Some(app.admin()),
    )
    .await;
    let everything = feed(&app, &main, Value::Null).await;
    let accounts: std::collections::BTreeSet<i64> = everything
        .iter()
        .map(|e| {
            let on = e["onBehalfOf"]["id"]
                .as_str()
                .unwrap_or(&t.main)
                .to_string();
            decode_pk(&on)
        })
        .collect();
    assert!(accounts.contains(&decode_pk(&t.aggregated)) && accounts.contains(&decode_pk(&t.main)));
    assert!(
        !everything
            .iter()
            .any(|e| e["action"] == "balance.adjusted"
                && e["onBehalfOf"]["id"] == json!(t.independent)),
        "nothing of an account whose history it may not read"
    );
    let paused = feed(&app, &main, json!({ "actions": ["service.paused"] })).await;
    assert_eq!(paused.len(), 3);
    let of_sub = feed(
        &app,
        &main,
        json!({ "accountIds": [t.aggregated], "actions": ["service.paused"] }),
    )
    .await;
    assert_eq!(of_sub.len(), 2);
    // Newest first, pages that do not overlap.
    let first = app
        .ok(
            "query { activityFeed(filter: {actions: [\"service.paused\"]}, first: 2) { pageInfo { hasNextPage endCursor } nodes { id } } }",
            json!({}),
            Some(&main),
        )
        .await;
    assert_eq!(first["activityFeed"]["pageInfo"]["hasNextPage"], true);
    let next = app
        .ok(
            "query($c: String) { activityFeed(filter: {actions: [\"service.paused\"]}, first: 2, after: $c) { pageInfo { hasNextPage } nodes { id } } }",
            json!({ "c": first["activityFeed"]["pageInfo"]["endCursor"] }),
            Some(&main),
        )
        .await;
    let ids: Vec<Value> = first["activityFeed"]["nodes"]
        .as_array()
        .expect("page")
        .iter()
        .chain(next["activityFeed"]["nodes"].as_array().expect("page"))
        .map(|n| n["id"].clone())
        .collect();
    let want: Vec<Value> = paused.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(ids, want);
    // A date range: nothing from tomorrow on.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    assert!(
        feed(&app, &main, json!({ "from": tomorrow }))
            .await
            .is_empty()
    );
    assert_eq!(
        feed(
            &app,
            &main,
            json!({ "to": tomorrow, "actions": ["service.paused"] })
        )
        .await
        .len(),
        3
    );
    // An account it may not read is refused, not left out.
    let (_, refused) = app
        .graphql(
            "query($a: ID!) { activityFeed(filter: {accountIds: [$a]}) { nodes { id } } }",
            json!({ "a": t.independent }),
            Some(&main),
        )
        .await;
    assert_eq!(first_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn the_csv_export_link_works_once_signed_and_not_when_tampered_or_expired() {
    let app = TestApp::spawn().await;
    let t = app.tenant("csv").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let main = app.token_for(&t.main).await;
    let s = encode_id(
        "Service",
        app.add_service(&t.aggregated, &tariff, ServiceStatus::Active)
            .await,
    );
    as_client(
        &app,
        "mutation($s: ID!) { pauseService(input: {serviceId: $s}) { userErrors { code } } }",
        json!({ "s": s }),
        &main,
    )
    .await;
    let link = app
        .ok(
            "query($a: ID!) { activityExport(filter: {accountIds: [$a]}) { url expiresAt } }",
            json!({ "a": t.aggregated }),
            Some(&main),
        )
        .await["activityExport"]
        .clone();
    let url = link["url"].as_str().expect("url").to_string();
    let got = app.client.get(app.url(&url)).send().await.expect("sent");
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(got.headers()["cache-control"], "private, no-store");
    let csv = got.text().await.expect("text");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "at,account,action,actor,actor_kind,on_behalf_of,client_address,user_agent,before,after"
        )
    );
    let rows: Vec<&str> = lines.collect();
    let feed = feed(&app, &main, json!({ "accountIds": [t.aggregated] })).await;
    assert_eq!(rows.len(), feed.len(), "{csv}");
    let paused = rows
        .iter()
        .find(|r| r.contains("service.paused"))
        .expect("the pause");
    assert!(
        paused.contains("csv-agg") && paused.contains("AuditTest/1.0 (portal)"),
        "{paused}"
    );
    assert!(
        paused.contains("\"{\"\"status\"\":\"\"PAUSED\"\"}\""),
        "{paused}"
    );

    // Tampered: another filter, subject, expiry or signature.
    let tampered = [
        url.replace("filter=", "filter=e30"),
        url.replace(
            &format!("subject=account:{}", decode_pk(&t.main)),
            "subject=account:999999",
        ),
        url.replace("expires=", "expires=9"),
        // The signature's last digit changed (to another digit, whatever it was).
        format!(
            "{}{}",
            &url[..url.len() - 1],
            if url.ends_with('0') { '1' } else { '0' }
        ),
        url.split("&sig=").next().expect("path").to_string(),
    ];
    for bad in tampered {
        let got = app.client.get(app.url(&bad)).send().await.expect("sent");
        assert_eq!(got.status(), 403, "{bad}");
    }
    // Expired: a link made eleven minutes ago.
    let viewer = portal_api::auth::load_viewer(
        &app.state.db,
        portal_api::auth::Subject::Account(decode_pk(&t.main)),
    )
    .await
    .expect("viewer");
    let (old, _) = portal_api::domain::activity::feed::export_link(
        &app.state.db,
        &app.state.link_key,
        &viewer,
        &portal_api::domain::activity::feed::FeedFilter::default(),
        chrono::Utc::now() - chrono::Duration::minutes(11),
    )
    .await
    .expect("link");
    let got = app.client.get(app.url(&old)).send().await.expect("sent");
    assert_eq!(got.status(), 403);
    // A link for an account the viewer may no longer read: refused when used.
    app.set_management(&t.main, false).await;
    let got = app.client.get(app.url(&url)).send().await.expect("sent");
    assert_eq!(got.status(), 403);
}
