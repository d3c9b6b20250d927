//! Events (Veranstaltungen): a Verein publishes a weekly series, the calendars of the district
//! and the town list its dates at 19:00 local across summer time, single dates are cancelled
//! or moved, and who may do what (every operation, every role). The test clock starts on
//! Tuesday 2026-06-02, 08:00 UTC; the municipality is in Europe/Berlin.

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Cast, PASSWORD, Reply, Session, TestApp, assert_invalid_field, get_anonymous, get_as, id_of,
    inbox, patch_json, post_json, put_json, register, renew, send, settle, spawn_cast,
    spawn_cast_with, unique_email,
};

/// Heimatverein Rieder with an editor (signed in again, so the token carries the role).
pub(crate) async fn club_with_editor(app: &TestApp, crew: &Cast, name: &str) -> (String, Session) {
    let organisation = post_json(
        app,
        "/api/v1/organisations",
        Some(&crew.leader.access),
        json!({"name": name, "kind": "verein", "district_id": crew.rieder}),
    )
    .await;
    assert_eq!(organisation.status, 201, "{}", organisation.text);
    let id = id_of(&organisation.json());
    let mut editor = register(app, &unique_email("verein"), PASSWORD).await;
    let granted = send(
        app,
        Method::PUT,
        &format!("/api/v1/organisations/{id}/editors/{}", editor.user_id),
        Some(&crew.leader.access),
        &[],
        None,
    )
    .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    renew(app, &mut editor).await;
    (id, editor)
}

/// Every role an event meets: "editor" is the event's organisation's, "other organisation's
/// editor" that of another club in the same district.
pub(crate) fn roles<'a>(
    crew: &'a Cast,
    editor: &'a Session,
    other_editor: &'a Session,
) -> [(&'static str, Option<&'a Session>); 9] {
    [
        ("anonymous", None),
        ("resident", Some(&crew.resident)),
        ("editor", Some(editor)),
        ("other organisation's editor", Some(other_editor)),
        ("leader", Some(&crew.leader)),
        ("far leader", Some(&crew.far_leader)),
        ("dispatcher", Some(&crew.dispatcher)),
        ("operator", Some(&crew.operator)),
        ("admin", Some(&crew.admin)),
    ]
}

fn choir(organisation: &str, district: &str) -> Value {
    json!({
        "title": "Chorprobe",
        "description": "Neue Stimmen sind willkommen.",
        "category": "culture",
        "organisation_id": organisation,
        "district_ids": [district],
        "start": "2026-06-02T19:00",
        "end": "2026-06-02T21:00",
        "recurrence": "FREQ=WEEKLY;BYDAY=TU",
        "place": "Dorfgemeinschaftshaus",
    })
}

async fn create(app: &TestApp, who: &Session, body: Value) -> Reply {
    post_json(app, "/api/v1/events", Some(&who.access), body).await
}

