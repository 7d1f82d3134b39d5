//! Linking and unlinking sub-accounts under SPEC.md's rules, and the management switch;
//! losing the right to approve calls waiting orders off.

use crate::db::LockForWrite;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde_json::Value;

use entity::{
    account, account_link,
    enums::{BillingMode, SubAccountType},
};

use crate::domain::{
    activity::{self, Activity},
    record::{Record, Ref},
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError, UserErrorCode},
    policy,
};

use super::rule;

/// Loads two accounts for update, in id order so that concurrent links cannot deadlock.
async fn lock_pair<C: ConnectionTrait>(
    db: &C,
    a: i64,
    b: i64,
) -> AppResult<(account::Model, account::Model)> {
    let rows = account::Entity::find()
        .filter(account::Column::Id.is_in([a, b]))
        .order_by_asc(account::Column::Id)
        .for_write()
        .all(db)
        .await?;
    let pick = |id| {
        rows.iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or(AppError::NotFound)
    };
    Ok((pick(a)?, pick(b)?))
}

/// SPEC.md's linking rules; every broken one is reported.
fn link_refusals(
    main: &account::Model,
    sub: &account::Model,
    kind: SubAccountType,
    main_has_main: bool,
    sub_has_subs: bool,
) -> Vec<UserError> {
    use UserErrorCode::{InvalidInput, InvalidState};
    let mut refusals = Vec::new();
    if main.id == sub.id {
        refusals.push(rule(
            InvalidInput,
            "subAccountId",
            "an account cannot be linked to itself",
        ));
        return refusals;
    }
    if main.partner_id != sub.partner_id {
        refusals.push(rule(
            InvalidInput,
            "subAccountId",
            "both accounts must belong to the same partner",
        ));
    }
    if main_has_main {
        refusals.push(rule(
            InvalidState,
            "mainAccountId",
            "a sub-account cannot have sub-accounts (links are one level deep)",
        ));
    }
    if sub.main_account_id.is_some() {
        refusals.push(rule(
            InvalidState,
            "subAccountId",
            "the account is already linked to a main account; unlink it first",
        ));
    }
    if sub_has_subs {
        refusals.push(rule(
            InvalidState,
            "subAccountId",
            "a main account cannot become a sub-account (links are one level deep)",
        ));
    }
    if kind == SubAccountType::Aggregated {
        if sub.billing_mode != BillingMode::Recurring {
            refusals.push(rule(
                InvalidState,
                "type",
                "an aggregated sub-account must use RECURRING billing",
            ));
        }
        if sub.balance_minor != 0 {
            refusals.push(rule(
                InvalidState,
                "type",
                "an aggregated sub-account must have a zero balance when linked",
            ));
        }
    }
    refusals
}

pub async fn link(
    db: &DatabaseConnection,
    viewer: &Viewer,
    main_id: i64,
    sub_id: i64,
    kind: SubAccountType,
) -> AppResult<account::Model> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let (main, sub) = lock_pair(&txn, main_id, sub_id).await?;
    let sub_has_subs = account::Entity::find()
        .filter(account::Column::MainAccountId.eq(sub.id))
        .select_only()
        .column(account::Column::Id)
        .into_tuple::<i64>()
        .one(&txn)
        .await?
        .is_some();
    let refusals = link_refusals(
        &main,
        &sub,
        kind,
        main.main_account_id.is_some(),
        sub_has_subs,
    );
    if !refusals.is_empty() {
        return Err(AppError::User(refusals));
    }
    let now = crate::domain::now();
    let mut active: account::ActiveModel = sub.clone().into();
    active.main_account_id = Set(Some(main.id));
    active.sub_account_type = Set(Some(kind));
    active.linked_at = Set(Some(now));
    active.updated_at = Set(now);
    let linked = active.update(&txn).await?;
    account_link::ActiveModel {
        sub_account_id: Set(sub.id),
        main_account_id: Set(main.id),
        kind: Set(kind),
        linked_at: Set(now),
        unlinked_at: Set(None),
        snapshot: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let record = Record::default()
        .names("mainAccount", Ref::Account(main.id))
        .names("subAccount", Ref::Account(sub.id))
        .value("type", kind.as_str());
    activity::record(
        &txn,
        sub.id,
        viewer,
        Activity::SubAccountLinked,
        record.clone(),
    )
    .await?;
    activity::record(&txn, main.id, viewer, Activity::SubAccountLinked, record).await?;
    txn.commit().await?;
    Ok(linked)
}

