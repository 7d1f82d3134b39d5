//! Per-operation limits, checked before any resolver runs: depth, complexity (connections
//! priced as `first × child`), directives (by async-graphql), and aliases and root fields
//! (counted here on the parsed document). Customers and admins have separate limits.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

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

/// Which limit a document breaks, if any (aliases and root fields; the schema checks the rest).
pub fn check(doc: &ExecutableDocument, limits: &Limits) -> Result<(), String> {
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
