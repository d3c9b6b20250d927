//! The console's edge: what every `/console` request passes besides the API's outer layers
//! (request id, metrics, compression).
//!
//! - The page language: `?lang=` (remembered in a cookie), else the cookie, else
//!   `Accept-Language`, else German.
//! - Forms from another site are refused before any handler runs (`Sec-Fetch-Site`, `Origin`).
//! - Every error, ours or the framework's (unknown page, a panic, a body too large), becomes a
//!   calm HTML page in the page's language with the request id — never problem+json, never an
//!   unstyled page. A missing sign-in becomes the login page.
//! - Security headers on every answer: a strict Content-Security-Policy (no inline script or
//!   style anywhere in the console), no framing, no sniffing, no caching of pages.

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode, header},
};

use super::{
    i18n::labels,
    pages::{self, ErrorPage},
    session::{self, CsrfRejected, SignInNeeded},
};
use crate::{
    error::{ApiError, ErrorCode},
    http::edge::RequestId,
    state::AppState,
};
use domain::{
    DomainError,
    text::{Lang, Text},
};

/// The language of the page being answered.
#[derive(Clone, Copy, Debug)]
pub struct PageLang(pub Lang);

/// Marks a response that is a finished console page (a form shown again with its errors, 422):
/// the edge leaves it as it is.
#[derive(Clone, Copy, Debug)]
pub struct Rendered;

/// A message for the error page, from a domain error (what happened, in both languages).
#[derive(Clone, Debug)]
pub struct PageMessage(pub Text);

/// The console's answer to a domain error the page does not handle itself: the status and text
/// the API would give, shown on the error page. A 401 means the sign-in went away meanwhile.
pub fn domain_failure(err: DomainError) -> poem::Error {
    if matches!(err, DomainError::Unauthenticated(_)) {
        return session::sign_in_needed();
    }
    let api = ApiError::from(err);
    let mut failure = poem::Error::from_status(api.code.status());
    if api.code == ErrorCode::Internal || api.internal.is_some() {
        tracing::error!(
            code = api.code.as_str(),
            cause = api.internal.as_deref().unwrap_or("unknown"),
            "console request failed"
        );
    } else {
        failure.set_data(PageMessage(api.detail));
    }
    failure
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn wants_language(req: &Request) -> Option<Lang> {
    req.uri().query()?.split('&').find_map(|pair| match pair {
        "lang=de" => Some(Lang::De),
        "lang=en" => Some(Lang::En),
        _ => None,
    })
}

fn page_language(req: &Request) -> Lang {
    match session::cookie(req, session::LANG_COOKIE) {
        Some("en") => Lang::En,
        Some("de") => Lang::De,
        _ => Lang::negotiate(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

/// A state-changing request that a browser says came from another site. Its `Origin` must be
/// the host it was sent to (`Host`), or the server's public address (`DORFAPP_PUBLIC_URL`):
/// behind a reverse proxy that rewrites `Host`, the public address is what browsers send.
fn from_elsewhere(req: &Request) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return true;
    }
    let origin = match req.headers().get(header::ORIGIN).map(|v| v.to_str()) {
        None => return false,
        Some(Err(_)) => return true,
        Some(Ok(origin)) => origin,
    };
    let Some((_, origin_host)) = origin.split_once("://") else {
        return true;
    };
    let sent_to = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let public = req
        .data::<AppState>()
        .map(|state| state.settings.public_url());
    let public_host = public
        .as_deref()
        .and_then(|url| url.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    let public_scheme = public
        .as_deref()
        .and_then(|url| url.split_once("://"))
        .map(|(s, _)| s);
    let same_as_public = public_host == Some(origin_host)
        && public_scheme == origin.split_once("://").map(|(s, _)| s);
    !(sent_to == Some(origin_host) || same_as_public)
}

/// The console's edge layer (see the module documentation).
pub async fn pages<E: Endpoint>(inner: E, mut req: Request) -> Result<Response> {
    let https = req.data::<AppState>().is_some_and(session::is_https);
    if req.method() == Method::GET
        && let Some(lang) = wants_language(&req)
    {
        return Ok(secured(switch_language(&req, lang, https), https));
    }
    let lang = page_language(&req);
    req.extensions_mut().insert(PageLang(lang));
    let method = req.method().clone();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let request_id = req.data::<RequestId>().map(|id| id.0.clone());
    let outcome = if from_elsewhere(&req) {
        Err(session::csrf_rejected())
    } else {
        inner.call(req).await.map(IntoResponse::into_response)
    };
    let response = match outcome {
        Ok(response)
            if response.status().as_u16() < 400 || response.data::<Rendered>().is_some() =>
        {
            response
        }
        Ok(response) => error_page(response.status(), None, lang, request_id),
        Err(err) if err.data::<SignInNeeded>().is_some() => {
            if method == Method::GET || method == Method::HEAD {
                let next = pages::auth::login_link(&path_and_query);
                Response::builder()
                    .status(StatusCode::SEE_OTHER)
                    .header(header::LOCATION, next)
                    .finish()
            } else {
                let draft = err
                    .data::<session::ExpiredForm>()
                    .map(|form| form.0.clone())
                    .unwrap_or_default();
                pages::auth::login_after_expiry(lang, &path_and_query, https, draft)
            }
        }
        Err(err) if err.data::<CsrfRejected>().is_some() => error_page(
            StatusCode::FORBIDDEN,
            Some(labels(lang).error_csrf.to_owned()),
            lang,
            request_id,
        ),
        Err(err) => {
            let message = err.data::<PageMessage>().map(|m| m.0.get(lang).to_owned());
            error_page(err.status(), message, lang, request_id)
        }
    };
    Ok(secured(response, https))
}

fn switch_language(req: &Request, lang: Lang, https: bool) -> Response {
    let rest: Vec<&str> = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.starts_with("lang=") && !pair.is_empty())
        .collect();
    let mut target = req.uri().path().to_owned();
    if !rest.is_empty() {
        target.push('?');
        target.push_str(&rest.join("&"));
    }
    let code = labels(lang).code;
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, target)
        .header(
            header::SET_COOKIE,
            session::set_cookie(
                session::LANG_COOKIE,
                code,
                "/console",
                365 * 24 * 3600,
                https,
                "Lax",
            ),
        )
        .finish()
}

fn error_page(
    status: StatusCode,
    message: Option<String>,
    lang: Lang,
    request_id: Option<String>,
) -> Response {
    let t = labels(lang);
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), "console page failed");
    }
    let text = message.unwrap_or_else(|| {
        match status {
            StatusCode::NOT_FOUND => t.error_not_found,
            StatusCode::FORBIDDEN => t.error_forbidden,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => t.error_bad_request,
            StatusCode::PAYLOAD_TOO_LARGE => t.error_too_large,
            StatusCode::METHOD_NOT_ALLOWED => t.error_method,
            StatusCode::SERVICE_UNAVAILABLE => t.error_unavailable,
            s if s.is_server_error() => t.error_internal,
            _ => t.error_other,
        }
        .to_owned()
    });
    let code = ErrorCode::from_status(status);
    pages::render(
        status,
        &ErrorPage {
            chrome: pages::Chrome::anonymous(lang, code.title().get(lang).to_owned()),
            message: text,
            request_id: request_id.unwrap_or_default(),
        },
    )
}

/// The headers every console answer carries.
fn secured(mut response: Response, https: bool) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages hold personal data (riders' phone numbers): never kept by a browser or proxy. The
    // static files set their own (immutable) caching.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}
