//! `node(id)` and the direct path give the same answer, for every kind of object and every
//! kind of viewer: the object's fields as its account's list shows them, or the list's
//! refusal (`FORBIDDEN`, with the same missing permission), or `NOT_FOUND` when no list the
//! viewer can open holds it. The fields compared are read from introspection.

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, first_code},
    tenants::{COLUMNS, Object, Party, tenant},
    walk::{Outcome, Schema},
};

/// The leaf fields of a type that take no argument: what both paths are compared on.
fn leaves(schema: &Schema, ty: &str) -> Vec<String> {
    schema
        .fields(ty)
        .iter()
        .filter(|f| {
            let (kind, _) = Schema::named(&f["type"]);
            matches!(kind, "SCALAR" | "ENUM")
                && f["args"].as_array().is_none_or(|a| a.is_empty())
                // A signed link carries the moment it was made.
                && f["name"] != "downloadUrl"
        })
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect()
}

/// The lists an object is shown in: (account whose list, list field).
fn lists(object: &Object, viewer: Party) -> Vec<(Option<Party>, &'static str)> {
    match object {
        Object::Service { owner } => vec![(Some(*owner), "services")],
        Object::Document { owner } => vec![(Some(*owner), "documents")],
        // A main account's own list takes in its sub-accounts' tickets.
        Object::Ticket { owner, .. } => vec![(Some(*owner), "tickets"), (Some(viewer), "tickets")],
        Object::Order { account, payer, .. } => {
            vec![
                (Some(*account), "orders"),
                (Some(*payer), "subAccountOrders"),
            ]
        }
        Object::Invoice { payer } => vec![(Some(*payer), "invoices")],
        Object::Notification { .. } => vec![(None, "notifications")],
    }
}

/// What a list said of one object.
#[derive(Debug, PartialEq)]
enum Listed {
    Shown(Value),
    Refused(Outcome),
    NotShown,
}

#[allow(clippy::too_many_arguments)]
async fn listed(
    app: &TestApp,
    token: &str,
    account: Option<&str>,
    field: &str,
    ty: &str,
    fields: &str,
    id: &str,
) -> Listed {
    let (query, vars, at) = match account {
        Some(account) => (
            format!(
                "query($a: ID!) {{ node(id: $a) {{ ... on Account {{ {field}(first: 100) {{ nodes {{ ... on {ty} {{ {fields} }} }} }} }} }} }}"
            ),
            json!({ "a": account }),
            vec!["node", field],
        ),
        None => (
            format!(
                "{{ viewer {{ {field}(first: 100) {{ nodes {{ ... on {ty} {{ {fields} }} }} }} }} }}"
            ),
            json!({}),
            vec!["viewer", field],
        ),
    };
    let (_, body) = app.graphql(&query, vars, Some(token)).await;
    if let Some(e) = body["errors"].get(0) {
        return Listed::Refused(match e["extensions"]["code"].as_str() {
            Some("FORBIDDEN") => Outcome::Forbidden(
                e["extensions"]["action"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Some("NOT_FOUND") => Outcome::NotFound,
            other => Outcome::Other(format!("{other:?}")),
        });
    }
    let mut list = &body["data"];
    for key in at {
        list = &list[key];
    }
    list["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == id).cloned())
        .map(Listed::Shown)
        .unwrap_or(Listed::NotShown)
}

#[tokio::test]
async fn node_and_the_direct_path_answer_alike_for_every_object_and_viewer() {
    let app = TestApp::spawn().await;
    let schema = Schema::load(&app).await;
    let tariffs = [
        app.create_tariff("Fiber", "20.00").await,
        app.create_tariff("Fiber Plus", "30.00").await,
    ];
    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, c) in COLUMNS.iter().enumerate() {
        let t = tenant(&app, i, c, &tariffs).await;
        let token = &t.tokens[&c.viewer];
        for (id, object) in &t.objects {
            let ty = object.type_name();
            let fields = leaves(&schema, ty).join(" ");
            // The direct paths: shown by one of them, or refused by them.
            let mut direct = Listed::NotShown;
            let mut refusal = None;
            for (party, field) in lists(object, c.viewer) {
                let account = party.map(|p| t.accounts[&p].as_str());
                match listed(&app, token, account, field, ty, &fields, id).await {
                    shown @ Listed::Shown(_) => {
                        direct = shown;
                        break;
                    }
                    Listed::Refused(Outcome::Forbidden(p)) => {
                        refusal.get_or_insert(Outcome::Forbidden(p));
                    }
                    _ => {}
                }
            }
            // A ticket hidden from the main account does not exist for it: even a list it
            // could open would not show it, so a refused list tells nothing about it.
            let hidden_from_viewer =
                matches!(object, Object::Ticket { owner, hidden: true } if *owner != c.viewer);
            let direct = match (direct, refusal) {
                (Listed::Shown(v), _) => Listed::Shown(v),
                (_, Some(refused)) if !hidden_from_viewer => Listed::Refused(refused),
                _ => Listed::Refused(Outcome::NotFound),
            };
            let (_, body) = app
                .graphql(
                    &format!(
                        "query($id: ID!) {{ node(id: $id) {{ ... on {ty} {{ {fields} }} }} }}"
                    ),
                    json!({ "id": id }),
                    Some(token),
                )
                .await;
            let by_node = match first_code(&body) {
                "<no code>" => Listed::Shown(body["data"]["node"].clone()),
                "FORBIDDEN" => Listed::Refused(Outcome::Forbidden(
                    body["errors"][0]["extensions"]["action"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )),
                "NOT_FOUND" => Listed::Refused(Outcome::NotFound),
                other => Listed::Refused(Outcome::Other(other.to_string())),
            };
            compared += 1;
            if by_node != direct {
                failures.push(format!(
                    "{}: {object:?}: node answered {by_node:?}, the direct path {direct:?}",
                    c.name
                ));
            }
        }
    }
    assert!(compared > 150, "too few objects compared: {compared}");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
