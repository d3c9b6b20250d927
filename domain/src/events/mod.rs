//! Events (Veranstaltungen, issue 19). First step: recurrence rules, parsed and expanded in
//! the municipality's time zone (`recurrence`); the events themselves follow.

pub mod recurrence;
