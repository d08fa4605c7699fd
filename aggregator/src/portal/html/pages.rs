//! The round overview, a round's page and a cohort's page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::response::Response;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::Cohort;
use sovbench_core::display::suppression_text;
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::time::format_utc;

use super::{esc, href, page};
use crate::portal::archive::Archived;
use crate::portal::http::{percent_encode, ApiError};
use crate::portal::labels::{cohort_name, decimals_for, num};
use crate::portal::Portal;

/// A mode's name.
pub fn mode_name(a: &Archived, lang: Lang) -> &'static str {
    match a.mode_key() {
        "secure" => lang.pick("verschlüsselt (Treuhänder)", "secure (trustees)"),
        _ => lang.pick("lokales Rauschen (direkt)", "local noise (direct)"),
    }
}

/// A cell's estimate and interval for display, clipped to the possible range (`*` when the
/// estimate itself lay outside).
pub fn shown(c: &pb::Cell, lang: Lang) -> (String, String) {
    let (lo, hi) = Catalogue::shared().range(&c.metric);
    let d = decimals_for((lo, hi));
    let mark = if c.estimate < lo || c.estimate > hi {
        "*"
    } else {
        ""
    };
    (
        format!("{}{mark}", num(c.estimate.clamp(lo, hi), d, lang)),
        format!(
            "{} – {}",
            num(c.ci_low.clamp(lo, hi), d, lang),
            num(c.ci_high.clamp(lo, hi), d, lang)
        ),
    )
}

fn published(portal: &Portal, id: &str) -> Result<std::sync::Arc<Archived>, ApiError> {
    portal
        .round(id)?
        .ok_or_else(|| ApiError::UnknownRound(sovbench_core::display::echo(id)))
}

/// `/`: the published rounds.
pub fn overview(portal: &Portal, lang: Lang) -> Result<Response, ApiError> {
    let rounds = portal.rounds()?;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p>{}</p>",
        lang.pick("Veröffentlichte Benchmark-Runden", "Published benchmark rounds"),
        lang.pick(
            "Jede Runde ist vom Aggregator signiert und unveränderlich. Werte sind Schätzungen mit 95-%-Intervallen; Kohorten mit zu wenigen Teilnehmenden werden nicht gezeigt.",
            "Every round is signed by the aggregator and never changes. Values are estimates with 95% intervals; cohorts with too few contributors are not shown."
        )
    );
    if rounds.is_empty() {
        let _ = write!(
            b,
            "<p>{}</p>",
            lang.pick(
                "Noch keine Runde veröffentlicht.",
                "No round published yet."
            )
        );
    } else {
        let _ = write!(
            b,
            "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
<th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">SHA-256</th></tr></thead><tbody>",
            lang.pick("Runden, neueste zuerst", "Rounds, newest first"),
            lang.pick("Runde", "Round"),
            lang.pick("Veröffentlicht (UTC)", "Published (UTC)"),
            lang.pick("Teilnehmende", "Contributors"),
            lang.pick("Verfahren", "Mode"),
            lang.pick("Veröffentlichte Zellen", "Published cells"),
        );
        for a in rounds.iter().rev() {
            let p = &a.publication;
            let shown = p.cells.iter().filter(|c| !c.suppressed).count();
            let _ = write!(
                b,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td class=\"num\">{}</td><td>{}</td>\
<td class=\"num\">{shown} / {}</td><td><code>{}…</code></td></tr>",
                href(&format!("/rounds/{}", percent_encode(&p.round_id)), lang, &[]),
                esc(&p.round_id),
                format_utc(p.published_at),
                p.contributors,
                mode_name(a, lang),
                p.cells.len(),
                &hex::encode(a.payload_sha256)[..16],
            );
        }
        b.push_str("</tbody></table>");
    }
    let _ = write!(
        b,
        "<h2>{}</h2><p>{} <a href=\"{}\">{}</a>. {} <a href=\"/api/v1/rounds\">/api/v1/rounds</a>.</p>",
        lang.pick("Weiter", "Further"),
        lang.pick("Wie sich der Gesamtwert über die Runden entwickelt:", "How the total score develops across rounds:"),
        href("/trends/selftest.total", lang, &[]),
        lang.pick("Entwicklung des Souveränitäts-Checks", "Trend of the sovereignty self-test"),
        lang.pick("Alle Daten maschinenlesbar:", "All data machine-readable:"),
    );
    Ok(page(
        portal,
        lang,
        lang.pick("Runden", "Rounds"),
        "rounds",
        &b,
    ))
}

