//! Tickets: for oneself or a managed sub-account, hidden from the main account, the
//! conversation's statuses, input limits.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

const CREATE: &str = "mutation($a: ID, $s: String!, $m: String!, $h: Boolean) { createTicket(input: {accountId: $a, subject: $s, message: $m, hiddenFromMain: $h}) {
  ticket { id subject status priority hiddenFromMain account { id } createdBy { id } messages { totalCount nodes { body fromStaff authorName } } } userErrors { code field } } }";
const REPLY: &str = "mutation($t: ID!, $m: String!) { replyToTicket(input: {ticketId: $t, message: $m}) { ticket { status messages { totalCount } } userErrors { code field } } }";
const CLOSE: &str = "mutation($t: ID!) { closeTicket(input: {ticketId: $t}) { ticket { status } userErrors { code } } }";
const MINE: &str = "{ viewer { account { tickets { totalCount nodes { id subject } } } } }";

async fn create(app: &TestApp, token: &str, account: Value, subject: &str, hidden: bool) -> Value {
    app.ok(
        CREATE,
        json!({ "a": account, "s": subject, "m": "It does not work.", "h": hidden }),
        Some(token),
    )
    .await["createTicket"]
        .clone()
}

#[tokio::test]
async fn a_main_account_opens_tickets_for_itself_and_for_sub_accounts_it_manages() {
    let app = TestApp::spawn().await;
    app.set_independent_access(true).await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    let own = create(&app, &token, Value::Null, "Own line down", false).await;
    assert_eq!(own["userErrors"], json!([]));
    assert_eq!(
        own["ticket"]["account"]["id"],
        json!(t.main),
        "no account chosen means the viewer's own"
    );
    assert_eq!(own["ticket"]["status"], "NEW");
    assert_eq!(own["ticket"]["priority"], "MEDIUM");
    assert_eq!(
        own["ticket"]["messages"]["nodes"][0],
        json!({ "body": "It does not work.", "fromStaff": false, "authorName": "Name of t-main" })
    );
    for sub in [&t.aggregated, &t.independent] {
        let out = create(&app, &token, json!(sub), "Branch offline", false).await;
        assert_eq!(out["ticket"]["account"]["id"], json!(sub));
        assert_eq!(out["ticket"]["createdBy"]["id"], json!(t.main));
    }
    let list = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Account { tickets { totalCount } } } }",
            json!({ "id": t.aggregated }),
            Some(&token),
        )
        .await;
    assert_eq!(list["node"]["tickets"]["totalCount"], 1);
    app.set_management(&t.main, false).await;
    let (_, body) = app
        .graphql(
            CREATE,
            json!({ "a": t.aggregated, "s": "x", "m": "y" }),
            Some(&token),
        )
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn a_hidden_ticket_does_not_exist_for_the_main_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let main = app.token_for(&t.main).await;
    let sub = app.token_for(&t.aggregated).await;
    let hidden = create(&app, &sub, Value::Null, "Private matter", true).await;
    assert_eq!(hidden["ticket"]["hiddenFromMain"], true);
    let open = create(&app, &sub, Value::Null, "Shared matter", false).await;
    // The main's own list shows the sub-account's unhidden ticket, not the hidden one.
    let mine = app.ok(MINE, json!({}), Some(&main)).await["viewer"]["account"]["tickets"].clone();
    assert_eq!(mine["totalCount"], 1);
    assert_eq!(mine["nodes"][0]["subject"], "Shared matter");
    let of_sub = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Account { tickets { totalCount } } } }",
            json!({ "id": t.aggregated }),
            Some(&main),
        )
        .await;
    assert_eq!(of_sub["node"]["tickets"]["totalCount"], 1);
    for q in [
        "query($t: ID!) { node(id: $t) { id } }",
        "mutation($t: ID!) { closeTicket(input: {ticketId: $t}) { ticket { id } } }",
    ] {
        let (_, body) = app
            .graphql(q, json!({ "t": hidden["ticket"]["id"] }), Some(&main))
            .await;
        assert_eq!(first_code(&body), "NOT_FOUND", "{q}");
    }
    let visible = app
        .ok(
            "query($t: ID!) { node(id: $t) { id } }",
            json!({ "t": open["ticket"]["id"] }),
            Some(&main),
        )
        .await;
    assert_eq!(visible["node"]["id"], open["ticket"]["id"]);
    // The threads under a list (read without checking each listed ticket again) are those
    // of the listed tickets only, the same as the thread of the ticket opened by id.
    let threads = "query($s: ID!, $t: ID!) { node(id: $s) { ... on Account { tickets { nodes { id messages { totalCount nodes { body } } } } } } one: node(id: $t) { ... on Ticket { messages { totalCount nodes { body } } } } }";
    let ids = json!({ "s": t.aggregated, "t": open["ticket"]["id"] });
    let seen = app.ok(threads, ids.clone(), Some(&main)).await;
    let listed = seen["node"]["tickets"]["nodes"]
        .as_array()
        .expect("tickets");
    assert_eq!(listed.len(), 1, "{seen}");
    assert_eq!(listed[0]["id"], open["ticket"]["id"]);
    assert_eq!(listed[0]["messages"], seen["one"]["messages"], "{seen}");
    assert_eq!(listed[0]["messages"]["totalCount"], 1, "{seen}");
    let own = app.ok(threads, ids, Some(&sub)).await;
    let counts: Vec<_> = own["node"]["tickets"]["nodes"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["messages"]["totalCount"].clone())
        .collect();
    assert_eq!(counts, [json!(1), json!(1)], "{own}");
    // The sub-account sees both; only a sub-account may hide, and only its own.
    assert_eq!(
        app.ok(MINE, json!({}), Some(&sub)).await["viewer"]["account"]["tickets"]["totalCount"],
        2
    );
    let (_, refused) = app
        .graphql(
            CREATE,
            json!({ "a": t.aggregated, "s": "x", "m": "y", "h": true }),
            Some(&main),
        )
        .await;
    assert_eq!(first_code(&refused), "FORBIDDEN", "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["action"],
        "hideTicketsFromMain"
    );
}

