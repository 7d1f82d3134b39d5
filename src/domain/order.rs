//! Orders, the three paths of SPEC.md: a main account orders for its aggregated sub-account
//! and pays at once; an aggregated sub-account asks and its main approves (by paying) or
//! rejects; anyone else orders for itself and pays. Each paid line opens a service request
//! that an admin approves with a start date (creating the service) or rejects (refunding
//! the line to the payer). Payment is exactly once: idempotency keys are unique per payer,
//! and the order row is locked while it is paid.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use entity::{
    account,
    enums::{
        BillingPeriod, InvoiceKind, InvoiceStatus, NotificationKind, OrderStatus,
        PaymentMethodKind, PaymentStatus, ServiceRequestStatus, ServiceStatus, SubAccountType,
    },
    idempotency_key, order, order_item, partner_portal_settings, payment, service, service_request,
    tariff,
};

use super::{
    account::post_ledger_entry,
    activity,
    invoice::{self, NewLine},
    notification,
    payment::{ChargeOutcome, GatewayError, PaymentGateway},
    validate::Checks,
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError, UserErrorCode},
    money::Money,
    policy::{self, Action, Target},
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

const MAX_ITEMS: usize = 100;
const MAX_QUANTITY: i32 = 100;

struct PricedLine {
    tariff: tariff::Model,
    quantity: i32,
    unit_price: Money,
    unit_tax: Money,
}

impl PricedLine {
    fn net(&self) -> Option<Money> {
        self.unit_price.checked_mul_int(self.quantity.into())
    }

    fn tax(&self) -> Option<Money> {
        self.unit_tax.checked_mul_int(self.quantity.into())
    }
}

fn out_of_range() -> AppError {
    AppError::user(UserError::invalid(
        "items",
        "the order total is out of range",
    ))
}

