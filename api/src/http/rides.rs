//! `/api/v1/rides`: the shuttle service for older residents without a car.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{ApiTags, body::JsonBody, edge::no_store, pagination, types::Timestamp};
use crate::{
    auth::{Actor, Caller},
    error::ApiResult,
    state::AppState,
};
use domain::{
    idempotency::Claim,
    rides::{self, Action, ListQuery, NewRide, RideView, Visibility, desk},
};
use entity::vocab::{
    MobilityAid, RideActorRole, RideCallbackReason, RidePurpose, RideScope, RideStatus,
};

/// One step in a ride's history.
#[derive(Object, Clone, Debug)]
pub struct RideEvent {
    /// The status the ride entered (a new pickup time keeps the status; `reason` then says
    /// "Abholzeit <old> → <new>").
    pub status: RideStatus,
    /// When.
    pub at: Timestamp,
    /// Who, by role (`system`: the server, when a ride expired).
    pub actor_role: RideActorRole,
    /// The reason given (release, cancel), or null.
    #[oai(nullable)]
    pub reason: Option<String>,
}

/// One leg of a ride.
///
/// **Legs.** A booking with `return_trip` creates two legs: the outward one (`return_ride_id`
/// names the return leg) and the return one (`outward_ride_id` names the outward leg; pickup
/// at the destination, back to the pickup address). Each leg has its own driver and status.
///
/// **Privacy.** The rider, the assigned driver, dispatchers and admins see everything. Other
/// drivers of the district see an open ride with `details_hidden: true`: district, time, needs
/// and the address that is not the rider's home (the destination of an outward leg, the pickup
/// of a return leg); the home address, name, phone, purpose, notes and history are null or
/// empty.
#[derive(Object, Clone, Debug)]
pub struct Ride {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// Where it stands.
    pub status: RideStatus,
    /// True when the caller sees the reduced view (another driver of the district).
    pub details_hidden: bool,
    /// The district of the pickup.
    pub pickup_district_id: Uuid,
    /// Where to pick up; for an outward leg the rider's address (hidden from other drivers).
    #[oai(nullable)]
    pub pickup_address: Option<String>,
    /// Where to; for a return leg the rider's address (hidden from other drivers).
    #[oai(nullable)]
    pub destination: Option<String>,
    /// What for (hidden from other drivers).
    #[oai(nullable)]
    pub purpose: Option<RidePurpose>,
    /// Pickup time.
    pub pickup_at: Timestamp,
    /// How many minutes earlier or later the pickup may be.
    #[oai(nullable)]
    pub flexibility_minutes: Option<i32>,
    /// The appointment at the destination, if any (outward leg).
    #[oai(nullable)]
    pub appointment_at: Option<Timestamp>,
    /// 1 to 4.
    pub passengers: i32,
    /// Needs the driver must know.
    pub mobility_aids: Vec<MobilityAid>,
    /// Notes for the driver (hidden from other drivers).
    #[oai(nullable)]
    pub notes: Option<String>,
    /// The rider's account (hidden from other drivers); null for a person without one.
    #[oai(nullable)]
    pub rider_user_id: Option<Uuid>,
    /// The name of a rider without an account (hidden from other drivers).
    #[oai(nullable)]
    pub rider_name: Option<String>,
    /// A phone number for the day (hidden from other drivers).
    #[oai(nullable)]
    pub contact_phone: Option<String>,
    /// The assigned driver, or null.
    #[oai(nullable)]
    pub driver_id: Option<Uuid>,
    /// For a return leg: the outward leg.
    #[oai(nullable)]
    pub outward_ride_id: Option<Uuid>,
    /// For an outward leg with a return trip: the return leg.
    #[oai(nullable)]
    pub return_ride_id: Option<Uuid>,
    /// The event the ride goes to (outward leg), or null.
    #[oai(nullable)]
    pub event_id: Option<Uuid>,
    /// The history, oldest first (empty in the reduced view).
    pub events: Vec<RideEvent>,
    /// When it was booked.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl From<RideView> for Ride {
    fn from(v: RideView) -> Self {
        let full = v.visibility == Visibility::Full;
        let r = v.ride;
        let keep = |value: Option<String>| value.filter(|_| full);
        // The rider's home is the pickup of an outward leg and the destination of a return leg.
        let is_return = r.outward_ride_id.is_some();
        Self {
            id: r.id,
            status: v.status,
            details_hidden: !full,
            pickup_district_id: r.pickup_district_id,
            pickup_address: Some(r.pickup_address).filter(|_| full || is_return),
            destination: Some(r.destination).filter(|_| full || !is_return),
            purpose: Some(r.purpose).filter(|_| full),
            pickup_at: r.pickup_at.into(),
            flexibility_minutes: r.flexibility_minutes,
            appointment_at: r.appointment_at.map(Timestamp),
            passengers: r.passengers,
            mobility_aids: v.mobility_aids,
            notes: keep(r.notes),
            rider_user_id: r.rider_user_id.filter(|_| full),
            rider_name: keep(r.rider_name),
            contact_phone: keep(r.contact_phone),
            driver_id: r.driver_id.filter(|_| full),
            outward_ride_id: r.outward_ride_id,
            return_ride_id: v.return_ride_id,
            event_id: r.event_id,
            events: v
                .events
                .into_iter()
                .map(|e| RideEvent {
                    status: e.status,
                    at: e.at.into(),
                    actor_role: e.actor_role,
                    reason: e.reason,
                })
                .collect(),
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
        }
    }
}

