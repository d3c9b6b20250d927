//! `/api/v1/api-clients`: the keys integrators use for Open311 (`/open311/v2`), issued and
//! revoked by administrators.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    types::{NoContent, Timestamp},
};
use crate::{auth::Caller, error::ApiResult, state::AppState};
use domain::api_clients;

/// An integrator holding a key.
#[derive(Object, Clone, Debug)]
pub struct ApiClient {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// Who it is, e.g. „Bauhof Ballenstedt (Fachverfahren)“.
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub key_prefix: String,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it was last used, or null.
    #[oai(nullable)]
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked, or null while valid.
    #[oai(nullable)]
    pub revoked_at: Option<Timestamp>,
}

impl From<entity::api_client::Model> for ApiClient {
    fn from(m: entity::api_client::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            key_prefix: m.key_prefix,
            created_at: m.created_at.into(),
            last_used_at: m.last_used_at.map(Timestamp),
            revoked_at: m.revoked_at.map(Timestamp),
        }
    }
}

/// A key just issued.
#[derive(Object, Clone, Debug)]
pub struct IssuedApiClient {
    /// The client.
    pub client: ApiClient,
    /// The key, shown this once: give it to the integrator (Open311 `api_key`). Only its hash
    /// is kept.
    pub api_key: String,
}

/// A key to issue.
#[derive(Object, Clone, Debug)]
pub struct CreateApiClient {
    /// Who gets it, 1 to 200 characters.
    pub name: String,
}

#[derive(ApiResponse)]
pub enum ApiClientIssued {
    /// Issued; the key is in the answer, and nowhere else.
    #[oai(status = 201)]
    Created(Json<IssuedApiClient>),
}

/// The error answers each operation here can give ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("createApiClient", &[400, 401, 403, 422]),
    ("listApiClients", &[401, 403]),
    ("revokeApiClient", &[400, 401, 403, 404]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    &[("CreateApiClient", "name", &[Text(api_clients::NAME_MAX)])]
};

pub struct ApiClientsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Users")]
impl ApiClientsApi {
    /// Issue an API key
    ///
    /// Administrators only: a key for an integrator (a municipal back office, an Open311
    /// app), to file service requests at `/open311/v2/requests.json`. The key is in this
    /// answer only.
    #[oai(
        transform = "no_store",
        path = "/api-clients",
        method = "post",
        operation_id = "createApiClient"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<CreateApiClient>,
    ) -> ApiResult<ApiClientIssued> {
        let issued = api_clients::issue(&state.db, &state.clock, &actor, &body.0.name).await?;
        Ok(ApiClientIssued::Created(Json(IssuedApiClient {
            client: issued.client.into(),
            api_key: issued.api_key,
        })))
    }

    /// List API keys
    ///
    /// Administrators only; newest first, without the keys.
    #[oai(
        transform = "no_store",
        path = "/api-clients",
        method = "get",
        operation_id = "listApiClients"
    )]
    async fn list(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<Json<Vec<ApiClient>>> {
        let clients = api_clients::list(&state.db, &actor).await?;
        Ok(Json(clients.into_iter().map(ApiClient::from).collect()))
    }

    /// Revoke an API key
    ///
    /// Administrators only; at once. Revoking twice is fine.
    #[oai(
        transform = "no_store",
        path = "/api-clients/:id",
        method = "delete",
        operation_id = "revokeApiClient"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The client's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        api_clients::revoke(&state.db, &state.clock, &actor, id.0).await?;
        Ok(NoContent::Done)
    }
}
