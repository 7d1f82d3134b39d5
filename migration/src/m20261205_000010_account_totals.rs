//! Maintained totals: each account's active-services count and monthly cost in a row of its
//! own (`account_totals`), moved by triggers on `services` inside the transaction of every
//! change (so no write path can forget them), read by the lists instead of aggregating the
//! services per request, and indexed for sorting by cost. Apart from `accounts`, so that
//! the viewer cache's notification (a trigger on `accounts`) does not fire on them.
//! PostgreSQL moves them per statement (transition tables: a bulk insert is one update per
//! account); SQLite per row.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

use crate::helpers::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000010_account_totals"
    }
}

/// What an active service adds to its account's cost (`domain::service` holds the same
/// rule for the reconciliation: monthly prices only).
const SHARE: &str = "CASE WHEN billing_period = 'MONTHLY' THEN price_minor ELSE 0 END";

fn postgres() -> String {
    format!(
        r#"
CREATE FUNCTION portal_account_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_totals (account_id, active_count, cost_minor)
  SELECT id, 0, 0 FROM new_rows;
  RETURN NULL;
END $$;

CREATE FUNCTION portal_services_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE account_totals t SET active_count = t.active_count + d.n, cost_minor = t.cost_minor + d.c
  FROM (
    SELECT account_id, SUM(n) AS n, SUM(c) AS c FROM (
      SELECT account_id, 1 AS n, {SHARE} AS c FROM new_rows WHERE status = 'ACTIVE'
      UNION ALL
      SELECT account_id, -1, -({SHARE}) FROM old_rows WHERE status = 'ACTIVE'
    ) moved GROUP BY account_id
  ) d
  WHERE t.account_id = d.account_id AND (d.n <> 0 OR d.c <> 0);
  RETURN NULL;
END $$;
"#
    )
}

/// PostgreSQL's transition tables name one event each; `old_rows`/`new_rows` that an event
/// lacks are empty stand-ins.
const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER account_totals_created AFTER INSERT ON accounts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_account_created()",
    "CREATE TRIGGER services_totals_inserted AFTER INSERT ON services REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_services_inserted()",
    "CREATE TRIGGER services_totals_updated AFTER UPDATE ON services REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_services_moved()",
    "CREATE TRIGGER services_totals_deleted AFTER DELETE ON services REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_services_deleted()",
];

fn sqlite() -> Vec<String> {
    let add = |row: &str, sign: &str| {
        format!(
            "UPDATE account_totals SET active_count = active_count {sign} 1, \
             cost_minor = cost_minor {sign} (CASE WHEN {row}.billing_period = 'MONTHLY' THEN {row}.price_minor ELSE 0 END) \
             WHERE account_id = {row}.account_id AND {row}.status = 'ACTIVE';"
        )
    };
    vec![
        "CREATE TRIGGER account_totals_created AFTER INSERT ON accounts BEGIN \
         INSERT INTO account_totals (account_id, active_count, cost_minor) VALUES (NEW.id, 0, 0); END"
            .to_string(),
        format!("CREATE TRIGGER services_totals_inserted AFTER INSERT ON services BEGIN {} END", add("NEW", "+")),
        format!(
            "CREATE TRIGGER services_totals_updated AFTER UPDATE OF status, price_minor, billing_period, account_id ON services BEGIN {} {} END",
            add("OLD", "-"),
            add("NEW", "+")
        ),
        format!("CREATE TRIGGER services_totals_deleted AFTER DELETE ON services BEGIN {} END", add("OLD", "-")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("account_totals")
                    .col(big_integer("account_id").primary_key())
                    .col(big_integer("active_count").default(0))
                    .col(big_integer("cost_minor").default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_totals_account_id")
                            .from("account_totals", "account_id")
                            .to("accounts", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "account_totals",
                "cost",
                &["cost_minor", "account_id"],
            ))
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO account_totals (account_id, active_count, cost_minor) \
             SELECT a.id, COALESCE(s.n, 0), COALESCE(s.c, 0) FROM accounts a LEFT JOIN \
             (SELECT account_id, COUNT(*) AS n, SUM({SHARE}) AS c FROM services \
              WHERE status = 'ACTIVE' GROUP BY account_id) s ON s.account_id = a.id"
        ))
        .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared(&postgres()).await?;
            // Insert and delete see one transition table each: the same function, with the
            // other table an empty one of the same shape.
            db.execute_unprepared(
                "CREATE FUNCTION portal_services_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE account_totals t SET active_count = t.active_count + d.n, cost_minor = t.cost_minor + d.c
  FROM (SELECT account_id, COUNT(*) AS n, SUM(CASE WHEN billing_period = 'MONTHLY' THEN price_minor ELSE 0 END) AS c
        FROM new_rows WHERE status = 'ACTIVE' GROUP BY account_id) d
  WHERE t.account_id = d.account_id;
  RETURN NULL;
END $$;
CREATE FUNCTION portal_services_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE account_totals t SET active_count = t.active_count - d.n, cost_minor = t.cost_minor - d.c
  FROM (SELECT account_id, COUNT(*) AS n, SUM(CASE WHEN billing_period = 'MONTHLY' THEN price_minor ELSE 0 END) AS c
        FROM old_rows WHERE status = 'ACTIVE' GROUP BY account_id) d
  WHERE t.account_id = d.account_id;
  RETURN NULL;
END $$;",
            )
            .await?;
            for trigger in POSTGRES_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
        } else {
            for trigger in sqlite() {
                db.execute_unprepared(&trigger).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        for (trigger, table) in [
            ("account_totals_created", "accounts"),
            ("services_totals_inserted", "services"),
            ("services_totals_updated", "services"),
            ("services_totals_deleted", "services"),
        ] {
            let on = if postgres {
                format!(" ON {table}")
            } else {
                String::new()
            };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}"))
                .await?;
        }
        if postgres {
            for function in [
                "portal_account_created",
                "portal_services_inserted",
                "portal_services_moved",
                "portal_services_deleted",
            ] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table("account_totals").to_owned())
            .await
    }
}
