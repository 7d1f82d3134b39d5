//! Usage statistics: Internet traffic per day or month, voice calls with totals, and the
//! admins' recording mutations.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use entity::voice_call;

use super::{
    connection::{Connection, page_request, wants_total},
    guards::{Staff, follow},
    ids::{self, Kind},
    payload::{UserError, split},
    scalars::{BigInt, Date, Decimal},
    service::Service,
};
use crate::{
    db::page::Sort,
    domain::{self, usage::UsagePoint},
    error::ResultExt,
};

/// How Internet usage points are grouped.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsagePeriod {
    /// One point per calendar day.
    Day,
    /// One point per calendar month.
    Month,
}

/// Internet usage of an account over a range.
#[derive(SimpleObject)]
pub struct InternetUsage {
    /// Bytes downloaded in the range.
    pub download_bytes: BigInt,
    /// Bytes uploaded in the range.
    pub upload_bytes: BigInt,
    /// Seconds online in the range.
    pub session_seconds: BigInt,
    /// Per day or month; periods without traffic are left out.
    pub points: Vec<InternetUsagePoint>,
}

/// Traffic of one day or month.
#[derive(SimpleObject)]
pub struct InternetUsagePoint {
    /// First day of the period.
    pub period_start: Date,
    /// Bytes downloaded.
    pub download_bytes: BigInt,
    /// Bytes uploaded.
    pub upload_bytes: BigInt,
    /// Seconds online.
    pub session_seconds: BigInt,
}

impl From<UsagePoint> for InternetUsagePoint {
    fn from(p: UsagePoint) -> Self {
        Self {
            period_start: Date(p.period_start),
            download_bytes: BigInt(p.download_bytes),
            upload_bytes: BigInt(p.upload_bytes),
            session_seconds: BigInt(p.session_seconds),
        }
    }
}

/// Internet usage of `account_id` in `[from, to)`.
pub async fn internet(
    ctx: &Context<'_>,
    account_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    by: UsagePeriod,
) -> async_graphql::Result<InternetUsage> {
    let (total, points) = domain::usage::internet(
        super::db(ctx)?,
        account_id,
        from,
        to,
        by == UsagePeriod::Month,
    )
    .await
    .gql()?;
    Ok(InternetUsage {
        download_bytes: BigInt(total.download_bytes),
        upload_bytes: BigInt(total.upload_bytes),
        session_seconds: BigInt(total.session_seconds),
        points: points.into_iter().map(Into::into).collect(),
    })
}

/// Voice usage of an account over a range.
pub struct VoiceUsage {
    pub account_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub count: i64,
    pub seconds: i64,
    pub cost: crate::money::Money,
}

/// Voice usage of `account_id` in `[from, to)`.
pub async fn voice(
    ctx: &Context<'_>,
    account_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> async_graphql::Result<VoiceUsage> {
    let (count, seconds, cost) = domain::usage::voice_totals(super::db(ctx)?, account_id, from, to)
        .await
        .gql()?;
    Ok(VoiceUsage {
        account_id,
        from,
        to,
        count,
        seconds,
        cost,
    })
}

#[Object]
impl VoiceUsage {
    /// Number of calls.
    async fn call_count(&self) -> i64 {
        self.count
    }

    /// Seconds on the phone.
    async fn total_seconds(&self) -> BigInt {
        BigInt(self.seconds)
    }

    /// What the calls cost, exactly.
    async fn total_cost(&self) -> Decimal {
        self.cost.into()
    }

    /// The calls, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn calls(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<VoiceCall>> {
        let req = page_request(first, after, None, None).gql()?;
        let q = domain::usage::calls(self.account_id, self.from, self.to);
        let db = super::db(ctx)?;
        let total = if wants_total(ctx) { self.count } else { 0 };
        let sort = Sort::by_id((voice_call::Entity, voice_call::Column::Id), true);
        let page = crate::db::page::fetch(db, q, &sort, &req, |_| None)
            .await
            .gql()?;
        Ok(Connection::new(page.map(VoiceCall), total))
    }
}

/// One voice call.
pub struct VoiceCall(pub voice_call::Model);

crate::connection_names!(VoiceCall => "VoiceCallConnection", "VoiceCallEdge";);

#[Object]
impl VoiceCall {
    /// ID of the call.
    async fn id(&self) -> ID {
        ids::encode(Kind::VoiceCall, self.0.id)
    }

    /// The voice service.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Service> {
        follow(ctx, self.0.service_id).await
    }

    /// When it started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }

    /// The number called.
    async fn destination(&self) -> &str {
        &self.0.destination
    }

    /// Length in seconds.
    async fn duration_seconds(&self) -> i32 {
        self.0.duration_seconds
    }

    /// What it cost.
    async fn cost(&self) -> Decimal {
        Decimal::from_minor(self.0.cost_minor)
    }
}

/// One Internet session of a service.
#[derive(InputObject)]
pub struct RecordInternetSessionInput {
    /// The service.
    pub service_id: ID,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End, after the start.
    pub ended_at: DateTime<Utc>,
    /// Bytes downloaded (≥ 0).
    pub download_bytes: BigInt,
    /// Bytes uploaded (≥ 0).
    pub upload_bytes: BigInt,
}

/// One voice call of a service.
#[derive(InputObject)]
pub struct RecordVoiceCallInput {
    /// The service.
    pub service_id: ID,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// The number called.
    pub destination: String,
    /// Length in seconds (≥ 0).
    pub duration_seconds: i32,
    /// What it cost (≥ 0, at most 4 decimal places).
    pub cost: Decimal,
}

/// Result of recording usage.
#[derive(SimpleObject)]
pub struct RecordUsagePayload {
    /// Why nothing was recorded.
    pub user_errors: Vec<UserError>,
}

impl RecordUsagePayload {
    fn from_result(result: crate::error::AppResult<()>) -> async_graphql::Result<Self> {
        let (_, user_errors) = split(result)?;
        Ok(Self { user_errors })
    }
}

/// Usage recording (admins and the accounting feed).
#[derive(Default)]
pub struct UsageMutation;

#[Object]
impl UsageMutation {
    /// Record an Internet session (admins).
    #[graphql(guard = "Staff")]
    async fn record_internet_session(
        &self,
        ctx: &Context<'_>,
        input: RecordInternetSessionInput,
    ) -> async_graphql::Result<RecordUsagePayload> {
        let viewer = super::viewer(ctx)?;
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        let result = domain::usage::record_session(
            super::db(ctx)?,
            viewer,
            id,
            input.started_at,
            input.ended_at,
            input.download_bytes.0,
            input.upload_bytes.0,
        )
        .await;
        RecordUsagePayload::from_result(result)
    }

    /// Record a voice call (admins).
    #[graphql(guard = "Staff")]
    async fn record_voice_call(
        &self,
        ctx: &Context<'_>,
        input: RecordVoiceCallInput,
    ) -> async_graphql::Result<RecordUsagePayload> {
        let viewer = super::viewer(ctx)?;
        let id = ids::decode(Kind::Service, &input.service_id).gql()?;
        let result = domain::usage::record_call(
            super::db(ctx)?,
            viewer,
            id,
            input.started_at,
            &input.destination,
            input.duration_seconds,
            input.cost.0,
        )
        .await;
        RecordUsagePayload::from_result(result)
    }
}
