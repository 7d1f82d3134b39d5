//! SPEC.md's permission table, walked by introspection: every field of `Account` and of what
//! hangs off an account (services, orders, invoices, documents, tickets, notifications) and
//! every mutation, asked by each kind of viewer, compared with the table and with
//! `Account.capabilities` (the policy's own answer). A field or mutation added later is
//! covered without editing this file; what the walk cannot exercise is listed with a reason.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    walk::{Outcome, Schema},
};

/// Who is looking at what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Party {
    /// The sub-account (a standalone account in the standalone column).
    Sub,
    /// Its main account (unrelated to it in the standalone column).
    Main,
    /// An account of another partner.
    Stranger,
}

/// One column of the table: the link, the switches, and who looks.
struct Column {
    name: &'static str,
    viewer: Party,
    /// `AGGREGATED`, `INDEPENDENT`, or no link.
    link: Option<&'static str>,
    management: bool,
    independent_access: bool,
    sub_accounts_can_order: bool,
}

const COLUMNS: &[Column] = &[
    Column {
        name: "own aggregated sub-account (ordering allowed, main manages)",
        viewer: Party::Sub,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "own aggregated sub-account, partner does not let it order",
        viewer: Party::Sub,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: false,
    },
    Column {
        name: "own aggregated sub-account, main without management",
        viewer: Party::Sub,
        link: Some("AGGREGATED"),
        management: false,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "own independent sub-account",
        viewer: Party::Sub,
        link: Some("INDEPENDENT"),
        management: true,
        independent_access: true,
        sub_accounts_can_order: false,
    },
    Column {
        name: "own standalone account",
        viewer: Party::Sub,
        link: None,
        management: false,
        independent_access: false,
        sub_accounts_can_order: false,
    },
    Column {
        name: "main with management off, aggregated sub",
        viewer: Party::Main,
        link: Some("AGGREGATED"),
        management: false,
        independent_access: true,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main with management off, independent sub (access on)",
        viewer: Party::Main,
        link: Some("INDEPENDENT"),
        management: false,
        independent_access: true,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main managing an aggregated sub",
        viewer: Party::Main,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main managing, independent sub, independent access off",
        viewer: Party::Main,
        link: Some("INDEPENDENT"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main with independent access, independent sub",
        viewer: Party::Main,
        link: Some("INDEPENDENT"),
        management: true,
        independent_access: true,
        sub_accounts_can_order: true,
    },
    Column {
        name: "another tenant",
        viewer: Party::Stranger,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: true,
        sub_accounts_can_order: true,
    },
];

/// Every permission `Account.capabilities` reports, as SPEC.md's table grants them.
const EVERYTHING: &[&str] = &[
    "viewDetails",
    "order",
    "pauseServices",
    "changeServices",
    "viewInternetUsage",
    "viewVoiceUsage",
    "viewDocuments",
    "manageTickets",
    "manageOrders",
    "viewOrders",
    "viewBalance",
    "viewBilling",
    "hideTicketsFromMain",
];
/// What a main account with independent access may do with an independent sub-account.
const INDEPENDENT: &[&str] = &[
    "viewDetails",
    "pauseServices",
    "viewInternetUsage",
    "viewDocuments",
    "manageTickets",
];

fn except(out: &[&str]) -> BTreeSet<&'static str> {
    EVERYTHING
        .iter()
        .copied()
        .filter(|p| !out.contains(p))
        .collect()
}

