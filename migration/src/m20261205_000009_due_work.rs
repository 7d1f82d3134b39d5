//! Due work is a ledger of periods, not a clock reading: the monthly billing job keeps the
//! first month it has not billed yet (`jobs.period`), so a run that failed or a server that
//! was down across a month's turn bills every month that came due, oldest first, and none
//! early. Usage lists are read by start time (newest first): an index for each.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_index, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000009_due_work"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("jobs")
                    .add_column(date_null("period"))
                    .to_owned(),
            )
            .await?;
        for table in ["internet_sessions", "voice_calls"] {
            manager
                .create_index(index(
                    table,
                    "account_started",
                    &["account_id", "started_at", "id"],
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["internet_sessions", "voice_calls"] {
            manager
                .drop_index(drop_index(table, "account_started"))
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("jobs")
                    .drop_column("period")
                    .to_owned(),
            )
            .await
    }
}
