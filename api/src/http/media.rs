//! `/api/v1/media`: photos. Uploaded once (`POST`, the file itself as the body), then shown by
//! id on news items (and shops, shop notices, Anliegen), and served per size and format from
//! stable URLs that never change their bytes.

use bytes::Bytes;
use chrono::DateTime;
use poem::web::Data;
use poem_openapi::{
    ApiRequest, ApiResponse, Object, OpenApi, ResponseContent,
    param::{Header, Path},
    payload::{Binary, Json},
};
use uuid::Uuid;

use super::{ApiTags, edge::no_store, types::Timestamp};
use crate::{
    auth::{Caller, OptionalCaller},
    error::{ApiError, ApiResult},
    state::AppState,
};
use domain::media::{self as rules, MediaView, ShownImage};
use media::Encoding;

/// Where uploads are posted; the edge lets bodies up to the photo limit through here only.
pub const UPLOAD_PATH: &str = "/api/v1/media";

/// One rendered size of a photo, in both formats.
#[derive(Object, serde::Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Rendition {
    /// Width in pixels (the long side is one of 320, 800, 1600, never more than the original).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// WebP (smaller; every current browser and app shows it): `/api/v1/media/{id}/{width}.webp`.
    pub webp_url: String,
    /// JPEG, for clients that cannot show WebP: `/api/v1/media/{id}/{width}.jpg`.
    pub jpeg_url: String,
}

/// An uploaded photo: what an `<img srcset>` needs. Every metadata block of the original
/// (EXIF with its GPS position, XMP, ICC profile) is gone; only re-encoded pixels are served.
#[derive(Object, serde::Serialize, Clone, Debug, PartialEq, Eq)]
#[oai(example)]
pub struct Media {
    /// Stable identifier; name it in `images` of a news item to show the photo there.
    pub id: Uuid,
    /// Upright width of the original in pixels.
    pub width: u32,
    /// Upright height of the original in pixels.
    pub height: u32,
    /// The average colour, `#rrggbb`: fill the image's box with it while the photo loads.
    pub dominant_color: String,
    /// Every rendered size, smallest first.
    pub renditions: Vec<Rendition>,
    /// When it was uploaded (RFC 3339, UTC). An upload that nothing shows is deleted after a
    /// day.
    pub created_at: Timestamp,
}

/// A photo as a news item (or another thing) shows it.
#[derive(Object, serde::Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Text read out instead of the photo (screen readers), and shown when it does not load.
    pub alt: String,
    /// The photo and its sizes.
    pub media: Media,
}

/// A photo to show, in the order given: an uploaded photo's id and what it shows.
#[derive(Object, Clone, Debug)]
pub struct ImageInput {
    /// The id from `POST /api/v1/media`. Your own upload, or a photo the thing shows already.
    pub id: Uuid,
    /// What the photo shows, for people who cannot see it (1 to 300 characters), e.g.
    /// „Das neue Buswartehäuschen an der Hauptstraße“.
    pub alt: String,
}

impl From<ImageInput> for rules::ImageRef {
    fn from(input: ImageInput) -> Self {
        Self {
            id: input.id,
            alt: input.alt,
        }
    }
}

/// Whether the request is an upload (`POST /api/v1/media`): the edge lets it be larger.
pub(crate) fn is_upload(req: &poem::Request) -> bool {
    req.method() == poem::http::Method::POST && req.uri().path() == UPLOAD_PATH
}

/// Whether `path` names a rendition's file (`/api/v1/media/{id}/{file}`).
pub(crate) fn is_rendition_path(path: &str) -> bool {
    path.strip_prefix(UPLOAD_PATH)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(id, file)| !id.is_empty() && !file.is_empty() && !file.contains('/'))
}

fn url(id: Uuid, width: u32, encoding: Encoding) -> String {
    format!("{UPLOAD_PATH}/{id}/{width}.{}", encoding.extension())
}

