//! A page of sub-accounts reads the first two lists its rows select (services, orders, tickets,
//! documents), an account by id the lists it selects (up to four, aliases of one), in
//! their own statement on PostgreSQL (`db::children::Nest`): the lists cost no statement
//! of their own, on the plan's path and the resolvers', and the answer is the one a server
//! that reads each list on its own gives (`PORTAL_FOLDED_LISTS=false`: pages, totals,
//! cursors, filters, sort keys, a row whose list is empty). SQLite reads each list in a statement of
//! its own. An order by id reads its items the same way. The rows of a page are not read
//! again when asked for by id later in the request (the authors of the messages under it).

use std::net::SocketAddr;

use portal_api::AppState;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// What `query` costs (statements) and answers (`data`) at the server `at`, on its third
/// run: the third finds the process's caches (tariffs, the viewer) warm and, on a plan's
/// server, the document's plan compiled.
pub(crate) async fn cost(
    (app, at, state): (&TestApp, SocketAddr, &AppState),
    token: &str,
    query: &str,
    variables: &Value,
) -> (u64, Value) {
    let mut last = (0, Value::Null);
    for _ in 0..3 {
        let before = state.metrics.db_queries();
        let (_, body) = app
            .graphql_at(at, query, variables.clone(), Some(token))
            .await;
        assert!(body["errors"].is_null(), "{query}: {body}");
        last = (state.metrics.db_queries() - before, body["data"].clone());
    }
    last
}

/// `shape` with another list of the account read first (`after` ends the text it goes
/// after), so that the list `shape` asks for is read on its own: the reference answer.
pub(crate) fn unfolded(shape: &str, after: &str) -> String {
    shape.replacen(
        after,
        &format!("{after}unfolded: orders(first: 1) {{ totalCount }} "),
        1,
    )
}

/// Shapes of a page of sub-accounts with lists of each.
const SHAPES: &[&str] = &[
    "{ viewer { account { subAccounts(first: 10) { nodes { login services(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id status price } } } } } } }",
    "{ viewer { account { subAccounts(first: 10) { edges { node { ...Row } } } } } } fragment Row on Account { login services(status: [ACTIVE, PAUSED]) { nodes { id status tariff { name } } } }",
    "{ viewer { account { subAccounts(first: 3, orderBy: {field: TOTAL_SERVICE_COST, direction: DESC}) { nodes { login tickets(first: 2) { totalCount edges { cursor node { subject messages(first: 5) { nodes { body } } } } } } } } } }",
    "{ viewer { account { subAccounts(first: 10) { nodes { login documents(first: 1) { nodes { title } } orders(first: 1) { nodes { id } } } } } } }",
    "{ viewer { account { subAccounts(first: 10) { nodes { login orders(first: 5) { totalCount nodes { id status } } } } } } }",
    "{ viewer { account { subAccounts(first: 10) { nodes { login a: services(first: 1) { totalCount nodes { id } } tickets(first: 3) { totalCount nodes { subject } } b: services(first: 3, status: [ACTIVE]) { totalCount pageInfo { hasNextPage } nodes { id price } } c: services(first: 1) { totalCount nodes { id } } documents { totalCount } orders(first: 2) { nodes { id } } } } } } }",
];

/// A server beside `app` that reads each list in a statement of its own: the reference.
pub(crate) async fn unfolding(app: &TestApp) -> crate::helpers::Replica {
    app.replica_with(|c| c.folded_lists = false).await
}

/// The same page without the list: what the fold costs (no statement more).
const BARE: &str = "{ viewer { account { subAccounts(first: 10) { nodes { login } } } } }";

