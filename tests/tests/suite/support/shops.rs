//! Shop helpers: creating and reading a shop.

use serde_json::{Value, json};

use super::{Session, TestApp, get_anonymous, post_json};

/// POST /shops as `admin` with a minimal valid body; returns the created shop.
pub async fn create_shop(app: &TestApp, admin: &Session, district: &str, name: &str) -> Value {
    let reply = post_json(
        app,
        "/api/v1/shops",
        Some(&admin.access),
        json!({
            "name": name,
            "district_id": district,
            "address": "Hauptstraße 1, 06493 Ballenstedt",
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "create shop {name}: {}", reply.text);
    reply.json()
}

/// GET /shops/{id} anonymously; must succeed.
pub async fn read_shop(app: &TestApp, shop: &str) -> Value {
    let reply = get_anonymous(app, &format!("/api/v1/shops/{shop}")).await;
    assert_eq!(reply.status, 200, "read shop: {}", reply.text);
    reply.json()
}
