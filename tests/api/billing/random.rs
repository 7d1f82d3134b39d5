use super::*;

/// One random service schedule of the property test, with what the test expects of it.
struct Case {
    service: i64,
    owner: i64,
    start: NaiveDate,
    end: Option<NaiveDate>,
    paid_through: Option<NaiveDate>,
    pauses: Vec<(NaiveDate, Option<NaiveDate>)>,
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, n).expect("december day")
}

#[tokio::test]
async fn random_schedules_bill_every_day_once_to_the_right_payer() {
    let app = TestApp::spawn().await;
    let mut rng = StdRng::seed_from_u64(0x5eed_b111);
    let f31 = tariff(&app, "Fiber 31", "31.00").await;
    let f62 = tariff(&app, "Fiber 62", "62.00").await;
    let mut cases: Vec<Case> = Vec::new();
    // Per sub-account: its links as (main, aggregated, from-day, until-day).
    let mut links: Vec<(i64, i64, bool, NaiveDate, Option<NaiveDate>)> = Vec::new();
    for k in 0..6 {
        let main = app.create_account(&format!("p{k}-main"), json!({})).await;
        let subs = [
            app.create_account(&format!("p{k}-a"), json!({})).await,
            app.create_account(&format!("p{k}-b"), json!({})).await,
        ];
        for sub in &subs {
            // Up to two link periods in or around December, each aggregated or independent.
            let mut from = rng.gen_range(0..=33u32);
            for _ in 0..rng.gen_range(0..=2) {
                let until = from + rng.gen_range(1..=20u32);
                let aggregated = rng.gen_bool(0.7);
                let as_date = |n: u32| {
                    if n == 0 {
                        d("2026-11-20")
                    } else if n > 31 {
                        d("2027-01-05")
                    } else {
                        day(n)
                    }
                };
                let (f, u) = (as_date(from), (until <= 31).then(|| as_date(until)));
                account_link::ActiveModel {
                    sub_account_id: Set(decode_pk(sub)),
                    main_account_id: Set(decode_pk(&main)),
                    kind: Set(if aggregated {
                        entity::enums::SubAccountType::Aggregated
                    } else {
                        entity::enums::SubAccountType::Independent
                    }),
                    // Some time during the day: the day counts from the link on.
                    linked_at: Set(Utc.from_utc_datetime(
                        &f.and_hms_opt(rng.gen_range(0..24), 30, 0).expect("time"),
                    )),
                    unlinked_at: Set(u.map(|u| {
                        Utc.from_utc_datetime(
                            &u.and_hms_opt(rng.gen_range(0..24), 0, 0).expect("time"),
                        )
                    })),
                    ..Default::default()
                }
                .insert(&app.state.db)
                .await
                .expect("link");
                links.push((decode_pk(sub), decode_pk(&main), aggregated, f, u));
                if u.is_none() {
                    break;
                }
                from = until + rng.gen_range(0..=3);
            }
        }
        for owner in [&main, &subs[0], &subs[1]] {
            for _ in 0..rng.gen_range(1..=2) {
                let start = if rng.gen_bool(0.3) {
                    d("2026-10-15")
                } else {
                    day(rng.gen_range(1..=31))
                };
                let tariff = if rng.gen_bool(0.5) { &f31 } else { &f62 };
                let id = place(&app, owner, tariff, start).await;
                let end = rng
                    .gen_bool(0.3)
                    .then(|| day(rng.gen_range(1..=31)))
                    .filter(|e| *e >= start);
                let paid_through = rng
                    .gen_bool(0.3)
                    .then(|| portal_api::domain::order::first_month_paid_through(start))
                    .flatten();
                update_service(&app, id, |s| {
                    s.end_date = Set(end);
                    s.paid_through = Set(paid_through);
                })
                .await;
                let mut pauses = Vec::new();
                if rng.gen_bool(0.5) {
                    let from = rng.gen_range(1..=31);
                    let until = (rng.gen_bool(0.8))
                        .then(|| from + rng.gen_range(1..=10))
                        .filter(|u| *u <= 31)
                        .map(day);
                    pause(&app, id, day(from), until).await;
                    pauses.push((day(from), until));
                }
                if rng.gen_bool(0.4) {
                    // A price change during the month.
                    let t62 = entity::tariff::Entity::find_by_id(decode_pk(&f62))
                        .one(&app.state.db)
                        .await
                        .expect("query")
                        .expect("tariff");
                    let s = service::Entity::find_by_id(id)
                        .one(&app.state.db)
                        .await
                        .expect("query")
                        .expect("service");
                    portal_api::domain::service::record_rate(
                        &app.state.db,
                        &s,
                        &t62,
                        day(rng.gen_range(2..=31)),
                    )
                    .await
                    .expect("rate");
                }
                cases.push(Case {
                    service: id,
                    owner: decode_pk(owner),
                    start,
                    end,
                    paid_through,
                    pauses,
                });
            }
        }
    }

    run(&app, DECEMBER).await;
    assert_eq!(nothing_twice(&app, DECEMBER).await, 0);

    let invoices = invoice::Entity::find()
        .all(&app.state.db)
        .await
        .expect("invoices");
    let payer_of = |invoice_id: i64| {
        invoices
            .iter()
            .find(|i| i.id == invoice_id)
            .map(|i| i.account_id)
            .expect("invoice")
    };
    let lines = invoice_line::Entity::find()
        .all(&app.state.db)
        .await
        .expect("lines");
    let mut billed_days = 0;
    for c in &cases {
        for n in 1..=31 {
            let today = day(n);
            let expected = today >= c.start
                && c.end.is_none_or(|e| today <= e)
                && c.paid_through.is_none_or(|p| today > p)
                && !c
                    .pauses
                    .iter()
                    .any(|(f, u)| *f <= today && u.is_none_or(|u| today < u));
            let payer = links
                .iter()
                .find(|(sub, _, agg, f, u)| {
                    *sub == c.owner && *agg && *f <= today && u.is_none_or(|u| today < u)
                })
                .map_or(c.owner, |l| l.1);
            let covering: Vec<_> = lines
                .iter()
                .filter(|l| {
                    l.service_id == Some(c.service)
                        && l.period_from.is_some_and(|f| f <= today)
                        && l.period_to.is_some_and(|t| today <= t)
                })
                .collect();
            if expected {
                billed_days += 1;
                assert_eq!(covering.len(), 1, "service {} on {today}", c.service);
                assert_eq!(
                    payer_of(covering[0].invoice_id),
                    payer,
                    "payer of {} on {today}",
                    c.service
                );
                assert_eq!(
                    covering[0].sub_account_id,
                    (payer != c.owner).then_some(c.owner),
                    "tag of {} on {today}",
                    c.service
                );
            } else {
                assert!(
                    covering.is_empty(),
                    "service {} on {today} is not billable",
                    c.service
                );
            }
        }
    }
    assert!(
        billed_days > 100,
        "the schedules bill something: {billed_days}"
    );
    for i in &invoices {
        let of = lines.iter().filter(|l| l.invoice_id == i.id);
        let (net, tax, total) = of.fold((0, 0, 0), |(n, t, s), l| {
            assert_eq!(l.net_minor + l.tax_minor, l.total_minor);
            (n + l.net_minor, t + l.tax_minor, s + l.total_minor)
        });
        assert_eq!(
            (net, tax, total),
            (i.subtotal_minor, i.tax_minor, i.total_minor)
        );
    }
}
