//! A real Web Push service inside the test: an HTTP/1.1 server on a loopback port that accepts
//! pushes like a browser vendor's service does (RFC 8030), decrypts them with the device's own
//! keys (RFC 8291, `aes128gcm`) and checks the VAPID signature (RFC 8292) — with code that
//! shares nothing with the sender. Devices can be told how to answer (5xx, 429, 404, 410).

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use poem::{
    EndpointExt, Request, Response, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Path},
};
use serde_json::{Value, json};

/// How a device's push service answers one push.
#[derive(Clone, Debug)]
#[allow(dead_code, reason = "a menu for the tests")]
pub enum Answer {
    /// 201 Created: accepted for delivery (the default).
    Created,
    /// Any status, e.g. 500 or 503.
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    TooManyRequests { retry_after_secs: u64 },
    /// 410 Gone: the subscription has expired.
    Gone,
    /// 404 Not Found: no such subscription.
    NotFound,
}

impl Answer {
    fn status(&self) -> u16 {
        match self {
            Answer::Created => 201,
            Answer::Status(s) => *s,
            Answer::TooManyRequests { .. } => 429,
            Answer::Gone => 410,
            Answer::NotFound => 404,
        }
    }
}

/// A browser's subscription: what the browser would hand to the app.
#[derive(Clone, Debug)]
pub struct Device {
    pub id: String,
    pub endpoint: String,
    /// base64url (no padding) of the uncompressed P-256 public key.
    pub p256dh: String,
    /// base64url (no padding) of the 16-byte auth secret.
    pub auth: String,
}

impl Device {
    /// `{"endpoint", "keys": {"p256dh", "auth"}}`, as `PushSubscription.toJSON()` gives it.
    pub fn subscription_json(&self) -> Value {
        json!({
            "endpoint": self.endpoint,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        })
    }
}

/// One POST the service received, successful or not.
#[derive(Clone, Debug)]
#[allow(dead_code, reason = "fields for the tests to look at")]
pub struct Received {
    /// The order of arrival over all devices, from 0.
    pub seq: usize,
    pub device: String,
    /// The status the service answered.
    pub status: u16,
    /// The decrypted body as JSON (`Null` when it could not be decrypted).
    pub payload: Value,
    pub ttl: Option<String>,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    pub content_encoding: Option<String>,
    /// The claims of the VAPID JWT when its signature verified.
    pub jwt_claims: Option<Value>,
    /// The signature, `k`, `aud`, `sub` and `exp` all check out.
    pub vapid_ok: bool,
    /// Every violation of the protocols found in this request; empty for a good push.
    pub problems: Vec<String>,
}

