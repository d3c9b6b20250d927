//! Text messages to the people the app does not reach (issue 21, `docs/sms.md`): riders booked
//! by phone and residents who chose warnings by SMS.
//!
//! - [`outbox`]: every message is a row of `sms_message`, written in the transaction of what
//!   caused it and sent by the [`outbox::SmsWorker`] of some instance: claimed with a lease,
//!   checked again for consent and budget, sent through an [`sms::SmsProvider`], retried with
//!   backoff, given up as `dead` for an administrator to see.
//! - [`budget`]: what still goes out once the month's budget is used up.
//!
//! The wire (seven.io's API, webhook signatures, the GSM-7 alphabet) is the `sms` crate's.

pub mod budget;
pub mod consent;
pub mod outbox;
pub mod status;
pub mod webhooks;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use entity::vocab::{SmsKind, SmsPurpose};

use crate::push_prefs::QuietHours;

/// How text messages are sent here (from `DORFAPP_SMS_*`).
#[derive(Clone, Debug)]
pub struct SmsConfig {
    /// A provider is configured. Without one nothing is queued and the operations that would
    /// send answer 409.
    pub enabled: bool,
    /// ISO 3166 codes of the countries messages may go to; a national number is read as the
    /// first one's.
    pub countries: Vec<String>,
    /// When ordinary messages wait (warnings, codes and answers to replies do not).
    pub quiet_hours: Option<QuietHours>,
    /// Billed segments a month before only urgent messages go ([`budget`]).
    pub monthly_budget: u32,
    /// The ride desk's number as residents dial it, named where a rider must call.
    pub ride_desk_phone: Option<String>,
    /// The municipality's time zone: quiet hours, "today", the budget's month.
    pub time_zone: Tz,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            countries: vec!["DE".into()],
            quiet_hours: None,
            monthly_budget: 500,
            ride_desk_phone: None,
            time_zone: chrono_tz::Europe::Berlin,
        }
    }
}

impl SmsConfig {
    /// The countries as `&str`, for [`crate::contact::sms_number`].
    pub fn country_codes(&self) -> Vec<&str> {
        self.countries.iter().map(String::as_str).collect()
    }

    /// The budget's month of an instant, in local time (`2026-12`).
    pub fn month(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.time_zone);
        format!("{:04}-{:02}", local.year(), local.month())
    }
}

/// The consent a kind of message needs; `None` for messages a person asked for themselves
/// (a code, the answer to their reply, the one confirmation of a STOP) or that confirm a
/// consent just recorded (the welcome).
pub fn purpose_of(kind: SmsKind) -> Option<SmsPurpose> {
    match kind {
        SmsKind::RideConfirmed
        | SmsKind::RideReminder
        | SmsKind::RideReleased
        | SmsKind::RideNoDriver
        | SmsKind::RideCancelled
        | SmsKind::RideRescheduled => Some(SmsPurpose::Rides),
        SmsKind::Warning => Some(SmsPurpose::Warnings),
        SmsKind::Code | SmsKind::Welcome | SmsKind::Reply | SmsKind::StopConfirmed => None,
    }
}

/// Whether a kind waits out the quiet hours. Warnings are urgent by nature; codes and answers
/// are awaited by the person who caused them.
pub fn waits_for_quiet_hours(kind: SmsKind) -> bool {
    !matches!(
        kind,
        SmsKind::Warning | SmsKind::Code | SmsKind::Reply | SmsKind::StopConfirmed
    )
}
