//! The sizing preview of a secure round: the publication grid the aggregator would announce if
//! every active enrolment contributed ([`sovbench_secure::grid::announce`] over the enrolment
//! counts per finest cell), the cohorts that are unions of its cells
//! ([`sovbench_secure::grid::derivable`]) and their expected 95% half-widths from the exact noise
//! of the cell sums ([`sovbench_secure::publish::sum_half_width`]) with all m trustees' noise
//! shares, as the publication computes them. Grid `all+kind-size`: the cohort `all` combines the
//! direct cell and the sum of the kind × size cells by inverse-variance weights (normal interval,
//! as published). Not every enrolled administration submits, so these are lower bounds of the
//! published half-widths.

use std::collections::BTreeMap;

use sovbench_core::catalogue::{Catalogue, MetricDef, ValueType};
use sovbench_core::cell::Cohort;
use sovbench_core::pb;
use sovbench_secure::committee::Committee;
use sovbench_secure::grid;
use sovbench_secure::publish::{sum_half_width, Z95};
use sovbench_secure::round::{is_path, Grid, Partition, SecureRound};

use super::Plan;
use crate::model::Enrolment;

/// The secure round `plan` describes, with the committee of a complete ceremony.
pub fn round_of(
    plan: &Plan,
    committee: Committee,
    trustee_keys: Vec<Vec<u8>>,
    grid: Grid,
    all_weight: f64,
    path_bound: u32,
) -> SecureRound {
    let cat = Catalogue::shared();
    let metrics: Vec<MetricDef> = if plan.metrics.is_empty() {
        cat.default_round_metrics().into_iter().cloned().collect()
    } else {
        plan.metrics
            .iter()
            .filter_map(|m| cat.metric(m))
            .cloned()
            .collect()
    };
    SecureRound {
        round_id: "preview".into(),
        committee,
        trustee_keys,
        grid,
        epsilon: plan.epsilon,
        all_weight: if grid == Grid::KindSize {
            0.0
        } else {
            all_weight
        },
        path_bound: path_bound.min(metrics.iter().filter(|m| is_path(m)).count() as u32),
        metrics,
        min_cohort: plan.min_cohort,
    }
}

/// The expected half-widths per cohort, for the cohorts that would be published: cohort →
/// (metric → half-width within the usefulness limit). A cohort that is a union of announced
/// cells but publishes no metric precisely enough maps to an empty map; cohorts outside the grid
/// are absent.
pub fn half_widths(
    round: &SecureRound,
    enrolments: &[Enrolment],
) -> Result<BTreeMap<Cohort, BTreeMap<String, f64>>, String> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut cohorts: BTreeMap<Cohort, u32> = BTreeMap::new();
    for e in enrolments.iter().filter(|e| e.revoked_at.is_none()) {
        *counts.entry(grid::finest_cell(&e.attributes)).or_default() += 1;
        for c in Cohort::of(&e.attributes) {
            *cohorts.entry(c).or_default() += 1;
        }
    }
    let announced = grid::announce(round, &counts).map_err(|e| e.to_string())?;
    let shares = round.committee.size();
    let mut out = BTreeMap::new();
    for (cohort, n) in cohorts {
        if n < round.min_cohort {
            continue;
        }
        let Some(inside) = grid::derivable(&announced, &cohort) else {
            continue;
        };
        let mut widths = BTreeMap::new();
        for def in &round.metrics {
            let hw = half_width(round, &announced, &inside, &cohort, def, n, shares)?;
            if hw <= def.max_half_width {
                widths.insert(def.id.clone(), hw);
            }
        }
        out.insert(cohort, widths);
    }
    Ok(out)
}