#[tokio::test]
async fn a_page_of_sub_accounts_reads_the_lists_of_each_in_its_own_statement() {
    let app = TestApp::spawn().await;
    let (main, tariff, token) = managing_main(&app, "folder").await;
    use entity::enums::ServiceStatus as S;
    let services: [&[S]; 4] = [
        &[],
        &[S::Active],
        &[S::Active, S::Paused, S::Archived],
        &[S::Active, S::Active, S::Paused, S::Active, S::Active],
    ];
    for (i, list) in services.into_iter().enumerate() {
        let sub = app
            .create_account(&format!("folded-{i}"), json!({ "status": "ACTIVE" }))
            .await;
        app.link(&main, &sub, "AGGREGATED").await;
        for status in list {
            app.add_service(&sub, &tariff, *status).await;
        }
        for t in 0..i {
            open_ticket(&app, &token, &sub, &format!("ticket {t} of {i}")).await;
        }
    }
    let resolvers = app.resolvers().await;
    let reference = unfolding(&app).await;
    let postgres = TestApp::postgres_admin_url().is_some();
    let paths = app.paths(&resolvers);
    let none = json!({});
    let alone = (&app, reference.addr, &reference.state);
    let (bare_alone, _) = cost(alone, &token, BARE, &none).await;
    for (path, at, state) in paths {
        let (bare, _) = cost((&app, at, state), &token, BARE, &none).await;
        for (i, shape) in SHAPES.iter().enumerate() {
            let (statements, data) = cost((&app, at, state), &token, shape, &none).await;
            let rows = data["viewer"]["account"]["subAccounts"].to_string();
            assert!(rows.contains("folded-3"), "{path} {shape}: {rows}");
            let (unfolded, want) = cost(alone, &token, shape, &none).await;
            if postgres {
                // The rows' first two lists are read with the page: one statement, as the page
                // alone (messages below cost theirs, as does any other list, but a list
                // asked again under another alias; tariffs are kept by the process); each
                // list costs one of its own where lists are not folded.
                let (more, alone) = [(0, 1), (0, 1), (1, 2), (0, 2), (0, 1), (3, 5)][i];
                assert_eq!(
                    statements,
                    bare + more,
                    "{path} {shape}: a list cost a statement of its own"
                );
                assert_eq!(unfolded, bare_alone + alone, "{shape}: unfolded");
            }
            assert_eq!(
                data, want,
                "{path} {shape}: the lists read with the page differ"
            );
        }
    }
}

/// Shapes of an account by id with a list of it; `$id` is the account.
const BY_ID: &[&str] = &[
    "query($id: ID!) { node(id: $id) { ... on Account { login services(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { id status price } } } } }",
    "query($id: ID!) { node(id: $id) { ...A } } fragment A on Account { login services(first: 10) { nodes { id tariff { name } } } tickets(first: 5) { nodes { subject } } }",
    "query($id: ID!) { node(id: $id) { id ... on Account { login tickets(first: 1) { totalCount edges { cursor node { subject } } } } } }",
    "query($id: ID!) { node(id: $id) { ... on Account { login documents(first: 3) { nodes { title } } } } }",
    "query($id: ID!) { node(id: $id) { ... on Account { login a: services(first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } documents(first: 2) { totalCount nodes { title } } b: services(status: [ACTIVE], first: 2) { totalCount nodes { id price } } orders { totalCount } c: services(first: 1) { totalCount nodes { id } } } } }",
];

/// The same account without a list: what the fold costs (no statement more).
const BY_ID_BARE: &str = "query($id: ID!) { node(id: $id) { ... on Account { login } } }";

