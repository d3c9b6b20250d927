//! The outbox of text messages: queued in the transaction of their cause ([`enqueue`]), sent by
//! an [`SmsWorker`] of any instance.
//!
//! A message is claimed with a lease (`db::Claim`, `SKIP LOCKED` on PostgreSQL), so two
//! instances never send it both. Its outcome is recorded right after its own request, only
//! while the claim is still ours; a duplicate needs a crash between the provider's answer and
//! that commit (at-least-once, as with push). Before sending, consent and the budget are
//! checked again: a consent withdrawn after queueing cancels the message.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{
    sms_message, sms_recipient, sms_usage,
    vocab::{SmsKind, SmsPurpose, SmsStatus},
};
use futures::{StreamExt, stream};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Statement, sea_query::Expr,
    sea_query::OnConflict,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{SmsConfig, budget, purpose_of, waits_for_quiet_hours};
use crate::{clock::SharedClock, db, jobs::backoff};
use ::sms::{OutgoingSms, SendOutcome, SmsProvider, gsm};

/// Messages claimed in one go: a text takes a provider round trip each, so batches are small.
pub const BATCH: u64 = 16;
/// Requests in flight at once, per worker.
pub const CONCURRENCY: usize = 4;
/// Attempts before a message is given up as `dead`.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claim holds: well above the client's 10 s timeout per request.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// The provider says our account cannot send (key, credit): try again no sooner than this, as
/// an operator has to act first.
const ACCOUNT_PROBLEM_DELAY: Duration = Duration::from_secs(15 * 60);
/// Longest text kept: three concatenated GSM-7 segments.
pub const MAX_BODY: usize = 480;

/// A message to queue.
#[derive(Clone, Debug)]
pub struct NewSms {
    pub recipient_id: Uuid,
    pub kind: SmsKind,
    /// In German; made GSM-7 where it can be and cut at a word to `max_segments`.
    pub text: String,
    pub max_segments: u32,
    /// What queued it (`ride_event:<id>` …): a second message with the same key is dropped.
    pub dedupe_key: Option<String>,
    pub ride_id: Option<Uuid>,
    pub news_id: Option<Uuid>,
    /// It asks for "1" or "2".
    pub asks_reply: bool,
    /// A ride change for a pickup today: sent even over the budget.
    pub same_day: bool,
    pub due_at: DateTime<Utc>,
}

