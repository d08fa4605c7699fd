//! The administration's status report: a self-contained HTML page (no scripts, no external
//! resources; prints on A4) with the self-test and band, the inventory summary, the top risks,
//! exit readiness, procurement-relevant gaps, migration paths and the comparison with its cohorts
//! from the latest publication the node has verified: the round, its date and any stale flag,
//! an SVG position chart per cohort with its data as a table
//! ([`crate::present::compare_html`]). German by default, English available.

use std::fmt::Write as _;

use sovbench_core::i18n::Lang;
use sovbench_core::selftest::Dimension;

use crate::error::NodeError;
use crate::inventory::risk;
use crate::inventory::{summarise, Relevance};
use crate::node::Node;
use crate::readiness::{self, FindingKind};

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em auto;max-width:60em;color:#1a1a1a;line-height:1.4}\
h1{font-size:1.6em;border-bottom:3px solid #004b76;padding-bottom:.3em}h2{font-size:1.2em;color:#004b76;margin-top:1.6em}\
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#e8eef3}td.num{text-align:right}.band{font-weight:bold}.muted{color:#666;font-size:.9em}\
.A{background:#f8d7da}.B{background:#fff3cd}.C{background:#e2f0d9}\
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}}\
@page{size:A4;margin:18mm}";

/// Renders the report.
pub fn render(node: &Node, lang: Lang, now: i64) -> Result<String, NodeError> {
    let l = |de: &'static str, en: &'static str| lang.pick(de, en);
    let profile = node.profile()?;
    let systems = node.store().systems()?;
    let today = now.div_euclid(86_400);
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} – {}</title><style>{STYLE}{}</style></head><body><main>",
        l("de", "en"),
        esc(l("Souveränitätsbericht", "Sovereignty report")),
        esc(&profile.name),
        crate::present::compare_html::STYLE
    );
    let _ = write!(
        o,
        "<h1>{} – {}</h1><p class=\"muted\">{} · {} · {} · {} {}</p>",
        esc(l("Souveränitätsbericht", "Sovereignty report")),
        esc(&profile.name),
        esc(profile.kind.label(lang)),
        esc(sovbench_core::cohort::state_name(&profile.state, lang).unwrap_or(&profile.state)),
        esc(&profile.size_class.label(lang)),
        l("Stand", "as of"),
        esc(&sovbench_core::time::format_utc(now))
    );

    // Self-test.
    let _ = write!(
        o,
        "<h2>{}</h2>",
        l(
            "1. Selbsttest und Reifegrad",
            "1. Self-test and maturity band"
        )
    );
    match node
        .store()
        .latest_assessment()?
        .and_then(|r| r.assessment().map(|a| (r, a)))
    {
        Some((r, a)) => {
            let _ = write!(
                o,
                "<table><tr><th>{}</th><th>{}</th></tr>",
                l("Dimension", "Dimension"),
                l("Wert (1–5)", "Score (1–5)")
            );
            for d in Dimension::ALL {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                    esc(d.label(lang)),
                    a.score(d)
                );
            }
            let (lo, hi) = a.band().range();
            let _ = write!(
                o,
                "<tr><th>{}</th><th class=\"num\">{} / 25</th></tr></table><p>{}: <span class=\"band\">{}</span> ({lo}–{hi}). <span class=\"muted\">{} {}</span></p>",
                l("Gesamt", "Total"),
                a.total(),
                l("Reifegrad", "Maturity band"),
                esc(a.band().label(lang)),
                l("Erfasst am", "Recorded on"),
                esc(&sovbench_core::time::format_utc(r.recorded_at()))
            );
        }
        None => {
            let _ = write!(
                o,
                "<p>{}</p>",
                l(
                    "Noch kein Selbsttest erfasst.",
                    "No self-test recorded yet."
                )
            );
        }
    }

    // Inventory summary.
    let _ = write!(
        o,
        "<h2>{}</h2>",
        l("2. Systeminventur", "2. System inventory")
    );
    match summarise(&systems, today) {
        Some(s) => {
            let pct = |x: f64| format!("{:.0} %", x * 100.0);
            let _ = write!(
                o,
                "<table><tr><td>{}</td><td class=\"num\">{}</td></tr><tr><td>{}</td><td class=\"num\">{}</td></tr>\
                 <tr><td>{}</td><td class=\"num\">{}</td></tr><tr><td>{}</td><td class=\"num\">{}</td></tr>\
                 <tr><td>{}</td><td class=\"num\">{}</td></tr><tr><td>{}</td><td class=\"num\">{}</td></tr><tr><td>{}</td><td class=\"num\">{}</td></tr></table>",
                l("Systeme", "Systems"), s.systems,
                l("davon kritisch", "of which critical"), s.critical,
                l("kritische Systeme mit Exit-Szenario", "critical systems with an exit scenario"), pct(s.critical_with_exit_share),
                l("unter Nicht-EU-Rechtsraum (Anbieter oder Hosting)", "under non-EU jurisdiction (vendor or hosting)"), pct(s.non_eu_share),
                l("Open Source", "open source"), pct(s.open_source_share),
                l("mit offenem Exportformat", "with an open export format"), pct(s.open_format_share),
                l("Verträge ohne Ausstiegsklausel, Ende in 24 Monaten", "contracts without exit clause ending within 24 months"), s.contracts_24m_no_exit
            );
        }
        None => {
            let _ = write!(
                o,
                "<p>{}</p>",
                l("Noch keine Systeme erfasst.", "No systems recorded yet.")
            );
        }
    }

    // Top risks.
    let _ = write!(
        o,
        "<h2>{}</h2>",
        l(
            "3. Größte Abhängigkeitsrisiken",
            "3. Largest dependency risks"
        )
    );
    let ranked = risk::ranked(&systems);
    if ranked.is_empty() {
        let _ = write!(o, "<p>–</p>");
    } else {
        let _ = write!(
            o,
            "<table><tr><th>{}</th><th>System</th><th>{}</th><th>{}</th></tr>",
            l("Klasse", "Class"),
            l("Risiko (0–48)", "Risk (0–48)"),
            l("Gründe", "Reasons")
        );
        for r in ranked.iter().take(10) {
            let _ = write!(
                o,
                "<tr class=\"{:?}\"><td>{:?}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                r.class,
                r.class,
                esc(&r.system),
                r.score,
                esc(&r.reasons.iter().map(|x| x.text(lang).to_string()).collect::<Vec<_>>().join("; "))
            );
        }
        let _ = write!(
            o,
            "</table><p class=\"muted\">{}</p>",
            l(
                "Klasse A: jetzt handeln; B: planen; C: beobachten.",
                "Class A: act now; B: plan; C: watch."
            )
        );
    }

    // Exit readiness.
    let _ = write!(
        o,
        "<h2>{}</h2>",
        l("4. Wechselbereitschaft", "4. Switch readiness")
    );
    if systems.is_empty() {
        let _ = write!(o, "<p>–</p>");
    } else {
        let r = readiness::check(&systems, &node.store().migrations()?, today, now);
        let last = node.store().latest_readiness()?;
        let _ = write!(
            o,
            "<p class=\"muted\">{}: {}</p><table>",
            l(
                "Letzte gespeicherte Wechselbereitschaftsprüfung",
                "Latest stored switch-readiness check"
            ),
            last.map(|x| sovbench_core::time::format_utc(x.checked_at))
                .unwrap_or_else(|| l("keine", "none").to_string())
        );
        for kind in [
            FindingKind::CriticalWithoutExit,
            FindingKind::ContractEnds12mNoExitClause,
            FindingKind::ContractEnds24mNoExitClause,
            FindingKind::ReplaceableWithin6m,
        ] {
            let items: Vec<String> = r
                .findings
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| esc(&f.system))
                .collect();
            let _ = write!(
                o,
                "<tr><th>{} ({})</th><td>{}</td></tr>",
                esc(kind.label(lang)),
                items.len(),
                items.join(", ")
            );
        }
        let _ = write!(
            o,
            "</table><p>{}:</p><table>",
            l(
                "Vom Inventar nahegelegte Selbsttest-Werte",
                "Self-test scores the inventory suggests"
            )
        );
        for s in &r.suggestions {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(s.dimension.label(lang)),
                s.score,
                esc(lang.pick(&s.evidence_de, &s.evidence_en))
            );
        }
        let _ = write!(o, "</table>");
    }

    // Procurement-relevant gaps.
    let _ = write!(
        o,
        "<h2>{}</h2>",
        l(
            "5. Lücken für die nächste Beschaffung",
            "5. Gaps for the next procurement"
        )
    );
    let all_gaps: Vec<&crate::inventory::System> = systems
        .iter()
        .filter(|s| {
            matches!(s.relevance, Relevance::Kritisch | Relevance::Hoch)
                && (!s.exit_clause || !s.has_open_format() || !s.api)
        })
        .collect();
    // Those whose contract ends first come first; long lists are cut at 50.
    let mut gaps = all_gaps.clone();
    gaps.sort_by_key(|s| (s.contract_end.unwrap_or(i64::MAX), s.name.clone()));
    gaps.truncate(50);
    if gaps.is_empty() {
        let _ = write!(o, "<p>–</p>");
    } else {
        let _ = write!(
            o,
            "<table><tr><th>System</th><th>{}</th><th>{}</th></tr>",
            l("Vertragsende", "Contract end"),
            l(
                "Fehlt in Vertrag oder Produkt",
                "Missing in contract or product"
            )
        );
        for s in &gaps {
            let mut miss = Vec::new();
            if !s.exit_clause {
                miss.push(l("Ausstiegsklausel", "exit clause"));
            }
            if !s.has_open_format() {
                miss.push(l("offenes Exportformat", "open export format"));
            }
            if !s.api {
                miss.push("API");
            }
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.name),
                s.contract_end
                    .map(sovbench_core::time::format_days)
                    .unwrap_or_else(|| "–".into()),
                esc(&miss.join(", "))
            );
        }
        if all_gaps.len() > gaps.len() {
            let _ = write!(
                o,
                "<tr><td colspan=\"3\">{} {} {}</td></tr>",
                l("… und", "… and"),
                all_gaps.len() - gaps.len(),
                l(
                    "weitere (sovbench-node inventory risks)",
                    "more (sovbench-node inventory risks)"
                )
            );
        }
        let _ = write!(o, "</table><p class=\"muted\">{}</p>", l(
            "Empfehlung des Reports: Datenhoheit, Exitfähigkeit, Hostingstandort, Quelloffenheit und API-Verfügbarkeit in die Bewertungsmatrix aufnehmen (sovbench-node procurement).",
            "The report recommends adding data sovereignty, exit capability, hosting location, open source and API availability to the evaluation matrix (sovbench-node procurement)."));
    }

    // Migration paths.
    let paths = node.store().migrations()?;
    let _ = write!(
        o,
        "<h2>{}</h2>",
        l("6. Migrationspfade", "6. Migration paths")
    );
    if paths.is_empty() {
        let _ = write!(
            o,
            "<p>{}</p>",
            l(
                "Keine Migrationspfade erfasst.",
                "No migration paths recorded."
            )
        );
    } else {
        let _ = write!(
            o,
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            l("Kategorie", "Category"),
            l("von → nach", "from → to"),
            l("Stufe", "Stage"),
            l("seit", "since"),
            l("Arbeitsplätze", "Workplaces")
        );
        for p in &paths {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(p.category.label(lang)),
                esc(&p.from_product),
                esc(&p.to_product),
                esc(p.stage.label(lang)),
                p.since().map(sovbench_core::time::format_days).unwrap_or_default(),
                p.workplaces
            );
        }
        let _ = write!(o, "</table>");
    }

    // Comparison.
    let _ = write!(
        o,
        "<h2>{}</h2>",
        l(
            "7. Vergleich mit den Kohorten",
            "7. Comparison with the cohorts"
        )
    );
    match crate::compare::latest_publication(node)? {
        Some(p) => {
            let cmp = crate::compare::comparison(node, &p)?;
            o.push_str(&crate::present::compare_html::section(&cmp, lang));
        }
        None => {
            let _ = write!(
                o,
                "<p>{}</p>",
                l(
                    "Noch keine Veröffentlichung abgerufen (sovbench-node compare).",
                    "No publication fetched yet (sovbench-node compare)."
                )
            );
        }
    }
    let _ = write!(
        o,
        "<footer><p class=\"muted\">{}</p></footer></main></body></html>",
        l("Erstellt mit sovbench. Dieser Bericht enthält die eigenen, nicht verrauschten Werte der Verwaltung: vertraulich behandeln.",
          "Created with sovbench. This report contains the administration's own, un-noised values: treat as confidential.")
    );
    Ok(o)
}

#[cfg(test)]
mod tests;
