//! Support tickets: created by a customer for itself or for a sub-account it may manage
//! tickets for (or by staff), a thread of messages, and a status that follows the
//! conversation (SPEC.md "Tickets"). A sub-account may hide its ticket from its main account.

pub mod staff;

use crate::db::LockForWrite;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::json;

use entity::{
    account,
    enums::{TicketPriority, TicketStatus},
    ticket, ticket_message,
};

use super::{
    activity::{self, Activity},
    validate::Checks,
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError, UserErrorCode},
    policy::{self, Action, Target},
};

pub const MAX_SUBJECT: usize = 200;
pub const MAX_MESSAGE: usize = 10_000;

fn author(viewer: &Viewer) -> (Option<i64>, String, bool) {
    match viewer {
        Viewer::Admin(staff) => (None, staff.full_name.clone(), true),
        Viewer::Customer(c) => (Some(c.account.id), c.account.full_name.clone(), false),
        Viewer::Anonymous => (None, "anonymous".into(), false),
    }
}

async fn add_message<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    ticket_id: i64,
    body: String,
) -> AppResult<ticket_message::Model> {
    let (author_id, name, staff) = author(viewer);
    Ok(ticket_message::ActiveModel {
        ticket_id: Set(ticket_id),
        author_account_id: Set(author_id),
        author_name: Set(name),
        from_staff: Set(staff),
        body: Set(body),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Opens a ticket about `account_id` (the viewer's own account when `None`).
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    account_id: Option<i64>,
    subject: &str,
    message: &str,
    priority: TicketPriority,
    hidden_from_main: bool,
) -> AppResult<ticket::Model> {
    let target_id = match (account_id, viewer.account()) {
        (Some(id), _) => id,
        (None, Some(me)) => me.id,
        (None, None) => {
            return Err(AppError::user(UserError::invalid(
                "accountId",
                "staff choose the account a ticket is about",
            )));
        }
    };
    let target = super::account::find_visible(db, viewer, target_id).await?;
    policy::authorize(viewer, Action::ManageTickets, Target::Account(&target))?;
    let mut checks = Checks::default();
    let subject = checks.text("subject", subject, 1, MAX_SUBJECT);
    let message = checks.text("message", message, 1, MAX_MESSAGE);
    checks.require(
        !hidden_from_main
            || policy::allows(viewer, Action::HideTicketFromMain, Target::Account(&target)),
        "hiddenFromMain",
        "only a sub-account can hide its own tickets from its main account",
    );
    checks.finish()?;
    let txn = crate::db::write_txn(db).await?;
    let now = super::now();
    let created = ticket::ActiveModel {
        account_id: Set(target.id),
        created_by_id: Set(viewer.account().map(|a| a.id)),
        subject: Set(subject.clone()),
        status: Set(TicketStatus::New),
        priority: Set(priority),
        hidden_from_main: Set(hidden_from_main),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    add_message(&txn, viewer, created.id, message).await?;
    activity::record(
        &txn,
        target.id,
        viewer,
        Activity::TicketCreated,
        json!({ "ticketId": created.id, "subject": subject, "priority": priority.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Loads a ticket for change, locked, after asking the policy.
async fn lock<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: i64,
) -> AppResult<(ticket::Model, account::Model)> {
    let found = ticket::Entity::find_by_id(id)
        .for_write()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = account::Entity::find_by_id(found.account_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    policy::authorize(
        viewer,
        Action::ManageTickets,
        Target::Ticket(&found, &owner),
    )?;
    Ok((found, owner))
}

/// Where a reply takes the conversation.
pub fn status_after_reply(current: TicketStatus, from_staff: bool) -> TicketStatus {
    match (from_staff, current) {
        (true, _) => TicketStatus::WaitingOnCustomer,
        (false, TicketStatus::Resolved) => TicketStatus::InProgress,
        (false, _) => TicketStatus::WaitingOnAgent,
    }
}

/// Adds a reply; the status follows the conversation. A staff reply notifies the account.
pub async fn reply(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    message: &str,
) -> AppResult<ticket::Model> {
    let mut checks = Checks::default();
    let message = checks.text("message", message, 1, MAX_MESSAGE);
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock(&txn, viewer, id).await?;
    checks.finish()?;
    add_message(&txn, viewer, found.id, message).await?;
    let before = found.status;
    let next = status_after_reply(before, viewer.is_admin());
    let mut active: ticket::ActiveModel = found.clone().into();
    active.status = Set(next);
    active.updated_at = Set(super::now());
    let updated = active.update(&txn).await?;
    if viewer.is_admin() {
        staff::notify_watchers(
            &txn,
            &updated,
            &owner,
            format!("Support replied to \"{}\".", found.subject),
        )
        .await?;
    }
    activity::record(&txn, owner.id, viewer, Activity::TicketReplied, json!({ "ticketId": found.id, "before": { "status": before.as_str() }, "after": { "status": next.as_str() } })).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Closes a ticket (`RESOLVED`).
pub async fn close(db: &DatabaseConnection, viewer: &Viewer, id: i64) -> AppResult<ticket::Model> {
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock(&txn, viewer, id).await?;
    if found.status == TicketStatus::Resolved {
        return Err(AppError::user(UserError::new(
            UserErrorCode::InvalidState,
            "the ticket is already resolved",
        )));
    }
    let before = found.status;
    let mut active: ticket::ActiveModel = found.clone().into();
    active.status = Set(TicketStatus::Resolved);
    active.updated_at = Set(super::now());
    let closed = active.update(&txn).await?;
    activity::record(&txn, owner.id, viewer, Activity::TicketClosed, json!({ "ticketId": found.id, "before": { "status": before.as_str() }, "after": { "status": "RESOLVED" } })).await?;
    txn.commit().await?;
    Ok(closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_follows_the_conversation() {
        use TicketStatus::*;
        assert_eq!(status_after_reply(New, false), WaitingOnAgent);
        assert_eq!(status_after_reply(WaitingOnAgent, true), WaitingOnCustomer);
        assert_eq!(status_after_reply(WaitingOnCustomer, false), WaitingOnAgent);
        assert_eq!(
            status_after_reply(Resolved, false),
            InProgress,
            "a customer reply reopens"
        );
        assert_eq!(status_after_reply(InProgress, true), WaitingOnCustomer);
    }
}
