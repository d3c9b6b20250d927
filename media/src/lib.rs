//! Photos (issue 17): what happens to an uploaded image before anything keeps it.
//!
//! 1. **Recognised by its bytes** ([`sniff`]): JPEG, PNG or WebP, whatever the file name or the
//!    `Content-Type` said. HEIC (what iPhones take) is named as such, so the answer can say
//!    "please send JPEG"; everything else (SVG, ZIP, PDF …) is refused unread.
//! 2. **Measured before decoding** ([`Limits`]): the header gives the dimensions; a file that
//!    claims more than [`Limits::max_side`] on a side or [`Limits::max_pixels`] in all is refused
//!    before a pixel buffer exists, so a 40 KB PNG of 60,000 × 60,000 costs nothing. The decoder
//!    runs under an allocation limit as well.
//! 3. **Re-encoded, never copied** ([`process`]): the pixels are decoded, turned upright by
//!    their EXIF orientation, flattened onto white, and encoded anew at a few sizes, as lossy
//!    WebP and as JPEG. Nothing of the original file survives: no EXIF (so no GPS position of
//!    the resident's home), no XMP, no ICC profile, no comments, nothing appended to the file
//!    (a polyglot's ZIP or script). A photo with an RGB colour profile (Display P3 from newer
//!    phones, Adobe RGB from cameras) is converted to sRGB first, the colour space every
//!    untagged image is shown in, so dropping the profile does not change how it looks.
//!
//! Decoding and encoding take CPU for up to a second for a 12 MP photo: callers run
//! [`process`] on a blocking thread, never on the async runtime's workers.

#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod store;

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage, codecs::jpeg::JpegEncoder,
    imageops::FilterType, metadata::Orientation,
};

/// The long sides rendered, smallest first: a list thumbnail, a phone screen, a desk screen.
pub const SIZES: [u32; 3] = [320, 800, 1600];
/// JPEG quality: photos look right, and an 800 px rendition stays near 100 KB.
const JPEG_QUALITY: u8 = 82;
/// WebP quality (libwebp's scale); about a third smaller than the JPEG at the same look.
const WEBP_QUALITY: f32 = 78.0;

/// What an upload may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes (`DORFAPP_MEDIA_MAX_BYTES`, default 15 MB).
    pub max_bytes: usize,
    /// Longest side decoded at all.
    pub max_side: u32,
    /// Most pixels decoded (a 50 MP phone photo fits; a decompression bomb does not).
    pub max_pixels: u64,
    /// Most bytes the decoded picture may take: a 16-bit RGBA PNG needs 8 bytes a pixel, so
    /// pixels alone do not bound the memory.
    pub max_decoded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            max_side: 12_000,
            max_pixels: 60_000_000,
            max_decoded_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The types accepted, as recognised from the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceType {
    Jpeg,
    Png,
    WebP,
}

impl SourceType {
    fn format(self) -> ImageFormat {
        match self {
            SourceType::Jpeg => ImageFormat::Jpeg,
            SourceType::Png => ImageFormat::Png,
            SourceType::WebP => ImageFormat::WebP,
        }
    }
}

/// Why an upload is refused. Each says what a person can do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the file is {size} bytes, more than the {max} accepted")]
    TooLarge { size: usize, max: usize },
    #[error("HEIC is not accepted; JPEG, PNG or WebP are")]
    Heic,
    #[error("not a JPEG, PNG or WebP image")]
    Unsupported,
    #[error("the image is {width} × {height} pixels, more than accepted")]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image cannot be read (damaged or cut off): {0}")]
    Damaged(String),
    #[error("encoding failed: {0}")]
    Encoding(String),
}

/// The encodings every size is rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Lossy WebP: served to clients that accept it.
    WebP,
    /// Baseline JPEG: the fallback every client shows.
    Jpeg,
}

impl Encoding {
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::WebP => "image/webp",
            Encoding::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Encoding::WebP => "webp",
            Encoding::Jpeg => "jpg",
        }
    }
}

/// One rendered file.
#[derive(Clone, Debug)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub encoding: Encoding,
    pub bytes: Vec<u8>,
}

