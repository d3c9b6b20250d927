//! Time-driven work: one mechanism for scheduled news, ride expiry and reminders, push
//! delivery and retries.
//!
//! A job is a row with a due time. Workers (one per running instance) claim due rows with a
//! lease: the claim sets `locked_by`/`locked_until` in one atomic statement, on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED` so that concurrent workers pass over each other's rows
//! instead of waiting, on SQLite under its single-writer lock. A finished job is deleted; a
//! failed one is rescheduled with exponential backoff; a worker that dies leaves its claim to
//! expire, after which any worker takes the job over. Jobs are enqueued inside the caller's
//! transaction (transactional outbox), so work is never lost and never created without the
//! change that caused it.
//!
//! No crate fitted: the maintained Rust job queues either bring their own sqlx version or
//! support only one of our two databases.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, SubsecRound, Utc};
use entity::{job, vocab::JobStatus};
use futures::future::BoxFuture;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, sea_query::OnConflict,
};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::clock::SharedClock;

/// How long a claim protects a running job. A job must finish well within this; a worker that
/// crashed mid-job leaves it to be taken over once the lease has run out.
pub const LEASE: Duration = Duration::from_secs(60);
/// Default number of attempts before a job is given up as `dead`.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;
/// First retry after about this long, doubling with every further attempt.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// Retries are never pushed out further than this.
const BACKOFF_CAP: Duration = Duration::from_secs(60 * 60);
/// Jobs claimed in one go by one worker.
const CLAIM_BATCH: u64 = 16;

/// A job to be enqueued.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub due_at: DateTime<Utc>,
    /// Work that must exist only once (e.g. `news.publish:<id>`); a second enqueue with the
    /// same key is ignored while the first is still pending.
    pub unique_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    /// A job of `kind` with its JSON payload (build it with `serde_json::json!` or
    /// `serde_json::to_value`, whose error the caller handles).
    pub fn new(kind: &'static str, payload: serde_json::Value, due_at: DateTime<Utc>) -> Self {
        Self {
            kind,
            payload,
            due_at,
            unique_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, attempts: i32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
}

/// Puts a job into the queue, inside whatever transaction `conn` is.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    job: NewJob,
) -> Result<(), DbErr> {
    let now = clock.now();
    let model = job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(job.kind.to_owned()),
        payload: Set(job.payload.to_string()),
        unique_key: Set(job.unique_key),
        status: Set(JobStatus::Pending),
        due_at: Set(job.due_at),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match job::Entity::insert(model)
        .on_conflict(
            OnConflict::column(job::Column::UniqueKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await
    {
        Ok(_) | Err(DbErr::RecordNotInserted) => Ok(()),
        Err(err) => Err(err),
    }
}

/// Removes pending work that is no longer wanted (e.g. the reminder of a cancelled ride).
pub async fn cancel(conn: &impl ConnectionTrait, unique_key: &str) -> Result<u64, DbErr> {
    let result = job::Entity::delete_many()
        .filter(job::Column::UniqueKey.eq(unique_key))
        .filter(job::Column::Status.eq(JobStatus::Pending))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// A claimed job, handed to its handler.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub due_at: DateTime<Utc>,
}

impl ClaimedJob {
    /// The payload as the type the handler expects.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_str(&self.payload).map_err(|e| JobError::Permanent(e.to_string()))
    }
}

/// What a handler decided.
#[derive(Debug)]
pub enum JobOutcome {
    /// Finished; the job is removed.
    Done,
    /// Run again at this time, without counting as a failure (e.g. quiet hours, Retry-After).
    RetryAt(DateTime<Utc>),
}

/// Why a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (network, 5xx, database busy).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Will never succeed (bad payload); the job is given up at once.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl From<DbErr> for JobError {
    fn from(err: DbErr) -> Self {
        JobError::Temporary(err.to_string())
    }
}

