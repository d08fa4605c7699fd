//! The sizing preview of `round open`: from the enrolled cohort sizes and the round's parameters,
//! which cells would be published and their expected half-widths, and warnings when typical node
//! policies would refuse the round or the benchmark would be empty.
//!
//! Mode direct: a cohort with n active enrolments is expected to publish a metric when n ≥ k and
//! the expected 95% half-width of the noise, `1.96 · sqrt(v / n_j)`, is within the metric's
//! usefulness limit from the catalogue. `v` is the per-report noise variance of the estimator
//! ([`crate::estimate`]) at the mechanism parameters a node derives from the round's epsilon
//! (discrete Laplace scale `sensitivity / ε`; randomized response at `e^ε`), and `n_j = n · r / M`
//! the expected reporters with r releases of M metrics. The spread of the true values adds to
//! this, so the preview is a lower bound of the published half-width. Mode secure ([`secure`]):
//! the grid the aggregator would announce over the enrolment counts per finest cell, the cohorts
//! that are unions of its cells, and their half-widths from the exact noise of the cell sums;
//! while the committee's DKG is not complete (no key yet), only n ≥ k is checked.

use std::collections::BTreeMap;

use serde::Serialize;
use sovbench_core::catalogue::{Catalogue, MechanismKind, MetricDef};
use sovbench_core::cell::Cohort;
use sovbench_core::i18n::Lang;

use crate::estimate::{discrete_laplace_variance, Z95};
use crate::model::Enrolment;

pub mod secure;

/// Epsilon per round that typical node policies admit (the node's default `max_epsilon`).
pub const TYPICAL_MAX_EPSILON: f64 = 2.0;
/// The smallest k typical node policies admit.
pub const TYPICAL_MIN_COHORT: u32 = 10;

/// What the preview needs to know about a round.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Metric ids (empty: the default round).
    pub metrics: Vec<String>,
    /// Epsilon per released value (mode secure: per submission).
    pub epsilon: f64,
    /// Releases per node (0 = all).
    pub releases_per_node: u32,
    /// Minimum cohort k.
    pub min_cohort: u32,
    /// Mode secure: the committee's (t, m).
    pub committee: Option<(u32, usize)>,
    /// Mode secure with a complete committee: the round as it would be opened
    /// ([`secure::round_of`]), for the grid and the half-widths. `None` in mode direct, or
    /// while the committee's key does not exist yet (then a cell needs only n ≥ k).
    pub secure: Option<sovbench_secure::round::SecureRound>,
}

/// One cohort cell of the preview.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewCell {
    /// Cohort id (`all`, `kind=…`, …).
    pub cohort: String,
    /// Active enrolments in the cohort.
    pub enrolled: usize,
    /// Expected 95% half-width of the noise per metric (direct) where the cell publishes it.
    pub half_widths: BTreeMap<String, f64>,
    /// Whether the cell is expected to publish at least one metric.
    pub published: bool,
}

/// The preview of a round.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// Epsilon a node spends on the round.
    pub epsilon_per_round: f64,
    /// Every cohort with at least one active enrolment, coarsest first.
    pub cells: Vec<PreviewCell>,
    /// Warnings (policy refusals, empty benchmark), in the requested language.
    pub warnings: Vec<String>,
}

/// Per-report noise variance of a metric's unbiased value at `epsilon`.
pub fn noise_variance(def: &MetricDef, epsilon: f64) -> f64 {
    let e = epsilon.exp();
    match def.mechanism {
        MechanismKind::DiscreteLaplace => {
            let grid = def.grid.max(1) as f64;
            discrete_laplace_variance(def.sensitivity().max(1) as f64 / epsilon) / (grid * grid)
        }
        MechanismKind::RandomizedResponseBool => {
            let p = e / (1.0 + e);
            p * (1.0 - p) / ((2.0 * p - 1.0) * (2.0 * p - 1.0))
        }
        MechanismKind::RandomizedResponse => {
            let k = def.categories.len().max(2) as f64;
            let p = e / (e + k - 1.0);
            let q = (1.0 - p) / (k - 1.0);
            q * (1.0 - q) / ((p - q) * (p - q))
        }
        MechanismKind::RandomizedResponseBitvec => {
            let f = 2.0 / (1.0 + (epsilon / 2.0).exp());
            (f / 2.0) * (1.0 - f / 2.0) / ((1.0 - f) * (1.0 - f))
        }
    }
}

