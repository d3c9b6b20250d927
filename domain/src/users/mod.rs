//! Users and their role assignments, as administrators manage them.

use std::collections::HashMap;

/// Longest search text for the user list (`q`).
pub const QUERY_MAX: usize = 200;

use entity::{app_user, district, role_assignment, shop};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use crate::{
    DomainError, DomainResult,
    auth::{Actor, Role, Scope},
    clock::SharedClock,
    db, is_unique_violation,
    text::{Text, field},
};

/// A user with the roles they hold.
#[derive(Clone, Debug)]
pub struct Profile {
    pub user: app_user::Model,
    pub roles: Vec<role_assignment::Model>,
}

fn user_not_found() -> DomainError {
    DomainError::NotFound(Text::new("Diese Person gibt es nicht.", "No such user."))
}

async fn roles_of(
    conn: &impl ConnectionTrait,
    user_ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, Vec<role_assignment::Model>>> {
    let mut by_user: HashMap<Uuid, Vec<role_assignment::Model>> = HashMap::new();
    if user_ids.is_empty() {
        return Ok(by_user);
    }
    let rows = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.is_in(user_ids.iter().copied()))
        .order_by_asc(role_assignment::Column::Id)
        .all(conn)
        .await?;
    for row in rows {
        by_user.entry(row.user_id).or_default().push(row);
    }
    Ok(by_user)
}

/// A user and their roles.
pub async fn profile(conn: &impl ConnectionTrait, user_id: Uuid) -> DomainResult<Profile> {
    let user = app_user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(user_not_found)?;
    let roles = roles_of(conn, &[user_id])
        .await?
        .remove(&user_id)
        .unwrap_or_default();
    Ok(Profile { user, roles })
}

/// Filters of the user list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Part of the email or display name, any case.
    pub q: Option<String>,
    pub role: Option<Role>,
    /// Home district, or a role assignment in this district.
    pub district_id: Option<Uuid>,
}

