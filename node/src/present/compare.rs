//! The text of a comparison with the cohorts (`sovbench-node compare`, the demo): the round and
//! its publication date, any stale flags, then cohort by cohort (readable names) each metric with
//! the own value, the estimate and interval, a position bar and the verdict where the interval
//! supports one.

use std::fmt::Write as _;

use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::{cohort_id_label, CellId};
use sovbench_core::display::suppression_text;
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::time::format_utc;

use super::chart::{estimate, interval, text_bar, value, Position};
use crate::compare::{Comparison, ComparisonRow, Stale};

/// Characters of a position bar in the terminal.
pub const BAR_CELLS: usize = 21;

/// Why a cell is suppressed, with the fallback cohort by its readable name.
pub fn suppression_note(cell: &pb::Cell, lang: Lang, k: Option<u32>) -> String {
    let bare = pb::Cell {
        fallback_cohort: String::new(),
        ..cell.clone()
    };
    let text = suppression_text(&bare, lang, k);
    if cell.fallback_cohort.is_empty() {
        text
    } else {
        format!(
            "{text}; {} {}",
            lang.pick("siehe", "see"),
            cohort_id_label(&cell.fallback_cohort, lang)
        )
    }
}

/// The lines that flag a stale publication (none when it is current).
pub fn stale_lines(stale: &[Stale], lang: Lang) -> String {
    let mut out = String::new();
    for s in stale {
        let _ = writeln!(
            out,
            "{} {}",
            lang.pick(
                "ACHTUNG, möglicherweise veraltet:",
                "WARNING, possibly stale:"
            ),
            s.text(lang)
        );
    }
    out
}

/// The metric's name in a comparison; path stages also with the estimated number of
/// administrations at that stage.
pub fn metric_label(row: &ComparisonRow, lang: Lang) -> String {
    let cat = Catalogue::shared();
    let id = CellId::parse(&row.metric);
    match row.estimate {
        Some(e) if id.metric().starts_with("path.") && id.category().is_some() => format!(
            "{} (≈ {:.0})",
            cat.label(&row.metric, lang),
            (e * f64::from(row.n)).max(0.0)
        ),
        _ => cat.label(&row.metric, lang),
    }
}

/// The position of a row, for the charts.
pub fn position(row: &ComparisonRow) -> Position {
    Position {
        range: (row.range_low, row.range_high),
        interval: row.ci_low.zip(row.ci_high),
        estimate: row.estimate,
        own: row.own,
        share: row.share,
    }
}

/// A comparison as text, cohort by cohort.
pub fn comparison(c: &Comparison, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} {}, {} {})",
        lang.pick(
            "Vergleich mit der Veröffentlichung der Runde",
            "Comparison with the publication of round"
        ),
        c.round_id,
        lang.pick("veröffentlicht", "published"),
        format_utc(c.published_at),
        c.contributors,
        lang.pick("Teilnehmende", "contributors")
    );
    out.push_str(&stale_lines(&c.stale, lang));
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Ihre eigenen Werte bleiben auf diesem Knoten; Spanne = 95-%-Konfidenzintervall; \
             ◆ Ihr Wert, ● Kohortenwert, [===] Intervall. Eine Einordnung nur, wo das Intervall sie trägt.",
            "Your own values stay on this node; range = 95% confidence interval; \
             ◆ your value, ● cohort value, [===] interval. A verdict only where the interval supports one."
        )
    );
    let mut last = String::new();
    for row in &c.rows {
        if row.cohort != last {
            let _ = writeln!(out, "\n[{}]", cohort_id_label(&row.cohort, lang));
            let _ = writeln!(
                out,
                "  {:<40} {:>6} {:>8}  {:<16} {:>5}",
                lang.pick("Kennzahl", "Metric"),
                lang.pick("Eigen", "Own"),
                lang.pick("Kohorte", "Cohort"),
                lang.pick("95-%-Intervall", "95% interval"),
                "n"
            );
            last = row.cohort.clone();
        }
        let own = row
            .own
            .map(|v| value(v, row.share, lang))
            .unwrap_or_else(|| "-".into());
        let bar = text_bar(&position(row), BAR_CELLS, lang);
        match (row.estimate, row.ci_low, row.ci_high) {
            (Some(e), Some(lo), Some(hi)) if row.suppressed.is_none() => {
                let clip = if e < row.range_low || e > row.range_high {
                    "*"
                } else {
                    ""
                };
                let shown = e.clamp(row.range_low, row.range_high);
                let _ = writeln!(
                    out,
                    "  {:<40} {:>6} {:>8}  {:<16} {:>5}",
                    metric_label(row, lang),
                    own,
                    format!("{}{clip}", estimate(shown, row.share, lang)),
                    interval(lo, hi, row.share, lang),
                    row.n
                );
                let verdict = row.verdict.map(|v| v.label(lang)).unwrap_or("");
                let _ = writeln!(out, "      {bar}   {verdict}");
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  {:<40} {:>6} {:>8}  {}",
                    metric_label(row, lang),
                    own,
                    "-",
                    suppression_note(&row.cell, lang, Some(c.min_cohort)),
                );
                let _ = writeln!(
                    out,
                    "      {bar}   {}",
                    lang.pick("keine Einordnung", "no verdict")
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        lang.pick(
            "* Schätzung außerhalb des möglichen Bereichs (lokales Rauschen); angezeigt am Rand, gespeichert unverändert.",
            "* estimate outside the possible range (local noise); shown at the edge, kept unchanged in the data."
        )
    );
    out
}