super::pagination::page! {
    /// A page of rides, by pickup time.
    RidePage of Ride
}

/// A ride to book.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct CreateRide {
    /// The district of the pickup.
    pub pickup_district_id: Uuid,
    /// Street and house number, 1 to 300 characters.
    pub pickup_address: String,
    /// Where to, 1 to 300 characters. May be left out for a ride to an event (`event_id`)
    /// that names its place.
    pub destination: Option<String>,
    /// What for (for the statistics; default `other`).
    #[oai(nullable)]
    pub purpose: Option<RidePurpose>,
    /// Pickup time: at least the lead time ahead (`DORFAPP_RIDE_MIN_LEAD_MINUTES`, default
    /// 60), at most 60 days.
    pub pickup_at: Timestamp,
    /// How many minutes earlier or later are fine (0–240).
    #[oai(nullable)]
    pub flexibility_minutes: Option<i32>,
    /// The appointment at the destination (not before the pickup).
    #[oai(nullable)]
    pub appointment_at: Option<Timestamp>,
    /// Book the way back as well (a second leg); then `return_pickup_at` is required.
    #[oai(default)]
    pub return_trip: bool,
    /// Pickup time of the way back, after `pickup_at`.
    #[oai(nullable)]
    pub return_pickup_at: Option<Timestamp>,
    /// 1 to 4 people.
    pub passengers: i32,
    /// Needs the driver must know.
    #[oai(default)]
    #[oai(validator(max_items = 10))]
    pub mobility_aids: Vec<MobilityAid>,
    /// Notes for the driver, at most 1000 characters.
    #[oai(nullable)]
    pub notes: Option<String>,
    /// A phone number for the day; required with `rider_name`.
    #[oai(nullable)]
    pub contact_phone: Option<String>,
    /// Dispatchers and admins: book for this resident.
    #[oai(nullable)]
    pub rider_user_id: Option<Uuid>,
    /// Dispatchers and admins: book for a person without an account (with `contact_phone`).
    #[oai(nullable)]
    pub rider_name: Option<String>,
    /// A ride to an event (published, not cancelled, with a date within 12 hours after the
    /// pickup or under way at it): a missing `destination` becomes the event's place, a
    /// missing `appointment_at` the date's start. Its organisers see how many rides go to it,
    /// never whose.
    #[oai(nullable)]
    pub event_id: Option<Uuid>,
}

