//! Workflows and rules, as plain async functions over a database connection or transaction.
//! No GraphQL types here: every function is testable without HTTP. Each function that
//! changes data asks `policy` first and leaves an activity-history entry.

/// An enum stored (and shown) by the names of its variants: `ALL`, `as_str` and `named`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $vis:vis enum $enum:ident {
        $($(#[doc = $doc:literal])* $variant:ident = $name:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $enum {
            $($(#[doc = $doc])* $variant,)+
        }

        impl $enum {
            /// Every variant.
            pub const ALL: &'static [$enum] = &[$($enum::$variant,)+];

            /// The name stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)+
                }
            }

            /// The variant of a stored name.
            pub fn named(name: &str) -> Option<Self> {
                match name {
                    $($name => Some($enum::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use named_enum;

pub mod account;
pub mod activity;
pub mod audit;
pub mod billing;
pub mod bootstrap;
pub mod bulk;
pub mod catalog;
pub mod document;
pub mod invoice;
pub mod notification;
pub mod order;
pub mod payment;
pub mod record;
pub mod service;
pub mod session;
pub mod signed;
pub mod ticket;
pub mod usage;
pub mod validate;

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The current time, truncated to microseconds so that what is stored equals what is read
/// back on both engines.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The ISP's time zone (`PORTAL_TIME_ZONE`): days (a service's start, a pause, a billing
/// month) begin at midnight there.
static TIME_ZONE: OnceLock<Tz> = OnceLock::new();

/// Sets the ISP's time zone once per process (later calls keep the first).
pub fn set_time_zone(tz: Tz) {
    if TIME_ZONE.set(tz).is_err() && time_zone() != tz {
        tracing::warn!(kept = %time_zone(), ignored = %tz, "the time zone is set once per process");
    }
}

/// The ISP's time zone; UTC until set.
pub fn time_zone() -> Tz {
    TIME_ZONE.get().copied().unwrap_or(Tz::UTC)
}

/// The ISP's calendar day at `at`.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&time_zone()).date_naive()
}

/// Today in the ISP's time zone.
pub fn today() -> NaiveDate {
    local_date(now())
}

/// When `day` begins in the ISP's time zone (the first instant of the day when midnight
/// falls in a daylight-saving gap).
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    let tz = time_zone();
    let midnight = day.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}
