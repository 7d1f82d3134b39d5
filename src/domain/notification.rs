//! Portal notifications (written in the workflow's transaction) and the emails that go
//! with them, rendered from the partner's template into the outbox. A notification keeps
//! what happened and the objects it is about; its sentence is told to its recipient when
//! read ([`text`]), so it names only what the recipient may see now.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set, sea_query::Expr,
};

use entity::{
    account, email_outbox, email_template,
    enums::{NotificationKind, OutboxStatus},
    notification, order, partner_portal_settings,
};

use crate::db::page::{self, Page, PageRequest, Sort};
use crate::{auth::Viewer, error::AppResult, money::Money, policy};

mod text;

pub use text::{Template, message, record_of, refs_of};

use super::record::{Record, Ref};
use text::TEMPLATE;

/// The PostgreSQL channel that tells every replica an account has a new notification.
pub const CHANNEL: &str = "portal_notifications";

/// In-process fan-out of "account N has a new notification" hints to live subscriptions.
/// On PostgreSQL the hint comes from `NOTIFY` (delivered on commit, to every replica); on
/// SQLite it is sent directly and subscriptions also re-check periodically.
pub fn hub() -> &'static tokio::sync::broadcast::Sender<i64> {
    static HUB: std::sync::LazyLock<tokio::sync::broadcast::Sender<i64>> =
        std::sync::LazyLock::new(|| tokio::sync::broadcast::channel(1024).0);
    &HUB
}

/// Adds a notification for `account_id`, told with `template` from `record`'s facts when it
/// is read ([`message`]).
pub async fn notify<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    kind: NotificationKind,
    template: Template,
    record: Record,
) -> AppResult<notification::Model> {
    let record = record.value(TEMPLATE, template.as_str());
    let created = notification::ActiveModel {
        account_id: Set(account_id),
        kind: Set(kind),
        facts: Set(record.facts_json()),
        order_id: Set(record.about.order),
        ticket_id: Set(record.about.ticket),
        service_id: Set(record.about.service),
        invoice_id: Set(record.about.invoice),
        created_at: Set(super::now()),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Sent when the transaction commits, to every replica listening.
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), account_id.to_string().into()],
        ))
        .await?;
    } else {
        let _ = hub().send(account_id);
    }
    Ok(created)
}

/// The order email's text when the partner chose no template (also the default template
/// every installation starts with: `bootstrap`).
pub const DEFAULT_TEMPLATE_SUBJECT: &str =
    "{{sub_account.full_name}} placed order {{order.number}}";
pub const DEFAULT_TEMPLATE_BODY: &str = "Hello {{main_account.full_name}},\n\n\
{{sub_account.full_name}} placed order {{order.number}} for {{order.total}}.\n\
Open Manage orders in your portal to approve it by paying, or to reject it.\n";

/// A notification heard on [`CHANNEL`] (by the process's listener, `crate::listen`): the
/// account's live subscriptions look again.
pub fn heard(payload: &str) {
    if let Ok(id) = payload.parse::<i64>() {
        let _ = hub().send(id);
    }
}

/// The viewer's notifications newer than `after_id` it may read, oldest first.
pub async fn newer_than(
    db: &DatabaseConnection,
    viewer: &Viewer,
    after_id: i64,
) -> AppResult<Vec<notification::Model>> {
    use sea_orm::QueryOrder;
    Ok(mine(viewer, false)
        .filter(notification::Column::Id.gt(after_id))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await?)
}

/// The id of the account's newest notification (0 without any).
pub async fn latest_id(db: &DatabaseConnection, account_id: i64) -> AppResult<i64> {
    use sea_orm::{QueryOrder, QuerySelect};
    let id: Option<i64> = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(notification::Column::AccountId.eq(account_id))
        .order_by_desc(notification::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(id.unwrap_or(0))
}

/// The viewer's own notifications it may read: the policy's scope (its own, about objects
/// it may see now).
fn mine(viewer: &Viewer, unread_only: bool) -> sea_orm::Select<notification::Entity> {
    let mut q = notification::Entity::find().filter(policy::scope::notifications(viewer));
    if let Some(me) = viewer.account() {
        q = q.filter(notification::Column::AccountId.eq(me.id));
    }
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    q
}

/// A page of the viewer's notifications, newest first.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    unread_only: bool,
    req: &PageRequest,
) -> AppResult<Page<notification::Model>> {
    page::fetch(
        db,
        mine(viewer, unread_only),
        &Sort::by_id((notification::Entity, notification::Column::Id), true),
        req,
        |_| None,
    )
    .await
}

