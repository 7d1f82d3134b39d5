//! Operations a process has seen, prepared once: what portals and apps send is the same
//! handful of documents over and over, so each is parsed, checked against each role's
//! limits, and validated once (bounded LRU, keyed by the SHA-256 of its text, and found by
//! its text without hashing it again: SHA-256 of a page's query was 5% of a small
//! request's instructions, `bench/ANALYSIS.md`). A document
//! validated for a role runs with async-graphql's fast validation from then on (complexity
//! and depth are still computed per request: they depend on the variables). Variable values
//! are still checked per request: a query whose variables do not fit is a request error.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};

use super::limits::{self, Limits};
use crate::plan::Plan;

/// The roles whose limits differ (and whose schemas differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    fn index(self) -> usize {
        self as usize
    }

    pub fn limits(self) -> &'static Limits {
        match self {
            Role::Customer => &limits::CUSTOMER,
            Role::Admin => &limits::ADMIN,
        }
    }
}

/// One document, parsed, with what is known of it per role.
pub struct Prepared {
    pub hash: String,
    pub doc: ExecutableDocument,
    limits: [OnceLock<Result<(), String>>; 2],
    validated: [AtomicBool; 2],
    /// Its operation compiled (`crate::plan`), for any role; none for a document the
    /// catalogue does not know.
    plan: OnceLock<Option<Arc<Plan>>>,
    /// Its one operation's cost, when no variable sets a page size in it
    /// ([`limits::cost_varies`]).
    cost: OnceLock<Option<usize>>,
}

impl Prepared {
    fn new(hash: String, doc: ExecutableDocument) -> Self {
        Self {
            hash,
            doc,
            limits: [OnceLock::new(), OnceLock::new()],
            validated: [AtomicBool::new(false), AtomicBool::new(false)],
            plan: OnceLock::new(),
            cost: OnceLock::new(),
        }
    }

    /// What running `operation` with `variables` costs ([`limits::cost`]), computed once for
    /// a document of one operation whose page sizes are all written in it.
    pub fn cost(&self, operation: Option<&str>, variables: &async_graphql::Variables) -> usize {
        let fixed = self.cost.get_or_init(|| {
            (self.single() && !limits::cost_varies(&self.doc))
                .then(|| limits::cost(&self.doc, None, &async_graphql::Variables::default()))
        });
        // The operation named is the document's one (another name costs what it did).
        let named = |name| {
            self.doc
                .operations
                .iter()
                .any(|(n, _)| n.is_some_and(|n| n.as_str() == name))
        };
        match fixed {
            Some(cost) if operation.is_none_or(named) => *cost,
            _ => limits::cost(&self.doc, operation, variables),
        }
    }

    /// Whether the document holds one operation.
    fn single(&self) -> bool {
        match &self.doc.operations {
            DocumentOperations::Single(_) => true,
            DocumentOperations::Multiple(ops) => ops.len() == 1,
        }
    }

    /// The compiled plan of a document of one operation, compiled the first time it is
    /// asked for (documents of several operations have none).
    pub fn plan(&self, name: Option<&str>) -> Option<Arc<Plan>> {
        if !self.single() {
            return None;
        }
        self.plan
            .get_or_init(|| crate::plan::compile(&self.doc, name).map(Arc::new))
            .clone()
    }

    /// The document against the role's limits (depth, aliases, root fields, directives),
    /// computed once.
    pub fn limits(&self, role: Role) -> &Result<(), String> {
        self.limits[role.index()].get_or_init(|| limits::check(&self.doc, role.limits()))
    }

    /// Whether the document asks only the schema (`limits::introspection_only`).
    pub fn introspection_only(&self) -> bool {
        limits::introspection_only(&self.doc)
    }

    /// Whether the document passed full validation for the role once already.
    pub fn validated(&self, role: Role) -> bool {
        self.validated[role.index()].load(Ordering::Acquire)
    }

    pub fn mark_validated(&self, role: Role) {
        self.validated[role.index()].store(true, Ordering::Release);
    }

