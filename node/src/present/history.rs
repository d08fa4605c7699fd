//! The text of `sovbench-node compare --history`: the rounds with their publication dates, then
//! per cohort (readable names) and metric one line per round with the own value, the estimate and
//! interval, a position bar and the verdict where the interval supports one.

use std::fmt::Write as _;

use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::cohort_id_label;
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

use super::chart::{estimate, interval, text_bar, value, Position};
use super::compare::{suppression_note, BAR_CELLS};
use crate::compare::History;

/// A history as text.
pub fn history(h: &History, lang: Lang) -> String {
    let cat = Catalogue::shared();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Verlauf: Ihre Verwaltung gegenüber ihren Kohorten, Runde für Runde",
            "History: your administration against its cohorts, round by round"
        )
    );
    if h.rounds.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            lang.pick(
                "Noch keine Runde: dieser Knoten hat an keiner Runde teilgenommen und keine Veröffentlichung abgerufen.",
                "No rounds yet: this node has taken part in no round and fetched no publication."
            )
        );
        return out;
    }
    let _ = writeln!(out, "{}:", lang.pick("Runden", "Rounds"));
    for r in &h.rounds {
        match (r.published_at, &r.missing) {
            (Some(at), _) => {
                let _ = writeln!(
                    out,
                    "  {:<14} {} {}, {} {}",
                    r.round_id,
                    lang.pick("veröffentlicht", "published"),
                    format_utc(at),
                    r.contributors.unwrap_or(0),
                    lang.pick("Teilnehmende", "contributors")
                );
            }
            (None, m) => {
                let _ = writeln!(
                    out,
                    "  {:<14} {}{}",
                    r.round_id,
                    lang.pick("noch keine Veröffentlichung", "no publication yet"),
                    m.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Eigene Selbsttest-Werte: Stand bei Rundenschluss; Inventar und Migrationspfade: heutiger Stand. \
             ◆ Ihr Wert, ● Kohortenwert, [===] 95-%-Intervall.",
            "Own self-test values: as at each round's close; inventory and migration paths: as of today. \
             ◆ your value, ● cohort value, [===] 95% interval."
        )
    );
    let mut last = String::new();
    for row in &h.rows {
        if row.cohort != last {
            let _ = writeln!(out, "\n[{}]", cohort_id_label(&row.cohort, lang));
            last = row.cohort.clone();
        }
        let _ = writeln!(out, "  {}", cat.label(&row.metric, lang));
        let _ = writeln!(
            out,
            "    {:<14} {:>6} {:>8}  {:<16} {:>5}  {}",
            lang.pick("Runde", "Round"),
            lang.pick("Eigen", "Own"),
            lang.pick("Kohorte", "Cohort"),
            lang.pick("95-%-Intervall", "95% interval"),
            "n",
            lang.pick("Position / Einordnung", "Position / verdict"),
        );
        for p in &row.points {
            let own = p
                .own
                .map(|v| value(v, row.share, lang))
                .unwrap_or_else(|| "-".into());
            let bar = text_bar(
                &Position {
                    range: (row.range_low, row.range_high),
                    interval: p.ci_low.zip(p.ci_high),
                    estimate: p.estimate,
                    own: p.own,
                    share: row.share,
                },
                BAR_CELLS,
                lang,
            );
            match (p.estimate, p.ci_low, p.ci_high) {
                (Some(e), Some(lo), Some(hi)) if p.suppressed.is_none() => {
                    let _ = writeln!(
                        out,
                        "    {:<14} {:>6} {:>8}  {:<16} {:>5}  {bar}  {}",
                        p.round_id,
                        own,
                        estimate(e.clamp(row.range_low, row.range_high), row.share, lang),
                        interval(lo, hi, row.share, lang),
                        p.n,
                        p.verdict.map(|v| v.label(lang)).unwrap_or("")
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "    {:<14} {:>6} {:>8}  {}; {}",
                        p.round_id,
                        own,
                        "-",
                        suppression_note(&p.cell, lang, Some(p.min_cohort)),
                        lang.pick("keine Einordnung", "no verdict")
                    );
                }
            }
        }
    }
    out
}
