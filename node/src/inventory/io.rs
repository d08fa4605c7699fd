//! Import and export of the inventory: CSV (German or English column names, comma or semicolon
//! separated), JSON and OpenDocument spreadsheet (ODS); Excel (`.xlsx`, first sheet, `io/xlsx.rs`) is
//! read for import only. An import either stores every row or,
//! if any row has an error, nothing; each error names its line and column.
//!
//! Columns (English / German name; `*` required):
//!
//! | English | Deutsch | content |
//! |---|---|---|
//! | name* | Name | unique name |
//! | category* | Kategorie | e.g. `email_kalender`, `E-Mail & Kalender`, `fachverfahren` |
//! | product | Produkt | |
//! | vendor | Hersteller | |
//! | jurisdiction* | Rechtsraum | `eu_ewr`, `us`, `andere` |
//! | hosting* | Hosting | `eigenes_rz`, `oeffentlicher_dienstleister`, `eu_cloud`, `nicht_eu_anbieter_eu_region`, `ausserhalb_eu` |
//! | licence* | Lizenz | `open_source`, `proprietaer` |
//! | formats | Formate | comma-, semicolon- or `|`-separated: ODF, OOXML, CSV, CalDAV, ... |
//! | api* | API | ja/nein, yes/no |
//! | contract_end | Vertragsende | `YYYY-MM-DD` or `DD.MM.YYYY` |
//! | notice_months | Kuendigungsfrist_Monate | whole months |
//! | exit_clause* | Ausstiegsklausel | ja/nein |
//! | relevance* | Relevanz | `kritisch`, `hoch`, `mittel`, `niedrig` |
//! | users* | Nutzende | number of users (numbers: `1.234`, `1 234`, `1,234`; see `io/numbers.rs`) |
//! | exit_alternatives | Exit_Alternativen | separated like formats |
//! | exit_months | Exit_Wechseldauer_Monate | required when any exit column is filled |
//! | exit_formats | Exit_Exportformate | |
//! | exit_cost_per_workplace | Exit_Kosten_je_Arbeitsplatz | EUR, default 6000 |
//! | exit_status | Exit_Status | `entwurf`, `abgestimmt`, `getestet` |

use std::collections::HashMap;
use std::path::Path;

use sovbench_core::files::write_atomically;
use sovbench_core::i18n::Lang;

use super::System;

mod columns;
mod numbers;
mod rows;
mod xlsx;

pub use columns::{ImportError, COLUMNS};
pub use rows::parse_bool;
use rows::{header_of, Row};

/// Errors of reading or writing inventory files.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The file has errors; nothing was imported.
    #[error("{} error(s), nothing imported:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ImportError>),
    /// The file could not be read or written.
    #[error("{0}")]
    File(String),
    /// The extension names no supported format.
    #[error("unsupported file type {0:?}: use .csv, .json or .ods (or .xlsx to import)")]
    Format(String),
}

/// Supported file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma- or semicolon-separated values.
    Csv,
    /// JSON array of systems.
    Json,
    /// OpenDocument spreadsheet.
    Ods,
}

impl FileFormat {
    /// From a file name's extension.
    pub fn of(path: &Path) -> Result<FileFormat, IoError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_lowercase();
        match ext.as_str() {
            "csv" => Ok(FileFormat::Csv),
            "json" => Ok(FileFormat::Json),
            "ods" => Ok(FileFormat::Ods),
            other => Err(IoError::Format(other.to_string())),
        }
    }
}

/// Reads systems from a file (format by extension; `.xlsx` too, whose first sheet is read with
/// the same columns as CSV, errors naming the sheet's row numbers).
pub fn read_file(path: &Path) -> Result<Vec<System>, IoError> {
    let format = ImportFormat::of(path)?;
    let bytes =
        std::fs::read(path).map_err(|e| IoError::File(format!("{}: {e}", path.display())))?;
    read_bytes(format, &path.display().to_string(), &bytes)
}

/// The formats an import reads: the [`FileFormat`]s and Excel (`.xlsx`, import only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// CSV, JSON or ODS.
    File(FileFormat),
    /// An Excel workbook's first sheet.
    Xlsx,
}

impl ImportFormat {
    /// From a file name's extension (an uploaded file's name, or a path).
    pub fn of(path: &Path) -> Result<ImportFormat, IoError> {
        let is_xlsx = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        if is_xlsx {
            Ok(ImportFormat::Xlsx)
        } else {
            FileFormat::of(path).map(ImportFormat::File)
        }
    }
}

