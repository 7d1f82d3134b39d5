//! Tickets and their messages; `createTicket`, `replyToTicket`, `closeTicket`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use entity::{ticket, ticket_message};

use super::{
    account::visible_account,
    account::{Account, page_key},
    connection::{Connection, page_request, wants_total},
    enums::{TicketPriority, TicketStatus},
    ids::{self, Kind},
    loaders::ChildPageKey,
    payload::payload,
};
use crate::{
    db::page::Sort,
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

/// Whether the viewer may see this ticket (a hidden one does not exist for the main account).
pub async fn ticket_visible(ctx: &Context<'_>, found: &ticket::Model) -> async_graphql::Result<()> {
    let viewer = super::viewer(ctx)?;
    let owner = super::account::load_account(ctx, found.account_id).await?;
    policy::authorize_reached(viewer, Action::ManageTickets, Target::Ticket(found, &owner)).gql()
}

#[Object]
impl Ticket {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Ticket, self.0.id)
    }

    /// The account the ticket is about.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        visible_account(ctx, self.0.account_id).await
    }

    /// Who opened it; null when staff did (or the viewer may not see that account).
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(id) = self.0.created_by_id else {
            return Ok(None);
        };
        Ok(visible_account(ctx, id).await.ok())
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
        let page = page_request(first, after, None, None).gql()?;
        let key = ChildPageKey {
            parent: self.0.id,
            filter: Vec::new(),
            page,
        };
        super::loaders::account_page(&super::loaders(ctx)?.ticket_messages, key, TicketMessage)
            .await
    }
}

#[Object]
impl TicketMessage {
    /// ID of the message.
    async fn id(&self) -> ID {
        ids::encode(Kind::TicketMessage, self.0.id)
    }

    /// Who wrote it.
    async fn author_name(&self) -> &str {
        &self.0.author_name
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

/// Tickets of an account for the viewer: a main account's own list includes its
/// sub-accounts' tickets that were not hidden from it; a sub-account's list seen by its main
/// leaves the hidden ones out.
pub async fn account_tickets(
    ctx: &Context<'_>,
    account: &entity::account::Model,
    status: Option<Vec<TicketStatus>>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<Ticket>> {
    let viewer = super::viewer(ctx)?;
    policy::authorize(viewer, Action::ManageTickets, Target::Account(account)).gql()?;
    let page = page_request(first, after, None, None).gql()?;
    let values: Vec<&str> = status
        .unwrap_or_default()
        .into_iter()
        .map(|s| entity::enums::TicketStatus::from(s).as_str())
        .collect();
    let own = viewer.account().is_some_and(|me| me.id == account.id);
    if own && account.main_account_id.is_none() {
        // A main (or standalone) account's own list, one query.
        use sea_orm::{ColumnTrait, QueryFilter};
        let independent =
            matches!(viewer, crate::auth::Viewer::Customer(c) if c.independent_access);
        let mut q = domain::ticket::main_account_list(account, independent);
        if !values.is_empty() {
            q = q.filter(ticket::Column::Status.is_in(values.iter().copied()));
        }
        let db = super::db(ctx)?;
        let total = if wants_total(ctx) {
            crate::db::page::count(db, q.clone()).await.gql()?
        } else {
            0
        };
        let sort = Sort::by_id((ticket::Entity, ticket::Column::Id), true);
        let found = crate::db::page::fetch(db, q, &sort, &page, |_| None)
            .await
            .gql()?;
        return Ok(Connection::new(found.map(Ticket), total));
    }
    let key = page_key(account.id, values.into_iter(), page).gql()?;
    let loaders = super::loaders(ctx)?;
    let loader = if own || viewer.is_admin() {
        &loaders.tickets
    } else {
        &loaders.unhidden_tickets
    };
    super::loaders::account_page(loader, key, Ticket).await
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

#[Object]
impl TicketMutation {
    /// Open a ticket for yourself or a sub-account you may manage tickets for.
    async fn create_ticket(
        &self,
        ctx: &Context<'_>,
        input: CreateTicketInput,
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

    /// Reply (customers and staff); the status follows the conversation.
    async fn reply_to_ticket(
        &self,
        ctx: &Context<'_>,
        input: ReplyToTicketInput,
    ) -> async_graphql::Result<TicketPayload> {
        let id = ids::decode(Kind::Ticket, &input.ticket_id).gql()?;
        let result =
            domain::ticket::reply(super::db(ctx)?, super::viewer(ctx)?, id, &input.message).await;
        TicketPayload::from_result(result.map(Ticket))
    }

    /// Close a ticket (`RESOLVED`).
    async fn close_ticket(
        &self,
        ctx: &Context<'_>,
        input: CloseTicketInput,
    ) -> async_graphql::Result<TicketPayload> {
        let id = ids::decode(Kind::Ticket, &input.ticket_id).gql()?;
        let result = domain::ticket::close(super::db(ctx)?, super::viewer(ctx)?, id).await;
        TicketPayload::from_result(result.map(Ticket))
    }
}
