//! One place that builds a fresh application per test: its own database (a copy of a seeded
//! template), the real app, and helpers to send requests and read problem+json answers.
//!
//! SQLite by default; set `TEST_DATABASE_URL=postgres://user@host:port/db` to run every test
//! on PostgreSQL instead (each test gets a database created from a template and dropped).

use std::path::PathBuf;
use std::sync::OnceLock;

use actix_web::http::{Method, StatusCode, header};
use actix_web::test;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::Value;

use sociale_kaart::api::auth::{claims_for, mint};
use sociale_kaart::cli::serve::prepare;
use sociale_kaart::config::{LogFormat, Settings};
use sociale_kaart::db::{self, DbConnection};
use sociale_kaart::domain::access::Role;
use sociale_kaart::{AppState, build_app};

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";
pub const MAX_BODY: usize = 64 * 1024;

enum TestDb {
    /// Another instance's database: dropped by that instance.
    Shared,
    Sqlite(tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

pub struct TestApp {
    pub state: AppState,
    url: String,
    _db: TestDb,
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// `postgres://u@h:p/db` with another database name.
fn with_database(url: &str, name: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{name}")
}

fn seed(url: &str) {
    let mut conn = db::establish(url).expect("connect to the template database");
    db::migrate(&mut conn).expect("migrate the template");
    db::seed::seed_reference(&mut conn).expect("seed reference data");
    db::demo::seed_demo(&mut conn).expect("seed the demo set");
    if let DbConnection::Sqlite(_) = conn {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
            .expect("checkpoint");
    }
}

/// Seeded once per test run, then copied for every test.
pub fn sqlite_template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("sk-template")
            .tempdir()
            .expect("tempdir")
            .keep();
        let path = dir.join("template.db");
        seed(&format!("sqlite://{}", path.display()));
        path
    })
}

fn postgres_template(admin_url: &str) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("sk_tpl_{}", std::process::id());
        let mut admin = PgConnection::establish(admin_url).expect("connect to PostgreSQL");
        drop_leftovers(&mut admin);
        for statement in [
            format!("DROP DATABASE IF EXISTS \"{name}\""),
            format!("CREATE DATABASE \"{name}\""),
        ] {
            admin
                .batch_execute(&statement)
                .expect("create the template database");
        }
        seed(&with_database(admin_url, &name));
        name
    })
}

/// Drops the databases of earlier test runs whose process is gone (a template outlives the
/// tests that used it, since a test binary has no hook that runs after the last test).
fn drop_leftovers(admin: &mut PgConnection) {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let names = diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'sk\\_tpl\\_%' OR datname LIKE 'sk\\_test\\_%'")
        .load::<Name>(admin)
        .unwrap_or_default();
    for Name { datname } in names {
        let pid = datname
            .trim_start_matches("sk_tpl_")
            .trim_start_matches("sk_test_")
            .split('_')
            .next()
            .unwrap_or_default()
            .to_owned();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)"
            ));
        }
    }
}

fn settings(data_dir: PathBuf, url: String) -> Settings {
    Settings {
        database_url: Some(url),
        data_dir,
        jwt_secret: Some(SECRET.to_owned()),
        jwks_file: None,
        token_issuer: "sociale-kaart".to_owned(),
        token_audience: "sociale-kaart".to_owned(),
        log_format: LogFormat::Pretty,
        pool_size: 4,
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, db) = match postgres_admin_url() {
        Some(admin_url) => {
            let template = postgres_template(&admin_url);
            let name = format!(
                "sk_test_{}_{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            );
            let mut admin = PgConnection::establish(&admin_url).expect("connect to PostgreSQL");
            diesel::sql_query(format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .execute(&mut admin)
            .expect("create the test database");
            (
                with_database(&admin_url, &name),
                TestDb::Postgres { admin_url, name },
            )
        }
        None => {
            let path = dir.path().join("test.db");
            std::fs::copy(sqlite_template(), &path).expect("copy the template");
            (format!("sqlite://{}", path.display()), TestDb::Sqlite(dir))
        }
    };
    let data_dir = match &db {
        TestDb::Sqlite(d) => d.path().to_path_buf(),
        TestDb::Postgres { .. } | TestDb::Shared => std::env::temp_dir(),
    };
    let state = prepare_state(data_dir, url.clone()).await;
    TestApp {
        state,
        url,
        _db: db,
    }
}

async fn prepare_state(data_dir: PathBuf, url: String) -> AppState {
    tokio::task::spawn_blocking(move || prepare(&settings(data_dir, url), false, MAX_BODY))
        .await
        .expect("join")
        .expect("prepare the application state")
}

impl TestApp {
    /// A second instance of the service on the same database, as in a deployment with several
    /// API instances; it learns of the first one's writes only through the change log.
    pub async fn second_instance(&self) -> TestApp {
        let state = prepare_state(std::env::temp_dir(), self.url.clone()).await;
        TestApp {
            state,
            url: self.url.clone(),
            _db: TestDb::Shared,
        }
    }
}

/// A token for `role` scoped to `municipalities`.
pub fn token(role: Role, municipalities: &[&str]) -> String {
    let claims = claims_for(
        "tester",
        role,
        municipalities.iter().map(|m| m.to_string()).collect(),
        vec![],
        None,
        1,
    );
    mint(SECRET.as_bytes(), &claims).expect("mint")
}

/// A region admin's token for `regions`.
pub fn region_admin(regions: &[&str]) -> String {
    let claims = claims_for(
        "region tester",
        Role::RegionAdmin,
        vec![],
        regions.iter().map(|r| r.to_string()).collect(),
        None,
        1,
    );
    mint(SECRET.as_bytes(), &claims).expect("mint")
}

pub fn admin() -> String {
    token(Role::Admin, &[])
}

pub fn editor(of: &str) -> String {
    token(Role::MunicipalityEditor, &[of])
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The names of the invalid fields of a 400 problem.
    pub fn invalid_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
        self
    }
}

pub struct Call<'a> {
    app: &'a TestApp,
    req: test::TestRequest,
}

impl Call<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.req = self
            .req
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.req = self.req.insert_header((name, value.to_owned()));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.req = self.req.set_json(body);
        self
    }

    pub fn raw(
        mut self,
        content_type: &'static str,
        body: impl Into<actix_web::web::Bytes>,
    ) -> Self {
        self.req = self
            .req
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(body.into());
        self
    }

    pub async fn send(self) -> Reply {
        let service = test::init_service(build_app(self.app.state.clone())).await;
        let res = test::call_service(&service, self.req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }
}

impl TestApp {
    pub fn call(&self, method: Method, uri: &str) -> Call<'_> {
        Call {
            app: self,
            req: test::TestRequest::default().method(method).uri(uri),
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.call(Method::GET, uri).send().await
    }

    /// How many rows a table holds (to prove a refused request wrote nothing).
    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.state.pool.get().expect("connection");
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
    }

    /// A snapshot of the mutable tables' row counts.
    pub fn counts(&self) -> Vec<i64> {
        [
            "organisations",
            "provisions",
            "provision_locations",
            "provision_service_areas",
            "contracts",
            "basic_sets",
            "basic_set_items",
            "referrals",
            "changes",
        ]
        .iter()
        .map(|t| self.count(t))
        .collect()
    }

    /// Registers an organisation as admin and returns its id.
    pub async fn organisation(&self, name: &str) -> String {
        let reply = self
            .call(Method::POST, "/api/v1/organisations")
            .token(&admin())
            .json(&serde_json::json!({"name": name, "kvkNumber": "12345678"}))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_str().expect("id").to_owned()
    }
}

/// The `name` of each item of a list.
pub fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}
