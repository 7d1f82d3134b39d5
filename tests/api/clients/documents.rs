use super::*;

async fn by_id(app: &TestApp, id: &str, variables: Value, token: Option<&str>) -> Value {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "documentId": id, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("sent").json().await.expect("json")
}

#[tokio::test]
async fn trusted_documents_run_by_id_and_by_apq_hash_and_an_unknown_id_is_not_found() {
    let app = TestApp::spawn().await;
    app.create_account("trusty", json!({ "status": "ACTIVE" }))
        .await;
    let login = trusted::OPERATIONS
        .iter()
        .find(|o| o.name == "Login")
        .expect("Login");
    let out = by_id(
        &app,
        &trusted::document_id(login.document),
        json!({ "login": "trusty", "password": crate::helpers::PASSWORD }),
        None,
    )
    .await;
    assert!(out["data"]["login"]["accessToken"].is_string(), "{out}");
    let token = out["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();

    // Apollo's form, with the manifest hash.
    let sub_accounts = trusted::OPERATIONS
        .iter()
        .find(|o| o.name == "SubAccounts")
        .expect("SubAccounts");
    let hash = portal_api::gate::prepared::hash_of(sub_accounts.document);
    let apq = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    assert!(apq.get("errors").is_none(), "{apq}");
    assert!(
        apq["data"]["viewer"]["account"]["subAccounts"].is_object(),
        "{apq}"
    );

    // APQ of a document the manifest does not have: unknown by hash, then sent with its
    // text, then known by its hash.
    let text = "query Mine { viewer { role } }";
    let hash = portal_api::gate::prepared::hash_of(text);
    let ask = |with_text: bool| {
        let mut body =
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
        if with_text {
            body["query"] = json!(text);
        }
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let first: Value = ask(false).await.expect("sent").json().await.expect("json");
    assert_eq!(first_code(&first), "PERSISTED_QUERY_NOT_FOUND");
    let registered: Value = ask(true).await.expect("sent").json().await.expect("json");
    assert_eq!(registered["data"]["viewer"]["role"], "CUSTOMER");
    let again: Value = ask(false).await.expect("sent").json().await.expect("json");
    assert_eq!(again["data"]["viewer"]["role"], "CUSTOMER", "{again}");

    let unknown = by_id(
        &app,
        &format!("sha256:{}", "0".repeat(64)),
        json!({}),
        Some(&token),
    )
    .await;
    assert_eq!(first_code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    let mismatch: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "documentId": trusted::document_id(login.document), "query": "{ __typename }" }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(first_code(&mismatch), "BAD_REQUEST");
    // Over GET too.
    let get: Value = app
        .client
        .get(app.url(&format!(
            "/graphql?documentId={}",
            trusted::document_id(sub_accounts.document)
        )))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(get["data"]["viewer"].is_object(), "{get}");
    let metrics = app.metrics_at(app.addr).await;
    assert!(
        metrics.contains("portal_graphql_operations_total{operation=\"SubAccounts\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn in_require_mode_customers_run_trusted_documents_only_and_staff_keep_free_text() {
    let app = TestApp::spawn_with(Mode::Development, |c| {
        c.trusted_documents = trusted::Mode::Require;
    })
    .await;
    let customer = app.create_account("strict", json!({})).await;
    let token = app.token_for(&customer).await;
    let (_, free) = app
        .graphql("{ viewer { role } }", json!({}), Some(&token))
        .await;
    assert_eq!(first_code(&free), "PERSISTED_QUERY_REQUIRED", "{free}");
    let (_, anonymous) = app.graphql("{ __typename }", json!({}), None).await;
    assert_eq!(first_code(&anonymous), "PERSISTED_QUERY_REQUIRED");
    // A trusted document runs by id, or by its exact text.
    let sub_accounts = trusted::OPERATIONS
        .iter()
        .find(|o| o.name == "SubAccounts")
        .expect("SubAccounts");
    let out = by_id(
        &app,
        &trusted::document_id(sub_accounts.document),
        json!({}),
        Some(&token),
    )
    .await;
    assert!(out.get("errors").is_none(), "{out}");
    let text = app.ok(sub_accounts.document, json!({}), Some(&token)).await;
    assert!(text["viewer"].is_object());
    // APQ cannot smuggle a new document in.
    let smuggled: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ viewer { role } }", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": portal_api::gate::prepared::hash_of("{ viewer { role } }") } } }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        first_code(&smuggled),
        "PERSISTED_QUERY_REQUIRED",
        "an ad-hoc document sent as APQ is still ad hoc: {smuggled}"
    );
    // Staff keep the playground.
    let staff = app
        .ok("{ viewer { role } }", json!({}), Some(app.admin()))
        .await;
    assert_eq!(staff["viewer"]["role"], "ADMIN");
}

