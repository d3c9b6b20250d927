//! District news (Ortsteil-Nachrichten): who may publish where, the life of an item (draft,
//! scheduled, published, expired), and the feed.
//!
//! The feed reads `news_placement`, a projection kept by [`sync_placements`]: one row per
//! district of a published item, one with a null district for a municipality-wide item. A
//! district's page is two index range scans (its own rows and the municipality-wide ones),
//! merged; its cost does not grow with the table. Items are ordered by the moment they went
//! live (`published_at`, then id), so a newly published item always lands at the top and a
//! reader's cursor never skips or repeats one.
//!
//! Every committed change that can alter what a feed shows (an item goes live, is edited or
//! deleted) advances the instance's [`FeedVersion`], so that rendered feed pages kept in
//! memory are dropped at once; expiry is time-driven and each [`FeedPage`] says when it
//! happens next ([`FeedPage::changes_at`]).

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::{
    district, news_item, news_placement, organisation,
    vocab::{NewsCategory, NewsStatus},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{
        Asterisk, Expr, ExprTrait, IntoColumnRef, Order, Query, SelectStatement, UnionType,
    },
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    DomainError, DomainResult, Validator,
    auth::{Actor, Role},
    clock::SharedClock,
    db, idempotency,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    notices::{self, Audience, Notice, NoticeKind, Target, TargetType, Urgency},
    text::{FieldError, Text},
};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;
pub const LOCATION_MAX: usize = 200;
pub const DISTRICTS_MAX: usize = 100;
/// How far ahead an item may be scheduled.
pub const SCHEDULE_HORIZON: Duration = Duration::days(366);
/// The job that publishes a scheduled item.
pub const PUBLISH_JOB: &str = "news.publish";

/// An item with its districts and its status at the time of the answer.
#[derive(Clone, Debug)]
pub struct NewsView {
    pub item: news_item::Model,
    pub district_ids: Vec<Uuid>,
    pub status: NewsStatus,
    /// Its photos, in order (loaded by the functions that answer readers).
    pub images: Vec<crate::media::ShownImage>,
}

impl NewsView {
    fn new(item: news_item::Model, now: DateTime<Utc>) -> Self {
        // Written by this module only, always a JSON array; unreadable shows as municipality-wide.
        let district_ids = serde_json::from_str(&item.district_ids).unwrap_or_default();
        let status = match item.status {
            NewsStatus::Published if item.expires_at.is_some_and(|at| at <= now) => {
                NewsStatus::Expired
            }
            stored => stored,
        };
        Self {
            item,
            district_ids,
            status,
            images: Vec::new(),
        }
    }

    /// Visible to everyone: published and not expired.
    pub fn is_public(&self) -> bool {
        self.status == NewsStatus::Published
    }
}

/// The event an item of category `event` announces.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventInput {
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub location: Option<String>,
}

/// A new item, as asked for; its serialisation is the `Idempotency-Key` fingerprint.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NewNews {
    pub title: String,
    pub body: String,
    pub category: NewsCategory,
    pub district_ids: Vec<Uuid>,
    pub publish_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub pinned: bool,
    pub event: Option<EventInput>,
    pub notify: bool,
    /// Keep it as a draft: neither published nor scheduled.
    pub draft: bool,
    /// Its photos, in order.
    pub images: Vec<crate::media::ImageRef>,
    /// Published under this organisation's name (its editors may then write it).
    pub organisation_id: Option<Uuid>,
}

/// `None` leaves a field; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct NewsPatch {
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<NewsCategory>,
    pub district_ids: Option<Vec<Uuid>>,
    pub publish_at: Option<Option<DateTime<Utc>>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub pinned: Option<bool>,
    pub event: Option<Option<EventInput>>,
    pub notify: Option<bool>,
    pub draft: Option<bool>,
    /// The photos, in order; replaces the list.
    pub images: Option<Vec<crate::media::ImageRef>>,
    pub organisation_id: Option<Option<Uuid>>,
}

/// What the feed is asked for. Equal queries read the same page, so it also keys the cache of
/// rendered pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeedQuery {
    pub district: Option<Uuid>,
    pub category: Option<NewsCategory>,
    pub pinned: Option<bool>,
    /// The position after which the page starts: `(published_at, id)` of the last item seen.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

/// A page of the feed, newest first.
#[derive(Clone, Debug)]
pub struct FeedPage {
    pub items: Vec<NewsView>,
    /// Whether more items follow this page.
    pub more: bool,
    /// The earliest moment at which this page changes by time alone: an item on it, or the one
    /// just after it, expires. `None`: not by time.
    pub changes_at: Option<DateTime<Utc>>,
}

