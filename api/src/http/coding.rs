//! Content coding of answers (gzip), with an entity tag per coding.
//!
//! - Negotiates `gzip` or `deflate` from `Accept-Encoding`, honouring q-values; otherwise the
//!   answer goes as it is.
//! - A strong `ETag` names one representation (RFC 9110 section 8.8.3), and the gzip'd bytes
//!   are another one: they are tagged with `-gzip` before the closing quote (`-deflate` for
//!   deflate). On the way in the suffix is taken off again: from `If-Match` always (a change is
//!   checked against the resource, whichever coding its tag was read in). In `If-None-Match`
//!   a tag matches only the representation it names: a client holding the gzip'd copy that
//!   asks without gzip, or holding the plain copy and asking with gzip, gets the page in full.
//! - A handler may hand over the gzip'd form it keeps ([`PreCompressed`], the feed's kept
//!   pages): it is sent as it is instead of being compressed again for every request.
//! - An answer that already has a `Content-Encoding` (none today) passes untouched, and so do
//!   304 and 204, which have no body.
//!
//! Compressed request bodies are still read: poem's `Compression` middleware sits inside this
//! one and decompresses them; it never sees `Accept-Encoding`, so it compresses nothing.

use bytes::Bytes;
use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
    web::{Compress, CompressionAlgo, CompressionLevel},
};

/// The gzip'd form of an answer's body, put into the response's extensions by a handler that
/// keeps it (`RenderedJson`).
#[derive(Clone, Debug)]
pub struct PreCompressed(pub Bytes);

/// A content coding the server applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    const ALL: [Coding; 2] = [Coding::Gzip, Coding::Deflate];

    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    /// What its entity tags carry before the closing quote.
    fn suffix(self) -> &'static str {
        match self {
            Coding::Gzip => "-gzip",
            Coding::Deflate => "-deflate",
        }
    }

    fn algo(self) -> CompressionAlgo {
        match self {
            Coding::Gzip => CompressionAlgo::GZIP,
            Coding::Deflate => CompressionAlgo::DEFLATE,
        }
    }
}

/// The coding to apply for this `Accept-Encoding` (RFC 9110 section 12.5.3): the acceptable one
/// with the higher q-value, gzip on a tie; `*` stands for codings not named.
fn negotiate(accept_encoding: Option<&str>) -> Option<Coding> {
    let header = accept_encoding?;
    let mut named: [Option<f32>; 2] = [None, None];
    let mut any: Option<f32> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match name.as_str() {
            "gzip" | "x-gzip" => named[0] = Some(q),
            "deflate" => named[1] = Some(q),
            "*" => any = Some(q),
            _ => {}
        }
    }
    let weight = |i: usize| named[i].or(any).unwrap_or(0.0);
    let (gzip, deflate) = (weight(0), weight(1));
    if gzip > 0.0 && gzip >= deflate {
        Some(Coding::Gzip)
    } else if deflate > 0.0 {
        Some(Coding::Deflate)
    } else {
        None
    }
}

/// The tag of the coded representation: `"abc"` becomes `"abc-gzip"`.
fn tagged(etag: &str, coding: Coding) -> Option<String> {
    let open = etag.strip_suffix('"')?;
    Some(format!("{open}{}\"", coding.suffix()))
}

