//! Derived records follow the objects they are about. A world where every party acts (orders
//! paid and failed, transfers, tickets hidden and not, replies by the main and by staff, a
//! link and an unlink, spending controls, a balance adjustment, a service disabled, the
//! billing job run by the scheduler), then, for each kind of viewer, everything it can reach
//! is read by introspection: from `viewer` and `activityFeed`, every object named on the way
//! through `node(id)` with all its fields, and the activity export's CSV. No string of an
//! object the viewer may not read (a name, login, id, number, amount, subject or balance
//! that belongs to no object it may read) may appear anywhere in it. The walk knows the
//! strings from the world it built and reads every field the schema has: a record kind
//! added later is read without editing the walk.

mod walk;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, decode_pk},
    walk::Schema,
};

/// The accounts of a world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Main,
    Aggregated,
    Independent,
    Stranger,
    /// Linked to the main once, unlinked since.
    Former,
}

const EVERYONE: [Who; 5] = [
    Who::Main,
    Who::Aggregated,
    Who::Independent,
    Who::Stranger,
    Who::Former,
];

/// The switches a world ends with.
#[derive(Debug, Clone, Copy)]
struct Switches {
    management: bool,
    independent_access: bool,
}

/// One object of the world and the strings that are its own.
struct Object {
    id: String,
    strings: Vec<String>,
}

struct World {
    accounts: BTreeMap<Who, String>,
    objects: Vec<Object>,
    /// Every balance each account had, as figures.
    balances: BTreeMap<Who, BTreeSet<String>>,
    staff: Vec<String>,
}

const ORDER: &str = "mutation($a: ID!, $items: [OrderItemInput!]!, $pm: PaymentMethodInput) { placeOrder(input: {accountId: $a, items: $items, paymentMethod: $pm}) { order { id number total invoice { id number total } } userErrors { code } } }";

impl World {
    fn login(&self, who: Who) -> String {
        format!("{}-{who:?}", self.prefix()).to_lowercase()
    }

    fn prefix(&self) -> &str {
        "walk"
    }

    async fn note_balances(&mut self, app: &TestApp) {
        for who in EVERYONE {
            let balance = app
                .ok(
                    "query($a: ID!) { node(id: $a) { ... on Account { balance } } }",
                    json!({ "a": self.accounts[&who] }),
                    Some(app.admin()),
                )
                .await["node"]["balance"]
                .as_str()
                .map(str::to_string);
            if let Some(b) = balance.filter(|b| b != "0.00") {
                self.balances.entry(who).or_default().insert(b);
            }
        }
    }

    /// Records an order (and its invoice) from a `placeOrder`/`approveOrder` payload.
    fn note_order(&mut self, order: &Value) {
        let s = |v: &Value| v.as_str().map(str::to_string);
        if let Some(id) = s(&order["id"]) {
            self.objects.push(Object {
                id,
                strings: [s(&order["number"]), s(&order["total"])]
                    .into_iter()
                    .flatten()
                    .collect(),
            });
        }
        let invoice = &order["invoice"];
        if let Some(id) = s(&invoice["id"]) {
            self.objects.push(Object {
                id,
                strings: [s(&invoice["number"]), s(&invoice["total"])]
                    .into_iter()
                    .flatten()
                    .collect(),
            });
        }
    }
}

async fn place(app: &TestApp, token: &str, account: &str, tariff: &str, pm: Value) -> Value {
    let out = app
        .ok(
            ORDER,
            json!({ "a": account, "items": [{ "tariffId": tariff }], "pm": pm }),
            Some(token),
        )
        .await;
    out["placeOrder"].clone()
}

fn balance() -> Value {
    json!({ "kind": "ACCOUNT_BALANCE" })
}

async fn ticket(
    app: &TestApp,
    token: &str,
    account: Option<&str>,
    subject: &str,
    hidden: bool,
) -> String {
    let out = app
        .ok(
            "mutation($a: ID, $s: String!, $h: Boolean) { createTicket(input: {accountId: $a, subject: $s, message: \"Please look\", hiddenFromMain: $h}) { ticket { id } userErrors { code } } }",
            json!({ "a": account, "s": subject, "h": hidden }),
            Some(token),
        )
        .await;
    out["createTicket"]["ticket"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("ticket {subject}: {out}"))
        .to_string()
}

