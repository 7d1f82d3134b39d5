//! Tickets and their messages; `createTicket`, `replyToTicket`, `closeTicket`. The staff's
//! queue, status changes and assignment are in [`queue`].

pub mod queue;

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use entity::{ticket, ticket_message};

use crate::graphql::{
    account::{
        Account,
        keys::{Given, parse},
        owner,
    },
    connection::{Connection, page_request},
    enums::{TicketPriority, TicketStatus},
    guards::{CanWithId, Decision, Guarded, Loadable, follow, follow_optional},
    ids::{self, Kind},
    loaders::{PageKey, gql, page_of},
    payload::payload,
};
use crate::{
    domain,
    error::ResultExt,
    policy::{self, Action, Target},
};

/// A support ticket about one account.
#[derive(Clone)]
pub struct Ticket(pub ticket::Model);
/// One message of a ticket's thread.
#[derive(Clone)]
pub struct TicketMessage(pub ticket_message::Model);

crate::connection_names!(
    Ticket => "TicketConnection", "TicketEdge";
    TicketMessage => "TicketMessageConnection", "TicketMessageEdge";
);

impl Guarded for Ticket {
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        let owner = owner(ctx, self.0.account_id).await?;
        Ok(policy::authorize(
            super::viewer(ctx)?,
            action,
            Target::Ticket(&self.0, &owner),
        ))
    }
}

impl Loadable for Ticket {
    const KIND: Kind = Kind::Ticket;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .ticket
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(Ticket))
    }
}

/// A support ticket about one account: subject, priority, status and a thread of messages.
#[Object]
impl Ticket {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Ticket, self.0.id)
    }

    /// The account the ticket is about.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.account_id).await
    }

    /// Who opened it; null when staff did (or the viewer may not see that account).
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        follow_optional(ctx, self.0.created_by_id).await
    }

    /// Subject line.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// Where the conversation stands.
    async fn status(&self) -> TicketStatus {
        self.0.status.into()
    }

    /// How urgent it is.
    async fn priority(&self) -> TicketPriority {
        self.0.priority.into()
    }

    /// Whether the sub-account hid it from its main account.
    async fn hidden_from_main(&self) -> bool {
        self.0.hidden_from_main
    }

    /// The staff member working it (staff only: customers see whether it is assigned,
    /// `assigned`); null while unassigned.
    async fn assignee(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::staff::StaffUser>> {
        follow_optional(ctx, self.0.assignee_id).await
    }

    /// Whether a staff member is working it.
    async fn assigned(&self) -> bool {
        self.0.assignee_id.is_some()
    }

    /// When it was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The thread, oldest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<TicketMessage>> {
        let key = messages_key(self.0.id, first, after).gql()?;
        page_of(
            ctx,
            &super::loaders(ctx)?.ticket_messages,
            key,
            TicketMessage,
        )
        .await
    }
}

/// The key of `Ticket.messages` (the resolver's and a compiled plan's).
pub fn messages_key(
    ticket: i64,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageKey<()>, crate::error::AppError> {
    Ok(PageKey::new(
        ticket,
        (),
        page_request(first, after, None, None)?,
    ))
}

/// `Ticket.messages`' key for any ticket from its arguments as given (`None`: one does not
/// parse; the resolver says so).
pub fn messages_of(
    arg: Given<'_>,
) -> Option<impl Fn(i64) -> Result<PageKey<()>, crate::error::AppError> + use<>> {
    let (first, after): (Option<i32>, Option<String>) =
        (parse(arg, "first")?, parse(arg, "after")?);
    Some(move |id| messages_key(id, first, after.clone()))
}

/// Reads the ticket `id` that `node(id:)` asks for with the messages its selection selects
/// in one statement, where [`Loaders::ticket_with_messages`] can (as a compiled plan reads
/// it); the node's resolver then reads and decides the ticket as always.
///
/// [`Loaders::ticket_with_messages`]: crate::graphql::loaders::Loaders::ticket_with_messages
pub async fn by_id_with_messages(ctx: &Context<'_>, id: i64) -> async_graphql::Result<()> {
    let Some(messages) = super::node::selected(ctx, "messages") else {
        return Ok(());
    };
    let Ok(args) = messages.arguments() else {
        return Ok(());
    };
    let arg = |name: &str| args.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let Some(Ok(key)) = messages_of(&arg).map(|key| key(id)) else {
        return Ok(());
    };
    let counted = messages.selection_set().any(|f| f.name() == "totalCount");
    super::loaders(ctx)?
        .ticket_with_messages(key.counted(counted))
        .await
        .map_err(gql)
}

impl Guarded for TicketMessage {
    /// A message is seen with its ticket.
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        let Some(ticket) = Ticket::load(ctx, self.0.ticket_id).await? else {
            return Ok(Err(crate::error::AppError::NotFound));
        };
        ticket.decide(ctx, action).await
    }
}

