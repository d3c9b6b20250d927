//! The one error type at the edge. Domain errors map onto [`ApiError`]; it answers as
//! RFC 9457 `application/problem+json` with a stable `code`. The body is rendered once more by
//! the edge middleware ([`crate::http::edge`]) in the caller's language and with the request id.

pub use domain::text::{FieldError, Lang, Text, field};
use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse, Enum, Object,
    registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::{Example, ToJSON, Type},
};

use domain::DomainError;

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The most field errors one answer lists; more are counted (`errors_not_listed`).
pub const MAX_LISTED_FIELD_ERRORS: usize = 20;

/// Stable machine-readable error codes. Clients switch on these, never on texts.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[oai(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 422: a field failed validation; `errors` names the fields.
    ValidationFailed,
    /// 400: the request could not be read (malformed JSON, bad parameter).
    BadRequest,
    /// 401: no, an invalid or an expired access token.
    Unauthorized,
    /// 403: authenticated, but the caller's roles do not allow this.
    Forbidden,
    /// 404: no such resource, or not visible to the caller.
    NotFound,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 409: the request conflicts with the current state (duplicate, illegal transition).
    Conflict,
    /// 412: `If-Match` named an outdated version.
    PreconditionFailed,
    /// 413: the request body is larger than the server accepts.
    PayloadTooLarge,
    /// 415: the request body has a media type the operation does not accept.
    UnsupportedMediaType,
    /// 429: too many requests; wait for `Retry-After` seconds.
    RateLimited,
    /// 503: the service cannot answer right now (e.g. the database is unreachable).
    Unavailable,
    /// 500: an unexpected error; it is logged with the request id.
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code that fits a status the framework produced by itself.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            409 => ErrorCode::Conflict,
            411 | 400 => ErrorCode::BadRequest,
            412 => ErrorCode::PreconditionFailed,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::ValidationFailed,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            s if (400..500).contains(&s) => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The short, fixed title of a problem of this kind.
    pub fn title(self) -> Text {
        let (de, en) = match self {
            ErrorCode::ValidationFailed => ("Eingaben ungültig", "Validation failed"),
            ErrorCode::BadRequest => ("Anfrage fehlerhaft", "Bad request"),
            ErrorCode::Unauthorized => ("Anmeldung erforderlich", "Authentication required"),
            ErrorCode::Forbidden => ("Keine Berechtigung", "Forbidden"),
            ErrorCode::NotFound => ("Nicht gefunden", "Not found"),
            ErrorCode::MethodNotAllowed => ("Methode nicht erlaubt", "Method not allowed"),
            ErrorCode::Conflict => ("Konflikt", "Conflict"),
            ErrorCode::PreconditionFailed => ("Veraltete Version", "Precondition failed"),
            ErrorCode::PayloadTooLarge => ("Anfrage zu groß", "Payload too large"),
            ErrorCode::UnsupportedMediaType => {
                ("Format nicht unterstützt", "Unsupported media type")
            }
            ErrorCode::RateLimited => ("Zu viele Anfragen", "Too many requests"),
            ErrorCode::Unavailable => ("Vorübergehend nicht verfügbar", "Service unavailable"),
            ErrorCode::Internal => ("Interner Fehler", "Internal error"),
        };
        Text::new(de, en)
    }

    /// The detail used when nothing more specific is known.
    pub fn default_detail(self) -> Text {
        let (de, en) = match self {
            ErrorCode::ValidationFailed => (
                "Mindestens ein Feld ist ungültig.",
                "At least one field is invalid.",
            ),
            ErrorCode::BadRequest => (
                "Die Anfrage konnte nicht gelesen werden.",
                "The request could not be read.",
            ),
            ErrorCode::Unauthorized => ("Bitte melden Sie sich an.", "Please sign in."),
            ErrorCode::Forbidden => (
                "Dafür fehlt Ihnen die Berechtigung.",
                "You are not allowed to do this.",
            ),
            ErrorCode::NotFound => (
                "Das Gesuchte gibt es nicht.",
                "The requested resource does not exist.",
            ),
            ErrorCode::MethodNotAllowed => (
                "Diese Methode ist für diese Adresse nicht erlaubt.",
                "This method is not allowed for this path.",
            ),
            ErrorCode::Conflict => (
                "Die Anfrage widerspricht dem aktuellen Stand.",
                "The request conflicts with the current state.",
            ),
            ErrorCode::PreconditionFailed => (
                "Der Eintrag wurde inzwischen geändert. Bitte neu laden.",
                "The resource has changed meanwhile. Please reload.",
            ),
            ErrorCode::PayloadTooLarge => {
                ("Die Anfrage ist zu groß.", "The request body is too large.")
            }
            ErrorCode::UnsupportedMediaType => (
                "Bitte senden Sie JSON (Content-Type: application/json).",
                "Please send JSON (Content-Type: application/json).",
            ),
            ErrorCode::RateLimited => (
                "Zu viele Anfragen. Bitte später erneut versuchen.",
                "Too many requests. Please try again later.",
            ),
            ErrorCode::Unavailable => (
                "Der Dienst ist gerade nicht erreichbar. Bitte später erneut versuchen.",
                "The service is unavailable. Please try again later.",
            ),
            ErrorCode::Internal => (
                "Ein unerwarteter Fehler ist aufgetreten. Bitte später erneut versuchen.",
                "An unexpected error occurred. Please try again later.",
            ),
        };
        Text::new(de, en)
    }

    /// The problem `type` URI (RFC 9457 §3.1.1): stable and unique per code.
    pub fn type_uri(self) -> String {
        format!("urn:dorfapp:problem:{}", self.as_str())
    }
}

