//! Keyset pagination: `?limit=` (default 20, max 100) and an opaque `?cursor=`. The cursor wraps
//! the last id of the previous page (UUID v7, time-ordered), so pages neither skip nor repeat
//! while new items arrive. Lists ordered by a time carry the time too ([`encode_at`]).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, Utc};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode, FieldError, Text};

/// Declares the page type of a list: its entries and where the next page starts. One
/// declaration for every list, so all pages read alike; the list's order is in its doc.
macro_rules! page {
    ($(#[$meta:meta])* $name:ident of $item:ty) => {
        $(#[$meta])*
        #[derive(poem_openapi::Object, Clone, Debug)]
        pub struct $name {
            /// The entries of this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last page.
            #[oai(nullable)]
            pub next_cursor: Option<String>,
        }
    };
}
pub(crate) use page;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

/// Checks `limit`; 422 naming the field when it is out of range.
pub fn limit(value: Option<u64>) -> ApiResult<u64> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation(vec![FieldError::new(
            "limit",
            Text::new("Erlaubt sind 1 bis 100.", "Allowed are 1 to 100."),
        )])),
    }
}

/// The opaque cursor after an item.
pub fn encode(after: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(after.as_bytes())
}

/// Reads a cursor from a previous answer; 400 naming `cursor` when it is not one.
pub fn decode(cursor: Option<&str>) -> ApiResult<Option<Uuid>> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(invalid_cursor)
}

/// The opaque cursor after an item of a list ordered by a time, then by id (the news feed).
pub fn encode_at(at: DateTime<Utc>, id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&at.timestamp_micros().to_be_bytes());
    bytes.extend_from_slice(id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a cursor made by [`encode_at`]; 400 naming `cursor` when it is not one.
pub fn decode_at(cursor: Option<&str>) -> ApiResult<Option<(DateTime<Utc>, Uuid)>> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .filter(|b| b.len() == 24)
        .ok_or_else(invalid_cursor)?;
    let (time, id) = bytes.split_at(8);
    let micros = i64::from_be_bytes(time.try_into().map_err(|_| invalid_cursor())?);
    // Only times both databases can compare with (PostgreSQL ends at 294276 AD and answers a
    // later one with an error, not an empty page): a crafted cursor is a 400, never a 500.
    let at = DateTime::from_timestamp_micros(micros)
        .filter(|at| (1..=9999).contains(&at.year()))
        .ok_or_else(invalid_cursor)?;
    let id = Uuid::from_slice(id).map_err(|_| invalid_cursor())?;
    Ok(Some((at, id)))
}

fn invalid_cursor() -> ApiError {
    ApiError {
        errors: vec![FieldError::new(
            "cursor",
            Text::new(
                "Bitte den Wert von next_cursor unverändert übergeben.",
                "Pass next_cursor back unchanged.",
            ),
        )],
        ..ApiError::new(
            ErrorCode::BadRequest,
            Text::new("Der Cursor ist ungültig.", "The cursor is invalid."),
        )
    }
}

/// `next_cursor` for a page whose last item is `last`, when there are more.
pub fn next(last: Option<Uuid>, more: bool) -> Option<String> {
    last.filter(|_| more).map(encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_cursor_round_trips_and_refuses_other_input() {
        let at = DateTime::from_timestamp_micros(1_780_000_000_123_456).expect("time");
        let id = Uuid::now_v7();
        assert_eq!(
            decode_at(Some(&encode_at(at, id))).expect("ok"),
            Some((at, id))
        );
        assert!(
            decode_at(Some(&encode(id))).is_err(),
            "an id-only cursor is not a time cursor"
        );
        assert!(decode_at(Some("not a cursor")).is_err());
        assert_eq!(decode_at(Some("")).expect("empty"), None);
    }
}
