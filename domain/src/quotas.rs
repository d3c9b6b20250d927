//! Quotas: limits where a person's real need ends, so that one account or one address cannot
//! flood drivers, push services or the database (security review: 2,326 rides booked in 15 s,
//! 1,393 test pushes in 8 s, 150 registrations in 3.6 s from one address). Each is counted in
//! the database, so every instance shares it, and decided under a lock on its key, so that
//! parallel requests cannot slip past it. A used-up quota is 429 `rate_limited` with
//! `Retry-After` (when the oldest use in the window leaves it) and a text that says which.

use chrono::{DateTime, Duration, Utc};
use entity::{quota_use, vocab::QuotaKind};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::{DomainError, DomainResult, text::Text};

/// The limits, configurable (`DORFAPP_QUOTA_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Open future ride legs one rider may have booked themselves. Dialysis three times a
    /// week with return legs over the 60-day booking horizon is about 52.
    pub open_rides_per_rider: u32,
    /// `POST /push/test` per person and hour.
    pub test_pushes_per_hour: u32,
    /// Registrations per client address and hour (a village hall's sign-up evening fits).
    pub registrations_per_address_per_hour: u32,
    /// News items per author and hour.
    pub news_per_author_per_hour: u32,
    /// Anliegen one person files in a day (what the ride desk files for callers is not
    /// counted against the desk).
    pub anliegen_per_person_per_day: u32,
    /// "Ich auch" per person and hour.
    pub anliegen_supports_per_hour: u32,
    /// Events (single or series) per author and hour.
    pub events_per_author_per_hour: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            open_rides_per_rider: 60,
            test_pushes_per_hour: 10,
            registrations_per_address_per_hour: 30,
            news_per_author_per_hour: 30,
            anliegen_per_person_per_day: 10,
            anliegen_supports_per_hour: 60,
            events_per_author_per_hour: 20,
        }
    }
}

/// The window of the hourly quotas.
pub const HOUR: Duration = Duration::hours(1);

/// Serialises the decisions about one key (a person, an address) for the rest of the
/// transaction: on PostgreSQL an advisory lock on its hash; SQLite's write transaction
/// already holds the one write lock.
pub async fn lock(txn: &DatabaseTransaction, key: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [format!("quota:{key}").into()],
        ))
        .await?;
    }
    Ok(())
}

/// Refuses when `used` (plus `adding`) would pass `limit`; `frees_at` is when the oldest use
/// leaves the window (or the oldest open item ends), for `Retry-After`.
pub fn check(
    used: u64,
    adding: u64,
    limit: u32,
    frees_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    detail: impl FnOnce() -> Text,
) -> DomainResult<()> {
    if used + adding <= u64::from(limit) {
        return Ok(());
    }
    let wait = frees_at.map_or(60, |at| (at - now).num_seconds().max(1));
    Err(DomainError::QuotaExceeded {
        detail: detail(),
        retry_after_seconds: u64::try_from(wait).unwrap_or(60),
    })
}

/// Refuses when `times` — the uses within the last [`HOUR`], oldest first — already fill an
/// hourly `limit`; it frees up when the oldest leaves the hour.
pub fn check_hourly(
    times: &[DateTime<Utc>],
    limit: u32,
    now: DateTime<Utc>,
    detail: impl FnOnce() -> Text,
) -> DomainResult<()> {
    check(
        times.len() as u64,
        1,
        limit,
        times.first().map(|t| *t + HOUR),
        now,
        detail,
    )
}

/// Counts the uses of `kind` by `key` within `window`, refuses past `limit`, else records one
/// more. Call it inside the transaction that does the limited thing, after [`lock`].
pub async fn use_one(
    txn: &DatabaseTransaction,
    kind: QuotaKind,
    key: &str,
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
    detail: impl FnOnce() -> Text,
) -> DomainResult<()> {
    let key: String = key.chars().take(80).collect();
    let recent: Vec<DateTime<Utc>> = quota_use::Entity::find()
        .select_only()
        .column(quota_use::Column::At)
        .filter(quota_use::Column::Kind.eq(kind))
        .filter(quota_use::Column::Key.eq(&key))
        .filter(quota_use::Column::At.gt(now - window))
        .order_by_asc(quota_use::Column::At)
        .into_tuple()
        .all(txn)
        .await?;
    check(
        recent.len() as u64,
        1,
        limit,
        recent.first().map(|at| *at + window),
        now,
        detail,
    )?;
    quota_use::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        key: Set(key),
        at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Drops uses older than a day (the maintenance job): no window is longer.
pub async fn purge(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(quota_use::Entity::delete_many()
        .filter(quota_use::Column::At.lt(now - Duration::days(1)))
        .exec(conn)
        .await?
        .rows_affected)
}
