//! Signing in and out, and changing the password.
//!
//! The login is the API's (`accounts` through `auth::console::login`): the same throttle, so
//! five wrong passwords here block the app's login too and the reverse, and the same tarpit.

use std::time::Duration;

use askama::Template;
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Form, Query},
};
use serde::Deserialize;

use super::{Chrome, has_chrome, render, see_other};
use crate::{
    console::{
        edge::{PageLang, domain_failure},
        forms::{FieldErrors, FormData},
        i18n::labels,
        session::{
            self, ConsolePost, LOGIN_COOKIE, cookie, is_https, session_cookie_name, set_cookie,
        },
    },
    http::auth::{client_address, user_agent},
    state::AppState,
};
use domain::{
    DomainError,
    accounts::{self, LoginAttempt},
    auth::console,
    text::Lang,
};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    /// A calm note above the form (signed out, session expired, password changed).
    pub banner: String,
    /// What went wrong with the last try.
    pub error: String,
    pub email: String,
    pub next: String,
    /// The double-submit token, also in the pre-login cookie.
    pub login_token: String,
    /// The fields of a form sent after the sign-in had ended, as hidden `draft.<name>` inputs.
    pub draft: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub chrome: Chrome,
    pub errors: FieldErrors,
    pub banner: String,
}

has_chrome!(LoginPage, PasswordPage);

/// Where a page sends a person without a sign-in: the login, and back to `path` after it.
pub fn login_link(path_and_query: &str) -> String {
    let next = safe_next(path_and_query);
    if next == "/console/" {
        return "/console/login".to_owned();
    }
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/console/login?next={encoded}")
}

/// Only console pages are followed after the login (never another site: an open redirect).
fn safe_next(next: &str) -> &str {
    let inside = next == "/console" || next.starts_with("/console/");
    let plain = !next.contains("//") && !next.contains('\\') && !next.starts_with("/console/login");
    if inside && plain && !next.chars().any(char::is_control) {
        next
    } else {
        "/console/"
    }
}

fn new_login_token() -> String {
    // The same 32 random bytes a refresh token has; its hash is not needed.
    domain::auth::tokens::new_refresh_token().map_or_else(|_| String::new(), |(token, _)| token)
}

