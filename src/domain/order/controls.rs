//! What a main account controls over the orders of an aggregated sub-account it manages
//! (SPEC.md "Controls"): a monthly spending cap and an auto-approval threshold; and the
//! expiry of requests that wait too long for the main.
//!
//! What counts against the cap: the sub-account's own orders of this calendar month (in the
//! ISP's time zone) that are waiting for the main or paid (`AWAITING_MAIN_APPROVAL`, `PAID`,
//! `APPROVED`); rejected, failed, cancelled and expired ones do not. The sub-account's row is
//! locked while an order is checked and written, so orders placed at once cannot pass the
//! cap together.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};

use entity::{
    account,
    enums::{NotificationKind, OrderStatus},
    order, partner_portal_settings,
};

use crate::{
    auth::Viewer,
    db::LockForWrite,
    domain::{
        self,
        activity::{self, Activity},
        billing::Month,
        notification::{self, Template},
        record::{Record, Ref},
        validate::Checks,
    },
    error::{AppError, AppResult, UserError, UserErrorCode},
    money::Money,
    policy::{self, Action, Target},
};

/// Statuses whose totals count against the cap.
const COUNTED: [OrderStatus; 3] = [
    OrderStatus::AwaitingMainApproval,
    OrderStatus::Paid,
    OrderStatus::Approved,
];