/// SPEC.md: what `viewer` may do with `target`'s account in this column; `None` when it
/// may not see it at all.
fn spec(c: &Column, viewer: Party, target: Party) -> Option<BTreeSet<&'static str>> {
    match (viewer, target, c.link) {
        (Party::Stranger, Party::Stranger, _) => {
            Some(except(&["manageOrders", "hideTicketsFromMain"]))
        }
        (Party::Stranger, _, _) | (_, Party::Stranger, _) => None,
        // A sub-account never reaches its main account; unlinked accounts are strangers.
        (Party::Sub, Party::Main, _) | (_, _, None) if viewer != target => None,
        (Party::Main, Party::Main, _) => Some(except(&["manageOrders", "hideTicketsFromMain"])),
        (Party::Sub, Party::Sub, None) => Some(except(&["manageOrders", "hideTicketsFromMain"])),
        (Party::Sub, Party::Sub, Some(link)) => {
            let asks_main = link == "AGGREGATED";
            let can_ask = c.sub_accounts_can_order && c.management;
            if asks_main && !can_ask {
                Some(except(&["manageOrders", "order"]))
            } else {
                Some(except(&["manageOrders"]))
            }
        }
        (Party::Main, Party::Sub, Some(link)) => Some(match (c.management, link) {
            (false, _) => BTreeSet::new(),
            (true, "AGGREGATED") => except(&["hideTicketsFromMain"]),
            (true, _) if c.independent_access => INDEPENDENT.iter().copied().collect(),
            (true, _) => BTreeSet::new(),
        }),
        _ => None,
    }
}

/// Fields of `Account` that a main account sees without managing the sub-account (SPEC.md:
/// "see S in its list: full name, status, address, number of active services, billing mode,
/// total service cost"), with what lists and links need beside them. Any other field must be
/// behind a permission.
const SEEN_IN_THE_LIST: &[&str] = &[
    "id",
    "login",
    "fullName",
    "status",
    "address",
    "billingMode",
    "currency",
    "activeServicesCount",
    "totalServiceCost",
    "partner",
    "mainAccount",
    "subAccountType",
    "linkedAt",
    "subAccountManagement",
    "capabilities",
    "subAccounts",
    "recentlyLinkedSubAccounts",
];

/// Mutations the walk does not run, and why.
const NOT_WALKED: &[(&str, &str)] = &[
    ("login", "open to anonymous callers; tests/api/auth.rs"),
    (
        "refreshSession",
        "open to anonymous callers; tests/api/auth.rs",
    ),
    (
        "uploadDocument",
        "a multipart request (an Upload cannot be sent as JSON); tests/api/documents.rs",
    ),
];

/// What hangs off an account, with what its rule depends on.
#[derive(Debug, Clone)]
enum Object {
    Service {
        owner: Party,
    },
    Document {
        owner: Party,
    },
    Ticket {
        owner: Party,
        hidden: bool,
    },
    Order {
        account: Party,
        placed_by: Party,
        payer: Party,
    },
    Invoice {
        payer: Party,
    },
    Notification {
        recipient: Party,
    },
}

impl Object {
    fn type_name(&self) -> &'static str {
        match self {
            Object::Service { .. } => "Service",
            Object::Document { .. } => "Document",
            Object::Ticket { .. } => "Ticket",
            Object::Order { .. } => "Order",
            Object::Invoice { .. } => "Invoice",
            Object::Notification { .. } => "Notification",
        }
    }

    /// The answer SPEC.md gives `viewer`, from the permissions it has on the accounts.
    fn expected(
        &self,
        viewer: Party,
        grants: &BTreeMap<Party, Option<BTreeSet<&'static str>>>,
    ) -> Outcome {
        let opened_with = |owner: &Party, permission: &str| match &grants[owner] {
            None => Outcome::NotFound,
            Some(g) if g.contains(permission) => Outcome::Data,
            Some(_) => Outcome::Forbidden(permission.to_string()),
        };
        match self {
            Object::Service { owner } => opened_with(owner, "viewDetails"),
            Object::Document { owner } => opened_with(owner, "viewDocuments"),
            Object::Ticket { owner, hidden } => {
                if *hidden && viewer != *owner && grants[owner].is_some() {
                    Outcome::NotFound
                } else {
                    opened_with(owner, "manageTickets")
                }
            }
            Object::Order {
                account,
                placed_by,
                payer,
            } => {
                if viewer == *payer {
                    Outcome::Data
                } else if viewer == *account {
                    if viewer == *placed_by {
                        Outcome::Data
                    } else {
                        Outcome::NotFound
                    }
                } else {
                    opened_with(account, "viewOrders")
                }
            }
            Object::Invoice { payer } => opened_with(payer, "viewBilling"),
            Object::Notification { recipient } => {
                if viewer == *recipient {
                    Outcome::Data
                } else {
                    Outcome::NotFound
                }
            }
        }
    }
}

