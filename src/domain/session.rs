//! Sessions: login with login and password (same answer for an unknown login and a wrong
//! password), short-lived access tokens, and refresh tokens that are random, stored hashed,
//! single use and rotated; reuse of a spent one revokes its whole family.

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use entity::{account, refresh_token, staff_user};

use crate::{
    auth::{Subject, jwt::JwtKeys, password},
    config::Config,
    error::{AppError, AppResult, UserError, UserErrorCode},
};

/// What a successful login or refresh hands out.
#[derive(Debug, Clone)]
pub struct Session {
    pub subject: Subject,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
}

fn invalid_credentials() -> AppError {
    AppError::user(UserError::new(
        UserErrorCode::InvalidCredentials,
        "invalid login or password",
    ))
}

fn invalid_refresh() -> AppError {
    AppError::user(
        UserError::new(
            UserErrorCode::InvalidCredentials,
            "invalid or expired refresh token",
        )
        .at("refreshToken"),
    )
}

fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Looks the login up among staff first, then customers, and checks the password.
pub async fn login(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    config: &Config,
    login: &str,
    pass: String,
) -> AppResult<Session> {
    let login = login.trim();
    let (subject, stored) = match staff_user::Entity::find()
        .filter(staff_user::Column::Login.eq(login))
        .one(db)
        .await?
    {
        Some(staff) => (Some(Subject::Staff(staff.id)), Some(staff.password_hash)),
        None => match account::Entity::find()
            .filter(account::Column::Login.eq(login))
            .one(db)
            .await?
        {
            Some(acc) => (Some(Subject::Account(acc.id)), Some(acc.password_hash)),
            None => (None, None),
        },
    };
    // A disabled hash (system staff user) is handled like an unknown login.
    let stored = stored.filter(|h| h.starts_with("$argon2"));
    let ok = password::verify(pass, stored.clone()).await?;
    match subject {
        Some(subject) if ok && stored.is_some() => start(db, keys, config, subject, None).await,
        _ => Err(invalid_credentials()),
    }
}

/// Issues an access token and a new refresh token (in `family`, or a new family).
async fn start<C: ConnectionTrait>(
    db: &C,
    keys: &JwtKeys,
    config: &Config,
    subject: Subject,
    family: Option<String>,
) -> AppResult<Session> {
    let (access_token, expires_at) = keys.issue(subject, config.access_token_ttl)?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let refresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = super::now();
    let ttl = chrono::Duration::from_std(config.refresh_token_ttl)
        .map_err(|e| AppError::Internal(e.into()))?;
    refresh_token::ActiveModel {
        subject: Set(subject.encode()),
        family: Set(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        token_hash: Set(hash_token(&refresh)),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Session {
        subject,
        access_token,
        refresh_token: refresh,
        expires_at,
    })
}

/// Spends a refresh token and rotates it. A second use of a spent token revokes the family.
pub async fn refresh(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    config: &Config,
    token: &str,
) -> AppResult<Session> {
    let hash = hash_token(token.trim());
    let txn = crate::db::write_txn(db).await?;
    let Some(found) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
    else {
        return Err(invalid_refresh());
    };
    let now = super::now();
    if found.used_at.is_some() {
        // Reuse: someone holds a copy. Revoke every token of the family, commit, refuse.
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::Family.eq(found.family.clone()))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        tracing::warn!(family = %found.family, "refresh token reused; family revoked");
        return Err(invalid_refresh());
    }
    if found.revoked_at.is_some() || found.expires_at <= now {
        return Err(invalid_refresh());
    }
    // Spend it only if nobody spent it in the meantime (two concurrent refreshes: one wins).
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(found.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid_refresh());
    }
    let subject = Subject::parse(&found.subject).ok_or_else(invalid_refresh)?;
    if !subject_exists(&txn, subject).await? {
        return Err(invalid_refresh());
    }
    let session = start(&txn, keys, config, subject, Some(found.family)).await?;
    txn.commit().await?;
    Ok(session)
}

async fn subject_exists<C: ConnectionTrait>(db: &C, subject: Subject) -> AppResult<bool> {
    Ok(match subject {
        Subject::Staff(id) => staff_user::Entity::find_by_id(id).one(db).await?.is_some(),
        Subject::Account(id) => account::Entity::find_by_id(id).one(db).await?.is_some(),
    })
}
