//! Tenant isolation: with another tenant's IDs a customer gets no data and `NOT_FOUND`
//! (or `FORBIDDEN` for staff-only fields, which customers cannot call at all). A schema walk
//! fails when a field that takes an ID has no case here.

use std::collections::BTreeSet;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, encode_id, first_code};

/// Every field that takes an ID (directly or inside an input object), and the check for it.
/// `{id}` is replaced with the other tenant's ID of the right kind.
const CASES: &[(&str, &str, &str)] = &[
    (
        "Query.node",
        "NOT_FOUND",
        "query($id: ID!) { node(id: $id) { id } }",
    ),
    (
        "Query.accounts",
        "FORBIDDEN",
        "query($id: ID!) { accounts(filter: {mainAccountId: $id}) { totalCount } }",
    ),
    (
        "Mutation.createAccount",
        "FORBIDDEN",
        "mutation($id: ID!) { createAccount(input: {login: \"x-new\", password: \"password\", fullName: \"x\", partnerId: $id, address: {street: \"s\", city: \"c\", zipCode: \"z\", country: \"c\"}}) { account { id } } }",
    ),
    (
        "Mutation.linkSubAccount",
        "FORBIDDEN",
        "mutation($id: ID!) { linkSubAccount(input: {mainAccountId: $id, subAccountId: $id, type: AGGREGATED}) { account { id } } }",
    ),
    (
        "Mutation.unlinkSubAccount",
        "FORBIDDEN",
        "mutation($id: ID!) { unlinkSubAccount(input: {subAccountId: $id}) { account { id } } }",
    ),
    (
        "Mutation.setSubAccountManagement",
        "FORBIDDEN",
        "mutation($id: ID!) { setSubAccountManagement(input: {accountId: $id, enabled: false}) { account { id } } }",
    ),
    (
        "Mutation.updatePartnerPortalSettings",
        "FORBIDDEN",
        "mutation($id: ID!) { updatePartnerPortalSettings(input: {partnerId: $id}) { partner { id } } }",
    ),
    (
        "Mutation.updatePartnerBranding",
        "FORBIDDEN",
        "mutation($id: ID!) { updatePartnerBranding(input: {partnerId: $id, accentColor: \"#000000\"}) { partner { id } } }",
    ),
    (
        "Mutation.updateEmailTemplate",
        "FORBIDDEN",
        "mutation($id: ID!) { updateEmailTemplate(input: {id: $id, body: \"x\"}) { template { id } } }",
    ),
    (
        "Mutation.adjustBalance",
        "FORBIDDEN",
        "mutation($id: ID!) { adjustBalance(input: {accountId: $id, amount: \"1\", reason: \"x\"}) { account { id } } }",
    ),
    (
        "Mutation.placeOrder",
        "NOT_FOUND",
        "mutation($id: ID!) { placeOrder(input: {accountId: $id, items: [], paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id } } }",
    ),
    (
        "Mutation.approveOrder",
        "NOT_FOUND",
        "mutation($id: ID!) { approveOrder(input: {orderId: $id, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id } } }",
    ),
    (
        "Mutation.rejectOrder",
        "NOT_FOUND",
        "mutation($id: ID!) { rejectOrder(input: {orderId: $id, reason: \"x\"}) { order { id } } }",
    ),
    (
        "Mutation.approveServiceRequest",
        "FORBIDDEN",
        "mutation($id: ID!) { approveServiceRequest(input: {serviceRequestId: $id, startDate: \"2026-12-01\"}) { serviceRequest { id } } }",
    ),
    (
        "Mutation.rejectServiceRequest",
        "FORBIDDEN",
        "mutation($id: ID!) { rejectServiceRequest(input: {serviceRequestId: $id, reason: \"x\"}) { serviceRequest { id } } }",
    ),
    (
        "Mutation.pauseService",
        "NOT_FOUND",
        "mutation($id: ID!) { pauseService(input: {serviceId: $id}) { service { id } } }",
    ),
    (
        "Mutation.resumeService",
        "NOT_FOUND",
        "mutation($id: ID!) { resumeService(input: {serviceId: $id}) { service { id } } }",
    ),
    (
        "Mutation.changeService",
        "NOT_FOUND",
        "mutation($id: ID!) { changeService(input: {serviceId: $id, tariffId: $id, mode: REQUEST}) { service { id } } }",
    ),
    (
        "Mutation.approveChangeRequest",
        "FORBIDDEN",
        "mutation($id: ID!) { approveChangeRequest(input: {changeRequestId: $id}) { service { id } } }",
    ),
    (
        "Mutation.rejectChangeRequest",
        "FORBIDDEN",
        "mutation($id: ID!) { rejectChangeRequest(input: {changeRequestId: $id}) { service { id } } }",
    ),
    (
        "Mutation.createTicket",
        "NOT_FOUND",
        "mutation($id: ID!) { createTicket(input: {accountId: $id, subject: \"s\", message: \"m\"}) { ticket { id } } }",
    ),
    (
        "Mutation.replyToTicket",
        "NOT_FOUND",
        "mutation($id: ID!) { replyToTicket(input: {ticketId: $id, message: \"m\"}) { ticket { id } } }",
    ),
    (
        "Mutation.closeTicket",
        "NOT_FOUND",
        "mutation($id: ID!) { closeTicket(input: {ticketId: $id}) { ticket { id } } }",
    ),
    (
        "Mutation.recordInternetSession",
        "FORBIDDEN",
        "mutation($id: ID!) { recordInternetSession(input: {serviceId: $id, startedAt: \"2026-11-01T00:00:00Z\", endedAt: \"2026-11-01T01:00:00Z\", downloadBytes: 1, uploadBytes: 1}) { userErrors { code } } }",
    ),
    (
        "Mutation.recordVoiceCall",
        "FORBIDDEN",
        "mutation($id: ID!) { recordVoiceCall(input: {serviceId: $id, startedAt: \"2026-11-01T00:00:00Z\", destination: \"1\", durationSeconds: 1, cost: \"1\"}) { userErrors { code } } }",
    ),
    // An Upload cannot travel in JSON: refused before anything runs; documents.rs sends
    // the multipart request, which customers get FORBIDDEN for.
    (
        "Mutation.uploadDocument",
        "BAD_USER_INPUT",
        "mutation($id: ID!) { uploadDocument(input: {accountId: $id, kind: OTHER, title: \"t\", file: null}) { document { id } } }",
    ),
    (
        "Query.orderQuote",
        "NOT_FOUND",
        "query($id: ID!) { orderQuote(accountId: $id, items: [{tariffId: \"VGFyaWZmOjE\"}]) { total } }",
    ),
    (
        "Query.upcomingInvoice",
        "NOT_FOUND",
        "query($id: ID!) { upcomingInvoice(accountId: $id) { total } }",
    ),
    (
        "Query.ticketQueue",
        "FORBIDDEN",
        "query($id: ID!) { ticketQueue(filter: {accountId: $id}) { totalCount } }",
    ),
    (
        "Mutation.setTicketStatus",
        "FORBIDDEN",
        "mutation($id: ID!) { setTicketStatus(input: {ticketId: $id, status: RESOLVED}) { ticket { id } } }",
    ),
    (
        "Mutation.assignTicket",
        "FORBIDDEN",
        "mutation($id: ID!) { assignTicket(input: {ticketId: $id, assigneeId: null}) { ticket { id } } }",
    ),
    (
        "Mutation.disableService",
        "FORBIDDEN",
        "mutation($id: ID!) { disableService(input: {serviceId: $id}) { service { id } } }",
    ),
    (
        "Mutation.enableService",
        "FORBIDDEN",
        "mutation($id: ID!) { enableService(input: {serviceId: $id}) { service { id } } }",
    ),
    (
        "Mutation.archiveService",
        "FORBIDDEN",
        "mutation($id: ID!) { archiveService(input: {serviceId: $id}) { service { id } } }",
    ),
    (
        "Mutation.createEmailTemplate",
        "FORBIDDEN",
        "mutation($id: ID!) { createEmailTemplate(input: {kind: SERVICE_ORDER, name: \"n\", subject: \"s\", body: \"b\", partnerId: $id}) { template { id } } }",
    ),
    (
        "Mutation.forcePasswordReset",
        "FORBIDDEN",
        "mutation($id: ID!) { forcePasswordReset(input: {accountId: $id, temporaryPassword: \"temporary-1\"}) { account { id } } }",
    ),
    (
        "Mutation.setSpendingControls",
        "NOT_FOUND",
        "mutation($id: ID!) { setSpendingControls(input: {accountId: $id, monthlyCap: \"1.00\"}) { account { id } } }",
    ),
    (
        "Mutation.transferBalance",
        "NOT_FOUND",
        "mutation($id: ID!) { transferBalance(input: {accountId: $id, amount: \"1.00\", idempotencyKey: \"iso\"}) { transfer { amount } } }",
    ),
    (
        "Query.activityFeed",
        "NOT_FOUND",
        "query($id: ID!) { activityFeed(filter: {accountIds: [$id]}) { nodes { id } } }",
    ),
    (
        "Query.activityExport",
        "NOT_FOUND",
        "query($id: ID!) { activityExport(filter: {accountIds: [$id]}) { url } }",
    ),
    (
        "Mutation.markNotificationsRead",
        "NOT_FOUND",
        "mutation($id: ID!) { markNotificationsRead(input: {ids: [$id]}) { unreadNotificationCount } }",
    ),
];

