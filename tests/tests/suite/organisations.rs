//! Organisations (Vereine, Kirchengemeinde, Feuerwehr, Jugendclub) and their editors, as a
//! district sets them up: the leader creates the club and names its editor, the editor keeps
//! its details, and who may do what (every operation, every role).

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, Reply, Session, TestApp, assert_invalid_field, get_anonymous, get_as, grant, id_of,
    patch_json, post_json, register, send, spawn_cast, unique_email,
};

fn club(district: &str) -> Value {
    json!({
        "name": "Heimatverein Rieder e. V.",
        "kind": "verein",
        "district_id": district,
        "contact_name": "Karin Vogel",
        "contact_phone": "039483 4711",
        "contact_email": "heimatverein@example.org",
    })
}

async fn create(app: &TestApp, who: &Session, body: &Value) -> Reply {
    post_json(
        app,
        "/api/v1/organisations",
        Some(&who.access),
        body.clone(),
    )
    .await
}

fn editor_path(id: &str, user: &Session) -> String {
    format!("/api/v1/organisations/{id}/editors/{}", user.user_id)
}

async fn status(
    app: &TestApp,
    who: Option<&Session>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    send(
        app,
        method,
        path,
        who.map(|s| s.access.as_str()),
        &[],
        body.as_ref(),
    )
    .await
    .status
    .as_u16()
}

