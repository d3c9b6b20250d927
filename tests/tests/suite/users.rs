//! User and role management by administrators, the first administrator from configuration,
//! and district management: who may do what, and what they see.

use std::{collections::HashSet, sync::Arc};

use domain::clock::ManualClock;
use dorfapp::AppState;
use poem::EndpointExt;
use serde_json::{Value, json};

use crate::support::{
    ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Reply, Session, TestApp, TestDatabase, admin,
    assert_invalid_field, delete_json, district_id, encode, get_anonymous, get_as, grant,
    insert_shop, patch_json, post_json, register, register_named, spawn_with_admin, test_epoch,
    user_with_role,
};

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {page}"))
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn user_ids(app: &TestApp, token: &str, query: &str) -> HashSet<String> {
    let reply = get_as(app, &format!("/api/v1/users?{query}"), token).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.text);
    ids(&reply.json()).into_iter().collect()
}

fn set(items: &[&Session]) -> HashSet<String> {
    items.iter().map(|s| s.user_id.clone()).collect()
}

#[tokio::test]
async fn the_configured_admin_is_created_at_the_first_start_only() {
    let db = TestDatabase::new().await;
    let clock = Arc::new(ManualClock::new(test_epoch()));
    let start = |email: &str, password: &str| {
        let mut settings = db.settings();
        settings.admin_email = Some(email.into());
        settings.admin_password = Some(dorfapp::config::Secret::new(password));
        AppState::init(settings, clock.clone())
    };
    let first = start(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect("first start");
    let client = poem::test::TestClient::new(dorfapp::app(first.clone()).map_to_response());
    let reply = Reply::from(
        client
            .post("/api/v1/auth/login")
            .content_type("application/json")
            .body(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).to_string())
            .send()
            .await,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let roles = reply.json()["user"]["roles"].clone();
    assert!(
        roles
            .as_array()
            .expect("roles")
            .iter()
            .any(|r| r["role"] == "admin" && r["district_id"].is_null() && r["shop_id"].is_null()),
        "{roles}"
    );
    first.db.close_by_ref().await.ok();

    // An admin exists now: a second start with other settings creates nobody.
    let second = start("noch-ein-admin@example.org", "Ein-anderes-Passwort-9")
        .await
        .expect("second start");
    let client = poem::test::TestClient::new(dorfapp::app(second.clone()).map_to_response());
    let login_new = Reply::from(
        client
            .post("/api/v1/auth/login")
            .content_type("application/json")
            .body(
                json!({"email": "noch-ein-admin@example.org", "password": "Ein-anderes-Passwort-9"})
                    .to_string(),
            )
            .send()
            .await,
    )
    .await;
    login_new.assert_problem(401, "unauthorized");
    let login_old = Reply::from(
        client
            .post("/api/v1/auth/login")
            .content_type("application/json")
            .body(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).to_string())
            .send()
            .await,
    )
    .await;
    assert_eq!(login_old.status, 200, "{}", login_old.text);
}

