//! Push notifications and the inbox, as residents notice them: devices subscribe, notices about
//! news, shop notices and rides reach the right people — in the inbox always, on their devices
//! as Web Push that a real push service (`push_service`) decrypts and checks — preferences and
//! quiet hours are honoured, failures are retried and dead subscriptions removed, and nothing is
//! sent twice, also across restarts and with two workers.
//!
//! The worker is driven explicitly: `support::deliver` runs everything that is due at the test
//! clock.

use std::{collections::BTreeSet, sync::Arc};

use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use chrono::{DateTime, Duration, Utc};
use domain::clock::Clock;
use dorfapp::AppState;
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Answer, Device, PASSWORD, PushService, Received, Reply, Session, TestApp, admin,
    assert_invalid_field, create_shop, delete_json, deliver, deliver_with, district_id,
    get_anonymous, get_as, id_of, post_json, publish, put_json, register_reply, renew, send_empty,
    settle, spawn_with_admin, spawn_with_admin_and, test_epoch, unique_email, user_with_role,
};

// ---------------------------------------------------------------------------------------------
// Helpers.

const CATEGORIES: [&str; 4] = ["news", "announcement", "event", "warning"];

/// An app with an administrator, and a push service that trusts the app's VAPID key.
async fn spawn_push() -> (TestApp, PushService) {
    let app = spawn_with_admin().await;
    let service = start_service(&app).await;
    (app, service)
}

/// A push service for this app: it trusts the key the app publishes.
async fn start_service(app: &TestApp) -> PushService {
    let service = PushService::start().await;
    service.trust_vapid_key(&vapid_key(app).await);
    service
}

async fn vapid_key(app: &TestApp) -> String {
    let reply = get_anonymous(app, "/api/v1/push/vapid-public-key").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["public_key"]
        .as_str()
        .unwrap_or_else(|| panic!("public_key: {}", reply.text))
        .to_owned()
}

fn b64(value: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(value))
        .unwrap_or_else(|e| panic!("base64url {value}: {e}"))
}

