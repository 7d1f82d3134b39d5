//! The committed `schema.graphql` is exactly what `portal-api export-schema` writes, and it
//! keeps every name, type and nullability `CONTRACT.graphql` promises.

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    let current = portal_api::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is stale: run `cargo run -- export-schema --out schema.graphql`"
    );
}

/// Every name of `CONTRACT.graphql` in a schema: `Type`, `Type.field: Type!`,
/// `Type.field(arg: Type)`, `Input.field: Type`, `Enum.VALUE`, `Union = A | B`.
fn names(sdl: &str) -> std::collections::BTreeSet<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let doc = async_graphql::parser::parse_schema(sdl).expect("SDL parses");
    let mut out = std::collections::BTreeSet::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let name = t.node.name.node.to_string();
        out.insert(name.clone());
        match &t.node.kind {
            TypeKind::Object(o) => {
                for f in &o.fields {
                    let f = &f.node;
                    out.insert(format!("{name}.{}: {}", f.name.node, f.ty.node));
                    for a in &f.arguments {
                        out.insert(format!(
                            "{name}.{}({}: {})",
                            f.name.node, a.node.name.node, a.node.ty.node
                        ));
                    }
                }
            }
            TypeKind::Interface(i) => {
                for f in &i.fields {
                    out.insert(format!("{name}.{}: {}", f.node.name.node, f.node.ty.node));
                }
            }
            TypeKind::InputObject(i) => {
                for f in &i.fields {
                    out.insert(format!("{name}.{}: {}", f.node.name.node, f.node.ty.node));
                }
            }
            TypeKind::Enum(e) => {
                for v in &e.values {
                    out.insert(format!("{name}.{}", v.node.value.node));
                }
            }
            TypeKind::Union(u) => {
                for m in &u.members {
                    out.insert(format!("{name} has {}", m.node));
                }
            }
            TypeKind::Scalar => {}
        }
    }
    out
}

#[test]
fn the_schema_keeps_every_name_of_the_contract() {
    let contract =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CONTRACT.graphql"))
            .expect("CONTRACT.graphql at the repository root");
    let ours = names(&portal_api::graphql::sdl());
    let promised = names(&contract);
    assert!(
        promised.len() > 300,
        "the contract reads: {}",
        promised.len()
    );
    let missing: Vec<&String> = promised.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "the schema breaks the contract at {missing:?}"
    );
}

/// Every element of the schema a client sees, by introspection: `(path, description)`.
fn described(data: &serde_json::Value) -> Vec<(String, bool)> {
    let has = |v: &serde_json::Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    let mut out = Vec::new();
    for t in data["__schema"]["types"].as_array().expect("types") {
        let name = t["name"].as_str().expect("name");
        if name.starts_with("__") {
            continue;
        }
        out.push((name.to_string(), has(t)));
        for f in t["fields"].as_array().into_iter().flatten() {
            let field = format!("{name}.{}", f["name"].as_str().expect("field"));
            out.push((field.clone(), has(f)));
            for a in f["args"].as_array().into_iter().flatten() {
                out.push((
                    format!("{field}({})", a["name"].as_str().expect("arg")),
                    has(a),
                ));
            }
        }
        for f in t["inputFields"].as_array().into_iter().flatten() {
            out.push((
                format!("{name}.{}", f["name"].as_str().expect("input field")),
                has(f),
            ));
        }
        for v in t["enumValues"].as_array().into_iter().flatten() {
            out.push((
                format!("{name}.{}", v["name"].as_str().expect("value")),
                has(v),
            ));
        }
    }
    out
}

#[tokio::test]
async fn every_type_field_argument_input_field_and_enum_value_is_described() {
    let app = crate::helpers::TestApp::spawn().await;
    let data = app
        .ok(
            "{ __schema { types { name description
                fields(includeDeprecated: true) { name description args { name description } }
                inputFields { name description }
                enumValues(includeDeprecated: true) { name description } } } }",
            serde_json::json!({}),
            Some(app.admin()),
        )
        .await;
    // The scalars the GraphQL specification defines (their meaning is the spec's).
    const SPEC_SCALARS: [&str; 5] = ["ID", "String", "Int", "Float", "Boolean"];
    let missing: Vec<String> = described(&data)
        .into_iter()
        .filter(|(path, has)| !has && !SPEC_SCALARS.contains(&path.as_str()))
        .map(|(path, _)| path)
        .collect();
    assert!(
        missing.is_empty(),
        "{} schema elements without a description: {missing:?}",
        missing.len()
    );
}

