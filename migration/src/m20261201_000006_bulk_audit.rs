//! The audit trail and bulk actions: every activity entry records who acted (kind and id),
//! on behalf of which account, from which client address and user agent; a bulk action's
//! per-item results are kept per (subject, idempotency key) so a retry answers the same.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_index, index, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_bulk_audit"
    }
}

const AUDIT: [&str; 5] = [
    "actor_kind",
    "actor_id",
    "on_behalf_of_id",
    "client_address",
    "user_agent",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in AUDIT {
            let column = match col {
                "actor_id" | "on_behalf_of_id" => big_integer_null(col),
                _ => string_null(col),
            };
            manager
                .alter_table(
                    Table::alter()
                        .table("activity_log")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(index(
                "activity_log",
                "account_action",
                &["account_id", "action", "id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("bulk_requests")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string("subject"))
                    .col(string("idempotency_key"))
                    .col(string("fingerprint"))
                    .col(text_null("results"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "bulk_requests",
                "subject_key",
                &["subject", "idempotency_key"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("bulk_requests").if_exists().to_owned())
            .await?;
        manager
            .drop_index(drop_index("activity_log", "account_action"))
            .await?;
        for col in AUDIT {
            manager
                .alter_table(
                    Table::alter()
                        .table("activity_log")
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
