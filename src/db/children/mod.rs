//! Pages of the children of many parents at once (the DataLoaders' nested lists): one
//! statement for all parents, each parent's page under the same filter, sort and cursors,
//! and its total only when the client asks for `totalCount`.
//!
//! On PostgreSQL each parent's page is its own index range with a limit (`LATERAL`), so a
//! statement reads `limit + 1` rows per parent (rounded up to its bucket, [`super::limit`]),
//! however many children a parent has; the total, when asked, is a count per parent beside
//! it. SQLite has no `LATERAL`: there the children of all parents are numbered by window
//! functions and cut at the limit.
//!
//! A row of another table may be read beside each child in the same statement ([`Beside`]:
//! a one-to-one row such as an account's maintained totals, or the row the child belongs to
//! such as a ticket's owner account), joined after the page is cut, so it costs a lookup
//! per row of the page and no statement of its own.
//!
//! One row by id is read the same way ([`fetch_one`]): a page of one row under its own id,
//! with what is beside it and a list of it.
//!
//! On PostgreSQL a list of each child may be read in the same statement too ([`Nest`], e.g.
//! each sub-account's services under the page of sub-accounts): a `LATERAL` page per child,
//! its rows beside their parent's (the child's columns repeated on each), so a page and
//! the pages below it cost one statement. SQLite reads such a list in a statement of its
//! own, as a list of its own.

mod sql;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, QueryResult, sea_query::Condition};

use super::{
    page::{Page, PageRequest, Sort, SortKey, finish_keyed},
    rows::{Positional, Positions, Read, position},
};
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
    /// The nested list's columns ([`Nest`]), and its row's `id` (`NULL` for a child without
    /// any).
    nest: Option<(Rows, usize)>,
}

/// Where one list's columns are in a row: the model's, its total's and its sort key's.
struct Rows {
    total: Option<usize>,
    key: Option<usize>,
    model: Positions,
}

