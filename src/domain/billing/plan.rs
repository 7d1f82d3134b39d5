//! The pure half of billing: what is known about each service and link, and [`plan`], which
//! decides day by day whether a day is billable and who pays it, and cuts the billable days
//! into lines. No database here; property-tested below.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};

use entity::{account_link, enums::SubAccountType};

use crate::money::Money;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Month {
    /// The month that starts on `first`; `None` unless `first` is the first of a month.
    pub fn starting(first: NaiveDate) -> Option<Month> {
        if first.day() != 1 {
            return None;
        }
        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Month { first, last })
    }

    /// `2026-12` → December 2026.
    pub fn parse(s: &str) -> Option<Month> {
        let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()?;
        Self::starting(first)
    }

    /// The month containing `day`.
    pub fn containing(day: NaiveDate) -> Month {
        let first = day.with_day(1).unwrap_or(day);
        Self::starting(first).unwrap_or(Month {
            first: day,
            last: day,
        })
    }

    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    pub fn iter_days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        self.first.iter_days().take(self.days() as usize)
    }

    /// "December 2026".
    pub fn label(&self) -> String {
        self.first.format("%B %Y").to_string()
    }

    /// The first day of the next month.
    pub fn next_first(&self) -> NaiveDate {
        self.last.succ_opt().unwrap_or(self.last)
    }
}

/// A service's price from `valid_from` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub valid_from: NaiveDate,
    pub description: String,
    pub price: Money,
    pub tax_percent: Money,
}

/// What billing needs to know about one monthly service.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    pub id: i64,
    pub owner_id: i64,
    pub start: Option<NaiveDate>,
    /// Last day of service, inclusive.
    pub end: Option<NaiveDate>,
    /// `ARCHIVED` without an end date (history from before end dates were kept): no day is
    /// billed. A `DISABLED` service is skipped by its disable period instead, like a pause.
    pub ended_undated: bool,
    /// Last day paid by the order that created it.
    pub paid_through: Option<NaiveDate>,
    /// Pauses as `[paused_on, resumed_on)`; open while `resumed_on` is `None`.
    pub pauses: Vec<(NaiveDate, Option<NaiveDate>)>,
    /// Prices over time, by `valid_from`. Days before the first rate use the first rate.
    pub rates: Vec<Rate>,
    /// Day ranges `[from, to]` already on an invoice.
    pub invoiced: Vec<(NaiveDate, NaiveDate)>,
}

impl ServiceFacts {
    /// Whether `day` is still to be billed.
    pub fn billable_on(&self, day: NaiveDate) -> bool {
        !self.ended_undated
            && !self.rates.is_empty()
            && self.start.is_some_and(|s| s <= day)
            && self.end.is_none_or(|e| day <= e)
            && self.paid_through.is_none_or(|p| day > p)
            && !self
                .pauses
                .iter()
                .any(|(from, until)| *from <= day && until.is_none_or(|u| day < u))
            && !self
                .invoiced
                .iter()
                .any(|(from, to)| *from <= day && day <= *to)
    }

    fn rate_on(&self, day: NaiveDate) -> usize {
        self.rates
            .iter()
            .rposition(|r| r.valid_from <= day)
            .unwrap_or(0)
    }
}

/// One link of an account to a main account, as the days `[from, until)` it covers: a link
/// made or ended during a day counts from that day on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSpan {
    pub main_id: i64,
    pub aggregated: bool,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl From<&account_link::Model> for LinkSpan {
    fn from(l: &account_link::Model) -> Self {
        LinkSpan {
            main_id: l.main_account_id,
            aggregated: l.kind == SubAccountType::Aggregated,
            from: crate::domain::local_date(l.linked_at),
            until: l.unlinked_at.map(crate::domain::local_date),
        }
    }
}

/// Who pays `owner`'s services on `day`: the main account it is aggregated under that day,
/// or itself.
pub fn payer_on(owner: i64, links: &[LinkSpan], day: NaiveDate) -> i64 {
    links
        .iter()
        .find(|l| l.aggregated && l.from <= day && l.until.is_none_or(|u| day < u))
        .map_or(owner, |l| l.main_id)
}

/// One line the plan bills: days `from..=to` of a service, at one price, to one payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub service_id: i64,
    pub owner_id: i64,
    pub payer_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rate: Rate,
    pub net: Money,
    pub tax: Money,
}

