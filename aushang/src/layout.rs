//! Measuring, line breaking and pagination: a [`Sheet`] becomes pages of positioned runs.
//!
//! Pure (no I/O, no PDF), so every rule below is unit-tested on numbers.
//!
//! **Page.** A4 portrait (595 × 842 pt), 18 mm margins, black on white. Title 28 pt bold,
//! subtitle 16 pt, headings 20 pt bold, item titles 14 pt bold, text 14 pt, footer 12 pt;
//! nothing is smaller than 12 pt, and every line is 1.3 times its font size high.
//!
//! **Lines.** Ragged right, no hyphenation. Words are added to a line while the line, shaped as
//! a whole with rustybuzz, still fits; the width that decides is the width that is drawn. A word
//! wider than the line on its own is cut between characters (never before a combining mark).
//!
//! **Pages.** A heading never ends a page: it moves with its section's first item. An item is
//! never split: it moves whole to the next page, unless it is taller than a whole page, where it
//! is cut between lines rather than lost. A framed section (warnings) draws its frame on every
//! page it reaches. Each page ends with the footer "Seite 1 von 2 · {footer}".
//!
//! **Two pages at most.** While the sheet needs more, the last item of the longest section is
//! dropped (on a tie, of the later section; framed sections only when no other item is left;
//! a section marked [`Section::keep`] never), and the sheet is laid out again with
//! [`Sheet::overflow_note`] at the end. For the Aushang this drops events first, until they are
//! as few as the news, then both in turn, and never the ride service's number.

use std::ops::Range;

use rustybuzz::{Direction, Face, UnicodeBuffer};

use crate::{AushangError, Item, Section, Sheet, fonts};

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;
/// A4 portrait in PDF points, as `pdfinfo` reports it.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
/// White space on every side; nothing is drawn closer to the edge.
pub const MARGIN: f32 = 18.0 * MM;
/// The width lines are broken at, outside a frame.
pub const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
pub const MAX_PAGES: usize = 2;

pub const TITLE_SIZE: f32 = 28.0;
pub const SUBTITLE_SIZE: f32 = 16.0;
pub const HEADING_SIZE: f32 = 20.0;
pub const ITEM_TITLE_SIZE: f32 = 14.0;
pub const BODY_SIZE: f32 = 14.0;
pub const FOOTER_SIZE: f32 = 12.0;
/// Line height as a multiple of the font size.
pub const LINE_HEIGHT: f32 = 1.3;

/// The frame around a framed section: its stroke, and the white space inside it.
pub const FRAME_STROKE: f32 = 2.0;
pub const FRAME_PADDING: f32 = 8.0;
const FRAME_INSET: f32 = FRAME_STROKE + FRAME_PADDING;

/// Vertical gaps, in points: after the title block, before a section, between a heading and
/// its first item, between items, above the footer.
const TITLE_GAP: f32 = 10.0;
const SECTION_GAP: f32 = 16.0;
const HEADING_GAP: f32 = 4.0;
const ITEM_GAP: f32 = 8.0;
const FOOTER_GAP: f32 = 10.0;

/// Which of the two vendored faces a line is set in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FontKind {
    Regular,
    Bold,
}

/// One shaped glyph. Advances and offsets are in em (font units / units per em), as krilla's
/// `KrillaGlyph` takes them, so a line can be drawn at any size without shaping again.
#[derive(Clone, Debug, PartialEq)]
pub struct Glyph {
    pub id: u32,
    pub x_advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
    pub y_advance: f32,
    /// The bytes of [`Line::text`] this glyph shows (its cluster), for copy and paste.
    pub text_range: Range<usize>,
}

/// One shaped line of text, not yet placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub text: String,
    pub font: FontKind,
    pub size: f32,
    pub glyphs: Vec<Glyph>,
    /// The sum of the advances, in points.
    pub width: f32,
}

impl Line {
    fn height(&self) -> f32 {
        self.size * LINE_HEIGHT
    }
}

/// A line placed on a page: `x` is its left edge, `baseline` counts down from the page's top.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub x: f32,
    pub baseline: f32,
    pub line: Line,
}

/// A rectangle from the page's top left corner, in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// One laid-out page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// Text in reading order, the footer last.
    pub runs: Vec<Run>,
    /// Frames to stroke (centre line of a [`FRAME_STROKE`] wide stroke).
    pub frames: Vec<Rect>,
}

