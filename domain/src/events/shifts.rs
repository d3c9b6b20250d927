//! Helpers (Ehrenamt): an event asks for helpers in shifts ("Kuchenbuffet 14–16 Uhr, 3
//! gesucht"), residents sign up and withdraw, the organiser sees who and how to reach them,
//! the public sees counts only.
//!
//! A sign-up is a compare-and-set on the shift's `taken` (as a ride's acceptance): the
//! `UPDATE … WHERE taken < needed` either takes a place or finds none, so twenty people
//! tapping at once for three places get exactly three; the table's CHECK is the backstop.
//! Who may manage shifts is [`super::rules`]' `Edit`; signing up needs an account.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::{
    app_user, event, event_exception, event_follower, event_shift, event_signup,
    vocab::{EventPublication, EventReminder, EventStatus},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde::Serialize;
use uuid::Uuid;

use super::{Typed, messages, occurrences, parse_local, rules::Op, stored, typed_instant};
use crate::{
    DomainError, DomainResult, Validator,
    auth::Actor,
    clock::SharedClock,
    db, idempotency,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    notices::{self, Audience, Notice, NoticeKind, Target, Urgency},
    text::{FieldError, Text},
};

pub const TITLE_MAX: usize = 200;
/// The most helpers one shift asks for (a village festival needs dozens, never thousands).
pub const NEEDED_MAX: i32 = 100;
/// The most shifts one event has.
pub const SHIFTS_MAX: u64 = 30;
/// The longest shift.
pub const LENGTH_MAX: Duration = Duration::hours(24);
/// How far a shift may lie outside a date of its event: setting up the day before, clearing
/// up the day after.
pub const SLACK: Duration = Duration::days(1);
/// When helpers are reminded: the day before.
pub const REMIND_LEAD: Duration = Duration::hours(24);
pub const REMIND_JOB: &str = "event.shift_remind";

/// A new shift; its serialisation is the `Idempotency-Key` fingerprint.
#[derive(Clone, Debug, Serialize)]
pub struct NewShift {
    pub title: String,
    /// Local, like an event's (`2027-05-23T14:00`).
    pub start: String,
    pub end: String,
    pub needed: i32,
}

/// `None` leaves a field.
#[derive(Clone, Debug, Default)]
pub struct ShiftPatch {
    pub title: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub needed: Option<i32>,
}

/// A shift as a caller sees it.
#[derive(Clone, Debug)]
pub struct ShiftView {
    pub shift: event_shift::Model,
    /// The caller holds a place on it.
    pub signed_up: bool,
}

/// One helper, as the organiser sees them.
#[derive(Clone, Debug)]
pub struct Helper {
    pub shift_id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub phone: String,
    pub signed_up_at: DateTime<Utc>,
}

/// One of the caller's own shifts.
#[derive(Clone, Debug)]
pub struct OwnShift {
    pub shift: event_shift::Model,
    pub event_title: String,
    pub phone: String,
    pub signed_up_at: DateTime<Utc>,
}

fn no_shift() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diese Schicht gibt es nicht (mehr).",
        "No such shift (any more).",
    ))
}

fn over() -> DomainError {
    DomainError::Conflict(Text::new(
        "Diese Schicht hat schon begonnen.",
        "This shift has already begun.",
    ))
}

fn the_event_is_cancelled() -> DomainError {
    DomainError::Conflict(Text::new(
        "Die Veranstaltung ist abgesagt.",
        "The event is cancelled.",
    ))
}

fn remind_key(shift: Uuid) -> String {
    format!("{REMIND_JOB}:{shift}")
}

/// Whether a shift starting at `at` lies at a date of the event that takes place (within
/// [`SLACK`] of it).
fn at_a_date(ev: &event::Model, exceptions: &[event_exception::Model], at: DateTime<Utc>) -> bool {
    occurrences::dates(
        ev,
        exceptions,
        at - occurrences::MAX_DURATION - SLACK,
        at + SLACK + Duration::seconds(1),
        64,
    )
    .iter()
    .any(|d| {
        d.status != EventStatus::Cancelled && d.starts_at - SLACK <= at && at <= d.ends_at + SLACK
    })
}

