//! JSON exports: one array of objects, or NDJSON (one object a line). Each object holds the
//! chosen columns under their names, typed (numbers as numbers, times as RFC 3339, none as null).

use super::{Cell, Column, ExportWriter, Finished};
use serde_json::{Map, Value};

fn object(columns: &[&Column], row: &[Cell]) -> Value {
    let fields: Map<String, Value> = columns
        .iter()
        .zip(row)
        .map(|(column, cell)| (column.name.to_owned(), cell.to_json()))
        .collect();
    Value::Object(fields)
}

fn append(value: &Value, out: &mut Vec<u8>) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)
}

/// Writes one JSON array, an object a line between its brackets.
#[derive(Debug)]
pub struct JsonArrayWriter {
    columns: Vec<&'static Column>,
    first: bool,
}

impl JsonArrayWriter {
    /// Opens the array.
    pub fn start(columns: &[&'static Column], out: &mut Vec<u8>) -> Self {
        out.push(b'[');
        Self {
            columns: columns.to_vec(),
            first: true,
        }
    }
}

impl ExportWriter for JsonArrayWriter {
    fn rows(&mut self, rows: &[Vec<Cell>], out: &mut Vec<u8>) -> std::io::Result<()> {
        for row in rows {
            out.extend_from_slice(if self.first { b"\n" } else { b",\n" });
            self.first = false;
            append(&object(&self.columns, row), out)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Vec<u8>) -> std::io::Result<Finished> {
        out.extend_from_slice(b"\n]\n");
        Ok(Finished::InBuffer)
    }
}

/// Writes NDJSON: one object a line.
#[derive(Debug)]
pub struct NdjsonWriter {
    columns: Vec<&'static Column>,
}

impl NdjsonWriter {
    /// A writer of `columns` (NDJSON has no header).
    pub fn new(columns: &[&'static Column]) -> Self {
        Self {
            columns: columns.to_vec(),
        }
    }
}

impl ExportWriter for NdjsonWriter {
    fn rows(&mut self, rows: &[Vec<Cell>], out: &mut Vec<u8>) -> std::io::Result<()> {
        for row in rows {
            append(&object(&self.columns, row), out)?;
            out.push(b'\n');
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _out: &mut Vec<u8>) -> std::io::Result<Finished> {
        Ok(Finished::InBuffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::{select, Resource};

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec![Cell::Integer(1), Cell::Text("POST /v1/endpoints".into())],
            vec![Cell::Integer(2), Cell::Empty],
        ]
    }

    fn columns() -> Vec<&'static Column> {
        select(Resource::Audit, &["seq".into(), "action".into()]).expect("columns")
    }

    #[test]
    fn a_json_export_is_one_array_of_typed_objects() {
        let mut out = Vec::new();
        let mut writer = Box::new(JsonArrayWriter::start(&columns(), &mut out));
        writer.rows(&rows()[..1], &mut out).expect("rows");
        writer.rows(&rows()[1..], &mut out).expect("rows");
        writer.finish(&mut out).expect("finish");
        let parsed: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(
            parsed,
            serde_json::json!([{"seq": 1, "action": "POST /v1/endpoints"}, {"seq": 2, "action": null}])
        );
    }

    #[test]
    fn an_empty_json_export_is_an_empty_array() {
        let mut out = Vec::new();
        let writer = Box::new(JsonArrayWriter::start(&columns(), &mut out));
        writer.finish(&mut out).expect("finish");
        assert_eq!(
            serde_json::from_slice::<Value>(&out).expect("json"),
            serde_json::json!([])
        );
    }

    #[test]
    fn ndjson_is_one_object_a_line() {
        let mut out = Vec::new();
        let mut writer = Box::new(NdjsonWriter::new(&columns()));
        writer.rows(&rows(), &mut out).expect("rows");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["seq"], 1);
    }
}
