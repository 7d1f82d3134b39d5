//! Usage statistics: exact sums per day and month (above 2^32 bytes), half-open ranges,
//! input checks that record nothing, voice totals and the call list, and who may see what.

use serde_json::{Value, json};

use crate::helpers::{TestApp, encode_id, first_code};

const SESSION: &str = "mutation($s: ID!, $a: DateTime!, $b: DateTime!, $d: BigInt!, $u: BigInt!) { recordInternetSession(input: {serviceId: $s, startedAt: $a, endedAt: $b, downloadBytes: $d, uploadBytes: $u}) { userErrors { code field } } }";
const CALL: &str = "mutation($s: ID!, $a: DateTime!, $n: String!, $d: Int!, $c: Decimal!) { recordVoiceCall(input: {serviceId: $s, startedAt: $a, destination: $n, durationSeconds: $d, cost: $c}) { userErrors { code field } } }";
const INTERNET: &str = "query($id: ID!, $f: Date!, $t: Date!, $g: UsagePeriod) { node(id: $id) { ... on Account { internetUsage(from: $f, to: $t, groupBy: $g) { downloadBytes uploadBytes sessionSeconds points { periodStart downloadBytes uploadBytes sessionSeconds } } } } }";
const VOICE: &str = "query($id: ID!, $f: Date!, $t: Date!) { node(id: $id) { ... on Account { voiceUsage(from: $f, to: $t) { callCount totalSeconds totalCost calls(first: 2) { totalCount pageInfo { hasNextPage } nodes { destination durationSeconds cost service { id } } } } } } }";

const FIVE_GB: i64 = 5_000_000_000;

async fn session(
    app: &TestApp,
    service: &str,
    start: &str,
    end: &str,
    down: i64,
    up: i64,
) -> Value {
    app.ok(
        SESSION,
        json!({ "s": service, "a": start, "b": end, "d": down, "u": up }),
        Some(app.admin()),
    )
    .await["recordInternetSession"]["userErrors"]
        .clone()
}

#[tokio::test]
async fn internet_usage_sums_exactly_per_day_and_month_above_four_gigabytes() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let s = encode_id(
        "Service",
        app.add_service(&t.aggregated, &tariff, entity::enums::ServiceStatus::Active)
            .await,
    );
    for (start, end, down, up) in [
        ("2026-10-31T23:00:00Z", "2026-10-31T23:30:00Z", FIVE_GB, 1),
        ("2026-11-01T08:00:00Z", "2026-11-01T09:00:00Z", FIVE_GB, 2),
        ("2026-11-01T20:00:00Z", "2026-11-01T20:00:10Z", 7, 3),
        ("2026-11-30T12:00:00Z", "2026-11-30T12:01:00Z", 1, 4),
        ("2026-12-01T00:00:00Z", "2026-12-01T00:00:01Z", 1_000, 5),
    ] {
        assert_eq!(session(&app, &s, start, end, down, up).await, json!([]));
    }
    let token = app.token_for(&t.main).await;
    let by_day = app
        .ok(
            INTERNET,
            json!({ "id": t.aggregated, "f": "2026-10-01", "t": "2026-12-01", "g": "DAY" }),
            Some(&token),
        )
        .await["node"]["internetUsage"]
        .clone();
    assert_eq!(
        by_day["downloadBytes"],
        json!(2 * FIVE_GB + 8),
        "December 1st is outside [from, to)"
    );
    assert_eq!(by_day["uploadBytes"], 10);
    assert_eq!(by_day["sessionSeconds"], 1800 + 3600 + 10 + 60);
    assert_eq!(
        by_day["points"],
        json!([
            { "periodStart": "2026-10-31", "downloadBytes": FIVE_GB, "uploadBytes": 1, "sessionSeconds": 1800 },
            { "periodStart": "2026-11-01", "downloadBytes": FIVE_GB + 7, "uploadBytes": 5, "sessionSeconds": 3610 },
            { "periodStart": "2026-11-30", "downloadBytes": 1, "uploadBytes": 4, "sessionSeconds": 60 },
        ])
    );
    let by_month = app
        .ok(
            INTERNET,
            json!({ "id": t.aggregated, "f": "2026-10-01", "t": "2026-12-02", "g": "MONTH" }),
            Some(&token),
        )
        .await["node"]["internetUsage"]
        .clone();
    assert_eq!(
        by_month["points"],
        json!([
            { "periodStart": "2026-10-01", "downloadBytes": FIVE_GB, "uploadBytes": 1, "sessionSeconds": 1800 },
            { "periodStart": "2026-11-01", "downloadBytes": FIVE_GB + 8, "uploadBytes": 9, "sessionSeconds": 3670 },
            { "periodStart": "2026-12-01", "downloadBytes": 1_000, "uploadBytes": 5, "sessionSeconds": 1 },
        ])
    );
    assert_eq!(by_month["downloadBytes"], json!(2 * FIVE_GB + 1_008));
}

