//! Paying an order, inside the transaction that placed or approves it: charge (balance or
//! gateway), then record either the failure (the attempt is kept, nothing is charged) or the
//! payment (ledger, invoice, payment row, one service request per unit, idempotency key).
//! Each party hears of it in words that name only what it can open.

use crate::db::LockForWrite;
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use entity::{
    account,
    enums::{
        BillingPeriod, InvoiceKind, InvoiceStatus, NotificationKind, OrderStatus,
        PaymentMethodKind, PaymentStatus, ServiceRequestStatus,
    },
    order, order_item, order_key, payment, service_request, tariff,
};

use super::{
    Outcome, PaymentChoice,
    failure::{self, Failure},
    keys,
    price::out_of_range,
};
use crate::{
    auth::Viewer,
    domain::{
        self,
        account::post_ledger_entry,
        activity::{self, Activity},
        invoice::{self, NewLine},
        notification::{self, Template},
        payment::{ChargeOutcome, GatewayError, PaymentGateway},
        record::{Reader, Record, Ref, Rows},
    },
    error::{AppError, AppResult, UserError},
    money::Money,
    policy,
};

/// Why an order is being paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settling {
    /// Placed and paid at once; a failed payment leaves it `PAYMENT_FAILED`.
    Placing,
    /// A main account approves a sub-account's order; a failed payment leaves it waiting,
    /// so that the main can pay another way.
    Approving,
}

/// A charge that went through.
struct Charged {
    method: PaymentMethodKind,
    reference: Option<String>,
}

/// A charge that was refused (nothing was taken).
struct Refused {
    method: PaymentMethodKind,
    failure: Failure,
}

