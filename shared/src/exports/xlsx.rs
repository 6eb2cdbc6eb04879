//! XLSX exports with `rust_xlsxwriter` in constant-memory mode: each row goes to a temporary file
//! as it is written (strings inline, no shared string table), so memory does not grow with the
//! rows. Typed columns (numbers as numbers, times as Excel dates in UTC), a bold header row, a
//! frozen pane below it and an autofilter over the table. A sheet holds Excel's 1,048,576 rows;
//! more rows continue on another sheet with the same header.

use super::{Cell, Column, ColumnKind, ExportWriter, Finished};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::io::{Seek, SeekFrom};

/// Excel's rows per sheet.
const SHEET_ROWS: u32 = 1_048_576;
/// Excel's longest cell text.
const CELL_CHARS: usize = 32_767;

/// Writes an XLSX workbook.
pub struct XlsxWriter {
    workbook: Workbook,
    columns: Vec<&'static Column>,
    /// The sheet being written (and how many came before it).
    sheet: usize,
    next_row: u32,
    header: Format,
    date: Format,
}

impl std::fmt::Debug for XlsxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxWriter")
            .field("sheet", &self.sheet)
            .field("next_row", &self.next_row)
            .finish()
    }
}

fn io(error: XlsxError) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

fn width(column: &Column) -> f64 {
    match column.kind {
        ColumnKind::Time => 20.0,
        _ => f64::from(column.weight) * 5.0,
    }
}

impl XlsxWriter {
    /// A workbook with its first sheet and header row.
    pub fn start(columns: &[&'static Column]) -> std::io::Result<Self> {
        let mut writer = Self {
            workbook: Workbook::new(),
            columns: columns.to_vec(),
            sheet: usize::MAX,
            next_row: 0,
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        };
        writer.add_sheet()?;
        Ok(writer)
    }

    fn add_sheet(&mut self) -> std::io::Result<()> {
        let index = self.sheet.wrapping_add(1);
        let name = format!("Export {}", index + 1);
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(io)?;
        sheet.set_name(name).map_err(io)?;
        for (i, column) in self.columns.iter().enumerate() {
            let col = i as u16;
            sheet.set_column_width(col, width(column)).map_err(io)?;
            sheet
                .write_string_with_format(0, col, column.name, &self.header)
                .map_err(io)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(io)?;
        self.sheet = index;
        self.next_row = 1;
        Ok(())
    }

    /// Puts the autofilter over the current sheet's table.
    fn close_sheet(&mut self) -> std::io::Result<()> {
        let last_col = self.columns.len().saturating_sub(1) as u16;
        let last_row = self.next_row.saturating_sub(1);
        let sheet = self.workbook.worksheet_from_index(self.sheet).map_err(io)?;
        sheet.autofilter(0, 0, last_row, last_col).map_err(io)?;
        Ok(())
    }

    fn write_row(&mut self, row: &[Cell]) -> std::io::Result<()> {
        if self.next_row == SHEET_ROWS {
            self.close_sheet()?;
            self.add_sheet()?;
        }
        let at = self.next_row;
        let date = self.date.clone();
        let sheet = self.workbook.worksheet_from_index(self.sheet).map_err(io)?;
        for (i, cell) in row.iter().enumerate() {
            let col = i as u16;
            match cell {
                Cell::Empty => {}
                Cell::Integer(n) => {
                    sheet.write_number(at, col, *n as f64).map_err(io)?;
                }
                Cell::Time(t) => match ExcelDateTime::from_timestamp(t.timestamp()) {
                    Ok(value) => {
                        sheet
                            .write_datetime_with_format(at, col, value, &date)
                            .map_err(io)?;
                    }
                    Err(_) => {
                        sheet.write_string(at, col, cell.to_text()).map_err(io)?;
                    }
                },
                Cell::Text(s) => {
                    let text: String = s.chars().take(CELL_CHARS).collect();
                    sheet.write_string(at, col, text).map_err(io)?;
                }
            }
        }
        self.next_row += 1;
        Ok(())
    }
}

impl ExportWriter for XlsxWriter {
    fn rows(&mut self, rows: &[Vec<Cell>], _out: &mut Vec<u8>) -> std::io::Result<()> {
        rows.iter().try_for_each(|row| self.write_row(row))
    }

    fn finish(mut self: Box<Self>, _out: &mut Vec<u8>) -> std::io::Result<Finished> {
        self.close_sheet()?;
        let path = std::env::temp_dir().join(format!("faultline-{}.xlsx", ulid::Ulid::new()));
        let file = std::fs::File::create(&path)?;
        let saved = self.workbook.save_to_writer(&file).map_err(io);
        let reopened = std::fs::File::open(&path);
        // Unlinked now: the open handle keeps the bytes until the upload drops it.
        std::fs::remove_file(&path)?;
        saved?;
        let mut file = reopened?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Finished::OnDisk(file))
    }
}
