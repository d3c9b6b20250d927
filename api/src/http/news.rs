//! `/api/v1/news`: district news (Ortsteil-Nachrichten), the public feed and publishing.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    etag::{Cached, Rendered, etag_of, version_check},
    pagination,
    types::NoContent,
    types::{Timestamp, patch_field},
};
use crate::{
    auth::{Caller, OptionalCaller},
    error::ApiResult,
    state::AppState,
};
use domain::{
    idempotency::Claim,
    news::{self, EventInput, FeedQuery, NewNews, NewsPatch, NewsView},
};
use entity::vocab::{NewsCategory, NewsStatus};

/// When and where an event takes place.
#[derive(Object, serde::Serialize, Clone, Debug)]
#[oai(example)]
pub struct NewsEvent {
    /// Start (RFC 3339, UTC).
    pub starts_at: Timestamp,
    /// End, after `starts_at`, or null.
    #[oai(nullable)]
    pub ends_at: Option<Timestamp>,
    /// Where, at most 200 characters, or null.
    #[oai(nullable)]
    pub location: Option<String>,
}

impl poem_openapi::types::Example for NewsEvent {
    fn example() -> Self {
        Self {
            starts_at: Timestamp::example("2026-07-04T13:00:00Z"),
            ends_at: Some(Timestamp::example("2026-07-04T18:00:00Z")),
            location: Some("Dorfgemeinschaftshaus Opperode".into()),
        }
    }
}

impl From<EventInput> for NewsEvent {
    fn from(e: EventInput) -> Self {
        Self {
            starts_at: e.starts_at.into(),
            ends_at: e.ends_at.map(Timestamp),
            location: e.location,
        }
    }
}

impl From<NewsEvent> for EventInput {
    fn from(e: NewsEvent) -> Self {
        Self {
            starts_at: e.starts_at.0,
            ends_at: e.ends_at.map(|t| t.0),
            location: e.location,
        }
    }
}

