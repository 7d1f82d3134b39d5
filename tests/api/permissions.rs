//! SPEC.md's permission table, walked by introspection: every field of `Account` and of what
//! hangs off an account (services, orders, invoices, documents, tickets, notifications) and
//! every mutation, asked by each kind of viewer, compared with the table and with
//! `Account.capabilities` (the policy's own answer). A field or mutation added later is
//! covered without editing this file; what the walk cannot exercise is listed with a reason.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    tenants::{COLUMNS, Column, Party, Tenant, spec, tenant},
    walk::{Outcome, Schema},
};

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
    (
        "logout",
        "any signed-in viewer, about its own session; tests/api/sessions.rs",
    ),
    (
        "logoutEverywhere",
        "any signed-in viewer, about its own sessions; tests/api/sessions.rs",
    ),
    (
        "changePassword",
        "any signed-in viewer, about its own password; tests/api/sessions.rs",
    ),
];

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
        op(
            "setSpendingControls",
            json!({ "accountId": account, "monthlyCap": "500.00", "autoApproveUpTo": "10.00" }),
        ),
        op(
            "transferBalance",
            json!({ "accountId": account, "amount": "1.00", "idempotencyKey": "walk" }),
        ),
    ]
}

/// The bulk mutation doing what a single one does, with that one item.
fn bulk_of(mutation: &str, input: &Value) -> Option<(&'static str, Value)> {
    match mutation {
        "pauseService" => Some((
            "bulkPauseServices",
            json!({ "serviceIds": [input["serviceId"]] }),
        )),
        "resumeService" => Some((
            "bulkResumeServices",
            json!({ "serviceIds": [input["serviceId"]] }),
        )),
        "createTicket" => Some((
            "bulkCreateTickets",
            json!({ "accountIds": [input["accountId"]], "subject": input["subject"], "message": input["message"] }),
        )),
        _ => None,
    }
}

/// A one-item bulk mutation's item, as the walk's outcome of the single mutation: done or
/// refused by a business rule is `Data`, a switch `Settings`, the policy's refusals as
/// they are.
async fn bulk_item(app: &TestApp, bulk: &str, input: Value, token: &str) -> Outcome {
    let (_, body) = app
        .graphql(
            &format!("mutation($input: {}Input!) {{ {bulk}(input: $input) {{ result {{ items {{ ok code permission }} }} userErrors {{ code }} }} }}", if bulk == "bulkCreateTickets" { "BulkTickets" } else { "BulkServices" }),
            json!({ "input": input }),
            Some(token),
        )
        .await;
    let item = &body["data"][bulk]["result"]["items"][0];
    match item["code"].as_str() {
        _ if item["ok"] == true => Outcome::Data,
        Some("FORBIDDEN") => {
            Outcome::Forbidden(item["permission"].as_str().unwrap_or("<none>").to_string())
        }
        Some("NOT_FOUND") => Outcome::NotFound,
        Some("NOT_ALLOWED_BY_SETTINGS") => Outcome::Settings,
        Some(_) => Outcome::Data,
        None => Outcome::Other(format!("{body}")),
    }
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
                let bulk = bulk_of(op.mutation, &op.input);
                let (outcome, _) = schema.run(&app, op.mutation, op.input, &token).await;
                if op.also.is_none()
                    && let Some((bulk, input)) = bulk
                {
                    // The bulk mutation's one item answers as the single mutation did.
                    let item = bulk_item(&app, bulk, input, &token).await;
                    if item != outcome {
                        failures.push(format!(
                            "{}: {bulk}'s item on {target:?} answered {item:?}, {} answered {outcome:?}",
                            c.name, op.mutation
                        ));
                    }
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
            .flat_map(|o| {
                let bulk = bulk_of(o.mutation, &o.input).map(|(b, _)| b);
                std::iter::once(o.mutation).chain(bulk)
            })
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
