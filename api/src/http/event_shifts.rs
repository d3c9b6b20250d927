//! Helpers (Ehrenamt): the shifts an event asks for, signing up and withdrawing, the
//! organiser's list of helpers, and the caller's own "what I helped with".

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    types::{NoContent, Timestamp},
};
use crate::{
    auth::{Caller, OptionalCaller},
    error::ApiResult,
    state::AppState,
};
use domain::{
    events::shifts::{self, NewShift, ShiftPatch, ShiftView, SignUp},
    idempotency::Claim,
};

/// A shift of helpers an event asks for. The public sees how many places are taken, never by
/// whom.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct EventShift {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// The event.
    pub event_id: Uuid,
    /// What is to be done, e.g. „Kuchenbuffet“.
    pub title: String,
    /// Local start in the event's zone (`2027-05-23T14:00:00`).
    pub start: String,
    /// Local end.
    pub end: String,
    /// The start as an instant.
    pub starts_at: Timestamp,
    /// The end as an instant.
    pub ends_at: Timestamp,
    /// How many helpers are asked for.
    pub needed: i32,
    /// How many have signed up ("2 von 3").
    pub taken: i32,
    /// The caller holds a place on it (false when not signed in).
    pub signed_up: bool,
}

impl poem_openapi::types::Example for EventShift {
    fn example() -> Self {
        Self {
            id: Uuid::nil(),
            event_id: Uuid::nil(),
            title: "Kuchenbuffet".into(),
            start: "2027-05-23T14:00:00".into(),
            end: "2027-05-23T16:00:00".into(),
            starts_at: Timestamp::example("2027-05-23T12:00:00Z"),
            ends_at: Timestamp::example("2027-05-23T14:00:00Z"),
            needed: 3,
            taken: 2,
            signed_up: false,
        }
    }
}

impl From<ShiftView> for EventShift {
    fn from(view: ShiftView) -> Self {
        let s = view.shift;
        Self {
            id: s.id,
            event_id: s.event_id,
            title: s.title,
            start: s.start_local,
            end: s.end_local,
            starts_at: s.starts_at.into(),
            ends_at: s.ends_at.into(),
            needed: s.needed,
            taken: s.taken,
            signed_up: view.signed_up,
        }
    }
}

/// The shifts of an event, in order of start.
#[derive(Object, Clone, Debug)]
pub struct EventShiftList {
    /// Every shift.
    pub items: Vec<EventShift>,
}

/// A new shift.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct CreateEventShift {
    /// 1 to 200 characters.
    pub title: String,
    /// Local start (`2027-05-23T14:00`), at a date of the event (or the day before or after,
    /// for setting up and clearing away); an offset (`+01:00`) picks one of the repeated
    /// autumn hour.
    pub start: String,
    /// Local end, after the start, at most 24 hours later.
    pub end: String,
    /// How many helpers, 1 to 100.
    pub needed: i32,
}

impl poem_openapi::types::Example for CreateEventShift {
    fn example() -> Self {
        Self {
            title: "Kuchenbuffet".into(),
            start: "2027-05-23T14:00".into(),
            end: "2027-05-23T16:00".into(),
            needed: 3,
        }
    }
}

/// A change of a shift; absent fields stay.
#[derive(Object, Clone, Debug)]
pub struct UpdateEventShift {
    /// 1 to 200 characters.
    pub title: Option<String>,
    /// Local start.
    pub start: Option<String>,
    /// Local end.
    pub end: Option<String>,
    /// How many helpers, 1 to 100, and not fewer than have signed up (409).
    pub needed: Option<i32>,
}

/// Signing up for a shift.
#[derive(Object, Clone, Debug)]
pub struct ShiftSignUp {
    /// A phone number at which the organisers can reach the helper (default: the one in the
    /// profile; 422 when there is neither). Only the organisers see it.
    pub phone: Option<String>,
}

/// One helper, as the organisers see them.
#[derive(Object, Clone, Debug)]
pub struct EventHelper {
    /// The shift.
    pub shift_id: Uuid,
    /// The person.
    pub user_id: Uuid,
    /// Their name as they chose it.
    pub display_name: String,
    /// The phone number they gave for this.
    pub phone: String,
    /// When they signed up.
    pub signed_up_at: Timestamp,
}

/// Who helps, for the organisers.
#[derive(Object, Clone, Debug)]
pub struct EventHelperList {
    /// Every sign-up, oldest first.
    pub items: Vec<EventHelper>,
}

