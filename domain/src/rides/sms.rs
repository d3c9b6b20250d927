//! What a rider is told by text message (issue 21): the ride's steps that a rider booked by
//! phone would otherwise learn only from the desk's call.
//!
//! A step queues a job in its own transaction ([`queue`]); the job ([`message_due`]) finds the
//! rider's number with consent and writes the message into the SMS outbox. The step itself
//! needs no SMS settings, and a message is queued once per step (the job's unique key and the
//! message's dedupe key are the step's).
//!
//! The texts carry only the time and the driver's first name, never address, destination or
//! purpose: a shared phone or a lock screen shows them.

use chrono::{DateTime, Utc};
use entity::{
    app_user, ride, sms_message, sms_recipient,
    vocab::{RideActorRole, RideCallbackReason, RideStatus, SmsKind, SmsStatus},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    DomainResult,
    clock::SharedClock,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    sms::{
        SmsConfig,
        outbox::{self, NewSms},
    },
};

/// The job that turns a ride's step into a text message.
pub const JOB: &str = "sms.ride";

#[derive(Serialize, Deserialize)]
struct Payload {
    ride_id: Uuid,
    kind: SmsKind,
    /// What caused it (`event:<ride_event id>`, `remind:<ride>:<pickup>`): one message each.
    cause: String,
    /// For a new pickup time: the one before.
    #[serde(default)]
    previous_pickup: Option<DateTime<Utc>>,
}

/// Queues the text message for a ride's step, in the step's transaction.
pub(crate) async fn queue(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    ride_id: Uuid,
    kind: SmsKind,
    cause: String,
    previous_pickup: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let key = format!("{JOB}:{cause}");
    let payload = Payload {
        ride_id,
        kind,
        cause,
        previous_pickup,
    };
    jobs::enqueue(
        conn,
        clock,
        NewJob::new(
            JOB,
            serde_json::to_value(payload).unwrap_or_default(),
            clock.now(),
        )
        .unique(key),
    )
    .await
}

/// The ride step (`ride_event` id) a message told of, read from its dedupe key
/// (`ride:event:<id>`); `None` for reminders and every other message.
pub fn told_step(dedupe_key: &str) -> Option<Uuid> {
    dedupe_key
        .strip_prefix("ride:event:")
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// The rider's number with consent to ride messages: their own confirmed number, or the one
/// the ride was booked with.
pub(crate) async fn rider_number(
    conn: &impl ConnectionTrait,
    config: &SmsConfig,
    ride: &ride::Model,
) -> Result<Option<sms_recipient::Model>, DbErr> {
    let by_account = match ride.rider_user_id {
        Some(user) => {
            sms_recipient::Entity::find()
                .filter(sms_recipient::Column::UserId.eq(user))
                .one(conn)
                .await?
        }
        None => None,
    };
    let found = match by_account {
        Some(found) => Some(found),
        None => match ride
            .contact_phone
            .as_deref()
            .and_then(|phone| crate::contact::sms_number(phone, &config.country_codes()).ok())
        {
            Some(e164) => {
                sms_recipient::Entity::find()
                    .filter(sms_recipient::Column::E164.eq(e164))
                    .one(conn)
                    .await?
            }
            None => None,
        },
    };
    Ok(found.filter(|r| outbox::permitted(r, SmsKind::RideConfirmed)))
}

/// "Do 04.06." in local time.
pub(crate) fn day(at: DateTime<Utc>, config: &SmsConfig) -> String {
    const DAYS: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];
    let local = at.with_timezone(&config.time_zone);
    use chrono::Datelike;
    format!(
        "{} {}",
        DAYS[local.weekday().num_days_from_monday() as usize],
        local.format("%d.%m.")
    )
}

pub(crate) fn time(at: DateTime<Utc>, config: &SmsConfig) -> String {
    at.with_timezone(&config.time_zone)
        .format("%H:%M")
        .to_string()
}

/// "Thomas" of "Thomas Berger": what a rider needs to know who is at the door.
fn first_name(display_name: &str) -> &str {
    display_name.split_whitespace().next().unwrap_or("")
}

fn desk(config: &SmsConfig) -> String {
    config
        .ride_desk_phone
        .as_deref()
        .map(|phone| format!(" Fragen: {phone}"))
        .unwrap_or_default()
}

