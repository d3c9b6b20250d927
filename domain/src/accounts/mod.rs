//! Accounts and sessions: registration, login with throttling, rotating refresh tokens, logout,
//! self-service (profile, password, export, erasure) and the first administrator.

use chrono::{DateTime, Duration, Utc};
use entity::{
    app_user, district, login_attempt, refresh_token, role_assignment, session, vocab::QuotaKind,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    DomainError, DomainResult, Validator,
    auth::{
        Actor, Role,
        passwords::{self, MAX_LENGTH, MIN_LENGTH},
        tokens,
    },
    clock::SharedClock,
    contact, db, idempotency, is_unique_violation, normalize_optional,
    text::{Text, field},
    users::{self, Profile},
};

/// How far back failed logins count.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
pub const DISPLAY_NAME_MAX: usize = 100;

/// What signing tokens needs.
#[derive(Clone, Copy, Debug)]
pub struct TokenConfig<'a> {
    pub signing_key: &'a [u8],
    pub access_ttl_seconds: u64,
    pub refresh_ttl_seconds: u64,
    /// The absolute end of a session, counted from its login: refreshing never goes past it.
    pub session_max_seconds: u64,
}

/// A fresh token pair.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
    pub refresh_expires_in: u64,
}

#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub home_district_id: Option<Uuid>,
    pub phone: Option<String>,
}

/// A partial profile update: `None` leaves a field; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub home_district_id: Option<Option<Uuid>>,
    pub phone: Option<Option<String>>,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_password(v: &mut Validator, name: &str, password: &str) {
    let length = password.chars().count();
    v.check(
        (MIN_LENGTH..=MAX_LENGTH).contains(&length),
        name,
        "Das Passwort muss 10 bis 128 Zeichen lang sein.",
        "The password must be 10 to 128 characters long.",
    );
}

async fn check_district_exists(
    conn: &impl ConnectionTrait,
    v: &mut Validator,
    id: Option<Uuid>,
) -> DomainResult<()> {
    if let Some(id) = id {
        let exists = district::Entity::find_by_id(id).one(conn).await?.is_some();
        v.check(
            exists,
            "home_district_id",
            "Diesen Ortsteil gibt es nicht.",
            "No such district.",
        );
    }
    Ok(())
}

fn invalid_credentials() -> DomainError {
    DomainError::Unauthenticated(Text::new(
        "E-Mail-Adresse oder Passwort ist falsch.",
        "Wrong email address or password.",
    ))
}

fn session_ended() -> DomainError {
    DomainError::Unauthenticated(Text::new(
        "Diese Anmeldung ist nicht mehr gültig. Bitte melden Sie sich neu an.",
        "This session is no longer valid. Please sign in again.",
    ))
}

fn internal(err: impl std::fmt::Display) -> DomainError {
    DomainError::Db(sea_orm::DbErr::Custom(format!("internal: {err}")))
}

/// Starts a session for a user: a refresh-token family and its first pair of tokens.
pub async fn start_session(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    config: TokenConfig<'_>,
    user_id: Uuid,
    user_agent: Option<String>,
) -> DomainResult<IssuedTokens> {
    let now = clock.now();
    let expires_at = now + seconds(config.refresh_ttl_seconds.min(config.session_max_seconds));
    let session_id = insert_session(conn, now, user_id, user_agent, expires_at).await?;
    issue_pair(conn, config, user_id, session_id, now, expires_at).await
}

/// A new, live session row (the app's token family, or a console sign-in).
pub(crate) async fn insert_session(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
    user_agent: Option<String>,
    expires_at: DateTime<Utc>,
) -> DomainResult<Uuid> {
    let session_id = Uuid::now_v7();
    session::Entity::insert(session::ActiveModel {
        id: Set(session_id),
        user_id: Set(user_id),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(200).collect())),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(session_id)
}

fn seconds(value: u64) -> Duration {
    Duration::seconds(i64::try_from(value).unwrap_or(i64::MAX / 1_000_000))
}