impl poem_openapi::types::Example for CreateRide {
    fn example() -> Self {
        let at = Timestamp::example;
        Self {
            pickup_district_id: Uuid::nil(),
            pickup_address: "Lindenstraße 4".into(),
            destination: Some("Hausarztpraxis Dr. Krause, Ballenstedt".into()),
            purpose: Some(RidePurpose::Medical),
            pickup_at: at("2026-06-10T07:30:00Z"),
            flexibility_minutes: Some(15),
            appointment_at: Some(at("2026-06-10T08:00:00Z")),
            return_trip: true,
            return_pickup_at: Some(at("2026-06-10T09:30:00Z")),
            passengers: 1,
            mobility_aids: vec![MobilityAid::Walker],
            notes: Some("Bitte klingeln, ich brauche etwas Zeit.".into()),
            contact_phone: Some("039483 1234".into()),
            rider_user_id: None,
            rider_name: None,
            event_id: None,
        }
    }
}

/// Assign a driver.
#[derive(Object, Clone, Debug)]
pub struct AssignRide {
    /// A user who drives in the ride's district.
    pub driver_id: Uuid,
}

/// A new pickup time.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct RescheduleRide {
    /// The new pickup time: at least the lead time ahead, at most 60 days; an outward leg's
    /// before its return leg's, a return leg's after its outward leg's.
    pub pickup_at: Timestamp,
    /// The appointment at the destination (outward legs only, not before the pickup); null or
    /// absent clears it.
    #[oai(nullable)]
    pub appointment_at: Option<Timestamp>,
    /// Why, for the history (at most 500 characters).
    #[oai(nullable)]
    pub reason: Option<String>,
}

impl poem_openapi::types::Example for RescheduleRide {
    fn example() -> Self {
        Self {
            pickup_at: Timestamp::example("2026-06-10T08:00:00Z"),
            appointment_at: Some(Timestamp::example("2026-06-10T08:30:00Z")),
            reason: Some("Praxis hat den Termin verschoben".into()),
        }
    }
}

/// A call the ride desk owes a rider booked on their behalf: a change they did not make and
/// have not yet been told of.
#[derive(Object, Clone, Debug)]
pub struct RideCallback {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// What changed.
    pub reason: RideCallbackReason,
    /// When it changed.
    pub created_at: Timestamp,
    /// When the rider was called, or null while the call is due.
    #[oai(nullable)]
    pub done_at: Option<Timestamp>,
    /// Who ticked it off (null while due, or once that account is erased).
    #[oai(nullable)]
    pub done_by: Option<Uuid>,
    /// The ride as it stands now (with `rider_name` and `contact_phone` to call).
    pub ride: Ride,
}

impl From<desk::Callback> for RideCallback {
    fn from(c: desk::Callback) -> Self {
        Self {
            id: c.callback.id,
            reason: c.callback.reason,
            created_at: c.callback.created_at.into(),
            done_at: c.callback.done_at.map(Timestamp),
            done_by: c.callback.done_by,
            ride: c.ride.into(),
        }
    }
}

/// The call-backs due, oldest first.
#[derive(Object, Clone, Debug)]
pub struct RideCallbackList {
    /// At most 200; tick the oldest off to see more.
    pub items: Vec<RideCallback>,
}

/// Rides, in the order the operation says.
#[derive(Object, Clone, Debug)]
pub struct RideList {
    /// The rides.
    pub items: Vec<Ride>,
}

/// A driver's legs on one day, to print or to read out.
#[derive(Object, Clone, Debug)]
pub struct RunSheet {
    /// The driver.
    pub driver_id: Uuid,
    /// The local day (the municipality's time zone), `YYYY-MM-DD`.
    pub day: String,
    /// Legs taken, under way, done or with nobody at the door, by pickup time.
    pub items: Vec<Ride>,
}

/// A driver who may be assigned in a district.
#[derive(Object, Clone, Debug)]
pub struct RideDriver {
    /// The driver's account.
    pub user_id: Uuid,
    /// Their display name.
    pub display_name: String,
    /// Legs they have taken or are driving on the day asked about.
    pub legs_that_day: u64,
}

/// The drivers of a district, by name.
#[derive(Object, Clone, Debug)]
pub struct RideDriverList {
    /// The drivers.
    pub items: Vec<RideDriver>,
}

