//! District news: who may publish where, what a valid item is, retries with an
//! `Idempotency-Key`, the push notice an item hands over when it goes live, scheduling and
//! drafts through the job queue, and edits guarded by `If-Match`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use domain::clock::Clock;
use entity::notice;
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Cast, Reply, Session, TestApp, assert_invalid_field, delete_json, district_id, district_set,
    error_fields, feed, get_anonymous, get_as, grant, id_of, ids, instant, is_utc_timestamp, item,
    news_notices, patch_json, path_of, post_news, publish, rfc3339, run_jobs, send, spawn_cast,
    test_epoch, user_with_role, with,
};

/// The notices whose data names this item.
async fn notices_of(app: &TestApp, id: &str) -> Vec<notice::Model> {
    news_notices(app)
        .await
        .into_iter()
        .filter(|n| serde_json::from_str::<Value>(&n.data).is_ok_and(|data| data["id"] == id))
        .collect()
}

impl Cast {
    /// Those who publish nothing: (name, session).
    fn bystanders(&self) -> [(&'static str, &Session); 5] {
        [
            ("resident", &self.resident),
            ("driver", &self.driver),
            ("dispatcher", &self.dispatcher),
            ("shop_operator", &self.operator),
            ("leader of another district", &self.far_leader),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Publishing.

#[tokio::test]
async fn a_district_leader_publishes_an_item_that_anyone_can_read_at_once() {
    let (app, cast) = spawn_cast().await;
    let markdown = "## Wasser\n\nAm **Montag** ist das Wasser *abgestellt*.\n\n- Hauptstraße\n- Kirchweg\n\n<b>kein HTML</b>  \n";
    let reply = post_news(
        &app,
        Some(&cast.leader.access),
        json!({
            "title": "Wasserabstellung",
            "body": markdown,
            "category": "announcement",
            "district_ids": [cast.rieder],
            "pinned": true,
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let etag = reply.header("etag").expect("ETag on create").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let created = reply.json();
    assert!(uuid::Uuid::parse_str(&id_of(&created)).is_ok(), "{created}");
    assert_eq!(created["title"], "Wasserabstellung");
    assert_eq!(created["body"], markdown, "the body is stored exactly");
    assert_eq!(created["category"], "announcement");
    assert_eq!(created["district_ids"], json!([cast.rieder]));
    assert_eq!(created["status"], "published");
    assert!(created["publish_at"].is_null(), "{created}");
    assert!(is_utc_timestamp(&created["published_at"]), "{created}");
    assert_eq!(instant(&created["published_at"]), Some(test_epoch()));
    assert!(created["expires_at"].is_null(), "{created}");
    assert_eq!(created["pinned"], true);
    assert_eq!(created["notify"], false);
    assert!(created["event"].is_null(), "{created}");
    assert!(is_utc_timestamp(&created["created_at"]), "{created}");
    assert!(is_utc_timestamp(&created["updated_at"]), "{created}");

    let id = id_of(&created);
    let read = get_anonymous(&app, &path_of(&id)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json(), created);
    assert!(read.header("etag").is_some(), "ETag on read");
    assert_eq!(feed(&app, "").await, vec![id.clone()]);
    assert_eq!(
        feed(&app, &format!("?district_id={}", cast.rieder)).await,
        [id]
    );
}

#[tokio::test]
async fn an_event_item_carries_its_time_and_place() {
    let (app, cast) = spawn_cast().await;
    let starts = test_epoch() + Duration::days(4);
    let ends = starts + Duration::hours(5);
    let created = publish(
        &app,
        &cast.admin,
        json!({
            "title": "Sommerfest",
            "body": "Kuchenspenden bitte an Frau Müller.",
            "category": "event",
            "district_ids": [cast.rieder],
            "event": {
                // Any offset is accepted; answers are in UTC.
                "starts_at": starts.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).expect("offset")).to_rfc3339(),
                "ends_at": rfc3339(ends),
                "location": "Dorfgemeinschaftshaus",
            },
        }),
    )
    .await;
    assert_eq!(created["category"], "event");
    assert_eq!(instant(&created["event"]["starts_at"]), Some(starts));
    assert_eq!(instant(&created["event"]["ends_at"]), Some(ends));
    assert!(
        is_utc_timestamp(&created["event"]["starts_at"]),
        "{created}"
    );
    assert_eq!(created["event"]["location"], "Dorfgemeinschaftshaus");

    // Only a start is enough.
    let minimal = publish(
        &app,
        &cast.admin,
        json!({
            "title": "Kirmes",
            "body": "Ab 14 Uhr.",
            "category": "event",
            "district_ids": [cast.rieder],
            "event": {"starts_at": rfc3339(starts)},
        }),
    )
    .await;
    assert_eq!(instant(&minimal["event"]["starts_at"]), Some(starts));
    assert!(minimal["event"]["ends_at"].is_null(), "{minimal}");
    assert!(minimal["event"]["location"].is_null(), "{minimal}");
}

#[tokio::test]
async fn a_publication_time_in_the_past_publishes_at_once() {
    let (app, cast) = spawn_cast().await;
    let earlier = test_epoch() - Duration::hours(3);
    let created = publish(
        &app,
        &cast.admin,
        with(
            &item("Nachgereicht", &[&cast.rieder]),
            "publish_at",
            json!(rfc3339(earlier)),
        ),
    )
    .await;
    assert_eq!(created["status"], "published");
    assert_eq!(instant(&created["publish_at"]), Some(earlier));
    assert_eq!(
        instant(&created["published_at"]),
        Some(test_epoch()),
        "it went live now, not in the past"
    );
    assert_eq!(feed(&app, "").await, [id_of(&created)]);
}

// ---------------------------------------------------------------------------------------------
// Who may publish, read, edit and delete.

#[tokio::test]
async fn anonymous_callers_must_sign_in_to_publish_edit_delete_or_list_their_own() {
    let (app, cast) = spawn_cast().await;
    let id = id_of(&publish(&app, &cast.admin, item("Bekannt", &[&cast.rieder])).await);
    post_news(&app, None, item("Anonym", &[&cast.rieder]))
        .await
        .assert_problem(401, "unauthorized");
    patch_json(&app, &path_of(&id), None, json!({"title": "Anonym"}))
        .await
        .assert_problem(401, "unauthorized");
    delete_json(&app, &path_of(&id), None, None)
        .await
        .assert_problem(401, "unauthorized");
    get_anonymous(&app, "/api/v1/news/mine")
        .await
        .assert_problem(401, "unauthorized");
    let read = get_anonymous(&app, &path_of(&id)).await;
    assert_eq!(read.json()["title"], "Bekannt", "{}", read.text);
    assert_eq!(feed(&app, "").await, [id]);
}

#[tokio::test]
async fn only_admins_and_district_leaders_of_the_named_districts_may_publish() {
    let (app, cast) = spawn_cast().await;
    for (who, session) in cast.bystanders() {
        let reply = post_news(
            &app,
            Some(&session.access),
            item(&format!("Von {who}"), &[&cast.rieder]),
        )
        .await;
        assert_eq!(reply.status, 403, "{who}: {}", reply.text);
        reply.assert_problem(403, "forbidden");
    }
    assert!(feed(&app, "").await.is_empty(), "nothing was published");

    let by_leader = publish(
        &app,
        &cast.leader,
        item("Vom Ortsbürgermeister", &[&cast.rieder]),
    )
    .await;
    let by_admin = publish(
        &app,
        &cast.admin,
        item("Von der Verwaltung", &[&cast.badeborn]),
    )
    .await;
    let listed = feed(&app, "").await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&id_of(&by_leader)) && listed.contains(&id_of(&by_admin)));
}

#[tokio::test]
async fn a_district_leader_cannot_publish_to_a_district_they_do_not_lead() {
    let (app, cast) = spawn_cast().await;
    let token = Some(cast.leader.access.as_str());
    for districts in [
        vec![cast.badeborn.as_str()],
        vec![cast.rieder.as_str(), cast.badeborn.as_str()],
    ] {
        post_news(&app, token, item("Übergriffig", &districts))
            .await
            .assert_problem(403, "forbidden");
    }
    assert!(feed(&app, "").await.is_empty());
}

#[tokio::test]
async fn only_an_admin_may_publish_to_the_whole_municipality() {
    let (app, cast) = spawn_cast().await;
    post_news(&app, Some(&cast.leader.access), item("Für alle", &[]))
        .await
        .assert_problem(403, "forbidden");
    let created = publish(&app, &cast.admin, item("Für alle", &[])).await;
    assert_eq!(created["district_ids"], json!([]));
    assert_eq!(feed(&app, "").await, [id_of(&created)]);
}

#[tokio::test]
async fn a_leader_of_two_districts_may_publish_to_both_at_once() {
    let (app, cast) = spawn_cast().await;
    let reply = grant(
        &app,
        &cast.admin,
        &cast.leader.user_id,
        json!({"role": "district_leader", "district_id": cast.badeborn}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let created = publish(
        &app,
        &cast.leader,
        item("Für beide", &[&cast.rieder, &cast.badeborn]),
    )
    .await;
    assert_eq!(
        district_set(&created),
        BTreeSet::from([cast.rieder.clone(), cast.badeborn.clone()])
    );
    // Still not the whole municipality, and not a third district.
    post_news(&app, Some(&cast.leader.access), item("Für alle", &[]))
        .await
        .assert_problem(403, "forbidden");
    let opperode = district_id(&app, "opperode").await;
    post_news(&app, Some(&cast.leader.access), item("Fremd", &[&opperode]))
        .await
        .assert_problem(403, "forbidden");
}

/// Every role against PATCH and DELETE of a published item of Rieder.
#[tokio::test]
async fn only_admins_and_leaders_of_the_items_district_edit_or_delete_a_published_item() {
    let (app, cast) = spawn_cast().await;
    let id = id_of(&publish(&app, &cast.admin, item("Original", &[&cast.rieder])).await);
    let path = path_of(&id);
    for (who, session) in cast.bystanders() {
        let token = Some(session.access.as_str());
        let reply = patch_json(&app, &path, token, json!({"title": "Fremd"})).await;
        assert_eq!(reply.status, 403, "{who} edits: {}", reply.text);
        reply.assert_problem(403, "forbidden");
        let reply = delete_json(&app, &path, token, None).await;
        assert_eq!(reply.status, 403, "{who} deletes: {}", reply.text);
        reply.assert_problem(403, "forbidden");
    }
    assert_eq!(get_anonymous(&app, &path).await.json()["title"], "Original");

    for (who, session, title) in [
        (
            "leader of the district",
            &cast.leader,
            "Vom Ortsbürgermeister",
        ),
        ("admin", &cast.admin, "Von der Verwaltung"),
    ] {
        let reply = patch_json(&app, &path, Some(&session.access), json!({"title": title})).await;
        assert_eq!(reply.status, 200, "{who}: {}", reply.text);
        assert_eq!(get_anonymous(&app, &path).await.json()["title"], title);
    }
    let reply = delete_json(&app, &path, Some(&cast.leader.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");

    let id = id_of(&publish(&app, &cast.leader, item("Zweites", &[&cast.rieder])).await);
    let reply = delete_json(&app, &path_of(&id), Some(&cast.admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(feed(&app, "").await.is_empty());
}

/// Every role against GET, PATCH and DELETE of a draft of Rieder written by its leader.
#[tokio::test]
async fn a_draft_exists_only_for_its_author_admins_and_the_leaders_of_its_districts() {
    let (app, cast) = spawn_cast().await;
    let co_leader = user_with_role(
        &app,
        &cast.admin,
        "district_leader",
        Some(&cast.rieder),
        None,
    )
    .await;
    let draft = publish(
        &app,
        &cast.leader,
        with(&item("Entwurf", &[&cast.rieder]), "draft", json!(true)),
    )
    .await;
    assert_eq!(draft["status"], "draft");
    assert!(draft["published_at"].is_null(), "{draft}");
    let path = path_of(&id_of(&draft));

    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    for (who, session) in cast.bystanders() {
        let token = Some(session.access.as_str());
        let reply = get_as(&app, &path, &session.access).await;
        assert_eq!(reply.status, 404, "{who} reads: {}", reply.text);
        reply.assert_problem(404, "not_found");
        let reply = patch_json(&app, &path, token, json!({"title": "Fremd"})).await;
        assert_eq!(reply.status, 404, "{who} edits: {}", reply.text);
        reply.assert_problem(404, "not_found");
        let reply = delete_json(&app, &path, token, None).await;
        assert_eq!(reply.status, 404, "{who} deletes: {}", reply.text);
        reply.assert_problem(404, "not_found");
    }
    for (who, session) in [
        ("author", &cast.leader),
        ("another leader of the district", &co_leader),
        ("admin", &cast.admin),
    ] {
        let reply = get_as(&app, &path, &session.access).await;
        assert_eq!(reply.status, 200, "{who} reads: {}", reply.text);
        assert_eq!(reply.json()["title"], "Entwurf");
        assert_eq!(reply.json()["status"], "draft");
    }
    let reply = patch_json(
        &app,
        &path,
        Some(&co_leader.access),
        json!({"title": "Überarbeitet"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "draft");
    assert!(
        feed(&app, "").await.is_empty(),
        "a draft is not in the feed"
    );
    let reply = delete_json(&app, &path, Some(&cast.admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    get_as(&app, &path, &cast.leader.access)
        .await
        .assert_problem(404, "not_found");
}

/// Every role against GET /news/mine: each sees exactly what they wrote.
#[tokio::test]
async fn my_news_lists_only_what_the_caller_wrote() {
    let (app, cast) = spawn_cast().await;
    let by_leader = id_of(
        &publish(
            &app,
            &cast.leader,
            item("Vom Ortsbürgermeister", &[&cast.rieder]),
        )
        .await,
    );
    app.clock.advance(Duration::seconds(5));
    let by_admin = id_of(
        &publish(
            &app,
            &cast.admin,
            item("Von der Verwaltung", &[&cast.rieder]),
        )
        .await,
    );
    app.clock.advance(Duration::seconds(5));
    let draft = id_of(
        &publish(
            &app,
            &cast.leader,
            with(&item("Entwurf", &[&cast.rieder]), "draft", json!(true)),
        )
        .await,
    );

    for (who, session) in cast.bystanders() {
        let reply = get_as(&app, "/api/v1/news/mine", &session.access).await;
        assert_eq!(reply.status, 200, "{who}: {}", reply.text);
        assert!(ids(&reply.json()).is_empty(), "{who}: {}", reply.text);
    }
    let reply = get_as(&app, "/api/v1/news/mine", &cast.leader.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(ids(&reply.json()), [draft, by_leader], "newest first");
    assert!(reply.json()["next_cursor"].is_null());
    let reply = get_as(&app, "/api/v1/news/mine", &cast.admin.access).await;
    assert_eq!(ids(&reply.json()), [by_admin]);
}

#[tokio::test]
async fn a_leader_of_only_one_district_of_a_two_district_item_may_neither_edit_nor_delete_it() {
    let (app, cast) = spawn_cast().await;
    let created = publish(
        &app,
        &cast.admin,
        item("Für Rieder und Badeborn", &[&cast.rieder, &cast.badeborn]),
    )
    .await;
    let path = path_of(&id_of(&created));
    for leader in [&cast.leader, &cast.far_leader] {
        let token = Some(leader.access.as_str());
        patch_json(&app, &path, token, json!({"title": "Nur meins"}))
            .await
            .assert_problem(403, "forbidden");
        delete_json(&app, &path, token, None)
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(get_anonymous(&app, &path).await.json(), created);
}

#[tokio::test]
async fn a_two_district_draft_is_seen_and_edited_only_by_a_leader_of_both_districts() {
    let (app, cast) = spawn_cast().await;
    let both = user_with_role(
        &app,
        &cast.admin,
        "district_leader",
        Some(&cast.rieder),
        None,
    )
    .await;
    let reply = grant(
        &app,
        &cast.admin,
        &both.user_id,
        json!({"role": "district_leader", "district_id": cast.badeborn}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let draft = publish(
        &app,
        &cast.admin,
        with(
            &item("Entwurf für zwei", &[&cast.rieder, &cast.badeborn]),
            "draft",
            json!(true),
        ),
    )
    .await;
    let path = path_of(&id_of(&draft));
    for leader in [&cast.leader, &cast.far_leader] {
        let token = Some(leader.access.as_str());
        get_as(&app, &path, &leader.access)
            .await
            .assert_problem(404, "not_found");
        patch_json(&app, &path, token, json!({"title": "Nur meins"}))
            .await
            .assert_problem(404, "not_found");
        delete_json(&app, &path, token, None)
            .await
            .assert_problem(404, "not_found");
    }
    let reply = get_as(&app, &path, &both.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = patch_json(&app, &path, Some(&both.access), json!({"draft": false})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "published");
    assert_eq!(feed(&app, "").await, [id_of(&draft)]);
}

#[tokio::test]
async fn only_an_admin_may_edit_or_delete_a_municipality_wide_item() {
    let (app, cast) = spawn_cast().await;
    let path = path_of(&id_of(
        &publish(&app, &cast.admin, item("Für alle", &[])).await,
    ));
    patch_json(
        &app,
        &path,
        Some(&cast.leader.access),
        json!({"title": "Nur Rieder"}),
    )
    .await
    .assert_problem(403, "forbidden");
    delete_json(&app, &path, Some(&cast.leader.access), None)
        .await
        .assert_problem(403, "forbidden");
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.admin.access),
        json!({"title": "Für alle!"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        get_anonymous(&app, &path).await.json()["title"],
        "Für alle!"
    );
}

#[tokio::test]
async fn a_district_leader_cannot_move_an_item_into_a_district_they_do_not_lead() {
    let (app, cast) = spawn_cast().await;
    let created = publish(&app, &cast.leader, item("Rieder", &[&cast.rieder])).await;
    let path = path_of(&id_of(&created));
    let token = Some(cast.leader.access.as_str());
    for districts in [
        json!([cast.rieder, cast.badeborn]),
        json!([cast.badeborn]),
        json!([]),
    ] {
        patch_json(&app, &path, token, json!({"district_ids": districts}))
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(get_anonymous(&app, &path).await.json(), created);
    assert!(
        feed(&app, &format!("?district_id={}", cast.badeborn))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_invalid_token_is_refused_even_where_no_token_is_needed() {
    let (app, cast) = spawn_cast().await;
    let path = path_of(&id_of(
        &publish(&app, &cast.admin, item("Öffentlich", &[&cast.rieder])).await,
    ));
    assert_eq!(get_anonymous(&app, &path).await.status, 200);
    get_as(&app, &path, "kein-gueltiges-token")
        .await
        .assert_problem(401, "unauthorized");
    get_anonymous(&app, &path_of(&uuid::Uuid::now_v7().to_string()))
        .await
        .assert_problem(404, "not_found");
}

// ---------------------------------------------------------------------------------------------
// Validation.

#[tokio::test]
async fn items_with_bad_texts_categories_or_districts_are_refused_by_field() {
    let (app, cast) = spawn_cast().await;
    let valid = item("Titel", &[&cast.rieder]);
    let unknown = uuid::Uuid::now_v7().to_string();
    let too_many: Vec<String> = (0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let cases = [
        (with(&valid, "title", json!("")), "title"),
        (with(&valid, "title", json!("   ")), "title"),
        (with(&valid, "title", json!("x".repeat(201))), "title"),
        (with(&valid, "body", json!("")), "body"),
        (with(&valid, "body", json!("x".repeat(20_001))), "body"),
        (with(&valid, "category", json!("gossip")), "category"),
        (
            with(&valid, "district_ids", json!([cast.rieder, unknown])),
            "district_ids[1]",
        ),
        (
            with(&valid, "district_ids", json!(too_many)),
            "district_ids",
        ),
        (
            {
                let mut body = valid.clone();
                body.as_object_mut().expect("object").remove("district_ids");
                body
            },
            "district_ids",
        ),
    ];
    for (body, field) in cases {
        let reply = post_news(&app, Some(&cast.admin.access), body.clone()).await;
        assert_eq!(reply.status, 422, "{field}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    assert!(feed(&app, "").await.is_empty(), "nothing was created");

    // The limits themselves are fine.
    let at_limits = publish(
        &app,
        &cast.admin,
        json!({
            "title": format!("  {}  ", "t".repeat(200)),
            "body": "b".repeat(20_000),
            "category": "warning",
            "district_ids": [cast.rieder],
        }),
    )
    .await;
    assert_eq!(at_limits["body"].as_str().map(str::len), Some(20_000));
}

#[tokio::test]
async fn items_with_bad_times_or_event_data_are_refused_by_field() {
    let (app, cast) = spawn_cast().await;
    let now = test_epoch();
    let valid = item("Titel", &[&cast.rieder]);
    let starts = now + Duration::days(3);
    let event = |event: Value| {
        let mut body = with(&valid, "category", json!("event"));
        body["event"] = event;
        body
    };
    let times = |publish_at: Option<DateTime<Utc>>, expires_at: DateTime<Utc>| {
        let mut body = valid.clone();
        if let Some(at) = publish_at {
            body["publish_at"] = json!(rfc3339(at));
        }
        body["expires_at"] = json!(rfc3339(expires_at));
        body
    };
    let cases = [
        (with(&valid, "category", json!("event")), "event"),
        (
            with(&valid, "event", json!({"starts_at": rfc3339(starts)})),
            "event",
        ),
        (
            event(json!({"starts_at": rfc3339(starts), "ends_at": rfc3339(starts)})),
            "event.ends_at",
        ),
        (
            event(json!({"starts_at": rfc3339(starts),
                         "ends_at": rfc3339(starts - Duration::hours(1))})),
            "event.ends_at",
        ),
        (
            event(json!({"starts_at": rfc3339(starts), "location": "x".repeat(201)})),
            "event.location",
        ),
        (times(None, now), "expires_at"),
        (times(None, now - Duration::hours(1)), "expires_at"),
        // A past publish_at means "now": expiry must still lie ahead.
        (
            times(Some(now - Duration::hours(3)), now - Duration::hours(1)),
            "expires_at",
        ),
        (
            times(Some(now + Duration::days(2)), now + Duration::days(1)),
            "expires_at",
        ),
        (
            times(Some(now + Duration::days(2)), now + Duration::days(2)),
            "expires_at",
        ),
        (
            with(
                &valid,
                "publish_at",
                json!(rfc3339(now + Duration::days(366) + Duration::seconds(1))),
            ),
            "publish_at",
        ),
    ];
    for (body, field) in cases {
        let reply = post_news(&app, Some(&cast.admin.access), body.clone()).await;
        assert_eq!(reply.status, 422, "{field}: {body}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    let token = Some(cast.admin.access.as_str());
    let reply = get_as(&app, "/api/v1/news/mine", &cast.admin.access).await;
    assert!(
        ids(&reply.json()).is_empty(),
        "nothing was created: {}",
        reply.text
    );

    // The edges that are allowed.
    let year = post_news(
        &app,
        token,
        with(
            &valid,
            "publish_at",
            json!(rfc3339(now + Duration::days(366))),
        ),
    )
    .await;
    assert_eq!(year.status, 201, "{}", year.text);
    assert_eq!(year.json()["status"], "scheduled");
    let later = post_news(&app, token, times(None, now + Duration::seconds(1))).await;
    assert_eq!(later.status, 201, "{}", later.text);
    let location = post_news(
        &app,
        token,
        event(json!({"starts_at": rfc3339(starts), "location": "x".repeat(200)})),
    )
    .await;
    assert_eq!(location.status, 201, "{}", location.text);
}

#[tokio::test]
async fn several_faults_are_named_in_one_answer() {
    let (app, cast) = spawn_cast().await;
    let reply = post_news(
        &app,
        Some(&cast.admin.access),
        json!({
            "title": " ",
            "body": "",
            "category": "event",
            "district_ids": [cast.rieder, uuid::Uuid::now_v7()],
            "expires_at": rfc3339(test_epoch() - Duration::days(1)),
        }),
    )
    .await;
    let problem = reply.assert_problem(422, "validation_failed");
    let fields: BTreeSet<String> = error_fields(&problem).into_iter().collect();
    for field in ["title", "body", "event", "district_ids[1]", "expires_at"] {
        assert!(fields.contains(field), "{field} missing in {fields:?}");
    }
}

#[tokio::test]
async fn a_district_leader_with_a_bad_item_hears_about_the_fault_before_the_district() {
    let (app, cast) = spawn_cast().await;
    let token = Some(cast.leader.access.as_str());
    let reply = post_news(
        &app,
        token,
        with(&item("x", &[&cast.rieder]), "title", json!("")),
    )
    .await;
    assert_invalid_field(&reply, "title");
    let reply = post_news(
        &app,
        token,
        with(&item("x", &[&cast.badeborn]), "title", json!("")),
    )
    .await;
    assert_invalid_field(&reply, "title");
    let unknown = uuid::Uuid::now_v7().to_string();
    let reply = post_news(&app, token, item("Wohin?", &[&unknown])).await;
    assert_invalid_field(&reply, "district_ids[0]");
}

#[tokio::test]
async fn a_district_named_twice_counts_once() {
    let (app, cast) = spawn_cast().await;
    let created = publish(
        &app,
        &cast.admin,
        item(
            "Doppelt",
            &[&cast.rieder, &cast.rieder, &cast.badeborn, &cast.rieder],
        ),
    )
    .await;
    let districts = created["district_ids"].as_array().expect("array").clone();
    assert_eq!(districts.len(), 2, "{created}");
    assert_eq!(
        district_set(&created),
        BTreeSet::from([cast.rieder.clone(), cast.badeborn.clone()])
    );
    let id = id_of(&created);
    assert_eq!(feed(&app, "").await, vec![id.clone()]);
    assert_eq!(
        feed(&app, &format!("?district_id={}", cast.rieder)).await,
        [id]
    );
}

#[tokio::test]
async fn an_edit_is_checked_like_a_new_item() {
    let (app, cast) = spawn_cast().await;
    let created = publish(&app, &cast.admin, item("Gültig", &[&cast.rieder])).await;
    let path = path_of(&id_of(&created));
    let token = Some(cast.admin.access.as_str());
    for (patch, field) in [
        (json!({"title": ""}), "title"),
        (json!({"body": "x".repeat(20_001)}), "body"),
        (json!({"category": "event"}), "event"),
        (
            json!({"district_ids": [uuid::Uuid::now_v7()]}),
            "district_ids[0]",
        ),
        (
            json!({"expires_at": rfc3339(test_epoch() - Duration::minutes(1))}),
            "expires_at",
        ),
    ] {
        let reply = patch_json(&app, &path, token, patch.clone()).await;
        assert_eq!(reply.status, 422, "{patch}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    assert_eq!(get_anonymous(&app, &path).await.json(), created);
}

// ---------------------------------------------------------------------------------------------
// Idempotency.

async fn post_with_key(app: &TestApp, session: &Session, key: &str, body: &Value) -> Reply {
    send(
        app,
        Method::POST,
        "/api/v1/news",
        Some(&session.access),
        &[("Idempotency-Key", key)],
        Some(body),
    )
    .await
}

async fn my_ids(app: &TestApp, session: &Session) -> Vec<String> {
    let reply = get_as(app, "/api/v1/news/mine?limit=100", &session.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    ids(&reply.json())
}

#[tokio::test]
async fn a_retried_post_with_the_same_idempotency_key_creates_one_item() {
    let (app, cast) = spawn_cast().await;
    let body = with(&item("Einmal", &[&cast.rieder]), "notify", json!(true));
    let first = post_with_key(&app, &cast.leader, "nachricht-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    app.clock.advance(Duration::seconds(10));
    let again = post_with_key(&app, &cast.leader, "nachricht-1", &body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(id_of(&again.json()), id_of(&first.json()));
    assert_eq!(my_ids(&app, &cast.leader).await, [id_of(&first.json())]);
    assert_eq!(feed(&app, "").await, [id_of(&first.json())]);
    assert_eq!(news_notices(&app).await.len(), 1, "one push, not two");
}

#[tokio::test]
async fn the_same_idempotency_key_with_a_different_item_is_refused() {
    let (app, cast) = spawn_cast().await;
    let first = post_with_key(&app, &cast.admin, "k", &item("Erste", &[&cast.rieder])).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let other = post_with_key(&app, &cast.admin, "k", &item("Andere", &[&cast.rieder])).await;
    other.assert_problem(422, "validation_failed");
    assert_eq!(my_ids(&app, &cast.admin).await, [id_of(&first.json())]);
}

#[tokio::test]
async fn idempotency_keys_of_different_users_are_independent() {
    let (app, cast) = spawn_cast().await;
    let body = item("Gleicher Text", &[&cast.rieder]);
    let by_leader = post_with_key(&app, &cast.leader, "gleich", &body).await;
    assert_eq!(by_leader.status, 201, "{}", by_leader.text);
    let by_admin = post_with_key(&app, &cast.admin, "gleich", &body).await;
    assert_eq!(by_admin.status, 201, "{}", by_admin.text);
    assert_ne!(id_of(&by_leader.json()), id_of(&by_admin.json()));
    assert_eq!(feed(&app, "").await.len(), 2);
    assert_eq!(my_ids(&app, &cast.leader).await, [id_of(&by_leader.json())]);
    assert_eq!(my_ids(&app, &cast.admin).await, [id_of(&by_admin.json())]);
}

// ---------------------------------------------------------------------------------------------
// The push notice.

#[tokio::test]
async fn an_item_published_with_notify_writes_exactly_one_notice_for_its_districts() {
    let (app, cast) = spawn_cast().await;
    let created = publish(
        &app,
        &cast.admin,
        with(
            &item("Bürgersprechstunde", &[&cast.rieder, &cast.badeborn]),
            "notify",
            json!(true),
        ),
    )
    .await;
    assert_eq!(created["notify"], true);
    let id = id_of(&created);
    let notices = news_notices(&app).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    let n = &notices[0];
    assert_eq!(n.kind.as_str(), "news");
    assert_eq!(n.audience_kind.as_str(), "districts");
    let districts: BTreeSet<String> = serde_json::from_str(
        n.audience_districts
            .as_deref()
            .expect("districts of the audience"),
    )
    .expect("a JSON array");
    assert_eq!(
        districts,
        BTreeSet::from([cast.rieder.clone(), cast.badeborn.clone()])
    );
    assert_eq!(n.audience_category.as_deref(), Some("news"));
    assert_eq!(n.urgency.as_str(), "normal");
    let data: Value = serde_json::from_str(&n.data).expect("data is JSON");
    assert_eq!(data["type"], "news");
    assert_eq!(data["id"], id.as_str());

    // Edits after publication tell nobody again.
    let reply = patch_json(
        &app,
        &path_of(&id),
        Some(&cast.admin.access),
        json!({"title": "Bürgersprechstunde verschoben", "notify": true}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(news_notices(&app).await.len(), 1);
}

#[tokio::test]
async fn a_municipality_wide_warning_is_a_high_urgency_notice_for_everyone() {
    let (app, cast) = spawn_cast().await;
    let created = publish(
        &app,
        &cast.admin,
        json!({
            "title": "Unwetterwarnung",
            "body": "Sturmböen bis 100 km/h.",
            "category": "warning",
            "district_ids": [],
            "notify": true,
        }),
    )
    .await;
    let notices = notices_of(&app, &id_of(&created)).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    let n = &notices[0];
    assert_eq!(n.audience_kind.as_str(), "districts");
    let districts: Vec<String> =
        serde_json::from_str(n.audience_districts.as_deref().expect("districts")).expect("JSON");
    assert!(districts.is_empty(), "empty = the whole municipality");
    assert_eq!(n.audience_category.as_deref(), Some("warning"));
    assert_eq!(
        n.urgency.as_str(),
        "warning",
        "high urgency that passes quiet hours"
    );
}

#[tokio::test]
async fn items_without_notify_tell_nobody() {
    let (app, cast) = spawn_cast().await;
    publish(&app, &cast.admin, item("Still", &[&cast.rieder])).await;
    publish(
        &app,
        &cast.admin,
        with(&item("Auch still", &[]), "notify", json!(false)),
    )
    .await;
    let scheduled = with(
        &item("Später still", &[&cast.rieder]),
        "publish_at",
        json!(rfc3339(test_epoch() + Duration::hours(1))),
    );
    publish(&app, &cast.admin, scheduled).await;
    app.clock.advance(Duration::hours(2));
    run_jobs(&app).await;
    assert_eq!(feed(&app, "").await.len(), 3);
    assert!(news_notices(&app).await.is_empty());
}

#[tokio::test]
async fn a_scheduled_item_tells_residents_when_it_goes_live_and_what_it_says_then() {
    let (app, cast) = spawn_cast().await;
    let at = test_epoch() + Duration::hours(2);
    let created = publish(
        &app,
        &cast.leader,
        json!({
            "title": "Straßensperrung",
            "body": "Ab 10 Uhr.",
            "category": "announcement",
            "district_ids": [cast.rieder],
            "publish_at": rfc3339(at),
            "notify": true,
        }),
    )
    .await;
    assert_eq!(created["status"], "scheduled");
    let id = id_of(&created);
    assert!(news_notices(&app).await.is_empty(), "nothing at creation");
    app.clock.advance(Duration::minutes(10));
    run_jobs(&app).await;
    assert!(
        news_notices(&app).await.is_empty(),
        "nothing before its time"
    );
    // What the notice says is what the item says when it goes live.
    let reply = patch_json(
        &app,
        &path_of(&id),
        Some(&cast.leader.access),
        json!({"category": "warning"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "scheduled");
    assert!(news_notices(&app).await.is_empty(), "nothing at the edit");
    app.clock.set(at + Duration::minutes(1));
    run_jobs(&app).await;
    let notices = notices_of(&app, &id).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].audience_category.as_deref(), Some("warning"));
    assert_eq!(
        notices[0].urgency.as_str(),
        "warning",
        "high urgency that passes quiet hours"
    );
    app.clock.advance(Duration::hours(3));
    run_jobs(&app).await;
    assert_eq!(news_notices(&app).await.len(), 1, "and only once");
}

#[tokio::test]
async fn a_draft_with_notify_tells_residents_when_it_is_published() {
    let (app, mut cast) = spawn_cast().await;
    let mut body = with(&item("Entwurf", &[&cast.rieder]), "notify", json!(true));
    body["draft"] = json!(true);
    let id = id_of(&publish(&app, &cast.leader, body).await);
    app.clock.advance(Duration::days(1));
    cast.renew(&app).await;
    run_jobs(&app).await;
    assert!(news_notices(&app).await.is_empty());
    let reply = patch_json(
        &app,
        &path_of(&id),
        Some(&cast.leader.access),
        json!({"draft": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(notices_of(&app, &id).await.len(), 1);
}

#[tokio::test]
async fn a_deleted_scheduled_item_is_never_published_nor_announced() {
    let (app, mut cast) = spawn_cast().await;
    let at = test_epoch() + Duration::hours(1);
    let created = publish(
        &app,
        &cast.admin,
        json!({
            "title": "Zurückgezogen",
            "body": "Doch nicht.",
            "category": "warning",
            "district_ids": [cast.rieder],
            "publish_at": rfc3339(at),
            "notify": true,
        }),
    )
    .await;
    let path = path_of(&id_of(&created));
    let reply = delete_json(&app, &path, Some(&cast.admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    app.clock.set(at + Duration::minutes(5));
    cast.renew(&app).await;
    run_jobs(&app).await;
    assert!(news_notices(&app).await.is_empty());
    assert!(feed(&app, "").await.is_empty());
    get_as(&app, &path, &cast.admin.access)
        .await
        .assert_problem(404, "not_found");
}

// ---------------------------------------------------------------------------------------------
// Scheduling and drafts.

#[tokio::test]
async fn a_scheduled_item_stays_invisible_until_the_job_publishes_it_after_its_time() {
    let (app, mut cast) = spawn_cast().await;
    let at = test_epoch() + Duration::hours(2);
    let created = publish(
        &app,
        &cast.leader,
        with(
            &item("Vorab", &[&cast.rieder]),
            "publish_at",
            json!(rfc3339(at)),
        ),
    )
    .await;
    assert_eq!(created["status"], "scheduled");
    assert_eq!(instant(&created["publish_at"]), Some(at));
    assert!(created["published_at"].is_null(), "{created}");
    let id = id_of(&created);
    let path = path_of(&id);
    let rieder_feed = format!("?district_id={}", cast.rieder);

    let hidden = |when: &'static str, resident: String| {
        let (app, path, rieder_feed) = (&app, &path, &rieder_feed);
        async move {
            get_anonymous(app, path)
                .await
                .assert_problem(404, "not_found");
            let reply = get_as(app, path, &resident).await;
            assert_eq!(reply.status, 404, "resident {when}: {}", reply.text);
            assert!(feed(app, "").await.is_empty(), "feed {when}");
            assert!(
                feed(app, rieder_feed).await.is_empty(),
                "district feed {when}"
            );
        }
    };
    hidden("at once", cast.resident.access.clone()).await;
    let own = get_as(&app, &path, &cast.leader.access).await;
    assert_eq!(own.json()["status"], "scheduled", "{}", own.text);

    app.clock.set(at - Duration::seconds(1));
    run_jobs(&app).await;
    cast.renew(&app).await;
    hidden("a second before", cast.resident.access.clone()).await;

    // Its time has come, but only the job puts it live.
    app.clock.set(at + Duration::minutes(7));
    cast.renew(&app).await;
    hidden("before the job ran", cast.resident.access.clone()).await;
    run_jobs(&app).await;
    let reply = get_anonymous(&app, &path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let live = reply.json();
    assert_eq!(live["status"], "published");
    assert_eq!(
        instant(&live["published_at"]),
        Some(at + Duration::minutes(7)),
        "published_at is when it went live"
    );
    assert_eq!(feed(&app, "").await, vec![id.clone()]);
    assert_eq!(feed(&app, &rieder_feed).await, [id]);
}

#[tokio::test]
async fn a_draft_stays_unpublished_until_it_is_taken_out_of_draft() {
    let (app, mut cast) = spawn_cast().await;
    let draft = publish(
        &app,
        &cast.leader,
        with(&item("Entwurf", &[&cast.rieder]), "draft", json!(true)),
    )
    .await;
    let path = path_of(&id_of(&draft));
    app.clock.advance(Duration::days(2));
    cast.renew(&app).await;
    run_jobs(&app).await;
    assert!(feed(&app, "").await.is_empty());
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");

    let reply = patch_json(
        &app,
        &path,
        Some(&cast.leader.access),
        json!({"draft": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let live = reply.json();
    assert_eq!(live["status"], "published");
    assert_eq!(instant(&live["published_at"]), Some(app.clock.now()));
    assert_eq!(
        get_anonymous(&app, &path).await.json()["status"],
        "published"
    );
    assert_eq!(feed(&app, "").await, [id_of(&draft)]);
}

#[tokio::test]
async fn a_draft_with_a_future_time_is_scheduled_when_taken_out_of_draft() {
    let (app, mut cast) = spawn_cast().await;
    let at = test_epoch() + Duration::days(1);
    let mut body = with(
        &item("Für morgen", &[&cast.rieder]),
        "publish_at",
        json!(rfc3339(at)),
    );
    body["draft"] = json!(true);
    let draft = publish(&app, &cast.admin, body).await;
    assert_eq!(draft["status"], "draft");
    let path = path_of(&id_of(&draft));
    app.clock.set(at + Duration::minutes(1));
    run_jobs(&app).await;
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");

    // Back to today, then out of draft: scheduled, not live.
    app.clock.set(test_epoch() + Duration::hours(1));
    cast.renew(&app).await;
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.admin.access),
        json!({"draft": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "scheduled");
    run_jobs(&app).await;
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    app.clock.set(at);
    run_jobs(&app).await;
    assert_eq!(
        get_anonymous(&app, &path).await.json()["status"],
        "published"
    );
}

#[tokio::test]
async fn moving_the_publication_time_moves_when_an_item_goes_live() {
    let (app, cast) = spawn_cast().await;
    let start = test_epoch();
    let token = Some(cast.admin.access.as_str());
    let later = publish(
        &app,
        &cast.admin,
        with(
            &item("Später", &[&cast.rieder]),
            "publish_at",
            json!(rfc3339(start + Duration::hours(2))),
        ),
    )
    .await;
    let earlier = publish(
        &app,
        &cast.admin,
        with(
            &item("Früher", &[&cast.rieder]),
            "publish_at",
            json!(rfc3339(start + Duration::hours(6))),
        ),
    )
    .await;
    let (later, earlier) = (id_of(&later), id_of(&earlier));
    let reply = patch_json(
        &app,
        &path_of(&later),
        token,
        json!({"publish_at": rfc3339(start + Duration::hours(5))}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "scheduled");
    assert_eq!(
        instant(&reply.json()["publish_at"]),
        Some(start + Duration::hours(5))
    );
    let reply = patch_json(
        &app,
        &path_of(&earlier),
        token,
        json!({"publish_at": rfc3339(start + Duration::hours(1))}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    app.clock.set(start + Duration::hours(1));
    run_jobs(&app).await;
    assert_eq!(
        feed(&app, "").await,
        vec![earlier.clone()],
        "the earlier time publishes"
    );
    app.clock.set(start + Duration::hours(3));
    run_jobs(&app).await;
    assert_eq!(
        feed(&app, "").await,
        vec![earlier.clone()],
        "the old time does nothing"
    );
    app.clock.set(start + Duration::hours(5));
    run_jobs(&app).await;
    assert_eq!(feed(&app, "").await, [later.clone(), earlier.clone()]);
    app.clock.set(start + Duration::hours(7));
    run_jobs(&app).await;
    assert_eq!(feed(&app, "").await, [later, earlier]);
}

#[tokio::test]
async fn clearing_the_publication_time_of_a_scheduled_item_publishes_it_at_once() {
    let (app, cast) = spawn_cast().await;
    let at = test_epoch() + Duration::hours(3);
    let created = publish(
        &app,
        &cast.leader,
        with(
            &with(
                &item("Doch sofort", &[&cast.rieder]),
                "publish_at",
                json!(rfc3339(at)),
            ),
            "notify",
            json!(true),
        ),
    )
    .await;
    let id = id_of(&created);
    app.clock.advance(Duration::minutes(5));
    let reply = patch_json(
        &app,
        &path_of(&id),
        Some(&cast.leader.access),
        json!({"publish_at": null}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let live = reply.json();
    assert_eq!(live["status"], "published");
    assert!(live["publish_at"].is_null(), "{live}");
    assert_eq!(
        instant(&live["published_at"]),
        Some(test_epoch() + Duration::minutes(5))
    );
    assert_eq!(feed(&app, "").await, vec![id.clone()]);
    assert_eq!(notices_of(&app, &id).await.len(), 1);
    // The old time does nothing more.
    app.clock.set(at + Duration::minutes(1));
    run_jobs(&app).await;
    assert_eq!(notices_of(&app, &id).await.len(), 1, "told once");
    assert_eq!(
        instant(&get_anonymous(&app, &path_of(&id)).await.json()["published_at"]),
        Some(test_epoch() + Duration::minutes(5))
    );
}

#[tokio::test]
async fn turning_a_scheduled_item_back_into_a_draft_stops_its_publication() {
    let (app, mut cast) = spawn_cast().await;
    let at = test_epoch() + Duration::hours(1);
    let created = publish(
        &app,
        &cast.leader,
        with(
            &with(
                &item("Doch nicht", &[&cast.rieder]),
                "publish_at",
                json!(rfc3339(at)),
            ),
            "notify",
            json!(true),
        ),
    )
    .await;
    let path = path_of(&id_of(&created));
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.leader.access),
        json!({"draft": true}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "draft");
    app.clock.set(at + Duration::hours(1));
    cast.renew(&app).await;
    run_jobs(&app).await;
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        get_as(&app, &path, &cast.leader.access).await.json()["status"],
        "draft"
    );
    assert!(feed(&app, "").await.is_empty());
    assert!(news_notices(&app).await.is_empty());
}

#[tokio::test]
async fn a_published_item_cannot_be_rescheduled_or_turned_back_into_a_draft() {
    let (app, cast) = spawn_cast().await;
    let created = publish(&app, &cast.admin, item("Schon draußen", &[&cast.rieder])).await;
    let path = path_of(&id_of(&created));
    let token = Some(cast.admin.access.as_str());
    let reply = patch_json(
        &app,
        &path,
        token,
        json!({"publish_at": rfc3339(test_epoch() + Duration::days(1))}),
    )
    .await;
    assert_invalid_field(&reply, "publish_at");
    let reply = patch_json(&app, &path, token, json!({"draft": true})).await;
    assert_invalid_field(&reply, "draft");
    assert_eq!(get_anonymous(&app, &path).await.json(), created);
    assert_eq!(feed(&app, "").await, [id_of(&created)]);
}

// ---------------------------------------------------------------------------------------------
// Edits, If-Match and deletion.

async fn patch_if_match(
    app: &TestApp,
    session: &Session,
    path: &str,
    etag: &str,
    body: Value,
) -> Reply {
    send(
        app,
        Method::PATCH,
        path,
        Some(&session.access),
        &[("If-Match", etag)],
        Some(&body),
    )
    .await
}

#[tokio::test]
async fn an_edit_based_on_the_current_etag_succeeds_and_one_based_on_a_stale_etag_is_refused() {
    let (app, cast) = spawn_cast().await;
    let reply = post_news(
        &app,
        Some(&cast.admin.access),
        item("Erste Fassung", &[&cast.rieder]),
    )
    .await;
    let created_tag = reply.header("etag").expect("ETag").to_owned();
    let path = path_of(&id_of(&reply.json()));

    // The tag of the answer to POST serves as well as the one of a read.
    let read = get_anonymous(&app, &path).await;
    let read_tag = read.header("etag").expect("ETag").to_owned();
    app.clock.advance(Duration::seconds(30));
    let reply = patch_if_match(
        &app,
        &cast.admin,
        &path,
        &created_tag,
        json!({"title": "Zweite Fassung"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let second_tag = reply.header("etag").expect("new ETag").to_owned();
    assert_ne!(second_tag, read_tag);
    assert_eq!(
        get_anonymous(&app, &path).await.header("etag"),
        Some(second_tag.as_str())
    );

    // Someone who read the first version is told it changed, and changes nothing.
    app.clock.advance(Duration::seconds(30));
    patch_if_match(
        &app,
        &cast.leader,
        &path,
        &read_tag,
        json!({"title": "Veraltet"}),
    )
    .await
    .assert_problem(412, "precondition_failed");
    let weak = format!("W/{second_tag}");
    patch_if_match(&app, &cast.admin, &path, &weak, json!({"title": "Schwach"}))
        .await
        .assert_problem(412, "precondition_failed");
    let current = get_anonymous(&app, &path).await.json();
    assert_eq!(current["title"], "Zweite Fassung");

    let reply = patch_if_match(
        &app,
        &cast.leader,
        &path,
        &second_tag,
        json!({"title": "Dritte Fassung"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Without If-Match the change is made as well.
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.admin.access),
        json!({"title": "Vierte Fassung"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        get_anonymous(&app, &path).await.json()["title"],
        "Vierte Fassung"
    );
}

#[tokio::test]
async fn a_delete_based_on_a_stale_etag_is_refused_and_the_item_stays() {
    let (app, cast) = spawn_cast().await;
    let path = path_of(&id_of(
        &publish(&app, &cast.admin, item("Bleibt", &[&cast.rieder])).await,
    ));
    let old_tag = get_anonymous(&app, &path)
        .await
        .header("etag")
        .expect("ETag")
        .to_owned();
    app.clock.advance(Duration::seconds(5));
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.leader.access),
        json!({"pinned": true}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let new_tag = reply.header("etag").expect("ETag").to_owned();

    let delete = |tag: String| {
        let (app, path, admin) = (&app, &path, &cast.admin);
        async move {
            send(
                app,
                Method::DELETE,
                path,
                Some(&admin.access),
                &[("If-Match", tag.as_str())],
                None,
            )
            .await
        }
    };
    delete(old_tag)
        .await
        .assert_problem(412, "precondition_failed");
    assert_eq!(get_anonymous(&app, &path).await.json()["pinned"], true);
    assert_eq!(feed(&app, "").await.len(), 1);
    let reply = delete(new_tag).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    assert!(feed(&app, "").await.is_empty());
    delete_json(&app, &path, Some(&cast.admin.access), None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_edit_changes_only_what_it_names_and_null_clears() {
    let (app, cast) = spawn_cast().await;
    let expires = test_epoch() + Duration::days(3);
    let created = publish(
        &app,
        &cast.admin,
        with(
            &item("Titel", &[&cast.rieder]),
            "expires_at",
            json!(rfc3339(expires)),
        ),
    )
    .await;
    let path = path_of(&id_of(&created));
    app.clock.advance(Duration::minutes(3));
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.admin.access),
        json!({"body": "  Neuer *Text*\n", "expires_at": null}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let edited = reply.json();
    assert_eq!(edited["title"], "Titel");
    assert_eq!(edited["body"], "  Neuer *Text*\n");
    assert!(edited["expires_at"].is_null(), "{edited}");
    assert_eq!(edited["published_at"], created["published_at"]);
    assert_eq!(edited["created_at"], created["created_at"]);
    assert_eq!(
        instant(&edited["updated_at"]),
        Some(test_epoch() + Duration::minutes(3))
    );
    // Without its expiry it stays in the feed.
    app.clock.set(expires + Duration::days(1));
    assert_eq!(feed(&app, "").await, [id_of(&created)]);
    assert_eq!(get_anonymous(&app, &path).await.json(), edited);
}

#[tokio::test]
async fn changing_an_event_into_news_drops_its_event_data() {
    let (app, cast) = spawn_cast().await;
    let starts = test_epoch() + Duration::days(2);
    let created = publish(
        &app,
        &cast.admin,
        json!({
            "title": "Dorffest",
            "body": "Mit Blaskapelle.",
            "category": "event",
            "district_ids": [cast.rieder],
            "event": {"starts_at": rfc3339(starts), "location": "Anger"},
        }),
    )
    .await;
    let path = path_of(&id_of(&created));
    let token = Some(cast.admin.access.as_str());
    // An event cannot lose its event data and stay an event.
    let reply = patch_json(&app, &path, token, json!({"event": null})).await;
    assert_invalid_field(&reply, "event");

    let reply = patch_json(&app, &path, token, json!({"category": "news"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["category"], "news");
    assert!(reply.json()["event"].is_null(), "{}", reply.text);
    let read = get_anonymous(&app, &path).await.json();
    assert!(read["event"].is_null(), "{read}");
    let events = feed(&app, "?category=event").await;
    assert!(events.is_empty(), "{events:?}");
}

#[tokio::test]
async fn concurrent_edits_based_on_the_same_etag_let_exactly_one_win() {
    let (app, cast) = spawn_cast().await;
    let path = path_of(&id_of(
        &publish(&app, &cast.admin, item("Ausgangslage", &[&cast.rieder])).await,
    ));
    let tag = get_anonymous(&app, &path)
        .await
        .header("etag")
        .expect("ETag")
        .to_owned();
    let titles: Vec<String> = (0..4).map(|n| format!("Fassung {n}")).collect();
    let replies = futures::future::join_all(titles.iter().enumerate().map(|(n, title)| {
        let editor = if n % 2 == 0 {
            &cast.admin
        } else {
            &cast.leader
        };
        patch_if_match(&app, editor, &path, &tag, json!({"title": title}))
    }))
    .await;
    let winners: Vec<&String> = replies
        .iter()
        .zip(&titles)
        .filter(|(reply, _)| reply.status == 200)
        .map(|(_, title)| title)
        .collect();
    assert_eq!(winners.len(), 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(412, "precondition_failed");
    }
    assert_eq!(
        get_anonymous(&app, &path).await.json()["title"],
        winners[0].as_str()
    );
}

#[tokio::test]
async fn concurrent_retries_with_the_same_idempotency_key_create_one_item() {
    let (app, cast) = spawn_cast().await;
    let body = with(
        &item("Gleichzeitig", &[&cast.rieder]),
        "notify",
        json!(true),
    );
    let replies = futures::future::join_all(
        (0..4).map(|_| post_with_key(&app, &cast.leader, "gleichzeitig", &body)),
    )
    .await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let first = id_of(&replies[0].json());
    assert!(
        replies.iter().all(|r| id_of(&r.json()) == first),
        "{replies:?}"
    );
    assert_eq!(my_ids(&app, &cast.leader).await, vec![first.clone()]);
    assert_eq!(feed(&app, "").await, [first]);
    assert_eq!(news_notices(&app).await.len(), 1);
}
