//! A district mayor's news in the console: written, previewed, sent to the right people once,
//! changed without overwriting someone else's change, withdrawn. Everything is checked through
//! the public API as residents would see it.

use serde_json::json;

use crate::support::*;

async fn mayor(app: &TestApp, cast: &Cast) -> Browser {
    Browser::sign_in(app, &cast.leader.email, PASSWORD).await
}

fn news_form<'a>(
    csrf: &'a str,
    key: &'a str,
    title: &'a str,
    district: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("idempotency_key", key),
        ("title", title),
        (
            "body",
            "Am **Sonntag** ab 14 Uhr auf dem Anger.\n\nMit Kuchen.",
        ),
        ("category", "news"),
        ("district_ids", district),
        ("notify", "on"),
        ("action", "publish"),
    ]
}

#[tokio::test]
async fn a_mayor_publishes_once_however_often_the_form_is_sent() {
    let (app, cast) = spawn_cast().await;
    let service = PushService::start().await;
    let key = get_anonymous(&app, "/api/v1/push/vapid-public-key")
        .await
        .json()["public_key"]
        .as_str()
        .expect("key")
        .to_owned();
    service.trust_vapid_key(&key);
    // Two residents of Rieder, one with a phone that takes pushes.
    let mut residents = Vec::new();
    for _ in 0..2 {
        let reply = register_reply(
            &app,
            json!({"email": unique_email("rieder"), "password": PASSWORD, "display_name": "Anwohnerin", "home_district_id": cast.rieder}),
        )
        .await;
        residents.push(Session::from_reply(&reply));
    }
    let device = service.new_device();
    let subscribed = post_json(
        &app,
        "/api/v1/push/subscriptions",
        Some(&residents[0].access),
        device.subscription_json(),
    )
    .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.text);

    let mut browser = mayor(&app, &cast).await;
    let page = browser
        .get(&app, &format!("/console/news/new?district={}", cast.rieder))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text
            .contains("Erreicht etwa 2 Personen auf 1 Geräten."),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("Badeborn"),
        "only the districts the mayor leads are offered"
    );
    let csrf = hidden(&page.text, "_csrf");
    let key = hidden(&page.text, "idempotency_key");
    let fields = news_form(&csrf, &key, "Dorffest", &cast.rieder);

    // The reach and the preview, as htmx asks for them while typing.
    let reach = browser.post(&app, "/console/news/reach", &fields).await;
    assert_eq!(reach.text, "Erreicht etwa 2 Personen auf 1 Geräten.");
    let preview = browser
        .post(
            &app,
            "/console/news/preview",
            &[
                ("_csrf", &csrf),
                ("title", "Dorffest"),
                ("body", "**Fest** <script>alert(1)</script>"),
            ],
        )
        .await;
    assert!(
        preview.text.contains("<strong>Fest</strong>"),
        "{}",
        preview.text
    );
    assert!(!preview.text.contains("<script>"), "{}", preview.text);

    // A double click: two sends of the same form.
    let first = browser.post(&app, "/console/news/new", &fields).await;
    let second = browser.post(&app, "/console/news/new", &fields).await;
    assert_eq!(first.status, 303, "{}", first.text);
    assert_eq!(
        first.header("location"),
        second.header("location"),
        "the same item"
    );
    let location = first.header("location").expect("location").to_owned();
    let id = location
        .trim_start_matches("/console/news/")
        .trim_end_matches("?done=saved")
        .to_owned();
    assert_eq!(
        feed(&app, &format!("?district_id={}", cast.rieder))
            .await
            .iter()
            .filter(|i| **i == id)
            .count(),
        1
    );
    let public = get_anonymous(&app, &format!("/api/v1/news/{id}"))
        .await
        .json();
    assert_eq!(public["title"], "Dorffest");
    assert_eq!(public["category"], "news");

    settle(&app).await;
    assert_eq!(
        service.payloads(&device).len(),
        1,
        "one push, however often the form was sent"
    );
    let saved = browser.get(&app, &location).await;
    assert!(saved.text.contains("Gespeichert."));
    assert!(
        saved.text.contains("2 erreicht, 1 Push zugestellt"),
        "{}",
        saved.text
    );
    let start = browser
        .get(&app, &format!("/console/districts/{}", cast.rieder))
        .await;
    assert_eq!(start.status, 200, "{}", start.text);
    assert!(
        start.text.contains("Dorffest") && start.text.contains("2 erreicht, 1 Push zugestellt"),
        "{}",
        start.text
    );
}

