//! The statements of [`super`] on PostgreSQL: a `LATERAL` page per parent, or one parent's
//! page as the first relation ([`one_parent`]), and for nested lists a `LATERAL` page per
//! child and list ([`nests`]). SQLite's is in [`super::windowed`].

use sea_orm::{
    EntityTrait, IdenStatic, Order,
    sea_query::{
        Alias, Asterisk, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement, SimpleExpr,
        SubQueryStatement,
    },
};

use super::{Children, KEY, LIST, Name, OnParent, PARENT, TOTAL};
use crate::{
    db::{
        page::{PageRequest, Sort},
        rows::{Columns, Positional},
    },
    error::AppResult,
};

/// Joins `join`'s table to the children's rows (as `child`), after the pages are cut, and
/// reads its columns as `b__<column>` (SQLite: to the numbered rows; PostgreSQL: inside
/// each parent's `LATERAL`, [`Lateral::beside`]).
pub(super) fn join_beside(stmt: &mut SelectStatement, child: &'static str, join: &super::Join) {
    for column in join.columns {
        stmt.expr_as(
            Expr::col(("b__", *column)),
            Alias::new(super::beside_column(column)),
        );
    }
    stmt.join_as(
        JoinType::LeftJoin,
        join.table,
        "b__",
        Expr::col(("b__", join.on.0)).equals((child, join.on.1)),
    );
}

/// The rows of `table` whose `column` is `parent` and that `filter` keeps, of a parent
/// `on_parent` keeps (and, for a list gated on its number, only on the rows of that number:
/// `gate`).
fn of_parent(
    table: &'static str,
    column: &'static str,
    (parent, gate): (SimpleExpr, Option<usize>),
    (filter, on_parent): (&Condition, Option<&OnParent>),
    select: &mut SelectStatement,
) {
    let mut cond = Condition::all()
        .add(Expr::col((table, column)).eq(parent.clone()))
        .add(filter.clone());
    if let Some(on_parent) = on_parent {
        // On the outer row only, as the gate below: checked once per parent.
        cond = cond.add(on_parent.on(parent));
    }
    if let Some(n) = gate {
        // Refers to the outer row only: PostgreSQL checks it before running the subquery
        // (a one-time filter), so a list's page is read only on its own rows.
        cond = cond.add(Expr::cust(format!("\"l__\".\"{LIST}\" = {n}")));
    }
    select.from(table).cond_where(cond);
}

/// The names of the columns a read of `E`'s rows narrowed to `columns` selects (`None`: a
/// whole row, `*`).
pub(super) fn narrowed<E: EntityTrait>(columns: Columns) -> Option<Vec<&'static str>>
where
    E::Model: Positional,
{
    (!columns.whole::<E::Model>()).then(|| columns.names::<E::Model>())
}

/// Selects `table`'s `columns` ([`narrowed`]; `None`: all of them).
pub(super) fn select_columns(
    select: &mut SelectStatement,
    table: &'static str,
    columns: Option<&[&'static str]>,
) {
    match columns {
        None => {
            select.column((table, Asterisk));
        }
        Some(columns) => {
            for column in columns {
                select.column((table, *column));
            }
        }
    }
}

/// One parent's page of `table` (its sort key read as `key_as`) and, when `counted`, its
/// total (as `total_as`): the two `LATERAL` subqueries of a page.
struct Lateral<'a> {
    table: &'static str,
    column: &'static str,
    parent: SimpleExpr,
    /// With more than one nested list, the list number its rows are on ([`nests`]).
    gate: Option<usize>,
    filter: &'a Condition,
    on_parent: Option<&'a OnParent>,
    /// The columns of the page's rows (`None`: all of them).
    columns: Option<&'a [&'static str]>,
    sort: &'a Sort,
    page: &'a PageRequest,
    /// A row read beside each of the page's rows ([`super::Beside`]), joined inside the
    /// `LATERAL` to the page's rows once it is cut: joined beside the lists below instead,
    /// a generic plan (which cannot know the limit) may look it up once per row of a list.
    beside: Option<&'a super::Join>,
}

