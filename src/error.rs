//! The one error type of portal-api and how it reaches clients: a GraphQL error with
//! `extensions.code`, or a `userErrors` entry in a mutation payload. Internal causes travel
//! beside the error, are logged once after execution (inside the request's span, which
//! carries the request id) and are never sent out.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// Machine-readable reason of a business refusal, listed in a payload's `userErrors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserErrorCode {
    InvalidInput,
    InsufficientBalance,
    PaymentDeclined,
    InvalidState,
    NotAllowedBySettings,
    Duplicate,
    InvalidCredentials,
    SpendingLimitExceeded,
    Expired,
}

impl UserErrorCode {
    pub const ALL: [UserErrorCode; 9] = [
        UserErrorCode::InvalidInput,
        UserErrorCode::InsufficientBalance,
        UserErrorCode::PaymentDeclined,
        UserErrorCode::InvalidState,
        UserErrorCode::NotAllowedBySettings,
        UserErrorCode::Duplicate,
        UserErrorCode::InvalidCredentials,
        UserErrorCode::SpendingLimitExceeded,
        UserErrorCode::Expired,
    ];

    /// The name clients see (`UserError.code`, a bulk item's `code`).
    pub fn as_str(self) -> &'static str {
        match self {
            UserErrorCode::InvalidInput => "INVALID_INPUT",
            UserErrorCode::InsufficientBalance => "INSUFFICIENT_BALANCE",
            UserErrorCode::PaymentDeclined => "PAYMENT_DECLINED",
            UserErrorCode::InvalidState => "INVALID_STATE",
            UserErrorCode::NotAllowedBySettings => "NOT_ALLOWED_BY_SETTINGS",
            UserErrorCode::Duplicate => "DUPLICATE",
            UserErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            UserErrorCode::SpendingLimitExceeded => "SPENDING_LIMIT_EXCEEDED",
            UserErrorCode::Expired => "EXPIRED",
        }
    }
}

/// One business refusal: nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub code: UserErrorCode,
    pub message: String,
    /// Path of the input field at fault, e.g. `["input", "login"]`.
    pub field: Option<Vec<String>>,
}

impl UserError {
    pub fn new(code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Names the offending field of the mutation's `input`.
    pub fn at(mut self, field: &str) -> Self {
        self.field = Some(vec!["input".to_string(), field.to_string()]);
        self
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(UserErrorCode::InvalidInput, message).at(field)
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No, a malformed, expired or wrongly signed token: `UNAUTHENTICATED` (HTTP 401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Not for the viewer's role (e.g. staff-only, or customers-only): `FORBIDDEN`.
    #[error("you are not allowed to do this")]
    Forbidden,
    /// The viewer may see the object but lacks this permission on it: `FORBIDDEN`, with the
    /// permission's name (as `Account.capabilities` spells it) in `extensions.action`.
    #[error("you are not allowed to do this")]
    Denied(crate::action::Action),
    /// The object does not exist or the viewer may not see it (the two are not told apart): `NOT_FOUND`.
    #[error("not found")]
    NotFound,
    /// Arguments that are malformed outside a mutation's `input` rules: `BAD_USER_INPUT`.
    #[error("{0}")]
    BadUserInput(String),
    /// Business refusals: become the payload's `userErrors`; nothing was changed. Where
    /// there is no payload (a query) it is `BAD_USER_INPUT` with their messages.
    #[error("{}", refusals(.0))]
    User(Vec<UserError>),
    /// The subject spent its request budget: `RATE_LIMITED` (HTTP 429).
    #[error("too many requests, slow down")]
    RateLimited,
    /// A database failure: `INTERNAL_SERVER_ERROR`, details only in the log.
    #[error("internal error")]
    Db(#[from] sea_orm::DbErr),
    /// Any other internal failure: `INTERNAL_SERVER_ERROR`, details only in the log.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The messages of business refusals, as one error message.
fn refusals(errors: &[UserError]) -> String {
    if errors.is_empty() {
        return "the request was refused".into();
    }
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    /// One business refusal.
    pub fn user(error: UserError) -> Self {
        AppError::User(vec![error])
    }

    /// The code put in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden | AppError::Denied(_) => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadUserInput(_) | AppError::User(_) => "BAD_USER_INPUT",
            AppError::RateLimited => "RATE_LIMITED",
            AppError::Db(_) | AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// Turns a unique-constraint violation into a `DUPLICATE` user error on `field`.
    pub fn duplicate_on(self, field: &str, message: &str) -> Self {
        match &self {
            AppError::Db(err) if is_unique_violation(err) => {
                AppError::user(UserError::new(UserErrorCode::Duplicate, message).at(field))
            }
            _ => self,
        }
    }
}

/// Whether a database error is a unique-constraint violation, on either engine.
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// What an internal failure was, kept beside its GraphQL error (never sent): the answer is
/// logged once per request, after execution (`gate::execute`).
#[derive(Debug)]
pub struct Cause(pub String);

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        let mut error = async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", code);
            if let AppError::Denied(action) = self {
                ext.set("action", action.name());
            }
        });
        if matches!(self, AppError::Db(_) | AppError::Internal(_)) {
            error.source = Some(Arc::new(Cause(format!("{self:?}"))));
        }
        error
    }
}

/// The GraphQL error of a failure shared by many fields (a failed batch): they all point at
/// one cause, which is logged once.
pub fn shared(e: &Arc<AppError>) -> async_graphql::Error {
    let mut error = e.as_ref().extend();
    if error.source.is_some() {
        error.source = Some(e.clone());
    }
    error
}

/// The one conversion from domain results to resolver results, so no `?` ever turns a
/// `DbErr` into a message with SQL text and no code.
pub trait ResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> ResultExt<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.extend())
    }
}

pub type AppResult<T> = Result<T, AppError>;
