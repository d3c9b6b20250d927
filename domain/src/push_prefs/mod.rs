//! Push as residents see it: their devices (Web Push subscriptions), what they want to be told
//! (preferences, quiet hours) and their inbox. Expanding notices and sending pushes lives in
//! the `push` crate; this module holds the rules both sides share.

use std::net::IpAddr;

use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use chrono::{DateTime, Days, Timelike, Utc};
use chrono_tz::Tz;
use entity::{
    app_user, district, inbox_entry, notice, notification_district, notification_preference,
    push_delivery, push_subscription, vocab::NewsCategory,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    DomainError, DomainResult, Validator,
    auth::Actor,
    clock::SharedClock,
    db,
    notices::{self, Audience, DeliveryStatus, Notice, NoticeKind, Target, Urgency},
    shops::opening_hours::{self, Minutes},
    text::{FieldError, Text, field},
};

/// Devices one person may register; registering one more drops the least recently updated
/// (phones get new endpoints after reinstalls, and the old ones would otherwise pile up).
pub const MAX_DEVICES: usize = 20;
/// Push service URLs are a few hundred bytes; this bounds the unique index entry.
pub const ENDPOINT_MAX: usize = 1024;
pub const USER_AGENT_MAX: usize = 200;
/// Districts one person may follow.
pub const MAX_FOLLOWED_DISTRICTS: usize = 100;

// ---------------------------------------------------------------------------------------------
// Subscriptions

/// A device's subscription as the browser or app hands it over (`PushSubscription.toJSON()`).
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub user_agent: Option<String>,
}

/// Whether an address is one the server may send to: not loopback, private, link-local,
/// shared (CGNAT), unspecified, multicast or documentation space, in IPv4 and IPv6 (also
/// IPv4-mapped IPv6). Push services are on the public internet; anything else would let a
/// subscriber make the server call into the municipality's own network (SSRF).
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
                || (a == 192 && b == 88 && v4.octets()[2] == 99) // 6to4 relay anycast
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let [first, second, ..] = v6.segments();
            // Only global unicast (2000::/3) is a push service. That leaves out loopback,
            // IPv4-compatible (`::127.0.0.1`), NAT64 (`64:ff9b::/96`, which reaches IPv4
            // behind the gateway), unique local, link-local and multicast at once. Within it,
            // ranges that tunnel to or stand for other addresses are refused too.
            (first & 0xe000) == 0x2000
                && !(first == 0x2001 && second < 0x0200) // IETF assignments: Teredo, ORCHID, benchmarking
                && !(first == 0x2001 && second == 0x0db8) // documentation
                && first != 0x2002 // 6to4: an IPv4 address inside
        }
    }
}

/// The only port a push service is reached on (https). Any other (`:25`, `:6379`) would turn
/// the push worker into a way to knock on other services.
const PUSH_PORT: u16 = 443;

/// Host names that never name a public push service.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    !host.contains('.')
        || [".localhost", ".local", ".internal", ".home.arpa", ".lan"]
            .iter()
            .any(|suffix| host.ends_with(suffix))
}