impl Lateral<'_> {
    /// The page: its cursors and limit inside, so an index range per parent.
    fn page(&self, key_as: &Name) -> AppResult<SelectStatement> {
        let order = self.sort.fetch_order(self.page);
        let mut page = Query::select();
        select_columns(&mut page, self.table, self.columns);
        of_parent(
            self.table,
            self.column,
            (self.parent.clone(), self.gate),
            (self.filter, self.on_parent),
            &mut page,
        );
        page.cond_where(self.sort.within(self.page)?);
        if let Some(k) = &self.sort.key {
            page.expr_as(k.clone(), key_as.clone())
                .order_by_expr(k.clone(), order.clone());
        }
        // The page's size and one more (whether there is a next page), exactly: the
        // statement's limits are parameters (`db::limit::build_bound`).
        page.order_by_expr(self.sort.id.clone(), order)
            .limit(self.page.fetched());
        let Some(join) = self.beside else {
            return Ok(page);
        };
        let mut cut = Query::select();
        cut.column(("r__", Asterisk)).from_subquery(page, "r__");
        join_beside(&mut cut, "r__", join);
        Ok(cut)
    }

    fn count(&self, total_as: &Name) -> SelectStatement {
        let mut count = Query::select();
        count.expr_as(Expr::cust("COUNT(*)"), total_as.clone());
        of_parent(
            self.table,
            self.column,
            (self.parent.clone(), self.gate),
            (self.filter, self.on_parent),
            &mut count,
        );
        count
    }

    /// Joins the page to `stmt` as `alias` (and the count as `counted`, when asked), ordered
    /// after what `stmt` is already ordered by unless its reader puts its rows in order
    /// (`ordered`: false).
    fn join(
        &self,
        stmt: &mut SelectStatement,
        (alias, key_as): (&Name, &Name),
        counted: Option<(&Name, &Name)>,
        ordered: bool,
    ) -> AppResult<()> {
        if let Some((count_alias, total_as)) = counted {
            stmt.column((count_alias.clone(), total_as.clone()))
                .join_lateral(
                    JoinType::LeftJoin,
                    self.count(total_as),
                    count_alias.clone(),
                    Expr::cust("TRUE"),
                );
        }
        stmt.column((alias.clone(), Asterisk)).join_lateral(
            JoinType::LeftJoin,
            self.page(key_as)?,
            alias.clone(),
            Expr::cust("TRUE"),
        );
        if ordered {
            self.order(stmt, alias, key_as);
        }
        Ok(())
    }

    /// Orders `stmt` by the page's rows (as `alias`), after what it is already ordered by.
    fn order(&self, stmt: &mut SelectStatement, alias: &Name, key_as: &Name) {
        let order = self.sort.fetch_order(self.page);
        if self.sort.key.is_some() {
            stmt.order_by((alias.clone(), key_as.clone()), order.clone());
        }
        stmt.order_by((alias.clone(), "id"), order);
    }
}