/// A local calendar day from a query parameter, `YYYY-MM-DD`; absent: today.
fn local_day(state: &AppState, value: Option<&str>) -> ApiResult<chrono::NaiveDate> {
    match value {
        None => Ok(state
            .clock
            .now()
            .with_timezone(&state.time_zone)
            .date_naive()),
        Some(text) => Ok(desk::parse_day(text)?),
    }
}

/// Why (for the history).
#[derive(Object, Clone, Debug)]
pub struct StepReason {
    /// At most 500 characters.
    #[oai(nullable)]
    pub reason: Option<String>,
}

/// Rides by status.
#[derive(Object, Clone, Debug, Default)]
pub struct StatusCounts {
    /// Waiting for a driver.
    pub requested: u64,
    /// A driver has it.
    pub accepted: u64,
    /// Under way.
    pub in_progress: u64,
    /// Done.
    pub completed: u64,
    /// Called off.
    pub cancelled: u64,
    /// The rider was not there.
    pub no_show: u64,
    /// Nobody took it by its pickup time.
    pub expired: u64,
}

/// Rides by purpose.
#[derive(Object, Clone, Debug, Default)]
pub struct PurposeCounts {
    /// Doctor, therapy, hospital.
    pub medical: u64,
    /// Pharmacy.
    pub pharmacy: u64,
    /// Shopping.
    pub shopping: u64,
    /// Authorities, bank, post office.
    pub authority: u64,
    /// Visits, church, club, culture.
    pub social: u64,
    /// Anything else.
    pub other: u64,
}

/// What a district's people need rides for: counts only, no personal data.
#[derive(Object, Clone, Debug)]
pub struct RideStats {
    /// The district, or null for all districts.
    #[oai(nullable)]
    pub district_id: Option<Uuid>,
    /// Rides (legs) picked up from this time on, or null; for a district leader the start of
    /// the day of the `from` asked for.
    #[oai(nullable)]
    pub from: Option<Timestamp>,
    /// Rides picked up before this time, or null; for a district leader the start of the day
    /// of the `to` asked for.
    #[oai(nullable)]
    pub to: Option<Timestamp>,
    /// All rides (legs) counted.
    pub total: u64,
    /// By status.
    pub by_status: StatusCounts,
    /// By purpose.
    pub by_purpose: PurposeCounts,
    /// Whether counts of 1 or 2 were reported as 0 (for district leaders, who do not see the
    /// rides; exact for dispatchers and admins).
    pub small_counts_suppressed: bool,
}

