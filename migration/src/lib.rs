//! SeaORM migrations of portal-api. They never import the `entity` crate: a migration is a
//! frozen picture of the schema at one point in time.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261127_000001_create_schema;
mod m20261127_000002_billing_history;
mod m20261201_000003_notification_service;
mod m20261201_000004_day_to_day;
mod m20261201_000005_controls;
mod m20261201_000006_bulk_audit;
mod m20261201_000007_viewer_notify;
mod m20261205_000008_derived_records;
mod m20261205_000009_due_work;
mod m20261205_000010_account_totals;
mod m20261205_000011_partner_branding;
mod m20261206_000012_account_lists;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_schema::Migration),
            Box::new(m20261127_000002_billing_history::Migration),
            Box::new(m20261201_000003_notification_service::Migration),
            Box::new(m20261201_000004_day_to_day::Migration),
            Box::new(m20261201_000005_controls::Migration),
            Box::new(m20261201_000006_bulk_audit::Migration),
            Box::new(m20261201_000007_viewer_notify::Migration),
            Box::new(m20261205_000008_derived_records::Migration),
            Box::new(m20261205_000009_due_work::Migration),
            Box::new(m20261205_000010_account_totals::Migration),
            Box::new(m20261205_000011_partner_branding::Migration),
            Box::new(m20261206_000012_account_lists::Migration),
        ]
    }
}