/// One column's accounts and what hangs off them.
struct Tenant {
    accounts: BTreeMap<Party, String>,
    tokens: BTreeMap<Party, String>,
    services: BTreeMap<Party, String>,
    tickets: BTreeMap<Party, String>,
    /// Orders the sub-account placed itself (waiting for its main when aggregated).
    own_orders: BTreeMap<Party, Vec<String>>,
    objects: Vec<(String, Object)>,
}

const ORDER: &str = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } userErrors { code message } } }";

async fn place(app: &TestApp, token: &str, input: Value) -> String {
    let data = app.ok(ORDER, json!({ "i": input }), Some(token)).await;
    assert_eq!(data["placeOrder"]["userErrors"], json!([]), "{data}");
    data["placeOrder"]["order"]["id"]
        .as_str()
        .expect("order id")
        .to_string()
}

async fn invoice_of(app: &TestApp, order: &str) -> String {
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Order { invoice { id } } } }",
            json!({ "id": order }),
            Some(app.admin()),
        )
        .await;
    data["node"]["invoice"]["id"]
        .as_str()
        .expect("invoice")
        .to_string()
}

async fn notifications_of(app: &TestApp, token: &str) -> Vec<String> {
    let data = app
        .ok(
            "{ viewer { notifications(first: 50) { nodes { id } } } }",
            json!({}),
            Some(token),
        )
        .await;
    data["viewer"]["notifications"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_string())
        .collect()
}

