//! The edge: what every request passes on its way in and every answer on its way out.
//!
//! - [`observe`]: request id (generated, or echoed when the client sent a sane one), a tracing
//!   span that carries it into every log line of the request, Prometheus metrics by route
//!   template, one access-log line, `X-Request-Id` on the answer.
//! - [`problems`]: turns every error — ours and the framework's own (unknown path, wrong method,
//!   unreadable JSON, missing token, body too large, wrong media type, a panic) — into RFC 9457
//!   `application/problem+json` in the caller's language.
//! - [`readable_idempotency_key`]: refuses an `Idempotency-Key` the handlers could not read.
//! - [`limit_body`]: refuses bodies larger than the configured limit, whether or not the client
//!   announced the length.

use std::time::Instant;

use poem::{
    Endpoint, IntoResponse, PathPattern, Request, Response, Result,
    error::{MethodNotAllowedError, NotFoundError, ReadBodyError},
    http::{HeaderValue, header},
};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode, FieldError, Lang, PendingProblem, Text};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the current request, available to handlers as request data.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// A client-sent id is echoed only when it is short printable ASCII, so that it cannot break
/// log lines or headers.
fn acceptable_client_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b));
    ok.then(|| text.to_owned())
}

/// Outermost layer: request id, span, metrics, access log.
pub async fn observe<E: Endpoint>(inner: E, mut req: Request) -> Result<Response> {
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(acceptable_client_id)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        path = %req.uri().path(),
    );
    let started = Instant::now();
    let mut response = match inner.call(req).instrument(span.clone()).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    let elapsed = started.elapsed();
    let status = response.status();
    // Route templates (`/api/v1/districts/:id`), never raw paths: metrics must not grow with
    // every id that is requested.
    let route = response
        .data::<PathPattern>()
        .filter(|p| !p.0.is_empty())
        .map_or_else(|| "unmatched".to_owned(), |p| spec_template(&p.0).0);
    metrics::counter!(
        "http_requests_total",
        "method" => method.to_string(),
        "route" => route.clone(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method.to_string(),
        "route" => route.clone()
    )
    .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            route = %route,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// A path of the spec: its template, its parameter names, its methods (`GET`, `POST`, …).
#[derive(Clone, Debug)]
struct SpecPath {
    template: String,
    params: Vec<String>,
    methods: Vec<String>,
    /// The methods whose operation takes an `Idempotency-Key` header.
    idempotent_methods: Vec<String>,
}

/// Paths of the spec by their shape, e.g. `/api/v1/districts/{}` → `/api/v1/districts/{id}`.
static SPEC_TEMPLATES: std::sync::OnceLock<std::collections::HashMap<String, SpecPath>> =
    std::sync::OnceLock::new();

fn shape_of(path: &str, is_param: impl Fn(&str) -> bool) -> String {
    path.split('/')
        .map(|segment| if is_param(segment) { "{}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// The spec's template and parameter names for a route pattern as poem matched it
/// (`/api/v1/districts/:param0`); the pattern itself when the spec does not know it.
fn spec_paths() -> &'static std::collections::HashMap<String, SpecPath> {
    SPEC_TEMPLATES.get_or_init(|| {
        let spec: serde_json::Value =
            serde_json::from_str(&crate::api_service().spec()).unwrap_or_default();
        spec["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(template, operations)| {
                let params = template
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                    .map(str::to_owned)
                    .collect();
                let methods = operations
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(method, _)| method.to_ascii_uppercase())
                    .collect();
                let idempotent_methods = operations
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, operation)| {
                        operation["parameters"]
                            .as_array()
                            .is_some_and(|parameters| {
                                parameters.iter().any(|p| p["name"] == "Idempotency-Key")
                            })
                    })
                    .map(|(method, _)| method.to_ascii_uppercase())
                    .collect();
                (
                    shape_of(template, |s| s.starts_with('{')),
                    SpecPath {
                        template: template.clone(),
                        params,
                        methods,
                        idempotent_methods,
                    },
                )
            })
            .collect()
    })
}

fn spec_template(pattern: &str) -> (String, Vec<String>) {
    spec_paths()
        .get(&shape_of(pattern, |s| s.starts_with(':')))
        .map(|path| (path.template.clone(), path.params.clone()))
        .unwrap_or_else(|| (pattern.to_owned(), Vec::new()))
}

/// The spec's path that a request path fits.
fn spec_path_of(path: &str) -> Option<&'static SpecPath> {
    let segments: Vec<&str> = path.split('/').collect();
    spec_paths().iter().find_map(|(shape, spec)| {
        let shape: Vec<&str> = shape.split('/').collect();
        let fits = shape.len() == segments.len()
            && shape
                .iter()
                .zip(&segments)
                .all(|(want, got)| *want == "{}" || want == got);
        fits.then_some(spec)
    })
}

