//! An account by id reads its Internet usage in its own statement on PostgreSQL when the
//! usage is the first of its fields the request reads with it
//! (`domain::usage::account_with_internet`): the usage costs no statement of its own, and
//! the answer is the one the usage gives when read on its own (by day and by month, per
//! service, an empty range, a refused range, an account the viewer may not see the usage
//! of, or may not see at all). SQLite reads the usage in a statement of its own.

use serde_json::{Value, json};

use crate::{
    folded::{cost, not_found, strip, unfolded},
    helpers::{TestApp, encode_id},
};

const SESSION: &str = "mutation($s: ID!, $a: DateTime!, $b: DateTime!, $d: BigInt!, $u: BigInt!) { recordInternetSession(input: {serviceId: $s, startedAt: $a, endedAt: $b, downloadBytes: $d, uploadBytes: $u}) { userErrors { code } } }";

/// Shapes of an account by id with its usage; `$id` is the account.
const USAGE: &[&str] = &[
    "query($id: ID!) { node(id: $id) { ... on Account { login internetUsage(from: \"2026-10-01\", to: \"2026-12-01\") { downloadBytes uploadBytes sessionSeconds points { periodStart downloadBytes uploadBytes sessionSeconds } byService { service { id } downloadBytes sessionSeconds } } } } }",
    "query($id: ID!) { node(id: $id) { id ...U } } fragment U on Account { login internetUsage(from: \"2026-10-01\", to: \"2026-12-01\", groupBy: MONTH) { downloadBytes points { periodStart downloadBytes uploadBytes sessionSeconds } } }",
    "query($id: ID!) { node(id: $id) { ... on Account { login internetUsage(from: \"2025-01-01\", to: \"2025-02-01\") { downloadBytes points { periodStart } byService { downloadBytes } } } } }",
];

/// The same account without its usage: what the fold costs (no statement more).
const BARE: &str = "query($id: ID!) { node(id: $id) { ... on Account { login } } }";

/// Sessions of the aggregated sub-account's two services: (service, start, end, down, up).
const SESSIONS: &[(usize, &str, &str, i64, i64)] = &[
    (
        0,
        "2026-10-31T23:00:00Z",
        "2026-10-31T23:30:00Z",
        5_000_000_000,
        1,
    ),
    (0, "2026-11-01T08:00:00Z", "2026-11-01T09:00:00Z", 70, 2),
    (1, "2026-11-01T20:00:00Z", "2026-11-01T20:00:10Z", 7, 3),
    (1, "2026-11-30T12:00:00Z", "2026-11-30T12:01:00Z", 1, 4),
    // Outside the range: not counted.
    (0, "2026-12-01T00:00:00Z", "2026-12-01T00:00:01Z", 1_000, 5),
];

