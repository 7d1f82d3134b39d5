//! What a main account controls over its sub-accounts: a monthly spending cap and an
//! auto-approval threshold per sub-account, approvals that expire (the partner's number of
//! days; the order's deadline and reminder), balance transfers (each once per idempotency
//! key).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_controls"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "ALTER TABLE accounts ADD COLUMN spending_cap_minor BIGINT NULL",
            "ALTER TABLE accounts ADD COLUMN auto_approve_minor BIGINT NULL",
            "ALTER TABLE partner_portal_settings ADD COLUMN approval_expiry_days INTEGER NOT NULL DEFAULT 7",
        ] {
            db.execute_unprepared(statement).await?;
        }
        for col in ["expires_at", "reminded_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("orders")
                        .add_column(timestamp_with_time_zone_null(col))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(index("orders", "status_expires", &["status", "expires_at"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("balance_transfers")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("from_account_id"))
                    .col(big_integer("to_account_id"))
                    .col(big_integer("amount_minor"))
                    .col(string("idempotency_key"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("balance_transfers", "from_account_id", "accounts"))
                    .foreign_key(&mut fk("balance_transfers", "to_account_id", "accounts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "balance_transfers",
                "from_key",
                &["from_account_id", "idempotency_key"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table("balance_transfers")
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        for (table, col) in [
            ("accounts", "spending_cap_minor"),
            ("accounts", "auto_approve_minor"),
            ("orders", "expires_at"),
            ("orders", "reminded_at"),
            ("partner_portal_settings", "approval_expiry_days"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
