//! Photos (issue 17) over HTTP: a leader shows a phone photo on a news item and residents get
//! each size without the position it was taken at; drafts keep their photos to themselves;
//! hostile and oversized files get clear answers; deleting and forgetting removes the files.

use chrono::Duration;
use domain::clock::Clock;
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::*;

/// Every role a signed-in person can have (`TestApp::login_as`).
const SIGNED_IN_ROLES: [&str; 6] = [
    "admin",
    "resident",
    "dispatcher",
    "driver",
    "district_leader",
    "shop_operator",
];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn urls(media: &Value) -> Vec<(String, u64, u64)> {
    media["renditions"]
        .as_array()
        .expect("renditions")
        .iter()
        .flat_map(|r| {
            let (w, h) = (r["width"].as_u64().unwrap(), r["height"].as_u64().unwrap());
            [
                (r["webp_url"].as_str().unwrap().to_owned(), w, h),
                (r["jpeg_url"].as_str().unwrap().to_owned(), w, h),
            ]
        })
        .collect()
}

async fn leader_and_district(app: &TestApp) -> (Session, String) {
    let leader = app.login_as("district_leader").await;
    (leader, district_id(app, "rieder").await)
}

#[tokio::test]
async fn a_leader_publishes_news_with_a_photo_and_a_resident_sees_every_size_without_its_position()
{
    let app = spawn_with_admin().await;
    let (leader, rieder) = leader_and_district(&app).await;
    let photo = ::media::fixtures::phone_photo();
    assert!(contains(&photo, ::media::fixtures::GPS_MARKER));
    let uploaded = upload_photo(&app, &leader).await;
    // Stored sideways with orientation 6: upright it is 900 × 1200.
    assert_eq!(
        (uploaded["width"].as_u64(), uploaded["height"].as_u64()),
        (Some(900), Some(1200))
    );
    assert!(
        uploaded["dominant_color"]
            .as_str()
            .unwrap()
            .starts_with('#')
    );
    let mut body = item("Neues Buswartehäuschen", &[&rieder]);
    body["images"] =
        json!([{ "id": uploaded["id"], "alt": "Das neue Buswartehäuschen an der Hauptstraße" }]);
    let news = publish(&app, &leader, body).await;
    assert_eq!(
        news["images"][0]["alt"],
        "Das neue Buswartehäuschen an der Hauptstraße"
    );
    assert_eq!(news["images"][0]["media"]["id"], uploaded["id"]);

    // A resident reads the feed, anonymously, and loads every size.
    let feed = app
        .get(&format!("/api/v1/news?district={rieder}"))
        .await
        .json();
    let shown = &feed["items"][0]["images"][0]["media"];
    assert_eq!(shown["renditions"], uploaded["renditions"]);
    let sizes = urls(shown);
    assert!(
        sizes.len() >= 4,
        "at least two sizes in two formats: {sizes:?}"
    );
    for (url, width, height) in sizes {
        let reply = raw(&app, Method::GET, &url, None, &[], None).await;
        assert_eq!(reply.status, 200, "{url}");
        let format = if url.ends_with(".webp") {
            assert_eq!(reply.header("content-type"), Some("image/webp"));
            image::ImageFormat::WebP
        } else {
            assert_eq!(reply.header("content-type"), Some("image/jpeg"));
            image::ImageFormat::Jpeg
        };
        let decoded = image::load_from_memory_with_format(&reply.bytes, format).expect("an image");
        assert_eq!(
            (u64::from(decoded.width()), u64::from(decoded.height())),
            (width, height),
            "{url}"
        );
        assert!(height > width, "served upright: {url}");
        assert!(
            !contains(&reply.bytes, ::media::fixtures::GPS_MARKER),
            "{url} carries the position"
        );
        assert!(!contains(&reply.bytes, b"Exif"), "{url} carries EXIF");
        assert_eq!(
            reply.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        let etag = reply.header("etag").expect("etag").to_owned();
        let again = raw(
            &app,
            Method::GET,
            &url,
            None,
            &[("If-None-Match", &etag)],
            None,
        )
        .await;
        assert_eq!(again.status, 304, "{url}");
        assert!(again.bytes.is_empty());
    }
    // A size that was not rendered, and a file name that is no size.
    let id = uploaded["id"].as_str().unwrap();
    for wrong in ["1601.webp", "800.png", "original.jpg"] {
        let reply = raw(
            &app,
            Method::GET,
            &format!("/api/v1/media/{id}/{wrong}"),
            None,
            &[],
            None,
        )
        .await;
        assert_eq!(reply.status, 404, "{wrong}");
    }
}

#[tokio::test]
async fn the_photo_of_a_draft_is_seen_only_by_those_who_may_see_the_draft() {
    let app = spawn_with_admin().await;
    let (leader, rieder) = leader_and_district(&app).await;
    let uploaded = upload_photo(&app, &leader).await;
    let mut body = item("Entwurf mit Foto", &[&rieder]);
    body["draft"] = json!(true);
    body["images"] = json!([{ "id": uploaded["id"], "alt": "Baustelle" }]);
    let draft = publish(&app, &leader, body).await;
    let (url, _, _) = urls(&uploaded).remove(0);

    let resident = app.login_as("resident").await;
    let driver = app.login_as("driver").await;
    for (who, token) in [
        ("anonymous", None),
        ("resident", Some(&resident.access)),
        ("driver", Some(&driver.access)),
    ] {
        let reply = raw(
            &app,
            Method::GET,
            &url,
            token.map(String::as_str),
            &[],
            None,
        )
        .await;
        assert_eq!(reply.status, 404, "{who} sees a draft's photo");
    }
    let admin = app.login_as("admin").await;
    for (who, token) in [("leader", &leader.access), ("admin", &admin.access)] {
        let reply = raw(&app, Method::GET, &url, Some(token), &[], None).await;
        assert_eq!(reply.status, 200, "{who}");
        assert_eq!(
            reply.header("cache-control"),
            Some("private, max-age=31536000, immutable")
        );
    }
    // The description is the uploader's (and admins') only.
    let path = format!("/api/v1/media/{}", uploaded["id"].as_str().unwrap());
    assert_eq!(
        raw(&app, Method::GET, &path, Some(&leader.access), &[], None)
            .await
            .status,
        200
    );
    assert_eq!(
        raw(&app, Method::GET, &path, Some(&admin.access), &[], None)
            .await
            .status,
        200
    );
    assert_eq!(
        raw(&app, Method::GET, &path, Some(&resident.access), &[], None)
            .await
            .status,
        404
    );
    assert_eq!(
        raw(&app, Method::GET, &path, None, &[], None).await.status,
        401
    );

    // Published, it is everyone's.
    let published = send(
        &app,
        Method::PATCH,
        &path_of(draft["id"].as_str().unwrap()),
        Some(&leader.access),
        &[],
        Some(&json!({ "draft": false })),
    )
    .await;
    assert_eq!(published.status, 200, "{}", published.text);
    let reply = raw(&app, Method::GET, &url, None, &[], None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn every_signed_in_role_may_upload_and_nobody_else() {
    let app = spawn_with_admin().await;
    let reply = upload_as(&app, None, "image/jpeg", ::media::fixtures::phone_photo()).await;
    assert_eq!(reply.status, 401);
    for role in SIGNED_IN_ROLES {
        let who = app.login_as(role).await;
        let reply = upload_as(
            &app,
            Some(&who.access),
            "application/octet-stream",
            ::media::fixtures::phone_photo(),
        )
        .await;
        assert_eq!(
            reply.status,
            201,
            "{role}: {}",
            String::from_utf8_lossy(&reply.bytes)
        );
        assert!(
            reply
                .header("location")
                .unwrap()
                .starts_with("/api/v1/media/")
        );
    }
    // A client that sends no `Content-Type` at all is served too: the bytes say what it is.
    let resident = app.login_as("resident").await;
    let reply = raw(
        &app,
        Method::POST,
        "/api/v1/media",
        Some(&resident.access),
        &[],
        Some(::media::fixtures::phone_photo()),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
}

fn problem(reply: &Raw, status: u16, code: &str) -> Value {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let body = reply.json();
    assert_eq!(body["code"], code);
    body
}

#[tokio::test]
async fn hostile_and_unreadable_files_get_a_clear_answer_and_leave_nothing_behind() {
    let app = spawn_with_admin().await;
    let resident = app.login_as("resident").await;
    let token = Some(resident.access.as_str());
    // A ZIP named PNG, an SVG with a script, a PDF: not photos, whatever they claim.
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00evil.sh".to_vec();
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    for (name, content_type, bytes) in [
        ("zip", "image/png", zip),
        ("svg", "image/jpeg", svg),
        ("pdf", "application/octet-stream", b"%PDF-1.7\n".to_vec()),
    ] {
        let body = problem(
            &upload_as(&app, token, content_type, bytes).await,
            415,
            "unsupported_media_type",
        );
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("JPEG, PNG oder WebP"),
            "{name}: {body}"
        );
    }
    // HEIC from an iPhone: named, with what to do.
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    let body = problem(
        &upload_as(&app, token, "image/heic", heic).await,
        415,
        "unsupported_media_type",
    );
    assert!(body["detail"].as_str().unwrap().contains("HEIC"), "{body}");
    // A photo cut off in transfer.
    let mut cut = ::media::fixtures::phone_photo();
    cut.truncate(cut.len() / 2);
    let body = problem(
        &upload_as(&app, token, "image/jpeg", cut).await,
        422,
        "validation_failed",
    );
    assert_eq!(error_fields(&body), ["body"]);
    // A JPEG whose header claims 60,000 × 60,000.
    let mut huge = ::media::fixtures::phone_photo();
    let sof = huge
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("SOF0");
    huge[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    huge[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let body = problem(
        &upload_as(&app, token, "image/jpeg", huge).await,
        422,
        "validation_failed",
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("60000 × 60000"),
        "{body}"
    );
    // None of them was kept.
    let count = entity::media::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .len();
    assert_eq!(count, 0);
}

use sea_orm::EntityTrait;

#[tokio::test]
async fn a_photo_over_the_limit_and_past_the_daily_quota_is_refused() {
    let app = spawn_with_admin_and(|s| {
        s.media_max_bytes = 10_000;
        s.quota_media_per_person_per_day = 2;
    })
    .await;
    let resident = app.login_as("resident").await;
    let body = problem(
        &upload_as(
            &app,
            Some(&resident.access),
            "image/jpeg",
            ::media::fixtures::phone_photo(),
        )
        .await,
        413,
        "payload_too_large",
    );
    assert!(body["detail"].as_str().unwrap().contains("MB"), "{body}");
    let small = small_jpeg();
    for _ in 0..2 {
        assert_eq!(
            upload_as(&app, Some(&resident.access), "image/jpeg", small.clone())
                .await
                .status,
            201
        );
    }
    let reply = upload_as(&app, Some(&resident.access), "image/jpeg", small.clone()).await;
    problem(&reply, 429, "rate_limited");
    assert!(reply.header("retry-after").is_some());
    // A day later the quota is free again.
    app.clock.advance(Duration::hours(25));
    let mut resident = resident;
    renew(&app, &mut resident).await;
    assert_eq!(
        upload_as(&app, Some(&resident.access), "image/jpeg", small)
            .await
            .status,
        201
    );
}

fn small_jpeg() -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut out)
        .write_image(&[90; 64 * 48 * 3], 64, 48, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

#[tokio::test]
async fn a_photo_needs_an_alt_text_and_must_be_ones_own_upload() {
    let app = spawn_with_admin().await;
    let (leader, rieder) = leader_and_district(&app).await;
    let mine = upload_photo(&app, &leader).await;
    let resident = app.login_as("resident").await;
    let theirs = upload_photo(&app, &resident).await;
    let mut body = item("Mit Fotos", &[&rieder]);
    body["images"] = json!([
        { "id": mine["id"], "alt": "  " },
        { "id": theirs["id"], "alt": "Fremdes Foto" },
        { "id": "0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e41", "alt": "Gibt es nicht" },
    ]);
    let reply = post_news(&app, Some(&leader.access), body).await;
    let problem = reply.assert_problem(422, "validation_failed");
    assert_eq!(
        error_fields(&problem),
        ["images[0].alt", "images[1].id", "images[2].id"]
    );
    // Nothing was written.
    assert!(feed(&app, "").await.is_empty());
}

#[tokio::test]
async fn deleting_the_item_removes_its_photo_and_an_unused_upload_goes_after_a_day() {
    let app = spawn_with_admin().await;
    let (leader, rieder) = leader_and_district(&app).await;
    let shown = upload_photo(&app, &leader).await;
    let unused = upload_photo(&app, &leader).await;
    let mut body = item("Kurz zu sehen", &[&rieder]);
    body["images"] = json!([{ "id": shown["id"], "alt": "Ein Foto" }]);
    let news = publish(&app, &leader, body).await;
    let (shown_url, _, _) = urls(&shown).remove(0);
    let store = app.state.uploads.store.clone();
    let shown_id = shown["id"].as_str().unwrap().to_owned();
    let (_, width, _) = urls(&shown).remove(0);
    let width = u32::try_from(width).unwrap();
    assert!(
        store
            .get(&shown_id, width, ::media::Encoding::WebP)
            .await
            .unwrap()
            .is_some()
    );

    let deleted = send(
        &app,
        Method::DELETE,
        &path_of(news["id"].as_str().unwrap()),
        Some(&leader.access),
        &[],
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    run_jobs(&app).await;
    assert_eq!(
        raw(
            &app,
            Method::GET,
            &shown_url,
            Some(&leader.access),
            &[],
            None
        )
        .await
        .status,
        404
    );
    assert!(
        store
            .get(&shown_id, width, ::media::Encoding::WebP)
            .await
            .unwrap()
            .is_none()
    );

    // The upload nothing shows is kept a day for its uploader, then purged.
    let (unused_url, _, _) = urls(&unused).remove(0);
    assert_eq!(
        raw(
            &app,
            Method::GET,
            &unused_url,
            Some(&leader.access),
            &[],
            None
        )
        .await
        .status,
        200
    );
    app.clock.advance(Duration::hours(25));
    run_jobs(&app).await;
    let admin = app.login_as("admin").await;
    assert_eq!(
        raw(
            &app,
            Method::GET,
            &unused_url,
            Some(&admin.access),
            &[],
            None
        )
        .await
        .status,
        404
    );
    let unused_id = unused["id"].as_str().unwrap();
    assert!(
        store
            .get(unused_id, width, ::media::Encoding::Jpeg)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_export_lists_ones_uploads_and_erasure_takes_those_nothing_public_shows() {
    let app = spawn_with_admin().await;
    let (leader, rieder) = leader_and_district(&app).await;
    let shown = upload_photo(&app, &leader).await;
    let kept_back = upload_photo(&app, &leader).await;
    let mut body = item("Bleibt nach dem Löschen des Kontos", &[&rieder]);
    body["images"] = json!([{ "id": shown["id"], "alt": "Dorfplatz" }]);
    publish(&app, &leader, body).await;

    let export = get_as(&app, "/api/v1/me/export", &leader.access).await;
    assert_eq!(export.status, 200, "{}", export.text);
    let ids: Vec<Value> = export.json()["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [shown["id"].clone(), kept_back["id"].clone()]);
    let resident = app.login_as("resident").await;
    let theirs = get_as(&app, "/api/v1/me/export", &resident.access)
        .await
        .json();
    assert_eq!(theirs["uploads"], json!([]));

    let erased = send(
        &app,
        Method::POST,
        "/api/v1/me/delete",
        Some(&leader.access),
        &[],
        Some(&json!({ "password": PASSWORD })),
    )
    .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    run_jobs(&app).await;
    // The published item still shows its photo; the upload nothing showed is gone at once.
    let (shown_url, _, _) = urls(&shown).remove(0);
    assert_eq!(
        raw(&app, Method::GET, &shown_url, None, &[], None)
            .await
            .status,
        200
    );
    let store = app.state.uploads.store.clone();
    let (_, width, _) = urls(&kept_back).remove(0);
    let gone = store
        .get(
            kept_back["id"].as_str().unwrap(),
            u32::try_from(width).unwrap(),
            ::media::Encoding::WebP,
        )
        .await
        .unwrap();
    assert!(
        gone.is_none(),
        "an erased person's unused upload is still stored"
    );
}

/// `PATCH path` as `who`, based on the version with this `ETag` (`If-Match`).
async fn patch_if_match(
    app: &TestApp,
    path: &str,
    who: &Session,
    etag: &str,
    body: Value,
) -> Reply {
    let if_match = [("If-Match", etag)];
    send(
        app,
        Method::PATCH,
        path,
        Some(&who.access),
        &if_match,
        Some(&body),
    )
    .await
}

fn etag_of(reply: &Reply) -> String {
    reply.headers["etag"].to_str().unwrap().to_owned()
}

/// Where a rendition's bytes come from for `who` (`None`: anonymous): the status only.
async fn rendition_status(app: &TestApp, media: &Value, who: Option<&Session>) -> u16 {
    let (url, _, _) = urls(media).remove(0);
    raw(
        app,
        Method::GET,
        &url,
        who.map(|s| s.access.as_str()),
        &[],
        None,
    )
    .await
    .status
}

#[tokio::test]
async fn a_shop_and_its_notices_show_the_operators_photos_to_everyone() {
    let app = spawn_with_admin().await;
    let admin = app.login_as("admin").await;
    let rieder = district_id(&app, "rieder").await;
    let shop = create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await;
    let shop_id = shop["id"].as_str().unwrap().to_owned();
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop_id)).await;
    let strangers_shop = create_shop(&app, &admin, &rieder, "Hofladen Rieder").await;
    let strangers_shop_id = strangers_shop["id"].as_str().unwrap().to_owned();
    let stranger = user_with_role(
        &app,
        &admin,
        "shop_operator",
        None,
        Some(&strangers_shop_id),
    )
    .await;
    let front = upload_photo(&app, &operator).await;

    // Another shop's operator cannot show this operator's upload on their own shop.
    let refused = patch_json(
        &app,
        &format!("/api/v1/shops/{strangers_shop_id}"),
        Some(&stranger.access),
        json!({ "images": [{ "id": front["id"], "alt": "Fremdes Foto" }] }),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.json()["errors"][0]["field"], "images[0].id");

    // The operator shows it, with the ETag read before (the version includes the photos).
    let shop_path = format!("/api/v1/shops/{shop_id}");
    let read = get_anonymous(&app, &shop_path).await;
    let etag = etag_of(&read);
    let alt = "Der Dorfladen von außen, mit der Bank vor der Tür";
    let changed = patch_if_match(
        &app,
        &shop_path,
        &operator,
        &etag,
        json!({ "images": [{ "id": front["id"], "alt": alt }] }),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["images"][0]["alt"], alt);
    let etag = etag_of(&changed);
    let again = patch_if_match(
        &app,
        &shop_path,
        &operator,
        &etag,
        json!({ "description": "Brötchen, Milch, Post." }),
    )
    .await;
    assert_eq!(
        again.status, 200,
        "the answer's ETag is current: {}",
        again.text
    );
    assert_eq!(again.json()["images"][0]["media"]["id"], front["id"]);

    // Everyone sees it on the shop's page, in the list, and as a public, cacheable file.
    assert_eq!(read_shop(&app, &shop_id).await["images"][0]["alt"], alt);
    let list = get_anonymous(&app, &format!("/api/v1/shops?district_id={rieder}")).await;
    let listed = list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == shop_id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(listed["images"][0]["media"]["id"], front["id"]);
    let (url, _, _) = urls(&front).remove(0);
    let file = raw(
        &app,
        Method::GET,
        &url,
        None,
        &[("Accept-Encoding", "gzip")],
        None,
    )
    .await;
    assert_eq!(file.status, 200);
    assert!(file.header("cache-control").unwrap().starts_with("public"));
    // Sent as it is: an image does not shrink by gzip, and its length stays known.
    assert_eq!(file.header("content-encoding"), None);
    assert!(image::load_from_memory(&file.bytes).is_ok());
    // JSON still comes compressed to those who ask.
    let page = raw(
        &app,
        Method::GET,
        "/api/v1/shops",
        None,
        &[("Accept-Encoding", "gzip")],
        None,
    )
    .await;
    assert_eq!(page.header("content-encoding"), Some("gzip"));

    // A notice with a photo: public once valid; before, only for the shop's people.
    let offer = upload_photo(&app, &operator).await;
    let notices = format!("/api/v1/shops/{shop_id}/notices");
    let now_valid = post_json(
        &app,
        &notices,
        Some(&operator.access),
        json!({ "kind": "offer", "title": "Frische Erdbeeren", "body": "Aus Rieder.",
                "images": [{ "id": offer["id"], "alt": "Eine Schale Erdbeeren" }] }),
    )
    .await;
    assert_eq!(now_valid.status, 201, "{}", now_valid.text);
    assert_eq!(
        now_valid.json()["images"][0]["alt"],
        "Eine Schale Erdbeeren"
    );
    let page = get_anonymous(&app, &notices).await.json();
    assert_eq!(page["items"][0]["images"][0]["media"]["id"], offer["id"]);
    assert_eq!(rendition_status(&app, &offer, None).await, 200);

    let later = upload_photo(&app, &operator).await;
    let from = (app.clock.now() + Duration::days(2)).to_rfc3339();
    let upcoming = post_json(
        &app,
        &notices,
        Some(&operator.access),
        json!({ "kind": "info", "title": "Sommerpause", "body": "Ab Montag zu.",
                "valid_from": from,
                "images": [{ "id": later["id"], "alt": "Ein Schild: Sommerpause" }] }),
    )
    .await;
    assert_eq!(upcoming.status, 201, "{}", upcoming.text);
    let resident = app.login_as("resident").await;
    assert_eq!(rendition_status(&app, &later, None).await, 404);
    assert_eq!(rendition_status(&app, &later, Some(&resident)).await, 404);
    assert_eq!(rendition_status(&app, &later, Some(&stranger)).await, 404);
    assert_eq!(rendition_status(&app, &later, Some(&operator)).await, 200);
    assert_eq!(rendition_status(&app, &later, Some(&admin)).await, 200);

    // Deleting the notice removes the photo only it showed.
    let upcoming_id = upcoming.json()["id"].as_str().unwrap().to_owned();
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("{notices}/{upcoming_id}"),
        Some(&operator.access),
        &[],
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    run_jobs(&app).await;
    assert_eq!(rendition_status(&app, &later, Some(&operator)).await, 404);
    assert_eq!(rendition_status(&app, &offer, None).await, 200);
}

#[tokio::test]
async fn a_news_item_with_a_photo_takes_the_etag_it_was_read_with() {
    let app = spawn_with_admin().await;
    let (leader, rieder) = leader_and_district(&app).await;
    let uploaded = upload_photo(&app, &leader).await;
    let mut body = item("Mit Foto", &[&rieder]);
    body["images"] = json!([{ "id": uploaded["id"], "alt": "Ein Foto" }]);
    let news = publish(&app, &leader, body).await;
    let path = path_of(news["id"].as_str().unwrap());
    let read = get_anonymous(&app, &path).await;
    let etag = etag_of(&read);
    let changed = patch_if_match(
        &app,
        &path,
        &leader,
        &etag,
        json!({ "title": "Mit Foto, berichtigt" }),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let etag = etag_of(&changed);
    let deleted = send(
        &app,
        Method::DELETE,
        &path,
        Some(&leader.access),
        &[("If-Match", &etag)],
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
}

#[tokio::test]
async fn a_retried_upload_with_its_idempotency_key_gives_the_first_photo_and_counts_once() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = spawn_with_admin().await;
    let resident = app.login_as("resident").await;
    const KEY: &[(&str, &str)] = &[
        ("Content-Type", "image/jpeg"),
        ("Idempotency-Key", "foto-7f3a"),
    ];
    let photo = ::media::fixtures::phone_photo();
    let post = |headers: &'static [(&'static str, &'static str)], bytes: Vec<u8>| {
        let app = &app;
        let token = resident.access.clone();
        async move {
            raw(
                app,
                Method::POST,
                "/api/v1/media",
                Some(&token),
                headers,
                Some(bytes),
            )
            .await
        }
    };
    let first = post(KEY, photo.clone()).await;
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.bytes)
    );
    let retry = post(KEY, photo.clone()).await;
    assert_eq!(
        retry.status,
        201,
        "{}",
        String::from_utf8_lossy(&retry.bytes)
    );
    assert_eq!(
        retry.json()["id"],
        first.json()["id"],
        "the first upload, again"
    );
    assert_eq!(
        entity::media::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1,
        "one upload kept"
    );

    // The same key with another file is a mistake of the app, said as such.
    let other = post(KEY, small_jpeg()).await;
    let problem = problem(&other, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");

    // Without a key, the same file is a second upload.
    const NO_KEY: &[(&str, &str)] = &[("Content-Type", "image/jpeg")];
    let again = post(NO_KEY, photo).await;
    assert_eq!(again.status, 201);
    assert_ne!(again.json()["id"], first.json()["id"]);
}

#[tokio::test]
async fn an_uploads_description_and_its_unshown_files_are_for_its_uploader_and_admins_only() {
    let app = spawn_with_admin().await;
    let uploader = app.login_as("resident").await;
    let uploaded = upload_photo(&app, &uploader).await;
    let id = uploaded["id"].as_str().unwrap();
    let describe = format!("/api/v1/media/{id}");
    let status = |who: Option<String>| {
        let app = &app;
        let describe = describe.clone();
        async move {
            raw(app, Method::GET, &describe, who.as_deref(), &[], None)
                .await
                .status
        }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some(uploader.access.clone())).await, 200);
    assert_eq!(
        rendition_status(&app, &uploaded, Some(&uploader)).await,
        200
    );
    for role in SIGNED_IN_ROLES {
        let who = app.login_as(role).await;
        let expected = if role == "admin" { 200 } else { 404 };
        assert_eq!(status(Some(who.access.clone())).await, expected, "{role}");
        assert_eq!(
            rendition_status(&app, &uploaded, Some(&who)).await,
            expected,
            "{role}: a rendition nothing shows yet"
        );
    }
    assert_eq!(rendition_status(&app, &uploaded, None).await, 404);
}
