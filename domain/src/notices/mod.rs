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
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::vocab::NewsCategory;
pub use entity::vocab::{
    AudienceKind, DeliveryStatus, NoticeKind, NoticeStatus, TargetType, Urgency,
};

use crate::clock::SharedClock;

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
    /// The author and the supporters of an Anliegen (and the followers of those merged into
    /// it). Told of every step whatever categories they chose; muting the Anliegen stops the
    /// pushes, never the inbox.
    AnliegenFollowers(Uuid),
    /// The leaders of a district (Ortsbürgermeister:innen).
    DistrictLeaders(Uuid),
    /// Town staff for a topic: the town-wide staff, and those of the topic if one is named.
    TownStaff(Option<Uuid>),
    /// Everyone who voted in a poll (erased voters no longer count as anyone).
    PollVoters(Uuid),
    /// Everyone following an event: told of a cancellation or a new time whatever categories
    /// they chose (following is the more specific choice).
    EventFollowers(Uuid),
    /// The followers of an event who chose to be reminded this long before each date.
    EventReminded {
        event: Uuid,
        lead: entity::vocab::EventReminder,
    },
    /// Everyone signed up for one shift of an event (its reminder, a new time).
    ShiftHelpers(Uuid),
    /// The admins (the SMS budget's notice).
    Admins,
}

/// How an audience is stored: kind, the one id it names, the district list, the category.
type AudienceColumns = (
    AudienceKind,
    Option<Uuid>,
    Option<String>,
    Option<NewsCategory>,
);

impl Audience {
    /// The columns of `notice` that hold the rule; [`Audience::stored`] reads them back.
    fn columns(&self) -> AudienceColumns {
        match self {
            Audience::Districts {
                districts,
                category,
            } => (
                AudienceKind::Districts,
                None,
                Some(serde_json::json!(districts).to_string()),
                Some(*category),
            ),
            Audience::ShopFollowers(shop) => (AudienceKind::ShopFollowers, Some(*shop), None, None),
            Audience::DistrictDrivers(district) => {
                (AudienceKind::DistrictDrivers, Some(*district), None, None)
            }
            Audience::User(user) => (AudienceKind::User, Some(*user), None, None),
            Audience::AnliegenFollowers(id) => {
                (AudienceKind::AnliegenFollowers, Some(*id), None, None)
            }
            Audience::DistrictLeaders(district) => {
                (AudienceKind::DistrictLeaders, Some(*district), None, None)
            }
            Audience::TownStaff(topic) => (AudienceKind::TownStaff, *topic, None, None),
            Audience::PollVoters(poll) => (AudienceKind::PollVoters, Some(*poll), None, None),
            Audience::EventFollowers(event) => {
                (AudienceKind::EventFollowers, Some(*event), None, None)
            }
            Audience::EventReminded { event, lead } => (
                match lead {
                    entity::vocab::EventReminder::Hour => AudienceKind::EventRemindHour,
                    // `none` is nobody: never written (the caller only reminds day or hour).
                    _ => AudienceKind::EventRemindDay,
                },
                Some(*event),
                None,
                None,
            ),
            Audience::ShiftHelpers(shift) => (AudienceKind::ShiftHelpers, Some(*shift), None, None),
            Audience::Admins => (AudienceKind::Admins, None, None, None),
        }
    }

