//! Derived records become references and facts, rendered per reader when read: activity
//! entries get the objects they are about (order, invoice, ticket, service) as columns and
//! their details as guarded facts; notifications keep facts instead of text; a ticket
//! message keeps its author (account or staff user) instead of a name; an order keeps why
//! it failed as a code and facts. Existing rows are converted; the text columns written for
//! one audience (`activity_log.actor`, `notifications.message`, `ticket_messages.author_name`,
//! `orders.failure_reason`) are dropped.
//!
//! An unlinked sub-account keeps, on its old link, its list row as it was when unlinked: what
//! its former main account keeps seeing of it beside the orders it paid.
//!
//! Idempotency keys of orders are re-scoped to whoever sent them and the account they act
//! for (`order_keys`), replacing the per-payer `idempotency_keys`.

use std::collections::HashMap;

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DatabaseBackend, Statement},
};
use serde_json::{Map, Value, json};

use crate::helpers::{drop_index, index, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000008_derived_records"
    }
}

const ABOUT: [&str; 4] = ["order_id", "invoice_id", "ticket_id", "service_id"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ABOUT {
            add(manager, "activity_log", big_integer_null(col)).await?;
        }
        add(manager, "notifications", big_integer_null("invoice_id")).await?;
        add(
            manager,
            "notifications",
            text("facts").default("{}").to_owned(),
        )
        .await?;
        add(
            manager,
            "ticket_messages",
            big_integer_null("author_staff_id"),
        )
        .await?;
        add(manager, "orders", text_null("failure")).await?;
        add(manager, "account_links", text_null("snapshot")).await?;
        manager
            .create_table(
                Table::create()
                    .table("order_keys")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string("owner"))
                    .col(big_integer("account_id"))
                    .col(string("key"))
                    .col(big_integer_null("order_id"))
                    .col(text_null("refusal"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "order_keys",
                "owner_account_key",
                &["owner", "account_id", "key"],
            ))
            .await?;
        for (table, name, cols) in [
            ("activity_log", "order", &["order_id"][..]),
            ("activity_log", "ticket", &["ticket_id"][..]),
        ] {
            manager.create_index(index(table, name, cols)).await?;
        }

        let db = manager.get_connection();
        convert_activity(db).await?;
        convert_orders(db).await?;
        db.execute_unprepared(
            "UPDATE ticket_messages SET author_staff_id = (SELECT s.id FROM staff_users s \
             WHERE s.full_name = ticket_messages.author_name ORDER BY s.id LIMIT 1) \
             WHERE from_staff",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO order_keys (owner, account_id, key, order_id, refusal, created_at) \
             SELECT 'account:' || CAST(k.payer_id AS TEXT), o.account_id, k.key, k.order_id, \
             NULL, k.created_at FROM idempotency_keys k JOIN orders o ON o.id = k.order_id",
        )
        .await?;
        manager
            .drop_table(Table::drop().table("idempotency_keys").to_owned())
            .await?;
        for (table, col) in [
            ("activity_log", "actor"),
            ("notifications", "message"),
            ("ticket_messages", "author_name"),
            ("orders", "failure_reason"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The schema goes back; the text the dropped columns held is not made up again.
        add(
            manager,
            "activity_log",
            string("actor").default("").to_owned(),
        )
        .await?;
        add(
            manager,
            "notifications",
            text("message").default("").to_owned(),
        )
        .await?;
        add(
            manager,
            "ticket_messages",
            string("author_name").default("").to_owned(),
        )
        .await?;
        add(manager, "orders", text_null("failure_reason")).await?;
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("payer_id"))
                    .col(string("key"))
                    .col(big_integer("order_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("order_keys").if_exists().to_owned())
            .await?;
        for (table, name) in [("activity_log", "order"), ("activity_log", "ticket")] {
            manager.drop_index(drop_index(table, name)).await?;
        }
        for (table, col) in [
            ("activity_log", "order_id"),
            ("activity_log", "invoice_id"),
            ("activity_log", "ticket_id"),
            ("activity_log", "service_id"),
            ("notifications", "invoice_id"),
            ("notifications", "facts"),
            ("ticket_messages", "author_staff_id"),
            ("orders", "failure"),
            ("account_links", "snapshot"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn add(
    manager: &SchemaManager<'_>,
    table: &'static str,
    col: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

/// Rows of a raw query, as (name → value) maps of the columns asked for.
async fn rows(
    db: &SchemaManagerConnection<'_>,
    sql: &str,
) -> Result<Vec<sea_orm_migration::sea_orm::QueryResult>, DbErr> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_string(),
    ))
    .await
}

async fn update(
    db: &SchemaManagerConnection<'_>,
    sql: &str,
    values: Vec<sea_orm_migration::sea_orm::Value>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            let mut n = 0;
            sql.chars()
                .map(|c| {
                    if c == '?' {
                        n += 1;
                        format!("${n}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        }
        _ => sql.to_string(),
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// An order as the conversion needs it: by number, its id, payer and account.
struct OrderRef {
    id: i64,
    payer: i64,
}

fn fact(name: &str) -> Map<String, Value> {
    let mut f = Map::new();
    f.insert("name".into(), json!(name));
    f
}

fn named(name: &str, kind: &str, id: i64) -> Value {
    let mut f = fact(name);
    f.insert("names".into(), json!({ kind: id }));
    f.insert("guard".into(), json!({ "sees": { kind: id } }));
    Value::Object(f)
}

/// Converts one old entry's details into facts and the objects it is about.
fn convert_details(
    account: i64,
    details: &Value,
    orders: &HashMap<String, OrderRef>,
    invoices: &HashMap<String, i64>,
) -> (Vec<Value>, [Option<i64>; 4]) {
    let mut facts = Vec::new();
    let mut about: [Option<i64>; 4] = [None; 4];
    let Some(map) = details.as_object() else {
        return (facts, about);
    };
    let order = map
        .get("order")
        .and_then(|v| v.as_str())
        .and_then(|n| orders.get(n));
    if let Some(o) = order {
        about[0] = Some(o.id);
        facts.push(named("order", "order", o.id));
    }
    let ticket = map.get("ticketId").and_then(|v| v.as_i64());
    about[2] = ticket;
    about[3] = map.get("serviceId").and_then(|v| v.as_i64());
    let invoice = map.get("invoiceId").and_then(|v| v.as_i64()).or_else(|| {
        map.get("invoice")
            .and_then(|v| v.as_str())
            .and_then(|n| invoices.get(n).copied())
    });
    if map.contains_key("invoiceId") {
        about[1] = invoice;
    }
    if let Some(id) = invoice {
        facts.push(named("invoice", "invoice", id));
    }
    let amount_guard = |name: &str| match (name, order) {
        ("total", Some(o)) => json!({ "sees": { "order": o.id } }),
        ("total", None) if invoice.is_some() => json!({ "sees": { "invoice": invoice } }),
        _ => json!({ "balance": account }),
    };
    for (key, value) in map {
        match key.as_str() {
            "order" | "ticketId" | "serviceId" | "invoiceId" | "invoice" | "number"
            | "counterparty" | "serviceRequestId" | "changeRequestId" | "partnerId" => {}
            "subject" => {
                if let Some(t) = ticket {
                    facts.push(named("subject", "ticket", t));
                }
            }
            "title" => {
                if let Some(d) = map.get("documentId").and_then(|v| v.as_i64()) {
                    facts.push(named("title", "document", d));
                }
            }
            "documentId" => {}
            "subAccountId" | "mainAccountId" | "fromAccountId" | "toAccountId" => {
                if let Some(id) = value.as_i64() {
                    let name = key.trim_end_matches("Id");
                    let name = match name {
                        "fromAccount" => "from",
                        "toAccount" => "to",
                        other => other,
                    };
                    facts.push(named(name, "account", id));
                }
            }
            "total" | "amount" | "refund" => {
                let mut f = fact(key);
                f.insert("value".into(), value.clone());
                f.insert("guard".into(), amount_guard(key));
                facts.push(Value::Object(f));
            }
            "reason" => {
                let mut f = fact(key);
                f.insert("value".into(), value.clone());
                // An old payment failure's reason named the payer's balance.
                if let Some(o) = order {
                    f.insert("guard".into(), json!({ "balance": o.payer }));
                }
                facts.push(Value::Object(f));
            }
            "before" | "after" => {}
            _ => {
                let mut f = fact(key);
                f.insert("value".into(), value.clone());
                facts.push(Value::Object(f));
            }
        }
    }
    match (map.get("before"), map.get("after")) {
        (Some(Value::Object(before)), after) => {
            let empty = Map::new();
            let after = after.and_then(|a| a.as_object()).unwrap_or(&empty);
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let b = before.get(key).cloned().unwrap_or(Value::Null);
                let a = after.get(key).cloned().unwrap_or(Value::Null);
                let mut f = fact(key);
                if key == "assigneeId" {
                    f.insert("name".into(), json!("assignee"));
                    if let Some(id) = b.as_i64() {
                        f.insert("names_before".into(), json!({ "staff": id }));
                    }
                    if let Some(id) = a.as_i64() {
                        f.insert("names_after".into(), json!({ "staff": id }));
                    }
                } else if key == "mainAccountId" {
                    continue;
                } else {
                    if key == "balance" {
                        f.insert("guard".into(), json!({ "balance": account }));
                    }
                    f.insert("before".into(), b);
                    f.insert("after".into(), a);
                }
                facts.push(Value::Object(f));
            }
        }
        (None, Some(Value::Object(after))) => {
            for (key, a) in after {
                if key == "partnerId" {
                    continue;
                }
                let mut f = fact(key);
                f.insert("before".into(), Value::Null);
                f.insert("after".into(), a.clone());
                if key == "login" || key == "fullName" {
                    f.insert("guard".into(), json!({ "sees": { "account": account } }));
                }
                facts.push(Value::Object(f));
            }
        }
        // A balance adjustment kept its balances as plain values.
        (Some(b), Some(a)) => {
            let mut f = fact("balance");
            f.insert("before".into(), b.clone());
            f.insert("after".into(), a.clone());
            f.insert("guard".into(), json!({ "balance": account }));
            facts.push(Value::Object(f));
        }
        // A switch kept as a bare value.
        _ => {}
    }
    (facts, about)
}

/// The actor of an old entry from its label (`staff:1 (…)`, `account:2 (…)`).
fn actor_from_label(label: &str) -> (Option<&'static str>, Option<i64>) {
    let Some((kind, rest)) = label.split_once(':') else {
        return (None, None);
    };
    let id = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|d| d.parse().ok());
    match kind {
        "staff" => (Some("STAFF"), id),
        "account" => (Some("ACCOUNT"), id),
        _ => (None, None),
    }
}

async fn convert_activity(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let mut orders = HashMap::new();
    for row in rows(db, "SELECT id, number, payer_id FROM orders").await? {
        orders.insert(
            row.try_get::<String>("", "number")?,
            OrderRef {
                id: row.try_get("", "id")?,
                payer: row.try_get("", "payer_id")?,
            },
        );
    }
    let mut invoices = HashMap::new();
    for row in rows(db, "SELECT id, number FROM invoices").await? {
        invoices.insert(
            row.try_get::<String>("", "number")?,
            row.try_get::<i64>("", "id")?,
        );
    }
    let mut after = 0i64;
    loop {
        let batch = rows(
            db,
            &format!(
                "SELECT id, account_id, actor, details, actor_kind, actor_id FROM activity_log \
                 WHERE id > {after} ORDER BY id LIMIT 500"
            ),
        )
        .await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.try_get("", "id")?;
        for row in batch {
            let id: i64 = row.try_get("", "id")?;
            let account: i64 = row.try_get("", "account_id")?;
            let details: String = row.try_get("", "details")?;
            let label: String = row.try_get("", "actor")?;
            let kind: Option<String> = row.try_get("", "actor_kind")?;
            let actor_id: Option<i64> = row.try_get("", "actor_id")?;
            let parsed: Value = serde_json::from_str(&details).unwrap_or(Value::Null);
            let (facts, about) = convert_details(account, &parsed, &orders, &invoices);
            let (kind, actor_id) = match kind {
                Some(k) => (Some(k), actor_id),
                None => {
                    let (k, i) = actor_from_label(&label);
                    (k.map(str::to_string), i)
                }
            };
            let stored = json!({ "facts": facts }).to_string();
            update(
                db,
                "UPDATE activity_log SET details = ?, order_id = ?, invoice_id = ?, ticket_id = ?, \
                 service_id = ?, actor_kind = ?, actor_id = ? WHERE id = ?",
                vec![
                    stored.into(),
                    about[0].into(),
                    about[1].into(),
                    about[2].into(),
                    about[3].into(),
                    kind.into(),
                    actor_id.into(),
                    id.into(),
                ],
            )
            .await?;
        }
    }
}

/// Old failure reasons (text written for the payer) as codes and facts.
async fn convert_orders(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let found = rows(
        db,
        "SELECT id, payer_id, total_minor, failure_reason FROM orders WHERE failure_reason IS NOT NULL",
    )
    .await?;
    for row in found {
        let id: i64 = row.try_get("", "id")?;
        let payer: i64 = row.try_get("", "payer_id")?;
        let reason: String = row.try_get("", "failure_reason")?;
        let code = if reason.starts_with("the balance (") {
            "INSUFFICIENT_BALANCE"
        } else if reason.contains("no longer a sub-account") {
            "NO_LONGER_SUB_ACCOUNT"
        } else if reason.contains("may no longer approve") {
            "MAIN_MAY_NOT_APPROVE"
        } else {
            "PAYMENT_DECLINED"
        };
        let mut facts = vec![
            json!({ "name": "code", "value": code }),
            json!({ "name": "payer", "names": { "account": payer }, "guard": { "sees": { "account": payer } } }),
        ];
        match code {
            "PAYMENT_DECLINED" => facts.push(
                json!({ "name": "gatewayReason", "value": reason, "guard": { "billing": payer } }),
            ),
            "INSUFFICIENT_BALANCE" => {}
            _ => facts.push(json!({ "name": "reason", "value": reason })),
        }
        update(
            db,
            "UPDATE orders SET failure = ? WHERE id = ?",
            vec![json!({ "facts": facts }).to_string().into(), id.into()],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_payment_entry_keeps_its_facts_behind_their_objects() {
        let orders = HashMap::from([("ORD-1".to_string(), OrderRef { id: 7, payer: 3 })]);
        let invoices = HashMap::from([("INV-1".to_string(), 9)]);
        let details = json!({ "order": "ORD-1", "total": "12.00", "invoice": "INV-1",
            "before": { "status": "AWAITING_MAIN_APPROVAL" }, "after": { "status": "PAID" } });
        let (facts, about) = convert_details(5, &details, &orders, &invoices);
        assert_eq!(about, [Some(7), None, None, None]);
        assert!(facts.contains(
            &json!({ "name": "total", "value": "12.00", "guard": { "sees": { "order": 7 } } })
        ));
        assert!(facts.contains(&named("invoice", "invoice", 9)));
        assert!(facts.contains(
            &json!({ "name": "status", "before": "AWAITING_MAIN_APPROVAL", "after": "PAID" })
        ));
    }

    #[test]
    fn an_old_transfer_entry_keeps_no_login_and_guards_the_balance() {
        let details = json!({ "amount": "5.00", "fromAccountId": 1, "toAccountId": 2, "counterparty": "main",
            "before": { "balance": "0.00" }, "after": { "balance": "5.00" } });
        let (facts, _) = convert_details(2, &details, &HashMap::new(), &HashMap::new());
        let text = serde_json::to_string(&facts).expect("json");
        assert!(!text.contains("\"main\""), "{text}");
        assert!(facts.contains(&json!({ "name": "balance", "before": "0.00", "after": "5.00", "guard": { "balance": 2 } })));
        assert!(facts.contains(&named("from", "account", 1)));
    }

    #[test]
    fn an_actor_label_names_its_kind_and_id() {
        assert_eq!(
            actor_from_label("staff:1 (Administrator)"),
            (Some("STAFF"), Some(1))
        );
        assert_eq!(
            actor_from_label("account:12 (A)"),
            (Some("ACCOUNT"), Some(12))
        );
        assert_eq!(actor_from_label("anonymous"), (None, None));
    }
}
