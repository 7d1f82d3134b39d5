//! A page's row limit in its statement. PostgreSQL plans a prepared statement once for any
//! parameters (a generic plan) and keeps that plan while it looks no dearer than planning
//! for the values at hand; with `LIMIT $n` it cannot know the limit and counts a tenth of
//! the rows, so a page of four sub-accounts looked three times dearer generic, and the
//! statement was planned again at every execution (a quarter of a millisecond of
//! PostgreSQL's CPU, five times what running it cost).
//!
//! So a page read on its own is built with its limit written into the text ([`build`]),
//! rounded up to a bucket ([`rows_for`]: a power of two or one and a half times one), so
//! that a statement keeps a few texts, not one per page size, and reads at most half as
//! many rows again. The page is cut to its size after reading (`page::finish_keyed`). Our
//! connections now take generic plans without that comparison (`db::connect`), and such a
//! limit stays in the text: a generic plan that knows its limit still reads a large table's
//! index in order and stops, where one planned for any limit may sort the table; and an
//! operator who gives PostgreSQL the choice back keeps plans it does not redo.
//!
//! The pages of many parents at once (`db::children`: each parent's page an index range of
//! its own, under `LATERAL`) are read with their exact limits as parameters instead
//! ([`build_bound`]): there no plan reads a whole table whatever the limit, and a bucket's
//! extra rows cost on every row above them (a page of 50 sub-accounts read 64, and each of
//! their nested lists ran 64 times: measured in `bench/ANALYSIS.md`).

use sea_orm::{
    DatabaseBackend, Statement,
    sea_query::{
        PostgresQueryBuilder, QueryBuilder, SelectStatement, SqlWriter, SqlWriterValues,
        SqliteQueryBuilder, Value,
    },
};

/// How many rows a page that needs `rows` (its size and one more, to tell whether there is
/// a next page) reads: `rows` rounded up to 1, 2, 3, 4, 6, 8, 12, 16, 24, …
pub fn rows_for(rows: u64) -> u64 {
    let power = rows.max(1).next_power_of_two();
    let between = power / 4 * 3;
    if power >= 4 && rows <= between {
        between
    } else {
        power
    }
}

/// `select` for `backend`, with its limits (the statement's only unsigned integers) in its
/// text and every other value a parameter.
pub fn build(backend: DatabaseBackend, select: &SelectStatement) -> Statement {
    built(backend, select, true)
}

/// `select` for `backend` with every value a parameter, its limits included (as `BIGINT`).
pub fn build_bound(backend: DatabaseBackend, select: &SelectStatement) -> Statement {
    built(backend, select, false)
}

fn built(backend: DatabaseBackend, select: &SelectStatement, inline: bool) -> Statement {
    let (sql, values) = match backend {
        DatabaseBackend::Postgres => written(&PostgresQueryBuilder, select, inline),
        _ => written(&SqliteQueryBuilder, select, inline),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn written(
    builder: &impl QueryBuilder,
    select: &SelectStatement,
    inline: bool,
) -> (String, Vec<Value>) {
    let (placeholder, numbered) = builder.placeholder();
    let mut writer = Limits {
        out: SqlWriterValues::new(placeholder, numbered),
        inline,
    };
    select.build_collect_any_into(builder, &mut writer);
    let (sql, values) = writer.out.into_parts();
    (sql, values.0)
}

/// Writes unsigned integers (a `LIMIT`) into the text (`inline`) or as `BIGINT`
/// parameters, and every other value as a parameter.
struct Limits {
    out: SqlWriterValues,
    inline: bool,
}

impl std::fmt::Write for Limits {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.out.write_str(s)
    }
}

impl std::fmt::Display for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.out.fmt(f)
    }
}

impl SqlWriter for Limits {
    fn push_param<T: QueryBuilder>(&mut self, value: Value, query_builder: &T) {
        match value {
            Value::BigUnsigned(Some(n)) if self.inline => {
                use std::fmt::Write;
                // An integer: nothing in it can be read as SQL.
                let _ = write!(self.out, "{n}");
            }
            // PostgreSQL's `LIMIT` takes a `BIGINT`; no page comes near its largest.
            Value::BigUnsigned(Some(n)) => self.out.push_param(
                Value::BigInt(Some(i64::try_from(n).unwrap_or(i64::MAX))),
                query_builder,
            ),
            other => self.out.push_param(other, query_builder),
        }
    }

    fn as_writer(&mut self) -> &mut dyn std::fmt::Write {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

    #[test]
    fn buckets_are_powers_of_two_and_the_halves_between() {
        let buckets: Vec<u64> = (0..=13).map(rows_for).collect();
        assert_eq!(buckets, [1, 1, 2, 3, 4, 6, 6, 8, 8, 12, 12, 12, 12, 16]);
        assert_eq!(rows_for(51), 64);
        assert_eq!(rows_for(101), 128);
        for rows in 1..=1000 {
            let read = rows_for(rows);
            assert!(read >= rows && read * 2 <= rows * 3, "{rows} -> {read}");
        }
    }

    /// A statement with one value and a limit.
    fn limited(limit: u64) -> SelectStatement {
        let mut q = Query::select();
        q.expr(Expr::cust("1"))
            .from(Alias::new("t"))
            .and_where(Expr::col(Alias::new("id")).gt(7))
            .limit(limit);
        q
    }

    #[test]
    fn the_limit_is_in_the_text_and_the_rest_are_parameters() {
        let q = limited(12);
        let pg = build(DatabaseBackend::Postgres, &q);
        assert_eq!(pg.sql, r#"SELECT 1 FROM "t" WHERE "id" > $1 LIMIT 12"#);
        assert_eq!(pg.values.expect("values").0, vec![Value::Int(Some(7))]);
        let lite = build(DatabaseBackend::Sqlite, &q);
        assert_eq!(lite.sql, r#"SELECT 1 FROM "t" WHERE "id" > ? LIMIT 12"#);
    }

    #[test]
    fn a_bound_limit_is_a_bigint_parameter() {
        let pg = build_bound(DatabaseBackend::Postgres, &limited(51));
        assert_eq!(pg.sql, r#"SELECT 1 FROM "t" WHERE "id" > $1 LIMIT $2"#);
        assert_eq!(
            pg.values.expect("values").0,
            vec![Value::Int(Some(7)), Value::BigInt(Some(51))]
        );
    }
}
