//! Districts: the seed on first start, the public list and single reads, ETags.

use std::sync::Arc;

use domain::{clock::ManualClock, districts};
use dorfapp::AppState;

use crate::support::{Reply, TestApp, TestDatabase, test_epoch};

#[tokio::test]
async fn a_fresh_installation_serves_the_six_ballenstedt_districts_sorted_by_name() {
    let app = TestApp::spawn().await;
    let reply = app.get("/api/v1/districts").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let names: Vec<String> = reply
        .json()
        .as_array()
        .expect("a plain array")
        .iter()
        .map(|d| d["name"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "Asmusstedt",
            "Badeborn",
            "Ballenstedt (Kernstadt)",
            "Opperode",
            "Radisleben",
            "Rieder"
        ]
    );
    let first = &reply.json()[0];
    assert_eq!(first["slug"], "asmusstedt");
    assert!(
        first["id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );
    assert!(first["description"].is_string());
    assert!(
        first["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "RFC 3339 UTC: {first}"
    );
}

#[tokio::test]
async fn a_district_is_read_by_id_and_unknown_or_malformed_ids_are_problems() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v1/districts").await.json();
    let rieder = list
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["slug"] == "rieder")
        .expect("rieder");
    let id = rieder["id"].as_str().expect("id");

    let reply = app.get(&format!("/api/v1/districts/{id}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), *rieder);

    let missing = app
        .get(&format!("/api/v1/districts/{}", uuid::Uuid::now_v7()))
        .await;
    let body = missing.assert_problem(404, "not_found");
    assert_eq!(body["detail"], "Diesen Ortsteil gibt es nicht.");

    let malformed = app.get("/api/v1/districts/not-a-uuid").await;
    let body = malformed.assert_problem(400, "bad_request");
    assert_eq!(body["errors"][0]["field"], "id", "{body}");
}

#[tokio::test]
async fn etag_gives_304_until_the_district_changes() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/districts".to_owned(), {
        let list = app.get("/api/v1/districts").await.json();
        format!("/api/v1/districts/{}", list[0]["id"].as_str().expect("id"))
    }] {
        let first = app.get(&path).await;
        let etag = first
            .header("etag")
            .expect("ETag on a public read")
            .to_owned();
        assert_eq!(first.header("cache-control"), Some("no-cache"));

        let again = Reply::from(
            app.client
                .get(&path)
                .header("If-None-Match", &etag)
                .send()
                .await,
        )
        .await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.text.is_empty(), "304 has no body");
        assert_eq!(again.header("etag"), Some(etag.as_str()));

        let other = Reply::from(
            app.client
                .get(&path)
                .header("If-None-Match", "\"stale\"")
                .send()
                .await,
        )
        .await;
        assert_eq!(other.status, 200);
    }

    // A change gives a new tag, so a client holding the old one gets the new content.
    let list = app.get("/api/v1/districts").await;
    let old_tag = list.header("etag").expect("etag").to_owned();
    let id = uuid::Uuid::parse_str(list.json()[0]["id"].as_str().expect("id")).expect("uuid");
    districts::update(
        &app.state.db,
        &app.state.clock,
        id,
        districts::DistrictPatch {
            description: Some(Some("Neu beschrieben.".into())),
            ..Default::default()
        },
    )
    .await
    .expect("update");
    let changed = Reply::from(
        app.client
            .get("/api/v1/districts")
            .header("If-None-Match", &old_tag)
            .send()
            .await,
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(old_tag.as_str()));
    assert_eq!(changed.json()[0]["description"], "Neu beschrieben.");
}

#[tokio::test]
async fn districts_are_seeded_on_the_first_start_only() {
    let db = TestDatabase::new().await;
    let clock = Arc::new(ManualClock::new(test_epoch()));
    let first = AppState::init(db.settings(), clock.clone())
        .await
        .expect("first start");
    let rieder = districts::list(&first.db)
        .await
        .expect("list")
        .into_iter()
        .find(|d| d.slug == "rieder")
        .expect("rieder");
    districts::update(
        &first.db,
        &first.clock,
        rieder.id,
        districts::DistrictPatch {
            name: Some("Rieder (umbenannt)".into()),
            ..Default::default()
        },
    )
    .await
    .expect("rename");
    first.db.close_by_ref().await.ok();

    let second = AppState::init(db.settings(), clock)
        .await
        .expect("second start");
    let all = districts::list(&second.db).await.expect("list");
    assert_eq!(all.len(), 6, "no second seeding");
    assert!(
        all.iter().any(|d| d.name == "Rieder (umbenannt)"),
        "changes survive a restart"
    );
}

