//! Text messages (SMS) for the people the app does not reach: riders booked by phone, and
//! residents who chose warnings by SMS (issue 21).
//!
//! This crate is the wire: what a provider is asked and answers ([`SmsProvider`], with
//! seven.io's HTTP API in [`seven`]), how its webhooks are proven to come from it
//! ([`seven::verify_webhook`]), and how a German text becomes as few billed segments as it can
//! ([`gsm`]). It knows no person, ride or database: the outbox that decides who is sent what,
//! with consent, quiet hours and the budget, is built on top (`domain::sms`, `docs/sms.md`).

pub mod gsm;
pub mod seven;

use std::time::Duration;

/// One message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingSms {
    /// The recipient in E.164 (`+491711234567`).
    pub to: String,
    /// The text, already in the GSM-7 alphabet where it could be (see [`gsm::transliterate`]).
    pub text: String,
    /// Our id of the message, returned in the provider's callbacks
    /// (`[A-Za-z0-9.\-_@]`, e.g. a UUID).
    pub reference: String,
}

/// What became of a send request.
#[derive(Clone, Debug, PartialEq)]
pub enum SendOutcome {
    /// Taken by the provider: its id for the delivery reports (`None` when it took the message
    /// but named no id: its reports cannot be matched, but sending it again would send it
    /// twice), the billed parts and the price.
    Accepted {
        provider_id: Option<String>,
        segments: u32,
        price_micros: Option<i64>,
    },
    /// Not taken now, may be tried again (network, overload, a provider fault); `after` is the
    /// provider's own wish (`Retry-After`) when it gave one.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// Will never be taken as it is (a recipient or text the provider refuses).
    Refused { reason: String },
    /// Our account cannot send (key, credit, blocked): an operator must act; retrying later may
    /// work once they have.
    AccountProblem { reason: String },
}

/// A provider of text messages. One implementation speaks seven.io's API; another provider
/// is added by implementing this for its client.
#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync {
    /// A short name, kept with each message (`seven`).
    fn name(&self) -> &'static str;

    /// Asks the provider to send `message`. Never panics and never returns an error: every
    /// answer, and every failure to get one, is an outcome.
    async fn send(&self, message: &OutgoingSms) -> SendOutcome;
}
