//! What recurring billing needs to know about the past: the price of a service on each day
//! (`service_rates`, one row per tariff change) and which main account an account was linked
//! to on each day (`account_links`, one row per link). Existing rows are carried over.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000002_billing_history"
    }
}

/// Carries the current price of every service and every current link over. Plain SQL that
/// both engines read the same way.
const BACKFILL: &[&str] = &[
    "INSERT INTO service_rates (service_id, tariff_id, description, price_minor, tax_percent_minor, valid_from, created_at)
     SELECT s.id, s.tariff_id, s.description, s.price_minor, t.tax_percent_minor,
            COALESCE(s.start_date, '1970-01-01'), s.created_at
     FROM services s JOIN tariffs t ON t.id = s.tariff_id",
    "INSERT INTO account_links (sub_account_id, main_account_id, kind, linked_at, unlinked_at)
     SELECT id, main_account_id, sub_account_type, COALESCE(linked_at, created_at), NULL
     FROM accounts WHERE main_account_id IS NOT NULL AND sub_account_type IS NOT NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = |name: &'static str| Table::create().table(name).if_not_exists().to_owned();
        manager
            .create_table(
                t("service_rates")
                    .col(big_pk_auto("id"))
                    .col(big_integer("service_id"))
                    .col(big_integer("tariff_id"))
                    .col(string("description"))
                    .col(big_integer("price_minor"))
                    .col(big_integer("tax_percent_minor"))
                    .col(date("valid_from"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("service_rates", "service_id", "services"))
                    .foreign_key(&mut fk("service_rates", "tariff_id", "tariffs"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                t("account_links")
                    .col(big_pk_auto("id"))
                    .col(big_integer("sub_account_id"))
                    .col(big_integer("main_account_id"))
                    .col(string("kind"))
                    .col(timestamp_with_time_zone("linked_at"))
                    .col(timestamp_with_time_zone_null("unlinked_at"))
                    .foreign_key(&mut fk("account_links", "sub_account_id", "accounts"))
                    .foreign_key(&mut fk("account_links", "main_account_id", "accounts"))
                    .to_owned(),
            )
            .await?;
        for stmt in [
            index("service_rates", "service", &["service_id", "valid_from"]),
            index("account_links", "sub", &["sub_account_id", "linked_at"]),
            index("account_links", "main", &["main_account_id", "linked_at"]),
        ] {
            manager.create_index(stmt).await?;
        }
        let db = manager.get_connection();
        for sql in BACKFILL {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["account_links", "service_rates"] {
            manager
                .drop_table(Table::drop().table(name).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
