//! iCalendar (RFC 5545) feed writer for events.
//!
//! [`render`] turns a [`Calendar`] (a district's or the whole town's events) into one
//! `text/calendar` document: calendar properties, one `VTIMEZONE` for the municipality's
//! zone, then per event a master `VEVENT` followed by one override `VEVENT` (same `UID`,
//! `RECURRENCE-ID`) per moved occurrence of a series.
//!
//! The module is pure: no I/O, no clock. The same input always gives the same bytes
//! (`DTSTAMP` is the event's `updated_at`, the `VTIMEZONE` is derived from the events'
//! years only), so the feed's ETag is stable.
//!
//! # Own writer instead of the `icalendar` crate
//!
//! The writer here is our own (folding, escaping and parameter quoting are a few dozen
//! lines, tested below) rather than the `icalendar` crate: that crate keeps property
//! parameters in a `HashMap` (so a property with two or more parameters is written in an
//! unstable order and the bytes – and the ETag – would change between renders), its line
//! folding looks up whitespace with `chars().nth(byte position)` (mixing char and byte
//! positions once umlauts occur), and its TEXT escaping leaves CRs in. Each of
//! those breaks a rule the feed must keep, and it would be one more dependency.
//!
//! # Rules kept
//!
//! - CRLF line ends only; every other control character is removed from values (TEXT
//!   newlines become the escape `\n`, tabs become spaces).
//! - Content lines are folded at 75 octets (CRLF + one space), never inside a UTF-8
//!   character, and where possible not after a blank (some parsers trim lines, which
//!   would glue two words of a folded text together) or inside an escape like `\n`.
//! - TEXT values escape `\`, `;`, `,` and newlines; parameter values containing `:`, `;`
//!   or `,` are quoted (a `"` inside one is dropped, RFC 5545 has no escape for it).
//! - Timed events are written in local wall-clock time with `TZID=<zone>`, all-day events
//!   as `VALUE=DATE` with an exclusive `DTEND`.
//! - `EXDATE` and override `VEVENT`s are only written for events with an `RRULE` (without
//!   one they have nothing to refer to); they are sorted by original start, duplicates are
//!   dropped, and an `EXDATE` equal to a moved occurrence's original start is left out
//!   (an instance both excluded and overridden is ambiguous, and clients disagree on it).
//! - A timed `DTEND` not after `DTSTART` is invalid and is left out; an all-day
//!   `last_day` before `first_day` is treated as a one-day event.
//!
//! # VTIMEZONE
//!
//! The zone is built from chrono-tz by probing the UTC offset in day steps and bisecting
//! every change to the second, for the years the feed covers: from the earliest year of any
//! date in the feed minus one to the latest year plus one, where a series without `UNTIL`
//! counts as reaching `RRULE_HORIZON_YEARS` (10) past its start (and one with `UNTIL` at most
//! that far). Each transition becomes a `STANDARD` or `DAYLIGHT` observance whose
//! `DTSTART` is the local wall-clock time of the transition in the old offset (e.g.
//! `20260329T020000` for Berlin's spring change). A first observance with equal offsets
//! opens the covered range, so every covered instant has an observance. A zone without
//! transitions (e.g. `UTC`) gets a single `STANDARD` from `19700101T000000`. An empty
//! calendar still gets the `VTIMEZONE` (for the fixed year `EMPTY_CALENDAR_YEAR` (2026)):
//! RFC 5545 requires at least one component, and the output must not depend on the clock.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz, TzOffset};
use uuid::Uuid;

/// A calendar to write: a district's or the whole town's.
pub struct Calendar<'a> {
    /// X-WR-CALNAME, e.g. "Veranstaltungen Rieder".
    pub name: &'a str,
    /// The municipality's zone: every DTSTART/DTEND of a timed event uses `TZID=<tz name>`.
    pub tz: Tz,
    /// Host part for UIDs: UID is `<event id>@<host>`.
    pub host: &'a str,
    pub events: &'a [FeedEvent],
}

/// When an event or one of its occurrences takes place, in local wall-clock time.
pub enum When {
    /// DTSTART;TZID=…:20270406T190000 and DTEND likewise (end optional: none → no DTEND).
    Timed {
        start: NaiveDateTime,
        end: Option<NaiveDateTime>,
    },
    /// DTSTART;VALUE=DATE:20260710, DTEND;VALUE=DATE exclusive (the day after the last day).
    /// `last_day` is inclusive.
    AllDay {
        first_day: NaiveDate,
        last_day: NaiveDate,
    },
}

/// One occurrence of a series that was moved (an override VEVENT with RECURRENCE-ID).
pub struct MovedOccurrence {
    /// The original local start (RECURRENCE-ID, same value type and TZID as DTSTART; for
    /// all-day a date).
    pub original: NaiveDateTime,
    pub when: When,
    /// Shown in the description: `Verschoben: <reason>`.
    pub reason: Option<String>,
}

/// One event of the feed, single or a series (`rrule`).
pub struct FeedEvent {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub when: When,
    /// Canonical RRULE value without the "RRULE:" prefix, e.g.
    /// "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T170000Z" (already valid; written as is).
    pub rrule: Option<String>,
    /// Cancelled occurrences of a series: their original local starts (EXDATE, same value
    /// type/TZID as DTSTART).
    pub exdates: Vec<NaiveDateTime>,
    pub moved: Vec<MovedOccurrence>,
    /// STATUS:CANCELLED, else STATUS:CONFIRMED.
    pub cancelled: bool,
    /// A single event that was moved: `Verschoben, vorher: <text>` appended to DESCRIPTION.
    pub moved_from: Option<String>,
    pub sequence: u32,
    pub created_at: DateTime<Utc>,
    /// DTSTAMP and LAST-MODIFIED (never "now": the bytes must be stable so the ETag is).
    pub updated_at: DateTime<Utc>,
    /// LOCATION.
    pub place: Option<String>,
    /// GEO:lat;lon (6 decimals).
    pub geo: Option<(f64, f64)>,
    /// CATEGORIES.
    pub category: String,
    /// The organiser's display name. Not written as ORGANIZER: its value must be a
    /// cal-address URI (in practice `mailto:`), which we do not have, and clients treat an
    /// event with ORGANIZER as a meeting invitation (reply buttons, "invited by"). So the
    /// name goes into DESCRIPTION ("Veranstalter: …") and X-ORGANIZER-NAME instead.
    pub organiser: Option<String>,
    /// URL.
    pub url: Option<String>,
}

/// A series without `UNTIL` is taken to need the time zone this many years past its start
/// (and a series with `UNTIL` at most that far).
const RRULE_HORIZON_YEARS: i32 = 10;

/// The year whose VTIMEZONE an empty calendar gets.
const EMPTY_CALENDAR_YEAR: i32 = 2026;

/// At most this many years of transitions are written (garbage dates cannot blow up the
/// feed or the render time).
const MAX_ZONE_SPAN_YEARS: i32 = 100;

