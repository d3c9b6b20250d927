//! The start page: who is signed in and which tasks they hold. The pages of each task link
//! from here as they are built.

use askama::Template;
use poem::{Response, handler, http::StatusCode, web::Data};

use super::{Chrome, has_chrome, render};
use crate::{
    console::{edge::domain_failure, i18n::labels, session::Console},
    state::AppState,
};
use domain::auth::Role;

/// One task the person holds, named for people ("Ortsbürgermeister:in – Rieder").
pub struct Task {
    pub role: &'static str,
    pub scope: String,
    /// The page of this task, where one exists.
    pub href: String,
}

#[derive(Template)]
#[template(path = "start.html")]
pub struct StartPage {
    pub chrome: Chrome,
    pub tasks: Vec<Task>,
    pub banner: String,
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    done: Option<String>,
}

has_chrome!(StartPage);

/// `GET /console/`
#[handler]
pub async fn start(
    Data(state): Data<&AppState>,
    page: Console,
    poem::web::Query(query): poem::web::Query<StartQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let districts = domain::districts::list(&state.db)
        .await
        .map_err(domain_failure)?;
    let district_name = |id: Option<uuid::Uuid>| {
        id.and_then(|id| districts.iter().find(|d| d.id == id))
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let mut tasks = Vec::new();
    for assignment in &page.actor.assignments {
        let role = crate::console::i18n::role(t, assignment.role);
        let scope = if let Some(shop) = assignment.shop_id {
            domain::shops::get(&state.db, shop)
                .await
                .map(|view| view.shop.name)
                .unwrap_or_default()
        } else if let Some(organisation) = assignment.organisation_id {
            domain::organisations::load(&state.db, organisation)
                .await
                .map(|o| o.name)
                .unwrap_or_default()
        } else {
            district_name(assignment.district_id)
        };
        let href = match (assignment.role, assignment.district_id) {
            (Role::DistrictLeader, Some(district)) => format!("/console/districts/{district}"),
            (Role::Dispatcher, _) => "/console/rides".to_owned(),
            (Role::Admin, _) => "/console/admin".to_owned(),
            (Role::ShopOperator, _) => assignment
                .shop_id
                .map(|shop| format!("/console/shops/{shop}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        tasks.push(Task { role, scope, href });
    }
    Ok(render(
        StatusCode::OK,
        &StartPage {
            chrome: Chrome::signed_in(state, &page, t.start, "/console/").await?,
            tasks,
            banner: match query.done.as_deref() {
                Some("withdrawn") => t.news_withdrawn.to_owned(),
                _ => String::new(),
            },
        },
    ))
}
