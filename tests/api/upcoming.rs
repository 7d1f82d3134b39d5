//! The upcoming invoice: next month's recurring invoice as the billing run would issue it,
//! writing nothing. Over random schedules (services starting and ending mid-month, pauses,
//! price changes, sub-accounts linked and unlinked mid-month), it equals the invoice the run
//! then issues, line by line and to the cent.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

use entity::{account_link, enums::ServiceStatus, service_pause, service_rate};
use portal_api::domain::{self, billing::Month};

use crate::helpers::{TestApp, decode_pk, first_code};

const UPCOMING: &str =
    "query($a: ID) { upcomingInvoice(accountId: $a) { periodStart subtotal tax total
  lines { description service { id } subAccount { id } periodFrom periodTo net tax total }
  subAccountSubtotals { subAccount { id } total } } }";
const ISSUED: &str = "query($a: ID!) { node(id: $a) { ... on Account { invoices(first: 5) { nodes { periodStart subtotal tax total
  lines { description service { id } subAccount { id } periodFrom periodTo net tax total } } } } } }";

fn lines(v: &Value) -> Vec<Value> {
    let mut out = v["lines"].as_array().cloned().unwrap_or_default();
    out.sort_by_key(|l| l.to_string());
    out
}

#[tokio::test]
async fn the_upcoming_invoice_is_what_the_run_then_issues_over_random_schedules() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin());
    let next = Month::containing(Month::containing(domain::today()).next_first());
    let day = |n: i64| next.first + Duration::days(n.clamp(0, next.days() - 1));
    let tariffs = [
        app.create_tariff("Fiber 30", "30.00").await,
        app.create_tariff("Fiber 45", "45.50").await,
    ];
    let mut rng = StdRng::seed_from_u64(0x05ee_d1ce);
    let mut mains = Vec::new();
    for k in 0..4 {
        let main = app
            .create_account(&format!("up{k}-main"), json!({ "status": "ACTIVE" }))
            .await;
        app.set_management(&main, true).await;
        let subs = [
            app.create_account(&format!("up{k}-a"), json!({ "status": "ACTIVE" }))
                .await,
            app.create_account(&format!("up{k}-b"), json!({ "status": "ACTIVE" }))
                .await,
        ];
        // Each sub-account aggregated under the main from a random day, some unlinked later.
        for sub in &subs {
            let from = rng.gen_range(-3..20);
            let until = rng.gen_bool(0.3).then(|| from + rng.gen_range(3..10));
            let at = |n: i64| {
                let date: NaiveDate = next.first + Duration::days(n);
                Utc.from_utc_datetime(&date.and_hms_opt(10, 0, 0).expect("time"))
            };
            // Linked through the API (the account's own columns follow), then its link's
            // days moved to the schedule.
            assert_eq!(app.link(&main, sub, "AGGREGATED").await, json!([]));
            let link = account_link::Entity::find()
                .filter(account_link::Column::SubAccountId.eq(decode_pk(sub)))
                .one(&app.state.db)
                .await
                .expect("query")
                .expect("link");
            let mut link: account_link::ActiveModel = link.into();
            link.linked_at = Set(at(from));
            link.unlinked_at = Set(until.map(at));
            link.update(&app.state.db).await.expect("moved");
        }
        for owner in std::iter::once(&main).chain(subs.iter()) {
            for _ in 0..rng.gen_range(1..=3) {
                let t = &tariffs[rng.gen_range(0..2)];
                let tariff = entity::tariff::Entity::find_by_id(decode_pk(t))
                    .one(&app.state.db)
                    .await
                    .expect("query")
                    .expect("tariff");
                let start = day(rng.gen_range(-40..25));
                let placed = portal_api::fixtures::demo::place_service(
                    &app.state.db,
                    decode_pk(owner),
                    &tariff,
                    ServiceStatus::Active,
                    start,
                )
                .await
                .expect("service");
                if rng.gen_bool(0.3) {
                    let mut s: entity::service::ActiveModel = placed.clone().into();
                    s.end_date = Set(Some(day(rng.gen_range(5..28))));
                    s.update(&app.state.db).await.expect("end");
                }
                if rng.gen_bool(0.4) {
                    let from = rng.gen_range(0..20);
                    service_pause::ActiveModel {
                        service_id: Set(placed.id),
                        paused_on: Set(day(from)),
                        resumed_on: Set(rng.gen_bool(0.7).then(|| day(from + rng.gen_range(1..8)))),
                        created_at: Set(Utc::now()),
                        ..Default::default()
                    }
                    .insert(&app.state.db)
                    .await
                    .expect("pause");
                }
                if rng.gen_bool(0.3) {
                    service_rate::ActiveModel {
                        service_id: Set(placed.id),
                        tariff_id: Set(tariff.id),
                        description: Set(format!("{} (new price)", tariff.name)),
                        price_minor: Set(tariff.price_minor * 2),
                        tax_percent_minor: Set(tariff.tax_percent_minor),
                        valid_from: Set(day(rng.gen_range(1..28))),
                        created_at: Set(Utc::now()),
                        ..Default::default()
                    }
                    .insert(&app.state.db)
                    .await
                    .expect("rate");
                }
            }
        }
        mains.push((main, subs));
    }
    // Every payer's preview, as staff and (for the mains) as the customer itself.
    let mut previews = Vec::new();
    for (main, subs) in &mains {
        for payer in std::iter::once(main).chain(subs.iter()) {
            let preview =
                app.ok(UPCOMING, json!({ "a": payer }), admin).await["upcomingInvoice"].clone();
            previews.push((payer.clone(), preview));
        }
        let token = app.token_for(main).await;
        let own = app.ok(UPCOMING, json!({}), Some(&token)).await["upcomingInvoice"].clone();
        assert_eq!(
            own,
            previews
                .iter()
                .find(|(p, _)| p == main)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            "the customer sees its own preview"
        );
    }
    assert_eq!(
        entity::invoice::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0,
        "a preview writes nothing"
    );
    let run = app
        .ok(
            "mutation($p: Date!) { runBilling(input: {periodStart: $p}) { invoicesIssued userErrors { code } } }",
            json!({ "p": next.first.to_string() }),
            admin,
        )
        .await;
    assert_eq!(run["runBilling"]["userErrors"], json!([]));
    let mut compared = 0;
    for (payer, preview) in previews {
        let issued = app.ok(ISSUED, json!({ "a": payer }), admin).await;
        let invoice = issued["node"]["invoices"]["nodes"]
            .as_array()
            .expect("invoices")
            .iter()
            .find(|i| i["periodStart"] == json!(next.first.to_string()))
            .cloned();
        match invoice {
            None => assert!(
                lines(&preview).is_empty(),
                "{payer}: a preview with lines but no invoice: {preview}"
            ),
            Some(invoice) => {
                assert_eq!(lines(&preview), lines(&invoice), "{payer}: the lines");
                for key in ["subtotal", "tax", "total"] {
                    assert_eq!(preview[key], invoice[key], "{payer}: {key}");
                }
                compared += 1;
                // Once billed, nothing is upcoming for that month.
                let after = app.ok(UPCOMING, json!({ "a": payer }), admin).await;
                assert!(after["upcomingInvoice"].is_null(), "{payer}: {after}");
            }
        }
    }
    assert!(
        compared >= 4,
        "the schedules produced invoices ({compared})"
    );
}

#[tokio::test]
async fn the_upcoming_invoice_follows_the_billing_permission() {
    let app = TestApp::spawn().await;
    let t = app.tenant("prev").await;
    let stranger = app.create_account("prev-stranger", json!({})).await;
    let token = app.token_for(&stranger).await;
    let (_, body) = app
        .graphql(UPCOMING, json!({ "a": t.main }), Some(&token))
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    // A main account sees its aggregated sub-account's lines on its own preview; the
    // independent sub-account's billing is the sub-account's.
    app.set_independent_access(true).await;
    let main = app.token_for(&t.main).await;
    let (_, body) = app
        .graphql(UPCOMING, json!({ "a": t.independent }), Some(&main))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
    let (_, body) = app.graphql(UPCOMING, json!({}), Some(app.admin())).await;
    assert_eq!(
        first_code(&body),
        "BAD_USER_INPUT",
        "staff name the account"
    );
}
