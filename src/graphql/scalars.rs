//! Custom scalars of the contract: `Decimal` (exact, a JSON string both ways; a JSON number
//! is refused because floats lose cents), `Date` (ISO calendar date) and `BigInt` (64-bit
//! integer as a JSON number) and `JSON` (any JSON value). `DateTime` comes from async-graphql.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate};

use crate::money::Money;

/// An exact decimal amount, serialized as a JSON string such as `"19.90"`. Input must be a
/// string too: a JSON number is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

/// An exact decimal amount of money as a JSON string, e.g. `"19.99"` (at most 4 decimal
/// places; a JSON number is refused, so no client rounds it through floating point).
#[Scalar(
    name = "Decimal",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259#section-7"
)]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                let s = s.trim();
                // Plain decimal notation only: no exponents, no thousands separators.
                let plain = !s.is_empty()
                    && s.len() <= 40
                    && s.chars()
                        .enumerate()
                        .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'));
                if !plain {
                    return Err(InputValueError::custom(
                        "a Decimal is a string such as \"19.90\"",
                    ));
                }
                s.parse::<rust_decimal::Decimal>()
                    .map(Decimal)
                    .map_err(|_| InputValueError::custom("a Decimal is a string such as \"19.90\""))
            }
            Value::Number(_) => Err(InputValueError::custom(
                "a Decimal must be sent as a string (e.g. \"19.90\"): JSON numbers lose cents",
            )),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Self {
        Decimal(m.to_decimal())
    }
}

impl Decimal {
    pub fn from_minor(minor: i64) -> Self {
        Money::from_minor(minor).into()
    }
}

/// An ISO 8601 calendar date, e.g. `"2026-11-27"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date, `YYYY-MM-DD` (RFC 3339 `full-date`), e.g. `"2026-11-27"`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // Four-digit years only: both engines store them, and no ISP bills in year -4800.
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .filter(|d| (1..=9999).contains(&d.year()))
                .map(Date)
                .ok_or_else(|| {
                    InputValueError::custom(
                        "a Date is a string such as \"2026-11-27\" (years 0001 to 9999)",
                    )
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// The text a `Decimal` is sent as (`"19.90"`; a compiled plan writes it without a value).
impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The text a `Date` is sent as: `%Y-%m-%d` (four-digit years without parsing the pattern).
impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        if (0..=9999).contains(&d.year()) {
            write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        } else {
            d.format("%Y-%m-%d").fmt(f)
        }
    }
}

/// A 64-bit integer as a JSON number (byte counts above 2^32 are normal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigInt(pub i64);

/// A 64-bit signed integer as a JSON number (byte counts above 2^32 are normal).
#[Scalar(
    name = "BigInt",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259#section-6"
)]
impl ScalarType for BigInt {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => n.as_i64().map(BigInt).ok_or_else(|| {
                InputValueError::custom("a BigInt is a whole number within 64 bits")
            }),
            Value::String(s) => s
                .parse()
                .map(BigInt)
                .map_err(|_| InputValueError::custom("a BigInt is a whole number within 64 bits")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

/// Any JSON value, passed through as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonValue(pub serde_json::Value);

/// Any JSON value (RFC 8259): an object, an array, a string, a number, a boolean or null.
#[Scalar(
    name = "JSON",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259"
)]
impl ScalarType for JsonValue {
    fn parse(value: Value) -> InputValueResult<Self> {
        Ok(JsonValue(value.into_json()?))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_written_as_its_pattern_says_for_every_year() {
        for (y, m, d) in [
            (2026, 12, 7),
            (1, 1, 1),
            (0, 2, 29),
            (999, 10, 5),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 15),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("a date");
            assert_eq!(
                Date(date).to_string(),
                date.format("%Y-%m-%d").to_string(),
                "{date:?}"
            );
        }
    }

    #[test]
    fn a_decimal_is_written_as_rust_decimal_writes_it() {
        for minor in [0, 1, -1, 1990, -250_075, i64::MAX] {
            let d = Decimal::from_minor(minor);
            assert_eq!(d.to_string(), d.0.to_string());
            assert_eq!(d.to_value(), Value::String(d.0.to_string()));
        }
    }
}