#[tokio::test]
async fn a_wrong_field_is_shown_next_to_it_with_what_was_typed() {
    let (app, cast) = spawn_cast().await;
    let mut browser = mayor(&app, &cast).await;
    let page = browser.get(&app, "/console/news/new").await;
    let (csrf, key) = (
        hidden(&page.text, "_csrf"),
        hidden(&page.text, "idempotency_key"),
    );
    let mut fields = news_form(&csrf, &key, "", &cast.rieder);
    fields.push(("publish_at", "2026-03-29T02:30"));
    let reply = browser.post(&app, "/console/news/new", &fields).await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.text.contains("gibt es in dieser Nacht nicht"),
        "the spring gap: {}",
        reply.text
    );
    assert!(
        reply.text.contains("Am **Sonntag** ab 14 Uhr"),
        "the text is kept"
    );
    assert!(reply.text.contains("aria-invalid=\"true\""));
    // Corrected, with the same key: saved once.
    let mut fields = news_form(&csrf, &key, "", &cast.rieder);
    fields.push(("publish_at", ""));
    let empty_title = browser.post(&app, "/console/news/new", &fields).await;
    assert_eq!(empty_title.status, 422, "{}", empty_title.text);
    assert!(
        empty_title.text.contains("href=\"#title\""),
        "the summary links to the field"
    );
    let fixed = news_form(&csrf, &key, "Straßenfest", &cast.rieder);
    let saved = browser.post(&app, "/console/news/new", &fixed).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    // A district the mayor does not lead is refused by the rule, not by the form.
    let page = browser.get(&app, "/console/news/new").await;
    let (csrf, key) = (
        hidden(&page.text, "_csrf"),
        hidden(&page.text, "idempotency_key"),
    );
    let elsewhere = browser
        .post(
            &app,
            "/console/news/new",
            &news_form(&csrf, &key, "Fremd", &cast.badeborn),
        )
        .await;
    assert_eq!(elsewhere.status, 403);
}

