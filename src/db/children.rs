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
//! A row of a one-to-one table may be read beside each child in the same statement
//! ([`Beside`], e.g. an account's maintained totals), joined on the child's id after the
//! page is cut, so it costs a lookup per row of the page and no statement of its own.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, Order, QueryResult,
    sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement},
};

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
    total: Option<usize>,
    /// `in__` (SQLite: the row lies within the cursors) or the child's `id` (PostgreSQL:
    /// `NULL` for a parent without children).
    on_page: usize,
    key: Option<usize>,
    model: Positions,
    /// The columns read beside the child ([`Beside`]).
    beside: Vec<usize>,
}

impl Layout {
    fn of<M: Positional, B: Beside>(
        row: &QueryResult,
        counted: bool,
        inside: Option<&str>,
        keyed: bool,
    ) -> AppResult<Self> {
        let names = row.column_names();
        let beside = B::JOIN.map_or(&[][..], |(_, _, columns)| columns);
        Ok(Self {
            parent: position(&names, PARENT)?,
            total: counted.then(|| position(&names, TOTAL)).transpose()?,
            on_page: position(&names, inside.unwrap_or("id"))?,
            key: keyed.then(|| position(&names, KEY)).transpose()?,
            model: Positions::of::<M>(&names)?,
            beside: beside
                .iter()
                .map(|column| position(&names, &beside_column(column)))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A row of a one-to-one table read beside each child of a page: `TABLE`'s row whose `KEY`
/// column is the child's id, its `COLUMNS` read as `b__<column>` (all `NULL` when the child
/// has none).
pub trait Beside: Sized {
    /// The joined table, its column that holds the child's id, and the columns read; `None`
    /// joins nothing.
    const JOIN: Option<(&'static str, &'static str, &'static [&'static str])>;
    /// The values read beside one child, its columns at `at` (in `JOIN`'s order; by
    /// position, as the child itself: [`super::rows`]).
    fn read(row: &QueryResult, at: &[usize]) -> AppResult<Self>;
}

/// Nothing read beside the children.
impl Beside for () {
    const JOIN: Option<(&'static str, &'static str, &'static [&'static str])> = None;
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
    let mut beside = HashMap::new();
    if of.parents.is_empty() {
        return Ok((HashMap::new(), beside));
    }
    let backend = db.get_database_backend();
    let (mut stmt, inside, child) = match backend {
        DatabaseBackend::Postgres => (lateral(&of)?, None, "c__"),
        _ => (windowed(&of)?, Some("in__"), "n"),
    };
    if let Some((table, key, columns)) = B::JOIN {
        join_beside(&mut stmt, child, table, key, columns);
    }
    let rows = db
        .query_all_raw(super::limit::build(backend, &stmt))
        .await?;
    let mut layout: Option<Layout> = None;
    /// A parent's rows with their sort keys, and its total.
    type Keyed<M> = (Vec<(M, Option<SortKey>)>, i64);
    // Every parent has its page, also one without any child (Relay's rules still apply:
    // after a cursor there is a previous page).
    let mut grouped: HashMap<i64, Keyed<E::Model>> = of
        .parents
        .iter()
        .map(|parent| (*parent, (Vec::new(), 0)))
        .collect();
    for row in rows {
        let at = match &layout {
            Some(at) => at,
            None => layout.insert(Layout::of::<E::Model, B>(
                &row,
                of.counted,
                inside,
                of.key.is_some(),
            )?),
        };
        // A padding parent (`NULL`, see `among::parents`) has no page.
        let Some(parent) = Option::<i64>::read(&row, at.parent)? else {
            continue;
        };
        let total = match at.total {
            Some(total) => i64::read(&row, total)?,
            None => 0,
        };
        let entry = grouped.entry(parent).or_default();
        entry.1 = total;
        // A parent without a row on its page still comes with its total.
        let on_page = match inside {
            Some(_) => i32::read(&row, at.on_page)? == 1,
            None => Option::<i64>::read(&row, at.on_page)?.is_some(),
        };
        // The statement reads up to its limit's bucket (`limit`): a row after the page's
        // size and one more is not read into a model.
        if on_page && entry.0.len() as u64 <= of.page.limit {
            let sort_key = match (of.key, at.key) {
                (Some(kind), Some(key)) => kind.read(&row, key)?,
                _ => None,
            };
            let model: E::Model = at.model.read(&row)?;
            if B::JOIN.is_some() {
                beside.insert(
                    super::page::model_id::<E>(&model)?,
                    B::read(&row, &at.beside)?,
                );
            }
            entry.0.push((model, sort_key));
        }
    }
    let pages = grouped
        .into_iter()
        .map(|(parent, (rows, total))| Ok((parent, (finish_keyed::<E>(rows, of.page)?, total))))
        .collect::<AppResult<_>>()?;
    Ok((pages, beside))
}

/// Joins `table` to the children's rows (as `child`) on `table.key = child.id`, after the
/// pages are cut, and reads its `columns` as `b__<column>`.
fn join_beside(stmt: &mut SelectStatement, child: &str, table: &str, key: &str, columns: &[&str]) {
    for column in columns {
        stmt.expr_as(
            Expr::col((Alias::new("b__"), Alias::new(*column))),
            Alias::new(beside_column(column)),
        );
    }
    stmt.join_as(
        JoinType::LeftJoin,
        Alias::new(table),
        Alias::new("b__"),
        Expr::col((Alias::new("b__"), Alias::new(key)))
            .equals((Alias::new(child), Alias::new("id"))),
    );
}

/// The children of the parent `p__.column1` that the filter keeps.
fn of_parent<E: EntityTrait>(of: &Children<'_, E>, select: &mut SelectStatement) {
    use sea_orm::IdenStatic;
    let table = Alias::new(E::default().table_name());
    select.from(table.clone()).cond_where(
        Condition::all()
            // The parents' ids typed where they are compared, so the statement means the
            // same with its values inlined (the benchmark replays it so).
            .add(
                Expr::col((table, Alias::new(of.parent.as_str())))
                    .eq(Expr::cust("CAST(\"p__\".\"column1\" AS BIGINT)")),
            )
            .add(of.filter.clone()),
    );
}

/// PostgreSQL: `VALUES` of the parents (padded to their bucket, [`super::among`]), each
/// joined `LATERAL` to its page (the cursors and the limit inside, so an index range per
/// parent) and, when counted, to its total.
fn lateral<E: EntityTrait>(of: &Children<'_, E>) -> AppResult<SelectStatement> {
    let table = Alias::new(E::default().table_name());
    let order = of.sort.fetch_order(of.page);
    let mut page = Query::select();
    page.column((table, Asterisk));
    of_parent(of, &mut page);
    page.cond_where(of.sort.within(of.page)?);
    if let Some(k) = &of.sort.key {
        page.expr_as(k.clone(), Alias::new(KEY))
            .order_by_expr(k.clone(), order.clone());
    }
    page.order_by_expr(of.sort.id.clone(), order.clone())
        .limit(super::limit::rows_for(of.page.limit + 1));

    let mut stmt = Query::select();
    stmt.expr_as(
        Expr::col((Alias::new("p__"), Alias::new("column1"))),
        Alias::new(PARENT),
    )
    .from_values(
        super::among::parents(of.parents.iter().copied()),
        Alias::new("p__"),
    );
    if of.counted {
        let mut count = Query::select();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new(TOTAL));
        of_parent(of, &mut count);
        stmt.column((Alias::new("k__"), Alias::new(TOTAL)))
            .join_lateral(
                JoinType::LeftJoin,
                count,
                Alias::new("k__"),
                Expr::cust("TRUE"),
            );
    }
    stmt.column((Alias::new("c__"), Asterisk))
        .join_lateral(
            JoinType::LeftJoin,
            page,
            Alias::new("c__"),
            Expr::cust("TRUE"),
        )
        .order_by((Alias::new("p__"), Alias::new("column1")), Order::Asc);
    if of.sort.key.is_some() {
        stmt.order_by((Alias::new("c__"), Alias::new(KEY)), order.clone());
    }
    stmt.order_by((Alias::new("c__"), Alias::new("id")), order);
    Ok(stmt)
}

/// SQLite: the filtered children of all parents, numbered per parent within the cursors
/// (`ROW_NUMBER`) and cut at the limit; a parent's first row outside the cursors is kept
/// (`in__ = 0`) so that a parent with an empty page still carries its total (`COUNT`,
/// only when counted).
fn windowed<E: EntityTrait>(of: &Children<'_, E>) -> AppResult<SelectStatement> {
    use sea_orm::IdenStatic;
    let table = E::default().table_name().to_string();
    let parent = of.parent.as_str().to_string();
    let id_col = "id";
    // Innermost: the filtered children (with each parent's total and their sort key).
    let mut inner = Query::select();
    inner
        .column(Asterisk)
        .expr_as(
            Expr::col((Alias::new(table.as_str()), Alias::new(parent.as_str()))),
            Alias::new(PARENT),
        )
        .from(Alias::new(table.as_str()))
        .and_where(super::among::column_among(
            of.parent,
            of.parents.iter().copied(),
        ))
        .cond_where(of.filter.clone());
    if of.counted {
        inner.expr_as(
            Expr::cust(format!("COUNT(*) OVER (PARTITION BY \"{parent}\")")),
            Alias::new(TOTAL),
        );
    }
    if let Some(k) = &of.sort.key {
        inner.expr_as(k.clone(), Alias::new(KEY));
    }
    // The same order over the subquery's columns.
    let outer_sort = Sort {
        key: of.sort.key.as_ref().map(|_| Expr::col(Alias::new(KEY))),
        id: Expr::col(Alias::new(id_col)),
        descending: of.sort.descending,
    };
    // Middle: whether each row lies within the cursors (rows outside still carry the total).
    let window = outer_sort.within(of.page)?;
    let mut middle = Query::select();
    middle
        .column(Asterisk)
        .expr_as(
            Expr::case(window, Expr::cust("1")).finally(Expr::cust("0")),
            Alias::new("in__"),
        )
        .from_subquery(inner, Alias::new("f"));
    // Then the position of each row in its parent's page.
    let dir = match of.sort.fetch_order(of.page) {
        Order::Asc => "ASC",
        _ => "DESC",
    };
    let order = match &of.sort.key {
        Some(_) => format!("\"{KEY}\" {dir}, \"{id_col}\" {dir}"),
        None => format!("\"{id_col}\" {dir}"),
    };
    let mut numbered = Query::select();
    numbered
        .column(Asterisk)
        .expr_as(
            Expr::cust(format!(
                "ROW_NUMBER() OVER (PARTITION BY \"{PARENT}\", \"in__\" ORDER BY {order})"
            )),
            Alias::new("rn__"),
        )
        .from_subquery(middle, Alias::new("m"));
    let mut outer = Query::select();
    outer
        .column((Alias::new("n"), Asterisk))
        .from_subquery(numbered, Alias::new("n"))
        .cond_where(
            Condition::any()
                .add(
                    Expr::col(Alias::new("in__"))
                        .eq(1)
                        .and(Expr::col(Alias::new("rn__")).lte(of.page.limit as i64 + 1)),
                )
                .add(
                    Expr::col(Alias::new("in__"))
                        .eq(0)
                        .and(Expr::col(Alias::new("rn__")).eq(1)),
                ),
        )
        .order_by(Alias::new(PARENT), Order::Asc)
        .order_by(Alias::new("rn__"), Order::Asc);
    Ok(outer)
}
