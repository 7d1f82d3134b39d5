//! Compiled plans answer exactly as the resolvers do (`crate::plan`): two servers on one
//! database, one answering with plans and one with the resolvers only, asked the same
//! things by every kind of viewer, give the same bytes. What is asked is generated from the
//! schema by introspection (every field of every type reached from `viewer` and `node`, each
//! object field alone and all of them together, with aliases, fragments, `@skip` and
//! `@include`), plus every query document in `operations/`; so a field added tomorrow is
//! compared without editing this test.

mod documents;
mod generated;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{
    documents::{pdf_bytes, upload},
    helpers::{Replica, TestApp, decode_pk},
    walk::{Schema, literal},
};

/// The two servers, the world's objects by type, and its viewers.
struct World {
    app: TestApp,
    resolvers: Replica,
    objects: BTreeMap<String, Vec<String>>,
    viewers: Vec<(&'static str, String)>,
}

const ORDER: &str = "mutation($a: ID!, $items: [OrderItemInput!]!, $pm: PaymentMethodInput) { placeOrder(input: {accountId: $a, items: $items, paymentMethod: $pm}) { order { id items { tariff { id } } } userErrors { code } } }";
const TICKET: &str = "mutation($a: ID, $s: String!, $h: Boolean) { createTicket(input: {accountId: $a, subject: $s, message: \"Please look\", hiddenFromMain: $h}) { ticket { id } userErrors { code } } }";
const REPLY: &str = "mutation($t: ID!, $m: String!) { replyToTicket(input: {ticketId: $t, message: $m}) { ticket { messages(first: 20) { nodes { id } } } userErrors { code } } }";

impl World {
    fn note(&mut self, ty: &str, id: &Value) {
        let id = id.as_str().unwrap_or_else(|| panic!("{ty} id: {id}"));
        let list = self.objects.entry(ty.to_string()).or_default();
        if !list.iter().any(|i| i == id) {
            list.push(id.to_string());
        }
    }

