//! `/api/v1/districts`: the municipality's villages (Ortsteile), public to everyone.

use chrono::DateTime;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::Json,
    types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    etag::{Cached, Versioned, version_check},
    types::{Timestamp, patch_field},
};
use crate::{auth::Caller, error::ApiResult, state::AppState};
use domain::districts;

/// A village district (Ortsteil) of the municipality.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct District {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// Short, URL-safe name: lower-case letters, digits and hyphens, e.g. `badeborn`.
    pub slug: String,
    /// The name people use, e.g. `Badeborn` or `Ballenstedt (Kernstadt)`.
    pub name: String,
    /// A few sentences about the district, if any.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub description: Option<String>,
    /// When the district was created (RFC 3339, UTC).
    pub created_at: Timestamp,
    /// When the district was last changed (RFC 3339, UTC).
    pub updated_at: Timestamp,
}

impl poem_openapi::types::Example for District {
    fn example() -> Self {
        let at = DateTime::parse_from_rfc3339("2026-05-01T08:30:00Z")
            .map(|t| t.to_utc())
            .unwrap_or_default();
        District {
            id: Uuid::parse_str("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f").unwrap_or_default(),
            slug: "badeborn".into(),
            name: "Badeborn".into(),
            description: Some("Ortsteil im Harzvorland.".into()),
            created_at: at.into(),
            updated_at: at.into(),
        }
    }
}

impl From<entity::district::Model> for District {
    fn from(m: entity::district::Model) -> Self {
        Self {
            id: m.id,
            slug: m.slug,
            name: m.name,
            description: m.description,
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
        }
    }
}

/// A new district.
#[derive(Object, Clone, Debug)]
pub struct CreateDistrict {
    /// Short, URL-safe name: lower-case letters a–z, digits, single hyphens; at most 64.
    pub slug: String,
    /// The name people use, 1 to 100 characters.
    pub name: String,
    /// A few sentences about the district, at most 2000 characters.
    #[oai(nullable)]
    pub description: Option<String>,
}

/// Changes to a district; absent fields stay as they are.
#[derive(Object, Clone, Debug)]
pub struct UpdateDistrict {
    /// New slug (see `CreateDistrict.slug`).
    pub slug: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New description; `null` removes it.
    #[oai(nullable)]
    pub description: MaybeUndefined<String>,
}

#[derive(ApiResponse)]
pub enum CreateDistrictResponse {
    /// The district was created.
    #[oai(status = 201)]
    Created(
        Json<District>,
        /// Where the new district can be read: `/api/v1/districts/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("listDistricts", &[]),
    ("createDistrict", &[400, 401, 403, 409, 422]),
    ("getDistrict", &[400, 404]),
    ("updateDistrict", &[400, 401, 403, 404, 409, 422]),
];

/// The limits of this module's request fields, as the spec publishes them (`super::spec`):
/// the rules' own constants, so the two cannot drift.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::districts;
    &[
        (
            "CreateDistrict",
            "slug",
            &[
                MaxLength(districts::SLUG_MAX),
                Pattern(districts::SLUG_PATTERN),
            ],
        ),
        ("CreateDistrict", "name", &[Text(districts::NAME_MAX)]),
        (
            "CreateDistrict",
            "description",
            &[MaxLength(districts::DESCRIPTION_MAX)],
        ),
        (
            "UpdateDistrict",
            "slug",
            &[
                MaxLength(districts::SLUG_MAX),
                Pattern(districts::SLUG_PATTERN),
            ],
        ),
        ("UpdateDistrict", "name", &[Text(districts::NAME_MAX)]),
        (
            "UpdateDistrict",
            "description",
            &[MaxLength(districts::DESCRIPTION_MAX)],
        ),
    ]
};

pub struct DistrictsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Districts")]
impl DistrictsApi {
    /// List districts
    ///
    /// All village districts (Ortsteile) of the municipality, sorted by name. Public; no
    /// token needed. The list is short (one entry per village) and therefore not paginated.
    /// Send the `ETag` of a previous answer as `If-None-Match` to get an empty 304 when
    /// nothing has changed.
    #[oai(path = "/districts", method = "get", operation_id = "listDistricts")]
    async fn list(
        &self,
        state: Data<&AppState>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<Vec<District>>> {
        let items = districts::list(&state.db).await?;
        let items: Vec<District> = items.into_iter().map(District::from).collect();
        Ok(Cached::respond(items, if_none_match.0.as_deref()))
    }

    /// Get a district
    ///
    /// One district by its id. Public. Answers 404 (`not_found`) for an unknown id and 400
    /// (`bad_request`) for an id that is not a UUID.
    #[oai(path = "/districts/:id", method = "get", operation_id = "getDistrict")]
    async fn get(
        &self,
        state: Data<&AppState>,
        /// The district's id.
        id: Path<Uuid>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<District>> {
        let district = districts::get(&state.db, id.0).await?;
        Ok(Cached::respond(
            District::from(district),
            if_none_match.0.as_deref(),
        ))
    }

    /// Create a district
    ///
    /// Administrators only. The slug must be unique (409 `conflict`).
    #[oai(path = "/districts", method = "post", operation_id = "createDistrict")]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<CreateDistrict>,
    ) -> ApiResult<CreateDistrictResponse> {
        let CreateDistrict {
            slug,
            name,
            description,
        } = body.0;
        let input = districts::NewDistrict {
            slug,
            name,
            description,
        };
        let district = districts::create_as(&state.db, &state.clock, &actor, input).await?;
        let location = format!("/api/v1/districts/{}", district.id);
        Ok(CreateDistrictResponse::Created(
            Json(district.into()),
            location,
        ))
    }

    /// Update a district
    ///
    /// Administrators only. Fields left out stay unchanged. Send the `ETag` you read as
    /// `If-Match`: if someone changed the district meanwhile, the answer is 412
    /// (`precondition_failed`) and nothing changes.
    #[oai(
        path = "/districts/:id",
        method = "patch",
        operation_id = "updateDistrict"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The district's id.
        id: Path<Uuid>,
        /// The `ETag` of the version the change is based on (optional).
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<UpdateDistrict>,
    ) -> ApiResult<Versioned<District>> {
        let UpdateDistrict {
            slug,
            name,
            description,
        } = body.0;
        let patch = districts::DistrictPatch {
            slug,
            name,
            description: patch_field(description),
        };
        let current = version_check(if_match.0, |district: &entity::district::Model| {
            District::from(district.clone())
        });
        let district =
            districts::update_as(&state.db, &state.clock, &actor, id.0, patch, current).await?;
        Ok(Versioned::of(&District::from(district)))
    }
}
