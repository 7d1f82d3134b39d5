//! The staff's side of a service's life (SPEC.md "Running day to day"): disable (not billed
//! from a date on, reversible), enable again, archive (ended on an end date, billed through
//! it), the daily jobs that activate services whose start date has come and archive those
//! whose end date has passed. Every change is
//! an activity entry with before/after and a notification to the account.
//!
//! Days already paid (by the ordering payment or an issued invoice) stay paid: disabling or
//! ending a service stops the billing of the days not yet billed. A refund for days paid in
//! advance is a balance adjustment staff make on purpose.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use entity::{
    account,
    enums::{NotificationKind, PauseKind, ServiceStatus},
    service, service_pause,
};

use super::change::{lock_for, set_status, state_error};
use crate::{
    auth::Viewer,
    db::LockForWrite,
    domain::{
        activity::{self, Activity},
        notification::{self, Template},
        record::{Record, Ref},
    },
    error::{AppError, AppResult, UserError},
    policy::{self, Action},
};

/// How far back a disable may be dated (staff correcting a late report).
const MAX_BACKDATE_DAYS: i64 = 366;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::user(UserError::invalid(field, message))
}

async fn open_period<C: ConnectionTrait>(
    db: &C,
    service_id: i64,
    kind: PauseKind,
) -> AppResult<Option<service_pause::Model>> {
    Ok(service_pause::Entity::find()
        .filter(service_pause::Column::ServiceId.eq(service_id))
        .filter(service_pause::Column::Kind.eq(kind))
        .filter(service_pause::Column::ResumedOn.is_null())
        .order_by_desc(service_pause::Column::Id)
        .one(db)
        .await?)
}