/// The number of news changes (an item went live, was edited or deleted) this instance has
/// committed. A page read while it stayed the same is still current, apart from expiry
/// ([`FeedPage::changes_at`]) and changes made by other instances. Clones share the count.
#[derive(Clone, Debug, Default)]
pub struct FeedVersion(Arc<AtomicU64>);

impl FeedVersion {
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Called after the commit, never before: a reader that sees the old version then reads
    /// the old rows, one that sees the new version reads the new rows.
    fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diese Nachricht gibt es nicht (mehr).",
        "No such news item (any more).",
    ))
}

/// Whether the caller may publish at all: admins, district leaders, and organisations' editors.
/// Guard: the caller may write news at all (an administrator, a district leader, an
/// organisation's editor). Which districts is checked when they write.
pub fn require_publisher(actor: &Actor) -> DomainResult<()> {
    if is_publisher(actor) {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

fn is_publisher(actor: &Actor) -> bool {
    actor.is_admin()
        || actor.districts_as(Role::DistrictLeader).next().is_some()
        || actor.has(Role::OrganisationEditor)
}

/// Admins publish anywhere; a district leader only to districts they lead, never to the whole
/// municipality (an empty list); an organisation's editor only under its name and only to its
/// own district.
fn may_publish_to(
    actor: &Actor,
    districts: &[Uuid],
    organisation: Option<&organisation::Model>,
) -> bool {
    actor.is_admin()
        || (!districts.is_empty() && districts.iter().all(|d| actor.leads(*d)))
        || organisation.is_some_and(|o| actor.edits_for(o.id) && districts == [o.district_id])
}

/// The districts a form offers the caller to publish to under their own name: the same rule
/// [`create`] applies, one district at a time.
pub fn districts_to_offer<'a>(
    actor: &Actor,
    all: &'a [entity::district::Model],
) -> Vec<&'a entity::district::Model> {
    all.iter()
        .filter(|d| may_publish_to(actor, &[d.id], None))
        .collect()
}

/// Whether the caller may change an existing item: those who may publish to its districts, and
/// the editors of the organisation it is published under (whose district was checked when it
/// was written, and is checked again with the change).
fn may_edit(actor: &Actor, view: &NewsView) -> bool {
    may_publish_to(actor, &view.district_ids, None)
        || view
            .item
            .organisation_id
            .is_some_and(|o| actor.edits_for(o))
}

/// Whether the caller may see an item that is not public: those who may edit it, and its
/// author.
fn may_see_unpublished(actor: &Actor, view: &NewsView) -> bool {
    may_edit(actor, view) || view.item.author_id == Some(actor.user_id)
}

/// An editor's check: 404 when the item is not public and the caller may not see it (its
/// existence is nobody else's business), 403 when they see it but may not change it.
pub fn require_editor(actor: &Actor, view: &NewsView) -> DomainResult<()> {
    if may_edit(actor, view) {
        Ok(())
    } else if view.is_public() || may_see_unpublished(actor, view) {
        Err(DomainError::Forbidden)
    } else {
        Err(not_found())
    }
}

