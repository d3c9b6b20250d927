//! Shuttle rides (Fahrdienst für Ältere ohne Auto): booking, the state machine, who sees what,
//! and the time-driven work (expiry, reminders).
//!
//! Every transition is a compare-and-set in the database: one `UPDATE … WHERE id = ? AND status
//! IN (…)` whose affected-row count says whether this caller won. Of any number of drivers
//! accepting one ride at once, exactly one succeeds, on SQLite (one writer at a time) and on
//! PostgreSQL (the row lock makes the others re-check the condition and find it false); the
//! others get 409 naming the status they lost to. Each transition writes its history event and
//! its notices in the same transaction.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::{
    district, ride, ride_event,
    vocab::{MobilityAid, RideActorRole, RidePurpose, RideScope, RideStatus, SmsKind},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query, QueryStatementBuilder},
};
use serde::Deserialize;
use uuid::Uuid;

pub mod desk;
pub mod messages;
mod reschedule;
pub mod rules;
pub mod sms;

pub use reschedule::{Reschedule, reschedule};

use messages::Message;
use rules::{DriverChange, Relation, StepKind, Transition};

use crate::{
    DomainError, DomainResult, Validator,
    auth::{Actor, Role},
    clock::SharedClock,
    db, idempotency,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    normalize_optional,
    notices::{self, Audience, Notice, NoticeKind, Target, TargetType, Urgency},
    text::Text,
};

pub const ADDRESS_MAX: usize = 300;
pub const NOTES_MAX: usize = 1000;
pub const REASON_MAX: usize = 500;
pub const NAME_MAX: usize = 200;
/// People in one booking (the shuttle's seats).
pub const PASSENGERS: (i32, i32) = (1, 4);
/// How many minutes the pickup may move either way.
pub const FLEXIBILITY_MINUTES: (i32, i32) = (0, 240);
/// How far ahead a ride may be booked.
pub const BOOKING_HORIZON: Duration = Duration::days(60);
pub const EXPIRE_JOB: &str = "ride.expire";
pub const REMIND_JOB: &str = "ride.remind";

/// For people: the German and English name of a status.
fn label(status: RideStatus) -> (&'static str, &'static str) {
    match status {
        RideStatus::Requested => ("angefragt", "requested"),
        RideStatus::Accepted => ("angenommen", "accepted"),
        RideStatus::InProgress => ("unterwegs", "in progress"),
        RideStatus::Completed => ("abgeschlossen", "completed"),
        RideStatus::Cancelled => ("storniert", "cancelled"),
        RideStatus::NoShow => ("nicht angetroffen", "no-show"),
        RideStatus::Expired => ("verfallen", "expired"),
    }
}

/// The settings booking depends on.
#[derive(Clone, Copy, Debug)]
pub struct RideSettings {
    pub min_lead: Duration,
    pub reminder_before: Duration,
    pub time_zone: Tz,
    /// Open future legs a rider may have booked themselves ([`crate::quotas::Quotas`]).
    pub max_open_rides: u32,
}

/// 429 when a rider's own open future legs (plus the ones being booked) would pass the quota;
/// it frees up when the earliest of them is picked up.
async fn check_open_rides(
    txn: &DatabaseTransaction,
    rider: Uuid,
    limit: u32,
    return_trip: bool,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    crate::quotas::lock(txn, &format!("rides:{rider}")).await?;
    let open = ride::Entity::find()
        .filter(ride::Column::RiderUserId.eq(rider))
        .filter(ride::Column::Status.is_in([RideStatus::Requested, RideStatus::Accepted]))
        .filter(ride::Column::PickupAt.gt(now));
    let used = open.clone().count(txn).await?;
    let earliest = open
        .order_by_asc(ride::Column::PickupAt)
        .one(txn)
        .await?
        .map(|r| r.pickup_at);
    crate::quotas::check(
        used,
        if return_trip { 2 } else { 1 },
        limit,
        earliest,
        now,
        || {
            Text::new(
                format!(
                    "Sie haben schon {used} offene Fahrten gebucht; mehr als {limit} gehen nicht. Für mehr hilft Ihnen die Fahrdienst-Koordination."
                ),
                format!(
                    "You already have {used} open rides booked; more than {limit} are not possible. The ride desk can help with more."
                ),
            )
        },
    )
}

/// The one address of a leg that is not the rider's home: the destination of an outward leg,
/// the pickup of a return leg. It is all that drivers who are not assigned may learn of where
/// a ride goes (the reduced view, and every announcement of an open ride).
pub fn shareable_place(ride: &ride::Model) -> &str {
    if ride.outward_ride_id.is_some() {
        &ride.pickup_address
    } else {
        &ride.destination
    }
}

/// Takes back the announcements of an open leg once it is no longer open (taken, cancelled,
/// expired): the drivers who were offered it keep no details of a ride that is not theirs.
async fn withdraw_offer(conn: &impl ConnectionTrait, ride_id: Uuid) -> Result<(), DbErr> {
    notices::withdraw_kind(conn, NoticeKind::RideRequest, TargetType::Ride, ride_id).await
}

/// What a caller may see of a ride.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// The rider, the assigned driver, dispatchers and admins.
    Full,
    /// Other drivers of the district, for an open ride: district, time, needs and the address
    /// that is not the rider's home; no home address, name, phone, purpose, notes or history.
    Redacted,
}

#[derive(Clone, Debug)]
pub struct RideView {
    pub ride: ride::Model,
    pub status: RideStatus,
    pub mobility_aids: Vec<MobilityAid>,
    /// For an outward leg: its return leg, if booked.
    pub return_ride_id: Option<Uuid>,
    pub events: Vec<ride_event::Model>,
    pub visibility: Visibility,
}

