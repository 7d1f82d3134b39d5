//! The benchmark's data generator: what it writes hangs together, the accounts can log in,
//! and the API keeps working on top of it (ids continue after the generated ones).

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use entity::{account, account_link, service, service_rate};
use portal_api::fixtures::bench::{self, BENCH_PASSWORD, Size};

use crate::helpers::TestApp;

#[tokio::test]
async fn generated_tenants_are_complete_and_usable_through_the_api() {
    let app = TestApp::spawn().await;
    let size = Size {
        mains: 3,
        subs_per_main: 4,
        usage_days: 2,
    };
    let out = bench::bench(&app.state.db, size).await.expect("generated");
    assert_eq!(out.accounts, 15);
    let db = &app.state.db;
    assert_eq!(account::Entity::find().count(db).await.expect("count"), 15);
    let subs = account::Entity::find()
        .filter(account::Column::MainAccountId.is_not_null())
        .all(db)
        .await
        .expect("subs");
    assert_eq!(subs.len(), 12);
    // Every sub-account has its link in the history, of its type.
    for sub in &subs {
        let link = account_link::Entity::find()
            .filter(account_link::Column::SubAccountId.eq(sub.id))
            .one(db)
            .await
            .expect("query")
            .expect("link row");
        assert_eq!(Some(link.main_account_id), sub.main_account_id);
        assert_eq!(Some(link.kind), sub.sub_account_type);
    }
    // 1 to 5 services per account, each with its price history.
    let services = service::Entity::find().all(db).await.expect("services");
    assert_eq!(services.len() as u64, out.services);
    for a in account::Entity::find().all(db).await.expect("accounts") {
        let n = services.iter().filter(|s| s.account_id == a.id).count();
        assert!((1..=5).contains(&n), "{} has {n} services", a.login);
    }
    assert_eq!(
        service_rate::Entity::find().count(db).await.expect("count"),
        out.services
    );

    // The first main account logs in with the shared password and sees its page.
    let login = app
        .ok(
            "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken userErrors { code } } }",
            json!({ "l": "bench-m000001", "p": BENCH_PASSWORD }),
            None,
        )
        .await;
    let token = login["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();
    let page = app
        .ok(
            "{ viewer { account { subAccounts(first: 50) { totalCount nodes { login } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(page["viewer"]["account"]["subAccounts"]["totalCount"], 4);
    assert_eq!(
        page["viewer"]["account"]["subAccounts"]["nodes"][0]["login"]
            .as_str()
            .map(|l| l.starts_with("bench-m000001-s")),
        Some(true)
    );

    // New rows after the generated ones: ids (and PostgreSQL's sequences) continue.
    app.create_account("after-generation", json!({})).await;
    let again = bench::bench(&app.state.db, Size { mains: 1, ..size })
        .await
        .expect("generated again");
    assert_eq!(again.accounts, 5);
    assert!(
        account::Entity::find()
            .filter(account::Column::Login.eq("bench-m000004"))
            .one(db)
            .await
            .expect("query")
            .is_some(),
        "positions continue after the existing main accounts"
    );
}
