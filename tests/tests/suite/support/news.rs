//! News helpers: a valid item, publishing, the public feed, the notices items hand over.

use std::collections::BTreeSet;

use entity::notice;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::{Reply, Session, TestApp, get_anonymous, ids, post_json};

/// A plain, valid item of category `news` for these districts.
pub fn item(title: &str, districts: &[&str]) -> Value {
    json!({
        "title": title,
        "body": "Mehr dazu im Gemeindeblatt.",
        "category": "news",
        "district_ids": districts,
    })
}

pub async fn post_news(app: &TestApp, token: Option<&str>, body: Value) -> Reply {
    post_json(app, "/api/v1/news", token, body).await
}

/// Posts an item as `session`; it must be created. Returns the item.
pub async fn publish(app: &TestApp, session: &Session, body: Value) -> Value {
    let reply = post_news(app, Some(&session.access), body.clone()).await;
    assert_eq!(reply.status, 201, "post news {body}: {}", reply.text);
    reply.json()
}

pub fn path_of(id: &str) -> String {
    format!("/api/v1/news/{id}")
}

/// An item's `district_ids`, as a set.
pub fn district_set(item: &Value) -> BTreeSet<String> {
    item["district_ids"]
        .as_array()
        .unwrap_or_else(|| panic!("district_ids: {item}"))
        .iter()
        .map(|d| d.as_str().expect("a district id").to_owned())
        .collect()
}

/// The ids in the public feed at `query` (e.g. `?district_id=…`), first page of up to 100.
pub async fn feed(app: &TestApp, query: &str) -> Vec<String> {
    let separator = if query.is_empty() { "?" } else { "&" };
    let path = format!("/api/v1/news{query}{separator}limit=100");
    let reply = get_anonymous(app, &path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    ids(&reply.json())
}

/// Every `news` notice written so far.
pub async fn news_notices(app: &TestApp) -> Vec<notice::Model> {
    notice::Entity::find()
        .filter(notice::Column::Kind.eq("news"))
        .all(&app.state.db)
        .await
        .expect("notices")
}
