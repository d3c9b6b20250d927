//! A change to a ride booked on someone's behalf that the rider has not yet been told of: the
//! ride desk's call-back list. Ticked off (`done_at`, `done_by`) after the call.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ride_callback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ride_id: Uuid,
    /// The history row this change wrote (one call-back per change).
    pub ride_event_id: Uuid,
    pub reason: crate::vocab::RideCallbackReason,
    pub created_at: DateTimeUtc,
    /// When the rider was called, or null while the call is due.
    pub done_at: Option<DateTimeUtc>,
    /// Who called (null once that account is erased).
    pub done_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
