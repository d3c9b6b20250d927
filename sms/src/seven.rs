//! seven.io's SMS API (<https://docs.seven.io/en/rest-api/endpoints/sms>), exactly as far as
//! the Dorf-App uses it: sending one message, and proving that a webhook (a delivery report,
//! an incoming reply) comes from seven.io and is not a replay
//! (<https://docs.seven.io/en/rest-api/signing>).

use std::time::Duration;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde::Deserialize;
use sha2::Sha256;

use crate::{OutgoingSms, SendOutcome, SmsProvider};

/// Where and as whom to send.
#[derive(Clone)]
pub struct SevenConfig {
    /// The API's base, `https://gateway.seven.io/api` (a local fake in tests).
    pub api_url: String,
    /// The account's API key (`X-Api-Key`).
    pub api_key: String,
    /// The sender: a number rented from seven.io that replies reach (an alphanumeric sender
    /// cannot be answered, and "2" must reach us).
    pub from: String,
}

/// Without the API key: settings are logged.
impl std::fmt::Debug for SevenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SevenConfig")
            .field("api_url", &self.api_url)
            .field("api_key", &"<hidden>")
            .field("from", &self.from)
            .finish()
    }
}

/// Taken, without an id to match its reports by.
fn accepted_without_id() -> SendOutcome {
    SendOutcome::Accepted {
        provider_id: None,
        segments: 1,
        price_micros: None,
    }
}

/// seven.io's client: one pooled HTTP client, no redirects, short timeouts (a send runs under
/// the outbox's lease).
pub struct SevenClient {
    config: SevenConfig,
    http: reqwest::Client,
}

impl SevenClient {
    /// `allow_http` is for tests against a local fake; production insists on https.
    pub fn new(config: SevenConfig, allow_http: bool) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .https_only(!allow_http)
            .build()?;
        Ok(Self { config, http })
    }
}

/// The answer to `POST /sms` (only the fields read here).
#[derive(Debug, Deserialize)]
struct SendAnswer {
    /// A status code as a string: "100" sent, "101" partly sent, else an error.
    success: serde_json::Value,
    #[serde(default)]
    messages: Vec<SentMessage>,
}

#[derive(Debug, Deserialize)]
struct SentMessage {
    id: Option<serde_json::Value>,
    #[serde(default)]
    parts: Option<u32>,
    #[serde(default)]
    price: Option<f64>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    error_text: Option<String>,
}

/// What a status code of seven.io means for the message.
fn by_code(code: &str) -> Option<SendOutcome> {
    let reason = |what: &str| format!("seven.io {code}: {what}");
    Some(match code {
        "100" | "101" => return None,
        "201" => SendOutcome::Refused {
            reason: reason("sender not accepted"),
        },
        "202" => SendOutcome::Refused {
            reason: reason("recipient not accepted"),
        },
        "301" | "305" => SendOutcome::Refused {
            reason: reason("recipient or text missing"),
        },
        "401" => SendOutcome::Refused {
            reason: reason("text too long"),
        },
        // The reload lock: the same text went to the same number within 180 s. That is our
        // own earlier try whose answer was lost: it was sent, and must not be sent again.
        "402" => accepted_without_id(),
        "403" => SendOutcome::AccountProblem {
            reason: reason("daily limit of the account reached"),
        },
        "500" => SendOutcome::AccountProblem {
            reason: reason("no credit left"),
        },
        "600" => SendOutcome::Retry {
            after: None,
            reason: reason("carrier failure"),
        },
        "900" => SendOutcome::AccountProblem {
            reason: reason("authentication failed (API key)"),
        },
        "901" | "902" | "903" => SendOutcome::AccountProblem {
            reason: reason("access refused (signature, rights or IP)"),
        },
        _ => SendOutcome::Retry {
            after: None,
            reason: reason("unknown answer"),
        },
    })
}

fn code_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.trim().to_owned(),
        other => other.to_string(),
    }
}

