//! What a billing run reads: the payers of a month, each service's facts (dates, pauses,
//! prices over time, days already paid), and the lines the plan cuts from them for one payer
//! (`lines_for`, the one definition the run issues and the upcoming invoice shows).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::{
    account, account_link,
    enums::{BillingPeriod, ServiceStatus, SubAccountType},
    invoice, invoice_line, service, service_pause, service_rate,
};

use super::{LinkSpan, Month, PlannedLine, Rate, ServiceFacts, plan};
use crate::db::LockForWrite;
use crate::domain::invoice::NewLine;
use crate::{
    error::{AppError, AppResult},
    money::Money,
};

/// When `day` begins in the ISP's time zone.
fn midnight(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    crate::domain::start_of_day(day)
}

/// Links that cover at least one day of the month.
fn links_in(month: &Month) -> Condition {
    Condition::all()
        .add(account_link::Column::LinkedAt.lt(midnight(month.next_first())))
        .add(
            Condition::any()
                .add(account_link::Column::UnlinkedAt.is_null())
                .add(
                    account_link::Column::UnlinkedAt
                        .gte(midnight(month.first.succ_opt().unwrap_or(month.first))),
                ),
        )
}

/// Monthly services that may have a billable day in the month.
fn services_in(month: &Month) -> Condition {
    Condition::all()
        .add(service::Column::BillingPeriod.eq(BillingPeriod::Monthly))
        .add(service::Column::StartDate.lte(month.last))
        .add(
            Condition::any()
                .add(service::Column::EndDate.is_null())
                .add(service::Column::EndDate.gte(month.first)),
        )
}

/// Aggregated links that cover every day of the month: their sub-account pays nothing itself.
fn aggregated_all_month(month: &Month) -> Condition {
    Condition::all()
        .add(account_link::Column::Kind.eq(SubAccountType::Aggregated))
        .add(
            account_link::Column::LinkedAt
                .lt(midnight(month.first.succ_opt().unwrap_or(month.first))),
        )
        .add(
            Condition::any()
                .add(account_link::Column::UnlinkedAt.is_null())
                .add(account_link::Column::UnlinkedAt.gte(midnight(month.next_first()))),
        )
}

/// Every account that may pay something for the month and has no invoice for it yet, in id
/// order: owners of services in the month and main accounts with aggregated links in it,
/// less the sub-accounts aggregated under a main all month (their main's run bills them; as
/// candidates they would only lock their services against it and find nothing to bill).
pub async fn payers<C: ConnectionTrait>(db: &C, month: &Month) -> AppResult<Vec<i64>> {
    let owners: Vec<i64> = service::Entity::find()
        .select_only()
        .column(service::Column::AccountId)
        .distinct()
        .filter(services_in(month))
        .into_tuple()
        .all(db)
        .await?;
    let mains: Vec<i64> = account_link::Entity::find()
        .select_only()
        .column(account_link::Column::MainAccountId)
        .distinct()
        .filter(account_link::Column::Kind.eq(SubAccountType::Aggregated))
        .filter(links_in(month))
        .into_tuple()
        .all(db)
        .await?;
    let billed: BTreeSet<i64> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::AccountId)
        .filter(invoice::Column::PeriodStart.eq(month.first))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let covered: BTreeSet<i64> = account_link::Entity::find()
        .select_only()
        .column(account_link::Column::SubAccountId)
        .filter(aggregated_all_month(month))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let all: BTreeSet<i64> = owners.into_iter().chain(mains).collect();
    Ok(all
        .into_iter()
        .filter(|a| !billed.contains(a) && !covered.contains(a))
        .collect())
}

