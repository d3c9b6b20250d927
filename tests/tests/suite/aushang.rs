//! The printed Aushang (`getAushang`): a district's week on paper for the people the app does
//! not reach. What goes on the sheet (only what the public sees for the district, in order),
//! the PDF the server answers with (its name, its `ETag` and 304, the same bytes for the same
//! data whoever asks and whenever), the `week` it refuses, and, with `DORFAPP_TEST_POPPLER=1`,
//! the PDF read back as a reader sees it: text, fonts, page size and count, ink.

use ::aushang::poppler;
use chrono::{DateTime, Duration, Utc};
use domain::aushang::SheetSettings;
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    Cast, PASSWORD, Session, TestApp, assert_documented, assert_invalid_field, district_id,
    get_anonymous, id_of, post_json, publish, put_json, register, spawn_with_admin_and,
    unique_email,
};

const DESK_PHONE: &str = "039483 1234";
const WARNING: &str = "Straßensperrung in Großörner – „Bitte beachten“";

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("timestamp")
        .to_utc()
}

fn path(district: &str, query: &str) -> String {
    format!("/api/v1/districts/{district}/aushang.pdf{query}")
}

/// An answer with its bytes (a PDF is no text), checked against the published document.
struct Pdf {
    status: StatusCode,
    headers: poem::http::HeaderMap,
    bytes: Vec<u8>,
}

impl Pdf {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn etag(&self) -> &str {
        self.header("etag").expect("an ETag")
    }
}

async fn fetch(
    app: &TestApp,
    path: &str,
    who: Option<&Session>,
    if_none_match: Option<&str>,
) -> Pdf {
    let mut request = app.client.get(path);
    if let Some(who) = who {
        request = request.header("Authorization", format!("Bearer {}", who.access));
    }
    if let Some(tag) = if_none_match {
        request = request.header("If-None-Match", tag);
    }
    let response = request.send().await.0;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().into_vec().await.expect("a body");
    assert_documented(&Method::GET, path, status, &String::from_utf8_lossy(&bytes));
    Pdf {
        status,
        headers,
        bytes,
    }
}

/// The sheet as `domain::aushang` fills it for the server's settings.
async fn sheet(app: &TestApp, district: &str, week: &str) -> ::aushang::Sheet {
    let public_url = app.state.settings.public_url();
    domain::aushang::week(
        &app.state.db,
        &app.state.clock,
        app.state.time_zone,
        district.parse().expect("a district id"),
        Some(week),
        SheetSettings {
            public_url: &public_url,
            ride_desk_phone: app.state.settings.ride_desk_phone.as_deref(),
        },
    )
    .await
    .expect("the sheet")
    .sheet
}

fn headings(sheet: &::aushang::Sheet) -> Vec<&str> {
    sheet
        .sections
        .iter()
        .filter(|s| !s.items.is_empty())
        .map(|s| s.heading.as_str())
        .collect()
}

fn section<'a>(sheet: &'a ::aushang::Sheet, heading: &str) -> &'a ::aushang::Section {
    sheet
        .sections
        .iter()
        .find(|s| s.heading == heading)
        .unwrap_or_else(|| panic!("no section {heading}: {sheet:#?}"))
}

fn titles(section: &::aushang::Section) -> Vec<&str> {
    section.items.iter().map(|i| i.title.as_str()).collect()
}

/// An app whose server knows its public address and the ride desk's number.
async fn spawn() -> TestApp {
    spawn_with_admin_and(|s| {
        s.public_url = Some("https://dorf.example".into());
        s.ride_desk_phone = Some(DESK_PHONE.into());
        s.quota_news_per_author_per_hour = 1_000;
        s.quota_events_per_author_per_hour = 1_000;
    })
    .await
}

fn news(title: &str, body: &str, districts: &[&str]) -> Value {
    json!({"title": title, "body": body, "category": "news", "district_ids": districts})
}

async fn event(app: &TestApp, who: &Session, body: Value) {
    let reply = post_json(app, "/api/v1/events", Some(&who.access), body.clone()).await;
    assert_eq!(reply.status, 201, "event {body}: {}", reply.text);
}

async fn put(app: &TestApp, who: &Session, path: &str, body: Value) {
    let reply = put_json(app, path, Some(&who.access), body.clone()).await;
    assert_eq!(reply.status, 200, "{path} {body}: {}", reply.text);
}

