//! `/api/v1/me/sms`, `/api/v1/sms/…`: text messages for the people the app does not reach
//! (issue 21, `docs/sms.md`). A resident confirms their own mobile number with a code; the ride
//! desk records a consent given on the phone; the provider's webhooks report deliveries and
//! bring replies ("1", "2", STOP). The rules are in `domain::sms` and `domain::sms_replies`;
//! this module is HTTP only.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::{JsonBody, SignedJson},
    edge::no_store,
    types::{NoContent, Timestamp},
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ErrorCode, Text},
    state::AppState,
};
use domain::sms::consent::{self, DeskConsent, MySms, RecipientView};
use entity::vocab::{
    ConsentAction, ConsentMethod, SmsKind, SmsPurpose, SmsStatus, SmsWebhookOutcome,
};

fn example_time(at: &str) -> Timestamp {
    Timestamp::example(at)
}

fn example_id(id: &str) -> Uuid {
    Uuid::parse_str(id).unwrap_or_default()
}

/// What the signed-in resident receives by text message.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct MySmsSettings {
    /// Whether this installation sends text messages at all. While `false`, asking for a code
    /// answers 409.
    pub enabled: bool,
    /// The confirmed mobile number in E.164, or null while none is confirmed.
    #[oai(nullable)]
    pub phone: Option<String>,
    /// The district whose warnings the number receives, or null.
    #[oai(nullable)]
    pub district_id: Option<Uuid>,
    /// What the number receives now: `rides` (messages about the resident's own rides) and
    /// `warnings` (warnings of the district). Empty after a withdrawal or a STOP.
    pub purposes: Vec<SmsPurpose>,
    /// When the number answered STOP, or null. Nothing is sent until a consent is given again
    /// (a new code, or `PATCH /me/sms`).
    #[oai(nullable)]
    pub opted_out_at: Option<Timestamp>,
    /// A code was sent to this number and waits to be entered, or null.
    #[oai(nullable)]
    pub code_sent_to: Option<String>,
    /// Until when that code can be entered, or null.
    #[oai(nullable)]
    pub code_expires_at: Option<Timestamp>,
}

impl poem_openapi::types::Example for MySmsSettings {
    fn example() -> Self {
        Self {
            enabled: true,
            phone: Some("+491711234567".into()),
            district_id: Some(example_id("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f")),
            purposes: vec![SmsPurpose::Rides, SmsPurpose::Warnings],
            opted_out_at: None,
            code_sent_to: None,
            code_expires_at: None,
        }
    }
}

impl From<MySms> for MySmsSettings {
    fn from(mine: MySms) -> Self {
        let (code_sent_to, code_expires_at) = match mine.pending {
            Some((to, until)) => (Some(to), Some(until.into())),
            None => (None, None),
        };
        let purposes = mine
            .recipient
            .as_ref()
            .map(consent::purposes_of)
            .unwrap_or_default();
        Self {
            enabled: mine.enabled,
            phone: mine.recipient.as_ref().map(|r| r.e164.clone()),
            district_id: mine.recipient.as_ref().and_then(|r| r.district_id),
            purposes,
            opted_out_at: mine
                .recipient
                .as_ref()
                .and_then(|r| r.opted_out_at)
                .map(Into::into),
            code_sent_to,
            code_expires_at,
        }
    }
}

/// A mobile number to confirm, and what it should receive.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct RequestSmsCode {
    /// A mobile number as people write it: `0171 1234567`, `+49 171 1234567`,
    /// `0049-171-1234567`. Landlines cannot receive text messages (422).
    pub phone: String,
    /// What it should receive once confirmed: `rides`, `warnings`, or both.
    pub purposes: Vec<SmsPurpose>,
    /// The district whose warnings it receives; required with `warnings`.
    #[oai(nullable)]
    pub district_id: Option<Uuid>,
}

impl poem_openapi::types::Example for RequestSmsCode {
    fn example() -> Self {
        Self {
            phone: "0171 1234567".into(),
            purposes: vec![SmsPurpose::Rides, SmsPurpose::Warnings],
            district_id: Some(example_id("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f")),
        }
    }
}

/// A code is on its way.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct SmsCodeSent {
    /// The number it goes to, in E.164.
    pub phone: String,
    /// Until when it can be entered (ten minutes).
    pub expires_at: Timestamp,
}

impl poem_openapi::types::Example for SmsCodeSent {
    fn example() -> Self {
        Self {
            phone: "+491711234567".into(),
            expires_at: example_time("2026-12-07T09:40:00Z"),
        }
    }
}

/// The code from the text message.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct VerifySmsCode {
    /// Six digits.
    pub code: String,
}

impl poem_openapi::types::Example for VerifySmsCode {
    fn example() -> Self {
        Self {
            code: "482913".into(),
        }
    }
}

