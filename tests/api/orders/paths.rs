use super::*;

#[tokio::test]
async fn a_main_account_orders_for_its_aggregated_sub_account_and_pays_from_its_balance() {
    let s = shop().await;
    deposit(&s.app, &s.t.main, "100.00").await;
    let out = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber, "quantity": 2 }]),
        balance(),
        Value::Null,
    )
    .await;
    assert_eq!(out["userErrors"], json!([]));
    let order = &out["order"];
    assert_eq!(order["status"], "PAID");
    assert_eq!(
        (
            order["subtotal"].as_str(),
            order["tax"].as_str(),
            order["total"].as_str()
        ),
        (Some("40.00"), Some("7.60"), Some("47.60"))
    );
    assert_eq!(order["paymentMethod"], "ACCOUNT_BALANCE");
    assert_eq!(order["account"]["id"], json!(s.t.aggregated));
    assert_eq!(order["placedBy"]["id"], json!(s.t.main));
    assert_eq!(
        order["items"][0]["serviceRequests"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert!(
        order["items"][0]["serviceRequests"]
            .as_array()
            .expect("list")
            .iter()
            .all(|r| r["status"] == "PENDING")
    );
    let invoice = &order["invoice"];
    assert!(
        invoice["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("INV-") && n.ends_with("-000001")),
        "{invoice}"
    );
    assert_eq!(
        (
            invoice["kind"].as_str(),
            invoice["status"].as_str(),
            invoice["total"].as_str()
        ),
        (Some("RECURRING"), Some("PAID"), Some("47.60"))
    );
    assert_eq!(
        invoice["lines"][0]["subAccount"]["id"],
        json!(s.t.aggregated)
    );
    assert_eq!(balance_of(&s.app, &s.t.main).await, "52.40");

    // The PDF opens through the signed link and carries the invoice number.
    let url = invoice["document"]["downloadUrl"].as_str().expect("link");
    let resp = s.app.client.get(s.app.url(url)).send().await.expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline")
    );
    let bytes = resp.bytes().await.expect("body");
    assert!(bytes.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&bytes).contains(invoice["number"].as_str().expect("number")));

    // Manage orders lists it for the main; the sub-account sees no invoice and no main.
    let managed = s.app.ok("{ viewer { account { subAccountOrders { totalCount nodes { number account { id } } } invoices { totalCount } } } }", json!({}), Some(&s.main)).await;
    assert_eq!(
        managed["viewer"]["account"]["subAccountOrders"]["totalCount"],
        1
    );
    assert_eq!(managed["viewer"]["account"]["invoices"]["totalCount"], 1);
    // The sub-account has no billing of its own (its main pays), and the order is the
    // main's.
    let (_, sub_view) = s
        .app
        .graphql(
            "{ viewer { account { invoices { totalCount } orders { totalCount } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        sub_view["data"]["viewer"]["account"],
        json!({ "invoices": null, "orders": { "totalCount": 0 } })
    );
    assert_eq!(sub_view["errors"][0]["extensions"]["action"], "viewBilling");
    let (_, body) = s
        .app
        .graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": order["id"] }),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        first_code(&body),
        "NOT_FOUND",
        "a sub-account does not see what its main placed for it"
    );
}

#[tokio::test]
async fn a_tampered_or_unsigned_download_link_is_refused() {
    let s = shop().await;
    deposit(&s.app, &s.t.main, "100.00").await;
    let out = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.install }]),
        balance(),
        Value::Null,
    )
    .await;
    assert_eq!(out["order"]["invoice"]["kind"], "ONE_TIME");
    let url = out["order"]["invoice"]["document"]["downloadUrl"]
        .as_str()
        .expect("link")
        .to_string();
    let id = url
        .trim_start_matches("/documents/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    // Change the signature's last hex digit (to another digit, whatever it was).
    let last = if url.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &url[..url.len() - 1]);
    for bad in [
        tampered,
        format!("/documents/{id}"),
        url.replace(&format!("/documents/{id}?"), "/documents/999999?"),
    ] {
        let resp = s
            .app
            .client
            .get(s.app.url(&bad))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{bad}");
    }
}