#[tokio::test]
async fn bad_usage_input_records_nothing_and_bad_ranges_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let s = encode_id(
        "Service",
        app.add_service(&t.main, &tariff, entity::enums::ServiceStatus::Active)
            .await,
    );
    assert_eq!(
        session(
            &app,
            &s,
            "2026-11-01T10:00:00Z",
            "2026-11-01T09:00:00Z",
            1,
            1
        )
        .await,
        json!([{ "code": "INVALID_INPUT", "field": ["input", "endedAt"] }])
    );
    assert_eq!(
        session(
            &app,
            &s,
            "2026-11-01T08:00:00Z",
            "2026-11-01T09:00:00Z",
            -1,
            1
        )
        .await,
        json!([{ "code": "INVALID_INPUT", "field": ["input", "downloadBytes"] }])
    );
    let voice = app.create_tariff_of("VOICE", "Voice", "5.00").await;
    let v = encode_id(
        "Service",
        app.add_service(&t.main, &voice, entity::enums::ServiceStatus::Active)
            .await,
    );
    // Usage of the wrong kind for the service.
    let on_internet = app
        .ok(
            CALL,
            json!({ "s": s, "a": "2026-11-01T08:00:00Z", "n": "+4930123", "d": 5, "c": "1.00" }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(
        on_internet["recordVoiceCall"]["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "serviceId"] }])
    );
    assert_eq!(
        session(
            &app,
            &v,
            "2026-11-01T08:00:00Z",
            "2026-11-01T09:00:00Z",
            1,
            1
        )
        .await,
        json!([{ "code": "INVALID_INPUT", "field": ["input", "serviceId"] }]),
        "a session on a voice service"
    );
    let call = |d: i32, c: &str| json!({ "s": v, "a": "2026-11-01T08:00:00Z", "n": "+4930123", "d": d, "c": c });
    let bad = app.ok(CALL, call(-5, "1.00"), Some(app.admin())).await;
    assert_eq!(
        bad["recordVoiceCall"]["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "durationSeconds"] }])
    );
    let bad = app.ok(CALL, call(5, "-1.00"), Some(app.admin())).await;
    assert_eq!(
        bad["recordVoiceCall"]["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "cost"] }])
    );
    let token = app.token_for(&t.main).await;
    let usage = app
        .ok(
            INTERNET,
            json!({ "id": t.main, "f": "2026-11-01", "t": "2026-11-02" }),
            Some(&token),
        )
        .await;
    assert_eq!(
        usage["node"]["internetUsage"]["points"],
        json!([]),
        "nothing was recorded"
    );
    for (f, to) in [("2026-11-02", "2026-11-01"), ("2025-01-01", "2026-11-01")] {
        let (_, body) = app
            .graphql(
                INTERNET,
                json!({ "id": t.main, "f": f, "t": to }),
                Some(&token),
            )
            .await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{f}..{to}");
    }
    let (_, body) = app.graphql(SESSION, json!({ "s": s, "a": "2026-11-01T08:00:00Z", "b": "2026-11-01T09:00:00Z", "d": 1, "u": 1 }), Some(&token)).await;
    assert_eq!(
        first_code(&body),
        "FORBIDDEN",
        "customers do not record usage"
    );
}

#[tokio::test]
async fn voice_usage_totals_are_exact_and_refused_for_independent_sub_accounts() {
    let app = TestApp::spawn().await;
    app.set_independent_access(true).await;
    let t = app.tenant("t").await;
    let tariff = app.create_tariff_of("VOICE", "Voice", "9.99").await;
    let token = app.token_for(&t.main).await;
    for sub in [&t.aggregated, &t.independent] {
        let s = encode_id(
            "Service",
            app.add_service(sub, &tariff, entity::enums::ServiceStatus::Active)
                .await,
        );
        for (n, d) in [("+4930111", 61), ("+4930222", 120), ("+4930333", 5)] {
            let out = app
                .ok(
                    CALL,
                    json!({ "s": s, "a": "2026-11-10T08:00:00Z", "n": n, "d": d, "c": "0.0150" }),
                    Some(app.admin()),
                )
                .await;
            assert_eq!(out["recordVoiceCall"]["userErrors"], json!([]));
        }
    }
    let voice = app
        .ok(
            VOICE,
            json!({ "id": t.aggregated, "f": "2026-11-01", "t": "2026-12-01" }),
            Some(&token),
        )
        .await["node"]["voiceUsage"]
        .clone();
    assert_eq!(
        (
            voice["callCount"].clone(),
            voice["totalSeconds"].clone(),
            voice["totalCost"].clone()
        ),
        (json!(3), json!(186), json!("0.045"))
    );
    assert_eq!(voice["calls"]["totalCount"], 3);
    assert_eq!(voice["calls"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(voice["calls"]["nodes"].as_array().map(Vec::len), Some(2));
    let (_, body) = app
        .graphql(
            VOICE,
            json!({ "id": t.independent, "f": "2026-11-01", "t": "2026-12-01" }),
            Some(&token),
        )
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
    let inet = app
        .ok(
            INTERNET,
            json!({ "id": t.independent, "f": "2026-11-01", "t": "2026-12-01" }),
            Some(&token),
        )
        .await;
    assert!(
        inet["node"]["internetUsage"].is_object(),
        "internet usage is allowed"
    );
}

#[tokio::test]
async fn usage_recorded_out_of_order_is_listed_newest_first_page_by_page() {
    let app = TestApp::spawn().await;
    let t = app.tenant("backfill").await;
    let mut services = Vec::new();
    for kind in ["INTERNET", "VOICE"] {
        let tariff = app.create_tariff_of(kind, kind, "5.00").await;
        services.push(encode_id(
            "Service",
            app.add_service(&t.aggregated, &tariff, entity::enums::ServiceStatus::Active)
                .await,
        ));
    }
    let (internet, voice) = (&services[0], &services[1]);
    // A feed that backfills: recorded in this order, not in time order.
    let days = ["03", "01", "05", "02", "04"];
    for day in days {
        let at = format!("2026-11-{day}T10:00:00Z");
        let end = format!("2026-11-{day}T10:30:00Z");
        assert_eq!(session(&app, internet, &at, &end, 1, 1).await, json!([]));
        let call = app
            .ok(
                CALL,
                json!({ "s": voice, "a": at, "n": format!("+49 30 {day}"), "d": 60, "c": "0.10" }),
                Some(app.admin()),
            )
            .await;
        assert_eq!(call["recordVoiceCall"]["userErrors"], json!([]));
    }
    let token = app.token_for(&t.main).await;
    for (list, query) in [
        (
            "internetUsage",
            "query($id: ID!, $after: String) { node(id: $id) { ... on Account { internetUsage(from: \"2026-11-01\", to: \"2026-12-01\") { sessions(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { startedAt } } } } } }",
        ),
        (
            "voiceUsage",
            "query($id: ID!, $after: String) { node(id: $id) { ... on Account { voiceUsage(from: \"2026-11-01\", to: \"2026-12-01\") { calls(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { startedAt } } } } } }",
        ),
    ] {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app
                .ok(
                    query,
                    json!({ "id": t.aggregated, "after": after }),
                    Some(&token),
                )
                .await;
            let conn = &page["node"][list][if list == "voiceUsage" {
                "calls"
            } else {
                "sessions"
            }];
            for n in conn["nodes"].as_array().expect("nodes") {
                seen.push(n["startedAt"].as_str().expect("time")[8..10].to_string());
            }
            if conn["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, ["05", "04", "03", "02", "01"], "{list}");
    }
}