#[derive(ApiResponse)]
pub enum RideCreated {
    /// Booked (`status: requested`); the district's drivers are told.
    #[oai(status = 201)]
    Created(
        Json<Ride>,
        /// Where the new ride can be read: `/api/v1/rides/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

async fn step(state: &AppState, actor: &Actor, id: Uuid, action: Action) -> ApiResult<Json<Ride>> {
    let view = rides::transition(
        &state.db,
        &state.clock,
        state.ride_settings(),
        actor,
        id,
        action,
    )
    .await?;
    Ok(Json(view.into()))
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("listRides", &[400, 401, 403, 422]),
    ("createRide", &[400, 401, 403, 422, 429]),
    ("getRideStats", &[400, 401, 403, 422]),
    ("getRide", &[400, 401, 404]),
    ("acceptRide", &[400, 401, 403, 404, 409]),
    ("assignRide", &[400, 401, 403, 404, 409, 422]),
    ("cancelRide", &[400, 401, 403, 404, 409, 422]),
    ("completeRide", &[400, 401, 403, 404, 409]),
    ("noShowRide", &[400, 401, 403, 404, 409]),
    ("releaseRide", &[400, 401, 403, 404, 409, 422]),
    ("startRide", &[400, 401, 403, 404, 409]),
    ("rescheduleRide", &[400, 401, 403, 404, 409, 422]),
    ("listRideCallbacks", &[400, 401, 403]),
    ("completeRideCallback", &[400, 401, 403, 404, 409]),
    ("listCallerRides", &[400, 401, 403, 422]),
    ("getRunSheet", &[400, 401, 403, 422]),
    ("listRideDrivers", &[400, 401, 403, 422]),
];

/// The limits of this module's request fields, as the spec publishes them (`super::spec`):
/// the rules' own constants, so the two cannot drift.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::rides;
    &[
        ("CreateRide", "pickup_address", &[Text(rides::ADDRESS_MAX)]),
        ("CreateRide", "destination", &[Text(rides::ADDRESS_MAX)]),
        ("CreateRide", "notes", &[MaxLength(rides::NOTES_MAX)]),
        ("CreateRide", "rider_name", &[MaxLength(rides::NAME_MAX)]),
        ("CreateRide", "contact_phone", super::spec::PHONE),
        (
            "CreateRide",
            "passengers",
            &[Range(
                rides::PASSENGERS.0 as i64,
                rides::PASSENGERS.1 as i64,
            )],
        ),
        (
            "CreateRide",
            "flexibility_minutes",
            &[Range(
                rides::FLEXIBILITY_MINUTES.0 as i64,
                rides::FLEXIBILITY_MINUTES.1 as i64,
            )],
        ),
        ("StepReason", "reason", &[MaxLength(rides::REASON_MAX)]),
        ("RescheduleRide", "reason", &[MaxLength(rides::REASON_MAX)]),
    ]
};

pub struct RidesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Rides")]
impl RidesApi {
    /// Book a ride
    ///
    /// Residents book for themselves; dispatchers (Dorfkümmerer) and admins also for a resident
    /// (`rider_user_id`) or for a person without an account (`rider_name` + `contact_phone`),
    /// e.g. after a phone call. With `return_trip`, the way back is booked as a second leg.
    /// A retry with the same `Idempotency-Key` books nothing new.
    #[oai(
        transform = "no_store",
        path = "/rides",
        method = "post",
        operation_id = "createRide"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Any unique string (a UUID): a retry with the same key within 24 h books nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreateRide>,
    ) -> ApiResult<RideCreated> {
        let b = body.0;
        let purpose = b.purpose.unwrap_or(RidePurpose::Other);
        let input = NewRide {
            pickup_district_id: b.pickup_district_id,
            pickup_address: b.pickup_address,
            destination: b.destination.unwrap_or_default(),
            purpose,
            pickup_at: b.pickup_at.0,
            flexibility_minutes: b.flexibility_minutes,
            appointment_at: b.appointment_at.map(|t| t.0),
            return_trip: b.return_trip,
            return_pickup_at: b.return_pickup_at.map(|t| t.0),
            passengers: b.passengers,
            mobility_aids: b.mobility_aids,
            notes: b.notes,
            contact_phone: b.contact_phone,
            rider_user_id: b.rider_user_id,
            rider_name: b.rider_name,
            event_id: b.event_id,
        };
        let claim = idempotency_key
            .0
            .as_deref()
            .map(|key| Claim::new(format!("user:{}", actor.user_id), key, "createRide", &input))
            .transpose()?;
        let view = rides::create(
            &state.db,
            &state.clock,
            state.ride_settings(),
            &actor,
            input,
            claim.as_ref(),
        )
        .await?;
        let ride = Ride::from(view);
        let location = format!("/api/v1/rides/{}", ride.id);
        Ok(RideCreated::Created(Json(ride), location))
    }

    /// List rides
    ///
    /// `scope=mine` (default): the caller's own rides. `scope=driver` (drivers): open rides of
    /// their districts, reduced, and the rides assigned to them. `scope=all`: dispatchers and
    /// admins. Ordered by pickup time; filters by status and pickup period.
    #[oai(
        transform = "no_store",
        path = "/rides",
        method = "get",
        operation_id = "listRides"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each documented parameter as an argument"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Which rides (default `mine`).
        scope: Query<Option<RideScope>>,
        /// Only rides in this status.
        status: Query<Option<RideStatus>>,
        /// Rides picked up from this time on.
        from: Query<Option<Timestamp>>,
        /// Rides picked up before this time.
        to: Query<Option<Timestamp>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<RidePage>> {
        let query = ListQuery {
            scope: scope.0.unwrap_or(RideScope::Mine),
            status: status.0,
            from: from.0.map(|t| t.0),
            to: to.0.map(|t| t.0),
            after: pagination::decode_at(cursor.0.as_deref())?,
            limit: pagination::limit(limit.0)?,
        };
        let (views, more) = rides::list(&state.db, &actor, &query).await?;
        let next_cursor = views
            .last()
            .filter(|_| more)
            .map(|v| pagination::encode_at(v.ride.pickup_at, v.ride.id));
        Ok(Json(RidePage {
            items: views.into_iter().map(Ride::from).collect(),
            next_cursor,
        }))
    }

