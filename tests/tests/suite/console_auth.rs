//! The web console's sign-in: a cookie session on the same accounts, sessions and login
//! throttle as the API; CSRF on every form; the console's security headers and error pages.

use chrono::Duration;
use poem::http::Method;
use serde_json::json;

use crate::support::*;

async fn resident(app: &TestApp) -> (String, Session) {
    let email = unique_email("konsole");
    let session = register_named(app, &email, PASSWORD, "Erika Muster").await;
    (email, session)
}

#[track_caller]
fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .header(name)
        .unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_a_second_login_replaces_it() {
    let app = TestApp::spawn().await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::new();
    let reply = browser.sign_in_reply(&app, &email, PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    assert_eq!(header(&reply, "location"), "/console/");
    let set = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|c| c.starts_with("dorfapp_console="))
        .expect("the sign-in cookie");
    for flag in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=43200"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Secure"), "plain http in tests: {set}");
    let start = browser.get(&app, "/console/").await;
    assert_eq!(start.status, 200, "{}", start.text);
    assert!(start.text.contains("Erika Muster"), "{}", start.text);
    assert_eq!(header(&start, "content-language"), "de");

    // Rotation: a second login in the same browser gets a new cookie; the old one is dead.
    let first = browser.session_cookie().cloned().expect("cookie");
    let mut old = browser.clone();
    let again = browser.sign_in_reply(&app, &email, PASSWORD).await;
    assert_eq!(again.status, 303);
    let second = browser.session_cookie().cloned().expect("cookie");
    assert_ne!(first, second, "a new value at every login");
    assert_eq!(browser.get(&app, "/console/").await.status, 200);
    let stale = old.get(&app, "/console/").await;
    assert_eq!(stale.status, 303, "the replaced cookie no longer works");
    assert_eq!(header(&stale, "location"), "/console/login");
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_host_bound() {
    let app = TestApp::spawn_with(|s| s.public_url = Some("https://dorf.example".into())).await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::new();
    let reply = browser.sign_in_reply(&app, &email, PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    let set = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|c| c.starts_with("__Host-dorfapp_console="))
        .expect("a __Host- cookie");
    assert!(set.contains("; Secure") && set.contains("Path=/"), "{set}");
    let start = browser.get(&app, "/console/").await;
    assert_eq!(start.status, 200);
    assert_eq!(
        header(&start, "strict-transport-security"),
        "max-age=31536000"
    );
}