/// One of the caller's own shifts.
#[derive(Object, Clone, Debug)]
pub struct OwnShift {
    /// The shift, with its counts.
    pub shift: EventShift,
    /// The event's title.
    pub event_title: String,
    /// The phone number given for it.
    pub phone: String,
    /// When the caller signed up.
    pub signed_up_at: Timestamp,
}

impl From<shifts::OwnShift> for OwnShift {
    fn from(own: shifts::OwnShift) -> Self {
        Self {
            shift: ShiftView {
                shift: own.shift,
                signed_up: true,
            }
            .into(),
            event_title: own.event_title,
            phone: own.phone,
            signed_up_at: own.signed_up_at.into(),
        }
    }
}

/// The caller's shifts: seen by nobody else.
#[derive(Object, Clone, Debug)]
pub struct OwnShiftList {
    /// How many shifts the caller has helped with (those that are over): a thank-you count
    /// for them alone.
    pub helped_count: u64,
    /// Every shift the caller signed up for, the latest first.
    pub items: Vec<OwnShift>,
}

#[derive(ApiResponse)]
pub enum ShiftCreated {
    /// The shift is asked for.
    #[oai(status = 201)]
    Created(
        Json<EventShift>,
        /// Where the event's shifts are listed: `/api/v1/events/{id}/shifts`.
        #[oai(header = "Location")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum SignedUp {
    /// Signed up: a place is the caller's.
    #[oai(status = 201)]
    Created(Json<EventShift>),
    /// Was signed up already; nothing changed.
    #[oai(status = 200)]
    Unchanged(Json<EventShift>),
}

/// The error answers each operation here can give ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("listEventShifts", &[400, 401, 404]),
    ("createEventShift", &[400, 401, 403, 404, 409, 422]),
    ("updateEventShift", &[400, 401, 403, 404, 409, 422]),
    ("deleteEventShift", &[400, 401, 403, 404, 409]),
    ("signUpForShift", &[400, 401, 404, 409, 422]),
    ("withdrawFromShift", &[400, 401, 404, 409]),
    ("listEventHelpers", &[400, 401, 403, 404]),
    ("listOwnShifts", &[401]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    &[
        ("CreateEventShift", "title", &[Text(shifts::TITLE_MAX)]),
        (
            "CreateEventShift",
            "needed",
            &[Range(1, shifts::NEEDED_MAX as i64)],
        ),
        ("UpdateEventShift", "title", &[Text(shifts::TITLE_MAX)]),
        (
            "UpdateEventShift",
            "needed",
            &[Range(1, shifts::NEEDED_MAX as i64)],
        ),
        ("ShiftSignUp", "phone", super::spec::PHONE),
    ]
};

pub struct EventShiftsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Events")]
impl EventShiftsApi {
    /// The shifts of an event
    ///
    /// Public for a published event: what is asked for and how many places are taken ("2 von
    /// 3"), never who took them; `signed_up` tells a signed-in caller whether one is theirs.
    #[oai(
        transform = "no_store",
        path = "/events/:id/shifts",
        method = "get",
        operation_id = "listEventShifts"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// The event's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<EventShiftList>> {
        let actor = caller.actor()?;
        let items = shifts::list(&state.db, actor, id.0).await?;
        Ok(Json(EventShiftList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Ask for helpers
    ///
    /// A shift ("Kuchenbuffet 14–16 Uhr, 3 gesucht") at a date of the event, or the day before
    /// or after. Its organisation's editors, leaders of all its districts, and admins; at most
    /// 30 shifts per event; 409 for a cancelled event. Those who sign up are reminded the day
    /// before. A retry with the same `Idempotency-Key` creates nothing new.
    #[oai(
        transform = "no_store",
        path = "/events/:id/shifts",
        method = "post",
        operation_id = "createEventShift"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// Any unique string (a UUID): a retry with the same key within 24 h creates nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreateEventShift>,
    ) -> ApiResult<ShiftCreated> {
        let b = body.0;
        let input = NewShift {
            title: b.title,
            start: b.start,
            end: b.end,
            needed: b.needed,
        };
        let claim = idempotency_key
            .0
            .as_deref()
            .map(|key| {
                Claim::new(
                    format!("user:{}", actor.user_id),
                    key,
                    "createEventShift",
                    &(id.0, &input),
                )
            })
            .transpose()?;
        let shift =
            shifts::create(&state.db, &state.clock, &actor, id.0, input, claim.as_ref()).await?;
        let location = format!("/api/v1/events/{}/shifts", id.0);
        Ok(ShiftCreated::Created(
            Json(
                ShiftView {
                    shift,
                    signed_up: false,
                }
                .into(),
            ),
            location,
        ))
    }

    /// Change a shift
    ///
    /// Its title, times or the number asked for; not fewer places than are taken (409: nobody
    /// is struck off). A new time is told to those signed up. Who may: as for
    /// `createEventShift`.
    #[oai(
        transform = "no_store",
        path = "/events/:id/shifts/:shift_id",
        method = "patch",
        operation_id = "updateEventShift"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The shift's id.
        shift_id: Path<Uuid>,
        body: JsonBody<UpdateEventShift>,
    ) -> ApiResult<Json<EventShift>> {
        let b = body.0;
        let patch = ShiftPatch {
            title: b.title,
            start: b.start,
            end: b.end,
            needed: b.needed,
        };
        let shift =
            shifts::update(&state.db, &state.clock, &actor, id.0, shift_id.0, patch).await?;
        Ok(Json(
            ShiftView {
                shift,
                signed_up: false,
            }
            .into(),
        ))
    }

