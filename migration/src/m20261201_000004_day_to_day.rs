//! Running the portal day to day: the scheduler's jobs (one row per job: its lease, last and
//! next run), failed logins shared by every replica, disable periods beside pauses, ticket
//! assignment, and a forced password change.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_day_to_day"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("jobs")
                    .if_not_exists()
                    .col(string("name").primary_key())
                    .col(timestamp_with_time_zone("next_run_at"))
                    .col(string_null("lease_owner"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(timestamp_with_time_zone_null("last_run_at"))
                    .col(string_null("last_outcome"))
                    .col(text_null("last_error"))
                    .col(big_integer("runs").default(0))
                    .col(big_integer("failures").default(0))
                    .col(integer("attempts").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_failures")
                    .if_not_exists()
                    .col(string("key").primary_key())
                    .col(integer("failures"))
                    .col(timestamp_with_time_zone("window_started_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "login_failures",
                "window_started_at",
                &["window_started_at"],
            ))
            .await?;
        // The same statements on both engines (SQLite takes a REFERENCES clause and a
        // default on an added column).
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE service_pauses ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'PAUSE'",
        )
        .await?;
        db.execute_unprepared(
            "ALTER TABLE tickets ADD COLUMN assignee_id BIGINT NULL REFERENCES staff_users (id)",
        )
        .await?;
        db.execute_unprepared(
            "ALTER TABLE accounts ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE",
        )
        .await?;
        manager
            .create_index(index(
                "tickets",
                "status_updated",
                &["status", "updated_at"],
            ))
            .await?;
        manager
            .create_index(index("tickets", "assignee", &["assignee_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in [
            ("service_pauses", "kind"),
            ("tickets", "assignee_id"),
            ("accounts", "must_change_password"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        for table in ["login_failures", "jobs"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
