//! Photos (issue 17): uploads, where they are shown, who may see them, and when they go.
//!
//! - [`upload`]: the bytes are checked and rendered by the `media` crate on a blocking thread
//!   (at most [`Uploads::permits`] at once, so a burst of uploads queues instead of starving the
//!   runtime), the renditions written to the [`MediaStore`], then the row inserted. A person may
//!   upload [`Uploads::per_day`] photos a day.
//! - [`attach`]: a thing (news item, shop, shop notice) shows uploads by id, in order, each with
//!   its own alt text (required: many residents hear the page rather than see it). Only the
//!   uploader may attach a photo that the thing does not show yet.
//! - [`open`]: a rendition for a reader. A photo is public when a public thing shows it; else
//!   only its uploader, an admin, and those who may see an unpublished thing that shows it (the
//!   same rule function as the thing's own page) get it; everyone else gets 404.
//! - [`release`] and [`purge_orphans`]: a photo nothing shows any more goes, renditions first,
//!   row last, so a failed delete is retried and nothing stays behind. Deleting a thing or a
//!   person queues a [`RELEASE_JOB`] for the photos they showed; an upload that was never
//!   attached goes after [`PURGE_AFTER`].

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use entity::{media as media_row, media_use, vocab::MediaSourceType};
use futures::future::try_join_all;
use media::{Encoding, Limits, MediaError, store::MediaStore};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{
    DomainError, DomainResult,
    auth::Actor,
    clock::SharedClock,
    db, idempotency,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    text::{FieldError, Text},
};

/// Longest alt text, in characters.
pub const ALT_MAX: usize = 300;
/// Most photos one thing shows.
pub const IMAGES_MAX: usize = 10;
/// How long an upload may wait to be attached before it is purged.
pub const PURGE_AFTER: Duration = Duration::days(1);
/// The window of the upload quota.
pub const DAY: Duration = Duration::days(1);
/// The job that removes photos a deleted thing or person showed, if nothing else shows them.
pub const RELEASE_JOB: &str = "media.release";
/// Most uploads one purge run removes; the next run takes the rest.
const PURGE_BATCH: u64 = 200;

/// What the server needs to take uploads: where they go, what is accepted, how many may be
/// processed at once, and the daily quota. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Uploads {
    pub store: MediaStore,
    pub limits: Limits,
    pub per_day: u32,
    pub permits: Arc<Semaphore>,
}

impl Uploads {
    /// `parallel` photos are processed at once (each takes a core for up to a second and
    /// about ten times its file size in memory).
    pub fn new(store: MediaStore, limits: Limits, per_day: u32, parallel: usize) -> Self {
        Self {
            store,
            limits,
            per_day,
            permits: Arc::new(Semaphore::new(parallel.max(1))),
        }
    }
}

/// An upload and its rendered sizes.
#[derive(Clone, Debug)]
pub struct MediaView {
    pub item: media_row::Model,
    /// `(width, height)` per rendered size, smallest first; each in WebP and JPEG.
    pub renditions: Vec<(u32, u32)>,
}

impl MediaView {
    fn new(item: media_row::Model) -> Self {
        // Written by this module only, always a JSON array.
        let renditions = serde_json::from_str(&item.renditions).unwrap_or_default();
        Self { item, renditions }
    }

    fn widths(&self) -> Vec<u32> {
        self.renditions.iter().map(|(w, _)| *w).collect()
    }
}

/// A photo as a thing shows it.
#[derive(Clone, Debug)]
pub struct ShownImage {
    pub media: MediaView,
    pub alt: String,
}

/// A photo a thing is to show, as asked for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImageRef {
    pub id: Uuid,
    pub alt: String,
}

/// What shows photos.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Thing {
    News(Uuid),
    Shop(Uuid),
    ShopNotice(Uuid),
    Anliegen(Uuid),
    Event(Uuid),
}

impl Thing {
    fn kind(self) -> (ThingKind, Uuid) {
        match self {
            Thing::News(id) => (ThingKind::News, id),
            Thing::Shop(id) => (ThingKind::Shop, id),
            Thing::ShopNotice(id) => (ThingKind::ShopNotice, id),
            Thing::Anliegen(id) => (ThingKind::Anliegen, id),
            Thing::Event(id) => (ThingKind::Event, id),
        }
    }

