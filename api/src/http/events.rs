//! `/api/v1/events`: the village calendar. Events and series published by district leaders,
//! admins and organisations' editors; single dates of a series cancelled or moved; the
//! calendar query over the occurrences.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    etag::{Cached, Versioned, etag_of, version_check},
    pagination,
    types::{GeoPoint, NoContent, Timestamp, patch_field},
};
use crate::{
    auth::{Caller, OptionalCaller},
    error::ApiResult,
    state::AppState,
};
use domain::{
    events::{self, EventPatch, EventView, NewEvent, OccurrenceChange, occurrences},
    idempotency::Claim,
};
use entity::vocab::{
    EventCategory, EventExceptionKind, EventPublication, EventReminder, EventStatus,
};

/// One date of a series that does not take place as the rule says.
#[derive(Object, Clone, Debug)]
pub struct EventException {
    /// The date as the rule puts it, in the form the path of `setEventOccurrence` takes
    /// (`20270406T190000`; all-day: `20270406`).
    pub original: String,
    /// The same, as a local time (`2027-04-06T19:00:00`; all-day: `2027-04-06`).
    pub original_start: String,
    /// `cancelled` or `moved`.
    pub status: EventExceptionKind,
    /// Moved: the new local start.
    #[oai(nullable)]
    pub start: Option<String>,
    /// Moved: the new local end.
    #[oai(nullable)]
    pub end: Option<String>,
    /// Moved: the new start as an instant.
    #[oai(nullable)]
    pub starts_at: Option<Timestamp>,
    /// Why (shown to residents), or null.
    #[oai(nullable)]
    pub reason: Option<String>,
}

