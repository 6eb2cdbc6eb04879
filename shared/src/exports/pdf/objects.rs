//! The PDF file's bytes: numbered objects written as they are ready (their byte offsets kept for
//! the cross-reference table), streams deflated, and the trailer at the end.

use miniz_oxide::deflate::compress_to_vec_zlib;

/// An object number.
pub type ObjectId = u32;

/// Writes objects into the caller's buffer, counting every byte so offsets stay true after the
/// buffer is drained.
#[derive(Debug, Default)]
pub struct Objects {
    /// Byte offset of each object (index = number − 1); 0 while unwritten.
    offsets: Vec<u64>,
    /// Bytes written so far.
    written: u64,
}

impl Objects {
    /// Writes the file header.
    pub fn start(out: &mut Vec<u8>) -> Self {
        let mut objects = Self::default();
        // The second line's high bytes tell tools the file is binary.
        objects.put(out, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
        objects
    }

    fn put(&mut self, out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(bytes);
        self.written += bytes.len() as u64;
    }

    /// A number for an object written later.
    pub fn reserve(&mut self) -> ObjectId {
        self.offsets.push(0);
        self.offsets.len() as ObjectId
    }

    /// Writes object `id` with `body` (a dictionary, an array, a number).
    pub fn object(&mut self, out: &mut Vec<u8>, id: ObjectId, body: &str) {
        self.offsets[id as usize - 1] = self.written;
        self.put(out, format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    /// Writes object `id` as a deflated stream of `data`, `extra` added to its dictionary.
    pub fn stream(&mut self, out: &mut Vec<u8>, id: ObjectId, extra: &str, data: &[u8]) {
        let packed = compress_to_vec_zlib(data, 6);
        self.offsets[id as usize - 1] = self.written;
        let head = format!(
            "{id} 0 obj\n<< /Length {} /Filter /FlateDecode {extra} >>\nstream\n",
            packed.len()
        );
        self.put(out, head.as_bytes());
        self.put(out, &packed);
        self.put(out, b"\nendstream\nendobj\n");
    }

    /// Writes the cross-reference table and the trailer naming the catalog and the info.
    pub fn end(&mut self, out: &mut Vec<u8>, root: ObjectId, info: ObjectId) {
        let xref_at = self.written;
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1);
        for offset in &self.offsets {
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        table.push_str(&format!(
            "trailer\n<< /Size {} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
            self.offsets.len() + 1
        ));
        self.put(out, table.as_bytes());
    }
}

/// A PDF literal string for ASCII metadata (the document info), escaped.
pub fn literal(text: &str) -> String {
    let mut s = String::from("(");
    for c in text.chars().filter(char::is_ascii) {
        match c {
            '(' | ')' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            c if c.is_ascii_control() => s.push(' '),
            c => s.push(c),
        }
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_bytes_already_drained() {
        let mut out = Vec::new();
        let mut objects = Objects::start(&mut out);
        let first = objects.reserve();
        let header = out.len();
        out.clear();
        objects.object(&mut out, first, "<< /Type /Catalog >>");
        objects.end(&mut out, first, first);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains(&format!("{header:010} 00000 n")), "{text}");
        let xref_at = header + text.find("xref\n").expect("xref");
        assert!(text.contains(&format!("startxref\n{xref_at}\n")), "{text}");
    }

    #[test]
    fn literals_escape_what_would_end_them() {
        assert_eq!(literal("a(b)c\\d\n"), "(a\\(b\\)c\\\\d )");
    }
}
