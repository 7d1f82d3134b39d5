//! Services of accounts: the batched aggregates shown in lists (active services count and
//! total monthly cost) here; pause, resume and tariff changes in [`change`]; the staff's
//! lifecycle (disable, enable, archive, the daily end of services) in [`lifecycle`].

mod change;
pub mod lifecycle;

use std::collections::HashMap;

pub use change::{
    ChangeDecision, change, changeable, decide_change, pause, record_rate, resume, switchable,
};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr},
};

use entity::{
    account, account_total, change_request,
    enums::{BillingPeriod, ChangeRequestStatus, ServiceStatus},
    service,
};

use crate::error::AppResult;

/// The list columns of an account that come from its services.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub active_count: i64,
    /// Sum of the monthly prices of active services, in minor units.
    pub cost_minor: i64,
}

/// A service's share of its account's total cost (`totalServiceCost`): its price when it
/// is billed monthly. With [`counted`], the rule the triggers that keep `account_totals`
/// apply (migration `m20261205_000010_account_totals`); here for the reconciliation.
fn cost_share() -> SimpleExpr {
    Expr::case(
        Expr::col((service::Entity, service::Column::BillingPeriod))
            .eq(BillingPeriod::Monthly.as_str()),
        Expr::col((service::Entity, service::Column::PriceMinor)),
    )
    .finally(Expr::val(0i64))
    .into()
}

/// The services an account's totals count: the active ones.
fn counted() -> SimpleExpr {
    Expr::col((service::Entity, service::Column::Status)).eq(ServiceStatus::Active.as_str())
}

/// An account's total cost as a correlated subquery on `accounts` (its totals row, by
/// primary key), to sort and page by.
pub fn total_cost_of_account() -> SimpleExpr {
    let mut q = Query::select();
    q.column((account_total::Entity, account_total::Column::CostMinor))
        .from(account_total::Entity)
        .and_where(
            Expr::col((account_total::Entity, account_total::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        );
    Func::coalesce([
        SimpleExpr::SubQuery(None, Box::new(q.into())),
        Expr::val(0i64),
    ])
    .into()
}

/// The totals of many accounts, as the database keeps them (one statement, by primary key);
/// accounts without a row are absent.
pub async fn totals_for<C: ConnectionTrait>(
    db: &C,
    account_ids: &[i64],
) -> AppResult<HashMap<i64, Totals>> {
    if account_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = account_total::Entity::find()
        .filter(crate::db::among::column_among(
            account_total::Column::AccountId,
            account_ids.iter().copied(),
        ))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.account_id,
                Totals {
                    active_count: r.active_count,
                    cost_minor: r.cost_minor,
                },
            )
        })
        .collect())
}

/// An account's totals read beside it on a page of accounts (`db::children`): its
/// `account_totals` row, or zeros without one (as [`totals_for`]'s readers count an absent
/// row).
impl crate::db::children::Beside for Totals {
    const JOIN: Option<crate::db::children::Join> = Some(crate::db::children::Join {
        table: "account_totals",
        on: ("account_id", "id"),
        columns: &["active_count", "cost_minor"],
    });

    fn read(row: &sea_orm::QueryResult, at: &[usize]) -> AppResult<Self> {
        use crate::db::rows::Read;
        let read = |i: usize| -> AppResult<i64> {
            let at = *at
                .get(i)
                .ok_or_else(|| sea_orm::DbErr::Type("a totals column is missing".into()))?;
            Ok(Option::<i64>::read(row, at)?.unwrap_or(0))
        };
        Ok(Totals {
            active_count: read(0)?,
            cost_minor: read(1)?,
        })
    }
}

/// The totals recomputed from the services themselves (every account with active services).
async fn recounted<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<i64, Totals>> {
    let rows: Vec<(i64, i64, Option<i64>)> = service::Entity::find()
        .select_only()
        .column(service::Column::AccountId)
        .column_as(Expr::cust("COUNT(*)"), "active_count")
        .column_as(
            SimpleExpr::from(Func::cast_as(Func::sum(cost_share()), Alias::new("BIGINT"))),
            "cost_minor",
        )
        .filter(counted())
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

/// An account whose kept totals differ from its services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub account_id: i64,
    /// What `account_totals` holds (`None`: no row).
    pub kept: Option<Totals>,
    /// What its services add up to.
    pub counted: Totals,
}

/// The reconciliation: every account's kept totals against its services, recomputed.
/// Empty when they agree (`portal-api check-totals`; the tests run it after every writing
/// mutation).
pub async fn reconcile<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Drift>> {
    let counted = recounted(db).await?;
    let kept: HashMap<i64, Totals> = account_total::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.account_id,
                Totals {
                    active_count: r.active_count,
                    cost_minor: r.cost_minor,
                },
            )
        })
        .collect();
    let accounts: Vec<i64> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut drift: Vec<Drift> = accounts
        .into_iter()
        .filter_map(|id| {
            let kept = kept.get(&id).copied();
            let counted = counted.get(&id).copied().unwrap_or_default();
            (kept != Some(counted)).then_some(Drift {
                account_id: id,
                kept,
                counted,
            })
        })
        .collect();
    drift.sort_by_key(|d| d.account_id);
    Ok(drift)
}

/// The open (pending) change request of each of these services.
pub async fn pending_changes_for<C: ConnectionTrait>(
    db: &C,
    service_ids: &[i64],
) -> AppResult<HashMap<i64, change_request::Model>> {
    let rows = change_request::Entity::find()
        .filter(crate::db::among::column_among(
            change_request::Column::ServiceId,
            service_ids.iter().copied(),
        ))
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
