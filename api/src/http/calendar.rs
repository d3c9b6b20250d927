//! `/api/v1/calendar/{file}.ics`: the iCal feeds a calendar app subscribes to (`webcal://` is
//! the same address), one for the whole town and one per district. Written by [`super::ical`]
//! from `domain::events::feed`; tagged with a hash of the bytes, so an app polling every hour
//! gets an empty 304 while nothing changed.
//!
//! A feed is rendered whole (a town's with thousands of events is megabytes), so each rendered
//! feed is kept ([`KeptFeeds`]) with the `domain::events::feed_fingerprint` it was made from:
//! while the fingerprint holds, a request costs a few aggregate reads, not the feed's queries
//! and its rendering, and a 304 is answered without rendering anything.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi, ResponseContent,
    param::{Header, Path},
    payload::PlainText,
};
use sha2::{Digest, Sha256};

use super::{
    ApiTags,
    ical::{self, Calendar, FeedEvent, MovedOccurrence, When},
};
use crate::{error::ApiResult, state::AppState};
use domain::{
    events::{self, FeedEntry},
    text::Text,
};
use entity::vocab::{EventCategory, EventExceptionKind, EventStatus};

/// The town's feed: `gemeinde.ics`.
const TOWN_FILE: &str = "gemeinde";

#[derive(ResponseContent)]
pub enum IcsBody {
    /// An iCalendar document (RFC 5545).
    #[oai(content_type = "text/calendar; charset=utf-8")]
    Ics(PlainText<String>),
}

#[derive(ApiResponse)]
pub enum CalendarFeed {
    /// The feed. Subscribe to it (`webcal://` with the same address); send the `ETag` as
    /// `If-None-Match` when asking again.
    #[oai(status = 200)]
    Ok(
        IcsBody,
        /// Identifies this version of the feed.
        #[oai(header = "ETag")]
        String,
        /// `public, max-age=300`.
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// Unchanged since the version named in `If-None-Match`; the body is empty.
    #[oai(status = 304)]
    NotModified(
        /// Identifies the (unchanged) version.
        #[oai(header = "ETag")]
        String,
    ),
}

/// The error answers each operation here can give ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[("getCalendarFeed", &[404])];

/// A category as a calendar app shows it (`CATEGORIES`).
fn category_label(category: EventCategory) -> &'static str {
    match category {
        EventCategory::Festival => "Fest",
        EventCategory::Club => "Verein",
        EventCategory::Church => "Kirche",
        EventCategory::Sport => "Sport",
        EventCategory::Culture => "Kultur",
        EventCategory::Youth => "Jugend",
        EventCategory::Seniors => "Senioren",
        EventCategory::Market => "Markt",
        EventCategory::Meeting => "Versammlung",
        EventCategory::Other => "Sonstiges",
    }
}

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap_or_default()
}

