//! An event (Veranstaltung), single or a series: its time as the organiser wrote it (local
//! wall-clock time in `tz`), its first occurrence as instants, and its state. Occurrences are
//! projected into `event_occurrence` by `domain::events::occurrences`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    /// Plain text (line breaks kept), at most 20,000 characters.
    pub description: String,
    pub category: crate::vocab::EventCategory,
    pub status: crate::vocab::EventStatus,
    pub publication: crate::vocab::EventPublication,
    pub unpublished_reason: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub organiser_name: Option<String>,
    /// The news item it was adopted from, if any.
    pub news_id: Option<Uuid>,
    pub all_day: bool,
    /// The IANA zone its local times are in (the municipality's when written).
    pub tz: String,
    /// `YYYY-MM-DDTHH:MM:SS`; all-day events: the first day at midnight.
    pub start_local: String,
    /// Timed: the end of the first occurrence; all-day: the last day (inclusive) at midnight.
    pub end_local: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: Option<DateTimeUtc>,
    /// Canonical RRULE (`FREQ=WEEKLY;BYDAY=TU`), null for a single event.
    pub rrule: Option<String>,
    /// A single event that was moved: where it was before.
    pub moved_from_local: Option<String>,
    pub moved_from_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub place: Option<String>,
    pub lat_e6: Option<i32>,
    pub lon_e6: Option<i32>,
    /// iCal `SEQUENCE`.
    pub sequence: i32,
    /// Whether residents are told by push when it goes live.
    pub notify: bool,
    /// How far its occurrences are projected.
    pub expanded_until: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
