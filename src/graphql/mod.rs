//! The GraphQL schema: one module per area, merged into the roots here. Resolvers are thin:
//! parse input, ask the policy, call a domain function or a DataLoader, map the result.

pub mod account;
pub mod activity;
pub mod batch;
pub mod billing;
pub mod bulk;
pub mod catalog;
pub mod connection;
pub mod document;
pub mod enums;
pub mod guards;
pub mod ids;
pub mod invoice;
pub mod job;
pub mod loaders;
pub mod node;
pub mod notification;
pub mod order;
pub mod payload;
pub mod record;
pub mod scalars;
pub mod service;
pub mod session;
pub mod slot;
pub mod staff;
pub mod subscription;
pub mod ticket;
pub mod usage;

use async_graphql::{Context, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::{AppState, auth::Viewer, error::AppError};

/// All queries.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    node::NodeQuery,
    catalog::tariff::TariffQuery,
    account::manage::AccountsQuery,
    catalog::partner::PartnerQuery,
    catalog::template::TemplateQuery,
    order::ServiceRequestQuery,
    order::OrderQuoteQuery,
    service::ServiceQuery,
    ticket::queue::TicketQueueQuery,
    staff::StaffQuery,
    job::JobQuery,
    invoice::UpcomingInvoiceQuery,
    activity::ActivityQuery,
);

/// All mutations.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    session::SessionMutation,
    order::OrderMutation,
    order::ServiceRequestMutation,
    service::ServiceMutation,
    service::lifecycle::ServiceLifecycleMutation,
    ticket::TicketMutation,
    ticket::queue::TicketStaffMutation,
    usage::UsageMutation,
    document::DocumentMutation,
    notification::NotificationMutation,
    catalog::partner::PartnerMutation,
    account::manage::AccountsMutation,
    catalog::tariff::TariffMutation,
    billing::BillingMutation,
    account::balance::BalanceMutation,
    catalog::template::TemplateMutation,
    account::controls::ControlsMutation,
    bulk::BulkMutation,
);

pub type PortalSchema = Schema<QueryRoot, MutationRoot, subscription::SubscriptionRoot>;

/// Builds the schema without limits (for the SDL). Per-request data (the viewer, the
/// DataLoaders) is added per request.
pub fn build_schema(state: Option<AppState>) -> PortalSchema {
    builder(state).finish()
}

/// The schema's builder, with the app's state when it will serve requests (the gate adds
/// each role's limits).
pub fn builder(
    state: Option<AppState>,
) -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, subscription::SubscriptionRoot> {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .register_output_type::<node::Node>();
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None)
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

fn internal(what: &str) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    AppError::Internal(anyhow::anyhow!("request data missing: {what}")).extend()
}

/// The app's shared state.
pub fn state<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| internal("state"))
}

/// The database.
pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    Ok(&state(ctx)?.db)
}

/// The viewer, whoever it is (anonymous included).
pub fn any_viewer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Viewer> {
    ctx.data::<Viewer>().map_err(|_| internal("viewer"))
}

/// The viewer, who must be authenticated.
pub fn viewer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Viewer> {
    use async_graphql::ErrorExtensions;
    match any_viewer(ctx)? {
        Viewer::Anonymous => Err(AppError::Unauthenticated("authentication required").extend()),
        v => Ok(v),
    }
}

/// The request's DataLoaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a loaders::Loaders> {
    ctx.data::<loaders::Loaders>()
        .map_err(|_| internal("loaders"))
}
