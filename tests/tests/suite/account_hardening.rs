//! Account protections found in review: parallel guessing, NUL characters, the last admin,
//! cache headers, throttled self-service password checks, erasure of registration records.

use serde_json::json;

use crate::support::{
    ADMIN_PASSWORD, PASSWORD, Reply, admin, delete_json, get_as, grant, login, post_json, put_json,
    register, spawn_with_admin, spawn_with_admin_and, unique_email,
};

#[tokio::test]
async fn parallel_wrong_passwords_cannot_slip_past_the_limit() {
    let app = spawn_with_admin_and(|s| s.login_max_failures = 3).await;
    let email = unique_email("ziel");
    register(&app, &email, PASSWORD).await;
    let attempts = (0..10).map(|i| {
        let email = email.clone();
        let app = &app;
        async move {
            login(app, &email, &format!("falsch-geraten-{i:02}"))
                .await
                .status
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let verified = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(verified + refused, 10, "{statuses:?}");
    assert!(verified <= 3, "at most the limit is checked: {statuses:?}");
}

#[tokio::test]
async fn a_throttled_login_waits_before_its_refusal_and_a_good_one_does_not() {
    // Long enough that a password check on a loaded CI machine (the suite hashes in parallel
    // on two cores) stays well below it: at 400 ms a slow good login read as held back.
    let delay = std::time::Duration::from_millis(2000);
    let app = spawn_with_admin_and(|s| {
        s.login_max_failures = 2;
        s.login_throttle_delay_ms = 2000;
    })
    .await;
    let email = unique_email("geduld");
    register(&app, &email, PASSWORD).await;
    let started = std::time::Instant::now();
    assert_eq!(login(&app, &email, PASSWORD).await.status, 200);
    assert!(started.elapsed() < delay, "a good login is not held back");
    for _ in 0..2 {
        let started = std::time::Instant::now();
        assert_eq!(login(&app, &email, "falsch-geraten-1").await.status, 401);
        assert!(
            started.elapsed() < delay,
            "a wrong password is answered at once"
        );
    }
    // Throttled: refused, even with the right password, and only after the delay.
    for password in ["falsch-geraten-2", PASSWORD] {
        let started = std::time::Instant::now();
        let reply = login(&app, &email, password).await;
        reply.assert_problem(429, "rate_limited");
        assert!(reply.header("retry-after").is_some(), "{reply:?}");
        assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    }
}

#[tokio::test]
async fn a_nul_character_is_a_field_error_not_a_server_error() {
    let app = spawn_with_admin().await;
    let reply = post_json(
        &app,
        "/api/v1/auth/login",
        None,
        json!({"email": "a\u{0}@x.de", "password": "egal-egal-egal"}),
    )
    .await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "email");
    let admin = admin(&app).await;
    let search = get_as(&app, "/api/v1/users?q=%00", &admin.access).await;
    search.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn the_last_administrator_role_cannot_be_revoked() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let me = get_as(&app, "/api/v1/me", &admin.access).await.json();
    let assignment = me["roles"][0]["id"]
        .as_str()
        .expect("admin assignment")
        .to_owned();
    let path = format!("/api/v1/users/{}/roles/{assignment}", admin.user_id);
    delete_json(&app, &path, Some(&admin.access), None)
        .await
        .assert_problem(409, "conflict");

    // With a second admin, the first may step down.
    let second = register(&app, &unique_email("zweite"), PASSWORD).await;
    assert_eq!(
        grant(&app, &admin, &second.user_id, json!({"role": "admin"}))
            .await
            .status,
        201
    );
    assert_eq!(
        delete_json(&app, &path, Some(&admin.access), None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn tokens_and_personal_data_are_not_cached() {
    let app = spawn_with_admin().await;
    let reply = login(&app, crate::support::ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let admin = admin(&app).await;
    assert_eq!(
        get_as(&app, "/api/v1/me", &admin.access)
            .await
            .header("cache-control"),
        Some("no-store")
    );
    let public = Reply::from(app.client.get("/api/v1/districts").send().await).await;
    assert_eq!(public.header("cache-control"), Some("no-cache"));
}

#[tokio::test]
async fn guessing_the_password_through_a_stolen_session_is_throttled_too() {
    let app = spawn_with_admin_and(|s| s.login_max_failures = 2).await;
    let email = unique_email("opfer");
    let session = register(&app, &email, PASSWORD).await;
    for guess in ["falsch-eins-1", "falsch-zwei-2"] {
        let reply = put_json(
            &app,
            "/api/v1/me/password",
            Some(&session.access),
            json!({"current_password": guess, "new_password": "ganz-neues-Passwort"}),
        )
        .await;
        reply.assert_problem(422, "validation_failed");
    }
    let blocked = put_json(
        &app,
        "/api/v1/me/password",
        Some(&session.access),
        json!({"current_password": PASSWORD, "new_password": "ganz-neues-Passwort"}),
    )
    .await;
    blocked.assert_problem(429, "rate_limited");
    let blocked = delete_json(
        &app,
        "/api/v1/me",
        Some(&session.access),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    blocked.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn deleting_the_account_erases_its_registration_record() {
    use entity::idempotency_record;
    use sea_orm::{EntityTrait, PaginatorTrait};

    let app = spawn_with_admin().await;
    let email = unique_email("kurz");
    let reply = Reply::from(
        app.client
            .post("/api/v1/auth/register")
            .header("Idempotency-Key", "einmalig-1")
            .content_type("application/json")
            .body(
                json!({"email": email, "password": PASSWORD, "display_name": "Kurz da"})
                    .to_string(),
            )
            .send()
            .await,
    )
    .await;
    assert_eq!(reply.status, 201);
    assert_eq!(
        idempotency_record::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        1
    );
    let token = reply.json()["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let deleted = delete_json(
        &app,
        "/api/v1/me",
        Some(&token),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        idempotency_record::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn the_export_does_not_hand_out_addresses_of_failed_attempts() {
    let app = spawn_with_admin().await;
    let email = unique_email("export");
    let session = register(&app, &email, PASSWORD).await;
    // Someone (perhaps not the owner) tries a wrong password.
    assert_eq!(login(&app, &email, "nicht-das-passwort").await.status, 401);
    let export = get_as(&app, "/api/v1/me/export", &session.access)
        .await
        .json();
    let attempts = export["login_attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{export}");
    assert_eq!(attempts[0]["succeeded"], false);
    assert!(attempts[0]["client_address"].is_null(), "{export}");
}

/// The id of `session`'s admin assignment.
async fn admin_assignment(
    app: &crate::support::TestApp,
    session: &crate::support::Session,
) -> String {
    let me = get_as(app, "/api/v1/me", &session.access).await.json();
    me["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["role"] == "admin")
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("no admin role: {me}"))
        .to_owned()
}

#[tokio::test]
async fn two_admins_revoking_each_other_at_once_leave_one() {
    let app = spawn_with_admin().await;
    let first = admin(&app).await;
    for round in 0..6 {
        let second = register(&app, &unique_email("admin"), PASSWORD).await;
        let granted = grant(&app, &first, &second.user_id, json!({"role": "admin"})).await;
        assert_eq!(granted.status, 201, "{}", granted.text);
        let (a, b) = (
            admin_assignment(&app, &first).await,
            admin_assignment(&app, &second).await,
        );
        let revoke_second = format!("/api/v1/users/{}/roles/{b}", second.user_id);
        let revoke_first = format!("/api/v1/users/{}/roles/{a}", first.user_id);
        let (one, other) = tokio::join!(
            delete_json(&app, &revoke_second, Some(&first.access), None),
            delete_json(&app, &revoke_first, Some(&second.access), None),
        );
        let statuses = [one.status.as_u16(), other.status.as_u16()];
        // Exactly one steps down; the other is refused: 409 (the last admin) when both were
        // in flight together, 403 when the first had finished before the second was checked.
        assert!(
            statuses.iter().filter(|s| **s == 204).count() == 1
                && statuses.iter().all(|s| [204, 403, 409].contains(s)),
            "round {round}: exactly one steps down: {statuses:?} {} {}",
            one.text,
            other.text
        );
        if one.status != 204 {
            // The first admin lost theirs; the second remains, which is all that matters.
            return;
        }
    }
}

#[tokio::test]
async fn the_only_admin_cannot_delete_their_account() {
    let app = spawn_with_admin().await;
    let only = admin(&app).await;
    let body = json!({"password": ADMIN_PASSWORD});
    let refused = delete_json(&app, "/api/v1/me", Some(&only.access), Some(body.clone())).await;
    refused.assert_problem(409, "conflict");
    assert_eq!(get_as(&app, "/api/v1/me", &only.access).await.status, 200);

    let second = register(&app, &unique_email("nachfolge"), PASSWORD).await;
    grant(&app, &only, &second.user_id, json!({"role": "admin"})).await;
    let done = delete_json(&app, "/api/v1/me", Some(&only.access), Some(body)).await;
    assert_eq!(done.status, 204, "{}", done.text);
}
