//! Opening hours: weekly windows and special days, validated, and turned into "open now?" and
//! "when does that change next?" in the municipality's time zone.
//!
//! The model, as integrators see it:
//! - A weekly window is `{weekday 1–7 (Mon = 1), opens "HH:MM", closes "HH:MM"}` in local time.
//!   Several windows a day are allowed (a lunch break is two windows); they must not overlap.
//! - `closes` must be later than `opens` on the same day; `"24:00"` means the end of the day. A
//!   window across midnight is written as two windows (Fri 22:00–24:00 and Sat 00:00–02:00);
//!   windows that touch count as one opening, so "open until" says Sat 02:00.
//! - A special day `{date, closed, opens?, closes?, note?}` replaces the weekly windows of that
//!   date: closed all day, or open in exactly the one window given.
//! - Times are wall-clock times. On the night the clocks go forward (last Sunday of March,
//!   02:00 → 03:00) a boundary inside the missing hour moves to 03:00; when they go back (last
//!   Sunday of October, 03:00 → 02:00) a boundary in the repeated hour means its first
//!   occurrence.

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::text::{FieldError, Text};

/// Minutes since local midnight, 0..=1440.
pub type Minutes = u16;
const DAY: Minutes = 24 * 60;
/// How far ahead the next change is looked for. A schedule repeats weekly, so only special
/// days far ahead need the long horizon.
const HORIZON_DAYS: u64 = 400;

/// A weekly window, as stored (JSON) and sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub weekday: u8,
    pub opens: String,
    pub closes: String,
}

/// A special day, as stored (JSON) and sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: String,
    pub closed: bool,
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub note: Option<String>,
}

pub const NOTE_MAX: usize = 200;
pub const MAX_WINDOWS: usize = 70;
pub const MAX_SPECIAL_DAYS: usize = 400;

/// The times [`parse_time`] reads, as regular expressions for the published schema: `HH:MM`,
/// and for the end of a window also `24:00`.
pub const TIME_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
pub const CLOSING_TIME_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
/// Weekdays as ISO 8601 numbers: Monday 1 … Sunday 7.
pub const WEEKDAYS: (u8, u8) = (1, 7);

/// `"HH:MM"` → minutes; `"24:00"` only where `allow_end_of_day`.
pub fn parse_time(text: &str, allow_end_of_day: bool) -> Option<Minutes> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if allow_end_of_day => Some(DAY),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn err(field: String, de: &'static str, en: &'static str) -> FieldError {
    FieldError::new(field, Text::new(de, en))
}

const TIME_DE: &str = "Bitte eine Uhrzeit als HH:MM angeben, z. B. 08:30.";
const TIME_EN: &str = "Please give a time as HH:MM, e.g. 08:30.";

