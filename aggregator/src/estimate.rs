//! Estimators: from the noisy values of a closed round to published cells with 95% confidence
//! intervals, computed from the noise the mechanisms actually added.
//!
//! For a cohort C with n contributors and a bounded-integer metric released (under metric
//! sampling) by n_j of them with noisy values y_i = x_i + e_i:
//!
//! - estimate: the mean of the y_i, unbiased for the cohort mean of the true values, because the
//!   discrete Laplace noise has mean zero and the reporters are a uniform random subset chosen
//!   independently of the data;
//! - variance: `v_noise / n_j + s_x^2 / n_j * (1 - n_j / n)`, where `v_noise` is the exact
//!   variance of the discrete Laplace noise at the scale each release carries
//!   (`2 e^{-1/s} / (1 - e^{-1/s})^2`, averaged over reporters) and `s_x^2` the population variance of
//!   the true values, estimated as the sample variance of the y_i minus `v_noise`, clamped to
//!   `[0, (upper - lower)^2 / 4]`. The second term is the sampling of reporters; it vanishes when
//!   every contributor reports the metric.
//! - interval: estimate ± 1.96 · sqrt(variance) (normal approximation).
//!
//! A derived metric (the self-test total) is the sum of its components' estimates, with the sum of
//! their variances. A cell is suppressed when the cohort has fewer than k contributors, or a
//! component has fewer than two reports.

use std::collections::{BTreeMap, BTreeSet};

use sovbench_core::catalogue::Catalogue;
use sovbench_core::cohort::CohortAttributes;
use sovbench_core::pb;

/// z-value of a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// One node's released values, with its cohort attributes.
#[derive(Debug, Clone)]
pub struct Contribution {
    /// Cohort attributes at enrolment.
    pub attributes: CohortAttributes,
    /// Released values.
    pub releases: Vec<pb::Release>,
}

/// Exact variance of OpenDP's discrete Laplace noise with scale `s`:
/// `P(k) ∝ exp(-|k| / s)`, variance `2 a / (1 - a)^2` with `a = e^{-1/s}`.
pub fn discrete_laplace_variance(scale: f64) -> f64 {
    if scale <= 0.0 {
        return 0.0;
    }
    let a = (-1.0 / scale).exp();
    2.0 * a / ((1.0 - a) * (1.0 - a))
}

/// Estimate and variance of one metric in one cohort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanEstimate {
    /// Unbiased estimate of the cohort mean.
    pub estimate: f64,
    /// Estimated variance of the estimate.
    pub variance: f64,
    /// Number of reports used.
    pub reporters: usize,
}

/// Estimates a cohort mean from noisy reports `(value, scale)`; `n` is the number of contributors
/// in the cohort and `range` the width of the metric's bounds. `None` with fewer than two reports.
pub fn estimate_mean(reports: &[(i64, f64)], n: usize, range: f64) -> Option<MeanEstimate> {
    let nj = reports.len();
    if nj < 2 || n == 0 {
        return None;
    }
    let nj_f = nj as f64;
    let mean = reports.iter().map(|(y, _)| *y as f64).sum::<f64>() / nj_f;
    let v_noise = reports
        .iter()
        .map(|(_, s)| discrete_laplace_variance(*s))
        .sum::<f64>()
        / nj_f;
    let s_y2 = reports
        .iter()
        .map(|(y, _)| (*y as f64 - mean).powi(2))
        .sum::<f64>()
        / (nj_f - 1.0);
    let s_x2 = (s_y2 - v_noise).clamp(0.0, range * range / 4.0);
    let fpc = (1.0 - nj_f / n as f64).max(0.0);
    Some(MeanEstimate {
        estimate: mean,
        variance: v_noise / nj_f + s_x2 / nj_f * fpc,
        reporters: nj,
    })
}

/// Orders cohort labels: `all`, then kinds, Länder, size classes, kind x size.
fn cohort_rank(label: &str) -> (u8, String) {
    let rank = if label == "all" {
        0
    } else if label.contains(',') {
        4
    } else if label.starts_with("kind=") {
        1
    } else if label.starts_with("state=") {
        2
    } else {
        3
    };
    (rank, label.to_string())
}

