//! The shopkeeper's page in the console: open now or not, followers, and a notice in three
//! taps that reaches the followers once, however often it is sent.

use crate::support::*;

#[tokio::test]
async fn a_shopkeeper_posts_a_notice_in_three_taps_and_it_is_posted_once() {
    let (app, cast) = spawn_cast().await;
    let follows = send(
        &app,
        poem::http::Method::PUT,
        &format!("/api/v1/shops/{}/follow", cast.shop),
        Some(&cast.resident.access),
        &[],
        None,
    )
    .await;
    assert!(follows.status.is_success(), "{}", follows.text);
    let mut browser = Browser::sign_in(&app, &cast.operator.email, PASSWORD).await;
    // Tap 1: the shop from the start page.
    let start = browser.get(&app, "/console/").await;
    let shop_page = format!("/console/shops/{}", cast.shop);
    assert!(
        start.text.contains(&format!("href=\"{shop_page}\"")),
        "{}",
        start.text
    );
    let page = browser.get(&app, &shop_page).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("1 Personen folgen Ihrem Laden"),
        "{}",
        page.text
    );
    // Tap 2: a ready-made headline fills the form.
    let chip = format!(
        "/console/shops/{}?title=Frische+Br%C3%B6tchen+bis+11+Uhr&kind=new_stock#notice",
        cast.shop
    );
    assert!(
        page.text.contains(&chip.replace('&', "&#38;")),
        "{}",
        page.text
    );
    let filled = browser.get(&app, chip.trim_end_matches("#notice")).await;
    assert!(
        filled
            .text
            .contains("value=\"Frische Brötchen bis 11 Uhr\""),
        "{}",
        filled.text
    );
    let until = hidden(&filled.text, "valid_until");
    assert_eq!(until, "2026-06-02T23:59", "valid until the end of today");
    // Tap 3: publish — twice, as on a slow connection.
    let fields = [
        ("_csrf", hidden(&filled.text, "_csrf")),
        ("kind", "new_stock".to_owned()),
        ("idempotency_key", hidden(&filled.text, "idempotency_key")),
        ("title", "Frische Brötchen bis 11 Uhr".to_owned()),
        ("body", String::new()),
        ("valid_until", until),
        ("notify", "on".to_owned()),
    ];
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let notices_path = format!("/console/shops/{}/notices", cast.shop);
    for _ in 0..2 {
        let posted = browser.post(&app, &notices_path, &form).await;
        assert_eq!(posted.status, 303, "{}", posted.text);
    }
    let public = get_anonymous(&app, &format!("/api/v1/shops/{}/notices", cast.shop))
        .await
        .json();
    let titles: Vec<&str> = public["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["title"].as_str())
        .collect();
    assert_eq!(titles, ["Frische Brötchen bis 11 Uhr"], "posted once");
    let after = browser.get(&app, &format!("{shop_page}?done=posted")).await;
    assert!(after.text.contains("Der Aushang ist veröffentlicht."));

    // "Heute geschlossen" is posted as a closure, not as new stock.
    let closed = browser
        .get(
            &app,
            &format!(
                "/console/shops/{}?title=Heute+geschlossen&kind=closure",
                cast.shop
            ),
        )
        .await;
    assert!(
        closed.text.contains("<option value=\"closure\" selected>"),
        "{}",
        closed.text
    );
    let fields = [
        ("_csrf", hidden(&closed.text, "_csrf")),
        ("idempotency_key", hidden(&closed.text, "idempotency_key")),
        ("kind", "closure".to_owned()),
        ("title", "Heute geschlossen".to_owned()),
        ("body", String::new()),
        ("valid_until", hidden(&closed.text, "valid_until")),
    ];
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(browser.post(&app, &notices_path, &form).await.status, 303);
    let public = get_anonymous(&app, &format!("/api/v1/shops/{}/notices", cast.shop))
        .await
        .json();
    assert_eq!(public["items"][0]["kind"], "closure");
    // A kind that does not exist, and a time that cannot be read, are named by their fields.
    let mut bad = form.clone();
    bad[2] = ("kind", "sonderangebot");
    bad[5] = ("valid_until", "morgen");
    let refused = browser.post(&app, &notices_path, &bad).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.text.contains("href=\"#kind\"") && refused.text.contains("href=\"#valid_until\""),
        "{}",
        refused.text
    );

    // Someone else's shop page is not theirs to see.
    let mut resident = Browser::sign_in(&app, &cast.resident.email, PASSWORD).await;
    assert_eq!(resident.get(&app, &shop_page).await.status, 403);
}

#[tokio::test]
async fn an_hours_form_stuffed_with_fields_is_refused_and_changes_nothing() {
    let (app, cast) = spawn_cast().await;
    let mut browser = Browser::sign_in(&app, &cast.operator.email, PASSWORD).await;
    let page = format!("/console/shops/{}/hours", cast.shop);
    let csrf = browser.csrf(&app, &page).await;
    // Twenty thousand windows on Monday, all the same hour.
    let names: Vec<(String, String)> = (0..20_000)
        .flat_map(|n| {
            [
                (format!("d1_{n}_opens"), "07:00"),
                (format!("d1_{n}_closes"), "08:00"),
            ]
        })
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    form.extend(names.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let reply = browser.post(&app, &page, &form).await;
    assert_eq!(
        reply.status,
        422,
        "{}",
        &reply.text[..reply.text.len().min(2000)]
    );
    assert!(reply.text.contains("Überschneidet sich"));
    let shop = get_anonymous(&app, &format!("/api/v1/shops/{}", cast.shop))
        .await
        .json();
    assert_eq!(shop["opening_hours"], serde_json::json!([]), "{shop}");
}