#[async_trait::async_trait]
impl SmsProvider for SevenClient {
    fn name(&self) -> &'static str {
        "seven"
    }

    async fn send(&self, message: &OutgoingSms) -> SendOutcome {
        let url = format!("{}/sms", self.config.api_url.trim_end_matches('/'));
        let form = [
            ("to", message.to.as_str()),
            ("text", message.text.as_str()),
            ("from", self.config.from.as_str()),
            ("foreign_id", message.reference.as_str()),
        ];
        let response = match self
            .http
            .post(&url)
            .header("X-Api-Key", &self.config.api_key)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
        {
            Ok(response) => response,
            Err(err) => {
                return SendOutcome::Retry {
                    after: None,
                    reason: format!("seven.io unreachable: {err}"),
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if status.as_u16() == 429 || status.is_server_error() {
            return SendOutcome::Retry {
                after: retry_after,
                reason: format!("seven.io answered {status}"),
            };
        }
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return SendOutcome::AccountProblem {
                reason: format!("seven.io answered {status}"),
            };
        }
        if status.as_u16() == 400 || status.as_u16() == 422 {
            return SendOutcome::Refused {
                reason: format!("seven.io answered {status}"),
            };
        }
        if !status.is_success() {
            // A redirect, 404, 405 …: the address is wrong (`api_url`), not the message.
            return SendOutcome::AccountProblem {
                reason: format!("seven.io answered {status}: check the API address"),
            };
        }
        let body = match response.text().await {
            Ok(body) => body,
            Err(err) => {
                return SendOutcome::Retry {
                    after: None,
                    reason: format!("seven.io's answer broke off: {err}"),
                };
            }
        };
        // Errors may come as a bare code ("900") even on 200.
        let answer: SendAnswer = match serde_json::from_str(&body) {
            Ok(answer) => answer,
            Err(_) => {
                return match body.trim() {
                    // Sent: a bare "100" names no id, but the message left.
                    "100" | "101" => accepted_without_id(),
                    code => by_code(code).unwrap_or(SendOutcome::Retry {
                        after: None,
                        reason: "seven.io's answer could not be read".into(),
                    }),
                };
            }
        };
        if let Some(outcome) = by_code(&code_of(&answer.success)) {
            return outcome;
        }
        match answer.messages.into_iter().next() {
            Some(sent) if sent.success != Some(false) => match sent.id {
                Some(id) => SendOutcome::Accepted {
                    provider_id: Some(code_of(&id)),
                    segments: sent.parts.unwrap_or(1),
                    price_micros: sent.price.map(|euros| (euros * 1_000_000.0).round() as i64),
                },
                None => accepted_without_id(),
            },
            Some(sent) => SendOutcome::Refused {
                reason: format!(
                    "seven.io refused the message: {}",
                    sent.error_text.unwrap_or_default()
                ),
            },
            // "100" without a list: sent all the same.
            None => accepted_without_id(),
        }
    }
}

/// How far a webhook's timestamp may be from our clock, either way (seven.io: "must not be
/// more than 30 seconds in the past"; the future side allows for our clock being behind).
pub const WEBHOOK_WINDOW_SECONDS: i64 = 30;

/// The three signing headers of a webhook, as received.
#[derive(Clone, Copy, Debug)]
pub struct WebhookHeaders<'a> {
    /// `X-Signature`: hex of the HMAC-SHA256.
    pub signature: Option<&'a str>,
    /// `X-Timestamp`: Unix seconds.
    pub timestamp: Option<&'a str>,
    /// `X-Nonce`: 32 random characters, never used twice.
    pub nonce: Option<&'a str>,
}

/// Why a webhook is not believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    #[error("a signing header is missing or malformed")]
    Malformed,
    #[error("the timestamp is outside the window")]
    Stale,
    #[error("the signature does not match")]
    BadSignature,
    /// Without a key anyone could sign: nothing is believed.
    #[error("no signing key is configured")]
    NoKey,
}

/// The string seven.io signs: timestamp, nonce, method, the complete URL and the hex MD5 of the
/// raw body, joined by newlines.
/// Hex MD5 of a body: part of what is signed, and what a nonce is remembered with (a resend
/// carries the same body, a replay another).
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

fn string_to_sign(timestamp: i64, nonce: &str, method: &str, url: &str, body: &[u8]) -> String {
    let body_md5 = body_md5(body);
    format!("{timestamp}\n{nonce}\n{method}\n{url}\n{body_md5}")
}

fn mac(key: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    Hmac::<Sha256>::new_from_slice(key.trim().as_bytes()).expect("HMAC accepts any key length")
}

