//! Operations: liveness and readiness (in the API, for load balancers) and Prometheus metrics
//! (on their own listener, `DORFAPP_METRICS_BIND`, never on the public port: they tell an
//! outsider how busy which route is).

use poem::web::Data;
use poem::{Endpoint, EndpointExt, Response, Route, handler, http::StatusCode};
use poem_openapi::{Object, OpenApi, payload::Json};

use super::ApiTags;
use poem_openapi::types::Example;

use super::{edge::no_store, types::Timestamp};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ErrorCode, Text},
    state::AppState,
    telemetry,
};
use domain::{db, health};

/// The state of the service.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Health {
    /// `ok` when the check passed.
    pub status: String,
    /// The server's version.
    pub version: String,
}

impl poem_openapi::types::Example for Health {
    fn example() -> Self {
        Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("healthLive", &[]),
    ("healthReady", &[]),
    ("getSystemHealth", &[401, 403]),
];

/// A job that failed for good.
#[derive(Object, Clone, Debug)]
pub struct DeadJob {
    /// What it was (`ride.expire`, `notices.expand`, …).
    pub kind: String,
    /// Its last error, as the server recorded it.
    #[oai(nullable)]
    pub last_error: Option<String>,
    /// When it gave up.
    pub failed_at: Timestamp,
}

/// The system's health for administrators: counts and error texts, no personal data.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct SystemHealth {
    /// The database answered a query.
    pub database_reachable: bool,
    /// `postgres` or `sqlite`.
    pub database_backend: String,
    /// This instance's database connections open (null if the driver does not tell).
    #[oai(nullable)]
    pub pool_size: Option<u32>,
    /// Of those, idle.
    #[oai(nullable)]
    pub pool_idle: Option<u32>,
    /// The most this instance opens.
    #[oai(nullable)]
    pub pool_max: Option<u32>,
    /// Jobs due now and not yet run (reminders, expiries, fan-out).
    pub jobs_due: u64,
    /// How long the oldest due job has waited, in seconds; null when none is due.
    #[oai(nullable)]
    pub oldest_due_seconds: Option<i64>,
    /// Jobs that failed for good.
    pub jobs_dead: u64,
    /// The latest of them (at most 10), newest first.
    pub dead_jobs: Vec<DeadJob>,
    /// Notices waiting to be expanded into inboxes and pushes.
    pub notices_pending: u64,
    /// Pushes waiting to be sent.
    pub pushes_pending: u64,
    /// Pushes that failed, or whose device was gone, in the last 24 hours.
    pub pushes_failed_24h: u64,
}

impl poem_openapi::types::Example for SystemHealth {
    fn example() -> Self {
        Self {
            database_reachable: true,
            database_backend: "postgres".into(),
            pool_size: Some(4),
            pool_idle: Some(3),
            pool_max: Some(10),
            jobs_due: 0,
            oldest_due_seconds: None,
            jobs_dead: 1,
            dead_jobs: vec![DeadJob {
                kind: "ride.remind".into(),
                last_error: Some("database is locked".into()),
                failed_at: Timestamp::example("2026-06-02T08:00:00Z"),
            }],
            notices_pending: 0,
            pushes_pending: 12,
            pushes_failed_24h: 3,
        }
    }
}

pub struct OperationsApi;

#[OpenApi(tag = "ApiTags::Operations")]
impl OperationsApi {
    /// Liveness
    ///
    /// 200 as long as the process serves HTTP. Restart the instance when this fails.
    #[oai(path = "/health/live", method = "get", operation_id = "healthLive")]
    async fn live(&self) -> Json<Health> {
        Json(Health::example())
    }

    /// Readiness
    ///
    /// 200 when the instance can serve requests, 503 (`unavailable`) while its database is
    /// unreachable. Load balancers send traffic only to ready instances.
    #[oai(path = "/health/ready", method = "get", operation_id = "healthReady")]
    async fn ready(&self, state: Data<&AppState>) -> ApiResult<Json<Health>> {
        if db::is_reachable(&state.db).await {
            Ok(Json(Health::example()))
        } else {
            Err(ApiError::new(
                ErrorCode::Unavailable,
                Text::new(
                    "Die Datenbank ist nicht erreichbar.",
                    "The database is unreachable.",
                ),
            )
            .with_retry_after(5))
        }
    }

    /// System health for administrators
    ///
    /// Administrators only: whether the database answers, this instance's connection pool,
    /// the queues (jobs due and how long the oldest has waited, notices to expand, pushes to
    /// send) and what failed (jobs that gave up, with their last error; pushes failed in the
    /// last 24 hours). Counts only, no personal data. For the load balancer use `/health/ready`.
    #[oai(
        transform = "no_store",
        path = "/api/v1/admin/health",
        method = "get",
        operation_id = "getSystemHealth"
    )]
    async fn system(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<Json<SystemHealth>> {
        let h = health::summary(&state.db, &state.clock, &actor).await?;
        Ok(Json(SystemHealth {
            database_reachable: h.database_reachable,
            database_backend: h.database_backend.to_owned(),
            pool_size: h.pool.map(|p| p.size),
            pool_idle: h.pool.map(|p| p.idle),
            pool_max: h.pool.map(|p| p.max),
            jobs_due: h.jobs_due,
            oldest_due_seconds: h.oldest_due_seconds,
            jobs_dead: h.jobs_dead,
            dead_jobs: h
                .dead_jobs
                .into_iter()
                .map(|j| DeadJob {
                    kind: j.kind,
                    last_error: j.last_error,
                    failed_at: j.updated_at.into(),
                })
                .collect(),
            notices_pending: h.notices_pending,
            pushes_pending: h.pushes_pending,
            pushes_failed_24h: h.pushes_failed_recently,
        }))
    }
}

/// Prometheus metrics: `http_requests_total` and `http_request_duration_seconds` by method and
/// route template (and status), `db_pool_connections` by state, `db_pool_max_connections`,
/// `jobs_executed_total` by kind and outcome, and the push counters.
#[handler]
async fn prometheus(state: poem::web::Data<&AppState>) -> Response {
    if let Some(stats) = db::pool_stats(&state.db) {
        metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(stats.idle));
        metrics::gauge!("db_pool_connections", "state" => "in_use")
            .set(f64::from(stats.size.saturating_sub(stats.idle)));
        metrics::gauge!("db_pool_max_connections").set(f64::from(stats.max));
    }
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .header("Cache-Control", "no-store")
        .body(telemetry::render_metrics())
}

/// What the metrics listener serves: `GET /metrics`, nothing else.
pub fn metrics_app(state: AppState) -> impl Endpoint + 'static {
    Route::new()
        .at("/metrics", poem::get(prometheus))
        .data(state)
}
