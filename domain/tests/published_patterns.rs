//! The spec publishes some rules as regular expressions (issue 15: constraints from one
//! source). Each must agree with the function the server validates with, on text a person
//! might type: a client that checks a form with the pattern never refuses what the server
//! takes, and (where the pattern is exact) never passes what the server refuses.

use domain::{aushang, contact, districts, shops, shops::opening_hours};
use regex::Regex;

/// `exact`: the pattern accepts exactly what the rule accepts; otherwise the pattern is
/// only a necessary condition (everything the rule accepts matches it).
fn agree(pattern: &str, rule: impl Fn(&str) -> bool, samples: &[&str], exact: bool) {
    let regex = Regex::new(pattern).unwrap();
    for sample in samples {
        let (by_rule, by_pattern) = (rule(sample), regex.is_match(sample));
        if exact {
            assert_eq!(by_rule, by_pattern, "{pattern} on {sample:?}");
        } else if by_rule {
            assert!(
                by_pattern,
                "{pattern} refuses {sample:?}, which the rule takes"
            );
        }
    }
}

#[test]
fn slugs() {
    agree(
        districts::SLUG_PATTERN,
        districts::is_valid_slug,
        &[
            "rieder",
            "bad-suderode",
            "ot-2",
            "",
            "-a",
            "a-",
            "a--b",
            "Rieder",
            "ä",
            "a b",
            "a_b",
        ],
        true,
    );
}

#[test]
fn times() {
    let samples = [
        "00:00", "07:30", "23:59", "24:00", "24:01", "7:30", "07:3", "0730", "25:00", "12:60",
        "ab:cd", " 07:30", "07:30 ", "",
    ];
    agree(
        opening_hours::TIME_PATTERN,
        |s| opening_hours::parse_time(s, false).is_some(),
        &samples,
        true,
    );
    agree(
        opening_hours::CLOSING_TIME_PATTERN,
        |s| opening_hours::parse_time(s, true).is_some(),
        &samples,
        true,
    );
}

#[test]
fn phones() {
    agree(
        contact::PHONE_PATTERN,
        contact::looks_like_phone,
        &[
            "039483 1234",
            "\t039483 1234\n",
            "+49 (39483) 12-34",
            "0171/123456",
            "12",
            "0391 abc",
            "",
            "☎ 110",
        ],
        false,
    );
}

#[test]
fn websites() {
    agree(
        shops::WEBSITE_PATTERN,
        |s| s.trim().is_empty() || shops::looks_like_website(s),
        &[
            "https://laden.example",
            "http://laden.example/a?b=c",
            " https://laden.example ",
            "",
            "laden.example",
            "ftp://laden.example",
            "https://laden example",
        ],
        true,
    );
}

#[test]
fn weeks() {
    // Not exact: `2025-W53` has the form but not the existence (2025 has 52 weeks).
    agree(
        aushang::WEEK_PATTERN,
        |s| aushang::Week::parse(s).is_some(),
        &[
            "2026-W49",
            "2026-W01",
            "2026-W53",
            "2025-W53",
            "2026-W54",
            "2026-W00",
            "2026-49",
            "2026-w49",
            "26-W49",
            "2026-W049",
            "2026-W4",
            " 2026-W49",
            "2026-W49 ",
            "",
            "２０２６-W49",
            "+202-W49",
            "0000-W01",
            "9999-W52",
        ],
        false,
    );
    // Everything else the pattern takes, the rule takes too.
    let regex = regex::Regex::new(aushang::WEEK_PATTERN).unwrap();
    for sample in ["2026-W49", "2027-W01", "2026-W53", "2020-W53"] {
        assert!(regex.is_match(sample) && aushang::Week::parse(sample).is_some());
    }
}
