//! A partner's branding: the name its accounts' portal shows, the accent colour it is drawn
//! in and its logo. The name, the colour and the logo's type and digest sit on `partners` (read with the partner, no
//! second statement); the logo's bytes apart in `partner_logos`, read only by the logo's URL.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000011_partner_branding"
    }
}

const COLUMNS: [&str; 4] = ["display_name", "accent_color", "logo_type", "logo_digest"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("partners")
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("partner_logos")
                    .col(big_integer("partner_id").primary_key())
                    .col(blob("bytes"))
                    .foreign_key(&mut fk("partner_logos", "partner_id", "partners"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("partner_logos").to_owned())
            .await?;
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("partners")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