/// An event (Veranstaltung), single or a series.
///
/// Times are local wall-clock times in the municipality's zone (`time_zone`), as the organiser
/// wrote them: `start`/`end` are `2027-04-06T19:00:00`, or dates (`2027-07-10`) for all-day
/// events, where `end` is the last day. `starts_at`/`ends_at` are the first date as instants.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Event {
    /// Stable identifier (UUID v7); also the iCal `UID` (with the server's host).
    pub id: Uuid,
    /// E.g. „Sommerfest am Dorfgemeinschaftshaus“.
    pub title: String,
    /// Plain text with line breaks.
    pub description: String,
    /// What it is.
    pub category: EventCategory,
    /// `scheduled`, `moved` (a new time; `moved_from` is the old one) or `cancelled`.
    pub status: EventStatus,
    /// `draft` and `unpublished` are seen only by its organisers, the district's leaders and
    /// admins.
    pub publication: EventPublication,
    /// Why a leader or admin took it down, or null.
    #[oai(nullable)]
    pub unpublished_reason: Option<String>,
    /// The organisation that publishes it, or null.
    #[oai(nullable)]
    pub organisation_id: Option<Uuid>,
    /// That organisation's name, or null.
    #[oai(nullable)]
    pub organisation_name: Option<String>,
    /// An organiser named in words (when no organisation publishes it), or null.
    #[oai(nullable)]
    pub organiser_name: Option<String>,
    /// The news item that announces it (`GET /api/v1/news/{id}`), or null.
    #[oai(nullable)]
    pub news_id: Option<Uuid>,
    /// The districts it is for; empty: the whole town.
    pub district_ids: Vec<Uuid>,
    /// A whole day (or several): `start` and `end` are dates.
    pub all_day: bool,
    /// The local start of the (first) date.
    pub start: String,
    /// The local end, or the last day of an all-day event; null: open end.
    #[oai(nullable)]
    pub end: Option<String>,
    /// The start as an instant.
    pub starts_at: Timestamp,
    /// The end as an instant (all-day: the end of the last day), or null.
    #[oai(nullable)]
    pub ends_at: Option<Timestamp>,
    /// The zone the local times are in (IANA, e.g. `Europe/Berlin`).
    pub time_zone: String,
    /// For a series: its rule (RFC 5545 RRULE, canonical), e.g. `FREQ=WEEKLY;BYDAY=TU`.
    #[oai(nullable)]
    pub recurrence: Option<String>,
    /// Dates of the series cancelled or moved, in order.
    pub exceptions: Vec<EventException>,
    /// A moved single event: its previous local start, or null.
    #[oai(nullable)]
    pub moved_from: Option<String>,
    /// When it was cancelled, or null.
    #[oai(nullable)]
    pub cancelled_at: Option<Timestamp>,
    /// Why it was cancelled, or null.
    #[oai(nullable)]
    pub cancel_reason: Option<String>,
    /// Where, in words (address, hall), or null.
    #[oai(nullable)]
    pub place: Option<String>,
    /// Where, as a point, or null.
    #[oai(nullable)]
    pub location: Option<GeoPoint>,
    /// Its photos, in order, each with its alt text and every size.
    pub images: Vec<super::media::Image>,
    /// Whether residents were (or will be, at publication) told by push.
    pub notify: bool,
    /// Raised by every change (iCal `SEQUENCE`).
    pub sequence: i32,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl poem_openapi::types::Example for Event {
    fn example() -> Self {
        Self {
            id: Uuid::nil(),
            title: "Chorprobe Gemischter Chor Rieder".into(),
            description: "Neue Stimmen sind herzlich willkommen, besonders Tenöre.".into(),
            category: EventCategory::Culture,
            status: EventStatus::Scheduled,
            publication: EventPublication::Published,
            unpublished_reason: None,
            organisation_id: Some(Uuid::nil()),
            organisation_name: Some("Gemischter Chor Rieder e. V.".into()),
            organiser_name: None,
            news_id: None,
            district_ids: vec![Uuid::nil()],
            all_day: false,
            start: "2027-01-05T19:00:00".into(),
            end: Some("2027-01-05T21:00:00".into()),
            starts_at: Timestamp::example("2027-01-05T18:00:00Z"),
            ends_at: Some(Timestamp::example("2027-01-05T20:00:00Z")),
            time_zone: "Europe/Berlin".into(),
            recurrence: Some("FREQ=WEEKLY;BYDAY=TU".into()),
            exceptions: vec![EventException {
                original: "20270330T190000".into(),
                original_start: "2027-03-30T19:00:00".into(),
                status: EventExceptionKind::Cancelled,
                start: None,
                end: None,
                starts_at: None,
                reason: Some("Osterferien".into()),
            }],
            moved_from: None,
            cancelled_at: None,
            cancel_reason: None,
            place: Some("Dorfgemeinschaftshaus, Hauptstraße 12".into()),
            location: Some(GeoPoint {
                lat: 51.7201,
                lon: 11.1822,
            }),
            images: Vec::new(),
            notify: true,
            sequence: 0,
            created_at: Timestamp::example("2026-12-01T09:00:00Z"),
            updated_at: Timestamp::example("2026-12-01T09:00:00Z"),
        }
    }
}

/// The path form of an original date.
fn original_key(local: &str, all_day: bool) -> String {
    let compact: String = local.chars().filter(|c| *c != '-' && *c != ':').collect();
    if all_day {
        compact.get(..8).unwrap_or(&compact).to_owned()
    } else {
        compact
    }
}

impl From<EventView> for Event {
    fn from(view: EventView) -> Self {
        let location = view.location().map(GeoPoint::from);
        let shown = |local: &str| view.shown_local(local);
        let all_day = view.event.all_day;
        let exceptions = view
            .exceptions
            .iter()
            .map(|x| EventException {
                original: original_key(&x.original_local, all_day),
                original_start: shown(&x.original_local),
                status: x.kind,
                start: x.start_local.as_deref().map(shown),
                end: x.end_local.as_deref().map(shown),
                starts_at: x.starts_at.map(Timestamp),
                reason: x.reason.clone(),
            })
            .collect();
        let e = &view.event;
        Self {
            id: e.id,
            title: e.title.clone(),
            description: e.description.clone(),
            category: e.category,
            status: e.status,
            publication: e.publication,
            unpublished_reason: e.unpublished_reason.clone(),
            organisation_id: e.organisation_id,
            organisation_name: view.organisation.as_ref().map(|o| o.name.clone()),
            organiser_name: e.organiser_name.clone(),
            news_id: e.news_id,
            district_ids: view.district_ids.clone(),
            all_day,
            start: shown(&e.start_local),
            end: e.end_local.as_deref().map(shown),
            starts_at: e.starts_at.into(),
            ends_at: e.ends_at.map(Timestamp),
            time_zone: e.tz.clone(),
            recurrence: e.rrule.clone(),
            exceptions,
            moved_from: e.moved_from_local.as_deref().map(shown),
            cancelled_at: e.cancelled_at.map(Timestamp),
            cancel_reason: e.cancel_reason.clone(),
            place: e.place.clone(),
            location,
            images: view.images.iter().cloned().map(Into::into).collect(),
            notify: e.notify,
            sequence: e.sequence,
            created_at: e.created_at.into(),
            updated_at: e.updated_at.into(),
        }
    }
}

