//! `/api/v1/shops` and `/api/v1/shop-notices`: village shops, their opening hours and notices.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    etag::{Cached, Versioned, version_check},
    pagination,
    types::NoContent,
    types::{Timestamp, patch_field},
};
use crate::{auth::Caller, error::ApiResult, state::AppState};
use domain::{
    idempotency::Claim,
    shops::opening_hours::{self, SpecialDay as DomainSpecialDay, Window},
    shops::{self, NewNotice, NewShop, NoticePatch, NoticeScope, NoticeView, ShopPatch, ShopView},
};
use entity::vocab::ShopNoticeKind;

/// A weekly opening window in the municipality's local time.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct OpeningWindow {
    /// Day of the week, 1 (Monday) to 7 (Sunday).
    pub weekday: u8,
    /// Opening time `HH:MM` (00:00–23:59).
    pub opens: String,
    /// Closing time `HH:MM`, later than `opens` on the same day; `24:00` = end of the day. A
    /// window across midnight is two windows: `22:00`–`24:00` and, next day, `00:00`–`02:00`.
    pub closes: String,
}

impl poem_openapi::types::Example for OpeningWindow {
    fn example() -> Self {
        Self {
            weekday: 2,
            opens: "08:00".into(),
            closes: "12:00".into(),
        }
    }
}

/// A date with other hours than usual: closed, or open in one window.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct SpecialDay {
    /// The date, `YYYY-MM-DD`, in the municipality's time zone.
    pub date: String,
    /// `true`: closed all day (then no `opens`/`closes`).
    pub closed: bool,
    /// Opening time `HH:MM` when not closed.
    #[oai(nullable)]
    pub opens: Option<String>,
    /// Closing time `HH:MM` (or `24:00`) when not closed.
    #[oai(nullable)]
    pub closes: Option<String>,
    /// Why, for people, e.g. `Inventur` (at most 200 characters).
    #[oai(nullable)]
    pub note: Option<String>,
}

impl poem_openapi::types::Example for SpecialDay {
    fn example() -> Self {
        Self {
            date: "2026-12-24".into(),
            closed: false,
            opens: Some("08:00".into()),
            closes: Some("12:00".into()),
            note: Some("Heiligabend".into()),
        }
    }
}

/// A village shop (Dorfladen) with its hours.
///
/// `open_now` and `next_change_at` are computed by the server in the municipality's time zone,
/// special days before the weekly schedule, so that an app can show "geöffnet bis 18:00" by
/// formatting `next_change_at` in local time while `open_now` is true, and "öffnet Di 08:00"
/// while it is false.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Shop {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// The shop's name.
    pub name: String,
    /// The district it is in.
    pub district_id: Uuid,
    /// Street address.
    pub address: String,
    /// Phone number, or null.
    #[oai(nullable)]
    pub phone: Option<String>,
    /// Email address, or null.
    #[oai(nullable)]
    pub email: Option<String>,
    /// Web address, or null.
    #[oai(nullable)]
    pub website: Option<String>,
    /// A few sentences about the shop, or null.
    #[oai(nullable)]
    pub description: Option<String>,
    /// The weekly schedule, by weekday and time.
    pub opening_hours: Vec<OpeningWindow>,
    /// Dates with other hours, by date.
    pub special_days: Vec<SpecialDay>,
    /// Whether the shop is open at the time of the answer.
    pub open_now: bool,
    /// When `open_now` flips next (RFC 3339, UTC): the closing time while open, the next
    /// opening while closed. Null when the shop has no upcoming hours.
    #[oai(nullable)]
    pub next_change_at: Option<Timestamp>,
    /// Its photos, in order, each with its alt text and every size (for `srcset`).
    pub images: Vec<super::media::Image>,
    /// When the shop was created.
    pub created_at: Timestamp,
    /// When the shop or its hours last changed.
    pub updated_at: Timestamp,
}

