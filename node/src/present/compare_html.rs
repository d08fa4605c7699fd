//! The comparison section of the HTML status report ([`crate::report`]): the round and its
//! publication date, stale flags, and per cohort (readable names) an SVG position chart
//! ([`super::chart::position_chart`]) with its data as a table (`<caption>`, `<th scope>`).

use std::fmt::Write as _;

use sovbench_core::cell::cohort_id_label;
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

use super::chart::{estimate, interval, position_chart, value, ChartRow};
use super::compare::{metric_label, position, suppression_note};
use crate::compare::{Comparison, ComparisonRow};
use crate::report::esc;

/// CSS the section adds to the report's style sheet.
pub const STYLE: &str = ".stale{border-left:4px solid #a4161a;background:#fdecea;padding:.4em .8em}\
figure{margin:.6em 0}figcaption{font-size:.9em;color:#4d4d4d}caption{text-align:left;font-weight:bold;padding:.2em 0}";

/// The section's body (after its `<h2>`) for a comparison.
pub fn section(c: &Comparison, lang: Lang) -> String {
    let l = |de: &'static str, en: &'static str| lang.pick(de, en);
    let mut o = String::new();
    let _ = write!(
        o,
        "<p>{} <strong>{}</strong>, {} {}, {} {}. <span class=\"muted\">{}</span></p>",
        l("Veröffentlichung der Runde", "Publication of round"),
        esc(&c.round_id),
        l("veröffentlicht", "published"),
        esc(&format_utc(c.published_at)),
        c.contributors,
        l("Teilnehmende", "contributors"),
        l(
            "Eigene Werte bleiben auf diesem Knoten; Intervalle: 95 %. Eine Einordnung nur, wo das Intervall sie trägt.",
            "Own values stay on this node; intervals: 95%. A verdict only where the interval supports one."
        ),
    );
    if !c.stale.is_empty() {
        let _ = write!(
            o,
            "<div class=\"stale\" role=\"note\"><p><strong>{}</strong></p><ul>",
            l(
                "Achtung, möglicherweise veraltet:",
                "Warning, possibly stale:"
            )
        );
        for s in &c.stale {
            let _ = write!(o, "<li>{}</li>", esc(&s.text(lang)));
        }
        let _ = write!(
            o,
            "</ul><p>{}</p></div>",
            l(
                "Neueste Veröffentlichung abrufen: sovbench-node compare",
                "Fetch the latest publication: sovbench-node compare"
            )
        );
    }
    for (i, cohort) in cohorts(c).iter().enumerate() {
        let name = cohort_id_label(cohort, lang);
        let rows: Vec<_> = c.rows.iter().filter(|r| r.cohort == *cohort).collect();
        let chart = chart_rows(&rows, c.min_cohort, lang);
        let title = format!(
            "{}: {}, {} {}",
            l("Ihre Position", "Your position"),
            name,
            l("Runde", "round"),
            c.round_id
        );
        let _ = write!(
            o,
            "<h3>{}</h3><figure>{}<figcaption>{}</figcaption></figure>",
            esc(&name),
            position_chart(&format!("cmp{i}"), &title, &chart, lang),
            l(
                "Band: 95-%-Intervall der Kohorte; Kreis: Kohortenwert; Raute: Ihr Wert. Die Daten stehen in der Tabelle darunter.",
                "Band: the cohort's 95% interval; circle: cohort value; diamond: your value. The data are in the table below."
            )
        );
        let _ = write!(
            o,
            "<table><caption>{}: {}, {} {}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
             <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">n</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            l("Werte", "Values"),
            esc(&name),
            l("Runde", "round"),
            esc(&c.round_id),
            l("Kennzahl", "Metric"),
            l("Eigener Wert", "Own value"),
            l("Kohortenwert", "Cohort value"),
            l("95-%-Intervall", "95% interval"),
            l("Einordnung", "Verdict"),
        );
        for (r, ch) in rows.iter().zip(&chart) {
            let [own, est, ci, verdict] = table_cells(r, ch, lang);
            let _ = write!(
                o,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&ch.label),
                esc(&own),
                esc(&est),
                esc(&ci),
                r.n,
                esc(&verdict)
            );
        }
        let _ = write!(o, "</tbody></table>");
    }
    o
}

/// The cohorts of a comparison, in the order of its rows (coarsest first).
pub fn cohorts(c: &Comparison) -> Vec<&str> {
    let mut cohorts: Vec<&str> = Vec::new();
    for r in &c.rows {
        if !cohorts.contains(&r.cohort.as_str()) {
            cohorts.push(&r.cohort);
        }
    }
    cohorts
}

/// The chart rows of one cohort's comparison rows (`k`: the round's minimum cohort size, for
/// the notes of suppressed cells).
pub fn chart_rows(rows: &[&ComparisonRow], k: u32, lang: Lang) -> Vec<ChartRow> {
    rows.iter()
        .map(|r| ChartRow {
            label: metric_label(r, lang),
            position: position(r),
            verdict: r.verdict,
            note: r
                .suppressed
                .as_ref()
                .map(|_| suppression_note(&r.cell, lang, Some(k))),
        })
        .collect()
}

/// The table cells of a row (unescaped text): own value, cohort value, interval (or why the
/// cell is not published) and verdict.
pub fn table_cells(r: &ComparisonRow, ch: &ChartRow, lang: Lang) -> [String; 4] {
    let own = r
        .own
        .map(|v| value(v, r.share, lang))
        .unwrap_or_else(|| "–".into());
    let (est, ci, verdict) = match (r.estimate, r.ci_low, r.ci_high, &ch.note) {
        (Some(e), Some(a), Some(b), None) => (
            estimate(e.clamp(r.range_low, r.range_high), r.share, lang),
            interval(a, b, r.share, lang),
            r.verdict
                .map(|v| v.label(lang).to_string())
                .unwrap_or_else(|| "–".into()),
        ),
        (_, _, _, note) => (
            "–".to_string(),
            note.clone().unwrap_or_default(),
            lang.pick("keine Einordnung", "no verdict").to_string(),
        ),
    };
    [own, est, ci, verdict]
}