#[tokio::test]
async fn an_account_by_id_reads_its_lists_in_its_own_statement() {
    let app = TestApp::spawn().await;
    let (main, tariff, token) = managing_main(&app, "by-id-main").await;
    let [sub, stranger] = sub_and_stranger(&app, &main, "by-id").await;
    use entity::enums::ServiceStatus as S;
    for (account, status) in [
        (&sub, S::Active),
        (&sub, S::Paused),
        (&sub, S::Active),
        (&main, S::Active),
        (&stranger, S::Active),
    ] {
        app.add_service(account, &tariff, status).await;
    }
    for t in 0..2 {
        open_ticket(&app, &token, &sub, &format!("ticket {t}")).await;
    }
    let resolvers = app.resolvers().await;
    let reference = unfolding(&app).await;
    let alone = (&app, reference.addr, &reference.state);
    let postgres = TestApp::postgres_admin_url().is_some();
    for (path, at, state) in app.paths(&resolvers) {
        let on = (&app, at, state);
        // The viewer's own account and its sub-account.
        for id in [&main, &sub] {
            let vars = json!({ "id": id });
            let (bare, _) = cost(on, &token, BY_ID_BARE, &vars).await;
            for shape in BY_ID {
                let (statements, data) = cost(on, &token, shape, &vars).await;
                assert!(data["node"]["login"].is_string(), "{path} {shape}: {data}");
                // The viewer's own tickets take in its sub-accounts' and are read on their
                // own; every other list is read with the account.
                if postgres && !(id == &main && shape.contains("tickets(")) {
                    assert_eq!(
                        statements, bare,
                        "{path} {shape}: a list cost a statement of its own"
                    );
                }
                let (_, want) = cost(alone, &token, shape, &vars).await;
                assert_eq!(
                    data, want,
                    "{path} {shape}: the lists read with the account differ"
                );
            }
        }
        let (_, sub_services) = cost(on, &token, BY_ID[0], &json!({ "id": sub })).await;
        assert_eq!(
            sub_services["node"]["services"]["totalCount"],
            json!(3),
            "{path}"
        );
        // Two accounts by id in one request: the first is read with its list, the second
        // through the batches; each answers as it does alone.
        let both = "query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Account { login services(first: 2) { nodes { id } } } } b: node(id: $b) { ... on Account { login services(first: 2) { nodes { id } } } } }";
        let (_, data) = cost(on, &token, both, &json!({ "a": main, "b": sub })).await;
        let alone = "query($id: ID!) { node(id: $id) { ... on Account { login services(first: 2) { nodes { id } } } } }";
        for (alias, id) in [("a", &main), ("b", &sub)] {
            let (_, want) = cost(on, &token, alone, &json!({ "id": id })).await;
            assert_eq!(data[alias], want["node"], "{path}: {alias}");
        }
        // An account the viewer may not see, whatever was read with it.
        not_found(on, &token, BY_ID[0], &stranger, "by-id-stranger").await;
    }
}

/// Shapes of a ticket by id with its messages; `$id` is the ticket.
const TICKET: &[&str] = &[
    "query($id: ID!) { node(id: $id) { ... on Ticket { subject messages(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { body authorName fromStaff } } } } }",
    "query($id: ID!) { node(id: $id) { id ...T } } fragment T on Ticket { status messages { edges { cursor node { body createdAt } } } }",
];

/// The same ticket without its messages: what the fold costs (no statement more).
const TICKET_BARE: &str = "query($id: ID!) { node(id: $id) { ... on Ticket { subject } } }";

