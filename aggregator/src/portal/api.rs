//! The JSON and CSV endpoints under `/api/v1` (table in [`super::openapi::ROUTES`]).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use sovbench_core::catalogue::Catalogue;
use sovbench_core::envelope::fingerprint;
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

use super::archive::Archived;
use super::http::{self, json_response, typed, ApiError};
use super::labels::{cohort_name, decimals_for};
use super::{openapi, trends, Portal};
use crate::publication::{benchmark_json, export_publication};

/// The list entry of a published round.
pub fn summary_json(a: &Archived) -> Value {
    let p = &a.publication;
    json!({
        "round_id": p.round_id,
        "published_at": p.published_at,
        "published_at_utc": format_utc(p.published_at),
        "contributors": p.contributors,
        "mode": a.mode_key(),
        "payload_sha256": hex::encode(a.payload_sha256),
        "signer_fingerprint": fingerprint(&a.signed.signer),
    })
}

/// `GET /api/v1/rounds`.
pub async fn rounds(State(portal): State<Arc<Portal>>) -> Result<Response, ApiError> {
    let list: Vec<Value> = portal.rounds()?.iter().map(|a| summary_json(a)).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"consortium": portal.consortium(), "rounds": list}),
    ))
}

fn published(portal: &Portal, id: &str) -> Result<Arc<Archived>, ApiError> {
    portal
        .round(id)?
        .ok_or_else(|| ApiError::UnknownRound(sovbench_core::display::echo(id)))
}

/// `GET /api/v1/rounds/{id}`: the export document of the signed publication.
pub async fn round(
    State(portal): State<Arc<Portal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let a = published(&portal, &id)?;
    let doc = export_publication(&a.signed)?;
    Ok(http::immutable(
        &headers,
        &http::etag(&a.payload_sha256, ""),
        || json_response(StatusCode::OK, &doc),
    ))
}

/// `GET /api/v1/rounds/{id}/cells`: JSON, or CSV with `Accept: text/csv`.
pub async fn cells(
    State(portal): State<Arc<Portal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let a = published(&portal, &id)?;
    if http::wants_csv(&headers) {
        return csv_answer(&a, &headers);
    }
    let mut doc = benchmark_json(&a.publication);
    if let Some(cells) = doc.get_mut("cells").and_then(Value::as_array_mut) {
        for c in cells.iter_mut() {
            let cohort = c["cohort"].as_str().unwrap_or("").to_string();
            c["cohort_name_de"] = json!(cohort_name(&cohort, Lang::De));
            c["cohort_name_en"] = json!(cohort_name(&cohort, Lang::En));
        }
    }
    Ok(http::immutable(
        &headers,
        &http::etag(&a.payload_sha256, "cells"),
        || json_response(StatusCode::OK, &doc),
    ))
}

/// `GET /api/v1/rounds/{id}/cells.csv`.
pub async fn cells_csv(
    State(portal): State<Arc<Portal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let a = published(&portal, &id)?;
    csv_answer(&a, &headers)
}

fn csv_answer(a: &Archived, headers: &HeaderMap) -> Result<Response, ApiError> {
    let body = cells_csv_bytes(a)?;
    Ok(http::immutable(
        headers,
        &http::etag(&a.payload_sha256, "cells-csv"),
        || typed(StatusCode::OK, "text/csv; charset=utf-8", body),
    ))
}

/// A CSV field as a spreadsheet should show it: a field that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return is a formula to Excel and LibreOffice (CSV injection), so it gets a
/// leading `'`, which they show as text; plain numbers (`-0.5`, `1e-3`) stay numbers. Round ids
/// can no longer start so ([`sovbench_core::ids`]), but rounds opened before may.
pub fn spreadsheet_safe(field: &str) -> std::borrow::Cow<'_, str> {
    let risky = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(field) {
        std::borrow::Cow::Owned(format!("'{field}"))
    } else {
        std::borrow::Cow::Borrowed(field)
    }
}