/// Checks an endpoint URL: absolute, https (http only with `allow_http`), no credentials, and
/// (unless `allow_http`, which is for local development and tests) not a local or private
/// target. Names that resolve to private addresses are refused again when sending, by the
/// resolver of the push client (`push::client`), so a later DNS change does not help.
pub fn check_endpoint(endpoint: &str, allow_http: bool) -> Result<url::Url, FieldError> {
    const FIELD: &str = "endpoint";
    if endpoint.len() > ENDPOINT_MAX {
        return Err(field(
            FIELD,
            "Die Adresse ist zu lang (höchstens 1024 Zeichen).",
            "The URL is too long (at most 1024 characters).",
        ));
    }
    let url = url::Url::parse(endpoint).map_err(|_| {
        field(
            FIELD,
            "Bitte eine vollständige https-Adresse des Push-Dienstes angeben.",
            "Please give the push service's full https URL.",
        )
    })?;
    let scheme_ok = url.scheme() == "https" || (allow_http && url.scheme() == "http");
    if !scheme_ok {
        return Err(field(
            FIELD,
            "Push-Adressen müssen mit https:// beginnen.",
            "Push endpoints must use https://.",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(field(
            FIELD,
            "Die Adresse darf keine Zugangsdaten enthalten.",
            "The URL must not contain credentials.",
        ));
    }
    let public = match url.host() {
        None => false,
        Some(url::Host::Ipv4(ip)) => is_public_address(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_public_address(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => !is_local_name(name),
    };
    if !public && !allow_http {
        return Err(field(
            FIELD,
            "Diese Adresse gehört zu keinem öffentlichen Push-Dienst.",
            "This URL does not belong to a public push service.",
        ));
    }
    if url.port_or_known_default() != Some(PUSH_PORT) && !allow_http {
        return Err(field(
            FIELD,
            "Push-Dienste werden über den https-Standardport 443 erreicht; andere Ports sind nicht erlaubt.",
            "Push services are reached on the https port 443; other ports are not allowed.",
        ));
    }
    Ok(url)
}

/// Base64url as browsers send it (padding tolerated), decoded.
fn decode_key(value: &str) -> Option<Vec<u8>> {
    let trimmed = value.trim();
    URL_SAFE_NO_PAD
        .decode(trimmed.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(trimmed))
        .ok()
}

/// The checked subscription: endpoint and keys in the form the sender needs (base64url without
/// padding, which the `web-push` crate requires).
struct CheckedSubscription {
    endpoint: String,
    p256dh: String,
    auth: String,
    user_agent: Option<String>,
}

fn check_subscription(
    input: &NewSubscription,
    allow_http: bool,
) -> DomainResult<CheckedSubscription> {
    let mut errors = Validator::new();
    let endpoint = match check_endpoint(input.endpoint.trim(), allow_http) {
        Ok(url) => Some(url.to_string()),
        Err(error) => {
            errors.push(error);
            None
        }
    };
    // RFC 8291: the user agent's ECDH public key is an uncompressed P-256 point.
    let p256dh = decode_key(&input.p256dh)
        .filter(|raw| raw.len() == 65 && raw[0] == 0x04)
        .filter(|raw| p256::PublicKey::from_sec1_bytes(raw).is_ok());
    errors.check(
        p256dh.is_some(),
        "keys.p256dh",
        "Kein gültiger Geräteschlüssel (65 Byte, unkomprimierter P-256-Punkt, base64url).",
        "Not a valid device key (65 bytes, uncompressed P-256 point, base64url).",
    );
    // RFC 8291 section 3.2: the authentication secret is 16 random bytes.
    let auth = decode_key(&input.auth).filter(|raw| raw.len() == 16);
    errors.check(
        auth.is_some(),
        "keys.auth",
        "Kein gültiges Geräte-Geheimnis (16 Byte, base64url).",
        "Not a valid device secret (16 bytes, base64url).",
    );
    errors.optional_text("user_agent", input.user_agent.as_deref(), USER_AGENT_MAX);
    errors.finish()?;
    match (endpoint, p256dh, auth) {
        (Some(endpoint), Some(p256dh), Some(auth)) => Ok(CheckedSubscription {
            endpoint,
            p256dh: URL_SAFE_NO_PAD.encode(p256dh),
            auth: URL_SAFE_NO_PAD.encode(auth),
            user_agent: super::normalize_optional(input.user_agent.clone()),
        }),
        // `finish` has returned every error above.
        _ => Err(DomainError::Validation(Vec::new())),
    }
}

/// Registers a device for the caller. The same endpoint again updates it (new keys after a
/// browser renewed them) and moves it to the caller if someone else had signed in on that
/// device before. Returns the subscription and whether it is new.
pub async fn register(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    input: NewSubscription,
    allow_http: bool,
) -> DomainResult<(push_subscription::Model, bool)> {
    let checked = check_subscription(&input, allow_http)?;
    let now = clock.now();
    let txn = db::begin_write(db).await?;
    let existing = push_subscription::Entity::find()
        .filter(push_subscription::Column::Endpoint.eq(checked.endpoint.as_str()))
        .one(&txn)
        .await?;
    let created = existing.is_none();
    if let Some(previous) = existing.as_ref().filter(|e| e.user_id != actor.user_id) {
        // Someone else signs in on this device: what was queued for the previous person is
        // theirs alone and must not appear on a device that is no longer theirs.
        use sea_orm::sea_query::Expr;
        push_delivery::Entity::update_many()
            .col_expr(
                push_delivery::Column::Status,
                Expr::value(DeliveryStatus::Gone),
            )
            .col_expr(push_delivery::Column::UpdatedAt, Expr::value(now))
            .filter(push_delivery::Column::SubscriptionId.eq(previous.id))
            .filter(push_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .exec(&txn)
            .await?;
    }
    let endpoint = checked.endpoint.clone();
    let model = push_subscription::ActiveModel {
        id: Set(existing.as_ref().map_or_else(Uuid::now_v7, |e| e.id)),
        user_id: Set(actor.user_id),
        endpoint: Set(checked.endpoint),
        p256dh: Set(checked.p256dh),
        auth: Set(checked.auth),
        user_agent: Set(checked.user_agent),
        created_at: Set(existing.as_ref().map_or(now, |e| e.created_at)),
        updated_at: Set(now),
    };
    // Upsert, so that two registrations of one device racing each other end in one row.
    push_subscription::Entity::insert(model)
        .on_conflict(
            OnConflict::column(push_subscription::Column::Endpoint)
                .update_columns([
                    push_subscription::Column::UserId,
                    push_subscription::Column::P256dh,
                    push_subscription::Column::Auth,
                    push_subscription::Column::UserAgent,
                    push_subscription::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let stored = push_subscription::Entity::find()
        .filter(push_subscription::Column::Endpoint.eq(endpoint))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::Db(sea_orm::DbErr::RecordNotFound("subscription".into())))?;
    // Beyond the limit, the devices not heard of for longest go.
    let stale: Vec<Uuid> = push_subscription::Entity::find()
        .filter(push_subscription::Column::UserId.eq(actor.user_id))
        .order_by_desc(push_subscription::Column::UpdatedAt)
        .order_by_desc(push_subscription::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .skip(MAX_DEVICES)
        .map(|s| s.id)
        .collect();
    if !stale.is_empty() {
        push_subscription::Entity::delete_many()
            .filter(push_subscription::Column::Id.is_in(stale))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok((stored, created))
}

/// The caller's devices, oldest first.
pub async fn subscriptions(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> DomainResult<Vec<push_subscription::Model>> {
    Ok(push_subscription::Entity::find()
        .filter(push_subscription::Column::UserId.eq(user_id))
        .order_by_asc(push_subscription::Column::CreatedAt)
        .order_by_asc(push_subscription::Column::Id)
        .all(db)
        .await?)
}

/// Removes one of the caller's devices; pushes still queued for it are dropped by the sender.
pub async fn unsubscribe(db: &DatabaseConnection, user_id: Uuid, id: Uuid) -> DomainResult<()> {
    let deleted = push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::Id.eq(id))
        .filter(push_subscription::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(DomainError::NotFound(Text::new(
            "Dieses Gerät ist nicht angemeldet.",
            "This device is not registered.",
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Preferences

/// Quiet hours: local wall-clock times in the municipality's time zone, `start` inclusive,
/// `end` exclusive; `start > end` spans midnight (22:00–07:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Minutes,
    pub end: Minutes,
}

impl QuietHours {
    pub fn from_stored(start: Option<&str>, end: Option<&str>) -> Option<Self> {
        Some(Self {
            start: opening_hours::parse_time(start?, false)?,
            end: opening_hours::parse_time(end?, false)?,
        })
    }

    pub fn format(minutes: Minutes) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// When something due at `now` may be pushed: `None` outside the quiet hours, otherwise
    /// the instant they end (DST handled: an end inside the skipped spring hour moves to the
    /// first minute that exists).
    pub fn deferred_until(&self, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&tz);
        let minute = Minutes::try_from(local.hour() * 60 + local.minute()).ok()?;
        let (start, end) = (self.start, self.end);
        let inside = if start < end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        };
        if !inside {
            return None;
        }
        let today = local.date_naive();
        let end_day = if start > end && minute >= start {
            today.checked_add_days(Days::new(1))?
        } else {
            today
        };
        opening_hours::instant(tz, end_day, end)
    }
}

/// What a resident wants to be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preferences {
    pub district_ids: Vec<Uuid>,
    pub news_categories: Vec<NewsCategory>,
    pub shop_updates: bool,
    pub ride_updates: bool,
    /// `(start, end)` as `HH:MM`.
    pub quiet_hours: Option<(String, String)>,
}

fn all_categories() -> Vec<NewsCategory> {
    <NewsCategory as sea_orm::Iterable>::iter().collect()
}

/// The stored category list; `None` (all) when absent or unreadable.
pub fn stored_categories(stored: Option<&str>) -> Option<Vec<String>> {
    stored.and_then(|json| serde_json::from_str(json).ok())
}

/// The caller's preferences, with the defaults where nothing was chosen: news of the home
/// district in every category, shop and ride updates on, no quiet hours.
pub async fn preferences(db: &DatabaseConnection, user_id: Uuid) -> DomainResult<Preferences> {
    let user = app_user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::Forbidden)?;
    let stored = notification_preference::Entity::find_by_id(user_id)
        .one(db)
        .await?;
    let district_ids = match &stored {
        Some(p) if p.custom_districts => notification_district::Entity::find()
            .filter(notification_district::Column::UserId.eq(user_id))
            .order_by_asc(notification_district::Column::DistrictId)
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.district_id)
            .collect(),
        _ => user.home_district_id.into_iter().collect(),
    };
    Ok(match stored {
        None => Preferences {
            district_ids,
            news_categories: all_categories(),
            shop_updates: true,
            ride_updates: true,
            quiet_hours: None,
        },
        Some(p) => Preferences {
            district_ids,
            news_categories: match p.news_categories.as_deref() {
                None => all_categories(),
                Some(json) => serde_json::from_str(json).map_err(|err| {
                    sea_orm::DbErr::Type(format!("notification_preference.news_categories: {err}"))
                })?,
            },
            shop_updates: p.shop_updates,
            ride_updates: p.ride_updates,
            quiet_hours: p.quiet_start.zip(p.quiet_end),
        },
    })
}

/// Replaces the caller's preferences after checking every field (each fault named).
pub async fn set_preferences(
    db: &DatabaseConnection,
    clock: &SharedClock,
    user_id: Uuid,
    input: Preferences,
) -> DomainResult<Preferences> {
    let mut errors = Validator::new();
    errors.check(
        input.district_ids.len() <= MAX_FOLLOWED_DISTRICTS,
        "district_ids",
        "Zu viele Ortsteile (höchstens 100).",
        "Too many districts (at most 100).",
    );
    let known: Vec<Uuid> = if input.district_ids.len() <= MAX_FOLLOWED_DISTRICTS {
        district::Entity::find()
            .filter(district::Column::Id.is_in(input.district_ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect()
    } else {
        Vec::new()
    };
    for (i, id) in input.district_ids.iter().enumerate() {
        if input.district_ids.len() <= MAX_FOLLOWED_DISTRICTS && !known.contains(id) {
            errors.check(
                false,
                &format!("district_ids[{i}]"),
                "Diesen Ortsteil gibt es nicht.",
                "There is no such district.",
            );
        }
    }
    let quiet = match &input.quiet_hours {
        None => None,
        Some((start, end)) => {
            let parsed_start = opening_hours::parse_time(start, false);
            let parsed_end = opening_hours::parse_time(end, false);
            for (value, name) in [(parsed_start, "start"), (parsed_end, "end")] {
                errors.check(
                    value.is_some(),
                    &format!("quiet_hours.{name}"),
                    "Bitte eine Uhrzeit als HH:MM angeben, z. B. 22:00.",
                    "Please give a time as HH:MM, e.g. 22:00.",
                );
            }
            if let (Some(start), Some(end)) = (parsed_start, parsed_end) {
                errors.check(
                    start != end,
                    "quiet_hours",
                    "Beginn und Ende der Ruhezeit dürfen nicht gleich sein.",
                    "Quiet hours must not start and end at the same time.",
                );
                Some(QuietHours { start, end })
            } else {
                None
            }
        }
    };
    errors.finish()?;

    let mut districts = input.district_ids.clone();
    districts.sort();
    districts.dedup();
    let mut categories: Vec<NewsCategory> = all_categories()
        .into_iter()
        .filter(|c| input.news_categories.contains(c))
        .collect();
    categories.dedup();
    let txn = db::begin_write(db).await?;
    let home = app_user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::Forbidden)?
        .home_district_id;
    // Choosing exactly the home district keeps following it when the home district changes.
    let custom = districts != home.into_iter().collect::<Vec<_>>();
    let model = notification_preference::ActiveModel {
        user_id: Set(user_id),
        custom_districts: Set(custom),
        // All categories are stored as "all", so that a category added later is included.
        news_categories: Set((categories.len()
            != <NewsCategory as sea_orm::Iterable>::iter().len())
        .then(|| serde_json::json!(categories).to_string())),
        shop_updates: Set(input.shop_updates),
        ride_updates: Set(input.ride_updates),
        quiet_start: Set(quiet.map(|q| QuietHours::format(q.start))),
        quiet_end: Set(quiet.map(|q| QuietHours::format(q.end))),
        updated_at: Set(clock.now()),
    };
    notification_preference::Entity::insert(model)
        .on_conflict(
            OnConflict::column(notification_preference::Column::UserId)
                .update_columns([
                    notification_preference::Column::CustomDistricts,
                    notification_preference::Column::NewsCategories,
                    notification_preference::Column::ShopUpdates,
                    notification_preference::Column::RideUpdates,
                    notification_preference::Column::QuietStart,
                    notification_preference::Column::QuietEnd,
                    notification_preference::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    notification_district::Entity::delete_many()
        .filter(notification_district::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if custom && !districts.is_empty() {
        notification_district::Entity::insert_many(districts.iter().map(|district_id| {
            notification_district::ActiveModel {
                user_id: Set(user_id),
                district_id: Set(*district_id),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(Preferences {
        district_ids: districts,
        news_categories: categories,
        shop_updates: input.shop_updates,
        ride_updates: input.ride_updates,
        quiet_hours: quiet.map(|q| (QuietHours::format(q.start), QuietHours::format(q.end))),
    })
}

// ---------------------------------------------------------------------------------------------
// Inbox

/// One entry of the in-app inbox with what it tells.
#[derive(Clone, Debug)]
pub struct InboxItem {
    pub id: Uuid,
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    pub target: Target,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl InboxItem {
    fn new(entry: inbox_entry::Model, notice: &notice::Model) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            id: entry.id,
            kind: notice.kind,
            title: notice.title.clone(),
            body: notice.body.clone(),
            target: Target::stored(notice)?,
            created_at: entry.created_at,
            read_at: entry.read_at,
        })
    }
}

/// A page of the caller's inbox, newest first; `true` when more follow.
pub async fn inbox(
    db: &DatabaseConnection,
    user_id: Uuid,
    before: Option<Uuid>,
    limit: u64,
    unread_only: bool,
) -> DomainResult<(Vec<InboxItem>, bool)> {
    let mut query = inbox_entry::Entity::find().filter(inbox_entry::Column::UserId.eq(user_id));
    if let Some(before) = before {
        query = query.filter(inbox_entry::Column::Id.lt(before));
    }
    if unread_only {
        query = query.filter(inbox_entry::Column::ReadAt.is_null());
    }
    // The notices come with the entries (one statement, not two: this runs on every open of
    // the app's inbox).
    let mut entries = query
        .select_also(notice::Entity)
        .join(
            JoinType::InnerJoin,
            inbox_entry::Entity::belongs_to(notice::Entity)
                .from(inbox_entry::Column::NoticeId)
                .to(notice::Column::Id)
                .into(),
        )
        .order_by_desc(inbox_entry::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = entries.len() as u64 > limit;
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let items = entries
        .into_iter()
        .filter_map(|(entry, notice)| Some(InboxItem::new(entry, &notice?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    Ok((items, more))
}

/// How many entries of the caller's inbox are unread (the app's badge).
pub async fn unread_count(db: &DatabaseConnection, user_id: Uuid) -> DomainResult<u64> {
    Ok(inbox_entry::Entity::find()
        .filter(inbox_entry::Column::UserId.eq(user_id))
        .filter(inbox_entry::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks one entry read; marking it again changes nothing (a retried tap).
pub async fn mark_read(
    db: &DatabaseConnection,
    clock: &SharedClock,
    user_id: Uuid,
    id: Uuid,
) -> DomainResult<()> {
    let entry = inbox_entry::Entity::find_by_id(id)
        .filter(inbox_entry::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::NotFound(Text::new(
                "Diese Benachrichtigung gibt es nicht.",
                "There is no such notification.",
            ))
        })?;
    if entry.read_at.is_none() {
        let mut active: inbox_entry::ActiveModel = entry.into();
        active.read_at = Set(Some(clock.now()));
        active.update(db).await?;
    }
    Ok(())
}

/// Marks every unread entry of the caller read; returns how many.
pub async fn mark_all_read(
    db: &DatabaseConnection,
    clock: &SharedClock,
    user_id: Uuid,
) -> DomainResult<u64> {
    use sea_orm::sea_query::Expr;
    Ok(inbox_entry::Entity::update_many()
        .col_expr(inbox_entry::Column::ReadAt, Expr::value(clock.now()))
        .filter(inbox_entry::Column::UserId.eq(user_id))
        .filter(inbox_entry::Column::ReadAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Queues a test notice to the caller alone: it reaches the inbox and every device. At most
/// `per_hour` an hour ([`crate::quotas`]): a test is for checking a device, not a way to make
/// push services work for someone.
pub async fn send_test(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    per_hour: u32,
) -> DomainResult<Uuid> {
    let txn = db::begin_write(db).await?;
    crate::quotas::lock(&txn, &format!("test-push:{}", actor.user_id)).await?;
    let now = clock.now();
    let recent: Vec<DateTime<Utc>> = notice::Entity::find()
        .select_only()
        .column(notice::Column::CreatedAt)
        .filter(notice::Column::Kind.eq(NoticeKind::Test))
        .filter(notice::Column::AudienceRef.eq(actor.user_id))
        .filter(notice::Column::CreatedAt.gt(now - crate::quotas::HOUR))
        .order_by_asc(notice::Column::CreatedAt)
        .into_tuple()
        .all(&txn)
        .await?;
    crate::quotas::check_hourly(&recent, per_hour, now, || {
        Text::new(
            format!("Höchstens {per_hour} Test-Benachrichtigungen pro Stunde."),
            format!("At most {per_hour} test notifications an hour."),
        )
    })?;
    let id = notices::enqueue(
        &txn,
        clock,
        Notice {
            kind: NoticeKind::Test,
            title: "Test-Benachrichtigung".into(),
            body: "Push-Benachrichtigungen der Dorf-App kommen auf diesem Gerät an.".into(),
            target: Target::Test,
            audience: Audience::User(actor.user_id),
            urgency: Urgency::Normal,
            topic: None,
            not_before: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().to_utc()
    }

    #[test]
    fn quiet_hours_over_midnight_end_next_morning() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let quiet = QuietHours {
            start: 22 * 60,
            end: 7 * 60,
        };
        assert_eq!(quiet.deferred_until(at(tz, 2026, 6, 1, 21, 59), tz), None);
        assert_eq!(
            quiet.deferred_until(at(tz, 2026, 6, 1, 22, 0), tz),
            Some(at(tz, 2026, 6, 2, 7, 0))
        );
        assert_eq!(
            quiet.deferred_until(at(tz, 2026, 6, 2, 6, 59), tz),
            Some(at(tz, 2026, 6, 2, 7, 0))
        );
        assert_eq!(quiet.deferred_until(at(tz, 2026, 6, 2, 7, 0), tz), None);
    }

    #[test]
    fn quiet_hours_within_a_day_and_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let lunch = QuietHours {
            start: 12 * 60,
            end: 14 * 60,
        };
        assert_eq!(
            lunch.deferred_until(at(tz, 2026, 6, 1, 13, 0), tz),
            Some(at(tz, 2026, 6, 1, 14, 0))
        );
        assert_eq!(lunch.deferred_until(at(tz, 2026, 6, 1, 11, 0), tz), None);
        // The night the clocks go forward (29 March 2026, 02:00 → 03:00): ends at 02:30 local,
        // which does not exist, so at 03:00 CEST.
        let short = QuietHours {
            start: 23 * 60,
            end: 2 * 60 + 30,
        };
        let deferred = short
            .deferred_until(at(tz, 2026, 3, 28, 23, 30), tz)
            .unwrap();
        assert_eq!(
            deferred,
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
        );
    }

    #[test]
    fn only_public_addresses_are_push_targets() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "2002:7f00:1::1",
            "2001::1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "198.18.0.1",
            "198.19.255.254",
            "192.88.99.1",
            "100::1",
        ] {
            assert!(!is_public_address(private.parse().unwrap()), "{private}");
        }
        for public in ["142.250.185.74", "2a00:1450:4001:80b::200a"] {
            assert!(is_public_address(public.parse().unwrap()), "{public}");
        }
        assert!(check_endpoint("https://fcm.googleapis.com/fcm/send/abc", false).is_ok());
        assert!(check_endpoint("https://fcm.googleapis.com:443/fcm/send/abc", false).is_ok());
        assert!(check_endpoint("https://fcm.googleapis.com:25/fcm/send/abc", false).is_err());
        assert!(check_endpoint("https://fcm.googleapis.com:8443/x", false).is_err());
        for bad in [
            "http://fcm.googleapis.com/x",
            "https://localhost/x",
            "https://push.localhost/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest",
            "https://intranet/x",
            "https://user:pw@fcm.googleapis.com/x",
            "ftp://fcm.googleapis.com/x",
            "not a url",
        ] {
            assert!(check_endpoint(bad, false).is_err(), "{bad}");
        }
        assert!(check_endpoint("http://127.0.0.1:9000/push/1", true).is_ok());
    }
}