/// Reads systems from the bytes of a file in `format` (an upload; `name` names the file in
/// errors that are not about a line). All or nothing, like [`read_file`].
pub fn read_bytes(format: ImportFormat, name: &str, bytes: &[u8]) -> Result<Vec<System>, IoError> {
    let ferr = |e: String| IoError::File(format!("{name}: {e}"));
    match format {
        ImportFormat::Xlsx => parse_table(xlsx::xlsx_rows(name, bytes)?),
        ImportFormat::File(FileFormat::Csv) => parse_csv(&decode_text(bytes)),
        ImportFormat::File(FileFormat::Json) => {
            let text = std::str::from_utf8(bytes).map_err(|e| ferr(e.to_string()))?;
            parse_json(text)
        }
        ImportFormat::File(FileFormat::Ods) => {
            let wb = spreadsheet_ods::read_ods_buf(bytes).map_err(|e| ferr(e.to_string()))?;
            parse_table(ods_rows(&wb))
        }
    }
}

/// The text of a CSV file in the encodings spreadsheet programs write: a byte-order mark decides
/// (UTF-8, UTF-16); without one, valid UTF-8 is UTF-8 and anything else is read as Windows-1252,
/// the default of spreadsheet programs in German offices (a superset of Latin-1 for text).
pub fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_with_bom_removal(bytes).0;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// Writes systems to a file (format by extension).
pub fn write_file(path: &Path, systems: &[System], lang: Lang) -> Result<(), IoError> {
    let bytes = match FileFormat::of(path)? {
        FileFormat::Csv => to_csv(systems, lang)?.into_bytes(),
        FileFormat::Json => {
            serde_json::to_vec_pretty(systems).map_err(|e| IoError::File(e.to_string()))?
        }
        FileFormat::Ods => to_ods(&[("Inventar", table(systems, lang))])?,
    };
    write_atomically(path, &bytes).map_err(|e| IoError::File(e.to_string()))
}

/// Parses CSV text; the separator (comma or semicolon) follows from the header line.
pub fn parse_csv(text: &str) -> Result<Vec<System>, IoError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // The line of a record, counted from its byte offset: after a CRLF terminator the csv
    // crate's record starts at the '\n' and its line count lags one behind, and files from
    // Windows end their lines with CRLF. Line ends before the record's first byte are skipped.
    let bytes = text.as_bytes();
    let line_at = |byte: u64| {
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while bytes.get(end).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            end += 1;
        }
        1 + bytes[..end].iter().filter(|&&b| b == b'\n').count()
    };
    let mut rows = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map_or(0, |p| line_at(p.byte()));
                rows.push((line, r.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                return Err(IoError::Invalid(vec![ImportError {
                    line,
                    column: 0,
                    header: String::new(),
                    message: format!("not valid CSV: {e}"),
                }]));
            }
        }
    }
    parse_table(rows)
}

