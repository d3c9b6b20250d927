//! Who sees which details of a shuttle ride: the rider, the assigned driver, dispatchers and
//! admins see everything; the other drivers of the pickup district see an open ride without
//! address, name, phone, purpose, notes or history; everyone else does not see it at all.

use serde_json::{Value, json};

use crate::support::{
    Cast, Session, TestApp, at, book, get_as, get_ride, id_of, ids, inbox, rfc3339, ride, ride_as,
    settle, spawn_cast, step, step_ok, with,
};

/// Fields that only the full view carries.
const HIDDEN: [&str; 7] = [
    "pickup_address",
    "purpose",
    "notes",
    "rider_user_id",
    "rider_name",
    "contact_phone",
    "driver_id",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sight {
    Full,
    Reduced,
    Nothing,
}

/// Asserts what `who` sees of ride `id`, field by field.
async fn assert_sight(app: &TestApp, who: &Session, name: &str, id: &str, sight: Sight) {
    let reply = get_ride(app, who, id).await;
    match sight {
        Sight::Nothing => {
            reply.assert_problem(404, "not_found");
            for secret in ["Lindenstraße", "Krause", "039483", "Erna"] {
                assert!(!reply.text.contains(secret), "{name}: {}", reply.text);
            }
        }
        Sight::Full => {
            assert_eq!(reply.status, 200, "{name}: {}", reply.text);
            assert_full(&reply.json(), name);
        }
        Sight::Reduced => {
            assert_eq!(reply.status, 200, "{name}: {}", reply.text);
            assert_reduced(&reply.json(), name);
            for secret in ["Lindenstraße", "039483", "klingeln", "Erna", "medical"] {
                assert!(
                    !reply.text.contains(secret),
                    "{name} sees {secret}: {}",
                    reply.text
                );
            }
        }
    }
}

#[track_caller]
fn assert_full(ride: &Value, name: &str) {
    assert_eq!(ride["details_hidden"], false, "{name}: {ride}");
    assert_eq!(ride["pickup_address"], "Lindenstraße 4", "{name}");
    assert_eq!(ride["purpose"], "medical", "{name}");
    assert_eq!(
        ride["notes"], "Bitte klingeln, ich brauche etwas Zeit.",
        "{name}"
    );
    assert_eq!(ride["contact_phone"], "039483 1234", "{name}");
    assert!(
        ride["rider_user_id"].is_string() || ride["rider_name"].is_string(),
        "{name}: {ride}"
    );
    assert!(
        !ride["events"].as_array().expect("events").is_empty(),
        "{name}: {ride}"
    );
    assert_needs(ride, name);
}

#[track_caller]
fn assert_reduced(ride: &Value, name: &str) {
    assert_eq!(ride["details_hidden"], true, "{name}: {ride}");
    for field in HIDDEN {
        assert_eq!(ride[field], Value::Null, "{name} sees {field}: {ride}");
    }
    assert_eq!(ride["events"], json!([]), "{name}: {ride}");
    assert_eq!(ride["status"], "requested", "{name}");
    assert_needs(ride, name);
}

/// What every driver of the district needs to decide: where to, when, how many, which aids.
#[track_caller]
fn assert_needs(ride: &Value, name: &str) {
    assert_eq!(
        ride["destination"], "Hausarztpraxis Dr. Krause, Ballenstedt",
        "{name}"
    );
    assert_eq!(
        rfc3339(crate::support::instant(&ride["pickup_at"]).expect("pickup_at")),
        rfc3339(at(180)),
        "{name}"
    );
    assert_eq!(ride["passengers"], 1, "{name}");
    assert_eq!(ride["mobility_aids"], json!(["walker"]), "{name}");
    assert!(ride["pickup_district_id"].is_string(), "{name}");
}

fn cast(crew: &Cast) -> Vec<(&'static str, &Session)> {
    vec![
        ("rider", &crew.rider),
        ("driver", &crew.driver),
        ("second driver", &crew.second_driver),
        ("driver of another district", &crew.far_driver),
        ("dispatcher", &crew.dispatcher),
        ("admin", &crew.admin),
        ("neighbour", &crew.neighbour),
        ("district leader", &crew.leader),
        ("leader of another district", &crew.far_leader),
        ("shop operator", &crew.operator),
    ]
}

#[tokio::test]
async fn an_open_ride_is_seen_in_full_reduced_or_not_at_all_by_role() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    for (name, who) in cast(&crew) {
        let sight = match name {
            "rider" | "dispatcher" | "admin" => Sight::Full,
            "driver" | "second driver" => Sight::Reduced,
            _ => Sight::Nothing,
        };
        assert_sight(&app, who, name, &id, sight).await;
    }
}

