//! Email templates per partner: staff create them, a partner picks its own (or a shared
//! one), the order email a main account gets is rendered from its partner's choice, and
//! with the notification off no email is queued.

use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

use crate::helpers::TestApp;

const CREATE: &str = "mutation($i: CreateEmailTemplateInput!) { createEmailTemplate(input: $i) { template { id name subject partner { id } placeholders } userErrors { code field message } } }";
const SETTINGS: &str = "mutation($p: ID!, $t: ID, $n: Boolean) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: true, notifyMainOnSubAccountOrder: $n, subAccountOrderTemplateId: $t}) { userErrors { code field } } }";

/// A main account with an email and management on, and its aggregated sub-account, both of
/// `partner`; the sub-account places an order for the main to approve.
async fn sub_orders(app: &TestApp, partner: &str, prefix: &str) -> (String, String) {
    let main = app
        .create_account(
            &format!("{prefix}-main"),
            json!({ "status": "ACTIVE", "partnerId": partner, "email": format!("{prefix}@example.net") }),
        )
        .await;
    let sub = app
        .create_account(
            &format!("{prefix}-sub"),
            json!({ "status": "ACTIVE", "partnerId": partner, "fullName": format!("{prefix} Branch") }),
        )
        .await;
    assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));
    app.set_management(&main, true).await;
    let tariff = app.create_tariff(&format!("{prefix} Fiber"), "10.00").await;
    let token = app.token_for(&sub).await;
    let placed = app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { number status } userErrors { code message } } }",
            json!({ "a": sub, "t": tariff }),
            Some(&token),
        )
        .await;
    assert_eq!(
        placed["placeOrder"]["order"]["status"], "AWAITING_MAIN_APPROVAL",
        "{placed}"
    );
    (
        main,
        placed["placeOrder"]["order"]["number"]
            .as_str()
            .expect("number")
            .to_string(),
    )
}

async fn outbox(app: &TestApp) -> Vec<entity::email_outbox::Model> {
    entity::email_outbox::Entity::find()
        .order_by_asc(entity::email_outbox::Column::Id)
        .all(&app.state.db)
        .await
        .expect("outbox")
}

#[tokio::test]
async fn each_partner_sends_the_order_email_from_the_template_it_picked() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin());
    let reseller = app.create_partner("Reseller").await;
    let created = app
        .ok(
            CREATE,
            json!({ "i": { "kind": "SERVICE_ORDER", "name": "Reseller order", "partnerId": reseller,
                "subject": "[Reseller] {{ sub_account.full_name }} ordered {{order.number}}",
                "body": "Dear {{main_account.full_name}}, {{sub_account.full_name}} ordered for {{order.total}} on {{order.date}}." } }),
            admin,
        )
        .await;
    assert_eq!(created["createEmailTemplate"]["userErrors"], json!([]));
    let template = &created["createEmailTemplate"]["template"];
    assert_eq!(template["partner"]["id"], json!(reseller));
    assert_eq!(template["placeholders"].as_array().map(Vec::len), Some(5));
    let template_id = template["id"].clone();
    let set = app
        .ok(
            SETTINGS,
            json!({ "p": reseller, "t": template_id, "n": true }),
            admin,
        )
        .await;
    assert_eq!(set["updatePartnerPortalSettings"]["userErrors"], json!([]));

    // The default partner may not pick the reseller's template.
    let default = app.ok("{ partners { id name } }", json!({}), admin).await["partners"]
        .as_array()
        .expect("partners")
        .iter()
        .find(|p| p["name"] == "Default")
        .expect("default partner")["id"]
        .clone();
    let refused = app
        .ok(
            SETTINGS,
            json!({ "p": default, "t": template_id, "n": true }),
            admin,
        )
        .await;
    assert_eq!(
        refused["updatePartnerPortalSettings"]["userErrors"][0]["code"],
        "INVALID_INPUT"
    );

    app.set_partner_ordering(&default, true).await;
    let (_, number) = sub_orders(&app, &reseller, "resell").await;
    let (_, default_number) = sub_orders(&app, default.as_str().expect("id"), "plain").await;
    let mails = outbox(&app).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let reseller_mail = mails
        .iter()
        .find(|m| m.to_address == "resell@example.net")
        .expect("the reseller's main got mail");
    assert_eq!(
        reseller_mail.subject,
        format!("[Reseller] resell Branch ordered {number}")
    );
    assert!(
        reseller_mail
            .body
            .starts_with("Dear Name of resell-main, resell Branch ordered for 11.90"),
        "{}",
        reseller_mail.body
    );
    assert!(!reseller_mail.body.contains("{{"), "{}", reseller_mail.body);
    let plain = mails
        .iter()
        .find(|m| m.to_address == "plain@example.net")
        .expect("the default partner's main got mail");
    assert_eq!(
        plain.subject,
        format!("plain Branch placed order {default_number}"),
        "the default template"
    );

    // Staff edit the reseller's template: the next email uses the edit.
    let edited = app
        .ok(
            "mutation($t: ID!) { updateEmailTemplate(input: {id: $t, subject: \"New order {{order.number}}\"}) { template { subject } userErrors { code } } }",
            json!({ "t": template_id }),
            admin,
        )
        .await;
    assert_eq!(edited["updateEmailTemplate"]["userErrors"], json!([]));
    let (_, next) = sub_orders(&app, &reseller, "again").await;
    let mails = outbox(&app).await;
    assert_eq!(
        mails.last().map(|m| m.subject.clone()),
        Some(format!("New order {next}"))
    );
}

