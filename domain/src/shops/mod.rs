//! Village shops (Dorfläden): the shop, its opening hours and special days, its notices, and the
//! residents who follow it.

use chrono::{DateTime, Utc};
use entity::{district, shop, shop_follower, shop_notice, vocab::ShopNoticeKind};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

pub mod opening_hours;

use crate::{
    DomainError, DomainResult, Validator,
    auth::Actor,
    clock::SharedClock,
    db, idempotency,
    media::{self, ImageRef, ShownImage, Thing, ThingKind},
    normalize_optional,
    notices::{self, Audience, Notice, NoticeKind, Target, TargetType, Urgency},
    text::Text,
};
use opening_hours::{SpecialDay, Window};

pub const NAME_MAX: usize = 200;
pub const ADDRESS_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 5000;
pub const NOTICE_TITLE_MAX: usize = 200;
pub const NOTICE_BODY_MAX: usize = 5000;
pub const WEBSITE_MAX: usize = 300;
/// What [`looks_like_website`] takes as a website, as a regular expression for the published
/// schema: `http://` or `https://` and no spaces (blank counts as none).
pub const WEBSITE_PATTERN: &str = "^\\s*(https?://\\S*)?\\s*$";

/// A shop with its schedule, parsed.
#[derive(Clone, Debug)]
pub struct ShopView {
    pub shop: shop::Model,
    pub weekly: Vec<Window>,
    pub special: Vec<SpecialDay>,
    /// Its photos, in order.
    pub images: Vec<ShownImage>,
}

impl ShopView {
    fn from_model(shop: shop::Model) -> Self {
        // Stored by this module only, always valid JSON; an unreadable value shows as empty.
        let weekly = serde_json::from_str(&shop.opening_hours).unwrap_or_default();
        let special = serde_json::from_str(&shop.special_days).unwrap_or_default();
        Self {
            shop,
            weekly,
            special,
            images: Vec::new(),
        }
    }
}

/// A shop as answered: with its photos.
async fn view(conn: &impl ConnectionTrait, shop: shop::Model) -> DomainResult<ShopView> {
    let mut view = ShopView::from_model(shop);
    view.images = media::shown_by_one(conn, ThingKind::Shop, view.shop.id).await?;
    Ok(view)
}

/// A notice of a shop, with its photos.
#[derive(Clone, Debug)]
pub struct NoticeView {
    pub notice: shop_notice::Model,
    pub images: Vec<ShownImage>,
}

async fn notice_views(
    conn: &impl ConnectionTrait,
    notices: Vec<shop_notice::Model>,
) -> DomainResult<Vec<NoticeView>> {
    let ids: Vec<Uuid> = notices.iter().map(|n| n.id).collect();
    let mut shown = media::shown_by(conn, ThingKind::ShopNotice, &ids).await?;
    Ok(notices
        .into_iter()
        .map(|notice| NoticeView {
            images: shown.remove(&notice.id).unwrap_or_default(),
            notice,
        })
        .collect())
}

async fn notice_view(
    conn: &impl ConnectionTrait,
    notice: shop_notice::Model,
) -> DomainResult<NoticeView> {
    let images = media::shown_by_one(conn, ThingKind::ShopNotice, notice.id).await?;
    Ok(NoticeView { notice, images })
}

/// Who may see the photos a notice shows: everyone from its `valid_from` (as the notice
/// lists show it), before that those who may edit the shop.
pub(crate) async fn notice_photo_sight(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: Option<&Actor>,
    notice_id: Uuid,
) -> DomainResult<media::Sight> {
    let found: Option<(Uuid, Option<DateTime<Utc>>)> = shop_notice::Entity::find_by_id(notice_id)
        .select_only()
        .column(shop_notice::Column::ShopId)
        .column(shop_notice::Column::ValidFrom)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(match found {
        None => media::Sight::Nobody,
        Some((_, from)) if from.is_none_or(|from| from <= clock.now()) => media::Sight::Everyone,
        Some((shop_id, _)) if actor.is_some_and(|a| may_edit(a, shop_id).is_ok()) => {
            media::Sight::Caller
        }
        Some(_) => media::Sight::Nobody,
    })
}