/// The `X-Signature` seven.io sends for this request (lower-case hex).
pub fn sign(
    key: &str,
    timestamp: i64,
    nonce: &str,
    method: &str,
    url: &str,
    body: &[u8],
) -> String {
    let mut mac = mac(key);
    mac.update(string_to_sign(timestamp, nonce, method, url, body).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a webhook's signature against our signing key, for the URL seven.io was given (from
/// the configuration, never the `Host` header) and the raw body bytes. Returns the nonce, which
/// the caller must record: seen before with another body it is a replay (refused), with the
/// same body a resend (answered without acting again).
pub fn verify_webhook<'a>(
    key: &str,
    headers: WebhookHeaders<'a>,
    method: &str,
    url: &str,
    body: &[u8],
    now_unix: i64,
) -> Result<&'a str, WebhookRejection> {
    if key.trim().is_empty() {
        return Err(WebhookRejection::NoKey);
    }
    let (Some(signature), Some(timestamp), Some(nonce)) =
        (headers.signature, headers.timestamp, headers.nonce)
    else {
        return Err(WebhookRejection::Malformed);
    };
    let nonce = nonce.trim();
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| WebhookRejection::Malformed)?;
    if nonce.is_empty()
        || nonce.len() > 64
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(WebhookRejection::Malformed);
    }
    let expected = hex::decode(signature.trim()).map_err(|_| WebhookRejection::Malformed)?;
    // abs_diff: a hostile timestamp like i64::MIN must neither overflow nor wrap into range.
    if now_unix.abs_diff(timestamp) > WEBHOOK_WINDOW_SECONDS.unsigned_abs() {
        return Err(WebhookRejection::Stale);
    }
    let mut mac = mac(key);
    mac.update(string_to_sign(timestamp, nonce, method, url, body).as_bytes());
    // Compared in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| WebhookRejection::BadSignature)?;
    Ok(nonce)
}

/// A webhook's body: which event, and its data.
#[derive(Clone, Debug, Deserialize)]
pub struct Webhook {
    /// `dlr` (a delivery report) or `sms_mo` (a message to our number).
    pub webhook_event: String,
    pub data: serde_json::Value,
}

/// `dlr`: what became of a message we sent.
#[derive(Clone, Debug, Deserialize)]
pub struct StatusReport {
    /// The id seven.io gave when it took the message.
    pub msg_id: serde_json::Value,
    /// `DELIVERED`, `NOTDELIVERED`, `BUFFERED`, `TRANSMITTED`, `ACCEPTED`, `EXPIRED`,
    /// `REJECTED`, `FAILED` (others are kept as they come).
    pub status: String,
}

impl StatusReport {
    pub fn message_id(&self) -> String {
        code_of(&self.msg_id)
    }
}

/// `sms_mo`: a message someone sent to our number.
#[derive(Clone, Debug, Deserialize)]
pub struct Inbound {
    /// seven.io's id of the incoming message (a retried webhook carries the same).
    pub id: serde_json::Value,
    /// The number it came from (digits, international, without `+`).
    pub sender: String,
    /// Our number it was sent to.
    pub system: String,
    pub text: String,
}

impl Inbound {
    pub fn message_id(&self) -> String {
        code_of(&self.id)
    }

