//! Tests of the inventory file formats: the sample files, round trips, errors with line and column.

use super::*;
use crate::inventory::{Category, Hosting};

fn sample() -> Vec<System> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/inventar.csv"),
    )
    .unwrap();
    parse_csv(&text).unwrap()
}

fn errors(r: Result<Vec<System>, IoError>) -> Vec<ImportError> {
    match r {
        Err(IoError::Invalid(e)) => e,
        other => panic!("expected errors, got {other:?}"),
    }
}

#[test]
fn the_sample_inventory_parses() {
    let s = sample();
    assert!(s.len() >= 55, "{}", s.len());
    assert!(s.iter().any(|x| x.exit.is_some()));
    assert!(s.iter().any(|x| x.category == Category::Fachverfahren));
}

#[test]
fn csv_store_csv_json_ods_round_trips() {
    let systems = sample();
    for lang in [Lang::De, Lang::En] {
        let csv = to_csv(&systems, lang).unwrap();
        assert_eq!(parse_csv(&csv).unwrap(), systems);
    }
    let json = serde_json::to_string(&systems).unwrap();
    assert_eq!(parse_json(&json).unwrap(), systems);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventar.ods");
    write_file(&path, &systems, Lang::De).unwrap();
    // A valid OpenDocument zip: the mimetype entry comes first, uncompressed.
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    assert!(bytes
        .windows(46)
        .any(|w| w == b"application/vnd.oasis.opendocument.spreadsheet"));
    assert_eq!(read_file(&path).unwrap(), systems);
}

#[test]
fn semicolon_separated_german_files_are_read() {
    let text = "Name;Kategorie;Rechtsraum;Hosting;Lizenz;API;Ausstiegsklausel;Relevanz;Nutzende;Vertragsende;Formate\n\
                Ratsinfo;Fachverfahren;EU/EWR;Landesrechenzentrum;proprietär;ja;nein;hoch;80;31.12.2027;\"PDF/A, CSV\"\n";
    let s = parse_csv(text).unwrap();
    assert_eq!(s[0].hosting, Hosting::PublicProvider);
    assert_eq!(s[0].formats, vec!["PDF/A", "CSV"]);
    assert_eq!(
        s[0].contract_end,
        sovbench_core::time::parse_date("2027-12-31")
    );
}

#[test]
fn broken_files_report_line_and_column_and_store_nothing() {
    let head =
        "name,category,jurisdiction,hosting,licence,api,exit_clause,relevance,users,contract_end\n";
    // Wrong header.
    let e = errors(parse_csv(
        "name,kategorie,rechtsraum,hosting,lizenz,api,ausstiegsklausel,relevanz,nutzerzahl\n",
    ));
    assert!(
        e.iter()
            .any(|x| x.line == 1 && x.column == 9 && x.message.contains("unknown column")),
        "{e:?}"
    );
    assert!(
        e.iter().any(|x| x
            .message
            .contains("required column users / Nutzende is missing")),
        "{e:?}"
    );
    // Bad date.
    let e = errors(parse_csv(&format!(
        "{head}Mail,email_kalender,us,eu_cloud,proprietaer,ja,nein,hoch,10,2027-02-30\n"
    )));
    assert_eq!((e[0].line, e[0].column), (2, 10));
    assert!(e[0].message.contains("not a valid date"), "{}", e[0]);
    // Unknown category.
    let e = errors(parse_csv(&format!(
        "{head}X,quantenrechner,us,eu_cloud,proprietaer,ja,nein,hoch,10,\n"
    )));
    assert_eq!((e[0].line, e[0].column), (2, 2));
    assert!(
        e[0].to_string()
            .contains("line 2, column 2 (category / Kategorie)"),
        "{}",
        e[0]
    );
    assert!(e[0].message.contains("fachverfahren"));
    // Duplicate names.
    let e = errors(parse_csv(&format!(
        "{head}Mail,email_kalender,us,eu_cloud,proprietaer,ja,nein,hoch,10,\nMail,textverarbeitung,eu,eigenes_rz,open_source,ja,ja,mittel,5,\n"
    )));
    assert_eq!((e[0].line, e[0].column), (3, 1));
    assert!(
        e[0].message
            .contains("duplicate name \"Mail\" (first at line 2)"),
        "{}",
        e[0]
    );
    // Every error of a file is reported, not just the first.
    let e = errors(parse_csv(&format!(
        "{head}A,email_kalender,mars,eu_cloud,proprietaer,vielleicht,nein,hoch,zehn,\n"
    )));
    assert_eq!(e.len(), 3, "{e:?}");
    // An empty file.
    assert!(errors(parse_csv(""))
        .iter()
        .any(|x| x.message.contains("empty")));
}

