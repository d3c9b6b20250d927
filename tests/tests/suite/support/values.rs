//! Reading and writing JSON values: ids, pages, timestamps.

use chrono::{DateTime, Utc};
use serde_json::Value;

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

pub fn instant(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .map(|s| DateTime::parse_from_rfc3339(s).expect("RFC 3339").to_utc())
}

/// The `id` of a created or read resource.
#[track_caller]
pub fn id_of(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("id: {value}"))
        .to_owned()
}

/// The ids of a page `{items, next_cursor}`.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {page}"))
        .iter()
        .map(id_of)
        .collect()
}

/// `base` with `field` set to `value`.
pub fn with(base: &Value, field: &str, value: Value) -> Value {
    let mut body = base.clone();
    body[field] = value;
    body
}
