//! The photos of a news item: add one from the phone or the desk, with what it shows; remove
//! one. The upload goes through the API's `uploadMedia` rule (`media::upload`, with its
//! quota, checks and idempotency record), the list through `updateNews` (`news::update`).
//!
//! Adding reads the item's photos and writes them back with the new one under the version it
//! just read, so a title being edited at the same time in another window is not touched and a
//! photo added meanwhile by someone else is not lost (a lost race is tried again).

use askama::Template;
use poem::{
    Request, Response, handler,
    http::{Method, StatusCode},
    web::{Data, Path, Query},
};
use uuid::Uuid;

use super::{Chrome, DoneQuery, has_chrome, news::version_of, render, see_other};
use crate::{
    console::{
        edge::domain_failure,
        forms::{FieldErrors, FieldMessage, refusal},
        i18n::labels,
        session::{Console, ConsolePost, ConsoleUpload},
    },
    http::media::parse_file,
    state::AppState,
};
use domain::{
    DomainError,
    media::{ALT_MAX, IMAGES_MAX, ImageRef},
    news::{self, NewsPatch, NewsView},
    text::Lang,
};

/// One photo as the page lists it.
pub struct PhotoRow {
    pub id: String,
    pub alt: String,
    /// The smallest rendition (JPEG), through the console (a draft's photo needs the sign-in).
    pub src: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Template)]
#[template(path = "news_photos.html")]
pub struct PhotosPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub photos: Vec<PhotoRow>,
    /// Whether this person may add and remove photos (`updateNews`'s rule).
    pub may_change: bool,
    /// Whether another photo may be added (the rule's limit is not reached).
    pub room: bool,
    pub full: String,
    pub file_hint: String,
    pub alt: String,
    pub idempotency_key: String,
    pub errors: FieldErrors,
    pub banner: String,
    pub success: String,
}

has_chrome!(PhotosPage);