async fn issue_pair(
    conn: &impl ConnectionTrait,
    config: TokenConfig<'_>,
    user_id: Uuid,
    session_id: Uuid,
    now: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
) -> DomainResult<IssuedTokens> {
    let (refresh_token, hash) = tokens::new_refresh_token().map_err(internal)?;
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(hash),
        expires_at: Set(refresh_expires_at),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    // Near the session's absolute end both tokens end with it, and say so.
    let refresh_expires_in = u64::try_from((refresh_expires_at - now).num_seconds()).unwrap_or(1);
    let access_ttl = config.access_ttl_seconds.min(refresh_expires_in).max(1);
    let access_token =
        tokens::issue_access(config.signing_key, user_id, session_id, now, access_ttl)
            .map_err(internal)?;
    Ok(IssuedTokens {
        access_token,
        expires_in: access_ttl,
        refresh_token,
        refresh_expires_in,
    })
}

/// Validates a new account (without touching the database beyond lookups).
async fn validate_new_account(conn: &impl ConnectionTrait, input: &NewAccount) -> DomainResult<()> {
    let mut v = Validator::new();
    v.email("email", &input.email);
    check_password(&mut v, "password", &input.password);
    v.text("display_name", &input.display_name, DISPLAY_NAME_MAX);
    v.phone("phone", input.phone.as_deref());
    check_district_exists(conn, &mut v, input.home_district_id).await?;
    v.finish()
}

/// Creates the user row (and nothing else). The password must already be hashed.
async fn insert_user(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    input: &NewAccount,
    password_hash: String,
) -> DomainResult<app_user::Model> {
    let now = clock.now();
    app_user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(input.email.trim().to_owned()),
        email_normalized: Set(normalize_email(&input.email)),
        display_name: Set(input.display_name.trim().to_owned()),
        password_hash: Set(password_hash),
        home_district_id: Set(input.home_district_id),
        phone: Set(normalize_optional(input.phone.clone())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            DomainError::Conflict(Text::new(
                "Mit dieser E-Mail-Adresse gibt es schon ein Konto. Bitte melden Sie sich an.",
                "An account with this email address exists. Please sign in.",
            ))
        } else {
            DomainError::Db(err)
        }
    })
}

/// Hashes a password off the async threads (see [`passwords`]).
pub async fn hash_password(password: &str) -> DomainResult<String> {
    passwords::hash(password.to_owned()).await.map_err(internal)
}

/// Registers a resident: validates, hashes, creates the user inside `txn`. The session is
/// started by the caller in the same transaction.
pub async fn register_in(
    txn: &impl ConnectionTrait,
    clock: &SharedClock,
    input: &NewAccount,
    password_hash: String,
) -> DomainResult<app_user::Model> {
    validate_new_account(txn, input).await?;
    insert_user(txn, clock, input, password_hash).await
}

/// Where a registration comes from, and how many an hour that place may make.
#[derive(Clone, Debug)]
pub struct SignUpOrigin<'a> {
    pub user_agent: Option<String>,
    pub client_address: &'a str,
    /// The quota ([`crate::quotas::Quotas::registrations_per_address_per_hour`]).
    pub per_address_per_hour: u32,
}

