//! Pause, resume and tariff changes (SPEC.md "Services"), by customers (as the policy
//! allows) and staff.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use entity::{
    account, change_request,
    enums::{ChangeMode, ChangeRequestStatus, PauseKind, ServiceStatus, TariffKind},
    service, service_pause, service_rate, tariff,
};

use crate::{
    auth::Viewer,
    db::LockForWrite,
    domain::{
        activity::{self, Activity},
        record::{Record, Ref},
    },
    error::{AppError, AppResult, UserError, UserErrorCode},
    policy::{self, Action, Target},
};

pub(super) fn state_error(message: String) -> AppError {
    AppError::user(UserError::new(UserErrorCode::InvalidState, message))
}

/// Loads a service for change, locked, after asking the policy about its account.
pub(super) async fn lock_for<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: i64,
    action: Action,
) -> AppResult<(service::Model, account::Model)> {
    let found = service::Entity::find_by_id(id)
        .for_write()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = account::Entity::find_by_id(found.account_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    policy::authorize(viewer, action, Target::Service(&found, &owner))?;
    Ok((found, owner))
}

pub(super) async fn set_status<C: ConnectionTrait>(
    db: &C,
    found: service::Model,
    status: ServiceStatus,
) -> AppResult<service::Model> {
    let mut active: service::ActiveModel = found.into();
    active.status = Set(status);
    active.updated_at = Set(crate::domain::now());
    Ok(active.update(db).await?)
}

/// Pauses an active service (not billed while paused).
pub async fn pause(db: &DatabaseConnection, viewer: &Viewer, id: i64) -> AppResult<service::Model> {
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock_for(&txn, viewer, id, Action::PauseServices).await?;
    if found.status != ServiceStatus::Active {
        return Err(state_error(format!(
            "only an ACTIVE service can be paused; this one is {}",
            found.status.as_str()
        )));
    }
    let paused = set_status(&txn, found, ServiceStatus::Paused).await?;
    service_pause::ActiveModel {
        service_id: Set(paused.id),
        paused_on: Set(crate::domain::today()),
        kind: Set(PauseKind::Pause),
        resumed_on: Set(None),
        created_at: Set(crate::domain::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let record = Record::on(Ref::Service(paused.id)).change("status", "ACTIVE", "PAUSED");
    activity::record(&txn, owner.id, viewer, Activity::ServicePaused, record).await?;
    txn.commit().await?;
    Ok(paused)
}

/// Resumes a paused service.
pub async fn resume(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> AppResult<service::Model> {
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock_for(&txn, viewer, id, Action::PauseServices).await?;
    if found.status != ServiceStatus::Paused {
        return Err(state_error(format!(
            "only a PAUSED service can be resumed; this one is {}",
            found.status.as_str()
        )));
    }
    let resumed = set_status(&txn, found, ServiceStatus::Active).await?;
    if let Some(open) = service_pause::Entity::find()
        .filter(service_pause::Column::ServiceId.eq(resumed.id))
        .filter(service_pause::Column::Kind.eq(PauseKind::Pause))
        .filter(service_pause::Column::ResumedOn.is_null())
        .order_by_desc(service_pause::Column::Id)
        .one(&txn)
        .await?
    {
        let mut active: service_pause::ActiveModel = open.into();
        active.resumed_on = Set(Some(crate::domain::today()));
        active.update(&txn).await?;
    }
    let record = Record::on(Ref::Service(resumed.id)).change("status", "PAUSED", "ACTIVE");
    activity::record(&txn, owner.id, viewer, Activity::ServiceResumed, record).await?;
    txn.commit().await?;
    Ok(resumed)
}

/// Records the price a service is billed at from `valid_from` on (inside the caller's
/// transaction): when it is created and on every tariff change.
pub async fn record_rate<C: ConnectionTrait>(
    db: &C,
    service: &service::Model,
    tariff: &tariff::Model,
    valid_from: chrono::NaiveDate,
) -> AppResult<()> {
    service_rate::ActiveModel {
        service_id: Set(service.id),
        tariff_id: Set(tariff.id),
        description: Set(service.description.clone()),
        price_minor: Set(service.price_minor),
        tax_percent_minor: Set(tariff.tax_percent_minor),
        valid_from: Set(valid_from),
        created_at: Set(crate::domain::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Switches a service to `to` from today on (inside the caller's transaction).
async fn switch_tariff<C: ConnectionTrait>(
    db: &C,
    found: service::Model,
    to: &tariff::Model,
) -> AppResult<service::Model> {
    let mut active: service::ActiveModel = found.into();
    active.tariff_id = Set(to.id);
    active.price_minor = Set(to.price_minor);
    active.billing_period = Set(to.period);
    active.description = Set(to.name.clone());
    active.updated_at = Set(crate::domain::now());
    let switched = active.update(db).await?;
    record_rate(db, &switched, to, crate::domain::today()).await?;
    Ok(switched)
}

/// Changes a service's tariff: at once (`SELF_CHANGE`, when the current tariff allows it)
/// or by a request an admin decides (`REQUEST`, one open request per service).
pub async fn change(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    to_tariff: Option<i64>,
    mode: ChangeMode,
) -> AppResult<(service::Model, change_request::Model)> {
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock_for(&txn, viewer, id, Action::ChangeServices).await?;
    if !changeable(found.status) {
        return Err(state_error(format!(
            "a {} service cannot be changed",
            found.status.as_str()
        )));
    }
    let no_tariff = || AppError::user(UserError::invalid("tariffId", "no such tariff"));
    let to = tariff::Entity::find_by_id(to_tariff.ok_or_else(no_tariff)?)
        .one(&txn)
        .await?
        .ok_or_else(no_tariff)?;
    let from = tariff::Entity::find_by_id(found.tariff_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    switchable(&from, &to).map_err(|why| AppError::user(UserError::invalid("tariffId", why)))?;
    let open = change_request::Entity::find()
        .filter(change_request::Column::ServiceId.eq(found.id))
        .filter(change_request::Column::Status.eq(ChangeRequestStatus::Pending))
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(state_error(
            "the service already has an open change request".into(),
        ));
    }
    if mode == ChangeMode::SelfChange && !from.allows_self_change {
        return Err(AppError::user(UserError::new(
            UserErrorCode::NotAllowedBySettings,
            format!(
                "the tariff {} does not allow self-change; file a change request",
                from.name
            ),
        )));
    }
    let now = crate::domain::now();
    let request = change_request::ActiveModel {
        service_id: Set(found.id),
        from_tariff_id: Set(from.id),
        to_tariff_id: Set(to.id),
        mode: Set(mode),
        status: Set(if mode == ChangeMode::SelfChange {
            ChangeRequestStatus::Applied
        } else {
            ChangeRequestStatus::Pending
        }),
        requested_by_id: Set(viewer.account().map(|a| a.id)),
        created_at: Set(now),
        decided_at: Set((mode == ChangeMode::SelfChange).then_some(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let service = if mode == ChangeMode::SelfChange {
        switch_tariff(&txn, found, &to).await?
    } else {
        found
    };
    let action = if mode == ChangeMode::SelfChange {
        Activity::ServiceChanged
    } else {
        Activity::ServiceChangeRequested
    };
    activity::record(
        &txn,
        owner.id,
        viewer,
        action,
        Record::on(Ref::Service(service.id)).change("tariff", from.name.clone(), to.name.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok((service, request))
}

/// An admin's decision on a change request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeDecision {
    /// Apply the new tariff from today.
    Approve,
    Reject,
}

/// Whether a service on `from` may move to `to`: another tariff of the same kind (a custom
/// one also of the same period); why not otherwise.
pub fn switchable(from: &tariff::Model, to: &tariff::Model) -> Result<(), &'static str> {
    if to.id == from.id {
        return Err("the service is already on this tariff");
    }
    if to.kind != from.kind || (to.kind == TariffKind::Custom && to.period != from.period) {
        return Err("the new tariff must be of the same kind");
    }
    Ok(())
}

/// Whether a service in this state can still change tariff.
pub fn changeable(status: ServiceStatus) -> bool {
    matches!(status, ServiceStatus::Active | ServiceStatus::Paused)
}

/// An admin approves (applies) or rejects a pending change request. Approving checks the
/// service again: one that ended meanwhile cannot change tariff.
pub async fn decide_change(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    decision: ChangeDecision,
) -> AppResult<(service::Model, change_request::Model)> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let request = change_request::Entity::find_by_id(id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if request.status != ChangeRequestStatus::Pending {
        return Err(state_error(format!(
            "the change request is already {}",
            request.status.as_str()
        )));
    }
    let found = service::Entity::find_by_id(request.service_id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = tariff::Entity::find_by_id(request.from_tariff_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = tariff::Entity::find_by_id(request.to_tariff_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let (service, status, what) = match decision {
        ChangeDecision::Approve => {
            if !changeable(found.status) {
                return Err(state_error(format!(
                    "the service is {} and can no longer change tariff; reject the request",
                    found.status.as_str()
                )));
            }
            (
                switch_tariff(&txn, found, &to).await?,
                ChangeRequestStatus::Approved,
                Activity::ServiceChangeApproved,
            )
        }
        ChangeDecision::Reject => (
            found,
            ChangeRequestStatus::Rejected,
            Activity::ServiceChangeRejected,
        ),
    };
    let mut active: change_request::ActiveModel = request.clone().into();
    active.status = Set(status);
    active.decided_at = Set(Some(crate::domain::now()));
    let decided = active.update(&txn).await?;
    let tariff_after = if decision == ChangeDecision::Approve {
        &to.name
    } else {
        &from.name
    };
    activity::record(
        &txn,
        service.account_id,
        viewer,
        what,
        Record::on(Ref::Service(service.id))
            .value("requested", json!({ "from": from.name, "to": to.name }))
            .change("tariff", from.name.clone(), tariff_after.clone())
            .change("changeRequest", "PENDING", status.as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok((service, decided))
}
