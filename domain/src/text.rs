//! Texts a person reads, in German (the default) and English, and the field errors that carry
//! them. The HTTP edge picks the language; the rules only ever build both.

use std::borrow::Cow;

/// The months in German, January first: one list for every text that names a month (the
/// console's dates, the SMS budget's notice).
pub const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// A text a person reads, in German (the default) and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub de: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Text {
    pub fn new(de: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        Self {
            de: de.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::De => &self.de,
            Lang::En => &self.en,
        }
    }
}

/// The language of texts in an answer, negotiated from `Accept-Language`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    /// Picks German or English from an `Accept-Language` header (RFC 9110 §12.5.4), honouring
    /// q-values; anything else falls back to German, the residents' language.
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let Some(header) = accept_language else {
            return Lang::De;
        };
        let mut best: Option<(f32, Lang)> = None;
        for entry in header.split(',') {
            let mut parts = entry.trim().split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("de") => Lang::De,
                Some("en") => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::De, |(_, lang)| lang)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }
}

/// One field that failed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field, e.g. `name` or `opening_hours[2].closes`.
    pub field: String,
    pub message: Text,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: Text) -> Self {
        Self {
            field: field.into(),
            message,
        }
    }
}

/// Shorthand for field validation messages.
pub fn field(field: impl Into<String>, de: &'static str, en: &'static str) -> FieldError {
    FieldError::new(field, Text::new(de, en))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_quality_known_language() {
        assert_eq!(Lang::negotiate(None), Lang::De);
        assert_eq!(Lang::negotiate(Some("en")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr-FR, en;q=0.5, de;q=0.8")), Lang::De);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::De);
        assert_eq!(Lang::negotiate(Some("en;q=0")), Lang::De);
        assert_eq!(Lang::negotiate(Some(";;;,,q=")), Lang::De);
    }
}

/// What every text a person sends is made into before any rule sees it: Unicode NFC (so that
/// "ä" typed two ways is one text), without control characters (line breaks and tabs stay:
/// a news body has paragraphs), without bidirectional overrides and isolates (which make a
/// push read differently from what was written), and empty when nothing visible is left (a
/// title of only zero-width spaces is no title). Zero-width joiners inside a text stay: emoji
/// like 👨‍👩‍👧 are built with them.
pub fn clean(input: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let cleaned: String = input
        .replace("\r\n", "\n")
        .nfc()
        .filter(|c| match c {
            '\n' | '\t' => true,
            c if c.is_control() => false,
            // Bidi embeddings, overrides and isolates, and the marks outside a text's words.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => false,
            '\u{061C}' => false,
            _ => true,
        })
        .collect();
    let invisible = |c: char| {
        c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    };
    if cleaned.chars().all(invisible) {
        String::new()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod cleaning {
    use super::clean;

    #[test]
    fn texts_are_normalised_and_cleaned_but_keep_their_lines_and_emoji() {
        // "a" + combining diaeresis becomes the one character "ä".
        assert_eq!(clean("Ba\u{0308}ckerei"), "Bäckerei");
        assert_eq!(
            clean("Zeile 1\r\nZeile 2\n\n\tEingerückt"),
            "Zeile 1\nZeile 2\n\n\tEingerückt"
        );
        assert_eq!(
            clean("Sturm\u{0007}warnung\u{001B}[31m"),
            "Sturmwarnung[31m"
        );
        assert_eq!(clean("Preis: \u{202E}0001\u{202C} €"), "Preis: 0001 €");
        assert_eq!(clean("\u{2067}abc\u{2069}"), "abc");
        assert_eq!(clean("\u{200B}\u{200B} \u{FEFF}"), "");
        assert_eq!(
            clean("Familie 👨\u{200D}👩\u{200D}👧"),
            "Familie 👨\u{200D}👩\u{200D}👧"
        );
        assert_eq!(clean("\u{0085}x\u{009F}"), "x");
    }
}
