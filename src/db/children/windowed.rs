//! The statement of [`super`] on SQLite, which has no `LATERAL`: the children of all
//! parents numbered by window functions and cut at the limit.

use sea_orm::{
    EntityTrait, IdenStatic, Order,
    sea_query::{Asterisk, Condition, Expr, ExprTrait, Query, SelectStatement},
};

use super::{Children, KEY, PARENT, TOTAL, sql::narrowed, sql::select_columns};
use crate::{
    db::{page::Sort, rows::Positional},
    error::AppResult,
};

/// SQLite: the filtered children of all parents, numbered per parent within the cursors
/// (`ROW_NUMBER`) and cut at the limit; a parent's first row outside the cursors is kept
/// (`in__ = 0`) so that a parent with an empty page still carries its total (`COUNT`,
/// only when counted).
pub(super) fn windowed<E: EntityTrait>(of: &Children<'_, E>) -> AppResult<SelectStatement>
where
    E::Model: Positional,
{
    let table = E::default().table_name();
    let parent = of.parent.as_str();
    let id_col = "id";
    // Innermost: the filtered children (with each parent's total and their sort key).
    let mut inner = Query::select();
    select_columns(&mut inner, table, narrowed::<E>(of.columns).as_deref());
    inner
        .expr_as(Expr::col((table, parent)), PARENT)
        .from(table)
        .and_where(crate::db::among::column_among(
            of.parent,
            of.parents.iter().copied(),
        ))
        .cond_where(of.filter.clone());
    if let Some(on_parent) = of.on_parent {
        inner.cond_where(on_parent.on(Expr::col((table, parent))));
    }
    if of.counted {
        inner.expr_as(
            Expr::cust(format!("COUNT(*) OVER (PARTITION BY \"{parent}\")")),
            TOTAL,
        );
    }
    if let Some(k) = &of.sort.key {
        inner.expr_as(k.clone(), KEY);
    }
    // The same order over the subquery's columns.
    let outer_sort = Sort {
        key: of.sort.key.as_ref().map(|_| Expr::col(KEY)),
        id: Expr::col(id_col),
        descending: of.sort.descending,
    };
    // Middle: whether each row lies within the cursors (rows outside still carry the total).
    let window = outer_sort.within(of.page)?;
    let mut middle = Query::select();
    middle
        .column(Asterisk)
        .expr_as(
            Expr::case(window, Expr::cust("1")).finally(Expr::cust("0")),
            "in__",
        )
        .from_subquery(inner, "f");
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
            "rn__",
        )
        .from_subquery(middle, "m");
    let mut outer = Query::select();
    outer
        .column(("n", Asterisk))
        .from_subquery(numbered, "n")
        .cond_where(
            Condition::any()
                .add(
                    Expr::col("in__")
                        .eq(1)
                        .and(Expr::col("rn__").lte(of.page.limit as i64 + 1)),
                )
                .add(Expr::col("in__").eq(0).and(Expr::col("rn__").eq(1))),
        )
        .order_by(PARENT, Order::Asc)
        .order_by("rn__", Order::Asc);
    Ok(outer)
}