#[tokio::test]
async fn a_ticket_by_id_reads_its_messages_in_its_own_statement() {
    let app = TestApp::spawn().await;
    let (main, _, token) = managing_main(&app, "ticket-main").await;
    let [sub, stranger] = sub_and_stranger(&app, &main, "ticket").await;
    // Tickets written by their own accounts (the messages' author is the ticket's owner).
    let sub_token = app.token_for(&sub).await;
    let mut tickets = Vec::new();
    for (n, replies) in [(0, 3), (1, 0)] {
        let id = open_ticket(&app, &sub_token, &sub, &format!("sub ticket {n}")).await;
        for r in 0..replies {
            let made = app
                .ok(
                    "mutation($t: ID!, $m: String!) { replyToTicket(input: {ticketId: $t, message: $m}) { userErrors { code } } }",
                    json!({ "t": id, "m": format!("reply {r}") }),
                    Some(&sub_token),
                )
                .await;
            assert_eq!(made["replyToTicket"]["userErrors"], json!([]), "{made}");
        }
        tickets.push(id);
    }
    let theirs = open_ticket(&app, &app.token_for(&stranger).await, &stranger, "theirs").await;
    let resolvers = app.resolvers().await;
    let postgres = TestApp::postgres_admin_url().is_some();
    for (path, at, state) in app.paths(&resolvers) {
        let on = (&app, at, state);
        for (id, other) in [(&tickets[0], &tickets[1]), (&tickets[1], &tickets[0])] {
            let vars = json!({ "id": id, "other": other });
            let (bare, _) = cost(on, &token, TICKET_BARE, &vars).await;
            for shape in TICKET {
                let (statements, data) = cost(on, &token, shape, &vars).await;
                assert!(
                    data["node"]["messages"].is_object(),
                    "{path} {shape}: {data}"
                );
                if postgres {
                    assert_eq!(
                        statements, bare,
                        "{path} {shape}: the messages cost a statement of their own"
                    );
                }
                // The reference: the same ticket after another ticket read with its
                // messages (a request's first), so that its own are read on their own.
                let alone = shape
                    .replacen("query($id: ID!)", "query($id: ID!, $other: ID!)", 1)
                    .replacen(
                        "{ node(id: $id)",
                        "{ unfolded: node(id: $other) { ... on Ticket { messages(first: 1) { totalCount } } } node(id: $id)",
                        1,
                    );
                let (_, mut want) = cost(on, &token, &alone, &vars).await;
                strip(&mut want, "unfolded");
                assert_eq!(
                    data, want,
                    "{path} {shape}: the messages read with the ticket differ"
                );
            }
        }
        let (_, thread) = cost(on, &token, TICKET[0], &json!({ "id": tickets[0] })).await;
        assert_eq!(thread["node"]["messages"]["totalCount"], json!(4), "{path}");
        assert_eq!(
            thread["node"]["messages"]["nodes"][0]["body"], "first",
            "{path}"
        );
        // A ticket the viewer may not see, whatever was read with it.
        not_found(on, &token, TICKET[0], &theirs, "first").await;
    }
}

/// Shapes of an order by id with its items (and its invoice's lines); `$id` is the order.
const ORDER: &[&str] = &[
    "query($id: ID!) { node(id: $id) { ... on Order { number items { quantity unitPrice total tariff { name } } } } }",
    "query($id: ID!) { node(id: $id) { id ...O } } fragment O on Order { number status items { quantity total } }",
    "query($id: ID!) { node(id: $id) { ... on Order { number items { quantity total } invoice { number total lines { description quantity total } } } } }",
];

/// The same order without its lists: what the folds cost.
const ORDER_BARE: &str = "query($id: ID!) { node(id: $id) { ... on Order { number } } }";

