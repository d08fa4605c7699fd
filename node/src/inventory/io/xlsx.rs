//! Reading the first sheet of an Excel workbook (`.xlsx`) with calamine, as rows of strings with
//! the sheet's own row numbers, for the same table parser as CSV and ODS.

use std::io::Cursor;

use calamine::{Data, Reader as _, Xlsx};

use super::{numbers, IoError};

/// The rows of the first sheet of the `.xlsx` file `name` whose bytes are `bytes`, with the
/// sheet's 1-based row numbers (empty rows above the first used cell are skipped, not
/// renumbered).
pub fn xlsx_rows(name: &str, bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, IoError> {
    let ferr = |e: String| IoError::File(format!("{name}: {e}"));
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| ferr(format!("{e}")))?;
    let range = match wb.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| ferr(format!("{e}")))?,
        None => return Ok(Vec::new()),
    };
    let Some((first_row, first_col)) = range.start() else {
        return Ok(Vec::new());
    };
    // Columns left of the used range are empty cells, so that column numbers stay the sheet's.
    let pad = first_col as usize;
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut row = vec![String::new(); pad];
            row.extend(cells.iter().map(cell_text));
            (first_row as usize + i + 1, row)
        })
        .collect())
}

/// A cell as the text the table parser reads.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => (if *b { "ja" } else { "nein" }).to_string(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => numbers::spreadsheet_number(*f),
        // Excel's serial date: days since 1899-12-30.
        Data::DateTime(d) if d.is_datetime() => {
            let days = d.as_f64().floor() as i64;
            sovbench_core::time::format_days(days - 25_569)
        }
        Data::DateTime(d) => numbers::spreadsheet_number(d.as_f64()),
        Data::Error(e) => format!("#{e:?}"),
    }
}
