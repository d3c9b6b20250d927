//! `/api/v1/push` and `/api/v1/me/notification…`: devices, preferences, the inbox.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    pagination,
    types::{NoContent, Timestamp},
};
use crate::{auth::Caller, error::ApiResult, state::AppState};
use domain::notices::Target;
use domain::push_prefs::{self, InboxItem, NewSubscription, Preferences};
use entity::vocab::{NewsCategory, NoticeKind, TargetType};

/// The key devices subscribe with.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct VapidPublicKey {
    /// The server's VAPID public key (RFC 8292): an uncompressed P-256 point, base64url
    /// without padding. Pass it as `applicationServerKey` to `PushManager.subscribe()`.
    pub public_key: String,
}

impl poem_openapi::types::Example for VapidPublicKey {
    fn example() -> Self {
        Self {
            public_key: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM".into(),
        }
    }
}

/// The device's keys from its push subscription (RFC 8291).
#[derive(Object, Clone, Debug)]
pub struct SubscriptionKeys {
    /// The device's P-256 public key: 65 bytes (uncompressed point), base64url; padding is
    /// tolerated.
    pub p256dh: String,
    /// The device's authentication secret: 16 bytes, base64url.
    pub auth: String,
}

/// A device to register: what `PushSubscription.toJSON()` gives, plus an optional name.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct NewPushSubscription {
    /// The push service URL of the device, `https://` (at most 1024 characters). Addresses
    /// of local or private networks are refused.
    pub endpoint: String,
    /// The keys the payload is encrypted for.
    pub keys: SubscriptionKeys,
    /// How the device calls itself (shown in the device list), at most 200 characters.
    #[oai(nullable)]
    pub user_agent: Option<String>,
    /// As `PushSubscription.toJSON()` gives it (milliseconds since 1970, or null): accepted so
    /// that apps can send that object unchanged, and not used — a device whose subscription
    /// ended is removed when its push service answers 404 or 410.
    #[oai(rename = "expirationTime", nullable)]
    pub expiration_time: Option<f64>,
}

impl poem_openapi::types::Example for NewPushSubscription {
    fn example() -> Self {
        Self {
            endpoint: "https://fcm.googleapis.com/fcm/send/dpH5lCsTSSM:APA91bHqjZxM0VImWWqDRN7U0a3AycjUf4O-byuxb_wJsKRaKvV_iKw56s16ekq6FUqoCF7k2nICUpd8fHPxVTgqLunFeVeB9lLCQZyohyAztTH8ZQL9WCxKpA6dvTG_TUIhQUFq_n".into(),
            keys: SubscriptionKeys {
                p256dh: "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8".into(),
                auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
            },
            user_agent: Some("Dorf-App 2.3 (Android 14)".into()),
            expiration_time: None,
        }
    }
}

/// A registered device.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct PushSubscription {
    /// The registration's id (for `DELETE /push/subscriptions/{id}`).
    pub id: Uuid,
    /// The push service URL.
    pub endpoint: String,
    /// How the device calls itself, or null.
    #[oai(nullable)]
    pub user_agent: Option<String>,
    /// First registered.
    pub created_at: Timestamp,
    /// Last registered again (keys renewed).
    pub updated_at: Timestamp,
}

impl poem_openapi::types::Example for PushSubscription {
    fn example() -> Self {
        let example = NewPushSubscription::example();
        Self {
            id: Uuid::nil(),
            endpoint: example.endpoint,
            user_agent: example.user_agent,
            created_at: Timestamp::example("2026-06-20T07:30:00Z"),
            updated_at: Timestamp::example("2026-06-20T07:30:00Z"),
        }
    }
}

impl From<entity::push_subscription::Model> for PushSubscription {
    fn from(s: entity::push_subscription::Model) -> Self {
        Self {
            id: s.id,
            endpoint: s.endpoint,
            user_agent: s.user_agent,
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
        }
    }
}

/// The caller's devices.
#[derive(Object, Clone, Debug)]
pub struct PushSubscriptionList {
    /// Oldest first; at most 20 (registering more drops the least recently renewed), so the
    /// list is never paged.
    pub items: Vec<PushSubscription>,
}

#[derive(ApiResponse)]
pub enum SubscriptionSaved {
    /// The device is registered.
    #[oai(status = 201)]
    Created(Json<PushSubscription>),
    /// The endpoint was registered already; its keys and name were updated and it now
    /// belongs to the caller.
    #[oai(status = 200)]
    Updated(Json<PushSubscription>),
}

/// A queued test notice.
#[derive(Object, Clone, Debug)]
pub struct TestQueued {
    /// The notice; it appears in the inbox and on every registered device within seconds.
    pub notice_id: Uuid,
}

