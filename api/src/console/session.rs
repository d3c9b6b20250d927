//! The console's cookie and the extractors every page uses.
//!
//! - [`Console`]: the signed-in caller of a page (a `GET`). Without a live sign-in the page
//!   answers with a redirect to the login page, which comes back to the same address.
//! - [`ConsolePost`]: the same for a form sent with `POST`, plus its fields, after checking
//!   the form's CSRF token. A form whose sign-in has expired gets the login page.
//! - [`ConsoleUpload`]: the same for a form with a file (`multipart/form-data`).
//!
//! Cookies are written and read here by hand (a few lines; poem's cookie feature would add a
//! jar and signing we do not need: the value is a random key whose hash is in the database).

use poem::{
    FromRequest, Request, RequestBody,
    http::StatusCode,
    web::{Form, Multipart},
};
use uuid::Uuid;

use super::{edge::PageLang, forms::FormData};
use crate::state::AppState;
use domain::{
    DomainError,
    auth::{Actor, console},
    text::Lang,
};

/// The console's sign-in cookie. Over https it carries the `__Host-` prefix, which browsers
/// accept only with `Secure`, `Path=/` and no `Domain`: no other host or path can set it.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-dorfapp_console"
    } else {
        "dorfapp_console"
    }
}

/// The pre-login cookie: the double-submit token of the login form (login CSRF).
pub const LOGIN_COOKIE: &str = "dorfapp_console_login";
/// The chosen language, when the person switched it.
pub const LANG_COOKIE: &str = "dorfapp_lang";

/// The value of the cookie `name`, if the request carries it.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value. `max_age` 0 deletes the cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_seconds: i64,
    https: bool,
    same_site: &str,
) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{name}={value}; Path={path}; Max-Age={max_age_seconds}; HttpOnly; SameSite={same_site}{secure}"
    )
}

/// Whether the server is reached over https (the cookie gets `Secure` and `__Host-`).
pub fn is_https(state: &AppState) -> bool {
    state.settings.public_url().starts_with("https://")
}

/// Marks an answer that needs a sign-in first; the console's edge turns it into the login page
/// (or a redirect to it).
#[derive(Clone, Copy, Debug)]
pub struct SignInNeeded;

/// Marks a form refused for its missing or wrong CSRF token, or for coming from another site.
#[derive(Clone, Copy, Debug)]
pub struct CsrfRejected;

pub fn sign_in_needed() -> poem::Error {
    let mut err = poem::Error::from_status(StatusCode::UNAUTHORIZED);
    err.set_data(SignInNeeded);
    err
}

pub fn csrf_rejected() -> poem::Error {
    let mut err = poem::Error::from_status(StatusCode::FORBIDDEN);
    err.set_data(CsrfRejected);
    err
}

fn app_state(req: &Request) -> poem::Result<&AppState> {
    req.data::<AppState>()
        .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// The signed-in caller of a console page.
#[derive(Clone, Debug)]
pub struct Console {
    pub actor: Actor,
    /// The token the page's forms carry.
    pub csrf: String,
    pub lang: Lang,
    /// The `console_session` row (the CSRF token is bound to it).
    pub console_session: Uuid,
}

impl Console {
    async fn resume(req: &Request) -> poem::Result<Self> {
        let state = app_state(req)?;
        let lang = req.data::<PageLang>().map_or(Lang::De, |l| l.0);
        let Some(value) = cookie(req, session_cookie_name(is_https(state))) else {
            return Err(sign_in_needed());
        };
        match console::resume(
            &state.db,
            &state.clock,
            state.settings.console_config(),
            value,
        )
        .await
        {
            Ok(session) => Ok(Self {
                csrf: console::csrf_token(&state.keys.token_signing_key, session.id),
                actor: session.actor,
                lang,
                console_session: session.id,
            }),
            Err(DomainError::Unauthenticated(_)) => Err(sign_in_needed()),
            Err(err) => Err(super::edge::domain_failure(err)),
        }
    }
}

impl<'a> FromRequest<'a> for Console {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Self::resume(req).await
    }
}

