//! Recurrence rules for events: the subset of RFC 5545 `RRULE` that village calendars use —
//! `FREQ=WEEKLY` or `MONTHLY`, `INTERVAL`, `BYDAY` (with an ordinal for monthly: `2TU`,
//! `-1FR`), `BYMONTHDAY`, `UNTIL`, `COUNT` — parsed strictly, written back canonically for
//! iCal, and expanded in the municipality's time zone: "every Tuesday 19:00" stays 19:00 local
//! across the changes to and from summer time.
//!
//! Expansion is bounded three ways, so no rule and no window can make a request expand without
//! end: `COUNT` is at most [`COUNT_MAX`], the walk covers at most [`HORIZON_YEARS`] from the
//! start, and a caller asks for at most `limit` occurrences.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, Offset,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// The most occurrences a rule may name with `COUNT`.
pub const COUNT_MAX: u32 = 1000;
/// The largest `INTERVAL` (every 52nd week, every 12th month).
pub const INTERVAL_MAX: u32 = 52;
/// How far from its start a rule is ever expanded.
pub const HORIZON_YEARS: i32 = 10;

/// How often.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Weekly,
    Monthly,
}

/// A weekday, with an ordinal inside the month for monthly rules (`2TU`: the second Tuesday,
/// `-1FR`: the last Friday); `None` is every such day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByDay {
    pub ordinal: Option<i8>,
    pub weekday: Weekday,
}

/// A parsed rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub frequency: Frequency,
    pub interval: u32,
    pub by_day: Vec<ByDay>,
    /// 1..=31 or -31..=-1 (from the month's end).
    pub by_month_day: Vec<i8>,
    /// The last start allowed (UTC, as RFC 5545 wants with a zoned start).
    pub until: Option<DateTime<Utc>>,
    pub count: Option<u32>,
}

/// Why a rule was refused, in words for the person who wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub de: String,
    pub en: String,
}

fn refuse(de: impl Into<String>, en: impl Into<String>) -> RuleError {
    RuleError {
        de: de.into(),
        en: en.into(),
    }
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("MO", Weekday::Mon),
    ("TU", Weekday::Tue),
    ("WE", Weekday::Wed),
    ("TH", Weekday::Thu),
    ("FR", Weekday::Fri),
    ("SA", Weekday::Sat),
    ("SU", Weekday::Sun),
];

fn weekday_code(day: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(_, d)| *d == day)
        .map_or("MO", |(code, _)| code)
}

fn parse_by_day(part: &str) -> Result<ByDay, RuleError> {
    let bad = || {
        refuse(
            format!(
                "BYDAY: „{part}“ ist kein Wochentag (MO … SU, für Monate z. B. 2TU oder -1FR)."
            ),
            format!("BYDAY: \"{part}\" is not a weekday (MO … SU, for months e.g. 2TU or -1FR)."),
        )
    };
    if part.len() < 2 || !part.is_ascii() {
        return Err(bad());
    }
    let (number, code) = part.split_at(part.len() - 2);
    let weekday = WEEKDAYS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
        .ok_or_else(bad)?;
    let ordinal = if number.is_empty() {
        None
    } else {
        let n: i8 = number.parse().map_err(|_| bad())?;
        if n == 0 || !(-5..=5).contains(&n) {
            return Err(bad());
        }
        Some(n)
    };
    Ok(ByDay { ordinal, weekday })
}

fn parse_until(value: &str) -> Result<DateTime<Utc>, RuleError> {
    let bad = || {
        refuse(
            "UNTIL: ein Zeitpunkt in UTC wie 20270630T220000Z oder ein Datum wie 20270630.",
            "UNTIL: a UTC time like 20270630T220000Z or a date like 20270630.",
        )
    };
    if let Some(utc) = value.strip_suffix('Z') {
        let at = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
        return Ok(at.and_utc());
    }
    // A date: until the end of that day (UTC), so the occurrence on it counts.
    let day = NaiveDate::parse_from_str(value, "%Y%m%d").map_err(|_| bad())?;
    day.and_hms_opt(23, 59, 59)
        .map(|at| at.and_utc())
        .ok_or_else(bad)
}

