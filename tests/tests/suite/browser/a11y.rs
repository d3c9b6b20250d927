//! The pages every person meets (login, start, password, an error, a missing page): axe-core
//! finds no WCAG 2.1 A/AA violation at desk and phone size, the page reflows without sideways
//! scrolling at 320 px (400 % zoom of a 1280 px window; 200 % is covered by the 640 px check),
//! and the keyboard reaches everything in order.

use super::{DESK, PHONE, Page, browser_or_skip, serve};
use crate::support::*;

#[tokio::test]
async fn the_first_pages_are_accessible_at_every_size() {
    let env = browser_or_skip!();
    let served = serve(|_| {}).await;
    let email = unique_email("barrierefrei");
    register_named(&served.app, &email, PASSWORD, "Erika Muster").await;
    let page = Page::open(&env, &served).await;

    page.goto("/console/login").await;
    page.assert_accessible("login").await;
    page.screenshot("login").await;
    // A wrong password: the page says so, keeps the address, and is still accessible.
    page.fill("email", &email).await;
    page.fill("password", "falsch-geraten-1").await;
    page.press("Anmelden").await;
    assert!(
        page.text()
            .await
            .contains("E-Mail-Adresse oder Passwort ist falsch.")
    );
    page.assert_accessible("login with an error").await;

    page.sign_in(&email, PASSWORD).await;
    assert_eq!(page.path().await, "/console/");
    assert!(page.text().await.contains("Erika Muster"));
    page.assert_accessible("start").await;

    page.goto("/console/password").await;
    page.fill("current_password", "nicht-richtig-1").await;
    page.fill("new_password", "kurz").await;
    page.press("Passwort speichern").await;
    let text = page.text().await;
    assert!(text.contains("Bitte prüfen Sie Ihre Eingaben"), "{text}");
    page.assert_accessible("password form with errors").await;

    page.goto("/console/gibt-es-nicht").await;
    assert!(page.text().await.contains("Diese Seite gibt es nicht"));
    page.assert_accessible("404").await;

    for (size, name) in [
        (PHONE, "phone"),
        ((640, 450), "200 % zoom"),
        ((320, 640), "320 px"),
    ] {
        page.size(size).await;
        for path in ["/console/", "/console/password", "/console/gibt-es-nicht"] {
            page.goto(path).await;
            page.assert_no_sideways_scroll(&format!("{path} at {name}"))
                .await;
            if size == PHONE {
                page.assert_accessible(&format!("{path} on a phone")).await;
            }
        }
    }
    page.size(DESK).await;

    // The check itself can fail: an image without a text alternative and an unlabelled input,
    // planted into the page, are found.
    page.goto("/console/").await;
    page.client
        .execute(
            "document.querySelector('main').insertAdjacentHTML('beforeend', \
             '<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"><input type=\"text\">')",
            vec![],
        )
        .await
        .expect("plant");
    let found: Vec<String> = page
        .axe_violations()
        .await
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    assert!(found.contains(&"image-alt".to_owned()), "{found:?}");
    assert!(found.contains(&"label".to_owned()), "{found:?}");
    page.close().await;
}

#[tokio::test]
async fn the_login_works_with_the_keyboard_alone() {
    let env = browser_or_skip!();
    let served = serve(|_| {}).await;
    let email = unique_email("tastatur");
    register(&served.app, &email, PASSWORD).await;
    let page = Page::open(&env, &served).await;
    page.goto("/console/login").await;
    // Tab from the top of the page: skip link, the console's name, the language, then the form.
    let tab = "\u{e004}";
    let mut order = Vec::new();
    for _ in 0..6 {
        let focused = page.client.active_element().await.expect("focus");
        focused.send_keys(tab).await.expect("tab");
        let now = page.client.active_element().await.expect("focus");
        let label = match now.attr("id").await.expect("id") {
            Some(id) if !id.is_empty() => id,
            _ => now.text().await.expect("text"),
        };
        order.push(label);
    }
    assert_eq!(
        order,
        [
            "Zum Inhalt springen",
            "Dorf-App Verwaltung",
            "English",
            "email",
            "password",
            "Anmelden"
        ],
        "focus order"
    );
    // Type and send with Enter.
    let email_field = page
        .client
        .find(fantoccini::Locator::Id("email"))
        .await
        .expect("email");
    email_field.send_keys(&email).await.expect("type");
    let password = page
        .client
        .find(fantoccini::Locator::Id("password"))
        .await
        .expect("password");
    page.mark_page().await;
    password
        .send_keys(&format!("{PASSWORD}\u{e007}"))
        .await
        .expect("enter");
    page.settled().await;
    assert_eq!(page.path().await, "/console/");
    page.close().await;
}
