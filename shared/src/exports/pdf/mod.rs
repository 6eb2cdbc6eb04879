//! PDF exports, written by a small writer of our own: A4 landscape table pages streamed out as
//! rows arrive (each page deflated and written once it is full, so memory holds one page), then a
//! cover page (title, filters, row count and a summary counted along the way) placed first in the
//! page tree, and every page numbered "Page n of N" (N drawn from one form object written last).
//! Text is set in an embedded, subsetted DejaVu Sans with a ToUnicode map, so `pdftotext` and
//! screen readers get the characters back; text too wide for its column is cut with `…`.

mod font;
mod objects;

use super::{Cell, Column, ExportWriter, Finished};
use font::Font;
use objects::{literal, ObjectId, Objects};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A4 landscape, in points.
const PAGE_WIDTH: f32 = 842.0;
const PAGE_HEIGHT: f32 = 595.0;
const MARGIN: f32 = 36.0;
const CELL_SIZE: f32 = 7.0;
const ROW_HEIGHT: f32 = 11.0;
const CELL_PADDING: f32 = 2.0;
/// Where the table's header row starts, below the running title.
const TABLE_TOP: f32 = PAGE_HEIGHT - MARGIN - 16.0;
/// Distinct values counted per summarised column (the rest are "other").
const SUMMARY_VALUES: usize = 200;
/// Values shown per summarised column on the cover.
const SUMMARY_SHOWN: usize = 12;

/// What the cover says about the export: its title and lines such as the filters.
#[derive(Clone, Debug, Default)]
pub struct PdfHeading {
    /// The document's title.
    pub title: String,
    /// Lines under it (filters, when it was made).
    pub lines: Vec<String>,
}

/// One summarised column's counts by value.
#[derive(Debug, Default)]
struct Tally {
    counts: BTreeMap<String, u64>,
    other: u64,
}

impl Tally {
    fn add(&mut self, value: String) {
        if let Some(n) = self.counts.get_mut(&value) {
            *n += 1;
        } else if self.counts.len() < SUMMARY_VALUES {
            self.counts.insert(value, 1);
        } else {
            self.other += 1;
        }
    }

    fn line(&self, name: &str) -> String {
        let mut sorted: Vec<_> = self.counts.iter().collect();
        sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut parts: Vec<String> = sorted
            .iter()
            .take(SUMMARY_SHOWN)
            .map(|(value, n)| format!("{} {n}", if value.is_empty() { "(none)" } else { value }))
            .collect();
        let rest: u64 = sorted
            .iter()
            .skip(SUMMARY_SHOWN)
            .map(|(_, n)| **n)
            .sum::<u64>()
            + self.other;
        if rest > 0 {
            parts.push(format!("other {rest}"));
        }
        format!("By {name}: {}", parts.join(" · "))
    }
}

/// Writes a PDF table.
#[derive(Debug)]
pub struct PdfWriter {
    objects: Objects,
    font: Font,
    columns: Vec<&'static Column>,
    /// Each column's left edge and width.
    layout: Vec<(f32, f32)>,
    heading: PdfHeading,
    catalog: ObjectId,
    pages: ObjectId,
    font_id: ObjectId,
    total: ObjectId,
    cover: ObjectId,
    table_pages: Vec<ObjectId>,
    /// The page being filled: its content and the next row's top.
    content: String,
    next_top: f32,
    rows: u64,
    tallies: Vec<(usize, Tally)>,
}

impl PdfWriter {
    /// Writes the header; pages follow as rows arrive.
    pub fn start(columns: &[&'static Column], heading: PdfHeading, out: &mut Vec<u8>) -> Self {
        let mut objects = Objects::start(out);
        let total_weight: f32 = columns.iter().map(|c| f32::from(c.weight.max(1))).sum();
        let mut left = MARGIN;
        let layout = columns
            .iter()
            .map(|c| {
                let width = (PAGE_WIDTH - 2.0 * MARGIN) * f32::from(c.weight.max(1)) / total_weight;
                let edge = left;
                left += width;
                (edge, width)
            })
            .collect();
        let tallies = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.summarised)
            .map(|(i, _)| (i, Tally::default()))
            .collect();
        Self {
            catalog: objects.reserve(),
            pages: objects.reserve(),
            font_id: objects.reserve(),
            total: objects.reserve(),
            cover: objects.reserve(),
            objects,
            font: Font::dejavu_sans(),
            columns: columns.to_vec(),
            layout,
            heading,
            table_pages: Vec::new(),
            content: String::new(),
            next_top: 0.0,
            rows: 0,
            tallies,
        }
    }