#[tokio::test]
async fn once_accepted_only_the_assigned_driver_of_all_drivers_sees_the_ride() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    step_ok(&app, &crew.driver, &id, "accept").await;
    for (name, who) in cast(&crew) {
        let sight = match name {
            "rider" | "dispatcher" | "admin" | "driver" => Sight::Full,
            _ => Sight::Nothing,
        };
        assert_sight(&app, who, name, &id, sight).await;
    }
    let full = ride_as(&app, &crew.driver, &id).await;
    assert_eq!(full["driver_id"], crew.driver.user_id.as_str());
    assert_eq!(full["rider_user_id"], crew.rider.user_id.as_str());

    // Finished rides stay with those who had them.
    step_ok(&app, &crew.driver, &id, "start").await;
    step_ok(&app, &crew.driver, &id, "complete").await;
    for (name, who) in cast(&crew) {
        let sight = match name {
            "rider" | "dispatcher" | "admin" | "driver" => Sight::Full,
            _ => Sight::Nothing,
        };
        assert_sight(&app, who, name, &id, sight).await;
    }
}

#[tokio::test]
async fn a_cancelled_open_ride_disappears_for_the_districts_drivers() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    step_ok(&app, &crew.rider, &id, "cancel").await;
    assert_sight(&app, &crew.driver, "driver", &id, Sight::Nothing).await;
    assert_sight(&app, &crew.rider, "rider", &id, Sight::Full).await;
}

#[tokio::test]
async fn a_phone_booking_is_seen_by_dispatchers_and_reduced_by_drivers() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &ride(&crew.rieder, 180),
        "rider_name",
        json!("Erna Schulze"),
    );
    let id = id_of(&book(&app, &crew.dispatcher, &body).await);
    for (name, who) in cast(&crew) {
        let sight = match name {
            "dispatcher" | "admin" => Sight::Full,
            "driver" | "second driver" => Sight::Reduced,
            _ => Sight::Nothing,
        };
        assert_sight(&app, who, name, &id, sight).await;
    }
    let full = ride_as(&app, &crew.dispatcher, &id).await;
    assert_eq!(full["rider_name"], "Erna Schulze");
    assert_eq!(full["rider_user_id"], Value::Null);
}

#[tokio::test]
async fn a_ride_booked_for_a_resident_is_theirs_not_the_booking_dispatchers_list() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &ride(&crew.rieder, 180),
        "rider_user_id",
        json!(crew.neighbour.user_id),
    );
    let id = id_of(&book(&app, &crew.dispatcher, &body).await);
    assert_sight(&app, &crew.neighbour, "the resident", &id, Sight::Full).await;
    assert_sight(&app, &crew.rider, "another resident", &id, Sight::Nothing).await;
    let mine = get_as(&app, "/api/v1/rides", &crew.dispatcher.access)
        .await
        .json();
    assert!(ids(&mine).is_empty(), "{mine}");
}