#[derive(ApiResponse)]
pub enum TestAccepted {
    /// Queued; delivered by the worker.
    #[oai(status = 202)]
    Accepted(Json<TestQueued>),
}

/// Quiet hours: local times in the municipality's time zone (default Europe/Berlin).
#[derive(Object, Clone, Debug)]
pub struct QuietHours {
    /// Start, `HH:MM`, inclusive.
    pub start: String,
    /// End, `HH:MM`, exclusive; earlier than `start` spans midnight (22:00 to 07:00).
    pub end: String,
}

/// What the caller wants to be told.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct NotificationPreferences {
    /// Districts whose news reach the caller (at most 100). Default: the home district —
    /// then a change of home district changes this too; any other choice stays as chosen.
    #[oai(validator(max_items = 100))]
    pub district_ids: Vec<Uuid>,
    /// News categories to be told of. Default: all. Warnings (`warning`) reach the chosen
    /// districts even when not listed.
    #[oai(validator(max_items = 10))]
    pub news_categories: Vec<NewsCategory>,
    /// Pushes for notices of shops the caller follows (they reach the inbox either way).
    pub shop_updates: bool,
    /// Pushes about the caller's rides and, for drivers, new ride requests (they reach the
    /// inbox either way).
    pub ride_updates: bool,
    /// No pushes in this time (they are sent when it ends; warnings come at once); null = none.
    #[oai(nullable)]
    pub quiet_hours: Option<QuietHours>,
}

impl poem_openapi::types::Example for NotificationPreferences {
    fn example() -> Self {
        Self {
            district_ids: vec![Uuid::nil()],
            news_categories: vec![NewsCategory::News, NewsCategory::Warning],
            shop_updates: true,
            ride_updates: true,
            quiet_hours: Some(QuietHours {
                start: "22:00".into(),
                end: "07:00".into(),
            }),
        }
    }
}

impl From<Preferences> for NotificationPreferences {
    fn from(p: Preferences) -> Self {
        Self {
            district_ids: p.district_ids,
            news_categories: p.news_categories,
            shop_updates: p.shop_updates,
            ride_updates: p.ride_updates,
            quiet_hours: p.quiet_hours.map(|(start, end)| QuietHours { start, end }),
        }
    }
}

/// What a notification opens in the app.
#[derive(Object, Clone, Debug)]
pub struct NotificationTarget {
    /// What to open; `test` opens nothing.
    #[oai(rename = "type")]
    pub target_type: TargetType,
    /// The news item, shop notice or ride; null for `test`.
    #[oai(nullable)]
    pub id: Option<Uuid>,
    /// For `shop_notice`: the shop.
    #[oai(nullable)]
    pub shop_id: Option<Uuid>,
}

impl From<Target> for NotificationTarget {
    fn from(target: Target) -> Self {
        Self {
            target_type: target.target_type(),
            id: target.id(),
            shop_id: target.shop_id(),
        }
    }
}

/// The message a device receives: the JSON its service worker reads, decrypted, from the
/// `push` event (`event.data.json()`). It is not an answer of any operation; it is published
/// here so that apps generate its type. Every push stands for one inbox entry; the inbox
/// (`GET /api/v1/me/notifications`) has the whole text and everything a device missed.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct PushPayload {
    /// The inbox entry (`Notification.id`): mark it read with
    /// `POST /api/v1/me/notifications/{id}/read`.
    pub notification_id: Uuid,
    /// What it is about.
    pub kind: NoticeKind,
    /// Headline, German by default.
    pub title: String,
    /// Text (plain); shortened with `…` when the push would exceed 3000 bytes.
    pub body: String,
    /// What to open. `id` and `shop_id` are left out where they do not apply.
    pub data: NotificationTarget,
}

impl poem_openapi::types::Example for PushPayload {
    fn example() -> Self {
        let entry = Notification::example();
        Self {
            notification_id: entry.id,
            kind: entry.kind,
            title: entry.title,
            body: entry.body,
            data: entry.data,
        }
    }
}

/// One entry of the inbox; the push for it carries its `id` as `notification_id`.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Notification {
    /// The entry's id (`notification_id` in the push payload).
    pub id: Uuid,
    /// What it is about.
    pub kind: NoticeKind,
    /// Headline, German by default.
    pub title: String,
    /// Text (plain, no Markdown).
    pub body: String,
    /// What to open.
    pub data: NotificationTarget,
    /// When it reached the inbox.
    pub created_at: Timestamp,
    /// When it was marked read, or null.
    #[oai(nullable)]
    pub read_at: Option<Timestamp>,
}