/// Maximal octets of one physical line, CRLF excluded (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;

/// The whole feed: BEGIN:VCALENDAR … END:VCALENDAR, CRLF line ends, folded at 75 octets.
pub fn render(calendar: &Calendar) -> String {
    let mut w = Writer::default();
    let tzid = calendar.tz.name();
    w.prop("BEGIN", &[], "VCALENDAR");
    w.prop("VERSION", &[], "2.0");
    w.prop("PRODID", &[], "-//Dorf-App//DE");
    w.prop("CALSCALE", &[], "GREGORIAN");
    w.prop("METHOD", &[], "PUBLISH");
    w.text("X-WR-CALNAME", calendar.name.trim());
    w.prop("X-WR-TIMEZONE", &[], tzid);
    w.prop("REFRESH-INTERVAL", &[("VALUE", "DURATION")], "PT1H");
    w.prop("X-PUBLISHED-TTL", &[], "PT1H");
    write_vtimezone(&mut w, calendar.tz, year_range(calendar.events));
    for event in calendar.events {
        write_event(&mut w, calendar, event);
    }
    w.prop("END", &[], "VCALENDAR");
    w.out
}

// ---------------------------------------------------------------------------------------
// Events

/// A DTSTART-like value: local date-time (with TZID) or date.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stamp {
    Local(NaiveDateTime),
    Date(NaiveDate),
}

impl Stamp {
    /// `original` in the value type of `like` (a date for all-day events).
    fn like(like: &When, original: NaiveDateTime) -> Stamp {
        match like {
            When::Timed { .. } => Stamp::Local(original),
            When::AllDay { .. } => Stamp::Date(original.date()),
        }
    }

    fn value(self) -> String {
        match self {
            Stamp::Local(t) => fmt_local(t),
            Stamp::Date(d) => fmt_date(d),
        }
    }
}

/// Writes `NAME;TZID=…:v1,v2` or `NAME;VALUE=DATE:v1,v2` (all stamps of one kind).
fn write_stamps(w: &mut Writer, name: &str, tzid: &str, stamps: &[Stamp]) {
    let Some(first) = stamps.first() else {
        return;
    };
    let value = stamps
        .iter()
        .map(|s| s.value())
        .collect::<Vec<_>>()
        .join(",");
    match first {
        Stamp::Local(_) => w.prop(name, &[("TZID", tzid)], &value),
        Stamp::Date(_) => w.prop(name, &[("VALUE", "DATE")], &value),
    }
}

fn write_when(w: &mut Writer, tzid: &str, when: &When) {
    match *when {
        When::Timed { start, end } => {
            write_stamps(w, "DTSTART", tzid, &[Stamp::Local(start)]);
            if let Some(end) = end.filter(|end| *end > start) {
                write_stamps(w, "DTEND", tzid, &[Stamp::Local(end)]);
            }
        }
        When::AllDay {
            first_day,
            last_day,
        } => {
            let last = last_day.max(first_day);
            let end = last.succ_opt().unwrap_or(last);
            write_stamps(w, "DTSTART", tzid, &[Stamp::Date(first_day)]);
            write_stamps(w, "DTEND", tzid, &[Stamp::Date(end)]);
        }
    }
}

/// The event's description with the notes appended, paragraphs separated by a blank line.
fn description(base: &str, notes: &[String]) -> String {
    let mut parts: Vec<&str> = Vec::with_capacity(notes.len() + 1);
    let base = base.trim();
    if !base.is_empty() {
        parts.push(base);
    }
    parts.extend(notes.iter().map(String::as_str));
    parts.join("\n\n")
}

/// The trimmed text, if there is any.
fn filled(text: &Option<String>) -> Option<&str> {
    Some(text.as_deref()?.trim()).filter(|t| !t.is_empty())
}

fn organiser_note(event: &FeedEvent) -> Option<String> {
    filled(&event.organiser).map(|name| format!("Veranstalter: {name}"))
}

fn write_event(w: &mut Writer, calendar: &Calendar, event: &FeedEvent) {
    let tzid = calendar.tz.name();
    let uid = format!("{}@{}", event.id, calendar.host);
    let rrule = event
        .rrule
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());

    // Overrides: sorted by original start, one per original start.
    let mut moved: Vec<&MovedOccurrence> = if rrule.is_some() {
        event.moved.iter().collect()
    } else {
        Vec::new()
    };
    moved.sort_by_key(|m| Stamp::like(&event.when, m.original));
    moved.dedup_by_key(|m| Stamp::like(&event.when, m.original));

    let mut exdates: Vec<Stamp> = if rrule.is_some() {
        event
            .exdates
            .iter()
            .map(|t| Stamp::like(&event.when, *t))
            .filter(|s| {
                !moved
                    .iter()
                    .any(|m| Stamp::like(&event.when, m.original) == *s)
            })
            .collect()
    } else {
        Vec::new()
    };
    exdates.sort();
    exdates.dedup();

    let organiser = organiser_note(event);

    // Master.
    let mut notes = Vec::new();
    if let Some(from) = filled(&event.moved_from) {
        notes.push(format!("Verschoben, vorher: {from}"));
    }
    notes.extend(organiser.clone());
    w.prop("BEGIN", &[], "VEVENT");
    w.prop("UID", &[], &uid);
    w.prop("DTSTAMP", &[], &fmt_utc(event.updated_at));
    write_when(w, tzid, &event.when);
    if let Some(rrule) = rrule {
        w.prop("RRULE", &[], rrule);
    }
    write_stamps(w, "EXDATE", tzid, &exdates);
    write_details(w, event, &description(&event.description, &notes));
    w.prop("END", &[], "VEVENT");

    // Overrides: same UID and SEQUENCE, RECURRENCE-ID in the master's value type.
    for m in moved {
        let mut notes = Vec::new();
        notes.push(match filled(&m.reason) {
            Some(reason) => format!("Verschoben: {reason}"),
            None => "Verschoben".to_owned(),
        });
        notes.extend(organiser.clone());
        w.prop("BEGIN", &[], "VEVENT");
        w.prop("UID", &[], &uid);
        w.prop("DTSTAMP", &[], &fmt_utc(event.updated_at));
        write_stamps(
            w,
            "RECURRENCE-ID",
            tzid,
            &[Stamp::like(&event.when, m.original)],
        );
        write_when(w, tzid, &m.when);
        write_details(w, event, &description(&event.description, &notes));
        w.prop("END", &[], "VEVENT");
    }
}

