//! Sending: claim due deliveries, encrypt each for its device (`aes128gcm`, RFC 8291, through
//! the `web-push` crate), sign with VAPID, POST through the pooled client with bounded
//! concurrency, and record the outcomes as the pushes complete.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{notice, push_delivery, push_subscription};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, sea_query::Expr};
use tokio::sync::mpsc;
use uuid::Uuid;
use web_push::{ContentEncoding, SubscriptionInfo, WebPushMessageBuilder, request_builder};

use super::{Dispatcher, LEASE, PushClient};
use domain::{
    db,
    jobs::backoff,
    notices::{DeliveryStatus, Target, Urgency},
    push_prefs::check_endpoint,
};

/// Deliveries claimed in one go.
pub const BATCH: u64 = 256;
/// Requests in flight at once, per worker.
pub const CONCURRENCY: usize = 64;
/// Attempts before a delivery is given up as failed (API.md: up to 10).
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a push service keeps an undelivered message for an offline device. The inbox
/// keeps everything anyway; a day-old push would only be noise.
const TTL_SECONDS: u32 = 24 * 60 * 60;
/// Largest plaintext the `web-push` crate encrypts (3052 bytes), with room to spare.
const MAX_PAYLOAD: usize = 3000;
/// A `Retry-After` longer than this is cut to it: a push a day late is not worth waiting for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 60 * 60);

#[derive(Clone, Debug, FromQueryResult)]
struct ClaimedDelivery {
    id: Uuid,
    notice_id: Uuid,
    inbox_entry_id: Uuid,
    subscription_id: Option<Uuid>,
    attempts: i32,
}

/// What became of one push.
#[derive(Debug)]
enum Outcome {
    Sent,
    /// The device unsubscribed (404/410) or was removed: drop the subscription.
    Gone(String),
    /// Worth another try (network, 5xx, 429), not before the given delay if the service said.
    Retry(Option<Duration>, String),
    /// Will not work however often tried (bad keys, refused target, 4xx).
    Failed(String),
}