    /// The rule a stored notice names. A row that does not make a whole rule is an error,
    /// never "nobody" or "everybody".
    pub fn stored(notice: &notice::Model) -> Result<Self, DbErr> {
        let broken = |what: &str| {
            DbErr::Type(format!(
                "notice {}: {what} missing or unreadable",
                notice.id
            ))
        };
        let reference = || notice.audience_ref.ok_or_else(|| broken("audience_ref"));
        Ok(match notice.audience_kind {
            AudienceKind::Districts => Audience::Districts {
                districts: notice
                    .audience_districts
                    .as_deref()
                    .and_then(|json| serde_json::from_str(json).ok())
                    .ok_or_else(|| broken("audience_districts"))?,
                category: notice
                    .audience_category
                    .as_deref()
                    .and_then(|stored| {
                        serde_json::from_value(serde_json::Value::String(stored.to_owned())).ok()
                    })
                    .ok_or_else(|| broken("audience_category"))?,
            },
            AudienceKind::ShopFollowers => Audience::ShopFollowers(reference()?),
            AudienceKind::DistrictDrivers => Audience::DistrictDrivers(reference()?),
            AudienceKind::User => Audience::User(reference()?),
            AudienceKind::AnliegenFollowers => Audience::AnliegenFollowers(reference()?),
            AudienceKind::DistrictLeaders => Audience::DistrictLeaders(reference()?),
            // No reference: the town-wide staff only.
            AudienceKind::TownStaff => Audience::TownStaff(notice.audience_ref),
            AudienceKind::PollVoters => Audience::PollVoters(reference()?),
            AudienceKind::EventFollowers => Audience::EventFollowers(reference()?),
            AudienceKind::EventRemindDay => Audience::EventReminded {
                event: reference()?,
                lead: entity::vocab::EventReminder::Day,
            },
            AudienceKind::EventRemindHour => Audience::EventReminded {
                event: reference()?,
                lead: entity::vocab::EventReminder::Hour,
            },
            AudienceKind::ShiftHelpers => Audience::ShiftHelpers(reference()?),
            AudienceKind::Admins => Audience::Admins,
        })
    }
}

/// What tapping the notification opens; stored as the notice's `data` (`{"type": …, "id": …}`)
/// and carried as `data` in the push payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    News {
        id: Uuid,
    },
    ShopNotice {
        id: Uuid,
        shop_id: Uuid,
    },
    Ride {
        id: Uuid,
    },
    Anliegen {
        id: Uuid,
    },
    Poll {
        id: Uuid,
    },
    Event {
        id: Uuid,
    },
    Test,
    /// The SMS status, for admins.
    SmsStatus,
}

impl Target {
    pub fn target_type(self) -> TargetType {
        match self {
            Target::News { .. } => TargetType::News,
            Target::ShopNotice { .. } => TargetType::ShopNotice,
            Target::Ride { .. } => TargetType::Ride,
            Target::Anliegen { .. } => TargetType::Anliegen,
            Target::Poll { .. } => TargetType::Poll,
            Target::Event { .. } => TargetType::Event,
            Target::Test => TargetType::Test,
            Target::SmsStatus => TargetType::SmsStatus,
        }
    }

    /// The news item, shop notice or ride.
    pub fn id(self) -> Option<Uuid> {
        match self {
            Target::News { id }
            | Target::ShopNotice { id, .. }
            | Target::Ride { id }
            | Target::Anliegen { id }
            | Target::Poll { id }
            | Target::Event { id } => Some(id),
            Target::Test | Target::SmsStatus => None,
        }
    }

    pub fn shop_id(self) -> Option<Uuid> {
        match self {
            Target::ShopNotice { shop_id, .. } => Some(shop_id),
            _ => None,
        }
    }

    /// The target a stored notice names.
    pub fn stored(notice: &notice::Model) -> Result<Self, DbErr> {
        serde_json::from_str(&notice.data)
            .map_err(|err| DbErr::Type(format!("notice {}: data: {err}", notice.id)))
    }
}

/// A notice to hand over.
#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// What the app opens.
    pub target: Target,
    pub audience: Audience,
    pub urgency: Urgency,
    /// A newer notice with the same topic replaces an older undelivered one.
    pub topic: Option<String>,
    /// Not before this time (scheduled news); `None` = now.
    pub not_before: Option<DateTime<Utc>>,
}

/// The PostgreSQL channel on which a committed notice is announced to every instance.
pub const CHANNEL: &str = "dorfapp_notices";