    /// The sender in E.164.
    pub fn sender_e164(&self) -> String {
        let digits: String = self.sender.chars().filter(char::is_ascii_digit).collect();
        format!("+{}", digits.trim_start_matches("00"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "signing-key-of-the-test-account";
    const URL: &str = "https://dorf.example/api/v1/sms/webhooks/seven/dlr";
    const BODY: &[u8] =
        br#"{"data":{"msg_id":"77149843739","status":"DELIVERED"},"webhook_event":"dlr"}"#;
    const NOW: i64 = 1_780_000_000;
    const NONCE: &str = "5Jb2u5sCv0zY6XkQm1wT8rN3pL7aE9dH";

    fn headers<'a>(signature: &'a str, timestamp: &'a str) -> WebhookHeaders<'a> {
        WebhookHeaders {
            signature: Some(signature),
            timestamp: Some(timestamp),
            nonce: Some(NONCE),
        }
    }

    /// The string is built as seven.io's own PHP client builds it: `implode(chr(10), [$ts,
    /// $nonce, 'POST', $url, md5($body)])`, then `hash_hmac('sha256', …)`.
    #[test]
    fn the_signed_string_is_seven_ios() {
        assert_eq!(
            string_to_sign(NOW, NONCE, "POST", URL, b""),
            format!("{NOW}\n{NONCE}\nPOST\n{URL}\nd41d8cd98f00b204e9800998ecf8427e")
        );
        // HMAC-SHA256 of RFC 4231's test case 2, to pin the primitive.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signed_webhook_is_believed_within_the_window() {
        let signature = sign(KEY, NOW, NONCE, "POST", URL, BODY);
        let ts = NOW.to_string();
        assert_eq!(
            verify_webhook(KEY, headers(&signature, &ts), "POST", URL, BODY, NOW + 29),
            Ok(NONCE)
        );
        // Hex case does not matter.
        let upper = signature.to_uppercase();
        assert!(verify_webhook(KEY, headers(&upper, &ts), "POST", URL, BODY, NOW).is_ok());
    }

    #[test]
    fn a_forged_changed_or_late_webhook_is_not() {
        let signature = sign(KEY, NOW, NONCE, "POST", URL, BODY);
        let ts = NOW.to_string();
        let check = |sig: &str, ts: &str, url: &str, body: &[u8], now: i64| {
            verify_webhook(KEY, headers(sig, ts), "POST", url, body, now).map(|_| ())
        };
        let changed =
            br#"{"data":{"msg_id":"77149843739","status":"NOTDELIVERED"},"webhook_event":"dlr"}"#;
        assert_eq!(
            check(&signature, &ts, URL, changed, NOW),
            Err(WebhookRejection::BadSignature)
        );
        let other_url = "https://dorf.example/api/v1/sms/webhooks/seven/inbound";
        assert_eq!(
            check(&signature, &ts, other_url, BODY, NOW),
            Err(WebhookRejection::BadSignature)
        );
        assert_eq!(
            check(&signature, &ts, URL, BODY, NOW + 31),
            Err(WebhookRejection::Stale)
        );
        assert_eq!(
            check(&signature, &ts, URL, BODY, NOW - 31),
            Err(WebhookRejection::Stale)
        );
        let other_ts = (NOW + 1).to_string();
        assert_eq!(
            check(&signature, &other_ts, URL, BODY, NOW),
            Err(WebhookRejection::BadSignature)
        );
        let forged = sign("someone-elses-key", NOW, NONCE, "POST", URL, BODY);
        assert_eq!(
            check(&forged, &ts, URL, BODY, NOW),
            Err(WebhookRejection::BadSignature)
        );
        assert_eq!(
            check("not hex", &ts, URL, BODY, NOW),
            Err(WebhookRejection::Malformed)
        );
        assert_eq!(
            check(&signature, "soon", URL, BODY, NOW),
            Err(WebhookRejection::Malformed)
        );
        for hostile in ["-9223372036854775808", "9223372036854775807"] {
            assert_eq!(
                check(&signature, hostile, URL, BODY, NOW),
                Err(WebhookRejection::Stale)
            );
        }
        assert_eq!(
            verify_webhook(" ", headers(&signature, &ts), "POST", URL, BODY, NOW),
            Err(WebhookRejection::NoKey)
        );
        let missing = WebhookHeaders {
            signature: Some(&signature),
            timestamp: Some(&ts),
            nonce: None,
        };
        assert_eq!(
            verify_webhook(KEY, missing, "POST", URL, BODY, NOW),
            Err(WebhookRejection::Malformed)
        );
    }

    #[test]
    fn webhook_bodies_are_read_as_seven_io_sends_them() {
        let dlr: Webhook = serde_json::from_slice(
            br#"{"data":{"msg_id":"77149843739","status":"TRANSMITTED","timestamp":"2021-08-24 08:08:00.000000"},"webhook_event":"dlr","webhook_timestamp":"2021-08-24T08:08:00+02:00"}"#,
        )
        .unwrap();
        assert_eq!(dlr.webhook_event, "dlr");
        let report: StatusReport = serde_json::from_value(dlr.data).unwrap();
        assert_eq!(report.message_id(), "77149843739");
        assert_eq!(report.status, "TRANSMITTED");
        let mo: Webhook = serde_json::from_slice(
            br#"{"data":{"id":"681590","sender":"491711234567","system":"491771783130","text":"2","time":"1605878104","message_type":"SMS"},"webhook_event":"sms_mo","webhook_timestamp":"2020-12-02 11:55:44"}"#,
        )
        .unwrap();
        let inbound: Inbound = serde_json::from_value(mo.data).unwrap();
        assert_eq!(inbound.message_id(), "681590");
        assert_eq!(inbound.sender_e164(), "+491711234567");
        assert_eq!(inbound.text, "2");
    }
}
