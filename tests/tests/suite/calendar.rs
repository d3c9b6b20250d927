//! The iCal feeds as a calendar app reads them: read back with an independent parser (the
//! `ical` crate), checked against the rules Google Calendar and Apple Calendar enforce (CRLF,
//! folding at 75 octets, escaping), stable UIDs, `SEQUENCE` rising with a change, `ETag`/304.

use ical::{IcalParser, parser::ical::component::IcalEvent};
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, get_anonymous, id_of, post_json, put_json, send, spawn_cast};

async fn feed(app: &TestApp, file: &str) -> Reply {
    get_anonymous(app, &format!("/api/v1/calendar/{file}")).await
}

fn events_of(ics: &str) -> Vec<IcalEvent> {
    let mut parser = IcalParser::new(ics.as_bytes());
    let calendar = parser
        .next()
        .expect("one calendar")
        .expect("a calendar the parser reads");
    assert!(parser.next().is_none(), "exactly one calendar");
    assert_eq!(calendar.timezones.len(), 1, "one VTIMEZONE");
    calendar.events
}

fn value(event: &IcalEvent, name: &str) -> Option<String> {
    event
        .properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.clone())
}

fn values(event: &IcalEvent, name: &str) -> Vec<String> {
    event
        .properties
        .iter()
        .filter(|p| p.name == name)
        .filter_map(|p| p.value.clone())
        .collect()
}

/// What calendar apps refuse: bare line feeds, lines over 75 octets, folds that split a
/// character, blank lines.
fn lint(ics: &str) {
    assert!(ics.ends_with("\r\n"), "ends with CRLF");
    for line in ics.split("\r\n").take_while(|l| !l.is_empty()) {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line end in {line:?}"
        );
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(!ics.contains("\r\n\r\n"), "no blank lines");
}

fn body(title: &str, district: &str, start: &str, rule: Option<&str>) -> Value {
    json!({
        "title": title,
        "description": "Kuchen; Kaffee, Tanz\nab 14 Uhr – für Groß und Klein, mit Blasmusik aus Badeborn und Rieder",
        "category": "festival",
        "district_ids": [district],
        "start": start,
        "end": null,
        "recurrence": rule,
        "place": "Dorfplatz",
        "location": {"lat": 51.72, "lon": 11.18},
    })
}

#[tokio::test]
async fn a_district_feed_reads_back_as_a_calendar_app_reads_it() {
    let (app, crew) = spawn_cast().await;
    let series = post_json(
        &app,
        "/api/v1/events",
        Some(&crew.leader.access),
        body(
            "Skatabend",
            &crew.rieder,
            "2026-06-02T19:00",
            Some("FREQ=WEEKLY;BYDAY=TU;COUNT=10"),
        ),
    )
    .await;
    assert_eq!(series.status, 201, "{}", series.text);
    let series_id = id_of(&series.json());
    let single = post_json(
        &app,
        "/api/v1/events",
        Some(&crew.leader.access),
        body(
            "Sommerfest am Dorfgemeinschaftshaus mit Tombola und Kinderschminken",
            &crew.rieder,
            "2026-07-04T14:00",
            None,
        ),
    )
    .await;
    let single_id = id_of(&single.json());
    let path = format!("/api/v1/events/{series_id}/occurrences");
    put_json(
        &app,
        &format!("{path}/20260609T190000"),
        Some(&crew.leader.access),
        json!({"status": "cancelled"}),
    )
    .await;
    put_json(
        &app,
        &format!("{path}/20260616T190000"),
        Some(&crew.leader.access),
        json!({"status": "moved", "start": "2026-06-18T19:00"}),
    )
    .await;
    post_json(
        &app,
        &format!("/api/v1/events/{single_id}/cancel"),
        Some(&crew.leader.access),
        json!({"reason": "Unwetter"}),
    )
    .await;
    // Badeborn's own event stays out of Rieder's feed.
    post_json(
        &app,
        "/api/v1/events",
        Some(&crew.far_leader.access),
        body(
            "Feuerwehrfest Badeborn",
            &crew.badeborn,
            "2026-06-13T10:00",
            None,
        ),
    )
    .await;

    let reply = feed(&app, "rieder.ics").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    lint(&reply.text);
    assert!(
        reply
            .text
            .contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n")
    );
    let events = events_of(&reply.text);
    let uid_of = |id: &str| format!("{id}@");
    let masters: Vec<&IcalEvent> = events
        .iter()
        .filter(|e| value(e, "RECURRENCE-ID").is_none())
        .collect();
    assert_eq!(masters.len(), 2, "the series and the single event");
    let master = masters
        .iter()
        .find(|e| value(e, "UID").is_some_and(|u| u.starts_with(&uid_of(&series_id))))
        .expect("the series");
    assert_eq!(
        value(master, "RRULE").as_deref(),
        Some("FREQ=WEEKLY;BYDAY=TU;COUNT=10")
    );
    assert_eq!(value(master, "DTSTART").as_deref(), Some("20260602T190000"));
    assert_eq!(values(master, "EXDATE"), ["20260609T190000"]);
    assert_eq!(value(master, "GEO").as_deref(), Some("51.720000;11.180000"));
    let description = value(master, "DESCRIPTION").expect("description");
    assert!(
        description.starts_with("Kuchen\\; Kaffee\\, Tanz\\nab 14 Uhr – für Groß und Klein"),
        "{description}"
    );
    let moved = events
        .iter()
        .find(|e| value(e, "RECURRENCE-ID").is_some())
        .expect("the moved date");
    assert_eq!(
        value(moved, "RECURRENCE-ID").as_deref(),
        Some("20260616T190000")
    );
    assert_eq!(value(moved, "DTSTART").as_deref(), Some("20260618T190000"));
    assert_eq!(value(moved, "UID"), value(master, "UID"));
    let cancelled = masters
        .iter()
        .find(|e| value(e, "UID").is_some_and(|u| u.starts_with(&uid_of(&single_id))))
        .expect("the single event");
    assert_eq!(value(cancelled, "STATUS").as_deref(), Some("CANCELLED"));
    assert_eq!(
        value(cancelled, "SUMMARY").as_deref(),
        Some("Sommerfest am Dorfgemeinschaftshaus mit Tombola und Kinderschminken")
    );
    assert!(!reply.text.contains("Feuerwehrfest"));
    // The town's feed holds all three; an unknown district or format is 404.
    let town = feed(&app, "gemeinde.ics").await;
    assert_eq!(town.status, 200);
    assert!(town.text.contains("Feuerwehrfest"));
    feed(&app, "nirgendwo.ics")
        .await
        .assert_problem(404, "not_found");
    feed(&app, "rieder.json")
        .await
        .assert_problem(404, "not_found");

    // Asked again: the same bytes, then 304 with the tag.
    let etag = reply.header("etag").expect("etag").to_owned();
    assert_eq!(feed(&app, "rieder.ics").await.text, reply.text);
    let again = send(
        &app,
        Method::GET,
        "/api/v1/calendar/rieder.ics",
        None,
        &[("if-none-match", etag.as_str())],
        None,
    )
    .await;
    assert_eq!(again.status, 304);
    // A change: the tag changes and the event's SEQUENCE rises.
    let sequence_before: u32 = value(master, "SEQUENCE")
        .and_then(|s| s.parse().ok())
        .expect("sequence");
    put_json(
        &app,
        &format!("{path}/20260623T190000"),
        Some(&crew.leader.access),
        json!({"status": "cancelled"}),
    )
    .await;
    let changed = feed(&app, "rieder.ics").await;
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    let events = events_of(&changed.text);
    let master = events
        .iter()
        .find(|e| {
            value(e, "RECURRENCE-ID").is_none()
                && value(e, "UID").is_some_and(|u| u.starts_with(&uid_of(&series_id)))
        })
        .expect("the series");
    let sequence_after: u32 = value(master, "SEQUENCE")
        .and_then(|s| s.parse().ok())
        .expect("sequence");
    assert!(sequence_after > sequence_before);
    assert_eq!(
        values(master, "EXDATE"),
        ["20260609T190000,20260623T190000"]
    );
}

