//! A fake seven.io inside the test: an HTTP server on a loopback port that speaks seven.io's
//! SMS API as its documentation describes it (`POST /api/sms`, form fields, `X-Api-Key`, the
//! JSON answer with `success` as a string code), and builds the webhooks seven.io sends,
//! signed as seven.io signs them (HMAC-SHA256 over timestamp, nonce, method, URL and the MD5 of
//! the body). It shares no code with the `sms` crate, so a misreading there shows here.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use poem::{
    EndpointExt, Request, Response, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Form},
};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use dorfapp::config::{Secret, Settings};

/// The API key of the fake account.
pub const API_KEY: &str = "fake-seven-api-key";
/// The key the fake signs its webhooks with.
pub const SIGNING_KEY: &str = "fake-seven-signing-key";
/// The number rented from the fake, that replies go to.
pub const OUR_NUMBER: &str = "+4915799912345";

/// How the fake answers one send request to a number.
#[derive(Clone, Debug)]
#[allow(dead_code, reason = "a menu for the tests")]
pub enum Answer {
    /// Taken: `success: "100"` with an id (the default).
    Sent,
    /// An HTTP status without a body, e.g. 500 or 503.
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    TooManyRequests { retry_after_secs: u64 },
    /// HTTP 200 with this code in `success` (e.g. `"202"`, recipient refused; `"500"`, no
    /// credit).
    Code(&'static str),
}

/// One message the fake took (or refused).
#[derive(Clone, Debug)]
#[allow(dead_code, reason = "fields for the tests to look at")]
pub struct Sent {
    /// seven.io's id of it, when taken.
    pub id: Option<String>,
    pub to: String,
    pub from: String,
    pub text: String,
    /// Our reference (`foreign_id`): the outbox message's id.
    pub foreign_id: String,
    /// The HTTP status answered.
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    log: Vec<Sent>,
    answers: HashMap<String, VecDeque<Answer>>,
    next_id: u64,
}

/// The running fake; stops when dropped.
pub struct SevenFake {
    base: String,
    inner: Arc<Mutex<Inner>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for SevenFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Deserialize)]
struct SendForm {
    to: Option<String>,
    text: Option<String>,
    from: Option<String>,
    foreign_id: Option<String>,
}

/// E.164 as seven.io takes it: digits, with or without `+`, 8 to 15 of them.
fn looks_international(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

/// GSM-7 parts as seven.io bills them (single: 160, concatenated: 153 each), counted
/// independently of the `sms` crate; texts outside the basic alphabet count as UCS-2.
fn parts(text: &str) -> u64 {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    let gsm = text
        .chars()
        .all(|c| BASIC.contains(c) || EXTENDED.contains(c));
    let (units, single, multi) = if gsm {
        let units = text
            .chars()
            .map(|c| if EXTENDED.contains(c) { 2 } else { 1 })
            .sum::<u64>();
        (units, 160, 153)
    } else {
        (text.encode_utf16().count() as u64, 70, 67)
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi)
    }
}

#[handler]
async fn send(
    request: &Request,
    form: Form<SendForm>,
    shared: Data<&Arc<Mutex<Inner>>>,
) -> Response {
    // A wrong key: seven.io answers a bare code on HTTP 200.
    if request.header("X-Api-Key") != Some(API_KEY) {
        return Response::builder().status(StatusCode::OK).body("900");
    }
    let Form(form) = form;
    let (Some(to), Some(text), Some(from)) = (form.to, form.text, form.from) else {
        return Response::builder().status(StatusCode::OK).body("305");
    };
    let mut inner = shared.lock().unwrap();
    let answer = inner
        .answers
        .get_mut(&to)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Answer::Sent);
    let valid = looks_international(&to) && looks_international(&from);
    let mut sent = Sent {
        id: None,
        to: to.clone(),
        from: from.clone(),
        text: text.clone(),
        foreign_id: form.foreign_id.unwrap_or_default(),
        status: 200,
    };
    let response = match answer {
        Answer::Sent if !valid => json_answer(json!({"success": "202", "messages": []})),
        Answer::Sent => {
            inner.next_id += 1;
            let id = format!("{}", 77_000_000_000 + inner.next_id);
            sent.id = Some(id.clone());
            let parts = parts(&text);
            json_answer(json!({
                "success": "100",
                "total_price": 0.075 * parts as f64,
                "balance": 42.5,
                "debug": "false",
                "sms_type": "direct",
                "messages": [{
                    "id": id,
                    "sender": from,
                    "recipient": to.trim_start_matches('+'),
                    "text": text,
                    "encoding": "gsm",
                    "label": null,
                    "parts": parts,
                    "udh": null,
                    "is_binary": false,
                    "price": 0.075 * parts as f64,
                    "success": true,
                    "error": null,
                    "error_text": null
                }]
            }))
        }
        Answer::Code(code) => json_answer(json!({"success": code, "messages": []})),
        Answer::Status(status) => {
            sent.status = status;
            Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .finish()
        }
        Answer::TooManyRequests { retry_after_secs } => {
            sent.status = 429;
            Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header("Retry-After", retry_after_secs.to_string())
                .finish()
        }
    };
    inner.log.push(sent);
    response
}

fn json_answer(value: serde_json::Value) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .content_type("application/json")
        .body(value.to_string())
}