/// Timestamps as the databases keep them (microseconds), so that a cursor compares exactly.
fn stored(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

fn publish_job_key(id: Uuid) -> String {
    format!("{PUBLISH_JOB}:{id}")
}

/// The fields of an item after a create or a patch, checked together.
struct Draft {
    title: String,
    body: String,
    category: NewsCategory,
    district_ids: Vec<Uuid>,
    publish_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    event: Option<EventInput>,
    organisation_id: Option<Uuid>,
}

/// Checks everything at once (every field at fault is named) and returns the district list
/// without duplicates, and the organisation it is published under.
async fn validate(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    draft: &Draft,
    published_at: Option<DateTime<Utc>>,
) -> DomainResult<(Vec<Uuid>, Option<organisation::Model>)> {
    let mut v = Validator::new();
    let organisation = match draft.organisation_id {
        Some(id) => organisation::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    v.check(
        draft.organisation_id.is_none() || organisation.is_some(),
        "organisation_id",
        "Diese Organisation gibt es nicht.",
        "No such organisation.",
    );
    v.text("title", &draft.title, TITLE_MAX);
    v.text("body", &draft.body, BODY_MAX);
    v.check(
        draft.district_ids.len() <= DISTRICTS_MAX,
        "district_ids",
        "Höchstens 100 Ortsteile.",
        "At most 100 districts.",
    );
    let mut seen = HashSet::new();
    let districts: Vec<Uuid> = draft
        .district_ids
        .iter()
        .copied()
        .filter(|d| seen.insert(*d))
        .collect();
    if districts.len() <= DISTRICTS_MAX && !districts.is_empty() {
        let known: HashSet<Uuid> = district::Entity::find()
            .filter(district::Column::Id.is_in(districts.clone()))
            .all(conn)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        for (index, id) in draft.district_ids.iter().enumerate() {
            if !known.contains(id) {
                v.push(FieldError::new(
                    format!("district_ids[{index}]"),
                    Text::new("Diesen Ortsteil gibt es nicht.", "No such district."),
                ));
            }
        }
    }
    if published_at.is_none()
        && let Some(at) = draft.publish_at
    {
        v.check(
            at <= now + SCHEDULE_HORIZON,
            "publish_at",
            "Höchstens ein Jahr im Voraus.",
            "At most a year ahead.",
        );
    }
    // Goes (or went) live then; expiry must come after it.
    let live_from = published_at
        .or(draft.publish_at.filter(|at| *at > now))
        .unwrap_or(now);
    if let Some(expires_at) = draft.expires_at {
        v.check(
            expires_at > live_from,
            "expires_at",
            "Muss nach der Veröffentlichung liegen.",
            "Must be after publication.",
        );
    }
    match (&draft.event, draft.category) {
        (None, NewsCategory::Event) => {
            v.check(
                false,
                "event",
                "Eine Veranstaltung braucht einen Beginn.",
                "An event needs a start.",
            );
        }
        (Some(_), category) if category != NewsCategory::Event => {
            v.check(
                false,
                "event",
                "Nur für die Kategorie Veranstaltung (event).",
                "Only for the category event.",
            );
        }
        (Some(event), _) => {
            if let Some(ends_at) = event.ends_at {
                v.check(
                    ends_at > event.starts_at,
                    "event.ends_at",
                    "Muss nach dem Beginn liegen.",
                    "Must be after the start.",
                );
            }
            v.optional_text("event.location", event.location.as_deref(), LOCATION_MAX);
        }
        (None, _) => {}
    }
    v.finish()?;
    Ok((districts, organisation))
}

/// Rebuilds the item's feed rows from the item: none unless published.
async fn sync_placements(conn: &impl ConnectionTrait, view: &NewsView) -> Result<(), DbErr> {
    news_placement::Entity::delete_many()
        .filter(news_placement::Column::NewsId.eq(view.item.id))
        .exec(conn)
        .await?;
    let Some(published_at) = view
        .item
        .published_at
        .filter(|_| view.item.status == NewsStatus::Published)
    else {
        return Ok(());
    };
    let districts: Vec<Option<Uuid>> = if view.district_ids.is_empty() {
        vec![None]
    } else {
        view.district_ids.iter().copied().map(Some).collect()
    };
    let rows = districts
        .into_iter()
        .map(|district| news_placement::ActiveModel {
            id: Set(Uuid::now_v7()),
            news_id: Set(view.item.id),
            district_id: Set(district),
            category: Set(view.item.category),
            pinned: Set(view.item.pinned),
            published_at: Set(published_at),
            expires_at: Set(view.item.expires_at),
        });
    news_placement::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A push text from Markdown: the first paragraph without markup, at most 300 characters.
pub fn plain_excerpt(markdown: &str) -> String {
    plain_paragraph(markdown).chars().take(300).collect()
}

/// The first paragraph of Markdown without markup, whole: what [`plain_excerpt`] cuts, for a
/// reader that cuts it elsewhere (the printed Aushang cuts at a word).
pub fn plain_paragraph(markdown: &str) -> String {
    let mut text = String::new();
    for line in markdown.lines().map(str::trim) {
        if line.is_empty() {
            if text.is_empty() {
                continue;
            }
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line.trim_start_matches(['#', '>', '-', '*', '+', ' ']));
    }
    // Links `[text](url)` keep their text; emphasis and code marks go.
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '_' | '`' | '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                for skipped in chars.by_ref() {
                    if skipped == ')' {
                        break;
                    }
                }
            }
            _ => plain.push(c),
        }
    }
    plain
}

/// Puts a (draft or scheduled) item live now, in the caller's transaction: feed rows, and with
/// `notify` the notice for the residents of its districts.
async fn go_live(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    item: news_item::Model,
) -> Result<NewsView, DbErr> {
    let now = stored(clock.now());
    let mut model: news_item::ActiveModel = item.into();
    model.status = Set(NewsStatus::Published);
    model.published_at = Set(Some(now));
    let item = model.update(conn).await?;
    // The deprecated `event` field: the calendar gets the event too.
    crate::events::adopt::queue(conn, clock, &item).await?;
    // A warning also goes by text message to the numbers that chose warnings.
    crate::sms_warnings::queue(conn, clock, &item).await?;
    let view = NewsView::new(item, now);
    sync_placements(conn, &view).await?;
    if view.item.notify {
        let category = view.item.category;
        notices::enqueue(
            conn,
            clock,
            Notice {
                kind: NoticeKind::News,
                title: view.item.title.clone(),
                body: plain_excerpt(&view.item.body),
                target: Target::News { id: view.item.id },
                audience: Audience::Districts {
                    districts: view.district_ids.clone(),
                    category,
                },
                urgency: if category == NewsCategory::Warning {
                    Urgency::Warning
                } else {
                    Urgency::Normal
                },
                topic: None,
                not_before: None,
            },
        )
        .await?;
    }
    Ok(view)
}

