//! The self-test: the five statements in the report's wording, each rated from 1 to 5, the
//! maturity band, the history as a chart, and the values the inventory suggests (one action
//! takes them over into the form; nothing is stored until the person records the self-test).
//! A form with a missing or wrong answer comes back with every answer as given and the problem
//! named next to the statement.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sovbench_core::i18n::Lang;
use sovbench_core::selftest::{Assessment, Band, Dimension, MAX_SCORE, MIN_SCORE};

use crate::people::Action;
use crate::readiness::Suggestion;
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout::{self, csrf_field, field_error};
use crate::web::site::Site;

/// What the form shows: per dimension the value as given (possibly wrong) and its problem.
#[derive(Default)]
struct Entry {
    given: [String; 5],
    problems: [Option<String>; 5],
}

/// `GET /selftest` (`?suggest=1` fills the form with the inventory's suggestions).
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let mut entry = Entry::default();
    let latest = c.node().store().latest_assessment()?;
    if let Some(rec) = &latest {
        for (i, s) in rec.scores.iter().enumerate() {
            entry.given[i] = s.to_string();
        }
    }
    let suggestions = suggestions(&c)?;
    if ctx::query_param(&uri, "suggest").is_some() {
        for s in &suggestions {
            if let Some(i) = Dimension::ALL.iter().position(|d| *d == s.dimension) {
                entry.given[i] = s.score.to_string();
            }
        }
    }
    Ok(render(
        &c,
        &entry,
        &suggestions,
        ctx::query_param(&uri, "suggest").is_some(),
    )?
    .into_response())
}

/// `POST /selftest`: records the self-test, or shows the form again with the problems.
pub async fn submit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let mut entry = Entry::default();
    let mut scores = [0i64; 5];
    for (i, d) in Dimension::ALL.iter().enumerate() {
        let given = f.text(d.key());
        entry.given[i] = given.clone();
        match given.parse::<i64>() {
            Ok(v) if (i64::from(MIN_SCORE)..=i64::from(MAX_SCORE)).contains(&v) => scores[i] = v,
            _ if given.is_empty() => {
                entry.problems[i] = Some(
                    c.t(
                        "Bitte einen Wert von 1 bis 5 wählen.",
                        "Please choose a value from 1 to 5.",
                    )
                    .into(),
                );
            }
            _ => {
                entry.problems[i] = Some(format!(
                    "{} „{given}“ {}",
                    c.t("Die Angabe", "The entry"),
                    c.t(
                        "ist kein Wert von 1 bis 5. Bitte einen Wert von 1 bis 5 wählen.",
                        "is not a value from 1 to 5. Please choose a value from 1 to 5."
                    )
                ));
            }
        }
    }
    if entry.problems.iter().any(Option::is_some) {
        let suggestions = suggestions(&c)?;
        let mut res = render(&c, &entry, &suggestions, false)?.into_response();
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let a = Assessment::from_scores(scores).map_err(crate::error::NodeError::from)?;
    crate::selftest::record(c.node(), a)?;
    let band = a.band();
    let change = format!(
        "Selbsttest erfasst: {:?}, Summe {} ({}) / self-test recorded: total {}",
        a.scores(),
        a.total(),
        band.label(Lang::De),
        a.total()
    );
    let confirmation = format!(
        "{} {} {} ({}).",
        c.t("Selbsttest gespeichert. Summe", "Self-test saved. Total"),
        a.total(),
        c.t("von 25, Reifegrad", "of 25, maturity band"),
        band.label(c.lang)
    );
    c.done(&change, &confirmation, "/selftest")
}

fn suggestions(c: &Ctx<'_>) -> Result<Vec<Suggestion>, WebError> {
    let systems = c.node().store().systems()?;
    if systems.is_empty() {
        return Ok(Vec::new());
    }
    let paths = c.node().store().migrations()?;
    Ok(crate::readiness::check(&systems, &paths, c.node().today(), c.node().now()).suggestions)
}

