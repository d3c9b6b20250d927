//! The printed Aushang: what a district's notice board shows for one ISO week, for the people
//! the app does not reach (issue 21; `docs/api-guide.md`, "A district's printed Aushang").
//! [`week`] fills an [`aushang::Sheet`] from what the public API shows anonymously for that
//! district (its own items and the town-wide ones); [`render`] turns it into the PDF on a
//! blocking thread.
//!
//! In print order:
//! 1. **Warnungen**, framed: warnings live during the week.
//! 2. **Nachrichten**: items published in the week, and the pinned ones, newest first, each
//!    with the first paragraph of its text cut at a word.
//! 3. **Termine**: the calendar's dates of 14 days from Monday (the sheet hangs a week).
//! 4. **Dorfladen**: each shop of the district with its hours of the week's dates, special
//!    days applied, and its notices valid then.
//! 5. **Fahrdienst**: the ride desk's number, never trimmed (`keep`); left out when unset.
//! 6. **Anliegen**: the newest public answer of each published Anliegen of the last 4 weeks.
//!
//! Everything is public *now* as well: a week printed in advance shows no scheduled item, a
//! past week no expired one. The sheet carries no clock: its "Stand" is the newest change
//! among what it shows, so the same data gives the same bytes and a strong `ETag`.

use ::aushang::{Item, Section, Sheet};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use entity::{district, event, event_occurrence, news_item, vocab::NewsCategory};
use sea_orm::ConnectionTrait;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{
    DomainError, DomainResult,
    anliegen::{self, messages::status_name},
    clock::{SharedClock, day_bounds},
    districts,
    events::{self, occurrences::CalendarQuery},
    news,
    shops::{
        self, NoticeScope,
        opening_hours::{self, Minutes},
    },
    text::field,
};

/// An ISO week as the API takes it: `2026-W49`. [`Week::parse`] reads exactly what this
/// matches, except a week 53 of a year that has 52.
pub const WEEK_PATTERN: &str = "^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$";
/// How far back a sheet can be asked for (a year), and how far ahead.
pub const WEEKS_BACK: i64 = 52;
pub const WEEKS_AHEAD: i64 = 8;
/// The days of events a sheet lists, from its Monday: it hangs for a week, so the week after
/// is on it too.
pub const EVENT_DAYS: i64 = 14;
/// How far back from the week's end answers to Anliegen are reported.
pub const ANSWER_DAYS: i64 = 28;
/// Printed when items had to be dropped to stay within two pages.
pub const OVERFLOW_NOTE: &str = "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt";
/// Sheets laid out and written at once: rendering is CPU-bound (shaping, font subsetting,
/// compression), and the cores belong to the requests.
pub const RENDERS_AT_ONCE: usize = 2;

/// Roughly how much of an item's text is printed: a paragraph, not the article.
const EXCERPT_CHARS: usize = 350;
const NOTICE_CHARS: usize = 200;
const ANSWER_CHARS: usize = 300;
/// More than two pages hold: the layout trims the rest and prints [`OVERFLOW_NOTE`].
const ITEMS_MAX: u64 = 60;
const SHOPS_MAX: u64 = 10;
const NOTICES_PER_SHOP: u64 = 3;
const ANSWERS_MAX: usize = 10;

/// A week of the ISO calendar (Monday to Sunday).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Week {
    monday: NaiveDate,
}

impl Week {
    /// Reads `2026-W49`: [`WEEK_PATTERN`], and a week that exists (2025 has no week 53).
    pub fn parse(text: &str) -> Option<Self> {
        let (year, number) = text.split_once("-W")?;
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(number, 2) {
            return None;
        }
        let number: u32 = number.parse().ok()?;
        if !(1..=53).contains(&number) {
            return None;
        }
        NaiveDate::from_isoywd_opt(year.parse().ok()?, number, Weekday::Mon)
            .map(|monday| Self { monday })
    }

    /// The week `date` lies in.
    pub fn containing(date: NaiveDate) -> Self {
        let back = u64::from(date.weekday().num_days_from_monday());
        Self {
            monday: date - chrono::Days::new(back),
        }
    }

    pub fn monday(self) -> NaiveDate {
        self.monday
    }

    /// The week's number within its ISO year (1–53).
    pub fn number(self) -> u32 {
        self.monday.iso_week().week()
    }

