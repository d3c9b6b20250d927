//! The district mayor's news: write with a live preview and the reach of its push, schedule,
//! pin, expire; edit and withdraw. Every save goes through the API's own rule functions
//! (`news::create`, `news::update`, `news::delete`), with the API's idempotency record and
//! version check, so a double click or a resent form creates one item and a change made
//! meanwhile by someone else is not overwritten unseen.

use askama::Template;
use chrono::{DateTime, Utc};
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, LineFragment, fragment_response, has_chrome, render, see_other};
use crate::{
    console::{
        edge::domain_failure,
        forms::{FieldErrors, FieldMessage, FormData, local_moment, refusal},
        i18n::{Labels, input_value, labels, moment},
        markdown,
        session::{Console, ConsolePost},
    },
    http::{etag::etag_of, news::NewsItem},
    state::AppState,
};
use domain::{
    DomainError,
    idempotency::Claim,
    news::{self, NewNews, NewsPatch, NewsView},
    notices::{Audience, DeliveryCounts, NoticeKind},
    text::{Lang, Text},
};
use entity::vocab::{NewsCategory, NewsStatus};

/// A choice in a list of checkboxes or a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// What the form shows, as typed (or as stored).
#[derive(Clone, Debug, Default)]
pub struct NewsFields {
    pub title: String,
    pub body: String,
    pub category: String,
    pub district_ids: Vec<String>,
    pub publish_at: String,
    pub expires_at: String,
    pub pinned: bool,
    pub notify: bool,
}

impl NewsFields {
    fn from_form(form: &FormData) -> Self {
        Self {
            title: form.get("title").to_owned(),
            body: form.get("body").to_owned(),
            category: form.get("category").to_owned(),
            district_ids: form
                .0
                .iter()
                .filter(|(k, _)| k == "district_ids")
                .map(|(_, v)| v.clone())
                .collect(),
            publish_at: form.get("publish_at").to_owned(),
            expires_at: form.get("expires_at").to_owned(),
            pinned: form.get("pinned") == "on",
            notify: form.get("notify") == "on",
        }
    }

    fn from_view(view: &NewsView, tz: chrono_tz::Tz) -> Self {
        let item = &view.item;
        Self {
            title: item.title.clone(),
            body: item.body.clone(),
            category: item.category.as_str().to_owned(),
            district_ids: view.district_ids.iter().map(Uuid::to_string).collect(),
            // Only a time still to come is shown for scheduling.
            publish_at: match item.status {
                NewsStatus::Scheduled => item
                    .publish_at
                    .map(|at| input_value(at, tz))
                    .unwrap_or_default(),
                _ => String::new(),
            },
            expires_at: item
                .expires_at
                .map(|at| input_value(at, tz))
                .unwrap_or_default(),
            pinned: item.pinned,
            notify: item.notify,
        }
    }

