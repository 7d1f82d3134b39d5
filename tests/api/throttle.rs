//! Failed-login limits shared by every replica, keyed so that a stranger cannot lock a
//! customer out: strict per login and address, per address against spraying, and per login
//! only a growing delay. Client addresses come from `X-Forwarded-For` behind a trusted
//! proxy (here: the tests' own loopback address).

use std::{net::SocketAddr, time::Instant};

use portal_api::{auth::throttle, config::Mode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

const LOGIN: &str = "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken userErrors { code } } }";

/// A login attempt through `server` from client address `from`: the status and the
/// outcome (`ok`, a user error code, or a request error code).
async fn attempt(
    app: &TestApp,
    server: SocketAddr,
    from: &str,
    login: &str,
    password: &str,
) -> (StatusCode, String) {
    let resp = app
        .client
        .post(format!("http://{server}/graphql"))
        .header("x-forwarded-for", from)
        .json(&json!({ "query": LOGIN, "variables": { "l": login, "p": password } }))
        .send()
        .await
        .expect("sent");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    let outcome = if let Some(code) = body["errors"][0]["extensions"]["code"].as_str() {
        code.to_string()
    } else if let Some(code) = body["data"]["login"]["userErrors"][0]["code"].as_str() {
        code.to_string()
    } else {
        assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
        "ok".to_string()
    };
    (status, outcome)
}

async fn behind_a_proxy() -> TestApp {
    TestApp::spawn_with(Mode::Development, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
    })
    .await
}