/// The text for a step, and whether it asks for "1" or "2".
pub(crate) fn text(
    config: &SmsConfig,
    kind: SmsKind,
    pickup_at: DateTime<Utc>,
    previous_pickup: Option<DateTime<Utc>>,
    driver: Option<&str>,
    accepted: bool,
) -> (String, bool) {
    let when = format!(
        "am {} um {}",
        day(pickup_at, config),
        time(pickup_at, config)
    );
    let driver = driver.map(first_name).filter(|name| !name.is_empty());
    match kind {
        SmsKind::RideConfirmed => (
            match driver {
                Some(name) => format!(
                    "Fahrdienst: Ihre Fahrt {when} ist zugesagt, es fährt Sie {name}. Antwort 1 = alles klar, 2 = absagen."
                ),
                None => format!(
                    "Fahrdienst: Ihre Fahrt {when} ist zugesagt. Antwort 1 = alles klar, 2 = absagen."
                ),
            },
            true,
        ),
        SmsKind::RideReminder if accepted => (
            match driver {
                Some(name) => format!(
                    "Fahrdienst: Heute um {} holt Sie {name} ab. Antwort 2 = absagen.",
                    time(pickup_at, config)
                ),
                None => format!(
                    "Fahrdienst: Heute um {} werden Sie abgeholt. Antwort 2 = absagen.",
                    time(pickup_at, config)
                ),
            },
            true,
        ),
        SmsKind::RideReminder => (
            format!(
                "Fahrdienst: Für Ihre Fahrt heute um {} suchen wir noch einen Fahrer.{}",
                time(pickup_at, config),
                desk(config)
            ),
            false,
        ),
        SmsKind::RideReleased => (
            format!(
                "Fahrdienst: Für Ihre Fahrt {when} suchen wir einen neuen Fahrer, der bisherige kann leider nicht. Antwort 2 = absagen."
            ),
            true,
        ),
        SmsKind::RideNoDriver => (
            format!(
                "Fahrdienst: Für Ihre Fahrt {when} hat sich leider kein Fahrer gefunden.{}",
                desk(config)
            ),
            false,
        ),
        SmsKind::RideRescheduled => (
            match previous_pickup {
                Some(before) => format!(
                    "Fahrdienst: Neue Abholzeit für Ihre Fahrt: {} {} statt {}. Antwort 1 = passt, 2 = absagen.",
                    day(pickup_at, config),
                    time(pickup_at, config),
                    time(before, config)
                ),
                None => format!(
                    "Fahrdienst: Neue Abholzeit für Ihre Fahrt: {} {}. Antwort 1 = passt, 2 = absagen.",
                    day(pickup_at, config),
                    time(pickup_at, config)
                ),
            },
            true,
        ),
        // Cancelled, and anything else queued here: plain news that it is off.
        _ => (
            format!(
                "Fahrdienst: Ihre Fahrt {when} ist abgesagt.{}",
                desk(config)
            ),
            false,
        ),
    }
}

/// Whether an instant falls on the local day of `now` (a change for today goes even over the
/// budget).
pub(crate) fn same_day(at: DateTime<Utc>, now: DateTime<Utc>, config: &SmsConfig) -> bool {
    at.with_timezone(&config.time_zone).date_naive()
        == now.with_timezone(&config.time_zone).date_naive()
}

/// The job: writes the step's message into the outbox when the rider's number has consent.
pub async fn message_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    if !ctx.sms.enabled {
        return Ok(JobOutcome::Done);
    }
    let payload: Payload = job.payload()?;
    let Some(ride) = ride::Entity::find_by_id(payload.ride_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(JobOutcome::Done);
    };
    let Some(recipient) = rider_number(&ctx.db, &ctx.sms, &ride).await? else {
        return Ok(JobOutcome::Done);
    };
    // A reminder is only worth sending while the ride is still on.
    if payload.kind == SmsKind::RideReminder
        && !matches!(ride.status, RideStatus::Requested | RideStatus::Accepted)
    {
        return Ok(JobOutcome::Done);
    }
    let driver = match ride.driver_id {
        Some(driver) => app_user::Entity::find_by_id(driver)
            .one(&ctx.db)
            .await?
            .map(|user| user.display_name),
        None => None,
    };
    let now = ctx.clock.now();
    let (text, asks_reply) = text(
        &ctx.sms,
        payload.kind,
        ride.pickup_at,
        payload.previous_pickup,
        driver.as_deref(),
        ride.status == RideStatus::Accepted,
    );
    outbox::enqueue(
        &ctx.db,
        now,
        NewSms {
            recipient_id: recipient.id,
            kind: payload.kind,
            text,
            max_segments: 1,
            dedupe_key: Some(format!("ride:{}", payload.cause)),
            ride_id: Some(ride.id),
            news_id: None,
            asks_reply,
            same_day: same_day(ride.pickup_at, now, &ctx.sms),
            due_at: outbox::due_at(&ctx.sms, payload.kind, now, Some(ride.pickup_at)),
        },
    )
    .await?;
    Ok(JobOutcome::Done)
}