/// Every admin endpoint: the admin may, other roles get 403, no token gets 401.
#[tokio::test]
async fn only_an_admin_may_manage_users_roles_and_districts() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let resident = register(&app, "uwe@example.org", PASSWORD).await;
    let leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;
    let dispatcher = user_with_role(&app, &admin, "dispatcher", None, None).await;
    let driver = user_with_role(&app, &admin, "driver", Some(&rieder), None).await;
    let shop = insert_shop(&app, &rieder).await;
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    let others = [
        ("resident", &resident),
        ("district_leader", &leader),
        ("dispatcher", &dispatcher),
        ("driver", &driver),
        ("shop_operator", &operator),
    ];
    // The target of role changes: a plain resident with one assignment to revoke.
    let target = register(&app, "vera@example.org", PASSWORD).await;
    let assignment = grant(
        &app,
        &admin,
        &target.user_id,
        json!({"role": "driver", "district_id": rieder}),
    )
    .await;
    assert_eq!(assignment.status, 201, "{}", assignment.text);
    let assignment_id = assignment.json()["id"].as_str().expect("id").to_owned();

    // Each call: (name, call with an optional token, expected admin status).
    let users_path = format!("/api/v1/users/{}", target.user_id);
    let roles_path = format!("/api/v1/users/{}/roles", target.user_id);
    let revoke_path = format!("{roles_path}/{assignment_id}");
    let district_path = format!("/api/v1/districts/{rieder}");
    let role_body = json!({"role": "dispatcher"});
    let district_body = json!({"slug": "neudorf", "name": "Neudorf"});
    let patch_body = json!({"description": "Am Fuße des Harzes."});

    for (who, session) in others {
        let token = Some(session.access.as_str());
        get_as(&app, "/api/v1/users", &session.access)
            .await
            .assert_problem(403, "forbidden");
        get_as(&app, &users_path, &session.access)
            .await
            .assert_problem(403, "forbidden");
        let reply = post_json(&app, &roles_path, token, role_body.clone()).await;
        assert_eq!(reply.status, 403, "{who} grants: {}", reply.text);
        reply.assert_problem(403, "forbidden");
        let reply = delete_json(&app, &revoke_path, token, None).await;
        assert_eq!(reply.status, 403, "{who} revokes: {}", reply.text);
        reply.assert_problem(403, "forbidden");
        let reply = post_json(&app, "/api/v1/districts", token, district_body.clone()).await;
        assert_eq!(
            reply.status, 403,
            "{who} creates a district: {}",
            reply.text
        );
        reply.assert_problem(403, "forbidden");
        let reply = patch_json(&app, &district_path, token, patch_body.clone()).await;
        assert_eq!(reply.status, 403, "{who} edits a district: {}", reply.text);
        reply.assert_problem(403, "forbidden");
    }

    get_anonymous(&app, "/api/v1/users")
        .await
        .assert_problem(401, "unauthorized");
    get_anonymous(&app, &users_path)
        .await
        .assert_problem(401, "unauthorized");
    post_json(&app, &roles_path, None, role_body.clone())
        .await
        .assert_problem(401, "unauthorized");
    delete_json(&app, &revoke_path, None, None)
        .await
        .assert_problem(401, "unauthorized");
    post_json(&app, "/api/v1/districts", None, district_body.clone())
        .await
        .assert_problem(401, "unauthorized");
    patch_json(&app, &district_path, None, patch_body.clone())
        .await
        .assert_problem(401, "unauthorized");

    // Nothing of the above changed anything; the admin may do all of it.
    let me = get_as(&app, &users_path, &admin.access).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["roles"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        get_as(&app, "/api/v1/users", &admin.access).await.status,
        200
    );
    let reply = post_json(&app, &roles_path, Some(&admin.access), role_body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let reply = delete_json(&app, &revoke_path, Some(&admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let reply = post_json(
        &app,
        "/api/v1/districts",
        Some(&admin.access),
        district_body,
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let reply = patch_json(&app, &district_path, Some(&admin.access), patch_body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn an_admin_finds_users_by_text_role_and_district() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let anna = register_named(&app, "anna@example.org", PASSWORD, "Anna Schmidt").await;
    let bernd = register_named(&app, "bernd@example.org", PASSWORD, "Bernd Keller").await;
    let clara = register_named(&app, "clara@example.org", PASSWORD, "Clara Vogt").await;
    let dora = register_named(&app, "dora@example.org", PASSWORD, "Dora Schmidtke").await;
    for (who, body) in [
        (&bernd, json!({"role": "driver", "district_id": rieder})),
        (
            &clara,
            json!({"role": "district_leader", "district_id": badeborn}),
        ),
        (&clara, json!({"role": "driver", "district_id": rieder})),
        (&dora, json!({"role": "dispatcher"})),
    ] {
        let reply = grant(&app, &admin, &who.user_id, body).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let t = admin.access.as_str();

    let all = user_ids(&app, t, "").await;
    assert_eq!(all, set(&[&admin, &anna, &bernd, &clara, &dora]));
    assert_eq!(user_ids(&app, t, "q=SCHMIDT").await, set(&[&anna, &dora]));
    assert_eq!(user_ids(&app, t, "q=anna%40EXAMPLE").await, set(&[&anna]));
    assert_eq!(user_ids(&app, t, "q=niemand").await, set(&[]));
    assert_eq!(
        user_ids(&app, t, "role=driver").await,
        set(&[&bernd, &clara])
    );
    assert_eq!(user_ids(&app, t, "role=dispatcher").await, set(&[&dora]));
    assert_eq!(user_ids(&app, t, "role=admin").await, set(&[&admin]));
    assert_eq!(
        user_ids(&app, t, &format!("district_id={badeborn}")).await,
        set(&[&clara])
    );
    assert_eq!(
        user_ids(&app, t, &format!("district_id={rieder}")).await,
        set(&[&bernd, &clara])
    );
    assert_eq!(
        user_ids(
            &app,
            t,
            &format!("role=driver&district_id={rieder}&q=keller")
        )
        .await,
        set(&[&bernd])
    );

    // The list shows the same user as the single read.
    let page = get_as(&app, "/api/v1/users?q=clara", t).await.json();
    let single = get_as(&app, &format!("/api/v1/users/{}", clara.user_id), t).await;
    assert_eq!(single.status, 200, "{}", single.text);
    assert_eq!(page["items"][0], single.json());
    assert_eq!(page["next_cursor"], Value::Null);
}

#[tokio::test]
async fn the_user_list_pages_through_every_user_exactly_once() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let mut expected = HashSet::from([admin.user_id.clone()]);
    for n in 1..=5 {
        let session = register(&app, &format!("seite-{n}@example.org"), PASSWORD).await;
        expected.insert(session.user_id);
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=2&cursor={}", encode(c)),
            None => "/api/v1/users?limit=2".to_owned(),
        };
        let reply = get_as(&app, &path, &admin.access).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        let page = reply.json();
        let items = ids(&page);
        assert!(items.len() <= 2, "limit 2: {page}");
        seen.extend(items);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                cursor = None;
                break;
            }
        }
    }
    assert!(cursor.is_none(), "the pages end");
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no user twice: {seen:?}");
    assert_eq!(unique, expected, "every user once");
}

#[tokio::test]
async fn a_user_is_read_by_id_and_unknown_ids_are_not_found() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let opperode = district_id(&app, "opperode").await;
    let registered = crate::support::register_reply(
        &app,
        json!({
            "email": "wilma@example.org",
            "password": PASSWORD,
            "display_name": "Wilma",
            "home_district_id": opperode,
            "phone": "03946 123",
        }),
    )
    .await;
    assert_eq!(registered.status, 201);
    let user = registered.json()["user"].clone();
    let id = user["id"].as_str().expect("id");

    let reply = get_as(&app, &format!("/api/v1/users/{id}"), &admin.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json(), user, "the admin sees what the user sees");

    get_as(
        &app,
        &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
        &admin.access,
    )
    .await
    .assert_problem(404, "not_found");
    get_as(&app, "/api/v1/users/not-a-uuid", &admin.access)
        .await
        .assert_problem(400, "bad_request");
}

