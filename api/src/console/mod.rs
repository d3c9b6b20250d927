//! The Verwaltungsoberfläche: a web console at `/console` for district mayors, the ride desk,
//! shopkeepers and administrators, served by the same binary on the same rules as the API.
//!
//! Server-rendered HTML (askama templates compiled in), plain forms that work without
//! JavaScript, and a small vendored htmx for partial updates. Pages call the same domain rule
//! functions as the API: the only role logic here is which menu links to show (`nav`).
//!
//! - `session`: the cookie sign-in and the CSRF check ([`domain::auth::console`] holds the rules).
//! - `edge`: language, same-origin check, error pages, security headers.
//! - `pages`: one module per area; `api/console/templates`: their templates.
//! - [`routes`]: every page, with the API operation or rule it mirrors; the route table the
//!   server is built from is the table the RBAC tests walk, so the two cannot drift.

pub mod assets;
pub mod edge;
pub mod forms;
pub mod i18n;
pub mod markdown;
pub mod nav;
pub mod pages;
pub mod session;

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Response, Route, RouteMethod, http::Method,
    middleware::CatchPanic,
};

use crate::config::Settings;

/// What a console page does in terms the API already has, for the RBAC matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mirror {
    /// Open to everyone (the login page, static files).
    Public,
    /// Any signed-in person (start page, own password).
    SignedIn,
    /// The page does what this API operation does, through the same rule: the same people may
    /// use it.
    Op(&'static str),
    /// A rule that only the console offers; the tests hold its table of who may.
    Rule(&'static str),
}

/// One page of the console.
pub struct ConsoleRoute {
    pub method: Method,
    /// The path below `/console`, in poem's syntax (`/news/:id`).
    pub path: &'static str,
    pub mirrors: Mirror,
    endpoint: fn() -> poem::endpoint::BoxEndpoint<'static, Response>,
}

fn boxed<E>(endpoint: E) -> poem::endpoint::BoxEndpoint<'static, Response>
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    endpoint.into_endpoint().map_to_response().boxed()
}

macro_rules! page {
    ($method:ident, $path:literal, $mirrors:expr, $handler:path) => {
        ConsoleRoute {
            method: Method::$method,
            path: $path,
            mirrors: $mirrors,
            endpoint: || boxed($handler),
        }
    };
}

/// Every page of the console.
pub fn routes() -> Vec<ConsoleRoute> {
    use pages::{admin, auth, desk, district, hours, news, photos, shop, start};
    vec![
        page!(GET, "/", Mirror::SignedIn, start::start),
        page!(GET, "/login", Mirror::Public, auth::login_form),
        page!(POST, "/login", Mirror::Public, auth::login),
        page!(POST, "/logout", Mirror::SignedIn, auth::logout),
        page!(GET, "/password", Mirror::SignedIn, auth::password_form),
        page!(
            POST,
            "/password",
            Mirror::Op("changePassword"),
            auth::change_password
        ),
        page!(GET, "/static/:file", Mirror::Public, assets::static_file),
        page!(
            GET,
            "/districts/:id",
            Mirror::Op("getRideStats"),
            district::show
        ),
        page!(
            GET,
            "/news/new",
            Mirror::Rule("news::require_publisher"),
            news::new_form
        ),
        page!(POST, "/news/new", Mirror::Op("createNews"), news::create),
        page!(
            GET,
            "/news/:id",
            Mirror::Op("getNewsDelivery"),
            news::edit_form
        ),
        page!(POST, "/news/:id", Mirror::Op("updateNews"), news::save),
        page!(
            GET,
            "/news/:id/withdraw",
            Mirror::Op("getNewsDelivery"),
            news::withdraw_form
        ),
        page!(
            POST,
            "/news/:id/withdraw",
            Mirror::Op("deleteNews"),
            news::withdraw
        ),
        page!(
            GET,
            "/media/:id/:file",
            Mirror::Op("getMediaFile"),
            photos::rendition
        ),
        page!(
            GET,
            "/news/:id/photos",
            Mirror::Op("getNewsDelivery"),
            photos::show
        ),
        page!(
            POST,
            "/news/:id/photos",
            Mirror::Op("updateNews"),
            photos::add
        ),
        page!(
            POST,
            "/news/:id/photos/remove",
            Mirror::Op("updateNews"),
            photos::remove
        ),
        page!(
            POST,
            "/news/preview",
            Mirror::Rule("news::require_publisher"),
            news::preview_fragment
        ),
        page!(
            POST,
            "/news/reach",
            Mirror::Rule("news::require_publisher"),
            news::reach_fragment
        ),
        page!(
            GET,
            "/shops/:id",
            Mirror::Rule("shops::follower_count"),
            shop::show
        ),
        page!(
            POST,
            "/shops/:id/notices",
            Mirror::Op("createShopNotice"),
            shop::post_notice
        ),
        page!(
            GET,
            "/shops/:id/hours",
            Mirror::Rule("shops::follower_count"),
            hours::show
        ),
        page!(
            POST,
            "/shops/:id/hours",
            Mirror::Op("setOpeningHours"),
            hours::save_weekly
        ),
        page!(
            POST,
            "/shops/:id/special-days",
            Mirror::Op("setSpecialDays"),
            hours::save_special
        ),
        page!(
            POST,
            "/shops/:id/hours/preview",
            Mirror::Rule("shops::follower_count"),
            hours::preview
        ),
        page!(GET, "/rides", Mirror::Rule("rides::desk"), desk::board),
        page!(
            GET,
            "/rides/new",
            Mirror::Rule("rides::desk"),
            desk::new_form
        ),
        page!(POST, "/rides/new", Mirror::Rule("rides::desk"), desk::book),
        page!(
            GET,
            "/rides/callbacks",
            Mirror::Op("listRideCallbacks"),
            desk::callbacks
        ),
        page!(
            POST,
            "/rides/callbacks/:id/done",
            Mirror::Op("completeRideCallback"),
            desk::callback_done
        ),
        page!(
            GET,
            "/rides/sheet",
            Mirror::Rule("rides::desk"),
            desk::sheet
        ),
        page!(GET, "/rides/:id", Mirror::Rule("rides::desk"), desk::show),
        page!(
            POST,
            "/rides/:id/assign",
            Mirror::Rule("rides::desk"),
            desk::assign
        ),
        page!(
            POST,
            "/rides/:id/release",
            Mirror::Rule("rides::desk"),
            desk::release
        ),
        page!(
            POST,
            "/rides/:id/cancel",
            Mirror::Rule("rides::desk"),
            desk::cancel
        ),
        page!(
            POST,
            "/rides/:id/reschedule",
            Mirror::Rule("rides::desk"),
            desk::reschedule
        ),
        page!(
            GET,
            "/admin",
            Mirror::Op("getSystemHealth"),
            admin::overview
        ),
        page!(
            POST,
            "/admin/districts",
            Mirror::Op("createDistrict"),
            admin::create_district
        ),
        page!(
            GET,
            "/admin/users",
            Mirror::Op("listUsers"),
            admin::users_list
        ),
        page!(GET, "/admin/users/:id", Mirror::Op("getUser"), admin::user),
        page!(
            POST,
            "/admin/users/:id/roles",
            Mirror::Op("grantRole"),
            admin::grant
        ),
        page!(
            POST,
            "/admin/users/:id/roles/:assignment/revoke",
            Mirror::Op("revokeRole"),
            admin::revoke
        ),
    ]
}

