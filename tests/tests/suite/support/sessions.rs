//! An app that starts with an administrator, sessions (registered, signed in, granted roles,
//! renewed), and requests that carry a bearer token.

use poem::http::Method;
use serde_json::{Value, json};

use super::{Reply, TestApp};

pub const ADMIN_EMAIL: &str = "verwaltung@ballenstedt.example";
pub const ADMIN_PASSWORD: &str = "Rathaus-Schluessel-2026";
/// A password that satisfies the rules, for ordinary test users.
pub const PASSWORD: &str = "Sommer-im-Harz-42";

/// An app whose configuration names an administrator; the server creates them at start.
pub async fn spawn_with_admin() -> TestApp {
    spawn_with_admin_and(|_| {}).await
}

/// Like [`spawn_with_admin`], with further settings.
pub async fn spawn_with_admin_and(
    configure: impl FnOnce(&mut dorfapp::config::Settings),
) -> TestApp {
    TestApp::spawn_with(|s| {
        s.admin_email = Some(ADMIN_EMAIL.into());
        s.admin_password = Some(dorfapp::config::Secret::new(ADMIN_PASSWORD));
        configure(s);
    })
    .await
}

/// A signed-in user: the tokens of one session.
#[derive(Clone, Debug)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
    /// The address to sign in with (the console's login).
    pub email: String,
}

impl Session {
    /// Reads `{user, tokens}` (register, login).
    #[track_caller]
    pub fn from_reply(reply: &Reply) -> Self {
        let body = reply.json();
        Self {
            access: str_field(&body["tokens"]["access_token"]),
            refresh: str_field(&body["tokens"]["refresh_token"]),
            user_id: str_field(&body["user"]["id"]),
            email: str_field(&body["user"]["email"]),
        }
    }
}

#[track_caller]
fn str_field(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

/// A fresh, unique address for a throwaway user.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.org", uuid::Uuid::new_v4().simple())
}

/// POST /auth/register with any body.
pub async fn register_reply(app: &TestApp, body: Value) -> Reply {
    post_json(app, "/api/v1/auth/register", None, body).await
}

/// Registers a user (display name taken from the address) and returns the new session.
pub async fn register(app: &TestApp, email: &str, password: &str) -> Session {
    let name = email.split('@').next().unwrap_or("Nutzer");
    register_named(app, email, password, name).await
}

/// Registers a user with this display name and returns the new session.
pub async fn register_named(app: &TestApp, email: &str, password: &str, name: &str) -> Session {
    let reply = register_reply(
        app,
        json!({"email": email, "password": password, "display_name": name}),
    )
    .await;
    assert_eq!(reply.status, 201, "register {email}: {}", reply.text);
    Session::from_reply(&reply)
}

