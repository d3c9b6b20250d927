//! The ride desk's own operations: the call-back list of changes a rider booked by phone has
//! not been told of, a caller's last rides, a driver's run sheet, the drivers to assign, and
//! moving a ride's pickup time. Who may use each is checked against every role of the `Cast`.

use chrono::Duration;
use futures::future::join;
use serde_json::{Value, json};

use crate::support::{
    Cast, Reply, Session, TestApp, assert_conflict, assert_invalid_field, at, book, get_anonymous,
    get_as, id_of, instant, post_json, renew, rfc3339, ride, ride_as, run_jobs, spawn_cast, step,
    step_ok, updates_for, with,
};

const CALLBACKS: &str = "/api/v1/rides/callbacks";

/// A booking the desk makes for Erna Schulze, who has no account, picked up `minutes` after
/// the test epoch.
fn by_phone(crew: &Cast, minutes: i64, phone: &str) -> Value {
    with(
        &with(
            &ride(&crew.rieder, minutes),
            "rider_name",
            json!("Erna Schulze"),
        ),
        "contact_phone",
        json!(phone),
    )
}

async fn callbacks(app: &TestApp, who: &Session) -> Vec<Value> {
    let reply = get_as(app, CALLBACKS, &who.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The (reason, ride id) pairs of the open call-backs.
async fn due(app: &TestApp, who: &Session) -> Vec<(String, String)> {
    callbacks(app, who)
        .await
        .iter()
        .map(|c| {
            (
                c["reason"].as_str().unwrap_or_default().to_owned(),
                c["ride"]["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn reasons(list: &[(String, String)]) -> Vec<&str> {
    list.iter().map(|(r, _)| r.as_str()).collect()
}

async fn tick(app: &TestApp, who: &Session, id: &str) -> Reply {
    post_json(
        app,
        &format!("{CALLBACKS}/{id}/done"),
        Some(&who.access),
        json!({}),
    )
    .await
}

async fn reschedule(app: &TestApp, who: &Session, id: &str, body: Value) -> Reply {
    step(app, who, id, "reschedule", body).await
}

#[tokio::test]
async fn a_rider_booked_by_phone_gets_a_call_back_for_every_change_until_ticked_off() {
    let (app, crew) = spawn_cast().await;
    let erna = book(&app, &crew.dispatcher, &by_phone(&crew, 180, "039483 1234")).await;
    let id = id_of(&erna);
    assert!(
        due(&app, &crew.dispatcher).await.is_empty(),
        "booking is no news"
    );

    step_ok(&app, &crew.driver, &id, "accept").await;
    step_ok(&app, &crew.driver, &id, "release").await;
    let moved = reschedule(
        &app,
        &crew.dispatcher,
        &id,
        json!({"pickup_at": rfc3339(at(200))}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let cancelled = step(
        &app,
        &crew.dispatcher,
        &id,
        "cancel",
        json!({"reason": "Termin abgesagt"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);

    let list = callbacks(&app, &crew.dispatcher).await;
    assert_eq!(
        reasons(&due(&app, &crew.dispatcher).await),
        ["driver_found", "released", "rescheduled", "cancelled"],
        "oldest first: {list:?}"
    );
    let first = &list[0];
    assert_eq!(first["ride"]["rider_name"], "Erna Schulze");
    assert_eq!(first["ride"]["contact_phone"], "039483 1234");
    assert_eq!(
        first["ride"]["status"], "cancelled",
        "the ride as it stands now"
    );
    assert_eq!(first["done_at"], Value::Null);
    // The admin sees the same list.
    assert_eq!(callbacks(&app, &crew.admin).await.len(), 4);

    app.clock.advance(Duration::minutes(3));
    let done = tick(
        &app,
        &crew.dispatcher,
        first["id"].as_str().unwrap_or_default(),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text);
    let done = done.json();
    assert_eq!(instant(&done["done_at"]), Some(at(3)));
    assert_eq!(done["done_by"], crew.dispatcher.user_id.as_str());
    assert_eq!(done["reason"], "driver_found");
    assert_eq!(
        reasons(&due(&app, &crew.dispatcher).await),
        ["released", "rescheduled", "cancelled"]
    );
    // A second tick (a double click, a retry) changes nothing.
    tick(&app, &crew.admin, first["id"].as_str().unwrap_or_default())
        .await
        .assert_problem(409, "conflict");
    tick(&app, &crew.admin, &uuid::Uuid::now_v7().to_string())
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn changes_a_rider_makes_or_hears_of_herself_need_no_call() {
    let (app, crew) = spawn_cast().await;
    // Booked in the app by the rider herself: the app tells her everything.
    let own = crew.booked(&app, 180).await;
    step_ok(&app, &crew.driver, &own, "accept").await;
    step_ok(&app, &crew.driver, &own, "release").await;
    step_ok(&app, &crew.rider, &own, "cancel").await;
    assert!(due(&app, &crew.dispatcher).await.is_empty());

    // Booked by the desk for a resident with an account: what the resident does herself is
    // no news to her; what others do is.
    let body = with(
        &ride(&crew.rieder, 240),
        "rider_user_id",
        json!(crew.rider.user_id),
    );
    let for_her = id_of(&book(&app, &crew.dispatcher, &body).await);
    step_ok(&app, &crew.driver, &for_her, "accept").await;
    step_ok(&app, &crew.rider, &for_her, "cancel").await;
    assert_eq!(
        due(&app, &crew.dispatcher).await,
        [("driver_found".to_owned(), for_her)]
    );
}

#[tokio::test]
async fn a_phone_booked_ride_nobody_takes_becomes_a_no_driver_call_back() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(
            &by_phone(&crew, 180, "039483 1234"),
            "return_trip",
            json!(true),
        ),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let outward = book(&app, &crew.dispatcher, &body).await;
    app.clock.set(at(181));
    run_jobs(&app).await;
    let mut desk = crew.dispatcher.clone();
    renew(&app, &mut desk).await;
    assert_eq!(
        ride_as(&app, &desk, &id_of(&outward)).await["status"],
        "expired"
    );
    assert_eq!(
        due(&app, &desk).await,
        [("no_driver".to_owned(), id_of(&outward))],
        "the return leg has not expired yet"
    );
}

#[tokio::test]
async fn of_two_people_ticking_one_call_back_off_at_once_one_succeeds() {
    let (app, crew) = spawn_cast().await;
    let id = id_of(&book(&app, &crew.dispatcher, &by_phone(&crew, 180, "039483 1234")).await);
    step_ok(&app, &crew.driver, &id, "accept").await;
    let list = callbacks(&app, &crew.dispatcher).await;
    let callback = list[0]["id"].as_str().unwrap_or_default().to_owned();
    let (a, b) = join(
        tick(&app, &crew.dispatcher, &callback),
        tick(&app, &crew.admin, &callback),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
    assert!(due(&app, &crew.dispatcher).await.is_empty());
}

#[tokio::test]
async fn a_callers_last_rides_are_found_however_the_number_is_typed() {
    let (app, crew) = spawn_cast().await;
    let older = book(&app, &crew.dispatcher, &by_phone(&crew, 180, "039483 1234")).await;
    let with_return = with(
        &with(
            &by_phone(&crew, 600, "+49 39483 12-34"),
            "return_trip",
            json!(true),
        ),
        "return_pickup_at",
        json!(rfc3339(at(700))),
    );
    let newer = book(&app, &crew.dispatcher, &with_return).await;
    book(&app, &crew.dispatcher, &by_phone(&crew, 240, "039483 9999")).await;

    for typed in ["039483/1234", "0049 39483 1234", "+49 (0)39483 1234"] {
        let path = format!(
            "/api/v1/rides/callers?phone={}",
            crate::support::encode(typed)
        );
        let reply = get_as(&app, &path, &crew.dispatcher.access).await;
        assert_eq!(reply.status, 200, "{typed}: {}", reply.text);
        let found: Vec<String> = reply.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(
            found,
            [id_of(&newer), id_of(&older)],
            "{typed}: outward legs only, newest first"
        );
    }
    let reply = get_as(
        &app,
        "/api/v1/rides/callers?phone=12%2034",
        &crew.dispatcher.access,
    )
    .await;
    assert_invalid_field(&reply, "phone");
}

#[tokio::test]
async fn a_phone_key_is_filled_in_for_rides_booked_before_it_existed() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let (app, crew) = spawn_cast().await;
    let id = id_of(&book(&app, &crew.dispatcher, &by_phone(&crew, 180, "039483 1234")).await);
    app.state
        .db
        .execute_unprepared("UPDATE ride SET contact_phone_key = NULL")
        .await
        .expect("clear");
    let lookup = async || {
        get_as(
            &app,
            "/api/v1/rides/callers?phone=0394831234",
            &crew.dispatcher.access,
        )
        .await
        .json()["items"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(lookup().await, 0);
    let txn = app.state.db.begin().await.expect("begin");
    let filled = domain::rides::desk::backfill_phone_keys(&txn)
        .await
        .expect("backfill");
    txn.commit().await.expect("commit");
    assert_eq!(filled, 1);
    assert_eq!(lookup().await, 1, "{id}");
}

#[tokio::test]
async fn a_drivers_run_sheet_lists_their_legs_of_one_local_day() {
    let (app, crew) = spawn_cast().await;
    let today = crew.booked(&app, 180).await;
    let tomorrow = crew.booked(&app, 180 + 24 * 60).await;
    let given_back = crew.booked(&app, 240).await;
    for id in [&today, &tomorrow, &given_back] {
        step_ok(&app, &crew.driver, id, "accept").await;
    }
    step_ok(&app, &crew.driver, &given_back, "release").await;
    let driver = &crew.driver.user_id;
    let sheet = |who: &Session, day: &str| {
        let path = format!("/api/v1/rides/run-sheet?driver_id={driver}{day}");
        let token = who.access.clone();
        let app = &app;
        async move { get_as(app, &path, &token).await }
    };
    // The test epoch is 2026-06-02 10:00 in Ballenstedt.
    for (who, day, expect) in [
        (&crew.dispatcher, "", vec![today.clone()]),
        (&crew.driver, "&day=2026-06-02", vec![today.clone()]),
        (&crew.admin, "&day=2026-06-03", vec![tomorrow.clone()]),
    ] {
        let reply = sheet(who, day).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        let ids: Vec<String> = body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(ids, expect, "{day}");
        assert_eq!(body["driver_id"], driver.as_str());
        let first = &body["items"][0];
        assert_eq!(
            first["pickup_address"], "Lindenstraße 4",
            "everything to drive it"
        );
    }
    assert_eq!(sheet(&crew.driver, "").await.json()["day"], "2026-06-02");
    sheet(&crew.second_driver, "")
        .await
        .assert_problem(403, "forbidden");
    sheet(&crew.rider, "")
        .await
        .assert_problem(403, "forbidden");
    for bad in ["&day=2026-02-30", "&day=morgen", "&day=12026-01-01"] {
        assert_invalid_field(&sheet(&crew.dispatcher, bad).await, "day");
    }
}

#[tokio::test]
async fn the_desk_sees_a_districts_drivers_with_their_legs_that_day() {
    let (app, crew) = spawn_cast().await;
    let id = crew.booked(&app, 180).await;
    step_ok(&app, &crew.second_driver, &id, "accept").await;
    let path = format!("/api/v1/rides/drivers?district_id={}", crew.rieder);
    let reply = get_as(&app, &path, &crew.dispatcher.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let legs: Vec<(String, u64)> = items
        .iter()
        .map(|d| {
            (
                d["user_id"].as_str().unwrap_or_default().to_owned(),
                d["legs_that_day"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        legs.len(),
        2,
        "Rieder's two drivers, not Badeborn's: {items:?}"
    );
    assert!(legs.contains(&(crew.driver.user_id.clone(), 0)), "{legs:?}");
    assert!(
        legs.contains(&(crew.second_driver.user_id.clone(), 1)),
        "{legs:?}"
    );
    assert!(items.iter().all(|d| d["display_name"].is_string()));
    let tomorrow = get_as(
        &app,
        &format!("{path}&day=2026-06-03"),
        &crew.dispatcher.access,
    )
    .await;
    assert!(
        tomorrow.json()["items"]
            .as_array()
            .is_some_and(|all| all.iter().all(|d| d["legs_that_day"] == 0))
    );
}

#[tokio::test]
async fn a_new_pickup_time_keeps_the_status_tells_the_driver_and_moves_the_reminder() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(&ride(&crew.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let outward = book(&app, &crew.rider, &body).await;
    let id = id_of(&outward);
    step_ok(&app, &crew.driver, &id, "accept").await;
    let told_before = updates_for(&app, &crew.driver).await.len();

    let moved = reschedule(
        &app,
        &crew.rider,
        &id,
        json!({"pickup_at": rfc3339(at(240)), "reason": "Praxis hat verschoben"}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let moved = moved.json();
    assert_eq!(moved["status"], "accepted");
    assert_eq!(moved["driver_id"], crew.driver.user_id.as_str());
    assert_eq!(instant(&moved["pickup_at"]), Some(at(240)));
    let last = moved["events"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["status"], "accepted");
    assert_eq!(last["actor_role"], "rider");
    let reason = last["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("02.06.2026 13:00 → 02.06.2026 14:00") && reason.contains("Praxis"),
        "{reason}"
    );
    let driver_told = updates_for(&app, &crew.driver).await;
    assert_eq!(driver_told.len(), told_before + 1);
    assert!(
        driver_told
            .last()
            .is_some_and(|n| n.title == "Fahrt verlegt"),
        "{driver_told:?}"
    );
    assert!(
        updates_for(&app, &crew.rider)
            .await
            .iter()
            .all(|n| !n.title.contains("Abholzeit")),
        "she moved it herself"
    );
    assert!(
        due(&app, &crew.dispatcher).await.is_empty(),
        "booked in the app"
    );

    // The same time again is a harmless retry: no new history row.
    let again = reschedule(
        &app,
        &crew.rider,
        &id,
        json!({"pickup_at": rfc3339(at(240))}),
    )
    .await;
    assert_eq!(
        again.json()["events"].as_array().map(Vec::len),
        moved["events"].as_array().map(Vec::len)
    );

    // The reminder moved with it: none at the old time, one at the new.
    let reminders = || async {
        updates_for(&app, &crew.rider)
            .await
            .iter()
            .filter(|n| n.title.starts_with("Erinnerung"))
            .count()
    };
    let before = app.state.ride_settings().reminder_before;
    app.clock.set(at(180) - before + Duration::minutes(1));
    run_jobs(&app).await;
    assert_eq!(reminders().await, 0);
    app.clock.set(at(240) - before + Duration::minutes(1));
    run_jobs(&app).await;
    assert_eq!(reminders().await, 1);
}

#[tokio::test]
async fn a_new_pickup_time_must_fit_the_booking_rules_and_the_legs_order() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &with(&ride(&crew.rieder, 180), "return_trip", json!(true)),
        "return_pickup_at",
        json!(rfc3339(at(300))),
    );
    let outward = book(&app, &crew.rider, &body).await;
    let id = id_of(&outward);
    let back = outward["return_ride_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for (leg, minutes) in [(&id, 10), (&id, 61 * 24 * 60), (&id, 300), (&back, 180)] {
        let reply = reschedule(
            &app,
            &crew.rider,
            leg,
            json!({"pickup_at": rfc3339(at(minutes))}),
        )
        .await;
        assert_invalid_field(&reply, "pickup_at");
    }
    let appointment = reschedule(
        &app,
        &crew.rider,
        &back,
        json!({"pickup_at": rfc3339(at(320)), "appointment_at": rfc3339(at(330))}),
    )
    .await;
    assert_invalid_field(&appointment, "appointment_at");
    let long = reschedule(
        &app,
        &crew.rider,
        &id,
        json!({"pickup_at": rfc3339(at(200)), "reason": "x".repeat(501)}),
    )
    .await;
    assert_invalid_field(&long, "reason");
    assert_eq!(
        instant(&ride_as(&app, &crew.rider, &id).await["pickup_at"]),
        Some(at(180)),
        "nothing half-written"
    );

    // Who may: the rider and the staff; the assigned driver may not, a stranger does not see it.
    step_ok(&app, &crew.driver, &id, "accept").await;
    let to = json!({"pickup_at": rfc3339(at(200))});
    reschedule(&app, &crew.driver, &id, to.clone())
        .await
        .assert_problem(403, "forbidden");
    reschedule(&app, &crew.neighbour, &id, to.clone())
        .await
        .assert_problem(404, "not_found");
    post_json(
        &app,
        &format!("/api/v1/rides/{id}/reschedule"),
        None,
        to.clone(),
    )
    .await
    .assert_problem(401, "unauthorized");
    assert_eq!(
        reschedule(&app, &crew.dispatcher, &id, to.clone())
            .await
            .status,
        200
    );
    step_ok(&app, &crew.driver, &id, "start").await;
    assert_conflict(
        &reschedule(
            &app,
            &crew.admin,
            &id,
            json!({"pickup_at": rfc3339(at(220))}),
        )
        .await,
        "in_progress",
    );
}

#[tokio::test]
async fn the_desk_operations_are_for_dispatchers_and_admins_only() {
    let (app, crew) = spawn_cast().await;
    let id = id_of(&book(&app, &crew.dispatcher, &by_phone(&crew, 180, "039483 1234")).await);
    step_ok(&app, &crew.driver, &id, "accept").await;
    let callback = callbacks(&app, &crew.dispatcher).await[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let reads = [
        CALLBACKS.to_owned(),
        "/api/v1/rides/callers?phone=0394831234".to_owned(),
        format!("/api/v1/rides/drivers?district_id={}", crew.rieder),
    ];
    for path in &reads {
        get_anonymous(&app, path)
            .await
            .assert_problem(401, "unauthorized");
        for who in [
            &crew.rider,
            &crew.neighbour,
            &crew.driver,
            &crew.far_driver,
            &crew.leader,
            &crew.far_leader,
            &crew.operator,
            &crew.resident,
        ] {
            get_as(&app, path, &who.access)
                .await
                .assert_problem(403, "forbidden");
        }
        for who in [&crew.dispatcher, &crew.admin] {
            assert_eq!(get_as(&app, path, &who.access).await.status, 200, "{path}");
        }
    }
    let done = format!("{CALLBACKS}/{callback}/done");
    post_json(&app, &done, None, json!({}))
        .await
        .assert_problem(401, "unauthorized");
    for who in [
        &crew.rider,
        &crew.driver,
        &crew.leader,
        &crew.operator,
        &crew.resident,
    ] {
        tick(&app, who, &callback)
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(
        due(&app, &crew.admin).await.len(),
        1,
        "nothing ticked by the refused"
    );
}

#[tokio::test]
async fn nobody_is_called_back_after_asking_to_be_forgotten() {
    let (app, crew) = spawn_cast().await;
    let body = with(
        &ride(&crew.rieder, 180),
        "rider_user_id",
        json!(crew.rider.user_id),
    );
    let id = id_of(&book(&app, &crew.dispatcher, &body).await);
    step_ok(&app, &crew.driver, &id, "accept").await;
    assert_eq!(due(&app, &crew.dispatcher).await.len(), 1);
    let erased = post_json(
        &app,
        "/api/v1/me/delete",
        Some(&crew.rider.access),
        json!({"password": crate::support::PASSWORD}),
    )
    .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    assert!(due(&app, &crew.dispatcher).await.is_empty());
}
