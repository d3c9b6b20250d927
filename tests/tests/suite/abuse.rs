//! Hostile input that must stay cheap and clear: oversized lists, a flood of faults, values of
//! the wrong JSON type (security review, issue 16).

use serde_json::{Value, json};

use crate::support::*;

/// The most field errors an answer lists (`api::error::MAX_LISTED_FIELD_ERRORS`).
const LISTED: usize = 20;

#[tokio::test]
async fn a_huge_list_with_a_bad_token_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let body = json!({"district_ids": vec![1; 300_000], "news_categories": [], "shop_updates": true, "ride_updates": true});
    let reply = put_json(
        &app,
        "/api/v1/me/notification-preferences",
        Some("garbage"),
        body,
    )
    .await;
    reply.assert_problem(401, "unauthorized");
    assert!(reply.text.len() < 2_000, "{} bytes", reply.text.len());
}

#[tokio::test]
async fn a_list_longer_than_allowed_is_one_fault_not_one_per_element() {
    let (app, cast) = spawn_cast().await;
    let body = json!({"district_ids": vec![1; 300_000], "news_categories": [], "shop_updates": true, "ride_updates": true});
    let reply = put_json(
        &app,
        "/api/v1/me/notification-preferences",
        Some(&cast.resident.access),
        body,
    )
    .await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert_eq!(error_fields(&problem), ["district_ids"], "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("100")),
        "{problem}"
    );
    assert!(reply.text.len() < 2_000, "{} bytes", reply.text.len());

    let mut booking = ride(&cast.rieder, 120);
    booking["mobility_aids"] = json!(vec!["walker"; 100_000]);
    let reply = book_reply(&app, &cast.rider, &booking).await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert_eq!(error_fields(&problem), ["mobility_aids"], "{problem}");
}

#[tokio::test]
async fn many_faults_are_listed_up_to_a_bound_and_the_rest_counted() {
    let (app, cast) = spawn_cast().await;
    let shop = insert_shop(&app, &cast.rieder).await;
    let windows: Vec<Value> = (0..5_000)
        .map(|_| json!({"weekday": "Montag", "opens": "08:00", "closes": "12:00"}))
        .collect();
    let reply = put_json(
        &app,
        &format!("/api/v1/shops/{shop}/opening-hours"),
        Some(&cast.admin.access),
        json!(windows),
    )
    .await;
    let problem = reply.assert_problem(422, "validation_failed");
    let listed = problem["errors"].as_array().expect("errors").len();
    assert_eq!(listed, LISTED, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "[0].weekday", "{problem}");
    assert_eq!(problem["errors_not_listed"], 5_000 - LISTED, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&(5_000 - LISTED).to_string())),
        "the text says how many more: {problem}"
    );
    assert!(reply.text.len() < 5_000, "{} bytes", reply.text.len());
}

#[tokio::test]
async fn a_number_or_a_boolean_is_not_taken_for_text() {
    let (app, cast) = spawn_cast().await;
    for (field, value) in [
        ("pickup_address", json!(-1)),
        ("destination", json!(true)),
        ("notes", json!(12.5)),
    ] {
        let mut booking = ride(&cast.rieder, 120);
        booking[field] = value;
        let reply = book_reply(&app, &cast.rider, &booking).await;
        assert_invalid_field(&reply, field);
    }
    let reply = get_as(&app, "/api/v1/rides?scope=mine", &cast.rider.access).await;
    assert_eq!(reply.json()["items"], json!([]), "nothing was booked");
}

#[tokio::test]
async fn a_cursor_with_a_time_beyond_any_calendar_is_a_bad_request() {
    let (app, cast) = spawn_cast().await;
    // 8 bytes of time far past year 294276 (PostgreSQL's limit), then a UUID.
    let crafted = "kPpKYsTgAAAAAAAAAAAAAAAAAAAAAAAB";
    let reply = get_anonymous(&app, &format!("/api/v1/news?cursor={crafted}")).await;
    let problem = reply.assert_problem(400, "bad_request");
    assert_eq!(error_fields(&problem), ["cursor"], "{problem}");
    let reply = get_as(
        &app,
        &format!("/api/v1/rides?scope=mine&cursor={crafted}"),
        &cast.rider.access,
    )
    .await;
    reply.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn texts_are_stored_normalised_without_control_or_bidi_characters() {
    let (app, cast) = spawn_cast().await;
    let mut booking = ride(&cast.rieder, 120);
    booking["pickup_address"] = json!("Linden\u{0007}straße 4");
    booking["destination"] = json!("Hausarztpraxis Dr. Kra\u{0308}use");
    booking["notes"] = json!("Bitte \u{202E}nlegnilk\u{202C} lange\r\nZweite Zeile");
    let booked = book(&app, &cast.rider, &booking).await;
    let stored = ride_as(&app, &cast.rider, &id_of(&booked)).await;
    assert_eq!(stored["pickup_address"], "Lindenstraße 4");
    assert_eq!(stored["destination"], "Hausarztpraxis Dr. Kräuse");
    assert_eq!(stored["notes"], "Bitte nlegnilk lange\nZweite Zeile");

    // Nothing visible left is nothing at all.
    let mut invisible = ride(&cast.rieder, 130);
    invisible["destination"] = json!("\u{200B}\u{200B}\u{FEFF}");
    let reply = book_reply(&app, &cast.rider, &invisible).await;
    assert_invalid_field(&reply, "destination");
}
