//! Idempotency keys of orders: a key belongs to whoever sent it and to the account it acts
//! for, so nobody else's key ever matches. It is claimed first thing in the transaction that
//! places or approves the order (`INSERT … ON CONFLICT DO NOTHING`): of concurrent calls with
//! one key, one claims it and the others wait for it to commit, then find it and replay its
//! result. A transaction that fails gives the key back.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use entity::order_key;

use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
};

/// What claiming a key found.
pub enum Claim {
    /// The key is this call's: bind it to the order it makes.
    Mine(order_key::Model),
    /// An earlier call (or one that just committed) used it: replay its result.
    Used(order_key::Model),
}

/// Claims `key` for the viewer acting for `account`, in the caller's transaction.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    account: i64,
    key: &str,
) -> AppResult<Claim> {
    let owner = viewer.subject_key()?;
    let inserted = order_key::Entity::insert(order_key::ActiveModel {
        owner: Set(owner.clone()),
        account_id: Set(account),
        key: Set(key.to_string()),
        order_id: Set(None),
        refusal: Set(None),
        created_at: Set(crate::domain::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        order_key::Column::Owner,
        order_key::Column::AccountId,
        order_key::Column::Key,
    ])
    .exec_without_returning(db)
    .await?;
    // Read back either way (the conflict answers no row to `RETURNING`).
    let row = order_key::Entity::find()
        .filter(order_key::Column::Owner.eq(owner))
        .filter(order_key::Column::AccountId.eq(account))
        .filter(order_key::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a claimed key is not there")))?;
    Ok(match inserted {
        sea_orm::TryInsertResult::Inserted(1) => Claim::Mine(row),
        _ => Claim::Used(row),
    })
}

/// Binds a claimed key to the order it placed or approved and, when the payment failed, to
/// why (what a replay answers).
pub async fn bind<C: ConnectionTrait>(
    db: &C,
    key: order_key::Model,
    order: i64,
    refusal: Option<String>,
) -> AppResult<()> {
    let mut active: order_key::ActiveModel = key.into();
    active.order_id = Set(Some(order));
    active.refusal = Set(refusal);
    active.update(db).await?;
    Ok(())
}

/// What the payment gateway dedupes a charge by: the client's key where there is one (stable
/// across retries), else the order.
pub fn gateway_key(key: Option<&order_key::Model>, order: i64) -> String {
    match key {
        Some(k) => format!("{}:{}:{}", k.owner, k.account_id, k.key),
        None => format!("order-{order}"),
    }
}
