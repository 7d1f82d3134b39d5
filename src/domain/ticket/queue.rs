//! The staff's side of tickets (SPEC.md "Tickets", "Running day to day"): a queue across
//! accounts, status changes along the state machine, and assignment to a staff user. A
//! status change notifies the account and, where the policy lets it see the ticket, its
//! main account.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
    sea_query::{Expr, ExprTrait, Query},
};

use entity::{
    account,
    enums::{NotificationKind, TicketStatus},
    staff_user, ticket,
};

use super::lock;
use crate::{
    auth::{Subject, Viewer, load_viewer},
    db::page::{self, Page, PageRequest, Sort, SortKey},
    domain::{
        activity::{self, Activity},
        notification::{self, Template},
        record::{Record, Ref},
    },
    error::{AppError, AppResult, UserError, UserErrorCode},
    policy::{self, Action, Target},
};

/// Whether staff may move a ticket from `from` to `to`. `NEW` is only where tickets start
/// and `WAITING_ON_AGENT` only where a customer's reply puts them; staff take a ticket
/// `IN_PROGRESS` (also reopening a resolved one), wait on the customer, or resolve it.
pub fn staff_may_move(from: TicketStatus, to: TicketStatus) -> bool {
    use TicketStatus::*;
    from != to
        && match to {
            InProgress => true,
            WaitingOnCustomer | Resolved => from != Resolved,
            New | WaitingOnAgent => false,
        }
}

/// Tells the ticket's account and, when the policy lets it see the ticket, the account's
/// main account (inside the caller's transaction). Each notification follows the ticket: one
/// its reader may no longer see is not shown to it.
pub async fn notify_watchers<C: ConnectionTrait>(
    db: &C,
    found: &ticket::Model,
    owner: &account::Model,
    template: Template,
) -> AppResult<()> {
    let record = Record::on(Ref::Ticket(found.id))
        .names("ticket", Ref::Ticket(found.id))
        .names("account", Ref::Account(owner.id))
        .value("status", found.status.as_str());
    notification::notify(
        db,
        owner.id,
        NotificationKind::TicketUpdated,
        template,
        record.clone(),
    )
    .await?;
    if let Some(main) = owner.main_account_id {
        let main_viewer = load_viewer(db, Subject::Account(main)).await?;
        if policy::allows(&main_viewer, Action::See, Target::Ticket(found, owner)) {
            notification::notify(db, main, NotificationKind::TicketUpdated, template, record)
                .await?;
        }
    }
    Ok(())
}

/// Moves a ticket to `to` (staff); an invalid move is `INVALID_STATE`.
pub async fn set_status(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    to: TicketStatus,
) -> AppResult<ticket::Model> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock(&txn, viewer, id).await?;
    let from = found.status;
    if !staff_may_move(from, to) {
        return Err(AppError::user(UserError::new(
            UserErrorCode::InvalidState,
            format!(
                "a {} ticket cannot be moved to {}",
                from.as_str(),
                to.as_str()
            ),
        )));
    }
    let mut active: ticket::ActiveModel = found.clone().into();
    active.status = Set(to);
    active.updated_at = Set(crate::domain::now());
    let updated = active.update(&txn).await?;
    activity::record(
        &txn,
        owner.id,
        viewer,
        Activity::TicketStatusSet,
        Record::on(Ref::Ticket(found.id)).change("status", from.as_str(), to.as_str()),
    )
    .await?;
    notify_watchers(&txn, &updated, &owner, Template::TicketStatus).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Assigns a ticket to a staff user, or (with `None`) takes it off anyone's list.
