//! `/open311/v2`: Open311 GeoReport v2 (JSON), so existing Open311 apps and municipal back
//! offices connect without custom code. Field names, formats and error answers follow the
//! specification (<https://wiki.open311.org/GeoReport_v2>), not this API's conventions: paths
//! end in `.json`, a request is posted form-encoded with an `api_key`, and errors are a list of
//! `{code, description}` (rendered by `edge::problems` for every answer under `/open311/`).

use chrono::{DateTime, SecondsFormat, Utc};
use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::{Form, Json},
};
use serde::Deserialize;
use uuid::Uuid;

use super::ApiTags;
use crate::{
    error::{ApiError, ApiResult, ErrorCode, Text},
    state::AppState,
};
use domain::{
    anliegen::open311::{self, Report, RequestQuery, RequestView},
    api_clients,
};
use entity::api_client;

/// An Open311 service: one of the town's topics.
#[derive(Object, Clone, Debug)]
pub struct Open311Service {
    /// The topic's stable key; pass it as `service_code`.
    pub service_code: String,
    /// E.g. „Straßen und Wege“.
    pub service_name: String,
    /// What belongs to it.
    pub description: String,
    /// Always `true`: every service asks for the district (see the service definition).
    pub metadata: bool,
    /// Always `realtime`: a request is in the queue at once.
    #[oai(rename = "type")]
    pub kind: String,
    /// Always empty.
    pub keywords: String,
    /// Always empty.
    pub group: String,
}

/// One value of a `singlevaluelist` attribute.
#[derive(Object, Clone, Debug)]
pub struct Open311AttributeValue {
    /// What to send (a district's slug).
    pub key: String,
    /// What to show (the district's name).
    pub name: String,
}

/// An attribute a service asks for.
#[derive(Object, Clone, Debug)]
pub struct Open311Attribute {
    /// Always `true`: the client sends a value.
    pub variable: bool,
    /// Send as `attribute[<code>]`: here `district`.
    pub code: String,
    /// `singlevaluelist`.
    pub datatype: String,
    /// Always `true`.
    pub required: bool,
    /// How to fill it in.
    pub datatype_description: String,
    /// Its place in a form.
    pub order: u32,
    /// What it is: „Ortsteil“.
    pub description: String,
    /// The districts.
    pub values: Vec<Open311AttributeValue>,
}

/// What a service asks for besides the standard fields.
#[derive(Object, Clone, Debug)]
pub struct Open311ServiceDefinition {
    /// The service.
    pub service_code: String,
    /// Its attributes: the district.
    pub attributes: Vec<Open311Attribute>,
}

/// A service request (an Anliegen of kind `defect`).
#[derive(Object, Clone, Debug)]
pub struct Open311Request {
    /// The Anliegen's id.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The last public answer of the district or the town.
    #[oai(nullable)]
    pub status_notes: Option<String>,
    /// The service's name.
    #[oai(nullable)]
    pub service_name: Option<String>,
    /// The service's code.
    #[oai(nullable)]
    pub service_code: Option<String>,
    /// The public text (the key that filed it reads its own text).
    pub description: String,
    /// Who handles it: the district („Ortsteil Rieder“) or, once forwarded, the town's topic.
    pub agency_responsible: String,
    /// Always null.
    #[oai(nullable)]
    pub service_notice: Option<String>,
    /// When it was filed (W3C date-time, UTC).
    pub requested_datetime: String,
    /// When it last changed or ended.
    pub updated_datetime: String,
    /// Always null: no dates are promised.
    #[oai(nullable)]
    pub expected_datetime: Option<String>,
    /// The public place description.
    #[oai(nullable)]
    pub address: Option<String>,
    /// Always null.
    #[oai(nullable)]
    pub address_id: Option<String>,
    /// Always null.
    #[oai(nullable)]
    pub zipcode: Option<String>,
    /// Latitude, only where the district shows the point.
    #[oai(nullable)]
    pub lat: Option<f64>,
    /// Longitude, only where the district shows the point.
    #[oai(nullable)]
    pub long: Option<f64>,
    /// Always null (photos are served under `/api/v1/media`).
    #[oai(nullable)]
    pub media_url: Option<String>,
}