/// POST /auth/login.
pub async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    post_json(
        app,
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

/// Signs in and returns the session; the login must succeed.
pub async fn login_ok(app: &TestApp, email: &str, password: &str) -> Session {
    let reply = login(app, email, password).await;
    assert_eq!(reply.status, 200, "login {email}: {}", reply.text);
    Session::from_reply(&reply)
}

/// The configured administrator, signed in.
pub async fn admin(app: &TestApp) -> Session {
    login_ok(app, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

/// POST /users/{user_id}/roles as `admin`.
pub async fn grant(app: &TestApp, admin: &Session, user_id: &str, body: Value) -> Reply {
    post_json(
        app,
        &format!("/api/v1/users/{user_id}/roles"),
        Some(&admin.access),
        body,
    )
    .await
}

/// A freshly registered user who holds `role` (with the given scope), granted by `admin`.
pub async fn user_with_role(
    app: &TestApp,
    admin: &Session,
    role: &str,
    district_id: Option<&str>,
    shop_id: Option<&str>,
) -> Session {
    let session = register(app, &unique_email(role), PASSWORD).await;
    let reply = grant(
        app,
        admin,
        &session.user_id,
        json!({"role": role, "district_id": district_id, "shop_id": shop_id}),
    )
    .await;
    assert_eq!(reply.status, 201, "grant {role}: {}", reply.text);
    session
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = app.client.request(method.clone(), path);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        request = request
            .content_type("application/json")
            .body(body.to_string());
    }
    Reply::checked(&method, path, request.send().await).await
}

/// GET with a bearer token.
pub async fn get_as(app: &TestApp, path: &str, token: &str) -> Reply {
    send(app, Method::GET, path, Some(token), None).await
}

pub async fn post_json(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Reply {
    send(app, Method::POST, path, token, Some(body)).await
}

pub async fn patch_json(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Reply {
    send(app, Method::PATCH, path, token, Some(body)).await
}

pub async fn put_json(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Reply {
    send(app, Method::PUT, path, token, Some(body)).await
}

pub async fn delete_json(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    send(app, Method::DELETE, path, token, body).await
}

/// GET without any token.
pub async fn get_anonymous(app: &TestApp, path: &str) -> Reply {
    send(app, Method::GET, path, None, None).await
}

/// The id of the district with this slug, from the public list.
pub async fn district_id(app: &TestApp, slug: &str) -> String {
    let list = app.get("/api/v1/districts").await.json();
    let district = list
        .as_array()
        .expect("districts are an array")
        .iter()
        .find(|d| d["slug"] == slug)
        .unwrap_or_else(|| panic!("no district {slug}: {list}"));
    str_field(&district["id"])
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The field names that a 422 problem lists.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a 422 `validation_failed` that names `field`.
#[track_caller]
pub fn assert_invalid_field(reply: &Reply, field: &str) {
    let problem = reply.assert_problem(422, "validation_failed");
    let fields = error_fields(&problem);
    assert!(
        fields.iter().any(|f| f == field),
        "expected field {field} among {fields:?}: {problem}"
    );
}

/// True when the RFC 3339 timestamp is in UTC written with `Z`.
pub fn is_utc_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok())
}

/// A village shop, written straight into the database: shops have no endpoints of their own
/// yet, and a `shop_operator` needs one. Returns its id.
pub async fn insert_shop(app: &TestApp, district_id: &str) -> String {
    use sea_orm::{ActiveModelTrait, Set};
    let id = uuid::Uuid::now_v7();
    let now = super::test_epoch();
    entity::shop::ActiveModel {
        id: Set(id),
        name: Set("Dorfladen Rieder".into()),
        district_id: Set(uuid::Uuid::parse_str(district_id).expect("district id")),
        address: Set("Hauptstraße 1, 06493 Ballenstedt OT Rieder".into()),
        phone: Set(None),
        email: Set(None),
        website: Set(None),
        description: Set(None),
        opening_hours: Set("[]".into()),
        special_days: Set("[]".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.state.db)
    .await
    .expect("insert shop");
    id.to_string()
}

/// A fresh access token for a session, through its refresh token: access tokens live 15
/// minutes, and tests move the clock by hours.
pub async fn renew(app: &TestApp, session: &mut Session) {
    let reply = post_json(
        app,
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": session.refresh}),
    )
    .await;
    assert_eq!(reply.status, 200, "refresh: {}", reply.text);
    let tokens = &reply.json()["tokens"];
    session.access = tokens["access_token"].as_str().expect("access").to_owned();
    session.refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
}

impl TestApp {
    /// A fresh user signed in with `role`, on an app started with an administrator
    /// ([`spawn_with_admin`]): `"admin"` is the configured administrator, `"resident"` holds no
    /// role, `"driver"` and `"district_leader"` serve Rieder, `"shop_operator"` runs a new shop in
    /// Rieder. For several people of several roles at once, see [`super::Cast`].
    #[allow(
        dead_code,
        reason = "the entry for new tests; the existing ones use `Cast`"
    )]
    pub async fn login_as(&self, role: &str) -> Session {
        let admin = admin(self).await;
        match role {
            "admin" => admin,
            "resident" => register(self, &unique_email("anwohner"), PASSWORD).await,
            "dispatcher" => user_with_role(self, &admin, role, None, None).await,
            "driver" | "district_leader" => {
                let rieder = district_id(self, "rieder").await;
                user_with_role(self, &admin, role, Some(&rieder), None).await
            }
            "shop_operator" => {
                let rieder = district_id(self, "rieder").await;
                let shop = insert_shop(self, &rieder).await;
                user_with_role(self, &admin, role, None, Some(&shop)).await
            }
            other => panic!("no such role: {other}"),
        }
    }
}

/// The first 100 entries of `who`'s inbox, newest first.
pub async fn inbox(app: &TestApp, who: &Session) -> Vec<Value> {
    let inbox = get_as(app, "/api/v1/me/notifications?limit=100", &who.access)
        .await
        .json();
    inbox["items"]
        .as_array()
        .unwrap_or_else(|| panic!("inbox: {inbox}"))
        .clone()
}
