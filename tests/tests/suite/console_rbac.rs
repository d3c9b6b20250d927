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
    api: Option<(Method, &'static str, Value)>,
}

fn probe(method: &Method, path: &str) -> Probe {
    let plain = |path: &str| Probe {
        path: path.to_owned(),
        form: Vec::new(),
        api: None,
    };
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
            api: Some((
                Method::PUT,
                "/api/v1/me/password",
                json!({"current_password": "", "new_password": ""}),
            )),
        },
        _ => panic!("console route {method} {path} has no row in console_rbac.rs: add one"),
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
            let probe = probe(&route.method, route.path);
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
                let mut form: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
                form.extend(probe.form.iter().map(|(k, v)| (*k, v.as_str())));
                browser.post(&app, &probe.path, &form).await
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
                    let (method, path, body) = probe.api.as_ref().unwrap_or_else(|| {
                        panic!("{what}: mirrors {operation}, but the probe names no API call")
                    });
                    let token = person.map(|(s, _)| s.access.as_str());
                    let api = send(&app, method.clone(), path, token, &[], Some(body)).await;
                    assert!(
                        same_class(api.status.as_u16(), status),
                        "{what} mirrors {operation}: API {} but console {status}: {}",
                        api.status,
                        reply.text
                    );
                }
                Mirror::Rule(rule) => panic!("{what}: rule {rule} needs its table here"),
            }
        }
    }
}