impl From<MediaView> for Media {
    fn from(view: MediaView) -> Self {
        let id = view.item.id;
        Self {
            id,
            width: u32::try_from(view.item.width).unwrap_or_default(),
            height: u32::try_from(view.item.height).unwrap_or_default(),
            dominant_color: view.item.dominant_color,
            renditions: view
                .renditions
                .into_iter()
                .map(|(width, height)| Rendition {
                    width,
                    height,
                    webp_url: url(id, width, Encoding::WebP),
                    jpeg_url: url(id, width, Encoding::Jpeg),
                })
                .collect(),
            created_at: view.item.created_at.into(),
        }
    }
}

impl From<ShownImage> for Image {
    fn from(shown: ShownImage) -> Self {
        Self {
            alt: shown.alt,
            media: shown.media.into(),
        }
    }
}

impl poem_openapi::types::Example for Media {
    fn example() -> Self {
        let id = Uuid::parse_str("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e41").unwrap_or_default();
        let at = DateTime::parse_from_rfc3339("2026-05-01T08:30:00Z")
            .map(|t| t.to_utc())
            .unwrap_or_default();
        Self {
            id,
            width: 4000,
            height: 3000,
            dominant_color: "#6b7a5c".into(),
            renditions: [(320, 240), (800, 600), (1600, 1200)]
                .into_iter()
                .map(|(width, height)| Rendition {
                    width,
                    height,
                    webp_url: url(id, width, Encoding::WebP),
                    jpeg_url: url(id, width, Encoding::Jpeg),
                })
                .collect(),
            created_at: at.into(),
        }
    }
}

/// The photo file itself, as `application/octet-stream`. Its type is recognised from its
/// bytes, so `image/jpeg`, `image/png`, `image/webp` or any other `Content-Type` is taken as
/// well (HEIC then gets its own answer).
#[derive(ApiRequest)]
pub enum UploadBody {
    /// Any photo file. (One entry only: several binary media types here break some client
    /// generators, e.g. openapi-python-client.)
    Binary(Binary<Vec<u8>>),
}

impl UploadBody {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            UploadBody::Binary(b) => b.0,
        }
    }
}

#[derive(ApiResponse)]
pub enum UploadResponse {
    /// The photo was taken and rendered in every size.
    #[oai(status = 201)]
    Created(
        Json<Media>,
        /// Where its description can be read: `/api/v1/media/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

/// The bytes of one rendition.
#[derive(ResponseContent)]
pub enum Picture {
    #[oai(content_type = "image/webp")]
    WebP(Binary<Bytes>),
    #[oai(content_type = "image/jpeg")]
    Jpeg(Binary<Bytes>),
}

#[derive(ApiResponse)]
pub enum MediaResponse {
    /// The upload's sizes and their URLs.
    #[oai(status = 200)]
    Ok(Json<Media>),
}

#[derive(ApiResponse)]
pub enum PictureResponse {
    /// The rendition. Its bytes never change: keep it as long as you like.
    #[oai(status = 200)]
    Ok(
        Picture,
        /// Identifies the rendition (it never changes).
        #[oai(header = "ETag")]
        String,
        /// `public, max-age=31536000, immutable` for a photo everyone may see; `private` with
        /// the same age for one only the caller may see (a draft's).
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// The copy named in `If-None-Match` is this rendition; the body is empty.
    #[oai(status = 304)]
    NotModified(
        /// Identifies the rendition.
        #[oai(header = "ETag")]
        String,
    ),
}

/// The error answers each operation here can give (see [`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("uploadMedia", &[401, 422, 429]),
    ("getMedia", &[400, 401, 404]),
    ("getMediaFile", &[400, 401, 404]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    &[("ImageInput", "alt", &[Text(rules::ALT_MAX)])]
};

/// `800.webp` → (800, WebP).
pub(crate) fn parse_file(file: &str) -> Option<(u32, Encoding)> {
    let (width, extension) = file.split_once('.')?;
    let encoding = match extension {
        "webp" => Encoding::WebP,
        "jpg" => Encoding::Jpeg,
        _ => return None,
    };
    if width.is_empty() || width.len() > 5 || !width.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((width.parse().ok()?, encoding))
}

pub struct MediaApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Media")]
impl MediaApi {
    /// Upload a photo
    ///
    /// Any signed-in person. Send the file itself as the body (JPEG, PNG or WebP, up to 15 MB
    /// by default; HEIC is refused with 415 and a hint). The type is recognised from the bytes.
    /// The photo is turned upright, converted to sRGB when it carries a colour profile, every
    /// metadata block (EXIF with the GPS position, XMP, ICC) is removed, and it is rendered at
    /// 320, 800 and 1600 px on the long side as WebP and JPEG. Then name its `id` in `images`
    /// of a news item, a shop or a shop notice; an upload that nothing shows is deleted
    /// after a day. At most 30 uploads per person and day (429 with `Retry-After`). Send an
    /// `Idempotency-Key`: a retry after a lost answer (same key, same file, within 24 h) gets
    /// the first upload back and counts once.
    #[oai(
        path = "/media",
        method = "post",
        operation_id = "uploadMedia",
        transform = "no_store"
    )]
    async fn upload(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Any unique string (a UUID): a retry with the same key and the same file within 24 h
        /// answers with the first upload and makes no second one.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<UploadResponse> {
        let view = rules::upload(
            &state.db,
            &state.clock,
            &state.uploads,
            &actor,
            body.into_bytes(),
            idempotency_key.0.as_deref(),
        )
        .await?;
        let location = format!("{UPLOAD_PATH}/{}", view.item.id);
        Ok(UploadResponse::Created(Json(view.into()), location))
    }

    /// Describe an upload
    ///
    /// The sizes and URLs of one of your uploads (administrators: of any). Others get 404.
    #[oai(
        path = "/media/:id",
        method = "get",
        operation_id = "getMedia",
        transform = "no_store"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The photo's id.
        id: Path<Uuid>,
    ) -> ApiResult<MediaResponse> {
        let view = rules::get(&state.db, &actor, id.0).await?;
        Ok(MediaResponse::Ok(Json(view.into())))
    }