#[tokio::test]
async fn an_order_by_id_reads_its_items_and_its_invoice_with_its_lines() {
    let app = TestApp::spawn().await;
    let (main, tariff, token) = managing_main(&app, "order-main").await;
    let [sub, stranger] = sub_and_stranger(&app, &main, "order").await;
    let other = app.create_tariff("Second line", "5.00").await;
    let place = "mutation($a: ID!, $items: [OrderItemInput!]!) { placeOrder(input: {accountId: $a, items: $items, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id } userErrors { code } } }";
    let mut orders = Vec::new();
    // The main pays for its aggregated sub-account's order.
    let stranger_token = app.token_for(&stranger).await;
    for (account, payer, placer) in [
        (&sub, &main, &token),
        (&stranger, &stranger, &stranger_token),
    ] {
        app.deposit(payer, "100.00").await;
        let items = json!([{ "tariffId": tariff, "quantity": 2 }, { "tariffId": other }]);
        let placed = app
            .ok(place, json!({ "a": account, "items": items }), Some(placer))
            .await;
        let id = placed["placeOrder"]["order"]["id"].as_str();
        orders.push(id.expect("an order").to_string());
    }
    let resolvers = app.resolvers().await;
    let postgres = TestApp::postgres_admin_url().is_some();
    // The reference: the order's items and invoice read on their own, under the account's
    // orders.
    let listed = "query($id: ID!) { node(id: $id) { ... on Account { orders(first: 5) { nodes { id number status items { quantity unitPrice total tariff { name } } invoice { number total lines { description quantity total } } } } } } }";
    for (path, at, state) in app.paths(&resolvers) {
        let on = (&app, at, state);
        let vars = json!({ "id": orders[0] });
        let (bare, _) = cost(on, &token, ORDER_BARE, &vars).await;
        let (_, list) = cost(on, &token, listed, &json!({ "id": sub })).await;
        let want = &list["node"]["orders"]["nodes"][0];
        assert_eq!(want["id"], orders[0], "{path}: {list}");
        assert!(want["invoice"]["lines"][1].is_object(), "{path}: {list}");
        for (i, shape) in ORDER.iter().enumerate() {
            let (statements, data) = cost(on, &token, shape, &vars).await;
            let items = &data["node"]["items"];
            assert_eq!(items.as_array().map(Vec::len), Some(2), "{path}: {data}");
            for (i, item) in items.as_array().into_iter().flatten().enumerate() {
                for (field, value) in item.as_object().into_iter().flatten() {
                    assert_eq!(value, &want["items"][i][field], "{path} {shape}: {field}");
                }
            }
            if let Some(invoice) = data["node"].get("invoice") {
                assert_eq!(invoice, &want["invoice"], "{path} {shape}");
            }
            // On PostgreSQL the invoice with its lines costs one statement; on SQLite the
            // items, the invoice and its lines are read in statements of their own.
            let more = if postgres { [0, 0, 1] } else { [1, 1, 3] }[i];
            assert_eq!(statements, bare + more, "{path} {shape}: statements");
        }
        // Two orders by id in one request: each answers as it does alone.
        let both = "query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Order { items { quantity } } } b: node(id: $b) { ... on Order { number items { total } } } }";
        let (_, data) = cost(on, &token, both, &json!({ "a": orders[0], "b": orders[0] })).await;
        assert_eq!(data["a"]["items"][0]["quantity"], 2, "{path}: {data}");
        assert_eq!(
            data["b"]["items"][1]["total"], want["items"][1]["total"],
            "{path}"
        );
        // A stranger's order, whatever was read with it.
        not_found(on, &token, ORDER[0], &orders[1], "Second line").await;
    }
}

/// A page of sub-accounts with their tickets' messages, by author, and the same without.
const AUTHORS: &str = "{ viewer { account { subAccounts(first: 10) { nodes { login fullName tickets(first: 3) { nodes { subject messages(first: 5) { nodes { body authorName } } } } } } } } }";

#[tokio::test]
async fn the_authors_on_a_page_of_sub_accounts_are_not_read_again() {
    let app = TestApp::spawn().await;
    let (main, _, token) = managing_main(&app, "authors-main").await;
    let mut tickets = Vec::new();
    for i in 0..3 {
        let sub = app
            .create_account(&format!("authors-{i}"), json!({ "status": "ACTIVE" }))
            .await;
        app.link(&main, &sub, "AGGREGATED").await;
        // Each sub-account writes its own ticket's first message.
        let own = app.token_for(&sub).await;
        tickets.push(open_ticket(&app, &own, &sub, &format!("from {i}")).await);
    }
    let resolvers = app.resolvers().await;
    let without = AUTHORS.replace(" authorName", "");
    let none = json!({});
    let paths = app.paths(&resolvers);
    for (path, at, state) in paths {
        let on = (&app, at, state);
        let (bare, _) = cost(on, &token, &without, &none).await;
        let (statements, data) = cost(on, &token, AUTHORS, &none).await;
        // The authors are the rows of the page: no statement for them, on either engine.
        assert_eq!(statements, bare, "{path}: the authors were read again");
        let rows = data["viewer"]["account"]["subAccounts"]["nodes"]
            .as_array()
            .expect("the page's rows");
        assert_eq!(rows.len(), 3, "{path}: {data}");
        for row in rows {
            let messages = &row["tickets"]["nodes"][0]["messages"]["nodes"];
            assert_eq!(messages[0]["authorName"], row["fullName"], "{path}: {row}");
        }
        // A page that does not show the names still reads what names its authors (a plan's
        // page reads only the columns it needs).
        let unnamed = AUTHORS.replace("login fullName", "login");
        let (statements, named) = cost(on, &token, &unnamed, &none).await;
        assert_eq!(statements, bare, "{path}: the authors were read again");
        let named = &named["viewer"]["account"]["subAccounts"]["nodes"];
        for (row, shown) in rows.iter().zip(named.as_array().expect("the page's rows")) {
            let author = &shown["tickets"]["nodes"][0]["messages"]["nodes"][0]["authorName"];
            assert_eq!(author, &row["fullName"], "{path}: {shown}");
        }
    }
    // An author who is not on the page (the main account replies) is read, and named as
    // in the thread read on its own.
    app.ok(
        "mutation($t: ID!) { replyToTicket(input: {ticketId: $t, message: \"on it\"}) { userErrors { code } } }",
        json!({ "t": tickets[0] }),
        Some(&token),
    )
    .await;
    let thread = "query($id: ID!) { node(id: $id) { ... on Ticket { messages(first: 5) { nodes { body authorName } } } } }";
    for (path, at, state) in paths {
        let on = (&app, at, state);
        let (bare, _) = cost(on, &token, &without, &none).await;
        let (statements, data) = cost(on, &token, AUTHORS, &none).await;
        assert_eq!(statements, bare + 1, "{path}: the main account's row");
        let (_, alone) = cost(on, &token, thread, &json!({ "id": tickets[0] })).await;
        let row = &data["viewer"]["account"]["subAccounts"]["nodes"][0];
        assert_eq!(row["login"], "authors-0", "{path}: {data}");
        let messages = &row["tickets"]["nodes"][0]["messages"];
        assert_eq!(messages, &alone["node"]["messages"], "{path}");
        assert_eq!(messages["nodes"][1]["body"], "on it", "{path}: {messages}");
    }
}

