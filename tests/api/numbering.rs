//! Invoice numbers: each partner (the branch or reseller that issues the invoice) has its
//! own gapless series per year, `INV-{year}-P{partner}-{n:06}`, so the payers of different
//! partners are billed at once; two billing runs at once still bill each payer once and
//! leave every series without a gap.

use chrono::NaiveDate;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::{TestApp, decode_pk};

const RUN: &str = "mutation { runBilling(input: {periodStart: \"2026-12-01\"}) { invoicesIssued userErrors { code } } }";

#[tokio::test]
async fn each_partner_numbers_its_invoices_without_gaps_under_two_runs_at_once() {
    let app = TestApp::spawn().await;
    let reseller = app.create_partner("Reseller").await;
    let tariff_id = app.create_tariff("Fiber 40", "40.00").await;
    let tariff = entity::tariff::Entity::find_by_id(decode_pk(&tariff_id))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("tariff");
    let october = NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
    for i in 0..8 {
        let extra = if i % 2 == 0 {
            json!({ "status": "ACTIVE" })
        } else {
            json!({ "status": "ACTIVE", "partnerId": reseller })
        };
        let account = app.create_account(&format!("payer-{i}"), extra).await;
        portal_api::fixtures::demo::place_service(
            &app.state.db,
            decode_pk(&account),
            &tariff,
            entity::enums::ServiceStatus::Active,
            october,
        )
        .await
        .expect("service placed");
    }
    let (a, b) = tokio::join!(
        app.ok(RUN, json!({}), Some(app.admin())),
        app.ok(RUN, json!({}), Some(app.admin()))
    );
    let issued = [a, b]
        .iter()
        .map(|r| r["runBilling"]["invoicesIssued"].as_i64().expect("count"))
        .sum::<i64>();
    assert_eq!(issued, 8, "each payer billed by one of the runs");
    let invoices = entity::invoice::Entity::find()
        .all(&app.state.db)
        .await
        .expect("invoices");
    let accounts = entity::account::Entity::find()
        .all(&app.state.db)
        .await
        .expect("accounts");
    let mut payers: Vec<i64> = invoices.iter().map(|i| i.account_id).collect();
    payers.sort();
    payers.dedup();
    assert_eq!(payers.len(), 8, "one invoice per payer");
    let year = &invoices[0].number[4..8];
    let mut partners: Vec<i64> = accounts
        .iter()
        .filter(|a| payers.contains(&a.id))
        .map(|a| a.partner_id)
        .collect();
    partners.sort();
    partners.dedup();
    assert_eq!(partners.len(), 2);
    assert!(partners.contains(&decode_pk(&reseller)));
    for partner in partners {
        let mut numbers: Vec<String> = invoices
            .iter()
            .filter(|i| {
                accounts
                    .iter()
                    .any(|a| a.id == i.account_id && a.partner_id == partner)
            })
            .map(|i| i.number.clone())
            .collect();
        numbers.sort();
        let expected: Vec<String> = (1..=4)
            .map(|n| format!("INV-{year}-P{partner}-{n:06}"))
            .collect();
        assert_eq!(numbers, expected, "partner {partner}'s series");
    }
}