/// Fields that take many IDs and answer per item: another tenant's ID is an item answered
/// `NOT_FOUND` with nothing of the object.
const ITEM_CASES: &[(&str, &str)] = &[
    (
        "Mutation.bulkPauseServices",
        "mutation($id: ID!) { bulkPauseServices(input: {serviceIds: [$id]}) { result { items { item ok code service { id } } } } }",
    ),
    (
        "Mutation.bulkResumeServices",
        "mutation($id: ID!) { bulkResumeServices(input: {serviceIds: [$id]}) { result { items { item ok code service { id } } } } }",
    ),
    (
        "Mutation.bulkCreateTickets",
        "mutation($id: ID!) { bulkCreateTickets(input: {accountIds: [$id], subject: \"s\", message: \"m\"}) { result { items { item ok code ticket { id } } } } }",
    ),
];

fn base_name(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => base_name(inner),
    }
}

/// Names `Type.field` of every field with an argument that is, or contains, an ID.
fn id_taking_fields() -> BTreeSet<String> {
    let sdl = portal_api::graphql::sdl();
    let doc = async_graphql::parser::parse_schema(&sdl).expect("our SDL parses");
    let mut inputs_with_ids = BTreeSet::new();
    // Input objects holding IDs (one level of nesting is all the contract uses; loop to be sure).
    let types: Vec<_> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some(&t.node),
            _ => None,
        })
        .collect();
    // Input objects holding IDs, directly or through other input objects.
    loop {
        let before = inputs_with_ids.len();
        for t in &types {
            if let TypeKind::InputObject(input) = &t.kind
                && input.fields.iter().any(|f| {
                    let n = base_name(&f.node.ty.node);
                    n == "ID" || inputs_with_ids.contains(n)
                })
            {
                inputs_with_ids.insert(t.name.node.to_string());
            }
        }
        if inputs_with_ids.len() == before {
            break;
        }
    }
    let mut fields = BTreeSet::new();
    for t in &types {
        let TypeKind::Object(obj) = &t.kind else {
            continue;
        };
        for f in &obj.fields {
            let takes_id = f.node.arguments.iter().any(|a| {
                let n = base_name(&a.node.ty.node);
                n == "ID" || inputs_with_ids.contains(n)
            });
            if takes_id {
                fields.insert(format!("{}.{}", t.name.node, f.node.name.node));
            }
        }
    }
    fields
}

