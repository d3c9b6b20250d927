//! `ETag` and `If-None-Match` for single resources and public lists (RFC 9110 §8.8.3, §13.1.2):
//! a client on a weak connection asks "has it changed?" and gets an empty 304 when it has not.

use std::marker::PhantomData;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use bytes::Bytes;
use poem::{IntoResponse, Response};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};
use sha2::{Digest, Sha256};

/// A JSON answer with its entity tag, or 304 when the client's copy is current.
#[derive(ApiResponse)]
pub enum Cached<T: ToJSON> {
    /// The current representation. Keep the `ETag` and send it as `If-None-Match` next time.
    #[oai(status = 200)]
    Ok(
        RenderedJson<T>,
        /// Identifies this version of the representation.
        #[oai(header = "ETag")]
        String,
        /// `no-cache`: a cached copy may be used after revalidation with `If-None-Match`.
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// Unchanged since the version named in `If-None-Match`; the body is empty.
    #[oai(status = 304)]
    NotModified(
        /// Identifies the (unchanged) version.
        #[oai(header = "ETag")]
        String,
    ),
}

/// A changed resource with its new entity tag: the version to send as `If-Match` next time.
#[derive(ApiResponse)]
pub enum Versioned<T: ToJSON> {
    /// The resource as it is now.
    #[oai(status = 200)]
    Ok(
        RenderedJson<T>,
        /// Identifies this version; send it as `If-Match` with the next change.
        #[oai(header = "ETag")]
        String,
    ),
}

impl<T: ToJSON> Versioned<T> {
    pub fn of(value: &T) -> Self {
        let rendered = Rendered::of(value);
        let body = RenderedJson {
            body: rendered.body,
            gzip: None,
            schema: PhantomData,
        };
        Versioned::Ok(body, rendered.etag)
    }
}

/// The `If-Match` check handed to a rule: whether the version the caller read (its tag) is the
/// current one, rendered as `T` the way `GET` renders it.
pub fn version_check<V, T: ToJSON>(
    if_match: Option<String>,
    render: impl Fn(&V) -> T,
) -> impl Fn(&V) -> bool {
    move |current| if_match_allows(if_match.as_deref(), &etag_of(&render(current)))
}

/// A JSON representation rendered once: the exact bytes that are sent and their entity tag.
/// Cheap to clone (the bytes are shared), so a rendered page can be kept and served again.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
    /// The gzip'd body, for a representation that is kept and served many times
    /// ([`Rendered::with_gzip`]); `None`: compressed per request if the client asks.
    pub gzip: Option<Bytes>,
}

impl Rendered {
    pub fn of(value: &impl ToJSON) -> Self {
        let body = Bytes::from(value.to_json_string());
        let etag = tag_of_bytes(&body);
        Self {
            body,
            etag,
            gzip: None,
        }
    }

    /// The same for a type that also implements `serde::Serialize` with the same JSON (the
    /// feed page): written straight into the body, without the `serde_json::Value` tree that
    /// [`ToJSON`] builds first, which was a fifth of the uncached feed's time in the handler.
    /// `size_hint`: the body's expected length, so it is rarely copied while it grows. The same
    /// document as [`Rendered::of`] up to the order of an object's keys (declared, not sorted).
    pub fn of_serialized(value: &impl serde::Serialize, size_hint: usize) -> Self {
        let mut body = Vec::with_capacity(size_hint);
        // Writing into a Vec fails only for a map with non-string keys, which no answer has.
        if serde_json::to_writer(&mut body, value).is_err() {
            body.clear();
            body.extend_from_slice(b"null");
        }
        let body = Bytes::from(body);
        let etag = tag_of_bytes(&body);
        Self {
            body,
            etag,
            gzip: None,
        }
    }

    /// The same, with its gzip'd form kept beside it (`http::coding` sends that form).
    pub fn with_gzip(mut self) -> Self {
        self.gzip = Some(super::coding::gzip(&self.body));
        self
    }
}

/// A strong entity tag over exactly these bytes (SHA-256, 18 bytes, base64url).
pub fn tag_of_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..18]))
}

/// A strong entity tag over the exact JSON that is sent.
pub fn etag_of(value: &impl ToJSON) -> String {
    Rendered::of(value).etag
}

/// JSON that is already rendered (so it is serialised once, not again for the body), documented
/// in the spec exactly like `Json<T>`.
pub struct RenderedJson<T> {
    body: Bytes,
    /// Its gzip'd form, if kept ([`super::coding::PreCompressed`]).
    gzip: Option<Bytes>,
    schema: PhantomData<fn() -> T>,
}

impl<T: Type> Payload for RenderedJson<T> {
    // The same media type as `poem_openapi::payload::Json`, so the spec does not change.
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for RenderedJson<T> {
    fn into_response(self) -> Response {
        let mut response = Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(self.body);
        if let Some(gzip) = self.gzip {
            response
                .extensions_mut()
                .insert(super::coding::PreCompressed(gzip));
        }
        response
    }
}

/// Whether an `If-None-Match` header names this tag (weak comparison, `*` matches anything).
pub fn none_match_hits(if_none_match: Option<&str>, etag: &str) -> bool {
    let Some(header) = if_none_match else {
        return false;
    };
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/") == etag.trim_start_matches("W/")
    })
}

/// Whether an `If-Match` header allows a change of the version tagged `etag` (strong
/// comparison: a weak tag never matches; `*` matches any current version). No header: allowed.
pub fn if_match_allows(if_match: Option<&str>, etag: &str) -> bool {
    let Some(header) = if_match else {
        return true;
    };
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate == etag)
}

impl<T: ToJSON> Cached<T> {
    /// Answers with the value, or with 304 when `If-None-Match` names its current tag.
    pub fn respond(value: T, if_none_match: Option<&str>) -> Self {
        Self::rendered(Rendered::of(&value), if_none_match)
    }

    /// Answers with a representation of a `T` rendered before (see [`Rendered::of`]).
    pub fn rendered(rendered: Rendered, if_none_match: Option<&str>) -> Self {
        if none_match_hits(if_none_match, &rendered.etag) {
            Cached::NotModified(rendered.etag)
        } else {
            let body = RenderedJson {
                body: rendered.body,
                gzip: rendered.gzip,
                schema: PhantomData,
            };
            Cached::Ok(body, rendered.etag, "no-cache".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        let tag = "\"abc\"";
        assert!(none_match_hits(Some("\"abc\""), tag));
        assert!(none_match_hits(Some("W/\"abc\""), tag));
        assert!(none_match_hits(Some("\"x\", \"abc\""), tag));
        assert!(none_match_hits(Some("*"), tag));
        assert!(!none_match_hits(Some("\"abd\""), tag));
        assert!(!none_match_hits(None, tag));
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        let tag = "\"abc\"";
        assert!(if_match_allows(None, tag));
        assert!(if_match_allows(Some("\"abc\""), tag));
        assert!(if_match_allows(Some("\"x\", \"abc\""), tag));
        assert!(if_match_allows(Some("*"), tag));
        assert!(!if_match_allows(Some("W/\"abc\""), tag));
        assert!(!if_match_allows(Some("\"abd\""), tag));
    }
}
