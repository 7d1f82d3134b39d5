//! All settings, from command-line flags or environment variables, with embedded defaults.
//! Secrets are never printed: `Debug` redacts them.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};

/// Development mode turns on introspection and field suggestions for everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Development,
    Production,
}

/// Settings shared by every command that touches the database.
#[derive(Clone, Args)]
pub struct DbArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://portal.db?mode=rwc"
    )]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(long, env = "PORTAL_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Payers a billing run bills at once (each in its own transaction; one on SQLite).
    #[arg(long, env = "PORTAL_BILLING_WORKERS", default_value_t = 8)]
    pub billing_workers: usize,
    /// The ISP's time zone (IANA name, e.g. `Europe/Berlin`): days begin at midnight there.
    #[arg(long, env = "PORTAL_TIME_ZONE", default_value = "UTC", value_parser = parse_time_zone)]
    pub time_zone: chrono_tz::Tz,
}

impl DbArgs {
    /// The defaults the flags have, for a database URL (tests and tools).
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            db_max_connections: 16,
            billing_workers: 8,
            time_zone: chrono_tz::Tz::UTC,
        }
    }
}

fn parse_time_zone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("unknown time zone {s:?} (an IANA name such as Europe/Berlin)"))
}

fn parse_billing_day(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(day) if day <= 28 => Ok(day),
        _ => Err("a day of the month from 1 to 28, or 0 to turn the billing job off".into()),
    }
}

/// Settings of the HTTP server and of token signing.
#[derive(Clone, Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// HS256 secret for access tokens; when unset, one is generated once and kept in the database.
    #[arg(long, env = "PORTAL_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// `development` or `production`.
    #[arg(long, env = "PORTAL_MODE", value_enum, default_value = "development")]
    pub mode: Mode,
    /// Emit logs as JSON lines.
    #[arg(long, env = "PORTAL_LOG_JSON", default_value_t = false)]
    pub log_json: bool,
    #[command(flatten)]
    pub mail: MailArgs,
    /// Query-cost budget per subject (token bucket size).
    #[arg(long, env = "PORTAL_RATE_LIMIT_BURST", default_value_t = 100_000)]
    pub rate_limit_burst: u64,
    /// Query-cost points refilled per subject per second.
    #[arg(long, env = "PORTAL_RATE_LIMIT_PER_SECOND", default_value_t = 5_000)]
    pub rate_limit_per_second: u64,
    /// GraphQL operations executed at once per process; more wait their turn. 0 (the
    /// default) is twice the CPU cores: execution is CPU-bound, so more at once only adds
    /// contention and memory (each big page builds its whole response), while two per core
    /// keep a core busy while the other waits on the database.
    #[arg(long, env = "PORTAL_MAX_IN_FLIGHT", default_value_t = 0)]
    pub max_in_flight: usize,
    /// Payment gateway for `GATEWAY` payments; this build ships `test` (tok_ok / tok_declined).
    #[arg(long, env = "PORTAL_PAYMENT_GATEWAY", default_value = "test")]
    pub payment_gateway: String,
    /// Documents kept prepared per process (parsed, checked, validated once); 0 turns the
    /// cache off.
    #[arg(long, env = "PORTAL_PREPARED_CACHE", default_value_t = 1024)]
    pub prepared_cache: usize,
    /// Viewers (account and switches) kept per process on PostgreSQL, kept current by
    /// `NOTIFY` from triggers; 0 reads the viewer on every request.
    #[arg(long, env = "PORTAL_VIEWER_CACHE", default_value_t = 10_000)]
    pub viewer_cache: usize,
    /// Answer the queries whose every field a compiled plan knows without the resolvers
    /// (`false`: the resolvers answer everything; the answers are the same).
    #[arg(long, env = "PORTAL_COMPILED_PLANS", default_value_t = true, action = clap::ArgAction::Set)]
    pub compiled_plans: bool,
    /// Read an object's lists (and a page's rows' lists) in the object's own statement on
    /// PostgreSQL (`false`: each list in a statement of its own; the answers are the same).
    #[arg(long, env = "PORTAL_FOLDED_LISTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub folded_lists: bool,
    /// Day of the month (1..28) the scheduler bills the month; 0 turns the billing job off
    /// (for ISPs that run `portal-api bill` from cron).
    #[arg(long, env = "PORTAL_BILLING_DAY", default_value_t = 1, value_parser = parse_billing_day)]
    pub billing_day: u32,
    /// Addresses of load balancers in front of the server (comma-separated): from these the
    /// client's address is read from `X-Forwarded-For` (for login throttling).
    #[arg(long, env = "PORTAL_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How often the scheduler looks for due jobs, in seconds; 0 turns the scheduler off in
    /// this process.
    #[arg(long, env = "PORTAL_SCHEDULER_POLL_SECS", default_value_t = 30)]
    pub scheduler_poll_secs: u64,
    /// On SIGTERM, how long in-flight requests, the outbox and the scheduler get to finish
    /// (seconds) before the process exits anyway (`crate::shutdown`).
    #[arg(long, env = "PORTAL_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    /// On SIGTERM, how long the port stays open answering new requests 503 with
    /// `Retry-After` (seconds), so load balancers and clients move on before it closes.
    #[arg(long, env = "PORTAL_SHUTDOWN_DRAIN_SECS", default_value_t = 2)]
    pub shutdown_drain_secs: u64,
    /// Origins of portals allowed to call the API from a browser (comma-separated, exact
    /// `scheme://host[:port]`); none: same-origin only.
    #[arg(long, env = "PORTAL_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Trusted documents: `off`, `allow` (by id or by text), `require` (customers run the
    /// documents of `operations/` only; staff keep free text).
    #[arg(
        long,
        env = "PORTAL_TRUSTED_DOCUMENTS",
        value_enum,
        default_value = "allow"
    )]
    pub trusted_documents: TrustedDocuments,
    /// Serve `/metrics` (Prometheus) on its own address, e.g. `127.0.0.1:9464`, away from the
    /// public API port. Unset: no listener of its own.
    #[arg(long, env = "PORTAL_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Serve `/metrics` on the API port too, to callers that send
    /// `Authorization: Bearer <this token>`. Unset: not on the API port.
    #[arg(long, env = "PORTAL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Largest document upload, in MiB (the multipart body may be 64 KiB more).
    #[arg(long, env = "PORTAL_UPLOAD_LIMIT_MIB", default_value_t = 20)]
    pub upload_limit_mib: usize,
}

