//! `/api/v1/anliegen`: residents' concerns, ideas and questions, and the answers they can see.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    media::{Image, ImageInput},
    pagination,
    types::{NoContent, Timestamp},
};
use crate::{
    auth::{Caller, OptionalCaller},
    error::ApiResult,
    state::AppState,
};
use domain::{
    anliegen::{self, AnliegenView, ListQuery, NewAnliegen, PublicText, Step, Visibility},
    idempotency::Claim,
};
use entity::vocab::{
    AnliegenActorRole, AnliegenEventKind, AnliegenKind, AnliegenPublication, AnliegenSource,
    AnliegenStatus,
};

use super::types::GeoPoint;

/// One entry of an Anliegen's history.
#[derive(Object, Clone, Debug)]
pub struct AnliegenEvent {
    /// What happened. The public view lists only `transition` and `answer`.
    pub kind: AnliegenEventKind,
    /// For `transition`: the status before (null for the filing).
    #[oai(nullable)]
    pub from_status: Option<AnliegenStatus>,
    /// For `transition`: the new status.
    #[oai(nullable)]
    pub to_status: Option<AnliegenStatus>,
    /// The public answer (`transition`, `answer`), the author's addition (`author_update`),
    /// or the reason for taking it down (`hidden`).
    #[oai(nullable)]
    pub text: Option<String>,
    /// Who acted, by role (never a name).
    pub actor_role: AnliegenActorRole,
    /// When.
    pub at: Timestamp,
}

/// Who wrote an Anliegen: shown to its handlers only, never to the public.
#[derive(Object, Clone, Debug)]
pub struct AnliegenAuthor {
    /// The author's account; null for a person without one (filed by phone).
    #[oai(nullable)]
    pub user_id: Option<Uuid>,
    /// The name of a person without an account.
    #[oai(nullable)]
    pub name: Option<String>,
    /// Their phone number, for the answer.
    #[oai(nullable)]
    pub phone: Option<String>,
    /// Who filed it: the author, or the ride desk during a call.
    #[oai(nullable)]
    pub filed_by: Option<Uuid>,
    /// How it came in.
    pub source: AnliegenSource,
}

/// A topic (Fachbereich) of the town that forwarded Anliegen go to.
#[derive(Object, Clone, Debug)]
pub struct AnliegenTopic {
    /// Stable identifier (UUID v7): `topic_id` when forwarding or granting `town_staff`.
    pub id: Uuid,
    /// Stable short name (also the Open311 `service_code`).
    pub slug: String,
    /// E.g. „Straßen und Wege“.
    pub name: String,
    /// What belongs to it, for people choosing one.
    #[oai(nullable)]
    pub description: Option<String>,
    /// Inactive topics take no new Anliegen.
    pub active: bool,
}

impl From<entity::anliegen_topic::Model> for AnliegenTopic {
    fn from(m: entity::anliegen_topic::Model) -> Self {
        Self {
            id: m.id,
            slug: m.slug,
            name: m.name,
            description: m.description,
            active: m.active,
        }
    }
}

