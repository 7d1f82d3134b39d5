use super::*;

const PORTAL: &str = "https://portal.example.net";

async fn with_cors() -> TestApp {
    TestApp::spawn_with(Mode::Development, |c| {
        c.cors_origins = vec![PORTAL.to_string()];
    })
    .await
}

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_and_answers_another_gets_no_cors_headers() {
    let app = with_cors().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let ok = preflight(PORTAL).await.expect("preflight");
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(header(&ok, "access-control-allow-origin"), Some(PORTAL));
    let methods = header(&ok, "access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let headers = header(&ok, "access-control-allow-headers").unwrap_or_default();
    assert!(headers.contains("authorization") && headers.contains("content-type"));
    assert_eq!(header(&ok, "access-control-max-age"), Some("86400"));
    assert_eq!(header(&ok, "access-control-allow-credentials"), None);

    let other = preflight("https://evil.example.org")
        .await
        .expect("preflight");
    assert_eq!(header(&other, "access-control-allow-origin"), None);
    assert_eq!(header(&other, "access-control-allow-methods"), None);

    for (origin, allowed) in [(PORTAL, true), ("https://evil.example.org", false)] {
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header("origin", origin)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            header(&resp, "access-control-allow-origin"),
            allowed.then_some(origin),
            "{origin}"
        );
    }
}

#[tokio::test]
async fn without_an_allowlist_no_origin_gets_cors_headers() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .request(Method::OPTIONS, app.url("/graphql"))
        .header("origin", PORTAL)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_personal_data_is_not_cached() {
    let app = TestApp::spawn().await;
    let customer = app.create_account("headers", json!({})).await;
    let token = app.token_for(&customer).await;
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/graphql".into(),
            Some(json!({ "query": "{ viewer { account { fullName } } }" })),
        ),
        (Method::GET, "/graphql?query=%7B__typename%7D".into(), None),
        (Method::GET, "/healthz".into(), None),
        (Method::GET, "/readyz".into(), None),
        (Method::GET, "/metrics".into(), None),
        (
            Method::GET,
            "/documents/1?expires=1&signature=x".into(),
            None,
        ),
        (Method::GET, "/playground/graphiql.min.js".into(), None),
    ];
    for (method, path, body) in routes {
        let mut req = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("sent");
        assert_eq!(
            header(&resp, "x-content-type-options"),
            Some("nosniff"),
            "{method} {path}"
        );
        assert_eq!(
            header(&resp, "referrer-policy"),
            Some("no-referrer"),
            "{method} {path}"
        );
        let cache = header(&resp, "cache-control").unwrap_or_default();
        if path.starts_with("/playground/") {
            assert!(cache.starts_with("public"), "{path}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{method} {path}");
        }
    }
}
