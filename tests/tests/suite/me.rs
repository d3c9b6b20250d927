//! The signed-in user's own account: profile, password change, data export, deletion.

use serde_json::{Value, json};

use crate::support::{
    PASSWORD, TestApp, admin, assert_invalid_field, delete_json, district_id, get_anonymous,
    get_as, is_utc_timestamp, login, login_ok, patch_json, post_json, put_json, register,
    register_reply, spawn_with_admin, user_with_role,
};

const NEW_PASSWORD: &str = "Winter-im-Harz-2027";

async fn refresh_status(app: &TestApp, refresh_token: &str) -> u16 {
    post_json(
        app,
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh_token}),
    )
    .await
    .status
    .as_u16()
}

#[tokio::test]
async fn every_account_endpoint_needs_a_token() {
    let app = TestApp::spawn().await;
    get_anonymous(&app, "/api/v1/me")
        .await
        .assert_problem(401, "unauthorized");
    patch_json(&app, "/api/v1/me", None, json!({"display_name": "X"}))
        .await
        .assert_problem(401, "unauthorized");
    put_json(
        &app,
        "/api/v1/me/password",
        None,
        json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    )
    .await
    .assert_problem(401, "unauthorized");
    get_anonymous(&app, "/api/v1/me/export")
        .await
        .assert_problem(401, "unauthorized");
    delete_json(
        &app,
        "/api/v1/me",
        None,
        Some(json!({"password": PASSWORD})),
    )
    .await
    .assert_problem(401, "unauthorized");
    post_json(
        &app,
        "/api/v1/me/delete",
        Some("garbage"),
        json!({"password": PASSWORD}),
    )
    .await
    .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn every_role_sees_its_own_account_with_its_assignments() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let resident = register(&app, "paula@example.org", PASSWORD).await;
    let leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;
    let dispatcher = user_with_role(&app, &admin, "dispatcher", None, None).await;
    let driver = user_with_role(&app, &admin, "driver", Some(&rieder), None).await;

    let me = get_as(&app, "/api/v1/me", &admin.access).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let roles = me.json()["roles"].clone();
    assert!(
        roles
            .as_array()
            .expect("roles")
            .iter()
            .any(|r| r["role"] == "admin" && r["district_id"].is_null()),
        "{roles}"
    );

    let me = get_as(&app, "/api/v1/me", &resident.access).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["email"], "paula@example.org");
    assert_eq!(me.json()["roles"], json!([]));

    for (session, role, district) in [
        (&leader, "district_leader", Value::from(rieder.clone())),
        (&dispatcher, "dispatcher", Value::Null),
        (&driver, "driver", Value::from(rieder.clone())),
    ] {
        let me = get_as(&app, "/api/v1/me", &session.access).await;
        assert_eq!(me.status, 200, "{role}: {}", me.text);
        let body = me.json();
        assert_eq!(body["id"], session.user_id.as_str());
        let roles = body["roles"].as_array().expect("roles").clone();
        assert_eq!(roles.len(), 1, "{role}: {body}");
        assert_eq!(roles[0]["role"], role);
        assert_eq!(roles[0]["district_id"], district, "{role}");
        assert_eq!(roles[0]["shop_id"], Value::Null, "{role}");
        assert!(is_utc_timestamp(&roles[0]["created_at"]), "{body}");
        assert!(roles[0]["id"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn a_resident_edits_the_profile_and_clears_fields_with_null() {
    let app = TestApp::spawn().await;
    let session = register(&app, "quirin@example.org", PASSWORD).await;
    let badeborn = district_id(&app, "badeborn").await;

    let reply = patch_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        json!({"display_name": "Quirin Müller", "home_district_id": badeborn, "phone": "0151 2345678"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["display_name"], "Quirin Müller");
    assert_eq!(body["home_district_id"], badeborn.as_str());
    assert_eq!(body["phone"], "0151 2345678");
    assert_eq!(body["email"], "quirin@example.org");
    assert_eq!(
        get_as(&app, "/api/v1/me", &session.access).await.json(),
        body,
        "the change is stored"
    );

    // Fields left out stay; null clears.
    let reply = patch_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        json!({"phone": null}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["phone"], Value::Null);
    assert_eq!(reply.json()["home_district_id"], badeborn.as_str());
    assert_eq!(reply.json()["display_name"], "Quirin Müller");
    let reply = patch_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        json!({"home_district_id": null}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["home_district_id"], Value::Null);
    assert_eq!(reply.json()["display_name"], "Quirin Müller");

    // Bad values are refused and change nothing.
    let reply = patch_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        json!({"display_name": ""}),
    )
    .await;
    assert_invalid_field(&reply, "display_name");
    let reply = patch_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        json!({"home_district_id": uuid::Uuid::now_v7().to_string()}),
    )
    .await;
    assert_invalid_field(&reply, "home_district_id");
    let me = get_as(&app, "/api/v1/me", &session.access).await.json();
    assert_eq!(me["display_name"], "Quirin Müller");
    assert_eq!(me["home_district_id"], Value::Null);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_keeps_this_one() {
    let app = TestApp::spawn().await;
    let here = register(&app, "rosa@example.org", PASSWORD).await;
    let elsewhere = login_ok(&app, "rosa@example.org", PASSWORD).await;

    let wrong = put_json(
        &app,
        "/api/v1/me/password",
        Some(&here.access),
        json!({"current_password": "Falsches-Passwort-1", "new_password": NEW_PASSWORD}),
    )
    .await;
    assert_invalid_field(&wrong, "current_password");
    let too_short = put_json(
        &app,
        "/api/v1/me/password",
        Some(&here.access),
        json!({"current_password": PASSWORD, "new_password": "kurz"}),
    )
    .await;
    assert_invalid_field(&too_short, "new_password");
    assert_eq!(
        get_as(&app, "/api/v1/me", &elsewhere.access).await.status,
        200,
        "refused changes end nothing"
    );

    let reply = put_json(
        &app,
        "/api/v1/me/password",
        Some(&here.access),
        json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    assert_eq!(get_as(&app, "/api/v1/me", &here.access).await.status, 200);
    get_as(&app, "/api/v1/me", &elsewhere.access)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(refresh_status(&app, &elsewhere.refresh).await, 401);
    assert_eq!(
        refresh_status(&app, &here.refresh).await,
        200,
        "this session keeps working"
    );

    login(&app, "rosa@example.org", PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
    let reply = login(&app, "rosa@example.org", NEW_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn the_export_holds_the_personal_data_roles_and_sessions() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let registered = register_reply(
        &app,
        json!({
            "email": "sophie@example.org",
            "password": PASSWORD,
            "display_name": "Sophie Wagner",
            "home_district_id": rieder,
            "phone": "+49 39483 9876",
        }),
    )
    .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let session = crate::support::Session::from_reply(&registered);
    let grant = crate::support::grant(
        &app,
        &admin,
        &session.user_id,
        json!({"role": "driver", "district_id": rieder}),
    )
    .await;
    assert_eq!(grant.status, 201, "{}", grant.text);
    login_ok(&app, "sophie@example.org", PASSWORD).await;

    let reply = get_as(&app, "/api/v1/me/export", &session.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        reply.header("content-type")
    );
    let export = reply.json();
    assert_eq!(export["user"]["email"], "sophie@example.org", "{export}");
    assert_eq!(export["user"]["display_name"], "Sophie Wagner");
    assert_eq!(export["user"]["phone"], "+49 39483 9876");
    let roles = export["roles"].as_array().expect("roles array");
    assert!(
        roles
            .iter()
            .any(|r| r["role"] == "driver" && r["district_id"] == rieder.as_str()),
        "{export}"
    );
    let sessions = export["sessions"].as_array().expect("sessions array");
    assert!(sessions.len() >= 2, "register and login: {export}");
    assert!(is_utc_timestamp(&export["exported_at"]), "{export}");

    // Secrets are not personal data to hand out.
    let text = reply.text.to_lowercase();
    assert!(
        !text.contains("$argon2"),
        "no password hash: {}",
        reply.text
    );
    assert!(
        !text.contains(&session.refresh.to_lowercase()),
        "no refresh token"
    );
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_then_erases_it() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let session = register(&app, "theo@example.org", PASSWORD).await;

    let wrong = delete_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        Some(json!({"password": "Falsches-Passwort-1"})),
    )
    .await;
    assert_invalid_field(&wrong, "password");
    assert_eq!(
        get_as(&app, "/api/v1/me", &session.access).await.status,
        200
    );

    let reply = delete_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    get_as(&app, "/api/v1/me", &session.access)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(refresh_status(&app, &session.refresh).await, 401);
    login(&app, "theo@example.org", PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
    get_as(
        &app,
        &format!("/api/v1/users/{}", session.user_id),
        &admin.access,
    )
    .await
    .assert_problem(404, "not_found");
    let found = get_as(&app, "/api/v1/users?q=theo", &admin.access).await;
    assert_eq!(found.json()["items"], json!([]), "{}", found.text);

    // The address is free again.
    let again = register_reply(
        &app,
        json!({"email": "theo@example.org", "password": PASSWORD, "display_name": "Theo"}),
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_ne!(again.json()["user"]["id"], session.user_id.as_str());
}

#[tokio::test]
async fn a_deleted_admin_loses_access_at_once() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let second = user_with_role(&app, &admin, "admin", None, None).await;
    assert_eq!(
        get_as(&app, "/api/v1/users", &second.access).await.status,
        200
    );
    let reply = delete_json(
        &app,
        "/api/v1/me",
        Some(&second.access),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    get_as(&app, "/api/v1/users", &second.access)
        .await
        .assert_problem(401, "unauthorized");
}
