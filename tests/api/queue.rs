//! The staff's side of tickets: the queue across accounts (filters, Relay pages), status
//! changes along SPEC's state machine, assignment, and who is told.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

const QUEUE: &str = "query($f: TicketQueueFilter, $o: TicketQueueOrder, $first: Int, $after: String) {
  ticketQueue(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id subject status account { id } assignee { id fullName } } } }";
const SET: &str = "mutation($t: ID!, $s: TicketStatus!) { setTicketStatus(input: {ticketId: $t, status: $s}) { ticket { status } userErrors { code message } } }";
const ASSIGN: &str = "mutation($t: ID!, $a: ID) { assignTicket(input: {ticketId: $t, assigneeId: $a}) { ticket { assignee { id } } userErrors { code field } } }";
const CREATE: &str = "mutation($a: ID, $s: String!, $h: Boolean) { createTicket(input: {accountId: $a, subject: $s, message: \"Help\", hiddenFromMain: $h}) { ticket { id } userErrors { code } } }";

async fn open(app: &TestApp, token: &str, account: Value, subject: &str, hidden: bool) -> String {
    app.ok(
        CREATE,
        json!({ "a": account, "s": subject, "h": hidden }),
        Some(token),
    )
    .await["createTicket"]["ticket"]["id"]
        .as_str()
        .expect("ticket")
        .to_string()
}

async fn set(app: &TestApp, ticket: &str, status: &str) -> Value {
    app.ok(SET, json!({ "t": ticket, "s": status }), Some(app.admin()))
        .await["setTicketStatus"]
        .clone()
}

fn subjects(page: &Value) -> Vec<String> {
    page["ticketQueue"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["subject"].as_str().expect("subject").to_string())
        .collect()
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(
        "{ viewer { notifications(first: 50) { nodes { kind message ticket { id } } } } }",
        json!({}),
        Some(token),
    )
    .await["viewer"]["notifications"]["nodes"]
        .as_array()
        .expect("notifications")
        .clone()
}

