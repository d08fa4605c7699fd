//! A metric's trend page (chart, its data, the changes between rounds) and the migration-path
//! page (stage shares and roll-back rates of the latest publication).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use axum::response::Response;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::{CellId, Cohort};
use sovbench_core::display::suppression_text;
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

use super::pages::shown;
use super::{chart, esc, href, page};
use crate::portal::http::{percent_encode, ApiError};
use crate::portal::labels::{cohort_name, decimals_for, num, signed};
use crate::portal::{trends, Portal};

/// A form to pick another cohort (works without scripts: a GET form).
fn cohort_form(
    b: &mut String,
    action: &str,
    cohorts: &BTreeSet<(u8, String)>,
    current: &str,
    lang: Lang,
) {
    let _ = write!(
        b,
        "<form method=\"get\" action=\"{}\"><label for=\"cohort\">{}</label> <select id=\"cohort\" name=\"cohort\">",
        esc(action),
        lang.pick("Kohorte", "Cohort")
    );
    for (_, c) in cohorts {
        let sel = if c == current { " selected" } else { "" };
        let _ = write!(
            b,
            "<option value=\"{}\"{sel}>{}</option>",
            esc(c),
            esc(&cohort_name(c, lang))
        );
    }
    if lang == Lang::En {
        b.push_str("<input type=\"hidden\" name=\"lang\" value=\"en\">");
    }
    let _ = write!(
        b,
        "</select> <button type=\"submit\">{}</button></form>",
        lang.pick("Anzeigen", "Show")
    );
}

fn ranked(c: &str) -> (u8, String) {
    (c.parse::<Cohort>().map_or(9, |k| k.rank()), c.to_string())
}

/// `/trends/{metric}?cohort=`.
pub fn trend(
    portal: &Portal,
    metric: &str,
    cohort: &str,
    lang: Lang,
) -> Result<Response, ApiError> {
    let rounds = portal.rounds()?;
    let cat = Catalogue::shared();
    let known = rounds
        .iter()
        .any(|a| a.publication.cells.iter().any(|c| c.metric == metric));
    if !known && !rounds.is_empty() {
        return Err(ApiError::NotFound(format!(
            "metric {} in any published round",
            sovbench_core::display::echo(metric)
        )));
    }
    let range = cat.range(metric);
    let d = decimals_for(range);
    let t = trends::trend(&rounds, metric, cohort, d, lang);
    let label = cat.label(metric, lang);
    let name = cohort_name(cohort, lang);
    let title = format!("{label} – {name}");
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p>{}</p>",
        esc(&title),
        lang.pick(
            "Schätzwerte je Runde mit 95-%-Intervall (Strich: Intervall, Punkt: Schätzung).",
            "Estimates per round with 95% interval (line: interval, dot: estimate)."
        )
    );
    let cohorts: BTreeSet<(u8, String)> = rounds
        .iter()
        .flat_map(|a| a.publication.cells.iter())
        .filter(|c| c.metric == metric)
        .map(|c| ranked(&c.cohort))
        .collect();
    cohort_form(
        &mut b,
        &format!("/trends/{}", percent_encode(metric)),
        &cohorts,
        cohort,
        lang,
    );
    let published: Vec<String> = t
        .points
        .iter()
        .filter_map(|p| {
            p.estimate
                .map(|e| format!("{} {}", p.round_id, num(e, d, lang)))
        })
        .collect();
    let summary = format!(
        "{}: {} {}. {}",
        esc(&title),
        t.points.len(),
        lang.pick("Runden", "rounds"),
        if published.is_empty() {
            lang.pick("Keine veröffentlichten Werte.", "No published values.")
                .to_string()
        } else {
            format!(
                "{}: {}.",
                lang.pick("Schätzungen", "Estimates"),
                published.join("; ")
            )
        }
    );
    let _ = write!(
        b,
        "<h2>{}</h2><figure>{}<figcaption>{}</figcaption></figure>",
        lang.pick("Verlauf", "Course"),
        chart::svg(&t, range, &label, &summary, lang),
        lang.pick(
            "Die Daten des Diagramms stehen in der Tabelle darunter.",
            "The chart's data are in the table below."
        )
    );
    let _ = write!(
        b,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">n</th>\
<th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.pick("Daten des Diagramms", "Data of the chart"),
        lang.pick("Runde", "Round"),
        lang.pick("Veröffentlicht (UTC)", "Published (UTC)"),
        lang.pick("Schätzung", "Estimate"),
        lang.pick("95-%-Intervall", "95% interval"),
    );
    for (p, a) in t.points.iter().zip(&rounds) {
        let cell = a
            .publication
            .cells
            .iter()
            .find(|c| c.metric == metric && c.cohort == cohort);
        let (e, ci) = match cell {
            Some(c) if !c.suppressed => shown(c, lang),
            Some(c) => (
                "–".into(),
                esc(&suppression_text(c, lang, Some(a.publication.min_cohort))),
            ),
            None => (
                "–".into(),
                lang.pick("nicht erhoben", "not collected").into(),
            ),
        };
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{e}</td><td>{ci}</td></tr>",
            esc(&p.round_id),
            format_utc(p.published_at),
            p.n
        );
    }
    b.push_str("</tbody></table>");
    let _ = write!(
        b,
        "<h2>{}</h2>",
        lang.pick("Veränderungen zwischen Runden", "Changes between rounds")
    );
    if t.changes.is_empty() {
        let _ = write!(
            b,
            "<p>{}</p>",
            lang.pick(
                "Keine zwei aufeinanderfolgenden Runden mit veröffentlichten Werten.",
                "No two consecutive rounds with published values."
            )
        );
    } else {
        let _ = write!(
            b,
            "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
<th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            lang.pick("Veränderung mit 95-%-Intervall: Δ ± √(h₁² + h₂²)", "Change with 95% interval: Δ ± √(h₁² + h₂²)"),
            lang.pick("Von – bis", "From – to"),
            lang.pick("Veränderung", "Change"),
            lang.pick("95-%-Intervall", "95% interval"),
            lang.pick("Hebt sich vom Rauschen ab?", "Stands out from the noise?"),
            lang.pick("Aussage", "Statement"),
        );
        for c in &t.changes {
            let (class, yes) = if c.significant {
                ("yes", lang.pick("ja", "yes"))
            } else {
                ("no", lang.pick("nein", "no"))
            };
            let _ = write!(
                b,
                "<tr><th scope=\"row\">{} – {}</th><td class=\"num\">{}</td><td class=\"num\">{} – {}</td><td class=\"{class}\">{yes}</td><td>{}</td></tr>",
                esc(&c.from),
                esc(&c.to),
                signed(c.delta, d, lang),
                signed(c.ci_low, d, lang),
                signed(c.ci_high, d, lang),
                esc(&c.statement)
            );
        }
        b.push_str("</tbody></table>");
    }
    let _ = write!(
        b,
        "<p><a href=\"/api/v1/trends?metric={}&amp;cohort={}\">JSON</a> · <a href=\"{}\">{}</a></p>",
        percent_encode(metric),
        percent_encode(cohort),
        href("/methodik", lang, &[]),
        lang.pick("Wann ist eine Veränderung echt?", "When is a change real?")
    );
    Ok(page(portal, lang, &title, "trends", &b))
}