/// Whether the request is the console's photo form (`POST /console/news/{id}/photos`): the
/// edge lets it be as large as a photo.
pub fn is_photo_upload(req: &Request) -> bool {
    req.method() == Method::POST
        && req
            .uri()
            .path()
            .strip_prefix("/console/news/")
            .and_then(|rest| rest.strip_suffix("/photos"))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// The item, for those who may change it: the API's `updateNews` rule (403 for a public item,
/// 404 for one the person may not see).
async fn editable(state: &AppState, page: &Console, id: Uuid) -> poem::Result<NewsView> {
    let view = news::get(&state.db, &state.clock, Some(&page.actor), id)
        .await
        .map_err(domain_failure)?;
    news::require_editor(&page.actor, &view).map_err(domain_failure)?;
    Ok(view)
}

/// What a form that is refused or answered shows besides the photos.
#[derive(Default)]
struct Answer {
    alt: String,
    errors: FieldErrors,
    banner: String,
    success: String,
}

async fn photos_page(
    state: &AppState,
    page: &Console,
    view: &NewsView,
    status: StatusCode,
    answer: Answer,
) -> poem::Result<Response> {
    let t = labels(page.lang).photos;
    let megabytes = state.uploads.limits.max_bytes / (1024 * 1024);
    let photos: Vec<PhotoRow> = view
        .images
        .iter()
        .map(|image| {
            let (width, height) = image.media.renditions.first().copied().unwrap_or_default();
            PhotoRow {
                id: image.media.item.id.to_string(),
                alt: image.alt.clone(),
                src: format!("/console/media/{}/{width}.jpg", image.media.item.id),
                width,
                height,
            }
        })
        .collect();
    Ok(render(
        status,
        &PhotosPage {
            chrome: Chrome::signed_in(state, page, t.title, "").await?,
            id: view.item.id.to_string(),
            title: view.item.title.clone(),
            may_change: news::require_editor(&page.actor, view).is_ok(),
            room: photos.len() < IMAGES_MAX,
            full: format!("{} {IMAGES_MAX} {}", t.full_prefix, t.full_suffix),
            photos,
            file_hint: format!("{} {megabytes} MB.", t.file_hint),
            alt: answer.alt,
            // A new key per form shown: sending this form twice is one upload.
            idempotency_key: Uuid::now_v7().to_string(),
            errors: answer.errors,
            banner: answer.banner,
            success: answer.success,
        },
    ))
}

/// `GET /console/news/{id}/photos`
#[handler]
pub async fn show(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> poem::Result<Response> {
    // Seen by whoever may see the item's edit page (`getNewsDelivery`'s rule); changing the
    // photos is the editors' (`updateNews`'s rule, on the forms).
    news::delivery(&state.db, &state.clock, &page.actor, id)
        .await
        .map_err(domain_failure)?;
    let view = news::get(&state.db, &state.clock, Some(&page.actor), id)
        .await
        .map_err(domain_failure)?;
    let t = labels(page.lang).photos;
    let success = match query.done.as_deref() {
        Some("added") => t.added,
        Some("removed") => t.removed,
        _ => "",
    };
    photos_page(
        state,
        &page,
        &view,
        StatusCode::OK,
        Answer {
            success: success.to_owned(),
            ..Answer::default()
        },
    )
    .await
}

/// An upload's refusal next to the input it is about: the file's (too large, not a photo,
/// too many pixels) or its description's.
fn upload_refusal(err: DomainError, lang: Lang) -> poem::Result<(StatusCode, FieldErrors, String)> {
    let on_file = |status: StatusCode, text: &domain::text::Text| {
        Ok((status, FieldErrors::one("photo", text, lang), String::new()))
    };
    match err {
        DomainError::TooLarge(text) => on_file(StatusCode::PAYLOAD_TOO_LARGE, &text),
        DomainError::UnsupportedType(text) => on_file(StatusCode::UNSUPPORTED_MEDIA_TYPE, &text),
        other => {
            let refused = refusal(other, lang)?;
            // The rules name the API's fields: `images[2].alt` is the description, `images…`
            // and `body` (the pixels) the file. Anything else is about the item, not this
            // form (e.g. an expiry that has passed): said above the form.
            let mut errors = Vec::new();
            let mut banner = vec![refused.banner];
            for message in refused.errors.0 {
                let field = if message.field.ends_with(".alt") {
                    "alt"
                } else if message.field.starts_with("images") || message.field == "body" {
                    "photo"
                } else {
                    banner.push(message.text);
                    continue;
                };
                errors.push(FieldMessage {
                    field: field.to_owned(),
                    text: message.text,
                });
            }
            let banner = banner
                .into_iter()
                .filter(|text| !text.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            Ok((refused.status, FieldErrors(errors), banner))
        }
    }
}

/// How often a lost race with another change to the same item is tried again.
const ATTEMPTS: usize = 3;

/// Writes the item's photos as `change` makes them from the stored ones, under the version
/// just read; `Ok(None)` when `change` finds nothing to do.
async fn change_photos(
    state: &AppState,
    page: &Console,
    id: Uuid,
    change: impl Fn(Vec<ImageRef>) -> Option<Vec<ImageRef>>,
) -> Result<Option<NewsView>, DomainError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = news::get(&state.db, &state.clock, Some(&page.actor), id).await?;
        let stored: Vec<ImageRef> = current
            .images
            .iter()
            .map(|image| ImageRef {
                id: image.media.item.id,
                alt: image.alt.clone(),
            })
            .collect();
        let Some(images) = change(stored) else {
            return Ok(None);
        };
        let read = version_of(&current);
        let patch = NewsPatch {
            images: Some(images),
            ..NewsPatch::default()
        };
        match news::update(
            &state.db,
            &state.clock,
            &state.news_version,
            &page.actor,
            id,
            patch,
            |view| version_of(view) == read,
        )
        .await
        {
            Err(DomainError::PreconditionFailed) if attempt < ATTEMPTS => continue,
            outcome => return outcome.map(Some),
        }
    }
}

/// `POST /console/news/{id}/photos` (`multipart/form-data`): uploads the chosen photo and adds
/// it to the item with its description.
#[handler]
pub async fn add(
    Data(state): Data<&AppState>,
    upload: ConsoleUpload,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsoleUpload {
        console: page,
        form,
        file,
    } = upload;
    // Nothing is stored for someone who may not change the item.
    let view = editable(state, &page, id).await?;
    let t = labels(page.lang).photos;
    let alt = form.get("alt").trim().to_owned();
    let refuse = |status: StatusCode, errors: FieldErrors, banner: String| {
        photos_page(
            state,
            &page,
            &view,
            status,
            Answer {
                alt: alt.clone(),
                errors,
                banner,
                success: String::new(),
            },
        )
    };
    // The cheap checks before the upload, so that a forgotten description costs no quota and
    // leaves no unused photo behind.
    let mut errors = Vec::new();
    if file.is_none() {
        errors.push(FieldMessage {
            field: "photo".into(),
            text: t.choose_file.into(),
        });
    }
    if alt.is_empty() {
        errors.push(FieldMessage {
            field: "alt".into(),
            text: t.describe.into(),
        });
    } else if alt.chars().count() > ALT_MAX {
        errors.push(FieldMessage {
            field: "alt".into(),
            text: format!(
                "{} {ALT_MAX} {}",
                t.alt_too_long_prefix, t.alt_too_long_suffix
            ),
        });
    }
    if view.images.len() >= IMAGES_MAX {
        // Full: nothing is uploaded (no quota spent, no photo left over).
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            FieldErrors::default(),
            format!("{} {IMAGES_MAX} {}", t.full_prefix, t.full_suffix),
        )
        .await;
    }
    let Some(bytes) = file.filter(|_| errors.is_empty()) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            FieldErrors(errors),
            String::new(),
        )
        .await;
    };
    let key = form.get("idempotency_key").trim().to_owned();
    let uploaded = match domain::media::upload(
        &state.db,
        &state.clock,
        &state.uploads,
        &page.actor,
        bytes,
        Some(key.as_str()).filter(|k| !k.is_empty()),
    )
    .await
    {
        Ok(media) => media,
        Err(err) => {
            let (status, errors, banner) = upload_refusal(err, page.lang)?;
            return refuse(status, errors, banner).await;
        }
    };
    let media_id = uploaded.item.id;
    // A resent form names the same upload: it is on the item already, nothing to add.
    let added = change_photos(state, &page, id, |mut images| {
        (!images.iter().any(|image| image.id == media_id)).then(|| {
            images.push(ImageRef {
                id: media_id,
                alt: alt.clone(),
            });
            images
        })
    })
    .await;
    match added {
        Ok(_) => Ok(see_other(&format!("/console/news/{id}/photos?done=added"))),
        Err(DomainError::PreconditionFailed) => {
            refuse(StatusCode::CONFLICT, FieldErrors::default(), t.busy.into()).await
        }
        Err(err) => {
            let (status, errors, banner) = upload_refusal(err, page.lang)?;
            refuse(status, errors, banner).await
        }
    }
}

