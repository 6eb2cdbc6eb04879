//! The embedded font: DejaVu Sans (freely licensed, wide Unicode coverage; `assets/fonts`),
//! written as a CID-keyed TrueType font with only the glyphs the document used (subsetted at the
//! end), their widths, and a ToUnicode map so text extracts as the characters it shows.

use super::objects::{ObjectId, Objects};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use subsetter::GlyphRemapper;

static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The subset's PostScript name (a subset tag, then the font's name).
const NAME: &str = "FLTEXP+DejaVuSans";

/// Glyphs of text in the subset's numbering, as a hex string for `Tj`.
#[derive(Debug)]
pub struct Shaped {
    /// `<…>`: four hex digits a glyph.
    pub hex: String,
}

/// The document's font: maps characters to glyphs and remembers which were used.
pub struct Font {
    face: ttf_parser::Face<'static>,
    remapper: GlyphRemapper,
    /// New glyph id → the character it was first used for.
    unicode: BTreeMap<u16, char>,
    units_per_em: f32,
    fallback: ttf_parser::GlyphId,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("glyphs", &self.remapper.num_gids())
            .finish()
    }
}

impl Font {
    /// The embedded DejaVu Sans.
    pub fn dejavu_sans() -> Self {
        let face = ttf_parser::Face::parse(DEJAVU_SANS, 0).expect("the embedded font parses");
        let fallback = face.glyph_index('?').unwrap_or_default();
        Self {
            units_per_em: f32::from(face.units_per_em()),
            face,
            remapper: GlyphRemapper::new(),
            unicode: BTreeMap::new(),
            fallback,
        }
    }

    fn glyph(&self, c: char) -> ttf_parser::GlyphId {
        self.shown(c).0
    }

    /// The glyph `c` is drawn with, and the character that glyph stands for: a space for a
    /// control character, `?` for one the font lacks.
    fn shown(&self, c: char) -> (ttf_parser::GlyphId, char) {
        let c = if c.is_control() { ' ' } else { c };
        match self.face.glyph_index(c) {
            Some(glyph) => (glyph, c),
            None => (self.fallback, '?'),
        }
    }

    fn advance(&self, glyph: ttf_parser::GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)) / self.units_per_em
    }

    /// The width of `text` at size 1.
    pub fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum()
    }

    /// `text` cut to fit `max` (at size 1), ending in `…` when cut.
    pub fn fit(&self, text: &str, max: f32) -> String {
        if self.width(text) <= max {
            return text.to_owned();
        }
        let room = max - self.width("…");
        let mut used = 0.0;
        let mut kept = String::new();
        for c in text.chars() {
            used += self.advance(self.glyph(c));
            if used > room {
                break;
            }
            kept.push(c);
        }
        kept.push('…');
        kept
    }

    /// `text` as glyphs of the subset, recording them as used.
    pub fn shape(&mut self, text: &str) -> Shaped {
        let mut hex = String::with_capacity(text.len() * 4 + 2);
        hex.push('<');
        for c in text.chars() {
            let (glyph, shown) = self.shown(c);
            let new = self.remapper.remap(glyph.0);
            self.unicode.entry(new).or_insert(shown);
            let _ = write!(hex, "{new:04X}");
        }
        hex.push('>');
        Shaped { hex }
    }

    /// Writes the font's objects: `font` is the Type 0 font pages name as `/F1`.
    pub fn write(&self, objects: &mut Objects, out: &mut Vec<u8>, font: ObjectId) {
        let cid = objects.reserve();
        let descriptor = objects.reserve();
        let file = objects.reserve();
        let to_unicode = objects.reserve();
        objects.object(
            out,
            font,
            &format!(
                "<< /Type /Font /Subtype /Type0 /BaseFont /{NAME} /Encoding /Identity-H \
                 /DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>"
            ),
        );
        objects.object(
            out,
            cid,
            &format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{NAME} \
                 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                 /FontDescriptor {descriptor} 0 R /DW 0 /W [0 [{}]] /CIDToGIDMap /Identity >>",
                self.widths()
            ),
        );
        let scale = |v: i16| (f32::from(v) * 1000.0 / self.units_per_em).round() as i32;
        let bbox = self.face.global_bounding_box();
        objects.object(
            out,
            descriptor,
            &format!(
                "<< /Type /FontDescriptor /FontName /{NAME} /Flags 32 \
                 /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {} /Descent {} \
                 /CapHeight {} /StemV 80 /FontFile2 {file} 0 R >>",
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
                scale(self.face.ascender()),
                scale(self.face.descender()),
                scale(self.face.capital_height().unwrap_or(self.face.ascender())),
            ),
        );
        let subset =
            subsetter::subset(DEJAVU_SANS, 0, &self.remapper).expect("the embedded font subsets");
        objects.stream(out, file, &format!("/Length1 {}", subset.len()), &subset);
        objects.stream(out, to_unicode, "", self.cmap().as_bytes());
    }

    /// The widths of the subset's glyphs in order, in thousandths of the size.
    fn widths(&self) -> String {
        self.remapper
            .remapped_gids()
            .map(|old| {
                let w = self.advance(ttf_parser::GlyphId(old)) * 1000.0;
                format!("{}", w.round() as i32)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The ToUnicode CMap: each used glyph → its character (UTF-16BE).
    fn cmap(&self) -> String {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<_> = self.unicode.iter().collect();
        for chunk in entries.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (glyph, c) in chunk {
                let mut units = [0u16; 2];
                let hex: String = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                cmap.push_str(&format!("<{glyph:04X}> <{hex}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        cmap
    }
}
