//! The news form's preview: a news body (CommonMark, `docs/api-guide.md`) rendered as the
//! apps are asked to render it. Raw HTML is shown as text, links keep only `https:`, `http:`,
//! `mailto:` and `tel:` addresses, and images show their description instead (no request to
//! another site from the console, and the CSP forbids them anyway).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

fn safe_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https:", "http:", "mailto:", "tel:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// The body as HTML, safe to put into a console page.
pub fn preview(markdown: &str) -> String {
    let mut dropped_links = 0usize;
    let events =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if safe_link(&dest_url) {
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }))
                } else {
                    dropped_links += 1;
                    None
                }
            }
            Event::End(TagEnd::Link) if dropped_links > 0 => {
                dropped_links -= 1;
                None
            }
            Event::Start(Tag::Image { .. }) => Some(Event::Text(CowStr::Borrowed("["))),
            Event::End(TagEnd::Image) => Some(Event::Text(CowStr::Borrowed("]"))),
            other => Some(other),
        });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::preview;

    #[test]
    fn markup_is_rendered_and_nothing_active_gets_through() {
        assert_eq!(
            preview("**Fest** am *Sonntag*"),
            "<p><strong>Fest</strong> am <em>Sonntag</em></p>\n"
        );
        let hostile = preview(
            "<script>alert(1)</script> [x](javascript:alert(1)) ![b](https://evil.example/t.png) <img src=x onerror=alert(1)>",
        );
        assert!(!hostile.contains("<script"), "{hostile}");
        assert!(!hostile.contains("<img"), "{hostile}");
        assert!(!hostile.contains("href=\"javascript"), "{hostile}");
        assert!(hostile.contains("&lt;script&gt;"), "{hostile}");
        let link = preview("[Gemeinde](https://ballenstedt.example)");
        assert!(
            link.contains("href=\"https://ballenstedt.example\""),
            "{link}"
        );
    }
}
