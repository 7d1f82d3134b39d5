//! The server's own sentences in the reader's language: a notification is told in English
//! or German as each call's `Accept-Language` prefers (the same stored facts, so one account
//! may read either), the names it gives staff follow it on the compiled path and on the
//! resolvers alike, and a WebSocket subscriber reads in the language its `connection_init`
//! names.

use serde_json::{Value, json};

use crate::helpers::TestApp;

const NOTES: &str = "{ viewer { notifications { nodes { id message } } } }";
const ASK: &str = "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { status } userErrors { code } } }";

/// A query sent as the given `Accept-Language` (none: no header).
pub(crate) async fn in_language(
    app: &TestApp,
    server: std::net::SocketAddr,
    query: &str,
    token: &str,
    language: Option<&str>,
) -> Value {
    let mut req = app
        .client
        .post(format!("http://{server}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }));
    if let Some(language) = language {
        req = req.header("accept-language", language);
    }
    let body: Value = req.send().await.expect("sent").json().await.expect("json");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn a_notification_is_told_in_the_language_each_call_prefers() {
    let app = TestApp::spawn().await;
    let t = app.tenant("lang").await;
    app.allow_sub_orders().await;
    let tariff = app.create_tariff("Fiber 100", "20.00").await;
    let sub = app.token_for(&t.aggregated).await;
    let asked = app
        .ok(ASK, json!({ "a": t.aggregated, "t": tariff }), Some(&sub))
        .await;
    assert_eq!(asked["placeOrder"]["userErrors"], json!([]));
    let main = app.token_for(&t.main).await;
    let read = |language: Option<&'static str>| {
        let (app, main) = (&app, &main);
        async move {
            let data = in_language(app, app.addr, NOTES, main, language).await;
            let note = data["viewer"]["notifications"]["nodes"][0].clone();
            (
                note["id"].clone(),
                note["message"].as_str().unwrap_or_default().to_string(),
            )
        }
    };
    let (id, english) = read(None).await;
    assert!(
        english.starts_with("Name of lang-agg placed order") && english.contains("(23.80 EUR)"),
        "{english}"
    );
    for header in ["de-DE,de;q=0.9,en;q=0.8", "fr-FR, de;q=0.5", "DE"] {
        let (same, german) = read(Some(header)).await;
        assert_eq!(same, id, "the same notification");
        assert!(
            german.starts_with("Name of lang-agg hat die Bestellung")
                && german.contains("(23,80 EUR)")
                && german.contains("„Bestellungen verwalten“"),
            "{header}: {german}"
        );
    }
    for header in ["en-GB", "fr, it", "de;q=0, en;q=0.1"] {
        assert_eq!(read(Some(header)).await.1, english, "{header}");
    }
}

#[tokio::test]
async fn staff_are_named_in_the_readers_language_by_the_plans_and_the_resolvers_alike() {
    let app = TestApp::spawn().await;
    let resolvers = app.resolvers().await;
    let t = app.tenant("desk").await;
    let token = app.token_for(&t.main).await;
    let ticket = app
        .ok("mutation { createTicket(input: {subject: \"Slow line\", message: \"Since Monday\"}) { ticket { id } } }", json!({}), Some(&token))
        .await["createTicket"]["ticket"]["id"]
        .clone();
    app.ok(
        "mutation($t: ID!) { replyToTicket(input: {ticketId: $t, message: \"We are on it\"}) { userErrors { code } } }",
        json!({ "t": ticket }),
        Some(app.admin()),
    )
    .await;
    let query = "{ viewer { account { tickets(first: 5) { nodes { messages(first: 5) { nodes { authorName fromStaff } } } } } } }";
    for (language, staff) in [(None, "ISP staff"), (Some("de-DE"), "ISP-Team")] {
        let mut answers = Vec::new();
        for server in [app.addr, resolvers.addr] {
            let data = in_language(&app, server, query, &token, language).await;
            let messages =
                data["viewer"]["account"]["tickets"]["nodes"][0]["messages"]["nodes"].clone();
            let reply = messages
                .as_array()
                .expect("messages")
                .iter()
                .find(|m| m["fromStaff"] == true)
                .expect("the staff reply")
                .clone();
            assert_eq!(reply["authorName"], staff, "{language:?}");
            answers.push(data);
        }
        assert_eq!(answers[0], answers[1], "the plan and the resolvers agree");
    }
}
