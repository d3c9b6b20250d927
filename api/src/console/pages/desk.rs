//! The ride desk (Fahrdienst-Koordination): today's and tomorrow's rides by state, booking on
//! behalf of a caller in under a minute (with the caller's earlier rides to copy), a ride's
//! page to assign, unassign, move or cancel it, the call-back list, and a printable run sheet
//! per driver and day.
//!
//! Every page first asks the domain whether this person works the desk
//! ([`rides::desk::require_desk`]), then calls the same rule the API's operation calls.

use std::collections::HashMap;

use askama::Template;
use chrono::{Duration, NaiveDate};
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, DoneQuery, has_chrome, render, see_other};
use crate::{
    console::{
        edge::domain_failure,
        forms::{FieldErrors, FormData, local_moment, refusal},
        i18n::{self, DeskLabels, Labels, labels, moment},
        session::{Console, ConsolePost},
    },
    state::AppState,
};
use domain::{
    DomainError,
    idempotency::Claim,
    rides::{self, Action, ListQuery, NewRide, RideView, desk},
    text::{Lang, Text},
};
use entity::vocab::{MobilityAid, RidePurpose, RideScope, RideStatus};

/// One ride in a list.
pub struct RideRow {
    pub id: String,
    pub time: String,
    pub rider: String,
    pub phone: String,
    pub pickup: String,
    pub destination: String,
    pub aids: String,
    pub notes: String,
    pub driver: String,
    pub status: String,
    /// The status's wire value, for the badge's class (the word is always shown too).
    pub status_key: &'static str,
    pub is_return: bool,
}