/// Pays `order` and commits; on a refusal the failed attempt is kept. A claimed idempotency
/// key is bound to the outcome in the same transaction.
pub(super) async fn settle(
    txn: DatabaseTransaction,
    gateway: &dyn PaymentGateway,
    viewer: &Viewer,
    order: order::Model,
    method: PaymentChoice,
    key: Option<order_key::Model>,
    settling: Settling,
) -> AppResult<Outcome> {
    let payer = account::Entity::find_by_id(order.payer_id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = account::Entity::find_by_id(order.account_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let gateway_key = keys::gateway_key(key.as_ref(), order.id);
    let outcome = match charge(gateway, &payer, &order, &method, &gateway_key).await? {
        Err(refused) => {
            record_failure(&txn, viewer, order, &payer, &account, refused, settling).await?
        }
        Ok(charged) => record_payment(&txn, viewer, order, &payer, &account, charged).await?,
    };
    if let Some(key) = key {
        keys::bind(&txn, key, outcome.order.id, outcome.order.failure.clone()).await?;
    }
    txn.commit().await?;
    Ok(outcome)
}

/// Takes the money: from the payer's balance (checked here, debited with the payment) or
/// through the gateway.
async fn charge(
    gateway: &dyn PaymentGateway,
    payer: &account::Model,
    order: &order::Model,
    method: &PaymentChoice,
    key: &str,
) -> AppResult<Result<Charged, Refused>> {
    let total = Money::from_minor(order.total_minor);
    Ok(match method {
        PaymentChoice::Balance => {
            let balance = Money::from_minor(payer.balance_minor);
            if balance >= total {
                Ok(Charged {
                    method: PaymentMethodKind::AccountBalance,
                    reference: None,
                })
            } else {
                Err(Refused {
                    method: PaymentMethodKind::AccountBalance,
                    failure: Failure::InsufficientBalance {
                        payer: payer.id,
                        balance,
                    },
                })
            }
        }
        PaymentChoice::Gateway(token) => {
            let token = token.as_deref().unwrap_or_default();
            match gateway.charge(token, total, key).await {
                Ok(ChargeOutcome::Approved { reference }) => Ok(Charged {
                    method: PaymentMethodKind::Gateway,
                    reference: Some(reference),
                }),
                Ok(ChargeOutcome::Declined { reason }) => Err(Refused {
                    method: PaymentMethodKind::Gateway,
                    failure: Failure::Declined {
                        payer: payer.id,
                        reason,
                    },
                }),
                Err(GatewayError::InvalidToken) => {
                    return Err(AppError::user(UserError::invalid(
                        "paymentMethod",
                        "unknown payment token",
                    )));
                }
                Err(e @ GatewayError::Unavailable(_)) => return Err(AppError::Internal(e.into())),
            }
        }
    })
}

/// Records an entry on the payer and, when it is another account that can open the order,
/// on the order's account too.
async fn record_on_parties(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order: &order::Model,
    account: &account::Model,
    what: Activity,
    record: Record,
) -> AppResult<()> {
    activity::record(txn, order.payer_id, viewer, what, record.clone()).await?;
    if order.paid_for_another() && policy::account_sees_order(account, order) {
        activity::record(txn, account.id, viewer, what, record).await?;
    }
    Ok(())
}

/// Keeps the failed attempt; the order is `PAYMENT_FAILED`, or still waiting when a main
/// account was approving it. The refusal is told to the viewer as it may read it.
async fn record_failure(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order: order::Model,
    payer: &account::Model,
    account: &account::Model,
    refused: Refused,
    settling: Settling,
) -> AppResult<Outcome> {
    let failure = refused.failure.stored(&order);
    let now = domain::now();
    payment::ActiveModel {
        account_id: Set(order.payer_id),
        order_id: Set(Some(order.id)),
        invoice_id: Set(None),
        method: Set(refused.method),
        status: Set(PaymentStatus::Failed),
        amount_minor: Set(order.total_minor),
        gateway_reference: Set(None),
        failure_reason: Set(Some(failure.clone())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut active: order::ActiveModel = order.clone().into();
    if settling == Settling::Placing {
        active.status = Set(OrderStatus::PaymentFailed);
    }
    active.failure = Set(Some(failure));
    active.payment_method = Set(Some(refused.method));
    active.updated_at = Set(now);
    let failed = active.update(txn).await?;
    let mut facts = refused.failure.record(&order);
    facts.about = Record::on(Ref::Order(order.id)).about;
    record_on_parties(
        txn,
        viewer,
        &order,
        account,
        Activity::OrderPaymentFailed,
        facts.names("order", Ref::Order(order.id)),
    )
    .await?;
    let rows = Rows {
        accounts: [payer.clone(), account.clone()]
            .into_iter()
            .map(|a| (a.id, a))
            .collect(),
        orders: [(failed.id, failed.clone())].into(),
        ..Default::default()
    };
    let refusal = failure::refusal(&Reader::new(viewer, &rows), &failed);
    Ok(Outcome {
        order: failed,
        refusal,
    })
}

/// Records a payment: the ledger (balance payments), the invoice to the payer, the payment,
/// one pending service request per unit, and who is told what.
async fn record_payment(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order: order::Model,
    payer: &account::Model,
    account: &account::Model,
    charged: Charged,
) -> AppResult<Outcome> {
    let now = domain::now();
    let total = Money::from_minor(order.total_minor);
    if charged.method == PaymentMethodKind::AccountBalance {
        post_ledger_entry(
            txn,
            payer,
            Money::ZERO.checked_sub(total).ok_or_else(out_of_range)?,
            &format!("payment of order {}", order.number),
            viewer,
        )
        .await?;
    }
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::Id)
        .all(txn)
        .await?;
    let tariffs: HashMap<i64, tariff::Model> = tariff::Entity::find()
        .filter(crate::db::among::column_among(
            tariff::Column::Id,
            items.iter().map(|i| i.tariff_id),
        ))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let tariff_of =
        |item: &order_item::Model| tariffs.get(&item.tariff_id).ok_or(AppError::NotFound);
    let for_sub = order
        .paid_for_another()
        .then(|| (account.id, account.full_name.clone()));
    let mut lines = Vec::with_capacity(items.len());
    let mut monthly = false;
    for item in &items {
        let tariff = tariff_of(item)?;
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
    let invoice_kind = if monthly {
        InvoiceKind::Recurring
    } else {
        InvoiceKind::OneTime
    };
    let issued = invoice::issue(
        txn,
        payer,
        invoice_kind,
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
        method: Set(charged.method),
        status: Set(PaymentStatus::Succeeded),
        amount_minor: Set(total.minor()),
        gateway_reference: Set(charged.reference),
        failure_reason: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
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
            .insert(txn)
            .await?;
        }
    }
    let mut active: order::ActiveModel = order.clone().into();
    active.status = Set(OrderStatus::Paid);
    active.payment_method = Set(Some(charged.method));
    active.paid_at = Set(Some(now));
    active.invoice_id = Set(Some(issued.id));
    active.failure = Set(None);
    active.updated_at = Set(now);
    let paid = active.update(txn).await?;
    let mut record = Record::on(Ref::Order(order.id))
        .names("order", Ref::Order(order.id))
        .amount("total", Ref::Order(order.id), total)
        .names("invoice", Ref::Invoice(issued.id));
    if let Some((sub, _)) = &for_sub {
        record = record.names("subAccount", Ref::Account(*sub));
    }
    activity::record(
        txn,
        payer.id,
        viewer,
        Activity::OrderPaid,
        record.change("status", order.status.as_str(), "PAID"),
    )
    .await?;
    if order.paid_for_another() {
        tell_the_account(txn, viewer, &order, account, &items, tariff_of).await?;
    }
    Ok(Outcome {
        order: paid,
        refusal: None,
    })
}

/// The order's account, paid for by its main account: its own ask was approved, or (when
/// the main placed the order, which stays the main's) new services are on their way.
async fn tell_the_account<'a>(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    order: &order::Model,
    account: &account::Model,
    items: &[order_item::Model],
    tariff_of: impl Fn(&order_item::Model) -> Result<&'a tariff::Model, AppError>,
) -> AppResult<()> {
    if policy::account_sees_order(account, order) {
        let record = Record::on(Ref::Order(order.id)).names("order", Ref::Order(order.id));
        notification::notify(
            txn,
            account.id,
            NotificationKind::OrderPaid,
            Template::OrderPaid,
            record.clone(),
        )
        .await?;
        let total = Money::from_minor(order.total_minor);
        return activity::record(
            txn,
            account.id,
            viewer,
            Activity::OrderPaid,
            record.amount("total", Ref::Order(order.id), total).change(
                "status",
                order.status.as_str(),
                "PAID",
            ),
        )
        .await;
    }
    // The order is the main account's: the sub-account hears of the services (tariffs
    // are the public catalogue), not of the order.
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        names.push(format!("{} × {}", item.quantity, tariff_of(item)?.name));
    }
    let record = Record::default().value("services", names.join(", "));
    notification::notify(
        txn,
        account.id,
        NotificationKind::ServicesOrdered,
        Template::ServicesOrdered,
        record.clone(),
    )
    .await?;
    activity::record(txn, account.id, viewer, Activity::ServicesOrdered, record).await
}