impl poem_openapi::types::Example for Shop {
    fn example() -> Self {
        let at = |s: &str| {
            Timestamp(
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|t| t.to_utc())
                    .unwrap_or_default(),
            )
        };
        Self {
            id: Uuid::parse_str("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e01").unwrap_or_default(),
            name: "Dorfladen Badeborn".into(),
            district_id: Uuid::parse_str("0193a5c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f")
                .unwrap_or_default(),
            address: "Hauptstraße 12, 06493 Ballenstedt OT Badeborn".into(),
            phone: Some("+49 39483 1234".into()),
            email: None,
            website: None,
            description: Some("Lebensmittel, Backwaren, Post.".into()),
            opening_hours: vec![
                OpeningWindow {
                    weekday: 2,
                    opens: "08:00".into(),
                    closes: "12:00".into(),
                },
                OpeningWindow {
                    weekday: 2,
                    opens: "14:00".into(),
                    closes: "18:00".into(),
                },
            ],
            special_days: vec![SpecialDay::example()],
            open_now: true,
            // Tuesday 14:30 CEST: open until 18:00 CEST = 16:00 UTC.
            next_change_at: Some(at("2026-06-02T16:00:00Z")),
            images: vec![super::media::Image {
                alt: "Der Dorfladen von außen, mit Bank und Blumenkübeln vor der Tür".into(),
                media: poem_openapi::types::Example::example(),
            }],
            created_at: at("2026-05-01T08:30:00Z"),
            updated_at: at("2026-05-01T08:30:00Z"),
        }
    }
}

impl Shop {
    fn from_view(view: ShopView, state: &AppState) -> Self {
        let (open_now, next) = opening_hours::status(
            state.clock.now(),
            state.time_zone,
            &view.weekly,
            &view.special,
        );
        let s = view.shop;
        Self {
            id: s.id,
            name: s.name,
            district_id: s.district_id,
            address: s.address,
            phone: s.phone,
            email: s.email,
            website: s.website,
            description: s.description,
            opening_hours: view
                .weekly
                .into_iter()
                .map(|w| OpeningWindow {
                    weekday: w.weekday,
                    opens: w.opens,
                    closes: w.closes,
                })
                .collect(),
            special_days: view
                .special
                .into_iter()
                .map(|d| SpecialDay {
                    date: d.date,
                    closed: d.closed,
                    opens: d.opens,
                    closes: d.closes,
                    note: d.note,
                })
                .collect(),
            open_now,
            next_change_at: next.map(Timestamp),
            images: view.images.into_iter().map(Into::into).collect(),
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
        }
    }
}

super::pagination::page! {
    /// A page of shops.
    ShopPage of Shop
}

/// A new shop.
#[derive(Object, Clone, Debug)]
pub struct CreateShop {
    /// Name, 1 to 200 characters.
    pub name: String,
    /// The district it is in.
    pub district_id: Uuid,
    /// Street address, 1 to 300 characters.
    pub address: String,
    /// Phone number.
    #[oai(nullable)]
    pub phone: Option<String>,
    /// Email address.
    #[oai(nullable)]
    pub email: Option<String>,
    /// Web address (`https://…`).
    #[oai(nullable)]
    pub website: Option<String>,
    /// A few sentences, at most 5000 characters.
    #[oai(nullable)]
    pub description: Option<String>,
    /// Photos to show, in order (at most 10): ids from `POST /api/v1/media`, each with an alt
    /// text. Default none.
    #[oai(default)]
    pub images: Vec<super::media::ImageInput>,
}

/// Changes to a shop; absent fields stay, `null` clears optional ones.
#[derive(Object, Clone, Debug)]
pub struct UpdateShop {
    /// New name.
    pub name: Option<String>,
    /// New district (administrators only).
    pub district_id: Option<Uuid>,
    /// New address.
    pub address: Option<String>,
    /// New phone number; `null` removes it.
    #[oai(nullable)]
    pub phone: MaybeUndefined<String>,
    /// New email address; `null` removes it.
    #[oai(nullable)]
    pub email: MaybeUndefined<String>,
    /// New web address; `null` removes it.
    #[oai(nullable)]
    pub website: MaybeUndefined<String>,
    /// New description; `null` removes it.
    #[oai(nullable)]
    pub description: MaybeUndefined<String>,
    /// The photos, in order; replaces the list (`[]` removes them all). A photo no longer
    /// shown is deleted unless something else shows it.
    pub images: Option<Vec<super::media::ImageInput>>,
}