/// The whole sheet, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub pages: Vec<Page>,
    /// How many items were dropped to stay within [`MAX_PAGES`] (the overflow note is printed
    /// when this is not zero).
    pub dropped_items: usize,
}

/// Shapes text in the vendored faces and breaks it into lines.
pub struct Shaper {
    regular: Face<'static>,
    bold: Face<'static>,
}

impl Shaper {
    pub fn new() -> Result<Self, AushangError> {
        Ok(Self {
            regular: Face::from_slice(fonts::REGULAR, 0)
                .ok_or(AushangError::Font(fonts::REGULAR_NAME))?,
            bold: Face::from_slice(fonts::BOLD, 0).ok_or(AushangError::Font(fonts::BOLD_NAME))?,
        })
    }

    fn face(&self, font: FontKind) -> &Face<'static> {
        match font {
            FontKind::Regular => &self.regular,
            FontKind::Bold => &self.bold,
        }
    }

    /// Shapes `text` as one line, left to right (the sheet is German: no bidi is needed).
    pub fn shape(&self, text: &str, font: FontKind, size: f32) -> Line {
        let face = self.face(font);
        let units = face.units_per_em() as f32;
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(Direction::LeftToRight);
        let output = rustybuzz::shape(face, &[], buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            // A cluster ends where the next different cluster starts (left to right, clusters
            // only grow), so ligatures and marks map back to all of their characters.
            let end = infos[i + 1..]
                .iter()
                .map(|next| next.cluster as usize)
                .find(|&c| c != start)
                .unwrap_or(text.len());
            glyphs.push(Glyph {
                id: info.glyph_id,
                x_advance: pos.x_advance as f32 / units,
                x_offset: pos.x_offset as f32 / units,
                y_offset: pos.y_offset as f32 / units,
                y_advance: pos.y_advance as f32 / units,
                text_range: start..end,
            });
        }
        let width = glyphs.iter().map(|g| g.x_advance).sum::<f32>() * size;
        Line {
            text: text.to_owned(),
            font,
            size,
            glyphs,
            width,
        }
    }

    /// Breaks `text` greedily into lines no wider than `max_width`. White space collapses;
    /// text without a word gives no line.
    pub fn break_lines(&self, text: &str, font: FontKind, size: f32, max_width: f32) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut current: Option<Line> = None;
        for word in text.split_whitespace() {
            let candidate = match &current {
                Some(line) => self.shape(&format!("{} {word}", line.text), font, size),
                None => self.shape(word, font, size),
            };
            if candidate.width <= max_width {
                current = Some(candidate);
                continue;
            }
            lines.extend(current.take());
            // The word starts a new line; if it does not fit there either, cut it.
            let mut rest = word;
            loop {
                let whole = self.shape(rest, font, size);
                if whole.width <= max_width {
                    current = Some(whole);
                    break;
                }
                let (line, cut) = self.longest_prefix(rest, font, size, max_width);
                lines.push(line);
                rest = &rest[cut..];
            }
        }
        lines.extend(current);
        lines
    }

    /// The longest prefix of `word` (cut between characters, at least one) that fits.
    fn longest_prefix(
        &self,
        word: &str,
        font: FontKind,
        size: f32,
        max_width: f32,
    ) -> (Line, usize) {
        let cuts: Vec<usize> = word
            .char_indices()
            .skip(1)
            .filter(|&(_, c)| !joins_previous(c))
            .map(|(i, _)| i)
            .collect();
        // Widths grow with the prefix, so the last fitting cut is found by bisection.
        let fitting =
            cuts.partition_point(|&cut| self.shape(&word[..cut], font, size).width <= max_width);
        let cut = if fitting == 0 {
            // Not even one character fits: print it anyway rather than loop forever.
            cuts.first().copied().unwrap_or(word.len())
        } else {
            cuts[fitting - 1]
        };
        (self.shape(&word[..cut], font, size), cut)
    }

    /// Where the baseline of a line lies below the top of its line box: the extra line height
    /// is shared above and below the face's ascender and descender, as in CSS.
    fn baseline_offset(&self, line: &Line) -> f32 {
        let face = self.face(line.font);
        let units = face.units_per_em() as f32;
        let ascender = f32::from(face.ascender()) / units;
        let descender = f32::from(face.descender()) / units;
        let half_leading = (LINE_HEIGHT - (ascender - descender)) / 2.0;
        (half_leading + ascender) * line.size
    }
}