/// A concern in Rieder, published and answered; and one answered but private.
async fn answered_anliegen(app: &TestApp, crew: &Cast) {
    let mut ids = Vec::new();
    for title in [
        "Schlagloch in der Lindenstraße",
        "Mein Nachbar parkt falsch",
    ] {
        let filed = post_json(
            app,
            "/api/v1/anliegen",
            Some(&crew.resident.access),
            json!({"kind": "defect", "title": title, "description": "Bitte ansehen.",
                   "district_id": crew.rieder}),
        )
        .await;
        assert_eq!(filed.status, 201, "{}", filed.text);
        ids.push(id_of(&filed.json()));
    }
    step(
        app,
        crew,
        &ids[0],
        "in_review",
        "Danke, wir schauen uns das an.",
    )
    .await;
    let published = post_json(
        app,
        &format!("/api/v1/anliegen/{}/publish", ids[0]),
        Some(&crew.leader.access),
        json!({"title": "Schlagloch in der Lindenstraße", "description": "Ein tiefes Loch.",
               "place": "Lindenstraße 12", "show_location": false}),
    )
    .await;
    assert_eq!(published.status, 200, "{}", published.text);
    app.clock.advance(Duration::minutes(1));
    step(app, crew, &ids[0], "done", "Das Loch ist geflickt.").await;
    step(app, crew, &ids[1], "in_review", "Wir sprechen mit ihm.").await;
}

/// A step of an Anliegen by Rieder's leader, with its public answer.
async fn step(app: &TestApp, crew: &Cast, id: &str, to: &str, answer: &str) {
    let reply = post_json(
        app,
        &format!("/api/v1/anliegen/{id}/transitions"),
        Some(&crew.leader.access),
        json!({"to": to, "answer": answer}),
    )
    .await;
    assert_eq!(reply.status, 200, "{to}: {}", reply.text);
}

/// Rieder's week 49 of 2026, and what must not be on its sheet. The clock ends on Tuesday
/// 1 December 2026, 09:00 in Ballenstedt.
async fn rieder_week(app: &TestApp) -> Cast {
    // A fortnight before: a pinned item (on the sheet), an old one and a warning that has
    // expired (not on it).
    app.clock.set(at("2026-11-20T09:00:00Z"));
    let mut crew = Cast::new(app).await;
    let pinned = json!({"pinned": true, "title": "Sprechstunde des Ortsbürgermeisters",
        "body": "Jeden Donnerstag 17–18 Uhr im Gemeindeamt.", "category": "announcement",
        "district_ids": [crew.rieder]});
    publish(app, &crew.leader, pinned).await;
    let old = news(
        "Laternenumzug war ein Erfolg",
        "Danke allen!",
        &[&crew.rieder],
    );
    publish(app, &crew.leader, old).await;
    let gone = json!({"title": "Sturmwarnung", "body": "Vorbei.", "category": "warning",
        "district_ids": [crew.rieder], "expires_at": "2026-11-25T00:00:00Z"});
    publish(app, &crew.leader, gone).await;

    app.clock.set(at("2026-12-01T08:00:00Z"));
    crew.renew(app).await;
    let warning = json!({"title": WARNING, "category": "warning", "district_ids": [crew.rieder],
        "body": "Die **Hauptstraße** ist gesperrt,\nUmleitung über den [Mühlenweg](https://example.org/karte).\n\nMehr im Gemeindeblatt.",
        "expires_at": "2026-12-09T17:00:00Z"});
    publish(app, &crew.leader, warning).await;
    app.clock.advance(Duration::minutes(1));
    let market = news(
        "Weihnachtsmarkt am Dorfgemeinschaftshaus",
        "Am Samstag ab 14 Uhr: Glühwein, Waffeln und der Posaunenchor.\n\nDer Erlös geht an die Jugendfeuerwehr.",
        &[&crew.rieder],
    );
    publish(app, &crew.leader, market).await;
    app.clock.advance(Duration::minutes(1));
    let town = news(
        "Müllabfuhr verschoben",
        "Wegen des Feiertags einen Tag später.",
        &[],
    );
    publish(app, &crew.admin, town).await;
    // Not Rieder's, not yet public, not public at all.
    let badeborn = news("Badeborner Kirmes", "Im Festzelt.", &[&crew.badeborn]);
    publish(app, &crew.far_leader, badeborn).await;
    let mut scheduled = news("Geplante Nachricht", "Noch nicht.", &[&crew.rieder]);
    scheduled["publish_at"] = json!("2026-12-03T08:00:00Z");
    publish(app, &crew.leader, scheduled).await;
    let mut draft = news("Entwurf", "Noch nicht.", &[&crew.rieder]);
    draft["draft"] = json!(true);
    publish(app, &crew.leader, draft).await;

    let meeting = json!({"title": "Gemeinderatssitzung", "category": "meeting",
        "district_ids": [crew.rieder], "start": "2026-12-02T19:00", "end": "2026-12-02T21:00",
        "place": "Gemeindeamt"});
    event(app, &crew.leader, meeting).await;
    let coffee = json!({"title": "Seniorenkaffee", "category": "seniors",
        "district_ids": [crew.rieder], "start": "2026-12-03T15:00", "end": "2026-12-03T17:00",
        "recurrence": "FREQ=WEEKLY;BYDAY=TH", "place": "Pfarrhaus"});
    event(app, &crew.leader, coffee).await;
    let elsewhere = json!({"title": "Kirmes", "category": "festival",
        "district_ids": [crew.badeborn], "start": "2026-12-05T14:00"});
    event(app, &crew.far_leader, elsewhere).await;

    let shop = format!("/api/v1/shops/{}", crew.shop);
    let mut hours = Vec::new();
    for weekday in 1..=5 {
        hours.push(json!({"weekday": weekday, "opens": "08:00", "closes": "12:00"}));
        hours.push(json!({"weekday": weekday, "opens": "15:00", "closes": "18:00"}));
    }
    hours.push(json!({"weekday": 6, "opens": "08:00", "closes": "11:00"}));
    put(
        app,
        &crew.operator,
        &format!("{shop}/opening-hours"),
        json!(hours),
    )
    .await;
    let closed = json!([{"date": "2026-12-03", "closed": true, "note": "Betriebsausflug"}]);
    put(app, &crew.operator, &format!("{shop}/special-days"), closed).await;
    let geese = json!({"kind": "offer", "title": "Weihnachtsgänse",
        "body": "Bitte bis 15.12. bestellen: 12,90 € je kg."});
    let notice = post_json(
        app,
        &format!("{shop}/notices"),
        Some(&crew.operator.access),
        geese,
    )
    .await;
    assert_eq!(notice.status, 201, "{}", notice.text);

    answered_anliegen(app, &crew).await;
    app.clock
        .set(at("2026-12-01T08:00:00Z") + Duration::hours(1));
    crew
}

