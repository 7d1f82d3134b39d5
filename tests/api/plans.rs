//! Compiled plans answer exactly as the resolvers do (`crate::plan`): two servers on one
//! database, one answering with plans and one with the resolvers only, asked the same
//! things by every kind of viewer, give the same bytes. What is asked is generated from the
//! schema by introspection (every field of every type reached from `viewer` and `node`, each
//! object field alone and all of them together, with aliases, fragments, `@skip` and
//! `@include`), plus every query document in `operations/`; so a field added tomorrow is
//! compared without editing this test.

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

/// Selections generated from the schema.
struct Gen<'a> {
    schema: &'a Schema,
}

impl Gen<'_> {
    /// `name(required args, first: 2)`: a field with what it needs, small pages.
    fn call(&self, field: &Value) -> Option<String> {
        let mut args = Vec::new();
        for arg in field["args"].as_array()? {
            let name = arg["name"].as_str()?;
            if arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null() {
                args.push(format!(
                    "{name}: {}",
                    literal(&self.schema.sample(name, &arg["type"])?)
                ));
            } else if name == "first" {
                args.push("first: 2".to_string());
            }
        }
        let name = field["name"].as_str()?;
        Some(if args.is_empty() {
            name.to_string()
        } else {
            format!("{name}({})", args.join(", "))
        })
    }

    /// The leaves of `ty` (scalars and enums), and its object fields.
    fn split(&self, ty: &str) -> (Vec<String>, Vec<(String, String)>) {
        let mut leaves = Vec::new();
        let mut objects = Vec::new();
        for f in self.schema.fields(ty) {
            let Some(call) = self.call(&f) else { continue };
            match Schema::named(&f["type"]) {
                ("SCALAR" | "ENUM", _) => leaves.push(call),
                ("OBJECT", child) => objects.push((call, child.to_string())),
                _ => leaves.push(format!("{call} {{ __typename }}")),
            }
        }
        (leaves, objects)
    }

    /// Every field of `ty`, objects `depth` levels down.
    fn all(&self, ty: &str, depth: usize) -> String {
        let (mut out, objects) = self.split(ty);
        if depth > 0 {
            for (call, child) in objects {
                out.push(format!("{call} {{ {} }}", self.all(&child, depth - 1)));
            }
        }
        out.join(" ")
    }

    /// Selections of `ty` to compare: its leaves; its leaves with each object field alone
    /// (two levels below it); everything two levels down; and the leaves rewritten with
    /// aliases, fragments and conditions.
    fn probes(&self, ty: &str) -> Vec<(String, String)> {
        let (leaves, objects) = self.split(ty);
        let leaves_text = leaves.join(" ");
        let mut out = vec![(String::new(), leaves_text.clone())];
        for (call, child) in &objects {
            out.push((
                String::new(),
                format!("{leaves_text} {call} {{ {} }}", self.all(child, 1)),
            ));
        }
        out.push((String::new(), self.all(ty, 2)));
        // Aliases, a duplicate, fragments (inline, on the interface, named) and conditions.
        let half = leaves.len() / 2;
        let aliased: Vec<String> = leaves[..half.min(6)]
            .iter()
            .enumerate()
            .map(|(i, l)| format!("a{i}: {l}"))
            .collect();
        let conditioned: Vec<String> = leaves[half..]
            .iter()
            .enumerate()
            .map(|(i, l)| match i % 3 {
                0 => format!("{l} @include(if: $yes)"),
                1 => format!("{l} @skip(if: $yes)"),
                _ => format!("{l} @include(if: $no)"),
            })
            .collect();
        let nested = objects
            .first()
            .map(|(call, child)| {
                let (inner, _) = self.split(child);
                format!(
                    "{call} {{ ...on {child} {{ {} }} {} }}",
                    inner.join(" "),
                    inner.first().cloned().unwrap_or_default()
                )
            })
            .unwrap_or_default();
        out.push((
            format!("fragment Half on {ty} {{ {} }}", leaves[..half].join(" ")),
            format!(
                "{} ...Half ... on {ty} {{ {} }} ... on Node {{ id }} id {nested}",
                aliased.join(" "),
                conditioned.join(" ")
            ),
        ));
        out
    }
}

/// `query(...) { node(id: $id) { ... on T { sel } } }` or the viewer's own account.
fn document(entry: Option<&str>, fragment: &str, sel: &str) -> String {
    let vars = if sel.contains("$yes") || sel.contains("$no") || fragment.contains('$') {
        "$yes: Boolean!, $no: Boolean!"
    } else {
        ""
    };
    match entry {
        Some(ty) => format!(
            "query($id: ID!{}{vars}) {{ node(id: $id) {{ ... on {ty} {{ {sel} }} }} }} {fragment}",
            if vars.is_empty() { "" } else { ", " }
        ),
        None if vars.is_empty() => {
            format!("query {{ viewer {{ role account {{ {sel} }} }} }} {fragment}")
        }
        None => format!("query({vars}) {{ viewer {{ role account {{ {sel} }} }} }} {fragment}"),
    }
}