/// The properties master and overrides share.
fn write_details(w: &mut Writer, event: &FeedEvent, description: &str) {
    w.text("SUMMARY", event.title.trim());
    if !description.is_empty() {
        w.text("DESCRIPTION", description);
    }
    if let Some(place) = filled(&event.place) {
        w.text("LOCATION", place);
    }
    if let Some((lat, lon)) = event
        .geo
        .filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon))
    {
        w.prop("GEO", &[], &format!("{lat:.6};{lon:.6}"));
    }
    let category = event.category.trim();
    if !category.is_empty() {
        w.text("CATEGORIES", category);
    }
    let status = if event.cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    w.prop("STATUS", &[], status);
    w.prop("SEQUENCE", &[], &event.sequence.to_string());
    w.prop("CREATED", &[], &fmt_utc(event.created_at));
    w.prop("LAST-MODIFIED", &[], &fmt_utc(event.updated_at));
    if let Some(url) = filled(&event.url) {
        w.prop("URL", &[], url);
    }
    if let Some(name) = filled(&event.organiser) {
        w.text("X-ORGANIZER-NAME", name);
    }
}

fn fmt_local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn fmt_utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

// ---------------------------------------------------------------------------------------
// VTIMEZONE

/// First and last year (inclusive) the VTIMEZONE must cover, or `None` for no events.
fn year_range(events: &[FeedEvent]) -> Option<(i32, i32)> {
    fn when_years(when: &When) -> [i32; 2] {
        match *when {
            When::Timed { start, end } => [start.year(), end.unwrap_or(start).year()],
            When::AllDay {
                first_day,
                last_day,
            } => [first_day.year(), last_day.year()],
        }
    }
    let mut years: Vec<i32> = Vec::new();
    for event in events {
        let start_year = when_years(&event.when)[0];
        years.extend(when_years(&event.when));
        years.extend(event.exdates.iter().map(|t| t.year()));
        for m in &event.moved {
            years.push(m.original.year());
            years.extend(when_years(&m.when));
        }
        if let Some(rrule) = &event.rrule {
            let horizon = start_year.saturating_add(RRULE_HORIZON_YEARS);
            years.push(until_year(rrule).map_or(horizon, |y| y.min(horizon)));
        }
    }
    let lo = years.iter().min()?.saturating_sub(1);
    let hi = years.iter().max()?.saturating_add(1);
    Some((lo.max(hi.saturating_sub(MAX_ZONE_SPAN_YEARS)), hi))
}

/// The year of an RRULE's `UNTIL=YYYY…`, if any.
fn until_year(rrule: &str) -> Option<i32> {
    rrule.split(';').find_map(|part| {
        let (key, value) = part.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("UNTIL") {
            return None;
        }
        value.trim().get(..4)?.parse().ok()
    })
}

/// One STANDARD/DAYLIGHT observance.
struct Observance {
    /// Local wall-clock onset in the old offset.
    start: NaiveDateTime,
    from: TzOffset,
    to: TzOffset,
}

fn offset_at(tz: Tz, secs: i64) -> TzOffset {
    let t = DateTime::from_timestamp(secs, 0).unwrap_or_default();
    tz.offset_from_utc_datetime(&t.naive_utc())
}

/// The offset changes of `tz` from Jan 1 of `first` to Dec 31 of `last` (UTC), found by
/// probing day by day and bisecting each change to the second.
fn transitions(tz: Tz, first: i32, last: i32) -> (TzOffset, i64, Vec<Observance>) {
    let day = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap_or_default()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp()
    };
    let (begin, end) = (day(first), day(last.saturating_add(1)));
    let step = Duration::days(1).num_seconds();
    let initial = offset_at(tz, begin);
    let mut prev = initial;
    let mut found = Vec::new();
    let mut t = begin;
    while t < end {
        let next = (t + step).min(end);
        let off = offset_at(tz, next);
        if off != prev {
            // offset_at(lo) == prev, offset_at(hi) != prev.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == prev {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let to = offset_at(tz, hi);
            let local = DateTime::from_timestamp(hi, 0)
                .unwrap_or_default()
                .naive_utc()
                + Duration::seconds(i64::from(prev.fix().local_minus_utc()));
            found.push(Observance {
                start: local,
                from: prev,
                to,
            });
            prev = to;
            if to != off {
                // A second change within the same day: continue from the first one.
                t = hi;
                continue;
            }
        }
        t = next;
    }
    (initial, begin, found)
}

fn write_vtimezone(w: &mut Writer, tz: Tz, years: Option<(i32, i32)>) {
    let (first, last) = years.unwrap_or((EMPTY_CALENDAR_YEAR, EMPTY_CALENDAR_YEAR));
    let (initial, begin, found) = transitions(tz, first, last);
    w.prop("BEGIN", &[], "VTIMEZONE");
    w.prop("TZID", &[], tz.name());
    let opening_start = if found.is_empty() {
        NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap_or_default()
            .and_time(chrono::NaiveTime::MIN)
    } else {
        DateTime::from_timestamp(begin, 0)
            .unwrap_or_default()
            .naive_utc()
            + Duration::seconds(i64::from(initial.fix().local_minus_utc()))
    };
    let opening = Observance {
        start: opening_start,
        from: initial,
        to: initial,
    };
    for o in std::iter::once(&opening).chain(&found) {
        let kind = if o.to.dst_offset() > Duration::zero() && !found.is_empty() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        w.prop("BEGIN", &[], kind);
        w.prop("DTSTART", &[], &fmt_local(o.start));
        w.prop("TZOFFSETFROM", &[], &fmt_utc_offset(o.from));
        w.prop("TZOFFSETTO", &[], &fmt_utc_offset(o.to));
        // The abbreviation (CET, CEST, …), or chrono-tz's numeric name (+03) if none.
        w.text("TZNAME", &o.to.to_string());
        w.prop("END", &[], kind);
    }
    w.prop("END", &[], "VTIMEZONE");
}

/// `+HHMM`, or `+HHMMSS` for offsets with seconds; zero is `+0000` (`-0000` is invalid).
fn fmt_utc_offset(offset: TzOffset) -> String {
    let secs = offset.fix().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

// ---------------------------------------------------------------------------------------
// Content lines

/// Accumulates folded CRLF content lines.
#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    /// Writes `NAME;K=V…:value`. Control characters are removed from the value (so no bare
    /// CR/LF can ever reach the output); parameter values are quoted when needed.
    fn prop(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        let mut line = String::with_capacity(name.len() + value.len() + 16);
        line.push_str(name);
        for (key, val) in params {
            line.push(';');
            line.push_str(key);
            line.push('=');
            push_param_value(&mut line, val);
        }
        line.push(':');
        line.extend(value.chars().filter(|c| !c.is_control()));
        fold_into(&mut self.out, &line);
    }

    /// Writes a TEXT property (escaped).
    fn text(&mut self, name: &str, value: &str) {
        self.prop(name, &[], &escape_text(value));
    }
}

fn push_param_value(line: &mut String, value: &str) {
    let clean = value.chars().filter(|c| !c.is_control() && *c != '"');
    if value.contains([':', ';', ',']) {
        line.push('"');
        line.extend(clean);
        line.push('"');
    } else {
        line.extend(clean);
    }
}

