//! Quotas where a person's real need ends (security review, issue 16): each is 429
//! `rate_limited` with `Retry-After` and a text saying which, frees up when its window moves
//! on, and is kept in the database (shared by all instances).

use chrono::Duration;
use serde_json::json;

use crate::support::*;

/// Asserts a quota answer and returns its `Retry-After` in seconds.
#[track_caller]
fn refused(reply: &Reply) -> u64 {
    reply.assert_problem(429, "rate_limited");
    reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After: {:?}", reply.headers))
}

#[tokio::test]
async fn a_rider_has_a_ceiling_of_open_rides_but_the_desk_may_book_beyond_it() {
    let (app, cast) = spawn_cast_with(|s| s.quota_open_rides_per_rider = 4).await;
    for n in 0..4 {
        book(&app, &cast.rider, &ride(&cast.rieder, 120 + n * 60)).await;
    }
    let reply = book_reply(&app, &cast.rider, &ride(&cast.rieder, 600)).await;
    let wait = refused(&reply);
    assert!(
        (1..=120 * 60).contains(&wait),
        "free when the first is picked up: {wait}"
    );
    // Another rider is not affected; the desk books for this one all the same.
    assert_eq!(
        book_reply(&app, &cast.neighbour, &ride(&cast.rieder, 600))
            .await
            .status,
        201
    );
    let mut for_her = ride(&cast.rieder, 660);
    for_her["rider_user_id"] = json!(cast.rider.user_id);
    let reply = book_reply(&app, &cast.dispatcher, &for_her).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    // Cancelled rides no longer count (the desk's booking for her does: she has 5 open).
    let mine = ids(
        &get_as(&app, "/api/v1/rides?scope=mine", &cast.rider.access)
            .await
            .json(),
    );
    for id in &mine[..2] {
        step_ok(&app, &cast.rider, id, "cancel").await;
    }
    assert_eq!(
        book_reply(&app, &cast.rider, &ride(&cast.rieder, 700))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn test_pushes_are_limited_per_hour() {
    let app = TestApp::spawn_with(|s| s.quota_test_pushes_per_hour = 3).await;
    let anna = register(&app, &unique_email("anna"), PASSWORD).await;
    for _ in 0..3 {
        let reply = post_json(&app, "/api/v1/push/test", Some(&anna.access), json!({})).await;
        assert_eq!(reply.status, 202, "{}", reply.text);
    }
    let reply = post_json(&app, "/api/v1/push/test", Some(&anna.access), json!({})).await;
    let wait = refused(&reply);
    assert!((1..=3600).contains(&wait), "{wait}");
    app.clock.advance(Duration::minutes(61));
    let mut anna = anna;
    renew(&app, &mut anna).await;
    let reply = post_json(&app, "/api/v1/push/test", Some(&anna.access), json!({})).await;
    assert_eq!(reply.status, 202, "the hour has passed: {}", reply.text);
}

#[tokio::test]
async fn registrations_from_one_address_are_limited_per_hour() {
    let app = TestApp::spawn_with(|s| s.quota_registrations_per_address_per_hour = 5).await;
    for n in 0..5 {
        register(&app, &format!("dorf-{n}@example.org"), PASSWORD).await;
    }
    let reply = register_reply(
        &app,
        json!({"email": "dorf-6@example.org", "password": PASSWORD, "display_name": "Sechs"}),
    )
    .await;
    refused(&reply);
    app.clock.advance(Duration::minutes(61));
    register(&app, "dorf-6@example.org", PASSWORD).await;
}

#[tokio::test]
async fn news_per_author_are_limited_per_hour() {
    let (app, cast) = spawn_cast_with(|s| s.quota_news_per_author_per_hour = 3).await;
    for n in 0..3 {
        publish(
            &app,
            &cast.leader,
            item(&format!("Meldung {n}"), &[&cast.rieder]),
        )
        .await;
    }
    let reply = post_news(
        &app,
        Some(&cast.leader.access),
        item("Noch eine", &[&cast.rieder]),
    )
    .await;
    refused(&reply);
    // Another author is not affected.
    publish(
        &app,
        &cast.far_leader,
        item("Aus Badeborn", &[&cast.badeborn]),
    )
    .await;
}