/// A notice of a shop.
#[derive(Object, Clone, Debug)]
pub struct ShopNotice {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// The shop.
    pub shop_id: Uuid,
    /// What it is about.
    pub kind: ShopNoticeKind,
    /// Headline, at most 200 characters.
    pub title: String,
    /// Text, at most 5000 characters, plain text.
    pub body: String,
    /// Shown from (null: from posting).
    #[oai(nullable)]
    pub valid_from: Option<Timestamp>,
    /// Shown until (null: until deleted).
    #[oai(nullable)]
    pub valid_until: Option<Timestamp>,
    /// Its photos, in order, each with its alt text and every size (for `srcset`).
    pub images: Vec<super::media::Image>,
    /// When it was posted.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

impl From<NoticeView> for ShopNotice {
    fn from(view: NoticeView) -> Self {
        let n = view.notice;
        Self {
            id: n.id,
            shop_id: n.shop_id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            valid_from: n.valid_from.map(Timestamp),
            valid_until: n.valid_until.map(Timestamp),
            images: view.images.into_iter().map(Into::into).collect(),
            created_at: n.created_at.into(),
            updated_at: n.updated_at.into(),
        }
    }
}

super::pagination::page! {
    /// A page of currently valid notices, newest first.
    ShopNoticePage of ShopNotice
}

/// A new notice.
#[derive(Object, Clone, Debug)]
pub struct CreateShopNotice {
    /// What it is about.
    pub kind: ShopNoticeKind,
    /// Headline, 1 to 200 characters.
    pub title: String,
    /// Text, 1 to 5000 characters.
    pub body: String,
    /// Show from (default: now). A push with `notify` goes out then.
    #[oai(nullable)]
    pub valid_from: Option<Timestamp>,
    /// Show until (after `valid_from`).
    #[oai(nullable)]
    pub valid_until: Option<Timestamp>,
    /// Tell the shop's followers by push (default false).
    #[oai(default)]
    pub notify: bool,
    /// Photos to show, in order (at most 10): ids from `POST /api/v1/media`, each with an alt
    /// text. Default none.
    #[oai(default)]
    pub images: Vec<super::media::ImageInput>,
}

/// Changes to a notice; absent fields stay, `null` clears the validity bounds.
#[derive(Object, Clone, Debug)]
pub struct UpdateShopNotice {
    /// New kind.
    pub kind: Option<ShopNoticeKind>,
    /// New headline.
    pub title: Option<String>,
    /// New text.
    pub body: Option<String>,
    /// New start of validity; `null`: shown from now on.
    #[oai(nullable)]
    pub valid_from: MaybeUndefined<Timestamp>,
    /// New end of validity; `null`: shown until deleted.
    #[oai(nullable)]
    pub valid_until: MaybeUndefined<Timestamp>,
    /// The photos, in order; replaces the list (`[]` removes them all). A photo no longer
    /// shown is deleted unless something else shows it.
    pub images: Option<Vec<super::media::ImageInput>>,
}

#[derive(ApiResponse)]
pub enum ShopCreated {
    /// The shop was created.
    #[oai(status = 201)]
    Created(
        Json<Shop>,
        /// Where the new shop can be read: `/api/v1/shops/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum NoticeCreated {
    /// The notice was posted.
    #[oai(status = 201)]
    Created(Json<ShopNotice>),
}

fn claim(
    actor_id: Uuid,
    key: Option<&str>,
    operation: &str,
    request: &impl serde::Serialize,
) -> ApiResult<Option<Claim>> {
    Ok(key
        .map(|key| Claim::new(format!("user:{actor_id}"), key, operation, request))
        .transpose()?)
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("listDistrictShopNotices", &[400, 422]),
    ("listShops", &[400, 422]),
    ("createShop", &[400, 401, 403, 422]),
    ("getShop", &[400, 404]),
    ("updateShop", &[400, 401, 403, 404, 422]),
    ("unfollowShop", &[400, 401, 404]),
    ("followShop", &[400, 401, 404]),
    ("listShopNotices", &[400, 404, 422]),
    ("createShopNotice", &[400, 401, 403, 404, 422]),
    ("deleteShopNotice", &[400, 401, 403, 404]),
    ("updateShopNotice", &[400, 401, 403, 404, 422]),
    ("setOpeningHours", &[400, 401, 403, 404, 422]),
    ("setSpecialDays", &[400, 401, 403, 404, 422]),
];

/// The limits of this module's request fields, as the spec publishes them (`super::spec`):
/// the rules' own constants, so the two cannot drift.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::{contact, shops, shops::opening_hours};
    &[
        ("CreateShop", "name", &[Text(shops::NAME_MAX)]),
        ("CreateShop", "address", &[Text(shops::ADDRESS_MAX)]),
        (
            "CreateShop",
            "description",
            &[MaxLength(shops::DESCRIPTION_MAX)],
        ),
        ("CreateShop", "phone", super::spec::PHONE),
        ("CreateShop", "email", &[MaxLength(contact::EMAIL_MAX)]),
        ("CreateShop", "website", &[Pattern(shops::WEBSITE_PATTERN)]),
        ("UpdateShop", "name", &[Text(shops::NAME_MAX)]),
        ("UpdateShop", "address", &[Text(shops::ADDRESS_MAX)]),
        (
            "UpdateShop",
            "description",
            &[MaxLength(shops::DESCRIPTION_MAX)],
        ),
        ("UpdateShop", "phone", super::spec::PHONE),
        ("UpdateShop", "email", &[MaxLength(contact::EMAIL_MAX)]),
        ("UpdateShop", "website", &[Pattern(shops::WEBSITE_PATTERN)]),
        (
            "CreateShopNotice",
            "title",
            &[Text(shops::NOTICE_TITLE_MAX)],
        ),
        ("CreateShopNotice", "body", &[Text(shops::NOTICE_BODY_MAX)]),
        (
            "UpdateShopNotice",
            "title",
            &[Text(shops::NOTICE_TITLE_MAX)],
        ),
        ("UpdateShopNotice", "body", &[Text(shops::NOTICE_BODY_MAX)]),
        (
            "OpeningWindow",
            "weekday",
            &[Range(
                opening_hours::WEEKDAYS.0 as i64,
                opening_hours::WEEKDAYS.1 as i64,
            )],
        ),
        (
            "OpeningWindow",
            "opens",
            &[Pattern(opening_hours::TIME_PATTERN)],
        ),
        (
            "OpeningWindow",
            "closes",
            &[Pattern(opening_hours::CLOSING_TIME_PATTERN)],
        ),
        (
            "SpecialDay",
            "opens",
            &[Pattern(opening_hours::TIME_PATTERN)],
        ),
        (
            "SpecialDay",
            "closes",
            &[Pattern(opening_hours::CLOSING_TIME_PATTERN)],
        ),
        ("SpecialDay", "note", &[MaxLength(opening_hours::NOTE_MAX)]),
    ]
};

pub struct ShopsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Shops")]
impl ShopsApi {
    /// List shops
    ///
    /// Public. Village shops, optionally of one district, with their hours and whether they are
    /// open now. Cursor-paginated; `ETag`/`If-None-Match` supported.
    #[oai(path = "/shops", method = "get", operation_id = "listShops")]
    async fn list(
        &self,
        state: Data<&AppState>,
        /// Only shops in this district.
        district_id: Query<Option<Uuid>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<ShopPage>> {
        let limit = pagination::limit(limit.0)?;
        let after = pagination::decode(cursor.0.as_deref())?;
        let (shops, more) = shops::list(&state.db, district_id.0, after, limit).await?;
        let last = shops.last().map(|s| s.shop.id);
        let page = ShopPage {
            items: shops
                .into_iter()
                .map(|v| Shop::from_view(v, &state))
                .collect(),
            next_cursor: pagination::next(last, more),
        };
        Ok(Cached::respond(page, if_none_match.0.as_deref()))
    }

    /// Get a shop
    ///
    /// Public. The shop with its hours, `open_now` and `next_change_at`.
    #[oai(path = "/shops/:id", method = "get", operation_id = "getShop")]
    async fn get(
        &self,
        state: Data<&AppState>,
        /// The shop's id.
        id: Path<Uuid>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<Shop>> {
        let view = shops::get(&state.db, id.0).await?;
        Ok(Cached::respond(
            Shop::from_view(view, &state),
            if_none_match.0.as_deref(),
        ))
    }

    /// Create a shop
    ///
    /// Administrators only. Operators are then assigned with `POST /users/{id}/roles`
    /// (`shop_operator` with this `shop_id`).
    #[oai(path = "/shops", method = "post", operation_id = "createShop")]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Any unique string (a UUID): a retry with the same key within 24 h creates nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreateShop>,
    ) -> ApiResult<ShopCreated> {
        let CreateShop {
            name,
            district_id,
            address,
            phone,
            email,
            website,
            description,
            images,
        } = body.0;
        let input = NewShop {
            name,
            district_id,
            address,
            phone,
            email,
            website,
            description,
            images: images.into_iter().map(Into::into).collect(),
        };
        let claim = claim(
            actor.user_id,
            idempotency_key.0.as_deref(),
            "createShop",
            &input,
        )?;
        let view = shops::create(&state.db, &state.clock, &actor, input, claim.as_ref()).await?;
        let shop = Shop::from_view(view, &state);
        let location = format!("/api/v1/shops/{}", shop.id);
        Ok(ShopCreated::Created(Json(shop), location))
    }

    /// Update a shop
    ///
    /// Administrators and the shop's operators. Moving it to another district is for
    /// administrators only. Send the `ETag` you read as `If-Match`: if someone changed the
    /// shop meanwhile, the answer is 412 (`precondition_failed`) and nothing changes.
    #[oai(path = "/shops/:id", method = "patch", operation_id = "updateShop")]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
        /// The `ETag` of the version the change is based on (optional).
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<UpdateShop>,
    ) -> ApiResult<Versioned<Shop>> {
        let b = body.0;
        let patch = ShopPatch {
            name: b.name,
            district_id: b.district_id,
            address: b.address,
            phone: patch_field(b.phone),
            email: patch_field(b.email),
            website: patch_field(b.website),
            description: patch_field(b.description),
            images: b
                .images
                .map(|images| images.into_iter().map(Into::into).collect()),
        };
        let current = version_check(if_match.0, |view: &ShopView| {
            Shop::from_view(view.clone(), &state)
        });
        let view = shops::update(&state.db, &state.clock, &actor, id.0, patch, current).await?;
        Ok(Versioned::of(&Shop::from_view(view, &state)))
    }

