//! Bulk mutations: one request, up to 100 items, each authorized and done on its own by the
//! same domain function as its single mutation, with a result per item.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::{
    domain::bulk::{self, BulkAction, Item, ItemResult},
    graphql::{
        enums::TicketPriority,
        guards::follow_optional,
        ids::{self, Kind},
        payload::payload,
        service::Service,
        ticket::Ticket,
    },
};

/// What happened to one item of a bulk mutation.
pub struct BulkItemResult {
    result: ItemResult,
    kind: Kind,
}

/// What happened to one item of a bulk mutation.
#[Object]
impl BulkItemResult {
    /// The item as you named it (a service's or an account's ID).
    async fn item(&self) -> ID {
        ID(self.result.id.clone())
    }

    /// Whether it was done.
    async fn ok(&self) -> bool {
        self.result.code.is_none()
    }

    /// Why not: what the single mutation would have answered, as an error code
    /// (`NOT_FOUND`, `FORBIDDEN`) or a `UserErrorCode` (`INVALID_STATE`, …); null when done.
    async fn code(&self) -> Option<&str> {
        self.result.code.as_deref()
    }

    /// A human-readable explanation; null when done.
    async fn message(&self) -> Option<&str> {
        self.result.message.as_deref()
    }

    /// For `FORBIDDEN`: the permission that was missing, as `Account.capabilities` names it.
    async fn permission(&self) -> Option<&str> {
        self.result.permission.as_deref()
    }

    /// The service paused or resumed.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        if self.kind != Kind::Service {
            return Ok(None);
        }
        follow_optional(ctx, self.result.object).await
    }

    /// The ticket opened.
    async fn ticket(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Ticket>> {
        if self.kind != Kind::Account {
            return Ok(None);
        }
        follow_optional(ctx, self.result.object).await
    }
}

/// The results of a bulk mutation, in the order of its items (a repeated item once).
#[derive(SimpleObject)]
pub struct BulkResult {
    /// One result per item.
    pub items: Vec<BulkItemResult>,
    /// How many were done.
    pub ok_count: i32,
    /// How many were not.
    pub failed_count: i32,
    /// True when an earlier request with the same idempotency key did this (nothing was
    /// done now).
    pub replayed: bool,
}

payload!(
    /// Result of a bulk mutation: `userErrors` when the request itself is refused (too many
    /// items, a key used for another request); otherwise a result per item.
    BulkPayload { result: BulkResult });

/// Pause or resume many services.
#[derive(InputObject)]
pub struct BulkServicesInput {
    /// 1 to 100 services (your own, or sub-accounts' you may pause).
    pub service_ids: Vec<ID>,
    /// A key of your choosing: a retry with the same key answers the same results without
    /// acting twice.
    pub idempotency_key: Option<String>,
}

/// Open the same ticket for many accounts.
#[derive(InputObject)]
pub struct BulkTicketsInput {
    /// 1 to 100 accounts (your own, or sub-accounts whose tickets you manage).
    pub account_ids: Vec<ID>,
    /// 1..200 characters.
    pub subject: String,
    /// The first message, 1..10,000 characters.
    pub message: String,
    /// How urgent.
    #[graphql(default_with = "Some(TicketPriority::Medium)")]
    pub priority: Option<TicketPriority>,
    /// A key of your choosing: a retry with the same key answers the same results without
    /// acting twice.
    pub idempotency_key: Option<String>,
}

fn items(given: &[ID], kind: Kind) -> Vec<Item> {
    given
        .iter()
        .map(|id| Item {
            given: id.to_string(),
            id: ids::decode(kind, id).ok(),
        })
        .collect()
}

async fn run(
    ctx: &Context<'_>,
    action: BulkAction,
    given: &[ID],
    kind: Kind,
    key: Option<&str>,
) -> async_graphql::Result<BulkPayload> {
    let result = bulk::run(
        super::db(ctx)?,
        super::viewer(ctx)?,
        action,
        items(given, kind),
        key,
    )
    .await;
    BulkPayload::from_result(result.map(|done| {
        let ok = done.items.iter().filter(|r| r.code.is_none()).count() as i32;
        BulkResult {
            ok_count: ok,
            failed_count: done.items.len() as i32 - ok,
            replayed: done.replayed,
            items: done
                .items
                .into_iter()
                .map(|result| BulkItemResult { result, kind })
                .collect(),
        }
    }))
}

async fn on_services(
    ctx: &Context<'_>,
    action: BulkAction,
    input: BulkServicesInput,
) -> async_graphql::Result<BulkPayload> {
    let key = input.idempotency_key.as_deref();
    run(ctx, action, &input.service_ids, Kind::Service, key).await
}

/// Bulk mutations.
#[derive(Default)]
pub struct BulkMutation;

#[Object]
impl BulkMutation {
    /// Pause up to 100 services; each needs `pauseServices` on its account and answers on
    /// its own (a partial success is reported, not rolled back).
    async fn bulk_pause_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: BulkServicesInput,
    ) -> async_graphql::Result<BulkPayload> {
        on_services(ctx, BulkAction::PauseServices, input).await
    }

    /// Resume up to 100 paused services; each needs `pauseServices` on its account.
    async fn bulk_resume_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: BulkServicesInput,
    ) -> async_graphql::Result<BulkPayload> {
        on_services(ctx, BulkAction::ResumeServices, input).await
    }

    /// Open the same ticket for up to 100 accounts; each needs `manageTickets`.
    async fn bulk_create_tickets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: BulkTicketsInput,
    ) -> async_graphql::Result<BulkPayload> {
        let action = BulkAction::OpenTickets {
            subject: input.subject,
            message: input.message,
            priority: input.priority.unwrap_or(TicketPriority::Medium).into(),
        };
        let key = input.idempotency_key.as_deref();
        run(ctx, action, &input.account_ids, Kind::Account, key).await
    }
}
