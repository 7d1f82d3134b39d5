use super::*;

#[tokio::test]
async fn a_worked_month_of_aggregated_billing_is_exact_to_the_cent() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bill").await;
    let (main, sub_a, sub_c) = (&t.main, &t.aggregated, &t.independent);
    let sub_b = app.create_account("bill-b", json!({})).await;
    assert_eq!(app.link(main, &sub_b, "AGGREGATED").await, json!([]));
    for sub in [sub_a, &sub_b, sub_c] {
        move_link(&app, sub, "2026-11-01 10:00", None).await;
    }
    let f30 = tariff(&app, "Fiber 30", "30.00").await;
    let f4999 = tariff(&app, "Fiber 49.99", "49.99").await;
    let f25 = tariff(&app, "Fiber 25", "25.00").await;
    let f20 = tariff(&app, "Fiber 20", "20.00").await;
    let f40 = tariff(&app, "Fiber 40", "40.00").await;
    let f31 = tariff(&app, "Fiber 31", "31.00").await;
    let f10 = tariff(&app, "Fiber 10", "10.00").await;
    let f15 = tariff(&app, "Fiber 15", "15.00").await;

    // Sub-account A: a whole month, and a service starting mid-month.
    let s1 = place(&app, sub_a, &f30, d("2026-10-01")).await;
    let s2 = place(&app, sub_a, &f4999, d("2026-12-10")).await;
    // Sub-account B: a pause from the 5th up to the 15th, a tariff change on the 20th, and a
    // service whose order paid its first month, through 14 December.
    let s3 = place(&app, &sub_b, &f25, d("2026-10-01")).await;
    pause(&app, s3, d("2026-12-05"), Some(d("2026-12-15"))).await;
    let s4 = place(&app, &sub_b, &f20, d("2026-10-01")).await;
    let changed = app
        .ok(
            "mutation($s: ID!, $t: ID!) { changeService(input: {serviceId: $s, tariffId: $t, mode: SELF_CHANGE}) { service { price } userErrors { code } } }",
            json!({ "s": encode_id("Service", s4), "t": f40 }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(changed["changeService"]["service"]["price"], "40.00");
    service_rate::Entity::update_many()
        .col_expr(
            service_rate::Column::ValidFrom,
            Expr::value(d("2026-12-20")),
        )
        .filter(service_rate::Column::ServiceId.eq(s4))
        .filter(service_rate::Column::TariffId.eq(decode_pk(&f40)))
        .exec(&app.state.db)
        .await
        .expect("rate moved");
    let s5 = place(&app, &sub_b, &f31, d("2026-11-15")).await;
    let paid = portal_api::domain::order::first_month_paid_through(d("2026-11-15"));
    assert_eq!(paid, Some(d("2026-12-14")));
    update_service(&app, s5, |s| s.paid_through = Set(paid)).await;
    // The independent sub-account and the main account's own service.
    let s6 = place(&app, sub_c, &f10, d("2026-10-01")).await;
    let s7 = place(&app, main, &f15, d("2026-10-01")).await;

    let out = run(&app, DECEMBER).await;
    assert_eq!(
        out,
        json!({ "invoicesIssued": 2, "invoicesUnpaid": 0, "servicesActivated": 0, "userErrors": [] })
    );

    let m = account_invoices(&app, main).await;
    assert_eq!(m["invoices"]["totalCount"], 1);
    let inv = &m["invoices"]["nodes"][0];
    let (a, b) = (json!(sub_a), json!(sub_b));
    // By hand, 31 days, tax 19% on each line's rounded net:
    assert_eq!(
        line_figures(inv),
        vec![
            // 30.00 × 31/31 = 30.00; tax 5.70
            json!([a, "2026-12-01", "2026-12-31", "30.00", "5.70", "35.70"]),
            // 49.99 × 22/31 = 35.4767 → 35.48; tax 6.7412 → 6.74
            json!([a, "2026-12-10", "2026-12-31", "35.48", "6.74", "42.22"]),
            // 25.00 × 4/31 = 3.2258 → 3.23; tax 0.6137 → 0.61
            json!([b, "2026-12-01", "2026-12-04", "3.23", "0.61", "3.84"]),
            // 25.00 × 17/31 = 13.7097 → 13.71; tax 2.6049 → 2.60
            json!([b, "2026-12-15", "2026-12-31", "13.71", "2.60", "16.31"]),
            // 20.00 × 19/31 = 12.2581 → 12.26; tax 2.3294 → 2.33
            json!([b, "2026-12-01", "2026-12-19", "12.26", "2.33", "14.59"]),
            // 40.00 × 12/31 = 15.4839 → 15.48; tax 2.9412 → 2.94
            json!([b, "2026-12-20", "2026-12-31", "15.48", "2.94", "18.42"]),
            // 31.00 × 17/31 = 17.00; tax 3.23
            json!([b, "2026-12-15", "2026-12-31", "17.00", "3.23", "20.23"]),
            // The main account's own service: not tagged.
            json!([null, "2026-12-01", "2026-12-31", "15.00", "2.85", "17.85"]),
        ]
    );
    assert_eq!(
        (
            &inv["kind"],
            &inv["status"],
            &inv["periodStart"],
            &inv["subtotal"],
            &inv["tax"],
            &inv["total"]
        ),
        (
            &json!("RECURRING"),
            &json!("PAID"),
            &json!(DECEMBER),
            &json!("142.16"),
            &json!("27.00"),
            &json!("169.16")
        )
    );
    let line_ids: Vec<i64> = inv["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| decode_pk(l["service"]["id"].as_str().expect("service")))
        .collect();
    assert_eq!(line_ids, vec![s1, s2, s3, s3, s4, s4, s5, s7]);
    assert_eq!(
        inv["lines"][4]["description"],
        "Fiber 20, 2026-12-01 to 2026-12-19 (19 of 31 days)"
    );
    assert_eq!(inv["lines"][5]["unitPrice"], "40.00");
    // Charged to the main account's balance through the ledger.
    assert_eq!(m["balance"], "-169.16");

    // The PDF has a subtotal per sub-account: A 35.70 + 42.22; B the other five lines.
    let doc = decode_pk(inv["document"]["id"].as_str().expect("document"));
    let pdf = document_content::Entity::find_by_id(doc)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("pdf");
    let text = String::from_utf8_lossy(&pdf.bytes);
    assert!(text.contains("Subtotals per sub-account"));
    assert!(
        text.contains("(Name of bill-agg) Tj") && text.contains("(77.92) Tj"),
        "A's subtotal"
    );
    assert!(
        text.contains("(Name of bill-b) Tj") && text.contains("(73.39) Tj"),
        "B's subtotal"
    );
    assert!(
        text.contains("(169.16 USD) Tj") || text.contains("169.16"),
        "total"
    );

    // The independent sub-account is billed on its own invoice, never on the main's.
    let c = account_invoices(&app, sub_c).await;
    assert_eq!(
        line_figures(&c["invoices"]["nodes"][0]),
        vec![json!([
            null,
            "2026-12-01",
            "2026-12-31",
            "10.00",
            "1.90",
            "11.90"
        ])]
    );
    assert_eq!(c["balance"], "-11.90");
    assert!(!line_ids.contains(&s6));
    // Aggregated sub-accounts get no invoice of their own.
    for sub in [sub_a, &sub_b] {
        assert_eq!(
            account_invoices(&app, sub).await["invoices"]["totalCount"],
            0
        );
    }
    // The main account sees its invoice, with the tags, in its own portal.
    let token = app.token_for(main).await;
    let own = app
        .ok(
            "{ viewer { account { invoices(first: 5) { nodes { total lines { subAccount { id } } } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        own["viewer"]["account"]["invoices"]["nodes"][0]["total"],
        "169.16"
    );
    assert_eq!(
        own["viewer"]["account"]["invoices"]["nodes"][0]["lines"][0]["subAccount"]["id"],
        json!(sub_a)
    );

    // Running the month again issues nothing and charges nothing.
    let again = run(&app, DECEMBER).await;
    assert_eq!(again["invoicesIssued"], 0);
    assert_eq!(account_invoices(&app, main).await["balance"], "-169.16");
    assert_eq!(
        invoice::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        2
    );
}

#[tokio::test]
async fn linking_and_unlinking_mid_month_bills_each_side_its_days() {
    let app = TestApp::spawn().await;
    let main = app.create_account("mid-main", json!({})).await;
    let sub = app.create_account("mid-sub", json!({})).await;
    let f31 = tariff(&app, "Fiber 31", "31.00").await;
    place(&app, &sub, &f31, d("2026-10-01")).await;
    assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));
    let unlinked = app
        .ok(
            "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { userErrors { code } } }",
            json!({ "s": sub }),
            Some(app.admin()),
        )
        .await;
    assert_eq!(unlinked["unlinkSubAccount"]["userErrors"], json!([]));
    // Linked on 11 December in the morning, unlinked on the 21st in the afternoon.
    move_link(&app, &sub, "2026-12-11 09:00", Some("2026-12-21 15:00")).await;

    assert_eq!(run(&app, DECEMBER).await["invoicesIssued"], 2);
    // The main pays the 10 linked days, tagged; the sub-account the 10 + 11 others.
    let m = account_invoices(&app, &main).await;
    assert_eq!(
        line_figures(&m["invoices"]["nodes"][0]),
        vec![json!([
            sub,
            "2026-12-11",
            "2026-12-20",
            "10.00",
            "1.90",
            "11.90"
        ])]
    );
    let s = account_invoices(&app, &sub).await;
    assert_eq!(
        line_figures(&s["invoices"]["nodes"][0]),
        vec![
            json!([null, "2026-12-01", "2026-12-10", "10.00", "1.90", "11.90"]),
            json!([null, "2026-12-21", "2026-12-31", "11.00", "2.09", "13.09"]),
        ]
    );
    // Together exactly one month: 31.00 + 5.89 tax.
    assert_eq!(
        (&m["balance"], &s["balance"]),
        (&json!("-11.90"), &json!("-24.99"))
    );
}

