//! Anliegen: concerns, ideas and questions residents raise with their district, and the answer
//! they can see (Rückkopplung).
//!
//! An Anliegen is private between its author and its handlers — the district's leaders, the
//! town staff of its topic once it is forwarded, administrators — until a handler publishes
//! it with a public text (personal data edited out); the public never learns who wrote it.
//! Every step is a compare-and-set in the database, as rides' are: one `UPDATE … WHERE id = ?
//! AND status IN (…)` (and the holder: district or town) whose affected-row count says
//! whether this caller won; the loser gets 409 naming the status it lost to. Each step writes
//! its history event and its notices in the same transaction, and every step carries a public
//! answer that reaches the author and the supporters whatever categories they chose.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{
    anliegen, anliegen_event, anliegen_follower, anliegen_topic, district,
    vocab::{
        AnliegenActorRole, AnliegenEventKind, AnliegenFollowerRelation, AnliegenKind,
        AnliegenPublication, AnliegenSource, AnliegenStatus, QuotaKind,
    },
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Func, OnConflict},
};
use serde::Serialize;
use uuid::Uuid;

pub mod figures;
pub mod messages;
pub mod open311;
pub mod rules;

use messages::Message;
use rules::{Holder, Relation};

use crate::{
    DomainError, DomainResult, Validator,
    auth::Actor,
    clock::SharedClock,
    db, idempotency,
    media::{self, ImageRef, ShownImage, Sight, Thing, ThingKind},
    normalize_optional,
    notices::{self, Audience, Notice, NoticeKind, Target, Urgency},
    quotas::{self, Quotas},
    text::{Text, field},
};

pub const TITLE_MAX: usize = 200;
/// Open311's limit for a description, so a report from a back office fits unchanged.
pub const DESCRIPTION_MAX: usize = 4000;
pub const PLACE_MAX: usize = 300;
pub const ANSWER_MAX: usize = 4000;
pub const REASON_MAX: usize = 500;
pub const NAME_MAX: usize = 200;
use crate::geo::{Location, check_location, to_e6};
/// The window of the per-person filing quota.
pub const FILING_WINDOW: Duration = Duration::days(1);

/// What the caller may see of an Anliegen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Author, filer and handlers: everything, with the author and the internal history.
    Full,
    /// Everyone, once published: the public text and the public history, no person.
    Public,
}

/// An Anliegen as filed.
#[derive(Clone, Debug, Serialize)]
pub struct NewAnliegen {
    pub kind: AnliegenKind,
    pub title: String,
    pub description: String,
    pub district_id: Uuid,
    pub place: Option<String>,
    pub location: Option<Location>,
    pub images: Vec<ImageRef>,
    /// On someone's behalf (ride desk, admins): their account …
    pub author_user_id: Option<Uuid>,
    /// … or, for a person without one, their name and phone number.
    pub author_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// A step: the new status and its public answer.
#[derive(Clone, Debug)]
pub struct Step {
    pub to: AnliegenStatus,
    pub answer: String,
    /// For `forwarded`: the topic (Fachbereich) of the town that takes it.
    pub topic_id: Option<Uuid>,
    /// For `duplicate`: the Anliegen it is merged into.
    pub duplicate_of: Option<Uuid>,
}

/// The text the public reads, edited by a handler.
#[derive(Clone, Debug)]
pub struct PublicText {
    pub title: String,
    pub description: String,
    pub place: Option<String>,
    /// Whether the map shows the point.
    pub show_location: bool,
}

/// An Anliegen with what its view needs.
#[derive(Clone, Debug)]
pub struct AnliegenView {
    pub anliegen: anliegen::Model,
    pub visibility: Visibility,
    /// Oldest first; the public view has only status changes and answers.
    pub history: Vec<anliegen_event::Model>,
    /// People who said "Ich auch" (here or on an Anliegen merged into this one).
    pub supporter_count: u64,
    pub images: Vec<ShownImage>,
    pub topic: Option<anliegen_topic::Model>,
    /// The caller's own follow (author or supporter), with whether they muted it.
    pub following: Option<anliegen_follower::Model>,
}

/// Which Anliegen a public list shows.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub district_id: Option<Uuid>,
    pub status: Option<AnliegenStatus>,
    pub kind: Option<AnliegenKind>,
    /// Keyset: after this (time, id) in the list's order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Dieses Anliegen gibt es nicht.",
        "No such Anliegen.",
    ))
}

fn conflict(current: AnliegenStatus) -> DomainError {
    DomainError::Conflict(Text::new(
        format!(
            "Das geht im aktuellen Stand des Anliegens nicht (Status: {}, {}).",
            current.as_str(),
            messages::status_name(current)
        ),
        format!(
            "Not possible in the Anliegen's current state (status: {}).",
            current.as_str()
        ),
    ))
}

fn publication_conflict(current: AnliegenPublication) -> DomainError {
    DomainError::Conflict(Text::new(
        format!(
            "Das geht bei diesem Anliegen gerade nicht (Veröffentlichung: {}).",
            current.as_str()
        ),
        format!(
            "Not possible for this Anliegen now (publication: {}).",
            current.as_str()
        ),
    ))
}

/// The author, or whoever filed it for a person without an account.
fn is_author(actor: &Actor, item: &anliegen::Model) -> bool {
    item.author_user_id == Some(actor.user_id)
        || (item.author_user_id.is_none() && item.filed_by == Some(actor.user_id))
}

fn relation(actor: &Actor, item: &anliegen::Model) -> Relation {
    Relation {
        leader: actor.leads(item.district_id),
        town: item.forwarded_at.is_some() && actor.staffs_topic(item.topic_id),
        admin: actor.is_admin(),
    }
}

/// What the caller may see, or `None` (then it does not exist for them: 404, never 403, so a
/// private Anliegen's existence does not leak).
fn visibility(actor: Option<&Actor>, item: &anliegen::Model) -> Option<Visibility> {
    let full = actor.is_some_and(|actor| {
        is_author(actor, item)
            || item.filed_by == Some(actor.user_id)
            || relation(actor, item).handles()
    });
    if full {
        Some(Visibility::Full)
    } else if item.publication == AnliegenPublication::Published {
        Some(Visibility::Public)
    } else {
        None
    }
}

fn actor_role(actor: &Actor, item: &anliegen::Model) -> AnliegenActorRole {
    let who = relation(actor, item);
    if who.leader {
        AnliegenActorRole::DistrictLeader
    } else if who.town {
        AnliegenActorRole::TownStaff
    } else if who.admin {
        AnliegenActorRole::Admin
    } else if is_author(actor, item) {
        AnliegenActorRole::Author
    } else {
        AnliegenActorRole::Dispatcher
    }
}