impl poem_openapi::types::Example for Notification {
    fn example() -> Self {
        // Two different ids: example validators (Ajv in Redocly) reject an example in which
        // the same UUID stands both for the entry and for what it opens.
        Self {
            id: Uuid::from_u128(0x5b0e_3f6c_2d41_4a8e_9c07_1e2f_3a4b_5c6d),
            kind: NoticeKind::News,
            title: "Sturmwarnung für Rieder".into(),
            body: "Bitte Gartenmöbel sichern; der Sportplatz bleibt heute gesperrt.".into(),
            data: NotificationTarget {
                target_type: TargetType::News,
                id: Some(Uuid::from_u128(0x0c9d_8e7f_6a5b_4c3d_8e2f_1a0b_9c8d_7e6f)),
                shop_id: None,
            },
            created_at: Timestamp::example("2026-06-20T07:30:00Z"),
            read_at: None,
        }
    }
}

impl From<InboxItem> for Notification {
    fn from(item: InboxItem) -> Self {
        Self {
            id: item.id,
            data: NotificationTarget::from(item.target),
            kind: item.kind,
            title: item.title,
            body: item.body,
            created_at: item.created_at.into(),
            read_at: item.read_at.map(Timestamp),
        }
    }
}

/// A page of the inbox, newest first.
#[derive(Object, Clone, Debug)]
pub struct NotificationPage {
    /// The entries of this page.
    pub items: Vec<Notification>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
    /// Unread entries in the whole inbox (the app's badge).
    pub unread_count: u64,
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("getNotificationPreferences", &[401]),
    ("updateNotificationPreferences", &[400, 401, 422]),
    ("listNotifications", &[400, 401, 422]),
    ("markAllNotificationsRead", &[401]),
    ("markNotificationRead", &[400, 401, 404]),
    ("listPushSubscriptions", &[401]),
    ("createPushSubscription", &[400, 401, 422]),
    ("deletePushSubscription", &[400, 401, 404]),
    ("sendTestPush", &[401, 429]),
    ("getVapidPublicKey", &[]),
];

/// The limits of this module's request fields, as the spec publishes them (`super::spec`):
/// the rules' own constants, so the two cannot drift.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::{push_prefs, shops::opening_hours};
    &[
        (
            "NewPushSubscription",
            "endpoint",
            &[MaxLength(push_prefs::ENDPOINT_MAX), Format("uri")],
        ),
        (
            "NewPushSubscription",
            "user_agent",
            &[MaxLength(push_prefs::USER_AGENT_MAX)],
        ),
        (
            "QuietHours",
            "start",
            &[Pattern(opening_hours::TIME_PATTERN)],
        ),
        ("QuietHours", "end", &[Pattern(opening_hours::TIME_PATTERN)]),
    ]
};

