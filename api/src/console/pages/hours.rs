//! A shop's opening hours: the weekly windows (two a day, more when the shop already has them)
//! with a live "open now / opens at" line while typing, and the special days (holidays,
//! inventory, a longer Saturday before Christmas). Saving is the API's `setOpeningHours` and
//! `setSpecialDays` rules; their errors (`[3].closes`) are shown next to the input they name.

use std::collections::HashMap;

use askama::Template;
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Path, Query},
};
use uuid::Uuid;

use super::{Chrome, DoneQuery, LineFragment, fragment_response, has_chrome, render, see_other};
use crate::{
    console::{
        edge::domain_failure,
        forms::{FieldErrors, FormData, refusal},
        i18n::{Labels, labels},
        session::{Console, ConsolePost},
    },
    state::AppState,
};
use domain::{
    DomainError,
    shops::{
        self,
        opening_hours::{self, SpecialDay, Window},
    },
    text::FieldError,
};

/// Input slots per weekday when the shop has fewer windows (a lunch break is two).
const SLOTS_PER_DAY: usize = 2;
/// Empty rows for new special days.
const NEW_SPECIAL_ROWS: usize = 2;

pub struct Slot {
    pub opens_name: String,
    pub closes_name: String,
    pub opens: String,
    pub closes: String,
    pub opens_error: String,
    pub closes_error: String,
}

pub struct Day {
    pub label: &'static str,
    pub slots: Vec<Slot>,
}

pub struct SpecialRow {
    pub n: usize,
    pub date: String,
    pub closed: bool,
    pub opens: String,
    pub closes: String,
    pub note: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "shop_hours.html")]
pub struct HoursPage {
    pub chrome: Chrome,
    pub id: String,
    pub name: String,
    pub open_line: String,
    pub days: Vec<Day>,
    pub special: Vec<SpecialRow>,
    pub errors: FieldErrors,
    pub banner: String,
    pub success: String,
}

has_chrome!(HoursPage);

/// The form's fields by name, first value first (as [`FormData::get`]), looked up in constant
/// time: the loops below ask for hundreds of names, and a hostile form may hold many thousands.
fn by_name(form: &FormData) -> HashMap<&str, &str> {
    let mut fields = HashMap::with_capacity(form.0.len());
    for (name, value) in &form.0 {
        fields.entry(name.as_str()).or_insert(value.as_str());
    }
    fields
}

/// The weekly windows as typed: `(input name of opens, input name of closes, window)`, in the
/// order the rule numbers them, so that its `[i].closes` finds its input again. At most
/// [`opening_hours::MAX_WINDOWS`] slots a day are read: more cannot pass the rule anyway.
fn typed_windows(form: &FormData) -> Vec<(String, String, Window)> {
    let fields = by_name(form);
    let mut typed = Vec::new();
    for weekday in 1..=7u8 {
        for slot in 0..opening_hours::MAX_WINDOWS {
            let opens_name = format!("d{weekday}_{slot}_opens");
            let closes_name = format!("d{weekday}_{slot}_closes");
            let Some(opens) = fields.get(opens_name.as_str()).map(|v| v.trim()) else {
                break;
            };
            let closes = fields.get(closes_name.as_str()).map_or("", |v| v.trim());
            if opens.is_empty() && closes.is_empty() {
                continue; // an unused slot
            }
            typed.push((
                opens_name.clone(),
                closes_name,
                Window {
                    weekday,
                    opens: opens.to_owned(),
                    closes: closes.to_owned(),
                },
            ));
        }
    }
    typed
}

/// The special days as typed (a row without a date is no day: that is how one is removed).
/// One row more than the rule allows is read, so that too many are refused by the rule.
fn typed_special(form: &FormData) -> Vec<(usize, SpecialDay)> {
    let fields = by_name(form);
    let mut typed = Vec::new();
    for n in 0..=opening_hours::MAX_SPECIAL_DAYS {
        let Some(date) = fields.get(format!("s{n}_date").as_str()).map(|v| v.trim()) else {
            break;
        };
        if date.is_empty() {
            continue;
        }
        let text = |name: &str| {
            fields
                .get(format!("s{n}_{name}").as_str())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        typed.push((
            n,
            SpecialDay {
                date: date.to_owned(),
                closed: fields.get(format!("s{n}_closed").as_str()) == Some(&"on"),
                opens: text("opens"),
                closes: text("closes"),
                note: text("note"),
            },
        ));
    }
    typed
}

/// The rule's `[i].field` errors, renamed to the inputs they are about.
fn rename(
    errors: Vec<FieldError>,
    name_of: impl Fn(usize, &str) -> Option<String>,
) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some((index, field)) = e
                .field
                .strip_prefix('[')
                .and_then(|rest| rest.split_once("]."))
                && let Ok(index) = index.parse::<usize>()
                && let Some(name) = name_of(index, field)
            {
                e.field = name;
            }
            e
        })
        .collect()
}