/// Builds a world where everyone acts (with every switch on), then sets `end`'s switches.
async fn world(app: &TestApp, end: Switches) -> World {
    let mut w = World {
        accounts: BTreeMap::new(),
        objects: Vec::new(),
        balances: BTreeMap::new(),
        staff: Vec::new(),
    };
    for who in EVERYONE {
        let login = w.login(who);
        let id = app
            .create_account(
                &login,
                json!({ "status": "ACTIVE", "email": format!("{login}@example.net") }),
            )
            .await;
        w.objects.push(Object {
            id: id.clone(),
            strings: vec![
                login.clone(),
                format!("Name of {login}"),
                format!("account:{}", decode_pk(&id)),
                format!("{login}@example.net"),
            ],
        });
        w.accounts.insert(who, id);
    }
    let id = |w: &World, who: Who| w.accounts[&who].clone();
    let (main, agg, ind, former) = (
        id(&w, Who::Main),
        id(&w, Who::Aggregated),
        id(&w, Who::Independent),
        id(&w, Who::Former),
    );
    for (sub, kind) in [
        (&agg, "AGGREGATED"),
        (&ind, "INDEPENDENT"),
        (&former, "AGGREGATED"),
    ] {
        assert_eq!(app.link(&main, sub, kind).await, json!([]));
    }
    app.set_management(&main, true).await;
    app.set_independent_access(true).await;
    app.allow_sub_orders().await;
    let staff_row = app
        .ok(
            "{ staffUsers { id login fullName } }",
            json!({}),
            Some(app.admin()),
        )
        .await["staffUsers"][0]
        .clone();
    w.staff = ["id", "login", "fullName"]
        .iter()
        .filter_map(|k| staff_row[k].as_str().map(str::to_string))
        .collect();
    if let Some(id) = staff_row["id"].as_str() {
        w.staff.push(format!("staff:{}", decode_pk(id)));
    }
    let (t_main, t_agg, t_ind, t_former) = (
        app.token_for(&main).await,
        app.token_for(&agg).await,
        app.token_for(&ind).await,
        app.token_for(&former).await,
    );
    // Distinct prices, so that each order's total is its own.
    let mut tariffs = Vec::new();
    for (i, price) in [
        "17.43", "29.67", "41.19", "53.71", "11.83", "37.29", "23.57",
    ]
    .iter()
    .enumerate()
    {
        tariffs.push(app.create_tariff(&format!("Plan {i}"), price).await);
    }
    for (who, tariff) in [
        (Who::Main, 0),
        (Who::Aggregated, 1),
        (Who::Independent, 2),
        (Who::Former, 3),
    ] {
        app.add_service(
            &w.accounts[&who],
            &tariffs[tariff],
            entity::enums::ServiceStatus::Active,
        )
        .await;
    }
    w.note_balances(app).await;
    // The main's balance is short: its approval of the sub-account's ask fails.
    let ask = place(app, &t_agg, &agg, &tariffs[1], Value::Null).await;
    w.note_order(&ask["order"]);
    let order_id = ask["order"]["id"].clone();
    let approve = "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id number total invoice { id number total } } userErrors { code } } }";
    // A second ask stays waiting with its failed approval (its reason names the main's
    // balance, which is not the sub-account's to read).
    let waiting = place(app, &t_agg, &agg, &tariffs[3], Value::Null).await;
    w.note_order(&waiting["order"]);
    app.deposit(&main, "5.21").await;
    w.note_balances(app).await;
    for order in [&order_id, &waiting["order"]["id"]] {
        let failed = app.ok(approve, json!({ "o": order }), Some(&t_main)).await;
        assert_eq!(
            failed["approveOrder"]["userErrors"][0]["code"],
            "INSUFFICIENT_BALANCE"
        );
    }
    app.deposit(&main, "731.17").await;
    w.note_balances(app).await;
    let paid = app
        .ok(approve, json!({ "o": order_id }), Some(&t_main))
        .await;
    w.note_order(&paid["approveOrder"]["order"]);
    w.note_balances(app).await;
    // The main orders for its aggregated sub-account and for itself; one fails (a card).
    let for_sub = place(app, &t_main, &agg, &tariffs[4], balance()).await;
    w.note_order(&for_sub["order"]);
    let declined = place(
        app,
        &t_main,
        &main,
        &tariffs[0],
        json!({ "kind": "GATEWAY", "gatewayToken": "tok_declined" }),
    )
    .await;
    w.note_order(&declined["order"]);
    w.note_balances(app).await;
    // The sub-account asks again; the main rejects it.
    let rejected = place(app, &t_agg, &agg, &tariffs[5], Value::Null).await;
    w.note_order(&rejected["order"]);
    app.ok(
        "mutation($o: ID!) { rejectOrder(input: {orderId: $o, reason: \"Not this month\"}) { userErrors { code } } }",
        json!({ "o": rejected["order"]["id"] }),
        Some(&t_main),
    )
    .await;
    // The independent sub-account pays itself, once short, then with money moved to it.
    app.deposit(&ind, "412.09").await;
    w.note_balances(app).await;
    let own = place(app, &t_ind, &ind, &tariffs[2], balance()).await;
    w.note_order(&own["order"]);
    w.note_balances(app).await;
    let moved = app
        .ok(
            "mutation($a: ID!) { transferBalance(input: {accountId: $a, amount: \"61.37\", idempotencyKey: \"walk\"}) { userErrors { code } } }",
            json!({ "a": ind }),
            Some(&t_main),
        )
        .await;
    assert_eq!(moved["transferBalance"]["userErrors"], json!([]));
    w.note_balances(app).await;
    let short = place(app, &t_ind, &ind, &tariffs[3], balance()).await;
    w.note_order(&short["order"]);
    app.ok(
        "mutation($a: ID!) { adjustBalance(input: {accountId: $a, amount: \"-3.11\", reason: \"Correction for the independent one\"}) { userErrors { code } } }",
        json!({ "a": ind }),
        Some(app.admin()),
    )
    .await;
    w.note_balances(app).await;
    // The former sub-account's own history, then its unlink.
    let former_order = place(app, &t_main, &former, &tariffs[6], balance()).await;
    w.note_order(&former_order["order"]);
    let former_ticket = ticket(app, &t_former, None, "Former private question", false).await;
    w.objects.push(Object {
        id: former_ticket,
        strings: vec!["Former private question".into()],
    });
    app.ok(
        "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { userErrors { code } } }",
        json!({ "s": former }),
        Some(app.admin()),
    )
    .await;
    w.note_balances(app).await;
    // Tickets: hidden and not, by the sub-accounts, by the main for a sub-account; replies by
    // the main and by staff; a status and an assignment by staff.
    let mut tickets = Vec::new();
    for (token, account, subject, hidden) in [
        (&t_agg, None, "Aggregated hidden matter", true),
        (&t_agg, None, "Aggregated shared matter", false),
        (
            &t_main,
            Some(agg.as_str()),
            "Main asks for the aggregated one",
            false,
        ),
        (&t_ind, None, "Independent hidden matter", true),
        (&t_main, None, "Main own matter", false),
    ] {
        let id = ticket(app, token, account, subject, hidden).await;
        w.objects.push(Object {
            id: id.clone(),
            strings: vec![subject.to_string()],
        });
        tickets.push(id);
    }
    for (token, ticket) in [(&t_main, &tickets[2]), (&t_main, &tickets[1])] {
        app.ok(
            "mutation($t: ID!) { replyToTicket(input: {ticketId: $t, message: \"From the main\"}) { userErrors { code } } }",
            json!({ "t": ticket }),
            Some(token),
        )
        .await;
    }
    let staff_id = w.staff[0].clone();
    for t in &tickets {
        app.ok(
            "mutation($t: ID!) { replyToTicket(input: {ticketId: $t, message: \"Staff here\"}) { userErrors { code } } }",
            json!({ "t": t }),
            Some(app.admin()),
        )
        .await;
        app.ok(
            "mutation($t: ID!, $s: ID) { assignTicket(input: {ticketId: $t, assigneeId: $s}) { userErrors { code } } }",
            json!({ "t": t, "s": staff_id }),
            Some(app.admin()),
        )
        .await;
        app.ok(
            "mutation($t: ID!) { setTicketStatus(input: {ticketId: $t, status: IN_PROGRESS}) { userErrors { code } } }",
            json!({ "t": t }),
            Some(app.admin()),
        )
        .await;
    }
    // Spending controls, a disabled service, and the scheduler's billing run.
    app.ok(
        "mutation($a: ID!) { setSpendingControls(input: {accountId: $a, monthlyCap: \"97.31\", autoApproveUpTo: \"8.77\"}) { userErrors { code } } }",
        json!({ "a": agg }),
        Some(&t_main),
    )
    .await;
    let agg_service = app
        .ok(
            "query($a: ID!) { node(id: $a) { ... on Account { services { nodes { id } } } } }",
            json!({ "a": agg }),
            Some(app.admin()),
        )
        .await["node"]["services"]["nodes"][0]["id"]
        .clone();
    app.ok(
        "mutation($s: ID!) { disableService(input: {serviceId: $s}) { userErrors { code } } }",
        json!({ "s": agg_service }),
        Some(app.admin()),
    )
    .await;
    let month = portal_api::domain::billing::Month::containing(portal_api::domain::today());
    portal_api::domain::billing::run(
        &app.state.db,
        &portal_api::auth::Viewer::System,
        month.first,
        portal_api::domain::today(),
        1,
        &|_| {},
    )
    .await
    .expect("the billing job runs");
    let invoices = app
        .ok(
            "{ accounts(first: 100) { nodes { invoices(first: 100) { nodes { id number total } } } } }",
            json!({}),
            Some(app.admin()),
        )
        .await;
    for account in invoices["accounts"]["nodes"].as_array().expect("accounts") {
        for invoice in account["invoices"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if !w.objects.iter().any(|o| o.id == invoice["id"]) {
                w.note_order(&json!({ "invoice": invoice }));
            }
        }
    }
    w.note_balances(app).await;
    // The world's switches at last.
    app.set_management(&main, end.management).await;
    app.set_independent_access(end.independent_access).await;
    w
}
