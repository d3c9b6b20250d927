//! The GSM-7 alphabet (3GPP TS 23.038): a text made only of its characters is billed per 160
//! characters (153 in a long message), one with any other character per 70 (67). German needs
//! nothing outside it — ä ö ü Ä Ö Ü ß are in the basic table — except typography: „quotes“,
//! dashes and the ellipsis, which [`transliterate`] replaces with their plain forms.

/// The basic table (one septet each), without the escape code.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape and the character: two septets each).
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets of one message on its own, and of each part of a long one (the rest of a part
/// carries the header that joins them).
const GSM_SINGLE: usize = 160;
const GSM_PART: usize = 153;
/// The same in UCS-2 (UTF-16 code units).
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// The text with typography the GSM alphabet lacks replaced by plain characters
/// („So“ → "So", – → -, … → ...). Anything else stays as it is.
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '„' | '“' | '”' | '»' | '«' | '″' => out.push('"'),
            '‚' | '‘' | '’' | '›' | '‹' | '′' | '`' | '´' => out.push('\''),
            '–' | '—' | '‒' | '−' | '\u{2010}' | '\u{2011}' => out.push('-'),
            '…' => out.push_str("..."),
            '\u{a0}' | '\u{2009}' | '\u{202f}' | '\t' => out.push(' '),
            '\u{ad}' | '\u{200b}' => {}
            other => out.push(other),
        }
    }
    out
}

/// Septets `c` takes in GSM-7, or `None` when the alphabet does not have it.
fn septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether the whole text can be sent in GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| septets(c).is_some())
}

/// How many billed parts the text is sent as (0 for an empty text). A long message is cut
/// into parts of 153 septets (67 UTF-16 units), and a character is never split between two
/// parts (an escaped `€`, a surrogate pair), so parts are filled greedily.
pub fn segments(text: &str) -> u32 {
    let gsm: Option<Vec<usize>> = text.chars().map(septets).collect();
    let (units, single, part) = match gsm {
        Some(sizes) => (sizes, GSM_SINGLE, GSM_PART),
        None => (
            text.chars().map(char::len_utf16).collect(),
            UCS2_SINGLE,
            UCS2_PART,
        ),
    };
    let total: usize = units.iter().sum();
    let count = match total {
        0 => 0,
        n if n <= single => 1,
        _ => {
            let (mut parts, mut used) = (1, 0);
            for size in units {
                if used + size > part {
                    parts += 1;
                    used = 0;
                }
                used += size;
            }
            parts
        }
    };
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// The text cut at a word so that it fits `max_segments` parts, ending with "..." when it was
/// cut. A text that fits is returned unchanged.
pub fn fit(text: &str, max_segments: u32) -> String {
    if segments(text) <= max_segments {
        return text.to_owned();
    }
    // No more characters than the parts could hold at best: the loop below then cuts at most a
    // few words (or, for one long word, a few characters) instead of the whole text.
    let most = if max_segments <= 1 {
        GSM_SINGLE
    } else {
        GSM_PART * max_segments as usize
    };
    let mut cut: String = text.chars().take(most).collect();
    while !cut.is_empty() && segments(&format!("{cut}...")) > max_segments {
        let end = cut
            .trim_end()
            .rfind(char::is_whitespace)
            .unwrap_or_else(|| {
                // One long word: cut it by characters.
                cut.char_indices().last().map_or(0, |(i, _)| i)
            });
        cut.truncate(end);
    }
    // "geschlossen." + "..." would read as four dots.
    format!(
        "{}...",
        cut.trim_end().trim_end_matches(['.', ',', ';', ':'])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_text_is_gsm7_once_its_typography_is_plain() {
        let text = "Straßensperrung in Großörner – „Bitte beachten“ … Übermorgen!";
        assert!(!is_gsm7(text));
        let plain = transliterate(text);
        assert_eq!(
            plain,
            "Straßensperrung in Großörner - \"Bitte beachten\" ... Übermorgen!"
        );
        assert!(is_gsm7(&plain));
    }

    #[test]
    fn segments_are_counted_as_the_networks_bill_them() {
        assert_eq!(segments(""), 0);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        // The euro sign takes two septets.
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
        // One character outside the alphabet makes the whole text UCS-2.
        assert_eq!(segments(&format!("{}✓", "a".repeat(69))), 1);
        assert_eq!(segments(&format!("{}✓", "a".repeat(70))), 2);
        // An escaped € is not split between parts: 306 septets, but three parts.
        let straddling = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(segments(&straddling), 3);
    }

    #[test]
    fn a_long_text_is_cut_at_a_word_to_fit() {
        let text = "Wegen Sturm bleibt die Grundschule Rieder morgen geschlossen. ".repeat(8);
        let cut = fit(&text, 2);
        assert_eq!(segments(&cut), 2);
        assert!(cut.ends_with("...") && !cut.ends_with("...."), "{cut}");
        assert!(cut.starts_with("Wegen Sturm bleibt"), "{cut}");
        assert_eq!(fit("Kurz.", 1), "Kurz.");
        let word = "x".repeat(400);
        assert_eq!(segments(&fit(&word, 1)), 1);
        // A huge text costs no more than a short one to cut.
        let huge = "Sturmwarnung ".repeat(100_000);
        assert_eq!(segments(&fit(&huge, 2)), 2);
    }
}