/// What each account's own orders of the month containing `now` add up to (minor units;
/// absent: nothing). One statement for many accounts (the list column and the cap check).
pub async fn spent_this_month<C: ConnectionTrait>(
    db: &C,
    accounts: &[i64],
    now: DateTime<Utc>,
) -> AppResult<std::collections::HashMap<i64, i64>> {
    if accounts.is_empty() {
        return Ok(Default::default());
    }
    let month = Month::containing(domain::local_date(now));
    let from = domain::start_of_day(month.first);
    let until = domain::start_of_day(month.next_first());
    let rows: Vec<(i64, i64)> = order::Entity::find()
        .select_only()
        .column(order::Column::AccountId)
        .column_as(Expr::cust("CAST(SUM(total_minor) AS BIGINT)"), "spent")
        .filter(crate::db::among::column_among(
            order::Column::AccountId,
            accounts.iter().copied(),
        ))
        .filter(
            Expr::col((order::Entity, order::Column::PlacedById))
                .equals((order::Entity, order::Column::AccountId)),
        )
        .filter(order::Column::Status.is_in(COUNTED))
        .filter(order::Column::CreatedAt.gte(from))
        .filter(order::Column::CreatedAt.lt(until))
        .group_by(order::Column::AccountId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Refuses an order of `total` that would take the sub-account over its cap this month
/// (inside the placing transaction, after the sub-account's row is locked).
pub async fn check_cap<C: ConnectionTrait>(
    db: &C,
    sub: &account::Model,
    total: Money,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(cap) = sub.spending_cap_minor else {
        return Ok(());
    };
    let spent = spent_this_month(db, &[sub.id], now)
        .await?
        .get(&sub.id)
        .copied()
        .unwrap_or(0);
    let remaining = Ord::max(cap - spent, 0);
    if total.minor() > remaining {
        return Err(AppError::user(UserError::new(
            UserErrorCode::SpendingLimitExceeded,
            format!(
                "this order costs {total}; {} of the monthly cap of {} remains this month",
                Money::from_minor(remaining),
                Money::from_minor(cap)
            ),
        )));
    }
    Ok(())
}

/// Whether an order of `total` is paid at once from the main account's balance: at or under
/// the threshold, and the balance covers it (otherwise it waits for the main).
pub fn auto_approves(sub: &account::Model, main: &account::Model, total: Money) -> bool {
    sub.auto_approve_minor
        .is_some_and(|limit| total.minor() <= limit)
        && main.balance_minor >= total.minor()
}

/// When a request of `sub` waiting for its main expires: after its partner's number of days.
pub async fn expiry_of<C: ConnectionTrait>(
    db: &C,
    sub: &account::Model,
    now: DateTime<Utc>,
) -> AppResult<DateTime<Utc>> {
    let days = partner_portal_settings::Entity::find_by_id(sub.partner_id)
        .one(db)
        .await?
        .map_or(super::super::catalog::DEFAULT_APPROVAL_EXPIRY_DAYS, |s| {
            s.approval_expiry_days
        });
    Ok(now + chrono::Duration::days(i64::from(Ord::max(days, 1))))
}

fn amount(checks: &mut Checks, field: &str, value: Option<Decimal>) -> Option<i64> {
    let value = value?;
    let money = checks.money(field, value)?;
    checks.require(!money.is_negative(), field, "must not be negative");
    Some(money.minor())
}

/// Sets (or clears, with `None`) an aggregated sub-account's monthly cap and auto-approval
/// threshold: its main account (managing it) or staff.
pub async fn set_spending_controls(
    db: &DatabaseConnection,
    viewer: &Viewer,
    account_id: i64,
    cap: Option<Decimal>,
    auto_approve_up_to: Option<Decimal>,
) -> AppResult<account::Model> {
    let target = domain::account::find_visible(db, viewer, account_id).await?;
    policy::authorize(
        viewer,
        Action::SetSpendingControls,
        Target::Account(&target),
    )?;
    let mut checks = Checks::default();
    let cap = amount(&mut checks, "monthlyCap", cap);
    let threshold = amount(&mut checks, "autoApproveUpTo", auto_approve_up_to);
    if let (Some(cap), Some(threshold)) = (cap, threshold) {
        checks.require(
            threshold <= cap,
            "autoApproveUpTo",
            "the auto-approval threshold cannot be above the monthly cap",
        );
    }
    checks.finish()?;
    let txn = crate::db::write_txn(db).await?;
    let found = account::Entity::find_by_id(target.id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let shown = |minor: Option<i64>| minor.map(|m| Money::from_minor(m).to_string());
    let before = (
        shown(found.spending_cap_minor),
        shown(found.auto_approve_minor),
    );
    let mut active: account::ActiveModel = found.into();
    active.spending_cap_minor = Set(cap);
    active.auto_approve_minor = Set(threshold);
    active.updated_at = Set(domain::now());
    let updated = active.update(&txn).await?;
    let after = (shown(cap), shown(threshold));
    activity::record(
        &txn,
        updated.id,
        viewer,
        Activity::SpendingControlsSet,
        Record::default()
            .change("monthlyCap", before.0, after.0)
            .change("autoApproveUpTo", before.1, after.1),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// An order's two parties (its account and its payer) and what notifications about it say.
async fn parties<C: ConnectionTrait>(
    db: &C,
    found: &order::Model,
) -> AppResult<(account::Model, account::Model, Record)> {
    let sub = account::Entity::find_by_id(found.account_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let main = account::Entity::find_by_id(found.payer_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = found.id;
    let about = Record::on(Ref::Order(id))
        .names("order", Ref::Order(id))
        .names("subAccount", Ref::Account(sub.id))
        .amount(
            "total",
            Ref::Order(id),
            Money::from_minor(found.total_minor),
        )
        .value("currency", sub.currency.clone());
    Ok((sub, main, about))
}

/// Whether a waiting order's deadline has passed at `now`.
pub fn past_deadline(order: &order::Model, now: DateTime<Utc>) -> bool {
    order.status == OrderStatus::AwaitingMainApproval
        && order.expires_at.is_some_and(|at| at <= now)
}

/// Expires a waiting order whose deadline has passed (locked by the caller, in its
/// transaction): `EXPIRED`, nothing charged, both accounts told. The hourly job does it for
/// every such order; an approval or rejection that comes too late does it there and then.
pub async fn expire<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    found: order::Model,
) -> AppResult<order::Model> {
    let (sub, main, about) = parties(db, &found).await?;
    let mut active: order::ActiveModel = found.into();
    active.status = Set(OrderStatus::Expired);
    active.updated_at = Set(domain::now());
    let expired = active.update(db).await?;
    for (account, template) in [
        (&main, Template::SubAccountOrderExpired),
        (&sub, Template::OrderExpired),
    ] {
        notification::notify(
            db,
            account.id,
            NotificationKind::OrderExpired,
            template,
            about.clone(),
        )
        .await?;
        let record = about
            .clone()
            .change("status", "AWAITING_MAIN_APPROVAL", "EXPIRED");
        activity::record(db, account.id, viewer, Activity::OrderExpired, record).await?;
    }
    Ok(expired)
}

/// What one expiry run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expiry {
    pub reminded: u32,
    pub expired: u32,
}

/// Reminds main accounts of requests that expire within a day (once), and expires those
/// whose time has come (`EXPIRED`, nothing charged, both accounts told). Each order in its
/// own transaction, re-checked under its lock. The scheduler's `expire-approvals` job.
pub async fn expire_due(
    db: &DatabaseConnection,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<Expiry> {
    policy::require_admin(viewer)?;
    let mut out = Expiry::default();
    // Ids only: each order is read again under its row lock.
    let due: Vec<i64> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::Status.eq(OrderStatus::AwaitingMainApproval))
        .filter(order::Column::ExpiresAt.lte(now + chrono::Duration::days(1)))
        .order_by_asc(order::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for id in due {
        let txn = crate::db::write_txn(db).await?;
        let Some(found) = order::Entity::find_by_id(id).for_write().one(&txn).await? else {
            continue;
        };
        let Some(expires) = found.expires_at else {
            continue;
        };
        if found.status != OrderStatus::AwaitingMainApproval {
            continue;
        }
        if expires <= now {
            expire(&txn, viewer, found).await?;
            out.expired += 1;
        } else if found.reminded_at.is_none() {
            let (sub, main, about) = parties(&txn, &found).await?;
            let total = Money::from_minor(found.total_minor);
            let number = found.number.clone();
            let mut active: order::ActiveModel = found.into();
            active.reminded_at = Set(Some(now));
            active.update(&txn).await?;
            let expires_on = domain::local_date(expires);
            notification::notify(
                &txn,
                main.id,
                NotificationKind::OrderExpiring,
                Template::SubAccountOrderExpiring,
                about.value("expires", expires_on.to_string()),
            )
            .await?;
            // The email's only reader is the main account, which sees its sub-account.
            let message = format!(
                "{}'s order {number} ({total} {}) expires on {expires_on}: approve or reject it under Manage orders.",
                sub.full_name, sub.currency
            );
            if let Some(to) = main.email.as_deref() {
                notification::enqueue_email(
                    &txn,
                    to,
                    &format!("Order {number} expires soon"),
                    &message,
                )
                .await?;
            }
            out.reminded += 1;
        }
        txn.commit().await?;
    }
    Ok(out)
}