impl Loadable for TicketMessage {
    const KIND: Kind = Kind::TicketMessage;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .ticket_message
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(TicketMessage))
    }
}

/// One message of a ticket's thread, from the customer or from staff.
#[Object]
impl TicketMessage {
    /// ID of the message.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::TicketMessage, self.0.id)
    }

    /// Who wrote it, as the viewer may know them: an account's name ("your main account" to
    /// a sub-account whose main wrote it), "ISP staff" to customers (the name to staff).
    async fn author_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        use crate::domain::{record, ticket};
        let author = ticket::author_of(&self.0);
        let refs = match author {
            Some(record::Actor::Account(id)) => Some(record::Ref::Account(id)),
            Some(record::Actor::Staff(id)) => Some(record::Ref::Staff(id)),
            _ => None,
        };
        let rows = crate::graphql::record::rows(ctx, refs).await?;
        Ok(ticket::author_name(
            &crate::graphql::record::reader(ctx, &rows)?,
            &self.0,
        ))
    }

    /// Whether ISP staff wrote it.
    async fn from_staff(&self) -> bool {
        self.0.from_staff
    }

    /// The text.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Open a ticket.
#[derive(InputObject)]
pub struct CreateTicketInput {
    /// The account it is about: your own (when omitted) or a sub-account you manage.
    pub account_id: Option<ID>,
    /// 1..200 characters.
    pub subject: String,
    /// The first message, 1..10,000 characters.
    pub message: String,
    /// How urgent.
    #[graphql(default_with = "Some(TicketPriority::Medium)")]
    pub priority: Option<TicketPriority>,
    /// A sub-account may hide its own ticket from its main account.
    #[graphql(default_with = "Some(false)")]
    pub hidden_from_main: Option<bool>,
}

/// Reply to a ticket.
#[derive(InputObject)]
pub struct ReplyToTicketInput {
    /// The ticket.
    pub ticket_id: ID,
    /// 1..10,000 characters.
    pub message: String,
}

/// Close a ticket.
#[derive(InputObject)]
pub struct CloseTicketInput {
    /// The ticket.
    pub ticket_id: ID,
}

payload!(
    /// Result of a ticket mutation.
    TicketPayload { ticket: Ticket });

/// Ticket mutations.
#[derive(Default)]
pub struct TicketMutation;

/// Ticket mutations.
#[Object]
impl TicketMutation {
    /// Open a ticket for yourself or a sub-account you may manage tickets for; needs
    /// `manageTickets` on that account.
    #[graphql(
        guard = "CanWithId::<Account>::optional(Action::ManageTickets, input.account_id.as_ref())"
    )]
    async fn create_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CreateTicketInput,
    ) -> async_graphql::Result<TicketPayload> {
        let account_id = input
            .account_id
            .as_ref()
            .map(|id| ids::decode(Kind::Account, id))
            .transpose()
            .gql()?;
        let priority = input.priority.unwrap_or(TicketPriority::Medium).into();
        let result = domain::ticket::create(
            super::db(ctx)?,
            super::viewer(ctx)?,
            account_id,
            &input.subject,
            &input.message,
            priority,
            input.hidden_from_main.unwrap_or(false),
        )
        .await;
        TicketPayload::from_result(result.map(Ticket))
    }

    /// Reply (customers and staff); the status follows the conversation. Needs
    /// `manageTickets`.
    #[graphql(guard = "CanWithId::<Ticket>::new(Action::ManageTickets, &input.ticket_id)")]
    async fn reply_to_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ReplyToTicketInput,
    ) -> async_graphql::Result<TicketPayload> {
        let id = ids::decode(Kind::Ticket, &input.ticket_id).gql()?;
        let result =
            domain::ticket::reply(super::db(ctx)?, super::viewer(ctx)?, id, &input.message).await;
        TicketPayload::from_result(result.map(Ticket))
    }

    /// Close a ticket (`RESOLVED`); needs `manageTickets`.
    #[graphql(guard = "CanWithId::<Ticket>::new(Action::ManageTickets, &input.ticket_id)")]
    async fn close_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: CloseTicketInput,
    ) -> async_graphql::Result<TicketPayload> {
        let id = ids::decode(Kind::Ticket, &input.ticket_id).gql()?;
        let result = domain::ticket::close(super::db(ctx)?, super::viewer(ctx)?, id).await;
        TicketPayload::from_result(result.map(Ticket))
    }
}
