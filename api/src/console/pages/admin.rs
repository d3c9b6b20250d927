//! The administrator's pages: the system's health with the districts (and a new one), and the
//! people: search, one person's roles with their scope, grant and revoke. Each page calls the
//! rule of the API operation it mirrors (`getSystemHealth`, `createDistrict`, `listUsers`,
//! `getUser`, `grantRole`, `revokeRole`), which decides who may.

use askama::Template;
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, DoneQuery, has_chrome, render, see_other};
use crate::{
    console::{
        edge::domain_failure,
        forms::{FieldErrors, refusal},
        i18n::{self, labels, moment},
        session::{Console, ConsolePost},
    },
    state::AppState,
};
use domain::{
    DomainError, districts, health,
    text::{FieldError, Text},
    users::{self, RoleScope, UserFilter},
};
use entity::vocab::Role;

use super::desk::SelectOption;

// ---------------------------------------------------------------------------------------------
// Health and districts.

pub struct Figure {
    pub label: &'static str,
    pub value: String,
    /// Worth a look (a failure, a queue that has waited long).
    pub alert: bool,
}

pub struct DeadJobRow {
    pub kind: String,
    pub error: String,
    pub at: String,
}

pub struct DistrictRow {
    pub name: String,
    pub slug: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub chrome: Chrome,
    pub figures: Vec<Figure>,
    pub dead_jobs: Vec<DeadJobRow>,
    pub districts: Vec<DistrictRow>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub errors: FieldErrors,
    pub banner: String,
    pub success: String,
}

has_chrome!(AdminPage);

/// What the district form holds.
#[derive(Default)]
struct DistrictTyped {
    slug: String,
    name: String,
    description: String,
}

async fn admin_page(
    state: &AppState,
    page: &Console,
    status: StatusCode,
    typed: DistrictTyped,
    errors: FieldErrors,
    banner: String,
    success: String,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let a = t.admin;
    let h = health::summary(&state.db, &state.clock, &page.actor)
        .await
        .map_err(domain_failure)?;
    let waited = h
        .oldest_due_seconds
        .map(|s| format!(" ({} {} {})", a.oldest, s / 60, a.minutes))
        .unwrap_or_default();
    let mut figures = vec![
        Figure {
            label: a.database,
            value: format!(
                "{} ({})",
                if h.database_reachable {
                    a.reachable
                } else {
                    a.unreachable
                },
                h.database_backend
            ),
            alert: !h.database_reachable,
        },
        Figure {
            label: a.jobs_due,
            value: format!("{}{waited}", h.jobs_due),
            alert: h.oldest_due_seconds.is_some_and(|s| s > 300),
        },
        Figure {
            label: a.jobs_dead,
            value: h.jobs_dead.to_string(),
            alert: h.jobs_dead > 0,
        },
        Figure {
            label: a.notices_pending,
            value: h.notices_pending.to_string(),
            alert: false,
        },
        Figure {
            label: a.pushes_pending,
            value: h.pushes_pending.to_string(),
            alert: false,
        },
        Figure {
            label: a.pushes_failed,
            value: h.pushes_failed_recently.to_string(),
            alert: h.pushes_failed_recently > 0,
        },
    ];
    if let Some(pool) = h.pool {
        figures.push(Figure {
            label: a.pool,
            value: format!(
                "{} / {} ({} {})",
                pool.size.saturating_sub(pool.idle),
                pool.max,
                pool.idle,
                a.idle
            ),
            alert: false,
        });
    }
    let dead_jobs = h
        .dead_jobs
        .into_iter()
        .map(|j| DeadJobRow {
            kind: j.kind,
            error: j.last_error.unwrap_or_default(),
            at: moment(j.updated_at, state.time_zone, page.lang),
        })
        .collect();
    let districts = districts::list(&state.db)
        .await
        .map_err(domain_failure)?
        .into_iter()
        .map(|d| DistrictRow {
            name: d.name,
            slug: d.slug,
        })
        .collect();
    Ok(render(
        status,
        &AdminPage {
            chrome: Chrome::signed_in(state, page, a.title, "/console/admin").await?,
            figures,
            dead_jobs,
            districts,
            slug: typed.slug,
            name: typed.name,
            description: typed.description,
            errors,
            banner,
            success,
        },
    ))
}

/// `GET /console/admin`
#[handler]
pub async fn overview(
    Data(state): Data<&AppState>,
    page: Console,
    Query(query): Query<DoneQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let success = if query.done.is_some() {
        t.admin.district_created.to_owned()
    } else {
        String::new()
    };
    admin_page(
        state,
        &page,
        StatusCode::OK,
        DistrictTyped::default(),
        FieldErrors::default(),
        String::new(),
        success,
    )
    .await
}

