//! A news item's photos in the console: added from the phone or the desk with what they show,
//! once however often the form is sent, refused next to the field at fault, removed again.
//! Checked through the public API as the apps see the item.

use serde_json::Value;

use crate::support::*;

fn photo() -> Vec<u8> {
    ::media::fixtures::phone_photo()
}

/// How many uploads the server keeps.
async fn uploads_kept(app: &TestApp) -> usize {
    use sea_orm::EntityTrait;
    entity::media::Entity::find()
        .all(&app.state.db)
        .await
        .expect("media rows")
        .len()
}

/// The item as the public API shows it.
async fn shown(app: &TestApp, id: &str) -> Value {
    let reply = get_anonymous(app, &format!("/api/v1/news/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

/// What the item's photos show, in their order, as the public API lists them.
async fn alts(app: &TestApp, id: &str) -> Vec<String> {
    shown(app, id).await["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["alt"].as_str().expect("alt").to_owned())
        .collect()
}

#[tokio::test]
async fn a_mayor_adds_a_photo_with_what_it_shows_once_and_removes_it_again() {
    let (app, cast) = spawn_cast().await;
    let item = publish(
        &app,
        &cast.leader,
        item("Neues Buswartehäuschen", &[&cast.rieder]),
    )
    .await;
    let id = item["id"].as_str().expect("id").to_owned();
    let mut browser = Browser::sign_in(&app, &cast.leader.email, PASSWORD).await;
    // The edit page leads to the photos.
    let edit = browser.get(&app, &format!("/console/news/{id}")).await;
    assert!(
        edit.text.contains(&format!("/console/news/{id}/photos")),
        "{}",
        edit.text
    );
    let page = browser
        .get(&app, &format!("/console/news/{id}/photos"))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("noch kein Foto"), "{}", page.text);
    let (csrf, key) = (
        hidden(&page.text, "_csrf"),
        hidden(&page.text, "idempotency_key"),
    );
    let alt = "Das neue Buswartehäuschen an der Hauptstraße";
    let bytes = photo();
    let form = [
        ("_csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("alt", alt),
    ];
    let file = Some(("photo", "IMG_2041.JPG", "image/jpeg", bytes.as_slice()));
    // Sent twice (a double tap, or a resend after the answer was lost): one photo.
    for _ in 0..2 {
        let added = browser
            .post_multipart(&app, &format!("/console/news/{id}/photos"), &form, file)
            .await;
        assert_eq!(added.status, 303, "{}", added.text);
        assert_eq!(
            added.header("location"),
            Some(format!("/console/news/{id}/photos?done=added").as_str())
        );
    }
    let item = shown(&app, &id).await;
    let images = item["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "{item}");
    assert_eq!(images[0]["alt"], alt);
    // Turned upright as the phone meant it, and served.
    assert_eq!(images[0]["media"]["width"], 900);
    assert_eq!(images[0]["media"]["height"], 1200);
    let media_id = images[0]["media"]["id"]
        .as_str()
        .expect("media id")
        .to_owned();
    let url = images[0]["media"]["renditions"][0]["jpeg_url"]
        .as_str()
        .expect("url")
        .to_owned();
    let image = raw(&app, poem::http::Method::GET, &url, None, &[], None).await;
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), Some("image/jpeg"));
    // The page shows it with its description, and a button to remove it.
    let page = browser
        .get(&app, &format!("/console/news/{id}/photos?done=added"))
        .await;
    assert!(
        page.text.contains("Das Foto ist hinzugefügt"),
        "{}",
        page.text
    );
    let thumbnail = url.replace("/api/v1/media/", "/console/media/");
    assert!(
        page.text.contains(&format!("src=\"{thumbnail}\"")),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains(&format!("<figcaption>{alt}</figcaption>")),
        "{}",
        page.text
    );
    // A second photo goes after the first.
    let second = browser
        .post_multipart(
            &app,
            &format!("/console/news/{id}/photos"),
            &[
                ("_csrf", csrf.as_str()),
                ("idempotency_key", "second-photo"),
                ("alt", "Der Anger im Frühling"),
            ],
            Some(("photo", "anger.jpg", "image/jpeg", &photo())),
        )
        .await;
    assert_eq!(second.status, 303, "{}", second.text);
    assert_eq!(alts(&app, &id).await, [alt, "Der Anger im Frühling"]);
    // Removed: the other stays; removing it again changes nothing.
    for _ in 0..2 {
        let removed = browser
            .post(
                &app,
                &format!("/console/news/{id}/photos/remove"),
                &[("_csrf", &csrf), ("media_id", &media_id)],
            )
            .await;
        assert_eq!(removed.status, 303, "{}", removed.text);
    }
    assert_eq!(alts(&app, &id).await, ["Der Anger im Frühling"]);
    // The edit page counts the photos, and saving the text keeps them.
    let edit = browser.get(&app, &format!("/console/news/{id}")).await;
    assert!(edit.text.contains("(1)"), "{}", edit.text);
}

#[tokio::test]
async fn a_photo_form_that_cannot_be_taken_is_answered_next_to_its_field_and_stores_nothing() {
    let (app, cast) = spawn_cast().await;
    let item = publish(&app, &cast.leader, item("Dorffest", &[&cast.rieder])).await;
    let id = item["id"].as_str().expect("id").to_owned();
    let path = format!("/console/news/{id}/photos");
    let mut browser = Browser::sign_in(&app, &cast.leader.email, PASSWORD).await;
    let csrf = browser.csrf(&app, &path).await;
    // Neither a file nor a description.
    let reply = browser
        .post_multipart(&app, &path, &[("_csrf", &csrf), ("alt", "")], None)
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(
        reply.text.contains("Bitte ein Foto auswählen."),
        "{}",
        reply.text
    );
    assert!(
        reply.text.contains("was auf dem Foto zu sehen ist"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("id=\"photo-error\""), "{}", reply.text);
    assert!(reply.text.contains("id=\"alt-error\""), "{}", reply.text);
    // A file that is not a photo: said next to the file input, the description kept (escaped).
    let reply = browser
        .post_multipart(
            &app,
            &path,
            &[("_csrf", &csrf), ("alt", "<b>Plakat</b> & \"Programm\"")],
            Some((
                "photo",
                "programm.pdf",
                "application/pdf",
                b"%PDF-1.7 not a photo",
            )),
        )
        .await;
    assert_eq!(reply.status, 415, "{}", reply.text);
    assert!(reply.text.contains("JPEG, PNG oder WebP"), "{}", reply.text);
    assert!(reply.text.contains("id=\"photo-error\""), "{}", reply.text);
    assert!(
        reply
            .text
            .contains("value=\"&#60;b&#62;Plakat&#60;/b&#62; &#38; &#34;Programm&#34;\"")
            || reply
                .text
                .contains("value=\"&lt;b&gt;Plakat&lt;/b&gt; &amp; &quot;Programm&quot;\""),
        "{}",
        reply.text
    );
    assert!(!reply.text.contains("<b>Plakat"), "{}", reply.text);
    // A photo cut off in transfer.
    let mut cut = photo();
    cut.truncate(cut.len() / 2);
    let reply = browser
        .post_multipart(
            &app,
            &path,
            &[("_csrf", &csrf), ("alt", "Halbes Foto")],
            Some(("photo", "cut.jpg", "image/jpeg", &cut)),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(reply.text.contains("id=\"photo-error\""), "{}", reply.text);
    // A description longer than the rule allows: refused before anything is uploaded.
    let long = "Sehr lange Beschreibung. ".repeat(20);
    let reply = browser
        .post_multipart(
            &app,
            &path,
            &[("_csrf", &csrf), ("alt", &long)],
            Some(("photo", "a.jpg", "image/jpeg", &photo())),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(
        reply.text.contains("höchstens 300 Zeichen"),
        "{}",
        reply.text
    );
    // Without the form's token: refused, nothing stored.
    let reply = browser
        .post_multipart(
            &app,
            &path,
            &[("alt", "Ohne Token")],
            Some(("photo", "a.jpg", "image/jpeg", &photo())),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    // Not multipart at all, or a broken one: a calm error page, not a 500.
    let reply = browser
        .post(&app, &path, &[("_csrf", &csrf), ("alt", "x")])
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.text);
    assert!(reply.text.contains("<html"), "{}", reply.text);
    // Larger than any photo taken: refused at the door with the console's error page.
    let huge = vec![0xffu8; 15 * 1024 * 1024 + 128 * 1024];
    let reply = browser
        .post_multipart(
            &app,
            &path,
            &[("_csrf", &csrf), ("alt", "Riesig")],
            Some(("photo", "huge.jpg", "image/jpeg", &huge)),
        )
        .await;
    assert_eq!(reply.status, 413, "{}", reply.text);
    assert!(reply.text.contains("<html"), "{}", reply.text);
    // None of it reached the item, and no upload was kept.
    assert_eq!(shown(&app, &id).await["images"], serde_json::json!([]));
    assert_eq!(uploads_kept(&app).await, 0);
}

#[tokio::test]
async fn only_those_who_may_change_the_item_upload_for_it_and_a_lapsed_sign_in_returns_here() {
    let (app, cast) = spawn_cast().await;
    let item = publish(&app, &cast.leader, item("Dorffest", &[&cast.rieder])).await;
    let id = item["id"].as_str().expect("id").to_owned();
    let path = format!("/console/news/{id}/photos");
    // The mayor of another district sees the item in the feed, but may not change it: 403,
    // and nothing is uploaded in their name.
    let mut far = Browser::sign_in(&app, &cast.far_leader.email, PASSWORD).await;
    let csrf = far.csrf(&app, "/console/").await;
    let reply = far
        .post_multipart(
            &app,
            &path,
            &[("_csrf", &csrf), ("alt", "Fremdes Foto")],
            Some(("photo", "a.jpg", "image/jpeg", &photo())),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(uploads_kept(&app).await, 0);
    // Without a sign-in (it ended meanwhile): the login page, which comes back to the photos.
    let reply = Browser::new()
        .post_multipart(
            &app,
            &path,
            &[("_csrf", "x"), ("alt", "Foto")],
            Some(("photo", "a.jpg", "image/jpeg", &photo())),
        )
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(hidden(&reply.text, "next"), path);
}

#[tokio::test]
async fn a_drafts_photo_shows_in_the_console_to_its_editors_only() {
    let (app, cast) = spawn_cast().await;
    let mut draft = item("Noch geheim: Dorffest", &[&cast.rieder]);
    draft["draft"] = serde_json::json!(true);
    let id = publish(&app, &cast.leader, draft).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/console/news/{id}/photos");
    let mut mayor = Browser::sign_in(&app, &cast.leader.email, PASSWORD).await;
    let page = mayor.get(&app, &path).await;
    let added = mayor
        .post_multipart(
            &app,
            &path,
            &[
                ("_csrf", &hidden(&page.text, "_csrf")),
                ("idempotency_key", &hidden(&page.text, "idempotency_key")),
                ("alt", "Das Festzelt im Aufbau"),
            ],
            Some(("photo", "zelt.jpg", "image/jpeg", &photo())),
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.text);
    let page = mayor.get(&app, &path).await;
    let start = page
        .text
        .find("src=\"/console/media/")
        .expect("a thumbnail")
        + 5;
    let src = page.text[start..start + page.text[start..].find('"').expect("end")].to_owned();
    // The page's <img> carries the console's sign-in, not a token: served to the mayor.
    let image = mayor.get(&app, &src).await;
    assert_eq!(image.status, 200, "{}", image.text);
    assert_eq!(image.header("content-type"), Some("image/jpeg"));
    // Nobody else sees a draft's photo: not the public API, not another district's mayor.
    let public = raw(
        &app,
        poem::http::Method::GET,
        &src.replace("/console/media/", "/api/v1/media/"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(public.status, 404);
    let mut far = Browser::sign_in(&app, &cast.far_leader.email, PASSWORD).await;
    assert_eq!(far.get(&app, &src).await.status, 404);
    assert_eq!(far.get(&app, &path).await.status, 404);
}
