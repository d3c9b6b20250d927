//! `/api/v1/auth`: register, log in, refresh, log out.

use std::{net::IpAddr, time::Duration};

use poem::{Request, web::Data};
use poem_openapi::{ApiResponse, Object, OpenApi, param::Header, payload::Json};
use uuid::Uuid;

use super::{ApiTags, body::JsonBody, edge::no_store, types::NoContent, users::User};
use crate::{error::ApiResult, state::AppState};
use domain::{
    DomainError,
    accounts::{self, IssuedTokens, LoginAttempt, NewAccount, SignUpOrigin, TokenConfig},
    idempotency::Claim,
};

/// A token pair. Send `access_token` as `Authorization: Bearer …`; before it expires, trade
/// The kind of access token (RFC 6749 section 7.1); always `Bearer`.
#[derive(poem_openapi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    #[oai(rename = "Bearer")]
    Bearer,
}

/// `refresh_token` for a new pair at `POST /api/v1/auth/refresh`. Each refresh token works
/// once; keep only the newest.
#[derive(Object, Clone, Debug)]
pub struct Tokens {
    /// Short-lived JWT for the `Authorization` header.
    pub access_token: String,
    /// How to send `access_token`: `Authorization: Bearer …`.
    pub token_type: TokenType,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Opaque, single-use token for `POST /api/v1/auth/refresh`. Store it securely.
    pub refresh_token: String,
    /// Seconds until `refresh_token` expires if unused.
    pub refresh_expires_in: u64,
}

impl From<IssuedTokens> for Tokens {
    fn from(t: IssuedTokens) -> Self {
        Self {
            access_token: t.access_token,
            token_type: TokenType::Bearer,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            refresh_expires_in: t.refresh_expires_in,
        }
    }
}

/// The signed-in user and their tokens.
#[derive(Object, Clone, Debug)]
pub struct Authenticated {
    /// The account.
    pub user: User,
    /// The session's tokens.
    pub tokens: Tokens,
}

/// A new account.
#[derive(Object, Clone, Debug)]
pub struct Register {
    /// Email address; unique regardless of case.
    pub email: String,
    /// 10 to 128 characters. A sentence is easier to remember than a cryptic word.
    pub password: String,
    /// The name others see, 1 to 100 characters, e.g. `Erika M.`.
    pub display_name: String,
    /// The district the person lives in: the default for news and notifications.
    #[oai(nullable)]
    pub home_district_id: Option<Uuid>,
    /// Phone number, for ride questions (optional).
    #[oai(nullable)]
    pub phone: Option<String>,
}

/// Email and password.
#[derive(Object, Clone, Debug)]
pub struct Login {
    /// Email address, any case.
    pub email: String,
    /// The password.
    pub password: String,
}

/// A refresh token.
#[derive(Object, Clone, Debug)]
pub struct RefreshRequest {
    /// The newest refresh token of the session.
    pub refresh_token: String,
}

#[derive(ApiResponse)]
pub enum RegisterResponse {
    /// The account exists and the person is signed in.
    #[oai(status = 201)]
    Created(
        Json<Authenticated>,
        /// Where the new account can be read: `/api/v1/me`.
        #[oai(header = "Location")]
        String,
    ),
}

/// The new pair of a refresh.
#[derive(Object, Clone, Debug)]
pub struct Refreshed {
    /// The new token pair; the presented refresh token is used up.
    pub tokens: Tokens,
}

pub(crate) fn token_config(state: &AppState) -> TokenConfig<'_> {
    TokenConfig {
        signing_key: &state.keys.token_signing_key,
        access_ttl_seconds: state.settings.access_token_ttl_seconds,
        refresh_ttl_seconds: state.settings.refresh_token_ttl_seconds,
        session_max_seconds: state.settings.session_max_lifetime_seconds,
    }
}

pub(crate) fn user_agent(req: &Request) -> Option<String> {
    req.header("user-agent").map(str::to_owned)
}

/// The client's address for throttling: the TCP peer, or behind a trusted reverse proxy the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. IPv6 addresses count
/// per /64 (one household or device gets a whole /64), IPv4-mapped ones as IPv4.
pub(crate) fn client_address(req: &Request, trusted: &[IpAddr]) -> String {
    let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    let mut client = peer;
    if trusted.contains(&peer)
        && let Some(forwarded) = req.header("x-forwarded-for")
    {
        for hop in forwarded
            .split(',')
            .rev()
            .filter_map(|h| h.trim().parse::<IpAddr>().ok())
        {
            client = hop;
            if !trusted.contains(&hop) {
                break;
            }
        }
    }
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        v4 => v4.to_string(),
    }
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("login", &[400, 401, 422, 429]),
    ("logout", &[400, 422]),
    ("refreshTokens", &[400, 401, 422]),
    ("register", &[400, 409, 422, 429]),
];

