//! After unlinking, history stays with whoever it belongs to (SPEC.md): the former main
//! account keeps the orders and invoices it paid, and they keep naming the account they were
//! for. That account appears to its former main as it was in the main's list when they were
//! unlinked (its row frozen then: name, login, status, address, billing mode, services count
//! and cost), never as it is now, and with nothing else (`policy::Target::FormerSubAccount`).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use entity::{
    account, account_link,
    enums::{AccountStatus, BillingMode},
};

use crate::{domain::service::Totals, error::AppResult};

/// A sub-account's list row, frozen when it was unlinked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frozen {
    pub login: String,
    pub full_name: String,
    pub status: AccountStatus,
    pub street: String,
    pub city: String,
    pub zip_code: String,
    pub country: String,
    pub billing_mode: BillingMode,
    pub currency: String,
    pub partner_id: i64,
    pub active_count: i64,
    pub cost_minor: i64,
}

impl Frozen {
    /// The row as it is at unlinking, with its totals.
    pub fn of(sub: &account::Model, totals: Totals) -> Self {
        Self {
            login: sub.login.clone(),
            full_name: sub.full_name.clone(),
            status: sub.status,
            street: sub.street.clone(),
            city: sub.city.clone(),
            zip_code: sub.zip_code.clone(),
            country: sub.country.clone(),
            billing_mode: sub.billing_mode,
            currency: sub.currency.clone(),
            partner_id: sub.partner_id,
            active_count: totals.active_count,
            cost_minor: totals.cost_minor,
        }
    }

    /// As an account row (nothing in it but the frozen list columns: no balance, no link,
    /// no switch), for the policy and the GraphQL type.
    pub fn row(&self, id: i64, at: chrono::DateTime<Utc>) -> account::Model {
        account::Model {
            id,
            partner_id: self.partner_id,
            login: self.login.clone(),
            password_hash: String::new(),
            full_name: self.full_name.clone(),
            email: None,
            status: self.status,
            billing_mode: self.billing_mode,
            street: self.street.clone(),
            city: self.city.clone(),
            zip_code: self.zip_code.clone(),
            country: self.country.clone(),
            search_text: String::new(),
            currency: self.currency.clone(),
            balance_minor: 0,
            main_account_id: None,
            sub_account_type: None,
            linked_at: None,
            sub_account_management: false,
            must_change_password: false,
            spending_cap_minor: None,
            auto_approve_minor: None,
            created_at: at,
            updated_at: at,
        }
    }

    pub fn totals(&self) -> Totals {
        Totals {
            active_count: self.active_count,
            cost_minor: self.cost_minor,
        }
    }
}

/// The frozen rows of `main`'s former sub-accounts (those linked to it once, unlinked since
/// and not linked to it again), by account id, as of their last unlinking.
pub async fn of_main<C: ConnectionTrait>(
    db: &C,
    main: i64,
) -> AppResult<HashMap<i64, (Frozen, chrono::DateTime<Utc>)>> {
    let links = account_link::Entity::find()
        .filter(account_link::Column::MainAccountId.eq(main))
        .order_by_asc(account_link::Column::Id)
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for link in links {
        match (link.unlinked_at, &link.snapshot) {
            (Some(at), Some(snapshot)) => {
                if let Ok(frozen) = serde_json::from_str::<Frozen>(snapshot) {
                    out.insert(link.sub_account_id, (frozen, at));
                }
            }
            // Linked (again): a current sub-account, not a former one.
            (None, _) => {
                out.remove(&link.sub_account_id);
            }
            (Some(_), None) => {}
        }
    }
    Ok(out)
}
