//! `event_occurrence`: the projection calendar queries read. [`sync`] rewrites one event's rows
//! inside the transaction that changes the event, from a year back to [`HORIZON`] ahead, so a
//! write costs at most [`PER_EVENT_MAX`] occurrences × its districts, and a read costs no
//! expansion at all: a page is one or two index range scans, keyset-paginated by
//! `(starts_at, event_id)`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use entity::{
    event, event_exception, event_occurrence,
    vocab::{EventCategory, EventExceptionKind, EventPublication, EventStatus},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{parse_stored, recurrence};

/// How far ahead occurrences are kept (and a calendar can be asked for).
pub const HORIZON: Duration = Duration::days(730);
/// How far back they are kept.
pub const PAST: Duration = Duration::days(366);
/// The most occurrences one event projects (a daily series over the horizon and the past fits).
pub const PER_EVENT_MAX: usize = 1100;
/// The longest an event (one occurrence) may last: bounds the range scan of a window.
pub const MAX_DURATION: Duration = Duration::days(14);
/// The longest window one calendar query covers.
pub const SPAN_MAX: Duration = Duration::days(366);

/// One occurrence as the event's rules and exceptions make it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dated {
    pub original_at: DateTime<Utc>,
    pub original_local: NaiveDateTime,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: EventStatus,
}

/// Where an occurrence that starts at local `start` ends: the event's duration in wall-clock
/// time (an evening from 19:00 to 22:00 stays that across a change of summer time); an event
/// without an end ends as it starts; an all-day event at the end of its last day.
pub fn end_of(ev: &event::Model, tz: Tz, start: NaiveDateTime) -> DateTime<Utc> {
    let first = parse_stored(&ev.start_local);
    let last = ev.end_local.as_deref().map(parse_stored);
    if ev.all_day {
        let days = last.map_or(0, |l| (l.date() - first.date()).num_days());
        let after = start.date() + Duration::days(days + 1);
        recurrence::resolve(after.and_time(chrono::NaiveTime::MIN), tz)
    } else {
        match last {
            Some(end) => recurrence::resolve(start + (end - first), tz),
            None => recurrence::resolve(start, tz),
        }
    }
}

