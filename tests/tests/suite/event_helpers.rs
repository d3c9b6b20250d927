//! Helpers (Ehrenamt): a Verein asks for helpers in shifts, residents sign up and withdraw,
//! never more than asked for even when twenty tap at once; the organiser sees names and phone
//! numbers, the public only "2 von 3"; helpers are reminded the day before and told of a new
//! time, a dropped shift or a cancellation; "what I helped with" is theirs alone. The test
//! clock starts on Tuesday 2026-06-02, 08:00 UTC; the municipality is in Europe/Berlin.

use chrono::Duration;
use futures::future::join_all;
use poem::http::Method;
use serde_json::{Value, json};

use crate::events::{club_with_editor, roles};
use crate::support::{
    Cast, PASSWORD, Reply, Session, TestApp, assert_invalid_field, get_anonymous, get_as, id_of,
    inbox, patch_json, post_json, put_json, register, renew, send, settle, spawn_cast,
    spawn_cast_with, unique_email,
};

/// Saturday 2026-06-20, 14:00–20:00 in Rieder, by the club.
fn festival(club: &str, district: &str) -> Value {
    json!({
        "title": "Sommerfest",
        "description": "Mit Kuchenbuffet und Blasmusik.",
        "category": "festival",
        "organisation_id": club,
        "district_ids": [district],
        "start": "2026-06-20T14:00",
        "end": "2026-06-20T20:00",
        "place": "Festwiese",
    })
}

fn cake_buffet(needed: i32) -> Value {
    json!({
        "title": "Kuchenbuffet",
        "start": "2026-06-20T14:00",
        "end": "2026-06-20T16:00",
        "needed": needed,
    })
}

/// The club's festival (published) with one shift; returns (event, shift) ids.
async fn festival_with_shift(
    app: &TestApp,
    crew: &Cast,
    editor: &Session,
    club: &str,
    needed: i32,
) -> (String, String) {
    let event = post_json(
        app,
        "/api/v1/events",
        Some(&editor.access),
        festival(club, &crew.rieder),
    )
    .await;
    assert_eq!(event.status, 201, "{}", event.text);
    let event = id_of(&event.json());
    let shift = post_json(
        app,
        &format!("/api/v1/events/{event}/shifts"),
        Some(&editor.access),
        cake_buffet(needed),
    )
    .await;
    assert_eq!(shift.status, 201, "{}", shift.text);
    (event, id_of(&shift.json()))
}

async fn sign_up(app: &TestApp, who: &Session, event: &str, shift: &str, phone: &str) -> Reply {
    put_json(
        app,
        &format!("/api/v1/events/{event}/shifts/{shift}/signup"),
        Some(&who.access),
        json!({"phone": phone}),
    )
    .await
}

