use super::*;

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
    no_answer_differs(&failures, yes, no);
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

#[tokio::test]
async fn an_orders_invoice_and_its_lines_alike_on_both_paths() {
    // Orders paid by their own account, paid by a main for its sub-account (whose invoice
    // the sub-account may not see: null), and waiting (no invoice), for every viewer; the
    // invoice reached through a fragment on `Node` too.
    let w = World::build().await;
    let query = "query($id: ID!) { node(id: $id) { ... on Order { number status total createdAt
        items { quantity unitPrice total tariff { name } }
        invoice { id number kind status subtotal tax total issuedAt periodStart ... on Node { id }
          lines { description quantity unitPrice net taxPercent tax total periodFrom periodTo } } } } }";
    let before = answered(&w).await.0;
    let mut failures = Vec::new();
    let mut invoiced = 0;
    for order in &w.objects["Order"] {
        for (who, token) in &w.viewers {
            let vars = json!({ "id": order });
            compare(&w, &mut failures, who, token, query, &vars).await;
            let (_, answer) = w.app.graphql(query, vars, Some(token)).await;
            if answer["data"]["node"]["invoice"]["lines"][0]["total"].is_string() {
                invoiced += 1;
            }
        }
    }
    let (yes, no) = answered(&w).await;
    no_answer_differs(&failures, yes, no);
    assert!(invoiced > 0, "some viewer sees an invoice with lines");
    assert!(yes > before, "plans answered the order documents");
}