pub async fn assign(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    assignee: Option<i64>,
) -> AppResult<ticket::Model> {
    policy::require_admin(viewer)?;
    let txn = crate::db::write_txn(db).await?;
    let (found, owner) = lock(&txn, viewer, id).await?;
    if let Some(staff) = assignee
        && staff_user::Entity::find_by_id(staff)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(AppError::user(UserError::invalid(
            "assigneeId",
            "no such staff user",
        )));
    }
    let before = found.assignee_id;
    let mut active: ticket::ActiveModel = found.clone().into();
    active.assignee_id = Set(assignee);
    active.updated_at = Set(crate::domain::now());
    let updated = active.update(&txn).await?;
    activity::record(
        &txn,
        owner.id,
        viewer,
        Activity::TicketAssigned,
        Record::on(Ref::Ticket(found.id)).change_names(
            "assignee",
            before.map(Ref::Staff),
            assignee.map(Ref::Staff),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Whose tickets the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Anyone,
    Nobody,
    Staff(i64),
}

/// What narrows the staff's queue.
#[derive(Debug, Clone)]
pub struct QueueFilter {
    /// Any of these (all when empty).
    pub statuses: Vec<TicketStatus>,
    pub partner_id: Option<i64>,
    pub account_id: Option<i64>,
    pub assignee: Assignee,
}

/// How the queue is sorted; ties by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueSort {
    /// The ticket that waits longest first (ascending) or the latest change first.
    UpdatedAt {
        descending: bool,
    },
    CreatedAt {
        descending: bool,
    },
}

/// One page of the queue, with the total count when `with_total`.
pub async fn queue(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &QueueFilter,
    sort: QueueSort,
    req: &PageRequest,
    with_total: bool,
) -> AppResult<(Page<ticket::Model>, i64)> {
    policy::require_admin(viewer)?;
    let mut q = ticket::Entity::find();
    if !filter.statuses.is_empty() {
        q = q.filter(ticket::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(account) = filter.account_id {
        q = q.filter(ticket::Column::AccountId.eq(account));
    }
    if let Some(partner) = filter.partner_id {
        let mut of_partner = Query::select();
        of_partner
            .column(account::Column::Id)
            .from(account::Entity)
            .and_where(Expr::col(account::Column::PartnerId).eq(partner));
        q = q.filter(ticket::Column::AccountId.in_subquery(of_partner));
    }
    q = match filter.assignee {
        Assignee::Anyone => q,
        Assignee::Nobody => q.filter(ticket::Column::AssigneeId.is_null()),
        Assignee::Staff(id) => q.filter(ticket::Column::AssigneeId.eq(id)),
    };
    let total = if with_total {
        page::count(db, q.clone()).await?
    } else {
        0
    };
    let (column, descending) = match sort {
        QueueSort::UpdatedAt { descending } => (ticket::Column::UpdatedAt, descending),
        QueueSort::CreatedAt { descending } => (ticket::Column::CreatedAt, descending),
    };
    let order = Sort {
        key: Some(Expr::col((ticket::Entity, column))),
        id: Expr::col((ticket::Entity, ticket::Column::Id)),
        descending,
    };
    let found = page::fetch(db, q, &order, req, |t: &ticket::Model| {
        Some(SortKey::Time(match sort {
            QueueSort::UpdatedAt { .. } => t.updated_at,
            QueueSort::CreatedAt { .. } => t.created_at,
        }))
    })
    .await?;
    Ok((found, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_move_tickets_along_the_state_machine_only() {
        use TicketStatus::*;
        let all = [New, InProgress, WaitingOnCustomer, WaitingOnAgent, Resolved];
        for from in all {
            assert!(!staff_may_move(from, from), "{from:?} to itself");
            assert!(!staff_may_move(from, New), "nothing goes back to NEW");
            assert!(
                !staff_may_move(from, WaitingOnAgent),
                "only a customer reply waits on the agent"
            );
        }
        assert!(staff_may_move(New, InProgress));
        assert!(staff_may_move(WaitingOnAgent, InProgress));
        assert!(staff_may_move(InProgress, WaitingOnCustomer));
        assert!(staff_may_move(New, Resolved));
        assert!(staff_may_move(Resolved, InProgress), "staff reopen");
        assert!(!staff_may_move(Resolved, WaitingOnCustomer));
    }
}
