use super::*;

/// Everything a viewer can reach, as text: every scalar of every object it can open, found
/// by introspection from its root fields, and its activity export.
struct Reach<'a> {
    app: &'a TestApp,
    schema: &'a Schema,
    nodes: BTreeSet<String>,
    token: &'a str,
    texts: Vec<String>,
    queue: VecDeque<String>,
    seen: BTreeSet<String>,
    /// Objects the viewer opened with `node(id)` (what it may read).
    opened: BTreeSet<String>,
}

impl<'a> Reach<'a> {
    /// The selection of every field of `ty`: scalars as they are, an object with an id as
    /// its id (read later through `node`), other objects field by field.
    fn selection(&self, ty: &str, depth: usize) -> String {
        let mut out = vec!["__typename".to_string()];
        for field in self.schema.fields(ty) {
            let Some(asked) = self.schema.ask(&field) else {
                continue;
            };
            let (kind, named) = Schema::named(&field["type"]);
            let takes_first = field["args"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a["name"] == "first"));
            // `ask` fills the required arguments; pages are read whole.
            let asked = match (takes_first, asked.split_once(" {")) {
                (true, Some((head, _))) if head.contains('(') => {
                    format!("{}, first: 100)", head.trim_end_matches(')'))
                }
                (true, Some((head, _))) => format!("{head}(first: 100)"),
                (_, Some((head, _))) => head.to_string(),
                (_, None) => asked.clone(),
            };
            match kind {
                "OBJECT" | "INTERFACE" if self.nodes.contains(named) || named == "Node" => {
                    out.push(format!("{asked} {{ __typename ... on Node {{ id }} }}"));
                }
                "OBJECT" if depth < 3 => {
                    out.push(format!(
                        "{asked} {{ {} }}",
                        self.selection(named, depth + 1)
                    ));
                }
                "OBJECT" | "INTERFACE" | "UNION" => {}
                _ => out.push(asked),
            }
        }
        out.join(" ")
    }

    fn take(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.texts.push(s.clone()),
            Value::Number(n) => self.texts.push(n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.take(v)),
            Value::Object(map) => {
                if let (Some(Value::String(id)), Some(Value::String(_))) =
                    (map.get("id"), map.get("__typename"))
                    && self.seen.insert(id.clone())
                {
                    self.queue.push_back(id.clone());
                }
                map.values().for_each(|v| self.take(v));
            }
            _ => {}
        }
    }

    async fn ask(&mut self, query: &str, variables: Value) -> Value {
        let (_, body) = self.app.graphql(query, variables, Some(self.token)).await;
        // Errors' messages are text the viewer gets too.
        self.take(&body);
        body
    }

    async fn everything(mut self) -> (Vec<String>, BTreeSet<String>) {
        let root = format!(
            "{{ viewer {{ {} }} activityFeed(first: 100) {{ nodes {{ __typename id }} }} }}",
            self.selection("Viewer", 0)
        );
        self.ask(&root, json!({})).await;
        while let Some(id) = self.queue.pop_front() {
            let ty = match self
                .ask(
                    "query($id: ID!) { node(id: $id) { __typename } }",
                    json!({ "id": id }),
                )
                .await["data"]["node"]["__typename"]
                .as_str()
            {
                Some(ty) => ty.to_string(),
                None => continue,
            };
            self.opened.insert(id.clone());
            let query = format!(
                "query($id: ID!) {{ node(id: $id) {{ ... on {ty} {{ {} }} }} }}",
                self.selection(&ty, 0)
            );
            self.ask(&query, json!({ "id": id })).await;
        }
        // The activity export, through its link.
        let link = self.ask("{ activityExport { url } }", json!({})).await;
        if let Some(url) = link["data"]["activityExport"]["url"].as_str() {
            let csv = self
                .app
                .client
                .get(self.app.url(url))
                .send()
                .await
                .expect("export")
                .text()
                .await
                .expect("csv");
            self.texts.push(csv);
        }
        (self.texts, self.opened)
    }
}