#[test]
fn every_field_that_takes_an_id_has_an_isolation_case() {
    let covered: BTreeSet<String> = CASES
        .iter()
        .map(|(f, _, _)| f.to_string())
        .chain(ITEM_CASES.iter().map(|(f, _)| f.to_string()))
        .collect();
    let missing: Vec<_> = id_taking_fields().difference(&covered).cloned().collect();
    assert!(
        missing.is_empty(),
        "fields taking an ID without an isolation case: {missing:?}"
    );
}

async fn other_tenant_ids(app: &TestApp, other: &Tenant) -> Vec<String> {
    let mut ids = vec![
        other.main.clone(),
        other.aggregated.clone(),
        other.independent.clone(),
    ];
    let tariff = app.create_tariff("Other tariff", "5.00").await;
    let service = app
        .add_service(
            &other.aggregated,
            &tariff,
            entity::enums::ServiceStatus::Active,
        )
        .await;
    ids.push(encode_id("Service", service));
    // An order of the other tenant with its request, invoice, PDF and notification.
    let token = app.token_for(&other.main).await;
    let placed = app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: GATEWAY, gatewayToken: \"tok_ok\"}}) { order { id items { serviceRequests { id } } invoice { id document { id } } } } }",
            json!({ "a": other.aggregated, "t": tariff }),
            Some(&token),
        )
        .await["placeOrder"]["order"]
        .clone();
    for id in [
        &placed["id"],
        &placed["items"][0]["serviceRequests"][0]["id"],
        &placed["invoice"]["id"],
        &placed["invoice"]["document"]["id"],
    ] {
        ids.push(id.as_str().expect("an id").to_string());
    }
    let sub_token = app.token_for(&other.aggregated).await;
    let ticket = app
        .ok(
            "mutation { createTicket(input: {subject: \"s\", message: \"m\"}) { ticket { id } } }",
            json!({}),
            Some(&sub_token),
        )
        .await;
    ids.push(
        ticket["createTicket"]["ticket"]["id"]
            .as_str()
            .expect("ticket")
            .to_string(),
    );
    let notes = app
        .ok(
            "{ viewer { notifications { nodes { id } } } }",
            json!({}),
            Some(&sub_token),
        )
        .await;
    ids.push(
        notes["viewer"]["notifications"]["nodes"][0]["id"]
            .as_str()
            .expect("notification")
            .to_string(),
    );
    ids.push(encode_id("Service", 999_999));
    ids.push("garbage".into());
    ids
}

