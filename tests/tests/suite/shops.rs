//! Village shops (Dorfläden): created by admins, read by anyone, edited by admins and the shop's
//! own operator; lists by district with cursors; ETags.

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, Reply, TestApp, admin, assert_invalid_field, create_shop, district_id, get_anonymous,
    id_of, ids, is_utc_timestamp, patch_json, post_json, put_json, read_shop, register, send_empty,
    spawn_with_admin, user_with_role,
};

async fn get_with_etag(app: &TestApp, path: &str, etag: &str) -> Reply {
    Reply::from(
        app.client
            .get(path)
            .header("If-None-Match", etag)
            .send()
            .await,
    )
    .await
}

#[tokio::test]
async fn an_admin_creates_a_shop_that_anyone_can_read_without_signing_in() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let reply = post_json(
        &app,
        "/api/v1/shops",
        Some(&admin.access),
        json!({
            "name": "Dorfladen Rieder",
            "district_id": rieder,
            "address": "Hauptstraße 1, 06493 Ballenstedt OT Rieder",
            "phone": "039483 1234",
            "email": "laden@rieder.example",
            "website": "https://rieder.example/laden",
            "description": "Brötchen, Milch und ein Schwatz.",
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let shop = reply.json();
    let id = id_of(&shop);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{shop}");
    assert_eq!(shop["name"], "Dorfladen Rieder");
    assert_eq!(shop["district_id"], rieder.as_str());
    assert_eq!(
        shop["address"],
        "Hauptstraße 1, 06493 Ballenstedt OT Rieder"
    );
    assert_eq!(shop["phone"], "039483 1234");
    assert_eq!(shop["email"], "laden@rieder.example");
    assert_eq!(shop["website"], "https://rieder.example/laden");
    assert_eq!(shop["description"], "Brötchen, Milch und ein Schwatz.");
    assert_eq!(shop["opening_hours"], json!([]), "{shop}");
    assert_eq!(shop["special_days"], json!([]), "{shop}");
    assert_eq!(shop["open_now"], false, "no hours: never open: {shop}");
    assert!(shop["next_change_at"].is_null(), "never opens: {shop}");
    assert!(is_utc_timestamp(&shop["created_at"]), "{shop}");
    assert!(is_utc_timestamp(&shop["updated_at"]), "{shop}");

    // Anyone reads it, alone and in the list.
    let single = get_anonymous(&app, &format!("/api/v1/shops/{id}")).await;
    assert_eq!(single.status, 200, "{}", single.text);
    assert_eq!(single.json(), shop);
    let list = get_anonymous(&app, "/api/v1/shops").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json()["items"], json!([shop]));
    assert!(list.json()["next_cursor"].is_null(), "{}", list.text);

    // Optional fields may be left out: they come back as null.
    let bare = create_shop(&app, &admin, &rieder, "Hofladen Schmidt").await;
    for field in ["phone", "email", "website", "description"] {
        assert!(
            bare.get(field).is_some_and(Value::is_null),
            "{field}: {bare}"
        );
    }
}

#[tokio::test]
async fn a_shop_needs_a_name_an_address_and_a_known_district() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let valid = json!({"name": "Dorfladen", "district_id": rieder, "address": "Hauptstraße 1"});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("name", json!("")), "name"),
        (with("name", json!("x".repeat(201))), "name"),
        (with("address", json!("")), "address"),
        (with("address", json!("x".repeat(301))), "address"),
        (
            with("district_id", json!(uuid::Uuid::now_v7().to_string())),
            "district_id",
        ),
    ];
    for (body, field) in cases {
        let reply = post_json(&app, "/api/v1/shops", Some(&admin.access), body.clone()).await;
        assert_invalid_field(&reply, field);
    }
    // The limits themselves are fine.
    let reply = post_json(
        &app,
        "/api/v1/shops",
        Some(&admin.access),
        json!({"name": "x".repeat(200), "district_id": rieder, "address": "y".repeat(300)}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    // Nothing invalid was stored.
    let list = get_anonymous(&app, "/api/v1/shops").await.json();
    assert_eq!(ids(&list).len(), 1, "{list}");
}

/// One app, every role: who may create, edit and schedule a shop.
#[tokio::test]
async fn only_admins_create_shops_and_only_admins_or_its_own_operator_edit_one() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let other_shop = id_of(&create_shop(&app, &admin, &rieder, "Hofladen Meier").await);

    let resident = register(&app, "uwe@example.org", PASSWORD).await;
    let leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;
    let dispatcher = user_with_role(&app, &admin, "dispatcher", None, None).await;
    let driver = user_with_role(&app, &admin, "driver", Some(&rieder), None).await;
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    let foreign_operator =
        user_with_role(&app, &admin, "shop_operator", None, Some(&other_shop)).await;

    let create_body = json!({"name": "Neuer Laden", "district_id": rieder, "address": "Weg 2"});
    let shop_path = format!("/api/v1/shops/{shop}");
    let hours_path = format!("{shop_path}/opening-hours");
    let days_path = format!("{shop_path}/special-days");
    let hours = json!([{"weekday": 2, "opens": "08:00", "closes": "12:00"}]);
    let days = json!([{"date": "2026-12-24", "closed": true, "note": "Heiligabend"}]);

    // No one but the admin creates shops.
    for (who, session) in [
        ("resident", &resident),
        ("district_leader", &leader),
        ("dispatcher", &dispatcher),
        ("driver", &driver),
        ("shop_operator", &operator),
    ] {
        let reply = post_json(
            &app,
            "/api/v1/shops",
            Some(&session.access),
            create_body.clone(),
        )
        .await;
        assert_eq!(reply.status, 403, "{who} creates a shop: {}", reply.text);
        reply.assert_problem(403, "forbidden");
    }
    post_json(&app, "/api/v1/shops", None, create_body.clone())
        .await
        .assert_problem(401, "unauthorized");

    // Editing: the operator of another shop and every other role are refused.
    for (who, session) in [
        ("resident", &resident),
        ("district_leader", &leader),
        ("dispatcher", &dispatcher),
        ("driver", &driver),
        ("operator of another shop", &foreign_operator),
    ] {
        let token = Some(session.access.as_str());
        let reply = patch_json(&app, &shop_path, token, json!({"name": "Gekapert"})).await;
        assert_eq!(reply.status, 403, "{who} edits: {}", reply.text);
        reply.assert_problem(403, "forbidden");
        let reply = put_json(&app, &hours_path, token, hours.clone()).await;
        assert_eq!(reply.status, 403, "{who} sets hours: {}", reply.text);
        reply.assert_problem(403, "forbidden");
        let reply = put_json(&app, &days_path, token, days.clone()).await;
        assert_eq!(reply.status, 403, "{who} sets special days: {}", reply.text);
        reply.assert_problem(403, "forbidden");
    }
    patch_json(&app, &shop_path, None, json!({"name": "Gekapert"}))
        .await
        .assert_problem(401, "unauthorized");
    put_json(&app, &hours_path, None, hours.clone())
        .await
        .assert_problem(401, "unauthorized");
    put_json(&app, &days_path, None, days.clone())
        .await
        .assert_problem(401, "unauthorized");
    let untouched = read_shop(&app, &shop).await;
    assert_eq!(untouched["name"], "Dorfladen Rieder");
    assert_eq!(untouched["opening_hours"], json!([]));
    assert_eq!(untouched["special_days"], json!([]));

    // The shop's own operator edits it, but may not move it to another district.
    let token = Some(operator.access.as_str());
    let reply = patch_json(&app, &shop_path, token, json!({"phone": "039483 999"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["phone"], "039483 999");
    let reply = patch_json(&app, &shop_path, token, json!({"district_id": badeborn})).await;
    reply.assert_problem(403, "forbidden");
    assert_eq!(read_shop(&app, &shop).await["district_id"], rieder.as_str());
    let reply = put_json(&app, &hours_path, token, hours.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["opening_hours"], hours);
    let reply = put_json(&app, &days_path, token, days.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["special_days"][0]["date"], "2026-12-24");
    // ...and cannot touch the other shop.
    let reply = patch_json(
        &app,
        &format!("/api/v1/shops/{other_shop}"),
        token,
        json!({"name": "Gekapert"}),
    )
    .await;
    reply.assert_problem(403, "forbidden");

    // The admin may do everything, including moving the shop.
    let token = Some(admin.access.as_str());
    let reply = patch_json(&app, &shop_path, token, json!({"district_id": badeborn})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["district_id"], badeborn.as_str());
    let reply = put_json(&app, &hours_path, token, json!([])).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = put_json(&app, &days_path, token, json!([])).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = post_json(&app, "/api/v1/shops", token, create_body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn editing_a_shop_changes_only_the_fields_sent_and_null_clears_optional_ones() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let reply = post_json(
        &app,
        "/api/v1/shops",
        Some(&admin.access),
        json!({
            "name": "Dorfladen Rieder",
            "district_id": rieder,
            "address": "Hauptstraße 1",
            "phone": "039483 1234",
            "email": "laden@rieder.example",
            "website": "https://rieder.example",
            "description": "Alles da.",
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let before = reply.json();
    let path = format!("/api/v1/shops/{}", id_of(&before));

    app.clock.advance(chrono::Duration::minutes(5));
    let reply = patch_json(
        &app,
        &path,
        Some(&admin.access),
        json!({"name": "Dorfladen Rieder eG", "phone": null, "description": null}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let after = reply.json();
    assert_eq!(after["name"], "Dorfladen Rieder eG");
    assert!(after["phone"].is_null(), "{after}");
    assert!(after["description"].is_null(), "{after}");
    assert_eq!(after["address"], "Hauptstraße 1");
    assert_eq!(after["email"], "laden@rieder.example");
    assert_eq!(after["website"], "https://rieder.example");
    assert_eq!(after["district_id"], rieder.as_str());
    assert_eq!(after["created_at"], before["created_at"]);
    assert_ne!(after["updated_at"], before["updated_at"], "{after}");
    assert_eq!(read_shop(&app, &id_of(&before)).await, after);

    // Required fields cannot be emptied.
    let reply = patch_json(&app, &path, Some(&admin.access), json!({"name": ""})).await;
    assert_invalid_field(&reply, "name");
    let reply = patch_json(&app, &path, Some(&admin.access), json!({"address": ""})).await;
    assert_invalid_field(&reply, "address");
    let reply = patch_json(
        &app,
        &path,
        Some(&admin.access),
        json!({"district_id": uuid::Uuid::now_v7().to_string()}),
    )
    .await;
    assert_invalid_field(&reply, "district_id");
    assert_eq!(read_shop(&app, &id_of(&before)).await, after);
}

#[tokio::test]
async fn shops_are_listed_by_district_page_by_page_without_gaps_or_repeats() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let mut in_rieder = Vec::new();
    for name in [
        "Dorfladen",
        "Hofladen",
        "Bäckerei",
        "Fleischerei",
        "Getränke",
    ] {
        in_rieder.push(id_of(&create_shop(&app, &admin, &rieder, name).await));
    }
    let in_badeborn = id_of(&create_shop(&app, &admin, &badeborn, "Badeborner Laden").await);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut path = format!("/api/v1/shops?district_id={rieder}&limit=2");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let reply = get_anonymous(&app, &path).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let page = reply.json();
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 2, "{page}");
        seen.extend(page_ids);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut expected = in_rieder.clone();
    expected.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, expected, "every Rieder shop once: {seen:?}");
    assert!(!seen.contains(&in_badeborn));

    let reply = get_anonymous(&app, &format!("/api/v1/shops?district_id={badeborn}")).await;
    assert_eq!(ids(&reply.json()), std::slice::from_ref(&in_badeborn));
    let all = get_anonymous(&app, "/api/v1/shops?limit=100").await.json();
    assert_eq!(ids(&all).len(), 6, "{all}");

    // Bad paging parameters are the client's fault, not a crash.
    let reply = get_anonymous(&app, "/api/v1/shops?limit=0").await;
    assert_invalid_field(&reply, "limit");
    let reply = get_anonymous(&app, "/api/v1/shops?limit=101").await;
    assert_invalid_field(&reply, "limit");
    let reply = get_anonymous(&app, "/api/v1/shops?cursor=kaputt!").await;
    reply.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn unknown_shops_are_not_found_everywhere() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let token = Some(admin.access.as_str());
    let path = format!("/api/v1/shops/{}", uuid::Uuid::now_v7());
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    patch_json(&app, &path, token, json!({"name": "Neu"}))
        .await
        .assert_problem(404, "not_found");
    put_json(&app, &format!("{path}/opening-hours"), token, json!([]))
        .await
        .assert_problem(404, "not_found");
    put_json(&app, &format!("{path}/special-days"), token, json!([]))
        .await
        .assert_problem(404, "not_found");
    get_anonymous(&app, &format!("{path}/notices"))
        .await
        .assert_problem(404, "not_found");
    send_empty(&app, Method::PUT, &format!("{path}/follow"), token)
        .await
        .assert_problem(404, "not_found");
    send_empty(&app, Method::DELETE, &format!("{path}/follow"), token)
        .await
        .assert_problem(404, "not_found");
    get_anonymous(&app, "/api/v1/shops/not-a-uuid")
        .await
        .assert_problem(400, "bad_request");
}

#[tokio::test]
async fn shop_reads_carry_an_etag_that_changes_with_the_shop_and_with_open_now() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let single = format!("/api/v1/shops/{shop}");
    let list = format!("/api/v1/shops?district_id={rieder}");

    for path in [&single, &list] {
        let first = get_anonymous(&app, path).await;
        let etag = first.header("etag").expect("ETag").to_owned();
        let again = get_with_etag(&app, path, &etag).await;
        assert_eq!(again.status, 304, "{path}: {}", again.text);
        assert!(again.text.is_empty());
        assert_eq!(get_with_etag(&app, path, "\"stale\"").await.status, 200);
    }

    // Tuesday 2026-06-02, 10:00 local: the shop opens at 10:30 today.
    let reply = put_json(
        &app,
        &format!("{single}/opening-hours"),
        Some(&admin.access),
        json!([{"weekday": 2, "opens": "10:30", "closes": "18:00"}]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut tags = Vec::new();
    for path in [&single, &list] {
        let reply = get_anonymous(&app, path).await;
        tags.push(reply.header("etag").expect("etag").to_owned());
    }
    assert_eq!(read_shop(&app, &shop).await["open_now"], false);

    // An hour later the shop is open: a client holding the old tag must learn so.
    app.clock.advance(chrono::Duration::hours(1));
    for (path, tag) in [&single, &list].into_iter().zip(&tags) {
        let reply = get_with_etag(&app, path, tag).await;
        assert_eq!(
            reply.status, 200,
            "{path}: open_now changed, the old ETag must not match"
        );
        let body = reply.json();
        let open = if path == &single {
            body["open_now"].clone()
        } else {
            body["items"][0]["open_now"].clone()
        };
        assert_eq!(open, true, "{body}");
    }
}

async fn post_with_key(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Reply {
    Reply::from(
        app.client
            .post(path)
            .header("Authorization", format!("Bearer {token}"))
            .header("Idempotency-Key", key)
            .content_type("application/json")
            .body(body.to_string())
            .send()
            .await,
    )
    .await
}

#[tokio::test]
async fn a_retried_shop_or_notice_creation_with_the_same_idempotency_key_creates_one() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let body = json!({"name": "Dorfladen", "district_id": rieder, "address": "Hauptstraße 1"});
    let first = post_with_key(&app, "/api/v1/shops", &admin.access, "shop-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = post_with_key(&app, "/api/v1/shops", &admin.access, "shop-1", &body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.json()["id"], first.json()["id"]);
    let list = get_anonymous(&app, "/api/v1/shops").await.json();
    assert_eq!(ids(&list).len(), 1, "{list}");

    let shop = id_of(&first.json());
    let path = format!("/api/v1/shops/{shop}/notices");
    let notice = json!({"kind": "info", "title": "Neu", "body": "Text"});
    let first = post_with_key(&app, &path, &admin.access, "notice-1", &notice).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = post_with_key(&app, &path, &admin.access, "notice-1", &notice).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.json()["id"], first.json()["id"]);
    let list = get_anonymous(&app, &path).await.json();
    assert_eq!(ids(&list).len(), 1, "{list}");
}

#[tokio::test]
async fn an_operator_whose_role_is_revoked_can_no_longer_edit_the_shop() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    let path = format!("/api/v1/shops/{shop}");
    let token = Some(operator.access.as_str());
    let reply = patch_json(&app, &path, token, json!({"phone": "039483 1"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let user = crate::support::get_as(
        &app,
        &format!("/api/v1/users/{}", operator.user_id),
        &admin.access,
    )
    .await
    .json();
    let assignment = user["roles"]
        .as_array()
        .and_then(|roles| roles.iter().find(|r| r["role"] == "shop_operator"))
        .map(id_of)
        .unwrap_or_else(|| panic!("assignment: {user}"));
    let reply = crate::support::delete_json(
        &app,
        &format!("/api/v1/users/{}/roles/{assignment}", operator.user_id),
        Some(&admin.access),
        None,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    // The same, still unexpired access token.
    patch_json(&app, &path, token, json!({"phone": "039483 2"}))
        .await
        .assert_problem(403, "forbidden");
    put_json(&app, &format!("{path}/opening-hours"), token, json!([]))
        .await
        .assert_problem(403, "forbidden");
    post_json(
        &app,
        &format!("{path}/notices"),
        token,
        json!({"kind": "info", "title": "Noch da?", "body": "Text"}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(read_shop(&app, &shop).await["phone"], "039483 1");
}

#[tokio::test]
async fn malformed_schedules_are_client_errors_not_crashes() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let token = Some(admin.access.as_str());
    for (path, body) in [
        (
            "opening-hours",
            json!({"weekday": 1, "opens": "08:00", "closes": "12:00"}),
        ),
        ("opening-hours", json!([{"weekday": 1, "opens": "08:00"}])),
        (
            "opening-hours",
            json!([{"weekday": "Montag", "opens": "08:00", "closes": "12:00"}]),
        ),
        (
            "opening-hours",
            json!([{"weekday": 1, "opens": 8, "closes": 12}]),
        ),
        ("special-days", json!([{"date": "2026-12-24"}])),
        ("special-days", json!([{"date": 20261224, "closed": true}])),
        ("special-days", json!("geschlossen")),
    ] {
        let reply = put_json(
            &app,
            &format!("/api/v1/shops/{shop}/{path}"),
            token,
            body.clone(),
        )
        .await;
        assert!(
            [400, 422].contains(&reply.status.as_u16()),
            "{path} {body}: {} {}",
            reply.status,
            reply.text
        );
        let code = if reply.status == 400 {
            "bad_request"
        } else {
            "validation_failed"
        };
        reply.assert_problem(reply.status.as_u16(), code);
    }
    let stored = read_shop(&app, &shop).await;
    assert_eq!(stored["opening_hours"], json!([]));
    assert_eq!(stored["special_days"], json!([]));
}