/// Changes to what the confirmed number receives; absent fields stay.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct UpdateMySms {
    /// What it should receive from now on (an empty list withdraws everything).
    #[oai(skip_serializing_if_is_none)]
    pub purposes: Option<Vec<SmsPurpose>>,
    /// Another district for warnings.
    #[oai(skip_serializing_if_is_none)]
    pub district_id: Option<Uuid>,
}

impl poem_openapi::types::Example for UpdateMySms {
    fn example() -> Self {
        Self {
            purposes: Some(vec![SmsPurpose::Rides]),
            district_id: None,
        }
    }
}

/// A consent the ride desk was given, to record.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct RecordSmsConsent {
    /// The mobile number, as the caller said it.
    pub phone: String,
    /// The person's name, for a number without an account.
    #[oai(nullable)]
    pub name: Option<String>,
    /// The district whose warnings it receives; required with `warnings`.
    #[oai(nullable)]
    pub district_id: Option<Uuid>,
    /// What was agreed to: `rides`, `warnings`, or both.
    pub purposes: Vec<SmsPurpose>,
    /// How: `desk_phone` (the consent text read out on the phone), `desk_in_person`,
    /// `desk_written`, or `admin`.
    pub method: ConsentMethod,
    /// What the desk wants kept with the record ("Tochter am Telefon, mit Einverständnis").
    #[oai(nullable)]
    pub note: Option<String>,
}

impl poem_openapi::types::Example for RecordSmsConsent {
    fn example() -> Self {
        Self {
            phone: "0171 1234567".into(),
            name: Some("Erna Schulze".into()),
            district_id: Some(example_id("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f")),
            purposes: vec![SmsPurpose::Rides],
            method: ConsentMethod::DeskPhone,
            note: Some("Einwilligungstext vorgelesen, Frau Schulze hat zugestimmt.".into()),
        }
    }
}

/// A consent given or withdrawn, to add to a number's records.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct AddSmsConsentRecord {
    /// Which purpose.
    pub purpose: SmsPurpose,
    /// Given or withdrawn.
    pub action: ConsentAction,
    /// How the desk was told: `desk_phone`, `desk_in_person`, `desk_written` or `admin`.
    pub method: ConsentMethod,
    /// What the desk wants kept with the record.
    #[oai(nullable)]
    pub note: Option<String>,
}

impl poem_openapi::types::Example for AddSmsConsentRecord {
    fn example() -> Self {
        Self {
            purpose: SmsPurpose::Rides,
            action: ConsentAction::Withdrawn,
            method: ConsentMethod::DeskPhone,
            note: Some("Möchte keine SMS mehr, ruft lieber an.".into()),
        }
    }
}

/// One consent record: who agreed to what, when, how, and who wrote it down.
#[derive(Object, Clone, Debug)]
pub struct SmsConsentRecord {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// Which purpose.
    pub purpose: SmsPurpose,
    /// Given or withdrawn.
    pub action: ConsentAction,
    /// How: a code entered (`sms_code`), in the app (`app`), at the desk (`desk_phone`,
    /// `desk_in_person`, `desk_written`), a STOP (`sms_stop`), or by an admin (`admin`).
    pub method: ConsentMethod,
    /// The desk person or admin who recorded it; null when the person acted themselves.
    #[oai(nullable)]
    pub recorded_by: Option<Uuid>,
    /// When.
    pub at: Timestamp,
    /// The version of the consent text that was read out or shown (`docs/sms.md`).
    pub text_version: String,
    /// What the desk noted, or null.
    #[oai(nullable)]
    pub note: Option<String>,
}

impl From<entity::sms_consent::Model> for SmsConsentRecord {
    fn from(m: entity::sms_consent::Model) -> Self {
        Self {
            id: m.id,
            purpose: m.purpose,
            action: m.action,
            method: m.method,
            recorded_by: m.recorded_by,
            at: m.at.into(),
            text_version: m.text_version,
            note: m.note,
        }
    }
}

/// A text message sent (or to be sent) to a number.
#[derive(Object, Clone, Debug)]
pub struct SmsMessageSummary {
    /// Stable identifier (UUID v7); the provider's reports name it.
    pub id: Uuid,
    /// What it is about.
    pub kind: SmsKind,
    /// Where it stands: `pending`, `sent`, `delivered`, `undelivered`, `failed`, `dead`,
    /// `over_budget`, `cancelled`.
    pub status: SmsStatus,
    /// The text as sent.
    pub text: String,
    /// Billed segments (160 characters each, 153 when concatenated).
    pub segments: i32,
    /// The ride it is about, or null.
    #[oai(nullable)]
    pub ride_id: Option<Uuid>,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When the provider took it, or null.
    #[oai(nullable)]
    pub sent_at: Option<Timestamp>,
    /// When the provider reported it delivered to the phone, or null.
    #[oai(nullable)]
    pub delivered_at: Option<Timestamp>,
}