    /// Remove a shift
    ///
    /// Those signed up are told that it is no longer needed. A shift that has begun with
    /// helpers stays (409): it is in their "what I helped with". Who may: as for
    /// `createEventShift`.
    #[oai(
        transform = "no_store",
        path = "/events/:id/shifts/:shift_id",
        method = "delete",
        operation_id = "deleteEventShift"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The shift's id.
        shift_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        shifts::delete(&state.db, &state.clock, &actor, id.0, shift_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Sign up for a shift
    ///
    /// Any signed-in person, for a published event. Never more than asked for: when the last
    /// place is gone, 409 ("schon voll besetzt"); also 409 once the shift has begun, when
    /// the event is cancelled, or when its date at the shift's time is cancelled or moved. Again: 200, nothing changes. The caller is reminded the day before,
    /// and told if the event is cancelled or moved.
    #[oai(
        transform = "no_store",
        path = "/events/:id/shifts/:shift_id/signup",
        method = "put",
        operation_id = "signUpForShift"
    )]
    async fn sign_up(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The shift's id.
        shift_id: Path<Uuid>,
        body: JsonBody<ShiftSignUp>,
    ) -> ApiResult<SignedUp> {
        let (shift, outcome) = shifts::sign_up(
            &state.db,
            &state.clock,
            &actor,
            id.0,
            shift_id.0,
            body.0.phone,
        )
        .await?;
        let shift = Json(
            ShiftView {
                shift,
                signed_up: true,
            }
            .into(),
        );
        Ok(match outcome {
            SignUp::New => SignedUp::Created(shift),
            SignUp::Already => SignedUp::Unchanged(shift),
        })
    }

    /// Withdraw from a shift
    ///
    /// Gives the place back, up to the shift's start (409 after). Not signed up is fine too
    /// (204).
    #[oai(
        transform = "no_store",
        path = "/events/:id/shifts/:shift_id/signup",
        method = "delete",
        operation_id = "withdrawFromShift"
    )]
    async fn withdraw(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The shift's id.
        shift_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        shifts::withdraw(&state.db, &state.clock, &actor, id.0, shift_id.0).await?;
        Ok(NoContent::Done)
    }

    /// The helpers of an event
    ///
    /// Names and phone numbers of everyone signed up, for those who may change the event (its
    /// organisation's editors, leaders of all its districts, admins).
    #[oai(
        transform = "no_store",
        path = "/events/:id/helpers",
        method = "get",
        operation_id = "listEventHelpers"
    )]
    async fn helpers(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<EventHelperList>> {
        let items = shifts::helpers(&state.db, &actor, id.0).await?;
        Ok(Json(EventHelperList {
            items: items
                .into_iter()
                .map(|h| EventHelper {
                    shift_id: h.shift_id,
                    user_id: h.user_id,
                    display_name: h.display_name,
                    phone: h.phone,
                    signed_up_at: h.signed_up_at.into(),
                })
                .collect(),
        }))
    }

    /// What I helped with
    ///
    /// The caller's own shifts, the latest first, and how many are behind them. Nobody else
    /// sees these counts.
    #[oai(
        transform = "no_store",
        path = "/me/shifts",
        method = "get",
        operation_id = "listOwnShifts"
    )]
    async fn own(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<Json<OwnShiftList>> {
        let (items, helped_count) =
            shifts::of_person(&state.db, actor.user_id, state.clock.now()).await?;
        Ok(Json(OwnShiftList {
            helped_count,
            items: items.into_iter().map(Into::into).collect(),
        }))
    }
}
