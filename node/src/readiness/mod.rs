//! The annual switch-readiness check (Wechselbereitschaftsprüfung, Stufe 3 of the report): what
//! stands in the way of leaving a vendor, found in the inventory, and the self-test scores the
//! inventory suggests, with their evidence. Results are stored with their date; a check shows
//! what changed since the previous one.
//!
//! This module holds the records and the check itself and imports nothing from the node's
//! operations (the store keeps these records); [`annual`] performs and stores a check,
//! [`render`] writes it as text.

pub mod annual;
pub mod render;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sovbench_core::i18n::Lang;
use sovbench_core::selftest::Dimension;

use crate::inventory::{ExitStatus, Relevance, System};
use crate::migration::MigrationPath;

/// Kinds of findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A critical system has no exit scenario.
    CriticalWithoutExit,
    /// A contract ends within 12 months and has no exit clause.
    ContractEnds12mNoExitClause,
    /// A contract ends within 13-24 months and has no exit clause.
    ContractEnds24mNoExitClause,
    /// The system could be replaced within 6 months (a strength, listed for planning).
    ReplaceableWithin6m,
    /// No open export format.
    NoOpenExportFormat,
}

impl FindingKind {
    /// Heading in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FindingKind::CriticalWithoutExit => lang.pick(
                "Kritische Systeme ohne Exit-Szenario",
                "Critical systems without an exit scenario",
            ),
            FindingKind::ContractEnds12mNoExitClause => lang.pick(
                "Verträge enden in 12 Monaten, ohne Ausstiegsklausel",
                "Contracts ending within 12 months without an exit clause",
            ),
            FindingKind::ContractEnds24mNoExitClause => lang.pick(
                "Verträge enden in 13-24 Monaten, ohne Ausstiegsklausel",
                "Contracts ending in 13-24 months without an exit clause",
            ),
            FindingKind::ReplaceableWithin6m => lang.pick(
                "Innerhalb von 6 Monaten ersetzbar",
                "Replaceable within 6 months",
            ),
            FindingKind::NoOpenExportFormat => lang.pick(
                "Daten nicht in offenem Format exportierbar",
                "Data not exportable in an open format",
            ),
        }
    }
}

/// One finding about one system.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Finding {
    /// Kind.
    pub kind: FindingKind,
    /// System name.
    pub system: String,
    /// Detail (dates, months), language-neutral.
    pub detail: String,
}

/// A suggested self-test score with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Dimension.
    pub dimension: Dimension,
    /// Suggested score 1-5.
    pub score: u8,
    /// The share behind it.
    pub share: f64,
    /// Evidence, German.
    pub evidence_de: String,
    /// Evidence, English.
    pub evidence_en: String,
}

/// The dated result of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadinessResult {
    /// When it was performed (Unix seconds).
    pub checked_at: i64,
    /// Systems checked.
    pub systems: usize,
    /// Findings, sorted.
    pub findings: Vec<Finding>,
    /// Suggested self-test scores.
    pub suggestions: Vec<Suggestion>,
    /// The migration paths and their progress at the time of the check.
    #[serde(default)]
    pub paths: Vec<MigrationPath>,
}

/// What changed between two checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadinessDiff {
    /// When the previous check was performed.
    pub previous_at: i64,
    /// Findings that are new.
    pub new: Vec<Finding>,
    /// Findings that are gone.
    pub resolved: Vec<Finding>,
    /// Suggested scores that changed: dimension, before, after.
    pub score_changes: Vec<(Dimension, u8, u8)>,
}

fn share_score(share: f64) -> u8 {
    (1.0 + 4.0 * share.clamp(0.0, 1.0)).round() as u8
}

/// Performs the check on `systems` and `paths` as of `today` (days since 1970-01-01).
pub fn check(systems: &[System], paths: &[MigrationPath], today: i64, now: i64) -> ReadinessResult {
    let mut findings = Vec::new();
    for s in systems {
        if s.relevance == Relevance::Kritisch && s.exit.is_none() {
            findings.push(Finding {
                kind: FindingKind::CriticalWithoutExit,
                system: s.name.clone(),
                detail: String::new(),
            });
        }
        if let (Some(end), false) = (s.contract_end, s.exit_clause) {
            let days = end - today;
            let detail = sovbench_core::time::format_days(end);
            if (0..=365).contains(&days) {
                findings.push(Finding {
                    kind: FindingKind::ContractEnds12mNoExitClause,
                    system: s.name.clone(),
                    detail,
                });
            } else if (366..=730).contains(&days) {
                findings.push(Finding {
                    kind: FindingKind::ContractEnds24mNoExitClause,
                    system: s.name.clone(),
                    detail,
                });
            }
        }
        if let Some(e) = s.exit.as_ref().filter(|e| e.switch_months <= 6) {
            findings.push(Finding {
                kind: FindingKind::ReplaceableWithin6m,
                system: s.name.clone(),
                detail: e.switch_months.to_string(),
            });
        }
        if !s.has_open_format() {
            findings.push(Finding {
                kind: FindingKind::NoOpenExportFormat,
                system: s.name.clone(),
                detail: String::new(),
            });
        }
    }
    findings.sort();
    ReadinessResult {
        checked_at: now,
        systems: systems.len(),
        findings,
        suggestions: suggest(systems),
        paths: paths.to_vec(),
    }
}

