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
use sovbench_core::vocab::Stage;

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

/// The roll-back rate of a migration path: rolled back / (rolled back + completed + rollout),
/// among the administrations that went beyond the pilot. A ratio of two unbiased share
/// estimates ā / b̄ (consistent, not exactly unbiased); its variance by linearisation,
/// `var(R) ≈ S²(a_i − R b_i) / (n_j b̄²)` with a_i, b_i the per-report unbiased values of the
/// numerator and the denominator.
///
/// The ratio is only published when it means something: the denominator must be clearly
/// positive (b̄ at least 1 / [`ROLLBACK_MAX_CV`] = 3.92 of its own standard errors, so that the
/// linearisation holds) and the estimate must lie in [0, 1]; otherwise the cell is suppressed as
/// too imprecise. The sample variance S² is never taken below the noise variance that the
/// mechanism alone gives every report (a few reports with identical categories have S² = 0, which
/// would publish a zero-width interval), and the interval is clipped to [0, 1].
fn rollback_cell(
    cohort: &str,
    spec: &pb::MetricSpec,
    releases: &[&pb::Release],
    n: usize,
    k: usize,
    catalogue: &Catalogue,
) -> pb::Cell {
    let id = CellId::RollbackRate(spec.id.clone()).to_string();
    let stage_index = |stage: Stage| spec.categories.iter().position(|c| c == stage.key());
    let (rb, done, rollout) = (
        stage_index(Stage::Zurueckgerollt),
        stage_index(Stage::Abgeschlossen),
        stage_index(Stage::Rollout),
    );
    let pairs: Vec<(f64, f64)> = releases
        .iter()
        .map(|r| {
            let reps = reports_of(spec, 1.0, r);
            let val = |stage: Stage| {
                reps.iter()
                    .find(|(c, _)| c.category() == Some(stage.key()))
                    .map_or(0.0, |(_, rep)| rep.value)
            };
            let a = val(Stage::Zurueckgerollt);
            (a, a + val(Stage::Abgeschlossen) + val(Stage::Rollout))
        })
        .collect();
    let nj = pairs.len();
    let limit = catalogue.max_half_width(&id);
    let unit = (0.0, 1.0);
    if nj < 2 {
        return cell(cohort, &id, n, k, None, nj, limit, unit);
    }
    let nj_f = nj as f64;
    let a_bar = pairs.iter().map(|p| p.0).sum::<f64>() / nj_f;
    let b_bar = pairs.iter().map(|p| p.1).sum::<f64>() / nj_f;
    // The mechanism's probabilities (mean over the reports; every report of a round has the
    // round's epsilon).
    let p = releases.iter().map(|r| r.probability).sum::<f64>() / nj_f;
    let kf = spec.categories.len() as f64;
    let q = (1.0 - p) / (kf - 1.0);
    let d = p - q;
    // Noise floors: the smallest variance, over all true categories, of a weighted indicator
    // w(C) of the reported category C (P(C = t) = p, every other category q), divided by d².
    let noise_floor = |w: &dyn Fn(usize) -> f64| {
        (0..spec.categories.len())
            .map(|t| {
                let prob = |j: usize| if j == t { p } else { q };
                let m1: f64 = (0..spec.categories.len()).map(|j| prob(j) * w(j)).sum();
                let m2: f64 = (0..spec.categories.len())
                    .map(|j| prob(j) * w(j) * w(j))
                    .sum();
                (m2 - m1 * m1).max(0.0)
            })
            .fold(f64::INFINITY, f64::min)
            / (d * d)
    };
    let in_denominator = |j: usize| [rb, done, rollout].contains(&Some(j));
    let s2_b = pairs.iter().map(|(_, b)| (b - b_bar).powi(2)).sum::<f64>() / (nj_f - 1.0);
    let var_b = s2_b.max(noise_floor(&|j| if in_denominator(j) { 1.0 } else { 0.0 })) / nj_f;
    let suppressed = |reason: String| {
        let mut c = cell(cohort, &id, n, k, None, nj, limit, unit);
        if c.suppression != pb::Suppression::BelowMinCohort as i32 {
            c.suppression = pb::Suppression::TooImprecise as i32;
            c.suppression_reason = reason;
        }
        c
    };
    if d.is_nan() || d <= 0.0 || b_bar < var_b.sqrt() / ROLLBACK_MAX_CV {
        // Nobody (measurably) beyond the pilot: no rate to speak of.
        return suppressed(format!(
            "too few reports beyond the pilot for a rate (estimated share {b_bar:.3}, standard \
             error {:.3})",
            var_b.sqrt()
        ));
    }
    let r = a_bar / b_bar;
    if !(0.0..=1.0).contains(&r) {
        return suppressed(format!(
            "the rate's estimate {r:.3} lies outside [0, 1]: too few reports beyond the pilot"
        ));
    }
    let s2 = pairs.iter().map(|(a, b)| (a - r * b).powi(2)).sum::<f64>() / (nj_f - 1.0);
    let floor = noise_floor(&|j| {
        if Some(j) == rb {
            1.0 - r
        } else if in_denominator(j) {
            -r
        } else {
            0.0
        }
    });
    let est = MeanEstimate {
        estimate: r,
        variance: s2.max(floor) / (nj_f * b_bar * b_bar),
        reporters: nj,
    };
    let mut c = cell(cohort, &id, n, k, Some(est), nj, limit, unit);
    if !c.suppressed {
        c.ci_low = c.ci_low.max(0.0);
        c.ci_high = c.ci_high.min(1.0);
    }
    c
}

/// Largest coefficient of variation of the roll-back rate's denominator (its standard error over
/// its estimate) at which the rate is published: 1 / (2 · 1.96), i.e. the denominator's own 95%
/// interval stays within half of its estimate, where the linearised variance is adequate.
pub const ROLLBACK_MAX_CV: f64 = 1.0 / (2.0 * Z95);

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

#[cfg(test)]
mod tests;
