//! The text of a switch-readiness check and of the changes since the previous one.

use std::fmt::Write as _;

use sovbench_core::i18n::Lang;

use super::{Finding, FindingKind, ReadinessDiff, ReadinessResult};

/// Renders a result (and the changes since the previous one) as text.
pub fn render(r: &ReadinessResult, d: Option<&ReadinessDiff>, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} ({}, {} {})",
        lang.pick("Wechselbereitschaftsprüfung", "Switch-readiness check"),
        sovbench_core::time::format_utc(r.checked_at),
        r.systems,
        lang.pick("Systeme", "systems")
    );
    for kind in [
        FindingKind::CriticalWithoutExit,
        FindingKind::ContractEnds12mNoExitClause,
        FindingKind::ContractEnds24mNoExitClause,
        FindingKind::NoOpenExportFormat,
        FindingKind::ReplaceableWithin6m,
    ] {
        let items: Vec<&Finding> = r.findings.iter().filter(|f| f.kind == kind).collect();
        let _ = writeln!(o, "\n{} ({}):", kind.label(lang), items.len());
        for f in items {
            if f.detail.is_empty() {
                let _ = writeln!(o, "  - {}", f.system);
            } else if kind == FindingKind::ReplaceableWithin6m {
                let _ = writeln!(
                    o,
                    "  - {} ({} {})",
                    f.system,
                    f.detail,
                    lang.pick("Monate", "months")
                );
            } else {
                let _ = writeln!(o, "  - {} ({})", f.system, f.detail);
            }
        }
    }
    let _ = writeln!(
        o,
        "\n{}:",
        lang.pick(
            "Vorgeschlagene Selbsttest-Werte",
            "Suggested self-test scores"
        )
    );
    for s in &r.suggestions {
        let _ = writeln!(
            o,
            "  {:<36} {}  ({})",
            s.dimension.label(lang),
            s.score,
            lang.pick(&s.evidence_de, &s.evidence_en)
        );
    }
    if let Some(d) = d {
        let _ = writeln!(
            o,
            "\n{} {}: {} {}, {} {}",
            lang.pick("Seit der Prüfung vom", "Since the check of"),
            sovbench_core::time::format_utc(d.previous_at),
            d.new.len(),
            lang.pick("neue Befunde", "new findings"),
            d.resolved.len(),
            lang.pick("erledigt", "resolved")
        );
        for f in &d.new {
            let _ = writeln!(o, "  + {}: {}", f.kind.label(lang), f.system);
        }
        for f in &d.resolved {
            let _ = writeln!(o, "  - {}: {}", f.kind.label(lang), f.system);
        }
        for (dim, a, b) in &d.score_changes {
            let _ = writeln!(o, "  {}: {a} -> {b}", dim.label(lang));
        }
    }
    o
}
