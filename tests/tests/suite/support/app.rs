//! `TestApp`: the real application in-process, with its own database, data directory and a
//! manual clock; and the job worker, driven explicitly.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::{clock::ManualClock, jobs::Worker};
use dorfapp::{AppState, config::Settings};
use poem::{
    Endpoint, EndpointExt, Response,
    endpoint::BoxEndpoint,
    http::{HeaderMap, StatusCode},
    test::{TestClient, TestResponse},
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tempfile::TempDir;

/// Set this to a PostgreSQL server URL (e.g. `postgres://postgres@127.0.0.1:5432/postgres`)
/// to run every test against a fresh database on that server.
pub const TEST_DATABASE_ENV: &str = "DORFAPP_TEST_DATABASE_URL";

/// A fresh PostgreSQL database, dropped when the test ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> (Self, String) {
        let name = format!("dorfapp_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to DORFAPP_TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = replace_database(admin_url, &name);
        (
            Self {
                admin_url: admin_url.to_owned(),
                name,
            },
            url,
        )
    }
}

/// `postgres://u@h:5432/postgres?x=y` → `postgres://u@h:5432/<name>?x=y`
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async; use a runtime of its own on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// Where a test's data lives: a data directory, and the database URL.
pub struct TestDatabase {
    pub data_dir: TempDir,
    pub url: String,
    _pg: Option<PgDatabase>,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        match std::env::var(TEST_DATABASE_ENV)
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(admin_url) => {
                let (pg, url) = PgDatabase::create(&admin_url).await;
                Self {
                    data_dir,
                    url,
                    _pg: Some(pg),
                }
            }
            None => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.path().join("dorfapp.db").display()
                );
                Self {
                    data_dir,
                    url,
                    _pg: None,
                }
            }
        }
    }

    #[allow(dead_code, reason = "for tests that differ by backend")]
    pub fn is_postgres(&self) -> bool {
        self._pg.is_some()
    }

    /// Settings for an app on this database, with a fast job poll for real-time tests.
    pub fn settings(&self) -> Settings {
        Settings {
            data_dir: self.data_dir.path().to_path_buf(),
            database_url: Some(dorfapp::config::Secret::new(self.url.clone())),
            database_max_connections: 5,
            job_poll_interval_ms: 100,
            push_allow_http: true,
            // Refusals answer at once here; `a_throttled_login_waits_before_its_refusal` sets it.
            login_throttle_delay_ms: 0,
            // CI runs the photo tests once more against S3-compatible storage (`.ci/run`).
            media_url: std::env::var("DORFAPP_TEST_MEDIA_URL").ok(),
            ..Settings::default()
        }
    }
}

/// The application under test.
pub struct TestApp {
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub state: AppState,
    pub clock: ManualClock,
    #[allow(dead_code, reason = "keeps the database alive as long as the app")]
    pub db: TestDatabase,
}

/// A fixed, ordinary moment to start tests at: a Tuesday morning in Ballenstedt.
pub fn test_epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-02T08:00:00Z")
        .expect("epoch")
        .to_utc()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::new().await;
        let mut settings = db.settings();
        configure(&mut settings);
        let clock = ManualClock::new(test_epoch());
        let state = AppState::init(settings, Arc::new(clock.clone()))
            .await
            .expect("app starts");
        let client = TestClient::new(dorfapp::app(state.clone()).map_to_response().boxed());
        Self {
            client,
            state,
            clock,
            db,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::checked(
            &poem::http::Method::GET,
            path,
            self.client.get(path).send().await,
        )
        .await
    }
}

/// An answer, read completely.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub async fn from(response: TestResponse) -> Self {
        let response = response.0;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().into_vec().await.expect("a body");
        // A photo's bytes are not text; its status and headers are what the callers look at.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|not_text| format!("({} bytes, not text)", not_text.as_bytes().len()));
        Self {
            status,
            headers,
            text,
        }
    }

    /// The answer, after checking that the published document lists its status for the
    /// operation (`documented`).
    pub async fn checked(method: &poem::http::Method, path: &str, response: TestResponse) -> Self {
        let reply = Self::from(response).await;
        super::documented::assert_documented(method, path, reply.status, &reply.text);
        reply
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and code; returns the body.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type; body: {}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert_eq!(
            body["type"],
            format!("urn:dorfapp:problem:{code}"),
            "{body}"
        );
        assert!(
            body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{body}"
        );
        assert!(
            body["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "{body}"
        );
        assert_eq!(
            body["request_id"].as_str(),
            self.header("x-request-id"),
            "problem names the request id of the answer"
        );
        if status == 401 {
            assert!(
                self.header("www-authenticate")
                    .is_some_and(|v| v.starts_with("Bearer")),
                "a 401 names its scheme (RFC 6750): {:?}",
                self.headers
            );
        }
        body
    }
}

/// Builds an endpoint wrapped like the app, for framework errors that the app's own
/// operations cannot provoke yet.
pub fn boxed(ep: impl Endpoint + 'static) -> BoxEndpoint<'static, Response> {
    ep.map_to_response().boxed()
}

/// Runs every job that is due now (the publishing of scheduled items among them).
pub async fn run_jobs(app: &TestApp) {
    let worker = Worker::new(
        app.state.job_context(),
        Arc::new(dorfapp::state::job_registry()),
        std::time::Duration::from_millis(50),
    );
    worker.run_due().await.expect("jobs run");
}

/// Runs the push worker once: expands what is due and sends what is due, at the test clock.
pub async fn deliver(app: &TestApp) {
    deliver_with(&app.state).await;
}

pub async fn deliver_with(state: &AppState) {
    state
        .dispatcher()
        .run_due()
        .await
        .expect("the push worker runs");
}

/// Runs the SMS worker once: sends what is due at the test clock (SMS must be configured).
pub async fn deliver_sms(app: &TestApp) -> usize {
    app.state
        .sms_worker()
        .expect("SMS is configured for this app")
        .run_due()
        .await
        .expect("the SMS worker runs")
}

/// Runs the other jobs (scheduled publishing …) and then the push worker.
pub async fn settle(app: &TestApp) {
    run_jobs(app).await;
    deliver(app).await;
}