#[tokio::test]
async fn every_trusted_document_is_valid_against_the_schema() {
    let app = TestApp::spawn().await;
    let customer = app
        .create_account("valid", json!({ "status": "ACTIVE" }))
        .await;
    let token = app.token_for(&customer).await;
    for op in trusted::OPERATIONS {
        let variables: Value = serde_json::from_str(op.example_variables).expect("json");
        let out = by_id(
            &app,
            &trusted::document_id(op.document),
            variables,
            Some(&token),
        )
        .await;
        // A subscription validates over the WebSocket (tests/api/live.rs subscribes with it).
        let subscription = op.document.contains("\nsubscription ");
        for e in out["errors"].as_array().cloned().unwrap_or_default() {
            if subscription && e["message"] == "Subscriptions are not supported on this transport."
            {
                continue;
            }
            let code = e["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let message = e["message"].as_str().unwrap_or_default();
            assert!(
                code != "GRAPHQL_VALIDATION_FAILED"
                    && code != "GRAPHQL_PARSE_FAILED"
                    && !message.contains("Unknown field")
                    && !message.contains("Unknown type"),
                "{}: {e}",
                op.name
            );
        }
    }
}

#[tokio::test]
async fn the_portal_is_served_at_portal_with_its_operations_from_the_manifest() {
    let app = TestApp::spawn().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let root = no_redirects.get(app.url("/")).send().await.expect("root");
    assert_eq!(root.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&root, "location"), Some("/portal/"));
    let page = app
        .client
        .get(app.url("/portal/"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = header(&page, "content-security-policy")
        .unwrap_or_default()
        .to_string();
    assert!(
        csp.contains("connect-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no other host"
    );
    // Every embedded asset is served and loaded: by the page, or imported by a module.
    let assets = portal_api::http::portal::ASSETS;
    let scripts = served(
        &app,
        "/portal",
        assets.iter().map(|(n, k, _)| (*n, Some(*k))),
    )
    .await;
    for (name, _, _) in portal_api::http::portal::ASSETS {
        assert!(
            html.contains(&format!("/portal/{name}")) || scripts.contains(&format!("\"./{name}\"")),
            "{name} is loaded by the page or imported"
        );
    }
    // And every module a script imports is embedded (a forgotten one is a 404 and a blank page).
    for part in scripts.split("from \"./").skip(1) {
        let module = part.split('"').next().unwrap_or_default();
        assert!(
            assets.iter().any(|(name, _, _)| *name == module),
            "{module} is imported but not embedded in http::portal::ASSETS"
        );
    }
    assert!(
        html.contains("/portal/operations.js"),
        "the page loads the manifest"
    );
    // Every operation the portal sends (by `call` or `perform`) is a trusted document.
    let names: Vec<&str> = portal_api::gate::trusted::OPERATIONS
        .iter()
        .map(|o| o.name)
        .collect();
    let mut sent = Vec::new();
    for sender in ["call(\"", "perform(\""] {
        for part in scripts.split(sender).skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            assert!(names.contains(&name), "{name} is not in operations/");
            sent.push(name);
        }
    }
    for screen in [
        "SubAccounts",
        "AccountUsage",
        "ChangeService",
        "OrderQuote",
        "Invoices",
    ] {
        assert!(sent.contains(&screen), "the portal sends {screen}");
    }
}