#[tokio::test]
async fn a_page_without_a_sign_in_leads_to_the_login_and_back() {
    let app = TestApp::spawn().await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::new();
    let reply = browser.get(&app, "/console/password").await;
    assert_eq!(reply.status, 303);
    assert_eq!(
        header(&reply, "location"),
        "/console/login?next=%2Fconsole%2Fpassword"
    );
    let login = browser.get(&app, header(&reply, "location")).await;
    assert_eq!(login.status, 200);
    let token = hidden(&login.text, "_login");
    assert_eq!(hidden(&login.text, "next"), "/console/password");
    let signed_in = browser
        .post(
            &app,
            "/console/login",
            &[
                ("_login", &token),
                ("email", &email),
                ("password", PASSWORD),
                ("next", "/console/password"),
            ],
        )
        .await;
    assert_eq!(header(&signed_in, "location"), "/console/password");

    // Never to another site.
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/console/../api",
        "/\\evil.example",
    ] {
        let mut other = Browser::new();
        let page = other.get(&app, "/console/login").await;
        let token = hidden(&page.text, "_login");
        let reply = other
            .post(
                &app,
                "/console/login",
                &[
                    ("_login", &token),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(reply.status, 303, "{next}");
        assert!(
            header(&reply, "location") == "/console/"
                || header(&reply, "location") == next && next.starts_with("/console/"),
            "{next} → {}",
            header(&reply, "location")
        );
        assert!(!header(&reply, "location").contains("evil"));
    }
}

#[tokio::test]
async fn a_wrong_password_keeps_the_address_and_says_what_is_wrong() {
    let app = TestApp::spawn().await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::new();
    let reply = browser
        .sign_in_reply(&app, &email, "falsch-geraten-1")
        .await;
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .text
            .contains("E-Mail-Adresse oder Passwort ist falsch.")
    );
    assert!(
        reply.text.contains(&format!("value=\"{email}\"")),
        "the address is kept"
    );
    assert!(browser.session_cookie().is_none());
    // A login form without its pre-login cookie (another site's form) is refused.
    let mut stranger = Browser::new();
    let forged = stranger
        .post(
            &app,
            "/console/login",
            &[
                ("_login", "erfunden"),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(stranger.session_cookie().is_none());
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::sign_in(&app, &email, PASSWORD).await;
    let mut copy = browser.clone();
    let csrf = browser.csrf(&app, "/console/").await;
    let reply = browser
        .post(&app, "/console/logout", &[("_csrf", &csrf)])
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(header(&reply, "location"), "/console/login?done=logout");
    assert!(browser.session_cookie().is_none(), "the cookie is deleted");
    let page = browser.get(&app, "/console/login?done=logout").await;
    assert!(page.text.contains("Sie sind abgemeldet."));
    // A copy of the cookie (a second tab, a thief) is dead too: the session ended.
    assert_eq!(copy.get(&app, "/console/").await.status, 303);
}

#[tokio::test]
async fn a_password_change_in_the_app_ends_the_console_and_the_reverse() {
    let app = TestApp::spawn().await;
    let (email, session) = resident(&app).await;
    let mut browser = Browser::sign_in(&app, &email, PASSWORD).await;
    let reply = put_json(
        &app,
        "/api/v1/me/password",
        Some(&session.access),
        json!({"current_password": PASSWORD, "new_password": "Neues-Passwort-2026"}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(
        browser.get(&app, "/console/").await.status,
        303,
        "signed out"
    );

    // And in the console: the app's tokens end, and so does the console's own sign-in.
    let mut browser = Browser::sign_in(&app, &email, "Neues-Passwort-2026").await;
    let app_session = Session::from_reply(&login(&app, &email, "Neues-Passwort-2026").await);
    let csrf = browser.csrf(&app, "/console/password").await;
    let wrong = browser
        .post(
            &app,
            "/console/password",
            &[
                ("_csrf", &csrf),
                ("current_password", "nicht-das-richtige"),
                ("new_password", "Drittes-Passwort-2026"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.text.contains("Das Passwort stimmt nicht."),
        "{}",
        wrong.text
    );
    assert!(wrong.text.contains("aria-invalid=\"true\""));
    let short = browser
        .post(
            &app,
            "/console/password",
            &[
                ("_csrf", &csrf),
                ("current_password", "Neues-Passwort-2026"),
                ("new_password", "kurz"),
            ],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.text.contains("10 bis 128 Zeichen"), "{}", short.text);
    let changed = browser
        .post(
            &app,
            "/console/password",
            &[
                ("_csrf", &csrf),
                ("current_password", "Neues-Passwort-2026"),
                ("new_password", "Drittes-Passwort-2026"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.text);
    assert_eq!(header(&changed, "location"), "/console/login?done=password");
    assert_eq!(
        browser.get(&app, "/console/").await.status,
        303,
        "sign in again"
    );
    let me = get_as(&app, "/api/v1/me", &app_session.access).await;
    assert_eq!(me.status, 401, "the app's session ended");
    assert_eq!(
        login(&app, &email, "Drittes-Passwort-2026").await.status,
        200
    );
}

#[tokio::test]
async fn failed_console_logins_throttle_the_app_login_and_the_reverse() {
    let app = TestApp::spawn_with(|s| {
        s.login_max_failures = 3;
        s.login_throttle_delay_ms = 0;
    })
    .await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::new();
    for _ in 0..3 {
        let reply = browser
            .sign_in_reply(&app, &email, "falsch-geraten-1")
            .await;
        assert_eq!(reply.status, 401);
    }
    login(&app, &email, PASSWORD)
        .await
        .assert_problem(429, "rate_limited");
    let throttled = browser.sign_in_reply(&app, &email, PASSWORD).await;
    assert_eq!(throttled.status, 429);
    assert!(
        throttled
            .text
            .contains("Zu viele fehlgeschlagene Anmeldeversuche")
    );
    assert!(throttled.headers.contains_key("retry-after"));

    let (other, _) = resident(&app).await;
    for _ in 0..3 {
        assert_eq!(login(&app, &other, "falsch-geraten-2").await.status, 401);
    }
    let reply = Browser::new().sign_in_reply(&app, &other, PASSWORD).await;
    assert_eq!(reply.status, 429, "the app's failures count here too");
}

#[tokio::test]
async fn forms_without_their_token_or_from_another_site_are_refused() {
    let app = TestApp::spawn().await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::sign_in(&app, &email, PASSWORD).await;
    let csrf = browser.csrf(&app, "/console/password").await;
    let fields = |token: &'static str| {
        vec![
            ("_csrf", token),
            ("current_password", PASSWORD),
            ("new_password", "Anderes-Passwort-2026"),
        ]
    };
    for token in ["", "erfunden", "AAAA"] {
        let reply = browser
            .post(&app, "/console/password", &fields(token))
            .await;
        assert_eq!(reply.status, 403, "{token:?}");
        assert!(
            reply.text.contains("Das Formular war zu alt"),
            "{}",
            reply.text
        );
        assert!(header(&reply, "content-type").starts_with("text/html"));
    }
    let good: Vec<(&str, &str)> = vec![
        ("_csrf", &csrf),
        ("current_password", PASSWORD),
        ("new_password", "Anderes-Passwort-2026"),
    ];
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let mut forged = browser.clone();
        forged.headers.push((name.into(), value.into()));
        let reply = forged.post(&app, "/console/password", &good).await;
        assert_eq!(reply.status, 403, "{name}: {value}");
    }
    // Behind a reverse proxy that rewrites `Host`, the public address is the origin browsers
    // send; another site's is refused all the same.
    let proxied = TestApp::spawn_with(|s| s.public_url = Some("https://dorf.example".into())).await;
    let (proxied_email, _) = resident(&proxied).await;
    let mut behind = Browser::sign_in(&proxied, &proxied_email, PASSWORD).await;
    let token = behind.csrf(&proxied, "/console/").await;
    behind
        .headers
        .push(("host".into(), "127.0.0.1:8080".into()));
    behind
        .headers
        .push(("origin".into(), "https://dorf.example".into()));
    let reply = behind
        .post(&proxied, "/console/logout", &[("_csrf", &token)])
        .await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    let mut lookalike = Browser::sign_in(&proxied, &proxied_email, PASSWORD).await;
    let token = lookalike.csrf(&proxied, "/console/").await;
    lookalike
        .headers
        .push(("origin".into(), "http://dorf.example".into()));
    let reply = lookalike
        .post(&proxied, "/console/logout", &[("_csrf", &token)])
        .await;
    assert_eq!(reply.status, 403, "http is not the https site");

    // Nothing was changed by the refused forms.
    assert_eq!(login(&app, &email, PASSWORD).await.status, 200);
    // The same browser, on its own page, gets through.
    let mut same = browser.clone();
    same.headers
        .push(("origin".into(), "http://localhost".into()));
    same.headers.push(("host".into(), "localhost".into()));
    same.headers
        .push(("sec-fetch-site".into(), "same-origin".into()));
    let reply = same.post(&app, "/console/password", &good).await;
    assert_eq!(reply.status, 303, "{}", reply.text);
}

#[tokio::test]
async fn every_console_answer_is_locked_down_and_errors_are_pages() {
    let app = TestApp::spawn().await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::sign_in(&app, &email, PASSWORD).await;
    for path in [
        "/console/login",
        "/console/",
        "/console/password",
        "/console/gibt-es-nicht",
    ] {
        let reply = browser.get(&app, path).await;
        let csp = header(&reply, "content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(header(&reply, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&reply, "x-frame-options"), "DENY");
        assert_eq!(header(&reply, "x-content-type-options"), "nosniff");
        assert!(
            header(&reply, "content-type").starts_with("text/html"),
            "{path}"
        );
    }
    let missing = browser.get(&app, "/console/gibt-es-nicht").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.text.contains("Diese Seite gibt es nicht"),
        "{}",
        missing.text
    );
    assert!(
        missing.text.contains(header(&missing, "x-request-id")),
        "the reference is shown"
    );
    let wrong_method = browser
        .send(&app, Method::DELETE, "/console/password", None)
        .await;
    assert_eq!(wrong_method.status, 405);
    assert!(header(&wrong_method, "content-type").starts_with("text/html"));

    // The two static files, under names that change with their content.
    let start = browser.get(&app, "/console/").await;
    let css = start
        .text
        .split("href=\"/console/static/console-")
        .nth(1)
        .expect("css link");
    let css = format!(
        "/console/static/console-{}",
        &css[..css.find('"').expect("quote")]
    );
    for path in [css.as_str(), "/console/static/htmx-2.0.11.min.js"] {
        let reply = browser.get(&app, path).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(
            header(&reply, "cache-control"),
            "public, max-age=31536000, immutable"
        );
    }
    assert!(
        start.text.contains("integrity=\"sha384-"),
        "htmx is checked by the browser"
    );
    assert_eq!(
        browser.get(&app, "/console/static/other.js").await.status,
        404
    );

    // The API keeps problem+json, and gains the headers that cost nothing.
    let api = app.get("/api/v1/districts").await;
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&api, "content-security-policy"),
        "frame-ancestors 'none'"
    );
    let missing = get_anonymous(&app, "/api/v1/gibt-es-nicht").await;
    assert!(header(&missing, "content-type").starts_with("application/problem+json"));
}

#[tokio::test]
async fn a_sign_in_ends_after_the_idle_time_and_is_kept_alive_by_use() {
    let app = TestApp::spawn().await;
    let (email, _) = resident(&app).await;
    let mut browser = Browser::sign_in(&app, &email, PASSWORD).await;
    for _ in 0..2 {
        app.clock.advance(Duration::minutes(200));
        assert_eq!(
            browser.get(&app, "/console/").await.status,
            200,
            "used within 4 hours"
        );
    }
    app.clock.advance(Duration::minutes(241));
    let reply = browser.get(&app, "/console/password").await;
    assert_eq!(reply.status, 303, "idle too long");
    // A form sent after the sign-in ended gets the login page, which leads back to it.
    let stale = browser
        .post(
            &app,
            "/console/password",
            &[("_csrf", "egal"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(stale.status, 401);
    assert!(stale.text.contains("Ihre Anmeldung ist abgelaufen"));
    assert_eq!(hidden(&stale.text, "next"), "/console/password");

    // However busy, a sign-in ends 12 hours after it began.
    let mut busy = Browser::sign_in(&app, &email, PASSWORD).await;
    for _ in 0..6 {
        app.clock.advance(Duration::minutes(110));
        assert_eq!(busy.get(&app, "/console/").await.status, 200);
    }
    app.clock.advance(Duration::minutes(61));
    assert_eq!(
        busy.get(&app, "/console/").await.status,
        303,
        "past 12 hours"
    );
}

#[tokio::test]
async fn a_revoked_role_is_gone_on_the_next_page() {
    let app = spawn_with_admin().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let email = unique_email("ortsbuergermeisterin");
    let leader = register(&app, &email, PASSWORD).await;
    let granted = grant(
        &app,
        &admin,
        &leader.user_id,
        json!({"role": "district_leader", "district_id": rieder}),
    )
    .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    let assignment = granted.json()["id"].as_str().expect("id").to_owned();
    let mut browser = Browser::sign_in(&app, &email, PASSWORD).await;
    let start = browser.get(&app, "/console/").await;
    assert!(
        start.text.contains("Ortsbürgermeister:in"),
        "{}",
        start.text
    );
    assert!(start.text.contains("Rieder"));
    let revoked = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/users/{}/roles/{assignment}", leader.user_id),
        Some(&admin.access),
        &[],
        None,
    )
    .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    let start = browser.get(&app, "/console/").await;
    assert!(
        !start.text.contains("Ortsbürgermeister:in"),
        "{}",
        start.text
    );
}

#[tokio::test]
async fn the_console_speaks_english_on_request() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::new();
    browser
        .headers
        .push(("accept-language".into(), "en-GB,en;q=0.9".into()));
    let login = browser.get(&app, "/console/login").await;
    assert_eq!(header(&login, "content-language"), "en");
    assert!(login.text.contains("<html lang=\"en\">"));
    assert!(login.text.contains("Sign in"));
    // The link to the other language sticks, whatever the browser says.
    let mut german = Browser::new();
    german
        .headers
        .push(("accept-language".into(), "de-DE".into()));
    let switch = german
        .get(&app, "/console/login?lang=en&next=%2Fconsole%2F")
        .await;
    assert_eq!(switch.status, 303);
    assert_eq!(
        header(&switch, "location"),
        "/console/login?next=%2Fconsole%2F"
    );
    let page = german.get(&app, "/console/login").await;
    assert_eq!(header(&page, "content-language"), "en");
    let missing = german.get(&app, "/console/nothing").await;
    assert!(
        missing.text.contains("This page does not exist"),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn hostile_requests_get_calm_pages_never_a_500() {
    let (app, cast) = spawn_cast().await;
    let mut browser = Browser::sign_in(&app, &cast.leader.email, PASSWORD).await;
    let csrf = browser.csrf(&app, "/console/").await;
    // Ids that are not ids, and ids of nothing.
    for (path, status) in [
        ("/console/news/keine-uuid", 400),
        ("/console/districts/%00", 400),
        ("/console/news/00000000-0000-0000-0000-000000000000", 404),
        ("/console/shops/00000000-0000-0000-0000-000000000000", 404),
    ] {
        let reply = browser.get(&app, path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
        assert!(
            header(&reply, "content-type").starts_with("text/html"),
            "{path}"
        );
    }
    // A body that is not a form, a form that is not urlencoded properly, a body too large.
    let wrong_type = app
        .client
        .post("/console/news/new")
        .header(
            "cookie",
            format!(
                "dorfapp_console={}",
                browser.session_cookie().expect("cookie")
            ),
        )
        .content_type("application/json")
        .body("{\"title\": \"x\"}")
        .send()
        .await;
    let wrong_type = Reply::from(wrong_type).await;
    assert!(wrong_type.status.is_client_error(), "{}", wrong_type.status);
    assert!(header(&wrong_type, "content-type").starts_with("text/html"));
    let garbled = browser
        .post(
            &app,
            "/console/news/new",
            &[("_csrf", &csrf), ("title", "%ZZ\u{0}\u{202e}")],
        )
        .await;
    assert!(garbled.status.is_client_error(), "{}", garbled.status);
    let huge = "x".repeat(2 * 1024 * 1024);
    let too_large = browser
        .post(
            &app,
            "/console/news/new",
            &[("_csrf", &csrf), ("title", &huge)],
        )
        .await;
    assert_eq!(too_large.status, 413);
    assert!(
        too_large.text.contains("zu viel auf einmal"),
        "{}",
        too_large.text
    );
    // A headline far too long is a field error, with the text kept.
    let long = "Ü".repeat(500);
    let page = browser.get(&app, "/console/news/new").await;
    let key = hidden(&page.text, "idempotency_key");
    let refused = browser
        .post(
            &app,
            "/console/news/new",
            &[
                ("_csrf", &csrf),
                ("idempotency_key", &key),
                ("title", &long),
                ("body", "Text"),
                ("category", "news"),
                ("district_ids", &cast.rieder),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("href=\"#title\""));
    assert!(refused.text.contains(&long));
}