/// `/paths?cohort=`: stage shares and roll-back rates of the latest publication.
pub fn paths(portal: &Portal, cohort: &str, lang: Lang) -> Result<Response, ApiError> {
    let rounds = portal.rounds()?;
    let cat = Catalogue::shared();
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1>",
        lang.pick(
            "Migrationspfade: Stufen und Rückfallquoten",
            "Migration paths: stages and roll-back rates"
        )
    );
    let Some(latest) = rounds.last() else {
        let _ = write!(
            b,
            "<p>{}</p>",
            lang.pick(
                "Noch keine Runde veröffentlicht.",
                "No round published yet."
            )
        );
        return Ok(page(
            portal,
            lang,
            lang.pick("Migrationspfade", "Migration paths"),
            "paths",
            &b,
        ));
    };
    let p = &latest.publication;
    let path_cells: Vec<_> = p
        .cells
        .iter()
        .filter(|c| c.metric.starts_with("path."))
        .collect();
    let _ = write!(
        b,
        "<p>{} <a href=\"{}\">{}</a> ({}).</p>",
        lang.pick(
            "Aus der neuesten Veröffentlichung:",
            "From the latest publication:"
        ),
        href(
            &format!("/rounds/{}", percent_encode(&p.round_id)),
            lang,
            &[]
        ),
        esc(&p.round_id),
        format_utc(p.published_at)
    );
    if path_cells.is_empty() {
        let _ = write!(
            b,
            "<p>{}</p>",
            lang.pick(
                "Diese Runde hat keine Migrationspfade erhoben.",
                "This round did not collect migration paths."
            )
        );
        return Ok(page(
            portal,
            lang,
            lang.pick("Migrationspfade", "Migration paths"),
            "paths",
            &b,
        ));
    }
    let cohorts: BTreeSet<(u8, String)> = path_cells.iter().map(|c| ranked(&c.cohort)).collect();
    cohort_form(&mut b, "/paths", &cohorts, cohort, lang);
    let mut by_path: BTreeMap<String, Vec<&sovbench_core::pb::Cell>> = BTreeMap::new();
    for c in path_cells.iter().filter(|c| c.cohort == cohort) {
        by_path
            .entry(CellId::parse(&c.metric).metric().to_string())
            .or_default()
            .push(c);
    }
    for (path, cells) in &by_path {
        let title = cat.label(path, lang);
        let _ = write!(
            b,
            "<h2>{}</h2><table><caption>{} – {}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">n</th>\
<th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            esc(&title),
            esc(&title),
            esc(&cohort_name(cohort, lang)),
            lang.pick("Stufe oder Quote", "Stage or rate"),
            lang.pick("Anteil (Schätzung)", "Share (estimate)"),
            lang.pick("95-%-Intervall", "95% interval"),
        );
        for c in cells {
            let row = cat.label(&c.metric, lang);
            let row = row
                .strip_prefix(&format!("{title}: "))
                .unwrap_or(&row)
                .to_string();
            let (e, ci) = if c.suppressed {
                (
                    "–".to_string(),
                    esc(&suppression_text(c, lang, Some(p.min_cohort))),
                )
            } else {
                shown(c, lang)
            };
            let _ = write!(
                b,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"num\">{}</td><td class=\"num\">{e}</td><td>{ci}</td></tr>",
                href(&format!("/trends/{}", percent_encode(&c.metric)), lang, &[("cohort", cohort)]),
                esc(&row),
                c.n
            );
        }
        b.push_str("</tbody></table>");
    }
    Ok(page(
        portal,
        lang,
        lang.pick("Migrationspfade", "Migration paths"),
        "paths",
        &b,
    ))
}
