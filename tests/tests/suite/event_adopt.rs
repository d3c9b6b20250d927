//! News items written with an `event` before events were their own resource become events:
//! at start-up for what is published, and when a later item goes live, without losing a word
//! of their text, their time, place or districts; adopting twice changes nothing. The test
//! clock starts on Tuesday 2026-06-02, 08:00 UTC; the municipality is in Europe/Berlin.

use chrono::{DateTime, Duration, Utc};
use entity::{news_item, vocab::NewsCategory, vocab::NewsStatus};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, assert_invalid_field, get_anonymous, post_json, publish, settle, spawn_cast,
};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("instant")
        .with_timezone(&Utc)
}

/// A news item as the old API stored it, written straight into the table.
async fn legacy(
    app: &TestApp,
    title: &str,
    body: &str,
    status: NewsStatus,
    districts: &[&str],
    event: (&str, Option<&str>, Option<&str>),
) -> Uuid {
    let now = app.state.clock.now();
    let id = Uuid::now_v7();
    news_item::ActiveModel {
        id: Set(id),
        title: Set(title.into()),
        body: Set(body.into()),
        category: Set(NewsCategory::Event),
        status: Set(status),
        district_ids: Set(json!(districts).to_string()),
        publish_at: Set(None),
        published_at: Set((status == NewsStatus::Published).then_some(now)),
        expires_at: Set(None),
        pinned: Set(false),
        notify: Set(false),
        event_starts_at: Set(Some(at(event.0))),
        event_ends_at: Set(event.1.map(at)),
        event_location: Set(event.2.map(Into::into)),
        author_id: Set(None),
        organisation_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.state.db)
    .await
    .expect("legacy item");
    id
}

/// The calendar's events (whole town, the summer), by title.
async fn events_by_title(app: &TestApp) -> Vec<Value> {
    let page = get_anonymous(
        app,
        "/api/v1/events/occurrences?from=2026-06-01&to=2026-12-31&limit=100",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let mut events = Vec::new();
    for occurrence in page.json()["items"].as_array().expect("items") {
        let id = occurrence["event_id"].as_str().expect("id");
        let event = get_anonymous(app, &format!("/api/v1/events/{id}")).await;
        assert_eq!(event.status, 200, "{}", event.text);
        events.push(event.json());
    }
    events
}

#[tokio::test]
async fn news_items_with_an_event_become_events_without_losing_a_word() {
    let (app, crew) = spawn_cast().await;
    let long_body = format!(
        "Grüße vom Heimatverein – „Kuchen“ & ß.\n{}",
        "x".repeat(19_961)
    );
    assert_eq!(long_body.chars().count(), 20_000);
    legacy(
        &app,
        "Sommerfest in Rieder & Badeborn",
        &long_body,
        NewsStatus::Published,
        &[&crew.rieder, &crew.badeborn],
        // 14:00–20:00 in Berlin (summer time).
        (
            "2026-06-20T12:00:00Z",
            Some("2026-06-20T18:00:00Z"),
            Some("Festwiese am Sportplatz"),
        ),
    )
    .await;
    legacy(
        &app,
        "Laternenumzug",
        "Treffpunkt an der Kirche.",
        NewsStatus::Published,
        &[],
        // 17:00 in Berlin (winter time), no end, no place.
        ("2026-11-11T16:00:00Z", None, None),
    )
    .await;
    legacy(
        &app,
        "Kirmes",
        "Drei Wochen Rummel.",
        NewsStatus::Published,
        &[&crew.rieder],
        (
            "2026-08-01T08:00:00Z",
            Some("2026-08-22T20:00:00Z"),
            Some("Anger"),
        ),
    )
    .await;
    legacy(
        &app,
        "Entwurf mit Termin",
        "Noch nicht veröffentlicht.",
        NewsStatus::Draft,
        &[&crew.rieder],
        ("2026-07-01T12:00:00Z", None, None),
    )
    .await;

    let adopt = || {
        domain::events::adopt::adopt_news_events(
            &app.state.db,
            &app.state.clock,
            app.state.time_zone,
        )
    };
    assert_eq!(adopt().await.expect("adopt"), 3);
    // Again: nothing new.
    assert_eq!(adopt().await.expect("adopt again"), 0);

    let events = events_by_title(&app).await;
    let titles: Vec<&str> = events.iter().filter_map(|e| e["title"].as_str()).collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(!titles.contains(&"Entwurf mit Termin"), "{titles:?}");
    let find = |title: &str| {
        events
            .iter()
            .find(|e| e["title"] == title)
            .unwrap_or_else(|| panic!("{title} in {titles:?}"))
    };
    let fest = find("Sommerfest in Rieder & Badeborn");
    assert_eq!(fest["description"], long_body.as_str());
    assert_eq!(fest["start"], "2026-06-20T14:00:00");
    assert_eq!(fest["end"], "2026-06-20T20:00:00");
    assert_eq!(fest["place"], "Festwiese am Sportplatz");
    let mut districts = vec![crew.rieder.clone(), crew.badeborn.clone()];
    districts.sort();
    assert_eq!(fest["district_ids"], json!(districts));
    assert_eq!(fest["publication"], "published");
    let lantern = find("Laternenumzug");
    assert_eq!(lantern["start"], "2026-11-11T17:00:00");
    assert!(lantern["end"].is_null() && lantern["place"].is_null());
    assert_eq!(lantern["district_ids"], json!([]));
    // Longer than an event may last: the end is kept in words.
    let fair = find("Kirmes");
    assert!(fair["end"].is_null());
    assert!(
        fair["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Drei Wochen Rummel.")
                && d.contains("Bis Sa. 22.08.2026, 22:00 Uhr")),
        "{fair}"
    );
    // The district's iCal feed has it too.
    let feed = get_anonymous(&app, "/api/v1/calendar/rieder.ics").await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    assert!(
        feed.text
            .contains("SUMMARY:Sommerfest in Rieder & Badeborn"),
        "{}",
        feed.text
    );
}

