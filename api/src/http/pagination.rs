//! Keyset pagination: `?limit=` (default 20, max 100) and an opaque `?cursor=`. The cursor wraps
//! the last id of the previous page (UUID v7, time-ordered), so pages neither skip nor repeat
//! while new items arrive.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode, FieldError, Text};

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
        .ok_or_else(|| ApiError {
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
        })
}

/// `next_cursor` for a page whose last item is `last`, when there are more.
pub fn next(last: Option<Uuid>, more: bool) -> Option<String> {
    last.filter(|_| more).map(encode)
}