    /// The thing a `media_use` row names (exactly one of its columns is set).
    fn of(used: &media_use::Model) -> Option<Thing> {
        (used.news_id.map(Thing::News))
            .or(used.shop_id.map(Thing::Shop))
            .or(used.shop_notice_id.map(Thing::ShopNotice))
            .or(used.anliegen_id.map(Thing::Anliegen))
            .or(used.event_id.map(Thing::Event))
    }

    fn filter(self) -> sea_orm::Condition {
        let (kind, id) = self.kind();
        sea_orm::Condition::all().add(kind.column().eq(id))
    }

    fn set(self, model: &mut media_use::ActiveModel) {
        model.news_id = Set(None);
        model.shop_id = Set(None);
        model.shop_notice_id = Set(None);
        model.anliegen_id = Set(None);
        model.event_id = Set(None);
        match self {
            Thing::News(id) => model.news_id = Set(Some(id)),
            Thing::Shop(id) => model.shop_id = Set(Some(id)),
            Thing::ShopNotice(id) => model.shop_notice_id = Set(Some(id)),
            Thing::Anliegen(id) => model.anliegen_id = Set(Some(id)),
            Thing::Event(id) => model.event_id = Set(Some(id)),
        }
    }
}

/// What a person is told when their photo is larger than `max_bytes`.
pub fn too_large(max_bytes: usize) -> Text {
    let megabytes = max_bytes / (1024 * 1024);
    Text::new(
        format!("Das Foto ist zu groß. Es werden Fotos bis {megabytes} MB angenommen."),
        format!("The photo is too large. Photos up to {megabytes} MB are accepted."),
    )
}

fn refused(err: MediaError, limits: &Limits) -> DomainError {
    match err {
        MediaError::TooLarge { .. } => DomainError::TooLarge(too_large(limits.max_bytes)),
        MediaError::Heic => DomainError::UnsupportedType(Text::new(
            "HEIC-Fotos (iPhone) werden nicht angenommen. Bitte als JPEG, PNG oder WebP senden \
             (iPhone: Einstellungen › Kamera › Formate › „Maximale Kompatibilität“).",
            "HEIC photos (iPhone) are not accepted. Please send JPEG, PNG or WebP (iPhone: \
             Settings › Camera › Formats › “Most Compatible”).",
        )),
        MediaError::Unsupported => DomainError::UnsupportedType(Text::new(
            "Nur Fotos im Format JPEG, PNG oder WebP werden angenommen.",
            "Only photos in JPEG, PNG or WebP format are accepted.",
        )),
        MediaError::TooManyPixels { width, height } => {
            DomainError::Validation(vec![FieldError::new(
                "body",
                Text::new(
                    format!(
                        "Das Bild hat {width} × {height} Pixel; angenommen werden höchstens {} Pixel je Seite und {} Megapixel.",
                        limits.max_side,
                        limits.max_pixels / 1_000_000
                    ),
                    format!(
                        "The image has {width} × {height} pixels; at most {} pixels a side and {} megapixels are accepted.",
                        limits.max_side,
                        limits.max_pixels / 1_000_000
                    ),
                ),
            )])
        }
        MediaError::Damaged(_) => DomainError::Validation(vec![crate::text::field(
            "body",
            "Das Bild ist beschädigt oder wurde nicht vollständig übertragen. Bitte noch einmal senden.",
            "The image is damaged or was not transferred completely. Please send it again.",
        )]),
        MediaError::Encoding(cause) => DomainError::Internal(format!("encoding a photo: {cause}")),
    }
}

fn storage(err: media::store::StoreError) -> DomainError {
    DomainError::Unavailable(format!("media storage: {err}"))
}

