//! The ride desk's booking form without a browser: a double click books once, and nothing a
//! caller's details can look like makes a half booking or an unstyled error.

use crate::support::*;

async fn booking_form(app: &TestApp, browser: &mut Browser) -> (String, String) {
    let page = browser.get(app, "/console/rides/new").await;
    assert_eq!(page.status, 200, "{}", page.text);
    (
        hidden(&page.text, "_csrf"),
        hidden(&page.text, "idempotency_key"),
    )
}

async fn rides_of_the_desk(app: &TestApp, cast: &Cast) -> usize {
    get_as(app, "/api/v1/rides?scope=all", &cast.dispatcher.access)
        .await
        .json()["items"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn a_double_click_on_book_makes_one_ride() {
    let (app, cast) = spawn_cast().await;
    let mut browser = Browser::sign_in(&app, &cast.dispatcher.email, PASSWORD).await;
    let (csrf, key) = booking_form(&app, &mut browser).await;
    let form = [
        ("_csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("rider_name", "Erika Schulze"),
        ("contact_phone", "039483 1234"),
        ("pickup_district_id", cast.rieder.as_str()),
        ("pickup_address", "Lindenstraße 4"),
        ("destination", "Apotheke am Markt"),
        ("purpose", "pharmacy"),
        // The test clock: Tuesday 2 June 2026, 10:00 in Ballenstedt.
        ("pickup_at", "2026-06-03T09:30"),
        ("passengers", "1"),
        ("mobility_aids", "walker"),
        ("mobility_aids", "companion"),
    ];
    let first = browser.post(&app, "/console/rides/new", &form).await;
    let second = browser.post(&app, "/console/rides/new", &form).await;
    assert_eq!(first.status, 303, "{}", first.text);
    assert_eq!(second.status, 303, "{}", second.text);
    assert_eq!(first.header("location"), second.header("location"));
    assert_eq!(rides_of_the_desk(&app, &cast).await, 1);
    let location = first.header("location").unwrap_or_default();
    let id = location
        .trim_start_matches("/console/rides/")
        .split('?')
        .next()
        .unwrap_or_default();
    let ride = ride_as(&app, &cast.dispatcher, id).await;
    assert_eq!(ride["rider_name"], "Erika Schulze");
    assert_eq!(
        ride["mobility_aids"],
        serde_json::json!(["walker", "companion"])
    );
    assert_eq!(
        ride["pickup_at"], "2026-06-03T07:30:00Z",
        "09:30 in summer time"
    );
}

#[tokio::test]
async fn a_booking_form_with_nonsense_is_answered_next_to_each_field_and_books_nothing() {
    let (app, cast) = spawn_cast().await;
    let mut browser = Browser::sign_in(&app, &cast.dispatcher.email, PASSWORD).await;
    let (csrf, key) = booking_form(&app, &mut browser).await;
    let hostile = [
        ("_csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("rider_name", "<script>alert(1)</script>"),
        ("contact_phone", "'; DROP TABLE ride; --"),
        ("pickup_district_id", "nicht-da"),
        ("pickup_address", ""),
        ("destination", "\u{0}"),
        ("purpose", "flucht"),
        ("pickup_at", "morgen früh"),
        ("return_trip", "on"),
        ("return_pickup_at", "2026-03-29T02:30"),
        ("passengers", "viele"),
        ("mobility_aids", "rakete"),
    ];
    let reply = browser.post(&app, "/console/rides/new", &hostile).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    for field in ["pickup_at", "return_pickup_at", "passengers"] {
        assert!(
            reply.text.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            reply.text
        );
    }
    assert!(!reply.text.contains("<script>alert(1)</script>"), "escaped");
    // What was typed is kept, escaped (askama writes `<` as `&#60;`).
    let kept = hidden(&reply.text, "rider_name");
    assert!(kept.contains("script") && !kept.contains('<'), "{kept}");
    // A parsable time, the rest still wrong: the rule names the fields it refuses.
    let mut second: Vec<(&str, &str)> = hostile.to_vec();
    for (name, value) in second.iter_mut() {
        match *name {
            "pickup_at" => *value = "2026-06-03T09:30",
            "return_pickup_at" => *value = "2026-06-03T11:30",
            "passengers" => *value = "9",
            _ => {}
        }
    }
    let reply = browser.post(&app, "/console/rides/new", &second).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    for field in [
        "pickup_district_id",
        "pickup_address",
        "passengers",
        "contact_phone",
    ] {
        assert!(
            reply.text.contains(&format!("href=\"#{field}\"")),
            "{field}: {}",
            reply.text
        );
    }
    assert_eq!(rides_of_the_desk(&app, &cast).await, 0);
}
