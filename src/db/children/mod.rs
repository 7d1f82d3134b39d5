//! Pages of the children of many parents at once (the DataLoaders' nested lists): one
//! statement for all parents, each parent's page under the same filter, sort and cursors,
//! and its total only when the client asks for `totalCount`.
//!
//! On PostgreSQL each parent's page is its own index range with a limit (`LATERAL`), so a
//! statement reads `limit + 1` rows per parent (the limit a parameter, exact:
//! [`super::limit::build_bound`]), however many children a parent has; the total, when
//! asked, is a count per parent beside it. SQLite has no `LATERAL`: there the children of
//! all parents are numbered by window functions and cut at the limit.
//!
//! A row of another table may be read beside each child in the same statement ([`Beside`]:
//! a one-to-one row such as an account's maintained totals, or the row the child belongs to
//! such as a ticket's owner account), joined after the page is cut, so it costs a lookup
//! per row of the page and no statement of its own.
//!
//! One row by id is read the same way ([`fetch_one`]): a page of one row under its own id,
//! with what is beside it and a list of it.
//!
//! On PostgreSQL lists of each child may be read in the same statement too ([`Nest`], e.g.
//! each sub-account's services under the page of sub-accounts): a `LATERAL` page per child,
//! its rows beside their parent's (the child's columns repeated on each), so a page and
//! the pages below it cost one statement. With more than one list, a child's row is
//! repeated once per list (`list__`, a number) and each list's `LATERAL` is gated on its
//! number: PostgreSQL runs a list's subquery only on its own rows, so the lists' rows
//! follow one another instead of multiplying (measured: worth it for one object, not for a
//! page of them, [`crate::graphql::loaders::Under`]). SQLite reads such a list in a
//! statement of its own, as a list of its own.

mod nested;
mod sql;
mod windowed;

use nested::nest_names;
pub use nested::{ByParentRow, Nest, Nested, OnParentRow, Reading};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, QueryResult,
    sea_query::{Condition, SimpleExpr},
};

use super::{
    page::{Page, PageRequest, Sort, SortKey, finish_keyed},
    rows::{Columns, Positional, Positions, Read, position},
};
use crate::Map;
use crate::error::AppResult;

/// How a row's sort key is read back from a statement's result (the `sort_key__` column),
/// for its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    Text,
    Time,
}

impl KeyKind {
    fn read(self, row: &QueryResult, at: usize) -> AppResult<Option<SortKey>> {
        Ok(match self {
            KeyKind::Int => Option::<i64>::read(row, at)?.map(SortKey::Int),
            KeyKind::Text => Option::<String>::read(row, at)?.map(SortKey::Text),
            KeyKind::Time => Option::<DateTime<Utc>>::read(row, at)?.map(SortKey::Time),
        })
    }
}

/// Where a nested pages' statement has its columns (the same in every row, found from the
/// first one): read by position, not by name ([`super::rows`]).
struct Layout {
    parent: usize,
    /// `in__` (SQLite: the row lies within the cursors) or the child's `id` (PostgreSQL:
    /// `NULL` for a parent without children).
    on_page: usize,
    rows: Rows,
    /// The columns read beside the child ([`Beside`]).
    beside: Vec<usize>,
    /// The number of the list a row is of, with more than one nested list.
    list: Option<usize>,
}

/// Where one list's columns are in a row: the model's, its total's and its sort key's.
struct Rows {
    total: Option<usize>,
    key: Option<usize>,
    model: Positions,
}

impl Layout {
    fn of<M: Positional, B: Beside>(
        names: &[String],
        (columns, counted, keyed): (Columns, bool, bool),
        on_page: &str,
        lists: usize,
    ) -> AppResult<Self> {
        let beside = B::JOIN.map_or(&[][..], |join| join.columns);
        Ok(Self {
            parent: position(names, PARENT)?,
            on_page: position(names, on_page)?,
            rows: Rows {
                total: counted.then(|| position(names, TOTAL)).transpose()?,
                key: keyed.then(|| position(names, KEY)).transpose()?,
                model: Positions::narrow::<M>(names, columns)?,
            },
            beside: beside
                .iter()
                .map(|column| position(names, &beside_column(column)))
                .collect::<Result<_, _>>()?,
            list: (lists > 1).then(|| position(names, LIST)).transpose()?,
        })
    }
}

impl Rows {
    /// The list's total in `row` (0 when not counted).
    fn total(&self, row: &QueryResult) -> AppResult<i64> {
        match self.total {
            Some(total) => Ok(i64::read(row, total)?),
            None => Ok(0),
        }
    }

    /// The row's model and sort key (when the list is sorted by one).
    fn read<M: Positional>(
        &self,
        row: &QueryResult,
        kind: Option<KeyKind>,
    ) -> AppResult<(M, Option<SortKey>)> {
        let key = match (kind, self.key) {
            (Some(kind), Some(key)) => kind.read(row, key)?,
            _ => None,
        };
        Ok((self.model.read(row)?, key))
    }
}