/// Registers a resident and starts their first session. With an idempotency claim, a retry
/// of a registration that succeeded creates nothing and answers 409 "already registered,
/// please sign in", whatever password it carries: the first answer held a session, which is
/// never stored, and minting a new one here would be a password check beside the throttled
/// login (a password oracle).
pub async fn register(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: TokenConfig<'_>,
    input: &NewAccount,
    claim: Option<&idempotency::Claim>,
    from: SignUpOrigin<'_>,
) -> DomainResult<(Profile, IssuedTokens)> {
    let SignUpOrigin {
        user_agent,
        client_address,
        per_address_per_hour,
    } = from;
    precheck_registration(db, input).await?;
    // A retry of a registration that succeeded: known before the slow hashing.
    if let Some(claim) = claim
        && idempotency::peek(db, clock, claim).await?.is_some()
    {
        return Err(already_registered());
    }
    let hash = hash_password(&input.password).await?;
    let txn = db::begin_write(db).await?;
    if let Some(claim) = claim
        && idempotency::claim(&txn, clock, claim).await?.is_some()
    {
        return Err(already_registered());
    }
    // Many people may sign up from one place (a village hall, a care home), but not a script.
    crate::quotas::lock(&txn, &format!("registration:{client_address}")).await?;
    crate::quotas::use_one(
        &txn,
        QuotaKind::Registration,
        client_address,
        per_address_per_hour,
        crate::quotas::HOUR,
        clock.now(),
        || {
            Text::new(
                "Von diesem Anschluss wurden in der letzten Stunde schon sehr viele Konten angelegt. Bitte versuchen Sie es später noch einmal.",
                "Very many accounts were created from this connection in the last hour. Please try again later.",
            )
        },
    )
    .await?;
    let user = insert_user(&txn, clock, input, hash).await?;
    let tokens = start_session(&txn, clock, config, user.id, user_agent).await?;
    let profile = users::profile(&txn, user.id).await?;
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(user.id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    txn.commit().await?;
    Ok((profile, tokens))
}

fn already_registered() -> DomainError {
    DomainError::Conflict(Text::new(
        "Ihr Konto wurde mit dieser Anfrage bereits angelegt. Bitte melden Sie sich mit Ihrer E-Mail-Adresse und Ihrem Passwort an.",
        "Your account was already created by this request. Please sign in with your email address and password.",
    ))
}

/// What identifies a registration for `Idempotency-Key` (never the password).
pub fn registration_fingerprint(input: &NewAccount) -> serde_json::Value {
    serde_json::json!({
        "email": normalize_email(&input.email),
        "display_name": input.display_name,
        "home_district_id": input.home_district_id,
        "phone": input.phone,
    })
}

/// Checks the new account before the slow hash, so that a typo costs no argon2 run.
pub async fn precheck_registration(
    conn: &impl ConnectionTrait,
    input: &NewAccount,
) -> DomainResult<()> {
    validate_new_account(conn, input).await
}

/// Failed attempts in the throttle window for an account or an address.
async fn failures_since(
    conn: &impl ConnectionTrait,
    column: login_attempt::Column,
    value: &str,
    since: DateTime<Utc>,
) -> DomainResult<(u64, Option<DateTime<Utc>>)> {
    let query = login_attempt::Entity::find()
        .filter(column.eq(value))
        .filter(login_attempt::Column::Succeeded.eq(false))
        .filter(login_attempt::Column::At.gt(since));
    let count = query.clone().count(conn).await?;
    let oldest = query
        .order_by_asc(login_attempt::Column::At)
        .one(conn)
        .await?
        .map(|a| a.at);
    Ok((count, oldest))
}

/// How many failed logins within the throttle window are tolerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimits {
    /// For one account: low, since guessing one person's password is the attack.
    pub per_account: u32,
    /// For one client address: much higher (OWASP), since a care home's Wi-Fi, a village hall
    /// or a mobile carrier's NAT puts many honest people behind one address; it only stops
    /// one machine from trying passwords across many accounts.
    pub per_address: u32,
}

/// 429 when the account or the address has used up its failures in the window — even for the
/// right password, so that guessing cannot go on until it hits. Shared by all instances
/// because it lives in the database.
async fn check_throttle(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    email: &str,
    client: &str,
    limits: LoginLimits,
) -> DomainResult<()> {
    let since = now - THROTTLE_WINDOW;
    for (column, value, limit) in [
        (
            login_attempt::Column::EmailNormalized,
            email,
            limits.per_account,
        ),
        (
            login_attempt::Column::ClientAddress,
            client,
            limits.per_address,
        ),
    ] {
        let (count, oldest) = failures_since(conn, column, value, since).await?;
        if count >= u64::from(limit.max(1)) {
            let free_at = oldest.unwrap_or(now) + THROTTLE_WINDOW;
            let wait = (free_at - now).num_seconds().max(1);
            return Err(DomainError::RateLimited {
                retry_after_seconds: u64::try_from(wait).unwrap_or(1),
            });
        }
    }
    Ok(())
}

