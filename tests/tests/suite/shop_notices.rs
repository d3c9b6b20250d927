//! Shop notices (offers, new stock, closures, events) and following shops: who may post them,
//! which ones residents see when, and that `notify` hands them to the shop's followers.

use chrono::{DateTime, Duration, Utc};
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, Reply, Session, TestApp, admin, assert_invalid_field, create_shop, delete_json,
    district_id, get_anonymous, id_of, ids, instant, is_utc_timestamp, patch_json, post_json,
    register, send_empty, spawn_with_admin, test_epoch, user_with_role,
};

/// Whole seconds (`support::rfc3339` writes fractions when there are any).
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn post_notice(app: &TestApp, token: Option<&str>, shop: &str, body: Value) -> Reply {
    post_json(app, &format!("/api/v1/shops/{shop}/notices"), token, body).await
}

/// Posts a notice as `session`; it must be created.
async fn notice(app: &TestApp, session: &Session, shop: &str, body: Value) -> Value {
    let reply = post_notice(app, Some(&session.access), shop, body.clone()).await;
    assert_eq!(reply.status, 201, "post notice {body}: {}", reply.text);
    reply.json()
}

fn simple(title: &str) -> Value {
    json!({"kind": "offer", "title": title, "body": "Nur diese Woche."})
}

