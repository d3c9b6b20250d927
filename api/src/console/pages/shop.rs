//! The shopkeeper's page, made for a phone: is the shop open now, how many people follow it,
//! its current notices, and a notice posted in three taps (the page, a ready-made headline,
//! "Veröffentlichen"). Saving is the API's `createShopNotice` rule with its idempotency
//! record, so a second tap on a slow connection posts once.

use askama::Template;
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, has_chrome, render, see_other};
use crate::{
    console::{
        edge::domain_failure,
        forms::{FieldErrors, local_moment, refusal},
        i18n::{labels, moment},
        session::{Console, ConsolePost},
    },
    state::AppState,
};
use domain::{
    idempotency::Claim,
    shops::{self, NewNotice, NoticeScope},
    text::Text,
};
use entity::vocab::ShopNoticeKind;

pub struct NoticeRow {
    pub title: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "shop.html")]
pub struct ShopPage {
    pub chrome: Chrome,
    pub id: String,
    pub name: String,
    pub open_line: String,
    pub followers: u64,
    pub notices: Vec<NoticeRow>,
    /// Ready-made headlines: one tap fills the form.
    pub quick: Vec<(String, String)>,
    pub kinds: Vec<super::news::Choice>,
    pub title: String,
    pub body: String,
    pub valid_until: String,
    pub notify: bool,
    pub idempotency_key: String,
    pub errors: FieldErrors,
    pub banner: String,
    pub success: String,
}

has_chrome!(ShopPage);

#[derive(Deserialize)]
pub struct ShopQuery {
    title: Option<String>,
    /// The kind that goes with a ready-made headline (`closure` for "Heute geschlossen").
    kind: Option<String>,
    done: Option<String>,
}

/// What the form holds when the page is shown.
struct Typed {
    kind: String,
    title: String,
    body: String,
    valid_until: String,
    notify: bool,
    idempotency_key: String,
}

#[allow(
    clippy::too_many_arguments,
    reason = "one page, shown from three handlers with what each knows"
)]
async fn shop_page(
    state: &AppState,
    page: &Console,
    id: Uuid,
    status: StatusCode,
    typed: Typed,
    errors: FieldErrors,
    banner: String,
    success: String,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    // The followers' count is the operator's rule: others get 403 before anything is shown.
    let followers = shops::follower_count(&state.db, &page.actor, id)
        .await
        .map_err(domain_failure)?;
    let view = shops::get(&state.db, id).await.map_err(domain_failure)?;
    let open_line = super::hours::open_line(state, page.lang, &view.weekly, &view.special);
    let (current, _) =
        shops::current_notices(&state.db, &state.clock, NoticeScope::Shop(id), None, 20)
            .await
            .map_err(domain_failure)?;
    let notices = current
        .iter()
        .map(|n| NoticeRow {
            title: n.notice.title.clone(),
            until: n
                .notice
                .valid_until
                .map(|at| moment(at, state.time_zone, page.lang))
                .unwrap_or_default(),
        })
        .collect();
    let quick = t
        .shop_quick_titles
        .iter()
        .map(|(title, kind)| {
            let encoded: String = url::form_urlencoded::byte_serialize(title.as_bytes()).collect();
            (
                format!(
                    "/console/shops/{id}?title={encoded}&kind={}#notice",
                    kind.as_str()
                ),
                (*title).to_owned(),
            )
        })
        .collect();
    Ok(render(
        status,
        &ShopPage {
            chrome: Chrome::signed_in(
                state,
                page,
                view.shop.name.clone(),
                &format!("/console/shops/{id}"),
            )
            .await?,
            id: id.to_string(),
            name: view.shop.name,
            open_line,
            followers,
            notices,
            quick,
            kinds: ShopNoticeKind::ALL
                .iter()
                .map(|k| super::news::Choice {
                    value: k.as_str().to_owned(),
                    label: crate::console::i18n::notice_kind(t, *k).to_owned(),
                    checked: typed.kind == k.as_str(),
                })
                .collect(),
            title: typed.title,
            body: typed.body,
            valid_until: typed.valid_until,
            notify: typed.notify,
            idempotency_key: typed.idempotency_key,
            errors,
            banner,
            success,
        },
    ))
}

