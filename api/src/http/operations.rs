//! Operations: liveness, readiness and Prometheus metrics, for load balancers and monitoring.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json, payload::PlainText};

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

#[derive(ApiResponse)]
pub enum MetricsResponse {
    /// Prometheus text exposition format (version 0.0.4).
    #[oai(status = 200)]
    Ok(PlainText<String>),
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

    /// Metrics
    ///
    /// Prometheus metrics: `http_requests_total` and `http_request_duration_seconds` by
    /// method and route template (and status), `db_pool_connections` by state,
    /// `db_pool_max_connections`, and `jobs_executed_total` by kind and outcome.
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self, state: Data<&AppState>) -> MetricsResponse {
        if let Some(stats) = db::pool_stats(&state.db) {
            metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(stats.idle));
            metrics::gauge!("db_pool_connections", "state" => "in_use")
                .set(f64::from(stats.size.saturating_sub(stats.idle)));
            metrics::gauge!("db_pool_max_connections").set(f64::from(stats.max));
        }
        MetricsResponse::Ok(PlainText(telemetry::render_metrics()))
    }
}
