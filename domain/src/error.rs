//! Why a rule refused ([`DomainError`]), and the [`Validator`] that collects every field at
//! fault. The HTTP edge maps these onto its problem answers; nothing here knows HTTP.

use sea_orm::DbErr;

use crate::text::{FieldError, Text};

/// Why a rule refused, in terms a person understands.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("not found")]
    NotFound(Text),
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("conflict")]
    Conflict(Text),
    #[error("forbidden")]
    Forbidden,
    /// Forbidden, with the reason a person can act on (not a role they lack, but a condition
    /// of theirs, e.g. the home district a poll asks for).
    #[error("forbidden: {0:?}")]
    ForbiddenBecause(Text),
    #[error("not authenticated")]
    Unauthenticated(Text),
    #[error("too many attempts")]
    RateLimited { retry_after_seconds: u64 },
    /// A quota is used up ([`crate::quotas`]): what, and when it frees up again.
    #[error("quota exceeded")]
    QuotaExceeded {
        detail: Text,
        retry_after_seconds: u64,
    },
    /// The request's body is larger than accepted (an upload): 413.
    #[error("too large")]
    TooLarge(Text),
    /// The body is of a type that is not accepted (an upload recognised by its bytes): 415.
    #[error("unsupported type")]
    UnsupportedType(Text),
    /// A service the rule needs (the media store) does not answer: 503.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("the resource changed meanwhile")]
    PreconditionFailed,
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A fault of ours that no caller can mend; logged, answered with a generic 500.
    #[error("internal: {0}")]
    Internal(String),
}

pub type DomainResult<T> = Result<T, DomainError>;

/// Collects field errors so that one answer names every field at fault, not just the first.
#[derive(Debug, Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(
        &mut self,
        ok: bool,
        field: &str,
        de: &'static str,
        en: &'static str,
    ) -> &mut Self {
        if !ok {
            self.0.push(crate::text::field(field, de, en));
        }
        self
    }

    /// Adds an error that no other helper describes.
    pub fn push(&mut self, error: FieldError) -> &mut Self {
        self.0.push(error);
        self
    }

    /// A required text: trimmed, not empty, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        let length = value.trim().chars().count();
        self.check(
            length > 0,
            field,
            "Darf nicht leer sein.",
            "Must not be empty.",
        );
        if length > max {
            self.0.push(FieldError::new(
                field,
                Text::new(
                    format!("Höchstens {max} Zeichen."),
                    format!("At most {max} characters."),
                ),
            ));
        }
        self
    }

    /// An optional text: at most `max` characters.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) -> &mut Self {
        if let Some(value) = value
            && value.trim().chars().count() > max
        {
            self.0.push(FieldError::new(
                field,
                Text::new(
                    format!("Höchstens {max} Zeichen."),
                    format!("At most {max} characters."),
                ),
            ));
        }
        self
    }

    pub fn finish(self) -> DomainResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.0))
        }
    }
}

/// Whether a database error is a unique-constraint violation (a duplicate).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Trims a text and turns an empty one into `None`.
pub fn normalize_optional(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
