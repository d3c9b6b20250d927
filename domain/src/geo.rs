//! A WGS84 point as every capability takes and keeps it (Anliegen, events): checked with the
//! field it came in, stored as whole microdegrees.

use serde::Serialize;

use crate::Validator;

pub const LATITUDE: (f64, f64) = (-90.0, 90.0);
pub const LONGITUDE: (f64, f64) = (-180.0, 180.0);

/// A WGS84 point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

impl Location {
    /// The stored point (both columns set, or none), in degrees.
    pub fn from_e6(lat: Option<i32>, lon: Option<i32>) -> Option<Self> {
        match (lat, lon) {
            (Some(lat), Some(lon)) => Some(Location {
                lat: f64::from(lat) / 1e6,
                lon: f64::from(lon) / 1e6,
            }),
            _ => None,
        }
    }
}

/// Checks a point given as `location` (`location.lat`, `location.lon` at fault).
pub fn check_location(v: &mut Validator, location: Option<Location>) {
    if let Some(Location { lat, lon }) = location {
        v.check(
            lat.is_finite() && (LATITUDE.0..=LATITUDE.1).contains(&lat),
            "location.lat",
            "Breitengrad zwischen -90 und 90 (WGS84).",
            "Latitude between -90 and 90 (WGS84).",
        );
        v.check(
            lon.is_finite() && (LONGITUDE.0..=LONGITUDE.1).contains(&lon),
            "location.lon",
            "Längengrad zwischen -180 und 180 (WGS84).",
            "Longitude between -180 and 180 (WGS84).",
        );
    }
}

/// Degrees as stored: whole microdegrees (about 11 cm), exact and comparable on both databases.
pub fn to_e6(degrees: f64) -> i32 {
    // Range-checked before: |degrees| ≤ 180, so the product fits an i32.
    (degrees * 1e6).round() as i32
}
