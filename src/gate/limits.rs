//! Per-operation limits, checked before any resolver runs: depth, complexity (connections
//! priced as `first × child`), directives (by async-graphql), and aliases and root fields
//! (counted here on the parsed document). Customers and admins have separate limits.

use async_graphql::{
    Name, Variables,
    parser::types::{ExecutableDocument, Field, Selection, SelectionSet},
};

use crate::graphql::connection::page_cost;

/// One role's limits (CONVENTIONS.md).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
    pub aliases: usize,
    pub root_fields: usize,
    pub directives: usize,
}

pub const CUSTOMER: Limits = Limits {
    depth: 12,
    complexity: 10_000,
    aliases: 15,
    root_fields: 10,
    directives: 5,
};
pub const ADMIN: Limits = Limits {
    depth: 15,
    complexity: 50_000,
    aliases: 30,
    root_fields: 20,
    directives: 5,
};

fn aliases_in(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + aliases_in(&f.node.selection_set.node)
            }
            Selection::InlineFragment(i) => aliases_in(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Root fields of a selection set, following fragments (each fragment once, no cycles).
fn root_fields_in(doc: &ExecutableDocument, set: &SelectionSet, seen: &mut Vec<String>) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(i) => root_fields_in(doc, &i.node.selection_set.node, seen),
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.to_string();
                if seen.contains(&name) {
                    return 0;
                }
                seen.push(name.clone());
                doc.fragments
                    .get(s.node.fragment_name.node.as_str())
                    .map(|f| root_fields_in(doc, &f.node.selection_set.node, seen))
                    .unwrap_or(0)
            }
        })
        .sum()
}

/// The depth a schema query may reach: graphql-js's and GraphiQL's standard introspection
/// query follows `ofType` nine levels under `types { fields { args { type } } }`.
pub const INTROSPECTION_DEPTH: usize = 20;

/// Introspection lists that grow with the schema; a schema query nests at most
/// [`SCHEMA_LISTS`] of them on any path (the standard query: `types { fields { args } } }`),
/// so its answer is bounded by the schema's size, not by how the caller nests it.
const SCHEMA_LIST_FIELDS: [&str; 8] = [
    "types",
    "fields",
    "inputFields",
    "args",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "directives",
];
const SCHEMA_LISTS: usize = 3;

/// The fields of a set, fragments followed (each at most [`MAX_SPREADS`] deep), each with
/// how many spreads deep it was found (its own selections are read from there on).
fn fields_of<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    spreads: usize,
) -> Vec<(&'a Field, usize)> {
    let mut out = Vec::new();
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push((&f.node, spreads)),
            Selection::InlineFragment(i) => {
                out.extend(fields_of(doc, &i.node.selection_set.node, spreads))
            }
            Selection::FragmentSpread(s) if spreads < MAX_SPREADS => {
                if let Some(f) = doc.fragments.get(s.node.fragment_name.node.as_str()) {
                    out.extend(fields_of(doc, &f.node.selection_set.node, spreads + 1));
                }
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    out
}

/// Whether every operation of the document asks only the schema (`__schema`, `__type`,
/// `__typename` at its root): such a document is held to the schema's bounds
/// ([`check_introspection`]) rather than to the caller's depth.
pub fn introspection_only(doc: &ExecutableDocument) -> bool {
    doc.operations.iter().all(|(_, op)| {
        fields_of(doc, &op.node.selection_set.node, 0)
            .iter()
            .all(|(f, _)| f.name.node.starts_with("__"))
    })
}

/// The deepest path of a selection set and the most schema lists nested on one path.
fn introspection_shape(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    spreads: usize,
) -> (usize, usize) {
    fields_of(doc, set, spreads)
        .into_iter()
        .map(|(f, spreads)| {
            let (depth, lists) = introspection_shape(doc, &f.selection_set.node, spreads);
            let own = usize::from(SCHEMA_LIST_FIELDS.contains(&f.name.node.as_str()));
            (depth + 1, lists + own)
        })
        .fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)))
}

/// A schema query's bounds: depth at most [`INTROSPECTION_DEPTH`], schema lists nested at
/// most [`SCHEMA_LISTS`] deep.
pub fn check_introspection(doc: &ExecutableDocument) -> Result<(), String> {
    for (_, op) in doc.operations.iter() {
        let (depth, lists) = introspection_shape(doc, &op.node.selection_set.node, 0);
        if depth > INTROSPECTION_DEPTH {
            return Err(format!(
                "Query is nested too deep: a schema query may reach depth {INTROSPECTION_DEPTH}"
            ));
        }
        if lists > SCHEMA_LISTS {
            return Err(format!(
                "a schema query nests {lists} of the schema's lists (types, fields, args, ...); \
                 at most {SCHEMA_LISTS} are allowed"
            ));
        }
    }
    Ok(())
}

/// Which limit a document breaks, if any (aliases and root fields; the schema checks the
/// rest; a schema query also its own bounds).
pub fn check(doc: &ExecutableDocument, limits: &Limits) -> Result<(), String> {
    if introspection_only(doc) {
        check_introspection(doc)?;
    }
    let aliases: usize = doc
        .operations
        .iter()
        .map(|(_, op)| aliases_in(&op.node.selection_set.node))
        .sum::<usize>()
        + doc
            .fragments
            .values()
            .map(|f| aliases_in(&f.node.selection_set.node))
            .sum::<usize>();
    if aliases > limits.aliases {
        return Err(format!(
            "the operation uses {aliases} aliases; at most {} are allowed",
            limits.aliases
        ));
    }
    for (_, op) in doc.operations.iter() {
        let roots = root_fields_in(doc, &op.node.selection_set.node, &mut Vec::new());
        if roots > limits.root_fields {
            return Err(format!(
                "the operation selects {roots} root fields; at most {} are allowed",
                limits.root_fields
            ));
        }
    }
    Ok(())
}

