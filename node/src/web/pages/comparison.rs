//! Comparison: the latest publication this node has verified and kept, against the
//! administration's own values (which never leave the node), per cohort an SVG position chart
//! ([`crate::present::chart::position_chart`]) with its data as a table and a verdict only where
//! the interval supports one ([`crate::compare::Verdict`]); the history across the kept
//! publications ([`crate::compare::kept_history`]); downloads of the HTML report and an ODS
//! workbook; and fetching the latest publication from the aggregator (as `sovbench-node
//! compare` does, then `compare --history`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::cohort_id_label;
use sovbench_core::i18n::Lang;

use crate::compare::{self, Comparison, History};
use crate::error::NodeError;
use crate::people::Action;
use crate::present::chart::{estimate, interval, position_chart, value};
use crate::present::compare::suppression_note;
use crate::present::compare_html::{chart_rows, cohorts, table_cells};
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout::{self, csrf_field};
use crate::web::site::Site;

/// `GET /comparison`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    Ok(render(&c, None)?.into_response())
}

/// `POST /comparison/fetch`: fetches and verifies the latest publication, then the publications
/// of every round this node took part in, and keeps them.
pub async fn fetch(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Read)?;
    match compare::compare(c.node(), None).await {
        Ok(cmp) => {
            // The history fetches each round's publication; a round not published yet is no
            // error there, so what fails here is worth saying but does not undo the latest.
            let history = match compare::history(c.node()).await {
                Ok(_) => String::new(),
                Err(e) => format!(
                    " {} {}",
                    c.t("Verlauf nicht vollständig:", "History incomplete:"),
                    e.localised(c.lang)
                ),
            };
            let text = |lang: Lang| {
                format!(
                    "{} {} {}.",
                    lang.pick("Veröffentlichung der Runde", "Publication of round"),
                    cmp.round_id,
                    lang.pick("abgerufen und geprüft", "fetched and verified")
                )
            };
            c.done(
                &format!(
                    "Vergleich abgerufen / comparison fetched: {}",
                    text(Lang::De)
                ),
                &format!("{}{history}", text(c.lang)),
                "/comparison",
            )
        }
        Err(NodeError::Refused {
            code: tonic::Code::NotFound,
            message,
        }) => c.done(
            "Vergleich abgerufen: noch keine Veröffentlichung / comparison fetched: none yet",
            &format!(
                "{} ({message})",
                c.t(
                    "Der Aggregator hat noch keine Veröffentlichung.",
                    "The aggregator has no publication yet."
                )
            ),
            "/comparison",
        ),
        Err(e) => {
            let problem = format!(
                "{} {}",
                c.t(
                    "Die Veröffentlichung konnte nicht abgerufen werden:",
                    "The publication could not be fetched:"
                ),
                e.localised(c.lang)
            );
            let mut res = render(&c, Some(problem))?.into_response();
            *res.status_mut() = StatusCode::BAD_GATEWAY;
            Ok(res)
        }
    }
}

/// `GET /comparison/report.html`: the self-contained status report.
pub async fn report_html(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let html = crate::report::render(c.node(), c.lang, c.node().now())?;
    Ok(download(
        "text/html; charset=utf-8",
        "attachment; filename=\"souveraenitaetsbericht.html\"",
        html.into_bytes(),
    ))
}