/// `query` about the object `id` the viewer may not see: the error its direct path gives
/// (`NOT_FOUND`), and nothing of it (`secret`) in the answer.
pub(crate) async fn not_found(
    (app, at, _): (&TestApp, SocketAddr, &AppState),
    token: &str,
    query: &str,
    id: &str,
    secret: &str,
) {
    let (_, body) = app
        .graphql_at(at, query, json!({ "id": id }), Some(token))
        .await;
    assert_eq!(body["data"]["node"], Value::Null, "{at}: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{at}: {body}"
    );
    assert!(!body.to_string().contains(secret), "{at}: {body}");
}

/// A main account that manages its sub-accounts, a tariff, and the main's token.
async fn managing_main(app: &TestApp, login: &str) -> (String, String, String) {
    let main = app
        .create_account(login, json!({ "status": "ACTIVE" }))
        .await;
    app.set_management(&main, true).await;
    let tariff = app
        .create_tariff(&format!("Fiber of {login}"), "20.00")
        .await;
    let token = app.token_for(&main).await;
    (main, tariff, token)
}

/// A sub-account of `main` and an account of no one's (`<prefix>-sub`, `<prefix>-stranger`).
async fn sub_and_stranger(app: &TestApp, main: &str, prefix: &str) -> [String; 2] {
    let sub = app
        .create_account(&format!("{prefix}-sub"), json!({ "status": "ACTIVE" }))
        .await;
    app.link(main, &sub, "AGGREGATED").await;
    let stranger = app
        .create_account(&format!("{prefix}-stranger"), json!({ "status": "ACTIVE" }))
        .await;
    [sub, stranger]
}

/// Opens a ticket on `account` as the holder of `token` (its first message: "first").
async fn open_ticket(app: &TestApp, token: &str, account: &str, subject: &str) -> String {
    let made = app
        .ok(
            "mutation($a: ID!, $s: String!) { createTicket(input: {accountId: $a, subject: $s, message: \"first\"}) { ticket { id } userErrors { code } } }",
            json!({ "a": account, "s": subject }),
            Some(token),
        )
        .await;
    assert_eq!(made["createTicket"]["userErrors"], json!([]), "{made}");
    made["createTicket"]["ticket"]["id"]
        .as_str()
        .expect("the ticket's id")
        .to_string()
}

/// `value` without the members named `key`, at any depth.
pub(crate) fn strip(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| strip(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, key)),
        _ => {}
    }
}
