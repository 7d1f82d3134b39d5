//! Times the portal's sub-accounts page (50 rows with every column, capabilities,
//! `services(first: 10) { tariff }` and `activity(first: 5)`) over HTTP, on SQLite with
//! 1,000 sub-accounts in the database. Run with `cargo bench --bench subaccounts_page`.
//! Prints mean, p50 and p99 latency and the SQL statements per request.

use std::time::{Duration, Instant};

use chrono::Utc;
use portal_api::{
    AppState,
    auth::Subject,
    config::{Config, DbArgs, Mode},
};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use entity::{
    account, activity,
    enums::{AccountStatus, BillingMode, BillingPeriod, ServiceStatus, SubAccountType, TariffKind},
    portal_settings, service, tariff,
};

const SUBS: usize = 1_000;
const WARMUP: usize = 20;
const RUNS: usize = 300;

const PAGE: &str = "{ viewer { account { subAccounts(first: 50) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id fullName status address { street city zipCode country } activeServicesCount billingMode totalServiceCost subAccountType linkedAt
    capabilities { viewDetails order pauseServices changeServices viewInternetUsage viewVoiceUsage viewDocuments manageTickets manageOrders }
    services(first: 10) { totalCount nodes { id status price tariff { id name price } } }
    activity(first: 5) { nodes { id action at } } } } } } }";