/// One change of a service's life: its activity entry and the account's notification, told
/// with `template` from the change's facts.
struct Change {
    what: Activity,
    template: Template,
    /// The changed values (name, before, after) and the dates the sentence names.
    changes: Vec<(&'static str, Value, Value)>,
    dates: Vec<(&'static str, String)>,
}

/// Tells the account and writes the activity entry of a change.
async fn record_change<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    owner: &account::Model,
    service: &service::Model,
    change: Change,
) -> AppResult<()> {
    let mut record =
        Record::on(Ref::Service(service.id)).names("service", Ref::Service(service.id));
    for (name, before, after) in change.changes {
        record = record.change(name, before, after);
    }
    for (name, date) in change.dates {
        record = record.value(name, date);
    }
    activity::record(db, owner.id, viewer, change.what, record.clone()).await?;
    notification::notify(
        db,
        owner.id,
        NotificationKind::ServiceStatusChanged,
        change.template,
        record,
    )
    .await?;
    Ok(())
}

/// Disables a service from `from` on (today when omitted; not in the future): it is
/// `DISABLED` and no day from `from` on is billed until it is enabled again.
pub async fn disable(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    from: Option<NaiveDate>,
) -> AppResult<service::Model> {
    let today = crate::domain::today();
    let from = from.unwrap_or(today);
    if from > today {
        return Err(invalid(
            "from",
            "a disable takes effect today or earlier; to end a service later, archive it with that end date",
        ));
    }
    if (today - from).num_days() > MAX_BACKDATE_DAYS {
        return Err(invalid(
            "from",
            format!("a disable can be dated at most {MAX_BACKDATE_DAYS} days back"),
        ));
    }
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock_for(&txn, viewer, id, Action::Administer).await?;
    let before = found.status;
    if !matches!(
        before,
        ServiceStatus::Pending | ServiceStatus::Active | ServiceStatus::Paused
    ) {
        return Err(state_error(format!(
            "only a PENDING, ACTIVE or PAUSED service can be disabled; this one is {}",
            before.as_str()
        )));
    }
    let disabled = set_status(&txn, found, ServiceStatus::Disabled).await?;
    service_pause::ActiveModel {
        service_id: Set(disabled.id),
        paused_on: Set(from),
        resumed_on: Set(None),
        kind: Set(PauseKind::Disable),
        created_at: Set(crate::domain::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record_change(
        &txn,
        viewer,
        &owner,
        &disabled,
        Change {
            what: Activity::ServiceDisabled,
            template: Template::ServiceDisabled,
            changes: vec![("status", before.as_str().into(), "DISABLED".into())],
            dates: vec![("from", from.to_string())],
        },
    )
    .await?;
    txn.commit().await?;
    Ok(disabled)
}

/// Enables a disabled service again from today: back to `PAUSED` when it was paused before,
/// `PENDING` when its start date has not come, `ACTIVE` otherwise.
pub async fn enable(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> AppResult<service::Model> {
    let today = crate::domain::today();
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock_for(&txn, viewer, id, Action::Administer).await?;
    if found.status != ServiceStatus::Disabled {
        return Err(state_error(format!(
            "only a DISABLED service can be enabled; this one is {}",
            found.status.as_str()
        )));
    }
    if found.end_date.is_some_and(|end| end < today) {
        return Err(state_error(format!(
            "the service ended on {}; order a new one instead",
            found.end_date.map(|d| d.to_string()).unwrap_or_default()
        )));
    }
    let from = match open_period(&txn, found.id, PauseKind::Disable).await? {
        Some(open) => {
            let from = open.paused_on;
            let mut active: service_pause::ActiveModel = open.into();
            // A disable dated today and lifted today skips no day.
            active.resumed_on = Set(Some(today.max(from)));
            active.update(&txn).await?;
            Some(from)
        }
        None => None,
    };
    let next = if open_period(&txn, found.id, PauseKind::Pause)
        .await?
        .is_some()
    {
        ServiceStatus::Paused
    } else if found.start_date.is_none_or(|start| start > today) {
        ServiceStatus::Pending
    } else {
        ServiceStatus::Active
    };
    let enabled = set_status(&txn, found, next).await?;
    record_change(
        &txn,
        viewer,
        &owner,
        &enabled,
        Change {
            what: Activity::ServiceEnabled,
            template: Template::ServiceEnabled,
            changes: vec![
                ("status", "DISABLED".into(), next.as_str().into()),
                (
                    "disabledFrom",
                    from.map(|d| d.to_string()).into(),
                    Value::Null,
                ),
            ],
            dates: vec![("on", today.to_string())],
        },
    )
    .await?;
    txn.commit().await?;
    Ok(enabled)
}

/// Ends a service on `end_date` (today when omitted; the last day it is billed). An end date
/// already past archives it at once; otherwise it runs until then and the daily job
/// archives it the day after.
pub async fn archive(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    end_date: Option<NaiveDate>,
) -> AppResult<service::Model> {
    let today = crate::domain::today();
    let end = end_date.unwrap_or(today);
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock_for(&txn, viewer, id, Action::Administer).await?;
    if found.status == ServiceStatus::Archived {
        return Err(state_error("the service is already ARCHIVED".into()));
    }
    if let Some(start) = found.start_date
        && end < start.pred_opt().unwrap_or(start)
    {
        return Err(invalid(
            "endDate",
            format!(
                "the service starts on {start}; its end date cannot be before {}",
                start.pred_opt().unwrap_or(start)
            ),
        ));
    }
    let before_status = found.status;
    let before_end = found.end_date;
    let archive_now = end < today;
    let mut active: service::ActiveModel = found.into();
    active.end_date = Set(Some(end));
    if archive_now {
        active.status = Set(ServiceStatus::Archived);
    }
    active.updated_at = Set(crate::domain::now());
    let updated = active.update(&txn).await?;
    record_change(
        &txn,
        viewer,
        &owner,
        &updated,
        Change {
            what: if archive_now {
                Activity::ServiceArchived
            } else {
                Activity::ServiceEndScheduled
            },
            template: if archive_now {
                Template::ServiceEnded
            } else {
                Template::ServiceEndScheduled
            },
            changes: vec![
                (
                    "status",
                    before_status.as_str().into(),
                    updated.status.as_str().into(),
                ),
                (
                    "endDate",
                    before_end.map(|d| d.to_string()).into(),
                    end.to_string().into(),
                ),
            ],
            dates: vec![],
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Archives every service whose end date is before `today` (the scheduler's daily job);
/// each in its own transaction. Returns how many it archived.
pub async fn archive_ended(
    db: &DatabaseConnection,
    viewer: &Viewer,
    today: NaiveDate,
) -> AppResult<u32> {
    policy::require_admin(viewer)?;
    let due: Vec<i64> = service::Entity::find()
        .select_only()
        .column(service::Column::Id)
        .filter(service::Column::EndDate.lt(today))
        .filter(service::Column::Status.ne(ServiceStatus::Archived))
        .order_by_asc(service::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut archived = 0;
    for id in due {
        let txn = crate::db::write_txn(db).await?;
        let Some(found) = service::Entity::find_by_id(id)
            .for_write()
            .one(&txn)
            .await?
        else {
            continue;
        };
        // Changed meanwhile (enabled, given a later end): leave it.
        if found.status == ServiceStatus::Archived || found.end_date.is_none_or(|e| e >= today) {
            continue;
        }
        let owner = account::Entity::find_by_id(found.account_id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        let before = found.status;
        let end = found.end_date;
        let done = set_status(&txn, found, ServiceStatus::Archived).await?;
        record_change(
            &txn,
            viewer,
            &owner,
            &done,
            Change {
                what: Activity::ServiceArchived,
                template: Template::ServiceEnded,
                changes: vec![
                    ("status", before.as_str().into(), "ARCHIVED".into()),
                    ("endDate", Value::Null, end.map(|d| d.to_string()).into()),
                ],
                dates: vec![],
            },
        )
        .await?;
        txn.commit().await?;
        archived += 1;
    }
    Ok(archived)
}

/// `PENDING` services whose start date is today or earlier become `ACTIVE`.
pub async fn activate_due(
    db: &DatabaseConnection,
    viewer: &Viewer,
    today: NaiveDate,
) -> AppResult<u32> {
    let txn = crate::db::write_txn(db).await?;
    let due = service::Entity::find()
        .filter(service::Column::Status.eq(ServiceStatus::Pending))
        .filter(service::Column::StartDate.lte(today))
        .order_by_asc(service::Column::Id)
        .for_write()
        .all(&txn)
        .await?;
    let count = due.len() as u32;
    for found in due {
        let (id, owner) = (found.id, found.account_id);
        let mut active: service::ActiveModel = found.into();
        active.status = Set(ServiceStatus::Active);
        active.updated_at = Set(crate::domain::now());
        active.update(&txn).await?;
        let record = Record::on(Ref::Service(id)).change("status", "PENDING", "ACTIVE");
        activity::record(&txn, owner, viewer, Activity::ServiceActivated, record).await?;
    }
    txn.commit().await?;
    Ok(count)
}
