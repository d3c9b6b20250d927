//! Events (Veranstaltungen, issue 19): what a village's calendar holds, who may publish it, and
//! how a series and its exceptions become dates.
//!
//! An event keeps its time as the organiser wrote it, in local wall-clock time
//! (`docs/architecture.md` › Deviations: "every Tuesday 19:00" is a rule about the clock on
//! the wall, not about UTC). A typed time that does not exist (the spring gap) or exists twice
//! (the autumn hour) is refused with a clear text, or taken with the offset the caller adds;
//! the dates a rule generates are read as RFC 5545 says ([`recurrence::resolve`]).
//!
//! Who may do what is the table in [`rules`]; the calendar reads the projection kept by
//! [`occurrences::sync`] in the same transaction as every change.

pub mod adopt;
pub mod messages;
pub mod occurrences;
pub mod recurrence;
pub mod rules;
pub mod shifts;

use std::collections::HashSet;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use entity::{
    district, event, event_district, event_exception, event_follower, news_item, organisation,
    vocab::{
        EventCategory, EventExceptionKind, EventPublication, EventReminder, EventStatus,
        NewsCategory, NewsStatus,
    },
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use self::rules::{Op, Relation, permitted};
use crate::{
    DomainError, DomainResult, Validator,
    auth::{Actor, Role},
    clock::SharedClock,
    db,
    geo::{Location, check_location, to_e6},
    idempotency,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    media::{self, ImageRef, ShownImage, Sight, Thing, ThingKind},
    notices::{self, Audience, Notice, NoticeKind, Target, Urgency},
    text::{FieldError, Text},
};

pub const TITLE_MAX: usize = 200;
/// As long as a news item's body, so that adopting one never truncates it.
pub const DESCRIPTION_MAX: usize = 20_000;
pub const PLACE_MAX: usize = 300;
pub const ORGANISER_MAX: usize = 200;
pub const REASON_MAX: usize = 500;
pub const RECURRENCE_MAX: usize = 500;
pub const DISTRICTS_MAX: usize = 10;
/// How the local times are stored and shown.
const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// A local time as stored (written by this module only; unreadable reads as the epoch).
pub(crate) fn parse_stored(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, LOCAL_FORMAT).unwrap_or_default()
}

fn stored(local: NaiveDateTime) -> String {
    local.format(LOCAL_FORMAT).to_string()
}

/// A time as a person types it: a date (an all-day event), or a date with a wall-clock time,
/// optionally with the UTC offset that picks one side of the repeated autumn hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typed {
    Day(NaiveDate),
    Clock {
        local: NaiveDateTime,
        offset: Option<FixedOffset>,
    },
}

/// The years a typed date may name: wide enough for any calendar, narrow enough that no
/// arithmetic on it (a day after the last, an hour before the first) leaves chrono's range.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// Reads `2026-07-10`, `2026-07-10T19:00`, `2026-07-10T19:00:00`, each optionally followed by
/// `Z` or `+01:00` (after a time only).
pub fn parse_local(text: &str) -> Option<Typed> {
    let typed = parse_local_any_year(text)?;
    let year = match typed {
        Typed::Day(day) => day.year(),
        Typed::Clock { local, .. } => local.year(),
    };
    YEARS.contains(&year).then_some(typed)
}

fn parse_local_any_year(text: &str) -> Option<Typed> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(Typed::Day(day));
    }
    if text.len() < 16 {
        return None;
    }
    let (local_part, offset) = match text
        .char_indices()
        .skip(16)
        .find(|(_, c)| matches!(c, '+' | '-' | 'Z'))
    {
        Some((at, 'Z')) if at == text.len() - 1 => (&text[..at], FixedOffset::east_opt(0)),
        Some((at, _)) => {
            let offset = DateTime::parse_from_str(
                &format!("2000-01-01T00:00:00{}", &text[at..]),
                "%Y-%m-%dT%H:%M:%S%:z",
            )
            .ok()
            .map(|t| *t.offset())?;
            (&text[..at], Some(offset))
        }
        None => (text, None),
    };
    let local = NaiveDateTime::parse_from_str(local_part, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(local_part, "%Y-%m-%dT%H:%M"))
        .ok()?;
    Some(Typed::Clock { local, offset })
}

/// A typed wall-clock time as an instant: one that exists once, or one of the repeated hour
/// named by its offset. `Err` says why not, for the field.
pub fn typed_instant(
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
    tz: Tz,
) -> Result<DateTime<Utc>, Text> {
    let matches = |at: &DateTime<Tz>| {
        offset.is_none_or(|o| at.fixed_offset().offset().local_minus_utc() == o.local_minus_utc())
    };
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) if matches(&at) => Ok(at.with_timezone(&Utc)),
        LocalResult::Single(_) => Err(Text::new(
            "Die Zeitverschiebung passt nicht zu dieser Uhrzeit.",
            "The offset does not fit this time.",
        )),
        LocalResult::Ambiguous(first, second) => match offset {
            Some(_) if matches(&first) => Ok(first.with_timezone(&Utc)),
            Some(_) if matches(&second) => Ok(second.with_timezone(&Utc)),
            _ => Err(Text::new(
                "Diese Uhrzeit gibt es in dieser Nacht zweimal (Ende der Sommerzeit). Bitte mit +02:00 (die erste) oder +01:00 (die zweite) angeben.",
                "This time occurs twice that night (end of summer time). Add +02:00 (the first) or +01:00 (the second).",
            )),
        },
        LocalResult::None => Err(Text::new(
            "Diese Uhrzeit gibt es in dieser Nacht nicht (Beginn der Sommerzeit).",
            "This time does not exist that night (start of summer time).",
        )),
    }
}

/// When an event takes place, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Timing {
    all_day: bool,
    start_local: NaiveDateTime,
    /// Timed: the end; all-day: the last day.
    end_local: Option<NaiveDateTime>,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    rrule: Option<String>,
}

const NOT_A_TIME_DE: &str =
    "Ein Datum (2026-07-10) oder ein Datum mit Uhrzeit (2026-07-10T19:00) in Ortszeit.";
const NOT_A_TIME_EN: &str = "A date (2026-07-10) or a date and time (2026-07-10T19:00), local.";