#[tokio::test]
async fn a_leader_sets_up_a_club_names_its_editor_and_the_editor_keeps_its_details() {
    let (app, crew) = spawn_cast().await;
    let created = create(&app, &crew.leader, &club(&crew.rieder)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let organisation = created.json();
    let id = id_of(&organisation);
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/organisations/{id}").as_str())
    );
    assert_eq!(organisation["kind"], "verein");
    assert_eq!(organisation["contact_phone"], "039483 4711");
    // Public.
    let read = get_anonymous(&app, &format!("/api/v1/organisations/{id}")).await;
    assert_eq!(read.json()["name"], "Heimatverein Rieder e. V.");
    let listed = get_anonymous(
        &app,
        &format!("/api/v1/organisations?district_id={}", crew.rieder),
    )
    .await
    .json();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    let elsewhere = get_anonymous(
        &app,
        &format!("/api/v1/organisations?district_id={}", crew.badeborn),
    )
    .await
    .json();
    assert_eq!(elsewhere["items"], json!([]));
    // The same name in the same district: 409; in another district: fine.
    create(&app, &crew.leader, &club(&crew.rieder))
        .await
        .assert_problem(409, "conflict");
    assert_eq!(
        create(&app, &crew.far_leader, &club(&crew.badeborn))
            .await
            .status,
        201
    );

    let editor = register(&app, &unique_email("vereinsvorsitz"), PASSWORD).await;
    let path = editor_path(&id, &editor);
    assert_eq!(
        status(&app, Some(&crew.leader), Method::PUT, &path, None).await,
        201
    );
    assert_eq!(
        status(&app, Some(&crew.leader), Method::PUT, &path, None).await,
        200
    );
    let mut editor = editor;
    crate::support::renew(&app, &mut editor).await;
    let me = get_as(&app, "/api/v1/me", &editor.access).await.json();
    assert!(me.to_string().contains("organisation_editor"), "{me}");
    // The editor keeps the club's details; clearing the email works.
    let changed = patch_json(
        &app,
        &format!("/api/v1/organisations/{id}"),
        Some(&editor.access),
        json!({"contact_name": "Jens Vogel", "contact_email": null}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["contact_name"], "Jens Vogel");
    assert!(changed.json()["contact_email"].is_null());
    let editors = get_as(
        &app,
        &format!("/api/v1/organisations/{id}/editors"),
        &editor.access,
    )
    .await
    .json();
    assert_eq!(editors[0]["user_id"], editor.user_id.as_str());
    // Removed: no longer an editor.
    assert_eq!(
        status(&app, Some(&crew.leader), Method::DELETE, &path, None).await,
        204
    );
    assert_eq!(
        status(&app, Some(&crew.leader), Method::DELETE, &path, None).await,
        404
    );
    let refused = patch_json(
        &app,
        &format!("/api/v1/organisations/{id}"),
        Some(&editor.access),
        json!({"name": "Übernommen"}),
    )
    .await;
    refused.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn an_admin_grants_the_editor_role_with_its_organisation_and_the_scope_must_fit() {
    let (app, crew) = spawn_cast().await;
    let id = id_of(&create(&app, &crew.admin, &club(&crew.rieder)).await.json());
    let person = register(&app, &unique_email("redaktion"), PASSWORD).await;
    let granted = grant(
        &app,
        &crew.admin,
        &person.user_id,
        json!({"role": "organisation_editor", "organisation_id": id}),
    )
    .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    assert_eq!(granted.json()["organisation_id"], id.as_str());
    grant(
        &app,
        &crew.admin,
        &person.user_id,
        json!({"role": "organisation_editor", "organisation_id": id}),
    )
    .await
    .assert_problem(409, "conflict");
    assert_invalid_field(
        &grant(
            &app,
            &crew.admin,
            &person.user_id,
            json!({"role": "organisation_editor"}),
        )
        .await,
        "organisation_id",
    );
    assert_invalid_field(
        &grant(
            &app,
            &crew.admin,
            &person.user_id,
            json!({"role": "dispatcher", "organisation_id": id}),
        )
        .await,
        "organisation_id",
    );
    grant(
        &app,
        &crew.admin,
        &person.user_id,
        json!({"role": "organisation_editor", "organisation_id": uuid::Uuid::now_v7()}),
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn hostile_organisations_get_a_clear_answer() {
    let (app, crew) = spawn_cast().await;
    for (change, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"kind": "partei"}), "kind"),
        (json!({"contact_phone": "ruf mich an"}), "contact_phone"),
        (json!({"contact_email": "kein-at-zeichen"}), "contact_email"),
        (json!({"district_id": uuid::Uuid::now_v7()}), "district_id"),
    ] {
        let mut body = club(&crew.rieder);
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        // An unknown district is no district the caller leads: the admin asks.
        assert_invalid_field(&create(&app, &crew.admin, &body).await, field);
    }
    get_anonymous(
        &app,
        &format!("/api/v1/organisations/{}", uuid::Uuid::now_v7()),
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn every_organisation_operation_answers_each_role_as_the_rules_say() {
    let (app, crew) = spawn_cast().await;
    let id = id_of(&create(&app, &crew.leader, &club(&crew.rieder)).await.json());
    let editor = register(&app, &unique_email("editor"), PASSWORD).await;
    let other_editor = register(&app, &unique_email("anderer-verein"), PASSWORD).await;
    let other = id_of(
        &create(
            &app,
            &crew.leader,
            &json!({"name": "SV Rieder", "kind": "verein", "district_id": crew.rieder}),
        )
        .await
        .json(),
    );
    for (organisation, who) in [(&id, &editor), (&other, &other_editor)] {
        let path = editor_path(organisation, who);
        assert_eq!(
            status(&app, Some(&crew.leader), Method::PUT, &path, None).await,
            201
        );
    }
    let mut editor = editor;
    let mut other_editor = other_editor;
    crate::support::renew(&app, &mut editor).await;
    crate::support::renew(&app, &mut other_editor).await;
    let target = register(&app, &unique_email("kandidatin"), PASSWORD).await;
    let roles: [(&str, Option<&Session>); 9] = [
        ("anonymous", None),
        ("resident", Some(&crew.resident)),
        ("editor", Some(&editor)),
        ("other organisation's editor", Some(&other_editor)),
        ("leader", Some(&crew.leader)),
        ("far leader", Some(&crew.far_leader)),
        ("dispatcher", Some(&crew.dispatcher)),
        ("operator", Some(&crew.operator)),
        ("admin", Some(&crew.admin)),
    ];
    let base = format!("/api/v1/organisations/{id}");
    for (name, who) in roles {
        let signed_in = who.is_some();
        let manages = matches!(name, "leader" | "admin");
        let edits = manages || name == "editor";
        let expect = |allowed: bool, ok: u16| {
            if !signed_in {
                401
            } else if allowed {
                ok
            } else {
                403
            }
        };
        assert_eq!(
            status(&app, who, Method::GET, &base, None).await,
            200,
            "get as {name}"
        );
        assert_eq!(
            status(&app, who, Method::GET, "/api/v1/organisations", None).await,
            200,
            "list as {name}"
        );
        let fresh =
            json!({"name": format!("Chor {name}"), "kind": "other", "district_id": crew.rieder});
        assert_eq!(
            status(
                &app,
                who,
                Method::POST,
                "/api/v1/organisations",
                Some(fresh)
            )
            .await,
            expect(manages, 201),
            "create as {name}"
        );
        assert_eq!(
            status(
                &app,
                who,
                Method::PATCH,
                &base,
                Some(json!({"contact_name": name}))
            )
            .await,
            expect(edits, 200),
            "update as {name}"
        );
        assert_eq!(
            status(&app, who, Method::GET, &format!("{base}/editors"), None).await,
            expect(edits, 200),
            "editors as {name}"
        );
        let path = editor_path(&id, &target);
        assert_eq!(
            status(&app, who, Method::PUT, &path, None).await,
            expect(manages, 201),
            "grant as {name}"
        );
        assert_eq!(
            status(
                &app,
                who,
                Method::POST,
                "/api/v1/news",
                Some(club_news(&id, &crew.rieder))
            )
            .await,
            expect(edits, 201),
            "news under the organisation as {name}"
        );
        assert_eq!(
            status(&app, who, Method::DELETE, &path, None).await,
            expect(manages, 204),
            "revoke as {name}"
        );
    }
    // Unknown organisations are 404 for those who may act at all.
    let missing = format!("/api/v1/organisations/{}/editors", uuid::Uuid::now_v7());
    assert_eq!(
        status(&app, Some(&crew.admin), Method::GET, &missing, None).await,
        404
    );
}

fn club_news(organisation: &str, district: &str) -> Value {
    json!({
        "title": "Maibaumsetzen am Dorfplatz",
        "body": "Der Heimatverein lädt ein: Samstag ab 15 Uhr, mit Kaffee und Kuchen.",
        "category": "announcement",
        "district_ids": [district],
        "organisation_id": organisation,
    })
}

#[tokio::test]
async fn an_editor_publishes_news_under_the_club_only_in_its_district_and_the_leader_can_take_it_down()
 {
    let (app, crew) = spawn_cast().await;
    let id = id_of(&create(&app, &crew.leader, &club(&crew.rieder)).await.json());
    let mut editor = register(&app, &unique_email("schriftfuehrer"), PASSWORD).await;
    let path = editor_path(&id, &editor);
    assert_eq!(
        status(&app, Some(&crew.leader), Method::PUT, &path, None).await,
        201
    );
    crate::support::renew(&app, &mut editor).await;

    let posted = post_json(
        &app,
        "/api/v1/news",
        Some(&editor.access),
        club_news(&id, &crew.rieder),
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let item = posted.json();
    assert_eq!(item["organisation_id"], id.as_str());
    let feed = get_anonymous(&app, &format!("/api/v1/news?district_id={}", crew.rieder))
        .await
        .json();
    assert_eq!(feed["items"][0]["organisation_id"], id.as_str(), "{feed}");

    // Not to another district, not to the whole town, not without the club's name, not under
    // an organisation that does not exist.
    let mut elsewhere = club_news(&id, &crew.badeborn);
    post_json(
        &app,
        "/api/v1/news",
        Some(&editor.access),
        elsewhere.clone(),
    )
    .await
    .assert_problem(403, "forbidden");
    elsewhere["district_ids"] = json!([crew.rieder, crew.badeborn]);
    post_json(
        &app,
        "/api/v1/news",
        Some(&editor.access),
        elsewhere.clone(),
    )
    .await
    .assert_problem(403, "forbidden");
    elsewhere["district_ids"] = json!([]);
    post_json(&app, "/api/v1/news", Some(&editor.access), elsewhere)
        .await
        .assert_problem(403, "forbidden");
    let mut unnamed = club_news(&id, &crew.rieder);
    unnamed["organisation_id"] = Value::Null;
    post_json(&app, "/api/v1/news", Some(&editor.access), unnamed)
        .await
        .assert_problem(403, "forbidden");
    let mut unknown = club_news(&id, &crew.rieder);
    unknown["organisation_id"] = json!(uuid::Uuid::now_v7());
    assert_invalid_field(
        &post_json(&app, "/api/v1/news", Some(&editor.access), unknown).await,
        "organisation_id",
    );

    // The editor corrects the item, but cannot take the club's name off it.
    let item_path = format!("/api/v1/news/{}", id_of(&item));
    let corrected = patch_json(
        &app,
        &item_path,
        Some(&editor.access),
        json!({"title": "Maibaumsetzen am Dorfplatz (bei Regen im Saal)"}),
    )
    .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    patch_json(
        &app,
        &item_path,
        Some(&editor.access),
        json!({"organisation_id": null}),
    )
    .await
    .assert_problem(403, "forbidden");
    // A leader elsewhere may not take it down; Rieder's leader may.
    let far = send(
        &app,
        Method::DELETE,
        &item_path,
        Some(&crew.far_leader.access),
        &[],
        None,
    )
    .await;
    far.assert_problem(403, "forbidden");
    let removed = send(
        &app,
        Method::DELETE,
        &item_path,
        Some(&crew.leader.access),
        &[],
        None,
    )
    .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    get_anonymous(&app, &item_path)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_change_to_an_organisation_based_on_an_old_copy_is_refused() {
    let (app, crew) = spawn_cast().await;
    let id = id_of(&create(&app, &crew.leader, &club(&crew.rieder)).await.json());
    let path = format!("/api/v1/organisations/{id}");
    let read = get_anonymous(&app, &path).await;
    let etag = read.header("etag").expect("an ETag").to_owned();
    let unchanged = send(
        &app,
        Method::GET,
        &path,
        None,
        &[("if-none-match", etag.as_str())],
        None,
    )
    .await;
    assert_eq!(unchanged.status, 304);
    // Someone else changes the contact meanwhile.
    let first = send(
        &app,
        Method::PATCH,
        &path,
        Some(&crew.leader.access),
        &[("if-match", etag.as_str())],
        Some(&json!({"contact_name": "Jens Vogel"})),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let new_etag = first.header("etag").expect("the new ETag").to_owned();
    assert_ne!(new_etag, etag);
    send(
        &app,
        Method::PATCH,
        &path,
        Some(&crew.admin.access),
        &[("if-match", etag.as_str())],
        Some(&json!({"contact_name": "Karin Vogel"})),
    )
    .await
    .assert_problem(412, "precondition_failed");
    let now = get_anonymous(&app, &path).await;
    assert_eq!(now.json()["contact_name"], "Jens Vogel");
    assert_eq!(now.header("etag"), Some(new_etag.as_str()));
}