/// Parameters of a login attempt.
#[derive(Clone, Debug)]
pub struct LoginAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub client_address: &'a str,
    pub user_agent: Option<String>,
    pub limits: LoginLimits,
}

/// Logs in. Unknown email and wrong password give the same answer in about the same time.
pub async fn login(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: TokenConfig<'_>,
    attempt: LoginAttempt<'_>,
) -> DomainResult<(Profile, IssuedTokens)> {
    login_with(db, clock, attempt, async |txn, user_id, user_agent| {
        start_session(txn, clock, config, user_id, user_agent).await
    })
    .await
}

/// The login of the API and of the web console: one throttle, one reservation, one check of
/// the password, so that failures in either count against both. `start` begins the session in
/// the transaction that forgives the account's failures.
pub(crate) async fn login_with<T>(
    db: &DatabaseConnection,
    clock: &SharedClock,
    attempt: LoginAttempt<'_>,
    start: impl AsyncFnOnce(&sea_orm::DatabaseTransaction, Uuid, Option<String>) -> DomainResult<T>,
) -> DomainResult<(Profile, T)> {
    let email = normalize_email(attempt.email);
    let client = attempt.client_address.chars().take(64).collect::<String>();
    // A throttled account or address is refused by a read, without waiting for the write lock
    // (SQLite has one for the whole database): a flood of refused guesses must not queue up
    // behind each other and everything else that writes. The reservation checks again.
    check_throttle(db, clock.now(), &email, &client, attempt.limits).await?;
    // Reserve the attempt before the slow verification, as a failure: concurrent attempts
    // count each other, so a burst of parallel guesses cannot slip past the limit.
    let attempt_id = reserve_attempt(db, clock, &email, &client, attempt.limits).await?;
    let user = app_user::Entity::find()
        .filter(app_user::Column::EmailNormalized.eq(&email))
        .one(db)
        .await?;
    let password = attempt.password.to_owned();
    let verified_hash = match &user {
        Some(user) => passwords::verify(password, user.password_hash.clone())
            .await
            .map_err(internal)?
            .then(|| user.password_hash.clone()),
        None => passwords::verify_nobody(password)
            .await
            .map_err(internal)
            .map(|_| None)?,
    };
    let Some(verified_hash) = verified_hash else {
        return Err(invalid_credentials());
    };

    let txn = db::begin_write(db).await?;
    // The password may have changed while it was being verified: then this login is void.
    let Some(user) = app_user::Entity::find()
        .filter(app_user::Column::EmailNormalized.eq(&email))
        .one(&txn)
        .await?
        .filter(|u| u.password_hash == verified_hash)
    else {
        txn.commit().await?;
        return Err(invalid_credentials());
    };
    login_attempt::Entity::update_many()
        .col_expr(login_attempt::Column::Succeeded, Expr::value(true))
        .filter(login_attempt::Column::Id.eq(attempt_id))
        .exec(&txn)
        .await?;
    // A success forgives the account's earlier failures (not the address's).
    login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::EmailNormalized.eq(&email))
        .filter(login_attempt::Column::Succeeded.eq(false))
        .exec(&txn)
        .await?;
    let started = start(&txn, user.id, attempt.user_agent).await?;
    let profile = users::profile(&txn, user.id).await?;
    txn.commit().await?;
    Ok((profile, started))
}

