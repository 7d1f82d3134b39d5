//! Accounts: creation by admins and balance adjustments (through the ledger); linking and
//! the management switch in [`link`]; the account lists in [`list`]; a main account's
//! transfers to its independent sub-accounts in [`transfer`].

pub mod former;
mod link;
mod list;
mod transfer;

pub use link::{link, set_management, unlink};
pub use list::{AccountFilter, AccountSort, count, list, sub_accounts_of};
pub use transfer::{Transferred, transfer_balance};

use crate::db::LockForWrite;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;

use entity::{
    account, balance_entry,
    enums::{AccountStatus, BillingMode, SubAccountType},
    partner, staff_user,
};

use super::{
    activity::{self, Activity},
    record::{Guard, Record, Ref},
    validate::{self, Checks},
};
use crate::{
    auth::{Viewer, password},
    error::{AppError, AppResult, UserError, UserErrorCode},
    money::Money,
    policy::{self, Action, Target},
};

/// A postal address.
#[derive(Debug, Clone)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub zip_code: String,
    pub country: String,
}

/// What an admin gives to create an account.
pub struct NewAccount {
    pub login: String,
    pub password: String,
    pub full_name: String,
    pub email: Option<String>,
    pub partner_id: Option<i64>,
    pub status: AccountStatus,
    pub billing_mode: BillingMode,
    pub address: Address,
}

/// The lower-cased text the sub-accounts search looks in: name, login and address.
pub fn search_text(full_name: &str, login: &str, a: &Address) -> String {
    format!(
        "{full_name} {login} {} {} {} {}",
        a.street, a.city, a.zip_code, a.country
    )
    .to_lowercase()
}

/// The parts of a new account row; everything else starts empty (no link, zero balance).
pub struct NewRow {
    pub partner_id: i64,
    pub login: String,
    pub password_hash: String,
    pub full_name: String,
    pub email: Option<String>,
    pub status: AccountStatus,
    pub billing_mode: BillingMode,
    pub address: Address,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A new account row (not yet inserted): the one place that knows how the columns derive
/// from the parts (`search_text`, currency, an unlinked start).
pub fn row(new: NewRow) -> account::ActiveModel {
    account::ActiveModel {
        partner_id: Set(new.partner_id),
        search_text: Set(search_text(&new.full_name, &new.login, &new.address)),
        login: Set(new.login),
        password_hash: Set(new.password_hash),
        full_name: Set(new.full_name),
        email: Set(new.email),
        status: Set(new.status),
        billing_mode: Set(new.billing_mode),
        street: Set(new.address.street),
        city: Set(new.address.city),
        zip_code: Set(new.address.zip_code),
        country: Set(new.address.country),
        currency: Set("EUR".into()),
        balance_minor: Set(0),
        main_account_id: Set(None),
        sub_account_type: Set(None),
        linked_at: Set(None),
        sub_account_management: Set(false),
        created_at: Set(new.created_at),
        updated_at: Set(new.created_at),
        ..Default::default()
    }
}

pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: NewAccount,
) -> AppResult<account::Model> {
    policy::require_admin(viewer)?;
    let mut checks = Checks::default();
    let login = input.login.trim().to_string();
    checks.require(
        validate::is_valid_login(&login),
        "login",
        "login must be 3 to 64 characters: letters, digits, '.', '_', '-', '@'",
    );
    checks.require(
        (8..=200).contains(&input.password.chars().count()),
        "password",
        "password must be 8 to 200 characters long",
    );
    let full_name = checks.text("fullName", &input.full_name, 1, 200);
    let email = input
        .email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if let Some(email) = &email {
        checks.require(
            validate::is_valid_email(email),
            "email",
            "email is not a valid address",
        );
    }
    let address = Address {
        street: checks.text("street", &input.address.street, 1, 200),
        city: checks.text("city", &input.address.city, 1, 100),
        zip_code: checks.text("zipCode", &input.address.zip_code, 1, 20),
        country: checks.text("country", &input.address.country, 1, 100),
    };
    checks.finish()?;

    let partner = match input.partner_id {
        Some(id) => partner::Entity::find_by_id(id).one(db).await?,
        None => {
            partner::Entity::find()
                .order_by_asc(partner::Column::Id)
                .one(db)
                .await?
        }
    }
    .ok_or_else(|| AppError::user(UserError::invalid("partnerId", "no such partner")))?;
    if staff_login_taken(db, &login).await? {
        return Err(duplicate_login());
    }
    let password_hash = password::hash(input.password).await?;
    let now = crate::domain::now();
    let txn = crate::db::write_txn(db).await?;
    let created = row(NewRow {
        partner_id: partner.id,
        login,
        password_hash,
        full_name,
        email,
        status: input.status,
        billing_mode: input.billing_mode,
        address,
        created_at: now,
    })
    .insert(&txn)
    .await
    .map_err(|e| AppError::from(e).duplicate_on("login", DUPLICATE_LOGIN))?;
    let account = Guard::Sees(Ref::Account(created.id));
    let record = Record::default()
        .guarded_change("login", account, Value::Null, created.login.clone())
        .guarded_change("fullName", account, Value::Null, created.full_name.clone())
        .change("status", Value::Null, created.status.as_str())
        .change("billingMode", Value::Null, created.billing_mode.as_str());
    activity::record(&txn, created.id, viewer, Activity::AccountCreated, record).await?;
    txn.commit().await?;
    Ok(created)
}

