//! CSV per RFC 4180 (CRLF line ends, fields quoted when they hold a quote, comma or line break),
//! with spreadsheet formula injection neutralised: a text cell starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return is prefixed with `'`, so Excel shows it instead of running it.

use super::{Cell, Column, ExportWriter, Finished};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// Writes CSV rows.
#[derive(Debug)]
pub struct CsvWriter;

impl CsvWriter {
    /// Writes the optional byte-order mark and the header row.
    pub fn start(columns: &[&Column], bom: bool, out: &mut Vec<u8>) -> Self {
        if bom {
            out.extend_from_slice(BOM);
        }
        let header: Vec<Cell> = columns
            .iter()
            .map(|c| Cell::Text(c.name.to_owned()))
            .collect();
        write_record(&header, out);
        Self
    }
}

impl ExportWriter for CsvWriter {
    fn rows(&mut self, rows: &[Vec<Cell>], out: &mut Vec<u8>) -> std::io::Result<()> {
        for row in rows {
            write_record(row, out);
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _out: &mut Vec<u8>) -> std::io::Result<Finished> {
        Ok(Finished::InBuffer)
    }
}

fn write_record(cells: &[Cell], out: &mut Vec<u8>) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let text = cell.to_text();
        let neutralised = matches!(cell, Cell::Text(_)) && starts_a_formula(&text);
        write_field(&text, neutralised, out);
    }
    out.extend_from_slice(b"\r\n");
}

/// Whether a spreadsheet would read the text as a formula.
fn starts_a_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn write_field(text: &str, neutralised: bool, out: &mut Vec<u8>) {
    let quoted = text.contains(['"', ',', '\r', '\n']);
    if quoted {
        out.push(b'"');
    }
    if neutralised {
        out.push(b'\'');
    }
    for chunk in text.split_inclusive('"') {
        out.extend_from_slice(chunk.as_bytes());
        if chunk.ends_with('"') {
            out.push(b'"');
        }
    }
    if quoted {
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::{select, Resource};
    use chrono::TimeZone;

    fn csv(rows: &[Vec<Cell>], bom: bool) -> String {
        let columns = select(
            Resource::Audit,
            &["seq".into(), "action".into(), "at".into()],
        )
        .expect("columns");
        let mut out = Vec::new();
        let mut writer = Box::new(CsvWriter::start(&columns, bom, &mut out));
        writer.rows(rows, &mut out).expect("rows");
        writer.finish(&mut out).expect("finish");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says_and_lines_end_in_crlf() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 8, 30, 0).unwrap();
        let rows = vec![
            vec![
                Cell::Integer(1),
                Cell::Text("a, \"b\"\nc".into()),
                Cell::Time(at),
            ],
            vec![Cell::Integer(-2), Cell::Empty, Cell::Text("plain".into())],
        ];
        assert_eq!(
            csv(&rows, false),
            "seq,action,at\r\n1,\"a, \"\"b\"\"\nc\",2026-12-07T08:30:00Z\r\n-2,,plain\r\n"
        );
    }

    #[test]
    fn text_a_spreadsheet_would_run_is_prefixed_but_numbers_are_not() {
        for formula in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"] {
            let out = csv(
                &[vec![
                    Cell::Integer(-1),
                    Cell::Text(formula.into()),
                    Cell::Empty,
                ]],
                false,
            );
            let line = out.lines().nth(1).expect("row");
            assert!(
                line.starts_with("-1,'") || line.starts_with("-1,\"'"),
                "{formula:?} → {line:?}"
            );
        }
        let safe = csv(
            &[vec![
                Cell::Integer(1),
                Cell::Text("a=b".into()),
                Cell::Empty,
            ]],
            false,
        );
        assert!(safe.contains("\r\n1,a=b,\r\n"), "{safe:?}");
    }

    #[test]
    fn the_byte_order_mark_is_written_only_when_asked_for() {
        assert!(csv(&[], true).as_bytes().starts_with(BOM));
        assert!(csv(&[], false).starts_with("seq,"));
    }
}