/// A list of tags with the codings' suffixes taken off (`"abc-gzip"` becomes `"abc"`).
fn untagged(list: &str, codings: &[Coding]) -> String {
    list.split(',')
        .map(|tag| {
            let tag = tag.trim();
            codings
                .iter()
                .find_map(|coding| {
                    tag.strip_suffix(&format!("{}\"", coding.suffix()))
                        .map(|open| format!("{open}\""))
                })
                .unwrap_or_else(|| tag.to_owned())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tags of an `If-None-Match` that name the representation in `coding`, without its
/// suffix: a tag of another coding (or of the plain body) names another representation, which
/// is not what would be sent, so it is left out (RFC 9110 section 13.1.2).
fn only_coded(list: &str, coding: Coding) -> String {
    let close = format!("{}\"", coding.suffix());
    list.split(',')
        .map(str::trim)
        .filter_map(|tag| {
            if tag == "*" {
                Some(tag.to_owned())
            } else {
                tag.strip_suffix(&close).map(|open| format!("{open}\""))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replaces a request header by `rewritten` of its value; an empty result removes it.
fn rewrite(req: &mut Request, name: header::HeaderName, rewritten: impl Fn(&str) -> String) {
    let Some(value) = req.headers().get(&name).and_then(|v| v.to_str().ok()) else {
        return;
    };
    match HeaderValue::from_str(&rewritten(value)) {
        Ok(value) if !value.is_empty() => {
            req.headers_mut().insert(name, value);
        }
        _ => {
            req.headers_mut().remove(name);
        }
    }
}

/// The middleware (see the module's documentation).
pub async fn compress<E: Endpoint>(inner: E, mut req: Request) -> Result<Response> {
    let coding = negotiate(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    req.headers_mut().remove(header::ACCEPT_ENCODING);
    rewrite(&mut req, header::IF_MATCH, |tags| {
        untagged(tags, &Coding::ALL)
    });
    if let Some(coding) = coding {
        rewrite(&mut req, header::IF_NONE_MATCH, |tags| {
            only_coded(tags, coding)
        });
    }
    let mut response = inner.call(req).await?.into_response();
    let Some(coding) = coding else {
        return Ok(response);
    };
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        return Ok(response);
    }
    if let Some(etag) = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(|etag| tagged(etag, coding))
        .and_then(|etag| HeaderValue::from_str(&etag).ok())
    {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if matches!(
        response.status(),
        StatusCode::NOT_MODIFIED | StatusCode::NO_CONTENT
    ) {
        return Ok(response);
    }
    let kept = response.extensions().get::<PreCompressed>().cloned();
    if let (Coding::Gzip, Some(PreCompressed(gzip))) = (coding, kept) {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.name()),
        );
        response.headers_mut().remove(header::CONTENT_LENGTH);
        response.set_body(gzip);
        return Ok(response);
    }
    // gzip at its fastest level: the feed page of 22 KB becomes 1.7 KB (1.5 KB at the default
    // level) at half the CPU. Brotli's fastest level is slower here and gives 2.5 KB, so it is
    // not offered; every mobile HTTP stack sends gzip (docs/benchmarks.md).
    Ok(Compress::new(response, coding.algo())
        .with_quality(CompressionLevel::Fastest)
        .into_response())
}

/// The gzip'd form of a body to keep, at the default level: done once per kept page, so the
/// smaller result is worth the time (22 KB become 1.5 KB instead of 1.7 KB).
pub fn gzip(body: &[u8]) -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 8),
        flate2::Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_chosen_unless_refused_or_outweighed() {
        assert_eq!(negotiate(Some("gzip, deflate, br")), Some(Coding::Gzip));
        assert_eq!(negotiate(Some("deflate")), Some(Coding::Deflate));
        assert_eq!(negotiate(Some("gzip;q=0, deflate")), Some(Coding::Deflate));
        assert_eq!(
            negotiate(Some("gzip;q=0.5, deflate;q=0.8")),
            Some(Coding::Deflate)
        );
        assert_eq!(negotiate(Some("*")), Some(Coding::Gzip));
        assert_eq!(negotiate(Some("*;q=0")), None);
        assert_eq!(negotiate(Some("identity")), None);
        assert_eq!(negotiate(Some("br")), None);
        assert_eq!(negotiate(None), None);
    }

    #[test]
    fn tags_carry_the_coding_and_lose_it_on_the_way_in() {
        assert_eq!(
            tagged("\"abc\"", Coding::Gzip).as_deref(),
            Some("\"abc-gzip\"")
        );
        assert_eq!(
            tagged("W/\"abc\"", Coding::Gzip).as_deref(),
            Some("W/\"abc-gzip\"")
        );
        assert_eq!(tagged("abc", Coding::Gzip), None, "not a tag");
        assert_eq!(
            untagged("\"abc-gzip\", W/\"x-deflate\", \"y\"", &Coding::ALL),
            "\"abc\", W/\"x\", \"y\""
        );
        assert_eq!(
            untagged("\"abc-gzip\"", &[Coding::Deflate]),
            "\"abc-gzip\"",
            "another coding's tag stays (and matches nothing)"
        );
        assert_eq!(untagged("*", &Coding::ALL), "*");
        assert_eq!(
            only_coded("\"abc-gzip\", \"abc\", \"x-deflate\", *", Coding::Gzip),
            "\"abc\", *",
            "only the gzip'd representation's tags, and any"
        );
        assert_eq!(only_coded("\"abc\"", Coding::Gzip), "");
    }

    #[test]
    fn a_kept_gzip_body_reads_back_as_the_body() {
        use std::io::Read;
        let body = "{\"items\":[]}".repeat(100);
        let packed = gzip(body.as_bytes());
        assert!(packed.len() < body.len() / 10, "{}", packed.len());
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, body);
    }
}