/// A booking, as asked for; its serialisation is the `Idempotency-Key` fingerprint.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NewRide {
    pub pickup_district_id: Uuid,
    pub pickup_address: String,
    pub destination: String,
    pub purpose: RidePurpose,
    pub pickup_at: DateTime<Utc>,
    pub flexibility_minutes: Option<i32>,
    pub appointment_at: Option<DateTime<Utc>>,
    pub return_trip: bool,
    pub return_pickup_at: Option<DateTime<Utc>>,
    pub passengers: i32,
    pub mobility_aids: Vec<MobilityAid>,
    pub notes: Option<String>,
    pub contact_phone: Option<String>,
    /// Dispatchers only: book for this resident.
    pub rider_user_id: Option<Uuid>,
    /// Dispatchers only: book for a person without an account (with `contact_phone`).
    pub rider_name: Option<String>,
    /// The event the ride goes to: an empty destination becomes its place, a missing
    /// appointment its start.
    pub event_id: Option<Uuid>,
}

/// A transition asked for by a person.
#[derive(Clone, Debug)]
pub enum Action {
    Accept,
    Assign { driver_id: Uuid },
    Release { reason: String },
    Start,
    Complete,
    NoShow,
    Cancel { reason: String },
}

#[derive(Clone, Debug)]
pub struct ListQuery {
    pub scope: RideScope,
    pub status: Option<RideStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

/// Counts for a district's statistics: no personal data.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// The window counted, as widened to whole days for callers who do not see the rides.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub total: u64,
    pub by_status: Vec<(RideStatus, u64)>,
    pub by_purpose: Vec<(RidePurpose, u64)>,
    /// Counts from 1 to [`SMALL_COUNT`]` - 1` were reported as 0.
    pub small_counts_suppressed: bool,
}

/// The shortest window a district leader may count (leaders do not see the rides: a short
/// window around one pickup would single it out, with its purpose).
pub const MIN_STATS_WINDOW: Duration = Duration::days(7);
/// Counts below this are reported as 0 to district leaders (and to an event's organisers).
pub const SMALL_COUNT: u64 = 3;

/// How many rides are booked to an event and still stand (requested, accepted, under way or
/// done; outward legs only, each booking once), for the event's organisers. A count only,
/// and below [`SMALL_COUNT`] none (`true`: suppressed): a count of one could single out an
/// older person's trip.
pub async fn booked_to_event(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    event_id: Uuid,
) -> DomainResult<(u64, bool)> {
    crate::events::require_organiser(conn, actor, event_id).await?;
    let booked = ride::Entity::find()
        .filter(ride::Column::EventId.eq(event_id))
        .filter(ride::Column::Status.is_in([
            RideStatus::Requested,
            RideStatus::Accepted,
            RideStatus::InProgress,
            RideStatus::Completed,
        ]))
        .count(conn)
        .await?;
    Ok(if booked > 0 && booked < SMALL_COUNT {
        (0, true)
    } else {
        (booked, false)
    })
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new("Diese Fahrt gibt es nicht.", "No such ride."))
}

fn is_rider(actor: &Actor, ride: &ride::Model) -> bool {
    ride.rider_user_id == Some(actor.user_id)
        || (ride.rider_user_id.is_none() && ride.booked_by == Some(actor.user_id))
}

fn is_assigned(actor: &Actor, ride: &ride::Model) -> bool {
    ride.driver_id == Some(actor.user_id)
}

fn is_staff(actor: &Actor) -> bool {
    actor.is_admin() || actor.is_dispatcher()
}

/// What the caller may see of the ride, or `None` (then it does not exist for them: 404).
fn visibility(actor: &Actor, ride: &ride::Model) -> Option<Visibility> {
    if is_staff(actor) || is_rider(actor, ride) || is_assigned(actor, ride) {
        Some(Visibility::Full)
    } else if ride.status == RideStatus::Requested && actor.drives_in(ride.pickup_district_id) {
        Some(Visibility::Redacted)
    } else {
        None
    }
}

fn actor_role(actor: &Actor, ride: &ride::Model) -> RideActorRole {
    if ride.rider_user_id == Some(actor.user_id) {
        RideActorRole::Rider
    } else if is_assigned(actor, ride) || actor.drives_in(ride.pickup_district_id) {
        RideActorRole::Driver
    } else if actor.is_dispatcher() {
        RideActorRole::Dispatcher
    } else if actor.is_admin() {
        RideActorRole::Admin
    } else {
        // Booked for a person without an account: whoever booked acts for them.
        RideActorRole::Rider
    }
}

fn conflict(current: RideStatus) -> DomainError {
    let (de, en) = label(current);
    DomainError::Conflict(Text::new(
        format!(
            "Das geht im aktuellen Zustand der Fahrt nicht (Status: {}, {de}).",
            current.as_str()
        ),
        format!(
            "Not possible in the ride's current state (status: {}, {en}).",
            current.as_str()
        ),
    ))
}

fn job_key(kind: &str, id: Uuid) -> String {
    format!("{kind}:{id}")
}

/// A Web Push `Topic` (at most 32 URL-safe characters) per ride: a newer update replaces an
/// undelivered older one on the device.
fn topic(id: Uuid) -> String {
    format!("ride-{}", URL_SAFE_NO_PAD.encode(id.as_bytes()))
}

fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<ride::Model> {
    ride::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

async fn record(
    conn: &impl ConnectionTrait,
    ride_id: Uuid,
    status: RideStatus,
    at: DateTime<Utc>,
    role: RideActorRole,
    actor: Option<Uuid>,
    reason: Option<String>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    ride_event::ActiveModel {
        id: Set(id),
        ride_id: Set(ride_id),
        status: Set(status),
        at: Set(at),
        actor_role: Set(role),
        actor_id: Set(actor),
        reason: Set(reason),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// A ride update for one person, through the notices seam.
async fn tell(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    user: Option<Uuid>,
    ride: &ride::Model,
    message: Message,
) -> Result<(), DbErr> {
    let Some(user) = user else {
        return Ok(()); // a person without an account is told by phone
    };
    notices::enqueue(
        conn,
        clock,
        Notice {
            kind: NoticeKind::RideUpdate,
            title: message.title,
            body: message.body,
            target: Target::Ride { id: ride.id },
            audience: Audience::User(user),
            urgency: Urgency::High,
            topic: Some(topic(ride.id)),
            not_before: None,
        },
    )
    .await?;
    Ok(())
}

async fn view(
    conn: &impl ConnectionTrait,
    ride: ride::Model,
    visibility: Visibility,
) -> DomainResult<RideView> {
    let mut views = views(conn, vec![(ride, visibility)]).await?;
    views.pop().ok_or_else(not_found)
}

/// Views of several rides with two queries in all (return legs, histories), not two per ride.
async fn views(
    conn: &impl ConnectionTrait,
    rides: Vec<(ride::Model, Visibility)>,
) -> DomainResult<Vec<RideView>> {
    let outward: Vec<Uuid> = rides
        .iter()
        .filter(|(r, _)| r.outward_ride_id.is_none())
        .map(|(r, _)| r.id)
        .collect();
    let return_legs: HashMap<Uuid, Uuid> = if outward.is_empty() {
        HashMap::new()
    } else {
        ride::Entity::find()
            .filter(ride::Column::OutwardRideId.is_in(outward))
            .all(conn)
            .await?
            .into_iter()
            .filter_map(|back| back.outward_ride_id.map(|out| (out, back.id)))
            .collect()
    };
    views_with_return_legs(conn, rides, return_legs).await
}

/// A ride read with the id of its return leg, if it has one (see [`return_leg_id`]).
#[derive(FromQueryResult)]
struct RideWithReturnLeg {
    #[sea_orm(nested)]
    ride: ride::Model,
    return_ride_id: Option<Uuid>,
}

/// The id of the ride's return leg (the ride whose `outward_ride_id` it is), as a column of a
/// query on rides, so that a page of rides needs no second query for them.
fn return_leg_id() -> Expr {
    let back = "return_leg";
    Query::select()
        .column((back, ride::Column::Id))
        .from_as(ride::Entity, back)
        .and_where(
            Expr::col((back, ride::Column::OutwardRideId)).equals((ride::Entity, ride::Column::Id)),
        )
        .limit(1)
        .to_owned()
        .into_sub_query_statement()
        .into()
}

/// [`views`] when the return legs are known: one query (the histories of the full views).
async fn views_with_return_legs(
    conn: &impl ConnectionTrait,
    rides: Vec<(ride::Model, Visibility)>,
    return_legs: HashMap<Uuid, Uuid>,
) -> DomainResult<Vec<RideView>> {
    // Only the full view carries the history.
    let full: Vec<Uuid> = rides
        .iter()
        .filter(|(_, v)| *v == Visibility::Full)
        .map(|(r, _)| r.id)
        .collect();
    let mut histories: HashMap<Uuid, Vec<ride_event::Model>> = HashMap::new();
    if !full.is_empty() {
        for event in ride_event::Entity::find()
            .filter(ride_event::Column::RideId.is_in(full))
            .order_by_asc(ride_event::Column::Id)
            .all(conn)
            .await?
        {
            histories.entry(event.ride_id).or_default().push(event);
        }
    }
    rides
        .into_iter()
        .map(|(ride, visibility)| {
            Ok(RideView {
                status: ride.status,
                mobility_aids: ride.mobility_aids()?,
                return_ride_id: return_legs.get(&ride.id).copied(),
                events: histories.remove(&ride.id).unwrap_or_default(),
                visibility,
                ride,
            })
        })
        .collect()
}

/// Books a ride (and its return leg). Residents book for themselves; dispatchers also for a
/// resident (`rider_user_id`) or a person without an account (`rider_name` + `contact_phone`).
pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    settings: RideSettings,
    actor: &Actor,
    mut input: NewRide,
    claim: Option<&idempotency::Claim>,
) -> DomainResult<RideView> {
    let on_behalf = input.rider_user_id.is_some() || input.rider_name.is_some();
    if on_behalf && !is_staff(actor) {
        return Err(DomainError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        let ride = load(&txn, answer.resource_id.ok_or_else(not_found)?).await?;
        let view = view(&txn, ride, Visibility::Full).await?;
        txn.commit().await?;
        return Ok(view);
    }
    let now = clock.now();
    let mut v = Validator::new();
    if let Some(event_id) = input.event_id {
        match crate::events::ride_target(&txn, actor, event_id, input.pickup_at).await? {
            crate::events::RideTarget::Unknown => {
                v.check(
                    false,
                    "event_id",
                    "Diese Veranstaltung gibt es nicht, oder sie ist abgesagt.",
                    "No such event, or it is cancelled.",
                );
            }
            crate::events::RideTarget::NotThen => {
                v.check(
                    false,
                    "pickup_at",
                    "Die Veranstaltung findet nicht innerhalb von 12 Stunden nach dieser Abholung statt.",
                    "The event does not take place within 12 hours after this pickup.",
                );
            }
            crate::events::RideTarget::At { place, starts_at } => {
                if input.destination.trim().is_empty()
                    && let Some(place) = place
                {
                    input.destination = place;
                }
                if input.appointment_at.is_none() && starts_at >= input.pickup_at {
                    input.appointment_at = Some(starts_at);
                }
            }
        }
    }
    let exists = district::Entity::find_by_id(input.pickup_district_id)
        .one(&txn)
        .await?
        .is_some();
    v.check(
        exists,
        "pickup_district_id",
        "Diesen Ortsteil gibt es nicht.",
        "No such district.",
    );
    v.text("pickup_address", &input.pickup_address, ADDRESS_MAX);
    v.text("destination", &input.destination, ADDRESS_MAX);
    v.check(
        input.pickup_at >= now + settings.min_lead,
        "pickup_at",
        "Bitte mit mehr Vorlauf buchen (siehe Mindestvorlauf).",
        "Please book further ahead (see the minimum lead time).",
    );
    v.check(
        input.pickup_at <= now + BOOKING_HORIZON,
        "pickup_at",
        "Höchstens 60 Tage im Voraus.",
        "At most 60 days ahead.",
    );
    if let Some(minutes) = input.flexibility_minutes {
        v.check(
            (FLEXIBILITY_MINUTES.0..=FLEXIBILITY_MINUTES.1).contains(&minutes),
            "flexibility_minutes",
            "Erlaubt sind 0 bis 240 Minuten.",
            "Allowed are 0 to 240 minutes.",
        );
    }
    if let Some(appointment) = input.appointment_at {
        v.check(
            appointment >= input.pickup_at,
            "appointment_at",
            "Der Termin liegt vor der Abholung.",
            "The appointment is before the pickup.",
        );
    }
    match (input.return_trip, input.return_pickup_at) {
        (true, None) => {
            v.check(
                false,
                "return_pickup_at",
                "Für die Rückfahrt bitte die Abholzeit angeben.",
                "Please give the pickup time of the return trip.",
            );
        }
        (true, Some(back)) => {
            v.check(
                back > input.pickup_at,
                "return_pickup_at",
                "Muss nach der Hinfahrt liegen.",
                "Must be after the outward pickup.",
            );
            v.check(
                back <= now + BOOKING_HORIZON,
                "return_pickup_at",
                "Höchstens 60 Tage im Voraus.",
                "At most 60 days ahead.",
            );
        }
        (false, Some(_)) => {
            v.check(
                false,
                "return_pickup_at",
                "Eine Rückfahrzeit nur, wenn eine Rückfahrt gebucht wird.",
                "A return pickup time only with a return trip.",
            );
        }
        (false, None) => {}
    }
    v.check(
        (PASSENGERS.0..=PASSENGERS.1).contains(&input.passengers),
        "passengers",
        "Erlaubt sind 1 bis 4 Personen.",
        "Allowed are 1 to 4 people.",
    );
    v.optional_text("notes", input.notes.as_deref(), NOTES_MAX);
    let phone = normalize_optional(input.contact_phone.clone());
    v.phone("contact_phone", phone.as_deref());
    let rider_name = normalize_optional(input.rider_name.clone());
    if input.rider_user_id.is_some() && rider_name.is_some() {
        v.check(
            false,
            "rider_name",
            "Entweder ein Konto oder einen Namen angeben, nicht beides.",
            "Give either an account or a name, not both.",
        );
    }
    if let Some(name) = &rider_name {
        v.text("rider_name", name, NAME_MAX);
        v.check(
            phone.is_some(),
            "contact_phone",
            "Ohne Konto brauchen wir eine Telefonnummer.",
            "Without an account we need a phone number.",
        );
    }
    if let Some(rider) = input.rider_user_id {
        let exists = entity::app_user::Entity::find_by_id(rider)
            .one(&txn)
            .await?
            .is_some();
        v.check(
            exists,
            "rider_user_id",
            "Dieses Konto gibt es nicht.",
            "No such account.",
        );
    }
    v.finish()?;
    if !on_behalf {
        // Bookings by the desk are trusted; a rider's own have a ceiling.
        check_open_rides(
            &txn,
            actor.user_id,
            settings.max_open_rides,
            input.return_trip,
            now,
        )
        .await?;
    }

    let rider_user_id = match (input.rider_user_id, &rider_name) {
        (Some(rider), _) => Some(rider),
        (None, Some(_)) => None,
        (None, None) => Some(actor.user_id),
    };
    let mut aids: Vec<MobilityAid> = Vec::new();
    for aid in input.mobility_aids {
        if !aids.contains(&aid) {
            aids.push(aid);
        }
    }
    let booked_role = if on_behalf {
        if actor.is_dispatcher() {
            RideActorRole::Dispatcher
        } else {
            RideActorRole::Admin
        }
    } else {
        RideActorRole::Rider
    };
    let leg = |id: Uuid,
               pickup_address: &str,
               destination: &str,
               pickup_at: DateTime<Utc>,
               outward: Option<Uuid>| ride::ActiveModel {
        id: Set(id),
        rider_user_id: Set(rider_user_id),
        rider_name: Set(rider_name.clone()),
        contact_phone: Set(phone.clone()),
        contact_phone_key: Set(phone.as_deref().and_then(crate::contact::phone_key)),
        booked_by: Set(Some(actor.user_id)),
        pickup_district_id: Set(input.pickup_district_id),
        pickup_address: Set(pickup_address.trim().to_owned()),
        destination: Set(destination.trim().to_owned()),
        purpose: Set(input.purpose),
        pickup_at: Set(pickup_at),
        flexibility_minutes: Set(input.flexibility_minutes),
        appointment_at: Set(if outward.is_none() {
            input.appointment_at
        } else {
            None
        }),
        passengers: Set(input.passengers),
        mobility_aids: Set(serde_json::json!(aids).to_string()),
        notes: Set(normalize_optional(input.notes.clone())),
        status: Set(RideStatus::Requested),
        driver_id: Set(None),
        outward_ride_id: Set(outward),
        // The count of rides to an event counts each booking once: the outward leg.
        event_id: Set(if outward.is_none() {
            input.event_id
        } else {
            None
        }),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let outward = leg(
        Uuid::now_v7(),
        &input.pickup_address,
        &input.destination,
        input.pickup_at,
        None,
    )
    .insert(&txn)
    .await?;
    let mut legs = vec![outward.clone()];
    if let (true, Some(back)) = (input.return_trip, input.return_pickup_at) {
        // Back from the destination to the pickup address.
        let back = leg(
            Uuid::now_v7(),
            &input.destination,
            &input.pickup_address,
            back,
            Some(outward.id),
        )
        .insert(&txn)
        .await?;
        legs.push(back);
    }
    for ride in &legs {
        record(
            &txn,
            ride.id,
            RideStatus::Requested,
            now,
            booked_role,
            Some(actor.user_id),
            None,
        )
        .await?;
        schedule_jobs(&txn, clock, settings, ride).await?;
    }
    let when = local(outward.pickup_at, settings.time_zone);
    let message = messages::requested(
        &when,
        shareable_place(&outward),
        outward.passengers,
        legs.len() > 1,
    );
    notices::enqueue(
        &txn,
        clock,
        Notice {
            kind: NoticeKind::RideRequest,
            title: message.title,
            body: message.body,
            target: Target::Ride { id: outward.id },
            audience: Audience::DistrictDrivers(outward.pickup_district_id),
            urgency: Urgency::Normal,
            topic: None,
            not_before: None,
        },
    )
    .await?;
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(outward.id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    let view = view(&txn, outward, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// The expiry at pickup time and the reminder before it.
async fn schedule_jobs(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    settings: RideSettings,
    ride: &ride::Model,
) -> Result<(), DbErr> {
    let payload = serde_json::json!({ "ride_id": ride.id });
    jobs::enqueue(
        conn,
        clock,
        NewJob::new(EXPIRE_JOB, payload.clone(), ride.pickup_at)
            .unique(job_key(EXPIRE_JOB, ride.id)),
    )
    .await?;
    let remind_at = ride.pickup_at - settings.reminder_before;
    if remind_at > clock.now() {
        jobs::enqueue(
            conn,
            clock,
            NewJob::new(REMIND_JOB, payload, remind_at).unique(job_key(REMIND_JOB, ride.id)),
        )
        .await?;
    }
    Ok(())
}

pub async fn get(conn: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> DomainResult<RideView> {
    let ride = load(conn, id).await?;
    let visibility = visibility(actor, &ride).ok_or_else(not_found)?;
    view(conn, ride, visibility).await
}

/// One transition, compare-and-set: the update names the statuses it may start from (and, for
/// the assigned driver's steps, the driver), so a concurrent change makes it affect no row.
pub async fn transition(
    db: &DatabaseConnection,
    clock: &SharedClock,
    settings: RideSettings,
    actor: &Actor,
    id: Uuid,
    action: Action,
) -> DomainResult<RideView> {
    let txn = db::begin_write(db).await?;
    let ride = load(&txn, id).await?;
    let district_driver = actor.drives_in(ride.pickup_district_id);
    if visibility(actor, &ride).is_none() && !district_driver {
        return Err(not_found());
    }
    let current = ride.status;
    let rider = is_rider(actor, &ride);
    let assigned = is_assigned(actor, &ride);
    let staff = is_staff(actor);
    let (kind, reason) = match &action {
        Action::Accept => (StepKind::Accept, None),
        Action::Assign { .. } => (StepKind::Assign, None),
        Action::Release { reason } => (StepKind::Release, Some(reason.clone())),
        Action::Start => (StepKind::Start, None),
        Action::Complete => (StepKind::Complete, None),
        Action::NoShow => (StepKind::NoShow, None),
        Action::Cancel { reason } => (StepKind::Cancel, Some(reason.clone())),
    };
    let who = Relation {
        district_driver,
        assigned,
        rider,
        staff,
    };
    let Some(step) = rules::permitted(kind, who) else {
        // Someone who sees the ride but may not take this step.
        return Err(if visibility(actor, &ride).is_some() {
            DomainError::Forbidden
        } else {
            not_found()
        });
    };
    let driver = match step.driver {
        DriverChange::Keep => None,
        DriverChange::Caller => Some(Some(actor.user_id)),
        DriverChange::Clear => Some(None),
        DriverChange::Chosen => {
            // `permitted` answers `Chosen` for an assignment only, which always names a driver.
            let Action::Assign { driver_id } = &action else {
                return Err(DomainError::Forbidden);
            };
            let drives = entity::role_assignment::Entity::find()
                .filter(entity::role_assignment::Column::UserId.eq(*driver_id))
                .filter(entity::role_assignment::Column::Role.eq(Role::Driver))
                .filter(entity::role_assignment::Column::DistrictId.eq(ride.pickup_district_id))
                .one(&txn)
                .await?
                .is_some();
            if !drives {
                return Err(DomainError::Validation(vec![crate::text::field(
                    "driver_id",
                    "Diese Person fährt nicht in diesem Ortsteil.",
                    "This person does not drive in this district.",
                )]));
            }
            Some(Some(*driver_id))
        }
    };
    let Transition {
        from,
        to,
        only_assigned,
        ..
    } = step;
    use RideStatus::*;
    if let Some(reason) = &reason {
        let mut v = Validator::new();
        v.optional_text("reason", Some(reason), REASON_MAX);
        v.finish()?;
    }
    if !from.contains(&current) {
        return Err(conflict(current));
    }
    let now = clock.now();
    let mut update = ride::Entity::update_many()
        .col_expr(ride::Column::Status, Expr::value(to.as_str()))
        .col_expr(ride::Column::UpdatedAt, Expr::value(now))
        .filter(ride::Column::Id.eq(id))
        .filter(ride::Column::Status.is_in(from.iter().map(|s| s.as_str())));
    if let Some(driver) = driver {
        update = update.col_expr(ride::Column::DriverId, Expr::value(driver));
    }
    if only_assigned {
        update = update.filter(ride::Column::DriverId.eq(actor.user_id));
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        // Lost a race: say what it lost to.
        let now_status = load(&txn, id).await?.status;
        return Err(conflict(now_status));
    }
    let role = actor_role(actor, &ride);
    let reason = reason.and_then(|r| normalize_optional(Some(r)));
    let event_id = record(&txn, id, to, now, role, Some(actor.user_id), reason.clone()).await?;
    if let Some(why) = desk::callback_reason(to) {
        desk::note(&txn, &ride, event_id, why, Some(actor.user_id), now).await?;
    }
    // The rider's text message, when her number has consent (a rider who cancelled herself
    // knows already).
    let texted = match to {
        Accepted => Some(SmsKind::RideConfirmed),
        Requested => Some(SmsKind::RideReleased),
        Cancelled if !rider => Some(SmsKind::RideCancelled),
        _ => None,
    };
    if let Some(kind) = texted {
        sms::queue(&txn, clock, id, kind, format!("event:{event_id}"), None).await?;
    }
    if to != Requested {
        withdraw_offer(&txn, id).await?;
    }
    let updated = load(&txn, id).await?;
    let when = local(updated.pickup_at, settings.time_zone);
    match to {
        Accepted => {
            tell(
                &txn,
                clock,
                updated.rider_user_id,
                &updated,
                messages::accepted(&when, &updated.destination),
            )
            .await?;
            if let Action::Assign { driver_id } = action
                && driver_id != actor.user_id
            {
                tell(
                    &txn,
                    clock,
                    Some(driver_id),
                    &updated,
                    messages::assigned(&when, &updated.destination),
                )
                .await?;
            }
        }
        Requested => {
            tell(
                &txn,
                clock,
                updated.rider_user_id,
                &updated,
                messages::released(&when),
            )
            .await?;
            // Open again: the district's drivers hear of it as they heard of the request.
            let open_again =
                messages::open_again(&when, shareable_place(&updated), updated.passengers);
            notices::enqueue(
                &txn,
                clock,
                Notice {
                    kind: NoticeKind::RideRequest,
                    title: open_again.title,
                    body: open_again.body,
                    target: Target::Ride { id: updated.id },
                    audience: Audience::DistrictDrivers(updated.pickup_district_id),
                    urgency: Urgency::Normal,
                    topic: None,
                    not_before: None,
                },
            )
            .await?;
            // Past its pickup time already: it expires now rather than waiting for nobody.
            jobs::enqueue(
                &txn,
                clock,
                NewJob::new(
                    EXPIRE_JOB,
                    serde_json::json!({ "ride_id": id }),
                    Ord::max(updated.pickup_at, now),
                )
                .unique(job_key(EXPIRE_JOB, id)),
            )
            .await?;
        }
        Cancelled => {
            jobs::cancel(&txn, &job_key(EXPIRE_JOB, id)).await?;
            jobs::cancel(&txn, &job_key(REMIND_JOB, id)).await?;
            if !rider {
                tell(
                    &txn,
                    clock,
                    updated.rider_user_id,
                    &updated,
                    messages::cancelled_for_rider(&when),
                )
                .await?;
            }
            if ride.driver_id.is_some() && !assigned {
                tell(
                    &txn,
                    clock,
                    ride.driver_id,
                    &updated,
                    messages::cancelled_for_driver(&when, &updated.destination),
                )
                .await?;
            }
            if updated.outward_ride_id.is_none() {
                cancel_return_leg(
                    &txn,
                    clock,
                    settings,
                    Some(actor.user_id),
                    role,
                    id,
                    reason.clone(),
                )
                .await?;
            }
        }
        InProgress | Completed | NoShow | Expired => {}
    }
    let view = view(&txn, updated, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// Without the way there there is no way back: cancelling an outward leg also cancels its
/// return leg while that has not started (its driver is told; the rider's notice about the
/// outward leg covers both).
async fn cancel_return_leg(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    settings: RideSettings,
    actor: Option<Uuid>,
    role: RideActorRole,
    outward: Uuid,
    reason: Option<String>,
) -> DomainResult<()> {
    let Some(back) = ride::Entity::find()
        .filter(ride::Column::OutwardRideId.eq(outward))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let now = clock.now();
    let affected = ride::Entity::update_many()
        .col_expr(
            ride::Column::Status,
            Expr::value(RideStatus::Cancelled.as_str()),
        )
        .col_expr(ride::Column::UpdatedAt, Expr::value(now))
        .filter(ride::Column::Id.eq(back.id))
        .filter(ride::Column::Status.is_in([
            RideStatus::Requested.as_str(),
            RideStatus::Accepted.as_str(),
        ]))
        .exec(conn)
        .await?
        .rows_affected;
    if affected != 1 {
        return Ok(());
    }
    record(
        conn,
        back.id,
        RideStatus::Cancelled,
        now,
        role,
        actor,
        reason,
    )
    .await?;
    jobs::cancel(conn, &job_key(EXPIRE_JOB, back.id)).await?;
    jobs::cancel(conn, &job_key(REMIND_JOB, back.id)).await?;
    withdraw_offer(conn, back.id).await?;
    if back.driver_id.is_some() && back.driver_id != actor {
        let when = local(back.pickup_at, settings.time_zone);
        tell(
            conn,
            clock,
            back.driver_id,
            &back,
            messages::return_cancelled_for_driver(&when),
        )
        .await?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct RidePayload {
    ride_id: Uuid,
}

/// A ride nobody took by its pickup time expires, and its rider is told.
pub async fn expire_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    let payload: RidePayload = job.payload()?;
    let txn = db::begin_write(&ctx.db).await?;
    let now = ctx.clock.now();
    let affected = ride::Entity::update_many()
        .col_expr(
            ride::Column::Status,
            Expr::value(RideStatus::Expired.as_str()),
        )
        .col_expr(ride::Column::UpdatedAt, Expr::value(now))
        .filter(ride::Column::Id.eq(payload.ride_id))
        .filter(ride::Column::Status.eq(RideStatus::Requested.as_str()))
        .filter(ride::Column::PickupAt.lte(now))
        .exec(&txn)
        .await?
        .rows_affected;
    if affected == 1
        && let Some(ride) = ride::Entity::find_by_id(payload.ride_id).one(&txn).await?
    {
        let event_id = record(
            &txn,
            ride.id,
            RideStatus::Expired,
            now,
            RideActorRole::System,
            None,
            None,
        )
        .await?;
        desk::note(
            &txn,
            &ride,
            event_id,
            entity::vocab::RideCallbackReason::NoDriver,
            None,
            now,
        )
        .await?;
        jobs::cancel(&txn, &job_key(REMIND_JOB, ride.id)).await?;
        withdraw_offer(&txn, ride.id).await?;
        tell(
            &txn,
            &ctx.clock,
            ride.rider_user_id,
            &ride,
            messages::expired(&ride.destination),
        )
        .await?;
        sms::queue(
            &txn,
            &ctx.clock,
            ride.id,
            SmsKind::RideNoDriver,
            format!("event:{event_id}"),
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(JobOutcome::Done)
}

/// Before pickup: the rider (while the ride is on) and the assigned driver are reminded.
pub async fn remind_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    let payload: RidePayload = job.payload()?;
    let txn = db::begin_write(&ctx.db).await?;
    let Some(ride) = ride::Entity::find_by_id(payload.ride_id).one(&txn).await? else {
        return Ok(JobOutcome::Done);
    };
    let status = ride.status;
    if matches!(status, RideStatus::Requested | RideStatus::Accepted) {
        let time = ride
            .pickup_at
            .with_timezone(&ctx.time_zone)
            .format("%H:%M")
            .to_string();
        tell(
            &txn,
            &ctx.clock,
            ride.rider_user_id,
            &ride,
            messages::reminder_for_rider(&time, &ride.destination, status == RideStatus::Accepted),
        )
        .await?;
        sms::queue(
            &txn,
            &ctx.clock,
            ride.id,
            SmsKind::RideReminder,
            format!("remind:{}:{}", ride.id, ride.pickup_at.timestamp()),
            None,
        )
        .await?;
        if status == RideStatus::Accepted {
            tell(
                &txn,
                &ctx.clock,
                ride.driver_id,
                &ride,
                messages::reminder_for_driver(&time, &ride.pickup_address),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(JobOutcome::Done)
}

/// Rides of a scope, by pickup time (then id), with filters.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    query: &ListQuery,
) -> DomainResult<(Vec<RideView>, bool)> {
    use ride::Column as C;
    let mut select = ride::Entity::find();
    select = match query.scope {
        RideScope::Mine => select.filter(
            Condition::any().add(C::RiderUserId.eq(actor.user_id)).add(
                Condition::all()
                    .add(C::RiderUserId.is_null())
                    .add(C::BookedBy.eq(actor.user_id)),
            ),
        ),
        RideScope::Driver => {
            let districts: Vec<Uuid> = actor.districts_as(Role::Driver).collect();
            if districts.is_empty() {
                return Err(DomainError::Forbidden);
            }
            select.filter(
                Condition::any().add(C::DriverId.eq(actor.user_id)).add(
                    Condition::all()
                        .add(C::Status.eq(RideStatus::Requested.as_str()))
                        .add(C::PickupDistrictId.is_in(districts)),
                ),
            )
        }
        RideScope::All => {
            if !is_staff(actor) {
                return Err(DomainError::Forbidden);
            }
            select
        }
    };
    if let Some(status) = query.status {
        select = select.filter(C::Status.eq(status.as_str()));
    }
    if let Some(from) = query.from {
        select = select.filter(C::PickupAt.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(C::PickupAt.lt(to));
    }
    if let Some((at, id)) = query.after {
        select = select.filter(C::PickupAt.gte(at)).filter(
            Condition::any()
                .add(C::PickupAt.gt(at))
                .add(Condition::all().add(C::PickupAt.eq(at)).add(C::Id.gt(id))),
        );
    }
    let mut rides = select
        .expr_as(return_leg_id(), "return_ride_id")
        .order_by_asc(C::PickupAt)
        .order_by_asc(C::Id)
        .limit(query.limit + 1)
        .into_model::<RideWithReturnLeg>()
        .all(conn)
        .await?;
    let more = rides.len() as u64 > query.limit;
    rides.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
    let return_legs = rides
        .iter()
        .filter_map(|row| Some((row.ride.id, row.return_ride_id?)))
        .collect();
    let visible = rides
        .into_iter()
        .filter_map(|row| visibility(actor, &row.ride).map(|v| (row.ride, v)))
        .collect();
    Ok((
        views_with_return_legs(conn, visible, return_legs).await?,
        more,
    ))
}

/// Counts by status and by purpose of the rides picked up in a district (or all districts for
/// dispatchers and admins) in a period. No personal data.
/// Ride counts by status and purpose. Dispatchers and admins, who see every ride anyway, get
/// exact counts for any window. A district leader's window is widened to whole days and must
/// span at least [`MIN_STATS_WINDOW`], and counts below [`SMALL_COUNT`] read 0: statistics
/// must not single out one person's ride (a one-second window gave "total 1, medical 1").
pub async fn stats(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    district: Option<Uuid>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    time_zone: Tz,
) -> DomainResult<Stats> {
    let exact = is_staff(actor);
    if !exact && !district.is_some_and(|d| actor.leads(d)) {
        return Err(DomainError::Forbidden);
    }
    let (from, to) = if exact {
        (from, to)
    } else {
        let from = from.map(|at| crate::clock::start_of_day(at, time_zone));
        let to = to.map(|at| crate::clock::start_of_day(at, time_zone));
        if let (Some(from), Some(to)) = (from, to)
            && to - from < MIN_STATS_WINDOW
        {
            return Err(DomainError::Validation(vec![crate::text::field(
                "to",
                "Der Zeitraum muss mindestens 7 ganze Tage umfassen, damit keine einzelne Fahrt erkennbar wird.",
                "The period must span at least 7 whole days, so that no single ride can be singled out.",
            )]));
        }
        (from, to)
    };
    let mut by_status = count_by(conn, ride::Column::Status, district, from, to).await?;
    let mut by_purpose = count_by(conn, ride::Column::Purpose, district, from, to).await?;
    let mut total = by_status.iter().map(|(_, n)| n).sum();
    if !exact {
        let suppress = |n: &mut u64| {
            if *n < SMALL_COUNT {
                *n = 0;
            }
        };
        by_status.iter_mut().for_each(|(_, n)| suppress(n));
        by_purpose.iter_mut().for_each(|(_, n)| suppress(n));
        suppress(&mut total);
    }
    Ok(Stats {
        from,
        to,
        total,
        by_status,
        by_purpose,
        small_counts_suppressed: !exact,
    })
}

/// Rides picked up in the district (or everywhere) and period, counted by one vocabulary column.
/// A stored value this version does not know is an error, not another value's count.
async fn count_by<V: sea_orm::ActiveEnum<Value = String> + sea_orm::TryGetable>(
    conn: &impl ConnectionTrait,
    column: ride::Column,
    district: Option<Uuid>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> DomainResult<Vec<(V, u64)>> {
    let mut select = ride::Entity::find()
        .select_only()
        .column(column)
        .column_as(Expr::col(ride::Column::Id).count(), "count");
    if let Some(district) = district {
        select = select.filter(ride::Column::PickupDistrictId.eq(district));
    }
    if let Some(from) = from {
        select = select.filter(ride::Column::PickupAt.gte(from));
    }
    if let Some(to) = to {
        select = select.filter(ride::Column::PickupAt.lt(to));
    }
    let rows: Vec<(V, i64)> = select.group_by(column).into_tuple().all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(key, n)| (key, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// The reason recorded when rides end because their person erased the account.
const ACCOUNT_ERASED: &str = "Konto gelöscht";

/// Before an account is erased (GDPR Art. 17; `docs/privacy.md`): the person's open rides are
/// cancelled (a driver who had one is told), rides they had taken and not started go back to
/// the district's drivers (the rider is told), and every ride of theirs keeps only what the
/// statistics count (district, time, purpose, status, passengers): no address, destination,
/// notes, phone, name or aids, and no reasons in its history; the ride desk's call-backs about
/// them are dropped. Notices about these rides keep
/// their title (a time, "Fahrt storniert") but lose their text, in every inbox and in every
/// push still queued.
pub async fn forget_person(
    db: &DatabaseConnection,
    clock: &SharedClock,
    settings: RideSettings,
    actor: &Actor,
) -> DomainResult<()> {
    let open = [RideStatus::Requested, RideStatus::Accepted];
    let mut own = ride::Entity::find()
        .filter(ride::Column::RiderUserId.eq(actor.user_id))
        .filter(ride::Column::Status.is_in(open))
        .all(db)
        .await?;
    // Outward legs first: cancelling one cancels its return leg too.
    own.sort_by_key(|r| r.outward_ride_id.is_some());
    let driving = ride::Entity::find()
        .filter(ride::Column::DriverId.eq(actor.user_id))
        .filter(ride::Column::Status.eq(RideStatus::Accepted))
        .all(db)
        .await?;
    let steps = own
        .iter()
        .map(|r| {
            (
                r.id,
                Action::Cancel {
                    reason: ACCOUNT_ERASED.into(),
                },
            )
        })
        .chain(driving.iter().map(|r| {
            (
                r.id,
                Action::Release {
                    reason: ACCOUNT_ERASED.into(),
                },
            )
        }));
    for (id, action) in steps {
        match transition(db, clock, settings, actor, id, action).await {
            // Already gone with its outward leg, or changed meanwhile: nothing left to end.
            Ok(_) | Err(DomainError::Conflict(_)) => {}
            Err(err) => return Err(err),
        }
    }

    let txn = db::begin_write(db).await?;
    let ids: Vec<Uuid> = ride::Entity::find()
        .select_only()
        .column(ride::Column::Id)
        .filter(ride::Column::RiderUserId.eq(actor.user_id))
        .into_tuple()
        .all(&txn)
        .await?;
    for chunk in ids.chunks(500) {
        ride::Entity::update_many()
            .col_expr(ride::Column::PickupAddress, Expr::value(""))
            .col_expr(ride::Column::Destination, Expr::value(""))
            .col_expr(ride::Column::Notes, Expr::value(Option::<String>::None))
            .col_expr(
                ride::Column::ContactPhone,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                ride::Column::ContactPhoneKey,
                Expr::value(Option::<String>::None),
            )
            .col_expr(ride::Column::RiderName, Expr::value(Option::<String>::None))
            .col_expr(ride::Column::MobilityAids, Expr::value("[]"))
            .col_expr(
                ride::Column::AppointmentAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(ride::Column::UpdatedAt, Expr::value(clock.now()))
            .filter(ride::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
        ride_event::Entity::update_many()
            .col_expr(
                ride_event::Column::Reason,
                Expr::value(Option::<String>::None),
            )
            .filter(ride_event::Column::RideId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
        // Nobody calls a person who asked to be forgotten.
        entity::ride_callback::Entity::delete_many()
            .filter(entity::ride_callback::Column::RideId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
        notices::strip(
            &txn,
            TargetType::Ride,
            chunk,
            "Die Angaben zu dieser Fahrt wurden auf Wunsch der Person gelöscht.",
        )
        .await?;
    }
    // What they did on others' rides stays in the history, without naming them.
    ride_event::Entity::update_many()
        .col_expr(
            ride_event::Column::ActorId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(ride_event::Column::ActorId.eq(actor.user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Every ride of a person, as rider (or booked by them) and as driver, in full with its
/// history, oldest first: their part of the export (GDPR Art. 15).
pub async fn of_person(db: &DatabaseConnection, user_id: Uuid) -> DomainResult<Vec<RideView>> {
    let rides = ride::Entity::find()
        .filter(
            Condition::any()
                .add(ride::Column::RiderUserId.eq(user_id))
                .add(ride::Column::BookedBy.eq(user_id))
                .add(ride::Column::DriverId.eq(user_id)),
        )
        .order_by_asc(ride::Column::PickupAt)
        .order_by_asc(ride::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(rides.len());
    for ride in rides {
        views.push(view(db, ride, Visibility::Full).await?);
    }
    Ok(views)
}
