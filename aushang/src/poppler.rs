//! Reading a rendered Aushang back as a reader sees it, with poppler-utils (`pdftotext`,
//! `pdffonts`, `pdfinfo`, `pdftoppm`): for tests only (feature `poppler`), shared by this crate's
//! `tests/poppler.rs` and the black-box suite, which checks the PDF the server answers with.
//!
//! The tools are not on every machine, so callers ask [`enabled`] first: the checks run only
//! with `DORFAPP_TEST_POPPLER=1` (`.ci/run` installs poppler-utils and sets it). Every check
//! panics with what it saw, as a test assertion does.

use std::path::Path;
use std::process::Command;

/// Whether the poppler checks are to run (`DORFAPP_TEST_POPPLER=1`); says "skipped" otherwise.
pub fn enabled() -> bool {
    if std::env::var("DORFAPP_TEST_POPPLER").as_deref() == Ok("1") {
        true
    } else {
        println!("skipped: set DORFAPP_TEST_POPPLER=1 to check the PDF with poppler-utils");
        false
    }
}

/// Runs a poppler tool and returns what it printed; panics when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} could not be started (poppler-utils installed?): {e}")
        });
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler writes UTF-8")
}

/// Writes `pdf` to `dir/{name}.pdf` and checks what every Aushang must satisfy: A4, `pages`
/// pages, this `title` in the metadata, every font embedded, ink on each page and none within
/// 12 mm of an edge (the PNGs are left beside it for a human look). Returns `pdftotext -layout`
/// with runs of white space collapsed to one space.
pub fn check(dir: &Path, name: &str, pdf: &[u8], pages: usize, title: &str) -> String {
    std::fs::create_dir_all(dir).expect("the output directory");
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("the PDF is written");
    let file = path.to_str().expect("a UTF-8 path");

    let info = run("pdfinfo", &[file]);
    assert!(info.contains("595 x 842 pts (A4)"), "{info}");
    assert!(
        info.contains(&format!("Pages:           {pages}\n")),
        "{info}"
    );
    assert!(
        info.contains(&format!("Title:           {title}\n")),
        "{info}"
    );

    // Every font embedded (subset), none taken from the reader's machine.
    let fonts = run("pdffonts", &[file]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        // name type encoding emb sub uni object ID: `emb` is fifth from the end.
        assert_eq!(columns[columns.len() - 5], "yes", "not embedded: {row}");
        assert!(row.contains("DejaVuSans"), "{row}");
    }

    let prefix = dir.join(name);
    let prefix = prefix.to_str().expect("a UTF-8 path");
    run("pdftoppm", &["-r", "50", "-gray", "-png", file, prefix]);
    run("pdftoppm", &["-r", "50", "-gray", file, prefix]);
    for page in 1..=pages {
        let pgm = std::fs::read(format!("{prefix}-{page}.pgm")).expect("pdftoppm's page");
        check_ink(&pgm, 50.0, &format!("{name} page {page}"));
    }

    let text = run("pdftotext", &["-layout", file, "-"]);
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a binary PGM (`P5`, 8 bit) and checks it is not blank and has no ink near the edges.
pub fn check_ink(pgm: &[u8], dpi: f32, what: &str) {
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while pgm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let start = pos;
        while !pgm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..pos]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (width, height): (usize, usize) = (
        fields[1].parse().expect("a width"),
        fields[2].parse().expect("a height"),
    );
    assert_eq!(fields[3], "255");
    let pixels = &pgm[pos + 1..];
    assert_eq!(pixels.len(), width * height);

    let edge = (12.0 / 25.4 * dpi).round() as usize;
    let mut inked = 0;
    for y in 0..height {
        for x in 0..width {
            if pixels[y * width + x] < 160 {
                inked += 1;
                assert!(
                    x >= edge && y >= edge && x < width - edge && y < height - edge,
                    "{what}: ink at ({x}, {y}) within 12 mm of the edge"
                );
            }
        }
    }
    assert!(inked > 1000, "{what} is blank ({inked} dark pixels)");
}

/// Asserts that `needles` appear in `text` in this order.
#[track_caller]
pub fn assert_in_order(text: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match text[from..].find(needle) {
            Some(at) => from += at + needle.len(),
            None => panic!("{needle:?} missing or out of order in:\n{text}"),
        }
    }
}
