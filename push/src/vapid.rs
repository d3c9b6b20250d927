//! VAPID (RFC 8292): the server proves to each push service that the pushes come from the
//! holder of the key the devices subscribed with. One signed JWT per push service origin,
//! reused until shortly before it expires, so that fan-out to thousands of devices of one
//! service signs once, not thousands of times.

use std::{collections::HashMap, sync::Mutex};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;
use web_push::VapidSignature;

use domain::keys::VapidKeys;

/// How long a token is valid; RFC 8292 section 2 allows at most 24 hours.
const VALIDITY: Duration = Duration::hours(12);
/// A cached token is replaced this long before it expires, so it never arrives stale.
const RENEW_BEFORE: Duration = Duration::hours(1);
/// Origins kept in the cache; there are a handful of push services in practice.
const MAX_ORIGINS: usize = 1000;

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    exp: i64,
    sub: &'a str,
}

pub struct VapidSigner {
    key: EncodingKey,
    /// The uncompressed public key, sent as `k=` (the `applicationServerKey` devices know).
    public_key: Vec<u8>,
    /// Contact for the push service's operators (`mailto:` or `https:`).
    subject: String,
    cache: Mutex<HashMap<String, (String, DateTime<Utc>)>>,
}

impl VapidSigner {
    pub fn new(keys: &VapidKeys, subject: &str) -> anyhow::Result<Self> {
        let secret = p256::SecretKey::from_slice(&URL_SAFE_NO_PAD.decode(&keys.private_key)?)
            .map_err(|e| anyhow::anyhow!("VAPID private key: {e}"))?;
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("VAPID private key: {e}"))?;
        Ok(Self {
            key: EncodingKey::from_ec_der(der.as_bytes()),
            public_key: URL_SAFE_NO_PAD.decode(&keys.public_key)?,
            subject: subject.to_owned(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The signature for a push to `endpoint` at `now`: `aud` is the endpoint's origin
    /// (scheme, host and a non-default port).
    pub fn signature(
        &self,
        endpoint: &url::Url,
        now: DateTime<Utc>,
    ) -> Result<VapidSignature, String> {
        let origin = endpoint.origin().ascii_serialization();
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| "VAPID token cache poisoned".to_owned())?;
        let token = match cache.get(&origin) {
            Some((token, expires)) if *expires - RENEW_BEFORE > now => token.clone(),
            _ => {
                let expires = now + VALIDITY;
                let claims = Claims {
                    aud: &origin,
                    exp: expires.timestamp(),
                    sub: &self.subject,
                };
                let token =
                    jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.key)
                        .map_err(|e| format!("signing the VAPID token: {e}"))?;
                metrics::counter!("push_vapid_tokens_signed_total").increment(1);
                if cache.len() >= MAX_ORIGINS {
                    cache.clear();
                }
                cache.insert(origin, (token.clone(), expires));
                token
            }
        };
        Ok(VapidSignature {
            auth_t: token,
            auth_k: self.public_key.clone(),
        })
    }
}
