//! Rows read by position (`portal_api::db::rows`, the nested pages' reader) are the models
//! SeaORM's derived reader builds from the same rows: every column of every row of every
//! table the nested pages read (and the whole lists read with an order and an invoice), `NULL`s and enums included, on both engines.

use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Statement};

use portal_api::{
    db::rows::{Positional, Positions},
    fixtures::bench::{self, Size},
};

use crate::helpers::TestApp;

/// Every row of `E`'s table read both ways; how many there were.
async fn same_both_ways<E>(app: &TestApp) -> usize
where
    E: EntityTrait,
    E::Model: Positional + PartialEq + std::fmt::Debug,
{
    let db = &app.state.db;
    let table = E::default().table_name().to_string();
    // A column before the table's own, as in the nested pages' statements.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT 1 AS \"first__\", \"{table}\".* FROM \"{table}\" ORDER BY \"id\""),
        ))
        .await
        .expect("rows");
    let Some(first) = rows.first() else {
        return 0;
    };
    let at = Positions::of::<E::Model>(&first.column_names()).expect("positions");
    for row in &rows {
        let derived = E::Model::from_query_result(row, "").expect("derived reader");
        let positional: E::Model = at.read(row).expect("positional reader");
        assert_eq!(positional, derived, "{table}");
    }
    rows.len()
}

#[tokio::test]
async fn rows_read_by_position_are_the_rows_seaorm_reads() {
    let app = TestApp::spawn().await;
    bench::bench(
        &app.state.db,
        Size {
            mains: 1,
            subs_per_main: 12,
            usage_days: 2,
        },
    )
    .await
    .expect("generated");
    // Activity comes from the workflows: a tenant's accounts, links and switches.
    let t = app.tenant("rows").await;
    app.set_management(&t.main, true).await;
    let read = [
        (
            "accounts",
            same_both_ways::<entity::account::Entity>(&app).await,
        ),
        (
            "services",
            same_both_ways::<entity::service::Entity>(&app).await,
        ),
        (
            "documents",
            same_both_ways::<entity::document::Entity>(&app).await,
        ),
        (
            "orders",
            same_both_ways::<entity::order::Entity>(&app).await,
        ),
        (
            "order items",
            same_both_ways::<entity::order_item::Entity>(&app).await,
        ),
        (
            "invoices",
            same_both_ways::<entity::invoice::Entity>(&app).await,
        ),
        (
            "invoice lines",
            same_both_ways::<entity::invoice_line::Entity>(&app).await,
        ),
        (
            "activity",
            same_both_ways::<entity::activity::Entity>(&app).await,
        ),
        (
            "tickets",
            same_both_ways::<entity::ticket::Entity>(&app).await,
        ),
        (
            "ticket messages",
            same_both_ways::<entity::ticket_message::Entity>(&app).await,
        ),
        (
            "voice calls",
            same_both_ways::<entity::voice_call::Entity>(&app).await,
        ),
        (
            "internet sessions",
            same_both_ways::<entity::internet_session::Entity>(&app).await,
        ),
    ];
    for (table, n) in read {
        assert!(n > 0, "no {table} to compare");
    }
}