/// `POST /console/admin/districts`: the API's `createDistrict` rule.
#[handler]
pub async fn create_district(
    Data(state): Data<&AppState>,
    post: ConsolePost,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let typed = DistrictTyped {
        slug: form.get("slug").to_owned(),
        name: form.get("name").to_owned(),
        description: form.get("description").to_owned(),
    };
    let input = districts::NewDistrict {
        slug: typed.slug.trim().to_owned(),
        name: typed.name.clone(),
        description: Some(typed.description.clone()).filter(|d| !d.trim().is_empty()),
    };
    match districts::create_as(&state.db, &state.clock, &page.actor, input).await {
        Ok(_) => Ok(see_other("/console/admin?done=district")),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            admin_page(
                state,
                &page,
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

// ---------------------------------------------------------------------------------------------
// People.

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub q: String,
    pub users: Vec<UserRow>,
    pub more: bool,
    pub errors: FieldErrors,
}

has_chrome!(UsersPage);

/// Names of the places roles are scoped to, to say "Fahrer:in in Rieder".
struct Places {
    districts: Vec<entity::district::Model>,
    shops: Vec<(Uuid, String)>,
}

impl Places {
    async fn load(state: &AppState) -> poem::Result<Self> {
        let districts = districts::list(&state.db).await.map_err(domain_failure)?;
        let (shops, _) = domain::shops::list(&state.db, None, None, 500)
            .await
            .map_err(domain_failure)?;
        Ok(Self {
            districts,
            shops: shops
                .into_iter()
                .map(|s| (s.shop.id, s.shop.name))
                .collect(),
        })
    }

    fn describe(
        &self,
        t: &'static i18n::Labels,
        assignment: &entity::role_assignment::Model,
    ) -> String {
        let role = i18n::role(t, assignment.role);
        let place = assignment
            .district_id
            .and_then(|d| self.districts.iter().find(|x| x.id == d))
            .map(|d| d.name.clone())
            .or_else(|| {
                assignment
                    .shop_id
                    .and_then(|s| self.shops.iter().find(|x| x.0 == s))
                    .map(|s| s.1.clone())
            });
        match place {
            Some(place) => format!("{role} ({place})"),
            None => role.to_owned(),
        }
    }
}

#[derive(Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
}

/// `GET /console/admin/users?q=`: the API's `listUsers` rule (50 at a time, newest first).
#[handler]
pub async fn users_list(
    Data(state): Data<&AppState>,
    page: Console,
    Query(query): Query<UsersQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let q = query.q.unwrap_or_default();
    let filter = UserFilter {
        q: Some(q.clone()).filter(|q| !q.trim().is_empty()),
        ..UserFilter::default()
    };
    let (found, more, errors) = match users::list(&state.db, &page.actor, &filter, None, 50).await {
        Ok((found, more)) => (found, more, FieldErrors::default()),
        Err(DomainError::Validation(errors)) => (
            Vec::new(),
            false,
            FieldErrors::from_domain(&errors, page.lang),
        ),
        Err(other) => return Err(domain_failure(other)),
    };
    let places = Places::load(state).await?;
    let users = found
        .iter()
        .map(|p| UserRow {
            id: p.user.id.to_string(),
            name: p.user.display_name.clone(),
            email: p.user.email.clone(),
            roles: p
                .roles
                .iter()
                .map(|r| places.describe(t, r))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        &UsersPage {
            chrome: Chrome::signed_in(state, &page, t.admin.users, "/console/admin/users").await?,
            q,
            users,
            more,
            errors,
        },
    ))
}

pub struct AssignmentRow {
    pub id: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
pub struct UserPage {
    pub chrome: Chrome,
    pub id: String,
    pub name: String,
    pub email: String,
    pub assignments: Vec<AssignmentRow>,
    pub roles: Vec<SelectOption>,
    pub districts: Vec<SelectOption>,
    pub shops: Vec<SelectOption>,
    pub errors: FieldErrors,
    pub banner: String,
    pub success: String,
}

has_chrome!(UserPage);

/// The grant form as typed.
#[derive(Default)]
struct GrantTyped {
    role: String,
    district: String,
    shop: String,
}

#[allow(
    clippy::too_many_arguments,
    reason = "one page, shown from three handlers with what each knows"
)]
async fn user_page(
    state: &AppState,
    page: &Console,
    id: Uuid,
    status: StatusCode,
    typed: GrantTyped,
    errors: FieldErrors,
    banner: String,
    success: String,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let profile = users::get(&state.db, &page.actor, id)
        .await
        .map_err(domain_failure)?;
    let places = Places::load(state).await?;
    let option = |value: String, label: String, chosen: &str| SelectOption {
        selected: value == chosen,
        value,
        label,
    };
    let none = || SelectOption {
        value: String::new(),
        label: t.admin.no_scope.to_owned(),
        selected: false,
    };
    let districts = std::iter::once(none())
        .chain(
            places
                .districts
                .iter()
                .map(|d| option(d.id.to_string(), d.name.clone(), &typed.district)),
        )
        .collect();
    let shops = std::iter::once(none())
        .chain(
            places
                .shops
                .iter()
                .map(|(id, name)| option(id.to_string(), name.clone(), &typed.shop)),
        )
        .collect();
    // Nothing chosen at first: a careless click must not grant the first role of the list.
    // Roles scoped to an organisation or a topic are granted where those are kept (the API).
    let choose = SelectOption {
        value: String::new(),
        label: t.admin.choose_role.to_owned(),
        selected: typed.role.is_empty(),
    };
    let roles = std::iter::once(choose)
        .chain(
            Role::ALL
                .iter()
                .filter(|r| {
                    matches!(
                        r.scope(),
                        entity::vocab::Scope::Global
                            | entity::vocab::Scope::District
                            | entity::vocab::Scope::Shop
                            | entity::vocab::Scope::GlobalOrTopic
                    )
                })
                .map(|r| {
                    option(
                        r.as_str().to_owned(),
                        i18n::role(t, *r).to_owned(),
                        &typed.role,
                    )
                }),
        )
        .collect();
    Ok(render(
        status,
        &UserPage {
            chrome: Chrome::signed_in(
                state,
                page,
                profile.user.display_name.clone(),
                "/console/admin/users",
            )
            .await?,
            id: id.to_string(),
            assignments: profile
                .roles
                .iter()
                .map(|r| AssignmentRow {
                    id: r.id.to_string(),
                    text: places.describe(t, r),
                })
                .collect(),
            name: profile.user.display_name,
            email: profile.user.email,
            roles,
            districts,
            shops,
            errors,
            banner,
            success,
        },
    ))
}