impl From<entity::sms_message::Model> for SmsMessageSummary {
    fn from(m: entity::sms_message::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            status: m.status,
            text: m.body,
            segments: m.segments,
            ride_id: m.ride_id,
            created_at: m.created_at.into(),
            sent_at: m.sent_at.map(Into::into),
            delivered_at: m.delivered_at.map(Into::into),
        }
    }
}

/// A number the system may text, what it agreed to, and what it was sent.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct SmsRecipient {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// The number in E.164.
    pub phone: String,
    /// The name the desk wrote down, or null.
    #[oai(nullable)]
    pub name: Option<String>,
    /// Whether the number is a resident's own confirmed number (then only they, or the
    /// deletion of their account, erase it).
    pub has_account: bool,
    /// The district whose warnings it receives, or null.
    #[oai(nullable)]
    pub district_id: Option<Uuid>,
    /// What it receives now (empty after a withdrawal or a STOP).
    pub purposes: Vec<SmsPurpose>,
    /// When it answered STOP, or null.
    #[oai(nullable)]
    pub opted_out_at: Option<Timestamp>,
    /// Every consent record, oldest first.
    pub consents: Vec<SmsConsentRecord>,
    /// The last 20 messages, newest first.
    pub messages: Vec<SmsMessageSummary>,
    /// When the number was first recorded.
    pub created_at: Timestamp,
}

impl poem_openapi::types::Example for SmsRecipient {
    fn example() -> Self {
        let id = example_id("0193b7a1-2c3d-7e4f-8a9b-0c1d2e3f4a5b");
        Self {
            id,
            phone: "+491711234567".into(),
            name: Some("Erna Schulze".into()),
            has_account: false,
            district_id: Some(example_id("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f")),
            purposes: vec![SmsPurpose::Rides],
            opted_out_at: None,
            consents: vec![SmsConsentRecord {
                id: example_id("0193b7a1-2c3d-7e4f-8a9b-0c1d2e3f4a5c"),
                purpose: SmsPurpose::Rides,
                action: ConsentAction::Given,
                method: ConsentMethod::DeskPhone,
                recorded_by: Some(example_id("0193b7a1-2c3d-7e4f-8a9b-0c1d2e3f4a5d")),
                at: example_time("2026-12-07T09:30:00Z"),
                text_version: consent::CONSENT_TEXT_VERSION.into(),
                note: Some("Einwilligungstext vorgelesen, Frau Schulze hat zugestimmt.".into()),
            }],
            messages: vec![SmsMessageSummary {
                id: example_id("0193b7a1-2c3d-7e4f-8a9b-0c1d2e3f4a5e"),
                kind: SmsKind::Welcome,
                status: SmsStatus::Delivered,
                text: "Dorf-App: Sie bekommen ab jetzt SMS zu Ihren Fahrten. Antwort STOP = keine SMS mehr. Fragen: 039483 1234".into(),
                segments: 1,
                ride_id: None,
                created_at: example_time("2026-12-07T09:30:00Z"),
                sent_at: Some(example_time("2026-12-07T09:30:01Z")),
                delivered_at: Some(example_time("2026-12-07T09:30:05Z")),
            }],
            created_at: example_time("2026-12-07T09:30:00Z"),
        }
    }
}

impl From<RecipientView> for SmsRecipient {
    fn from(view: RecipientView) -> Self {
        let purposes = view.purposes();
        let r = view.recipient;
        Self {
            id: r.id,
            phone: r.e164,
            name: r.name,
            has_account: r.user_id.is_some(),
            district_id: r.district_id,
            purposes,
            opted_out_at: r.opted_out_at.map(Into::into),
            consents: view.consents.into_iter().map(Into::into).collect(),
            messages: view.messages.into_iter().map(Into::into).collect(),
            created_at: r.created_at.into(),
        }
    }
}

#[derive(ApiResponse)]
pub enum SmsCodeRequested {
    /// The code is on its way; enter it with `POST /me/sms/verify` within ten minutes.
    #[oai(status = 202)]
    Accepted(Json<SmsCodeSent>),
}

#[derive(ApiResponse)]
pub enum ConsentRecorded {
    /// Recorded; the number gets a welcome message that says what comes and how to stop it.
    #[oai(status = 201)]
    Created(Json<SmsRecipient>),
    /// Was recorded already; nothing new recorded, no second welcome.
    #[oai(status = 200)]
    Unchanged(Json<SmsRecipient>),
}

impl ConsentRecorded {
    fn of((view, changed): (RecipientView, bool)) -> Self {
        if changed {
            Self::Created(Json(view.into()))
        } else {
            Self::Unchanged(Json(view.into()))
        }
    }
}

/// What a webhook did.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct WebhookReceived {
    /// `processed`; `resend` when the same message came again (acted on once); `ignored` for
    /// an event or message this server does not know.
    pub outcome: SmsWebhookOutcome,
}