/// The preview of `plan` over the active enrolments.
pub fn preview(plan: &Plan, enrolments: &[Enrolment], lang: Lang) -> Preview {
    let cat = Catalogue::shared();
    let defs: Vec<&MetricDef> = if plan.metrics.is_empty() {
        cat.default_round_metrics()
    } else {
        plan.metrics.iter().filter_map(|m| cat.metric(m)).collect()
    };
    let m = defs.len().max(1);
    let r = if plan.releases_per_node == 0 {
        m
    } else {
        (plan.releases_per_node as usize).min(m)
    };
    let secure = plan.committee.is_some();
    let epsilon_per_round = if secure {
        plan.epsilon
    } else {
        plan.epsilon * r as f64
    };
    let mut counts: BTreeMap<Cohort, usize> = BTreeMap::new();
    for e in enrolments.iter().filter(|e| e.revoked_at.is_none()) {
        for c in Cohort::of(&e.attributes) {
            *counts.entry(c).or_default() += 1;
        }
    }
    let mut warnings = Vec::new();
    let grid = match &plan.secure {
        Some(round) => match secure::half_widths(round, enrolments) {
            Ok(g) => Some(g),
            Err(e) => {
                warnings.push(format!(
                    "{} {e}",
                    lang.pick(
                        "Raster der Veröffentlichung nicht berechenbar:",
                        "publication grid cannot be computed:"
                    )
                ));
                Some(BTreeMap::new())
            }
        },
        None => None,
    };
    let mut cells: Vec<PreviewCell> = counts
        .into_iter()
        .map(|(cohort, n)| {
            let mut half_widths = BTreeMap::new();
            let mut published = false;
            if n >= plan.min_cohort as usize {
                if let Some(grid) = &grid {
                    if let Some(widths) = grid.get(&cohort) {
                        half_widths = widths.clone();
                        published = !widths.is_empty();
                    }
                } else if secure {
                    published = true;
                } else {
                    let reporters = n as f64 * r as f64 / m as f64;
                    for d in &defs {
                        let hw = Z95 * (noise_variance(d, plan.epsilon) / reporters).sqrt();
                        if hw <= d.max_half_width {
                            half_widths.insert(d.id.clone(), hw);
                            published = true;
                        }
                    }
                }
            }
            PreviewCell {
                cohort: cohort.to_string(),
                enrolled: n,
                half_widths,
                published,
            }
        })
        .collect();
    cells.sort_by_key(|c| {
        c.cohort
            .parse::<Cohort>()
            .map(|x| x.rank())
            .unwrap_or(u8::MAX)
    });
    if epsilon_per_round > TYPICAL_MAX_EPSILON {
        warnings.push(format!(
            "{} {epsilon_per_round} > {TYPICAL_MAX_EPSILON}",
            lang.pick(
                "Knoten mit der Standard-Richtlinie lehnen die Runde ab: Epsilon je Runde",
                "nodes with the default policy refuse the round: epsilon per round"
            )
        ));
    }
    if plan.min_cohort < TYPICAL_MIN_COHORT {
        warnings.push(format!(
            "{} k = {} < {TYPICAL_MIN_COHORT}",
            lang.pick(
                "Knoten mit der Standard-Richtlinie lehnen die Runde ab:",
                "nodes with the default policy refuse the round:"
            ),
            plan.min_cohort
        ));
    }
    if let Some((t, members)) = plan.committee {
        if members < 3 || t < 2 {
            warnings.push(format!(
                "{} t = {t}, m = {members} ({})",
                lang.pick(
                    "Knoten mit der Standard-Richtlinie lehnen das Treuhänder-Gremium ab:",
                    "nodes with the default policy refuse the trustee committee:"
                ),
                lang.pick("nötig m ≥ 3, t ≥ 2", "needed m ≥ 3, t ≥ 2")
            ));
        }
    }
    if plan.committee.is_some() && plan.secure.is_none() {
        warnings.push(
            lang.pick(
                "Halbweiten erst nach Abschluss der Schlüsselerzeugung (DKG) des Treuhänder-Gremiums; bis dahin zählt nur n ≥ k",
                "half-widths only once the trustee committee's key generation (DKG) is complete; until then only n ≥ k is checked",
            )
            .to_string(),
        );
    }
    if !cells.iter().any(|c| c.published) {
        warnings.push(
            lang.pick(
                "die Benchmark wird voraussichtlich leer sein: keine Kohorte erreicht k mit nutzbarer Genauigkeit (mehr Verwaltungen aufnehmen, Epsilon erhöhen oder k senken)",
                "the benchmark is expected to be empty: no cohort reaches k with useful precision (enrol more administrations, raise epsilon or lower k)",
            )
            .to_string(),
        );
    }
    Preview {
        epsilon_per_round,
        cells,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};

    fn enrolments(n: usize, kind: Kind) -> Vec<Enrolment> {
        (0..n)
            .map(|i| Enrolment {
                public_key: format!("k{i}"),
                fingerprint: format!("f{i}"),
                name: format!("A{i}"),
                attributes: CohortAttributes {
                    kind,
                    state: "DE-SH".into(),
                    size: SizeClass::classify(kind, 10_000),
                },
                size: 10_000,
                enrolled_at: 0,
                revoked_at: None,
            })
            .collect()
    }

    fn plan(epsilon: f64, k: u32) -> Plan {
        Plan {
            metrics: Vec::new(),
            epsilon,
            releases_per_node: 1,
            min_cohort: k,
            committee: None,
            secure: None,
        }
    }

    #[test]
    fn a_tiny_consortium_is_predicted_empty_and_a_large_one_publishes() {
        let small = preview(&plan(1.0, 10), &enrolments(5, Kind::Gemeinde), Lang::En);
        assert!(small.cells.iter().all(|c| !c.published));
        assert!(
            small.warnings.iter().any(|w| w.contains("empty")),
            "{:?}",
            small.warnings
        );
        let large = preview(&plan(2.0, 10), &enrolments(5_000, Kind::Gemeinde), Lang::En);
        let all = large.cells.iter().find(|c| c.cohort == "all").unwrap();
        assert!(all.published, "{all:?}");
        assert!(!large.warnings.iter().any(|w| w.contains("empty")));
    }

    #[test]
    fn policy_warnings_name_epsilon_k_and_the_committee() {
        let p = preview(&plan(2.5, 5), &enrolments(3, Kind::Stadt), Lang::En);
        assert!(p
            .warnings
            .iter()
            .any(|w| w.contains("epsilon per round 2.5 > 2")));
        assert!(p.warnings.iter().any(|w| w.contains("k = 5 < 10")));
        let mut s = plan(1.0, 10);
        s.committee = Some((1, 2));
        let p = preview(&s, &enrolments(3, Kind::Stadt), Lang::En);
        assert!(p.warnings.iter().any(|w| w.contains("t = 1, m = 2")));
        assert!(!p.warnings.iter().any(|w| w.contains("epsilon per round")));
    }

    /// More noise at smaller epsilon: the half-width must grow when epsilon shrinks.
    #[test]
    fn half_widths_shrink_with_epsilon_and_cohort_size() {
        let def = Catalogue::shared().default_round_metrics()[0].clone();
        assert!(noise_variance(&def, 0.5) > noise_variance(&def, 2.0));
    }
}