/// Characters that belong to the one before them, so a word is never cut in front of them:
/// combining marks, zero-width joiners and variation selectors.
fn joins_previous(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200C}'..='\u{200D}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// A section broken into lines once; trimming only drops items from it.
#[derive(Clone, Debug)]
struct MeasuredSection {
    heading: Vec<Line>,
    items: Vec<Vec<Line>>,
    framed: bool,
    keep: bool,
}

fn lines_height(lines: &[Line]) -> f32 {
    lines.iter().map(Line::height).sum()
}

/// Lays the sheet out on at most [`MAX_PAGES`] pages (see the module's rules).
pub fn layout(sheet: &Sheet) -> Result<Layout, AushangError> {
    let shaper = Shaper::new()?;
    let title = measure_title(&shaper, sheet);
    let mut sections: Vec<MeasuredSection> = sheet
        .sections
        .iter()
        .filter(|section| !section.items.is_empty())
        .map(|section| measure_section(&shaper, section))
        .collect();
    let note = shaper.break_lines(
        &sheet.overflow_note,
        FontKind::Regular,
        BODY_SIZE,
        CONTENT_WIDTH,
    );
    let body_bottom = body_bottom(&shaper, &sheet.footer);

    let mut dropped_items = 0;
    loop {
        let trimmed = (dropped_items > 0).then_some(note.as_slice());
        let mut pages = paginate(&shaper, body_bottom, &title, &sections, trimmed);
        if pages.len() <= MAX_PAGES {
            add_footers(&shaper, &mut pages, &sheet.footer);
            return Ok(Layout {
                pages,
                dropped_items,
            });
        }
        if !drop_one_item(&mut sections) {
            return Err(AushangError::TooLong);
        }
        dropped_items += 1;
    }
}

fn measure_title(shaper: &Shaper, sheet: &Sheet) -> Vec<Line> {
    let mut title = shaper.break_lines(&sheet.title, FontKind::Bold, TITLE_SIZE, CONTENT_WIDTH);
    title.extend(shaper.break_lines(
        &sheet.subtitle,
        FontKind::Regular,
        SUBTITLE_SIZE,
        CONTENT_WIDTH,
    ));
    title
}

/// Where the body ends: the footer's height is reserved on every page before the page count
/// is known; "2" is as wide as any page number of a sheet that is printed at all.
fn body_bottom(shaper: &Shaper, footer: &str) -> f32 {
    let footer = shaper.break_lines(
        &footer_text(MAX_PAGES, MAX_PAGES, footer),
        FontKind::Regular,
        FOOTER_SIZE,
        CONTENT_WIDTH,
    );
    PAGE_HEIGHT - MARGIN - lines_height(&footer) - FOOTER_GAP
}

fn measure_section(shaper: &Shaper, section: &Section) -> MeasuredSection {
    let width = if section.framed {
        CONTENT_WIDTH - 2.0 * FRAME_INSET
    } else {
        CONTENT_WIDTH
    };
    MeasuredSection {
        heading: shaper.break_lines(&section.heading, FontKind::Bold, HEADING_SIZE, width),
        items: section
            .items
            .iter()
            .map(|item| measure_item(shaper, item, width))
            .collect(),
        framed: section.framed,
        keep: section.keep,
    }
}

fn measure_item(shaper: &Shaper, item: &Item, width: f32) -> Vec<Line> {
    let mut lines = shaper.break_lines(&item.title, FontKind::Bold, ITEM_TITLE_SIZE, width);
    for text in &item.lines {
        let broken = shaper.break_lines(text, FontKind::Regular, BODY_SIZE, width);
        if broken.is_empty() {
            // An empty line was asked for: keep its height.
            lines.push(shaper.shape("", FontKind::Regular, BODY_SIZE));
        } else {
            lines.extend(broken);
        }
    }
    lines
}

/// Drops the last item of the longest section (the later one on a tie), leaving framed
/// sections (warnings) for last and sections to keep alone. False when nothing is left to drop.
fn drop_one_item(sections: &mut [MeasuredSection]) -> bool {
    for framed in [false, true] {
        let longest = sections
            .iter_mut()
            .enumerate()
            .filter(|(_, section)| {
                !section.keep && section.framed == framed && !section.items.is_empty()
            })
            .max_by_key(|(index, section)| (section.items.len(), *index));
        if let Some((_, section)) = longest {
            section.items.pop();
            return true;
        }
    }
    false
}

