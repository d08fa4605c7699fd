//! Procurement (Vergabekriterien, Stufe 2 of the report): the weighted criteria matrix as a form,
//! the candidates as an upload (the TOML file of `procurement score`), the ranking with each
//! score explained, and the ranking as an ODS download. A criterion key that the matrix does not
//! have, in a form or an upload, is shown to the person and nothing is stored.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::people::Action;
use crate::procurement::criteria::{self, CriteriaEdit};
use crate::procurement::{
    self, parse_candidates, unknown_scores, CriteriaError, ProcurementError, BUILTIN,
};
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::{self, Fields};
use crate::web::layout::{self, csrf_field};
use crate::web::pages::fields::problem;
use crate::web::site::Site;

/// `GET /procurement`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    render(&c, &[], StatusCode::OK)
}

fn render(c: &Ctx<'_>, problems: &[String], status: StatusCode) -> Result<Response, WebError> {
    let lang = c.lang;
    let store = c.node().store();
    let crit = store.criteria()?;
    let cands = store.candidates()?;
    let scored = procurement::score(&cands, &crit, lang);
    let unknown = unknown_scores(&cands, &crit);
    let fill = c.may(Action::Fill);
    let own: Vec<&str> = crit
        .iter()
        .map(|x| x.key.as_str())
        .filter(|k| !BUILTIN.contains(k))
        .collect();
    let body = html! {
        @if !problems.is_empty() {
            (problem(c.t("Nicht gespeichert:", "Not saved:"), problems))
        }
        p { (c.t(
            "Souveränität als Vergabekriterium: Die gewichtete Kriterienmatrix bewertet die Kandidaten einer Ausschreibung von 0 bis 100 und begründet jede Bewertung.",
            "Sovereignty as a procurement criterion: the weighted criteria matrix scores a tender's candidates from 0 to 100 and explains every score.")) }
        h2 { (c.t("Vergabekriterien", "Procurement criteria")) }
        form method="post" action=(ctx::with_lang("/procurement/criteria", lang)) {
            @if fill { (csrf_field(c)) input type="hidden" name="op" value="set"; }
            table {
                caption { (c.t("Kriterien und ihre Gewichte (nur die Verhältnisse zählen)", "Criteria and their weights (only the ratios count)")) }
                thead { tr {
                    th scope="col" { (c.t("Schlüssel", "Key")) }
                    th scope="col" { (c.t("Kriterium", "Criterion")) }
                    th scope="col" class="num" { (c.t("Gewicht", "Weight")) }
                } }
                tbody {
                    @for x in &crit {
                        tr {
                            td { (x.key) }
                            th scope="row" { @if fill { label for=(format!("w-{}", x.key)) { (x.label) } } @else { (x.label) } }
                            td class="num" {
                                @if fill {
                                    input type="number" min="0" step="any" id=(format!("w-{}", x.key)) name=(format!("w.{}", x.key)) value=(x.weight);
                                } @else { (x.weight) }
                            }
                        }
                    }
                }
            }
            @if fill { p { button type="submit" { (c.t("Gewichte speichern", "Save weights")) } } }
        }
        @if fill {
            h3 { (c.t("Eigenes Kriterium hinzufügen", "Add an own criterion")) }
            form method="post" action=(ctx::with_lang("/procurement/criteria", lang)) {
                (csrf_field(c))
                input type="hidden" name="op" value="add";
                p { label for="add-key" { (c.t("Schlüssel (wie in der Kandidatendatei)", "Key (as in the candidate file)")) } input type="text" id="add-key" name="key"; }
                p { label for="add-label" { (c.t("Bezeichnung", "Label")) } input type="text" id="add-label" name="label"; }
                p { label for="add-weight" { (c.t("Gewicht", "Weight")) } input type="number" min="0" step="any" id="add-weight" name="weight"; }
                p { button type="submit" { (c.t("Kriterium hinzufügen", "Add criterion")) } }
            }
            @if !own.is_empty() {
                h3 { (c.t("Eigenes Kriterium entfernen", "Remove an own criterion")) }
                form method="post" action=(ctx::with_lang("/procurement/criteria", lang)) {
                    (csrf_field(c))
                    input type="hidden" name="op" value="remove";
                    p { label for="remove-key" { (c.t("Kriterium", "Criterion")) }
                        select id="remove-key" name="key" { @for k in &own { option value=(k) { (k) } } } }
                    p { button type="submit" { (c.t("Entfernen", "Remove")) } }
                }
            }
            form method="post" action=(ctx::with_lang("/procurement/criteria", lang)) class="inline-form" {
                (csrf_field(c))
                input type="hidden" name="op" value="reset";
                button type="submit" class="secondary" { (c.t("Zurück zur Standardmatrix", "Back to the default matrix")) }
            }
        }
        h2 { (c.t("Kandidaten", "Candidates")) }
        @if fill {
            form method="post" action=(ctx::with_lang("/procurement/candidates", lang)) enctype="multipart/form-data" {
                (csrf_field(c))
                p {
                    label for="cand-file" { (c.t("Kandidatendatei hochladen (TOML)", "Upload a candidate file (TOML)")) }
                    span class="hint" id="cand-file-hint" { (c.t("wie docs/samples/kandidaten.toml; ersetzt die bisherigen Kandidaten", "like docs/samples/kandidaten.toml; replaces the current candidates")) }
                    input type="file" id="cand-file" name="file" accept=".toml" aria-describedby="cand-file-hint";
                }
                p { button type="submit" { (c.t("Kandidaten hochladen", "Upload candidates")) } }
            }
        }
        @if !unknown.is_empty() {
            div class="warning" role="status" {
                p { (c.t("Diese Bewertungen gehören zu keinem Kriterium der Matrix und zählen nicht:", "These ratings belong to no criterion of the matrix and do not count:")) }
                ul { @for (cand, key) in &unknown { li { (cand) ": " (key) } } }
            }
        }
        @if scored.is_empty() {
            p { (c.t("Noch keine Kandidaten.", "No candidates yet.")) }
        } @else {
            table {
                caption { (c.t("Rangfolge der Kandidaten", "Ranking of the candidates")) }
                thead { tr {
                    th scope="col" class="num" { (c.t("Rang", "Rank")) }
                    th scope="col" { (c.t("Kandidat", "Candidate")) }
                    th scope="col" class="num" { (c.t("Gesamt (0–100)", "Total (0–100)")) }
                    @for x in &crit { th scope="col" { (x.label) " (" (x.weight) ")" } }
                } }
                tbody {
                    @for s in &scored {
                        tr {
                            td class="num" { (s.rank) }
                            th scope="row" { (s.name) }
                            td class="num" { (layout::num(s.total, 1, lang)) }
                            @for p in &s.parts { td { (layout::num(p.score, 1, lang)) "/5 – " (p.why) } }
                        }
                    }
                }
            }
            p { a href=(ctx::with_lang("/procurement/export.ods", lang)) download { (c.t("Rangfolge als ODS herunterladen", "Download the ranking as ODS")) } }
        }
    };
    let mut res = layout::page(c, c.t("Beschaffung", "Procurement"), body).into_response();
    *res.status_mut() = status;
    Ok(res)
}