/// Checks a weekly schedule; every field at fault is named (`[2].closes`).
pub fn validate_windows(windows: &[Window]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if windows.len() > MAX_WINDOWS {
        errors.push(err(
            "body".into(),
            "Höchstens 70 Zeitfenster.",
            "At most 70 windows.",
        ));
        return errors;
    }
    let mut parsed: Vec<(usize, u8, Minutes, Minutes)> = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        let mut ok = true;
        if !(WEEKDAYS.0..=WEEKDAYS.1).contains(&w.weekday) {
            errors.push(err(
                format!("[{i}].weekday"),
                "Wochentag 1 (Montag) bis 7 (Sonntag).",
                "Weekday 1 (Monday) to 7 (Sunday).",
            ));
            ok = false;
        }
        let opens = parse_time(&w.opens, false);
        let closes = parse_time(&w.closes, true);
        if opens.is_none() {
            errors.push(err(format!("[{i}].opens"), TIME_DE, TIME_EN));
            ok = false;
        }
        if closes.is_none() {
            errors.push(err(format!("[{i}].closes"), TIME_DE, TIME_EN));
            ok = false;
        }
        if let (Some(o), Some(c)) = (opens, closes)
            && c <= o
        {
            errors.push(err(
                format!("[{i}].closes"),
                "Schließt nicht nach dem Öffnen. Über Mitternacht: zwei Zeitfenster (bis 24:00 und ab 00:00).",
                "Closes not after opening. Across midnight: two windows (until 24:00 and from 00:00).",
            ));
            ok = false;
        }
        if ok && let (Some(o), Some(c)) = (opens, closes) {
            parsed.push((i, w.weekday, o, c));
        }
    }
    // Overlaps within a day: sorted by start, each window must begin at or after the previous end.
    for day in 1..=7u8 {
        let mut day_windows: Vec<_> = parsed.iter().filter(|w| w.1 == day).collect();
        day_windows.sort_by_key(|w| (w.2, w.0));
        for pair in day_windows.windows(2) {
            let (earlier, later) = (pair[0], pair[1]);
            if later.2 < earlier.3 {
                let at = earlier.0.max(later.0);
                errors.push(err(
                    format!("[{at}].opens"),
                    "Überschneidet sich mit einem anderen Zeitfenster desselben Tages.",
                    "Overlaps another window of the same day.",
                ));
            }
        }
    }
    errors
}

/// Checks special days; every field at fault is named (`[0].date`).
pub fn validate_special_days(days: &[SpecialDay]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if days.len() > MAX_SPECIAL_DAYS {
        errors.push(err(
            "body".into(),
            "Höchstens 400 besondere Tage.",
            "At most 400 special days.",
        ));
        return errors;
    }
    let mut seen = std::collections::HashSet::new();
    for (i, d) in days.iter().enumerate() {
        match NaiveDate::parse_from_str(&d.date, "%Y-%m-%d") {
            Ok(date) if d.date.len() == 10 => {
                if !seen.insert(date) {
                    errors.push(err(
                        format!("[{i}].date"),
                        "Dieses Datum steht schon in der Liste.",
                        "This date is already listed.",
                    ));
                }
            }
            _ => errors.push(err(
                format!("[{i}].date"),
                "Bitte ein Datum als JJJJ-MM-TT angeben, z. B. 2026-12-24.",
                "Please give a date as YYYY-MM-DD, e.g. 2026-12-24.",
            )),
        }
        if d.closed {
            if d.opens.is_some() || d.closes.is_some() {
                let at = if d.opens.is_some() { "opens" } else { "closes" };
                errors.push(err(
                    format!("[{i}].{at}"),
                    "An einem geschlossenen Tag keine Uhrzeiten angeben.",
                    "A closed day has no times.",
                ));
            }
        } else {
            let opens = d.opens.as_deref().and_then(|t| parse_time(t, false));
            let closes = d.closes.as_deref().and_then(|t| parse_time(t, true));
            if opens.is_none() {
                errors.push(err(format!("[{i}].opens"), TIME_DE, TIME_EN));
            }
            if closes.is_none() {
                errors.push(err(format!("[{i}].closes"), TIME_DE, TIME_EN));
            }
            if let (Some(o), Some(c)) = (opens, closes)
                && c <= o
            {
                errors.push(err(
                    format!("[{i}].closes"),
                    "Schließt nicht nach dem Öffnen.",
                    "Closes not after opening.",
                ));
            }
        }
        if d.note
            .as_deref()
            .is_some_and(|n| n.chars().count() > NOTE_MAX)
        {
            errors.push(err(
                format!("[{i}].note"),
                "Höchstens 200 Zeichen.",
                "At most 200 characters.",
            ));
        }
    }
    errors
}

/// The special day of this date, if there is one.
pub fn special_on(date: NaiveDate, special: &[SpecialDay]) -> Option<&SpecialDay> {
    let iso = date.format("%Y-%m-%d").to_string();
    special.iter().find(|d| d.date == iso)
}