    /// The typed values as the rule's input; what cannot be read becomes a field error.
    fn decode(&self, tz: chrono_tz::Tz, lang: Lang) -> Result<Decoded, FieldErrors> {
        let mut errors = Vec::new();
        let mut problem = |field: &str, text: Text| {
            errors.push(FieldMessage {
                field: field.to_owned(),
                text: text.get(lang).to_owned(),
            });
        };
        let category = NewsCategory::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == self.category);
        if category.is_none() {
            problem(
                "category",
                Text::new(
                    "Bitte eine Art der Meldung wählen.",
                    "Please choose a kind of item.",
                ),
            );
        }
        let district_ids: Vec<Uuid> = self
            .district_ids
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        let mut moment_of = |field: &str, typed: &str| match local_moment(typed, tz) {
            Ok(at) => at,
            Err(text) => {
                problem(field, text);
                None
            }
        };
        let publish_at = moment_of("publish_at", &self.publish_at);
        let expires_at = moment_of("expires_at", &self.expires_at);
        match category {
            Some(category) if errors.is_empty() => Ok(Decoded {
                category,
                district_ids,
                publish_at,
                expires_at,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

struct Decoded {
    category: NewsCategory,
    district_ids: Vec<Uuid>,
    publish_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Template)]
#[template(path = "news_form.html")]
pub struct NewsFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub action: String,
    /// Empty for a new item.
    pub id: String,
    /// The version (entity tag) the form was read at; the save is refused if it changed.
    pub version: String,
    pub idempotency_key: String,
    pub fields: NewsFields,
    pub categories: Vec<Choice>,
    pub districts: Vec<Choice>,
    pub errors: FieldErrors,
    pub banner: String,
    pub success: String,
    pub status: String,
    pub delivery: Option<DeliveryCounts>,
    pub preview: String,
    pub push_text: String,
    pub reach: String,
    /// How many photos the item shows (the edit page links to them).
    pub photo_count: usize,
}

#[derive(Template)]
#[template(path = "news_withdraw.html")]
pub struct WithdrawPage {
    pub chrome: Chrome,
    pub banner: String,
    pub id: String,
    pub title: String,
    pub version: String,
}

#[derive(Template)]
#[template(path = "news_preview.html")]
pub struct PreviewFragment {
    pub t: &'static Labels,
    pub title: String,
    pub preview: String,
    pub push_text: String,
}

has_chrome!(NewsFormPage, WithdrawPage);

fn category_label(t: &Labels, category: NewsCategory) -> &'static str {
    match category {
        NewsCategory::News => t.category_news,
        NewsCategory::Announcement => t.category_announcement,
        NewsCategory::Event => t.category_event,
        NewsCategory::Warning => t.category_warning,
    }
}

pub fn status_label(t: &Labels, status: NewsStatus) -> &'static str {
    match status {
        NewsStatus::Draft => t.status_draft,
        NewsStatus::Scheduled => t.status_scheduled,
        NewsStatus::Published => t.status_published,
        NewsStatus::Expired => t.status_expired,
    }
}

/// The districts offered as checkboxes: those the person may publish to (the rule decides
/// again on saving).
async fn district_choices(
    state: &AppState,
    page: &Console,
    chosen: &[String],
) -> poem::Result<Vec<Choice>> {
    let all = domain::districts::list(&state.db)
        .await
        .map_err(domain_failure)?;
    Ok(news::districts_to_offer(&page.actor, &all)
        .into_iter()
        .map(|d| Choice {
            checked: chosen.iter().any(|c| *c == d.id.to_string()),
            value: d.id.to_string(),
            label: d.name.clone(),
        })
        .collect())
}

/// "Erreicht etwa 312 Personen auf 270 Geräten", for the districts and kind typed.
async fn reach_line(state: &AppState, lang: Lang, fields: &NewsFields) -> poem::Result<String> {
    let t = labels(lang);
    let Ok(decoded) = fields.decode(state.time_zone, lang) else {
        return Ok(String::new());
    };
    if decoded.district_ids.is_empty() {
        return Ok(t.reach_choose_district.to_owned());
    }
    let estimate = push::estimate(
        &state.db,
        NoticeKind::News,
        &Audience::Districts {
            districts: decoded.district_ids,
            category: decoded.category,
        },
    )
    .await
    .map_err(|err| domain_failure(DomainError::Db(err)))?;
    let line = format!(
        "{} {} {} {} {}",
        t.reach_prefix, estimate.people, t.reach_people, estimate.devices, t.reach_devices
    );
    Ok(if fields.notify {
        line
    } else {
        format!("{line} {}", t.reach_without_notify)
    })
}

struct FormState {
    heading: String,
    action: String,
    id: String,
    version: String,
    idempotency_key: String,
    status: String,
    delivery: Option<DeliveryCounts>,
    photo_count: usize,
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    page: &Console,
    status: StatusCode,
    form: FormState,
    fields: NewsFields,
    errors: FieldErrors,
    banner: String,
    success: String,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    // Events are written as events (`/events`); the news `event` field is deprecated.
    let categories = NewsCategory::ALL
        .iter()
        .copied()
        .filter(|c| *c != NewsCategory::Event)
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: category_label(t, c).to_owned(),
            checked: fields.category == c.as_str(),
        })
        .collect();
    let districts = district_choices(state, page, &fields.district_ids).await?;
    let reach_text = reach_line(state, page.lang, &fields).await?;
    Ok(render(
        status,
        &NewsFormPage {
            chrome: Chrome::signed_in(state, page, form.heading.clone(), "").await?,
            heading: form.heading,
            action: form.action,
            id: form.id,
            version: form.version,
            idempotency_key: form.idempotency_key,
            preview: markdown::preview(&fields.body),
            push_text: news::plain_excerpt(&fields.body),
            categories,
            districts,
            errors,
            banner,
            success,
            status: form.status,
            delivery: form.delivery,
            photo_count: form.photo_count,
            reach: reach_text,
            fields,
        },
    ))
}

