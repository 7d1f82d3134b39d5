//! The admin side of accounts: creation, every linking rule, unlinking, switches, partners,
//! templates, and the refusal of every admin operation to customers.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, encode_id, first_code};

const ACCOUNT: &str = "query($id: ID!) { node(id: $id) { ... on Account { id mainAccount { id } subAccountType linkedAt activity(first: 5) { nodes { action details } } } } }";

async fn account(app: &TestApp, id: &str) -> Value {
    app.ok(ACCOUNT, json!({ "id": id }), Some(app.admin()))
        .await["node"]
        .clone()
}

#[tokio::test]
async fn a_fresh_database_has_a_default_partner_and_service_order_template() {
    let app = TestApp::spawn().await;
    let data = app
        .ok(
            "{ partners { name settings { subAccountsCanOrder notifyMainOnSubAccountOrder subAccountOrderTemplate { kind } } } emailTemplates { kind placeholders } portalSettings { independentSubAccountAccess } }",
            json!({}),
            Some(app.admin()),
        )
        .await;
    assert_eq!(
        data["partners"],
        json!([{ "name": "Default", "settings": {
        "subAccountsCanOrder": false, "notifyMainOnSubAccountOrder": true,
        "subAccountOrderTemplate": { "kind": "SERVICE_ORDER" } } }])
    );
    assert_eq!(data["emailTemplates"][0]["kind"], "SERVICE_ORDER");
    assert!(
        data["emailTemplates"][0]["placeholders"]
            .as_array()
            .expect("list")
            .contains(&json!("sub_account.full_name"))
    );
    assert_eq!(data["portalSettings"]["independentSubAccountAccess"], false);
}

#[tokio::test]
async fn create_account_refuses_bad_input_field_by_field_and_duplicates() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } userErrors { code field } } }";
    let bad = json!({ "login": "x", "password": "short", "fullName": " ", "email": "nope",
        "address": { "street": "", "city": "c", "zipCode": "z", "country": "c" } });
    let out = app.ok(q, json!({ "i": bad }), Some(app.admin())).await["createAccount"].clone();
    assert_eq!(out["account"], Value::Null);
    let fields: Vec<String> = out["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"][1].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(fields, ["login", "password", "fullName", "email", "street"]);
    assert!(
        out["userErrors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| e["code"] == "INVALID_INPUT")
    );

    app.create_account("taken", json!({})).await;
    let dup = json!({ "login": "taken", "password": "long-enough", "fullName": "Other",
        "address": { "street": "s", "city": "c", "zipCode": "z", "country": "c" } });
    let out = app.ok(q, json!({ "i": dup }), Some(app.admin())).await["createAccount"].clone();
    assert_eq!(
        out["userErrors"],
        json!([{ "code": "DUPLICATE", "field": ["input", "login"] }])
    );
    let total = app
        .ok("{ accounts { totalCount } }", json!({}), Some(app.admin()))
        .await;
    assert_eq!(
        total["accounts"]["totalCount"], 1,
        "nothing was created by the refusals"
    );
}

#[tokio::test]
async fn linking_records_the_link_and_its_history() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));
    let linked = account(&app, &sub).await;
    assert_eq!(linked["mainAccount"]["id"], json!(main));
    assert_eq!(linked["subAccountType"], "AGGREGATED");
    assert!(linked["linkedAt"].is_string());
    assert_eq!(
        linked["activity"]["nodes"][0]["action"],
        "sub_account.linked"
    );
    assert_eq!(
        account(&app, &main).await["activity"]["nodes"][0]["action"],
        "sub_account.linked"
    );
}

