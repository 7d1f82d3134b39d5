//! The nested lists of [`super`]: what a list of each child read in its parent's statement
//! is ([`Nest`]), and its reader ([`Reading`]) behind the one interface [`super::fetch_folded`]
//! reads any table's list through ([`Nested`]).

use std::sync::Arc;

use sea_orm::{EntityTrait, IdenStatic, Order, QueryResult, sea_query::Condition};

use super::{Children, KeyKind, Keyed, Name, OnParent, Pages, Rows, finish, sql};
use crate::{
    Map,
    db::{
        page::{PageRequest, Sort, SortKey},
        rows::{Positional, Positions, Read, position},
    },
    error::AppResult,
};

/// The names of list `n`'s columns and relations in a statement of nested lists: the mark
/// after which its columns come, its total, its sort key, its page and its count. Constants
/// for the first lists ([`super::Name`]).
pub(super) fn nest_names(n: usize) -> [Name; 5] {
    const FIRST: [[&str; 5]; 4] = [
        ["nest0__", "nest_total0__", "nest_key0__", "g0__", "h0__"],
        ["nest1__", "nest_total1__", "nest_key1__", "g1__", "h1__"],
        ["nest2__", "nest_total2__", "nest_key2__", "g2__", "h2__"],
        ["nest3__", "nest_total3__", "nest_key3__", "g3__", "h3__"],
    ];
    match FIRST.get(n) {
        Some(names) => names.map(Name::from),
        None => [
            format!("nest{n}__"),
            format!("nest_total{n}__"),
            format!("nest_key{n}__"),
            format!("g{n}__"),
            format!("h{n}__"),
        ]
        .map(Name::from),
    }
}

/// Whether the rows of a list sorted by `sort` are put in order by its reader
/// ([`Reading::pages`]) rather than by the statement: a list sorted by id alone, whose
/// rows come in its `LATERAL`'s order already (SQL does not promise to keep it). Ordering
/// the statement by them cost PostgreSQL a sort of all its rows (bench/ANALYSIS.md).
pub(super) fn sorted_by_reader(sort: &Sort) -> bool {
    sort.key.is_none()
}

/// A list of each child read in its parent's statement (PostgreSQL): the children of `E`
/// whose `parent` column is the child's id, narrowed, sorted and paged as [`Children`]
/// says for a list read on its own.
pub struct Nest<E: EntityTrait> {
    pub parent: E::Column,
    pub filter: Condition,
    /// The rows' scope where their parent's row decides it ([`ByParentRow`]); otherwise
    /// `filter` holds it.
    pub by_parent_row: Option<ByParentRow>,
    pub on_parent: Option<OnParent>,
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
            filter: match &self.by_parent_row {
                Some(scope) => self.filter.clone().add(scope.rows.clone()),
                None => self.filter.clone(),
            },
            on_parent: self.on_parent.as_ref(),
            columns: crate::db::rows::Columns::ALL,
            sort: &self.sort,
            key: self.key,
            page: &self.page,
            counted: self.counted,
        }
    }
}

/// A list's scope where the rows are seen with their parent (an account's services, seen
/// with the account: `policy::scope::Owned`): read on its own, a condition on each row
/// (`rows`); read in its parent's statement, the same condition on the parent's row
/// (`on_row`, given its alias), decided once per parent.
pub struct ByParentRow {
    pub rows: Condition,
    pub on_row: OnParentRow,
}

