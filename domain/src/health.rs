//! The system's health as an administrator needs it: is the database there, how far behind
//! are the queues (jobs, notices waiting to be expanded, pushes waiting to be sent), what has
//! failed and why. Counts and error texts only; no personal data.

use chrono::{DateTime, Duration, Utc};
use entity::{
    job, notice, push_delivery,
    vocab::{DeliveryStatus, JobStatus, NoticeStatus},
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{DomainResult, auth::Actor, clock::SharedClock, db};

/// How many of the most recent failed jobs are shown with their error.
pub const DEAD_JOBS_SHOWN: u64 = 10;
/// The window of failed pushes counted.
pub const FAILED_PUSH_WINDOW: Duration = Duration::hours(24);

/// A job that gave up, with its last error.
#[derive(Clone, Debug)]
pub struct DeadJob {
    pub kind: String,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A snapshot of the system's health.
#[derive(Clone, Debug)]
pub struct Health {
    /// The database answered a query.
    pub database_reachable: bool,
    /// `postgres` or `sqlite`.
    pub database_backend: &'static str,
    /// Connections open, idle and allowed in this instance's pool.
    pub pool: Option<db::PoolStats>,
    /// Jobs due now and not yet done, and how long the oldest of them has waited.
    pub jobs_due: u64,
    pub oldest_due_seconds: Option<i64>,
    /// Jobs that failed for good, and the latest of them.
    pub jobs_dead: u64,
    pub dead_jobs: Vec<DeadJob>,
    /// Notices waiting to be expanded into inboxes and pushes.
    pub notices_pending: u64,
    /// Pushes waiting to be sent.
    pub pushes_pending: u64,
    /// Pushes that failed, or whose device was gone, in the last [`FAILED_PUSH_WINDOW`].
    pub pushes_failed_recently: u64,
}

/// The health summary. Administrators only.
pub async fn summary(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
) -> DomainResult<Health> {
    actor.require_admin()?;
    let now = clock.now();
    let database_reachable = db::is_reachable(db).await;
    let database_backend = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "postgres",
        sea_orm::DatabaseBackend::Sqlite => "sqlite",
        _ => "other",
    };
    let due = job::Entity::find()
        .filter(job::Column::Status.eq(JobStatus::Pending))
        .filter(job::Column::DueAt.lte(now));
    let jobs_due = due.clone().count(db).await?;
    let oldest_due_seconds = due
        .order_by_asc(job::Column::DueAt)
        .one(db)
        .await?
        .map(|j| (now - j.due_at).num_seconds().max(0));
    let dead = job::Entity::find().filter(job::Column::Status.eq(JobStatus::Dead));
    let jobs_dead = dead.clone().count(db).await?;
    let dead_jobs = dead
        .order_by_desc(job::Column::UpdatedAt)
        .limit(DEAD_JOBS_SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(|j| DeadJob {
            kind: j.kind,
            last_error: j.last_error,
            updated_at: j.updated_at,
        })
        .collect();
    let notices_pending = notice::Entity::find()
        .filter(notice::Column::Status.eq(NoticeStatus::Pending))
        .count(db)
        .await?;
    let pushes_pending = push_delivery::Entity::find()
        .filter(push_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .count(db)
        .await?;
    let pushes_failed_recently = push_delivery::Entity::find()
        .filter(push_delivery::Column::Status.is_in([DeliveryStatus::Failed, DeliveryStatus::Gone]))
        .filter(push_delivery::Column::UpdatedAt.gte(now - FAILED_PUSH_WINDOW))
        .count(db)
        .await?;
    Ok(Health {
        database_reachable,
        database_backend,
        pool: db::pool_stats(db),
        jobs_due,
        oldest_due_seconds,
        jobs_dead,
        dead_jobs,
        notices_pending,
        pushes_pending,
        pushes_failed_recently,
    })
}
