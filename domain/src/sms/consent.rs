//! Who may be texted, and proof of it (Art. 7(1) DSGVO): a number receives messages only
//! after its owner opted in, either in the app with a code sent to the number and entered back,
//! or by the ride desk recording a consent given on the phone, in person or on paper. Every
//! consent and withdrawal is an appended `sms_consent` record (who, when, how, which wording);
//! the `rides_since`/`warnings_since` columns of the number are the current state, written with
//! their record.

use chrono::{DateTime, Duration, Utc};
use entity::{
    district, sms_consent, sms_inbound, sms_message, sms_recipient, sms_verification,
    vocab::{ConsentAction, ConsentMethod, QuotaKind, SmsKind, SmsPurpose},
};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::Sha256;
use uuid::Uuid;

use super::{
    SmsConfig,
    outbox::{self, NewSms},
};
use crate::{
    DomainError, DomainResult,
    auth::Actor,
    clock::SharedClock,
    contact::sms_number,
    db,
    error::Validator,
    quotas,
    text::{FieldError, Text, field},
};

/// The version of the consent wording read out or shown (`docs/sms.md`), kept with every
/// record: what the person agreed to.
pub const CONSENT_TEXT_VERSION: &str = "2026-12";
/// A code is six digits.
pub const CODE_PATTERN: &str = "^[0-9]{6}$";
/// How long a code can be entered.
pub const CODE_TTL: Duration = Duration::minutes(10);
/// Wrong entries before a code is void.
pub const CODE_MAX_TRIES: i32 = 5;
/// Codes a person may ask for a day.
pub const CODES_PER_PERSON_PER_DAY: u32 = 5;
/// Codes sent to one number a day, whoever asks (a number must not be flooded).
pub const CODES_PER_NUMBER_PER_DAY: u32 = 3;
/// Longest name the desk writes down.
pub const NAME_MAX: usize = 200;
/// Longest note with a consent record.
pub const NOTE_MAX: usize = 500;
/// Messages shown with a number.
const RECENT_MESSAGES: u64 = 20;

fn not_enabled() -> DomainError {
    DomainError::Conflict(Text::new(
        "Der SMS-Versand ist hier nicht eingerichtet.",
        "Text messages are not set up here.",
    ))
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Zu dieser Nummer ist nichts gespeichert.",
        "Nothing is kept for this number.",
    ))
}