#[derive(Deserialize)]
pub struct NewQuery {
    district: Option<Uuid>,
    /// A form kept while its author signed in again (`domain::drafts`).
    draft: Option<Uuid>,
}

/// The fields of a kept draft for this page, once; `None` when there is none for this person.
async fn restored(
    state: &AppState,
    page: &Console,
    path: &str,
    draft: Option<Uuid>,
) -> poem::Result<Option<FormData>> {
    let Some(id) = draft else {
        return Ok(None);
    };
    Ok(
        domain::drafts::take(&state.db, &state.clock, page.actor.user_id, path, id)
            .await
            .map_err(domain_failure)?
            .map(FormData),
    )
}

/// `GET /console/news/new`
#[handler]
pub async fn new_form(
    Data(state): Data<&AppState>,
    page: Console,
    Query(query): Query<NewQuery>,
) -> poem::Result<Response> {
    news::require_publisher(&page.actor).map_err(domain_failure)?;
    let t = labels(page.lang);
    let (fields, key, banner) =
        match restored(state, &page, "/console/news/new", query.draft).await? {
            // The kept form's key: saving it now and a save that did get through before the
            // sign-in ended are still one item.
            Some(form) => (
                NewsFields::from_form(&form),
                Some(form.get("idempotency_key").to_owned()).filter(|k| !k.is_empty()),
                t.draft_restored.to_owned(),
            ),
            None => (
                NewsFields {
                    category: NewsCategory::News.as_str().to_owned(),
                    district_ids: query.district.map(|d| d.to_string()).into_iter().collect(),
                    notify: true,
                    ..NewsFields::default()
                },
                None,
                String::new(),
            ),
        };
    form_page(
        state,
        &page,
        StatusCode::OK,
        new_form_state(t, key.unwrap_or_else(|| Uuid::now_v7().to_string())),
        fields,
        FieldErrors::default(),
        banner,
        String::new(),
    )
    .await
}

fn new_form_state(t: &Labels, idempotency_key: String) -> FormState {
    FormState {
        heading: t.news_new.to_owned(),
        action: "/console/news/new".to_owned(),
        id: String::new(),
        version: String::new(),
        idempotency_key,
        status: String::new(),
        delivery: None,
        photo_count: 0,
    }
}

/// `POST /console/news/new`: preview, save as draft, or publish (now or at `publish_at`).
#[handler]
pub async fn create(Data(state): Data<&AppState>, post: ConsolePost) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let t = labels(page.lang);
    let fields = NewsFields::from_form(&form);
    let key = form.get("idempotency_key").to_owned();
    let again = |status: StatusCode, errors: FieldErrors, banner: String| {
        form_page(
            state,
            &page,
            status,
            new_form_state(t, key.clone()),
            fields.clone(),
            errors,
            banner,
            String::new(),
        )
    };
    let decoded = match fields.decode(state.time_zone, page.lang) {
        Ok(decoded) => decoded,
        Err(errors) => {
            return again(StatusCode::UNPROCESSABLE_ENTITY, errors, String::new()).await;
        }
    };
    if form.get("action") == "preview" {
        return form_page(
            state,
            &page,
            StatusCode::OK,
            new_form_state(t, key.clone()),
            fields.clone(),
            FieldErrors::default(),
            String::new(),
            String::new(),
        )
        .await;
    }
    let input = NewNews {
        title: fields.title.clone(),
        body: fields.body.clone(),
        category: decoded.category,
        district_ids: decoded.district_ids,
        publish_at: decoded.publish_at,
        expires_at: decoded.expires_at,
        pinned: fields.pinned,
        event: None,
        notify: fields.notify,
        draft: form.get("action") == "draft",
        images: Vec::new(),
        organisation_id: None,
    };
    // The API's scope and operation: a retry here and a retry through the API share a record.
    let claim = match (!key.trim().is_empty())
        .then(|| {
            Claim::new(
                format!("user:{}", page.actor.user_id),
                &key,
                "createNews",
                &input,
            )
        })
        .transpose()
    {
        Ok(claim) => claim,
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            return again(refused.status, refused.errors, refused.banner).await;
        }
    };
    match news::create(
        &state.db,
        &state.clock,
        &state.news_version,
        &page.actor,
        input,
        claim.as_ref(),
        state.settings.quotas().news_per_author_per_hour,
    )
    .await
    {
        Ok(view) => Ok(see_other(&format!(
            "/console/news/{}?done=saved",
            view.item.id
        ))),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            again(refused.status, refused.errors, refused.banner).await
        }
    }
}

