//! Orders, the three paths of SPEC.md: a main account orders for its aggregated sub-account
//! and pays at once; an aggregated sub-account asks and its main approves (by paying) or
//! rejects; anyone else orders for itself and pays. Each paid line opens a service request
//! that an admin approves with a start date (creating the service) or rejects (refunding
//! the line to the payer). Payment is exactly once: an idempotency key belongs to whoever
//! sent it and the account it acts for ([`keys`]), and the order row is locked while it is
//! paid. A request never waits on a main account that cannot act on it: losing that right
//! calls waiting orders off.

pub mod controls;
pub mod failure;
mod keys;
mod price;
mod request;
mod settle;

use crate::db::LockForWrite;
use chrono::Datelike;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, Set,
};

use entity::{
    account,
    enums::{NotificationKind, OrderStatus},
    order, order_item, order_key,
};

pub use failure::{CalledOff, Failure};
use keys::Claim;
pub use price::{Quote, QuoteLine, quote};
pub use request::{approve_request, first_month_paid_through, reject_request};
use settle::{Settling, settle};

use super::{
    activity::{self, Activity},
    notification::{self, Template},
    payment::PaymentGateway,
    record::{Reader, Record, Ref, Rows, Wanted},
    validate::Checks,
};
use crate::{
    auth::{Subject, Viewer},
    error::{AppError, AppResult, UserError, UserErrorCode},
    policy::{self, Action, Payment, Target},
};

/// One requested line.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub tariff_id: i64,
    pub quantity: i32,
}

/// How the payer pays.
#[derive(Debug, Clone)]
pub enum PaymentChoice {
    Balance,
    Gateway(Option<String>),
}

/// An order, and why its payment failed when it did (the failed attempt is kept).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub order: order::Model,
    pub refusal: Option<UserError>,
}

/// What a key used before answers: its order (which the viewer must still be allowed to
/// see) and, when that attempt's payment failed, why, told to the viewer.
async fn replay(
    txn: DatabaseTransaction,
    viewer: &Viewer,
    used: order_key::Model,
) -> AppResult<Outcome> {
    let found = match used.order_id {
        Some(id) => order::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    }
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("key {} has no order", used.id)))?;
    // The attempt's failure as it was then (the order may have been paid since).
    let attempt = order::Model {
        failure: used.refusal.clone(),
        ..found.clone()
    };
    let mut wanted: Wanted = failure::refs(&attempt).into_iter().collect();
    wanted.add(Ref::Account(found.account_id));
    wanted.add(Ref::Order(found.id));
    let rows = Rows::load(&txn, &wanted).await?;
    txn.rollback().await?;
    let account = rows
        .accounts
        .get(&found.account_id)
        .ok_or(AppError::NotFound)?;
    policy::authorize(viewer, Action::See, Target::Order(&found, account))?;
    let refusal = failure::refusal(&Reader::new(viewer, &rows), &attempt);
    Ok(Outcome {
        order: found,
        refusal,
    })
}

fn check_key(key: &Option<String>) -> AppResult<()> {
    let mut checks = Checks::default();
    if let Some(k) = key {
        checks.text("idempotencyKey", k, 1, 200);
    }
    checks.finish()
}