/// A condition on a list's parent row, given the row's alias in the statement.
#[derive(Clone)]
pub struct OnParentRow(pub Arc<dyn Fn(&'static str) -> Condition + Send + Sync>);

/// A nested list as [`fetch_folded`] reads it, whatever its table: what it reads
/// ([`sql::Shape`]), and its rows taken from the statement's result, each child's page kept
/// until its owner takes them ([`Reading::pages`]).
pub trait Nested: Send {
    fn shape(&self) -> sql::Shape<'_>;
    /// Finds its columns in a statement's result (`names`), as list `n`.
    fn locate(&mut self, names: &[String], n: usize) -> AppResult<()>;
    /// A child on a page: its page begins (empty, until its rows are read).
    fn begin(&mut self, child: i64);
    /// A row of this list: `child`'s total, and its row if it holds one.
    fn read(&mut self, child: i64, row: &QueryResult) -> AppResult<()>;
}

/// A [`Nest`] being read, and the pages read of it so far (over one or more statements).
pub struct Reading<N: EntityTrait> {
    nest: Nest<N>,
    /// Its columns in the statement being read, and its row's `id` (`NULL` on a row of
    /// another list or for a child without any).
    at: Option<(Rows, usize)>,
    pages: Map<i64, Keyed<N::Model>>,
}

impl<N: EntityTrait> Reading<N> {
    pub fn new(nest: Nest<N>) -> Self {
        Self {
            nest,
            at: None,
            pages: Map::default(),
        }
    }

    /// Each child's page read so far, with its total.
    pub fn pages(&mut self) -> AppResult<Pages<N::Model>> {
        let mut pages = std::mem::take(&mut self.pages);
        if sorted_by_reader(&self.nest.sort) {
            let descending = self.nest.sort.fetch_order(&self.nest.page) == Order::Desc;
            for (rows, _) in pages.values_mut() {
                by_id::<N>(rows, descending)?;
            }
        }
        finish::<N>(pages, &self.nest.page)
    }
}

/// Puts `rows` in the order of their ids (the order a page of them is fetched in).
fn by_id<N: EntityTrait>(
    rows: &mut Vec<(N::Model, Option<SortKey>)>,
    descending: bool,
) -> AppResult<()> {
    let mut keyed = std::mem::take(rows)
        .into_iter()
        .map(|row| Ok((crate::db::page::model_id::<N>(&row.0)?, row)))
        .collect::<AppResult<Vec<_>>>()?;
    if descending {
        keyed.sort_unstable_by_key(|(id, _)| std::cmp::Reverse(*id));
    } else {
        keyed.sort_unstable_by_key(|(id, _)| *id);
    }
    rows.extend(keyed.into_iter().map(|(_, row)| row));
    Ok(())
}

impl<N> Nested for Reading<N>
where
    N: EntityTrait,
    N::Model: Positional,
{
    fn shape(&self) -> sql::Shape<'_> {
        sql::Shape {
            table: N::default().table_name(),
            parent: self.nest.parent.as_str(),
            filter: &self.nest.filter,
            on_parent_row: self.nest.by_parent_row.as_ref().map(|scope| &scope.on_row),
            on_parent: self.nest.on_parent.as_ref(),
            sort: &self.nest.sort,
            page: &self.nest.page,
            counted: self.nest.counted,
        }
    }

    fn locate(&mut self, names: &[String], n: usize) -> AppResult<()> {
        let [mark, total, key, ..] = nest_names(n).map(|name| name.inner());
        // The list's columns repeat the child's names: they are found after its mark.
        let from = position(names, &mark)? + 1;
        let after = &names[from..];
        let at = |found: usize| found + from;
        let rows = Rows {
            total: self
                .nest
                .counted
                .then(|| position(names, &total))
                .transpose()?,
            key: self
                .nest
                .key
                .map(|_| position(after, &key).map(at))
                .transpose()?,
            model: Positions::of::<N::Model>(after)?.shifted(from),
        };
        self.at = Some((rows, at(position(after, "id")?)));
        Ok(())
    }

    fn begin(&mut self, child: i64) {
        self.pages.insert(child, (Vec::new(), 0));
    }

    fn read(&mut self, child: i64, row: &QueryResult) -> AppResult<()> {
        let (Some((rows, id)), Some(page)) = (&self.at, self.pages.get_mut(&child)) else {
            return Ok(());
        };
        page.1 = rows.total(row)?;
        if Option::<i64>::read(row, *id)?.is_some() {
            page.0.push(rows.read::<N::Model>(row, self.nest.key)?);
        }
        Ok(())
    }
}