#[tokio::test]
async fn role_assignments_must_fit_their_scope() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let asmusstedt = district_id(&app, "asmusstedt").await;
    let user = register(&app, "xaver@example.org", PASSWORD).await;
    let unknown = uuid::Uuid::now_v7().to_string();

    for (body, field) in [
        (
            json!({"role": "dispatcher", "district_id": rieder}),
            "district_id",
        ),
        (
            json!({"role": "admin", "district_id": rieder}),
            "district_id",
        ),
        (json!({"role": "district_leader"}), "district_id"),
        (json!({"role": "driver"}), "district_id"),
        (json!({"role": "shop_operator"}), "shop_id"),
    ] {
        let reply = grant(&app, &admin, &user.user_id, body.clone()).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }
    let reply = grant(&app, &admin, &user.user_id, json!({"role": "mayor"})).await;
    assert_eq!(reply.status, 422, "unknown role: {}", reply.text);
    reply.assert_problem(422, "validation_failed");
    grant(
        &app,
        &admin,
        &user.user_id,
        json!({"role": "driver", "district_id": unknown}),
    )
    .await
    .assert_problem(404, "not_found");
    grant(
        &app,
        &admin,
        &user.user_id,
        json!({"role": "shop_operator", "shop_id": unknown}),
    )
    .await
    .assert_problem(404, "not_found");
    grant(&app, &admin, &unknown, json!({"role": "dispatcher"}))
        .await
        .assert_problem(404, "not_found");
    let me = get_as(&app, "/api/v1/me", &user.access).await;
    assert_eq!(me.json()["roles"], json!([]), "nothing was granted");

    // A driver may serve several districts; the same assignment twice is a conflict.
    let first = grant(
        &app,
        &admin,
        &user.user_id,
        json!({"role": "driver", "district_id": rieder}),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let body = first.json();
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()),
        "{body}"
    );
    assert_eq!(body["role"], "driver");
    assert_eq!(body["district_id"], rieder.as_str());
    assert_eq!(body["shop_id"], Value::Null);
    assert!(
        crate::support::is_utc_timestamp(&body["created_at"]),
        "{body}"
    );
    let second = grant(
        &app,
        &admin,
        &user.user_id,
        json!({"role": "driver", "district_id": asmusstedt}),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.text);
    grant(
        &app,
        &admin,
        &user.user_id,
        json!({"role": "driver", "district_id": rieder}),
    )
    .await
    .assert_problem(409, "conflict");
    let shop = insert_shop(&app, &rieder).await;
    let operator = grant(
        &app,
        &admin,
        &user.user_id,
        json!({"role": "shop_operator", "shop_id": shop}),
    )
    .await;
    assert_eq!(operator.status, 201, "{}", operator.text);
    assert_eq!(operator.json()["shop_id"], shop.as_str());
    assert_eq!(operator.json()["district_id"], Value::Null);
    grant(
        &app,
        &admin,
        &user.user_id,
        json!({"role": "shop_operator", "shop_id": shop}),
    )
    .await
    .assert_problem(409, "conflict");
    let global = grant(&app, &admin, &user.user_id, json!({"role": "dispatcher"})).await;
    assert_eq!(global.status, 201, "{}", global.text);
    assert_eq!(global.json()["district_id"], Value::Null);
    grant(&app, &admin, &user.user_id, json!({"role": "dispatcher"}))
        .await
        .assert_problem(409, "conflict");

    let me = get_as(&app, "/api/v1/me", &user.access).await.json();
    let mut held: Vec<(String, Value)> = me["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| {
            let scope = if r["shop_id"].is_null() {
                r["district_id"].clone()
            } else {
                r["shop_id"].clone()
            };
            (r["role"].as_str().expect("role").to_owned(), scope)
        })
        .collect();
    held.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let mut want = vec![
        ("dispatcher".to_owned(), Value::Null),
        ("driver".to_owned(), Value::from(rieder.clone())),
        ("driver".to_owned(), Value::from(asmusstedt.clone())),
        ("shop_operator".to_owned(), Value::from(shop.clone())),
    ];
    want.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(held, want, "{me}");
}