fn footer_text(page: usize, pages: usize, footer: &str) -> String {
    if footer.trim().is_empty() {
        format!("Seite {page} von {pages}")
    } else {
        format!("Seite {page} von {pages} · {footer}")
    }
}

/// Sets each page's footer so that its last line ends at the bottom margin.
fn add_footers(shaper: &Shaper, pages: &mut [Page], footer: &str) {
    let total = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        let lines = shaper.break_lines(
            &footer_text(index + 1, total, footer),
            FontKind::Regular,
            FOOTER_SIZE,
            CONTENT_WIDTH,
        );
        let mut top = PAGE_HEIGHT - MARGIN - lines_height(&lines);
        for line in lines {
            let baseline = top + shaper.baseline_offset(&line);
            top += line.height();
            page.runs.push(Run {
                x: MARGIN,
                baseline,
                line,
            });
        }
    }
}

/// Places lines top to bottom and starts pages; knows nothing of sections.
struct Paginator<'a> {
    shaper: &'a Shaper,
    bottom: f32,
    pages: Vec<Page>,
    y: f32,
    /// Nothing has been placed on the current page yet.
    fresh: bool,
    /// The top of the frame open on the current page.
    frame_top: Option<f32>,
}

impl<'a> Paginator<'a> {
    fn new(shaper: &'a Shaper, bottom: f32) -> Self {
        Self {
            shaper,
            bottom,
            pages: vec![Page::default()],
            y: MARGIN,
            fresh: true,
            frame_top: None,
        }
    }

    fn fits(&self, height: f32) -> bool {
        self.y + height <= self.bottom
    }

    fn fits_on_a_page(&self, height: f32) -> bool {
        MARGIN + height <= self.bottom
    }

    /// Starts the next page, carrying an open frame over to it.
    fn new_page(&mut self) {
        let framed = self.frame_top.is_some();
        if framed {
            self.close_frame();
        }
        self.pages.push(Page::default());
        self.y = MARGIN;
        self.fresh = true;
        if framed {
            self.open_frame();
        }
    }

    /// Adds `gap` unless the page is still empty (a gap on top of a page is wasted space).
    fn gap(&mut self, gap: f32) {
        if !self.fresh {
            self.y += gap;
        }
    }

    fn open_frame(&mut self) {
        self.frame_top = Some(self.y);
        self.y += FRAME_INSET;
    }

    fn close_frame(&mut self) {
        if let Some(top) = self.frame_top.take() {
            self.y += FRAME_INSET;
            // The stroke is centred on the path, so the path lies half a stroke inside the
            // frame's outer edge and the ink stays within the content width.
            let half = FRAME_STROKE / 2.0;
            let frame = Rect {
                x: MARGIN + half,
                y: top + half,
                width: CONTENT_WIDTH - FRAME_STROKE,
                height: self.y - top - FRAME_STROKE,
            };
            self.current().frames.push(frame);
        }
    }

    fn current(&mut self) -> &mut Page {
        self.pages
            .last_mut()
            .expect("a paginator always has a page")
    }

    /// Places lines at `x`, starting a new page before a line that does not fit (keeping
    /// `reserve` free below it for a frame's bottom). Callers move whole blocks first, so
    /// this only cuts a block that is taller than a page.
    fn place(&mut self, lines: &[Line], x: f32, reserve: f32) {
        for line in lines {
            if !self.fresh && !self.fits(line.height() + reserve) {
                self.new_page();
            }
            let baseline = self.y + self.shaper.baseline_offset(line);
            self.y += line.height();
            self.fresh = false;
            self.current().runs.push(Run {
                x,
                baseline,
                line: line.clone(),
            });
        }
    }
}

