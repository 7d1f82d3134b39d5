//! Entries of an account's activity history: the audit trail. Who acted (a staff user, an
//! account or the system), on behalf of which account, from where, and the values before and
//! after, each rendered for the viewer by `domain::activity::shown` (the same code as the CSV
//! export): an account the viewer may not see is not named, a fact about an object it may
//! not see is left out, and where a request came from is shown to staff and to the account
//! that made it.

use async_graphql::{Context, Enum, ID, Object};

use super::scalars::JsonValue;
use crate::domain::validate::Bounded;
use chrono::{DateTime, Utc};

use entity::activity as entry;

use crate::domain::activity;

use super::{
    account::Account,
    guards::follow_optional,
    ids::{self, Kind},
    staff::StaffUser,
};

/// Who acted.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// An ISP staff user.
    Staff,
    /// An account holder, in the portal or an app.
    Account,
    /// The server itself: scheduled jobs and the command line.
    System,
}

/// One entry of an account's activity history.
#[derive(Clone)]
pub struct ActivityEntry(pub entry::Model);

crate::connection_names!(ActivityEntry => "ActivityConnection", "ActivityEdge";);
// Read by id through the viewer's activity scope: an entry about an object the viewer may
// not see is not found at all, as in the lists.
crate::part_of_account!(ActivityEntry, Activity, activity_entry, ActivityOf);

