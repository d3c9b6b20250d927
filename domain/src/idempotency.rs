//! `Idempotency-Key` for creating requests: rural mobile networks drop answers and apps retry.
//! A retry with the same key by the same caller within 24 hours gets the first answer and
//! creates nothing new; the same key with a different request is refused (422).
//!
//! The key is claimed inside the creating transaction, before anything is created. A second
//! request with the same key that arrives while the first is still running waits on the claim
//! (PostgreSQL: the unique index; SQLite: the write lock) and then sees the stored answer. A
//! create that fails rolls its claim back, so the retry may try again.

use chrono::Duration;
use entity::idempotency_record as record;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::OnConflict,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{DomainError, DomainResult, clock::SharedClock, text::field};

/// How long a first answer is kept for retries.
pub const RETENTION: Duration = Duration::hours(24);
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// The stored first answer.
#[derive(Clone, Debug)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
    pub resource_id: Option<Uuid>,
}

/// What a create is about to do under a key.
#[derive(Clone, Debug)]
pub struct Claim {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
}

impl Claim {
    /// `scope` is the caller (`user:<id>`, or `anonymous`); `operation` and `request` make the
    /// fingerprint that a retry must match. `request` is the rule's own input, serialised: the
    /// one way every operation fingerprints what it was asked, so no field can be forgotten.
    pub fn new(
        scope: String,
        key: &str,
        operation: &str,
        request: &impl serde::Serialize,
    ) -> DomainResult<Self> {
        let key = key.trim();
        let valid = !key.is_empty()
            && key.len() <= MAX_KEY_LEN
            && key.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(DomainError::Validation(vec![field(
                "Idempotency-Key",
                "Höchstens 255 sichtbare ASCII-Zeichen, z. B. eine UUID.",
                "At most 255 visible ASCII characters, e.g. a UUID.",
            )]));
        }
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        hasher.update([0]);
        let request = serde_json::to_vec(request)
            .map_err(|err| DomainError::Internal(format!("fingerprinting {operation}: {err}")))?;
        hasher.update(&request);
        let request_hash = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            scope,
            key: key.to_owned(),
            request_hash,
        })
    }
}

/// Claims the key. `Ok(None)`: go ahead and create, then [`complete`]. `Ok(Some(answer))`: a
/// replay; answer with it and create nothing.
pub async fn claim(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    claim: &Claim,
) -> DomainResult<Option<StoredAnswer>> {
    let now = clock.now();
    // A record past its retention no longer counts.
    record::Entity::delete_many()
        .filter(record::Column::Scope.eq(&claim.scope))
        .filter(record::Column::Key.eq(&claim.key))
        .filter(record::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    let placeholder = record::ActiveModel {
        id: Set(Uuid::now_v7()),
        scope: Set(claim.scope.clone()),
        key: Set(claim.key.clone()),
        request_hash: Set(claim.request_hash.clone()),
        status_code: Set(0),
        response_body: Set(String::new()),
        resource_id: Set(None),
        created_at: Set(now),
        expires_at: Set(now + RETENTION),
    };
    let inserted = record::Entity::insert(placeholder)
        .on_conflict(
            OnConflict::columns([record::Column::Scope, record::Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await;
    match inserted {
        Ok(rows) if rows > 0 => return Ok(None),
        Ok(_) | Err(DbErr::RecordNotInserted) => {}
        Err(err) => return Err(err.into()),
    }
    let existing = record::Entity::find()
        .filter(record::Column::Scope.eq(&claim.scope))
        .filter(record::Column::Key.eq(&claim.key))
        .one(conn)
        .await?
        .ok_or_else(|| {
            DomainError::Db(DbErr::RecordNotFound("idempotency record vanished".into()))
        })?;
    if existing.request_hash != claim.request_hash {
        return Err(DomainError::Validation(vec![field(
            "Idempotency-Key",
            "Dieser Schlüssel wurde schon für eine andere Anfrage verwendet.",
            "This key was already used for a different request.",
        )]));
    }
    Ok(Some(StoredAnswer {
        status: u16::try_from(existing.status_code).unwrap_or(200),
        body: existing.response_body,
        resource_id: existing.resource_id,
    }))
}

/// Looks for a stored first answer without claiming anything (to do slow checks outside the
/// write transaction). The same key with another request is refused.
pub async fn peek(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    claim: &Claim,
) -> DomainResult<Option<StoredAnswer>> {
    let Some(existing) = record::Entity::find()
        .filter(record::Column::Scope.eq(&claim.scope))
        .filter(record::Column::Key.eq(&claim.key))
        .filter(record::Column::ExpiresAt.gt(clock.now()))
        .filter(record::Column::StatusCode.gt(0))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if existing.request_hash != claim.request_hash {
        return Err(DomainError::Validation(vec![field(
            "Idempotency-Key",
            "Dieser Schlüssel wurde schon für eine andere Anfrage verwendet.",
            "This key was already used for a different request.",
        )]));
    }
    Ok(Some(StoredAnswer {
        status: u16::try_from(existing.status_code).unwrap_or(200),
        body: existing.response_body,
        resource_id: existing.resource_id,
    }))
}

/// Stores the first answer under the claimed key (same transaction as the create).
pub async fn complete(
    conn: &impl ConnectionTrait,
    claim: &Claim,
    answer: &StoredAnswer,
) -> DomainResult<()> {
    let existing = record::Entity::find()
        .filter(record::Column::Scope.eq(&claim.scope))
        .filter(record::Column::Key.eq(&claim.key))
        .one(conn)
        .await?
        .ok_or_else(|| {
            DomainError::Db(DbErr::RecordNotFound("idempotency claim missing".into()))
        })?;
    let mut model: record::ActiveModel = existing.into();
    model.status_code = Set(i32::from(answer.status));
    model.response_body = Set(answer.body.clone());
    model.resource_id = Set(answer.resource_id);
    model.update(conn).await?;
    Ok(())
}

/// Deletes records past their retention (run by the maintenance job).
pub async fn purge_expired(conn: &impl ConnectionTrait, clock: &SharedClock) -> Result<u64, DbErr> {
    Ok(record::Entity::delete_many()
        .filter(record::Column::ExpiresAt.lte(clock.now()))
        .exec(conn)
        .await?
        .rows_affected)
}
