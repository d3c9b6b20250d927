//! Opening hours and special days of village shops, and what a resident sees from them:
//! `open_now` and `next_change_at`, in the municipality's time zone, across DST changes.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::support::{
    Session, TestApp, admin, assert_invalid_field, create_shop, district_id, id_of, put_json,
    read_shop, spawn_with_admin, spawn_with_admin_and, test_epoch,
};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("timestamp")
        .to_utc()
}

/// An app with an admin and one shop in Rieder.
async fn app_with_shop() -> (TestApp, Session, String) {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    (app, admin, shop)
}

async fn set_hours(app: &TestApp, admin: &Session, shop: &str, hours: Value) -> Value {
    let reply = put_json(
        app,
        &format!("/api/v1/shops/{shop}/opening-hours"),
        Some(&admin.access),
        hours.clone(),
    )
    .await;
    assert_eq!(reply.status, 200, "set hours {hours}: {}", reply.text);
    reply.json()
}

async fn set_special_days(app: &TestApp, admin: &Session, shop: &str, days: Value) -> Value {
    let reply = put_json(
        app,
        &format!("/api/v1/shops/{shop}/special-days"),
        Some(&admin.access),
        days.clone(),
    )
    .await;
    assert_eq!(reply.status, 200, "set special days {days}: {}", reply.text);
    reply.json()
}

/// Moves the clock to `now` and reads `(open_now, next_change_at)` of the shop.
async fn state_at(app: &TestApp, shop: &str, now: &str) -> (bool, Option<String>) {
    app.clock.set(at(now));
    let body = read_shop(app, shop).await;
    let open = body["open_now"]
        .as_bool()
        .unwrap_or_else(|| panic!("open_now: {body}"));
    let next = match &body["next_change_at"] {
        Value::Null => None,
        Value::String(s) => {
            assert!(s.ends_with('Z'), "next_change_at in UTC with Z: {s}");
            Some(s.clone())
        }
        other => panic!("next_change_at: {other}"),
    };
    (open, next)
}

/// Asserts the shop's state at `now`; `next` is compared as an instant.
#[track_caller]
fn assert_state(got: (bool, Option<String>), open: bool, next: Option<&str>, when: &str) {
    let (got_open, got_next) = got;
    assert_eq!(got_open, open, "open_now at {when} (next: {got_next:?})");
    assert_eq!(
        got_next.as_deref().map(at),
        next.map(at),
        "next_change_at at {when}: got {got_next:?}"
    );
}

fn sorted_hours(hours: &Value) -> Vec<(i64, String, String)> {
    let mut list: Vec<_> = hours
        .as_array()
        .unwrap_or_else(|| panic!("opening_hours: {hours}"))
        .iter()
        .map(|h| {
            (
                h["weekday"].as_i64().expect("weekday"),
                h["opens"].as_str().expect("opens").to_owned(),
                h["closes"].as_str().expect("closes").to_owned(),
            )
        })
        .collect();
    list.sort();
    list
}

#[tokio::test]
async fn a_weekly_schedule_with_a_lunch_break_is_stored_and_replaced_as_a_whole() {
    let (app, admin, shop) = app_with_shop().await;
    let week = json!([
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
        {"weekday": 1, "opens": "14:00", "closes": "18:00"},
        {"weekday": 3, "opens": "07:30", "closes": "12:30"},
        {"weekday": 6, "opens": "08:00", "closes": "11:00"},
    ]);
    let answer = set_hours(&app, &admin, &shop, week.clone()).await;
    assert_eq!(
        sorted_hours(&answer["opening_hours"]),
        sorted_hours(&week),
        "{answer}"
    );
    assert_eq!(read_shop(&app, &shop).await, answer);

    // A second PUT replaces the schedule; it does not add to it.
    let answer = set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 5, "opens": "09:00", "closes": "13:00"}]),
    )
    .await;
    assert_eq!(
        answer["opening_hours"],
        json!([{"weekday": 5, "opens": "09:00", "closes": "13:00"}])
    );
    // An empty list closes the shop for good.
    let answer = set_hours(&app, &admin, &shop, json!([])).await;
    assert_eq!(answer["opening_hours"], json!([]));
    assert_eq!(read_shop(&app, &shop).await["opening_hours"], json!([]));
}