/// An upload after processing: its upright dimensions, what was rendered, and a colour to show
/// while the image loads.
#[derive(Clone, Debug)]
pub struct Processed {
    pub source: SourceType,
    /// Upright width and height of the original.
    pub width: u32,
    pub height: u32,
    /// Each size in both encodings, smallest first, never larger than the original.
    pub renditions: Vec<Rendition>,
    /// The average colour, `#rrggbb`, for a placeholder of the right tone.
    pub dominant_color: String,
}

/// Recognises an upload by its first bytes.
pub fn sniff(bytes: &[u8]) -> Result<SourceType, MediaError> {
    if is_heic(bytes) {
        return Err(MediaError::Heic);
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(SourceType::Jpeg),
        Ok(ImageFormat::Png) => Ok(SourceType::Png),
        Ok(ImageFormat::WebP) => Ok(SourceType::WebP),
        _ => Err(MediaError::Unsupported),
    }
}

/// Whether the last scan of a JPEG (its last start-of-scan marker, `FF DA`) is followed by the
/// end-of-image marker (`FF D9`). Inside a scan `FF` is always stuffed as `FF 00`, so these two
/// byte pairs are markers. Bytes after the end (a polyglot's ZIP) do not matter: they are never
/// decoded.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(last_scan) = bytes.windows(2).rposition(|w| w == [0xff, 0xda]) else {
        return false;
    };
    bytes[last_scan..].windows(2).any(|w| w == [0xff, 0xd9])
}

/// An ISO base media file whose brand is one of HEIF's (`ftypheic`, `ftypmif1` …).
fn is_heic(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif"
        )
}

/// Checks, decodes, turns upright, and renders every size in both encodings.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, MediaError> {
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let source = sniff(bytes)?;
    if source == SourceType::Jpeg && !jpeg_is_complete(bytes) {
        // The JPEG decoder fills a cut-off scan with grey instead of failing: a photo broken
        // off on a weak connection would be kept half grey. Ask for it again instead.
        return Err(MediaError::Damaged(
            "the JPEG ends before its last scan does".into(),
        ));
    }
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), source.format())
        .into_decoder()
        .map_err(damaged)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 {
        return Err(MediaError::Damaged("no pixels".into()));
    }
    let too_many = MediaError::TooManyPixels { width, height };
    if width > limits.max_side
        || height > limits.max_side
        || pixels > limits.max_pixels
        || decoder.total_bytes() > limits.max_decoded_bytes
    {
        return Err(too_many);
    }
    let mut allocation = image::Limits::default();
    // The decoders' own buffers (not the picture, checked above) stay bounded too.
    allocation.max_alloc = Some(limits.max_decoded_bytes.saturating_add(64 * 1024 * 1024));
    let refused = |err: image::ImageError| match err {
        image::ImageError::Limits(_) => too_many.clone(),
        other => damaged(other),
    };
    decoder.set_limits(allocation).map_err(refused)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let to_srgb = decoder
        .icc_profile()
        .ok()
        .flatten()
        .and_then(|icc| to_srgb(&icc));
    let mut image = DynamicImage::from_decoder(decoder).map_err(refused)?;
    image.apply_orientation(orientation);
    // Consumed, not copied: one decoded picture in memory at a time.
    let upright = flatten_onto_white(image);

    let (width, height) = upright.dimensions();
    let mut renditions = Vec::new();
    let mut previous: Option<RgbImage> = None;
    // Largest first, each from the one before: a 12 MP photo is scaled down once in full.
    for long_side in target_sides(width.max(height)).into_iter().rev() {
        let from = previous.as_ref().unwrap_or(&upright);
        let (w, h) = fit(width, height, long_side);
        let scaled = if (w, h) == from.dimensions() {
            from.clone()
        } else {
            image::imageops::resize(from, w, h, FilterType::CatmullRom)
        };
        // Converted per rendition (fewer pixels than the original), from the unconverted chain.
        let shown = match &to_srgb {
            Some(transform) => converted(transform.as_ref(), &scaled),
            None => None,
        };
        let shown = shown.as_ref().unwrap_or(&scaled);
        renditions.push(Rendition {
            width: w,
            height: h,
            encoding: Encoding::WebP,
            bytes: encode_webp(shown)?,
        });
        renditions.push(Rendition {
            width: w,
            height: h,
            encoding: Encoding::Jpeg,
            bytes: encode_jpeg(shown)?,
        });
        previous = Some(scaled);
    }
    // By long side: a 10 × 12,000 strip is 1 px wide at every size.
    renditions.sort_by_key(|r| (r.width.max(r.height), r.encoding == Encoding::Jpeg));
    let dominant_color = average_color(previous.as_ref().unwrap_or(&upright));
    Ok(Processed {
        source,
        width,
        height,
        renditions,
        dominant_color,
    })
}