/// The process's doorbell for new notices: rung when one is written, so that this instance's
/// push worker looks at once instead of at its next poll. A process-wide value, because a
/// notice is written deep inside the rules, which know only their transaction.
static ENQUEUED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// What the push worker waits on (besides its poll interval): rung by [`enqueue`] in this
/// process, and by the worker's `LISTEN` for notices other instances commit.
pub fn enqueued() -> &'static tokio::sync::Notify {
    &ENQUEUED
}

/// Rings [`enqueued`]: wakes whoever waits now, or else the next to wait.
pub fn ring() {
    ENQUEUED.notify_waiters();
    ENQUEUED.notify_one();
}

/// Writes the notice, in the caller's transaction.
///
/// Rings the doorbell before the caller commits, so the worker may look too early; it then
/// looks again every few milliseconds for a short while. On PostgreSQL a `NOTIFY` in the same
/// transaction reaches every instance's worker when (and only if) it commits.
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
        kind: Set(notice.kind),
        title: Set(notice.title.chars().take(200).collect()),
        body: Set(notice.body),
        data: Set(
            serde_json::to_string(&notice.target).map_err(|err| DbErr::Custom(err.to_string()))?
        ),
        audience_kind: Set(audience_kind),
        audience_ref: Set(audience_ref),
        audience_districts: Set(audience_districts),
        audience_category: Set(audience_category.map(|c| c.as_str().to_owned())),
        urgency: Set(notice.urgency),
        topic: Set(notice.topic.map(|t| t.chars().take(32).collect())),
        not_before: Set(notice.not_before.unwrap_or(now)),
        status: Set(NoticeStatus::Pending),
        created_at: Set(now),
        subject_type: Set(Some(notice.target.target_type().as_str().to_owned())),
        subject_id: Set(notice.target.id()),
        expand_cursor: Set(None),
        locked_by: Set(None),
        locked_until: Set(None),
        expanded_at: Set(None),
    }
    .insert(conn)
    .await?;
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_unprepared(&format!("NOTIFY {CHANNEL}"))
            .await?;
    }
    ring();
    Ok(id)
}