/// Parses a JSON array of systems.
pub fn parse_json(text: &str) -> Result<Vec<System>, IoError> {
    let systems: Vec<System> = serde_json::from_str(text).map_err(|e| {
        IoError::Invalid(vec![ImportError {
            line: e.line(),
            column: e.column(),
            header: String::new(),
            message: e.to_string(),
        }])
    })?;
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, s) in systems.iter().enumerate() {
        if let Err(m) = s.validate() {
            errors.push(ImportError {
                line: 0,
                column: 0,
                header: String::new(),
                message: format!("system {}: {m}", i + 1),
            });
        }
        if let Some(first) = seen.insert(s.name.clone(), i + 1) {
            errors.push(ImportError {
                line: 0,
                column: 0,
                header: String::new(),
                message: format!(
                    "system {}: duplicate name {:?} (first as system {first})",
                    i + 1,
                    s.name
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(systems)
    } else {
        Err(IoError::Invalid(errors))
    }
}

/// Parses rows (`(line, cells)`, the first row the header) into systems; all or nothing.
pub fn parse_table(rows: Vec<(usize, Vec<String>)>) -> Result<Vec<System>, IoError> {
    let mut it = rows.into_iter();
    let Some((hline, header)) = it.next() else {
        return Err(IoError::Invalid(vec![ImportError {
            line: 1,
            column: 0,
            header: String::new(),
            message: "the file is empty".into(),
        }]));
    };
    let mut errors = Vec::new();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (c, h) in header.iter().enumerate() {
        let h = h.trim();
        if h.is_empty() {
            continue;
        }
        match COLUMNS
            .iter()
            .find(|(_, en, de, _)| en.eq_ignore_ascii_case(h) || de.eq_ignore_ascii_case(h))
        {
            Some((key, ..)) => {
                if index.insert(key, c).is_some() {
                    errors.push(ImportError {
                        line: hline,
                        column: c + 1,
                        header: h.to_string(),
                        message: "column appears twice".into(),
                    });
                }
            }
            None => errors.push(ImportError {
                line: hline,
                column: c + 1,
                header: h.to_string(),
                message: format!(
                    "unknown column; known: {}",
                    COLUMNS
                        .iter()
                        .map(|c| format!("{}/{}", c.1, c.2))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
    for (key, en, de, required) in COLUMNS {
        if *required && !index.contains_key(key) {
            errors.push(ImportError {
                line: hline,
                column: 0,
                header: String::new(),
                message: format!("required column {en} / {de} is missing"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(IoError::Invalid(errors));
    }
    let mut systems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, cells) in it {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut row = Row {
            line,
            cells: &cells,
            index: &index,
            errors: &mut errors,
        };
        if let Some(s) = row.system() {
            if let Some(first) = seen.insert(s.name.clone(), line) {
                let c = index.get("name").copied().unwrap_or(0);
                errors.push(ImportError {
                    line,
                    column: c + 1,
                    header: header_of(&header, c),
                    message: format!("duplicate name {:?} (first at line {first})", s.name),
                });
            } else {
                systems.push(s);
            }
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if errors.is_empty() {
        Ok(systems)
    } else {
        Err(IoError::Invalid(errors))
    }
}

fn yes_no(b: bool, lang: Lang) -> String {
    if b {
        lang.pick("ja", "yes")
    } else {
        lang.pick("nein", "no")
    }
    .to_string()
}

/// The inventory as a table: header (in `lang`) and one row per system, keys as values.
pub fn table(systems: &[System], lang: Lang) -> Vec<Vec<String>> {
    let mut rows = vec![COLUMNS
        .iter()
        .map(|(_, en, de, _)| lang.pick(de, en).to_string())
        .collect::<Vec<_>>()];
    for s in systems {
        let e = s.exit.as_ref();
        rows.push(vec![
            s.name.clone(),
            s.category.key().to_string(),
            s.product.clone(),
            s.vendor.clone(),
            s.jurisdiction.key().to_string(),
            s.hosting.key().to_string(),
            s.licence.key().to_string(),
            s.formats.join(", "),
            yes_no(s.api, lang),
            s.contract_end
                .map(sovbench_core::time::format_days)
                .unwrap_or_default(),
            s.notice_months.map(|m| m.to_string()).unwrap_or_default(),
            yes_no(s.exit_clause, lang),
            s.relevance.key().to_string(),
            s.users.to_string(),
            e.map(|e| e.alternatives.join(", ")).unwrap_or_default(),
            e.map(|e| e.switch_months.to_string()).unwrap_or_default(),
            e.map(|e| e.export_formats.join(", ")).unwrap_or_default(),
            e.map(|e| e.cost_per_workplace.to_string())
                .unwrap_or_default(),
            e.map(|e| e.status.key().to_string()).unwrap_or_default(),
        ]);
    }
    rows
}

/// CSV of a table (comma separated, quoted where needed).
pub fn table_to_csv(rows: &[Vec<String>]) -> Result<String, IoError> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for r in rows {
        w.write_record(r)
            .map_err(|e| IoError::File(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| IoError::File(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| IoError::File(e.to_string()))
}

/// CSV export of systems.
pub fn to_csv(systems: &[System], lang: Lang) -> Result<String, IoError> {
    table_to_csv(&table(systems, lang))
}

/// An ODS document with one sheet per table; cells that are whole numbers are written as numbers.
pub fn to_ods(sheets: &[(&str, Vec<Vec<String>>)]) -> Result<Vec<u8>, IoError> {
    let mut wb = spreadsheet_ods::WorkBook::new_empty();
    for (name, rows) in sheets {
        let mut sheet = spreadsheet_ods::Sheet::new(*name);
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                match v.parse::<i64>() {
                    Ok(n) if r > 0 && !v.starts_with('0') || v == "0" => {
                        sheet.set_value(r as u32, c as u32, n as f64)
                    }
                    _ => sheet.set_value(r as u32, c as u32, v.as_str()),
                }
            }
        }
        wb.push_sheet(sheet);
    }
    spreadsheet_ods::write_ods_buf(&mut wb, Vec::new())
        .map_err(|e| IoError::File(format!("ODS: {e}")))
}

/// The rows of the first sheet of an ODS workbook as strings, with 1-based row numbers.
pub fn ods_rows(wb: &spreadsheet_ods::WorkBook) -> Vec<(usize, Vec<String>)> {
    use spreadsheet_ods::Value;
    if wb.num_sheets() == 0 {
        return Vec::new();
    }
    let sheet = wb.sheet(0);
    let (rows, cols) = sheet.used_grid_size();
    (0..rows)
        .map(|r| {
            let cells = (0..cols)
                .map(|c| match sheet.value(r, c) {
                    Value::Empty => String::new(),
                    Value::Text(s) => s.clone(),
                    Value::Boolean(b) => (if *b { "ja" } else { "nein" }).to_string(),
                    Value::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
                    Value::Number(n) => numbers::spreadsheet_number(*n),
                    Value::DateTime(d) => d.format("%Y-%m-%d").to_string(),
                    other => other.as_str_or("").to_string(),
                })
                .collect();
            (r as usize + 1, cells)
        })
        .collect()
}

#[cfg(test)]
mod tests;