/// The answer to a request filed.
#[derive(Object, Clone, Debug)]
pub struct Open311Created {
    /// The new request's id.
    pub service_request_id: String,
    /// What happens next.
    pub service_notice: String,
    /// Always null.
    #[oai(nullable)]
    pub account_id: Option<String>,
}

/// An error as Open311 answers it.
#[derive(Object, Clone, Debug)]
pub struct Open311Error {
    /// The HTTP status.
    pub code: u16,
    /// What is wrong, for people (German, English with `Accept-Language: en`).
    pub description: String,
}

/// A service request as posted (`application/x-www-form-urlencoded`).
#[derive(Object, Deserialize, Clone, Debug, Default)]
pub struct Open311Report {
    /// The key an administrator issued (`POST /api/v1/api-clients`).
    pub api_key: Option<String>,
    /// Ignored: this server serves one jurisdiction.
    pub jurisdiction_id: Option<String>,
    /// A service's `service_code`.
    pub service_code: Option<String>,
    /// Latitude (WGS84); with `long`, or give `address_string`.
    pub lat: Option<String>,
    /// Longitude (WGS84).
    pub long: Option<String>,
    /// Where, in words.
    pub address_string: Option<String>,
    /// An address id of the client's own.
    pub address_id: Option<String>,
    /// For the answer.
    pub email: Option<String>,
    /// Ignored.
    pub device_id: Option<String>,
    /// Ignored.
    pub account_id: Option<String>,
    /// The reporter's first name.
    pub first_name: Option<String>,
    /// The reporter's last name.
    pub last_name: Option<String>,
    /// For the answer.
    pub phone: Option<String>,
    /// What is wrong, 1 to 4000 characters.
    pub description: Option<String>,
    /// A photo's address: shown to the handlers, never fetched by the server.
    pub media_url: Option<String>,
    /// The district's slug (required; see the service definition).
    #[oai(rename = "attribute[district]")]
    #[serde(rename = "attribute[district]")]
    pub attribute_district: Option<String>,
}

/// The error answers each operation here can give, in the Open311 shape ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("open311Services", &[]),
    ("open311Service", &[400, 404]),
    ("open311Requests", &[400]),
    ("open311CreateRequest", &[400, 403, 404, 429]),
    ("open311Request", &[400, 404]),
];

fn w3c(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn bad_request(de: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, Text::new(de.into(), en.into()))
}

/// `<stem>.json` → the stem; `.xml` is not served.
fn json_stem(file: &str) -> ApiResult<&str> {
    if let Some(stem) = file.strip_suffix(".json") {
        return Ok(stem);
    }
    Err(bad_request(
        "Nur das Format .json wird angeboten.",
        "Only the .json format is served.",
    ))
}

fn parse_time(field: &str, value: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            bad_request(
                format!("{field}: ein Zeitpunkt im W3C-Format, z. B. 2026-05-01T00:00:00Z."),
                format!("{field}: a W3C date-time, e.g. 2026-05-01T00:00:00Z."),
            )
        })
}

fn list(value: Option<&str>) -> Option<Vec<String>> {
    value.map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

impl From<RequestView> for Open311Request {
    fn from(v: RequestView) -> Self {
        let a = v.anliegen;
        let open = a.status.is_open();
        let shows_point = a.show_location || v.own;
        let location = domain::anliegen::location_of(&a).filter(|_| shows_point);
        let agency_responsible = match (&v.topic, a.forwarded_at) {
            (Some(topic), Some(_)) => topic.name.clone(),
            _ => v
                .district
                .as_ref()
                .map_or_else(|| "Ortsteil".to_owned(), |d| format!("Ortsteil {}", d.name)),
        };
        let (description, address) = if v.own {
            (a.description.clone(), a.place.clone())
        } else {
            (
                a.public_description.clone().unwrap_or_default(),
                a.public_place.clone(),
            )
        };
        Self {
            service_request_id: a.id.to_string(),
            status: if open { "open" } else { "closed" }.to_owned(),
            status_notes: v.status_notes,
            service_name: v.topic.as_ref().map(|t| t.name.clone()),
            service_code: v.topic.as_ref().map(|t| t.slug.clone()),
            description,
            agency_responsible,
            service_notice: None,
            requested_datetime: w3c(a.created_at),
            updated_datetime: w3c(a.closed_at.unwrap_or(a.updated_at)),
            expected_datetime: None,
            address,
            address_id: None,
            zipcode: None,
            lat: location.map(|l| l.lat),
            long: location.map(|l| l.lon),
            media_url: None,
        }
    }
}

async fn client_of(
    state: &AppState,
    api_key: Option<&str>,
) -> ApiResult<Option<api_client::Model>> {
    match api_key.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(key) => Ok(api_clients::verify(&state.db, &state.clock, key).await?),
    }
}