/// How a row of another table is joined to each child of a page: `table`'s row whose
/// column `on.0` equals the child's column `on.1`, its `columns` read as `b__<column>` (all
/// `NULL` when the child has none).
pub struct Join {
    pub table: &'static str,
    pub on: (&'static str, &'static str),
    pub columns: &'static [&'static str],
}

/// A row of another table read beside each child of a page, one per child: a one-to-one
/// table (the child's id in one of its columns, e.g. an account's totals) or the row the
/// child belongs to (its id in one of the child's, e.g. a ticket's owner account).
pub trait Beside: Sized {
    /// How it is joined; `None` joins nothing.
    const JOIN: Option<Join>;
    /// The values read beside one child, its columns at `at` (in `JOIN`'s order; by
    /// position, as the child itself: [`super::rows`]).
    fn read(row: &QueryResult, at: &[usize]) -> AppResult<Self>;
}

/// Nothing read beside the children.
impl Beside for () {
    const JOIN: Option<Join> = None;
    fn read(_: &QueryResult, _: &[usize]) -> AppResult<Self> {
        Ok(())
    }
}

/// The column a value read beside a child comes back as.
fn beside_column(column: &str) -> String {
    format!("b__{column}")
}

/// A name in a statement of ours ([`sql`], [`windowed`]). sea-query writes a `&'static str`
/// in one piece, and an owned name (`Alias`, `String`) character by character through an
/// allocation: most names here are constants, written as they are (an eighth of a small
/// page's instructions went to writing names: `bench/ANALYSIS.md`).
type Name = sea_orm::sea_query::DynIden;

/// A condition on a child's parent, its id given as an expression: what a scope that
/// follows the parent asks (a ticket's messages are seen with their ticket,
/// `policy::scope::ticket_messages_of`). Decided once per parent where the engine can
/// (PostgreSQL: a one-time filter of the parent's `LATERAL`), not once per child.
#[derive(Clone)]
pub struct OnParent(pub Arc<dyn Fn(SimpleExpr) -> Condition + Send + Sync>);

impl OnParent {
    fn on(&self, parent: SimpleExpr) -> Condition {
        (self.0)(parent)
    }
}

/// Which children to page: those of `parents` (by `parent`) that `filter` keeps (and whose
/// parent `on_parent` keeps), under `sort` (its key read back as `key`), the page `page`;
/// `counted`: each parent's total under the filter is wanted (otherwise it is 0).
pub struct Children<'a, E: EntityTrait> {
    pub parent: E::Column,
    pub parents: &'a [i64],
    /// Narrows the children (e.g. by status, the viewer's scope); not the cursors.
    pub filter: Condition,
    pub on_parent: Option<&'a OnParent>,
    /// The children's columns read (the others blank, [`Columns`]); [`Columns::ALL`]: whole rows.
    pub columns: Columns,
    pub sort: &'a Sort,
    pub key: Option<KeyKind>,
    pub page: &'a PageRequest,
    pub counted: bool,
}

/// Each parent's page and total.
pub type Pages<M> = Map<i64, (Page<M>, i64)>;

const PARENT: &str = "parent__";
const TOTAL: &str = "total__";
const KEY: &str = "sort_key__";
/// The number of the list a row of nested lists belongs to (with more than one list).
const LIST: &str = "list__";