/// Checks start, end and rule together; `None` when a field is at fault (recorded in `v`).
fn check_timing(
    v: &mut Validator,
    tz: Tz,
    now: DateTime<Utc>,
    start: &str,
    end: Option<&str>,
    recurrence: Option<&str>,
) -> Option<Timing> {
    let mut timing_ok = true;
    let start_typed = parse_local(start);
    if start_typed.is_none() {
        v.check(false, "start", NOT_A_TIME_DE, NOT_A_TIME_EN);
        timing_ok = false;
    }
    let end_typed = end.map(|e| (e, parse_local(e)));
    if let Some((_, None)) = end_typed {
        v.check(false, "end", NOT_A_TIME_DE, NOT_A_TIME_EN);
        timing_ok = false;
    }
    let rule = match recurrence.map(str::trim).filter(|r| !r.is_empty()) {
        Some(text) if text.chars().count() > RECURRENCE_MAX => {
            v.check(
                false,
                "recurrence",
                "Höchstens 500 Zeichen.",
                "At most 500 characters.",
            );
            timing_ok = false;
            None
        }
        Some(text) => match recurrence::Rule::parse(text) {
            Ok(rule) => Some(rule),
            Err(err) => {
                v.push(FieldError::new("recurrence", Text::new(err.de, err.en)));
                timing_ok = false;
                None
            }
        },
        None => None,
    };
    let start_typed = start_typed?;
    let (all_day, start_local, starts_at) = match start_typed {
        Typed::Day(day) => {
            let local = day.and_time(NaiveTime::MIN);
            (true, local, recurrence::resolve(local, tz))
        }
        Typed::Clock { local, offset } => match typed_instant(local, offset, tz) {
            Ok(at) => (false, local, at),
            Err(text) => {
                v.push(FieldError::new("start", text));
                return None;
            }
        },
    };
    v.check(
        starts_at >= now - occurrences::PAST,
        "start",
        "Höchstens ein Jahr zurück.",
        "At most a year back.",
    );
    v.check(
        starts_at <= now + occurrences::HORIZON,
        "start",
        "Höchstens zwei Jahre im Voraus.",
        "At most two years ahead.",
    );
    let (end_local, ends_at) = match end_typed.and_then(|(_, t)| t) {
        None => (None, None),
        Some(Typed::Day(day)) if all_day => {
            let last = day.and_time(NaiveTime::MIN);
            let after = recurrence::resolve(last + Duration::days(1), tz);
            v.check(
                last >= start_local,
                "end",
                "Der letzte Tag darf nicht vor dem ersten liegen.",
                "The last day must not be before the first.",
            );
            (Some(last), Some(after))
        }
        Some(Typed::Clock { local, offset }) if !all_day => {
            match typed_instant(local, offset, tz) {
                Ok(at) => {
                    v.check(
                        at > starts_at,
                        "end",
                        "Muss nach dem Beginn liegen.",
                        "Must be after the start.",
                    );
                    (Some(local), Some(at))
                }
                Err(text) => {
                    v.push(FieldError::new("end", text));
                    return None;
                }
            }
        }
        Some(_) => {
            v.check(
                false,
                "end",
                "Wie der Beginn: ein Datum für ganztägige Veranstaltungen, sonst Datum mit Uhrzeit.",
                "Like the start: a date for all-day events, otherwise a date and time.",
            );
            return None;
        }
    };
    if let Some(ends_at) = ends_at {
        v.check(
            ends_at - starts_at <= occurrences::MAX_DURATION,
            "end",
            "Eine Veranstaltung dauert höchstens 14 Tage.",
            "An event lasts at most 14 days.",
        );
    }
    if !timing_ok {
        return None;
    }
    Some(Timing {
        all_day,
        start_local,
        end_local,
        starts_at,
        ends_at,
        rrule: rule.map(|r| r.to_rrule()),
    })
}

/// A new event, as asked for; its serialisation is the `Idempotency-Key` fingerprint.
#[derive(Clone, Debug, Serialize)]
pub struct NewEvent {
    pub title: String,
    pub description: String,
    pub category: EventCategory,
    pub organisation_id: Option<Uuid>,
    pub organiser_name: Option<String>,
    /// Empty: the whole town.
    pub district_ids: Vec<Uuid>,
    pub start: String,
    pub end: Option<String>,
    pub recurrence: Option<String>,
    pub place: Option<String>,
    pub location: Option<Location>,
    pub images: Vec<ImageRef>,
    pub notify: bool,
    pub draft: bool,
    /// The published news item that announces it (one event per item).
    pub news_id: Option<Uuid>,
}

/// `None` leaves a field; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct EventPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<EventCategory>,
    pub organisation_id: Option<Option<Uuid>>,
    pub organiser_name: Option<Option<String>>,
    pub district_ids: Option<Vec<Uuid>>,
    pub start: Option<String>,
    pub end: Option<Option<String>>,
    pub recurrence: Option<Option<String>>,
    pub place: Option<Option<String>>,
    pub location: Option<Option<Location>>,
    pub images: Option<Vec<ImageRef>>,
    pub notify: Option<bool>,
    pub draft: Option<bool>,
}

/// One date of a series cancelled or moved.
#[derive(Clone, Debug)]
pub struct OccurrenceChange {
    pub status: EventExceptionKind,
    /// Moved: the new start (and end), typed like an event's.
    pub start: Option<String>,
    pub end: Option<String>,
    pub reason: Option<String>,
}

/// An event with what its answers show.
#[derive(Clone, Debug)]
pub struct EventView {
    pub event: event::Model,
    pub district_ids: Vec<Uuid>,
    pub exceptions: Vec<event_exception::Model>,
    pub organisation: Option<organisation::Model>,
    pub images: Vec<ShownImage>,
}

impl EventView {
    pub fn is_public(&self) -> bool {
        self.event.publication == EventPublication::Published
    }

    pub fn location(&self) -> Option<Location> {
        Location::from_e6(self.event.lat_e6, self.event.lon_e6)
    }

    /// The stored local times, as shown: a date for all-day events.
    pub fn shown_local(&self, local: &str) -> String {
        if self.event.all_day {
            local.get(..10).unwrap_or(local).to_owned()
        } else {
            local.to_owned()
        }
    }

    fn relation(&self, actor: &Actor) -> Relation {
        Relation::of(actor, &self.district_ids, self.organisation.as_ref())
    }
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diese Veranstaltung gibt es nicht (mehr).",
        "No such event (any more).",
    ))
}

fn cancelled_already() -> DomainError {
    DomainError::Conflict(Text::new(
        "Die Veranstaltung ist abgesagt und kann nicht mehr geändert werden.",
        "The event is cancelled and can no longer be changed.",
    ))
}

/// Whether the caller may publish events at all (before anything is read).
fn is_publisher(actor: &Actor) -> bool {
    actor.is_admin()
        || actor.districts_as(Role::DistrictLeader).next().is_some()
        || actor.has(Role::OrganisationEditor)
}