pub struct Open311Api;

#[OpenApi(prefix_path = "/open311/v2", tag = "ApiTags::Open311")]
impl Open311Api {
    /// Open311: list services
    ///
    /// The town's active topics, each a service. Every service has `metadata: true`: it asks
    /// for the district (`attribute[district]`).
    #[oai(
        path = "/services.json",
        method = "get",
        operation_id = "open311Services"
    )]
    async fn services(
        &self,
        state: Data<&AppState>,
        /// Ignored: this server serves one jurisdiction.
        #[oai(name = "jurisdiction_id")]
        _jurisdiction_id: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<Open311Service>>> {
        let topics = open311::services(&state.db).await?;
        Ok(Json(
            topics
                .into_iter()
                .map(|t| Open311Service {
                    service_code: t.slug,
                    service_name: t.name,
                    description: t.description.unwrap_or_default(),
                    metadata: true,
                    kind: "realtime".into(),
                    keywords: String::new(),
                    group: String::new(),
                })
                .collect(),
        ))
    }

    /// Open311: a service's definition
    ///
    /// The attribute every service asks for: `district`, a `singlevaluelist` of the districts.
    #[oai(
        path = "/services/:file",
        method = "get",
        operation_id = "open311Service"
    )]
    async fn service(
        &self,
        state: Data<&AppState>,
        /// The service's code, followed by `.json`.
        file: Path<String>,
        /// Ignored: this server serves one jurisdiction.
        #[oai(name = "jurisdiction_id")]
        _jurisdiction_id: Query<Option<String>>,
    ) -> ApiResult<Json<Open311ServiceDefinition>> {
        let code = json_stem(&file.0)?;
        let (topic, districts) = open311::service(&state.db, code).await?;
        Ok(Json(Open311ServiceDefinition {
            service_code: topic.slug,
            attributes: vec![Open311Attribute {
                variable: true,
                code: open311::DISTRICT_ATTRIBUTE.into(),
                datatype: "singlevaluelist".into(),
                required: true,
                datatype_description: "Der Ortsteil, in dem es ist (key eines Werts).".into(),
                order: 1,
                description: "Ortsteil".into(),
                values: districts
                    .into_iter()
                    .map(|d| Open311AttributeValue {
                        key: d.slug,
                        name: d.name,
                    })
                    .collect(),
            }],
        }))
    }

    /// Open311: list service requests
    ///
    /// Published requests (`defect` Anliegen), newest first, at most 1000: exactly those of
    /// `service_request_id` (up to 100, comma-separated), or those filed between `start_date`
    /// and `end_date` (default: the last 90 days; at most 90 days), of `service_code` and
    /// `status` (`open`, `closed`, comma-separated).
    #[oai(
        path = "/requests.json",
        method = "get",
        operation_id = "open311Requests"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each documented parameter as an argument"
    )]
    async fn requests(
        &self,
        state: Data<&AppState>,
        /// Comma-separated ids; overrides every other filter.
        service_request_id: Query<Option<String>>,
        /// Comma-separated service codes.
        service_code: Query<Option<String>>,
        /// Filed at or after (W3C date-time).
        start_date: Query<Option<String>>,
        /// Filed before (W3C date-time).
        end_date: Query<Option<String>>,
        /// `open`, `closed`, or both comma-separated.
        status: Query<Option<String>>,
        /// Ignored: this server serves one jurisdiction.
        #[oai(name = "jurisdiction_id")]
        _jurisdiction_id: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<Open311Request>>> {
        let ids = match list(service_request_id.0.as_deref()) {
            None => None,
            Some(ids) if ids.len() > open311::MAX_IDS => {
                return Err(bad_request(
                    "service_request_id: höchstens 100 Ids.",
                    "service_request_id: at most 100 ids.",
                ));
            }
            Some(ids) => Some(
                ids.iter()
                    .map(|id| id.parse::<Uuid>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        bad_request(
                            "service_request_id: unbekannte Id.",
                            "service_request_id: not an id.",
                        )
                    })?,
            ),
        };
        let open = match list(status.0.as_deref()) {
            None => None,
            Some(values) => {
                let wants_open = values.iter().any(|v| v == "open");
                let wants_closed = values.iter().any(|v| v == "closed");
                if values.iter().any(|v| v != "open" && v != "closed") {
                    return Err(bad_request(
                        "status: open oder closed.",
                        "status: open or closed.",
                    ));
                }
                match (wants_open, wants_closed) {
                    (true, false) => Some(true),
                    (false, true) => Some(false),
                    _ => None,
                }
            }
        };
        let query = RequestQuery {
            ids,
            service_codes: list(service_code.0.as_deref()),
            start: start_date
                .0
                .as_deref()
                .map(|v| parse_time("start_date", v))
                .transpose()?,
            end: end_date
                .0
                .as_deref()
                .map(|v| parse_time("end_date", v))
                .transpose()?,
            open,
        };
        let views = open311::requests(&state.db, &state.clock, &query).await?;
        Ok(Json(views.into_iter().map(Open311Request::from).collect()))
    }

    /// Open311: file a service request
    ///
    /// Form-encoded, with the `api_key` an administrator issued (403 without a valid one).
    /// Needs `service_code`, the place (`lat` and `long`, or `address_string`, or
    /// `address_id`), `attribute[district]` and a `description`. It becomes a private
    /// Anliegen of kind `defect` in the district's queue; at most 100 per key and hour (429).
    /// `media_url` is shown to the handlers, never fetched.
    #[oai(
        path = "/requests.json",
        method = "post",
        operation_id = "open311CreateRequest"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        body: Form<Open311Report>,
    ) -> ApiResult<Json<Vec<Open311Created>>> {
        let b = body.0;
        let Some(client) = client_of(&state, b.api_key.as_deref()).await? else {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                Text::new(
                    "api_key fehlt oder ist ungültig; einen Schlüssel vergibt die Verwaltung.",
                    "api_key missing or invalid; the administration issues keys.",
                ),
            ));
        };
        let report = Report {
            service_code: b.service_code,
            lat: b.lat,
            long: b.long,
            address_string: b.address_string,
            address_id: b.address_id,
            email: b.email,
            first_name: b.first_name,
            last_name: b.last_name,
            phone: b.phone,
            description: b.description,
            media_url: b.media_url,
            district: b.attribute_district,
        };
        let item = open311::file(&state.db, &state.clock, &client, report).await?;
        Ok(Json(vec![Open311Created {
            service_request_id: item.id.to_string(),
            service_notice: "Danke! Ihr Anliegen ist beim Ortsteil eingegangen.".into(),
            account_id: None,
        }]))
    }

    /// Open311: a service request
    ///
    /// A published request; an unpublished one only with the `api_key` that filed it (which
    /// also reads its own text); 404 otherwise.
    #[oai(
        path = "/requests/:file",
        method = "get",
        operation_id = "open311Request"
    )]
    async fn request(
        &self,
        state: Data<&AppState>,
        /// The request's id, followed by `.json`.
        file: Path<String>,
        /// The key that filed it, to read it before it is published.
        api_key: Query<Option<String>>,
        /// Ignored: this server serves one jurisdiction.
        #[oai(name = "jurisdiction_id")]
        _jurisdiction_id: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<Open311Request>>> {
        let stem = json_stem(&file.0)?;
        let not_found = || {
            ApiError::not_found(Text::new(
                "Diese Meldung gibt es nicht.",
                "No such service request.",
            ))
        };
        let id: Uuid = stem.parse().map_err(|_| not_found())?;
        let client = client_of(&state, api_key.0.as_deref()).await?;
        let view = open311::request(&state.db, client.as_ref(), id).await?;
        Ok(Json(vec![view.into()]))
    }
}
