//! The clock: the current time as stored (microseconds, equal on both engines), and the
//! ISP's time zone with its calendar days. A leaf every floor may read.

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

/// When `day` begins in the ISP's time zone.
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    start_of_day_in(time_zone(), day)
}

/// When `day` begins in `zone`: its midnight, the earlier one when the clock goes back
/// across it, or where the clock jumps to when midnight falls in a gap (Chile's spring
/// night starts at 01:00; a day a zone skipped entirely starts when the next one does).
pub fn start_of_day_in(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    use chrono::Offset;
    let midnight = day.and_time(NaiveTime::MIN);
    if let Some(start) = zone.from_local_datetime(&midnight).earliest() {
        return start.with_timezone(&Utc);
    }
    // In a gap: read midnight with the offset in force before it; that instant is the
    // jump, the first one whose local day is `day` or later.
    let before = midnight.and_utc() - chrono::Duration::days(1);
    let offset = zone.offset_from_utc_datetime(&before.naive_utc()).fix();
    midnight.and_utc() - chrono::Duration::seconds(i64::from(offset.local_minus_utc()))
}
