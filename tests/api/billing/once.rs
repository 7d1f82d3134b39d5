use super::*;

/// A main with an aggregated sub-account, an independent sub-account and a standalone
/// customer, one 31.00 service each, linked since before December: three payers.
async fn three_payers(app: &TestApp) -> Vec<String> {
    let t = app.tenant("x").await;
    let solo = app.create_account("x-solo", json!({})).await;
    let f31 = tariff(app, "Fiber 31", "31.00").await;
    for sub in [&t.aggregated, &t.independent] {
        move_link(app, sub, "2026-11-01 00:00", None).await;
    }
    for who in [&t.main, &t.aggregated, &t.independent, &solo] {
        place(app, who, &f31, d("2026-10-01")).await;
    }
    vec![t.main, t.independent, solo]
}

/// Every service's December days are on exactly one invoice line, and each payer has one
/// invoice whose total is the sum of its lines.
async fn assert_billed_once(app: &TestApp, payers: &[String]) {
    let invoices = invoice::Entity::find()
        .all(&app.state.db)
        .await
        .expect("invoices");
    let mut owners: Vec<i64> = invoices.iter().map(|i| i.account_id).collect();
    owners.sort();
    let mut expected: Vec<i64> = payers.iter().map(|p| decode_pk(p)).collect();
    expected.sort();
    assert_eq!(owners, expected, "one invoice per payer");
    let lines = invoice_line::Entity::find()
        .all(&app.state.db)
        .await
        .expect("lines");
    let services = service::Entity::find()
        .all(&app.state.db)
        .await
        .expect("services");
    for s in &services {
        let of: Vec<_> = lines
            .iter()
            .filter(|l| l.service_id == Some(s.id))
            .collect();
        assert_eq!(of.len(), 1, "service {} billed once", s.id);
        assert_eq!(
            (of[0].period_from, of[0].period_to),
            (Some(d("2026-12-01")), Some(d("2026-12-31")))
        );
    }
    for i in &invoices {
        let sum: i64 = lines
            .iter()
            .filter(|l| l.invoice_id == i.id)
            .map(|l| l.total_minor)
            .sum();
        assert_eq!(sum, i.total_minor, "total = sum of lines");
    }
    // One ledger entry per invoice.
    assert_eq!(
        entity::balance_entry::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        payers.len() as u64
    );
}

#[tokio::test]
async fn an_interrupted_run_completes_cleanly_on_the_next_run() {
    let app = TestApp::spawn().await;
    let payers = three_payers(&app).await;
    let month = billing::Month::parse("2026-12").expect("month");
    let admin = portal_api::auth::Viewer::Admin(portal_api::auth::StaffViewer {
        id: 1,
        full_name: "Test".into(),
    });
    // A run that died inside a payer's transaction leaves nothing behind...
    {
        let txn = portal_api::db::write_txn(&app.state.db).await.expect("txn");
        let payer = entity::account::Entity::find_by_id(decode_pk(&payers[0]))
            .one(&txn)
            .await
            .expect("query")
            .expect("payer");
        portal_api::domain::invoice::issue(
            &txn,
            &payer,
            entity::enums::InvoiceKind::Recurring,
            entity::enums::InvoiceStatus::Paid,
            &[],
            None,
            Some(month.first),
        )
        .await
        .expect("issued inside the transaction");
        // Dropped without commit: the process died here.
    }
    assert_eq!(
        invoice::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
    // ...and one that died after its first payer leaves that payer's invoice whole.
    // Candidates: the three payers; not the sub-account aggregated under its main all
    // month (its main's invoice bills it).
    let todo = billing::payers(&app.state.db, &month)
        .await
        .expect("payers");
    assert_eq!(todo.len(), 3);
    let first = billing::bill_payer(&app.state.db, &admin, &month, todo[0])
        .await
        .expect("billed")
        .expect("an invoice");
    assert_eq!(
        billing::payers(&app.state.db, &month)
            .await
            .expect("payers")
            .len(),
        2,
        "the next run starts with the payers left"
    );

    let out = run(&app, DECEMBER).await;
    assert_eq!(out["invoicesIssued"], 2);
    assert_eq!(run(&app, DECEMBER).await["invoicesIssued"], 0);
    assert_billed_once(&app, &payers).await;
    // Numbers stay gapless: the rolled-back number was given back.
    let mut numbers: Vec<String> = invoice::Entity::find()
        .all(&app.state.db)
        .await
        .expect("invoices")
        .into_iter()
        .map(|i| i.number)
        .collect();
    numbers.sort();
    // All three payers belong to the default partner: one series, `INV-{year}-P{id}-…`.
    let (year, series) = (
        &first.number[4..8],
        first.number.trim_end_matches(|c: char| c.is_ascii_digit()),
    );
    assert!(
        series.starts_with(&format!("INV-{year}-P")) && series.ends_with('-'),
        "{series}"
    );
    assert_eq!(
        numbers,
        (1..=3)
            .map(|n| format!("{series}{n:06}"))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn concurrent_runs_bill_once() {
    let app = TestApp::spawn().await;
    let payers = three_payers(&app).await;
    let (a, b, c, d) = tokio::join!(
        run(&app, DECEMBER),
        run(&app, DECEMBER),
        run(&app, DECEMBER),
        run(&app, DECEMBER)
    );
    let outs = [a, b, c, d];
    let issued: i64 = outs
        .iter()
        .map(|o| o["invoicesIssued"].as_i64().expect("count"))
        .sum();
    assert_eq!(issued, 3, "{outs:?}");
    assert_billed_once(&app, &payers).await;
}

#[tokio::test]
async fn runs_refuse_bad_months_and_customers_and_activate_started_services() {
    let app = TestApp::spawn().await;
    let who = app.create_account("bad-month", json!({})).await;
    for (month, why) in [
        ("2026-12-15", "not the 1st"),
        ("2999-01-01", "too far ahead"),
    ] {
        let out = run(&app, month).await;
        assert_eq!(
            out["userErrors"],
            json!([{ "code": "INVALID_INPUT", "field": ["input", "periodStart"] }]),
            "{why}"
        );
    }
    for outside in ["-4800-01-01", "+12026-01-01"] {
        let (_, body) = app
            .graphql(RUN, json!({ "p": outside }), Some(app.admin()))
            .await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{outside}: {body}");
    }
    let token = app.token_for(&who).await;
    let (_, body) = app
        .graphql(RUN, json!({ "p": DECEMBER }), Some(&token))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");

    // A service approved for a start date that has come turns ACTIVE on the next run.
    let f10 = tariff(&app, "Fiber 10", "10.00").await;
    let pending = app.add_service(&who, &f10, ServiceStatus::Pending).await;
    let yesterday = Utc::now().date_naive().pred_opt().expect("date");
    update_service(&app, pending, |s| s.start_date = Set(Some(yesterday))).await;
    let this_month = format!("{}", yesterday.format("%Y-%m-01"));
    let out = run(&app, &this_month).await;
    assert_eq!(out["servicesActivated"], 1);
    let status = service::Entity::find_by_id(pending)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("service")
        .status;
    assert_eq!(status, ServiceStatus::Active);
    assert_eq!(nothing_twice(&app, &this_month).await, 0);
}