async fn calendar(app: &TestApp, query: &str) -> Value {
    let reply = get_anonymous(app, &format!("/api/v1/events/occurrences?{query}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

fn starts(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["start"].as_str().expect("start").to_owned())
        .collect()
}

#[tokio::test]
async fn a_verein_publishes_a_weekly_series_that_the_district_and_the_town_calendar_list() {
    let (app, crew) = spawn_cast().await;
    let (club, editor) = club_with_editor(&app, &crew, "Gemischter Chor Rieder").await;
    let created = create(&app, &editor, choir(&club, &crew.rieder)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let event = created.json();
    let id = id_of(&event);
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/events/{id}").as_str())
    );
    assert!(created.header("etag").is_some());
    assert_eq!(event["recurrence"], "FREQ=WEEKLY;BYDAY=TU");
    assert_eq!(event["organisation_name"], "Gemischter Chor Rieder");
    assert_eq!(event["start"], "2026-06-02T19:00:00");
    assert_eq!(event["starts_at"], "2026-06-02T17:00:00Z");
    assert_eq!(event["time_zone"], "Europe/Berlin");
    assert_eq!(event["publication"], "published");

    let june = format!("from=2026-06-01&to=2026-07-01&district_id={}", crew.rieder);
    let rieder = calendar(&app, &june).await;
    assert_eq!(
        starts(&rieder),
        [
            "2026-06-02T19:00:00",
            "2026-06-09T19:00:00",
            "2026-06-16T19:00:00",
            "2026-06-23T19:00:00",
            "2026-06-30T19:00:00"
        ]
    );
    let first = &rieder["items"][0];
    assert_eq!(first["event_id"], id.as_str());
    assert_eq!(first["end"], "2026-06-02T21:00:00");
    assert_eq!(first["ends_at"], "2026-06-02T19:00:00Z");
    assert_eq!(first["recurring"], true);
    assert_eq!(first["organisation_name"], "Gemischter Chor Rieder");
    let town = calendar(&app, "from=2026-06-01&to=2026-07-01").await;
    assert_eq!(starts(&town).len(), 5);
    let badeborn = calendar(
        &app,
        &format!(
            "from=2026-06-01&to=2026-07-01&district_id={}",
            crew.badeborn
        ),
    )
    .await;
    assert_eq!(badeborn["items"], json!([]));
    // Filters: the category, the organisation.
    let sport = calendar(&app, &format!("{june}&category=sport")).await;
    assert_eq!(sport["items"], json!([]));
    let by_club = calendar(&app, &format!("{june}&organisation_id={club}")).await;
    assert_eq!(starts(&by_club).len(), 5);
    // The public read, with 304 on a current copy.
    let read = get_anonymous(&app, &format!("/api/v1/events/{id}")).await;
    assert_eq!(read.status, 200);
    let etag = read.header("etag").expect("etag").to_owned();
    let again = send(
        &app,
        Method::GET,
        &format!("/api/v1/events/{id}"),
        None,
        &[("if-none-match", etag.as_str())],
        None,
    )
    .await;
    assert_eq!(again.status, 304);
}

#[tokio::test]
async fn tuesday_seven_pm_stays_seven_pm_across_the_change_of_summer_time() {
    let (app, crew) = spawn_cast().await;
    let mut body = choir_without_club(&crew);
    body["start"] = json!("2026-10-20T19:00");
    body["end"] = json!("2026-10-20T21:00");
    let created = create(&app, &crew.leader, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let page = calendar(
        &app,
        &format!("from=2026-10-19&to=2026-11-04&district_id={}", crew.rieder),
    )
    .await;
    let items = page["items"].as_array().expect("items");
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|o| {
            (
                o["start"].as_str().expect("start"),
                o["starts_at"].as_str().expect("starts_at"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("2026-10-20T19:00:00", "2026-10-20T17:00:00Z"),
            ("2026-10-27T19:00:00", "2026-10-27T18:00:00Z"),
            ("2026-11-03T19:00:00", "2026-11-03T18:00:00Z"),
        ]
    );
}

fn choir_without_club(crew: &Cast) -> Value {
    json!({
        "title": "Chorprobe",
        "category": "culture",
        "district_ids": [crew.rieder],
        "start": "2026-06-02T19:00",
        "end": "2026-06-02T21:00",
        "recurrence": "FREQ=WEEKLY;BYDAY=TU",
        "organiser_name": "Gemischter Chor",
    })
}

#[tokio::test]
async fn one_date_is_cancelled_another_moved_and_the_calendar_and_the_event_say_so() {
    let (app, crew) = spawn_cast().await;
    let id = id_of(
        &create(&app, &crew.leader, choir_without_club(&crew))
            .await
            .json(),
    );
    let path = format!("/api/v1/events/{id}/occurrences");
    let cancelled = put_json(
        &app,
        &format!("{path}/20260609T190000"),
        Some(&crew.leader.access),
        json!({"status": "cancelled", "reason": "Pfingstferien"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let moved = put_json(
        &app,
        &format!("{path}/20260616T190000"),
        Some(&crew.leader.access),
        json!({"status": "moved", "start": "2026-06-18T18:30", "reason": "Saal belegt"}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let event = moved.json();
    assert_eq!(event["sequence"], 2);
    assert_eq!(event["exceptions"][0]["original"], "20260609T190000");
    assert_eq!(event["exceptions"][0]["status"], "cancelled");
    assert_eq!(event["exceptions"][1]["start"], "2026-06-18T18:30:00");
    // The series' two hours, from the new start.
    assert_eq!(event["exceptions"][1]["end"], "2026-06-18T20:30:00");

    let june = format!("from=2026-06-01&to=2026-07-01&district_id={}", crew.rieder);
    assert_eq!(
        starts(&calendar(&app, &june).await),
        [
            "2026-06-02T19:00:00",
            "2026-06-18T18:30:00",
            "2026-06-23T19:00:00",
            "2026-06-30T19:00:00"
        ]
    );
    let with_cancelled = calendar(&app, &format!("{june}&include_cancelled=true")).await;
    let second = &with_cancelled["items"][1];
    assert_eq!(second["start"], "2026-06-09T19:00:00");
    assert_eq!(second["status"], "cancelled");
    let moved_date = &with_cancelled["items"][2];
    assert_eq!(moved_date["status"], "moved");
    assert_eq!(moved_date["original_start"], "2026-06-16T19:00:00");

    // Not a date of the series: 404; garbage in the path: 404.
    put_json(
        &app,
        &format!("{path}/20260610T190000"),
        Some(&crew.leader.access),
        json!({"status": "cancelled"}),
    )
    .await
    .assert_problem(404, "not_found");
    put_json(
        &app,
        &format!("{path}/gestern"),
        Some(&crew.leader.access),
        json!({"status": "cancelled"}),
    )
    .await
    .assert_problem(404, "not_found");
    // A move into the night that summer time skips is refused, naming the field.
    assert_invalid_field(
        &put_json(
            &app,
            &format!("{path}/20260623T190000"),
            Some(&crew.leader.access),
            json!({"status": "moved", "start": "2027-03-28T02:30"}),
        )
        .await,
        "start",
    );

    // Restored: the date is back as the rule says.
    let restored = send(
        &app,
        Method::DELETE,
        &format!("{path}/20260609T190000"),
        Some(&crew.leader.access),
        &[],
        None,
    )
    .await;
    assert_eq!(restored.status, 200, "{}", restored.text);
    assert_eq!(starts(&calendar(&app, &june).await).len(), 5);
    send(
        &app,
        Method::DELETE,
        &format!("{path}/20260609T190000"),
        Some(&crew.leader.access),
        &[],
        None,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_moved_single_event_keeps_its_old_time_and_a_cancelled_one_stays_marked() {
    let (app, crew) = spawn_cast().await;
    let body = json!({
        "title": "Pfingstfest",
        "category": "festival",
        "district_ids": [crew.rieder],
        "start": "2026-06-20",
        "end": "2026-06-21",
        "place": "Festwiese",
    });
    let created = create(&app, &crew.leader, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let event = created.json();
    assert_eq!(event["all_day"], true);
    assert_eq!(event["start"], "2026-06-20");
    assert_eq!(event["end"], "2026-06-21");
    let id = id_of(&event);
    let path = format!("/api/v1/events/{id}");
    let etag = created.header("etag").expect("etag").to_owned();
    let moved = send(
        &app,
        Method::PATCH,
        &path,
        Some(&crew.leader.access),
        &[("if-match", etag.as_str())],
        Some(&json!({"start": "2026-06-27", "end": "2026-06-28"})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json()["status"], "moved");
    assert_eq!(moved.json()["moved_from"], "2026-06-20");
    // The old copy's tag no longer fits.
    send(
        &app,
        Method::PATCH,
        &path,
        Some(&crew.leader.access),
        &[("if-match", etag.as_str())],
        Some(&json!({"title": "Pfingstfest (verschoben)"})),
    )
    .await
    .assert_problem(412, "precondition_failed");
    let june = format!("from=2026-06-01&to=2026-07-01&district_id={}", crew.rieder);
    let page = calendar(&app, &june).await;
    assert_eq!(starts(&page), ["2026-06-27"]);
    assert_eq!(page["items"][0]["end"], "2026-06-28");
    assert_eq!(page["items"][0]["original_start"], "2026-06-20");

    let cancelled = post_json(
        &app,
        &format!("{path}/cancel"),
        Some(&crew.leader.access),
        json!({"reason": "Unwetterwarnung"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(cancelled.json()["cancel_reason"], "Unwetterwarnung");
    post_json(
        &app,
        &format!("{path}/cancel"),
        Some(&crew.leader.access),
        json!({"reason": "noch einmal"}),
    )
    .await
    .assert_problem(409, "conflict");
    patch_json(
        &app,
        &path,
        Some(&crew.leader.access),
        json!({"title": "Doch!"}),
    )
    .await
    .assert_problem(409, "conflict");
    assert_eq!(calendar(&app, &june).await["items"], json!([]));
    let listed = calendar(&app, &format!("{june}&include_cancelled=true")).await;
    assert_eq!(listed["items"][0]["status"], "cancelled");
    // A published event is not deleted, but cancelled.
    send(
        &app,
        Method::DELETE,
        &path,
        Some(&crew.leader.access),
        &[],
        None,
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn the_calendar_pages_without_skipping_or_repeating() {
    let (app, crew) = spawn_cast().await;
    create(&app, &crew.leader, choir_without_club(&crew)).await;
    for (title, start) in [
        ("Skat", "2026-06-09T19:00"),
        ("Blutspende", "2026-06-09T15:00"),
        ("Dorfputz", "2026-06-13"),
    ] {
        let reply = create(
            &app,
            &crew.admin,
            json!({"title": title, "category": "other", "district_ids": [], "start": start}),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let all = calendar(
        &app,
        &format!(
            "from=2026-06-01&to=2026-06-24&district_id={}&limit=100",
            crew.rieder
        ),
    )
    .await;
    let everything = starts(&all);
    assert_eq!(everything.len(), 7, "{everything:?}");
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = calendar(
            &app,
            &format!(
                "from=2026-06-01&to=2026-06-24&district_id={}&limit=2&cursor={cursor}",
                crew.rieder
            ),
        )
        .await;
        paged.extend(starts(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(paged, everything);
    let mut sorted = everything.clone();
    sorted.sort();
    assert_eq!(everything, sorted);
}

#[tokio::test]
async fn hostile_events_get_a_clear_answer() {
    let (app, crew) = spawn_cast().await;
    let good = choir_without_club(&crew);
    for (change, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"description": "x".repeat(20_001)}), "description"),
        (json!({"recurrence": "FREQ=SECONDLY"}), "recurrence"),
        (
            json!({"recurrence": "FREQ=WEEKLY;COUNT=1000000"}),
            "recurrence",
        ),
        (
            json!({"recurrence": "FREQ=WEEKLY;INTERVAL=0"}),
            "recurrence",
        ),
        (
            json!({"recurrence": "FREQ=MONTHLY;BYDAY=9TU"}),
            "recurrence",
        ),
        (
            json!({"recurrence": "FREQ=WEEKLY;BYSETPOS=1"}),
            "recurrence",
        ),
        (json!({"recurrence": "x".repeat(501)}), "recurrence"),
        (json!({"end": "2026-06-02T18:00"}), "end"),
        (json!({"end": "2026-06-20T18:00"}), "end"),
        (json!({"start": "2027-03-28T02:30", "end": null}), "start"),
        (json!({"start": "2026-10-25T02:30", "end": null}), "start"),
        (json!({"start": "Dienstag"}), "start"),
        (json!({"start": "+262143-12-31", "end": null}), "start"),
        (json!({"start": "2029-01-01T19:00", "end": null}), "start"),
        (
            json!({"location": {"lat": 91.0, "lon": 11.0}}),
            "location.lat",
        ),
        (
            json!({"district_ids": [uuid::Uuid::now_v7()]}),
            "district_ids[0]",
        ),
        (
            json!({"organisation_id": uuid::Uuid::now_v7()}),
            "organisation_id",
        ),
    ] {
        let mut body = good.clone();
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        // The admin asks, so that no permission stands before the check.
        assert_invalid_field(&create(&app, &crew.admin, body).await, field);
    }
    // The autumn hour with its offset is fine.
    let mut body = good.clone();
    body["start"] = json!("2026-10-25T02:30+01:00");
    body["end"] = Value::Null;
    body["recurrence"] = Value::Null;
    let taken = create(&app, &crew.admin, body).await;
    assert_eq!(taken.status, 201, "{}", taken.text);
    assert_eq!(taken.json()["starts_at"], "2026-10-25T01:30:00Z");
    // 5 MB: refused before it is read.
    let mut huge = good.clone();
    huge["description"] = json!("x".repeat(5 * 1024 * 1024));
    create(&app, &crew.admin, huge)
        .await
        .assert_problem(413, "payload_too_large");
    // Calendar windows.
    let too_long = get_anonymous(
        &app,
        "/api/v1/events/occurrences?from=2026-06-01&to=2027-07-01",
    )
    .await;
    assert_invalid_field(&too_long, "to");
    let too_far = get_anonymous(
        &app,
        "/api/v1/events/occurrences?from=2028-06-01&to=2028-07-01",
    )
    .await;
    assert_invalid_field(&too_far, "to");
    for from in ["morgen", "%2B262143-12-31", "9999-12-31T23:59:59Z"] {
        assert_invalid_field(
            &get_anonymous(&app, &format!("/api/v1/events/occurrences?from={from}")).await,
            "from",
        );
    }
    get_anonymous(&app, "/api/v1/events/occurrences?cursor=%%%")
        .await
        .assert_problem(400, "bad_request");
    get_anonymous(&app, &format!("/api/v1/events/{}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_draft_is_seen_only_by_those_who_may_edit_it_and_a_leader_takes_an_event_down() {
    let (app, crew) = spawn_cast().await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let mut body = choir(&club, &crew.rieder);
    body["draft"] = json!(true);
    let draft = create(&app, &editor, body).await;
    assert_eq!(draft.status, 201, "{}", draft.text);
    let id = id_of(&draft.json());
    let path = format!("/api/v1/events/{id}");
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    get_as(&app, &path, &crew.far_leader.access)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(get_as(&app, &path, &crew.leader.access).await.status, 200);
    // Not in any calendar yet.
    assert_eq!(
        calendar(&app, "from=2026-06-01&to=2026-07-01").await["items"],
        json!([])
    );
    let published = patch_json(&app, &path, Some(&editor.access), json!({"draft": false})).await;
    assert_eq!(published.status, 200, "{}", published.text);
    assert_eq!(published.json()["publication"], "published");
    assert_eq!(
        starts(&calendar(&app, "from=2026-06-01&to=2026-07-01").await).len(),
        5
    );
    // The editor cannot take it down; the far leader sees it but may not; Rieder's may.
    for who in [&editor, &crew.far_leader] {
        post_json(
            &app,
            &format!("{path}/unpublish"),
            Some(&who.access),
            json!({"reason": "Werbung"}),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    let down = post_json(
        &app,
        &format!("{path}/unpublish"),
        Some(&crew.leader.access),
        json!({"reason": "Bitte ohne Werbung für den Getränkehandel."}),
    )
    .await;
    assert_eq!(down.status, 200, "{}", down.text);
    assert_eq!(
        calendar(&app, "from=2026-06-01&to=2026-07-01").await["items"],
        json!([])
    );
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    let seen = get_as(&app, &path, &editor.access).await.json();
    assert_eq!(seen["publication"], "unpublished");
    // The editor who wrote it is told why.
    settle(&app).await;
    let told = inbox(&app, &editor).await;
    assert_eq!(
        told[0]["title"], "Aus dem Kalender genommen: Chorprobe",
        "{told:?}"
    );
    assert!(
        told[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("Bitte ohne Werbung für den Getränkehandel.")),
        "{told:?}"
    );
    assert_eq!(
        seen["unpublished_reason"],
        "Bitte ohne Werbung für den Getränkehandel."
    );
    // Back on the calendar only by a leader.
    patch_json(&app, &path, Some(&editor.access), json!({"draft": false}))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn every_event_operation_answers_each_role_as_the_rules_say() {
    // Three events a role, all by the leader: above the hourly quota, which is not tested here.
    let (app, crew) = spawn_cast_with(|s| s.quota_events_per_author_per_hour = 1_000).await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let (_, other_editor) = club_with_editor(&app, &crew, "Feuerwehr Rieder").await;
    let roles = roles(&crew, &editor, &other_editor);
    let status = |reply: Reply| reply.status.as_u16();
    for (name, who) in roles {
        let token = who.map(|s| s.access.as_str());
        let organiser = matches!(name, "editor" | "leader" | "admin");
        let moderator = matches!(name, "leader" | "admin");
        let sees_draft = organiser;
        let expect = |allowed: bool, ok: u16, hidden: bool| {
            if who.is_none() {
                401
            } else if allowed {
                ok
            } else if hidden {
                404
            } else {
                403
            }
        };
        // Each role acts on its own fresh published event and draft of the club.
        let published = id_of(
            &create(&app, &crew.leader, choir(&club, &crew.rieder))
                .await
                .json(),
        );
        let mut draft_body = choir(&club, &crew.rieder);
        draft_body["draft"] = json!(true);
        let draft = id_of(&create(&app, &crew.leader, draft_body).await.json());
        let p = format!("/api/v1/events/{published}");
        let d = format!("/api/v1/events/{draft}");
        let call = |method: Method, path: String, body: Option<Value>| {
            let app = &app;
            async move { status(send(app, method, &path, token, &[], body.as_ref()).await) }
        };
        assert_eq!(
            call(
                Method::POST,
                "/api/v1/events".into(),
                Some(choir(&club, &crew.rieder))
            )
            .await,
            expect(organiser, 201, false),
            "create as {name}"
        );
        assert_eq!(
            call(Method::GET, p.clone(), None).await,
            200,
            "get as {name}"
        );
        let signed_in = |ok: u16| if who.is_none() { 401 } else { ok };
        assert_eq!(
            call(
                Method::PUT,
                format!("{p}/follow"),
                Some(json!({"remind": "hour"}))
            )
            .await,
            signed_in(204),
            "follow as {name}"
        );
        assert_eq!(
            call(Method::PUT, format!("{d}/follow"), Some(json!({}))).await,
            signed_in(404),
            "follow a draft as {name}"
        );
        assert_eq!(
            call(Method::DELETE, format!("{p}/follow"), None).await,
            signed_in(204),
            "unfollow as {name}"
        );
        assert_eq!(
            call(Method::GET, d.clone(), None).await,
            if sees_draft { 200 } else { 404 },
            "get draft as {name}"
        );
        assert_eq!(
            call(Method::PATCH, p.clone(), Some(json!({"title": "Probe"}))).await,
            expect(organiser, 200, false),
            "update as {name}"
        );
        assert_eq!(
            call(Method::PATCH, d.clone(), Some(json!({"title": "Probe"}))).await,
            expect(organiser, 200, true),
            "update draft as {name}"
        );
        assert_eq!(
            call(
                Method::PUT,
                format!("{p}/occurrences/20260609T190000"),
                Some(json!({"status": "cancelled"}))
            )
            .await,
            expect(organiser, 200, false),
            "set occurrence as {name}"
        );
        assert_eq!(
            call(
                Method::DELETE,
                format!("{p}/occurrences/20260609T190000"),
                None
            )
            .await,
            if who.is_none() {
                401
            } else if organiser {
                200
            } else {
                403
            },
            "restore occurrence as {name}"
        );
        assert_eq!(
            call(
                Method::POST,
                format!("{p}/unpublish"),
                Some(json!({"reason": "Prüfung"}))
            )
            .await,
            expect(moderator, 200, false),
            "unpublish as {name}"
        );
        assert_eq!(
            call(Method::DELETE, d.clone(), None).await,
            expect(organiser, 204, true),
            "delete draft as {name}"
        );
        let second = id_of(
            &create(&app, &crew.leader, choir(&club, &crew.rieder))
                .await
                .json(),
        );
        assert_eq!(
            call(
                Method::POST,
                format!("/api/v1/events/{second}/cancel"),
                Some(json!({"reason": "Krankheit"}))
            )
            .await,
            expect(organiser, 200, false),
            "cancel as {name}"
        );
        assert_eq!(
            call(
                Method::GET,
                "/api/v1/events/occurrences?from=2026-06-01".into(),
                None
            )
            .await,
            200,
            "calendar as {name}"
        );
        for feed in ["gemeinde.ics", "rieder.ics"] {
            assert_eq!(
                call(Method::GET, format!("/api/v1/calendar/{feed}"), None).await,
                200,
                "{feed} as {name}"
            );
        }
    }
}
