use super::*;

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
    no_answer_differs(&failures, yes, no);
    assert!(
        yes > 100,
        "plans answered {yes} queries, declined {no}: the comparison exercised them"
    );
}