#[tokio::test]
async fn invalid_opening_hours_are_rejected_naming_the_entry_at_fault() {
    let (app, admin, shop) = app_with_shop().await;
    let path = format!("/api/v1/shops/{shop}/opening-hours");
    let stored = set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 2, "opens": "08:00", "closes": "12:00"}]),
    )
    .await;
    let good = json!({"weekday": 1, "opens": "08:00", "closes": "12:00"});
    let w = |weekday: i64, opens: &str, closes: &str| json!({"weekday": weekday, "opens": opens, "closes": closes});
    let cases = [
        (w(0, "08:00", "12:00"), "[1].weekday"),
        (w(8, "08:00", "12:00"), "[1].weekday"),
        (w(2, "8:00", "12:00"), "[1].opens"),
        (w(2, "25:00", "26:00"), "[1].opens"),
        (w(2, "08:00", "12:60"), "[1].closes"),
        (w(2, "ab:cd", "12:00"), "[1].opens"),
        (w(2, "08:00", "noon"), "[1].closes"),
        (w(2, "24:00", "24:00"), "[1].opens"),
        (w(2, "12:00", "12:00"), "[1].closes"),
        (w(2, "12:00", "08:00"), "[1].closes"),
        // Overlaps the first window of Monday: the later one is named.
        (w(1, "11:00", "13:00"), "[1].opens"),
        (w(1, "09:00", "10:00"), "[1].opens"),
    ];
    for (bad, field) in cases {
        let body = json!([good.clone(), bad.clone()]);
        let reply = put_json(&app, &path, Some(&admin.access), body).await;
        assert_eq!(reply.status, 422, "{bad}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    // A third window overlapping the second, not the first.
    let reply = put_json(
        &app,
        &path,
        Some(&admin.access),
        json!([
            w(4, "08:00", "10:00"),
            w(4, "14:00", "18:00"),
            w(4, "17:00", "19:00"),
        ]),
    )
    .await;
    assert_invalid_field(&reply, "[2].opens");
    // Nothing was changed by the rejected requests.
    assert_eq!(
        read_shop(&app, &shop).await["opening_hours"],
        stored["opening_hours"]
    );

    // Same windows on different days, and 24:00 as closing, are fine.
    let answer = set_hours(
        &app,
        &admin,
        &shop,
        json!([
            w(1, "08:00", "12:00"),
            w(2, "08:00", "12:00"),
            w(7, "20:00", "24:00")
        ]),
    )
    .await;
    assert_eq!(answer["opening_hours"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_shop_without_opening_hours_is_never_open_and_announces_no_change() {
    let (app, _admin, shop) = app_with_shop().await;
    for now in [
        "2026-06-02T08:00:00Z",
        "2026-06-07T12:00:00Z",
        "2026-12-31T23:30:00Z",
    ] {
        assert_state(state_at(&app, &shop, now).await, false, None, now);
    }
}

#[tokio::test]
async fn open_now_and_the_next_change_follow_a_lunch_break_on_an_ordinary_tuesday() {
    let (app, admin, shop) = app_with_shop().await;
    set_hours(
        &app,
        &admin,
        &shop,
        json!([
            {"weekday": 2, "opens": "08:00", "closes": "12:00"},
            {"weekday": 2, "opens": "14:00", "closes": "18:00"},
            {"weekday": 4, "opens": "09:00", "closes": "11:00"},
        ]),
    )
    .await;
    // Summer time (CEST, UTC+2). Tuesday 2026-06-02.
    let cases = [
        // 07:00 local: opens at 08:00.
        ("2026-06-02T05:00:00Z", false, "2026-06-02T06:00:00Z"),
        // 08:00 sharp: open until 12:00.
        ("2026-06-02T06:00:00Z", true, "2026-06-02T10:00:00Z"),
        // 10:00 local.
        ("2026-06-02T08:00:00Z", true, "2026-06-02T10:00:00Z"),
        // 12:00 sharp: lunch break until 14:00.
        ("2026-06-02T10:00:00Z", false, "2026-06-02T12:00:00Z"),
        // 15:00 local: open until 18:00.
        ("2026-06-02T13:00:00Z", true, "2026-06-02T16:00:00Z"),
        // 19:00 local: next opening Thursday 09:00.
        ("2026-06-02T17:00:00Z", false, "2026-06-04T07:00:00Z"),
        // Thursday 10:00: open until 11:00.
        ("2026-06-04T08:00:00Z", true, "2026-06-04T09:00:00Z"),
        // Thursday noon: next Tuesday 08:00.
        ("2026-06-04T10:00:00Z", false, "2026-06-09T06:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
}

#[tokio::test]
async fn a_window_across_midnight_counts_as_one_stretch_of_opening() {
    let (app, admin, shop) = app_with_shop().await;
    set_hours(
        &app,
        &admin,
        &shop,
        json!([
            {"weekday": 5, "opens": "22:00", "closes": "24:00"},
            {"weekday": 6, "opens": "00:00", "closes": "02:00"},
        ]),
    )
    .await;
    // Friday 2026-06-05.
    let cases = [
        // 21:00 local Friday: opens at 22:00.
        ("2026-06-05T19:00:00Z", false, "2026-06-05T20:00:00Z"),
        // 23:00 local Friday: open until Saturday 02:00, not until midnight.
        ("2026-06-05T21:00:00Z", true, "2026-06-06T00:00:00Z"),
        // 01:00 local Saturday.
        ("2026-06-05T23:00:00Z", true, "2026-06-06T00:00:00Z"),
        // 03:00 local Saturday: next Friday 22:00.
        ("2026-06-06T01:00:00Z", false, "2026-06-12T20:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
}

#[tokio::test]
async fn closing_at_24_00_means_the_end_of_the_day() {
    let (app, admin, shop) = app_with_shop().await;
    set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 2, "opens": "20:00", "closes": "24:00"}]),
    )
    .await;
    // Tuesday 21:00 local: open until Wednesday 00:00 local = Tuesday 22:00Z.
    let now = "2026-06-02T19:00:00Z";
    assert_state(
        state_at(&app, &shop, now).await,
        true,
        Some("2026-06-02T22:00:00Z"),
        now,
    );
    // Wednesday 00:30 local: closed until next Tuesday 20:00.
    let now = "2026-06-02T22:30:00Z";
    assert_state(
        state_at(&app, &shop, now).await,
        false,
        Some("2026-06-09T18:00:00Z"),
        now,
    );
}

#[tokio::test]
async fn opening_hours_keep_their_local_time_when_summer_time_begins() {
    let (app, admin, shop) = app_with_shop().await;
    set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 7, "opens": "08:00", "closes": "12:00"}]),
    )
    .await;
    // Saturday evening before the change (21:00 CET): Sunday 08:00 CEST = 06:00Z.
    let cases = [
        ("2027-03-27T20:00:00Z", false, "2027-03-28T06:00:00Z"),
        // 01:30 CET, before the jump.
        ("2027-03-28T00:30:00Z", false, "2027-03-28T06:00:00Z"),
        // 07:30 CEST.
        ("2027-03-28T05:30:00Z", false, "2027-03-28T06:00:00Z"),
        // 09:00 CEST: open until 12:00 CEST = 10:00Z.
        ("2027-03-28T07:00:00Z", true, "2027-03-28T10:00:00Z"),
        // The week before, still CET: 08:00 CET = 07:00Z.
        ("2027-03-20T20:00:00Z", false, "2027-03-21T07:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
    // Back to the day the token was issued, to change the hours.
    app.clock.set(test_epoch());
    // A night window across the jump: 01:00 CET to 04:00 CEST is two hours long.
    set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 7, "opens": "01:00", "closes": "04:00"}]),
    )
    .await;
    let cases = [
        ("2027-03-27T23:30:00Z", false, "2027-03-28T00:00:00Z"),
        ("2027-03-28T00:30:00Z", true, "2027-03-28T02:00:00Z"),
        ("2027-03-28T01:30:00Z", true, "2027-03-28T02:00:00Z"),
        ("2027-03-28T02:00:00Z", false, "2027-04-03T23:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
}

#[tokio::test]
async fn opening_hours_keep_their_local_time_when_summer_time_ends() {
    let (app, admin, shop) = app_with_shop().await;
    set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 7, "opens": "08:00", "closes": "12:00"}]),
    )
    .await;
    let cases = [
        // Saturday 22:00 CEST before the change: Sunday 08:00 CET = 07:00Z.
        ("2026-10-24T20:00:00Z", false, "2026-10-25T07:00:00Z"),
        // 02:30 CEST, the first of the doubled hour.
        ("2026-10-25T00:30:00Z", false, "2026-10-25T07:00:00Z"),
        // 07:30 CET.
        ("2026-10-25T06:30:00Z", false, "2026-10-25T07:00:00Z"),
        // 09:00 CET: open until 12:00 CET = 11:00Z.
        ("2026-10-25T08:00:00Z", true, "2026-10-25T11:00:00Z"),
        // 12:30 CET: next Sunday 08:00 CET.
        ("2026-10-25T11:30:00Z", false, "2026-11-01T07:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
    app.clock.set(test_epoch());
    // A night window across the change: 01:00 CEST to 04:00 CET is four hours long.
    set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 7, "opens": "01:00", "closes": "04:00"}]),
    )
    .await;
    let cases = [
        ("2026-10-24T22:30:00Z", false, "2026-10-24T23:00:00Z"),
        ("2026-10-24T23:30:00Z", true, "2026-10-25T03:00:00Z"),
        // 02:30 CET, the second of the doubled hour.
        ("2026-10-25T01:30:00Z", true, "2026-10-25T03:00:00Z"),
        ("2026-10-25T03:00:00Z", false, "2026-11-01T00:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
}

#[tokio::test]
async fn opening_hours_are_read_in_the_configured_time_zone() {
    let app = spawn_with_admin_and(|s| s.timezone = "Europe/London".into()).await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Village Shop").await);
    set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 2, "opens": "09:30", "closes": "17:00"}]),
    )
    .await;
    // 2026-06-02T08:00Z is 09:00 BST (UTC+1): opens at 08:30Z.
    let now = "2026-06-02T08:00:00Z";
    assert_state(
        state_at(&app, &shop, now).await,
        false,
        Some("2026-06-02T08:30:00Z"),
        now,
    );
    let now = "2026-06-02T09:00:00Z";
    assert_state(
        state_at(&app, &shop, now).await,
        true,
        Some("2026-06-02T16:00:00Z"),
        now,
    );
}