/// Queues `message` unless its dedupe key was queued before; returns whether it was queued.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    message: NewSms,
) -> Result<bool, DbErr> {
    let body = gsm::fit(&gsm::transliterate(&message.text), message.max_segments);
    let body: String = body.chars().take(MAX_BODY).collect();
    let segments = i32::try_from(gsm::segments(&body)).unwrap_or(i32::MAX);
    let row = sms_message::ActiveModel {
        id: Set(Uuid::now_v7()),
        recipient_id: Set(message.recipient_id),
        kind: Set(message.kind),
        body: Set(body),
        segments: Set(segments),
        dedupe_key: Set(message.dedupe_key),
        ride_id: Set(message.ride_id),
        news_id: Set(message.news_id),
        asks_reply: Set(message.asks_reply),
        same_day: Set(message.same_day),
        status: Set(SmsStatus::Pending),
        due_at: Set(message.due_at),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        provider: Set(None),
        provider_message_id: Set(None),
        provider_status: Set(None),
        price_micros: Set(None),
        sent_at: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let inserted = sms_message::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sms_message::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

/// When a message queued `now` may go: at once, or when the quiet hours end. A message about a
/// ride whose pickup (`deadline`) comes before they end goes at once: a cancellation of a
/// 07:30 ride is no use at 08:00.
pub fn due_at(
    config: &SmsConfig,
    kind: SmsKind,
    now: DateTime<Utc>,
    deadline: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    if !waits_for_quiet_hours(kind) {
        return now;
    }
    match config
        .quiet_hours
        .and_then(|quiet| quiet.deferred_until(now, config.time_zone))
    {
        Some(end) if deadline.is_none_or(|deadline| deadline >= end) => end,
        _ => now,
    }
}

/// Whether the recipient's consent (still) covers a kind of message.
pub fn permitted(recipient: &sms_recipient::Model, kind: SmsKind) -> bool {
    if recipient.opted_out_at.is_some() && kind != SmsKind::StopConfirmed {
        return false;
    }
    match purpose_of(kind) {
        Some(SmsPurpose::Rides) => recipient.rides_since.is_some(),
        Some(SmsPurpose::Warnings) => recipient.warnings_since.is_some(),
        None => true,
    }
}

/// Segments billed in the month of `now` so far, all kinds.
pub async fn used_segments(
    conn: &impl ConnectionTrait,
    config: &SmsConfig,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let used: Option<i64> = sms_usage::Entity::find()
        .select_only()
        .column_as(sms_usage::Column::Segments.sum(), "used")
        .filter(sms_usage::Column::Month.eq(config.month(now)))
        .into_tuple()
        .one(conn)
        .await?
        .flatten();
    Ok(used.map_or(0, |used| u64::try_from(used).unwrap_or(0)))
}

/// How long messages and replies are kept after their last change (`docs/privacy.md`).
pub const KEPT: chrono::Duration = chrono::Duration::days(90);

/// The hourly purge: messages and replies older than [`KEPT`] (except those still pending),
/// codes expired a day ago, and webhook nonces past their use. Returns the rows deleted.
pub async fn purge(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let messages = sms_message::Entity::delete_many()
        .filter(sms_message::Column::UpdatedAt.lt(now - KEPT))
        .filter(sms_message::Column::Status.ne(SmsStatus::Pending))
        .exec(conn)
        .await?
        .rows_affected;
    let replies = entity::sms_inbound::Entity::delete_many()
        .filter(entity::sms_inbound::Column::ReceivedAt.lt(now - KEPT))
        .exec(conn)
        .await?
        .rows_affected;
    let codes = entity::sms_verification::Entity::delete_many()
        .filter(entity::sms_verification::Column::ExpiresAt.lt(now - chrono::Duration::days(1)))
        .exec(conn)
        .await?
        .rows_affected;
    let nonces = super::webhooks::purge_nonces(conn, now).await?;
    Ok(messages + replies + codes + nonces)
}

#[derive(Clone, Debug, FromQueryResult)]
struct Claimed {
    id: Uuid,
    recipient_id: Uuid,
    kind: SmsKind,
    body: String,
    same_day: bool,
    attempts: i32,
    max_attempts: i32,
}

/// What became of one claimed message, before it is recorded.
#[derive(Debug)]
enum Step {
    /// Not sent: no consent (any more), or the recipient is gone.
    Cancelled(&'static str),
    OverBudget,
    Sent(SendOutcome),
}

/// The SMS worker of one instance.
#[derive(Clone)]
pub struct SmsWorker {
    db: DatabaseConnection,
    clock: SharedClock,
    config: Arc<SmsConfig>,
    provider: Arc<dyn SmsProvider>,
    worker_id: String,
    poll_interval: Duration,
}

impl SmsWorker {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        config: Arc<SmsConfig>,
        provider: Arc<dyn SmsProvider>,
        poll_interval: Duration,
    ) -> Self {
        Self {
            db,
            clock,
            config,
            provider,
            worker_id: format!("sms-{}", Uuid::now_v7()),
            poll_interval,
        }
    }

    /// Sends everything due now, until nothing is left; returns how many messages were
    /// claimed (tests call this instead of waiting for the loop).
    pub async fn run_due(&self) -> Result<usize, DbErr> {
        let mut total = 0;
        loop {
            match self.send_due().await? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    /// Sends until `shutdown`; a batch in progress is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(worker = %self.worker_id, provider = self.provider.name(), "sms worker started");
        while !shutdown.is_cancelled() {
            let done = match self.send_due().await {
                Ok(done) => done,
                Err(err) => {
                    tracing::warn!(worker = %self.worker_id, error = %err, "sending text messages failed");
                    0
                }
            };
            if done == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(self.poll_interval) => {}
                }
            }
        }
        tracing::info!(worker = %self.worker_id, "sms worker stopped");
    }

    /// Claims one batch of due messages, sends each and records its outcome; returns how many
    /// were claimed.
    async fn send_due(&self) -> Result<usize, DbErr> {
        let now = self.clock.now();
        let statement = db::Claim {
            table: "sms_message",
            also_set: "attempts = attempts + 1, updated_at = $3",
            due: &format!(
                "status = '{}' AND due_at <= $3",
                SmsStatus::Pending.as_str()
            ),
            order_by: "due_at",
            returning: "id, recipient_id, kind, body, same_day, attempts, max_attempts",
        }
        .statement(
            self.db.get_database_backend(),
            &self.worker_id,
            now + LEASE,
            now,
            BATCH,
        );
        let claimed = Claimed::find_by_statement(statement).all(&self.db).await?;
        let count = claimed.len();
        let results: Vec<Result<(), DbErr>> = stream::iter(claimed)
            .map(|message| self.send_one(message))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect::<Result<(), DbErr>>()?;
        Ok(count)
    }

    async fn send_one(&self, message: Claimed) -> Result<(), DbErr> {
        let now = self.clock.now();
        let recipient = sms_recipient::Entity::find_by_id(message.recipient_id)
            .one(&self.db)
            .await?;
        let step = match &recipient {
            None => Step::Cancelled("the number was erased"),
            Some(recipient) if !permitted(recipient, message.kind) => {
                Step::Cancelled("no consent for this kind of message (withdrawn or STOP)")
            }
            Some(recipient) => {
                let used = used_segments(&self.db, &self.config, now).await?;
                if budget::decide(
                    message.kind,
                    message.same_day,
                    used,
                    self.config.monthly_budget,
                ) {
                    let started = std::time::Instant::now();
                    let outcome = self
                        .provider
                        .send(&OutgoingSms {
                            to: recipient.e164.clone(),
                            text: message.body.clone(),
                            reference: message.id.to_string(),
                        })
                        .await;
                    metrics::histogram!("sms_send_seconds").record(started.elapsed().as_secs_f64());
                    Step::Sent(outcome)
                } else {
                    Step::OverBudget
                }
            }
        };
        self.record(&message, step).await
    }

    /// Writes one message's outcome (and, when it was sent, the month's usage) in one
    /// transaction, only while the claim is ours.
    async fn record(&self, message: &Claimed, step: Step) -> Result<(), DbErr> {
        let now = self.clock.now();
        let kind = message.kind;
        let mut update = sms_message::Entity::update_many()
            .col_expr(
                sms_message::Column::LockedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                sms_message::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(sms_message::Column::UpdatedAt, Expr::value(now))
            .filter(sms_message::Column::Id.eq(message.id))
            .filter(sms_message::Column::LockedBy.eq(self.worker_id.as_str()));
        let mut billed = None;
        let (outcome, status, error): (&str, SmsStatus, Option<String>) = match step {
            Step::Cancelled(why) => ("cancelled", SmsStatus::Cancelled, Some(why.into())),
            Step::OverBudget => (
                "over_budget",
                SmsStatus::OverBudget,
                Some("the month's budget is used up".into()),
            ),
            Step::Sent(SendOutcome::Accepted {
                provider_id,
                segments,
                price_micros,
            }) => {
                let segments = i32::try_from(segments).unwrap_or(i32::MAX);
                billed = Some(segments);
                update = update
                    .col_expr(
                        sms_message::Column::Provider,
                        Expr::value(Some(self.provider.name())),
                    )
                    .col_expr(
                        sms_message::Column::ProviderMessageId,
                        Expr::value(provider_id),
                    )
                    .col_expr(sms_message::Column::Segments, Expr::value(segments))
                    .col_expr(sms_message::Column::PriceMicros, Expr::value(price_micros))
                    .col_expr(sms_message::Column::SentAt, Expr::value(Some(now)));
                ("sent", SmsStatus::Sent, None)
            }
            Step::Sent(SendOutcome::Refused { reason }) => {
                tracing::warn!(message = %message.id, %reason, "text message refused by the provider");
                ("failed", SmsStatus::Failed, Some(reason))
            }
            Step::Sent(SendOutcome::Retry { after, reason }) => {
                self.retry(&mut update, message, after, &reason, now)
            }
            Step::Sent(SendOutcome::AccountProblem { reason }) => {
                tracing::error!(message = %message.id, %reason, "the SMS account cannot send: an operator must act");
                self.retry(
                    &mut update,
                    message,
                    Some(ACCOUNT_PROBLEM_DELAY),
                    &reason,
                    now,
                )
            }
        };
        metrics::counter!("sms_messages_total", "kind" => kind.as_str(), "outcome" => outcome)
            .increment(1);
        let txn = db::begin_write(&self.db).await?;
        update
            .col_expr(sms_message::Column::Status, Expr::value(status))
            .col_expr(sms_message::Column::LastError, Expr::value(error))
            .exec(&txn)
            .await?;
        if let Some(segments) = billed {
            metrics::counter!("sms_segments_total", "kind" => kind.as_str())
                .increment(u64::try_from(segments).unwrap_or(0));
            let month = self.config.month(now);
            count_usage(&txn, &month, kind, segments).await?;
            let after = used_segments(&txn, &self.config, now).await?;
            let before = after.saturating_sub(u64::try_from(segments).unwrap_or(0));
            let limit = self.config.monthly_budget;
            if let Some(level) = budget::crossed(before, after, limit) {
                budget::queue_notice(&txn, &self.clock, month, level, after, limit).await?;
            }
        }
        txn.commit().await
    }

    /// Another try later (backoff, never sooner than asked), or `dead` when out of attempts.
    fn retry(
        &self,
        update: &mut sea_orm::UpdateMany<sms_message::Entity>,
        message: &Claimed,
        after: Option<Duration>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> (&'static str, SmsStatus, Option<String>) {
        if message.attempts >= message.max_attempts {
            tracing::warn!(message = %message.id, %reason, attempts = message.attempts, "text message given up");
            return ("dead", SmsStatus::Dead, Some(reason.to_owned()));
        }
        let delay = backoff(message.attempts).max(after.unwrap_or(Duration::ZERO));
        let delay =
            chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::hours(1));
        *update = std::mem::replace(update, sms_message::Entity::update_many())
            .col_expr(sms_message::Column::DueAt, Expr::value(now + delay));
        ("retry", SmsStatus::Pending, Some(reason.to_owned()))
    }
}

/// Adds one sent message to the month's usage (kept apart from the messages, so erasing a
/// person does not lower what the month cost).
async fn count_usage(
    conn: &impl ConnectionTrait,
    month: &str,
    kind: SmsKind,
    segments: i32,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let sql = "INSERT INTO sms_usage (month, kind, messages, segments) VALUES ($1, $2, 1, $3) \
               ON CONFLICT (month, kind) DO UPDATE SET messages = sms_usage.messages + 1, \
               segments = sms_usage.segments + excluded.segments";
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [month.into(), kind.as_str().into(), segments.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn config() -> SmsConfig {
        SmsConfig {
            quiet_hours: crate::push_prefs::QuietHours::from_stored(Some("21:00"), Some("08:00")),
            ..SmsConfig::default()
        }
    }

    fn local(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Berlin
            .with_ymd_and_hms(2026, 12, day, hour, minute, 0)
            .unwrap()
            .to_utc()
    }

    #[test]
    fn quiet_hours_hold_ordinary_messages_until_morning() {
        let config = config();
        let at = local(7, 22, 30);
        assert_eq!(
            due_at(&config, SmsKind::RideReleased, at, Some(local(8, 10, 0))),
            local(8, 8, 0)
        );
        assert_eq!(due_at(&config, SmsKind::Welcome, at, None), local(8, 8, 0));
        assert_eq!(
            due_at(&config, SmsKind::RideReleased, local(7, 12, 0), None),
            local(7, 12, 0)
        );
    }

    #[test]
    fn a_pickup_before_morning_and_a_warning_go_at_once() {
        let config = config();
        let at = local(7, 22, 30);
        assert_eq!(
            due_at(&config, SmsKind::RideCancelled, at, Some(local(8, 7, 30))),
            at
        );
        assert_eq!(due_at(&config, SmsKind::Warning, at, None), at);
        assert_eq!(due_at(&config, SmsKind::Code, at, None), at);
    }

    #[test]
    fn consent_is_checked_per_purpose_and_stop_ends_all() {
        let now = Utc::now();
        let mut recipient = sms_recipient::Model {
            id: Uuid::now_v7(),
            e164: "+491711234567".into(),
            user_id: None,
            name: None,
            district_id: None,
            rides_since: Some(now),
            warnings_since: None,
            opted_out_at: None,
            created_at: now,
            updated_at: now,
        };
        assert!(permitted(&recipient, SmsKind::RideConfirmed));
        assert!(!permitted(&recipient, SmsKind::Warning));
        assert!(permitted(&recipient, SmsKind::Reply));
        recipient.opted_out_at = Some(now);
        assert!(!permitted(&recipient, SmsKind::RideConfirmed));
        assert!(!permitted(&recipient, SmsKind::Reply));
        assert!(permitted(&recipient, SmsKind::StopConfirmed));
    }
}