/// RFC 5545 wants `UNTIL` as a date when `DTSTART` is one: an all-day series' last date.
fn rrule_for(rrule: &str, all_day: bool, tz: Tz) -> String {
    if !all_day {
        return rrule.to_owned();
    }
    rrule
        .split(';')
        .map(|part| match part.strip_prefix("UNTIL=") {
            Some(until) => chrono::NaiveDateTime::parse_from_str(until, "%Y%m%dT%H%M%SZ")
                .map(|at| {
                    format!(
                        "UNTIL={}",
                        at.and_utc()
                            .with_timezone(&tz)
                            .date_naive()
                            .format("%Y%m%d")
                    )
                })
                .unwrap_or_else(|_| part.to_owned()),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn when(all_day: bool, start: &str, end: Option<&str>) -> When {
    let start = local(start);
    if all_day {
        let first_day = start.date();
        When::AllDay {
            first_day,
            last_day: end.map_or(first_day, |e| local(e).date()),
        }
    } else {
        When::Timed {
            start,
            end: end.map(local),
        }
    }
}

fn feed_event(entry: FeedEntry, tz: Tz, base: &str) -> FeedEvent {
    let e = entry.event;
    let exdates = entry
        .exceptions
        .iter()
        .filter(|x| x.kind == EventExceptionKind::Cancelled)
        .map(|x| local(&x.original_local))
        .collect();
    let moved = entry
        .exceptions
        .iter()
        .filter(|x| x.kind == EventExceptionKind::Moved)
        .filter_map(|x| {
            Some(MovedOccurrence {
                original: local(&x.original_local),
                when: when(e.all_day, x.start_local.as_deref()?, x.end_local.as_deref()),
                reason: x.reason.clone(),
            })
        })
        .collect();
    let mut description = e.description.clone();
    if let Some(reason) = e.cancel_reason.as_deref() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str("Abgesagt: ");
        description.push_str(reason);
    }
    let moved_from = e.moved_from_local.as_deref().map(|from| {
        let from = local(from);
        if e.all_day {
            from.format("%d.%m.%Y").to_string()
        } else {
            from.format("%d.%m.%Y, %H:%M Uhr").to_string()
        }
    });
    FeedEvent {
        id: e.id,
        title: e.title.clone(),
        description,
        when: when(e.all_day, &e.start_local, e.end_local.as_deref()),
        rrule: e.rrule.as_deref().map(|r| rrule_for(r, e.all_day, tz)),
        exdates,
        moved,
        cancelled: e.status == EventStatus::Cancelled,
        moved_from,
        sequence: u32::try_from(e.sequence).unwrap_or(0),
        created_at: e.created_at,
        updated_at: e.updated_at,
        place: e.place.clone(),
        geo: domain::geo::Location::from_e6(e.lat_e6, e.lon_e6).map(|l| (l.lat, l.lon)),
        category: category_label(e.category).to_owned(),
        organiser: entry.organisation_name,
        url: Some(format!("{base}/api/v1/events/{}", e.id)),
    }
}

/// A rendered feed and the fingerprint it was made from.
struct KeptFeed {
    fingerprint: String,
    etag: String,
    body: String,
}

/// The rendered feeds of this process, one per file (the town's and one per district: known
/// names only, since an unknown one is 404 before anything is kept).
#[derive(Default)]
pub struct KeptFeeds(Mutex<HashMap<String, Arc<KeptFeed>>>);

impl KeptFeeds {
    fn current(&self, file: &str, fingerprint: &str) -> Option<Arc<KeptFeed>> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.get(file)
            .filter(|feed| feed.fingerprint == fingerprint)
            .cloned()
    }

    fn keep(&self, file: &str, feed: Arc<KeptFeed>) {
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.insert(file.to_owned(), feed);
    }
}

/// Renders a feed: the events' queries, then the RFC 5545 text and its `ETag`.
async fn render_feed(
    state: &AppState,
    district: Option<&str>,
    fingerprint: String,
) -> ApiResult<KeptFeed> {
    let (district, entries) = events::feed(&state.db, state.clock.now(), district).await?;
    let tz = state.time_zone;
    let base = state.settings.public_url();
    let host = base
        .split("://")
        .nth(1)
        .unwrap_or(&base)
        .split('/')
        .next()
        .unwrap_or("dorfapp")
        .to_owned();
    let name = match &district {
        Some(d) => format!("Veranstaltungen {}", d.name),
        None => "Veranstaltungen".to_owned(),
    };
    let feed: Vec<FeedEvent> = entries
        .into_iter()
        .map(|entry| feed_event(entry, tz, &base))
        .collect();
    let body = ical::render(&Calendar {
        name: &name,
        tz,
        host: &host,
        events: &feed,
    });
    let digest = Sha256::digest(body.as_bytes());
    Ok(KeptFeed {
        fingerprint,
        etag: format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..18])),
        body,
    })
}

pub struct CalendarApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Events")]
impl CalendarApi {
    /// Subscribe to a calendar (iCal)
    ///
    /// Public. `gemeinde.ics`: every event of the town; `{district slug}.ics` (e.g.
    /// `rieder.ics`): a district's events and the whole town's. Subscribe in a calendar app
    /// with `webcal://` and the same address. Holds every published event with a date in the
    /// last 90 days or later (at most 5,000): series as `RRULE` with `EXDATE` for cancelled
    /// dates and an override per moved date, cancelled events with `STATUS:CANCELLED`, times
    /// in the municipality's zone (`VTIMEZONE`). `UID`s are stable; `SEQUENCE` and
    /// `LAST-MODIFIED` change with the event.
    #[oai(
        path = "/calendar/:file",
        method = "get",
        operation_id = "getCalendarFeed"
    )]
    async fn feed(
        &self,
        state: Data<&AppState>,
        /// `gemeinde.ics`, or a district's slug with `.ics` (`rieder.ics`).
        file: Path<String>,
        /// The `ETag` of a copy the client holds: 304 when it is still current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<CalendarFeed> {
        let not_found = || {
            domain::DomainError::NotFound(Text::new(
                "Diesen Kalender gibt es nicht: gemeinde.ics oder <Ortsteil>.ics.",
                "No such calendar: gemeinde.ics or <district>.ics.",
            ))
        };
        let stem = file.0.strip_suffix(".ics").ok_or_else(not_found)?;
        let district = (stem != TOWN_FILE).then_some(stem);
        // Read before the feed: a change that lands in between makes the next request render
        // again rather than keep a feed older than its fingerprint.
        let fingerprint = events::feed_fingerprint(&state.db, state.clock.now(), district).await?;
        let feed = match state.ical_feeds.current(&file.0, &fingerprint) {
            Some(feed) => feed,
            None => {
                let feed = Arc::new(render_feed(&state, district, fingerprint).await?);
                state.ical_feeds.keep(&file.0, feed.clone());
                feed
            }
        };
        if super::etag::none_match_hits(if_none_match.0.as_deref(), &feed.etag) {
            return Ok(CalendarFeed::NotModified(feed.etag.clone()));
        }
        Ok(CalendarFeed::Ok(
            IcsBody::Ics(PlainText(feed.body.clone())),
            feed.etag.clone(),
            "public, max-age=300".to_owned(),
        ))
    }
}
