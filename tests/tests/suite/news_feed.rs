//! The public news feed: what it shows for a district, its filters, paging that stays correct
//! while news arrive, `ETag`/`If-None-Match`, expiry by the clock, and the author's own list.

use chrono::Duration;
use domain::clock::Clock;
use poem::{EndpointExt, Response, endpoint::BoxEndpoint, http::Method, test::TestClient};
use serde_json::{Value, json};

use crate::support::{
    Cast, Reply, Session, TestApp, assert_invalid_field, district_id, error_fields, feed,
    get_anonymous, get_as, id_of, ids, instant, item, many_news, patch_json, path_of, publish,
    rfc3339, run_jobs, send, spawn_cast, spawn_cast_with, test_epoch, with,
};

async fn get_if_none_match(app: &TestApp, path: &str, etag: &str) -> Reply {
    send(
        app,
        Method::GET,
        path,
        None,
        &[("If-None-Match", etag)],
        None,
    )
    .await
}

/// One page of the public feed: its ids and its `next_cursor`.
async fn page(
    app: &TestApp,
    query: &str,
    limit: u32,
    cursor: Option<&str>,
) -> (Vec<String>, Option<String>) {
    let mut path = format!("/api/v1/news?limit={limit}");
    if !query.is_empty() {
        path.push('&');
        path.push_str(query);
    }
    if let Some(cursor) = cursor {
        path.push_str(&format!("&cursor={cursor}"));
    }
    let reply = get_anonymous(app, &path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    let body = reply.json();
    let items = ids(&body);
    assert!(items.len() <= limit as usize, "{body}");
    (items, body["next_cursor"].as_str().map(str::to_owned))
}

// ---------------------------------------------------------------------------------------------
// What the feed shows.

#[tokio::test]
async fn the_feed_lists_published_items_newest_first_by_the_time_they_went_live() {
    let (app, cast) = spawn_cast().await;
    // Written first, but live last.
    let scheduled = publish(
        &app,
        &cast.admin,
        with(
            &item("Geplant", &[&cast.rieder]),
            "publish_at",
            json!(rfc3339(test_epoch() + Duration::minutes(10))),
        ),
    )
    .await;
    let first = publish(&app, &cast.admin, item("Erste", &[&cast.rieder])).await;
    app.clock.advance(Duration::minutes(1));
    let second = publish(&app, &cast.leader, item("Zweite", &[&cast.rieder])).await;
    app.clock.advance(Duration::minutes(10));
    run_jobs(&app).await;

    let reply = get_anonymous(&app, "/api/v1/news").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        ids(&body),
        [id_of(&scheduled), id_of(&second), id_of(&first)]
    );
    assert!(body["next_cursor"].is_null(), "{body}");
    // Items in the feed read as they do one by one.
    assert_eq!(body["items"][1], second);
    let single = get_anonymous(&app, &path_of(&id_of(&scheduled)))
        .await
        .json();
    assert_eq!(body["items"][0], single);
    assert_eq!(single["status"], "published");
}