pub async fn unlink(
    db: &DatabaseConnection,
    viewer: &Viewer,
    sub_id: i64,
) -> AppResult<account::Model> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let not_linked = || {
        AppError::user(rule(
            UserErrorCode::InvalidState,
            "subAccountId",
            "the account is not linked to a main account",
        ))
    };
    let linked_to = account::Entity::find_by_id(sub_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?
        .main_account_id
        .ok_or_else(not_linked)?;
    // Both rows, in id order (as linking takes them), then the link as it is now.
    let (sub, main) = lock_pair(&txn, sub_id, linked_to).await?;
    let main_id = sub.main_account_id.ok_or_else(not_linked)?;
    if main_id != main.id {
        return Err(not_linked());
    }
    let before_type = sub.sub_account_type.map(|t| t.as_str());
    let now = crate::domain::now();
    let mut active: account::ActiveModel = sub.clone().into();
    active.main_account_id = Set(None);
    active.sub_account_type = Set(None);
    active.linked_at = Set(None);
    active.updated_at = Set(now);
    let unlinked = active.update(&txn).await?;
    // The row its former main keeps seeing beside the orders it paid.
    let totals = crate::domain::service::totals_for(&txn, &[sub.id])
        .await?
        .remove(&sub.id)
        .unwrap_or_default();
    let frozen = serde_json::to_string(&super::former::Frozen::of(&sub, totals))
        .map_err(|e| AppError::Internal(e.into()))?;
    account_link::Entity::update_many()
        .col_expr(account_link::Column::UnlinkedAt, Expr::value(now))
        .col_expr(account_link::Column::Snapshot, Expr::value(frozen))
        .filter(account_link::Column::SubAccountId.eq(sub.id))
        .filter(account_link::Column::UnlinkedAt.is_null())
        .exec(&txn)
        .await?;
    let record = Record::default()
        .names("mainAccount", Ref::Account(main_id))
        .names("subAccount", Ref::Account(sub.id))
        .change("type", before_type, Value::Null);
    activity::record(
        &txn,
        sub.id,
        viewer,
        Activity::SubAccountUnlinked,
        record.clone(),
    )
    .await?;
    activity::record(&txn, main_id, viewer, Activity::SubAccountUnlinked, record).await?;
    crate::domain::order::cancel_waiting(
        &txn,
        viewer,
        &main,
        Some(sub.id),
        crate::domain::order::CalledOff::NoLongerSubAccount,
    )
    .await?;
    txn.commit().await?;
    Ok(unlinked)
}

pub async fn set_management(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    enabled: bool,
) -> AppResult<account::Model> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let found = account::Entity::find_by_id(id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.main_account_id.is_some() {
        return Err(AppError::user(rule(
            UserErrorCode::InvalidState,
            "accountId",
            "sub-account management is a setting of main accounts; this account is a sub-account",
        )));
    }
    let before = found.sub_account_management;
    let mut active: account::ActiveModel = found.into();
    active.sub_account_management = Set(enabled);
    active.updated_at = Set(crate::domain::now());
    let updated = active.update(&txn).await?;
    if before && !enabled {
        // Its sub-accounts' requests would wait on a main that cannot act on them.
        crate::domain::order::cancel_waiting(
            &txn,
            viewer,
            &updated,
            None,
            crate::domain::order::CalledOff::MainMayNotApprove,
        )
        .await?;
    }
    activity::record(
        &txn,
        id,
        viewer,
        Activity::SubAccountManagementSet,
        Record::default().change("subAccountManagement", before, enabled),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