async fn shifts(app: &TestApp, event: &str) -> Value {
    let reply = get_anonymous(app, &format!("/api/v1/events/{event}/shifts")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["items"][0].clone()
}

#[tokio::test]
async fn a_verein_asks_for_helpers_residents_sign_up_and_the_public_sees_only_counts() {
    let (app, mut crew) = spawn_cast().await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let (event, shift) = festival_with_shift(&app, &crew, &editor, &club, 3).await;

    let first = sign_up(&app, &crew.resident, &event, &shift, "039483 1234").await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json()["taken"], 1);
    assert_eq!(first.json()["signed_up"], true);
    // A second tap on a flaky line changes nothing.
    let again = sign_up(&app, &crew.resident, &event, &shift, "039483 1234").await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json()["taken"], 1);
    let second = sign_up(&app, &crew.neighbour, &event, &shift, "0171/2345678").await;
    assert_eq!(second.status, 201, "{}", second.text);

    // The public: "2 von 3", nobody's name or number.
    let public = get_anonymous(&app, &format!("/api/v1/events/{event}/shifts")).await;
    assert_eq!(public.json()["items"][0]["taken"], 2);
    assert_eq!(public.json()["items"][0]["needed"], 3);
    assert_eq!(public.json()["items"][0]["signed_up"], false);
    assert!(!public.text.contains("1234") && !public.text.contains(&crew.resident.user_id));
    // The signed-in helper sees that the place is theirs.
    let own_view = get_as(
        &app,
        &format!("/api/v1/events/{event}/shifts"),
        &crew.resident.access,
    )
    .await;
    assert_eq!(own_view.json()["items"][0]["signed_up"], true);

    // The organiser: names and numbers.
    let helpers = get_as(
        &app,
        &format!("/api/v1/events/{event}/helpers"),
        &editor.access,
    )
    .await;
    assert_eq!(helpers.status, 200, "{}", helpers.text);
    let items = helpers.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["user_id"], crew.resident.user_id.as_str());
    assert_eq!(items[0]["phone"], "039483 1234");
    assert_eq!(items[1]["phone"], "0171/2345678");
    assert!(
        !items[0]["display_name"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    // A helper is not an organiser.
    get_as(
        &app,
        &format!("/api/v1/events/{event}/helpers"),
        &crew.resident.access,
    )
    .await
    .assert_problem(403, "forbidden");

    // Without a number (none in the profile either): the field is named.
    let newcomer = register(&app, &unique_email("neu"), PASSWORD).await;
    let no_phone = put_json(
        &app,
        &format!("/api/v1/events/{event}/shifts/{shift}/signup"),
        Some(&newcomer.access),
        json!({}),
    )
    .await;
    assert_invalid_field(&no_phone, "phone");
    let bad_phone = sign_up(&app, &newcomer, &event, &shift, "ruf mich an").await;
    assert_invalid_field(&bad_phone, "phone");

    // Withdrawing gives the place back; withdrawing twice is fine.
    for _ in 0..2 {
        let gone = send(
            &app,
            Method::DELETE,
            &format!("/api/v1/events/{event}/shifts/{shift}/signup"),
            Some(&crew.neighbour.access),
            &[],
            None,
        )
        .await;
        assert_eq!(gone.status, 204, "{}", gone.text);
    }
    assert_eq!(shifts(&app, &event).await["taken"], 1);

    // "What I helped with": the shift is listed, and counts once it is over.
    let mine = get_as(&app, "/api/v1/me/shifts", &crew.resident.access).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.json()["helped_count"], 0);
    assert_eq!(mine.json()["items"][0]["event_title"], "Sommerfest");
    assert_eq!(mine.json()["items"][0]["shift"]["title"], "Kuchenbuffet");
    app.clock.advance(Duration::days(19));
    renew(&app, &mut crew.resident).await;
    renew(&app, &mut crew.neighbour).await;
    let mine = get_as(&app, "/api/v1/me/shifts", &crew.resident.access).await;
    assert_eq!(mine.json()["helped_count"], 1);
    // Nobody else's count shows anywhere: the neighbour withdrew and has none.
    let theirs = get_as(&app, "/api/v1/me/shifts", &crew.neighbour.access).await;
    assert_eq!(theirs.json()["helped_count"], 0);
    assert_eq!(theirs.json()["items"], json!([]));
    // After the start, places are neither taken nor given back.
    sign_up(&app, &crew.neighbour, &event, &shift, "0171/2345678")
        .await
        .assert_problem(409, "conflict");
    send(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{event}/shifts/{shift}/signup"),
        Some(&crew.resident.access),
        &[],
        None,
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn twenty_residents_tapping_at_once_get_exactly_the_places_asked_for() {
    // Twenty-one accounts from the test's one address: above the registration quota.
    let (app, crew) = spawn_cast_with(|s| s.quota_registrations_per_address_per_hour = 1_000).await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let (event, shift) = festival_with_shift(&app, &crew, &editor, &club, 3).await;
    let mut people = Vec::new();
    for _ in 0..20 {
        people.push(register(&app, &unique_email("helfer"), PASSWORD).await);
    }
    let replies = join_all(
        people
            .iter()
            .map(|p| sign_up(&app, p, &event, &shift, "039483 1234")),
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        17,
        "{statuses:?}"
    );
    let full = replies.iter().find(|r| r.status == 409).expect("a refusal");
    assert!(full.text.contains("voll besetzt"), "{}", full.text);
    assert_eq!(shifts(&app, &event).await["taken"], 3);
    let helpers = get_as(
        &app,
        &format!("/api/v1/events/{event}/helpers"),
        &editor.access,
    )
    .await;
    assert_eq!(helpers.json()["items"].as_array().map(Vec::len), Some(3));

    // Fewer places than are taken: nobody is struck off.
    patch_json(
        &app,
        &format!("/api/v1/events/{event}/shifts/{shift}"),
        Some(&editor.access),
        json!({"needed": 2}),
    )
    .await
    .assert_problem(409, "conflict");

    // One gives their place back while five others try: exactly one gets in.
    let holder = people
        .iter()
        .zip(&replies)
        .find(|(_, r)| r.status == 201)
        .map(|(p, _)| p)
        .expect("a helper");
    let waiting: Vec<&Session> = people
        .iter()
        .zip(&replies)
        .filter(|(_, r)| r.status == 409)
        .map(|(p, _)| p)
        .take(5)
        .collect();
    let path = format!("/api/v1/events/{event}/shifts/{shift}/signup");
    let (withdrawn, tries) = futures::join!(
        send(&app, Method::DELETE, &path, Some(&holder.access), &[], None),
        join_all(
            waiting
                .iter()
                .map(|p| sign_up(&app, p, &event, &shift, "039483 1234"))
        )
    );
    assert_eq!(withdrawn.status, 204, "{}", withdrawn.text);
    let got_in = tries.iter().filter(|r| r.status == 201).count();
    assert!(got_in <= 1, "{got_in} got in for one place");
    let taken = shifts(&app, &event).await["taken"].as_i64().expect("taken");
    assert_eq!(taken, 2 + got_in as i64);
    assert!(taken <= 3);

    // Lowering the places while someone signs up never leaves more taken than asked for.
    let late = register(&app, &unique_email("spaet"), PASSWORD).await;
    let shift_path = format!("/api/v1/events/{event}/shifts/{shift}");
    let (lowered, signed) = futures::join!(
        patch_json(
            &app,
            &shift_path,
            Some(&editor.access),
            json!({"needed": taken}),
        ),
        sign_up(&app, &late, &event, &shift, "039483 1234")
    );
    let after = shifts(&app, &event).await;
    assert!(
        after["taken"].as_i64() <= after["needed"].as_i64(),
        "{after}"
    );
    assert!(
        lowered.status == 200 || lowered.status == 409,
        "{}",
        lowered.text
    );
    assert!(
        signed.status == 201 || signed.status == 409,
        "{}",
        signed.text
    );
}

#[tokio::test]
async fn helpers_are_reminded_the_day_before_and_told_of_a_new_time_a_dropped_shift_and_a_cancellation()
 {
    let (app, mut crew) = spawn_cast().await;
    let (club, mut editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let (event, shift) = festival_with_shift(&app, &crew, &editor, &club, 3).await;
    assert_eq!(
        sign_up(&app, &crew.resident, &event, &shift, "039483 1234")
            .await
            .status,
        201
    );
    let setup = post_json(
        &app,
        &format!("/api/v1/events/{event}/shifts"),
        Some(&editor.access),
        json!({"title": "Aufbau", "start": "2026-06-19T17:00", "end": "2026-06-19T20:00", "needed": 4}),
    )
    .await;
    assert_eq!(setup.status, 201, "{}", setup.text);
    let setup = id_of(&setup.json());
    assert_eq!(
        sign_up(&app, &crew.neighbour, &event, &setup, "0171/2345678")
            .await
            .status,
        201
    );
    let titles = |entries: Vec<Value>| -> Vec<String> {
        entries
            .iter()
            .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    // A new time for the set-up shift reaches its helper, not the buffet's.
    let moved = patch_json(
        &app,
        &format!("/api/v1/events/{event}/shifts/{setup}"),
        Some(&editor.access),
        json!({"start": "2026-06-19T16:00"}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json()["start"], "2026-06-19T16:00:00");
    settle(&app).await;
    let told = titles(inbox(&app, &crew.neighbour).await);
    assert!(
        told.contains(&"Neue Zeit für Ihre Schicht „Aufbau“".to_owned()),
        "{told:?}"
    );
    assert!(titles(inbox(&app, &crew.resident).await).is_empty());

    // The day before 14:00 (12:00Z on the 20th): the buffet's helper is reminded.
    app.clock
        .advance(Duration::days(17) + Duration::hours(4) + Duration::minutes(5));
    renew(&app, &mut crew.resident).await;
    renew(&app, &mut crew.neighbour).await;
    renew(&app, &mut editor).await;
    renew(&app, &mut crew.rider).await;
    settle(&app).await;
    let reminded = titles(inbox(&app, &crew.resident).await);
    assert!(
        reminded.contains(&"Morgen: Ihre Schicht „Kuchenbuffet“".to_owned()),
        "{reminded:?}"
    );

    // The set-up shift is dropped: its helper is told.
    let dropped = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{event}/shifts/{setup}"),
        Some(&editor.access),
        &[],
        None,
    )
    .await;
    assert_eq!(dropped.status, 204, "{}", dropped.text);
    settle(&app).await;
    let told = titles(inbox(&app, &crew.neighbour).await);
    assert!(
        told.contains(&"Schicht entfällt: Aufbau".to_owned()),
        "{told:?}"
    );

    // The festival is cancelled: the buffet's helper hears it, without following it by hand.
    let cancelled = post_json(
        &app,
        &format!("/api/v1/events/{event}/cancel"),
        Some(&editor.access),
        json!({"reason": "Unwetterwarnung"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    settle(&app).await;
    let told = titles(inbox(&app, &crew.resident).await);
    assert!(
        told.contains(&"Abgesagt: Sommerfest".to_owned()),
        "{told:?}"
    );
    // Nobody signs up for a cancelled festival.
    sign_up(&app, &crew.rider, &event, &shift, "039483 1234")
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn hostile_shifts_get_a_clear_answer() {
    let (app, crew) = spawn_cast_with(|s| s.quota_events_per_author_per_hour = 1_000).await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let (event, shift) = festival_with_shift(&app, &crew, &editor, &club, 3).await;
    let path = format!("/api/v1/events/{event}/shifts");
    let attempt = |body: Value| {
        let (app, path, token) = (&app, path.clone(), editor.access.clone());
        async move { post_json(app, &path, Some(&token), body).await }
    };
    let with = |field: &str, value: Value| {
        let mut body = cake_buffet(3);
        body[field] = value;
        body
    };
    for (body, field) in [
        (with("needed", json!(10_000)), "needed"),
        (with("needed", json!(0)), "needed"),
        (with("title", json!("   ")), "title"),
        (with("title", json!("x".repeat(201))), "title"),
        (with("start", json!("Samstag nachmittag")), "start"),
        (with("start", json!("2026-06-20")), "start"),
        (with("end", json!("2026-06-20T13:00")), "end"),
        // A whole day and more.
        (with("end", json!("2026-06-21T15:00")), "end"),
        // A week after the festival: not at any of its dates.
        (
            json!({"title": "Abbau", "start": "2026-06-27T10:00", "end": "2026-06-27T12:00", "needed": 2}),
            "start",
        ),
        // Already past.
        (
            json!({"title": "Plakate", "start": "2026-06-01T10:00", "end": "2026-06-01T12:00", "needed": 2}),
            "start",
        ),
    ] {
        let reply = attempt(body.clone()).await;
        assert_invalid_field(&reply, field);
    }
    // A shift in a time that does not exist (the spring gap) is named, too.
    let spring = post_json(
        &app,
        "/api/v1/events",
        Some(&editor.access),
        json!({"title": "Osterfeuer", "category": "festival", "organisation_id": club,
               "district_ids": [crew.rieder], "start": "2027-03-27T18:00", "end": "2027-03-28T04:00"}),
    )
    .await;
    assert_eq!(spring.status, 201, "{}", spring.text);
    let spring = id_of(&spring.json());
    let gap = post_json(
        &app,
        &format!("/api/v1/events/{spring}/shifts"),
        Some(&editor.access),
        json!({"title": "Feuerwache", "start": "2027-03-28T02:30", "end": "2027-03-28T04:00", "needed": 2}),
    )
    .await;
    assert_invalid_field(&gap, "start");
    assert!(gap.text.contains("Sommerzeit"), "{}", gap.text);

    // Unknown shifts and shifts of another event are 404.
    let other = post_json(
        &app,
        "/api/v1/events",
        Some(&editor.access),
        festival(&club, &crew.rieder),
    )
    .await;
    let other = id_of(&other.json());
    for target in [
        format!("/api/v1/events/{other}/shifts/{shift}/signup"),
        format!(
            "/api/v1/events/{event}/shifts/{}/signup",
            uuid::Uuid::now_v7()
        ),
    ] {
        put_json(
            &app,
            &target,
            Some(&crew.resident.access),
            json!({"phone": "039483 1234"}),
        )
        .await
        .assert_problem(404, "not_found");
    }
    patch_json(
        &app,
        &format!("/api/v1/events/{other}/shifts/{shift}"),
        Some(&editor.access),
        json!({"needed": 5}),
    )
    .await
    .assert_problem(404, "not_found");

    // At most thirty shifts an event.
    for n in 1..30 {
        let mut body = cake_buffet(2);
        body["title"] = json!(format!("Schicht {n}"));
        let reply = attempt(body).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    attempt(cake_buffet(2))
        .await
        .assert_problem(409, "conflict");
    // A retry with the same key creates nothing new (and is not counted against the limit).
    let keyed = |key: &str| {
        let (app, token, other) = (&app, editor.access.clone(), other.clone());
        let key = key.to_owned();
        async move {
            send(
                app,
                Method::POST,
                &format!("/api/v1/events/{other}/shifts"),
                Some(&token),
                &[("Idempotency-Key", key.as_str())],
                Some(&cake_buffet(2)),
            )
            .await
        }
    };
    let once = keyed("schicht-1").await;
    let twice = keyed("schicht-1").await;
    assert_eq!((once.status.as_u16(), twice.status.as_u16()), (201, 201));
    assert_eq!(id_of(&once.json()), id_of(&twice.json()));
    let listed = get_anonymous(&app, &format!("/api/v1/events/{other}/shifts")).await;
    assert_eq!(listed.json()["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn every_shift_operation_answers_each_role_as_the_rules_say() {
    let (app, crew) = spawn_cast_with(|s| s.quota_events_per_author_per_hour = 1_000).await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let (_, other_editor) = club_with_editor(&app, &crew, "Feuerwehr Rieder").await;
    let roles = roles(&crew, &editor, &other_editor);
    for (name, who) in roles {
        let token = who.map(|s| s.access.as_str());
        let organiser = matches!(name, "editor" | "leader" | "admin");
        let (event, shift) = festival_with_shift(&app, &crew, &editor, &club, 20).await;
        let call = |method: Method, path: String, body: Option<Value>| {
            let app = &app;
            async move {
                send(app, method, &path, token, &[], body.as_ref())
                    .await
                    .status
                    .as_u16()
            }
        };
        let managed = if who.is_none() {
            401
        } else if organiser {
            0
        } else {
            403
        };
        let or = |ok: u16| if managed == 0 { ok } else { managed };
        let signed_in = |ok: u16| if who.is_none() { 401 } else { ok };
        let e = format!("/api/v1/events/{event}");
        assert_eq!(
            call(Method::GET, format!("{e}/shifts"), None).await,
            200,
            "list shifts as {name}"
        );
        assert_eq!(
            call(Method::POST, format!("{e}/shifts"), Some(cake_buffet(2))).await,
            or(201),
            "create shift as {name}"
        );
        assert_eq!(
            call(
                Method::PATCH,
                format!("{e}/shifts/{shift}"),
                Some(json!({"needed": 25}))
            )
            .await,
            or(200),
            "update shift as {name}"
        );
        assert_eq!(
            call(
                Method::PUT,
                format!("{e}/shifts/{shift}/signup"),
                Some(json!({"phone": "039483 1234"}))
            )
            .await,
            signed_in(201),
            "sign up as {name}"
        );
        assert_eq!(
            call(Method::GET, format!("{e}/helpers"), None).await,
            or(200),
            "helpers as {name}"
        );
        assert_eq!(
            call(Method::GET, "/api/v1/me/shifts".into(), None).await,
            signed_in(200),
            "own shifts as {name}"
        );
        assert_eq!(
            call(Method::DELETE, format!("{e}/shifts/{shift}/signup"), None).await,
            signed_in(204),
            "withdraw as {name}"
        );
        assert_eq!(
            call(Method::DELETE, format!("{e}/shifts/{shift}"), None).await,
            or(204),
            "delete shift as {name}"
        );
    }
}

#[tokio::test]
async fn an_erased_helper_frees_the_place_and_leaves_the_organisers_list() {
    let (app, crew) = spawn_cast().await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let (event, shift) = festival_with_shift(&app, &crew, &editor, &club, 1).await;
    assert_eq!(
        sign_up(&app, &crew.resident, &event, &shift, "039483 1234")
            .await
            .status,
        201
    );
    // The export holds the sign-up with the number given.
    let export = get_as(&app, "/api/v1/me/export", &crew.resident.access).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.json()["shifts"]["items"][0]["phone"], "039483 1234");
    sign_up(&app, &crew.neighbour, &event, &shift, "0171/2345678")
        .await
        .assert_problem(409, "conflict");
    let erased = post_json(
        &app,
        "/api/v1/me/delete",
        Some(&crew.resident.access),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    assert_eq!(shifts(&app, &event).await["taken"], 0);
    let helpers = get_as(
        &app,
        &format!("/api/v1/events/{event}/helpers"),
        &editor.access,
    )
    .await;
    assert_eq!(helpers.json()["items"], json!([]));
    // The freed place can be taken.
    assert_eq!(
        sign_up(&app, &crew.neighbour, &event, &shift, "0171/2345678")
            .await
            .status,
        201
    );
}

/// A shift on a date of a series that is then cancelled takes no sign-ups (409, in words);
/// a shift that has begun with helpers cannot be removed, since it is in their "what I
/// helped with".
#[tokio::test]
async fn no_sign_up_for_a_cancelled_date_and_no_removing_a_shift_that_was_worked() {
    let (app, mut crew) = spawn_cast().await;
    let (club, mut editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let mut weekly = festival(&club, &crew.rieder);
    weekly["start"] = json!("2026-06-13T14:00");
    weekly["end"] = json!("2026-06-13T20:00");
    weekly["recurrence"] = json!("FREQ=WEEKLY;BYDAY=SA;COUNT=4");
    let event = post_json(&app, "/api/v1/events", Some(&editor.access), weekly).await;
    assert_eq!(event.status, 201, "{}", event.text);
    let event = id_of(&event.json());
    let shift = post_json(
        &app,
        &format!("/api/v1/events/{event}/shifts"),
        Some(&editor.access),
        cake_buffet(2),
    )
    .await;
    assert_eq!(shift.status, 201, "{}", shift.text);
    let shift = id_of(&shift.json());
    let early = sign_up(&app, &crew.neighbour, &event, &shift, "0171/2345678").await;
    assert_eq!(early.status, 201, "{}", early.text);

    // The Saturday of the shift is cancelled: no new helper for it.
    let cancelled = put_json(
        &app,
        &format!("/api/v1/events/{event}/occurrences/20260620T140000"),
        Some(&editor.access),
        json!({"status": "cancelled", "reason": "Unwetterwarnung"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    sign_up(&app, &crew.resident, &event, &shift, "039483 1234")
        .await
        .assert_problem(409, "conflict");

    // Once it has begun, the shift with its helper stays.
    app.clock.advance(Duration::days(18) + Duration::hours(5));
    renew(&app, &mut editor).await;
    renew(&app, &mut crew.neighbour).await;
    send(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{event}/shifts/{shift}"),
        Some(&editor.access),
        &[],
        None,
    )
    .await
    .assert_problem(409, "conflict");
    let own = get_as(&app, "/api/v1/me/shifts", &crew.neighbour.access).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(
        own.json()["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        own.text
    );
}