/// Where email goes: an SMTP server, or (without `--smtp-host`) `.eml` files in a folder.
#[derive(Clone, Args)]
pub struct MailArgs {
    /// SMTP server host; unset writes each message to `--outbox-dir` instead.
    #[arg(long, env = "PORTAL_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port.
    #[arg(long, env = "PORTAL_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// Use STARTTLS (off only for a local relay or tests).
    #[arg(long, env = "PORTAL_SMTP_STARTTLS", default_value_t = true, action = clap::ArgAction::Set)]
    pub smtp_starttls: bool,
    /// SMTP user name.
    #[arg(long, env = "PORTAL_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "PORTAL_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Sender address.
    #[arg(
        long,
        env = "PORTAL_MAIL_FROM",
        default_value = "Customer Portal <portal@localhost>"
    )]
    pub mail_from: String,
    /// Folder for `.eml` files when no SMTP server is set.
    #[arg(long, env = "PORTAL_OUTBOX_DIR", default_value = "outbox")]
    pub outbox_dir: PathBuf,
    /// How often the outbox worker looks for mail to send, in milliseconds.
    #[arg(long, env = "PORTAL_OUTBOX_POLL_MS", default_value_t = 2000)]
    pub outbox_poll_ms: u64,
}

impl MailArgs {
    /// The delivery these settings describe.
    pub fn delivery(&self) -> Delivery {
        match &self.smtp_host {
            Some(host) => Delivery::Smtp {
                host: host.clone(),
                port: self.smtp_port,
                starttls: self.smtp_starttls,
                credentials: self.smtp_username.clone().zip(self.smtp_password.clone()),
                from: self.mail_from.clone(),
            },
            None => Delivery::Folder {
                dir: self.outbox_dir.clone(),
                from: self.mail_from.clone(),
            },
        }
    }
}

/// The resolved configuration the app is built from.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub db_max_connections: u32,
    pub jwt_secret: Option<String>,
    pub mode: Mode,
    /// Issuer and audience claims of every token.
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub request_timeout: Duration,
    /// Name of the payment gateway (`test`).
    pub payment_gateway: String,
    /// Query-cost budget per subject and its refill per second.
    pub rate_limit_burst: u64,
    pub rate_limit_per_second: u64,
    /// GraphQL operations executed at once.
    pub max_in_flight: usize,
    /// Payers a billing run bills at once.
    pub billing_workers: usize,
    /// Documents kept prepared (parsed, limited, validated); 0 prepares every request.
    pub prepared_cache: usize,
    /// Viewers kept per process (PostgreSQL); 0 reads the viewer on every request.
    pub viewer_cache: usize,
    /// Queries a compiled plan knows are answered by it (`crate::plan`).
    pub compiled_plans: bool,
    /// Lists are read in their parent's statement where the engine can
    /// (`graphql::loaders::folding`).
    pub folded_lists: bool,
    /// The ISP's calendar: its time zone and billing day (when the scheduler's jobs are due).
    pub calendar: Calendar,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Browser origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// What is done with documents by id and free text.
    pub trusted_documents: TrustedDocuments,
    /// The token that opens `/metrics` on the API port (none: not served there).
    pub metrics_token: Option<String>,
    /// Largest document upload, in bytes.
    pub max_upload_bytes: usize,
    /// Demo data is served: the playground's example tabs carry the demo logins.
    pub demo: bool,
}