#[tokio::test]
async fn the_driver_list_hides_the_details_of_open_rides() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(&ride(&crew.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let outward = book(&app, &crew.rider, &body).await;
    let reply = get_as(
        &app,
        "/api/v1/rides?scope=driver",
        &crew.second_driver.access,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let page = reply.json();
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "both legs are open: {page}");
    for item in items {
        assert_eq!(item["details_hidden"], true, "{item}");
        // The rider's home is the pickup of the outward leg and the destination of the return.
        let home = if item["outward_ride_id"].is_null() {
            "pickup_address"
        } else {
            "destination"
        };
        for field in HIDDEN.iter().copied().filter(|f| *f != "pickup_address") {
            assert_eq!(item[field], Value::Null, "{field}: {item}");
        }
        assert_eq!(item[home], Value::Null, "{home}: {item}");
        assert_eq!(item["events"], json!([]));
        assert_eq!(item["passengers"], 1);
        assert_eq!(item["mobility_aids"], json!(["walker"]));
    }
    assert_eq!(items[0]["id"], outward["id"]);
    for secret in [
        "Lindenstraße",
        "039483",
        "klingeln",
        &crew.rider.user_id,
        "medical",
    ] {
        assert!(!reply.text.contains(secret), "{secret}: {}", reply.text);
    }
}

#[tokio::test]
async fn a_driver_who_is_not_assigned_learns_nothing_from_refused_steps() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    step_ok(&app, &crew.driver, &id, "accept").await;
    for action in ["start", "complete", "no-show", "release", "cancel"] {
        let reply = step(&app, &crew.second_driver, &id, action, json!({})).await;
        reply.assert_problem(404, "not_found");
        for secret in ["Lindenstraße", "039483", "klingeln"] {
            assert!(!reply.text.contains(secret), "{action}: {}", reply.text);
        }
    }
    // Accepting tells them only that somebody was faster.
    let reply = step(&app, &crew.second_driver, &id, "accept", json!({})).await;
    let body = reply.assert_problem(409, "conflict");
    assert!(!reply.text.contains("Lindenstraße"), "{body}");
}