#[derive(Deserialize)]
pub struct EditQuery {
    done: Option<String>,
    draft: Option<Uuid>,
}

/// The item, for those who may see how far its push got (its editors and its author): the
/// API's `getNewsDelivery` rule. Anyone else gets 403 for a public item and 404 otherwise.
/// Its delivery counts come along: the edit page shows them.
async fn load(
    state: &AppState,
    page: &Console,
    id: Uuid,
) -> poem::Result<(NewsView, DeliveryCounts)> {
    let delivery = news::delivery(&state.db, &state.clock, &page.actor, id)
        .await
        .map_err(domain_failure)?;
    let view = news::get(&state.db, &state.clock, Some(&page.actor), id)
        .await
        .map_err(domain_failure)?;
    Ok((view, delivery))
}

/// The item's version as the API's `ETag` names it (without the quotes, for a form field).
pub(super) fn version_of(view: &NewsView) -> String {
    etag_of(&NewsItem::from(view.clone()))
        .trim_matches('"')
        .to_owned()
}

fn edit_state(
    state: &AppState,
    page: &Console,
    view: &NewsView,
    delivery: DeliveryCounts,
) -> FormState {
    let t = labels(page.lang);
    let mut status = status_label(t, view.status).to_owned();
    if view.status == NewsStatus::Scheduled
        && let Some(at) = view.item.publish_at
    {
        status = format!("{status}: {}", moment(at, state.time_zone, page.lang));
    }
    FormState {
        heading: t.news_edit.to_owned(),
        action: format!("/console/news/{}", view.item.id),
        id: view.item.id.to_string(),
        version: version_of(view),
        idempotency_key: String::new(),
        status,
        delivery: Some(delivery),
        photo_count: view.images.len(),
    }
}

/// `GET /console/news/{id}`
#[handler]
pub async fn edit_form(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
    Query(query): Query<EditQuery>,
) -> poem::Result<Response> {
    let (view, delivery) = load(state, &page, id).await?;
    let t = labels(page.lang);
    let success = match query.done.as_deref() {
        Some("saved") => t.news_saved,
        _ => "",
    };
    let mut form = edit_state(state, &page, &view, delivery);
    let path = format!("/console/news/{id}");
    let (fields, banner) = match restored(state, &page, &path, query.draft).await? {
        Some(kept) => {
            // The version the draft was based on: if the item changed since, saving says so.
            form.version = kept.get("version").to_owned();
            (NewsFields::from_form(&kept), t.draft_restored.to_owned())
        }
        None => (NewsFields::from_view(&view, state.time_zone), String::new()),
    };
    form_page(
        state,
        &page,
        StatusCode::OK,
        form,
        fields,
        FieldErrors::default(),
        banner,
        success.to_owned(),
    )
    .await
}

