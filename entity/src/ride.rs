//! One leg of a shuttle ride (Fahrdienst). A return trip is a second leg whose
//! `outward_ride_id` names the outward one; each leg has its own driver and status.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ride")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The rider's account, or null for a person without one (then `rider_name`).
    pub rider_user_id: Option<Uuid>,
    pub rider_name: Option<String>,
    pub contact_phone: Option<String>,
    /// The digits of `contact_phone` in one canonical form (`domain::contact::phone_key`), to
    /// find a caller's last rides however the number was typed.
    pub contact_phone_key: Option<String>,
    /// Who booked it: the rider, or a dispatcher on their behalf.
    pub booked_by: Option<Uuid>,
    pub pickup_district_id: Uuid,
    pub pickup_address: String,
    pub destination: String,
    pub purpose: crate::vocab::RidePurpose,
    pub pickup_at: DateTimeUtc,
    pub flexibility_minutes: Option<i32>,
    pub appointment_at: Option<DateTimeUtc>,
    pub passengers: i32,
    /// JSON array of [`crate::vocab::MobilityAid`] values; read with `ride::Model::mobility_aids`.
    pub mobility_aids: String,
    pub notes: Option<String>,
    pub status: crate::vocab::RideStatus,
    pub driver_id: Option<Uuid>,
    pub outward_ride_id: Option<Uuid>,
    /// The event the (outward) ride goes to, if the booking named one.
    pub event_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The stored aids; a value this version does not know is an error, never dropped.
    pub fn mobility_aids(&self) -> Result<Vec<crate::vocab::MobilityAid>, DbErr> {
        serde_json::from_str(&self.mobility_aids)
            .map_err(|err| DbErr::Type(format!("ride {}: mobility_aids: {err}", self.id)))
    }
}
