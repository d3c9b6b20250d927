//! Authentication: passwords (argon2id), tokens (JWT access tokens, rotating refresh tokens),
//! the Bearer security scheme of the spec, and the [`Actor`] with its guards.

pub mod actor;
pub mod passwords;
pub mod tokens;

pub use actor::{Actor, Assignment, Role, Scope};
use poem_openapi::{SecurityScheme, auth::Bearer};

use crate::{error::ApiResult, state::AppState};

/// `Authorization: Bearer <access token>`. Get a token from `POST /api/v1/auth/login` or
/// `/auth/register`; it lives `expires_in` seconds; renew it with `POST /api/v1/auth/refresh`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT")]
pub struct BearerAuth(pub Bearer);

impl AppState {
    /// The caller behind a bearer token, or 401.
    pub async fn actor(&self, auth: &BearerAuth) -> ApiResult<Actor> {
        Ok(actor::authenticate(
            &self.db,
            &self.keys.token_signing_key,
            &self.clock,
            &auth.0.token,
        )
        .await?)
    }
}