impl poem_openapi::types::Example for WebhookReceived {
    fn example() -> Self {
        Self {
            outcome: SmsWebhookOutcome::Processed,
        }
    }
}

/// seven.io's delivery report (`webhook_event: dlr`), as its documentation describes it.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct SevenStatusReport {
    /// `dlr`.
    pub webhook_event: String,
    /// When seven.io sent it.
    pub webhook_timestamp: Option<String>,
    /// The report.
    pub data: SevenStatusData,
}

/// The report's data.
#[derive(Object, Clone, Debug)]
pub struct SevenStatusData {
    /// seven.io's id of the message, from its answer to the send request.
    pub msg_id: String,
    /// `DELIVERED`, `NOTDELIVERED`, `BUFFERED`, `TRANSMITTED`, `ACCEPTED`, `EXPIRED`,
    /// `REJECTED`, `FAILED` or `UNKNOWN`.
    pub status: String,
    /// When the status was reached.
    pub status_time: Option<String>,
}

impl poem_openapi::types::Example for SevenStatusReport {
    fn example() -> Self {
        Self {
            webhook_event: "dlr".into(),
            webhook_timestamp: Some("2026-12-07 09:30:05".into()),
            data: SevenStatusData {
                msg_id: "77149843739".into(),
                status: "DELIVERED".into(),
                status_time: Some("2026-12-07 09:30:05".into()),
            },
        }
    }
}

/// A message to our number (`webhook_event: sms_mo`), as seven.io's documentation describes
/// it.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct SevenInbound {
    /// `sms_mo`.
    pub webhook_event: String,
    /// When seven.io sent it.
    pub webhook_timestamp: Option<String>,
    /// The message.
    pub data: SevenInboundData,
}

/// The inbound message's data.
#[derive(Object, Clone, Debug)]
pub struct SevenInboundData {
    /// seven.io's id of it (a retried webhook carries the same; it is acted on once).
    pub id: String,
    /// The sender's number, international digits without `+`.
    pub sender: String,
    /// Our number it was sent to.
    pub system: String,
    /// The text.
    pub text: String,
    /// When it arrived (Unix seconds).
    pub time: Option<i64>,
}

impl poem_openapi::types::Example for SevenInbound {
    fn example() -> Self {
        Self {
            webhook_event: "sms_mo".into(),
            webhook_timestamp: Some("2026-12-07 09:31:00".into()),
            data: SevenInboundData {
                id: "681590".into(),
                sender: "491711234567".into(),
                system: "4915799912345".into(),
                text: "2".into(),
                time: Some(1_796_031_060),
            },
        }
    }
}

/// Messages and segments of one kind this month.
#[derive(Object, Clone, Debug)]
pub struct SmsUsage {
    /// What kind of message.
    pub kind: SmsKind,
    /// Messages sent.
    pub messages: i32,
    /// Segments billed.
    pub segments: i32,
}

/// A message given up after its last attempt.
#[derive(Object, Clone, Debug)]
pub struct SmsDeadLetter {
    /// The message's id.
    pub id: Uuid,
    /// What it was about.
    pub kind: SmsKind,
    /// The number, masked: `+49171••••567`.
    pub number: String,
    /// Attempts made.
    pub attempts: i32,
    /// The provider's last answer or the failure, or null.
    #[oai(nullable)]
    pub last_error: Option<String>,
    /// When it was given up.
    pub given_up_at: Timestamp,
}

/// Where the text messages stand this month.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct SmsStatusReport {
    /// Whether a provider is configured.
    pub enabled: bool,
    /// The month counted, local (`2026-12`).
    pub month: String,
    /// The month's budget in segments (`DORFAPP_SMS_MONTHLY_BUDGET`). Above it only warnings,
    /// ride changes for the same day, codes and answers to replies go out.
    pub budget_segments: u32,
    /// Segments billed this month.
    pub used_segments: u64,
    /// Per kind, this month.
    pub by_kind: Vec<SmsUsage>,
    /// Messages waiting to be sent (quiet hours, retries).
    pub pending: u64,
    /// Messages not sent because the budget was used up.
    pub over_budget: u64,
    /// The 20 latest messages given up.
    pub dead: Vec<SmsDeadLetter>,
}

impl poem_openapi::types::Example for SmsStatusReport {
    fn example() -> Self {
        Self {
            enabled: true,
            month: "2026-12".into(),
            budget_segments: 500,
            used_segments: 137,
            by_kind: vec![
                SmsUsage {
                    kind: SmsKind::RideConfirmed,
                    messages: 41,
                    segments: 41,
                },
                SmsUsage {
                    kind: SmsKind::Warning,
                    messages: 48,
                    segments: 96,
                },
            ],
            pending: 2,
            over_budget: 0,
            dead: vec![SmsDeadLetter {
                id: example_id("0193b7a1-2c3d-7e4f-8a9b-0c1d2e3f4a5f"),
                kind: SmsKind::RideReminder,
                number: "+49171••••567".into(),
                attempts: 8,
                last_error: Some("seven.io answered 503 Service Unavailable".into()),
                given_up_at: example_time("2026-12-07T07:15:00Z"),
            }],
        }
    }
}

