//! The one seam between the capabilities and push: whatever tells people something (a news item
//! with `notify`, a shop notice, a ride update) calls [`enqueue`] inside its own transaction.
//! It writes one `notice` row and nothing more; the push worker expands the audience into inbox
//! entries and deliveries, applying preferences and quiet hours. A capability knows nothing of
//! devices; push knows nothing of news or shops.

use chrono::{DateTime, Utc};
use entity::notice;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use entity::vocab::NewsCategory;

use crate::clock::SharedClock;

/// What became of one push to one device (`push_delivery.status`).
pub mod delivery_status {
    pub const PENDING: &str = "pending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
    pub const GONE: &str = "gone";
    pub const SUPERSEDED: &str = "superseded";
}

/// Who is to be told: a rule, expanded later, never a list of people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Residents who follow news of this category from any of these districts (each person
    /// once); an empty list means the whole municipality. DESIGN.md names a single-district
    /// rule; a news item for several villages is one notice so that nobody is told twice.
    Districts {
        districts: Vec<Uuid>,
        category: NewsCategory,
    },
    /// Everyone following the shop.
    ShopFollowers(Uuid),
    /// Drivers serving the district.
    DistrictDrivers(Uuid),
    /// One person.
    User(Uuid),
}

/// How an audience is stored: kind, the one id it names, the district list, the category.
type AudienceColumns = (&'static str, Option<Uuid>, Option<String>, Option<String>);

impl Audience {
    fn columns(&self) -> AudienceColumns {
        match self {
            Audience::Districts {
                districts,
                category,
            } => (
                "districts",
                None,
                Some(serde_json::json!(districts).to_string()),
                Some(category.as_str().to_owned()),
            ),
            Audience::ShopFollowers(shop) => ("shop_followers", Some(*shop), None, None),
            Audience::DistrictDrivers(district) => {
                ("district_drivers", Some(*district), None, None)
            }
            Audience::User(user) => ("user", Some(*user), None, None),
        }
    }
}

/// How urgently it is to be delivered (Web Push `Urgency`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    /// Ride updates: `Urgency: high`, but they wait for the end of quiet hours like the rest.
    High,
    /// Warnings (storm, water): `Urgency: high`, and the only pushes that pass quiet hours.
    Warning,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::High => "high",
            Urgency::Warning => "warning",
        }
    }

    /// The stored form back; anything unknown is treated as normal.
    pub fn parse(stored: &str) -> Self {
        match stored {
            "high" => Urgency::High,
            "warning" => Urgency::Warning,
            _ => Urgency::Normal,
        }
    }
}

/// Notice statuses: waiting for (or in) expansion, expanded, withdrawn before it went out.
pub const STATUS_PENDING: &str = "pending";
pub const STATUS_EXPANDED: &str = "expanded";
pub const STATUS_WITHDRAWN: &str = "withdrawn";

/// A notice to hand over.
#[derive(Clone, Debug)]
pub struct Notice {
    /// `news`, `shop_notice`, `ride_update`, …
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    /// What the app opens: `{"type": "shop_notice", "id": "…"}`.
    pub data: serde_json::Value,
    pub audience: Audience,
    pub urgency: Urgency,
    /// A newer notice with the same topic replaces an older undelivered one.
    pub topic: Option<String>,
    /// Not before this time (scheduled news); `None` = now.
    pub not_before: Option<DateTime<Utc>>,
}