/// A new shop, as asked for; its serialisation is the `Idempotency-Key` fingerprint.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NewShop {
    pub name: String,
    pub district_id: Uuid,
    pub address: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub images: Vec<ImageRef>,
}

/// `None` leaves a field; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct ShopPatch {
    pub name: Option<String>,
    pub district_id: Option<Uuid>,
    pub address: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub description: Option<Option<String>>,
    /// Replaces the photos, in order.
    pub images: Option<Vec<ImageRef>>,
}

fn shop_not_found() -> DomainError {
    DomainError::NotFound(Text::new("Diesen Laden gibt es nicht.", "No such shop."))
}

fn notice_not_found() -> DomainError {
    DomainError::NotFound(Text::new(
        "Diesen Aushang gibt es nicht.",
        "No such notice.",
    ))
}

/// A shop's website: `http://` or `https://`, no spaces, at most [`WEBSITE_MAX`] bytes after
/// trimming.
pub fn looks_like_website(website: &str) -> bool {
    let w = website.trim();
    w.len() <= WEBSITE_MAX
        && (w.starts_with("https://") || w.starts_with("http://"))
        && !w.contains(char::is_whitespace)
}

fn check_contact(
    v: &mut Validator,
    phone: Option<&str>,
    email: Option<&str>,
    website: Option<&str>,
) {
    v.phone("phone", phone);
    if let Some(email) = email.filter(|e| !e.trim().is_empty()) {
        v.email("email", email);
    }
    if let Some(website) = website.filter(|w| !w.trim().is_empty()) {
        v.check(
            looks_like_website(website),
            "website",
            "Bitte eine Adresse mit https:// angeben.",
            "Please give an address starting with https://.",
        );
    }
}

async fn check_district(
    conn: &impl ConnectionTrait,
    v: &mut Validator,
    district: Uuid,
) -> DomainResult<()> {
    let exists = district::Entity::find_by_id(district)
        .one(conn)
        .await?
        .is_some();
    v.check(
        exists,
        "district_id",
        "Diesen Ortsteil gibt es nicht.",
        "No such district.",
    );
    Ok(())
}