impl Rule {
    /// Parses `FREQ=WEEKLY;BYDAY=TU` and the like (an optional `RRULE:` prefix is allowed).
    /// Parts outside the subset (`BYSETPOS`, `FREQ=SECONDLY` …) are refused, never ignored.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let text = text.trim();
        let text = match text.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &text[6..],
            _ => text,
        };
        if text.is_empty() || text.len() > 500 {
            return Err(refuse(
                "Die Regel ist leer oder zu lang.",
                "The rule is empty or too long.",
            ));
        }
        let mut frequency = None;
        let mut interval = None;
        let mut by_day = Vec::new();
        let mut by_month_day = Vec::new();
        let mut until = None;
        let mut count = None;
        let mut seen = BTreeSet::new();
        for part in text.split(';') {
            let Some((name, value)) = part.split_once('=') else {
                return Err(refuse(
                    format!("„{part}“ ist kein Teil NAME=WERT."),
                    format!("\"{part}\" is not a NAME=VALUE part."),
                ));
            };
            let name = name.to_ascii_uppercase();
            if !seen.insert(name.clone()) {
                return Err(refuse(
                    format!("{name} steht doppelt in der Regel."),
                    format!("{name} appears twice in the rule."),
                ));
            }
            let value = value.to_ascii_uppercase();
            match name.as_str() {
                "FREQ" => {
                    frequency = Some(match value.as_str() {
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        _ => {
                            return Err(refuse(
                                format!(
                                    "FREQ={value} gibt es hier nicht: nur WEEKLY oder MONTHLY."
                                ),
                                format!("FREQ={value} is not offered: only WEEKLY or MONTHLY."),
                            ));
                        }
                    });
                }
                "INTERVAL" => {
                    let n: u32 = value.parse().unwrap_or(0);
                    if !(1..=INTERVAL_MAX).contains(&n) {
                        return Err(refuse(
                            format!("INTERVAL: eine Zahl von 1 bis {INTERVAL_MAX}."),
                            format!("INTERVAL: a number from 1 to {INTERVAL_MAX}."),
                        ));
                    }
                    interval = Some(n);
                }
                "BYDAY" => {
                    for day in value.split(',') {
                        by_day.push(parse_by_day(day)?);
                    }
                }
                "BYMONTHDAY" => {
                    for day in value.split(',') {
                        match day.parse::<i8>() {
                            Ok(n) if n != 0 && (-31..=31).contains(&n) => by_month_day.push(n),
                            _ => {
                                return Err(refuse(
                                    format!(
                                        "BYMONTHDAY: „{day}“ ist kein Tag (1 bis 31, -1 ist der letzte)."
                                    ),
                                    format!(
                                        "BYMONTHDAY: \"{day}\" is not a day (1 to 31, -1 is the last)."
                                    ),
                                ));
                            }
                        }
                    }
                }
                "UNTIL" => until = Some(parse_until(&value)?),
                "COUNT" => {
                    let n: u32 = value.parse().unwrap_or(0);
                    if !(1..=COUNT_MAX).contains(&n) {
                        return Err(refuse(
                            format!("COUNT: eine Zahl von 1 bis {COUNT_MAX}."),
                            format!("COUNT: a number from 1 to {COUNT_MAX}."),
                        ));
                    }
                    count = Some(n);
                }
                other => {
                    return Err(refuse(
                        format!(
                            "{other} wird nicht unterstützt (nur FREQ, INTERVAL, BYDAY, BYMONTHDAY, UNTIL, COUNT)."
                        ),
                        format!(
                            "{other} is not supported (only FREQ, INTERVAL, BYDAY, BYMONTHDAY, UNTIL, COUNT)."
                        ),
                    ));
                }
            }
        }
        let frequency = frequency.ok_or_else(|| {
            refuse(
                "FREQ fehlt (WEEKLY oder MONTHLY).",
                "FREQ is missing (WEEKLY or MONTHLY).",
            )
        })?;
        if until.is_some() && count.is_some() {
            return Err(refuse(
                "UNTIL und COUNT schließen einander aus.",
                "UNTIL and COUNT exclude each other.",
            ));
        }
        if frequency == Frequency::Weekly {
            if !by_month_day.is_empty() {
                return Err(refuse(
                    "BYMONTHDAY passt nicht zu FREQ=WEEKLY.",
                    "BYMONTHDAY does not go with FREQ=WEEKLY.",
                ));
            }
            if by_day.iter().any(|d| d.ordinal.is_some()) {
                return Err(refuse(
                    "Wöchentlich gibt es keine Nummer vor dem Tag (TU statt 2TU).",
                    "Weekly rules take no number before the day (TU, not 2TU).",
                ));
            }
        }
        if frequency == Frequency::Monthly && !by_day.is_empty() && !by_month_day.is_empty() {
            return Err(refuse(
                "Monatlich entweder BYDAY oder BYMONTHDAY, nicht beides.",
                "Monthly either BYDAY or BYMONTHDAY, not both.",
            ));
        }
        Ok(Rule {
            frequency,
            interval: interval.unwrap_or(1),
            by_day,
            by_month_day,
            until,
            count,
        })
    }

    /// The rule as iCal writes it (`FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=…`).
    pub fn to_rrule(&self) -> String {
        let mut parts = vec![format!(
            "FREQ={}",
            match self.frequency {
                Frequency::Weekly => "WEEKLY",
                Frequency::Monthly => "MONTHLY",
            }
        )];
        if self.interval != 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|d| {
                    format!(
                        "{}{}",
                        d.ordinal.map(|n| n.to_string()).unwrap_or_default(),
                        weekday_code(d.weekday)
                    )
                })
                .collect();
            parts.push(format!("BYDAY={}", days.join(",")));
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<String> = self.by_month_day.iter().map(i8::to_string).collect();
            parts.push(format!("BYMONTHDAY={}", days.join(",")));
        }
        if let Some(until) = self.until {
            parts.push(format!("UNTIL={}", until.format("%Y%m%dT%H%M%SZ")));
        }
        if let Some(count) = self.count {
            parts.push(format!("COUNT={count}"));
        }
        parts.join(";")
    }
}

