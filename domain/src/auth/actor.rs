//! Who is calling: the user, the session, and the role assignments, loaded from the database on
//! every request. Loading per request is what makes a revoked role, a revoked session or a
//! deleted user lose access at once, even with an access token that has not expired yet.

pub use entity::vocab::{Role, Scope};
use entity::{app_user, role_assignment, session};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    prelude::DateTimeUtc,
};
use uuid::Uuid;

use super::tokens::{self, TokenError};
use crate::{DomainError, DomainResult, clock::SharedClock, text::Text};

/// One role held, with its scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub id: Uuid,
    pub role: Role,
    pub district_id: Option<Uuid>,
    pub shop_id: Option<Uuid>,
    /// For `town_staff`: the one Anliegen topic, or `None` for the whole town.
    pub topic_id: Option<Uuid>,
    /// For `organisation_editor`: the organisation.
    pub organisation_id: Option<Uuid>,
}

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub assignments: Vec<Assignment>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.assignments.iter().any(|a| a.role == role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }

    pub fn is_dispatcher(&self) -> bool {
        self.has(Role::Dispatcher)
    }

    /// Districts this caller holds `role` in.
    pub fn districts_as(&self, role: Role) -> impl Iterator<Item = Uuid> + '_ {
        self.assignments
            .iter()
            .filter(move |a| a.role == role)
            .filter_map(|a| a.district_id)
    }

    /// Whether the caller is district leader (Ortsbürgermeister:in) of `district`.
    pub fn leads(&self, district: Uuid) -> bool {
        self.districts_as(Role::DistrictLeader)
            .any(|d| d == district)
    }

    /// Whether the caller drives in `district`.
    pub fn drives_in(&self, district: Uuid) -> bool {
        self.districts_as(Role::Driver).any(|d| d == district)
    }

    /// Whether the caller operates `shop`.
    pub fn operates(&self, shop: Uuid) -> bool {
        self.assignments
            .iter()
            .any(|a| a.role == Role::ShopOperator && a.shop_id == Some(shop))
    }

    /// Whether the caller is town staff for Anliegen of `topic`: town-wide staff handle every
    /// topic (and those without one), topic staff only their own.
    pub fn staffs_topic(&self, topic: Option<Uuid>) -> bool {
        self.assignments.iter().any(|a| {
            a.role == Role::TownStaff
                && (a.topic_id.is_none() || a.topic_id == topic && topic.is_some())
        })
    }

    /// Whether the caller edits for `organisation`.
    pub fn edits_for(&self, organisation: Uuid) -> bool {
        self.assignments
            .iter()
            .any(|a| a.role == Role::OrganisationEditor && a.organisation_id == Some(organisation))
    }

    /// Guard: administrators only.
    pub fn require_admin(&self) -> DomainResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(DomainError::Forbidden)
        }
    }
}

fn unauthenticated(de: &'static str, en: &'static str) -> DomainError {
    DomainError::Unauthenticated(Text::new(de, en))
}

/// Verifies the access token and loads the caller. Every failure is a 401 with a text that says
/// what to do (sign in again), never which check failed.
pub async fn authenticate(
    conn: &impl ConnectionTrait,
    signing_key: &[u8],
    clock: &SharedClock,
    token: &str,
) -> DomainResult<Actor> {
    let now = clock.now();
    let claims = tokens::verify_access(signing_key, token, now).map_err(|err| match err {
        TokenError::Expired => unauthenticated(
            "Ihre Anmeldung ist abgelaufen. Bitte erneuern oder neu anmelden.",
            "Your access token has expired. Refresh it or sign in again.",
        ),
        TokenError::Invalid(_) => unauthenticated(
            "Die Anmeldung ist ungültig. Bitte melden Sie sich neu an.",
            "The access token is invalid. Please sign in again.",
        ),
    })?;
    load(conn, claims.sub, claims.sid, now).await
}

/// One role assignment of the caller, or none: a row of the left join in [`load`].
#[derive(FromQueryResult)]
struct AssignmentRow {
    assignment_id: Option<Uuid>,
    role: Option<Role>,
    district_id: Option<Uuid>,
    shop_id: Option<Uuid>,
    topic_id: Option<Uuid>,
    organisation_id: Option<Uuid>,
}

/// The caller of session `session_id`, as they are now: the session must belong to `user_id`,
/// be live at `now` (not revoked, not expired) and the user must still exist; their role
/// assignments are read as they are now. Shared by bearer tokens and the console's cookie, so
/// that both see a revoked role or session on the next request.
///
/// One statement (the session joined to its user, left-joined to the assignments: a row per
/// assignment, or one row without), because this runs before every authenticated request,
/// and each statement costs a round trip on PostgreSQL and two thread hand-offs on SQLite.
pub async fn load(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    session_id: Uuid,
    now: DateTimeUtc,
) -> DomainResult<Actor> {
    let rows = session::Entity::find()
        .select_only()
        .column_as(role_assignment::Column::Id, "assignment_id")
        .column(role_assignment::Column::Role)
        .column(role_assignment::Column::DistrictId)
        .column(role_assignment::Column::ShopId)
        .column(role_assignment::Column::TopicId)
        .column(role_assignment::Column::OrganisationId)
        .join(
            JoinType::InnerJoin,
            session::Entity::belongs_to(app_user::Entity)
                .from(session::Column::UserId)
                .to(app_user::Column::Id)
                .into(),
        )
        .join(
            JoinType::LeftJoin,
            session::Entity::belongs_to(role_assignment::Entity)
                .from(session::Column::UserId)
                .to(role_assignment::Column::UserId)
                .into(),
        )
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .into_model::<AssignmentRow>()
        .all(conn)
        .await?;
    if rows.is_empty() {
        return Err(unauthenticated(
            "Diese Anmeldung wurde beendet. Bitte melden Sie sich neu an.",
            "This session has ended. Please sign in again.",
        ));
    }
    let assignments = rows
        .into_iter()
        .filter_map(|row| {
            Some(Assignment {
                id: row.assignment_id?,
                role: row.role?,
                district_id: row.district_id,
                shop_id: row.shop_id,
                topic_id: row.topic_id,
                organisation_id: row.organisation_id,
            })
        })
        .collect();
    Ok(Actor {
        user_id,
        session_id,
        assignments,
    })
}
