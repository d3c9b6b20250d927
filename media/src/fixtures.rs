//! Test photos shared by this crate's tests and the server's black-box suite (feature
//! `fixtures`): what a phone sends, with the parts that must never be served.

use image::{ImageEncoder, Rgb, RgbImage, codecs::jpeg::JpegEncoder};

/// Text inside the GPS block of [`phone_photo`]: found in the upload, never in a rendition.
pub const GPS_MARKER: &[u8] = b"GPS-HOME-OF-THE-RESIDENT";

/// A little-endian EXIF block with an orientation and a GPS position (52.0° N, 11.2° E): what a
/// phone writes into every photo.
pub fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut exif = Vec::new();
    exif.extend_from_slice(b"II\x2a\x00\x08\x00\x00\x00"); // TIFF header, IFD0 at 8
    exif.extend_from_slice(&2u16.to_le_bytes()); // two entries
    // Orientation (0x0112), SHORT, 1 value.
    exif.extend_from_slice(&[0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00]);
    exif.extend_from_slice(&orientation.to_le_bytes());
    exif.extend_from_slice(&[0, 0]);
    // GPSInfo pointer (0x8825), LONG, to the GPS IFD at 38.
    exif.extend_from_slice(&[0x25, 0x88, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00]);
    exif.extend_from_slice(&38u32.to_le_bytes());
    exif.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    debug_assert_eq!(exif.len(), 38);
    // GPS IFD: latitude ref "N" and the marker text a test can look for.
    exif.extend_from_slice(&1u16.to_le_bytes());
    exif.extend_from_slice(&[0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00]);
    exif.extend_from_slice(b"N\x00\x00\x00");
    exif.extend_from_slice(&0u32.to_le_bytes());
    exif.extend_from_slice(GPS_MARKER);
    exif
}

/// A 1200 × 900 photo, stored sideways with orientation 6 (turn 90° clockwise to show), red
/// on its left half as stored.
pub fn phone_photo() -> Vec<u8> {
    let stored = RgbImage::from_fn(1200, 900, |x, _| {
        if x < 600 {
            Rgb([200, 30, 30])
        } else {
            Rgb([30, 30, 200])
        }
    });
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
    encoder
        .set_exif_metadata(exif_with_gps(6))
        .expect("encoding a test photo");
    encoder
        .write_image(stored.as_raw(), 1200, 900, image::ExtendedColorType::Rgb8)
        .expect("encoding a test photo");
    out
}
