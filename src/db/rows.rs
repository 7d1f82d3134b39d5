//! Reading a table's rows into its models by position, for the nested pages
//! (`db::children`), where a request reads most of its rows.
//!
//! A model derived by SeaORM reads each column by name, through `Option` (a `NULL` builds an
//! error string that is then thrown away) and through SeaORM's layers over sqlx; with a page
//! of 100 sub-accounts that was a quarter of our server's CPU. Here the columns' positions
//! are found once per statement ([`Positions`]) and each row is read by position straight
//! from sqlx, with the same decoding (sqlx's, as SeaORM's own) and the same result: a test
//! reads the rows of every such table both ways and compares (`tests/api/rows.rs`).
//!
//! A model's reader names its fields (`positional!`, below); a field added to a model and not
//! to its reader does not compile (the reader builds the whole struct).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveEnum, DbErr, QueryResult,
    sqlx::{self, Postgres, Row, Sqlite},
};

use entity::enums::{
    AccountStatus, ActorKind, BillingMode, BillingPeriod, DocumentKind, InvoiceKind, InvoiceStatus,
    OrderStatus, PaymentMethodKind, ServiceStatus, SubAccountType, TicketPriority, TicketStatus,
};

/// A value read from a row's column at a position.
pub trait Read: Sized {
    fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr>;

    /// The value of a column a narrow read left out ([`Columns`]): empty for a text, zero
    /// for a number, `NULL` for a nullable column. A type without one (an enum) must be
    /// read.
    fn blank() -> Result<Self, DbErr> {
        Err(DbErr::Type(
            "a column without a blank value was left out".into(),
        ))
    }
}

/// Where a column left out of a narrow read is ([`Positions::narrow`]).
const LEFT_OUT: usize = usize::MAX;

/// The value at `at`, or the blank of a column left out.
fn read_or_blank<T: Read>(row: &QueryResult, at: usize) -> Result<T, DbErr> {
    if at == LEFT_OUT {
        T::blank()
    } else {
        T::read(row, at)
    }
}

/// A value sqlx decodes on both engines. Its type is not compared with the column's first
/// (sqlx's check compares type names, a twentieth of the server's CPU on a page of 100
/// rows): the columns are the model's own, a decoder refuses a value of the wrong size, and
/// the test reads every table both ways.
fn decoded<T>(row: &QueryResult, at: usize) -> Result<T, DbErr>
where
    T: for<'r> sqlx::Decode<'r, Postgres> + for<'r> sqlx::Decode<'r, Sqlite>,
{
    let read = if let Some(r) = row.try_as_pg_row() {
        r.try_get_unchecked::<T, usize>(at)
    } else if let Some(r) = row.try_as_sqlite_row() {
        r.try_get_unchecked::<T, usize>(at)
    } else {
        return Err(DbErr::Type("a row of neither engine".into()));
    };
    read.map_err(|e| DbErr::Type(format!("column {at}: {e}")))
}

macro_rules! decoded {
    ($($t:ty),* $(,)?) => {$(
        impl Read for $t {
            fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                decoded(row, at)
            }
            fn blank() -> Result<Self, DbErr> {
                Ok(<$t>::default())
            }
        }
        impl Read for Option<$t> {
            fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                decoded(row, at)
            }
            fn blank() -> Result<Self, DbErr> {
                Ok(None)
            }
        }
    )*};
}

decoded!(i64, i32, bool, String, DateTime<Utc>, NaiveDate);

/// An enum stored as its string value.
macro_rules! enums {
    ($($t:ty),* $(,)?) => {$(
        impl Read for $t {
            fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                <$t as ActiveEnum>::try_from_value(&decoded::<String>(row, at)?)
            }
        }
        impl Read for Option<$t> {
            fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                decoded::<Option<String>>(row, at)?
                    .map(|v| <$t as ActiveEnum>::try_from_value(&v))
                    .transpose()
            }
            fn blank() -> Result<Self, DbErr> {
                Ok(None)
            }
        }
    )*};
}

enums!(
    AccountStatus,
    ActorKind,
    BillingMode,
    BillingPeriod,
    DocumentKind,
    InvoiceKind,
    InvoiceStatus,
    OrderStatus,
    PaymentMethodKind,
    ServiceStatus,
    SubAccountType,
    TicketPriority,
    TicketStatus,
);

/// A model read by position: its columns (named as its fields) and the reader.
pub trait Positional: Sized {
    const COLUMNS: &'static [&'static str];
    /// The model in `row`, its columns at `at` (in [`Self::COLUMNS`]' order).
    fn at(row: &QueryResult, at: &[usize]) -> Result<Self, DbErr>;
}

/// Where a statement's result has a model's columns (found once, from its first row).
pub struct Positions(Vec<usize>);

/// The position of the column `name` among a result's column `names`.
pub fn position(names: &[String], name: &str) -> Result<usize, DbErr> {
    names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| DbErr::Type(format!("no column {name} in the result")))
}

impl Positions {
    /// `M`'s columns among a result's column `names` (`QueryResult::column_names`).
    pub fn of<M: Positional>(names: &[String]) -> Result<Self, DbErr> {
        Self::narrow::<M>(names, Columns::ALL)
    }