/// The error answers each operation here can give ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("getMySms", &[401]),
    ("requestSmsCode", &[400, 401, 409, 422, 429]),
    ("verifySmsCode", &[400, 401, 409, 422]),
    ("updateMySms", &[400, 401, 409, 422]),
    ("withdrawMySms", &[401]),
    ("recordSmsConsent", &[400, 401, 403, 409, 422]),
    ("findSmsRecipient", &[400, 401, 403, 404, 422]),
    ("getSmsRecipient", &[400, 401, 403, 404]),
    ("addSmsConsentRecord", &[400, 401, 403, 404, 409, 422]),
    ("eraseSmsRecipient", &[400, 401, 403, 404, 409]),
    ("getSmsStatus", &[401, 403]),
    ("receiveSmsStatus", &[400, 403, 404]),
    ("receiveSms", &[400, 403, 404]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    &[
        ("RequestSmsCode", "phone", super::spec::PHONE),
        ("VerifySmsCode", "code", &[Pattern(consent::CODE_PATTERN)]),
        ("RecordSmsConsent", "phone", super::spec::PHONE),
        ("RecordSmsConsent", "name", &[MaxLength(consent::NAME_MAX)]),
        ("RecordSmsConsent", "note", &[MaxLength(consent::NOTE_MAX)]),
        (
            "AddSmsConsentRecord",
            "note",
            &[MaxLength(consent::NOTE_MAX)],
        ),
    ]
};

/// Largest webhook body read: seven.io's are a few hundred bytes.
const WEBHOOK_MAX_BYTES: usize = 64 * 1024;