async fn load_view(conn: &impl ConnectionTrait, ev: event::Model) -> DomainResult<EventView> {
    let district_ids = event_district::Entity::find()
        .select_only()
        .column(event_district::Column::DistrictId)
        .filter(event_district::Column::EventId.eq(ev.id))
        .order_by_asc(event_district::Column::DistrictId)
        .into_tuple()
        .all(conn)
        .await?;
    let exceptions = event_exception::Entity::find()
        .filter(event_exception::Column::EventId.eq(ev.id))
        .order_by_asc(event_exception::Column::OriginalAt)
        .all(conn)
        .await?;
    let organisation = match ev.organisation_id {
        Some(id) => organisation::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    let images = media::shown_by_one(conn, ThingKind::Event, ev.id).await?;
    Ok(EventView {
        event: ev,
        district_ids,
        exceptions,
        organisation,
        images,
    })
}

/// Reads an event for a change, its row locked on PostgreSQL until the commit.
async fn load_for_update(txn: &DatabaseTransaction, id: Uuid) -> DomainResult<EventView> {
    let ev = db::locked(event::Entity::find_by_id(id), txn)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    load_view(txn, ev).await
}

/// 404 when the caller may not even see it, 403 when they see it but may not do `op`.
fn require(actor: &Actor, view: &EventView, op: Op) -> DomainResult<()> {
    let relation = view.relation(actor);
    if permitted(op, relation) {
        Ok(())
    } else if view.is_public() || permitted(Op::SeeUnpublished, relation) {
        Err(DomainError::Forbidden)
    } else {
        Err(not_found())
    }
}

/// Checks the districts (known, at most ten, no duplicates kept) and the organisation.
async fn check_placement(
    conn: &impl ConnectionTrait,
    v: &mut Validator,
    district_ids: &[Uuid],
    organisation_id: Option<Uuid>,
) -> DomainResult<(Vec<Uuid>, Option<organisation::Model>)> {
    v.check(
        district_ids.len() <= DISTRICTS_MAX,
        "district_ids",
        "Höchstens 10 Ortsteile.",
        "At most 10 districts.",
    );
    let mut seen = HashSet::new();
    let mut districts: Vec<Uuid> = district_ids
        .iter()
        .copied()
        .filter(|d| seen.insert(*d))
        .collect();
    districts.sort();
    if !districts.is_empty() && districts.len() <= DISTRICTS_MAX {
        let known: HashSet<Uuid> = district::Entity::find()
            .select_only()
            .column(district::Column::Id)
            .filter(district::Column::Id.is_in(districts.clone()))
            .into_tuple()
            .all(conn)
            .await?
            .into_iter()
            .collect();
        for (index, id) in district_ids.iter().enumerate() {
            if !known.contains(id) {
                v.push(FieldError::new(
                    format!("district_ids[{index}]"),
                    Text::new("Diesen Ortsteil gibt es nicht.", "No such district."),
                ));
            }
        }
    }
    let organisation = match organisation_id {
        Some(id) => organisation::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    v.check(
        organisation_id.is_none() || organisation.is_some(),
        "organisation_id",
        "Diese Organisation gibt es nicht.",
        "No such organisation.",
    );
    Ok((districts, organisation))
}

/// A news item an event links to: published (what the link shows residents), and not yet
/// linked to another event.
async fn check_news_link(
    conn: &impl ConnectionTrait,
    v: &mut Validator,
    news_id: Uuid,
) -> DomainResult<()> {
    let published = news_item::Entity::find_by_id(news_id)
        .one(conn)
        .await?
        .is_some_and(|item| item.status == NewsStatus::Published);
    if !published {
        v.check(
            false,
            "news_id",
            "Diese Meldung gibt es nicht, oder sie ist nicht veröffentlicht.",
            "No such published news item.",
        );
        return Ok(());
    }
    let linked = event::Entity::find()
        .filter(event::Column::NewsId.eq(news_id))
        .one(conn)
        .await?
        .is_some();
    if linked {
        v.push(news_taken());
    }
    Ok(())
}

fn news_taken() -> FieldError {
    FieldError::new(
        "news_id",
        Text::new(
            "Zu dieser Meldung gibt es schon eine Veranstaltung.",
            "This news item already has an event.",
        ),
    )
}

fn check_texts(
    v: &mut Validator,
    title: &str,
    description: &str,
    organiser_name: Option<&str>,
    place: Option<&str>,
) {
    v.text("title", title, TITLE_MAX);
    v.optional_text("description", Some(description), DESCRIPTION_MAX);
    v.optional_text("organiser_name", organiser_name, ORGANISER_MAX);
    v.optional_text("place", place, PLACE_MAX);
}

fn required_reason(v: &mut Validator, reason: &str) {
    v.text("reason", reason, REASON_MAX);
}

async fn write_districts(
    conn: &impl ConnectionTrait,
    id: Uuid,
    districts: &[Uuid],
) -> Result<(), sea_orm::DbErr> {
    event_district::Entity::delete_many()
        .filter(event_district::Column::EventId.eq(id))
        .exec(conn)
        .await?;
    if districts.is_empty() {
        return Ok(());
    }
    event_district::Entity::insert_many(districts.iter().map(|d| event_district::ActiveModel {
        event_id: Set(id),
        district_id: Set(*d),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Rewrites the calendar rows of a changed event, records how far they reach, and queues its
/// reminders for the next date.
async fn project(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    view: &mut EventView,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    schedule_reminders(conn, clock, &view.event, &view.exceptions, now).await?;
    let until =
        occurrences::sync(conn, &view.event, &view.district_ids, &view.exceptions, now).await?;
    if view.event.expanded_until != until {
        let mut row: event::ActiveModel = view.event.clone().into();
        row.expanded_until = Set(until);
        view.event = row.update(conn).await?;
    }
    Ok(())
}

/// Writes a change of the event with its `SEQUENCE` raised, reads it back with its districts
/// and exceptions, and rewrites its calendar rows: the end of every change but the big
/// [`update`].
async fn write_change(
    txn: &DatabaseTransaction,
    clock: &SharedClock,
    mut row: event::ActiveModel,
    sequence: i32,
    now: DateTime<Utc>,
) -> DomainResult<EventView> {
    row.sequence = Set(sequence + 1);
    row.updated_at = Set(now);
    let updated = row.update(txn).await?;
    let mut view = load_view(txn, updated).await?;
    project(txn, clock, &mut view, now).await?;
    Ok(view)
}

/// The announcement of an event that goes live with `notify`: like a news item of the
/// category `event`, to those who follow it in the event's districts.
async fn announce(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    view: &EventView,
) -> DomainResult<()> {
    let ev = &view.event;
    let tz: Tz = ev.tz.parse().unwrap_or(chrono_tz::UTC);
    let when = if ev.all_day {
        ev.starts_at
            .with_timezone(&tz)
            .format("%d.%m.%Y")
            .to_string()
    } else {
        ev.starts_at
            .with_timezone(&tz)
            .format("%d.%m.%Y, %H:%M Uhr")
            .to_string()
    };
    let body = match &ev.place {
        Some(place) => format!("{when}, {place}"),
        None => when,
    };
    notices::enqueue(
        conn,
        clock,
        Notice {
            kind: NoticeKind::EventNew,
            title: ev.title.clone(),
            body,
            target: Target::Event { id: ev.id },
            audience: Audience::Districts {
                districts: view.district_ids.clone(),
                category: NewsCategory::Event,
            },
            urgency: Urgency::Normal,
            topic: None,
            not_before: None,
        },
    )
    .await?;
    Ok(())
}

/// Publishes an event (or keeps it as a draft). Admins anywhere (also for the whole town),
/// district leaders for districts they lead, an organisation's editors under its name in its
/// district.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    tz: Tz,
    actor: &Actor,
    input: NewEvent,
    claim: Option<&idempotency::Claim>,
    per_hour: u32,
) -> DomainResult<EventView> {
    if !is_publisher(actor) {
        return Err(DomainError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        // A retry: the first request's event stands (it may have been deleted meanwhile).
        let id = answer.resource_id.ok_or_else(not_found)?;
        let ev = event::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(not_found)?;
        let view = load_view(&txn, ev).await?;
        txn.commit().await?;
        return Ok(view);
    }
    let now = clock.now();
    let mut v = Validator::new();
    let organiser_name = crate::normalize_optional(input.organiser_name);
    let place = crate::normalize_optional(input.place);
    check_texts(
        &mut v,
        &input.title,
        &input.description,
        organiser_name.as_deref(),
        place.as_deref(),
    );
    check_location(&mut v, input.location);
    let timing = check_timing(
        &mut v,
        tz,
        now,
        &input.start,
        input.end.as_deref(),
        input.recurrence.as_deref(),
    );
    let (districts, organisation) =
        check_placement(&txn, &mut v, &input.district_ids, input.organisation_id).await?;
    if let Some(news_id) = input.news_id {
        check_news_link(&txn, &mut v, news_id).await?;
    }
    v.finish()?;
    let Some(timing) = timing else {
        return Err(DomainError::Internal(
            "timing checked without an error".into(),
        ));
    };
    if !permitted(
        Op::Create,
        Relation::of(actor, &districts, organisation.as_ref()),
    ) {
        return Err(DomainError::Forbidden);
    }
    media::check_refs(&txn, actor, None, &input.images).await?;
    crate::quotas::lock(&txn, &format!("events:{}", actor.user_id)).await?;
    let recent: Vec<DateTime<Utc>> = event::Entity::find()
        .select_only()
        .column(event::Column::CreatedAt)
        .filter(event::Column::CreatedBy.eq(actor.user_id))
        .filter(event::Column::CreatedAt.gt(now - crate::quotas::HOUR))
        .order_by_asc(event::Column::CreatedAt)
        .into_tuple()
        .all(&txn)
        .await?;
    crate::quotas::check_hourly(&recent, per_hour, now, || {
        Text::new(
            format!("Höchstens {per_hour} neue Veranstaltungen pro Stunde."),
            format!("At most {per_hour} new events an hour."),
        )
    })?;
    let ev = event::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(input.title.trim().to_owned()),
        description: Set(input.description.trim_end().to_owned()),
        category: Set(input.category),
        status: Set(EventStatus::Scheduled),
        publication: Set(if input.draft {
            EventPublication::Draft
        } else {
            EventPublication::Published
        }),
        unpublished_reason: Set(None),
        organisation_id: Set(organisation.as_ref().map(|o| o.id)),
        organiser_name: Set(organiser_name),
        news_id: Set(input.news_id),
        all_day: Set(timing.all_day),
        tz: Set(tz.name().to_owned()),
        start_local: Set(stored(timing.start_local)),
        end_local: Set(timing.end_local.map(stored)),
        starts_at: Set(timing.starts_at),
        ends_at: Set(timing.ends_at),
        rrule: Set(timing.rrule),
        moved_from_local: Set(None),
        moved_from_at: Set(None),
        cancelled_at: Set(None),
        cancel_reason: Set(None),
        place: Set(place),
        lat_e6: Set(input.location.map(|l| to_e6(l.lat))),
        lon_e6: Set(input.location.map(|l| to_e6(l.lon))),
        sequence: Set(0),
        notify: Set(input.notify),
        expanded_until: Set(None),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        // Two organisers linking the same item at once: the unique key decides.
        if crate::is_unique_violation(&err) {
            DomainError::Validation(vec![news_taken()])
        } else {
            err.into()
        }
    })?;
    write_districts(&txn, ev.id, &districts).await?;
    media::attach(&txn, clock, Thing::Event(ev.id), &input.images).await?;
    let mut view = load_view(&txn, ev).await?;
    project(&txn, clock, &mut view, now).await?;
    if view.is_public() && view.event.notify {
        announce(&txn, clock, &view).await?;
    }
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(view.event.id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// One event: public once published; a draft or an unpublished event only for its
/// organisers, the district's leaders and admins (404 for everyone else).
pub async fn get(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<EventView> {
    let ev = event::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let view = load_view(conn, ev).await?;
    if view.is_public() || actor.is_some_and(|a| permitted(Op::SeeUnpublished, view.relation(a))) {
        Ok(view)
    } else {
        Err(not_found())
    }
}

/// Who may see the photos an event shows.
pub(crate) async fn photo_sight(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<Sight> {
    match get(conn, actor, id).await {
        Ok(view) if view.is_public() => Ok(Sight::Everyone),
        Ok(_) => Ok(Sight::Caller),
        Err(DomainError::NotFound(_)) => Ok(Sight::Nobody),
        Err(other) => Err(other),
    }
}

/// Changes an event. A new time for a published single event makes it `moved` and keeps the
/// old time; a new time or rule for a series replaces the series and drops its exceptions.
/// `if_match` says whether the version the caller read is current (412 otherwise).
pub async fn update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    patch: EventPatch,
    if_match: impl Fn(&EventView) -> bool,
) -> DomainResult<EventView> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let current = load_for_update(&txn, id).await?;
    require(actor, &current, Op::Edit)?;
    if !if_match(&current) {
        return Err(DomainError::PreconditionFailed);
    }
    let ev = &current.event;
    if ev.status == EventStatus::Cancelled {
        return Err(cancelled_already());
    }
    let tz: Tz = ev.tz.parse().unwrap_or(chrono_tz::UTC);
    let shown = |local: &str| current.shown_local(local);
    let title = patch.title.unwrap_or_else(|| ev.title.clone());
    let description = patch.description.unwrap_or_else(|| ev.description.clone());
    let organiser_name = match patch.organiser_name {
        Some(value) => crate::normalize_optional(value),
        None => ev.organiser_name.clone(),
    };
    let place = match patch.place {
        Some(value) => crate::normalize_optional(value),
        None => ev.place.clone(),
    };
    let location = patch.location.unwrap_or_else(|| current.location());
    let start = patch.start.unwrap_or_else(|| shown(&ev.start_local));
    let end = patch
        .end
        .unwrap_or_else(|| ev.end_local.as_deref().map(shown));
    let recurrence = patch.recurrence.unwrap_or_else(|| ev.rrule.clone());
    let mut v = Validator::new();
    check_texts(
        &mut v,
        &title,
        &description,
        organiser_name.as_deref(),
        place.as_deref(),
    );
    check_location(&mut v, location);
    // A time that stays as it was is not checked against today again (a series that began
    // more than a year ago keeps its start).
    let timing = check_timing(
        &mut v,
        tz,
        now.min(ev.starts_at + occurrences::PAST),
        &start,
        end.as_deref(),
        recurrence.as_deref(),
    );
    let (districts, organisation) = check_placement(
        &txn,
        &mut v,
        patch
            .district_ids
            .as_deref()
            .unwrap_or(&current.district_ids),
        patch.organisation_id.unwrap_or(ev.organisation_id),
    )
    .await?;
    let publication = match (ev.publication, patch.draft) {
        (EventPublication::Published, Some(true)) => {
            v.check(
                false,
                "draft",
                "Die Veranstaltung ist schon veröffentlicht. Zum Zurückziehen bitte absagen.",
                "The event is already published. Cancel it to withdraw it.",
            );
            ev.publication
        }
        (EventPublication::Draft, Some(false)) => EventPublication::Published,
        (EventPublication::Unpublished, Some(false)) => {
            // Back on the calendar only by those who may take it down.
            if !permitted(Op::Unpublish, current.relation(actor)) {
                return Err(DomainError::Forbidden);
            }
            EventPublication::Published
        }
        (publication, _) => publication,
    };
    v.finish()?;
    let Some(timing) = timing else {
        return Err(DomainError::Internal(
            "timing checked without an error".into(),
        ));
    };
    if !permitted(
        Op::Create,
        Relation::of(actor, &districts, organisation.as_ref()),
    ) {
        return Err(DomainError::Forbidden);
    }
    if let Some(images) = &patch.images {
        media::check_refs(&txn, actor, Some(Thing::Event(id)), images).await?;
        media::attach(&txn, clock, Thing::Event(id), images).await?;
    }
    let new_start = stored(timing.start_local);
    let new_end = timing.end_local.map(stored);
    let time_changed = new_start != ev.start_local
        || new_end != ev.end_local
        || timing.rrule != ev.rrule
        || timing.all_day != ev.all_day;
    let mut row: event::ActiveModel = ev.clone().into();
    row.title = Set(title.trim().to_owned());
    row.description = Set(description.trim_end().to_owned());
    if let Some(category) = patch.category {
        row.category = Set(category);
    }
    row.organisation_id = Set(organisation.as_ref().map(|o| o.id));
    row.organiser_name = Set(organiser_name);
    row.place = Set(place);
    row.lat_e6 = Set(location.map(|l| to_e6(l.lat)));
    row.lon_e6 = Set(location.map(|l| to_e6(l.lon)));
    if let Some(notify) = patch.notify {
        row.notify = Set(notify);
    }
    row.publication = Set(publication);
    if publication == EventPublication::Published {
        row.unpublished_reason = Set(None);
    }
    let mut exceptions = current.exceptions.clone();
    if time_changed {
        // A published single event that gets a new time has moved: the old time stays shown.
        if ev.publication == EventPublication::Published
            && ev.rrule.is_none()
            && timing.rrule.is_none()
        {
            row.status = Set(EventStatus::Moved);
            row.moved_from_local = Set(Some(ev.start_local.clone()));
            row.moved_from_at = Set(Some(ev.starts_at));
        }
        if ev.rrule.is_some() || timing.rrule.is_some() {
            // The dates the exceptions named are gone with the old rule.
            event_exception::Entity::delete_many()
                .filter(event_exception::Column::EventId.eq(id))
                .exec(&txn)
                .await?;
            exceptions.clear();
        }
        row.all_day = Set(timing.all_day);
        row.start_local = Set(new_start);
        row.end_local = Set(new_end);
        row.starts_at = Set(timing.starts_at);
        row.ends_at = Set(timing.ends_at);
        row.rrule = Set(timing.rrule);
    }
    row.sequence = Set(ev.sequence + 1);
    row.updated_at = Set(now);
    let went_live =
        ev.publication == EventPublication::Draft && publication == EventPublication::Published;
    let updated = row.update(&txn).await?;
    write_districts(&txn, id, &districts).await?;
    let mut view = load_view(&txn, updated).await?;
    view.exceptions = exceptions;
    project(&txn, clock, &mut view, now).await?;
    if went_live && view.event.notify {
        announce(&txn, clock, &view).await?;
    }
    if time_changed && ev.publication == EventPublication::Published {
        let shown = |at: DateTime<Utc>| messages::when(at, tz, view.event.all_day);
        let told = if view.event.rrule.is_some() {
            let next = occurrences::dates(&view.event, &[], now, now + occurrences::HORIZON, 1)
                .first()
                .map_or(view.event.starts_at, |d| d.starts_at);
            messages::new_dates(&view.event.title, &shown(next))
        } else {
            messages::moved(
                &view.event.title,
                &shown(view.event.starts_at),
                &messages::when(ev.starts_at, tz, ev.all_day),
            )
        };
        tell_followers(&txn, clock, &view.event, told).await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// Cancels the whole event (every date of a series). It stays visible, marked cancelled.
pub async fn cancel(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    reason: String,
) -> DomainResult<EventView> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let current = load_for_update(&txn, id).await?;
    require(actor, &current, Op::Edit)?;
    let mut v = Validator::new();
    required_reason(&mut v, &reason);
    v.finish()?;
    if current.event.status == EventStatus::Cancelled {
        return Err(DomainError::Conflict(Text::new(
            "Die Veranstaltung ist schon abgesagt.",
            "The event is already cancelled.",
        )));
    }
    let mut row: event::ActiveModel = current.event.clone().into();
    row.status = Set(EventStatus::Cancelled);
    row.cancelled_at = Set(Some(now));
    row.cancel_reason = Set(Some(reason.trim().to_owned()));
    tell_followers(
        &txn,
        clock,
        &current.event,
        messages::cancelled(&current.event.title, reason.trim()),
    )
    .await?;
    let view = write_change(&txn, clock, row, current.event.sequence, now).await?;
    txn.commit().await?;
    Ok(view)
}

/// Takes a published event off every calendar (moderation): a district leader of one of its
/// districts, or an admin. The reason is kept for its organisers.
pub async fn unpublish(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    reason: String,
) -> DomainResult<EventView> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let current = load_for_update(&txn, id).await?;
    require(actor, &current, Op::Unpublish)?;
    let mut v = Validator::new();
    required_reason(&mut v, &reason);
    v.finish()?;
    if current.event.publication != EventPublication::Published {
        return Err(DomainError::Conflict(Text::new(
            "Die Veranstaltung ist nicht veröffentlicht.",
            "The event is not published.",
        )));
    }
    let mut row: event::ActiveModel = current.event.clone().into();
    row.publication = Set(EventPublication::Unpublished);
    row.unpublished_reason = Set(Some(reason.trim().to_owned()));
    let view = write_change(&txn, clock, row, current.event.sequence, now).await?;
    // The person who wrote it learns why it is gone (unless they took it down themselves).
    if let Some(author) = current.event.created_by.filter(|a| *a != actor.user_id) {
        let (title, body) = messages::taken_down(&current.event.title, reason.trim());
        notices::enqueue(
            &txn,
            clock,
            Notice {
                kind: NoticeKind::EventUpdate,
                title,
                body,
                target: Target::Event { id },
                audience: Audience::User(author),
                urgency: Urgency::Normal,
                topic: None,
                not_before: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// Deletes a draft. A published event is cancelled instead (those who saw it are told).
pub async fn delete(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    if_match: impl Fn(&EventView) -> bool,
) -> DomainResult<()> {
    let txn = db::begin_write(db).await?;
    let current = load_for_update(&txn, id).await?;
    require(actor, &current, Op::Delete)?;
    if !if_match(&current) {
        return Err(DomainError::PreconditionFailed);
    }
    if current.event.publication != EventPublication::Draft {
        return Err(DomainError::Conflict(Text::new(
            "Nur Entwürfe können gelöscht werden; eine veröffentlichte Veranstaltung bitte absagen.",
            "Only drafts can be deleted; cancel a published event.",
        )));
    }
    media::attach(&txn, clock, Thing::Event(id), &[]).await?;
    event::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Reads the `original` of an occurrence as a path names it: `20270406T190000` (a timed
/// series) or `20270406` (an all-day one).
pub fn parse_original(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y%m%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })
        .filter(|local| YEARS.contains(&local.year()))
}

/// 404 for a date the series does not have (also for a path that names no date at all).
pub fn no_such_date() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diesen Termin hat die Veranstaltung nicht.",
        "The event has no such date.",
    ))
}

/// Cancels or moves one date of a series (again: replaces what was said of that date).
pub async fn set_occurrence(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    original: NaiveDateTime,
    change: OccurrenceChange,
) -> DomainResult<EventView> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let current = load_for_update(&txn, id).await?;
    require(actor, &current, Op::Edit)?;
    let ev = &current.event;
    if ev.rrule.is_none() {
        return Err(DomainError::Conflict(Text::new(
            "Nur einzelne Termine einer Serie; eine einzelne Veranstaltung bitte ändern oder absagen.",
            "Only dates of a series; change or cancel a single event.",
        )));
    }
    if ev.status == EventStatus::Cancelled {
        return Err(cancelled_already());
    }
    let tz: Tz = ev.tz.parse().unwrap_or(chrono_tz::UTC);
    let original_at = recurrence::resolve(original, tz);
    let is_date = occurrences::dates(ev, &[], original_at, original_at + Duration::seconds(1), 1)
        .first()
        .is_some_and(|d| d.original_local == original);
    if !is_date {
        return Err(no_such_date());
    }
    let mut v = Validator::new();
    let reason = crate::normalize_optional(change.reason);
    v.optional_text("reason", reason.as_deref(), REASON_MAX);
    let moved = match change.status {
        EventExceptionKind::Cancelled => None,
        EventExceptionKind::Moved => {
            let Some(start) = change.start.as_deref() else {
                v.check(
                    false,
                    "start",
                    "Der neue Beginn fehlt.",
                    "The new start is missing.",
                );
                v.finish()?;
                return Err(no_such_date());
            };
            // Without an end: the series' duration from the new start.
            let end = match change.end {
                Some(end) => Some(end),
                None => ev.end_local.as_ref().map(|end| {
                    let typed = parse_local(start);
                    let duration = parse_stored(end) - parse_stored(&ev.start_local);
                    match typed {
                        Some(Typed::Clock { local, .. }) => stored(local + duration),
                        Some(Typed::Day(day)) => (day + duration).to_string(),
                        None => String::new(),
                    }
                }),
            };
            check_timing(
                &mut v,
                tz,
                now - occurrences::PAST,
                start,
                end.as_deref(),
                None,
            )
        }
    };
    v.finish()?;
    if let Some(timing) = &moved {
        v = Validator::new();
        v.check(
            timing.all_day == ev.all_day,
            "start",
            "Wie die Serie: ganztägig mit Datum, sonst Datum mit Uhrzeit.",
            "Like the series: all-day with a date, otherwise a date and time.",
        );
        v.finish()?;
    }
    let original_local = stored(original);
    let existing = event_exception::Entity::find()
        .filter(event_exception::Column::EventId.eq(id))
        .filter(event_exception::Column::OriginalLocal.eq(&original_local))
        .one(&txn)
        .await?;
    let is_new = existing.is_none();
    let mut row = match existing {
        Some(found) => found.into(),
        None => event_exception::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(id),
            original_local: Set(original_local),
            original_at: Set(original_at),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.kind = Set(change.status);
    row.start_local = Set(moved.as_ref().map(|t| stored(t.start_local)));
    row.end_local = Set(moved.as_ref().and_then(|t| t.end_local.map(stored)));
    row.starts_at = Set(moved.as_ref().map(|t| t.starts_at));
    row.ends_at = Set(moved.as_ref().and_then(|t| t.ends_at));
    row.reason = Set(reason);
    row.updated_at = Set(now);
    if is_new {
        row.insert(&txn).await?;
    } else {
        row.update(&txn).await?;
    }
    let view = write_change(&txn, clock, ev.clone().into(), ev.sequence, now).await?;
    let date = messages::when(original_at, tz, ev.all_day);
    let told = match &moved {
        None => {
            let reason = view
                .exceptions
                .iter()
                .find(|x| x.original_at == original_at)
                .and_then(|x| x.reason.clone());
            messages::date_cancelled(&ev.title, &date, reason.as_deref())
        }
        Some(timing) => messages::date_moved(
            &ev.title,
            &date,
            &messages::when(timing.starts_at, tz, timing.all_day),
        ),
    };
    tell_followers(&txn, clock, &view.event, told).await?;
    txn.commit().await?;
    Ok(view)
}

/// Undoes what was said of one date: it takes place as the series says.
pub async fn restore_occurrence(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    original: NaiveDateTime,
) -> DomainResult<EventView> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let current = load_for_update(&txn, id).await?;
    require(actor, &current, Op::Edit)?;
    if current.event.status == EventStatus::Cancelled {
        return Err(cancelled_already());
    }
    let removed = event_exception::Entity::delete_many()
        .filter(event_exception::Column::EventId.eq(id))
        .filter(event_exception::Column::OriginalLocal.eq(stored(original)))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(no_such_date());
    }
    let view = write_change(
        &txn,
        clock,
        current.event.clone().into(),
        current.event.sequence,
        now,
    )
    .await?;
    let tz: Tz = view.event.tz.parse().unwrap_or(chrono_tz::UTC);
    let date = messages::when(recurrence::resolve(original, tz), tz, view.event.all_day);
    tell_followers(
        &txn,
        clock,
        &view.event,
        messages::date_restored(&view.event.title, &date),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Tops up the calendar of open-ended series: each published series whose projection ends
/// more than a day short of [`occurrences::HORIZON`] is projected again, at most 200 per call
/// (called by the hourly maintenance job). Returns how many were.
pub async fn extend_calendar(db: &DatabaseConnection, clock: &SharedClock) -> DomainResult<u64> {
    let now = clock.now();
    let due: Vec<Uuid> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::Publication.eq(EventPublication::Published))
        .filter(event::Column::ExpandedUntil.lt(now + occurrences::HORIZON - Duration::days(1)))
        .order_by_asc(event::Column::ExpandedUntil)
        .limit(200)
        .into_tuple()
        .all(db)
        .await?;
    let mut extended = 0;
    for id in due {
        let txn = db::begin_write(db).await?;
        // Changed or deleted meanwhile: its own write projected it.
        let Ok(mut view) = load_for_update(&txn, id).await else {
            continue;
        };
        if view.event.publication == EventPublication::Published {
            project(&txn, clock, &mut view, now).await?;
            extended += 1;
        }
        txn.commit().await?;
    }
    Ok(extended)
}

/// The job that reminds followers before each date (one per event and lead).
pub const REMIND_JOB: &str = "event.remind";

fn lead_time(lead: EventReminder) -> Duration {
    match lead {
        EventReminder::Hour => Duration::hours(1),
        _ => Duration::days(1),
    }
}

fn remind_key(id: Uuid, lead: EventReminder) -> String {
    format!("{REMIND_JOB}:{id}:{}", lead.as_str())
}

/// How late a reminder may run and still be about the date it was queued for.
const REMIND_SLACK: Duration = Duration::minutes(30);

/// The first date, not cancelled, that starts after `after`.
fn next_date(
    ev: &event::Model,
    exceptions: &[event_exception::Model],
    after: DateTime<Utc>,
) -> Option<occurrences::Dated> {
    occurrences::dates(
        ev,
        exceptions,
        after,
        after + occurrences::HORIZON,
        occurrences::PER_EVENT_MAX,
    )
    .into_iter()
    .filter(|d| d.status != EventStatus::Cancelled && d.starts_at > after)
    .min_by_key(|d| d.starts_at)
}

/// Queues the day and the hour reminder for the next date (replacing earlier ones); none for
/// an event that is not published or is cancelled.
async fn schedule_reminders(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    ev: &event::Model,
    exceptions: &[event_exception::Model],
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    for lead in [EventReminder::Day, EventReminder::Hour] {
        jobs::cancel(conn, &remind_key(ev.id, lead)).await?;
        if ev.publication != EventPublication::Published || ev.status == EventStatus::Cancelled {
            continue;
        }
        if let Some(date) = next_date(ev, exceptions, now + lead_time(lead)) {
            jobs::enqueue(
                conn,
                clock,
                NewJob::new(
                    REMIND_JOB,
                    serde_json::json!({ "event_id": ev.id, "lead": lead }),
                    date.starts_at - lead_time(lead),
                )
                .unique(remind_key(ev.id, lead)),
            )
            .await?;
        }
    }
    Ok(())
}

/// Tells the followers of a published event what changed: whatever categories they chose
/// (following is the more specific choice), quiet hours respected.
async fn tell_followers(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    ev: &event::Model,
    (title, body): (String, String),
) -> Result<(), sea_orm::DbErr> {
    if ev.publication != EventPublication::Published {
        return Ok(());
    }
    notices::enqueue(
        conn,
        clock,
        Notice {
            kind: NoticeKind::EventUpdate,
            title,
            body,
            target: Target::Event { id: ev.id },
            audience: Audience::EventFollowers(ev.id),
            urgency: Urgency::High,
            topic: None,
            not_before: None,
        },
    )
    .await?;
    Ok(())
}

/// An event that still takes place (published, not cancelled), with its exceptions: what a
/// reminder job reads before it tells anyone; `None` when there is nothing to remind of.
pub(crate) async fn taking_place(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(event::Model, Vec<event_exception::Model>)>, sea_orm::DbErr> {
    let Some(ev) = event::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if ev.publication != EventPublication::Published || ev.status == EventStatus::Cancelled {
        return Ok(None);
    }
    let exceptions = event_exception::Entity::find()
        .filter(event_exception::Column::EventId.eq(ev.id))
        .all(conn)
        .await?;
    Ok(Some((ev, exceptions)))
}

/// `event.remind`: reminds the followers who chose this lead of the date that is due, then
/// comes back for the next one.
pub async fn remind_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        event_id: Uuid,
        lead: EventReminder,
    }
    let payload: Payload = job.payload()?;
    let now = ctx.clock.now();
    let lead = lead_time(payload.lead);
    let Some((ev, exceptions)) = taking_place(&ctx.db, payload.event_id).await? else {
        return Ok(JobOutcome::Done);
    };
    // The date this run is for: the one starting about `lead` from now.
    if let Some(date) = next_date(&ev, &exceptions, now + lead - REMIND_SLACK)
        .filter(|d| d.starts_at <= now + lead + REMIND_SLACK)
    {
        let wanted = event_follower::Entity::find()
            .filter(event_follower::Column::EventId.eq(ev.id))
            .filter(event_follower::Column::Remind.eq(payload.lead))
            .one(&ctx.db)
            .await?
            .is_some();
        if wanted {
            let tz: Tz = ev.tz.parse().unwrap_or(chrono_tz::UTC);
            let (title, body) = messages::reminder(
                payload.lead,
                &ev.title,
                &messages::when(date.starts_at, tz, ev.all_day),
                ev.place.as_deref(),
            );
            notices::enqueue(
                &ctx.db,
                &ctx.clock,
                Notice {
                    kind: NoticeKind::EventReminder,
                    title,
                    body,
                    target: Target::Event { id: ev.id },
                    audience: Audience::EventReminded {
                        event: ev.id,
                        lead: payload.lead,
                    },
                    urgency: Urgency::Normal,
                    topic: None,
                    not_before: None,
                },
            )
            .await?;
        }
    }
    Ok(
        match next_date(&ev, &exceptions, now + lead + REMIND_SLACK) {
            Some(date) => JobOutcome::RetryAt(date.starts_at - lead),
            None => JobOutcome::Done,
        },
    )
}

/// Follows a published event ("interessiert"): told of every change, reminded before each
/// date as chosen. Again: changes the reminder.
pub async fn follow(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    remind: EventReminder,
) -> DomainResult<()> {
    let view = get(db, Some(actor), id).await?;
    if !view.is_public() {
        return Err(not_found());
    }
    event_follower::Entity::insert(event_follower::ActiveModel {
        event_id: Set(id),
        user_id: Set(actor.user_id),
        remind: Set(remind),
        created_at: Set(clock.now()),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            event_follower::Column::EventId,
            event_follower::Column::UserId,
        ])
        .update_column(event_follower::Column::Remind)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The events a person follows, with their titles (the export).
pub async fn followed_by(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> DomainResult<Vec<(event_follower::Model, String)>> {
    let follows = event_follower::Entity::find()
        .filter(event_follower::Column::UserId.eq(user_id))
        .order_by_asc(event_follower::Column::CreatedAt)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = follows.iter().map(|f| f.event_id).collect();
    let titles: std::collections::HashMap<Uuid, String> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::Title)
        .filter(event::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(follows
        .into_iter()
        .map(|f| {
            let title = titles.get(&f.event_id).cloned().unwrap_or_default();
            (f, title)
        })
        .collect())
}

/// Stops following (nothing to stop is fine too).
pub async fn unfollow(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> DomainResult<()> {
    event_follower::Entity::delete_many()
        .filter(event_follower::Column::EventId.eq(id))
        .filter(event_follower::Column::UserId.eq(actor.user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// How long before a date a ride to it may pick up (a long way from the far end of the town,
/// waiting at a doctor's on the way).
pub const RIDE_LEAD: Duration = Duration::hours(12);

/// What a ride booked to an event goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RideTarget {
    /// No such event the caller can see, or it is not published or cancelled.
    Unknown,
    /// None of its dates that take place lies within [`RIDE_LEAD`] after the pickup (or is
    /// under way at it).
    NotThen,
    /// That date: where and when.
    At {
        place: Option<String>,
        starts_at: DateTime<Utc>,
    },
}

/// The date of an event a ride picked up at `pickup_at` goes to.
pub async fn ride_target(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    pickup_at: DateTime<Utc>,
) -> DomainResult<RideTarget> {
    let view = match get(conn, Some(actor), id).await {
        Ok(view) => view,
        Err(DomainError::NotFound(_)) => return Ok(RideTarget::Unknown),
        Err(other) => return Err(other),
    };
    if !view.is_public() || view.event.status == EventStatus::Cancelled {
        return Ok(RideTarget::Unknown);
    }
    let date = occurrences::dates(
        &view.event,
        &view.exceptions,
        pickup_at - occurrences::MAX_DURATION,
        pickup_at + RIDE_LEAD + Duration::seconds(1),
        occurrences::PER_EVENT_MAX,
    )
    .into_iter()
    .filter(|d| {
        d.status != EventStatus::Cancelled
            && d.starts_at - RIDE_LEAD <= pickup_at
            && pickup_at <= d.ends_at.max(d.starts_at)
    })
    .min_by_key(|d| d.starts_at);
    Ok(match date {
        Some(date) => RideTarget::At {
            place: view.event.place.clone(),
            starts_at: date.starts_at,
        },
        None => RideTarget::NotThen,
    })
}

/// Only those who may change the event pass (its organisers, the leaders of all its
/// districts, admins); others get 403, or 404 where they may not see it. For what other
/// capabilities tell an event's organisers (`rides::booked_to_event`).
pub async fn require_organiser(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let view = get(conn, Some(actor), id).await?;
    require(actor, &view, Op::Edit)
}

/// How long a past event stays in the iCal feeds (calendar apps drop what disappears).
pub const FEED_PAST: Duration = Duration::days(90);
/// The most events one feed holds (the oldest go first).
pub const FEED_EVENTS_MAX: u64 = 5_000;

/// What a feed is made of, in a few values: two equal fingerprints mean the same feed, so a
/// rendered feed can be kept until the fingerprint moves. Every change of an event raises
/// its `sequence` (and touches `updated_at`); a new or deleted event changes the count; the
/// organisations' and the district's names are part of it; the day moves the [`FEED_PAST`]
/// window (so a past event leaves the feed within a day of falling out of it). A few
/// aggregate reads instead of the feed's queries and its rendering. `district` as in
/// [`feed`]; unknown: 404.
pub async fn feed_fingerprint(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    district: Option<&str>,
) -> DomainResult<String> {
    use sea_orm::sea_query::{Expr, Func};
    let place = match district {
        Some(slug) => {
            let d = district::Entity::find()
                .filter(district::Column::Slug.eq(slug))
                .one(conn)
                .await?
                .ok_or_else(no_such_district)?;
            format!("{}|{}", d.id, d.name)
        }
        None => "town".to_owned(),
    };
    let (count, sequences): (i64, Option<i64>) = event::Entity::find()
        .select_only()
        .expr_as(Func::count(Expr::col(event::Column::Id)), "count")
        .expr_as(Func::sum(Expr::col(event::Column::Sequence)), "sequences")
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or_default();
    let latest_event: Option<(Uuid, DateTime<Utc>)> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::UpdatedAt)
        .order_by_desc(event::Column::UpdatedAt)
        .order_by_desc(event::Column::Id)
        .into_tuple()
        .one(conn)
        .await?;
    // The feeds name organisations; there are a few dozen, so their names are read whole.
    let organisations: Vec<(Uuid, String)> = organisation::Entity::find()
        .select_only()
        .column(organisation::Column::Id)
        .column(organisation::Column::Name)
        .order_by_asc(organisation::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(format!(
        "{place}|{}|{count}|{}|{:?}|{:?}",
        now.date_naive(),
        sequences.unwrap_or(0),
        latest_event.map(|(id, at)| (id, at.timestamp_micros())),
        organisations,
    ))
}

fn no_such_district() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diesen Ortsteil gibt es nicht.",
        "No such district.",
    ))
}

/// One event of an iCal feed, with what the feed writes of it.
pub struct FeedEntry {
    pub event: event::Model,
    pub exceptions: Vec<event_exception::Model>,
    pub organisation_name: Option<String>,
}

/// The events of a district's feed (its own and the whole town's) or of the town's: every
/// published event with a date since [`FEED_PAST`], cancelled ones included (marked), in
/// order of start. `district` names the district by its slug; unknown: 404.
pub async fn feed(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    district: Option<&str>,
) -> DomainResult<(Option<district::Model>, Vec<FeedEntry>)> {
    use entity::event_occurrence::Column as O;
    let district = match district {
        Some(slug) => Some(
            district::Entity::find()
                .filter(district::Column::Slug.eq(slug))
                .one(conn)
                .await?
                .ok_or_else(no_such_district)?,
        ),
        None => None,
    };
    let placement = match &district {
        Some(d) => sea_orm::Condition::any()
            .add(O::DistrictId.eq(d.id))
            .add(O::DistrictId.is_null()),
        None => sea_orm::Condition::all().add(O::Listed.eq(true)),
    };
    // A subquery, not a list of ids: a town of 10,000 events stays one statement.
    let dated = sea_orm::QueryTrait::into_query(
        entity::event_occurrence::Entity::find()
            .select_only()
            .column(O::EventId)
            .filter(placement)
            .filter(O::EndsAt.gte(now - FEED_PAST)),
    );
    let mut events = event::Entity::find()
        .filter(event::Column::Id.in_subquery(dated))
        .filter(event::Column::Publication.eq(EventPublication::Published))
        .order_by_desc(event::Column::StartsAt)
        .order_by_desc(event::Column::Id)
        .limit(FEED_EVENTS_MAX)
        .all(conn)
        .await?;
    events.reverse();
    let event_ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut exceptions: std::collections::HashMap<Uuid, Vec<event_exception::Model>> =
        Default::default();
    for chunk in event_ids.chunks(500) {
        for x in event_exception::Entity::find()
            .filter(event_exception::Column::EventId.is_in(chunk.to_vec()))
            .order_by_asc(event_exception::Column::OriginalAt)
            .all(conn)
            .await?
        {
            exceptions.entry(x.event_id).or_default().push(x);
        }
    }
    let organisation_ids: Vec<Uuid> = events
        .iter()
        .filter_map(|e| e.organisation_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let names: std::collections::HashMap<Uuid, String> = if organisation_ids.is_empty() {
        Default::default()
    } else {
        organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(organisation_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    };
    let entries = events
        .into_iter()
        .map(|event| FeedEntry {
            exceptions: exceptions.remove(&event.id).unwrap_or_default(),
            organisation_name: event
                .organisation_id
                .and_then(|id| names.get(&id).cloned())
                .or_else(|| event.organiser_name.clone()),
            event,
        })
        .collect();
    Ok((district, entries))
}

/// A page of the calendar with the events its occurrences belong to (one query for the
/// occurrences, one for their events and one for their organisations).
pub struct CalendarPage {
    pub items: Vec<(
        entity::event_occurrence::Model,
        std::sync::Arc<event::Model>,
    )>,
    pub organisations: std::collections::HashMap<Uuid, organisation::Model>,
    pub more: bool,
}

/// The calendar: occurrences that meet `[from, to)`, at most a year at once and at most
/// [`occurrences::HORIZON`] ahead.
pub async fn calendar(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    query: occurrences::CalendarQuery,
) -> DomainResult<CalendarPage> {
    let mut v = Validator::new();
    v.check(
        query.to > query.from,
        "to",
        "Muss nach from liegen.",
        "Must be after from.",
    );
    v.check(
        query.to - query.from <= occurrences::SPAN_MAX,
        "to",
        "Höchstens ein Jahr auf einmal.",
        "At most a year at once.",
    );
    v.check(
        query.to <= clock.now() + occurrences::HORIZON + Duration::days(1),
        "to",
        "Höchstens zwei Jahre im Voraus.",
        "At most two years ahead.",
    );
    v.finish()?;
    let (rows, more) = occurrences::page(conn, &query).await?;
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|r| r.event_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let events: std::collections::HashMap<Uuid, std::sync::Arc<event::Model>> =
        event::Entity::find()
            .filter(event::Column::Id.is_in(ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|e| (e.id, std::sync::Arc::new(e)))
            .collect();
    let organisation_ids: Vec<Uuid> = events
        .values()
        .filter_map(|e| e.organisation_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let organisations = if organisation_ids.is_empty() {
        Default::default()
    } else {
        organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(organisation_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect()
    };
    let items = rows
        .into_iter()
        .filter_map(|row| events.get(&row.event_id).cloned().map(|e| (row, e)))
        .collect();
    Ok(CalendarPage {
        items,
        organisations,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("local")
    }

    #[test]
    fn typed_times_are_read_with_and_without_seconds_and_offsets() {
        assert_eq!(
            parse_local("2026-07-10"),
            Some(Typed::Day(
                NaiveDate::from_ymd_opt(2026, 7, 10).expect("date")
            ))
        );
        assert_eq!(
            parse_local("2027-04-06T19:00"),
            Some(Typed::Clock {
                local: local("2027-04-06T19:00"),
                offset: None
            })
        );
        assert_eq!(
            parse_local("2027-04-06T19:00:00"),
            parse_local("2027-04-06T19:00")
        );
        assert_eq!(
            parse_local("2026-10-25T02:30+01:00"),
            Some(Typed::Clock {
                local: local("2026-10-25T02:30"),
                offset: FixedOffset::east_opt(3600)
            })
        );
        assert_eq!(
            parse_local("2026-10-25T02:30Z"),
            Some(Typed::Clock {
                local: local("2026-10-25T02:30"),
                offset: FixedOffset::east_opt(0)
            })
        );
        for bad in [
            "",
            "morgen",
            "+262143-12-31",
            "99999-01-01",
            "1066-10-14",
            "2026-13-01",
            "2026-07-10T25:00",
            "2026-07-10T19:00+1",
            "2026-07-10 19:00",
        ] {
            assert_eq!(parse_local(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_typed_time_in_the_spring_gap_is_refused_and_one_in_the_autumn_hour_needs_its_offset() {
        assert!(typed_instant(local("2027-03-28T02:30"), None, BERLIN).is_err());
        assert!(typed_instant(local("2026-10-25T02:30"), None, BERLIN).is_err());
        assert_eq!(
            typed_instant(
                local("2026-10-25T02:30"),
                FixedOffset::east_opt(7200),
                BERLIN
            ),
            Ok(at("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            typed_instant(
                local("2026-10-25T02:30"),
                FixedOffset::east_opt(3600),
                BERLIN
            ),
            Ok(at("2026-10-25T01:30:00Z"))
        );
        assert_eq!(
            typed_instant(local("2027-04-06T19:00"), None, BERLIN),
            Ok(at("2027-04-06T17:00:00Z"))
        );
        // An offset that the zone does not have at that time.
        assert!(
            typed_instant(
                local("2027-04-06T19:00"),
                FixedOffset::east_opt(3600),
                BERLIN
            )
            .is_err()
        );
    }

    #[test]
    fn timing_is_checked_as_a_whole() {
        let now = at("2026-12-01T12:00:00Z");
        let mut v = Validator::new();
        let t = check_timing(
            &mut v,
            BERLIN,
            now,
            "2027-04-06T19:00",
            Some("2027-04-06T22:00"),
            Some("FREQ=WEEKLY;BYDAY=TU"),
        )
        .expect("timing");
        assert!(v.finish().is_ok());
        assert_eq!(t.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=TU"));
        assert_eq!(t.ends_at, Some(at("2027-04-06T20:00:00Z")));
        let refused = |start: &str, end: Option<&str>, rule: Option<&str>| {
            let mut v = Validator::new();
            let timing = check_timing(&mut v, BERLIN, now, start, end, rule);
            match v.finish() {
                Err(DomainError::Validation(errors)) => {
                    errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
                }
                _ => panic!("accepted {start} {end:?} {rule:?}: {timing:?}"),
            }
        };
        assert_eq!(
            refused("2027-04-06T19:00", Some("2027-04-06T18:00"), None),
            ["end"]
        );
        assert_eq!(
            refused("2027-04-06T19:00", Some("2027-04-26T18:00"), None),
            ["end"]
        );
        assert_eq!(
            refused("2027-04-06", Some("2027-04-06T18:00"), None),
            ["end"]
        );
        assert_eq!(refused("2027-03-28T02:30", None, None), ["start"]);
        assert_eq!(refused("2026-10-25T02:30", None, None), ["start"]);
        assert_eq!(
            refused("2027-04-06T19:00", None, Some("FREQ=SECONDLY")),
            ["recurrence"]
        );
        assert_eq!(
            refused("2027-04-06T19:00", None, Some("FREQ=WEEKLY;COUNT=1000000")),
            ["recurrence"]
        );
        assert_eq!(refused("2030-04-06T19:00", None, None), ["start"]);
        // All-day over three days: the end is the day after the last.
        let mut v = Validator::new();
        let t = check_timing(&mut v, BERLIN, now, "2027-07-10", Some("2027-07-12"), None)
            .expect("timing");
        assert!(t.all_day);
        assert_eq!(t.ends_at, Some(at("2027-07-12T22:00:00Z")));
    }
}
