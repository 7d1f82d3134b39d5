//! No N+1: the portal's sub-accounts page executes the same number of SQL statements for
//! 5 rows as for 50 (services with tariffs, tickets, activity), and at most 10, read from
//! the app's statement counter.

use serde_json::json;

use crate::helpers::TestApp;

const PAGE: &str = "query($n: Int!) { viewer { account { subAccounts(first: $n) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id fullName status address { street city zipCode country } activeServicesCount billingMode totalServiceCost subAccountType linkedAt
    capabilities { viewDetails order pauseServices changeServices viewInternetUsage viewVoiceUsage viewDocuments manageTickets manageOrders }
    services(first: 10) { totalCount nodes { id status price tariff { id name price } pendingChange { id } } }
    tickets(first: 5) { totalCount nodes { id subject status } }
    activity(first: 5) { nodes { id action at } } } } } } }";

#[tokio::test]
async fn the_sub_accounts_page_costs_the_same_statements_for_5_and_50_rows() {
    let app = TestApp::spawn().await;
    let main = app.create_account("main", json!({})).await;
    app.set_management(&main, true).await;
    let tariffs = [
        app.create_tariff("A", "10.00").await,
        app.create_tariff("B", "20.00").await,
    ];
    for i in 0..50 {
        let sub = app
            .create_account(&format!("sub{i:02}"), json!({ "status": "ACTIVE" }))
            .await;
        app.link(
            &main,
            &sub,
            if i % 3 == 0 {
                "INDEPENDENT"
            } else {
                "AGGREGATED"
            },
        )
        .await;
        if i % 2 == 0 {
            let opened = app
                .ok(
                    "mutation($a: ID!) { createTicket(input: {accountId: $a, subject: \"Slow line\", message: \"Evenings\"}) { userErrors { code } } }",
                    json!({ "a": sub }),
                    Some(app.admin()),
                )
                .await;
            assert_eq!(opened["createTicket"]["userErrors"], json!([]));
        }
        for j in 0..(i % 3 + 1) {
            app.add_service(&sub, &tariffs[j % 2], entity::enums::ServiceStatus::Active)
                .await;
        }
    }
    app.set_independent_access(true).await;
    let token = app.token_for(&main).await;
    // Warm the process-wide caches (tariffs never change, so they are read once per process).
    app.ok(PAGE, json!({ "n": 50 }), Some(&token)).await;
    let mut counts = Vec::new();
    for n in [5, 50] {
        let before = app.statements();
        let data = app.ok(PAGE, json!({ "n": n }), Some(&token)).await;
        counts.push(app.statements() - before);
        let nodes = data["viewer"]["account"]["subAccounts"]["nodes"]
            .as_array()
            .expect("nodes")
            .clone();
        assert_eq!(nodes.len(), n as usize);
        assert!(nodes.iter().all(|row| {
            row["services"]["nodes"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
        }));
        let with_tickets = nodes
            .iter()
            .filter(|row| row["tickets"]["totalCount"] == 1)
            .count();
        assert_eq!(
            with_tickets,
            (n as usize).div_ceil(2),
            "every other row has a ticket"
        );
        assert!(nodes.iter().all(|row| {
            row["activity"]["nodes"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        }));
    }
    assert_eq!(
        counts[0], counts[1],
        "statements grew with the page size: {counts:?}"
    );
    assert!(counts[1] <= 10, "too many statements: {counts:?}");
}
