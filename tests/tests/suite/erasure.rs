//! Erasure and export of a person's data, sentence by sentence of `docs/privacy.md` (GDPR
//! Art. 15, 17): rides as rider and as driver, the drivers' inboxes, followed shops.

use serde_json::{Value, json};

use crate::support::*;

async fn erase(app: &TestApp, who: &Session) {
    let reply = post_json(
        app,
        "/api/v1/me/delete",
        Some(&who.access),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    settle(app).await;
}

/// Every inbox entry of `who` as `title body`.
async fn inbox_texts(app: &TestApp, who: &Session) -> Vec<String> {
    inbox(app, who)
        .await
        .iter()
        .map(|n| format!("{} | {}", n["title"], n["body"]))
        .collect()
}

/// What the booking helper writes that points to the person.
const PERSONAL: [&str; 4] = ["Lindenstraße", "Hausarztpraxis", "klingeln", "039483"];

#[tokio::test]
async fn erasing_an_account_cancels_its_open_rides_and_keeps_only_what_statistics_count() {
    let (app, cast) = spawn_cast().await;
    let taken = cast.booked(&app, 180).await;
    step_ok(&app, &cast.driver, &taken, "accept").await;
    let open = cast.booked(&app, 200).await;
    let past = cast.booked(&app, 100).await;
    for action in ["accept", "start", "complete"] {
        step_ok(&app, &cast.driver, &past, action).await;
    }
    settle(&app).await;
    assert!(
        inbox_texts(&app, &cast.second_driver)
            .await
            .iter()
            .any(|t| t.contains("Hausarztpraxis")),
        "before: the open ride was announced with its destination"
    );

    erase(&app, &cast.rider).await;

    for id in [&taken, &open, &past] {
        let ride = ride_as(&app, &cast.dispatcher, id).await;
        assert_eq!(ride["pickup_address"], "", "{ride}");
        assert_eq!(ride["destination"], "", "{ride}");
        for field in ["notes", "contact_phone", "rider_user_id", "appointment_at"] {
            assert_eq!(ride[field], Value::Null, "{field}: {ride}");
        }
        assert_eq!(ride["mobility_aids"], json!([]), "{ride}");
        assert_eq!(ride["purpose"], "medical", "statistics still count it");
        assert!(
            ride["events"]
                .as_array()
                .expect("events")
                .iter()
                .all(|e| e["reason"].is_null()),
            "{ride}"
        );
    }
    assert_eq!(
        ride_as(&app, &cast.dispatcher, &taken).await["status"],
        "cancelled"
    );
    assert_eq!(
        ride_as(&app, &cast.dispatcher, &open).await["status"],
        "cancelled"
    );
    assert_eq!(
        ride_as(&app, &cast.dispatcher, &past).await["status"],
        "completed"
    );

    // The driver who had the ride is told it is off, without the person's details.
    let told = inbox_texts(&app, &cast.driver).await;
    assert!(
        told.iter().any(|t| t.contains("Fahrt storniert")),
        "{told:?}"
    );
    for who in [&cast.driver, &cast.second_driver, &cast.far_driver] {
        for text in inbox_texts(&app, who).await {
            for personal in PERSONAL {
                assert!(!text.contains(personal), "{personal} left in: {text}");
            }
        }
    }
    let stats = get_as(
        &app,
        &format!("/api/v1/rides/stats?district_id={}", cast.rieder),
        &cast.dispatcher.access,
    )
    .await
    .json();
    assert_eq!(stats["total"], 3, "{stats}");
}

#[tokio::test]
async fn a_driver_erasing_their_account_gives_their_rides_back() {
    let (app, cast) = spawn_cast().await;
    let id = cast.booked(&app, 180).await;
    step_ok(&app, &cast.driver, &id, "accept").await;
    erase(&app, &cast.driver).await;
    let ride = ride_as(&app, &cast.dispatcher, &id).await;
    assert_eq!(ride["status"], "requested", "{ride}");
    assert_eq!(ride["driver_id"], Value::Null, "{ride}");
    assert_eq!(
        ride["pickup_address"], "Lindenstraße 4",
        "the rider's ride is intact"
    );
    let rider_told = inbox_texts(&app, &cast.rider).await;
    assert!(
        rider_told.iter().any(|t| t.contains("neuen Fahrer")),
        "{rider_told:?}"
    );
}

#[tokio::test]
async fn the_export_holds_rides_as_rider_and_as_driver_and_the_followed_shops() {
    let (app, cast) = spawn_cast().await;
    let id = cast.booked(&app, 180).await;
    step_ok(&app, &cast.driver, &id, "accept").await;
    let shop = insert_shop(&app, &cast.rieder).await;
    let followed = send_empty(
        &app,
        poem::http::Method::PUT,
        &format!("/api/v1/shops/{shop}/follow"),
        Some(&cast.rider.access),
    )
    .await;
    assert!(followed.status.is_success(), "{}", followed.text);

    let export = get_as(&app, "/api/v1/me/export", &cast.rider.access)
        .await
        .json();
    let rides = export["rides"].as_array().expect("rides");
    assert_eq!(rides.len(), 1, "{export}");
    assert_eq!(rides[0]["id"], id.as_str());
    assert_eq!(rides[0]["pickup_address"], "Lindenstraße 4");
    assert_eq!(rides[0]["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        export["followed_shops"][0]["shop_id"],
        shop.as_str(),
        "{export}"
    );

    let theirs = get_as(&app, "/api/v1/me/export", &cast.driver.access)
        .await
        .json();
    assert_eq!(
        theirs["rides"][0]["id"],
        id.as_str(),
        "the driver's part: {theirs}"
    );
    let others = get_as(&app, "/api/v1/me/export", &cast.second_driver.access)
        .await
        .json();
    assert_eq!(others["rides"], json!([]), "{others}");
}

#[tokio::test]
async fn the_old_delete_form_still_works_for_a_release_and_is_marked_deprecated() {
    let (app, cast) = spawn_cast().await;
    let wrong = post_json(
        &app,
        "/api/v1/me/delete",
        Some(&cast.resident.access),
        json!({"password": "nicht das Passwort"}),
    )
    .await;
    assert_invalid_field(&wrong, "password");
    let old = delete_json(
        &app,
        "/api/v1/me",
        Some(&cast.resident.access),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(old.status, 204, "{}", old.text);
    let spec = app.get("/openapi.json").await.json();
    assert_eq!(spec["paths"]["/api/v1/me"]["delete"]["deprecated"], true);
    assert!(spec["paths"]["/api/v1/me/delete"]["post"].is_object());
}
