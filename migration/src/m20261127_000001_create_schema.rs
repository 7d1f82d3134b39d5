//! The whole data model: every table, foreign key, unique constraint, and an index for every
//! filter and sort the GraphQL contract offers. Money is BIGINT minor units (1/10,000).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000001_create_schema"
    }
}

/// Tables in creation order; `down` drops them in reverse.
const TABLES: &[&str] = &[
    "server_keys",
    "counters",
    "partners",
    "email_templates",
    "partner_portal_settings",
    "portal_settings",
    "staff_users",
    "accounts",
    "tariffs",
    "services",
    "service_pauses",
    "invoices",
    "orders",
    "order_items",
    "service_requests",
    "change_requests",
    "invoice_lines",
    "payments",
    "balance_entries",
    "idempotency_keys",
    "documents",
    "document_contents",
    "tickets",
    "ticket_messages",
    "internet_sessions",
    "voice_calls",
    "notifications",
    "email_outbox",
    "activity_log",
    "refresh_tokens",
];

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn tables() -> Vec<TableCreateStatement> {
    let t = |name: &'static str| Table::create().table(name).if_not_exists().to_owned();
    vec![
        t("server_keys")
            .col(string("name").primary_key())
            .col(text("value"))
            .col(created_at())
            .to_owned(),
        t("counters")
            .col(string("name").primary_key())
            .col(big_integer("value"))
            .to_owned(),
        t("partners")
            .col(big_pk_auto("id"))
            .col(string_uniq("name"))
            .col(created_at())
            .to_owned(),
        t("email_templates")
            .col(big_pk_auto("id"))
            .col(big_integer_null("partner_id"))
            .col(string("kind"))
            .col(string("name"))
            .col(string("subject"))
            .col(text("body"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("email_templates", "partner_id", "partners"))
            .to_owned(),
        t("partner_portal_settings")
            .col(big_integer("partner_id").primary_key())
            .col(boolean("sub_accounts_can_order"))
            .col(boolean("notify_main_on_sub_account_order"))
            .col(big_integer_null("sub_account_order_template_id"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("partner_portal_settings", "partner_id", "partners"))
            .foreign_key(&mut fk(
                "partner_portal_settings",
                "sub_account_order_template_id",
                "email_templates",
            ))
            .to_owned(),
        t("portal_settings")
            .col(big_integer("id").primary_key())
            .col(boolean("independent_sub_account_access"))
            .col(timestamp_with_time_zone("updated_at"))
            .to_owned(),
        t("staff_users")
            .col(big_pk_auto("id"))
            .col(string_uniq("login"))
            .col(string("password_hash"))
            .col(string("full_name"))
            .col(created_at())
            .to_owned(),
        t("accounts")
            .col(big_pk_auto("id"))
            .col(big_integer("partner_id"))
            .col(string_uniq("login"))
            .col(string("password_hash"))
            .col(string("full_name"))
            .col(string_null("email"))
            .col(string("status"))
            .col(string("billing_mode"))
            .col(string("street"))
            .col(string("city"))
            .col(string("zip_code"))
            .col(string("country"))
            .col(text("search_text"))
            .col(string_len("currency", 3))
            .col(big_integer("balance_minor"))
            .col(big_integer_null("main_account_id"))
            .col(string_null("sub_account_type"))
            .col(timestamp_with_time_zone_null("linked_at"))
            .col(boolean("sub_account_management"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("accounts", "partner_id", "partners"))
            .foreign_key(&mut fk("accounts", "main_account_id", "accounts"))
            .to_owned(),
        t("tariffs")
            .col(big_pk_auto("id"))
            .col(string("name"))
            .col(string("kind"))
            .col(string("period"))
            .col(big_integer("price_minor"))
            .col(big_integer("tax_percent_minor"))
            .col(boolean("allows_self_change"))
            .col(integer_null("download_speed_kbps"))
            .col(integer_null("upload_speed_kbps"))
            .col(created_at())
            .to_owned(),
        t("services")
            .col(big_pk_auto("id"))
            .col(big_integer("account_id"))
            .col(big_integer("tariff_id"))
            .col(string("description"))
            .col(string("status"))
            .col(string("billing_period"))
            .col(big_integer("price_minor"))
            .col(date_null("start_date"))
            .col(date_null("end_date"))
            .col(date_null("paid_through"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("services", "account_id", "accounts"))
            .foreign_key(&mut fk("services", "tariff_id", "tariffs"))
            .to_owned(),
        t("service_pauses")
            .col(big_pk_auto("id"))
            .col(big_integer("service_id"))
            .col(date("paused_on"))
            .col(date_null("resumed_on"))
            .col(created_at())
            .foreign_key(&mut fk("service_pauses", "service_id", "services"))
            .to_owned(),
        t("invoices")
            .col(big_pk_auto("id"))
            .col(string_uniq("number"))
            .col(big_integer("account_id"))
            .col(string("kind"))
            .col(string("status"))
            .col(big_integer("subtotal_minor"))
            .col(big_integer("tax_minor"))
            .col(big_integer("total_minor"))
            .col(date_null("period_start"))
            .col(big_integer_null("order_id"))
            .col(big_integer_null("document_id"))
            .col(timestamp_with_time_zone("issued_at"))
            .foreign_key(&mut fk("invoices", "account_id", "accounts"))
            .to_owned(),
        t("orders")
            .col(big_pk_auto("id"))
            .col(string_uniq("number"))
            .col(big_integer("account_id"))
            .col(big_integer("placed_by_id"))
            .col(big_integer("payer_id"))
            .col(string("status"))
            .col(big_integer("subtotal_minor"))
            .col(big_integer("tax_minor"))
            .col(big_integer("total_minor"))
            .col(string_null("payment_method"))
            .col(timestamp_with_time_zone_null("paid_at"))
            .col(big_integer_null("invoice_id"))
            .col(text_null("rejection_reason"))
            .col(text_null("failure_reason"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("orders", "account_id", "accounts"))
            .foreign_key(&mut fk("orders", "placed_by_id", "accounts"))
            .foreign_key(&mut fk("orders", "payer_id", "accounts"))
            .foreign_key(&mut fk("orders", "invoice_id", "invoices"))
            .to_owned(),
        t("order_items")
            .col(big_pk_auto("id"))
            .col(big_integer("order_id"))
            .col(big_integer("tariff_id"))
            .col(integer("quantity"))
            .col(big_integer("unit_price_minor"))
            .col(big_integer("tax_percent_minor"))
            .col(big_integer("tax_minor"))
            .col(big_integer("total_minor"))
            .foreign_key(&mut fk("order_items", "order_id", "orders"))
            .foreign_key(&mut fk("order_items", "tariff_id", "tariffs"))
            .to_owned(),
        t("service_requests")
            .col(big_pk_auto("id"))
            .col(big_integer("order_id"))
            .col(big_integer("order_item_id"))
            .col(big_integer("account_id"))
            .col(big_integer("tariff_id"))
            .col(string("status"))
            .col(big_integer("amount_minor"))
            .col(date_null("start_date"))
            .col(big_integer_null("service_id"))
            .col(text_null("rejection_reason"))
            .col(created_at())
            .col(timestamp_with_time_zone_null("decided_at"))
            .foreign_key(&mut fk("service_requests", "order_id", "orders"))
            .foreign_key(&mut fk("service_requests", "order_item_id", "order_items"))
            .foreign_key(&mut fk("service_requests", "account_id", "accounts"))
            .foreign_key(&mut fk("service_requests", "tariff_id", "tariffs"))
            .foreign_key(&mut fk("service_requests", "service_id", "services"))
            .to_owned(),
        t("change_requests")
            .col(big_pk_auto("id"))
            .col(big_integer("service_id"))
            .col(big_integer("from_tariff_id"))
            .col(big_integer("to_tariff_id"))
            .col(string("mode"))
            .col(string("status"))
            .col(big_integer_null("requested_by_id"))
            .col(created_at())
            .col(timestamp_with_time_zone_null("decided_at"))
            .foreign_key(&mut fk("change_requests", "service_id", "services"))
            .foreign_key(&mut fk("change_requests", "from_tariff_id", "tariffs"))
            .foreign_key(&mut fk("change_requests", "to_tariff_id", "tariffs"))
            .foreign_key(&mut fk("change_requests", "requested_by_id", "accounts"))
            .to_owned(),
        t("invoice_lines")
            .col(big_pk_auto("id"))
            .col(big_integer("invoice_id"))
            .col(big_integer_null("service_id"))
            .col(big_integer_null("sub_account_id"))
            .col(string("description"))
            .col(integer("quantity"))
            .col(big_integer("unit_price_minor"))
            .col(big_integer("tax_percent_minor"))
            .col(big_integer("net_minor"))
            .col(big_integer("tax_minor"))
            .col(big_integer("total_minor"))
            .col(date_null("period_from"))
            .col(date_null("period_to"))
            .foreign_key(&mut fk("invoice_lines", "invoice_id", "invoices"))
            .foreign_key(&mut fk("invoice_lines", "service_id", "services"))
            .foreign_key(&mut fk("invoice_lines", "sub_account_id", "accounts"))
            .to_owned(),
        t("payments")
            .col(big_pk_auto("id"))
            .col(big_integer("account_id"))
            .col(big_integer_null("order_id"))
            .col(big_integer_null("invoice_id"))
            .col(string("method"))
            .col(string("status"))
            .col(big_integer("amount_minor"))
            .col(string_null("gateway_reference"))
            .col(text_null("failure_reason"))
            .col(created_at())
            .foreign_key(&mut fk("payments", "account_id", "accounts"))
            .foreign_key(&mut fk("payments", "order_id", "orders"))
            .foreign_key(&mut fk("payments", "invoice_id", "invoices"))
            .to_owned(),
        t("balance_entries")
            .col(big_pk_auto("id"))
            .col(big_integer("account_id"))
            .col(big_integer("amount_minor"))
            .col(text("reason"))
            .col(string("actor"))
            .col(big_integer_null("order_id"))
            .col(big_integer_null("invoice_id"))
            .col(big_integer_null("payment_id"))
            .col(created_at())
            .foreign_key(&mut fk("balance_entries", "account_id", "accounts"))
            .to_owned(),
        t("idempotency_keys")
            .col(big_pk_auto("id"))
            .col(big_integer("payer_id"))
            .col(string("key"))
            .col(big_integer("order_id"))
            .col(created_at())
            .foreign_key(&mut fk("idempotency_keys", "payer_id", "accounts"))
            .foreign_key(&mut fk("idempotency_keys", "order_id", "orders"))
            .to_owned(),
        t("documents")
            .col(big_pk_auto("id"))
            .col(big_integer("account_id"))
            .col(string("kind"))
            .col(string("title"))
            .col(string("content_type"))
            .col(big_integer("size_bytes"))
            .col(string("sha256"))
            .col(created_at())
            .foreign_key(&mut fk("documents", "account_id", "accounts"))
            .to_owned(),
        t("document_contents")
            .col(big_integer("document_id").primary_key())
            .col(blob("bytes"))
            .foreign_key(&mut fk("document_contents", "document_id", "documents"))
            .to_owned(),
        t("tickets")
            .col(big_pk_auto("id"))
            .col(big_integer("account_id"))
            .col(big_integer_null("created_by_id"))
            .col(string("subject"))
            .col(string("status"))
            .col(string("priority"))
            .col(boolean("hidden_from_main"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("tickets", "account_id", "accounts"))
            .foreign_key(&mut fk("tickets", "created_by_id", "accounts"))
            .to_owned(),
        t("ticket_messages")
            .col(big_pk_auto("id"))
            .col(big_integer("ticket_id"))
            .col(big_integer_null("author_account_id"))
            .col(string("author_name"))
            .col(boolean("from_staff"))
            .col(text("body"))
            .col(created_at())
            .foreign_key(&mut fk("ticket_messages", "ticket_id", "tickets"))
            .to_owned(),
        t("internet_sessions")
            .col(big_pk_auto("id"))
            .col(big_integer("service_id"))
            .col(big_integer("account_id"))
            .col(timestamp_with_time_zone("started_at"))
            .col(timestamp_with_time_zone("ended_at"))
            .col(date("day"))
            .col(big_integer("download_bytes"))
            .col(big_integer("upload_bytes"))
            .col(big_integer("duration_seconds"))
            .foreign_key(&mut fk("internet_sessions", "service_id", "services"))
            .foreign_key(&mut fk("internet_sessions", "account_id", "accounts"))
            .to_owned(),
        t("voice_calls")
            .col(big_pk_auto("id"))
            .col(big_integer("service_id"))
            .col(big_integer("account_id"))
            .col(timestamp_with_time_zone("started_at"))
            .col(string("destination"))
            .col(integer("duration_seconds"))
            .col(big_integer("cost_minor"))
            .foreign_key(&mut fk("voice_calls", "service_id", "services"))
            .foreign_key(&mut fk("voice_calls", "account_id", "accounts"))
            .to_owned(),
        t("notifications")
            .col(big_pk_auto("id"))
            .col(big_integer("account_id"))
            .col(string("kind"))
            .col(text("message"))
            .col(big_integer_null("order_id"))
            .col(big_integer_null("ticket_id"))
            .col(created_at())
            .col(timestamp_with_time_zone_null("read_at"))
            .foreign_key(&mut fk("notifications", "account_id", "accounts"))
            .foreign_key(&mut fk("notifications", "order_id", "orders"))
            .foreign_key(&mut fk("notifications", "ticket_id", "tickets"))
            .to_owned(),
        t("email_outbox")
            .col(big_pk_auto("id"))
            .col(string("to_address"))
            .col(text("subject"))
            .col(text("body"))
            .col(string("status"))
            .col(integer("attempts"))
            .col(timestamp_with_time_zone("next_attempt_at"))
            .col(text_null("last_error"))
            .col(created_at())
            .col(timestamp_with_time_zone_null("sent_at"))
            .to_owned(),
        t("activity_log")
            .col(big_pk_auto("id"))
            .col(big_integer("account_id"))
            .col(string("actor"))
            .col(string("action"))
            .col(text("details"))
            .col(created_at())
            .foreign_key(&mut fk("activity_log", "account_id", "accounts"))
            .to_owned(),
        t("refresh_tokens")
            .col(big_pk_auto("id"))
            .col(string("subject"))
            .col(string("family"))
            .col(string_uniq("token_hash"))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("used_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .col(created_at())
            .to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        unique(
            "email_templates",
            "partner_kind",
            &["partner_id", "kind", "name"],
        ),
        index("accounts", "partner", &["partner_id", "id"]),
        index("accounts", "status", &["status", "id"]),
        index("accounts", "full_name", &["full_name", "id"]),
        // The sub-accounts list: every filter and sort starts from the main account.
        index(
            "accounts",
            "main_linked",
            &["main_account_id", "linked_at", "id"],
        ),
        index(
            "accounts",
            "main_name",
            &["main_account_id", "full_name", "id"],
        ),
        index(
            "accounts",
            "main_status",
            &["main_account_id", "status", "id"],
        ),
        index(
            "services",
            "account_status",
            &["account_id", "status", "id"],
        ),
        index("services", "tariff", &["tariff_id"]),
        index("service_pauses", "service", &["service_id", "paused_on"]),
        unique("invoices", "payer_period", &["account_id", "period_start"]),
        index("invoices", "account", &["account_id", "id"]),
        index("orders", "account", &["account_id", "id"]),
        index("orders", "payer", &["payer_id", "id"]),
        index("orders", "status", &["status", "id"]),
        index("order_items", "order", &["order_id"]),
        index("service_requests", "order", &["order_id"]),
        index("service_requests", "status", &["status", "id"]),
        index("service_requests", "account", &["account_id", "id"]),
        index("change_requests", "service", &["service_id", "status"]),
        index("change_requests", "status", &["status", "id"]),
        index("invoice_lines", "invoice", &["invoice_id", "id"]),
        index("invoice_lines", "service", &["service_id", "period_from"]),
        index("payments", "account", &["account_id", "id"]),
        index("payments", "order", &["order_id"]),
        index("balance_entries", "account", &["account_id", "id"]),
        unique("idempotency_keys", "payer_key", &["payer_id", "key"]),
        index("documents", "account", &["account_id", "kind", "id"]),
        index("tickets", "account", &["account_id", "status", "id"]),
        index("ticket_messages", "ticket", &["ticket_id", "id"]),
        index("internet_sessions", "service_day", &["service_id", "day"]),
        index("internet_sessions", "account_day", &["account_id", "day"]),
        index(
            "voice_calls",
            "service_started",
            &["service_id", "started_at"],
        ),
        index(
            "voice_calls",
            "account_started",
            &["account_id", "started_at", "id"],
        ),
        index("notifications", "account", &["account_id", "read_at", "id"]),
        index("email_outbox", "due", &["status", "next_attempt_at"]),
        index("activity_log", "account", &["account_id", "id"]),
        index("refresh_tokens", "family", &["family"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*name).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