/// What handlers get besides the job: the database and the clock.
#[derive(Clone)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    /// The municipality's time zone, for local times in notices.
    pub time_zone: chrono_tz::Tz,
    /// Advanced when a job changes what the news feed shows (a scheduled item goes live).
    pub news_version: crate::news::FeedVersion,
    /// Where photos' renditions are kept (released photos are removed from it).
    pub media: media::store::MediaStore,
    /// How text messages are sent (ride messages and warnings are queued by jobs).
    pub sms: Arc<crate::sms::SmsConfig>,
}

type Handler = Arc<
    dyn Fn(JobContext, ClaimedJob) -> BoxFuture<'static, Result<JobOutcome, JobError>>
        + Send
        + Sync,
>;

/// Which handler runs which kind of job. Capabilities register theirs at start-up.
#[derive(Clone, Default)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, Handler>,
}

impl JobRegistry {
    pub fn register<F, Fut>(&mut self, kind: &'static str, handler: F)
    where
        F: Fn(JobContext, ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<JobOutcome, JobError>> + Send + 'static,
    {
        self.handlers
            .insert(kind, Arc::new(move |ctx, job| Box::pin(handler(ctx, job))));
    }

    pub fn kinds(&self) -> impl Iterator<Item = &&'static str> {
        self.handlers.keys()
    }
}

/// Delay before attempt `attempt + 1`, after `attempt` failures: about 2 s, 4 s, 8 s …, each
/// with up to 25 % random jitter so that many failing jobs do not retry in lock-step.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let base = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(BACKOFF_CAP);
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() {
        f64::from(byte[0]) / 255.0 * 0.25
    } else {
        0.0
    };
    base.mul_f64(1.0 + jitter).min(BACKOFF_CAP)
}

/// One worker: claims due jobs and runs them. Every running instance has one.
#[derive(Clone)]
pub struct Worker {
    id: String,
    ctx: JobContext,
    registry: Arc<JobRegistry>,
    poll_interval: Duration,
}