/// A new event or series.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct CreateEvent {
    /// 1 to 200 characters.
    pub title: String,
    /// Plain text, at most 20,000 characters (default empty).
    #[oai(default)]
    pub description: String,
    /// What it is.
    pub category: EventCategory,
    /// Publish under this organisation's name. Its editors (`organisation_editor`) may
    /// publish only so, and only for its own district (`district_ids` = exactly that one).
    #[oai(nullable)]
    pub organisation_id: Option<Uuid>,
    /// An organiser named in words, at most 200 characters.
    #[oai(nullable)]
    pub organiser_name: Option<String>,
    /// The districts it is for (at most 10); empty: the whole town (administrators only).
    /// District leaders name districts they lead.
    #[oai(validator(max_items = 10))]
    pub district_ids: Vec<Uuid>,
    /// Local start: `2027-04-06T19:00` (a time), or `2027-07-10` (all day). A time that the
    /// night of the change to summer time skips is refused; one that the night back to winter
    /// time has twice needs its offset (`2026-10-25T02:30+01:00`). At most a year back and two
    /// years ahead.
    pub start: String,
    /// Local end, of the same kind as `start`: a later time, or the last day (at most 14 days
    /// after the start). Null: open end.
    #[oai(nullable)]
    pub end: Option<String>,
    /// Makes it a series: an RFC 5545 RRULE of `FREQ=WEEKLY` or `MONTHLY`, with `INTERVAL`,
    /// `BYDAY` (`TU`; monthly `2TU`, `-1FR`), `BYMONTHDAY`, `UNTIL` or `COUNT` (at most
    /// 1000). The dates keep the local time of `start` across summer time.
    #[oai(nullable)]
    pub recurrence: Option<String>,
    /// Where, in words, at most 300 characters.
    #[oai(nullable)]
    pub place: Option<String>,
    /// Where, as a point (optional).
    pub location: Option<GeoPoint>,
    /// Photos (at most 10): ids from `POST /api/v1/media`, each with an alt text.
    #[oai(default)]
    pub images: Vec<super::media::ImageInput>,
    /// Tell the residents of the districts by push when it is published, as news of the
    /// category `event` (default false).
    #[oai(default)]
    pub notify: bool,
    /// Keep it as a draft (default false); publish it later with `PATCH {"draft": false}`.
    #[oai(default)]
    pub draft: bool,
    /// The published news item that announces it (optional; one event per item, set only
    /// here).
    pub news_id: Option<Uuid>,
}

impl poem_openapi::types::Example for CreateEvent {
    fn example() -> Self {
        Self {
            title: "Chorprobe Gemischter Chor Rieder".into(),
            description: "Neue Stimmen sind herzlich willkommen.".into(),
            category: EventCategory::Culture,
            organisation_id: Some(Uuid::nil()),
            organiser_name: None,
            district_ids: vec![Uuid::nil()],
            start: "2027-01-05T19:00".into(),
            end: Some("2027-01-05T21:00".into()),
            recurrence: Some("FREQ=WEEKLY;BYDAY=TU".into()),
            place: Some("Dorfgemeinschaftshaus, Hauptstraße 12".into()),
            location: Some(GeoPoint {
                lat: 51.7201,
                lon: 11.1822,
            }),
            images: Vec::new(),
            notify: true,
            draft: false,
            news_id: Some(Uuid::nil()),
        }
    }
}

