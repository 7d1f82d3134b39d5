//! Usage statistics: Internet sessions and voice calls recorded by admins (or the network's
//! accounting feed), and the per-account statistics for a half-open date range `[from, to)`,
//! summed in SQL (per day; months fold at most 366 daily sums).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set, sea_query::Expr,
};
use serde_json::json;

use entity::{internet_session, service, voice_call};

use super::{
    activity::{self, Activity},
    validate::Checks,
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError},
    money::Money,
    policy,
};

/// The longest range a statistics query may cover.
pub const MAX_RANGE_DAYS: i64 = 366;

/// Checks a `[from, to)` range: `from` not after `to`, at most 366 days.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    if from > to {
        return Err(AppError::BadUserInput(
            "`from` must not be after `to`".into(),
        ));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(AppError::BadUserInput(format!(
            "a range covers at most {MAX_RANGE_DAYS} days"
        )));
    }
    Ok(())
}

async fn service_for_usage(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> AppResult<service::Model> {
    policy::require_admin(viewer)?;
    service::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Records one Internet session of a service.
pub async fn record_session(
    db: &DatabaseConnection,
    viewer: &Viewer,
    service_id: i64,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
    download_bytes: i64,
    upload_bytes: i64,
) -> AppResult<()> {
    let found = service_for_usage(db, viewer, service_id).await?;
    let mut checks = Checks::default();
    checks.require(
        ended_at > started_at,
        "endedAt",
        "endedAt must be after startedAt",
    );
    checks.require(
        download_bytes >= 0,
        "downloadBytes",
        "downloadBytes must not be negative",
    );
    checks.require(
        upload_bytes >= 0,
        "uploadBytes",
        "uploadBytes must not be negative",
    );
    checks.finish()?;
    let txn = crate::db::write_txn(db).await?;
    internet_session::ActiveModel {
        service_id: Set(found.id),
        account_id: Set(found.account_id),
        started_at: Set(started_at),
        ended_at: Set(ended_at),
        day: Set(started_at.date_naive()),
        download_bytes: Set(download_bytes),
        upload_bytes: Set(upload_bytes),
        duration_seconds: Set((ended_at - started_at).num_seconds()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    activity::record(
        &txn,
        found.account_id,
        viewer,
        Activity::InternetUsageRecorded,
        json!({ "serviceId": found.id, "day": started_at.date_naive().to_string() }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Records one voice call of a service.
pub async fn record_call(
    db: &DatabaseConnection,
    viewer: &Viewer,
    service_id: i64,
    started_at: DateTime<Utc>,
    destination: &str,
    duration_seconds: i32,
    cost: Decimal,
) -> AppResult<()> {
    let found = service_for_usage(db, viewer, service_id).await?;
    let mut checks = Checks::default();
    let destination = checks.text("destination", destination, 1, 64);
    checks.require(
        duration_seconds >= 0,
        "durationSeconds",
        "durationSeconds must not be negative",
    );
    let cost = checks.money("cost", cost);
    if let Some(cost) = cost {
        checks.require(!cost.is_negative(), "cost", "cost must not be negative");
    }
    checks.finish()?;
    let cost = cost.ok_or_else(|| AppError::user(UserError::invalid("cost", "cost is invalid")))?;
    let txn = crate::db::write_txn(db).await?;
    voice_call::ActiveModel {
        service_id: Set(found.id),
        account_id: Set(found.account_id),
        started_at: Set(started_at),
        destination: Set(destination.clone()),
        duration_seconds: Set(duration_seconds),
        cost_minor: Set(cost.minor()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    activity::record(
        &txn,
        found.account_id,
        viewer,
        Activity::VoiceUsageRecorded,
        json!({ "serviceId": found.id, "destination": destination }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Traffic of one day or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsagePoint {
    pub period_start: NaiveDate,
    pub download_bytes: i64,
    pub upload_bytes: i64,
    pub session_seconds: i64,
}

/// Internet usage of an account in `[from, to)`, per day (or folded per month), with totals.
pub async fn internet(
    db: &DatabaseConnection,
    account_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    monthly: bool,
) -> AppResult<(UsagePoint, Vec<UsagePoint>)> {
    check_range(from, to)?;
    let rows: Vec<(NaiveDate, i64, i64, i64)> = internet_session::Entity::find()
        .select_only()
        .column(internet_session::Column::Day)
        .column_as(Expr::cust("CAST(SUM(download_bytes) AS BIGINT)"), "down")
        .column_as(Expr::cust("CAST(SUM(upload_bytes) AS BIGINT)"), "up")
        .column_as(Expr::cust("CAST(SUM(duration_seconds) AS BIGINT)"), "secs")
        .filter(internet_session::Column::AccountId.eq(account_id))
        .filter(internet_session::Column::Day.gte(from))
        .filter(internet_session::Column::Day.lt(to))
        .group_by(internet_session::Column::Day)
        .order_by_asc(internet_session::Column::Day)
        .into_tuple()
        .all(db)
        .await?;
    let mut points: Vec<UsagePoint> = Vec::new();
    let mut total = UsagePoint {
        period_start: from,
        download_bytes: 0,
        upload_bytes: 0,
        session_seconds: 0,
    };
    for (day, down, up, secs) in rows {
        let start = if monthly {
            day.with_day(1).unwrap_or(day)
        } else {
            day
        };
        total.download_bytes = total.download_bytes.saturating_add(down);
        total.upload_bytes = total.upload_bytes.saturating_add(up);
        total.session_seconds = total.session_seconds.saturating_add(secs);
        match points.last_mut() {
            Some(p) if p.period_start == start => {
                p.download_bytes = p.download_bytes.saturating_add(down);
                p.upload_bytes = p.upload_bytes.saturating_add(up);
                p.session_seconds = p.session_seconds.saturating_add(secs);
            }
            _ => points.push(UsagePoint {
                period_start: start,
                download_bytes: down,
                upload_bytes: up,
                session_seconds: secs,
            }),
        }
    }
    Ok((total, points))
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The voice calls of an account in `[from, to)`.
pub fn calls(account_id: i64, from: NaiveDate, to: NaiveDate) -> Select<voice_call::Entity> {
    voice_call::Entity::find()
        .filter(voice_call::Column::AccountId.eq(account_id))
        .filter(voice_call::Column::StartedAt.gte(day_start(from)))
        .filter(voice_call::Column::StartedAt.lt(day_start(to)))
}

/// Count, seconds and cost of an account's calls in `[from, to)`.
pub async fn voice_totals<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<(i64, i64, Money)> {
    check_range(from, to)?;
    let row: Option<(i64, Option<i64>, Option<i64>)> = calls(account_id, from, to)
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("CAST(SUM(duration_seconds) AS BIGINT)"), "secs")
        .column_as(Expr::cust("CAST(SUM(cost_minor) AS BIGINT)"), "cost")
        .into_tuple()
        .one(db)
        .await?;
    let (n, secs, cost) = row.unwrap_or((0, None, None));
    Ok((n, secs.unwrap_or(0), Money::from_minor(cost.unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date literal");
        assert!(check_range(d("2026-11-01"), d("2026-12-01")).is_ok());
        assert!(
            check_range(d("2026-11-01"), d("2026-11-01")).is_ok(),
            "an empty range is fine"
        );
        assert!(matches!(
            check_range(d("2026-12-01"), d("2026-11-01")),
            Err(AppError::BadUserInput(_))
        ));
        assert!(
            check_range(d("2026-01-01"), d("2027-01-02")).is_ok(),
            "366 days"
        );
        assert!(matches!(
            check_range(d("2026-01-01"), d("2027-01-03")),
            Err(AppError::BadUserInput(_))
        ));
    }
}
