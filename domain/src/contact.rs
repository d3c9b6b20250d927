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

/// Why a number cannot receive text messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsNumberProblem {
    /// Not a dialable number (too short, letters, an emergency number …).
    NotANumber,
    /// A landline: it cannot receive an SMS (the ride desk calls instead).
    Landline,
    /// A number of a country SMS is not sent to.
    Country,
}

impl SmsNumberProblem {
    /// What a person is told, next to the phone field.
    pub fn text(self) -> crate::text::Text {
        match self {
            Self::NotANumber => crate::text::Text::new(
                "Das ist keine vollständige Handynummer, z. B. 0171 1234567.",
                "That is not a complete mobile number, e.g. 0171 1234567.",
            ),
            Self::Landline => crate::text::Text::new(
                "Das ist eine Festnetznummer: dorthin kann keine SMS gehen. Bitte eine Handynummer angeben.",
                "That is a landline number, which cannot receive text messages. Please give a mobile number.",
            ),
            Self::Country => crate::text::Text::new(
                "An Nummern dieses Landes werden keine SMS gesendet.",
                "Text messages are not sent to numbers of this country.",
            ),
        }
    }
}

/// A mobile number in E.164 (`+491711234567`), read as people write numbers here: national
/// (`0171 1234567`, `0171/1234567`), international (`+49 (0)171 1234567`, `0049-171-1234567`).
/// `countries` are the ISO 3166 codes SMS may go to (`["DE"]`); a national number is read as
/// the first one's. Numbers whose kind cannot be told from the digits (`FixedLineOrMobile`,
/// in some countries) are taken: the provider's answer is the last word.
pub fn sms_number(phone: &str, countries: &[&str]) -> Result<String, SmsNumberProblem> {
    use phonenumber::{Mode, Type as Kind, country};
    let phone = phone.trim();
    // The parser is generous with letters ("0171 CALL ME"); a number is typed in digits.
    if phone.is_empty()
        || phone.chars().count() > PHONE_MAX
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-/().".contains(c))
    {
        return Err(SmsNumberProblem::NotANumber);
    }
    let home = countries
        .first()
        .and_then(|code| code.parse::<country::Id>().ok());
    let number = phonenumber::parse(home, phone).map_err(|_| SmsNumberProblem::NotANumber)?;
    if !phonenumber::is_valid(&number) {
        return Err(SmsNumberProblem::NotANumber);
    }
    let region = number.country().id().map(|id| id.as_ref().to_owned());
    if !region.is_some_and(|region| countries.iter().any(|c| c.eq_ignore_ascii_case(&region))) {
        return Err(SmsNumberProblem::Country);
    }
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Kind::Mobile | Kind::FixedLineOrMobile => Ok(number.format().mode(Mode::E164).to_string()),
        Kind::FixedLine => Err(SmsNumberProblem::Landline),
        _ => Err(SmsNumberProblem::NotANumber),
    }
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

    #[test]
    fn a_mobile_number_is_one_e164_however_it_was_typed() {
        let de = ["DE"];
        for typed in [
            "0171 1234567",
            "+49 (0)171 1234567",
            "0049-171-1234567",
            "0171/1234567",
            "+491711234567 ",
            "(0171) 123 45 67",
        ] {
            assert_eq!(
                sms_number(typed, &de),
                Ok("+491711234567".to_owned()),
                "{typed}"
            );
        }
        // The same key for the desk's caller lookup.
        assert_eq!(phone_key("0171/1234567"), phone_key("+491711234567"));
    }

    #[test]
    fn landlines_foreign_and_broken_numbers_cannot_receive_texts() {
        let de = ["DE"];
        assert_eq!(
            sms_number("039483 1234", &de),
            Err(SmsNumberProblem::Landline)
        );
        assert_eq!(
            sms_number("030 1234567", &de),
            Err(SmsNumberProblem::Landline)
        );
        assert_eq!(
            sms_number("+43 664 1234567", &de),
            Err(SmsNumberProblem::Country)
        );
        assert_eq!(
            sms_number("+43 664 1234567", &["DE", "AT"]),
            Ok("+436641234567".to_owned())
        );
        for broken in [
            "",
            "110",
            "12345",
            "0171 12",
            "0171 CALL ME",
            "０１７１ １２３４５６７",
            &"0171 1234567 ".repeat(4),
            "+49 171 1234567; DROP TABLE",
        ] {
            assert_eq!(
                sms_number(broken, &de),
                Err(SmsNumberProblem::NotANumber),
                "{broken}"
            );
        }
    }
}
