//! Forms that outlived their sign-in: a console form sent after the sign-in had ended is kept,
//! once its author has signed in again, for 24 hours, so that the page can show it filled in
//! ("Ihr Entwurf ist wiederhergestellt") instead of losing what was typed. It is bound to the
//! user who signed in, to the page it came from, and is handed out once. Nothing is ever
//! submitted from a draft: the person checks it and saves.

use chrono::Duration;
use entity::console_draft;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use crate::{DomainResult, clock::SharedClock};

/// How long a draft waits for its author.
pub const KEPT_FOR: Duration = Duration::hours(24);
/// The most a draft may hold (all names and values together), in bytes.
pub const MAX_BYTES: usize = 128 * 1024;
/// The longest page address kept with a draft.
pub const PATH_MAX: usize = 200;

/// Keeps the fields of a form for `user`, to be restored on `path`. `None` when there is
/// nothing to keep or it is too large to be a form someone typed.
pub async fn stash(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    user: Uuid,
    path: &str,
    fields: &[(String, String)],
) -> DomainResult<Option<Uuid>> {
    let size: usize = fields.iter().map(|(k, v)| k.len() + v.len()).sum();
    if fields.is_empty() || size > MAX_BYTES || path.len() > PATH_MAX {
        return Ok(None);
    }
    let now = clock.now();
    let id = Uuid::now_v7();
    console_draft::Entity::insert(console_draft::ActiveModel {
        id: Set(id),
        user_id: Set(user),
        path: Set(path.to_owned()),
        fields: Set(serde_json::to_string(fields).unwrap_or_else(|_| "[]".into())),
        created_at: Set(now),
        expires_at: Set(now + KEPT_FOR),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(Some(id))
}

/// The fields of draft `id`, once, for the same user on the same page within its time; `None`
/// otherwise (another person's draft is not theirs to see, an old one is gone).
pub async fn take(
    db: &DatabaseConnection,
    clock: &SharedClock,
    user: Uuid,
    path: &str,
    id: Uuid,
) -> DomainResult<Option<Vec<(String, String)>>> {
    let Some(draft) = console_draft::Entity::find_by_id(id)
        .filter(console_draft::Column::UserId.eq(user))
        .filter(console_draft::Column::Path.eq(path))
        .filter(console_draft::Column::ExpiresAt.gt(clock.now()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Handed out once: of two tabs opening it, one gets it.
    let taken = console_draft::Entity::delete_by_id(draft.id)
        .exec(db)
        .await?
        .rows_affected;
    if taken == 0 {
        return Ok(None);
    }
    Ok(serde_json::from_str(&draft.fields).ok())
}

/// Drops drafts nobody came back for (the hourly purge).
pub async fn purge(conn: &impl ConnectionTrait, clock: &SharedClock) -> DomainResult<u64> {
    Ok(console_draft::Entity::delete_many()
        .filter(console_draft::Column::ExpiresAt.lte(clock.now()))
        .exec(conn)
        .await?
        .rows_affected)
}