#[tokio::test]
async fn plans_answer_every_generated_selection_as_the_resolvers_do_for_every_viewer() {
    let w = World::build().await;
    let schema = Schema::load(&w.app).await;
    let generated = Gen { schema: &schema };
    let mut failures = Vec::new();
    let flags = json!({ "yes": true, "no": false });
    // The viewer's own account.
    let account_probes = generated.probes("Account");
    for (who, token) in &w.viewers {
        for (fragment, sel) in &account_probes {
            let query = document(None, fragment, sel);
            compare(&w, &mut failures, who, token, &query, &flags).await;
        }
    }
    // Every object by its ID, to every viewer (refusals included).
    for (ty, ids) in &w.objects {
        let probes = generated.probes(ty);
        for (who, token) in &w.viewers {
            for id in ids {
                let mut vars = flags.clone();
                vars["id"] = json!(id);
                for (fragment, sel) in &probes {
                    compare(
                        &w,
                        &mut failures,
                        who,
                        token,
                        &document(Some(ty), fragment, sel),
                        &vars,
                    )
                    .await;
                }
            }
        }
    }
    let (yes, no) = answered(&w).await;
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
    assert!(
        yes > 100,
        "plans answered {yes} queries, declined {no}: the comparison exercised them"
    );
}

/// The variables of a document (`$name: Type`), with a value each: every object ID of the
/// world for an `ID!`, samples for the other required ones, small pages.
fn variable_sets(w: &World, schema: &Schema, text: &str) -> Vec<Value> {
    let mut sets = vec![json!({})];
    for (name, ty) in variables(text) {
        let (name, ty) = (name.as_str(), ty.as_str());
        let required = ty.ends_with('!');
        let base = ty.trim_end_matches('!');
        if base == "ID" && required {
            let ids: Vec<&String> = w.objects.values().flatten().collect();
            sets = sets
                .iter()
                .flat_map(|s| {
                    ids.iter().map(move |id| {
                        let mut s = s.clone();
                        s[name] = json!(id);
                        s
                    })
                })
                .collect();
        } else if name == "first" {
            for s in &mut sets {
                s[name] = json!(2);
            }
        } else if required {
            let sample = schema
                .sample(name, &json!({ "kind": "SCALAR", "name": base }))
                .unwrap_or(Value::Null);
            for s in &mut sets {
                s[name] = sample.clone();
            }
        }
    }
    sets
}

/// `$name: Type` pairs of a document's variable definitions.
fn variables(text: &str) -> Vec<(String, String)> {
    let Some(open) = text.find('(') else {
        return Vec::new();
    };
    let Some(close) = text[open..].find(')') else {
        return Vec::new();
    };
    text[open + 1..open + close]
        .split('$')
        .skip(1)
        .filter_map(|def| {
            let (name, ty) = def.split_once(':')?;
            let ty = ty.split(['=', ',']).next()?.trim();
            Some((name.trim().to_string(), ty.to_string()))
        })
        .collect()
}

#[tokio::test]
async fn plans_answer_the_published_query_documents_as_the_resolvers_do() {
    let w = World::build().await;
    let schema = Schema::load(&w.app).await;
    let mut failures = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("operations");
    let mut documents = 0;
    for entry in std::fs::read_dir(&dir).expect("operations/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("document");
        let body: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        if !body.trim_start().starts_with("query") {
            continue;
        }
        documents += 1;
        for vars in variable_sets(&w, &schema, &body) {
            for (who, token) in &w.viewers {
                compare(&w, &mut failures, who, token, &body, &vars).await;
            }
        }
    }
    let (yes, no) = answered(&w).await;
    assert!(documents >= 5, "{documents} query documents in operations/");
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
    assert!(
        yes > 0,
        "plans answered none of the published documents ({no} declined)"
    );
}

#[tokio::test]
async fn pages_continue_from_a_cursor_alike_on_both_paths() {
    let w = World::build().await;
    let (who, token) = &w.viewers[0];
    let query = "query($after: String, $last: Int, $before: String, $first: Int) { viewer { account { subAccounts(first: $first, after: $after, last: $last, before: $before) { totalCount edges { cursor node { id fullName } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } } } }";
    let first = w.app.ok(query, json!({ "first": 1 }), Some(token)).await;
    let cursor = first["viewer"]["account"]["subAccounts"]["pageInfo"]["endCursor"].clone();
    assert!(cursor.is_string(), "{first}");
    let mut failures = Vec::new();
    for vars in [
        json!({ "first": 1, "after": cursor }),
        json!({ "last": 1, "before": cursor }),
        json!({ "first": 1, "after": "not a cursor" }),
        json!({ "first": 0 }),
        json!({ "first": 1, "last": 1 }),
    ] {
        compare(&w, &mut failures, who, token, query, &vars).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(decode_pk(w.objects["Account"][0].as_str()) > 0);
}
