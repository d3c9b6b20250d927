//! The test push service (`support::push_service`) checks itself, with a sender written here
//! from the RFCs and the ece crate.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use crate::support::push_service::decode_b64url;
use crate::support::{Answer, Device, PushService};

/// A VAPID key pair for the self-test: (JWT signing key, base64url public key).
fn vapid_keys() -> (jsonwebtoken::EncodingKey, String) {
    use p256::pkcs8::EncodePrivateKey;
    let (keys, _) = ece::generate_keypair_and_auth_secret().expect("keys");
    let components = keys.raw_components().expect("components");
    let secret = p256::SecretKey::from_slice(components.private_key()).expect("P-256 key");
    let der = secret.to_pkcs8_der().expect("pkcs8");
    (
        jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()),
        URL_SAFE_NO_PAD.encode(keys.pub_as_raw().expect("public key")),
    )
}

fn sign(key: &jsonwebtoken::EncodingKey, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

fn good_claims(service: &PushService) -> Value {
    json!({
        "aud": service.base_url(),
        "sub": "mailto:verwaltung@ballenstedt.de",
        "exp": chrono::Utc::now().timestamp() + 12 * 3600,
    })
}

async fn send_test_push(
    device: &Device,
    jwt: &str,
    public_key: &str,
    payload: &Value,
    topic: Option<&str>,
) -> reqwest::Response {
    let raw = decode_b64url(&device.p256dh).expect("p256dh");
    let auth = decode_b64url(&device.auth).expect("auth");
    let body = ece::encrypt(&raw, &auth, payload.to_string().as_bytes()).expect("encrypt");
    let mut request = reqwest::Client::new()
        .post(&device.endpoint)
        .header("TTL", "3600")
        .header("Urgency", "high")
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", format!("vapid t={jwt}, k={public_key}"))
        .body(body);
    if let Some(topic) = topic {
        request = request.header("Topic", topic);
    }
    request.send().await.expect("push service answers")
}

#[tokio::test]
async fn the_test_push_service_decrypts_and_verifies_a_correct_push() {
    let service = PushService::start().await;
    let (signing, public) = vapid_keys();
    service.trust_vapid_key(&public);
    let device = service.new_device();
    let other = service.new_device();
    assert_eq!(
        device.endpoint,
        format!("{}/push/{}", service.base_url(), device.id)
    );
    assert_eq!(decode_b64url(&device.p256dh).unwrap().len(), 65);
    assert_eq!(decode_b64url(&device.p256dh).unwrap()[0], 0x04);
    assert_eq!(decode_b64url(&device.auth).unwrap().len(), 16);
    assert_eq!(
        device.subscription_json()["keys"]["p256dh"],
        device.p256dh.as_str()
    );

    let payload = json!({"notification_id": "n1", "kind": "test", "title": "Hallo", "body": "Grüße aus Rieder", "data": {"type": "test", "id": "x"}});
    let jwt = sign(&signing, &good_claims(&service));
    let answer = send_test_push(&device, &jwt, &public, &payload, Some("ride-42")).await;
    assert_eq!(answer.status(), 201);
    assert!(answer.headers().contains_key("location"));

    let received = service.received(&device);
    assert_eq!(received.len(), 1);
    let push = &received[0];
    assert_eq!(push.payload, payload);
    assert_eq!(push.ttl.as_deref(), Some("3600"));
    assert_eq!(push.urgency.as_deref(), Some("high"));
    assert_eq!(push.topic.as_deref(), Some("ride-42"));
    assert!(push.vapid_ok);
    assert_eq!(push.jwt_claims.as_ref().unwrap()["aud"], service.base_url());
    assert!(service.received(&other).is_empty());
    assert_eq!(service.all_received().len(), 1);
}

#[tokio::test]
async fn the_test_push_service_answers_as_scripted_then_accepts_again() {
    let service = PushService::start().await;
    let (signing, public) = vapid_keys();
    service.trust_vapid_key(&public);
    let device = service.new_device();
    service.respond_with(
        &device,
        vec![
            Answer::Status(500),
            Answer::TooManyRequests {
                retry_after_secs: 30,
            },
            Answer::Gone,
            Answer::NotFound,
        ],
    );
    let jwt = sign(&signing, &good_claims(&service));
    let mut statuses = Vec::new();
    for n in 0..5 {
        let answer = send_test_push(&device, &jwt, &public, &json!({"n": n}), None).await;
        if answer.status() == 429 {
            assert_eq!(answer.headers()["retry-after"], "30");
        }
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(statuses, [500, 429, 410, 404, 201]);
    assert_eq!(service.attempts(&device), 5);
    assert_eq!(service.payloads(&device), [json!({"n": 4})]);
}

#[tokio::test]
async fn the_test_push_service_refuses_pushes_that_break_the_protocols() {
    let service = PushService::start().await;
    let (signing, public) = vapid_keys();
    let (stranger, stranger_public) = vapid_keys();
    service.trust_vapid_key(&public);
    let device = service.new_device();
    let payload = json!({"kind": "test"});

    // aud without the port, as the web-push crate signs it.
    let mut claims = good_claims(&service);
    claims["aud"] = json!("http://127.0.0.1");
    let answer = send_test_push(&device, &sign(&signing, &claims), &public, &payload, None).await;
    assert_eq!(answer.status(), 400);
    // signed with another key, and naming it.
    let jwt = sign(&stranger, &good_claims(&service));
    let answer = send_test_push(&device, &jwt, &stranger_public, &payload, None).await;
    assert_eq!(answer.status(), 400);
    // a UUID with hyphens is too long for a Topic.
    let jwt = sign(&signing, &good_claims(&service));
    let answer = send_test_push(
        &device,
        &jwt,
        &public,
        &payload,
        Some("0196f6a4-8c1e-7a53-9a4e-2b5c8d7e6f10"),
    )
    .await;
    assert_eq!(answer.status(), 400);
    // encrypted for another device.
    let other = service.new_device();
    let mut wrong = other.clone();
    wrong.endpoint = device.endpoint.clone();
    let answer = send_test_push(&wrong, &jwt, &public, &payload, None).await;
    assert_eq!(answer.status(), 400);

    let log = service.attempts_log(&device);
    assert_eq!(log.len(), 4);
    assert!(
        log[0].problems.iter().any(|p| p.contains("aud")),
        "{log:#?}"
    );
    assert!(!log[0].vapid_ok);
    assert!(log[1].jwt_claims.is_none(), "{log:#?}");
    assert!(
        log[2].problems.iter().any(|p| p.contains("Topic")),
        "{log:#?}"
    );
    assert!(log[2].vapid_ok);
    assert!(
        log[3].problems.iter().any(|p| p.contains("decrypt")),
        "{log:#?}"
    );
    assert_eq!(service.problems().len(), 4);
    assert!(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| service.received(&device)))
            .is_err(),
        "reading deliveries fails the test when a push broke the protocols"
    );
}