/// An error answer in the making. Everything a handler can fail with becomes one of these.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: Text,
    /// At most [`MAX_LISTED_FIELD_ERRORS`]; the rest are only counted.
    pub errors: Vec<FieldError>,
    /// Field errors found beyond those listed.
    pub errors_not_listed: u32,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
    /// What went wrong inside, for the log only; never sent to the client.
    pub internal: Option<String>,
}

/// The result type of every handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::NotFound(text) => ApiError::not_found(text),
            DomainError::Validation(errors) => ApiError::validation(errors),
            DomainError::Conflict(text) => ApiError::conflict(text),
            DomainError::Forbidden => ApiError::forbidden(),
            DomainError::ForbiddenBecause(text) => ApiError::new(ErrorCode::Forbidden, text),
            DomainError::Unauthenticated(text) => ApiError::new(ErrorCode::Unauthorized, text),
            DomainError::RateLimited { retry_after_seconds } => ApiError::new(
                ErrorCode::RateLimited,
                Text::new(
                    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie und versuchen Sie es dann erneut.",
                    "Too many failed sign-in attempts. Please wait and try again.",
                ),
            )
            .with_retry_after(retry_after_seconds),
            DomainError::QuotaExceeded {
                detail,
                retry_after_seconds,
            } => ApiError::new(ErrorCode::RateLimited, detail).with_retry_after(retry_after_seconds),
            DomainError::PreconditionFailed => ApiError::of(ErrorCode::PreconditionFailed),
            DomainError::TooLarge(text) => ApiError::new(ErrorCode::PayloadTooLarge, text),
            DomainError::UnsupportedType(text) => {
                ApiError::new(ErrorCode::UnsupportedMediaType, text)
            }
            // Logged with its cause; the caller is told to retry shortly.
            DomainError::Unavailable(cause) => ApiError {
                internal: Some(cause),
                ..ApiError::of(ErrorCode::Unavailable)
            }
            .with_retry_after(5),
            DomainError::Db(err) => ApiError::from(err),
            DomainError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: Text) -> Self {
        Self {
            code,
            detail,
            errors: Vec::new(),
            errors_not_listed: 0,
            retry_after: None,
            internal: None,
        }
    }

    pub fn of(code: ErrorCode) -> Self {
        Self::new(code, code.default_detail())
    }

    pub fn not_found(detail: Text) -> Self {
        Self::new(ErrorCode::NotFound, detail)
    }

    /// 422 naming the fields at fault: the first [`MAX_LISTED_FIELD_ERRORS`] are listed, the
    /// rest counted, so that a hostile body with a million bad elements gets a small answer.
    pub fn validation(mut errors: Vec<FieldError>) -> Self {
        let not_listed = errors.len().saturating_sub(MAX_LISTED_FIELD_ERRORS);
        errors.truncate(MAX_LISTED_FIELD_ERRORS);
        Self::validation_with_count(errors, u32::try_from(not_listed).unwrap_or(u32::MAX))
    }

    /// 422 with the listed errors and how many more were found but not listed.
    pub fn validation_with_count(errors: Vec<FieldError>, not_listed: u32) -> Self {
        let detail = if not_listed == 0 {
            ErrorCode::ValidationFailed.default_detail()
        } else {
            Text::new(
                format!(
                    "Mindestens ein Feld ist ungültig. Die ersten {} Fehler sind aufgeführt, \
                     {not_listed} weitere nicht.",
                    errors.len()
                ),
                format!(
                    "At least one field is invalid. The first {} errors are listed, \
                     {not_listed} more are not.",
                    errors.len()
                ),
            )
        };
        Self {
            errors,
            errors_not_listed: not_listed,
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    pub fn conflict(detail: Text) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    pub fn forbidden() -> Self {
        Self::of(ErrorCode::Forbidden)
    }

    pub fn unauthorized() -> Self {
        Self::of(ErrorCode::Unauthorized)
    }

    /// An unexpected failure: logged with the request id, answered with a generic text.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            internal: Some(cause.to_string()),
            ..Self::of(ErrorCode::Internal)
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The RFC 9457 body in the given language.
    pub fn to_problem(&self, lang: Lang, request_id: Option<&str>) -> Problem {
        Problem {
            r#type: self.code.type_uri(),
            title: self.code.title().get(lang).to_owned(),
            status: self.code.status().as_u16(),
            detail: self.detail.get(lang).to_owned(),
            code: self.code,
            errors: (!self.errors.is_empty()).then(|| {
                self.errors
                    .iter()
                    .map(|e| ProblemFieldError {
                        field: e.field.clone(),
                        message: e.message.get(lang).to_owned(),
                    })
                    .collect()
            }),
            errors_not_listed: (self.errors_not_listed > 0)
                .then_some(u64::from(self.errors_not_listed)),
            request_id: request_id.map(str::to_owned),
        }
    }

    /// The finished answer: status, `Content-Type`, `Content-Language`, `Retry-After`, body.
    pub fn render(&self, lang: Lang, request_id: Option<&str>) -> Response {
        let body = self.to_problem(lang, request_id).to_json_string();
        let mut builder = Response::builder()
            .status(self.code.status())
            .content_type(PROBLEM_JSON)
            .header("Content-Language", lang.tag());
        if let Some(seconds) = self.retry_after {
            builder = builder.header("Retry-After", seconds.to_string());
        }
        if self.code == ErrorCode::Unauthorized {
            // RFC 6750 section 3: a 401 names the scheme the client is to use.
            builder = builder.header("WWW-Authenticate", "Bearer realm=\"dorfapp\"");
        }
        builder.body(body)
    }
}

impl ApiError {
    /// The error as Open311 GeoReport v2 answers it (`/open311/…`): a JSON list with one
    /// `{code, description}`. Open311 knows 400 for every bad argument (so 422 becomes 400,
    /// naming the fields in the description) and 403 for a missing or wrong key.
    pub fn render_open311(&self, lang: Lang) -> Response {
        let status = match self.code {
            ErrorCode::ValidationFailed => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::FORBIDDEN,
            code => code.status(),
        };
        let description = if self.errors.is_empty() {
            self.detail.get(lang).to_owned()
        } else {
            self.errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message.get(lang)))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let body = serde_json::json!([{"code": status.as_u16(), "description": description}]);
        let mut builder = Response::builder()
            .status(status)
            .content_type("application/json; charset=utf-8")
            .header("Content-Language", lang.tag());
        if let Some(seconds) = self.retry_after {
            builder = builder.header("Retry-After", seconds.to_string());
        }
        builder.body(body.to_string())
    }
}