/// Queues the job that publishes a scheduled item at its time (replacing an earlier one).
async fn schedule(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    jobs::cancel(conn, &publish_job_key(id)).await?;
    jobs::enqueue(
        conn,
        clock,
        NewJob::new(PUBLISH_JOB, serde_json::json!({ "news_id": id }), at)
            .unique(publish_job_key(id)),
    )
    .await
}

/// Fills in the photos of these items (one query for all of them).
async fn with_images(
    conn: &impl ConnectionTrait,
    mut views: Vec<NewsView>,
) -> Result<Vec<NewsView>, DbErr> {
    let ids: Vec<Uuid> = views.iter().map(|v| v.item.id).collect();
    let mut shown = crate::media::shown_by(conn, crate::media::ThingKind::News, &ids).await?;
    for view in &mut views {
        view.images = shown.remove(&view.item.id).unwrap_or_default();
    }
    Ok(views)
}

async fn with_images_one(
    conn: &impl ConnectionTrait,
    mut view: NewsView,
) -> Result<NewsView, DbErr> {
    view.images =
        crate::media::shown_by_one(conn, crate::media::ThingKind::News, view.item.id).await?;
    Ok(view)
}

/// Reads an item for a change: on PostgreSQL the row stays locked until the transaction ends,
/// so that a concurrent change or the publishing job waits (SQLite's write lock already
/// serialises writers).
async fn find_for_update(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<news_item::Model>, DbErr> {
    db::locked(news_item::Entity::find_by_id(id), conn)
        .one(conn)
        .await
}

pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    version: &FeedVersion,
    actor: &Actor,
    input: NewNews,
    claim: Option<&idempotency::Claim>,
    per_hour: u32,
) -> DomainResult<NewsView> {
    if !is_publisher(actor) {
        return Err(DomainError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        // A retry: the first request's item stands (it may have been deleted meanwhile).
        let id = answer.resource_id.ok_or_else(not_found)?;
        let item = news_item::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(not_found)?;
        txn.commit().await?;
        return Ok(with_images_one(db, NewsView::new(item, clock.now())).await?);
    }
    let now = clock.now();
    let draft = Draft {
        title: input.title,
        body: input.body,
        category: input.category,
        district_ids: input.district_ids,
        publish_at: input.publish_at.map(stored),
        expires_at: input.expires_at.map(stored),
        event: input.event,
        organisation_id: input.organisation_id,
    };
    let (districts, organisation) = validate(&txn, now, &draft, None).await?;
    if !may_publish_to(actor, &districts, organisation.as_ref()) {
        return Err(DomainError::Forbidden);
    }
    crate::media::check_refs(&txn, actor, None, &input.images).await?;
    // A ceiling per author and hour ([`crate::quotas`]): far above a mayor's real need, low
    // enough that a hijacked account cannot bury a feed or flood every phone.
    crate::quotas::lock(&txn, &format!("news:{}", actor.user_id)).await?;
    let recent: Vec<DateTime<Utc>> = news_item::Entity::find()
        .select_only()
        .column(news_item::Column::CreatedAt)
        .filter(news_item::Column::AuthorId.eq(actor.user_id))
        .filter(news_item::Column::CreatedAt.gt(now - crate::quotas::HOUR))
        .order_by_asc(news_item::Column::CreatedAt)
        .into_tuple()
        .all(&txn)
        .await?;
    crate::quotas::check_hourly(&recent, per_hour, now, || {
        Text::new(
            format!("Höchstens {per_hour} neue Nachrichten pro Stunde."),
            format!("At most {per_hour} new news items an hour."),
        )
    })?;
    let scheduled_for = draft.publish_at.filter(|at| *at > now);
    let status = match (input.draft, scheduled_for) {
        (true, _) => NewsStatus::Draft,
        (false, Some(_)) => NewsStatus::Scheduled,
        (false, None) => NewsStatus::Draft, // goes live just below, in this transaction
    };
    let event = draft.event;
    let item = news_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(draft.title.trim().to_owned()),
        body: Set(draft.body),
        category: Set(draft.category),
        status: Set(status.to_owned()),
        district_ids: Set(serde_json::json!(districts).to_string()),
        publish_at: Set(draft.publish_at),
        published_at: Set(None),
        expires_at: Set(draft.expires_at),
        pinned: Set(input.pinned),
        notify: Set(input.notify),
        event_starts_at: Set(event.as_ref().map(|e| stored(e.starts_at))),
        event_ends_at: Set(event.as_ref().and_then(|e| e.ends_at.map(stored))),
        event_location: Set(event
            .and_then(|e| e.location)
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())),
        author_id: Set(Some(actor.user_id)),
        organisation_id: Set(draft.organisation_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    crate::media::attach(
        &txn,
        clock,
        crate::media::Thing::News(item.id),
        &input.images,
    )
    .await?;
    let view = match (input.draft, scheduled_for) {
        (true, _) => NewsView::new(item, now),
        (false, Some(at)) => {
            schedule(&txn, clock, item.id, at).await?;
            NewsView::new(item, now)
        }
        (false, None) => go_live(&txn, clock, item).await?,
    };
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(view.item.id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    txn.commit().await?;
    version.advance();
    Ok(with_images_one(db, view).await?)
}

/// One item with its photos: public when published and not expired; otherwise only for those
/// who may edit it and its author (everyone else gets 404).
pub async fn get(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<NewsView> {
    let view = visible(conn, clock, actor, id).await?;
    Ok(with_images_one(conn, view).await?)
}

/// Who may see the photos this item shows: everyone once it is public, otherwise those who
/// may see the item.
pub(crate) async fn photo_sight(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<crate::media::Sight> {
    use crate::media::Sight;
    match visible(conn, clock, actor, id).await {
        Ok(item) if item.is_public() => Ok(Sight::Everyone),
        Ok(_) => Ok(Sight::Caller),
        Err(DomainError::NotFound(_)) => Ok(Sight::Nobody),
        Err(other) => Err(other),
    }
}

/// [`get`] without the photos: the item if the caller may see it.
async fn visible(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<NewsView> {
    let item = news_item::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let view = NewsView::new(item, clock.now());
    if view.is_public() || actor.is_some_and(|a| may_see_unpublished(a, &view)) {
        Ok(view)
    } else {
        Err(not_found())
    }
}

/// How far the push of an item has got (recipients; pushes sent, failed, pending): for its
/// author and those who may edit it. Others get 403 for a public item, 404 otherwise.
pub async fn delivery(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<notices::DeliveryCounts> {
    let item = news_item::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let view = NewsView::new(item, clock.now());
    if !may_see_unpublished(actor, &view) {
        return Err(if view.is_public() {
            DomainError::Forbidden
        } else {
            not_found()
        });
    }
    Ok(notices::delivery_counts(conn, TargetType::News, id).await?)
}

/// Changes an item. `if_match` tells whether the version the client last read is still the
/// current one (the HTTP layer compares entity tags); `false` answers 412 and changes nothing.
pub async fn update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    version: &FeedVersion,
    actor: &Actor,
    id: Uuid,
    patch: NewsPatch,
    if_match: impl Fn(&NewsView) -> bool,
) -> DomainResult<NewsView> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let current = find_for_update(&txn, id).await?.ok_or_else(not_found)?;
    // The version the caller read was rendered with the photos: compare with the same.
    let view = with_images_one(&txn, NewsView::new(current.clone(), now)).await?;
    require_editor(actor, &view)?;
    if !if_match(&view) {
        return Err(DomainError::PreconditionFailed);
    }
    let was_published = current.status == NewsStatus::Published;
    let publish_at_changes = patch
        .publish_at
        .is_some_and(|at| at.map(stored) != current.publish_at);
    if was_published && (publish_at_changes || patch.draft == Some(true)) {
        let field = if publish_at_changes {
            "publish_at"
        } else {
            "draft"
        };
        return Err(DomainError::Validation(vec![crate::text::field(
            field,
            "Die Nachricht ist schon veröffentlicht. Zum Zurückziehen bitte löschen oder ein Ablaufdatum setzen.",
            "The item is already published. To withdraw it, delete it or give it an expiry.",
        )]));
    }
    let category = patch.category.unwrap_or(current.category);
    let current_event = current.event_starts_at.map(|starts_at| EventInput {
        starts_at,
        ends_at: current.event_ends_at,
        location: current.event_location.clone(),
    });
    // Leaving the category `event` drops the event data unless the patch names it.
    let event = match patch.event {
        Some(event) => event,
        None if category != NewsCategory::Event => None,
        None => current_event,
    };
    let draft = Draft {
        title: patch.title.unwrap_or_else(|| current.title.clone()),
        body: patch.body.unwrap_or_else(|| current.body.clone()),
        category,
        district_ids: patch
            .district_ids
            .unwrap_or_else(|| view.district_ids.clone()),
        publish_at: patch.publish_at.unwrap_or(current.publish_at).map(stored),
        expires_at: patch.expires_at.unwrap_or(current.expires_at).map(stored),
        event,
        organisation_id: patch.organisation_id.unwrap_or(current.organisation_id),
    };
    let (districts, organisation) = validate(&txn, now, &draft, current.published_at).await?;
    if !may_publish_to(actor, &districts, organisation.as_ref()) {
        return Err(DomainError::Forbidden);
    }
    if let Some(images) = &patch.images {
        crate::media::check_refs(&txn, actor, Some(crate::media::Thing::News(id)), images).await?;
        crate::media::attach(&txn, clock, crate::media::Thing::News(id), images).await?;
    }
    let stay_draft = patch.draft.unwrap_or(current.status == NewsStatus::Draft);
    let mut model: news_item::ActiveModel = current.clone().into();
    model.title = Set(draft.title.trim().to_owned());
    model.body = Set(draft.body);
    model.category = Set(draft.category);
    model.district_ids = Set(serde_json::json!(districts).to_string());
    model.organisation_id = Set(draft.organisation_id);
    model.publish_at = Set(draft.publish_at);
    model.expires_at = Set(draft.expires_at);
    model.event_starts_at = Set(draft.event.as_ref().map(|e| stored(e.starts_at)));
    model.event_ends_at = Set(draft.event.as_ref().and_then(|e| e.ends_at.map(stored)));
    model.event_location = Set(draft
        .event
        .and_then(|e| e.location)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty()));
    if let Some(pinned) = patch.pinned {
        model.pinned = Set(pinned);
    }
    if let Some(notify) = patch.notify {
        model.notify = Set(notify);
    }
    model.updated_at = Set(now);
    let scheduled_for = draft.publish_at.filter(|at| *at > now);
    let view = if was_published {
        let view = NewsView::new(model.update(&txn).await?, now);
        sync_placements(&txn, &view).await?;
        view
    } else if stay_draft {
        model.status = Set(NewsStatus::Draft);
        jobs::cancel(&txn, &publish_job_key(id)).await?;
        NewsView::new(model.update(&txn).await?, now)
    } else if let Some(at) = scheduled_for {
        model.status = Set(NewsStatus::Scheduled);
        let item = model.update(&txn).await?;
        if current.status != NewsStatus::Scheduled || current.publish_at != Some(at) {
            schedule(&txn, clock, id, at).await?;
        }
        NewsView::new(item, now)
    } else {
        jobs::cancel(&txn, &publish_job_key(id)).await?;
        let item = model.update(&txn).await?;
        go_live(&txn, clock, item).await?
    };
    txn.commit().await?;
    version.advance();
    Ok(with_images_one(db, view).await?)
}

pub async fn delete(
    db: &DatabaseConnection,
    clock: &SharedClock,
    version: &FeedVersion,
    actor: &Actor,
    id: Uuid,
    if_match: impl Fn(&NewsView) -> bool,
) -> DomainResult<()> {
    let txn = db::begin_write(db).await?;
    let current = find_for_update(&txn, id).await?.ok_or_else(not_found)?;
    let view = with_images_one(&txn, NewsView::new(current, clock.now())).await?;
    require_editor(actor, &view)?;
    if !if_match(&view) {
        return Err(DomainError::PreconditionFailed);
    }
    jobs::cancel(&txn, &publish_job_key(id)).await?;
    // Nobody is to be told of, or sent to, an item that is gone.
    notices::withdraw(&txn, TargetType::News, id).await?;
    crate::sms_warnings::withdraw(&txn, id, clock.now()).await?;
    // Its feed rows and photo uses go with it (foreign keys, on delete cascade); the photos
    // that nothing else shows go after.
    let photos = crate::media::shown_ids(&txn, crate::media::Thing::News(id)).await?;
    news_item::Entity::delete_by_id(id).exec(&txn).await?;
    crate::media::release(&txn, clock, photos).await?;
    txn.commit().await?;
    version.advance();
    Ok(())
}

/// The job that publishes a scheduled item. Runs once per item (unique key, claimed in the
/// database); publishes only what is still scheduled and due, so a retry or a late run after
/// an edit does nothing wrong.
pub async fn publish_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    #[derive(Deserialize)]
    struct Payload {
        news_id: Uuid,
    }
    let payload: Payload = job.payload()?;
    let txn = db::begin_write(&ctx.db).await?;
    let Some(item) = find_for_update(&txn, payload.news_id).await? else {
        return Ok(JobOutcome::Done); // deleted meanwhile
    };
    if item.status != NewsStatus::Scheduled {
        return Ok(JobOutcome::Done); // published by hand or turned back into a draft
    }
    let now = ctx.clock.now();
    if let Some(at) = item.publish_at.filter(|at| *at > now) {
        // Moved later while this run was already claimed: come back then.
        return Ok(JobOutcome::RetryAt(at));
    }
    let view = go_live(&txn, &ctx.clock, item).await?;
    txn.commit().await?;
    ctx.news_version.advance();
    tracing::info!(news_id = %view.item.id, "published scheduled news item");
    Ok(JobOutcome::Done)
}

fn keyset_after(published_at: Expr, id: Expr, after: Option<(DateTime<Utc>, Uuid)>) -> Condition {
    let Some((at, last)) = after else {
        return Condition::all();
    };
    // `published_at <= at` alone lets the index start at the cursor; the rest breaks ties.
    Condition::all().add(published_at.clone().lte(at)).add(
        Condition::any()
            .add(published_at.clone().lt(at))
            .add(Condition::all().add(published_at.eq(at)).add(id.lt(last))),
    )
}

fn not_expired(column: Expr, now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(column.clone().is_null())
        .add(column.gt(now))
}

/// What the feed shows of a table with these columns (`news_placement`, or `news_item` for the
/// whole municipality): the query's category and pinned filters, live at `now`, after the
/// cursor, newest first.
fn feed_window<C: IntoColumnRef + Copy>(
    select: &mut SelectStatement,
    [category, pinned, published_at, expires_at, id]: [C; 5],
    query: &FeedQuery,
    now: DateTime<Utc>,
) {
    if let Some(wanted) = query.category {
        select.and_where(Expr::col(category).eq(wanted));
    }
    if let Some(wanted) = query.pinned {
        select.and_where(Expr::col(pinned).eq(wanted));
    }
    select
        .and_where(Expr::col(published_at).lte(now))
        .cond_where(not_expired(Expr::col(expires_at), now))
        .cond_where(keyset_after(
            Expr::col(published_at),
            Expr::col(id),
            query.after,
        ))
        .order_by(published_at, Order::Desc)
        .order_by(id, Order::Desc);
}

/// The newest placements in one district (`Some`) or municipality-wide (`None`) that the
/// query asks for, at most a page and one: one range scan of a feed index, as a subquery of its
/// own so that its `ORDER BY … LIMIT` stays its own inside a `UNION`.
fn newest_placements(
    district: Option<Uuid>,
    query: &FeedQuery,
    now: DateTime<Utc>,
    name: &'static str,
) -> SelectStatement {
    use news_placement::Column as C;
    let mut newest = Query::select();
    newest
        .columns([C::NewsId, C::PublishedAt])
        .from(news_placement::Entity)
        .and_where(match district {
            Some(d) => Expr::col(C::DistrictId).eq(d),
            None => Expr::col(C::DistrictId).is_null(),
        });
    feed_window(
        &mut newest,
        [
            C::Category,
            C::Pinned,
            C::PublishedAt,
            C::ExpiresAt,
            C::NewsId,
        ],
        query,
        now,
    );
    newest.limit(query.limit + 1);
    Query::select()
        .column(Asterisk)
        .from_subquery(newest, name)
        .to_owned()
}

/// The items of a feed page and one more, newest first, each with whether it shows photos.
///
/// One statement, so one round trip: the page is what decides the reads that the cache does
/// not hold, and each statement costs two thread hand-offs on SQLite (sqlx runs each
/// connection on a thread of its own) and a round trip on PostgreSQL. A district's page merges
/// two range scans, its own placements and the municipality-wide ones, each cut to a page and
/// one before the merge, so neither database sorts more than two pages' worth of rows.
async fn feed_rows(
    conn: &impl ConnectionTrait,
    query: &FeedQuery,
    now: DateTime<Utc>,
) -> Result<Vec<(news_item::Model, bool)>, DbErr> {
    use news_item::Column as C;
    let item_id = Expr::col((news_item::Entity, C::Id));
    let mut select = Query::select();
    select.column((news_item::Entity, Asterisk)).expr_as(
        crate::media::shows_any(crate::media::ThingKind::News, item_id.clone()),
        "has_images",
    );
    if let Some(district) = query.district {
        use news_placement::Column as P;
        let mut placed = newest_placements(Some(district), query, now, "own");
        placed.union(
            UnionType::All,
            newest_placements(None, query, now, "municipality"),
        );
        select
            .from_subquery(placed, "placed")
            .inner_join(
                news_item::Entity,
                item_id.eq(Expr::col(("placed", P::NewsId))),
            )
            .order_by(("placed", P::PublishedAt), Order::Desc)
            .order_by(("placed", P::NewsId), Order::Desc);
    } else {
        select
            .from(news_item::Entity)
            .and_where(Expr::col(C::Status).eq(NewsStatus::Published));
        feed_window(
            &mut select,
            [C::Category, C::Pinned, C::PublishedAt, C::ExpiresAt, C::Id],
            query,
            now,
        );
    }
    select.limit(query.limit + 1);
    conn.query_all(&select)
        .await?
        .iter()
        .map(|row| {
            Ok((
                news_item::Model::from_query_result(row, "")?,
                row.try_get::<bool>("", "has_images")?,
            ))
        })
        .collect()
}

/// A page of the feed, newest first.
pub async fn feed(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    query: &FeedQuery,
) -> DomainResult<FeedPage> {
    let now = clock.now();
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let mut rows = feed_rows(conn, query, now).await?;
    // Includes the item after the page: when it expires, the page loses its next cursor.
    let changes_at = rows.iter().filter_map(|(i, _)| i.expires_at).min();
    let more = rows.len() > limit;
    rows.truncate(limit);
    let any_images = rows.iter().any(|(_, has_images)| *has_images);
    let views = rows
        .into_iter()
        .map(|(item, _)| NewsView::new(item, now))
        .collect();
    Ok(FeedPage {
        items: if any_images {
            with_images(conn, views).await?
        } else {
            views
        },
        more,
        changes_at,
    })
}

/// What a district's printed week shows of the news, newest first, at most `limit`: items of
/// its feed (its own and the town-wide ones) that are public at `now` and live during
/// `[from, to)` (published before `to`, not expired by `from`), and of those the ones published
/// in the window, the pinned ones and the warnings. Public at `now` means what the feed shows
/// now: a week printed in advance has no scheduled item, a past one no expired item.
pub async fn for_week(
    conn: &impl ConnectionTrait,
    district: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
    limit: u64,
) -> DomainResult<Vec<news_item::Model>> {
    use news_placement::Column as C;
    let published_at = Expr::col((news_placement::Entity, C::PublishedAt));
    Ok(news_item::Entity::find()
        .inner_join(news_placement::Entity)
        .filter(
            Condition::any()
                .add(C::DistrictId.eq(district))
                .add(C::DistrictId.is_null()),
        )
        .filter(published_at.clone().lte(now))
        .filter(published_at.clone().lt(to))
        .filter(not_expired(
            Expr::col((news_placement::Entity, C::ExpiresAt)),
            Ord::max(now, from),
        ))
        .filter(
            Condition::any()
                .add(published_at.gte(from))
                .add(C::Pinned.eq(true))
                .add(C::Category.eq(NewsCategory::Warning)),
        )
        .order_by_desc(C::PublishedAt)
        .order_by_desc(C::NewsId)
        .limit(limit)
        .all(conn)
        .await?)
}

/// The caller's own items, newest first (keyset on the id), optionally of one status.
pub async fn mine(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: &Actor,
    status: Option<NewsStatus>,
    before: Option<Uuid>,
    limit: u64,
) -> DomainResult<(Vec<NewsView>, bool)> {
    use news_item::Column as C;
    let now = clock.now();
    let mut select = news_item::Entity::find().filter(C::AuthorId.eq(actor.user_id));
    select = match status {
        None => select,
        Some(NewsStatus::Draft) => select.filter(C::Status.eq(NewsStatus::Draft)),
        Some(NewsStatus::Scheduled) => select.filter(C::Status.eq(NewsStatus::Scheduled)),
        Some(NewsStatus::Published) => select
            .filter(C::Status.eq(NewsStatus::Published))
            .filter(not_expired(Expr::col(C::ExpiresAt), now)),
        Some(NewsStatus::Expired) => select
            .filter(C::Status.eq(NewsStatus::Published))
            .filter(C::ExpiresAt.lte(now)),
    };
    if let Some(before) = before {
        select = select.filter(C::Id.lt(before));
    }
    let mut items = select
        .order_by_desc(C::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let more = items.len() as u64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let views = items.into_iter().map(|i| NewsView::new(i, now)).collect();
    Ok((with_images(conn, views).await?, more))
}

#[cfg(test)]
mod tests {
    use super::plain_excerpt;

    #[test]
    fn the_whole_paragraph_is_kept_for_those_who_cut_it_themselves() {
        let long = "Wort ".repeat(100);
        assert_eq!(super::plain_paragraph(&long), long.trim_end());
        assert_eq!(plain_excerpt(&long).chars().count(), 300);
    }

    #[test]
    fn push_texts_drop_markdown_and_keep_the_first_paragraph() {
        assert_eq!(
            plain_excerpt("## Straßensperrung\n\nDie **Hauptstraße** ist ab Montag gesperrt."),
            "Straßensperrung"
        );
        assert_eq!(
            plain_excerpt("Siehe [Aushang](https://example.org/a) im *Rathaus*.\nDanke!\n\nRest"),
            "Siehe Aushang im Rathaus. Danke!"
        );
    }
}
