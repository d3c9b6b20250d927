//! The console's pages: each handler reads its input, calls one domain function, and renders a
//! template. Templates live in `api/console/templates` and are compiled into the binary.

pub mod admin;
pub mod auth;
pub mod desk;
pub mod district;
pub mod hours;
pub mod news;
pub mod photos;
pub mod shop;
pub mod start;

use askama::Template;
use poem::{
    Response,
    http::{StatusCode, header},
};

use super::{
    assets,
    edge::Rendered,
    i18n::{Labels, labels},
    nav::{self, NavLink},
    session::Console,
};
use crate::state::AppState;
use domain::text::Lang;

/// What the frame of every page (`base.html`) shows.
pub struct Chrome {
    pub t: &'static Labels,
    /// The page's own title (the `<title>` adds the console's name).
    pub title: String,
    pub css_href: String,
    pub htmx_src: String,
    pub htmx_sri: &'static str,
    /// The signed-in person's name; empty on the login and error pages.
    pub user_name: String,
    /// The CSRF token of the sign-out form (and of every form of the page).
    pub csrf: String,
    pub nav: Vec<NavLink>,
}

impl Chrome {
    /// The frame of a page seen without a sign-in (login, errors).
    pub fn anonymous(lang: Lang, title: String) -> Self {
        Self {
            t: labels(lang),
            title,
            css_href: format!("/console/static/{}", *assets::CSS_FILE),
            htmx_src: format!("/console/static/{}", assets::HTMX_FILE),
            htmx_sri: assets::HTMX_SHA384,
            user_name: String::new(),
            csrf: String::new(),
            nav: Vec::new(),
        }
    }

    /// The frame of a signed-in page at `current` (its menu entry is marked).
    pub async fn signed_in(
        state: &AppState,
        console: &Console,
        title: impl Into<String>,
        current: &str,
    ) -> poem::Result<Self> {
        let profile = domain::users::profile(&state.db, console.actor.user_id)
            .await
            .map_err(super::edge::domain_failure)?;
        let districts = domain::districts::list(&state.db)
            .await
            .map_err(super::edge::domain_failure)?;
        let t = labels(console.lang);
        Ok(Self {
            user_name: profile.user.display_name,
            csrf: console.csrf.clone(),
            nav: nav::links(&console.actor, t, current, &districts),
            ..Self::anonymous(console.lang, title.into())
        })
    }
}

/// The page every error becomes.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub message: String,
    pub request_id: String,
}

/// A rendered page as an answer. A template that fails to render (it cannot fail on a value,
/// only on a writer error) becomes a plain 500 rather than a half page.
pub fn render<T: Template + HasChrome>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = Response::builder()
                .status(status)
                .content_type("text/html; charset=utf-8")
                .header(header::CONTENT_LANGUAGE, page.chrome().t.code)
                .body(html);
            response.set_data(Rendered);
            response
        }
        Err(err) => {
            tracing::error!(error = %err, "a console template failed to render");
            let mut response = Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/html; charset=utf-8")
                .body("<!doctype html><html lang=\"de\"><title>Fehler</title><p>Interner Fehler. Bitte versuchen Sie es in einer Minute noch einmal.</p></html>");
            response.set_data(Rendered);
            response
        }
    }
}

/// Every page has the frame.
pub trait HasChrome {
    fn chrome(&self) -> &Chrome;
}

macro_rules! has_chrome {
    ($($page:ty),* $(,)?) => {
        $(impl $crate::console::pages::HasChrome for $page {
            fn chrome(&self) -> &$crate::console::pages::Chrome {
                &self.chrome
            }
        })*
    };
}
pub(crate) use has_chrome;

has_chrome!(ErrorPage);

/// A 303 to `location` (after a form: the Post/Redirect/Get pattern, so reloading the page
/// never sends the form again).
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .finish()
}

/// One line of text, for an htmx partial (the news form's reach, the opening hours' preview).
#[derive(Template)]
#[template(source = "{{ line }}", ext = "html")]
pub struct LineFragment {
    pub line: String,
}

/// A partial page for htmx: no frame, the console's headers.
pub fn fragment_response(html: askama::Result<String>) -> poem::Result<Response> {
    let html = html.map_err(|err| {
        tracing::error!(error = %err, "a console fragment failed to render");
        poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
    })?;
    let mut response = Response::builder()
        .content_type("text/html; charset=utf-8")
        .body(html);
    response.set_data(Rendered);
    Ok(response)
}

/// `?done=…` after a form's redirect: which success message the page shows.
#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}
