//! What happens to real and hostile uploads: a phone photo with its GPS position and a
//! rotation, a PNG that is a ZIP, a 60,000 × 60,000 JPEG, a decompression bomb, a truncated
//! file, an SVG with script, a JPEG with a ZIP appended, and HEIC.

use std::io::Cursor;

use image::{
    DynamicImage, ImageEncoder, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage,
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
};
use media::{
    Encoding, Limits, MediaError, SourceType,
    fixtures::{GPS_MARKER, phone_photo},
    process, sniff,
};

fn small_png() -> Vec<u8> {
    let image = RgbaImage::from_fn(40, 30, |x, _| {
        Rgba([0, 128, 0, if x < 20 { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(image.as_raw(), 40, 30, image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn a_phone_photo_is_turned_upright_rendered_in_three_sizes_and_loses_its_position() {
    let photo = phone_photo();
    assert!(contains(&photo, GPS_MARKER));
    let processed = process(&photo, &Limits::default()).unwrap();
    assert_eq!(processed.source, SourceType::Jpeg);
    // Upright: 900 wide, 1200 high.
    assert_eq!((processed.width, processed.height), (900, 1200));
    let sizes: Vec<(u32, u32, Encoding)> = processed
        .renditions
        .iter()
        .map(|r| (r.width, r.height, r.encoding))
        .collect();
    assert_eq!(
        sizes,
        [
            (240, 320, Encoding::WebP),
            (240, 320, Encoding::Jpeg),
            (600, 800, Encoding::WebP),
            (600, 800, Encoding::Jpeg),
            (900, 1200, Encoding::WebP),
            (900, 1200, Encoding::Jpeg),
        ],
        "never scaled up past the original's 1200"
    );
    for rendition in &processed.renditions {
        let bytes = &rendition.bytes;
        assert!(!contains(bytes, GPS_MARKER));
        assert!(!contains(bytes, b"Exif"), "no EXIF block");
        let format = image::guess_format(bytes).unwrap();
        let expected = match rendition.encoding {
            Encoding::WebP => ImageFormat::WebP,
            Encoding::Jpeg => ImageFormat::Jpeg,
        };
        assert_eq!(format, expected);
        let decoded = image::load_from_memory(bytes).unwrap().to_rgb8();
        assert_eq!(decoded.dimensions(), (rendition.width, rendition.height));
        // Turned clockwise, the stored left half (red) is now on top.
        let top = decoded.get_pixel(rendition.width / 2, rendition.height / 8);
        let bottom = decoded.get_pixel(rendition.width / 2, rendition.height * 7 / 8);
        assert!(top[0] > 150 && top[2] < 90, "top is red: {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 90,
            "bottom is blue: {bottom:?}"
        );
    }
    // Half red, half blue on average.
    assert_eq!(processed.dominant_color.len(), 7);
    let webp = &processed.renditions[0].bytes;
    let jpeg = &processed.renditions[1].bytes;
    assert!(webp.len() < jpeg.len(), "WebP is the smaller one");
}

#[test]
fn a_small_png_keeps_its_size_and_its_transparency_becomes_white() {
    let processed = process(&small_png(), &Limits::default()).unwrap();
    assert_eq!(processed.source, SourceType::Png);
    assert_eq!(processed.renditions.len(), 2, "one size: its own");
    let jpeg = processed
        .renditions
        .iter()
        .find(|r| r.encoding == Encoding::Jpeg)
        .unwrap();
    assert_eq!((jpeg.width, jpeg.height), (40, 30));
    let decoded = image::load_from_memory(&jpeg.bytes).unwrap().to_rgb8();
    let left = decoded.get_pixel(5, 15);
    assert!(
        left.0.iter().all(|c| *c > 240),
        "transparent → white: {left:?}"
    );
}

#[test]
fn a_zip_named_png_an_svg_with_script_and_a_pdf_are_not_images() {
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00payload.png".to_vec();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let svg_with_bom = [b"\xef\xbb\xbf".as_slice(), svg].concat();
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    for bytes in [zip, svg.to_vec(), svg_with_bom, pdf, Vec::new()] {
        assert_eq!(sniff(&bytes), Err(MediaError::Unsupported));
        assert_eq!(
            process(&bytes, &Limits::default()).unwrap_err(),
            MediaError::Unsupported
        );
    }
}

#[test]
fn heic_is_named_so_the_answer_can_say_what_to_send_instead() {
    let heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec();
    assert_eq!(sniff(&heic), Err(MediaError::Heic));
}

/// The SOF0 dimensions of a real JPEG set to 60,000 × 60,000: refused from the header, before
/// the 10 GB a decode would take.
#[test]
fn a_jpeg_claiming_60000_by_60000_is_refused_before_decoding() {
    let mut jpeg = Vec::new();
    JpegEncoder::new(&mut jpeg)
        .write_image(&[128; 16 * 16 * 3], 16, 16, image::ExtendedColorType::Rgb8)
        .unwrap();
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("baseline SOF0");
    // Marker, length (2), precision (1), then height and width.
    jpeg[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let started = std::time::Instant::now();
    assert_eq!(
        process(&jpeg, &Limits::default()).unwrap_err(),
        MediaError::TooManyPixels {
            width: 60_000,
            height: 60_000
        }
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
}

/// A PNG of 20,000 × 20,000 black pixels compresses to some hundred kilobytes and would take
/// 1.2 GB decoded: a decompression bomb.
#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let image = image::GrayImage::new(20_000, 20_000);
    let mut bomb = Vec::new();
    DynamicImage::ImageLuma8(image)
        .write_to(&mut Cursor::new(&mut bomb), ImageFormat::Png)
        .unwrap();
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    assert_eq!(
        process(&bomb, &Limits::default()).unwrap_err(),
        MediaError::TooManyPixels {
            width: 20_000,
            height: 20_000
        }
    );
}

#[test]
fn a_truncated_file_is_damaged_not_a_crash() {
    let png = small_png();
    let cut = &png[..png.len() / 2];
    assert!(matches!(
        process(cut, &Limits::default()),
        Err(MediaError::Damaged(_))
    ));
    let photo = phone_photo();
    let header_only = &photo[..400];
    assert!(matches!(
        process(header_only, &Limits::default()),
        Err(MediaError::Damaged(_))
    ));
}

/// A JPEG with a ZIP (or an HTML page) appended is a valid JPEG to a viewer and an archive to
/// an unpacker: what is served is only the re-encoded picture.
#[test]
fn a_polyglot_is_served_as_its_picture_only() {
    let mut polyglot = phone_photo();
    polyglot.extend_from_slice(b"PK\x03\x04<script>alert(document.cookie)</script>");
    let processed = process(&polyglot, &Limits::default()).unwrap();
    for rendition in &processed.renditions {
        assert!(!contains(&rendition.bytes, b"PK\x03\x04"));
        assert!(!contains(&rendition.bytes, b"<script"));
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let limits = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    let photo = phone_photo();
    assert_eq!(
        process(&photo, &limits).unwrap_err(),
        MediaError::TooLarge {
            size: photo.len(),
            max: 1000
        }
    );
}

/// 16-bit RGBA takes 8 bytes a pixel: 6000 × 6000 is within the pixel limit but would take
/// 288 MB decoded, and compresses to little when flat.
#[test]
fn a_deep_png_over_the_memory_budget_is_refused_from_its_header() {
    let image = image::ImageBuffer::<Rgba<u16>, Vec<u16>>::new(6000, 6000);
    let mut png = Vec::new();
    DynamicImage::ImageRgba16(image)
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    assert_eq!(
        process(&png, &Limits::default()).unwrap_err(),
        MediaError::TooManyPixels {
            width: 6000,
            height: 6000
        }
    );
}

/// A strip 4 px wide: every size rounds to 1 px wide; the renditions still come smallest first.
#[test]
fn a_narrow_strip_keeps_its_renditions_in_order() {
    let strip = RgbImage::from_pixel(4, 2400, Rgb([10, 120, 10]));
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(strip)
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    let processed = process(&png, &Limits::default()).unwrap();
    let heights: Vec<u32> = processed.renditions.iter().map(|r| r.height).collect();
    assert_eq!(heights, [320, 320, 800, 800, 1600, 1600]);
}

/// A 64 × 48 picture of one colour, as a PNG tagged with `profile` (an ICC profile).
fn tagged_png(color: [u8; 3], profile: Option<Vec<u8>>) -> Vec<u8> {
    let image = RgbImage::from_pixel(64, 48, Rgb(color));
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(profile) = profile {
        encoder.set_icc_profile(profile).unwrap();
    }
    encoder
        .write_image(image.as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn red_of_every_rendition(processed: &media::Processed) -> Vec<u8> {
    processed
        .renditions
        .iter()
        .map(|r| {
            image::load_from_memory(&r.bytes)
                .unwrap()
                .to_rgb8()
                .get_pixel(10, 10)[0]
        })
        .collect()
}

#[test]
fn an_adobe_rgb_photo_is_converted_to_srgb_and_loses_its_profile() {
    let adobe_rgb = moxcms::ColorProfile::new_adobe_rgb().encode().unwrap();
    // Adobe RGB's red is more saturated than sRGB's: (128, 0, 0) in Adobe RGB (gamma 2.2,
    // linear 0.220) is 0.220 × 1.398 = 0.307 linear in sRGB, which the sRGB curve encodes as
    // 150. Untagged, the same bytes mean sRGB (128, 0, 0).
    let tagged = process(
        &tagged_png([128, 0, 0], Some(adobe_rgb.clone())),
        &Limits::default(),
    )
    .unwrap();
    let untagged = process(&tagged_png([128, 0, 0], None), &Limits::default()).unwrap();
    for red in red_of_every_rendition(&tagged) {
        assert!((144..=156).contains(&red), "converted to sRGB: {red}");
    }
    for red in red_of_every_rendition(&untagged) {
        assert!((124..=132).contains(&red), "left as it is: {red}");
    }
    for rendition in &tagged.renditions {
        assert!(
            !contains(&rendition.bytes, b"ICC_PROFILE"),
            "no ICC in the JPEG"
        );
        assert!(
            !contains(&rendition.bytes, b"ICCP"),
            "no ICC chunk in the WebP"
        );
        assert!(
            !contains(&rendition.bytes, &adobe_rgb[128..160]),
            "no part of the profile"
        );
    }
}

#[test]
fn an_unreadable_profile_keeps_the_photo_as_it_is() {
    let processed = process(
        &tagged_png([128, 0, 0], Some(b"not an ICC profile at all".repeat(8))),
        &Limits::default(),
    )
    .unwrap();
    for red in red_of_every_rendition(&processed) {
        assert!((124..=132).contains(&red), "unchanged: {red}");
    }
}
