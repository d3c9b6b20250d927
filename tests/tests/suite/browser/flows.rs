//! Each role's main job in the browser, from the login to the result seen through the API.

use std::time::Duration;

use fantoccini::Locator;

use super::{PHONE, Page, browser_or_skip, serve};
use crate::support::*;

/// Waits until the element's text contains `wanted` (htmx answers arrive after the keystroke).
async fn wait_for_text(page: &Page, css: &str, wanted: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = page.client.find(Locator::Css(css)).await {
            last = element.text().await.unwrap_or_default();
            if last.contains(wanted) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never showed {wanted:?}; last: {last:?}");
}

#[tokio::test]
async fn a_mayor_writes_news_with_a_live_preview_and_sees_it_delivered() {
    let env = browser_or_skip!();
    let served = serve(|_| {}).await;
    let app = &served.app;
    let cast = Cast::new(app).await;
    // A name as a person has one (it shows in the screenshots of docs/console.md).
    let renamed = patch_json(
        app,
        "/api/v1/me",
        Some(&cast.leader.access),
        serde_json::json!({"display_name": "Petra Lindner"}),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let page = Page::open(&env, &served).await;
    page.sign_in(&cast.leader.email, PASSWORD).await;
    page.goto(&format!("/console/districts/{}", cast.rieder))
        .await;
    page.assert_accessible("district start page").await;

    // The district page's button opens the form with the district chosen.
    let xpath = format!(
        "//main//a[@href='/console/news/new?district={}']",
        cast.rieder
    );
    page.follow(Locator::XPath(&xpath)).await;
    page.fill("title", "Dorffest am Sonntag").await;
    page.fill("body", "Am **Sonntag** ab 14 Uhr auf dem Anger.")
        .await;
    // htmx renders the preview while typing.
    let preview = wait_for_text(&page, "#preview", "Am Sonntag ab 14 Uhr").await;
    assert!(preview.contains("Dorffest am Sonntag"), "{preview}");
    let strong = page
        .client
        .find(Locator::Css("#preview strong"))
        .await
        .expect("bold");
    assert_eq!(strong.text().await.expect("text"), "Sonntag");
    // Changing the districts updates the reach line.
    page.click(Locator::Css("input[name=district_ids]")).await;
    wait_for_text(&page, "#reach", "Wählen Sie mindestens einen Ortsteil.").await;
    page.click(Locator::Css("input[name=district_ids]")).await;
    wait_for_text(&page, "#reach", "Erreicht etwa").await;
    page.assert_accessible("news form").await;
    page.screenshot("news-edit").await;
    page.press("Speichern und veröffentlichen").await;
    assert!(page.text().await.contains("Gespeichert."));
    page.assert_accessible("news saved").await;

    // Residents see it through the API.
    let items = feed(app, &format!("?district_id={}", cast.rieder)).await;
    assert_eq!(items.len(), 1);
    let item = get_anonymous(app, &format!("/api/v1/news/{}", items[0]))
        .await
        .json();
    assert_eq!(item["title"], "Dorffest am Sonntag");

    // A photo from the computer, with what it shows.
    page.follow(Locator::XPath(
        "//main//a[normalize-space()='Fotos hinzufügen oder entfernen']",
    ))
    .await;
    page.assert_accessible("news photos, none yet").await;
    let file = std::env::temp_dir().join(format!("dorffest-{}.jpg", uuid::Uuid::now_v7()));
    std::fs::write(&file, ::media::fixtures::phone_photo()).expect("a photo to upload");
    page.client
        .find(Locator::Id("photo"))
        .await
        .expect("file input")
        .send_keys(file.to_str().expect("UTF-8 path"))
        .await
        .expect("choose the file");
    page.fill("alt", "Der Anger mit dem Festzelt").await;
    page.press("Foto hinzufügen").await;
    let _ = std::fs::remove_file(&file);
    assert!(page.text().await.contains("Das Foto ist hinzugefügt"));
    // The browser shows the photo itself (served under the console's CSP).
    let loaded = page
        .client
        .execute(
            "const img = document.querySelector('.photo img'); \
             return img !== null && img.complete && img.naturalWidth > 0;",
            vec![],
        )
        .await
        .expect("image state");
    assert_eq!(loaded, serde_json::Value::Bool(true));
    page.assert_accessible("news photos").await;
    page.screenshot("news-photos").await;
    let item = get_anonymous(app, &format!("/api/v1/news/{}", items[0]))
        .await
        .json();
    assert_eq!(item["images"][0]["alt"], "Der Anger mit dem Festzelt");

    // After delivery, the district page says how far it got.
    settle(app).await;
    page.goto(&format!("/console/districts/{}", cast.rieder))
        .await;
    assert!(page.text().await.contains("Dorffest am Sonntag"));
    page.assert_accessible("district start page with news")
        .await;
    page.screenshot("mayor-start").await;

    // On a phone, a wrong time is shown next to its field.
    page.size(PHONE).await;
    page.goto("/console/news/new").await;
    page.fill("title", "Nachtbaustelle").await;
    page.fill("body", "Die B185 ist gesperrt.").await;
    page.fill("publish_at", "").await;
    page.client
        .execute(
            "document.getElementById('publish_at').value = '2026-03-29T02:30'",
            vec![],
        )
        .await
        .expect("time");
    page.press("Speichern und veröffentlichen").await;
    assert!(page.text().await.contains("gibt es in dieser Nacht nicht"));
    page.assert_accessible("news form with an error, phone")
        .await;
    page.assert_no_sideways_scroll("news form on a phone").await;
    page.close().await;
}

#[tokio::test]
async fn a_shopkeeper_posts_a_notice_from_a_phone_in_three_taps() {
    let env = browser_or_skip!();
    let served = serve(|_| {}).await;
    let app = &served.app;
    let cast = Cast::new(app).await;
    let page = Page::open(&env, &served).await;
    page.size(PHONE).await;
    page.sign_in(&cast.operator.email, PASSWORD).await;
    // Tap 1: the shop, from the start page.
    page.follow(Locator::Css(&format!(
        "main a[href='/console/shops/{}']",
        cast.shop
    )))
    .await;
    page.assert_accessible("shop page on a phone").await;
    page.assert_no_sideways_scroll("shop page on a phone").await;
    // Tap 2: a ready-made headline.
    page.follow(Locator::LinkText("Frische Brötchen bis 11 Uhr"))
        .await;
    page.screenshot("shop-phone").await;
    // Tap 3: publish.
    page.press("Veröffentlichen").await;
    assert!(
        page.text()
            .await
            .contains("Der Aushang ist veröffentlicht.")
    );
    page.assert_accessible("shop page after posting").await;
    let notices = get_anonymous(app, &format!("/api/v1/shops/{}/notices", cast.shop))
        .await
        .json();
    assert_eq!(notices["items"][0]["title"], "Frische Brötchen bis 11 Uhr");
    page.close().await;
}

/// Sets a `datetime-local` input (typing into one depends on the browser's locale).
async fn set_moment(page: &Page, id: &str, value: &str) {
    page.client
        .execute(
            &format!("document.getElementById('{id}').value = '{value}'"),
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
}

#[tokio::test]
async fn the_ride_desk_books_a_caller_in_under_a_minute_and_calls_her_back() {
    let env = browser_or_skip!();
    let served = serve(|_| {}).await;
    let app = &served.app;
    let cast = Cast::new(app).await;
    for (who, name) in [
        (&cast.dispatcher, "Jana Kühn"),
        (&cast.driver, "Klaus Berger"),
        (&cast.second_driver, "Monika Roth"),
    ] {
        let renamed = patch_json(
            app,
            "/api/v1/me",
            Some(&who.access),
            serde_json::json!({"display_name": name}),
        )
        .await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
    }
    // Frau Schulze rode with the shuttle before (booked by phone, with the way back).
    let earlier = serde_json::json!({
        "pickup_district_id": cast.rieder,
        "pickup_address": "Lindenstraße 4",
        "destination": "Hausarztpraxis Dr. Krause, Ballenstedt",
        "purpose": "medical",
        "pickup_at": rfc3339(at(180)),
        "return_trip": true,
        "return_pickup_at": rfc3339(at(300)),
        "passengers": 1,
        "mobility_aids": ["walker"],
        "rider_name": "Erika Schulze",
        "contact_phone": "039483 1234",
    });
    book(app, &cast.dispatcher, &earlier).await;

    let page = Page::open(&env, &served).await;
    page.sign_in(&cast.dispatcher.email, PASSWORD).await;
    page.follow(Locator::Css("main a[href='/console/rides']"))
        .await;
    assert!(page.text().await.contains("Erika Schulze"));
    page.assert_accessible("ride desk board").await;
    page.screenshot("desk-today").await;

    // The phone rings: the same as last time, tomorrow morning.
    let call = std::time::Instant::now();
    page.follow(Locator::Css("main a[href='/console/rides/new']"))
        .await;
    page.fill("rider_name", "Erika Schulze").await;
    page.fill("contact_phone", "039483/1234").await;
    page.press("Frühere Fahrten zu dieser Nummer").await;
    assert!(page.text().await.contains("Wie am 02.06.2026"));
    page.follow(Locator::XPath(
        "//main//a[starts-with(normalize-space(), 'Wie am 02.06.2026')]",
    ))
    .await;
    set_moment(&page, "pickup_at", "2026-06-03T09:30").await;
    set_moment(&page, "return_pickup_at", "2026-06-03T11:30").await;
    page.assert_accessible("booking form").await;
    page.screenshot("desk-book").await;
    page.press("Fahrt buchen").await;
    let elapsed = call.elapsed();
    assert!(page.text().await.contains("Die Fahrt ist gebucht."));
    assert!(
        elapsed < Duration::from_secs(60),
        "booking took {elapsed:?}"
    );
    let ride_path = page.path().await;
    let id = ride_path
        .trim_start_matches("/console/rides/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let booked = ride_as(app, &cast.dispatcher, &id).await;
    assert_eq!(booked["rider_name"], "Erika Schulze");
    assert_eq!(booked["pickup_address"], "Lindenstraße 4");
    assert_eq!(booked["mobility_aids"], serde_json::json!(["walker"]));
    assert!(booked["return_ride_id"].is_string(), "{booked}");
    page.assert_accessible("ride page").await;

    // Klaus Berger drives; then his car breaks down and he gives it back in the app.
    page.click(Locator::Css(&format!(
        "input[name=driver_id][value='{}']",
        cast.driver.user_id
    )))
    .await;
    page.press("Zuteilen").await;
    assert!(page.text().await.contains("Gespeichert."));
    let released = step(
        app,
        &cast.driver,
        &id,
        "release",
        serde_json::json!({"reason": "Auto kaputt"}),
    )
    .await;
    assert_eq!(released.status, 200, "{}", released.text);

    // Both changes wait on the call-back list until she has been called.
    page.follow(Locator::Css("nav a[href='/console/rides/callbacks']"))
        .await;
    let list = page.text().await;
    assert!(list.contains("Fahrer:in gefunden"), "{list}");
    assert!(list.contains("Fahrer:in abgesprungen"), "{list}");
    page.assert_accessible("call-back list").await;
    page.screenshot("desk-callbacks").await;
    page.follow(Locator::Css("form[action$='/done'] button"))
        .await;
    assert!(page.text().await.contains("Gespeichert."));
    let due = get_as(app, "/api/v1/rides/callbacks", &cast.dispatcher.access)
        .await
        .json();
    assert_eq!(due["items"].as_array().map(Vec::len), Some(1), "{due}");
    assert_eq!(due["items"][0]["reason"], "released");

    // Monika Roth takes it over; her run sheet for the day shows it.
    page.goto(&format!("/console/rides/{id}")).await;
    page.click(Locator::Css(&format!(
        "input[name=driver_id][value='{}']",
        cast.second_driver.user_id
    )))
    .await;
    page.press("Zuteilen").await;
    page.follow(Locator::LinkText("Fahrplan")).await;
    let sheet = page.text().await;
    assert!(
        sheet.contains("Monika Roth") && sheet.contains("Erika Schulze"),
        "{sheet}"
    );
    assert!(sheet.contains("Rollator"), "{sheet}");
    page.assert_accessible("run sheet").await;
    page.screenshot("run-sheet").await;
    let now = ride_as(app, &cast.dispatcher, &id).await;
    assert_eq!(now["status"], "accepted");
    assert_eq!(now["driver_id"], cast.second_driver.user_id.as_str());

    // On a phone, the board and the list fit the screen.
    page.size(PHONE).await;
    page.goto("/console/rides?day=tomorrow").await;
    page.assert_no_sideways_scroll("ride desk board on a phone")
        .await;
    page.assert_accessible("ride desk board on a phone").await;
    page.close().await;
}

#[tokio::test]
async fn an_admin_checks_the_system_adds_a_district_and_grants_and_revokes_a_role() {
    let env = browser_or_skip!();
    let served = serve(|_| {}).await;
    let app = &served.app;
    let cast = Cast::new(app).await;
    let renamed = patch_json(
        app,
        "/api/v1/me",
        Some(&cast.neighbour.access),
        serde_json::json!({"display_name": "Uwe Nachbar"}),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let page = Page::open(&env, &served).await;
    page.sign_in(&cast.admin.email, ADMIN_PASSWORD).await;
    page.follow(Locator::Css("main a[href='/console/admin']"))
        .await;
    let overview = page.text().await;
    assert!(
        overview.contains("Zustand des Systems") && overview.contains("erreichbar"),
        "{overview}"
    );
    page.assert_accessible("admin overview").await;
    page.screenshot("admin-health").await;

    // A new district.
    page.fill("name", "Neu-Rieder").await;
    page.fill("slug", "neu-rieder").await;
    page.press("Ortsteil anlegen").await;
    assert!(page.text().await.contains("Der Ortsteil ist angelegt."));
    let districts = get_anonymous(app, "/api/v1/districts").await.json();
    assert!(
        districts
            .as_array()
            .is_some_and(|all| all.iter().any(|d| d["slug"] == "neu-rieder")),
        "{districts}"
    );

    // Uwe Nachbar becomes a driver in Rieder, and stops being one.
    page.follow(Locator::Css("nav a[href='/console/admin/users']"))
        .await;
    page.fill("q", "Uwe").await;
    page.press("Suchen").await;
    page.follow(Locator::LinkText("Uwe Nachbar")).await;
    page.click(Locator::Css("#role option[value='driver']"))
        .await;
    page.click(Locator::Css(&format!(
        "#district_id option[value='{}']",
        cast.rieder
    )))
    .await;
    page.press("Rolle vergeben").await;
    assert!(page.text().await.contains("Die Rolle ist vergeben"));
    page.assert_accessible("a person's roles").await;
    page.screenshot("admin-user").await;
    let path = format!("/api/v1/users/{}", cast.neighbour.user_id);
    let user = get_as(app, &path, &cast.admin.access).await.json();
    assert_eq!(user["roles"][0]["role"], "driver", "{user}");
    assert_eq!(user["roles"][0]["district_id"], cast.rieder.as_str());

    page.follow(Locator::Css("form[action$='/revoke'] button"))
        .await;
    assert!(page.text().await.contains("Die Rolle ist entzogen"));
    let user = get_as(app, &path, &cast.admin.access).await.json();
    assert_eq!(user["roles"], serde_json::json!([]), "{user}");

    // A role without its district is explained next to the field, nothing is granted.
    page.click(Locator::Css("#role option[value='driver']"))
        .await;
    page.press("Rolle vergeben").await;
    assert!(page.text().await.contains("Bitte prüfen Sie Ihre Eingaben"));
    page.assert_accessible("grant refused").await;
    page.size(PHONE).await;
    page.goto("/console/admin").await;
    page.assert_no_sideways_scroll("admin overview on a phone")
        .await;
    page.close().await;
}

#[tokio::test]
async fn a_shopkeeper_sets_the_opening_hours_and_sees_at_once_whether_the_shop_is_open() {
    let env = browser_or_skip!();
    let served = serve(|_| {}).await;
    let app = &served.app;
    let cast = Cast::new(app).await;
    let page = Page::open(&env, &served).await;
    page.size(PHONE).await;
    page.sign_in(&cast.operator.email, PASSWORD).await;
    page.goto(&format!("/console/shops/{}", cast.shop)).await;
    page.follow(Locator::LinkText("Öffnungszeiten ändern"))
        .await;
    // The test clock stands on a Tuesday, 10:00 in Ballenstedt.
    page.fill("d2_0_opens", "07:00").await;
    page.fill("d2_0_closes", "12:30").await;
    page.fill("d2_1_opens", "14:00").await;
    page.fill("d2_1_closes", "18:00").await;
    let line = wait_for_text(&page, "#hours-preview", "Mit diesen Zeiten").await;
    assert!(
        line.contains("geöffnet") && line.contains("12:30"),
        "{line}"
    );
    page.assert_accessible("opening hours on a phone").await;
    page.assert_no_sideways_scroll("opening hours on a phone")
        .await;
    // The screenshot shows the line that answers the typing.
    page.client
        .execute(
            "document.getElementById('hours-preview').scrollIntoView({block: 'end'})",
            vec![],
        )
        .await
        .expect("scroll");
    page.screenshot("shop-hours").await;
    page.press("Öffnungszeiten speichern").await;
    assert!(page.text().await.contains("Gespeichert."));
    let shop = get_anonymous(app, &format!("/api/v1/shops/{}", cast.shop))
        .await
        .json();
    let tuesday: Vec<(String, String)> = shop["opening_hours"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|w| w["weekday"] == 2)
        .map(|w| {
            (
                w["opens"].as_str().unwrap_or_default().to_owned(),
                w["closes"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        tuesday,
        [
            ("07:00".to_owned(), "12:30".to_owned()),
            ("14:00".to_owned(), "18:00".to_owned())
        ],
        "{shop}"
    );
    // A window that ends before it begins is shown next to its field; what was typed stays.
    page.fill("d3_0_opens", "18:00").await;
    page.fill("d3_0_closes", "08:00").await;
    page.press("Öffnungszeiten speichern").await;
    assert!(page.text().await.contains("Schließt nicht nach dem Öffnen"));
    let kept = page
        .client
        .find(Locator::Id("d3_0_opens"))
        .await
        .expect("field")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("18:00"));
    page.assert_accessible("opening hours refused").await;
    page.close().await;
}