/// An Anliegen: a concern (`defect`), an idea or a question raised with a district.
///
/// **Two views.** The author, whoever filed it, and its handlers (the district's leaders; the
/// town staff of its topic once forwarded; admins) get the full view (`full_view: true`): the
/// text as written, the author, the whole history. Everyone else sees a published Anliegen
/// only, in the public view: the public text a handler checked for personal data, the point
/// only when `show_location`, status changes and answers, and never who wrote it. A private
/// or hidden Anliegen does not exist for them (404).
#[derive(Object, Clone, Debug)]
pub struct Anliegen {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// Whether this is the full view (author, filer, handlers).
    pub full_view: bool,
    /// `defect` (Mangel), `idea` (Idee) or `question` (Frage).
    pub kind: AnliegenKind,
    /// Where it stands.
    pub status: AnliegenStatus,
    /// `private` until a handler publishes it.
    pub publication: AnliegenPublication,
    /// The district it concerns.
    pub district_id: Uuid,
    /// In the full view as written; in the public view the public title.
    pub title: String,
    /// In the full view as written; in the public view the public text.
    pub description: String,
    /// A place description („Ecke Lindenstraße, gegenüber dem Spielplatz“).
    #[oai(nullable)]
    pub place: Option<String>,
    /// The point, if one was given (public view: only with `show_location`).
    #[oai(nullable)]
    pub location: Option<GeoPoint>,
    /// Photos, in order.
    pub images: Vec<Image>,
    /// People who said "Ich auch".
    pub supporter_count: u64,
    /// The history, oldest first.
    pub history: Vec<AnliegenEvent>,
    /// The topic of the town it was forwarded to (or is meant for), or null.
    #[oai(nullable)]
    pub topic: Option<AnliegenTopic>,
    /// When it was merged into another: that one.
    #[oai(nullable)]
    pub duplicate_of: Option<Uuid>,
    /// The caller follows it (as author or supporter).
    pub following: bool,
    /// The caller said "Ich auch".
    pub supported: bool,
    /// The caller muted its pushes (the inbox still gets every answer).
    pub muted: bool,
    /// Full view only: the author.
    #[oai(nullable)]
    pub author: Option<AnliegenAuthor>,
    /// Full view only: the public title (null while private).
    #[oai(nullable)]
    pub public_title: Option<String>,
    /// Full view only: the public text.
    #[oai(nullable)]
    pub public_description: Option<String>,
    /// Full view only: the public place description.
    #[oai(nullable)]
    pub public_place: Option<String>,
    /// Whether the public sees the point.
    pub show_location: bool,
    /// Full view only: why it was taken down.
    #[oai(nullable)]
    pub hidden_reason: Option<String>,
    /// When it was filed.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// When it was published, or null.
    #[oai(nullable)]
    pub published_at: Option<Timestamp>,
    /// When it got its first answer, or null.
    #[oai(nullable)]
    pub first_answer_at: Option<Timestamp>,
    /// When it ended (`done`, `declined`, `duplicate`), or null.
    #[oai(nullable)]
    pub closed_at: Option<Timestamp>,
}

impl From<AnliegenView> for Anliegen {
    fn from(v: AnliegenView) -> Self {
        let full = v.visibility == Visibility::Full;
        let location = anliegen::location_of(&v.anliegen)
            .filter(|_| full || v.anliegen.show_location)
            .map(GeoPoint::from);
        let a = v.anliegen;
        let following = v.following.as_ref();
        let (title, description, place) = if full {
            (a.title, a.description, a.place)
        } else {
            (
                a.public_title.clone().unwrap_or_default(),
                a.public_description.clone().unwrap_or_default(),
                a.public_place.clone(),
            )
        };
        let keep = |value: Option<String>| value.filter(|_| full);
        Self {
            id: a.id,
            full_view: full,
            kind: a.kind,
            status: a.status,
            publication: a.publication,
            district_id: a.district_id,
            title,
            description,
            place,
            location,
            images: v.images.into_iter().map(Image::from).collect(),
            supporter_count: v.supporter_count,
            history: v
                .history
                .into_iter()
                .map(|e| AnliegenEvent {
                    kind: e.kind,
                    from_status: e.from_status,
                    to_status: e.to_status,
                    text: e.answer,
                    actor_role: e.actor_role,
                    at: e.at.into(),
                })
                .collect(),
            topic: v.topic.map(AnliegenTopic::from),
            duplicate_of: a.duplicate_of,
            following: following.is_some(),
            supported: following
                .is_some_and(|f| f.relation != entity::vocab::AnliegenFollowerRelation::Author),
            muted: following.is_some_and(|f| f.muted),
            author: full.then(|| AnliegenAuthor {
                user_id: a.author_user_id,
                name: a.author_name.clone(),
                phone: a.contact_phone.clone(),
                filed_by: a.filed_by,
                source: a.source,
            }),
            public_title: keep(a.public_title),
            public_description: keep(a.public_description),
            public_place: keep(a.public_place),
            show_location: a.show_location,
            hidden_reason: keep(a.hidden_reason),
            created_at: a.created_at.into(),
            updated_at: a.updated_at.into(),
            published_at: a.published_at.map(Timestamp),
            first_answer_at: a.first_answer_at.map(Timestamp),
            closed_at: a.closed_at.map(Timestamp),
        }
    }
}

super::pagination::page! {
    /// A page of Anliegen, in the list's order.
    AnliegenPage of Anliegen
}

/// The GeoJSON type of a collection.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoJsonCollectionType {
    #[oai(rename = "FeatureCollection")]
    FeatureCollection,
}