/// RFC 5545 TEXT escaping: `\` `;` `,` escaped, newlines (LF, CRLF) as `\n`, lone CRs and
/// other control characters removed, tabs as spaces.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded to physical lines of at most 75 octets, each ended by CRLF;
/// continuation lines start with one space. A fold never splits a UTF-8 character and,
/// where possible, neither leaves a blank at the end of a physical line (parsers that trim
/// lines would lose it) nor splits an escape like `\n` (valid, but naive parsers that
/// unescape before unfolding would break it).
fn fold_into(out: &mut String, line: &str) {
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut limit = MAX_LINE_OCTETS;
    while line.len() - start > limit {
        let mut end = start + limit;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        // Back off (over ASCII only, so `cut` stays a char boundary) until the physical
        // line neither ends in a blank nor between a backslash and the escaped character.
        let mut cut = end;
        while cut > start + 1 {
            let trailing_backslashes = bytes[..cut].iter().rev().take_while(|b| **b == b'\\');
            if matches!(bytes[cut - 1], b' ' | b'\t') || trailing_backslashes.count() % 2 == 1 {
                cut -= 1;
            } else {
                end = cut;
                break;
            }
        }
        if start > 0 {
            out.push(' ');
        }
        out.push_str(&line[start..end]);
        out.push_str("\r\n");
        start = end;
        limit = MAX_LINE_OCTETS - 1;
    }
    if start > 0 {
        out.push(' ');
    }
    out.push_str(&line[start..]);
    out.push_str("\r\n");
}

// ---------------------------------------------------------------------------------------
// Lint

/// Problems of an iCalendar document (empty = fine): CRLF line ends only, physical lines of
/// at most 75 octets, no fold inside a UTF-8 character, no blank lines, no control
/// characters, balanced BEGIN/END inside one VCALENDAR, UID+DTSTAMP+DTSTART in every
/// VEVENT, and a VTIMEZONE for every TZID used.
#[cfg(test)]
pub(crate) fn lint(ics: &str) -> Vec<String> {
    lint_bytes(ics.as_bytes())
}

/// [`lint`] on raw bytes, where a fold that splits a UTF-8 character can be seen (a `&str`
/// cannot hold one; decoded lossily it shows as U+FFFD, which [`lint`] reports too).
#[cfg(test)]
pub(crate) fn lint_bytes(ics: &[u8]) -> Vec<String> {
    use std::collections::BTreeSet;

    let mut problems = Vec::new();

    // Physical lines.
    let mut physical: Vec<&[u8]> = Vec::new();
    let mut line_start = 0;
    let mut i = 0;
    while i < ics.len() {
        match ics[i] {
            b'\r' if ics.get(i + 1) == Some(&b'\n') => {
                physical.push(&ics[line_start..i]);
                i += 2;
                line_start = i;
                continue;
            }
            b'\r' => problems.push(format!("line {}: bare CR", physical.len() + 1)),
            b'\n' => problems.push(format!("line {}: bare LF", physical.len() + 1)),
            _ => {}
        }
        i += 1;
    }
    if line_start < ics.len() {
        problems.push("missing CRLF after the last line".to_owned());
        physical.push(&ics[line_start..]);
    }

    let mut logical: Vec<(usize, String)> = Vec::new();
    for (n, raw) in physical.iter().enumerate() {
        let n = n + 1;
        if raw.len() > MAX_LINE_OCTETS {
            problems.push(format!(
                "line {n}: {} octets, more than {MAX_LINE_OCTETS}",
                raw.len()
            ));
        }
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(_) => {
                problems.push(format!(
                    "line {n}: not valid UTF-8 on its own (a fold splits a character?)"
                ));
                continue;
            }
        };
        if text.contains('\u{FFFD}') {
            problems.push(format!(
                "line {n}: U+FFFD (a split UTF-8 character decoded lossily?)"
            ));
        }
        if text.chars().any(|c| c.is_control() && c != '\t') {
            problems.push(format!("line {n}: control character"));
        }
        if text.is_empty() {
            problems.push(format!("line {n}: blank line"));
        } else if let Some(rest) = text.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some((_, last)) => last.push_str(rest),
                None => problems.push(format!("line {n}: continuation without a line")),
            }
        } else {
            logical.push((n, text.to_owned()));
        }
    }

    // Logical lines: structure, required properties, TZIDs.
    let mut stack: Vec<String> = Vec::new();
    let mut event_props: BTreeSet<String> = BTreeSet::new();
    let mut used_tzids: BTreeSet<String> = BTreeSet::new();
    let mut defined_tzids: BTreeSet<String> = BTreeSet::new();
    for (index, (n, line)) in logical.iter().enumerate() {
        let Some((name, params, value)) = split_content_line(line) else {
            problems.push(format!("line {n}: not a content line"));
            continue;
        };
        let name = name.to_ascii_uppercase();
        if index == 0 && !(name == "BEGIN" && value == "VCALENDAR") {
            problems.push(format!("line {n}: does not start with BEGIN:VCALENDAR"));
        }
        match name.as_str() {
            "BEGIN" => {
                if value == "VEVENT" {
                    event_props.clear();
                }
                stack.push(value.to_owned());
            }
            "END" => {
                if stack.last().map(String::as_str) != Some(value) {
                    problems.push(format!("line {n}: END:{value} does not close {stack:?}"));
                }
                stack.pop();
                if value == "VEVENT" {
                    for required in ["UID", "DTSTAMP", "DTSTART"] {
                        if !event_props.contains(required) {
                            problems.push(format!("line {n}: VEVENT without {required}"));
                        }
                    }
                }
                if stack.is_empty() && index + 1 != logical.len() {
                    problems.push(format!("line {n}: content after END:VCALENDAR"));
                }
            }
            _ => {
                if stack.is_empty() {
                    problems.push(format!("line {n}: {name} outside VCALENDAR"));
                }
                if stack.last().map(String::as_str) == Some("VEVENT") {
                    event_props.insert(name.clone());
                }
                if stack.last().map(String::as_str) == Some("VTIMEZONE") && name == "TZID" {
                    defined_tzids.insert(value.to_owned());
                }
            }
        }
        for (key, val) in params {
            if key.eq_ignore_ascii_case("TZID") {
                used_tzids.insert(val);
            }
        }
    }
    if !stack.is_empty() {
        problems.push(format!("unclosed components at the end: {stack:?}"));
    }
    for tzid in used_tzids.difference(&defined_tzids) {
        problems.push(format!("TZID {tzid} used without a VTIMEZONE"));
    }
    problems
}

#[cfg(test)]
type ContentLine<'l> = (&'l str, Vec<(String, String)>, &'l str);

