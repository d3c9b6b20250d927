//! The printed Aushang: a notice a village district pins up at the bus stop for the people the
//! app does not reach (issue 21; `docs/api-guide.md`, "A district's printed Aushang").
//!
//! This crate turns a plain [`Sheet`] into the bytes of an A4 PDF of at most two pages
//! ([`render`]). It knows no district, week or database: `domain::aushang` decides what is on
//! the sheet, and the HTTP layer serves the bytes. The work is split in two:
//!
//! - [`layout`] is pure: it shapes text with rustybuzz, breaks it into lines by the measured
//!   glyph advances, paginates it and trims it to two pages. Its result, a [`layout::Layout`] of
//!   positioned runs, is unit-tested without a PDF.
//! - `pdf` draws those runs with krilla, which subsets and embeds the fonts.
//!
//! The same [`Sheet`] always gives the same bytes (no timestamps, fixed metadata), so the
//! server can answer with a strong `ETag`.

mod fonts;
pub mod layout;
mod pdf;
#[cfg(feature = "poppler")]
pub mod poppler;

/// Everything printed on one Aushang, already in German and in reading order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sheet {
    /// The headline on top of the first page, e.g. "Rieder – Aushang Woche 49".
    pub title: String,
    /// The line under the title, e.g. "30.11.–06.12.2026".
    pub subtitle: String,
    /// The sections in print order (warnings, news, events, shop, ride service …). A section
    /// without items is left out.
    pub sections: Vec<Section>,
    /// Printed on every page after the page number: "Seite 1 von 2 · {footer}", e.g.
    /// "Stand 02.12.2026 · dorf.example".
    pub footer: String,
    /// Printed at the end when items had to be dropped to stay within two pages, e.g.
    /// "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt".
    pub overflow_note: String,
}

/// A headed group of items, e.g. "Warnungen" or "Termine".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// Printed at 20 pt bold, always on the same page as the first item.
    pub heading: String,
    /// Printed in order; when the sheet is too long, items are dropped from the end of the
    /// longest sections (see [`layout`]).
    pub items: Vec<Item>,
    /// Draw a 2 pt frame around the section, for warnings. Framed sections are trimmed only
    /// when no other section has an item left.
    pub framed: bool,
    /// Never trim this section, e.g. the ride service's number: on a crowded week every other
    /// section loses items first, and a sheet whose kept sections alone need more than two
    /// pages is [`AushangError::TooLong`].
    pub keep: bool,
}

/// One entry: a bold title and its lines of text, never split across pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Item {
    /// Printed at 14 pt bold; may be empty.
    pub title: String,
    /// Printed at 14 pt, each starting on a new line and wrapped at the right margin; runs of
    /// white space collapse to one space, and an empty string leaves an empty line.
    pub lines: Vec<String>,
}

/// Why no PDF could be made.
#[derive(Debug, thiserror::Error)]
pub enum AushangError {
    /// A vendored font could not be read (a broken build, never the input).
    #[error("the font {0} could not be read")]
    Font(&'static str),
    /// Even with every item dropped that may be, the title, subtitle, note and the sections to
    /// keep need more than two pages.
    #[error("the sheet does not fit on two pages even without items")]
    TooLong,
    /// krilla refused to write the document.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// Renders the sheet as an A4 PDF of one or two pages (see [`layout`] for the rules).
///
/// The result is deterministic: the same sheet gives the same bytes.
pub fn render(sheet: &Sheet) -> Result<Vec<u8>, AushangError> {
    let layout = layout::layout(sheet)?;
    pdf::write(&layout, &sheet.title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            title: "Rieder – Aushang Woche 49".to_owned(),
            subtitle: "30.11.–06.12.2026".to_owned(),
            sections: vec![Section {
                heading: "Warnungen".to_owned(),
                items: vec![Item {
                    title: "Straßensperrung in Großörner – „Bitte beachten“".to_owned(),
                    lines: vec!["Umleitung über den Mühlenweg, Kosten 0 €.".to_owned()],
                }],
                framed: true,
                keep: false,
            }],
            footer: "Stand 02.12.2026 · dorf.example".to_owned(),
            overflow_note: "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt".to_owned(),
        }
    }

    #[test]
    fn the_same_sheet_gives_the_same_bytes() {
        let first = render(&sheet()).unwrap();
        assert!(first.starts_with(b"%PDF-"));
        assert_eq!(first, render(&sheet()).unwrap());
        // …and another sheet other bytes (the id is derived from the content).
        let mut other = sheet();
        other.footer = "Stand 03.12.2026 · dorf.example".to_owned();
        assert_ne!(first, render(&other).unwrap());
    }

    #[test]
    fn no_clock_in_the_metadata() {
        let pdf = render(&sheet()).unwrap();
        let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"CreationDate") && !has(b"ModDate") && !has(b"CreateDate"));
        // The catalog names the language, so screen readers read it in German.
        assert!(has(b"/Lang(de)"));
        assert!(has(b"<dc:language><rdf:Bag><rdf:li>de</rdf:li>"));
    }
}
