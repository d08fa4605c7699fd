//! Estimators: from the noisy values of a closed round to published cells with 95% confidence
//! intervals, computed from the parameters the mechanisms actually used (carried in every
//! release).
//!
//! Every mechanism is turned into per-report **unbiased values** with a known **noise variance**:
//!
//! | mechanism | report | unbiased value | noise variance given the truth x |
//! |---|---|---|---|
//! | discrete Laplace, scale s, grid g | noisy integer y | y / g | `2a / (1 - a)^2 / g^2`, `a = e^(-1/s)` |
//! | boolean RR, truth kept with p | bit r | `(r - (1 - p)) / (2p - 1)` | `p (1 - p) / (2p - 1)^2` |
//! | k-ary RR, truth kept with p, q = (1 - p)/(k - 1) | category c; per category j the indicator r_j | `(r_j - q) / (p - q)` | x = 1: `p (1 - p) / (p - q)^2`, x = 0: `q (1 - q) / (p - q)^2` |
//! | bit vector, each bit flipped with f/2 | bit b_j per item | `(b_j - f/2) / (1 - f)` | `(f/2)(1 - f/2) / (1 - f)^2` |
//!
//! For a cohort with n contributors, of whom n_j reported a metric (metric sampling), the estimate
//! of the cohort mean is the mean of the unbiased values: unbiased, because each value is unbiased
//! given the truth and the reporters are a uniform random subset chosen independently of the
//! data. Its variance is `v_noise / n_j + s^2 / n_j * (1 - n_j / n)`: `v_noise` is the mean noise
//! variance of the reports (for k-ary RR evaluated at the estimated share, clamped to [0, 1]), and
//! `s^2` the variance of the true values, estimated as the sample variance of the unbiased values
//! minus `v_noise`, clamped to `[0, range^2 / 4]`; the second term is the random choice of
//! reporters and vanishes when everyone reports. The 95% interval is the estimate ± 1.96
//! standard errors. A derived metric (the self-test total) is the sum of its components'
//! estimates with the sum of their variances.
//!
//! Suppression, in this order: fewer than k contributors in the cohort; fewer than two reports;
//! an estimate more than two half-widths outside the metric's possible range (implausible: no
//! honest set of releases produces it, see [`plausible`]); a 95% half-width above the metric's
//! usefulness limit from the catalogue. The roll-back rate (a ratio) is also suppressed when its
//! denominator is not clearly positive or the ratio falls outside [0, 1] ([`rollback_cell`]). A suppressed cell
//! names the nearest coarser cohort in which the same metric is published
//! (`kind=…,size=…` → `size=…` → `kind=…` → `all`; `kind=…`, `state=…`, `size=…` → `all`).

use std::collections::{BTreeMap, BTreeSet};

use sovbench_core::catalogue::{Catalogue, MechanismKind};
use sovbench_core::cell::{CellId, Cohort};
use sovbench_core::cohort::CohortAttributes;
use sovbench_core::paths::path_by_id;
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

/// One report turned into an unbiased value with its noise variance (which may depend on whether
/// the truth is 0 or 1 for share cells).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// Unbiased value.
    pub value: f64,
    /// Noise variance when the truth is 0 (or for any truth, for numeric metrics).
    pub var0: f64,
    /// Noise variance when the truth is 1.
    pub var1: f64,
}

impl Report {
    fn numeric(value: f64, var: f64) -> Report {
        Report {
            value,
            var0: var,
            var1: var,
        }
    }
}

/// Turns one release into reports per cell (`metric` or `metric=category`).
pub fn reports_of(spec: &pb::MetricSpec, grid: f64, r: &pb::Release) -> Vec<(CellId, Report)> {
    let share = |category: &str| CellId::Category {
        metric: spec.id.clone(),
        category: category.to_string(),
    };
    match MechanismKind::from_pb(r.mechanism) {
        Some(MechanismKind::DiscreteLaplace) => vec![(
            CellId::Metric(spec.id.clone()),
            Report::numeric(
                r.value as f64 / grid,
                discrete_laplace_variance(r.scale) / (grid * grid),
            ),
        )],
        Some(MechanismKind::RandomizedResponseBool) => {
            let p = r.probability;
            let d = 2.0 * p - 1.0;
            vec![(
                CellId::Metric(spec.id.clone()),
                Report::numeric((r.value as f64 - (1.0 - p)) / d, p * (1.0 - p) / (d * d)),
            )]
        }
        Some(MechanismKind::RandomizedResponse) => {
            let k = spec.categories.len() as f64;
            let p = r.probability;
            let q = (1.0 - p) / (k - 1.0);
            let d = p - q;
            spec.categories
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let ind = if r.value == j as i64 { 1.0 } else { 0.0 };
                    (
                        share(c),
                        Report {
                            value: (ind - q) / d,
                            var0: q * (1.0 - q) / (d * d),
                            var1: p * (1.0 - p) / (d * d),
                        },
                    )
                })
                .collect()
        }
        Some(MechanismKind::RandomizedResponseBitvec) => {
            let f = r.probability;
            let flip = f / 2.0;
            let d = 1.0 - f;
            spec.categories
                .iter()
                .zip(&r.bits)
                .map(|(c, b)| {
                    let bit = if *b { 1.0 } else { 0.0 };
                    (
                        share(c),
                        Report::numeric((bit - flip) / d, flip * (1.0 - flip) / (d * d)),
                    )
                })
                .collect()
        }
        None => Vec::new(),
    }
}

