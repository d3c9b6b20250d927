//! The console's two static files, compiled into the binary: nothing is fetched from elsewhere
//! at run time, and no build step is needed.
//!
//! Both are served under names that change with their content, so browsers may keep them for a
//! year (`immutable`); a new release with a changed file links the new name.

use std::sync::LazyLock;

use poem::{
    Response, handler,
    http::{StatusCode, header},
    web::Path,
};
use sha2::{Digest, Sha256};

/// htmx, vendored from `npm pack htmx.org@2.0.11` (see `api/console/static/VENDORED.md`).
pub const HTMX: &[u8] = include_bytes!("../../console/static/htmx-2.0.11.min.js");
pub const HTMX_FILE: &str = "htmx-2.0.11.min.js";
/// The SHA-384 of the vendored file, as a Subresource Integrity value. The unit test below
/// fails when the file and this constant disagree.
pub const HTMX_SHA384: &str =
    "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg";

pub const CSS: &str = include_str!("../../console/static/console.css");

/// `console-<10 hex digits of its SHA-256>.css`.
pub static CSS_FILE: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(CSS.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("console-{hex}.css")
});

/// `GET /console/static/{file}`.
#[handler]
pub fn static_file(Path(file): Path<String>) -> poem::Result<Response> {
    let (body, content_type) = if file == HTMX_FILE {
        (HTMX.to_vec(), "text/javascript; charset=utf-8")
    } else if file == *CSS_FILE {
        (CSS.as_bytes().to_vec(), "text/css; charset=utf-8")
    } else {
        return Err(poem::Error::from_status(StatusCode::NOT_FOUND));
    };
    Ok(Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(body))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::Sha384;

    use super::*;

    #[test]
    fn vendored_htmx_is_the_pinned_file() {
        let digest = Sha384::digest(HTMX);
        let sri = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        assert_eq!(
            sri, HTMX_SHA384,
            "update VENDORED.md and HTMX_SHA384 together"
        );
    }

    #[test]
    fn the_stylesheet_loads_nothing_from_elsewhere() {
        assert!(!CSS.contains("url("), "no fonts or images from anywhere");
        assert!(!CSS.contains("@import"));
    }
}