/// `GET /console/admin/users/{id}`: the API's `getUser` rule.
#[handler]
pub async fn user(
    Data(state): Data<&AppState>,
    page: Console,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> poem::Result<Response> {
    let t = labels(page.lang);
    let success = match query.done.as_deref() {
        Some("granted") => t.admin.granted,
        Some("revoked") => t.admin.revoked,
        _ => "",
    };
    user_page(
        state,
        &page,
        id,
        StatusCode::OK,
        GrantTyped::default(),
        FieldErrors::default(),
        String::new(),
        success.to_owned(),
    )
    .await
}

fn optional_id(typed: &str) -> Option<Uuid> {
    Uuid::parse_str(typed.trim()).ok()
}

/// `POST /console/admin/users/{id}/roles`: the API's `grantRole` rule.
#[handler]
pub async fn grant(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path(id): Path<Uuid>,
) -> poem::Result<Response> {
    let ConsolePost {
        console: page,
        form,
    } = post;
    let typed = GrantTyped {
        role: form.get("role").to_owned(),
        district: form.get("district_id").to_owned(),
        shop: form.get("shop_id").to_owned(),
    };
    let role = Role::ALL.iter().copied().find(|r| r.as_str() == typed.role);
    let outcome = match role {
        Some(role) => users::grant_role(
            &state.db,
            &state.clock,
            &page.actor,
            id,
            role,
            RoleScope {
                district_id: optional_id(&typed.district),
                shop_id: optional_id(&typed.shop),
                ..RoleScope::default()
            },
        )
        .await
        .map(|_| ()),
        // The rule decides first who may; an unknown role is then a field error.
        None => users::get(&state.db, &page.actor, id)
            .await
            .and(Err(DomainError::Validation(vec![FieldError::new(
                "role",
                Text::new("Bitte eine Rolle wählen.", "Please choose a role."),
            )]))),
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "/console/admin/users/{id}?done=granted"
        ))),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            user_page(
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

/// `POST /console/admin/users/{id}/roles/{assignment}/revoke`: the API's `revokeRole` rule;
/// the last administrator's role stays, with the rule's explanation.
#[handler]
pub async fn revoke(
    Data(state): Data<&AppState>,
    post: ConsolePost,
    Path((id, assignment)): Path<(Uuid, Uuid)>,
) -> poem::Result<Response> {
    let page = post.console;
    match users::revoke_role(&state.db, &page.actor, id, assignment).await {
        Ok(()) => Ok(see_other(&format!(
            "/console/admin/users/{id}?done=revoked"
        ))),
        Err(err) => {
            let refused = refusal(err, page.lang)?;
            user_page(
                state,
                &page,
                id,
                refused.status,
                GrantTyped::default(),
                refused.errors,
                refused.banner,
                String::new(),
            )
            .await
        }
    }
}