/// Changes; absent fields stay, `null` clears an optional one. A new `start`, `end` or
/// `recurrence` moves a published single event (`status: moved`, the old time kept) or
/// replaces a series' dates (its exceptions go).
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateEvent {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New category.
    pub category: Option<EventCategory>,
    /// Another organisation; `null`: none (not for organisations' editors).
    #[oai(nullable)]
    pub organisation_id: MaybeUndefined<Uuid>,
    /// New organiser in words; `null` removes it.
    #[oai(nullable)]
    pub organiser_name: MaybeUndefined<String>,
    /// New districts.
    #[oai(validator(max_items = 10))]
    pub district_ids: Option<Vec<Uuid>>,
    /// New local start.
    pub start: Option<String>,
    /// New local end; `null`: open end.
    #[oai(nullable)]
    pub end: MaybeUndefined<String>,
    /// New rule; `null` makes it a single event.
    #[oai(nullable)]
    pub recurrence: MaybeUndefined<String>,
    /// New place; `null` removes it.
    #[oai(nullable)]
    pub place: MaybeUndefined<String>,
    /// New point; `null` removes it.
    #[oai(nullable)]
    pub location: MaybeUndefined<GeoPoint>,
    /// The photos, in order; replaces the list.
    pub images: Option<Vec<super::media::ImageInput>>,
    /// Push at publication.
    pub notify: Option<bool>,
    /// `false` publishes a draft (an unpublished event: leaders and admins only).
    pub draft: Option<bool>,
}

/// Why an event is cancelled or taken down.
#[derive(Object, Clone, Debug)]
pub struct EventReason {
    /// 1 to 500 characters; residents see a cancellation's reason, organisers a take-down's.
    pub reason: String,
}

/// What happens to one date of a series.
#[derive(Object, Clone, Debug)]
pub struct SetEventOccurrence {
    /// `cancelled` (does not take place) or `moved` (takes place at `start`).
    pub status: EventExceptionKind,
    /// Moved: the new local start, of the same kind as the series' (time or date).
    pub start: Option<String>,
    /// Moved: the new local end (default: the series' duration).
    pub end: Option<String>,
    /// Why, shown to residents (at most 500 characters).
    pub reason: Option<String>,
}

/// Following an event.
#[derive(Object, Clone, Debug)]
pub struct FollowEvent {
    /// A reminder before each date: `day` (the default), `hour`, or `none` (only changes are
    /// told).
    pub remind: Option<EventReminder>,
}

/// How many shuttle rides are booked to an event: a count, never who.
#[derive(Object, Clone, Debug)]
pub struct EventRideCount {
    /// Rides booked to it that still stand (requested, accepted, under way or done), each
    /// booking once; 0 when suppressed.
    pub booked: u64,
    /// True when 1 or 2 rides are booked: shown as 0, since so small a count could single out
    /// one person's trip.
    pub small_counts_suppressed: bool,
}

/// One date in the calendar.
#[derive(Object, Clone, Debug)]
pub struct EventOccurrence {
    /// The event (read it with `getEvent`).
    pub event_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its category.
    pub category: EventCategory,
    /// This date: `scheduled`, `moved` or `cancelled`.
    pub status: EventStatus,
    /// A whole day (or several).
    pub all_day: bool,
    /// Local start (all-day: the date).
    pub start: String,
    /// Local end (all-day: the last day); null: open end.
    #[oai(nullable)]
    pub end: Option<String>,
    /// Start as an instant (the calendar's order).
    pub starts_at: Timestamp,
    /// End as an instant (an open end: the start).
    pub ends_at: Timestamp,
    /// A moved date: where the rule had put it (local), or null.
    #[oai(nullable)]
    pub original_start: Option<String>,
    /// Part of a series.
    pub recurring: bool,
    /// Where, in words, or null.
    #[oai(nullable)]
    pub place: Option<String>,
    /// The publishing organisation, or null.
    #[oai(nullable)]
    pub organisation_id: Option<Uuid>,
    /// Its name, or null.
    #[oai(nullable)]
    pub organisation_name: Option<String>,
}

super::pagination::page! {
    /// A page of the calendar, in order of start. A cursor stays valid while events change.
    EventOccurrencePage of EventOccurrence
}