/// The local opening windows of one date (special day first, then the weekly schedule), in
/// order; none when closed.
pub fn windows_on(
    date: NaiveDate,
    weekly: &[Window],
    special: &[SpecialDay],
) -> Vec<(Minutes, Minutes)> {
    if let Some(day) = special_on(date, special) {
        if day.closed {
            return Vec::new();
        }
        return match (
            day.opens.as_deref().and_then(|t| parse_time(t, false)),
            day.closes.as_deref().and_then(|t| parse_time(t, true)),
        ) {
            (Some(o), Some(c)) if c > o => vec![(o, c)],
            _ => Vec::new(),
        };
    }
    let weekday = u8::try_from(date.weekday().number_from_monday()).unwrap_or(0);
    let mut windows: Vec<_> = weekly
        .iter()
        .filter(|w| w.weekday == weekday)
        .filter_map(|w| Some((parse_time(&w.opens, false)?, parse_time(&w.closes, true)?)))
        .filter(|(o, c)| c > o)
        .collect();
    windows.sort_unstable();
    windows
}

/// The instant of a local wall-clock time; see the module docs for the DST rules.
pub(crate) fn instant(tz: Tz, date: NaiveDate, minutes: Minutes) -> Option<DateTime<Utc>> {
    let (date, minutes) = if minutes >= DAY {
        (date.checked_add_days(Days::new(1))?, 0)
    } else {
        (date, minutes)
    };
    let mut local = NaiveDateTime::new(
        date,
        NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0)?,
    );
    for _ in 0..=180 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return Some(t.to_utc()),
            LocalResult::Ambiguous(first, _) => return Some(first.to_utc()),
            // Inside the hour skipped in spring: move to the first minute that exists.
            LocalResult::None => local += chrono::Duration::minutes(1),
        }
    }
    None
}

/// Whether the shop is open at `now`, and when that changes next (`None`: never, as far as
/// the schedule and special days say within about a year).
pub fn status(
    now: DateTime<Utc>,
    tz: Tz,
    weekly: &[Window],
    special: &[SpecialDay],
) -> (bool, Option<DateTime<Utc>>) {
    let today = now.with_timezone(&tz).date_naive();
    let Some(start) = today.checked_sub_days(Days::new(1)) else {
        return (false, None);
    };
    // Walk day by day, merging touching intervals, until the first boundary after `now`.
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for offset in 0..HORIZON_DAYS {
        let Some(date) = start.checked_add_days(Days::new(offset)) else {
            break;
        };
        for (opens, closes) in windows_on(date, weekly, special) {
            let (Some(from), Some(until)) = (instant(tz, date, opens), instant(tz, date, closes))
            else {
                continue;
            };
            if until <= from {
                continue;
            }
            match current {
                Some((s, e)) if from <= e => current = Some((s, e.max(until))),
                Some((s, e)) => {
                    if let Some(answer) = decide(now, s, e) {
                        return answer;
                    }
                    current = Some((from, until));
                }
                None => current = Some((from, until)),
            }
        }
        // Past the end of what is known so far and nothing open beyond: decide on what we have.
        if let Some((s, e)) = current
            && let Some(day_end) = instant(tz, date, DAY)
            && e < day_end
            && let Some(answer) = decide(now, s, e)
        {
            return answer;
        }
    }
    match current {
        Some((s, e)) => decide(now, s, e).unwrap_or((false, None)),
        None => (false, None),
    }
}