#[tokio::test]
async fn another_tenants_ids_answer_not_found_and_no_data() {
    let app = TestApp::spawn().await;
    app.set_independent_access(true).await;
    let a = app.tenant("a").await;
    let b = app.tenant("b").await;
    let foreign = other_tenant_ids(&app, &b).await;
    for viewer in [&a.main, &a.aggregated, &a.independent] {
        let token = app.token_for(viewer).await;
        for (field, code, query) in CASES {
            for id in &foreign {
                let (_, body) = app.graphql(query, json!({ "id": id }), Some(&token)).await;
                assert_eq!(first_code(&body), *code, "{field} with {id}: {body}");
                let data = &body["data"];
                let empty = data.is_null()
                    || data
                        .as_object()
                        .is_some_and(|o| o.values().all(Value::is_null));
                assert!(empty, "{field} leaked data: {body}");
            }
        }
        for (field, query) in ITEM_CASES {
            for id in &foreign {
                let (_, body) = app.graphql(query, json!({ "id": id }), Some(&token)).await;
                let name = field.trim_start_matches("Mutation.");
                let item = &body["data"][name]["result"]["items"][0];
                assert_eq!(item["code"], "NOT_FOUND", "{field} with {id}: {body}");
                assert_eq!(item["ok"], false);
                assert!(
                    item["service"].is_null() && item["ticket"].is_null(),
                    "{field} leaked data: {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_sub_account_of_one_tenant_cannot_read_its_sibling() {
    let app = TestApp::spawn().await;
    let a = app.tenant("a").await;
    let token = app.token_for(&a.aggregated).await;
    let (_, body) = app
        .graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": a.independent }),
            Some(&token),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
}

#[tokio::test]
async fn the_main_account_reaches_its_own_tenant_through_node() {
    let app = TestApp::spawn().await;
    let a = app.tenant("a").await;
    let token = app.token_for(&a.main).await;
    for id in [&a.main, &a.aggregated, &a.independent] {
        let data = app
            .ok(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
                Some(&token),
            )
            .await;
        assert_eq!(data["node"]["id"], json!(id));
    }
}