#[tokio::test]
async fn the_sheet_shows_the_districts_public_week_in_order() {
    let app = spawn().await;
    let crew = rieder_week(&app).await;
    let sheet = sheet(&app, &crew.rieder, "2026-W49").await;

    assert_eq!(sheet.title, "Rieder – Aushang Woche 49");
    assert_eq!(sheet.subtitle, "30.11.–06.12.2026");
    assert_eq!(
        headings(&sheet),
        [
            "Warnungen",
            "Nachrichten",
            "Termine",
            "Dorfladen",
            "Fahrdienst",
            "Anliegen: Antworten"
        ]
    );
    let warnings = section(&sheet, "Warnungen");
    assert!(warnings.framed);
    assert_eq!(titles(warnings), [WARNING]);
    assert_eq!(
        warnings.items[0].lines,
        [
            "Die Hauptstraße ist gesperrt, Umleitung über den Mühlenweg.",
            "Gilt bis Mi 09.12., 18:00 Uhr."
        ]
    );
    // Newest first; the pinned item although older; no old, expired, scheduled, draft or
    // Badeborn item.
    let news = section(&sheet, "Nachrichten");
    assert_eq!(
        titles(news),
        [
            "Müllabfuhr verschoben",
            "Weihnachtsmarkt am Dorfgemeinschaftshaus",
            "Sprechstunde des Ortsbürgermeisters"
        ]
    );
    // The first paragraph of the text.
    assert_eq!(
        news.items[1].lines,
        ["Am Samstag ab 14 Uhr: Glühwein, Waffeln und der Posaunenchor."]
    );

    let events = section(&sheet, "Termine");
    assert_eq!(
        titles(events),
        [
            "Mi 02.12. · 19:00–21:00",
            "Do 03.12. · 15:00–17:00",
            "Do 10.12. · 15:00–17:00"
        ]
    );
    assert_eq!(events.items[0].lines, ["Gemeinderatssitzung, Gemeindeamt"]);
    assert_eq!(events.items[2].lines, ["Seniorenkaffee, Pfarrhaus"]);

    let shop = &section(&sheet, "Dorfladen").items;
    assert_eq!(shop.len(), 1, "only Rieder's shop");
    assert_eq!(
        shop[0].lines,
        [
            "Mo–Mi 8–12 und 15–18 · Do 03.12. geschlossen (Betriebsausflug) · Fr 8–12 und 15–18 · Sa 8–11",
            "Weihnachtsgänse: Bitte bis 15.12. bestellen: 12,90 € je kg."
        ]
    );

    let ride = section(&sheet, "Fahrdienst");
    assert!(ride.keep, "never trimmed");
    assert_eq!(titles(ride), ["Fahrt bestellen: 039483 1234"]);

    let answers = section(&sheet, "Anliegen: Antworten");
    assert_eq!(titles(answers), ["Schlagloch in der Lindenstraße"]);
    assert_eq!(
        answers.items[0].lines,
        ["Erledigt (01.12.): Das Loch ist geflickt."]
    );

    // The newest change shown, not the time of printing.
    assert_eq!(sheet.footer, "Stand 01.12.2026 · dorf.example");
    assert_eq!(
        sheet.overflow_note,
        "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt"
    );
    // A full week: two pages, nothing dropped. The week after is quieter: one page.
    let layout = ::aushang::layout::layout(&sheet).expect("laid out");
    assert_eq!((layout.pages.len(), layout.dropped_items), (2, 0));
    let next = self::sheet(&app, &crew.rieder, "2026-W50").await;
    assert_eq!(
        titles(section(&next, "Termine")),
        ["Do 10.12. · 15:00–17:00", "Do 17.12. · 15:00–17:00"]
    );
    assert_eq!(titles(section(&next, "Warnungen")), [WARNING]);
    assert_eq!(
        titles(section(&next, "Nachrichten")),
        ["Sprechstunde des Ortsbürgermeisters"]
    );
    let layout = ::aushang::layout::layout(&next).expect("laid out");
    assert_eq!((layout.pages.len(), layout.dropped_items), (1, 0));

    // Badeborn's sheet has Badeborn's and the town's items, none of Rieder's.
    let badeborn = sheet_titles(&self::sheet(&app, &crew.badeborn, "2026-W49").await);
    assert!(
        badeborn.contains(&"Badeborner Kirmes".to_owned()),
        "{badeborn:?}"
    );
    assert!(
        badeborn.contains(&"Müllabfuhr verschoben".to_owned()),
        "{badeborn:?}"
    );
    assert!(!badeborn.contains(&WARNING.to_owned()), "{badeborn:?}");
}

