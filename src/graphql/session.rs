//! Sessions: `login` and `refreshSession` (the two operations an anonymous caller may use),
//! `logout`, `logoutEverywhere`, `changePassword`, and the staff's `forcePasswordReset`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    account::Account,
    guards::{SignedIn, Staff},
    ids::{self, Kind},
    node::Viewer,
    payload::{UserError, payload, split},
};
use std::sync::Arc;

use crate::{
    auth::{Subject, load_viewer, throttle},
    domain::session,
    error::{AppError, ResultExt},
    graphql::slot::Slot,
};

/// The client's address, when the server knows it (for login throttling).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The session the request's access token belongs to (its refresh-token family), if any.
#[derive(Debug, Clone, Default)]
pub struct CurrentSession(pub Option<String>);

/// Change your password.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password you signed in with.
    pub current_password: String,
    /// The new one, 8..200 characters.
    pub new_password: String,
}

/// Set a temporary password on an account and require a new one at its next sign-in.
#[derive(InputObject)]
pub struct ForcePasswordResetInput {
    /// The account.
    pub account_id: ID,
    /// The password to hand the customer, 8..200 characters.
    pub temporary_password: String,
}

/// Result of signing out or changing a password.
#[derive(SimpleObject)]
pub struct SessionsPayload {
    /// Sessions ended (refresh tokens revoked). Access tokens already handed out live until
    /// their expiry.
    pub sessions_ended: i32,
    /// Why nothing changed.
    pub user_errors: Vec<UserError>,
}

impl SessionsPayload {
    fn from_result(result: crate::error::AppResult<u64>) -> async_graphql::Result<Self> {
        let (ended, user_errors) = split(result)?;
        Ok(Self {
            sessions_ended: i32::try_from(ended.unwrap_or(0)).unwrap_or(i32::MAX),
            user_errors,
        })
    }
}

payload!(
    /// Result of `forcePasswordReset`.
    ForcePasswordResetPayload { account: Account });

fn subject_of(viewer: &crate::auth::Viewer) -> async_graphql::Result<Subject> {
    viewer
        .subject()
        .ok_or(AppError::Unauthenticated("authentication required"))
        .gql()
}

fn session_of<'a>(ctx: &Context<'a>) -> Option<&'a str> {
    ctx.data_opt::<CurrentSession>()
        .and_then(|s| s.0.as_deref())
}

/// Takes the attempt's place in the shared throttle before its password is checked; waits
/// the delay it asks for with the execution slot set aside (a throttled login never keeps
/// the server from answering others). `RATE_LIMITED` when refused.
async fn throttled(
    ctx: &Context<'_>,
    login: &str,
) -> async_graphql::Result<Option<std::net::IpAddr>> {
    let state = super::state(ctx)?;
    let address = ctx.data_opt::<ClientAddr>().map(|a| a.0);
    match throttle::reserve(&state.db, login, address, crate::domain::now())
        .await
        .gql()?
    {
        throttle::Verdict::Go => {}
        throttle::Verdict::After(wait) => match ctx.data_opt::<Arc<Slot>>() {
            Some(slot) => slot.aside(tokio::time::sleep(wait)).await,
            None => tokio::time::sleep(wait).await,
        },
        throttle::Verdict::Refused => return Err(AppError::RateLimited).gql(),
    }
    Ok(address)
}

/// A right password clears the login's count in the shared throttle (a wrong one was
/// counted when it was reserved).
async fn count_attempt<T>(
    ctx: &Context<'_>,
    login: &str,
    address: Option<std::net::IpAddr>,
    result: &crate::error::AppResult<T>,
) -> async_graphql::Result<()> {
    match result {
        Ok(_) => throttle::succeeded(super::db(ctx)?, login, address)
            .await
            .gql(),
        Err(_) => Ok(()),
    }
}

/// Log in with login and password.
#[derive(InputObject)]
pub struct LoginInput {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
}

/// Exchange a refresh token for a new session (the token is spent).
#[derive(InputObject)]
pub struct RefreshSessionInput {
    /// The refresh token from the last login or refresh.
    pub refresh_token: String,
}

