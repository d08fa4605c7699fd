//! The text of the inventory: the list, one system with its risk and exit scenario, the risk
//! ranking and the catalogue of alternatives.

use std::fmt::Write as _;

use sovbench_core::i18n::Lang;

use crate::inventory::alternatives::Alternative;
use crate::inventory::risk::Risk;
use crate::inventory::System;

fn yes(b: bool, lang: Lang) -> &'static str {
    if b {
        lang.pick("ja", "yes")
    } else {
        lang.pick("nein", "no")
    }
}

/// The systems, one line each, and their number.
pub fn list(systems: &[System], lang: Lang) -> String {
    let mut o = String::new();
    for s in systems {
        let _ = writeln!(
            o,
            "{:<36} {:<28} {:<24} {:<9} {:<10} {}",
            s.name,
            s.category.label(lang),
            s.product,
            s.relevance.label(lang),
            s.jurisdiction.label(lang),
            if s.exit.is_some() {
                lang.pick("Exit-Szenario", "exit scenario")
            } else {
                ""
            }
        );
    }
    let _ = writeln!(o, "{} {}", systems.len(), lang.pick("Systeme", "systems"));
    o
}

/// One system with its risk and exit scenario.
pub fn system(s: &System, r: &Risk, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} ({})", s.name, s.category.label(lang));
    let _ = writeln!(
        o,
        "  {}: {} / {}",
        lang.pick("Produkt / Hersteller", "Product / vendor"),
        s.product,
        s.vendor
    );
    let _ = writeln!(
        o,
        "  {}: {}, {}, {}",
        lang.pick(
            "Rechtsraum, Hosting, Lizenz",
            "Jurisdiction, hosting, licence"
        ),
        s.jurisdiction.label(lang),
        s.hosting.label(lang),
        s.licence.label(lang)
    );
    let _ = writeln!(
        o,
        "  {}: {}; API: {}",
        lang.pick("Formate", "Formats"),
        s.formats.join(", "),
        yes(s.api, lang)
    );
    let _ = writeln!(
        o,
        "  {}: {}; {}: {}; {}: {}",
        lang.pick("Vertragsende", "Contract end"),
        s.contract_end
            .map(sovbench_core::time::format_days)
            .unwrap_or_else(|| "-".into()),
        lang.pick("Kündigungsfrist", "Notice"),
        s.notice_months
            .map(|m| format!("{m} M."))
            .unwrap_or_else(|| "-".into()),
        lang.pick("Ausstiegsklausel", "Exit clause"),
        yes(s.exit_clause, lang)
    );
    let _ = writeln!(
        o,
        "  {}: {}; {}: {}",
        lang.pick("Relevanz", "Relevance"),
        s.relevance.label(lang),
        lang.pick("Nutzende", "Users"),
        s.users
    );
    let _ = writeln!(
        o,
        "  {}: {:?}, {} {} ({}: {})",
        lang.pick("Risiko", "Risk"),
        r.class,
        r.score,
        lang.pick("Punkte", "points"),
        lang.pick("Gründe", "reasons"),
        r.reasons
            .iter()
            .map(|x| x.text(lang).to_string())
            .collect::<Vec<_>>()
            .join("; ")
    );
    match &s.exit {
        Some(e) => {
            let _ = writeln!(
                o,
                "  {}: {} ({} {}, {}: {}, {}: {} EUR, {})",
                lang.pick("Exit-Szenario", "Exit scenario"),
                e.alternatives.join(", "),
                e.switch_months,
                lang.pick("Monate", "months"),
                lang.pick("Exportformate", "export formats"),
                e.export_formats.join(", "),
                lang.pick("geschätzte Kosten", "estimated cost"),
                sovbench_core::display::thousands(e.estimated_cost(s.users), lang),
                e.status.label(lang)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "  {}",
                lang.pick("Kein Exit-Szenario.", "No exit scenario.")
            );
        }
    }
    o
}

/// The systems by dependency risk, with the reasons.
pub fn risks(ranked: Vec<Risk>, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<5} {:>6} {:>5}  {:<36} {}",
        lang.pick("Klasse", "Class"),
        lang.pick("Risiko", "Risk"),
        lang.pick("Abh.", "Dep."),
        "System",
        lang.pick("Gründe", "Reasons")
    );
    for r in ranked {
        let _ = writeln!(
            o,
            "{:<5} {:>6} {:>5}  {:<36} {}",
            format!("{:?}", r.class),
            r.score,
            r.dependency,
            r.system,
            r.reasons
                .iter()
                .map(|x| format!("{} (+{})", x.text(lang), x.points))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    o
}

/// The alternatives, one line each.
pub fn alternatives(all: &[Alternative], lang: Lang) -> String {
    let mut o = String::new();
    for a in all {
        let _ = writeln!(
            o,
            "{:<30} {:<45} {}",
            a.category.label(lang),
            a.product,
            a.source
        );
    }
    o
}