/// Reads everything `who` can reach in `w`; fails on any string of an object it may not
/// read.
async fn check(app: &TestApp, schema: &Schema, w: &World, who: Who, failures: &mut Vec<String>) {
    let token = app.token_for(&w.accounts[&who]).await;
    let nodes: BTreeSet<String> = app
        .ok(
            "{ __type(name: \"Node\") { possibleTypes { name } } }",
            json!({}),
            Some(app.admin()),
        )
        .await["__type"]["possibleTypes"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    let reach = Reach {
        app,
        schema,
        nodes,
        token: &token,
        texts: Vec::new(),
        queue: VecDeque::new(),
        seen: BTreeSet::new(),
        opened: BTreeSet::new(),
    };
    let (texts, mut opened) = reach.everything().await;
    // What it may read: the objects it opened, and the objects it may open by id.
    for o in &w.objects {
        if opened.contains(&o.id) {
            continue;
        }
        let (_, body) = app
            .graphql(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": o.id }),
                Some(&token),
            )
            .await;
        if body["data"]["node"]["id"] == o.id {
            opened.insert(o.id.clone());
        }
    }
    // Balances it may read: the accounts whose `balance` it gets.
    let mut readable_balances = BTreeSet::new();
    for (owner, figures) in &w.balances {
        let (_, body) = app
            .graphql(
                "query($id: ID!) { node(id: $id) { ... on Account { balance } } }",
                json!({ "id": w.accounts[owner] }),
                Some(&token),
            )
            .await;
        if body["data"]["node"]["balance"].is_string() {
            readable_balances.extend(figures.iter().cloned());
        }
    }
    // A string is the viewer's to read when an object it may read has it too.
    let readable: BTreeSet<&String> = w
        .objects
        .iter()
        .filter(|o| opened.contains(&o.id))
        .flat_map(|o| o.strings.iter().chain([&o.id]))
        .chain(readable_balances.iter())
        .collect();
    let mut secrets: Vec<(String, String)> = Vec::new();
    for o in w.objects.iter().filter(|o| !opened.contains(&o.id)) {
        for s in o.strings.iter().chain([&o.id]) {
            if !readable.contains(s) {
                secrets.push((s.clone(), format!("object {}", o.id)));
            }
        }
    }
    for (owner, figures) in &w.balances {
        for f in figures {
            if !readable.contains(f) {
                secrets.push((f.clone(), format!("a balance of {owner:?}")));
            }
        }
    }
    for s in &w.staff {
        secrets.push((s.clone(), "the staff user".into()));
    }
    for (secret, whose) in secrets {
        if let Some(at) = texts.iter().find(|t| holds(t, &secret)) {
            failures.push(format!("{who:?} reads {secret:?} of {whose} in {at:?}"));
        }
    }
    assert!(texts.len() > 20, "{who:?} read something: {}", texts.len());
}

/// Whether `text` holds `word` standing on its own (not inside a longer number, name or
/// id: "5.21" is not in "05:05.214213").
fn holds(text: &str, word: &str) -> bool {
    let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '-');
    text.match_indices(word).any(|(at, _)| {
        !part(text[..at].chars().next_back()) && !part(text[at + word.len()..].chars().next())
    })
}

async fn walk(end: Switches, viewers: &[Who]) {
    let app = TestApp::spawn().await;
    let schema = Schema::load(&app).await;
    let w = world(&app, end).await;
    let mut failures = Vec::new();
    for who in viewers {
        check(&app, &schema, &w, *who, &mut failures).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn nothing_reaches_a_viewer_that_it_may_not_read_with_every_switch_on() {
    walk(
        Switches {
            management: true,
            independent_access: true,
        },
        &EVERYONE,
    )
    .await;
}

#[tokio::test]
async fn nothing_reaches_a_main_without_independent_access_that_it_may_not_read() {
    walk(
        Switches {
            management: true,
            independent_access: false,
        },
        &[Who::Main],
    )
    .await;
}

#[tokio::test]
async fn nothing_reaches_a_main_without_management_or_its_sub_account_that_they_may_not_read() {
    walk(
        Switches {
            management: false,
            independent_access: true,
        },
        &[Who::Main, Who::Aggregated],
    )
    .await;
}
