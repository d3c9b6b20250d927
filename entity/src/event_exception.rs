//! One occurrence of a series, cancelled or moved; keyed by its original local start (iCal
//! `RECURRENCE-ID`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_exception")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub original_local: String,
    pub original_at: DateTimeUtc,
    pub kind: crate::vocab::EventExceptionKind,
    /// Moved: the new local start and end.
    pub start_local: Option<String>,
    pub end_local: Option<String>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