/// `POST /console/news/{id}`: the whole form replaces the item's fields, if nobody changed it
/// since the form was read.
#[handler]
pub async fn save(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let t = labels(page.lang);
    let fields = NewsFields::from_form(&form);
    let (current, delivery) = load(state, &page, id).await?;
    let mut form_state = edit_state(state, &page, &current, delivery);
    // The version the person read, until the save succeeds or is refused for a change meanwhile.
    form_state.version = form.get("version").to_owned();
    let decoded = match fields.decode(state.time_zone, page.lang) {
        Ok(decoded) => decoded,
        Err(errors) => {
            return form_page(
                state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                form_state,
                fields,
                errors,
                String::new(),
                String::new(),
            )
            .await;
        }
    };
    if form.get("action") == "preview" {
        return form_page(
            state,
            &page,
            StatusCode::OK,
            form_state,
            fields,
            FieldErrors::default(),
            String::new(),
            String::new(),
        )
        .await;
    }
    let patch = NewsPatch {
        title: Some(fields.title.clone()),
        body: Some(fields.body.clone()),
        category: Some(decoded.category),
        district_ids: Some(decoded.district_ids),
        publish_at: Some(decoded.publish_at),
        expires_at: Some(decoded.expires_at),
        pinned: Some(fields.pinned),
        notify: Some(fields.notify),
        draft: Some(form.get("action") == "draft"),
        ..NewsPatch::default()
    };
    let read_version = form.get("version").to_owned();
    match news::update(
        &state.db,
        &state.clock,
        &state.news_version,
        &page.actor,
        id,
        patch,
        |view| version_of(view) == read_version,
    )
    .await
    {
        Ok(view) => Ok(see_other(&format!(
            "/console/news/{}?done=saved",
            view.item.id
        ))),
        Err(DomainError::PreconditionFailed) => {
            // Someone saved meanwhile: keep what this person typed, show what is stored now,
            // and take the new version, so that saving again is a deliberate choice.
            let (now, _) = load(state, &page, id).await?;
            form_state.version = version_of(&now);
            let banner = format!("{} „{}“", t.news_changed_meanwhile, now.item.title);
            form_page(
                state,
                &page,
                StatusCode::PRECONDITION_FAILED,
                form_state,
                fields,
                FieldErrors::default(),
                banner,
                String::new(),
            )
            .await
        }
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            form_page(
                state,
                &page,
                refused.status,
                form_state,
                fields,
                refused.errors,
                refused.banner,
                String::new(),
            )
            .await
        }
    }
}

/// The question before an item leaves every feed, about its version as stored now.
async fn withdraw_page(
    state: &AppState,
    page: &Console,
    id: Uuid,
    status: StatusCode,
    banner: &str,
) -> poem::Result<Response> {
    let (view, _) = load(state, page, id).await?;
    let t = labels(page.lang);
    Ok(render(
        status,
        &WithdrawPage {
            chrome: Chrome::signed_in(state, page, t.news_withdraw, "").await?,
            id: id.to_string(),
            version: version_of(&view),
            title: view.item.title,
            banner: banner.to_owned(),
        },
    ))
}

/// `GET /console/news/{id}/withdraw`: asks before an item leaves every feed.
#[handler]
pub async fn withdraw_form(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    withdraw_page(state, &page, id, StatusCode::OK, "").await
}

/// `POST /console/news/{id}/withdraw`
#[handler]
pub async fn withdraw(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let read_version = form.get("version").to_owned();
    match news::delete(
        &state.db,
        &state.clock,
        &state.news_version,
        &page.actor,
        id,
        |view| version_of(view) == read_version,
    )
    .await
    {
        Ok(()) => Ok(see_other("/console/?done=withdrawn")),
        Err(DomainError::PreconditionFailed) => {
            // Changed since the question was asked: ask again, about what is stored now.
            let t = labels(page.lang);
            withdraw_page(
                state,
                &page,
                id,
                StatusCode::PRECONDITION_FAILED,
                t.news_changed_before_withdraw,
            )
            .await
        }
        Err(err) => Err(domain_failure(err)),
    }
}

/// `POST /console/news/preview` (htmx): the item as the apps will show it, and its push text.
#[handler]
pub async fn preview_fragment(post: ConsolePost) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    news::require_publisher(&page.actor).map_err(domain_failure)?;
    let fields = NewsFields::from_form(&form);
    let fragment = PreviewFragment {
        t: labels(page.lang),
        preview: markdown::preview(&fields.body),
        push_text: news::plain_excerpt(&fields.body),
        title: fields.title,
    };
    fragment_response(fragment.render())
}

/// `POST /console/news/reach` (htmx): how many people and devices the push would reach.
#[handler]
pub async fn reach_fragment(
    Data(state): Data<&AppState>,
    post: ConsolePost,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    news::require_publisher(&page.actor).map_err(domain_failure)?;
    let line = reach_line(state, page.lang, &NewsFields::from_form(&form)).await?;
    fragment_response(LineFragment { line }.render())
}