/// `POST /console/news/{id}/photos/remove`: takes the photo `media_id` off the item (the
/// photo itself is deleted a day later if nothing else shows it).
#[handler]
pub async fn remove(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let view = editable(state, &page, id).await?;
    // An id that is not one of the item's photos (or not an id) changes nothing.
    let media_id = form.get("media_id").parse::<Uuid>().ok();
    let removed = change_photos(state, &page, id, |images| {
        let kept: Vec<ImageRef> = images
            .iter()
            .filter(|image| Some(image.id) != media_id)
            .cloned()
            .collect();
        (kept.len() < images.len()).then_some(kept)
    })
    .await;
    match removed {
        Ok(Some(_)) => Ok(see_other(&format!(
            "/console/news/{id}/photos?done=removed"
        ))),
        Ok(None) => Ok(see_other(&format!("/console/news/{id}/photos"))),
        Err(DomainError::PreconditionFailed) => {
            let t = labels(page.lang).photos;
            photos_page(
                state,
                &page,
                &view,
                StatusCode::CONFLICT,
                Answer {
                    banner: t.busy.into(),
                    ..Answer::default()
                },
            )
            .await
        }
        Err(err) => Err(domain_failure(err)),
    }
}

/// `GET /console/media/{id}/{file}`: a photo's rendition for the console's pages, under the
/// API's `getMediaFile` rule with the console's sign-in. The API's address would show a draft's
/// photo only with a token, which a page's `<img>` cannot send.
#[handler]
pub async fn rendition(
    Data(state): Data<&AppState>,
    page: Console,
    Path((id, file)): Path<(Uuid, String)>,
) -> poem::Result<Response> {
    let (width, encoding) =
        parse_file(&file).ok_or_else(|| poem::Error::from_status(StatusCode::NOT_FOUND))?;
    let served = domain::photo_access::open(
        &state.db,
        &state.clock,
        &state.uploads.store,
        Some(&page.actor),
        id,
        width,
        encoding,
    )
    .await
    .map_err(domain_failure)?;
    let mut response = Response::builder().content_type(match encoding {
        media::Encoding::WebP => "image/webp",
        media::Encoding::Jpeg => "image/jpeg",
    });
    if served.public {
        // A public photo's bytes never change; the browser may keep them. Any other (a
        // draft's, an Anliegen's) gets the console's `no-store`: not kept on a shared computer.
        response = response.header(poem::http::header::CACHE_CONTROL, "private, max-age=86400");
    }
    Ok(response.body(served.bytes))
}