/// What the photo form may add to the photo: its text fields and the multipart framing.
const MULTIPART_ALLOWANCE_BYTES: usize = 64 * 1024;

/// Where the console is served.
pub const MOUNT: &str = "/console";

/// The console's routes inside its own edge (see [`edge`]); mounted at [`MOUNT`] with
/// `Route::nest_no_strip`.
pub fn app(settings: &Settings) -> impl Endpoint + 'static + use<> {
    let mut by_path: Vec<(&'static str, RouteMethod)> = Vec::new();
    for route in routes() {
        let endpoint = (route.endpoint)();
        match by_path.iter_mut().find(|(path, _)| *path == route.path) {
            Some((_, methods)) => {
                let taken = std::mem::take(methods);
                *methods = taken.method(route.method, endpoint);
            }
            None => by_path.push((
                route.path,
                RouteMethod::new().method(route.method, endpoint),
            )),
        }
    }
    // Full paths (`/console/…`), mounted without stripping: pages, redirects and the login's
    // `next` all see the address the browser sent.
    let table = by_path.into_iter().fold(
        // `/console` without its slash is the start page too.
        Route::new().at(
            MOUNT,
            poem::endpoint::make_sync(|_| pages::see_other("/console/")),
        ),
        |table, (path, methods)| table.at(format!("{MOUNT}{path}"), methods),
    );
    let limits = crate::http::edge::BodyLimits {
        default: settings.body_limit_bytes,
        // The photo, its form's few fields and the multipart framing around them.
        upload: settings.media_max_bytes + MULTIPART_ALLOWANCE_BYTES,
        is_upload: pages::photos::is_photo_upload,
    };
    table
        .around(move |ep, req| crate::http::edge::limit_body(ep, req, limits))
        .with(CatchPanic::new())
        .around(edge::pages)
}

#[cfg(test)]
mod tests {
    /// The templates hold no inline script and no inline style: the Content-Security-Policy
    /// forbids both, and a page that relied on one would break silently in the browser.
    #[test]
    fn templates_need_no_inline_script_or_style() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("console/templates");
        for entry in std::fs::read_dir(&dir).expect("templates") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            for forbidden in [
                "style=",
                "<style",
                "onclick",
                "onload",
                "onsubmit",
                "hx-on",
                "javascript:",
            ] {
                assert!(
                    !text.contains(forbidden),
                    "{} contains {forbidden}",
                    path.display()
                );
            }
            for script in text.match_indices("<script") {
                let tag = &text[script.0
                    ..text[script.0..]
                        .find('>')
                        .map_or(text.len(), |e| script.0 + e)];
                assert!(tag.contains("src="), "{}: inline <script>", path.display());
            }
        }
    }
}
