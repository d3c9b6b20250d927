//! A ride to an event: the booking names the event, its place and start fill in the
//! destination and the appointment, and the organisers see how many rides go to it — a count
//! only, and none below three (a count of one could single out an older person's trip).
//! The test clock starts on Tuesday 2026-06-02, 08:00 UTC; the festival is on Saturday
//! 2026-06-20, 14:00–20:00 in Berlin (12:00–18:00Z).

use poem::http::Method;
use serde_json::{Value, json};

use crate::events::club_with_editor;
use crate::support::{
    Session, TestApp, assert_invalid_field, book, book_reply, get_as, id_of, post_json, ride, send,
    spawn_cast,
};

fn festival(club: &str, district: &str, place: Option<&str>) -> Value {
    json!({
        "title": "Sommerfest",
        "category": "festival",
        "organisation_id": club,
        "district_ids": [district],
        "start": "2026-06-20T14:00",
        "end": "2026-06-20T20:00",
        "place": place,
    })
}

/// A booking to the event, picked up at 13:30 local, without a destination of its own.
fn to_event(district: &str, event: &str) -> Value {
    let mut body = ride(district, 0);
    body["pickup_at"] = json!("2026-06-20T11:30:00Z");
    body["purpose"] = json!("social");
    body["event_id"] = json!(event);
    body.as_object_mut().map(|o| o.remove("destination"));
    body
}

async fn count(app: &TestApp, who: &Session, event: &str) -> Value {
    let reply = get_as(app, &format!("/api/v1/events/{event}/rides"), &who.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

#[tokio::test]
async fn a_ride_to_an_event_takes_its_place_and_time_and_the_organisers_see_a_count_only() {
    let (app, crew) = spawn_cast().await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let event = post_json(
        &app,
        "/api/v1/events",
        Some(&editor.access),
        festival(&club, &crew.rieder, Some("Festwiese am Sportplatz")),
    )
    .await;
    assert_eq!(event.status, 201, "{}", event.text);
    let event = id_of(&event.json());

    let booked = book(&app, &crew.rider, &to_event(&crew.rieder, &event)).await;
    assert_eq!(booked["destination"], "Festwiese am Sportplatz");
    assert_eq!(booked["appointment_at"], "2026-06-20T12:00:00Z");
    assert_eq!(booked["event_id"], event.as_str());
    // A destination of one's own stays (the side entrance, say).
    let mut own = to_event(&crew.rieder, &event);
    own["destination"] = json!("Festwiese, Eingang Mühlweg");
    own["rider_name"] = json!("Erna Krüger");
    let desk = book(&app, &crew.dispatcher, &own).await;
    assert_eq!(desk["destination"], "Festwiese, Eingang Mühlweg");

    // Two rides: too few to show.
    let small = count(&app, &editor, &event).await;
    assert_eq!(small["booked"], 0);
    assert_eq!(small["small_counts_suppressed"], true);
    let mut third = to_event(&crew.rieder, &event);
    third["rider_name"] = json!("Karl Busch");
    book(&app, &crew.dispatcher, &third).await;
    let shown = count(&app, &crew.leader, &event).await;
    assert_eq!(shown["booked"], 3);
    assert_eq!(shown["small_counts_suppressed"], false);
    // A count, nothing about who.
    let text = get_as(
        &app,
        &format!("/api/v1/events/{event}/rides"),
        &editor.access,
    )
    .await
    .text;
    assert!(
        !text.contains("Erna") && !text.contains(&crew.rider.user_id),
        "{text}"
    );
    // A cancelled ride no longer counts.
    let cancelled = post_json(
        &app,
        &format!("/api/v1/rides/{}/cancel", id_of(&booked)),
        Some(&crew.rider.access),
        json!({"reason": "Enkel fährt mich"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(count(&app, &editor, &event).await["booked"], 0);

    // Who may count: those who may change the event.
    for (who, status) in [
        (&crew.resident, 403),
        (&crew.rider, 403),
        (&crew.far_leader, 403),
        (&crew.dispatcher, 403),
        (&crew.admin, 200),
    ] {
        let reply = get_as(&app, &format!("/api/v1/events/{event}/rides"), &who.access).await;
        assert_eq!(reply.status, status, "{}", reply.text);
    }
    let anonymous = send(
        &app,
        Method::GET,
        &format!("/api/v1/events/{event}/rides"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn a_ride_to_an_event_that_does_not_fit_gets_a_clear_answer() {
    let (app, crew) = spawn_cast().await;
    let (club, editor) = club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let create = |body: Value| {
        let (app, token) = (&app, editor.access.clone());
        async move {
            let reply = post_json(app, "/api/v1/events", Some(&token), body).await;
            assert_eq!(reply.status, 201, "{}", reply.text);
            id_of(&reply.json())
        }
    };
    let placeless = create(festival(&club, &crew.rieder, None)).await;
    let festival_id = create(festival(&club, &crew.rieder, Some("Festwiese"))).await;
    let mut draft = festival(&club, &crew.rieder, Some("Festwiese"));
    draft["draft"] = json!(true);
    let draft = create(draft).await;

    // No place to take: the destination must be given.
    let reply = book_reply(&app, &crew.rider, &to_event(&crew.rieder, &placeless)).await;
    assert_invalid_field(&reply, "destination");
    // Unknown, or a draft the rider cannot see.
    for event in [uuid::Uuid::now_v7().to_string(), draft] {
        let reply = book_reply(&app, &crew.rider, &to_event(&crew.rieder, &event)).await;
        assert_invalid_field(&reply, "event_id");
    }
    // A pickup a week before the festival is not a ride to it.
    let mut early = to_event(&crew.rieder, &festival_id);
    early["pickup_at"] = json!("2026-06-13T11:30:00Z");
    let reply = book_reply(&app, &crew.rider, &early).await;
    assert_invalid_field(&reply, "pickup_at");
    // A cancelled festival takes no more rides.
    let cancelled = post_json(
        &app,
        &format!("/api/v1/events/{festival_id}/cancel"),
        Some(&editor.access),
        json!({"reason": "Unwetter"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let reply = book_reply(&app, &crew.rider, &to_event(&crew.rieder, &festival_id)).await;
    assert_invalid_field(&reply, "event_id");
}
