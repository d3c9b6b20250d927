//! Before events were their own resource, a news item could carry an `event` (a time and a
//! place). Such items become events here, so that the calendar and the iCal feeds hold them
//! too: at start-up for what is already published (in the start-up transaction, since turning
//! an instant into the local time an event keeps needs the municipality's zone, which a
//! migration does not know), and, for an item that goes live later, by the
//! `event.adopt_news` job its publication queues.
//!
//! An adopted event names its item (`event.news_id`, unique): adopting twice changes nothing.
//! From then on the event is its own (the news item's `event` field is deprecated): a later
//! change of the item does not move it, and deleting the item leaves it in the calendar.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use entity::{
    event, news_item,
    vocab::{EventCategory, EventPublication, EventStatus, NewsStatus},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::{
    DESCRIPTION_MAX, PLACE_MAX, TITLE_MAX, load_view, messages, occurrences, project, stored,
    write_districts,
};
use crate::{
    clock::SharedClock,
    db,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
};

pub const ADOPT_JOB: &str = "event.adopt_news";
/// Items adopted per query at start-up.
const BATCH: u64 = 200;

/// Queues the adoption of a news item that has just gone live with an `event` (its own key:
/// each item once).
pub async fn queue(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    item: &news_item::Model,
) -> Result<(), DbErr> {
    if item.event_starts_at.is_none() {
        return Ok(());
    }
    jobs::enqueue(
        conn,
        clock,
        NewJob::new(
            ADOPT_JOB,
            serde_json::json!({ "news_id": item.id }),
            clock.now(),
        )
        .unique(format!("{ADOPT_JOB}:{}", item.id)),
    )
    .await
}

/// Every published news item with an `event` that is not yet an event becomes one. Returns
/// how many did.
pub async fn adopt_news_events(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    tz: Tz,
) -> Result<u64, DbErr> {
    let mut adopted = 0;
    loop {
        let adopted_ids = Query::select()
            .column(event::Column::NewsId)
            .from(event::Entity)
            .and_where(Expr::col(event::Column::NewsId).is_not_null())
            .to_owned();
        let items = news_item::Entity::find()
            .filter(news_item::Column::EventStartsAt.is_not_null())
            .filter(news_item::Column::Status.eq(NewsStatus::Published))
            .filter(news_item::Column::Id.not_in_subquery(adopted_ids))
            .order_by_asc(news_item::Column::Id)
            .limit(BATCH)
            .all(conn)
            .await?;
        if items.is_empty() {
            return Ok(adopted);
        }
        for item in items {
            adopt(conn, clock, tz, item).await?;
            adopted += 1;
        }
    }
}

/// `event.adopt_news`: adopts the one item, if it is still published, carries an event and
/// is not adopted yet.
pub async fn adopt_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        news_id: Uuid,
    }
    let payload: Payload = job.payload()?;
    let txn = db::begin_write(&ctx.db).await?;
    let item = news_item::Entity::find_by_id(payload.news_id)
        .one(&txn)
        .await?
        .filter(|i| i.status == NewsStatus::Published && i.event_starts_at.is_some());
    let adopted = event::Entity::find()
        .filter(event::Column::NewsId.eq(payload.news_id))
        .one(&txn)
        .await?
        .is_some();
    if let Some(item) = item
        && !adopted
    {
        adopt(&txn, &ctx.clock, ctx.time_zone, item).await?;
    }
    txn.commit().await?;
    Ok(JobOutcome::Done)
}

/// The local wall-clock time of an instant, in whole seconds as an event keeps it.
fn local(at: DateTime<Utc>, tz: Tz) -> chrono::NaiveDateTime {
    let local = at.with_timezone(&tz).naive_local();
    local.with_nanosecond(0).unwrap_or(local)
}

/// One item becomes an event: its title, its body as the description, its time (local, in
/// the municipality's zone), its place and districts, its organisation and author, published
/// like the item. An end more than [`occurrences::MAX_DURATION`] after the start (which no
/// event may have) is kept as a line of the description instead.
async fn adopt(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    tz: Tz,
    item: news_item::Model,
) -> Result<(), DbErr> {
    let Some(event_start) = item.event_starts_at else {
        return Ok(());
    };
    let now = clock.now();
    let start_local = local(event_start, tz);
    let starts_at = super::recurrence::resolve(start_local, tz);
    let mut description = item.body.clone();
    let (end_local, ends_at) = match item.event_ends_at {
        Some(end) if end > starts_at && end - starts_at <= occurrences::MAX_DURATION => {
            let end_local = local(end, tz);
            (
                Some(end_local),
                Some(super::recurrence::resolve(end_local, tz)),
            )
        }
        Some(end) if end > starts_at => {
            let note = format!("\n\nBis {}", messages::when(end, tz, false));
            if description.chars().count() + note.chars().count() <= DESCRIPTION_MAX {
                description.push_str(&note);
            }
            (None, None)
        }
        _ => (None, None),
    };
    let districts: Vec<Uuid> = serde_json::from_str(&item.district_ids).unwrap_or_default();
    let ev = event::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(item.title.chars().take(TITLE_MAX).collect()),
        description: Set(description.chars().take(DESCRIPTION_MAX).collect()),
        category: Set(EventCategory::Other),
        status: Set(EventStatus::Scheduled),
        publication: Set(EventPublication::Published),
        unpublished_reason: Set(None),
        organisation_id: Set(item.organisation_id),
        organiser_name: Set(None),
        news_id: Set(Some(item.id)),
        all_day: Set(false),
        tz: Set(tz.name().to_owned()),
        start_local: Set(stored(start_local)),
        end_local: Set(end_local.map(stored)),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        rrule: Set(None),
        moved_from_local: Set(None),
        moved_from_at: Set(None),
        cancelled_at: Set(None),
        cancel_reason: Set(None),
        place: Set(item
            .event_location
            .as_deref()
            .map(|p| p.chars().take(PLACE_MAX).collect())),
        lat_e6: Set(None),
        lon_e6: Set(None),
        sequence: Set(0),
        // The item told whom it was to tell when it went live; the event tells nobody again.
        notify: Set(false),
        expanded_until: Set(None),
        created_by: Set(item.author_id),
        created_at: Set(item.created_at),
        updated_at: Set(item.updated_at),
    }
    .insert(conn)
    .await?;
    write_districts(conn, ev.id, &districts).await?;
    let mut view = load_view(conn, ev)
        .await
        .map_err(|err| DbErr::Custom(format!("{err:?}")))?;
    project(conn, clock, &mut view, now)
        .await
        .map_err(|err| DbErr::Custom(format!("{err:?}")))?;
    tracing::info!(news_id = %item.id, event_id = %view.event.id, "news item with an event adopted as an event");
    Ok(())
}