/// The GeoJSON type of a feature.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoJsonFeatureType {
    #[oai(rename = "Feature")]
    Feature,
}

/// The GeoJSON type of a point.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoJsonPointType {
    #[oai(rename = "Point")]
    Point,
}

/// A GeoJSON point (RFC 7946): longitude first.
#[derive(Object, Clone, Debug)]
pub struct GeoJsonPoint {
    /// Always `Point`.
    #[oai(rename = "type")]
    pub kind: GeoJsonPointType,
    /// `[longitude, latitude]` in WGS84 degrees — longitude first, as RFC 7946 says.
    #[oai(validator(min_items = 2, max_items = 2))]
    pub coordinates: Vec<f64>,
}

/// What a map pin shows of an Anliegen: its public view, no person.
#[derive(Object, Clone, Debug)]
pub struct AnliegenMapProperties {
    /// `defect`, `idea` or `question`.
    pub kind: AnliegenKind,
    /// Where it stands.
    pub status: AnliegenStatus,
    /// The public title.
    pub title: String,
    /// The public place description.
    #[oai(nullable)]
    pub place: Option<String>,
    /// People who said "Ich auch".
    pub supporter_count: u64,
    /// The district it concerns.
    pub district_id: Uuid,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Where the whole Anliegen is read: `/api/v1/anliegen/{id}`.
    pub url: String,
}

/// One pin.
#[derive(Object, Clone, Debug)]
pub struct AnliegenMapFeature {
    /// Always `Feature`.
    #[oai(rename = "type")]
    pub kind: GeoJsonFeatureType,
    /// The Anliegen's id.
    pub id: Uuid,
    /// Where.
    pub geometry: GeoJsonPoint,
    /// What.
    pub properties: AnliegenMapProperties,
}

/// Published Anliegen with a point the district chose to show, as a GeoJSON FeatureCollection
/// (RFC 7946) that map libraries (Leaflet, MapLibre, OpenLayers) read as it is.
#[derive(Object, Clone, Debug)]
pub struct AnliegenMap {
    /// Always `FeatureCollection`.
    #[oai(rename = "type")]
    pub kind: GeoJsonCollectionType,
    /// The pins, newest publication first; at most 2000.
    pub features: Vec<AnliegenMapFeature>,
}

/// A district's Anliegen in figures over a period: counts, medians and one date, no person.
#[derive(Object, Clone, Debug)]
pub struct AnliegenFigures {
    /// The district.
    pub district_id: Uuid,
    /// The period's start: the start of the local day of `from` asked for (default: a year
    /// before `to`).
    pub from: Timestamp,
    /// The period's end (excluded): the start of the local day after `to` asked for (default:
    /// today).
    pub to: Timestamp,
    /// Filed in the period.
    pub received: u64,
    /// Ended `done` in the period.
    pub done: u64,
    /// Ended `declined` in the period.
    pub declined: u64,
    /// Merged into another in the period.
    pub duplicate: u64,
    /// Open now, whenever filed.
    pub open_now: u64,
    /// Filed in the period and not answered yet.
    pub unanswered: u64,
    /// Of those filed in the period and answered: the median of the days to the first answer
    /// (one decimal), or null.
    #[oai(nullable)]
    pub median_days_to_first_answer: Option<f64>,
    /// Of those done in the period: the median of the days from filing to done, or null.
    #[oai(nullable)]
    pub median_days_to_done: Option<f64>,
    /// When the oldest open one was filed, or null.
    #[oai(nullable)]
    pub oldest_open_received_at: Option<Timestamp>,
    /// How many days it has waited, or null.
    #[oai(nullable)]
    pub oldest_open_days: Option<f64>,
}

/// An Anliegen to file.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct CreateAnliegen {
    /// `defect` (Mangel), `idea` (Idee) or `question` (Frage).
    pub kind: AnliegenKind,
    /// 1 to 200 characters.
    pub title: String,
    /// 1 to 4000 characters.
    pub description: String,
    /// The district it concerns.
    pub district_id: Uuid,
    /// Where, in words (at most 300 characters).
    #[oai(nullable)]
    pub place: Option<String>,
    /// Where, as a WGS84 point.
    #[oai(nullable)]
    pub location: Option<GeoPoint>,
    /// Up to 10 of your uploads (`POST /api/v1/media`), each with an alt text.
    #[oai(default)]
    pub images: Vec<ImageInput>,
    /// Ride desk and admins: file for this resident.
    #[oai(nullable)]
    pub author_user_id: Option<Uuid>,
    /// Ride desk and admins: file for a person without an account (with `contact_phone`).
    #[oai(nullable)]
    pub author_name: Option<String>,
    /// With `author_name`: where the answer is phoned to.
    #[oai(nullable)]
    pub contact_phone: Option<String>,
}