/// Prices the items at the tariffs' current prices; tax is computed per unit, to the cent.
async fn price<C: ConnectionTrait>(db: &C, items: &[NewItem]) -> AppResult<Vec<PricedLine>> {
    let mut checks = Checks::default();
    checks.require(
        !items.is_empty() && items.len() <= MAX_ITEMS,
        "items",
        format!("an order has 1 to {MAX_ITEMS} items"),
    );
    checks.require(
        items
            .iter()
            .all(|i| (1..=MAX_QUANTITY).contains(&i.quantity)),
        "items",
        format!("quantities are 1 to {MAX_QUANTITY}"),
    );
    checks.finish()?;
    let ids: Vec<i64> = items.iter().map(|i| i.tariff_id).collect();
    let tariffs: HashMap<i64, tariff::Model> = tariff::Entity::find()
        .filter(tariff::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    items
        .iter()
        .map(|item| {
            let tariff = tariffs
                .get(&item.tariff_id)
                .cloned()
                .ok_or_else(|| AppError::user(UserError::invalid("items", "no such tariff")))?;
            let unit_price = Money::from_minor(tariff.price_minor);
            let unit_tax = unit_price
                .percent(Money::from_minor(tariff.tax_percent_minor))
                .ok_or_else(out_of_range)?;
            Ok(PricedLine {
                tariff,
                quantity: item.quantity,
                unit_price,
                unit_tax,
            })
        })
        .collect()
}

struct Totals {
    subtotal: Money,
    tax: Money,
    total: Money,
}

fn totals(lines: &[PricedLine]) -> AppResult<Totals> {
    let mut subtotal = Money::ZERO;
    let mut tax = Money::ZERO;
    for l in lines {
        subtotal = subtotal
            .checked_add(l.net().ok_or_else(out_of_range)?)
            .ok_or_else(out_of_range)?;
        tax = tax
            .checked_add(l.tax().ok_or_else(out_of_range)?)
            .ok_or_else(out_of_range)?;
    }
    Ok(Totals {
        subtotal,
        tax,
        total: subtotal.checked_add(tax).ok_or_else(out_of_range)?,
    })
}

async fn find_by_key<C: ConnectionTrait>(
    db: &C,
    payer: i64,
    key: &str,
) -> AppResult<Option<order::Model>> {
    let Some(found) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::PayerId.eq(payer))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(order::Entity::find_by_id(found.order_id).one(db).await?)
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
    let Some(me) = viewer.account() else {
        // Staff approve and reject; ordering is the customers' side.
        return Err(if viewer.is_admin() {
            AppError::Forbidden
        } else {
            AppError::Unauthenticated("authentication required")
        });
    };
    let target = super::account::find_visible(db, viewer, account_id).await?;
    policy::authorize(viewer, Action::Order, Target::Account(&target))?;
    check_key(&idempotency_key)?;
    let asks_main =
        target.id == me.id && target.sub_account_type == Some(SubAccountType::Aggregated);
    let payer_id = if asks_main {
        target.main_account_id.unwrap_or(target.id)
    } else {
        me.id
    };
    if asks_main {
        let allowed = partner_portal_settings::Entity::find_by_id(target.partner_id)
            .one(db)
            .await?
            .is_some_and(|s| s.sub_accounts_can_order);
        if !allowed {
            return Err(AppError::user(UserError::new(
                UserErrorCode::NotAllowedBySettings,
                "your provider does not let sub-accounts place orders; ask your main account",
            )));
        }
        if payment.is_some() {
            return Err(AppError::user(UserError::invalid(
                "paymentMethod",
                "orders of an aggregated sub-account are paid by its main account",
            )));
        }
    } else if payment.is_none() {
        return Err(AppError::user(UserError::invalid(
            "paymentMethod",
            "choose how to pay",
        )));
    }
    if let Some(key) = &idempotency_key
        && let Some(existing) = find_by_key(db, payer_id, key).await?
    {
        return Ok(Outcome {
            order: existing,
            refusal: None,
        });
    }
    let lines = price(db, items).await?;
    let sums = totals(&lines)?;

    let txn = crate::db::write_txn(db).await?;
    let now = super::now();
    let year = now.year();
    let number = format!(
        "ORD-{year}-{:06}",
        crate::db::next_number(&txn, &format!("order:{year}")).await?
    );
    let created = order::ActiveModel {
        number: Set(number),
        account_id: Set(target.id),
        placed_by_id: Set(me.id),
        payer_id: Set(payer_id),
        status: Set(OrderStatus::AwaitingMainApproval),
        subtotal_minor: Set(sums.subtotal.minor()),
        tax_minor: Set(sums.tax.minor()),
        total_minor: Set(sums.total.minor()),
        payment_method: Set(None),
        paid_at: Set(None),
        invoice_id: Set(None),
        rejection_reason: Set(None),
        failure_reason: Set(None),
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
            tax_minor: Set(line.tax().ok_or_else(out_of_range)?.minor()),
            total_minor: Set(line
                .net()
                .and_then(|n| n.checked_add(line.tax()?))
                .ok_or_else(out_of_range)?
                .minor()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    activity::record(
        &txn,
        target.id,
        viewer,
        "order.placed",
        json!({
            "order": created.number, "total": sums.total.to_string(), "placedBy": me.id,
        }),
    )
    .await?;
    if asks_main {
        let main = account::Entity::find_by_id(payer_id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        notification::sub_account_ordered(&txn, &main, &target, &created).await?;
        activity::record(
            &txn,
            main.id,
            viewer,
            "order.awaiting_approval",
            json!({ "order": created.number, "subAccountId": target.id }),
        )
        .await?;
        txn.commit().await?;
        return Ok(Outcome {
            order: created,
            refusal: None,
        });
    }
    let payment = payment.unwrap_or(PaymentChoice::Balance);
    settle(
        txn,
        gateway,
        viewer,
        created,
        payer_id,
        payment,
        idempotency_key,
        false,
    )
    .await
}

/// Pays `order` for `payer_id` and commits; on a refusal the failed attempt is kept.
#[allow(clippy::too_many_arguments)]
async fn settle(
    txn: DatabaseTransaction,
    gateway: &dyn PaymentGateway,
    viewer: &Viewer,
    order: order::Model,
    payer_id: i64,
    method: PaymentChoice,
    idempotency_key: Option<String>,
    approving: bool,
) -> AppResult<Outcome> {
    let payer = account::Entity::find_by_id(payer_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let total = Money::from_minor(order.total_minor);
    let key = idempotency_key
        .clone()
        .unwrap_or_else(|| format!("order-{}", order.id));
    let (kind, charged): (PaymentMethodKind, Result<Option<String>, UserError>) = match &method {
        PaymentChoice::Balance => {
            let ok = Money::from_minor(payer.balance_minor) >= total;
            (
                PaymentMethodKind::AccountBalance,
                if ok {
                    Ok(None)
                } else {
                    Err(UserError::new(
                        UserErrorCode::InsufficientBalance,
                        format!(
                            "the balance ({}) does not cover the total ({total})",
                            Money::from_minor(payer.balance_minor)
                        ),
                    ))
                },
            )
        }
        PaymentChoice::Gateway(token) => {
            let token = token.as_deref().unwrap_or_default();
            match gateway.charge(token, total, &key).await {
                Ok(ChargeOutcome::Approved { reference }) => {
                    (PaymentMethodKind::Gateway, Ok(Some(reference)))
                }
                Ok(ChargeOutcome::Declined { reason }) => (
                    PaymentMethodKind::Gateway,
                    Err(UserError::new(UserErrorCode::PaymentDeclined, reason)),
                ),
                Err(GatewayError::InvalidToken) => {
                    return Err(AppError::user(UserError::invalid(
                        "paymentMethod",
                        "unknown payment token",
                    )));
                }
                Err(e @ GatewayError::Unavailable(_)) => return Err(AppError::Internal(e.into())),
            }
        }
    };
    let now = super::now();
    let reference = match charged {
        Err(refusal) => {
            payment::ActiveModel {
                account_id: Set(payer.id),
                order_id: Set(Some(order.id)),
                invoice_id: Set(None),
                method: Set(kind),
                status: Set(PaymentStatus::Failed),
                amount_minor: Set(total.minor()),
                gateway_reference: Set(None),
                failure_reason: Set(Some(refusal.message.clone())),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let mut active: order::ActiveModel = order.clone().into();
            // A main account approving a sub-account's order may try another method.
            if !approving {
                active.status = Set(OrderStatus::PaymentFailed);
            }
            active.failure_reason = Set(Some(refusal.message.clone()));
            active.payment_method = Set(Some(kind));
            active.updated_at = Set(now);
            let failed = active.update(&txn).await?;
            activity::record(
                &txn,
                order.account_id,
                viewer,
                "order.payment_failed",
                json!({ "order": order.number, "reason": refusal.message }),
            )
            .await?;
            txn.commit().await?;
            return Ok(Outcome {
                order: failed,
                refusal: Some(refusal),
            });
        }
        Ok(reference) => reference,
    };
    if kind == PaymentMethodKind::AccountBalance {
        post_ledger_entry(
            &txn,
            &payer,
            Money::ZERO.checked_sub(total).ok_or_else(out_of_range)?,
            &format!("payment of order {}", order.number),
            viewer,
        )
        .await?;
    }
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::Id)
        .all(&txn)
        .await?;
    let tariff_ids: Vec<i64> = items.iter().map(|i| i.tariff_id).collect();
    let tariffs: HashMap<i64, tariff::Model> = tariff::Entity::find()
        .filter(tariff::Column::Id.is_in(tariff_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let target = account::Entity::find_by_id(order.account_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let for_sub = (target.id != payer.id).then(|| (target.id, target.full_name.clone()));
    let mut lines = Vec::new();
    let mut monthly = false;
    for item in &items {
        let tariff = tariffs.get(&item.tariff_id).ok_or(AppError::NotFound)?;
        monthly |= tariff.period == BillingPeriod::Monthly;
        let unit_price = Money::from_minor(item.unit_price_minor);
        lines.push(NewLine {
            description: tariff.name.clone(),
            service_id: None,
            sub_account: for_sub.clone(),
            quantity: item.quantity,
            unit_price,
            tax_percent: Money::from_minor(item.tax_percent_minor),
            net: unit_price
                .checked_mul_int(item.quantity.into())
                .ok_or_else(out_of_range)?,
            tax: Money::from_minor(item.tax_minor),
            period_from: None,
            period_to: None,
        });
    }
    let kind_of_invoice = if monthly {
        InvoiceKind::Recurring
    } else {
        InvoiceKind::OneTime
    };
    let issued = invoice::issue(
        &txn,
        &payer,
        kind_of_invoice,
        InvoiceStatus::Paid,
        &lines,
        Some(order.id),
        None,
    )
    .await?;
    payment::ActiveModel {
        account_id: Set(payer.id),
        order_id: Set(Some(order.id)),
        invoice_id: Set(Some(issued.id)),
        method: Set(kind),
        status: Set(PaymentStatus::Succeeded),
        amount_minor: Set(total.minor()),
        gateway_reference: Set(reference),
        failure_reason: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for item in &items {
        let per_unit = Money::from_minor(item.total_minor / i64::from(item.quantity.max(1)));
        for _ in 0..item.quantity {
            service_request::ActiveModel {
                order_id: Set(order.id),
                order_item_id: Set(item.id),
                account_id: Set(order.account_id),
                tariff_id: Set(item.tariff_id),
                status: Set(ServiceRequestStatus::Pending),
                amount_minor: Set(per_unit.minor()),
                start_date: Set(None),
                service_id: Set(None),
                rejection_reason: Set(None),
                created_at: Set(now),
                decided_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    let mut active: order::ActiveModel = order.clone().into();
    active.status = Set(OrderStatus::Paid);
    active.payment_method = Set(Some(kind));
    active.paid_at = Set(Some(now));
    active.invoice_id = Set(Some(issued.id));
    active.failure_reason = Set(None);
    active.updated_at = Set(now);
    let paid = active.update(&txn).await?;
    if let Some(key) = idempotency_key {
        idempotency_key::ActiveModel {
            payer_id: Set(payer.id),
            key: Set(key),
            order_id: Set(order.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    if target.id != payer.id {
        notification::notify(
            &txn,
            target.id,
            NotificationKind::OrderPaid,
            format!("Order {} was paid by {}.", order.number, payer.full_name),
            Some(order.id),
            None,
        )
        .await?;
        activity::record(&txn, payer.id, viewer, "order.paid", json!({ "order": order.number, "subAccountId": target.id, "total": total.to_string(), "invoice": issued.number })).await?;
    }
    activity::record(&txn, target.id, viewer, "order.paid", json!({ "order": order.number, "total": total.to_string(), "invoice": issued.number, "before": { "status": order.status.as_str() }, "after": { "status": "PAID" } })).await?;
    txn.commit().await?;
    Ok(Outcome {
        order: paid,
        refusal: None,
    })
}

/// Loads an order for change, locked, that the viewer may `action` (via its account).
async fn lock_order(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order_id: i64,
    action: Action,
) -> AppResult<(order::Model, account::Model)> {
    let found = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = account::Entity::find_by_id(found.account_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    policy::authorize_reached(viewer, action, Target::Account(&target))?;
    Ok((found, target))
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
    if let Some(key) = &idempotency_key
        && let Some(existing) = find_by_key(&txn, found.payer_id, key).await?
    {
        return Ok(Outcome {
            order: existing,
            refusal: None,
        });
    }
    if found.status != OrderStatus::AwaitingMainApproval {
        return Err(not_awaiting(&found));
    }
    let payer = found.payer_id;
    settle(
        txn,
        gateway,
        viewer,
        found,
        payer,
        method,
        idempotency_key,
        true,
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
    let (found, target) = lock_order(&txn, viewer, order_id, Action::ManageOrders).await?;
    if found.status != OrderStatus::AwaitingMainApproval {
        return Err(not_awaiting(&found));
    }
    let mut active: order::ActiveModel = found.clone().into();
    active.status = Set(OrderStatus::RejectedByMain);
    active.rejection_reason = Set(Some(reason.clone()));
    active.updated_at = Set(super::now());
    let rejected = active.update(&txn).await?;
    notification::notify(
        &txn,
        target.id,
        NotificationKind::OrderRejected,
        format!("Order {} was rejected: {reason}", found.number),
        Some(found.id),
        None,
    )
    .await?;
    activity::record(&txn, target.id, viewer, "order.rejected", json!({ "order": found.number, "reason": reason, "before": { "status": found.status.as_str() }, "after": { "status": "REJECTED_BY_MAIN" } })).await?;
    txn.commit().await?;
    Ok(rejected)
}

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
        active.updated_at = Set(super::now());
        active.update(db).await?;
    }
    Ok(())
}

async fn lock_pending_request(
    txn: &DatabaseTransaction,
    id: i64,
) -> AppResult<service_request::Model> {
    let found = service_request::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.status != ServiceRequestStatus::Pending {
        return Err(AppError::user(UserError::new(
            UserErrorCode::InvalidState,
            format!("the service request is already {}", found.status.as_str()),
        )));
    }
    Ok(found)
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
    let request = lock_pending_request(&txn, id).await?;
    let tariff = tariff::Entity::find_by_id(request.tariff_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let item = order_item::Entity::find_by_id(request.order_item_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = super::now().date_naive();
    let monthly = tariff.period == BillingPeriod::Monthly;
    let now = super::now();
    let created = service::ActiveModel {
        account_id: Set(request.account_id),
        tariff_id: Set(tariff.id),
        description: Set(tariff.name.clone()),
        status: Set(if start <= today {
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
    super::service::record_rate(&txn, &created, &tariff, start).await?;
    let mut active: service_request::ActiveModel = request.clone().into();
    active.status = Set(ServiceRequestStatus::Approved);
    active.start_date = Set(Some(start));
    active.service_id = Set(Some(created.id));
    active.decided_at = Set(Some(now));
    let approved = active.update(&txn).await?;
    settle_order_status(&txn, request.order_id).await?;
    notification::notify(
        &txn,
        request.account_id,
        NotificationKind::ServiceRequestApproved,
        format!("{} starts on {start}.", tariff.name),
        Some(request.order_id),
        None,
    )
    .await?;
    activity::record(&txn, request.account_id, viewer, "service_request.approved", json!({ "serviceRequestId": request.id, "serviceId": created.id, "tariff": tariff.name, "startDate": start.to_string() })).await?;
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
    let request = lock_pending_request(&txn, id).await?;
    let order = order::Entity::find_by_id(request.order_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let payer = account::Entity::find_by_id(order.payer_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let refund = Money::from_minor(request.amount_minor);
    post_ledger_entry(
        &txn,
        &payer,
        refund,
        &format!(
            "refund: service request {} of order {} rejected",
            request.id, order.number
        ),
        viewer,
    )
    .await?;
    let mut active: service_request::ActiveModel = request.clone().into();
    active.status = Set(ServiceRequestStatus::Rejected);
    active.rejection_reason = Set(Some(reason.clone()));
    active.decided_at = Set(Some(super::now()));
    let rejected = active.update(&txn).await?;
    settle_order_status(&txn, order.id).await?;
    notification::notify(
        &txn,
        request.account_id,
        NotificationKind::ServiceRequestRejected,
        format!("A service of order {} was rejected: {reason}", order.number),
        Some(order.id),
        None,
    )
    .await?;
    let details = json!({ "serviceRequestId": request.id, "order": order.number, "refund": refund.to_string(), "reason": reason });
    activity::record(
        &txn,
        request.account_id,
        viewer,
        "service_request.rejected",
        details.clone(),
    )
    .await?;
    if payer.id != request.account_id {
        activity::record(&txn, payer.id, viewer, "service_request.refunded", details).await?;
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
