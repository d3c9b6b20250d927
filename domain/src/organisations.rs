//! Organisations that publish in a district (Verein, Kirchengemeinde, Feuerwehr, Jugendclub),
//! and their editors (`organisation_editor`, scoped to one organisation). The district's
//! leaders set an organisation up and name its editors; administrators may do both anywhere.
//! Events (issue 19) are published under an organisation's name by its editors.

use entity::{
    app_user, district, organisation, role_assignment,
    vocab::{OrganisationKind, Role},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    DomainError, DomainResult, Validator,
    auth::Actor,
    clock::SharedClock,
    is_unique_violation, normalize_optional,
    text::Text,
    users::{self, RoleScope},
};

pub const NAME_MAX: usize = 200;
pub const CONTACT_NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;

/// An organisation to set up.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrganisationKind,
    pub district_id: Uuid,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

/// A change: `None` leaves a field; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
    pub contact_name: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
}

/// One editor of an organisation.
#[derive(Clone, Debug)]
pub struct Editor {
    pub user_id: Uuid,
    pub display_name: String,
    pub since: chrono::DateTime<chrono::Utc>,
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diese Organisation gibt es nicht.",
        "No such organisation.",
    ))
}

fn name_taken() -> DomainError {
    DomainError::Conflict(Text::new(
        "Eine Organisation dieses Namens gibt es im Ortsteil schon.",
        "The district already has an organisation of this name.",
    ))
}

/// Sets organisations up and names their editors: admins, and the district's leaders.
pub fn may_manage(actor: &Actor, organisation: &organisation::Model) -> bool {
    actor.is_admin() || actor.leads(organisation.district_id)
}

/// Edits the organisation's own details: those who manage it, and its editors.
pub fn may_edit(actor: &Actor, organisation: &organisation::Model) -> bool {
    may_manage(actor, organisation) || actor.edits_for(organisation.id)
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<organisation::Model> {
    organisation::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

fn check_contact(v: &mut Validator, name: Option<&str>, phone: Option<&str>, email: Option<&str>) {
    v.optional_text("contact_name", name, CONTACT_NAME_MAX);
    v.phone("contact_phone", phone);
    if let Some(email) = email {
        v.email("contact_email", email);
        v.optional_text("contact_email", Some(email), EMAIL_MAX);
    }
}

/// Sets up an organisation in a district: its leaders and admins.
pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    input: NewOrganisation,
) -> DomainResult<organisation::Model> {
    if !(actor.is_admin() || actor.leads(input.district_id)) {
        return Err(DomainError::Forbidden);
    }
    let mut v = Validator::new();
    let exists = district::Entity::find_by_id(input.district_id)
        .one(db)
        .await?
        .is_some();
    v.check(
        exists,
        "district_id",
        "Diesen Ortsteil gibt es nicht.",
        "No such district.",
    );
    v.text("name", &input.name, NAME_MAX);
    let contact_name = normalize_optional(input.contact_name);
    let contact_phone = normalize_optional(input.contact_phone);
    let contact_email = normalize_optional(input.contact_email);
    check_contact(
        &mut v,
        contact_name.as_deref(),
        contact_phone.as_deref(),
        contact_email.as_deref(),
    );
    v.finish()?;
    let now = clock.now();
    organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_owned()),
        kind: Set(input.kind),
        district_id: Set(input.district_id),
        contact_name: Set(contact_name),
        contact_phone: Set(contact_phone),
        contact_email: Set(contact_email),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            name_taken()
        } else {
            err.into()
        }
    })
}