fn sheet_titles(sheet: &::aushang::Sheet) -> Vec<String> {
    sheet
        .sections
        .iter()
        .flat_map(|s| s.items.iter())
        .flat_map(|i| std::iter::once(i.title.clone()).chain(i.lines.iter().cloned()))
        .collect()
}

#[tokio::test]
async fn the_pdf_is_the_same_for_everyone_and_304_while_unchanged() {
    let app = spawn().await;
    let crew = rieder_week(&app).await;
    let week49 = path(&crew.rieder, "?week=2026-W49");

    let first = fetch(&app, &week49, None, None).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/pdf"));
    assert_eq!(
        first.header("content-disposition"),
        Some("inline; filename=\"aushang-rieder-2026-W49.pdf\"")
    );
    assert_eq!(first.header("cache-control"), Some("public, max-age=300"));
    assert!(first.bytes.starts_with(b"%PDF-"));
    let etag = first.etag().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong tag: {etag}"
    );
    let quiet = fetch(&app, &path(&crew.rieder, "?week=2026-W50"), None, None).await;
    assert_eq!(quiet.status, 200);
    assert_ne!(quiet.etag(), etag);

    // The current week is the default.
    let current = fetch(&app, &path(&crew.rieder, ""), None, None).await;
    assert_eq!(
        (current.status, current.etag()),
        (StatusCode::OK, etag.as_str())
    );

    let unchanged = fetch(&app, &week49, None, Some(&etag)).await;
    assert_eq!(unchanged.status, 304);
    assert_eq!(unchanged.etag(), etag);
    assert!(unchanged.bytes.is_empty());

    // No clock on the sheet: hours later, the same bytes.
    app.clock.advance(Duration::hours(3));
    let later = fetch(&app, &week49, None, None).await;
    assert_eq!(later.etag(), etag);
    assert_eq!(later.bytes, first.bytes);

    // Everyone may print it, and gets the same sheet: it is public, nothing personal.
    let mut crew = crew;
    crew.renew(&app).await;
    for (role, who) in [
        ("anonymous", None),
        ("resident", Some(&crew.resident)),
        ("driver", Some(&crew.driver)),
        ("leader", Some(&crew.leader)),
        ("far leader", Some(&crew.far_leader)),
        ("dispatcher", Some(&crew.dispatcher)),
        ("operator", Some(&crew.operator)),
        ("admin", Some(&crew.admin)),
    ] {
        let reply = fetch(&app, &week49, who, None).await;
        assert_eq!(reply.status, 200, "{role}");
        assert_eq!(reply.etag(), etag, "{role}");
    }

    // A change to what is shown gives another sheet.
    let more = news(
        "Adventssingen",
        "Am Sonntag in der Kirche.",
        &[&crew.rieder],
    );
    publish(&app, &crew.leader, more).await;
    let changed = fetch(&app, &week49, None, Some(&etag)).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.etag(), etag);

    let Some(quiet) = read_back("rieder-2026-W50", &quiet.bytes, 1, 50) else {
        return;
    };
    poppler::assert_in_order(
        &quiet,
        &[
            "Rieder – Aushang Woche 50",
            "07.12.–13.12.2026",
            WARNING,
            "Sprechstunde des Ortsbürgermeisters",
            "Do 10.12. · 15:00–17:00",
            "Mo–Fr 8–12 und 15–18 · Sa 8–11",
            "Fahrt bestellen: 039483 1234",
            "Seite 1 von 1 · Stand 01.12.2026 · dorf.example",
        ],
    );
    // A full week needs two pages; nothing is dropped.
    let text = read_back("rieder-2026-W49", &first.bytes, 2, 49).expect("read back");
    poppler::assert_in_order(
        &text,
        &[
            "Rieder – Aushang Woche 49",
            "30.11.–06.12.2026",
            "Warnungen",
            WARNING,
            "Gilt bis Mi 09.12., 18:00 Uhr.",
            "Nachrichten",
            "Müllabfuhr verschoben",
            "Weihnachtsmarkt am Dorfgemeinschaftshaus",
            "Glühwein",
            "Sprechstunde des Ortsbürgermeisters",
            "Termine",
            "Mi 02.12. · 19:00–21:00",
            "Gemeinderatssitzung, Gemeindeamt",
            "Dorfladen",
            "Do 03.12. geschlossen (Betriebsausflug)",
            "12,90 € je kg",
            "Fahrdienst",
            "Fahrt bestellen: 039483 1234",
            "Anliegen: Antworten",
            "Schlagloch in der Lindenstraße",
            "Erledigt (01.12.): Das Loch ist geflickt.",
            "Seite 2 von 2 · Stand 01.12.2026 · dorf.example",
        ],
    );
    for absent in [
        "Laternenumzug",
        "Sturmwarnung",
        "Badeborn",
        "Geplante Nachricht",
        "Entwurf",
        "Nachbar",
        "Weitere Termine",
    ] {
        assert!(!text.contains(absent), "{absent} is on the sheet:\n{text}");
    }
}

