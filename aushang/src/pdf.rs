//! Draws a [`Layout`] with krilla: the glyphs exactly as shaped (no second shaping), the frames
//! as strokes. krilla subsets the fonts, writes ToUnicode maps (so `pdftotext` and screen
//! readers get the German text back) and derives the file id from the content, so the output
//! carries no timestamp or random id.

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};

use crate::layout::{FRAME_STROKE, FontKind, Layout, PAGE_HEIGHT, PAGE_WIDTH};
use crate::{AushangError, fonts};

pub(crate) fn write(layout: &Layout, title: &str) -> Result<Vec<u8>, AushangError> {
    let regular =
        Font::new(fonts::REGULAR.into(), 0).ok_or(AushangError::Font(fonts::REGULAR_NAME))?;
    let bold = Font::new(fonts::BOLD.into(), 0).ok_or(AushangError::Font(fonts::BOLD_NAME))?;
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| AushangError::Pdf("invalid page size".to_owned()))?;

    let mut document = Document::new();
    // No creation date: it would make every rendering differ.
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("de".to_owned())
            .creator("Dorf-App".to_owned()),
    );
    for page in &layout.pages {
        let mut pdf_page = document.start_page_with(settings.clone());
        let mut surface = pdf_page.surface();

        if !page.frames.is_empty() {
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                width: FRAME_STROKE,
                ..Stroke::default()
            }));
            for frame in &page.frames {
                let rect = Rect::from_xywh(frame.x, frame.y, frame.width, frame.height)
                    .ok_or_else(|| AushangError::Pdf("invalid frame".to_owned()))?;
                let mut builder = PathBuilder::new();
                builder.push_rect(rect);
                if let Some(path) = builder.finish() {
                    surface.draw_path(&path);
                }
            }
            surface.set_stroke(None);
        }

        // Black text (the default fill), unstroked.
        surface.set_fill(Some(Fill::default()));
        for run in &page.runs {
            if run.line.glyphs.is_empty() {
                continue;
            }
            let glyphs: Vec<KrillaGlyph> = run
                .line
                .glyphs
                .iter()
                .map(|g| {
                    KrillaGlyph::new(
                        GlyphId::new(g.id),
                        g.x_advance,
                        g.x_offset,
                        g.y_offset,
                        g.y_advance,
                        g.text_range.clone(),
                        None,
                    )
                })
                .collect();
            let font = match run.line.font {
                FontKind::Regular => regular.clone(),
                FontKind::Bold => bold.clone(),
            };
            surface.draw_glyphs(
                Point::from_xy(run.x, run.baseline),
                &glyphs,
                font,
                &run.line.text,
                run.line.size,
                false,
            );
        }
        surface.finish();
        pdf_page.finish();
    }
    document
        .finish()
        .map_err(|error| AushangError::Pdf(error.to_string()))
}