/// Whether a database error means the connection is gone (not that the statement was wrong):
/// the pool had none to give, the socket broke, or PostgreSQL is shutting the session down.
fn connection_lost(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx::Error};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            match err.as_ref() {
                Error::Io(_)
                | Error::Tls(_)
                | Error::PoolTimedOut
                | Error::PoolClosed
                | Error::WorkerCrashed => true,
                // SQLSTATE class 08 (connection exception) and 57P01–57P03 (admin shutdown,
                // crash shutdown, cannot connect now).
                Error::Database(db) => db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            // The pool could not hand out a connection, or the connection broke in the middle
            // of the request: the database is down, restarting or saturated. Worth a retry.
            ref lost if connection_lost(lost) => Self {
                internal: Some(err.to_string()),
                ..Self::of(ErrorCode::Unavailable)
            }
            .with_retry_after(5),
            // A referenced row was deleted between the check and the write (a race, e.g. a
            // district removed while someone registers): the client can retry, so say so.
            other
                if matches!(
                    other.sql_err(),
                    Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
                ) =>
            {
                Self {
                    internal: Some(other.to_string()),
                    ..Self::new(
                        ErrorCode::Conflict,
                        Text::new(
                            "Ein verknüpfter Eintrag wurde inzwischen geändert oder gelöscht. Bitte neu laden.",
                            "A related record was changed or deleted meanwhile. Please reload.",
                        ),
                    )
                }
            }
            other => Self::internal(other),
        }
    }
}

