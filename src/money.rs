//! `Money`: exact amounts as `i64` minor units of 1/10,000 of the currency unit, the same on
//! SQLite and PostgreSQL (SQLite has no exact decimal). Arithmetic is checked; rounding to the
//! cent is half away from zero ("commercial rounding"), applied per invoice line.

use rust_decimal::{Decimal, RoundingStrategy};

/// Minor units per currency unit.
pub const SCALE: u32 = 4;
const FACTOR: i64 = 10_000;

/// Why an amount could not be made into `Money`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts have at most 4 decimal places")]
    TooPrecise,
    #[error("amount is out of range")]
    Overflow,
}

/// An exact amount of money (or a percentage, for tax rates) in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// From stored minor units.
    pub const fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    /// The stored minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }

    /// Parses a decimal, refusing more than four decimal places instead of rounding silently.
    pub fn from_decimal(value: Decimal) -> Result<Self, MoneyError> {
        let normalized = value.normalize();
        if normalized.scale() > SCALE {
            return Err(MoneyError::TooPrecise);
        }
        let scaled = normalized
            .checked_mul(Decimal::from(FACTOR))
            .ok_or(MoneyError::Overflow)?;
        i64::try_from(scaled)
            .map(Money)
            .map_err(|_| MoneyError::Overflow)
    }

    /// The exact decimal value, with at least two decimal places.
    pub fn to_decimal(self) -> Decimal {
        let mut d = Decimal::new(self.0, SCALE).normalize();
        if d.scale() < 2 {
            d.rescale(2);
        }
        d
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul_int(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// `self × numerator ÷ denominator`, rounded to the cent (half away from zero).
    pub fn prorate(self, numerator: i64, denominator: i64) -> Option<Money> {
        if denominator == 0 {
            return None;
        }
        let exact = Decimal::from(self.0)
            .checked_mul(Decimal::from(numerator))?
            .checked_div(Decimal::from(denominator))?;
        Self::round_minor_to_cent(exact)
    }

    /// Tax on this amount at `percent` (itself `Money`-scaled, e.g. 21% = 21.0000), to the cent.
    pub fn percent(self, percent: Money) -> Option<Money> {
        let exact = Decimal::from(self.0)
            .checked_mul(Decimal::from(percent.0))?
            .checked_div(Decimal::from(FACTOR * 100))?;
        Self::round_minor_to_cent(exact)
    }

    fn round_minor_to_cent(minor: Decimal) -> Option<Money> {
        // One cent is 100 minor units.
        let cents = (minor / Decimal::from(100))
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(cents).ok()?.checked_mul(100).map(Money)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl std::iter::Sum for Money {
    /// Saturates instead of wrapping; callers that can overflow use `checked_add`.
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.fold(0i64, |acc, m| acc.saturating_add(m.0)))
    }
}

/// The exact decimal value with at least two decimal places ("64.80", "1.2345", "-0.50"):
/// [`Money::to_decimal`]'s text, written from the minor units without `Decimal`'s
/// formatting (answers write many amounts).
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let units = self.0.unsigned_abs();
        let factor = FACTOR.unsigned_abs();
        let (mut whole, mut fraction, mut places) = (units / factor, units % factor, SCALE);
        while places > 2 && fraction % 10 == 0 {
            fraction /= 10;
            places -= 1;
        }
        // A sign, 20 digits at most, a point and 4 places.
        let mut text = [0u8; 32];
        let mut at = text.len();
        for _ in 0..places {
            at -= 1;
            text[at] = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        at -= 1;
        text[at] = b'.';
        loop {
            at -= 1;
            text[at] = b'0' + (whole % 10) as u8;
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        if self.0 < 0 {
            at -= 1;
            text[at] = b'-';
        }
        f.write_str(std::str::from_utf8(&text[at..]).map_err(|_| std::fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn m(s: &str) -> Money {
        Money::from_decimal(Decimal::from_str(s).expect("test literal")).expect("valid amount")
    }

    #[test]
    fn an_amount_is_written_as_its_decimal_is() {
        let mut amounts = vec![
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            5_000,
            -5_000,
            10_000,
            648_000,
            12_345,
            i64::MAX,
            i64::MIN,
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..10_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let scale = 10i64.pow((seed % 12) as u32);
            amounts.push((seed >> 11) as i64 % scale * if seed & 1 == 0 { 1 } else { -1 });
        }
        for minor in amounts {
            let money = Money::from_minor(minor);
            assert_eq!(money.to_string(), money.to_decimal().to_string(), "{minor}");
        }
    }

    #[test]
    fn ten_cents_plus_twenty_cents_is_exactly_thirty_cents() {
        let sum = m("0.10").checked_add(m("0.20")).expect("no overflow");
        assert_eq!(sum, m("0.30"));
        assert_eq!(sum.to_decimal().to_string(), "0.30");
    }

    #[test]
    fn more_than_four_decimal_places_is_refused() {
        assert_eq!(
            Money::from_decimal(Decimal::from_str("0.00001").expect("literal")),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(m("1.23450").minor(), 12_345);
    }

    #[test]
    fn proration_rounds_half_away_from_zero_to_the_cent() {
        // 10.00 for 1 day of 30 is 0.3333… → 0.33; 0.05 × 1/2 = 0.025 → 0.03.
        assert_eq!(m("10.00").prorate(1, 30), Some(m("0.33")));
        assert_eq!(m("0.05").prorate(1, 2), Some(m("0.03")));
    }

    #[test]
    fn tax_is_computed_to_the_cent() {
        assert_eq!(m("19.99").percent(m("21")), Some(m("4.20")));
        assert_eq!(m("100").percent(m("7.5")), Some(m("7.50")));
    }

    #[test]
    fn overflow_is_detected_not_wrapped() {
        assert_eq!(
            Money::from_minor(i64::MAX).checked_add(Money::from_minor(1)),
            None
        );
        assert_eq!(
            Money::from_decimal(Decimal::from_str("9999999999999999").expect("literal")),
            Err(MoneyError::Overflow)
        );
    }
}