fn criteria_problem(c: &Ctx<'_>, e: &CriteriaError) -> String {
    match e {
        CriteriaError::NoSuchCriterion(k) => format!(
            "{} „{k}“ {}",
            c.t("Das Kriterium", "The criterion"),
            c.t(
                "gibt es in der Matrix nicht; nichts wurde geändert.",
                "is not in the matrix; nothing was changed."
            )
        ),
        CriteriaError::Exists(k) => format!(
            "{} „{k}“ {}",
            c.t("Das Kriterium", "The criterion"),
            c.t("gibt es schon.", "exists already.")
        ),
        CriteriaError::BuiltIn(k) => format!(
            "„{k}“ {}",
            c.t(
                "ist ein eingebautes Kriterium; setzen Sie sein Gewicht auf 0.",
                "is a built-in criterion; set its weight to 0."
            )
        ),
        other => format!("{}: {other}", c.t("Ungültige Angabe", "Not valid")),
    }
}

/// `POST /procurement/criteria`: `op` = set (fields `w.KEY`), add (key, label, weight),
/// remove (key) or reset.
pub async fn criteria(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let mut e = CriteriaEdit::default();
    let op = f.text("op");
    match op.as_str() {
        "set" => {
            for (k, v) in f
                .pairs()
                .filter_map(|(k, v)| Some((k.strip_prefix("w.")?, v)))
            {
                e.set.push(format!("{k}={}", v.trim()));
            }
        }
        "add" => {
            let key = f.text("key");
            if key.is_empty() || key.contains(['=', ':']) {
                let msg = c.t(
                    "Bitte einen Schlüssel ohne „=“ und „:“ angeben.",
                    "Please give a key without “=” and “:”.",
                );
                return render(&c, &[msg.to_string()], StatusCode::UNPROCESSABLE_ENTITY);
            }
            let label = Some(f.text("label"))
                .filter(|l| !l.is_empty())
                .unwrap_or(key.clone());
            e.add.push(format!("{key}={}:{label}", f.text("weight")));
        }
        "remove" => e.remove.push(f.text("key")),
        "reset" => e.reset = true,
        _ => return Err(WebError::BadRequest(c.lang, format!("op {op:?}"))),
    }
    match criteria::edit(c.node(), &e) {
        Ok(list) => {
            let change = format!(
                "Vergabekriterien geändert / procurement criteria changed ({op}): {}",
                list.iter()
                    .map(|x| format!("{}={}", x.key, x.weight))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            c.done(
                &change,
                c.t(
                    "Vergabekriterien gespeichert.",
                    "Procurement criteria saved.",
                ),
                "/procurement",
            )
        }
        Err(ProcurementError::Criteria(err)) => {
            let msg = criteria_problem(&c, &err);
            render(&c, &[msg], StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(ProcurementError::Node(err)) => Err(err.into()),
        Err(other) => Err(WebError::BadRequest(c.lang, other.to_string())),
    }
}

/// `POST /procurement/candidates` (multipart, field `file`): replaces the candidates, or shows
/// every problem and stores nothing.
pub async fn candidates(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let Ok(mp) = mp else {
        return Err(c
            .check_form(None, Action::Fill)
            .err()
            .unwrap_or(WebError::Csrf(c.lang)));
    };
    let (f, file) = form::multipart(mp, c.lang).await?;
    c.check_form(f.csrf(), Action::Fill)?;
    let refuse = |msg: String| render(&c, &[msg], StatusCode::UNPROCESSABLE_ENTITY);
    let Some(file) = file else {
        return refuse(
            c.t("Bitte eine Datei wählen.", "Please choose a file.")
                .into(),
        );
    };
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        return refuse(format!(
            "„{}“: {}",
            file.name,
            c.t("keine UTF-8-Textdatei.", "not a UTF-8 text file.")
        ));
    };
    let cands = match parse_candidates(text) {
        Ok(x) => x,
        Err(e) => return refuse(format!("„{}“: {e}", file.name)),
    };
    let crit = c.node().store().criteria()?;
    let unknown = unknown_scores(&cands, &crit);
    if !unknown.is_empty() {
        let msgs: Vec<String> = unknown
            .iter()
            .map(|(cand, key)| {
                format!(
                    "{} „{cand}“: {} „{key}“ {}",
                    c.t("Kandidat", "Candidate"),
                    c.t("unbekanntes Kriterium", "unknown criterion"),
                    c.t(
                        "– bitte zuerst als eigenes Kriterium hinzufügen oder aus der Datei entfernen.",
                        "– please add it as an own criterion first or remove it from the file."
                    )
                )
            })
            .collect();
        return render(&c, &msgs, StatusCode::UNPROCESSABLE_ENTITY);
    }
    c.node().store().put_candidates(&cands)?;
    c.done(
        &format!(
            "Kandidaten hochgeladen / candidates uploaded: {} aus {:?}",
            cands.len(),
            file.name
        ),
        &format!(
            "{} {}",
            cands.len(),
            c.t("Kandidaten gespeichert.", "candidates saved.")
        ),
        "/procurement",
    )
}

/// `GET /procurement/export.ods`: the ranking as an ODS download.
pub async fn export(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let store = c.node().store();
    let crit = store.criteria()?;
    let scored = procurement::score(&store.candidates()?, &crit, c.lang);
    let t = procurement::table(&scored, &crit, c.lang);
    let bytes = crate::inventory::io::to_ods(&[(c.t("Bewertung", "Scoring"), t)])
        .map_err(|e| WebError::BadRequest(c.lang, e.to_string()))?;
    let name = c.t("bewertung.ods", "scoring.ods");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.oasis.opendocument.spreadsheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