    /// `2026-W49`, as [`Week::parse`] reads it.
    pub fn label(self) -> String {
        let iso = self.monday.iso_week();
        format!("{:04}-W{:02}", iso.year(), iso.week())
    }

    fn day(self, offset: i64) -> NaiveDate {
        self.monday + Duration::days(offset)
    }
}

/// The week asked for (`2026-W49`), or the current one; 422 naming `week` when it is not an
/// ISO week, does not exist, or lies more than [`WEEKS_BACK`] back or [`WEEKS_AHEAD`] ahead.
pub fn choose_week(asked: Option<&str>, now: DateTime<Utc>, tz: Tz) -> DomainResult<Week> {
    let current = Week::containing(now.with_timezone(&tz).date_naive());
    let Some(asked) = asked else {
        return Ok(current);
    };
    let refuse = |de, en| DomainError::Validation(vec![field("week", de, en)]);
    let week = Week::parse(asked).ok_or_else(|| {
        if is_week_53(asked) {
            refuse(
                "Diese Kalenderwoche gibt es nicht: das Jahr hat nur 52 Wochen.",
                "No such week: the year has only 52 weeks.",
            )
        } else {
            refuse(
                "Eine Kalenderwoche wie 2026-W49 (Jahr, „-W“, Woche 01–53).",
                "An ISO week such as 2026-W49 (year, \"-W\", week 01–53).",
            )
        }
    })?;
    let weeks = (week.monday - current.monday).num_days() / 7;
    if !(-WEEKS_BACK..=WEEKS_AHEAD).contains(&weeks) {
        return Err(refuse(
            "Höchstens ein Jahr zurück und acht Wochen im Voraus.",
            "At most a year back and eight weeks ahead.",
        ));
    }
    Ok(week)
}

/// Whether `text` is a week 53 in the form of [`WEEK_PATTERN`]: then it fails to exist only
/// because its year has 52 weeks.
fn is_week_53(text: &str) -> bool {
    text.len() == 8
        && text.get(4..6) == Some("-W")
        && text.get(6..) == Some("53")
        && text
            .get(..4)
            .is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()))
}

/// What the sheet needs beyond the database: where the app is, and the ride desk's number.
#[derive(Clone, Copy, Debug)]
pub struct SheetSettings<'a> {
    /// The server's public address; printed without its scheme (`dorf.example`).
    pub public_url: &'a str,
    /// The ride desk's number as residents dial it; no Fahrdienst section without it.
    pub ride_desk_phone: Option<&'a str>,
}

/// A district's sheet for one week, ready to [`render`].
#[derive(Clone, Debug)]
pub struct Aushang {
    pub district: district::Model,
    pub week: Week,
    pub sheet: Sheet,
}

impl Aushang {
    /// `aushang-rieder-2026-W49.pdf`.
    pub fn file_name(&self) -> String {
        format!("aushang-{}-{}.pdf", self.district.slug, self.week.label())
    }
}

/// The newest change among what is shown (the sheet's "Stand").
struct Newest(DateTime<Utc>);

impl Newest {
    fn see(&mut self, at: DateTime<Utc>) {
        self.0 = self.0.max(at);
    }
}