    /// Sets `text` at (`x`, `y`) in `size` points, appending to the page's content.
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        let shaped = self.font.shape(text);
        let _ = writeln!(
            self.content,
            "BT /F1 {size} Tf {x:.2} {y:.2} Td {} Tj ET",
            shaped.hex
        );
    }

    /// `text` cut to `width` points at `size`.
    fn fit(&self, text: &str, size: f32, width: f32) -> String {
        self.font.fit(text, width / size)
    }

    fn begin_table_page(&mut self) {
        self.content.clear();
        let title = self.fit(&self.heading.title.clone(), 9.0, PAGE_WIDTH - 2.0 * MARGIN);
        self.text(MARGIN, PAGE_HEIGHT - MARGIN, 9.0, &title);
        let top = TABLE_TOP;
        let _ = writeln!(
            self.content,
            "0.88 g {MARGIN} {:.2} {:.2} {ROW_HEIGHT} re f 0 g",
            top - ROW_HEIGHT,
            PAGE_WIDTH - 2.0 * MARGIN
        );
        for i in 0..self.columns.len() {
            let (x, width) = self.layout[i];
            let name = self.fit(self.columns[i].name, CELL_SIZE, width - 2.0 * CELL_PADDING);
            self.text(x + CELL_PADDING, top - 8.0, CELL_SIZE, &name);
        }
        self.next_top = top - ROW_HEIGHT;
    }

    fn end_page(&mut self, out: &mut Vec<u8>, page: ObjectId, number: usize) {
        let label = format!("Page {number} of ");
        let x = PAGE_WIDTH - MARGIN - 90.0;
        self.text(x, MARGIN - 14.0, CELL_SIZE, &label);
        let after = x + self.font.width(&label) * CELL_SIZE;
        let _ = writeln!(
            self.content,
            "q 1 0 0 1 {after:.2} {:.2} cm /Total Do Q",
            MARGIN - 14.0
        );
        let contents = self.objects.reserve();
        let content = std::mem::take(&mut self.content);
        self.objects.stream(out, contents, "", content.as_bytes());
        let body = format!(
            "<< /Type /Page /Parent {} 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 {} 0 R >> /XObject << /Total {} 0 R >> >> \
             /Contents {contents} 0 R >>",
            self.pages, self.font_id, self.total
        );
        self.objects.object(out, page, &body);
    }

    fn write_row(&mut self, row: &[Cell], out: &mut Vec<u8>) {
        if self.content.is_empty() || self.next_top - ROW_HEIGHT < MARGIN {
            if !self.content.is_empty() {
                self.finish_table_page(out);
            }
            self.begin_table_page();
        }
        let top = self.next_top;
        for (i, cell) in row.iter().enumerate() {
            let (x, width) = self.layout[i];
            let shown = match cell {
                Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
                other => other.to_text(),
            };
            let fitted = self.fit(&shown, CELL_SIZE, width - 2.0 * CELL_PADDING);
            if !fitted.is_empty() {
                self.text(x + CELL_PADDING, top - 8.0, CELL_SIZE, &fitted);
            }
        }
        let _ = writeln!(
            self.content,
            "0.85 G 0.3 w {MARGIN} {:.2} m {:.2} {:.2} l S",
            top - ROW_HEIGHT,
            PAGE_WIDTH - MARGIN,
            top - ROW_HEIGHT
        );
        self.next_top = top - ROW_HEIGHT;
        for (i, tally) in &mut self.tallies {
            tally.add(row[*i].to_text());
        }
        self.rows += 1;
    }

    fn finish_table_page(&mut self, out: &mut Vec<u8>) {
        let page = self.objects.reserve();
        self.table_pages.push(page);
        // The cover is page 1.
        self.end_page(out, page, self.table_pages.len() + 1);
    }

    /// The cover's lines: the heading's, the count and the summary.
    fn cover_lines(&self) -> Vec<(f32, String)> {
        let mut lines = vec![(18.0, self.heading.title.clone())];
        lines.extend(self.heading.lines.iter().map(|l| (9.0, l.clone())));
        lines.push((9.0, String::new()));
        lines.push((12.0, format!("Rows: {}", self.rows)));
        if self.rows == 0 {
            lines.push((9.0, "Nothing matched the filters.".into()));
        }
        for (i, tally) in &self.tallies {
            if self.rows > 0 {
                lines.push((9.0, tally.line(self.columns[*i].name)));
            }
        }
        lines.push((9.0, String::new()));
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        lines.push((9.0, format!("Columns: {}", names.join(", "))));
        lines.push((9.0, "Times are UTC.".into()));
        lines
    }

    fn write_cover(&mut self, out: &mut Vec<u8>) {
        self.content.clear();
        let mut y = PAGE_HEIGHT - MARGIN - 18.0;
        for (size, line) in self.cover_lines() {
            if y < MARGIN + size {
                break;
            }
            let fitted = self.fit(&line, size, PAGE_WIDTH - 2.0 * MARGIN);
            if !fitted.is_empty() {
                self.text(MARGIN, y, size, &fitted);
            }
            y -= size * 1.5;
        }
        self.end_page(out, self.cover, 1);
    }
}

impl ExportWriter for PdfWriter {
    fn rows(&mut self, rows: &[Vec<Cell>], out: &mut Vec<u8>) -> std::io::Result<()> {
        for row in rows {
            self.write_row(row, out);
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, out: &mut Vec<u8>) -> std::io::Result<Finished> {
        if !self.content.is_empty() {
            self.finish_table_page(out);
        }
        self.write_cover(out);
        let pages = self.table_pages.len() + 1;
        let total = self.font.shape(&pages.to_string());
        let form = format!("BT /F1 {CELL_SIZE} Tf 0 0 Td {} Tj ET", total.hex);
        let resources = format!(
            "/Type /XObject /Subtype /Form /BBox [0 -3 60 10] /Resources << /Font << /F1 {} 0 R >> >>",
            self.font_id
        );
        self.objects
            .stream(out, self.total, &resources, form.as_bytes());
        self.font.write(&mut self.objects, out, self.font_id);
        let kids: Vec<String> = std::iter::once(self.cover)
            .chain(self.table_pages.iter().copied())
            .map(|id| format!("{id} 0 R"))
            .collect();
        let tree = format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        );
        self.objects.object(out, self.pages, &tree);
        let catalog = format!("<< /Type /Catalog /Pages {} 0 R >>", self.pages);
        self.objects.object(out, self.catalog, &catalog);
        let info = self.objects.reserve();
        let info_body = format!(
            "<< /Title {} /Producer (Faultline) >>",
            literal(&self.heading.title)
        );
        self.objects.object(out, info, &info_body);
        self.objects.end(out, self.catalog, info);
        Ok(Finished::InBuffer)
    }
}

#[cfg(test)]
mod tests;