impl poem_openapi::types::Example for CreateAnliegen {
    fn example() -> Self {
        Self {
            kind: AnliegenKind::Defect,
            title: "Straßenlaterne defekt".into(),
            description: "Die Laterne vor Hausnummer 12 ist seit einer Woche dunkel; abends \
                          ist der Weg zur Bushaltestelle unbeleuchtet."
                .into(),
            district_id: Uuid::nil(),
            place: Some("Lindenstraße 12, vor der Bushaltestelle".into()),
            location: Some(GeoPoint {
                lat: 51.7189,
                lon: 11.2321,
            }),
            images: Vec::new(),
            author_user_id: None,
            author_name: None,
            contact_phone: None,
        }
    }
}

/// A step: the new status and the public answer that goes with it.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct AnliegenTransition {
    /// The new status.
    pub to: AnliegenStatus,
    /// The public answer, 1 to 4000 characters; for `declined` the reason. It reaches the
    /// author and the supporters.
    pub answer: String,
    /// With `to: forwarded`: the town's topic that takes it.
    #[oai(nullable)]
    pub topic_id: Option<Uuid>,
    /// With `to: duplicate`: the Anliegen of the same district it is merged into.
    #[oai(nullable)]
    pub duplicate_of: Option<Uuid>,
}

impl poem_openapi::types::Example for AnliegenTransition {
    fn example() -> Self {
        Self {
            to: AnliegenStatus::InProgress,
            answer: "Danke für den Hinweis! Der Bauhof tauscht die Lampe in dieser Woche.".into(),
            topic_id: None,
            duplicate_of: None,
        }
    }
}

/// A public answer without a change of status.
#[derive(Object, Clone, Debug)]
pub struct AnliegenAnswer {
    /// 1 to 4000 characters.
    pub answer: String,
}

/// An addition by the author, for the handlers only.
#[derive(Object, Clone, Debug)]
pub struct AnliegenUpdate {
    /// 1 to 4000 characters.
    pub text: String,
}

/// The text the public reads, checked by a handler for personal data.
#[derive(Object, Clone, Debug)]
pub struct PublishAnliegen {
    /// 1 to 200 characters.
    pub title: String,
    /// 1 to 4000 characters.
    pub description: String,
    /// At most 300 characters.
    #[oai(nullable)]
    pub place: Option<String>,
    /// Show the point on the public map (only if the Anliegen has one).
    #[oai(default)]
    pub show_location: bool,
}

/// Why it is taken down; the author is told.
#[derive(Object, Clone, Debug)]
pub struct HideAnliegen {
    /// 1 to 500 characters.
    pub reason: String,
}

