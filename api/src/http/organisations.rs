//! `/api/v1/organisations`: Vereine, Kirchengemeinde, Feuerwehr, Jugendclub — the organisations
//! that publish in a district, and their editors.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    etag::{Cached, Versioned, version_check},
    pagination,
    types::{NoContent, Timestamp, patch_field},
};
use crate::{auth::Caller, error::ApiResult, state::AppState};
use domain::organisations::{self, NewOrganisation, OrganisationPatch};
use entity::vocab::OrganisationKind;

/// An organisation that publishes in a district.
#[derive(Object, Clone, Debug)]
pub struct Organisation {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// E.g. „Heimatverein Rieder e. V.“.
    pub name: String,
    /// What kind of organisation.
    pub kind: OrganisationKind,
    /// The district it belongs to.
    pub district_id: Uuid,
    /// Its public contact person, or null.
    #[oai(nullable)]
    pub contact_name: Option<String>,
    /// Its public phone number, or null.
    #[oai(nullable)]
    pub contact_phone: Option<String>,
    /// Its public email address, or null.
    #[oai(nullable)]
    pub contact_email: Option<String>,
    /// When it was set up.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl From<entity::organisation::Model> for Organisation {
    fn from(m: entity::organisation::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            kind: m.kind,
            district_id: m.district_id,
            contact_name: m.contact_name,
            contact_phone: m.contact_phone,
            contact_email: m.contact_email,
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
        }
    }
}

super::pagination::page! {
    /// A page of organisations, in the order they were set up.
    OrganisationPage of Organisation
}

/// An organisation to set up.
#[derive(Object, Clone, Debug)]
pub struct CreateOrganisation {
    /// 1 to 200 characters, unique in the district.
    pub name: String,
    /// What kind of organisation.
    pub kind: OrganisationKind,
    /// The district (you must lead it, or be an admin).
    pub district_id: Uuid,
    /// A public contact person.
    #[oai(nullable)]
    pub contact_name: Option<String>,
    /// A public phone number.
    #[oai(nullable)]
    pub contact_phone: Option<String>,
    /// A public email address.
    #[oai(nullable)]
    pub contact_email: Option<String>,
}

/// Changes; absent fields stay, `null` clears the optional ones.
#[derive(Object, Clone, Debug)]
pub struct UpdateOrganisation {
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<OrganisationKind>,
    /// New contact person; `null` removes it.
    #[oai(nullable)]
    pub contact_name: MaybeUndefined<String>,
    /// New phone number; `null` removes it.
    #[oai(nullable)]
    pub contact_phone: MaybeUndefined<String>,
    /// New email address; `null` removes it.
    #[oai(nullable)]
    pub contact_email: MaybeUndefined<String>,
}

/// An editor of an organisation.
#[derive(Object, Clone, Debug)]
pub struct OrganisationEditor {
    /// The person's account.
    pub user_id: Uuid,
    /// The name they show.
    pub display_name: String,
    /// Editor since.
    pub since: Timestamp,
}

#[derive(ApiResponse)]
pub enum OrganisationCreated {
    /// Set up.
    #[oai(status = 201)]
    Created(
        Json<Organisation>,
        /// Where it can be read: `/api/v1/organisations/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum EditorGranted {
    /// Now an editor.
    #[oai(status = 201)]
    Created,
    /// Was an editor already; nothing changed.
    #[oai(status = 200)]
    Unchanged,
}

/// The error answers each operation here can give ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("listOrganisations", &[400, 422]),
    ("getOrganisation", &[400, 404]),
    ("createOrganisation", &[400, 401, 403, 409, 422]),
    ("updateOrganisation", &[400, 401, 403, 404, 409, 422]),
    ("listOrganisationEditors", &[400, 401, 403, 404]),
    ("grantOrganisationEditor", &[400, 401, 403, 404]),
    ("revokeOrganisationEditor", &[400, 401, 403, 404]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::organisations as o;
    &[
        ("CreateOrganisation", "name", &[Text(o::NAME_MAX)]),
        (
            "CreateOrganisation",
            "contact_name",
            &[MaxLength(o::CONTACT_NAME_MAX)],
        ),
        ("CreateOrganisation", "contact_phone", super::spec::PHONE),
        (
            "CreateOrganisation",
            "contact_email",
            &[MaxLength(o::EMAIL_MAX)],
        ),
        ("UpdateOrganisation", "name", &[Text(o::NAME_MAX)]),
        (
            "UpdateOrganisation",
            "contact_name",
            &[MaxLength(o::CONTACT_NAME_MAX)],
        ),
        ("UpdateOrganisation", "contact_phone", super::spec::PHONE),
        (
            "UpdateOrganisation",
            "contact_email",
            &[MaxLength(o::EMAIL_MAX)],
        ),
    ]
};

pub struct OrganisationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Organisations")]
impl OrganisationsApi {
    /// List organisations
    ///
    /// Public: the organisations of a district (or all), in the order they were set up.
    #[oai(
        path = "/organisations",
        method = "get",
        operation_id = "listOrganisations"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        /// Only this district's.
        district_id: Query<Option<Uuid>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<OrganisationPage>> {
        let (items, more) = organisations::list(
            &state.db,
            district_id.0,
            pagination::decode(cursor.0.as_deref())?,
            pagination::limit(limit.0)?,
        )
        .await?;
        let last = items.last().map(|o| o.id);
        Ok(Json(OrganisationPage {
            items: items.into_iter().map(Organisation::from).collect(),
            next_cursor: pagination::next(last, more),
        }))
    }