/// The conversion from a photo's embedded RGB profile to sRGB; `None` for a profile that is
/// not RGB (grey, CMYK: the decoder has made RGB of those already) or cannot be read — the
/// pixels are then kept as they are, since a broken profile is no reason to refuse a photo.
fn to_srgb(icc: &[u8]) -> Option<std::sync::Arc<moxcms::Transform8BitExecutor>> {
    let profile = moxcms::ColorProfile::new_from_slice(icc).ok()?;
    if profile.color_space != moxcms::DataColorSpace::Rgb {
        return None;
    }
    profile
        .create_transform_8bit(
            moxcms::Layout::Rgb,
            &moxcms::ColorProfile::new_srgb(),
            moxcms::Layout::Rgb,
            moxcms::TransformOptions::default(),
        )
        .ok()
}

fn converted(transform: &moxcms::Transform8BitExecutor, image: &RgbImage) -> Option<RgbImage> {
    let mut out = vec![0u8; image.as_raw().len()];
    transform.transform(image.as_raw(), &mut out).ok()?;
    RgbImage::from_raw(image.width(), image.height(), out)
}

fn damaged(err: image::ImageError) -> MediaError {
    MediaError::Damaged(err.to_string())
}

/// The sizes to render for an original whose long side is `long`: those of [`SIZES`] below
/// it, and the original's own when it is smaller than the largest (never scaled up).
fn target_sides(long: u32) -> Vec<u32> {
    let mut sides: Vec<u32> = SIZES.iter().copied().filter(|s| *s < long).collect();
    if sides.len() < SIZES.len() {
        sides.push(long);
    }
    sides
}

/// Width and height with the long side `long_side`, the aspect kept, at least 1 px.
fn fit(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let scale = |side: u32| {
        let long = u64::from(width.max(height));
        let scaled = (u64::from(side) * u64::from(long_side) + long / 2) / long;
        u32::try_from(scaled.max(1)).unwrap_or(1)
    };
    (scale(width), scale(height))
}

/// Transparent parts become white (a shop's logo on a white card), since JPEG has no alpha.
fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (target, source) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(source[3]);
        for channel in 0..3 {
            let value = u16::from(source[channel]) * alpha + 255 * (255 - alpha);
            target[channel] = u8::try_from(value / 255).unwrap_or(255);
        }
    }
    rgb
}

fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(image)
        .map_err(|err| MediaError::Encoding(err.to_string()))?;
    Ok(out)
}

fn encode_webp(image: &RgbImage) -> Result<Vec<u8>, MediaError> {
    let encoder = webp::Encoder::from_rgb(image.as_raw(), image.width(), image.height());
    let encoded = encoder
        .encode_simple(false, WEBP_QUALITY)
        .map_err(|err| MediaError::Encoding(format!("{err:?}")))?;
    Ok(encoded.to_vec())
}

fn average_color(image: &RgbImage) -> String {
    let mut sums = [0u64; 3];
    for pixel in image.pixels() {
        for (sum, value) in sums.iter_mut().zip(pixel.0) {
            *sum += u64::from(value);
        }
    }
    let count = u64::from(image.width()) * u64::from(image.height());
    let [r, g, b] = sums.map(|sum| sum / count.max(1));
    format!("#{r:02x}{g:02x}{b:02x}")
}
