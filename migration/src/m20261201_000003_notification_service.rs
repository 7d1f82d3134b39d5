//! A notification can point at a service (e.g. "a service was ordered for you"), so that a
//! sub-account's notifications name only what it can open.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_notification_service"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The same statement on both engines (SQLite takes a REFERENCES clause on a
        // nullable added column).
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE notifications ADD COLUMN service_id BIGINT NULL REFERENCES services (id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .drop_column("service_id")
                    .to_owned(),
            )
            .await
    }
}