/// Writes the notice, in the caller's transaction.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    notice: Notice,
) -> Result<Uuid, DbErr> {
    let now = clock.now();
    let (audience_kind, audience_ref, audience_districts, audience_category) =
        notice.audience.columns();
    let id = Uuid::now_v7();
    let subject_type = notice.data["type"]
        .as_str()
        .map(|t| t.chars().take(32).collect());
    let subject_id = notice.data["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok());
    notice::ActiveModel {
        id: Set(id),
        kind: Set(notice.kind.to_owned()),
        title: Set(notice.title.chars().take(200).collect()),
        body: Set(notice.body),
        data: Set(notice.data.to_string()),
        audience_kind: Set(audience_kind.to_owned()),
        audience_ref: Set(audience_ref),
        audience_districts: Set(audience_districts),
        audience_category: Set(audience_category),
        urgency: Set(notice.urgency.as_str().to_owned()),
        topic: Set(notice.topic.map(|t| t.chars().take(32).collect())),
        not_before: Set(notice.not_before.unwrap_or(now)),
        status: Set(STATUS_PENDING.to_owned()),
        created_at: Set(now),
        subject_type: Set(subject_type),
        subject_id: Set(subject_id),
        expand_cursor: Set(None),
        locked_by: Set(None),
        locked_until: Set(None),
        expanded_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// The notices about one thing (`("news", id)`), newest first.
pub async fn about(
    conn: &impl ConnectionTrait,
    subject_type: &str,
    subject_id: Uuid,
) -> Result<Vec<notice::Model>, DbErr> {
    notice::Entity::find()
        .filter(notice::Column::SubjectType.eq(subject_type))
        .filter(notice::Column::SubjectId.eq(subject_id))
        .order_by_desc(notice::Column::Id)
        .all(conn)
        .await
}

/// Takes back the notices about something that no longer exists (a deleted news item or shop
/// notice): a notice still waiting is never expanded, pushes not yet sent are dropped, and the
/// inbox entries go too — an entry would only lead to "not found" when tapped. Pushes already
/// on a device cannot be recalled; the app shows "not found" for them.
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    subject_type: &str,
    subject_id: Uuid,
) -> Result<(), DbErr> {
    // Inbox entries and deliveries cascade with the notice.
    notice::Entity::delete_many()
        .filter(notice::Column::SubjectType.eq(subject_type))
        .filter(notice::Column::SubjectId.eq(subject_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How far the telling about one thing has got, for its author.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    /// People it reached (inbox entries).
    pub recipients: u64,
    /// Pushes accepted by a push service.
    pub sent: u64,
    /// Pushes given up: the device is gone, or the service refused ten times.
    pub failed: u64,
    /// Pushes still to go (queued, waiting for quiet hours to end, or retrying), plus — while
    /// the audience is still being expanded — nothing yet for those not reached so far.
    pub pending: u64,
    /// Whether the audience has been expanded completely.
    pub complete: bool,
}

/// The delivery counts of every notice about one thing (`("news", id)`).
pub async fn delivery_counts(
    conn: &impl ConnectionTrait,
    subject_type: &str,
    subject_id: Uuid,
) -> Result<DeliveryCounts, DbErr> {
    use entity::{inbox_entry, push_delivery};
    use sea_orm::{PaginatorTrait, QuerySelect};
    let notices = about(conn, subject_type, subject_id).await?;
    let ids: Vec<Uuid> = notices.iter().map(|n| n.id).collect();
    if ids.is_empty() {
        return Ok(DeliveryCounts {
            complete: true,
            ..DeliveryCounts::default()
        });
    }
    let recipients = inbox_entry::Entity::find()
        .filter(inbox_entry::Column::NoticeId.is_in(ids.clone()))
        .count(conn)
        .await?;
    let by_status: Vec<(String, i64)> = push_delivery::Entity::find()
        .select_only()
        .column(push_delivery::Column::Status)
        .column_as(push_delivery::Column::Id.count(), "n")
        .filter(push_delivery::Column::NoticeId.is_in(ids))
        .group_by(push_delivery::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut counts = DeliveryCounts {
        recipients,
        complete: notices.iter().all(|n| n.status != STATUS_PENDING),
        ..DeliveryCounts::default()
    };
    for (status, n) in by_status {
        let n = u64::try_from(n).unwrap_or(0);
        match status.as_str() {
            "sent" => counts.sent += n,
            "failed" | "gone" => counts.failed += n,
            "pending" => counts.pending += n,
            _ => {} // superseded: replaced by a newer push of the same topic
        }
    }
    Ok(counts)
}