/// Fills a district's sheet for `asked` (`2026-W49`; the current week when `None`): 404 for an
/// unknown district, 422 `week` for a week that cannot be printed ([`choose_week`]).
pub async fn week(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    tz: Tz,
    district_id: Uuid,
    asked: Option<&str>,
    settings: SheetSettings<'_>,
) -> DomainResult<Aushang> {
    let district = districts::get(conn, district_id).await?;
    let now = clock.now();
    let week = choose_week(asked, now, tz)?;
    let start = |offset: i64| day_bounds(week.day(offset), tz).0;
    let days = (start(0), start(7));
    let mut newest = Newest(district.updated_at);

    let news = news::for_week(conn, district.id, days, now, ITEMS_MAX).await?;
    let (warnings, news): (Vec<_>, Vec<_>) = news
        .into_iter()
        .partition(|item| item.category == NewsCategory::Warning);
    // `for_week` gives the warnings live in the week and, of the rest, only what was published
    // in it or is pinned.
    let mut sections = vec![
        Section {
            heading: "Warnungen".to_owned(),
            items: news_items(&warnings, tz, &mut newest, true),
            framed: true,
            keep: false,
        },
        Section {
            heading: "Nachrichten".to_owned(),
            items: news_items(&news, tz, &mut newest, false),
            ..Section::default()
        },
        Section {
            heading: "Termine".to_owned(),
            items: event_items(
                conn,
                clock,
                tz,
                district.id,
                (start(0), start(EVENT_DAYS)),
                &mut newest,
            )
            .await?,
            ..Section::default()
        },
    ];
    let shops = shop_items(conn, clock, district.id, week, days, &mut newest).await?;
    sections.push(Section {
        heading: if shops.len() > 1 {
            "Dorfläden"
        } else {
            "Dorfladen"
        }
        .to_owned(),
        items: shops,
        ..Section::default()
    });
    if let Some(phone) = settings
        .ride_desk_phone
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        sections.push(Section {
            heading: "Fahrdienst".to_owned(),
            items: vec![Item {
                title: format!("Fahrt bestellen: {phone}"),
                lines: vec![
                    "Für Ältere ohne Auto: zum Arzt, zur Apotheke, zum Einkauf.".to_owned(),
                ],
            }],
            framed: false,
            // On a crowded week everything else is trimmed first: this number is why many
            // read the sheet at all.
            keep: true,
        });
    }
    let answered = (days.1 - Duration::days(ANSWER_DAYS), days.1.min(now));
    sections.push(Section {
        heading: "Anliegen: Antworten".to_owned(),
        items: answer_items(conn, district.id, answered, tz, &mut newest).await?,
        ..Section::default()
    });

    let shown_at = newest.0.with_timezone(&tz).date_naive();
    let sheet = Sheet {
        title: format!("{} – Aushang Woche {}", district.name, week.number()),
        subtitle: span(week.day(0), week.day(6)),
        sections,
        footer: format!(
            "Stand {} · {}",
            shown_at.format("%d.%m.%Y"),
            printed_address(settings.public_url)
        ),
        overflow_note: OVERFLOW_NOTE.to_owned(),
    };
    Ok(Aushang {
        district,
        week,
        sheet,
    })
}

/// Lays the sheet out and writes the PDF on a blocking thread, at most [`RENDERS_AT_ONCE`] at
/// a time (a permit is held until the thread ends, even when the request is gone).
pub async fn render(sheet: Sheet) -> DomainResult<Vec<u8>> {
    static RENDERS: Semaphore = Semaphore::const_new(RENDERS_AT_ONCE);
    let permit = RENDERS
        .acquire()
        .await
        .map_err(|e| DomainError::Internal(format!("Aushang permits closed: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        ::aushang::render(&sheet)
    })
    .await
    .map_err(|e| DomainError::Internal(format!("rendering the Aushang stopped: {e}")))?
    .map_err(|e| DomainError::Internal(format!("the Aushang could not be rendered: {e}")))
}

const WEEKDAYS: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];

fn weekday(date: NaiveDate) -> &'static str {
    WEEKDAYS[date.weekday().num_days_from_monday() as usize]
}

/// `Di 01.12.`
fn day(date: NaiveDate) -> String {
    format!("{} {}", weekday(date), date.format("%d.%m."))
}

/// `30.11.–06.12.2026`, or `28.12.2026–03.01.2027` across a new year.
fn span(first: NaiveDate, last: NaiveDate) -> String {
    if first.year() == last.year() {
        format!("{}–{}", first.format("%d.%m."), last.format("%d.%m.%Y"))
    } else {
        format!("{}–{}", first.format("%d.%m.%Y"), last.format("%d.%m.%Y"))
    }
}

/// `https://dorf.example/` → `dorf.example`: what a reader types.
fn printed_address(public_url: &str) -> &str {
    let address = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    address.trim_end_matches('/')
}

