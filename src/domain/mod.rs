//! Workflows and rules, as plain async functions over a database connection or transaction.
//! No GraphQL types here: every function is testable without HTTP. Each function that
//! changes data asks `policy` first and leaves an activity-history entry.

pub mod account;
pub mod activity;
pub mod billing;
pub mod bootstrap;
pub mod catalog;
pub mod document;
pub mod invoice;
pub mod notification;
pub mod order;
pub mod payment;
pub mod service;
pub mod session;
pub mod ticket;
pub mod usage;
pub mod validate;

use chrono::{DateTime, Utc};

/// The current time, truncated to microseconds so that what is stored equals what is read
/// back on both engines.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
