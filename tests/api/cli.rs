//! The command line as a newcomer uses it: seed the demo, mint an admin token with `token`,
//! run `serve` on the same database, and both agree; SIGTERM shuts down gracefully.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use chrono::Datelike;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_portal-api");

fn run(db: &str, args: &[&str]) -> String {
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

async fn post(
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

    let mut server = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db)
        .env_remove("PORTAL_JWT_SECRET")
        .env("RUST_LOG", "warn")
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
    let login = post(
        &client,
        &addr,
        None,
        "mutation { login(input: {login: \"main\", password: \"demo-pass\"}) { accessToken } }",
        json!({}),
    )
    .await;
    let main_token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();
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
    assert_eq!(
        first.trim(),
        format!(
            "Billed {}: 3 invoices issued (0 unpaid), 0 services activated.",
            next.format("%B %Y")
        )
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
