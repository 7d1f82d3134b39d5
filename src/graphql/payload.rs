//! Mutation payloads: the changed object, or `userErrors` saying why nothing was changed.

use async_graphql::{Enum, ErrorExtensions, SimpleObject};

use crate::error::{self, AppError, AppResult};

/// Why a mutation was refused.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::error::UserErrorCode")]
pub enum UserErrorCode {
    /// An input field is wrong (`field` names it).
    InvalidInput,
    /// The balance does not cover the amount.
    InsufficientBalance,
    /// The payment gateway declined the payment.
    PaymentDeclined,
    /// The object is not in a state that allows this (e.g. pausing a paused service).
    InvalidState,
    /// A switch of the ISP or the partner does not allow this.
    NotAllowedBySettings,
    /// Something with this name or key exists already.
    Duplicate,
    /// A login, password or token is not right.
    InvalidCredentials,
    /// The order would take a sub-account over its monthly spending cap (the message says
    /// what remains).
    SpendingLimitExceeded,
    /// Its deadline has passed (a request that waited too long for its main account is
    /// expired now; nothing was charged).
    Expired,
}

/// A business refusal: nothing was charged, granted or changed.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Machine-readable reason.
    pub code: UserErrorCode,
    /// Human-readable explanation.
    pub message: String,
    /// Path of the input field at fault, e.g. `["input", "login"]`.
    pub field: Option<Vec<String>>,
}

impl From<error::UserError> for UserError {
    fn from(e: error::UserError) -> Self {
        Self {
            code: e.code.into(),
            message: e.message,
            field: e.field,
        }
    }
}

/// Splits a domain result into the payload's object and its user errors; every other error
/// becomes a GraphQL error with its code.
pub fn split<T>(result: AppResult<T>) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(v) => Ok((Some(v), Vec::new())),
        Err(AppError::User(errors)) => Ok((None, errors.into_iter().map(Into::into).collect())),
        Err(e) => Err(e.extend()),
    }
}

/// Declares a payload type `{ <field>: T, userErrors }` and its constructor from a result.
macro_rules! payload {
    ($(#[$meta:meta])* $name:ident { $field:ident : $ty:ty }) => {
        $(#[$meta])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            #[doc = "The result; null when the mutation was refused."]
            pub $field: Option<$ty>,
            #[doc = "Why nothing was changed; empty on success."]
            pub user_errors: Vec<$crate::graphql::payload::UserError>,
        }

        impl $name {
            pub fn from_result(result: $crate::error::AppResult<$ty>) -> async_graphql::Result<Self> {
                let ($field, user_errors) = $crate::graphql::payload::split(result)?;
                Ok(Self { $field, user_errors })
            }
        }
    };
}
pub(crate) use payload;

#[cfg(test)]
mod tests {
    #[test]
    fn every_user_error_code_is_named_as_the_schema_names_it() {
        use async_graphql::{OutputType, Value};
        for code in crate::error::UserErrorCode::ALL {
            let value = async_graphql::resolver_utils::enum_value(super::UserErrorCode::from(code));
            assert_eq!(value, Value::Enum(async_graphql::Name::new(code.as_str())));
        }
        let _ = <super::UserErrorCode as OutputType>::type_name();
    }
}