fn suggest(systems: &[System]) -> Vec<Suggestion> {
    if systems.is_empty() {
        return Vec::new();
    }
    let n = systems.len() as f64;
    let mut out = Vec::new();
    let eu = systems.iter().filter(|s| !s.non_eu_jurisdiction()).count();
    let s = eu as f64 / n;
    out.push(Suggestion {
        dimension: Dimension::Datenhoheit,
        score: share_score(s),
        share: s,
        evidence_de: format!(
            "{eu} von {} Systemen unter EU-Recht und in der EU betrieben",
            systems.len()
        ),
        evidence_en: format!(
            "{eu} of {} systems under EU law and hosted in the EU",
            systems.len()
        ),
    });
    let important: Vec<&System> = systems
        .iter()
        .filter(|s| matches!(s.relevance, Relevance::Kritisch | Relevance::Hoch))
        .collect();
    if !important.is_empty() {
        let quick = important
            .iter()
            .filter(|s| s.exit.as_ref().is_some_and(|e| e.switch_months <= 6))
            .count();
        let s = quick as f64 / important.len() as f64;
        out.push(Suggestion {
            dimension: Dimension::TechnologischeUnabhaengigkeit,
            score: share_score(s),
            share: s,
            evidence_de: format!(
                "{quick} von {} kritischen oder wichtigen Systemen in 6 Monaten ersetzbar",
                important.len()
            ),
            evidence_en: format!(
                "{quick} of {} critical or important systems replaceable within 6 months",
                important.len()
            ),
        });
    }
    let open = systems
        .iter()
        .filter(|s| s.has_open_format() && s.api)
        .count();
    let s = open as f64 / n;
    out.push(Suggestion {
        dimension: Dimension::OffeneStandards,
        score: share_score(s),
        share: s,
        evidence_de: format!(
            "{open} von {} Systemen mit offenem Exportformat und API",
            systems.len()
        ),
        evidence_en: format!(
            "{open} of {} systems with an open export format and an API",
            systems.len()
        ),
    });
    let critical: Vec<&System> = systems
        .iter()
        .filter(|s| s.relevance == Relevance::Kritisch)
        .collect();
    if !critical.is_empty() {
        // Agreed or tested scenarios count fully, drafts half.
        let weight: f64 = critical
            .iter()
            .map(|s| match s.exit.as_ref().map(|e| e.status) {
                Some(ExitStatus::Abgestimmt | ExitStatus::Getestet) => 1.0,
                Some(ExitStatus::Entwurf) => 0.5,
                None => 0.0,
            })
            .sum();
        let with = critical.iter().filter(|s| s.exit.is_some()).count();
        let s = weight / critical.len() as f64;
        out.push(Suggestion {
            dimension: Dimension::GovernanceExit,
            score: share_score(s),
            share: s,
            evidence_de: format!(
                "{with} von {} kritischen Systemen mit Exit-Szenario (Entwürfe halb gewertet)",
                critical.len()
            ),
            evidence_en: format!(
                "{with} of {} critical systems with an exit scenario (drafts count half)",
                critical.len()
            ),
        });
    }
    out
}

