//! Moving a ride's pickup time: the one change to a booked ride besides its transitions. The
//! status stays; the history records the old and new time; the rider (when someone else moved
//! it), the assigned driver and, for an open ride, the district's drivers are told; the expiry
//! and the reminder move with it; a rider booked by phone gets a call-back.

use chrono::{DateTime, Utc};
use entity::{ride, vocab::RideCallbackReason, vocab::RideStatus, vocab::SmsKind};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::{
    BOOKING_HORIZON, EXPIRE_JOB, REASON_MAX, REMIND_JOB, RideSettings, RideView, Visibility,
    actor_role, conflict, desk, is_rider, is_staff, job_key, load, local, messages, not_found,
    record, schedule_jobs, shareable_place, tell, view, visibility, withdraw_offer,
};
use crate::{
    DomainError, DomainResult, Validator,
    auth::Actor,
    clock::SharedClock,
    db, jobs, normalize_optional,
    notices::{self, Audience, Notice, NoticeKind, Target, Urgency},
    text::{FieldError, Text},
};

/// A new time for a ride, as asked for.
#[derive(Clone, Debug)]
pub struct Reschedule {
    pub pickup_at: DateTime<Utc>,
    /// The appointment at the destination (outward legs only); `None` clears it.
    pub appointment_at: Option<DateTime<Utc>>,
    /// Why, for the history (at most [`REASON_MAX`] characters).
    pub reason: Option<String>,
}