/// The uploads of `owner` within the last day, oldest first.
async fn uploads_today(
    conn: &impl ConnectionTrait,
    owner: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, sea_orm::DbErr> {
    media_row::Entity::find()
        .select_only()
        .column(media_row::Column::CreatedAt)
        .filter(media_row::Column::OwnerId.eq(owner))
        .filter(media_row::Column::CreatedAt.gt(now - DAY))
        .order_by_asc(media_row::Column::CreatedAt)
        .into_tuple()
        .all(conn)
        .await
}

fn check_quota(times: &[DateTime<Utc>], per_day: u32, now: DateTime<Utc>) -> DomainResult<()> {
    crate::quotas::check(
        times.len() as u64,
        1,
        per_day,
        times.first().map(|t| *t + DAY),
        now,
        || {
            Text::new(
                format!("Höchstens {per_day} Fotos pro Tag."),
                format!("At most {per_day} photos a day."),
            )
        },
    )
}

/// Takes an upload: any signed-in person may, within the daily quota. With an
/// `idempotency_key`, a retry of the same file answers with the first upload: on a weak
/// network the answer to a 5 MB upload is easily lost, and the retry must not count twice.
pub async fn upload(
    db: &DatabaseConnection,
    clock: &SharedClock,
    uploads: &Uploads,
    actor: &Actor,
    bytes: Vec<u8>,
    idempotency_key: Option<&str>,
) -> DomainResult<MediaView> {
    let (bytes, claim) = match idempotency_key {
        None => (bytes, None),
        Some(key) => {
            // The file's digest is the request's fingerprint; hashing 15 MB takes a while, so
            // off the async workers.
            let (bytes, digest) = tokio::task::spawn_blocking(move || {
                let digest = format!("{:x}", Sha256::digest(&bytes));
                (bytes, digest)
            })
            .await
            .map_err(|e| DomainError::Internal(format!("hashing the upload stopped: {e}")))?;
            let claim = idempotency::Claim::new(
                format!("user:{}", actor.user_id),
                key,
                "uploadMedia",
                &digest,
            )?;
            if let Some(first) = idempotency::peek(db, clock, &claim).await? {
                return first_upload(db, actor, first).await;
            }
            (bytes, Some(claim))
        }
    };
    // Cheap refusals first: no CPU is spent on a photo that could not be kept.
    check_quota(
        &uploads_today(db, actor.user_id, clock.now()).await?,
        uploads.per_day,
        clock.now(),
    )?;
    let upload_bytes = bytes.len();
    if upload_bytes > uploads.limits.max_bytes {
        return Err(refused(
            MediaError::TooLarge {
                size: upload_bytes,
                max: uploads.limits.max_bytes,
            },
            &uploads.limits,
        ));
    }
    let source = media::sniff(&bytes).map_err(|e| refused(e, &uploads.limits))?;
    let processed = {
        let _permit = uploads
            .permits
            .acquire()
            .await
            .map_err(|_| DomainError::Unavailable("upload permits closed".into()))?;
        let limits = uploads.limits;
        tokio::task::spawn_blocking(move || media::process(&bytes, &limits))
            .await
            .map_err(|e| {
                if e.is_panic() {
                    // A decoder or the colour engine gave up on this file in a way it did not
                    // foresee: the file's doing, answered like any damaged file, not a 500.
                    tracing::warn!(error = %e, "photo processing panicked; refused as damaged");
                    refused(
                        MediaError::Damaged("the decoder could not read it".into()),
                        &uploads.limits,
                    )
                } else {
                    DomainError::Internal(format!("photo processing stopped: {e}"))
                }
            })?
            .map_err(|e| refused(e, &uploads.limits))?
    };
    let id = Uuid::now_v7();
    let key = id.to_string();
    let renditions: Vec<(u32, u32)> = processed
        .renditions
        .iter()
        .filter(|r| r.encoding == Encoding::Jpeg)
        .map(|r| (r.width, r.height))
        .collect();
    let widths: Vec<u32> = renditions.iter().map(|(w, _)| *w).collect();
    try_join_all(
        processed
            .renditions
            .into_iter()
            .map(|r| uploads.store.put(&key, r.width, r.encoding, r.bytes)),
    )
    .await
    .map_err(storage)?;
    let inserted = async {
        let txn = db::begin_write(db).await?;
        if let Some(claim) = &claim
            && let Some(first) = idempotency::claim(&txn, clock, claim).await?
        {
            // The same retry ran alongside and finished first: its upload stands.
            txn.commit().await?;
            return Ok(Stored::Earlier(first));
        }
        crate::quotas::lock(&txn, &format!("media:{}", actor.user_id)).await?;
        let now = clock.now();
        // Counted again under the lock: parallel uploads of one person cannot pass the quota.
        check_quota(
            &uploads_today(&txn, actor.user_id, now).await?,
            uploads.per_day,
            now,
        )?;
        let item = media_row::ActiveModel {
            id: Set(id),
            owner_id: Set(Some(actor.user_id)),
            source_type: Set(source_type(source)),
            width: Set(i32::try_from(processed.width).unwrap_or(i32::MAX)),
            height: Set(i32::try_from(processed.height).unwrap_or(i32::MAX)),
            renditions: Set(serde_json::json!(renditions).to_string()),
            dominant_color: Set(processed.dominant_color),
            upload_bytes: Set(i64::try_from(upload_bytes).unwrap_or(i64::MAX)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        if let Some(claim) = &claim {
            let answer = idempotency::StoredAnswer {
                status: 201,
                body: String::new(),
                resource_id: Some(item.id),
            };
            idempotency::complete(&txn, claim, &answer).await?;
        }
        txn.commit().await?;
        Ok::<_, DomainError>(Stored::New(item))
    }
    .await;
    let earlier = match inserted {
        Ok(Stored::New(item)) => return Ok(MediaView::new(item)),
        Ok(Stored::Earlier(first)) => Ok(first),
        Err(err) => Err(err),
    };
    // No row will ever name these files: take them away again.
    if let Err(cleanup) = uploads.store.delete(&key, &widths).await {
        tracing::warn!(media_id = %id, error = %cleanup, "renditions of a refused upload left behind");
    }
    first_upload(db, actor, earlier?).await
}

/// What the insert of an upload came to.
enum Stored {
    New(media_row::Model),
    /// A retry under the same `Idempotency-Key` was first.
    Earlier(idempotency::StoredAnswer),
}

/// The upload a first request under the same `Idempotency-Key` made.
async fn first_upload(
    db: &DatabaseConnection,
    actor: &Actor,
    first: idempotency::StoredAnswer,
) -> DomainResult<MediaView> {
    // Gone when nothing showed it for a day and it was purged: like any missing photo.
    get(db, actor, first.resource_id.ok_or_else(not_found)?).await
}

/// The `media` crate knows no database; its recognised type is stored as the vocabulary's.
fn source_type(source: media::SourceType) -> MediaSourceType {
    match source {
        media::SourceType::Jpeg => MediaSourceType::Jpeg,
        media::SourceType::Png => MediaSourceType::Png,
        media::SourceType::WebP => MediaSourceType::WebP,
    }
}

/// One upload's description, for its uploader and admins only.
pub async fn get(conn: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> DomainResult<MediaView> {
    let item = media_row::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    if item.owner_id == Some(actor.user_id) || actor.is_admin() {
        Ok(MediaView::new(item))
    } else {
        Err(not_found())
    }
}

/// Checks the photos a thing is to show; call [`attach`] with the result inside the thing's
/// transaction. Errors name `images[i].id` or `images[i].alt`.
pub async fn check_refs(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    thing: Option<Thing>,
    refs: &[ImageRef],
) -> DomainResult<()> {
    let mut errors = Vec::new();
    if refs.len() > IMAGES_MAX {
        errors.push(FieldError::new(
            "images",
            Text::new(
                format!("Höchstens {IMAGES_MAX} Fotos."),
                format!("At most {IMAGES_MAX} photos."),
            ),
        ));
    }
    let ids: Vec<Uuid> = refs.iter().map(|r| r.id).collect();
    let known: HashMap<Uuid, Option<Uuid>> = media_row::Entity::find()
        .select_only()
        .column(media_row::Column::Id)
        .column(media_row::Column::OwnerId)
        .filter(media_row::Column::Id.is_in(ids.clone()))
        .into_tuple::<(Uuid, Option<Uuid>)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let shown_already: Vec<Uuid> = match thing {
        Some(thing) => {
            media_use::Entity::find()
                .select_only()
                .column(media_use::Column::MediaId)
                .filter(thing.filter())
                .into_tuple()
                .all(conn)
                .await?
        }
        None => Vec::new(),
    };
    for (index, image) in refs.iter().enumerate() {
        let usable = known.get(&image.id).is_some_and(|owner| {
            *owner == Some(actor.user_id) || shown_already.contains(&image.id)
        });
        if !usable {
            errors.push(crate::text::field(
                format!("images[{index}].id"),
                "Unbekanntes Foto: bitte zuerst hochladen (POST /api/v1/media).",
                "Unknown photo: upload it first (POST /api/v1/media).",
            ));
        }
        if ids[..index].contains(&image.id) {
            errors.push(crate::text::field(
                format!("images[{index}].id"),
                "Dieses Foto ist schon in der Liste.",
                "This photo is in the list already.",
            ));
        }
        let alt = image.alt.trim().chars().count();
        if alt == 0 {
            errors.push(crate::text::field(
                format!("images[{index}].alt"),
                "Bitte beschreiben Sie kurz, was das Foto zeigt (für Menschen, die es nicht sehen können).",
                "Please describe briefly what the photo shows (for people who cannot see it).",
            ));
        } else if alt > ALT_MAX {
            errors.push(FieldError::new(
                format!("images[{index}].alt"),
                Text::new(
                    format!("Höchstens {ALT_MAX} Zeichen."),
                    format!("At most {ALT_MAX} characters."),
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// Makes `thing` show exactly `refs`, in order (checked by [`check_refs`]). Photos it no longer
/// shows are released if nothing else shows them.
pub async fn attach(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    thing: Thing,
    refs: &[ImageRef],
) -> Result<(), sea_orm::DbErr> {
    let before = shown_ids(conn, thing).await?;
    media_use::Entity::delete_many()
        .filter(thing.filter())
        .exec(conn)
        .await?;
    for (position, image) in refs.iter().enumerate() {
        let mut row = media_use::ActiveModel {
            id: Set(Uuid::now_v7()),
            media_id: Set(image.id),
            position: Set(i16::try_from(position).unwrap_or(i16::MAX)),
            alt: Set(image.alt.trim().to_owned()),
            ..Default::default()
        };
        thing.set(&mut row);
        row.insert(conn).await?;
    }
    let dropped: Vec<Uuid> = before
        .into_iter()
        .filter(|id| !refs.iter().any(|r| r.id == *id))
        .collect();
    release(conn, clock, dropped).await
}

/// The photos `thing` shows; call before deleting it, and pass them to [`release`] after.
pub async fn shown_ids(
    conn: &impl ConnectionTrait,
    thing: Thing,
) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    media_use::Entity::find()
        .select_only()
        .column(media_use::Column::MediaId)
        .filter(thing.filter())
        .into_tuple()
        .all(conn)
        .await
}

/// Queues the removal of these photos, of those that nothing shows when the job runs. Part
/// of the caller's transaction: if the deletion rolls back, so does this.
pub async fn release(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    ids: Vec<Uuid>,
) -> Result<(), sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    jobs::enqueue(
        conn,
        clock,
        NewJob::new(
            RELEASE_JOB,
            serde_json::json!({ "media_ids": ids }),
            clock.now(),
        ),
    )
    .await
}

/// A kind of thing that shows photos, for loading the photos of many at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThingKind {
    News,
    Shop,
    ShopNotice,
    Anliegen,
    Event,
}

impl ThingKind {
    fn column(self) -> media_use::Column {
        match self {
            ThingKind::News => media_use::Column::NewsId,
            ThingKind::Shop => media_use::Column::ShopId,
            ThingKind::ShopNotice => media_use::Column::ShopNoticeId,
            ThingKind::Anliegen => media_use::Column::AnliegenId,
            ThingKind::Event => media_use::Column::EventId,
        }
    }

    fn id_of(self, used: &media_use::Model) -> Option<Uuid> {
        Thing::of(used)
            .map(Thing::kind)
            .filter(|(kind, _)| *kind == self)
            .map(|(_, id)| id)
    }
}

/// Whether the thing whose id is `id` (a column of the enclosing query) shows any photo, as
/// an SQL `EXISTS`: a list can then ask [`shown_by`] only when one of its things does.
pub fn shows_any(kind: ThingKind, id: Expr) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(media_use::Entity)
            .and_where(Expr::col((media_use::Entity, kind.column())).eq(id))
            .to_owned(),
    )
}

/// The photos of many things of one kind at once (a feed page), in order: two queries for
/// the page, not two per thing.
pub async fn shown_by(
    conn: &impl ConnectionTrait,
    kind: ThingKind,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ShownImage>>, sea_orm::DbErr> {
    let mut shown: HashMap<Uuid, Vec<ShownImage>> = HashMap::new();
    if ids.is_empty() {
        return Ok(shown);
    }
    let uses = media_use::Entity::find()
        .filter(kind.column().is_in(ids.to_vec()))
        .order_by_asc(media_use::Column::Position)
        .all(conn)
        .await?;
    if uses.is_empty() {
        return Ok(shown);
    }
    let items: HashMap<Uuid, media_row::Model> = media_row::Entity::find()
        .filter(media_row::Column::Id.is_in(uses.iter().map(|u| u.media_id).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    for used in uses {
        if let (Some(thing_id), Some(item)) = (kind.id_of(&used), items.get(&used.media_id)) {
            shown.entry(thing_id).or_default().push(ShownImage {
                media: MediaView::new(item.clone()),
                alt: used.alt,
            });
        }
    }
    Ok(shown)
}

/// The photos of one thing, in order.
pub async fn shown_by_one(
    conn: &impl ConnectionTrait,
    kind: ThingKind,
    id: Uuid,
) -> Result<Vec<ShownImage>, sea_orm::DbErr> {
    Ok(shown_by(conn, kind, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// Who may see a photo, as a thing that shows it says (ordered: the widest counts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sight {
    /// Not this caller.
    Nobody,
    /// This caller, and not everyone: the answer must not be kept by shared caches.
    Caller,
    /// Everyone.
    Everyone,
}

/// A rendition asked for, and what shows its photo: [`crate::photo_access::open`] asks each
/// of those things who may see it. 404 for an unknown photo and a size that was not rendered.
pub async fn rendition_of(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    id: Uuid,
    width: u32,
) -> DomainResult<(Sight, Vec<Thing>)> {
    let item = media_row::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let view = MediaView::new(item);
    if !view.widths().contains(&width) {
        return Err(not_found());
    }
    let things = media_use::Entity::find()
        .filter(media_use::Column::MediaId.eq(id))
        .all(conn)
        .await?
        .iter()
        .filter_map(Thing::of)
        .collect();
    // Its uploader and admins see an upload whatever shows it.
    let own = actor.is_some_and(|a| view.item.owner_id == Some(a.user_id) || a.is_admin());
    Ok((if own { Sight::Caller } else { Sight::Nobody }, things))
}

/// A rendition's bytes, once [`rendition_of`] and the things' rules have let the caller see it.
pub async fn read(
    store: &MediaStore,
    id: Uuid,
    width: u32,
    encoding: Encoding,
) -> DomainResult<bytes::Bytes> {
    store
        .get(&id.to_string(), width, encoding)
        .await
        .map_err(storage)?
        .ok_or_else(|| DomainError::Unavailable(format!("rendition {id}/{width} missing")))
}

/// What a caller may not see is not there.
pub fn not_found() -> DomainError {
    DomainError::NotFound(Text::new("Foto nicht gefunden.", "Photo not found."))
}

/// Uploads that no thing shows.
fn shown_nowhere() -> sea_orm::sea_query::SimpleExpr {
    media_row::Column::Id.not_in_subquery(
        Query::select()
            .column(media_use::Column::MediaId)
            .from(media_use::Entity)
            .to_owned(),
    )
}

/// Removes those of `ids` that nothing shows: renditions first, then the row.
pub async fn remove_unused(
    db: &DatabaseConnection,
    store: &MediaStore,
    ids: Vec<Uuid>,
) -> Result<u64, JobError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let unused = media_row::Entity::find()
        .filter(media_row::Column::Id.is_in(ids))
        .filter(shown_nowhere())
        .all(db)
        .await?;
    let mut removed = 0;
    for item in unused {
        let view = MediaView::new(item);
        store
            .delete(&view.item.id.to_string(), &view.widths())
            .await
            .map_err(|e| JobError::Temporary(e.to_string()))?;
        // Gone only if still unused: a thing may have been given the photo meanwhile.
        removed += media_row::Entity::delete_many()
            .filter(media_row::Column::Id.eq(view.item.id))
            .filter(shown_nowhere())
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(removed)
}

/// The job queued by [`release`].
pub async fn release_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    #[derive(Deserialize)]
    struct Payload {
        media_ids: Vec<Uuid>,
    }
    let payload: Payload = job.payload()?;
    let removed = remove_unused(&ctx.db, &ctx.media, payload.media_ids).await?;
    tracing::info!(removed, "released photos nothing shows");
    Ok(JobOutcome::Done)
}

/// Uploads that were never shown and are older than [`PURGE_AFTER`] (hourly housekeeping).
pub async fn purge_orphans(ctx: &JobContext) -> Result<u64, JobError> {
    let old: Vec<Uuid> = media_row::Entity::find()
        .select_only()
        .column(media_row::Column::Id)
        .filter(media_row::Column::CreatedAt.lte(ctx.clock.now() - PURGE_AFTER))
        .filter(shown_nowhere())
        .limit(PURGE_BATCH)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    remove_unused(&ctx.db, &ctx.media, old).await
}

/// A person's uploads, for their export.
pub async fn of_owner(
    conn: &impl ConnectionTrait,
    owner: Uuid,
) -> Result<Vec<MediaView>, sea_orm::DbErr> {
    Ok(media_row::Entity::find()
        .filter(media_row::Column::OwnerId.eq(owner))
        .order_by_asc(media_row::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(MediaView::new)
        .collect())
}
