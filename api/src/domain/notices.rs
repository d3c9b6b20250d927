//! The one seam between the capabilities and push: whatever tells people something (a news item
//! with `notify`, a shop notice, a ride update) calls [`enqueue`] inside its own transaction.
//! It writes one `notice` row and nothing more; the push worker expands the audience into inbox
//! entries and deliveries, applying preferences and quiet hours. A capability knows nothing of
//! devices; push knows nothing of news or shops.

use chrono::{DateTime, Utc};
use entity::notice;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::clock::SharedClock;

/// Who is to be told: a rule, expanded later, never a list of people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Residents who follow news of this category from any of these districts (each person
    /// once); an empty list means the whole municipality. DESIGN.md names a single-district
    /// rule; a news item for several villages is one notice so that nobody is told twice.
    Districts {
        districts: Vec<Uuid>,
        category: String,
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
                Some(category.clone()),
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
    /// Warnings and ride updates: delivered at once, also in quiet hours for warnings.
    High,
}

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
        urgency: Set(match notice.urgency {
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
        .to_owned()),
        topic: Set(notice.topic.map(|t| t.chars().take(32).collect())),
        not_before: Set(notice.not_before.unwrap_or(now)),
        status: Set("pending".to_owned()),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}
