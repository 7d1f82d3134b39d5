//! Walking the schema by introspection: the fields of a type with arguments a test can fill
//! in, one query that asks all of them of an object, and what each answered (data,
//! `FORBIDDEN` with the missing permission, `NOT_FOUND`). Tests built on it cover a field
//! added tomorrow without being edited.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::TestApp;

const TYPE_REF: &str =
    "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// The schema as introspection tells it.
pub struct Schema {
    types: BTreeMap<String, Value>,
}

impl Schema {
    pub async fn load(app: &TestApp) -> Schema {
        let query = format!(
            "{{ __schema {{ types {{ name kind fields(includeDeprecated: true) {{ name args {{ name defaultValue type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} inputFields {{ name defaultValue type {{ {TYPE_REF} }} }} enumValues {{ name }} }} }} }}"
        );
        let data = app.ok(&query, json!({}), Some(app.admin())).await;
        let types = data["__schema"]["types"]
            .as_array()
            .expect("types")
            .iter()
            .map(|t| (t["name"].as_str().expect("name").to_string(), t.clone()))
            .collect();
        Schema { types }
    }

    /// The fields of an object type.
    pub fn fields(&self, ty: &str) -> Vec<Value> {
        self.types[ty]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("{ty} has fields"))
            .clone()
    }

    pub fn field_names(&self, ty: &str) -> Vec<String> {
        self.fields(ty)
            .iter()
            .map(|f| f["name"].as_str().expect("name").to_string())
            .collect()
    }

    /// The innermost named type of a type reference.
    pub fn named(ty: &Value) -> (&str, &str) {
        match ty["ofType"].is_object() {
            true => Self::named(&ty["ofType"]),
            false => (
                ty["kind"].as_str().unwrap_or(""),
                ty["name"].as_str().unwrap_or(""),
            ),
        }
    }

    /// A value for a required argument or input field, by its type: dates a month apart
    /// (`from` before `to`), the first enum value, small numbers, and input objects filled
    /// the same way. `None` for a type the walk cannot make up (an upload).
    pub fn sample(&self, name: &str, ty: &Value) -> Option<Value> {
        if ty["kind"] == "NON_NULL" {
            return self.sample(name, &ty["ofType"]);
        }
        if ty["kind"] == "LIST" {
            return Some(json!([self.sample(name, &ty["ofType"])?]));
        }
        let type_name = ty["name"].as_str()?;
        Some(match (ty["kind"].as_str()?, type_name) {
            ("SCALAR", "Date") if name == "to" => json!("2026-12-01"),
            ("SCALAR", "Date") => json!("2026-11-01"),
            ("SCALAR", "DateTime") => json!("2026-11-01T10:00:00Z"),
            ("SCALAR", "Int") => json!(1),
            ("SCALAR", "BigInt") => json!(1),
            ("SCALAR", "Float") => json!(1.0),
            ("SCALAR", "Boolean") => json!(false),
            ("SCALAR", "Decimal") => json!("1.00"),
            ("SCALAR", "ID") => json!(crate::helpers::encode_id("Account", 999_999)),
            ("SCALAR", "String") => json!("probe"),
            ("SCALAR", "JSON") => json!({}),
            ("ENUM", _) => self.types[type_name]["enumValues"][0]["name"].clone(),
            ("INPUT_OBJECT", _) => {
                let mut object = serde_json::Map::new();
                for field in self.types[type_name]["inputFields"].as_array()? {
                    if field["type"]["kind"] == "NON_NULL" && field["defaultValue"].is_null() {
                        let field_name = field["name"].as_str()?;
                        object.insert(
                            field_name.to_string(),
                            self.sample(field_name, &field["type"])?,
                        );
                    }
                }
                Value::Object(object)
            }
            _ => return None,
        })
    }

    /// `name(args) { __typename }` (or just `name(args)` for a leaf): the field asked with
    /// every required argument filled in. `None` when an argument cannot be made up.
    pub fn ask(&self, field: &Value) -> Option<String> {
        let mut args = Vec::new();
        for arg in field["args"].as_array()? {
            if arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null() {
                let name = arg["name"].as_str()?;
                args.push(format!(
                    "{name}: {}",
                    literal(&self.sample(name, &arg["type"])?)
                ));
            }
        }
        let name = field["name"].as_str()?;
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let (kind, _) = Self::named(&field["type"]);
        let selection = if matches!(kind, "OBJECT" | "INTERFACE" | "UNION") {
            " { __typename }"
        } else {
            ""
        };
        Some(format!("{name}{args}{selection}"))
    }
}