/// `/rounds/{id}`: the round's cohorts and its values for all administrations.
pub fn round(portal: &Portal, id: &str, lang: Lang) -> Result<Response, ApiError> {
    let a = published(portal, id)?;
    let p = &a.publication;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{} {}</h1><p>{} {} · {} {} · {} {} · k = {}</p>",
        lang.pick("Runde", "Round"),
        esc(&p.round_id),
        lang.pick("veröffentlicht", "published"),
        format_utc(p.published_at),
        p.contributors,
        lang.pick("Teilnehmende", "contributors"),
        lang.pick("Verfahren:", "mode:"),
        mode_name(&a, lang),
        p.min_cohort,
    );
    cell_table(
        &mut b,
        &a,
        "all",
        lang,
        lang.pick("Alle Verwaltungen", "All administrations"),
    );
    // Cohorts in publication order, with their contributors and published cells.
    let mut cohorts: BTreeMap<(u8, String), (u32, usize, usize)> = BTreeMap::new();
    for c in &p.cells {
        let rank = c.cohort.parse::<Cohort>().map_or(9, |k| k.rank());
        let e = cohorts.entry((rank, c.cohort.clone())).or_default();
        e.0 = e.0.max(c.n);
        e.1 += 1;
        e.2 += usize::from(!c.suppressed);
    }
    let _ = write!(
        b,
        "<h2>{}</h2><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.pick("Kohorten", "Cohorts"),
        lang.pick("Kohorten der Runde mit Teilnehmenden und veröffentlichten Werten", "The round's cohorts with contributors and published values"),
        lang.pick("Kohorte", "Cohort"),
        lang.pick("Teilnehmende", "Contributors"),
        lang.pick("Veröffentlichte Werte", "Published values"),
    );
    for ((_, c), (n, total, shown)) in &cohorts {
        let _ = write!(
            b,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"num\">{n}</td><td class=\"num\">{shown} / {total}</td></tr>",
            href(&format!("/rounds/{}/cohorts/{}", percent_encode(&p.round_id), percent_encode(c)), lang, &[]),
            esc(&cohort_name(c, lang)),
        );
    }
    let _ = write!(
        b,
        "</tbody></table><p>{} <a href=\"/api/v1/rounds/{id}\">JSON</a> · <a href=\"/api/v1/rounds/{id}/cells.csv\">CSV</a></p>",
        lang.pick("Signierte Veröffentlichung und Daten:", "Signed publication and data:"),
        id = percent_encode(&p.round_id),
    );
    Ok(page(
        portal,
        lang,
        &format!("{} {}", lang.pick("Runde", "Round"), p.round_id),
        "rounds",
        &b,
    ))
}

/// A table of every cell of `cohort` in the round, with links to the trends.
fn cell_table(b: &mut String, a: &Archived, cohort: &str, lang: Lang, heading: &str) {
    let p = &a.publication;
    let cat = Catalogue::shared();
    let _ = write!(
        b,
        "<h2>{}</h2><table><caption>{}: {}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">n</th>\
<th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(heading),
        lang.pick("Schätzwerte mit 95-%-Intervall", "Estimates with 95% interval"),
        esc(heading),
        lang.pick("Kennzahl", "Metric"),
        lang.pick("Schätzung", "Estimate"),
        lang.pick("95-%-Intervall", "95% interval"),
        lang.pick("Hinweis", "Note"),
    );
    for c in p.cells.iter().filter(|c| c.cohort == cohort) {
        let label = esc(&cat.label(&c.metric, lang));
        let link = href(
            &format!("/trends/{}", percent_encode(&c.metric)),
            lang,
            &[("cohort", cohort)],
        );
        if c.suppressed {
            let _ = write!(
                b,
                "<tr><th scope=\"row\"><a href=\"{link}\">{label}</a></th><td class=\"num\">{}</td><td>–</td><td>–</td><td>{}</td></tr>",
                c.n,
                esc(&suppression_text(c, lang, Some(p.min_cohort))),
            );
        } else {
            let (e, ci) = shown(c, lang);
            let _ = write!(
                b,
                "<tr><th scope=\"row\"><a href=\"{link}\">{label}</a></th><td class=\"num\">{}</td><td class=\"num\">{e}</td><td class=\"num\">{ci}</td><td></td></tr>",
                c.n,
            );
        }
    }
    b.push_str("</tbody></table>");
}

/// `/rounds/{id}/cohorts/{cohort}`: every value of one cohort.
pub fn cohort(portal: &Portal, id: &str, cohort: &str, lang: Lang) -> Result<Response, ApiError> {
    let a = published(portal, id)?;
    if !a.publication.cells.iter().any(|c| c.cohort == cohort) {
        return Err(ApiError::NotFound(format!(
            "cohort {} in round {}",
            sovbench_core::display::echo(cohort),
            sovbench_core::display::echo(id)
        )));
    }
    let name = cohort_name(cohort, lang);
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p>{} <a href=\"{}\">{}</a> · {} <code>{}</code></p>",
        esc(&name),
        lang.pick("Runde", "Round"),
        href(&format!("/rounds/{}", percent_encode(id)), lang, &[]),
        esc(id),
        lang.pick("Kennung", "Identifier"),
        esc(cohort),
    );
    cell_table(
        &mut b,
        &a,
        cohort,
        lang,
        lang.pick("Werte der Kohorte", "Values of the cohort"),
    );
    let _ = write!(
        b,
        "<p>{}</p>",
        lang.pick(
            "Ein Strich bedeutet: nicht veröffentlicht; der Hinweis nennt den Grund (siehe Methodik).",
            "A dash means: not published; the note gives the reason (see Methodology)."
        )
    );
    Ok(page(portal, lang, &name, "rounds", &b))
}
