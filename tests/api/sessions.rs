//! Signing out (this session, everywhere), changing a password (other sessions end), and a
//! reset staff force (the account may only change its password until it does).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, first_code};

const LOGIN: &str = "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken refreshToken passwordChangeRequired userErrors { code } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken userErrors { code } } }";
const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) { sessionsEnded userErrors { code field } } }";
const WHO: &str = "{ viewer { account { login } } }";

struct Session {
    access: String,
    refresh: String,
}

async fn login(app: &TestApp, login: &str, password: &str) -> Session {
    let out = app
        .ok(LOGIN, json!({ "l": login, "p": password }), None)
        .await;
    assert_eq!(out["login"]["userErrors"], json!([]), "{out}");
    Session {
        access: out["login"]["accessToken"].as_str().expect("access").into(),
        refresh: out["login"]["refreshToken"]
            .as_str()
            .expect("refresh")
            .into(),
    }
}

async fn refreshes(app: &TestApp, token: &str) -> bool {
    let out = app.ok(REFRESH, json!({ "t": token }), None).await;
    match out["refreshSession"]["userErrors"].as_array() {
        Some(e) if e.is_empty() => true,
        Some(e) => {
            assert_eq!(e[0]["code"], "INVALID_CREDENTIALS", "{out}");
            false
        }
        None => panic!("{out}"),
    }
}

#[tokio::test]
async fn logout_ends_this_session_only_and_the_access_token_lives_until_its_expiry() {
    let app = TestApp::spawn().await;
    app.create_account("leaver", json!({})).await;
    let phone = login(&app, "leaver", PASSWORD).await;
    let laptop = login(&app, "leaver", PASSWORD).await;
    let out = app
        .ok(
            "mutation { logout { sessionsEnded userErrors { code } } }",
            json!({}),
            Some(&phone.access),
        )
        .await;
    assert_eq!(out["logout"]["sessionsEnded"], 1);
    assert!(
        !refreshes(&app, &phone.refresh).await,
        "the phone's refresh is dead"
    );
    assert_eq!(
        app.ok(WHO, json!({}), Some(&phone.access)).await["viewer"]["account"]["login"],
        "leaver",
        "an access token lives until its expiry"
    );
    assert!(
        refreshes(&app, &laptop.refresh).await,
        "the laptop stays signed in"
    );
    let (status, body) = app
        .graphql("mutation { logout { sessionsEnded } }", json!({}), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_everywhere_ends_every_session() {
    let app = TestApp::spawn().await;
    app.create_account("everywhere", json!({})).await;
    let sessions = [
        login(&app, "everywhere", PASSWORD).await,
        login(&app, "everywhere", PASSWORD).await,
        login(&app, "everywhere", PASSWORD).await,
    ];
    let out = app
        .ok(
            "mutation { logoutEverywhere { sessionsEnded } }",
            json!({}),
            Some(&sessions[0].access),
        )
        .await;
    assert_eq!(out["logoutEverywhere"]["sessionsEnded"], 3);
    for s in &sessions {
        assert!(!refreshes(&app, &s.refresh).await);
    }
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    app.create_account("changer", json!({})).await;
    let here = login(&app, "changer", PASSWORD).await;
    let elsewhere = login(&app, "changer", PASSWORD).await;
    let wrong = app
        .ok(
            CHANGE,
            json!({ "c": "not-my-password", "n": "a-new-long-password" }),
            Some(&here.access),
        )
        .await;
    assert_eq!(
        wrong["changePassword"]["userErrors"],
        json!([{ "code": "INVALID_CREDENTIALS", "field": ["input", "currentPassword"] }])
    );
    let short = app
        .ok(
            CHANGE,
            json!({ "c": PASSWORD, "n": "short" }),
            Some(&here.access),
        )
        .await;
    assert_eq!(
        short["changePassword"]["userErrors"][0]["field"],
        json!(["input", "newPassword"])
    );
    assert!(
        refreshes(&app, &elsewhere.refresh).await,
        "nothing changed yet"
    );
    let elsewhere = login(&app, "changer", PASSWORD).await;
    let changed = app
        .ok(
            CHANGE,
            json!({ "c": PASSWORD, "n": "a-new-long-password" }),
            Some(&here.access),
        )
        .await;
    assert_eq!(changed["changePassword"]["userErrors"], json!([]));
    assert!(
        changed["changePassword"]["sessionsEnded"]
            .as_i64()
            .is_some_and(|n| n >= 1),
        "{changed}"
    );
    assert!(
        !refreshes(&app, &elsewhere.refresh).await,
        "the other session ended"
    );
    assert!(refreshes(&app, &here.refresh).await, "this one did not");
    let old = app
        .ok(LOGIN, json!({ "l": "changer", "p": PASSWORD }), None)
        .await;
    assert_eq!(old["login"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
    login(&app, "changer", "a-new-long-password").await;
}

#[tokio::test]
async fn after_a_forced_reset_the_account_may_only_change_its_password() {
    let app = TestApp::spawn().await;
    let account = app
        .create_account("reset-me", json!({ "status": "ACTIVE" }))
        .await;
    let before = login(&app, "reset-me", PASSWORD).await;
    let out = app
        .ok(
            "mutation($a: ID!) { forcePasswordReset(input: {accountId: $a, temporaryPassword: \"temporary-123\"}) { account { id } userErrors { code } } }",
            json!({ "a": account }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(out["forcePasswordReset"]["userErrors"], json!([]));
    assert!(
        !refreshes(&app, &before.refresh).await,
        "every session ended"
    );
    let old = app
        .ok(LOGIN, json!({ "l": "reset-me", "p": PASSWORD }), None)
        .await;
    assert_eq!(old["login"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
    let temp = app
        .ok(
            LOGIN,
            json!({ "l": "reset-me", "p": "temporary-123" }),
            None,
        )
        .await;
    assert_eq!(temp["login"]["passwordChangeRequired"], true);
    let token = temp["login"]["accessToken"].as_str().expect("token");
    let (status, body) = app
        .graphql(
            "{ viewer { account { services { totalCount } } } tariffs { id } }",
            json!({}),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(first_code(&body), "PASSWORD_CHANGE_REQUIRED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("tariffs")),
        "{body}"
    );
    // Fragments do not hide a root field.
    let (status, _) = app
        .graphql(
            "query { ...F } fragment F on Query { tariffs { id } }",
            json!({}),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.ok(WHO, json!({}), Some(token)).await["viewer"]["account"]["login"],
        "reset-me"
    );
    let changed = app
        .ok(
            CHANGE,
            json!({ "c": "temporary-123", "n": "my-own-password" }),
            Some(token),
        )
        .await;
    assert_eq!(changed["changePassword"]["userErrors"], json!([]));
    let data = app.ok("{ tariffs { id } }", json!({}), Some(token)).await;
    assert!(data["tariffs"].is_array());
    let fresh = app
        .ok(
            LOGIN,
            json!({ "l": "reset-me", "p": "my-own-password" }),
            None,
        )
        .await;
    assert_eq!(fresh["login"]["passwordChangeRequired"], false);
    let (_, body) = app
        .graphql(
            "mutation($a: ID!) { forcePasswordReset(input: {accountId: $a, temporaryPassword: \"temporary-123\"}) { account { id } } }",
            json!({ "a": account }),
            Some(token),
        )
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN", "customers cannot: {body}");
}
