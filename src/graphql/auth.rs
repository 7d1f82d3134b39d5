//! `login` and `refreshSession`: the two operations an anonymous caller may use.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    node::Viewer,
    payload::{UserError, split},
};
use crate::{
    auth::load_viewer,
    domain::session,
    error::{AppError, ResultExt},
};

/// The client's address, when the server knows it (for login throttling).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::IpAddr);

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
            Some(s) => Self {
                viewer: Some(Viewer(load_viewer(super::db(ctx)?, s.subject).await.gql()?)),
                access_token: Some(s.access_token),
                refresh_token: Some(s.refresh_token),
                expires_at: Some(s.expires_at),
                user_errors,
            },
            None => Self {
                access_token: None,
                refresh_token: None,
                expires_at: None,
                viewer: None,
                user_errors,
            },
        })
    }
}

/// Session mutations.
#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Log in; the same refusal for an unknown login and a wrong password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<LoginPayload> {
        let state = super::state(ctx)?;
        let address = ctx.data_opt::<ClientAddr>().map(|a| a.0);
        if !state.login_throttle.allows(&input.login, address) {
            return Err(AppError::RateLimited).gql();
        }
        let result = session::login(
            &state.db,
            &state.jwt,
            &state.config,
            &input.login,
            input.password,
        )
        .await;
        match &result {
            Ok(_) => state.login_throttle.succeeded(&input.login),
            Err(AppError::User(_)) => state.login_throttle.failed(&input.login, address),
            Err(_) => {}
        }
        LoginPayload::from_session(ctx, result).await
    }

    /// Rotate a refresh token into a new session; reusing a spent token revokes its family.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        input: RefreshSessionInput,
    ) -> async_graphql::Result<LoginPayload> {
        let state = super::state(ctx)?;
        let result =
            session::refresh(&state.db, &state.jwt, &state.config, &input.refresh_token).await;
        LoginPayload::from_session(ctx, result).await
    }
}
