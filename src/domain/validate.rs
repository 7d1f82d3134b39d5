//! Input rules shared by the workflows: each failure is a `userErrors` entry naming the field.

use rust_decimal::Decimal;

use crate::{
    error::{AppError, UserError},
    money::{Money, MoneyError},
};

/// The most values a list a client sends may hold (ids, statuses, filter values, cart lines,
/// bulk items, accounts of a feed filter): CONVENTIONS.md's one bound for input lists.
pub const MAX_LIST: usize = 100;

/// A list a client sent, known to hold at most [`MAX_LIST`] values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded<T>(Vec<T>);

impl<T> Bounded<T> {
    /// The list, or `BAD_USER_INPUT` ("at most 100 `what`") when it holds more.
    pub fn new(list: Vec<T>, what: &str) -> Result<Self, AppError> {
        if list.len() > MAX_LIST {
            return Err(AppError::BadUserInput(format!("at most {MAX_LIST} {what}")));
        }
        Ok(Self(list))
    }

    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> std::ops::Deref for Bounded<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

/// Collects refusals so that a client sees every bad field at once.
#[derive(Default)]
pub struct Checks(Vec<UserError>);

impl Checks {
    /// Trimmed text of `min..=max` characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let value = value.trim();
        let len = value.chars().count();
        if len < min || len > max {
            let message = if min > 0 && len == 0 {
                format!("{field} must not be empty")
            } else {
                format!("{field} must be {min} to {max} characters long")
            };
            self.0.push(UserError::invalid(field, message));
        }
        value.to_string()
    }

    /// A money amount with at most four decimal places; `None` (and a refusal) otherwise.
    pub fn money(&mut self, field: &str, value: Decimal) -> Option<Money> {
        match Money::from_decimal(value) {
            Ok(m) => Some(m),
            Err(e @ (MoneyError::TooPrecise | MoneyError::Overflow)) => {
                self.0
                    .push(UserError::invalid(field, format!("{field}: {e}")));
                None
            }
        }
    }

    pub fn require(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.0.push(UserError::invalid(field, message));
        }
    }

    /// Ok when nothing was refused, else every refusal.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::User(self.0))
        }
    }
}

/// Logins: 3..64 characters of letters, digits and `. _ - @`.
pub fn is_valid_login(login: &str) -> bool {
    (3..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// A plausible email address (the mail server has the last word).
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !email.contains(char::is_whitespace)
        && email.len() <= 254
}
