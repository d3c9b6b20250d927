//! What followers of an event are told, word for word. German: residents read it.

use chrono::{DateTime, Datelike, Utc, Weekday};
use chrono_tz::Tz;
use entity::vocab::EventReminder;

fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mo.",
        Weekday::Tue => "Di.",
        Weekday::Wed => "Mi.",
        Weekday::Thu => "Do.",
        Weekday::Fri => "Fr.",
        Weekday::Sat => "Sa.",
        Weekday::Sun => "So.",
    }
}

/// `Di., 09.06.2026, 19:00 Uhr` (all-day: `Sa., 20.06.2026`), in the municipality's time.
pub fn when(at: DateTime<Utc>, tz: Tz, all_day: bool) -> String {
    let local = at.with_timezone(&tz);
    let day = format!("{} {}", weekday(local.weekday()), local.format("%d.%m.%Y"));
    if all_day {
        day
    } else {
        format!("{day}, {} Uhr", local.format("%H:%M"))
    }
}

/// The whole event is cancelled.
pub fn cancelled(title: &str, reason: &str) -> (String, String) {
    (format!("Abgesagt: {title}"), reason.to_owned())
}

/// A single event has a new time.
pub fn moved(title: &str, new: &str, old: &str) -> (String, String) {
    (
        format!("Neuer Termin: {title}"),
        format!("Jetzt am {new} (statt {old})."),
    )
}

/// A series has new dates.
pub fn new_dates(title: &str, first: &str) -> (String, String) {
    (
        format!("Neue Termine: {title}"),
        format!("Die Termine haben sich geändert; der nächste ist am {first}."),
    )
}

/// One date of a series does not take place.
pub fn date_cancelled(title: &str, date: &str, reason: Option<&str>) -> (String, String) {
    let mut body = format!("Der Termin am {date} fällt aus.");
    if let Some(reason) = reason {
        body.push(' ');
        body.push_str(reason);
    }
    (format!("Fällt aus: {title}"), body)
}

/// One date of a series takes place at another time.
pub fn date_moved(title: &str, date: &str, new: &str) -> (String, String) {
    (
        format!("Verlegt: {title}"),
        format!("Der Termin am {date} ist verlegt auf {new}."),
    )
}

/// A date said to be cancelled or moved takes place as planned again.
pub fn date_restored(title: &str, date: &str) -> (String, String) {
    (
        format!("Findet statt: {title}"),
        format!("Der Termin am {date} findet wie geplant statt."),
    )
}

/// To the person who wrote it: a leader or the town took the event off the calendar.
pub fn taken_down(title: &str, reason: &str) -> (String, String) {
    (
        format!("Aus dem Kalender genommen: {title}"),
        format!(
            "Grund: {reason} Bei Fragen wenden Sie sich an Ihre Ortsbürgermeisterin oder Ihren Ortsbürgermeister."
        ),
    )
}

/// The reminder before a date.
pub fn reminder(
    lead: EventReminder,
    title: &str,
    date: &str,
    place: Option<&str>,
) -> (String, String) {
    let heading = match lead {
        EventReminder::Hour => format!("In einer Stunde: {title}"),
        _ => format!("Morgen: {title}"),
    };
    let body = match place {
        Some(place) => format!("{date}, {place}"),
        None => date.to_owned(),
    };
    (heading, body)
}

/// The reminder the day before a shift one signed up for.
pub fn shift_reminder(
    shift: &str,
    event: &str,
    date: &str,
    place: Option<&str>,
) -> (String, String) {
    let body = match place {
        Some(place) => format!("{event}, {date}, {place}. Danke, dass Sie helfen!"),
        None => format!("{event}, {date}. Danke, dass Sie helfen!"),
    };
    (format!("Morgen: Ihre Schicht „{shift}“"), body)
}

/// A shift one signed up for has a new time.
pub fn shift_moved(shift: &str, event: &str, new: &str) -> (String, String) {
    (
        format!("Neue Zeit für Ihre Schicht „{shift}“"),
        format!("{event}: jetzt {new}. Wenn Sie dann nicht können, tragen Sie sich bitte aus."),
    )
}

/// A shift one signed up for is no longer needed.
pub fn shift_dropped(shift: &str, event: &str) -> (String, String) {
    (
        format!("Schicht entfällt: {shift}"),
        format!("{event}: Diese Schicht wird nicht mehr gebraucht. Danke für Ihre Bereitschaft!"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_on_a_poster() {
        let at = DateTime::parse_from_rfc3339("2026-06-09T17:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(when(at, berlin, false), "Di. 09.06.2026, 19:00 Uhr");
        assert_eq!(when(at, berlin, true), "Di. 09.06.2026");
        assert_eq!(
            reminder(
                EventReminder::Day,
                "Chorprobe",
                "Di. 09.06.2026, 19:00 Uhr",
                Some("Saal")
            )
            .0,
            "Morgen: Chorprobe"
        );
    }
}
