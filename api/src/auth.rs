//! Who is calling, as extractors: [`Caller`] (a valid bearer token, required) and
//! [`OptionalCaller`] (public reads that show more to signed-in editors). Both load the
//! [`Actor`] with its roles from the database before the handler runs, so no handler loads it
//! by hand. How tokens, passwords and roles work is a rule, in `domain::auth`.

use std::ops::Deref;

pub use domain::auth::{Actor, Assignment, Role, Scope, actor, passwords, tokens};
use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

use crate::{error::ApiError, state::AppState};

/// `Authorization: Bearer <access token>`. Get a token from `POST /api/v1/auth/login` or
/// `/auth/register`; it lives `expires_in` seconds; renew it with `POST /api/v1/auth/refresh`.
#[derive(SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "authenticate"
)]
pub struct Caller(pub Actor);

impl Deref for Caller {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// Checks the token and loads the caller (session, user, roles) on every request, so that a
/// revoked role or session stops at once. Failures answer 401 `unauthorized` with the reason.
async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<Actor> {
    let Some(state) = req.data::<AppState>() else {
        return Err(ApiError::internal("AppState missing from the request").into());
    };
    actor::authenticate(
        &state.db,
        &state.keys.token_signing_key,
        &state.clock,
        &bearer.token,
    )
    .await
    .map_err(|err| ApiError::from(err).into())
}

/// `Authorization: Bearer <access token>`. Get a token from `POST /api/v1/auth/login` or
/// `/auth/register`; it lives `expires_in` seconds; renew it with `POST /api/v1/auth/refresh`.
#[derive(SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "authenticate_sent"
)]
pub struct SentToken(Result<Actor, ApiError>);

/// Never fails, so that the enum below does not fall back to anonymous on a bad token.
async fn authenticate_sent(req: &Request, bearer: Bearer) -> poem::Result<Result<Actor, ApiError>> {
    Ok(authenticate(req, bearer)
        .await
        .map_err(|err| crate::http::edge::api_error_from_poem(&err)))
}

/// A bearer token is optional: public reads answer anonymous callers, and show more (drafts,
/// scheduled items) to editors. A token that is sent must be valid (401 otherwise).
#[derive(SecurityScheme)]
pub enum OptionalCaller {
    Sent(SentToken),
    #[oai(fallback)]
    Anonymous,
}

impl OptionalCaller {
    /// The signed-in caller, if any; a token that was sent but is invalid is a 401.
    pub fn actor(&self) -> Result<Option<&Actor>, ApiError> {
        match self {
            OptionalCaller::Sent(SentToken(Ok(actor))) => Ok(Some(actor)),
            OptionalCaller::Sent(SentToken(Err(err))) => Err(err.clone()),
            OptionalCaller::Anonymous => Ok(None),
        }
    }
}