/// One page of users, newest first, after the user `after` (keyset pagination on the
/// time-ordered UUID v7, so that a page never skips or repeats while users are added).
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    filter: &UserFilter,
    after: Option<Uuid>,
    limit: u64,
) -> DomainResult<(Vec<Profile>, bool)> {
    actor.require_admin()?;
    if filter
        .q
        .as_deref()
        .is_some_and(|q| q.contains('\0') || q.chars().count() > QUERY_MAX)
    {
        return Err(DomainError::Validation(vec![field(
            "q",
            "Höchstens 200 Zeichen, keine Steuerzeichen.",
            "At most 200 characters, no control characters.",
        )]));
    }
    let mut query = app_user::Entity::find();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let like = |column: app_user::Column| {
            Expr::expr(Func::lower(Expr::col(column)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(like(app_user::Column::EmailNormalized))
                .add(like(app_user::Column::DisplayName)),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(
            app_user::Column::Id.in_subquery(
                Query::select()
                    .column(role_assignment::Column::UserId)
                    .from(role_assignment::Entity)
                    .and_where(role_assignment::Column::Role.eq(role))
                    .to_owned(),
            ),
        );
    }
    if let Some(district) = filter.district_id {
        query = query.filter(
            Condition::any()
                .add(app_user::Column::HomeDistrictId.eq(district))
                .add(
                    app_user::Column::Id.in_subquery(
                        Query::select()
                            .column(role_assignment::Column::UserId)
                            .from(role_assignment::Entity)
                            .and_where(role_assignment::Column::DistrictId.eq(district))
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some(after) = after {
        query = query.filter(app_user::Column::Id.lt(after));
    }
    let mut users = query
        .order_by_desc(app_user::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let more = users.len() as u64 > limit;
    users.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut roles = roles_of(conn, &ids).await?;
    let profiles = users
        .into_iter()
        .map(|user| {
            let roles = roles.remove(&user.id).unwrap_or_default();
            Profile { user, roles }
        })
        .collect();
    Ok((profiles, more))
}

pub async fn get(conn: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> DomainResult<Profile> {
    actor.require_admin()?;
    profile(conn, id).await
}

fn scope_key(user: Uuid, role: Role, scope: RoleScope) -> String {
    let part = |id: Option<Uuid>| id.map_or_else(|| "-".to_owned(), |id| id.simple().to_string());
    let mut key = format!(
        "{}|{}|{}|{}",
        user.simple(),
        role.as_str(),
        part(scope.district_id),
        part(scope.shop_id)
    );
    // A fifth part only when a topic is set, so the keys of assignments made before topics
    // existed stay what they were (and keep colliding with a second grant of the same).
    if let Some(topic) = scope.topic_id {
        key.push_str(&format!("|t:{}", topic.simple()));
    }
    if let Some(organisation) = scope.organisation_id {
        key.push_str(&format!("|o:{}", organisation.simple()));
    }
    key
}

/// What an assignment holds for: a district, a shop, an Anliegen topic, or nothing (the whole
/// municipality).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleScope {
    pub district_id: Option<Uuid>,
    pub shop_id: Option<Uuid>,
    pub topic_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
}

impl RoleScope {
    pub fn district(id: Uuid) -> Self {
        Self {
            district_id: Some(id),
            ..Self::default()
        }
    }

    pub fn shop(id: Uuid) -> Self {
        Self {
            shop_id: Some(id),
            ..Self::default()
        }
    }

    pub fn organisation(id: Uuid) -> Self {
        Self {
            organisation_id: Some(id),
            ..Self::default()
        }
    }
}

/// Inserts an assignment whose scope has been checked.
pub async fn insert_assignment(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    user_id: Uuid,
    role: Role,
    scope: RoleScope,
) -> DomainResult<role_assignment::Model> {
    role_assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        role: Set(role),
        district_id: Set(scope.district_id),
        shop_id: Set(scope.shop_id),
        topic_id: Set(scope.topic_id),
        organisation_id: Set(scope.organisation_id),
        scope_key: Set(scope_key(user_id, role, scope)),
        created_at: Set(clock.now()),
    }
    .insert(conn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            DomainError::Conflict(Text::new(
                "Diese Rolle hat die Person in diesem Bereich schon.",
                "The user already holds this role with this scope.",
            ))
        } else {
            DomainError::Db(err)
        }
    })
}

/// Grants a role. The scope must fit the role (422) and name something that exists (404).
pub async fn grant_role(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: &Actor,
    user_id: Uuid,
    role: Role,
    scope: RoleScope,
) -> DomainResult<role_assignment::Model> {
    actor.require_admin()?;
    let RoleScope {
        district_id,
        shop_id,
        topic_id,
        organisation_id,
    } = scope;
    let mut errors = Vec::new();
    let (needs_district, needs_shop) = match role.scope() {
        Scope::Global | Scope::GlobalOrTopic | Scope::Organisation => (false, false),
        Scope::District => (true, false),
        Scope::Shop => (false, true),
    };
    if topic_id.is_some() && role.scope() != Scope::GlobalOrTopic {
        errors.push(field(
            "topic_id",
            "Diese Rolle gilt nicht für einen Fachbereich.",
            "This role holds for no topic.",
        ));
    }
    match (role.scope() == Scope::Organisation, organisation_id) {
        (true, None) => errors.push(field(
            "organisation_id",
            "Für diese Rolle bitte eine Organisation angeben.",
            "For this role, please name an organisation.",
        )),
        (false, Some(_)) => errors.push(field(
            "organisation_id",
            "Diese Rolle gilt nicht für eine Organisation.",
            "This role holds for no organisation.",
        )),
        _ => {}
    }
    match (needs_district, district_id) {
        (true, None) => errors.push(field(
            "district_id",
            "Für diese Rolle bitte einen Ortsteil angeben.",
            "For this role, please name a district.",
        )),
        (false, Some(_)) => errors.push(field(
            "district_id",
            "Diese Rolle gilt nicht für einen Ortsteil.",
            "This role holds for no district.",
        )),
        _ => {}
    }
    match (needs_shop, shop_id) {
        (true, None) => errors.push(field(
            "shop_id",
            "Für diese Rolle bitte einen Laden angeben.",
            "For this role, please name a shop.",
        )),
        (false, Some(_)) => errors.push(field(
            "shop_id",
            "Diese Rolle gilt nicht für einen Laden.",
            "This role holds for no shop.",
        )),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    app_user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(user_not_found)?;
    if let Some(district) = district_id
        && district::Entity::find_by_id(district)
            .one(conn)
            .await?
            .is_none()
    {
        return Err(DomainError::NotFound(Text::new(
            "Diesen Ortsteil gibt es nicht.",
            "No such district.",
        )));
    }
    if let Some(shop) = shop_id
        && shop::Entity::find_by_id(shop).one(conn).await?.is_none()
    {
        return Err(DomainError::NotFound(Text::new(
            "Diesen Laden gibt es nicht.",
            "No such shop.",
        )));
    }
    if let Some(topic) = topic_id
        && entity::anliegen_topic::Entity::find_by_id(topic)
            .one(conn)
            .await?
            .is_none()
    {
        return Err(DomainError::NotFound(Text::new(
            "Diesen Fachbereich gibt es nicht.",
            "No such topic.",
        )));
    }
    if let Some(organisation) = organisation_id
        && entity::organisation::Entity::find_by_id(organisation)
            .one(conn)
            .await?
            .is_none()
    {
        return Err(DomainError::NotFound(Text::new(
            "Diese Organisation gibt es nicht.",
            "No such organisation.",
        )));
    }
    insert_assignment(conn, clock, user_id, role, scope).await
}

/// Revokes an assignment; takes effect with the holder's next request.
pub async fn revoke_role(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    assignment_id: Uuid,
) -> DomainResult<()> {
    actor.require_admin()?;
    let txn = db::begin_write(db).await?;
    db::enter(&txn, db::Section::Administrators).await?;
    if let Some(assignment) = role_assignment::Entity::find_by_id(assignment_id)
        .one(&txn)
        .await?
        && assignment.role == Role::Admin
        && other_admins(&txn, assignment.user_id).await? == 0
    {
        return Err(DomainError::Conflict(Text::new(
            "Die letzte Administrationsrolle kann nicht entzogen werden.",
            "The last administrator role cannot be revoked.",
        )));
    }
    let deleted = role_assignment::Entity::delete_many()
        .filter(role_assignment::Column::Id.eq(assignment_id))
        .filter(role_assignment::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(DomainError::NotFound(Text::new(
            "Diese Rollenzuweisung gibt es nicht.",
            "No such role assignment.",
        )));
    }
    txn.commit().await?;
    Ok(())
}

/// Administrators other than `user_id`. Call it inside [`db::Section::Administrators`], so that
/// two removals at once cannot both see the other as the one who remains.
pub async fn other_admins(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<u64, sea_orm::DbErr> {
    role_assignment::Entity::find()
        .filter(role_assignment::Column::Role.eq(Role::Admin))
        .filter(role_assignment::Column::UserId.ne(user_id))
        .count(conn)
        .await
}