    /// Get an organisation
    ///
    /// Public, with its public contact. Its `ETag` is the version to send as `If-Match` with a
    /// change.
    #[oai(
        path = "/organisations/:id",
        method = "get",
        operation_id = "getOrganisation"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        /// The organisation's id.
        id: Path<Uuid>,
        /// The `ETag` of a copy the client holds: 304 when it is still current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<Organisation>> {
        let organisation = Organisation::from(organisations::load(&state.db, id.0).await?);
        Ok(Cached::respond(organisation, if_none_match.0.as_deref()))
    }

    /// Set up an organisation
    ///
    /// The district's leaders and admins. The name is unique in the district (409).
    #[oai(
        transform = "no_store",
        path = "/organisations",
        method = "post",
        operation_id = "createOrganisation"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<CreateOrganisation>,
    ) -> ApiResult<OrganisationCreated> {
        let b = body.0;
        let input = NewOrganisation {
            name: b.name,
            kind: b.kind,
            district_id: b.district_id,
            contact_name: b.contact_name,
            contact_phone: b.contact_phone,
            contact_email: b.contact_email,
        };
        let created = organisations::create(&state.db, &state.clock, &actor, input).await?;
        let location = format!("/api/v1/organisations/{}", created.id);
        Ok(OrganisationCreated::Created(Json(created.into()), location))
    }

    /// Change an organisation
    ///
    /// The district's leaders, admins, and the organisation's own editors. Send the `ETag` you
    /// read as `If-Match`: if someone changed it meanwhile, the answer is 412 and nothing
    /// changes.
    #[oai(
        transform = "no_store",
        path = "/organisations/:id",
        method = "patch",
        operation_id = "updateOrganisation"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The organisation's id.
        id: Path<Uuid>,
        /// The `ETag` of the version the change is based on.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<UpdateOrganisation>,
    ) -> ApiResult<Versioned<Organisation>> {
        let b = body.0;
        let patch = OrganisationPatch {
            name: b.name,
            kind: b.kind,
            contact_name: patch_field(b.contact_name),
            contact_phone: patch_field(b.contact_phone),
            contact_email: patch_field(b.contact_email),
        };
        let updated = organisations::update(
            &state.db,
            &state.clock,
            &actor,
            id.0,
            patch,
            version_check(if_match.0, |m: &entity::organisation::Model| {
                Organisation::from(m.clone())
            }),
        )
        .await?;
        Ok(Versioned::of(&Organisation::from(updated)))
    }

    /// List an organisation's editors
    ///
    /// The district's leaders, admins, and the organisation's own editors.
    #[oai(
        transform = "no_store",
        path = "/organisations/:id/editors",
        method = "get",
        operation_id = "listOrganisationEditors"
    )]
    async fn editors(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The organisation's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<OrganisationEditor>>> {
        let editors = organisations::editors(&state.db, &actor, id.0).await?;
        Ok(Json(
            editors
                .into_iter()
                .map(|e| OrganisationEditor {
                    user_id: e.user_id,
                    display_name: e.display_name,
                    since: e.since.into(),
                })
                .collect(),
        ))
    }

    /// Name an editor
    ///
    /// The district's leaders and admins make a person an `organisation_editor` of this
    /// organisation. 201 when new, 200 when they were one already.
    #[oai(
        transform = "no_store",
        path = "/organisations/:id/editors/:user_id",
        method = "put",
        operation_id = "grantOrganisationEditor"
    )]
    async fn grant(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The organisation's id.
        id: Path<Uuid>,
        /// The person's account.
        user_id: Path<Uuid>,
    ) -> ApiResult<EditorGranted> {
        let new =
            organisations::grant_editor(&state.db, &state.clock, &actor, id.0, user_id.0).await?;
        Ok(if new {
            EditorGranted::Created
        } else {
            EditorGranted::Unchanged
        })
    }

    /// Remove an editor
    ///
    /// The district's leaders and admins. 404 for someone who is not an editor here.
    #[oai(
        transform = "no_store",
        path = "/organisations/:id/editors/:user_id",
        method = "delete",
        operation_id = "revokeOrganisationEditor"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The organisation's id.
        id: Path<Uuid>,
        /// The person's account.
        user_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        organisations::revoke_editor(&state.db, &actor, id.0, user_id.0).await?;
        Ok(NoContent::Done)
    }
}
