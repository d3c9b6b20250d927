//! The one rule for a phone number and the one for an email address, wherever a person, a shop
//! or a ride gives one.

use crate::Validator;

/// Longest phone number kept (with spaces and punctuation).
pub const PHONE_MAX: usize = 40;
/// Longest email address (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;
/// The characters [`looks_like_phone`] allows, as a regular expression for the published
/// schema (the at-least-three-digits rule is said in the field's description).
pub const PHONE_PATTERN: &str = r"^\s*[0-9 +/()-]*\s*$";

/// A pragmatic check: one `@`, something before it, a dotted domain after it, no spaces. The
/// real proof of an address is a message that arrives; this catches typos.
pub fn looks_like_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= EMAIL_MAX
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// Digits with the punctuation people write numbers with (`039483 1234`, `+49 (39483) 12-34`),
/// at least three digits, at most [`PHONE_MAX`] characters after trimming. Landlines count: the
/// riders of the shuttle often have no mobile phone.
pub fn looks_like_phone(phone: &str) -> bool {
    let phone = phone.trim();
    phone.chars().count() <= PHONE_MAX
        && phone.chars().filter(char::is_ascii_digit).count() >= 3
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-/()".contains(c))
}

/// Longest [`phone_key`] (E.164 has at most 15 digits, plus a `00` prefix).
pub const PHONE_KEY_MAX: usize = 20;

/// The digits of a phone number in one canonical form, so that numbers match however they were
/// typed: "+49 39483 1234", "0049 39483-1234" and "039483/1234" all give "0394831234"; a
/// foreign number keeps its country code behind `00`. `None` for fewer than five digits (too
/// little to tell callers apart) or more than [`PHONE_KEY_MAX`].
pub fn phone_key(phone: &str) -> Option<String> {
    let phone = phone.trim();
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let international = if phone.starts_with('+') {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    let key = match international {
        Some(rest) => match rest.strip_prefix("49") {
            Some(national) => format!("0{}", national.trim_start_matches('0')),
            None => format!("00{rest}"),
        },
        None => digits,
    };
    (5..=PHONE_KEY_MAX).contains(&key.len()).then_some(key)
}

impl Validator {
    /// An optional phone number; empty or blank counts as none.
    pub fn phone(&mut self, field: &str, phone: Option<&str>) -> &mut Self {
        if let Some(phone) = phone.filter(|p| !p.trim().is_empty()) {
            self.check(
                looks_like_phone(phone),
                field,
                "Bitte eine Telefonnummer aus Ziffern (und + - / ( ) Leerzeichen) angeben.",
                "Please give a phone number of digits (and + - / ( ) spaces).",
            );
        }
        self
    }

    /// A required email address.
    pub fn email(&mut self, field: &str, email: &str) -> &mut Self {
        self.check(
            looks_like_email(email),
            field,
            "Bitte eine gültige E-Mail-Adresse angeben.",
            "Please give a valid email address.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_as_people_write_them_pass() {
        for ok in ["039483 1234", "+49 (39483) 12-34", "0171/2345678", "112"] {
            assert!(looks_like_phone(ok), "{ok}");
        }
    }

    #[test]
    fn phone_numbers_need_three_digits_and_nothing_but_punctuation() {
        for bad in ["+++", "12", "0171 abc", "0171;1", &"1".repeat(41)] {
            assert!(!looks_like_phone(bad), "{bad}");
        }
    }

    #[test]
    fn email_addresses_need_a_local_part_and_a_dotted_domain() {
        assert!(looks_like_email("anna@example.org"));
        for bad in [
            "anna",
            "@example.org",
            "anna@example",
            "anna@.org",
            "a b@example.org",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn one_key_however_the_number_was_typed() {
        let key = Some("0394831234".to_owned());
        assert_eq!(phone_key("+49 39483 1234"), key);
        assert_eq!(phone_key("0049 39483-1234"), key);
        assert_eq!(phone_key("039483/1234"), key);
        assert_eq!(phone_key(" (039483) 12 34 "), key);
        // "+49 (0) 39483 …" is written too; the bracketed zero is not part of the number.
        assert_eq!(phone_key("+49 (0)39483 1234"), key);
        assert_eq!(phone_key("+43 1 234567"), Some("00431234567".to_owned()));
        assert_eq!(phone_key("0043 1 234567"), Some("00431234567".to_owned()));
        assert_eq!(phone_key("112"), None);
        assert_eq!(phone_key(""), None);
        assert_eq!(phone_key(&"1".repeat(21)), None);
    }
}
