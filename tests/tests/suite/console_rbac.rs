//! The console's pages against every role: the console's own route table
//! (`dorfapp::console::routes`) is walked, so a page cannot be added without a row here. A page
//! that mirrors an API operation must give each person what the operation gives them (the same
//! rule function answers both); a console-only rule has its table of who may.

use dorfapp::console::{Mirror, routes};
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::*;

/// How a page is exercised: the console request, and for a mirrored operation the API request
/// that must be answered alike.
struct Probe {
    path: String,
    form: Vec<(&'static str, String)>,
    /// Take the form's `version` from this page, as a browser would have it.
    version_from: Option<String>,
    api: Option<ApiCall>,
}

/// The API operation a page mirrors: method, path, body (`Null`: none), headers.
type ApiCall = (Method, String, Value, Vec<(&'static str, &'static str)>);

/// The ids the probes need.
struct Fixture {
    rieder: String,
    news: String,
    shop: String,
    /// A ride the rider booked in Rieder, still open.
    ride: String,
    driver: String,
    /// An ordinary account (the neighbour's).
    user: String,
    /// The news item's photo: `{id}/{width}.jpg`.
    photo: String,
}

fn probe(method: &Method, path: &str, fx: &Fixture) -> Probe {
    let plain = |path: &str| Probe {
        path: path.to_owned(),
        form: Vec::new(),
        version_from: None,
        api: None,
    };
    let with_api = |path: String, method: Method, api_path: String| Probe {
        path,
        form: Vec::new(),
        version_from: None,
        api: Some((method, api_path, Value::Null, Vec::new())),
    };
    let (rieder, news) = (&fx.rieder, &fx.news);
    match (method.as_str(), path) {
        ("GET", "/") => plain("/console/"),
        ("GET", "/login") => plain("/console/login"),
        ("GET", "/password") => plain("/console/password"),
        ("GET", "/static/:file") => plain("/console/static/htmx-2.0.11.min.js"),
        ("POST", "/logout") => plain("/console/logout"),
        ("POST", "/login") => plain("/console/login"),
        ("POST", "/password") => Probe {
            path: "/console/password".into(),
            // Nothing typed: the rule refuses it (422) for everyone it lets in.
            form: vec![
                ("current_password", String::new()),
                ("new_password", String::new()),
            ],
            version_from: None,
            api: Some((
                Method::PUT,
                "/api/v1/me/password".into(),
                json!({"current_password": "", "new_password": ""}),
                Vec::new(),
            )),
        },
        ("GET", "/districts/:id") => with_api(
            format!("/console/districts/{rieder}"),
            Method::GET,
            format!("/api/v1/rides/stats?district_id={rieder}"),
        ),
        ("GET", "/media/:id/:file") => with_api(
            format!("/console/media/{}", fx.photo),
            Method::GET,
            format!("/api/v1/media/{}", fx.photo),
        ),
        ("GET", "/news/new") => plain("/console/news/new"),
        ("POST", "/news/new") => Probe {
            path: "/console/news/new".into(),
            // No headline: refused for its input (422) by everyone who may write here.
            form: vec![
                ("title", String::new()),
                ("body", "Text".into()),
                ("category", "news".into()),
                ("district_ids", rieder.clone()),
            ],
            version_from: None,
            api: Some((
                Method::POST,
                "/api/v1/news".into(),
                json!({"title": "", "body": "Text", "category": "news", "district_ids": [rieder]}),
                Vec::new(),
            )),
        },
        ("GET", "/news/:id") | ("GET", "/news/:id/withdraw") | ("GET", "/news/:id/photos") => {
            with_api(
                format!(
                    "/console/news/{news}{}",
                    path.strip_prefix("/news/:id").unwrap_or_default()
                ),
                Method::GET,
                format!("/api/v1/news/{news}/delivery"),
            )
        }
        ("POST", "/news/:id") => Probe {
            path: format!("/console/news/{news}"),
            form: vec![
                ("title", String::new()),
                ("body", "Text".into()),
                ("category", "news".into()),
                ("district_ids", rieder.clone()),
            ],
            version_from: Some(format!("/console/news/{news}")),
            api: Some((
                Method::PATCH,
                format!("/api/v1/news/{news}"),
                json!({"title": ""}),
                Vec::new(),
            )),
        },
        ("POST", "/news/:id/withdraw") => Probe {
            // A version that is not the item's: refused (412) for those who may withdraw it,
            // so the item stays for the next person.
            path: format!("/console/news/{news}/withdraw"),
            form: vec![("version", "\"veraltet\"".into())],
            version_from: None,
            api: Some((
                Method::DELETE,
                format!("/api/v1/news/{news}"),
                Value::Null,
                vec![("if-match", "\"veraltet\"")],
            )),
        },
        ("POST", "/news/:id/photos") => Probe {
            // Sent without a file or a description (multipart, as the form sends it): refused
            // for its input (422) by everyone who may change the item, before anything is
            // uploaded.
            path: format!("/console/news/{news}/photos"),
            form: vec![("alt", String::new())],
            version_from: None,
            api: Some((
                Method::PATCH,
                format!("/api/v1/news/{news}"),
                json!({"title": ""}),
                Vec::new(),
            )),
        },
        ("POST", "/news/:id/photos/remove") => Probe {
            // A photo the item does not show: nothing to take off, the page again (303) for
            // the editors, like the API's unchanged list of photos (200).
            path: format!("/console/news/{news}/photos/remove"),
            form: vec![("media_id", uuid::Uuid::now_v7().to_string())],
            version_from: None,
            api: Some((
                Method::PATCH,
                format!("/api/v1/news/{news}"),
                json!({"images": []}),
                Vec::new(),
            )),
        },
        ("POST", "/news/preview") | ("POST", "/news/reach") => Probe {
            path: format!("/console{path}"),
            form: vec![
                ("title", "Titel".into()),
                ("body", "Text".into()),
                ("category", "news".into()),
                ("district_ids", rieder.clone()),
            ],
            version_from: None,
            api: None,
        },
        ("GET", "/shops/:id") => plain(&format!("/console/shops/{}", fx.shop)),
        ("POST", "/shops/:id/notices") => Probe {
            // No headline: refused for its input (422) by those who may post here.
            path: format!("/console/shops/{}/notices", fx.shop),
            form: vec![("title", String::new()), ("body", String::new())],
            version_from: None,
            api: Some((
                Method::POST,
                format!("/api/v1/shops/{}/notices", fx.shop),
                json!({"kind": "new_stock", "title": "", "body": ""}),
                Vec::new(),
            )),
        },
        ("GET", "/shops/:id/hours") => plain(&format!("/console/shops/{}/hours", fx.shop)),
        ("POST", "/shops/:id/hours/preview") => Probe {
            path: format!("/console/shops/{}/hours/preview", fx.shop),
            form: vec![
                ("d1_0_opens", "07:00".into()),
                ("d1_0_closes", "12:00".into()),
            ],
            version_from: None,
            api: None,
        },
        ("POST", "/shops/:id/hours") => Probe {
            // A window that closes before it opens: refused (422) for those who may edit.
            path: format!("/console/shops/{}/hours", fx.shop),
            form: vec![
                ("d1_0_opens", "12:00".into()),
                ("d1_0_closes", "07:00".into()),
            ],
            version_from: None,
            api: Some((
                Method::PUT,
                format!("/api/v1/shops/{}/opening-hours", fx.shop),
                json!([{"weekday": 1, "opens": "12:00", "closes": "07:00"}]),
                Vec::new(),
            )),
        },
        ("POST", "/shops/:id/special-days") => Probe {
            path: format!("/console/shops/{}/special-days", fx.shop),
            form: vec![("s0_date", "2026-02-30".into()), ("s0_closed", "on".into())],
            version_from: None,
            api: Some((
                Method::PUT,
                format!("/api/v1/shops/{}/special-days", fx.shop),
                json!([{"date": "2026-02-30", "closed": true}]),
                Vec::new(),
            )),
        },
        ("GET", "/rides") => plain("/console/rides"),
        ("GET", "/rides/new") => plain("/console/rides/new"),
        ("POST", "/rides/new") => Probe {
            // No name and no time: refused for its input (422) at the desk.
            path: "/console/rides/new".into(),
            form: vec![("rider_name", String::new()), ("pickup_at", String::new())],
            version_from: None,
            api: None,
        },
        ("GET", "/rides/callbacks") => with_api(
            "/console/rides/callbacks".into(),
            Method::GET,
            "/api/v1/rides/callbacks".into(),
        ),
        ("POST", "/rides/callbacks/:id/done") => {
            // A call-back that does not exist: 404 for those who may tick, 403 for the rest.
            let missing = uuid::Uuid::now_v7();
            with_api(
                format!("/console/rides/callbacks/{missing}/done"),
                Method::POST,
                format!("/api/v1/rides/callbacks/{missing}/done"),
            )
        }
        ("GET", "/rides/sheet") => plain(&format!("/console/rides/sheet?driver={}", fx.driver)),
        ("GET", "/rides/:id") => plain(&format!("/console/rides/{}", fx.ride)),
        ("POST", "/rides/:id/assign") => Probe {
            // Nobody chosen: "does not drive here" (422) for the desk.
            path: format!("/console/rides/{}/assign", fx.ride),
            form: vec![("driver_id", String::new())],
            version_from: None,
            api: None,
        },
        ("POST", "/rides/:id/release") | ("POST", "/rides/:id/cancel") => Probe {
            // A reason too long: refused (422) for the desk, the ride stays as it is.
            path: format!("/console{}", path.replace(":id", &fx.ride)),
            form: vec![("reason", "x".repeat(501))],
            version_from: None,
            api: None,
        },
        ("POST", "/rides/:id/reschedule") => Probe {
            path: format!("/console/rides/{}/reschedule", fx.ride),
            form: vec![("pickup_at", String::new())],
            version_from: None,
            api: None,
        },
        ("GET", "/admin") => with_api(
            "/console/admin".into(),
            Method::GET,
            "/api/v1/admin/health".into(),
        ),
        ("POST", "/admin/districts") => Probe {
            // Nothing typed: refused for its input (422) for administrators.
            path: "/console/admin/districts".into(),
            form: vec![("slug", String::new()), ("name", String::new())],
            version_from: None,
            api: Some((
                Method::POST,
                "/api/v1/districts".into(),
                json!({"slug": "", "name": ""}),
                Vec::new(),
            )),
        },
        ("GET", "/admin/users") => with_api(
            "/console/admin/users?q=nachbar".into(),
            Method::GET,
            "/api/v1/users?q=nachbar".into(),
        ),
        ("GET", "/admin/users/:id") => with_api(
            format!("/console/admin/users/{}", fx.user),
            Method::GET,
            format!("/api/v1/users/{}", fx.user),
        ),
        ("POST", "/admin/users/:id/roles") => Probe {
            // A driver without a district: refused (422) for administrators.
            path: format!("/console/admin/users/{}/roles", fx.user),
            form: vec![("role", "driver".into())],
            version_from: None,
            api: Some((
                Method::POST,
                format!("/api/v1/users/{}/roles", fx.user),
                json!({"role": "driver"}),
                Vec::new(),
            )),
        },
        ("POST", "/admin/users/:id/roles/:assignment/revoke") => {
            // An assignment that does not exist: 404 for administrators, 403 for the rest.
            let missing = uuid::Uuid::now_v7();
            with_api(
                format!("/console/admin/users/{}/roles/{missing}/revoke", fx.user),
                Method::DELETE,
                format!("/api/v1/users/{}/roles/{missing}", fx.user),
            )
        }
        _ => panic!("console route {method} {path} has no row in console_rbac.rs: add one"),
    }
}

/// Who may use a console-only rule: status by person.
fn rule_expectation(rule: &str, person: &str, is_get: bool) -> u16 {
    match (rule, person) {
        (_, "anonymous") if is_get => 303,
        (_, "anonymous") => 401,
        ("news::require_publisher", "leader" | "far_leader" | "admin") => 200,
        ("news::require_publisher", _) => 403,
        ("shops::follower_count", "operator" | "admin") => 200,
        ("shops::follower_count", _) => 403,
        // The desk's forms are probed with input the rules refuse, so nothing changes.
        ("rides::desk", "dispatcher" | "admin") => {
            if is_get {
                200
            } else {
                422
            }
        }
        ("rides::desk", _) => 403,
        _ => panic!("rule {rule} has no table in console_rbac.rs"),
    }
}

/// The API's answer and the console's mean the same: allowed, not signed in, forbidden,
/// missing, or refused for its input.
fn same_class(api: u16, console: u16) -> bool {
    match api {
        200..=299 => matches!(console, 200 | 303),
        401 => matches!(console, 401 | 303),
        other => other == console,
    }
}

#[tokio::test]
async fn every_console_page_answers_each_role_as_its_rule_says() {
    let (app, cast) = spawn_cast().await;
    let news_item = publish(&app, &cast.leader, item("Dorffest", &[&cast.rieder])).await;
    let photo = upload_photo(&app, &cast.leader).await;
    let shown = patch_json(
        &app,
        &format!("/api/v1/news/{}", news_item["id"].as_str().expect("id")),
        Some(&cast.leader.access),
        json!({"images": [{"id": photo["id"], "alt": "Das Festzelt"}]}),
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    let fx = Fixture {
        photo: format!(
            "{}/{}.jpg",
            photo["id"].as_str().expect("id"),
            photo["renditions"][0]["width"]
        ),
        rieder: cast.rieder.clone(),
        news: news_item["id"].as_str().expect("id").to_owned(),
        shop: cast.shop.clone(),
        ride: cast.booked(&app, 180).await,
        driver: cast.driver.user_id.clone(),
        user: cast.neighbour.user_id.clone(),
    };
    let people: Vec<(&str, Option<(&Session, &str)>)> = vec![
        ("anonymous", None),
        ("resident", Some((&cast.resident, PASSWORD))),
        ("rider", Some((&cast.rider, PASSWORD))),
        ("driver", Some((&cast.driver, PASSWORD))),
        ("leader", Some((&cast.leader, PASSWORD))),
        ("far_leader", Some((&cast.far_leader, PASSWORD))),
        ("dispatcher", Some((&cast.dispatcher, PASSWORD))),
        ("operator", Some((&cast.operator, PASSWORD))),
        ("admin", Some((&cast.admin, ADMIN_PASSWORD))),
    ];
    for route in routes() {
        for (name, person) in &people {
            let what = format!("{} {} as {name}", route.method, route.path);
            let probe = probe(&route.method, route.path, &fx);
            let mut browser = match person {
                Some((session, password)) => Browser::sign_in(&app, &session.email, password).await,
                None => Browser::new(),
            };
            let reply = if route.method == Method::GET {
                browser.get(&app, &probe.path).await
            } else if route.path == "/login" {
                // The login itself: a fresh form with the person's own address (or none).
                let (email, password) = person.map_or(("", ""), |(s, p)| (s.email.as_str(), p));
                Browser::new().sign_in_reply(&app, email, password).await
            } else {
                let csrf = if person.is_some() {
                    browser.csrf(&app, "/console/").await
                } else {
                    String::new()
                };
                let version = match &probe.version_from {
                    Some(page) if person.is_some() => {
                        let reply = browser.get(&app, page).await;
                        if reply.status == 200 {
                            hidden(&reply.text, "version")
                        } else {
                            String::new()
                        }
                    }
                    _ => String::new(),
                };
                let mut form: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
                if probe.version_from.is_some() {
                    form.push(("version", &version));
                }
                form.extend(probe.form.iter().map(|(k, v)| (*k, v.as_str())));
                if route.path.ends_with("/photos") {
                    // The photo form is the one sent as `multipart/form-data`.
                    browser.post_multipart(&app, &probe.path, &form, None).await
                } else {
                    browser.post(&app, &probe.path, &form).await
                }
            };
            let status = reply.status.as_u16();
            match route.mirrors {
                Mirror::Public => {
                    // The login form signs in whoever has an account; the rest is open.
                    let expected = match (route.method == Method::POST, person) {
                        (true, None) => 401,
                        (true, Some(_)) => 303,
                        (false, _) => 200,
                    };
                    assert_eq!(status, expected, "{what}: {}", reply.text);
                }
                Mirror::SignedIn => {
                    let expected = match (person, route.method == Method::GET) {
                        (None, true) => 303,
                        (None, false) => 401,
                        (Some(_), true) => 200,
                        (Some(_), false) => 303,
                    };
                    assert_eq!(status, expected, "{what}: {}", reply.text);
                    if person.is_none() && route.method == Method::GET {
                        let location = reply.header("location").unwrap_or_default();
                        assert!(location.starts_with("/console/login"), "{what}: {location}");
                    }
                }
                Mirror::Op(operation) => {
                    let (method, path, body, headers) = probe.api.as_ref().unwrap_or_else(|| {
                        panic!("{what}: mirrors {operation}, but the probe names no API call")
                    });
                    let token = person.map(|(s, _)| s.access.as_str());
                    let body = (!body.is_null()).then_some(body);
                    let api = send(&app, method.clone(), path, token, headers, body).await;
                    assert!(
                        same_class(api.status.as_u16(), status),
                        "{what} mirrors {operation}: API {} but console {status}: {}",
                        api.status,
                        reply.text
                    );
                }
                Mirror::Rule(rule) => {
                    let expected = rule_expectation(rule, name, route.method == Method::GET);
                    assert_eq!(status, expected, "{what} ({rule}): {}", reply.text);
                }
            }
        }
    }
}