impl PlannedLine {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// Cuts every billable day of the month into lines. `None` if an amount is out of range.
pub fn plan(
    month: &Month,
    services: &[ServiceFacts],
    links: &HashMap<i64, Vec<LinkSpan>>,
) -> Option<Vec<PlannedLine>> {
    let mut out = Vec::new();
    for s in services {
        let owner_links = links.get(&s.owner_id).map(Vec::as_slice).unwrap_or(&[]);
        // (payer, rate index, from, to) of the run being built.
        let mut run: Option<(i64, usize, NaiveDate, NaiveDate)> = None;
        for day in month.iter_days() {
            let key = s
                .billable_on(day)
                .then(|| (payer_on(s.owner_id, owner_links, day), s.rate_on(day)));
            match (run, key) {
                (Some((payer, rate, from, _)), Some(k)) if (payer, rate) == k => {
                    run = Some((payer, rate, from, day));
                }
                (_, next) => {
                    if let Some(done) = run.take() {
                        out.push(line(month, s, done)?);
                    }
                    run = next.map(|(payer, rate)| (payer, rate, day, day));
                }
            }
        }
        if let Some(done) = run {
            out.push(line(month, s, done)?);
        }
    }
    Some(out)
}

fn line(
    month: &Month,
    s: &ServiceFacts,
    (payer_id, rate, from, to): (i64, usize, NaiveDate, NaiveDate),
) -> Option<PlannedLine> {
    let rate = s.rates.get(rate)?.clone();
    let days = (to - from).num_days() + 1;
    let net = rate.price.prorate(days, month.days())?;
    let tax = net.percent(rate.tax_percent)?;
    Some(PlannedLine {
        service_id: s.id,
        owner_id: s.owner_id,
        payer_id,
        from,
        to,
        rate,
        net,
        tax,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::billing::month_to_bill;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn rate(from: &str, price: i64) -> Rate {
        Rate {
            valid_from: d(from),
            description: "Fiber".into(),
            price: Money::from_minor(price * 10_000),
            tax_percent: Money::from_minor(19 * 10_000),
        }
    }

    #[test]
    fn months() {
        let dec = Month::parse("2026-12").expect("month");
        assert_eq!(
            (dec.first, dec.last, dec.days()),
            (d("2026-12-01"), d("2026-12-31"), 31)
        );
        assert_eq!(Month::parse("2028-02").map(|m| m.days()), Some(29));
        assert_eq!(Month::parse("2026-13"), None);
        assert_eq!(Month::starting(d("2026-12-02")), None);
        assert_eq!(Month::containing(d("2026-11-27")).first, d("2026-11-01"));
        assert_eq!(dec.label(), "December 2026");
        assert!(month_to_bill(d("2026-12-01"), d("2026-11-27")).is_ok());
        assert!(month_to_bill(d("2027-01-01"), d("2026-11-27")).is_err());
        assert!(month_to_bill(d("2026-12-15"), d("2026-11-27")).is_err());
    }

    #[test]
    fn a_pause_and_a_price_change_cut_lines() {
        let dec = Month::parse("2026-12").expect("month");
        let s = ServiceFacts {
            id: 1,
            owner_id: 7,
            start: Some(d("2026-01-01")),
            pauses: vec![(d("2026-12-05"), Some(d("2026-12-15")))],
            rates: vec![rate("2026-01-01", 20), rate("2026-12-20", 40)],
            ..Default::default()
        };
        let lines = plan(&dec, &[s], &HashMap::new()).expect("plan");
        let spans: Vec<_> = lines.iter().map(|l| (l.from.day(), l.to.day())).collect();
        assert_eq!(spans, vec![(1, 4), (15, 19), (20, 31)]);
        // 20 × 4 ÷ 31 = 2.5806 → 2.58; 20 × 5 ÷ 31 = 3.2258 → 3.23; 40 × 12 ÷ 31 = 15.4839 → 15.48
        let nets: Vec<String> = lines.iter().map(|l| l.net.to_string()).collect();
        assert_eq!(nets, vec!["2.58", "3.23", "15.48"]);
        // Tax per line on the rounded net: 0.4902 → 0.49; 0.6137 → 0.61; 2.9412 → 2.94
        let taxes: Vec<String> = lines.iter().map(|l| l.tax.to_string()).collect();
        assert_eq!(taxes, vec!["0.49", "0.61", "2.94"]);
    }

    #[test]
    fn links_decide_the_payer_day_by_day() {
        let links = vec![
            LinkSpan {
                main_id: 1,
                aggregated: true,
                from: d("2026-12-10"),
                until: Some(d("2026-12-20")),
            },
            LinkSpan {
                main_id: 2,
                aggregated: false,
                from: d("2026-12-20"),
                until: None,
            },
        ];
        assert_eq!(payer_on(9, &links, d("2026-12-09")), 9);
        assert_eq!(payer_on(9, &links, d("2026-12-10")), 1);
        assert_eq!(payer_on(9, &links, d("2026-12-19")), 1);
        assert_eq!(payer_on(9, &links, d("2026-12-20")), 9);
    }

    /// Random schedules: every billable day is on exactly one line, with the payer of that
    /// day; lines never overlap and never join days of different payers or prices.
    #[test]
    fn random_schedules_cover_each_billable_day_once() {
        use rand::{Rng, SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(7);
        let month = Month::parse("2027-02").expect("month");
        let day = |n: u32| month.first + chrono::Duration::days(i64::from(n) - 1);
        for _ in 0..2_000 {
            let owner = 10;
            let mut links = Vec::new();
            let mut from = rng.gen_range(0..=30u32);
            while links.len() < 3 && from <= 28 {
                let until = from + rng.gen_range(1..=15);
                links.push(LinkSpan {
                    main_id: rng.gen_range(1..=2),
                    aggregated: rng.gen_bool(0.7),
                    from: day(from.max(1)),
                    until: (until <= 28).then(|| day(until)),
                });
                from = until + rng.gen_range(0..=2);
            }
            let s = ServiceFacts {
                id: 1,
                owner_id: owner,
                start: Some(day(rng.gen_range(0..=28)).max(d("2027-01-20"))),
                end: rng.gen_bool(0.3).then(|| day(rng.gen_range(1..=28))),
                ended_undated: rng.gen_bool(0.05),
                paid_through: rng.gen_bool(0.3).then(|| day(rng.gen_range(1..=28))),
                pauses: (0..rng.gen_range(0..=2))
                    .map(|_| {
                        let p = rng.gen_range(1..=28);
                        (
                            day(p),
                            rng.gen_bool(0.7).then(|| day(p + rng.gen_range(1..=5))),
                        )
                    })
                    .collect(),
                rates: {
                    let mut r = vec![rate("2027-01-01", 28)];
                    if rng.gen_bool(0.5) {
                        r.push(rate(&day(rng.gen_range(2..=28)).to_string(), 56));
                    }
                    r
                },
                invoiced: (0..rng.gen_range(0..=1))
                    .map(|_| {
                        let f = rng.gen_range(1..=28);
                        (day(f), day((f + rng.gen_range(0..=4)).min(28)))
                    })
                    .collect(),
            };
            let lines = plan(
                &month,
                std::slice::from_ref(&s),
                &HashMap::from([(owner, links.clone())]),
            )
            .expect("plan");
            for today in month.iter_days() {
                let on: Vec<&PlannedLine> = lines
                    .iter()
                    .filter(|l| l.from <= today && today <= l.to)
                    .collect();
                if s.billable_on(today) {
                    assert_eq!(on.len(), 1, "{today}: {s:?} {links:?}");
                    assert_eq!(on[0].payer_id, payer_on(owner, &links, today));
                    assert_eq!(on[0].rate, s.rates[s.rate_on(today)]);
                } else {
                    assert!(on.is_empty(), "{today} is not billable: {s:?}");
                }
            }
            // Price 28.00 over February's 28 days: whole days are whole units, no rounding.
            for l in &lines {
                let per_day = l.rate.price.minor() / 28;
                assert_eq!(l.net.minor(), per_day * l.days());
            }
        }
    }

    #[test]
    fn paid_invoiced_and_ended_days_are_not_billed() {
        let s = ServiceFacts {
            id: 1,
            owner_id: 7,
            start: Some(d("2026-11-15")),
            end: Some(d("2026-12-25")),
            paid_through: Some(d("2026-12-14")),
            invoiced: vec![(d("2026-12-20"), d("2026-12-21"))],
            rates: vec![rate("2026-11-15", 31)],
            ..Default::default()
        };
        assert!(!s.billable_on(d("2026-12-14")));
        assert!(s.billable_on(d("2026-12-15")));
        assert!(!s.billable_on(d("2026-12-20")));
        assert!(s.billable_on(d("2026-12-25")));
        assert!(!s.billable_on(d("2026-12-26")));
        let undated = ServiceFacts {
            ended_undated: true,
            ..s
        };
        assert!(!undated.billable_on(d("2026-12-15")));
    }
}
