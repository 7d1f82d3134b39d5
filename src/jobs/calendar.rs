//! The ISP's calendar as the scheduler reads it: its time zone, its billing day, and when
//! each kind of due work comes due. Pure arithmetic (no clock, no database), so every edge
//! (a month's turn, a daylight-saving night, a changed billing day) is a test input.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub use crate::config::Calendar;
use crate::domain::{self, billing::Month};

impl Calendar {
    /// The ISP's calendar day at `at`.
    pub fn day_at(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The first instant of `day` (see [`domain::start_of_day_in`]).
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        domain::start_of_day_in(self.zone, day)
    }

    /// The start of the day after the one `at` falls on: when a daily job is due next.
    pub fn next_day_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let today = self.day_at(at);
        self.start_of(today.succ_opt().unwrap_or(today))
    }

    /// When `month` comes due for billing: the start of its billing day.
    pub fn billing_due(&self, month: &Month) -> DateTime<Utc> {
        let day = self.billing_day.unwrap_or(1).clamp(1, 28);
        self.start_of(month.first.with_day(day).unwrap_or(month.first))
    }

    /// The first month a new installation bills at `now`: the first whose billing day is
    /// still ahead (nothing is billed at the very start).
    pub fn first_billing_month(&self, now: DateTime<Utc>) -> Month {
        let this = Month::containing(self.day_at(now));
        if self.billing_due(&this) > now {
            this
        } else {
            Month::containing(this.next_first())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn utc(billing_day: u32) -> Calendar {
        Calendar {
            zone: chrono_tz::Tz::UTC,
            billing_day: Some(billing_day),
        }
    }

    #[test]
    fn a_month_comes_due_at_the_start_of_its_billing_day() {
        let cal = utc(5);
        let feb = Month::containing(day("2027-02-17"));
        assert_eq!(cal.billing_due(&feb), at("2027-02-05T00:00:00Z"));
        // Before the 5th the month itself is the first billed; from the 5th on, the next.
        assert_eq!(
            cal.first_billing_month(at("2027-02-04T23:59:59Z")).first,
            day("2027-02-01")
        );
        assert_eq!(
            cal.first_billing_month(at("2027-02-05T00:00:00Z")).first,
            day("2027-03-01")
        );
        let berlin = Calendar {
            zone: chrono_tz::Europe::Berlin,
            billing_day: Some(1),
        };
        assert_eq!(
            berlin.billing_due(&Month::containing(day("2027-01-10"))),
            at("2026-12-31T23:00:00Z")
        );
    }

    #[test]
    fn a_day_without_a_midnight_starts_when_the_clock_jumps() {
        // Chile moves its clocks from 00:00 to 01:00 on the first Sunday of September.
        let santiago = Calendar {
            zone: chrono_tz::America::Santiago,
            billing_day: Some(1),
        };
        let night = day("2027-09-05");
        let start = santiago.start_of(night);
        assert_eq!(start, at("2027-09-05T04:00:00Z"));
        assert_eq!(santiago.day_at(start), night);
        assert_eq!(
            santiago.day_at(start - chrono::Duration::seconds(1)),
            night.pred_opt().expect("day")
        );
        // The day before is 24 hours long; the night's day 23.
        assert_eq!(
            santiago.next_day_start(start - chrono::Duration::hours(3)),
            start
        );
        assert_eq!(
            santiago.next_day_start(start) - start,
            chrono::Duration::hours(23)
        );
        // Samoa skipped 30 December 2011: that day starts when the 31st does.
        let apia = Calendar {
            zone: chrono_tz::Pacific::Apia,
            billing_day: Some(1),
        };
        assert_eq!(
            apia.start_of(day("2011-12-30")),
            apia.start_of(day("2011-12-31"))
        );
    }
}