/// The notices about one thing (`(TargetType::News, id)`), newest first.
pub async fn about(
    conn: &impl ConnectionTrait,
    subject_type: TargetType,
    subject_id: Uuid,
) -> Result<Vec<notice::Model>, DbErr> {
    notice::Entity::find()
        .filter(notice::Column::SubjectType.eq(subject_type.as_str()))
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
    subject_type: TargetType,
    subject_id: Uuid,
) -> Result<(), DbErr> {
    // Inbox entries and deliveries cascade with the notice.
    notice::Entity::delete_many()
        .filter(notice::Column::SubjectType.eq(subject_type.as_str()))
        .filter(notice::Column::SubjectId.eq(subject_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Takes back the notices of one kind about something, e.g. the announcements of an open ride
/// once a driver has taken it: those who heard of the offer no longer keep its details in their
/// inbox, and pushes not yet sent are dropped.
pub async fn withdraw_kind(
    conn: &impl ConnectionTrait,
    kind: NoticeKind,
    subject_type: TargetType,
    subject_id: Uuid,
) -> Result<(), DbErr> {
    notice::Entity::delete_many()
        .filter(notice::Column::Kind.eq(kind))
        .filter(notice::Column::SubjectType.eq(subject_type.as_str()))
        .filter(notice::Column::SubjectId.eq(subject_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Replaces the text of every notice about some things (their inbox entries, and the pushes
/// still queued, which read the notice when sent) — for erasure: the title stays, what it
/// said about a person goes.
pub async fn strip(
    conn: &impl ConnectionTrait,
    subject_type: TargetType,
    subject_ids: &[Uuid],
    body: &str,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    notice::Entity::update_many()
        .col_expr(notice::Column::Body, Expr::value(body))
        .filter(notice::Column::SubjectType.eq(subject_type.as_str()))
        .filter(notice::Column::SubjectId.is_in(subject_ids.iter().copied()))
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

/// The delivery counts of every notice about one thing (`(TargetType::News, id)`).
pub async fn delivery_counts(
    conn: &impl ConnectionTrait,
    subject_type: TargetType,
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
    let by_status: Vec<(DeliveryStatus, i64)> = push_delivery::Entity::find()
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
        complete: notices.iter().all(|n| n.status != NoticeStatus::Pending),
        ..DeliveryCounts::default()
    };
    for (status, n) in by_status {
        let n = u64::try_from(n).unwrap_or(0);
        match status {
            DeliveryStatus::Sent => counts.sent += n,
            DeliveryStatus::Failed | DeliveryStatus::Gone => counts.failed += n,
            DeliveryStatus::Pending => counts.pending += n,
            DeliveryStatus::Superseded => {} // replaced by a newer push of the same topic
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(audience: &Audience, target: Target) -> notice::Model {
        let (audience_kind, audience_ref, audience_districts, audience_category) =
            audience.columns();
        let now = Utc::now();
        notice::Model {
            id: Uuid::now_v7(),
            kind: NoticeKind::News,
            title: String::new(),
            body: String::new(),
            data: serde_json::to_string(&target).unwrap(),
            audience_kind,
            audience_ref,
            audience_districts,
            audience_category: audience_category.map(|c| c.as_str().to_owned()),
            urgency: Urgency::Normal,
            topic: None,
            not_before: now,
            status: NoticeStatus::Pending,
            created_at: now,
            subject_type: None,
            subject_id: None,
            expand_cursor: None,
            locked_by: None,
            locked_until: None,
            expanded_at: None,
        }
    }

    #[test]
    fn every_audience_and_target_reads_back_as_written() {
        let id = Uuid::now_v7();
        let audiences = [
            Audience::Districts {
                districts: vec![id],
                category: NewsCategory::Warning,
            },
            Audience::Districts {
                districts: vec![],
                category: NewsCategory::News,
            },
            Audience::ShopFollowers(id),
            Audience::DistrictDrivers(id),
            Audience::User(id),
            Audience::AnliegenFollowers(id),
            Audience::DistrictLeaders(id),
            Audience::TownStaff(Some(id)),
            Audience::TownStaff(None),
            Audience::PollVoters(id),
            Audience::EventFollowers(id),
            Audience::EventReminded {
                event: id,
                lead: entity::vocab::EventReminder::Day,
            },
            Audience::EventReminded {
                event: id,
                lead: entity::vocab::EventReminder::Hour,
            },
            Audience::ShiftHelpers(id),
            Audience::Admins,
        ];
        let targets = [
            Target::News { id },
            Target::ShopNotice { id, shop_id: id },
            Target::Ride { id },
            Target::Anliegen { id },
            Target::Poll { id },
            Target::Event { id },
            Target::Test,
            Target::SmsStatus,
        ];
        for (audience, target) in audiences.iter().zip(targets.iter().cycle()) {
            let stored = row(audience, *target);
            assert_eq!(&Audience::stored(&stored).unwrap(), audience);
            assert_eq!(Target::stored(&stored).unwrap(), *target);
        }
    }

    #[test]
    fn a_row_that_names_no_whole_rule_is_an_error_not_nobody() {
        let mut stored = row(&Audience::User(Uuid::now_v7()), Target::Test);
        stored.audience_ref = None;
        assert!(Audience::stored(&stored).is_err());
        let mut stored = row(
            &Audience::Districts {
                districts: vec![],
                category: NewsCategory::News,
            },
            Target::Test,
        );
        stored.audience_category = Some("gossip".into());
        assert!(Audience::stored(&stored).is_err());
        stored.data = r#"{"type":"lottery","id":null}"#.into();
        assert!(Target::stored(&stored).is_err());
    }
}
