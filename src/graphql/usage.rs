//! Usage statistics: Internet traffic per day or month, voice calls with totals, and the
//! admins' recording mutations.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use entity::{internet_session, voice_call};

use super::{
    connection::{Connection, page_request},
    guards::{Staff, follow},
    ids::{self, Kind},
    loaders::{Between, CallsBetween, PageKey, SessionsBetween, UsageKey, gql, page_of},
    payload::{UserError, split},
    scalars::{BigInt, Date, Decimal},
    service::Service,
};
use crate::{
    domain::{
        self,
        usage::{CallTotals, InternetStats, UsagePoint, VoiceStats},
    },
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

/// Traffic of one day or month (or of a whole range).
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

/// The range a statistics field was asked for, checked.
fn range(from: NaiveDate, to: NaiveDate) -> async_graphql::Result<Between> {
    domain::usage::check_range(from, to).gql()?;
    Ok(Between { from, to })
}

/// Internet usage of an account over a range.
pub struct InternetUsage {
    account: i64,
    range: Between,
    stats: InternetStats,
}

/// The key `account`'s Internet usage in `[from, to)` is read and kept under (an error
/// for a range [`domain::usage::check_range`] refuses).
pub fn internet_key(
    account: i64,
    from: NaiveDate,
    to: NaiveDate,
    by: UsagePeriod,
) -> async_graphql::Result<UsageKey> {
    Ok(UsageKey {
        account,
        range: range(from, to)?,
        monthly: by == UsagePeriod::Month,
    })
}

/// Internet usage of `account` in `[from, to)`, through the loader that reads every account
/// of the page at once.
pub async fn internet(
    ctx: &Context<'_>,
    account: i64,
    from: NaiveDate,
    to: NaiveDate,
    by: UsagePeriod,
) -> async_graphql::Result<InternetUsage> {
    let key = internet_key(account, from, to, by)?;
    let stats = super::loaders(ctx)?
        .internet
        .load_one(key)
        .await
        .map_err(gql)?
        .unwrap_or(InternetStats {
            total: UsagePoint {
                period_start: from,
                download_bytes: 0,
                upload_bytes: 0,
                session_seconds: 0,
            },
            points: Vec::new(),
            by_service: Vec::new(),
        });
    Ok(InternetUsage {
        account,
        range: key.range,
        stats,
    })
}

/// Internet usage of an account over a range.
#[Object]
impl InternetUsage {
    /// Bytes downloaded in the range.
    async fn download_bytes(&self) -> BigInt {
        BigInt(self.stats.total.download_bytes)
    }

    /// Bytes uploaded in the range.
    async fn upload_bytes(&self) -> BigInt {
        BigInt(self.stats.total.upload_bytes)
    }

    /// Seconds online in the range.
    async fn session_seconds(&self) -> BigInt {
        BigInt(self.stats.total.session_seconds)
    }

    /// Per day or month; periods without traffic are left out.
    async fn points(&self) -> Vec<InternetUsagePoint> {
        self.stats.points.iter().copied().map(Into::into).collect()
    }

    /// The totals of each service with traffic in the range.
    async fn by_service(&self) -> Vec<ServiceInternetUsage> {
        self.stats
            .by_service
            .iter()
            .map(|(service, total)| ServiceInternetUsage {
                service: *service,
                total: *total,
            })
            .collect()
    }

    /// The sessions that started in the range, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<InternetSession>> {
        let key = PageKey::new(
            self.account,
            SessionsBetween(self.range),
            page_request(first, after, None, None).gql()?,
        );
        page_of(ctx, &super::loaders(ctx)?.sessions, key, InternetSession).await
    }
}

/// One service's Internet traffic in the range.
pub struct ServiceInternetUsage {
    service: i64,
    total: UsagePoint,
}

/// One service's Internet traffic in the range.
#[Object]
impl ServiceInternetUsage {
    /// The service.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Service> {
        follow(ctx, self.service).await
    }

    /// Bytes downloaded.
    async fn download_bytes(&self) -> BigInt {
        BigInt(self.total.download_bytes)
    }

    /// Bytes uploaded.
    async fn upload_bytes(&self) -> BigInt {
        BigInt(self.total.upload_bytes)
    }

    /// Seconds online.
    async fn session_seconds(&self) -> BigInt {
        BigInt(self.total.session_seconds)
    }
}