pub struct SmsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Sms")]
impl SmsApi {
    /// My text messages
    ///
    /// The signed-in resident's confirmed mobile number, what it receives, and a code waiting
    /// to be entered.
    #[oai(
        transform = "no_store",
        path = "/me/sms",
        method = "get",
        operation_id = "getMySms"
    )]
    async fn mine(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<Json<MySmsSettings>> {
        let mine = consent::mine(&state.db, &state.clock, &state.sms, actor.user_id).await?;
        Ok(Json(mine.into()))
    }

    /// Confirm a mobile number
    ///
    /// Sends a six-digit code to the number; entered with `POST /me/sms/verify` within ten
    /// minutes, it records the resident's consent to `purposes`. A new request replaces the
    /// code before. At most 5 codes a person and 3 a number a day (429). 409 while this
    /// installation sends no text messages.
    #[oai(
        transform = "no_store",
        path = "/me/sms/number",
        method = "put",
        operation_id = "requestSmsCode"
    )]
    async fn request_code(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<RequestSmsCode>,
    ) -> ApiResult<SmsCodeRequested> {
        let b = body.0;
        let (phone, expires_at) = consent::request_code(
            &state.db,
            &state.clock,
            &state.sms,
            &state.keys.token_signing_key,
            actor.user_id,
            &b.phone,
            b.purposes,
            b.district_id,
        )
        .await?;
        Ok(SmsCodeRequested::Accepted(Json(SmsCodeSent {
            phone,
            expires_at: expires_at.into(),
        })))
    }

    /// Enter the code
    ///
    /// The code from the text message. When it matches, the number is the resident's and its
    /// consent is recorded (`sms_code`). A wrong code is 422 with the tries left; the fifth
    /// wrong try voids the code (409), as does its expiry.
    #[oai(
        transform = "no_store",
        path = "/me/sms/verify",
        method = "post",
        operation_id = "verifySmsCode"
    )]
    async fn verify(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<VerifySmsCode>,
    ) -> ApiResult<Json<MySmsSettings>> {
        let mine = consent::verify_code(
            &state.db,
            &state.clock,
            &state.sms,
            &state.keys.token_signing_key,
            actor.user_id,
            &body.0.code,
        )
        .await?;
        Ok(Json(mine.into()))
    }

    /// Change what my number receives
    ///
    /// Gives or withdraws `rides` and `warnings` for the confirmed number (each change is a
    /// consent record, `app`); after a STOP, giving a purpose again resumes messages. 409
    /// without a confirmed number.
    #[oai(
        transform = "no_store",
        path = "/me/sms",
        method = "patch",
        operation_id = "updateMySms"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<UpdateMySms>,
    ) -> ApiResult<Json<MySmsSettings>> {
        let b = body.0;
        let mine = consent::update_mine(
            &state.db,
            &state.clock,
            &state.sms,
            actor.user_id,
            b.purposes,
            b.district_id,
        )
        .await?;
        Ok(Json(mine.into()))
    }

    /// Stop all my text messages
    ///
    /// Withdraws every consent of the resident's number. The consent records stay as proof of
    /// what was agreed and when it ended; the number goes with the account.
    #[oai(
        transform = "no_store",
        path = "/me/sms",
        method = "delete",
        operation_id = "withdrawMySms"
    )]
    async fn withdraw(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<NoContent> {
        consent::withdraw_mine(&state.db, &state.clock, actor.user_id).await?;
        Ok(NoContent::Done)
    }

    /// Record a consent given to the desk
    ///
    /// Dispatchers and admins. The caller read the consent text out (`docs/sms.md`) and the
    /// person agreed; the record keeps who wrote it down, when, how, and the text's version.
    /// The number gets a welcome message, which also shows that it is right. Recording what
    /// is recorded already changes nothing (200), so a retry is harmless.
    #[oai(
        transform = "no_store",
        path = "/sms/recipients",
        method = "post",
        operation_id = "recordSmsConsent"
    )]
    async fn record(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<RecordSmsConsent>,
    ) -> ApiResult<ConsentRecorded> {
        let b = body.0;
        let recorded = consent::record_desk_consent(
            &state.db,
            &state.clock,
            &state.sms,
            &actor,
            DeskConsent {
                phone: b.phone,
                name: b.name,
                district_id: b.district_id,
                purposes: b.purposes,
                method: b.method,
                note: b.note,
            },
        )
        .await?;
        Ok(ConsentRecorded::of(recorded))
    }

    /// Find a number
    ///
    /// Dispatchers and admins: what is kept for a number, given in any format
    /// (`0171 1234567`, `+49 171 1234567`). 404 when nothing is.
    #[oai(
        transform = "no_store",
        path = "/sms/recipients",
        method = "get",
        operation_id = "findSmsRecipient"
    )]
    async fn find(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The mobile number.
        phone: Query<String>,
    ) -> ApiResult<Json<SmsRecipient>> {
        let view = consent::find(&state.db, &state.sms, &actor, &phone.0).await?;
        Ok(Json(view.into()))
    }

    /// Get a number
    ///
    /// Dispatchers and admins: the number, its consent records and its last 20 messages.
    #[oai(
        transform = "no_store",
        path = "/sms/recipients/:id",
        method = "get",
        operation_id = "getSmsRecipient"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The number's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<SmsRecipient>> {
        let view = consent::get(&state.db, &actor, id.0).await?;
        Ok(Json(view.into()))
    }

    /// Add a consent record
    ///
    /// Dispatchers and admins: a consent given or withdrawn on the phone, in person or on
    /// paper. A consent given again after a STOP resumes messages. What is so already records
    /// nothing (200).
    #[oai(
        transform = "no_store",
        path = "/sms/recipients/:id/consents",
        method = "post",
        operation_id = "addSmsConsentRecord"
    )]
    async fn add_record(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The number's id.
        id: Path<Uuid>,
        body: JsonBody<AddSmsConsentRecord>,
    ) -> ApiResult<ConsentRecorded> {
        let b = body.0;
        let recorded = consent::add_desk_record(
            &state.db,
            &state.clock,
            &state.sms,
            &actor,
            id.0,
            b.purpose,
            b.action,
            b.method,
            b.note,
        )
        .await?;
        Ok(ConsentRecorded::of(recorded))
    }

    /// Erase a number
    ///
    /// Dispatchers and admins, when a person without an account asks (Art. 17 DSGVO): the
    /// number, its consent records, messages and replies are deleted. A resident's own number
    /// is theirs to remove (409).
    #[oai(
        transform = "no_store",
        path = "/sms/recipients/:id",
        method = "delete",
        operation_id = "eraseSmsRecipient"
    )]
    async fn erase(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The number's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        consent::erase(&state.db, &actor, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Text messages this month
    ///
    /// Admins: the month's budget and what it was spent on, what waits, what was set aside
    /// over the budget, and the latest messages given up (numbers masked).
    #[oai(
        transform = "no_store",
        path = "/sms/status",
        method = "get",
        operation_id = "getSmsStatus"
    )]
    async fn status(
        &self,
        state: Data<&AppState>,
        actor: Caller,
    ) -> ApiResult<Json<SmsStatusReport>> {
        let view =
            domain::sms::status::status(&state.db, &state.sms, &actor, state.clock.now()).await?;
        Ok(Json(SmsStatusReport {
            enabled: view.enabled,
            month: view.month,
            budget_segments: view.budget_segments,
            used_segments: view.used_segments,
            by_kind: view
                .by_kind
                .into_iter()
                .map(|(kind, messages, segments)| SmsUsage {
                    kind,
                    messages,
                    segments,
                })
                .collect(),
            pending: view.pending,
            over_budget: view.over_budget,
            dead: view
                .dead
                .into_iter()
                .map(|d| SmsDeadLetter {
                    id: d.id,
                    kind: d.kind,
                    number: d.masked_number,
                    attempts: d.attempts,
                    last_error: d.last_error,
                    given_up_at: d.updated_at.into(),
                })
                .collect(),
        }))
    }

    /// Delivery report (seven.io webhook)
    ///
    /// Called by seven.io, not by apps: register it as a `dlr` webhook with
    /// `request_method=JSON` (`docs/sms.md`). The request must carry seven.io's signature:
    /// `X-Signature` = hex HMAC-SHA256 under the signing key of
    /// `X-Timestamp \n X-Nonce \n POST \n <this URL as registered> \n hex(MD5(body))`, the
    /// timestamp within 30 s of the server's clock, the nonce never seen with another body.
    /// Anything else is 403. A report only moves a message forward (`sent` → `delivered` or
    /// `undelivered`). 404 while this installation sends no text messages.
    #[oai(
        path = "/sms/webhooks/seven/dlr",
        method = "post",
        operation_id = "receiveSmsStatus"
    )]
    async fn status_report(
        &self,
        state: Data<&AppState>,
        /// Hex HMAC-SHA256 of the signed string (required).
        #[oai(name = "X-Signature")]
        signature: Header<Option<String>>,
        /// Unix seconds when seven.io signed (required).
        #[oai(name = "X-Timestamp")]
        timestamp: Header<Option<String>>,
        /// A random string of up to 64 letters, digits, `-` and `_`, new for every request
        /// (required).
        #[oai(name = "X-Nonce")]
        nonce: Header<Option<String>>,
        body: SignedJson<SevenStatusReport>,
    ) -> ApiResult<Json<WebhookReceived>> {
        let headers = Signed {
            signature: signature.0,
            timestamp: timestamp.0,
            nonce: nonce.0,
        };
        let webhook = verified(&state, "dlr", &headers, &body.raw).await?;
        let outcome = match webhook {
            Verified::Resend(webhook) | Verified::New(webhook)
                if webhook.webhook_event == "dlr" =>
            {
                let report: ::sms::seven::StatusReport = serde_json::from_value(webhook.data)
                    .map_err(|err| bad_json(&err.to_string()))?;
                let found = domain::sms_reports::receive(
                    &state.db,
                    &state.clock,
                    "seven",
                    &report.message_id(),
                    &report.status,
                )
                .await?;
                if found {
                    SmsWebhookOutcome::Processed
                } else {
                    SmsWebhookOutcome::Ignored
                }
            }
            _ => SmsWebhookOutcome::Ignored,
        };
        Ok(answered("dlr", outcome))
    }

    /// Incoming message (seven.io webhook)
    ///
    /// Called by seven.io, not by apps: register it as an `sms_mo` webhook with
    /// `request_method=JSON`, signed as for `receiveSmsStatus`. "1" confirms and "2" cancels
    /// the sender's ride when exactly one question is open; STOP ends all messages to the
    /// number; anything else gets a short help text and, for a ride the desk booked, a
    /// call-back. A number the system does not text gets no answer. The same message twice is
    /// acted on once.
    #[oai(
        path = "/sms/webhooks/seven/inbound",
        method = "post",
        operation_id = "receiveSms"
    )]
    async fn inbound(
        &self,
        state: Data<&AppState>,
        /// Hex HMAC-SHA256 of the signed string (required).
        #[oai(name = "X-Signature")]
        signature: Header<Option<String>>,
        /// Unix seconds when seven.io signed (required).
        #[oai(name = "X-Timestamp")]
        timestamp: Header<Option<String>>,
        /// A random string of up to 64 letters, digits, `-` and `_`, new for every request
        /// (required).
        #[oai(name = "X-Nonce")]
        nonce: Header<Option<String>>,
        body: SignedJson<SevenInbound>,
    ) -> ApiResult<Json<WebhookReceived>> {
        let headers = Signed {
            signature: signature.0,
            timestamp: timestamp.0,
            nonce: nonce.0,
        };
        let webhook = verified(&state, "inbound", &headers, &body.raw).await?;
        let outcome = match webhook {
            // A resend is handled again: the inbound id makes it act once.
            Verified::Resend(webhook) | Verified::New(webhook)
                if webhook.webhook_event == "sms_mo" =>
            {
                let message: ::sms::seven::Inbound = serde_json::from_value(webhook.data)
                    .map_err(|err| bad_json(&err.to_string()))?;
                let from = message.sender_e164();
                let digits = from.len() - 1;
                if !(8..=15).contains(&digits) {
                    SmsWebhookOutcome::Ignored
                } else {
                    let received = domain::sms_replies::receive(
                        &state.db,
                        &state.clock,
                        &state.sms,
                        state.ride_settings(),
                        domain::sms_replies::Inbound {
                            provider: "seven",
                            message_id: message.message_id(),
                            from_e164: from,
                            text: message.text,
                        },
                    )
                    .await?;
                    match received {
                        domain::sms_replies::Received::Duplicate => SmsWebhookOutcome::Resend,
                        domain::sms_replies::Received::Read(_) => SmsWebhookOutcome::Processed,
                    }
                }
            }
            _ => SmsWebhookOutcome::Ignored,
        };
        Ok(answered("sms_mo", outcome))
    }
}