impl Layout {
    fn of<M: Positional, B: Beside, N: Positional>(
        row: &QueryResult,
        (counted, keyed): (bool, bool),
        inside: Option<&str>,
        nest: Option<(bool, bool)>,
    ) -> AppResult<Self> {
        let names = row.column_names();
        let beside = B::JOIN.map_or(&[][..], |join| join.columns);
        let layout = Self {
            parent: position(&names, PARENT)?,
            on_page: position(&names, inside.unwrap_or("id"))?,
            rows: Rows {
                total: counted.then(|| position(&names, TOTAL)).transpose()?,
                key: keyed.then(|| position(&names, KEY)).transpose()?,
                model: Positions::of::<M>(&names)?,
            },
            beside: beside
                .iter()
                .map(|column| position(&names, &beside_column(column)))
                .collect::<Result<_, _>>()?,
            nest: None,
        };
        let Some((counted, keyed)) = nest else {
            return Ok(layout);
        };
        // The nested list's columns repeat the child's names: they are found after the mark.
        let from = position(&names, NEST)? + 1;
        let after = &names[from..];
        let at = |found: usize| found + from;
        let nested = Rows {
            total: counted
                .then(|| position(after, NEST_TOTAL).map(at))
                .transpose()?,
            key: keyed
                .then(|| position(after, NEST_KEY).map(at))
                .transpose()?,
            model: Positions::of::<N>(after)?.shifted(from),
        };
        let id = at(position(after, "id")?);
        Ok(Self {
            nest: Some((nested, id)),
            ..layout
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

/// Which children to page: those of `parents` (by `parent`) that `filter` keeps, under
/// `sort` (its key read back as `key`), the page `page`; `counted`: each parent's total
/// under the filter is wanted (otherwise it is 0).
pub struct Children<'a, E: EntityTrait> {
    pub parent: E::Column,
    pub parents: &'a [i64],
    /// Narrows the children (e.g. by status, the viewer's scope); not the cursors.
    pub filter: Condition,
    pub sort: &'a Sort,
    pub key: Option<KeyKind>,
    pub page: &'a PageRequest,
    pub counted: bool,
}

/// Each parent's page and total.
pub type Pages<M> = HashMap<i64, (Page<M>, i64)>;

const PARENT: &str = "parent__";
const TOTAL: &str = "total__";
const KEY: &str = "sort_key__";
/// The mark after which a [`Nest`]'s columns come, and its total and sort key.
const NEST: &str = "nest__";
const NEST_TOTAL: &str = "nest_total__";
const NEST_KEY: &str = "nest_key__";

/// A list of each child read in its parent's statement (PostgreSQL): the children of `E`
/// whose `parent` column is the child's id, narrowed, sorted and paged as [`Children`]
/// says for a list read on its own.
pub struct Nest<E: EntityTrait> {
    pub parent: E::Column,
    pub filter: Condition,
    pub sort: Sort,
    pub key: Option<KeyKind>,
    pub page: PageRequest,
    pub counted: bool,
}

impl<E: EntityTrait> Nest<E> {
    /// The same list of each of `parents`, read in a statement of its own.
    pub fn children<'a>(&'a self, parents: &'a [i64]) -> Children<'a, E> {
        Children {
            parent: self.parent,
            parents,
            filter: self.filter.clone(),
            sort: &self.sort,
            key: self.key,
            page: &self.page,
            counted: self.counted,
        }
    }
}

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
) -> AppResult<(Pages<E::Model>, HashMap<i64, B>)>
where
    E: EntityTrait,
    E::Model: Positional,
    B: Beside,
    C: ConnectionTrait,
{
    let folded = fetch_folded::<E, B, E, C>(db, of, None).await?;
    Ok((folded.pages, folded.beside))
}

/// What [`fetch_folded`] read: each parent's page, what was read beside each child, and
/// each child's nested page (`None` when the engine reads no nested list in its parent's
/// statement: SQLite).
pub struct Folded<M, B, N> {
    pub pages: Pages<M>,
    pub beside: HashMap<i64, B>,
    pub nested: Option<Pages<N>>,
}

/// A parent's rows with their sort keys, and its total.
type Keyed<M> = (Vec<(M, Option<SortKey>)>, i64);

/// [`fetch_beside`], with `nest`'s page of each child on a page read in the same statement
/// (PostgreSQL; elsewhere `nest` is not read).
pub async fn fetch_folded<E, B, N, C>(
    db: &C,
    of: Children<'_, E>,
    nest: Option<&Nest<N>>,
) -> AppResult<Folded<E::Model, B, N::Model>>
where
    E: EntityTrait,
    E::Model: Positional,
    B: Beside,
    N: EntityTrait,
    N::Model: Positional,
    C: ConnectionTrait,
{
    let mut beside = HashMap::new();
    let backend = db.get_database_backend();
    let nest = nest.filter(|_| backend == DatabaseBackend::Postgres);
    if of.parents.is_empty() {
        let nested = nest.map(|_| HashMap::new());
        return Ok(Folded {
            pages: HashMap::new(),
            beside,
            nested,
        });
    }
    let (mut stmt, inside, child) = match backend {
        DatabaseBackend::Postgres => (sql::lateral(&of, nest)?, None, "c__"),
        _ => (sql::windowed(&of)?, Some("in__"), "n"),
    };
    if let Some(join) = B::JOIN {
        sql::join_beside(&mut stmt, child, &join);
    }
    let rows = db
        .query_all_raw(super::limit::build(backend, &stmt))
        .await?;
    let mut layout: Option<Layout> = None;
    // Every parent has its page, also one without any child (Relay's rules still apply:
    // after a cursor there is a previous page).
    let mut grouped: HashMap<i64, Keyed<E::Model>> = of
        .parents
        .iter()
        .map(|parent| (*parent, (Vec::new(), 0)))
        .collect();
    // Each child's nested page, and the child whose rows are being read (a child's rows
    // come one after another, one per row of its nested page).
    let mut nested: HashMap<i64, Keyed<N::Model>> = HashMap::new();
    let mut current: Option<i64> = None;
    for row in rows {
        let at = match &layout {
            Some(at) => at,
            None => layout.insert(Layout::of::<E::Model, B, N::Model>(
                &row,
                (of.counted, of.key.is_some()),
                inside,
                nest.map(|n| (n.counted, n.key.is_some())),
            )?),
        };
        // A padding parent (`NULL`, see `among::parents`) has no page.
        let Some(parent) = Option::<i64>::read(&row, at.parent)? else {
            continue;
        };
        let entry = grouped.entry(parent).or_default();
        entry.1 = at.rows.total(&row)?;
        // A parent without a row on its page still comes with its total.
        let on_page = match inside {
            Some(_) => (i32::read(&row, at.on_page)? == 1).then_some(None),
            None => Option::<i64>::read(&row, at.on_page)?.map(Some),
        };
        let Some(id) = on_page else { continue };
        // A child's later rows carry only its nested page's next row.
        if id.is_none() || id != current {
            current = id;
            // The statement reads up to its limit's bucket (`limit`): a row after the
            // page's size and one more is not read into a model.
            if entry.0.len() as u64 > of.page.limit {
                continue;
            }
            let (model, key) = at.rows.read::<E::Model>(&row, of.key)?;
            if B::JOIN.is_some() {
                beside.insert(
                    super::page::model_id::<E>(&model)?,
                    B::read(&row, &at.beside)?,
                );
            }
            entry.0.push((model, key));
            if let (Some(id), Some((rows, _))) = (id, &at.nest) {
                nested.insert(id, (Vec::new(), rows.total(&row)?));
            }
        }
        // The row's nested row, when its child is on the page and it is on the child's.
        let (Some(id), Some((rows, nest_id)), Some(nest)) = (id, &at.nest, nest) else {
            continue;
        };
        if let Some(page) = nested.get_mut(&id)
            && Option::<i64>::read(&row, *nest_id)?.is_some()
            && page.0.len() as u64 <= nest.page.limit
        {
            page.0.push(rows.read::<N::Model>(&row, nest.key)?);
        }
    }
    Ok(Folded {
        pages: finish::<E>(grouped, of.page)?,
        beside,
        nested: nest
            .map(|nest| finish::<N>(nested, &nest.page))
            .transpose()?,
    })
}

/// One row read by id with a list of it: the row, what was read beside it, and its list's
/// page and total (`None` where the engine reads no nested list: SQLite).
pub type WithList<M, B, N> = (M, Option<B>, Option<(Page<N>, i64)>);

/// The row of `E` whose id (`id_column`) is `id`, with `B` read beside it and `nest`'s list
/// of it, in one statement ([`fetch_folded`]: a page of one row under its own id).
pub async fn fetch_one<E, B, N, C>(
    db: &C,
    (id_column, id): (E::Column, i64),
    nest: &Nest<N>,
) -> AppResult<Option<WithList<E::Model, B, N::Model>>>
where
    E: EntityTrait,
    E::Model: Positional,
    B: Beside,
    N: EntityTrait,
    N::Model: Positional,
    C: ConnectionTrait,
{
    let sort = Sort::by_id((E::default(), id_column), false);
    let of = Children {
        parent: id_column,
        parents: &[id],
        filter: Condition::all(),
        sort: &sort,
        key: None,
        page: &PageRequest::first(1),
        counted: false,
    };
    let mut folded = fetch_folded::<E, B, N, C>(db, of, Some(nest)).await?;
    let row = folded
        .pages
        .remove(&id)
        .and_then(|(page, _)| page.items.into_iter().next());
    Ok(row.map(|(_, row)| {
        let list = folded.nested.and_then(|mut lists| lists.remove(&id));
        (row, folded.beside.remove(&id), list)
    }))
}

/// Each parent's rows cut into its page, with its total.
fn finish<E: EntityTrait>(
    grouped: HashMap<i64, Keyed<E::Model>>,
    page: &PageRequest,
) -> AppResult<Pages<E::Model>> {
    grouped
        .into_iter()
        .map(|(parent, (rows, total))| Ok((parent, (finish_keyed::<E>(rows, page)?, total))))
        .collect()
}
