//! `/api/v1/districts/{id}/aushang.pdf`: a district's printed Aushang for one week, as an A4
//! PDF for the notice board. What is on it is `domain::aushang`'s; this is HTTP only: the
//! `week` parameter, the file's name, its entity tag over the bytes, and 304.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi, ResponseContent,
    param::{Header, Path, Query},
    payload::Binary,
};
use uuid::Uuid;

use super::ApiTags;
use crate::{error::ApiResult, state::AppState};
use domain::aushang::{self, SheetSettings};

/// A PDF document.
#[derive(ResponseContent)]
pub enum PdfBody {
    /// A4 portrait, one or two pages, fonts embedded, language German.
    #[oai(content_type = "application/pdf")]
    Pdf(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
pub enum AushangResponse {
    /// The sheet. Print it on A4 without scaling ("tatsächliche Größe").
    #[oai(status = 200)]
    Ok(
        PdfBody,
        /// Identifies these bytes: the same data gives the same sheet, byte for byte.
        #[oai(header = "ETag")]
        String,
        /// `public, max-age=300`.
        #[oai(header = "Cache-Control")]
        String,
        /// `inline; filename="aushang-{district slug}-{week}.pdf"`, e.g.
        /// `inline; filename="aushang-rieder-2026-W49.pdf"`.
        #[oai(header = "Content-Disposition")]
        String,
    ),
    /// Unchanged since the version named in `If-None-Match`; the body is empty.
    #[oai(status = 304)]
    NotModified(
        /// Identifies the (unchanged) sheet.
        #[oai(header = "ETag")]
        String,
    ),
}

/// The error answers each operation here can give ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[("getAushang", &[400, 404, 422])];

fn week_example() -> Option<String> {
    Some("2026-W49".to_owned())
}

pub struct AushangApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Districts")]
impl AushangApi {
    /// Print a district's Aushang
    ///
    /// Public. The district's notice for one ISO week as an A4 PDF of one or two pages, for
    /// the notice board and the village shop's wall, where people without the app read. In
    /// this order: **Warnungen** (warnings live during the week, framed); **Nachrichten**
    /// (items published in the week and pinned ones, newest first, each with the start of its
    /// text); **Termine** (the calendar's dates of 14 days from Monday); **Dorfladen** (each
    /// shop's hours on the week's dates, special days applied, and its notices); **Fahrdienst**
    /// (the ride desk's number, when the server has one; never left out for lack of space);
    /// **Anliegen** (the latest public answer of each published Anliegen of the last four
    /// weeks). Everything is what the public API shows now for the district, its own and the
    /// town-wide items. A crowded week loses events and news from the end, and the sheet then
    /// says "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt". Dates are German, in
    /// the municipality's time zone; the footer names the newest change shown ("Stand
    /// 02.12.2026"), never the time of printing, so the same data gives the same bytes: send
    /// the `ETag` as `If-None-Match` to get an empty 304. An unknown district is 404, a `week`
    /// that is no ISO week, does not exist, or lies more than a year back or eight weeks ahead
    /// is 422 naming `week`.
    #[oai(
        path = "/districts/:id/aushang.pdf",
        method = "get",
        operation_id = "getAushang"
    )]
    async fn aushang(
        &self,
        state: Data<&AppState>,
        /// The district's id.
        id: Path<Uuid>,
        /// The ISO week, `YYYY-Www` (`2026-W49`: 30.11.–06.12.2026); default the current week
        /// in the municipality's time zone. At most a year back and eight weeks ahead.
        #[oai(example = "week_example")]
        week: Query<Option<String>>,
        /// The `ETag` of a copy the client holds: 304 when it is still current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<AushangResponse> {
        let public_url = state.settings.public_url();
        let settings = SheetSettings {
            public_url: &public_url,
            ride_desk_phone: state.settings.ride_desk_phone.as_deref(),
        };
        let week = aushang::week(
            &state.db,
            &state.clock,
            state.time_zone,
            id.0,
            week.0.as_deref(),
            settings,
        )
        .await?;
        let file_name = week.file_name();
        let pdf = aushang::render(week.sheet).await?;
        let etag = super::etag::tag_of_bytes(&pdf);
        if super::etag::none_match_hits(if_none_match.0.as_deref(), &etag) {
            return Ok(AushangResponse::NotModified(etag));
        }
        Ok(AushangResponse::Ok(
            PdfBody::Pdf(Binary(pdf)),
            etag,
            "public, max-age=300".to_owned(),
            format!("inline; filename=\"{file_name}\""),
        ))
    }
}
