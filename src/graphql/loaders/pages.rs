//! Nested pages of many parents at once: the key (parent, what narrows the list, page),
//! the filters, and the loaders that read one statement per distinct (filter, page). Every
//! loader reads through the policy's scope for its table (`policy::scope`, for the request's
//! viewer), so a page and its total hold exactly the rows the viewer may open.

use std::{hash::Hash, marker::PhantomData, sync::Arc};

use sea_orm::{
    ColumnTrait, EntityTrait, IdenStatic,
    sea_query::{Condition, Expr, ExprTrait, SimpleExpr},
};

use entity::{
    document,
    enums::{DocumentKind, OrderStatus, ServiceStatus},
    order, service,
};

use crate::{
    Map,
    auth::Viewer,
    db::{
        children::{ByParentRow, KeyKind, Nest, OnParent, OnParentRow, fetch_children},
        page::{Page, PageRequest, Sort},
        reads::Reads,
    },
    error::AppError,
    graphql::batch::Load,
    policy::scope::{self, Deferred},
};

use super::LoadError;

/// The key of a nested page: the parent, what narrows the list, the page asked for, and
/// whether the list's total is wanted (`totalCount` selected: [`PageKey::counted`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey<F> {
    pub parent: i64,
    pub filter: F,
    pub page: PageRequest,
    /// Whether the total is read (otherwise it is 0); keys are built counted and the reader
    /// of the selection says otherwise.
    pub counted: bool,
}

impl<F> PageKey<F> {
    /// The key of `parent`'s list, counted.
    pub fn new(parent: i64, filter: F, page: PageRequest) -> Self {
        Self {
            parent,
            filter,
            page,
            counted: true,
        }
    }

    /// The same list, its total read only if `wanted`.
    pub fn counted(self, wanted: bool) -> Self {
        Self {
            counted: wanted,
            ..self
        }
    }
}

/// What narrows a nested list, as a condition on its rows.
pub trait ChildFilter: Clone + Eq + Hash + Send + Sync + 'static {
    fn condition(&self) -> Condition;
}

impl ChildFilter for () {
    fn condition(&self) -> Condition {
        Condition::all()
    }
}

/// A set of enum values a list keeps (empty keeps all), in a canonical order so that equal
/// sets are one key. At most 100 values, like every input list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnyOf<T>(Vec<T>);

impl<T: Copy + Eq> AnyOf<T> {
    pub fn new(
        values: impl IntoIterator<Item = T>,
        name: impl Fn(&T) -> &'static str,
    ) -> Result<Self, AppError> {
        let mut values =
            crate::domain::validate::Bounded::new(values.into_iter().collect(), "filter values")?
                .into_vec();
        values.sort_by_key(|v| name(v));
        values.dedup();
        Ok(Self(values))
    }

    pub(super) fn on<C: ColumnTrait>(&self, column: C) -> Condition
    where
        T: Into<sea_orm::Value>,
    {
        if self.0.is_empty() {
            Condition::all()
        } else {
            Condition::all().add(column.is_in(self.0.iter().copied()))
        }
    }
}

impl ChildFilter for AnyOf<ServiceStatus> {
    /// The statuses asked for; without any, every service but the `ARCHIVED` ones (ended,
    /// kept for history: shown only when asked for).
    fn condition(&self) -> Condition {
        if self.0.is_empty() {
            Condition::all().add(service::Column::Status.ne(ServiceStatus::Archived))
        } else {
            self.on(service::Column::Status)
        }
    }
}

impl ChildFilter for AnyOf<DocumentKind> {
    fn condition(&self) -> Condition {
        self.on(document::Column::Kind)
    }
}

impl ChildFilter for AnyOf<OrderStatus> {
    fn condition(&self) -> Condition {
        self.on(order::Column::Status)
    }
}

/// The orders a main account pays (or is asked to pay) for its sub-accounts, by status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaidForOthers(pub AnyOf<OrderStatus>);

impl ChildFilter for PaidForOthers {
    fn condition(&self) -> Condition {
        self.0
            .on(order::Column::Status)
            .add(Expr::col(order::Column::AccountId).ne(Expr::col(order::Column::PayerId)))
    }
}

/// Keys that differ only in their parent: one statement for all of them.
type Group<F> = (F, PageRequest, bool);

/// Groups keys by (filter, page, counted) so each distinct request is one statement for all
/// parents.
pub(super) fn group<F: Clone + Eq + Hash>(keys: &[PageKey<F>]) -> Map<Group<F>, Vec<i64>> {
    let mut groups: Map<Group<F>, Vec<i64>> = Map::default();
    for key in keys {
        groups
            .entry((key.filter.clone(), key.page.clone(), key.counted))
            .or_default()
            .push(key.parent);
    }
    groups
}