/// Every occurrence of the event in `[from, to)` by its original start, with its exceptions
/// applied (cancelled ones stay, marked; moved ones at their new time).
pub fn dates(
    ev: &event::Model,
    exceptions: &[event_exception::Model],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Vec<Dated> {
    let tz: Tz = ev.tz.parse().unwrap_or(chrono_tz::UTC);
    let start = parse_stored(&ev.start_local);
    let Some(rule) = ev
        .rrule
        .as_deref()
        .and_then(|text| recurrence::Rule::parse(text).ok())
    else {
        let status = ev.status;
        return vec![Dated {
            original_at: ev.moved_from_at.unwrap_or(ev.starts_at),
            original_local: start,
            starts_at: ev.starts_at,
            ends_at: ev.ends_at.unwrap_or(ev.starts_at).max(ev.starts_at),
            status,
        }];
    };
    let by_original: HashMap<NaiveDateTime, &event_exception::Model> = exceptions
        .iter()
        .map(|x| (parse_stored(&x.original_local), x))
        .collect();
    recurrence::expand(&rule, start, tz, &BTreeSet::new(), from, to, limit)
        .into_iter()
        .map(|occurrence| {
            let plain = Dated {
                original_at: occurrence.start,
                original_local: occurrence.local,
                starts_at: occurrence.start,
                ends_at: end_of(ev, tz, occurrence.local),
                status: if ev.status == EventStatus::Cancelled {
                    EventStatus::Cancelled
                } else {
                    EventStatus::Scheduled
                },
            };
            match by_original.get(&occurrence.local) {
                Some(x) if x.kind == EventExceptionKind::Cancelled => Dated {
                    status: EventStatus::Cancelled,
                    ..plain
                },
                Some(x) => {
                    let starts_at = x.starts_at.unwrap_or(plain.starts_at);
                    Dated {
                        starts_at,
                        ends_at: x.ends_at.unwrap_or(starts_at).max(starts_at),
                        status: if plain.status == EventStatus::Cancelled {
                            EventStatus::Cancelled
                        } else {
                            EventStatus::Moved
                        },
                        ..plain
                    }
                }
                None => plain,
            }
        })
        .collect()
}

/// Rewrites the event's rows: none unless it is published; otherwise one per occurrence (from
/// [`PAST`] back to [`HORIZON`] ahead) and placement. Call it in the transaction that changed
/// the event, with the event's row locked.
pub async fn sync(
    conn: &impl ConnectionTrait,
    ev: &event::Model,
    districts: &[Uuid],
    exceptions: &[event_exception::Model],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    event_occurrence::Entity::delete_many()
        .filter(event_occurrence::Column::EventId.eq(ev.id))
        .exec(conn)
        .await?;
    if ev.publication != EventPublication::Published {
        return Ok(None);
    }
    let until = now + HORIZON;
    let dated = dates(ev, exceptions, now - PAST, until, PER_EVENT_MAX);
    let placements: Vec<Option<Uuid>> = if districts.is_empty() {
        vec![None]
    } else {
        districts.iter().copied().map(Some).collect()
    };
    let rows: Vec<event_occurrence::ActiveModel> = dated
        .iter()
        .flat_map(|d| {
            placements.iter().enumerate().map(move |(index, district)| {
                event_occurrence::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    event_id: Set(ev.id),
                    district_id: Set(*district),
                    listed: Set(index == 0),
                    original_at: Set(d.original_at),
                    starts_at: Set(d.starts_at),
                    ends_at: Set(d.ends_at),
                    category: Set(ev.category),
                    status: Set(d.status),
                }
            })
        })
        .collect();
    // 10 columns a row: 100 rows stay far below SQLite's limit of bound values.
    for chunk in rows.chunks(100) {
        event_occurrence::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(ev.rrule.as_ref().map(|_| until))
}

/// A calendar query: occurrences that meet `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// A district's calendar (its own and the town-wide events), or the whole town's.
    pub district: Option<Uuid>,
    pub category: Option<EventCategory>,
    pub organisation: Option<Uuid>,
    pub include_cancelled: bool,
    /// The last `(starts_at, event_id)` seen.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

/// One range scan: the rows of one placement (a district, the town-wide ones, or the listed
/// ones), in calendar order after the cursor.
async fn scan(
    conn: &impl ConnectionTrait,
    query: &CalendarQuery,
    placement: Condition,
) -> Result<Vec<event_occurrence::Model>, DbErr> {
    use event_occurrence::Column as C;
    let mut select = event_occurrence::Entity::find()
        .filter(placement)
        // Everything that meets the window: started before its end, and ends after its start
        // (or starts in it). Events last at most MAX_DURATION, which bounds the scan.
        .filter(C::StartsAt.gte(query.from - MAX_DURATION))
        .filter(C::StartsAt.lt(query.to))
        .filter(
            Condition::any()
                .add(C::EndsAt.gt(query.from))
                .add(C::StartsAt.gte(query.from)),
        );
    if let Some(category) = query.category {
        select = select.filter(C::Category.eq(category));
    }
    if !query.include_cancelled {
        select = select.filter(C::Status.ne(EventStatus::Cancelled));
    }
    if let Some(organisation) = query.organisation {
        select = select.filter(
            C::EventId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(event::Column::Id)
                    .from(event::Entity)
                    .and_where(event::Column::OrganisationId.eq(organisation))
                    .to_owned(),
            ),
        );
    }
    if let Some((at, id)) = query.after {
        select = select
            // The plain bound lets the index range start at the cursor; the OR alone would be
            // a filter over every row from the window's start (PostgreSQL: 0.8 ms against
            // 0.24 ms for page 11 of a year at 10,000 events).
            .filter(C::StartsAt.gte(at))
            .filter(
                Condition::any().add(C::StartsAt.gt(at)).add(
                    Condition::all()
                        .add(C::StartsAt.eq(at))
                        .add(C::EventId.gt(id)),
                ),
            );
    }
    select
        .order_by_asc(C::StartsAt)
        .order_by_asc(C::EventId)
        .limit(query.limit + 1)
        .all(conn)
        .await
}

/// A page of occurrences in calendar order, and whether more follow.
pub async fn page(
    conn: &impl ConnectionTrait,
    query: &CalendarQuery,
) -> Result<(Vec<event_occurrence::Model>, bool), DbErr> {
    use event_occurrence::Column as C;
    let mut rows = match query.district {
        // The whole town: each occurrence once.
        None => scan(conn, query, Condition::all().add(C::Listed.eq(true))).await?,
        // A district: its own rows and the town-wide ones, two scans merged (an event is either
        // for districts or for the whole town, so no occurrence is in both).
        Some(district) => {
            let mut own = scan(
                conn,
                query,
                Condition::all().add(C::DistrictId.eq(district)),
            )
            .await?;
            own.extend(scan(conn, query, Condition::all().add(C::DistrictId.is_null())).await?);
            own.sort_by_key(|o| (o.starts_at, o.event_id));
            own
        }
    };
    let more = rows.len() as u64 > query.limit;
    rows.truncate(query.limit as usize);
    Ok((rows, more))
}