/// PostgreSQL: `VALUES` of the parents (padded to their bucket, [`crate::db::among`]), each
/// joined `LATERAL` to its page (the cursors and the limit inside, so an index range per
/// parent) and, when counted, to its total; then each child joined to `nests` ([`nests`]).
pub(super) fn lateral<E: EntityTrait>(
    of: &Children<'_, E>,
    beside: Option<&super::Join>,
    nests: &[Shape<'_>],
) -> AppResult<SelectStatement>
where
    E::Model: Positional,
{
    let columns = narrowed::<E>(of.columns);
    let mut stmt = Query::select();
    let one = match of.parents {
        [one] if !of.counted || !of.page.has_cursor() => Some(*one),
        _ => None,
    };
    let page = Lateral {
        table: E::default().table_name(),
        column: of.parent.as_str(),
        // The parents' ids typed where they are compared, so the statement means the same
        // with its values inlined (the benchmark replays it so).
        parent: match one {
            Some(parent) => Expr::val(parent).cast_as("BIGINT"),
            None => Expr::cust("CAST(\"p__\".\"column1\" AS BIGINT)"),
        },
        gate: None,
        filter: &of.filter,
        on_parent: of.on_parent,
        columns: columns.as_deref(),
        sort: of.sort,
        page: of.page,
        beside,
    };
    match one {
        Some(_) => one_parent(&mut stmt, &page, of.counted)?,
        None => {
            stmt.expr_as(Expr::col(("p__", "column1")), PARENT)
                .from_values(crate::db::among::parents(of.parents.iter().copied()), "p__")
                .order_by(("p__", "column1"), Order::Asc);
            page.join(
                &mut stmt,
                (&"c__".into(), &KEY.into()),
                of.counted.then_some((&"k__".into(), &TOTAL.into())),
                true,
            )?;
        }
    }
    self::nests(&mut stmt, nests)?;
    Ok(stmt)
}

/// One parent's page as the statement's first relation (not `LATERAL` to a `VALUES` row):
/// PostgreSQL then knows the rows come in the page's order, and orders the statement by it
/// without a sort of all its rows (the lists below each row come in their `LATERAL`'s
/// order: [`super::nested::sorted_by_reader`]). A parent without a row on its page has no
/// row in the statement, so this is only for a page whose total is not asked for, or
/// without cursors (an empty page then means a total of 0); its total, when asked, is a
/// subquery PostgreSQL runs once.
fn one_parent(stmt: &mut SelectStatement, page: &Lateral<'_>, counted: bool) -> AppResult<()> {
    stmt.expr_as(page.parent.clone(), PARENT);
    if counted {
        let count = SubQueryStatement::from(page.count(&TOTAL.into()));
        stmt.expr_as(SimpleExpr::SubQuery(None, Box::new(count)), TOTAL);
    }
    stmt.column(("c__", Asterisk))
        .from_subquery(page.page(&KEY.into())?, "c__");
    page.order(stmt, &"c__".into(), &KEY.into());
    Ok(())
}

/// A nested list as [`nests`] writes it, whatever its table ([`super::Nested::shape`]).
pub struct Shape<'a> {
    pub table: &'static str,
    pub parent: &'static str,
    pub filter: &'a Condition,
    /// The rows' scope as a condition on their parent's row (`c__`, [`super::ByParentRow`]).
    pub on_parent_row: Option<&'a super::OnParentRow>,
    pub on_parent: Option<&'a OnParent>,
    pub sort: &'a Sort,
    pub page: &'a PageRequest,
    pub counted: bool,
}