/// The sign-in check reads all of a person's roles at once (one row each): someone who drives
/// and administers keeps driving when the admin role is taken, with the same token.
#[tokio::test]
async fn a_person_with_two_roles_holds_both_and_keeps_one_when_the_other_is_revoked() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let deputy = register(&app, "ilse@example.org", PASSWORD).await;
    let driving = grant(
        &app,
        &admin,
        &deputy.user_id,
        json!({"role": "driver", "district_id": rieder}),
    )
    .await;
    assert_eq!(driving.status, 201, "{}", driving.text);
    let administering = grant(&app, &admin, &deputy.user_id, json!({"role": "admin"})).await;
    assert_eq!(administering.status, 201, "{}", administering.text);

    let drives = || get_as(&app, "/api/v1/rides?scope=driver", &deputy.access);
    assert_eq!(drives().await.status, 200, "drives in Rieder");
    assert_eq!(
        get_as(&app, "/api/v1/users", &deputy.access).await.status,
        200,
        "administers"
    );
    let me = get_as(&app, "/api/v1/me", &deputy.access).await;
    assert_eq!(
        me.json()["roles"].as_array().map(Vec::len),
        Some(2),
        "{}",
        me.text
    );

    let admin_role = administering.json()["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/users/{}/roles/{admin_role}", deputy.user_id);
    let reply = delete_json(&app, &path, Some(&admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    get_as(&app, "/api/v1/users", &deputy.access)
        .await
        .assert_problem(403, "forbidden");
    let still = drives().await;
    assert_eq!(still.status, 200, "still drives: {}", still.text);
}

#[tokio::test]
async fn a_revoked_role_stops_working_with_a_token_already_issued() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let deputy = register(&app, "yvonne@example.org", PASSWORD).await;
    let granted = grant(&app, &admin, &deputy.user_id, json!({"role": "admin"})).await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    let assignment = granted.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(
        get_as(&app, "/api/v1/users", &deputy.access).await.status,
        200,
        "a granted role works at once"
    );

    let path = format!("/api/v1/users/{}/roles/{assignment}", deputy.user_id);
    let reply = delete_json(&app, &path, Some(&admin.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    get_as(&app, "/api/v1/users", &deputy.access)
        .await
        .assert_problem(403, "forbidden");
    let me = get_as(&app, "/api/v1/me", &deputy.access).await;
    assert_eq!(me.status, 200, "still signed in as a resident: {}", me.text);
    assert_eq!(me.json()["roles"], json!([]));

    delete_json(&app, &path, Some(&admin.access), None)
        .await
        .assert_problem(404, "not_found");
    delete_json(
        &app,
        &format!(
            "/api/v1/users/{}/roles/{}",
            deputy.user_id,
            uuid::Uuid::now_v7()
        ),
        Some(&admin.access),
        None,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_assignment_is_revoked_only_under_its_own_user() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let zoe = user_with_role(&app, &admin, "dispatcher", None, None).await;
    let other = register(&app, "zacharias@example.org", PASSWORD).await;
    let assignment = get_as(&app, "/api/v1/me", &zoe.access).await.json()["roles"][0]["id"]
        .as_str()
        .expect("assignment id")
        .to_owned();
    delete_json(
        &app,
        &format!("/api/v1/users/{}/roles/{assignment}", other.user_id),
        Some(&admin.access),
        None,
    )
    .await
    .assert_problem(404, "not_found");
    let me = get_as(&app, "/api/v1/me", &zoe.access).await.json();
    assert_eq!(me["roles"][0]["role"], "dispatcher", "{me}");
}

#[tokio::test]
async fn an_admin_creates_and_edits_districts_and_everyone_sees_them() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let token = Some(admin.access.as_str());

    let reply = post_json(
        &app,
        "/api/v1/districts",
        token,
        json!({"slug": "neudorf", "name": "Neudorf", "description": "Ein neuer Ortsteil."}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let created = reply.json();
    assert_eq!(created["slug"], "neudorf");
    assert_eq!(created["name"], "Neudorf");
    assert_eq!(created["description"], "Ein neuer Ortsteil.");
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok());

    let list = app.get("/api/v1/districts").await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(7), "{list}");
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .any(|d| d["id"] == id.as_str())
    );

    post_json(
        &app,
        "/api/v1/districts",
        token,
        json!({"slug": "neudorf", "name": "Noch ein Neudorf"}),
    )
    .await
    .assert_problem(409, "conflict");
    let bad = post_json(
        &app,
        "/api/v1/districts",
        token,
        json!({"slug": "Not A Slug", "name": "Falsch"}),
    )
    .await;
    assert_invalid_field(&bad, "slug");

    let reply = patch_json(
        &app,
        &format!("/api/v1/districts/{id}"),
        token,
        json!({"name": "Neudorf am Harz", "slug": "neudorf-am-harz"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let edited = reply.json();
    assert_eq!(edited["name"], "Neudorf am Harz");
    assert_eq!(edited["slug"], "neudorf-am-harz");
    assert_eq!(
        edited["description"], "Ein neuer Ortsteil.",
        "left out stays"
    );
    let read = app.get(&format!("/api/v1/districts/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), edited);

    patch_json(
        &app,
        &format!("/api/v1/districts/{id}"),
        token,
        json!({"slug": "rieder"}),
    )
    .await
    .assert_problem(409, "conflict");
    let bad = patch_json(
        &app,
        &format!("/api/v1/districts/{id}"),
        token,
        json!({"slug": "Not A Slug"}),
    )
    .await;
    assert_invalid_field(&bad, "slug");
    patch_json(
        &app,
        &format!("/api/v1/districts/{}", uuid::Uuid::now_v7()),
        token,
        json!({"name": "Nirgendwo"}),
    )
    .await
    .assert_problem(404, "not_found");
}