/// For a merged opening `[s, e)`: open now (until `e`), or closed until `s`, or already past.
fn decide(
    now: DateTime<Utc>,
    s: DateTime<Utc>,
    e: DateTime<Utc>,
) -> Option<(bool, Option<DateTime<Utc>>)> {
    if now < s {
        Some((false, Some(s)))
    } else if now < e {
        Some((true, Some(e)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("instant").to_utc()
    }

    fn w(weekday: u8, opens: &str, closes: &str) -> Window {
        Window {
            weekday,
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn times_are_strict_hh_mm() {
        assert_eq!(parse_time("08:30", false), Some(510));
        assert_eq!(parse_time("24:00", true), Some(1440));
        for bad in ["8:30", "24:00", "12:60", "25:00", "0830", "ab:cd", ""] {
            assert_eq!(parse_time(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn a_lunch_break_closes_and_reopens() {
        let weekly = [w(2, "08:00", "12:00"), w(2, "14:00", "18:00")];
        // Tuesday 2 June 2026, 11:00 CEST.
        assert_eq!(
            status(at("2026-06-02T09:00:00Z"), BERLIN, &weekly, &[]),
            (true, Some(at("2026-06-02T10:00:00Z")))
        );
        assert_eq!(
            status(at("2026-06-02T10:30:00Z"), BERLIN, &weekly, &[]),
            (false, Some(at("2026-06-02T12:00:00Z")))
        );
        // After closing on Tuesday: next Tuesday.
        assert_eq!(
            status(at("2026-06-02T17:00:00Z"), BERLIN, &weekly, &[]),
            (false, Some(at("2026-06-09T06:00:00Z")))
        );
    }

    #[test]
    fn windows_across_midnight_count_as_one_opening() {
        let weekly = [w(5, "22:00", "24:00"), w(6, "00:00", "02:00")];
        // Friday 5 June 2026, 23:00 CEST.
        assert_eq!(
            status(at("2026-06-05T21:00:00Z"), BERLIN, &weekly, &[]),
            (true, Some(at("2026-06-06T00:00:00Z")))
        );
    }

    #[test]
    fn daylight_saving_changes_move_the_instants_not_the_wall_clock() {
        let sunday = [w(7, "08:00", "12:00")];
        assert_eq!(
            status(at("2027-03-27T20:00:00Z"), BERLIN, &sunday, &[]),
            (false, Some(at("2027-03-28T06:00:00Z")))
        );
        assert_eq!(
            status(at("2026-10-25T06:30:00Z"), BERLIN, &sunday, &[]),
            (false, Some(at("2026-10-25T07:00:00Z")))
        );
        assert_eq!(
            status(at("2026-10-25T08:00:00Z"), BERLIN, &sunday, &[]),
            (true, Some(at("2026-10-25T11:00:00Z")))
        );
        // A boundary in the skipped hour moves to 03:00 CEST.
        let early = [w(7, "02:30", "05:00")];
        assert_eq!(
            status(at("2027-03-27T20:00:00Z"), BERLIN, &early, &[]),
            (false, Some(at("2027-03-28T01:00:00Z")))
        );
    }

    #[test]
    fn special_days_come_first() {
        let weekly = [w(2, "08:00", "18:00")];
        let closed = [SpecialDay {
            date: "2026-06-02".into(),
            closed: true,
            opens: None,
            closes: None,
            note: Some("Inventur".into()),
        }];
        assert_eq!(
            status(at("2026-06-02T08:00:00Z"), BERLIN, &weekly, &closed),
            (false, Some(at("2026-06-09T06:00:00Z")))
        );
        let short = [SpecialDay {
            date: "2026-06-02".into(),
            closed: false,
            opens: Some("10:00".into()),
            closes: Some("13:00".into()),
            note: None,
        }];
        assert_eq!(
            status(at("2026-06-02T07:00:00Z"), BERLIN, &weekly, &short),
            (false, Some(at("2026-06-02T08:00:00Z")))
        );
    }

    #[test]
    fn no_hours_means_never_open() {
        assert_eq!(
            status(at("2026-06-02T08:00:00Z"), BERLIN, &[], &[]),
            (false, None)
        );
    }

    #[test]
    fn validation_names_every_field_at_fault() {
        let errors = validate_windows(&[
            w(8, "8:00", "12:00"),
            w(1, "10:00", "09:00"),
            w(1, "08:00", "12:00"),
            w(1, "11:00", "13:00"),
        ]);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["[0].weekday", "[0].opens", "[1].closes", "[3].opens"]
        );
    }
}