/// Checks the limits and records the attempt as failed, in one exclusive step per account
/// (PostgreSQL: an advisory lock on the email; SQLite: the write lock).
async fn reserve_attempt(
    db: &DatabaseConnection,
    clock: &SharedClock,
    email: &str,
    client: &str,
    limits: LoginLimits,
) -> DomainResult<Uuid> {
    let txn = db::begin_write(db).await?;
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [email.into()],
        ))
        .await?;
    }
    let now = clock.now();
    check_throttle(&txn, now, email, client, limits).await?;
    let id = Uuid::now_v7();
    login_attempt::ActiveModel {
        id: Set(id),
        email_normalized: Set(email.chars().take(contact::EMAIL_MAX).collect()),
        client_address: Set(client.to_owned()),
        succeeded: Set(false),
        at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Verifies the caller's own password for a sensitive change, counting failures against the
/// account like failed logins (a stolen session must not be able to guess it).
async fn verify_own_password(
    db: &DatabaseConnection,
    clock: &SharedClock,
    user: &app_user::Model,
    password: &str,
    field_name: &'static str,
    limits: LoginLimits,
) -> DomainResult<()> {
    let client = format!("self:{}", user.id.simple());
    let attempt_id = reserve_attempt(db, clock, &user.email_normalized, &client, limits).await?;
    if passwords::verify(password.to_owned(), user.password_hash.clone())
        .await
        .map_err(internal)?
    {
        login_attempt::Entity::delete_by_id(attempt_id)
            .exec(db)
            .await?;
        return Ok(());
    }
    Err(DomainError::Validation(vec![field(
        field_name,
        "Das Passwort stimmt nicht.",
        "The password is wrong.",
    )]))
}

/// Exchanges a refresh token for a new pair. Each refresh token works once: presenting a used
/// one means it was stolen or replayed, so the whole session is revoked (OAuth 2.0 Security
/// BCP, RFC 9700 §4.14.2).
pub async fn refresh(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: TokenConfig<'_>,
    presented: &str,
) -> DomainResult<IssuedTokens> {
    let now = clock.now();
    let hash = tokens::hash_refresh_token(presented.trim());
    let txn = db::begin_write(db).await?;
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
        .ok_or_else(session_ended)?;
    let session = session::Entity::find_by_id(token.session_id)
        .one(&txn)
        .await?
        .ok_or_else(session_ended)?;
    if session.revoked_at.is_some() || session.expires_at <= now || token.expires_at <= now {
        return Err(session_ended());
    }
    // Compare-and-set: of two requests with the same token, exactly one rotates it.
    let marked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if marked == 0 {
        revoke_sessions(&txn, now, session::Column::Id.eq(session.id)).await?;
        txn.commit().await?;
        tracing::warn!(session_id = %session.id, user_id = %session.user_id, "refresh token reused; session revoked");
        return Err(session_ended());
    }
    let expires_at = Ord::min(
        now + seconds(config.refresh_ttl_seconds),
        session.created_at + seconds(config.session_max_seconds),
    );
    if expires_at <= now {
        // Past its absolute lifetime: the person signs in again.
        return Err(session_ended());
    }
    let mut active: session::ActiveModel = session.clone().into();
    active.last_used_at = Set(now);
    active.expires_at = Set(expires_at);
    active.update(&txn).await?;
    let tokens = issue_pair(&txn, config, session.user_id, session.id, now, expires_at).await?;
    txn.commit().await?;
    Ok(tokens)
}

/// Ends one session (the web console's sign-out). Ending one that has ended already is fine.
pub async fn end_session(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    session_id: Uuid,
) -> DomainResult<()> {
    revoke_sessions(conn, clock.now(), session::Column::Id.eq(session_id)).await?;
    Ok(())
}

pub(crate) async fn revoke_sessions(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    which: impl sea_orm::sea_query::IntoCondition,
) -> DomainResult<u64> {
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(which)
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Ends the session the refresh token belongs to. Unknown tokens are fine: the goal, being
/// signed out, holds either way.
pub async fn logout(
    db: &DatabaseConnection,
    clock: &SharedClock,
    presented: &str,
) -> DomainResult<()> {
    let hash = tokens::hash_refresh_token(presented.trim());
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?
    {
        revoke_sessions(db, clock.now(), session::Column::Id.eq(token.session_id)).await?;
    }
    Ok(())
}

async fn load_user(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<app_user::Model> {
    app_user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(session_ended)
}

/// Changes the caller's password after checking the current one; ends every other session.
pub async fn change_password(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    current: &str,
    new: &str,
    limits: LoginLimits,
) -> DomainResult<()> {
    let mut v = Validator::new();
    check_password(&mut v, "new_password", new);
    v.finish()?;
    let user = load_user(db, actor.user_id).await?;
    verify_own_password(db, clock, &user, current, "current_password", limits).await?;
    let hash = hash_password(new).await?;
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let mut active: app_user::ActiveModel = user.into();
    active.password_hash = Set(hash);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    revoke_sessions(
        &txn,
        now,
        sea_orm::Condition::all()
            .add(session::Column::UserId.eq(actor.user_id))
            .add(session::Column::Id.ne(actor.session_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Updates the caller's own profile.
pub async fn update_profile(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    patch: ProfilePatch,
) -> DomainResult<Profile> {
    let mut v = Validator::new();
    if let Some(name) = &patch.display_name {
        v.text("display_name", name, DISPLAY_NAME_MAX);
    }
    if let Some(phone) = &patch.phone {
        v.phone("phone", phone.as_deref());
    }
    if let Some(district) = patch.home_district_id {
        check_district_exists(db, &mut v, district).await?;
    }
    v.finish()?;
    let txn = db::begin_write(db).await?;
    let user = load_user(&txn, actor.user_id).await?;
    let mut active: app_user::ActiveModel = user.into();
    if let Some(name) = patch.display_name {
        active.display_name = Set(name.trim().to_owned());
    }
    if let Some(district) = patch.home_district_id {
        active.home_district_id = Set(district);
    }
    if let Some(phone) = patch.phone {
        active.phone = Set(normalize_optional(phone));
    }
    active.updated_at = Set(clock.now());
    active.update(&txn).await?;
    let profile = users::profile(&txn, actor.user_id).await?;
    txn.commit().await?;
    Ok(profile)
}

/// Everything held about the caller (GDPR Art. 15 and 20).
#[derive(Clone, Debug)]
pub struct AccountData {
    pub profile: Profile,
    pub sessions: Vec<session::Model>,
    pub login_attempts: Vec<login_attempt::Model>,
    /// The photos they uploaded (with the URLs of their sizes).
    pub uploads: Vec<crate::media::MediaView>,
    pub exported_at: DateTime<Utc>,
}

pub async fn export(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
) -> DomainResult<AccountData> {
    let profile = users::profile(db, actor.user_id).await?;
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(actor.user_id))
        .order_by_asc(session::Column::CreatedAt)
        .all(db)
        .await?;
    let login_attempts = login_attempt::Entity::find()
        .filter(login_attempt::Column::EmailNormalized.eq(&profile.user.email_normalized))
        .order_by_asc(login_attempt::Column::At)
        .all(db)
        .await?;
    let uploads = crate::media::of_owner(db, actor.user_id).await?;
    Ok(AccountData {
        profile,
        sessions,
        login_attempts,
        uploads,
        exported_at: clock.now(),
    })
}

/// Erases the caller's account after checking the password: the user row and with it (by
/// foreign keys) roles, sessions and tokens; login attempts under the email; idempotency
/// records of the caller. Content others rely on keeps existing without the person (foreign
/// keys `ON DELETE SET NULL`, see `docs/privacy.md`).
pub async fn delete_account(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    password: &str,
    limits: LoginLimits,
    rides: crate::rides::RideSettings,
) -> DomainResult<()> {
    let user = load_user(db, actor.user_id).await?;
    verify_own_password(db, clock, &user, password, "password", limits).await?;
    let only_admin = || {
        DomainError::Conflict(Text::new(
            "Sie sind die einzige Administration. Bitte ernennen Sie zuerst eine weitere Person zur Administration, bevor Sie Ihr Konto löschen.",
            "You are the only administrator. Please make someone else an administrator before deleting your account.",
        ))
    };
    // Asked first (a plain read), so that a refused erasure leaves the rides alone; decided
    // below, inside the exclusive section.
    if actor.is_admin() && users::other_admins(db, user.id).await? == 0 {
        return Err(only_admin());
    }
    crate::rides::forget_person(db, clock, rides, actor).await?;
    crate::anliegen::forget_person(db, clock, actor).await?;
    let txn = db::begin_write(db).await?;
    db::enter(&txn, db::Section::Administrators).await?;
    if actor.is_admin() && users::other_admins(&txn, user.id).await? == 0 {
        return Err(only_admin());
    }
    login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::EmailNormalized.eq(&user.email_normalized))
        .exec(&txn)
        .await?;
    entity::idempotency_record::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(entity::idempotency_record::Column::Scope.eq(format!("user:{}", user.id)))
                .add(entity::idempotency_record::Column::ResourceId.eq(user.id)),
        )
        .exec(&txn)
        .await?;
    // Their photos go unless something public still shows them (then they stay, without
    // an owner, as the item they illustrate does).
    let photos = crate::media::of_owner(&txn, user.id)
        .await?
        .into_iter()
        .map(|m| m.item.id)
        .collect();
    crate::media::release(&txn, clock, photos).await?;
    // In this transaction: a sign-up made meanwhile would go with the account (cascade)
    // without giving its place back.
    crate::events::shifts::forget_person(&txn, user.id).await?;
    // Their number, its consent records, messages and replies.
    crate::sms::consent::forget_person(&txn, user.id).await?;
    app_user::Entity::delete_by_id(user.id).exec(&txn).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, "account erased on request");
    Ok(())
}

/// Creates an administrator (`dorfapp create-admin`, or `DORFAPP_ADMIN_*` at start).
pub async fn create_admin(
    db: &DatabaseConnection,
    clock: &SharedClock,
    email: &str,
    password: &str,
) -> DomainResult<app_user::Model> {
    let input = NewAccount {
        email: email.to_owned(),
        password: password.to_owned(),
        display_name: "Administration".to_owned(),
        home_district_id: None,
        phone: None,
    };
    precheck_registration(db, &input).await?;
    let hash = hash_password(password).await?;
    let txn = db::begin_write(db).await?;
    let user = register_in(&txn, clock, &input, hash).await?;
    users::insert_assignment(&txn, clock, user.id, Role::Admin, Default::default()).await?;
    txn.commit().await?;
    Ok(user)
}

/// At start, inside the start-up transaction (so that instances starting together create it
/// once): creates the configured admin when the installation has no admin yet. The password
/// is hashed by the caller beforehand, outside the lock.
pub async fn ensure_admin_in(
    txn: &impl ConnectionTrait,
    clock: &SharedClock,
    email: &str,
    password: &str,
    password_hash: String,
) -> DomainResult<bool> {
    let admins = role_assignment::Entity::find()
        .filter(role_assignment::Column::Role.eq(Role::Admin))
        .count(txn)
        .await?;
    if admins > 0 {
        return Ok(false);
    }
    let input = NewAccount {
        email: email.to_owned(),
        password: password.to_owned(),
        display_name: "Administration".to_owned(),
        home_district_id: None,
        phone: None,
    };
    let exists = app_user::Entity::find()
        .filter(app_user::Column::EmailNormalized.eq(normalize_email(email)))
        .one(txn)
        .await?
        .is_some();
    if exists {
        // Promoting an account that someone registered would hand them the installation.
        tracing::error!(
            "DORFAPP_ADMIN_EMAIL belongs to an existing account without the admin role; no admin \
             was created. Use `dorfapp create-admin` with another email."
        );
        return Ok(false);
    }
    let user = register_in(txn, clock, &input, password_hash).await?;
    users::insert_assignment(txn, clock, user.id, Role::Admin, Default::default()).await?;
    Ok(true)
}
