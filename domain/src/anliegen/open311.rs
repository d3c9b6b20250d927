//! Open311 GeoReport v2 onto Anliegen: the town's topics are the services, a service request
//! is an Anliegen of kind `defect`. An Open311 client or a municipal back office files with an
//! `api_key` an administrator issued (`crate::api_clients`) and reads published requests like
//! any other client. Districts have no geometry here, so every service asks for the district
//! as its one required attribute (`attribute[district]`, a district slug).
//!
//! Status mapping: `open` = received, in_review, forwarded, in_progress; `closed` = done,
//! declined, duplicate. The last public answer is `status_notes`.

use chrono::{DateTime, Duration, Utc};
use entity::{
    anliegen, anliegen_event, anliegen_topic, api_client, district,
    vocab::{AnliegenEventKind, AnliegenKind, AnliegenPublication, AnliegenSource, AnliegenStatus},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

use super::{DESCRIPTION_MAX, NAME_MAX, PLACE_MAX, Received, TITLE_MAX};
use crate::geo::Location;
use crate::{
    DomainError, DomainResult, Validator, clock::SharedClock, db, normalize_optional, quotas,
    text::Text,
};

/// Requests one key may file in an hour.
pub const FILINGS_PER_KEY_PER_HOUR: u32 = 100;
/// The longest `start_date`–`end_date` span, and the default window back from now.
pub const WINDOW: Duration = Duration::days(90);
/// Requests in one answer.
pub const MAX_REQUESTS: u64 = 1000;
/// Ids in one `service_request_id` list.
pub const MAX_IDS: usize = 100;
/// The longest `media_url`.
pub const MEDIA_URL_MAX: usize = 1024;
/// What Open311 calls the district attribute.
pub const DISTRICT_ATTRIBUTE: &str = "district";

/// A service request as an Open311 client posts it (every field as sent; checked here).
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[district]`: a district's slug.
    pub district: Option<String>,
}

/// Which requests a list shows.
#[derive(Clone, Debug, Default)]
pub struct RequestQuery {
    /// Exactly these (overrides the rest).
    pub ids: Option<Vec<Uuid>>,
    pub service_codes: Option<Vec<String>>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// `Some(true)`: open ones only; `Some(false)`: closed ones only.
    pub open: Option<bool>,
}

/// A service request as Open311 shows it.
#[derive(Clone, Debug)]
pub struct RequestView {
    pub anliegen: anliegen::Model,
    pub topic: Option<anliegen_topic::Model>,
    pub district: Option<district::Model>,
    /// The last public answer.
    pub status_notes: Option<String>,
    /// Whether the caller filed it with their key (then they read the original text).
    pub own: bool,
}

fn bad(field: &str, de: &'static str, en: &'static str) -> DomainError {
    DomainError::Validation(vec![crate::text::field(field, de, en)])
}

fn unknown_service() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diesen service_code gibt es nicht.",
        "No such service_code.",
    ))
}

/// The active topics: the services.
pub async fn services(conn: &impl ConnectionTrait) -> DomainResult<Vec<anliegen_topic::Model>> {
    Ok(anliegen_topic::Entity::find()
        .filter(anliegen_topic::Column::Active.eq(true))
        .order_by_asc(anliegen_topic::Column::Name)
        .all(conn)
        .await?)
}

/// One service and the districts its `district` attribute offers.
pub async fn service(
    conn: &impl ConnectionTrait,
    code: &str,
) -> DomainResult<(anliegen_topic::Model, Vec<district::Model>)> {
    let topic = anliegen_topic::Entity::find()
        .filter(anliegen_topic::Column::Slug.eq(code))
        .filter(anliegen_topic::Column::Active.eq(true))
        .one(conn)
        .await?
        .ok_or_else(unknown_service)?;
    let districts = district::Entity::find()
        .order_by_asc(district::Column::Name)
        .all(conn)
        .await?;
    Ok((topic, districts))
}

fn number(field: &str, value: &str, range: (f64, f64)) -> DomainResult<f64> {
    match value.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && (range.0..=range.1).contains(&n) => Ok(n),
        _ => Err(DomainError::Validation(vec![crate::text::FieldError::new(
            field,
            Text::new(
                format!("Eine Zahl zwischen {} und {} (WGS84).", range.0, range.1),
                format!("A number between {} and {} (WGS84).", range.0, range.1),
            ),
        )])),
    }
}

/// Files a service request as an Anliegen (`defect`, source `open311`) for the key's client.
pub async fn file(
    db: &DatabaseConnection,
    clock: &SharedClock,
    client: &api_client::Model,
    report: Report,
) -> DomainResult<anliegen::Model> {
    let code = normalize_optional(report.service_code.clone()).ok_or_else(|| {
        bad(
            "service_code",
            "service_code fehlt.",
            "service_code is missing.",
        )
    })?;
    let txn = db::begin_write(db).await?;
    let topic = anliegen_topic::Entity::find()
        .filter(anliegen_topic::Column::Slug.eq(code))
        .filter(anliegen_topic::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(unknown_service)?;
    let location = match (
        normalize_optional(report.lat.clone()),
        normalize_optional(report.long.clone()),
    ) {
        (Some(lat), Some(long)) => Some(Location {
            lat: number("lat", &lat, crate::geo::LATITUDE)?,
            lon: number("long", &long, crate::geo::LONGITUDE)?,
        }),
        (None, None) => None,
        (Some(_), None) => return Err(bad("long", "long fehlt zu lat.", "long is missing.")),
        (None, Some(_)) => return Err(bad("lat", "lat fehlt zu long.", "lat is missing.")),
    };
    let address = normalize_optional(report.address_string.clone());
    let address_id = normalize_optional(report.address_id.clone());
    if location.is_none() && address.is_none() && address_id.is_none() {
        return Err(bad(
            "lat",
            "Ort fehlt: lat und long, address_string oder address_id angeben.",
            "Location missing: give lat and long, address_string or address_id.",
        ));
    }
    let place = address.or(address_id.map(|id| format!("Adresse {id}")));
    let slug = normalize_optional(report.district.clone()).ok_or_else(|| {
        bad(
            "attribute[district]",
            "attribute[district] fehlt: der Ortsteil (siehe services/{service_code}.json).",
            "attribute[district] is missing: the district (see services/{service_code}.json).",
        )
    })?;
    let district = district::Entity::find()
        .filter(district::Column::Slug.eq(slug))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            bad(
                "attribute[district]",
                "Diesen Ortsteil gibt es nicht.",
                "No such district.",
            )
        })?;
    let description = report.description.clone().unwrap_or_default();
    let mut v = Validator::new();
    v.text("description", &description, DESCRIPTION_MAX);
    v.optional_text("address_string", place.as_deref(), PLACE_MAX);
    let name = [report.first_name.clone(), report.last_name.clone()]
        .into_iter()
        .flatten()
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name = normalize_optional(Some(name));
    v.optional_text("first_name", name.as_deref(), NAME_MAX);
    let phone = normalize_optional(report.phone.clone());
    v.phone("phone", phone.as_deref());
    let email = normalize_optional(report.email.clone());
    if let Some(email) = &email {
        v.email("email", email);
    }
    let media_url = normalize_optional(report.media_url.clone());
    if let Some(url) = &media_url {
        v.check(
            url.len() <= MEDIA_URL_MAX
                && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http")),
            "media_url",
            "Eine http(s)-Adresse mit höchstens 1024 Zeichen.",
            "An http(s) URL of at most 1024 characters.",
        );
    }
    v.finish()?;
    let now = clock.now();
    quotas::lock(&txn, &format!("open311:{}", client.id)).await?;
    let recent: Vec<DateTime<Utc>> = anliegen::Entity::find()
        .select_only()
        .column(anliegen::Column::CreatedAt)
        .filter(anliegen::Column::ApiClientId.eq(client.id))
        .filter(anliegen::Column::CreatedAt.gt(now - quotas::HOUR))
        .order_by_asc(anliegen::Column::CreatedAt)
        .into_tuple()
        .all(&txn)
        .await?;
    quotas::check_hourly(&recent, FILINGS_PER_KEY_PER_HOUR, now, || {
        Text::new(
            format!("Höchstens {FILINGS_PER_KEY_PER_HOUR} Meldungen pro Stunde und api_key."),
            format!("At most {FILINGS_PER_KEY_PER_HOUR} requests an hour per api_key."),
        )
    })?;
    let description = description.trim().to_owned();
    let head: String = description.chars().take(80).collect();
    let mut title = format!("{}: {head}", topic.name);
    if title.chars().count() > TITLE_MAX {
        title = title.chars().take(TITLE_MAX).collect();
    }
    let item = super::insert_received(
        &txn,
        clock,
        Received {
            kind: AnliegenKind::Defect,
            source: AnliegenSource::Open311,
            district_id: district.id,
            topic_id: Some(topic.id),
            title,
            description,
            place,
            location,
            author_user_id: None,
            filed_by: None,
            author_name: name,
            contact_phone: phone,
            contact_email: email,
            api_client_id: Some(client.id),
            external_media_url: media_url,
            role: entity::vocab::AnliegenActorRole::Author,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(item)
}

async fn views(
    conn: &impl ConnectionTrait,
    client: Option<&api_client::Model>,
    items: Vec<anliegen::Model>,
) -> DomainResult<Vec<RequestView>> {
    let ids: Vec<Uuid> = items.iter().map(|a| a.id).collect();
    let mut notes: HashMap<Uuid, String> = HashMap::new();
    if !ids.is_empty() {
        for event in anliegen_event::Entity::find()
            .filter(anliegen_event::Column::AnliegenId.is_in(ids))
            .filter(anliegen_event::Column::Kind.is_in([
                AnliegenEventKind::Transition.as_str(),
                AnliegenEventKind::Answer.as_str(),
            ]))
            .order_by_asc(anliegen_event::Column::At)
            .order_by_asc(anliegen_event::Column::Id)
            .all(conn)
            .await?
        {
            if let Some(answer) = event.answer {
                notes.insert(event.anliegen_id, answer);
            }
        }
    }
    let topics: HashMap<Uuid, anliegen_topic::Model> = anliegen_topic::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let districts: HashMap<Uuid, district::Model> = district::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    Ok(items
        .into_iter()
        .map(|a| RequestView {
            status_notes: notes.remove(&a.id),
            topic: a.topic_id.and_then(|t| topics.get(&t).cloned()),
            district: districts.get(&a.district_id).cloned(),
            own: client.is_some_and(|c| a.api_client_id == Some(c.id)),
            anliegen: a,
        })
        .collect())
}

/// Published service requests (`defect`s), newest first: exactly the ids asked for, or those
/// of the services and the status asked for, filed in the window (default: the last 90 days;
/// at most 90 days), at most [`MAX_REQUESTS`].
pub async fn requests(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    query: &RequestQuery,
) -> DomainResult<Vec<RequestView>> {
    use anliegen::Column as C;
    let mut select = anliegen::Entity::find()
        .filter(C::Kind.eq(AnliegenKind::Defect.as_str()))
        .filter(C::Publication.eq(AnliegenPublication::Published.as_str()));
    if let Some(ids) = &query.ids {
        if ids.len() > MAX_IDS {
            return Err(bad(
                "service_request_id",
                "Höchstens 100 Ids auf einmal.",
                "At most 100 ids at once.",
            ));
        }
        select = select.filter(C::Id.is_in(ids.clone()));
    } else {
        let end = query.end.unwrap_or_else(|| clock.now());
        let start = query.start.unwrap_or(end - WINDOW);
        if end <= start {
            return Err(bad(
                "end_date",
                "end_date muss nach start_date liegen.",
                "end_date must be after start_date.",
            ));
        }
        if end - start > WINDOW {
            return Err(bad(
                "start_date",
                "Höchstens 90 Tage zwischen start_date und end_date.",
                "At most 90 days between start_date and end_date.",
            ));
        }
        // Both ends included, as Open311 reads `start_date` and `end_date`.
        select = select
            .filter(C::CreatedAt.gte(start))
            .filter(C::CreatedAt.lte(end));
        if let Some(codes) = &query.service_codes {
            let topics: Vec<Uuid> = anliegen_topic::Entity::find()
                .filter(anliegen_topic::Column::Slug.is_in(codes.clone()))
                .all(conn)
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect();
            select = select.filter(C::TopicId.is_in(topics));
        }
        let open = [
            AnliegenStatus::Received,
            AnliegenStatus::InReview,
            AnliegenStatus::Forwarded,
            AnliegenStatus::InProgress,
        ]
        .map(AnliegenStatus::as_str);
        select = match query.open {
            None => select,
            Some(true) => select.filter(C::Status.is_in(open)),
            Some(false) => select.filter(C::Status.is_not_in(open)),
        };
    }
    let items = select
        .order_by_desc(C::CreatedAt)
        .order_by_desc(C::Id)
        .limit(MAX_REQUESTS)
        .all(conn)
        .await?;
    views(conn, None, items).await
}

/// One service request: published ones for everyone, unpublished ones only for the key that
/// filed them; 404 otherwise.
pub async fn request(
    conn: &impl ConnectionTrait,
    client: Option<&api_client::Model>,
    id: Uuid,
) -> DomainResult<RequestView> {
    let not_found = || {
        DomainError::NotFound(Text::new(
            "Diese Meldung gibt es nicht.",
            "No such service request.",
        ))
    };
    let item = anliegen::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let public = item.publication == AnliegenPublication::Published;
    let own = client.is_some_and(|c| item.api_client_id == Some(c.id));
    if !(own || public && item.kind == AnliegenKind::Defect) {
        return Err(not_found());
    }
    views(conn, client, vec![item])
        .await?
        .pop()
        .ok_or_else(not_found)
}