    /// The type of the operation the request names (or the only one).
    pub fn operation_type(&self, name: Option<&str>) -> Option<OperationType> {
        match (&self.doc.operations, name) {
            (DocumentOperations::Single(op), _) => Some(op.node.ty),
            (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n).map(|op| op.node.ty),
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                ops.values().next().map(|op| op.node.ty)
            }
            _ => None,
        }
    }

    fn operation(
        &self,
        name: Option<&str>,
    ) -> Option<&async_graphql::Positioned<async_graphql::parser::types::OperationDefinition>> {
        match (&self.doc.operations, name) {
            (DocumentOperations::Single(op), _) => Some(op),
            (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n),
            (DocumentOperations::Multiple(ops), None) => ops.values().next(),
        }
    }

    /// The root fields an operation selects (through fragments too), by name.
    pub fn root_fields(&self, name: Option<&str>) -> Vec<String> {
        use async_graphql::parser::types::{Selection, SelectionSet};
        fn walk(doc: &ExecutableDocument, set: &SelectionSet, out: &mut Vec<String>, depth: u8) {
            if depth > 16 {
                return;
            }
            for item in &set.items {
                match &item.node {
                    Selection::Field(f) => out.push(f.node.name.node.to_string()),
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
        let mut out = Vec::new();
        if let Some(op) = self.operation(name) {
            walk(&self.doc, &op.node.selection_set.node, &mut out, 0);
        }
        out
    }

    /// The variables an operation requires (non-null, without a default) that the request
    /// leaves out or sends as null: a request error, before anything runs.
    pub fn missing_variables(
        &self,
        name: Option<&str>,
        variables: &async_graphql::Variables,
    ) -> Vec<String> {
        let Some(op) = self.operation(name) else {
            return Vec::new();
        };
        op.node
            .variable_definitions
            .iter()
            .filter(|v| !v.node.var_type.node.nullable && v.node.default_value.is_none())
            .filter(|v| {
                variables
                    .get(&v.node.name.node)
                    .is_none_or(|value| *value == async_graphql::Value::Null)
            })
            .map(|v| v.node.name.node.to_string())
            .collect()
    }
}

/// The SHA-256 of a document's text, as lowercase hex (also a trusted document's id).
pub fn hash_of(text: &str) -> String {
    crate::domain::document::sha256_hex(text.as_bytes())
}

struct Slot {
    prepared: Arc<Prepared>,
    /// The text it was prepared from (its key in [`Slots::by_text`]), when it is kept.
    text: Option<Arc<str>>,
    used: u64,
}

/// The longest text kept to find its document by: a longer one is hashed at every request
/// (its parse and validation are still kept), so the texts kept stay within a few MiB
/// however large the documents sent (up to the body limit) are.
const TEXT_KEPT: usize = 8 * 1024;

/// The documents kept, by hash, and each one's hash by its text.
#[derive(Default)]
struct Slots {
    by_hash: HashMap<String, Slot>,
    by_text: crate::Map<Arc<str>, String>,
}

/// The per-process cache.
pub struct PreparedCache {
    capacity: usize,
    slots: Mutex<Slots>,
    clock: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl PreparedCache {
    /// A cache of at most `capacity` documents; 0 prepares every request afresh.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            slots: Mutex::default(),
            clock: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The prepared document of `text`, parsed now if it was not seen (or was evicted).
    pub fn prepare(&self, text: &str) -> Result<Arc<Prepared>, async_graphql::parser::Error> {
        {
            let mut slots = crate::lock(&self.slots);
            let known = slots.by_text.get(text).cloned();
            if let Some(found) = known.and_then(|hash| self.used(&mut slots, &hash)) {
                return Ok(found);
            }
        }
        let hash = hash_of(text);
        if let Some(found) = self.get(&hash) {
            return Ok(found);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let doc = async_graphql::parser::parse_query(text)?;
        let prepared = Arc::new(Prepared::new(hash, doc));
        self.insert(prepared.clone(), text);
        Ok(prepared)
    }

    /// A document already prepared, by its hash.
    pub fn get(&self, hash: &str) -> Option<Arc<Prepared>> {
        self.used(&mut crate::lock(&self.slots), hash)
    }

    /// The document kept under `hash`, now its most recently used.
    fn used(&self, slots: &mut Slots, hash: &str) -> Option<Arc<Prepared>> {
        let slot = slots.by_hash.get_mut(hash)?;
        slot.used = self.clock.fetch_add(1, Ordering::Relaxed);
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(slot.prepared.clone())
    }

    fn insert(&self, prepared: Arc<Prepared>, text: &str) {
        if self.capacity == 0 {
            return;
        }
        let mut slots = crate::lock(&self.slots);
        if slots.by_hash.len() >= self.capacity
            && let Some(oldest) = slots
                .by_hash
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone())
            && let Some(gone) = slots.by_hash.remove(&oldest)
            && let Some(text) = gone.text
        {
            // Rare (the set of documents in use is small): a scan beats a linked list.
            slots.by_text.remove(&text);
        }
        let used = self.clock.fetch_add(1, Ordering::Relaxed);
        let text = (text.len() <= TEXT_KEPT).then(|| Arc::<str>::from(text));
        if let Some(text) = &text {
            slots.by_text.insert(text.clone(), prepared.hash.clone());
        }
        // A text prepared twice at once (two requests): the later replaces the earlier,
        // under the same hash and text.
        slots.by_hash.insert(
            prepared.hash.clone(),
            Slot {
                prepared,
                text,
                used,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.slots.lock().map(|s| s.by_hash.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_the_least_recently_used_goes_first() {
        let cache = PreparedCache::new(2);
        let a = cache.prepare("{ a }").expect("parses");
        assert!(Arc::ptr_eq(&a, &cache.prepare("{ a }").expect("cached")));
        cache.prepare("{ b }").expect("parses");
        cache.prepare("{ a }").expect("cached");
        cache.prepare("{ c }").expect("parses");
        assert_eq!(cache.len(), 2);
        assert!(
            cache.get(&hash_of("{ b }")).is_none(),
            "b was least recently used"
        );
        assert!(cache.get(&hash_of("{ a }")).is_some());
        assert!(cache.prepare("{ a").is_err(), "a parse error is not cached");
        // Found by its text, an evicted document is parsed again, and its text forgotten.
        assert_eq!(crate::lock(&cache.slots).by_text.len(), 2);
        let misses = cache.misses.load(Ordering::Relaxed);
        cache.prepare("{ a }").expect("cached");
        assert_eq!(cache.misses.load(Ordering::Relaxed), misses);
        cache.prepare("{ b }").expect("parses");
        assert_eq!(cache.misses.load(Ordering::Relaxed), misses + 1);
        let slots = crate::lock(&cache.slots);
        assert_eq!(slots.by_text.len(), 2);
        assert!(!slots.by_text.contains_key("{ c }"), "c was evicted");
        drop(slots);
        // A long text is kept by its hash only, and still parsed once.
        let long = format!("{{ a {} }}", " ".repeat(TEXT_KEPT));
        let first = cache.prepare(&long).expect("parses");
        assert!(Arc::ptr_eq(&first, &cache.prepare(&long).expect("cached")));
        assert!(
            !crate::lock(&cache.slots)
                .by_text
                .contains_key(long.as_str())
        );
    }

    #[test]
    fn required_variables_left_out_are_found_before_anything_runs() {
        let cache = PreparedCache::new(4);
        let p = cache
            .prepare("query($id: ID!, $n: Int, $d: Int! = 3) { node(id: $id) { id } }")
            .expect("parses");
        let vars = |v: serde_json::Value| async_graphql::Variables::from_json(v);
        assert_eq!(
            p.missing_variables(None, &vars(serde_json::json!({}))),
            ["id"]
        );
        assert_eq!(
            p.missing_variables(None, &vars(serde_json::json!({ "id": null }))),
            ["id"]
        );
        assert!(
            p.missing_variables(None, &vars(serde_json::json!({ "id": "x" })))
                .is_empty()
        );
    }
}