#[allow(dead_code, reason = "a toolbox for the tests")]
impl SevenFake {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the fake seven.io");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .expect("fake seven.io address")
            .port();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let routes = Route::new().at("/api/sms", post(send)).data(inner.clone());
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(routes).await;
        });
        Self {
            base: format!("http://127.0.0.1:{port}/api"),
            inner,
            server,
        }
    }

    /// Points the app's SMS settings at this fake.
    pub fn configure(&self, settings: &mut Settings) {
        settings.sms_provider = Some("seven".into());
        settings.sms_api_url = self.base.clone();
        settings.sms_api_key = Some(Secret::new(API_KEY));
        settings.sms_signing_key = Some(Secret::new(SIGNING_KEY));
        settings.sms_from = Some(OUR_NUMBER.into());
        settings.sms_allow_http = true;
        settings.ride_desk_phone = Some("039483 1234".into());
    }

    /// The next answers for sends to `to` (E.164), in order; afterwards it takes them again.
    pub fn answer(&self, to: &str, answers: impl IntoIterator<Item = Answer>) {
        self.inner
            .lock()
            .unwrap()
            .answers
            .entry(to.to_owned())
            .or_default()
            .extend(answers);
    }

    /// Every request, in order of arrival.
    pub fn log(&self) -> Vec<Sent> {
        self.inner.lock().unwrap().log.clone()
    }

    /// The texts taken for `to`, in order.
    pub fn texts_to(&self, to: &str) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|sent| sent.to == to && sent.id.is_some())
            .map(|sent| sent.text)
            .collect()
    }

    /// The messages taken for `to`, in order.
    pub fn taken_for(&self, to: &str) -> Vec<Sent> {
        self.log()
            .into_iter()
            .filter(|sent| sent.to == to && sent.id.is_some())
            .collect()
    }
}

/// The headers and body of a webhook as seven.io sends it, signed for `url`.
#[derive(Clone, Debug)]
#[allow(dead_code, reason = "a toolbox for the tests")]
pub struct SignedWebhook {
    pub body: String,
    pub signature: String,
    pub timestamp: String,
    pub nonce: String,
}

#[allow(dead_code, reason = "a toolbox for the tests")]
impl SignedWebhook {
    /// Signs `body` as seven.io does, with `key`, for `url` at `timestamp` (Unix seconds).
    pub fn sign(key: &str, url: &str, timestamp: i64, nonce: &str, body: String) -> Self {
        let body_md5 = hex::encode(Md5::digest(body.as_bytes()));
        let signed = format!("{timestamp}\n{nonce}\nPOST\n{url}\n{body_md5}");
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(signed.as_bytes());
        Self {
            signature: hex::encode(mac.finalize().into_bytes()),
            timestamp: timestamp.to_string(),
            nonce: nonce.to_owned(),
            body,
        }
    }

    /// A delivery report for seven.io's message `msg_id`.
    pub fn dlr_body(msg_id: &str, status: &str) -> String {
        json!({
            "webhook_event": "dlr",
            "webhook_timestamp": "2026-06-02 10:00:00",
            "data": {
                "msg_id": msg_id,
                "status": status,
                "status_time": "2026-06-02 10:00:00"
            }
        })
        .to_string()
    }

    /// A message from `sender` (E.164) to our number.
    pub fn inbound_body(id: &str, sender: &str, text: &str) -> String {
        json!({
            "webhook_event": "sms_mo",
            "webhook_timestamp": "2026-06-02 10:00:00",
            "data": {
                "id": id,
                "sender": sender.trim_start_matches('+'),
                "system": OUR_NUMBER.trim_start_matches('+'),
                "text": text,
                "time": 1_780_000_000
            }
        })
        .to_string()
    }
}

/// The address seven.io calls for `hook` (`dlr` or `inbound`), as configured.
pub fn webhook_url(app: &super::TestApp, hook: &str) -> String {
    format!("{}/{hook}", app.state.settings.sms_webhook_url())
}

/// A webhook signed now (the app's clock) with a fresh nonce, as seven.io sends it.
pub fn signed_now(app: &super::TestApp, hook: &str, body: String) -> SignedWebhook {
    use domain::clock::Clock;
    SignedWebhook::sign(
        SIGNING_KEY,
        &webhook_url(app, hook),
        app.clock.now().timestamp(),
        &uuid::Uuid::new_v4().simple().to_string(),
        body,
    )
}

/// POSTs a webhook to the app with its three signing headers.
pub async fn post_webhook(
    app: &super::TestApp,
    hook: &str,
    webhook: &SignedWebhook,
) -> super::Reply {
    let path = format!("/api/v1/sms/webhooks/seven/{hook}");
    let response = app
        .client
        .post(&path)
        .header("X-Signature", &webhook.signature)
        .header("X-Timestamp", &webhook.timestamp)
        .header("X-Nonce", &webhook.nonce)
        .content_type("application/json")
        .body(webhook.body.clone())
        .send()
        .await;
    super::Reply::checked(&poem::http::Method::POST, &path, response).await
}

/// Sends a reply from `sender` to our number through the signed inbound webhook; it must be
/// taken (200).
pub async fn reply_from(app: &super::TestApp, sender: &str, text: &str) -> serde_json::Value {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let webhook = signed_now(
        app,
        "inbound",
        SignedWebhook::inbound_body(&id, sender, text),
    );
    let reply = post_webhook(app, "inbound", &webhook).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}
