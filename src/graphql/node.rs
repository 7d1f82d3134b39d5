//! `node(id)` and `viewer`: any entity by global ID, under exactly the authorization of its
//! direct path, and who the caller is.

use async_graphql::{Context, ID, Interface, Object};
use sea_orm::{EntityTrait, PrimaryKeyTrait};

use entity::{
    change_request, document, email_template, invoice, notification, order, partner, service,
    service_request, tariff, ticket,
};

use super::{
    account::Account,
    account::visible_account,
    catalog::{EmailTemplate, Partner, Tariff},
    connection::{Connection, page_request},
    document::{Document, document_visible},
    enums::Role,
    ids::{self, Kind},
    invoice::{Invoice, invoice_visible},
    notification::Notification,
    order::{Order, ServiceRequest, order_visible},
    service::{ChangeRequest, Service, authorized_service},
    ticket::{Ticket, ticket_visible},
};
use crate::{
    auth::Viewer as AuthViewer,
    error::{AppError, ResultExt},
    policy,
};

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
}

/// The caller.
pub struct Viewer(pub AuthViewer);

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
        self.0.account().cloned().map(Account)
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
        let Some(me) = self.0.account() else {
            return Ok(0);
        };
        crate::domain::notification::count(super::db(ctx)?, me.id, true)
            .await
            .gql()
    }
}

async fn load<E: EntityTrait>(ctx: &Context<'_>, id: i64) -> async_graphql::Result<E::Model>
where
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id)
        .one(super::db(ctx)?)
        .await
        .map_err(AppError::from)
        .gql()?
        .ok_or(AppError::NotFound)
        .gql()
}

/// Root fields every signed-in viewer uses.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global ID; `NOT_FOUND` when it does not exist or the viewer may not see it.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let viewer = super::viewer(ctx)?;
        let (kind, pk) = ids::decode_any(&id).gql()?;
        let node = match kind {
            Kind::Account => Node::Account(visible_account(ctx, pk).await?),
            Kind::Service => Node::Service(
                authorized_service(ctx, load::<service::Entity>(ctx, pk).await?).await?,
            ),
            Kind::ChangeRequest => {
                let change = load::<change_request::Entity>(ctx, pk).await?;
                authorized_service(ctx, load::<service::Entity>(ctx, change.service_id).await?)
                    .await?;
                Node::ChangeRequest(ChangeRequest(change))
            }
            Kind::Tariff => Node::Tariff(Tariff(load::<tariff::Entity>(ctx, pk).await?)),
            Kind::Partner => {
                // Customers see only their own partner (as `Account.partner`).
                let own = viewer.account().is_some_and(|a| a.partner_id == pk);
                if !viewer.is_admin() && !own {
                    return Err(AppError::NotFound).gql();
                }
                Node::Partner(Partner(load::<partner::Entity>(ctx, pk).await?))
            }
            Kind::EmailTemplate => {
                policy::require_admin(viewer)
                    .map_err(|_| AppError::NotFound)
                    .gql()?;
                Node::EmailTemplate(EmailTemplate(
                    load::<email_template::Entity>(ctx, pk).await?,
                ))
            }
            Kind::Order => {
                let found = load::<order::Entity>(ctx, pk).await?;
                order_visible(ctx, &found).await?;
                Node::Order(Order(found))
            }
            Kind::ServiceRequest => {
                let found = load::<service_request::Entity>(ctx, pk).await?;
                order_visible(ctx, &load::<order::Entity>(ctx, found.order_id).await?).await?;
                Node::ServiceRequest(ServiceRequest(found))
            }
            Kind::Invoice => {
                let found = load::<invoice::Entity>(ctx, pk).await?;
                invoice_visible(ctx, &found)
                    .await
                    .map_err(|_| AppError::NotFound)
                    .gql()?;
                Node::Invoice(Invoice(found))
            }
            Kind::Document => {
                let found = load::<document::Entity>(ctx, pk).await?;
                document_visible(ctx, &found).await?;
                Node::Document(Document(found))
            }
            Kind::Notification => {
                let found = load::<notification::Entity>(ctx, pk).await?;
                if viewer.account().map(|a| a.id) != Some(found.account_id) {
                    return Err(AppError::NotFound).gql();
                }
                Node::Notification(Notification(found))
            }
            Kind::Ticket => {
                let found = load::<ticket::Entity>(ctx, pk).await?;
                ticket_visible(ctx, &found).await?;
                Node::Ticket(Ticket(found))
            }
            Kind::Activity | Kind::TicketMessage | Kind::VoiceCall => {
                return Err(AppError::NotFound).gql();
            }
        };
        Ok(Some(node))
    }

    /// Who is asking.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        Ok(Viewer(super::viewer(ctx)?.clone()))
    }
}