/// The methods the spec offers at a request path, for the `Allow` header of a 405 (RFC 9110
/// section 15.5.6 requires it).
fn allowed_methods(path: &str) -> Option<String> {
    spec_path_of(path).map(|spec| spec.methods.join(", "))
}

/// `Vary: Accept-Encoding` on every answer: the body may come gzip-compressed or not
/// depending on that header, and a shared cache must not hand the compressed form to a client
/// that did not ask for it. A photo's file is sent as it is: WebP and JPEG are compressed
/// already, so gzip would cost CPU for nothing and drop its `Content-Length`.
pub async fn vary_on_encoding<E: Endpoint>(inner: E, mut req: Request) -> Result<Response> {
    if super::media::is_rendition_path(req.uri().path()) {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
        return Ok(inner.call(req).await?.into_response());
    }
    let mut response = inner.call(req).await?.into_response();
    let headers = response.headers_mut();
    let varies = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding") || name.trim() == "*");
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    Ok(response)
}

/// Headers every API answer carries: nothing the API sends is to be sniffed into another type
/// (a JSON body read as HTML), framed by another site, or leak its address in a `Referer`.
/// The console sets its own, stricter set (`console::edge`).
pub async fn api_headers<E: Endpoint>(inner: E, req: Request) -> Result<Response> {
    let mut response = inner.call(req).await?.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", "frame-ancestors 'none'"),
    ] {
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(response)
}

/// Turns every error answer into problem+json in the negotiated language.
pub async fn problems<E: Endpoint>(inner: E, req: Request) -> Result<Response> {
    let lang = Lang::negotiate(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let request_id = req.data::<RequestId>().map(|id| id.0.clone());
    let path = req.uri().path().to_owned();
    let mut response = match inner.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) if err.data::<PendingProblem>().is_some() => err.into_response(),
        Err(err) => {
            let pattern = err.data::<PathPattern>().cloned();
            let mut response = api_error_from_poem(&err).into_response();
            if let Some(pattern) = pattern {
                response.set_data(pattern);
            }
            response
        }
    };
    if response.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::ALLOW)
        && let Some(allow) = allowed_methods(&path)
        && let Ok(value) = HeaderValue::from_str(&allow)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    let open311 = path.starts_with("/open311/");
    Ok(finish(response, lang, request_id.as_deref(), open311))
}

/// Renders the final problem body; leaves successful answers untouched.
/// `open311`: the answer of a path under `/open311/`, rendered in Open311's error shape.
fn finish(mut response: Response, lang: Lang, request_id: Option<&str>, open311: bool) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match response.data::<PendingProblem>() {
        Some(pending) => pending.0.clone(),
        // An error answer that is not ours yet (a panic caught as a bare 500, for example).
        None => std::sync::Arc::new(ApiError::of(ErrorCode::from_status(status))),
    };
    if error.code == ErrorCode::Internal || error.internal.is_some() {
        tracing::error!(
            code = error.code.as_str(),
            cause = error.internal.as_deref().unwrap_or("unknown"),
            "request failed"
        );
    }
    let mut rendered = if open311 {
        error.render_open311(lang)
    } else {
        error.render(lang, request_id)
    };
    // Keep what outer layers rely on (route template for metrics, `Allow`, CORS headers).
    if let Some(pattern) = response.data::<PathPattern>().cloned() {
        rendered.set_data(pattern);
    }
    for name in [
        header::ALLOW,
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::VARY,
    ] {
        if let Some(value) = response.headers().get(&name).cloned() {
            rendered.headers_mut().insert(name, value);
        }
    }
    // A status the code does not imply (e.g. 411 from a client) keeps its status.
    if !open311 && rendered.status() != status && error.code == ErrorCode::from_status(status) {
        rendered.set_status(status);
    }
    response = rendered;
    response
}

