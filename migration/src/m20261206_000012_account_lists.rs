//! An account's services, tickets, documents and notifications are paged in id order (a page
//! of each of many accounts at once, under a page of sub-accounts; a viewer's notifications
//! newest first, and those after the last it saw): an index on `(account_id, id)` for each
//! makes a page an index range cut at its limit. The indexes before led with the status,
//! kind or read time, so an unfiltered page read and sorted all of an account's rows,
//! however many years of them it has.

use sea_orm_migration::prelude::*;

use crate::helpers::{drop_index, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000012_account_lists"
    }
}

/// The tables whose rows an account's lists page by id.
const TABLES: [&str; 4] = ["services", "tickets", "documents", "notifications"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .create_index(index(table, "account_id", &["account_id", "id"]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.drop_index(drop_index(table, "account_id")).await?;
        }
        Ok(())
    }
}