/// Puts each parent's page of one group into `out` under its key (a parent without rows
/// gets an empty page).
pub(super) fn spread<F: Clone + Eq + Hash, M>(
    out: &mut Map<PageKey<F>, Paged<M>>,
    group: &Group<F>,
    parents: Vec<i64>,
    mut pages: crate::db::children::Pages<M>,
) {
    for parent in parents {
        let value = pages
            .remove(&parent)
            .map_or_else(|| (Page::empty(), 0), |(page, total)| shared(page, total));
        out.insert(key_in(group, parent), value);
    }
}

/// A page as the loaders keep it: each row behind an `Arc`, so that a page handed out
/// again (every `load_one` of a cached key) shares its rows instead of copying them.
pub(super) fn shared<M>(page: Page<M>, total: i64) -> Paged<M> {
    (page.map(Arc::new), total)
}

/// The key of `parent`'s list in a group.
fn key_in<F: Clone>((filter, page, counted): &Group<F>, parent: i64) -> PageKey<F> {
    PageKey {
        parent,
        filter: filter.clone(),
        page: page.clone(),
        counted: *counted,
    }
}

/// A page of rows (shared: [`shared`]) with the list's total under its filter.
pub type Paged<M> = (Page<Arc<M>>, i64);

/// A loader of nested pages that says what list a key asks for as a [`Nest`]: the one
/// definition of the list, whether it is read in a statement of its own (the loader's) or
/// in its parent's statement (a page of sub-accounts: [`SubAccountsLoader::pages`]).
pub trait Nests<F> {
    type Entity: EntityTrait;
    /// The list `key` asks for, its parent left to the statement; `None`: it is read on
    /// its own.
    fn nest(&self, key: &PageKey<F>) -> Option<Nest<Self::Entity>>;

    /// Of `parents`, those whose lists need not check their parent (read in this request
    /// through the scope that check follows: [`Vouched`]), and the others.
    fn vouched(&self, parents: Vec<i64>) -> (Vec<i64>, Vec<i64>) {
        (Vec::new(), parents)
    }

    /// A page of rows this loader read, as it goes to the request's cache.
    fn seen(&self, _page: &Paged<<Self::Entity as EntityTrait>::Model>) {}
}

/// Parents this request read through the scope their lists' check follows (tickets, read
/// through the tickets' scope; a ticket's messages are seen with their ticket:
/// `policy::scope::ticket_messages_of`): a list of theirs is read without checking its
/// parent again, which cost PostgreSQL a ticket and its owner looked up per ticket
/// (bench/ANALYSIS.md). Only the loader reading through that scope vouches
/// ([`Nests::seen`]); a parent reached any other way (a ticket by id) is checked.
/// Forgotten with the loaders' values (a subscription's next event checks afresh).
#[derive(Default)]
pub struct Vouched(std::sync::Mutex<std::collections::HashSet<i64>>);

impl crate::graphql::batch::Forget for Vouched {
    fn forget(&self) {
        crate::lock(&self.0).clear();
    }
}

impl Vouched {
    pub(super) fn add(&self, ids: impl IntoIterator<Item = i64>) {
        crate::lock(&self.0).extend(ids);
    }

    /// Of `parents`, those vouched for, and the others.
    fn split(&self, parents: Vec<i64>) -> (Vec<i64>, Vec<i64>) {
        let vouched = crate::lock(&self.0);
        parents.into_iter().partition(|id| vouched.contains(id))
    }
}

/// Reads each group of `keys` (keys that differ only in their parent) in one statement, the
/// list as `nests` defines it.
pub(super) async fn load_nested<F, L>(
    db: &Reads,
    nests: &L,
    keys: &[PageKey<F>],
) -> Result<Map<PageKey<F>, Paged<<L::Entity as EntityTrait>::Model>>, LoadError>
where
    F: Clone + Eq + Hash,
    L: Nests<F>,
    <L::Entity as EntityTrait>::Model: crate::db::rows::Positional,
{
    let mut out = Map::default();
    for (group, parents) in group(keys) {
        let (vouched, checked) = nests.vouched(parents);
        for (parents, vouched) in [(vouched, true), (checked, false)] {
            if parents.is_empty() {
                continue;
            }
            let Some(mut nest) = nests.nest(&key_in(&group, 0)) else {
                continue;
            };
            if vouched {
                nest.on_parent = None;
            }
            let pages = fetch_children::<L::Entity, _>(db, nest.children(&parents))
                .await
                .map_err(Arc::new)?;
            spread(&mut out, &group, parents, pages);
        }
    }
    for page in out.values() {
        nests.seen(page);
    }
    Ok(out)
}

/// Which rows of a table a list's reader may see ([`policy::scope`](crate::policy::scope)).
pub(super) enum Scope {
    /// A condition on each row.
    Rows(Deferred),
    /// A condition on the rows' parent: the rows are seen with it (a ticket's messages),
    /// so a list of them is decided once per parent, and not at all for a parent this
    /// request read through the scope the condition follows ([`Vouched`]).
    Parent(OnParent, Arc<Vouched>),
    /// A condition on each row that their owning account decides (an account's services):
    /// where the list's parent is that account and its row is in the statement, decided
    /// once on that row ([`ByParentRow`]).
    Owned(OwnedScope),
}