/// One page of children for every parent of `of`, in one statement.
pub async fn fetch_children<E, C>(db: &C, of: Children<'_, E>) -> AppResult<Pages<E::Model>>
where
    E: EntityTrait,
    E::Model: Positional,
    C: ConnectionTrait,
{
    Ok(fetch_beside::<E, (), C>(db, of).await?.0)
}

/// [`fetch_children`], with `B` read beside each child on a page (by the child's id).
pub async fn fetch_beside<E, B, C>(
    db: &C,
    of: Children<'_, E>,
) -> AppResult<(Pages<E::Model>, Map<i64, B>)>
where
    E: EntityTrait,
    E::Model: Positional,
    B: Beside,
    C: ConnectionTrait,
{
    let folded = fetch_folded::<E, B, C>(db, of, &mut []).await?;
    Ok((folded.pages, folded.beside))
}

/// What [`fetch_folded`] read: each parent's page, and what was read beside each child.
pub struct Folded<M, B> {
    pub pages: Pages<M>,
    pub beside: Map<i64, B>,
}

/// A parent's rows with their sort keys, and its total.
type Keyed<M> = (Vec<(M, Option<SortKey>)>, i64);

/// [`fetch_beside`], with each of `nests`' page of each child on a page read in the same
/// statement (PostgreSQL; elsewhere `nests` are not read and keep no page): each keeps its
/// own pages.
pub async fn fetch_folded<E, B, C>(
    db: &C,
    of: Children<'_, E>,
    nests: &mut [&mut dyn Nested],
) -> AppResult<Folded<E::Model, B>>
where
    E: EntityTrait,
    E::Model: Positional,
    B: Beside,
    C: ConnectionTrait,
{
    let mut beside = Map::default();
    let backend = db.get_database_backend();
    let nests = match backend {
        DatabaseBackend::Postgres => nests,
        _ => &mut [],
    };
    if of.parents.is_empty() {
        return Ok(Folded {
            pages: Map::default(),
            beside,
        });
    }
    let join = B::JOIN;
    let (stmt, on_page) = match backend {
        DatabaseBackend::Postgres => {
            let shapes: Vec<_> = nests.iter().map(|nest| nest.shape()).collect();
            (sql::lateral(&of, join.as_ref(), &shapes)?, "id")
        }
        _ => {
            let mut stmt = windowed::windowed(&of)?;
            if let Some(join) = &join {
                sql::join_beside(&mut stmt, "n", join);
            }
            (stmt, "in__")
        }
    };
    let rows = super::read_all(db, super::limit::build_bound(backend, &stmt)).await?;
    let mut layout: Option<Layout> = None;
    // Every parent has its page, also one without any child (Relay's rules still apply:
    // after a cursor there is a previous page).
    let mut grouped: Map<i64, Keyed<E::Model>> = of
        .parents
        .iter()
        .map(|parent| (*parent, (Vec::new(), 0)))
        .collect();
    // The child whose rows are being read (a child's rows come one after another, one per
    // row of its nested pages).
    let mut current: Option<i64> = None;
    for row in rows {
        let at = match &layout {
            Some(at) => at,
            None => {
                let names = row.column_names();
                for (n, nest) in nests.iter_mut().enumerate() {
                    nest.locate(&names, n)?;
                }
                let keyed = (of.columns, of.counted, of.key.is_some());
                layout.insert(Layout::of::<E::Model, B>(
                    &names,
                    keyed,
                    on_page,
                    nests.len(),
                )?)
            }
        };
        // A padding parent (`NULL`, see `among::parents`) has no page.
        let Some(parent) = Option::<i64>::read(&row, at.parent)? else {
            continue;
        };
        // A page's rows are pushed at their final place (room for all it reads).
        let entry = grouped.entry(parent).or_default();
        if entry.0.capacity() == 0 {
            entry.0.reserve_exact(room(of.page));
        }
        entry.1 = at.rows.total(&row)?;
        // A parent without a row on its page still comes with its total.
        let on_page = match backend {
            DatabaseBackend::Postgres => Option::<i64>::read(&row, at.on_page)?.map(Some),
            _ => (i32::read(&row, at.on_page)? == 1).then_some(None),
        };
        let Some(id) = on_page else { continue };
        // A child's later rows carry only its nested pages' next rows.
        if id.is_none() || id != current {
            current = id;
            let (model, key) = at.rows.read::<E::Model>(&row, of.key)?;
            if join.is_some() {
                beside.insert(
                    super::page::model_id::<E>(&model)?,
                    B::read(&row, &at.beside)?,
                );
            }
            entry.0.push((model, key));
            if let Some(id) = id {
                for nest in nests.iter_mut() {
                    nest.begin(id);
                }
            }
        }
        // The row's nested row (of its list, when there are more than one), when its child
        // is on the page.
        let list = match at.list {
            Some(list) => usize::try_from(i32::read(&row, list)?).ok(),
            None => Some(0),
        };
        if let (Some(id), Some(nest)) = (id, list.and_then(|n| nests.get_mut(n))) {
            nest.read(id, &row)?;
        }
    }
    Ok(Folded {
        pages: finish::<E>(grouped, of.page)?,
        beside,
    })
}

/// The row of `E` whose id (`id_column`) is `id`, with `B` read beside it, and each of
/// `nests`' list of it, in one statement ([`fetch_folded`]: a page of one row under its
/// own id); each nest keeps its own list.
pub async fn fetch_one<E, B, C>(
    db: &C,
    (id_column, id): (E::Column, i64),
    nests: &mut [&mut dyn Nested],
) -> AppResult<Option<(E::Model, Option<B>)>>
where
    E: EntityTrait,
    E::Model: Positional,
    B: Beside,
    C: ConnectionTrait,
{
    let sort = Sort::by_id((E::default(), id_column), false);
    let of = Children {
        parent: id_column,
        parents: &[id],
        filter: Condition::all(),
        on_parent: None,
        columns: Columns::ALL,
        sort: &sort,
        key: None,
        page: &PageRequest::first(1),
        counted: false,
    };
    let mut folded = fetch_folded::<E, B, C>(db, of, nests).await?;
    let row = folded
        .pages
        .remove(&id)
        .and_then(|(page, _)| page.items.into_iter().next());
    Ok(row.map(|(_, row)| (row, folded.beside.remove(&id))))
}

/// Room for the rows a page reads ([`PageRequest::fetched`]), up to 1,024: the pages read
/// whole (a folded list, an export: thousands) grow past it rather than reserve all at once.
fn room(page: &PageRequest) -> usize {
    usize::try_from(page.fetched()).map_or(1024, |rows| rows.min(1024))
}

/// Each parent's rows cut into its page, with its total.
fn finish<E: EntityTrait>(
    grouped: Map<i64, Keyed<E::Model>>,
    page: &PageRequest,
) -> AppResult<Pages<E::Model>> {
    grouped
        .into_iter()
        .map(|(parent, (rows, total))| Ok((parent, (finish_keyed::<E>(rows, page)?, total))))
        .collect()
}
