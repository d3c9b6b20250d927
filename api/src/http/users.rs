//! `/api/v1/users`: administrators find people and grant or revoke their roles.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags, body::JsonBody, edge::no_store, pagination, types::NoContent, types::Timestamp,
};
use crate::{
    auth::{Caller, Role},
    error::ApiResult,
    state::AppState,
};
use domain::users::{self, Profile, UserFilter};

/// A role held by a user, with its scope.
#[derive(Object, Clone, Debug)]
pub struct RoleAssignment {
    /// Id of the assignment (to revoke it).
    pub id: Uuid,
    /// The role.
    pub role: Role,
    /// The district, for `district_leader` and `driver`; otherwise null.
    #[oai(nullable)]
    pub district_id: Option<Uuid>,
    /// The shop, for `shop_operator`; otherwise null.
    #[oai(nullable)]
    pub shop_id: Option<Uuid>,
    /// The Anliegen topic (Fachbereich) a `town_staff` assignment is limited to; null for the
    /// whole town and for every other role.
    #[oai(nullable)]
    pub topic_id: Option<Uuid>,
    /// The organisation, for `organisation_editor`; otherwise null.
    #[oai(nullable)]
    pub organisation_id: Option<Uuid>,
    /// When it was granted.
    pub created_at: Timestamp,
}

impl RoleAssignment {
    fn from_model(m: entity::role_assignment::Model) -> Option<Self> {
        Some(Self {
            id: m.id,
            role: m.role,
            district_id: m.district_id,
            shop_id: m.shop_id,
            topic_id: m.topic_id,
            organisation_id: m.organisation_id,
            created_at: m.created_at.into(),
        })
    }
}

/// A person with an account, and the roles they hold.
#[derive(Object, Clone, Debug)]
pub struct User {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// Email address as registered (compared case-insensitively).
    pub email: String,
    /// The name shown to others, e.g. `Erika M.`.
    pub display_name: String,
    /// The district the person lives in (the default for news and push), or null.
    #[oai(nullable)]
    pub home_district_id: Option<Uuid>,
    /// Phone number for ride questions, or null. Shown only to the person, the assigned
    /// driver, dispatchers and administrators.
    #[oai(nullable)]
    pub phone: Option<String>,
    /// Roles beyond resident. Every registered user is a resident.
    pub roles: Vec<RoleAssignment>,
    /// When the account was created.
    pub created_at: Timestamp,
}

impl From<Profile> for User {
    fn from(p: Profile) -> Self {
        Self {
            id: p.user.id,
            email: p.user.email,
            display_name: p.user.display_name,
            home_district_id: p.user.home_district_id,
            phone: p.user.phone,
            roles: p
                .roles
                .into_iter()
                .filter_map(RoleAssignment::from_model)
                .collect(),
            created_at: p.user.created_at.into(),
        }
    }
}

super::pagination::page! {
    /// A page of users, newest first.
    UserPage of User
}

/// A role to grant.
#[derive(Object, Clone, Debug)]
pub struct GrantRole {
    /// The role.
    pub role: Role,
    /// Required for `district_leader` and `driver`; must be absent otherwise.
    #[oai(nullable)]
    pub district_id: Option<Uuid>,
    /// Required for `shop_operator`; must be absent otherwise.
    #[oai(nullable)]
    pub shop_id: Option<Uuid>,
    /// For `town_staff` only: limits the role to one Anliegen topic (Fachbereich); absent, the
    /// person handles what is forwarded to the town in every topic.
    #[oai(nullable)]
    pub topic_id: Option<Uuid>,
    /// Required for `organisation_editor`; must be absent otherwise. (District leaders grant
    /// it too, for their district's organisations: `PUT /organisations/{id}/editors/{user_id}`.)
    #[oai(nullable)]
    pub organisation_id: Option<Uuid>,
}

#[derive(ApiResponse)]
pub enum GrantResponse {
    /// The role was granted; it holds from the user's next request.
    #[oai(status = 201)]
    Created(Json<RoleAssignment>),
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("listUsers", &[400, 401, 403, 422]),
    ("getUser", &[400, 401, 403, 404]),
    ("grantRole", &[400, 401, 403, 404, 409, 422]),
    ("revokeRole", &[400, 401, 403, 404, 409]),
];

pub struct UsersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Users")]
impl UsersApi {
    /// List users
    ///
    /// Administrators only. Newest first, cursor-paginated. `q` matches part of the email or
    /// display name in any case; `role` keeps users holding that role; `district_id` keeps
    /// users living in the district or holding a role there.
    #[oai(
        transform = "no_store",
        path = "/users",
        method = "get",
        operation_id = "listUsers"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per documented query parameter"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Part of an email address or display name.
        q: Query<Option<String>>,
        /// Only users holding this role.
        role: Query<Option<Role>>,
        /// Only users living in, or holding a role in, this district.
        district_id: Query<Option<Uuid>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserPage>> {
        let limit = pagination::limit(limit.0)?;
        let after = pagination::decode(cursor.0.as_deref())?;
        let filter = UserFilter {
            q: q.0,
            role: role.0,
            district_id: district_id.0,
        };
        let (profiles, more) = users::list(&state.db, &actor, &filter, after, limit).await?;
        let last = profiles.last().map(|p| p.user.id);
        Ok(Json(UserPage {
            items: profiles.into_iter().map(User::from).collect(),
            next_cursor: pagination::next(last, more),
        }))
    }

    /// Get a user
    ///
    /// Administrators only.
    #[oai(
        transform = "no_store",
        path = "/users/:id",
        method = "get",
        operation_id = "getUser"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The user's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<User>> {
        Ok(Json(users::get(&state.db, &actor, id.0).await?.into()))
    }

    /// Grant a role
    ///
    /// Administrators only. The scope must fit the role (422 `validation_failed` naming
    /// `district_id` or `shop_id`) and name an existing district or shop (404). Granting the
    /// same role with the same scope twice is a 409 `conflict`.
    #[oai(
        transform = "no_store",
        path = "/users/:id/roles",
        method = "post",
        operation_id = "grantRole"
    )]
    async fn grant(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The user's id.
        id: Path<Uuid>,
        body: JsonBody<GrantRole>,
    ) -> ApiResult<GrantResponse> {
        let GrantRole {
            role,
            district_id,
            shop_id,
            topic_id,
            organisation_id,
        } = body.0;
        let scope = users::RoleScope {
            district_id,
            shop_id,
            topic_id,
            organisation_id,
        };
        let assignment =
            users::grant_role(&state.db, &state.clock, &actor, id.0, role, scope).await?;
        let view = RoleAssignment::from_model(assignment)
            .ok_or_else(|| crate::error::ApiError::internal("unknown role stored"))?;
        Ok(GrantResponse::Created(Json(view)))
    }

    /// Revoke a role
    ///
    /// Administrators only. Takes effect at once, also for access tokens already issued.
    #[oai(
        transform = "no_store",
        path = "/users/:id/roles/:assignment_id",
        method = "delete",
        operation_id = "revokeRole"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The user's id.
        id: Path<Uuid>,
        /// The assignment's id (from the user's `roles`).
        assignment_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        users::revoke_role(&state.db, &actor, id.0, assignment_id.0).await?;
        Ok(NoContent::Done)
    }
}