/// Admins may do everything; an operator only with their own shop.
fn may_edit(actor: &Actor, shop: Uuid) -> DomainResult<()> {
    if actor.is_admin() || actor.operates(shop) {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<ShopView> {
    let shop = shop::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(shop_not_found)?;
    view(conn, shop).await
}

/// Shops, by name within a page of the time-ordered ids (keyset on the id).
pub async fn list(
    conn: &impl ConnectionTrait,
    district: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> DomainResult<(Vec<ShopView>, bool)> {
    let mut query = shop::Entity::find();
    if let Some(district) = district {
        query = query.filter(shop::Column::DistrictId.eq(district));
    }
    if let Some(after) = after {
        query = query.filter(shop::Column::Id.gt(after));
    }
    let mut shops = query
        .order_by_asc(shop::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let more = shops.len() as u64 > limit;
    shops.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<Uuid> = shops.iter().map(|s| s.id).collect();
    let mut shown = media::shown_by(conn, ThingKind::Shop, &ids).await?;
    let views = shops
        .into_iter()
        .map(|shop| {
            let mut view = ShopView::from_model(shop);
            view.images = shown.remove(&view.shop.id).unwrap_or_default();
            view
        })
        .collect();
    Ok((views, more))
}

pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    input: NewShop,
    claim: Option<&idempotency::Claim>,
) -> DomainResult<ShopView> {
    actor.require_admin()?;
    let txn = db::begin_write(db).await?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        let id = answer.resource_id.ok_or_else(shop_not_found)?;
        let view = get(&txn, id).await?;
        txn.commit().await?;
        return Ok(view);
    }
    let conn = &txn;
    let mut v = Validator::new();
    v.text("name", &input.name, NAME_MAX)
        .text("address", &input.address, ADDRESS_MAX)
        .optional_text("description", input.description.as_deref(), DESCRIPTION_MAX);
    check_contact(
        &mut v,
        input.phone.as_deref(),
        input.email.as_deref(),
        input.website.as_deref(),
    );
    check_district(conn, &mut v, input.district_id).await?;
    v.finish()?;
    media::check_refs(conn, actor, None, &input.images).await?;
    let now = clock.now();
    let model = shop::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_owned()),
        district_id: Set(input.district_id),
        address: Set(input.address.trim().to_owned()),
        phone: Set(normalize_optional(input.phone)),
        email: Set(normalize_optional(input.email)),
        website: Set(normalize_optional(input.website)),
        description: Set(normalize_optional(input.description)),
        opening_hours: Set("[]".to_owned()),
        special_days: Set("[]".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    media::attach(conn, clock, Thing::Shop(model.id), &input.images).await?;
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(model.id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    let view = view(&txn, model).await?;
    txn.commit().await?;
    Ok(view)
}

/// Changes a shop's details. `if_match` tells whether the version the caller last read is
/// still the current one; `false` answers 412 and changes nothing.
pub async fn update(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    patch: ShopPatch,
    if_match: impl Fn(&ShopView) -> bool,
) -> DomainResult<ShopView> {
    let txn = db::begin_write(db).await?;
    let current = db::locked(shop::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(shop_not_found)?;
    may_edit(actor, id)?;
    // The version the caller read was rendered with the photos: compare with the same.
    if !if_match(&view(&txn, current.clone()).await?) {
        return Err(DomainError::PreconditionFailed);
    }
    // Moving a shop to another district is an administrative act.
    if patch.district_id.is_some_and(|d| d != current.district_id) {
        actor.require_admin()?;
    }
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.text("name", name, NAME_MAX);
    }
    if let Some(address) = &patch.address {
        v.text("address", address, ADDRESS_MAX);
    }
    if let Some(description) = &patch.description {
        v.optional_text("description", description.as_deref(), DESCRIPTION_MAX);
    }
    check_contact(
        &mut v,
        patch.phone.as_ref().and_then(Option::as_deref),
        patch.email.as_ref().and_then(Option::as_deref),
        patch.website.as_ref().and_then(Option::as_deref),
    );
    if let Some(district) = patch.district_id {
        check_district(&txn, &mut v, district).await?;
    }
    v.finish()?;
    if let Some(images) = &patch.images {
        media::check_refs(&txn, actor, Some(Thing::Shop(id)), images).await?;
        media::attach(&txn, clock, Thing::Shop(id), images).await?;
    }
    let mut model: shop::ActiveModel = current.into();
    if let Some(name) = patch.name {
        model.name = Set(name.trim().to_owned());
    }
    if let Some(address) = patch.address {
        model.address = Set(address.trim().to_owned());
    }
    if let Some(district) = patch.district_id {
        model.district_id = Set(district);
    }
    if let Some(phone) = patch.phone {
        model.phone = Set(normalize_optional(phone));
    }
    if let Some(email) = patch.email {
        model.email = Set(normalize_optional(email));
    }
    if let Some(website) = patch.website {
        model.website = Set(normalize_optional(website));
    }
    if let Some(description) = patch.description {
        model.description = Set(normalize_optional(description));
    }
    model.updated_at = Set(clock.now());
    let updated = model.update(&txn).await?;
    // The notices carry their shop's district for the district list.
    shop_notice::Entity::update_many()
        .col_expr(
            shop_notice::Column::DistrictId,
            sea_orm::sea_query::Expr::value(updated.district_id),
        )
        .filter(shop_notice::Column::ShopId.eq(id))
        .exec(&txn)
        .await?;
    let view = view(&txn, updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// Replaces the weekly schedule.
pub async fn set_opening_hours(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    windows: Vec<Window>,
) -> DomainResult<ShopView> {
    let errors = opening_hours::validate_windows(&windows);
    replace_schedule(db, clock, actor, id, errors, |model| {
        let mut windows = windows;
        windows.sort_by(|a, b| (a.weekday, &a.opens).cmp(&(b.weekday, &b.opens)));
        model.opening_hours = Set(serde_json::to_string(&windows).unwrap_or_else(|_| "[]".into()));
    })
    .await
}

/// Replaces the special days.
pub async fn set_special_days(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    days: Vec<SpecialDay>,
) -> DomainResult<ShopView> {
    let errors = opening_hours::validate_special_days(&days);
    replace_schedule(db, clock, actor, id, errors, |model| {
        let mut days: Vec<SpecialDay> = days
            .into_iter()
            .map(|d| SpecialDay {
                note: normalize_optional(d.note),
                ..d
            })
            .collect();
        days.sort_by(|a, b| a.date.cmp(&b.date));
        model.special_days = Set(serde_json::to_string(&days).unwrap_or_else(|_| "[]".into()));
    })
    .await
}

async fn replace_schedule(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    errors: Vec<crate::text::FieldError>,
    apply: impl FnOnce(&mut shop::ActiveModel),
) -> DomainResult<ShopView> {
    let txn = db::begin_write(db).await?;
    let current = shop::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(shop_not_found)?;
    may_edit(actor, id)?;
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let mut model: shop::ActiveModel = current.into();
    apply(&mut model);
    model.updated_at = Set(clock.now());
    let updated = model.update(&txn).await?;
    let view = view(&txn, updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// Follows a shop; following twice is fine.
pub async fn follow(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: &Actor,
    shop_id: Uuid,
) -> DomainResult<()> {
    shop::Entity::find_by_id(shop_id)
        .one(conn)
        .await?
        .ok_or_else(shop_not_found)?;
    let row = shop_follower::ActiveModel {
        shop_id: Set(shop_id),
        user_id: Set(actor.user_id),
        created_at: Set(clock.now()),
    };
    match shop_follower::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([shop_follower::Column::ShopId, shop_follower::Column::UserId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await
    {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Stops following; unfollowing twice is fine.
pub async fn unfollow(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    shop_id: Uuid,
) -> DomainResult<()> {
    shop::Entity::find_by_id(shop_id)
        .one(conn)
        .await?
        .ok_or_else(shop_not_found)?;
    shop_follower::Entity::delete_many()
        .filter(shop_follower::Column::ShopId.eq(shop_id))
        .filter(shop_follower::Column::UserId.eq(actor.user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A new notice, as asked for; its serialisation (with the shop) is the `Idempotency-Key`
/// fingerprint.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NewNotice {
    pub kind: ShopNoticeKind,
    pub title: String,
    pub body: String,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub notify: bool,
    pub images: Vec<ImageRef>,
}

#[derive(Clone, Debug, Default)]
pub struct NoticePatch {
    pub kind: Option<ShopNoticeKind>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub valid_from: Option<Option<DateTime<Utc>>>,
    pub valid_until: Option<Option<DateTime<Utc>>>,
    /// Replaces the photos, in order.
    pub images: Option<Vec<ImageRef>>,
}

fn check_notice(
    v: &mut Validator,
    title: Option<&str>,
    body: Option<&str>,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) {
    if let Some(title) = title {
        v.text("title", title, NOTICE_TITLE_MAX);
    }
    if let Some(body) = body {
        v.text("body", body, NOTICE_BODY_MAX);
    }
    if let (Some(from), Some(until)) = (from, until) {
        v.check(
            until > from,
            "valid_until",
            "Muss nach dem Beginn der Gültigkeit liegen.",
            "Must be after the start of validity.",
        );
    }
}

/// Posts a notice; with `notify`, the shop's followers are told through the notices seam, in
/// the same transaction (so the notice and its push come together or not at all).
pub async fn create_notice(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    shop_id: Uuid,
    input: NewNotice,
    claim: Option<&idempotency::Claim>,
) -> DomainResult<NoticeView> {
    let txn = db::begin_write(db).await?;
    let shop = shop::Entity::find_by_id(shop_id)
        .one(&txn)
        .await?
        .ok_or_else(shop_not_found)?;
    may_edit(actor, shop_id)?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        // A retry: the first request's notice (and its push) stand; nothing new.
        let notice = notice_of(
            &txn,
            shop_id,
            answer.resource_id.ok_or_else(notice_not_found)?,
        )
        .await?;
        let view = notice_view(&txn, notice).await?;
        txn.commit().await?;
        return Ok(view);
    }
    let mut v = Validator::new();
    check_notice(
        &mut v,
        Some(&input.title),
        Some(&input.body),
        input.valid_from,
        input.valid_until,
    );
    v.finish()?;
    media::check_refs(&txn, actor, None, &input.images).await?;
    let now = clock.now();
    let notice = shop_notice::ActiveModel {
        id: Set(Uuid::now_v7()),
        shop_id: Set(shop_id),
        district_id: Set(shop.district_id),
        kind: Set(input.kind),
        title: Set(input.title.trim().to_owned()),
        body: Set(input.body.trim().to_owned()),
        valid_from: Set(input.valid_from),
        valid_until: Set(input.valid_until),
        author_id: Set(Some(actor.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    media::attach(&txn, clock, Thing::ShopNotice(notice.id), &input.images).await?;
    if input.notify {
        notices::enqueue(
            &txn,
            clock,
            Notice {
                kind: NoticeKind::ShopNotice,
                title: format!("{}: {}", shop.name, notice.title),
                body: notice.body.chars().take(300).collect(),
                target: Target::ShopNotice {
                    id: notice.id,
                    shop_id,
                },
                audience: Audience::ShopFollowers(shop_id),
                urgency: Urgency::Normal,
                topic: Some(
                    format!("shop-{}", shop_id.simple())
                        .chars()
                        .take(32)
                        .collect(),
                ),
                // A notice valid from later is told when it becomes valid.
                not_before: input.valid_from.filter(|from| *from > now),
            },
        )
        .await?;
    }
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(notice.id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    let view = notice_view(&txn, notice).await?;
    txn.commit().await?;
    Ok(view)
}

async fn notice_of(
    conn: &impl ConnectionTrait,
    shop_id: Uuid,
    notice_id: Uuid,
) -> DomainResult<shop_notice::Model> {
    db::locked(shop_notice::Entity::find_by_id(notice_id), conn)
        .filter(shop_notice::Column::ShopId.eq(shop_id))
        .one(conn)
        .await?
        .ok_or_else(notice_not_found)
}

/// Changes a notice; `if_match` as for [`update`].
#[allow(clippy::too_many_arguments)] // the handles, the caller, the two ids, the change, the version
pub async fn update_notice(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    shop_id: Uuid,
    notice_id: Uuid,
    patch: NoticePatch,
    if_match: impl Fn(&NoticeView) -> bool,
) -> DomainResult<NoticeView> {
    let txn = db::begin_write(db).await?;
    shop::Entity::find_by_id(shop_id)
        .one(&txn)
        .await?
        .ok_or_else(shop_not_found)?;
    may_edit(actor, shop_id)?;
    let current = notice_of(&txn, shop_id, notice_id).await?;
    if !if_match(&notice_view(&txn, current.clone()).await?) {
        return Err(DomainError::PreconditionFailed);
    }
    let from = patch.valid_from.unwrap_or(current.valid_from);
    let until = patch.valid_until.unwrap_or(current.valid_until);
    let mut v = Validator::new();
    check_notice(
        &mut v,
        patch.title.as_deref(),
        patch.body.as_deref(),
        from,
        until,
    );
    v.finish()?;
    if let Some(images) = &patch.images {
        let thing = Thing::ShopNotice(notice_id);
        media::check_refs(&txn, actor, Some(thing), images).await?;
        media::attach(&txn, clock, thing, images).await?;
    }
    let mut model: shop_notice::ActiveModel = current.into();
    if let Some(kind) = patch.kind {
        model.kind = Set(kind);
    }
    if let Some(title) = patch.title {
        model.title = Set(title.trim().to_owned());
    }
    if let Some(body) = patch.body {
        model.body = Set(body.trim().to_owned());
    }
    model.valid_from = Set(from);
    model.valid_until = Set(until);
    model.updated_at = Set(clock.now());
    let updated = model.update(&txn).await?;
    let view = notice_view(&txn, updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes a notice and withdraws its unsent push, in one transaction; `if_match` as for
/// [`update`].
pub async fn delete_notice(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    shop_id: Uuid,
    notice_id: Uuid,
    if_match: impl Fn(&NoticeView) -> bool,
) -> DomainResult<()> {
    let txn = db::begin_write(db).await?;
    shop::Entity::find_by_id(shop_id)
        .one(&txn)
        .await?
        .ok_or_else(shop_not_found)?;
    may_edit(actor, shop_id)?;
    let current = notice_of(&txn, shop_id, notice_id).await?;
    if !if_match(&notice_view(&txn, current.clone()).await?) {
        return Err(DomainError::PreconditionFailed);
    }
    notices::withdraw(&txn, TargetType::ShopNotice, notice_id).await?;
    let photos = media::shown_ids(&txn, Thing::ShopNotice(notice_id)).await?;
    shop_notice::Entity::delete_by_id(notice_id)
        .exec(&txn)
        .await?;
    media::release(&txn, clock, photos).await?;
    txn.commit().await?;
    Ok(())
}

/// How many people follow a shop: for its operators and administrators (the number of
/// followers is the shop's business, not the public's).
pub async fn follower_count(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    shop_id: Uuid,
) -> DomainResult<u64> {
    shop::Entity::find_by_id(shop_id)
        .one(conn)
        .await?
        .ok_or_else(shop_not_found)?;
    may_edit(actor, shop_id)?;
    Ok(sea_orm::PaginatorTrait::count(
        entity::shop_follower::Entity::find()
            .filter(entity::shop_follower::Column::ShopId.eq(shop_id)),
        conn,
    )
    .await?)
}

/// Where the notices come from.
#[derive(Clone, Copy, Debug)]
pub enum NoticeScope {
    Shop(Uuid),
    District(Option<Uuid>),
}

/// Currently valid notices, newest first (keyset on the time-ordered id).
pub async fn current_notices(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    scope: NoticeScope,
    before: Option<Uuid>,
    limit: u64,
) -> DomainResult<(Vec<NoticeView>, bool)> {
    let now = clock.now();
    let mut query = shop_notice::Entity::find()
        .filter(
            Condition::any()
                .add(shop_notice::Column::ValidFrom.is_null())
                .add(shop_notice::Column::ValidFrom.lte(now)),
        )
        .filter(
            Condition::any()
                .add(shop_notice::Column::ValidUntil.is_null())
                .add(shop_notice::Column::ValidUntil.gt(now)),
        );
    match scope {
        NoticeScope::Shop(shop_id) => {
            shop::Entity::find_by_id(shop_id)
                .one(conn)
                .await?
                .ok_or_else(shop_not_found)?;
            query = query.filter(shop_notice::Column::ShopId.eq(shop_id));
        }
        NoticeScope::District(Some(district)) => {
            query = query.filter(shop_notice::Column::DistrictId.eq(district))
        }
        NoticeScope::District(None) => {}
    }
    if let Some(before) = before {
        query = query.filter(shop_notice::Column::Id.lt(before));
    }
    let mut items = query
        .order_by_desc(shop_notice::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let more = items.len() as u64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((notice_views(conn, items).await?, more))
}

/// The shops a person follows, with since when: their part of the export (GDPR Art. 15).
pub async fn followed_by(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> DomainResult<Vec<(shop::Model, DateTime<Utc>)>> {
    let follows = shop_follower::Entity::find()
        .filter(shop_follower::Column::UserId.eq(user_id))
        .order_by_asc(shop_follower::Column::CreatedAt)
        .all(db)
        .await?;
    let shops: std::collections::HashMap<Uuid, shop::Model> = shop::Entity::find()
        .filter(shop::Column::Id.is_in(follows.iter().map(|f| f.shop_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(follows
        .into_iter()
        .filter_map(|f| Some((shops.get(&f.shop_id)?.clone(), f.created_at)))
        .collect())
}
