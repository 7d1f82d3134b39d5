//! Service requests (a paid order line each) and the admin's decisions on them: the queue,
//! approve with a start date, reject with a refund.

use async_graphql::{Context, ID, InputObject, Object};

use entity::service_request;

use crate::graphql::{
    account::Account,
    catalog::Tariff,
    connection::{Connection, page_request, wants_total},
    enums::ServiceRequestStatus,
    guards::{Decision, Guarded, Loadable, Staff, follow, follow_optional},
    ids::{self, Kind},
    loaders::gql,
    payload::payload,
    scalars::{Date, Decimal},
    service::Service,
};
use crate::{
    db::page::Sort,
    domain::{self},
    error::{AppError, ResultExt},
    policy::Action,
};

use super::Order;

/// A paid order line waiting for (or given) an admin's decision.
#[derive(Clone)]
pub struct ServiceRequest(pub service_request::Model);

crate::connection_names!(ServiceRequest => "ServiceRequestConnection", "ServiceRequestEdge";);

impl Guarded for ServiceRequest {
    /// A service request is seen with its order.
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        match Order::load(ctx, self.0.order_id).await? {
            Some(order) => order.decide(ctx, action).await,
            None => Ok(Err(AppError::NotFound)),
        }
    }
}

impl Loadable for ServiceRequest {
    const KIND: Kind = Kind::ServiceRequest;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = crate::graphql::loaders(ctx)?
            .service_request
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(ServiceRequest))
    }
}

/// A paid order line waiting for (or given) an admin's decision.
#[Object]
impl ServiceRequest {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::ServiceRequest, self.0.id)
    }

    /// The order it belongs to.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Order> {
        follow(ctx, self.0.order_id).await
    }

    /// The account the service is for.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.account_id).await
    }

    /// The tariff requested.
    async fn tariff(&self, ctx: &Context<'_>) -> async_graphql::Result<Tariff> {
        follow(ctx, self.0.tariff_id).await
    }

    /// Pending, approved or rejected.
    async fn status(&self) -> ServiceRequestStatus {
        self.0.status.into()
    }

    /// The start date the admin set.
    async fn start_date(&self) -> Option<Date> {
        self.0.start_date.map(Date)
    }

    /// What was paid for it (refunded on rejection).
    async fn amount(&self) -> Decimal {
        Decimal::from_minor(self.0.amount_minor)
    }

    /// The service created on approval.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        follow_optional(ctx, self.0.service_id).await
    }

    /// Why the admin rejected it.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
}

/// Approve a service request with its start date.
#[derive(InputObject)]
pub struct ApproveServiceRequestInput {
    /// The request.
    pub service_request_id: ID,
    /// The first day of service (charged from it).
    pub start_date: Date,
}

/// Reject a service request; the line is refunded to the payer's balance.
#[derive(InputObject)]
pub struct RejectServiceRequestInput {
    /// The request.
    pub service_request_id: ID,
    /// Why.
    pub reason: String,
}

payload!(
    /// Result of an admin decision on a service request.
    ServiceRequestPayload { service_request: ServiceRequest });

/// The admin's decisions on service requests.
#[derive(Default)]
pub struct ServiceRequestMutation;

/// The admin's decisions on service requests.
#[Object]
impl ServiceRequestMutation {
    /// Approve a service request with a start date (admins).
    #[graphql(guard = "Staff")]
    async fn approve_service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ApproveServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
        let id = ids::decode(Kind::ServiceRequest, &input.service_request_id).gql()?;
        let result = domain::order::approve_request(
            crate::graphql::db(ctx)?,
            viewer,
            id,
            input.start_date.0,
        )
        .await;
        ServiceRequestPayload::from_result(result.map(ServiceRequest))
    }

    /// Reject a service request and refund the line to the payer (admins).
    #[graphql(guard = "Staff")]
    async fn reject_service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: RejectServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let viewer = crate::graphql::viewer(ctx)?;
        let id = ids::decode(Kind::ServiceRequest, &input.service_request_id).gql()?;
        let result =
            domain::order::reject_request(crate::graphql::db(ctx)?, viewer, id, &input.reason)
                .await;
        ServiceRequestPayload::from_result(result.map(ServiceRequest))
    }
}

/// The admin's queue of service requests.
#[derive(Default)]
pub struct ServiceRequestQuery;

/// The admin's queue of service requests.
#[Object]
impl ServiceRequestQuery {
    /// Service requests, newest first, optionally by status (admins).
    #[graphql(
        guard = "Staff",
        complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)"
    )]
    async fn service_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this status.")] status: Option<ServiceRequestStatus>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ServiceRequest>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let req = page_request(first, after, None, None).gql()?;
        let mut q = service_request::Entity::find();
        if let Some(s) = status {
            q = q.filter(
                service_request::Column::Status.eq(entity::enums::ServiceRequestStatus::from(s)),
            );
        }
        let db = crate::graphql::db(ctx)?;
        let total = if wants_total(ctx) {
            crate::db::page::count(db, q.clone()).await.gql()?
        } else {
            0
        };
        let sort = Sort::by_id((service_request::Entity, service_request::Column::Id), true);
        let page = crate::db::page::fetch(db, q, &sort, &req, |_| None)
            .await
            .gql()?;
        Ok(Connection::new(page.map(ServiceRequest), total))
    }
}
