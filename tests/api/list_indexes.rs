//! An account's services, tickets, documents and notifications are paged in id order, newest
//! or oldest first (a page of each of many accounts at once under a page of sub-accounts; a
//! viewer's notifications). On both engines such a page is read from an index on
//! `(account_id, id)`: an index range cut at the page's limit, with no sort of all the
//! account's rows.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use portal_api::db::write_txn;

use crate::helpers::TestApp;

#[tokio::test]
async fn an_accounts_page_of_each_list_is_an_index_range_without_a_sort() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    for table in ["services", "tickets", "documents", "notifications"] {
        for order in ["ASC", "DESC"] {
            let page =
                format!("SELECT * FROM {table} WHERE account_id = 1 ORDER BY id {order} LIMIT 11");
            let txn = write_txn(db).await.expect("begin");
            let explain = match backend {
                DatabaseBackend::Postgres => {
                    // A tiny table is read whole or through a bitmap; the plan for a large
                    // one is what counts.
                    for off in ["enable_seqscan", "enable_bitmapscan"] {
                        txn.execute_unprepared(&format!("SET LOCAL {off} = off"))
                            .await
                            .expect("set");
                    }
                    format!("EXPLAIN {page}")
                }
                _ => format!("EXPLAIN QUERY PLAN {page}"),
            };
            let rows = txn
                .query_all_raw(Statement::from_string(backend, explain))
                .await
                .expect("explain");
            let plan: Vec<String> = rows
                .iter()
                .map(|row| match backend {
                    DatabaseBackend::Postgres => row.try_get_by_index(0).expect("plan line"),
                    _ => row.try_get("", "detail").expect("plan line"),
                })
                .collect();
            txn.rollback().await.expect("rollback");
            let plan = plan.join("\n");
            assert!(
                plan.contains(&format!("idx_{table}_account_id")),
                "{table} {order}: {plan}"
            );
            assert!(
                !plan.contains("Sort") && !plan.contains("TEMP B-TREE"),
                "{table} {order} sorts: {plan}"
            );
        }
    }
}
