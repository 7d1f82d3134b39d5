use super::*;

const REQUESTS: &str = "{ serviceRequests(status: PENDING) { totalCount nodes { id account { id } tariff { name } order { id } } } }";

#[tokio::test]
async fn an_admin_approves_with_a_start_date_or_rejects_with_a_refund() {
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
    let order_id = out["order"]["id"].clone();
    let pending =
        s.app.ok(REQUESTS, json!({}), Some(s.app.admin())).await["serviceRequests"].clone();
    assert_eq!(pending["totalCount"], 2);
    let (first, second) = (
        pending["nodes"][0]["id"].clone(),
        pending["nodes"][1]["id"].clone(),
    );

    let approve = "mutation($r: ID!, $d: Date!) { approveServiceRequest(input: {serviceRequestId: $r, startDate: $d}) { serviceRequest { status startDate service { status startDate paidThrough price } } userErrors { code } } }";
    let (_, body) = s
        .app
        .graphql(
            approve,
            json!({ "r": first, "d": "2026-12-01" }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN", "only admins approve");
    let done = s
        .app
        .ok(
            approve,
            json!({ "r": first, "d": "2099-12-01" }),
            Some(s.app.admin()),
        )
        .await["approveServiceRequest"]
        .clone();
    assert_eq!(done["serviceRequest"]["status"], "APPROVED");
    assert_eq!(
        done["serviceRequest"]["service"],
        json!({ "status": "PENDING", "startDate": "2099-12-01", "paidThrough": "2099-12-31", "price": "20.00" })
    );
    let twice = s
        .app
        .ok(
            approve,
            json!({ "r": first, "d": "2099-12-01" }),
            Some(s.app.admin()),
        )
        .await["approveServiceRequest"]
        .clone();
    assert_eq!(twice["userErrors"], json!([{ "code": "INVALID_STATE" }]));

    let reject = "mutation($r: ID!) { rejectServiceRequest(input: {serviceRequestId: $r, reason: \"no line at the address\"}) { serviceRequest { status rejectionReason } userErrors { code } } }";
    let rejected = s
        .app
        .ok(reject, json!({ "r": second }), Some(s.app.admin()))
        .await["rejectServiceRequest"]
        .clone();
    assert_eq!(
        rejected["serviceRequest"],
        json!({ "status": "REJECTED", "rejectionReason": "no line at the address" })
    );
    // 100.00 - 47.60 + 23.80 refunded.
    assert_eq!(balance_of(&s.app, &s.t.main).await, "76.20");
    let order = s
        .app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Order { status } } }",
            json!({ "id": order_id }),
            Some(&s.main),
        )
        .await;
    assert_eq!(order["node"]["status"], "APPROVED");
    let sub = s.app.ok("{ viewer { notifications { nodes { kind } } account { services { nodes { status } } } } }", json!({}), Some(&s.sub)).await;
    let kinds: Vec<&str> = sub["viewer"]["notifications"]["nodes"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"SERVICE_REQUEST_APPROVED") && kinds.contains(&"SERVICE_REQUEST_REJECTED"),
        "{kinds:?}"
    );
    let today = chrono::Utc::now().date_naive().to_string();
    let third = place(
        &s,
        &s.main,
        &s.t.aggregated,
        json!([{ "tariffId": s.fiber }]),
        balance(),
        Value::Null,
    )
    .await;
    let req = third["order"]["items"][0]["serviceRequests"][0]["id"].clone();
    let now = s
        .app
        .ok(
            approve,
            json!({ "r": req, "d": today }),
            Some(s.app.admin()),
        )
        .await["approveServiceRequest"]
        .clone();
    assert_eq!(now["serviceRequest"]["service"]["status"], "ACTIVE");
}

#[tokio::test]
async fn another_tenants_order_is_not_found() {
    let s = shop().await;
    let order = sub_asks(&s).await;
    let other = s.app.tenant("other").await;
    let token = s.app.token_for(&other.main).await;
    for q in [
        "query($o: ID!) { node(id: $o) { id } }",
        "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { id } } }",
        "mutation($o: ID!) { rejectOrder(input: {orderId: $o, reason: \"x\"}) { order { id } } }",
    ] {
        let (_, body) = s
            .app
            .graphql(q, json!({ "o": order["id"] }), Some(&token))
            .await;
        assert_eq!(first_code(&body), "NOT_FOUND", "{q}");
    }
}
