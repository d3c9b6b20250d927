//! Integrators' keys (Open311 `api_key`): issued by an administrator, shown once, kept only as
//! a SHA-256 (a key is 32 random bytes, so a fast hash is enough, as for refresh tokens) with
//! its first characters for telling keys apart; revoked at once.

use entity::api_client;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    DomainError, DomainResult, Validator,
    auth::{Actor, tokens},
    clock::SharedClock,
    text::Text,
};

pub const NAME_MAX: usize = 200;
/// Characters of the key kept in the clear.
const PREFIX: usize = 8;

/// A key just issued: the client, and the key itself, which is never shown again.
#[derive(Clone, Debug)]
pub struct Issued {
    pub client: api_client::Model,
    pub api_key: String,
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diesen API-Zugang gibt es nicht.",
        "No such API client.",
    ))
}

/// Issues a key to an integrator: administrators only.
pub async fn issue(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    name: &str,
) -> DomainResult<Issued> {
    actor.require_admin()?;
    let mut v = Validator::new();
    v.text("name", name, NAME_MAX);
    v.finish()?;
    let (api_key, key_hash) =
        tokens::new_refresh_token().map_err(|err| DomainError::Internal(format!("{err:?}")))?;
    let client = api_client::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.trim().to_owned()),
        key_hash: Set(key_hash),
        key_prefix: Set(api_key.chars().take(PREFIX).collect()),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(clock.now()),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Issued { client, api_key })
}

/// Every client, newest first: administrators only.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
) -> DomainResult<Vec<api_client::Model>> {
    actor.require_admin()?;
    Ok(api_client::Entity::find()
        .order_by_desc(api_client::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// Revokes a key at once; revoking twice is fine.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<api_client::Model> {
    actor.require_admin()?;
    let client = api_client::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    if client.revoked_at.is_some() {
        return Ok(client);
    }
    let mut row: api_client::ActiveModel = client.into();
    row.revoked_at = Set(Some(clock.now()));
    Ok(row.update(conn).await?)
}

/// The client a key belongs to, if it is valid (known and not revoked); notes its use.
pub async fn verify(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    api_key: &str,
) -> DomainResult<Option<api_client::Model>> {
    let hash = tokens::hash_refresh_token(api_key.trim());
    let Some(client) = api_client::Entity::find()
        .filter(api_client::Column::KeyHash.eq(hash))
        .filter(api_client::Column::RevokedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    api_client::Entity::update_many()
        .col_expr(api_client::Column::LastUsedAt, Expr::value(clock.now()))
        .filter(api_client::Column::Id.eq(client.id))
        .exec(conn)
        .await?;
    Ok(Some(client))
}