#[tokio::test]
async fn other_drivers_never_see_the_riders_home_address_on_either_leg() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(&ride(&crew.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let outward = book(&app, &crew.rider, &body).await;
    let back_id = outward["return_ride_id"]
        .as_str()
        .expect("return leg")
        .to_owned();

    // The outward leg: home is the pickup; the destination (the practice) may be shown.
    let seen = get_ride(&app, &crew.second_driver, &id_of(&outward))
        .await
        .json();
    assert_eq!(seen["details_hidden"], true, "{seen}");
    assert_eq!(seen["pickup_address"], Value::Null, "{seen}");
    assert_eq!(
        seen["destination"],
        "Hausarztpraxis Dr. Krause, Ballenstedt"
    );

    // The return leg: home is the destination, so that is what is hidden there.
    let reply = get_ride(&app, &crew.second_driver, &back_id).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(!reply.text.contains("Lindenstraße"), "{}", reply.text);
    let back = reply.json();
    assert_eq!(back["details_hidden"], true, "{back}");
    assert_eq!(back["destination"], Value::Null, "{back}");
    assert_eq!(
        back["pickup_address"],
        "Hausarztpraxis Dr. Krause, Ballenstedt"
    );

    // The same holds in the driver's list.
    let list = get_as(
        &app,
        "/api/v1/rides?scope=driver",
        &crew.second_driver.access,
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(!list.text.contains("Lindenstraße"), "{}", list.text);

    // Once a driver has taken the return leg, they see where to bring the rider.
    let taken = step_ok(&app, &crew.second_driver, &back_id, "accept").await;
    assert_eq!(taken["destination"], "Lindenstraße 4");
}

#[tokio::test]
async fn a_dispatcher_acting_for_a_caller_without_an_account_is_recorded_as_dispatcher() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(
            &ride(&crew.rieder, 180),
            "rider_name",
            json!("Erna Schulze"),
        ),
        "contact_phone",
        json!("039483 1234"),
    );
    let booked = book(&app, &crew.dispatcher, &body).await;
    let reply = step(
        &app,
        &crew.dispatcher,
        &id_of(&booked),
        "cancel",
        json!({"reason": "Termin abgesagt"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let events = reply.json()["events"].clone();
    let roles: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["actor_role"].as_str())
        .collect();
    assert_eq!(roles, ["dispatcher", "dispatcher"], "{events}");
}

/// A ride carries a home address, a phone number and health notes: no cache on the way may keep
/// it (shared proxies, the app's HTTP cache). Public reads stay cacheable.
#[tokio::test]
async fn answers_with_rides_devices_or_the_inbox_are_never_stored_by_caches() {
    let (app, cast) = spawn_cast().await;
    let id = cast.booked(&app, 24 * 60).await;
    for path in [
        "/api/v1/rides".to_owned(),
        format!("/api/v1/rides/{id}"),
        "/api/v1/push/subscriptions".to_owned(),
        "/api/v1/me/notifications".to_owned(),
        "/api/v1/me/notification-preferences".to_owned(),
    ] {
        let reply = get_as(&app, &path, &cast.rider.access).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
    }
    let booking = crate::support::book_reply(&app, &cast.rider, &ride(&cast.rieder, 25 * 60)).await;
    assert_eq!(booking.status, 201, "{}", booking.text);
    assert_eq!(booking.header("cache-control"), Some("no-store"));
    let public = app.get("/api/v1/districts").await;
    assert_ne!(public.header("cache-control"), Some("no-store"));
}

/// The ride requests in `who`'s inbox about ride `id`, as `title body`.
async fn offers_in_inbox(app: &TestApp, who: &Session, id: &str) -> Vec<String> {
    inbox(app, who)
        .await
        .iter()
        .filter(|n| n["kind"] == "ride_request" && n["data"]["id"] == id)
        .map(|n| format!("{} {}", n["title"], n["body"]))
        .collect()
}

#[tokio::test]
async fn a_return_leg_offered_again_does_not_tell_drivers_the_riders_home() {
    let (app, cast) = spawn_cast().await;
    let booking = with(
        &with(&ride(&cast.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let outward = book(&app, &cast.rider, &booking).await;
    let back = outward["return_ride_id"]
        .as_str()
        .expect("return leg")
        .to_owned();
    step_ok(&app, &cast.driver, &back, "accept").await;
    step_ok(&app, &cast.driver, &back, "release").await;
    settle(&app).await;

    let offers = offers_in_inbox(&app, &cast.second_driver, &back).await;
    assert_eq!(offers.len(), 1, "the leg is offered again: {offers:?}");
    assert!(
        !offers[0].contains("Lindenstraße"),
        "the rider's home stays hidden: {offers:?}"
    );
    assert!(
        offers[0].contains("Hausarztpraxis"),
        "the place that is not the home is named: {offers:?}"
    );
}

#[tokio::test]
async fn an_offer_taken_by_one_driver_leaves_the_other_drivers_inboxes() {
    let (app, cast) = spawn_cast().await;
    let id = cast.booked(&app, 180).await;
    settle(&app).await;
    assert_eq!(
        offers_in_inbox(&app, &cast.second_driver, &id).await.len(),
        1
    );

    step_ok(&app, &cast.driver, &id, "accept").await;
    settle(&app).await;
    assert_eq!(
        offers_in_inbox(&app, &cast.second_driver, &id).await,
        Vec::<String>::new(),
        "a ride that is not theirs leaves no details behind"
    );

    // Given back, it is offered again; assigned by the desk, the offer goes once more.
    step_ok(&app, &cast.driver, &id, "release").await;
    settle(&app).await;
    assert_eq!(
        offers_in_inbox(&app, &cast.second_driver, &id).await.len(),
        1
    );
    let assigned = step(
        &app,
        &cast.dispatcher,
        &id,
        "assign",
        json!({"driver_id": cast.driver.user_id}),
    )
    .await;
    assert_eq!(assigned.status.as_u16(), 200, "{}", assigned.text);
    settle(&app).await;
    assert!(
        offers_in_inbox(&app, &cast.second_driver, &id)
            .await
            .is_empty()
    );
}