/// Places an order for `account_id` (see the module doc for the three paths).
pub async fn place(
    db: &DatabaseConnection,
    gateway: &dyn PaymentGateway,
    viewer: &Viewer,
    account_id: i64,
    items: &[NewItem],
    payment: Option<PaymentChoice>,
    idempotency_key: Option<String>,
) -> AppResult<Outcome> {
    let target = super::account::find_visible(db, viewer, account_id).await?;
    policy::authorize(viewer, Action::Order, Target::Account(&target))?;
    let Viewer::Customer(me) = viewer else {
        // The policy lets only account holders order.
        return Err(AppError::Denied(Action::Order));
    };
    check_key(&idempotency_key)?;
    let how = policy::payment(me, &target);
    let payer_id = match (how, &payment) {
        (Payment::AsksMain { .. }, Some(_)) => {
            return Err(AppError::user(UserError::invalid(
                "paymentMethod",
                "orders of an aggregated sub-account are paid by its main account",
            )));
        }
        (Payment::Now { .. }, None) => {
            return Err(AppError::user(UserError::invalid(
                "paymentMethod",
                "choose how to pay",
            )));
        }
        (Payment::AsksMain { main }, None) => main,
        (Payment::Now { payer }, Some(_)) => payer,
    };
    let lines = price::price(db, items).await?;
    let sums = price::totals(&lines)?;

    let txn = crate::db::write_txn(db).await?;
    // The key first: a concurrent call with it waits here and replays this one's result.
    let key = match &idempotency_key {
        Some(key) => match keys::claim(&txn, viewer, target.id, key).await? {
            Claim::Mine(claimed) => Some(claimed),
            Claim::Used(used) => return replay(txn, viewer, used).await,
        },
        None => None,
    };
    let now = super::now();
    // For a request to the main: whether it is paid at once (auto-approval), and when it
    // expires otherwise.
    let mut asks = None;
    if let Payment::AsksMain { main } = how {
        // The sub-account's row first: its orders are checked against its cap one at a
        // time.
        let sub = account::Entity::find_by_id(target.id)
            .for_write()
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        // The main account must be able to act on the request when it is written: its row
        // is locked against a switch flipped meanwhile (which calls waiting orders off), and
        // the policy is asked again with what the database says now. With auto-approval
        // possible it is locked for the payment at once (two sub-accounts paying at once
        // then queue instead of both holding a shared lock they cannot upgrade).
        let main = account::Entity::find_by_id(main);
        let main = if sub.auto_approve_minor.is_some() {
            main.for_write().one(&txn).await?
        } else {
            main.lock_shared().one(&txn).await?
        }
        .ok_or(AppError::NotFound)?;
        let again = crate::auth::load_viewer(&txn, Subject::Account(me.account.id)).await?;
        policy::authorize(&again, Action::Order, Target::Account(&target))?;
        controls::check_cap(&txn, &sub, sums.total, now).await?;
        let auto = controls::auto_approves(&sub, &main, sums.total);
        asks = Some((auto, controls::expiry_of(&txn, &sub, now).await?));
    }
    let year = now.year();
    let number = format!(
        "ORD-{year}-{:06}",
        crate::db::next_number(&txn, &format!("order:{year}")).await?
    );
    let created = order::ActiveModel {
        number: Set(number),
        account_id: Set(target.id),
        placed_by_id: Set(me.account.id),
        payer_id: Set(payer_id),
        status: Set(OrderStatus::AwaitingMainApproval),
        subtotal_minor: Set(sums.subtotal.minor()),
        tax_minor: Set(sums.tax.minor()),
        total_minor: Set(sums.total.minor()),
        payment_method: Set(None),
        paid_at: Set(None),
        invoice_id: Set(None),
        rejection_reason: Set(None),
        failure: Set(None),
        expires_at: Set(asks.map(|(_, expires)| expires)),
        reminded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for line in &lines {
        order_item::ActiveModel {
            order_id: Set(created.id),
            tariff_id: Set(line.tariff.id),
            quantity: Set(line.quantity),
            unit_price_minor: Set(line.unit_price.minor()),
            tax_percent_minor: Set(line.tariff.tax_percent_minor),
            tax_minor: Set(line.tax().ok_or_else(price::out_of_range)?.minor()),
            total_minor: Set(line.total().ok_or_else(price::out_of_range)?.minor()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    // The placer's history (a main ordering for a sub-account: the order is the main's; the
    // sub-account hears of its new services once they are paid).
    let on_order = Record::on(Ref::Order(created.id))
        .names("order", Ref::Order(created.id))
        .amount("total", Ref::Order(created.id), sums.total);
    let placed = if created.paid_for_another() {
        on_order
            .clone()
            .names("subAccount", Ref::Account(target.id))
    } else {
        on_order.clone()
    };
    activity::record(&txn, me.account.id, viewer, Activity::OrderPlaced, placed).await?;
    let for_main = on_order.names("subAccount", Ref::Account(target.id));
    match how {
        Payment::AsksMain { main } if asks.is_some_and(|(auto, _)| auto) => {
            // At or under the threshold, and the main's balance covers it: paid at once
            // from the main's balance, as if the main had approved it.
            activity::record(&txn, main, viewer, Activity::OrderAutoApproved, for_main).await?;
            settle(
                txn,
                gateway,
                viewer,
                created,
                PaymentChoice::Balance,
                key,
                Settling::Approving,
            )
            .await
        }
        Payment::AsksMain { main } => {
            let main = account::Entity::find_by_id(main)
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound)?;
            notification::sub_account_ordered(&txn, &main, &target, &created).await?;
            activity::record(
                &txn,
                main.id,
                viewer,
                Activity::OrderAwaitingApproval,
                for_main,
            )
            .await?;
            if let Some(key) = key {
                keys::bind(&txn, key, created.id, None).await?;
            }
            txn.commit().await?;
            Ok(Outcome {
                order: created,
                refusal: None,
            })
        }
        Payment::Now { .. } => {
            let method = payment.unwrap_or(PaymentChoice::Balance);
            settle(
                txn,
                gateway,
                viewer,
                created,
                method,
                key,
                Settling::Placing,
            )
            .await
        }
    }
}

/// Loads an order for change, locked, that the viewer may `action`.
async fn lock_order(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order_id: i64,
    action: Action,
) -> AppResult<(order::Model, account::Model)> {
    let found = order::Entity::find_by_id(order_id)
        .for_write()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = account::Entity::find_by_id(found.account_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    policy::authorize(viewer, action, Target::Order(&found, &account))?;
    Ok((found, account))
}

/// A waiting order asked about after its deadline: expired here and now (the deadline holds
/// at the action, whether or not the hourly job has run), then the refusal.
async fn too_late(txn: DatabaseTransaction, viewer: &Viewer, found: order::Model) -> AppError {
    let number = found.number.clone();
    let expired = async {
        controls::expire(&txn, viewer, found).await?;
        txn.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    match expired {
        Ok(()) => AppError::user(UserError::new(
            UserErrorCode::Expired,
            format!("order {number} expired: its deadline passed; nothing was charged"),
        )),
        Err(e) => e,
    }
}

fn not_awaiting(order: &order::Model) -> AppError {
    AppError::user(UserError::new(
        UserErrorCode::InvalidState,
        format!(
            "order {} is {}, not awaiting approval",
            order.number,
            order.status.as_str()
        ),
    ))
}

/// The main account approves a sub-account's order by paying it.
pub async fn approve(
    db: &DatabaseConnection,
    gateway: &dyn PaymentGateway,
    viewer: &Viewer,
    order_id: i64,
    method: PaymentChoice,
    idempotency_key: Option<String>,
) -> AppResult<Outcome> {
    check_key(&idempotency_key)?;
    let txn = crate::db::write_txn(db).await?;
    let (found, _) = lock_order(&txn, viewer, order_id, Action::ManageOrders).await?;
    if controls::past_deadline(&found, super::now()) {
        return Err(too_late(txn, viewer, found).await);
    }
    // The order's row is locked: approvals of it go one at a time, and one with a key used
    // before replays that one.
    let key = match &idempotency_key {
        Some(key) => match keys::claim(&txn, viewer, found.account_id, key).await? {
            Claim::Mine(claimed) => Some(claimed),
            Claim::Used(used) if used.order_id == Some(found.id) => {
                return replay(txn, viewer, used).await;
            }
            Claim::Used(_) => {
                return Err(AppError::user(
                    UserError::new(
                        UserErrorCode::Duplicate,
                        "this idempotency key was used for another order",
                    )
                    .at("idempotencyKey"),
                ));
            }
        },
        None => None,
    };
    if found.status != OrderStatus::AwaitingMainApproval {
        return Err(not_awaiting(&found));
    }
    settle(
        txn,
        gateway,
        viewer,
        found,
        method,
        key,
        Settling::Approving,
    )
    .await
}

/// The main account rejects a sub-account's order, with a reason the sub-account is told.
pub async fn reject(
    db: &DatabaseConnection,
    viewer: &Viewer,
    order_id: i64,
    reason: &str,
) -> AppResult<order::Model> {
    let mut checks = Checks::default();
    let reason = checks.text("reason", reason, 1, 500);
    checks.finish()?;
    let txn = crate::db::write_txn(db).await?;
    let (found, account) = lock_order(&txn, viewer, order_id, Action::ManageOrders).await?;
    if controls::past_deadline(&found, super::now()) {
        return Err(too_late(txn, viewer, found).await);
    }
    if found.status != OrderStatus::AwaitingMainApproval {
        return Err(not_awaiting(&found));
    }
    let mut active: order::ActiveModel = found.clone().into();
    active.status = Set(OrderStatus::RejectedByMain);
    active.rejection_reason = Set(Some(reason.clone()));
    active.updated_at = Set(super::now());
    let rejected = active.update(&txn).await?;
    // The reason is written by the main account for its sub-account.
    let record = Record::on(Ref::Order(found.id))
        .names("order", Ref::Order(found.id))
        .value("reason", reason);
    notification::notify(
        &txn,
        account.id,
        NotificationKind::OrderRejected,
        Template::OrderRejected,
        record.clone(),
    )
    .await?;
    let record = record.change("status", found.status.as_str(), "REJECTED_BY_MAIN");
    activity::record(
        &txn,
        account.id,
        viewer,
        Activity::OrderRejected,
        record.clone(),
    )
    .await?;
    activity::record(
        &txn,
        found.payer_id,
        viewer,
        Activity::OrderRejected,
        record,
    )
    .await?;
    txn.commit().await?;
    Ok(rejected)
}

/// Calls off the orders waiting for `main` (those of one sub-account, when given): the main
/// account can no longer act on them. Nothing was charged; both sides are told. Runs in the
/// transaction that took the right away, with the main account's row locked.
pub async fn cancel_waiting<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    main: &account::Model,
    sub: Option<i64>,
    why: CalledOff,
) -> AppResult<usize> {
    let mut q = order::Entity::find()
        .filter(order::Column::PayerId.eq(main.id))
        .filter(order::Column::Status.eq(OrderStatus::AwaitingMainApproval));
    if let Some(sub) = sub {
        q = q.filter(order::Column::AccountId.eq(sub));
    }
    let waiting = q.for_write().all(db).await?;
    for found in &waiting {
        let failure = Failure::CalledOff(why);
        let mut active: order::ActiveModel = found.clone().into();
        active.status = Set(OrderStatus::Cancelled);
        active.failure = Set(Some(failure.stored(found)));
        active.updated_at = Set(super::now());
        active.update(db).await?;
        let record = Record::on(Ref::Order(found.id))
            .names("order", Ref::Order(found.id))
            .names("subAccount", Ref::Account(found.account_id))
            .value("reason", why.words());
        for (account, template) in [
            (found.account_id, Template::OrderCalledOff),
            (main.id, Template::SubAccountOrderCalledOff),
        ] {
            notification::notify(
                db,
                account,
                NotificationKind::OrderCancelled,
                template,
                record.clone(),
            )
            .await?;
            let entry = record
                .clone()
                .change("status", found.status.as_str(), "CANCELLED");
            activity::record(db, account, viewer, Activity::OrderCancelled, entry).await?;
        }
    }
    Ok(waiting.len())
}