    /// Ride statistics of a district
    ///
    /// Counts by status and by purpose, no personal data. For the district's leader
    /// (`district_id` required), dispatchers and admins (without `district_id`: all districts).
    ///
    /// Dispatchers and admins get exact counts. For a district leader, who does not see the
    /// rides themselves, `from` and `to` are moved back to the start of their day (the
    /// municipality's time zone), a window with both must span at least 7 days (else 422 naming
    /// `to`), and counts of 1 or 2 read 0 (`small_counts_suppressed: true`), so that no single
    /// person's ride can be singled out.
    #[oai(path = "/rides/stats", method = "get", operation_id = "getRideStats")]
    async fn stats(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The district.
        district_id: Query<Option<Uuid>>,
        /// Rides picked up from this time on.
        from: Query<Option<Timestamp>>,
        /// Rides picked up before this time.
        to: Query<Option<Timestamp>>,
    ) -> ApiResult<Json<RideStats>> {
        let stats = rides::stats(
            &state.db,
            &actor,
            district_id.0,
            from.0.map(|t| t.0),
            to.0.map(|t| t.0),
            state.time_zone,
        )
        .await?;
        let mut by_status = StatusCounts::default();
        for (status, n) in stats.by_status {
            *match status {
                RideStatus::Requested => &mut by_status.requested,
                RideStatus::Accepted => &mut by_status.accepted,
                RideStatus::InProgress => &mut by_status.in_progress,
                RideStatus::Completed => &mut by_status.completed,
                RideStatus::Cancelled => &mut by_status.cancelled,
                RideStatus::NoShow => &mut by_status.no_show,
                RideStatus::Expired => &mut by_status.expired,
            } = n;
        }
        let mut by_purpose = PurposeCounts::default();
        for (purpose, n) in stats.by_purpose {
            *match purpose {
                RidePurpose::Medical => &mut by_purpose.medical,
                RidePurpose::Pharmacy => &mut by_purpose.pharmacy,
                RidePurpose::Shopping => &mut by_purpose.shopping,
                RidePurpose::Authority => &mut by_purpose.authority,
                RidePurpose::Social => &mut by_purpose.social,
                RidePurpose::Other => &mut by_purpose.other,
            } = n;
        }
        Ok(Json(RideStats {
            district_id: district_id.0,
            from: stats.from.map(Timestamp),
            to: stats.to.map(Timestamp),
            total: stats.total,
            by_status,
            by_purpose,
            small_counts_suppressed: stats.small_counts_suppressed,
        }))
    }

    /// Get a ride
    ///
    /// With its history. The rider, the assigned driver, dispatchers and admins see
    /// everything; other drivers of the district see an open ride reduced; everyone else gets
    /// 404.
    #[oai(
        transform = "no_store",
        path = "/rides/:id",
        method = "get",
        operation_id = "getRide"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Ride>> {
        Ok(Json(rides::get(&state.db, &actor, id.0).await?.into()))
    }