/// The ids listed at `path` (public, no token).
async fn listed(app: &TestApp, path: &str) -> Vec<String> {
    let reply = get_anonymous(app, path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    ids(&reply.json())
}

#[tokio::test]
async fn an_operator_posts_a_notice_that_anyone_sees_at_the_shop_and_in_its_district() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;

    let until = test_epoch() + Duration::days(7);
    let created = notice(
        &app,
        &operator,
        &shop,
        json!({
            "kind": "new_stock",
            "title": "Frischer Spargel",
            "body": "Aus Badeborn, ab heute im Laden.",
            "valid_until": rfc3339(until),
            "notify": false,
        }),
    )
    .await;
    assert!(uuid::Uuid::parse_str(&id_of(&created)).is_ok(), "{created}");
    assert_eq!(created["shop_id"], shop.as_str());
    assert_eq!(created["kind"], "new_stock");
    assert_eq!(created["title"], "Frischer Spargel");
    assert_eq!(created["body"], "Aus Badeborn, ab heute im Laden.");
    assert!(created["valid_from"].is_null(), "{created}");
    assert!(is_utc_timestamp(&created["valid_until"]), "{created}");
    assert_eq!(instant(&created["valid_until"]), Some(until));
    assert!(is_utc_timestamp(&created["created_at"]), "{created}");
    assert!(is_utc_timestamp(&created["updated_at"]), "{created}");

    let reply = get_anonymous(&app, &format!("/api/v1/shops/{shop}/notices")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["items"], json!([created.clone()]));
    assert!(reply.json()["next_cursor"].is_null());

    let reply = get_anonymous(&app, &format!("/api/v1/shop-notices?district_id={rieder}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["items"], json!([created.clone()]));
    assert!(
        listed(
            &app,
            &format!("/api/v1/shop-notices?district_id={badeborn}")
        )
        .await
        .is_empty()
    );
    assert_eq!(
        listed(&app, "/api/v1/shop-notices").await,
        [id_of(&created)]
    );
}

#[tokio::test]
async fn every_notice_kind_is_accepted_and_bad_notices_are_rejected_by_field() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);

    for kind in ["offer", "new_stock", "closure", "event", "info"] {
        let created = notice(
            &app,
            &admin,
            &shop,
            json!({"kind": kind, "title": kind, "body": "Text"}),
        )
        .await;
        assert_eq!(created["kind"], kind);
    }
    let from = test_epoch() + Duration::days(1);
    let valid = json!({"kind": "offer", "title": "Angebot", "body": "Text"});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let window = |from: DateTime<Utc>, until: DateTime<Utc>| {
        let mut body = valid.clone();
        body["valid_from"] = json!(rfc3339(from));
        body["valid_until"] = json!(rfc3339(until));
        body
    };
    let cases = [
        (with("kind", json!("sale")), "kind"),
        (with("kind", json!("")), "kind"),
        (with("title", json!("")), "title"),
        (with("title", json!("x".repeat(201))), "title"),
        (with("body", json!("")), "body"),
        (with("body", json!("x".repeat(5001))), "body"),
        (window(from, from), "valid_until"),
        (window(from, from - Duration::hours(1)), "valid_until"),
    ];
    for (body, field) in cases {
        let reply = post_notice(&app, Some(&admin.access), &shop, body.clone()).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    // The limits themselves are fine.
    notice(
        &app,
        &admin,
        &shop,
        json!({"kind": "info", "title": "x".repeat(200), "body": "y".repeat(5000)}),
    )
    .await;
    let reply = get_anonymous(&app, &format!("/api/v1/shops/{shop}/notices?limit=100")).await;
    assert_eq!(ids(&reply.json()).len(), 6, "{}", reply.text);
}

/// One app, every role that matters: who may post, edit and delete a shop's notices.
#[tokio::test]
async fn only_admins_and_the_shops_own_operator_manage_its_notices() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let other_shop = id_of(&create_shop(&app, &admin, &rieder, "Hofladen Meier").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    let foreign = user_with_role(&app, &admin, "shop_operator", None, Some(&other_shop)).await;
    let leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;
    let resident = register(&app, "uwe@example.org", PASSWORD).await;

    let existing = id_of(&notice(&app, &operator, &shop, simple("Von der Betreiberin")).await);
    let path = format!("/api/v1/shops/{shop}/notices/{existing}");
    for (who, session) in [
        ("operator of another shop", &foreign),
        ("district_leader", &leader),
        ("resident", &resident),
    ] {
        let token = Some(session.access.as_str());
        let reply = post_notice(&app, token, &shop, simple("Fremd")).await;
        assert_eq!(reply.status, 403, "{who} posts: {}", reply.text);
        reply.assert_problem(403, "forbidden");
        let reply = patch_json(&app, &path, token, json!({"title": "Fremd"})).await;
        assert_eq!(reply.status, 403, "{who} edits: {}", reply.text);
        reply.assert_problem(403, "forbidden");
        let reply = delete_json(&app, &path, token, None).await;
        assert_eq!(reply.status, 403, "{who} deletes: {}", reply.text);
        reply.assert_problem(403, "forbidden");
    }
    post_notice(&app, None, &shop, simple("Anonym"))
        .await
        .assert_problem(401, "unauthorized");
    patch_json(&app, &path, None, json!({"title": "Anonym"}))
        .await
        .assert_problem(401, "unauthorized");
    delete_json(&app, &path, None, None)
        .await
        .assert_problem(401, "unauthorized");
    let list_path = format!("/api/v1/shops/{shop}/notices");
    assert_eq!(
        listed(&app, &list_path).await,
        std::slice::from_ref(&existing)
    );
    let reply = get_anonymous(&app, &list_path).await;
    assert_eq!(reply.json()["items"][0]["title"], "Von der Betreiberin");

    // The operator edits, the admin posts and deletes.
    let reply = patch_json(
        &app,
        &path,
        Some(&operator.access),
        json!({"title": "Geändert"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let by_admin = id_of(&notice(&app, &admin, &shop, simple("Von der Verwaltung")).await);
    let reply = delete_json(&app, &path, Some(&admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let reply = delete_json(
        &app,
        &format!("/api/v1/shops/{shop}/notices/{by_admin}"),
        Some(&operator.access),
        None,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(listed(&app, &list_path).await.is_empty());
}

#[tokio::test]
async fn a_notice_is_edited_and_deleted_only_under_its_own_shop() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let other_shop = id_of(&create_shop(&app, &admin, &rieder, "Hofladen Meier").await);
    let from = test_epoch() - Duration::hours(1);
    let until = test_epoch() + Duration::days(2);
    let created = notice(
        &app,
        &admin,
        &shop,
        json!({
            "kind": "offer",
            "title": "Erdbeeren",
            "body": "Das Kilo für 5 Euro.",
            "valid_from": rfc3339(from),
            "valid_until": rfc3339(until),
        }),
    )
    .await;
    let id = id_of(&created);
    let path = format!("/api/v1/shops/{shop}/notices/{id}");
    let token = Some(admin.access.as_str());

    app.clock.advance(Duration::minutes(3));
    let reply = patch_json(
        &app,
        &path,
        token,
        json!({"kind": "event", "title": "Erdbeerfest", "valid_until": null}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let edited = reply.json();
    assert_eq!(edited["kind"], "event");
    assert_eq!(edited["title"], "Erdbeerfest");
    assert_eq!(edited["body"], "Das Kilo für 5 Euro.");
    assert_eq!(instant(&edited["valid_from"]), Some(from));
    assert!(edited["valid_until"].is_null(), "{edited}");
    assert_eq!(edited["created_at"], created["created_at"]);
    assert_ne!(edited["updated_at"], created["updated_at"]);
    let reply = get_anonymous(&app, &format!("/api/v1/shops/{shop}/notices")).await;
    assert_eq!(reply.json()["items"], json!([edited.clone()]));

    // A patch is checked like a new notice, also against the stored values.
    let reply = patch_json(&app, &path, token, json!({"kind": "sale"})).await;
    assert_invalid_field(&reply, "kind");
    let reply = patch_json(&app, &path, token, json!({"title": ""})).await;
    assert_invalid_field(&reply, "title");
    let reply = patch_json(
        &app,
        &path,
        token,
        json!({"valid_until": rfc3339(from - Duration::hours(1))}),
    )
    .await;
    assert_invalid_field(&reply, "valid_until");

    // Under another shop's path the notice does not exist.
    let wrong = format!("/api/v1/shops/{other_shop}/notices/{id}");
    patch_json(&app, &wrong, token, json!({"title": "Falsch"}))
        .await
        .assert_problem(404, "not_found");
    delete_json(&app, &wrong, token, None)
        .await
        .assert_problem(404, "not_found");
    let unknown = format!("/api/v1/shops/{shop}/notices/{}", uuid::Uuid::now_v7());
    patch_json(&app, &unknown, token, json!({"title": "Falsch"}))
        .await
        .assert_problem(404, "not_found");
    delete_json(&app, &unknown, token, None)
        .await
        .assert_problem(404, "not_found");

    let reply = delete_json(&app, &path, token, None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    assert!(
        listed(&app, &format!("/api/v1/shops/{shop}/notices"))
            .await
            .is_empty()
    );
    assert!(listed(&app, "/api/v1/shop-notices").await.is_empty());
    delete_json(&app, &path, token, None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn only_currently_valid_notices_are_listed_and_they_come_and_go_with_the_clock() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let start = test_epoch();

    let always = id_of(&notice(&app, &admin, &shop, simple("Immer")).await);
    app.clock.advance(Duration::minutes(1));
    let ends = start + Duration::hours(2);
    let short = id_of(
        &notice(
            &app,
            &admin,
            &shop,
            json!({"kind": "offer", "title": "Nur heute", "body": "Schnell sein.",
                   "valid_until": rfc3339(ends)}),
        )
        .await,
    );
    app.clock.advance(Duration::minutes(1));
    let begins = start + Duration::days(1);
    let later = id_of(
        &notice(
            &app,
            &admin,
            &shop,
            json!({"kind": "closure", "title": "Betriebsferien", "body": "Ab morgen zu.",
                   "valid_from": rfc3339(begins)}),
        )
        .await,
    );
    let expired_before = id_of(
        &notice(
            &app,
            &admin,
            &shop,
            json!({"kind": "event", "title": "Gestern", "body": "Vorbei.",
                   "valid_from": rfc3339(start - Duration::days(2)),
                   "valid_until": rfc3339(start - Duration::days(1))}),
        )
        .await,
    );

    let shop_list = format!("/api/v1/shops/{shop}/notices");
    let district_list = format!("/api/v1/shop-notices?district_id={rieder}");
    let check = |expected: Vec<String>, when: &'static str| {
        let app = &app;
        let shop_list = shop_list.clone();
        let district_list = district_list.clone();
        async move {
            assert_eq!(listed(app, &shop_list).await, expected, "shop list {when}");
            assert_eq!(
                listed(app, &district_list).await,
                expected,
                "district list {when}"
            );
        }
    };
    // Newest first; the future one and the expired one are not shown.
    check(vec![short.clone(), always.clone()], "at the start").await;
    assert!(!listed(&app, "/api/v1/shop-notices").await.contains(&later));
    assert!(
        !listed(&app, "/api/v1/shop-notices")
            .await
            .contains(&expired_before)
    );

    // Exactly at valid_until the notice is gone.
    app.clock.set(ends - Duration::seconds(1));
    check(vec![short.clone(), always.clone()], "just before the end").await;
    app.clock.set(ends);
    check(vec![always.clone()], "at valid_until").await;

    // Exactly at valid_from the notice appears.
    app.clock.set(begins - Duration::seconds(1));
    check(vec![always.clone()], "just before the start").await;
    app.clock.set(begins);
    check(vec![later.clone(), always.clone()], "at valid_from").await;
    app.clock.advance(Duration::days(30));
    check(vec![later, always], "a month later").await;
}

#[tokio::test]
async fn notices_are_paged_newest_first_and_filtered_by_district() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let rieder_a = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let rieder_b = id_of(&create_shop(&app, &admin, &rieder, "Hofladen Rieder").await);
    let badeborn_shop = id_of(&create_shop(&app, &admin, &badeborn, "Badeborner Laden").await);

    let mut in_rieder = Vec::new();
    let mut all = Vec::new();
    for (i, shop) in [&rieder_a, &rieder_b, &badeborn_shop, &rieder_a, &rieder_b]
        .into_iter()
        .enumerate()
    {
        app.clock.advance(Duration::minutes(1));
        let id = id_of(&notice(&app, &admin, shop, simple(&format!("Nummer {i}"))).await);
        if shop != &badeborn_shop {
            in_rieder.push(id.clone());
        }
        all.push(id);
    }
    in_rieder.reverse();
    all.reverse();

    // Page through Rieder two at a time.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut path = format!("/api/v1/shop-notices?district_id={rieder}&limit=2");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let reply = get_anonymous(&app, &path).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let page = reply.json();
        assert!(ids(&page).len() <= 2, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, in_rieder, "newest first, each once");
    assert_eq!(listed(&app, "/api/v1/shop-notices").await, all);
    let shop_a: Vec<String> = in_rieder
        .iter()
        .filter(|id| [&all[1], &all[4]].contains(id))
        .cloned()
        .collect();
    assert_eq!(
        listed(&app, &format!("/api/v1/shops/{rieder_a}/notices")).await,
        shop_a
    );
    let page = get_anonymous(&app, &format!("/api/v1/shops/{rieder_a}/notices?limit=1")).await;
    let page = page.json();
    assert_eq!(ids(&page), [shop_a[0].clone()]);
    let next = page["next_cursor"].as_str().expect("a second page");
    let page = get_anonymous(
        &app,
        &format!("/api/v1/shops/{rieder_a}/notices?limit=1&cursor={next}"),
    )
    .await
    .json();
    assert_eq!(ids(&page), [shop_a[1].clone()]);
    assert!(page["next_cursor"].is_null(), "{page}");
}

#[tokio::test]
async fn anyone_signed_in_may_follow_and_unfollow_a_shop_as_often_as_they_like() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let resident = register(&app, "uwe@example.org", PASSWORD).await;
    let path = format!("/api/v1/shops/{shop}/follow");
    let token = Some(resident.access.as_str());

    for method in [
        Method::PUT,
        Method::PUT,
        Method::DELETE,
        Method::DELETE,
        Method::PUT,
    ] {
        let reply = send_empty(&app, method.clone(), &path, token).await;
        assert_eq!(reply.status, 204, "{method} follow: {}", reply.text);
        assert!(reply.text.is_empty());
    }
    send_empty(&app, Method::PUT, &path, None)
        .await
        .assert_problem(401, "unauthorized");
    send_empty(&app, Method::DELETE, &path, None)
        .await
        .assert_problem(401, "unauthorized");
    let unknown = format!("/api/v1/shops/{}/follow", uuid::Uuid::now_v7());
    send_empty(&app, Method::PUT, &unknown, token)
        .await
        .assert_problem(404, "not_found");
    send_empty(&app, Method::DELETE, &unknown, token)
        .await
        .assert_problem(404, "not_found");
}

/// Rows in `notice` addressed to the followers of `shop`.
async fn follower_notices(app: &TestApp, shop: &str) -> u64 {
    use entity::notice::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let shop = uuid::Uuid::parse_str(shop).expect("shop id");
    Entity::find()
        .filter(Column::Kind.eq("shop_notice"))
        .filter(Column::AudienceKind.eq("shop_followers"))
        .filter(Column::AudienceRef.eq(shop))
        .count(&app.state.db)
        .await
        .expect("query the notice table")
}

#[tokio::test]
async fn a_notice_with_notify_goes_to_the_shops_followers_and_one_without_does_not() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let other_shop = id_of(&create_shop(&app, &admin, &rieder, "Hofladen Meier").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    let follower = register(&app, "uwe@example.org", PASSWORD).await;
    for s in [&shop, &other_shop] {
        let reply = send_empty(
            &app,
            Method::PUT,
            &format!("/api/v1/shops/{s}/follow"),
            Some(&follower.access),
        )
        .await;
        assert_eq!(reply.status, 204, "{}", reply.text);
    }

    let mut quiet = simple("Leise");
    quiet["notify"] = json!(false);
    notice(&app, &operator, &shop, quiet).await;
    notice(&app, &admin, &other_shop, simple("Ohne notify")).await;
    let mut loud = simple("Laut");
    loud["notify"] = json!(true);
    notice(&app, &operator, &shop, loud).await;

    // The hand-over may happen in the background: wait for it a little.
    let mut count = 0;
    for _ in 0..50 {
        count = follower_notices(&app, &shop).await;
        if count > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(count, 1, "exactly one notice for the followers of the shop");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        follower_notices(&app, &shop).await,
        1,
        "notify=false sent nothing"
    );
    assert_eq!(
        follower_notices(&app, &other_shop).await,
        0,
        "no notify, no notice"
    );
}

#[tokio::test]
async fn a_cached_notice_list_is_not_served_after_a_notice_has_expired() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    notice(
        &app,
        &admin,
        &shop,
        json!({"kind": "offer", "title": "Nur heute", "body": "Schnell sein.",
               "valid_until": rfc3339(test_epoch() + Duration::hours(1))}),
    )
    .await;
    for path in [
        format!("/api/v1/shops/{shop}/notices"),
        format!("/api/v1/shop-notices?district_id={rieder}"),
    ] {
        app.clock.set(test_epoch());
        let first = get_anonymous(&app, &path).await;
        let etag = first
            .header("etag")
            .expect("ETag on a public list")
            .to_owned();
        let again = Reply::from(
            app.client
                .get(&path)
                .header("If-None-Match", &etag)
                .send()
                .await,
        )
        .await;
        assert_eq!(again.status, 304, "{path}");

        app.clock.advance(Duration::hours(2));
        let later = Reply::from(
            app.client
                .get(&path)
                .header("If-None-Match", &etag)
                .send()
                .await,
        )
        .await;
        assert_eq!(
            later.status, 200,
            "{path}: the list changed, the old tag must not match"
        );
        assert_eq!(later.json()["items"], json!([]));
    }
}