/// Carries the error through poem's response so that the edge middleware can render it once
/// more in the caller's language, with the request id.
#[derive(Clone, Debug)]
pub struct PendingProblem(pub std::sync::Arc<ApiError>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.render(Lang::De, None);
        response.set_data(PendingProblem(std::sync::Arc::new(self)));
        response
    }
}

impl From<ApiError> for poem::Error {
    fn from(err: ApiError) -> Self {
        let pending = PendingProblem(std::sync::Arc::new(err));
        let mut error = poem::Error::from_response(pending.0.render(Lang::De, None));
        // `poem::Error::into_response` replaces the response's extensions with the error's own,
        // so the problem travels in the error's extensions.
        error.set_data(pending);
        error
    }
}

/// RFC 9457 problem details, as every error answer carries them.
#[derive(Object, Clone, Debug)]
#[oai(rename = "Problem", example)]
pub struct Problem {
    /// A URI that identifies the kind of problem: `urn:dorfapp:problem:<code>`.
    pub r#type: String,
    /// Short summary of the kind of problem, in the negotiated language (German by default).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened in this case, written for the person using the app.
    pub detail: String,
    /// Stable machine-readable code; switch on this, not on texts.
    pub code: ErrorCode,
    /// The fields at fault, for `validation_failed`.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub errors: Option<Vec<ProblemFieldError>>,
    /// For `validation_failed`: how many more fields are at fault than `errors` lists (it
    /// lists at most 20); absent when all are listed.
    #[oai(skip_serializing_if_is_none)]
    pub errors_not_listed: Option<u64>,
    /// The request id (also in the `X-Request-Id` header); quote it when reporting a problem.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub request_id: Option<String>,
}

impl poem_openapi::types::Example for Problem {
    fn example() -> Self {
        Problem {
            r#type: ErrorCode::ValidationFailed.type_uri(),
            title: "Eingaben ungültig".into(),
            status: 422,
            detail: "Mindestens ein Feld ist ungültig.".into(),
            code: ErrorCode::ValidationFailed,
            errors: Some(vec![ProblemFieldError {
                field: "name".into(),
                message: "Der Name darf nicht leer sein.".into(),
            }]),
            errors_not_listed: None,
            request_id: Some("01932b6e-6f4c-7d3a-9a51-2f0c6c1e8b7a".into()),
        }
    }
}