/// A resident, with this home district (or none).
async fn resident(app: &TestApp, home: Option<&str>) -> Session {
    let reply = register_reply(
        app,
        json!({
            "email": unique_email("anwohner"),
            "password": PASSWORD,
            "display_name": "Anwohner",
            "home_district_id": home,
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "register: {}", reply.text);
    Session::from_reply(&reply)
}

async fn subscribe_reply(app: &TestApp, session: &Session, body: Value) -> Reply {
    post_json(
        app,
        "/api/v1/push/subscriptions",
        Some(&session.access),
        body,
    )
    .await
}

/// Subscribes the device for `session`; it must be new. Returns the subscription.
async fn subscribe(app: &TestApp, session: &Session, device: &Device) -> Value {
    let reply = subscribe_reply(app, session, device.subscription_json()).await;
    assert_eq!(reply.status, 201, "subscribe: {}", reply.text);
    reply.json()
}

/// A new device of `session`, subscribed.
async fn device_of(app: &TestApp, service: &PushService, session: &Session) -> Device {
    let device = service.new_device();
    subscribe(app, session, &device).await;
    device
}

/// The endpoints of `session`'s subscriptions.
async fn my_endpoints(app: &TestApp, session: &Session) -> Vec<String> {
    let reply = get_as(app, "/api/v1/push/subscriptions", &session.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert!(body["next_cursor"].is_null(), "{body}");
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {body}"))
        .iter()
        .map(|s| s["endpoint"].as_str().expect("endpoint").to_owned())
        .collect()
}

/// `POST /push/test` as `session`; returns the notice id.
async fn test_push(app: &TestApp, session: &Session) -> String {
    let reply = post_json(app, "/api/v1/push/test", Some(&session.access), json!({})).await;
    assert_eq!(reply.status, 202, "push test: {}", reply.text);
    reply.json()["notice_id"]
        .as_str()
        .unwrap_or_else(|| panic!("notice_id: {}", reply.text))
        .to_owned()
}

/// The inbox page at `query` (e.g. `?limit=2`).
async fn inbox_page(app: &TestApp, session: &Session, query: &str) -> Value {
    let path = format!("/api/v1/me/notifications{query}");
    let reply = get_as(app, &path, &session.access).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    reply.json()
}

/// The whole inbox (first page of up to 100), newest first.
async fn inbox(app: &TestApp, session: &Session) -> Vec<Value> {
    inbox_page(app, session, "?limit=100").await["items"]
        .as_array()
        .expect("items")
        .clone()
}

fn kinds(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Asserts that a push is the decrypted form of this inbox entry.
#[track_caller]
fn assert_push_matches(push: &Received, entry: &Value) {
    let payload = &push.payload;
    assert_eq!(
        payload["notification_id"], entry["id"],
        "{payload} vs {entry}"
    );
    assert_eq!(payload["kind"], entry["kind"], "{payload} vs {entry}");
    assert_eq!(payload["title"], entry["title"], "{payload} vs {entry}");
    assert_eq!(payload["body"], entry["body"], "{payload} vs {entry}");
    assert_eq!(payload["data"]["type"], entry["data"]["type"], "{payload}");
    assert_eq!(payload["data"]["id"], entry["data"]["id"], "{payload}");
}

#[track_caller]
fn urgency(push: &Received) -> &str {
    push.urgency.as_deref().unwrap_or("normal")
}

async fn preferences(app: &TestApp, session: &Session) -> Value {
    let reply = get_as(app, "/api/v1/me/notification-preferences", &session.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

async fn put_preferences(app: &TestApp, session: &Session, body: Value) -> Reply {
    put_json(
        app,
        "/api/v1/me/notification-preferences",
        Some(&session.access),
        body,
    )
    .await
}

/// Changes some preferences of `session`, keeping the rest.
async fn set_preferences(app: &TestApp, session: &Session, changes: Value) -> Value {
    let mut body = preferences(app, session).await;
    for (key, value) in changes.as_object().expect("an object") {
        body[key] = value.clone();
    }
    let reply = put_preferences(app, session, body.clone()).await;
    assert_eq!(reply.status, 200, "put preferences {body}: {}", reply.text);
    reply.json()
}

fn set_of(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

fn news(title: &str, category: &str, districts: &[&str]) -> Value {
    json!({
        "title": title,
        "body": "Mehr dazu im Gemeindeblatt.",
        "category": category,
        "district_ids": districts,
        "notify": true,
    })
}

async fn delivery(app: &TestApp, session: &Session, news_id: &str) -> Reply {
    get_as(
        app,
        &format!("/api/v1/news/{news_id}/delivery"),
        &session.access,
    )
    .await
}

fn stats(reply: &Reply) -> (u64, u64, u64, u64) {
    assert_eq!(reply.status, 200, "delivery: {}", reply.text);
    let body = reply.json();
    let n = |k: &str| body[k].as_u64().unwrap_or_else(|| panic!("{k} in {body}"));
    (n("recipients"), n("sent"), n("failed"), n("pending"))
}

/// Keeps the sessions usable while the clock moves by hours (access tokens live 15 minutes).
async fn renew_all(app: &TestApp, sessions: &mut [&mut Session]) {
    for session in sessions.iter_mut() {
        renew(app, session).await;
    }
}

fn now(app: &TestApp) -> DateTime<Utc> {
    use domain::clock::Clock;
    app.clock.now()
}

// ---------------------------------------------------------------------------------------------
// The VAPID key and subscriptions.

#[tokio::test]
async fn anyone_may_fetch_the_vapid_public_key_and_it_is_a_p256_point() {
    let app = TestApp::spawn().await;
    let key = vapid_key(&app).await;
    assert!(
        !key.contains('=') && !key.contains('+') && !key.contains('/'),
        "{key}"
    );
    let raw = b64(&key);
    assert_eq!(raw.len(), 65, "uncompressed point");
    assert_eq!(raw[0], 0x04);
    assert!(p256::PublicKey::from_sec1_bytes(&raw).is_ok(), "on P-256");
    assert_eq!(vapid_key(&app).await, key, "stable");
}

#[tokio::test]
async fn a_resident_subscribes_a_device_and_the_same_endpoint_again_renews_its_keys() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let mut device = service.new_device();
    let mut body = device.subscription_json();
    body["user_agent"] = json!("Firefox 140 auf Android");
    let reply = subscribe_reply(&app, &anna, body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let created = reply.json();
    let id = id_of(&created);
    assert_eq!(created["endpoint"], device.endpoint.as_str());
    assert_eq!(created["user_agent"], "Firefox 140 auf Android");
    assert!(created["created_at"].is_string(), "{created}");
    assert!(created["updated_at"].is_string(), "{created}");
    assert!(
        created.get("keys").is_none_or(|k| k.get("auth").is_none()),
        "no secrets back: {created}"
    );

    // The browser renews the keys of the same subscription.
    service.rotate_keys(&mut device);
    let reply = subscribe_reply(&app, &anna, device.subscription_json()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(id_of(&reply.json()), id);
    assert_eq!(my_endpoints(&app, &anna).await, [device.endpoint.as_str()]);

    // Pushes are encrypted for the new keys.
    test_push(&app, &anna).await;
    deliver(&app).await;
    let received = service.received(&device);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].payload["kind"], "test");
}

#[tokio::test]
async fn a_running_worker_sends_a_new_notice_at_once_not_at_its_next_poll() {
    // Polling once a minute: only the doorbell (and on PostgreSQL the NOTIFY at commit) can
    // make the push arrive within seconds.
    let app = spawn_with_admin_and(|settings| settings.job_poll_interval_ms = 60_000).await;
    let service = start_service(&app).await;
    let anna = resident(&app, None).await;
    let device = device_of(&app, &service, &anna).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(app.state.dispatcher().run(stop.clone()));
    // Let it go idle first: a ring from before it started must not be what wakes it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for n in 1..=2 {
        let asked = std::time::Instant::now();
        test_push(&app, &anna).await;
        while service.received(&device).len() < n
            && asked.elapsed() < std::time::Duration::from_secs(20)
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(service.received(&device).len(), n, "push {n} within 20 s");
    }
    stop.cancel();
    worker.await.expect("the worker stops");
}

#[tokio::test]
async fn an_endpoint_subscribed_by_someone_else_moves_to_the_new_caller() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let bernd = resident(&app, None).await;
    let device = service.new_device();
    let first = subscribe(&app, &anna, &device).await;
    let reply = subscribe_reply(&app, &bernd, device.subscription_json()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(id_of(&reply.json()), id_of(&first));
    assert!(my_endpoints(&app, &anna).await.is_empty());
    assert_eq!(my_endpoints(&app, &bernd).await, [device.endpoint.as_str()]);

    test_push(&app, &anna).await;
    deliver(&app).await;
    assert!(
        service.received(&device).is_empty(),
        "Anna's notices no longer go there"
    );
    test_push(&app, &bernd).await;
    deliver(&app).await;
    assert_eq!(service.received(&device).len(), 1);
}

#[tokio::test]
async fn bad_subscriptions_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let anna = resident(&app, None).await;
    let service = PushService::start().await;
    let device = service.new_device();
    let good = device.subscription_json();
    let with_key = |key: &str, value: Value| {
        let mut body = good.clone();
        body["keys"][key] = value;
        body
    };
    // A 65-byte string starting 0x04 that is not a point on the curve.
    let mut off_curve = vec![0x04];
    off_curve.extend([0x01; 64]);
    let compressed = {
        let mut raw = b64(&device.p256dh);
        raw.truncate(33);
        raw[0] = 0x02;
        raw
    };
    let cases = [
        (with_key("p256dh", json!("abc")), "keys.p256dh"),
        (with_key("p256dh", json!("not base64!")), "keys.p256dh"),
        (
            with_key("p256dh", json!(URL_SAFE_NO_PAD.encode([0x04; 64]))),
            "keys.p256dh",
        ),
        (
            with_key("p256dh", json!(URL_SAFE_NO_PAD.encode(&off_curve))),
            "keys.p256dh",
        ),
        (
            with_key("p256dh", json!(URL_SAFE_NO_PAD.encode(&compressed))),
            "keys.p256dh",
        ),
        (
            with_key("auth", json!(URL_SAFE_NO_PAD.encode([7u8; 15]))),
            "keys.auth",
        ),
        (
            with_key("auth", json!(URL_SAFE_NO_PAD.encode([7u8; 32]))),
            "keys.auth",
        ),
        (with_key("auth", json!("%%%")), "keys.auth"),
        (
            json!({"endpoint": "nicht eine Adresse", "keys": good["keys"]}),
            "endpoint",
        ),
        (
            json!({"endpoint": "ftp://push.example.org/x", "keys": good["keys"]}),
            "endpoint",
        ),
        (json!({"endpoint": "", "keys": good["keys"]}), "endpoint"),
    ];
    for (body, field) in cases {
        let reply = subscribe_reply(&app, &anna, body.clone()).await;
        assert_invalid_field(&reply, field);
    }
    assert!(my_endpoints(&app, &anna).await.is_empty());

    // Padding is tolerated.
    let mut padded = good.clone();
    padded["keys"]["p256dh"] = json!(URL_SAFE.encode(b64(&device.p256dh)));
    padded["keys"]["auth"] = json!(URL_SAFE.encode(b64(&device.auth)));
    assert!(padded["keys"]["auth"].as_str().unwrap().ends_with('='));
    let reply = subscribe_reply(&app, &anna, padded).await;
    assert_eq!(reply.status, 201, "{}", reply.text);

    let reply = post_json(&app, "/api/v1/push/subscriptions", None, good).await;
    reply.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn without_the_development_flag_only_public_https_endpoints_are_accepted() {
    let app = TestApp::spawn_with(|s| s.push_allow_http = false).await;
    let anna = resident(&app, None).await;
    let service = PushService::start().await;
    let device = service.new_device();
    let keys = device.subscription_json()["keys"].clone();
    for endpoint in [
        device.endpoint.as_str(),
        "http://push.example.org/wpush/v2/abc",
        "https://127.0.0.1/push/abc",
        "https://127.1.2.3:8443/push/abc",
        "https://localhost/push/abc",
        "https://10.0.0.7/push/abc",
        "https://172.16.0.1/push/abc",
        "https://192.168.178.1/push/abc",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/push/abc",
        "https://[fe80::1]/push/abc",
        "https://[fd00::1]/push/abc",
        "https://0.0.0.0/push/abc",
        "https://[::127.0.0.1]/push/abc",
        "https://[2002:7f00:1::1]/push/abc",
        "https://[2001::1]/push/abc",
        "https://[64:ff9b::7f00:1]/push/abc",
        "https://198.18.0.1/push/abc",
        "https://192.88.99.1/push/abc",
        "https://updates.push.services.mozilla.com:25/wpush/v2/abc",
    ] {
        let reply = subscribe_reply(&app, &anna, json!({"endpoint": endpoint, "keys": keys})).await;
        assert_invalid_field(&reply, "endpoint");
    }
    let reply = subscribe_reply(
        &app,
        &anna,
        json!({"endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABn", "keys": keys}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn residents_list_and_delete_only_their_own_subscriptions() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let bernd = resident(&app, None).await;
    let phone = service.new_device();
    let laptop = service.new_device();
    let hers = subscribe(&app, &anna, &phone).await;
    subscribe(&app, &anna, &laptop).await;
    let his = subscribe(&app, &bernd, &service.new_device()).await;

    let mine: BTreeSet<String> = my_endpoints(&app, &anna).await.into_iter().collect();
    assert_eq!(
        mine,
        BTreeSet::from([phone.endpoint.clone(), laptop.endpoint.clone()])
    );
    assert_eq!(my_endpoints(&app, &bernd).await.len(), 1);

    let path = |s: &Value| format!("/api/v1/push/subscriptions/{}", id_of(s));
    let reply = delete_json(&app, &path(&his), Some(&anna.access), None).await;
    reply.assert_problem(404, "not_found");
    let unknown = format!("/api/v1/push/subscriptions/{}", uuid::Uuid::now_v7());
    let reply = delete_json(&app, &unknown, Some(&anna.access), None).await;
    reply.assert_problem(404, "not_found");
    assert_eq!(my_endpoints(&app, &bernd).await.len(), 1);

    let reply = delete_json(&app, &path(&hers), Some(&anna.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(my_endpoints(&app, &anna).await, [laptop.endpoint.as_str()]);
    let reply = delete_json(&app, &path(&hers), Some(&anna.access), None).await;
    reply.assert_problem(404, "not_found");

    // The deleted device hears nothing more.
    test_push(&app, &anna).await;
    deliver(&app).await;
    assert_eq!(service.attempts(&phone), 0);
    assert_eq!(service.received(&laptop).len(), 1);

    get_anonymous(&app, "/api/v1/push/subscriptions")
        .await
        .assert_problem(401, "unauthorized");
}

// ---------------------------------------------------------------------------------------------
// The test push, payload and protocol.

#[tokio::test]
async fn a_test_push_reaches_every_device_of_the_caller_once_and_lands_in_the_inbox() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let bernd = resident(&app, None).await;
    let phone = device_of(&app, &service, &anna).await;
    let laptop = device_of(&app, &service, &anna).await;
    let his = device_of(&app, &service, &bernd).await;

    test_push(&app, &anna).await;
    assert!(
        service.all_received().is_empty(),
        "nothing before the worker runs"
    );
    deliver(&app).await;

    let entries = inbox(&app, &anna).await;
    assert_eq!(kinds(&entries), ["test"]);
    let entry = &entries[0];
    assert!(entry["read_at"].is_null(), "{entry}");
    assert!(entry["created_at"].is_string(), "{entry}");
    assert!(entry["data"].is_object(), "{entry}");
    for device in [&phone, &laptop] {
        let received = service.received(device);
        assert_eq!(received.len(), 1, "one push per device");
        let push = &received[0];
        assert_push_matches(push, entry);
        assert!(push.vapid_ok);
        let ttl: u64 = push
            .ttl
            .as_deref()
            .expect("TTL")
            .parse()
            .expect("TTL seconds");
        assert!(
            ttl > 0,
            "a TTL of 0 drops the push when the device is offline"
        );
        let claims = push.jwt_claims.as_ref().expect("claims");
        assert_eq!(claims["aud"], service.base_url());
        let exp = claims["exp"].as_i64().expect("exp");
        let latest = now(&app).max(Utc::now()) + Duration::hours(24);
        let earliest = now(&app).min(Utc::now());
        assert!(
            exp <= latest.timestamp() && exp > earliest.timestamp(),
            "exp {exp} at most 24 h ahead (RFC 8292 §2)"
        );
    }
    assert!(service.received(&his).is_empty());
    assert!(inbox(&app, &bernd).await.is_empty());

    // Nothing twice.
    deliver(&app).await;
    app.clock.advance(Duration::minutes(5));
    deliver(&app).await;
    assert_eq!(service.all_received().len(), 2);
    assert_eq!(inbox(&app, &anna).await.len(), 1);

    let reply = post_json(&app, "/api/v1/push/test", None, json!({})).await;
    reply.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_resident_without_a_device_still_finds_the_test_notice_in_the_inbox() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    test_push(&app, &anna).await;
    deliver(&app).await;
    assert_eq!(kinds(&inbox(&app, &anna).await), ["test"]);
    assert!(service.all_received().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Preferences.

#[tokio::test]
async fn preferences_default_to_the_home_district_and_every_category() {
    let app = TestApp::spawn().await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let homed = resident(&app, Some(&rieder)).await;
    let homeless = resident(&app, None).await;

    let prefs = preferences(&app, &homed).await;
    assert_eq!(prefs["district_ids"], json!([rieder]));
    assert_eq!(
        set_of(&prefs["news_categories"]),
        CATEGORIES.map(String::from).into()
    );
    assert_eq!(prefs["shop_updates"], true);
    assert_eq!(prefs["ride_updates"], true);
    assert!(prefs["quiet_hours"].is_null(), "{prefs}");
    assert_eq!(
        preferences(&app, &homeless).await["district_ids"],
        json!([])
    );

    let wanted = json!({
        "district_ids": [rieder, badeborn],
        "news_categories": ["warning", "event"],
        "shop_updates": false,
        "ride_updates": true,
        "quiet_hours": {"start": "22:00", "end": "07:00"},
    });
    let reply = put_preferences(&app, &homed, wanted.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let echoed = reply.json();
    for prefs in [echoed, preferences(&app, &homed).await] {
        assert_eq!(
            set_of(&prefs["district_ids"]),
            set_of(&wanted["district_ids"])
        );
        assert_eq!(
            set_of(&prefs["news_categories"]),
            set_of(&wanted["news_categories"])
        );
        assert_eq!(prefs["shop_updates"], false);
        assert_eq!(prefs["ride_updates"], true);
        assert_eq!(prefs["quiet_hours"], wanted["quiet_hours"]);
    }
    // Someone else's preferences are untouched; quiet hours can be switched off again.
    assert_eq!(preferences(&app, &homeless).await["shop_updates"], true);
    let off = set_preferences(
        &app,
        &homed,
        json!({"quiet_hours": null, "district_ids": []}),
    )
    .await;
    assert!(off["quiet_hours"].is_null(), "{off}");
    assert_eq!(off["district_ids"], json!([]));

    get_anonymous(&app, "/api/v1/me/notification-preferences")
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn bad_preferences_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let rieder = district_id(&app, "rieder").await;
    let anna = resident(&app, Some(&rieder)).await;
    let good = json!({
        "district_ids": [rieder],
        "news_categories": ["news"],
        "shop_updates": true,
        "ride_updates": true,
        "quiet_hours": null,
    });
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let unknown = uuid::Uuid::now_v7().to_string();
    let cases = [
        (
            with("district_ids", json!([rieder, unknown])),
            "district_ids[1]",
        ),
        (
            with("news_categories", json!(["news", "klatsch"])),
            "news_categories[1]",
        ),
        (
            with("quiet_hours", json!({"start": "25:00", "end": "07:00"})),
            "quiet_hours.start",
        ),
        (
            with("quiet_hours", json!({"start": "22:00", "end": "spät"})),
            "quiet_hours.end",
        ),
        (
            with("quiet_hours", json!({"start": "22:00", "end": "22:00"})),
            "quiet_hours",
        ),
    ];
    for (body, field) in cases {
        let reply = put_preferences(&app, &anna, body).await;
        assert_invalid_field(&reply, field);
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("shop_updates");
    let reply = put_preferences(&app, &anna, missing).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    // Nothing was changed.
    assert_eq!(
        preferences(&app, &anna).await["news_categories"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

// ---------------------------------------------------------------------------------------------
// Who is told what.

#[tokio::test]
async fn district_news_reaches_residents_who_follow_its_district_and_category() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;

    let local = resident(&app, Some(&rieder)).await;
    let local_device = device_of(&app, &service, &local).await;
    let local_offline = resident(&app, Some(&rieder)).await; // no device
    let neighbour = resident(&app, Some(&badeborn)).await;
    let neighbour_device = device_of(&app, &service, &neighbour).await;
    let follower = resident(&app, Some(&badeborn)).await;
    set_preferences(&app, &follower, json!({"district_ids": [badeborn, rieder]})).await;
    let follower_device = device_of(&app, &service, &follower).await;
    let not_news = resident(&app, Some(&rieder)).await;
    set_preferences(
        &app,
        &not_news,
        json!({"news_categories": ["event", "warning"]}),
    )
    .await;
    let not_news_device = device_of(&app, &service, &not_news).await;
    let nowhere = resident(&app, None).await;
    let nowhere_device = device_of(&app, &service, &nowhere).await;

    let item = publish(
        &app,
        &leader,
        news("Bürgersprechstunde", "news", &[&rieder]),
    )
    .await;
    let item_id = id_of(&item);
    settle(&app).await;

    for (who, device) in [("local", &local_device), ("follower", &follower_device)] {
        let received = service.received(device);
        assert_eq!(received.len(), 1, "{who}");
        let push = &received[0];
        assert_eq!(push.payload["kind"], "news", "{who}");
        assert_eq!(push.payload["title"], "Bürgersprechstunde", "{who}");
        assert_eq!(push.payload["data"]["type"], "news", "{who}");
        assert_eq!(push.payload["data"]["id"], item_id.as_str(), "{who}");
        assert_eq!(urgency(push), "normal", "{who}");
    }
    for device in [&neighbour_device, &not_news_device, &nowhere_device] {
        assert_eq!(service.attempts(device), 0);
    }
    for (who, session) in [
        ("local", &local),
        ("offline", &local_offline),
        ("follower", &follower),
    ] {
        let entries = inbox(&app, session).await;
        assert_eq!(kinds(&entries), ["news"], "{who}");
        assert_eq!(entries[0]["data"]["id"], item_id.as_str(), "{who}");
    }
    assert_push_matches(
        &service.received(&local_device)[0],
        &inbox(&app, &local).await[0],
    );
    for session in [&neighbour, &not_news, &nowhere] {
        assert!(inbox(&app, session).await.is_empty());
    }
}

#[tokio::test]
async fn a_warning_reaches_followed_districts_at_once_even_without_the_category() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;
    let quiet = resident(&app, Some(&rieder)).await;
    set_preferences(&app, &quiet, json!({"news_categories": ["event"]})).await;
    let quiet_device = device_of(&app, &service, &quiet).await;
    let elsewhere = resident(&app, Some(&badeborn)).await;
    let elsewhere_device = device_of(&app, &service, &elsewhere).await;

    publish(
        &app,
        &leader,
        news("Hochwasser an der Getel", "warning", &[&rieder]),
    )
    .await;
    settle(&app).await;
    let received = service.received(&quiet_device);
    assert_eq!(received.len(), 1);
    assert_eq!(urgency(&received[0]), "high");
    assert_eq!(received[0].payload["title"], "Hochwasser an der Getel");
    assert_eq!(kinds(&inbox(&app, &quiet).await), ["news"]);
    assert_eq!(service.attempts(&elsewhere_device), 0);
    assert!(inbox(&app, &elsewhere).await.is_empty());
}

#[tokio::test]
async fn a_municipality_wide_item_reaches_everyone_who_follows_its_category() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let local = resident(&app, Some(&rieder)).await;
    let local_device = device_of(&app, &service, &local).await;
    let nowhere = resident(&app, None).await;
    let nowhere_device = device_of(&app, &service, &nowhere).await;
    let no_events = resident(&app, Some(&rieder)).await;
    set_preferences(&app, &no_events, json!({"news_categories": ["news"]})).await;
    let no_events_device = device_of(&app, &service, &no_events).await;

    let mut body = news("Sommerfest am Schloss", "event", &[]);
    body["event"] = json!({"starts_at": "2026-06-20T14:00:00Z", "location": "Schlossplatz"});
    publish(&app, &admin, body).await;
    settle(&app).await;
    assert_eq!(service.received(&local_device).len(), 1);
    assert_eq!(
        service.received(&nowhere_device).len(),
        1,
        "no home district, still told"
    );
    assert_eq!(service.attempts(&no_events_device), 0);
    assert_eq!(kinds(&inbox(&app, &nowhere).await), ["news"]);
    assert!(inbox(&app, &no_events).await.is_empty());
}

#[tokio::test]
async fn a_shop_notice_reaches_its_followers_and_shop_updates_off_keeps_it_in_the_inbox() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let shop = id_of(&create_shop(&app, &admin, &rieder, "Dorfladen Rieder").await);
    let operator = user_with_role(&app, &admin, "shop_operator", None, Some(&shop)).await;
    let fan = resident(&app, Some(&rieder)).await;
    let muted = resident(&app, Some(&rieder)).await;
    let stranger = resident(&app, Some(&rieder)).await;
    let fan_device = device_of(&app, &service, &fan).await;
    let muted_device = device_of(&app, &service, &muted).await;
    let stranger_device = device_of(&app, &service, &stranger).await;
    for session in [&fan, &muted] {
        let reply = send_empty(
            &app,
            Method::PUT,
            &format!("/api/v1/shops/{shop}/follow"),
            Some(&session.access),
        )
        .await;
        assert_eq!(reply.status, 204, "{}", reply.text);
    }
    set_preferences(&app, &muted, json!({"shop_updates": false})).await;

    let reply = post_json(
        &app,
        &format!("/api/v1/shops/{shop}/notices"),
        Some(&operator.access),
        json!({"kind": "new_stock", "title": "Frischer Spargel", "body": "Ab heute.", "notify": true}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let notice_id = id_of(&reply.json());
    settle(&app).await;

    let received = service.received(&fan_device);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].payload["kind"], "shop_notice");
    assert_eq!(received[0].payload["data"]["id"], notice_id.as_str());
    assert!(
        received[0].payload["title"]
            .as_str()
            .unwrap_or_default()
            .contains("Frischer Spargel"),
        "{}",
        received[0].payload
    );
    assert_push_matches(&received[0], &inbox(&app, &fan).await[0]);
    assert_eq!(
        service.attempts(&muted_device),
        0,
        "shop updates switched off"
    );
    assert_eq!(
        kinds(&inbox(&app, &muted).await),
        ["shop_notice"],
        "but in the inbox"
    );
    assert_eq!(service.attempts(&stranger_device), 0);
    assert!(inbox(&app, &stranger).await.is_empty());
}

#[tokio::test]
async fn a_ride_request_reaches_the_districts_drivers_and_its_acceptance_the_rider() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let driver = user_with_role(&app, &admin, "driver", Some(&rieder), None).await;
    let far_driver = user_with_role(&app, &admin, "driver", Some(&badeborn), None).await;
    let rider = resident(&app, Some(&rieder)).await;
    let muted_rider = resident(&app, Some(&rieder)).await;
    set_preferences(&app, &muted_rider, json!({"ride_updates": false})).await;
    let driver_device = device_of(&app, &service, &driver).await;
    let far_device = device_of(&app, &service, &far_driver).await;
    let rider_device = device_of(&app, &service, &rider).await;
    let muted_device = device_of(&app, &service, &muted_rider).await;

    let ride = crate::support::book(&app, &rider, &crate::support::ride(&rieder, 180)).await;
    let ride_id = id_of(&ride);
    settle(&app).await;
    let requests = service.received(&driver_device);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].payload["kind"], "ride_request");
    assert_eq!(requests[0].payload["data"]["type"], "ride");
    assert_eq!(requests[0].payload["data"]["id"], ride_id.as_str());
    assert_eq!(service.attempts(&far_device), 0);
    assert!(inbox(&app, &far_driver).await.is_empty());
    assert_eq!(
        service.attempts(&rider_device),
        0,
        "nothing to the rider yet"
    );

    crate::support::step_ok(&app, &driver, &ride_id, "accept").await;
    settle(&app).await;
    let updates = service.received(&rider_device);
    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(update.payload["kind"], "ride_update");
    assert_eq!(update.payload["data"]["id"], ride_id.as_str());
    assert_eq!(urgency(update), "high");
    assert!(
        update.topic.is_some(),
        "a newer ride update replaces an older one"
    );
    assert_push_matches(update, &inbox(&app, &rider).await[0]);

    // Ride updates switched off: in the inbox, not on the device.
    let other = crate::support::book(&app, &muted_rider, &crate::support::ride(&rieder, 240)).await;
    settle(&app).await;
    crate::support::step_ok(&app, &driver, &id_of(&other), "accept").await;
    settle(&app).await;
    assert_eq!(service.attempts(&muted_device), 0);
    assert_eq!(kinds(&inbox(&app, &muted_rider).await), ["ride_update"]);
    assert_eq!(
        service.received(&driver_device).len(),
        2,
        "the second request"
    );
}

#[tokio::test]
async fn a_scheduled_item_is_pushed_when_it_goes_live_not_before() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;
    let local = resident(&app, Some(&rieder)).await;
    let device = device_of(&app, &service, &local).await;
    let at = test_epoch() + Duration::hours(2);
    let mut body = news("Straßensperrung", "announcement", &[&rieder]);
    body["publish_at"] = json!(crate::support::rfc3339(at));
    publish(&app, &leader, body).await;
    settle(&app).await;
    app.clock.set(at - Duration::minutes(1));
    settle(&app).await;
    assert_eq!(service.attempts(&device), 0, "nothing before its time");
    app.clock.set(at + Duration::minutes(1));
    settle(&app).await;
    let received = service.received(&device);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].payload["title"], "Straßensperrung");
    settle(&app).await;
    assert_eq!(service.attempts(&device), 1);
}

#[tokio::test]
async fn a_deleted_item_is_not_pushed_any_more_and_leaves_the_inbox() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let local = resident(&app, Some(&rieder)).await;
    let device = device_of(&app, &service, &local).await;
    service.respond_with(&device, vec![Answer::Status(503)]);
    let item = id_of(&publish(&app, &admin, news("Irrtum", "news", &[&rieder])).await);
    settle(&app).await;
    assert_eq!(service.attempts(&device), 1);
    assert_eq!(kinds(&inbox(&app, &local).await), ["news"]);
    let reply = delete_json(
        &app,
        &format!("/api/v1/news/{item}"),
        Some(&admin.access),
        None,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    app.clock.advance(Duration::minutes(1));
    settle(&app).await;
    assert_eq!(
        service.attempts(&device),
        1,
        "the retry is dropped with the item"
    );
    assert!(
        inbox(&app, &local).await.is_empty(),
        "nobody is sent to something gone"
    );
}

// ---------------------------------------------------------------------------------------------
// Quiet hours. The test epoch is 10:00 in Ballenstedt (08:00 UTC, summer time).

#[tokio::test]
async fn quiet_hours_hold_back_ordinary_pushes_until_they_end_but_not_warnings() {
    let (app, service) = spawn_push().await;
    let admin = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let mut leader = user_with_role(&app, &admin, "district_leader", Some(&rieder), None).await;
    let mut sleeper = resident(&app, Some(&rieder)).await;
    // Across midnight, and ending at 11:00 local time = 09:00 UTC.
    set_preferences(
        &app,
        &sleeper,
        json!({"quiet_hours": {"start": "20:00", "end": "11:00"}}),
    )
    .await;
    let sleeper_device = device_of(&app, &service, &sleeper).await;
    let awake = resident(&app, Some(&rieder)).await;
    let awake_device = device_of(&app, &service, &awake).await;

    publish(&app, &leader, news("Neuer Spielplatz", "news", &[&rieder])).await;
    settle(&app).await;
    assert_eq!(
        service.received(&awake_device).len(),
        1,
        "outside quiet hours: at once"
    );
    assert_eq!(service.attempts(&sleeper_device), 0, "held back");
    assert_eq!(
        kinds(&inbox(&app, &sleeper).await),
        ["news"],
        "the inbox has it at once"
    );

    publish(
        &app,
        &leader,
        news("Unwetterwarnung", "warning", &[&rieder]),
    )
    .await;
    settle(&app).await;
    let received = service.received(&sleeper_device);
    assert_eq!(received.len(), 1, "a warning goes out at once");
    assert_eq!(received[0].payload["title"], "Unwetterwarnung");
    assert_eq!(kinds(&inbox(&app, &sleeper).await), ["news", "news"]);

    app.clock.set(test_epoch() + Duration::minutes(59));
    settle(&app).await;
    assert_eq!(
        service.received(&sleeper_device).len(),
        1,
        "still quiet at 10:59"
    );

    app.clock.set(test_epoch() + Duration::minutes(61));
    settle(&app).await;
    let received = service.received(&sleeper_device);
    assert_eq!(received.len(), 2, "after 11:00");
    assert_eq!(received[1].payload["title"], "Neuer Spielplatz");
    settle(&app).await;
    assert_eq!(service.received(&sleeper_device).len(), 2, "once");
    renew_all(&app, &mut [&mut sleeper, &mut leader]).await;
    let entries = inbox(&app, &sleeper).await;
    assert_eq!(entries.len(), 2);
    assert_push_matches(&received[1], &entries[1]);
}

// ---------------------------------------------------------------------------------------------
// Failures and retries.

#[tokio::test]
async fn a_failing_push_service_is_retried_with_backoff_until_it_accepts() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let device = device_of(&app, &service, &anna).await;
    service.respond_with(&device, vec![Answer::Status(500), Answer::Status(503)]);
    test_push(&app, &anna).await;
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 1);
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 1, "not retried at once");
    app.clock.advance(Duration::seconds(5));
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 2, "first retry after about 2 s");
    app.clock.advance(Duration::seconds(10));
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 3, "second retry after about 4 s");
    let received = service.received(&device);
    assert_eq!(received.len(), 1);
    assert_push_matches(&received[0], &inbox(&app, &anna).await[0]);
    app.clock.advance(Duration::hours(1));
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 3, "delivered: no more attempts");
}