#[tokio::test]
async fn a_news_item_with_an_event_that_goes_live_now_reaches_the_calendar() {
    let (app, crew) = spawn_cast().await;
    let starts = at("2026-07-04T13:00:00Z");
    publish(
        &app,
        &crew.leader,
        json!({
            "title": "Dorfputz",
            "body": "Handschuhe werden gestellt.",
            "category": "event",
            "district_ids": [crew.rieder],
            "event": {
                "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + Duration::hours(3)).to_rfc3339(),
                "location": "Feuerwehrhaus",
            },
        }),
    )
    .await;
    settle(&app).await;
    let page = get_anonymous(
        &app,
        &format!(
            "/api/v1/events/occurrences?district_id={}&from=2026-07-01&to=2026-07-31",
            crew.rieder
        ),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let items = page.json()["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    assert_eq!(items[0]["title"], "Dorfputz");
    assert_eq!(items[0]["start"], "2026-07-04T15:00:00");
    assert_eq!(items[0]["place"], "Feuerwehrhaus");
    // The job ran once; running the jobs again adopts nothing twice.
    settle(&app).await;
    let again = get_anonymous(
        &app,
        &format!(
            "/api/v1/events/occurrences?district_id={}&from=2026-07-01&to=2026-07-31",
            crew.rieder
        ),
    )
    .await;
    assert_eq!(again.json()["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_event_names_the_news_item_that_announces_it_once() {
    let (app, crew) = spawn_cast().await;
    let item = publish(
        &app,
        &crew.leader,
        json!({
            "title": "Einladung zum Dorffest",
            "body": "Am Samstag feiern wir.",
            "category": "news",
            "district_ids": [crew.rieder],
        }),
    )
    .await;
    let news_id = item["id"].as_str().expect("id").to_owned();
    let event = |news_id: &str| {
        json!({
            "title": "Dorffest",
            "category": "festival",
            "district_ids": [crew.rieder],
            "start": "2026-06-20T14:00",
            "news_id": news_id,
        })
    };
    let create = |body: Value| post_json(&app, "/api/v1/events", Some(&crew.leader.access), body);
    let created = create(event(&news_id)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let read = get_anonymous(&app, &format!("/api/v1/events/{id}")).await;
    assert_eq!(read.json()["news_id"], news_id.as_str());
    // One event per item: a second is refused, naming the field.
    let second = create(event(&news_id)).await;
    assert_invalid_field(&second, "news_id");
    // An item that does not exist.
    let unknown = create(event(&Uuid::now_v7().to_string())).await;
    assert_invalid_field(&unknown, "news_id");
    // An event without a link says so.
    let plain = create(json!({
        "title": "Skatabend",
        "category": "club",
        "district_ids": [crew.rieder],
        "start": "2026-06-12T19:00",
    }))
    .await;
    assert_eq!(plain.status, 201, "{}", plain.text);
    assert!(plain.json()["news_id"].is_null());
}