pub struct PushApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Push")]
impl PushApi {
    /// Get the VAPID public key
    ///
    /// The key to subscribe devices with (`applicationServerKey`). Public; it stays the same
    /// across restarts, so subscriptions keep working.
    #[oai(
        path = "/push/vapid-public-key",
        method = "get",
        operation_id = "getVapidPublicKey"
    )]
    async fn vapid_public_key(&self, state: Data<&AppState>) -> ApiResult<Json<VapidPublicKey>> {
        Ok(Json(VapidPublicKey {
            public_key: state.keys.vapid.public_key.clone(),
        }))
    }

    /// Register a device
    ///
    /// Registers the caller's device for pushes: pass what `PushSubscription.toJSON()` gives.
    /// The same endpoint again updates it (201 the first time, 200 afterwards), so the app can
    /// simply register at every start.
    #[oai(
        transform = "no_store",
        path = "/push/subscriptions",
        method = "post",
        operation_id = "createPushSubscription"
    )]
    async fn subscribe(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<NewPushSubscription>,
    ) -> ApiResult<SubscriptionSaved> {
        let NewPushSubscription {
            endpoint,
            keys,
            user_agent,
            expiration_time: _,
        } = body.0;
        let (subscription, created) = push_prefs::register(
            &state.db,
            &state.clock,
            &actor,
            NewSubscription {
                endpoint,
                p256dh: keys.p256dh,
                auth: keys.auth,
                user_agent,
            },
            state.settings.push_allow_http,
        )
        .await?;
        let subscription = Json(subscription.into());
        Ok(if created {
            SubscriptionSaved::Created(subscription)
        } else {
            SubscriptionSaved::Updated(subscription)
        })
    }

    /// List my devices
    ///
    /// The caller's registered devices.
    #[oai(
        transform = "no_store",
        path = "/push/subscriptions",
        method = "get",
        operation_id = "listPushSubscriptions"
    )]
    async fn subscriptions(
        &self,
        state: Data<&AppState>,
        actor: Caller,
    ) -> ApiResult<Json<PushSubscriptionList>> {
        let items = push_prefs::subscriptions(&state.db, actor.user_id).await?;
        Ok(Json(PushSubscriptionList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Remove a device
    ///
    /// The device gets no more pushes (pushes still queued for it are dropped). Its inbox
    /// stays.
    #[oai(
        transform = "no_store",
        path = "/push/subscriptions/:id",
        method = "delete",
        operation_id = "deletePushSubscription"
    )]
    async fn unsubscribe(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The registration's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        push_prefs::unsubscribe(&state.db, actor.user_id, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Send me a test push
    ///
    /// Queues one notice to the caller alone: it lands in the inbox and on every registered
    /// device within seconds, also during quiet hours.
    #[oai(
        transform = "no_store",
        path = "/push/test",
        method = "post",
        operation_id = "sendTestPush"
    )]
    async fn test(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<TestAccepted> {
        let notice_id = push_prefs::send_test(
            &state.db,
            &state.clock,
            &actor,
            state.settings.quotas().test_pushes_per_hour,
        )
        .await?;
        Ok(TestAccepted::Accepted(Json(TestQueued { notice_id })))
    }

    /// Get my notification preferences
    ///
    /// What the caller is told about, and when not; the defaults where nothing was chosen.
    #[oai(
        transform = "no_store",
        path = "/me/notification-preferences",
        method = "get",
        operation_id = "getNotificationPreferences"
    )]
    async fn preferences(
        &self,
        state: Data<&AppState>,
        actor: Caller,
    ) -> ApiResult<Json<NotificationPreferences>> {
        Ok(Json(
            push_prefs::preferences(&state.db, actor.user_id)
                .await?
                .into(),
        ))
    }

    /// Set my notification preferences
    ///
    /// Replaces them as a whole. Every field at fault is named (`district_ids[2]`,
    /// `quiet_hours.start`).
    #[oai(
        transform = "no_store",
        path = "/me/notification-preferences",
        method = "put",
        operation_id = "updateNotificationPreferences"
    )]
    async fn set_preferences(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<NotificationPreferences>,
    ) -> ApiResult<Json<NotificationPreferences>> {
        let input = body.0;
        let saved = push_prefs::set_preferences(
            &state.db,
            &state.clock,
            actor.user_id,
            Preferences {
                district_ids: input.district_ids,
                news_categories: input.news_categories,
                shop_updates: input.shop_updates,
                ride_updates: input.ride_updates,
                quiet_hours: input.quiet_hours.map(|q| (q.start, q.end)),
            },
        )
        .await?;
        Ok(Json(saved.into()))
    }

    /// List my notifications
    ///
    /// The inbox, newest first: every notice the caller was told, whether or not a push
    /// reached a device.
    #[oai(
        transform = "no_store",
        path = "/me/notifications",
        method = "get",
        operation_id = "listNotifications"
    )]
    async fn inbox(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Entries per page, 1 to 100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Only unread entries.
        unread: Query<Option<bool>>,
    ) -> ApiResult<Json<NotificationPage>> {
        let limit = pagination::limit(limit.0)?;
        let before = pagination::decode(cursor.0.as_deref())?;
        let (items, more) = push_prefs::inbox(
            &state.db,
            actor.user_id,
            before,
            limit,
            unread.0.unwrap_or(false),
        )
        .await?;
        let unread_count = push_prefs::unread_count(&state.db, actor.user_id).await?;
        Ok(Json(NotificationPage {
            next_cursor: pagination::next(items.last().map(|i| i.id), more),
            items: items.into_iter().map(Into::into).collect(),
            unread_count,
        }))
    }

    /// Mark a notification read
    ///
    /// Marking it again changes nothing.
    #[oai(
        transform = "no_store",
        path = "/me/notifications/:id/read",
        method = "post",
        operation_id = "markNotificationRead"
    )]
    async fn mark_read(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The entry's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        push_prefs::mark_read(&state.db, &state.clock, actor.user_id, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Mark all notifications read
    ///
    /// Every unread entry of the caller's inbox is marked read (the badge goes to zero).
    #[oai(
        transform = "no_store",
        path = "/me/notifications/read-all",
        method = "post",
        operation_id = "markAllNotificationsRead"
    )]
    async fn mark_all_read(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<NoContent> {
        push_prefs::mark_all_read(&state.db, &state.clock, actor.user_id).await?;
        Ok(NoContent::Done)
    }
}
