//! Value types shared by the API modules.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// A PATCH field: absent (`None`), `null` (`Some(None)`, clears it) or a value.
pub fn patch_field<T>(value: poem_openapi::types::MaybeUndefined<T>) -> Option<Option<T>> {
    use poem_openapi::types::MaybeUndefined;
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// An instant, written as RFC 3339 in UTC with a `Z` (`2026-05-01T08:30:00Z`), as the API
/// conventions promise. (poem-openapi's own `DateTime<Utc>` writes `+00:00`.) Accepts any
/// RFC 3339 offset on input and converts it to UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value)
    }
}

impl Timestamp {
    /// A fixed instant for the spec's examples (`2026-06-20T07:30:00Z`).
    pub fn example(text: &str) -> Self {
        Self(
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.to_utc())
                .unwrap_or_default(),
        )
    }

    fn parse(text: &str) -> Result<Self, String> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| Self(t.to_utc()))
            .map_err(|e| {
                format!("expected an RFC 3339 timestamp such as 2026-05-01T08:30:00Z ({e})")
            })
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Self::parse(&text).map_err(ParseError::custom),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ParseFromParameter for Timestamp {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value).map_err(ParseError::custom)
    }
}

/// The same text as [`ToJSON`], for answers written with serde ([`super::etag::Rendered::of_serialized`]).
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(
            self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_in_utc_with_z_and_read_with_any_offset() {
        let t = Timestamp::parse("2026-05-01T10:30:00+02:00").expect("parse");
        assert_eq!(
            t.to_json(),
            Some(Value::String("2026-05-01T08:30:00Z".into()))
        );
        assert!(Timestamp::parse("2026-05-01 08:30").is_err());
    }
}

/// The one answer without a body: every operation that succeeds with nothing to say (a
/// deletion, a logout, a follow) answers with it.
#[derive(poem_openapi::ApiResponse)]
pub enum NoContent {
    /// Done; the answer has no body.
    #[oai(status = 204)]
    Done,
}

/// A WGS84 point.
#[derive(poem_openapi::Object, Clone, Copy, Debug)]
pub struct GeoPoint {
    /// Latitude in degrees, −90 to 90.
    pub lat: f64,
    /// Longitude in degrees, −180 to 180.
    pub lon: f64,
}

impl From<domain::geo::Location> for GeoPoint {
    fn from(l: domain::geo::Location) -> Self {
        Self {
            lat: l.lat,
            lon: l.lon,
        }
    }
}

impl From<GeoPoint> for domain::geo::Location {
    fn from(p: GeoPoint) -> Self {
        Self {
            lat: p.lat,
            lon: p.lon,
        }
    }
}
