//! The email outbox worker: delivers queued messages over SMTP (lettre) or, without SMTP
//! settings, writes each as an `.eml` file; failures are retried with exponential backoff
//! (capped), so a mail-server outage loses nothing. Rows are claimed with a lease, so
//! several replicas can run the worker on one database.

use std::time::Duration;

use chrono::Utc;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::authentication::Credentials,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};

use entity::{email_outbox, enums::OutboxStatus};

use crate::error::AppResult;

pub use crate::config::Delivery;

/// Longest wait between two attempts of one message.
const MAX_BACKOFF_SECS: i64 = 300;
/// How long a claimed message is reserved for the worker that claimed it.
const LEASE_SECS: i64 = 60;

fn build(from: &str, row: &email_outbox::Model) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.parse::<Mailbox>()?)
        .to(row.to_address.parse::<Mailbox>()?)
        .subject(row.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(row.body.clone())?)
}

async fn deliver(delivery: &Delivery, row: &email_outbox::Model) -> anyhow::Result<()> {
    match delivery {
        Delivery::Smtp {
            host,
            port,
            starttls,
            credentials,
            from,
        } => {
            let message = build(from, row)?;
            let mut builder = if *starttls {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?
            } else {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            }
            .port(*port)
            .timeout(Some(Duration::from_secs(10)));
            if let Some((user, pass)) = credentials {
                builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
            }
            builder.build().send(message).await?;
            Ok(())
        }
        Delivery::Folder { dir, from } => {
            let message = build(from, row)?;
            tokio::fs::create_dir_all(dir).await?;
            tokio::fs::write(dir.join(format!("{:08}.eml", row.id)), message.formatted()).await?;
            Ok(())
        }
    }
}

/// Delivers every message that is due; returns how many were sent.
pub async fn run_once(db: &DatabaseConnection, delivery: &Delivery) -> AppResult<usize> {
    let now = crate::domain::now();
    let due = email_outbox::Entity::find()
        .filter(email_outbox::Column::Status.eq(OutboxStatus::Pending))
        .filter(email_outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(email_outbox::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let mut sent = 0;
    for row in due {
        // Claim: push the next attempt out by the lease, only if nobody else did.
        let lease = now + chrono::Duration::seconds(LEASE_SECS);
        let claimed = email_outbox::Entity::update_many()
            .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(lease))
            .filter(email_outbox::Column::Id.eq(row.id))
            .filter(email_outbox::Column::NextAttemptAt.eq(row.next_attempt_at))
            .filter(email_outbox::Column::Status.eq(OutboxStatus::Pending))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let attempts = row.attempts + 1;
        let mut active: email_outbox::ActiveModel = row.clone().into();
        active.attempts = Set(attempts);
        match deliver(delivery, &row).await {
            Ok(()) => {
                active.status = Set(OutboxStatus::Sent);
                active.sent_at = Set(Some(crate::domain::now()));
                active.last_error = Set(None);
                sent += 1;
            }
            Err(e) => {
                let backoff = 2i64
                    .saturating_pow(attempts.clamp(0, 20) as u32)
                    .min(MAX_BACKOFF_SECS);
                tracing::warn!(email = row.id, attempts, error = %e, "email delivery failed; will retry");
                active.next_attempt_at =
                    Set(crate::domain::now() + chrono::Duration::seconds(backoff));
                active.last_error = Set(Some(e.to_string().chars().take(500).collect()));
            }
        }
        active.update(db).await?;
    }
    Ok(sent)
}

/// Runs the worker until the process ends, checking every `interval`.
pub fn spawn(
    db: DatabaseConnection,
    delivery: Delivery,
    interval: Duration,
    stop: crate::shutdown::Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            // A run under way finishes; the next one does not start once the stop began.
            tokio::select! {
                _ = ticker.tick() => {}
                () = stop.wait() => break,
            }
            if let Err(e) = run_once(&db, &delivery).await {
                tracing::warn!(error = %e, at = %Utc::now(), "outbox run failed");
            }
        }
    })
}