/// Estimate and variance of one cell in one cohort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanEstimate {
    /// Unbiased estimate of the cohort mean.
    pub estimate: f64,
    /// Estimated variance of the estimate.
    pub variance: f64,
    /// Number of reports used.
    pub reporters: usize,
}

impl MeanEstimate {
    /// Half-width of the 95% interval.
    pub fn half_width(&self) -> f64 {
        Z95 * self.variance.sqrt()
    }
}

/// Estimates a cohort mean from reports; `n` is the number of contributors in the cohort and
/// `range` the width of the possible values. `None` with fewer than two reports.
pub fn estimate_mean(reports: &[Report], n: usize, range: f64) -> Option<MeanEstimate> {
    let nj = reports.len();
    if nj < 2 || n == 0 {
        return None;
    }
    let nj_f = nj as f64;
    let mean = reports.iter().map(|r| r.value).sum::<f64>() / nj_f;
    let share = mean.clamp(0.0, 1.0);
    let v_noise = reports
        .iter()
        .map(|r| r.var0 + (r.var1 - r.var0) * share)
        .sum::<f64>()
        / nj_f;
    let s_y2 = reports
        .iter()
        .map(|r| (r.value - mean).powi(2))
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

/// Computes every cell of a publication. Cohorts appear when they have at least one contributor,
/// in the order `all`, kinds, Länder, size classes, kind × size, each group by its label.
pub fn compute_cells(
    params: &pb::RoundParams,
    contributions: &[Contribution],
    catalogue: &Catalogue,
) -> Vec<pb::Cell> {
    let k = params.min_cohort as usize;
    let mut cohorts: BTreeMap<(u8, String), (Cohort, Vec<&Contribution>)> = BTreeMap::new();
    for c in contributions {
        for cohort in Cohort::of(&c.attributes) {
            cohorts
                .entry((cohort.rank(), cohort.to_string()))
                .or_insert_with(|| (cohort, Vec::new()))
                .1
                .push(c);
        }
    }
    let metric_ids: Vec<&str> = params.metrics.iter().map(|m| m.id.as_str()).collect();
    let derived: Vec<_> = catalogue
        .derived
        .iter()
        .filter(|d| d.sum_of.iter().all(|id| metric_ids.contains(&id.as_str())))
        .collect();
    let mut cells: Vec<(Cohort, pb::Cell)> = Vec::new();
    for ((_, label), (cohort, members)) in &cohorts {
        let n = members.len();
        let cohort_cell = |cell: pb::Cell| (cohort.clone(), cell);
        let mut per_cell: BTreeMap<String, Option<MeanEstimate>> = BTreeMap::new();
        let mut per_cell_reporters: BTreeMap<String, usize> = BTreeMap::new();
        for spec in &params.metrics {
            let grid = catalogue.metric(&spec.id).map_or(1, |d| d.grid.max(1)) as f64;
            let mut reports: BTreeMap<String, Vec<Report>> = BTreeMap::new();
            for release in members
                .iter()
                .flat_map(|c| c.releases.iter())
                .filter(|r| r.metric == spec.id)
            {
                for (cell_id, rep) in reports_of(spec, grid, release) {
                    reports.entry(cell_id.to_string()).or_default().push(rep);
                }
            }
            if path_by_id(&spec.id).is_some() {
                let releases: Vec<&pb::Release> = members
                    .iter()
                    .flat_map(|c| c.releases.iter())
                    .filter(|r| r.metric == spec.id)
                    .collect();
                cells.push(cohort_cell(rollback_cell(
                    label, spec, &releases, n, k, catalogue,
                )));
            }
            let cell_ids = match catalogue.metric(&spec.id) {
                Some(def) => def.cell_ids(),
                None => vec![spec.id.clone()],
            };
            for cell_id in cell_ids {
                let reps = reports.remove(&cell_id).unwrap_or_default();
                let (lo, hi) = catalogue.range(&cell_id);
                let est = estimate_mean(&reps, n, hi - lo);
                per_cell.insert(cell_id.clone(), est);
                per_cell_reporters.insert(cell_id.clone(), reps.len());
                cells.push(cohort_cell(cell(
                    label,
                    &cell_id,
                    n,
                    k,
                    est,
                    reps.len(),
                    catalogue.max_half_width(&cell_id),
                    (lo, hi),
                )));
            }
        }
        for d in &derived {
            let parts: Option<Vec<MeanEstimate>> = d
                .sum_of
                .iter()
                .map(|id| per_cell.get(id.as_str()).copied().flatten())
                .collect();
            let est = parts.map(|p| MeanEstimate {
                estimate: p.iter().map(|e| e.estimate).sum(),
                variance: p.iter().map(|e| e.variance).sum(),
                reporters: p.iter().map(|e| e.reporters).min().unwrap_or(0),
            });
            // Reporters of a sum: the fewest reports of any of its components.
            let reporters = d
                .sum_of
                .iter()
                .map(|id| per_cell_reporters.get(id.as_str()).copied().unwrap_or(0))
                .min()
                .unwrap_or(0);
            cells.push(cohort_cell(cell(
                label,
                &d.id,
                n,
                k,
                est,
                reporters,
                d.max_half_width,
                catalogue.range(&d.id),
            )));
        }
    }
    add_fallbacks(&mut cells);
    cells.into_iter().map(|(_, cell)| cell).collect()
}

/// Names, in every suppressed cell, the nearest coarser cohort in which the same metric is
/// published.
fn add_fallbacks(cells: &mut [(Cohort, pb::Cell)]) {
    let published: BTreeSet<(Cohort, String)> = cells
        .iter()
        .filter(|(_, c)| !c.suppressed)
        .map(|(cohort, c)| (cohort.clone(), c.metric.clone()))
        .collect();
    for (cohort, c) in cells.iter_mut().filter(|(_, c)| c.suppressed) {
        if let Some(f) = cohort
            .fallbacks()
            .into_iter()
            .find(|f| published.contains(&(f.clone(), c.metric.clone())))
        {
            c.fallback_cohort = f.to_string();
        }
    }
}

/// How many half-widths beyond the possible range an estimate may lie before it is suppressed as
/// implausible: 2 half-widths are 3.92 standard errors, which an honest estimate of a truth on the
/// boundary of the range exceeds with probability 4.4 · 10^-5 (normal approximation).
pub const PLAUSIBLE_HALF_WIDTHS: f64 = 2.0;

/// Whether an estimate with this half-width is plausible for a value in `[lo, hi]`.
pub fn plausible(estimate: f64, half_width: f64, (lo, hi): (f64, f64)) -> bool {
    let slack = PLAUSIBLE_HALF_WIDTHS * half_width;
    estimate.is_finite() && estimate >= lo - slack && estimate <= hi + slack
}

/// The published (or suppressed) cell; `range` is the possible range of the cell's value.
#[allow(clippy::too_many_arguments)]
fn cell(
    cohort: &str,
    metric: &str,
    n: usize,
    k: usize,
    est: Option<MeanEstimate>,
    reporters: usize,
    max_half_width: f64,
    range: (f64, f64),
) -> pb::Cell {
    let mut c = pb::Cell {
        cohort: cohort.to_string(),
        metric: metric.to_string(),
        n: n as u32,
        reporters: reporters as u32,
        ..Default::default()
    };
    if n < k {
        // Below k not even the number of contributors is published.
        c.n = 0;
        c.reporters = 0;
        c.suppressed = true;
        c.suppression = pb::Suppression::BelowMinCohort as i32;
        c.suppression_reason = format!("fewer than k = {k} contributors");
        return c;
    }
    match est {
        // An estimate far outside the possible range is no estimate of the cohort: a release
        // beyond what its mechanism produces, or an interval too narrow for its data. No
        // interval may hide it.
        Some(e) if !plausible(e.estimate, e.half_width(), range) => {
            c.suppressed = true;
            c.suppression = pb::Suppression::Implausible as i32;
            c.suppression_reason = format!(
                "estimate {:.3} lies more than {PLAUSIBLE_HALF_WIDTHS} half-widths ({:.3}) outside \
                 the possible range [{}, {}]",
                e.estimate,
                e.half_width(),
                range.0,
                range.1
            );
        }
        Some(e) if e.half_width() <= max_half_width => {
            let half = e.half_width();
            c.estimate = e.estimate;
            c.ci_low = e.estimate - half;
            c.ci_high = e.estimate + half;
        }
        Some(e) => {
            c.suppressed = true;
            c.suppression = pb::Suppression::TooImprecise as i32;
            c.suppression_reason = format!(
                "95% half-width {:.2} exceeds the usefulness limit {max_half_width}",
                e.half_width()
            );
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
    attrs
        .into_iter()
        .flat_map(|a| Cohort::of(a).map(|c| c.to_string()))
        .collect()
}

mod ratio;
use ratio::rollback_cell;
pub use ratio::ROLLBACK_MAX_CV;

#[cfg(test)]
mod tests;