#[derive(ApiResponse)]
pub enum AnliegenCreated {
    /// Filed (`status: received`); the district's leaders are told.
    #[oai(status = 201)]
    Created(
        Json<Anliegen>,
        /// Where it can be read: `/api/v1/anliegen/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

/// The error answers each operation here can give, besides 412, 413, 415, 500 and 503
/// ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("createAnliegen", &[400, 401, 403, 422, 429]),
    ("listAnliegen", &[400, 401, 422]),
    ("listAnliegenQueue", &[400, 401, 403, 422]),
    ("listMyAnliegen", &[400, 401, 422]),
    ("getAnliegen", &[400, 401, 404]),
    ("transitionAnliegen", &[400, 401, 403, 404, 409, 422]),
    ("answerAnliegen", &[400, 401, 403, 404, 422]),
    ("addAnliegenUpdate", &[400, 401, 403, 404, 422]),
    ("publishAnliegen", &[400, 401, 403, 404, 409, 422]),
    ("hideAnliegen", &[400, 401, 403, 404, 409, 422]),
    ("unhideAnliegen", &[400, 401, 403, 404, 409]),
    ("supportAnliegen", &[400, 401, 404, 409, 429]),
    ("withdrawAnliegenSupport", &[400, 401, 404]),
    ("muteAnliegen", &[400, 401, 404]),
    ("unmuteAnliegen", &[400, 401, 404]),
    ("listAnliegenTopics", &[]),
    ("getAnliegenMap", &[400]),
    ("getAnliegenFigures", &[400, 404, 422]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::{anliegen as a, geo};
    &[
        ("CreateAnliegen", "title", &[Text(a::TITLE_MAX)]),
        ("CreateAnliegen", "description", &[Text(a::DESCRIPTION_MAX)]),
        ("CreateAnliegen", "place", &[MaxLength(a::PLACE_MAX)]),
        ("CreateAnliegen", "author_name", &[MaxLength(a::NAME_MAX)]),
        ("CreateAnliegen", "contact_phone", super::spec::PHONE),
        (
            "GeoPoint",
            "lat",
            &[Range(geo::LATITUDE.0 as i64, geo::LATITUDE.1 as i64)],
        ),
        (
            "GeoPoint",
            "lon",
            &[Range(geo::LONGITUDE.0 as i64, geo::LONGITUDE.1 as i64)],
        ),
        ("AnliegenTransition", "answer", &[Text(a::ANSWER_MAX)]),
        ("AnliegenAnswer", "answer", &[Text(a::ANSWER_MAX)]),
        ("AnliegenUpdate", "text", &[Text(a::DESCRIPTION_MAX)]),
        ("PublishAnliegen", "title", &[Text(a::TITLE_MAX)]),
        (
            "PublishAnliegen",
            "description",
            &[Text(a::DESCRIPTION_MAX)],
        ),
        ("PublishAnliegen", "place", &[MaxLength(a::PLACE_MAX)]),
        ("HideAnliegen", "reason", &[Text(a::REASON_MAX)]),
    ]
};

fn page(
    views: Vec<AnliegenView>,
    more: bool,
    at: impl Fn(&AnliegenView) -> chrono::DateTime<chrono::Utc>,
) -> AnliegenPage {
    let next_cursor = views
        .last()
        .filter(|_| more)
        .map(|v| pagination::encode_at(at(v), v.anliegen.id));
    AnliegenPage {
        items: views.into_iter().map(Anliegen::from).collect(),
        next_cursor,
    }
}

pub struct AnliegenApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Anliegen")]
impl AnliegenApi {
    /// File an Anliegen
    ///
    /// Residents file their own (at most `DORFAPP_QUOTA_ANLIEGEN_PER_PERSON_PER_DAY` a day,
    /// default 10; then 429 with `Retry-After`). The ride desk (dispatchers) and admins also
    /// file for a resident (`author_user_id`) or, during a phone call, for a person without an
    /// account (`author_name` + `contact_phone`); anyone else sending those gets 403. It is
    /// private to the author and the handlers until a handler publishes it. A retry with the
    /// same `Idempotency-Key` files nothing new.
    #[oai(
        transform = "no_store",
        path = "/anliegen",
        method = "post",
        operation_id = "createAnliegen"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Any unique string (a UUID): a retry with the same key within 24 h files nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreateAnliegen>,
    ) -> ApiResult<AnliegenCreated> {
        let b = body.0;
        let input = NewAnliegen {
            kind: b.kind,
            title: b.title,
            description: b.description,
            district_id: b.district_id,
            place: b.place,
            location: b.location.map(Into::into),
            images: b.images.into_iter().map(Into::into).collect(),
            author_user_id: b.author_user_id,
            author_name: b.author_name,
            contact_phone: b.contact_phone,
        };
        let claim = idempotency_key
            .0
            .as_deref()
            .map(|key| {
                Claim::new(
                    format!("user:{}", actor.user_id),
                    key,
                    "createAnliegen",
                    &input,
                )
            })
            .transpose()?;
        let view = anliegen::create(
            &state.db,
            &state.clock,
            state.settings.quotas(),
            &actor,
            input,
            claim.as_ref(),
        )
        .await?;
        let item = Anliegen::from(view);
        let location = format!("/api/v1/anliegen/{}", item.id);
        Ok(AnliegenCreated::Created(Json(item), location))
    }

    /// List published Anliegen
    ///
    /// Public: the published Anliegen (of a district, a status, a kind), newest publication
    /// first, in the public view — also for their authors and handlers.
    #[oai(
        transform = "no_store",
        path = "/anliegen",
        method = "get",
        operation_id = "listAnliegen"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each documented parameter as an argument"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// Only this district's.
        district_id: Query<Option<Uuid>>,
        /// Only in this status.
        status: Query<Option<AnliegenStatus>>,
        /// Only of this kind.
        kind: Query<Option<AnliegenKind>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AnliegenPage>> {
        let actor = caller.actor()?;
        let query = ListQuery {
            district_id: district_id.0,
            status: status.0,
            kind: kind.0,
            after: pagination::decode_at(cursor.0.as_deref())?,
            limit: pagination::limit(limit.0)?,
        };
        let (views, more) = anliegen::list_public(&state.db, actor, &query).await?;
        Ok(Json(page(views, more, |v| {
            v.anliegen.published_at.unwrap_or(v.anliegen.created_at)
        })))
    }

    /// The handlers' queue
    ///
    /// What the caller handles, oldest first so the longest waiting is on top: district
    /// leaders their districts' Anliegen, town staff what was forwarded in their topic (or
    /// all forwarded ones, town-wide), admins everything; full view. 403 for anyone else.
    #[oai(
        transform = "no_store",
        path = "/anliegen/queue",
        method = "get",
        operation_id = "listAnliegenQueue"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each documented parameter as an argument"
    )]
    async fn queue(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Only this district's.
        district_id: Query<Option<Uuid>>,
        /// Only in this status.
        status: Query<Option<AnliegenStatus>>,
        /// Only of this kind.
        kind: Query<Option<AnliegenKind>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AnliegenPage>> {
        let query = ListQuery {
            district_id: district_id.0,
            status: status.0,
            kind: kind.0,
            after: pagination::decode_at(cursor.0.as_deref())?,
            limit: pagination::limit(limit.0)?,
        };
        let (views, more) = anliegen::queue(&state.db, &actor, &query).await?;
        Ok(Json(page(views, more, |v| v.anliegen.created_at)))
    }

    /// My Anliegen
    ///
    /// What the caller filed, for themselves or (ride desk) for others, newest first; full
    /// view, with every answer.
    #[oai(
        transform = "no_store",
        path = "/anliegen/mine",
        method = "get",
        operation_id = "listMyAnliegen"
    )]
    async fn mine(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Only in this status.
        status: Query<Option<AnliegenStatus>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AnliegenPage>> {
        let query = ListQuery {
            status: status.0,
            after: pagination::decode_at(cursor.0.as_deref())?,
            limit: pagination::limit(limit.0)?,
            ..ListQuery::default()
        };
        let (views, more) = anliegen::mine(&state.db, &actor, &query).await?;
        Ok(Json(page(views, more, |v| v.anliegen.created_at)))
    }

    /// Get an Anliegen
    ///
    /// The full view for its author, whoever filed it and its handlers; the public view for
    /// everyone once published; 404 otherwise (also for a hidden one).
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id",
        method = "get",
        operation_id = "getAnliegen"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// The Anliegen's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Anliegen>> {
        let actor = caller.actor()?;
        Ok(Json(anliegen::get(&state.db, actor, id.0).await?.into()))
    }

    /// Move an Anliegen on
    ///
    /// Handlers, with a public answer that reaches the author and every supporter (push and
    /// inbox, whatever categories they chose; quiet hours hold the push):
    ///
    /// | to | from | who |
    /// |---|---|---|
    /// | `in_review` | `received` | the district's leaders |
    /// | `forwarded` (with `topic_id`) | `received`, `in_review` | the district's leaders |
    /// | `in_progress` | `received`, `in_review` / `forwarded` | the district's leaders / the town staff of the topic |
    /// | `done`, `declined`, `duplicate` (with `duplicate_of`) | any open status | whoever holds it: the district before forwarding, the town after |
    ///
    /// Admins may take every step. A step that comes too late (someone else moved it first)
    /// is 409 naming the current status; of two at once exactly one wins. `duplicate` merges
    /// it into another open Anliegen of the same district, whose followers then include this
    /// one's.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/transitions",
        method = "post",
        operation_id = "transitionAnliegen"
    )]
    async fn transition(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
        body: JsonBody<AnliegenTransition>,
    ) -> ApiResult<Json<Anliegen>> {
        let b = body.0;
        let step = Step {
            to: b.to,
            answer: b.answer,
            topic_id: b.topic_id,
            duplicate_of: b.duplicate_of,
        };
        let view = anliegen::transition(&state.db, &state.clock, &actor, id.0, step).await?;
        Ok(Json(view.into()))
    }

    /// Answer an Anliegen
    ///
    /// Handlers: a public answer without a change of status (also after it ended); it reaches
    /// the author and the supporters like a step.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/answers",
        method = "post",
        operation_id = "answerAnliegen"
    )]
    async fn answer(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
        body: JsonBody<AnliegenAnswer>,
    ) -> ApiResult<Json<Anliegen>> {
        let view = anliegen::answer(&state.db, &state.clock, &actor, id.0, &body.0.answer).await?;
        Ok(Json(view.into()))
    }

    /// Add to one's Anliegen
    ///
    /// The author (or whoever filed it): an addition for the handlers only, who are told.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/updates",
        method = "post",
        operation_id = "addAnliegenUpdate"
    )]
    async fn add_update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
        body: JsonBody<AnliegenUpdate>,
    ) -> ApiResult<Json<Anliegen>> {
        let view =
            anliegen::add_update(&state.db, &state.clock, &actor, id.0, &body.0.text).await?;
        Ok(Json(view.into()))
    }

    /// Publish an Anliegen
    ///
    /// Handlers: makes a private Anliegen public under the text given here (edit out names,
    /// phone numbers, anything personal); the author is told. 409 if it is not private.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/publish",
        method = "post",
        operation_id = "publishAnliegen"
    )]
    async fn publish(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
        body: JsonBody<PublishAnliegen>,
    ) -> ApiResult<Json<Anliegen>> {
        let b = body.0;
        let text = PublicText {
            title: b.title,
            description: b.description,
            place: b.place,
            show_location: b.show_location,
        };
        let view = anliegen::publish(&state.db, &state.clock, &actor, id.0, text).await?;
        Ok(Json(view.into()))
    }

    /// Take an Anliegen down
    ///
    /// Handlers (moderation): a published Anliegen becomes `hidden`, with a reason the author
    /// is told. 409 if it is not published.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/hide",
        method = "post",
        operation_id = "hideAnliegen"
    )]
    async fn hide(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
        body: JsonBody<HideAnliegen>,
    ) -> ApiResult<Json<Anliegen>> {
        let view =
            anliegen::set_hidden(&state.db, &state.clock, &actor, id.0, Some(&body.0.reason))
                .await?;
        Ok(Json(view.into()))
    }

    /// Put an Anliegen back up
    ///
    /// Handlers: a hidden Anliegen is published again; the author is told. 409 if it is not
    /// hidden.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/unhide",
        method = "post",
        operation_id = "unhideAnliegen"
    )]
    async fn unhide(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Anliegen>> {
        let view = anliegen::set_hidden(&state.db, &state.clock, &actor, id.0, None).await?;
        Ok(Json(view.into()))
    }

    /// Support an Anliegen ("Ich auch")
    ///
    /// Any signed-in person but its author, on a published, open Anliegen; then they are told
    /// of every later step. Once per person: saying it again changes nothing. At most
    /// `DORFAPP_QUOTA_ANLIEGEN_SUPPORTS_PER_HOUR` (default 60) an hour.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/support",
        method = "put",
        operation_id = "supportAnliegen"
    )]
    async fn support(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        anliegen::support(
            &state.db,
            &state.clock,
            state.settings.quotas(),
            &actor,
            id.0,
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Withdraw one's support
    ///
    /// Withdrawing twice is fine. The author's own follow cannot be withdrawn (mute instead).
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/support",
        method = "delete",
        operation_id = "withdrawAnliegenSupport"
    )]
    async fn withdraw_support(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        anliegen::withdraw_support(&state.db, &actor, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Mute an Anliegen
    ///
    /// Its author or a supporter: no more pushes about this one Anliegen; the inbox still gets
    /// every answer. 404 for someone who does not follow it.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/mute",
        method = "put",
        operation_id = "muteAnliegen"
    )]
    async fn mute(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        anliegen::set_muted(&state.db, &actor, id.0, true).await?;
        Ok(NoContent::Done)
    }

    /// Unmute an Anliegen
    ///
    /// Pushes about this Anliegen again. 404 for someone who does not follow it.
    #[oai(
        transform = "no_store",
        path = "/anliegen/:id/mute",
        method = "delete",
        operation_id = "unmuteAnliegen"
    )]
    async fn unmute(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The Anliegen's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        anliegen::set_muted(&state.db, &actor, id.0, false).await?;
        Ok(NoContent::Done)
    }

    /// The public map
    ///
    /// Published Anliegen whose point the district chose to show (`show_location`), as a
    /// GeoJSON FeatureCollection (RFC 7946; coordinates longitude first): the open ones and
    /// those ended in the last 90 days, or only those of `status`; newest publication first,
    /// at most 2000. No person is named.
    #[oai(
        path = "/anliegen/map",
        method = "get",
        operation_id = "getAnliegenMap"
    )]
    async fn map(
        &self,
        state: Data<&AppState>,
        /// Only this district's.
        district_id: Query<Option<Uuid>>,
        /// Only in this status.
        status: Query<Option<AnliegenStatus>>,
        /// Only of this kind.
        kind: Query<Option<AnliegenKind>>,
    ) -> ApiResult<Json<AnliegenMap>> {
        let query = ListQuery {
            district_id: district_id.0,
            status: status.0,
            kind: kind.0,
            ..ListQuery::default()
        };
        let points = anliegen::map(&state.db, &state.clock, &query).await?;
        Ok(Json(AnliegenMap {
            kind: GeoJsonCollectionType::FeatureCollection,
            features: points
                .into_iter()
                .map(|point| {
                    let a = point.anliegen;
                    AnliegenMapFeature {
                        kind: GeoJsonFeatureType::Feature,
                        id: a.id,
                        geometry: GeoJsonPoint {
                            kind: GeoJsonPointType::Point,
                            coordinates: vec![point.location.lon, point.location.lat],
                        },
                        properties: AnliegenMapProperties {
                            kind: a.kind,
                            status: a.status,
                            title: a.public_title.unwrap_or_default(),
                            place: a.public_place,
                            supporter_count: point.supporter_count,
                            district_id: a.district_id,
                            updated_at: a.updated_at.into(),
                            url: format!("/api/v1/anliegen/{}", a.id),
                        },
                    }
                })
                .collect(),
        }))
    }

    /// A district's Anliegen in figures
    ///
    /// Public, for the district mayor to show the town council what is waiting: over a
    /// period (default: the last year up to today; at most five years; both ends widened to
    /// whole days in the municipality's time zone), how many were filed, done, declined and
    /// merged, how many are open now and unanswered, the median days to the first answer and
    /// to done, and the oldest open one's age. Counts and medians only, no person.
    #[oai(
        path = "/districts/:id/anliegen-figures",
        method = "get",
        operation_id = "getAnliegenFigures"
    )]
    async fn figures(
        &self,
        state: Data<&AppState>,
        /// The district's id.
        id: Path<Uuid>,
        /// The period's first day.
        from: Query<Option<Timestamp>>,
        /// The period's last day (included).
        to: Query<Option<Timestamp>>,
    ) -> ApiResult<Json<AnliegenFigures>> {
        let f = anliegen::figures::of_district(
            &state.db,
            &state.clock,
            state.time_zone,
            id.0,
            from.0.map(|t| t.0),
            to.0.map(|t| t.0),
        )
        .await?;
        Ok(Json(AnliegenFigures {
            district_id: f.district_id,
            from: f.from.into(),
            to: f.to.into(),
            received: f.received,
            done: f.done,
            declined: f.declined,
            duplicate: f.duplicate,
            open_now: f.open_now,
            unanswered: f.unanswered,
            median_days_to_first_answer: f.median_days_to_first_answer,
            median_days_to_done: f.median_days_to_done,
            oldest_open_received_at: f.oldest_open_received_at.map(Timestamp),
            oldest_open_days: f.oldest_open_days,
        }))
    }

    /// List the town's topics
    ///
    /// Public: the topics (Fachbereiche) an Anliegen can be forwarded to, active ones first.
    #[oai(
        path = "/anliegen-topics",
        method = "get",
        operation_id = "listAnliegenTopics"
    )]
    async fn topics(&self, state: Data<&AppState>) -> ApiResult<Json<Vec<AnliegenTopic>>> {
        let topics = anliegen::topics(&state.db).await?;
        Ok(Json(topics.into_iter().map(AnliegenTopic::from).collect()))
    }
}