/// Rieder's sheet of a week read back with poppler-utils as a reader sees it (A4, `pages`
/// pages, fonts embedded, ink within the margins), as text; `None` unless
/// `DORFAPP_TEST_POPPLER=1`. The PDF and its PNGs stay in `target/aushang/` for a human look.
fn read_back(name: &str, pdf: &[u8], pages: usize, week: u32) -> Option<String> {
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("aushang");
    let title = format!("Rieder – Aushang Woche {week}");
    poppler::enabled().then(|| poppler::check(&dir, name, pdf, pages, &title))
}

#[tokio::test]
async fn a_crowded_week_fills_two_pages_and_keeps_the_ride_desks_number() {
    let app = spawn().await;
    app.clock.set(at("2026-12-01T08:00:00Z"));
    let crew = Cast::new(&app).await;
    let warning = json!({"title": WARNING, "body": "Umleitung über den Mühlenweg.",
        "category": "warning", "district_ids": [crew.rieder]});
    publish(&app, &crew.leader, warning).await;
    for n in 1..=12 {
        app.clock.advance(Duration::minutes(1));
        let body = "Die Tonnen bitte am Vorabend an die Straße stellen; bei Glätte räumt der \
                    Bauhof zuerst die Wege zur Schule und zum Arzt. "
            .repeat(4);
        let item = news(
            &format!("Nachricht {n}: Müllabfuhr"),
            &body,
            &[&crew.rieder],
        );
        publish(&app, &crew.leader, item).await;
    }
    for (title, time) in [
        ("Frühsport", "07:00"),
        ("Mittagstisch", "12:00"),
        ("Feuerwehrübung", "19:00"),
    ] {
        let daily = json!({"title": title, "category": "sport", "district_ids": [crew.rieder],
            "start": format!("2026-11-30T{time}"), "recurrence": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
            "place": "Dorfgemeinschaftshaus"});
        event(&app, &crew.leader, daily).await;
    }

    let sheet = sheet(&app, &crew.rieder, "2026-W49").await;
    assert_eq!(section(&sheet, "Termine").items.len(), 42);
    // A long text is cut after a word, at about 350 characters.
    let text = &section(&sheet, "Nachrichten").items[0].lines[0];
    assert!(text.starts_with("Die Tonnen bitte am Vorabend"), "{text}");
    assert!(text.ends_with("…") && text.chars().count() <= 351, "{text}");
    let layout = ::aushang::layout::layout(&sheet).expect("laid out");
    assert_eq!(layout.pages.len(), 2);
    assert!(layout.dropped_items > 0);
    let printed: Vec<&str> = layout
        .pages
        .iter()
        .flat_map(|p| p.runs.iter())
        .map(|r| r.line.text.as_str())
        .collect();
    assert!(
        printed.contains(&"Fahrt bestellen: 039483 1234"),
        "{printed:#?}"
    );
    assert!(printed.contains(&sheet.overflow_note.as_str()));

    let reply = fetch(&app, &path(&crew.rieder, "?week=2026-W49"), None, None).await;
    assert_eq!(reply.status, 200);
    let Some(text) = read_back("rieder-crowded", &reply.bytes, 2, 49) else {
        return;
    };
    poppler::assert_in_order(
        &text,
        &[
            "Seite 1 von 2",
            "Fahrt bestellen: 039483 1234",
            "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt",
            "Seite 2 von 2 · Stand 01.12.2026 · dorf.example",
        ],
    );
    assert!(text.contains(WARNING), "{text}");
}