    /// Get a photo in one size
    ///
    /// `{file}` is `{width}.webp` or `{width}.jpg` with a width from the photo's
    /// `renditions`; take the URLs from there. A photo shown by something public (a published
    /// news item, a shop) is public and may be cached by anyone for a year; the photo of a
    /// draft only for those who may see the draft (send the token), and its uploader.
    /// Everyone else, and a size that does not exist, get 404.
    #[oai(
        path = "/media/:id/:file",
        method = "get",
        operation_id = "getMediaFile"
    )]
    async fn file(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// The photo's id.
        id: Path<Uuid>,
        /// `{width}.webp` or `{width}.jpg`, e.g. `800.webp`.
        file: Path<String>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<PictureResponse> {
        let actor = caller.actor()?;
        let (width, encoding) = parse_file(&file.0).ok_or_else(|| {
            ApiError::not_found(domain::text::Text::new(
                "Diese Größe gibt es nicht: `{Breite}.webp` oder `{Breite}.jpg` aus `renditions`.",
                "No such size: `{width}.webp` or `{width}.jpg` from `renditions`.",
            ))
        })?;
        let served = domain::photo_access::open(
            &state.db,
            &state.clock,
            &state.uploads.store,
            actor,
            id.0,
            width,
            encoding,
        )
        .await?;
        let etag = format!("\"{}-{width}-{}\"", id.0, encoding.extension());
        if super::etag::none_match_hits(if_none_match.0.as_deref(), &etag) {
            return Ok(PictureResponse::NotModified(etag));
        }
        let scope = if served.public { "public" } else { "private" };
        let cache = format!("{scope}, max-age=31536000, immutable");
        let picture = match encoding {
            Encoding::WebP => Picture::WebP(Binary(served.bytes)),
            Encoding::Jpeg => Picture::Jpeg(Binary(served.bytes)),
        };
        Ok(PictureResponse::Ok(picture, etag, cache))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_a_width_and_a_served_format() {
        assert_eq!(parse_file("800.webp"), Some((800, Encoding::WebP)));
        assert_eq!(parse_file("320.jpg"), Some((320, Encoding::Jpeg)));
        for wrong in [
            "800",
            "800.png",
            ".webp",
            "-1.jpg",
            "99999999.jpg",
            "8 0.jpg",
            "800.webp.jpg",
        ] {
            assert_eq!(parse_file(wrong), None, "{wrong}");
        }
    }
}
