//! Login, refresh-token rotation, and every kind of bad token.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, first_code};

const LOGIN: &str = "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken refreshToken expiresAt viewer { role account { login } } userErrors { code message } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken refreshToken userErrors { code field } } }";
const WHO: &str = "{ viewer { role account { login } } }";

async fn login(app: &TestApp, login: &str, password: &str) -> Value {
    app.ok(LOGIN, json!({ "l": login, "p": password }), None)
        .await["login"]
        .clone()
}

#[tokio::test]
async fn a_customer_logs_in_and_the_token_identifies_it() {
    let app = TestApp::spawn().await;
    app.create_account("alice", json!({})).await;
    let session = login(&app, "alice", PASSWORD).await;
    assert_eq!(session["userErrors"], json!([]));
    assert_eq!(session["viewer"]["account"]["login"], "alice");
    let token = session["accessToken"].as_str().expect("token");
    let data = app.ok(WHO, json!({}), Some(token)).await;
    assert_eq!(
        data["viewer"],
        json!({ "role": "CUSTOMER", "account": { "login": "alice" } })
    );
}

#[tokio::test]
async fn unknown_login_and_wrong_password_are_refused_alike() {
    let app = TestApp::spawn().await;
    app.create_account("alice", json!({})).await;
    let wrong = login(&app, "alice", "not-the-password").await;
    let unknown = login(&app, "nobody", PASSWORD).await;
    assert_eq!(wrong["accessToken"], Value::Null);
    assert_eq!(
        wrong["userErrors"],
        json!([{ "code": "INVALID_CREDENTIALS", "message": "invalid login or password" }])
    );
    assert_eq!(wrong["userErrors"], unknown["userErrors"]);
}

#[tokio::test]
async fn the_bootstrap_staff_user_cannot_log_in_with_a_password() {
    let app = TestApp::spawn().await;
    let session = login(&app, "admin", "!disabled").await;
    assert_eq!(session["userErrors"][0]["code"], "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn a_refresh_token_is_rotated_and_single_use() {
    let app = TestApp::spawn().await;
    app.create_account("alice", json!({})).await;
    let first = login(&app, "alice", PASSWORD).await;
    let r1 = first["refreshToken"]
        .as_str()
        .expect("refresh token")
        .to_string();

    let second = app.ok(REFRESH, json!({ "t": r1 }), None).await["refreshSession"].clone();
    assert_eq!(second["userErrors"], json!([]));
    let r2 = second["refreshToken"]
        .as_str()
        .expect("rotated token")
        .to_string();
    assert_ne!(r1, r2);
    let token = second["accessToken"].as_str().expect("access token");
    assert_eq!(
        app.ok(WHO, json!({}), Some(token)).await["viewer"]["account"]["login"],
        "alice"
    );

    // Reusing the spent token fails, and revokes the family: the rotated one dies too.
    let reuse = app.ok(REFRESH, json!({ "t": r1 }), None).await["refreshSession"].clone();
    assert_eq!(
        reuse["userErrors"],
        json!([{ "code": "INVALID_CREDENTIALS", "field": ["input", "refreshToken"] }])
    );
    let after = app.ok(REFRESH, json!({ "t": r2 }), None).await["refreshSession"].clone();
    assert_eq!(after["accessToken"], Value::Null);
    assert_eq!(after["userErrors"][0]["code"], "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let out = app.ok(REFRESH, json!({ "t": "made-up" }), None).await["refreshSession"].clone();
    assert_eq!(out["userErrors"][0]["code"], "INVALID_CREDENTIALS");
}

fn claims(exp_offset: i64, aud: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": "staff:1", "role": "ADMIN", "iat": now, "nbf": now, "exp": now + exp_offset, "iss": "portal-api", "aud": aud })
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("signs")
}

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

#[tokio::test]
async fn bad_tokens_are_refused_with_401_and_never_treated_as_anonymous() {
    let app = TestApp::spawn().await;
    let none_alg = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(600, "portal").to_string())
    );
    let cases = [
        ("alg none", none_alg),
        (
            "wrong key",
            sign(
                &claims(600, "portal"),
                b"some-other-secret-some-other-secret",
            ),
        ),
        ("expired", sign(&claims(-3600, "portal"), SECRET)),
        ("wrong audience", sign(&claims(600, "billing"), SECRET)),
        ("garbage", "not.a.token".to_string()),
        (
            "customer claiming admin",
            sign(
                &json!({ "sub": "account:1", "role": "ADMIN", "iat": 0, "nbf": 0, "exp": chrono::Utc::now().timestamp() + 600, "iss": "portal-api", "aud": "portal" }),
                SECRET,
            ),
        ),
    ];
    // The valid control: the same signing with the right key works.
    assert_eq!(
        app.graphql(WHO, json!({}), Some(&sign(&claims(600, "portal"), SECRET)))
            .await
            .0,
        StatusCode::OK
    );
    for (name, token) in cases {
        let (status, body) = app.graphql(WHO, json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(first_code(&body), "UNAUTHENTICATED", "{name}");
        assert!(
            body.get("data").is_none_or(Value::is_null),
            "{name}: no data"
        );
    }
    // A login mutation with a bad token is refused too: a bad token is never anonymous.
    let (status, _) = app
        .graphql(LOGIN, json!({ "l": "x", "p": "y" }), Some("garbage"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn anonymous_callers_may_only_log_in() {
    let app = TestApp::spawn().await;
    let (status, body) = app.graphql(WHO, json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
    let (status, body) = app.graphql("{ tariffs { id } }", json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_admin_token_from_the_cli_configuration_works() {
    let app = TestApp::spawn().await;
    let data = app.ok(WHO, json!({}), Some(app.admin())).await;
    assert_eq!(data["viewer"], json!({ "role": "ADMIN", "account": null }));
}

#[tokio::test]
async fn repeated_failed_logins_from_one_address_are_throttled_for_that_login() {
    let app = TestApp::spawn().await;
    app.create_account("alice", json!({})).await;
    app.create_account("bobby", json!({})).await;
    for _ in 0..5 {
        assert_eq!(
            login(&app, "alice", "wrong-password").await["userErrors"][0]["code"],
            "INVALID_CREDENTIALS"
        );
    }
    let (status, body) = app
        .graphql(LOGIN, json!({ "l": "alice", "p": PASSWORD }), None)
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits: {body}"
    );
    assert_eq!(first_code(&body), "RATE_LIMITED");
    assert_eq!(
        login(&app, "bobby", PASSWORD).await["userErrors"],
        json!([]),
        "other logins are unaffected"
    );
}

#[tokio::test]
async fn one_address_trying_many_logins_is_throttled() {
    let app = TestApp::spawn().await;
    app.create_account("alice", json!({})).await;
    for i in 0..20 {
        let out = login(&app, &format!("nobody{i}"), "guess").await;
        assert_eq!(out["userErrors"][0]["code"], "INVALID_CREDENTIALS");
    }
    let (status, body) = app
        .graphql(LOGIN, json!({ "l": "alice", "p": PASSWORD }), None)
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
        "{body}"
    );
}