fn render(
    c: &Ctx<'_>,
    entry: &Entry,
    suggestions: &[Suggestion],
    suggested: bool,
) -> Result<Markup, WebError> {
    let lang = c.lang;
    let history = c.node().store().assessments()?;
    let errors = entry.problems.iter().filter(|p| p.is_some()).count();
    let body = html! {
        p { (c.t(
            "Bewerten Sie jede Aussage von 1 (trifft gar nicht zu) bis 5 (trifft voll zu). Die Summe ergibt den Reifegrad:",
            "Rate each statement from 1 (not true at all) to 5 (fully true). The total gives the maturity band:")) }
        ul {
            @for total in [5u32, 11, 19] {
                @let band = Band::of_total(total);
                @let (lo, hi) = band.range();
                li { (lo) "–" (hi) ": " (band.label(lang)) }
            }
        }
        @if errors > 0 {
            div class="problem" role="alert" {
                p { (c.t("Nicht gespeichert:", "Not saved:")) " " (errors) " "
                    (c.t("Angabe(n) fehlen oder sind ungültig. Ihre übrigen Angaben sind erhalten.", "entry/entries missing or not valid. Your other entries are kept.")) }
            }
        }
        @if suggested {
            div class="warning" role="status" {
                p { (c.t("Die Werte aus dem Inventar sind eingetragen, aber noch nicht gespeichert. Bitte prüfen und speichern.",
                         "The values from the inventory are filled in but not saved yet. Please check them and save.")) }
            }
        }
        @if c.may(Action::Fill) {
            form method="post" action=(ctx::with_lang("/selftest", lang)) novalidate {
                (csrf_field(c))
                @for (i, d) in Dimension::ALL.iter().enumerate() {
                    (dimension_field(c, i, *d, entry, suggestions))
                }
                p { button type="submit" { (c.t("Selbsttest speichern", "Save self-test")) } }
            }
            @if !suggestions.is_empty() {
                p { a href=(ctx::with_lang("/selftest?suggest=1", lang)) { (c.t("Vorschläge aus dem Inventar übernehmen", "Take over the inventory's suggestions")) } }
            }
        } @else {
            p class="hint" { (c.t("Ihre Rolle darf den Selbsttest lesen, aber nicht ändern.", "Your role may read the self-test but not change it.")) }
        }
        h2 { (c.t("Verlauf", "History")) }
        @if history.is_empty() {
            p { (c.t("Noch kein Selbsttest gespeichert.", "No self-test saved yet.")) }
        } @else {
            (history_chart(&history, lang))
            table {
                caption { (c.t("Alle gespeicherten Selbsttests", "Every saved self-test")) }
                thead { tr {
                    th scope="col" { (c.t("Datum", "Date")) }
                    @for d in Dimension::ALL { th scope="col" class="num" { (d.label(lang)) } }
                    th scope="col" class="num" { (c.t("Summe", "Total")) }
                    th scope="col" { (c.t("Reifegrad", "Band")) }
                } }
                tbody {
                    @for rec in history.iter().rev() {
                        @let total: u32 = rec.scores.iter().map(|s| u32::from(*s)).sum();
                        tr {
                            td { (layout::date(rec.recorded_at(), lang)) }
                            @for s in rec.scores { td class="num" { (s) } }
                            td class="num" { (total) }
                            td { (Band::of_total(total).label(lang)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(c, c.t("Selbsttest", "Self-test"), body))
}

fn dimension_field(
    c: &Ctx<'_>,
    i: usize,
    d: Dimension,
    entry: &Entry,
    suggestions: &[Suggestion],
) -> Markup {
    let lang = c.lang;
    let err_id = format!("{}-error", d.key());
    let problem = entry.problems[i].as_deref();
    let given = entry.given[i].as_str();
    let known = (MIN_SCORE..=MAX_SCORE).any(|v| v.to_string() == given);
    let suggestion = suggestions.iter().find(|s| s.dimension == d);
    html! {
        fieldset aria-describedby=[problem.map(|_| err_id.as_str())] {
            legend { (i + 1) ". " (d.label(lang)) }
            p { (d.statement(lang)) }
            (field_error(&err_id, problem))
            @if !known && !given.is_empty() {
                p class="hint" { (c.t("Ihre Eingabe war:", "You entered:")) " „" (given) "“" }
            }
            div class="scale" {
                @for v in MIN_SCORE..=MAX_SCORE {
                    @let id = format!("{}-{v}", d.key());
                    span {
                        input type="radio" id=(id) name=(d.key()) value=(v) checked[v.to_string() == given]
                            aria-invalid=[problem.map(|_| "true")];
                        label class="inline" for=(id) { (v) " " (scale_word(v, lang)) }
                    }
                }
            }
            @if let Some(s) = suggestion {
                p class="hint" { (c.t("Vorschlag aus dem Inventar:", "Suggested by the inventory:")) " " (s.score) " – " (lang.pick(&s.evidence_de, &s.evidence_en)) }
            }
        }
    }
}

fn scale_word(v: u8, lang: Lang) -> &'static str {
    match v {
        1 => lang.pick("(trifft gar nicht zu)", "(not true at all)"),
        2 => lang.pick("(trifft kaum zu)", "(hardly true)"),
        3 => lang.pick("(teils, teils)", "(partly)"),
        4 => lang.pick("(trifft weitgehend zu)", "(largely true)"),
        _ => lang.pick("(trifft voll zu)", "(fully true)"),
    }
}

/// The totals of the history as bars (the newest twelve), with the band limits.
fn history_chart(history: &[crate::model::AssessmentRecord], lang: Lang) -> Markup {
    let shown: Vec<_> = history.iter().rev().take(12).rev().collect();
    let (w, h, left, bottom) = (640.0_f64, 220.0_f64, 40.0_f64, 30.0_f64);
    let plot_h = h - bottom - 10.0;
    let y = |v: f64| 10.0 + plot_h * (1.0 - v / 25.0);
    let step = (w - left - 10.0) / shown.len().max(1) as f64;
    let desc: Vec<String> = shown
        .iter()
        .map(|r| {
            let t: u32 = r.scores.iter().map(|s| u32::from(*s)).sum();
            format!("{}: {t}", layout::date(r.recorded_at(), lang))
        })
        .collect();
    html! {
        svg viewBox=(format!("0 0 {w} {h}")) role="img" aria-labelledby="hist-title hist-desc" xmlns="http://www.w3.org/2000/svg" {
            title id="hist-title" { (lang.pick("Summe des Selbsttests im Zeitverlauf (von 25)", "Self-test total over time (of 25)")) }
            desc id="hist-desc" { (desc.join("; ")) }
            @for limit in [10.0_f64, 18.0] {
                line x1=(left) x2=(w - 10.0) y1=(y(limit)) y2=(y(limit)) stroke="#767676" stroke-dasharray="4 4" {}
                text x="2" y=(y(limit) + 4.0) font-size="12" fill="#1a1a1a" { (limit) }
            }
            line x1=(left) x2=(w - 10.0) y1=(y(0.0)) y2=(y(0.0)) stroke="#1a1a1a" {}
            text x="2" y=(y(25.0) + 4.0) font-size="12" fill="#1a1a1a" { "25" }
            @for (i, r) in shown.iter().enumerate() {
                @let t = f64::from(r.scores.iter().map(|s| u32::from(*s)).sum::<u32>());
                @let x = left + step * i as f64 + step * 0.2;
                rect x=(x) y=(y(t)) width=(step * 0.6) height=(y(0.0) - y(t)) fill="#004b87" {}
                text x=(x) y=(y(t) - 4.0) font-size="12" fill="#1a1a1a" { (t) }
                text x=(x) y=(h - 10.0) font-size="11" fill="#1a1a1a" { (layout::date(r.recorded_at(), lang)) }
            }
        }
    }
}