/// One entry of an account's activity history: who did what, when, with before/after.
#[Object]
impl ActivityEntry {
    /// ID of the entry.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Activity, self.0.id)
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who did it, as the viewer may know them: an account's name ("your main account" to a
    /// sub-account), "ISP staff" to customers (the staff member's name to staff), "system"
    /// for the server's own work.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.shown(ctx).await?.actor)
    }

    /// Whether a staff user or an account did it; null on entries older than the audit
    /// trail.
    async fn actor_kind(&self) -> Option<ActorKind> {
        self.kind()
    }

    /// The account that did it, when the viewer may see it.
    async fn actor_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        self.account_of_actor(ctx).await
    }

    /// The staff user who did it (staff only).
    async fn actor_staff_user(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<StaffUser>> {
        if self.kind() != Some(ActorKind::Staff) {
            return Ok(None);
        }
        follow_optional(ctx, self.0.actor_id).await
    }

    /// The account whose history this is, when someone else acted for it (its main
    /// account, staff); null when the account acted itself.
    async fn on_behalf_of(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        follow_optional(ctx, self.0.on_behalf_of_id).await
    }

    /// The client address of the request (through the trusted proxies); shown to staff
    /// and to the account that acted.
    async fn client_address(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(self
            .origin_visible(ctx)?
            .then_some(self.0.client_address.as_deref())
            .flatten())
    }

    /// The user agent of the request; shown to staff and to the account that acted.
    async fn user_agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(self
            .origin_visible(ctx)?
            .then_some(self.0.user_agent.as_deref())
            .flatten())
    }

    /// What was done, e.g. `sub_account.linked`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// Details the viewer may read (numbers, names, amounts of objects it may see), with
    /// `before` and `after` values where something changed.
    async fn details(&self, ctx: &Context<'_>) -> async_graphql::Result<JsonValue> {
        Ok(JsonValue(self.shown(ctx).await?.details))
    }

    /// The values before the change, where something changed.
    async fn before(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JsonValue>> {
        Ok(self.shown(ctx).await?.before().cloned().map(JsonValue))
    }

    /// The values after the change, where something changed.
    async fn after(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JsonValue>> {
        Ok(self.shown(ctx).await?.after().cloned().map(JsonValue))
    }

    /// The order the entry is about, when there is one.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::order::Order>> {
        follow_optional(ctx, self.0.order_id).await
    }

    /// The ticket the entry is about, when there is one.
    async fn ticket(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::ticket::Ticket>> {
        follow_optional(ctx, self.0.ticket_id).await
    }

    /// The service the entry is about, when there is one.
    async fn service(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::service::Service>> {
        follow_optional(ctx, self.0.service_id).await
    }

    /// The invoice the entry is about, when there is one.
    async fn invoice(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::invoice::Invoice>> {
        follow_optional(ctx, self.0.invoice_id).await
    }
}

impl ActivityEntry {
    /// The entry as the viewer may read it.
    async fn shown(&self, ctx: &Context<'_>) -> async_graphql::Result<activity::Shown> {
        let rows = super::record::rows(ctx, activity::refs_of(&self.0)).await?;
        Ok(activity::shown(
            &super::record::reader(ctx, &rows)?,
            &self.0,
        ))
    }

    async fn account_of_actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        if self.kind() != Some(ActorKind::Account) {
            return Ok(None);
        }
        follow_optional(ctx, self.0.actor_id).await
    }

    fn kind(&self) -> Option<ActorKind> {
        self.0.actor_kind.map(|kind| match kind {
            entity::enums::ActorKind::Staff => ActorKind::Staff,
            entity::enums::ActorKind::Account => ActorKind::Account,
            entity::enums::ActorKind::System => ActorKind::System,
        })
    }

    fn origin_visible(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(activity::origin_visible(super::viewer(ctx)?, &self.0))
    }
}

/// Which entries the activity feed shows; omitted fields do not restrict it.
#[derive(async_graphql::InputObject, Default)]
pub struct ActivityFilter {
    /// Only these accounts' histories (your own or sub-accounts whose history you may read:
    /// `viewDetails`). Omitted: all of them (for staff: every account).
    pub account_ids: Option<Vec<ID>>,
    /// Only these actions, e.g. `service.paused`.
    pub actions: Option<Vec<String>>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
}

impl ActivityFilter {
    fn decode(self) -> async_graphql::Result<crate::domain::activity::feed::FeedFilter> {
        use crate::error::ResultExt;
        let accounts = self
            .account_ids
            .unwrap_or_default()
            .iter()
            .map(|id| ids::decode(Kind::Account, id))
            .collect::<Result<Vec<_>, _>>()
            .gql()?;
        let accounts = Bounded::new(accounts, "accounts per filter")
            .gql()?
            .into_vec();
        let actions = self.actions.unwrap_or_default();
        if actions.len() > 50 {
            return Err(crate::error::AppError::BadUserInput(
                "at most 50 actions per filter".into(),
            ))
            .gql();
        }
        Ok(crate::domain::activity::feed::FeedFilter {
            accounts,
            actions,
            from: self.from,
            until: self.to,
        })
    }
}

/// A signed link to the activity feed as CSV.
#[derive(async_graphql::SimpleObject)]
pub struct ActivityExport {
    /// The path to download (relative to the API's origin); no token needed, valid until
    /// `expiresAt`, for the filter it was made for only.
    pub url: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// The audit trail across accounts.
#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// What happened on your account and the sub-accounts whose history you may read
    /// (`viewDetails`), newest first: who acted, on behalf of which account, from where,
    /// with before and after. Staff: every account, or those in the filter.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn activity_feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entries; omitted: all you may read.")] filter: Option<
            ActivityFilter,
        >,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<super::connection::Connection<ActivityEntry>> {
        use crate::error::ResultExt;
        let filter = filter.unwrap_or_default().decode()?;
        let req = super::connection::page_request(first, after, None, None).gql()?;
        let (page, total) = crate::domain::activity::feed::feed(
            super::db(ctx)?,
            super::viewer(ctx)?,
            &filter,
            &req,
            super::connection::wants_total(ctx),
        )
        .await
        .gql()?;
        Ok(super::connection::Connection::new(
            page.map(ActivityEntry),
            total,
        ))
    }

    /// A link to download the activity feed under `filter` as CSV (at most 10,000 rows,
    /// newest first), signed for you and valid for 10 minutes.
    async fn activity_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entries; omitted: all you may read.")] filter: Option<
            ActivityFilter,
        >,
    ) -> async_graphql::Result<ActivityExport> {
        use crate::error::ResultExt;
        let filter = filter.unwrap_or_default().decode()?;
        let state = super::state(ctx)?;
        let (url, expires_at) = crate::domain::activity::feed::export_link(
            &state.db,
            &state.link_key,
            super::viewer(ctx)?,
            &filter,
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(ActivityExport { url, expires_at })
    }
}
