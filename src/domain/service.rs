//! Services of accounts: the batched aggregates shown in lists (active services count and
//! total monthly cost) and the per-account service pages used by the DataLoaders.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Condition, Expr},
};

use entity::{
    change_request,
    enums::{ChangeRequestStatus, ServiceStatus},
    service,
};

use super::page::{self, Page, PageRequest};
use crate::error::AppResult;

/// The list columns of an account that come from its services.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub active_count: i64,
    /// Sum of the monthly prices of active services, in minor units.
    pub cost_minor: i64,
}

/// Totals for many accounts in one statement; accounts without active services are absent.
pub async fn totals_for<C: ConnectionTrait>(
    db: &C,
    account_ids: &[i64],
) -> AppResult<HashMap<i64, Totals>> {
    if account_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i64, Option<i64>)> = service::Entity::find()
        .select_only()
        .column(service::Column::AccountId)
        .column_as(Expr::cust("COUNT(*)"), "active_count")
        .column_as(
            Expr::cust("CAST(SUM(CASE WHEN billing_period = 'MONTHLY' THEN price_minor ELSE 0 END) AS BIGINT)"),
            "cost_minor",
        )
        .filter(service::Column::AccountId.is_in(account_ids.iter().copied()))
        .filter(service::Column::Status.eq(ServiceStatus::Active))
        .group_by(service::Column::AccountId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, count, cost)| {
            (
                id,
                Totals {
                    active_count: count,
                    cost_minor: cost.unwrap_or(0),
                },
            )
        })
        .collect())
}

/// Pages of services of many accounts at once (one statement), optionally by status.
pub async fn pages_for<C: ConnectionTrait>(
    db: &C,
    account_ids: &[i64],
    statuses: &[ServiceStatus],
    req: &PageRequest,
) -> AppResult<HashMap<i64, (Page<service::Model>, i64)>> {
    let mut filter = Condition::all();
    if !statuses.is_empty() {
        filter = filter.add(service::Column::Status.is_in(statuses.iter().copied()));
    }
    page::fetch_children::<service::Entity, _>(
        db,
        service::Column::AccountId,
        account_ids,
        filter,
        false,
        req,
    )
    .await
}

/// The open (pending) change request of each of these services.
pub async fn pending_changes_for<C: ConnectionTrait>(
    db: &C,
    service_ids: &[i64],
) -> AppResult<HashMap<i64, change_request::Model>> {
    let rows = change_request::Entity::find()
        .filter(change_request::Column::ServiceId.is_in(service_ids.iter().copied()))
        .filter(change_request::Column::Status.eq(ChangeRequestStatus::Pending))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.service_id, r)).collect())
}

/// One service by id (`NOT_FOUND` if it does not exist); callers authorize on its account.
pub async fn find<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<service::Model> {
    service::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(crate::error::AppError::NotFound)
}