/// Changes an organisation's details: its managers and its own editors.
pub async fn update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    patch: OrganisationPatch,
    if_match: impl Fn(&organisation::Model) -> bool,
) -> DomainResult<organisation::Model> {
    let txn = crate::db::begin_write(db).await?;
    // Locked on PostgreSQL until the commit, so that the `If-Match` comparison holds for the
    // write (SQLite's write lock already serialises writers).
    let current = crate::db::locked(organisation::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if !may_edit(actor, &current) {
        return Err(DomainError::Forbidden);
    }
    if !if_match(&current) {
        return Err(DomainError::PreconditionFailed);
    }
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.text("name", name, NAME_MAX);
    }
    let pick = |change: Option<Option<String>>, now: &Option<String>| match change {
        None => now.clone(),
        Some(value) => normalize_optional(value),
    };
    let contact_name = pick(patch.contact_name, &current.contact_name);
    let contact_phone = pick(patch.contact_phone, &current.contact_phone);
    let contact_email = pick(patch.contact_email, &current.contact_email);
    check_contact(
        &mut v,
        contact_name.as_deref(),
        contact_phone.as_deref(),
        contact_email.as_deref(),
    );
    v.finish()?;
    let mut row: organisation::ActiveModel = current.into();
    if let Some(name) = patch.name {
        row.name = Set(name.trim().to_owned());
    }
    if let Some(kind) = patch.kind {
        row.kind = Set(kind);
    }
    row.contact_name = Set(contact_name);
    row.contact_phone = Set(contact_phone);
    row.contact_email = Set(contact_email);
    row.updated_at = Set(clock.now());
    let updated = row.update(&txn).await.map_err(|err| {
        if is_unique_violation(&err) {
            name_taken()
        } else {
            DomainError::from(err)
        }
    })?;
    txn.commit().await?;
    Ok(updated)
}

/// Organisations (of a district), in the order they were set up, after the cursor (an id).
pub async fn list(
    conn: &impl ConnectionTrait,
    district_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> DomainResult<(Vec<organisation::Model>, bool)> {
    use organisation::Column as C;
    let mut select = organisation::Entity::find();
    if let Some(district) = district_id {
        select = select.filter(C::DistrictId.eq(district));
    }
    if let Some(after) = after {
        select = select.filter(C::Id.gt(after));
    }
    let mut items = select
        .order_by_asc(C::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let more = items.len() as u64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((items, more))
}

/// An organisation's editors: for those who manage it and its editors.
pub async fn editors(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Vec<Editor>> {
    let organisation = load(conn, id).await?;
    if !may_edit(actor, &organisation) {
        return Err(DomainError::Forbidden);
    }
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::Role.eq(Role::OrganisationEditor.as_str()))
        .filter(role_assignment::Column::OrganisationId.eq(id))
        .order_by_asc(role_assignment::Column::CreatedAt)
        .all(conn)
        .await?;
    let users: std::collections::HashMap<Uuid, String> = app_user::Entity::find()
        .select_only()
        .column(app_user::Column::Id)
        .column(app_user::Column::DisplayName)
        .filter(Condition::all().add(
            app_user::Column::Id.is_in(assignments.iter().map(|a| a.user_id).collect::<Vec<_>>()),
        ))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(assignments
        .into_iter()
        .map(|a| Editor {
            display_name: users.get(&a.user_id).cloned().unwrap_or_default(),
            user_id: a.user_id,
            since: a.created_at,
        })
        .collect())
}

/// Names an editor: those who manage the organisation. `Ok(false)` when they were one already.
pub async fn grant_editor(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    user_id: Uuid,
) -> DomainResult<bool> {
    let organisation = load(db, id).await?;
    if !may_manage(actor, &organisation) {
        return Err(DomainError::Forbidden);
    }
    app_user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::NotFound(Text::new("Dieses Konto gibt es nicht.", "No such account."))
        })?;
    match users::insert_assignment(
        db,
        clock,
        user_id,
        Role::OrganisationEditor,
        RoleScope::organisation(id),
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(DomainError::Conflict(_)) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Ends an editor's role for the organisation: those who manage it. 404 for someone who is not
/// one.
pub async fn revoke_editor(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    user_id: Uuid,
) -> DomainResult<()> {
    let organisation = load(db, id).await?;
    if !may_manage(actor, &organisation) {
        return Err(DomainError::Forbidden);
    }
    let removed = role_assignment::Entity::delete_many()
        .filter(role_assignment::Column::Role.eq(Role::OrganisationEditor.as_str()))
        .filter(role_assignment::Column::OrganisationId.eq(id))
        .filter(role_assignment::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if removed.rows_affected == 0 {
        return Err(DomainError::NotFound(Text::new(
            "Diese Person ist hier keine Redakteurin und kein Redakteur.",
            "This person is not an editor here.",
        )));
    }
    Ok(())
}
