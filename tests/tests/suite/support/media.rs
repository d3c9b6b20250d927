//! Requests whose bodies are bytes (photo uploads) and answers that may be binary (renditions).

use poem::http::Method;
use serde_json::Value;

use super::{Session, TestApp, assert_documented};

/// An answer whose body may be binary.
pub struct Raw {
    pub status: u16,
    pub headers: poem::http::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
}

pub async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Raw {
    let mut request = app.client.request(method.clone(), path);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.0;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().into_vec().await.expect("body");
    assert_documented(&method, path, status, &String::from_utf8_lossy(&bytes));
    Raw {
        status: status.as_u16(),
        headers,
        bytes,
    }
}

pub async fn upload_as(
    app: &TestApp,
    token: Option<&str>,
    content_type: &str,
    bytes: Vec<u8>,
) -> Raw {
    raw(
        app,
        Method::POST,
        "/api/v1/media",
        token,
        &[("Content-Type", content_type)],
        Some(bytes),
    )
    .await
}

/// Uploads the phone photo as `who`; it must be taken. Returns the `Media`.
pub async fn upload_photo(app: &TestApp, who: &Session) -> Value {
    let reply = upload_as(
        app,
        Some(&who.access),
        "image/jpeg",
        ::media::fixtures::phone_photo(),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    reply.json()
}