#[tokio::test]
async fn a_change_made_meanwhile_is_not_overwritten_unseen_and_withdrawing_removes_the_item() {
    let (app, cast) = spawn_cast().await;
    let item = publish(&app, &cast.leader, item("Wasserrohrbruch", &[&cast.rieder])).await;
    let id = item["id"].as_str().expect("id").to_owned();
    let mut browser = mayor(&app, &cast).await;
    let page = browser.get(&app, &format!("/console/news/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let (csrf, version) = (hidden(&page.text, "_csrf"), hidden(&page.text, "version"));
    // The admin changes the title through the API meanwhile.
    let changed = patch_json(
        &app,
        &format!("/api/v1/news/{id}"),
        Some(&cast.admin.access),
        json!({"title": "Wasserrohrbruch behoben"}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let mut fields = news_form(
        &csrf,
        "",
        "Wasserrohrbruch in der Lindenstraße",
        &cast.rieder,
    );
    fields.push(("version", &version));
    let refused = browser
        .post(&app, &format!("/console/news/{id}"), &fields)
        .await;
    assert_eq!(refused.status, 412);
    assert!(
        refused.text.contains("inzwischen geändert")
            && refused.text.contains("Wasserrohrbruch behoben"),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("Wasserrohrbruch in der Lindenstraße"),
        "what was typed is kept"
    );
    assert_eq!(
        get_anonymous(&app, &format!("/api/v1/news/{id}"))
            .await
            .json()["title"],
        "Wasserrohrbruch behoben"
    );
    // Saving again on the new version is a deliberate choice, and it takes.
    let newer = hidden(&refused.text, "version");
    let mut fields = news_form(
        &csrf,
        "",
        "Wasserrohrbruch in der Lindenstraße",
        &cast.rieder,
    );
    fields.push(("version", &newer));
    fields.push(("pinned", "on"));
    fields.push(("expires_at", "2026-06-09T18:00"));
    let saved = browser
        .post(&app, &format!("/console/news/{id}"), &fields)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let public = get_anonymous(&app, &format!("/api/v1/news/{id}"))
        .await
        .json();
    assert_eq!(public["title"], "Wasserrohrbruch in der Lindenstraße");
    assert_eq!(public["pinned"], true);
    assert_eq!(
        public["expires_at"], "2026-06-09T16:00:00Z",
        "local time, summer"
    );

    let confirm = browser
        .get(&app, &format!("/console/news/{id}/withdraw"))
        .await;
    let version = hidden(&confirm.text, "version");
    let gone = browser
        .post(
            &app,
            &format!("/console/news/{id}/withdraw"),
            &[("_csrf", &csrf), ("version", &version)],
        )
        .await;
    assert_eq!(gone.status, 303);
    assert_eq!(gone.header("location"), Some("/console/?done=withdrawn"));
    assert_eq!(
        get_anonymous(&app, &format!("/api/v1/news/{id}"))
            .await
            .status,
        404
    );
    // A resident cannot open the mayor's pages.
    let mut resident = Browser::sign_in(&app, &cast.resident.email, PASSWORD).await;
    assert_eq!(
        resident
            .get(&app, &format!("/console/districts/{}", cast.rieder))
            .await
            .status,
        403
    );
    assert_eq!(resident.get(&app, "/console/news/new").await.status, 403);
}

#[tokio::test]
async fn a_form_sent_after_the_sign_in_ended_is_restored_after_signing_in_again() {
    let (app, cast) = spawn_cast().await;
    let mut browser = mayor(&app, &cast).await;
    let page = browser.get(&app, "/console/news/new").await;
    let (csrf, key) = (
        hidden(&page.text, "_csrf"),
        hidden(&page.text, "idempotency_key"),
    );
    // Lunch: the sign-in ends while the form is open.
    app.clock.advance(chrono::Duration::hours(5));
    let fields = news_form(&csrf, &key, "Glascontainer voll", &cast.rieder);
    let login = browser.post(&app, "/console/news/new", &fields).await;
    assert_eq!(login.status, 401);
    assert!(
        login.text.contains("Ihre Eingaben sind nicht verloren"),
        "{}",
        login.text
    );
    assert_eq!(hidden(&login.text, "draft.title"), "Glascontainer voll");
    assert!(
        !login.text.contains(&csrf),
        "the old CSRF token is not carried"
    );
    assert!(
        feed(&app, "").await.is_empty(),
        "nothing was saved without a sign-in"
    );

    // Someone else signing in on this page does not get the mayor's draft.
    let mut fields: Vec<(String, String)> = vec![
        ("_login".into(), hidden(&login.text, "_login")),
        ("next".into(), hidden(&login.text, "next")),
    ];
    for name in [
        "title",
        "body",
        "category",
        "district_ids",
        "notify",
        "idempotency_key",
    ] {
        fields.push((
            format!("draft.{name}"),
            hidden(&login.text, &format!("draft.{name}")),
        ));
    }
    let as_pairs = |extra: &[(&str, &str)]| {
        let mut all: Vec<(String, String)> = fields.clone();
        all.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        all
    };
    let signed_in = {
        let pairs = as_pairs(&[("email", &cast.leader.email), ("password", PASSWORD)]);
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        browser.post(&app, "/console/login", &borrowed).await
    };
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    let location = signed_in.header("location").expect("location").to_owned();
    assert!(
        location.starts_with("/console/news/new?draft="),
        "{location}"
    );
    let restored = browser.get(&app, &location).await;
    assert!(
        restored.text.contains("Ihr Entwurf ist wiederhergestellt"),
        "{}",
        restored.text
    );
    assert!(restored.text.contains("value=\"Glascontainer voll\""));
    assert_eq!(
        hidden(&restored.text, "idempotency_key"),
        key,
        "the same key: still one item"
    );
    // Once only.
    let again = browser.get(&app, &location).await;
    assert!(!again.text.contains("Ihr Entwurf ist wiederhergestellt"));
    let mut other = Browser::sign_in(&app, &cast.far_leader.email, PASSWORD).await;
    assert!(
        !other
            .get(&app, &location)
            .await
            .text
            .contains("Glascontainer")
    );

    // Saved from the restored form: one item, as the mayor typed it.
    let csrf = hidden(&restored.text, "_csrf");
    let saved = browser
        .post(
            &app,
            "/console/news/new",
            &news_form(&csrf, &key, "Glascontainer voll", &cast.rieder),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let items = feed(&app, "").await;
    assert_eq!(items.len(), 1);
}
