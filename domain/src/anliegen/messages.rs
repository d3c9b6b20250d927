//! What the people of an Anliegen are told, in German (notification texts are written when a
//! notice is queued; see `docs/push.md`). The body is the handler's whole answer: the push
//! cuts a long one to fit, the inbox keeps it whole.

use entity::vocab::AnliegenStatus;

pub use crate::rides::messages::Message;

fn message(title: impl Into<String>, body: impl Into<String>) -> Message {
    Message {
        title: title.into(),
        body: body.into(),
    }
}

/// For people: the German name of a status.
pub fn status_name(status: AnliegenStatus) -> &'static str {
    match status {
        AnliegenStatus::Received => "eingegangen",
        AnliegenStatus::InReview => "wird geprüft",
        AnliegenStatus::Forwarded => "an die Stadt weitergeleitet",
        AnliegenStatus::InProgress => "in Arbeit",
        AnliegenStatus::Done => "erledigt",
        AnliegenStatus::Declined => "abgelehnt",
        AnliegenStatus::Duplicate => "mit einem anderen Anliegen zusammengelegt",
    }
}

/// To the author and supporters: a new status, with its answer.
pub fn status_changed(title: &str, status: AnliegenStatus, answer: &str) -> Message {
    message(
        format!("„{title}“: {}", status_name(status)),
        answer.to_owned(),
    )
}

/// To the author and supporters: an answer without a change of status.
pub fn answered(title: &str, answer: &str) -> Message {
    message(format!("Antwort zu „{title}“"), answer.to_owned())
}

/// To the handlers: a new Anliegen in their queue.
pub fn filed(title: &str) -> Message {
    message("Neues Anliegen", title.to_owned())
}

/// To the town staff: the district forwarded an Anliegen.
pub fn forwarded(title: &str, answer: &str) -> Message {
    message(format!("Weitergeleitet: „{title}“"), answer.to_owned())
}

/// To the handlers: the author added something.
pub fn author_added(title: &str, text: &str) -> Message {
    message(format!("Ergänzung zu „{title}“"), text.to_owned())
}

/// To the author: it is public now.
pub fn published(title: &str) -> Message {
    message(
        "Ihr Anliegen ist jetzt öffentlich",
        format!("„{title}“ ist jetzt für alle sichtbar, ohne Ihren Namen."),
    )
}

/// To the author: it was taken down, and why.
pub fn hidden(title: &str, reason: &str) -> Message {
    message(
        format!("„{title}“ ist nicht mehr öffentlich"),
        format!("Grund: {reason}"),
    )
}

/// To the author: public again.
pub fn unhidden(title: &str) -> Message {
    message(
        "Ihr Anliegen ist wieder öffentlich",
        format!("„{title}“ ist wieder für alle sichtbar."),
    )
}
