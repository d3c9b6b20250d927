//! The Dorf-App backend as a library: `main`, the tests and the spec export all build the
//! application through [`app`] and [`api_service`].

pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
pub mod error;
pub mod http;
pub mod seed;
pub mod server;
pub mod state;
pub mod telemetry;

use poem::{
    Endpoint, EndpointExt, Route,
    http::Method,
    middleware::{CatchPanic, Compression, Cors},
    web::CompressionAlgo,
};
use poem_openapi::OpenApiService;

use crate::config::Settings;
use crate::http::{
    anliegen::AnliegenApi, api_clients::ApiClientsApi, aushang::AushangApi, auth::AuthApi,
    calendar::CalendarApi, districts::DistrictsApi, edge, event_shifts::EventShiftsApi,
    events::EventsApi, me::MeApi, media::MediaApi, news::NewsApi, open311::Open311Api,
    operations::OperationsApi, organisations::OrganisationsApi, polls::PollsApi, push::PushApi,
    rides::RidesApi, shops::ShopsApi, sms::SmsApi, users::UsersApi,
};
pub use crate::state::AppState;

/// Every API of the server, in the order the spec lists them.
pub type Apis = (
    AuthApi,
    MeApi,
    UsersApi,
    // poem-openapi implements `OpenApi` for tuples of up to 16: a district's Aushang goes
    // with the districts.
    (DistrictsApi, AushangApi),
    NewsApi,
    RidesApi,
    ShopsApi,
    AnliegenApi,
    PollsApi,
    OrganisationsApi,
    // poem-openapi implements `OpenApi` for tuples of up to 16: the calendar's two go as one.
    (EventsApi, CalendarApi, EventShiftsApi),
    ApiClientsApi,
    MediaApi,
    // Text messages beside push: the two channels that reach a person.
    (PushApi, SmsApi),
    OperationsApi,
    Open311Api,
);

const API_DESCRIPTION: &str = include_str!("../openapi-description.md");

/// The OpenAPI service: routes and the generated document. Needs no database.
pub fn api_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            AuthApi,
            MeApi,
            UsersApi,
            (DistrictsApi, AushangApi),
            NewsApi,
            RidesApi,
            ShopsApi,
            AnliegenApi,
            PollsApi,
            OrganisationsApi,
            (EventsApi, CalendarApi, EventShiftsApi),
            ApiClientsApi,
            MediaApi,
            (PushApi, SmsApi),
            OperationsApi,
            Open311Api,
        ),
        "Dorf-App API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(API_DESCRIPTION)
    .license(
        poem_openapi::LicenseObject::new("AGPL-3.0-or-later")
            .url("https://www.gnu.org/licenses/agpl-3.0.html"),
    )
    .contact(
        // The operator's address belongs here; the project itself names only itself.
        poem_openapi::ContactObject::new().name("Dorf-App backend"),
    )
}

fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            "authorization",
            "content-type",
            "if-match",
            "if-none-match",
            "idempotency-key",
            "accept-language",
            "x-request-id",
        ])
        .expose_headers([
            "etag",
            "x-request-id",
            "retry-after",
            "location",
            "content-language",
        ])
        .max_age(3600);
    if let Some(origins) = settings.cors_origin_list() {
        cors = cors.allow_origins(origins);
    }
    cors
}

/// The API's edge layers, innermost first: body limit, idempotency key, panic catcher, CORS,
/// problem+json for every error, the API's security headers.
pub fn with_api_edge<E: Endpoint + 'static>(
    endpoint: E,
    settings: &Settings,
) -> impl Endpoint + 'static + use<E> {
    let limits = edge::BodyLimits {
        default: settings.body_limit_bytes,
        upload: settings.media_max_bytes,
        is_upload: http::media::is_upload,
    };
    endpoint
        .around(move |ep, req| edge::limit_body(ep, req, limits))
        .around(edge::readable_idempotency_key)
        .with(CatchPanic::new())
        .with(cors(settings))
        .around(edge::problems)
        .around(edge::api_headers)
}

/// The layers around everything the server answers (API and console), innermost first:
/// request id / tracing / metrics, compression.
pub fn with_outer_edge<E: Endpoint + 'static>(endpoint: E) -> impl Endpoint + 'static + use<E> {
    endpoint
        .around(edge::observe)
        // Only reads compressed request bodies: `http::coding` compresses the answers (and
        // takes `Accept-Encoding` away before this sees it).
        .with(Compression::new().algorithms([CompressionAlgo::GZIP, CompressionAlgo::DEFLATE]))
        .around(http::coding::compress)
        .around(edge::vary_on_encoding)
}

/// The whole application: API routes, spec and docs inside the API's edge, the console inside
/// its own (HTML error pages, cookie sign-in), both inside the outer edge.
pub fn app(state: AppState) -> impl Endpoint + 'static + use<> {
    telemetry::init_metrics();
    let service = api_service();
    // The published document (`http::spec`), rendered once.
    let (json, yaml) = (http::spec::json(), http::spec::yaml());
    let spec_json = poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(json.clone())
    });
    let spec_yaml = poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/yaml; charset=utf-8")
            .body(yaml.clone())
    });
    let docs = service.swagger_ui();
    let settings = state.settings.clone();
    let api = Route::new()
        .at("/openapi.json", spec_json)
        .at("/openapi.yaml", spec_yaml)
        .nest("/docs", docs)
        .nest("/", service);
    let routes = Route::new()
        .nest_no_strip(console::MOUNT, console::app(&settings))
        .nest("/", with_api_edge(api, &settings))
        .data(state);
    with_outer_edge(routes)
}
