//! The HTTP layer: one module per resource, each an `#[OpenApi]` struct with its request and
//! response types. Handlers extract, call one domain function, and map the result; they write
//! no SQL and decide no rules.

use poem_openapi::Tags;

pub mod anliegen;
pub mod api_clients;
pub mod aushang;
pub mod auth;
pub mod body;
pub mod calendar;
pub mod coding;
pub mod districts;
pub mod edge;
pub mod etag;
pub mod event_shifts;
pub mod events;
pub mod feed_cache;
pub mod ical;
pub mod me;
pub mod media;
pub mod news;
pub mod open311;
pub mod operations;
pub mod organisations;
pub mod pagination;
pub mod polls;
pub mod push;
pub mod rides;
pub mod shops;
pub mod sms;
pub mod spec;
pub mod types;
pub mod users;

/// Groups of operations in the spec; generated clients name their modules after these.
#[derive(Tags)]
pub enum ApiTags {
    /// Registration, login, token refresh and logout.
    Auth,
    /// The signed-in person's own account: profile, password, data export, deletion.
    Me,
    /// Administration of users and their roles.
    Users,
    /// Village districts (Ortsteile) of the municipality.
    Districts,
    /// District news (Ortsteil-Nachrichten): the public feed and publishing.
    News,
    /// Shuttle rides (Fahrdienst) for older residents without a car: booking, dispatch, driving.
    Rides,
    /// Village shops (Dorfläden): opening hours, notices, followers.
    Shops,
    /// Anliegen: residents' concerns, ideas and questions to their district, and the answers
    /// they can see; support ("Ich auch"), publication, the handlers' queue, the map, the
    /// district's figures.
    Anliegen,
    /// Polls (Umfragen) of a district: one secret vote per person, results, and what came of
    /// it.
    Polls,
    /// Organisations that publish in a district (Vereine, Kirchengemeinde, Feuerwehr,
    /// Jugendclub) and their editors.
    Organisations,
    /// Events (Veranstaltungen): the village calendar, single events and series, published by
    /// district leaders, admins and organisations' editors.
    Events,
    /// Open311 GeoReport v2 (`/open311/v2`, JSON): services, service requests filed with an
    /// `api_key`, for existing Open311 apps and municipal back offices. Errors follow Open311
    /// (`[{code, description}]`), not problem+json.
    Open311,
    /// Photos: upload once, show on news items, served in three sizes as WebP and JPEG.
    Media,
    /// Push notifications (Web Push with VAPID): devices, preferences, quiet hours, the inbox.
    Push,
    /// Text messages (SMS) for people the app does not reach: a resident's own mobile number
    /// confirmed by code, consents the ride desk records, and the provider's webhooks
    /// (delivery reports, replies "1", "2", STOP).
    Sms,
    /// Health, readiness and metrics for operators.
    Operations,
}
