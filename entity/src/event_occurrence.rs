//! One occurrence of a published event in one placement (a district, or null for the whole
//! town): the projection calendar queries read. Written only by
//! `domain::events::occurrences::sync`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_occurrence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub district_id: Option<Uuid>,
    /// The one row of this occurrence that the town-wide calendar lists.
    pub listed: bool,
    /// Where the rule put it (equal to `starts_at` unless moved).
    pub original_at: DateTimeUtc,
    pub starts_at: DateTimeUtc,
    /// Never null: an event without an end ends when it starts (all-day: at the end of its
    /// last day), so one range condition finds everything that meets a window.
    pub ends_at: DateTimeUtc,
    pub category: crate::vocab::EventCategory,
    pub status: crate::vocab::EventStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
