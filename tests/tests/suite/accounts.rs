//! Accounts and sessions: registration, login and its throttling, refresh-token rotation,
//! logout, and access tokens that must not be forged.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, Reply, Session, TestApp, admin, assert_invalid_field, district_id, get_anonymous,
    get_as, is_utc_timestamp, login, login_ok, post_json, register, register_reply,
    spawn_with_admin,
};

async fn refresh(app: &TestApp, refresh_token: &str) -> Reply {
    post_json(
        app,
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh_token}),
    )
    .await
}

async fn logout(app: &TestApp, refresh_token: &str) -> Reply {
    post_json(
        app,
        "/api/v1/auth/logout",
        None,
        json!({"refresh_token": refresh_token}),
    )
    .await
}

#[track_caller]
fn assert_tokens(tokens: &Value) {
    assert!(
        tokens["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{tokens}"
    );
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{tokens}"
    );
    assert_ne!(tokens["access_token"], tokens["refresh_token"], "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}");
    assert_eq!(tokens["expires_in"], 900, "{tokens}");
    assert_eq!(tokens["refresh_expires_in"], 2_592_000, "{tokens}");
}

#[tokio::test]
async fn registering_answers_with_the_new_user_and_tokens_that_work_at_once() {
    let app = TestApp::spawn().await;
    let rieder = district_id(&app, "rieder").await;
    let reply = register_reply(
        &app,
        json!({
            "email": "anna@example.org",
            "password": PASSWORD,
            "display_name": "Anna Schmidt",
            "home_district_id": rieder,
            "phone": "+49 39483 1234",
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let body = reply.json();
    let user = &body["user"];
    assert!(
        user["id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()),
        "{user}"
    );
    assert_eq!(user["email"], "anna@example.org");
    assert_eq!(user["display_name"], "Anna Schmidt");
    assert_eq!(user["home_district_id"], rieder.as_str());
    assert_eq!(user["phone"], "+49 39483 1234");
    assert_eq!(
        user["roles"],
        json!([]),
        "a new resident holds no assignments"
    );
    assert!(is_utc_timestamp(&user["created_at"]), "{user}");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    assert_tokens(&body["tokens"]);

    let session = Session::from_reply(&reply);
    let me = get_as(&app, "/api/v1/me", &session.access).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json(), *user, "GET /me shows the user just registered");

    // The optional fields may be left out; they are then null.
    let bare = register_reply(
        &app,
        json!({"email": "bernd@example.org", "password": PASSWORD, "display_name": "Bernd"}),
    )
    .await;
    assert_eq!(bare.status, 201, "{}", bare.text);
    assert_eq!(bare.json()["user"]["home_district_id"], Value::Null);
    assert_eq!(bare.json()["user"]["phone"], Value::Null);
}

#[tokio::test]
async fn registration_refuses_bad_fields_and_names_the_field_at_fault() {
    let app = TestApp::spawn().await;
    let base =
        || json!({"email": "clara@example.org", "password": PASSWORD, "display_name": "Clara"});
    let with = |field: &str, value: Value| {
        let mut body = base();
        body[field] = value;
        body
    };
    let cases = [
        (
            "password",
            with("password", json!("neun-9999")),
            "9 characters",
        ),
        (
            "password",
            with("password", json!("x".repeat(129))),
            "129 characters",
        ),
        ("email", with("email", json!("clara.example.org")), "no @"),
        ("email", with("email", json!("")), "empty"),
        (
            "display_name",
            with("display_name", json!("")),
            "empty name",
        ),
        (
            "display_name",
            with("display_name", json!("x".repeat(101))),
            "101 characters",
        ),
        (
            "home_district_id",
            with("home_district_id", json!(uuid::Uuid::now_v7().to_string())),
            "unknown district",
        ),
    ];
    for (field, body, why) in cases {
        let reply = register_reply(&app, body).await;
        assert_eq!(reply.status, 422, "{why}: {}", reply.text);
        assert_invalid_field(&reply, field);
    }

    // Nothing was created: the address is still free, and the limits are inclusive.
    let shortest = register_reply(&app, with("password", json!("zehn-10-ok"))).await;
    assert_eq!(
        shortest.status, 201,
        "10 characters are enough: {}",
        shortest.text
    );
    let longest = register_reply(
        &app,
        json!({"email": "dora@example.org", "password": "y".repeat(128), "display_name": "D".repeat(100)}),
    )
    .await;
    assert_eq!(
        longest.status, 201,
        "128 / 100 characters are allowed: {}",
        longest.text
    );
}

#[tokio::test]
async fn an_address_can_be_registered_only_once_whatever_its_case() {
    let app = TestApp::spawn().await;
    register(&app, "anna@example.org", PASSWORD).await;
    for email in ["anna@example.org", "Anna@Example.org", "ANNA@EXAMPLE.ORG"] {
        let reply = register_reply(
            &app,
            json!({"email": email, "password": PASSWORD, "display_name": "Noch eine Anna"}),
        )
        .await;
        reply.assert_problem(409, "conflict");
    }
}

#[tokio::test]
async fn a_retried_registration_creates_one_account_and_no_second_session() {
    let app = spawn_with_admin().await;
    let body = json!({"email": "emil@example.org", "password": PASSWORD, "display_name": "Emil"});
    let send = |key: &'static str, body: Value| {
        let app = &app;
        async move {
            Reply::from(
                app.client
                    .post("/api/v1/auth/register")
                    .header("Idempotency-Key", key)
                    .content_type("application/json")
                    .body(body.to_string())
                    .send()
                    .await,
            )
            .await
        }
    };
    let first = send("reg-4711", body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    // The retry creates nothing and mints no session (the first answer's session is never
    // stored): it says "already created, please sign in", whatever password it carries, so
    // that the key is no password check beside the throttled login.
    let retry = send("reg-4711", body.clone()).await;
    let said = retry.assert_problem(409, "conflict");
    assert!(retry.json().get("tokens").is_none(), "{}", retry.text);
    let mut wrong_password = body.clone();
    wrong_password["password"] = json!("ein ganz anderes Passwort");
    let guessed = send("reg-4711", wrong_password).await;
    assert_eq!(
        guessed.assert_problem(409, "conflict")["detail"],
        said["detail"],
        "right and wrong password get the same answer"
    );
    {
        use sea_orm::{EntityTrait, PaginatorTrait};
        let sessions = entity::session::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count");
        assert_eq!(sessions, 1, "the first registration's, no second");
    }

    let admin = admin(&app).await;
    let found = get_as(&app, "/api/v1/users?q=emil%40example.org", &admin.access).await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(
        found.json()["items"].as_array().map(Vec::len),
        Some(1),
        "one account only: {}",
        found.text
    );
    // Signing in is the way on.
    assert_eq!(login(&app, "emil@example.org", PASSWORD).await.status, 200);

    // The same key with a different registration of the same address is refused.
    let mut other = body.clone();
    other["display_name"] = json!("Emil Anders");
    send("reg-4711", other)
        .await
        .assert_problem(422, "validation_failed");
    // Keys are scoped by the address: a stranger who picks the same key is not affected.
    let mut stranger = body.clone();
    stranger["email"] = json!("emilia@example.org");
    assert_eq!(send("reg-4711", stranger).await.status, 201);
    let emilia = get_as(&app, "/api/v1/users?q=emilia", &admin.access).await;
    assert_eq!(
        emilia.json()["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        emilia.text
    );
}

#[tokio::test]
async fn login_ignores_the_case_of_the_address_and_gives_a_new_working_session() {
    let app = TestApp::spawn().await;
    let registered = register(&app, "friedrich@example.org", PASSWORD).await;
    let reply = login(&app, "Friedrich@EXAMPLE.org", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["user"]["id"], registered.user_id.as_str());
    assert_eq!(body["user"]["email"], "friedrich@example.org");
    assert_tokens(&body["tokens"]);
    let session = Session::from_reply(&reply);
    assert_ne!(session.refresh, registered.refresh, "a session of its own");
    let me = get_as(&app, "/api/v1/me", &session.access).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["id"], registered.user_id.as_str());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let app = TestApp::spawn().await;
    register(&app, "greta@example.org", PASSWORD).await;
    let wrong_password = login(&app, "greta@example.org", "Falsches-Passwort-1").await;
    let unknown = login(&app, "niemand@example.org", "Falsches-Passwort-1").await;
    let a = wrong_password.assert_problem(401, "unauthorized");
    let b = unknown.assert_problem(401, "unauthorized");
    assert_eq!(a["detail"], b["detail"], "one generic message");
    assert_eq!(a["title"], b["title"]);
    assert_eq!(a.get("errors"), b.get("errors"));
    assert_eq!(wrong_password.header("content-language"), Some("de"));
}

#[tokio::test]
async fn repeated_failures_lock_an_account_for_fifteen_minutes_even_for_the_right_password() {
    let app = TestApp::spawn_with(|s| s.login_max_failures = 3).await;
    register(&app, "hanna@example.org", PASSWORD).await;
    for attempt in 1..=3 {
        let reply = login(&app, "hanna@example.org", "Falsches-Passwort-1").await;
        assert_eq!(reply.status, 401, "attempt {attempt}: {}", reply.text);
    }
    let locked = login(&app, "hanna@example.org", PASSWORD).await;
    locked.assert_problem(429, "rate_limited");
    let retry_after: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "Retry-After {retry_after}"
    );

    app.clock.advance(chrono::Duration::minutes(16));
    let reply = login(&app, "hanna@example.org", PASSWORD).await;
    assert_eq!(reply.status, 200, "the window has passed: {}", reply.text);
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_accounts() {
    let app = TestApp::spawn_with(|s| s.login_max_failures_per_address = 3).await;
    register(&app, "ida@example.org", PASSWORD).await;
    for n in 1..=3 {
        let reply = login(
            &app,
            &format!("rate-{n}@example.org"),
            "Falsches-Passwort-1",
        )
        .await;
        assert_eq!(reply.status, 401, "attempt {n}: {}", reply.text);
    }
    let throttled = login(&app, "rate-4@example.org", "Falsches-Passwort-1").await;
    throttled.assert_problem(429, "rate_limited");
    let retry_after: u64 = throttled
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!(retry_after > 0);

    app.clock.advance(chrono::Duration::minutes(16));
    let reply = login(&app, "ida@example.org", PASSWORD).await;
    assert_eq!(reply.status, 200, "the window has passed: {}", reply.text);
}

#[tokio::test]
async fn a_care_homes_residents_behind_one_address_are_not_locked_out_by_each_others_typos() {
    // Defaults: 5 failures lock an account, but one address takes many more.
    let app = TestApp::spawn().await;
    for n in 1..=12 {
        let email = format!("bewohner-{n}@example.org");
        register(&app, &email, PASSWORD).await;
        let typo = login(&app, &email, "Falsches-Passwort-1").await;
        assert_eq!(typo.status, 401, "resident {n}: {}", typo.text);
    }
    let reply = login(&app, "bewohner-12@example.org", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    register(&app, "pflegerin@example.org", PASSWORD).await;
    let reply = login(&app, "pflegerin@example.org", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_often_it_is_refreshed() {
    let day = 24 * 3600;
    let app = TestApp::spawn_with(|s| s.session_max_lifetime_seconds = 40 * day).await;
    let mut token = register(&app, "konrad@example.org", PASSWORD).await.refresh;
    let mut elapsed = 0;
    for (after_days, still_on) in [(20, true), (15, true), (6, false)] {
        app.clock.advance(chrono::Duration::days(after_days));
        elapsed += after_days as u64;
        let reply = refresh(&app, &token).await;
        if still_on {
            assert_eq!(reply.status, 200, "{}", reply.text);
            let tokens = &reply.json()["tokens"];
            token = tokens["refresh_token"].as_str().expect("token").to_owned();
            assert!(
                tokens["refresh_expires_in"].as_u64().expect("expiry") <= (40 - elapsed) * day,
                "never promised beyond the absolute end: {tokens}"
            );
        } else {
            reply.assert_problem(401, "unauthorized");
        }
    }
    let again = login(&app, "konrad@example.org", PASSWORD).await;
    assert_eq!(again.status, 200, "signing in again works: {}", again.text);
}

#[tokio::test]
async fn a_refresh_token_works_once_and_reusing_it_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let first = register(&app, "jakob@example.org", PASSWORD).await;

    let rotated = refresh(&app, &first.refresh).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let tokens = rotated.json()["tokens"].clone();
    assert_tokens(&tokens);
    let new_refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let new_access = tokens["access_token"].as_str().expect("access").to_owned();
    assert_ne!(new_refresh, first.refresh, "the refresh token rotates");
    let me = get_as(&app, "/api/v1/me", &new_access).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["id"], first.user_id.as_str());

    // Someone presents the used token again: that looks like theft, the session ends.
    refresh(&app, &first.refresh)
        .await
        .assert_problem(401, "unauthorized");
    refresh(&app, &new_refresh)
        .await
        .assert_problem(401, "unauthorized");
    get_as(&app, "/api/v1/me", &new_access)
        .await
        .assert_problem(401, "unauthorized");
    get_as(&app, "/api/v1/me", &first.access)
        .await
        .assert_problem(401, "unauthorized");

    // Nonsense is simply refused.
    refresh(&app, "not-a-refresh-token")
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn reusing_a_refresh_token_ends_only_that_session() {
    let app = TestApp::spawn().await;
    let phone = register(&app, "karl@example.org", PASSWORD).await;
    let tablet = login_ok(&app, "karl@example.org", PASSWORD).await;
    assert_eq!(refresh(&app, &phone.refresh).await.status, 200);
    assert_eq!(refresh(&app, &phone.refresh).await.status, 401);

    let me = get_as(&app, "/api/v1/me", &tablet.access).await;
    assert_eq!(
        me.status, 200,
        "the other device keeps working: {}",
        me.text
    );
    assert_eq!(refresh(&app, &tablet.refresh).await.status, 200);
}

#[tokio::test]
async fn tokens_cannot_stand_in_for_each_other() {
    let app = TestApp::spawn().await;
    let session = register(&app, "lena@example.org", PASSWORD).await;
    get_as(&app, "/api/v1/me", &session.refresh)
        .await
        .assert_problem(401, "unauthorized");
    refresh(&app, &session.access)
        .await
        .assert_problem(401, "unauthorized");
    // Both still work for what they are.
    assert_eq!(
        get_as(&app, "/api/v1/me", &session.access).await.status,
        200
    );
    assert_eq!(refresh(&app, &session.refresh).await.status, 200);
}

#[tokio::test]
async fn logout_ends_the_session_and_unknown_tokens_are_accepted_quietly() {
    let app = TestApp::spawn().await;
    let phone = register(&app, "mia@example.org", PASSWORD).await;
    let tablet = login_ok(&app, "mia@example.org", PASSWORD).await;

    let reply = logout(&app, &phone.refresh).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    refresh(&app, &phone.refresh)
        .await
        .assert_problem(401, "unauthorized");
    get_as(&app, "/api/v1/me", &phone.access)
        .await
        .assert_problem(401, "unauthorized");

    let me = get_as(&app, "/api/v1/me", &tablet.access).await;
    assert_eq!(me.status, 200, "the other session stays: {}", me.text);

    assert_eq!(logout(&app, "no-such-token").await.status, 204);
    assert_eq!(
        logout(&app, &phone.refresh).await.status,
        204,
        "twice is fine"
    );
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url payload"))
        .expect("JSON claims")
}

fn sign(claims: &Value, key: &[u8]) -> String {
    encode(&Header::default(), claims, &EncodingKey::from_secret(key)).expect("sign")
}

#[tokio::test]
async fn access_tokens_carry_the_documented_claims() {
    let app = TestApp::spawn().await;
    let session = register(&app, "nora@example.org", PASSWORD).await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(session.access.split('.').next().expect("header"))
            .expect("base64url header"),
    )
    .expect("JSON header");
    assert_eq!(header["alg"], "HS256", "{header}");
    let claims = claims_of(&session.access);
    assert_eq!(claims["iss"], "dorfapp", "{claims}");
    assert_eq!(claims["aud"], "dorfapp-api", "{claims}");
    assert_eq!(claims["sub"], session.user_id.as_str(), "{claims}");
    assert!(
        claims["sid"].as_str().is_some_and(|s| !s.is_empty()),
        "{claims}"
    );
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert_eq!(exp - iat, 900, "{claims}");
}

#[tokio::test]
async fn forged_tampered_and_expired_access_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let session = register(&app, "otto@example.org", PASSWORD).await;
    let key_file = app.db.data_dir.path().join("token_signing.key");
    let key = URL_SAFE_NO_PAD
        .decode(
            std::fs::read_to_string(&key_file)
                .expect("the signing key is in the data directory")
                .trim()
                .trim_end_matches('='),
        )
        .expect("base64url key");
    let claims = claims_of(&session.access);

    // Control: a token we sign with the real key and the same claims is accepted, so the
    // refusals below are about the one thing changed.
    let resigned = sign(&claims, &key);
    let me = get_as(&app, "/api/v1/me", &resigned).await;
    assert_eq!(me.status, 200, "re-signed original claims: {}", me.text);

    let mut parts = session.access.split('.');
    let (_, _, signature) = (parts.next(), parts.next(), parts.next().expect("signature"));
    let mut elevated = claims.clone();
    elevated["sub"] = json!(uuid::Uuid::now_v7().to_string());
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("someone-else");
    let mut wrong_iss = claims.clone();
    wrong_iss["iss"] = json!("evil");
    let mut no_exp = claims.clone();
    no_exp.as_object_mut().expect("claims object").remove("exp");
    let mut other_session = claims.clone();
    other_session["sid"] = json!(uuid::Uuid::now_v7().to_string());

    let forged = [
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&claims)
            ),
        ),
        (
            "alg none, no dot",
            format!(
                "{}.{}",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&claims)
            ),
        ),
        (
            "another key",
            sign(&claims, b"a-completely-different-secret-key-0123456789"),
        ),
        (
            "modified payload, original signature",
            format!(
                "{}.{}.{signature}",
                b64(&json!({"alg": "HS256", "typ": "JWT"})),
                b64(&elevated)
            ),
        ),
        ("wrong audience", sign(&wrong_aud, &key)),
        ("wrong issuer", sign(&wrong_iss, &key)),
        ("no expiry", sign(&no_exp, &key)),
        ("unknown session", sign(&other_session, &key)),
        ("garbage", "garbage".to_owned()),
        ("empty-ish", "..".to_owned()),
    ];
    for (what, token) in &forged {
        let reply = get_as(&app, "/api/v1/me", token).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.text);
        reply.assert_problem(401, "unauthorized");
    }

    get_anonymous(&app, "/api/v1/me")
        .await
        .assert_problem(401, "unauthorized");
    let basic = Reply::from(
        app.client
            .get("/api/v1/me")
            .header("Authorization", "Basic b3R0bzpzZWNyZXQ=")
            .send()
            .await,
    )
    .await;
    basic.assert_problem(401, "unauthorized");

    // Still fine just before it runs out, refused after.
    app.clock.advance(chrono::Duration::seconds(899));
    assert_eq!(
        get_as(&app, "/api/v1/me", &session.access).await.status,
        200
    );
    app.clock.advance(chrono::Duration::seconds(2));
    get_as(&app, "/api/v1/me", &session.access)
        .await
        .assert_problem(401, "unauthorized");
    // The refresh token still gets a fresh access token.
    let renewed = refresh(&app, &session.refresh).await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let access = renewed.json()["tokens"]["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    assert_eq!(get_as(&app, "/api/v1/me", &access).await.status, 200);
}