/// At most about `max` characters, cut after a word with "…"; white space collapsed.
fn shorten(text: &str, max: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for word in &words {
        let length = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if length > max {
            if out.is_empty() {
                // One overlong word: cut it (the layout wraps it between characters).
                out = word.chars().take(max).collect();
            }
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn news_items(
    items: &[news_item::Model],
    tz: Tz,
    newest: &mut Newest,
    with_expiry: bool,
) -> Vec<Item> {
    items
        .iter()
        .map(|item| {
            newest.see(
                item.updated_at
                    .max(item.published_at.unwrap_or(item.updated_at)),
            );
            let mut lines = Vec::new();
            let excerpt = shorten(&news::plain_paragraph(&item.body), EXCERPT_CHARS);
            if !excerpt.is_empty() {
                lines.push(excerpt);
            }
            if with_expiry && let Some(expires) = item.expires_at {
                let expires = expires.with_timezone(&tz);
                lines.push(format!(
                    "Gilt bis {}, {} Uhr.",
                    day(expires.date_naive()),
                    expires.format("%H:%M")
                ));
            }
            Item {
                title: item.title.clone(),
                lines,
            }
        })
        .collect()
}

/// The calendar's dates meeting `window`, of the district and the whole town, in order.
async fn event_items(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    tz: Tz,
    district: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    newest: &mut Newest,
) -> DomainResult<Vec<Item>> {
    let query = CalendarQuery {
        from,
        to,
        district: Some(district),
        category: None,
        organisation: None,
        include_cancelled: false,
        after: None,
        limit: ITEMS_MAX,
    };
    let page = events::calendar(conn, clock, query).await?;
    Ok(page
        .items
        .iter()
        .map(|(row, event)| {
            newest.see(event.updated_at);
            event_item(row, event, tz)
        })
        .collect())
}

/// `Di 01.12. · 19:00–21:00` and `Chorprobe, Dorfgemeinschaftshaus`.
fn event_item(row: &event_occurrence::Model, event: &event::Model, tz: Tz) -> Item {
    let start = row.starts_at.with_timezone(&tz);
    let end = row.ends_at.with_timezone(&tz);
    let when = if event.all_day {
        // `ends_at` is the midnight after the last day.
        let last = (row.ends_at - Duration::hours(1))
            .with_timezone(&tz)
            .date_naive();
        if last > start.date_naive() {
            format!("{}–{}", day(start.date_naive()), day(last))
        } else {
            format!("{} · ganztägig", day(start.date_naive()))
        }
    } else if row.ends_at > row.starts_at && end.date_naive() == start.date_naive() {
        format!(
            "{} · {}–{}",
            day(start.date_naive()),
            start.format("%H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!("{} · {}", day(start.date_naive()), start.format("%H:%M"))
    };
    let mut what = event.title.clone();
    if let Some(place) = event.place.as_deref().filter(|p| !p.trim().is_empty()) {
        what.push_str(", ");
        what.push_str(place.trim());
    }
    if row.original_at != row.starts_at {
        what.push_str(" (verlegt)");
    }
    Item {
        title: when,
        lines: vec![what],
    }
}

/// Each shop of the district: its hours on the week's dates and its notices valid in the week.
async fn shop_items(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    district: Uuid,
    week: Week,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    newest: &mut Newest,
) -> DomainResult<Vec<Item>> {
    let (shops, _) = shops::list(conn, Some(district), None, SHOPS_MAX).await?;
    let mut items = Vec::with_capacity(shops.len());
    for view in shops {
        newest.see(view.shop.updated_at);
        let mut lines = Vec::new();
        if !view.weekly.is_empty() || !view.special.is_empty() {
            lines.push(week_hours(week, &view.weekly, &view.special));
        }
        if let Some(phone) = view.shop.phone.as_deref().filter(|p| !p.trim().is_empty()) {
            lines.push(format!("Telefon {}", phone.trim()));
        }
        let (notices, _) = shops::current_notices(
            conn,
            clock,
            NoticeScope::Shop(view.shop.id),
            None,
            NOTICES_PER_SHOP,
        )
        .await?;
        for notice in notices.into_iter().map(|n| n.notice).filter(|n| {
            n.valid_from.is_none_or(|at| at < to) && n.valid_until.is_none_or(|at| at > from)
        }) {
            newest.see(notice.updated_at);
            let body = shorten(&notice.body, NOTICE_CHARS);
            lines.push(if body.is_empty() {
                notice.title.trim().to_owned()
            } else {
                format!("{}: {body}", notice.title.trim())
            });
        }
        items.push(Item {
            title: format!("{}, {}", view.shop.name, view.shop.address),
            lines,
        });
    }
    Ok(items)
}

/// `8`, `8:30`, `24`.
fn clock_time(minutes: Minutes) -> String {
    match minutes % 60 {
        0 => format!("{}", minutes / 60),
        m => format!("{}:{m:02}", minutes / 60),
    }
}

fn windows_text(windows: &[(Minutes, Minutes)]) -> String {
    windows
        .iter()
        .map(|(opens, closes)| format!("{}–{}", clock_time(*opens), clock_time(*closes)))
        .collect::<Vec<_>>()
        .join(" und ")
}

/// Days of the weekly schedule in a row with the same hours: `Mo–Mi 8–12 und 15–18`.
struct SameHours {
    first: NaiveDate,
    last: NaiveDate,
    windows: Vec<(Minutes, Minutes)>,
}

impl SameHours {
    fn text(&self) -> String {
        let days = if self.first == self.last {
            weekday(self.first).to_owned()
        } else {
            format!("{}–{}", weekday(self.first), weekday(self.last))
        };
        format!("{days} {}", windows_text(&self.windows))
    }
}

/// The week's hours, special days applied: `Mo–Mi 8–12 und 15–18 · Do 03.12. geschlossen
/// (Betriebsausflug) · Fr 8–12 und 15–18 · Sa 8–11`. Days of the weekly schedule with the same
/// hours are joined; a special day stands alone, with its date and note; closed days of the
/// weekly schedule are left out.
fn week_hours(
    week: Week,
    weekly: &[opening_hours::Window],
    special: &[opening_hours::SpecialDay],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<SameHours> = None;
    for offset in 0..7 {
        let date = week.day(offset);
        let windows = opening_hours::windows_on(date, weekly, special);
        if let Some(day_off) = opening_hours::special_on(date, special) {
            parts.extend(run.take().map(|r| r.text()));
            let hours = if windows.is_empty() {
                "geschlossen".to_owned()
            } else {
                windows_text(&windows)
            };
            let note = day_off
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            parts.push(format!("{} {hours}{note}", day(date)));
            continue;
        }
        match &mut run {
            Some(same) if same.windows == windows => same.last = date,
            _ => {
                parts.extend(run.take().map(|r| r.text()));
                if !windows.is_empty() {
                    run = Some(SameHours {
                        first: date,
                        last: date,
                        windows,
                    });
                }
            }
        }
    }
    parts.extend(run.map(|r| r.text()));
    if parts.is_empty() {
        "In dieser Woche geschlossen.".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// The newest public answer of each published Anliegen of the district in `window`.
async fn answer_items(
    conn: &impl ConnectionTrait,
    district: Uuid,
    window: (DateTime<Utc>, DateTime<Utc>),
    tz: Tz,
    newest: &mut Newest,
) -> DomainResult<Vec<Item>> {
    if window.1 <= window.0 {
        return Ok(Vec::new());
    }
    let answers = anliegen::public_answers(conn, district, window, ANSWERS_MAX).await?;
    let mut items = Vec::with_capacity(answers.len());
    for (item, answer) in answers {
        let Some(title) = item
            .public_title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        else {
            continue;
        };
        newest.see(answer.at);
        let text = shorten(answer.answer.as_deref().unwrap_or_default(), ANSWER_CHARS);
        let status = answer.to_status.unwrap_or(item.status);
        items.push(Item {
            title: title.trim().to_owned(),
            lines: vec![format!(
                "{} ({}): {text}",
                capitalised(status_name(status)),
                local_day(answer.at, tz).format("%d.%m.")
            )],
        });
    }
    Ok(items)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn weeks_are_read_as_iso_weeks_and_only_those_that_exist() {
        let w49 = Week::parse("2026-W49").expect("week 49");
        assert_eq!(w49.monday(), date("2026-11-30"));
        assert_eq!((w49.number(), w49.label()), (49, "2026-W49".to_owned()));
        // 2026 has 53 weeks (it starts on a Thursday), 2025 has not.
        assert_eq!(
            Week::parse("2026-W53").map(Week::monday),
            Some(date("2026-12-28"))
        );
        assert_eq!(Week::parse("2025-W53"), None);
        // Week 1 of 2027 starts in 2026.
        assert_eq!(
            Week::parse("2027-W01").map(Week::monday),
            Some(date("2027-01-04"))
        );
        assert_eq!(Week::containing(date("2027-01-03")).label(), "2026-W53");
        for bad in [
            "2026-W54",
            "2026-W00",
            "2026-49",
            "2026-W4",
            "2026-w49",
            "26-W49",
            "2026-W049",
            " 2026-W49",
            "2026-W49 ",
            "",
            "２０２６-W49",
            "+202-W49",
        ] {
            assert_eq!(Week::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_week_is_chosen_within_a_year_back_and_eight_weeks_ahead() {
        // Tuesday 1 December 2026, 08:00 in Ballenstedt: week 49.
        let now = DateTime::parse_from_rfc3339("2026-12-01T07:00:00Z")
            .unwrap()
            .to_utc();
        let chosen = |asked: &str| choose_week(Some(asked), now, BERLIN).map(Week::label);
        assert_eq!(choose_week(None, now, BERLIN).unwrap().label(), "2026-W49");
        assert_eq!(chosen("2026-W49").unwrap(), "2026-W49");
        assert_eq!(chosen("2025-W49").unwrap(), "2025-W49");
        assert_eq!(chosen("2027-W04").unwrap(), "2027-W04");
        for refused in [
            "2025-W48", "2027-W05", "2024-W49", "2026-W54", "2026-49", "2025-W53",
        ] {
            match chosen(refused) {
                Err(DomainError::Validation(errors)) => {
                    assert_eq!(errors.len(), 1);
                    assert_eq!(errors[0].field, "week", "{refused}");
                }
                other => panic!("{refused}: {other:?}"),
            }
        }
        // Sunday 23:30 in Berlin is still that week, though UTC says Sunday 22:30.
        let sunday = DateTime::parse_from_rfc3339("2026-12-06T22:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            choose_week(None, sunday, BERLIN).unwrap().label(),
            "2026-W49"
        );
        let monday = DateTime::parse_from_rfc3339("2026-12-06T23:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            choose_week(None, monday, BERLIN).unwrap().label(),
            "2026-W50"
        );
    }

    #[test]
    fn dates_read_as_germans_write_them() {
        assert_eq!(
            span(date("2026-11-30"), date("2026-12-06")),
            "30.11.–06.12.2026"
        );
        assert_eq!(
            span(date("2026-12-28"), date("2027-01-03")),
            "28.12.2026–03.01.2027"
        );
        assert_eq!(day(date("2026-12-01")), "Di 01.12.");
        assert_eq!(printed_address("https://dorf.example/"), "dorf.example");
        assert_eq!(printed_address("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }

    #[test]
    fn texts_are_cut_after_a_word() {
        assert_eq!(shorten("  Kurz   und\nknapp ", 50), "Kurz und knapp");
        assert_eq!(
            shorten("Die Hauptstraße ist gesperrt", 20),
            "Die Hauptstraße ist…"
        );
        assert_eq!(shorten("Donaudampfschifffahrt", 5), "Donau…");
        assert_eq!(shorten("", 5), "");
    }

    fn window(weekday: u8, opens: &str, closes: &str) -> opening_hours::Window {
        opening_hours::Window {
            weekday,
            opens: opens.to_owned(),
            closes: closes.to_owned(),
        }
    }

    #[test]
    fn a_shops_week_joins_equal_days_and_names_special_days() {
        let mut weekly = Vec::new();
        for weekday in 1..=5 {
            weekly.push(window(weekday, "08:00", "12:00"));
            weekly.push(window(weekday, "15:00", "18:00"));
        }
        weekly.push(window(6, "08:30", "11:00"));
        let week = Week::parse("2026-W49").unwrap();
        assert_eq!(
            week_hours(week, &weekly, &[]),
            "Mo–Fr 8–12 und 15–18 · Sa 8:30–11"
        );
        let special = vec![
            opening_hours::SpecialDay {
                date: "2026-12-03".to_owned(),
                closed: true,
                opens: None,
                closes: None,
                note: Some("Betriebsausflug".to_owned()),
            },
            opening_hours::SpecialDay {
                date: "2026-12-06".to_owned(),
                closed: false,
                opens: Some("10:00".to_owned()),
                closes: Some("24:00".to_owned()),
                note: None,
            },
        ];
        assert_eq!(
            week_hours(week, &weekly, &special),
            "Mo–Mi 8–12 und 15–18 · Do 03.12. geschlossen (Betriebsausflug) · \
             Fr 8–12 und 15–18 · Sa 8:30–11 · So 06.12. 10–24"
        );
        assert_eq!(
            week_hours(week, &[], &special[..1]),
            "Do 03.12. geschlossen (Betriebsausflug)"
        );
        let closed_week = Week::parse("2026-W50").unwrap();
        assert_eq!(
            week_hours(closed_week, &[], &special),
            "In dieser Woche geschlossen."
        );
    }
}
