//! PATCH has three states on every resource: a field left out stays, `null` clears it (only
//! where clearing makes sense, and then the schema says `nullable`), a value sets it. A `null`
//! for a field that cannot be cleared is a 422 naming the field, and nothing changes.

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, Session, TestApp, admin, assert_invalid_field, create_shop, district_id, get_as,
    id_of, item, patch_json, post_json, register, rfc3339, spawn_with_admin, test_epoch,
    unique_email, user_with_role,
};

/// One resource: where it is changed, where it is read (and where in that answer), a field
/// that may be cleared with a value for it, and a field that may not be cleared.
struct Resource<'a> {
    patch: String,
    read: String,
    pointer: &'a str,
    clearable: (&'a str, Value),
    fixed: &'a str,
}

async fn read(app: &TestApp, editor: &Session, resource: &Resource<'_>) -> Value {
    let reply = get_as(app, &resource.read, &editor.access).await;
    assert_eq!(reply.status, 200, "{}: {}", resource.read, reply.text);
    reply
        .json()
        .pointer(resource.pointer)
        .cloned()
        .unwrap_or_else(|| panic!("{} has nothing at {}", reply.text, resource.pointer))
}

async fn patch_ok(app: &TestApp, editor: &Session, resource: &Resource<'_>, body: Value) {
    let reply = patch_json(app, &resource.patch, Some(&editor.access), body.clone()).await;
    assert_eq!(
        reply.status, 200,
        "{} {body}: {}",
        resource.patch, reply.text
    );
}

async fn three_states(app: &TestApp, editor: &Session, resource: Resource<'_>) {
    let (field, value) = &resource.clearable;
    // A value sets it.
    patch_ok(app, editor, &resource, json!({ *field: value })).await;
    let set = read(app, editor, &resource).await;
    assert!(
        !set[*field].is_null(),
        "{}: {field} was not set: {set}",
        resource.patch
    );
    // Left out, it stays.
    patch_ok(app, editor, &resource, json!({})).await;
    assert_eq!(read(app, editor, &resource).await[*field], set[*field]);
    // A null for a field that cannot be cleared: 422 naming it, nothing changed.
    let refused = patch_json(
        app,
        &resource.patch,
        Some(&editor.access),
        json!({ resource.fixed: null, *field: null }),
    )
    .await;
    assert_invalid_field(&refused, resource.fixed);
    let errors = refused.json()["errors"].clone();
    assert_eq!(
        errors.as_array().map(Vec::len),
        Some(1),
        "only {} is at fault: {errors}",
        resource.fixed
    );
    let unchanged = read(app, editor, &resource).await;
    assert_eq!(
        unchanged, set,
        "{}: a refused PATCH changed something",
        resource.patch
    );
    // `null` clears it.
    patch_ok(app, editor, &resource, json!({ *field: null })).await;
    let cleared = read(app, editor, &resource).await;
    assert!(
        cleared[*field].is_null(),
        "{}: {field} was not cleared: {cleared}",
        resource.patch
    );
    assert_eq!(cleared[resource.fixed], set[resource.fixed]);
}

#[tokio::test]
async fn patch_has_three_states_on_every_resource() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let later = |days| rfc3339(test_epoch() + Duration::days(days));

    // The own account.
    let resident = register(&app, &unique_email("patch"), PASSWORD).await;
    three_states(
        &app,
        &resident,
        Resource {
            patch: "/api/v1/me".into(),
            read: "/api/v1/me".into(),
            pointer: "",
            clearable: ("phone", json!("039483 1234")),
            fixed: "display_name",
        },
    )
    .await;

    // A district.
    three_states(
        &app,
        &admin,
        Resource {
            patch: format!("/api/v1/districts/{rieder}"),
            read: format!("/api/v1/districts/{rieder}"),
            pointer: "",
            clearable: ("description", json!("Am Fuß des Harzes.")),
            fixed: "slug",
        },
    )
    .await;

    // A news item.
    let news = post_json(
        &app,
        "/api/v1/news",
        Some(&admin.access),
        item("Dorffest", &[&rieder]),
    )
    .await;
    assert_eq!(news.status, 201, "{}", news.text);
    let news = id_of(&news.json());
    three_states(
        &app,
        &admin,
        Resource {
            patch: format!("/api/v1/news/{news}"),
            read: format!("/api/v1/news/{news}"),
            pointer: "",
            clearable: ("expires_at", json!(later(30))),
            fixed: "title",
        },
    )
    .await;

    // A shop, changed by its operator.
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    three_states(
        &app,
        &operator,
        Resource {
            patch: format!("/api/v1/shops/{shop}"),
            read: format!("/api/v1/shops/{shop}"),
            pointer: "",
            clearable: ("website", json!("https://dorfladen.example")),
            fixed: "name",
        },
    )
    .await;

    // A shop notice (read back from the shop's list, where it is the only one).
    let notice = post_json(
        &app,
        &format!("/api/v1/shops/{shop}/notices"),
        Some(&operator.access),
        json!({"kind": "offer", "title": "Spargel", "body": "Ab Donnerstag."}),
    )
    .await;
    assert_eq!(notice.status, 201, "{}", notice.text);
    let notice = id_of(&notice.json());
    three_states(
        &app,
        &operator,
        Resource {
            patch: format!("/api/v1/shops/{shop}/notices/{notice}"),
            read: format!("/api/v1/shops/{shop}/notices"),
            pointer: "/items/0",
            clearable: ("valid_until", json!(later(7))),
            fixed: "title",
        },
    )
    .await;
}

#[tokio::test]
async fn a_null_inside_a_replaced_value_still_means_absent() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let starts = rfc3339(test_epoch() + Duration::days(3));
    let news = post_json(
        &app,
        "/api/v1/news",
        Some(&admin.access),
        json!({"title": "Dorffest", "body": "Am Samstag.", "category": "event",
               "district_ids": [rieder], "event": {"starts_at": starts}}),
    )
    .await;
    assert_eq!(news.status, 201, "{}", news.text);
    let path = format!("/api/v1/news/{}", id_of(&news.json()));
    let reply = patch_json(
        &app,
        &path,
        Some(&admin.access),
        json!({"event": {"starts_at": starts, "ends_at": null, "location": "Festwiese"}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["event"]["location"], "Festwiese");
}