async fn set_partner_ordering(app: &TestApp, partner: &str, allowed: bool) {
    let data = app
        .ok(
            "mutation($p: ID!, $o: Boolean) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: $o}) { userErrors { code } } }",
            json!({ "p": partner, "o": allowed }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(data["updatePartnerPortalSettings"]["userErrors"], json!([]));
}

/// Builds a column's tenant with permissive switches (so that every kind of object can be
/// made), then sets the column's switches.
async fn tenant(app: &TestApp, i: usize, c: &Column, tariffs: &[String; 2]) -> Tenant {
    let partner = app
        .ok(
            "mutation($n: String!) { createPartner(input: {name: $n}) { partner { id } } }",
            json!({ "n": format!("Partner {i}") }),
            Some(app.admin()),
        )
        .await["createPartner"]["partner"]["id"]
        .as_str()
        .expect("partner")
        .to_string();
    set_partner_ordering(app, &partner, true).await;
    let account = |login: String| {
        let partner = partner.clone();
        async move {
            app.create_account(
                &login,
                json!({ "partnerId": partner, "status": "ACTIVE", "email": format!("{login}@example.net") }),
            )
            .await
        }
    };
    let main = account(format!("main-{i}")).await;
    let sub = account(format!("sub-{i}")).await;
    let stranger = app
        .create_account(&format!("other-{i}"), json!({ "status": "ACTIVE" }))
        .await;
    if let Some(link) = c.link {
        assert_eq!(app.link(&main, &sub, link).await, json!([]));
        app.set_management(&main, true).await;
    }
    let mut t = Tenant {
        accounts: BTreeMap::from([
            (Party::Sub, sub.clone()),
            (Party::Main, main.clone()),
            (Party::Stranger, stranger.clone()),
        ]),
        tokens: BTreeMap::new(),
        services: BTreeMap::new(),
        tickets: BTreeMap::new(),
        own_orders: BTreeMap::new(),
        objects: Vec::new(),
    };
    for party in [Party::Sub, Party::Main, Party::Stranger] {
        let id = t.accounts[&party].clone();
        t.tokens.insert(party, app.token_for(&id).await);
    }
    let aggregated = c.link == Some("AGGREGATED");
    let adjust = "mutation($a: ID!) { adjustBalance(input: {accountId: $a, amount: \"500.00\", reason: \"walk\"}) { userErrors { code } } }";
    for party in [Party::Sub, Party::Main] {
        let id = t.accounts[&party].clone();
        if !(party == Party::Sub && aggregated) {
            app.ok(adjust, json!({ "a": id }), Some(app.admin())).await;
        }
        let service = app
            .add_service(&id, &tariffs[0], entity::enums::ServiceStatus::Active)
            .await;
        let service = crate::helpers::encode_id("Service", service);
        t.objects
            .push((service.clone(), Object::Service { owner: party }));
        t.services.insert(party, service);
        let doc = portal_api::domain::document::upload(
            &app.state.db,
            &admin_viewer(app).await,
            crate::helpers::decode_pk(&id),
            entity::enums::DocumentKind::Contract,
            "Contract",
            b"%PDF-1.4\n%%EOF\n".to_vec(),
        )
        .await
        .expect("document uploaded");
        t.objects.push((
            crate::helpers::encode_id("Document", doc.id),
            Object::Document { owner: party },
        ));
        let ticket = app
            .ok(
                "mutation($a: ID!) { createTicket(input: {accountId: $a, subject: \"Line\", message: \"Slow\"}) { ticket { id } } }",
                json!({ "a": id }),
                Some(app.admin()),
            )
            .await["createTicket"]["ticket"]["id"]
            .as_str()
            .expect("ticket")
            .to_string();
        // A staff reply notifies the account.
        app.ok(
            "mutation($t: ID!) { replyToTicket(input: {ticketId: $t, message: \"Looking\"}) { userErrors { code } } }",
            json!({ "t": ticket }),
            Some(app.admin()),
        )
        .await;
        t.objects.push((
            ticket.clone(),
            Object::Ticket {
                owner: party,
                hidden: false,
            },
        ));
        t.tickets.insert(party, ticket);
    }
    if c.link.is_some() {
        let hidden = app
            .ok(
                "mutation { createTicket(input: {subject: \"Private\", message: \"Mine\", hiddenFromMain: true}) { ticket { id } userErrors { code } } }",
                json!({}),
                Some(&t.tokens[&Party::Sub]),
            )
            .await["createTicket"]["ticket"]["id"]
            .as_str()
            .expect("hidden ticket")
            .to_string();
        t.objects.push((
            hidden,
            Object::Ticket {
                owner: Party::Sub,
                hidden: true,
            },
        ));
    }
    let gateway = json!({ "kind": "GATEWAY", "gatewayToken": "tok_ok" });
    // The sub-account's own orders: asking its main, or paid by itself.
    let mut own = Vec::new();
    for _ in 0..2 {
        let input = if aggregated {
            json!({ "accountId": sub, "items": [{ "tariffId": tariffs[0] }] })
        } else {
            json!({ "accountId": sub, "items": [{ "tariffId": tariffs[0] }], "paymentMethod": gateway })
        };
        let order = place(app, &t.tokens[&Party::Sub], input).await;
        let payer = if aggregated { Party::Main } else { Party::Sub };
        t.objects.push((
            order.clone(),
            Object::Order {
                account: Party::Sub,
                placed_by: Party::Sub,
                payer,
            },
        ));
        if !aggregated {
            t.objects.push((
                invoice_of(app, &order).await,
                Object::Invoice { payer: Party::Sub },
            ));
        }
        own.push(order);
    }
    t.own_orders.insert(Party::Sub, own);
    if aggregated {
        // The main orders for its sub-account and pays: the order and invoice are the main's.
        let order = place(
            app,
            &t.tokens[&Party::Main],
            json!({ "accountId": sub, "items": [{ "tariffId": tariffs[0] }], "paymentMethod": { "kind": "ACCOUNT_BALANCE" } }),
        )
        .await;
        t.objects.push((
            invoice_of(app, &order).await,
            Object::Invoice { payer: Party::Main },
        ));
        t.objects.push((
            order,
            Object::Order {
                account: Party::Sub,
                placed_by: Party::Main,
                payer: Party::Main,
            },
        ));
    }
    let order = place(
        app,
        &t.tokens[&Party::Main],
        json!({ "accountId": main, "items": [{ "tariffId": tariffs[1] }], "paymentMethod": { "kind": "ACCOUNT_BALANCE" } }),
    )
    .await;
    t.objects.push((
        invoice_of(app, &order).await,
        Object::Invoice { payer: Party::Main },
    ));
    t.objects.push((
        order.clone(),
        Object::Order {
            account: Party::Main,
            placed_by: Party::Main,
            payer: Party::Main,
        },
    ));
    t.own_orders.insert(Party::Main, vec![order.clone(), order]);
    for party in [Party::Sub, Party::Main] {
        for id in notifications_of(app, &t.tokens[&party]).await {
            t.objects
                .push((id, Object::Notification { recipient: party }));
        }
    }
    // Now the column's switches.
    if c.link.is_some() {
        app.set_management(&main, c.management).await;
    }
    set_partner_ordering(app, &partner, c.sub_accounts_can_order).await;
    app.set_independent_access(c.independent_access).await;
    t
}

async fn admin_viewer(app: &TestApp) -> portal_api::auth::Viewer {
    use sea_orm::{EntityTrait, QueryOrder};
    let staff = entity::staff_user::Entity::find()
        .order_by_asc(entity::staff_user::Column::Id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("staff");
    portal_api::auth::Viewer::Admin(portal_api::auth::StaffViewer {
        id: staff.id,
        full_name: staff.full_name,
    })
}

/// A customer operation on `target`'s objects, as the walk runs it.
struct Op {
    mutation: &'static str,
    input: Value,
    /// A second permission the operation needs besides its guard's.
    also: Option<&'static str>,
}

fn ops(c: &Column, t: &Tenant, viewer: Party, target: Party, tariffs: &[String; 2]) -> Vec<Op> {
    let account = &t.accounts[&target];
    let asks_main = viewer == Party::Sub && target == Party::Sub && c.link == Some("AGGREGATED");
    let payment = if asks_main {
        Value::Null
    } else {
        json!({ "kind": "GATEWAY", "gatewayToken": "tok_ok" })
    };
    let service = &t.services[&target];
    let ticket = &t.tickets[&target];
    let orders = &t.own_orders[&target];
    let op = |mutation, input| Op {
        mutation,
        input,
        also: None,
    };
    vec![
        op(
            "placeOrder",
            json!({ "accountId": account, "items": [{ "tariffId": tariffs[0] }], "paymentMethod": payment }),
        ),
        op("pauseService", json!({ "serviceId": service })),
        op("resumeService", json!({ "serviceId": service })),
        op(
            "changeService",
            json!({ "serviceId": service, "tariffId": tariffs[1], "mode": "REQUEST" }),
        ),
        op(
            "createTicket",
            json!({ "accountId": account, "subject": "Walk", "message": "Walk" }),
        ),
        Op {
            mutation: "createTicket",
            input: json!({ "accountId": account, "subject": "Walk", "message": "Walk", "hiddenFromMain": true }),
            also: Some("hideTicketsFromMain"),
        },
        op(
            "replyToTicket",
            json!({ "ticketId": ticket, "message": "Walk" }),
        ),
        op("closeTicket", json!({ "ticketId": ticket })),
        op(
            "approveOrder",
            json!({ "orderId": orders[0], "paymentMethod": { "kind": "GATEWAY", "gatewayToken": "tok_ok" } }),
        ),
        op(
            "rejectOrder",
            json!({ "orderId": orders[1], "reason": "Walk" }),
        ),
    ]
}

/// Customer mutations that name no object: every customer may run them on its own.
const UNTARGETED: &[(&str, &str)] = &[("markNotificationsRead", "{\"all\": true}")];

/// One operation as one column ran it: (column, viewer, target, mutation, second
/// permission) → outcome.
type RanOp = (
    usize,
    Party,
    Party,
    &'static str,
    Option<&'static str>,
    Outcome,
);

/// What each column answered, kept to compare across columns.
#[derive(Default)]
struct Observed {
    /// (column, viewer, target, field) → outcome, for `Account`.
    fields: Vec<(usize, Party, Party, String, Outcome)>,
    mutations: Vec<RanOp>,
}

#[tokio::test]
async fn the_permission_table_holds_for_every_field_and_mutation_by_introspection() {
    let app = TestApp::spawn().await;
    let schema = Schema::load(&app).await;
    let tariffs = [
        app.create_tariff("Fiber", "20.00").await,
        app.create_tariff("Fiber Plus", "30.00").await,
    ];
    let capabilities = schema.field_names("AccountCapabilities");
    let mut failures: Vec<String> = Vec::new();
    let mut observed = Observed::default();

    for (i, c) in COLUMNS.iter().enumerate() {
        let t = tenant(&app, i, c, &tariffs).await;
        let token = t.tokens[&c.viewer].clone();
        let mut grants = BTreeMap::new();
        for target in [Party::Sub, Party::Main, Party::Stranger] {
            let want = spec(c, c.viewer, target);
            // The policy's own answer, through the API.
            let (_, body) = app
                .graphql(
                    &format!(
                        "query($id: ID!) {{ node(id: $id) {{ ... on Account {{ capabilities {{ {} }} }} }} }}",
                        capabilities.join(" ")
                    ),
                    json!({ "id": t.accounts[&target] }),
                    Some(&token),
                )
                .await;
            match &want {
                None => {
                    if body["errors"][0]["extensions"]["code"] != "NOT_FOUND" {
                        failures.push(format!(
                            "{}: {target:?} should be NOT_FOUND: {body}",
                            c.name
                        ));
                    }
                }
                Some(allowed) => {
                    for cap in &capabilities {
                        let said = &body["data"]["node"]["capabilities"][cap];
                        if *said != json!(allowed.contains(cap.as_str())) {
                            failures.push(format!(
                                "{}: capabilities.{cap} of {target:?} is {said}, SPEC says {}",
                                c.name,
                                allowed.contains(cap.as_str())
                            ));
                        }
                    }
                }
            }
            grants.insert(target, want);
            // Every field of the account.
            let answers =
                crate::walk::ask_all(&app, &schema, "Account", &t.accounts[&target], &token, &[])
                    .await;
            for (field, outcome) in answers {
                observed.fields.push((i, c.viewer, target, field, outcome));
            }
        }
        // Every object hanging off the accounts, through `node(id)`.
        for (id, object) in &t.objects {
            let want = object.expected(c.viewer, &grants);
            let answers =
                crate::walk::ask_all(&app, &schema, object.type_name(), id, &token, &[]).await;
            for (field, outcome) in answers {
                if outcome != want {
                    failures.push(format!(
                        "{}: {object:?}.{field} answered {outcome:?}, expected {want:?}",
                        c.name
                    ));
                }
            }
        }
        // The customer operations, on the sub-account's objects (and a sub-account's on its
        // main account's).
        let mut targets = vec![Party::Sub];
        if c.viewer == Party::Sub {
            targets.push(Party::Main);
        }
        for target in targets {
            for op in ops(c, &t, c.viewer, target, &tariffs) {
                let (mut outcome, user_errors) =
                    schema.run(&app, op.mutation, op.input, &token).await;
                let hidden_refused = user_errors.as_array().is_some_and(|e| {
                    e.iter()
                        .any(|e| e["field"] == json!(["input", "hiddenFromMain"]))
                });
                if op.also.is_some() && hidden_refused {
                    outcome = Outcome::Forbidden(op.also.unwrap_or_default().to_string());
                }
                observed
                    .mutations
                    .push((i, c.viewer, target, op.mutation, op.also, outcome));
            }
        }
        for (mutation, input) in UNTARGETED {
            let input: Value = serde_json::from_str(input).expect("input");
            let (outcome, _) = schema.run(&app, mutation, input, &token).await;
            if outcome != Outcome::Data {
                failures.push(format!("{}: {mutation} answered {outcome:?}", c.name));
            }
        }
        // Staff-only mutations, with inputs made up from their types.
        let walked: BTreeSet<&str> = ops(c, &t, c.viewer, Party::Sub, &tariffs)
            .iter()
            .map(|o| o.mutation)
            .chain(UNTARGETED.iter().map(|(m, _)| *m))
            .collect();
        for mutation in schema.field_names("Mutation") {
            if walked.contains(mutation.as_str()) || NOT_WALKED.iter().any(|(m, _)| *m == mutation)
            {
                continue;
            }
            let field = schema
                .fields("Mutation")
                .into_iter()
                .find(|f| f["name"] == mutation.as_str())
                .expect("mutation");
            let Some(input) = field["args"][0]
                .as_object()
                .and_then(|arg| schema.sample("input", &arg["type"]))
            else {
                failures.push(format!("{mutation}: cannot make up an input; list it"));
                continue;
            };
            let (outcome, _) = schema.run(&app, &mutation, input, &token).await;
            if outcome != Outcome::Forbidden("administer".into()) {
                failures.push(format!(
                    "{}: {mutation} is not staff-only for a customer: {outcome:?}",
                    c.name
                ));
            }
        }
    }

    // Across columns: each field and operation is refused for one permission only, that
    // permission is what SPEC.md's table and `capabilities` say, and every capability is
    // exercised by something.
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, _, _, field, outcome) in &observed.fields {
        if let Outcome::Forbidden(p) = outcome {
            needs
                .entry(format!("Account.{field}"))
                .or_default()
                .insert(p.clone());
        }
    }
    for (_, _, _, mutation, also, outcome) in &observed.mutations {
        if let Outcome::Forbidden(p) = outcome
            && Some(p.as_str()) != *also
        {
            needs
                .entry(format!("Mutation.{mutation}"))
                .or_default()
                .insert(p.clone());
        }
    }
    for (what, permissions) in &needs {
        if permissions.len() != 1 {
            failures.push(format!(
                "{what} is refused for several permissions: {permissions:?}"
            ));
        }
    }
    let need = |what: String| needs.get(&what).and_then(|p| p.iter().next().cloned());
    for (i, viewer, target, field, outcome) in &observed.fields {
        let c = &COLUMNS[*i];
        let want = match spec(c, *viewer, *target) {
            None => Outcome::NotFound,
            Some(allowed) => match need(format!("Account.{field}")) {
                Some(p) if !allowed.contains(p.as_str()) => Outcome::Forbidden(p),
                Some(_) => Outcome::Data,
                None => {
                    if !SEEN_IN_THE_LIST.contains(&field.as_str()) {
                        failures.push(format!(
                            "Account.{field} is never refused, but SPEC.md lets a main without management see only the list columns"
                        ));
                    }
                    Outcome::Data
                }
            },
        };
        if *outcome != want {
            failures.push(format!(
                "{}: Account.{field} of {target:?} answered {outcome:?}, expected {want:?}",
                c.name
            ));
        }
    }
    for (i, viewer, target, mutation, also, outcome) in &observed.mutations {
        let c = &COLUMNS[*i];
        let want = match spec(c, *viewer, *target) {
            None => Outcome::NotFound,
            Some(allowed) => {
                let guard = need(format!("Mutation.{mutation}"));
                let missing = guard
                    .iter()
                    .map(String::as_str)
                    .chain(*also)
                    .find(|p| !allowed.contains(p));
                match missing {
                    // A switch refuses as a setting, the rest as a permission.
                    Some("order") if *viewer == *target => Outcome::Settings,
                    Some(p) => Outcome::Forbidden(p.to_string()),
                    None => Outcome::Data,
                }
            }
        };
        if *outcome != want {
            failures.push(format!(
                "{}: {mutation}{} on {target:?} answered {outcome:?}, expected {want:?}",
                c.name,
                also.map(|a| format!(" ({a})")).unwrap_or_default()
            ));
        }
    }
    let exercised: BTreeSet<String> = needs
        .values()
        .flatten()
        .cloned()
        .chain(["hideTicketsFromMain".to_string()])
        .collect();
    for cap in &capabilities {
        if !exercised.contains(cap) {
            failures.push(format!(
                "capabilities.{cap} is refused by no field or mutation"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_sub_account_never_reaches_its_main_account() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    let sub = app.create_account("sub", json!({})).await;
    app.link(&main, &sub, "AGGREGATED").await;
    app.set_management(&main, true).await;
    let token = app.token_for(&sub).await;
    let (_, body) = app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on Account { fullName subAccounts { totalCount } } } }",
            json!({ "id": main }),
            Some(&token),
        )
        .await;
    assert_eq!(crate::helpers::first_code(&body), "NOT_FOUND");
    assert_eq!(body["data"]["node"], Value::Null);
    let me = app
        .ok(
            "{ viewer { account { subAccountType mainAccount { id } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        me["viewer"]["account"],
        json!({ "subAccountType": "AGGREGATED", "mainAccount": null })
    );
}