/// `[+-]digits[.digits][(e|E)[+-]digits]`: what a spreadsheet reads as a number, not a formula.
fn is_plain_number(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

/// The CSV of a round's cells: a header row, then one row per cell (empty numbers when
/// suppressed). Every field goes through [`spreadsheet_safe`].
pub fn cells_csv_bytes(a: &Archived) -> Result<Vec<u8>, ApiError> {
    let csv_err = |e: csv::Error| ApiError::Agg(crate::error::AggError::Storage(e.to_string()));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "round_id",
        "cohort",
        "metric",
        "n",
        "reporters",
        "estimate",
        "ci_low",
        "ci_high",
        "suppressed",
        "suppression",
        "fallback_cohort",
    ])
    .map_err(csv_err)?;
    let p = &a.publication;
    for c in &p.cells {
        let num = |v: f64| {
            if c.suppressed {
                String::new()
            } else {
                v.to_string()
            }
        };
        let suppression = sovbench_core::pb::Suppression::try_from(c.suppression)
            .map(|s| s.as_str_name())
            .unwrap_or("SUPPRESSION_NONE");
        let row = [
            p.round_id.as_str(),
            &c.cohort,
            &c.metric,
            &c.n.to_string(),
            &c.reporters.to_string(),
            &num(c.estimate),
            &num(c.ci_low),
            &num(c.ci_high),
            if c.suppressed { "true" } else { "false" },
            suppression,
            &c.fallback_cohort,
        ];
        w.write_record(row.iter().map(|f| spreadsheet_safe(f).into_owned()))
            .map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Agg(crate::error::AggError::Storage(e.to_string())))
}

/// The trend of a cell as JSON, for the API and the benchmark.
pub fn trend_json(
    portal: &Portal,
    metric: &str,
    cohort: &str,
    lang: Lang,
) -> Result<Value, ApiError> {
    let rounds = portal.rounds()?;
    let decimals = decimals_for(Catalogue::shared().range(metric));
    let t = trends::trend(&rounds, metric, cohort, decimals, lang);
    let mut v = serde_json::to_value(&t).map_err(crate::error::AggError::Json)?;
    v["metric_label"] = json!(Catalogue::shared().label(metric, lang));
    v["cohort_name"] = json!(cohort_name(cohort, lang));
    v["confidence"] = json!(0.95);
    v["lang"] = json!(lang.pick("de", "en"));
    Ok(v)
}

/// `GET /api/v1/trends?metric=…&cohort=…&lang=…`.
pub async fn trends(
    State(portal): State<Arc<Portal>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let q = query.as_deref();
    let metric = http::param(q, "metric")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::BadRequest("the query parameter metric is required".into()))?;
    let cohort = http::param(q, "cohort")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "all".into());
    let lang = http::lang(q, &headers);
    let v = trend_json(&portal, &metric, &cohort, lang)?;
    Ok(json_response(StatusCode::OK, &v))
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Response {
    json_response(StatusCode::OK, &openapi::document())
}

#[cfg(test)]
mod tests {
    use sovbench_core::pb;

    use super::*;

    #[test]
    fn fields_a_spreadsheet_would_evaluate_are_quoted_numbers_stay_numbers() {
        for (field, shown) in [
            ("-A2", "'-A2"),
            ("=1+1", "'=1+1"),
            ("+49 30 1234", "'+49 30 1234"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\tx", "'\tx"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1-1", "'-1-1"),
            ("-inf", "'-inf"),
            ("-0.5", "-0.5"),
            ("+3", "+3"),
            ("-12", "-12"),
            ("1e-7", "1e-7"),
            ("-2.5E+3", "-2.5E+3"),
            ("2026-q4", "2026-q4"),
            ("kind=stadt", "kind=stadt"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(field), shown, "{field:?}");
        }
    }

    /// A round stored before ids had to start with a letter or digit: `-A2`.
    #[test]
    fn a_round_id_starting_with_minus_does_not_make_every_csv_row_a_formula() {
        let cell = |estimate: f64| pb::Cell {
            cohort: "all".into(),
            metric: "selftest.datenhoheit".into(),
            n: 40,
            reporters: 40,
            estimate,
            ci_low: estimate - 0.25,
            ci_high: estimate + 0.25,
            ..Default::default()
        };
        let a = Archived {
            signed: pb::SignedMessage::default(),
            publication: pb::Publication {
                round_id: "-A2".into(),
                cells: vec![cell(-0.5), cell(2.0)],
                ..Default::default()
            },
            mode: pb::RoundMode::Direct,
            payload_sha256: [0; 32],
        };
        let bytes = cells_csv_bytes(&a).expect("csv");
        let mut rd = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2);
        for row in &rows {
            assert_eq!(&row[0], "'-A2");
            for field in row.iter() {
                assert!(
                    !field.starts_with(['=', '+', '@', '\t', '\r'])
                        && (!field.starts_with('-') || field.parse::<f64>().is_ok()),
                    "{field:?} in {row:?}"
                );
            }
        }
        // A negative estimate is still a number.
        assert_eq!(&rows[0][5], "-0.5");
        assert_eq!(&rows[0][6], "-0.75");
    }
}