/// A local wall-clock time as an instant. A time in the spring gap (02:30 on the last Sunday
/// of March in Germany) is moved forward by the gap, as RFC 5545 says; one in the repeated
/// autumn hour is its first occurrence.
pub fn resolve(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The offset in force before the gap (a gap is a few hours at most).
            match tz
                .offset_from_local_datetime(&(local - Duration::hours(6)))
                .earliest()
            {
                Some(offset) => {
                    (local - Duration::seconds(i64::from(offset.fix().local_minus_utc()))).and_utc()
                }
                None => local.and_utc(),
            }
        }
    }
}

/// Whether a local time exists exactly once (for a start given by a person: a time in the gap
/// or in the repeated hour is refused with a clear text rather than guessed).
pub fn is_unambiguous(local: NaiveDateTime, tz: Tz) -> bool {
    matches!(tz.from_local_datetime(&local), LocalResult::Single(_))
}

/// The days of one period (a week from its Monday, or a month) that the rule picks, in order.
fn days_of_period(rule: &Rule, period_start: NaiveDate, start_day: NaiveDate) -> Vec<NaiveDate> {
    match rule.frequency {
        Frequency::Weekly => {
            let weekdays: Vec<Weekday> = if rule.by_day.is_empty() {
                vec![start_day.weekday()]
            } else {
                rule.by_day.iter().map(|d| d.weekday).collect()
            };
            let mut days: Vec<NaiveDate> = (0..7)
                .filter_map(|i| period_start.checked_add_days(Days::new(i)))
                .filter(|d| weekdays.contains(&d.weekday()))
                .collect();
            days.sort();
            days
        }
        Frequency::Monthly => {
            let (year, month) = (period_start.year(), period_start.month());
            let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
                return Vec::new();
            };
            let last = first
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(first);
            let length = last.day() as i32;
            let mut days = Vec::new();
            if !rule.by_month_day.is_empty() {
                for n in &rule.by_month_day {
                    let n = i32::from(*n);
                    let day = if n > 0 { n } else { length + 1 + n };
                    // A day the month does not have (the 31st of April) is skipped (RFC 5545).
                    if (1..=length).contains(&day)
                        && let Some(date) = NaiveDate::from_ymd_opt(year, month, day as u32)
                    {
                        days.push(date);
                    }
                }
            } else if !rule.by_day.is_empty() {
                for by in &rule.by_day {
                    let matching: Vec<NaiveDate> = first
                        .iter_days()
                        .take_while(|d| *d <= last)
                        .filter(|d| d.weekday() == by.weekday)
                        .collect();
                    match by.ordinal {
                        None => days.extend(matching),
                        Some(n) if n > 0 => days.extend(matching.get(n as usize - 1).copied()),
                        Some(n) => {
                            let from_end = matching.len() as i32 + i32::from(n);
                            if from_end >= 0 {
                                days.extend(matching.get(from_end as usize).copied());
                            }
                        }
                    }
                }
            } else if let Some(date) = NaiveDate::from_ymd_opt(year, month, start_day.day()) {
                // Monthly on the start's day; a month without that day is skipped.
                days.push(date);
            }
            days.sort();
            days.dedup();
            days
        }
    }
}

