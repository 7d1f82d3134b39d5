//! What every installation has from its first start: the default partner, the default
//! `SERVICE_ORDER` email template, the global portal settings row, a staff user for
//! `portal-api token --admin` and the server's generated keys. Idempotent; run after the
//! migrations, in one write transaction that replicas starting together take one at a time.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use entity::{email_template, enums::EmailTemplateKind, partner, portal_settings, staff_user};

use super::notification::{DEFAULT_TEMPLATE_BODY, DEFAULT_TEMPLATE_SUBJECT};
use crate::error::AppResult;

pub const DEFAULT_PARTNER: &str = "Default";
/// The staff user that `token --admin` signs for when no other exists. Its password hash is
/// unusable: nobody logs in as it with a password.
pub const SYSTEM_STAFF_LOGIN: &str = "admin";
pub const DISABLED_PASSWORD: &str = "!disabled";

/// The server keys every installation generates once.
pub struct Keys {
    /// The JWT secret (used when none is configured).
    pub jwt_secret: String,
    /// The key that signs document and export links.
    pub link_key: String,
}

/// Name of the server key holding the generated JWT secret.
pub const JWT_SECRET_KEY: &str = "jwt_secret";

/// Ensures the defaults, in one write transaction: on SQLite the write lock, on PostgreSQL
/// a transaction-level advisory lock, makes replicas starting at once do it one after the
/// other, so nothing is inserted twice and no partner is left without its settings.
pub async fn ensure_defaults(db: &DatabaseConnection) -> AppResult<Keys> {
    let txn = crate::db::write_txn(db).await?;
    crate::db::one_at_a_time(&txn).await?;
    write_defaults(&txn).await?;
    let keys = Keys {
        jwt_secret: crate::db::keys::get_or_create(&txn, JWT_SECRET_KEY).await?,
        link_key: crate::db::keys::get_or_create(&txn, super::document::LINK_KEY).await?,
    };
    txn.commit().await?;
    Ok(keys)
}

async fn write_defaults<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let now = super::now();
    if portal_settings::Entity::find_by_id(1)
        .one(db)
        .await?
        .is_none()
    {
        portal_settings::ActiveModel {
            id: Set(1),
            independent_sub_account_access: Set(false),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    let template = match email_template::Entity::find()
        .filter(email_template::Column::PartnerId.is_null())
        .filter(email_template::Column::Kind.eq(EmailTemplateKind::ServiceOrder))
        .one(db)
        .await?
    {
        Some(t) => t,
        None => {
            email_template::ActiveModel {
                partner_id: Set(None),
                kind: Set(EmailTemplateKind::ServiceOrder),
                name: Set("Sub-account placed an order".into()),
                subject: Set(DEFAULT_TEMPLATE_SUBJECT.into()),
                body: Set(DEFAULT_TEMPLATE_BODY.into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    if partner::Entity::find().count(db).await? == 0 {
        let p = partner::ActiveModel {
            name: Set(DEFAULT_PARTNER.into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        super::catalog::insert_partner_settings(db, p.id, Some(template.id)).await?;
    }
    if staff_user::Entity::find()
        .order_by_asc(staff_user::Column::Id)
        .one(db)
        .await?
        .is_none()
    {
        staff_user::ActiveModel {
            login: Set(SYSTEM_STAFF_LOGIN.into()),
            password_hash: Set(DISABLED_PASSWORD.into()),
            full_name: Set("Administrator".into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The first staff user (the one every installation has), for an admin token printed by
/// the command line. Work nobody asked for (the scheduler, `bill`) acts as the system.
pub async fn first_staff<C: sea_orm::ConnectionTrait>(db: &C) -> AppResult<staff_user::Model> {
    let staff = staff_user::Entity::find()
        .order_by_asc(staff_user::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| {
            crate::error::AppError::Internal(anyhow::anyhow!(
                "no staff user (expected {SYSTEM_STAFF_LOGIN})"
            ))
        })?;
    Ok(staff)
}