/// Gathers the facts of every monthly service of these accounts that touches the month,
/// locking the service rows.
async fn service_facts<C: ConnectionTrait>(
    db: &C,
    month: &Month,
    owners: &[i64],
    lock: Lock,
) -> AppResult<Vec<ServiceFacts>> {
    let mut services = service::Entity::find()
        .filter(crate::db::among::column_among(
            service::Column::AccountId,
            owners.iter().copied(),
        ))
        .filter(services_in(month))
        .order_by_asc(service::Column::Id);
    if lock == Lock::ForWrite {
        services = services.for_write();
    }
    let services = services.all(db).await?;
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    let pauses = service_pause::Entity::find()
        .filter(crate::db::among::column_among(
            service_pause::Column::ServiceId,
            ids.iter().copied(),
        ))
        .filter(service_pause::Column::PausedOn.lte(month.last))
        .filter(
            Condition::any()
                .add(service_pause::Column::ResumedOn.is_null())
                .add(service_pause::Column::ResumedOn.gt(month.first)),
        )
        .all(db)
        .await?;
    let rates = service_rate::Entity::find()
        .filter(crate::db::among::column_among(
            service_rate::Column::ServiceId,
            ids.iter().copied(),
        ))
        .order_by_asc(service_rate::Column::ValidFrom)
        .order_by_asc(service_rate::Column::Id)
        .all(db)
        .await?;
    let invoiced = invoice_line::Entity::find()
        .filter(crate::db::among::column_among(
            invoice_line::Column::ServiceId,
            ids.iter().copied(),
        ))
        .filter(invoice_line::Column::PeriodFrom.lte(month.last))
        .filter(invoice_line::Column::PeriodTo.gte(month.first))
        .all(db)
        .await?;
    let mut facts: HashMap<i64, ServiceFacts> = services
        .into_iter()
        .map(|s| {
            let ended = s.status == ServiceStatus::Archived;
            let f = ServiceFacts {
                id: s.id,
                owner_id: s.account_id,
                start: s.start_date,
                end: s.end_date,
                ended_undated: ended && s.end_date.is_none(),
                paid_through: s.paid_through,
                ..Default::default()
            };
            (s.id, f)
        })
        .collect();
    for p in pauses {
        if let Some(f) = facts.get_mut(&p.service_id) {
            f.pauses.push((p.paused_on, p.resumed_on));
        }
    }
    for r in rates {
        if let Some(f) = facts.get_mut(&r.service_id) {
            // Two changes on one day: the later one is the day's price.
            if f.rates
                .last()
                .is_some_and(|last| last.valid_from == r.valid_from)
            {
                f.rates.pop();
            }
            f.rates.push(Rate {
                valid_from: r.valid_from,
                description: r.description,
                price: Money::from_minor(r.price_minor),
                tax_percent: Money::from_minor(r.tax_percent_minor),
            });
        }
    }
    for l in invoiced {
        if let (Some(id), Some(from), Some(to)) = (l.service_id, l.period_from, l.period_to)
            && let Some(f) = facts.get_mut(&id)
        {
            f.invoiced.push((from, to));
        }
    }
    let mut out: Vec<ServiceFacts> = facts.into_values().collect();
    out.sort_by_key(|f| f.id);
    Ok(out)
}

pub(super) fn out_of_range() -> AppError {
    AppError::Internal(anyhow::anyhow!("billing amount out of range"))
}

/// Whether the rows read for a payer's invoice are locked (the billing run) or only read
/// (the preview).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    ForWrite,
    ReadOnly,
}

/// The lines of `payer`'s recurring invoice for `month` as the plan cuts them now: its own
/// services' days and those of the sub-accounts aggregated under it on each day. The one
/// definition the billing run issues and the upcoming invoice shows.
pub async fn lines_for<C: ConnectionTrait>(
    db: &C,
    month: &Month,
    payer: &account::Model,
    lock: Lock,
) -> AppResult<Vec<NewLine>> {
    let subs: Vec<i64> = account_link::Entity::find()
        .select_only()
        .column(account_link::Column::SubAccountId)
        .filter(account_link::Column::MainAccountId.eq(payer.id))
        .filter(account_link::Column::Kind.eq(SubAccountType::Aggregated))
        .filter(links_in(month))
        .into_tuple()
        .all(db)
        .await?;
    let owners: Vec<i64> = std::iter::once(payer.id)
        .chain(subs)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let facts = service_facts(db, month, &owners, lock).await?;
    let mut links: HashMap<i64, Vec<LinkSpan>> = HashMap::new();
    for l in account_link::Entity::find()
        .filter(crate::db::among::column_among(
            account_link::Column::SubAccountId,
            owners.iter().copied(),
        ))
        .filter(links_in(month))
        .all(db)
        .await?
    {
        links.entry(l.sub_account_id).or_default().push((&l).into());
    }
    let planned: Vec<PlannedLine> = plan(month, &facts, &links)
        .ok_or_else(out_of_range)?
        .into_iter()
        .filter(|l| l.payer_id == payer.id)
        .collect();
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    let names: HashMap<i64, String> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::FullName)
        .filter(crate::db::among::column_among(
            account::Column::Id,
            planned.iter().map(|l| l.owner_id),
        ))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(planned
        .iter()
        .map(|l| NewLine {
            description: format!(
                "{}, {} to {} ({} of {} days)",
                l.rate.description,
                l.from,
                l.to,
                l.days(),
                month.days()
            ),
            service_id: Some(l.service_id),
            sub_account: (l.owner_id != payer.id).then(|| {
                let name = names.get(&l.owner_id).cloned().unwrap_or_default();
                (l.owner_id, name)
            }),
            quantity: 1,
            unit_price: l.rate.price,
            tax_percent: l.rate.tax_percent,
            net: l.net,
            tax: l.tax,
            period_from: Some(l.from),
            period_to: Some(l.to),
        })
        .collect())
}
