//! Internet usage statistics: each account's traffic in a range, summed in SQL per
//! service and day and folded here into the range's totals, its points per day or month
//! and its totals per service; for many accounts at once, or for one account read by id
//! with its row.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use entity::{account, internet_session};

use crate::error::AppResult;

/// Traffic of one day or month (or of a whole range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsagePoint {
    pub period_start: NaiveDate,
    pub download_bytes: i64,
    pub upload_bytes: i64,
    pub session_seconds: i64,
}

impl UsagePoint {
    fn empty(period_start: NaiveDate) -> Self {
        Self {
            period_start,
            download_bytes: 0,
            upload_bytes: 0,
            session_seconds: 0,
        }
    }

    fn add(&mut self, down: i64, up: i64, secs: i64) {
        self.download_bytes = self.download_bytes.saturating_add(down);
        self.upload_bytes = self.upload_bytes.saturating_add(up);
        self.session_seconds = self.session_seconds.saturating_add(secs);
    }
}

/// An account's Internet usage in a range: the totals, the points per day or month
/// (periods without traffic left out), and the totals per service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetStats {
    pub total: UsagePoint,
    pub points: Vec<UsagePoint>,
    pub by_service: Vec<(i64, UsagePoint)>,
}

/// The daily sums of Internet sessions in `[from, to)`: service, day, bytes down, bytes up
/// and seconds, summed per service and day (of the accounts a caller filters by).
fn daily_sums(from: NaiveDate, to: NaiveDate) -> sea_orm::Select<internet_session::Entity> {
    internet_session::Entity::find()
        .select_only()
        .column(internet_session::Column::ServiceId)
        .column(internet_session::Column::Day)
        .column_as(Expr::cust("CAST(SUM(download_bytes) AS BIGINT)"), "down")
        .column_as(Expr::cust("CAST(SUM(upload_bytes) AS BIGINT)"), "up")
        .column_as(Expr::cust("CAST(SUM(duration_seconds) AS BIGINT)"), "secs")
        .filter(super::sessions_between(from, to))
        .group_by(internet_session::Column::ServiceId)
        .group_by(internet_session::Column::Day)
}

/// One account's daily sums of one service and day: service, day, down, up, seconds.
type DailySum = (i64, NaiveDate, i64, i64, i64);

/// Internet usage of many accounts in `[from, to)` (checked by the caller), per day or
/// folded per month: one statement, summed per account, service and day.
pub async fn internet_for<C: ConnectionTrait>(
    db: &C,
    accounts: &[i64],
    from: NaiveDate,
    to: NaiveDate,
    monthly: bool,
) -> AppResult<HashMap<i64, InternetStats>> {
    let rows = daily_sums(from, to)
        .column(internet_session::Column::AccountId)
        .filter(crate::db::among::column_among(
            internet_session::Column::AccountId,
            accounts.iter().copied(),
        ))
        .group_by(internet_session::Column::AccountId)
        .order_by_asc(internet_session::Column::AccountId)
        .order_by_asc(internet_session::Column::Day)
        .order_by_asc(internet_session::Column::ServiceId)
        .into_tuple::<(i64, NaiveDate, i64, i64, i64, i64)>()
        .all(db)
        .await?;
    let mut out: HashMap<i64, InternetStats> = accounts
        .iter()
        .map(|a| (*a, InternetStats::empty(from)))
        .collect();
    for (service, day, down, up, secs, account) in rows {
        if let Some(stats) = out.get_mut(&account) {
            stats.add((service, day, down, up, secs), monthly);
        }
    }
    Ok(out)
}

/// The account `id` with its Internet usage in `[from, to)` (checked by the caller) in one
/// statement: the account's row, as read by id, with its daily sums beside it (a `LATERAL`
/// aggregate, the row's columns repeated on each sum), the usage what [`internet_for`]
/// gives for it. PostgreSQL only (`None` where the account is not there).
pub async fn account_with_internet<C: ConnectionTrait>(
    db: &C,
    id: i64,
    (from, to): (NaiveDate, NaiveDate),
    monthly: bool,
) -> AppResult<Option<(account::Model, InternetStats)>> {
    use crate::db::rows::{Positions, Read, position};
    use sea_orm::{
        QueryTrait,
        sea_query::{Alias, Asterisk, ExprTrait, JoinType, Order, Query},
    };
    let sums = daily_sums(from, to)
        .filter(
            Expr::col((
                internet_session::Entity,
                internet_session::Column::AccountId,
            ))
            .equals((account::Entity, account::Column::Id)),
        )
        .into_query();
    let u = |column: &str| Expr::col((Alias::new("u__"), Alias::new(column)));
    let mut stmt = Query::select();
    stmt.column((account::Entity, Asterisk));
    for (column, read_as) in SUM_COLUMNS {
        stmt.expr_as(u(column), Alias::new(read_as));
    }
    stmt.from(account::Entity)
        .join_lateral(
            JoinType::LeftJoin,
            sums,
            Alias::new("u__"),
            Expr::cust("TRUE"),
        )
        .and_where(Expr::col((account::Entity, account::Column::Id)).eq(id))
        .order_by_expr(u("day"), Order::Asc)
        .order_by_expr(u("service_id"), Order::Asc);
    let rows = crate::db::read_all(db, db.get_database_backend().build(&stmt)).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let names = first.column_names();
    let row = Positions::of::<account::Model>(&names)?.read(first)?;
    let at = SUM_COLUMNS
        .iter()
        .map(|(_, name)| position(&names, name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stats = InternetStats::empty(from);
    for r in &rows {
        // `NULL`: an account without sessions in the range (its one row).
        if let Some(service) = Option::<i64>::read(r, at[0])? {
            let sum = (
                service,
                NaiveDate::read(r, at[1])?,
                i64::read(r, at[2])?,
                i64::read(r, at[3])?,
                i64::read(r, at[4])?,
            );
            stats.add(sum, monthly);
        }
    }
    Ok(Some((row, stats)))
}

/// The daily sums' columns beside an account's, and what they are read as.
const SUM_COLUMNS: [(&str, &str); 5] = [
    ("service_id", "u__service"),
    ("day", "u__day"),
    ("down", "u__down"),
    ("up", "u__up"),
    ("secs", "u__secs"),
];

impl InternetStats {
    fn empty(from: NaiveDate) -> Self {
        Self {
            total: UsagePoint::empty(from),
            points: Vec::new(),
            by_service: Vec::new(),
        }
    }

    /// Adds one daily sum (read in day order) to the totals, to its day's or month's point
    /// and to its service's totals (kept in service order).
    fn add(&mut self, (service, day, down, up, secs): DailySum, monthly: bool) {
        let start = if monthly {
            day.with_day(1).unwrap_or(day)
        } else {
            day
        };
        self.total.add(down, up, secs);
        match self.points.last_mut() {
            Some(p) if p.period_start == start => p.add(down, up, secs),
            _ => {
                let mut p = UsagePoint::empty(start);
                p.add(down, up, secs);
                self.points.push(p);
            }
        }
        match self.by_service.binary_search_by_key(&service, |(s, _)| *s) {
            Ok(at) => self.by_service[at].1.add(down, up, secs),
            Err(at) => {
                let mut p = UsagePoint::empty(self.total.period_start);
                p.add(down, up, secs);
                self.by_service.insert(at, (service, p));
            }
        }
    }
}