/// What changed since `previous`.
pub fn diff(previous: &ReadinessResult, current: &ReadinessResult) -> ReadinessDiff {
    let before: BTreeSet<&Finding> = previous.findings.iter().collect();
    let after: BTreeSet<&Finding> = current.findings.iter().collect();
    let score_changes = current
        .suggestions
        .iter()
        .filter_map(|c| {
            let p = previous
                .suggestions
                .iter()
                .find(|p| p.dimension == c.dimension)?;
            (p.score != c.score).then_some((c.dimension, p.score, c.score))
        })
        .collect();
    ReadinessDiff {
        previous_at: previous.checked_at,
        new: after.difference(&before).map(|f| (*f).clone()).collect(),
        resolved: before.difference(&after).map(|f| (*f).clone()).collect(),
        score_changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::io::parse_csv;
    use crate::inventory::{ExitScenario, DEFAULT_COST_PER_WORKPLACE};

    fn sample() -> Vec<System> {
        parse_csv(include_str!("../../../docs/samples/inventar.csv")).unwrap()
    }

    #[test]
    fn findings_on_the_sample_inventory() {
        let systems = sample();
        let today = sovbench_core::time::parse_date("2026-11-26").unwrap();
        let r = check(&systems, &[], today, 0);
        let of = |k: FindingKind| {
            r.findings
                .iter()
                .filter(|f| f.kind == k)
                .map(|f| f.system.as_str())
                .collect::<Vec<_>>()
        };
        assert!(of(FindingKind::CriticalWithoutExit).contains(&"Arbeitsplatz-Betriebssystem"));
        assert!(!of(FindingKind::CriticalWithoutExit).contains(&"E-Mail und Kalender"));
        // Virtualisierung's contract ended 2026-10-31 (already past): not listed as ending.
        assert!(!of(FindingKind::ContractEnds12mNoExitClause).contains(&"Virtualisierung"));
        assert!(of(FindingKind::ContractEnds12mNoExitClause).contains(&"Whiteboard Workshops"));
        assert!(of(FindingKind::ContractEnds12mNoExitClause).contains(&"E-Mail und Kalender"));
        assert!(of(FindingKind::ContractEnds24mNoExitClause).contains(&"Datenbank Personalwesen"));
        assert!(of(FindingKind::ReplaceableWithin6m).contains(&"Umfragen Bürgerbeteiligung"));
        assert!(of(FindingKind::NoOpenExportFormat).contains(&"Videokonferenzen"));
        assert_eq!(r.suggestions.len(), 4);
        assert!(r.suggestions.iter().all(|s| (1..=5).contains(&s.score)));
    }

    #[test]
    fn a_second_check_shows_what_changed() {
        let mut systems = sample();
        let today = sovbench_core::time::parse_date("2026-11-26").unwrap();
        let first = check(&systems, &[], today, 1);
        let os = systems
            .iter_mut()
            .find(|s| s.name == "Arbeitsplatz-Betriebssystem")
            .unwrap();
        os.exit = Some(ExitScenario {
            alternatives: vec!["Linux-Arbeitsplatz".into()],
            switch_months: 4,
            export_formats: vec![],
            cost_per_workplace: DEFAULT_COST_PER_WORKPLACE,
            status: ExitStatus::Getestet,
        });
        let second = check(&systems, &[], today, 2);
        let d = diff(&first, &second);
        assert!(d
            .resolved
            .iter()
            .any(|f| f.kind == FindingKind::CriticalWithoutExit
                && f.system == "Arbeitsplatz-Betriebssystem"));
        assert!(d
            .new
            .iter()
            .any(|f| f.kind == FindingKind::ReplaceableWithin6m
                && f.system == "Arbeitsplatz-Betriebssystem"));
        let text = super::render::render(&second, Some(&d), Lang::De);
        assert!(
            text.contains("Wechselbereitschaftsprüfung") && text.contains("erledigt"),
            "{text}"
        );
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn findings_follow_the_records(idx in 0usize..60, months in 1u32..30, clause in any::<bool>(), days in -100i64..1000) {
            let mut systems = sample();
            let today = 20_000;
            let s = &mut systems[idx];
            s.exit_clause = clause;
            s.contract_end = Some(today + days);
            s.exit = Some(ExitScenario {
                alternatives: vec![],
                switch_months: months,
                export_formats: vec![],
                cost_per_workplace: DEFAULT_COST_PER_WORKPLACE,
                status: ExitStatus::Entwurf,
            });
            let name = s.name.clone();
            let r = check(&systems, &[], today, 0);
            let has = |k: FindingKind| r.findings.iter().any(|f| f.kind == k && f.system == name);
            // A system with an exit scenario is never listed as lacking one.
            prop_assert!(!has(FindingKind::CriticalWithoutExit));
            prop_assert_eq!(has(FindingKind::ReplaceableWithin6m), months <= 6);
            prop_assert_eq!(has(FindingKind::ContractEnds12mNoExitClause), !clause && (0..=365).contains(&days));
            prop_assert_eq!(has(FindingKind::ContractEnds24mNoExitClause), !clause && (366..=730).contains(&days));
            prop_assert!(!(has(FindingKind::ContractEnds12mNoExitClause) && has(FindingKind::ContractEnds24mNoExitClause)));
            prop_assert!(r.suggestions.iter().all(|s| (1..=5).contains(&s.score)));
        }
    }

    #[test]
    fn share_scores_span_one_to_five() {
        assert_eq!(share_score(0.0), 1);
        assert_eq!(share_score(0.5), 3);
        assert_eq!(share_score(1.0), 5);
        assert_eq!(share_score(7.0), 5);
    }
}