/// A news item of one or more districts, or of the whole municipality.
///
/// `body` is Markdown (CommonMark), stored exactly as written and never turned into HTML by
/// the server. Clients render it with a CommonMark renderer that does **not** pass raw HTML
/// through (escape or drop it), allow links only with `https:`, `http:`, `mailto:` and `tel:`,
/// and show images, if at all, only after a tap. Clients that cannot render Markdown show it
/// as plain text; it is written to read well that way.
#[derive(Object, serde::Serialize, Clone, Debug)]
#[oai(example)]
pub struct NewsItem {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// Headline, at most 200 characters.
    pub title: String,
    /// Text in Markdown, at most 20,000 characters (see above for rendering).
    pub body: String,
    /// What it is.
    pub category: NewsCategory,
    /// The districts it is for; empty = the whole municipality (shown in every district's feed).
    pub district_ids: Vec<Uuid>,
    /// Where it stands at the time of the answer.
    pub status: NewsStatus,
    /// The requested publication time, or null (at once).
    #[oai(nullable)]
    pub publish_at: Option<Timestamp>,
    /// When it went live (the feed is ordered by this), or null while not yet published.
    #[oai(nullable)]
    pub published_at: Option<Timestamp>,
    /// When it leaves the feed, or null (stays).
    #[oai(nullable)]
    pub expires_at: Option<Timestamp>,
    /// Shown on top of the district's page (ask with `pinned=true`).
    pub pinned: bool,
    /// Whether residents are told by push when it goes live.
    pub notify: bool,
    /// For category `event`: when and where; null otherwise. Deprecated: publish dates with
    /// `POST /events` instead. An item with an `event` is added to the calendar as an event
    /// when it goes live (`Event.news_id` names the item); later changes here do not move it.
    #[oai(nullable)]
    pub event: Option<NewsEvent>,
    /// Its photos, in order, each with its alt text and every size (for `srcset`).
    pub images: Vec<super::media::Image>,
    /// The organisation (Verein, Kirchengemeinde …) it is published under, or null: read its
    /// name with `GET /api/v1/organisations/{id}`.
    #[oai(nullable)]
    pub organisation_id: Option<Uuid>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl poem_openapi::types::Example for NewsItem {
    fn example() -> Self {
        Self {
            id: Uuid::nil(),
            title: "Sommerfest am Dorfgemeinschaftshaus".into(),
            body: "Am **Samstag** feiern wir ab 13 Uhr. Kuchenspenden bitte an *Frau Müller*.\n\nMehr unter [ballenstedt.de](https://www.ballenstedt.de).".into(),
            category: NewsCategory::Event,
            district_ids: vec![Uuid::nil()],
            status: NewsStatus::Published,
            publish_at: None,
            published_at: Some(Timestamp::example("2026-06-20T07:30:00Z")),
            expires_at: Some(Timestamp::example("2026-07-05T00:00:00Z")),
            pinned: false,
            notify: true,
            event: Some(NewsEvent::example()),
            images: vec![super::media::Image {
                alt: "Festzelt und Kuchenbuffet vor dem Dorfgemeinschaftshaus".into(),
                media: poem_openapi::types::Example::example(),
            }],
            organisation_id: Some(Uuid::nil()),
            created_at: Timestamp::example("2026-06-20T07:30:00Z"),
            updated_at: Timestamp::example("2026-06-20T07:30:00Z"),
        }
    }
}

impl From<NewsView> for NewsItem {
    fn from(view: NewsView) -> Self {
        let i = view.item;
        Self {
            id: i.id,
            title: i.title,
            body: i.body,
            category: i.category,
            district_ids: view.district_ids,
            status: view.status,
            publish_at: i.publish_at.map(Timestamp),
            published_at: i.published_at.map(Timestamp),
            expires_at: i.expires_at.map(Timestamp),
            pinned: i.pinned,
            notify: i.notify,
            event: i.event_starts_at.map(|starts_at| NewsEvent {
                starts_at: starts_at.into(),
                ends_at: i.event_ends_at.map(Timestamp),
                location: i.event_location,
            }),
            images: view.images.into_iter().map(Into::into).collect(),
            organisation_id: i.organisation_id,
            created_at: i.created_at.into(),
            updated_at: i.updated_at.into(),
        }
    }
}

super::pagination::page! {
    /// A page of news, newest first. A cursor stays valid while new items are published: they
    /// appear on top, never within later pages.
    #[derive(serde::Serialize)]
    NewsPage of NewsItem
}

/// What a 20-item page of the feed takes as JSON, about 1.1 KB an item: reserved at once, so
/// the body is seldom copied while it is written.
const FEED_BYTES_PER_ITEM: usize = 1280;

/// How far the push of an item has got.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct NewsDelivery {
    /// People it reached: inbox entries written so far.
    pub recipients: u64,
    /// Pushes a push service accepted.
    pub sent: u64,
    /// Pushes given up (device gone, or refused ten times).
    pub failed: u64,
    /// Pushes still to go: queued, waiting for someone's quiet hours to end, or retrying.
    pub pending: u64,
    /// Whether the whole audience has been reached (inbox entries written, pushes queued);
    /// false while it is still being expanded. True with all zeros when there is nothing to
    /// tell (no `notify`, or not published yet).
    pub complete: bool,
}

impl poem_openapi::types::Example for NewsDelivery {
    fn example() -> Self {
        Self {
            recipients: 412,
            sent: 380,
            failed: 3,
            pending: 17,
            complete: true,
        }
    }
}