impl Config {
    pub fn new(db: &DbArgs, jwt_secret: Option<String>, mode: Mode) -> Self {
        Self {
            database_url: db.database_url.clone(),
            db_max_connections: db.db_max_connections,
            jwt_secret,
            mode,
            jwt_issuer: "portal-api".into(),
            jwt_audience: "portal".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            request_timeout: Duration::from_secs(10),
            payment_gateway: "test".into(),
            rate_limit_burst: 100_000,
            rate_limit_per_second: 5_000,
            max_in_flight: in_flight_for_cores(0),
            billing_workers: db.billing_workers.max(1),
            prepared_cache: 1024,
            viewer_cache: 10_000,
            compiled_plans: true,
            folded_lists: true,
            calendar: Calendar {
                zone: db.time_zone,
                billing_day: Some(1),
            },
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            trusted_documents: TrustedDocuments::Allow,
            metrics_token: None,
            max_upload_bytes: 20 * 1024 * 1024,
            demo: false,
        }
    }
}

/// The executions a process runs at once: `asked`, or for 0 twice the cores it may use
/// (measured in BENCHMARKS.md: on 2 cores, 4 at once served the 50-row pages 1.2-1.3x the
/// requests of 16 at once, at a lower p99 and peak RSS, and single-object reads alike).
pub fn in_flight_for_cores(asked: usize) -> usize {
    match asked {
        0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

impl Config {
    /// The configuration `serve` runs with: the shared defaults plus the server's flags.
    pub fn for_server(db: &DbArgs, server: &ServerArgs) -> Self {
        Self {
            payment_gateway: server.payment_gateway.clone(),
            rate_limit_burst: server.rate_limit_burst,
            rate_limit_per_second: server.rate_limit_per_second,
            max_in_flight: in_flight_for_cores(server.max_in_flight),
            prepared_cache: server.prepared_cache,
            viewer_cache: server.viewer_cache,
            compiled_plans: server.compiled_plans,
            folded_lists: server.folded_lists,
            calendar: Calendar {
                zone: db.time_zone,
                billing_day: (server.billing_day > 0).then_some(server.billing_day),
            },
            trusted_proxies: server.trusted_proxies.clone(),
            cors_origins: server
                .cors_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            trusted_documents: server.trusted_documents,
            metrics_token: server
                .metrics_token
                .clone()
                .filter(|t| !t.trim().is_empty()),
            max_upload_bytes: server.upload_limit_mib.max(1).saturating_mul(1024 * 1024),
            ..Self::new(db, server.jwt_secret.clone(), server.mode)
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("db_max_connections", &self.db_max_connections)
            .field(
                "jwt_secret",
                &self.jwt_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("mode", &self.mode)
            .field("calendar", &self.calendar)
            .finish()
    }
}

/// Drops a password from a database URL before it is logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// When jobs are due: the ISP's calendar as configured (its arithmetic: `jobs::calendar`).
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    /// The ISP's time zone: days begin at midnight there.
    pub zone: chrono_tz::Tz,
    /// Day of the month (1..=28) a month comes due for billing; `None` turns the billing
    /// job off (the ISP bills from cron).
    pub billing_day: Option<u32>,
}

/// Where mail goes.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// An SMTP server (plain or STARTTLS).
    Smtp {
        host: String,
        port: u16,
        starttls: bool,
        credentials: Option<(String, String)>,
        from: String,
    },
    /// A folder of `.eml` files (development without a mail server).
    Folder { dir: PathBuf, from: String },
}

/// What the server does with documents by id and free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrustedDocuments {
    /// Documents by text only; an id is `PERSISTED_QUERY_NOT_SUPPORTED`.
    Off,
    /// Both (the default).
    Allow,
    /// Customers (and anonymous callers) may run manifest documents only, by id or by their
    /// exact text; staff keep free text (the playground).
    Require,
}

#[cfg(test)]
mod tests {
    use super::{in_flight_for_cores, redact_url};

    #[test]
    fn executions_at_once_are_twice_the_cores_unless_set() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(in_flight_for_cores(0), 2 * cores);
        assert_eq!(in_flight_for_cores(3), 3);
    }

    #[test]
    fn a_password_in_the_database_url_is_never_logged() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/portal"),
            "postgres://app@db:5432/portal"
        );
        assert_eq!(
            redact_url("sqlite://portal.db?mode=rwc"),
            "sqlite://portal.db?mode=rwc"
        );
    }
}