fn require_desk(actor: &Actor) -> DomainResult<()> {
    if actor.is_admin() || actor.is_dispatcher() {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// The number as E.164, or a 422 on `field` saying why it cannot receive text messages.
pub fn number(config: &SmsConfig, field_name: &str, phone: &str) -> DomainResult<String> {
    sms_number(phone, &config.country_codes()).map_err(|problem| {
        DomainError::Validation(vec![FieldError::new(field_name, problem.text())])
    })
}

/// A number, what it agreed to, and the last messages.
#[derive(Clone, Debug)]
pub struct RecipientView {
    pub recipient: sms_recipient::Model,
    /// Oldest first.
    pub consents: Vec<sms_consent::Model>,
    /// Newest first, at most 20.
    pub messages: Vec<sms_message::Model>,
}

impl RecipientView {
    /// The purposes consented to now.
    pub fn purposes(&self) -> Vec<SmsPurpose> {
        purposes_of(&self.recipient)
    }
}

/// The purposes a number has consent for now (none after a STOP).
pub fn purposes_of(recipient: &sms_recipient::Model) -> Vec<SmsPurpose> {
    let mut purposes = Vec::new();
    if recipient.opted_out_at.is_none() {
        if recipient.rides_since.is_some() {
            purposes.push(SmsPurpose::Rides);
        }
        if recipient.warnings_since.is_some() {
            purposes.push(SmsPurpose::Warnings);
        }
    }
    purposes
}

async fn view(
    conn: &impl ConnectionTrait,
    recipient: sms_recipient::Model,
) -> DomainResult<RecipientView> {
    let consents = sms_consent::Entity::find()
        .filter(sms_consent::Column::RecipientId.eq(recipient.id))
        .order_by_asc(sms_consent::Column::At)
        .order_by_asc(sms_consent::Column::Id)
        .all(conn)
        .await?;
    let messages = sms_message::Entity::find()
        .filter(sms_message::Column::RecipientId.eq(recipient.id))
        .order_by_desc(sms_message::Column::CreatedAt)
        .order_by_desc(sms_message::Column::Id)
        .limit(RECENT_MESSAGES)
        .all(conn)
        .await?;
    Ok(RecipientView {
        recipient,
        consents,
        messages,
    })
}

/// One consent record, and the number's current state with it. Returns whether anything
/// changed: giving what is given, or withdrawing what is not, records nothing.
#[allow(clippy::too_many_arguments, reason = "each is part of the record")]
pub(crate) async fn record(
    txn: &DatabaseTransaction,
    recipient: &mut sms_recipient::Model,
    purpose: SmsPurpose,
    action: ConsentAction,
    method: ConsentMethod,
    recorded_by: Option<Uuid>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let current = match purpose {
        SmsPurpose::Rides => recipient.rides_since,
        SmsPurpose::Warnings => recipient.warnings_since,
    };
    let opted_out = recipient.opted_out_at.is_some();
    let changes = match action {
        // After a STOP a new consent counts even for a purpose that was never withdrawn.
        ConsentAction::Given => current.is_none() || opted_out,
        ConsentAction::Withdrawn => current.is_some(),
    };
    if !changes {
        return Ok(false);
    }
    let since = match action {
        ConsentAction::Given => Some(now),
        ConsentAction::Withdrawn => None,
    };
    let mut row = recipient.clone().into_active_model();
    match purpose {
        SmsPurpose::Rides => row.rides_since = Set(since),
        SmsPurpose::Warnings => row.warnings_since = Set(since),
    }
    if action == ConsentAction::Given {
        row.opted_out_at = Set(None);
    }
    row.updated_at = Set(now);
    *recipient = row.update(txn).await?;
    sms_consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        recipient_id: Set(recipient.id),
        purpose: Set(purpose),
        action: Set(action),
        method: Set(method),
        recorded_by: Set(recorded_by),
        at: Set(now),
        text_version: Set(CONSENT_TEXT_VERSION.into()),
        note: Set(note),
    }
    .insert(txn)
    .await?;
    Ok(true)
}

/// The number's row, created without any consent when it is new.
pub(crate) async fn find_or_create(
    txn: &DatabaseTransaction,
    e164: &str,
    now: DateTime<Utc>,
) -> DomainResult<(sms_recipient::Model, bool)> {
    let found = db::locked(
        sms_recipient::Entity::find().filter(sms_recipient::Column::E164.eq(e164)),
        txn,
    )
    .one(txn)
    .await?;
    if let Some(found) = found {
        return Ok((found, false));
    }
    let created = sms_recipient::ActiveModel {
        id: Set(Uuid::now_v7()),
        e164: Set(e164.to_owned()),
        user_id: Set(None),
        name: Set(None),
        district_id: Set(None),
        rides_since: Set(None),
        warnings_since: Set(None),
        opted_out_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok((created, true))
}

async fn check_district(
    conn: &impl ConnectionTrait,
    v: &mut Validator,
    district_id: Option<Uuid>,
) -> DomainResult<()> {
    if let Some(id) = district_id
        && district::Entity::find_by_id(id).one(conn).await?.is_none()
    {
        v.push(field(
            "district_id",
            "Diesen Ortsteil gibt es nicht.",
            "No such district.",
        ));
    }
    Ok(())
}

fn check_purposes(v: &mut Validator, purposes: &[SmsPurpose], district: Option<Uuid>) {
    v.check(
        !purposes.is_empty(),
        "purposes",
        "Bitte mindestens einen Zweck wählen: Fahrten oder Warnungen.",
        "Choose at least one purpose: rides or warnings.",
    );
    v.check(
        !purposes.contains(&SmsPurpose::Warnings) || district.is_some(),
        "district_id",
        "Für Warnungen bitte den Ortsteil angeben.",
        "Warnings need a district.",
    );
}

/// The welcome after a consent was recorded: says what comes and how to stop it, and shows
/// the desk that the number is right.
fn welcome_text(config: &SmsConfig, purposes: &[SmsPurpose], district: Option<&str>) -> String {
    let what = match (
        purposes.contains(&SmsPurpose::Rides),
        purposes.contains(&SmsPurpose::Warnings),
    ) {
        (true, true) => format!(
            "zu Ihren Fahrten und Warnungen für {}",
            district.unwrap_or("Ihren Ort")
        ),
        (false, true) => format!("mit Warnungen für {}", district.unwrap_or("Ihren Ort")),
        _ => "zu Ihren Fahrten".to_owned(),
    };
    let desk = config
        .ride_desk_phone
        .as_deref()
        .map(|phone| format!(" Fragen: {phone}"))
        .unwrap_or_default();
    format!("Dorf-App: Sie bekommen ab jetzt SMS {what}. Antwort STOP = keine SMS mehr.{desk}")
}

async fn queue_welcome(
    txn: &DatabaseTransaction,
    config: &SmsConfig,
    recipient: &sms_recipient::Model,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let district = match recipient.district_id {
        Some(id) => district::Entity::find_by_id(id)
            .one(txn)
            .await?
            .map(|d| d.name),
        None => None,
    };
    outbox::enqueue(
        txn,
        now,
        NewSms {
            recipient_id: recipient.id,
            kind: SmsKind::Welcome,
            text: welcome_text(config, &purposes_of(recipient), district.as_deref()),
            max_segments: 2,
            dedupe_key: None,
            ride_id: None,
            news_id: None,
            asks_reply: false,
            same_day: false,
            due_at: outbox::due_at(config, SmsKind::Welcome, now, None),
        },
    )
    .await?;
    Ok(())
}

/// Ways the desk can have been given a consent.
fn check_desk_method(v: &mut Validator, method: ConsentMethod) {
    v.check(
        matches!(
            method,
            ConsentMethod::DeskPhone
                | ConsentMethod::DeskInPerson
                | ConsentMethod::DeskWritten
                | ConsentMethod::Admin
        ),
        "method",
        "Hier nur desk_phone, desk_in_person, desk_written oder admin: Codes und STOP zeichnet das System selbst auf.",
        "Only desk_phone, desk_in_person, desk_written or admin here: codes and STOP are recorded by the system.",
    );
}

/// A consent the ride desk was given (on the phone, in person, on paper).
#[derive(Clone, Debug)]
pub struct DeskConsent {
    pub phone: String,
    pub name: Option<String>,
    pub district_id: Option<Uuid>,
    pub purposes: Vec<SmsPurpose>,
    pub method: ConsentMethod,
    pub note: Option<String>,
}

/// Records a consent the desk was given; the number gets a welcome message. Returns the
/// number's view and whether anything was recorded (a repeat records nothing and sends no
/// second welcome).
pub async fn record_desk_consent(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: &SmsConfig,
    actor: &Actor,
    input: DeskConsent,
) -> DomainResult<(RecipientView, bool)> {
    require_desk(actor)?;
    if !config.enabled {
        return Err(not_enabled());
    }
    let e164 = number(config, "phone", &input.phone)?;
    let name = crate::error::normalize_optional(input.name);
    let note = crate::error::normalize_optional(input.note);
    let mut v = Validator::new();
    v.optional_text("name", name.as_deref(), NAME_MAX);
    v.optional_text("note", note.as_deref(), NOTE_MAX);
    check_desk_method(&mut v, input.method);
    check_district(db, &mut v, input.district_id).await?;
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let (mut recipient, _) = find_or_create(&txn, &e164, now).await?;
    check_purposes(
        &mut v,
        &input.purposes,
        input.district_id.or(recipient.district_id),
    );
    v.finish()?;
    if name.is_some() || input.district_id.is_some() {
        let mut row = recipient.clone().into_active_model();
        if let Some(name) = name {
            row.name = Set(Some(name));
        }
        if let Some(district) = input.district_id {
            row.district_id = Set(Some(district));
        }
        row.updated_at = Set(now);
        recipient = row.update(&txn).await?;
    }
    let mut changed = false;
    for purpose in dedup(&input.purposes) {
        changed |= record(
            &txn,
            &mut recipient,
            purpose,
            ConsentAction::Given,
            input.method,
            Some(actor.user_id),
            note.clone(),
            now,
        )
        .await?;
    }
    if changed {
        queue_welcome(&txn, config, &recipient, now).await?;
    }
    let view = view(&txn, recipient).await?;
    txn.commit().await?;
    Ok((view, changed))
}

fn dedup(purposes: &[SmsPurpose]) -> Vec<SmsPurpose> {
    let mut purposes = purposes.to_vec();
    purposes.sort();
    purposes.dedup();
    purposes
}

/// The number's view, found by the number in any format (the desk's lookup).
pub async fn find(
    db: &DatabaseConnection,
    config: &SmsConfig,
    actor: &Actor,
    phone: &str,
) -> DomainResult<RecipientView> {
    require_desk(actor)?;
    let e164 = number(config, "phone", phone)?;
    let recipient = sms_recipient::Entity::find()
        .filter(sms_recipient::Column::E164.eq(e164))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    view(db, recipient).await
}

/// The number's view by id.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> DomainResult<RecipientView> {
    require_desk(actor)?;
    let recipient = sms_recipient::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    view(db, recipient).await
}

/// One more record for a number the desk knows: a consent given or withdrawn on the phone.
/// Returns the view and whether it changed anything.
#[allow(clippy::too_many_arguments, reason = "each is part of the record")]
pub async fn add_desk_record(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: &SmsConfig,
    actor: &Actor,
    id: Uuid,
    purpose: SmsPurpose,
    action: ConsentAction,
    method: ConsentMethod,
    note: Option<String>,
) -> DomainResult<(RecipientView, bool)> {
    require_desk(actor)?;
    let note = crate::error::normalize_optional(note);
    let mut v = Validator::new();
    v.optional_text("note", note.as_deref(), NOTE_MAX);
    check_desk_method(&mut v, method);
    let txn = db::begin_write(db).await?;
    let mut recipient = db::locked(sms_recipient::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if action == ConsentAction::Given {
        if !config.enabled {
            return Err(not_enabled());
        }
        check_purposes(&mut v, &[purpose], recipient.district_id);
    }
    v.finish()?;
    let now = clock.now();
    let changed = record(
        &txn,
        &mut recipient,
        purpose,
        action,
        method,
        Some(actor.user_id),
        note,
        now,
    )
    .await?;
    if changed && action == ConsentAction::Given {
        queue_welcome(&txn, config, &recipient, now).await?;
    }
    let view = view(&txn, recipient).await?;
    txn.commit().await?;
    Ok((view, changed))
}

/// Erases a number without an account and everything kept about it (Art. 17 DSGVO, asked on
/// the phone): consent records, messages, replies, codes. A resident's own number goes with
/// their account, or when they withdraw it in the app.
pub async fn erase(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> DomainResult<()> {
    require_desk(actor)?;
    let txn = db::begin_write(db).await?;
    let recipient = db::locked(sms_recipient::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if recipient.user_id.is_some() {
        return Err(DomainError::Conflict(Text::new(
            "Diese Nummer gehört zu einem Konto: die Person kann sie in der App entfernen oder ihr Konto löschen.",
            "This number belongs to an account: its owner removes it in the app or deletes the account.",
        )));
    }
    erase_number(&txn, &recipient).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a number's row (its records and messages cascade) and what names it elsewhere.
pub(crate) async fn erase_number(
    txn: &DatabaseTransaction,
    recipient: &sms_recipient::Model,
) -> DomainResult<()> {
    sms_inbound::Entity::delete_many()
        .filter(sms_inbound::Column::FromE164.eq(&recipient.e164))
        .exec(txn)
        .await?;
    sms_verification::Entity::delete_many()
        .filter(sms_verification::Column::E164.eq(&recipient.e164))
        .exec(txn)
        .await?;
    sms_recipient::Entity::delete_by_id(recipient.id)
        .exec(txn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A resident's own number

/// What a resident sees of their text messages.
#[derive(Clone, Debug)]
pub struct MySms {
    /// Whether this installation sends text messages at all.
    pub enabled: bool,
    /// Their confirmed number, if any.
    pub recipient: Option<sms_recipient::Model>,
    /// A code sent and not yet entered: to which number, and until when.
    pub pending: Option<(String, DateTime<Utc>)>,
}

pub async fn mine(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    config: &SmsConfig,
    user_id: Uuid,
) -> DomainResult<MySms> {
    let recipient = sms_recipient::Entity::find()
        .filter(sms_recipient::Column::UserId.eq(user_id))
        .one(conn)
        .await?;
    let pending = sms_verification::Entity::find()
        .filter(sms_verification::Column::UserId.eq(user_id))
        .filter(sms_verification::Column::ExpiresAt.gt(clock.now()))
        .one(conn)
        .await?
        .map(|v| (v.e164, v.expires_at));
    Ok(MySms {
        enabled: config.enabled,
        recipient,
        pending,
    })
}

fn code_hash(key: &[u8], verification: Uuid, code: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(b"dorfapp sms code\n");
    mac.update(verification.as_bytes());
    mac.update(code.as_bytes());
    mac
}

fn new_code() -> DomainResult<String> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|err| DomainError::Internal(err.to_string()))?;
    Ok(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

/// Sends a code to the number a resident gave; entered back with [`verify_code`], it
/// records the consent to `purposes`. Returns when the code expires.
#[allow(clippy::too_many_arguments, reason = "the request's parts")]
pub async fn request_code(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: &SmsConfig,
    code_key: &[u8],
    user_id: Uuid,
    phone: &str,
    purposes: Vec<SmsPurpose>,
    district_id: Option<Uuid>,
) -> DomainResult<(String, DateTime<Utc>)> {
    if !config.enabled {
        return Err(not_enabled());
    }
    let e164 = number(config, "phone", phone)?;
    let mut v = Validator::new();
    check_district(db, &mut v, district_id).await?;
    check_purposes(&mut v, &purposes, district_id);
    v.finish()?;
    let code = new_code()?;
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    for key in [format!("user:{user_id}"), format!("number:{e164}")] {
        let limit = if key.starts_with("user:") {
            CODES_PER_PERSON_PER_DAY
        } else {
            CODES_PER_NUMBER_PER_DAY
        };
        quotas::lock(&txn, &key).await?;
        quotas::use_one(
            &txn,
            QuotaKind::SmsCode,
            &key,
            limit,
            Duration::days(1),
            now,
            || {
                Text::new(
                    "Heute wurden schon genug Codes gesendet. Bitte morgen wieder versuchen.",
                    "Enough codes were sent today. Please try again tomorrow.",
                )
            },
        )
        .await?;
    }
    let (recipient, _) = find_or_create(&txn, &e164, now).await?;
    sms_verification::Entity::delete_many()
        .filter(sms_verification::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    let id = Uuid::now_v7();
    let expires_at = now + CODE_TTL;
    sms_verification::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        e164: Set(e164.clone()),
        code_hash: Set(hex::encode(
            code_hash(code_key, id, &code).finalize().into_bytes(),
        )),
        purposes: Set(serde_json::to_string(&dedup(&purposes)).unwrap_or_else(|_| "[]".into())),
        district_id: Set(district_id),
        expires_at: Set(expires_at),
        attempts: Set(0),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    outbox::enqueue(
        &txn,
        now,
        NewSms {
            recipient_id: recipient.id,
            kind: SmsKind::Code,
            text: format!(
                "Ihr Code für die Dorf-App: {code}. Er gilt 10 Minuten. Nicht angefordert? Dann einfach nicht beachten."
            ),
            max_segments: 1,
            dedupe_key: None,
            ride_id: None,
            news_id: None,
            asks_reply: false,
            same_day: false,
            due_at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok((e164, expires_at))
}

/// Checks the code a resident entered; when it matches, the number becomes theirs and the
/// consent is recorded (`sms_code`). A number held by another account moves to this one: they
/// just proved to hold the phone.
pub async fn verify_code(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: &SmsConfig,
    code_key: &[u8],
    user_id: Uuid,
    code: &str,
) -> DomainResult<MySms> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::Validation(vec![field(
            "code",
            "Der Code hat sechs Ziffern.",
            "The code has six digits.",
        )]));
    }
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let no_code = || {
        DomainError::Conflict(Text::new(
            "Es gibt keinen gültigen Code: bitte einen neuen anfordern.",
            "There is no valid code: please ask for a new one.",
        ))
    };
    let verification = db::locked(
        sms_verification::Entity::find().filter(sms_verification::Column::UserId.eq(user_id)),
        &txn,
    )
    .one(&txn)
    .await?
    .ok_or_else(no_code)?;
    if verification.expires_at <= now {
        sms_verification::Entity::delete_by_id(verification.id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        return Err(no_code());
    }
    let expected = hex::decode(&verification.code_hash).unwrap_or_default();
    if code_hash(code_key, verification.id, code)
        .verify_slice(&expected)
        .is_err()
    {
        let attempts = verification.attempts + 1;
        if attempts >= CODE_MAX_TRIES {
            sms_verification::Entity::delete_by_id(verification.id)
                .exec(&txn)
                .await?;
            txn.commit().await?;
            return Err(DomainError::Conflict(Text::new(
                "Zu viele falsche Versuche: der Code gilt nicht mehr. Bitte einen neuen anfordern.",
                "Too many wrong tries: the code is void. Please ask for a new one.",
            )));
        }
        let mut row = verification.into_active_model();
        row.attempts = Set(attempts);
        row.update(&txn).await?;
        txn.commit().await?;
        return Err(DomainError::Validation(vec![FieldError::new(
            "code",
            Text::new(
                format!(
                    "Der Code stimmt nicht. Noch {} Versuche.",
                    CODE_MAX_TRIES - attempts
                ),
                format!(
                    "The code is wrong. {} tries left.",
                    CODE_MAX_TRIES - attempts
                ),
            ),
        )]));
    }
    sms_verification::Entity::delete_by_id(verification.id)
        .exec(&txn)
        .await?;
    // The resident's earlier number, if another: its consents end, and it is theirs no more.
    let earlier = sms_recipient::Entity::find()
        .filter(sms_recipient::Column::UserId.eq(user_id))
        .filter(sms_recipient::Column::E164.ne(&verification.e164))
        .one(&txn)
        .await?;
    if let Some(mut earlier) = earlier {
        withdraw_all(&txn, &mut earlier, ConsentMethod::App, None, now).await?;
        let mut row = earlier.into_active_model();
        row.user_id = Set(None);
        row.update(&txn).await?;
    }
    let (mut recipient, _) = find_or_create(&txn, &verification.e164, now).await?;
    // The number was another account's (it changed hands): what that person agreed to ends
    // here; only what this resident asks for is given.
    if recipient.user_id.is_some_and(|owner| owner != user_id) {
        withdraw_all(&txn, &mut recipient, ConsentMethod::App, None, now).await?;
    }
    let mut row = recipient.into_active_model();
    row.user_id = Set(Some(user_id));
    if verification.district_id.is_some() {
        row.district_id = Set(verification.district_id);
    }
    row.updated_at = Set(now);
    let mut recipient = row.update(&txn).await?;
    let purposes: Vec<SmsPurpose> =
        serde_json::from_str(&verification.purposes).unwrap_or_default();
    for purpose in purposes {
        record(
            &txn,
            &mut recipient,
            purpose,
            ConsentAction::Given,
            ConsentMethod::SmsCode,
            None,
            None,
            now,
        )
        .await?;
    }
    let mine = mine(&txn, clock, config, user_id).await?;
    txn.commit().await?;
    Ok(mine)
}

/// Withdraws every purpose of a number (records for those that were given).
pub(crate) async fn withdraw_all(
    txn: &DatabaseTransaction,
    recipient: &mut sms_recipient::Model,
    method: ConsentMethod,
    recorded_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    for purpose in [SmsPurpose::Rides, SmsPurpose::Warnings] {
        record(
            txn,
            recipient,
            purpose,
            ConsentAction::Withdrawn,
            method,
            recorded_by,
            None,
            now,
        )
        .await?;
    }
    Ok(())
}

fn no_number() -> DomainError {
    DomainError::Conflict(Text::new(
        "Es ist noch keine Handynummer bestätigt.",
        "No mobile number is confirmed yet.",
    ))
}

/// A resident changes what their confirmed number receives, or its district.
pub async fn update_mine(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: &SmsConfig,
    user_id: Uuid,
    purposes: Option<Vec<SmsPurpose>>,
    district_id: Option<Uuid>,
) -> DomainResult<MySms> {
    let mut v = Validator::new();
    check_district(db, &mut v, district_id).await?;
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let mut recipient = db::locked(
        sms_recipient::Entity::find().filter(sms_recipient::Column::UserId.eq(user_id)),
        &txn,
    )
    .one(&txn)
    .await?
    .ok_or_else(no_number)?;
    let wanted = purposes.unwrap_or_else(|| purposes_of(&recipient));
    let district = district_id.or(recipient.district_id);
    v.check(
        !wanted.contains(&SmsPurpose::Warnings) || district.is_some(),
        "district_id",
        "Für Warnungen bitte den Ortsteil angeben.",
        "Warnings need a district.",
    );
    v.finish()?;
    if wanted.iter().any(|p| !purposes_of(&recipient).contains(p)) && !config.enabled {
        return Err(not_enabled());
    }
    if let Some(district) = district_id {
        let mut row = recipient.clone().into_active_model();
        row.district_id = Set(Some(district));
        row.updated_at = Set(now);
        recipient = row.update(&txn).await?;
    }
    for purpose in [SmsPurpose::Rides, SmsPurpose::Warnings] {
        let action = if wanted.contains(&purpose) {
            ConsentAction::Given
        } else {
            ConsentAction::Withdrawn
        };
        record(
            &txn,
            &mut recipient,
            purpose,
            action,
            ConsentMethod::App,
            None,
            None,
            now,
        )
        .await?;
    }
    let mine = mine(&txn, clock, config, user_id).await?;
    txn.commit().await?;
    Ok(mine)
}

/// A resident withdraws every consent of their number. The records stay (proof of what was
/// agreed and when it ended); the number itself goes with the account.
pub async fn withdraw_mine(
    db: &DatabaseConnection,
    clock: &SharedClock,
    user_id: Uuid,
) -> DomainResult<()> {
    let txn = db::begin_write(db).await?;
    if let Some(mut recipient) = db::locked(
        sms_recipient::Entity::find().filter(sms_recipient::Column::UserId.eq(user_id)),
        &txn,
    )
    .one(&txn)
    .await?
    {
        withdraw_all(&txn, &mut recipient, ConsentMethod::App, None, clock.now()).await?;
    }
    sms_verification::Entity::delete_many()
        .filter(sms_verification::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Everything kept about a person's number, for their data export.
#[derive(Clone, Debug)]
pub struct SmsExport {
    pub view: RecipientView,
    /// All messages, oldest first (the view holds only the last 20).
    pub messages: Vec<sms_message::Model>,
    pub inbound: Vec<sms_inbound::Model>,
}

pub async fn export(db: &DatabaseConnection, user_id: Uuid) -> DomainResult<Option<SmsExport>> {
    let Some(recipient) = sms_recipient::Entity::find()
        .filter(sms_recipient::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let messages = sms_message::Entity::find()
        .filter(sms_message::Column::RecipientId.eq(recipient.id))
        .order_by_asc(sms_message::Column::CreatedAt)
        .all(db)
        .await?;
    let inbound = sms_inbound::Entity::find()
        .filter(sms_inbound::Column::FromE164.eq(&recipient.e164))
        .order_by_asc(sms_inbound::Column::ReceivedAt)
        .all(db)
        .await?;
    let view = view(db, recipient).await?;
    Ok(Some(SmsExport {
        view,
        messages,
        inbound,
    }))
}

/// Before an account is deleted: what names its number outside the cascade (replies, codes)
/// goes too; the number's row, records and messages go by cascade with the account.
pub async fn forget_person(txn: &DatabaseTransaction, user_id: Uuid) -> DomainResult<()> {
    if let Some(recipient) = sms_recipient::Entity::find()
        .filter(sms_recipient::Column::UserId.eq(user_id))
        .one(txn)
        .await?
    {
        erase_number(txn, &recipient).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_fits_and_names_what_comes() {
        let config = SmsConfig {
            ride_desk_phone: Some("039483 1234".into()),
            ..SmsConfig::default()
        };
        let text = welcome_text(
            &config,
            &[SmsPurpose::Rides, SmsPurpose::Warnings],
            Some("Rieder"),
        );
        assert!(text.contains("Fahrten und Warnungen für Rieder"), "{text}");
        assert!(text.contains("STOP"));
        assert!(text.ends_with("Fragen: 039483 1234"));
        assert!(::sms::gsm::segments(&::sms::gsm::transliterate(&text)) <= 2);
    }

    #[test]
    fn codes_are_six_digits_and_hashed_per_verification() {
        for _ in 0..100 {
            let code = new_code().unwrap();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        let a = code_hash(b"key", Uuid::nil(), "123456")
            .finalize()
            .into_bytes();
        let b = code_hash(b"key", Uuid::max(), "123456")
            .finalize()
            .into_bytes();
        assert_ne!(a, b, "the same code hashes differently per verification");
    }
}