    /// `M`'s `columns` among a result's column `names`, the others left out (read as
    /// blanks: [`Read::blank`]).
    pub fn narrow<M: Positional>(names: &[String], columns: Columns) -> Result<Self, DbErr> {
        M::COLUMNS
            .iter()
            .enumerate()
            .map(|(n, column)| {
                if columns.has(n) {
                    position(names, column)
                } else {
                    Ok(LEFT_OUT)
                }
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The same columns `by` places further on (found among a later part of the names).
    pub fn shifted(self, by: usize) -> Self {
        Self(self.0.into_iter().map(|at| at + by).collect())
    }

    pub fn read<M: Positional>(&self, row: &QueryResult) -> Result<M, DbErr> {
        M::at(row, &self.0)
    }
}

/// Some of a model's columns, by their place in [`Positional::COLUMNS`]: what a narrow read
/// selects (the columns a request asks for, those the policy decides with, the key), the
/// others read as blanks. A model read so is kept with its columns: it is handed only to
/// a reader of no more than those (`graphql::loaders::Seen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Columns(u64);

impl Columns {
    /// Every column: a whole row.
    pub const ALL: Self = Self(u64::MAX);

    /// The columns named `names` of `M` (a name `M` has not, or all of them: every column).
    pub fn of<M: Positional>(names: &[&str]) -> Self {
        let mut bits = 0u64;
        for name in names {
            match M::COLUMNS.iter().position(|c| c == name) {
                Some(n) if n < 64 => bits |= 1 << n,
                _ => return Self::ALL,
            }
        }
        let columns = Self(bits);
        if columns.whole::<M>() {
            Self::ALL
        } else {
            columns
        }
    }

    /// Whether every one of `other` is among them.
    pub fn hold(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    fn has(self, n: usize) -> bool {
        n >= 64 || self.0 & (1 << n) != 0
    }

    /// Whether every column of `M` is among them.
    pub fn whole<M: Positional>(self) -> bool {
        (0..M::COLUMNS.len()).all(|n| self.has(n))
    }

    /// The names of `M`'s columns among them, in `M`'s order.
    pub fn names<M: Positional>(self) -> Vec<&'static str> {
        M::COLUMNS
            .iter()
            .enumerate()
            .filter(|(n, _)| self.has(*n))
            .map(|(_, c)| *c)
            .collect()
    }
}

/// The reader of a model with these fields (each field its column's name).
macro_rules! positional {
    ($($model:path { $($field:ident),* $(,)? })*) => {$(
        impl Positional for $model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn at(row: &QueryResult, at: &[usize]) -> Result<Self, DbErr> {
                let mut next = at.iter().copied();
                let mut place = || {
                    next.next()
                        .ok_or_else(|| DbErr::Type("fewer positions than columns".into()))
                };
                Ok(Self { $($field: read_or_blank(row, place()?)?),* })
            }
        }
    )*};
}

positional! {
    entity::account::Model {
        id, partner_id, login, password_hash, full_name, email, status, billing_mode, street,
        city, zip_code, country, search_text, currency, balance_minor, main_account_id,
        sub_account_type, linked_at, sub_account_management, must_change_password,
        spending_cap_minor, auto_approve_minor, created_at, updated_at,
    }
    entity::service::Model {
        id, account_id, tariff_id, description, status, billing_period, price_minor, start_date,
        end_date, paid_through, created_at, updated_at,
    }
    entity::document::Model {
        id, account_id, kind, title, content_type, size_bytes, sha256, created_at,
    }
    entity::order::Model {
        id, number, account_id, placed_by_id, payer_id, status, subtotal_minor, tax_minor,
        total_minor, payment_method, paid_at, invoice_id, rejection_reason, failure, expires_at,
        reminded_at, created_at, updated_at,
    }
    entity::invoice::Model {
        id, number, account_id, kind, status, subtotal_minor, tax_minor, total_minor,
        period_start, order_id, document_id, issued_at,
    }
    entity::invoice_line::Model {
        id, invoice_id, service_id, sub_account_id, description, quantity, unit_price_minor,
        tax_percent_minor, net_minor, tax_minor, total_minor, period_from, period_to,
    }
    entity::order_item::Model {
        id, order_id, tariff_id, quantity, unit_price_minor, tax_percent_minor, tax_minor,
        total_minor,
    }
    entity::activity::Model {
        id, account_id, action, details, created_at, actor_kind, actor_id, on_behalf_of_id,
        client_address, user_agent, order_id, invoice_id, ticket_id, service_id,
    }
    entity::ticket::Model {
        id, account_id, created_by_id, subject, status, priority, hidden_from_main, assignee_id,
        created_at, updated_at,
    }
    entity::ticket_message::Model {
        id, ticket_id, author_account_id, author_staff_id, from_staff, body, created_at,
    }
    entity::voice_call::Model {
        id, service_id, account_id, started_at, destination, duration_seconds, cost_minor,
    }
    entity::internet_session::Model {
        id, service_id, account_id, started_at, ended_at, day, download_bytes, upload_bytes,
        duration_seconds,
    }
}