/// A new news item.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct CreateNews {
    /// Headline, 1 to 200 characters.
    pub title: String,
    /// Text in Markdown, 1 to 20,000 characters, stored as written.
    pub body: String,
    /// What it is.
    pub category: NewsCategory,
    /// The districts it is for. A district leader may name only districts they lead; an empty
    /// list (the whole municipality) is for administrators.
    #[oai(validator(max_items = 100))]
    pub district_ids: Vec<Uuid>,
    /// Publish at this time (at most a year ahead); until then it is invisible, and its push
    /// goes out then. Null or a past time: at once.
    #[oai(nullable)]
    pub publish_at: Option<Timestamp>,
    /// Leave the feed at this time (after publication), or null.
    #[oai(nullable)]
    pub expires_at: Option<Timestamp>,
    /// Show on top of the district's page (default false).
    #[oai(default)]
    pub pinned: bool,
    /// Required for category `event`, not allowed for the others. Deprecated: publish dates
    /// with `POST /events`; this one is added to the calendar when the item goes live.
    #[oai(nullable)]
    pub event: Option<NewsEvent>,
    /// Tell the residents of the districts by push when it goes live (default false).
    #[oai(default)]
    pub notify: bool,
    /// Keep as a draft, neither published nor scheduled (default false). Publish it later with
    /// `PATCH {"draft": false}`.
    #[oai(default)]
    pub draft: bool,
    /// Photos to show, in order (at most 10): ids from `POST /api/v1/media`, each with an alt
    /// text. Default none.
    #[oai(default)]
    pub images: Vec<super::media::ImageInput>,
    /// Publish under this organisation's name. Its editors (`organisation_editor`) may publish
    /// only so, and only to the organisation's own district (`district_ids` = exactly that
    /// one); they may then change and delete the item, as may the district's leaders.
    #[oai(nullable)]
    pub organisation_id: Option<Uuid>,
}

impl poem_openapi::types::Example for CreateNews {
    fn example() -> Self {
        Self {
            title: "Straßensperrung Hauptstraße".into(),
            body: "Wegen Bauarbeiten ist die Hauptstraße von **Montag bis Freitag** gesperrt. Die Umleitung ist ausgeschildert.".into(),
            category: NewsCategory::Announcement,
            district_ids: vec![Uuid::nil()],
            publish_at: Some(Timestamp::example("2026-06-22T05:00:00Z")),
            expires_at: Some(Timestamp::example("2026-06-27T00:00:00Z")),
            pinned: true,
            event: None,
            notify: true,
            draft: false,
            images: Vec::new(),
            organisation_id: None,
        }
    }
}

/// Changes to an item; absent fields stay, `null` clears an optional one.
#[derive(Object, Clone, Debug)]
#[oai(example, skip_serializing_if_is_none)]
pub struct UpdateNews {
    /// New headline.
    pub title: Option<String>,
    /// New text.
    pub body: Option<String>,
    /// New category. Leaving `event` drops the event data unless `event` is given too.
    pub category: Option<NewsCategory>,
    /// New districts (the caller must be allowed to publish to all of them).
    #[oai(validator(max_items = 100))]
    pub district_ids: Option<Vec<Uuid>>,
    /// New publication time; only before publication. `null`: at once.
    #[oai(nullable)]
    pub publish_at: MaybeUndefined<Timestamp>,
    /// New expiry; `null` removes it (the item stays until deleted). A time that has passed
    /// takes a published item off the feed.
    #[oai(nullable)]
    pub expires_at: MaybeUndefined<Timestamp>,
    /// Pin or unpin.
    pub pinned: Option<bool>,
    /// New event data; `null` removes it.
    #[oai(nullable)]
    pub event: MaybeUndefined<NewsEvent>,
    /// Push at publication; changing it after publication sends nothing.
    pub notify: Option<bool>,
    /// `false` publishes a draft (or schedules it, when `publish_at` lies ahead); `true` turns
    /// a scheduled item back into a draft. Not possible once published.
    pub draft: Option<bool>,
    /// The photos, in order; replaces the list (`[]` removes them all). A photo the item no
    /// longer shows is deleted unless something else shows it.
    pub images: Option<Vec<super::media::ImageInput>>,
    /// Another organisation to publish under; `null`: under nobody's name (not for an
    /// organisation's editors).
    #[oai(nullable)]
    pub organisation_id: MaybeUndefined<Uuid>,
}

