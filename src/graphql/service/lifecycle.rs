//! The staff's lifecycle of a service: `disableService`, `enableService`, `archiveService`.

use async_graphql::{Context, ID, InputObject, Object};

use super::{Service, ServiceIdInput, ServicePayload};
use crate::{
    domain::service::lifecycle,
    error::ResultExt,
    graphql::{
        guards::Staff,
        ids::{self, Kind},
        scalars::Date,
    },
};

/// Disable a service from a date.
#[derive(InputObject)]
pub struct DisableServiceInput {
    /// The service.
    pub service_id: ID,
    /// First day not billed; today when omitted (not in the future).
    pub from: Option<Date>,
}

/// End a service on a date.
#[derive(InputObject)]
pub struct ArchiveServiceInput {
    /// The service.
    pub service_id: ID,
    /// Last day of service, billed (prorated) on the next run; today when omitted. A past
    /// date archives the service at once, a later one the day after it.
    pub end_date: Option<Date>,
}

/// Staff mutations on a service's life.
#[derive(Default)]
pub struct ServiceLifecycleMutation;

/// Staff mutations on a service's life.
#[Object]
impl ServiceLifecycleMutation {
    /// Disable a service (staff): `DISABLED`, not billed from `from` on, until enabled.
    #[graphql(guard = "Staff")]
    async fn disable_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: DisableServiceInput,
    ) -> async_graphql::Result<ServicePayload> {
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        let result = lifecycle::disable(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            id,
            input.from.map(|d| d.0),
        )
        .await;
        ServicePayload::from_result(result.map(Service))
    }

    /// Enable a disabled service again from today (staff).
    #[graphql(guard = "Staff")]
    async fn enable_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ServiceIdInput,
    ) -> async_graphql::Result<ServicePayload> {
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        let result =
            lifecycle::enable(crate::graphql::db(ctx)?, crate::graphql::viewer(ctx)?, id).await;
        ServicePayload::from_result(result.map(Service))
    }

    /// End a service on a date (staff): billed through that day, then `ARCHIVED` and
    /// hidden from lists unless their status filter asks for it.
    #[graphql(guard = "Staff")]
    async fn archive_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: ArchiveServiceInput,
    ) -> async_graphql::Result<ServicePayload> {
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        let result = lifecycle::archive(
            crate::graphql::db(ctx)?,
            crate::graphql::viewer(ctx)?,
            id,
            input.end_date.map(|d| d.0),
        )
        .await;
        ServicePayload::from_result(result.map(Service))
    }
}