/// One occurrence: its start as an instant, and the local start it stands for (the key of an
/// exception: `EXDATE`, a moved occurrence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub local: NaiveDateTime,
}

/// The occurrences of a rule starting at local `start` (the first occurrence, counted by
/// `COUNT`), with the local starts in `excluded` left out (they still count for `COUNT`, as in
/// RFC 5545), whose start falls in `[from, to)`, at most `limit`.
pub fn expand(
    rule: &Rule,
    start: NaiveDateTime,
    tz: Tz,
    excluded: &BTreeSet<NaiveDateTime>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let Some(horizon) = start
        .date()
        .checked_add_months(Months::new(12 * HORIZON_YEARS as u32))
    else {
        return found;
    };
    let time = start.time();
    let start_day = start.date();
    let mut period_start = match rule.frequency {
        Frequency::Weekly => {
            start_day - Days::new(u64::from(start_day.weekday().num_days_from_monday()))
        }
        Frequency::Monthly => {
            NaiveDate::from_ymd_opt(start_day.year(), start_day.month(), 1).unwrap_or(start_day)
        }
    };
    let mut counted: u32 = 0;
    // The first occurrence is the start itself, always (RFC 5545: DTSTART counts).
    let mut candidates_first = true;
    while period_start <= horizon && found.len() < limit {
        let mut days = days_of_period(rule, period_start, start_day);
        if candidates_first {
            days.retain(|d| *d >= start_day);
            if days.first() != Some(&start_day) {
                days.insert(0, start_day);
            }
            candidates_first = false;
        }
        for day in days {
            if day > horizon {
                return found;
            }
            let local = day.and_time(time);
            let at = resolve(local, tz);
            if rule.until.is_some_and(|until| at > until) {
                return found;
            }
            if rule.count.is_some_and(|count| counted >= count) {
                return found;
            }
            counted += 1;
            if at >= to {
                return found;
            }
            if at >= from && !excluded.contains(&local) {
                found.push(Occurrence { start: at, local });
                if found.len() >= limit {
                    return found;
                }
            }
        }
        period_start = match rule.frequency {
            Frequency::Weekly => {
                match period_start.checked_add_days(Days::new(7 * u64::from(rule.interval))) {
                    Some(next) => next,
                    None => break,
                }
            }
            Frequency::Monthly => match period_start.checked_add_months(Months::new(rule.interval))
            {
                Some(next) => next,
                None => break,
            },
        };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("local time")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn locals(occurrences: &[Occurrence], tz: Tz) -> Vec<String> {
        occurrences
            .iter()
            .map(|o| {
                o.start
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M %a")
                    .to_string()
            })
            .collect()
    }

    fn all(rule: &str, start: &str) -> Vec<String> {
        let rule = Rule::parse(rule).expect("rule");
        let found = expand(
            &rule,
            local(start),
            BERLIN,
            &BTreeSet::new(),
            utc("2000-01-01T00:00:00Z"),
            utc("2100-01-01T00:00:00Z"),
            100,
        );
        locals(&found, BERLIN)
    }

    #[test]
    fn every_tuesday_at_seven_stays_at_seven_across_both_changes_of_the_clock() {
        // Summer time starts on 29 March 2026 and ends on 25 October 2026.
        let found = all("FREQ=WEEKLY;BYDAY=TU;COUNT=4", "2026-03-17 19:00");
        assert_eq!(
            found,
            [
                "2026-03-17 19:00 Tue",
                "2026-03-24 19:00 Tue",
                "2026-03-31 19:00 Tue",
                "2026-04-07 19:00 Tue"
            ]
        );
        let autumn = all("FREQ=WEEKLY;COUNT=3", "2026-10-20 19:00");
        assert_eq!(
            autumn,
            [
                "2026-10-20 19:00 Tue",
                "2026-10-27 19:00 Tue",
                "2026-11-03 19:00 Tue"
            ]
        );
        // And the instants differ by a week minus (or plus) the hour that changed.
        let rule = Rule::parse("FREQ=WEEKLY;COUNT=2").expect("rule");
        let two = expand(
            &rule,
            local("2026-03-24 19:00"),
            BERLIN,
            &BTreeSet::new(),
            utc("2026-01-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
            10,
        );
        assert_eq!(two[1].start - two[0].start, Duration::hours(7 * 24 - 1));
    }

    #[test]
    fn weekly_on_several_days_every_other_week_until_a_date() {
        let found = all(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20260520T000000Z",
            "2026-04-28 18:30",
        );
        assert_eq!(
            found,
            [
                "2026-04-28 18:30 Tue",
                "2026-04-30 18:30 Thu",
                "2026-05-12 18:30 Tue",
                "2026-05-14 18:30 Thu"
            ]
        );
    }

    #[test]
    fn monthly_by_ordinal_weekday_and_by_month_day() {
        assert_eq!(
            all("FREQ=MONTHLY;BYDAY=1FR;COUNT=3", "2026-01-02 20:00"),
            [
                "2026-01-02 20:00 Fri",
                "2026-02-06 20:00 Fri",
                "2026-03-06 20:00 Fri"
            ]
        );
        assert_eq!(
            all("FREQ=MONTHLY;BYDAY=-1SA;COUNT=3", "2026-01-31 10:00"),
            [
                "2026-01-31 10:00 Sat",
                "2026-02-28 10:00 Sat",
                "2026-03-28 10:00 Sat"
            ]
        );
        // The 31st: months without one are skipped, not moved.
        assert_eq!(
            all("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3", "2026-01-31 09:00"),
            [
                "2026-01-31 09:00 Sat",
                "2026-03-31 09:00 Tue",
                "2026-05-31 09:00 Sun"
            ]
        );
        assert_eq!(
            all("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2", "2026-02-28 09:00"),
            ["2026-02-28 09:00 Sat", "2026-03-31 09:00 Tue"]
        );
    }

    #[test]
    fn an_excluded_occurrence_is_left_out_but_still_counts() {
        let rule = Rule::parse("FREQ=WEEKLY;COUNT=3").expect("rule");
        let excluded = BTreeSet::from([local("2026-05-12 19:00")]);
        let found = expand(
            &rule,
            local("2026-05-05 19:00"),
            BERLIN,
            &excluded,
            utc("2026-01-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
            10,
        );
        assert_eq!(
            locals(&found, BERLIN),
            ["2026-05-05 19:00 Tue", "2026-05-19 19:00 Tue"]
        );
    }

    #[test]
    fn a_window_and_a_limit_bound_every_expansion() {
        // No end at all: ten years at most, and only the window asked for.
        let rule = Rule::parse("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU").expect("rule");
        let window = expand(
            &rule,
            local("2026-01-01 08:00"),
            BERLIN,
            &BTreeSet::new(),
            utc("2026-06-01T00:00:00Z"),
            utc("2026-06-08T00:00:00Z"),
            1000,
        );
        assert_eq!(window.len(), 7);
        let endless = expand(
            &rule,
            local("2026-01-01 08:00"),
            BERLIN,
            &BTreeSet::new(),
            utc("2000-01-01T00:00:00Z"),
            utc("2200-01-01T00:00:00Z"),
            usize::MAX,
        );
        assert!(endless.len() <= 366 * 10 + 1, "{}", endless.len());
        let limited = expand(
            &rule,
            local("2026-01-01 08:00"),
            BERLIN,
            &BTreeSet::new(),
            utc("2000-01-01T00:00:00Z"),
            utc("2200-01-01T00:00:00Z"),
            25,
        );
        assert_eq!(limited.len(), 25);
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_and_the_autumn_hour_takes_its_first() {
        // 29 March 2026, 02:30 does not exist in Berlin: 03:30 summer time.
        assert_eq!(
            resolve(local("2026-03-29 02:30"), BERLIN),
            utc("2026-03-29T01:30:00Z")
        );
        assert!(!is_unambiguous(local("2026-03-29 02:30"), BERLIN));
        // 25 October 2026, 02:30 exists twice: the first (summer time) is taken.
        assert_eq!(
            resolve(local("2026-10-25 02:30"), BERLIN),
            utc("2026-10-25T00:30:00Z")
        );
        assert!(!is_unambiguous(local("2026-10-25 02:30"), BERLIN));
        assert!(is_unambiguous(local("2026-10-25 19:00"), BERLIN));
    }

    #[test]
    fn rules_outside_the_subset_are_refused_with_a_reason() {
        for (text, says) in [
            ("FREQ=SECONDLY", "FREQ=SECONDLY"),
            ("FREQ=DAILY", "FREQ=DAILY"),
            ("FREQ=WEEKLY;COUNT=100000", "COUNT"),
            ("FREQ=WEEKLY;COUNT=0", "COUNT"),
            ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
            ("FREQ=WEEKLY;INTERVAL=999999999999", "INTERVAL"),
            ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
            ("FREQ=WEEKLY;BYDAY=2TU", "TU"),
            ("FREQ=MONTHLY;BYDAY=9TU", "BYDAY"),
            ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
            ("FREQ=MONTHLY;BYMONTHDAY=1;BYDAY=TU", "BYDAY"),
            ("FREQ=WEEKLY;UNTIL=20270101T000000Z;COUNT=3", "UNTIL"),
            ("FREQ=WEEKLY;UNTIL=morgen", "UNTIL"),
            ("FREQ=WEEKLY;BYSETPOS=1", "BYSETPOS"),
            ("FREQ=WEEKLY;FREQ=MONTHLY", "doppelt"),
            ("BYDAY=TU", "FREQ"),
            ("FREQ", "NAME=WERT"),
            ("", "leer"),
            ("FREQ=WEEKLY;BYDAY=ÄÖ", "BYDAY"),
            ("ÄÖÜßRRULE", "NAME=WERT"),
        ] {
            let refused = Rule::parse(text).expect_err(text);
            assert!(refused.de.contains(says), "{text}: {}", refused.de);
            assert!(!refused.en.is_empty());
        }
    }

    #[test]
    fn a_rule_is_written_back_as_ical_writes_it() {
        for text in [
            "FREQ=WEEKLY",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270630T220000Z",
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
            "FREQ=MONTHLY;BYMONTHDAY=1,15",
        ] {
            let rule = Rule::parse(text).expect(text);
            assert_eq!(rule.to_rrule(), text);
            assert_eq!(Rule::parse(&rule.to_rrule()).expect("again"), rule);
        }
        // Names and values are read case-insensitively, with or without the `RRULE:` prefix.
        assert_eq!(
            Rule::parse("rrule:freq=weekly;byday=tu"),
            Rule::parse("FREQ=WEEKLY;BYDAY=TU")
        );
    }
}