/// Each child of a page (`c__`) joined `LATERAL` to each list's page (its columns after its
/// mark, `nest<n>__`) and, when counted, its total: a child's row repeats for each row of
/// its lists' pages (only the first is read into a model). With more than one list, the
/// child's row is repeated once per list (`list__`, its number) and each list's subqueries
/// are gated on their number: PostgreSQL runs them only on their own rows, so the lists'
/// rows follow one another instead of multiplying.
fn nests(stmt: &mut SelectStatement, nests: &[Shape<'_>]) -> AppResult<()> {
    let gated = nests.len() > 1;
    if gated {
        let mut numbers = Query::select();
        numbers.expr_as(
            Expr::cust(format!("generate_series(0, {})", nests.len() - 1)),
            LIST,
        );
        stmt.column(("l__", LIST)).join_lateral(
            JoinType::InnerJoin,
            numbers,
            "l__",
            Expr::cust("TRUE"),
        );
    }
    for (n, nest) in nests.iter().enumerate() {
        let [mark, total, key, page, count] = super::nest_names(n);
        stmt.expr_as(Expr::cust("1"), mark);
        // A one-time filter of each child's `LATERAL`s: it names the child's row only.
        let filter = match nest.on_parent_row {
            Some(on_row) => nest.filter.clone().add((on_row.0)("c__")),
            None => nest.filter.clone(),
        };
        Lateral {
            table: nest.table,
            column: nest.parent,
            parent: Expr::col(("c__", "id")),
            gate: gated.then_some(n),
            filter: &filter,
            on_parent: nest.on_parent,
            columns: None,
            sort: nest.sort,
            page: nest.page,
            beside: None,
        }
        .join(
            stmt,
            (&page, &key),
            nest.counted.then_some((&count, &total)),
            !super::nested::sorted_by_reader(nest.sort),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{DatabaseBackend, sea_query::Value};

    use super::*;
    use entity::{account, service};

    /// A page of `size` sub-accounts of each of three main accounts, each row with its
    /// totals beside it and its first three services nested: its text and its parameters.
    fn built(size: u64) -> (String, Vec<Value>) {
        built_with(size, None)
    }

    /// [`built`], the services' scope decided on their account's row by `on_row`.
    fn built_with(size: u64, on_row: Option<&super::super::OnParentRow>) -> (String, Vec<Value>) {
        built_of(&[1, 2, 3], PageRequest::first(size), on_row)
    }

    /// [`built_with`] for the main accounts `parents`, the page `page` of each.
    fn built_of(
        parents: &[i64],
        page: PageRequest,
        on_row: Option<&super::super::OnParentRow>,
    ) -> (String, Vec<Value>) {
        let sort = Sort::by_id((account::Entity, account::Column::Id), false);
        let of = Children::<account::Entity> {
            parent: account::Column::MainAccountId,
            parents,
            filter: Condition::all(),
            on_parent: None,
            columns: Columns::ALL,
            sort: &sort,
            key: None,
            page: &page,
            counted: true,
        };
        let nested = Sort::by_id((service::Entity, service::Column::Id), false);
        let first3 = PageRequest::first(3);
        let filter = Condition::all();
        let shape = Shape {
            table: "services",
            parent: "account_id",
            filter: &filter,
            on_parent_row: on_row,
            on_parent: None,
            sort: &nested,
            page: &first3,
            counted: false,
        };
        let join = super::super::Join {
            table: "account_totals",
            on: ("account_id", "id"),
            columns: &["active_count"],
        };
        let stmt = lateral(&of, Some(&join), &[shape]).expect("built");
        let built = crate::db::limit::build_bound(DatabaseBackend::Postgres, &stmt);
        (built.sql, built.values.expect("values").0)
    }

    #[test]
    fn nested_pages_of_any_size_are_one_text_with_their_exact_limits() {
        let (one, _) = built(1);
        for size in [2, 50, 100] {
            let (text, values) = built(size);
            assert_eq!(text, one, "a page of {size}");
            // The page's size and one more, and the nested list's 3 and one more.
            assert!(
                values.contains(&Value::BigInt(Some(size as i64 + 1))),
                "{values:?}"
            );
            assert!(values.contains(&Value::BigInt(Some(4))), "{values:?}");
        }
        // The totals are joined to the cut page inside its `LATERAL`, not beside the lists.
        let cut = one
            .find(r#"LEFT JOIN "account_totals" AS "b__""#)
            .expect("joined");
        assert!(cut < one.find(r#"AS "c__""#).expect("the page"), "{one}");
    }

    #[test]
    fn one_parents_page_is_ordered_by_its_rows_alone() {
        // The page is the first relation, the statement ordered by its rows only (the
        // services, by id, are put in order by their reader).
        let (one, values) = built_of(&[7], PageRequest::first(5), None);
        assert!(!one.contains("VALUES"), "{one}");
        assert!(one.contains(r#"COUNT(*)"#), "the total, once: {one}");
        let order = &one[one.rfind(") AS \"g0__\" ON TRUE").expect("the services")..];
        assert!(order.ends_with(r#"ORDER BY "c__"."id" ASC"#), "{order}");
        assert!(values.contains(&Value::BigInt(Some(7))), "{values:?}");
        // Counted from a cursor, an empty page still carries the total: one row per parent.
        let after = PageRequest {
            after: Some(crate::db::page::Cursor { key: None, id: 3 }),
            ..PageRequest::first(5)
        };
        let (from_cursor, _) = built_of(&[7], after, None);
        assert!(from_cursor.contains("VALUES"), "{from_cursor}");
        // Many parents: their rows, then each one's page in order.
        let (many, _) = built(5);
        assert!(
            many.ends_with(r#"ORDER BY "p__"."column1" ASC, "c__"."id" ASC"#),
            "{many}"
        );
    }

    #[test]
    fn a_scope_decided_on_the_parents_row_is_a_condition_on_the_child_row_of_each_lateral() {
        let on_row = super::super::OnParentRow(std::sync::Arc::new(|row: &'static str| {
            Condition::all().add(Expr::col((row, "sub_account_type")).eq("X"))
        }));
        let (text, _) = built_with(3, Some(&on_row));
        let services = text.find(r#"FROM "services""#).expect("the services' page");
        let decided = text
            .find(r#""c__"."sub_account_type" = "#)
            .expect("decided on the account's row");
        assert!(decided > services, "inside the services' LATERAL: {text}");
        assert_eq!(
            text.matches(r#""sub_account_type" = "#).count(),
            1,
            "{text}"
        );
    }
}
