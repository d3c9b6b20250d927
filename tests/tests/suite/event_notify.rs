//! Following an event: a cancellation and a moved date reach everyone who follows it, also
//! those who turned the category `event` off; reminders come a day (or an hour) before each
//! date, and none for a cancelled date. The test clock starts on Tuesday 2026-06-02, 08:00
//! UTC (10:00 in Berlin).

use chrono::Duration;
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Cast, Session, TestApp, id_of, inbox, post_json, put_json, renew, send, settle, spawn_cast,
};

/// Lets time pass (access tokens run out meanwhile: the followers sign in again), then runs
/// the jobs and delivers.
async fn later(app: &TestApp, crew: &mut Cast, by: Duration) {
    app.clock.advance(by);
    renew(app, &mut crew.resident).await;
    renew(app, &mut crew.neighbour).await;
    settle(app).await;
}

async fn follow(app: &TestApp, who: &Session, id: &str, remind: &str) {
    let reply = put_json(
        app,
        &format!("/api/v1/events/{id}/follow"),
        Some(&who.access),
        json!({"remind": remind}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
}

fn titles(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn followers_hear_of_a_cancelled_date_and_of_a_cancellation_whatever_their_categories() {
    let (app, crew) = spawn_cast().await;
    let created = post_json(
        &app,
        "/api/v1/events",
        Some(&crew.leader.access),
        json!({
            "title": "Chorprobe",
            "category": "culture",
            "district_ids": [crew.rieder],
            "start": "2026-06-09T19:00",
            "recurrence": "FREQ=WEEKLY;BYDAY=TU",
        }),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created.json());
    follow(&app, &crew.resident, &id, "none").await;
    // Following again only changes the reminder; a stranger to it hears nothing.
    follow(&app, &crew.resident, &id, "none").await;
    follow(&app, &crew.neighbour, &id, "none").await;
    // The neighbour wants no event news at all, but follows this one.
    let prefs = put_json(
        &app,
        "/api/v1/me/notification-preferences",
        Some(&crew.neighbour.access),
        json!({
            "district_ids": [crew.rieder],
            "news_categories": ["warning"],
            "shop_updates": true,
            "ride_updates": true,
            "quiet_hours": null,
        }),
    )
    .await;
    assert!(prefs.status.is_success(), "{}", prefs.text);

    let cancelled = put_json(
        &app,
        &format!("/api/v1/events/{id}/occurrences/20260616T190000"),
        Some(&crew.leader.access),
        json!({"status": "cancelled", "reason": "Der Saal wird renoviert."}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    settle(&app).await;
    for who in [&crew.resident, &crew.neighbour] {
        let entries = inbox(&app, who).await;
        assert_eq!(titles(&entries), ["Fällt aus: Chorprobe"], "{entries:?}");
        assert_eq!(
            entries[0]["body"],
            "Der Termin am Di. 16.06.2026, 19:00 Uhr fällt aus. Der Saal wird renoviert."
        );
        assert_eq!(entries[0]["data"]["type"], "event");
        assert_eq!(entries[0]["data"]["id"], id.as_str());
    }
    assert!(inbox(&app, &crew.rider).await.is_empty());

    // Unfollowed: not told any more.
    let gone = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{id}/follow"),
        Some(&crew.neighbour.access),
        &[],
        None,
    )
    .await;
    assert_eq!(gone.status, 204);
    post_json(
        &app,
        &format!("/api/v1/events/{id}/cancel"),
        Some(&crew.leader.access),
        json!({"reason": "Der Chor löst sich auf."}),
    )
    .await;
    settle(&app).await;
    let entries = inbox(&app, &crew.resident).await;
    assert_eq!(titles(&entries)[0], "Abgesagt: Chorprobe");
    assert_eq!(entries[0]["body"], "Der Chor löst sich auf.");
    assert_eq!(inbox(&app, &crew.neighbour).await.len(), 1);
}

#[tokio::test]
async fn a_follower_is_reminded_the_day_before_each_date_but_not_of_a_cancelled_one() {
    let (app, mut crew) = spawn_cast().await;
    let created = post_json(
        &app,
        "/api/v1/events",
        Some(&crew.leader.access),
        json!({
            "title": "Skatabend",
            "category": "club",
            "district_ids": [crew.rieder],
            "start": "2026-06-09T19:00",
            "recurrence": "FREQ=WEEKLY;BYDAY=TU",
            "place": "Gasthof Zur Linde",
        }),
    )
    .await;
    let id = id_of(&created.json());
    follow(&app, &crew.resident, &id, "day").await;
    follow(&app, &crew.neighbour, &id, "hour").await;
    // The second Tuesday does not take place.
    put_json(
        &app,
        &format!("/api/v1/events/{id}/occurrences/20260616T190000"),
        Some(&crew.leader.access),
        json!({"status": "cancelled"}),
    )
    .await;
    settle(&app).await;
    let before = inbox(&app, &crew.resident).await.len();

    // Monday 2026-06-08, 19:00 Berlin (17:00 UTC): a day before the first date.
    later(&app, &mut crew, Duration::hours(6 * 24 + 9)).await;
    let entries = inbox(&app, &crew.resident).await;
    assert_eq!(entries.len(), before + 1, "{entries:?}");
    assert_eq!(entries[0]["title"], "Morgen: Skatabend");
    assert_eq!(
        entries[0]["body"],
        "Di. 09.06.2026, 19:00 Uhr, Gasthof Zur Linde"
    );
    // The hour-before follower hears nothing yet; an hour before, they do.
    assert_eq!(inbox(&app, &crew.neighbour).await.len(), 1);
    later(&app, &mut crew, Duration::hours(23)).await;
    let hour = inbox(&app, &crew.neighbour).await;
    assert_eq!(hour[0]["title"], "In einer Stunde: Skatabend");

    // The cancelled Tuesday brings no reminder (a week on: Tuesday 2026-06-16, 18:00 Berlin);
    // the one after it does.
    later(&app, &mut crew, Duration::days(7)).await;
    assert_eq!(inbox(&app, &crew.resident).await.len(), before + 1);
    // Monday 2026-06-22, 19:00 Berlin.
    later(&app, &mut crew, Duration::hours(6 * 24 + 1)).await;
    let entries = inbox(&app, &crew.resident).await;
    assert_eq!(entries.len(), before + 2);
    assert_eq!(
        entries[0]["body"],
        "Di. 23.06.2026, 19:00 Uhr, Gasthof Zur Linde"
    );
}

#[tokio::test]
async fn only_published_events_can_be_followed_and_only_when_signed_in() {
    let (app, crew) = spawn_cast().await;
    let draft = post_json(
        &app,
        "/api/v1/events",
        Some(&crew.leader.access),
        json!({
            "title": "Geheimes Treffen",
            "category": "meeting",
            "district_ids": [crew.rieder],
            "start": "2026-06-09T19:00",
            "draft": true,
        }),
    )
    .await;
    let id = id_of(&draft.json());
    put_json(
        &app,
        &format!("/api/v1/events/{id}/follow"),
        Some(&crew.resident.access),
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    put_json(
        &app,
        &format!("/api/v1/events/{id}/follow"),
        None,
        json!({}),
    )
    .await
    .assert_problem(401, "unauthorized");
    put_json(
        &app,
        &format!("/api/v1/events/{id}/follow"),
        Some(&crew.resident.access),
        json!({"remind": "week"}),
    )
    .await
    .assert_problem(422, "validation_failed");
}