/// The login page with a fresh pre-login cookie.
#[allow(clippy::too_many_arguments)]
fn login_page(
    status: StatusCode,
    lang: Lang,
    https: bool,
    banner: &str,
    error: &str,
    email: &str,
    next: &str,
    draft: Vec<(String, String)>,
) -> Response {
    let t = labels(lang);
    let token = new_login_token();
    let mut response = render(
        status,
        &LoginPage {
            chrome: Chrome::anonymous(lang, t.sign_in.to_owned()),
            banner: banner.to_owned(),
            error: error.to_owned(),
            email: email.to_owned(),
            next: safe_next(next).to_owned(),
            login_token: token.clone(),
            draft,
        },
    );
    // SameSite=Strict: the login form's token never travels with a request another site starts.
    if let Ok(value) = set_cookie(LOGIN_COOKIE, &token, "/console", 3600, https, "Strict").parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A form sent after its sign-in ended: the login page, which returns to the form's page.
pub fn login_after_expiry(
    lang: Lang,
    path: &str,
    https: bool,
    draft: Vec<(String, String)>,
) -> Response {
    let t = labels(lang);
    let banner = if draft.is_empty() {
        t.session_expired
    } else {
        t.session_expired_draft_kept
    };
    login_page(
        StatusCode::UNAUTHORIZED,
        lang,
        https,
        banner,
        "",
        "",
        path,
        draft,
    )
}

/// The `draft.<name>` fields a login form carries back.
fn carried_draft(form: &FormData) -> Vec<(String, String)> {
    form.0
        .iter()
        .filter_map(|(name, value)| Some((name.strip_prefix("draft.")?.to_owned(), value.clone())))
        .collect()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

/// `GET /console/login`
#[handler]
pub async fn login_form(
    req: &Request,
    Data(state): Data<&AppState>,
    Query(query): Query<LoginQuery>,
) -> Response {
    let lang = req.data::<PageLang>().map_or(Lang::De, |l| l.0);
    let t = labels(lang);
    let banner = match query.done.as_deref() {
        Some("logout") => t.signed_out,
        Some("password") => t.password_changed,
        _ if query.next.is_some() => t.sign_in_again_to_continue,
        _ => "",
    };
    login_page(
        StatusCode::OK,
        lang,
        is_https(state),
        banner,
        "",
        "",
        query.next.as_deref().unwrap_or("/console/"),
        Vec::new(),
    )
}

fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `POST /console/login`
#[handler]
pub async fn login(
    req: &Request,
    Data(state): Data<&AppState>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = FormData(fields);
    let lang = req.data::<PageLang>().map_or(Lang::De, |l| l.0);
    let t = labels(lang);
    let https = is_https(state);
    let (email, next) = (form.get("email").trim(), form.get("next"));
    let draft = carried_draft(&form);
    let planted = cookie(req, LOGIN_COOKIE).unwrap_or_default();
    if planted.is_empty() || !same_token(planted, form.get("_login")) {
        return login_page(
            StatusCode::FORBIDDEN,
            lang,
            https,
            t.login_form_expired,
            "",
            email,
            next,
            draft,
        );
    }
    let attempt = LoginAttempt {
        email,
        password: form.get("password"),
        client_address: &client_address(req, &state.settings.trusted_proxy_list()),
        user_agent: user_agent(req),
        limits: state.settings.login_limits(),
    };
    let previous = cookie(req, session_cookie_name(https));
    match console::login(
        &state.db,
        &state.clock,
        state.settings.console_config(),
        attempt,
        previous,
    )
    .await
    {
        Ok((profile, signed_in)) => {
            let max_age = (signed_in.expires_at - state.clock.now())
                .num_seconds()
                .max(1);
            let next = safe_next(next);
            // A form that outlived the last sign-in waits on its page, for this person only.
            let stashed = domain::drafts::stash(
                &state.db,
                &state.clock,
                profile.user.id,
                next.split('?').next().unwrap_or(next),
                &draft,
            )
            .await
            .unwrap_or_else(|err| {
                tracing::error!(error = ?err, "a console draft could not be kept");
                None
            });
            let target = match stashed {
                Some(id) if next.contains('?') => format!("{next}&draft={id}"),
                Some(id) => format!("{next}?draft={id}"),
                None => next.to_owned(),
            };
            let mut response = see_other(&target);
            let headers = response.headers_mut();
            for cookie in [
                // `Path=/`: the `__Host-` prefix requires it.
                set_cookie(
                    session_cookie_name(https),
                    &signed_in.value,
                    "/",
                    max_age,
                    https,
                    "Lax",
                ),
                set_cookie(LOGIN_COOKIE, "", "/console", 0, https, "Strict"),
            ] {
                if let Ok(value) = cookie.parse() {
                    headers.append(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err(DomainError::RateLimited {
            retry_after_seconds,
        }) => {
            // The API's tarpit, for the same reason (`http::auth`).
            tokio::time::sleep(Duration::from_millis(
                state.settings.login_throttle_delay_ms,
            ))
            .await;
            let minutes = retry_after_seconds.div_ceil(60).max(1);
            let error = format!(
                "{} {} {minutes} {}",
                t.too_many_attempts, t.try_again_in, t.minutes
            );
            let mut response = login_page(
                StatusCode::TOO_MANY_REQUESTS,
                lang,
                https,
                "",
                &error,
                email,
                next,
                draft,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_seconds.into());
            response
        }
        Err(DomainError::Unauthenticated(_)) => login_page(
            StatusCode::UNAUTHORIZED,
            lang,
            https,
            "",
            t.wrong_credentials,
            email,
            next,
            draft,
        ),
        Err(err) => {
            let failure = domain_failure(err);
            let status = failure.status();
            login_page(
                status,
                lang,
                https,
                "",
                t.error_internal,
                email,
                next,
                draft,
            )
        }
    }
}

fn signed_out_response(state: &AppState, location: &str) -> Response {
    let https = is_https(state);
    let mut response = see_other(location);
    if let Ok(value) = set_cookie(session_cookie_name(https), "", "/", 0, https, "Lax").parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /console/logout`
#[handler]
pub async fn logout(
    req: &Request,
    Data(state): Data<&AppState>,
    _post: ConsolePost,
) -> poem::Result<Response> {
    if let Some(value) = cookie(req, session_cookie_name(is_https(state))) {
        console::logout(&state.db, &state.clock, value)
            .await
            .map_err(domain_failure)?;
    }
    Ok(signed_out_response(state, "/console/login?done=logout"))
}

/// `GET /console/password`
#[handler]
pub async fn password_form(
    Data(state): Data<&AppState>,
    page: session::Console,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    Ok(render(
        StatusCode::OK,
        &PasswordPage {
            chrome: Chrome::signed_in(state, &page, t.change_password, "/console/password").await?,
            errors: FieldErrors::default(),
            banner: String::new(),
        },
    ))
}

/// `POST /console/password`: the API's rule (the current password is checked and counted like
/// a login; every other session ends), then this one ends too: sign in with the new password.
#[handler]
pub async fn change_password(
    Data(state): Data<&AppState>,
    post: ConsolePost,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let t = labels(page.lang);
    let changed = accounts::change_password(
        &state.db,
        &state.clock,
        &page.actor,
        form.get("current_password"),
        form.get("new_password"),
        state.settings.login_limits(),
    )
    .await;
    let (status, errors, banner) = match changed {
        Ok(()) => {
            accounts::end_session(&state.db, &state.clock, page.actor.session_id)
                .await
                .map_err(domain_failure)?;
            return Ok(signed_out_response(state, "/console/login?done=password"));
        }
        Err(DomainError::Validation(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            FieldErrors::from_domain(&errors, page.lang),
            String::new(),
        ),
        Err(DomainError::RateLimited {
            retry_after_seconds,
        }) => (
            StatusCode::TOO_MANY_REQUESTS,
            FieldErrors::default(),
            format!(
                "{} {} {} {}",
                t.too_many_attempts,
                t.try_again_in,
                retry_after_seconds.div_ceil(60).max(1),
                t.minutes
            ),
        ),
        Err(err) => return Err(domain_failure(err)),
    };
    Ok(render(
        status,
        &PasswordPage {
            chrome: Chrome::signed_in(state, &page, t.change_password, "/console/password").await?,
            errors,
            banner,
        },
    ))
}
