//! The rules of the Dorf-App: one folder per capability, plain functions over
//! `&impl ConnectionTrait` and a clock, and the mechanisms they share (the job queue, the clock,
//! the database helpers, the notices seam). This crate does not depend on poem: the compiler
//! keeps HTTP out of the rules, and the server (`api`) is the only crate that knows both.

pub mod accounts;
pub mod anliegen;
pub mod api_clients;
pub mod aushang;
pub mod auth;
pub mod clock;
pub mod contact;
pub mod db;
pub mod districts;
pub mod drafts;
pub mod error;
pub mod events;
pub mod geo;
pub mod health;
pub mod idempotency;
pub mod jobs;
pub mod keys;
pub mod media;
pub mod news;
pub mod notices;
pub mod organisations;
pub mod photo_access;
pub mod polls;
pub mod push_prefs;
pub mod quotas;
pub mod rides;
pub mod shops;
pub mod sms;
pub mod sms_replies;
pub mod sms_reports;
pub mod sms_warnings;
pub mod text;
pub mod users;

pub use error::{DomainError, DomainResult, Validator, is_unique_violation, normalize_optional};
