//! What the ride desk (Fahrdienst-Koordination) works with beyond single rides: the call-back
//! list, a caller's last rides, a driver's run sheet for a day and the drivers to assign.
//!
//! **The call-back list.** A rider booked by phone hears of nothing the app would tell her, so
//! every change to a ride booked on her behalf that she did not make herself is noted, in the
//! same transaction as the history row it explains: a driver found, released, no driver found,
//! cancelled, time changed. Changes the desk makes are noted too; one tick is cheaper than a
//! lost call. The list is the staff's (dispatchers and admins); ticking off is a
//! compare-and-set, so of two people ticking at once one wins and the other hears "schon
//! erledigt".

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{
    app_user, ride, ride_callback, role_assignment,
    vocab::{RideCallbackReason, RideStatus},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{RideView, Visibility, is_staff, views};
use crate::{
    DomainError, DomainResult,
    auth::{Actor, Role},
    clock::SharedClock,
    contact, db,
    text::{Text, field},
};

/// The most call-backs one list shows; the oldest come first, so nothing waits unseen.
pub const CALLBACKS_MAX: u64 = 200;
/// The most of a caller's past rides offered to book again.
pub const RECENT_MAX: u64 = 5;

/// Which changes a rider booked by phone must be called about, by the status the ride entered.
pub(super) fn callback_reason(entered: RideStatus) -> Option<RideCallbackReason> {
    match entered {
        RideStatus::Accepted => Some(RideCallbackReason::DriverFound),
        RideStatus::Requested => Some(RideCallbackReason::Released),
        RideStatus::Expired => Some(RideCallbackReason::NoDriver),
        RideStatus::Cancelled => Some(RideCallbackReason::Cancelled),
        // The rider is there when a ride starts, ends or finds nobody at the door.
        RideStatus::InProgress | RideStatus::Completed | RideStatus::NoShow => None,
    }
}

/// The ride desk's own pages (the board, booking on behalf): dispatchers and admins, the same
/// people who may list all rides and book for others.
pub fn require_desk(actor: &Actor) -> DomainResult<()> {
    if is_staff(actor) {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// The display names of the riders and drivers of rides the desk sees (staff only), by id.
pub async fn names(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<HashMap<Uuid, String>> {
    require_desk(actor)?;
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let people: Vec<(Uuid, String)> = app_user::Entity::find()
        .select_only()
        .column(app_user::Column::Id)
        .column(app_user::Column::DisplayName)
        .filter(app_user::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(people.into_iter().collect())
}

/// Booked by someone other than the rider: by the desk for a resident, or for a person without
/// an account.
fn booked_on_behalf(ride: &ride::Model) -> bool {
    ride.booked_by.is_some() && ride.rider_user_id != ride.booked_by
}

/// Notes a call-back for the change `event_id` recorded, when the ride was booked on the
/// rider's behalf and the rider did not make the change with their own account.
pub(super) async fn note(
    conn: &impl ConnectionTrait,
    ride: &ride::Model,
    event_id: Uuid,
    reason: RideCallbackReason,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if !booked_on_behalf(ride) || (actor.is_some() && actor == ride.rider_user_id) {
        return Ok(());
    }
    ride_callback::ActiveModel {
        id: Set(Uuid::now_v7()),
        ride_id: Set(ride.id),
        ride_event_id: Set(event_id),
        reason: Set(reason),
        created_at: Set(now),
        done_at: Set(None),
        done_by: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A call-back due, with the ride as it stands now.
#[derive(Clone, Debug)]
pub struct Callback {
    pub callback: ride_callback::Model,
    pub ride: RideView,
}

fn callback_not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diesen Rückruf gibt es nicht.",
        "No such call-back.",
    ))
}

/// The call-backs not yet ticked off, oldest first (at most [`CALLBACKS_MAX`]). Staff only.
pub async fn open_callbacks(
    conn: &impl ConnectionTrait,
    actor: &Actor,
) -> DomainResult<Vec<Callback>> {
    require_desk(actor)?;
    let open = ride_callback::Entity::find()
        .filter(ride_callback::Column::DoneAt.is_null())
        .order_by_asc(ride_callback::Column::CreatedAt)
        .order_by_asc(ride_callback::Column::Id)
        .limit(CALLBACKS_MAX)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = open.iter().map(|c| c.ride_id).collect();
    let rides = ride::Entity::find()
        .filter(ride::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    let by_id: HashMap<Uuid, RideView> = views(
        conn,
        rides.into_iter().map(|r| (r, Visibility::Full)).collect(),
    )
    .await?
    .into_iter()
    .map(|v| (v.ride.id, v))
    .collect();
    Ok(open
        .into_iter()
        .filter_map(|callback| {
            // Several call-backs may concern one ride: each gets its own copy.
            let ride = by_id.get(&callback.ride_id)?.clone();
            Some(Callback { callback, ride })
        })
        .collect())
}

/// How many call-backs are due (the board's counter; a count, not the list). Staff only.
pub async fn open_callback_count(conn: &impl ConnectionTrait, actor: &Actor) -> DomainResult<u64> {
    require_desk(actor)?;
    Ok(ride_callback::Entity::find()
        .filter(ride_callback::Column::DoneAt.is_null())
        .count(conn)
        .await?)
}

/// Ticks a call-back off: the rider has been told. Staff only. Of two people ticking at once
/// one succeeds; the other gets 409 "schon erledigt" (and, like a retry, changes nothing).
pub async fn callback_done(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Callback> {
    require_desk(actor)?;
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let affected = ride_callback::Entity::update_many()
        .col_expr(ride_callback::Column::DoneAt, Expr::value(now))
        .col_expr(ride_callback::Column::DoneBy, Expr::value(actor.user_id))
        .filter(ride_callback::Column::Id.eq(id))
        .filter(ride_callback::Column::DoneAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let callback = ride_callback::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(callback_not_found)?;
    if affected != 1 {
        return Err(DomainError::Conflict(Text::new(
            "Dieser Rückruf ist schon erledigt.",
            "This call-back has already been done.",
        )));
    }
    let ride = super::view(
        &txn,
        super::load(&txn, callback.ride_id).await?,
        Visibility::Full,
    )
    .await?;
    txn.commit().await?;
    Ok(Callback { callback, ride })
}

/// Ticks off the call-back for a ride step whose text message reached the rider's phone (a
/// delivery report): nobody needs to call. `done_by` stays empty, as nobody of the desk did it.
/// A call-back already ticked keeps who ticked it. Returns the call-backs ticked.
pub async fn told_by_sms(
    conn: &impl ConnectionTrait,
    ride_event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(ride_callback::Entity::update_many()
        .col_expr(ride_callback::Column::DoneAt, Expr::value(now))
        .filter(ride_callback::Column::RideEventId.eq(ride_event_id))
        .filter(ride_callback::Column::DoneAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// The last outward rides booked with this phone number, newest first (at most
/// [`RECENT_MAX`]), so that the desk can book "the same as last time" during a call. Staff
/// only; the number may be typed in any usual way ([`contact::phone_key`]).
pub async fn recent_for_phone(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    phone: &str,
) -> DomainResult<Vec<RideView>> {
    require_desk(actor)?;
    let Some(key) = contact::phone_key(phone) else {
        return Err(DomainError::Validation(vec![field(
            "phone",
            "Bitte mindestens fünf Ziffern der Telefonnummer angeben.",
            "Please give at least five digits of the phone number.",
        )]));
    };
    let rides = ride::Entity::find()
        .filter(ride::Column::ContactPhoneKey.eq(key))
        .filter(ride::Column::OutwardRideId.is_null())
        .order_by_desc(ride::Column::PickupAt)
        .order_by_desc(ride::Column::Id)
        .limit(RECENT_MAX)
        .all(conn)
        .await?;
    views(
        conn,
        rides.into_iter().map(|r| (r, Visibility::Full)).collect(),
    )
    .await
}

/// A local calendar day as people and clients write it, `YYYY-MM-DD` (years 1900–2200, as
/// for events); anything else is a 422 naming `day`.
pub fn parse_day(text: &str) -> DomainResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            DomainError::Validation(vec![field(
                "day",
                "Bitte ein Datum wie 2026-06-10 angeben.",
                "Please give a date like 2026-06-10.",
            )])
        })
}

/// The legs a driver has on a local day, by pickup time: taken, under way, done or with nobody
/// at the door (not the ones given back or cancelled). For staff, and for the driver
/// themselves; anyone else asking about another driver gets 403.
pub async fn run_sheet(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    driver_id: Uuid,
    day: NaiveDate,
    tz: Tz,
) -> DomainResult<Vec<RideView>> {
    if !is_staff(actor) && actor.user_id != driver_id {
        return Err(DomainError::Forbidden);
    }
    let (from, to) = crate::clock::day_bounds(day, tz);
    let rides = ride::Entity::find()
        .filter(ride::Column::DriverId.eq(driver_id))
        .filter(ride::Column::Status.is_in([
            RideStatus::Accepted,
            RideStatus::InProgress,
            RideStatus::Completed,
            RideStatus::NoShow,
        ]))
        .filter(ride::Column::PickupAt.gte(from))
        .filter(ride::Column::PickupAt.lt(to))
        .order_by_asc(ride::Column::PickupAt)
        .order_by_asc(ride::Column::Id)
        .all(conn)
        .await?;
    views(
        conn,
        rides.into_iter().map(|r| (r, Visibility::Full)).collect(),
    )
    .await
}

/// A driver the desk may assign, with how busy they are on the day asked about.
#[derive(Clone, Debug)]
pub struct DriverChoice {
    pub user_id: Uuid,
    pub display_name: String,
    /// Legs taken or under way that day.
    pub legs_that_day: u64,
}

/// The drivers of a district, by name, with their legs on a local day. Staff only: dispatchers
/// cannot list users otherwise, and must find the driver they assign.
pub async fn drivers_for(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    district: Uuid,
    day: NaiveDate,
    tz: Tz,
) -> DomainResult<Vec<DriverChoice>> {
    require_desk(actor)?;
    let driver_ids: Vec<Uuid> = role_assignment::Entity::find()
        .select_only()
        .column(role_assignment::Column::UserId)
        .filter(role_assignment::Column::Role.eq(Role::Driver))
        .filter(role_assignment::Column::DistrictId.eq(district))
        .into_tuple()
        .all(conn)
        .await?;
    if driver_ids.is_empty() {
        return Ok(Vec::new());
    }
    let people = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(driver_ids.iter().copied()))
        .order_by_asc(app_user::Column::DisplayName)
        .order_by_asc(app_user::Column::Id)
        .all(conn)
        .await?;
    let (from, to) = crate::clock::day_bounds(day, tz);
    let busy: Vec<Option<Uuid>> = ride::Entity::find()
        .select_only()
        .column(ride::Column::DriverId)
        .filter(ride::Column::DriverId.is_in(driver_ids))
        .filter(ride::Column::Status.is_in([RideStatus::Accepted, RideStatus::InProgress]))
        .filter(ride::Column::PickupAt.gte(from))
        .filter(ride::Column::PickupAt.lt(to))
        .into_tuple()
        .all(conn)
        .await?;
    let mut legs: HashMap<Uuid, u64> = HashMap::new();
    for driver in busy.into_iter().flatten() {
        *legs.entry(driver).or_default() += 1;
    }
    Ok(people
        .into_iter()
        .map(|person| DriverChoice {
            legs_that_day: legs.get(&person.id).copied().unwrap_or(0),
            user_id: person.id,
            display_name: person.display_name,
        })
        .collect())
}

/// Fills `ride.contact_phone_key` for rides booked before it existed (migration 000020), at
/// start-up inside the migration's transaction; idempotent, and cheap once done.
pub async fn backfill_phone_keys(txn: &DatabaseTransaction) -> Result<u64, DbErr> {
    let missing: Vec<(Uuid, Option<String>)> = ride::Entity::find()
        .select_only()
        .column(ride::Column::Id)
        .column(ride::Column::ContactPhone)
        .filter(ride::Column::ContactPhone.is_not_null())
        .filter(ride::Column::ContactPhoneKey.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    let mut filled = 0;
    for (id, phone) in missing {
        let Some(key) = phone.as_deref().and_then(contact::phone_key) else {
            continue; // too short to match anyone: stays without a key
        };
        ride::Entity::update_many()
            .col_expr(ride::Column::ContactPhoneKey, Expr::value(key))
            .filter(ride::Column::Id.eq(id))
            .exec(txn)
            .await?;
        filled += 1;
    }
    Ok(filled)
}