/// A form sent to a console page by its signed-in caller, its CSRF token checked.
#[derive(Clone, Debug)]
pub struct ConsolePost {
    pub console: Console,
    pub form: FormData,
}

/// The hidden field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// The fields of a form whose sign-in had ended, carried to the login page so that they can be
/// restored after it (never the password or the CSRF token).
#[derive(Clone, Debug)]
pub struct ExpiredForm(pub Vec<(String, String)>);

impl ExpiredForm {
    fn keep(fields: &[(String, String)]) -> Self {
        let kept: Vec<(String, String)> = fields
            .iter()
            .filter(|(name, _)| {
                name != CSRF_FIELD && !name.starts_with('_') && !name.contains("password")
            })
            .cloned()
            .collect();
        let size: usize = kept.iter().map(|(k, v)| k.len() + v.len()).sum();
        Self(if size <= domain::drafts::MAX_BYTES {
            kept
        } else {
            Vec::new()
        })
    }
}

impl<'a> FromRequest<'a> for ConsolePost {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        // The form first: if the sign-in has ended, what was typed goes to the login page.
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, body).await?;
        let console = match Console::resume(req).await {
            Ok(console) => console,
            Err(mut err) if err.data::<SignInNeeded>().is_some() => {
                err.set_data(ExpiredForm::keep(&fields));
                return Err(err);
            }
            Err(err) => return Err(err),
        };
        let form = FormData(fields);
        check_csrf(req, &console, &form)?;
        Ok(Self { console, form })
    }
}

fn check_csrf(req: &Request, console: &Console, form: &FormData) -> poem::Result<()> {
    let state = app_state(req)?;
    if console::csrf_matches(
        &state.keys.token_signing_key,
        console.console_session,
        form.get(CSRF_FIELD),
    ) {
        Ok(())
    } else {
        Err(csrf_rejected())
    }
}

/// A form with a file (`multipart/form-data`) sent by its signed-in caller, its CSRF token
/// checked: the photo form. Its size was bounded by the edge before it got here.
#[derive(Clone, Debug)]
pub struct ConsoleUpload {
    pub console: Console,
    /// The text fields.
    pub form: FormData,
    /// The bytes of the form's first non-empty file field, if a file was chosen (the photo
    /// form has one).
    pub file: Option<Vec<u8>>,
}

/// Text fields of an upload form beyond these are refused: the photo form has three.
const UPLOAD_FORM_FIELDS_MAX: usize = 16;
/// A text field of an upload form longer than this is refused (the longest is a photo's
/// description, 300 characters).
const UPLOAD_TEXT_MAX_BYTES: usize = 4 * 1024;

impl<'a> FromRequest<'a> for ConsoleUpload {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let mut multipart = Multipart::from_request(req, body).await?;
        let mut fields = Vec::new();
        let mut file = None;
        while let Some(field) = multipart.next_field().await? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                let bytes = field.bytes().await?;
                // A file input left empty still sends a part, with no bytes.
                if file.is_none() && !bytes.is_empty() {
                    file = Some(bytes);
                }
                continue;
            }
            let text = field.text().await?;
            if fields.len() >= UPLOAD_FORM_FIELDS_MAX || text.len() > UPLOAD_TEXT_MAX_BYTES {
                return Err(poem::Error::from_status(StatusCode::BAD_REQUEST));
            }
            fields.push((name, text));
        }
        // A photo cannot be kept across a new sign-in: the page asks for it again afterwards
        // (its address is the page's own, so the login comes back to it).
        let console = Console::resume(req).await?;
        let form = FormData(fields);
        check_csrf(req, &console, &form)?;
        Ok(Self {
            console,
            form,
            file,
        })
    }
}
