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