impl poem_openapi::types::Example for UpdateNews {
    fn example() -> Self {
        Self {
            title: Some("Straßensperrung Hauptstraße verlängert".into()),
            body: None,
            category: None,
            district_ids: None,
            publish_at: MaybeUndefined::Undefined,
            expires_at: MaybeUndefined::Value(Timestamp::example("2026-07-04T00:00:00Z")),
            pinned: None,
            event: MaybeUndefined::Undefined,
            notify: None,
            draft: None,
            images: None,
            organisation_id: MaybeUndefined::Undefined,
        }
    }
}

#[derive(ApiResponse)]
pub enum NewsCreated {
    /// The item was created (published, scheduled or kept as a draft, see `status`).
    #[oai(status = 201)]
    Created(
        Json<NewsItem>,
        /// The version, for `If-Match` on a later change.
        #[oai(header = "ETag")]
        String,
        /// Where the new item can be read: `/api/v1/news/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum NewsUpdated {
    /// The item as it is now.
    #[oai(status = 200)]
    Ok(
        Json<NewsItem>,
        /// The new version, for `If-Match` on the next change.
        #[oai(header = "ETag")]
        String,
    ),
}

fn tagged(view: NewsView) -> (NewsItem, String) {
    let item = NewsItem::from(view);
    let etag = etag_of(&item);
    (item, etag)
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("listNews", &[400, 422]),
    ("createNews", &[400, 401, 403, 404, 422, 429]),
    ("listMyNews", &[400, 401, 422]),
    ("deleteNews", &[400, 401, 403, 404]),
    ("getNews", &[400, 401, 404]),
    ("updateNews", &[400, 401, 403, 404, 422]),
    ("getNewsDelivery", &[400, 401, 403, 404]),
];

/// The limits of this module's request fields, as the spec publishes them (`super::spec`):
/// the rules' own constants, so the two cannot drift.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::news;
    &[
        ("CreateNews", "title", &[Text(news::TITLE_MAX)]),
        ("CreateNews", "body", &[Text(news::BODY_MAX)]),
        ("UpdateNews", "title", &[Text(news::TITLE_MAX)]),
        ("UpdateNews", "body", &[Text(news::BODY_MAX)]),
        ("NewsEvent", "location", &[MaxLength(news::LOCATION_MAX)]),
    ]
};

pub struct NewsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::News")]
impl NewsApi {
    /// Read the news feed
    ///
    /// Public. Published, unexpired items, newest first (by the time they went live). With
    /// `district_id`: that district's items and the municipality-wide ones. Cursor-paginated:
    /// pass `next_cursor` back as `cursor`; pages neither skip nor repeat items while new ones
    /// are published. `ETag`/`If-None-Match` supported. Pages are served from memory: a change
    /// shows at the next read; where several server instances share one database, a change made
    /// through another instance shows within `DORFAPP_FEED_CACHE_TTL_MS` (default 1 s).
    #[oai(path = "/news", method = "get", operation_id = "listNews")]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each documented parameter as an argument"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        /// Only this district's items (and the municipality-wide ones).
        district_id: Query<Option<Uuid>>,
        /// Only items of this category.
        category: Query<Option<NewsCategory>>,
        /// `true`: only pinned items; `false`: only the others.
        pinned: Query<Option<bool>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<NewsPage>> {
        let query = FeedQuery {
            district: district_id.0,
            category: category.0,
            pinned: pinned.0,
            after: pagination::decode_at(cursor.0.as_deref())?,
            limit: pagination::limit(limit.0)?,
        };
        let rendered = state
            .feed_cache
            .page(&query, &state.clock, async || {
                let page = news::feed(&state.db, &state.clock, &query).await?;
                let next_cursor = page
                    .items
                    .last()
                    .filter(|_| page.more)
                    .and_then(|v| Some(pagination::encode_at(v.item.published_at?, v.item.id)));
                let body = NewsPage {
                    items: page.items.into_iter().map(NewsItem::from).collect(),
                    next_cursor,
                };
                let size_hint = (body.items.len() + 1) * FEED_BYTES_PER_ITEM;
                Ok((Rendered::of_serialized(&body, size_hint), page.changes_at))
            })
            .await?;
        Ok(Cached::rendered(rendered, if_none_match.0.as_deref()))
    }

