//! Operations: liveness and readiness (in the API, for load balancers) and Prometheus metrics
//! (on their own listener, `DORFAPP_METRICS_BIND`, never on the public port: they tell an
//! outsider how busy which route is).

use poem::web::Data;
use poem::{Endpoint, EndpointExt, Response, Route, handler, http::StatusCode};
use poem_openapi::{Object, OpenApi, payload::Json};

use super::ApiTags;
use poem_openapi::types::Example;

use crate::{
    error::{ApiError, ApiResult, ErrorCode, Text},
    state::AppState,
    telemetry,
};
use domain::db;

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
pub(crate) const ERRORS: super::spec::OperationErrors =
    &[("healthLive", &[]), ("healthReady", &[])];

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
