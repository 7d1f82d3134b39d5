//! A batch's keys in a statement, so that its text depends on the batch's size only by a
//! bucket: `column IN ($1, …, $n)` made a new text for every count, each prepared (parsed,
//! described, planned) on each pooled connection, and a workload whose pages vary in size
//! kept evicting them from the connection's statement cache. Side by side, pages of 1 to
//! 100 rows cost PostgreSQL about twice the CPU per request of pages of a fixed 50
//! (bench/ANALYSIS.md).
//!
//! So the keys are padded to the next power of two: an `IN` list repeats its last key (a
//! key twice matches the same rows), a list of parents ends with `NULL`s (which match no
//! row, see [`parents`]). A statement has at most a dozen texts, each with a plan that
//! counts the keys it has: PostgreSQL keeps one generic plan per text where an array of
//! any length would have been planned again at every execution.

use sea_orm::{
    ColumnTrait,
    sea_query::{Expr, ExprTrait},
};

/// How many places a batch of `n` keys takes: the next power of two (0 for none).
fn bucket(n: usize) -> usize {
    if n == 0 { 0 } else { n.next_power_of_two() }
}

/// The keys padded to their bucket with `pad` (after the keys, in their order).
fn padded<T: Clone>(keys: impl IntoIterator<Item = T>, pad: impl Fn(&T) -> T) -> Vec<T> {
    let mut out: Vec<T> = keys.into_iter().collect();
    if let Some(last) = out.last().cloned() {
        out.resize(bucket(out.len()), pad(&last));
    }
    out
}

/// `column` is one of `ids`.
fn among(column: impl Into<Expr>, ids: impl IntoIterator<Item = i64>) -> Expr {
    column.into().is_in(padded(ids, |last| *last))
}

/// An entity's `column` (named with its table) is one of `ids`.
pub fn column_among<C: ColumnTrait>(column: C, ids: impl IntoIterator<Item = i64>) -> Expr {
    among(Expr::col(column.as_column_ref()), ids)
}

/// The parents of a batch of nested pages as the rows of a `VALUES` list: the ids, then
/// `NULL`s up to the bucket (a `NULL` parent has no children; its rows are skipped).
pub fn parents(ids: impl IntoIterator<Item = i64>) -> Vec<Option<i64>> {
    padded(ids.into_iter().map(Some), |_| None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query, SqliteQueryBuilder};

    fn built(n: i64) -> [String; 2] {
        let mut q = Query::select();
        q.expr(Expr::cust("1"))
            .from(Alias::new("t"))
            .and_where(among(Expr::col(Alias::new("id")), 1..=n));
        [
            q.build(PostgresQueryBuilder).0,
            q.build(SqliteQueryBuilder).0,
        ]
    }

    #[test]
    fn one_text_per_bucket() {
        // 5 to 8 keys: one text; 9: the next.
        assert_eq!(built(5), built(8));
        assert_ne!(built(8), built(9));
        assert_eq!(built(9), built(16));
        assert_eq!(built(1)[0], r#"SELECT 1 FROM "t" WHERE "id" IN ($1)"#);
        assert_eq!(
            built(3)[1],
            r#"SELECT 1 FROM "t" WHERE "id" IN (?, ?, ?, ?)"#
        );
    }

    #[test]
    fn padding_repeats_the_last_key_and_parents_end_with_nulls() {
        assert_eq!(padded([4, 7, 9], |l| *l), vec![4, 7, 9, 9]);
        assert_eq!(padded(Vec::<i64>::new(), |l| *l), Vec::<i64>::new());
        assert_eq!(parents([1]), vec![Some(1)]);
        assert_eq!(
            parents([1, 2, 3, 4, 5]),
            vec![
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                None,
                None,
                None
            ]
        );
    }
}