/// The answer to a webhook, counted.
fn answered(event: &'static str, outcome: SmsWebhookOutcome) -> Json<WebhookReceived> {
    metrics::counter!("sms_webhooks_total", "event" => event, "outcome" => outcome.as_str())
        .increment(1);
    Json(WebhookReceived { outcome })
}

/// The signing headers as received.
struct Signed {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
}

enum Verified {
    New(::sms::seven::Webhook),
    Resend(::sms::seven::Webhook),
}

fn bad_json(reason: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BadRequest,
        Text::new(
            format!("Der Inhalt ist kein gültiger Webhook: {reason}"),
            format!("The body is not a valid webhook: {reason}"),
        ),
    )
}

/// Checks a webhook's signature, time and nonce, then reads its JSON: verify first, parse
/// second.
async fn verified(
    state: &AppState,
    hook: &str,
    headers: &Signed,
    raw: &[u8],
) -> ApiResult<Verified> {
    if state.sms_provider.is_none() {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            Text::new(
                "Der SMS-Versand ist hier nicht eingerichtet.",
                "Text messages are not set up here.",
            ),
        ));
    }
    if raw.len() > WEBHOOK_MAX_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            Text::new("Der Webhook ist zu groß.", "The webhook is too large."),
        ));
    }
    let refuse = |reason: &str| -> ApiError {
        metrics::counter!("sms_webhooks_total", "event" => "refused", "outcome" => "refused")
            .increment(1);
        tracing::warn!(hook, reason, "webhook refused");
        ApiError::new(
            ErrorCode::Forbidden,
            Text::new(
                "Die Signatur des Webhooks stimmt nicht.",
                "The webhook's signature does not check out.",
            ),
        )
    };
    let key = state
        .settings
        .sms_signing_key
        .as_ref()
        .map(|key| key.expose().to_owned())
        .unwrap_or_default();
    let url = format!("{}/{hook}", state.settings.sms_webhook_url());
    let nonce = ::sms::seven::verify_webhook(
        &key,
        ::sms::seven::WebhookHeaders {
            signature: headers.signature.as_deref(),
            timestamp: headers.timestamp.as_deref(),
            nonce: headers.nonce.as_deref(),
        },
        "POST",
        &url,
        raw,
        state.clock.now().timestamp(),
    )
    .map_err(|rejection| refuse(&rejection.to_string()))?;
    let check = domain::sms::webhooks::check_nonce(
        &state.db,
        nonce,
        &::sms::seven::body_md5(raw),
        state.clock.now(),
    )
    .await?;
    if check == domain::sms::webhooks::NonceCheck::Replay {
        return Err(refuse("a nonce seen before with another body"));
    }
    let webhook: ::sms::seven::Webhook =
        serde_json::from_slice(raw).map_err(|err| bad_json(&err.to_string()))?;
    Ok(match check {
        domain::sms::webhooks::NonceCheck::New => Verified::New(webhook),
        _ => Verified::Resend(webhook),
    })
}

