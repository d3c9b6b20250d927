//! Districts (Ortsteile): the units that news, rides and shops belong to.

use entity::district;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryOrder,
};
use uuid::Uuid;

use crate::{
    DomainError, DomainResult, Validator, auth::Actor, clock::SharedClock, db, is_unique_violation,
    normalize_optional, text::Text,
};

pub const NAME_MAX: usize = 100;
pub const SLUG_MAX: usize = 64;
pub const DESCRIPTION_MAX: usize = 2000;
/// [`is_valid_slug`] as a regular expression, for the published schema.
pub const SLUG_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

#[derive(Clone, Debug)]
pub struct NewDistrict {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

/// A partial update: `None` leaves a field as it is; `description: Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct DistrictPatch {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// A slug is lower-case ASCII letters and digits in groups joined by single hyphens
/// (`bad-suderode`): stable, URL-safe, readable.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= SLUG_MAX
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn check_slug(v: &mut Validator, slug: &str) {
    v.check(
        is_valid_slug(slug),
        "slug",
        "Nur Kleinbuchstaben a–z, Ziffern und einzelne Bindestriche, höchstens 64 Zeichen.",
        "Only lower-case letters a–z, digits and single hyphens, at most 64 characters.",
    );
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diesen Ortsteil gibt es nicht.",
        "No such district.",
    ))
}

fn duplicate_slug(err: sea_orm::DbErr) -> DomainError {
    if is_unique_violation(&err) {
        DomainError::Conflict(Text::new(
            "Es gibt schon einen Ortsteil mit diesem Kürzel (slug).",
            "A district with this slug already exists.",
        ))
    } else {
        DomainError::Db(err)
    }
}

/// All districts, alphabetically.
pub async fn list(conn: &impl ConnectionTrait) -> DomainResult<Vec<district::Model>> {
    Ok(district::Entity::find()
        .order_by_asc(district::Column::Name)
        .order_by_asc(district::Column::Id)
        .all(conn)
        .await?)
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<district::Model> {
    district::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

pub async fn create(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    input: NewDistrict,
) -> DomainResult<district::Model> {
    let mut v = Validator::new();
    check_slug(&mut v, &input.slug);
    v.text("name", &input.name, NAME_MAX).optional_text(
        "description",
        input.description.as_deref(),
        DESCRIPTION_MAX,
    );
    v.finish()?;
    let now = clock.now();
    district::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(input.slug),
        name: Set(input.name.trim().to_owned()),
        description: Set(normalize_optional(input.description)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(duplicate_slug)
}

/// Creates a district on behalf of a caller: administrators only.
pub async fn create_as(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: &Actor,
    input: NewDistrict,
) -> DomainResult<district::Model> {
    actor.require_admin()?;
    create(conn, clock, input).await
}

/// Updates a district on behalf of a caller: administrators only. `if_match` tells whether the
/// version the caller last read is still the current one; `false` answers 412, nothing changes.
pub async fn update_as(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    patch: DistrictPatch,
    if_match: impl Fn(&district::Model) -> bool,
) -> DomainResult<district::Model> {
    actor.require_admin()?;
    let txn = db::begin_write(db).await?;
    let current = db::locked(district::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if !if_match(&current) {
        return Err(DomainError::PreconditionFailed);
    }
    let updated = update(&txn, clock, id, patch).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    id: Uuid,
    patch: DistrictPatch,
) -> DomainResult<district::Model> {
    let mut v = Validator::new();
    if let Some(slug) = &patch.slug {
        check_slug(&mut v, slug);
    }
    if let Some(name) = &patch.name {
        v.text("name", name, NAME_MAX);
    }
    if let Some(description) = &patch.description {
        v.optional_text("description", description.as_deref(), DESCRIPTION_MAX);
    }
    v.finish()?;
    let current = get(conn, id).await?;
    let mut model: district::ActiveModel = current.into();
    if let Some(slug) = patch.slug {
        model.slug = Set(slug);
    }
    if let Some(name) = patch.name {
        model.name = Set(name.trim().to_owned());
    }
    if let Some(description) = patch.description {
        model.description = Set(normalize_optional(description));
    }
    model.updated_at = Set(clock.now());
    model.update(conn).await.map_err(duplicate_slug)
}

#[cfg(test)]
mod tests {
    use super::is_valid_slug;

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        for ok in ["rieder", "bad-suderode", "ortsteil-2"] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "Rieder",
            "bad--suderode",
            "-rieder",
            "rieder-",
            "ried er",
            "rïeder",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }
}
