//! `TestApp`: a real server on 127.0.0.1:0 with its own fresh database; the fixtures the
//! tests share (accounts, links, switches, partners, tariffs) are in [`fixtures`].

mod fixtures;

pub use fixtures::Tenant;

use std::{path::PathBuf, time::Duration};

use portal_api::{
    AppState,
    auth::Subject,
    config::{Config, DbArgs, Mode},
};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, EntityTrait, QueryOrder};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct-horse-battery";
/// The token that opens `/metrics` on a test server's API port.
pub const METRICS_TOKEN: &str = "metrics-token-of-the-tests";

/// Where the test's database lives, removed when it is dropped.
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh, empty database: a new SQLite file, or a new PostgreSQL database when
    /// `TEST_DATABASE_URL` is set. Its URL and the guard that removes it.
    pub async fn create() -> (String, TestDb) {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("portal_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .expect("URL with a database");
                (
                    format!("{base}/{name}"),
                    TestDb::Postgres { admin_url, name },
                )
            }
            _ => {
                let path =
                    std::env::temp_dir().join(format!("portal-test-{}.db", uuid::Uuid::new_v4()));
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    TestDb::Sqlite(path),
                )
            }
        }
    }
}

/// Serves the app of `state` on 127.0.0.1:0, with connect info (as `serve` does).
async fn serve(state: &AppState) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let app = portal_api::http::app(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("server runs");
    });
    addr
}

/// A second server on a [`TestApp`]'s database.
pub struct Replica {
    pub state: AppState,
    pub addr: std::net::SocketAddr,
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    admin_token: String,
    db: TestDb,
}

impl TestApp {
    /// Starts a server with a fresh, migrated database; returns once `/readyz` answers.
    pub async fn spawn() -> TestApp {
        Self::spawn_in(Mode::Development).await
    }

    /// The same, in the given mode (production hides introspection from customers).
    pub async fn spawn_in(mode: Mode) -> TestApp {
        Self::spawn_with(mode, |_| {}).await
    }

    /// The same, with the configuration adjusted (e.g. a tiny rate-limit budget).
    pub async fn spawn_with(mode: Mode, tweak: impl FnOnce(&mut Config)) -> TestApp {
        // `TEST_LOG=error cargo test …` shows the server's log lines (e.g. the cause of an
        // internal error) beside the test's output.
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let (url, db) = TestDb::create().await;
        let args = DbArgs {
            db_max_connections: 8,
            billing_workers: 4,
            ..DbArgs::new(url)
        };
        let mut config = Config::new(
            &args,
            Some("test-secret-test-secret-test-secret!".into()),
            mode,
        );
        config.metrics_token = Some(METRICS_TOKEN.into());
        tweak(&mut config);
        let state = AppState::init(config).await.expect("app starts");
        let addr = serve(&state).await;
        let staff = entity::staff_user::Entity::find()
            .order_by_asc(entity::staff_user::Column::Id)
            .one(&state.db)
            .await
            .expect("query")
            .expect("bootstrap staff user");
        let (admin_token, _) = state
            .jwt
            .issue(Subject::Staff(staff.id), Duration::from_secs(600))
            .expect("token");
        let client = reqwest::Client::new();
        let app = TestApp {
            addr,
            state,
            client,
            admin_token,
            db,
        };
        app.wait_ready().await;
        app
    }

    /// A replica without compiled plans: every field through its resolver.
    pub async fn resolvers(&self) -> Replica {
        self.replica_with(|c| c.compiled_plans = false).await
    }