#[derive(ApiResponse)]
pub enum EventCreated {
    /// Published (or kept as a draft, see `publication`).
    #[oai(status = 201)]
    Created(
        Json<Event>,
        /// The version, for `If-Match` on a later change.
        #[oai(header = "ETag")]
        String,
        /// Where it can be read: `/api/v1/events/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

/// The error answers each operation here can give, besides 412, 413, 415, 500 and 503
/// ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("createEvent", &[400, 401, 403, 422, 429]),
    ("getEvent", &[400, 401, 404]),
    ("updateEvent", &[400, 401, 403, 404, 409, 422]),
    ("deleteEvent", &[400, 401, 403, 404, 409]),
    ("cancelEvent", &[400, 401, 403, 404, 409, 422]),
    ("unpublishEvent", &[400, 401, 403, 404, 409, 422]),
    ("setEventOccurrence", &[400, 401, 403, 404, 409, 422]),
    ("restoreEventOccurrence", &[400, 401, 403, 404, 409]),
    ("listEventOccurrences", &[400, 422]),
    ("followEvent", &[400, 401, 404, 422]),
    ("unfollowEvent", &[400, 401]),
    ("countEventRides", &[400, 401, 403, 404]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::events as e;
    &[
        ("CreateEvent", "title", &[Text(e::TITLE_MAX)]),
        (
            "CreateEvent",
            "description",
            &[MaxLength(e::DESCRIPTION_MAX)],
        ),
        (
            "CreateEvent",
            "organiser_name",
            &[MaxLength(e::ORGANISER_MAX)],
        ),
        ("CreateEvent", "recurrence", &[MaxLength(e::RECURRENCE_MAX)]),
        ("CreateEvent", "place", &[MaxLength(e::PLACE_MAX)]),
        ("UpdateEvent", "title", &[Text(e::TITLE_MAX)]),
        (
            "UpdateEvent",
            "description",
            &[MaxLength(e::DESCRIPTION_MAX)],
        ),
        (
            "UpdateEvent",
            "organiser_name",
            &[MaxLength(e::ORGANISER_MAX)],
        ),
        ("UpdateEvent", "recurrence", &[MaxLength(e::RECURRENCE_MAX)]),
        ("UpdateEvent", "place", &[MaxLength(e::PLACE_MAX)]),
        ("EventReason", "reason", &[Text(e::REASON_MAX)]),
        ("SetEventOccurrence", "reason", &[MaxLength(e::REASON_MAX)]),
    ]
};

fn tagged(view: EventView) -> (Event, String) {
    let event = Event::from(view);
    let etag = etag_of(&event);
    (event, etag)
}

/// The local wall-clock form of an instant in the event's zone.
fn local_of(at: DateTime<Utc>, tz: Tz, all_day: bool) -> String {
    let local = at.with_timezone(&tz).naive_local();
    if all_day {
        local.date().to_string()
    } else {
        local.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

fn occurrence_of(
    row: &entity::event_occurrence::Model,
    event: &entity::event::Model,
    organisation: Option<&entity::organisation::Model>,
) -> EventOccurrence {
    let tz: Tz = event.tz.parse().unwrap_or(chrono_tz::UTC);
    let all_day = event.all_day;
    let end = if all_day {
        // The last day: the day before the exclusive end.
        Some(local_of(row.ends_at - Duration::hours(1), tz, true))
    } else if event.end_local.is_some() || row.ends_at > row.starts_at {
        Some(local_of(row.ends_at, tz, false))
    } else {
        None
    };
    EventOccurrence {
        event_id: event.id,
        title: event.title.clone(),
        category: event.category,
        status: row.status,
        all_day,
        start: local_of(row.starts_at, tz, all_day),
        end,
        starts_at: row.starts_at.into(),
        ends_at: row.ends_at.into(),
        original_start: (row.original_at != row.starts_at)
            .then(|| local_of(row.original_at, tz, all_day)),
        recurring: event.rrule.is_some(),
        place: event.place.clone(),
        organisation_id: event.organisation_id,
        organisation_name: organisation.map(|o| o.name.clone()),
    }
}

/// Reads a calendar bound: a date (local midnight) or an instant.
fn bound(text: Option<&str>, tz: Tz, field: &str) -> ApiResult<Option<DateTime<Utc>>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let in_range = |year: i32| events::YEARS.contains(&year);
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && in_range(day.year())
    {
        return Ok(Some(events::recurrence::resolve(
            day.and_time(NaiveTime::MIN),
            tz,
        )));
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .filter(|at| in_range(at.year()))
        .map(|at| Some(at.with_timezone(&Utc)))
        .ok_or_else(|| {
            domain::DomainError::Validation(vec![domain::text::field(
                field.to_owned(),
                "Ein Datum (2026-07-10) oder ein Zeitpunkt (2026-07-10T17:00:00Z).",
                "A date (2026-07-10) or an instant (2026-07-10T17:00:00Z).",
            )])
            .into()
        })
}

fn original_path(text: &str) -> ApiResult<chrono::NaiveDateTime> {
    events::parse_original(text).ok_or_else(|| events::no_such_date().into())
}

pub struct EventsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Events")]
impl EventsApi {
    /// Publish an event
    ///
    /// District leaders for districts they lead, administrators anywhere (also for the whole
    /// town), and an organisation's editors under its name (`organisation_id`) for its own
    /// district. With `notify`, the residents of those districts who follow the category
    /// `event` are told by push when it is published. At most
    /// `DORFAPP_QUOTA_EVENTS_PER_AUTHOR_PER_HOUR` (default 20) an hour. A retry with the same
    /// `Idempotency-Key` creates nothing new.
    #[oai(
        transform = "no_store",
        path = "/events",
        method = "post",
        operation_id = "createEvent"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Any unique string (a UUID): a retry with the same key within 24 h creates nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreateEvent>,
    ) -> ApiResult<EventCreated> {
        let b = body.0;
        let input = NewEvent {
            title: b.title,
            description: b.description,
            category: b.category,
            organisation_id: b.organisation_id,
            organiser_name: b.organiser_name,
            district_ids: b.district_ids,
            start: b.start,
            end: b.end,
            recurrence: b.recurrence,
            place: b.place,
            location: b.location.map(Into::into),
            images: b.images.into_iter().map(Into::into).collect(),
            notify: b.notify,
            draft: b.draft,
            news_id: b.news_id,
        };
        let claim = idempotency_key
            .0
            .as_deref()
            .map(|key| {
                Claim::new(
                    format!("user:{}", actor.user_id),
                    key,
                    "createEvent",
                    &input,
                )
            })
            .transpose()?;
        let view = events::create(
            &state.db,
            &state.clock,
            state.time_zone,
            &actor,
            input,
            claim.as_ref(),
            state.settings.quotas().events_per_author_per_hour,
        )
        .await?;
        let (event, etag) = tagged(view);
        let location = format!("/api/v1/events/{}", event.id);
        Ok(EventCreated::Created(Json(event), etag, location))
    }

    /// The calendar
    ///
    /// Public: the dates (occurrences) that meet `[from, to)`, in order of start — of a
    /// district (its own events and the whole town's), or of the whole town. A series appears
    /// once per date. Cancelled dates only with `include_cancelled=true`. At most a year at
    /// once and two years ahead.
    #[oai(
        path = "/events/occurrences",
        method = "get",
        operation_id = "listEventOccurrences"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn occurrences(
        &self,
        state: Data<&AppState>,
        /// From this date (local midnight) or instant; default: today.
        from: Query<Option<String>>,
        /// Up to this date (local midnight, exclusive) or instant; default: 31 days after
        /// `from`.
        to: Query<Option<String>>,
        /// A district's calendar (with the whole town's events).
        district_id: Query<Option<Uuid>>,
        /// Only this category.
        category: Query<Option<EventCategory>>,
        /// Only this organisation's events.
        organisation_id: Query<Option<Uuid>>,
        /// Also the cancelled dates (default false).
        include_cancelled: Query<Option<bool>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// The `ETag` of a copy the client holds: 304 when it is still current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<EventOccurrencePage>> {
        let tz = state.time_zone;
        let today = {
            let local = state.clock.now().with_timezone(&tz).date_naive();
            events::recurrence::resolve(local.and_time(NaiveTime::MIN), tz)
        };
        let from = bound(from.0.as_deref(), tz, "from")?.unwrap_or(today);
        let to = bound(to.0.as_deref(), tz, "to")?.unwrap_or(from + Duration::days(31));
        let query = occurrences::CalendarQuery {
            from,
            to,
            district: district_id.0,
            category: category.0,
            organisation: organisation_id.0,
            include_cancelled: include_cancelled.0.unwrap_or(false),
            after: pagination::decode_at(cursor.0.as_deref())?,
            limit: pagination::limit(limit.0)?,
        };
        let page = events::calendar(&state.db, &state.clock, query).await?;
        let next_cursor = page
            .items
            .last()
            .filter(|_| page.more)
            .map(|(row, _)| pagination::encode_at(row.starts_at, row.event_id));
        let items = page
            .items
            .iter()
            .map(|(row, event)| {
                occurrence_of(
                    row,
                    event,
                    event
                        .organisation_id
                        .and_then(|id| page.organisations.get(&id)),
                )
            })
            .collect();
        Ok(Cached::respond(
            EventOccurrencePage { items, next_cursor },
            if_none_match.0.as_deref(),
        ))
    }

    /// Get an event
    ///
    /// Public once published; a draft or a taken-down event only for its organisers, the
    /// district's leaders and admins (404 for everyone else).
    #[oai(path = "/events/:id", method = "get", operation_id = "getEvent")]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// The event's id.
        id: Path<Uuid>,
        /// The `ETag` of a copy the client holds: 304 when it is still current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<Event>> {
        let actor = caller.actor()?;
        let view = events::get(&state.db, actor, id.0).await?;
        Ok(Cached::respond(
            Event::from(view),
            if_none_match.0.as_deref(),
        ))
    }

    /// Change an event
    ///
    /// Its organisation's editors, leaders of all its districts, and admins. Send the `ETag`
    /// you read as `If-Match` (412 when it changed meanwhile). A cancelled event cannot be
    /// changed (409).
    #[oai(
        transform = "no_store",
        path = "/events/:id",
        method = "patch",
        operation_id = "updateEvent"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The `ETag` of the version the change is based on.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<UpdateEvent>,
    ) -> ApiResult<Versioned<Event>> {
        let b = body.0;
        let patch = EventPatch {
            title: b.title,
            description: b.description,
            category: b.category,
            organisation_id: patch_field(b.organisation_id),
            organiser_name: patch_field(b.organiser_name),
            district_ids: b.district_ids,
            start: b.start,
            end: patch_field(b.end),
            recurrence: patch_field(b.recurrence),
            place: patch_field(b.place),
            location: patch_field(b.location).map(|p| p.map(Into::into)),
            images: b
                .images
                .map(|images| images.into_iter().map(Into::into).collect()),
            notify: b.notify,
            draft: b.draft,
        };
        let view = events::update(
            &state.db,
            &state.clock,
            &actor,
            id.0,
            patch,
            version_check(if_match.0, |view: &EventView| Event::from(view.clone())),
        )
        .await?;
        Ok(Versioned::of(&Event::from(view)))
    }

    /// Delete a draft
    ///
    /// Its organisation's editors, leaders of all its districts, and admins. Only drafts
    /// (409 otherwise: cancel a published event, so that those who saw it are told).
    #[oai(
        transform = "no_store",
        path = "/events/:id",
        method = "delete",
        operation_id = "deleteEvent"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The `ETag` of the version the caller means to delete.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        events::delete(
            &state.db,
            &state.clock,
            &actor,
            id.0,
            version_check(if_match.0, |view: &EventView| Event::from(view.clone())),
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Cancel an event
    ///
    /// Every date of it (a single date of a series: `setEventOccurrence`). It stays in the
    /// calendar marked `cancelled`, with the reason. Its organisation's editors, leaders of all
    /// its districts, and admins; 409 when it is cancelled already.
    #[oai(
        transform = "no_store",
        path = "/events/:id/cancel",
        method = "post",
        operation_id = "cancelEvent"
    )]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        body: JsonBody<EventReason>,
    ) -> ApiResult<Versioned<Event>> {
        let view = events::cancel(&state.db, &state.clock, &actor, id.0, body.0.reason).await?;
        Ok(Versioned::of(&Event::from(view)))
    }

    /// Take an event down
    ///
    /// Moderation: a leader of one of its districts, or an admin, takes a published event off
    /// every calendar, with a reason its organisers see. 409 when it is not published.
    #[oai(
        transform = "no_store",
        path = "/events/:id/unpublish",
        method = "post",
        operation_id = "unpublishEvent"
    )]
    async fn unpublish(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        body: JsonBody<EventReason>,
    ) -> ApiResult<Versioned<Event>> {
        let view = events::unpublish(&state.db, &state.clock, &actor, id.0, body.0.reason).await?;
        Ok(Versioned::of(&Event::from(view)))
    }

    /// Cancel or move one date of a series
    ///
    /// `original` names the date as the rule puts it (`20270406T190000`, all-day `20270406`;
    /// `exceptions[].original`). Setting it again replaces what was said. 404 when the series
    /// has no such date, 409 for a single event or a cancelled one.
    #[oai(
        transform = "no_store",
        path = "/events/:id/occurrences/:original",
        method = "put",
        operation_id = "setEventOccurrence"
    )]
    async fn set_occurrence(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The date as the rule puts it, `YYYYMMDDTHHMMSS` (local) or `YYYYMMDD`.
        original: Path<String>,
        body: JsonBody<SetEventOccurrence>,
    ) -> ApiResult<Versioned<Event>> {
        let original = original_path(&original.0)?;
        let b = body.0;
        let change = OccurrenceChange {
            status: b.status,
            start: b.start,
            end: b.end,
            reason: b.reason,
        };
        let view =
            events::set_occurrence(&state.db, &state.clock, &actor, id.0, original, change).await?;
        Ok(Versioned::of(&Event::from(view)))
    }

    /// Restore one date of a series
    ///
    /// It takes place as the rule says again. 404 when nothing was said of that date.
    #[oai(
        transform = "no_store",
        path = "/events/:id/occurrences/:original",
        method = "delete",
        operation_id = "restoreEventOccurrence"
    )]
    async fn restore_occurrence(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        /// The date as the rule puts it, `YYYYMMDDTHHMMSS` (local) or `YYYYMMDD`.
        original: Path<String>,
    ) -> ApiResult<Versioned<Event>> {
        let original = original_path(&original.0)?;
        let view =
            events::restore_occurrence(&state.db, &state.clock, &actor, id.0, original).await?;
        Ok(Versioned::of(&Event::from(view)))
    }

    /// Follow an event
    ///
    /// "Interessiert": the caller is told by push and in the inbox when it is cancelled or
    /// moved, or one of its dates is (whatever news categories they chose; quiet hours hold
    /// it), and reminded before each date as chosen. Published events only (404 otherwise).
    /// Again: changes the reminder.
    #[oai(
        transform = "no_store",
        path = "/events/:id/follow",
        method = "put",
        operation_id = "followEvent"
    )]
    async fn follow(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
        body: JsonBody<FollowEvent>,
    ) -> ApiResult<NoContent> {
        let remind = body.0.remind.unwrap_or(EventReminder::Day);
        events::follow(&state.db, &state.clock, &actor, id.0, remind).await?;
        Ok(NoContent::Done)
    }

    /// Stop following an event
    ///
    /// No more reminders or changes. Not following it is fine too (204).
    #[oai(
        transform = "no_store",
        path = "/events/:id/follow",
        method = "delete",
        operation_id = "unfollowEvent"
    )]
    async fn unfollow(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        events::unfollow(&state.db, &actor, id.0).await?;
        Ok(NoContent::Done)
    }

    /// How many rides go to an event
    ///
    /// For those who may change it (its organisation's editors, leaders of all its districts,
    /// admins): the number of shuttle rides booked to it (`createRide` with `event_id`), so
    /// that the Verein can plan seats and help at the entrance. A count only, and 1 or 2 read
    /// as 0 (`small_counts_suppressed`).
    #[oai(
        transform = "no_store",
        path = "/events/:id/rides",
        method = "get",
        operation_id = "countEventRides"
    )]
    async fn rides(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The event's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<EventRideCount>> {
        let (booked, small_counts_suppressed) =
            domain::rides::booked_to_event(&state.db, &actor, id.0).await?;
        Ok(Json(EventRideCount {
            booked,
            small_counts_suppressed,
        }))
    }
}
