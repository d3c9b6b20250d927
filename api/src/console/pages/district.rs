//! A district mayor's start page: their news with how far each push got, the open Anliegen,
//! the coming events and the ride figures of the district. Each part is the API's own read;
//! the ride figures' rule decides who may open the page (the district's leaders and staff).

use askama::Template;
use chrono::Duration;
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Path},
};
use uuid::Uuid;

use super::{Chrome, has_chrome, news::status_label, render};
use crate::{
    console::{
        edge::domain_failure,
        i18n::{labels, moment},
        session::Console,
    },
    state::AppState,
};
use domain::{anliegen, clock, events, news, notices::DeliveryCounts, rides};

pub struct NewsRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub when: String,
    pub delivery: Option<DeliveryCounts>,
}

pub struct EventRow {
    pub title: String,
    pub when: String,
}

pub struct Figure {
    pub label: String,
    pub count: u64,
}

#[derive(Template)]
#[template(path = "district.html")]
pub struct DistrictPage {
    pub chrome: Chrome,
    pub id: String,
    pub name: String,
    pub news: Vec<NewsRow>,
    pub open_anliegen: usize,
    pub events: Vec<EventRow>,
    pub rides_total: u64,
    pub rides: Vec<Figure>,
    pub rides_suppressed: bool,
}

has_chrome!(DistrictPage);

/// `GET /console/districts/{id}`
#[handler]
pub async fn show(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let (db, actor, tz) = (&state.db, &page.actor, state.time_zone);
    let district = domain::districts::get(db, id)
        .await
        .map_err(domain_failure)?;
    let now = state.clock.now();
    // Whole days, at least the shortest window a leader may count.
    let today = clock::start_of_day(now, tz);
    let stats = rides::stats(
        db,
        actor,
        Some(id),
        Some(today - Duration::days(30)),
        Some(today + Duration::days(1)),
        tz,
    )
    .await
    .map_err(domain_failure)?;
    let (mine, _) = news::mine(db, &state.clock, actor, None, None, 10)
        .await
        .map_err(domain_failure)?;
    let mut news_rows = Vec::new();
    for view in mine.iter().filter(|v| v.district_ids.contains(&id)) {
        let when = view
            .item
            .publish_at
            .map(|at| moment(at, tz, page.lang))
            .unwrap_or_default();
        news_rows.push(NewsRow {
            id: view.item.id.to_string(),
            title: view.item.title.clone(),
            status: status_label(t, view.status).to_owned(),
            when,
            delivery: news::delivery(db, &state.clock, actor, view.item.id)
                .await
                .ok(),
        });
    }
    let (queue, _) = anliegen::queue(
        db,
        actor,
        &anliegen::ListQuery {
            district_id: Some(id),
            status: None,
            kind: None,
            after: None,
            limit: 100,
        },
    )
    .await
    .unwrap_or_default();
    let open_anliegen = queue.iter().filter(|a| a.anliegen.status.is_open()).count();
    let calendar = events::calendar(
        db,
        &state.clock,
        events::occurrences::CalendarQuery {
            from: now,
            to: today + Duration::days(15),
            district: Some(id),
            category: None,
            organisation: None,
            include_cancelled: false,
            after: None,
            limit: 10,
        },
    )
    .await
    .map_err(domain_failure)?;
    let events = calendar
        .items
        .iter()
        .map(|(occurrence, event)| EventRow {
            title: event.title.clone(),
            when: moment(occurrence.starts_at, tz, page.lang),
        })
        .collect();
    let rides = stats
        .by_status
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(status, count)| Figure {
            label: crate::console::i18n::ride_status(t, *status).to_owned(),
            count: *count,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &DistrictPage {
            chrome: Chrome::signed_in(
                state,
                &page,
                district.name.clone(),
                &format!("/console/districts/{id}"),
            )
            .await?,
            id: id.to_string(),
            name: district.name,
            news: news_rows,
            open_anliegen,
            events,
            rides_total: stats.total,
            rides,
            rides_suppressed: stats.small_counts_suppressed,
        },
    ))
}
