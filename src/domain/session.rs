//! Sessions: login with login and password (same answer for an unknown login and a wrong
//! password), short-lived access tokens, and refresh tokens that are random, stored hashed,
//! single use and rotated; reuse of a spent one revokes its whole family. A session is one
//! family: access tokens name it (`sid`), so signing out revokes it. Signing out ends the
//! refresh; an access token already handed out lives until its expiry (15 minutes).

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, sea_query::Expr,
};

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
    super::document::sha256_hex(token.as_bytes())
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
    let family = family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let (access_token, expires_at) =
        keys.issue_for_session(subject, config.access_token_ttl, Some(&family))?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let refresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = super::now();
    let ttl = chrono::Duration::from_std(config.refresh_token_ttl)
        .map_err(|e| AppError::Internal(e.into()))?;
    refresh_token::ActiveModel {
        subject: Set(subject.encode()),
        family: Set(family),
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

/// Revokes the refresh tokens of `subject` still usable: those of `only` (a session), or all
/// but `except`, or all. Returns how many sessions ended.
async fn revoke<C: ConnectionTrait>(
    db: &C,
    subject: Subject,
    only: Option<&str>,
    except: Option<&str>,
) -> AppResult<u64> {
    let mut q = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(super::now()))
        .filter(refresh_token::Column::Subject.eq(subject.encode()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::UsedAt.is_null());
    if let Some(family) = only {
        q = q.filter(refresh_token::Column::Family.eq(family));
    }
    if let Some(family) = except {
        q = q.filter(refresh_token::Column::Family.ne(family));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// Signs out of one session (the refresh-token family the access token names). A token
/// from outside any session (the CLI's) ends nothing.
pub async fn logout(
    db: &DatabaseConnection,
    subject: Subject,
    session: Option<&str>,
) -> AppResult<u64> {
    match session {
        Some(family) => revoke(db, subject, Some(family), None).await,
        None => Ok(0),
    }
}

/// Signs out of every session of the subject.
pub async fn logout_everywhere(db: &DatabaseConnection, subject: Subject) -> AppResult<u64> {
    revoke(db, subject, None, None).await
}

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 200;

fn check_new_password(field: &str, password: &str) -> AppResult<()> {
    let length = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
        return Err(AppError::user(UserError::invalid(
            field,
            format!("a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters long"),
        )));
    }
    Ok(())
}

/// Changes the subject's password after checking the current one; every other session
/// ends (this one stays signed in), and a forced reset is done.
pub async fn change_password(
    db: &DatabaseConnection,
    viewer: &crate::auth::Viewer,
    session: Option<&str>,
    current: String,
    new: String,
) -> AppResult<u64> {
    let subject = viewer
        .subject()
        .ok_or(AppError::Unauthenticated("authentication required"))?;
    check_new_password("newPassword", &new)?;
    if new == current {
        return Err(AppError::user(UserError::invalid(
            "newPassword",
            "the new password must differ from the current one",
        )));
    }
    let stored = match subject {
        Subject::Staff(id) => staff_user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|s| s.password_hash),
        Subject::Account(id) => account::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|a| a.password_hash),
    };
    let stored = stored.filter(|h| h.starts_with("$argon2"));
    let checked = stored.clone().unwrap_or_default();
    if !password::verify(current, stored).await? {
        return Err(AppError::user(
            UserError::new(
                UserErrorCode::InvalidCredentials,
                "the current password is not right",
            )
            .at("currentPassword"),
        ));
    }
    let hash = password::hash(new).await?;
    let txn = crate::db::write_txn(db).await?;
    let now = super::now();
    // Only over the hash just checked: of two changes at once, one wins.
    let changed = match subject {
        Subject::Staff(id) => {
            staff_user::Entity::update_many()
                .col_expr(staff_user::Column::PasswordHash, Expr::value(hash))
                .filter(staff_user::Column::Id.eq(id))
                .filter(staff_user::Column::PasswordHash.eq(checked))
                .exec(&txn)
                .await?
                .rows_affected
        }
        Subject::Account(id) => {
            account::Entity::update_many()
                .col_expr(account::Column::PasswordHash, Expr::value(hash))
                .col_expr(account::Column::MustChangePassword, Expr::value(false))
                .col_expr(account::Column::UpdatedAt, Expr::value(now))
                .filter(account::Column::Id.eq(id))
                .filter(account::Column::PasswordHash.eq(checked))
                .exec(&txn)
                .await?
                .rows_affected
        }
    };
    if changed != 1 {
        return Err(AppError::user(UserError::new(
            UserErrorCode::InvalidState,
            "the password was changed meanwhile; sign in with the new one",
        )));
    }
    if let Subject::Account(id) = subject {
        super::activity::record(
            &txn,
            id,
            viewer,
            super::activity::Activity::PasswordChanged,
            super::record::Record::default(),
        )
        .await?;
    }
    let ended = revoke(&txn, subject, None, session).await?;
    txn.commit().await?;
    Ok(ended)
}

/// Staff set a temporary password on an account and require a new one: every session ends,
/// and until the customer changes it the account may only change its password (or sign
/// out).
pub async fn force_password_reset(
    db: &DatabaseConnection,
    viewer: &crate::auth::Viewer,
    account_id: i64,
    temporary: String,
) -> AppResult<account::Model> {
    crate::policy::require_admin(viewer)?;
    check_new_password("temporaryPassword", &temporary)?;
    let hash = password::hash(temporary).await?;
    let txn = crate::db::write_txn(db).await?;
    let found = account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut active: account::ActiveModel = found.into();
    active.password_hash = Set(hash);
    active.must_change_password = Set(true);
    active.updated_at = Set(super::now());
    let updated = active.update(&txn).await?;
    let ended = revoke(&txn, Subject::Account(account_id), None, None).await?;
    super::activity::record(
        &txn,
        account_id,
        viewer,
        super::activity::Activity::PasswordResetForced,
        super::record::Record::default().value("sessionsEnded", ended),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