/// One Internet session.
pub struct InternetSession(pub internet_session::Model);

crate::connection_names!(InternetSession => "InternetSessionConnection", "InternetSessionEdge";);

crate::part_of_account!(
    InternetSession,
    InternetSession,
    internet_session,
    InternetSessionOf
);

/// One recorded Internet session of a service: start, end, bytes down and up.
#[Object]
impl InternetSession {
    /// ID of the session.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::InternetSession, self.0.id)
    }

    /// The Internet service.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Service> {
        follow(ctx, self.0.service_id).await
    }

    /// When it started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }

    /// When it ended.
    async fn ended_at(&self) -> DateTime<Utc> {
        self.0.ended_at
    }

    /// Bytes downloaded.
    async fn download_bytes(&self) -> BigInt {
        BigInt(self.0.download_bytes)
    }

    /// Bytes uploaded.
    async fn upload_bytes(&self) -> BigInt {
        BigInt(self.0.upload_bytes)
    }

    /// Seconds online.
    async fn duration_seconds(&self) -> BigInt {
        BigInt(self.0.duration_seconds)
    }
}

/// Voice usage of an account over a range.
pub struct VoiceUsage {
    account: i64,
    range: Between,
    stats: VoiceStats,
}

/// Voice usage of `account` in `[from, to)`, through the loader that reads every account of
/// the page at once.
pub async fn voice(
    ctx: &Context<'_>,
    account: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> async_graphql::Result<VoiceUsage> {
    let key = UsageKey {
        account,
        range: range(from, to)?,
        monthly: false,
    };
    let stats = super::loaders(ctx)?
        .voice
        .load_one(key)
        .await
        .map_err(gql)?
        .unwrap_or_default();
    Ok(VoiceUsage {
        account,
        range: key.range,
        stats,
    })
}

/// Voice usage of an account over a range.
#[Object]
impl VoiceUsage {
    /// Number of calls.
    async fn call_count(&self) -> i64 {
        self.stats.total.count
    }

    /// Seconds on the phone.
    async fn total_seconds(&self) -> BigInt {
        BigInt(self.stats.total.seconds)
    }

    /// What the calls cost, exactly.
    async fn total_cost(&self) -> Decimal {
        self.stats.total.cost.into()
    }

    /// The totals of each service with calls in the range.
    async fn by_service(&self) -> Vec<ServiceVoiceUsage> {
        self.stats
            .by_service
            .iter()
            .map(|(service, total)| ServiceVoiceUsage {
                service: *service,
                total: *total,
            })
            .collect()
    }

    /// The calls, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn calls(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<VoiceCall>> {
        let key = PageKey::new(
            self.account,
            CallsBetween(self.range),
            page_request(first, after, None, None).gql()?,
        );
        page_of(ctx, &super::loaders(ctx)?.calls, key, VoiceCall).await
    }
}

/// One service's calls in the range.
pub struct ServiceVoiceUsage {
    service: i64,
    total: CallTotals,
}

/// One service's calls in the range.
#[Object]
impl ServiceVoiceUsage {
    /// The service.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Service> {
        follow(ctx, self.service).await
    }

    /// Number of calls.
    async fn call_count(&self) -> i64 {
        self.total.count
    }

    /// Seconds on the phone.
    async fn total_seconds(&self) -> BigInt {
        BigInt(self.total.seconds)
    }

    /// What the calls cost.
    async fn total_cost(&self) -> Decimal {
        self.total.cost.into()
    }
}

/// One voice call.
pub struct VoiceCall(pub voice_call::Model);

crate::connection_names!(VoiceCall => "VoiceCallConnection", "VoiceCallEdge";);

crate::part_of_account!(VoiceCall, VoiceCall, voice_call, VoiceCallOf);

/// One recorded call of a voice service: time, destination, duration and cost.
#[Object]
impl VoiceCall {
    /// ID of the call.
    pub async fn id(&self) -> ID {
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

/// Usage recording (admins and the accounting feed).
#[Object]
impl UsageMutation {
    /// Record an Internet session (admins).
    #[graphql(guard = "Staff")]
    async fn record_internet_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do: see the input type.")] input: RecordInternetSessionInput,
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
        #[graphql(desc = "What to do: see the input type.")] input: RecordVoiceCallInput,
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
