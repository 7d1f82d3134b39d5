//! From a document to a plan: the operation's selections flattened per object type
//! (fragments applied by their type conditions, `@skip`/`@include` kept as conditions of the
//! request), every field looked up in the catalogue ([`super::catalog`]). A field, argument,
//! directive or shape the catalogue does not know makes no plan: the resolvers answer.

use async_graphql::{
    Name, Pos, Positioned,
    parser::types::{
        Directive, DocumentOperations, ExecutableDocument, Field as DocField, OperationType,
        Selection, SelectionSet,
    },
};

use async_graphql_value::Value;

use super::catalog::{self, Kind, Ty};
use crate::policy::Action;

/// How deep selections and fragments are followed (the limits refuse deeper documents).
const MAX_DEPTH: usize = 32;

/// An operation compiled: what to load and write, for any viewer.
pub struct Plan {
    pub(super) root: Sel,
    /// The operation's variables with a default value.
    pub(super) defaults: Vec<(Name, async_graphql::Value)>,
    /// How long the last answer written was: the next starts with room for as much, so a
    /// large answer is not copied each time its buffer grows.
    pub(super) written: std::sync::atomic::AtomicUsize,
}

/// The fields selected on one object type, in the order they are answered.
pub(super) struct Sel {
    pub fields: Vec<Field>,
}

/// One field of a selection, under its response key.
pub(super) struct Field {
    pub key: Name,
    pub name: Name,
    pub pos: Pos,
    /// `@skip`/`@include` conditions (all must let it through).
    pub when: Vec<When>,
    /// The capability the viewer needs on the object (a nullable field).
    pub guard: Option<Action>,
    pub kind: Kind,
}

/// A condition of a field, decided per request.
#[derive(Clone, PartialEq)]
pub(super) enum When {
    Skip(Value),
    Include(Value),
}

/// The arguments of a field as written (variables resolved per request).
pub(super) type Args = Vec<(Name, Value)>;

/// Compiles the operation `name` names (or the only one) if it is a query every field of
/// which the catalogue knows.
pub fn compile(doc: &ExecutableDocument, name: Option<&str>) -> Option<Plan> {
    let op = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    if op.node.ty != OperationType::Query || !op.node.directives.is_empty() {
        return None;
    }
    let defaults = op
        .node
        .variable_definitions
        .iter()
        .filter_map(|v| {
            v.node
                .default_value
                .as_ref()
                .map(|d| (v.node.name.node.clone(), d.node.clone()))
        })
        .collect();
    let root = Compiler { doc }.sel(Ty::Query, &op.node.selection_set.node, 0)?;
    Some(Plan {
        root,
        defaults,
        written: Default::default(),
    })
}

pub(super) struct Compiler<'a> {
    doc: &'a ExecutableDocument,
}

impl<'a> Compiler<'a> {
    /// The selection of `set` on objects of type `ty`.
    pub(super) fn sel(&self, ty: Ty, set: &'a SelectionSet, depth: usize) -> Option<Sel> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut found = Vec::new();
        self.gather(ty, set, &[], &mut found, depth)?;
        let mut fields: Vec<Field> = Vec::with_capacity(found.len());
        for (f, when) in found {
            let key = f.node.response_key().node.clone();
            if let Some(seen) = fields.iter().find(|s| s.key == key) {
                // The same leaf asked twice (e.g. `id` in a fragment too) is answered once;
                // anything else asked twice under one key goes to the resolvers.
                let leaf = f.node.selection_set.node.items.is_empty()
                    && f.node.arguments.is_empty()
                    && matches!(seen.kind, Kind::Value(_) | Kind::Typename(_));
                if leaf && seen.name == f.node.name.node && seen.when == when {
                    continue;
                }
                return None;
            }
            fields.push(self.field(ty, f, when, depth)?);
        }
        Some(Sel { fields })
    }

    /// The fields of `set` that apply to `ty`, fragments followed, with their conditions.
    fn gather(
        &self,
        ty: Ty,
        set: &'a SelectionSet,
        when: &[When],
        out: &mut Vec<(&'a Positioned<DocField>, Vec<When>)>,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let mut w = when.to_vec();
                    w.extend(conditions(&f.node.directives)?);
                    out.push((f, w));
                }
                Selection::InlineFragment(frag) => {
                    if let Some(on) = &frag.node.type_condition
                        && !ty.is(&on.node.on.node)
                    {
                        continue;
                    }
                    let mut w = when.to_vec();
                    w.extend(conditions(&frag.node.directives)?);
                    self.gather(ty, &frag.node.selection_set.node, &w, out, depth + 1)?;
                }
                Selection::FragmentSpread(spread) => {
                    let frag = self.doc.fragments.get(&spread.node.fragment_name.node)?;
                    if !frag.node.directives.is_empty() {
                        return None;
                    }
                    if !ty.is(&frag.node.type_condition.node.on.node) {
                        continue;
                    }
                    let mut w = when.to_vec();
                    w.extend(conditions(&spread.node.directives)?);
                    self.gather(ty, &frag.node.selection_set.node, &w, out, depth + 1)?;
                }
            }
        }
        Some(())
    }

    fn field(
        &self,
        ty: Ty,
        f: &'a Positioned<DocField>,
        when: Vec<When>,
        depth: usize,
    ) -> Option<Field> {
        let name = &f.node.name.node;
        let args: Args = f
            .node
            .arguments
            .iter()
            .map(|(n, v)| (n.node.clone(), v.node.clone()))
            .collect();
        let (kind, guard) =
            catalog::field(self, ty, name, args, &f.node.selection_set.node, depth)?;
        Some(Field {
            key: f.node.response_key().node.clone(),
            name: name.clone(),
            pos: f.pos,
            when,
            guard,
            kind,
        })
    }
}

/// `@skip(if:)` and `@include(if:)`; any other directive makes no plan.
fn conditions(directives: &[Positioned<Directive>]) -> Option<Vec<When>> {
    directives
        .iter()
        .map(|d| {
            let value = d.node.get_argument("if")?.node.clone();
            match d.node.name.node.as_str() {
                "skip" if d.node.arguments.len() == 1 => Some(When::Skip(value)),
                "include" if d.node.arguments.len() == 1 => Some(When::Include(value)),
                _ => None,
            }
        })
        .collect()
}
