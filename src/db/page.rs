//! Keyset pagination for every list: a page is asked for by limit, direction and cursors
//! (sort key + primary key), and fetched with one statement (plus one for the count when the
//! client asks for `totalCount`). Cursors stay valid when rows are inserted between pages.
//! Nested lists of many parents at once (DataLoaders) are in [`super::children`].

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
    sea_query::{Condition, Expr, ExprTrait, IntoColumnRef, SimpleExpr, Value},
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// The sort value a cursor remembers, next to the row's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortKey {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
}

impl SortKey {
    fn value(&self) -> Value {
        match self {
            SortKey::Int(v) => (*v).into(),
            SortKey::Text(v) => v.clone().into(),
            SortKey::Time(v) => (*v).into(),
        }
    }
}

/// A position in a list: after (or before) the row with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    pub key: Option<SortKey>,
    pub id: i64,
}

/// A validated request for one page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub limit: u64,
    /// `last/before`: the page ends at `before` and is counted from the end.
    pub backward: bool,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
}

impl PageRequest {
    /// Whether the page starts or ends at a cursor (`after`, `before`).
    pub fn has_cursor(&self) -> bool {
        self.after.is_some() || self.before.is_some()
    }

    /// The rows a page reads: its size and one more, which tells whether there is a next
    /// page.
    pub fn fetched(&self) -> u64 {
        self.limit + 1
    }

    pub fn first(limit: u64) -> Self {
        Self {
            limit,
            backward: false,
            after: None,
            before: None,
        }
    }
}

/// One page of rows, each with its cursor.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(Cursor, T)>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> Page<T> {
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_previous: false,
            has_next: false,
        }
    }

    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_previous: self.has_previous,
            has_next: self.has_next,
        }
    }
}

/// The order of a list: an optional sort expression, then the id as tie-breaker.
#[derive(Debug, Clone)]
pub struct Sort {
    pub key: Option<SimpleExpr>,
    pub id: SimpleExpr,
    pub descending: bool,
}

impl Sort {
    pub fn by_id(id: impl IntoColumnRef, descending: bool) -> Self {
        Self {
            key: None,
            id: Expr::col(id),
            descending,
        }
    }

    /// The rows within the cursors of `req`: after its `after`, before its `before`.
    pub(super) fn within(&self, req: &PageRequest) -> AppResult<Condition> {
        let mut window = Condition::all();
        if let Some(after) = &req.after {
            window = window.add(self.beyond(after, true)?);
        }
        if let Some(before) = &req.before {
            window = window.add(self.beyond(before, false)?);
        }
        Ok(window)
    }

    /// The order a page of `req` is fetched in: a backward page is read from its end.
    pub(super) fn fetch_order(&self, req: &PageRequest) -> Order {
        if self.descending == req.backward {
            Order::Asc
        } else {
            Order::Desc
        }
    }

    /// Rows strictly beyond `cursor` in this sort's direction (`forward`) or strictly before it.
    fn beyond(&self, cursor: &Cursor, forward: bool) -> AppResult<Condition> {
        let greater = forward != self.descending;
        let cmp = |lhs: SimpleExpr, rhs: Value| -> SimpleExpr {
            if greater {
                lhs.gt(Expr::val(rhs))
            } else {
                lhs.lt(Expr::val(rhs))
            }
        };
        let id_beyond = cmp(self.id.clone(), cursor.id.into());
        Ok(match (&self.key, &cursor.key) {
            (None, None) => Condition::all().add(id_beyond),
            (Some(key), Some(value)) => Condition::any().add(cmp(key.clone(), value.value())).add(
                Condition::all()
                    .add(key.clone().eq(Expr::val(value.value())))
                    .add(id_beyond),
            ),
            // A cursor from another sort order.
            _ => {
                return Err(AppError::BadUserInput(
                    "cursor does not match this ordering".into(),
                ));
            }
        })
    }
}

/// Fetches one page of `select` under `sort`. `key_of` reads a row's sort key for its cursor.
pub async fn fetch<E, C>(
    db: &C,
    mut select: Select<E>,
    sort: &Sort,
    req: &PageRequest,
    key_of: impl Fn(&E::Model) -> Option<SortKey>,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    select = select.filter(sort.within(req)?);
    let order = sort.fetch_order(req);
    if let Some(key) = &sort.key {
        select = select.order_by(key.clone(), order.clone());
    }
    select = select
        .order_by(sort.id.clone(), order)
        .limit(super::limit::rows_for(req.fetched()));
    let stmt = super::limit::build(db.get_database_backend(), select.as_query());
    // The page's size and one more, of the rows its limit's bucket read.
    let rows = super::read_all(db, stmt)
        .await?
        .iter()
        .take(req.fetched() as usize)
        .map(|row| E::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    finish::<E>(rows, req, key_of)
}

/// Turns the `limit + 1` rows fetched for a page (in fetch order) into the page: the extra
/// row only tells that there is more; a backward page is put back in list order.
fn finish<E: EntityTrait>(
    rows: Vec<E::Model>,
    req: &PageRequest,
    key_of: impl Fn(&E::Model) -> Option<SortKey>,
) -> AppResult<Page<E::Model>> {
    let keyed = rows
        .into_iter()
        .map(|row| {
            let key = key_of(&row);
            (row, key)
        })
        .collect();
    finish_keyed::<E>(keyed, req)
}

/// [`finish`] for rows that come with their sort keys.
pub(super) fn finish_keyed<E: EntityTrait>(
    mut rows: Vec<(E::Model, Option<SortKey>)>,
    req: &PageRequest,
) -> AppResult<Page<E::Model>> {
    let more = rows.len() as u64 > req.limit;
    rows.truncate(req.limit as usize);
    if req.backward {
        rows.reverse();
    }
    // Sized at once: a collect through `?` grows from empty, copying the rows at each step.
    let mut items = Vec::with_capacity(rows.len());
    for (row, key) in rows {
        let cursor = Cursor {
            key,
            id: model_id::<E>(&row)?,
        };
        items.push((cursor, row));
    }
    Ok(if req.backward {
        Page {
            items,
            has_previous: more,
            has_next: req.before.is_some(),
        }
    } else {
        Page {
            items,
            has_previous: req.after.is_some(),
            has_next: more,
        }
    })
}

/// Counts the rows of `select` (without cursors), for `totalCount`.
pub async fn count<E, C>(db: &C, select: Select<E>) -> AppResult<i64>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let n = select.count(db).await?;
    Ok(n as i64)
}

/// The id of a row, read through its primary key (all our tables have an `i64` id).
pub fn model_id<E: EntityTrait>(row: &E::Model) -> AppResult<i64> {
    use sea_orm::{Iterable, ModelTrait, PrimaryKeyToColumn};
    let pk = E::PrimaryKey::iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("entity without primary key")))?;
    match row.get(pk.into_column()) {
        Value::BigInt(Some(id)) => Ok(id),
        Value::Int(Some(id)) => Ok(id as i64),
        other => Err(AppError::Internal(anyhow::anyhow!(
            "unexpected id value {other:?}"
        ))),
    }
}