/// Half-width of one metric (per component) in a cohort of `n` made of the announced cells
/// `inside`: the exact Pólya-difference quantile over those cells, divided by n × unit.
fn half_width(
    round: &SecureRound,
    announced: &[pb::AnnouncedCell],
    inside: &[usize],
    cohort: &Cohort,
    def: &MetricDef,
    n: u32,
    shares: usize,
) -> Result<f64, String> {
    let unit = match def.value_type {
        ValueType::BoundedShare => (def.upper - def.lower).max(1) as f64,
        _ => 1.0,
    };
    let scale = round.scale(Partition::KindSize);
    let divisor = f64::from(n.max(1)) * unit;
    let q = sum_half_width(round, scale, inside.len(), shares).map_err(|e| e.to_string())?;
    let summed = q as f64 / divisor;
    let direct = (round.grid == Grid::AllKindSize && *cohort == Cohort::All)
        .then(|| announced.iter().find(|c| c.cell == grid::ALL))
        .flatten();
    let Some(all) = direct else {
        return Ok(summed);
    };
    // Inverse-variance combination of the direct cell `all` and the summed kind × size cells.
    let h = round.honest() as f64;
    let var = |scale: f64, cells: usize, divisor: f64| {
        let alpha = (-1.0 / scale).exp();
        let shape = cells as f64 * shares as f64 / h;
        2.0 * shape * alpha / ((1.0 - alpha) * (1.0 - alpha)) / (divisor * divisor)
    };
    let v_sum = var(scale, inside.len(), divisor);
    let v_all = var(all.scale, 1, f64::from(all.n.max(1)) * unit);
    Ok(Z95 * (1.0 / (1.0 / v_sum + 1.0 / v_all)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};

    fn enrolled(kind: Kind, size: u64, n: usize) -> Vec<Enrolment> {
        (0..n)
            .map(|i| Enrolment {
                public_key: format!("{kind:?}{size}-{i}"),
                fingerprint: String::new(),
                name: String::new(),
                attributes: CohortAttributes {
                    kind,
                    state: "DE-NI".into(),
                    size: SizeClass::classify(kind, size),
                },
                size,
                enrolled_at: 0,
                revoked_at: None,
            })
            .collect()
    }

    fn round(epsilon: f64, k: u32, grid: Grid) -> SecureRound {
        let (committee, _) =
            sovbench_secure::committee::deal_for_tests(5, 3, &mut rand::rngs::OsRng)
                .expect("committee");
        let plan = Plan {
            metrics: Vec::new(),
            epsilon,
            releases_per_node: 0,
            min_cohort: k,
            committee: Some((3, 5)),
            secure: None,
        };
        round_of(&plan, committee, vec![vec![0; 32]; 5], grid, 0.3, 3)
    }

    /// 60 municipalities of one size class and 12 towns: at ε = 2 the towns are below the
    /// merge size n*, go to the global rest, and the rest (below n* too) takes the
    /// municipalities whole: one announced cell, so only `all` is published. With 40 towns both
    /// kinds are announced cells and published; a Land never is (not in the grid).
    #[test]
    fn the_grid_decides_the_published_cohorts_and_their_half_widths() {
        let r = round(2.0, 10, Grid::KindSize);
        let mut e = enrolled(Kind::Gemeinde, 8_000, 60);
        e.extend(enrolled(Kind::Stadt, 30_000, 12));
        let hw = half_widths(&r, &e).expect("preview");
        assert_eq!(hw.keys().collect::<Vec<_>>(), vec![&Cohort::All], "{hw:?}");
        let mut e = enrolled(Kind::Gemeinde, 8_000, 60);
        e.extend(enrolled(Kind::Stadt, 30_000, 40));
        let hw = half_widths(&r, &e).expect("preview");
        let gemeinde = Cohort::Kind(Kind::Gemeinde);
        assert!(hw.contains_key(&gemeinde), "{hw:?}");
        assert!(hw.contains_key(&Cohort::Kind(Kind::Stadt)), "{hw:?}");
        assert!(hw.contains_key(&Cohort::All), "{hw:?}");
        assert!(!hw.contains_key(&Cohort::State("DE-NI".into())), "{hw:?}");
        let m = &r.metrics[0];
        let g = hw[&gemeinde][&m.id];
        // The exact value: one cell of 60, all 5 shares, h = 3.
        let q = sum_half_width(&r, r.scale(Partition::KindSize), 1, 5).unwrap() as f64;
        let unit = match m.value_type {
            ValueType::BoundedShare => (m.upper - m.lower).max(1) as f64,
            _ => 1.0,
        };
        assert!((g - q / (60.0 * unit)).abs() < 1e-12, "{g}");
        // Ten times the administrations, same grid: a tenth of the half-width (± one step of q).
        let big = enrolled(Kind::Gemeinde, 8_000, 600);
        let hw_big = half_widths(&r, &big).expect("preview");
        let gb = hw_big[&gemeinde][&m.id];
        assert!(gb < g / 9.0 && gb > g / 11.0, "{gb} vs {g}");
        // Lower epsilon, more noise.
        let low = half_widths(&round(0.5, 10, Grid::KindSize), &big).expect("preview");
        let gl = low
            .get(&gemeinde)
            .and_then(|w| w.get(&m.id))
            .copied()
            .unwrap_or(f64::INFINITY);
        assert!(gl > gb, "{gl} vs {gb}");
    }

    #[test]
    fn fewer_than_k_administrations_publish_nothing() {
        let e = enrolled(Kind::Gemeinde, 8_000, 7);
        let hw = half_widths(&round(2.0, 10, Grid::KindSize), &e).expect("preview");
        assert!(hw.is_empty(), "{hw:?}");
    }

    /// Grid all+kind-size: the cohort all combines two estimates, so its half-width is below
    /// that of the summed cells alone.
    #[test]
    fn the_direct_cell_all_narrows_the_cohort_all() {
        let e = enrolled(Kind::Gemeinde, 8_000, 400);
        let r = round(2.0, 10, Grid::AllKindSize);
        let hw = half_widths(&r, &e).expect("preview");
        let id = &r.metrics[0].id;
        let all = hw[&Cohort::All][id];
        let kind = hw[&Cohort::Kind(Kind::Gemeinde)][id];
        assert!(all < kind, "all {all} vs kind {kind}");
    }

    /// The preview of `round open` carries the grid's verdict per cohort: published cohorts
    /// with half-widths, a Land suppressed, and no "empty" warning.
    #[test]
    fn the_preview_of_a_secure_round_shows_grid_and_half_widths() {
        let mut e = enrolled(Kind::Gemeinde, 8_000, 60);
        e.extend(enrolled(Kind::Stadt, 30_000, 40));
        let mut plan = Plan {
            metrics: Vec::new(),
            epsilon: 2.0,
            releases_per_node: 0,
            min_cohort: 10,
            committee: Some((3, 5)),
            secure: Some(round(2.0, 10, Grid::KindSize)),
        };
        let p = super::super::preview(&plan, &e, sovbench_core::i18n::Lang::En);
        let cell = |id: &str| p.cells.iter().find(|c| c.cohort == id).expect(id).clone();
        assert!(cell("kind=gemeinde").published);
        assert!(!cell("kind=gemeinde").half_widths.is_empty());
        assert!(!cell("state=DE-NI").published, "a Land is not in the grid");
        assert!(cell("state=DE-NI").half_widths.is_empty());
        assert!(
            !p.warnings.iter().any(|w| w.contains("empty")),
            "{:?}",
            p.warnings
        );
        // Without the committee's key: no half-widths, and the preview says why.
        plan.secure = None;
        let p = super::super::preview(&plan, &e, sovbench_core::i18n::Lang::En);
        assert!(p.cells.iter().all(|c| c.half_widths.is_empty()));
        assert!(
            p.warnings.iter().any(|w| w.contains("DKG")),
            "{:?}",
            p.warnings
        );
    }
}