#[tokio::test]
async fn staff_move_tickets_along_the_state_machine_and_the_right_accounts_are_told() {
    let app = TestApp::spawn().await;
    let t = app.tenant("desk").await;
    let main = app.token_for(&t.main).await;
    let sub = app.token_for(&t.aggregated).await;
    let shared = open(&app, &sub, Value::Null, "Line down", false).await;
    let private = open(&app, &sub, Value::Null, "My own matter", true).await;

    let moved = set(&app, &shared, "IN_PROGRESS").await;
    assert_eq!(moved["userErrors"], json!([]));
    assert_eq!(moved["ticket"]["status"], "IN_PROGRESS");
    for (to, code) in [
        ("IN_PROGRESS", "INVALID_STATE"),
        ("NEW", "INVALID_STATE"),
        ("WAITING_ON_AGENT", "INVALID_STATE"),
    ] {
        let refused = set(&app, &shared, to).await;
        assert_eq!(refused["userErrors"][0]["code"], code, "to {to}: {refused}");
    }
    assert_eq!(
        set(&app, &shared, "WAITING_ON_CUSTOMER").await["ticket"]["status"],
        "WAITING_ON_CUSTOMER"
    );
    assert_eq!(
        set(&app, &shared, "RESOLVED").await["ticket"]["status"],
        "RESOLVED"
    );
    assert_eq!(
        set(&app, &shared, "WAITING_ON_CUSTOMER").await["userErrors"][0]["code"],
        "INVALID_STATE",
        "a resolved ticket is reopened first"
    );
    assert_eq!(
        set(&app, &shared, "IN_PROGRESS").await["ticket"]["status"],
        "IN_PROGRESS",
        "staff reopen"
    );
    assert_eq!(
        set(&app, &private, "IN_PROGRESS").await["ticket"]["status"],
        "IN_PROGRESS"
    );

    // The sub-account hears about both; its main only about the ticket it may see.
    let sub_told: Vec<Value> = notifications(&app, &sub)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "TICKET_UPDATED")
        .collect();
    assert_eq!(sub_told.len(), 5, "{sub_told:?}");
    let main_told: Vec<Value> = notifications(&app, &main)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "TICKET_UPDATED")
        .collect();
    assert_eq!(main_told.len(), 4, "{main_told:?}");
    assert!(
        main_told.iter().all(|n| n["ticket"]["id"] == shared),
        "never the hidden ticket: {main_told:?}"
    );
    // Customers cannot set statuses.
    let (_, body) = app
        .graphql(SET, json!({ "t": shared, "s": "RESOLVED" }), Some(&sub))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn the_queue_filters_by_status_partner_account_and_assignee_in_pages() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin());
    let a = app
        .create_account("queue-a", json!({ "status": "ACTIVE" }))
        .await;
    let b = app
        .create_account("queue-b", json!({ "status": "ACTIVE" }))
        .await;
    let (ta, tb) = (app.token_for(&a).await, app.token_for(&b).await);
    let mut tickets = Vec::new();
    for i in 0..5 {
        tickets.push(open(&app, &ta, Value::Null, &format!("A{i}"), false).await);
    }
    for i in 0..3 {
        tickets.push(open(&app, &tb, Value::Null, &format!("B{i}"), false).await);
    }
    let me = app
        .ok("{ staffUsers { id fullName } }", json!({}), admin)
        .await["staffUsers"][0]["id"]
        .clone();
    let assigned = app
        .ok(ASSIGN, json!({ "t": tickets[1], "a": me }), admin)
        .await;
    assert_eq!(assigned["assignTicket"]["ticket"]["assignee"]["id"], me);
    app.ok(ASSIGN, json!({ "t": tickets[6], "a": me }), admin)
        .await;
    set(&app, &tickets[2], "IN_PROGRESS").await;
    set(&app, &tickets[7], "RESOLVED").await;

    // Oldest change first, in pages of 3: every ticket once.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(QUEUE, json!({ "first": 3, "after": after }), admin)
            .await;
        assert_eq!(page["ticketQueue"]["totalCount"], 8);
        seen.extend(subjects(&page));
        if page["ticketQueue"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["ticketQueue"]["pageInfo"]["endCursor"].clone();
    }
    // Untouched tickets first, in the order they were opened; then the ones changed, in
    // the order they were changed (assigned, moved).
    assert_eq!(seen, ["A0", "A3", "A4", "B0", "A1", "B1", "A2", "B2"]);

    let count = |filter: Value| {
        let app = &app;
        async move {
            app.ok(QUEUE, json!({ "f": filter }), admin).await["ticketQueue"]["totalCount"]
                .as_i64()
                .expect("count")
        }
    };
    assert_eq!(count(json!({ "status": ["NEW"] })).await, 6);
    assert_eq!(
        count(json!({ "status": ["IN_PROGRESS", "RESOLVED"] })).await,
        2
    );
    assert_eq!(count(json!({ "accountId": b })).await, 3);
    assert_eq!(count(json!({ "assigneeId": me })).await, 2);
    assert_eq!(count(json!({ "unassigned": true })).await, 6);
    let partner =
        app.ok("{ partners { id } }", json!({}), admin).await["partners"][0]["id"].clone();
    assert_eq!(count(json!({ "partnerId": partner })).await, 8);
    let other = app.create_partner("Elsewhere").await;
    assert_eq!(count(json!({ "partnerId": other })).await, 0);
    let newest_first = app
        .ok(
            QUEUE,
            json!({ "o": { "field": "CREATED_AT", "direction": "DESC" }, "first": 2 }),
            admin,
        )
        .await;
    assert_eq!(subjects(&newest_first), ["B2", "B1"]);
    let (_, body) = app
        .graphql(
            QUEUE,
            json!({ "f": { "assigneeId": me, "unassigned": true } }),
            admin,
        )
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    let (_, body) = app.graphql(QUEUE, json!({}), Some(&ta)).await;
    assert_eq!(first_code(&body), "FORBIDDEN");
    // Unassigning.
    let cleared = app
        .ok(ASSIGN, json!({ "t": tickets[1], "a": null }), admin)
        .await;
    assert_eq!(cleared["assignTicket"]["ticket"]["assignee"], Value::Null);
    let unknown = app
        .ok(
            ASSIGN,
            json!({ "t": tickets[1], "a": crate::helpers::encode_id("StaffUser", 999_999) }),
            admin,
        )
        .await;
    assert_eq!(
        unknown["assignTicket"]["userErrors"][0]["code"],
        "INVALID_INPUT"
    );
}
