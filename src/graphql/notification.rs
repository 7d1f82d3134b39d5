//! Portal notifications: the viewer's list and `markNotificationsRead`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use entity::notification;

use super::{
    connection::{Connection, wants_total},
    enums::NotificationKind,
    guards::{Customer, Decision, Guarded, Loadable, follow_optional},
    ids::{self, Kind},
    loaders::gql,
    order::Order,
    payload::UserError,
    service::Service,
    ticket::Ticket,
};
use crate::{
    auth::Viewer,
    db::page::{Page, PageRequest},
    domain,
    error::ResultExt,
    policy::{self, Action, Target},
};

/// A portal notification.
#[derive(Clone)]
pub struct Notification(pub notification::Model);

crate::connection_names!(Notification => "NotificationConnection", "NotificationEdge";);

impl Guarded for Notification {
    /// Its recipient's alone (and read through the viewer's scope: one about an object the
    /// viewer may not see is not found at all).
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        Ok(policy::authorize(
            super::viewer(ctx)?,
            action,
            Target::Notification(&self.0),
        ))
    }
}

impl Loadable for Notification {
    const KIND: Kind = Kind::Notification;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .notification
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(Notification))
    }
}

/// A portal notification.
#[Object]
impl Notification {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Notification, self.0.id)
    }

    /// What it is about.
    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }

    /// What happened, told to the viewer as it may read it now (the objects it names that
    /// the viewer may not see are left out; its main account is "your main account" to a
    /// sub-account).
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let rows = super::record::rows(ctx, domain::notification::refs_of(&self.0)).await?;
        Ok(domain::notification::message(
            &super::record::reader(ctx, &rows)?,
            &self.0,
        ))
    }

    /// The order it is about, when the viewer may open it.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Order>> {
        follow_optional(ctx, self.0.order_id).await
    }

    /// The ticket it is about.
    async fn ticket(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Ticket>> {
        follow_optional(ctx, self.0.ticket_id).await
    }

    /// The service it is about (e.g. a service ordered for this account, or one whose
    /// request was decided).
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        follow_optional(ctx, self.0.service_id).await
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was marked read.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
}

/// Mark notifications read.
#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    /// These notifications (others' ids are ignored).
    pub ids: Option<Vec<ID>>,
    /// All of the viewer's notifications.
    #[graphql(default_with = "Some(false)")]
    pub all: Option<bool>,
}

/// Result of `markNotificationsRead`.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// Unread notifications left.
    pub unread_notification_count: i64,
    /// Why nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Notification mutations.
#[derive(Default)]
pub struct NotificationMutation;

/// Notification mutations.
#[Object]
impl NotificationMutation {
    /// Mark some or all of the viewer's notifications read (customers).
    #[graphql(guard = "Customer")]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: MarkNotificationsReadInput,
    ) -> async_graphql::Result<MarkNotificationsReadPayload> {
        let viewer = super::viewer(ctx)?;
        let ids_in =
            crate::domain::validate::Bounded::new(input.ids.unwrap_or_default(), "ids").gql()?;
        let ids = ids_in
            .iter()
            .map(|id| ids::decode(Kind::Notification, id))
            .collect::<Result<Vec<i64>, _>>()
            .gql()?;
        let db = super::db(ctx)?;
        domain::notification::mark_read(db, viewer, &ids, input.all.unwrap_or(false))
            .await
            .gql()?;
        let unread = domain::notification::count(db, viewer, true).await.gql()?;
        Ok(MarkNotificationsReadPayload {
            unread_notification_count: unread,
            user_errors: Vec::new(),
        })
    }
}

/// The viewer's notifications (a resolver of `Viewer`).
pub async fn notifications(
    ctx: &Context<'_>,
    viewer: &Viewer,
    unread_only: bool,
    req: PageRequest,
) -> async_graphql::Result<Connection<Notification>> {
    if viewer.account().is_none() {
        return Ok(Connection::new(Page::empty(), 0));
    }
    let db = super::db(ctx)?;
    let total = if wants_total(ctx) {
        domain::notification::count(db, viewer, unread_only)
            .await
            .gql()?
    } else {
        0
    };
    let page = domain::notification::list(db, viewer, unread_only, &req)
        .await
        .gql()?;
    Ok(Connection::new(page.map(Notification), total))
}
