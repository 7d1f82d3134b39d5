//! `Account.capabilities` equals what staff's operations accept: for every capability (found
//! by introspection) on every kind of account, the flag staff get is true exactly when its
//! operation passes the policy (a business refusal such as a wrong state still passed it),
//! and a refused one is `FORBIDDEN` naming that capability. The customer columns are
//! `permissions.rs`.

use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    walk::{Outcome, Schema},
};

/// What staff do to exercise a capability on `account`: a field to read, or a mutation.
enum Exercise {
    Field(&'static str),
    Mutation(&'static str, Value),
}

struct Objects {
    service: String,
    order: String,
    tariffs: [String; 2],
}

fn exercise(cap: &str, account: &str, o: &Objects) -> Exercise {
    use Exercise::{Field, Mutation};
    match cap {
        "viewDetails" => Field("services { totalCount }"),
        "viewInternetUsage" => {
            Field("internetUsage(from: \"2026-11-01\", to: \"2026-12-01\") { downloadBytes }")
        }
        "viewVoiceUsage" => {
            Field("voiceUsage(from: \"2026-11-01\", to: \"2026-12-01\") { callCount }")
        }
        "viewDocuments" => Field("documents { totalCount }"),
        "viewOrders" => Field("orders { totalCount }"),
        "viewBalance" => Field("balance"),
        "viewBilling" => Field("invoices { totalCount }"),
        "order" => Mutation(
            "placeOrder",
            json!({ "accountId": account, "items": [{ "tariffId": o.tariffs[0] }], "paymentMethod": { "kind": "GATEWAY", "gatewayToken": "tok_ok" } }),
        ),
        "pauseServices" => Mutation("pauseService", json!({ "serviceId": o.service })),
        "changeServices" => Mutation(
            "changeService",
            json!({ "serviceId": o.service, "tariffId": o.tariffs[1], "mode": "REQUEST" }),
        ),
        "manageTickets" => Mutation(
            "createTicket",
            json!({ "accountId": account, "subject": "S", "message": "M" }),
        ),
        "hideTicketsFromMain" => Mutation(
            "createTicket",
            json!({ "accountId": account, "subject": "S", "message": "M", "hiddenFromMain": true }),
        ),
        "manageOrders" => Mutation(
            "rejectOrder",
            json!({ "orderId": o.order, "reason": "Checked by staff" }),
        ),
        "setSpendingControls" => Mutation(
            "setSpendingControls",
            json!({ "accountId": account, "monthlyCap": "100.00" }),
        ),
        "transferBalance" => Mutation(
            "transferBalance",
            json!({ "accountId": account, "amount": "1.00", "idempotencyKey": "staff" }),
        ),
        other => panic!("capabilities.{other}: say which operation it opens"),
    }
}

#[tokio::test]
async fn staff_capabilities_are_exactly_what_staff_may_do() {
    let app = TestApp::spawn().await;
    let schema = Schema::load(&app).await;
    let t = app.tenant("staff").await;
    app.set_independent_access(true).await;
    app.allow_sub_orders().await;
    let standalone = app
        .create_account("staff-alone", json!({ "status": "ACTIVE" }))
        .await;
    let tariffs = [
        app.create_tariff("Fiber", "20.00").await,
        app.create_tariff("Fiber Plus", "30.00").await,
    ];
    let capabilities = schema.field_names("AccountCapabilities");
    let mut failures = Vec::new();
    for (name, account) in [
        ("main", &t.main),
        ("aggregated", &t.aggregated),
        ("independent", &t.independent),
        ("standalone", &standalone),
    ] {
        let service = crate::helpers::encode_id(
            "Service",
            app.add_service(account, &tariffs[0], entity::enums::ServiceStatus::Active)
                .await,
        );
        // An order of the account (one the sub-account asked for, where it can ask).
        app.deposit(&t.main, "100.00").await;
        if account != &t.aggregated {
            app.deposit(account, "100.00").await;
        }
        let placer = app.token_for(account).await;
        let pm = if account == &t.aggregated {
            Value::Null
        } else {
            json!({ "kind": "ACCOUNT_BALANCE" })
        };
        let order = app
            .ok(
                "mutation($a: ID!, $t: ID!, $pm: PaymentMethodInput) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: $pm}) { order { id } userErrors { code } } }",
                json!({ "a": account, "t": tariffs[0], "pm": pm }),
                Some(&placer),
            )
            .await["placeOrder"]["order"]["id"]
            .as_str()
            .expect("an order")
            .to_string();
        let objects = Objects {
            service,
            order,
            tariffs: tariffs.clone(),
        };
        let flags = app
            .ok(
                &format!(
                    "query($id: ID!) {{ node(id: $id) {{ ... on Account {{ capabilities {{ {} }} }} }} }}",
                    capabilities.join(" ")
                ),
                json!({ "id": account }),
                Some(app.admin()),
            )
            .await["node"]["capabilities"]
            .clone();
        for cap in &capabilities {
            let outcome = match exercise(cap, account, &objects) {
                Exercise::Field(field) => {
                    let (_, body) = app
                        .graphql(
                            &format!("query($id: ID!) {{ node(id: $id) {{ ... on Account {{ {field} }} }} }}"),
                            json!({ "id": account }),
                            Some(app.admin()),
                        )
                        .await;
                    match body["errors"].get(0) {
                        None => Outcome::Data,
                        Some(e) => match e["extensions"]["code"].as_str() {
                            Some("FORBIDDEN") => Outcome::Forbidden(
                                e["extensions"]["action"].as_str().unwrap_or("").into(),
                            ),
                            other => Outcome::Other(format!("{other:?}")),
                        },
                    }
                }
                Exercise::Mutation(mutation, input) => {
                    schema.run(&app, mutation, input, app.admin()).await.0
                }
            };
            let flag = flags[cap.as_str()].as_bool();
            let accepted = outcome == Outcome::Data;
            if flag != Some(accepted) {
                failures.push(format!(
                    "{name}: capabilities.{cap} is {flag:?}, its operation answered {outcome:?}"
                ));
            }
            if !accepted && outcome != Outcome::Forbidden(cap.clone()) {
                failures.push(format!(
                    "{name}: {cap} refused as {outcome:?}, not FORBIDDEN naming it"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