/// The limits of this module's request fields, as the spec publishes them (`super::spec`):
/// the rules' own constants, so the two cannot drift.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::{accounts, auth::passwords, contact};
    &[
        // No `format: email`: OpenAPI means an ASCII address by it, and the server takes
        // `info@bäckerei-müller.de`.
        ("Register", "email", &[MaxLength(contact::EMAIL_MAX)]),
        (
            "Register",
            "password",
            &[Length(passwords::MIN_LENGTH, passwords::MAX_LENGTH)],
        ),
        (
            "Register",
            "display_name",
            &[Text(accounts::DISPLAY_NAME_MAX)],
        ),
        ("Register", "phone", super::spec::PHONE),
    ]
};

pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Register
    ///
    /// Creates a resident account and signs it in. The email must be new (409 `conflict`
    /// otherwise, whatever its case). Send an `Idempotency-Key` (e.g. a UUID): a retry after a
    /// lost answer then creates nothing and answers 409 with "already registered, please sign
    /// in" without hashing the password again; the app signs in with `login`. (Answering the
    /// retry with a fresh session would be a password check beside the throttled login.)
    #[oai(
        transform = "no_store",
        path = "/auth/register",
        method = "post",
        operation_id = "register"
    )]
    async fn register(
        &self,
        state: Data<&AppState>,
        req: &Request,
        /// Any unique string (a UUID): a retry with the same key within 24 h creates nothing
        /// new and answers 409.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<Register>,
    ) -> ApiResult<RegisterResponse> {
        let Register {
            email,
            password,
            display_name,
            home_district_id,
            phone,
        } = body.0;
        let input = NewAccount {
            email,
            password,
            display_name,
            home_district_id,
            phone,
        };
        let claim = idempotency_key
            .0
            .as_deref()
            .map(|key| {
                // Scoped by the email: strangers who happen to pick the same key never meet.
                let scope = format!("register:{}", accounts::normalize_email(&input.email));
                Claim::new(
                    scope.chars().take(80).collect(),
                    key,
                    "register",
                    &accounts::registration_fingerprint(&input),
                )
            })
            .transpose()?;
        let (profile, tokens) = accounts::register(
            &state.db,
            &state.clock,
            token_config(&state),
            &input,
            claim.as_ref(),
            SignUpOrigin {
                user_agent: user_agent(req),
                client_address: &client_address(req, &state.settings.trusted_proxy_list()),
                per_address_per_hour: state.settings.quotas().registrations_per_address_per_hour,
            },
        )
        .await?;
        Ok(RegisterResponse::Created(
            Json(Authenticated {
                user: profile.into(),
                tokens: tokens.into(),
            }),
            "/api/v1/me".to_owned(),
        ))
    }

    /// Log in
    ///
    /// Wrong email and wrong password give the same 401. After `DORFAPP_LOGIN_MAX_FAILURES`
    /// failures within 15 minutes for one account or one client address, every attempt — the
    /// right password included — is answered 429 `rate_limited` with `Retry-After`, after a
    /// delay of `DORFAPP_LOGIN_THROTTLE_DELAY_MS` (1 s).
    #[oai(
        transform = "no_store",
        path = "/auth/login",
        method = "post",
        operation_id = "login"
    )]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: JsonBody<Login>,
    ) -> ApiResult<Json<Authenticated>> {
        let attempt = LoginAttempt {
            email: &body.0.email,
            password: &body.0.password,
            client_address: &client_address(req, &state.settings.trusted_proxy_list()),
            user_agent: user_agent(req),
            limits: state.settings.login_limits(),
        };
        let login = accounts::login(&state.db, &state.clock, token_config(&state), attempt).await;
        if let Err(DomainError::RateLimited { .. }) = &login {
            // A tarpit: whoever floods the login with guesses gets one refusal per connection
            // and delay, so a flood cannot take the CPU from residents reading the feed
            // (docs/benchmarks.md). The refusal holds no database connection while it waits.
            tokio::time::sleep(Duration::from_millis(
                state.settings.login_throttle_delay_ms,
            ))
            .await;
        }
        let (profile, tokens) = login?;
        Ok(Json(Authenticated {
            user: profile.into(),
            tokens: tokens.into(),
        }))
    }

    /// Refresh tokens
    ///
    /// Trades a refresh token for a new pair. Each refresh token works once: presenting one that
    /// was already used ends the whole session (401), because it means a copy is in other hands.
    #[oai(
        transform = "no_store",
        path = "/auth/refresh",
        method = "post",
        operation_id = "refreshTokens"
    )]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        body: JsonBody<RefreshRequest>,
    ) -> ApiResult<Json<Refreshed>> {
        let tokens = accounts::refresh(
            &state.db,
            &state.clock,
            token_config(&state),
            &body.0.refresh_token,
        )
        .await?;
        Ok(Json(Refreshed {
            tokens: tokens.into(),
        }))
    }

    /// Log out
    ///
    /// Ends the session of the refresh token; its access tokens stop working at once. Also
    /// answers 204 when the token was unknown or had already ended.
    #[oai(
        transform = "no_store",
        path = "/auth/logout",
        method = "post",
        operation_id = "logout"
    )]
    async fn logout(
        &self,
        state: Data<&AppState>,
        body: JsonBody<RefreshRequest>,
    ) -> ApiResult<NoContent> {
        accounts::logout(&state.db, &state.clock, &body.0.refresh_token).await?;
        Ok(NoContent::Done)
    }
}
