use super::*;

#[tokio::test]
async fn the_playground_is_served_by_the_server_itself_with_a_strict_policy() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = header(&page, "content-security-policy")
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(&page, "x-frame-options"), Some("DENY"));
    let html = page.text().await.expect("html");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no other host"
    );
    let assets = [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "playground.js",
        "examples.js",
    ];
    served(&app, "/playground", assets.map(|name| (name, None))).await;
    for asset in assets {
        assert!(
            html.contains(&format!("/playground/{asset}")),
            "the page loads {asset}"
        );
    }
    let examples = app
        .client
        .get(app.url("/playground/examples.js"))
        .send()
        .await
        .expect("examples")
        .text()
        .await
        .expect("text");
    for op in trusted::OPERATIONS {
        assert!(examples.contains(op.name), "a tab for {}", op.name);
    }
}
