//! Answers in the document's order. async-graphql inserts each field of an object as its
//! future completes, so a field that waited for a batch comes after the ones that did not;
//! GraphQL orders a response map as the selection set does (CollectFields). This puts the
//! keys of every object back in the order the document asks for them, and the errors in the
//! order their paths appear in the answer: the same answer, byte for byte, however the
//! executor interleaved the fields (and the same as a compiled plan writes it).

use async_graphql::indexmap::IndexMap;
use async_graphql::{
    Name, PathSegment, ServerError, Value,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

/// How deep fragments are followed (the limits stop deeper documents before they run).
const MAX_DEPTH: usize = 64;

/// The operation's top selection set.
fn operation<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a SelectionSet> {
    let op = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n)?,
        (DocumentOperations::Multiple(ops), None) => ops.values().next()?,
    };
    Some(&op.node.selection_set.node)
}

/// The response keys an object's selection sets ask for, first occurrence first, each with
/// the selection sets of its sub-fields (fragments followed whatever their type condition:
/// the keys an object holds are a subset, and their relative order is the same).
fn collect<'a>(
    doc: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
) -> IndexMap<&'a str, Vec<&'a SelectionSet>> {
    fn walk<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        out: &mut IndexMap<&'a str, Vec<&'a SelectionSet>>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let subs = out.entry(f.node.response_key().node.as_str()).or_default();
                    if !f.node.selection_set.node.items.is_empty() {
                        subs.push(&f.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(f) => {
                    walk(doc, &f.node.selection_set.node, out, depth + 1)
                }
                Selection::FragmentSpread(s) => {
                    if let Some(f) = doc.fragments.get(&s.node.fragment_name.node) {
                        walk(doc, &f.node.selection_set.node, out, depth + 1);
                    }
                }
            }
        }
    }
    let mut out = IndexMap::new();
    for set in sets {
        walk(doc, set, &mut out, 0);
    }
    out
}

/// Puts `data` in the order of the operation's selection sets, then sorts `errors` by where
/// their paths fall in it.
pub fn in_document_order(
    data: &mut Value,
    errors: &mut [ServerError],
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    let Some(top) = operation(doc, operation_name) else {
        return;
    };
    order(doc, std::slice::from_mut(data), &[top]);
    sort_errors(errors, data);
}

/// Orders the objects in `values` (the same selection sets apply to each: one object, or
/// the items of a list), then their children, one key at a time across all of them.
fn order(doc: &ExecutableDocument, values: &mut [Value], sets: &[&SelectionSet]) {
    let mut objects: Vec<&mut IndexMap<Name, Value>> = Vec::new();
    let mut stack: Vec<&mut Value> = values.iter_mut().collect();
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => objects.push(map),
            Value::List(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    if objects.is_empty() {
        return;
    }
    let fields = collect(doc, sets);
    for map in objects.iter_mut() {
        let mut ordered = IndexMap::with_capacity(map.len());
        for key in fields.keys() {
            if let Some((name, value)) = map.swap_remove_entry(*key) {
                ordered.insert(name, value);
            }
        }
        // Nothing else should be there; whatever is keeps its place at the end.
        ordered.extend(map.drain(..));
        **map = ordered;
    }
    for (key, subs) in &fields {
        if subs.is_empty() {
            continue;
        }
        let mut children: Vec<Value> = Vec::new();
        // Take each object's child out, order them all together, put them back.
        for map in objects.iter_mut() {
            if let Some(child) = map.get_mut(*key) {
                children.push(std::mem::take(child));
            }
        }
        order(doc, &mut children, subs);
        let mut children = children.into_iter();
        for map in objects.iter_mut() {
            if let Some(child) = map.get_mut(*key)
                && let Some(value) = children.next()
            {
                *child = value;
            }
        }
    }
}

/// Where a path falls in the answer: the position of each key in its object, or the index.
/// A path that leaves the answer (under a null) ends there.
fn position(path: &[PathSegment], data: &Value) -> Vec<usize> {
    let mut out = Vec::with_capacity(path.len());
    let mut at = Some(data);
    for segment in path {
        let (index, next) = match (segment, at) {
            (PathSegment::Field(name), Some(Value::Object(map))) => {
                match map.get_full(name.as_str()) {
                    Some((i, _, v)) => (i, Some(v)),
                    None => (usize::MAX, None),
                }
            }
            (PathSegment::Index(i), Some(Value::List(items))) => (*i, items.get(*i)),
            (PathSegment::Index(i), _) => (*i, None),
            (PathSegment::Field(_), _) => (usize::MAX, None),
        };
        out.push(index);
        at = next;
    }
    out
}

/// Errors in the order of their places in the answer (errors without a path first).
fn sort_errors(errors: &mut [ServerError], data: &Value) {
    if errors.len() < 2 {
        return;
    }
    let mut keyed: Vec<(Vec<usize>, ServerError)> = errors
        .iter_mut()
        .map(|e| {
            (
                position(&e.path, data),
                std::mem::replace(e, ServerError::new("", None)),
            )
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    for (slot, (_, e)) in errors.iter_mut().zip(keyed) {
        *slot = e;
    }
}