/// A rendered feed is kept while nothing it is made of changes: a Verein's new name, a news
/// item's event adopted by the job, and a deleted draft (which never showed) each show or
/// not as they should on the very next request; nothing changed gives the kept bytes.
#[tokio::test]
async fn a_kept_feed_follows_every_change_it_is_made_of() {
    let (app, crew) = spawn_cast().await;
    let (club, editor) = crate::events::club_with_editor(&app, &crew, "Heimatverein Rieder").await;
    let mut event = body("Backofenfest", &crew.rieder, "2026-06-13T14:00", None);
    event["organisation_id"] = json!(club);
    let created = post_json(&app, "/api/v1/events", Some(&editor.access), event).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let first = feed(&app, "rieder.ics").await;
    assert!(first.text.contains("Heimatverein Rieder"), "{}", first.text);
    assert_eq!(feed(&app, "rieder.ics").await.text, first.text);

    // The Verein renames itself: the feed names it so at once.
    let organisation = get_anonymous(&app, &format!("/api/v1/organisations/{club}")).await;
    let etag = organisation.header("etag").expect("etag").to_owned();
    let renamed = send(
        &app,
        Method::PATCH,
        &format!("/api/v1/organisations/{club}"),
        Some(&crew.leader.access),
        &[("if-match", etag.as_str())],
        Some(&json!({"name": "Heimat- und Backofenverein Rieder"})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let second = feed(&app, "rieder.ics").await;
    assert!(
        second.text.contains("Heimat- und Backofenverein Rieder"),
        "{}",
        second.text
    );

    // A news item with an event goes live; the job adopts it; the feed has it.
    crate::support::publish(
        &app,
        &crew.leader,
        json!({
            "title": "Laternenumzug",
            "body": "Treffpunkt an der Kirche.",
            "category": "event",
            "district_ids": [crew.rieder],
            "event": {"starts_at": "2026-06-20T18:00:00Z"},
        }),
    )
    .await;
    crate::support::settle(&app).await;
    let third = feed(&app, "rieder.ics").await;
    assert!(
        third.text.contains("SUMMARY:Laternenumzug"),
        "{}",
        third.text
    );

    // A draft written and deleted: the feed stays as it was.
    let mut draft = body("Entwurf", &crew.rieder, "2026-06-27T14:00", None);
    draft["draft"] = json!(true);
    let draft = post_json(&app, "/api/v1/events", Some(&crew.leader.access), draft).await;
    assert_eq!(draft.status, 201, "{}", draft.text);
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/events/{}", id_of(&draft.json())),
        Some(&crew.leader.access),
        &[],
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let fourth = feed(&app, "rieder.ics").await;
    assert!(!fourth.text.contains("Entwurf"));
    assert_eq!(fourth.header("etag"), third.header("etag"));
}