#[tokio::test]
async fn the_status_follows_the_conversation_and_staff_replies_notify() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.aggregated).await;
    let ticket =
        create(&app, &token, Value::Null, "Slow line", false).await["ticket"]["id"].clone();
    let status = |v: Value| v["replyToTicket"]["ticket"]["status"].clone();
    assert_eq!(
        status(
            app.ok(
                REPLY,
                json!({ "t": ticket, "m": "Still slow." }),
                Some(&token)
            )
            .await
        ),
        "WAITING_ON_AGENT"
    );
    assert_eq!(
        status(
            app.ok(
                REPLY,
                json!({ "t": ticket, "m": "We are on it." }),
                Some(app.admin())
            )
            .await
        ),
        "WAITING_ON_CUSTOMER"
    );
    let notes = app
        .ok(
            "{ viewer { notifications { nodes { kind ticket { id } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        notes["viewer"]["notifications"]["nodes"][0],
        json!({ "kind": "TICKET_UPDATED", "ticket": { "id": ticket } })
    );
    assert_eq!(
        app.ok(CLOSE, json!({ "t": ticket }), Some(&token)).await["closeTicket"]["ticket"]["status"],
        "RESOLVED"
    );
    assert_eq!(
        app.ok(CLOSE, json!({ "t": ticket }), Some(&token)).await["closeTicket"]["userErrors"],
        json!([{ "code": "INVALID_STATE" }])
    );
    let reopened = app
        .ok(
            REPLY,
            json!({ "t": ticket, "m": "It is back." }),
            Some(&token),
        )
        .await;
    assert_eq!(status(reopened.clone()), "IN_PROGRESS");
    assert_eq!(
        reopened["replyToTicket"]["ticket"]["messages"]["totalCount"],
        4
    );
    let staff = app.ok("query($t: ID!) { node(id: $t) { ... on Ticket { messages { nodes { fromStaff } } } } }", json!({ "t": ticket }), Some(&token)).await;
    let from_staff: Vec<bool> = staff["node"]["messages"]["nodes"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["fromStaff"] == true)
        .collect();
    assert_eq!(from_staff, [false, false, true, false]);
}

#[tokio::test]
async fn subjects_and_messages_have_limits() {
    let app = TestApp::spawn().await;
    let t = app.tenant("t").await;
    let token = app.token_for(&t.main).await;
    let long = "x".repeat(201);
    let out = app
        .ok(CREATE, json!({ "s": long, "m": "" }), Some(&token))
        .await["createTicket"]
        .clone();
    assert_eq!(out["ticket"], Value::Null);
    assert_eq!(
        out["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "subject"] }, { "code": "INVALID_INPUT", "field": ["input", "message"] }])
    );
    let ok = app
        .ok(
            CREATE,
            json!({ "s": "x".repeat(200), "m": "y".repeat(10_000) }),
            Some(&token),
        )
        .await["createTicket"]
        .clone();
    assert_eq!(ok["userErrors"], json!([]));
    let reply = app
        .ok(
            REPLY,
            json!({ "t": ok["ticket"]["id"], "m": "z".repeat(10_001) }),
            Some(&token),
        )
        .await;
    assert_eq!(
        reply["replyToTicket"]["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "message"] }])
    );
    let total = app.ok(MINE, json!({}), Some(&token)).await;
    assert_eq!(
        total["viewer"]["account"]["tickets"]["totalCount"], 1,
        "the refused ticket was not created"
    );
}
