//! The tenants the permission walks run against: one per column of SPEC.md's table (the
//! link, the switches, who looks), each with a sub-account and a main account and, hanging
//! off them, every kind of object (services, documents, tickets, orders of each path,
//! invoices, notifications), and what SPEC.md says each viewer may do with them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::{helpers::TestApp, walk::Outcome};

/// Who is looking at what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Party {
    /// The sub-account (a standalone account in the standalone column).
    Sub,
    /// Its main account (unrelated to it in the standalone column).
    Main,
    /// An account of another partner.
    Stranger,
}

/// One column of the table: the link, the switches, and who looks.
pub struct Column {
    pub name: &'static str,
    pub viewer: Party,
    /// `AGGREGATED`, `INDEPENDENT`, or no link.
    pub link: Option<&'static str>,
    pub management: bool,
    pub independent_access: bool,
    pub sub_accounts_can_order: bool,
}

pub const COLUMNS: &[Column] = &[
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

/// Every permission `Account.capabilities` reports that an account has on itself too, as
/// SPEC.md's table grants them (a main account's controls over its sub-accounts,
/// `setSpendingControls` and `transferBalance`, are added where they apply).
pub const EVERYTHING: &[&str] = &[
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
pub const INDEPENDENT: &[&str] = &[
    "viewDetails",
    "pauseServices",
    "viewInternetUsage",
    "viewDocuments",
    "manageTickets",
];

pub fn except(out: &[&str]) -> BTreeSet<&'static str> {
    EVERYTHING
        .iter()
        .copied()
        .filter(|p| !out.contains(p))
        .collect()
}

/// SPEC.md: what `viewer` may do with `target`'s account in this column; `None` when it
/// may not see it at all.
pub fn spec(c: &Column, viewer: Party, target: Party) -> Option<BTreeSet<&'static str>> {
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
            // An aggregated sub-account has no billing of its own: its main pays.
            match (asks_main, can_ask) {
                (true, false) => Some(except(&["manageOrders", "order", "viewBilling"])),
                (true, true) => Some(except(&["manageOrders", "viewBilling"])),
                (false, _) => Some(except(&["manageOrders"])),
            }
        }
        (Party::Main, Party::Sub, Some(link)) => Some(match (c.management, link) {
            (false, _) => BTreeSet::new(),
            (true, "AGGREGATED") => {
                let mut g = except(&["hideTicketsFromMain"]);
                g.insert("setSpendingControls");
                g
            }
            (true, _) if c.independent_access => INDEPENDENT
                .iter()
                .copied()
                .chain(["transferBalance"])
                .collect(),
            (true, _) => BTreeSet::new(),
        }),
        _ => None,
    }
}

/// What hangs off an account, with what its rule depends on.
#[derive(Debug, Clone)]
pub enum Object {
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
    /// A notification, with the objects it is about: shown to its recipient while it may
    /// see them.
    Notification {
        recipient: Party,
        about: Vec<Object>,
    },
}

impl Object {
    pub fn type_name(&self) -> &'static str {
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
    pub fn expected(
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
            Object::Notification { recipient, about } => {
                let seen = about
                    .iter()
                    .all(|o| o.expected(viewer, grants) == Outcome::Data);
                if viewer == *recipient && seen {
                    Outcome::Data
                } else {
                    Outcome::NotFound
                }
            }
        }
    }
}

/// One column's accounts and what hangs off them.
pub struct Tenant {
    pub accounts: BTreeMap<Party, String>,
    pub tokens: BTreeMap<Party, String>,
    pub services: BTreeMap<Party, String>,
    pub tickets: BTreeMap<Party, String>,
    /// Orders the sub-account placed itself (waiting for its main when aggregated).
    pub own_orders: BTreeMap<Party, Vec<String>>,
    pub objects: Vec<(String, Object)>,
}

const ORDER: &str = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } userErrors { code message } } }";

pub async fn place(app: &TestApp, token: &str, input: Value) -> String {
    let data = app.ok(ORDER, json!({ "i": input }), Some(token)).await;
    assert_eq!(data["placeOrder"]["userErrors"], json!([]), "{data}");
    data["placeOrder"]["order"]["id"]
        .as_str()
        .expect("order id")
        .to_string()
}

pub async fn invoice_of(app: &TestApp, order: &str) -> String {
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

pub async fn notifications_of(app: &TestApp, token: &str) -> Vec<String> {
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

/// Builds a column's tenant with permissive switches (so that every kind of object can be
/// made), then sets the column's switches.
pub async fn tenant(app: &TestApp, i: usize, c: &Column, tariffs: &[String; 2]) -> Tenant {
    let partner = app.create_partner(&format!("Partner {i}")).await;
    app.set_partner_ordering(&json!(partner), true).await;
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
    for party in [Party::Sub, Party::Main] {
        let id = t.accounts[&party].clone();
        if !(party == Party::Sub && aggregated) {
            app.deposit(&id, "500.00").await;
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
            app.state.config.max_upload_bytes,
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
    // The main pays for its aggregated sub-account (the order and invoice are the main's),
    // and for itself.
    let mut paid_by_main = vec![(Party::Main, &tariffs[1])];
    if aggregated {
        paid_by_main.insert(0, (Party::Sub, &tariffs[0]));
    }
    for (account, tariff) in paid_by_main {
        let order = place(
            app,
            &t.tokens[&Party::Main],
            json!({ "accountId": t.accounts[&account], "items": [{ "tariffId": tariff }], "paymentMethod": { "kind": "ACCOUNT_BALANCE" } }),
        )
        .await;
        t.objects.push((
            invoice_of(app, &order).await,
            Object::Invoice { payer: Party::Main },
        ));
        t.objects.push((
            order.clone(),
            Object::Order {
                account,
                placed_by: Party::Main,
                payer: Party::Main,
            },
        ));
        if account == Party::Main {
            t.own_orders.insert(Party::Main, vec![order.clone(), order]);
        }
    }
    for party in [Party::Sub, Party::Main] {
        for id in notifications_of(app, &t.tokens[&party]).await {
            let links = app
                .ok(
                    "query($id: ID!) { node(id: $id) { ... on Notification { order { id } ticket { id } service { id } } } }",
                    json!({ "id": id }),
                    Some(app.admin()),
                )
                .await;
            let about = ["order", "ticket", "service"]
                .iter()
                .filter_map(|k| links["node"][k]["id"].as_str())
                .map(|object| {
                    t.objects
                        .iter()
                        .find(|(i, _)| i == object)
                        .map(|(_, o)| o.clone())
                        .unwrap_or_else(|| {
                            panic!("notification {id} is about {object}, not made here")
                        })
                })
                .collect();
            t.objects.push((
                id,
                Object::Notification {
                    recipient: party,
                    about,
                },
            ));
        }
    }
    // Now the column's switches.
    if c.link.is_some() {
        app.set_management(&main, c.management).await;
    }
    app.set_partner_ordering(&json!(partner), c.sub_accounts_can_order)
        .await;
    app.set_independent_access(c.independent_access).await;
    t
}

pub async fn admin_viewer(app: &TestApp) -> portal_api::auth::Viewer {
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
