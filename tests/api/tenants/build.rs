use super::*;

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