impl Received {
    fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

struct DeviceState {
    components: ece::EcKeyComponents,
    auth: Vec<u8>,
    answers: VecDeque<Answer>,
}

#[derive(Default)]
struct Inner {
    devices: HashMap<String, DeviceState>,
    log: Vec<Received>,
    /// The VAPID public key (base64url) that pushes must be signed with.
    vapid_key: Option<String>,
}

struct Shared {
    origin: String,
    inner: Mutex<Inner>,
}

/// The running service; stops when dropped.
pub struct PushService {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for PushService {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[allow(dead_code, reason = "a toolbox for the tests")]
impl PushService {
    /// Starts a service on a free loopback port.
    pub async fn start() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the push service");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .expect("push service address")
            .port();
        let shared = Arc::new(Shared {
            origin: format!("http://127.0.0.1:{port}"),
            inner: Mutex::new(Inner::default()),
        });
        let routes = Route::new()
            .at("/push/:id", post(receive_push))
            .data(shared.clone());
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(routes).await;
        });
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT`: the origin, and the `aud` a VAPID token must name.
    pub fn base_url(&self) -> &str {
        &self.shared.origin
    }

    /// The VAPID public key (base64url of the uncompressed point) the sender publishes; pushes
    /// signed with any other key are refused with 400 and recorded as a problem.
    pub fn trust_vapid_key(&self, public_key: &str) {
        self.lock().vapid_key = Some(public_key.trim_end_matches('=').to_owned());
    }

    /// A new browser subscription with fresh keys.
    pub fn new_device(&self) -> Device {
        let (keys, auth) = ece::generate_keypair_and_auth_secret().expect("device keys");
        let public = keys.pub_as_raw().expect("device public key");
        let components = keys.raw_components().expect("device key components");
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.lock().devices.insert(
            id.clone(),
            DeviceState {
                components,
                auth: auth.to_vec(),
                answers: VecDeque::new(),
            },
        );
        Device {
            endpoint: format!("{}/push/{id}", self.shared.origin),
            id,
            p256dh: URL_SAFE_NO_PAD.encode(&public),
            auth: URL_SAFE_NO_PAD.encode(auth),
        }
    }

    /// The browser renews the subscription's keys (same endpoint); from now on pushes must be
    /// encrypted for the new keys.
    pub fn rotate_keys(&self, device: &mut Device) {
        let (keys, auth) = ece::generate_keypair_and_auth_secret().expect("device keys");
        let public = keys.pub_as_raw().expect("device public key");
        let state = DeviceState {
            components: keys.raw_components().expect("device key components"),
            auth: auth.to_vec(),
            answers: VecDeque::new(),
        };
        self.lock().devices.insert(device.id.clone(), state);
        device.p256dh = URL_SAFE_NO_PAD.encode(&public);
        device.auth = URL_SAFE_NO_PAD.encode(auth);
    }

    /// The next pushes to this device get these answers, one each; then 201 again.
    pub fn respond_with(&self, device: &Device, answers: Vec<Answer>) {
        self.lock()
            .devices
            .get_mut(&device.id)
            .expect("a device of this service")
            .answers
            .extend(answers);
    }

    /// The pushes this device accepted (answered 2xx), in order of arrival. Fails the test when
    /// any push the service received so far broke the protocols.
    #[track_caller]
    pub fn received(&self, device: &Device) -> Vec<Received> {
        self.assert_no_problems();
        self.attempts_log(device)
            .into_iter()
            .filter(Received::succeeded)
            .collect()
    }

    /// The decrypted payloads this device accepted.
    #[track_caller]
    pub fn payloads(&self, device: &Device) -> Vec<Value> {
        self.received(device)
            .into_iter()
            .map(|r| r.payload)
            .collect()
    }

    /// Every POST to this device, whatever it was answered.
    #[track_caller]
    pub fn attempts(&self, device: &Device) -> usize {
        self.assert_no_problems();
        self.attempts_log(device).len()
    }

    /// Every accepted push, to any device.
    #[track_caller]
    pub fn all_received(&self) -> Vec<Received> {
        self.assert_no_problems();
        self.lock()
            .log
            .iter()
            .filter(|r| r.succeeded())
            .cloned()
            .collect()
    }

    /// Every POST to this device, unchecked.
    pub fn attempts_log(&self, device: &Device) -> Vec<Received> {
        self.lock()
            .log
            .iter()
            .filter(|r| r.device == device.id)
            .cloned()
            .collect()
    }

    /// Every POST that broke the protocols.
    pub fn problems(&self) -> Vec<Received> {
        self.lock()
            .log
            .iter()
            .filter(|r| !r.problems.is_empty())
            .cloned()
            .collect()
    }

    #[track_caller]
    pub fn assert_no_problems(&self) {
        let problems = self.problems();
        assert!(
            problems.is_empty(),
            "the push service received pushes that break RFC 8030/8291/8292: {:#?}",
            problems
                .iter()
                .map(|r| (&r.device, &r.problems))
                .collect::<Vec<_>>()
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().expect("push service state")
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn decode_b64url(value: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(value))
        .ok()
}

/// `vapid t=<jwt>, k=<key>` → (t, k).
fn parse_vapid(authorization: &str) -> Result<(String, String), String> {
    let (scheme, params) = authorization
        .trim()
        .split_once(' ')
        .ok_or_else(|| format!("Authorization is not `vapid t=…, k=…`: {authorization}"))?;
    if !scheme.eq_ignore_ascii_case("vapid") {
        return Err(format!("Authorization scheme is {scheme}, not vapid"));
    }
    let (mut t, mut k) = (None, None);
    for param in params.split(',') {
        let Some((name, value)) = param.trim().split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match name.trim() {
            "t" => t = Some(value),
            "k" => k = Some(value),
            _ => {}
        }
    }
    match (t, k) {
        (Some(t), Some(k)) => Ok((t, k)),
        _ => Err(format!("Authorization lacks t or k: {authorization}")),
    }
}

/// Checks the VAPID header; returns the claims when the signature verifies.
fn check_vapid(
    authorization: Option<&str>,
    trusted: Option<&str>,
    origin: &str,
    problems: &mut Vec<String>,
) -> Option<Value> {
    let Some(authorization) = authorization else {
        problems.push("no Authorization header (VAPID)".into());
        return None;
    };
    let (token, k) = match parse_vapid(authorization) {
        Ok(parts) => parts,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let Some(trusted) = trusted else {
        problems.push("the test told the push service no VAPID key to trust".into());
        return None;
    };
    if k.trim_end_matches('=') != trusted {
        problems.push(format!("k={k} is not the published VAPID key {trusted}"));
    }
    let Some(raw) = decode_b64url(trusted) else {
        problems.push(format!(
            "the published VAPID key is not base64url: {trusted}"
        ));
        return None;
    };
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims =
        match jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_ec_der(&raw), &validation) {
            Ok(data) => data.claims,
            Err(e) => {
                problems.push(format!(
                    "VAPID JWT does not verify as ES256 with the published key: {e}"
                ));
                return None;
            }
        };
    if claims["aud"].as_str() != Some(origin) {
        problems.push(format!(
            "VAPID aud is {}, not the push service's origin {origin}",
            claims["aud"]
        ));
    }
    match claims["sub"].as_str() {
        Some(sub) if sub.starts_with("mailto:") || sub.starts_with("https:") => {}
        _ => problems.push(format!(
            "VAPID sub {} is not a mailto: or https: URI",
            claims["sub"]
        )),
    }
    if !claims["exp"].is_u64() && !claims["exp"].is_i64() {
        problems.push(format!("VAPID exp {} is not a number", claims["exp"]));
    }
    Some(claims)
}

fn decrypt(components: &ece::EcKeyComponents, auth: &[u8], body: &[u8]) -> Result<Vec<u8>, String> {
    let components = components.clone();
    let auth = auth.to_vec();
    let body = body.to_vec();
    // ece unwraps internally on some malformed inputs; a panic is a failed decryption here.
    std::panic::catch_unwind(move || ece::decrypt(&components, &auth, &body))
        .map_err(|_| "decryption panicked".to_owned())?
        .map_err(|e| format!("{e}"))
}

#[handler]
fn receive_push(
    Path(id): Path<String>,
    req: &Request,
    body: Vec<u8>,
    Data(shared): Data<&Arc<Shared>>,
) -> Response {
    let mut problems = Vec::new();
    let ttl = header(req, "ttl");
    let urgency = header(req, "urgency");
    let topic = header(req, "topic");
    let content_encoding = header(req, "content-encoding");
    let authorization = header(req, "authorization");

    match ttl.as_deref().map(|t| t.trim().parse::<u64>()) {
        Some(Ok(_)) => {}
        Some(Err(_)) => problems.push(format!("TTL {ttl:?} is not a number of seconds")),
        None => problems.push("no TTL header".into()),
    }
    if let Some(u) = &urgency
        && !["very-low", "low", "normal", "high"].contains(&u.as_str())
    {
        problems.push(format!("Urgency {u} is not very-low/low/normal/high"));
    }
    if let Some(t) = &topic
        && (t.len() > 32
            || t.is_empty()
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        problems.push(format!(
            "Topic {t} is not at most 32 characters of the base64url alphabet (RFC 8030 §5.4)"
        ));
    }
    if content_encoding.as_deref() != Some("aes128gcm") {
        problems.push(format!(
            "Content-Encoding is {content_encoding:?}, not aes128gcm"
        ));
    }
    if body.len() > 4096 {
        problems.push(format!("body of {} bytes exceeds 4096", body.len()));
    }

    let mut inner = shared.inner.lock().expect("push service state");
    let trusted = inner.vapid_key.clone();
    let jwt_claims = check_vapid(
        authorization.as_deref(),
        trusted.as_deref(),
        &shared.origin,
        &mut problems,
    );
    let vapid_ok = jwt_claims.is_some()
        && !problems
            .iter()
            .any(|p| p.contains("VAPID") || p.contains("k="));

    let seq = inner.log.len();
    let Some(device) = inner.devices.get_mut(&id) else {
        // No such subscription (never was, or the test removed it): like a real service, 404.
        inner.log.push(Received {
            seq,
            device: id,
            status: 404,
            payload: Value::Null,
            ttl,
            urgency,
            topic,
            content_encoding,
            jwt_claims,
            vapid_ok,
            problems,
        });
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    };

    let payload = match decrypt(&device.components, &device.auth, &body) {
        Ok(plain) => match serde_json::from_slice::<Value>(&plain) {
            Ok(value) => value,
            Err(e) => {
                problems.push(format!(
                    "decrypted payload is not JSON ({e}): {}",
                    String::from_utf8_lossy(&plain)
                ));
                Value::Null
            }
        },
        Err(e) => {
            problems.push(format!("body does not decrypt as aes128gcm: {e}"));
            Value::Null
        }
    };

    let answer = if problems.is_empty() {
        device.answers.pop_front().unwrap_or(Answer::Created)
    } else {
        Answer::Status(400)
    };
    let status = answer.status();
    inner.log.push(Received {
        seq,
        device: id,
        status,
        payload,
        ttl,
        urgency,
        topic,
        content_encoding,
        jwt_claims,
        vapid_ok,
        problems,
    });
    drop(inner);

    let mut response = Response::builder().status(StatusCode::from_u16(status).expect("status"));
    match answer {
        Answer::Created => {
            response = response.header(
                "Location",
                format!("/message/{}", uuid::Uuid::new_v4().simple()),
            );
        }
        Answer::TooManyRequests { retry_after_secs } => {
            response = response.header("Retry-After", retry_after_secs.to_string());
        }
        _ => {}
    }
    response.finish()
}
