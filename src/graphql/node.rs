//! `node(id)` and `viewer`: any entity by global ID, loaded and authorized exactly as the
//! direct paths do (through the request's loaders and the object's own policy question),
//! and who the caller is.

use async_graphql::{Context, ID, Interface, Object};

use super::{
    account::Account,
    activity::ActivityEntry,
    catalog::{EmailTemplate, Partner, Tariff},
    connection::{Connection, page_request},
    document::Document,
    enums::Role,
    guards::{SignedIn, by_id},
    ids::{self, Kind},
    invoice::Invoice,
    notification::Notification,
    order::{Order, ServiceRequest},
    service::{ChangeRequest, Service},
    staff::StaffUser,
    ticket::{Ticket, TicketMessage},
    usage::{InternetSession, VoiceCall},
};
use crate::{auth::Viewer as AuthViewer, error::ResultExt};

/// The field `name` that the object `node(id:)` resolves to selects (in any fragment), for a
/// read of the object with a list of it (an order's items, a ticket's messages).
pub fn selected<'a>(ctx: &'a Context<'a>, name: &str) -> Option<async_graphql::SelectionField<'a>> {
    ctx.look_ahead()
        .selection_fields()
        .into_iter()
        .find_map(|node| node.selection_set().find(|f| f.name() == name))
}

/// An object with a global ID, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global ID."))]
pub enum Node {
    Account(Account),
    Partner(Partner),
    Tariff(Tariff),
    EmailTemplate(EmailTemplate),
    Service(Service),
    ChangeRequest(ChangeRequest),
    Order(Order),
    ServiceRequest(ServiceRequest),
    Invoice(Invoice),
    Document(Document),
    Notification(Notification),
    Ticket(Ticket),
    TicketMessage(TicketMessage),
    ActivityEntry(ActivityEntry),
    InternetSession(InternetSession),
    VoiceCall(VoiceCall),
    StaffUser(StaffUser),
}

/// The caller.
pub struct Viewer(pub AuthViewer);

/// The caller.
#[Object]
impl Viewer {
    /// The token's role.
    async fn role(&self) -> Role {
        match self.0 {
            AuthViewer::Admin(_) => Role::Admin,
            _ => Role::Customer,
        }
    }

    /// The viewer's own account; null for admins.
    async fn account(&self) -> Option<Account> {
        self.0.account().cloned().map(Account::new)
    }

    /// The viewer's portal notifications, newest first (empty for admins).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only unread ones.", default_with = "Some(false)")] unread_only: Option<
            bool,
        >,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Notification>> {
        let req = page_request(first, after, None, None).gql()?;
        super::notification::notifications(ctx, &self.0, unread_only.unwrap_or(false), req).await
    }

    /// How many notifications are unread.
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        if self.0.account().is_none() {
            return Ok(0);
        }
        crate::domain::notification::count(super::db(ctx)?, &self.0, true)
            .await
            .gql()
    }
}

/// Root fields every signed-in viewer uses.
#[derive(Default)]
pub struct NodeQuery;

/// Root fields every signed-in viewer uses.
#[Object]
impl NodeQuery {
    /// Any object by its global ID: `NOT_FOUND` when it does not exist or the viewer may not
    /// see it, `FORBIDDEN` when the viewer sees it only behind a permission it lacks (the
    /// answer of the object's direct path).
    #[graphql(guard = "SignedIn")]
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let (kind, pk) = ids::decode_any(&id).gql()?;
        let node = match kind {
            Kind::Account => {
                // Read with the lists it selects, where it can (the same statements as a
                // compiled plan's).
                super::account::by_id_with_list(ctx, pk).await?;
                Node::Account(by_id(ctx, pk).await?)
            }
            Kind::Partner => Node::Partner(by_id(ctx, pk).await?),
            Kind::Tariff => Node::Tariff(by_id(ctx, pk).await?),
            Kind::EmailTemplate => Node::EmailTemplate(by_id(ctx, pk).await?),
            Kind::Service => Node::Service(by_id(ctx, pk).await?),
            Kind::ChangeRequest => Node::ChangeRequest(by_id(ctx, pk).await?),
            Kind::Order => {
                super::order::by_id_with_lists(ctx, pk).await?;
                Node::Order(by_id(ctx, pk).await?)
            }
            Kind::ServiceRequest => Node::ServiceRequest(by_id(ctx, pk).await?),
            Kind::Invoice => Node::Invoice(by_id(ctx, pk).await?),
            Kind::Document => Node::Document(by_id(ctx, pk).await?),
            Kind::Notification => Node::Notification(by_id(ctx, pk).await?),
            Kind::Ticket => {
                super::ticket::by_id_with_messages(ctx, pk).await?;
                Node::Ticket(by_id(ctx, pk).await?)
            }
            Kind::TicketMessage => Node::TicketMessage(by_id(ctx, pk).await?),
            Kind::Activity => Node::ActivityEntry(by_id(ctx, pk).await?),
            Kind::InternetSession => Node::InternetSession(by_id(ctx, pk).await?),
            Kind::VoiceCall => Node::VoiceCall(by_id(ctx, pk).await?),
            Kind::StaffUser => Node::StaffUser(by_id(ctx, pk).await?),
        };
        Ok(Some(node))
    }

    /// Who is asking.
    #[graphql(guard = "SignedIn")]
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        Ok(Viewer(super::viewer(ctx)?.clone()))
    }
}