/// How deep fragment spreads are followed when pricing (cycles are invalid anyway and are
/// refused by validation; this only bounds the walk).
const MAX_SPREADS: usize = 32;

/// A page size argument, literal or from a variable.
fn page_arg(field: &Field, name: &str, variables: &Variables) -> Option<i32> {
    let (_, value) = field
        .arguments
        .iter()
        .find(|(n, _)| n.node.as_str() == name)?;
    let value = value
        .node
        .clone()
        .into_const_with(|var: Name| variables.get(&var).cloned().ok_or(()))
        .ok()?;
    match value {
        async_graphql::Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        _ => None,
    }
}

fn set_cost(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    variables: &Variables,
    spreads: usize,
) -> usize {
    fields_of(doc, set, spreads)
        .into_iter()
        .map(|(field, spreads)| {
            let children = set_cost(doc, &field.selection_set.node, variables, spreads);
            let first = page_arg(field, "first", variables);
            let last = page_arg(field, "last", variables);
            let connection = first.is_some()
                || last.is_some()
                || field.selection_set.node.items.iter().any(|i| {
                    matches!(&i.node, Selection::Field(c)
                        if matches!(c.node.name.node.as_str(), "nodes" | "edges"))
                });
            if connection {
                page_cost(first, last, children)
            } else {
                children.saturating_add(1)
            }
        })
        .fold(0, usize::saturating_add)
}

/// What an operation costs the subject's rate-limit budget: one per field, and a connection
/// its page size × its selection + 1, as `connection::page_cost` prices it for the
/// complexity limit. Computed here on the parsed document, so that execution needs no
/// extension (an extension makes async-graphql look every field up in the registry).
pub fn cost(doc: &ExecutableDocument, operation: Option<&str>, variables: &Variables) -> usize {
    let op = match operation {
        Some(name) => doc
            .operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| op),
        None => doc.operations.iter().next().map(|(_, op)| op),
    };
    op.map(|op| set_cost(doc, &op.node.selection_set.node, variables, 0))
        .unwrap_or(0)
}

/// Whether a page size (`first`, `last`) anywhere in the document is given by a variable:
/// otherwise its operations' [`cost`]s do not depend on the request's variables.
pub fn cost_varies(doc: &ExecutableDocument) -> bool {
    fn set_varies(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                f.node.arguments.iter().any(|(name, value)| {
                    matches!(name.node.as_str(), "first" | "last")
                        && value.node.clone().into_const().is_none()
                }) || set_varies(&f.node.selection_set.node)
            }
            Selection::InlineFragment(i) => set_varies(&i.node.selection_set.node),
            // The fragment's own selection is walked below.
            Selection::FragmentSpread(_) => false,
        })
    }
    doc.operations
        .iter()
        .any(|(_, op)| set_varies(&op.node.selection_set.node))
        || doc
            .fragments
            .values()
            .any(|f| set_varies(&f.node.selection_set.node))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost_of(query: &str, variables: serde_json::Value) -> usize {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        cost(&doc, None, &Variables::from_json(variables))
    }

    #[test]
    fn connections_cost_their_page_size_times_their_rows() {
        // subAccounts(first: 50) { nodes { id services(first: 10) { nodes { id } } } }:
        // services = 10 × (nodes 1 + id 1) + 1 = 21; a row = id 1 + 21 = 22; nodes = 22 + 1;
        // subAccounts = 50 × 23 + 1 = 1151; viewer and account add one each.
        let q = "{ viewer { account { subAccounts(first: 50) { nodes { id services(first: 10) { nodes { id } } } } } } }";
        assert_eq!(cost_of(q, serde_json::json!({})), 1153);
        let with_var = "query($n: Int) { viewer { account { subAccounts(first: $n) { nodes { id services(first: 10) { nodes { id } } } } } } }";
        assert_eq!(cost_of(with_var, serde_json::json!({ "n": 50 })), 1153);
        // No page size: the default (20); fragments count like inline fields.
        let frag = "{ viewer { account { ...F } } } fragment F on Account { subAccounts { nodes { id } } }";
        assert_eq!(cost_of(frag, serde_json::json!({})), 2 + 20 * 2 + 1);
    }

    #[test]
    fn a_cost_varies_only_with_a_page_size_given_by_a_variable() {
        let varies = |q: &str| cost_varies(&async_graphql::parser::parse_query(q).expect("parses"));
        assert!(!varies(
            "{ viewer { account { subAccounts(first: 50) { nodes { id } } } } }"
        ));
        assert!(!varies("query($id: ID!) { node(id: $id) { id } }"));
        assert!(varies(
            "query($n: Int) { viewer { account { subAccounts(last: $n) { nodes { id } } } } }"
        ));
        assert!(varies(
            "query($n: Int) { viewer { account { ...F } } } fragment F on Account { services(first: $n) { nodes { id } } }"
        ));
        assert!(varies(
            "query($n: Int) { viewer { account { ... on Account { services(first: $n) { nodes { id } } } } } }"
        ));
    }
}