    /// Replace the opening hours
    ///
    /// Administrators and the shop's operators. The array replaces the whole weekly schedule.
    /// Several windows a day are allowed (a lunch break is two windows); they must not overlap.
    /// Errors name the element, e.g. `[1].closes`.
    #[oai(
        path = "/shops/:id/opening-hours",
        method = "put",
        operation_id = "setOpeningHours"
    )]
    async fn set_opening_hours(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
        body: JsonBody<Vec<OpeningWindow>>,
    ) -> ApiResult<Json<Shop>> {
        let windows = body
            .0
            .into_iter()
            .map(|w| Window {
                weekday: w.weekday,
                opens: w.opens,
                closes: w.closes,
            })
            .collect();
        let view = shops::set_opening_hours(&state.db, &state.clock, &actor, id.0, windows).await?;
        Ok(Json(Shop::from_view(view, &state)))
    }

    /// Replace the special days
    ///
    /// Administrators and the shop's operators. The array replaces all special days. A special
    /// day overrides the weekly schedule on its date.
    #[oai(
        path = "/shops/:id/special-days",
        method = "put",
        operation_id = "setSpecialDays"
    )]
    async fn set_special_days(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
        body: JsonBody<Vec<SpecialDay>>,
    ) -> ApiResult<Json<Shop>> {
        let days = body
            .0
            .into_iter()
            .map(|d| DomainSpecialDay {
                date: d.date,
                closed: d.closed,
                opens: d.opens,
                closes: d.closes,
                note: d.note,
            })
            .collect();
        let view = shops::set_special_days(&state.db, &state.clock, &actor, id.0, days).await?;
        Ok(Json(Shop::from_view(view, &state)))
    }

    /// Follow a shop
    ///
    /// Any signed-in person. Followers get the shop's notices sent with `notify`. Idempotent.
    #[oai(
        path = "/shops/:id/follow",
        method = "put",
        operation_id = "followShop"
    )]
    async fn follow(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        shops::follow(&state.db, &state.clock, &actor, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Unfollow a shop
    ///
    /// Idempotent.
    #[oai(
        path = "/shops/:id/follow",
        method = "delete",
        operation_id = "unfollowShop"
    )]
    async fn unfollow(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        shops::unfollow(&state.db, &actor, id.0).await?;
        Ok(NoContent::Done)
    }

    /// List a shop's notices
    ///
    /// Public. Only notices valid now, newest first.
    #[oai(
        path = "/shops/:id/notices",
        method = "get",
        operation_id = "listShopNotices"
    )]
    async fn notices(
        &self,
        state: Data<&AppState>,
        /// The shop's id.
        id: Path<Uuid>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<ShopNoticePage>> {
        notice_page(
            &state,
            NoticeScope::Shop(id.0),
            limit.0,
            cursor.0.as_deref(),
            if_none_match.0.as_deref(),
        )
        .await
    }

    /// List notices of a district's shops
    ///
    /// Public. Notices valid now of all shops in the district (all districts without
    /// `district_id`), newest first.
    #[oai(
        path = "/shop-notices",
        method = "get",
        operation_id = "listDistrictShopNotices"
    )]
    async fn district_notices(
        &self,
        state: Data<&AppState>,
        /// Only shops in this district.
        district_id: Query<Option<Uuid>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// The `ETag` of a copy the client already holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ApiResult<Cached<ShopNoticePage>> {
        notice_page(
            &state,
            NoticeScope::District(district_id.0),
            limit.0,
            cursor.0.as_deref(),
            if_none_match.0.as_deref(),
        )
        .await
    }

    /// Post a notice
    ///
    /// Administrators and the shop's operators. With `notify`, the shop's followers are told
    /// by push (when `valid_from` is reached, if it lies ahead).
    #[oai(
        path = "/shops/:id/notices",
        method = "post",
        operation_id = "createShopNotice"
    )]
    async fn create_notice(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
        /// Any unique string (a UUID): a retry with the same key within 24 h creates nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreateShopNotice>,
    ) -> ApiResult<NoticeCreated> {
        let b = body.0;
        let input = NewNotice {
            kind: b.kind,
            title: b.title,
            body: b.body,
            valid_from: b.valid_from.map(|t| t.0),
            valid_until: b.valid_until.map(|t| t.0),
            notify: b.notify,
            images: b.images.into_iter().map(Into::into).collect(),
        };
        let claim = claim(
            actor.user_id,
            idempotency_key.0.as_deref(),
            "createShopNotice",
            &(id.0, &input),
        )?;
        let notice =
            shops::create_notice(&state.db, &state.clock, &actor, id.0, input, claim.as_ref())
                .await?;
        Ok(NoticeCreated::Created(Json(notice.into())))
    }

    /// Update a notice
    ///
    /// Administrators and the shop's operators. The answer's `ETag` may be sent as `If-Match`
    /// with the next change or the deletion: if someone changed the notice meanwhile, the
    /// answer is 412 (`precondition_failed`) and nothing changes.
    #[oai(
        path = "/shops/:id/notices/:notice_id",
        method = "patch",
        operation_id = "updateShopNotice"
    )]
    async fn update_notice(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
        /// The notice's id.
        notice_id: Path<Uuid>,
        /// The `ETag` of the version the change is based on (optional).
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<UpdateShopNotice>,
    ) -> ApiResult<Versioned<ShopNotice>> {
        let b = body.0;
        let patch = NoticePatch {
            kind: b.kind,
            title: b.title,
            body: b.body,
            valid_from: patch_field(b.valid_from).map(|t| t.map(|t| t.0)),
            valid_until: patch_field(b.valid_until).map(|t| t.map(|t| t.0)),
            images: b
                .images
                .map(|images| images.into_iter().map(Into::into).collect()),
        };
        let current = version_check(if_match.0, |notice: &NoticeView| {
            ShopNotice::from(notice.clone())
        });
        let notice = shops::update_notice(
            &state.db,
            &state.clock,
            &actor,
            id.0,
            notice_id.0,
            patch,
            current,
        )
        .await?;
        Ok(Versioned::of(&ShopNotice::from(notice)))
    }

    /// Delete a notice
    ///
    /// Administrators and the shop's operators. With `If-Match`, a notice changed since that
    /// version is not deleted (412 `precondition_failed`).
    #[oai(
        path = "/shops/:id/notices/:notice_id",
        method = "delete",
        operation_id = "deleteShopNotice"
    )]
    async fn delete_notice(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The shop's id.
        id: Path<Uuid>,
        /// The notice's id.
        notice_id: Path<Uuid>,
        /// The `ETag` of the version the caller means to delete (optional).
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        let current = version_check(if_match.0, |notice: &NoticeView| {
            ShopNotice::from(notice.clone())
        });
        shops::delete_notice(&state.db, &state.clock, &actor, id.0, notice_id.0, current).await?;
        Ok(NoContent::Done)
    }
}

async fn notice_page(
    state: &AppState,
    scope: NoticeScope,
    limit: Option<u64>,
    cursor: Option<&str>,
    if_none_match: Option<&str>,
) -> ApiResult<Cached<ShopNoticePage>> {
    let limit = pagination::limit(limit)?;
    let before = pagination::decode(cursor)?;
    let (items, more) =
        shops::current_notices(&state.db, &state.clock, scope, before, limit).await?;
    let last = items.last().map(|n| n.notice.id);
    let page = ShopNoticePage {
        items: items.into_iter().map(ShopNotice::from).collect(),
        next_cursor: pagination::next(last, more),
    };
    Ok(Cached::respond(page, if_none_match))
}