impl Worker {
    pub fn new(ctx: JobContext, registry: Arc<JobRegistry>, poll_interval: Duration) -> Self {
        Self {
            id: format!("worker-{}", Uuid::now_v7()),
            ctx,
            registry,
            poll_interval,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs until `shutdown` is cancelled; a job in progress is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(worker = %self.id, kinds = ?self.registry.kinds().collect::<Vec<_>>(), "job worker started");
        while !shutdown.is_cancelled() {
            // One batch at a time, so that a shutdown waits for at most one batch.
            let ran = match self.run_batch().await {
                Ok(ran) => ran,
                Err(err) => {
                    tracing::warn!(worker = %self.id, error = %err, "claiming jobs failed");
                    0
                }
            };
            if ran == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(self.poll_interval) => {}
                }
            }
        }
        tracing::info!(worker = %self.id, "job worker stopped");
    }

    /// Claims and runs every job that is due now, batch by batch; returns how many ran.
    pub async fn run_due(&self) -> Result<usize, DbErr> {
        let mut total = 0;
        loop {
            match self.run_batch().await? {
                0 => return Ok(total),
                ran => total += ran,
            }
        }
    }

    /// Claims one batch of due jobs and runs it; returns how many ran.
    pub async fn run_batch(&self) -> Result<usize, DbErr> {
        let claimed = self.claim(CLAIM_BATCH).await?;
        let ran = claimed.len();
        for job in claimed {
            self.execute(job).await?;
        }
        Ok(ran)
    }

    /// Claims up to `limit` due jobs for this worker.
    pub async fn claim(&self, limit: u64) -> Result<Vec<ClaimedJob>, DbErr> {
        let now = self.ctx.clock.now();
        let lease_until = now
            + chrono::Duration::from_std(LEASE).unwrap_or_else(|_| chrono::Duration::seconds(60));
        let statement = crate::db::Claim {
            table: "job",
            also_set: "attempts = attempts + 1, updated_at = $3",
            due: &format!(
                "status = '{}' AND due_at <= $3",
                JobStatus::Pending.as_str()
            ),
            order_by: "due_at",
            returning: "id, kind, payload, attempts, max_attempts, due_at",
        }
        .statement(
            self.ctx.db.get_database_backend(),
            &self.id,
            lease_until,
            now,
            limit,
        );
        ClaimedJob::find_by_statement(statement)
            .all(&self.ctx.db)
            .await
    }

    /// Runs one claimed job and records the outcome, unless the claim was lost meanwhile.
    pub async fn execute(&self, job: ClaimedJob) -> Result<(), DbErr> {
        let span =
            tracing::info_span!("job", job_id = %job.id, kind = %job.kind, attempt = job.attempts);
        self.execute_in_span(job).instrument(span).await
    }

    async fn execute_in_span(&self, job: ClaimedJob) -> Result<(), DbErr> {
        let outcome = match self.registry.handlers.get(job.kind.as_str()) {
            Some(handler) => handler(self.ctx.clone(), job.clone()).await,
            None => Err(JobError::Permanent(format!(
                "no handler for job kind {:?}",
                job.kind
            ))),
        };
        let now = self.ctx.clock.now();
        let mine = sea_orm::Condition::all()
            .add(job::Column::Id.eq(job.id))
            .add(job::Column::LockedBy.eq(self.id.clone()));
        match outcome {
            Ok(JobOutcome::Done) => {
                count(&job.kind, "done");
                job::Entity::delete_many()
                    .filter(mine)
                    .exec(&self.ctx.db)
                    .await?;
            }
            Ok(JobOutcome::RetryAt(at)) => {
                // Not a failure: give the attempt back.
                count(&job.kind, "deferred");
                self.release(mine, at, job.attempts - 1, None, JobStatus::Pending)
                    .await?;
            }
            Err(err) => {
                let give_up =
                    matches!(err, JobError::Permanent(_)) || job.attempts >= job.max_attempts;
                let message = err.to_string();
                count(&job.kind, if give_up { "dead" } else { "failed" });
                if give_up {
                    tracing::error!(error = %message, "job failed for good");
                    self.release(mine, now, job.attempts, Some(message), JobStatus::Dead)
                        .await?;
                } else {
                    let delay = chrono::Duration::from_std(backoff(job.attempts))
                        .unwrap_or_else(|_| chrono::Duration::seconds(2));
                    tracing::warn!(error = %message, retry_in_ms = delay.num_milliseconds(), "job failed, will retry");
                    self.release(
                        mine,
                        now + delay,
                        job.attempts,
                        Some(message),
                        JobStatus::Pending,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn release(
        &self,
        mine: sea_orm::Condition,
        due_at: DateTime<Utc>,
        attempts: i32,
        last_error: Option<String>,
        status: JobStatus,
    ) -> Result<(), DbErr> {
        use sea_orm::sea_query::Expr;
        let update = job::Entity::update_many()
            .col_expr(job::Column::DueAt, Expr::value(due_at.trunc_subsecs(6)))
            .col_expr(job::Column::Attempts, Expr::value(attempts))
            .col_expr(job::Column::LastError, Expr::value(last_error))
            .col_expr(job::Column::Status, Expr::value(status))
            .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(self.ctx.clock.now()));
        // A dead job keeps its row for inspection but frees its key, so that the same work
        // can be queued again.
        let update = if status == JobStatus::Dead {
            update.col_expr(job::Column::UniqueKey, Expr::value(Option::<String>::None))
        } else {
            update
        };
        update.filter(mine).exec(&self.ctx.db).await?;
        Ok(())
    }
}

fn count(kind: &str, outcome: &'static str) {
    metrics::counter!("jobs_executed_total", "kind" => kind.to_owned(), "outcome" => outcome)
        .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_near_two_seconds_and_doubles() {
        for (attempt, base) in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)] {
            let delay = backoff(attempt).as_secs_f64();
            assert!(
                delay >= base && delay <= base * 1.25,
                "attempt {attempt}: {delay}"
            );
        }
        assert!(backoff(40) <= BACKOFF_CAP);
    }
}