/// The body an error answer with this status carries, as the spec shows it: the real code,
/// title and default text, in German (the default language); 422 with a field at fault.
pub fn problem_example(status: u16) -> serde_json::Value {
    let problem = match StatusCode::from_u16(status) {
        _ if status == 422 => Problem::example(),
        Ok(status) => ApiError::of(ErrorCode::from_status(status))
            .to_problem(Lang::De, Some("01932b6e-6f4c-7d3a-9a51-2f0c6c1e8b7a")),
        Err(_) => Problem::example(),
    };
    problem.to_json().unwrap_or_default()
}

/// One field at fault.
#[derive(Object, Clone, Debug)]
#[oai(rename = "ProblemFieldError")]
pub struct ProblemFieldError {
    /// JSON path of the field, e.g. `name` or `opening_hours[2].closes`.
    pub field: String,
    /// What is wrong with it, in the negotiated language.
    pub message: String,
}

/// The error answers poem-openapi puts on every operation; the published document keeps on
/// each only those it can give (`http::spec`, the modules' `ERRORS`). The body is always a
/// [`Problem`].
const DOCUMENTED_ERRORS: &[(u16, &str)] = &[
    (400, "The request could not be read (`bad_request`)."),
    (
        401,
        "Missing, invalid or expired access token (`unauthorized`).",
    ),
    (403, "The caller's roles do not allow this (`forbidden`)."),
    (404, "No such resource (`not_found`)."),
    (409, "Conflicts with the current state (`conflict`)."),
    (
        412,
        "`If-Match` names a version that is no longer current (`precondition_failed`).",
    ),
    (413, "Request body too large (`payload_too_large`)."),
    (
        415,
        "The body is not JSON (`Content-Type: application/json`) (`unsupported_media_type`).",
    ),
    (
        422,
        "A field failed validation; `errors` names it (`validation_failed`).",
    ),
    (
        429,
        "Too many requests; see `Retry-After` (`rate_limited`).",
    ),
    (
        500,
        "Unexpected error, logged with the request id (`internal`).",
    ),
    (
        503,
        "Temporarily unavailable, e.g. the database (`unavailable`).",
    ),
];

impl ApiResponse for ApiError {
    // poem-openapi reads this flag from a handler's success type, not from its error type, so
    // unreadable parameters still leave handlers as poem errors; `edge::problems` turns them
    // into the same problem answers. It stays true for handlers whose success type is ours.
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DOCUMENTED_ERRORS
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: PROBLEM_JSON,
                        schema: Problem::schema_ref(),
                    }],
                    headers: if *status == 429 || *status == 503 {
                        vec![MetaHeader {
                            name: "Retry-After".into(),
                            description: Some("Seconds to wait before trying again.".into()),
                            required: false,
                            deprecated: false,
                            schema: <u64 as Type>::schema_ref(),
                        }]
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        crate::http::edge::api_error_from_poem(&err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_broken_mid_request_is_unavailable_not_internal() {
        use sea_orm::{DbErr, RuntimeErr, sqlx};
        use std::sync::Arc;
        let broken = |err: sqlx::Error| DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)));
        for err in [
            broken(sqlx::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionReset,
            ))),
            broken(sqlx::Error::PoolTimedOut),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sqlx::Error::PoolClosed))),
            DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
        ] {
            let answer = ApiError::from(err);
            assert_eq!(answer.code, ErrorCode::Unavailable);
            assert!(answer.retry_after.is_some());
        }
        let wrong = broken(sqlx::Error::RowNotFound);
        assert_eq!(ApiError::from(wrong).code, ErrorCode::Internal);
    }

    #[test]
    fn every_code_maps_to_its_status_and_back() {
        for code in [
            ErrorCode::ValidationFailed,
            ErrorCode::BadRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::Conflict,
            ErrorCode::PreconditionFailed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            assert_eq!(ErrorCode::from_status(code.status()), code);
        }
    }
}
