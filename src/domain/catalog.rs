//! The admin-managed catalogue and configuration: partners and their portal settings, the
//! global portal settings, tariffs and email templates.

use crate::db::LockForWrite;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use entity::{
    email_template,
    enums::{BillingPeriod, EmailTemplateKind, TariffKind},
    partner, partner_portal_settings, portal_settings, tariff,
};

use super::validate::Checks;
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError},
    money::Money,
    policy,
};

/// Tariffs by id, kept for the life of the process: tariffs are insert-only (there is
/// `createTariff`, no update and no delete), so a row once read never changes. Should tariffs
/// ever become editable, this cache has to go (or be invalidated across replicas).
pub type TariffCache =
    std::sync::Arc<std::sync::RwLock<std::collections::HashMap<i64, tariff::Model>>>;

/// Days a sub-account's order waits for its main account, unless the partner says otherwise.
pub const DEFAULT_APPROVAL_EXPIRY_DAYS: i32 = 7;

/// Placeholders the `SERVICE_ORDER` template may use.
pub const SERVICE_ORDER_PLACEHOLDERS: [&str; 5] = [
    "sub_account.full_name",
    "main_account.full_name",
    "order.number",
    "order.total",
    "order.date",
];

pub async fn partners(db: &DatabaseConnection) -> AppResult<Vec<partner::Model>> {
    Ok(partner::Entity::find()
        .order_by_asc(partner::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert_partner_settings<C: ConnectionTrait>(
    db: &C,
    partner_id: i64,
    template_id: Option<i64>,
) -> AppResult<partner_portal_settings::Model> {
    Ok(partner_portal_settings::ActiveModel {
        partner_id: Set(partner_id),
        sub_accounts_can_order: Set(false),
        notify_main_on_sub_account_order: Set(true),
        sub_account_order_template_id: Set(template_id),
        approval_expiry_days: Set(DEFAULT_APPROVAL_EXPIRY_DAYS),
        updated_at: Set(super::now()),
    }
    .insert(db)
    .await?)
}

/// The global default `SERVICE_ORDER` template (what new partners start with).
async fn default_template<C: ConnectionTrait>(db: &C) -> AppResult<Option<email_template::Model>> {
    Ok(email_template::Entity::find()
        .filter(email_template::Column::PartnerId.is_null())
        .order_by_asc(email_template::Column::Id)
        .one(db)
        .await?)
}

pub async fn create_partner(
    db: &DatabaseConnection,
    viewer: &Viewer,
    name: &str,
) -> AppResult<partner::Model> {
    policy::require_admin(viewer)?;
    let mut checks = Checks::default();
    let name = checks.text("name", name, 1, 200);
    checks.finish()?;
    let txn = crate::db::write_txn(db).await?;
    let created = partner::ActiveModel {
        name: Set(name),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| AppError::from(e).duplicate_on("name", "a partner with this name exists"))?;
    let template = default_template(&txn).await?.map(|t| t.id);
    insert_partner_settings(&txn, created.id, template).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn portal_settings(db: &impl ConnectionTrait) -> AppResult<portal_settings::Model> {
    portal_settings::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("portal settings row missing")))
}

pub async fn update_portal_settings(
    db: &DatabaseConnection,
    viewer: &Viewer,
    independent_access: Option<bool>,
) -> AppResult<portal_settings::Model> {
    policy::require_admin(viewer)?;
    let Some(value) = independent_access else {
        return portal_settings(db).await;
    };
    let txn = crate::db::write_txn(db).await?;
    let current = portal_settings::Entity::find_by_id(1)
        .for_write()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("portal settings row missing")))?;
    let mut active: portal_settings::ActiveModel = current.into();
    active.independent_sub_account_access = Set(value);
    active.updated_at = Set(super::now());
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn partner_settings<C: ConnectionTrait>(
    db: &C,
    partner_ids: &[i64],
) -> AppResult<Vec<partner_portal_settings::Model>> {
    Ok(partner_portal_settings::Entity::find()
        .filter(crate::db::among::column_among(
            partner_portal_settings::Column::PartnerId,
            partner_ids.iter().copied(),
        ))
        .all(db)
        .await?)
}

/// Changes of a partner's portal settings; `None` leaves a setting as it is.
pub struct PartnerSettingsChange {
    pub sub_accounts_can_order: Option<bool>,
    pub notify_main_on_sub_account_order: Option<bool>,
    pub template_id: Option<i64>,
    pub approval_expiry_days: Option<i32>,
}

pub async fn update_partner_settings(
    db: &DatabaseConnection,
    viewer: &Viewer,
    partner_id: i64,
    change: PartnerSettingsChange,
) -> AppResult<partner::Model> {
    policy::require_admin(viewer)?;
    if let Some(days) = change.approval_expiry_days {
        let mut checks = super::validate::Checks::default();
        checks.require(
            (1..=90).contains(&days),
            "approvalExpiryDays",
            "must be between 1 and 90 days",
        );
        checks.finish()?;
    }
    let txn = crate::db::write_txn(db).await?;
    let partner = partner::Entity::find_by_id(partner_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let current = match partner_portal_settings::Entity::find_by_id(partner_id)
        .for_write()
        .one(&txn)
        .await?
    {
        Some(s) => s,
        None => insert_partner_settings(&txn, partner_id, None).await?,
    };
    if let Some(template_id) = change.template_id {
        let template = email_template::Entity::find_by_id(template_id)
            .one(&txn)
            .await?;
        let usable =
            template.is_some_and(|t| t.partner_id.is_none() || t.partner_id == Some(partner_id));
        if !usable {
            return Err(AppError::user(UserError::invalid(
                "subAccountOrderTemplateId",
                "no such email template for this partner",
            )));
        }
    }
    let mut active: partner_portal_settings::ActiveModel = current.into();
    if let Some(v) = change.sub_accounts_can_order {
        active.sub_accounts_can_order = Set(v);
    }
    if let Some(v) = change.notify_main_on_sub_account_order {
        active.notify_main_on_sub_account_order = Set(v);
    }
    if let Some(id) = change.template_id {
        active.sub_account_order_template_id = Set(Some(id));
    }
    if let Some(days) = change.approval_expiry_days {
        active.approval_expiry_days = Set(days);
    }
    active.updated_at = Set(super::now());
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(partner)
}

/// What an admin gives to create a tariff.
pub struct NewTariff {
    pub name: String,
    pub kind: TariffKind,
    pub period: BillingPeriod,
    pub price: Decimal,
    pub tax_percent: Decimal,
    pub allows_self_change: bool,
    pub download_speed_kbps: Option<i32>,
    pub upload_speed_kbps: Option<i32>,
}

pub async fn create_tariff(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: NewTariff,
) -> AppResult<tariff::Model> {
    policy::require_admin(viewer)?;
    let mut checks = Checks::default();
    let name = checks.text("name", &input.name, 1, 200);
    let price = checks.money("price", input.price);
    let tax = checks.money("taxPercent", input.tax_percent);
    if let Some(price) = price {
        checks.require(!price.is_negative(), "price", "price must not be negative");
    }
    if let Some(tax) = tax {
        checks.require(
            !tax.is_negative() && tax <= Money::from_minor(100 * 10_000),
            "taxPercent",
            "taxPercent must be between 0 and 100",
        );
    }
    for (field, speed) in [
        ("downloadSpeedKbps", input.download_speed_kbps),
        ("uploadSpeedKbps", input.upload_speed_kbps),
    ] {
        checks.require(
            speed.is_none_or(|s| s > 0),
            field,
            format!("{field} must be positive"),
        );
    }
    checks.finish()?;
    let (price, tax) = (price.unwrap_or_default(), tax.unwrap_or_default());
    Ok(tariff::ActiveModel {
        name: Set(name),
        kind: Set(input.kind),
        period: Set(input.period),
        price_minor: Set(price.minor()),
        tax_percent_minor: Set(tax.minor()),
        allows_self_change: Set(input.allows_self_change),
        download_speed_kbps: Set(input.download_speed_kbps),
        upload_speed_kbps: Set(input.upload_speed_kbps),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn tariffs(
    db: &impl ConnectionTrait,
    kind: Option<TariffKind>,
) -> AppResult<Vec<tariff::Model>> {
    let mut q = tariff::Entity::find().order_by_asc(tariff::Column::Id);
    if let Some(kind) = kind {
        q = q.filter(tariff::Column::Kind.eq(kind));
    }
    Ok(q.all(db).await?)
}

pub async fn email_templates(
    db: &DatabaseConnection,
    viewer: &Viewer,
) -> AppResult<Vec<email_template::Model>> {
    policy::require_admin(viewer)?;
    Ok(email_template::Entity::find()
        .order_by_asc(email_template::Column::Id)
        .all(db)
        .await?)
}

/// The `{{...}}` placeholders a template text uses that are not known.
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            unknown.push(after.chars().take(40).collect());
            break;
        };
        let name = after[..end].trim();
        if !SERVICE_ORDER_PLACEHOLDERS.contains(&name) {
            unknown.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    unknown
}

const MAX_TEMPLATE_NAME: usize = 200;
const MAX_SUBJECT: usize = 300;
const MAX_BODY: usize = 20_000;

/// Checks a template's subject and body (lengths, known placeholders).
fn check_template_texts(
    checks: &mut Checks,
    subject: Option<&str>,
    body: Option<&str>,
) -> (Option<String>, Option<String>) {
    let subject = subject.map(|s| checks.text("subject", s, 1, MAX_SUBJECT));
    let body = body.map(|b| checks.text("body", b, 1, MAX_BODY));
    for (field, text) in [("subject", &subject), ("body", &body)] {
        if let Some(text) = text {
            let unknown = unknown_placeholders(text);
            checks.require(
                unknown.is_empty(),
                field,
                format!("unknown placeholder(s): {}", unknown.join(", ")),
            );
        }
    }
    (subject, body)
}

/// What staff give to create a template.
pub struct NewTemplate {
    pub kind: EmailTemplateKind,
    pub name: String,
    pub subject: String,
    pub body: String,
    /// The partner that owns it (only its settings may pick it); `None` for a shared one.
    pub partner_id: Option<i64>,
}

/// Creates an email template (staff); placeholders are checked as on update.
pub async fn create_email_template(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewTemplate,
) -> AppResult<email_template::Model> {
    policy::require_admin(viewer)?;
    let mut checks = Checks::default();
    let name = checks.text("name", &new.name, 1, MAX_TEMPLATE_NAME);
    let (subject, body) = check_template_texts(&mut checks, Some(&new.subject), Some(&new.body));
    if let Some(partner) = new.partner_id {
        let exists = partner::Entity::find_by_id(partner)
            .one(db)
            .await?
            .is_some();
        checks.require(exists, "partnerId", "no such partner");
    }
    checks.finish()?;
    let now = super::now();
    let txn = crate::db::write_txn(db).await?;
    let created = email_template::ActiveModel {
        partner_id: Set(new.partner_id),
        kind: Set(new.kind),
        name: Set(name),
        subject: Set(subject.unwrap_or_default()),
        body: Set(body.unwrap_or_default()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(template = created.id, partner = ?created.partner_id, actor = %viewer.actor_label(), "email template created");
    Ok(created)
}

pub async fn update_email_template(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    subject: Option<String>,
    body: Option<String>,
) -> AppResult<email_template::Model> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let template = email_template::Entity::find_by_id(id)
        .for_write()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut checks = Checks::default();
    let (subject, body) = check_template_texts(&mut checks, subject.as_deref(), body.as_deref());
    checks.finish()?;
    let before = json!({ "subject": template.subject, "body": template.body });
    let mut active: email_template::ActiveModel = template.into();
    if let Some(s) = subject {
        active.subject = Set(s);
    }
    if let Some(b) = body {
        active.body = Set(b);
    }
    active.updated_at = Set(super::now());
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(template = updated.id, actor = %viewer.actor_label(), ?before, "email template updated");
    Ok(updated)
}
