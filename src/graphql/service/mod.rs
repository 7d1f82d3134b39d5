//! Services and their change requests; pause, resume and change. The staff's lifecycle
//! mutations (disable, enable, archive) are in [`lifecycle`].

pub mod lifecycle;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use entity::{change_request, service};

use super::{
    account::{Account, owner},
    catalog::Tariff,
    enums::{ChangeMode, ChangeRequestStatus, ServiceStatus},
    guards::{CanWithId, Decision, Guarded, Loadable, Staff, follow, follow_optional},
    ids::{self, Kind},
    loaders::gql,
    scalars::{Date, Decimal},
};
use crate::{
    error::ResultExt,
    policy::{self, Action, Target},
};

/// A service an account subscribes to.
#[derive(Clone)]
pub struct Service(pub service::Model);

crate::connection_names!(Service => "ServiceConnection", "ServiceEdge";);

impl Guarded for Service {
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        let owner = owner(ctx, self.0.account_id).await?;
        Ok(policy::authorize(
            super::viewer(ctx)?,
            action,
            Target::Service(&self.0, &owner),
        ))
    }
}

impl Loadable for Service {
    const KIND: Kind = Kind::Service;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .service
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(Service))
    }
}

/// A service an account subscribes to.
#[Object]
impl Service {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Service, self.0.id)
    }

    /// The account the service belongs to.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        follow(ctx, self.0.account_id).await
    }

    /// The current tariff.
    async fn tariff(&self, ctx: &Context<'_>) -> async_graphql::Result<Tariff> {
        follow(ctx, self.0.tariff_id).await
    }

    /// What the service is (e.g. the tariff name and the line it runs on).
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Lifecycle state.
    async fn status(&self) -> ServiceStatus {
        self.0.status.into()
    }

    /// Price per period, before tax.
    async fn price(&self) -> Decimal {
        Decimal::from_minor(self.0.price_minor)
    }

    /// First day of service (charged from this day).
    async fn start_date(&self) -> Option<Date> {
        self.0.start_date.map(Date)
    }

    /// Last day of service, when it has ended or will end.
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Date)
    }

    /// The last day already paid for.
    async fn paid_through(&self) -> Option<Date> {
        self.0.paid_through.map(Date)
    }

    /// The tariffs the viewer may change this service to now (`changeService`), from the
    /// same rule the change is checked by: empty without `changeServices`, for a service that
    /// has ended, or while a change request is open.
    async fn change_options(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tariff>> {
        if !crate::domain::service::changeable(self.0.status)
            || self.decide(ctx, Action::ChangeServices).await?.is_err()
        {
            return Ok(Vec::new());
        }
        let loaders = super::loaders(ctx)?;
        let (pending, catalog, from) = tokio::try_join!(
            loaders.pending_change.load_one(self.0.id),
            loaders.catalog.load_one(()),
            loaders.tariff.load_one(self.0.tariff_id),
        )
        .map_err(gql)?;
        let (None | Some(None), Some(catalog), Some(from)) = (pending, catalog, from) else {
            return Ok(Vec::new());
        };
        Ok(catalog
            .iter()
            .filter(|to| crate::domain::service::switchable(&from, to).is_ok())
            .cloned()
            .map(Tariff)
            .collect())
    }

    /// The open change request, if any.
    async fn pending_change(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ChangeRequest>> {
        let found = super::loaders(ctx)?
            .pending_change
            .load_one(self.0.id)
            .await
            .map_err(gql)?;
        Ok(found.flatten().map(ChangeRequest))
    }
}

/// A change of a service's tariff.
#[derive(Clone)]
pub struct ChangeRequest(pub change_request::Model);

crate::connection_names!(ChangeRequest => "ChangeRequestConnection", "ChangeRequestEdge";);

impl Guarded for ChangeRequest {
    /// A change request is seen with its service.
    async fn decide(&self, ctx: &Context<'_>, action: Action) -> async_graphql::Result<Decision> {
        match Service::load(ctx, self.0.service_id).await? {
            Some(service) => service.decide(ctx, action).await,
            None => Ok(Err(crate::error::AppError::NotFound)),
        }
    }
}

impl Loadable for ChangeRequest {
    const KIND: Kind = Kind::ChangeRequest;

    async fn load(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .change_request
            .load_one(id)
            .await
            .map_err(gql)?;
        Ok(found.map(ChangeRequest))
    }
}

/// A change of a service's tariff.
#[Object]
impl ChangeRequest {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::ChangeRequest, self.0.id)
    }

    /// The service to change.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Service> {
        follow(ctx, self.0.service_id).await
    }

    /// The tariff before the change.
    #[allow(clippy::wrong_self_convention)] // the contract names this field `fromTariff`
    async fn from_tariff(&self, ctx: &Context<'_>) -> async_graphql::Result<Tariff> {
        follow(ctx, self.0.from_tariff_id).await
    }

    /// The tariff after the change.
    async fn to_tariff(&self, ctx: &Context<'_>) -> async_graphql::Result<Tariff> {
        follow(ctx, self.0.to_tariff_id).await
    }

    /// Self-change or request.
    async fn mode(&self) -> ChangeMode {
        self.0.mode.into()
    }

    /// Where the change stands.
    async fn status(&self) -> ChangeRequestStatus {
        self.0.status.into()
    }

    /// Who asked for it; null when staff did, or when the viewer may not see that account.
    async fn requested_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        follow_optional(ctx, self.0.requested_by_id).await
    }

    /// When it was asked for.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A service to act on.
#[derive(async_graphql::InputObject)]
pub struct ServiceIdInput {
    /// The service.
    pub service_id: ID,
}