/// What the page shows: the stored schedule, or what was typed (with the rule's errors).
struct Shown {
    weekly: Vec<Window>,
    special: Vec<(usize, SpecialDay)>,
}

fn days(t: &'static Labels, weekly: &[Window], errors: &FieldErrors) -> Vec<Day> {
    (1..=7u8)
        .map(|weekday| {
            let mut windows: Vec<&Window> =
                weekly.iter().filter(|w| w.weekday == weekday).collect();
            windows.sort_by(|a, b| a.opens.cmp(&b.opens));
            let count = windows.len().max(SLOTS_PER_DAY);
            Day {
                label: t.hours.weekdays[usize::from(weekday - 1)],
                slots: (0..count)
                    .map(|slot| {
                        let opens_name = format!("d{weekday}_{slot}_opens");
                        let closes_name = format!("d{weekday}_{slot}_closes");
                        let window = windows.get(slot);
                        Slot {
                            opens_error: errors.of(&opens_name).to_owned(),
                            closes_error: errors.of(&closes_name).to_owned(),
                            opens: window.map(|w| w.opens.clone()).unwrap_or_default(),
                            closes: window.map(|w| w.closes.clone()).unwrap_or_default(),
                            opens_name,
                            closes_name,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// "Jetzt geöffnet, bis 18:00" / "Geschlossen. Öffnet Mo. 2. Juni, 7:00", for a schedule.
pub fn open_line(
    state: &AppState,
    lang: domain::text::Lang,
    weekly: &[Window],
    special: &[SpecialDay],
) -> String {
    let t = labels(lang);
    let moment = |at| crate::console::i18n::moment(at, state.time_zone, lang);
    match opening_hours::status(state.clock.now(), state.time_zone, weekly, special) {
        (true, Some(at)) => format!("{} {}", t.shop_open_until, moment(at)),
        (true, None) => t.shop_open.to_owned(),
        (false, Some(at)) => format!("{} {}", t.shop_opens_at, moment(at)),
        (false, None) => t.shop_closed.to_owned(),
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one page, shown from three handlers with what each knows"
)]
async fn hours_page(
    state: &AppState,
    page: &Console,
    id: Uuid,
    status: StatusCode,
    shown: Option<Shown>,
    errors: FieldErrors,
    banner: String,
    success: String,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    // The operator's rule, as for the shop page: others get 403 before anything is shown.
    shops::follower_count(&state.db, &page.actor, id)
        .await
        .map_err(domain_failure)?;
    let view = shops::get(&state.db, id).await.map_err(domain_failure)?;
    let open_line = open_line(state, page.lang, &view.weekly, &view.special);
    let shown = shown.unwrap_or_else(|| Shown {
        weekly: view.weekly.clone(),
        special: view.special.iter().cloned().enumerate().collect(),
    });
    let mut special: Vec<SpecialRow> = shown
        .special
        .iter()
        .map(|(n, d)| SpecialRow {
            n: *n,
            date: d.date.clone(),
            closed: d.closed,
            opens: d.opens.clone().unwrap_or_default(),
            closes: d.closes.clone().unwrap_or_default(),
            note: d.note.clone().unwrap_or_default(),
            error: ["date", "opens", "closes", "note", "closed"]
                .iter()
                .map(|f| errors.of(&format!("s{n}_{f}")))
                .find(|e| !e.is_empty())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    let next = special.iter().map(|r| r.n + 1).max().unwrap_or(0);
    special.extend((next..next + NEW_SPECIAL_ROWS).map(|n| SpecialRow {
        n,
        date: String::new(),
        closed: true,
        opens: String::new(),
        closes: String::new(),
        note: String::new(),
        error: String::new(),
    }));
    Ok(render(
        status,
        &HoursPage {
            chrome: Chrome::signed_in(
                state,
                page,
                format!("{}: {}", t.hours.title, view.shop.name),
                &format!("/console/shops/{id}"),
            )
            .await?,
            id: id.to_string(),
            name: view.shop.name,
            open_line,
            days: days(t, &shown.weekly, &errors),
            special,
            errors,
            banner,
            success,
        },
    ))
}

/// `GET /console/shops/{id}/hours`
#[handler]
pub async fn show(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let success = if query.done.is_some() {
        t.hours.saved.to_owned()
    } else {
        String::new()
    };
    hours_page(
        state,
        &page,
        id,
        StatusCode::OK,
        None,
        FieldErrors::default(),
        String::new(),
        success,
    )
    .await
}

async fn after_save(
    state: &AppState,
    page: &Console,
    id: Uuid,
    outcome: Result<(), DomainError>,
    shown: Shown,
) -> poem::Result<Response> {
    match outcome {
        Ok(()) => Ok(see_other(&format!("/console/shops/{id}/hours?done=1"))),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            hours_page(
                state,
                page,
                id,
                refused.status,
                Some(shown),
                refused.errors,
                refused.banner,
                String::new(),
            )
            .await
        }
    }
}

/// `POST /console/shops/{id}/hours`: the API's `setOpeningHours` rule.
#[handler]
pub async fn save_weekly(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let typed = typed_windows(&form);
    let windows: Vec<Window> = typed.iter().map(|(_, _, w)| w.clone()).collect();
    let outcome =
        shops::set_opening_hours(&state.db, &state.clock, &page.actor, id, windows.clone())
            .await
            .map(|_| ())
            .map_err(|err| match err {
                DomainError::Validation(errors) => {
                    DomainError::Validation(rename(errors, |i, field| {
                        typed.get(i).map(|(opens, closes, _)| {
                            if field == "closes" {
                                closes.clone()
                            } else {
                                opens.clone()
                            }
                        })
                    }))
                }
                other => other,
            });
    let special = shops::get(&state.db, id)
        .await
        .map(|v| v.special.into_iter().enumerate().collect())
        .unwrap_or_default();
    after_save(
        state,
        &page,
        id,
        outcome,
        Shown {
            weekly: windows,
            special,
        },
    )
    .await
}

/// `POST /console/shops/{id}/special-days`: the API's `setSpecialDays` rule.
#[handler]
pub async fn save_special(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let typed = typed_special(&form);
    let days: Vec<SpecialDay> = typed.iter().map(|(_, d)| d.clone()).collect();
    let outcome = shops::set_special_days(&state.db, &state.clock, &page.actor, id, days)
        .await
        .map(|_| ())
        .map_err(|err| match err {
            DomainError::Validation(errors) => {
                DomainError::Validation(rename(errors, |i, field| {
                    typed.get(i).map(|(n, _)| format!("s{n}_{field}"))
                }))
            }
            other => other,
        });
    let weekly = shops::get(&state.db, id)
        .await
        .map(|v| v.weekly)
        .unwrap_or_default();
    after_save(
        state,
        &page,
        id,
        outcome,
        Shown {
            weekly,
            special: typed,
        },
    )
    .await
}

/// `POST /console/shops/{id}/hours/preview` (htmx): whether the shop would be open now with
/// the weekly hours as typed; nothing is saved.
#[handler]
pub async fn preview(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let t = labels(page.lang);
    shops::follower_count(&state.db, &page.actor, id)
        .await
        .map_err(domain_failure)?;
    let view = shops::get(&state.db, id).await.map_err(domain_failure)?;
    let windows: Vec<Window> = typed_windows(&form)
        .into_iter()
        .map(|(_, _, w)| w)
        .collect();
    let line = if opening_hours::validate_windows(&windows).is_empty() {
        format!(
            "{} {}",
            t.hours.preview_prefix,
            open_line(state, page.lang, &windows, &view.special)
        )
    } else {
        t.hours.preview_invalid.to_owned()
    };
    fragment_response(LineFragment { line }.render())
}
