//! Lost-update protection on shared records: districts, shops and shop notices take `If-Match`
//! like news do. A change based on the version the editor read succeeds and answers the new
//! `ETag`; one based on an older version is refused with 412 and changes nothing; without the
//! header the change is made (v1 clients do not send it).

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Reply, Session, TestApp, admin, create_shop, district_id, get_anonymous, get_as, id_of,
    patch_json, post_json, send, spawn_with_admin, user_with_role,
};

async fn with_if_match(
    app: &TestApp,
    method: Method,
    session: &Session,
    path: &str,
    etag: &str,
    body: Option<Value>,
) -> Reply {
    send(
        app,
        method,
        path,
        Some(&session.access),
        &[("If-Match", etag)],
        body.as_ref(),
    )
    .await
}

fn etag(reply: &Reply) -> String {
    reply
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag on {}: {}", reply.status, reply.text))
        .to_owned()
}

/// The same sequence for a resource with a public `GET`: edit on the read version, edit on the
/// stale one (refused, nothing changed), edit without the header.
async fn check_versions(app: &TestApp, editor: &Session, path: &str, field: &str) {
    let read = get_anonymous(app, path).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let first = etag(&read);

    let changed = with_if_match(
        app,
        Method::PATCH,
        editor,
        path,
        &first,
        Some(json!({ field: "Zweite Fassung" })),
    )
    .await;
    assert_eq!(changed.status, 200, "{path}: {}", changed.text);
    let second = etag(&changed);
    assert_ne!(second, first, "{path}: a change makes a new version");
    let reread = get_anonymous(app, path).await;
    assert_eq!(
        etag(&reread),
        second,
        "{path}: the answer's ETag is the one GET gives"
    );

    // Another editor still holds the first version: refused, nothing changes.
    let stale = with_if_match(
        app,
        Method::PATCH,
        editor,
        path,
        &first,
        Some(json!({ field: "Überschrieben" })),
    )
    .await;
    stale.assert_problem(412, "precondition_failed");
    let after = get_anonymous(app, path).await;
    assert_eq!(after.json()[field], "Zweite Fassung", "{path}");
    assert_eq!(etag(&after), second, "{path}");

    // A weak tag never matches (strong comparison, RFC 9110 §13.1.1).
    with_if_match(
        app,
        Method::PATCH,
        editor,
        path,
        &format!("W/{second}"),
        Some(json!({ field: "Schwach" })),
    )
    .await
    .assert_problem(412, "precondition_failed");

    // Without If-Match the change is made, as before.
    let plain = patch_json(
        app,
        path,
        Some(&editor.access),
        json!({ field: "Dritte Fassung" }),
    )
    .await;
    assert_eq!(plain.status, 200, "{path}: {}", plain.text);
    assert_eq!(plain.json()[field], "Dritte Fassung");
}

#[tokio::test]
async fn a_district_edit_on_a_stale_version_is_refused() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let district = district_id(&app, "rieder").await;
    check_versions(
        &app,
        &admin,
        &format!("/api/v1/districts/{district}"),
        "name",
    )
    .await;
}

#[tokio::test]
async fn a_shop_edit_on_a_stale_version_is_refused_for_operators_too() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let district = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &district, "Dorfladen").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    check_versions(&app, &operator, &format!("/api/v1/shops/{shop}"), "name").await;
}

#[tokio::test]
async fn a_notice_changed_meanwhile_is_neither_overwritten_nor_deleted() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let district = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &district, "Dorfladen").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    let created = post_json(
        &app,
        &format!("/api/v1/shops/{shop}/notices"),
        Some(&operator.access),
        json!({"kind": "offer", "title": "Erdbeeren", "body": "Aus Ballenstedt."}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/api/v1/shops/{shop}/notices/{}", id_of(&created.json()));

    // The list carries no tags; a change without If-Match answers the version.
    let first = patch_json(
        &app,
        &path,
        Some(&operator.access),
        json!({"title": "Erdbeeren, 1 kg"}),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first = etag(&first);
    // The admin changes it on that version.
    let second = with_if_match(
        &app,
        Method::PATCH,
        &admin,
        &path,
        &first,
        Some(json!({"body": "Aus Ballenstedt, frisch gepflückt."})),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let second = etag(&second);

    // The operator, still on the first version, can neither overwrite nor delete it.
    with_if_match(
        &app,
        Method::PATCH,
        &operator,
        &path,
        &first,
        Some(json!({"title": "Überschrieben"})),
    )
    .await
    .assert_problem(412, "precondition_failed");
    with_if_match(&app, Method::DELETE, &operator, &path, &first, None)
        .await
        .assert_problem(412, "precondition_failed");
    let listed = get_as(
        &app,
        &format!("/api/v1/shops/{shop}/notices"),
        &operator.access,
    )
    .await;
    let items = listed.json()["items"].clone();
    assert_eq!(items[0]["title"], "Erdbeeren, 1 kg", "{items}");
    assert_eq!(items[0]["body"], "Aus Ballenstedt, frisch gepflückt.");

    // On the current version the deletion goes through.
    let deleted = with_if_match(&app, Method::DELETE, &operator, &path, &second, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let listed = get_anonymous(&app, &format!("/api/v1/shops/{shop}/notices")).await;
    assert_eq!(listed.json()["items"], json!([]));
}