/// A JSON value written as a GraphQL literal (enum values unquoted).
pub fn literal(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", literal(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) if s.chars().all(|c| c.is_ascii_uppercase() || c == '_') => s.clone(),
        other => other.to_string(),
    }
}

/// What asking a field (or running a mutation) came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It answered (for a mutation: it passed the policy, whatever its `userErrors` say).
    Data,
    /// `FORBIDDEN`, with the permission that was missing.
    Forbidden(String),
    NotFound,
    /// Refused by a switch (`NOT_ALLOWED_BY_SETTINGS` in `userErrors`).
    Settings,
    Other(String),
}

impl Outcome {
    fn of_error(e: &Value) -> Outcome {
        match e["extensions"]["code"].as_str() {
            Some("FORBIDDEN") => Outcome::Forbidden(
                e["extensions"]["action"]
                    .as_str()
                    .unwrap_or("<no action>")
                    .to_string(),
            ),
            Some("NOT_FOUND") => Outcome::NotFound,
            other => Outcome::Other(format!("{other:?}: {}", e["message"])),
        }
    }
}

/// Asks every field of an object (reached by `node(id)`) in one query; the outcome of each
/// field, by name, read from the errors' paths. A refusal of the object itself is the
/// outcome of every field.
pub async fn ask_all(
    app: &TestApp,
    schema: &Schema,
    ty: &str,
    id: &str,
    token: &str,
    skip: &[&str],
) -> BTreeMap<String, Outcome> {
    let fields: Vec<(String, String)> = schema
        .fields(ty)
        .iter()
        .filter(|f| !skip.contains(&f["name"].as_str().unwrap_or("")))
        .map(|f| {
            let name = f["name"].as_str().expect("name").to_string();
            let asked = schema.ask(f).unwrap_or_else(|| {
                panic!("{ty}.{name}: no argument values; list it with a reason")
            });
            (name, asked)
        })
        .collect();
    let selection: Vec<&str> = fields.iter().map(|(_, a)| a.as_str()).collect();
    let query = format!(
        "query($id: ID!) {{ node(id: $id) {{ ... on {ty} {{ {} }} }} }}",
        selection.join(" ")
    );
    let (_, body) = app.graphql(&query, json!({ "id": id }), Some(token)).await;
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    let whole = errors
        .iter()
        .find(|e| e["path"].as_array().is_some_and(|p| p.len() == 1));
    fields
        .into_iter()
        .map(|(name, _)| {
            let outcome = if let Some(e) = whole {
                Outcome::of_error(e)
            } else {
                errors
                    .iter()
                    .find(|e| e["path"].get(1).and_then(Value::as_str) == Some(name.as_str()))
                    .map(Outcome::of_error)
                    .unwrap_or(Outcome::Data)
            };
            (name, outcome)
        })
        .collect()
}

/// A type reference written as GraphQL, e.g. `ServiceIdInput!`.
fn type_string(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_string(&ty["ofType"])),
        Some("LIST") => format!("[{}]", type_string(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap_or("").to_string(),
    }
}

impl Schema {
    /// Runs one mutation with `input`; what came of it, and its `userErrors`.
    pub async fn run(
        &self,
        app: &TestApp,
        mutation: &str,
        input: Value,
        token: &str,
    ) -> (Outcome, Value) {
        let field = self
            .fields("Mutation")
            .into_iter()
            .find(|f| f["name"] == mutation)
            .unwrap_or_else(|| panic!("no mutation {mutation}"));
        let arg = field["args"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["name"] == "input"))
            .unwrap_or_else(|| panic!("{mutation} takes one input"))
            .clone();
        let (_, payload) = Self::named(&field["type"]);
        let user_errors = self.field_names(payload).iter().any(|f| f == "userErrors");
        let selection = if user_errors {
            "__typename userErrors { code field }"
        } else {
            "__typename"
        };
        let query = format!(
            "mutation($input: {}) {{ {mutation}(input: $input) {{ {selection} }} }}",
            type_string(&arg["type"])
        );
        let (_, body) = app
            .graphql(&query, json!({ "input": input }), Some(token))
            .await;
        // Whatever it did, the totals the database keeps still agree with the services.
        let drift = portal_api::domain::service::reconcile(&app.state.db)
            .await
            .expect("reconcile");
        assert!(drift.is_empty(), "{mutation} left totals off: {drift:?}");
        if let Some(e) = body["errors"].get(0) {
            return (Outcome::of_error(e), Value::Null);
        }
        let errors = body["data"][mutation]["userErrors"].clone();
        let settings = errors
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["code"] == "NOT_ALLOWED_BY_SETTINGS"));
        let outcome = if settings {
            Outcome::Settings
        } else {
            Outcome::Data
        };
        (outcome, errors)
    }
}