#[tokio::test]
async fn a_seed_file_replaces_the_built_in_districts() {
    let seed_dir = tempfile::tempdir().expect("dir");
    let seed = seed_dir.path().join("harzgerode.toml");
    std::fs::write(
        &seed,
        "[municipality]\nname = \"Harzgerode\"\n\n[[districts]]\nslug = \"alexisbad\"\nname = \"Alexisbad\"\n\n\
         [[districts]]\nslug = \"dankerode\"\nname = \"Dankerode\"\ndescription = \"Im Unterharz.\"\n",
    )
    .expect("write seed");
    let app = TestApp::spawn_with(|s| s.seed_file = Some(seed.clone())).await;
    let names: Vec<String> = app
        .get("/api/v1/districts")
        .await
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["name"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(names, ["Alexisbad", "Dankerode"]);
}

#[tokio::test]
async fn a_broken_seed_file_stops_the_start_with_a_clear_error() {
    let seed_dir = tempfile::tempdir().expect("dir");
    let seed = seed_dir.path().join("broken.toml");
    std::fs::write(
        &seed,
        "[[districts]]\nslug = \"Not A Slug\"\nname = \"X\"\n",
    )
    .expect("write");
    let db = TestDatabase::new().await;
    let mut settings = db.settings();
    settings.seed_file = Some(seed);
    let err = AppState::init(settings, Arc::new(ManualClock::new(test_epoch())))
        .await
        .err()
        .expect("start must fail");
    assert!(format!("{err:#}").contains("Not A Slug"), "{err:#}");
}

#[tokio::test]
async fn district_rules_refuse_bad_and_duplicate_data_without_writing() {
    let app = TestApp::spawn().await;
    let err = districts::create(
        &app.state.db,
        &app.state.clock,
        districts::NewDistrict {
            slug: "Bad Slug".into(),
            name: "  ".into(),
            description: Some("x".repeat(2001)),
        },
    )
    .await
    .expect_err("invalid");
    let domain::DomainError::Validation(fields) = err else {
        panic!("validation error expected")
    };
    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["slug", "name", "description"]);

    let dup = districts::create(
        &app.state.db,
        &app.state.clock,
        districts::NewDistrict {
            slug: "rieder".into(),
            name: "Noch ein Rieder".into(),
            description: None,
        },
    )
    .await
    .expect_err("duplicate slug");
    assert!(matches!(dup, domain::DomainError::Conflict(_)), "{dup:?}");
    assert_eq!(districts::list(&app.state.db).await.expect("list").len(), 6);
}

#[tokio::test]
async fn instances_starting_together_on_an_empty_database_seed_once_and_both_start() {
    let db = TestDatabase::new().await;
    let clock = Arc::new(ManualClock::new(test_epoch()));
    let settings = || {
        let mut settings = db.settings();
        settings.admin_email = Some("chefin@ballenstedt.example".into());
        settings.admin_password = Some(dorfapp::config::Secret::new("ein langes Passwort"));
        settings
    };
    let (a, b, c) = tokio::join!(
        AppState::init(settings(), clock.clone()),
        AppState::init(settings(), clock.clone()),
        AppState::init(settings(), clock.clone()),
    );
    let a = a.expect("first instance starts");
    b.expect("second instance starts");
    c.expect("third instance starts");
    assert_eq!(districts::list(&a.db).await.expect("list").len(), 6);
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        entity::app_user::Entity::find()
            .count(&a.db)
            .await
            .expect("count"),
        1,
        "one admin"
    );
    assert_eq!(
        entity::role_assignment::Entity::find()
            .count(&a.db)
            .await
            .expect("count"),
        1
    );
}
