//! Accounts: creation by admins, linking and unlinking sub-accounts under SPEC.md's rules,
//! the management switch, balance adjustments (through the ledger), and the account lists
//! (the admin's `accounts` and a main account's sub-accounts).

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};
use serde_json::json;

use entity::{
    account, account_link, balance_entry,
    enums::{AccountStatus, BillingMode, SubAccountType},
    partner, staff_user,
};

use super::{
    activity::{self, Activity},
    validate::{self, Checks},
};
use crate::db::page::{self, Page, PageRequest, Sort, SortKey};
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
    let now = super::now();
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
    activity::record(&txn, created.id, viewer, Activity::AccountCreated, json!({ "after": {
        "login": created.login, "fullName": created.full_name, "status": created.status.as_str(),
        "billingMode": created.billing_mode.as_str(), "partnerId": created.partner_id,
    }}))
    .await?;
    txn.commit().await?;
    Ok(created)
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

/// Loads two accounts for update, in id order so that concurrent links cannot deadlock.
async fn lock_pair<C: ConnectionTrait>(
    db: &C,
    a: i64,
    b: i64,
) -> AppResult<(account::Model, account::Model)> {
    let rows = account::Entity::find()
        .filter(account::Column::Id.is_in([a, b]))
        .order_by_asc(account::Column::Id)
        .lock_exclusive()
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

fn rule(code: UserErrorCode, field: &str, message: &str) -> UserError {
    UserError::new(code, message).at(field)
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
    let now = super::now();
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
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let details = json!({ "mainAccountId": main.id, "subAccountId": sub.id, "type": kind.as_str(),
        "before": { "mainAccountId": null }, "after": { "mainAccountId": main.id } });
    activity::record(
        &txn,
        sub.id,
        viewer,
        Activity::SubAccountLinked,
        details.clone(),
    )
    .await?;
    activity::record(&txn, main.id, viewer, Activity::SubAccountLinked, details).await?;
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
    let now = super::now();
    let mut active: account::ActiveModel = sub.clone().into();
    active.main_account_id = Set(None);
    active.sub_account_type = Set(None);
    active.linked_at = Set(None);
    active.updated_at = Set(now);
    let unlinked = active.update(&txn).await?;
    account_link::Entity::update_many()
        .col_expr(account_link::Column::UnlinkedAt, Expr::value(now))
        .filter(account_link::Column::SubAccountId.eq(sub.id))
        .filter(account_link::Column::UnlinkedAt.is_null())
        .exec(&txn)
        .await?;
    let details = json!({ "mainAccountId": main_id, "subAccountId": sub.id,
        "before": { "mainAccountId": main_id, "type": before_type }, "after": { "mainAccountId": null } });
    activity::record(
        &txn,
        sub.id,
        viewer,
        Activity::SubAccountUnlinked,
        details.clone(),
    )
    .await?;
    activity::record(&txn, main_id, viewer, Activity::SubAccountUnlinked, details).await?;
    super::order::cancel_waiting(
        &txn,
        viewer,
        &main,
        Some(sub.id),
        "the account is no longer a sub-account of its main account",
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
        .lock_exclusive()
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
    active.updated_at = Set(super::now());
    let updated = active.update(&txn).await?;
    if before && !enabled {
        // Its sub-accounts' requests would wait on a main that cannot act on them.
        super::order::cancel_waiting(
            &txn,
            viewer,
            &updated,
            None,
            "the main account may no longer approve sub-account orders",
        )
        .await?;
    }
    activity::record(
        &txn,
        id,
        viewer,
        Activity::SubAccountManagementSet,
        json!({ "before": before, "after": enabled }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
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
        .lock_exclusive()
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
        json!({
            "amount": amount.to_decimal().to_string(), "reason": reason,
            "before": Money::from_minor(found.balance_minor).to_decimal().to_string(),
            "after": Money::from_minor(updated.balance_minor).to_decimal().to_string(),
        }),
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
        actor: Set(viewer.actor_label()),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut active: account::ActiveModel = account.clone().into();
    active.balance_minor = Set(balance.minor());
    active.updated_at = Set(super::now());
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

// ---------------------------------------------------------------------------------------
// Lists

/// Filters of the sub-accounts list and of the admin's accounts list.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub statuses: Vec<AccountStatus>,
    pub kind: Option<SubAccountType>,
    pub search: Option<String>,
    pub partner_id: Option<i64>,
    pub main_account_id: Option<i64>,
}

/// Sort fields of account lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSort {
    FullName,
    Status,
    LinkedAt,
    TotalServiceCost,
    Id,
}

/// Account statuses in lifecycle order, the order of the status sort: the one list the SQL
/// sort key and the cursors' Rust key are both made from.
const STATUS_ORDER: [AccountStatus; 4] = [
    AccountStatus::New,
    AccountStatus::Active,
    AccountStatus::Blocked,
    AccountStatus::Inactive,
];

fn status_rank(s: AccountStatus) -> i64 {
    STATUS_ORDER.iter().position(|x| *x == s).unwrap_or(STATUS_ORDER.len()) as i64
}

/// `CASE accounts.status WHEN 'NEW' THEN 0 ... END`, from [`STATUS_ORDER`].
fn status_rank_sql() -> SimpleExpr {
    let status = || Expr::col((account::Entity, account::Column::Status));
    let mut rank = Expr::case(status().eq(STATUS_ORDER[0].as_str()), Expr::val(0i64));
    for (i, s) in STATUS_ORDER.iter().enumerate().skip(1) {
        rank = rank.case(status().eq(s.as_str()), Expr::val(i as i64));
    }
    rank.finally(Expr::val(STATUS_ORDER.len() as i64)).into()
}

impl AccountSort {
    fn sort(self, descending: bool) -> Sort {
        let key: Option<SimpleExpr> = match self {
            AccountSort::FullName => Some(Expr::col((account::Entity, account::Column::FullName))),
            AccountSort::Status => Some(status_rank_sql()),
            AccountSort::LinkedAt => Some(Expr::col((account::Entity, account::Column::LinkedAt))),
            AccountSort::TotalServiceCost => Some(super::service::total_cost_of_account()),
            AccountSort::Id => None,
        };
        Sort {
            key,
            id: Expr::col((account::Entity, account::Column::Id)),
            descending,
        }
    }

    /// The sort key of a row. Total cost needs the aggregate, which the caller supplies.
    fn key_of(self, row: &account::Model, total_cost: Option<i64>) -> Option<SortKey> {
        match self {
            AccountSort::FullName => Some(SortKey::Text(row.full_name.clone())),
            AccountSort::Status => Some(SortKey::Int(status_rank(row.status))),
            AccountSort::LinkedAt => row.linked_at.map(SortKey::Time),
            AccountSort::TotalServiceCost => Some(SortKey::Int(total_cost.unwrap_or(0))),
            AccountSort::Id => None,
        }
    }
}

fn filtered(filter: &AccountFilter) -> Select<account::Entity> {
    let mut q = account::Entity::find();
    if !filter.statuses.is_empty() {
        q = q.filter(account::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(account::Column::SubAccountType.eq(kind));
    }
    if let Some(main) = filter.main_account_id {
        q = q.filter(account::Column::MainAccountId.eq(main));
    }
    if let Some(partner) = filter.partner_id {
        q = q.filter(account::Column::PartnerId.eq(partner));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // Bound parameter, with LIKE wildcards escaped: the search text is only ever text.
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        q = q.filter(
            Expr::col((account::Entity, account::Column::SearchText))
                .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
        );
    }
    q
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One page of accounts under a filter and sort. With the total-cost sort, the cost of each
/// row is read in the same statement for its cursor.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &AccountFilter,
    sort: AccountSort,
    descending: bool,
    req: &PageRequest,
) -> AppResult<Page<account::Model>> {
    let spec = sort.sort(descending);
    if sort == AccountSort::TotalServiceCost {
        // Fetch (row, cost) pairs: the cursor needs the cost, which the model lacks.
        let mut page =
            page::fetch(db, filtered(filter), &spec, req, |_| Some(SortKey::Int(0))).await?;
        let ids: Vec<i64> = page.items.iter().map(|(c, _)| c.id).collect();
        let totals = super::service::totals_for(db, &ids).await?;
        for (cursor, row) in page.items.iter_mut() {
            let cost = totals.get(&row.id).map(|t| t.cost_minor).unwrap_or(0);
            cursor.key = sort.key_of(row, Some(cost));
        }
        return Ok(page);
    }
    page::fetch(db, filtered(filter), &spec, req, |row| {
        sort.key_of(row, None)
    })
    .await
}

/// How many accounts the filter matches.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &AccountFilter) -> AppResult<i64> {
    page::count(db, filtered(filter)).await
}

/// The most recently linked sub-accounts of a main account, newest first.
pub async fn recently_linked<C: ConnectionTrait>(
    db: &C,
    main_id: i64,
    limit: u64,
) -> AppResult<Vec<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::MainAccountId.eq(main_id))
        .order_by_desc(account::Column::LinkedAt)
        .order_by_desc(account::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
