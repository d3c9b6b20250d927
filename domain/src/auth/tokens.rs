//! Access tokens (short-lived JWTs, HS256 with the server's persisted key) and refresh tokens
//! (opaque random strings, stored only as SHA-256 hashes).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `iss` of every access token.
pub const ISSUER: &str = "dorfapp";
/// `aud` of every access token: this API.
pub const AUDIENCE: &str = "dorfapp-api";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user.
    pub sub: Uuid,
    /// The session (refresh-token family) the token was issued for.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
}

/// Signs an access token.
pub fn issue_access(
    key: &[u8],
    user_id: Uuid,
    session_id: Uuid,
    now: DateTime<Utc>,
    ttl_seconds: u64,
) -> Result<String, TokenError> {
    let claims = AccessClaims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: user_id,
        sid: session_id,
        iat: now.timestamp(),
        exp: now.timestamp() + i64::try_from(ttl_seconds).unwrap_or(i64::MAX / 2),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key),
    )
    .map_err(|e| TokenError::Invalid(e.to_string()))
}

/// Checks signature, algorithm (HS256 only: `none` and every other algorithm are refused),
/// issuer and audience, then expiry against the injected clock (not the system clock, so that
/// tests control it).
pub fn verify_access(
    key: &[u8],
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_exp = false;
    validation.leeway = 0;
    let data =
        jsonwebtoken::decode::<AccessClaims>(token, &DecodingKey::from_secret(key), &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
    if data.claims.exp <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(data.claims)
}

/// A new refresh token and the hash to store.
pub fn new_refresh_token() -> Result<(String, String), TokenError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::Invalid(e.to_string()))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    Ok((token, hash))
}

/// SHA-256, hex: refresh tokens are long random strings, so a fast hash is enough.
pub fn hash_refresh_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_key_until_it_expires() {
        let key = [7u8; 64];
        let now = Utc::now();
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let token = issue_access(&key, user, session, now, 900).expect("sign");
        let claims = verify_access(&key, &token, now).expect("valid");
        assert_eq!((claims.sub, claims.sid), (user, session));
        assert!(verify_access(&[8u8; 64], &token, now).is_err(), "other key");
        assert!(matches!(
            verify_access(&key, &token, now + chrono::Duration::seconds(900)),
            Err(TokenError::Expired)
        ));
    }
}