#[tokio::test]
async fn with_the_notification_off_no_email_is_queued_but_the_portal_still_tells_the_main() {
    let app = TestApp::spawn().await;
    let quiet = app.create_partner("Quiet").await;
    let set = app
        .ok(
            SETTINGS,
            json!({ "p": quiet, "t": null, "n": false }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(set["updatePartnerPortalSettings"]["userErrors"], json!([]));
    let (main, number) = sub_orders(&app, &quiet, "quiet").await;
    assert!(outbox(&app).await.is_empty(), "no email");
    let token = app.token_for(&main).await;
    let told = app
        .ok(
            "{ viewer { notifications(first: 5) { nodes { kind message } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let nodes = told["viewer"]["notifications"]["nodes"]
        .as_array()
        .expect("notifications");
    assert!(
        nodes.iter().any(|n| n["kind"] == "SUB_ACCOUNT_ORDER_PLACED"
            && n["message"].as_str().is_some_and(|m| m.contains(&number))),
        "{told}"
    );
}

#[tokio::test]
async fn templates_with_unknown_placeholders_or_no_text_are_refused() {
    let app = TestApp::spawn().await;
    let before = app
        .ok("{ emailTemplates { id } }", json!({}), Some(app.admin()))
        .await["emailTemplates"]
        .as_array()
        .map(Vec::len);
    for (input, field) in [
        (
            json!({ "kind": "SERVICE_ORDER", "name": "Bad", "subject": "{{order.secret}}", "body": "x" }),
            "subject",
        ),
        (
            json!({ "kind": "SERVICE_ORDER", "name": "", "subject": "s", "body": "b" }),
            "name",
        ),
        (
            json!({ "kind": "SERVICE_ORDER", "name": "Empty", "subject": "s", "body": "  " }),
            "body",
        ),
    ] {
        let out = app
            .ok(CREATE, json!({ "i": input }), Some(app.admin()))
            .await;
        let errors = &out["createEmailTemplate"]["userErrors"];
        assert_eq!(errors[0]["code"], "INVALID_INPUT", "{out}");
        assert_eq!(errors[0]["field"], json!(["input", field]), "{out}");
    }
    let after = app
        .ok("{ emailTemplates { id } }", json!({}), Some(app.admin()))
        .await["emailTemplates"]
        .as_array()
        .map(Vec::len);
    assert_eq!(before, after, "nothing created");
    let customer = app.create_account("tmpl", json!({})).await;
    let token = app.token_for(&customer).await;
    let (_, body) = app
        .graphql(
            CREATE,
            json!({ "i": { "kind": "SERVICE_ORDER", "name": "Mine", "subject": "s", "body": "b" } }),
            Some(&token),
        )
        .await;
    assert_eq!(crate::helpers::first_code(&body), "FORBIDDEN");
}