#[tokio::test]
async fn every_linking_rule_is_enforced_and_named() {
    let app = TestApp::spawn().await;
    let other_partner = app.create_partner("Reseller").await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    let foreign = app
        .create_account("foreign", json!({ "partnerId": other_partner }))
        .await;
    let prepaid = app
        .create_account("prepaid", json!({ "billingMode": "PREPAID" }))
        .await;
    let rich = app.create_account("rich", json!({})).await;
    app.ok("mutation($a: ID!) { adjustBalance(input: {accountId: $a, amount: \"10.00\", reason: \"deposit\"}) { userErrors { code } } }",
        json!({ "a": rich }), Some(app.admin())).await;
    let other_main = app.create_account("other-main", json!({})).await;
    assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));

    let rule = |code: &str, field: &str, message: &str| json!([{ "code": code, "field": ["input", field], "message": message }]);
    let cases: Vec<(&str, &str, &str, Value)> = vec![
        (
            &main,
            &main,
            "INDEPENDENT",
            rule(
                "INVALID_INPUT",
                "subAccountId",
                "an account cannot be linked to itself",
            ),
        ),
        (
            &main,
            &foreign,
            "INDEPENDENT",
            rule(
                "INVALID_INPUT",
                "subAccountId",
                "both accounts must belong to the same partner",
            ),
        ),
        (
            &sub,
            &other_main,
            "INDEPENDENT",
            rule(
                "INVALID_STATE",
                "mainAccountId",
                "a sub-account cannot have sub-accounts (links are one level deep)",
            ),
        ),
        (
            &other_main,
            &sub,
            "INDEPENDENT",
            rule(
                "INVALID_STATE",
                "subAccountId",
                "the account is already linked to a main account; unlink it first",
            ),
        ),
        (
            &other_main,
            &main,
            "INDEPENDENT",
            rule(
                "INVALID_STATE",
                "subAccountId",
                "a main account cannot become a sub-account (links are one level deep)",
            ),
        ),
        (
            &main,
            &prepaid,
            "AGGREGATED",
            rule(
                "INVALID_STATE",
                "type",
                "an aggregated sub-account must use RECURRING billing",
            ),
        ),
        (
            &main,
            &rich,
            "AGGREGATED",
            rule(
                "INVALID_STATE",
                "type",
                "an aggregated sub-account must have a zero balance when linked",
            ),
        ),
    ];
    for (m, s, kind, expected) in cases {
        assert_eq!(
            app.link(m, s, kind).await,
            expected,
            "link {m} <- {s} as {kind}"
        );
    }
    // Refused links changed nothing.
    for id in [&main, &foreign, &prepaid, &rich, &other_main] {
        assert_eq!(account(&app, id).await["mainAccount"], Value::Null);
    }
    assert_eq!(account(&app, &sub).await["mainAccount"]["id"], json!(main));
    // The rules that are about the type alone allow an independent link.
    assert_eq!(app.link(&main, &prepaid, "INDEPENDENT").await, json!([]));
    assert_eq!(app.link(&main, &rich, "INDEPENDENT").await, json!([]));
}

#[tokio::test]
async fn unlinking_keeps_history_and_frees_the_account() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    app.link(&main, &sub, "AGGREGATED").await;
    let q = "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { account { mainAccount { id } subAccountType linkedAt } userErrors { code field } } }";
    let out = app.ok(q, json!({ "s": sub }), Some(app.admin())).await["unlinkSubAccount"].clone();
    assert_eq!(
        out,
        json!({ "account": { "mainAccount": null, "subAccountType": null, "linkedAt": null }, "userErrors": [] })
    );
    let history: Vec<Value> = account(&app, &sub).await["activity"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["action"].clone())
        .collect();
    assert_eq!(
        history,
        [
            json!("sub_account.unlinked"),
            json!("sub_account.linked"),
            json!("account.created")
        ]
    );
    let again = app.ok(q, json!({ "s": sub }), Some(app.admin())).await["unlinkSubAccount"].clone();
    assert_eq!(
        again["userErrors"],
        json!([{ "code": "INVALID_STATE", "field": ["input", "subAccountId"] }])
    );
}