    async fn build() -> World {
        // Budgets that thousands of comparisons do not spend.
        let app = TestApp::spawn_with(portal_api::config::Mode::Development, |c| {
            c.rate_limit_burst = u64::MAX / 4;
            c.rate_limit_per_second = u64::MAX / 4;
        })
        .await;
        let resolvers = app.replica_with(|c| c.compiled_plans = false).await;
        let mut w = World {
            app,
            resolvers,
            objects: BTreeMap::new(),
            viewers: Vec::new(),
        };
        let app = &w.app;
        let t = app.tenant("plan").await;
        let other = app.tenant("else").await;
        let solo = app
            .create_account(
                "plan-solo",
                json!({ "status": "ACTIVE", "email": "solo@example.net" }),
            )
            .await;
        app.set_independent_access(true).await;
        app.allow_sub_orders().await;
        let fiber = app.create_tariff("Fiber 100", "39.90").await;
        let phone = app.create_tariff_of("VOICE", "Phone flat", "9.95").await;
        let tokens: Vec<(&'static str, String, String)> = vec![
            ("main", t.main.clone(), app.token_for(&t.main).await),
            (
                "aggregated",
                t.aggregated.clone(),
                app.token_for(&t.aggregated).await,
            ),
            (
                "independent",
                t.independent.clone(),
                app.token_for(&t.independent).await,
            ),
            ("standalone", solo.clone(), app.token_for(&solo).await),
            (
                "other main",
                other.main.clone(),
                app.token_for(&other.main).await,
            ),
        ];
        let token = |who: &str| {
            tokens
                .iter()
                .find(|(w, _, _)| *w == who)
                .map(|(_, _, t)| t.clone())
                .expect("viewer")
        };
        let mut notes: Vec<(&str, Value)> = Vec::new();
        for (_, account, _) in &tokens {
            notes.push(("Account", json!(account)));
            for tariff in [&fiber, &phone] {
                let id = app
                    .add_service(account, tariff, entity::enums::ServiceStatus::Active)
                    .await;
                notes.push(("Service", json!(crate::helpers::encode_id("Service", id))));
            }
            let (_, uploaded) =
                upload(app, app.admin(), account, pdf_bytes(), "contract.pdf", true).await;
            notes.push((
                "Document",
                uploaded["data"]["uploadDocument"]["document"]["id"].clone(),
            ));
        }
        notes.push(("Account", json!(other.aggregated)));
        notes.push(("Tariff", json!(fiber)));
        app.deposit(&t.main, "500.00").await;
        app.deposit(&t.independent, "100.00").await;
        // The sub-account's ask waits for its main; the main orders for it and pays; the
        // independent one orders for itself.
        for (who, account, pm) in [
            ("aggregated", &t.aggregated, Value::Null),
            ("main", &t.aggregated, json!({ "kind": "ACCOUNT_BALANCE" })),
            (
                "independent",
                &t.independent,
                json!({ "kind": "ACCOUNT_BALANCE" }),
            ),
        ] {
            let placed = app
                .ok(
                    ORDER,
                    json!({ "a": account, "items": [{ "tariffId": fiber }], "pm": pm }),
                    Some(&token(who)),
                )
                .await;
            assert!(
                placed["placeOrder"]["order"]["id"].is_string(),
                "{who}: {placed}"
            );
            notes.push(("Order", placed["placeOrder"]["order"]["id"].clone()));
        }
        for (who, account, hidden) in [
            ("main", None, false),
            ("main", Some(&t.aggregated), false),
            ("aggregated", None, false),
            ("independent", None, true),
            ("independent", None, false),
            ("standalone", None, false),
        ] {
            let made = app
                .ok(
                    TICKET,
                    json!({ "a": account, "s": format!("Line of {who}"), "h": hidden }),
                    Some(&token(who)),
                )
                .await;
            let ticket = made["createTicket"]["ticket"]["id"].clone();
            notes.push(("Ticket", ticket.clone()));
            let replied = app
                .ok(
                    REPLY,
                    json!({ "t": ticket, "m": "We are on it" }),
                    Some(app.admin()),
                )
                .await;
            for m in replied["replyToTicket"]["ticket"]["messages"]["nodes"]
                .as_array()
                .expect("messages")
            {
                notes.push(("TicketMessage", m["id"].clone()));
            }
        }
        for (ty, id) in notes {
            w.note(ty, &id);
        }
        w.viewers = tokens.into_iter().map(|(who, _, t)| (who, t)).collect();
        w.viewers.push(("staff", w.app.admin().to_string()));
        w
    }
}

/// The body as sent, with what differs between two servers by design put aside: the
/// caller's remaining budget (each server counts its own) and a download link's expiry.
fn normalized(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = ["\"remaining\":", "expires="]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, *m)))
        .min()
    {
        let (i, marker) = at;
        out.push_str(&rest[..i + marker.len()]);
        rest = &rest[i + marker.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '&' || c == '='))
            .unwrap_or(rest.len());
        out.push('0');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

async fn raw(
    app: &TestApp,
    server: std::net::SocketAddr,
    query: &str,
    variables: &Value,
    token: &str,
) -> String {
    app.client
        .post(format!("http://{server}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body")
}

/// How many queries the plans answered (and handed to the resolvers) on the plan server.
async fn answered(w: &World) -> (u64, u64) {
    let metrics = w.app.metrics_at(w.app.addr).await;
    let count = |outcome: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "portal_plan_queries_total{{outcome=\"{outcome}\"}}"
                ))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (count("answered"), count("declined"))
}

/// Asks both servers; the second ask of the plan server is the one a plan answers (the
/// first validates the document).
async fn compare(
    w: &World,
    failures: &mut Vec<String>,
    who: &str,
    token: &str,
    query: &str,
    variables: &Value,
) {
    let plan = w.app.addr;
    let _ = raw(&w.app, plan, query, variables, token).await;
    let planned = normalized(&raw(&w.app, plan, query, variables, token).await);
    let resolved = normalized(&raw(&w.app, w.resolvers.addr, query, variables, token).await);
    if planned != resolved {
        failures.push(format!(
            "{who}: {query}\n  variables {variables}\n  plan:      {planned}\n  resolvers: {resolved}"
        ));
    }
}

/// Fails with the first differing answers (and how many queries plans answered).
fn no_answer_differs(failures: &[String], yes: u64, no: u64) {
    assert!(
        failures.is_empty(),
        "{} answers differ (plans answered {yes}, declined {no}):\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
