//! One shift of helpers an event asks for ("Kuchenbuffet 14–16 Uhr, 3 gesucht"). `taken` counts
//! the sign-ups and never exceeds `needed` (kept by `domain::events::shifts`, and a CHECK).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_shift")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub title: String,
    /// As typed, local (`YYYY-MM-DDTHH:MM:SS`) in the event's zone.
    pub start_local: String,
    pub end_local: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub needed: i32,
    pub taken: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