    /// List my news items
    ///
    /// The items the caller wrote, newest first, in every status (drafts, scheduled,
    /// published, expired), optionally of one status.
    #[oai(path = "/news/mine", method = "get", operation_id = "listMyNews")]
    async fn mine(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Only items in this status.
        status: Query<Option<NewsStatus>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<NewsPage>> {
        let limit = pagination::limit(limit.0)?;
        let before = pagination::decode(cursor.0.as_deref())?;
        let (items, more) =
            news::mine(&state.db, &state.clock, &actor, status.0, before, limit).await?;
        let last = items.last().map(|v| v.item.id);
        Ok(Json(NewsPage {
            items: items.into_iter().map(NewsItem::from).collect(),
            next_cursor: pagination::next(last, more),
        }))
    }

    /// Get a news item
    ///
    /// Public while published and unexpired. Drafts, scheduled and expired items are shown
    /// only to those who may edit them and to their author (with a token); everyone else gets
    /// 404. The `ETag` serves `If-None-Match` here and `If-Match` on `PATCH`.
    #[oai(path = "/news/:id", method = "get", operation_id = "getNews")]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// The item's id.
        id: Path<Uuid>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<NewsItem>> {
        let actor = caller.actor()?;
        let view = news::get(&state.db, &state.clock, actor, id.0).await?;
        Ok(Cached::respond(
            NewsItem::from(view),
            if_none_match.0.as_deref(),
        ))
    }

    /// Get the delivery counts of a news item
    ///
    /// For the item's author, the district leaders who may edit it, and administrators: how
    /// many residents it reached and how many pushes were sent, failed or are pending. An
    /// item without `notify` (or not yet published) has all zeros.
    #[oai(
        path = "/news/:id/delivery",
        method = "get",
        operation_id = "getNewsDelivery"
    )]
    async fn delivery(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The item's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<NewsDelivery>> {
        let counts = news::delivery(&state.db, &state.clock, &actor, id.0).await?;
        Ok(Json(NewsDelivery {
            recipients: counts.recipients,
            sent: counts.sent,
            failed: counts.failed,
            pending: counts.pending,
            complete: counts.complete,
        }))
    }

    /// Publish a news item
    ///
    /// District leaders (Ortsbürgermeister:innen) for the districts they lead; administrators
    /// for any district and for the whole municipality (`district_ids: []`); an organisation's
    /// editors under its name (`organisation_id`) for its own district. With `notify`,
    /// the residents of those districts are told by push when it goes live (at once, or at
    /// `publish_at`). A retry with the same `Idempotency-Key` creates nothing new.
    #[oai(path = "/news", method = "post", operation_id = "createNews")]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Any unique string (a UUID): a retry with the same key within 24 h creates nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreateNews>,
    ) -> ApiResult<NewsCreated> {
        let b = body.0;
        let input = NewNews {
            title: b.title,
            body: b.body,
            category: b.category,
            district_ids: b.district_ids,
            publish_at: b.publish_at.map(|t| t.0),
            expires_at: b.expires_at.map(|t| t.0),
            pinned: b.pinned,
            event: b.event.map(EventInput::from),
            notify: b.notify,
            draft: b.draft,
            images: b.images.into_iter().map(Into::into).collect(),
            organisation_id: b.organisation_id,
        };
        let claim = idempotency_key
            .0
            .as_deref()
            .map(|key| Claim::new(format!("user:{}", actor.user_id), key, "createNews", &input))
            .transpose()?;
        let view = news::create(
            &state.db,
            &state.clock,
            &state.news_version,
            &actor,
            input,
            claim.as_ref(),
            state.settings.quotas().news_per_author_per_hour,
        )
        .await?;
        let (item, etag) = tagged(view);
        let location = format!("/api/v1/news/{}", item.id);
        Ok(NewsCreated::Created(Json(item), etag, location))
    }

    /// Change a news item
    ///
    /// Administrators, district leaders who lead every district of the item (and of its new
    /// district list), and the editors of the organisation it is published under. Send the `ETag` you read as `If-Match`: if someone changed the item
    /// meanwhile, the answer is 412 and nothing changes; read it again and retry.
    #[oai(path = "/news/:id", method = "patch", operation_id = "updateNews")]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The item's id.
        id: Path<Uuid>,
        /// The `ETag` of the version the change is based on.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<UpdateNews>,
    ) -> ApiResult<NewsUpdated> {
        let b = body.0;
        let patch = NewsPatch {
            title: b.title,
            body: b.body,
            category: b.category,
            district_ids: b.district_ids,
            publish_at: patch_field(b.publish_at).map(|t| t.map(|t| t.0)),
            expires_at: patch_field(b.expires_at).map(|t| t.map(|t| t.0)),
            pinned: b.pinned,
            event: patch_field(b.event).map(|e| e.map(EventInput::from)),
            notify: b.notify,
            draft: b.draft,
            images: b
                .images
                .map(|images| images.into_iter().map(Into::into).collect()),
            organisation_id: patch_field(b.organisation_id),
        };
        let view = news::update(
            &state.db,
            &state.clock,
            &state.news_version,
            &actor,
            id.0,
            patch,
            version_check(if_match.0, |view: &NewsView| NewsItem::from(view.clone())),
        )
        .await?;
        let (item, etag) = tagged(view);
        Ok(NewsUpdated::Ok(Json(item), etag))
    }

    /// Delete a news item
    ///
    /// Administrators, district leaders who lead every district of the item, and the editors
    /// of the organisation it is published under. It leaves every feed at once; a scheduled
    /// item is not published. `If-Match` is honoured.
    #[oai(path = "/news/:id", method = "delete", operation_id = "deleteNews")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The item's id.
        id: Path<Uuid>,
        /// The `ETag` of the version the caller means to delete.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        news::delete(
            &state.db,
            &state.clock,
            &state.news_version,
            &actor,
            id.0,
            version_check(if_match.0, |view: &NewsView| NewsItem::from(view.clone())),
        )
        .await?;
        Ok(NoContent::Done)
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::{Example, ToJSON};

    use super::*;

    /// The feed is written with serde (`Rendered::of_serialized`), every other answer with
    /// poem-openapi's `ToJSON`: both must give the document the spec describes, with every
    /// field, nulls included, and every photo size.
    #[test]
    fn a_feed_page_written_with_serde_is_the_document_the_spec_describes() {
        let full = NewsItem::example();
        let bare = NewsItem {
            publish_at: None,
            published_at: None,
            expires_at: None,
            event: Some(NewsEvent {
                ends_at: None,
                location: None,
                ..NewsEvent::example()
            }),
            images: Vec::new(),
            organisation_id: None,
            ..NewsItem::example()
        };
        let no_event = NewsItem {
            event: None,
            ..bare.clone()
        };
        for page in [
            NewsPage {
                items: vec![full, bare, no_event],
                next_cursor: Some("AAYZ2Jk".into()),
            },
            NewsPage {
                items: Vec::new(),
                next_cursor: None,
            },
        ] {
            let written = Rendered::of_serialized(&page, 0);
            let document: serde_json::Value =
                serde_json::from_slice(&written.body).expect("the body is JSON");
            assert_eq!(Some(document), page.to_json());
            assert_eq!(
                written.etag,
                super::super::etag::tag_of_bytes(&written.body)
            );
        }
    }
}