    /// This server (its plans answer what they compile) and `resolvers` ([`Self::resolvers`]):
    /// the two paths an answer must agree on, each with its name, address and state.
    pub fn paths<'a>(
        &'a self,
        resolvers: &'a Replica,
    ) -> [(&'static str, std::net::SocketAddr, &'a AppState); 2] {
        [
            ("plan", self.addr, &self.state),
            ("resolvers", resolvers.addr, &resolvers.state),
        ]
    }

    /// Another replica of this server: its own process state (pool, caches, scheduler) and
    /// HTTP listener, on the same database.
    pub async fn replica(&self) -> Replica {
        self.replica_with(|_| {}).await
    }

    /// The same, started with other settings (a restart with a new billing day).
    pub async fn replica_with(&self, tweak: impl FnOnce(&mut Config)) -> Replica {
        let mut config = (*self.state.config).clone();
        tweak(&mut config);
        let state = AppState::init(config).await.expect("replica starts");
        let addr = serve(&state).await;
        // Its viewers are read afresh until its listener is live: counted statements differ.
        tokio::time::timeout(std::time::Duration::from_secs(30), state.listener.live())
            .await
            .expect("the replica's listener is live");
        Replica { state, addr }
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.client.get(self.url("/readyz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("server never became ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn admin(&self) -> &str {
        &self.admin_token
    }

    /// POSTs a GraphQL request; returns the status and the JSON body.
    pub async fn graphql(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        self.graphql_at(self.addr, query, variables, token).await
    }

    /// The same, sent to the server at `server` (a replica).
    pub async fn graphql_at(
        &self,
        server: std::net::SocketAddr,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!("http://{server}/graphql"))
            .header(
                "accept",
                "application/graphql-response+json, application/json",
            )
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let body = resp.json::<Value>().await.expect("JSON body");
        (status, body)
    }

    /// POSTs a GraphQL multipart request (uploads): `variables` hold null at `file`
    /// (`"f"` for `variables.f`), the file goes as part "0" with `mime`, and the CSRF header
    /// a browser form cannot send is added when `csrf_header`.
    #[allow(clippy::too_many_arguments)]
    pub async fn multipart(
        &self,
        token: &str,
        query: &str,
        variables: Value,
        file: &str,
        (bytes, filename, mime): (Vec<u8>, &str, &str),
        csrf_header: bool,
    ) -> (StatusCode, Value) {
        let operations = json!({ "query": query, "variables": variables });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text(
                "map",
                json!({ "0": [format!("variables.{file}")] }).to_string(),
            )
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(filename.to_string())
                    .mime_str(mime)
                    .expect("mime"),
            );
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .multipart(form);
        if csrf_header {
            req = req.header("x-requested-with", "portal-tests");
        }
        let resp = req.send().await.expect("sent");
        let status = resp.status();
        (status, resp.json().await.expect("json"))
    }

    /// A request that must succeed without errors; returns `data`.
    pub async fn ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.ok_at(self.addr, query, variables, token).await
    }

    /// The same, sent to the server at `server` (a replica).
    pub async fn ok_at(
        &self,
        server: std::net::SocketAddr,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> Value {
        let (status, body) = self.graphql_at(server, query, variables, token).await;
        assert_eq!(status, StatusCode::OK, "unexpected status, body: {body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The account's activity entries with `action` (all with `None`), newest first, as
    /// staff see them.
    pub async fn activity_of(&self, account: &str, action: Option<&str>) -> Vec<Value> {
        let data = self
            .ok(
                "query($a: ID!) { node(id: $a) { ... on Account { activity(first: 100) { nodes { action details } } } } }",
                json!({ "a": account }),
                Some(self.admin()),
            )
            .await;
        data["node"]["activity"]["nodes"]
            .as_array()
            .expect("activity")
            .iter()
            .filter(|e| action.is_none_or(|a| e["action"] == a))
            .cloned()
            .collect()
    }

    /// The one number a SQL query answers (a count, a stored amount).
    pub async fn number(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let db = &self.state.db;
        db.query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("a number")
    }

    /// The Prometheus text of the server at `server`.
    pub async fn metrics_at(&self, server: std::net::SocketAddr) -> String {
        self.client
            .get(format!("http://{server}/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// SQL statements executed so far by this app.
    pub fn statements(&self) -> u64 {
        self.state.metrics.db_queries()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDb::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

impl TestApp {
    /// The PostgreSQL server the tests run against, if any.
    pub fn postgres_admin_url() -> Option<String> {
        std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
    }

    /// An app for a test of what only PostgreSQL has (`why`): `None`, the test skipped and
    /// saying why, when the tests run on SQLite.
    pub async fn spawn_on_postgres(why: &str) -> Option<TestApp> {
        if Self::postgres_admin_url().is_none() {
            eprintln!("skipped: {why} (TEST_DATABASE_URL)");
            return None;
        }
        Some(Self::spawn().await)
    }

    /// This app's PostgreSQL database name (None on SQLite).
    pub fn postgres_database(&self) -> Option<String> {
        match &self.db {
            TestDb::Postgres { name, .. } => Some(name.clone()),
            TestDb::Sqlite(_) => None,
        }
    }
}

/// The primary key inside a global ID (tests only: clients treat IDs as opaque).
pub fn decode_pk(id: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .expect("base64 id");
    let text = String::from_utf8(raw).expect("utf8 id");
    text.split_once(':')
        .expect("Type:pk")
        .1
        .parse()
        .expect("numeric pk")
}

/// The global ID of a row (tests only).
pub fn encode_id(kind: &str, pk: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{pk}"))
}

/// The `extensions.code` of the first error.
pub fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}
