//! Values written straight into an answer's text as the resolvers' scalars send them,
//! without their formatting machinery: a `DateTime` as chrono's `to_rfc3339` writes it
//! (async-graphql's `DateTime<Utc>`). On a page with documents and orders, formatting
//! times and amounts was a twentieth of our instructions (`bench/ANALYSIS.md`). Anything
//! outside the common case goes to chrono itself; the tests hold both texts equal.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Appends `at` as `2026-12-07T23:08:16.123+00:00` (chrono's `to_rfc3339`: the fraction in
/// 0, 3, 6 or 9 digits, as few as hold it exactly).
pub(super) fn rfc3339(out: &mut Vec<u8>, at: DateTime<Utc>) {
    let nanos = at.nanosecond();
    if !(0..=9999).contains(&at.year()) || nanos >= 1_000_000_000 {
        // Years of other widths, and leap seconds.
        out.extend_from_slice(at.to_rfc3339().as_bytes());
        return;
    }
    let year = at.year() as u32;
    digits(out, year, 4);
    out.push(b'-');
    digits(out, at.month(), 2);
    out.push(b'-');
    digits(out, at.day(), 2);
    out.push(b'T');
    digits(out, at.hour(), 2);
    out.push(b':');
    digits(out, at.minute(), 2);
    out.push(b':');
    digits(out, at.second(), 2);
    if nanos != 0 {
        out.push(b'.');
        if nanos.is_multiple_of(1_000_000) {
            digits(out, nanos / 1_000_000, 3);
        } else if nanos.is_multiple_of(1_000) {
            digits(out, nanos / 1_000, 6);
        } else {
            digits(out, nanos, 9);
        }
    }
    out.extend_from_slice(b"+00:00");
}

/// `n` in exactly `width` decimal digits (`n` has no more).
fn digits(out: &mut Vec<u8>, mut n: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for at in (start..start + width).rev() {
        out[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn written(at: DateTime<Utc>) -> String {
        let mut out = Vec::new();
        rfc3339(&mut out, at);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let base = Utc
            .with_ymd_and_hms(2026, 12, 7, 23, 8, 16)
            .single()
            .expect("a time");
        let mut times = vec![
            base,
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
                .single()
                .expect("a time"),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
                .single()
                .expect("a time"),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0)
                .single()
                .expect("a time"),
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0)
                .single()
                .expect("a time"),
        ];
        for nanos in [
            1,
            10,
            999,
            1_000,
            120_000,
            999_999,
            1_000_000,
            5_000_000,
            123_456_789,
            999_999_999,
        ] {
            times.push(base + chrono::Duration::nanoseconds(nanos));
        }
        // A spread of instants over four centuries, with every kind of fraction.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let secs = (seed >> 33) as i64 % (400 * 365 * 86_400) - 100 * 365 * 86_400;
            let nanos = match seed % 4 {
                0 => 0,
                1 => (seed >> 7) % 1_000 * 1_000_000,
                2 => (seed >> 7) % 1_000_000 * 1_000,
                _ => (seed >> 7) % 1_000_000_000,
            };
            times.push(DateTime::from_timestamp(secs, nanos as u32).expect("in range"));
        }
        for at in times {
            assert_eq!(written(at), at.to_rfc3339(), "{at:?}");
        }
    }
}
