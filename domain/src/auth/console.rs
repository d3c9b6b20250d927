//! The web console's sign-in: a cookie instead of bearer tokens, on the same accounts, the same
//! sessions and the same login throttle as the API.
//!
//! A console sign-in is a `session` row (the user, the absolute end, the revocation) with a
//! `console_session` row beside it (the hash of the cookie and the idle deadline). Whatever ends
//! a session therefore ends the console's too: signing out, a password change (which ends every
//! other session), erasure, the hourly purge. The cookie value is minted by the server at every
//! login and never taken from the browser, so a planted cookie cannot be carried into a
//! signed-in session (session fixation).
//!
//! Forms carry a CSRF token derived from the server's key and the console session (an HMAC, so
//! nothing is stored): another site can make the browser send the cookie, but cannot read the
//! token it would have to send with it.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{console_session, session};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use sha2::Sha256;
use uuid::Uuid;

use super::{Actor, actor, tokens};
use crate::{
    DomainError, DomainResult,
    accounts::{self, LoginAttempt},
    clock::SharedClock,
    text::Text,
    users::Profile,
};

/// How long a console sign-in lasts.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleConfig {
    /// Ends after this long without a request.
    pub idle: Duration,
    /// Ends this long after the login at the latest.
    pub lifetime: Duration,
}

/// The idle deadline moves forward at most this often: a write per page view would queue every
/// reader behind SQLite's single writer for no gain.
const SLIDE_EVERY: Duration = Duration::minutes(5);

/// What the browser is given at login.
#[derive(Clone, Debug)]
pub struct ConsoleCookie {
    /// 32 random bytes, base64url; only its hash is stored.
    pub value: String,
    /// The absolute end of the sign-in.
    pub expires_at: DateTime<Utc>,
}

/// A console request's caller.
#[derive(Clone, Debug)]
pub struct ConsoleSession {
    pub actor: Actor,
    /// The `console_session` row: what the CSRF token is bound to.
    pub id: Uuid,
}

fn signed_out() -> DomainError {
    DomainError::Unauthenticated(Text::new(
        "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich neu an.",
        "Your sign-in has ended. Please sign in again.",
    ))
}

/// Signs in to the console: the API's login (throttle, timing, forgiveness), then a fresh
/// cookie. `previous_cookie`, the cookie the browser still had, is ended in the same
/// transaction: one browser, one sign-in.
pub async fn login(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: ConsoleConfig,
    attempt: LoginAttempt<'_>,
    previous_cookie: Option<&str>,
) -> DomainResult<(Profile, ConsoleCookie)> {
    accounts::login_with(db, clock, attempt, async |txn, user_id, user_agent| {
        if let Some(previous) = previous_cookie {
            end_by_cookie(txn, clock, previous).await?;
        }
        start(txn, clock, config, user_id, user_agent).await
    })
    .await
}

async fn start(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    config: ConsoleConfig,
    user_id: Uuid,
    user_agent: Option<String>,
) -> DomainResult<ConsoleCookie> {
    let now = clock.now();
    let expires_at = now + config.lifetime;
    let session_id = accounts::insert_session(conn, now, user_id, user_agent, expires_at).await?;
    let (value, cookie_hash) = tokens::new_refresh_token()
        .map_err(|err| DomainError::Db(sea_orm::DbErr::Custom(format!("internal: {err}"))))?;
    console_session::Entity::insert(console_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        cookie_hash: Set(cookie_hash),
        idle_expires_at: Set(Ord::min(now + config.idle, expires_at)),
        seen_at: Set(now),
        created_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(ConsoleCookie { value, expires_at })
}

/// The caller behind a console cookie, with the roles they hold now. An unknown, ended,
/// revoked or idle cookie is 401 (the console answers with its login page).
pub async fn resume(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: ConsoleConfig,
    cookie: &str,
) -> DomainResult<ConsoleSession> {
    let now = clock.now();
    let Some(console) = console_session::Entity::find()
        .filter(console_session::Column::CookieHash.eq(tokens::hash_refresh_token(cookie)))
        .one(db)
        .await?
    else {
        return Err(signed_out());
    };
    let session = session::Entity::find_by_id(console.session_id)
        .one(db)
        .await?
        .ok_or_else(signed_out)?;
    if session.revoked_at.is_some() || session.expires_at <= now || console.idle_expires_at <= now {
        return Err(signed_out());
    }
    let actor = actor::load(db, session.user_id, session.id, now).await?;
    if now - console.seen_at >= SLIDE_EVERY {
        console_session::Entity::update_many()
            .col_expr(
                console_session::Column::IdleExpiresAt,
                Expr::value(Ord::min(now + config.idle, session.expires_at)),
            )
            .col_expr(console_session::Column::SeenAt, Expr::value(now))
            .filter(console_session::Column::Id.eq(console.id))
            .exec(db)
            .await?;
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .filter(session::Column::Id.eq(session.id))
            .exec(db)
            .await?;
    }
    Ok(ConsoleSession {
        actor,
        id: console.id,
    })
}

/// Signs out the browser that holds `cookie`. An unknown cookie is fine: the goal, being
/// signed out, holds either way.
pub async fn logout(
    db: &DatabaseConnection,
    clock: &SharedClock,
    cookie: &str,
) -> DomainResult<()> {
    end_by_cookie(db, clock, cookie).await
}

async fn end_by_cookie(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    cookie: &str,
) -> DomainResult<()> {
    if let Some(console) = console_session::Entity::find()
        .filter(console_session::Column::CookieHash.eq(tokens::hash_refresh_token(cookie)))
        .one(conn)
        .await?
    {
        accounts::end_session(conn, clock, console.session_id).await?;
    }
    Ok(())
}

fn csrf_mac(signing_key: &[u8], console_session: Uuid) -> Hmac<Sha256> {
    // HMAC accepts a key of any length; the error case cannot happen.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(signing_key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"dorfapp console csrf\0");
    mac.update(console_session.as_bytes());
    mac
}

/// The token every state-changing console form carries: bound to the console session, so it
/// dies with it, and unguessable without the server's key.
pub fn csrf_token(signing_key: &[u8], console_session: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(
        csrf_mac(signing_key, console_session)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `presented` is the session's CSRF token (compared in constant time).
pub fn csrf_matches(signing_key: &[u8], console_session: Uuid, presented: &str) -> bool {
    URL_SAFE_NO_PAD.decode(presented.trim()).is_ok_and(|bytes| {
        csrf_mac(signing_key, console_session)
            .verify_slice(&bytes)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_belongs_to_one_session_and_one_key() {
        let key = [3u8; 64];
        let (one, other) = (Uuid::now_v7(), Uuid::now_v7());
        let token = csrf_token(&key, one);
        assert!(csrf_matches(&key, one, &token));
        assert!(!csrf_matches(&key, other, &token));
        assert!(!csrf_matches(&[4u8; 64], one, &token));
        assert!(!csrf_matches(&key, one, ""));
        assert!(!csrf_matches(&key, one, "not base64 ✓"));
        assert!(!csrf_matches(&key, one, &token[..token.len() - 2]));
    }
}