/// A person's number in their data export: everything kept about it.
#[derive(Object, Clone, Debug)]
pub struct ExportedSms {
    /// The number, what it receives, and every consent record.
    pub number: SmsRecipient,
    /// Every message kept (90 days), oldest first.
    pub messages: Vec<SmsMessageSummary>,
    /// Every reply kept (90 days), oldest first.
    pub replies: Vec<ExportedSmsReply>,
}

/// A text message the person sent to the municipality's number.
#[derive(Object, Clone, Debug)]
pub struct ExportedSmsReply {
    /// The text as received.
    pub text: String,
    /// How it was read: `confirm`, `cancel`, `stop`, `help`, `ambiguous`, `unknown`.
    pub meaning: entity::vocab::SmsReplyMeaning,
    /// The ride it acted on, or null.
    #[oai(nullable)]
    pub ride_id: Option<Uuid>,
    /// When it arrived.
    pub received_at: Timestamp,
}

impl From<consent::SmsExport> for ExportedSms {
    fn from(export: consent::SmsExport) -> Self {
        Self {
            number: export.view.into(),
            messages: export.messages.into_iter().map(Into::into).collect(),
            replies: export
                .inbound
                .into_iter()
                .map(|r| ExportedSmsReply {
                    text: r.text,
                    meaning: r.meaning,
                    ride_id: r.ride_id,
                    received_at: r.received_at.into(),
                })
                .collect(),
        }
    }
}