/// The decrypted message a device receives (API.md): the inbox entry it belongs to, and what
/// the app opens. The body is shortened to fit the 3 KB a push may carry; the inbox has it all.
fn payload(entry_id: Uuid, notice: &notice::Model, target: Target) -> Vec<u8> {
    let mut body = notice.body.clone();
    loop {
        let json = serde_json::json!({
            "notification_id": entry_id,
            "kind": notice.kind,
            "title": notice.title,
            "body": body,
            "data": target,
        });
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        if bytes.len() <= MAX_PAYLOAD || body.is_empty() {
            return bytes;
        }
        let keep = body.chars().count() * 3 / 4;
        body = body
            .chars()
            .take(keep.saturating_sub(1))
            .collect::<String>()
            + "…";
        if keep <= 1 {
            body.clear();
        }
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 section 10.2.3).
fn retry_after(headers: &reqwest::header::HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let delay = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(value).ok()?.to_utc();
            (at - now).to_std().unwrap_or(Duration::ZERO)
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// A finished push on its way to be recorded, with the permit it holds until then.
type Finished = (
    ClaimedDelivery,
    Option<Uuid>,
    Outcome,
    tokio::sync::OwnedSemaphorePermit,
);

impl Dispatcher {
    /// Claims one batch of due deliveries, sends them and records the outcomes; returns how
    /// many were claimed.
    ///
    /// Each push is a task of its own, so that encryption (an ECDH per push) spreads over the
    /// cores. A push holds one of the worker's [`CONCURRENCY`] permits from before its request
    /// until its outcome is committed; outcomes are committed as pushes complete, together
    /// with whatever else completed while the last write ran. So at any moment at most
    /// [`CONCURRENCY`] pushes are sent but not recorded: all that a `kill -9` can make another
    /// worker send again. Two of these run at once in [`Dispatcher::run`], so the next batch is
    /// claimed while the last is in flight.
    pub(super) async fn send_due(&self) -> Result<usize, DbErr> {
        let now = self.clock.now();
        let statement = db::Claim {
            table: "push_delivery",
            also_set: "attempts = attempts + 1, updated_at = $3",
            due: &format!(
                "status = '{}' AND due_at <= $3",
                DeliveryStatus::Pending.as_str()
            ),
            order_by: "due_at",
            returning: "id, notice_id, inbox_entry_id, subscription_id, attempts",
        }
        .statement(
            self.db.get_database_backend(),
            &self.worker_id,
            now + LEASE,
            now,
            BATCH,
        );
        let turn = self.write_turn().await;
        let claimed = ClaimedDelivery::find_by_statement(statement)
            .all(&self.db)
            .await?;
        drop(turn);
        if claimed.is_empty() {
            return Ok(0);
        }
        let devices: HashMap<Uuid, Arc<push_subscription::Model>> =
            push_subscription::Entity::find()
                .filter(
                    push_subscription::Column::Id
                        .is_in(claimed.iter().filter_map(|d| d.subscription_id)),
                )
                .all(&self.db)
                .await?
                .into_iter()
                .map(|s| (s.id, Arc::new(s)))
                .collect();
        let notices: HashMap<Uuid, Arc<notice::Model>> = notice::Entity::find()
            .filter(notice::Column::Id.is_in(claimed.iter().map(|d| d.notice_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|n| (n.id, Arc::new(n)))
            .collect();
        let count = claimed.len();
        let (finished, mut to_record) = mpsc::unbounded_channel::<Finished>();
        let starting = async move {
            for delivery in claimed {
                let Ok(permit) = self.in_flight.clone().acquire_owned().await else {
                    break; // never closed
                };
                let device = delivery
                    .subscription_id
                    .and_then(|id| devices.get(&id).cloned());
                let notice = notices.get(&delivery.notice_id).cloned();
                let push = self.push.clone();
                let finished = finished.clone();
                tokio::spawn(async move {
                    let outcome = match (&device, &notice) {
                        (None, _) => Outcome::Gone("the device was removed".into()),
                        (_, None) => Outcome::Failed("the notice was withdrawn".into()),
                        (Some(device), Some(notice)) => {
                            push_one(&push, &delivery, device, notice, now).await
                        }
                    };
                    // The receiver is gone only when recording failed; the lease then hands
                    // this delivery to the next claim.
                    let _ = finished.send((delivery, device.map(|d| d.id), outcome, permit));
                });
            }
            Ok::<(), DbErr>(())
        };
        // Owns the receiver: if a write fails, `try_join!` stops the starting, and what was
        // finished but not recorded goes with the receiver (its permits are freed).
        let recording = async move {
            let mut group = Vec::new();
            while to_record.recv_many(&mut group, CONCURRENCY).await > 0 {
                let (outcomes, permits): (Vec<_>, Vec<_>) = group
                    .drain(..)
                    .map(|(delivery, device, outcome, permit)| {
                        ((delivery, device, outcome), permit)
                    })
                    .unzip();
                self.record(outcomes, self.clock.now()).await?;
                drop(permits);
            }
            Ok::<(), DbErr>(())
        };
        tokio::try_join!(starting, recording)?;
        Ok(count)
    }
}

async fn push_one(
    push: &PushClient,
    delivery: &ClaimedDelivery,
    device: &push_subscription::Model,
    notice: &notice::Model,
    now: DateTime<Utc>,
) -> Outcome {
    // Checked again at sending: the setting may have changed since the device registered.
    let url = match check_endpoint(&device.endpoint, push.allow_http) {
        Ok(url) => url,
        Err(_) => return Outcome::Failed("the endpoint is not a public push service".into()),
    };
    let signature = match push.vapid.signature(&url, now) {
        Ok(signature) => signature,
        Err(err) => return Outcome::Retry(None, err),
    };
    let body = match Target::stored(notice) {
        Ok(target) => payload(delivery.inbox_entry_id, notice, target),
        Err(err) => return Outcome::Failed(err.to_string()),
    };
    let info = SubscriptionInfo::new(
        device.endpoint.as_str(),
        device.p256dh.as_str(),
        device.auth.as_str(),
    );
    let mut builder = WebPushMessageBuilder::new(&info);
    builder.set_payload(ContentEncoding::Aes128Gcm, &body);
    builder.set_ttl(TTL_SECONDS);
    builder.set_urgency(match notice.urgency {
        Urgency::Normal => web_push::Urgency::Normal,
        Urgency::High | Urgency::Warning => web_push::Urgency::High,
    });
    if let Some(topic) = &notice.topic {
        builder.set_topic(topic.clone());
    }
    builder.set_vapid_signature(signature);
    let message = match builder.build() {
        Ok(message) => message,
        Err(err) => return Outcome::Failed(format!("cannot encrypt for this device: {err}")),
    };
    // The crate builds the request (headers, encrypted body); our pooled client sends it.
    let request = request_builder::build_request::<Vec<u8>>(message);
    let mut outgoing = push.http.post(url);
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name.as_str(), value.as_bytes());
    }
    let started = std::time::Instant::now();
    let response = outgoing.body(request.into_body()).send().await;
    metrics::histogram!("push_send_seconds").record(started.elapsed().as_secs_f64());
    match response {
        Err(err) => Outcome::Retry(None, format!("push service unreachable: {err}")),
        Ok(response) => {
            let status = response.status().as_u16();
            match status {
                200..=299 => Outcome::Sent,
                404 | 410 => Outcome::Gone(format!("push service answered {status}")),
                408 | 429 | 500..=599 => Outcome::Retry(
                    retry_after(response.headers(), now),
                    format!("push service answered {status}"),
                ),
                _ => Outcome::Failed(format!("push service answered {status}")),
            }
        }
    }
}

impl Dispatcher {
    /// Writes the outcomes of a batch in one transaction, each only while the claim is ours.
    async fn record(
        &self,
        outcomes: Vec<(ClaimedDelivery, Option<Uuid>, Outcome)>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let mut sent = Vec::new();
        let mut gone = Vec::new();
        let mut gone_devices = Vec::new();
        let mut settled: Vec<(Uuid, DeliveryStatus, String)> = Vec::new();
        let mut retries: Vec<(Uuid, DateTime<Utc>, String)> = Vec::new();
        for (delivery, device, outcome) in outcomes {
            metrics::counter!("push_deliveries_total", "outcome" => match &outcome {
                Outcome::Sent => "sent",
                Outcome::Gone(_) => "gone",
                Outcome::Retry(..) if delivery.attempts >= MAX_ATTEMPTS => "failed",
                Outcome::Retry(..) => "retry",
                Outcome::Failed(_) => "failed",
            })
            .increment(1);
            match outcome {
                Outcome::Sent => sent.push(delivery.id),
                Outcome::Gone(reason) => {
                    tracing::info!(delivery = %delivery.id, %reason, "device unsubscribed; removing it");
                    gone.push(delivery.id);
                    gone_devices.extend(device);
                }
                Outcome::Failed(reason) => {
                    tracing::warn!(delivery = %delivery.id, %reason, "push failed for good");
                    settled.push((delivery.id, DeliveryStatus::Failed, reason));
                }
                Outcome::Retry(_, reason) if delivery.attempts >= MAX_ATTEMPTS => {
                    tracing::warn!(delivery = %delivery.id, %reason, attempts = delivery.attempts, "push given up");
                    settled.push((delivery.id, DeliveryStatus::Failed, reason));
                }
                Outcome::Retry(asked, reason) => {
                    // Exponential backoff with jitter, but never sooner than the service asked.
                    let delay = backoff(delivery.attempts).max(asked.unwrap_or(Duration::ZERO));
                    let delay = chrono::Duration::from_std(delay)
                        .unwrap_or_else(|_| chrono::Duration::seconds(2));
                    retries.push((delivery.id, now + delay, reason));
                }
            }
        }
        let mine = |ids: Vec<Uuid>| {
            sea_orm::Condition::all()
                .add(push_delivery::Column::Id.is_in(ids))
                .add(push_delivery::Column::LockedBy.eq(self.worker_id.as_str()))
        };
        let unlock = |update: sea_orm::UpdateMany<push_delivery::Entity>| {
            update
                .col_expr(
                    push_delivery::Column::LockedBy,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    push_delivery::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(push_delivery::Column::UpdatedAt, Expr::value(now))
        };
        let _turn = self.write_turn().await;
        let txn = db::begin_write(&self.db).await?;
        if !sent.is_empty() {
            unlock(push_delivery::Entity::update_many())
                .col_expr(
                    push_delivery::Column::Status,
                    Expr::value(DeliveryStatus::Sent),
                )
                .col_expr(push_delivery::Column::SentAt, Expr::value(Some(now)))
                .col_expr(
                    push_delivery::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .filter(mine(sent))
                .exec(&txn)
                .await?;
        }
        if !gone.is_empty() {
            unlock(push_delivery::Entity::update_many())
                .col_expr(
                    push_delivery::Column::Status,
                    Expr::value(DeliveryStatus::Gone),
                )
                .filter(mine(gone))
                .exec(&txn)
                .await?;
        }
        if !gone_devices.is_empty() {
            // Whatever else waits for these devices will not arrive either.
            push_delivery::Entity::update_many()
                .col_expr(
                    push_delivery::Column::Status,
                    Expr::value(DeliveryStatus::Gone),
                )
                .col_expr(push_delivery::Column::UpdatedAt, Expr::value(now))
                .filter(push_delivery::Column::SubscriptionId.is_in(gone_devices.clone()))
                .filter(push_delivery::Column::Status.eq(DeliveryStatus::Pending))
                .exec(&txn)
                .await?;
            push_subscription::Entity::delete_many()
                .filter(push_subscription::Column::Id.is_in(gone_devices))
                .exec(&txn)
                .await?;
        }
        for (id, status, reason) in settled {
            unlock(push_delivery::Entity::update_many())
                .col_expr(push_delivery::Column::Status, Expr::value(status))
                .col_expr(push_delivery::Column::LastError, Expr::value(Some(reason)))
                .filter(mine(vec![id]))
                .exec(&txn)
                .await?;
        }
        for (id, due, reason) in retries {
            unlock(push_delivery::Entity::update_many())
                .col_expr(push_delivery::Column::DueAt, Expr::value(due))
                .col_expr(push_delivery::Column::LastError, Expr::value(Some(reason)))
                .filter(mine(vec![id]))
                .exec(&txn)
                .await?;
        }
        txn.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::notices::{AudienceKind, NoticeKind, NoticeStatus};

    fn notice_with_body(body: String) -> notice::Model {
        let now = Utc::now();
        notice::Model {
            id: Uuid::now_v7(),
            kind: NoticeKind::News,
            title: "Sturmwarnung".into(),
            body,
            data: r#"{"type":"news","id":"0190a0a0-0000-7000-8000-000000000000"}"#.into(),
            audience_kind: AudienceKind::Districts,
            audience_ref: None,
            audience_districts: Some("[]".into()),
            audience_category: Some("warning".into()),
            urgency: Urgency::Warning,
            topic: None,
            not_before: now,
            status: NoticeStatus::Pending,
            created_at: now,
            subject_type: Some("news".into()),
            subject_id: None,
            expand_cursor: None,
            locked_by: None,
            locked_until: None,
            expanded_at: None,
        }
    }

    #[test]
    fn a_long_body_is_shortened_to_fit_a_push() {
        let long = "Äste auf der Fahrbahn. ".repeat(400);
        let target = Target::News { id: Uuid::nil() };
        let bytes = payload(Uuid::now_v7(), &notice_with_body(long), target);
        assert!(bytes.len() <= MAX_PAYLOAD, "{}", bytes.len());
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(json["body"].as_str().unwrap().ends_with('…'));
        assert_eq!(json["data"]["type"], "news");
        let short = payload(Uuid::now_v7(), &notice_with_body("Kurz.".into()), target);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&short).unwrap()["body"],
            "Kurz."
        );
    }

    /// The published `PushPayload` schema (openapi/openapi.json) is what apps generate their
    /// service-worker types from: the payload sent must have exactly its properties, of
    /// its types, for every kind of target.
    #[test]
    fn the_payload_is_what_the_published_schema_says() {
        let spec: serde_json::Value =
            serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
        let schemas = &spec["components"]["schemas"];
        let schema = &schemas["PushPayload"];
        let target_schema = &schemas["NotificationTarget"];
        let keys = |object: &serde_json::Value| {
            let mut keys: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        let id = Uuid::now_v7();
        for target in [
            Target::News { id },
            Target::ShopNotice { id, shop_id: id },
            Target::Ride { id },
            Target::Test,
        ] {
            let bytes = payload(id, &notice_with_body("Kurz.".into()), target);
            let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(keys(&json), keys(&schema["properties"]));
            for required in schema["required"].as_array().unwrap() {
                assert!(!json[required.as_str().unwrap()].is_null(), "{required}");
            }
            let data = &json["data"];
            for key in keys(data) {
                let property = &target_schema["properties"][&key];
                assert!(property.is_object(), "data.{key} is not in the schema");
            }
            let kinds = &schemas["NotificationTargetType"]["enum"];
            assert!(kinds.as_array().unwrap().contains(&data["type"]));
            let notice_kinds = &schemas["NotificationKind"]["enum"];
            assert!(notice_kinds.as_array().unwrap().contains(&json["kind"]));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .to_utc();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "Sun, 22 Nov 2026 10:02:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(120)));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
    }
}
