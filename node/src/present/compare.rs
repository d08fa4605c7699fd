//! The text of a comparison with the cohorts (`sovbench-node compare`, the demo).

use std::fmt::Write as _;

use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::CellId;
use sovbench_core::display::{clipped, suppression_text};
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

use crate::compare::Comparison;

/// A comparison as a text table, cohort by cohort.
pub fn comparison(c: &Comparison, lang: Lang) -> String {
    let cat = Catalogue::shared();
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
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Ihre eigenen Werte bleiben auf diesem Knoten; Spanne = 95-%-Konfidenzintervall.",
            "Your own values stay on this node; range = 95% confidence interval."
        )
    );
    let mut last = String::new();
    for row in &c.rows {
        if row.cohort != last {
            let _ = writeln!(out, "\n[{}]", row.cohort);
            let _ = writeln!(
                out,
                "  {:<36} {:>6} {:>9}  {:<16} {:>5}",
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
            .map(|v| format!("{v:.0}"))
            .unwrap_or_else(|| "-".into());
        match (row.estimate, row.ci_low, row.ci_high) {
            (Some(e), Some(lo), Some(hi)) if row.suppressed.is_none() => {
                // Path stages: also the estimated number of administrations at that stage.
                let id = CellId::parse(&row.metric);
                let label = if id.metric().starts_with("path.") && id.category().is_some() {
                    format!(
                        "{} (≈ {:.0})",
                        cat.label(&row.metric, lang),
                        (e * f64::from(row.n)).max(0.0)
                    )
                } else {
                    cat.label(&row.metric, lang)
                };
                let _ = writeln!(
                    out,
                    "  {:<36} {:>6} {:>9}  [{:>5.2}, {:>5.2}] {:>5}",
                    label,
                    own,
                    clipped(e, row.range_low, row.range_high),
                    lo,
                    hi,
                    row.n
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  {:<36} {:>6} {:>9}  {}",
                    cat.label(&row.metric, lang),
                    own,
                    "-",
                    suppression_text(&row.cell, lang, Some(c.min_cohort)),
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
