//! The staff's side of tickets: `ticketQueue` across accounts, `setTicketStatus` along the
//! state machine, `assignTicket`. Staff only.

use async_graphql::{Context, Enum, ID, InputObject, Object};

use super::{Ticket, TicketPayload};
use crate::{
    domain::ticket::queue::{self, Assignee, QueueFilter, QueueSort},
    error::{AppError, ResultExt},
    graphql::{
        connection::{Connection, page_request, wants_total},
        enums::{SortDirection, TicketStatus},
        guards::Staff,
        ids::{self, Kind},
    },
};

/// What narrows the ticket queue.
#[derive(InputObject, Default)]
pub struct TicketQueueFilter {
    /// Only these statuses (any of them).
    pub status: Option<Vec<TicketStatus>>,
    /// Only tickets of this partner's accounts.
    pub partner_id: Option<ID>,
    /// Only tickets about this account.
    pub account_id: Option<ID>,
    /// Only tickets assigned to this staff user.
    pub assignee_id: Option<ID>,
    /// Only tickets nobody is assigned to (with `assigneeId`: refused).
    pub unassigned: Option<bool>,
}

/// What the queue is sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TicketQueueSortField {
    /// The last change (a message, a status, an assignment).
    UpdatedAt,
    /// When it was opened.
    CreatedAt,
}

/// Sort order of the queue; ties are broken by id.
#[derive(InputObject)]
pub struct TicketQueueOrder {
    /// What to sort by.
    pub field: TicketQueueSortField,
    /// Which way.
    #[graphql(default_with = "SortDirection::Asc")]
    pub direction: SortDirection,
}

/// Move a ticket to another status.
#[derive(InputObject)]
pub struct SetTicketStatusInput {
    /// The ticket.
    pub ticket_id: ID,
    /// `IN_PROGRESS`, `WAITING_ON_CUSTOMER` or `RESOLVED` (SPEC's state machine).
    pub status: TicketStatus,
}

/// Assign a ticket to a staff user.
#[derive(InputObject)]
pub struct AssignTicketInput {
    /// The ticket.
    pub ticket_id: ID,
    /// The staff user; null takes the ticket off anyone's list.
    pub assignee_id: Option<ID>,
}

fn filter_of(filter: TicketQueueFilter) -> Result<QueueFilter, AppError> {
    let assignee = match (filter.assignee_id, filter.unassigned.unwrap_or(false)) {
        (Some(_), true) => {
            return Err(AppError::BadUserInput(
                "filter by assigneeId or unassigned, not both".into(),
            ));
        }
        (Some(id), false) => Assignee::Staff(ids::decode(Kind::StaffUser, &id)?),
        (None, true) => Assignee::Nobody,
        (None, false) => Assignee::Anyone,
    };
    let statuses = filter.status.unwrap_or_default();
    if statuses.len() > 5 {
        return Err(AppError::BadUserInput("at most 5 statuses".into()));
    }
    Ok(QueueFilter {
        statuses: statuses.into_iter().map(Into::into).collect(),
        partner_id: filter
            .partner_id
            .map(|id| ids::decode(Kind::Partner, &id))
            .transpose()?,
        account_id: filter
            .account_id
            .map(|id| ids::decode(Kind::Account, &id))
            .transpose()?,
        assignee,
    })
}

/// The queue query.
#[derive(Default)]
pub struct TicketQueueQuery;

/// The queue query.
#[Object]
impl TicketQueueQuery {
    /// Tickets across accounts for staff to work, oldest change first unless sorted
    /// otherwise; admins only.
    #[allow(clippy::too_many_arguments)] // a Relay list: filter, order and four page arguments
    #[graphql(
        guard = "Staff",
        complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)"
    )]
    async fn ticket_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrow the queue.")] filter: Option<TicketQueueFilter>,
        #[graphql(desc = "Sort order; by the last change, oldest first, when omitted.")]
        order_by: Option<TicketQueueOrder>,
        #[graphql(desc = "Page size from the start (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1..100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Connection<Ticket>> {
        let req = page_request(first, after, last, before).gql()?;
        let filter = filter_of(filter.unwrap_or_default()).gql()?;
        let sort = match order_by {
            None => QueueSort::UpdatedAt { descending: false },
            Some(o) => {
                let descending = o.direction == SortDirection::Desc;
                match o.field {
                    TicketQueueSortField::UpdatedAt => QueueSort::UpdatedAt { descending },
                    TicketQueueSortField::CreatedAt => QueueSort::CreatedAt { descending },
                }
            }
        };
        let (page, total) = queue::queue(
            super::super::db(ctx)?,
            super::super::viewer(ctx)?,
            &filter,
            sort,
            &req,
            wants_total(ctx),
        )
        .await
        .gql()?;
        Ok(Connection::new(page.map(Ticket), total))
    }
}

/// Staff ticket mutations.
#[derive(Default)]
pub struct TicketStaffMutation;

/// Staff ticket mutations.
#[Object]
impl TicketStaffMutation {
    /// Move a ticket along the state machine (staff); an invalid move is `INVALID_STATE`.
    /// The account and, where it may see the ticket, its main account are notified.
    #[graphql(guard = "Staff")]
    async fn set_ticket_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: SetTicketStatusInput,
    ) -> async_graphql::Result<TicketPayload> {
        let id = ids::decode(Kind::Ticket, &input.ticket_id).gql()?;
        let result = queue::set_status(
            super::super::db(ctx)?,
            super::super::viewer(ctx)?,
            id,
            input.status.into(),
        )
        .await;
        TicketPayload::from_result(result.map(Ticket))
    }

    /// Assign a ticket to a staff user, or unassign it (staff).
    #[graphql(guard = "Staff")]
    async fn assign_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: AssignTicketInput,
    ) -> async_graphql::Result<TicketPayload> {
        let id = ids::decode(Kind::Ticket, &input.ticket_id).gql()?;
        let assignee = input
            .assignee_id
            .map(|a| ids::decode(Kind::StaffUser, &a))
            .transpose()
            .gql()?;
        let result = queue::assign(
            super::super::db(ctx)?,
            super::super::viewer(ctx)?,
            id,
            assignee,
        )
        .await;
        TicketPayload::from_result(result.map(Ticket))
    }
}
