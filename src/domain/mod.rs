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
pub mod billing;
pub mod bootstrap;
pub mod branding;
pub mod bulk;
pub mod catalog;
pub mod document;
pub mod invoice;
pub mod language;
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

// The clock and the ISP's calendar day live at the root (`crate::clock`); domain code
// names them here as before.
pub use crate::clock::{
    local_date, now, set_time_zone, start_of_day, start_of_day_in, time_zone, today,
};
