//! Export files: rows of a list (incidents, issues, the delivery ledger, the audit log) written as
//! CSV, JSON, NDJSON, XLSX or PDF, a page at a time, so memory stays bounded whatever the size.
//!
//! A writer appends to a byte buffer the caller drains (into S3 multipart parts); the XLSX writer
//! builds its sheet in temporary files and hands over the finished file instead.

mod bucket;
mod columns;
mod csv;
mod json;
pub mod pdf;
mod xlsx;

pub use bucket::{BucketError, ExportBucket, Upload, PART_SIZE};
pub use columns::{catalogue, select, Column, ColumnKind, Resource};
pub use csv::CsvWriter;
pub use json::{JsonArrayWriter, NdjsonWriter};
pub use pdf::{PdfHeading, PdfWriter};
pub use xlsx::XlsxWriter;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The file formats an export can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// RFC 4180, UTF-8 (optionally with a byte-order mark for Excel).
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object a line.
    Ndjson,
    /// An Excel workbook: typed columns, dates as dates, header row, frozen pane, autofilter.
    Xlsx,
    /// A printable table: title, filters, summary, page numbers.
    Pdf,
}

impl Format {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Ndjson => "ndjson",
            Self::Xlsx => "xlsx",
            Self::Pdf => "pdf",
        }
    }

    /// The media type the download is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::Ndjson => "application/x-ndjson",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Pdf => "application/pdf",
        }
    }
}

/// One value of a row, typed by its column.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// No value.
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A point in time.
    Time(DateTime<Utc>),
}

impl Cell {
    /// The value of `column` in a row shown as the list API shows it (its JSON view).
    pub fn read(view: &Value, column: &Column) -> Self {
        let Some(value) = view.pointer(&column.pointer()) else {
            return Self::Empty;
        };
        match (value, column.kind) {
            (Value::Null, _) => Self::Empty,
            (Value::Number(n), ColumnKind::Integer) => n
                .as_i64()
                .map_or_else(|| Self::Text(n.to_string()), Self::Integer),
            (Value::String(s), ColumnKind::Time) => DateTime::parse_from_rfc3339(s).map_or_else(
                |_| Self::Text(s.clone()),
                |t| Self::Time(t.with_timezone(&Utc)),
            ),
            (Value::String(s), _) => Self::Text(s.clone()),
            (other, _) => Self::Text(other.to_string()),
        }
    }

    /// The value as text (times in RFC 3339, UTC, to the second).
    pub fn to_text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) => s.clone(),
            Self::Integer(n) => n.to_string(),
            Self::Time(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }

    /// The value as JSON (times as RFC 3339 strings).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Empty => Value::Null,
            Self::Text(s) => Value::String(s.clone()),
            Self::Integer(n) => Value::from(*n),
            Self::Time(_) => Value::String(self.to_text()),
        }
    }
}

/// Writes an export file a row at a time into a buffer the caller drains as it fills.
pub trait ExportWriter: Send {
    /// Writes the rows (each as long as the columns), appending bytes to `out`.
    fn rows(&mut self, rows: &[Vec<Cell>], out: &mut Vec<u8>) -> std::io::Result<()>;

    /// Ends the file: the last bytes into `out`, or the finished file when it was built apart.
    fn finish(self: Box<Self>, out: &mut Vec<u8>) -> std::io::Result<Finished>;
}

/// What a finished writer hands over.
#[derive(Debug)]
pub enum Finished {
    /// Everything is in the buffer.
    InBuffer,
    /// The file was built on disk (XLSX): upload it from there.
    OnDisk(std::fs::File),
}

/// What the PDF's first page says about the export, and the CSV's byte-order mark.
#[derive(Clone, Debug, Default)]
pub struct FileOptions {
    /// Start the CSV with a UTF-8 byte-order mark (Excel then reads it as UTF-8).
    pub bom: bool,
    /// The PDF's title and filter lines.
    pub heading: PdfHeading,
}

/// A writer of `format` for `columns`, its header already written into `out`.
pub fn writer(
    format: Format,
    columns: &[&'static Column],
    options: &FileOptions,
    out: &mut Vec<u8>,
) -> std::io::Result<Box<dyn ExportWriter>> {
    Ok(match format {
        Format::Csv => Box::new(CsvWriter::start(columns, options.bom, out)),
        Format::Json => Box::new(JsonArrayWriter::start(columns, out)),
        Format::Ndjson => Box::new(NdjsonWriter::new(columns)),
        Format::Xlsx => Box::new(XlsxWriter::start(columns)?),
        Format::Pdf => Box::new(PdfWriter::start(columns, options.heading.clone(), out)),
    })
}