fn aids_text(t: &DeskLabels, aids: &[MobilityAid]) -> String {
    aids.iter()
        .map(|a| i18n::aid(t, *a))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rider_of(view: &RideView, names: &HashMap<Uuid, String>) -> String {
    view.ride
        .rider_name
        .clone()
        .or_else(|| {
            view.ride
                .rider_user_id
                .and_then(|id| names.get(&id).cloned())
        })
        .unwrap_or_default()
}

fn row(
    view: &RideView,
    names: &HashMap<Uuid, String>,
    t: &'static Labels,
    state: &AppState,
    lang: Lang,
) -> RideRow {
    let r = &view.ride;
    RideRow {
        id: r.id.to_string(),
        time: moment(r.pickup_at, state.time_zone, lang),
        rider: rider_of(view, names),
        phone: r.contact_phone.clone().unwrap_or_default(),
        pickup: r.pickup_address.clone(),
        destination: r.destination.clone(),
        aids: aids_text(t.desk, &view.mobility_aids),
        notes: r.notes.clone().unwrap_or_default(),
        driver: r
            .driver_id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_default(),
        status: i18n::ride_status(t, view.status).to_owned(),
        status_key: view.status.as_str(),
        is_return: r.outward_ride_id.is_some(),
    }
}

/// The people named in these rides, for showing names instead of ids.
async fn names_of(
    state: &AppState,
    page: &Console,
    views: &[&RideView],
) -> poem::Result<HashMap<Uuid, String>> {
    // Collected before the await: a lazy iterator borrowing the views would make the
    // handler's future lose `Send`.
    let mut ids: Vec<Uuid> = Vec::with_capacity(views.len() * 2);
    for view in views {
        ids.extend(view.ride.rider_user_id);
        ids.extend(view.ride.driver_id);
    }
    desk::names(&state.db, &page.actor, ids)
        .await
        .map_err(domain_failure)
}

fn today(state: &AppState) -> NaiveDate {
    state
        .clock
        .now()
        .with_timezone(&state.time_zone)
        .date_naive()
}

// ---------------------------------------------------------------------------------------------
// The board.

pub struct Group {
    pub heading: String,
    pub rows: Vec<RideRow>,
}

#[derive(Template)]
#[template(path = "desk_board.html")]
pub struct BoardPage {
    pub chrome: Chrome,
    pub day: &'static str,
    pub day_label: String,
    pub groups: Vec<Group>,
    pub callbacks: u64,
}

has_chrome!(BoardPage);

#[derive(Deserialize)]
pub struct BoardQuery {
    day: Option<String>,
}

/// `GET /console/rides?day=today|tomorrow`
#[handler]
pub async fn board(
    Data(state): Data<&AppState>,
    page: Console,
    Query(query): Query<BoardQuery>,
) -> poem::Result<Response> {
    desk::require_desk(&page.actor).map_err(domain_failure)?;
    let t = labels(page.lang);
    let tomorrow = query.day.as_deref() == Some("tomorrow");
    let day = today(state) + Duration::days(i64::from(tomorrow));
    let (from, to) = domain::clock::day_bounds(day, state.time_zone);
    let (views, _) = rides::list(
        &state.db,
        &page.actor,
        &ListQuery {
            scope: RideScope::All,
            status: None,
            from: Some(from),
            to: Some(to),
            after: None,
            limit: 500,
        },
    )
    .await
    .map_err(domain_failure)?;
    let names = names_of(state, &page, &views.iter().collect::<Vec<_>>()).await?;
    let open_callbacks = desk::open_callback_count(&state.db, &page.actor)
        .await
        .map_err(domain_failure)?;
    use RideStatus as S;
    let lanes: [(&str, &[S]); 4] = [
        (t.ride_requested, &[S::Requested]),
        (t.ride_accepted, &[S::Accepted]),
        (t.ride_in_progress, &[S::InProgress]),
        (
            t.desk.history,
            &[S::Completed, S::NoShow, S::Cancelled, S::Expired],
        ),
    ];
    let groups = lanes
        .iter()
        .map(|(heading, statuses)| Group {
            heading: (*heading).to_owned(),
            rows: views
                .iter()
                .filter(|v| statuses.contains(&v.status))
                .map(|v| row(v, &names, t, state, page.lang))
                .collect(),
        })
        .collect();
    let (day_key, day_label) = if tomorrow {
        ("tomorrow", t.desk.tomorrow)
    } else {
        ("today", t.desk.today)
    };
    Ok(render(
        StatusCode::OK,
        &BoardPage {
            chrome: Chrome::signed_in(state, &page, t.desk.title, "/console/rides").await?,
            day: day_key,
            day_label: format!("{day_label}, {}", day.format("%d.%m.%Y")),
            groups,
            callbacks: open_callbacks,
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Booking on behalf of a caller.

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// An earlier ride of the caller, to book again.
pub struct Earlier {
    pub href: String,
    pub text: String,
}

/// The booking form as typed (or copied from an earlier ride).
#[derive(Clone, Debug, Default)]
pub struct Booking {
    pub rider_name: String,
    pub contact_phone: String,
    pub district: String,
    pub pickup_address: String,
    pub destination: String,
    pub purpose: String,
    pub pickup_at: String,
    pub appointment_at: String,
    pub return_trip: bool,
    pub return_pickup_at: String,
    pub passengers: String,
    pub aids: Vec<String>,
    pub notes: String,
    pub idempotency_key: String,
}

impl Booking {
    fn from_form(form: &FormData) -> Self {
        Self {
            rider_name: form.get("rider_name").to_owned(),
            contact_phone: form.get("contact_phone").to_owned(),
            district: form.get("pickup_district_id").to_owned(),
            pickup_address: form.get("pickup_address").to_owned(),
            destination: form.get("destination").to_owned(),
            purpose: form.get("purpose").to_owned(),
            pickup_at: form.get("pickup_at").to_owned(),
            appointment_at: form.get("appointment_at").to_owned(),
            return_trip: form.get("return_trip") == "on",
            return_pickup_at: form.get("return_pickup_at").to_owned(),
            passengers: form.get("passengers").to_owned(),
            aids: form
                .0
                .iter()
                .filter(|(k, _)| k == "mobility_aids")
                .map(|(_, v)| v.clone())
                .collect(),
            notes: form.get("notes").to_owned(),
            idempotency_key: form.get("idempotency_key").to_owned(),
        }
    }

    /// A new booking like an earlier one: the same person, places and needs; new times.
    fn like(view: &RideView) -> Self {
        let r = &view.ride;
        Self {
            rider_name: r.rider_name.clone().unwrap_or_default(),
            contact_phone: r.contact_phone.clone().unwrap_or_default(),
            district: r.pickup_district_id.to_string(),
            pickup_address: r.pickup_address.clone(),
            destination: r.destination.clone(),
            purpose: r.purpose.as_str().to_owned(),
            return_trip: view.return_ride_id.is_some(),
            passengers: r.passengers.to_string(),
            aids: view
                .mobility_aids
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            notes: r.notes.clone().unwrap_or_default(),
            ..Self::default()
        }
    }
}

#[derive(Template)]
#[template(path = "desk_book.html")]
pub struct BookPage {
    pub chrome: Chrome,
    pub f: Booking,
    pub districts: Vec<SelectOption>,
    pub purposes: Vec<SelectOption>,
    pub aids: Vec<SelectOption>,
    /// Whether the caller lookup ran (then `earlier` is its answer, maybe empty).
    pub looked_up: bool,
    pub earlier: Vec<Earlier>,
    pub errors: FieldErrors,
    pub banner: String,
}

has_chrome!(BookPage);

async fn book_page(
    state: &AppState,
    page: &Console,
    status: StatusCode,
    mut f: Booking,
    // The caller lookup's answer (maybe empty), or `None` when it did not run.
    lookup: Option<Vec<Earlier>>,
    errors: FieldErrors,
    banner: String,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let districts = domain::districts::list(&state.db)
        .await
        .map_err(domain_failure)?;
    if f.district.is_empty()
        && let Some(first) = districts.first()
    {
        f.district = first.id.to_string();
    }
    if f.purpose.is_empty() {
        f.purpose = RidePurpose::Medical.as_str().to_owned();
    }
    if f.passengers.is_empty() {
        f.passengers = "1".to_owned();
    }
    if f.idempotency_key.is_empty() {
        f.idempotency_key = Uuid::now_v7().to_string();
    }
    let districts = districts
        .into_iter()
        .map(|d| SelectOption {
            selected: f.district == d.id.to_string(),
            value: d.id.to_string(),
            label: d.name,
        })
        .collect();
    let purposes = RidePurpose::ALL
        .iter()
        .map(|p| SelectOption {
            value: p.as_str().to_owned(),
            label: i18n::purpose(t.desk, *p).to_owned(),
            selected: f.purpose == p.as_str(),
        })
        .collect();
    let aids = MobilityAid::ALL
        .iter()
        .map(|a| SelectOption {
            value: a.as_str().to_owned(),
            label: i18n::aid(t.desk, *a).to_owned(),
            selected: f.aids.iter().any(|x| x == a.as_str()),
        })
        .collect();
    Ok(render(
        status,
        &BookPage {
            chrome: Chrome::signed_in(state, page, t.desk.book, "/console/rides/new").await?,
            f,
            districts,
            purposes,
            aids,
            looked_up: lookup.is_some(),
            earlier: lookup.unwrap_or_default(),
            errors,
            banner,
        },
    ))
}

#[derive(Deserialize)]
pub struct BookQuery {
    /// Copy this earlier ride.
    from: Option<Uuid>,
    /// The caller lookup (the form's "Suchen" button sends the name and number by GET).
    contact_phone: Option<String>,
    rider_name: Option<String>,
}

/// `GET /console/rides/new[?from=<ride>][&contact_phone=…]`
#[handler]
pub async fn new_form(
    Data(state): Data<&AppState>,
    page: Console,
    Query(query): Query<BookQuery>,
) -> poem::Result<Response> {
    desk::require_desk(&page.actor).map_err(domain_failure)?;
    let t = labels(page.lang);
    let mut f = match query.from {
        Some(id) => {
            let view = rides::get(&state.db, &page.actor, id)
                .await
                .map_err(domain_failure)?;
            Booking::like(&view)
        }
        None => Booking::default(),
    };
    if let Some(name) = query.rider_name.filter(|n| !n.trim().is_empty()) {
        f.rider_name = name;
    }
    let mut errors = FieldErrors::default();
    let mut earlier = Vec::new();
    let looked_up = query.contact_phone.is_some();
    if let Some(phone) = query.contact_phone {
        f.contact_phone = phone;
        match desk::recent_for_phone(&state.db, &page.actor, &f.contact_phone).await {
            Ok(found) => {
                earlier = found
                    .iter()
                    .map(|v| {
                        let r = &v.ride;
                        let mut text = format!(
                            "{} {}: {}, {} → {}",
                            t.desk.same_as,
                            r.pickup_at
                                .with_timezone(&state.time_zone)
                                .format("%d.%m.%Y"),
                            r.rider_name.clone().unwrap_or_default(),
                            r.pickup_address,
                            r.destination
                        );
                        let aids = aids_text(t.desk, &v.mobility_aids);
                        if !aids.is_empty() {
                            text.push_str(&format!(", {aids}"));
                        }
                        if v.return_ride_id.is_some() {
                            text.push_str(&format!(", {}", t.desk.return_leg));
                        }
                        Earlier {
                            href: format!("/console/rides/new?from={}", r.id),
                            text,
                        }
                    })
                    .collect();
            }
            Err(DomainError::Validation(found)) => {
                // The lookup names its field `phone`; on this form it is `contact_phone`.
                if let Some(first) = found.first() {
                    errors = FieldErrors::one("contact_phone", &first.message, page.lang);
                }
            }
            Err(other) => return Err(domain_failure(other)),
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    book_page(
        state,
        &page,
        status,
        f,
        looked_up.then_some(earlier),
        errors,
        String::new(),
    )
    .await
}

// Console-side messages come from the page's labels, already in its language: `Text::new(x, x)`.

fn required_text() -> Text {
    Text::new("Bitte ausfüllen.", "Please fill this in.")
}

/// `POST /console/rides/new`: the API's `createRide` rule and idempotency record.
#[handler]
pub async fn book(Data(state): Data<&AppState>, post: ConsolePost) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    desk::require_desk(&page.actor).map_err(domain_failure)?;
    let t = labels(page.lang);
    let f = Booking::from_form(&form);
    let tz = state.time_zone;
    let mut errors = FieldErrors::default();
    let mut fail = |field: &str, text: &Text| {
        errors.0.extend(FieldErrors::one(field, text, page.lang).0);
    };
    // The form books for a caller: without a name it would book for the desk itself.
    if f.rider_name.trim().is_empty() {
        fail("rider_name", &required_text());
    }
    let district = Uuid::parse_str(f.district.trim()).unwrap_or_default();
    let pickup_at = match local_moment(&f.pickup_at, tz) {
        Ok(Some(at)) => Some(at),
        Ok(None) => {
            fail(
                "pickup_at",
                &Text::new(t.desk.choose_date, t.desk.choose_date),
            );
            None
        }
        Err(text) => {
            fail("pickup_at", &text);
            None
        }
    };
    let appointment_at = local_moment(&f.appointment_at, tz).unwrap_or_else(|text| {
        fail("appointment_at", &text);
        None
    });
    let return_pickup_at = local_moment(&f.return_pickup_at, tz).unwrap_or_else(|text| {
        fail("return_pickup_at", &text);
        None
    });
    let passengers = f.passengers.trim().parse::<i32>().unwrap_or_else(|_| {
        fail(
            "passengers",
            &Text::new(t.desk.passengers_number, t.desk.passengers_number),
        );
        0
    });
    let purpose = RidePurpose::ALL
        .iter()
        .copied()
        .find(|p| p.as_str() == f.purpose)
        .unwrap_or(RidePurpose::Other);
    let aids = MobilityAid::ALL
        .iter()
        .copied()
        .filter(|a| f.aids.iter().any(|x| x == a.as_str()))
        .collect();
    let (Some(pickup_at), true) = (pickup_at, errors.is_empty()) else {
        return book_page(
            state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            f,
            None,
            errors,
            String::new(),
        )
        .await;
    };
    let input = NewRide {
        pickup_district_id: district,
        pickup_address: f.pickup_address.clone(),
        destination: f.destination.clone(),
        purpose,
        pickup_at,
        flexibility_minutes: None,
        appointment_at,
        return_trip: f.return_trip,
        return_pickup_at,
        passengers,
        mobility_aids: aids,
        notes: Some(f.notes.clone()),
        contact_phone: Some(f.contact_phone.clone()),
        rider_user_id: None,
        rider_name: Some(f.rider_name.clone()),
        event_id: None,
    };
    let key = f.idempotency_key.trim().to_owned();
    let claim = (!key.is_empty())
        .then(|| {
            Claim::new(
                format!("user:{}", page.actor.user_id),
                &key,
                "createRide",
                &input,
            )
        })
        .transpose();
    let outcome = match claim {
        Ok(claim) => rides::create(
            &state.db,
            &state.clock,
            state.ride_settings(),
            &page.actor,
            input,
            claim.as_ref(),
        )
        .await
        .map(|view| view.ride.id),
        Err(err) => Err(err),
    };
    match outcome {
        Ok(id) => Ok(see_other(&format!("/console/rides/{id}?done=booked"))),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            book_page(
                state,
                &page,
                refused.status,
                f,
                None,
                refused.errors,
                refused.banner,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One ride.

pub struct HistoryRow {
    pub at: String,
    pub status: String,
    pub reason: String,
}

pub struct DriverOption {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "desk_ride.html")]
pub struct RidePage {
    pub chrome: Chrome,
    pub ride: RideRow,
    pub purpose: String,
    pub appointment: String,
    pub outward_id: String,
    pub return_id: String,
    pub driver_id: String,
    pub sheet_href: String,
    pub history: Vec<HistoryRow>,
    pub drivers: Vec<DriverOption>,
    /// Whether the ride can still be assigned, unassigned, moved or cancelled.
    pub can_assign: bool,
    pub can_release: bool,
    pub can_move: bool,
    pub can_cancel: bool,
    pub new_pickup: String,
    pub errors: FieldErrors,
    pub banner: String,
    pub success: String,
}

has_chrome!(RidePage);

#[allow(
    clippy::too_many_arguments,
    reason = "one page, shown from five handlers with what each knows"
)]
async fn ride_page(
    state: &AppState,
    page: &Console,
    id: Uuid,
    status: StatusCode,
    new_pickup: Option<String>,
    errors: FieldErrors,
    banner: String,
    success: String,
) -> poem::Result<Response> {
    desk::require_desk(&page.actor).map_err(domain_failure)?;
    let t = labels(page.lang);
    let view = rides::get(&state.db, &page.actor, id)
        .await
        .map_err(domain_failure)?;
    let day = view
        .ride
        .pickup_at
        .with_timezone(&state.time_zone)
        .date_naive();
    let drivers = desk::drivers_for(
        &state.db,
        &page.actor,
        view.ride.pickup_district_id,
        day,
        state.time_zone,
    )
    .await
    .map_err(domain_failure)?;
    let names = names_of(state, page, &[&view]).await?;
    let r = &view.ride;
    use RideStatus as S;
    let history = view
        .events
        .iter()
        .map(|e| HistoryRow {
            at: moment(e.at, state.time_zone, page.lang),
            status: i18n::ride_status(t, e.status).to_owned(),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let row = row(&view, &names, t, state, page.lang);
    Ok(render(
        status,
        &RidePage {
            chrome: Chrome::signed_in(state, page, row.time.clone(), "/console/rides").await?,
            purpose: i18n::purpose(t.desk, r.purpose).to_owned(),
            appointment: r
                .appointment_at
                .map(|at| moment(at, state.time_zone, page.lang))
                .unwrap_or_default(),
            outward_id: r.outward_ride_id.map(|i| i.to_string()).unwrap_or_default(),
            return_id: view
                .return_ride_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            driver_id: r.driver_id.map(|i| i.to_string()).unwrap_or_default(),
            sheet_href: r
                .driver_id
                .map(|d| format!("/console/rides/sheet?driver={d}&day={day}"))
                .unwrap_or_default(),
            history,
            drivers: drivers
                .into_iter()
                .map(|d| DriverOption {
                    checked: r.driver_id == Some(d.user_id),
                    id: d.user_id.to_string(),
                    label: format!(
                        "{} ({} {})",
                        d.display_name, d.legs_that_day, t.desk.legs_that_day
                    ),
                })
                .collect(),
            can_assign: matches!(view.status, S::Requested | S::Accepted),
            can_release: view.status == S::Accepted,
            can_move: matches!(view.status, S::Requested | S::Accepted),
            can_cancel: matches!(view.status, S::Requested | S::Accepted | S::InProgress),
            new_pickup: new_pickup
                .unwrap_or_else(|| i18n::input_value(r.pickup_at, state.time_zone)),
            ride: row,
            errors,
            banner,
            success,
        },
    ))
}

/// `GET /console/rides/{id}`
#[handler]
pub async fn show(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let success = match query.done.as_deref() {
        Some("booked") => t.desk.booked,
        Some(_) => t.desk.saved,
        None => "",
    };
    ride_page(
        state,
        &page,
        id,
        StatusCode::OK,
        None,
        FieldErrors::default(),
        String::new(),
        success.to_owned(),
    )
    .await
}

/// A ride page's form: the rule's answer, a 303 back to the page on success, the page with
/// the refusal otherwise.
async fn after_step(
    state: &AppState,
    page: &Console,
    id: Uuid,
    outcome: Result<RideView, DomainError>,
    new_pickup: Option<String>,
) -> poem::Result<Response> {
    match outcome {
        Ok(_) => Ok(see_other(&format!("/console/rides/{id}?done=saved"))),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            ride_page(
                state,
                page,
                id,
                refused.status,
                new_pickup,
                refused.errors,
                refused.banner,
                String::new(),
            )
            .await
        }
    }
}

async fn desk_step(
    state: &AppState,
    post: ConsolePost,
    id: Uuid,
    action: impl FnOnce(&FormData) -> Action,
) -> poem::Result<Response> {
    desk::require_desk(&post.console.actor).map_err(domain_failure)?;
    let action = action(&post.form);
    let outcome = rides::transition(
        &state.db,
        &state.clock,
        state.ride_settings(),
        &post.console.actor,
        id,
        action,
    )
    .await;
    after_step(state, &post.console, id, outcome, None).await
}

/// `POST /console/rides/{id}/assign`
#[handler]
pub async fn assign(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    desk_step(state, post, id, |form| Action::Assign {
        // Nothing chosen is the rule's "this person does not drive here", next to the field.
        driver_id: Uuid::parse_str(form.get("driver_id").trim()).unwrap_or_default(),
    })
    .await
}

/// `POST /console/rides/{id}/release`
#[handler]
pub async fn release(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    desk_step(state, post, id, |form| Action::Release {
        reason: form.get("reason").to_owned(),
    })
    .await
}

/// `POST /console/rides/{id}/cancel`
#[handler]
pub async fn cancel(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    desk_step(state, post, id, |form| Action::Cancel {
        reason: form.get("reason").to_owned(),
    })
    .await
}

/// `POST /console/rides/{id}/reschedule`
#[handler]
pub async fn reschedule(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    desk::require_desk(&page.actor).map_err(domain_failure)?;
    let t = labels(page.lang);
    let typed = form.get("pickup_at").to_owned();
    let pickup_at = match local_moment(&typed, state.time_zone) {
        Ok(Some(at)) => Ok(at),
        Ok(None) => Err(Text::new(t.desk.choose_date, t.desk.choose_date)),
        Err(text) => Err(text),
    };
    let outcome = match pickup_at {
        Ok(pickup_at) => {
            // The appointment stays where it was unless it would now come before the pickup.
            let current = rides::get(&state.db, &page.actor, id)
                .await
                .map_err(domain_failure)?;
            let appointment_at = current.ride.appointment_at.filter(|at| *at >= pickup_at);
            rides::reschedule(
                &state.db,
                &state.clock,
                state.ride_settings(),
                &page.actor,
                id,
                rides::Reschedule {
                    pickup_at,
                    appointment_at,
                    reason: Some(form.get("reason").to_owned()),
                },
            )
            .await
        }
        Err(text) => Err(DomainError::Validation(vec![
            domain::text::FieldError::new("pickup_at", text),
        ])),
    };
    after_step(state, &page, id, outcome, Some(typed)).await
}

// ---------------------------------------------------------------------------------------------
// The call-back list.

pub struct CallbackRow {
    pub id: String,
    pub reason: String,
    pub changed: String,
    pub ride: RideRow,
}

#[derive(Template)]
#[template(path = "desk_callbacks.html")]
pub struct CallbacksPage {
    pub chrome: Chrome,
    pub items: Vec<CallbackRow>,
    pub banner: String,
    pub success: String,
}

has_chrome!(CallbacksPage);

async fn callbacks_page(
    state: &AppState,
    page: &Console,
    status: StatusCode,
    banner: String,
    success: String,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let open = desk::open_callbacks(&state.db, &page.actor)
        .await
        .map_err(domain_failure)?;
    let names = names_of(
        state,
        page,
        &open.iter().map(|c| &c.ride).collect::<Vec<_>>(),
    )
    .await?;
    let items = open
        .iter()
        .map(|c| CallbackRow {
            id: c.callback.id.to_string(),
            reason: i18n::callback_reason(t.desk, c.callback.reason).to_owned(),
            changed: moment(c.callback.created_at, state.time_zone, page.lang),
            ride: row(&c.ride, &names, t, state, page.lang),
        })
        .collect();
    Ok(render(
        status,
        &CallbacksPage {
            chrome: Chrome::signed_in(state, page, t.desk.callbacks, "/console/rides/callbacks")
                .await?,
            items,
            banner,
            success,
        },
    ))
}

/// `GET /console/rides/callbacks`
#[handler]
pub async fn callbacks(
    Data(state): Data<&AppState>,
    page: Console,
    Query(query): Query<DoneQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let success = if query.done.is_some() {
        t.desk.saved.to_owned()
    } else {
        String::new()
    };
    callbacks_page(state, &page, StatusCode::OK, String::new(), success).await
}

/// `POST /console/rides/callbacks/{id}/done`: the API's `completeRideCallback` rule; a second
/// tick (someone else was quicker) is a calm banner, not an error page.
#[handler]
pub async fn callback_done(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let page = post.console;
    match desk::callback_done(&state.db, &state.clock, &page.actor, id).await {
        Ok(_) => Ok(see_other("/console/rides/callbacks?done=1")),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            callbacks_page(state, &page, refused.status, refused.banner, String::new()).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The run sheet.

#[derive(Template)]
#[template(path = "desk_sheet.html")]
pub struct SheetPage {
    pub chrome: Chrome,
    pub driver_id: String,
    pub driver_name: String,
    /// The day as the date input wants it (`YYYY-MM-DD`).
    pub day: String,
    pub day_label: String,
    pub rows: Vec<RideRow>,
    pub errors: FieldErrors,
}

has_chrome!(SheetPage);

#[derive(Deserialize)]
pub struct SheetQuery {
    driver: Option<Uuid>,
    day: Option<String>,
}

/// `GET /console/rides/sheet?driver=<id>&day=YYYY-MM-DD`: printable (`@media print`).
#[handler]
pub async fn sheet(
    Data(state): Data<&AppState>,
    page: Console,
    Query(query): Query<SheetQuery>,
) -> poem::Result<Response> {
    desk::require_desk(&page.actor).map_err(domain_failure)?;
    let t = labels(page.lang);
    // A sheet names its driver; without one there is no such page.
    let driver = query.driver.ok_or_else(|| {
        domain_failure(DomainError::NotFound(Text::new(
            "Dieser Fahrplan nennt keine Fahrer:in.",
            "This run sheet names no driver.",
        )))
    })?;
    let typed = query.day.unwrap_or_default();
    let mut errors = FieldErrors::default();
    let day = if typed.trim().is_empty() {
        today(state)
    } else {
        match desk::parse_day(&typed) {
            Ok(day) => day,
            Err(DomainError::Validation(found)) => {
                errors = FieldErrors::from_domain(&found, page.lang);
                today(state)
            }
            Err(other) => return Err(domain_failure(other)),
        }
    };
    let views = desk::run_sheet(&state.db, &page.actor, driver, day, state.time_zone)
        .await
        .map_err(domain_failure)?;
    let mut names = names_of(state, &page, &views.iter().collect::<Vec<_>>()).await?;
    names.extend(
        desk::names(&state.db, &page.actor, [driver])
            .await
            .map_err(domain_failure)?,
    );
    let driver_name = names.get(&driver).cloned().unwrap_or_default();
    let rows = views
        .iter()
        .map(|v| row(v, &names, t, state, page.lang))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        &SheetPage {
            chrome: Chrome::signed_in(
                state,
                &page,
                format!("{} {driver_name}", t.desk.run_sheet_for),
                "/console/rides/sheet",
            )
            .await?,
            driver_id: driver.to_string(),
            driver_name,
            day: day.format("%Y-%m-%d").to_string(),
            day_label: day.format("%d.%m.%Y").to_string(),
            rows,
            errors,
        },
    ))
}