#[tokio::test]
async fn a_prepaid_balance_never_goes_below_zero() {
    let app = TestApp::spawn().await;
    let f10 = tariff(&app, "Fiber 10", "10.00").await;
    let short = app
        .create_account("short", json!({ "billingMode": "PREPAID" }))
        .await;
    let enough = app
        .create_account("enough", json!({ "billingMode": "PREPAID" }))
        .await;
    for (who, amount) in [(&short, "5.00"), (&enough, "20.00")] {
        app.ok(
            "mutation($a: ID!, $m: Decimal!) { adjustBalance(input: {accountId: $a, amount: $m, reason: \"top-up\"}) { userErrors { code } } }",
            json!({ "a": who, "m": amount }),
            Some(app.admin()),
        )
        .await;
        place(&app, who, &f10, d("2026-10-01")).await;
    }
    let out = run(&app, DECEMBER).await;
    assert_eq!(
        (&out["invoicesIssued"], &out["invoicesUnpaid"]),
        (&json!(2), &json!(1))
    );
    let s = account_invoices(&app, &short).await;
    assert_eq!(
        (
            &s["balance"],
            &s["invoices"]["nodes"][0]["status"],
            &s["invoices"]["nodes"][0]["total"]
        ),
        (&json!("5.00"), &json!("UNPAID"), &json!("11.90"))
    );
    let e = account_invoices(&app, &enough).await;
    assert_eq!(
        (&e["balance"], &e["invoices"]["nodes"][0]["status"]),
        (&json!("8.10"), &json!("PAID"))
    );
    // The account holder is told.
    let token = app.token_for(&short).await;
    let note = app
        .ok(
            "{ viewer { notifications(first: 5) { nodes { kind message } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let first = &note["viewer"]["notifications"]["nodes"][0];
    assert_eq!(first["kind"], "INVOICE_ISSUED");
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.contains("unpaid")),
        "{first}"
    );
}