/// How long a question ("Antwort 1 = …, 2 = …") stays open for a reply.
pub const QUESTION_OPEN: chrono::Duration = chrono::Duration::hours(24);

/// The rides a number's open questions are about: messages that asked for "1" or "2" in the
/// last 24 hours and went out, whose ride is still on and not yet picked up.
pub async fn open_questions(
    conn: &impl ConnectionTrait,
    recipient_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<ride::Model>, DbErr> {
    let asked: Vec<Option<Uuid>> = sms_message::Entity::find()
        .select_only()
        .column(sms_message::Column::RideId)
        .filter(sms_message::Column::RecipientId.eq(recipient_id))
        .filter(sms_message::Column::AsksReply.eq(true))
        .filter(sms_message::Column::CreatedAt.gt(now - QUESTION_OPEN))
        .filter(sms_message::Column::Status.is_in([SmsStatus::Sent, SmsStatus::Delivered]))
        .into_tuple()
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = asked.into_iter().flatten().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ride::Entity::find()
        .filter(ride::Column::Id.is_in(ids))
        .filter(ride::Column::Status.is_in([RideStatus::Requested, RideStatus::Accepted]))
        .filter(ride::Column::PickupAt.gt(now))
        .order_by_asc(ride::Column::PickupAt)
        .all(conn)
        .await
}

/// The newest ride a number was asked or told about in the last 24 hours, for the desk's
/// call-back when a reply could not be acted on.
pub async fn recent_ride(
    conn: &impl ConnectionTrait,
    recipient_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<ride::Model>, DbErr> {
    let newest: Option<Option<Uuid>> = sms_message::Entity::find()
        .select_only()
        .column(sms_message::Column::RideId)
        .filter(sms_message::Column::RecipientId.eq(recipient_id))
        .filter(sms_message::Column::RideId.is_not_null())
        .filter(sms_message::Column::CreatedAt.gt(now - QUESTION_OPEN))
        .order_by_desc(sms_message::Column::CreatedAt)
        .into_tuple()
        .one(conn)
        .await?;
    match newest.flatten() {
        Some(id) => ride::Entity::find_by_id(id).one(conn).await,
        None => Ok(None),
    }
}

/// "1": the rider confirmed; written to the ride's history, nothing else changes.
pub async fn confirm_by_sms(
    txn: &DatabaseTransaction,
    ride: &ride::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    super::record(
        txn,
        ride.id,
        ride.status,
        now,
        RideActorRole::Rider,
        None,
        Some("Per SMS bestätigt".into()),
    )
    .await?;
    Ok(())
}

/// "2": the rider cancels, as if she had cancelled in the app (the rules allow a rider to
/// cancel a requested or accepted ride): the return leg goes too, the driver is told. Returns
/// false when the ride changed meanwhile (picked up, cancelled by someone else).
pub async fn cancel_by_sms(
    txn: &DatabaseTransaction,
    clock: &SharedClock,
    settings: super::RideSettings,
    ride: &ride::Model,
) -> DomainResult<bool> {
    let allowed = super::rules::permitted(
        super::rules::StepKind::Cancel,
        super::rules::Relation {
            district_driver: false,
            assigned: false,
            rider: true,
            staff: false,
        },
    );
    let Some(step) = allowed else {
        return Ok(false);
    };
    let now = clock.now();
    let reason = Some("Per SMS abgesagt".to_owned());
    let affected = ride::Entity::update_many()
        .col_expr(ride::Column::Status, Expr::value(step.to.as_str()))
        .col_expr(ride::Column::UpdatedAt, Expr::value(now))
        .filter(ride::Column::Id.eq(ride.id))
        .filter(ride::Column::Status.is_in(step.from.iter().map(|s| s.as_str())))
        .filter(ride::Column::PickupAt.gt(now))
        .exec(txn)
        .await?
        .rows_affected;
    if affected != 1 {
        return Ok(false);
    }
    super::record(
        txn,
        ride.id,
        step.to,
        now,
        RideActorRole::Rider,
        None,
        reason.clone(),
    )
    .await?;
    jobs::cancel(txn, &super::job_key(super::EXPIRE_JOB, ride.id)).await?;
    jobs::cancel(txn, &super::job_key(super::REMIND_JOB, ride.id)).await?;
    super::withdraw_offer(txn, ride.id).await?;
    if ride.driver_id.is_some() {
        let when = super::local(ride.pickup_at, settings.time_zone);
        super::tell(
            txn,
            clock,
            ride.driver_id,
            ride,
            super::messages::cancelled_for_driver(&when, &ride.destination),
        )
        .await?;
    }
    if ride.outward_ride_id.is_none() {
        super::cancel_return_leg(
            txn,
            clock,
            settings,
            None,
            RideActorRole::Rider,
            ride.id,
            reason,
        )
        .await?;
    }
    Ok(true)
}

/// A reply the system could not act on ("Ich bin krank"): into the ride's history, and a
/// call-back for the desk when it booked the ride.
pub async fn note_reply(
    txn: &DatabaseTransaction,
    ride: &ride::Model,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let shown: String = text.chars().take(super::REASON_MAX - 20).collect();
    let event_id = super::record(
        txn,
        ride.id,
        ride.status,
        now,
        RideActorRole::Rider,
        None,
        Some(format!("SMS vom Fahrgast: {shown}")),
    )
    .await?;
    super::desk::note(txn, ride, event_id, RideCallbackReason::SmsReply, None, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Berlin
            .with_ymd_and_hms(2026, 6, day, hour, minute, 0)
            .unwrap()
            .to_utc()
    }

    /// Every text, filled with the longest values it can get, is one GSM-7 segment: a rider
    /// pays nothing, the municipality one segment.
    #[test]
    fn every_ride_text_fits_one_segment_with_the_longest_values() {
        let config = SmsConfig {
            ride_desk_phone: Some("+49 (0) 39483 123456".into()),
            ..SmsConfig::default()
        };
        let driver = "Maximiliane-Theresa von Hohenstein-Großörner";
        for kind in [
            SmsKind::RideConfirmed,
            SmsKind::RideReminder,
            SmsKind::RideReleased,
            SmsKind::RideNoDriver,
            SmsKind::RideCancelled,
            SmsKind::RideRescheduled,
        ] {
            for accepted in [true, false] {
                let (text, _) = text(
                    &config,
                    kind,
                    at(24, 23, 59),
                    Some(at(24, 22, 30)),
                    Some(driver),
                    accepted,
                );
                let plain = ::sms::gsm::transliterate(&text);
                assert!(::sms::gsm::is_gsm7(&plain), "{plain}");
                assert_eq!(::sms::gsm::segments(&plain), 1, "{kind:?}: {plain}");
            }
        }
    }

    #[test]
    fn a_confirmation_names_the_time_and_the_first_name_only() {
        let config = SmsConfig::default();
        let (text, asks) = text(
            &config,
            SmsKind::RideConfirmed,
            at(4, 9, 30),
            None,
            Some("Thomas Berger"),
            true,
        );
        assert_eq!(
            text,
            "Fahrdienst: Ihre Fahrt am Do 04.06. um 09:30 ist zugesagt, es fährt Sie Thomas. Antwort 1 = alles klar, 2 = absagen."
        );
        assert!(asks);
    }

    #[test]
    fn same_day_is_the_local_day() {
        let config = SmsConfig::default();
        assert!(same_day(at(4, 23, 30), at(4, 0, 30), &config));
        assert!(!same_day(at(5, 0, 30), at(4, 23, 30), &config));
    }
}