/// How many of the viewer's notifications it may read (unread only, when asked).
pub async fn count(db: &DatabaseConnection, viewer: &Viewer, unread_only: bool) -> AppResult<i64> {
    Ok(mine(viewer, unread_only).count(db).await? as i64)
}

/// Marks some (or all) of an account's notifications read.
pub async fn mark_read(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ids: &[i64],
    all: bool,
) -> AppResult<()> {
    let account_id = viewer
        .account()
        .ok_or(crate::error::AppError::Forbidden)?
        .id;
    // An id that is not one of the notifications the viewer may read is NOT_FOUND; nothing
    // is marked.
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let owned = mine(viewer, false)
        .filter(crate::db::among::column_among(
            notification::Column::Id,
            unique.iter().copied(),
        ))
        .count(db)
        .await?;
    if owned != unique.len() as u64 {
        return Err(crate::error::AppError::NotFound);
    }
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(super::now()))
        .filter(notification::Column::AccountId.eq(account_id))
        .filter(notification::Column::ReadAt.is_null());
    if !all {
        q = q.filter(crate::db::among::column_among(
            notification::Column::Id,
            ids.iter().copied(),
        ));
    }
    q.exec(db).await?;
    Ok(())
}

/// Replaces the `{{placeholders}}` of a template (`{{ name }}` too) in one pass: a value is
/// never read as a template (a ticket subject that says `{{order}}` stays as it is), and a
/// placeholder without a value stays as written.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let name = after[..end].trim();
        match values.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Queues an email in the outbox (same transaction as the change it reports).
pub async fn enqueue_email<C: ConnectionTrait>(
    db: &C,
    to: &str,
    subject: &str,
    body: &str,
) -> AppResult<()> {
    let now = super::now();
    email_outbox::ActiveModel {
        to_address: Set(to.to_string()),
        subject: Set(subject.to_string()),
        body: Set(body.to_string()),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// "A sub-account placed an order": the main account's notification and, when its partner
/// wants it and the main has an address, the `SERVICE_ORDER` email (written for the main
/// account, its only reader).
pub async fn sub_account_ordered<C: ConnectionTrait>(
    db: &C,
    main: &account::Model,
    sub: &account::Model,
    order: &order::Model,
) -> AppResult<()> {
    let total = format!("{} {}", Money::from_minor(order.total_minor), sub.currency);
    notify(
        db,
        main.id,
        NotificationKind::SubAccountOrderPlaced,
        Template::SubAccountOrdered,
        Record::on(Ref::Order(order.id))
            .names("order", Ref::Order(order.id))
            .names("subAccount", Ref::Account(sub.id))
            .amount(
                "total",
                Ref::Order(order.id),
                Money::from_minor(order.total_minor),
            )
            .value("currency", sub.currency.clone()),
    )
    .await?;
    let Some(settings) = partner_portal_settings::Entity::find_by_id(sub.partner_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if !settings.notify_main_on_sub_account_order {
        return Ok(());
    }
    let Some(to) = main.email.as_deref() else {
        tracing::info!(
            main = main.id,
            "main account has no email address; order email skipped"
        );
        return Ok(());
    };
    let template = match settings.sub_account_order_template_id {
        Some(id) => email_template::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let (subject, body) = match &template {
        Some(t) => (t.subject.as_str(), t.body.as_str()),
        None => (DEFAULT_TEMPLATE_SUBJECT, DEFAULT_TEMPLATE_BODY),
    };
    let values = [
        ("sub_account.full_name", sub.full_name.clone()),
        ("main_account.full_name", main.full_name.clone()),
        ("order.number", order.number.clone()),
        ("order.total", total),
        (
            "order.date",
            order.created_at.format("%Y-%m-%d").to_string(),
        ),
    ];
    enqueue_email(db, to, &render(subject, &values), &render(body, &values)).await
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn placeholders_are_replaced_with_or_without_spaces() {
        let out = render(
            "{{sub_account.full_name}} / {{ order.number }}",
            &[
                ("sub_account.full_name", "Anna".into()),
                ("order.number", "ORD-1".into()),
            ],
        );
        assert_eq!(out, "Anna / ORD-1");
    }

    #[test]
    fn a_value_is_never_read_as_a_template_and_unknown_blanks_stay() {
        let out = render(
            "{{a}} then {{b}}, {{missing}} and {{ unclosed",
            &[("a", "{{b}}".into()), ("b", "B".into())],
        );
        assert_eq!(out, "{{b}} then B, {{missing}} and {{ unclosed");
    }
}