/// `GET /console/shops/{id}`
#[handler]
pub async fn show(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
    Query(query): Query<ShopQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    // Valid until the end of today by default: "frische Brötchen" are not news tomorrow.
    // 23:59 on the local calendar (on a day the clocks change, that is not 23:59 h after
    // midnight); the date is never in a gap, so the first reading always exists.
    let today = state
        .clock
        .now()
        .with_timezone(&state.time_zone)
        .date_naive();
    let end_of_day = today
        .and_hms_opt(23, 59, 0)
        .and_then(|local| {
            chrono::TimeZone::from_local_datetime(&state.time_zone, &local).earliest()
        })
        .map_or_else(|| state.clock.now(), |at| at.with_timezone(&chrono::Utc));
    let typed = Typed {
        kind: query
            .kind
            .unwrap_or_else(|| ShopNoticeKind::NewStock.as_str().to_owned()),
        title: query.title.unwrap_or_default(),
        body: String::new(),
        valid_until: crate::console::i18n::input_value(end_of_day, state.time_zone),
        notify: true,
        idempotency_key: Uuid::now_v7().to_string(),
    };
    let success = match query.done.as_deref() {
        Some("posted") => t.shop_notice_posted.to_owned(),
        _ => String::new(),
    };
    shop_page(
        state,
        &page,
        id,
        StatusCode::OK,
        typed,
        FieldErrors::default(),
        String::new(),
        success,
    )
    .await
}

/// `POST /console/shops/{id}/notices`
#[handler]
pub async fn post_notice(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let typed = Typed {
        kind: form.get("kind").to_owned(),
        title: form.get("title").to_owned(),
        body: form.get("body").to_owned(),
        valid_until: form.get("valid_until").to_owned(),
        notify: form.get("notify") == "on",
        idempotency_key: form.get("idempotency_key").to_owned(),
    };
    let kind = ShopNoticeKind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == typed.kind);
    let valid_until = local_moment(&typed.valid_until, state.time_zone);
    let (Some(kind), Ok(valid_until)) = (kind, valid_until.clone()) else {
        let mut errors = FieldErrors::default();
        if kind.is_none() {
            errors.0.extend(
                FieldErrors::one(
                    "kind",
                    &Text::new("Bitte eine Art wählen.", "Please choose a kind."),
                    page.lang,
                )
                .0,
            );
        }
        if let Err(text) = valid_until {
            errors
                .0
                .extend(FieldErrors::one("valid_until", &text, page.lang).0);
        }
        {
            return shop_page(
                state,
                &page,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                typed,
                errors,
                String::new(),
                String::new(),
            )
            .await;
        }
    };
    let input = NewNotice {
        kind,
        title: typed.title.clone(),
        // The rule wants a text; on a phone the headline often says it all ("three taps").
        body: if typed.body.trim().is_empty() {
            typed.title.clone()
        } else {
            typed.body.clone()
        },
        valid_from: None,
        valid_until,
        notify: typed.notify,
        images: Vec::new(),
    };
    let key = typed.idempotency_key.trim().to_owned();
    // The API's scope, operation and request: a retry here and one through the API share a record.
    let claim = (!key.is_empty())
        .then(|| {
            Claim::new(
                format!("user:{}", page.actor.user_id),
                &key,
                "createShopNotice",
                &(id, &input),
            )
        })
        .transpose();
    let outcome = match claim {
        Ok(claim) => shops::create_notice(
            &state.db,
            &state.clock,
            &page.actor,
            id,
            input,
            claim.as_ref(),
        )
        .await
        .map(|_| ()),
        Err(err) => Err(err),
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!("/console/shops/{id}?done=posted"))),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            shop_page(
                state,
                &page,
                id,
                refused.status,
                typed,
                refused.errors,
                refused.banner,
                String::new(),
            )
            .await
        }
    }
}