/// Computes every cell of a publication. Cohorts appear when they have at least one contributor;
/// cells with fewer than `params.min_cohort` contributors are suppressed.
pub fn compute_cells(
    params: &pb::RoundParams,
    contributions: &[Contribution],
    catalogue: &Catalogue,
) -> Vec<pb::Cell> {
    let k = params.min_cohort as usize;
    let mut cohorts: BTreeMap<(u8, String), Vec<&Contribution>> = BTreeMap::new();
    for c in contributions {
        for label in c.attributes.cohorts() {
            cohorts.entry(cohort_rank(&label)).or_default().push(c);
        }
    }
    let metric_ids: Vec<&str> = params.metrics.iter().map(|m| m.id.as_str()).collect();
    let derived: Vec<_> = catalogue
        .derived
        .iter()
        .filter(|d| d.sum_of.iter().all(|id| metric_ids.contains(&id.as_str())))
        .collect();
    let mut cells = Vec::new();
    for ((_, cohort), members) in &cohorts {
        let n = members.len();
        let mut per_metric: BTreeMap<&str, Option<MeanEstimate>> = BTreeMap::new();
        for spec in &params.metrics {
            let reports: Vec<(i64, f64)> = members
                .iter()
                .flat_map(|c| c.releases.iter())
                .filter(|r| r.metric == spec.id)
                .map(|r| (r.value, r.scale))
                .collect();
            let est = estimate_mean(&reports, n, (spec.upper - spec.lower) as f64);
            per_metric.insert(spec.id.as_str(), est);
            cells.push(cell(cohort, &spec.id, n, k, est, reports.len()));
        }
        for d in &derived {
            let parts: Option<Vec<MeanEstimate>> = d
                .sum_of
                .iter()
                .map(|id| per_metric.get(id.as_str()).copied().flatten())
                .collect();
            let est = parts.map(|p| MeanEstimate {
                estimate: p.iter().map(|e| e.estimate).sum(),
                variance: p.iter().map(|e| e.variance).sum(),
                reporters: n,
            });
            cells.push(cell(cohort, &d.id, n, k, est, n));
        }
    }
    cells
}

fn cell(
    cohort: &str,
    metric: &str,
    n: usize,
    k: usize,
    est: Option<MeanEstimate>,
    reporters: usize,
) -> pb::Cell {
    let mut c = pb::Cell {
        cohort: cohort.to_string(),
        metric: metric.to_string(),
        n: n as u32,
        reporters: reporters as u32,
        ..Default::default()
    };
    if n < k {
        c.suppressed = true;
        c.suppression = pb::Suppression::BelowMinCohort as i32;
        c.suppression_reason = format!("n < k ({n} < {k})");
        return c;
    }
    match est {
        Some(e) => {
            let half = Z95 * e.variance.sqrt();
            c.estimate = e.estimate;
            c.ci_low = e.estimate - half;
            c.ci_high = e.estimate + half;
        }
        None => {
            c.suppressed = true;
            c.suppression = pb::Suppression::TooFewReports as i32;
            c.suppression_reason = format!("fewer than 2 reports ({reporters})");
        }
    }
    c
}

/// The distinct cohort labels of a set of attributes (for truth files and tests).
pub fn cohort_labels<'a, I: IntoIterator<Item = &'a CohortAttributes>>(
    attrs: I,
) -> BTreeSet<String> {
    attrs.into_iter().flat_map(|a| a.cohorts()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn variance_matches_the_distribution() {
        // Numerically sum k^2 P(k) for scale 3 and compare with the closed form.
        let s: f64 = 3.0;
        let a = (-1.0 / s).exp();
        let norm = (1.0 - a) / (1.0 + a);
        let var: f64 = (-400i64..=400)
            .map(|k| (k * k) as f64 * norm * a.powi(k.abs() as i32))
            .sum();
        assert!((var - discrete_laplace_variance(s)).abs() < 1e-9, "{var}");
        // Large scales approach the continuous 2 s^2.
        let big = discrete_laplace_variance(100.0);
        assert!((big / (2.0 * 100.0 * 100.0) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn estimate_without_noise_or_sampling_is_exact() {
        let reports = [(1, 0.0), (3, 0.0), (5, 0.0)];
        let e = estimate_mean(&reports, 3, 4.0).unwrap();
        assert_eq!(e.estimate, 3.0);
        assert_eq!(e.variance, 0.0);
        assert!(estimate_mean(&reports[..1], 3, 4.0).is_none());
    }

    proptest! {
        #[test]
        fn variance_is_non_negative_and_shrinks_with_reports(
            values in proptest::collection::vec(-20i64..25, 2..200), scale in 0.5f64..20.0
        ) {
            let reports: Vec<(i64, f64)> = values.iter().map(|v| (*v, scale)).collect();
            let n = reports.len() * 2;
            let e = estimate_mean(&reports, n, 4.0).unwrap();
            prop_assert!(e.variance >= discrete_laplace_variance(scale) / reports.len() as f64 - 1e-12);
            prop_assert!(e.variance.is_finite());
        }
    }
}