/// Splits an unfolded content line into name, parameters (quotes removed) and value.
#[cfg(test)]
fn split_content_line(line: &str) -> Option<ContentLine<'_>> {
    let name_end = line.find([';', ':'])?;
    let name = &line[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = &line[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let (key, after) = after.split_once('=')?;
        let mut value = String::new();
        let mut in_quotes = false;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ';' | ':' if !in_quotes => {
                    end = i;
                    break;
                }
                c => value.push(c),
            }
        }
        if in_quotes {
            return None;
        }
        params.push((key.to_owned(), value));
        rest = &after[end..];
    }
    let value = rest.strip_prefix(':')?;
    Some((name, params, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    use ::ical::IcalParser;
    use ::ical::parser::ical::component::{IcalCalendar, IcalTimeZoneTransitionType};
    use ::ical::property::Property;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;
    const HOST: &str = "dorf.example";

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        local(y, m, d, h, min).and_utc()
    }

    fn event(id: u128, title: &str, when: When) -> FeedEvent {
        FeedEvent {
            id: Uuid::from_u128(id),
            title: title.to_owned(),
            description: String::new(),
            when,
            rrule: None,
            exdates: Vec::new(),
            moved: Vec::new(),
            cancelled: false,
            moved_from: None,
            sequence: 0,
            created_at: utc(2026, 1, 5, 8, 0),
            updated_at: utc(2026, 2, 6, 9, 30),
            place: None,
            geo: None,
            category: "Kultur".to_owned(),
            organiser: None,
            url: None,
        }
    }

    const LONG_GERMAN: &str = "Der Gesangverein „Frohsinn“ lädt zur Jahreshauptversammlung ins \
        Bürgerhaus ein: Grüße vom Bürgermeister, Rückblick auf das Jahr, Ehrungen für \
        langjährige Mitglieder; anschließend gemütliches Beisammensein mit Kässpätzle, \
        Weißbier und süßem Gebäck.\nAnmeldung bis Freitag über die Dorf-App – Überraschungen \
        garantiert! Pfad: C:\\Vereine\\Frohsinn";

    fn series() -> FeedEvent {
        let mut e = event(
            1,
            "Chorprobe",
            When::Timed {
                start: local(2027, 4, 6, 19, 0),
                end: Some(local(2027, 4, 6, 21, 0)),
            },
        );
        e.rrule = Some("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T170000Z".to_owned());
        e.exdates = vec![local(2027, 4, 27, 19, 0), local(2027, 4, 13, 19, 0)];
        e.moved = vec![MovedOccurrence {
            original: local(2027, 4, 20, 19, 0),
            when: When::Timed {
                start: local(2027, 4, 21, 18, 30),
                end: Some(local(2027, 4, 21, 20, 30)),
            },
            reason: Some("Saal belegt".to_owned()),
        }];
        e.sequence = 3;
        e.description = "Probe für das Frühjahrskonzert.".to_owned();
        e.organiser = Some("Gesangverein Frohsinn e.V.".to_owned());
        e
    }

    fn single_cancelled() -> FeedEvent {
        let mut e = event(
            2,
            "Jahreshauptversammlung",
            When::Timed {
                start: local(2026, 11, 13, 19, 30),
                end: Some(local(2026, 11, 13, 22, 0)),
            },
        );
        e.description = LONG_GERMAN.to_owned();
        e.cancelled = true;
        e.sequence = 2;
        e.moved_from = Some("Fr, 6. November 2026, 19:30 Uhr".to_owned());
        e.place = Some("Bürgerhaus, Hauptstraße 1; Saal".to_owned());
        e.geo = Some((47.8123456, 9.6));
        e.url = Some("https://dorf.example/veranstaltungen/2?x=1,2;3".to_owned());
        e
    }

    fn all_day() -> FeedEvent {
        event(
            3,
            "Dorffest",
            When::AllDay {
                first_day: date(2026, 7, 10),
                last_day: date(2026, 7, 12),
            },
        )
    }

    fn feed(events: &[FeedEvent]) -> String {
        render(&Calendar {
            name: "Veranstaltungen Rieder",
            tz: BERLIN,
            host: HOST,
            events,
        })
    }

    fn sample() -> String {
        feed(&[series(), single_cancelled(), all_day()])
    }

    fn parse(ics: &str) -> IcalCalendar {
        let mut parser = IcalParser::new(ics.as_bytes());
        let calendar = parser.next().expect("a calendar").expect("parses");
        assert!(parser.next().is_none(), "exactly one calendar");
        calendar
    }

    fn prop<'p>(props: &'p [Property], name: &str) -> &'p Property {
        let mut found = props.iter().filter(|p| p.name == name);
        let p = found.next().unwrap_or_else(|| panic!("{name} missing"));
        assert!(found.next().is_none(), "{name} twice");
        p
    }

    fn value<'p>(props: &'p [Property], name: &str) -> &'p str {
        prop(props, name).value.as_deref().unwrap_or("")
    }

    fn params(p: &Property) -> Vec<(String, Vec<String>)> {
        p.params.clone().unwrap_or_default()
    }

    fn tzid_param() -> Vec<(String, Vec<String>)> {
        vec![("TZID".to_owned(), vec!["Europe/Berlin".to_owned()])]
    }

    fn date_param() -> Vec<(String, Vec<String>)> {
        vec![("VALUE".to_owned(), vec!["DATE".to_owned()])]
    }

    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(c @ ('\\' | ';' | ',')) => out.push(c),
                other => panic!("bad escape \\{other:?}"),
            }
        }
        out
    }

    /// Logical lines (unfolded) of a rendered feed.
    fn unfold(ics: &str) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for physical in ics.split("\r\n").filter(|l| !l.is_empty()) {
            match physical.strip_prefix(' ') {
                Some(rest) => lines.last_mut().unwrap().push_str(rest),
                None => lines.push(physical.to_owned()),
            }
        }
        lines
    }

    #[test]
    fn round_trips_through_an_independent_parser() {
        let ics = sample();
        let cal = parse(&ics);

        assert_eq!(value(&cal.properties, "VERSION"), "2.0");
        assert_eq!(value(&cal.properties, "PRODID"), "-//Dorf-App//DE");
        assert_eq!(value(&cal.properties, "CALSCALE"), "GREGORIAN");
        assert_eq!(value(&cal.properties, "METHOD"), "PUBLISH");
        assert_eq!(
            value(&cal.properties, "X-WR-CALNAME"),
            "Veranstaltungen Rieder"
        );
        assert_eq!(value(&cal.properties, "X-WR-TIMEZONE"), "Europe/Berlin");
        assert_eq!(value(&cal.properties, "REFRESH-INTERVAL"), "PT1H");
        assert_eq!(
            params(prop(&cal.properties, "REFRESH-INTERVAL")),
            vec![("VALUE".to_owned(), vec!["DURATION".to_owned()])]
        );
        assert_eq!(value(&cal.properties, "X-PUBLISHED-TTL"), "PT1H");
        assert_eq!(cal.timezones.len(), 1);
        assert_eq!(value(&cal.timezones[0].properties, "TZID"), "Europe/Berlin");

        assert_eq!(cal.events.len(), 4, "master, override, single, all-day");
        let [master, moved, single, day] = &cal.events[..] else {
            unreachable!()
        };
        let series_uid = format!("{}@{HOST}", Uuid::from_u128(1));

        // Series master.
        let m = &master.properties;
        assert_eq!(value(m, "UID"), series_uid);
        assert_eq!(value(m, "DTSTAMP"), "20260206T093000Z");
        assert_eq!(value(m, "DTSTART"), "20270406T190000");
        assert_eq!(params(prop(m, "DTSTART")), tzid_param());
        assert_eq!(value(m, "DTEND"), "20270406T210000");
        assert_eq!(params(prop(m, "DTEND")), tzid_param());
        assert_eq!(
            value(m, "RRULE"),
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T170000Z"
        );
        assert_eq!(value(m, "EXDATE"), "20270413T190000,20270427T190000");
        assert_eq!(params(prop(m, "EXDATE")), tzid_param());
        assert_eq!(value(m, "SEQUENCE"), "3");
        assert_eq!(value(m, "STATUS"), "CONFIRMED");
        assert_eq!(value(m, "SUMMARY"), "Chorprobe");
        assert_eq!(
            unescape(value(m, "DESCRIPTION")),
            "Probe für das Frühjahrskonzert.\n\nVeranstalter: Gesangverein Frohsinn e.V."
        );
        assert_eq!(value(m, "CREATED"), "20260105T080000Z");
        assert_eq!(value(m, "LAST-MODIFIED"), "20260206T093000Z");
        assert_eq!(
            unescape(value(m, "X-ORGANIZER-NAME")),
            "Gesangverein Frohsinn e.V."
        );
        assert!(m.iter().all(|p| p.name != "ORGANIZER"));
        assert!(m.iter().all(|p| p.name != "RECURRENCE-ID"));

        // Override of the moved occurrence.
        let o = &moved.properties;
        assert_eq!(value(o, "UID"), series_uid);
        assert_eq!(value(o, "RECURRENCE-ID"), "20270420T190000");
        assert_eq!(params(prop(o, "RECURRENCE-ID")), tzid_param());
        assert_eq!(value(o, "DTSTART"), "20270421T183000");
        assert_eq!(params(prop(o, "DTSTART")), tzid_param());
        assert_eq!(value(o, "DTEND"), "20270421T203000");
        assert_eq!(value(o, "SEQUENCE"), "3");
        assert_eq!(value(o, "DTSTAMP"), "20260206T093000Z");
        assert!(o.iter().all(|p| p.name != "RRULE" && p.name != "EXDATE"));
        assert_eq!(
            unescape(value(o, "DESCRIPTION")),
            "Probe für das Frühjahrskonzert.\n\nVerschoben: Saal belegt\n\n\
             Veranstalter: Gesangverein Frohsinn e.V."
        );

        // Cancelled single event with long German text.
        let s = &single.properties;
        assert_eq!(value(s, "UID"), format!("{}@{HOST}", Uuid::from_u128(2)));
        assert_eq!(value(s, "STATUS"), "CANCELLED");
        assert_eq!(value(s, "SEQUENCE"), "2");
        assert_eq!(value(s, "DTSTART"), "20261113T193000");
        assert_eq!(params(prop(s, "DTSTART")), tzid_param());
        assert_eq!(
            unescape(value(s, "DESCRIPTION")),
            format!("{LONG_GERMAN}\n\nVerschoben, vorher: Fr, 6. November 2026, 19:30 Uhr")
        );
        assert_eq!(
            unescape(value(s, "LOCATION")),
            "Bürgerhaus, Hauptstraße 1; Saal"
        );
        assert_eq!(value(s, "GEO"), "47.812346;9.600000");
        assert_eq!(value(s, "CATEGORIES"), "Kultur");
        assert_eq!(
            value(s, "URL"),
            "https://dorf.example/veranstaltungen/2?x=1,2;3"
        );
        assert!(s.iter().all(|p| p.name != "RRULE" && p.name != "EXDATE"));

        // All-day.
        let d = &day.properties;
        assert_eq!(value(d, "DTSTART"), "20260710");
        assert_eq!(params(prop(d, "DTSTART")), date_param());
        assert_eq!(value(d, "DTEND"), "20260713");
        assert_eq!(params(prop(d, "DTEND")), date_param());

        // The long description really was folded, inside umlaut-rich text.
        assert!(ics.contains("\r\n "));
        assert!(ics.lines().count() > unfold(&ics).len());
    }

    #[test]
    fn sample_passes_lint() {
        let ics = sample();
        assert_eq!(lint(&ics), Vec::<String>::new(), "{ics}");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn escapes_text() {
        let mut e = event(
            4,
            "Kuchen; Kaffee, Tanz\nab 14 Uhr",
            When::Timed {
                start: local(2026, 5, 1, 14, 0),
                end: None,
            },
        );
        e.description = "Weg: C:\\Dorf\\Halle\r\nZweite Zeile\rohne CR\u{7}\tTab".to_owned();
        e.category = "Feste, Märkte".to_owned();
        let ics = feed(&[e]);
        assert!(
            ics.contains("\r\nSUMMARY:Kuchen\\; Kaffee\\, Tanz\\nab 14 Uhr\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("\r\nDESCRIPTION:Weg: C:\\\\Dorf\\\\Halle\\nZweite Zeileohne CR Tab\r\n"),
            "{ics}"
        );
        assert!(ics.contains("\r\nCATEGORIES:Feste\\, Märkte\r\n"));
        // No DTEND for an open end.
        assert!(!ics.contains("DTEND"));
        assert_eq!(lint(&ics), Vec::<String>::new());

        let cal = parse(&ics);
        let p = &cal.events[0].properties;
        assert_eq!(
            unescape(value(p, "SUMMARY")),
            "Kuchen; Kaffee, Tanz\nab 14 Uhr"
        );
        assert_eq!(
            unescape(value(p, "DESCRIPTION")),
            "Weg: C:\\Dorf\\Halle\nZweite Zeileohne CR Tab"
        );
    }

    #[test]
    fn quotes_parameter_values_when_needed() {
        let mut line = String::new();
        push_param_value(&mut line, "Europe/Berlin");
        assert_eq!(line, "Europe/Berlin");
        line.clear();
        push_param_value(&mut line, "Müller, \"Hans\": Chor;1");
        assert_eq!(line, "\"Müller, Hans: Chor;1\"");
    }

    /// The observances of the rendered VTIMEZONE: (kind, DTSTART, FROM, TO, TZNAME).
    fn observances(tz: Tz, years: Option<(i32, i32)>) -> Vec<[String; 5]> {
        let mut w = Writer::default();
        w.prop("BEGIN", &[], "VCALENDAR");
        write_vtimezone(&mut w, tz, years);
        w.prop("END", &[], "VCALENDAR");
        let cal = parse(&w.out);
        assert_eq!(lint(&w.out), Vec::<String>::new());
        assert_eq!(value(&cal.timezones[0].properties, "TZID"), tz.name());
        cal.timezones[0]
            .transitions
            .iter()
            .map(|t| {
                let kind = match t.transition {
                    IcalTimeZoneTransitionType::STANDARD => "STANDARD",
                    IcalTimeZoneTransitionType::DAYLIGHT => "DAYLIGHT",
                };
                let p = &t.properties;
                [
                    kind,
                    value(p, "DTSTART"),
                    value(p, "TZOFFSETFROM"),
                    value(p, "TZOFFSETTO"),
                    value(p, "TZNAME"),
                ]
                .map(str::to_owned)
            })
            .collect()
    }

    fn rows(rows: &[[&str; 5]]) -> Vec<[String; 5]> {
        rows.iter().map(|r| r.map(str::to_owned)).collect()
    }

    #[test]
    fn berlin_vtimezone_2026_2027() {
        assert_eq!(
            observances(BERLIN, Some((2026, 2027))),
            rows(&[
                ["STANDARD", "20260101T010000", "+0100", "+0100", "CET"],
                ["DAYLIGHT", "20260329T020000", "+0100", "+0200", "CEST"],
                ["STANDARD", "20261025T030000", "+0200", "+0100", "CET"],
                ["DAYLIGHT", "20270328T020000", "+0100", "+0200", "CEST"],
                ["STANDARD", "20271031T030000", "+0200", "+0100", "CET"],
            ])
        );
    }

    #[test]
    fn feed_vtimezone_covers_the_event_years_with_a_year_of_margin() {
        // Events in 2026/2027 (series until 2027) → transitions of 2025 to 2028.
        let cal = parse(&sample());
        let starts: Vec<String> = cal.timezones[0]
            .transitions
            .iter()
            .map(|t| value(&t.properties, "DTSTART").to_owned())
            .collect();
        assert_eq!(starts.first().unwrap(), "20250101T010000");
        for expected in [
            "20250330T020000",
            "20261025T030000",
            "20270328T020000",
            "20281029T030000",
        ] {
            assert!(
                starts.iter().any(|s| s == expected),
                "{expected}: {starts:?}"
            );
        }
        assert_eq!(starts.len(), 1 + 2 * 4);
    }

    #[test]
    fn new_york_transition_uses_the_old_offset() {
        assert_eq!(
            observances(chrono_tz::America::New_York, Some((2026, 2026))),
            rows(&[
                ["STANDARD", "20251231T190000", "-0500", "-0500", "EST"],
                ["DAYLIGHT", "20260308T020000", "-0500", "-0400", "EDT"],
                ["STANDARD", "20261101T020000", "-0400", "-0500", "EST"],
            ])
        );
    }

    #[test]
    fn zone_without_transitions_gets_one_standard() {
        assert_eq!(
            observances(chrono_tz::UTC, Some((2026, 2027))),
            rows(&[["STANDARD", "19700101T000000", "+0000", "+0000", "UTC"]])
        );
        assert_eq!(
            observances(chrono_tz::Asia::Tokyo, None),
            rows(&[["STANDARD", "19700101T000000", "+0900", "+0900", "JST"]])
        );
    }

    #[test]
    fn empty_calendar_is_valid_and_fixed() {
        let ics = feed(&[]);
        assert_eq!(lint(&ics), Vec::<String>::new());
        let cal = parse(&ics);
        assert!(cal.events.is_empty());
        assert_eq!(cal.timezones.len(), 1);
        assert_eq!(
            value(&cal.timezones[0].transitions[1].properties, "DTSTART"),
            "20260329T020000"
        );
        assert_eq!(ics, feed(&[]));
    }

    #[test]
    fn all_day_multi_day_event_has_exclusive_date_end() {
        let ics = feed(&[all_day()]);
        assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20260710\r\nDTEND;VALUE=DATE:20260713\r\n"));
        // A one-day event ends the next day; a reversed range is one day too.
        let one = event(
            5,
            "Flohmarkt",
            When::AllDay {
                first_day: date(2026, 12, 31),
                last_day: date(2026, 12, 31),
            },
        );
        let reversed = event(
            6,
            "Falsch herum",
            When::AllDay {
                first_day: date(2026, 8, 2),
                last_day: date(2026, 8, 1),
            },
        );
        let ics = feed(&[one, reversed]);
        assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270101\r\n"));
        assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20260802\r\nDTEND;VALUE=DATE:20260803\r\n"));
        assert_eq!(lint(&ics), Vec::<String>::new());
    }

    #[test]
    fn all_day_series_uses_dates_for_exdate_and_recurrence_id() {
        let mut e = all_day();
        e.rrule = Some("FREQ=YEARLY;COUNT=3".to_owned());
        e.exdates = vec![local(2027, 7, 10, 0, 0)];
        e.moved = vec![MovedOccurrence {
            original: local(2028, 7, 10, 0, 0),
            when: When::AllDay {
                first_day: date(2028, 7, 14),
                last_day: date(2028, 7, 16),
            },
            reason: None,
        }];
        let ics = feed(&[e]);
        assert_eq!(lint(&ics), Vec::<String>::new());
        assert!(ics.contains("\r\nEXDATE;VALUE=DATE:20270710\r\n"));
        assert!(ics.contains("\r\nRECURRENCE-ID;VALUE=DATE:20280710\r\n"));
        assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20280714\r\nDTEND;VALUE=DATE:20280717\r\n"));
        assert!(ics.contains("\r\nDESCRIPTION:Verschoben\r\n"));
    }

    #[test]
    fn series_details() {
        // An EXDATE equal to a moved occurrence is dropped, duplicates too.
        let mut e = series();
        e.exdates.push(local(2027, 4, 20, 19, 0));
        e.exdates.push(local(2027, 4, 13, 19, 0));
        let cal = parse(&feed(&[e]));
        assert_eq!(
            value(&cal.events[0].properties, "EXDATE"),
            "20270413T190000,20270427T190000"
        );

        // Without RRULE, neither EXDATE nor overrides are written.
        let mut e = series();
        e.rrule = None;
        let ics = feed(&[e]);
        assert!(!ics.contains("EXDATE") && !ics.contains("RECURRENCE-ID"));
        assert_eq!(parse(&ics).events.len(), 1);

        // Overrides follow their master in original order.
        let mut e = series();
        e.moved.insert(
            0,
            MovedOccurrence {
                original: local(2027, 5, 4, 19, 0),
                when: When::Timed {
                    start: local(2027, 5, 5, 19, 0),
                    end: None,
                },
                reason: Some("Feiertag".to_owned()),
            },
        );
        let cal = parse(&feed(&[e, all_day()]));
        let ids: Vec<&str> = cal
            .events
            .iter()
            .map(|e| {
                e.properties
                    .iter()
                    .find(|p| p.name == "RECURRENCE-ID")
                    .and_then(|p| p.value.as_deref())
                    .unwrap_or("-")
            })
            .collect();
        assert_eq!(ids, ["-", "20270420T190000", "20270504T190000", "-"]);
    }

    #[test]
    fn end_not_after_start_is_left_out() {
        let e = event(
            7,
            "Kaputt",
            When::Timed {
                start: local(2026, 5, 1, 14, 0),
                end: Some(local(2026, 5, 1, 13, 0)),
            },
        );
        let ics = feed(&[e]);
        assert!(!ics.contains("DTEND"));
        assert_eq!(lint(&ics), Vec::<String>::new());
    }

    #[test]
    fn renders_are_byte_equal() {
        let a = sample();
        let b = sample();
        assert_eq!(a.as_bytes(), b.as_bytes());
        let events = [series(), single_cancelled(), all_day()];
        assert_eq!(feed(&events), feed(&events));
    }

    #[test]
    fn folding_keeps_characters_whole_and_round_trips() {
        let pieces = [
            "a", "ä", "€", "🎉", " ", "ß", "\\,", "x y", "\\\\", "\\n", "  ",
        ];
        for len in 0..260 {
            let text: String = (0..len)
                .map(|i| pieces[(i * 7 + len) % pieces.len()])
                .collect();
            let mut out = String::new();
            fold_into(&mut out, &format!("DESCRIPTION:{text}"));
            assert_eq!(lint_physical(&out), Vec::<String>::new(), "{out:?}");
            let unfolded = unfold(&out);
            assert_eq!(unfolded, [format!("DESCRIPTION:{text}")]);
            // Every fold comes after a non-blank and outside an escape sequence.
            let physical: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
            let mut prefix = String::new();
            for (i, line) in physical.iter().enumerate() {
                prefix.push_str(if i == 0 { line } else { &line[1..] });
                if i + 1 < physical.len() {
                    assert!(!prefix.ends_with([' ', '\t']), "{out:?}");
                    let backslashes = prefix.chars().rev().take_while(|c| *c == '\\').count();
                    assert_eq!(backslashes % 2, 0, "{out:?}");
                }
            }
        }
    }

    #[test]
    fn folded_umlauts_survive_the_parser() {
        let mut e = single_cancelled();
        e.title = "Ä".repeat(30) + " " + &"ö ü ".repeat(40);
        e.moved_from = None;
        let ics = feed(&[e]);
        assert!(ics.split("\r\n").all(|l| l.len() <= MAX_LINE_OCTETS));
        let cal = parse(&ics);
        assert_eq!(
            value(&cal.events[0].properties, "SUMMARY"),
            ("Ä".repeat(30) + " " + &"ö ü ".repeat(40)).trim_end()
        );
        assert_eq!(
            unescape(value(&cal.events[0].properties, "DESCRIPTION")),
            LONG_GERMAN
        );
    }

    /// Only the physical-line checks of [`lint`] (for a fragment without VCALENDAR).
    fn lint_physical(fragment: &str) -> Vec<String> {
        let doc = format!("BEGIN:VCALENDAR\r\n{fragment}END:VCALENDAR\r\n");
        lint(&doc)
    }

    fn valid_doc() -> String {
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VTIMEZONE",
            "TZID:Europe/Berlin",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "UID:1@x",
            "DTSTAMP:20260101T000000Z",
            "DTSTART;TZID=Europe/Berlin:20260101T100000",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
        .join("\r\n")
    }

    fn assert_finds(doc: &str, needle: &str) {
        let problems = lint(doc);
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "expected {needle:?} in {problems:?}"
        );
    }

    #[test]
    fn lint_finds_broken_documents() {
        let ok = valid_doc();
        assert_eq!(lint(&ok), Vec::<String>::new());

        assert_finds(&ok.replace("VERSION:2.0\r\n", "VERSION:2.0\n"), "bare LF");
        assert_finds(&ok.replace("VERSION:2.0\r\n", "VERSION:2.0\r"), "bare CR");
        assert_finds(
            &ok.replace("UID:1@x", &format!("UID:{}", "x".repeat(80))),
            "octets",
        );
        assert_finds(
            &ok.replace("VERSION:2.0\r\n", "VERSION:2.0\r\n\r\n"),
            "blank line",
        );
        assert_finds(&ok.replace("UID:1@x\r\n", ""), "VEVENT without UID");
        assert_finds(
            &ok.replace("DTSTAMP:20260101T000000Z\r\n", ""),
            "without DTSTAMP",
        );
        assert_finds(
            &ok.replace("DTSTART;TZID=Europe/Berlin:20260101T100000", "SUMMARY:x"),
            "without DTSTART",
        );
        assert_finds(
            &ok.replace("TZID:Europe/Berlin\r\n", ""),
            "Europe/Berlin used without",
        );
        assert_finds(
            &ok.replace("TZID=Europe/Berlin", "TZID=\"Europe/Vienna\""),
            "Europe/Vienna",
        );
        assert_finds(ok.trim_end(), "missing CRLF");
        assert_finds(&ok.replace("END:VEVENT\r\n", ""), "does not close");
        assert_finds(
            &ok.replace("VERSION:2.0", "VERSION:2.\u{1}0"),
            "control character",
        );

        // A fold inside "ä" (0xC3 0xA4): bytes invalid per line; lossily decoded: U+FFFD.
        let broken = ok.replace("UID:1@x", "SUMMARY:ä\r\n UID:1@x").into_bytes();
        let at = broken.windows(2).position(|w| w == [0xC3, 0xA4]).unwrap() + 1;
        let mut split = broken[..at].to_vec();
        split.extend_from_slice(b"\r\n ");
        split.extend_from_slice(&broken[at..]);
        let problems = lint_bytes(&split);
        assert!(
            problems.iter().any(|p| p.contains("not valid UTF-8")),
            "{problems:?}"
        );
        assert_finds(&String::from_utf8_lossy(&split), "U+FFFD");
    }

    #[test]
    fn every_zone_gets_consistent_observances() {
        for tz in chrono_tz::TZ_VARIANTS {
            let (_, _, found) = transitions(tz, 2025, 2027);
            for o in &found {
                // The onset is local time in the old offset: back to UTC with `from`.
                let onset =
                    o.start.and_utc().timestamp() - i64::from(o.from.fix().local_minus_utc());
                assert!(offset_at(tz, onset - 1) == o.from, "{tz}: {}", o.start);
                assert!(offset_at(tz, onset) == o.to, "{tz}: {}", o.start);
            }
            let mut w = Writer::default();
            w.prop("BEGIN", &[], "VCALENDAR");
            write_vtimezone(&mut w, tz, Some((2025, 2027)));
            w.prop("END", &[], "VCALENDAR");
            assert_eq!(lint(&w.out), Vec::<String>::new(), "{tz}");
            assert_eq!(parse(&w.out).timezones.len(), 1, "{tz}");
        }
    }
}
