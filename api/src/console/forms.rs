//! Form bodies as the browser sends them (`application/x-www-form-urlencoded`), read by hand:
//! a value that does not parse becomes a field error next to its input, never a bare 400.

use domain::text::Text;

/// The fields of a submitted form, in order, as typed.
#[derive(Clone, Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "" when the form has no such field.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }
}

/// One message next to one input: the input's `name` (the API's field name) and the text.
#[derive(Clone, Debug)]
pub struct FieldMessage {
    pub field: String,
    pub text: String,
}

/// The field errors of a re-rendered form, in the page's language.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(pub Vec<FieldMessage>);

impl FieldErrors {
    pub fn from_domain(errors: &[domain::text::FieldError], lang: domain::text::Lang) -> Self {
        Self(
            errors
                .iter()
                .map(|e| FieldMessage {
                    field: e.field.clone(),
                    text: e.message.get(lang).to_owned(),
                })
                .collect(),
        )
    }

    pub fn one(field: &str, text: &Text, lang: domain::text::Lang) -> Self {
        Self(vec![FieldMessage {
            field: field.to_owned(),
            text: text.get(lang).to_owned(),
        }])
    }

    /// The message for `field`, or "" (templates test for emptiness).
    pub fn of(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|m| m.field == field)
            .map_or("", |m| m.text.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A moment typed into a `datetime-local` input, read in the municipality's time zone: empty
/// is `None`; a time that does not exist (the spring gap) or exists twice (the autumn hour)
/// is refused with the domain's own words, as the API refuses it.
pub fn local_moment(
    typed: &str,
    tz: chrono_tz::Tz,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Text> {
    use domain::events::{Typed, parse_local, typed_instant};
    if typed.trim().is_empty() {
        return Ok(None);
    }
    match parse_local(typed) {
        Some(Typed::Clock { local, offset }) => typed_instant(local, offset, tz).map(Some),
        _ => Err(Text::new(
            "Bitte Datum und Uhrzeit angeben, z. B. 2026-06-02T10:00.",
            "Please give a date and a time, e.g. 2026-06-02T10:00.",
        )),
    }
}

/// A rule's refusal of a form, shown on the same form: field errors next to their fields, a
/// conflict or a used-up quota as a calm banner, with the status the API would give.
pub struct Refusal {
    pub status: poem::http::StatusCode,
    pub errors: FieldErrors,
    pub banner: String,
}

/// The form's answer to a domain error; anything that is not about the input (403, 404, a
/// fault of ours) becomes the error page.
pub fn refusal(err: domain::DomainError, lang: domain::text::Lang) -> poem::Result<Refusal> {
    use domain::DomainError;
    use poem::http::StatusCode;
    match err {
        DomainError::Validation(errors) => Ok(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: FieldErrors::from_domain(&errors, lang),
            banner: String::new(),
        }),
        DomainError::Conflict(text) => Ok(Refusal {
            status: StatusCode::CONFLICT,
            errors: FieldErrors::default(),
            banner: text.get(lang).to_owned(),
        }),
        DomainError::QuotaExceeded { detail, .. } => Ok(Refusal {
            status: StatusCode::TOO_MANY_REQUESTS,
            errors: FieldErrors::default(),
            banner: detail.get(lang).to_owned(),
        }),
        other => Err(super::edge::domain_failure(other)),
    }
}