#[tokio::test]
async fn a_push_service_that_asks_to_wait_is_not_asked_again_before_retry_after() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let device = device_of(&app, &service, &anna).await;
    service.respond_with(
        &device,
        vec![Answer::TooManyRequests {
            retry_after_secs: 30,
        }],
    );
    test_push(&app, &anna).await;
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 1);
    app.clock.advance(Duration::seconds(10));
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 1, "Retry-After: 30 is honoured");
    app.clock.advance(Duration::seconds(21));
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 2);
    assert_eq!(service.received(&device).len(), 1);
}

#[tokio::test]
async fn after_ten_failed_attempts_a_push_counts_as_failed() {
    let (app, service) = spawn_push().await;
    let admin_session = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let mut leader =
        user_with_role(&app, &admin_session, "district_leader", Some(&rieder), None).await;
    let anna = resident(&app, Some(&rieder)).await;
    let device = device_of(&app, &service, &anna).await;
    let mut anna = anna;
    service.respond_with(&device, vec![Answer::Status(500); 12]);
    let item = id_of(&publish(&app, &leader, news("Baustelle", "news", &[&rieder])).await);
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 1);
    for attempt in 1..10u32 {
        // The n-th retry is due about 2^n s after the n-th attempt; wait three times that.
        app.clock.advance(Duration::seconds(3 * (1i64 << attempt)));
        deliver(&app).await;
        assert_eq!(
            service.attempts(&device),
            attempt as usize + 1,
            "attempt {} after a wait of {} s",
            attempt + 1,
            3 * (1i64 << attempt)
        );
    }
    app.clock.advance(Duration::days(1));
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 10, "no eleventh attempt");
    assert!(service.received(&device).is_empty());
    renew_all(&app, &mut [&mut leader, &mut anna]).await;
    let (recipients, sent, failed, pending) = stats(&delivery(&app, &leader, &item).await);
    assert_eq!((recipients, sent, failed, pending), (1, 0, 1, 0));
    assert_eq!(
        kinds(&inbox(&app, &anna).await),
        ["news"],
        "the inbox still has it"
    );
    assert_eq!(
        my_endpoints(&app, &anna).await,
        [device.endpoint.as_str()],
        "a temporary failure does not remove the device"
    );
}