/// A refusal that names the input field it is about.
pub(super) fn rule(code: UserErrorCode, field: &str, message: &str) -> UserError {
    UserError::new(code, message).at(field)
}

const DUPLICATE_LOGIN: &str = "this login is already taken";

fn duplicate_login() -> AppError {
    AppError::user(UserError::new(UserErrorCode::Duplicate, DUPLICATE_LOGIN).at("login"))
}

/// Loads an account the viewer may see (`NOT_FOUND` otherwise).
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: i64,
) -> AppResult<account::Model> {
    let found = account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    policy::authorize(viewer, Action::See, Target::Account(&found))?;
    Ok(found)
}

/// Adds `amount` (negative to debit) to an account's balance through the ledger.
pub async fn adjust_balance(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    amount: Decimal,
    reason: &str,
) -> AppResult<account::Model> {
    policy::require_admin(viewer)?;
    let mut checks = Checks::default();
    let amount = checks.money("amount", amount);
    if let Some(amount) = amount {
        checks.require(amount != Money::ZERO, "amount", "amount must not be zero");
    }
    let reason = checks.text("reason", reason, 1, 500);
    checks.finish()?;
    let amount = amount.unwrap_or_default();
    let txn = crate::db::write_txn(db).await?;
    let found = account::Entity::find_by_id(id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.sub_account_type == Some(SubAccountType::Aggregated) {
        return Err(AppError::user(rule(
            UserErrorCode::InvalidState,
            "accountId",
            "an aggregated sub-account has no balance of its own: adjust its main account",
        )));
    }
    let updated = post_ledger_entry(&txn, &found, amount, &reason, viewer).await?;
    activity::record(
        &txn,
        id,
        viewer,
        Activity::BalanceAdjusted,
        Record::default()
            .balance_amount("amount", id, amount)
            .guarded("reason", Guard::Balance(id), reason)
            .balance(
                id,
                Money::from_minor(found.balance_minor),
                Money::from_minor(updated.balance_minor),
            ),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Writes a ledger entry and moves the balance by the same amount, in the caller's transaction.
pub async fn post_ledger_entry<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    amount: Money,
    reason: &str,
    viewer: &Viewer,
) -> AppResult<account::Model> {
    let balance = Money::from_minor(account.balance_minor)
        .checked_add(amount)
        .ok_or_else(|| {
            AppError::user(UserError::invalid(
                "amount",
                "the balance would be out of range",
            ))
        })?;
    balance_entry::ActiveModel {
        account_id: Set(account.id),
        amount_minor: Set(amount.minor()),
        reason: Set(reason.to_string()),
        actor: Set(super::record::Actor::key(super::record::Actor::of(viewer))),
        created_at: Set(crate::domain::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut active: account::ActiveModel = account.clone().into();
    active.balance_minor = Set(balance.minor());
    active.updated_at = Set(crate::domain::now());
    Ok(active.update(db).await?)
}

/// Whether a login is used by a staff user (logins are one namespace across both tables).
pub async fn staff_login_taken<C: ConnectionTrait>(db: &C, login: &str) -> AppResult<bool> {
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Login.eq(login))
        .one(db)
        .await?
        .is_some())
}