    /// Accept a ride
    ///
    /// A driver of the ride's district: `requested` → `accepted`. Of several drivers accepting
    /// at once exactly one succeeds; the others get 409 naming the current status.
    #[oai(
        transform = "no_store",
        path = "/rides/:id/accept",
        method = "post",
        operation_id = "acceptRide"
    )]
    async fn accept(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Ride>> {
        step(&state, &actor, id.0, Action::Accept).await
    }

    /// Assign a driver
    ///
    /// Dispatchers and admins: `requested`/`accepted` → `accepted` with this driver, who must
    /// drive in the ride's district (422 `driver_id` otherwise).
    #[oai(
        transform = "no_store",
        path = "/rides/:id/assign",
        method = "post",
        operation_id = "assignRide"
    )]
    async fn assign(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
        body: JsonBody<AssignRide>,
    ) -> ApiResult<Json<Ride>> {
        step(
            &state,
            &actor,
            id.0,
            Action::Assign {
                driver_id: body.0.driver_id,
            },
        )
        .await
    }

    /// Release a ride
    ///
    /// The assigned driver (or a dispatcher or admin, unassigning): `accepted` → `requested`;
    /// the rider is told and other drivers may take it.
    #[oai(
        transform = "no_store",
        path = "/rides/:id/release",
        method = "post",
        operation_id = "releaseRide"
    )]
    async fn release(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
        body: JsonBody<StepReason>,
    ) -> ApiResult<Json<Ride>> {
        let reason = body.0.reason.unwrap_or_default();
        step(&state, &actor, id.0, Action::Release { reason }).await
    }

    /// Start a ride
    ///
    /// The assigned driver, on pickup: `accepted` → `in_progress`.
    #[oai(
        transform = "no_store",
        path = "/rides/:id/start",
        method = "post",
        operation_id = "startRide"
    )]
    async fn start(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Ride>> {
        step(&state, &actor, id.0, Action::Start).await
    }

    /// Complete a ride
    ///
    /// The assigned driver, at the destination: `in_progress` → `completed`.
    #[oai(
        transform = "no_store",
        path = "/rides/:id/complete",
        method = "post",
        operation_id = "completeRide"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Ride>> {
        step(&state, &actor, id.0, Action::Complete).await
    }

    /// Record a no-show
    ///
    /// The assigned driver, when the rider was not there: `accepted`/`in_progress` → `no_show`.
    #[oai(
        transform = "no_store",
        path = "/rides/:id/no-show",
        method = "post",
        operation_id = "noShowRide"
    )]
    async fn no_show(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Ride>> {
        step(&state, &actor, id.0, Action::NoShow).await
    }

    /// Cancel a ride
    ///
    /// The rider before it starts (`requested`/`accepted`); dispatchers and admins any time
    /// before it is completed. The rider and the assigned driver are told.
    #[oai(
        transform = "no_store",
        path = "/rides/:id/cancel",
        method = "post",
        operation_id = "cancelRide"
    )]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id.
        id: Path<Uuid>,
        body: JsonBody<StepReason>,
    ) -> ApiResult<Json<Ride>> {
        let reason = body.0.reason.unwrap_or_default();
        step(&state, &actor, id.0, Action::Cancel { reason }).await
    }

    /// Move a ride's pickup time
    ///
    /// The rider (or whoever booked for a person without an account), dispatchers and admins,
    /// while the ride is `requested` or `accepted` (409 otherwise). The status stays; the
    /// history gets a row with the old and the new time. The rider (when someone else moved
    /// it) and the assigned driver are told; an open ride is offered to the district's drivers
    /// again with the new time; a rider booked by phone gets a call-back on the desk's list.
    /// The same lead time and horizon as a booking apply (422 `pickup_at`); asking for the time
    /// the ride already has changes nothing.
    #[oai(
        transform = "no_store",
        path = "/rides/:id/reschedule",
        method = "post",
        operation_id = "rescheduleRide"
    )]
    async fn reschedule(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The ride's id (either leg).
        id: Path<Uuid>,
        body: JsonBody<RescheduleRide>,
    ) -> ApiResult<Json<Ride>> {
        let b = body.0;
        let view = rides::reschedule(
            &state.db,
            &state.clock,
            state.ride_settings(),
            &actor,
            id.0,
            rides::Reschedule {
                pickup_at: b.pickup_at.0,
                appointment_at: b.appointment_at.map(|t| t.0),
                reason: b.reason,
            },
        )
        .await?;
        Ok(Json(view.into()))
    }

    /// The ride desk's call-back list
    ///
    /// Dispatchers and admins. Every change to a ride booked on someone's behalf (by the desk
    /// for a resident, or for a person without an account) that the rider did not make with
    /// their own account: a driver found, released, no driver found, cancelled, time changed.
    /// Oldest first, at most 200; each stays until ticked off.
    #[oai(
        transform = "no_store",
        path = "/rides/callbacks",
        method = "get",
        operation_id = "listRideCallbacks"
    )]
    async fn callbacks(
        &self,
        state: Data<&AppState>,
        actor: Caller,
    ) -> ApiResult<Json<RideCallbackList>> {
        let items = desk::open_callbacks(&state.db, &actor).await?;
        Ok(Json(RideCallbackList {
            items: items.into_iter().map(RideCallback::from).collect(),
        }))
    }

    /// Tick a call-back off
    ///
    /// Dispatchers and admins, after telling the rider. Of two people ticking at once one gets
    /// 200 and the other 409 ("schon erledigt"); a retry after success also gets 409 and
    /// changes nothing.
    #[oai(
        transform = "no_store",
        path = "/rides/callbacks/:id/done",
        method = "post",
        operation_id = "completeRideCallback"
    )]
    async fn callback_done(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The call-back's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<RideCallback>> {
        let done = desk::callback_done(&state.db, &state.clock, &actor, id.0).await?;
        Ok(Json(done.into()))
    }

    /// A caller's last rides
    ///
    /// Dispatchers and admins, during a phone call: the last 5 outward legs booked with this
    /// phone number, newest first, to book "the same as last time". The number may be written
    /// in any usual way (`+49 39483 1234`, `039483/1234`); fewer than five digits is 422
    /// `phone`.
    #[oai(
        transform = "no_store",
        path = "/rides/callers",
        method = "get",
        operation_id = "listCallerRides"
    )]
    async fn callers(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The caller's phone number.
        phone: Query<String>,
    ) -> ApiResult<Json<RideList>> {
        let rides = desk::recent_for_phone(&state.db, &actor, &phone.0).await?;
        Ok(Json(RideList {
            items: rides.into_iter().map(Ride::from).collect(),
        }))
    }

    /// A driver's run sheet
    ///
    /// The legs a driver has on one local day, by pickup time, with everything needed to drive
    /// them: taken, under way, done or with nobody at the door (not those given back or
    /// cancelled). Dispatchers and admins for any driver; a driver for themselves.
    #[oai(
        transform = "no_store",
        path = "/rides/run-sheet",
        method = "get",
        operation_id = "getRunSheet"
    )]
    async fn run_sheet(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The driver.
        driver_id: Query<Uuid>,
        /// The local day, `YYYY-MM-DD` (default: today in the municipality's time zone).
        day: Query<Option<String>>,
    ) -> ApiResult<Json<RunSheet>> {
        let day = local_day(&state, day.0.as_deref())?;
        let rides = desk::run_sheet(&state.db, &actor, driver_id.0, day, state.time_zone).await?;
        Ok(Json(RunSheet {
            driver_id: driver_id.0,
            day: day.format("%Y-%m-%d").to_string(),
            items: rides.into_iter().map(Ride::from).collect(),
        }))
    }

    /// Drivers to assign
    ///
    /// Dispatchers and admins: the drivers of a district by name, each with the legs they
    /// have taken or are driving on the day (default today), to choose whom to assign.
    #[oai(
        transform = "no_store",
        path = "/rides/drivers",
        method = "get",
        operation_id = "listRideDrivers"
    )]
    async fn drivers(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The district of the pickup.
        district_id: Query<Uuid>,
        /// The local day, `YYYY-MM-DD` (default: today in the municipality's time zone).
        day: Query<Option<String>>,
    ) -> ApiResult<Json<RideDriverList>> {
        let day = local_day(&state, day.0.as_deref())?;
        let drivers =
            desk::drivers_for(&state.db, &actor, district_id.0, day, state.time_zone).await?;
        Ok(Json(RideDriverList {
            items: drivers
                .into_iter()
                .map(|d| RideDriver {
                    user_id: d.user_id,
                    display_name: d.display_name,
                    legs_that_day: d.legs_that_day,
                })
                .collect(),
        }))
    }
}