fn paginate(
    shaper: &Shaper,
    bottom: f32,
    title: &[Line],
    sections: &[MeasuredSection],
    overflow_note: Option<&[Line]>,
) -> Vec<Page> {
    let mut p = Paginator::new(shaper, bottom);
    p.place(title, MARGIN, 0.0);
    p.gap(TITLE_GAP);
    for section in sections.iter().filter(|s| !s.items.is_empty()) {
        // A framed section keeps room for its frame's bottom below every item, since a page
        // break after any of them closes the frame there.
        let inset = if section.framed { FRAME_INSET } else { 0.0 };
        let x = MARGIN + inset;
        for (index, item) in section.items.iter().enumerate() {
            let first = index == 0;
            let mut height = lines_height(item) + inset;
            let gap = if first {
                // The heading moves with the first item (keep with next), the frame's top too.
                height += lines_height(&section.heading) + HEADING_GAP + inset;
                SECTION_GAP
            } else {
                ITEM_GAP
            };
            // Move the block whole to the next page, unless it would not fit there either:
            // then it starts here and is cut between lines, which wastes no page.
            if !p.fresh && !p.fits(gap + height) && p.fits_on_a_page(height) {
                p.new_page();
            }
            p.gap(gap);
            if first {
                if section.framed {
                    p.open_frame();
                }
                p.place(&section.heading, x, inset);
                p.y += HEADING_GAP;
            }
            p.place(item, x, inset);
        }
        p.close_frame();
    }
    if let Some(note) = overflow_note {
        if !p.fresh && !p.fits(SECTION_GAP + lines_height(note)) {
            p.new_page();
        }
        p.gap(SECTION_GAP);
        p.place(note, MARGIN, 0.0);
    }
    p.pages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Item, Section, Sheet};

    fn shaper() -> Shaper {
        Shaper::new().expect("the vendored fonts load")
    }

    /// The advance width of `text` as rustybuzz gives it, computed here without the crate's
    /// shaping code.
    fn rustybuzz_width(text: &str, font: FontKind, size: f32) -> f32 {
        let data = match font {
            FontKind::Regular => fonts::REGULAR,
            FontKind::Bold => fonts::BOLD,
        };
        let face = Face::from_slice(data, 0).unwrap();
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        let output = rustybuzz::shape(&face, &[], buffer);
        let units: i32 = output.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 / face.units_per_em() as f32 * size
    }

    const GERMAN: &str = "Die Hauptstraße in Großörner ist gesperrt – „Bitte beachten“: Äpfel, \
                          Öl und Übernachtung kosten 12,90 €. Müllabfuhr am Dienstag.";

    #[test]
    fn measured_widths_agree_with_rustybuzz() {
        let s = shaper();
        for (font, size) in [(FontKind::Regular, BODY_SIZE), (FontKind::Bold, TITLE_SIZE)] {
            let lines = s.break_lines(GERMAN, font, size, 200.0);
            assert!(lines.len() > 1);
            for line in &lines {
                let expected = rustybuzz_width(&line.text, font, size);
                assert!(
                    (line.width - expected).abs() < 0.01,
                    "{}: {} vs {expected}",
                    line.text,
                    line.width
                );
            }
        }
    }

    #[test]
    fn lines_fit_and_keep_every_word_in_order() {
        let s = shaper();
        for width in [60.0, 120.0, 250.0, CONTENT_WIDTH] {
            let lines = s.break_lines(GERMAN, FontKind::Regular, BODY_SIZE, width);
            for line in &lines {
                assert!(
                    line.width <= width,
                    "{:?} is {} wide, more than {width}",
                    line.text,
                    line.width
                );
                assert!(!line.text.starts_with(' ') && !line.text.ends_with(' '));
            }
            let words: Vec<&str> = GERMAN.split_whitespace().collect();
            let joined: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
            // At the widest width no word is cut, so the words come back exactly.
            if width >= 120.0 {
                assert_eq!(joined.join(" "), words.join(" "));
            }
        }
    }

    #[test]
    fn greedy_breaking_fills_each_line() {
        let s = shaper();
        let lines = s.break_lines(GERMAN, FontKind::Regular, BODY_SIZE, 200.0);
        for pair in lines.windows(2) {
            let next_word = pair[1].text.split(' ').next().unwrap();
            let longer = s.shape(
                &format!("{} {next_word}", pair[0].text),
                FontKind::Regular,
                BODY_SIZE,
            );
            assert!(
                longer.width > 200.0,
                "{:?} could have taken {next_word:?}",
                pair[0].text
            );
        }
    }

    #[test]
    fn an_overlong_word_is_cut_between_characters() {
        let s = shaper();
        let word = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsbetrieb";
        let lines = s.break_lines(
            &format!("Der {word} grüßt"),
            FontKind::Bold,
            ITEM_TITLE_SIZE,
            150.0,
        );
        assert!(lines.len() >= 4, "{lines:#?}");
        assert_eq!(lines[0].text, "Der");
        // Nothing is lost or added: the pieces put together give the word again.
        let rest: String = lines[1..].iter().map(|l| l.text.replace(' ', "")).collect();
        assert_eq!(rest, format!("{word}grüßt"));
        // Every piece but the last fills its line: the next character would not have fit.
        for pair in lines[1..].windows(2).filter(|w| !w[1].text.contains(' ')) {
            let next_char = pair[1].text.chars().next().unwrap();
            let longer = s.shape(
                &format!("{}{next_char}", pair[0].text),
                FontKind::Bold,
                ITEM_TITLE_SIZE,
            );
            assert!(longer.width > 150.0);
        }
        for line in &lines {
            assert!(line.width <= 150.0);
        }
    }

    fn item(title: &str, lines: usize) -> Item {
        Item {
            title: title.to_owned(),
            lines: (0..lines).map(|i| format!("{title} Zeile {i}")).collect(),
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

    fn sheet(sections: Vec<Section>) -> Sheet {
        Sheet {
            title: "Rieder – Aushang Woche 49".to_owned(),
            subtitle: "30.11.–06.12.2026".to_owned(),
            sections,
            footer: "Stand 02.12.2026 · dorf.example".to_owned(),
            overflow_note: "Weitere Termine und Nachrichten: Dorf-App und Gemeindeamt".to_owned(),
        }
    }

    /// The body runs of a page: everything but the footer.
    fn body(page: &Page) -> impl Iterator<Item = &Run> {
        page.runs
            .iter()
            .filter(|r| !r.line.text.starts_with("Seite "))
    }

    /// On which pages the runs whose text starts with `prefix` lie.
    fn pages_of(layout: &Layout, prefix: &str) -> Vec<usize> {
        let mut pages: Vec<usize> = layout
            .pages
            .iter()
            .enumerate()
            .filter(|(_, page)| body(page).any(|r| r.line.text.starts_with(prefix)))
            .map(|(index, _)| index)
            .collect();
        pages.dedup();
        pages
    }

    /// Checks what holds for every layout: inside the margins, nothing under 12 pt, no line
    /// overlapping the footer, at most two pages, the footer on each.
    fn assert_well_formed(layout: &Layout) {
        assert!(!layout.pages.is_empty() && layout.pages.len() <= MAX_PAGES);
        let total = layout.pages.len();
        for (index, page) in layout.pages.iter().enumerate() {
            let footer: Vec<&Run> = page
                .runs
                .iter()
                .filter(|r| r.line.text.starts_with("Seite "))
                .collect();
            assert_eq!(footer.len(), 1);
            assert!(
                footer[0]
                    .line
                    .text
                    .starts_with(&format!("Seite {} von {total} · Stand", index + 1))
            );
            let footer_top = footer[0].baseline - FOOTER_SIZE;
            for run in &page.runs {
                assert!(run.line.size >= 12.0);
                assert!(run.x >= MARGIN - 0.01);
                assert!(
                    run.x + run.line.width <= PAGE_WIDTH - MARGIN + 0.01,
                    "{:?}",
                    run.line.text
                );
                // DejaVu's ascender is 0.928 em: no accent reaches above the line box.
                assert!(run.baseline - 0.93 * run.line.size >= MARGIN - 0.01);
                assert!(run.baseline <= PAGE_HEIGHT - MARGIN);
            }
            for run in body(page) {
                assert!(
                    run.baseline < footer_top,
                    "{:?} runs into the footer",
                    run.line.text
                );
            }
            for frame in &page.frames {
                assert!(frame.x >= MARGIN && frame.x + frame.width <= PAGE_WIDTH - MARGIN);
                assert!(frame.y >= MARGIN && frame.y + frame.height < footer_top);
            }
        }
    }

    /// A first section whose size varies, so that the second section's heading and items meet
    /// the page end at every possible line.
    fn sweep() -> impl Iterator<Item = Layout> {
        (0..26).map(|filler| {
            let s = sheet(vec![
                section(
                    "Nachrichten",
                    (0..filler).map(|i| item(&format!("N{i}:"), 0)).collect(),
                    false,
                ),
                section(
                    "Termine",
                    (0..4).map(|i| item(&format!("T{i}:"), 3)).collect(),
                    false,
                ),
                section("Warnungen", vec![item("W0:", 2), item("W1:", 3)], true),
            ]);
            let l = layout(&s).expect("fits");
            assert_eq!(l.dropped_items, 0, "filler {filler}");
            l
        })
    }

    #[test]
    fn a_heading_never_ends_a_page() {
        let mut moved = 0;
        for l in sweep() {
            assert_well_formed(&l);
            for page in &l.pages {
                let last = body(page).last().unwrap();
                assert!(
                    last.line.size != HEADING_SIZE,
                    "a page ends with the heading {:?}",
                    last.line.text
                );
            }
            // The heading is on the page of its first item.
            assert_eq!(pages_of(&l, "Termine"), pages_of(&l, "T0:"));
            assert_eq!(pages_of(&l, "Warnungen"), pages_of(&l, "W0:"));
            moved += usize::from(pages_of(&l, "Termine") == [1]);
        }
        assert!(moved > 0, "the sweep never pushed a heading to page 2");
    }

    #[test]
    fn an_item_is_never_split() {
        for l in sweep() {
            for prefix in ["T0:", "T1:", "T2:", "T3:", "W0:", "W1:"] {
                assert_eq!(pages_of(&l, prefix).len(), 1, "{prefix} is split");
            }
        }
    }

    #[test]
    fn a_framed_section_is_framed_on_every_page_it_reaches() {
        for l in sweep() {
            let pages = pages_of(&l, "W");
            let framed: Vec<usize> = (0..l.pages.len())
                .filter(|&i| !l.pages[i].frames.is_empty())
                .collect();
            assert_eq!(pages, framed);
            // Its text lies inside the frame.
            for &index in &pages {
                let frame = l.pages[index].frames[0];
                for run in body(&l.pages[index]).filter(|r| r.line.text.starts_with('W')) {
                    assert!(
                        run.x >= frame.x + FRAME_STROKE
                            && run.x + run.line.width <= frame.x + frame.width,
                        "{run:?} outside {frame:?}"
                    );
                    assert!(run.baseline > frame.y && run.baseline < frame.y + frame.height);
                }
            }
        }
    }

    #[test]
    fn a_long_sheet_is_trimmed_to_two_pages_with_the_note() {
        let s = sheet(vec![
            section("Warnungen", vec![item("W0:", 2)], true),
            section(
                "Nachrichten",
                (0..8).map(|i| item(&format!("N{i}:"), 3)).collect(),
                false,
            ),
            section(
                "Termine",
                (0..30).map(|i| item(&format!("T{i}:"), 1)).collect(),
                false,
            ),
            section("Fahrdienst", vec![item("F0:", 1)], false),
        ]);
        let l = layout(&s).unwrap();
        assert_well_formed(&l);
        assert_eq!(l.pages.len(), 2);
        assert!(l.dropped_items > 0);
        // The note ends the sheet.
        let last = body(&l.pages[1]).last().unwrap();
        assert_eq!(last.line.text, s.overflow_note);
        // Events went first, from the end; the warning, the first news and the ride service stay.
        assert!(pages_of(&l, "T29:").is_empty());
        for kept in [
            "W0:", "N0:", "N1:", "N2:", "N3:", "N4:", "N5:", "T0:", "F0:",
        ] {
            assert_eq!(pages_of(&l, kept).len(), 1, "{kept} was dropped");
        }
        // Exactly as many items as needed: with one more, the sheet needs a third page.
        let kept_events = (0..30)
            .filter(|i| !pages_of(&l, &format!("T{i}:")).is_empty())
            .count();
        let kept_news = (0..8)
            .filter(|i| !pages_of(&l, &format!("N{i}:")).is_empty())
            .count();
        assert_eq!(kept_events + kept_news + l.dropped_items, 38);
        // The kept items and the note fit; one more event (the last one dropped) does not.
        let sh = shaper();
        let title = measure_title(&sh, &s);
        let bottom = body_bottom(&sh, &s.footer);
        let note = sh.break_lines(
            &s.overflow_note,
            FontKind::Regular,
            BODY_SIZE,
            CONTENT_WIDTH,
        );
        let mut measured: Vec<MeasuredSection> =
            s.sections.iter().map(|x| measure_section(&sh, x)).collect();
        measured[1].items.truncate(kept_news);
        measured[2].items.truncate(kept_events);
        assert_eq!(
            paginate(&sh, bottom, &title, &measured, Some(&note)).len(),
            2
        );
        measured[2].items = measure_section(&sh, &s.sections[2]).items[..kept_events + 1].to_vec();
        assert_eq!(
            paginate(&sh, bottom, &title, &measured, Some(&note)).len(),
            3
        );
    }

    #[test]
    fn a_sheet_that_fits_has_no_note() {
        let s = sheet(vec![section("Nachrichten", vec![item("N0:", 2)], false)]);
        let l = layout(&s).unwrap();
        assert_well_formed(&l);
        assert_eq!((l.pages.len(), l.dropped_items), (1, 0));
        assert!(
            l.pages[0]
                .runs
                .iter()
                .all(|r| r.line.text != s.overflow_note)
        );
        assert_eq!(l.pages[0].runs[0].line.text, "Rieder – Aushang Woche 49");
    }

    #[test]
    fn the_longest_section_loses_its_last_item_first() {
        let mut sections = vec![
            MeasuredSection {
                heading: vec![],
                items: vec![vec![]; 3],
                framed: true,
                keep: false,
            },
            MeasuredSection {
                heading: vec![],
                items: vec![vec![]; 2],
                framed: false,
                keep: false,
            },
            MeasuredSection {
                heading: vec![],
                items: vec![vec![]; 2],
                framed: false,
                keep: false,
            },
        ];
        let mut lengths = vec![];
        while drop_one_item(&mut sections) {
            lengths.push(sections.iter().map(|s| s.items.len()).collect::<Vec<_>>());
        }
        assert_eq!(
            lengths,
            [
                vec![3, 2, 1],
                vec![3, 1, 1],
                vec![3, 1, 0],
                vec![3, 0, 0],
                vec![2, 0, 0],
                vec![1, 0, 0],
                vec![0, 0, 0]
            ]
        );
    }

    #[test]
    fn a_section_to_keep_is_never_trimmed() {
        // Three sections of one tall item each need three pages. Once every section is down to
        // one item, trimming takes the later section's: the ride service's number, unless kept.
        let tall = |name: &str| section(name, vec![item(&format!("{name}:"), 24)], false);
        let crowded = |keep: bool| {
            sheet(vec![
                tall("A"),
                tall("B"),
                tall("C"),
                Section {
                    keep,
                    ..section("Fahrdienst", vec![item("F0:", 1)], false)
                },
            ])
        };

        let unkept = layout(&crowded(false)).unwrap();
        assert!(
            pages_of(&unkept, "F0:").is_empty(),
            "the later section went"
        );

        let kept = layout(&crowded(true)).unwrap();
        assert_well_formed(&kept);
        assert_eq!(kept.pages.len(), 2);
        assert_eq!(kept.dropped_items, 1);
        assert!(
            pages_of(&kept, "C:").is_empty(),
            "the last other section went instead"
        );
        assert_eq!(pages_of(&kept, "Fahrdienst"), pages_of(&kept, "F0:"));
        assert_eq!(pages_of(&kept, "F0:").len(), 1);
        let last = body(&kept.pages[1]).last().unwrap();
        assert_eq!(last.line.text, crowded(true).overflow_note);
    }

    #[test]
    fn sections_to_keep_that_cannot_fit_are_an_error_not_a_cut() {
        let s = sheet(vec![Section {
            keep: true,
            ..section("Fahrdienst", vec![item("F:", 24); 3], false)
        }]);
        assert!(matches!(layout(&s), Err(AushangError::TooLong)));
    }

    #[test]
    fn an_item_taller_than_a_page_is_cut_rather_than_lost() {
        let s = sheet(vec![section(
            "Nachrichten",
            vec![item("Riesig", 45)],
            false,
        )]);
        let l = layout(&s).unwrap();
        assert_well_formed(&l);
        assert_eq!(l.pages.len(), 2);
        assert_eq!(l.dropped_items, 0);
    }

    #[test]
    fn a_title_that_cannot_fit_is_an_error() {
        let mut s = sheet(vec![section("Nachrichten", vec![item("N0:", 2)], false)]);
        s.title = "Sehr langer Titel ".repeat(200);
        assert!(matches!(layout(&s), Err(AushangError::TooLong)));
    }
}