/// Moves the pickup of a ride that is still `requested` or `accepted`. The rider (or whoever
/// booked for a person without an account) and the staff may; the same lead time and horizon
/// as a booking apply, and the legs of a return trip keep their order. Asking for the time the
/// ride already has changes nothing (a retry is harmless).
pub async fn reschedule(
    db: &DatabaseConnection,
    clock: &SharedClock,
    settings: RideSettings,
    actor: &Actor,
    id: Uuid,
    change: Reschedule,
) -> DomainResult<RideView> {
    let txn = db::begin_write(db).await?;
    let ride = db::locked(ride::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if visibility(actor, &ride).is_none() {
        return Err(not_found());
    }
    if !is_staff(actor) && !is_rider(actor, &ride) {
        return Err(DomainError::Forbidden);
    }
    if !matches!(ride.status, RideStatus::Requested | RideStatus::Accepted) {
        return Err(conflict(ride.status));
    }
    let now = clock.now();
    let is_return = ride.outward_ride_id.is_some();
    let mut v = Validator::new();
    v.check(
        change.pickup_at >= now + settings.min_lead,
        "pickup_at",
        "Bitte mit mehr Vorlauf buchen (siehe Mindestvorlauf).",
        "Please book further ahead (see the minimum lead time).",
    );
    v.check(
        change.pickup_at <= now + BOOKING_HORIZON,
        "pickup_at",
        "Höchstens 60 Tage im Voraus.",
        "At most 60 days ahead.",
    );
    if let Some(appointment) = change.appointment_at {
        v.check(
            !is_return,
            "appointment_at",
            "Eine Rückfahrt hat keinen Termin.",
            "A return leg has no appointment.",
        );
        v.check(
            appointment >= change.pickup_at,
            "appointment_at",
            "Der Termin liegt vor der Abholung.",
            "The appointment is before the pickup.",
        );
    }
    v.optional_text("reason", change.reason.as_deref(), REASON_MAX);
    // The way there comes before the way back.
    let paired = if let Some(outward) = ride.outward_ride_id {
        ride::Entity::find_by_id(outward).one(&txn).await?
    } else {
        ride::Entity::find()
            .filter(ride::Column::OutwardRideId.eq(ride.id))
            .one(&txn)
            .await?
    };
    if let Some(other) = paired.filter(|o| {
        matches!(
            o.status,
            RideStatus::Requested | RideStatus::Accepted | RideStatus::InProgress
        )
    }) {
        let when = local(other.pickup_at, settings.time_zone);
        let out_of_order = if is_return {
            (change.pickup_at <= other.pickup_at).then(|| {
                Text::new(
                    format!("Muss nach der Hinfahrt liegen ({when})."),
                    format!("Must be after the outward leg ({when})."),
                )
            })
        } else {
            (change.pickup_at >= other.pickup_at).then(|| {
                Text::new(
                    format!("Muss vor der Rückfahrt liegen ({when})."),
                    format!("Must be before the return leg ({when})."),
                )
            })
        };
        if let Some(message) = out_of_order {
            v.push(FieldError::new("pickup_at", message));
        }
    }
    v.finish()?;
    let appointment_at = if is_return {
        None
    } else {
        change.appointment_at
    };
    if change.pickup_at == ride.pickup_at && appointment_at == ride.appointment_at {
        let view = view(&txn, ride, Visibility::Full).await?;
        txn.commit().await?;
        return Ok(view);
    }

    let affected = ride::Entity::update_many()
        .col_expr(ride::Column::PickupAt, Expr::value(change.pickup_at))
        .col_expr(ride::Column::AppointmentAt, Expr::value(appointment_at))
        .col_expr(ride::Column::UpdatedAt, Expr::value(now))
        .filter(ride::Column::Id.eq(id))
        .filter(ride::Column::Status.is_in([
            RideStatus::Requested.as_str(),
            RideStatus::Accepted.as_str(),
        ]))
        .exec(&txn)
        .await?
        .rows_affected;
    if affected != 1 {
        return Err(conflict(load(&txn, id).await?.status));
    }
    let before = local(ride.pickup_at, settings.time_zone);
    let after = local(change.pickup_at, settings.time_zone);
    let history = match normalize_optional(change.reason) {
        Some(why) => format!("Abholzeit {before} → {after}: {why}"),
        None => format!("Abholzeit {before} → {after}"),
    };
    let event_id = record(
        &txn,
        id,
        ride.status,
        now,
        actor_role(actor, &ride),
        Some(actor.user_id),
        Some(history),
    )
    .await?;
    desk::note(
        &txn,
        &ride,
        event_id,
        RideCallbackReason::Rescheduled,
        Some(actor.user_id),
        now,
    )
    .await?;
    jobs::cancel(&txn, &job_key(EXPIRE_JOB, id)).await?;
    jobs::cancel(&txn, &job_key(REMIND_JOB, id)).await?;
    let updated = load(&txn, id).await?;
    schedule_jobs(&txn, clock, settings, &updated).await?;
    if updated.rider_user_id != Some(actor.user_id) {
        super::sms::queue(
            &txn,
            clock,
            id,
            SmsKind::RideRescheduled,
            format!("event:{event_id}"),
            Some(ride.pickup_at),
        )
        .await?;
        tell(
            &txn,
            clock,
            updated.rider_user_id,
            &updated,
            messages::rescheduled_for_rider(&before, &after),
        )
        .await?;
    }
    if updated.driver_id.is_some() && updated.driver_id != Some(actor.user_id) {
        tell(
            &txn,
            clock,
            updated.driver_id,
            &updated,
            messages::rescheduled_for_driver(&after, &updated.pickup_address),
        )
        .await?;
    }
    if updated.status == RideStatus::Requested {
        // The offer the district's drivers hold names the old time: replace it.
        withdraw_offer(&txn, id).await?;
        let offer =
            messages::requested(&after, shareable_place(&updated), updated.passengers, false);
        notices::enqueue(
            &txn,
            clock,
            Notice {
                kind: NoticeKind::RideRequest,
                title: offer.title,
                body: offer.body,
                target: Target::Ride { id },
                audience: Audience::DistrictDrivers(updated.pickup_district_id),
                urgency: Urgency::Normal,
                topic: None,
                not_before: None,
            },
        )
        .await?;
    }
    let view = view(&txn, updated, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}
