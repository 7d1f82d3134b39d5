//! The command line as a newcomer uses it: seed the demo, mint an admin token with `token`,
//! run `serve` on the same database, and both agree; SIGTERM shuts down gracefully.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use chrono::Datelike;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_portal-api");

/// Starts `portal-api serve` on a free port with `args` and `env` added; the process and the
/// address it printed.
pub fn serve(db: &str, args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut server = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env("DATABASE_URL", db)
        .env_remove("PORTAL_JWT_SECRET")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("serve prints its address")
            .expect("line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().expect("address").to_string();
        }
    };
    (server, addr)
}

pub fn run(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .env_remove("PORTAL_JWT_SECRET")
        .env("RUST_LOG", "warn")
        .output()
        .expect("portal-api runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8 output")
}

pub async fn post(
    client: &reqwest::Client,
    addr: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut req = client
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("sent").json().await.expect("json")
}

/// The demo main account's access token (`main` / `demo-pass`).
pub async fn login(client: &reqwest::Client, addr: &str) -> String {
    let body = post(
        client,
        addr,
        None,
        "mutation { login(input: {login: \"main\", password: \"demo-pass\"}) { accessToken } }",
        json!({}),
    )
    .await;
    body["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string()
}

#[tokio::test]
async fn seed_token_and_serve_work_together_on_the_embedded_database() {
    let path = std::env::temp_dir().join(format!("portal-cli-{}.db", uuid::Uuid::new_v4()));
    let db = format!("sqlite://{}?mode=rwc", path.display());

    let seeded = run(&db, &["seed", "--demo"]);
    assert!(
        seeded.contains("main account: main (demo-pass)"),
        "{seeded}"
    );
    let token = run(&db, &["token", "--admin"]).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    let (mut server, addr) = serve(&db, &[], &[]);

    let client = reqwest::Client::new();
    let who = post(
        &client,
        &addr,
        Some(&token),
        "{ viewer { role } }",
        json!({}),
    )
    .await;
    assert_eq!(who["data"]["viewer"]["role"], "ADMIN", "{who}");
    let main_token = login(&client, &addr).await;
    let page = post(&client, &addr, Some(&main_token), "{ viewer { account { subAccounts { totalCount } recentlyLinkedSubAccounts { status } } } }", json!({})).await;
    assert_eq!(
        page["data"]["viewer"]["account"]["subAccounts"]["totalCount"], 12,
        "{page}"
    );
    assert_eq!(
        page["data"]["viewer"]["account"]["recentlyLinkedSubAccounts"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );

    // The demo sub-accounts come with tickets, documents and a month of usage.
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (
        (today - chrono::Duration::days(31)).to_string(),
        (today + chrono::Duration::days(1)).to_string(),
    );
    let care = post(
        &client,
        &addr,
        Some(&main_token),
        "query($f: Date!, $t: Date!) { viewer { account { subAccounts(first: 1, filter: {search: \"Mitte\"}) { nodes { tickets { totalCount } documents { totalCount } internetUsage(from: $f, to: $t) { downloadBytes points { periodStart } } } } } } }",
        json!({ "f": from, "t": to }),
    )
    .await;
    let row = &care["data"]["viewer"]["account"]["subAccounts"]["nodes"][0];
    assert_eq!(row["tickets"]["totalCount"], 1, "{care}");
    assert_eq!(row["documents"]["totalCount"], 1, "{care}");
    assert_eq!(
        row["internetUsage"]["points"].as_array().map(Vec::len),
        Some(30),
        "{care}"
    );

    // The first sub-account orders within spending controls; one request is about to expire.
    let controls = post(
        &client,
        &addr,
        Some(&main_token),
        "{ viewer { account { subAccounts(first: 1, filter: {search: \"Mitte\"}) { nodes { spendingControls { monthlyCap autoApproveUpTo spentThisMonth } orders { nodes { status expiresAt } } } } } } }",
        json!({}),
    )
    .await;
    let row = &controls["data"]["viewer"]["account"]["subAccounts"]["nodes"][0];
    assert_eq!(
        row["spendingControls"]["monthlyCap"], "300.00",
        "{controls}"
    );
    assert_eq!(row["spendingControls"]["autoApproveUpTo"], "40.00");
    let orders = row["orders"]["nodes"].as_array().expect("orders");
    assert!(orders.iter().any(|o| o["status"] == "PAID"), "{controls}");
    let waiting = orders
        .iter()
        .find(|o| o["status"] == "AWAITING_MAIN_APPROVAL")
        .expect("a waiting order");
    let expires: chrono::DateTime<chrono::Utc> = waiting["expiresAt"]
        .as_str()
        .expect("a deadline")
        .parse()
        .expect("a time");
    assert!(
        expires - chrono::Utc::now() < chrono::Duration::days(1),
        "about to expire"
    );

    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = server.wait().expect("server exits");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[test]
fn export_schema_prints_the_sdl() {
    let out = Command::new(BIN)
        .arg("export-schema")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).expect("utf8"),
        portal_api::graphql::sdl()
    );
}

/// `bill --month` for cron: a month of the demo is billed once; a second run and a bad month say so.
#[test]
fn bill_runs_a_month_once_from_the_command_line() {
    let path = std::env::temp_dir().join(format!("portal-bill-{}.db", uuid::Uuid::new_v4()));
    let db = format!("sqlite://{}?mode=rwc", path.display());
    run(&db, &["seed", "--demo"]);
    // The demo: the main account (its own and its aggregated sub-accounts' services) and two
    // independent sub-accounts with active services pay; the standalone customer has none.
    // Next month: the demo's services all started before it and its ended ones end before it.
    let next = chrono::Utc::now()
        .date_naive()
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .expect("next month");
    let month = next.format("%Y-%m").to_string();
    let first = run(&db, &["bill", "--month", &month]);
    assert!(
        first.trim().starts_with(&format!(
            "Billed {}: 3 invoices issued (0 unpaid), 0 services activated, 0 payers failed;",
            next.format("%B %Y")
        )),
        "{first}"
    );
    let second = run(&db, &["bill", "--month", &month]);
    assert!(second.contains(": 0 invoices issued"), "{second}");
    for (month, why) in [
        ("2026-13", "bad month"),
        ("2999-01", "at most one month in advance"),
    ] {
        let out = Command::new(BIN)
            .args(["bill", "--month", month])
            .env("DATABASE_URL", &db)
            .env("RUST_LOG", "warn")
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{month}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{month}: {err}");
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Two `bill` runs of one month at once (two processes, several workers each) bill every
/// payer once, and together report exactly the invoices written.
#[tokio::test]
async fn two_billing_runs_at_once_bill_each_payer_once() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = crate::helpers::TestApp::spawn().await;
    portal_api::fixtures::bench::bench(
        &app.state.db,
        portal_api::fixtures::bench::Size {
            mains: 12,
            subs_per_main: 6,
            usage_days: 0,
        },
    )
    .await
    .expect("generated");
    let url = app.state.config.database_url.clone();
    let month = chrono::Utc::now().date_naive().format("%Y-%m").to_string();
    let spawn = || {
        Command::new(BIN)
            .args(["bill", "--month", &month, "--billing-workers", "4"])
            .env("DATABASE_URL", &url)
            .env_remove("PORTAL_JWT_SECRET")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bill runs")
    };
    let (a, b) = (spawn(), spawn());
    let mut reported = 0;
    for child in [a, b] {
        let out = child.wait_with_output().expect("finished");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let issued: i64 = text
            .split(": ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count in {text}"));
        reported += issued;
    }
    let count = |sql: &str| {
        let db = &app.state.db;
        let sql = sql.to_string();
        async move {
            db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("count")
                .expect("row")
                .try_get_by_index::<i64>(0)
                .expect("number")
        }
    };
    let written = count("SELECT COUNT(*) FROM invoices WHERE period_start IS NOT NULL").await;
    assert!(written > 20, "payers billed: {written}");
    assert_eq!(reported, written, "the runs report what they wrote");
    assert_eq!(
        count("SELECT COUNT(*) FROM (SELECT account_id FROM invoices WHERE period_start IS NOT NULL GROUP BY account_id HAVING COUNT(*) > 1) twice").await,
        0,
        "no payer billed twice"
    );
}

#[tokio::test]
async fn metrics_have_their_own_address_and_demo_logins_only_a_demo_server() {
    let file = std::env::temp_dir().join(format!("portal-cli-{}.db", uuid::Uuid::new_v4()));
    let db = format!("sqlite://{}?mode=rwc", file.display());
    let mut server = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--metrics-bind",
            "127.0.0.1:0",
        ])
        .env("DATABASE_URL", &db)
        .env_remove("PORTAL_JWT_SECRET")
        .env_remove("PORTAL_METRICS_TOKEN")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let (mut api, mut metrics) = (None, None);
    while api.is_none() || metrics.is_none() {
        let line = lines.next().expect("serve prints").expect("line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            api = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.strip_prefix("metrics at http://") {
            metrics = rest.split('/').next().map(str::to_string);
        }
    }
    let (api, metrics) = (api.expect("api"), metrics.expect("metrics"));
    let client = reqwest::Client::new();
    let get = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.expect("sent") }
    };
    let scraped = get(format!("http://{metrics}/metrics")).await;
    assert_eq!(scraped.status(), reqwest::StatusCode::OK);
    assert!(scraped.text().await.expect("text").contains("portal_"));
    assert_eq!(
        get(format!("http://{api}/metrics")).await.status(),
        reqwest::StatusCode::NOT_FOUND,
        "not on the public port"
    );
    // Without demo data, the playground publishes no password.
    let examples = get(format!("http://{api}/playground/examples.js"))
        .await
        .text()
        .await
        .expect("text");
    assert!(!examples.contains("demo-pass"), "{examples}");
    assert!(examples.contains("Login"));
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn the_manifest_a_client_downloads_names_documents_the_server_runs_by_id() {
    use sha2::{Digest, Sha256};
    let out = Command::new(BIN)
        .args(["operations", "--manifest"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let manifest: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(manifest["format"], "apollo-persisted-query-manifest");
    let operations = manifest["operations"].as_array().expect("operations");
    assert!(operations.len() >= 20, "{manifest}");
    for op in operations {
        let body = op["body"].as_str().expect("body");
        let digest: String = Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            op["id"],
            format!("sha256:{digest}"),
            "the id is the SHA-256 of the text"
        );
    }
    let tariffs = operations
        .iter()
        .find(|op| op["name"] == "Tariffs")
        .expect("Tariffs");
    assert_eq!(tariffs["type"], "query");
    let app = crate::helpers::TestApp::spawn().await;
    let answer: Value = app
        .client
        .post(format!("http://{}/graphql", app.addr))
        .bearer_auth(app.admin())
        .json(&json!({ "documentId": tariffs["id"] }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(answer["data"]["tariffs"].is_array(), "{answer}");
}