fn account_row(
    login: String,
    main: Option<i64>,
    kind: Option<SubAccountType>,
    status: AccountStatus,
) -> account::ActiveModel {
    let now = Utc::now();
    account::ActiveModel {
        partner_id: Set(1),
        search_text: Set(login.clone()),
        full_name: Set(format!("Customer {login}")),
        login: Set(login),
        password_hash: Set("!bench".into()),
        email: Set(None),
        status: Set(status),
        billing_mode: Set(BillingMode::Recurring),
        street: Set("1 Bench Street".into()),
        city: Set("Benchville".into()),
        zip_code: Set("00000".into()),
        country: Set("DE".into()),
        currency: Set("EUR".into()),
        balance_minor: Set(0),
        main_account_id: Set(main),
        sub_account_type: Set(kind),
        linked_at: Set(main.map(|_| now)),
        sub_account_management: Set(main.is_none()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

async fn fill(state: &AppState) -> anyhow::Result<i64> {
    let db = &state.db;
    let now = Utc::now();
    let t = tariff::ActiveModel {
        name: Set("Fiber".into()),
        kind: Set(TariffKind::Internet),
        period: Set(BillingPeriod::Monthly),
        price_minor: Set(299_000),
        tax_percent_minor: Set(190_000),
        allows_self_change: Set(true),
        download_speed_kbps: Set(Some(100_000)),
        upload_speed_kbps: Set(Some(20_000)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let main = account_row("main".into(), None, None, AccountStatus::Active)
        .insert(db)
        .await?;
    let txn = portal_api::db::write_txn(db).await?;
    let statuses = [
        AccountStatus::Active,
        AccountStatus::New,
        AccountStatus::Blocked,
        AccountStatus::Inactive,
    ];
    for i in 0..SUBS {
        let kind = if i % 4 == 0 {
            SubAccountType::Independent
        } else {
            SubAccountType::Aggregated
        };
        let sub = account_row(
            format!("sub{i:04}"),
            Some(main.id),
            Some(kind),
            statuses[i % 4],
        )
        .insert(&txn)
        .await?;
        let services = (0..(i % 3 + 1)).map(|_| service::ActiveModel {
            account_id: Set(sub.id),
            tariff_id: Set(t.id),
            description: Set("Fiber".into()),
            status: Set(ServiceStatus::Active),
            billing_period: Set(BillingPeriod::Monthly),
            price_minor: Set(t.price_minor),
            start_date: Set(Some(now.date_naive())),
            end_date: Set(None),
            paid_through: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        service::Entity::insert_many(services).exec(&txn).await?;
        let entries = (0..3).map(|n| activity::ActiveModel {
            account_id: Set(sub.id),
            actor_kind: Set(Some(entity::enums::ActorKind::System)),
            action: Set(format!("bench.step{n}")),
            details: Set("{}".into()),
            created_at: Set(now),
            ..Default::default()
        });
        activity::Entity::insert_many(entries).exec(&txn).await?;
    }
    txn.commit().await?;
    // Independent sub-accounts open up too, so every row carries its nested lists.
    let mut settings: portal_settings::ActiveModel =
        portal_api::domain::catalog::portal_settings(db)
            .await?
            .into();
    settings.independent_sub_account_access = Set(true);
    settings.update(db).await?;
    Ok(main.id)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::temp_dir().join(format!("portal-bench-{}.db", uuid::Uuid::new_v4()));
    let args = DbArgs {
        db_max_connections: 8,
        billing_workers: 4,
        ..DbArgs::new(format!("sqlite://{}?mode=rwc", path.display()))
    };
    // The benchmark measures the page, not the rate limiter.
    let config = Config {
        rate_limit_burst: u64::MAX >> 12,
        ..Config::new(&args, None, Mode::Development)
    };
    let state = AppState::init(config.clone()).await?;
    let main_id = fill(&state).await?;
    let (token, _) = state
        .jwt
        .issue(Subject::Account(main_id), Duration::from_secs(3600))?;
    // The same page from two servers over one database, side by side: documents prepared
    // once (the default) and prepared on every request.
    let mut servers = Vec::new();
    for (label, cache) in [("prepared once", 1024), ("prepared every request", 0)] {
        let state = AppState::init(Config {
            prepared_cache: cache,
            ..config.clone()
        })
        .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = portal_api::http::app(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        servers.push((label, addr, state, Vec::with_capacity(RUNS)));
    }

    let client = reqwest::Client::new();
    let body = json!({ "query": PAGE });
    let run = |addr: std::net::SocketAddr| {
        let (client, body, token) = (&client, &body, &token);
        async move {
            let resp = client
                .post(format!("http://{addr}/graphql"))
                .bearer_auth(token)
                .json(body)
                .send()
                .await?;
            let value: serde_json::Value = resp.json().await?;
            anyhow::ensure!(
                value.get("errors").is_none(),
                "errors: {}",
                value["errors"][0]
            );
            anyhow::ensure!(
                value["data"]["viewer"]["account"]["subAccounts"]["nodes"]
                    .as_array()
                    .map(Vec::len)
                    == Some(50)
            );
            Ok::<_, anyhow::Error>(())
        }
    };
    for (_, addr, _, _) in &servers {
        for _ in 0..WARMUP {
            run(*addr).await?;
        }
    }
    let before: Vec<u64> = servers.iter().map(|s| s.2.metrics.db_queries()).collect();
    for _ in 0..RUNS {
        for (_, addr, _, times) in servers.iter_mut() {
            let started = Instant::now();
            run(*addr).await?;
            times.push(started.elapsed());
        }
    }
    let mut means = Vec::new();
    for ((label, _, state, times), before) in servers.iter_mut().zip(before) {
        let statements = (state.metrics.db_queries() - before) as f64 / RUNS as f64;
        times.sort();
        let mean = times.iter().sum::<Duration>() / RUNS as u32;
        means.push(mean.as_secs_f64());
        println!(
            "sub-accounts page, 50 of {SUBS} rows, SQLite, {label}: mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, {statements:.1} SQL statements/request ({RUNS} runs)",
            mean.as_secs_f64() * 1e3,
            percentile(times, 0.5).as_secs_f64() * 1e3,
            percentile(times, 0.99).as_secs_f64() * 1e3,
        );
    }
    println!(
        "prepared once ÷ prepared every request: {:.3}× the time",
        means[0] / means[1]
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}
