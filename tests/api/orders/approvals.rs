use super::*;

#[tokio::test]
async fn a_sub_account_asks_its_main_only_when_its_partner_allows_it() {
    let s = shop().await;
    let refused = sub_orders_fiber(&s).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_ALLOWED_BY_SETTINGS");
    assert_eq!(refused["order"], Value::Null);
    let order = sub_asks(&s).await;
    assert_eq!(order["invoice"], Value::Null);
    let main = s.app.ok("{ viewer { unreadNotificationCount notifications { nodes { kind message order { id } } } account { subAccountOrders(status: [AWAITING_MAIN_APPROVAL]) { totalCount } } } }", json!({}), Some(&s.main)).await;
    assert_eq!(main["viewer"]["unreadNotificationCount"], 1);
    assert_eq!(
        main["viewer"]["notifications"]["nodes"][0]["kind"],
        "SUB_ACCOUNT_ORDER_PLACED"
    );
    assert_eq!(
        main["viewer"]["notifications"]["nodes"][0]["order"]["id"],
        order["id"]
    );
    assert_eq!(
        main["viewer"]["account"]["subAccountOrders"]["totalCount"],
        1
    );
    // The sub-account sees its own order.
    let mine = s
        .app
        .ok(
            "{ viewer { account { orders { nodes { id status } } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        mine["viewer"]["account"]["orders"]["nodes"][0]["id"],
        order["id"]
    );
    let read = s
        .app
        .ok(
            "mutation { markNotificationsRead(input: {all: true}) { unreadNotificationCount } }",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(read["markNotificationsRead"]["unreadNotificationCount"], 0);
}

#[tokio::test]
async fn the_main_approves_a_sub_accounts_order_by_paying_it() {
    let s = shop().await;
    let order = sub_asks(&s).await;
    let out = s
        .app
        .ok(
            APPROVE,
            json!({ "o": order["id"], "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await["approveOrder"]
        .clone();
    assert_eq!(out["userErrors"], json!([]));
    assert_eq!(out["order"]["status"], "PAID");
    assert_eq!(out["order"]["invoice"]["kind"], "RECURRING");
    assert_eq!(out["order"]["invoice"]["total"], "23.80");
    let sub = s
        .app
        .ok(
            "{ viewer { notifications { nodes { kind } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        sub["viewer"]["notifications"]["nodes"][0]["kind"],
        "ORDER_PAID"
    );
    let again = s
        .app
        .ok(
            APPROVE,
            json!({ "o": order["id"], "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await["approveOrder"]
        .clone();
    assert_eq!(again["userErrors"], json!([{ "code": "INVALID_STATE" }]));
}

#[tokio::test]
async fn the_main_rejects_a_sub_accounts_order_and_the_sub_account_is_told() {
    let s = shop().await;
    let order = sub_asks(&s).await;
    let out = s
        .app
        .ok(
            REJECT,
            json!({ "o": order["id"], "r": "not this month" }),
            Some(&s.main),
        )
        .await["rejectOrder"]
        .clone();
    assert_eq!(
        out,
        json!({ "order": { "status": "REJECTED_BY_MAIN", "rejectionReason": "not this month" }, "userErrors": [] })
    );
    let sub = s
        .app
        .ok(
            "{ viewer { notifications { nodes { kind message } } } }",
            json!({}),
            Some(&s.sub),
        )
        .await;
    assert_eq!(
        sub["viewer"]["notifications"]["nodes"][0]["kind"],
        "ORDER_REJECTED"
    );
    let approve = s
        .app
        .ok(
            APPROVE,
            json!({ "o": order["id"], "pm": card("tok_ok") }),
            Some(&s.main),
        )
        .await["approveOrder"]
        .clone();
    assert_eq!(approve["userErrors"], json!([{ "code": "INVALID_STATE" }]));
    // The sub-account itself may not approve or reject.
    let (_, body) = s
        .app
        .graphql(REJECT, json!({ "o": order["id"], "r": "x" }), Some(&s.sub))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn eight_concurrent_approvals_pay_once_and_issue_one_invoice() {
    let s = Arc::new(shop().await);
    deposit(&s.app, &s.t.main, "100.00").await;
    let order = sub_asks(&s).await;
    let mut handles = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        let id = order["id"].clone();
        handles.push(tokio::spawn(async move {
            s.app
                .ok(APPROVE, json!({ "o": id, "pm": balance() }), Some(&s.main))
                .await["approveOrder"]
                .clone()
        }));
    }
    let mut paid = 0;
    for h in handles {
        let out = h.await.expect("task");
        if out["userErrors"] == json!([]) {
            paid += 1;
        } else {
            assert_eq!(out["userErrors"], json!([{ "code": "INVALID_STATE" }]));
        }
    }
    assert_eq!(paid, 1);
    assert_eq!(balance_of(&s.app, &s.t.main).await, "76.20");
    let data = s
        .app
        .ok(
            "{ viewer { account { invoices { totalCount } } } }",
            json!({}),
            Some(&s.main),
        )
        .await;
    assert_eq!(data["viewer"]["account"]["invoices"]["totalCount"], 1);
}

/// "Manage orders" pages from the end too (the portal's page numbers find a far page that
/// way): walked backward two at a time it holds the forward list, in the same order.
#[tokio::test]
async fn waiting_orders_page_backward_to_the_same_list_as_forward() {
    let s = shop().await;
    let mut placed = vec![sub_asks(&s).await["id"].clone()];
    for _ in 0..4 {
        placed.push(sub_orders_fiber(&s).await["order"]["id"].clone());
    }
    const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) { viewer { account {
        subAccountOrders(status: [AWAITING_MAIN_APPROVAL], first: $first, after: $after, last: $last, before: $before) {
          totalCount edges { cursor node { id } } pageInfo { hasPreviousPage startCursor } } } } }";
    let forward = s.app.ok(PAGE, json!({ "first": 100 }), Some(&s.main)).await["viewer"]["account"]
        ["subAccountOrders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect::<Vec<_>>();
    // Newest first: the reverse of the order they were placed in.
    placed.reverse();
    assert_eq!(forward, placed);
    let mut backward = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = s
            .app
            .ok(PAGE, json!({ "last": 2, "before": before }), Some(&s.main))
            .await["viewer"]["account"]["subAccountOrders"]
            .clone();
        assert_eq!(page["totalCount"], 5);
        let ids = page["edges"].as_array().expect("edges");
        backward.splice(0..0, ids.iter().map(|e| e["node"]["id"].clone()));
        if page["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backward, forward);
}