#[tokio::test]
async fn gone_and_unknown_subscriptions_are_removed_and_never_pushed_again() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let gone = device_of(&app, &service, &anna).await;
    let unknown = device_of(&app, &service, &anna).await;
    let alive = device_of(&app, &service, &anna).await;
    service.respond_with(&gone, vec![Answer::Gone]);
    service.respond_with(&unknown, vec![Answer::NotFound]);
    test_push(&app, &anna).await;
    deliver(&app).await;
    assert_eq!(service.attempts(&gone), 1);
    assert_eq!(service.attempts(&unknown), 1);
    assert_eq!(service.received(&alive).len(), 1);
    assert_eq!(my_endpoints(&app, &anna).await, [alive.endpoint.as_str()]);

    app.clock.advance(Duration::minutes(10));
    deliver(&app).await;
    test_push(&app, &anna).await;
    deliver(&app).await;
    assert_eq!(service.attempts(&gone), 1, "never again");
    assert_eq!(service.attempts(&unknown), 1, "never again");
    assert_eq!(service.received(&alive).len(), 2);
}

#[tokio::test]
async fn the_delivery_report_counts_recipients_and_pushes_for_those_who_may_see_it() {
    let (app, service) = spawn_push().await;
    let admin_session = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let badeborn = district_id(&app, "badeborn").await;
    let leader = user_with_role(&app, &admin_session, "district_leader", Some(&rieder), None).await;
    let other_leader = user_with_role(
        &app,
        &admin_session,
        "district_leader",
        Some(&badeborn),
        None,
    )
    .await;
    let mut devices = Vec::new();
    let mut people = Vec::new();
    for _ in 0..3 {
        let person = resident(&app, Some(&rieder)).await;
        devices.push(device_of(&app, &service, &person).await);
        people.push(person);
    }
    service.respond_with(&devices[0], vec![Answer::Status(502)]);
    let item = id_of(&publish(&app, &leader, news("Wahllokal", "announcement", &[&rieder])).await);
    settle(&app).await;

    assert_eq!(stats(&delivery(&app, &leader, &item).await), (3, 2, 0, 1));
    assert_eq!(
        stats(&delivery(&app, &admin_session, &item).await),
        (3, 2, 0, 1)
    );
    app.clock.advance(Duration::minutes(1));
    deliver(&app).await;
    assert_eq!(stats(&delivery(&app, &leader, &item).await), (3, 3, 0, 0));
    for device in &devices {
        assert_eq!(service.received(device).len(), 1);
    }

    for (who, session) in [("resident", &people[0]), ("other leader", &other_leader)] {
        let reply = delivery(&app, session, &item).await;
        assert_ne!(reply.status, 200, "{who}: {}", reply.text);
    }
    get_anonymous(&app, &format!("/api/v1/news/{item}/delivery"))
        .await
        .assert_problem(401, "unauthorized");
}