#[tokio::test]
async fn insufficient_balance_and_a_declined_card_charge_nothing() {
    let s = shop().await;
    deposit(&s.app, &s.t.main, "10.00").await;
    let poor = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        balance(),
        Value::Null,
    )
    .await;
    assert_eq!(poor["userErrors"][0]["code"], "INSUFFICIENT_BALANCE");
    assert_eq!(poor["order"]["status"], "PAYMENT_FAILED");
    assert_eq!(poor["order"]["invoice"], Value::Null);
    assert_eq!(poor["order"]["items"][0]["serviceRequests"], json!([]));
    let declined = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_declined"),
        Value::Null,
    )
    .await;
    assert_eq!(declined["userErrors"][0]["code"], "PAYMENT_DECLINED");
    assert_eq!(declined["order"]["status"], "PAYMENT_FAILED");
    let unknown = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_whatever"),
        Value::Null,
    )
    .await;
    assert_eq!(
        unknown["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "paymentMethod"], "message": "unknown payment token" }])
    );
    assert_eq!(unknown["order"], Value::Null);
    assert_eq!(balance_of(&s.app, &s.t.main).await, "10.00");
    let data = s
        .app
        .ok(
            "{ viewer { account { invoices { totalCount } subAccountOrders { totalCount } } } } ",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(data["viewer"]["account"]["invoices"]["totalCount"], 0);
    assert_eq!(
        data["viewer"]["account"]["subAccountOrders"]["totalCount"], 2,
        "failed attempts are kept for history"
    );
    let requests = s
        .app
        .ok(
            "{ serviceRequests { totalCount } }",
            json!({}),
            Some(s.app.admin()),
        )
        .await;
    assert_eq!(requests["serviceRequests"]["totalCount"], 0);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_first_order_and_charges_once() {
    let s = shop().await;
    let first = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_ok"),
        json!("cart-1"),
    )
    .await;
    let again = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        card("tok_ok"),
        json!("cart-1"),
    )
    .await;
    assert_eq!(first["order"]["id"], again["order"]["id"]);
    assert_eq!(again["order"]["status"], "PAID");
    let data = s
        .app
        .ok(
            "{ viewer { account { invoices { totalCount } subAccountOrders { totalCount } } } }",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(
        data["viewer"]["account"],
        json!({ "invoices": { "totalCount": 1 }, "subAccountOrders": { "totalCount": 1 } })
    );
}

#[tokio::test]
async fn ordering_follows_the_permission_table() {
    let s = shop().await;
    let other = s.app.tenant("other").await;
    let items = json!([{ "tariffId": s.fiber }]);
    let (_, body) = s
        .app
        .graphql(
            PLACE,
            json!({ "a": s.t.independent, "items": items, "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await;
    assert_eq!(
        first_code(&body),
        "FORBIDDEN",
        "not for an independent sub-account"
    );
    let (_, body) = s
        .app
        .graphql(
            PLACE,
            json!({ "a": other.aggregated, "items": items, "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND", "another tenant's account");
    s.app.set_management(&s.t.main, false).await;
    let (_, body) = s
        .app
        .graphql(
            PLACE,
            json!({ "a": s.t.aggregated, "items": items, "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN", "management off");
    // Any customer orders for itself and pays itself.
    let own = place(
        &s,
        &s.main,
        &s.t.main,
        items.clone(),
        card("tok_ok"),
        Value::Null,
    )
    .await;
    assert_eq!(own["order"]["status"], "PAID");
    let ind = s.app.token_for(&s.t.independent).await;
    let own = place(
        &s,
        &ind,
        &s.t.independent,
        items,
        card("tok_ok"),
        Value::Null,
    )
    .await;
    assert_eq!(own["order"]["status"], "PAID");
    assert_eq!(own["order"]["invoice"]["total"], "23.80");
}
