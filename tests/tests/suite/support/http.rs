//! Requests beyond the JSON helpers of `sessions`: with extra headers, or without a body.

use poem::http::Method;
use serde_json::Value;

use super::{Reply, TestApp};

/// Any request, with extra headers (`If-Match`, `If-None-Match`, `Idempotency-Key`).
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let mut request = app.client.request(method.clone(), path);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .content_type("application/json")
            .body(body.to_string());
    }
    Reply::checked(&method, path, request.send().await).await
}

/// A request without a body (PUT/DELETE /follow), with an optional bearer token.
pub async fn send_empty(
    app: &TestApp,
    method: poem::http::Method,
    path: &str,
    token: Option<&str>,
) -> Reply {
    let mut request = app.client.request(method.clone(), path);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    Reply::checked(&method, path, request.send().await).await
}
