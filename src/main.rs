//! The `portal-api` command: serve, migrate, seed, bill, export-schema, token.

use std::{path::PathBuf, time::Duration};

use clap::{Parser, Subcommand};
use portal_api::{
    AppState,
    auth::Subject,
    config::{Config, DbArgs, Mode, ServerArgs},
    domain,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// mimalloc: a GraphQL request allocates many small short-lived objects, and glibc's
/// allocator spent about a fifth of the server's CPU on them under load (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option `arena_eager_commit` (its place in the option lists of mimalloc 2 and 3,
/// the versions it is set on).
#[cfg(target_os = "linux")]
const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;

/// mimalloc commits memory as it hands it out, not a whole arena at once: a page it frees is
/// then given back to the system when purged (`MADV_DONTNEED`), not left resident until the
/// system runs short. Side by side under load: peak RSS ~57-61 → ~43-45 MiB, requests/s
/// level. Set before the first allocation (mimalloc reserves its first arena then, under
/// the option as it is), so from the process's constructors, before Rust's runtime starts.
#[cfg(target_os = "linux")]
extern "C" fn commit_on_demand() {
    unsafe extern "C" {
        fn mi_version() -> std::ffi::c_int;
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // SAFETY: mimalloc's own version getter and setter of a plain option, called once,
    // before any thread.
    unsafe {
        if (2..=3).contains(&(mi_version() / 10_000)) {
            mi_option_set(ARENA_EAGER_COMMIT, 0);
        }
    }
}

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static COMMIT_ON_DEMAND: extern "C" fn() = commit_on_demand;

#[derive(Parser)]
#[command(
    name = "portal-api",
    version,
    about = "GraphQL API of an ISP customer portal, centred on sub-accounts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        server: Box<ServerArgs>,
        /// Seed demo data into an empty database and print the demo logins.
        #[arg(long, env = "PORTAL_DEMO", default_value_t = false)]
        demo: bool,
    },
    /// Write a consistent copy of the database to a new file while the server serves
    /// (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump --format=custom`).
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The file to write; it must not exist.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The trusted documents of `operations/` this build accepts by id: `id name` per line,
    /// or with `--manifest` the whole manifest as JSON (Apollo's persisted-query format).
    Operations {
        #[arg(long)]
        manifest: bool,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Fill the database with data.
    Seed {
        #[command(flatten)]
        db: DbArgs,
        /// The demo data set (a main account with a dozen sub-accounts, tariffs, services).
        #[arg(long, default_value_t = false, conflicts_with = "bench")]
        demo: bool,
        /// Generated data for the benchmark: `--mains` main accounts with
        /// `--subs-per-main` sub-accounts each, services, tickets, documents and usage.
        #[arg(long, default_value_t = false)]
        bench: bool,
        /// Main accounts to generate (with `--bench`).
        #[arg(long, default_value_t = 100, requires = "bench")]
        mains: u32,
        /// Sub-accounts per main account (with `--bench`).
        #[arg(long, default_value_t = 50, requires = "bench")]
        subs_per_main: u32,
        /// Days of Internet sessions and voice calls per active service (with `--bench`).
        #[arg(long, default_value_t = 30, requires = "bench")]
        usage_days: u32,
    },
    /// Run the recurring billing of a month (for cron): one invoice per paying account.
    /// Running a month again issues nothing new.
    Bill {
        #[command(flatten)]
        db: DbArgs,
        /// The month, e.g. `2026-12`.
        #[arg(long, value_parser = parse_month)]
        month: domain::billing::Month,
    },
    /// Recompute every account's active-services count and monthly total from its services
    /// and compare them with the totals the database keeps; exits 1 on any difference.
    CheckTotals {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write the GraphQL schema (SDL).
    ExportSchema {
        /// File to write; stdout without it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print a signed access token for the configuration the server uses.
    Token {
        #[command(flatten)]
        db: DbArgs,
        /// For the first staff user.
        #[arg(long, conflicts_with = "login", required_unless_present = "login")]
        admin: bool,
        /// For the customer account with this login.
        #[arg(long)]
        login: Option<String>,
        /// Lifetime, e.g. `15m`, `2h`, `1d`.
        #[arg(long, default_value = "15m", value_parser = parse_duration)]
        ttl: Duration,
        /// HS256 secret, when the server is configured with one.
        #[arg(long, env = "PORTAL_JWT_SECRET", hide_env_values = true)]
        jwt_secret: Option<String>,
    },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad duration {s:?}: use e.g. 15m, 2h, 1d"))?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("bad duration unit in {s:?}: use s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

fn parse_month(s: &str) -> Result<domain::billing::Month, String> {
    domain::billing::Month::parse(s).ok_or_else(|| format!("bad month {s:?}: use e.g. 2026-12"))
}

fn init_tracing(json: bool) -> portal_api::telemetry::Telemetry {
    portal_api::telemetry::init(json)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { db, server, demo } => {
            let _telemetry = init_tracing(server.log_json);
            let config = Config {
                demo,
                ..Config::for_server(&db, &server)
            };
            let state = AppState::init(config).await?;
            if demo {
                if portal_api::fixtures::demo::demo(&state.db).await? {
                    println!("Seeded demo data.");
                }
                println!("{}", portal_api::fixtures::demo::credentials());
            }
            serve(state, *server).await
        }
        Command::CheckTotals { db } => {
            let _telemetry = init_tracing(false);
            let state = AppState::init(Config::new(&db, None, Mode::Development)).await?;
            let drift = domain::service::reconcile(&state.db).await?;
            for d in &drift {
                println!(
                    "account {}: kept {:?}, its services add up to {:?}",
                    d.account_id, d.kept, d.counted
                );
            }
            if drift.is_empty() {
                println!("Every account's totals agree with its services.");
                Ok(())
            } else {
                anyhow::bail!(
                    "{} accounts' totals differ from their services",
                    drift.len()
                )
            }
        }
        Command::Backup { db, out } => {
            let _telemetry = init_tracing(false);
            let bytes = portal_api::db::backup::backup(&db.database_url, &out).await?;
            println!("Backed up to {} ({bytes} bytes).", out.display());
            Ok(())
        }
        Command::Operations { manifest } => {
            use portal_api::gate::trusted;
            if manifest {
                println!("{:#}", trusted::manifest_json());
            } else {
                for op in trusted::OPERATIONS {
                    println!("{} {}", trusted::document_id(op.document), op.name);
                }
            }
            Ok(())
        }
        Command::Migrate { db } => {
            let _telemetry = init_tracing(false);
            AppState::init(Config::new(&db, None, Mode::Development)).await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::Seed {
            db,
            demo,
            bench,
            mains,
            subs_per_main,
            usage_days,
        } => {
            let _telemetry = init_tracing(false);
            anyhow::ensure!(demo || bench, "say which data set: --demo or --bench");
            let state = AppState::init(Config::new(&db, None, Mode::Development)).await?;
            if bench {
                let started = std::time::Instant::now();
                let size = portal_api::fixtures::bench::Size {
                    mains,
                    subs_per_main,
                    usage_days,
                };
                let out = portal_api::fixtures::bench::bench(&state.db, size).await?;
                println!(
                    "Generated {} accounts, {} services, {} tickets, {} documents, {} usage rows in {:.1?}. Password of every account: {}",
                    out.accounts,
                    out.services,
                    out.tickets,
                    out.documents,
                    out.usage_rows,
                    started.elapsed(),
                    portal_api::fixtures::bench::BENCH_PASSWORD
                );
                return Ok(());
            }
            if portal_api::fixtures::demo::demo(&state.db).await? {
                println!("Seeded demo data.");
            } else {
                println!("The database already has accounts; nothing seeded.");
            }
            println!("{}", portal_api::fixtures::demo::credentials());
            Ok(())
        }
        Command::Bill { db, month } => {
            let _telemetry = init_tracing(false);
            let state = AppState::init(Config::new(&db, None, Mode::Development)).await?;
            let viewer = portal_api::auth::Viewer::System;
            let workers = domain::billing::workers_for(&state.db, state.config.billing_workers);
            let progress = std::sync::Mutex::new(None::<portal_api::progress::Progress>);
            let started = std::time::Instant::now();
            let outcome = domain::billing::run(
                &state.db,
                &viewer,
                month.first,
                domain::today(),
                workers,
                &|p| {
                    let mut bar = progress.lock().unwrap_or_else(|e| e.into_inner());
                    bar.get_or_insert_with(|| {
                        portal_api::progress::Progress::new("payers", p.total as u64)
                    })
                    .show(p.done as u64, "");
                },
            )
            .await
            .map_err(|e| match e {
                portal_api::error::AppError::User(refusals) => anyhow::anyhow!(
                    "{}",
                    refusals
                        .iter()
                        .map(|r| r.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                other => anyhow::Error::new(other),
            })?;
            if let Some(bar) = progress.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                bar.finish();
            }
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "Billed {}: {} invoices issued ({} unpaid), {} services activated, {} payers failed; {:.1} s, {:.0} invoices/s with {workers} {}.",
                month.label(),
                outcome.invoices_issued,
                outcome.invoices_unpaid,
                outcome.services_activated,
                outcome.payers_failed,
                seconds,
                f64::from(outcome.invoices_issued) / seconds.max(1e-9),
                if workers == 1 { "worker" } else { "workers" },
            );
            if outcome.payers_failed > 0 {
                anyhow::bail!(
                    "{} payers failed (see the log); run the month again to bill them",
                    outcome.payers_failed
                );
            }
            Ok(())
        }
        Command::ExportSchema { out } => {
            let sdl = portal_api::graphql::sdl();
            match out {
                Some(path) => std::fs::write(path, sdl)?,
                None => print!("{sdl}"),
            }
            Ok(())
        }
        Command::Token {
            db,
            admin,
            login,
            ttl,
            jwt_secret,
        } => {
            let _telemetry = init_tracing(false);
            let state = AppState::init(Config::new(&db, jwt_secret, Mode::Development)).await?;
            let subject = if admin {
                Subject::Staff(domain::bootstrap::first_staff(&state.db).await?.id)
            } else {
                let login = login.unwrap_or_default();
                let account = entity::account::Entity::find()
                    .filter(entity::account::Column::Login.eq(login.as_str()))
                    .one(&state.db)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no account with login {login:?}"))?;
                Subject::Account(account.id)
            };
            let (token, _) = state.jwt.issue(subject, ttl)?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(state: AppState, server: ServerArgs) -> anyhow::Result<()> {
    let stop = state.shutdown.clone();
    let delivery = server.mail.delivery();
    tracing::info!(?delivery, "email delivery");
    let mut jobs = vec![portal_api::jobs::outbox::spawn(
        state.db.clone(),
        delivery,
        Duration::from_millis(server.mail.outbox_poll_ms.max(50)),
        stop.clone(),
    )];
    if server.scheduler_poll_secs > 0 {
        use portal_api::jobs::{scheduler::Scheduler, work::Jobs};
        jobs.push(Scheduler::new(&state, std::sync::Arc::new(Jobs)).spawn(
            Duration::from_secs(server.scheduler_poll_secs),
            stop.clone(),
        ));
    }
    if let Some(bind) = server.metrics_bind {
        // Prometheus scrapes its own address, away from the public API port.
        let metrics = tokio::net::TcpListener::bind(bind).await?;
        println!("metrics at http://{}/metrics", metrics.local_addr()?);
        let router = portal_api::http::health::router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics, router).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(server.bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!(
        "portal-api listening on http://{addr} — the portal at http://{addr}/portal/, GraphiQL at http://{addr}/graphql"
    );
    tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown_signal().await;
            stop.begin();
        }
    });
    // On the signal: /readyz says 503 and new requests get 503 with Retry-After for the
    // drain period, then the port closes; requests under way finish, WebSockets close with
    // 1001, the jobs finish their unit of work; after the grace period the process exits
    // with whatever is left.
    let grace = Duration::from_secs(server.shutdown_grace_secs);
    let drain = Duration::from_secs(server.shutdown_drain_secs).min(grace);
    let serving = axum::serve(
        listener,
        portal_api::http::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown({
        let stop = stop.clone();
        async move {
            stop.wait().await;
            tokio::time::sleep(drain).await;
        }
    });
    let mut serving = std::pin::pin!(serving.into_future());
    let ended = tokio::select! {
        served = &mut serving => Some(served),
        () = stop.wait() => None,
    };
    stop.begin();
    let deadline = tokio::time::Instant::now() + grace;
    let served = match ended {
        Some(served) => served,
        None => match tokio::time::timeout_at(deadline, serving).await {
            Ok(served) => served,
            Err(_) => {
                tracing::warn!("the grace period is over with requests still open");
                Ok(())
            }
        },
    };
    let finished = tokio::time::timeout_at(deadline, async {
        for job in jobs {
            let _ = job.await;
        }
    })
    .await;
    if finished.is_err() {
        tracing::warn!("the outbox or the scheduler had not finished within the grace period");
    }
    served?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