// ---------------------------------------------------------------------------------------------
// The inbox.

#[tokio::test]
async fn the_inbox_pages_newest_first_and_tracks_what_was_read() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    let bernd = resident(&app, None).await;
    let device = device_of(&app, &service, &anna).await;
    for _ in 0..3 {
        test_push(&app, &anna).await;
        deliver(&app).await;
        app.clock.advance(Duration::minutes(1));
    }
    test_push(&app, &bernd).await;
    deliver(&app).await;
    // The pushes arrived oldest first; the inbox lists newest first.
    let pushed: Vec<Value> = service
        .payloads(&device)
        .iter()
        .map(|p| p["notification_id"].clone())
        .rev()
        .collect();
    assert_eq!(pushed.len(), 3);

    let first = inbox_page(&app, &anna, "?limit=2").await;
    assert_eq!(first["unread_count"], 3);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = inbox_page(
        &app,
        &anna,
        &format!("?limit=2&cursor={}", crate::support::encode(&cursor)),
    )
    .await;
    assert!(second["next_cursor"].is_null(), "{second}");
    let listed: Vec<Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(listed, pushed);

    let middle = pushed[1].as_str().unwrap().to_owned();
    let read_path = format!("/api/v1/me/notifications/{middle}/read");
    for _ in 0..2 {
        let reply = post_json(&app, &read_path, Some(&anna.access), json!({})).await;
        assert_eq!(reply.status, 204, "{}", reply.text);
    }
    let reply = post_json(&app, &read_path, Some(&bernd.access), json!({})).await;
    reply.assert_problem(404, "not_found");
    let unknown = format!("/api/v1/me/notifications/{}/read", uuid::Uuid::now_v7());
    let reply = post_json(&app, &unknown, Some(&anna.access), json!({})).await;
    reply.assert_problem(404, "not_found");

    let all = inbox_page(&app, &anna, "").await;
    assert_eq!(all["unread_count"], 2);
    let entry = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == middle.as_str())
        .expect("still listed");
    assert!(entry["read_at"].is_string(), "{entry}");
    let unread = inbox_page(&app, &anna, "?unread=true").await;
    let unread_ids: Vec<Value> = unread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(unread_ids, [pushed[0].clone(), pushed[2].clone()]);
    assert_eq!(
        inbox_page(&app, &bernd, "").await["unread_count"],
        1,
        "Bernd's is his own"
    );

    let reply = post_json(
        &app,
        "/api/v1/me/notifications/read-all",
        Some(&anna.access),
        json!({}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let after = inbox_page(&app, &anna, "").await;
    assert_eq!(after["unread_count"], 0);
    assert_eq!(after["items"].as_array().unwrap().len(), 3);
    assert!(
        inbox_page(&app, &anna, "?unread=true").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        inbox_page(&app, &bernd, "").await["unread_count"],
        1,
        "not Bernd's"
    );

    get_anonymous(&app, "/api/v1/me/notifications")
        .await
        .assert_problem(401, "unauthorized");
}

// ---------------------------------------------------------------------------------------------
// Durability and more than one worker.

/// A second instance of the server on the same database and data directory.
async fn second_instance(app: &TestApp) -> AppState {
    AppState::init(app.db.settings(), Arc::new(app.clock.clone()))
        .await
        .expect("a second instance starts")
}

#[tokio::test]
async fn pending_pushes_survive_a_restart_and_arrive_exactly_once() {
    let app = spawn_with_admin_and(|_| {}).await;
    let service = start_service(&app).await;
    let anna = resident(&app, None).await;
    let flaky = device_of(&app, &service, &anna).await;
    let steady = device_of(&app, &service, &anna).await;
    service.respond_with(&flaky, vec![Answer::Status(500)]);

    // One notice half delivered by the first instance …
    test_push(&app, &anna).await;
    deliver(&app).await;
    assert_eq!(service.received(&steady).len(), 1);
    assert_eq!(service.received(&flaky).len(), 0);
    // … and one that it never got round to.
    test_push(&app, &anna).await;

    let restarted = second_instance(&app).await;
    app.clock.advance(Duration::minutes(1));
    deliver_with(&restarted).await;
    deliver_with(&restarted).await;
    deliver(&app).await;
    assert_eq!(service.received(&flaky).len(), 2);
    assert_eq!(service.received(&steady).len(), 2);
    let ids = |d: &Device| -> BTreeSet<String> {
        service
            .payloads(d)
            .iter()
            .map(|p| p["notification_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(ids(&flaky), ids(&steady));
    assert_eq!(ids(&flaky).len(), 2, "two different notices, each once");
    assert_eq!(inbox(&app, &anna).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_at_once_push_to_every_device_exactly_once() {
    let (app, service) = spawn_push().await;
    let admin_session = admin(&app).await;
    let mut devices = Vec::new();
    let mut people = Vec::new();
    for _ in 0..10 {
        let person = resident(&app, None).await;
        for _ in 0..5 {
            devices.push(device_of(&app, &service, &person).await);
        }
        people.push(person);
    }
    publish(
        &app,
        &admin_session,
        news("Gemeinderat tagt", "announcement", &[]),
    )
    .await;

    // On PostgreSQL a second instance with a pool of its own; on SQLite two workers in one.
    let other = if app.db.is_postgres() {
        second_instance(&app).await
    } else {
        app.state.clone()
    };
    let (a, b) = tokio::join!(async { app.state.dispatcher().run_due().await }, async {
        other.dispatcher().run_due().await
    },);
    a.expect("first worker");
    b.expect("second worker");
    // Whatever one of them left for later is done now.
    deliver(&app).await;

    for device in &devices {
        assert_eq!(service.received(device).len(), 1, "device {}", device.id);
        assert_eq!(service.attempts(device), 1, "device {}", device.id);
    }
    for person in &people {
        assert_eq!(kinds(&inbox(&app, person).await), ["news"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Fan-out in batches, VAPID token reuse, topics.

#[tokio::test]
async fn a_warning_to_a_large_district_is_expanded_in_batches_after_the_request_returned() {
    use entity::{app_user, inbox_entry};
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let (app, service) = spawn_push().await;
    let admin_session = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let rieder_id: uuid::Uuid = rieder.parse().expect("uuid");
    let leader = user_with_role(&app, &admin_session, "district_leader", Some(&rieder), None).await;
    // 1,200 residents of Rieder, written straight into the database (registering them over
    // HTTP would spend minutes hashing passwords).
    const CROWD: usize = 1_200;
    let now = app.clock.now();
    let crowd: Vec<app_user::ActiveModel> = (0..CROWD)
        .map(|i| app_user::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            email: Set(format!("rieder-{i}@example.org")),
            email_normalized: Set(format!("rieder-{i}@example.org")),
            display_name: Set(format!("Anwohner {i}")),
            password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into()),
            home_district_id: Set(Some(rieder_id)),
            phone: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    for chunk in crowd.chunks(200) {
        app_user::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.state.db)
            .await
            .expect("crowd inserted");
    }
    let watcher = resident(&app, Some(&rieder)).await;
    let device = device_of(&app, &service, &watcher).await;

    let item = publish(&app, &leader, news("Sturmwarnung", "warning", &[&rieder])).await;
    let notice_id = {
        use entity::notice;
        notice::Entity::find()
            .filter(notice::Column::SubjectId.eq(id_of(&item).parse::<uuid::Uuid>().expect("id")))
            .one(&app.state.db)
            .await
            .expect("query")
            .expect("a notice was queued")
            .id
    };
    let entries = || async {
        inbox_entry::Entity::find()
            .filter(inbox_entry::Column::NoticeId.eq(notice_id))
            .count(&app.state.db)
            .await
            .expect("count")
    };
    assert_eq!(
        entries().await,
        0,
        "publishing only queues the notice; nobody is expanded while the mayor waits"
    );
    assert!(inbox(&app, &watcher).await.is_empty());

    let report = app
        .state
        .dispatcher()
        .run_due()
        .await
        .expect("the push worker runs");
    assert!(
        report.batches >= 3,
        "1,201 recipients in batches of 50, then at most 500: {report:?}"
    );
    assert_eq!(
        entries().await,
        (CROWD + 1) as u64,
        "everyone in Rieder, once"
    );
    assert_eq!(service.received(&device).len(), 1);
    assert_eq!(kinds(&inbox(&app, &watcher).await), ["news"]);
}

#[tokio::test]
async fn one_vapid_token_per_push_service_is_reused_until_shortly_before_it_expires() {
    let (app, service) = spawn_push().await;
    let mut session = resident(&app, None).await;
    let device = device_of(&app, &service, &session).await;
    test_push(&app, &session).await;
    deliver(&app).await;
    app.clock.advance(Duration::minutes(30));
    renew(&app, &mut session).await;
    test_push(&app, &session).await;
    deliver(&app).await;
    let first = service.received(&device);
    assert_eq!(first.len(), 2);
    let exp = |push: &Received| push.jwt_claims.as_ref().expect("verified JWT")["exp"].clone();
    assert_eq!(
        exp(&first[0]),
        exp(&first[1]),
        "the same token, signed once"
    );
    let issued = exp(&first[0]).as_i64().expect("exp");
    assert!(
        issued > app.clock.now().timestamp() && issued <= app.clock.now().timestamp() + 24 * 3600,
        "valid for at most 24 hours (RFC 8292)"
    );

    // Close to its expiry a fresh one is signed, so no push ever carries a stale token.
    app.clock
        .advance(Duration::hours(11) + Duration::minutes(15));
    renew(&app, &mut session).await;
    test_push(&app, &session).await;
    deliver(&app).await;
    let all = service.received(&device);
    assert_eq!(all.len(), 3);
    let renewed = exp(&all[2]).as_i64().expect("exp");
    assert!(renewed > issued, "a new token: {renewed} vs {issued}");
    assert!(renewed > app.clock.now().timestamp() + 3600);
}

#[tokio::test]
async fn a_newer_ride_update_replaces_an_older_one_still_waiting_for_quiet_hours_to_end() {
    let (app, service) = spawn_push().await;
    let admin_session = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let driver = user_with_role(&app, &admin_session, "driver", Some(&rieder), None).await;
    let mut rider = resident(&app, Some(&rieder)).await;
    // 10:00 local now; quiet until 12:00.
    set_preferences(
        &app,
        &rider,
        json!({"quiet_hours": {"start": "09:00", "end": "12:00"}}),
    )
    .await;
    let rider_device = device_of(&app, &service, &rider).await;
    let ride = crate::support::book(&app, &rider, &crate::support::ride(&rieder, 300)).await;
    let ride_id = id_of(&ride);
    deliver(&app).await;
    crate::support::step_ok(&app, &driver, &ride_id, "accept").await;
    deliver(&app).await;
    crate::support::step_ok(&app, &driver, &ride_id, "release").await;
    deliver(&app).await;
    assert_eq!(service.attempts(&rider_device), 0, "quiet hours");
    assert_eq!(
        kinds(&inbox(&app, &rider).await),
        ["ride_update", "ride_update"],
        "both updates are in the inbox at once"
    );

    app.clock.advance(Duration::hours(2) + Duration::minutes(1));
    deliver(&app).await;
    renew(&app, &mut rider).await;
    let pushed = service.received(&rider_device);
    assert_eq!(
        pushed.len(),
        1,
        "only the newest update of the ride is pushed: {:?}",
        pushed.iter().map(|p| &p.payload).collect::<Vec<_>>()
    );
    let newest = &inbox(&app, &rider).await[0];
    assert_push_matches(&pushed[0], newest);
}

#[tokio::test]
async fn the_data_export_holds_devices_preferences_and_the_inbox() {
    let (app, service) = spawn_push().await;
    let session = resident(&app, None).await;
    let device = device_of(&app, &service, &session).await;
    set_preferences(&app, &session, json!({"shop_updates": false})).await;
    test_push(&app, &session).await;
    deliver(&app).await;
    let reply = get_as(&app, "/api/v1/me/export", &session.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let export = reply.json();
    assert_eq!(
        export["push_subscriptions"][0]["endpoint"],
        device.subscription_json()["endpoint"]
    );
    assert_eq!(export["notification_preferences"]["shop_updates"], false);
    assert_eq!(
        kinds(export["notifications"].as_array().expect("inbox")),
        ["test"]
    );
}

#[tokio::test]
async fn pushes_still_queued_for_the_previous_owner_of_a_device_never_reach_the_new_one() {
    let (app, service) = spawn_push().await;
    let admin_session = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let leader = user_with_role(&app, &admin_session, "district_leader", Some(&rieder), None).await;
    let anna = resident(&app, Some(&rieder)).await;
    // 10:00 local: Anna's quiet hours hold her news back until 12:00.
    set_preferences(
        &app,
        &anna,
        json!({"quiet_hours": {"start": "09:00", "end": "12:00"}}),
    )
    .await;
    let device = device_of(&app, &service, &anna).await;
    publish(&app, &leader, news("Bauarbeiten", "news", &[&rieder])).await;
    deliver(&app).await;
    assert_eq!(service.attempts(&device), 0, "held back for Anna");

    // The phone goes to Bernd, who signs in and registers it.
    let bernd = resident(&app, None).await;
    let reply = subscribe_reply(&app, &bernd, device.subscription_json()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.clock.advance(Duration::hours(3));
    deliver(&app).await;
    assert_eq!(
        service.attempts(&device),
        0,
        "Anna's news must not appear on Bernd's phone"
    );
}

#[tokio::test]
async fn a_released_ride_is_announced_to_the_districts_drivers_again() {
    let (app, service) = spawn_push().await;
    let admin_session = admin(&app).await;
    let rieder = district_id(&app, "rieder").await;
    let first = user_with_role(&app, &admin_session, "driver", Some(&rieder), None).await;
    let second = user_with_role(&app, &admin_session, "driver", Some(&rieder), None).await;
    let second_device = device_of(&app, &service, &second).await;
    let rider = resident(&app, Some(&rieder)).await;
    let ride = crate::support::book(&app, &rider, &crate::support::ride(&rieder, 180)).await;
    let ride_id = id_of(&ride);
    settle(&app).await;
    crate::support::step_ok(&app, &first, &ride_id, "accept").await;
    let released = crate::support::step(
        &app,
        &first,
        &ride_id,
        "release",
        json!({"reason": "Auto in der Werkstatt"}),
    )
    .await;
    assert_eq!(released.status, 200, "{}", released.text);
    settle(&app).await;
    let pushes = service.received(&second_device);
    assert_eq!(pushes.len(), 2, "the request, then the ride open again");
    assert_eq!(pushes[1].payload["kind"], "ride_request");
    assert_eq!(pushes[1].payload["data"]["id"], ride_id.as_str());
    assert!(
        pushes[1].payload["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Fahrt wieder offen")),
        "{}",
        pushes[1].payload
    );
}

#[tokio::test]
async fn an_app_may_send_what_push_subscription_to_json_gives_unchanged() {
    let (app, service) = spawn_push().await;
    let anna = resident(&app, None).await;
    for expiration in [json!(null), json!(1_767_225_600_000_u64)] {
        let mut body = service.new_device().subscription_json();
        body["expirationTime"] = expiration;
        let reply = subscribe_reply(&app, &anna, body).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
}
