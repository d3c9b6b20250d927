//! The history of a ride: one row per transition, with who made it (by role).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ride_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ride_id: Uuid,
    /// The status the ride entered.
    pub status: crate::vocab::RideStatus,
    pub at: DateTimeUtc,
    /// `rider`, `driver`, `dispatcher`, `admin` or `system`.
    pub actor_role: crate::vocab::RideActorRole,
    pub actor_id: Option<Uuid>,
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