#[tokio::test]
async fn an_account_by_id_reads_its_internet_usage_in_its_own_statement() {
    let app = TestApp::spawn().await;
    let t = app.tenant("usage-fold").await;
    let stranger = app
        .create_account("usage-fold-stranger", json!({ "status": "ACTIVE" }))
        .await;
    let tariff = app.create_tariff("Fiber of usage-fold", "20.00").await;
    use entity::enums::ServiceStatus::Active;
    let mut services = Vec::new();
    for account in [&t.aggregated, &t.aggregated] {
        services.push(encode_id(
            "Service",
            app.add_service(account, &tariff, Active).await,
        ));
    }
    let mut record = SESSIONS.to_vec();
    // The independent sub-account's and the stranger's: never shown to the main account.
    let others = [&t.independent, &stranger];
    for account in others {
        services.push(encode_id(
            "Service",
            app.add_service(account, &tariff, Active).await,
        ));
        record.push((
            services.len() - 1,
            "2026-11-02T10:00:00Z",
            "2026-11-02T11:00:00Z",
            123_456_789,
            6,
        ));
    }
    for (service, start, end, down, up) in record {
        let made = app
            .ok(
                SESSION,
                json!({ "s": services[service], "a": start, "b": end, "d": down, "u": up }),
                Some(app.admin()),
            )
            .await;
        assert_eq!(
            made["recordInternetSession"]["userErrors"],
            json!([]),
            "{made}"
        );
    }
    let token = app.token_for(&t.main).await;
    let resolvers = app.resolvers().await;
    let postgres = TestApp::postgres_admin_url().is_some();
    for (path, at, state) in app.paths(&resolvers) {
        let on = (&app, at, state);
        let vars = json!({ "id": t.aggregated });
        let (bare, _) = cost(on, &token, BARE, &vars).await;
        for (i, shape) in USAGE.iter().enumerate() {
            let (statements, data) = cost(on, &token, shape, &vars).await;
            // PostgreSQL reads the usage with the account; SQLite in a statement of its own.
            // The services of `byService` are read by id on their own.
            let more = if postgres { 0 } else { 1 } + [1, 0, 0][i];
            assert_eq!(statements, bare + more, "{path} {shape}: statements");
            let (_, mut want) = cost(on, &token, &unfolded(shape, "login "), &vars).await;
            strip(&mut want, "unfolded");
            assert_eq!(
                data, want,
                "{path} {shape}: the usage read with the account differs"
            );
        }
        // The values themselves: by day, per service, the range half-open.
        let (_, data) = cost(on, &token, USAGE[0], &vars).await;
        let usage = &data["node"]["internetUsage"];
        assert_eq!(
            usage["downloadBytes"],
            json!(5_000_000_078_i64),
            "{path}: {usage}"
        );
        assert_eq!(usage["uploadBytes"], json!(10), "{path}: {usage}");
        let days: Vec<&Value> = usage["points"].as_array().expect("points").iter().collect();
        let starts: Vec<&str> = days
            .iter()
            .map(|p| p["periodStart"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            starts,
            ["2026-10-31", "2026-11-01", "2026-11-30"],
            "{path}: {usage}"
        );
        assert_eq!(days[1]["downloadBytes"], json!(77), "{path}: {usage}");
        let by_service = &usage["byService"];
        assert_eq!(
            by_service[0]["service"]["id"],
            json!(services[0]),
            "{path}: {usage}"
        );
        assert_eq!(
            by_service[0]["downloadBytes"],
            json!(5_000_000_070_i64),
            "{path}: {usage}"
        );
        assert_eq!(by_service[1]["downloadBytes"], json!(8), "{path}: {usage}");
        let (_, data) = cost(on, &token, USAGE[1], &vars).await;
        let months = &data["node"]["internetUsage"]["points"];
        assert_eq!(months[0]["periodStart"], "2026-10-01", "{path}: {months}");
        assert_eq!(months[1]["downloadBytes"], json!(78), "{path}: {months}");
        // A range the field refuses, and an account whose usage the viewer may not see
        // (independent, without the switch that opens it): the error the usage gives read
        // on its own, at its path, and none of the usage in the answer.
        let refused = USAGE[0].replace("from: \"2026-10-01\"", "from: \"2027-01-01\"");
        for (shape, id, code) in [
            (refused.as_str(), &t.aggregated, "BAD_USER_INPUT"),
            (USAGE[0], &t.independent, "FORBIDDEN"),
        ] {
            let vars = json!({ "id": id });
            let (_, body) = app.graphql_at(at, shape, vars.clone(), Some(&token)).await;
            let (_, mut alone) = app
                .graphql_at(at, &unfolded(shape, "login "), vars, Some(&token))
                .await;
            strip(&mut alone["data"], "unfolded");
            assert_eq!(body["data"], alone["data"], "{path} {code}: {body}");
            assert!(
                body["data"]["node"]["login"].is_string(),
                "{path} {code}: {body}"
            );
            assert_eq!(
                body["data"]["node"]["internetUsage"],
                Value::Null,
                "{path}: {body}"
            );
            assert_eq!(
                body["errors"][0]["extensions"]["code"], code,
                "{path}: {body}"
            );
            assert_eq!(
                body["errors"][0]["path"],
                json!(["node", "internetUsage"]),
                "{path}"
            );
            assert_eq!(
                body["errors"][0]["extensions"]["code"], alone["errors"][0]["extensions"]["code"],
                "{path}"
            );
            assert!(!body.to_string().contains("123456789"), "{path}: {body}");
        }
        // An account the viewer may not see, whatever was read with it.
        not_found(on, &token, USAGE[0], &stranger, "usage-fold-stranger").await;
    }
}