#[tokio::test]
async fn switches_and_partner_settings_are_set_by_admins() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    app.set_management(&main, true).await;
    assert_eq!(
        app.ok(
            "query($id: ID!) { node(id: $id) { ... on Account { subAccountManagement } } }",
            json!({ "id": main }),
            Some(app.admin())
        )
        .await["node"]["subAccountManagement"],
        true
    );
    app.set_independent_access(true).await;
    let partner = app
        .ok("{ partners { id } }", json!({}), Some(app.admin()))
        .await["partners"][0]["id"]
        .clone();
    let out = app
        .ok(
            "mutation($p: ID!) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: true, notifyMainOnSubAccountOrder: false}) { partner { settings { subAccountsCanOrder notifyMainOnSubAccountOrder } } userErrors { code } } }",
            json!({ "p": partner }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(
        out["updatePartnerPortalSettings"]["partner"]["settings"],
        json!({ "subAccountsCanOrder": true, "notifyMainOnSubAccountOrder": false })
    );
}

#[tokio::test]
async fn an_email_template_with_an_unknown_placeholder_is_refused() {
    let app = TestApp::spawn().await;
    let id = app
        .ok("{ emailTemplates { id } }", json!({}), Some(app.admin()))
        .await["emailTemplates"][0]["id"]
        .clone();
    let q = "mutation($id: ID!, $b: String) { updateEmailTemplate(input: {id: $id, body: $b}) { template { body } userErrors { code field message } } }";
    let bad = app
        .ok(
            q,
            json!({ "id": id, "b": "Hi {{sub_account.password}}" }),
            Some(app.admin()),
        )
        .await["updateEmailTemplate"]
        .clone();
    assert_eq!(bad["template"], Value::Null);
    assert_eq!(
        bad["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "body"], "message": "unknown placeholder(s): sub_account.password" }])
    );
    let good = app
        .ok(
            q,
            json!({ "id": id, "b": "{{sub_account.full_name}} ordered {{order.number}}" }),
            Some(app.admin()),
        )
        .await["updateEmailTemplate"]
        .clone();
    assert_eq!(
        good["template"]["body"],
        "{{sub_account.full_name}} ordered {{order.number}}"
    );
}

#[tokio::test]
async fn set_management_on_a_sub_account_is_refused() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    app.link(&main, &sub, "INDEPENDENT").await;
    let out = app
        .ok("mutation($a: ID!) { setSubAccountManagement(input: {accountId: $a, enabled: true}) { userErrors { code } } }", json!({ "a": sub }), Some(app.admin()))
        .await;
    assert_eq!(
        out["setSubAccountManagement"]["userErrors"],
        json!([{ "code": "INVALID_STATE" }])
    );
}

/// Every admin operation, called by a customer: `FORBIDDEN`, and nothing happens.
#[tokio::test]
async fn customers_are_refused_every_admin_operation() {
    let app = TestApp::spawn().await;
    let me = app.create_account("me-user", json!({})).await;
    let other = app.create_account("other", json!({})).await;
    let token = app.token_for(&me).await;
    let partner = encode_id("Partner", 1);
    let template = encode_id("EmailTemplate", 1);
    let address = r#"{street: "s", city: "c", zipCode: "z", country: "c"}"#;
    let ops = vec![
        "{ accounts { totalCount } }".to_string(),
        "{ portalSettings { independentSubAccountAccess } }".to_string(),
        "{ partners { id } }".to_string(),
        "{ emailTemplates { id } }".to_string(),
        "mutation { createPartner(input: {name: \"X\"}) { userErrors { code } } }".to_string(),
        format!("mutation {{ createAccount(input: {{login: \"new1\", password: \"password1\", fullName: \"N\", address: {address}}}) {{ userErrors {{ code }} }} }}"),
        format!("mutation {{ linkSubAccount(input: {{mainAccountId: \"{me}\", subAccountId: \"{other}\", type: AGGREGATED}}) {{ userErrors {{ code }} }} }}"),
        format!("mutation {{ unlinkSubAccount(input: {{subAccountId: \"{other}\"}}) {{ userErrors {{ code }} }} }}"),
        format!("mutation {{ setSubAccountManagement(input: {{accountId: \"{me}\", enabled: true}}) {{ userErrors {{ code }} }} }}"),
        "mutation { updatePortalSettings(input: {independentSubAccountAccess: true}) { userErrors { code } } }".to_string(),
        format!("mutation {{ updatePartnerPortalSettings(input: {{partnerId: \"{partner}\", subAccountsCanOrder: true}}) {{ userErrors {{ code }} }} }}"),
        "mutation { createTariff(input: {name: \"T\", kind: INTERNET, price: \"1.00\"}) { userErrors { code } } }".to_string(),
        format!("mutation {{ updateEmailTemplate(input: {{id: \"{template}\", body: \"x\"}}) {{ userErrors {{ code }} }} }}"),
        format!("mutation {{ adjustBalance(input: {{accountId: \"{me}\", amount: \"100.00\", reason: \"gift\"}}) {{ userErrors {{ code }} }} }}"),
        "mutation { runBilling(input: {periodStart: \"2026-12-01\"}) { invoicesIssued userErrors { code } } }".to_string(),
    ];
    for op in &ops {
        let (status, body) = app.graphql(op, json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{op}: {body}");
        assert_eq!(first_code(&body), "FORBIDDEN", "{op}: {body}");
    }
    // Nothing changed.
    let me_now = app
        .ok(
            "{ viewer { account { balance subAccountManagement } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        me_now["viewer"]["account"],
        json!({ "balance": "0.00", "subAccountManagement": false })
    );
    let admin_view = app.ok("{ accounts { totalCount } partners { id } portalSettings { independentSubAccountAccess } }", json!({}), Some(app.admin())).await;
    assert_eq!(admin_view["accounts"]["totalCount"], 2);
    assert_eq!(admin_view["partners"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        admin_view["portalSettings"]["independentSubAccountAccess"],
        false
    );
}