/// Reads a shift's typed times in the event's zone; records what is wrong in `v`.
fn check_times(
    v: &mut Validator,
    view: &super::EventView,
    now: DateTime<Utc>,
    start: &str,
    end: &str,
) -> Option<(String, String, DateTime<Utc>, DateTime<Utc>)> {
    let tz: Tz = view.event.tz.parse().unwrap_or(chrono_tz::UTC);
    let mut read = |field: &str, text: &str| match parse_local(text) {
        Some(Typed::Clock { local, offset }) => match typed_instant(local, offset, tz) {
            Ok(at) => Some((local, at)),
            Err(why) => {
                v.push(FieldError::new(field, why));
                None
            }
        },
        _ => {
            v.check(
                false,
                field,
                "Datum mit Uhrzeit in Ortszeit, z. B. 2027-05-23T14:00.",
                "A local date and time, e.g. 2027-05-23T14:00.",
            );
            None
        }
    };
    let start = read("start", start);
    let end = read("end", end);
    let ((start_local, starts_at), (end_local, ends_at)) = (start?, end?);
    v.check(
        ends_at > starts_at,
        "end",
        "Muss nach dem Beginn liegen.",
        "Must be after the start.",
    );
    v.check(
        ends_at - starts_at <= LENGTH_MAX,
        "end",
        "Eine Schicht dauert höchstens 24 Stunden.",
        "A shift lasts at most 24 hours.",
    );
    v.check(
        starts_at > now,
        "start",
        "Liegt in der Vergangenheit.",
        "Lies in the past.",
    );
    v.check(
        at_a_date(&view.event, &view.exceptions, starts_at),
        "start",
        "Die Schicht muss an einem Termin der Veranstaltung liegen (oder am Tag davor oder danach).",
        "The shift must lie at a date of the event (or the day before or after).",
    );
    Some((stored(start_local), stored(end_local), starts_at, ends_at))
}

fn check_needed(v: &mut Validator, needed: i32) {
    if !(1..=NEEDED_MAX).contains(&needed) {
        v.push(FieldError::new(
            "needed",
            Text::new(
                format!("Zwischen 1 und {NEEDED_MAX} Helfende."),
                format!("Between 1 and {NEEDED_MAX} helpers."),
            ),
        ));
    }
}

/// Queues the reminder the day before (replacing an earlier one); none when that is past.
async fn schedule_reminder(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    shift: &event_shift::Model,
) -> Result<(), sea_orm::DbErr> {
    let key = remind_key(shift.id);
    jobs::cancel(conn, &key).await?;
    let due = shift.starts_at - REMIND_LEAD;
    if due > clock.now() {
        jobs::enqueue(
            conn,
            clock,
            NewJob::new(REMIND_JOB, serde_json::json!({ "shift_id": shift.id }), due).unique(key),
        )
        .await?;
    }
    Ok(())
}

/// Reads a shift of an event, its row locked on PostgreSQL until the commit.
async fn load_shift(
    conn: &impl ConnectionTrait,
    event_id: Uuid,
    shift_id: Uuid,
) -> DomainResult<event_shift::Model> {
    db::locked(event_shift::Entity::find_by_id(shift_id), conn)
        .one(conn)
        .await?
        .filter(|s| s.event_id == event_id)
        .ok_or_else(no_shift)
}

/// The shifts of an event the caller may see, in order, with whether the caller holds a place.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    event_id: Uuid,
) -> DomainResult<Vec<ShiftView>> {
    super::get(conn, actor, event_id).await?;
    let shifts = event_shift::Entity::find()
        .filter(event_shift::Column::EventId.eq(event_id))
        .order_by_asc(event_shift::Column::StartsAt)
        .order_by_asc(event_shift::Column::Id)
        .all(conn)
        .await?;
    let mine: Vec<Uuid> = match actor {
        Some(actor) => {
            event_signup::Entity::find()
                .select_only()
                .column(event_signup::Column::ShiftId)
                .filter(event_signup::Column::UserId.eq(actor.user_id))
                .filter(event_signup::Column::ShiftId.is_in(shifts.iter().map(|s| s.id)))
                .into_tuple()
                .all(conn)
                .await?
        }
        None => Vec::new(),
    };
    Ok(shifts
        .into_iter()
        .map(|shift| ShiftView {
            signed_up: mine.contains(&shift.id),
            shift,
        })
        .collect())
}