#[tokio::test]
async fn every_custom_scalar_says_where_its_format_is_specified() {
    let app = crate::helpers::TestApp::spawn().await;
    let data = app
        .ok(
            "{ __schema { types { kind name specifiedByURL } } }",
            serde_json::json!({}),
            None,
        )
        .await;
    const SPEC_SCALARS: [&str; 5] = ["ID", "String", "Int", "Float", "Boolean"];
    let scalars: Vec<&serde_json::Value> = data["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter(|t| {
            t["kind"] == "SCALAR" && !SPEC_SCALARS.contains(&t["name"].as_str().unwrap_or(""))
        })
        .collect();
    assert!(scalars.iter().any(|t| t["name"] == "JSON"), "{data}");
    for t in scalars {
        let url = t["specifiedByURL"].as_str().unwrap_or("");
        assert!(
            url.starts_with("https://"),
            "{} has no specifiedByURL: {t}",
            t["name"]
        );
    }
}

#[tokio::test]
async fn every_type_with_a_global_id_is_a_node_and_round_trips_through_node() {
    use crate::helpers::encode_id;
    use serde_json::{Value, json};
    let app = crate::helpers::TestApp::spawn().await;
    let admin = Some(app.admin());
    // Which object types have `id: ID!`, and which of them implement Node.
    let types = app
        .ok(
            "{ __schema { types { name kind interfaces { name } fields { name type { kind ofType { name } } } } } }",
            json!({}),
            admin,
        )
        .await;
    let mut with_id = Vec::new();
    for t in types["__schema"]["types"].as_array().expect("types") {
        let has_id = t["fields"].as_array().into_iter().flatten().any(|f| {
            f["name"] == "id"
                && f["type"]["kind"] == "NON_NULL"
                && f["type"]["ofType"]["name"] == "ID"
        });
        if t["kind"] != "OBJECT" || !has_id {
            continue;
        }
        let name = t["name"].as_str().expect("name").to_string();
        let node = t["interfaces"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i["name"] == "Node"));
        assert!(node, "{name} has a global id but does not implement Node");
        with_id.push(name);
    }
    // One object of each, reached through its ordinary path as staff.
    let t = app.tenant("nodes").await;
    app.deposit(&t.main, "100.00").await;
    let tariff = app.create_tariff("Node Fiber", "10.00").await;
    let voice = app.create_tariff_of("VOICE", "Node Voice", "5.00").await;
    let internet_service = encode_id(
        "Service",
        app.add_service(&t.aggregated, &tariff, entity::enums::ServiceStatus::Active)
            .await,
    );
    let voice_service = encode_id(
        "Service",
        app.add_service(&t.aggregated, &voice, entity::enums::ServiceStatus::Active)
            .await,
    );
    app.ok(
        "mutation($s: ID!) { recordInternetSession(input: {serviceId: $s, startedAt: \"2026-11-02T08:00:00Z\", endedAt: \"2026-11-02T09:00:00Z\", downloadBytes: 5, uploadBytes: 1}) { userErrors { code } } }",
        json!({ "s": internet_service }),
        admin,
    )
    .await;
    app.ok(
        "mutation($s: ID!) { recordVoiceCall(input: {serviceId: $s, startedAt: \"2026-11-02T08:00:00Z\", destination: \"+4930\", durationSeconds: 60, cost: \"0.10\"}) { userErrors { code } } }",
        json!({ "s": voice_service }),
        admin,
    )
    .await;
    let main = app.token_for(&t.main).await;
    let order = app
        .ok(
            "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id items { serviceRequests { id } } invoice { id document { id } } } userErrors { code } } }",
            json!({ "a": t.aggregated, "t": tariff }),
            Some(&main),
        )
        .await["placeOrder"]["order"]
        .clone();
    let change = app
        .ok(
            "mutation($s: ID!, $t: ID!) { changeService(input: {serviceId: $s, tariffId: $t, mode: REQUEST}) { changeRequest { id } userErrors { code } } }",
            json!({ "s": internet_service, "t": app.create_tariff("Node Fiber Plus", "20.00").await }),
            Some(&main),
        )
        .await["changeService"]["changeRequest"]["id"]
        .clone();
    let ticket = app
        .ok(
            "mutation($a: ID!) { createTicket(input: {accountId: $a, subject: \"s\", message: \"m\"}) { ticket { id messages { nodes { id } } } } }",
            json!({ "a": t.aggregated }),
            Some(&main),
        )
        .await["createTicket"]["ticket"]
        .clone();
    let seen = app
        .ok(
            "query($a: ID!) { node(id: $a) { ... on Account { partner { id } activity(first: 1) { nodes { id } }
                internetUsage(from: \"2026-11-01\", to: \"2026-12-01\") { sessions(first: 1) { nodes { id } } }
                voiceUsage(from: \"2026-11-01\", to: \"2026-12-01\") { calls(first: 1) { nodes { id } } } } }
              emailTemplates { id } staffUsers { id } }",
            json!({ "a": t.aggregated }),
            admin,
        )
        .await;
    let sub = app.token_for(&t.aggregated).await;
    let notification = app
        .ok(
            "{ viewer { notifications(first: 1) { nodes { id } } } }",
            json!({}),
            Some(&sub),
        )
        .await["viewer"]["notifications"]["nodes"][0]["id"]
        .clone();
    let node = &seen["node"];
    let mut ids: Vec<(String, Value)> = vec![
        ("Account".into(), json!(t.aggregated)),
        ("Partner".into(), node["partner"]["id"].clone()),
        ("Tariff".into(), json!(tariff)),
        (
            "EmailTemplate".into(),
            seen["emailTemplates"][0]["id"].clone(),
        ),
        ("Service".into(), json!(internet_service)),
        ("ChangeRequest".into(), change),
        ("Order".into(), order["id"].clone()),
        (
            "ServiceRequest".into(),
            order["items"][0]["serviceRequests"][0]["id"].clone(),
        ),
        ("Invoice".into(), order["invoice"]["id"].clone()),
        (
            "Document".into(),
            order["invoice"]["document"]["id"].clone(),
        ),
        ("Ticket".into(), ticket["id"].clone()),
        (
            "TicketMessage".into(),
            ticket["messages"]["nodes"][0]["id"].clone(),
        ),
        (
            "ActivityEntry".into(),
            node["activity"]["nodes"][0]["id"].clone(),
        ),
        (
            "InternetSession".into(),
            node["internetUsage"]["sessions"]["nodes"][0]["id"].clone(),
        ),
        (
            "VoiceCall".into(),
            node["voiceUsage"]["calls"]["nodes"][0]["id"].clone(),
        ),
        ("StaffUser".into(), seen["staffUsers"][0]["id"].clone()),
    ];
    ids.push(("Notification".into(), notification));
    let mut covered: Vec<String> = ids.iter().map(|(t, _)| t.clone()).collect();
    covered.sort();
    with_id.sort();
    assert_eq!(covered, with_id, "one object of every Node type is tried");
    for (ty, id) in &ids {
        assert!(id.is_string(), "{ty}: no id in the fixture");
        let back = app
            .ok(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
                if ty == "Notification" {
                    Some(sub.as_str())
                } else {
                    admin
                },
            )
            .await;
        assert_eq!(back["node"]["__typename"], json!(ty), "{ty}");
        assert_eq!(back["node"]["id"], *id, "{ty}");
    }
    // The new nodes answer with their object's authorization: the account's own view sees
    // its activity and usage; a stranger gets NOT_FOUND.
    let stranger = app.create_account("node-stranger", json!({})).await;
    let stranger = app.token_for(&stranger).await;
    for (ty, id) in ids.iter().filter(|(ty, _)| {
        [
            "ActivityEntry",
            "InternetSession",
            "VoiceCall",
            "TicketMessage",
        ]
        .contains(&ty.as_str())
    }) {
        let own = app
            .ok(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
                Some(&sub),
            )
            .await;
        assert_eq!(own["node"]["id"], *id, "{ty} for its own account");
        let (_, body) = app
            .graphql(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
                Some(&stranger),
            )
            .await;
        assert_eq!(
            crate::helpers::first_code(&body),
            "NOT_FOUND",
            "{ty} for a stranger"
        );
    }
    let (_, body) = app
        .graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": ids[15].1 }),
            Some(&sub),
        )
        .await;
    assert_eq!(
        crate::helpers::first_code(&body),
        "NOT_FOUND",
        "staff users are staff's"
    );
}
