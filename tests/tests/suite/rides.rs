//! Shuttle rides: booking (with return legs and `Idempotency-Key`), the state machine and who
//! may take which step, the race of drivers accepting one ride, the notices each step hands
//! over, expiry and reminders through the job queue, lists and statistics.
//!
//! Who sees which details of a ride is in `ride_privacy`.

use chrono::Duration;
use futures::future::join_all;
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Cast, Reply, Session, TestApp, assert_conflict, assert_invalid_field, at, book, book_reply,
    encode, error_fields, get_anonymous, get_as, get_ride, history, id_of, ids, instant, notices,
    pairs, post_json, rfc3339, ride, ride_as, ride_path, run_jobs, send, sorted, spawn_cast,
    spawn_with_admin, spawn_with_admin_and, step, step_ok, test_epoch, update_recipients,
    updates_for, user_with_role, with,
};

// ---------------------------------------------------------------------------------------------
// Booking.

#[tokio::test]
async fn a_resident_books_a_ride_for_themselves_and_it_waits_for_a_driver() {
    let (app, crew) = spawn_cast().await;
    let created = book(&app, &crew.rider, &ride(&crew.rieder, 180)).await;
    assert_eq!(created["status"], "requested");
    assert_eq!(created["details_hidden"], false);
    assert_eq!(created["pickup_district_id"], crew.rieder.as_str());
    assert_eq!(created["pickup_address"], "Lindenstraße 4");
    assert_eq!(
        created["destination"],
        "Hausarztpraxis Dr. Krause, Ballenstedt"
    );
    assert_eq!(created["purpose"], "medical");
    assert_eq!(instant(&created["pickup_at"]), Some(at(180)));
    assert_eq!(created["flexibility_minutes"], 15);
    assert_eq!(created["passengers"], 1);
    assert_eq!(created["mobility_aids"], json!(["walker"]));
    assert_eq!(created["rider_user_id"], crew.rider.user_id.as_str());
    assert_eq!(created["rider_name"], Value::Null);
    assert_eq!(created["contact_phone"], "039483 1234");
    assert_eq!(created["driver_id"], Value::Null);
    assert_eq!(created["outward_ride_id"], Value::Null);
    assert_eq!(created["return_ride_id"], Value::Null);
    assert_eq!(history(&created), pairs(&[("requested", "rider")]));
    assert_eq!(instant(&created["created_at"]), Some(test_epoch()));
    assert_eq!(ride_as(&app, &crew.rider, &id_of(&created)).await, created);

    let requests = notices(&app, "ride_request").await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].audience_kind.as_str(), "district_drivers");
    assert_eq!(
        requests[0].audience_ref.map(|d| d.to_string()),
        Some(crew.rieder.clone())
    );
    assert!(
        !requests[0].body.contains("Lindenstraße"),
        "the broadcast names no address: {}",
        requests[0].body
    );
    assert!(updates_for(&app, &crew.rider).await.is_empty());
}

#[tokio::test]
async fn the_purpose_defaults_to_other_and_optional_fields_may_be_left_out() {
    let (app, crew) = spawn_cast().await;
    let body = json!({
        "pickup_district_id": crew.rieder,
        "pickup_address": "Am Anger 2",
        "destination": "Apotheke am Markt",
        "pickup_at": rfc3339(at(120)),
        "passengers": 2,
    });
    let created = book(&app, &crew.rider, &body).await;
    assert_eq!(created["purpose"], "other");
    assert_eq!(created["mobility_aids"], json!([]));
    assert_eq!(created["notes"], Value::Null);
    assert_eq!(created["contact_phone"], Value::Null);
    assert_eq!(created["return_ride_id"], Value::Null);
    assert_eq!(created["passengers"], 2);
}

#[tokio::test]
async fn anonymous_callers_must_sign_in_for_every_ride_operation() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    for path in [
        "/api/v1/rides".to_owned(),
        "/api/v1/rides?scope=driver".to_owned(),
        ride_path(&id),
        format!("/api/v1/rides/stats?district_id={}", crew.rieder),
    ] {
        get_anonymous(&app, &path)
            .await
            .assert_problem(401, "unauthorized");
    }
    post_json(&app, "/api/v1/rides", None, ride(&crew.rieder, 180))
        .await
        .assert_problem(401, "unauthorized");
    for action in [
        "accept", "assign", "release", "start", "complete", "no-show", "cancel",
    ] {
        let body = if action == "assign" {
            json!({"driver_id": crew.driver.user_id})
        } else {
            json!({})
        };
        post_json(&app, &format!("/api/v1/rides/{id}/{action}"), None, body)
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_eq!(ride_as(&app, &crew.rider, &id).await["status"], "requested");
}