/// Asks for helpers: the event's organisers, leaders of all its districts, admins. The shift
/// lies at a date of the event that takes place; at most [`SHIFTS_MAX`] per event.
pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    event_id: Uuid,
    input: NewShift,
    claim: Option<&idempotency::Claim>,
) -> DomainResult<event_shift::Model> {
    let txn = db::begin_write(db).await?;
    let view = super::load_for_update(&txn, event_id).await?;
    super::require(actor, &view, Op::Edit)?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        let id = answer.resource_id.ok_or_else(no_shift)?;
        let shift = load_shift(&txn, event_id, id).await?;
        txn.commit().await?;
        return Ok(shift);
    }
    if view.event.status == EventStatus::Cancelled {
        return Err(super::cancelled_already());
    }
    let now = clock.now();
    let mut v = Validator::new();
    v.text("title", &input.title, TITLE_MAX);
    check_needed(&mut v, input.needed);
    let times = check_times(&mut v, &view, now, &input.start, &input.end);
    v.finish()?;
    let Some((start_local, end_local, starts_at, ends_at)) = times else {
        return Err(DomainError::Internal(
            "times checked without an error".into(),
        ));
    };
    let count = event_shift::Entity::find()
        .filter(event_shift::Column::EventId.eq(event_id))
        .count(&txn)
        .await?;
    if count >= SHIFTS_MAX {
        return Err(DomainError::Conflict(Text::new(
            format!("Eine Veranstaltung hat höchstens {SHIFTS_MAX} Schichten."),
            format!("An event has at most {SHIFTS_MAX} shifts."),
        )));
    }
    let shift = event_shift::ActiveModel {
        id: Set(Uuid::now_v7()),
        event_id: Set(event_id),
        title: Set(input.title.trim().to_owned()),
        start_local: Set(start_local),
        end_local: Set(end_local),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        needed: Set(input.needed),
        taken: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    schedule_reminder(&txn, clock, &shift).await?;
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(shift.id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    txn.commit().await?;
    Ok(shift)
}

/// Changes a shift. Fewer places than are taken is a 409 (nobody is struck off); a new time
/// is told to those signed up.
pub async fn update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    event_id: Uuid,
    shift_id: Uuid,
    patch: ShiftPatch,
) -> DomainResult<event_shift::Model> {
    let txn = db::begin_write(db).await?;
    let view = super::load_for_update(&txn, event_id).await?;
    super::require(actor, &view, Op::Edit)?;
    let shift = load_shift(&txn, event_id, shift_id).await?;
    if view.event.status == EventStatus::Cancelled {
        return Err(super::cancelled_already());
    }
    let now = clock.now();
    let mut v = Validator::new();
    if let Some(title) = &patch.title {
        v.text("title", title, TITLE_MAX);
    }
    if let Some(needed) = patch.needed {
        check_needed(&mut v, needed);
    }
    let new_time = patch.start.is_some() || patch.end.is_some();
    let times = if new_time {
        let start = patch.start.as_deref().unwrap_or(&shift.start_local);
        let end = patch.end.as_deref().unwrap_or(&shift.end_local);
        check_times(&mut v, &view, now, start, end)
    } else {
        None
    };
    v.finish()?;
    let needed = patch.needed.unwrap_or(shift.needed);
    if needed < shift.taken {
        return Err(DomainError::Conflict(Text::new(
            format!(
                "Es haben sich schon {} eingetragen; weniger Plätze gehen nicht.",
                shift.taken
            ),
            format!(
                "{} have signed up already; fewer places are not possible.",
                shift.taken
            ),
        )));
    }
    let moved = times.as_ref().is_some_and(|(_, _, starts_at, ends_at)| {
        *starts_at != shift.starts_at || *ends_at != shift.ends_at
    });
    let mut row: event_shift::ActiveModel = shift.clone().into();
    if let Some(title) = patch.title {
        row.title = Set(title.trim().to_owned());
    }
    row.needed = Set(needed);
    if let Some((start_local, end_local, starts_at, ends_at)) = times {
        row.start_local = Set(start_local);
        row.end_local = Set(end_local);
        row.starts_at = Set(starts_at);
        row.ends_at = Set(ends_at);
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    if moved {
        schedule_reminder(&txn, clock, &updated).await?;
        if updated.taken > 0 {
            let tz: Tz = view.event.tz.parse().unwrap_or(chrono_tz::UTC);
            let (title, body) = messages::shift_moved(
                &updated.title,
                &view.event.title,
                &messages::when(updated.starts_at, tz, false),
            );
            tell(
                &txn,
                clock,
                &view.event,
                Audience::ShiftHelpers(updated.id),
                title,
                body,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(updated)
}

/// Removes a shift; everyone signed up is told that it is no longer needed.
pub async fn delete(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    event_id: Uuid,
    shift_id: Uuid,
) -> DomainResult<()> {
    let txn = db::begin_write(db).await?;
    let view = super::load_for_update(&txn, event_id).await?;
    super::require(actor, &view, Op::Edit)?;
    let shift = load_shift(&txn, event_id, shift_id).await?;
    if shift.starts_at <= clock.now() && shift.taken > 0 {
        // Its helpers' "what I helped with" keeps it.
        return Err(DomainError::Conflict(Text::new(
            "Diese Schicht hat schon begonnen; sie bleibt bei denen stehen, die geholfen haben.",
            "This shift has begun; it stays with those who helped.",
        )));
    }
    if shift.starts_at > clock.now() {
        // Told one by one: the sign-ups go with the shift, before a notice naming the shift
        // could be expanded.
        let helpers: Vec<Uuid> = event_signup::Entity::find()
            .select_only()
            .column(event_signup::Column::UserId)
            .filter(event_signup::Column::ShiftId.eq(shift.id))
            .into_tuple()
            .all(&txn)
            .await?;
        let (title, body) = messages::shift_dropped(&shift.title, &view.event.title);
        for helper in helpers {
            tell(
                &txn,
                clock,
                &view.event,
                Audience::User(helper),
                title.clone(),
                body.clone(),
            )
            .await?;
        }
    }
    jobs::cancel(&txn, &remind_key(shift.id)).await?;
    event_shift::Entity::delete_by_id(shift.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn tell(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    ev: &event::Model,
    audience: Audience,
    title: String,
    body: String,
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
            audience,
            urgency: Urgency::High,
            topic: None,
            not_before: None,
        },
    )
    .await?;
    Ok(())
}

/// Whether a sign-up took a new place or found the caller on the shift already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignUp {
    New,
    Already,
}

/// Signs the caller up for a shift of a published event, with a phone number the organiser
/// may call (the one given, else the profile's; 422 `phone` when there is none). Never more
/// than asked for: the place is taken by a compare-and-set. Again: nothing changes (200).
/// The caller then follows the event (without reminders of its own), so that a cancellation
/// reaches them.
pub async fn sign_up(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    event_id: Uuid,
    shift_id: Uuid,
    phone: Option<String>,
) -> DomainResult<(event_shift::Model, SignUp)> {
    let now = clock.now();
    let txn = db::begin_write(db).await?;
    // The event's state as of this transaction, share-locked on PostgreSQL: a cancellation
    // cannot commit in between, and the lock order is that of a change of the shift (the
    // event, then the shift), so a sign-up and a change wait for each other, never deadlock.
    let ev = db::locked_shared(event::Entity::find_by_id(event_id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(super::not_found)?;
    if ev.publication != EventPublication::Published {
        return Err(super::not_found());
    }
    if ev.status == EventStatus::Cancelled {
        return Err(the_event_is_cancelled());
    }
    let phone = match crate::normalize_optional(phone) {
        Some(phone) => Some(phone),
        None => app_user::Entity::find_by_id(actor.user_id)
            .one(&txn)
            .await?
            .and_then(|u| crate::normalize_optional(u.phone)),
    };
    let mut v = Validator::new();
    v.phone("phone", phone.as_deref());
    v.check(
        phone.is_some(),
        "phone",
        "Bitte eine Telefonnummer angeben, unter der die Veranstalter Sie erreichen.",
        "Please give a phone number at which the organisers can reach you.",
    );
    v.finish()?;
    let phone = phone.unwrap_or_default();
    if let Some(shift) = own_signup(&txn, event_id, shift_id, actor.user_id).await? {
        txn.commit().await?;
        return Ok((shift, SignUp::Already));
    }
    let shift = load_shift(&txn, event_id, shift_id).await?;
    if shift.starts_at > now {
        let exceptions = event_exception::Entity::find()
            .filter(event_exception::Column::EventId.eq(event_id))
            .all(&txn)
            .await?;
        if !at_a_date(&ev, &exceptions, shift.starts_at) {
            // Its date was cancelled or moved away from it.
            return Err(DomainError::Conflict(Text::new(
                "An diesem Termin findet die Veranstaltung nicht statt.",
                "The event does not take place at this date.",
            )));
        }
    }
    let taken = event_shift::Entity::update_many()
        .col_expr(
            event_shift::Column::Taken,
            Expr::col(event_shift::Column::Taken).add(1),
        )
        .filter(event_shift::Column::Id.eq(shift_id))
        .filter(event_shift::Column::EventId.eq(event_id))
        .filter(event_shift::Column::StartsAt.gt(now))
        .filter(Expr::col(event_shift::Column::Taken).lt(Expr::col(event_shift::Column::Needed)))
        .exec(&txn)
        .await?
        .rows_affected;
    if taken != 1 {
        // A second tap whose first has just taken the last place (PostgreSQL reads what
        // committed meanwhile): the caller holds it.
        if let Some(shift) = own_signup(&txn, event_id, shift_id, actor.user_id).await? {
            txn.commit().await?;
            return Ok((shift, SignUp::Already));
        }
        return Err(if shift.starts_at <= now {
            over()
        } else {
            DomainError::Conflict(Text::new(
                "Diese Schicht ist schon voll besetzt. Danke trotzdem!",
                "This shift is fully staffed already. Thank you all the same!",
            ))
        });
    }
    let inserted = event_signup::Entity::insert(event_signup::ActiveModel {
        id: Set(Uuid::now_v7()),
        shift_id: Set(shift_id),
        user_id: Set(actor.user_id),
        phone: Set(phone),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([event_signup::Column::ShiftId, event_signup::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        // A second tap that overtook the first: the place it took goes back (rollback).
        drop(txn);
        let shift = load_shift(db, event_id, shift_id).await?;
        return Ok((shift, SignUp::Already));
    }
    event_follower::Entity::insert(event_follower::ActiveModel {
        event_id: Set(event_id),
        user_id: Set(actor.user_id),
        remind: Set(EventReminder::None),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            event_follower::Column::EventId,
            event_follower::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let shift = load_shift(&txn, event_id, shift_id).await?;
    txn.commit().await?;
    Ok((shift, SignUp::New))
}

/// The shift, if the caller is signed up for it.
async fn own_signup(
    conn: &impl ConnectionTrait,
    event_id: Uuid,
    shift_id: Uuid,
    user_id: Uuid,
) -> DomainResult<Option<event_shift::Model>> {
    let signed_up = event_signup::Entity::find()
        .filter(event_signup::Column::ShiftId.eq(shift_id))
        .filter(event_signup::Column::UserId.eq(user_id))
        .one(conn)
        .await?;
    Ok(match signed_up {
        Some(_) => Some(load_shift(conn, event_id, shift_id).await?),
        None => None,
    })
}

/// Gives the caller's place back, before the shift begins (409 after). Not signed up is fine
/// too.
pub async fn withdraw(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    event_id: Uuid,
    shift_id: Uuid,
) -> DomainResult<()> {
    let txn = db::begin_write(db).await?;
    let shift = load_shift(&txn, event_id, shift_id).await?;
    let held = event_signup::Entity::find()
        .filter(event_signup::Column::ShiftId.eq(shift_id))
        .filter(event_signup::Column::UserId.eq(actor.user_id))
        .one(&txn)
        .await?;
    let Some(held) = held else {
        return Ok(());
    };
    if shift.starts_at <= clock.now() {
        return Err(over());
    }
    free_place(&txn, &held).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a sign-up and gives its place back, in the caller's transaction.
async fn free_place(
    conn: &impl ConnectionTrait,
    signup: &event_signup::Model,
) -> Result<(), sea_orm::DbErr> {
    let deleted = event_signup::Entity::delete_by_id(signup.id)
        .exec(conn)
        .await?
        .rows_affected;
    if deleted == 1 {
        event_shift::Entity::update_many()
            .col_expr(
                event_shift::Column::Taken,
                Expr::col(event_shift::Column::Taken).sub(1),
            )
            .filter(event_shift::Column::Id.eq(signup.shift_id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Who signed up for the event's shifts, with their phone numbers: for those who may change
/// the event only (organisers, leaders of all its districts, admins).
pub async fn helpers(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    event_id: Uuid,
) -> DomainResult<Vec<Helper>> {
    let view = super::get(conn, Some(actor), event_id).await?;
    super::require(actor, &view, Op::Edit)?;
    let shifts: Vec<Uuid> = event_shift::Entity::find()
        .select_only()
        .column(event_shift::Column::Id)
        .filter(event_shift::Column::EventId.eq(event_id))
        .into_tuple()
        .all(conn)
        .await?;
    let signups = event_signup::Entity::find()
        .filter(event_signup::Column::ShiftId.is_in(shifts))
        .order_by_asc(event_signup::Column::CreatedAt)
        .order_by_asc(event_signup::Column::Id)
        .all(conn)
        .await?;
    let names: std::collections::HashMap<Uuid, String> = app_user::Entity::find()
        .select_only()
        .column(app_user::Column::Id)
        .column(app_user::Column::DisplayName)
        .filter(app_user::Column::Id.is_in(signups.iter().map(|s| s.user_id)))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(signups
        .into_iter()
        .map(|s| Helper {
            shift_id: s.shift_id,
            user_id: s.user_id,
            display_name: names.get(&s.user_id).cloned().unwrap_or_default(),
            phone: s.phone,
            signed_up_at: s.created_at,
        })
        .collect())
}

/// The person's own shifts (newest first) and how many of them lie behind them: the
/// "what I helped with" list, seen by nobody else.
pub async fn of_person(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<(Vec<OwnShift>, u64)> {
    let signups = event_signup::Entity::find()
        .filter(event_signup::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let shifts: std::collections::HashMap<Uuid, event_shift::Model> = event_shift::Entity::find()
        .filter(event_shift::Column::Id.is_in(signups.iter().map(|s| s.shift_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let titles: std::collections::HashMap<Uuid, String> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::Title)
        .filter(event::Column::Id.is_in(shifts.values().map(|s| s.event_id)))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut own: Vec<OwnShift> = signups
        .into_iter()
        .filter_map(|s| {
            let shift = shifts.get(&s.shift_id)?.clone();
            Some(OwnShift {
                event_title: titles.get(&shift.event_id).cloned().unwrap_or_default(),
                shift,
                phone: s.phone,
                signed_up_at: s.created_at,
            })
        })
        .collect();
    own.sort_by(|a, b| {
        b.shift
            .starts_at
            .cmp(&a.shift.starts_at)
            .then(b.shift.id.cmp(&a.shift.id))
    });
    let helped = own.iter().filter(|o| o.shift.ends_at <= now).count() as u64;
    Ok((own, helped))
}

/// Erasure: the person's places on shifts still ahead go back (so someone else can take
/// them), and every sign-up of theirs goes.
pub async fn forget_person(conn: &impl ConnectionTrait, user_id: Uuid) -> DomainResult<()> {
    // In shift order, so that two erasures never wait for each other's rows in turn.
    let signups = event_signup::Entity::find()
        .filter(event_signup::Column::UserId.eq(user_id))
        .order_by_asc(event_signup::Column::ShiftId)
        .all(conn)
        .await?;
    for signup in &signups {
        free_place(conn, signup).await?;
    }
    Ok(())
}

/// `event.shift_remind`: reminds those signed up the day before the shift.
pub async fn remind_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        shift_id: Uuid,
    }
    let payload: Payload = job.payload()?;
    let now = ctx.clock.now();
    let Some(shift) = event_shift::Entity::find_by_id(payload.shift_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(JobOutcome::Done);
    };
    let due = shift.starts_at - REMIND_LEAD;
    if now < due - Duration::minutes(1) {
        // Queued for an earlier time and not replaced: come back when it is due.
        return Ok(JobOutcome::RetryAt(due));
    }
    if now >= shift.starts_at || shift.taken == 0 {
        return Ok(JobOutcome::Done);
    }
    let Some((ev, exceptions)) = super::taking_place(&ctx.db, shift.event_id).await? else {
        return Ok(JobOutcome::Done);
    };
    if !at_a_date(&ev, &exceptions, shift.starts_at) {
        // Its date was cancelled.
        return Ok(JobOutcome::Done);
    }
    let tz: Tz = ev.tz.parse().unwrap_or(chrono_tz::UTC);
    let (title, body) = messages::shift_reminder(
        &shift.title,
        &ev.title,
        &messages::when(shift.starts_at, tz, false),
        ev.place.as_deref(),
    );
    notices::enqueue(
        &ctx.db,
        &ctx.clock,
        Notice {
            kind: NoticeKind::ShiftReminder,
            title,
            body,
            target: Target::Event { id: ev.id },
            audience: Audience::ShiftHelpers(shift.id),
            urgency: Urgency::Normal,
            topic: None,
            not_before: None,
        },
    )
    .await?;
    Ok(JobOutcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evening(start: &str, rrule: Option<&str>) -> event::Model {
        let tz = chrono_tz::Europe::Berlin;
        let local = super::super::parse_stored(start);
        let starts_at = super::super::recurrence::resolve(local, tz);
        event::Model {
            id: Uuid::nil(),
            title: "Sommerfest".into(),
            description: String::new(),
            category: entity::vocab::EventCategory::Festival,
            status: EventStatus::Scheduled,
            publication: EventPublication::Published,
            unpublished_reason: None,
            organisation_id: None,
            organiser_name: None,
            news_id: None,
            all_day: false,
            tz: tz.name().into(),
            start_local: start.into(),
            end_local: Some(stored(local + Duration::hours(4))),
            starts_at,
            ends_at: Some(starts_at + Duration::hours(4)),
            rrule: rrule.map(Into::into),
            moved_from_local: None,
            moved_from_at: None,
            cancelled_at: None,
            cancel_reason: None,
            place: None,
            lat_e6: None,
            lon_e6: None,
            sequence: 0,
            notify: false,
            expanded_until: None,
            created_by: None,
            created_at: starts_at,
            updated_at: starts_at,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_shift_lies_at_a_date_or_the_day_around_it() {
        // Saturday 2027-05-22, 14:00–18:00 local (12:00–16:00Z).
        let fest = evening("2027-05-22T14:00:00", None);
        assert!(at_a_date(&fest, &[], at("2027-05-22T12:00:00Z")));
        // Setting up the evening before, clearing up the next morning.
        assert!(at_a_date(&fest, &[], at("2027-05-21T16:00:00Z")));
        assert!(at_a_date(&fest, &[], at("2027-05-23T08:00:00Z")));
        // A week later: not at any date.
        assert!(!at_a_date(&fest, &[], at("2027-05-29T12:00:00Z")));
    }

    #[test]
    fn a_shift_of_a_series_lies_at_any_of_its_dates() {
        let choir = evening("2027-01-05T19:00:00", Some("FREQ=WEEKLY;BYDAY=TU"));
        // The Tuesday six weeks on (summer time not yet: 18:00Z).
        assert!(at_a_date(&choir, &[], at("2027-02-16T18:00:00Z")));
        // A Friday between two Tuesdays is more than a day from either.
        assert!(!at_a_date(&choir, &[], at("2027-02-19T18:00:00Z")));
    }
}
