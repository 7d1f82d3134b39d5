//! Support tickets: created by a customer for itself or for a sub-account it may manage
//! tickets for (or by staff), a thread of messages, and a status that follows the
//! conversation (SPEC.md "Tickets"). A sub-account may hide its ticket from its main account.

pub mod queue;

use crate::db::LockForWrite;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use entity::{
    account,
    enums::{TicketPriority, TicketStatus},
    ticket, ticket_message,
};

use super::{
    activity::{self, Activity},
    notification::Template,
    record::{Actor, Reader, Record, Ref},
    validate::Checks,
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError, UserErrorCode},
    policy::{self, Action, Target},
};

pub const MAX_SUBJECT: usize = 200;
pub const MAX_MESSAGE: usize = 10_000;

/// Adds a message by the viewer: its author is a reference, named to each reader when read
/// ([`author_name`]).
async fn add_message<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    ticket_id: i64,
    body: String,
) -> AppResult<ticket_message::Model> {
    let actor = Actor::of(viewer);
    Ok(ticket_message::ActiveModel {
        ticket_id: Set(ticket_id),
        author_account_id: Set(actor.and_then(Actor::account)),
        author_staff_id: Set(match actor {
            Some(Actor::Staff(id)) => Some(id),
            _ => None,
        }),
        from_staff: Set(viewer.is_admin()),
        body: Set(body),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The author of a message.
pub fn author_of(message: &ticket_message::Model) -> Option<Actor> {
    match (message.author_account_id, message.author_staff_id) {
        (Some(account), _) => Some(Actor::Account(account)),
        (None, Some(staff)) => Some(Actor::Staff(staff)),
        (None, None) if message.from_staff => Some(Actor::System),
        (None, None) => None,
    }
}

/// How a message's author is named to `reader` (its name where the reader may see the
/// account, "your main account" to a sub-account, "ISP staff" to customers).
pub fn author_name(reader: &Reader<'_>, message: &ticket_message::Model) -> String {
    reader.actor(author_of(message))
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
    checks.finish()?;
    if hidden_from_main {
        policy::authorize(viewer, Action::HideTicketFromMain, Target::Account(&target))?;
    }
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
        Record::on(Ref::Ticket(created.id))
            .names("subject", Ref::Ticket(created.id))
            .value("priority", priority.as_str()),
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
        queue::notify_watchers(&txn, &updated, &owner, Template::SupportReplied).await?;
    }
    let record = Record::on(Ref::Ticket(found.id)).change("status", before.as_str(), next.as_str());
    activity::record(&txn, owner.id, viewer, Activity::TicketReplied, record).await?;
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
    let record = Record::on(Ref::Ticket(found.id)).change("status", before.as_str(), "RESOLVED");
    activity::record(&txn, owner.id, viewer, Activity::TicketClosed, record).await?;
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
