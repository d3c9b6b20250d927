//! What the people of a ride are told, in German (notification texts are written when a notice
//! is queued; see `docs/push.md`). One function per occasion, so the wording is found and
//! reviewed in one place, apart from the rules that decide when it is sent.

/// A notification's title and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub body: String,
}

fn message(title: impl Into<String>, body: impl Into<String>) -> Message {
    Message {
        title: title.into(),
        body: body.into(),
    }
}

/// To the district's drivers: a new request.
pub fn requested(when: &str, destination: &str, passengers: i32, with_return: bool) -> Message {
    let back = if with_return { ", mit Rückfahrt" } else { "" };
    message(
        format!("Neue Fahrtanfrage: {when}"),
        format!("Nach {destination}, {passengers} Person(en){back}."),
    )
}

/// To the district's drivers: a ride given back is open again.
pub fn open_again(when: &str, destination: &str, passengers: i32) -> Message {
    message(
        format!("Fahrt wieder offen: {when}"),
        format!(
            "Nach {destination}, {passengers} Person(en). Die bisherige Zusage wurde zurückgegeben."
        ),
    )
}

/// To the rider: a driver has it.
pub fn accepted(when: &str, destination: &str) -> Message {
    message(
        "Ihre Fahrt ist zugesagt",
        format!("Abholung am {when} nach {destination}."),
    )
}

/// To a driver a dispatcher chose.
pub fn assigned(when: &str, destination: &str) -> Message {
    message(
        "Ihnen wurde eine Fahrt zugeteilt",
        format!("Abholung am {when} nach {destination}."),
    )
}

/// To the rider: the driver gave it back.
pub fn released(when: &str) -> Message {
    message(
        "Ihre Fahrt sucht einen neuen Fahrer",
        format!("Die Zusage für {when} wurde zurückgegeben; wir suchen jemand anderen."),
    )
}

/// To the rider, when someone else called it off.
pub fn cancelled_for_rider(when: &str) -> Message {
    message(
        "Ihre Fahrt wurde storniert",
        format!("Die Fahrt am {when} findet nicht statt."),
    )
}

/// To the driver who had it.
pub fn cancelled_for_driver(when: &str, destination: &str) -> Message {
    message(
        "Fahrt storniert",
        format!("Die Fahrt am {when} nach {destination} entfällt."),
    )
}

/// To the driver of a return leg that went with its outward leg.
pub fn return_cancelled_for_driver(when: &str) -> Message {
    message(
        "Fahrt storniert",
        format!("Die Rückfahrt am {when} entfällt."),
    )
}

/// To the rider: nobody took it by its pickup time.
pub fn expired(destination: &str) -> Message {
    message(
        "Leider kein Fahrer gefunden",
        format!(
            "Für Ihre Fahrt nach {destination} hat sich niemand gefunden. Bitte rufen Sie die Fahrdienst-Koordination an."
        ),
    )
}

/// To the rider before pickup; `driver_found` tells whether someone has it yet.
pub fn reminder_for_rider(time: &str, destination: &str, driver_found: bool) -> Message {
    let body = if driver_found {
        format!("Sie werden um {time} abgeholt. Gute Fahrt!")
    } else {
        format!("Abholung um {time}: Wir suchen noch einen Fahrer.")
    };
    message(format!("Erinnerung: Ihre Fahrt nach {destination}"), body)
}

/// To the driver before pickup.
pub fn reminder_for_driver(time: &str, pickup_address: &str) -> Message {
    message(
        "Erinnerung: Fahrt",
        format!("Abholung um {time}, {pickup_address}."),
    )
}

/// To the rider, when someone else moved the pickup.
pub fn rescheduled_for_rider(before: &str, after: &str) -> Message {
    message(
        "Neue Abholzeit für Ihre Fahrt",
        format!("Statt am {before} werden Sie am {after} abgeholt."),
    )
}

/// To the assigned driver, when the pickup moved: the ride stays theirs unless they give it back.
pub fn rescheduled_for_driver(after: &str, pickup_address: &str) -> Message {
    message(
        "Fahrt verlegt",
        format!(
            "Neue Abholzeit: {after}, {pickup_address}. Passt es nicht, geben Sie die Fahrt bitte zurück."
        ),
    )
}