/// A Web Push `Topic` (at most 32 URL-safe characters) per Anliegen: a newer step replaces an
/// undelivered older push on the device; the inbox keeps both.
fn topic(id: Uuid) -> String {
    format!("anl-{}", URL_SAFE_NO_PAD.encode(id.as_bytes()))
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<anliegen::Model> {
    anliegen::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

/// One entry of the history.
struct Event {
    kind: AnliegenEventKind,
    from: Option<AnliegenStatus>,
    to: Option<AnliegenStatus>,
    text: Option<String>,
    role: AnliegenActorRole,
    actor: Option<Uuid>,
    topic_id: Option<Uuid>,
    duplicate_of: Option<Uuid>,
}

impl Event {
    /// `actor`: who acted (none for a filing through Open311, which no account makes).
    fn new(kind: AnliegenEventKind, role: AnliegenActorRole, actor: Option<Uuid>) -> Self {
        Self {
            kind,
            from: None,
            to: None,
            text: None,
            role,
            actor,
            topic_id: None,
            duplicate_of: None,
        }
    }
}

async fn record(
    conn: &impl ConnectionTrait,
    anliegen_id: Uuid,
    at: DateTime<Utc>,
    event: Event,
) -> Result<(), DbErr> {
    anliegen_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        anliegen_id: Set(anliegen_id),
        kind: Set(event.kind),
        from_status: Set(event.from),
        to_status: Set(event.to),
        answer: Set(event.text),
        actor_role: Set(event.role),
        actor_id: Set(event.actor),
        topic_id: Set(event.topic_id),
        duplicate_of: Set(event.duplicate_of),
        at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A notice about one Anliegen, through the notices seam. `Normal` urgency: quiet hours hold
/// it like any other news.
async fn tell(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    kind: NoticeKind,
    audience: Audience,
    id: Uuid,
    message: Message,
) -> Result<(), DbErr> {
    notices::enqueue(
        conn,
        clock,
        Notice {
            kind,
            title: message.title,
            body: message.body,
            target: Target::Anliegen { id },
            audience,
            urgency: Urgency::Normal,
            topic: (kind == NoticeKind::AnliegenUpdate).then(|| topic(id)),
            not_before: None,
        },
    )
    .await?;
    Ok(())
}

/// The title its followers know: the public one once published (supporters never saw the
/// original, which may name people), else the author's own.
fn shown_title(item: &anliegen::Model) -> &str {
    item.public_title.as_deref().unwrap_or(&item.title)
}

/// Whoever works on it now: the district's leaders, or the town staff of its topic.
fn handlers(item: &anliegen::Model) -> Audience {
    if item.forwarded_at.is_some() {
        Audience::TownStaff(item.topic_id)
    } else {
        Audience::DistrictLeaders(item.district_id)
    }
}

/// The author's account, if there is one (a person filed for by phone is told by phone).
async fn tell_author(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    item: &anliegen::Model,
    message: Message,
) -> Result<(), DbErr> {
    match item.author_user_id {
        Some(author) => {
            tell(
                conn,
                clock,
                NoticeKind::AnliegenUpdate,
                Audience::User(author),
                item.id,
                message,
            )
            .await
        }
        None => Ok(()),
    }
}

#[derive(Debug, FromQueryResult)]
struct SupporterCount {
    anliegen_id: Uuid,
    supporters: i64,
}

/// The supporters of many Anliegen at once (one grouped count).
async fn supporter_counts(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, u64>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(anliegen_follower::Entity::find()
        .select_only()
        .column(anliegen_follower::Column::AnliegenId)
        .column_as(anliegen_follower::Column::UserId.count(), "supporters")
        .filter(anliegen_follower::Column::AnliegenId.is_in(ids.to_vec()))
        .filter(anliegen_follower::Column::Relation.ne(AnliegenFollowerRelation::Author.as_str()))
        .group_by(anliegen_follower::Column::AnliegenId)
        .into_model::<SupporterCount>()
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.anliegen_id, u64::try_from(row.supporters).unwrap_or(0)))
        .collect())
}

/// Views of several Anliegen with a fixed number of queries for the whole page.
async fn views(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    items: Vec<(anliegen::Model, Visibility)>,
) -> DomainResult<Vec<AnliegenView>> {
    let ids: Vec<Uuid> = items.iter().map(|(item, _)| item.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut histories: HashMap<Uuid, Vec<anliegen_event::Model>> = HashMap::new();
    for event in anliegen_event::Entity::find()
        .filter(anliegen_event::Column::AnliegenId.is_in(ids.clone()))
        .order_by_asc(anliegen_event::Column::At)
        .order_by_asc(anliegen_event::Column::Id)
        .all(conn)
        .await?
    {
        histories.entry(event.anliegen_id).or_default().push(event);
    }
    let counts = supporter_counts(conn, &ids).await?;
    let mut images = media::shown_by(conn, ThingKind::Anliegen, &ids).await?;
    let topic_ids: Vec<Uuid> = items.iter().filter_map(|(item, _)| item.topic_id).collect();
    let topics: HashMap<Uuid, anliegen_topic::Model> = if topic_ids.is_empty() {
        HashMap::new()
    } else {
        anliegen_topic::Entity::find()
            .filter(anliegen_topic::Column::Id.is_in(topic_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|topic| (topic.id, topic))
            .collect()
    };
    let mut following: HashMap<Uuid, anliegen_follower::Model> = match actor {
        Some(actor) => anliegen_follower::Entity::find()
            .filter(anliegen_follower::Column::AnliegenId.is_in(ids))
            .filter(anliegen_follower::Column::UserId.eq(actor.user_id))
            .all(conn)
            .await?
            .into_iter()
            .map(|row| (row.anliegen_id, row))
            .collect(),
        None => HashMap::new(),
    };
    Ok(items
        .into_iter()
        .map(|(item, visibility)| {
            let mut history = histories.remove(&item.id).unwrap_or_default();
            if visibility == Visibility::Public {
                history.retain(|e| {
                    matches!(
                        e.kind,
                        AnliegenEventKind::Transition | AnliegenEventKind::Answer
                    )
                });
            }
            AnliegenView {
                history,
                supporter_count: counts.get(&item.id).copied().unwrap_or(0),
                images: images.remove(&item.id).unwrap_or_default(),
                topic: item.topic_id.and_then(|t| topics.get(&t).cloned()),
                following: following.remove(&item.id),
                visibility,
                anliegen: item,
            }
        })
        .collect())
}

async fn view(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    item: anliegen::Model,
    visibility: Visibility,
) -> DomainResult<AnliegenView> {
    views(conn, actor, vec![(item, visibility)])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// `first_answer_at` as an update sets it: the first answer's time stays (the figures'
/// "days to the first answer" count to it).
fn first_answer_at(now: DateTime<Utc>) -> Expr {
    Func::coalesce([Expr::col(anliegen::Column::FirstAnswerAt), Expr::value(now)]).into()
}

/// The stored point, in degrees.
pub fn location_of(item: &anliegen::Model) -> Option<Location> {
    Location::from_e6(item.lat_e6, item.lon_e6)
}

/// A new Anliegen as it is received, whichever way it came in (app, phone, Open311).
pub(crate) struct Received {
    pub kind: AnliegenKind,
    pub source: AnliegenSource,
    pub district_id: Uuid,
    pub topic_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub place: Option<String>,
    pub location: Option<Location>,
    pub author_user_id: Option<Uuid>,
    pub filed_by: Option<Uuid>,
    pub author_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub api_client_id: Option<Uuid>,
    pub external_media_url: Option<String>,
    /// Who filed it, for the history.
    pub role: AnliegenActorRole,
}

/// Writes a received Anliegen with its first history entry, the author's follow (when they
/// have an account) and the notice to the district's leaders, in the caller's transaction.
pub(crate) async fn insert_received(
    txn: &impl ConnectionTrait,
    clock: &SharedClock,
    new: Received,
) -> Result<anliegen::Model, DbErr> {
    let now = clock.now();
    let id = Uuid::now_v7();
    let item = anliegen::ActiveModel {
        id: Set(id),
        kind: Set(new.kind),
        status: Set(AnliegenStatus::Received),
        publication: Set(AnliegenPublication::Private),
        source: Set(new.source),
        district_id: Set(new.district_id),
        topic_id: Set(new.topic_id),
        title: Set(new.title),
        description: Set(new.description),
        place: Set(new.place),
        lat_e6: Set(new.location.map(|l| to_e6(l.lat))),
        lon_e6: Set(new.location.map(|l| to_e6(l.lon))),
        author_user_id: Set(new.author_user_id),
        filed_by: Set(new.filed_by),
        author_name: Set(new.author_name),
        contact_phone: Set(new.contact_phone),
        contact_email: Set(new.contact_email),
        public_title: Set(None),
        public_description: Set(None),
        public_place: Set(None),
        show_location: Set(false),
        published_at: Set(None),
        hidden_at: Set(None),
        hidden_reason: Set(None),
        duplicate_of: Set(None),
        forwarded_at: Set(None),
        first_answer_at: Set(None),
        last_answer_at: Set(None),
        closed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        api_client_id: Set(new.api_client_id),
        external_media_url: Set(new.external_media_url),
    }
    .insert(txn)
    .await?;
    if let Some(author) = new.author_user_id {
        anliegen_follower::ActiveModel {
            anliegen_id: Set(id),
            user_id: Set(author),
            relation: Set(AnliegenFollowerRelation::Author),
            muted: Set(false),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    let mut event = Event::new(AnliegenEventKind::Transition, new.role, new.filed_by);
    event.to = Some(AnliegenStatus::Received);
    record(txn, id, now, event).await?;
    tell(
        txn,
        clock,
        NoticeKind::AnliegenQueue,
        Audience::DistrictLeaders(item.district_id),
        id,
        messages::filed(&item.title),
    )
    .await?;
    Ok(item)
}

/// Files an Anliegen. Residents file their own; the ride desk and admins also for someone
/// during a phone call (`author_user_id`, or `author_name` with `contact_phone`).
pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    quotas: Quotas,
    actor: &Actor,
    input: NewAnliegen,
    claim: Option<&idempotency::Claim>,
) -> DomainResult<AnliegenView> {
    let on_behalf = input.author_user_id.is_some() || input.author_name.is_some();
    if on_behalf && !(actor.is_dispatcher() || actor.is_admin()) {
        return Err(DomainError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        let item = load(&txn, answer.resource_id.ok_or_else(not_found)?).await?;
        let view = view(&txn, Some(actor), item, Visibility::Full).await?;
        txn.commit().await?;
        return Ok(view);
    }
    let now = clock.now();
    let mut v = Validator::new();
    let district_exists = district::Entity::find_by_id(input.district_id)
        .one(&txn)
        .await?
        .is_some();
    v.check(
        district_exists,
        "district_id",
        "Diesen Ortsteil gibt es nicht.",
        "No such district.",
    );
    v.text("title", &input.title, TITLE_MAX);
    v.text("description", &input.description, DESCRIPTION_MAX);
    v.optional_text("place", input.place.as_deref(), PLACE_MAX);
    check_location(&mut v, input.location);
    let author_name = normalize_optional(input.author_name.clone());
    let phone = normalize_optional(input.contact_phone.clone());
    v.phone("contact_phone", phone.as_deref());
    if input.author_user_id.is_some() && author_name.is_some() {
        v.check(
            false,
            "author_name",
            "Entweder author_user_id oder author_name angeben.",
            "Give either author_user_id or author_name.",
        );
    }
    if let Some(name) = &author_name {
        v.text("author_name", name, NAME_MAX);
        v.check(
            phone.is_some(),
            "contact_phone",
            "Ohne Konto brauchen wir eine Telefonnummer für die Antwort.",
            "Without an account we need a phone number for the answer.",
        );
    }
    if !on_behalf && phone.is_some() {
        v.check(
            false,
            "contact_phone",
            "Nur beim Erfassen für jemand anderen; Ihre Antwort erhalten Sie in der App.",
            "Only when filing for someone else; you get your answer in the app.",
        );
    }
    if let Some(author) = input.author_user_id {
        let exists = entity::app_user::Entity::find_by_id(author)
            .one(&txn)
            .await?
            .is_some();
        v.check(
            exists,
            "author_user_id",
            "Dieses Konto gibt es nicht.",
            "No such account.",
        );
    }
    v.finish()?;
    media::check_refs(&txn, actor, None, &input.images).await?;
    if !on_behalf {
        // What the desk files for callers is trusted; a person's own filings have a ceiling.
        quotas::lock(&txn, &format!("anliegen:{}", actor.user_id)).await?;
        let recent: Vec<DateTime<Utc>> = anliegen::Entity::find()
            .select_only()
            .column(anliegen::Column::CreatedAt)
            .filter(anliegen::Column::FiledBy.eq(actor.user_id))
            .filter(anliegen::Column::CreatedAt.gt(now - FILING_WINDOW))
            .order_by_asc(anliegen::Column::CreatedAt)
            .into_tuple()
            .all(&txn)
            .await?;
        let limit = quotas.anliegen_per_person_per_day;
        quotas::check(
            recent.len() as u64,
            1,
            limit,
            recent.first().map(|at| *at + FILING_WINDOW),
            now,
            || {
                Text::new(
                    format!("Höchstens {limit} Anliegen pro Tag. Bitte morgen wieder."),
                    format!("At most {limit} Anliegen a day. Please try again tomorrow."),
                )
            },
        )?;
    }
    let author_user_id = match (input.author_user_id, &author_name) {
        (Some(author), _) => Some(author),
        (None, Some(_)) => None,
        (None, None) => Some(actor.user_id),
    };
    let (role, source) = if !on_behalf {
        (AnliegenActorRole::Author, AnliegenSource::App)
    } else if actor.is_dispatcher() {
        (AnliegenActorRole::Dispatcher, AnliegenSource::Phone)
    } else {
        (AnliegenActorRole::Admin, AnliegenSource::Phone)
    };
    let item = insert_received(
        &txn,
        clock,
        Received {
            kind: input.kind,
            source,
            district_id: input.district_id,
            topic_id: None,
            title: input.title.trim().to_owned(),
            description: input.description.trim().to_owned(),
            place: normalize_optional(input.place.clone()),
            location: input.location,
            author_user_id,
            filed_by: Some(actor.user_id),
            author_name,
            contact_phone: phone,
            contact_email: None,
            api_client_id: None,
            external_media_url: None,
            role,
        },
    )
    .await?;
    let id = item.id;
    media::attach(&txn, clock, Thing::Anliegen(id), &input.images).await?;
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    let view = view(&txn, Some(actor), item, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// One Anliegen as the caller may see it.
pub async fn get(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<AnliegenView> {
    let item = load(conn, id).await?;
    let visibility = visibility(actor, &item).ok_or_else(not_found)?;
    view(conn, actor, item, visibility).await
}

/// Moves an Anliegen on, compare-and-set, with a public answer that reaches its followers.
pub async fn transition(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    step: Step,
) -> DomainResult<AnliegenView> {
    use anliegen::Column as C;
    let txn = db::begin_write(db).await?;
    let item = load(&txn, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    let steps = rules::permitted(step.to, relation(actor, &item));
    if steps.is_empty() {
        // Someone who sees it (the author, anyone once public) but may not move it.
        return Err(DomainError::Forbidden);
    }
    let mut v = Validator::new();
    v.text("answer", &step.answer, ANSWER_MAX);
    match (step.to, step.topic_id) {
        (AnliegenStatus::Forwarded, None) => {
            v.check(
                false,
                "topic_id",
                "Bitte den Fachbereich der Stadt angeben.",
                "Please name the town's topic (department).",
            );
        }
        (AnliegenStatus::Forwarded, Some(topic)) => {
            let active = anliegen_topic::Entity::find_by_id(topic)
                .one(&txn)
                .await?
                .is_some_and(|t| t.active);
            v.check(
                active,
                "topic_id",
                "Diesen Fachbereich gibt es nicht (mehr).",
                "No such (active) topic.",
            );
        }
        (_, Some(_)) => {
            v.check(
                false,
                "topic_id",
                "Nur beim Weiterleiten (to: forwarded).",
                "Only when forwarding (to: forwarded).",
            );
        }
        (_, None) => {}
    }
    match (step.to, step.duplicate_of) {
        (AnliegenStatus::Duplicate, None) => {
            v.check(
                false,
                "duplicate_of",
                "Bitte das Anliegen angeben, mit dem dieses zusammengelegt wird.",
                "Please name the Anliegen this one is merged into.",
            );
        }
        (AnliegenStatus::Duplicate, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            v.check(
                false,
                "duplicate_of",
                "Nur beim Zusammenlegen (to: duplicate).",
                "Only when merging (to: duplicate).",
            );
        }
    }
    v.finish()?;
    let forwarded = item.forwarded_at.is_some();
    let Some(chosen) = rules::fitting(&steps, item.status, forwarded) else {
        return Err(conflict(item.status));
    };
    if let (AnliegenStatus::Duplicate, Some(survivor)) = (step.to, step.duplicate_of) {
        // Both rows locked in id order, so A→B and B→A at once cannot deadlock (on
        // PostgreSQL a deadlock would end one of them as a 500); the second to commit finds
        // its survivor already merged and is refused.
        let mut pair = vec![id, survivor];
        pair.sort();
        pair.dedup();
        let rows = db::locked(
            anliegen::Entity::find()
                .filter(C::Id.is_in(pair))
                .order_by_asc(C::Id),
            &txn,
        )
        .all(&txn)
        .await?;
        let target = rows.iter().find(|row| row.id == survivor && row.id != id);
        let fits = target.is_some_and(|t| {
            t.district_id == item.district_id && t.status != AnliegenStatus::Duplicate
        });
        if !fits {
            return Err(DomainError::Validation(vec![field(
                "duplicate_of",
                "Zusammenlegen geht nur mit einem anderen Anliegen desselben Ortsteils, das nicht selbst zusammengelegt wurde.",
                "Merging takes another Anliegen of the same district that was not merged itself.",
            )]));
        }
    }
    let now = clock.now();
    let answer = step.answer.trim().to_owned();
    let mut update = anliegen::Entity::update_many()
        .col_expr(C::Status, Expr::value(step.to.as_str()))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .col_expr(C::LastAnswerAt, Expr::value(now))
        .col_expr(C::FirstAnswerAt, first_answer_at(now))
        .filter(C::Id.eq(id))
        .filter(C::Status.is_in(chosen.from.iter().map(|s| s.as_str())));
    update = match chosen.holder {
        Holder::Anyone => update,
        Holder::District => update.filter(C::ForwardedAt.is_null()),
        Holder::Town => update.filter(C::ForwardedAt.is_not_null()),
    };
    if !step.to.is_open() {
        update = update.col_expr(C::ClosedAt, Expr::value(now));
    }
    if step.to == AnliegenStatus::Forwarded {
        update = update
            .col_expr(C::ForwardedAt, Expr::value(now))
            .col_expr(C::TopicId, Expr::value(step.topic_id));
    }
    if step.to == AnliegenStatus::Duplicate {
        update = update.col_expr(C::DuplicateOf, Expr::value(step.duplicate_of));
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        // Lost a race: say what it lost to.
        return Err(conflict(load(&txn, id).await?.status));
    }
    let mut event = Event::new(
        AnliegenEventKind::Transition,
        actor_role(actor, &item),
        Some(actor.user_id),
    );
    event.from = Some(item.status);
    event.to = Some(step.to);
    event.text = Some(answer.clone());
    event.topic_id = step.topic_id;
    event.duplicate_of = step.duplicate_of;
    record(&txn, id, now, event).await?;
    let updated = load(&txn, id).await?;
    if let Some(survivor) = step.duplicate_of {
        merge_followers(&txn, id, survivor, now).await?;
    }
    tell(
        &txn,
        clock,
        NoticeKind::AnliegenUpdate,
        Audience::AnliegenFollowers(id),
        id,
        messages::status_changed(shown_title(&updated), step.to, &answer),
    )
    .await?;
    if step.to == AnliegenStatus::Forwarded {
        tell(
            &txn,
            clock,
            NoticeKind::AnliegenQueue,
            Audience::TownStaff(updated.topic_id),
            id,
            messages::forwarded(&updated.title, &answer),
        )
        .await?;
    }
    let view = view(&txn, Some(actor), updated, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// The followers of a merged Anliegen follow the survivor from now on (its later answers reach
/// them); nobody follows twice, and a mute carries over.
async fn merge_followers(
    conn: &impl ConnectionTrait,
    merged: Uuid,
    survivor: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let followers = anliegen_follower::Entity::find()
        .filter(anliegen_follower::Column::AnliegenId.eq(merged))
        .all(conn)
        .await?;
    if followers.is_empty() {
        return Ok(());
    }
    let rows = followers
        .into_iter()
        .map(|follower| anliegen_follower::ActiveModel {
            anliegen_id: Set(survivor),
            user_id: Set(follower.user_id),
            relation: Set(AnliegenFollowerRelation::Merged),
            muted: Set(follower.muted),
            created_at: Set(now),
        });
    match anliegen_follower::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                anliegen_follower::Column::AnliegenId,
                anliegen_follower::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await
    {
        Ok(_) | Err(DbErr::RecordNotInserted) => Ok(()),
        Err(err) => Err(err),
    }
}

/// A public answer without a change of status (a handler's "we ordered the part"), also after
/// the end. Reaches the followers like a step.
pub async fn answer(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    text: &str,
) -> DomainResult<AnliegenView> {
    use anliegen::Column as C;
    let txn = db::begin_write(db).await?;
    let item = load(&txn, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    if !relation(actor, &item).handles() {
        return Err(DomainError::Forbidden);
    }
    let mut v = Validator::new();
    v.text("answer", text, ANSWER_MAX);
    v.finish()?;
    let now = clock.now();
    let text = text.trim().to_owned();
    anliegen::Entity::update_many()
        .col_expr(C::UpdatedAt, Expr::value(now))
        .col_expr(C::LastAnswerAt, Expr::value(now))
        .col_expr(C::FirstAnswerAt, first_answer_at(now))
        .filter(C::Id.eq(id))
        .exec(&txn)
        .await?;
    let mut event = Event::new(
        AnliegenEventKind::Answer,
        actor_role(actor, &item),
        Some(actor.user_id),
    );
    event.text = Some(text.clone());
    record(&txn, id, now, event).await?;
    tell(
        &txn,
        clock,
        NoticeKind::AnliegenUpdate,
        Audience::AnliegenFollowers(id),
        id,
        messages::answered(shown_title(&item), &text),
    )
    .await?;
    let updated = load(&txn, id).await?;
    let view = view(&txn, Some(actor), updated, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// The author adds something (a new photo's description, "it got worse"): for the handlers
/// only, who are told, so that nothing a resident adds is lost on the way (FixMyStreet #358).
pub async fn add_update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    text: &str,
) -> DomainResult<AnliegenView> {
    let txn = db::begin_write(db).await?;
    let item = load(&txn, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    if !(is_author(actor, &item) || item.filed_by == Some(actor.user_id)) {
        return Err(DomainError::Forbidden);
    }
    let mut v = Validator::new();
    v.text("text", text, DESCRIPTION_MAX);
    v.finish()?;
    let now = clock.now();
    let text = text.trim().to_owned();
    anliegen::Entity::update_many()
        .col_expr(anliegen::Column::UpdatedAt, Expr::value(now))
        .filter(anliegen::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let mut event = Event::new(
        AnliegenEventKind::AuthorUpdate,
        AnliegenActorRole::Author,
        Some(actor.user_id),
    );
    event.text = Some(text.clone());
    record(&txn, id, now, event).await?;
    tell(
        &txn,
        clock,
        NoticeKind::AnliegenQueue,
        handlers(&item),
        id,
        messages::author_added(&item.title, &text),
    )
    .await?;
    let updated = load(&txn, id).await?;
    let view = view(&txn, Some(actor), updated, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// Publishes an Anliegen under a public text a handler has checked for personal data. The
/// author is told; the public never learns their name.
pub async fn publish(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    text: PublicText,
) -> DomainResult<AnliegenView> {
    use anliegen::Column as C;
    let txn = db::begin_write(db).await?;
    let item = load(&txn, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    if !relation(actor, &item).handles() {
        return Err(DomainError::Forbidden);
    }
    let mut v = Validator::new();
    v.text("title", &text.title, TITLE_MAX);
    v.text("description", &text.description, DESCRIPTION_MAX);
    v.optional_text("place", text.place.as_deref(), PLACE_MAX);
    v.check(
        !text.show_location || item.lat_e6.is_some(),
        "show_location",
        "Das Anliegen hat keinen Punkt auf der Karte.",
        "The Anliegen has no point to show.",
    );
    v.finish()?;
    let now = clock.now();
    let updated = anliegen::Entity::update_many()
        .col_expr(
            C::Publication,
            Expr::value(AnliegenPublication::Published.as_str()),
        )
        .col_expr(C::PublicTitle, Expr::value(text.title.trim().to_owned()))
        .col_expr(
            C::PublicDescription,
            Expr::value(text.description.trim().to_owned()),
        )
        .col_expr(C::PublicPlace, Expr::value(normalize_optional(text.place)))
        .col_expr(C::ShowLocation, Expr::value(text.show_location))
        .col_expr(C::PublishedAt, Expr::value(now))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::Publication.eq(AnliegenPublication::Private.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(publication_conflict(load(&txn, id).await?.publication));
    }
    record(
        &txn,
        id,
        now,
        Event::new(
            AnliegenEventKind::Published,
            actor_role(actor, &item),
            Some(actor.user_id),
        ),
    )
    .await?;
    tell_author(&txn, clock, &item, messages::published(&item.title)).await?;
    let updated = load(&txn, id).await?;
    let view = view(&txn, Some(actor), updated, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// Takes a published Anliegen down (moderation), with a reason the author is told; or puts it
/// back (`hide: false`).
pub async fn set_hidden(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    hide: Option<&str>,
) -> DomainResult<AnliegenView> {
    use anliegen::Column as C;
    let txn = db::begin_write(db).await?;
    let item = load(&txn, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    if !relation(actor, &item).handles() {
        return Err(DomainError::Forbidden);
    }
    let now = clock.now();
    let (from, to, reason) = match hide {
        Some(reason) => {
            let mut v = Validator::new();
            v.text("reason", reason, REASON_MAX);
            v.finish()?;
            (
                AnliegenPublication::Published,
                AnliegenPublication::Hidden,
                Some(reason.trim().to_owned()),
            )
        }
        None => (
            AnliegenPublication::Hidden,
            AnliegenPublication::Published,
            None,
        ),
    };
    let done = anliegen::Entity::update_many()
        .col_expr(C::Publication, Expr::value(to.as_str()))
        .col_expr(C::HiddenAt, Expr::value(reason.as_ref().map(|_| now)))
        .col_expr(C::HiddenReason, Expr::value(reason.clone()))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::Publication.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(publication_conflict(load(&txn, id).await?.publication));
    }
    let kind = if reason.is_some() {
        AnliegenEventKind::Hidden
    } else {
        AnliegenEventKind::Unhidden
    };
    let mut event = Event::new(kind, actor_role(actor, &item), Some(actor.user_id));
    event.text = reason.clone();
    record(&txn, id, now, event).await?;
    let message = match &reason {
        Some(reason) => messages::hidden(&item.title, reason),
        None => messages::unhidden(&item.title),
    };
    tell_author(&txn, clock, &item, message).await?;
    let updated = load(&txn, id).await?;
    let view = view(&txn, Some(actor), updated, Visibility::Full).await?;
    txn.commit().await?;
    Ok(view)
}

/// "Ich auch": once per person, on a published Anliegen that is still open; the supporter is
/// told of every later step. Saying it twice is fine and counts once.
pub async fn support(
    db: &DatabaseConnection,
    clock: &SharedClock,
    quotas: Quotas,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let txn = db::begin_write(db).await?;
    let item = load(&txn, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    if is_author(actor, &item) {
        return Err(DomainError::Conflict(Text::new(
            "Das eigene Anliegen kann man nicht unterstützen.",
            "You cannot support your own Anliegen.",
        )));
    }
    if item.publication != AnliegenPublication::Published || !item.status.is_open() {
        return Err(DomainError::Conflict(Text::new(
            "Unterstützen geht nur bei veröffentlichten, offenen Anliegen.",
            "Only published, open Anliegen can be supported.",
        )));
    }
    let now = clock.now();
    let row = anliegen_follower::ActiveModel {
        anliegen_id: Set(id),
        user_id: Set(actor.user_id),
        relation: Set(AnliegenFollowerRelation::Supporter),
        muted: Set(false),
        created_at: Set(now),
    };
    let inserted = match anliegen_follower::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                anliegen_follower::Column::AnliegenId,
                anliegen_follower::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
    {
        Ok(rows) => rows == 1,
        Err(DbErr::RecordNotInserted) => false,
        Err(err) => return Err(err.into()),
    };
    if inserted {
        let key = format!("support:{}", actor.user_id);
        quotas::lock(&txn, &key).await?;
        let limit = quotas.anliegen_supports_per_hour;
        // A refusal drops the transaction, and the support with it.
        quotas::use_one(
            &txn,
            QuotaKind::AnliegenSupport,
            &key,
            limit,
            quotas::HOUR,
            now,
            || {
                Text::new(
                    format!("Höchstens {limit}-mal „Ich auch“ pro Stunde."),
                    format!("At most {limit} supports an hour."),
                )
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Withdraws an "Ich auch" (never the author's own follow); withdrawing twice is fine.
pub async fn withdraw_support(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let item = load(db, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    anliegen_follower::Entity::delete_many()
        .filter(anliegen_follower::Column::AnliegenId.eq(id))
        .filter(anliegen_follower::Column::UserId.eq(actor.user_id))
        .filter(anliegen_follower::Column::Relation.ne(AnliegenFollowerRelation::Author.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Mutes or unmutes the pushes of one Anliegen the caller follows (the inbox keeps every
/// answer either way).
pub async fn set_muted(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    muted: bool,
) -> DomainResult<()> {
    let item = load(db, id).await?;
    visibility(Some(actor), &item).ok_or_else(not_found)?;
    let changed = anliegen_follower::Entity::update_many()
        .col_expr(anliegen_follower::Column::Muted, Expr::value(muted))
        .filter(anliegen_follower::Column::AnliegenId.eq(id))
        .filter(anliegen_follower::Column::UserId.eq(actor.user_id))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(DomainError::NotFound(Text::new(
            "Sie folgen diesem Anliegen nicht.",
            "You do not follow this Anliegen.",
        )));
    }
    Ok(())
}

/// One page of `select`, narrowed by the query's filters, in `(time, id)` order (newest
/// first, or oldest first), after the query's cursor; and whether there is more.
async fn page_of(
    conn: &impl ConnectionTrait,
    mut select: sea_orm::Select<anliegen::Entity>,
    time: anliegen::Column,
    newest_first: bool,
    query: &ListQuery,
) -> Result<(Vec<anliegen::Model>, bool), DbErr> {
    use anliegen::Column as C;
    if let Some(district) = query.district_id {
        select = select.filter(C::DistrictId.eq(district));
    }
    if let Some(status) = query.status {
        select = select.filter(C::Status.eq(status.as_str()));
    }
    if let Some(kind) = query.kind {
        select = select.filter(C::Kind.eq(kind.as_str()));
    }
    if let Some((at, id)) = query.after {
        let beyond = if newest_first {
            Condition::any()
                .add(time.lt(at))
                .add(Condition::all().add(time.eq(at)).add(C::Id.lt(id)))
        } else {
            Condition::any()
                .add(time.gt(at))
                .add(Condition::all().add(time.eq(at)).add(C::Id.gt(id)))
        };
        select = select.filter(beyond);
    }
    let order = if newest_first {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let mut items = select
        .order_by(time, order.clone())
        .order_by(C::Id, order)
        .limit(query.limit + 1)
        .all(conn)
        .await?;
    let more = items.len() as u64 > query.limit;
    items.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
    Ok((items, more))
}

/// Published Anliegen, newest publication first, in the public view (also for their authors
/// and handlers).
pub async fn list_public(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    query: &ListQuery,
) -> DomainResult<(Vec<AnliegenView>, bool)> {
    use anliegen::Column as C;
    let select =
        anliegen::Entity::find().filter(C::Publication.eq(AnliegenPublication::Published.as_str()));
    let (items, more) = page_of(conn, select, C::PublishedAt, true, query).await?;
    let items = items.into_iter().map(|i| (i, Visibility::Public)).collect();
    Ok((views(conn, actor, items).await?, more))
}

/// The newest public answer (a step's or a plain answer, as the public history shows them) of
/// each published Anliegen of a district given in `[from, to)`, newest first, at most `limit`:
/// what a district's printed week reports back.
pub async fn public_answers(
    conn: &impl ConnectionTrait,
    district: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    limit: usize,
) -> DomainResult<Vec<(anliegen::Model, anliegen_event::Model)>> {
    use anliegen_event::Column as E;
    let published = sea_orm::sea_query::Query::select()
        .column(anliegen::Column::Id)
        .from(anliegen::Entity)
        .and_where(anliegen::Column::DistrictId.eq(district))
        .and_where(anliegen::Column::Publication.eq(AnliegenPublication::Published.as_str()))
        .to_owned();
    let events = anliegen_event::Entity::find()
        .filter(E::AnliegenId.in_subquery(published))
        .filter(E::Kind.is_in([
            AnliegenEventKind::Transition.as_str(),
            AnliegenEventKind::Answer.as_str(),
        ]))
        .filter(E::Answer.is_not_null())
        .filter(E::At.gte(from))
        .filter(E::At.lt(to))
        .order_by_desc(E::At)
        .order_by_desc(E::Id)
        .all(conn)
        .await?;
    let mut newest: Vec<anliegen_event::Model> = Vec::new();
    for event in events {
        let blank = event.answer.as_deref().is_none_or(|a| a.trim().is_empty());
        if !blank && newest.iter().all(|e| e.anliegen_id != event.anliegen_id) {
            newest.push(event);
        }
    }
    newest.truncate(limit);
    let mut items: HashMap<Uuid, anliegen::Model> = anliegen::Entity::find()
        .filter(anliegen::Column::Id.is_in(newest.iter().map(|e| e.anliegen_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|item| (item.id, item))
        .collect();
    Ok(newest
        .into_iter()
        .filter_map(|event| Some((items.remove(&event.anliegen_id)?, event)))
        .collect())
}

/// The handler's queue: what the caller handles (their districts; as town staff what was
/// forwarded in their topics; everything for admins), oldest first, so the longest waiting
/// is on top.
pub async fn queue(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    query: &ListQuery,
) -> DomainResult<(Vec<AnliegenView>, bool)> {
    use anliegen::Column as C;
    use entity::vocab::Role;
    let mut scope = Condition::any();
    let led: Vec<Uuid> = actor.districts_as(Role::DistrictLeader).collect();
    if !led.is_empty() {
        scope = scope.add(C::DistrictId.is_in(led));
    }
    let staff: Vec<Option<Uuid>> = actor
        .assignments
        .iter()
        .filter(|a| a.role == Role::TownStaff)
        .map(|a| a.topic_id)
        .collect();
    if staff.contains(&None) {
        scope = scope.add(C::ForwardedAt.is_not_null());
    } else if !staff.is_empty() {
        scope = scope.add(
            Condition::all()
                .add(C::ForwardedAt.is_not_null())
                .add(C::TopicId.is_in(staff.into_iter().flatten())),
        );
    }
    let mut select = anliegen::Entity::find();
    if !actor.is_admin() {
        if scope.is_empty() {
            return Err(DomainError::Forbidden);
        }
        select = select.filter(scope);
    }
    let (items, more) = page_of(conn, select, C::CreatedAt, false, query).await?;
    let items = items.into_iter().map(|i| (i, Visibility::Full)).collect();
    Ok((views(conn, Some(actor), items).await?, more))
}

/// What the caller filed (for themselves or, at the ride desk, for others), newest first.
pub async fn mine(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    query: &ListQuery,
) -> DomainResult<(Vec<AnliegenView>, bool)> {
    use anliegen::Column as C;
    let select = anliegen::Entity::find().filter(
        Condition::any()
            .add(C::AuthorUserId.eq(actor.user_id))
            .add(C::FiledBy.eq(actor.user_id)),
    );
    let (items, more) = page_of(conn, select, C::CreatedAt, true, query).await?;
    let items = items.into_iter().map(|i| (i, Visibility::Full)).collect();
    Ok((views(conn, Some(actor), items).await?, more))
}

/// How far back the map shows what has ended.
pub const MAP_CLOSED_WITHIN: Duration = Duration::days(90);
/// The most points one map answer carries.
pub const MAP_MAX: u64 = 2000;

/// A point on the public map.
#[derive(Clone, Debug)]
pub struct MapPoint {
    pub anliegen: anliegen::Model,
    pub location: Location,
    pub supporter_count: u64,
}

/// Published Anliegen whose point the district chose to show: the open ones, and those ended
/// in the last 90 days (or only those of `status`), newest publication first, at most
/// [`MAP_MAX`].
pub async fn map(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    query: &ListQuery,
) -> DomainResult<Vec<MapPoint>> {
    use anliegen::Column as C;
    let mut select = anliegen::Entity::find()
        .filter(C::Publication.eq(AnliegenPublication::Published.as_str()))
        .filter(C::ShowLocation.eq(true))
        .filter(C::LatE6.is_not_null())
        .filter(C::LonE6.is_not_null());
    if query.status.is_none() {
        select = select.filter(
            Condition::any()
                .add(C::ClosedAt.is_null())
                .add(C::ClosedAt.gte(clock.now() - MAP_CLOSED_WITHIN)),
        );
    }
    let page = ListQuery {
        limit: MAP_MAX,
        after: None,
        ..query.clone()
    };
    let (items, _) = page_of(conn, select, C::PublishedAt, true, &page).await?;
    let ids: Vec<Uuid> = items.iter().map(|item| item.id).collect();
    let counts = supporter_counts(conn, &ids).await?;
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let location = location_of(&item)?;
            Some(MapPoint {
                supporter_count: counts.get(&item.id).copied().unwrap_or(0),
                location,
                anliegen: item,
            })
        })
        .collect())
}

/// Who may see the photos an Anliegen shows: everyone once it is published, its author and
/// handlers before.
pub async fn photo_sight(
    conn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<Sight> {
    let Some(item) = anliegen::Entity::find_by_id(id).one(conn).await? else {
        return Ok(Sight::Nobody);
    };
    Ok(match visibility(actor, &item) {
        _ if item.publication == AnliegenPublication::Published => Sight::Everyone,
        Some(Visibility::Full) => Sight::Caller,
        _ => Sight::Nobody,
    })
}

const ERASED: &str = "Auf Wunsch der Person gelöscht.";

/// Before an account is erased (GDPR Art. 17; `docs/privacy.md`): what the person wrote goes,
/// what the district answered and counts stays. A published (or hidden) Anliegen keeps its
/// public text, checked for personal data, which replaces the original; a private one keeps
/// only what the figures count (district, kind, status, dates) and loses its text, place,
/// point and photos, and the notices about it lose their text. The person's additions go;
/// their supports go with the account (foreign keys).
pub async fn forget_person(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
) -> DomainResult<()> {
    use anliegen::Column as C;
    let txn = db::begin_write(db).await?;
    let own = anliegen::Entity::find()
        .filter(C::AuthorUserId.eq(actor.user_id))
        .all(&txn)
        .await?;
    let now = clock.now();
    let mut private = Vec::new();
    for item in &own {
        let mut row: anliegen::ActiveModel = item.clone().into();
        if item.publication == AnliegenPublication::Private {
            row.title = Set("—".to_owned());
            row.description = Set(ERASED.to_owned());
            row.place = Set(None);
            row.lat_e6 = Set(None);
            row.lon_e6 = Set(None);
            private.push(item.id);
        } else {
            row.title = Set(item.public_title.clone().unwrap_or_else(|| "—".to_owned()));
            row.description = Set(item
                .public_description
                .clone()
                .unwrap_or_else(|| ERASED.to_owned()));
            row.place = Set(item.public_place.clone());
        }
        row.author_name = Set(None);
        row.contact_phone = Set(None);
        row.contact_email = Set(None);
        row.updated_at = Set(now);
        row.update(&txn).await?;
    }
    let ids: Vec<Uuid> = own.iter().map(|item| item.id).collect();
    for chunk in ids.chunks(500) {
        // What the handlers were told of the person's own words (the filing, additions).
        entity::notice::Entity::update_many()
            .col_expr(entity::notice::Column::Body, Expr::value(ERASED))
            .filter(entity::notice::Column::SubjectType.eq(notices::TargetType::Anliegen.as_str()))
            .filter(entity::notice::Column::SubjectId.is_in(chunk.iter().copied()))
            .filter(entity::notice::Column::Kind.eq(NoticeKind::AnliegenQueue.as_str()))
            .exec(&txn)
            .await?;
        anliegen_event::Entity::delete_many()
            .filter(anliegen_event::Column::AnliegenId.is_in(chunk.iter().copied()))
            .filter(anliegen_event::Column::Kind.eq(AnliegenEventKind::AuthorUpdate.as_str()))
            .exec(&txn)
            .await?;
    }
    for chunk in private.chunks(500) {
        notices::strip(&txn, notices::TargetType::Anliegen, chunk, ERASED).await?;
    }
    for id in private {
        // Shows nothing any more; photos nothing else shows are released.
        media::attach(&txn, clock, Thing::Anliegen(id), &[]).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Every Anliegen a person wrote or filed, in full with its history, and what they follow:
/// their part of the export (GDPR Art. 15).
pub async fn of_person(
    db: &DatabaseConnection,
    actor: &Actor,
) -> DomainResult<(Vec<AnliegenView>, Vec<anliegen_follower::Model>)> {
    use anliegen::Column as C;
    let items = anliegen::Entity::find()
        .filter(
            Condition::any()
                .add(C::AuthorUserId.eq(actor.user_id))
                .add(C::FiledBy.eq(actor.user_id)),
        )
        .order_by_asc(C::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|item| (item, Visibility::Full))
        .collect();
    let follows = anliegen_follower::Entity::find()
        .filter(anliegen_follower::Column::UserId.eq(actor.user_id))
        .order_by_asc(anliegen_follower::Column::CreatedAt)
        .all(db)
        .await?;
    Ok((views(db, Some(actor), items).await?, follows))
}

/// A topic to create.
#[derive(Clone, Debug)]
pub struct NewTopic {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

/// Creates topics (the seed's, on start-up when there are none).
pub async fn create_topics(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    topics: &[NewTopic],
) -> DomainResult<()> {
    let now = clock.now();
    for topic in topics {
        let mut v = Validator::new();
        v.check(
            crate::districts::is_valid_slug(&topic.slug),
            "slug",
            "Nur Kleinbuchstaben, Ziffern und Bindestriche.",
            "Lowercase letters, digits and hyphens only.",
        );
        v.text("name", &topic.name, TITLE_MAX);
        v.optional_text("description", topic.description.as_deref(), REASON_MAX);
        v.finish()?;
        anliegen_topic::ActiveModel {
            id: Set(Uuid::now_v7()),
            slug: Set(topic.slug.clone()),
            name: Set(topic.name.clone()),
            description: Set(topic.description.clone()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// The town's topics (Fachbereiche), active ones first by name.
pub async fn topics(conn: &impl ConnectionTrait) -> DomainResult<Vec<anliegen_topic::Model>> {
    Ok(anliegen_topic::Entity::find()
        .order_by_desc(anliegen_topic::Column::Active)
        .order_by_asc(anliegen_topic::Column::Name)
        .all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microdegrees_keep_a_point_to_about_ten_centimetres() {
        let item = |lat: f64, lon: f64| anliegen::Model {
            lat_e6: Some(to_e6(lat)),
            lon_e6: Some(to_e6(lon)),
            ..sample()
        };
        let back = location_of(&item(51.718_923_4, 11.232_156)).unwrap();
        assert!((back.lat - 51.718_923).abs() < 1e-6);
        assert!((back.lon - 11.232_156).abs() < 1e-6);
        let edge = location_of(&item(-90.0, 180.0)).unwrap();
        assert_eq!((edge.lat, edge.lon), (-90.0, 180.0));
    }

    #[test]
    fn a_point_out_of_range_or_not_a_number_names_its_field() {
        for (lat, lon, fields) in [
            (91.0, 0.0, vec!["location.lat"]),
            (0.0, -180.5, vec!["location.lon"]),
            (
                f64::NAN,
                f64::INFINITY,
                vec!["location.lat", "location.lon"],
            ),
        ] {
            let mut v = Validator::new();
            check_location(&mut v, Some(Location { lat, lon }));
            let Err(DomainError::Validation(errors)) = v.finish() else {
                panic!("{lat} {lon} accepted");
            };
            let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(named, fields);
        }
    }

    fn sample() -> anliegen::Model {
        let now = Utc::now();
        anliegen::Model {
            id: Uuid::now_v7(),
            kind: AnliegenKind::Defect,
            status: AnliegenStatus::Received,
            publication: AnliegenPublication::Private,
            source: AnliegenSource::App,
            district_id: Uuid::now_v7(),
            topic_id: None,
            title: "t".into(),
            description: "d".into(),
            place: None,
            lat_e6: None,
            lon_e6: None,
            author_user_id: Some(Uuid::now_v7()),
            filed_by: None,
            author_name: None,
            contact_phone: None,
            contact_email: None,
            public_title: None,
            public_description: None,
            public_place: None,
            show_location: false,
            published_at: None,
            hidden_at: None,
            hidden_reason: None,
            duplicate_of: None,
            forwarded_at: None,
            first_answer_at: None,
            last_answer_at: None,
            closed_at: None,
            created_at: now,
            updated_at: now,
            api_client_id: None,
            external_media_url: None,
        }
    }

    fn actor(assignments: Vec<crate::auth::actor::Assignment>) -> Actor {
        Actor {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            assignments,
        }
    }

    fn assignment(
        role: entity::vocab::Role,
        district_id: Option<Uuid>,
        topic_id: Option<Uuid>,
    ) -> crate::auth::actor::Assignment {
        crate::auth::actor::Assignment {
            id: Uuid::now_v7(),
            role,
            district_id,
            shop_id: None,
            topic_id,
            organisation_id: None,
        }
    }

    #[test]
    fn private_anliegen_exist_only_for_author_and_handlers() {
        use entity::vocab::Role;
        let topic = Uuid::now_v7();
        let mut item = sample();
        item.topic_id = Some(topic);
        let author = Actor {
            user_id: item.author_user_id.unwrap(),
            ..actor(vec![])
        };
        let leader = actor(vec![assignment(
            Role::DistrictLeader,
            Some(item.district_id),
            None,
        )]);
        let far_leader = actor(vec![assignment(
            Role::DistrictLeader,
            Some(Uuid::now_v7()),
            None,
        )]);
        let town = actor(vec![assignment(Role::TownStaff, None, None)]);
        let topic_staff = actor(vec![assignment(Role::TownStaff, None, Some(topic))]);
        let other_topic = actor(vec![assignment(
            Role::TownStaff,
            None,
            Some(Uuid::now_v7()),
        )]);
        let resident = actor(vec![]);
        assert_eq!(visibility(Some(&author), &item), Some(Visibility::Full));
        assert_eq!(visibility(Some(&leader), &item), Some(Visibility::Full));
        for stranger in [&far_leader, &town, &topic_staff, &other_topic, &resident] {
            assert_eq!(visibility(Some(stranger), &item), None);
        }
        assert_eq!(visibility(None, &item), None);
        // Forwarded: the town's staff of its topic join in.
        item.forwarded_at = Some(Utc::now());
        assert_eq!(visibility(Some(&town), &item), Some(Visibility::Full));
        assert_eq!(
            visibility(Some(&topic_staff), &item),
            Some(Visibility::Full)
        );
        assert_eq!(visibility(Some(&other_topic), &item), None);
        // Published: everyone sees the public view.
        item.publication = AnliegenPublication::Published;
        assert_eq!(visibility(None, &item), Some(Visibility::Public));
        assert_eq!(
            visibility(Some(&far_leader), &item),
            Some(Visibility::Public)
        );
        item.publication = AnliegenPublication::Hidden;
        assert_eq!(visibility(None, &item), None);
        assert_eq!(visibility(Some(&author), &item), Some(Visibility::Full));
    }
}
