//! Balance transfers (SPEC.md "Controls"): a main account moves money from its balance to
//! an independent sub-account's balance it may manage, once per idempotency key. Both
//! ledgers, both activity histories and both accounts' notifications say the same.

use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use entity::{account, balance_transfer, enums::NotificationKind};

use super::post_ledger_entry;
use crate::{
    auth::{Subject, Viewer},
    db::LockForWrite,
    domain::{
        activity::{self, Activity},
        notification::{self, Template},
        record::{Record, Ref},
        validate::Checks,
    },
    error::{AppError, AppResult, UserError, UserErrorCode},
    money::Money,
    policy::{self, Action, Target},
};

/// A transfer as stored.
pub struct Transferred {
    pub transfer: balance_transfer::Model,
    /// Whether an earlier request with the same key made it (nothing moved this time).
    pub replayed: bool,
}

/// Moves `amount` from the viewer's balance to account `to`'s. A second call with the same
/// key returns the first transfer and moves nothing; the same key for another transfer is
/// refused.
pub async fn transfer_balance(
    db: &DatabaseConnection,
    viewer: &Viewer,
    to: i64,
    amount: Decimal,
    idempotency_key: &str,
) -> AppResult<Transferred> {
    let target = super::find_visible(db, viewer, to).await?;
    policy::authorize(viewer, Action::TransferBalance, Target::Account(&target))?;
    let from = viewer.account().ok_or(AppError::Forbidden)?.id;
    let mut checks = Checks::default();
    let amount = checks.money("amount", amount);
    if let Some(amount) = amount {
        checks.require(amount.minor() > 0, "amount", "must be more than zero");
    }
    let key = checks.text("idempotencyKey", idempotency_key, 1, 100);
    checks.finish()?;
    let amount = amount.unwrap_or_default();

    let txn = crate::db::write_txn(db).await?;
    // The sender's row first: transfers from one account (and their keys) go one at a time.
    let sender = account::Entity::find_by_id(from)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let earlier = balance_transfer::Entity::find()
        .filter(balance_transfer::Column::FromAccountId.eq(from))
        .filter(balance_transfer::Column::IdempotencyKey.eq(key.as_str()))
        .one(&txn)
        .await?;
    if let Some(earlier) = earlier {
        if earlier.to_account_id != target.id || earlier.amount_minor != amount.minor() {
            return Err(AppError::user(
                UserError::new(
                    UserErrorCode::Duplicate,
                    "this idempotency key was used for another transfer",
                )
                .at("idempotencyKey"),
            ));
        }
        return Ok(Transferred {
            transfer: earlier,
            replayed: true,
        });
    }
    let recipient = account::Entity::find_by_id(target.id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    // Asked again with what the database says now (a switch flipped meanwhile).
    let again = crate::auth::load_viewer(&txn, Subject::Account(from)).await?;
    policy::authorize(&again, Action::TransferBalance, Target::Account(&recipient))?;
    if sender.balance_minor < amount.minor() {
        return Err(AppError::user(
            UserError::new(
                UserErrorCode::InsufficientBalance,
                format!(
                    "your balance is {}: not enough to transfer {amount}",
                    Money::from_minor(sender.balance_minor)
                ),
            )
            .at("amount"),
        ));
    }
    let sent = post_ledger_entry(
        &txn,
        &sender,
        Money::from_minor(-amount.minor()),
        "balance transfer sent",
        viewer,
    )
    .await?;
    let received = post_ledger_entry(
        &txn,
        &recipient,
        amount,
        "balance transfer received",
        viewer,
    )
    .await?;
    let transfer = balance_transfer::ActiveModel {
        from_account_id: Set(from),
        to_account_id: Set(recipient.id),
        amount_minor: Set(amount.minor()),
        idempotency_key: Set(key),
        created_at: Set(crate::domain::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Each side's record names both accounts and moves its own balance: who may read what
    // of it is decided when it is read (the sub-account sees "your main account").
    for (account, before, after, template) in [
        (
            &sender,
            sender.balance_minor,
            sent.balance_minor,
            Template::BalanceSent,
        ),
        (
            &recipient,
            recipient.balance_minor,
            received.balance_minor,
            Template::BalanceReceived,
        ),
    ] {
        let record = Record::default()
            .names("from", Ref::Account(sender.id))
            .names("to", Ref::Account(recipient.id))
            .balance_amount("amount", account.id, amount)
            .value("currency", account.currency.clone());
        activity::record(
            &txn,
            account.id,
            viewer,
            Activity::BalanceTransferred,
            record.clone().balance(
                account.id,
                Money::from_minor(before),
                Money::from_minor(after),
            ),
        )
        .await?;
        notification::notify(
            &txn,
            account.id,
            NotificationKind::BalanceTransferred,
            template,
            record,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Transferred {
        transfer,
        replayed: false,
    })
}