/// A new session, or why there is none.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Bearer token for the `Authorization` header; lives 15 minutes.
    pub access_token: Option<String>,
    /// Single-use token for `refreshSession`.
    pub refresh_token: Option<String>,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Who is now signed in (query it with the new token).
    pub viewer: Option<Viewer>,
    /// Staff required a new password: until `changePassword`, this session may only change
    /// the password or sign out.
    pub password_change_required: bool,
    /// Why the session was refused.
    pub user_errors: Vec<UserError>,
}

impl LoginPayload {
    async fn from_session(
        ctx: &Context<'_>,
        result: crate::error::AppResult<session::Session>,
    ) -> async_graphql::Result<Self> {
        let (found, user_errors) = split(result)?;
        Ok(match found {
            Some(s) => {
                let viewer = load_viewer(super::db(ctx)?, s.subject).await.gql()?;
                Self {
                    password_change_required: viewer
                        .account()
                        .is_some_and(|a| a.must_change_password),
                    viewer: Some(Viewer(viewer)),
                    access_token: Some(s.access_token),
                    refresh_token: Some(s.refresh_token),
                    expires_at: Some(s.expires_at),
                    user_errors,
                }
            }
            None => Self {
                access_token: None,
                refresh_token: None,
                expires_at: None,
                viewer: None,
                password_change_required: false,
                user_errors,
            },
        })
    }
}

/// Session mutations.
#[derive(Default)]
pub struct SessionMutation;

/// Session mutations.
#[Object]
impl SessionMutation {
    /// Log in; the same refusal for an unknown login and a wrong password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: LoginInput,
    ) -> async_graphql::Result<LoginPayload> {
        let state = super::state(ctx)?;
        let address = throttled(ctx, &input.login).await?;
        let result = session::login(
            &state.db,
            &state.jwt,
            &state.config,
            &input.login,
            input.password,
        )
        .await;
        count_attempt(ctx, &input.login, address, &result).await?;
        LoginPayload::from_session(ctx, result).await
    }

    /// Rotate a refresh token into a new session; reusing a spent token revokes its family.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: RefreshSessionInput,
    ) -> async_graphql::Result<LoginPayload> {
        let state = super::state(ctx)?;
        let result =
            session::refresh(&state.db, &state.jwt, &state.config, &input.refresh_token).await;
        LoginPayload::from_session(ctx, result).await
    }

    /// Sign out of this session: its refresh token stops working (the access token lives
    /// until its expiry).
    #[graphql(guard = "SignedIn")]
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<SessionsPayload> {
        let subject = subject_of(super::viewer(ctx)?)?;
        SessionsPayload::from_result(
            session::logout(super::db(ctx)?, subject, session_of(ctx)).await,
        )
    }

    /// Sign out of every session (every device).
    #[graphql(guard = "SignedIn")]
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> async_graphql::Result<SessionsPayload> {
        let subject = subject_of(super::viewer(ctx)?)?;
        SessionsPayload::from_result(session::logout_everywhere(super::db(ctx)?, subject).await)
    }

    /// Change your password; every other session ends. A wrong current password is
    /// `INVALID_CREDENTIALS` (and counts against the sign-in throttle).
    #[graphql(guard = "SignedIn")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ChangePasswordInput,
    ) -> async_graphql::Result<SessionsPayload> {
        let viewer = super::viewer(ctx)?;
        let login = match viewer {
            crate::auth::Viewer::Customer(c) => c.account.login.clone(),
            other => other.actor_label(),
        };
        let address = throttled(ctx, &login).await?;
        let result = session::change_password(
            super::db(ctx)?,
            viewer,
            session_of(ctx),
            input.current_password,
            input.new_password,
        )
        .await;
        let wrong = matches!(&result, Err(AppError::User(errors))
            if errors.iter().any(|e| e.code == crate::error::UserErrorCode::InvalidCredentials));
        if wrong || result.is_ok() {
            count_attempt(ctx, &login, address, &result).await?;
        }
        SessionsPayload::from_result(result)
    }

    /// Set a temporary password on an account and require a new one (staff); every session
    /// of the account ends.
    #[graphql(guard = "Staff")]
    async fn force_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ForcePasswordResetInput,
    ) -> async_graphql::Result<ForcePasswordResetPayload> {
        let id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let result = session::force_password_reset(
            super::db(ctx)?,
            super::viewer(ctx)?,
            id,
            input.temporary_password,
        )
        .await;
        ForcePasswordResetPayload::from_result(result.map(Account::new))
    }
}
