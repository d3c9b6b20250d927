//! Ride helpers: a valid booking, the steps of a ride, its history and notices.

use chrono::{DateTime, Duration, Utc};
use entity::notice;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::{Reply, Session, TestApp, get_as, post_json, rfc3339, test_epoch};

/// A moment `minutes` after the start of the test clock.
pub fn at(minutes: i64) -> DateTime<Utc> {
    test_epoch() + Duration::minutes(minutes)
}

/// A plain, valid booking from Rieder, picked up `minutes` after the test epoch.
pub fn ride(district: &str, minutes: i64) -> Value {
    json!({
        "pickup_district_id": district,
        "pickup_address": "Lindenstraße 4",
        "destination": "Hausarztpraxis Dr. Krause, Ballenstedt",
        "purpose": "medical",
        "pickup_at": rfc3339(at(minutes)),
        "flexibility_minutes": 15,
        "passengers": 1,
        "mobility_aids": ["walker"],
        "notes": "Bitte klingeln, ich brauche etwas Zeit.",
        "contact_phone": "039483 1234",
    })
}

pub async fn book_reply(app: &TestApp, session: &Session, body: &Value) -> Reply {
    post_json(app, "/api/v1/rides", Some(&session.access), body.clone()).await
}

/// Books as `session`; the booking must succeed. Returns the ride.
pub async fn book(app: &TestApp, session: &Session, body: &Value) -> Value {
    let reply = book_reply(app, session, body).await;
    assert_eq!(reply.status, 201, "book {body}: {}", reply.text);
    reply.json()
}

pub fn ride_path(id: &str) -> String {
    format!("/api/v1/rides/{id}")
}

/// POST /rides/{id}/{step} with a JSON body (`{}` for the steps that take none).
pub async fn step(app: &TestApp, session: &Session, id: &str, action: &str, body: Value) -> Reply {
    post_json(
        app,
        &format!("/api/v1/rides/{id}/{action}"),
        Some(&session.access),
        body,
    )
    .await
}

/// A step that must succeed; returns the ride.
pub async fn step_ok(app: &TestApp, session: &Session, id: &str, action: &str) -> Value {
    let reply = step(app, session, id, action, json!({})).await;
    assert_eq!(reply.status, 200, "{action} {id}: {}", reply.text);
    reply.json()
}

pub async fn get_ride(app: &TestApp, session: &Session, id: &str) -> Reply {
    get_as(app, &ride_path(id), &session.access).await
}

/// The ride as `session` sees it; must be visible.
pub async fn ride_as(app: &TestApp, session: &Session, id: &str) -> Value {
    let reply = get_ride(app, session, id).await;
    assert_eq!(reply.status, 200, "get {id}: {}", reply.text);
    reply.json()
}

/// Asserts 409 `conflict` whose detail names `status`.
#[track_caller]
pub fn assert_conflict(reply: &Reply, status: &str) {
    let body = reply.assert_problem(409, "conflict");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(status),
        "detail should name {status}: {body}"
    );
}

/// The (status, actor_role) pairs of a ride's history.
pub fn history(ride: &Value) -> Vec<(String, String)> {
    ride["events"]
        .as_array()
        .unwrap_or_else(|| panic!("events: {ride}"))
        .iter()
        .map(|e| {
            (
                e["status"].as_str().unwrap_or_default().to_owned(),
                e["actor_role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// Every notice of this kind written so far.
pub async fn notices(app: &TestApp, kind: &str) -> Vec<notice::Model> {
    notice::Entity::find()
        .filter(notice::Column::Kind.eq(kind))
        .all(&app.state.db)
        .await
        .expect("notices")
}

/// The `ride_update` notices addressed to this user.
pub async fn updates_for(app: &TestApp, session: &Session) -> Vec<notice::Model> {
    let user = uuid::Uuid::parse_str(&session.user_id).expect("user id");
    notices(app, "ride_update")
        .await
        .into_iter()
        .filter(|n| n.audience_kind.as_str() == "user" && n.audience_ref == Some(user))
        .collect()
}

/// The users that `ride_update` notices went to so far, sorted.
pub async fn update_recipients(app: &TestApp) -> Vec<String> {
    let mut users: Vec<String> = notices(app, "ride_update")
        .await
        .into_iter()
        .map(|n| {
            assert_eq!(n.audience_kind.as_str(), "user", "{n:?}");
            assert_eq!(n.urgency.as_str(), "high", "{n:?}");
            n.audience_ref.map(|u| u.to_string()).unwrap_or_default()
        })
        .collect();
    users.sort();
    users
}

pub fn sorted(list: &[&Session]) -> Vec<String> {
    let mut users: Vec<String> = list.iter().map(|s| s.user_id.clone()).collect();
    users.sort();
    users
}
