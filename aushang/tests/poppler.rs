//! The rendered PDF as a reader sees it, checked with poppler-utils (`pdftotext`, `pdffonts`,
//! `pdfinfo`, `pdftoppm`). These tools are not on every machine, so the tests run only with
//! `DORFAPP_TEST_POPPLER=1` and pass with "skipped" otherwise. The PDFs and PNGs are left in
//! `target/aushang/` for a human look.

use std::path::{Path, PathBuf};

use aushang::poppler::{assert_in_order, check, enabled};
use aushang::{Item, Section, Sheet, render};

/// `target/aushang/`, wherever the target directory is.
fn out_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("aushang")
}

fn item(title: &str, lines: &[&str]) -> Item {
    Item {
        title: title.to_owned(),
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
    }
}

fn section(heading: &str, items: Vec<Item>, framed: bool) -> Section {
    Section {
        heading: heading.to_owned(),
        items,
        framed,
        keep: false,
    }
}

const TITLE: &str = "Rieder – Aushang Woche 49";

/// A quiet week in Rieder as `domain::aushang` would fill it: one page.
fn week() -> Sheet {
    Sheet {
        title: TITLE.to_owned(),
        subtitle: "30.11.–06.12.2026".to_owned(),
        sections: vec![
            section(
                "Warnungen",
                vec![item(
                    "Straßensperrung in Großörner – „Bitte beachten“",
                    &["Die Hauptstraße ist bis Mittwoch gesperrt. Umleitung über den Mühlenweg."],
                )],
                true,
            ),
            section(
                "Nachrichten",
                vec![
                    item(
                        "Weihnachtsmarkt am Dorfgemeinschaftshaus",
                        &[
                            "Am Samstag ab 14 Uhr: Glühwein, Waffeln und der Posaunenchor. \
                           Der Erlös geht an die Jugendfeuerwehr.",
                        ],
                    ),
                    item(
                        "Neue Öffnungszeiten der Bücherei",
                        &["Donnerstags 15–18 Uhr, Ausleihe kostenlos."],
                    ),
                ],
                false,
            ),
            section(
                "Termine",
                vec![
                    item("Di 01.12. · 19:00", &["Gemeinderatssitzung, Gemeindeamt"]),
                    item(
                        "So 06.12. · 10:00",
                        &["Gottesdienst zum 2. Advent, St. Ägidius"],
                    ),
                ],
                false,
            ),
            section(
                "Dorfladen",
                vec![item(
                    "Dorfladen Rieder, Hauptstraße 12",
                    &[
                        "Mo–Fr 8–12 und 15–18 · Sa 8–11",
                        "Weihnachtsgänse bitte bis 15.12. bestellen: 12,90 € je kg.",
                    ],
                )],
                false,
            ),
            Section {
                keep: true,
                ..section(
                    "Fahrdienst",
                    vec![item(
                        "Fahrt bestellen: 039483 1234",
                        &["Mo–Fr 8–16 Uhr, auch für Arztbesuche."],
                    )],
                    false,
                )
            },
        ],
        footer: "Stand 02.12.2026 · dorf.example".to_owned(),
        overflow_note: "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt".to_owned(),
    }
}

/// A week with far too much on it: it must be trimmed to two pages.
fn crowded_week() -> Sheet {
    let mut sheet = week();
    let news: Vec<Item> = (1..=12)
        .map(|n| Item {
            title: format!("Nachricht {n}: Müllabfuhr und Straßenreinigung"),
            lines: vec![
                "Die Tonnen bitte am Vorabend an die Straße stellen; bei Glätte \
                             räumt der Bauhof zuerst die Wege zur Schule und zum Arzt."
                    .to_owned(),
            ],
        })
        .collect();
    let events: Vec<Item> = (1..=30)
        .map(|n| {
            item(
                &format!("Termin {n} · 19:00"),
                &["Übungsabend der Freiwilligen Feuerwehr"],
            )
        })
        .collect();
    sheet.sections[1].items = news;
    sheet.sections[2].items = events;
    sheet
}

#[test]
fn a_week_in_rieder_reads_right() {
    if !enabled() {
        return;
    }
    let text = check(&out_dir(), "week", &render(&week()).unwrap(), 1, TITLE);
    assert_in_order(
        &text,
        &[
            "Rieder – Aushang Woche 49",
            "30.11.–06.12.2026",
            "Warnungen",
            "Straßensperrung in Großörner – „Bitte beachten“",
            "Mühlenweg",
            "Nachrichten",
            "Weihnachtsmarkt am Dorfgemeinschaftshaus",
            "Neue Öffnungszeiten der Bücherei",
            "Termine",
            "Di 01.12. · 19:00",
            "St. Ägidius",
            "Dorfladen",
            "Mo–Fr 8–12 und 15–18 · Sa 8–11",
            "12,90 € je kg",
            "Fahrdienst",
            "Fahrt bestellen: 039483 1234",
            "Seite 1 von 1 · Stand 02.12.2026 · dorf.example",
        ],
    );
    assert!(
        !text.contains("Weitere Termine"),
        "nothing was dropped, so no note"
    );
}

#[test]
fn a_crowded_week_is_trimmed_to_two_pages() {
    if !enabled() {
        return;
    }
    let text = check(
        &out_dir(),
        "crowded-week",
        &render(&crowded_week()).unwrap(),
        2,
        TITLE,
    );
    assert_in_order(
        &text,
        &[
            "Rieder – Aushang Woche 49",
            "Straßensperrung in Großörner – „Bitte beachten“",
            "Nachricht 1: Müllabfuhr",
            "Termin 1 · 19:00",
            "Fahrt bestellen: 039483 1234",
            "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt",
            "Seite 2 von 2 · Stand 02.12.2026 · dorf.example",
        ],
    );
    assert_in_order(
        &text,
        &["Seite 1 von 2 · Stand 02.12.2026", "Seite 2 von 2"],
    );
    // The last events went first.
    assert!(!text.contains("Termin 30 "), "{text}");
}