#[tokio::test]
async fn special_days_are_stored_and_replaced_as_a_whole() {
    let (app, admin, shop) = app_with_shop().await;
    let days = json!([
        {"date": "2026-12-24", "closed": false, "opens": "08:00", "closes": "12:00", "note": "Heiligabend"},
        {"date": "2026-12-25", "closed": true, "note": "1. Weihnachtstag"},
        {"date": "2026-12-26", "closed": true},
    ]);
    let answer = set_special_days(&app, &admin, &shop, days).await;
    let mut list = answer["special_days"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone();
    list.sort_by_key(|d| d["date"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        list,
        vec![
            json!({"date": "2026-12-24", "closed": false, "opens": "08:00", "closes": "12:00", "note": "Heiligabend"}),
            json!({"date": "2026-12-25", "closed": true, "opens": null, "closes": null, "note": "1. Weihnachtstag"}),
            json!({"date": "2026-12-26", "closed": true, "opens": null, "closes": null, "note": null}),
        ]
    );
    assert_eq!(read_shop(&app, &shop).await, answer);

    let answer = set_special_days(
        &app,
        &admin,
        &shop,
        json!([{"date": "2026-12-31", "closed": true, "note": "x".repeat(200)}]),
    )
    .await;
    assert_eq!(answer["special_days"].as_array().map(Vec::len), Some(1));
    assert_eq!(answer["special_days"][0]["date"], "2026-12-31");
    let answer = set_special_days(&app, &admin, &shop, json!([])).await;
    assert_eq!(answer["special_days"], json!([]));
}

#[tokio::test]
async fn invalid_special_days_are_rejected_naming_the_entry_at_fault() {
    let (app, admin, shop) = app_with_shop().await;
    let path = format!("/api/v1/shops/{shop}/special-days");
    let good = json!({"date": "2026-12-24", "closed": true});
    let cases = [
        (
            json!({"date": "2026-12-25", "closed": true, "opens": "10:00", "closes": "12:00"}),
            "[1].opens",
        ),
        (json!({"date": "2026-12-25", "closed": false}), "[1].opens"),
        (
            json!({"date": "2026-12-25", "closed": false, "opens": "10:00"}),
            "[1].closes",
        ),
        (
            json!({"date": "2026-12-25", "closed": false, "closes": "12:00"}),
            "[1].opens",
        ),
        (
            json!({"date": "2026-12-25", "closed": false, "opens": "25:00", "closes": "26:00"}),
            "[1].opens",
        ),
        (
            json!({"date": "2026-12-25", "closed": false, "opens": "12:00", "closes": "10:00"}),
            "[1].closes",
        ),
        (json!({"date": "2026-02-30", "closed": true}), "[1].date"),
        (json!({"date": "24.12.2026", "closed": true}), "[1].date"),
        (json!({"date": "2026-12-24", "closed": true}), "[1].date"),
        (
            json!({"date": "2026-12-25", "closed": true, "note": "x".repeat(201)}),
            "[1].note",
        ),
    ];
    for (bad, field) in cases {
        let body = json!([good.clone(), bad.clone()]);
        let reply = put_json(&app, &path, Some(&admin.access), body).await;
        assert_eq!(reply.status, 422, "{bad}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    assert_eq!(read_shop(&app, &shop).await["special_days"], json!([]));
}

#[tokio::test]
async fn a_closed_special_day_keeps_the_shop_shut_during_its_usual_hours() {
    let (app, admin, shop) = app_with_shop().await;
    set_hours(
        &app,
        &admin,
        &shop,
        json!([
            {"weekday": 2, "opens": "08:00", "closes": "12:00"},
            {"weekday": 3, "opens": "08:00", "closes": "12:00"},
        ]),
    )
    .await;
    set_special_days(
        &app,
        &admin,
        &shop,
        json!([{"date": "2026-06-02", "closed": true, "note": "Inventur"}]),
    )
    .await;
    let cases = [
        // Monday 20:00 local: Tuesday is skipped, next opening Wednesday 08:00.
        ("2026-06-01T18:00:00Z", false, "2026-06-03T06:00:00Z"),
        // Tuesday 10:00 local, normally open.
        ("2026-06-02T08:00:00Z", false, "2026-06-03T06:00:00Z"),
        // Wednesday 10:00 local: the weekly schedule again.
        ("2026-06-03T08:00:00Z", true, "2026-06-03T10:00:00Z"),
        // The next Tuesday is an ordinary one.
        ("2026-06-09T08:00:00Z", true, "2026-06-09T10:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
}

#[tokio::test]
async fn a_special_day_with_other_hours_replaces_the_weekly_schedule_that_day() {
    let (app, admin, shop) = app_with_shop().await;
    set_hours(
        &app,
        &admin,
        &shop,
        json!([{"weekday": 2, "opens": "08:00", "closes": "12:00"}]),
    )
    .await;
    set_special_days(
        &app,
        &admin,
        &shop,
        json!([
            {"date": "2026-06-02", "closed": false, "opens": "10:00", "closes": "13:00", "note": "Später wegen Lieferung"},
            // A Sunday, normally closed.
            {"date": "2026-06-07", "closed": false, "opens": "10:00", "closes": "12:00", "note": "Dorffest"},
        ]),
    )
    .await;
    let cases = [
        // Monday 20:00 local: opens Tuesday at 10:00, not 08:00.
        ("2026-06-01T18:00:00Z", false, "2026-06-02T08:00:00Z"),
        // Tuesday 08:30 local: normally open, today not yet.
        ("2026-06-02T06:30:00Z", false, "2026-06-02T08:00:00Z"),
        // Tuesday 10:00 local: open until 13:00.
        ("2026-06-02T08:00:00Z", true, "2026-06-02T11:00:00Z"),
        // Tuesday 12:30 local: still open today.
        ("2026-06-02T10:30:00Z", true, "2026-06-02T11:00:00Z"),
        // Tuesday 14:00 local: next the special Sunday at 10:00.
        ("2026-06-02T12:00:00Z", false, "2026-06-07T08:00:00Z"),
        // Sunday 11:00 local: open until 12:00.
        ("2026-06-07T09:00:00Z", true, "2026-06-07T10:00:00Z"),
        // Sunday 13:00 local: the next ordinary Tuesday.
        ("2026-06-07T11:00:00Z", false, "2026-06-09T06:00:00Z"),
    ];
    for (now, open, next) in cases {
        assert_state(state_at(&app, &shop, now).await, open, Some(next), now);
    }
}