impl Scope {
    /// The scope `build` gives `viewer` as a condition on the parent (its id an
    /// expression), the parents in `vouched` taken as decided.
    pub(super) fn parent(
        viewer: &Arc<Viewer>,
        build: fn(&Viewer, SimpleExpr) -> Condition,
        vouched: &Arc<Vouched>,
    ) -> Self {
        let viewer = viewer.clone();
        let on = OnParent(Arc::new(move |parent| build(&viewer, parent)));
        Self::Parent(on, vouched.clone())
    }

    /// The scope of `owned`'s rows for `viewer` ([`Scope::Owned`]).
    pub(super) fn owned(viewer: &Arc<Viewer>, owned: scope::Owned) -> Self {
        Self::Owned(OwnedScope::of(viewer, owned))
    }
}

/// The scope of a table whose rows are seen with their owning account
/// ([`scope::Owned`]), for a viewer.
pub struct OwnedScope {
    rows: Deferred,
    viewer: Arc<Viewer>,
    owned: scope::Owned,
}

impl OwnedScope {
    pub(super) fn of(viewer: &Arc<Viewer>, owned: scope::Owned) -> Self {
        Self {
            rows: Deferred::of(viewer, owned.rows()),
            viewer: viewer.clone(),
            owned,
        }
    }

    /// As a condition on each row.
    pub(super) fn rows(&self) -> Condition {
        self.rows.condition()
    }

    /// As [`ByParentRow`] says, for a list of `E` by `parent`; `None` where `parent` is not
    /// the rows' owner (the owner's row is not the parent's then).
    pub(super) fn by_parent_row<E: EntityTrait>(&self, parent: E::Column) -> Option<ByParentRow>
    where
        E::Column: IdenStatic,
    {
        if (E::default().table_name(), parent.as_str()) != self.owned.owner() {
            return None;
        }
        let (viewer, owned) = (self.viewer.clone(), self.owned);
        Some(ByParentRow {
            rows: self.rows(),
            on_row: OnParentRow(Arc::new(move |row: &'static str| {
                owned.on_owner(&viewer, row)
            })),
        })
    }
}

impl From<Deferred> for Scope {
    fn from(scope: Deferred) -> Self {
        Scope::Rows(scope)
    }
}

/// Pages of the children of many parents: one statement per distinct (filter, page), within
/// the viewer's `scope` of the table, in id order or by a column (then id).
pub struct PagesOf<E: EntityTrait, F> {
    db: Reads,
    parent: E::Column,
    descending: bool,
    scope: Scope,
    /// The column the list is sorted by before the id, and how its cursor reads it.
    key: Option<(E::Column, KeyKind)>,
    filter: PhantomData<F>,
}

impl<E: EntityTrait, F> PagesOf<E, F> {
    pub(super) fn new(
        db: &Reads,
        parent: E::Column,
        descending: bool,
        scope: impl Into<Scope>,
    ) -> Self {
        Self {
            db: db.clone(),
            parent,
            descending,
            scope: scope.into(),
            key: None,
            filter: PhantomData,
        }
    }

    /// Sorted by `column` (then id), e.g. a usage record's start time.
    pub(super) fn sorted_by(mut self, column: E::Column, kind: KeyKind) -> Self {
        self.key = Some((column, kind));
        self
    }
}

impl<E, F> Load<PageKey<F>> for PagesOf<E, F>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: crate::db::rows::Positional + Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
    F: ChildFilter,
{
    type Value = Paged<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[PageKey<F>]) -> Result<Map<PageKey<F>, Self::Value>, LoadError> {
        load_nested(&self.db, self, keys).await
    }
}

impl<E, F> Nests<F> for PagesOf<E, F>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: crate::db::rows::Positional + Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
    F: ChildFilter,
{
    type Entity = E;

    fn nest(&self, key: &PageKey<F>) -> Option<Nest<E>> {
        let (rows, by_parent_row, on_parent) = match &self.scope {
            Scope::Rows(scope) => (scope.condition(), None, None),
            Scope::Owned(scope) => match scope.by_parent_row::<E>(self.parent) {
                Some(by_row) => (Condition::all(), Some(by_row), None),
                None => (scope.rows(), None, None),
            },
            Scope::Parent(on_parent, _) => (Condition::all(), None, Some(on_parent.clone())),
        };
        Some(Nest {
            parent: self.parent,
            filter: key.filter.condition().add(rows),
            by_parent_row,
            on_parent,
            sort: Sort {
                key: self.key.map(|(column, _)| Expr::col(column)),
                id: Expr::col("id"),
                descending: self.descending,
            },
            key: self.key.map(|(_, kind)| kind),
            page: key.page.clone(),
            counted: key.counted,
        })
    }

    fn vouched(&self, parents: Vec<i64>) -> (Vec<i64>, Vec<i64>) {
        match &self.scope {
            Scope::Parent(_, vouched) => vouched.split(parents),
            _ => (Vec::new(), parents),
        }
    }
}