#[tokio::test]
async fn a_week_that_cannot_be_printed_is_422_and_an_unknown_district_404() {
    // The clock stands on Tuesday 2 June 2026 (week 23); no ride desk is configured.
    let app = TestApp::spawn().await;
    let rieder = district_id(&app, "rieder").await;
    for week in [
        "2026-W54",
        "2026-49",
        "2026-W00",
        "2026-w23",
        "26-W23",
        "2026-W023",
        "2024-W23",
        "2025-W22",
        "2026-W32",
        "2025-W53",
        "",
    ] {
        let reply = get_anonymous(&app, &path(&rieder, &format!("?week={week}"))).await;
        assert_invalid_field(&reply, "week");
        assert_eq!(
            reply.json()["errors"].as_array().map(Vec::len),
            Some(1),
            "{week}"
        );
    }
    // A year back and eight weeks ahead are fine.
    for week in ["2025-W23", "2026-W31", "2026-W23"] {
        let reply = fetch(&app, &path(&rieder, &format!("?week={week}")), None, None).await;
        assert_eq!(reply.status, 200, "{week}");
    }
    get_anonymous(
        &app,
        &path(&uuid::Uuid::now_v7().to_string(), "?week=2026-W23"),
    )
    .await
    .assert_problem(404, "not_found");
    get_anonymous(&app, &path("rieder", ""))
        .await
        .assert_problem(400, "bad_request");

    // Without a ride desk there is no Fahrdienst section, and an empty week has only what
    // must be there.
    let empty = sheet(&app, &rieder, "2026-W23").await;
    assert!(
        headings(&empty).iter().all(|h| *h != "Fahrdienst"),
        "{empty:#?}"
    );
    let resident = register(&app, &unique_email("leserin"), PASSWORD).await;
    let reply = fetch(&app, &path(&rieder, ""), Some(&resident), None).await;
    assert_eq!(reply.status, 200);
}
