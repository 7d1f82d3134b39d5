//! Abuse limits before execution: depth, complexity (connections priced by page size),
//! aliases and root fields, separate for customers and admins; schema queries bounded by the
//! schema; introspection hidden from customers in production. Each refusal is 400 `QUERY_TOO_COMPLEX` and the server still serves.

use portal_api::config::Mode;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, first_code};

/// `viewer.account` then `k` hops of `subAccounts.nodes.mainAccount`: depth 4 + 3k as
/// async-graphql counts it (the operation itself is a level).
fn deep(k: usize) -> String {
    format!(
        "{{ viewer {{ account {{ {} id {} }} }} }}",
        "subAccounts { nodes { mainAccount { ".repeat(k),
        "} } } ".repeat(k)
    )
}

#[tokio::test]
async fn depth_is_limited_per_role() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    assert_eq!(
        app.graphql(&deep(2), json!({}), Some(&token)).await.0,
        StatusCode::OK,
        "depth 10 is fine"
    );
    let (status, body) = app.graphql(&deep(3), json!({}), Some(&token)).await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
    assert_eq!(
        app.graphql(&deep(3), json!({}), Some(app.admin())).await.0,
        StatusCode::OK,
        "admins get 15"
    );
    let (status, body) = app.graphql(&deep(4), json!({}), Some(app.admin())).await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX")
    );
    app.ok("{ viewer { role } }", json!({}), Some(&token)).await;
}

#[tokio::test]
async fn nested_pages_are_priced_by_their_size() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    let big = "{ viewer { account { subAccounts(first: 100) { nodes { services(first: 100) { nodes { id status tariff { id name } } } } } } } }";
    let (status, body) = app.graphql(big, json!({}), Some(&token)).await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
    let page = "{ viewer { account { subAccounts(first: 50) { nodes { services(first: 10) { nodes { id status tariff { id name } } } } } } } }";
    assert_eq!(
        app.graphql(page, json!({}), Some(&token)).await.0,
        StatusCode::OK,
        "the portal's own page fits"
    );
}

#[tokio::test]
async fn aliases_and_root_fields_are_counted() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    let aliases: String = (0..100)
        .map(|i| format!("a{i}: viewer {{ role }} "))
        .collect();
    let (status, body) = app
        .graphql(&format!("{{ {aliases} }}"), json!({}), Some(&token))
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX")
    );
    let roots = "{ viewer { role } ".to_string() + &"viewer { role } ".repeat(10) + "}";
    let (status, body) = app.graphql(&roots, json!({}), Some(&token)).await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX"),
        "11 root fields"
    );
    let through_fragment = format!(
        "query {{ ...F }} fragment F on Query {{ {} }}",
        "viewer { role } ".repeat(11)
    );
    let (_, body) = app
        .graphql(&through_fragment, json!({}), Some(&token))
        .await;
    assert_eq!(
        first_code(&body),
        "QUERY_TOO_COMPLEX",
        "fragments count too"
    );
    let (status, _) = app.graphql(&roots, json!({}), Some(app.admin())).await;
    assert_eq!(status, StatusCode::OK, "admins get 20");
}

#[tokio::test]
async fn introspection_is_for_admins_only_in_production() {
    let app = TestApp::spawn_in(Mode::Production).await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    let query = "{ __schema { queryType { name } } }";
    let (_, body) = app.graphql(query, json!({}), Some(&token)).await;
    assert_eq!(
        body["data"]["__schema"],
        serde_json::Value::Null,
        "customers get no introspection: {body}"
    );
    let data = app.ok(query, json!({}), Some(app.admin())).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    let dev = TestApp::spawn().await;
    let t = dev.tenant("d").await;
    let token = dev.token_for(&t.main).await;
    assert_eq!(
        dev.ok(query, json!({}), Some(&token)).await["__schema"]["queryType"]["name"],
        "Query",
        "on in development"
    );
}

/// The schema query GraphiQL sends (graphql-js's `getIntrospectionQuery`, with
/// descriptions, `specifiedByURL`, repeatable directives and `ofType` nine levels deep).
const STANDARD_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}"#;

#[tokio::test]
async fn the_standard_schema_query_passes_for_everyone_outside_production() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    for (who, auth) in [
        ("a customer", Some(token.as_str())),
        ("anyone", None),
        ("staff", Some(app.admin())),
    ] {
        let (status, body) = app.graphql(STANDARD_INTROSPECTION, json!({}), auth).await;
        assert_eq!(status, StatusCode::OK, "{who}: {body}");
        assert!(body.get("errors").is_none(), "{who}: {body}");
        let types = body["data"]["__schema"]["types"].as_array().expect("types");
        assert!(
            types.iter().any(|t| t["name"] == "Account"),
            "{who} learns the schema"
        );
    }
    // Bounded by the schema, not by the caller: nesting the schema's lists deeper than the
    // standard query does (types > fields > type > fields > args) is refused before it runs.
    let nested = "{ __schema { types { fields { type { fields { args { name } } } } } } }";
    let (status, body) = app.graphql(nested, json!({}), Some(&token)).await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
    // A query that also reads data keeps the caller's depth.
    let mixed = format!(
        "{{ __schema {{ queryType {{ name }} }} {} }}",
        &deep(3)[1..deep(3).len() - 1]
    );
    let (status, body) = app.graphql(&mixed, json!({}), Some(&token)).await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
}

#[tokio::test]
async fn each_subject_spends_its_own_query_cost_budget() {
    let app = TestApp::spawn_with(Mode::Development, |c| {
        c.rate_limit_burst = 60;
        c.rate_limit_per_second = 0;
    })
    .await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    let query = "{ viewer { role account { id fullName } } }";
    let (status, body) = app.graphql(query, json!({}), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let cost = &body["extensions"]["cost"];
    assert!(
        cost["requestedQueryCost"].as_u64().is_some_and(|c| c > 0),
        "{body}"
    );
    assert_eq!(cost["limit"], 60);
    let mut limited = None;
    for _ in 0..60 {
        let (status, body) = app.graphql(query, json!({}), Some(&token)).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(body);
            break;
        }
    }
    let body = limited.expect("the budget runs out");
    assert_eq!(first_code(&body), "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["cost"]["remaining"], 0);
    let other = app.token_for(&t.aggregated).await;
    assert_eq!(
        app.graphql(query, json!({}), Some(&other)).await.0,
        StatusCode::OK,
        "another subject has its own budget"
    );
}