/// `GET /comparison/report.ods`: the comparison and its history as a workbook.
pub async fn report_ods(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let lang = c.lang;
    let latest = match compare::latest_publication(c.node())? {
        Some(p) => Some(compare::comparison(c.node(), &p)?),
        None => None,
    };
    let history = compare::kept_history(c.node())?;
    let sheets = [
        (
            lang.pick("Vergleich", "Comparison"),
            comparison_sheet(latest.as_ref(), lang),
        ),
        (
            lang.pick("Verlauf", "History"),
            history_sheet(&history, lang),
        ),
    ];
    let bytes = crate::inventory::io::to_ods(&sheets).map_err(|e| NodeError::Io {
        path: "vergleich.ods".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(download(
        "application/vnd.oasis.opendocument.spreadsheet",
        "attachment; filename=\"vergleich.ods\"",
        bytes,
    ))
}

fn download(content_type: &'static str, disposition: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// The comparison as a sheet: a header row, then a row per cohort and metric.
fn comparison_sheet(c: Option<&Comparison>, lang: Lang) -> Vec<Vec<String>> {
    let mut rows = vec![[
        lang.pick("Runde", "Round"),
        lang.pick("Kohorte", "Cohort"),
        lang.pick("Kennzahl", "Metric"),
        lang.pick("Eigener Wert", "Own value"),
        lang.pick("Kohortenwert", "Cohort value"),
        lang.pick("95-%-Intervall", "95% interval"),
        "n",
        lang.pick("Einordnung", "Verdict"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>()];
    let Some(c) = c else { return rows };
    for cohort in cohorts(c) {
        let own: Vec<_> = c.rows.iter().filter(|r| r.cohort == cohort).collect();
        for (r, ch) in own.iter().zip(chart_rows(&own, c.min_cohort, lang)) {
            let [v, est, ci, verdict] = table_cells(r, &ch, lang);
            rows.push(vec![
                c.round_id.clone(),
                cohort_id_label(cohort, lang),
                ch.label.clone(),
                v,
                est,
                ci,
                r.n.to_string(),
                verdict,
            ]);
        }
    }
    rows
}

/// One history point's cells: own value, cohort value, interval (or why not published),
/// verdict.
fn point_cells(row: &compare::HistoryRow, p: &compare::HistoryPoint, lang: Lang) -> [String; 4] {
    let own = p
        .own
        .map(|v| value(v, row.share, lang))
        .unwrap_or_else(|| "–".into());
    match (p.estimate, p.ci_low, p.ci_high) {
        (Some(e), Some(lo), Some(hi)) if p.suppressed.is_none() => [
            own,
            estimate(e.clamp(row.range_low, row.range_high), row.share, lang),
            interval(lo, hi, row.share, lang),
            p.verdict
                .map(|v| v.label(lang).to_string())
                .unwrap_or_else(|| "–".into()),
        ],
        _ => [
            own,
            "–".into(),
            suppression_note(&p.cell, lang, Some(p.min_cohort)),
            lang.pick("keine Einordnung", "no verdict").to_string(),
        ],
    }
}

/// The history as a sheet.
fn history_sheet(h: &History, lang: Lang) -> Vec<Vec<String>> {
    let cat = Catalogue::shared();
    let mut rows = vec![[
        lang.pick("Kohorte", "Cohort"),
        lang.pick("Kennzahl", "Metric"),
        lang.pick("Runde", "Round"),
        lang.pick("Eigener Wert", "Own value"),
        lang.pick("Kohortenwert", "Cohort value"),
        lang.pick("95-%-Intervall", "95% interval"),
        "n",
        lang.pick("Einordnung", "Verdict"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>()];
    for row in &h.rows {
        for p in &row.points {
            let [own, est, ci, verdict] = point_cells(row, p, lang);
            rows.push(vec![
                cohort_id_label(&row.cohort, lang),
                cat.label(&row.metric, lang),
                p.round_id.clone(),
                own,
                est,
                ci,
                p.n.to_string(),
                verdict,
            ]);
        }
    }
    rows
}

fn render(c: &Ctx<'_>, problem: Option<String>) -> Result<Markup, WebError> {
    let lang = c.lang;
    let node = c.node();
    let latest = match compare::latest_publication(node)? {
        Some(p) => Some(compare::comparison(node, &p)?),
        None => None,
    };
    let history = compare::kept_history(node)?;
    let body = html! {
        @if let Some(p) = &problem {
            div class="problem" role="alert" { p { (p) } }
        }
        @if node.link().configured().is_some() {
            form method="post" action=(ctx::with_lang("/comparison/fetch", lang)) {
                (csrf_field(c))
                button type="submit" class="secondary" { (c.t("Neueste Veröffentlichung beim Aggregator abrufen", "Fetch the latest publication from the aggregator")) }
            }
        }
        @match &latest {
            None => {
                p { (c.t(
                    "Noch nichts veröffentlicht. Sobald eine Runde geschlossen und veröffentlicht ist, an der Sie teilgenommen haben, rufen Sie die Veröffentlichung hier ab: Dieser Knoten prüft ihre Signatur und dass sie Ihre Freigabe zählt, und zeigt dann Ihre Position in jeder Ihrer Kohorten. Ihre eigenen Werte verlassen dafür den Knoten nicht.",
                    "Nothing published yet. Once a round you took part in is closed and published, fetch the publication here: this node checks its signature and that it counts your release, then shows your position in each of your cohorts. Your own values do not leave the node for this.")) }
            }
            Some(cmp) => { (latest_section(c, cmp)) }
        }
        @if history.rounds.len() > 1 {
            (history_section(c, &history))
        }
        h2 { (c.t("Herunterladen", "Download")) }
        ul {
            li { a href=(ctx::with_lang("/comparison/report.html", lang)) download="souveraenitaetsbericht.html" {
                (c.t("Souveränitätsbericht (HTML, druckbar)", "Sovereignty report (HTML, printable)")) } }
            li { a href=(ctx::with_lang("/comparison/report.ods", lang)) download="vergleich.ods" {
                (c.t("Vergleich und Verlauf als Tabelle (ODS)", "Comparison and history as a spreadsheet (ODS)")) } }
        }
    };
    Ok(layout::page(c, c.t("Vergleich", "Comparison"), body))
}

fn latest_section(c: &Ctx<'_>, cmp: &Comparison) -> Markup {
    let lang = c.lang;
    html! {
        h2 { (c.t("Veröffentlichung der Runde", "Publication of round")) " " (cmp.round_id) }
        p { (c.t("Veröffentlicht am", "Published on")) " " (layout::date_time(cmp.published_at, lang)) ", "
            (cmp.contributors) " " (c.t("Teilnehmende", "contributors")) ", k = " (cmp.min_cohort) ". "
            (c.t("Eigene Werte bleiben auf diesem Knoten; Intervalle: 95 %. Eine Einordnung nur, wo das Intervall sie trägt.",
                 "Own values stay on this node; intervals: 95%. A verdict only where the interval supports one.")) }
        @if !cmp.stale.is_empty() {
            div class="warning" role="note" {
                p { strong { (c.t("Achtung, möglicherweise veraltet:", "Warning, possibly stale:")) } }
                ul { @for s in &cmp.stale { li { (s.text(lang)) } } }
            }
        }
        @for (i, cohort) in cohorts(cmp).iter().enumerate() {
            @let name = cohort_id_label(cohort, lang);
            @let rows: Vec<_> = cmp.rows.iter().filter(|r| r.cohort == *cohort).collect();
            @let chart = chart_rows(&rows, cmp.min_cohort, lang);
            @let title = format!("{}: {}, {} {}", c.t("Ihre Position", "Your position"), name, c.t("Runde", "round"), cmp.round_id);
            h3 { (name) }
            figure {
                (layout::trusted_svg(position_chart(&format!("cmp{i}"), &title, &chart, lang)))
                figcaption { (c.t(
                    "Band: 95-%-Intervall der Kohorte; Kreis: Kohortenwert; Raute: Ihr Wert. Die Daten stehen in der Tabelle darunter.",
                    "Band: the cohort's 95% interval; circle: cohort value; diamond: your value. The data are in the table below.")) }
            }
            table {
                caption { (c.t("Werte", "Values")) ": " (name) ", " (c.t("Runde", "round")) " " (cmp.round_id) }
                thead { tr {
                    th scope="col" { (c.t("Kennzahl", "Metric")) }
                    th scope="col" class="num" { (c.t("Eigener Wert", "Own value")) }
                    th scope="col" class="num" { (c.t("Kohortenwert", "Cohort value")) }
                    th scope="col" { (c.t("95-%-Intervall", "95% interval")) }
                    th scope="col" class="num" { "n" }
                    th scope="col" { (c.t("Einordnung", "Verdict")) }
                } }
                tbody {
                    @for (r, ch) in rows.iter().zip(&chart) {
                        @let [own, est, ci, verdict] = table_cells(r, ch, lang);
                        tr {
                            th scope="row" { (ch.label) }
                            td class="num" { (own) }
                            td class="num" { (est) }
                            td { (ci) }
                            td class="num" { (r.n) }
                            td { (verdict) }
                        }
                    }
                }
            }
        }
    }
}

fn history_section(c: &Ctx<'_>, h: &History) -> Markup {
    let lang = c.lang;
    let cat = Catalogue::shared();
    let mut cohort_ids: Vec<&str> = Vec::new();
    for r in &h.rows {
        if !cohort_ids.contains(&r.cohort.as_str()) {
            cohort_ids.push(&r.cohort);
        }
    }
    html! {
        h2 { (c.t("Verlauf über die Runden", "History across rounds")) }
        p { (c.t(
            "Eigene Selbsttest-Werte: Stand bei Rundenschluss; Inventar und Migrationspfade: heutiger Stand.",
            "Own self-test values: as at each round's close; inventory and migration paths: as of today.")) }
        @for cohort in cohort_ids {
            @let name = cohort_id_label(cohort, lang);
            table {
                caption { (c.t("Verlauf", "History")) ": " (name) }
                thead { tr {
                    th scope="col" { (c.t("Kennzahl", "Metric")) }
                    th scope="col" { (c.t("Runde", "Round")) }
                    th scope="col" class="num" { (c.t("Eigener Wert", "Own value")) }
                    th scope="col" class="num" { (c.t("Kohortenwert", "Cohort value")) }
                    th scope="col" { (c.t("95-%-Intervall", "95% interval")) }
                    th scope="col" class="num" { "n" }
                    th scope="col" { (c.t("Einordnung", "Verdict")) }
                } }
                tbody {
                    @for row in h.rows.iter().filter(|r| r.cohort == cohort) {
                        @for p in &row.points {
                            @let [own, est, ci, verdict] = point_cells(row, p, lang);
                            tr {
                                th scope="row" { (cat.label(&row.metric, lang)) }
                                td { (p.round_id) }
                                td class="num" { (own) }
                                td class="num" { (est) }
                                td { (ci) }
                                td class="num" { (p.n) }
                                td { (verdict) }
                            }
                        }
                    }
                }
            }
        }
    }
}
