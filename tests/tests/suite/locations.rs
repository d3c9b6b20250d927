//! A `201 Created` says where the new resource can be read (`Location`), and reading it there
//! gives the same resource.

use serde_json::{Value, json};

use crate::support::{
    Reply, Session, TestApp, book_reply, district_id, get_as, item, post_json, ride, spawn_cast,
    unique_email,
};

/// The `Location` of a 201 answer; reading it as `session` gives the created resource.
async fn check_location(app: &TestApp, session: &Session, created: Reply, id_at: &str) {
    assert_eq!(created.status, 201, "{}", created.text);
    let location = created
        .header("location")
        .unwrap_or_else(|| panic!("no Location on {}", created.text))
        .to_owned();
    let read = get_as(app, &location, &session.access).await;
    assert_eq!(read.status, 200, "GET {location}: {}", read.text);
    let body: Value = created.json();
    assert_eq!(
        read.json().pointer(id_at),
        body.pointer(id_at),
        "{location} is not what was created"
    );
}

#[tokio::test]
async fn every_created_resource_says_where_it_can_be_read() {
    let (app, cast) = spawn_cast().await;
    let rieder = district_id(&app, "rieder").await;
    let admin = &cast.admin;

    let news = post_json(
        &app,
        "/api/v1/news",
        Some(&admin.access),
        item("Dorffest", &[&rieder]),
    )
    .await;
    check_location(&app, admin, news, "/id").await;

    let district = post_json(
        &app,
        "/api/v1/districts",
        Some(&admin.access),
        json!({"slug": "neudorf", "name": "Neudorf"}),
    )
    .await;
    check_location(&app, admin, district, "/id").await;

    let shop = post_json(
        &app,
        "/api/v1/shops",
        Some(&admin.access),
        json!({"name": "Hofladen", "district_id": rieder, "address": "Dorfstraße 7"}),
    )
    .await;
    check_location(&app, admin, shop, "/id").await;

    let booked = book_reply(&app, &cast.rider, &ride(&rieder, 24 * 60)).await;
    check_location(&app, &cast.rider, booked, "/id").await;

    let registered = post_json(
        &app,
        "/api/v1/auth/register",
        None,
        json!({"email": unique_email("ort"), "password": "Sommer-im-Harz-42",
               "display_name": "Ida Ort"}),
    )
    .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert_eq!(registered.header("location"), Some("/api/v1/me"));
    let body = registered.json();
    let token = body["tokens"]["access_token"].as_str().unwrap_or_default();
    let me = get_as(&app, "/api/v1/me", token).await;
    assert_eq!(
        me.json()["id"],
        body["user"]["id"],
        "/api/v1/me is the new account"
    );
}