#[test]
fn decimal_and_thousands_separators_in_csv_are_read_or_refused_with_line_and_column() {
    // German spreadsheet export: semicolons, decimal comma, thousands dots.
    let head = "Name;Kategorie;Rechtsraum;Hosting;Lizenz;API;Ausstiegsklausel;Relevanz;Nutzende;Exit_Wechseldauer_Monate;Exit_Kosten_je_Arbeitsplatz\n";
    let ok = parse_csv(&format!(
        "{head}Mail;email_kalender;us;eu_cloud;proprietaer;ja;nein;hoch;1.234;9;6.000,00\n\
         Chat;kollaboration_chat;us;eu_cloud;proprietaer;ja;nein;hoch;1 500;6;5500\n"
    ))
    .unwrap();
    assert_eq!(ok[0].users, 1234);
    assert_eq!(ok[0].exit.as_ref().unwrap().cost_per_workplace, 6000);
    assert_eq!(ok[1].users, 1500);
    // English export with quoted thousands commas.
    let en = "name,category,jurisdiction,hosting,licence,api,exit_clause,relevance,users,exit_months,exit_cost_per_workplace\n\
              Mail,email_kalender,us,eu_cloud,proprietaer,yes,no,hoch,\"1,234\",9,\"6,000.00\"\n";
    let ok = parse_csv(en).unwrap();
    assert_eq!(ok[0].users, 1234);
    assert_eq!(ok[0].exit.as_ref().unwrap().cost_per_workplace, 6000);
    // The old reader dropped every '.': "12.50" users became 1250, "12,50" euros a refusal
    // at best. Fractions in whole-number columns are refused, naming line and column.
    let e = errors(parse_csv(&format!(
        "{head}Mail;email_kalender;us;eu_cloud;proprietaer;ja;nein;hoch;12.50;9;12,50\n"
    )));
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!((e[0].line, e[0].column), (2, 9), "{e:?}");
    assert!(
        e[0].message.contains("\"12.50\" is not a whole number"),
        "{}",
        e[0]
    );
    assert_eq!((e[1].line, e[1].column), (2, 11), "{e:?}");
    assert!(e[1].message.contains("euros per workplace"), "{}", e[1]);
    let e = errors(parse_csv(&format!(
        "{head}Mail;email_kalender;us;eu_cloud;proprietaer;ja;nein;hoch;1.23.456;9;6000\n"
    )));
    assert_eq!((e[0].line, e[0].column), (2, 9), "{e:?}");
}

#[test]
fn windows_1252_and_utf16_csv_files_read_like_utf8() {
    let text = "Name;Kategorie;Produkt;Hersteller;Rechtsraum;Hosting;Lizenz;Formate;API;Vertragsende;Kuendigungsfrist_Monate;Ausstiegsklausel;Relevanz;Nutzende\n\
                Bürgerbüro Straße;fachverfahren;Fachverfahren Ä;Öko GmbH;eu_ewr;eigenes_rz;proprietaer;ODF;ja;;3;nein;hoch;12\n";
    let utf8 = parse_csv(text).expect("utf-8");
    // Windows-1252: ü, ß, Ä, Ö are single bytes, which are not valid UTF-8.
    let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable && std::str::from_utf8(&cp1252).is_err());
    assert_eq!(
        parse_csv(&decode_text(&cp1252)).expect("windows-1252"),
        utf8
    );
    assert_eq!(utf8[0].name, "Bürgerbüro Straße");
    // UTF-16 with its byte-order mark, as some spreadsheet programs save "Unicode text".
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    assert_eq!(parse_csv(&decode_text(&utf16)).expect("utf-16"), utf8);
    // And through the file reader.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventar.csv");
    std::fs::write(&path, &cp1252).unwrap();
    assert_eq!(read_file(&path).expect("file"), utf8);
}

/// Writes `rows` into the first sheet of an `.xlsx` file, starting at sheet row 2 (row 1 stays
/// empty), numbers as numbers.
fn write_xlsx(rows: &[Vec<String>], path: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell.parse::<f64>() {
                Ok(n) => ws.write_number(r, c, n),
                Err(_) => ws.write_string(r, c, cell),
            }
            .unwrap();
        }
    }
    // A second sheet is ignored.
    wb.add_worksheet().write_string(0, 0, "Notizen").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn xlsx_first_sheet_is_read_and_errors_name_the_sheets_rows() {
    let systems = sample();
    let mut rows = table(&systems, Lang::De);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Inventar.XLSX");
    write_xlsx(&rows, &path);
    assert_eq!(read_file(&path).unwrap(), systems);

    // rows[5] is on sheet row 7 (row 1 empty, the header on row 2).
    let col = rows[0].iter().position(|h| h == "Relevanz").unwrap();
    rows[5][col] = "sehr hoch".into();
    write_xlsx(&rows, &path);
    let e = errors(read_file(&path));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].line, e[0].column), (7, col + 1), "{e:?}");

    std::fs::write(&path, b"not a workbook").unwrap();
    let err = read_file(&path).unwrap_err().to_string();
    assert!(err.contains("Inventar.XLSX"), "{err}");
}

#[test]
fn lines_are_counted_right_in_files_with_crlf_line_ends() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/inventar.csv"),
    )
    .unwrap();
    assert!(text.contains("\r\n"), "the sample has CRLF line ends");
    let lf = text.replace("\r\n", "\n");
    for text in [lf.replace("\r\n", "\n"), lf.replace('\n', "\r\n")] {
        // Line 5 (after the header and three systems) gets a relevance that does not exist.
        let broken: Vec<String> = text
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, l)| {
                if i == 4 {
                    l.replace(",kritisch,", ",sehr wichtig,")
                } else {
                    l.into()
                }
            })
            .collect();
        let e = errors(parse_csv(&broken.concat()));
        assert_eq!((e[0].line, e[0].column), (5, 13), "{e:?}");
    }
}