/// Maps the framework's own errors to ours.
pub fn api_error_from_poem(err: &poem::Error) -> ApiError {
    // An `ApiError` that travelled as a `poem::Error` (the caller extractor's 401) keeps its
    // own code and text.
    if let Some(pending) = err.data::<PendingProblem>() {
        return (*pending.0).clone();
    }
    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        return payload_error(&e.reason);
    }
    let bad_parameter = err
        .downcast_ref::<ParseParamError>()
        .map(|e| (e.name, e.reason.as_str()))
        .or_else(|| {
            err.downcast_ref::<ParsePathError>()
                .map(|e| (e.name, e.reason.as_str()))
        });
    if let Some((name, reason)) = bad_parameter {
        // poem-openapi names path parameters `param0`, `param1`… internally; say the name
        // the spec uses.
        let name = err
            .data::<PathPattern>()
            .and_then(|p| {
                let index: usize = name.strip_prefix("param")?.parse().ok()?;
                spec_template(&p.0).1.get(index).cloned()
            })
            .unwrap_or_else(|| name.to_owned());
        return ApiError {
            errors: vec![FieldError::new(
                name.clone(),
                Text::new(
                    format!("Ungültiger Wert: {reason}"),
                    format!("Invalid value: {reason}"),
                ),
            )],
            ..ApiError::new(
                ErrorCode::BadRequest,
                Text::new(
                    format!("Der Parameter „{name}“ ist ungültig."),
                    format!("The parameter `{name}` is invalid."),
                ),
            )
        };
    }
    if err.is::<ContentTypeError>() {
        return ApiError::of(ErrorCode::UnsupportedMediaType);
    }
    if err.is::<AuthorizationError>() {
        return ApiError::of(ErrorCode::Unauthorized);
    }
    if err.is::<NotFoundError>() {
        return ApiError::of(ErrorCode::NotFound);
    }
    if err.is::<MethodNotAllowedError>() {
        return ApiError::of(ErrorCode::MethodNotAllowed);
    }
    if let Some(ReadBodyError::PayloadTooLarge) = err.downcast_ref::<ReadBodyError>() {
        return ApiError::of(ErrorCode::PayloadTooLarge);
    }
    let code = ErrorCode::from_status(err.status());
    if code == ErrorCode::Internal {
        return ApiError::internal(err);
    }
    ApiError::of(code)
}

/// A body that poem-openapi's own `Json<T>` could not read. Our operations take
/// [`super::body::JsonBody`], which names the field at fault; this is the fallback.
fn payload_error(reason: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BadRequest,
        Text::new(
            format!("Der Inhalt der Anfrage ist kein gültiges JSON für diese Operation: {reason}"),
            format!("The request body is not valid JSON for this operation: {reason}"),
        ),
    )
}

/// An `Idempotency-Key` that is not visible ASCII is refused with 422: poem-openapi's header
/// extractor would drop it silently, and the request would run without the protection the
/// client asked for (a retried booking booked twice).
pub async fn readable_idempotency_key<E: Endpoint>(inner: E, req: Request) -> Result<Response> {
    let unreadable = req
        .headers()
        .get_all("idempotency-key")
        .iter()
        .any(|value| value.to_str().is_err())
        && spec_path_of(req.uri().path()).is_some_and(|spec| {
            spec.idempotent_methods
                .iter()
                .any(|method| method == req.method().as_str())
        });
    if unreadable {
        return Err(ApiError::validation(vec![crate::error::field(
            "Idempotency-Key",
            "Der Schlüssel darf nur sichtbare ASCII-Zeichen enthalten (z. B. eine UUID).",
            "The key may hold visible ASCII characters only (e.g. a UUID).",
        )])
        .into());
    }
    inner.call(req).await.map(IntoResponse::into_response)
}

/// Reads the whole body up to `limit` bytes, so that handlers never see more.
/// The largest bodies accepted: photo uploads may be larger than everything else.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub default: usize,
    /// For the requests `is_upload` names only.
    pub upload: usize,
    /// Which requests carry a photo (`POST /api/v1/media`, the console's photo form).
    pub is_upload: fn(&Request) -> bool,
}

pub async fn limit_body<E: Endpoint>(
    inner: E,
    mut req: Request,
    limits: BodyLimits,
) -> Result<Response> {
    let is_upload = (limits.is_upload)(&req);
    let limit = if is_upload {
        limits.upload
    } else {
        limits.default
    };
    if is_upload && !req.headers().contains_key(header::CONTENT_TYPE) {
        // A photo is recognised by its bytes; a client that names no type (some phone HTTP
        // stacks send raw bodies without one) must not be told to send JSON.
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
    let too_large = || {
        if is_upload {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                domain::media::too_large(limits.upload),
            )
        } else {
            ApiError::of(ErrorCode::PayloadTooLarge)
        }
    };
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > limit as u64) {
        return Err(too_large().into());
    }
    let body = req.take_body();
    let bytes = body
        .into_bytes_limit(limit)
        .await
        .map_err(|err| match err {
            ReadBodyError::PayloadTooLarge => too_large(),
            other => ApiError::new(
                ErrorCode::BadRequest,
                Text::new(
                    format!("Der Inhalt der Anfrage konnte nicht gelesen werden: {other}"),
                    format!("The request body could not be read: {other}"),
                ),
            ),
        })?;
    req.set_body(bytes);
    inner.call(req).await.map(IntoResponse::into_response)
}

/// The `transform` of every operation whose answers carry tokens or personal data (addresses,
/// phone numbers, devices, the inbox): `Cache-Control: no-store`, so that no cache on the way
/// keeps them (RFC 9111 §5.2.2.5, RFC 6749 §5.1). Declared per operation, next to its path, so a
/// new operation cannot fall through a list of path prefixes.
pub fn no_store<E: Endpoint + 'static>(endpoint: E) -> impl Endpoint + 'static {
    poem::EndpointExt::with(
        endpoint,
        poem::middleware::SetHeader::new()
            .overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    )
}
