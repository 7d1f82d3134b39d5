//! Usage statistics: Internet sessions and voice calls recorded by admins (or the network's
//! accounting feed), and the per-account statistics for a half-open date range `[from, to)`,
//! summed in SQL (per day; months fold at most 366 daily sums).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Condition, Expr},
};

use entity::{enums::TariffKind, internet_session, service, tariff, voice_call};

use super::{
    activity::{self, Activity},
    record::{Record, Ref},
    validate::Checks,
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError},
    money::Money,
    policy,
};

mod internet;

pub use internet::{InternetStats, UsagePoint, account_with_internet, internet_for};

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

/// The service usage is recorded on, which must provide that kind of usage (a call on an
/// Internet service is `INVALID_INPUT`).
async fn service_for_usage(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    kind: TariffKind,
) -> AppResult<service::Model> {
    policy::require_admin(viewer)?;
    let found = service::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let provides = tariff::Entity::find_by_id(found.tariff_id)
        .one(db)
        .await?
        .map(|t| t.kind);
    if provides != Some(kind) {
        let (what, needs) = match kind {
            TariffKind::Voice => ("a call", "a VOICE service"),
            _ => ("an Internet session", "an INTERNET service"),
        };
        return Err(AppError::user(UserError::invalid(
            "serviceId",
            format!(
                "{what} is recorded on {needs}; this service is {}",
                provides.map_or("unknown", |k| k.as_str())
            ),
        )));
    }
    Ok(found)
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
    let found = service_for_usage(db, viewer, service_id, TariffKind::Internet).await?;
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
        day: Set(crate::domain::local_date(started_at)),
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
        Record::on(Ref::Service(found.id))
            .value("day", crate::domain::local_date(started_at).to_string()),
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
    let found = service_for_usage(db, viewer, service_id, TariffKind::Voice).await?;
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
        Record::on(Ref::Service(found.id)).value("destination", destination),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The condition of the calls in `[from, to)`.
pub fn calls_between(from: NaiveDate, to: NaiveDate) -> Condition {
    Condition::all()
        .add(voice_call::Column::StartedAt.gte(day_start(from)))
        .add(voice_call::Column::StartedAt.lt(day_start(to)))
}

/// The condition of the Internet sessions that started in `[from, to)`.
pub fn sessions_between(from: NaiveDate, to: NaiveDate) -> Condition {
    Condition::all()
        .add(internet_session::Column::Day.gte(from))
        .add(internet_session::Column::Day.lt(to))
}

/// Count, seconds and cost of calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallTotals {
    pub count: i64,
    pub seconds: i64,
    pub cost: Money,
}

/// An account's voice usage in a range: the totals and the totals per service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VoiceStats {
    pub total: CallTotals,
    pub by_service: Vec<(i64, CallTotals)>,
}

/// Voice usage of many accounts in `[from, to)` (checked by the caller): one statement,
/// summed per account and service.
pub async fn voice_for<C: ConnectionTrait>(
    db: &C,
    accounts: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<HashMap<i64, VoiceStats>> {
    /// (account, service, calls, seconds, cost) per account and service.
    type Row = (i64, i64, i64, Option<i64>, Option<i64>);
    let rows: Vec<Row> = voice_call::Entity::find()
        .select_only()
        .column(voice_call::Column::AccountId)
        .column(voice_call::Column::ServiceId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("CAST(SUM(duration_seconds) AS BIGINT)"), "secs")
        .column_as(Expr::cust("CAST(SUM(cost_minor) AS BIGINT)"), "cost")
        .filter(crate::db::among::column_among(
            voice_call::Column::AccountId,
            accounts.iter().copied(),
        ))
        .filter(calls_between(from, to))
        .group_by(voice_call::Column::AccountId)
        .group_by(voice_call::Column::ServiceId)
        .order_by_asc(voice_call::Column::ServiceId)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<i64, VoiceStats> = accounts
        .iter()
        .map(|a| (*a, VoiceStats::default()))
        .collect();
    for (account, service, n, secs, cost) in rows {
        let Some(stats) = out.get_mut(&account) else {
            continue;
        };
        let part = CallTotals {
            count: n,
            seconds: secs.unwrap_or(0),
            cost: Money::from_minor(cost.unwrap_or(0)),
        };
        stats.total.count += part.count;
        stats.total.seconds = stats.total.seconds.saturating_add(part.seconds);
        stats.total.cost = stats
            .total
            .cost
            .checked_add(part.cost)
            .unwrap_or(stats.total.cost);
        stats.by_service.push((service, part));
    }
    Ok(out)
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