#[tokio::test]
async fn a_return_trip_books_a_second_leg_back_from_the_destination() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(&ride(&crew.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let body = with(&body, "appointment_at", json!(rfc3339(at(210))));
    let outward = book(&app, &crew.rider, &body).await;
    let back_id = outward["return_ride_id"]
        .as_str()
        .unwrap_or_else(|| panic!("return leg: {outward}"))
        .to_owned();
    assert_ne!(back_id, id_of(&outward));
    assert_eq!(outward["outward_ride_id"], Value::Null);
    assert_eq!(instant(&outward["appointment_at"]), Some(at(210)));

    let back = ride_as(&app, &crew.rider, &back_id).await;
    assert_eq!(back["status"], "requested");
    assert_eq!(back["outward_ride_id"], outward["id"]);
    assert_eq!(back["return_ride_id"], Value::Null);
    assert_eq!(back["pickup_address"], outward["destination"]);
    assert_eq!(back["destination"], outward["pickup_address"]);
    assert_eq!(instant(&back["pickup_at"]), Some(at(300)));
    assert_eq!(back["rider_user_id"], crew.rider.user_id.as_str());
    assert_eq!(back["passengers"], outward["passengers"]);
    assert_eq!(back["mobility_aids"], outward["mobility_aids"]);
    assert_eq!(history(&back), pairs(&[("requested", "rider")]));
    assert_eq!(
        notices(&app, "ride_request").await.len(),
        1,
        "one request for both legs"
    );

    // Each leg has its own driver and status.
    let taken = step_ok(&app, &crew.driver, &back_id, "accept").await;
    assert_eq!(taken["status"], "accepted");
    assert_eq!(
        ride_as(&app, &crew.rider, &id_of(&outward)).await["status"],
        "requested"
    );
    let mine = get_as(&app, "/api/v1/rides", &crew.rider.access)
        .await
        .json();
    assert_eq!(ids(&mine), [id_of(&outward), back_id.clone()]);
    // The list carries the same links and histories as the single rides.
    assert_eq!(mine["items"][0]["return_ride_id"], back_id.as_str());
    assert_eq!(mine["items"][1]["outward_ride_id"], outward["id"]);
    assert_eq!(
        history(&mine["items"][1]),
        pairs(&[("requested", "rider"), ("accepted", "driver")])
    );
}

async fn book_with_key(app: &TestApp, session: &Session, key: &str, body: &Value) -> Reply {
    send(
        app,
        Method::POST,
        "/api/v1/rides",
        Some(&session.access),
        &[("Idempotency-Key", key)],
        Some(body),
    )
    .await
}

/// A key with bytes outside visible ASCII (an app that sends `Schlüssel-1` raw) cannot be
/// read by the handler; without the refusal the booking would run unprotected and a retry
/// would book twice.
#[tokio::test]
async fn an_unreadable_idempotency_key_is_refused_and_books_nothing() {
    let (app, crew) = spawn_cast().await;
    let body = ride(&crew.rieder, 180);
    let request = app
        .client
        .post("/api/v1/rides")
        .header("Authorization", format!("Bearer {}", crew.rider.access))
        .header(
            "Idempotency-Key",
            poem::http::HeaderValue::from_bytes("Schlüssel-1".as_bytes()).unwrap(),
        )
        .content_type("application/json")
        .body(body.to_string());
    let reply = Reply::checked(&Method::POST, "/api/v1/rides", request.send().await).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(reply.json()["errors"][0]["field"], "Idempotency-Key");
    assert!(all_ids(&app, &crew.dispatcher).await.is_empty());
    // A key of visible ASCII books.
    let booked = book_with_key(&app, &crew.rider, "Schluessel-1", &body).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
}

async fn all_ids(app: &TestApp, staff: &Session) -> Vec<String> {
    let reply = get_as(app, "/api/v1/rides?scope=all&limit=100", &staff.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    ids(&reply.json())
}

#[tokio::test]
async fn a_retried_booking_with_the_same_idempotency_key_books_one_ride_and_one_return_leg() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(&ride(&crew.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let first = book_with_key(&app, &crew.rider, "fahrt-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    app.clock.advance(Duration::seconds(30));
    let again = book_with_key(&app, &crew.rider, "fahrt-1", &body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(id_of(&again.json()), id_of(&first.json()));
    assert_eq!(
        again.json()["return_ride_id"],
        first.json()["return_ride_id"]
    );
    assert_eq!(all_ids(&app, &crew.dispatcher).await.len(), 2, "two legs");
    assert_eq!(notices(&app, "ride_request").await.len(), 1);

    // Another user's key of the same name is independent.
    let neighbour = book_with_key(&app, &crew.neighbour, "fahrt-1", &body).await;
    assert_eq!(neighbour.status, 201, "{}", neighbour.text);
    assert_ne!(id_of(&neighbour.json()), id_of(&first.json()));
    assert_eq!(all_ids(&app, &crew.dispatcher).await.len(), 4);
}

#[tokio::test]
async fn the_same_idempotency_key_with_a_different_booking_is_refused() {
    let (app, crew) = spawn_cast().await;
    let first = book_with_key(&app, &crew.rider, "k", &ride(&crew.rieder, 180)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let other = book_with_key(&app, &crew.rider, "k", &ride(&crew.rieder, 240)).await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert_eq!(
        all_ids(&app, &crew.dispatcher).await,
        [id_of(&first.json())]
    );
}

#[tokio::test]
async fn a_refused_booking_does_not_use_up_its_idempotency_key() {
    let (app, crew) = spawn_cast().await;
    let bad = with(&ride(&crew.rieder, 180), "passengers", json!(9));
    let refused = book_with_key(&app, &crew.rider, "k2", &bad).await;
    assert_invalid_field(&refused, "passengers");
    let good = book_with_key(&app, &crew.rider, "k2", &ride(&crew.rieder, 180)).await;
    assert_eq!(good.status, 201, "{}", good.text);
}

#[tokio::test]
async fn the_pickup_must_be_at_least_the_lead_time_and_at_most_sixty_days_ahead() {
    let (app, crew) = spawn_cast().await;
    for minutes in [-60, 0, 59] {
        let reply = book_reply(&app, &crew.rider, &ride(&crew.rieder, minutes)).await;
        assert_invalid_field(&reply, "pickup_at");
    }
    book(&app, &crew.rider, &ride(&crew.rieder, 60)).await;
    let horizon = 60 * 24 * 60;
    book(&app, &crew.rider, &ride(&crew.rieder, horizon)).await;
    let reply = book_reply(&app, &crew.rider, &ride(&crew.rieder, horizon + 1)).await;
    assert_invalid_field(&reply, "pickup_at");
}

#[tokio::test]
async fn the_lead_time_is_configurable() {
    let app = spawn_with_admin_and(|s| s.ride_min_lead_minutes = 180).await;
    let crew = Cast::new(&app).await;
    let reply = book_reply(&app, &crew.rider, &ride(&crew.rieder, 179)).await;
    assert_invalid_field(&reply, "pickup_at");
    book(&app, &crew.rider, &ride(&crew.rieder, 180)).await;
}

#[tokio::test]
async fn bookings_with_bad_fields_are_refused_by_field() {
    let (app, crew) = spawn_cast().await;
    let base = ride(&crew.rieder, 180);
    let long = "x".repeat(301);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown district",
            with(
                &base,
                "pickup_district_id",
                json!(uuid::Uuid::now_v7().to_string()),
            ),
            "pickup_district_id",
        ),
        (
            "empty address",
            with(&base, "pickup_address", json!("  ")),
            "pickup_address",
        ),
        (
            "long address",
            with(&base, "pickup_address", json!(long)),
            "pickup_address",
        ),
        (
            "empty destination",
            with(&base, "destination", json!("")),
            "destination",
        ),
        (
            "long destination",
            with(&base, "destination", json!(long)),
            "destination",
        ),
        (
            "no passengers",
            with(&base, "passengers", json!(0)),
            "passengers",
        ),
        (
            "five passengers",
            with(&base, "passengers", json!(5)),
            "passengers",
        ),
        (
            "negative flexibility",
            with(&base, "flexibility_minutes", json!(-1)),
            "flexibility_minutes",
        ),
        (
            "too much flexibility",
            with(&base, "flexibility_minutes", json!(241)),
            "flexibility_minutes",
        ),
        (
            "appointment before pickup",
            with(&base, "appointment_at", json!(rfc3339(at(179)))),
            "appointment_at",
        ),
        (
            "long notes",
            with(&base, "notes", json!("n".repeat(1001))),
            "notes",
        ),
        (
            "phone with letters",
            with(&base, "contact_phone", json!("ruf mich an")),
            "contact_phone",
        ),
        (
            "short phone",
            with(&base, "contact_phone", json!("12")),
            "contact_phone",
        ),
        (
            "long phone",
            with(&base, "contact_phone", json!("1".repeat(41))),
            "contact_phone",
        ),
        (
            "return trip without its time",
            with(&base, "return_trip", json!(true)),
            "return_pickup_at",
        ),
        (
            "return before the outward pickup",
            with(
                &with(&base, "return_trip", json!(true)),
                "return_pickup_at",
                json!(rfc3339(at(180))),
            ),
            "return_pickup_at",
        ),
        (
            "return beyond sixty days",
            with(
                &with(&base, "return_trip", json!(true)),
                "return_pickup_at",
                json!(rfc3339(at(60 * 24 * 60 + 1))),
            ),
            "return_pickup_at",
        ),
        (
            "return time without return trip",
            with(&base, "return_pickup_at", json!(rfc3339(at(300)))),
            "return_pickup_at",
        ),
        (
            "unknown purpose",
            with(&base, "purpose", json!("joyride")),
            "purpose",
        ),
    ];
    for (what, body, field) in cases {
        let reply = book_reply(&app, &crew.rider, &body).await;
        assert_eq!(reply.status, 422, "{what}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    // Boundaries that are fine.
    for body in [
        with(&base, "flexibility_minutes", json!(0)),
        with(&base, "flexibility_minutes", json!(240)),
        with(&base, "passengers", json!(4)),
        with(&base, "appointment_at", json!(rfc3339(at(180)))),
        with(&base, "pickup_address", json!("y".repeat(300))),
        with(&base, "notes", json!("n".repeat(1000))),
        with(&base, "contact_phone", json!("+49 (39483) 12-34/5")),
        with(&base, "contact_phone", json!("110")),
    ] {
        book(&app, &crew.rider, &body).await;
    }

    let reply = book_reply(
        &app,
        &crew.rider,
        &with(&base, "mobility_aids", json!(["walker", "jetpack"])),
    )
    .await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert!(
        error_fields(&problem)
            .iter()
            .any(|f| f.contains("mobility_aids")),
        "{problem}"
    );
    assert_eq!(all_ids(&app, &crew.dispatcher).await.len(), 8);
}

#[tokio::test]
async fn several_faults_are_named_in_one_answer() {
    let (app, crew) = spawn_cast().await;
    let body = json!({
        "pickup_district_id": uuid::Uuid::now_v7().to_string(),
        "pickup_address": "",
        "destination": "Markt",
        "pickup_at": rfc3339(at(10)),
        "passengers": 0,
    });
    let reply = book_reply(&app, &crew.rider, &body).await;
    let problem = reply.assert_problem(422, "validation_failed");
    let fields = error_fields(&problem);
    for field in [
        "pickup_district_id",
        "pickup_address",
        "pickup_at",
        "passengers",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
}

#[tokio::test]
async fn only_dispatchers_and_admins_book_for_someone_else() {
    let (app, crew) = spawn_cast().await;
    let for_neighbour = with(
        &ride(&crew.rieder, 180),
        "rider_user_id",
        json!(crew.neighbour.user_id),
    );
    let for_phone = with(
        &ride(&crew.rieder, 180),
        "rider_name",
        json!("Erna Schulze"),
    );
    for who in [&crew.rider, &crew.driver, &crew.leader, &crew.operator] {
        for body in [&for_neighbour, &for_phone] {
            book_reply(&app, who, body)
                .await
                .assert_problem(403, "forbidden");
        }
    }
    assert!(all_ids(&app, &crew.dispatcher).await.is_empty());

    for staff in [&crew.dispatcher, &crew.admin] {
        let booked = book(&app, staff, &for_neighbour).await;
        assert_eq!(booked["rider_user_id"], crew.neighbour.user_id.as_str());
        let expected = if staff.user_id == crew.admin.user_id {
            "admin"
        } else {
            "dispatcher"
        };
        assert_eq!(history(&booked), pairs(&[("requested", expected)]));
        // The resident sees the ride booked for them.
        assert_eq!(
            ride_as(&app, &crew.neighbour, &id_of(&booked)).await,
            booked
        );
    }
    let mine = get_as(&app, "/api/v1/rides", &crew.neighbour.access)
        .await
        .json();
    assert_eq!(ids(&mine).len(), 2);
}

#[tokio::test]
async fn a_booking_for_someone_else_names_an_account_or_a_name_with_a_phone() {
    let (app, crew) = spawn_cast().await;
    let base = ride(&crew.rieder, 180);
    let nobody = with(
        &base,
        "rider_user_id",
        json!(uuid::Uuid::now_v7().to_string()),
    );
    assert_invalid_field(
        &book_reply(&app, &crew.dispatcher, &nobody).await,
        "rider_user_id",
    );
    let mut no_phone = with(&base, "rider_name", json!("Erna Schulze"));
    no_phone
        .as_object_mut()
        .expect("object")
        .remove("contact_phone");
    assert_invalid_field(
        &book_reply(&app, &crew.dispatcher, &no_phone).await,
        "contact_phone",
    );
    let both = with(
        &with(&base, "rider_name", json!("Erna Schulze")),
        "rider_user_id",
        json!(crew.neighbour.user_id),
    );
    assert_invalid_field(
        &book_reply(&app, &crew.dispatcher, &both).await,
        "rider_name",
    );
    assert!(all_ids(&app, &crew.dispatcher).await.is_empty());

    let phone = book(
        &app,
        &crew.dispatcher,
        &with(&base, "rider_name", json!("Erna Schulze")),
    )
    .await;
    assert_eq!(phone["rider_user_id"], Value::Null);
    assert_eq!(phone["rider_name"], "Erna Schulze");
    assert_eq!(phone["contact_phone"], "039483 1234");
    let mine = get_as(&app, "/api/v1/rides", &crew.dispatcher.access)
        .await
        .json();
    assert_eq!(
        ids(&mine),
        [id_of(&phone)],
        "the booking dispatcher's own list"
    );
}

#[tokio::test]
async fn a_rider_without_an_account_gets_no_notices_but_the_driver_does() {
    let (app, crew) = spawn_cast().await;
    let phone = book(
        &app,
        &crew.dispatcher,
        &with(
            &ride(&crew.rieder, 180),
            "rider_name",
            json!("Erna Schulze"),
        ),
    )
    .await;
    let id = id_of(&phone);
    step_ok(&app, &crew.driver, &id, "accept").await;
    step_ok(&app, &crew.driver, &id, "release").await;
    assert!(update_recipients(&app).await.is_empty());
    step_ok(&app, &crew.second_driver, &id, "accept").await;
    app.clock.set(at(121));
    run_jobs(&app).await; // the reminder: the driver only
    assert_eq!(
        update_recipients(&app).await,
        sorted(&[&crew.second_driver])
    );
}

// ---------------------------------------------------------------------------------------------
// The state machine.

#[tokio::test]
async fn a_driver_takes_a_ride_from_acceptance_to_completion() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    let accepted = step_ok(&app, &crew.driver, &id, "accept").await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["driver_id"], crew.driver.user_id.as_str());
    assert_eq!(accepted["details_hidden"], false);
    assert_eq!(accepted["pickup_address"], "Lindenstraße 4");
    app.clock.advance(Duration::minutes(5));
    let started = step_ok(&app, &crew.driver, &id, "start").await;
    assert_eq!(started["status"], "in_progress");
    app.clock.advance(Duration::minutes(5));
    let done = step_ok(&app, &crew.driver, &id, "complete").await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["driver_id"], crew.driver.user_id.as_str());
    assert_eq!(
        history(&done),
        pairs(&[
            ("requested", "rider"),
            ("accepted", "driver"),
            ("in_progress", "driver"),
            ("completed", "driver"),
        ])
    );
    let times: Vec<_> = done["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| instant(&e["at"]))
        .collect();
    assert_eq!(times, [Some(at(0)), Some(at(0)), Some(at(5)), Some(at(10))]);
    assert_eq!(instant(&done["updated_at"]), Some(at(10)));
    assert_eq!(ride_as(&app, &crew.rider, &id).await["status"], "completed");
    assert_eq!(ride_as(&app, &crew.driver, &id).await, done);
}

#[tokio::test]
async fn who_may_take_which_step_of_an_open_or_accepted_ride() {
    let (app, crew) = spawn_cast().await;
    let open = crew.booked(&app, 180).await;
    let taken = crew.booked(&app, 240).await;
    step_ok(&app, &crew.driver, &taken, "accept").await;
    let assign = json!({"driver_id": crew.second_driver.user_id});

    // (who, ride, step, expected status)
    let cases: Vec<(&str, &Session, &str, &str, u16)> = vec![
        ("rider accepts", &crew.rider, &open, "accept", 403),
        ("neighbour accepts", &crew.neighbour, &open, "accept", 404),
        ("far driver accepts", &crew.far_driver, &open, "accept", 404),
        ("leader accepts", &crew.leader, &open, "accept", 404),
        ("operator accepts", &crew.operator, &open, "accept", 404),
        ("rider assigns", &crew.rider, &open, "assign", 403),
        ("driver assigns", &crew.driver, &open, "assign", 403),
        ("far driver assigns", &crew.far_driver, &open, "assign", 404),
        ("leader assigns", &crew.leader, &open, "assign", 404),
        (
            "driver starts an open ride",
            &crew.driver,
            &open,
            "start",
            403,
        ),
        (
            "driver completes an open ride",
            &crew.driver,
            &open,
            "complete",
            403,
        ),
        ("rider starts", &crew.rider, &taken, "start", 403),
        (
            "other driver starts",
            &crew.second_driver,
            &taken,
            "start",
            404,
        ),
        ("dispatcher starts", &crew.dispatcher, &taken, "start", 403),
        (
            "other driver completes",
            &crew.second_driver,
            &taken,
            "complete",
            404,
        ),
        (
            "other driver: no-show",
            &crew.second_driver,
            &taken,
            "no-show",
            404,
        ),
        ("rider: no-show", &crew.rider, &taken, "no-show", 403),
        (
            "other driver releases",
            &crew.second_driver,
            &taken,
            "release",
            404,
        ),
        (
            "far driver releases",
            &crew.far_driver,
            &taken,
            "release",
            404,
        ),
        ("rider releases", &crew.rider, &taken, "release", 403),
        (
            "other driver cancels",
            &crew.second_driver,
            &taken,
            "cancel",
            404,
        ),
        (
            "driver cancels an open ride",
            &crew.driver,
            &open,
            "cancel",
            403,
        ),
        (
            "assigned driver cancels",
            &crew.driver,
            &taken,
            "cancel",
            403,
        ),
        ("neighbour cancels", &crew.neighbour, &open, "cancel", 404),
        ("leader cancels", &crew.leader, &taken, "cancel", 404),
    ];
    for (what, who, id, action, expected) in cases {
        let body = if action == "assign" {
            assign.clone()
        } else {
            json!({})
        };
        let reply = step(&app, who, id, action, body).await;
        assert_eq!(reply.status.as_u16(), expected, "{what}: {}", reply.text);
        let code = if expected == 403 {
            "forbidden"
        } else {
            "not_found"
        };
        reply.assert_problem(expected, code);
    }
    let open_now = ride_as(&app, &crew.dispatcher, &open).await;
    assert_eq!(open_now["status"], "requested");
    assert_eq!(history(&open_now).len(), 1);
    let taken_now = ride_as(&app, &crew.dispatcher, &taken).await;
    assert_eq!(taken_now["status"], "accepted");
    assert_eq!(taken_now["driver_id"], crew.driver.user_id.as_str());
    assert_eq!(history(&taken_now).len(), 2);
}

/// Brings a fresh ride of `crew.rider` into `status` (driven by `crew.driver`).
async fn ride_in(app: &TestApp, crew: &Cast, minutes: i64, status: &str) -> String {
    let id = crew.booked(app, minutes).await;
    let path: &[&str] = match status {
        "requested" => &[],
        "accepted" => &["accept"],
        "in_progress" => &["accept", "start"],
        "completed" => &["accept", "start", "complete"],
        "no_show" => &["accept", "no-show"],
        "cancelled" => &["cancel"],
        other => panic!("no path to {other}"),
    };
    for action in path {
        let who = if *action == "cancel" {
            &crew.rider
        } else {
            &crew.driver
        };
        step_ok(app, who, &id, action).await;
    }
    id
}

#[tokio::test]
async fn steps_that_do_not_fit_the_current_status_are_conflicts_naming_it() {
    let (app, crew) = spawn_cast().await;
    // (from status, who, step)
    let cases: Vec<(&str, &Session, &str)> = vec![
        ("requested", &crew.dispatcher, "release"),
        ("accepted", &crew.second_driver, "accept"),
        ("accepted", &crew.driver, "accept"),
        ("accepted", &crew.driver, "complete"),
        ("no_show", &crew.dispatcher, "release"),
        ("in_progress", &crew.driver, "start"),
        ("in_progress", &crew.driver, "release"),
        ("in_progress", &crew.rider, "cancel"),
        ("in_progress", &crew.dispatcher, "assign"),
        ("completed", &crew.driver, "no-show"),
        ("completed", &crew.driver, "complete"),
        ("completed", &crew.rider, "cancel"),
        ("completed", &crew.dispatcher, "cancel"),
        ("completed", &crew.admin, "cancel"),
        ("no_show", &crew.driver, "start"),
        ("no_show", &crew.dispatcher, "cancel"),
        ("cancelled", &crew.rider, "cancel"),
        ("cancelled", &crew.dispatcher, "assign"),
        ("cancelled", &crew.driver, "accept"),
    ];
    let mut minutes = 120;
    for (status, who, action) in cases {
        minutes += 5;
        let id = ride_in(&app, &crew, minutes, status).await;
        let body = if action == "assign" {
            json!({"driver_id": crew.second_driver.user_id})
        } else {
            json!({})
        };
        let before = ride_as(&app, &crew.dispatcher, &id).await;
        let reply = step(&app, who, &id, action, body).await;
        if status == "accepted" && action == "accept" && who.user_id == crew.driver.user_id {
            // Accepting one's own ride again is no change either.
            assert_conflict(&reply, "accepted");
        } else {
            assert_conflict(&reply, status);
        }
        assert_eq!(
            ride_as(&app, &crew.dispatcher, &id).await,
            before,
            "{action} from {status} changed nothing"
        );
    }
}

#[tokio::test]
async fn a_no_show_is_recorded_from_accepted_or_under_way() {
    let (app, crew) = spawn_cast().await;
    for status in ["accepted", "in_progress"] {
        let id = ride_in(&app, &crew, 180, status).await;
        let ride = step_ok(&app, &crew.driver, &id, "no-show").await;
        assert_eq!(ride["status"], "no_show");
        assert_eq!(
            history(&ride).last(),
            Some(&("no_show".to_owned(), "driver".to_owned()))
        );
    }
}

#[tokio::test]
async fn a_dispatcher_assigns_a_driver_of_the_district_and_may_reassign() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    for (who, why) in [
        (&crew.far_driver, "drives in another district"),
        (&crew.neighbour, "no driver at all"),
        (&crew.leader, "a leader, not a driver"),
    ] {
        let reply = step(
            &app,
            &crew.dispatcher,
            &id,
            "assign",
            json!({"driver_id": who.user_id}),
        )
        .await;
        assert_eq!(reply.status, 422, "{why}: {}", reply.text);
        assert_invalid_field(&reply, "driver_id");
    }
    let reply = step(
        &app,
        &crew.dispatcher,
        &id,
        "assign",
        json!({"driver_id": uuid::Uuid::now_v7()}),
    )
    .await;
    assert_invalid_field(&reply, "driver_id");
    assert_eq!(ride_as(&app, &crew.rider, &id).await["status"], "requested");

    let assigned = step(
        &app,
        &crew.dispatcher,
        &id,
        "assign",
        json!({"driver_id": crew.driver.user_id}),
    )
    .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let assigned = assigned.json();
    assert_eq!(assigned["status"], "accepted");
    assert_eq!(assigned["driver_id"], crew.driver.user_id.as_str());
    assert_eq!(
        updates_for(&app, &crew.driver).await.len(),
        1,
        "the assigned driver hears of it"
    );
    assert_eq!(updates_for(&app, &crew.rider).await.len(), 1);

    let reassigned = step(
        &app,
        &crew.admin,
        &id,
        "assign",
        json!({"driver_id": crew.second_driver.user_id}),
    )
    .await;
    assert_eq!(reassigned.status, 200, "{}", reassigned.text);
    let reassigned = reassigned.json();
    assert_eq!(reassigned["driver_id"], crew.second_driver.user_id.as_str());
    assert_eq!(
        history(&reassigned),
        pairs(&[
            ("requested", "rider"),
            ("accepted", "dispatcher"),
            ("accepted", "admin"),
        ])
    );
    assert_eq!(updates_for(&app, &crew.second_driver).await.len(), 1);
    // The first driver no longer sees it; the second one drives it.
    assert_eq!(get_ride(&app, &crew.driver, &id).await.status, 404);
    step_ok(&app, &crew.second_driver, &id, "start").await;
}

#[tokio::test]
async fn a_released_ride_is_open_again_for_other_drivers() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    step_ok(&app, &crew.driver, &id, "accept").await;
    let released = step(
        &app,
        &crew.driver,
        &id,
        "release",
        json!({"reason": "Auto in der Werkstatt"}),
    )
    .await;
    assert_eq!(released.status, 200, "{}", released.text);
    let released = released.json();
    assert_eq!(released["status"], "requested");
    assert_eq!(released["driver_id"], Value::Null);
    let last = released["events"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .expect("an event");
    assert_eq!(last["status"], "requested");
    assert_eq!(last["actor_role"], "driver");
    assert_eq!(last["reason"], "Auto in der Werkstatt");
    // The releasing driver now sees it like any other driver of the district.
    assert_eq!(
        ride_as(&app, &crew.driver, &id).await["details_hidden"],
        true
    );

    let rider_updates = updates_for(&app, &crew.rider).await;
    assert_eq!(rider_updates.len(), 2, "accepted, then released");

    step_ok(&app, &crew.second_driver, &id, "accept").await;
    // A dispatcher may take a driver off a ride too.
    let unassigned = step(&app, &crew.dispatcher, &id, "release", json!({})).await;
    assert_eq!(unassigned.status, 200, "{}", unassigned.text);
    let unassigned = unassigned.json();
    assert_eq!(unassigned["driver_id"], Value::Null);
    assert_eq!(
        history(&unassigned),
        pairs(&[
            ("requested", "rider"),
            ("accepted", "driver"),
            ("requested", "driver"),
            ("accepted", "driver"),
            ("requested", "dispatcher"),
        ])
    );
    assert_eq!(updates_for(&app, &crew.rider).await.len(), 4);
}

#[tokio::test]
async fn a_rider_cancels_before_the_ride_starts_and_the_driver_is_told() {
    let (app, crew) = spawn_cast().await;
    let open = crew.booked(&app, 180).await;
    let cancelled = step(
        &app,
        &crew.rider,
        &open,
        "cancel",
        json!({"reason": "Termin verlegt"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let cancelled = cancelled.json();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        cancelled["events"][1],
        json!({"status": "cancelled", "at": cancelled["events"][1]["at"], "actor_role": "rider", "reason": "Termin verlegt"})
    );
    assert!(update_recipients(&app).await.is_empty(), "nobody to tell");

    let taken = ride_in(&app, &crew, 240, "accepted").await;
    let before = updates_for(&app, &crew.rider).await.len();
    step_ok(&app, &crew.rider, &taken, "cancel").await;
    assert_eq!(
        updates_for(&app, &crew.rider).await.len(),
        before,
        "the rider is not told of their own cancellation"
    );
    assert_eq!(updates_for(&app, &crew.driver).await.len(), 1);

    let under_way = ride_in(&app, &crew, 300, "in_progress").await;
    let reply = step(&app, &crew.rider, &under_way, "cancel", json!({})).await;
    assert_conflict(&reply, "in_progress");
}

#[tokio::test]
async fn a_dispatcher_cancels_even_a_ride_under_way_and_rider_and_driver_are_told() {
    let (app, crew) = spawn_cast().await;
    let id = ride_in(&app, &crew, 180, "in_progress").await;
    let rider_before = updates_for(&app, &crew.rider).await.len();
    let reply = step(
        &app,
        &crew.dispatcher,
        &id,
        "cancel",
        json!({"reason": "Unfall auf der B185"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let ride = reply.json();
    assert_eq!(ride["status"], "cancelled");
    assert_eq!(
        history(&ride).last(),
        Some(&("cancelled".to_owned(), "dispatcher".to_owned()))
    );
    assert_eq!(updates_for(&app, &crew.rider).await.len(), rider_before + 1);
    assert_eq!(updates_for(&app, &crew.driver).await.len(), 1);

    let open = crew.booked(&app, 240).await;
    let reply = step(&app, &crew.admin, &open, "cancel", json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        history(&reply.json()).last(),
        Some(&("cancelled".to_owned(), "admin".to_owned()))
    );
}

#[tokio::test]
async fn a_reason_longer_than_five_hundred_characters_is_refused() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    let reply = step(
        &app,
        &crew.rider,
        &id,
        "cancel",
        json!({"reason": "r".repeat(501)}),
    )
    .await;
    assert_invalid_field(&reply, "reason");
    assert_eq!(ride_as(&app, &crew.rider, &id).await["status"], "requested");
}

#[tokio::test]
async fn accepting_a_ride_tells_its_rider_with_high_urgency() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    step_ok(&app, &crew.driver, &id, "accept").await;
    let told = updates_for(&app, &crew.rider).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].urgency.as_str(), "high");
    let data: Value = serde_json::from_str(&told[0].data).expect("data");
    assert_eq!(data["id"], id.as_str());
    assert_eq!(update_recipients(&app).await, sorted(&[&crew.rider]));
}

// ---------------------------------------------------------------------------------------------
// Races.

#[tokio::test]
async fn of_eight_drivers_accepting_one_ride_at_once_exactly_one_wins() {
    let app = spawn_with_admin().await;
    let crew = Cast::new(&app).await;
    let mut drivers = Vec::new();
    for _ in 0..8 {
        drivers.push(user_with_role(&app, &crew.admin, "driver", Some(&crew.rieder), None).await);
    }
    for round in 0..10 {
        let id = crew.booked(&app, 120 + round * 10).await;
        let replies = join_all(
            drivers
                .iter()
                .map(|d| step(&app, d, &id, "accept", json!({}))),
        )
        .await;
        let winners: Vec<usize> = replies
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == 200)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: {:?}",
            replies.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        for (i, reply) in replies.iter().enumerate() {
            if i != winners[0] {
                assert_conflict(reply, "accepted");
            }
        }
        let winner = &drivers[winners[0]];
        let ride = ride_as(&app, &crew.dispatcher, &id).await;
        assert_eq!(ride["status"], "accepted");
        assert_eq!(ride["driver_id"], winner.user_id.as_str(), "round {round}");
        assert_eq!(
            history(&ride),
            pairs(&[("requested", "rider"), ("accepted", "driver")]),
            "round {round}"
        );
        assert_eq!(
            replies[winners[0]].json()["driver_id"],
            winner.user_id.as_str()
        );
    }
    assert_eq!(
        updates_for(&app, &crew.rider).await.len(),
        10,
        "one acceptance notice per ride"
    );
}

#[tokio::test]
async fn a_rider_cancelling_while_a_driver_accepts_leaves_a_consistent_ride() {
    let (app, crew) = spawn_cast().await;
    for round in 0..10 {
        let id = crew.booked(&app, 120 + round * 10).await;
        let (accept, cancel) = futures::join!(
            step(&app, &crew.driver, &id, "accept", json!({})),
            step(&app, &crew.rider, &id, "cancel", json!({})),
        );
        // Cancelling is allowed from both requested and accepted: it always wins.
        assert_eq!(cancel.status, 200, "round {round}: {}", cancel.text);
        let ride = ride_as(&app, &crew.dispatcher, &id).await;
        assert_eq!(ride["status"], "cancelled", "round {round}");
        if accept.status == 200 {
            assert_eq!(
                history(&ride),
                pairs(&[
                    ("requested", "rider"),
                    ("accepted", "driver"),
                    ("cancelled", "rider"),
                ])
            );
            assert_eq!(ride["driver_id"], crew.driver.user_id.as_str());
        } else {
            assert_conflict(&accept, "cancelled");
            assert_eq!(
                history(&ride),
                pairs(&[("requested", "rider"), ("cancelled", "rider")])
            );
            assert_eq!(ride["driver_id"], Value::Null);
        }
    }
}

#[tokio::test]
async fn a_dispatcher_assigning_while_drivers_accept_leaves_one_driver() {
    let (app, crew) = spawn_cast().await;
    for round in 0..5 {
        let id = crew.booked(&app, 120 + round * 10).await;
        let (a, b, assign) = futures::join!(
            step(&app, &crew.driver, &id, "accept", json!({})),
            step(&app, &crew.second_driver, &id, "accept", json!({})),
            step(
                &app,
                &crew.dispatcher,
                &id,
                "assign",
                json!({"driver_id": crew.second_driver.user_id})
            ),
        );
        assert_eq!(assign.status, 200, "round {round}: {}", assign.text);
        let accepts = [&a, &b].iter().filter(|r| r.status == 200).count();
        assert!(accepts <= 1, "round {round}: {} / {}", a.text, b.text);
        for reply in [&a, &b] {
            if reply.status != 200 {
                assert_conflict(reply, "accepted");
            }
        }
        let ride = ride_as(&app, &crew.dispatcher, &id).await;
        assert_eq!(ride["status"], "accepted");
        let accepted_events = history(&ride)
            .iter()
            .filter(|(s, _)| s == "accepted")
            .count();
        let successes = [&a, &b, &assign].iter().filter(|r| r.status == 200).count();
        assert_eq!(accepted_events, successes, "round {round}: {ride}");
    }
}

// ---------------------------------------------------------------------------------------------
// Expiry and reminders.

#[tokio::test]
async fn a_ride_nobody_took_expires_at_its_pickup_time_and_the_rider_is_told() {
    let (app, mut crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    app.clock.set(at(179));
    run_jobs(&app).await;
    crew.renew(&app).await;
    assert_eq!(ride_as(&app, &crew.rider, &id).await["status"], "requested");
    let reminders = updates_for(&app, &crew.rider).await.len();
    assert_eq!(reminders, 1, "the reminder an hour before");

    app.clock.set(at(180));
    run_jobs(&app).await;
    crew.renew(&app).await;
    let ride = ride_as(&app, &crew.rider, &id).await;
    assert_eq!(ride["status"], "expired");
    let last = ride["events"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .expect("event");
    assert_eq!(last["status"], "expired");
    assert_eq!(last["actor_role"], "system");
    assert_eq!(instant(&last["at"]), Some(at(180)));
    assert_eq!(updates_for(&app, &crew.rider).await.len(), 2);
    // No driver takes an expired ride any more.
    assert_conflict(
        &step(&app, &crew.driver, &id, "accept", json!({})).await,
        "expired",
    );
    // And the drivers of the district no longer see it.
    assert_eq!(get_ride(&app, &crew.second_driver, &id).await.status, 404);
}

#[tokio::test]
async fn accepted_and_cancelled_rides_do_not_expire() {
    let (app, mut crew) = spawn_cast().await;
    let accepted = ride_in(&app, &crew, 180, "accepted").await;
    let cancelled = ride_in(&app, &crew, 180, "cancelled").await;
    let under_way = ride_in(&app, &crew, 180, "in_progress").await;
    app.clock.set(at(24 * 60));
    run_jobs(&app).await;
    crew.renew(&app).await;
    assert_eq!(
        ride_as(&app, &crew.rider, &accepted).await["status"],
        "accepted"
    );
    assert_eq!(
        ride_as(&app, &crew.rider, &cancelled).await["status"],
        "cancelled"
    );
    assert_eq!(
        ride_as(&app, &crew.rider, &under_way).await["status"],
        "in_progress"
    );
    let cancelled_history = history(&ride_as(&app, &crew.rider, &cancelled).await);
    assert_eq!(cancelled_history.len(), 2, "{cancelled_history:?}");
}

#[tokio::test]
async fn a_ride_released_after_its_pickup_time_expires() {
    let (app, mut crew) = spawn_cast().await;
    let id = ride_in(&app, &crew, 180, "accepted").await;
    app.clock.set(at(200));
    run_jobs(&app).await; // the expiry at pickup time finds it accepted
    crew.renew(&app).await;
    step_ok(&app, &crew.driver, &id, "release").await;
    run_jobs(&app).await;
    crew.renew(&app).await;
    assert_eq!(ride_as(&app, &crew.rider, &id).await["status"], "expired");
}

#[tokio::test]
async fn riders_and_their_drivers_are_reminded_an_hour_before_pickup() {
    let (app, mut crew) = spawn_cast().await;
    let accepted = ride_in(&app, &crew, 300, "accepted").await;
    let phone = book(
        &app,
        &crew.dispatcher,
        &with(
            &ride(&crew.rieder, 300),
            "rider_name",
            json!("Erna Schulze"),
        ),
    )
    .await;
    let before = update_recipients(&app).await;
    assert_eq!(before, sorted(&[&crew.rider]), "the acceptance only");

    app.clock.set(at(239));
    run_jobs(&app).await;
    assert_eq!(
        update_recipients(&app).await,
        before,
        "nothing before the hour"
    );

    app.clock.set(at(240));
    run_jobs(&app).await;
    let rider = updates_for(&app, &crew.rider).await;
    assert_eq!(rider.len(), 2, "{rider:?}");
    let driver = updates_for(&app, &crew.driver).await;
    assert_eq!(driver.len(), 1, "{driver:?}");
    for n in rider.iter().chain(&driver) {
        let data: Value = serde_json::from_str(&n.data).expect("data");
        assert_eq!(data["id"], accepted.as_str());
    }
    // The phone booking's rider is called, not pushed; it has no driver yet.
    assert_eq!(update_recipients(&app).await.len(), 3);

    // Reminders are sent once.
    app.clock.set(at(250));
    run_jobs(&app).await;
    assert_eq!(update_recipients(&app).await.len(), 3);
    crew.renew(&app).await;
    assert_eq!(
        ride_as(&app, &crew.dispatcher, &id_of(&phone)).await["status"],
        "requested"
    );
}

#[tokio::test]
async fn the_reminder_lead_is_configurable() {
    let app = spawn_with_admin_and(|s| s.ride_reminder_minutes = 30).await;
    let crew = Cast::new(&app).await;
    crew.booked(&app, 300).await;
    app.clock.set(at(269));
    run_jobs(&app).await;
    assert!(updates_for(&app, &crew.rider).await.is_empty());
    app.clock.set(at(270));
    run_jobs(&app).await;
    assert_eq!(updates_for(&app, &crew.rider).await.len(), 1);
}

#[tokio::test]
async fn a_cancelled_ride_gets_no_reminder_and_no_expiry() {
    let (app, mut crew) = spawn_cast().await;
    let id = ride_in(&app, &crew, 180, "accepted").await;
    step_ok(&app, &crew.dispatcher, &id, "cancel").await;
    let before = update_recipients(&app).await;
    app.clock.set(at(24 * 60));
    run_jobs(&app).await;
    assert_eq!(update_recipients(&app).await, before);
    crew.renew(&app).await;
    let ride = ride_as(&app, &crew.rider, &id).await;
    assert_eq!(ride["status"], "cancelled");
    assert_eq!(history(&ride).len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Lists.

async fn list(app: &TestApp, session: &Session, query: &str) -> Reply {
    get_as(app, &format!("/api/v1/rides{query}"), &session.access).await
}

#[tokio::test]
async fn my_rides_are_the_callers_own_by_pickup_time() {
    let (app, crew) = spawn_cast().await;
    let late = crew.booked(&app, 600).await;
    let early = crew.booked(&app, 120).await;
    let middle = crew.booked(&app, 300).await;
    let neighbours = id_of(&book(&app, &crew.neighbour, &ride(&crew.rieder, 200)).await);
    let page = list(&app, &crew.rider, "").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        ids(&page.json()),
        [early.clone(), middle.clone(), late.clone()]
    );
    assert_eq!(page.json()["next_cursor"], Value::Null);
    assert_eq!(
        ids(&list(&app, &crew.rider, "?scope=mine").await.json()),
        [early.clone(), middle.clone(), late.clone()]
    );
    assert_eq!(
        ids(&list(&app, &crew.neighbour, "").await.json()),
        [neighbours]
    );
    assert!(ids(&list(&app, &crew.driver, "").await.json()).is_empty());

    // Filters: status and pickup period.
    step_ok(&app, &crew.driver, &middle, "accept").await;
    assert_eq!(
        ids(&list(&app, &crew.rider, "?status=accepted").await.json()),
        vec![middle.clone()]
    );
    let query = format!(
        "?from={}&to={}",
        encode(&rfc3339(at(120))),
        encode(&rfc3339(at(600)))
    );
    assert_eq!(
        ids(&list(&app, &crew.rider, &query).await.json()),
        [early, middle],
        "from inclusive, to exclusive"
    );
}

#[tokio::test]
async fn pages_of_rides_follow_one_another_without_repeats_or_gaps() {
    let (app, crew) = spawn_cast().await;
    let mut expected = Vec::new();
    for i in 0..7 {
        // Two rides at each time, to test the tie-break.
        let minutes = 120 + (i / 2) * 30;
        expected.push((minutes, crew.booked(&app, minutes).await));
    }
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    for (who, scope) in [
        (&crew.rider, "mine"),
        (&crew.dispatcher, "all"),
        (&crew.driver, "driver"),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let mut query = format!("?scope={scope}&limit=3");
            if let Some(c) = &cursor {
                query.push_str(&format!("&cursor={}", encode(c)));
            }
            let page = list(&app, who, &query).await;
            assert_eq!(page.status, 200, "{}", page.text);
            let page = page.json();
            let page_ids = ids(&page);
            assert!(page_ids.len() <= 3);
            seen.extend(page_ids);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{scope}");
    }
    let bad = list(&app, &crew.rider, "?limit=0").await;
    assert_eq!(bad.status, 422, "{}", bad.text);
}

#[tokio::test]
async fn the_driver_list_shows_open_rides_of_their_districts_and_their_own() {
    let (app, crew) = spawn_cast().await;
    let open = crew.booked(&app, 120).await;
    let mine = ride_in(&app, &crew, 150, "accepted").await;
    let others = crew.booked(&app, 180).await;
    step_ok(&app, &crew.second_driver, &others, "accept").await;
    let done = ride_in(&app, &crew, 200, "completed").await;
    let far = id_of(&book(&app, &crew.rider, &ride(&crew.badeborn, 130)).await);

    let page = list(&app, &crew.driver, "?scope=driver").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let page = page.json();
    assert_eq!(ids(&page), [open.clone(), mine.clone(), done.clone()]);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items[0]["details_hidden"], true);
    assert_eq!(items[0]["pickup_address"], Value::Null);
    assert_eq!(items[1]["details_hidden"], false);
    assert_eq!(items[1]["pickup_address"], "Lindenstraße 4");
    assert_eq!(items[2]["details_hidden"], false);

    let far_page = list(&app, &crew.far_driver, "?scope=driver").await.json();
    assert_eq!(ids(&far_page), [far]);
    assert_eq!(
        ids(&list(&app, &crew.driver, "?scope=driver&status=requested")
            .await
            .json()),
        [open]
    );
    for who in [
        &crew.rider,
        &crew.dispatcher,
        &crew.admin,
        &crew.leader,
        &crew.operator,
    ] {
        list(&app, who, "?scope=driver")
            .await
            .assert_problem(403, "forbidden");
    }
}

#[tokio::test]
async fn only_dispatchers_and_admins_list_all_rides() {
    let (app, crew) = spawn_cast().await;
    let a = crew.booked(&app, 120).await;
    let b = id_of(&book(&app, &crew.neighbour, &ride(&crew.badeborn, 130)).await);
    for staff in [&crew.dispatcher, &crew.admin] {
        let page = list(&app, staff, "?scope=all").await;
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        assert_eq!(ids(&page), [a.clone(), b.clone()]);
        assert!(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|r| r["details_hidden"] == false)
        );
    }
    for who in [
        &crew.rider,
        &crew.driver,
        &crew.leader,
        &crew.operator,
        &crew.far_driver,
    ] {
        list(&app, who, "?scope=all")
            .await
            .assert_problem(403, "forbidden");
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics.

async fn stats(app: &TestApp, session: &Session, query: &str) -> Reply {
    get_as(app, &format!("/api/v1/rides/stats{query}"), &session.access).await
}

#[tokio::test]
async fn district_statistics_count_legs_by_status_and_purpose() {
    let (app, crew) = spawn_cast().await;
    let with_return = with(
        &with(&ride(&crew.rieder, 120), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(240))),
    );
    book(&app, &crew.rider, &with_return).await; // 2 × medical, requested
    ride_in(&app, &crew, 150, "accepted").await; // medical
    ride_in(&app, &crew, 160, "completed").await; // medical
    ride_in(&app, &crew, 170, "cancelled").await; // medical
    book(
        &app,
        &crew.rider,
        &with(&ride(&crew.rieder, 180), "purpose", json!("shopping")),
    )
    .await;
    let mut plain = ride(&crew.rieder, 190);
    plain.as_object_mut().expect("object").remove("purpose");
    book(&app, &crew.neighbour, &plain).await; // other
    book(
        &app,
        &crew.rider,
        &with(&ride(&crew.badeborn, 200), "purpose", json!("pharmacy")),
    )
    .await; // another district

    let query = format!("?district_id={}", crew.rieder);
    for who in [&crew.leader, &crew.dispatcher, &crew.admin] {
        let reply = stats(&app, who, &query).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        assert_eq!(body["district_id"], crew.rieder.as_str());
        assert_eq!(body["from"], Value::Null);
        assert_eq!(body["to"], Value::Null);
        assert_eq!(body["total"], 7);
        let leader = std::ptr::eq(who, &crew.leader);
        assert_eq!(body["small_counts_suppressed"], leader);
        // The leader, who does not see the rides, gets no count of 1 or 2.
        let small = if leader { 0 } else { 1 };
        assert_eq!(
            body["by_status"],
            json!({"requested": 4, "accepted": small, "in_progress": 0, "completed": small,
                   "cancelled": small, "no_show": 0, "expired": 0})
        );
        assert_eq!(
            body["by_purpose"],
            json!({"medical": 5, "pharmacy": 0, "shopping": small, "authority": 0,
                   "social": 0, "other": small})
        );
        for secret in ["Lindenstraße", "Krause", "039483", "klingeln"] {
            assert!(!reply.text.contains(secret), "{secret}: {}", reply.text);
        }
    }
    // A period: from inclusive, to exclusive; exact for the desk.
    let period = format!(
        "?district_id={}&from={}&to={}",
        crew.rieder,
        encode(&rfc3339(at(150))),
        encode(&rfc3339(at(180)))
    );
    let body = stats(&app, &crew.dispatcher, &period).await.json();
    assert_eq!(body["total"], 3, "{body}");
    assert_eq!(instant(&body["from"]), Some(at(150)));
    assert_eq!(instant(&body["to"]), Some(at(180)));
    // Staff without a district: all districts.
    let all = stats(&app, &crew.dispatcher, "").await.json();
    assert_eq!(all["total"], 8, "{all}");
    assert_eq!(all["district_id"], Value::Null);
    assert_eq!(all["by_purpose"]["pharmacy"], 1);
}

#[tokio::test]
async fn a_leaders_statistics_cannot_single_out_one_ride() {
    let (app, crew) = spawn_cast().await;
    crew.booked(&app, 120).await; // one medical ride
    let window = |from: i64, to: i64| {
        format!(
            "?district_id={}&from={}&to={}",
            crew.rieder,
            encode(&rfc3339(at(from))),
            encode(&rfc3339(at(to)))
        )
    };
    // A window of a minute around the pickup, as the review tried.
    let reply = stats(&app, &crew.leader, &window(119, 121)).await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert_eq!(error_fields(&problem), ["to"], "{problem}");
    // A week is fine, counted from the start of the days, and the one ride reads 0.
    let week = 7 * 24 * 60;
    let body = stats(&app, &crew.leader, &window(119, 119 + week))
        .await
        .json();
    assert_eq!(body["total"], 0, "{body}");
    assert_eq!(body["by_purpose"]["medical"], 0, "{body}");
    assert_eq!(body["small_counts_suppressed"], true);
    let from = instant(&body["from"]).expect("from");
    assert!(
        from <= at(119) && at(119) - from < chrono::Duration::days(1),
        "{body}"
    );
    // The desk sees the rides anyway: exact, any window.
    let body = stats(&app, &crew.dispatcher, &window(119, 121))
        .await
        .json();
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["small_counts_suppressed"], false);
}

#[tokio::test]
async fn only_the_districts_leader_dispatchers_and_admins_see_its_statistics() {
    let (app, crew) = spawn_cast().await;
    crew.booked(&app, 120).await;
    let query = format!("?district_id={}", crew.rieder);
    for (what, who, q) in [
        (
            "leader of another district",
            &crew.far_leader,
            query.as_str(),
        ),
        ("leader without a district", &crew.leader, ""),
        ("resident", &crew.rider, query.as_str()),
        ("driver", &crew.driver, query.as_str()),
        ("shop operator", &crew.operator, query.as_str()),
    ] {
        let reply = stats(&app, who, q).await;
        assert_eq!(reply.status, 403, "{what}: {}", reply.text);
        reply.assert_problem(403, "forbidden");
    }
    let far = format!("?district_id={}", crew.badeborn);
    assert_eq!(stats(&app, &crew.far_leader, &far).await.status, 200);
}

#[tokio::test]
async fn cancelling_the_way_there_cancels_the_way_back_but_not_the_other_way_round() {
    let (app, crew) = spawn_cast().await;
    let two_legs = with(
        &with(&ride(&crew.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    // The return leg alone: the way there stays.
    let outward = book(&app, &crew.rider, &two_legs).await;
    let back = outward["return_ride_id"]
        .as_str()
        .expect("return leg")
        .to_owned();
    let reply = step(&app, &crew.rider, &back, "cancel", json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        ride_as(&app, &crew.rider, &id_of(&outward)).await["status"],
        "requested"
    );

    // The way there: the way back goes with it, and its driver is told.
    let outward = book(&app, &crew.rider, &two_legs).await;
    let back = outward["return_ride_id"]
        .as_str()
        .expect("return leg")
        .to_owned();
    step_ok(&app, &crew.second_driver, &back, "accept").await;
    let before = updates_for(&app, &crew.second_driver).await.len();
    let reply = step(
        &app,
        &crew.rider,
        &id_of(&outward),
        "cancel",
        json!({"reason": "Termin verschoben"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let back_now = ride_as(&app, &crew.rider, &back).await;
    assert_eq!(back_now["status"], "cancelled", "{back_now}");
    assert_eq!(
        history(&back_now).last().cloned(),
        Some(("cancelled".to_owned(), "rider".to_owned()))
    );
    assert_eq!(
        updates_for(&app, &crew.second_driver).await.len(),
        before + 1,
        "the return leg's driver is told"
    );
}