/// Change a service's tariff.
#[derive(async_graphql::InputObject)]
pub struct ChangeServiceInput {
    /// The service.
    pub service_id: ID,
    /// The new tariff (same kind).
    pub tariff_id: ID,
    /// `SELF_CHANGE` switches at once (when the tariff allows it); `REQUEST` asks an admin.
    pub mode: ChangeMode,
}

/// A change request to decide.
#[derive(async_graphql::InputObject)]
pub struct ChangeRequestIdInput {
    /// The change request.
    pub change_request_id: ID,
}

crate::graphql::payload::payload!(
    /// Result of pausing or resuming a service.
    ServicePayload { service: Service });

/// Result of a tariff change: the service and the change request.
#[derive(async_graphql::SimpleObject)]
pub struct ChangeServicePayload {
    /// The service (on its new tariff after a self-change or an approval).
    pub service: Option<Service>,
    /// The change request (`APPLIED` for a self-change).
    pub change_request: Option<ChangeRequest>,
    /// Why nothing was changed.
    pub user_errors: Vec<crate::graphql::payload::UserError>,
}

impl ChangeServicePayload {
    fn from_result(
        result: crate::error::AppResult<(entity::service::Model, entity::change_request::Model)>,
    ) -> async_graphql::Result<Self> {
        let (found, user_errors) = crate::graphql::payload::split(result)?;
        let (service, change_request) = match found {
            Some((s, c)) => (Some(Service(s)), Some(ChangeRequest(c))),
            None => (None, None),
        };
        Ok(Self {
            service,
            change_request,
            user_errors,
        })
    }
}

/// Service mutations.
#[derive(Default)]
pub struct ServiceMutation;

/// Service mutations.
#[Object]
impl ServiceMutation {
    /// Pause an active service (own, or a sub-account's when allowed); needs `pauseServices`.
    #[graphql(guard = "CanWithId::<Service>::new(Action::PauseServices, &input.service_id)")]
    async fn pause_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ServiceIdInput,
    ) -> async_graphql::Result<ServicePayload> {
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        let result = crate::domain::service::pause(super::db(ctx)?, super::viewer(ctx)?, id).await;
        ServicePayload::from_result(result.map(Service))
    }

    /// Resume a paused service; needs `pauseServices`.
    #[graphql(guard = "CanWithId::<Service>::new(Action::PauseServices, &input.service_id)")]
    async fn resume_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ServiceIdInput,
    ) -> async_graphql::Result<ServicePayload> {
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        let result = crate::domain::service::resume(super::db(ctx)?, super::viewer(ctx)?, id).await;
        ServicePayload::from_result(result.map(Service))
    }

    /// Change a service's tariff (self-change or request to change); needs `changeServices`.
    #[graphql(guard = "CanWithId::<Service>::new(Action::ChangeServices, &input.service_id)")]
    async fn change_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ChangeServiceInput,
    ) -> async_graphql::Result<ChangeServicePayload> {
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        // A malformed tariff id is refused after the service is authorized, so that a
        // foreign service answers NOT_FOUND whatever else is wrong.
        let tariff = ids::decode(Kind::Tariff, &input.tariff_id).ok();
        let result = crate::domain::service::change(
            super::db(ctx)?,
            super::viewer(ctx)?,
            id,
            tariff,
            input.mode.into(),
        )
        .await;
        ChangeServicePayload::from_result(result)
    }

    /// Approve (and apply) a change request (admins).
    #[graphql(guard = "Staff")]
    async fn approve_change_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ChangeRequestIdInput,
    ) -> async_graphql::Result<ChangeServicePayload> {
        let viewer = super::viewer(ctx)?;
        let id = ids::decode(Kind::ChangeRequest, &input.change_request_id).gql()?;
        ChangeServicePayload::from_result(
            crate::domain::service::decide_change(
                super::db(ctx)?,
                viewer,
                id,
                crate::domain::service::ChangeDecision::Approve,
            )
            .await,
        )
    }

    /// Reject a change request (admins).
    #[graphql(guard = "Staff")]
    async fn reject_change_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ChangeRequestIdInput,
    ) -> async_graphql::Result<ChangeServicePayload> {
        let viewer = super::viewer(ctx)?;
        let id = ids::decode(Kind::ChangeRequest, &input.change_request_id).gql()?;
        ChangeServicePayload::from_result(
            crate::domain::service::decide_change(
                super::db(ctx)?,
                viewer,
                id,
                crate::domain::service::ChangeDecision::Reject,
            )
            .await,
        )
    }
}

/// The admin's queue of change requests.
#[derive(Default)]
pub struct ServiceQuery;

/// The admin's queue of change requests.
#[Object]
impl ServiceQuery {
    /// Change requests, newest first, optionally by status (admins).
    #[graphql(
        guard = "Staff",
        complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)"
    )]
    async fn change_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this status.")] status: Option<ChangeRequestStatus>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<super::connection::Connection<ChangeRequest>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let req = super::connection::page_request(first, after, None, None).gql()?;
        let mut q = change_request::Entity::find();
        if let Some(s) = status {
            q = q.filter(
                change_request::Column::Status.eq(entity::enums::ChangeRequestStatus::from(s)),
            );
        }
        let db = super::db(ctx)?;
        let total = if super::connection::wants_total(ctx) {
            crate::db::page::count(db, q.clone()).await.gql()?
        } else {
            0
        };
        let sort = crate::db::page::Sort::by_id(
            (change_request::Entity, change_request::Column::Id),
            true,
        );
        let page = crate::db::page::fetch(db, q, &sort, &req, |_| None)
            .await
            .gql()?;
        Ok(super::connection::Connection::new(
            page.map(ChangeRequest),
            total,
        ))
    }
}