#[tokio::test]
async fn a_districts_feed_shows_its_own_and_municipality_wide_items_but_not_other_districts() {
    let (app, cast) = spawn_cast().await;
    let opperode = district_id(&app, "opperode").await;
    let rieder = id_of(&publish(&app, &cast.admin, item("Rieder", &[&cast.rieder])).await);
    app.clock.advance(Duration::seconds(1));
    let badeborn = id_of(&publish(&app, &cast.admin, item("Badeborn", &[&cast.badeborn])).await);
    app.clock.advance(Duration::seconds(1));
    let both = id_of(
        &publish(
            &app,
            &cast.admin,
            item("Beide", &[&cast.rieder, &cast.badeborn]),
        )
        .await,
    );
    app.clock.advance(Duration::seconds(1));
    let everyone = id_of(&publish(&app, &cast.admin, item("Alle", &[])).await);

    assert_eq!(
        feed(&app, &format!("?district_id={}", cast.rieder)).await,
        [everyone.clone(), both.clone(), rieder.clone()]
    );
    assert_eq!(
        feed(&app, &format!("?district_id={}", cast.badeborn)).await,
        [everyone.clone(), both.clone(), badeborn.clone()]
    );
    assert_eq!(
        feed(&app, &format!("?district_id={opperode}")).await,
        vec![everyone.clone()]
    );
    // Without a district: everything, an item of two districts once.
    assert_eq!(
        feed(&app, "").await,
        [
            everyone.clone(),
            both.clone(),
            badeborn.clone(),
            rieder.clone()
        ]
    );

    // Moved to Opperode, the Rieder item leaves Rieder's feed and joins Opperode's.
    let reply = patch_json(
        &app,
        &path_of(&rieder),
        Some(&cast.admin.access),
        json!({"district_ids": [opperode]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        feed(&app, &format!("?district_id={}", cast.rieder)).await,
        [everyone.clone(), both]
    );
    assert_eq!(
        feed(&app, &format!("?district_id={opperode}")).await,
        [everyone, rieder]
    );
}

#[tokio::test]
async fn the_feed_filters_by_category() {
    let (app, cast) = spawn_cast().await;
    let starts = rfc3339(test_epoch() + Duration::days(3));
    let mut made = Vec::new();
    for (category, districts) in [
        ("warning", vec![cast.rieder.as_str()]),
        ("news", vec![cast.rieder.as_str()]),
        ("warning", vec![]),
        ("announcement", vec![cast.badeborn.as_str()]),
        ("event", vec![cast.rieder.as_str()]),
        ("warning", vec![cast.badeborn.as_str()]),
    ] {
        app.clock.advance(Duration::seconds(2));
        let mut body = with(&item(category, &districts), "category", json!(category));
        if category == "event" {
            body["event"] = json!({"starts_at": starts});
        }
        made.push(id_of(&publish(&app, &cast.admin, body).await));
    }
    assert_eq!(
        feed(&app, "?category=warning").await,
        [made[5].clone(), made[2].clone(), made[0].clone()]
    );
    assert_eq!(
        feed(
            &app,
            &format!("?category=warning&district_id={}", cast.rieder)
        )
        .await,
        [made[2].clone(), made[0].clone()]
    );
    assert_eq!(feed(&app, "?category=event").await, [made[4].clone()]);
    assert_eq!(
        feed(&app, "?category=announcement").await,
        [made[3].clone()]
    );
    assert_eq!(
        feed(
            &app,
            &format!("?category=news&district_id={}", cast.badeborn)
        )
        .await,
        Vec::<String>::new()
    );
    let reply = get_anonymous(&app, "/api/v1/news?category=gossip").await;
    assert!(
        reply.status == 400 || reply.status == 422,
        "an unknown category is refused: {} {}",
        reply.status,
        reply.text
    );
}

#[tokio::test]
async fn the_feed_filters_by_pinned_and_follows_a_change_of_pinned() {
    let (app, cast) = spawn_cast().await;
    let pinned = id_of(
        &publish(
            &app,
            &cast.admin,
            with(&item("Angepinnt", &[&cast.rieder]), "pinned", json!(true)),
        )
        .await,
    );
    app.clock.advance(Duration::seconds(1));
    let plain = id_of(&publish(&app, &cast.admin, item("Normal", &[&cast.rieder])).await);
    app.clock.advance(Duration::seconds(1));
    let everyone = id_of(
        &publish(
            &app,
            &cast.admin,
            with(&item("Für alle, angepinnt", &[]), "pinned", json!(true)),
        )
        .await,
    );
    let rieder = format!("district_id={}", cast.rieder);
    assert_eq!(
        feed(&app, "?pinned=true").await,
        [everyone.clone(), pinned.clone()]
    );
    assert_eq!(feed(&app, "?pinned=false").await, vec![plain.clone()]);
    assert_eq!(
        feed(&app, &format!("?pinned=true&{rieder}")).await,
        [everyone.clone(), pinned.clone()]
    );
    assert_eq!(
        feed(&app, &format!("?pinned=false&{rieder}")).await,
        vec![plain.clone()]
    );

    let reply = patch_json(
        &app,
        &path_of(&pinned),
        Some(&cast.leader.access),
        json!({"pinned": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = patch_json(
        &app,
        &path_of(&plain),
        Some(&cast.leader.access),
        json!({"pinned": true}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        feed(&app, &format!("?pinned=true&{rieder}")).await,
        [everyone.clone(), plain.clone()]
    );
    assert_eq!(
        feed(&app, &format!("?pinned=false&{rieder}")).await,
        vec![pinned.clone()]
    );
    assert_eq!(feed(&app, "?pinned=true").await, [everyone, plain]);
    assert_eq!(feed(&app, "?pinned=false").await, [pinned]);
}

#[tokio::test]
async fn drafts_scheduled_and_deleted_items_are_not_in_any_feed() {
    let (app, cast) = spawn_cast().await;
    let live = id_of(&publish(&app, &cast.admin, item("Live", &[&cast.rieder])).await);
    publish(
        &app,
        &cast.admin,
        with(&item("Entwurf", &[&cast.rieder]), "draft", json!(true)),
    )
    .await;
    publish(
        &app,
        &cast.admin,
        with(
            &item("Geplant", &[]),
            "publish_at",
            json!(rfc3339(test_epoch() + Duration::days(1))),
        ),
    )
    .await;
    let gone = id_of(&publish(&app, &cast.admin, item("Gelöscht", &[&cast.rieder])).await);
    let reply =
        crate::support::delete_json(&app, &path_of(&gone), Some(&cast.admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    for query in [
        String::new(),
        format!("?district_id={}", cast.rieder),
        format!("?district_id={}", cast.badeborn),
    ] {
        let expected = if query.contains(&cast.badeborn) {
            vec![]
        } else {
            vec![live.clone()]
        };
        assert_eq!(feed(&app, &query).await, expected, "feed {query}");
    }
}

// ---------------------------------------------------------------------------------------------
// Expiry.

#[tokio::test]
async fn an_item_leaves_the_feed_when_its_expiry_passes_without_any_job() {
    let (app, mut cast) = spawn_cast().await;
    let ends = test_epoch() + Duration::hours(2);
    let created = publish(
        &app,
        &cast.leader,
        with(
            &item("Nur heute", &[&cast.rieder]),
            "expires_at",
            json!(rfc3339(ends)),
        ),
    )
    .await;
    let id = id_of(&created);
    let path = path_of(&id);
    let rieder = format!("?district_id={}", cast.rieder);

    app.clock.set(ends - Duration::seconds(1));
    assert_eq!(feed(&app, "").await, vec![id.clone()]);
    assert_eq!(feed(&app, &rieder).await, vec![id.clone()]);
    assert_eq!(get_anonymous(&app, &path).await.status, 200);

    app.clock.set(ends);
    cast.renew(&app).await;
    assert!(feed(&app, "").await.is_empty());
    assert!(feed(&app, &rieder).await.is_empty());
    get_anonymous(&app, &path)
        .await
        .assert_problem(404, "not_found");
    get_as(&app, &path, &cast.resident.access)
        .await
        .assert_problem(404, "not_found");
    get_as(&app, &path, &cast.far_leader.access)
        .await
        .assert_problem(404, "not_found");
    // Off the feed, it is nobody else's business: not even "forbidden".
    patch_json(
        &app,
        &path,
        Some(&cast.resident.access),
        json!({"title": "Fremd"}),
    )
    .await
    .assert_problem(404, "not_found");
    for session in [&cast.leader, &cast.admin] {
        let reply = get_as(&app, &path, &session.access).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.json()["status"], "expired");
    }
    let expired = get_as(
        &app,
        "/api/v1/news/mine?status=expired",
        &cast.leader.access,
    )
    .await;
    assert_eq!(ids(&expired.json()), vec![id.clone()], "{}", expired.text);
    let published = get_as(
        &app,
        "/api/v1/news/mine?status=published",
        &cast.leader.access,
    )
    .await;
    assert!(ids(&published.json()).is_empty(), "{}", published.text);

    // A later expiry brings it back.
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.leader.access),
        json!({"expires_at": rfc3339(ends + Duration::days(1))}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "published");
    assert_eq!(feed(&app, &rieder).await, [id]);
}

// ---------------------------------------------------------------------------------------------
// Parameters, ETag.

#[tokio::test]
async fn a_bad_limit_or_cursor_is_refused_by_name() {
    let (app, cast) = spawn_cast().await;
    for n in 0..3 {
        app.clock.advance(Duration::seconds(1));
        publish(
            &app,
            &cast.admin,
            item(&format!("Nr. {n}"), &[&cast.rieder]),
        )
        .await;
    }
    for limit in ["0", "101"] {
        let reply = get_anonymous(&app, &format!("/api/v1/news?limit={limit}")).await;
        assert_invalid_field(&reply, "limit");
    }
    assert_eq!(page(&app, "", 100, None).await.0.len(), 3);
    let (first, cursor) = page(&app, "", 1, None).await;
    assert_eq!(first.len(), 1);
    assert!(cursor.is_some());
    // Without a limit, up to 20.
    let body = get_anonymous(&app, "/api/v1/news").await.json();
    assert_eq!(ids(&body).len(), 3);

    let rieder = format!("&district_id={}", cast.rieder);
    for query in ["", rieder.as_str()] {
        let reply = get_anonymous(&app, &format!("/api/v1/news?cursor=kein-cursor{query}")).await;
        let problem = reply.assert_problem(400, "bad_request");
        assert!(
            error_fields(&problem).iter().any(|f| f == "cursor"),
            "{problem}"
        );
    }
    let reply = get_anonymous(&app, "/api/v1/news?cursor=AAAA").await;
    reply.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn the_feed_answers_304_to_its_etag_until_something_new_is_published() {
    let (app, cast) = spawn_cast().await;
    publish(&app, &cast.admin, item("Erste", &[&cast.rieder])).await;
    let rieder = format!("/api/v1/news?district_id={}", cast.rieder);
    let reply = get_anonymous(&app, "/api/v1/news").await;
    let tag = reply.header("etag").expect("ETag").to_owned();
    let rieder_tag = get_anonymous(&app, &rieder)
        .await
        .header("etag")
        .expect("ETag")
        .to_owned();

    let reply = get_if_none_match(&app, "/api/v1/news", &tag).await;
    assert_eq!(reply.status, 304, "{}", reply.text);
    assert!(reply.text.is_empty());
    assert_eq!(
        get_if_none_match(&app, &rieder, &rieder_tag).await.status,
        304
    );
    assert_eq!(
        get_if_none_match(&app, "/api/v1/news", "\"veraltet\"")
            .await
            .status,
        200
    );

    // A municipality-wide item is news for Rieder too.
    app.clock.advance(Duration::minutes(1));
    let newer = id_of(&publish(&app, &cast.admin, item("Zweite", &[])).await);
    let reply = get_if_none_match(&app, "/api/v1/news", &tag).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(ids(&reply.json())[0], newer);
    assert_ne!(reply.header("etag"), Some(tag.as_str()));
    let reply = get_if_none_match(&app, &rieder, &rieder_tag).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_ne!(reply.header("etag"), Some(rieder_tag.as_str()));
}

#[tokio::test]
async fn a_single_item_answers_304_to_its_etag_until_it_changes() {
    let (app, cast) = spawn_cast().await;
    let path = path_of(&id_of(
        &publish(&app, &cast.admin, item("Einzeln", &[&cast.rieder])).await,
    ));
    let reply = get_anonymous(&app, &path).await;
    let tag = reply.header("etag").expect("ETag").to_owned();
    let reply = get_if_none_match(&app, &path, &tag).await;
    assert_eq!(reply.status, 304, "{}", reply.text);
    assert!(reply.text.is_empty());

    app.clock.advance(Duration::minutes(1));
    let reply = patch_json(
        &app,
        &path,
        Some(&cast.admin.access),
        json!({"title": "Geändert"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = get_if_none_match(&app, &path, &tag).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["title"], "Geändert");
}

// ---------------------------------------------------------------------------------------------
// Paging while news arrive.

/// Walks the feed at `query` with pages of `limit`; before each further page, `between` items
/// are published (by `admin`, to `districts_for(n)`), the clock moved by `step` before each.
/// Returns the ids walked and the ids published during the walk.
async fn walk_while_publishing(
    app: &TestApp,
    admin: &Session,
    query: &str,
    limit: u32,
    step: Duration,
    districts_for: impl Fn(usize) -> Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let mut walked = Vec::new();
    let mut arrived = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let (items, next) = page(app, query, limit, cursor.as_deref()).await;
        walked.extend(items);
        pages += 1;
        assert!(pages < 100, "the walk does not end");
        let Some(next) = next else { break };
        cursor = Some(next);
        // One or two new items between pages.
        for _ in 0..(1 + pages % 2) {
            app.clock.advance(step);
            let n = arrived.len();
            let districts = districts_for(n);
            let refs: Vec<&str> = districts.iter().map(String::as_str).collect();
            arrived.push(id_of(
                &publish(app, admin, item(&format!("Neu {n}"), &refs)).await,
            ));
        }
    }
    (walked, arrived)
}

#[track_caller]
fn assert_walk(expected: &[String], walked: &[String], arrived: &[String]) {
    assert!(!arrived.is_empty(), "items were published during the walk");
    let repeated: Vec<_> = walked
        .iter()
        .enumerate()
        .filter(|(i, id)| walked[..*i].contains(id))
        .map(|(_, id)| id)
        .collect();
    assert!(repeated.is_empty(), "repeated: {repeated:?}");
    let skipped: Vec<_> = expected.iter().filter(|id| !walked.contains(id)).collect();
    assert!(skipped.is_empty(), "skipped: {skipped:?}");
    let late: Vec<_> = walked.iter().filter(|id| arrived.contains(id)).collect();
    assert!(late.is_empty(), "new items within later pages: {late:?}");
    assert_eq!(walked, expected, "the walk is the feed as it was, in order");
}

#[tokio::test]
async fn paging_through_the_feed_while_news_arrive_never_skips_or_repeats_an_item() {
    let (app, cast) = spawn_cast_with(many_news).await;
    for n in 0..25 {
        app.clock.advance(Duration::seconds(3));
        publish(
            &app,
            &cast.admin,
            item(&format!("Nr. {n}"), &[&cast.rieder]),
        )
        .await;
    }
    let expected = feed(&app, "").await;
    assert_eq!(expected.len(), 25);
    // Without a limit, pages of 20.
    let first = get_anonymous(&app, "/api/v1/news").await.json();
    assert_eq!(ids(&first), expected[..20]);
    assert!(first["next_cursor"].is_string(), "{first}");
    let rieder = cast.rieder.clone();
    let (walked, arrived) =
        walk_while_publishing(&app, &cast.admin, "", 4, Duration::seconds(3), |_| {
            vec![rieder.clone()]
        })
        .await;
    assert_walk(&expected, &walked, &arrived);
    // Afterwards the new ones are on top.
    let now = feed(&app, "").await;
    assert_eq!(now.len(), 25 + arrived.len());
    let mut newest_first = arrived.clone();
    newest_first.reverse();
    assert_eq!(now[..arrived.len()], newest_first[..]);
}

#[tokio::test]
async fn paging_stays_correct_when_items_go_live_at_the_same_instant() {
    let (app, cast) = spawn_cast_with(many_news).await;
    // Groups of five at one instant; the groups a microsecond or a second apart.
    for n in 0..25 {
        if n % 5 == 0 {
            app.clock.advance(if n % 10 == 0 {
                Duration::microseconds(1)
            } else {
                Duration::seconds(1)
            });
        }
        publish(
            &app,
            &cast.admin,
            item(&format!("Nr. {n}"), &[&cast.rieder]),
        )
        .await;
    }
    let expected = feed(&app, "").await;
    assert_eq!(expected.len(), 25);
    // New items at the very instant of the newest existing ones.
    let rieder = cast.rieder.clone();
    let (walked, arrived) =
        walk_while_publishing(&app, &cast.admin, "", 4, Duration::zero(), |_| {
            vec![rieder.clone()]
        })
        .await;
    assert_walk(&expected, &walked, &arrived);

    // The same, for a district's feed, with new items a microsecond apart.
    let query = format!("district_id={}", cast.rieder);
    let expected = feed(&app, &format!("?{query}")).await;
    let rieder = cast.rieder.clone();
    let (walked, arrived) = walk_while_publishing(
        &app,
        &cast.admin,
        &query,
        3,
        Duration::microseconds(1),
        |_| vec![rieder.clone()],
    )
    .await;
    assert_walk(&expected, &walked, &arrived);
}

#[tokio::test]
async fn paging_a_districts_feed_mixed_with_other_districts_and_municipality_wide_items() {
    let (app, cast) = spawn_cast_with(many_news).await;
    let (rieder, badeborn) = (cast.rieder.clone(), cast.badeborn.clone());
    let mix = move |n: usize| -> Vec<String> {
        match n % 4 {
            0 => vec![rieder.clone()],
            1 => vec![badeborn.clone()],
            2 => vec![],
            _ => vec![rieder.clone(), badeborn.clone()],
        }
    };
    for n in 0..25 {
        // Some at the same instant, some seconds apart.
        if n % 3 != 2 {
            app.clock.advance(Duration::seconds(2));
        }
        let districts = mix(n);
        let refs: Vec<&str> = districts.iter().map(String::as_str).collect();
        publish(&app, &cast.admin, item(&format!("Nr. {n}"), &refs)).await;
    }
    let query = format!("district_id={}", cast.rieder);
    let expected = feed(&app, &format!("?{query}")).await;
    // Rieder's own (7), both districts' (6), municipality-wide (6).
    assert_eq!(expected.len(), 19, "{expected:?}");
    let (walked, arrived) =
        walk_while_publishing(&app, &cast.admin, &query, 4, Duration::seconds(2), &mix).await;
    assert_walk(&expected, &walked, &arrived);

    // And the whole municipality's feed, each item once.
    let expected = feed(&app, "").await;
    let (walked, arrived) =
        walk_while_publishing(&app, &cast.admin, "", 4, Duration::zero(), &mix).await;
    assert_walk(&expected, &walked, &arrived);
}

// ---------------------------------------------------------------------------------------------
// The author's own list.

#[tokio::test]
async fn my_news_lists_my_items_in_every_status_and_filters_by_status() {
    let (app, mut cast) = spawn_cast().await;
    let start = test_epoch();
    let me = &cast.leader;
    let expiring = id_of(
        &publish(
            &app,
            me,
            with(
                &item("Läuft ab", &[&cast.rieder]),
                "expires_at",
                json!(rfc3339(start + Duration::hours(1))),
            ),
        )
        .await,
    );
    let published = id_of(&publish(&app, me, item("Veröffentlicht", &[&cast.rieder])).await);
    let scheduled = id_of(
        &publish(
            &app,
            me,
            with(
                &item("Geplant", &[&cast.rieder]),
                "publish_at",
                json!(rfc3339(start + Duration::days(1))),
            ),
        )
        .await,
    );
    let draft = id_of(
        &publish(
            &app,
            me,
            with(&item("Entwurf", &[&cast.rieder]), "draft", json!(true)),
        )
        .await,
    );
    // Someone else's item is not mine.
    publish(&app, &cast.admin, item("Fremd", &[&cast.rieder])).await;
    app.clock.set(start + Duration::hours(2));
    cast.renew(&app).await;
    let me = &cast.leader;

    let mine = |query: &'static str| {
        let (app, me) = (&app, me);
        async move {
            let reply = get_as(app, &format!("/api/v1/news/mine{query}"), &me.access).await;
            assert_eq!(reply.status, 200, "{query}: {}", reply.text);
            reply.json()
        }
    };
    let all = mine("").await;
    assert_eq!(
        ids(&all),
        [
            draft.clone(),
            scheduled.clone(),
            published.clone(),
            expiring.clone()
        ]
    );
    let statuses: Vec<Value> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            json!("draft"),
            json!("scheduled"),
            json!("published"),
            json!("expired")
        ]
    );
    assert_eq!(ids(&mine("?status=draft").await), vec![draft.clone()]);
    assert_eq!(
        ids(&mine("?status=scheduled").await),
        vec![scheduled.clone()]
    );
    assert_eq!(
        ids(&mine("?status=published").await),
        vec![published.clone()]
    );
    assert_eq!(ids(&mine("?status=expired").await), vec![expiring.clone()]);

    // Paged.
    let first = mine("?limit=3").await;
    assert_eq!(ids(&first), [draft, scheduled, published]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("next_cursor")
        .to_owned();
    let reply = get_as(
        &app,
        &format!("/api/v1/news/mine?limit=3&cursor={cursor}"),
        &me.access,
    )
    .await;
    assert_eq!(ids(&reply.json()), [expiring], "{}", reply.text);
    assert!(reply.json()["next_cursor"].is_null());

    // Bad parameters.
    let reply = get_as(&app, "/api/v1/news/mine?status=archived", &me.access).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    let reply = get_as(&app, "/api/v1/news/mine?limit=0", &me.access).await;
    assert_invalid_field(&reply, "limit");
    get_as(&app, "/api/v1/news/mine?cursor=kaputt", &me.access)
        .await
        .assert_problem(400, "bad_request");
    let published_at = instant(&mine("?status=published").await["items"][0]["published_at"]);
    assert_eq!(published_at, Some(start));
}

// ---------------------------------------------------------------------------------------------
// Rendered pages kept in memory (`http::feed_cache`).

/// The public feed at `query` read through any instance's client: ids and `ETag`.
async fn read_through(
    client: &TestClient<BoxEndpoint<'static, Response>>,
    query: &str,
) -> (Vec<String>, String) {
    let reply = Reply::from(client.get(format!("/api/v1/news{query}")).send().await).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.text);
    let etag = reply.header("etag").expect("ETag").to_owned();
    (ids(&reply.json()), etag)
}

#[tokio::test]
async fn a_page_read_before_shows_every_change_at_the_next_read() {
    let (app, cast) = spawn_cast().await;
    let rieder = format!("?district_id={}&limit=20", cast.rieder);
    let first = id_of(&publish(&app, &cast.leader, item("Erste", &[&cast.rieder])).await);
    let (page, tag) = read_through(&app.client, &rieder).await;
    assert_eq!(page, [first.as_str()]);
    // Read again at once: the same page and the same tag.
    assert_eq!(
        read_through(&app.client, &rieder).await,
        (page, tag.clone())
    );

    // Published: on top at the next read, with a new tag.
    app.clock.advance(Duration::minutes(1));
    let second = id_of(&publish(&app, &cast.leader, item("Zweite", &[&cast.rieder])).await);
    let (page, second_tag) = read_through(&app.client, &rieder).await;
    assert_eq!(page, [second.clone(), first.clone()]);
    assert_ne!(second_tag, tag);

    // Edited: the new title, not the kept one.
    let reply = patch_json(
        &app,
        &path_of(&first),
        Some(&cast.leader.access),
        json!({"title": "Erste, berichtigt"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = get_anonymous(&app, &format!("/api/v1/news{rieder}"))
        .await
        .json();
    assert_eq!(body["items"][1]["title"], "Erste, berichtigt", "{body}");

    // Published by the job at its time.
    let scheduled = id_of(
        &publish(
            &app,
            &cast.leader,
            with(
                &item("Geplant", &[&cast.rieder]),
                "publish_at",
                json!(rfc3339(app.clock.now() + Duration::minutes(5))),
            ),
        )
        .await,
    );
    assert_eq!(
        read_through(&app.client, &rieder).await.0,
        [second.clone(), first.clone()]
    );
    app.clock.advance(Duration::minutes(5));
    run_jobs(&app).await;
    assert_eq!(
        read_through(&app.client, &rieder).await.0,
        [scheduled.clone(), second.clone(), first.clone()]
    );

    // Deleted: gone at the next read.
    let reply =
        crate::support::delete_json(&app, &path_of(&second), Some(&cast.leader.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(
        read_through(&app.client, &rieder).await.0,
        [scheduled, first]
    );
}

#[tokio::test]
async fn another_instance_shows_a_change_within_the_cache_lifetime() {
    let (app, cast) = spawn_cast().await;
    let other = dorfapp::AppState::init(app.db.settings(), std::sync::Arc::new(app.clock.clone()))
        .await
        .expect("a second instance starts");
    let ttl = Duration::milliseconds(
        i64::try_from(other.settings.feed_cache_ttl_ms).expect("a small number"),
    );
    let other = TestClient::new(dorfapp::app(other).map_to_response().boxed());
    let rieder = format!("?district_id={}", cast.rieder);
    let first = id_of(&publish(&app, &cast.leader, item("Erste", &[&cast.rieder])).await);
    assert_eq!(read_through(&other, &rieder).await.0, [first.as_str()]);

    // Published through the first instance; the other one has a page of its own.
    let second = id_of(&publish(&app, &cast.leader, item("Zweite", &[&cast.rieder])).await);
    assert_eq!(
        read_through(&app.client, &rieder).await.0,
        [second.clone(), first.clone()]
    );
    app.clock.advance(ttl);
    assert_eq!(read_through(&other, &rieder).await.0, [second, first]);
}

#[tokio::test]
async fn without_the_cache_every_read_comes_from_the_database() {
    let app = crate::support::spawn_with_admin_and(|s| s.feed_cache_ttl_ms = 0).await;
    let cast = Cast::new(&app).await;
    let first = id_of(&publish(&app, &cast.leader, item("Erste", &[&cast.rieder])).await);
    let rieder = format!("?district_id={}", cast.rieder);
    assert_eq!(read_through(&app.client, &rieder).await.0, [first.as_str()]);
    let second = id_of(&publish(&app, &cast.leader, item("Zweite", &[&cast.rieder])).await);
    assert_eq!(read_through(&app.client, &rieder).await.0, [second, first]);
}

/// A GET with `Accept-Encoding`, read as it comes: (status, headers, body bytes).
async fn get_coded(
    app: &TestApp,
    path: &str,
    accept: &str,
    if_none_match: Option<&str>,
) -> (u16, poem::http::HeaderMap, Vec<u8>) {
    let mut request = app.client.get(path).header("Accept-Encoding", accept);
    if let Some(tag) = if_none_match {
        request = request.header("If-None-Match", tag);
    }
    let response = request.send().await.0;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().into_vec().await.expect("body");
    (status, headers, body)
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("gzip");
    text
}

#[tokio::test]
async fn a_kept_page_goes_gzipped_under_its_own_tag_and_revalidates_in_either_coding() {
    let (app, crew) = spawn_cast().await;
    publish(
        &app,
        &crew.leader,
        item("Dorffest am Samstag", &[&crew.rieder]),
    )
    .await;
    let path = format!("/api/v1/news?district_id={}", crew.rieder);
    let plain = get_anonymous(&app, &path).await;
    assert_eq!(plain.status, 200);
    let plain_tag = plain.header("etag").expect("etag").to_owned();
    let gzip_tag = format!("{}-gzip\"", plain_tag.trim_end_matches('"'));
    // Once as the page is kept, once from memory: the same bytes, the same tags.
    for _ in 0..2 {
        let (status, headers, body) = get_coded(&app, &path, "gzip, deflate, br", None).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-encoding"], "gzip");
        assert_eq!(headers["etag"], gzip_tag.as_str());
        let vary = headers["vary"].to_str().unwrap().to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{vary}");
        assert_eq!(gunzip(&body), plain.text, "the same page");
    }
    // The gzip'd copy is current: 304 under its tag.
    let (status, headers, body) = get_coded(&app, &path, "gzip", Some(&gzip_tag)).await;
    assert_eq!(status, 304);
    assert_eq!(headers["etag"], gzip_tag.as_str());
    assert!(body.is_empty());
    // Holding the gzip'd copy but asking without gzip: the plain page in full.
    let (status, headers, body) = get_coded(&app, &path, "identity", Some(&gzip_tag)).await;
    assert_eq!(status, 200);
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(String::from_utf8(body).unwrap(), plain.text);
    // Holding the plain copy but asking with gzip: the gzip'd page in full.
    let (status, headers, _) = get_coded(&app, &path, "gzip", Some(&plain_tag)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], gzip_tag.as_str());
}

#[tokio::test]
async fn a_tag_read_gzipped_is_good_for_a_change() {
    let (app, crew) = spawn_cast().await;
    let created = publish(
        &app,
        &crew.leader,
        item("Dorffest am Samstag", &[&crew.rieder]),
    )
    .await;
    let path = path_of(id_of(&created).as_str());
    let (status, headers, _) = get_coded(&app, &path, "gzip", None).await;
    assert_eq!(status, 200);
    let tag = headers["etag"].to_str().unwrap().to_owned();
    assert!(tag.ends_with("-gzip\""), "{tag}");
    let changed = send(
        &app,
        Method::PATCH,
        &path,
        Some(&crew.leader.access),
        &[("If-Match", &tag)],
        Some(&json!({"title": "Dorffest am Sonntag"})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    // The tag of the version before no longer allows a change, in either coding.
    let stale = send(
        &app,
        Method::PATCH,
        &path,
        Some(&crew.leader.access),
        &[("If-Match", &tag)],
        Some(&json!({"title": "Dorffest am Montag"})),
    )
    .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
}
