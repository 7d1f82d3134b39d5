//! The admin's decisions on service requests: approve with a start date (the service is
//! created, `ACTIVE` from that date and paid through the first month), or reject (what was
//! paid for it goes back to the payer's balance). The account is told either way, in words
//! that name only what it can open.

use crate::db::LockForWrite;
use chrono::{Months, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, Set,
};

use entity::{
    account,
    enums::{BillingPeriod, NotificationKind, OrderStatus, ServiceRequestStatus, ServiceStatus},
    order, order_item, service, service_request, tariff,
};

use crate::{
    auth::Viewer,
    domain::{
        self,
        account::post_ledger_entry,
        activity::{self, Activity},
        notification::{self, Template},
        record::{Record, Ref},
        validate::Checks,
    },
    error::{AppError, AppResult, UserError, UserErrorCode},
    money::Money,
    policy,
};

/// After a decision on one of its requests: an order with no pending request left is
/// `APPROVED` if any request was approved, `REJECTED` if all were rejected.
async fn settle_order_status<C: ConnectionTrait>(db: &C, order_id: i64) -> AppResult<()> {
    let statuses: Vec<ServiceRequestStatus> = service_request::Entity::find()
        .select_only()
        .column(service_request::Column::Status)
        .filter(service_request::Column::OrderId.eq(order_id))
        .into_tuple()
        .all(db)
        .await?;
    if statuses.contains(&ServiceRequestStatus::Pending) {
        return Ok(());
    }
    let next = if statuses.contains(&ServiceRequestStatus::Approved) {
        OrderStatus::Approved
    } else {
        OrderStatus::Rejected
    };
    if let Some(found) = order::Entity::find_by_id(order_id).one(db).await? {
        let mut active: order::ActiveModel = found.into();
        active.status = Set(next);
        active.updated_at = Set(domain::now());
        active.update(db).await?;
    }
    Ok(())
}

/// A pending request, locked, with its order and the account it is for.
async fn lock_pending(
    txn: &DatabaseTransaction,
    id: i64,
) -> AppResult<(service_request::Model, order::Model, account::Model)> {
    let found = service_request::Entity::find_by_id(id)
        .for_write()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.status != ServiceRequestStatus::Pending {
        return Err(AppError::user(UserError::new(
            UserErrorCode::InvalidState,
            format!("the service request is already {}", found.status.as_str()),
        )));
    }
    let order = order::Entity::find_by_id(found.order_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = account::Entity::find_by_id(found.account_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((found, order, account))
}

/// The last day paid by an order's first month: the day before the same date a month later.
pub fn first_month_paid_through(start: NaiveDate) -> Option<NaiveDate> {
    start.checked_add_months(Months::new(1))?.pred_opt()
}

/// An admin approves a request with its start date: the service is created, `ACTIVE` from
/// that date (`PENDING` until then) and paid through the first month.
pub async fn approve_request(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    start: NaiveDate,
) -> AppResult<service_request::Model> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let (request, order, account) = lock_pending(&txn, id).await?;
    let tariff = tariff::Entity::find_by_id(request.tariff_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let item = order_item::Entity::find_by_id(request.order_item_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = domain::now();
    let monthly = tariff.period == BillingPeriod::Monthly;
    let created = service::ActiveModel {
        account_id: Set(request.account_id),
        tariff_id: Set(tariff.id),
        description: Set(tariff.name.clone()),
        status: Set(if start <= crate::domain::today() {
            ServiceStatus::Active
        } else {
            ServiceStatus::Pending
        }),
        billing_period: Set(tariff.period),
        price_minor: Set(item.unit_price_minor),
        start_date: Set(Some(start)),
        end_date: Set(None),
        paid_through: Set(if monthly {
            first_month_paid_through(start)
        } else {
            Some(start)
        }),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    domain::service::record_rate(&txn, &created, &tariff, start).await?;
    let mut active: service_request::ActiveModel = request.clone().into();
    active.status = Set(ServiceRequestStatus::Approved);
    active.start_date = Set(Some(start));
    active.service_id = Set(Some(created.id));
    active.decided_at = Set(Some(now));
    let approved = active.update(&txn).await?;
    settle_order_status(&txn, request.order_id).await?;
    // About the new service; the order too where the account may open it (one its main
    // account placed for it is the main's).
    let mut record = Record::on(Ref::Service(created.id))
        .names("tariff", Ref::Tariff(tariff.id))
        .value("startDate", start.to_string());
    if policy::account_sees_order(&account, &order) {
        record = record.and_on(Ref::Order(order.id));
    }
    notification::notify(
        &txn,
        account.id,
        NotificationKind::ServiceRequestApproved,
        Template::ServiceStarts,
        record.clone(),
    )
    .await?;
    activity::record(
        &txn,
        account.id,
        viewer,
        Activity::ServiceRequestApproved,
        record,
    )
    .await?;
    txn.commit().await?;
    Ok(approved)
}

/// An admin rejects a request: what was paid for it goes back to the payer's balance.
pub async fn reject_request(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    reason: &str,
) -> AppResult<service_request::Model> {
    policy::require_admin(viewer)?;
    let mut checks = Checks::default();
    let reason = checks.text("reason", reason, 1, 500);
    checks.finish()?;
    let txn = crate::db::write_txn(db).await?;
    let (request, order, account) = lock_pending(&txn, id).await?;
    let payer = account::Entity::find_by_id(order.payer_id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let tariff = tariff::Entity::find_by_id(request.tariff_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let refund = Money::from_minor(request.amount_minor);
    post_ledger_entry(
        &txn,
        &payer,
        refund,
        &format!(
            "refund: a service request of order {} was rejected",
            order.number
        ),
        viewer,
    )
    .await?;
    let mut active: service_request::ActiveModel = request.clone().into();
    active.status = Set(ServiceRequestStatus::Rejected);
    active.rejection_reason = Set(Some(reason.clone()));
    active.decided_at = Set(Some(domain::now()));
    let rejected = active.update(&txn).await?;
    settle_order_status(&txn, order.id).await?;
    // The account hears about its service; the order, and the refund, are the payer's: each
    // is named to a reader who may see it.
    let record = Record::default()
        .names("tariff", Ref::Tariff(tariff.id))
        .names("order", Ref::Order(order.id))
        .value("reason", reason)
        .balance_amount("refund", payer.id, refund);
    notification::notify(
        &txn,
        account.id,
        NotificationKind::ServiceRequestRejected,
        Template::ServiceNotProvided,
        record.clone(),
    )
    .await?;
    activity::record(
        &txn,
        account.id,
        viewer,
        Activity::ServiceRequestRejected,
        record.clone(),
    )
    .await?;
    if order.paid_for_another() {
        activity::record(
            &txn,
            payer.id,
            viewer,
            Activity::ServiceRequestRefunded,
            record.and_on(Ref::Order(order.id)),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(rejected)
}

#[cfg(test)]
mod tests {
    use super::first_month_paid_through;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date literal")
    }

    #[test]
    fn the_first_month_runs_to_the_day_before_the_same_date_next_month() {
        assert_eq!(
            first_month_paid_through(d("2026-11-15")),
            Some(d("2026-12-14"))
        );
        assert_eq!(
            first_month_paid_through(d("2026-12-01")),
            Some(d("2026-12-31"))
        );
        // No 31 February: the month is clamped to its last day.
        assert_eq!(
            first_month_paid_through(d("2027-01-31")),
            Some(d("2027-02-27"))
        );
    }
}