#[tokio::test]
async fn failures_count_across_replicas_and_lock_only_the_address_that_failed() {
    let app = behind_a_proxy().await;
    let other = app.replica().await;
    app.create_account("alice", json!({})).await;
    // Five wrong guesses from one address, spread over both replicas.
    for i in 0..throttle::MAX_PER_PAIR {
        let server = if i % 2 == 0 { app.addr } else { other.addr };
        let (_, outcome) = attempt(&app, server, "203.0.113.7", "alice", "guess").await;
        assert_eq!(outcome, "INVALID_CREDENTIALS");
    }
    for server in [app.addr, other.addr] {
        let (status, outcome) = attempt(&app, server, "203.0.113.7", "alice", PASSWORD).await;
        assert_eq!(
            (status, outcome.as_str()),
            (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            "that address is refused on every replica, even with the right password"
        );
    }
    // The customer, from its own address, signs in.
    let (status, outcome) = attempt(&app, other.addr, "198.51.100.20", "alice", PASSWORD).await;
    assert_eq!((status, outcome.as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn a_guesser_spread_over_many_addresses_is_slowed_never_the_owner_locked_out() {
    let app = behind_a_proxy().await;
    let other = app.replica().await;
    app.create_account("bob", json!({})).await;
    let failures = throttle::FREE_PER_LOGIN + 1;
    for i in 0..failures {
        let server = if i % 2 == 0 { app.addr } else { other.addr };
        let (_, outcome) =
            attempt(&app, server, &format!("192.0.2.{}", i + 1), "bob", "guess").await;
        assert_eq!(outcome, "INVALID_CREDENTIALS");
    }
    // The next attempt from anywhere waits the delay the login's failures earned, then
    // goes through: the owner's right password works.
    let wait = throttle::delay_for(failures);
    assert!(!wait.is_zero());
    let started = Instant::now();
    let (status, outcome) = attempt(&app, app.addr, "198.51.100.30", "bob", PASSWORD).await;
    assert_eq!((status, outcome.as_str()), (StatusCode::OK, "ok"));
    assert!(
        started.elapsed() >= wait,
        "waited {:?} of {wait:?}",
        started.elapsed()
    );
    // The success cleared the login's count: no delay any more.
    let (_, outcome) = attempt(&app, other.addr, "198.51.100.30", "bob", PASSWORD).await;
    assert_eq!(outcome, "ok");
    let row = |key: &str| {
        use sea_orm::EntityTrait;
        let db = app.state.db.clone();
        let key = key.to_string();
        async move {
            entity::login_failure::Entity::find_by_id(key)
                .one(&db)
                .await
                .expect("query")
        }
    };
    assert!(row("login:bob").await.is_none(), "cleared on success");
    assert!(
        row("addr:192.0.2.1").await.is_some(),
        "the addresses keep their counts"
    );
}

#[tokio::test]
async fn one_address_spraying_many_logins_is_refused_and_only_it() {
    let app = behind_a_proxy().await;
    app.create_account("carol", json!({})).await;
    for i in 0..throttle::MAX_PER_ADDRESS {
        let (_, outcome) =
            attempt(&app, app.addr, "203.0.113.99", &format!("user{i}"), "spray").await;
        assert_eq!(outcome, "INVALID_CREDENTIALS");
    }
    let (status, outcome) = attempt(&app, app.addr, "203.0.113.99", "carol", PASSWORD).await;
    assert_eq!(
        (status, outcome.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
    );
    let (_, outcome) = attempt(&app, app.addr, "203.0.113.100", "carol", PASSWORD).await;
    assert_eq!(outcome, "ok");
}

#[tokio::test]
async fn an_office_signing_in_all_day_from_one_address_is_never_refused() {
    // Behind one NAT address: twice the address limit of right passwords, a few wrong ones
    // among them; every right password signs in.
    let app = behind_a_proxy().await;
    let staff: Vec<String> = (0..4).map(|i| format!("office{i}")).collect();
    for login in &staff {
        app.create_account(login, json!({})).await;
    }
    for round in 0..2 * throttle::MAX_PER_ADDRESS {
        let login = &staff[round as usize % staff.len()];
        if round % 10 == 0 {
            let (_, wrong) = attempt(&app, app.addr, "198.51.100.7", login, "typo").await;
            assert_eq!(wrong, "INVALID_CREDENTIALS");
        }
        let (status, outcome) = attempt(&app, app.addr, "198.51.100.7", login, PASSWORD).await;
        assert_eq!(
            (status, outcome.as_str()),
            (StatusCode::OK, "ok"),
            "round {round}"
        );
    }
}

#[tokio::test]
async fn expired_counters_are_swept_by_the_scheduler() {
    let app = behind_a_proxy().await;
    app.create_account("dave", json!({})).await;
    let (_, outcome) = attempt(&app, app.addr, "203.0.113.5", "dave", "guess").await;
    assert_eq!(outcome, "INVALID_CREDENTIALS");
    use portal_api::jobs::{
        scheduler::Scheduler,
        work::{Job, Jobs},
    };
    let scheduler = Scheduler::new(&app.state, std::sync::Arc::new(Jobs));
    let now = scheduler.tick(chrono::Utc::now()).await.expect("tick");
    let sweep = |ran: &[portal_api::jobs::scheduler::Ran]| {
        ran.iter()
            .find(|r| r.job == Job::SweepLoginFailures)
            .map(|r| r.outcome.clone())
    };
    assert_eq!(
        sweep(&now),
        Some(Ok("0 expired failed-login counters deleted".to_string())),
        "the window has not passed"
    );
    let later = chrono::Utc::now() + throttle::WINDOW + chrono::Duration::hours(1);
    let ran = scheduler.tick(later).await.expect("tick");
    assert_eq!(
        sweep(&ran),
        Some(Ok("3 expired failed-login counters deleted".to_string())),
        "login, pair and address counters"
    );
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_over_two_replicas_is_judged_only_up_to_the_limit() {
    let app = behind_a_proxy().await;
    let other = app.replica().await;
    app.create_account("burst", json!({})).await;
    // Ten wrong guesses sent at once from one address, five to each replica: each takes its
    // place before its password is checked, so no more than the limit are judged.
    let outcomes = futures_util::future::join_all((0..10).map(|i| {
        let server = if i % 2 == 0 { app.addr } else { other.addr };
        attempt(&app, server, "203.0.113.9", "burst", "wrong-guess")
    }))
    .await;
    let judged = outcomes
        .iter()
        .filter(|(_, o)| o == "INVALID_CREDENTIALS")
        .count();
    let refused = outcomes.iter().filter(|(_, o)| o == "RATE_LIMITED").count();
    assert_eq!(judged, throttle::MAX_PER_PAIR as usize, "{outcomes:?}");
    assert_eq!(judged + refused, 10, "{outcomes:?}");
}

#[tokio::test]
async fn throttled_logins_wait_without_keeping_the_server_from_answering() {
    // Two operations at once at most; eight logins are made to wait (their login is under
    // attack from elsewhere), and meanwhile an unrelated query answers at once.
    let app = TestApp::spawn_with(Mode::Development, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
        c.max_in_flight = 2;
    })
    .await;
    app.create_account("target", json!({})).await;
    {
        use sea_orm::{ActiveModelTrait, Set};
        entity::login_failure::ActiveModel {
            key: Set("login:target".into()),
            failures: Set(throttle::FREE_PER_LOGIN + 5),
            window_started_at: Set(chrono::Utc::now()),
        }
        .insert(&app.state.db)
        .await
        .expect("a login under attack");
    }
    let wait = throttle::delay_for(throttle::FREE_PER_LOGIN + 5);
    assert!(wait >= std::time::Duration::from_secs(2), "{wait:?}");
    let logins = futures_util::future::join_all((0..8).map(|i| {
        let from = format!("198.51.100.{}", 10 + i);
        let app = &app;
        async move { attempt(app, app.addr, &from, "target", "not-it").await }
    }));
    let probe = async {
        // Once the logins are all waiting (their counters taken), the probe goes.
        for _ in 0..500 {
            if app
                .number("SELECT CAST(failures AS BIGINT) FROM login_failures WHERE key = 'login:target'")
                .await
                >= i64::from(throttle::FREE_PER_LOGIN + 5 + 8)
            {
                break;
            }
            tokio::task::yield_now().await;
        }
        let started = Instant::now();
        let (status, body) = app.graphql("{ __typename }", json!({}), None).await;
        (status, body, started.elapsed())
    };
    let (outcomes, (status, body, took)) = tokio::join!(logins, probe);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        took < std::time::Duration::from_secs(1),
        "an unrelated query answered in {took:?}"
    );
    for (status, outcome) in outcomes {
        assert_ne!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(outcome, "INVALID_CREDENTIALS");
    }
}
