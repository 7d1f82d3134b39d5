//! `NOTIFY portal_viewer` from every change to what a request's viewer is read from (the
//! account or staff row, the global and the partner portal settings), so each replica's
//! viewer cache (`auth::cache`) drops what changed, whoever wrote it. PostgreSQL only:
//! SQLite has no `NOTIFY`, and there the viewer is read on every request.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_viewer_notify"
    }
}

/// The payload names the subject as tokens write it; `*` means every viewer.
const FUNCTION: &str = r#"
CREATE OR REPLACE FUNCTION portal_viewer_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('portal_viewer', '*');
    ELSIF TG_TABLE_NAME = 'staff_users' THEN
        PERFORM pg_notify('portal_viewer', 'staff:' || OLD.id);
    ELSE
        PERFORM pg_notify('portal_viewer', 'account:' || OLD.id);
    END IF;
    RETURN NULL;
END
$$"#;

/// (trigger, table, events, level)
const TRIGGERS: [(&str, &str, &str, &str); 4] = [
    ("accounts_viewer", "accounts", "UPDATE OR DELETE", "ROW"),
    (
        "staff_users_viewer",
        "staff_users",
        "UPDATE OR DELETE",
        "ROW",
    ),
    (
        "portal_settings_viewer",
        "portal_settings",
        "INSERT OR UPDATE OR DELETE",
        "STATEMENT",
    ),
    (
        "partner_portal_settings_viewer",
        "partner_portal_settings",
        "INSERT OR UPDATE OR DELETE",
        "STATEMENT",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(FUNCTION).await?;
        for (name, table, events, level) in TRIGGERS {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name} AFTER {events} ON {table} \
                 FOR EACH {level} EXECUTE FUNCTION portal_viewer_changed()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (name, table, _, _) in TRIGGERS {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name} ON {table}"))
                .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS portal_viewer_changed()")
            .await?;
        Ok(())
    }
}
