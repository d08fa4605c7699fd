//! From the decrypted noisy sums of the announced cells to the published cells: estimates of
//! every cohort that is a union of announced cells ([`crate::grid::derivable`]), with 95%
//! intervals from the exact distribution of the noise, and suppression of the others.
//!
//! Per cohort with n ≥ k that is a union of announced kind × size cells, the noisy sums S of
//! those cells are added per component and turned into the direct mode's estimates:
//!
//! | metric type | estimate | unit of one plaintext step |
//! |---|---|---|
//! | bounded integer [a, b] | a + S / n | 1 / n |
//! | share on the grid g = b − a | S / (n g) | 1 / (n g) |
//! | yes / no | S / n | 1 / n |
//! | category, set of items | per option S_j / n, cell `<id>=<key>` | 1 / n |
//!
//! The noise of one announced cell is the sum of `noise_shares` trustee shares, each
//! Pólya(1/h, α) − Pólya(1/h, α) with α = e^(−1/scale); over j cells of one scale it is X − Y
//! with X, Y ~ Pólya(j · noise_shares / h, α). The 95% interval is the estimate ± q · unit with q
//! the smallest integer such that P(|X − Y| ≤ q) ≥ 0.95 ([`crate::noise::half_width`]): exact,
//! not a normal approximation. A derived metric (the self-test total) is the sum of its
//! components; its noise is again such a difference (shape times the number of components) when
//! all components have the same unit, else its interval is normal with the summed variances.
//!
//! Grid `all+kind-size`: the cohort `all` has two independent estimates, the directly decrypted
//! cell `all` and the sum of the kind × size cells. They are combined with inverse-variance
//! weights w_i = 1 / Var_i (the variances of the two noise distributions, exact), the combined
//! variance is 1 / (w_1 + w_2), and the interval is normal, ± 1.96 σ (the mixture of the two
//! discrete distributions has no convenient closed form; with both noises symmetric and of many
//! shares the normal interval is close, checked by the coverage tests).
//!
//! Suppression, in the direct mode's order and with its texts: fewer than k contributors
//! (BELOW_MIN_COHORT, n and reporters 0); a cohort that is not a union of announced cells
//! (NOT_IN_GRID: a Land, or a size class whose small cells were merged with other size classes);
//! an estimate more than two half-widths outside the possible range (IMPLAUSIBLE); a half-width
//! above the metric's usefulness limit (TOO_IMPRECISE). Intervals are not clipped to the range in
//! the cells (as in mode direct: the text output clips, the export keeps them unchanged). A
//! suppressed cell names the nearest coarser cohort in which the metric is published. The
//! roll-back rate of a path metric is the ratio of its noisy stage sums ([`ratio`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sovbench_core::catalogue::{Catalogue, MetricDef, ValueType};
use sovbench_core::cell::Cohort;
use sovbench_core::pb;

use crate::grid::{self, ALL};
use crate::noise;
use crate::round::{is_path, Grid, SecureRound};
use sovbench_core::cell::CellId;
use sovbench_core::vocab::Stage;

mod estimate;
use estimate::{Est, Noise, QuantileCache};
mod ratio;

#[cfg(test)]
mod tests;

/// Nominal coverage of the intervals.
pub const CONFIDENCE: f64 = 0.95;

/// z-value of a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// How many half-widths beyond the possible range an estimate may lie before it is suppressed as
/// implausible (as in mode direct).
pub const PLAUSIBLE_HALF_WIDTHS: f64 = 2.0;

/// What the trustees' decryption gave.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// Noisy sums, announced cells × components (the plaintext grid: value − lower bound).
    pub sums: Vec<i64>,
    /// How many trustees' noise shares are in every sum.
    pub noise_shares: usize,
}

/// The published cells of a secure round. `cohorts` holds every cohort (all five kinds of
/// cohort labels, as in mode direct) of the round's contributors with its number of
/// contributors.
pub fn cells(
    round: &SecureRound,
    announced: &[pb::AnnouncedCell],
    cohorts: &BTreeMap<Cohort, u32>,
    decrypted: &Decrypted,
    catalogue: &Catalogue,
) -> Vec<pb::Cell> {
    let k = round.min_cohort;
    let widths = round.components();
    let width: usize = widths.iter().sum();
    let offsets: Vec<usize> = widths
        .iter()
        .scan(0, |acc, w| {
            let o = *acc;
            *acc += w;
            Some(o)
        })
        .collect();
    let metric_ids: Vec<&str> = round.metrics.iter().map(|m| m.id.as_str()).collect();
    let derived: Vec<_> = catalogue
        .derived
        .iter()
        .filter(|d| d.sum_of.iter().all(|id| metric_ids.contains(&id.as_str())))
        .collect();
    let sum_ok = announced.len() * width == decrypted.sums.len();
    let mut cache = QuantileCache::default();
    let mut ordered: Vec<(&Cohort, u32)> = cohorts.iter().map(|(c, n)| (c, *n)).collect();
    ordered.sort_by_key(|(c, _)| (c.rank(), c.to_string()));
    let mut out: Vec<(Cohort, pb::Cell)> = Vec::new();
    for (cohort, n) in ordered {
        let label = cohort.to_string();
        let base = pb::Cell {
            cohort: label.clone(),
            n,
            ..Default::default()
        };
        let inside = if n < k || !sum_ok {
            None
        } else {
            grid::derivable(announced, cohort)
        };
        // The estimate of every component of the cohort, or why there is none.
        let status = match (n < k, &inside) {
            (true, _) => Status::BelowK,
            (false, None) => Status::NotInGrid,
            (false, Some(idx)) => Status::Sums(idx.clone()),
        };
        let mut per_metric: HashMap<&str, Est> = HashMap::new();
        let mut reporters_of: u32 = 0;
        for (m, def) in round.metrics.iter().enumerate() {
            // Stage estimates of a path metric, for its roll-back rate.
            let mut stages: HashMap<&str, Est> = HashMap::new();
            let keys = round.released_keys(def);
            for (c, cell_id) in round.cell_ids(def).into_iter().enumerate() {
                let mut cell = pb::Cell {
                    metric: cell_id.clone(),
                    ..base.clone()
                };
                match &status {
                    Status::BelowK => below_k(&mut cell, k),
                    Status::NotInGrid => not_in_grid(&mut cell),
                    Status::Sums(idx) => {
                        let comp = offsets[m] + c;
                        let (n_sum, est) =
                            component(round, announced, decrypted, idx, cohort, width, comp, def);
                        reporters_of = n_sum;
                        cell.reporters = n_sum;
                        if round.cell_ids(def).len() == 1 {
                            per_metric.insert(def.id.as_str(), est);
                        }
                        if let Some(key) = keys.get(c) {
                            stages.insert(key, est);
                        }
                        publish(&mut cell, est, catalogue, &mut cache);
                    }
                }
                out.push((cohort.clone(), cell));
            }
            if is_path(def) {
                let mut cell = pb::Cell {
                    metric: CellId::RollbackRate(def.id.clone()).to_string(),
                    ..base.clone()
                };
                match &status {
                    Status::BelowK => below_k(&mut cell, k),
                    Status::NotInGrid => not_in_grid(&mut cell),
                    Status::Sums(_) => {
                        cell.reporters = reporters_of;
                        let get = |s: Stage| stages.get(s.key()).copied();
                        match (
                            get(Stage::Zurueckgerollt),
                            get(Stage::Abgeschlossen),
                            get(Stage::Rollout),
                        ) {
                            (Some(a), Some(done), Some(rollout)) => {
                                ratio::rollback(&mut cell, a, &[done, rollout], catalogue)
                            }
                            _ => not_in_grid(&mut cell),
                        }
                    }
                }
                out.push((cohort.clone(), cell));
            }
        }
        for d in &derived {
            let mut cell = pb::Cell {
                metric: d.id.clone(),
                ..base.clone()
            };
            match &status {
                Status::BelowK => below_k(&mut cell, k),
                Status::NotInGrid => not_in_grid(&mut cell),
                Status::Sums(_) => {
                    let parts: Option<Vec<Est>> = d
                        .sum_of
                        .iter()
                        .map(|id| per_metric.get(id.as_str()).copied())
                        .collect();
                    match parts {
                        Some(parts) => {
                            cell.reporters = reporters_of;
                            publish(&mut cell, Est::sum(&parts), catalogue, &mut cache);
                        }
                        None => not_in_grid(&mut cell),
                    }
                }
            }
            out.push((cohort.clone(), cell));
        }
    }
    add_fallbacks(&mut out);
    out.into_iter().map(|(_, c)| c).collect()
}

enum Status {
    BelowK,
    NotInGrid,
    Sums(Vec<usize>),
}

/// The estimate of component `comp` (of metric `def`) in the cohort made of the announced cells
/// `idx`; with the number of administrations in them.
#[allow(clippy::too_many_arguments)]
fn component(
    round: &SecureRound,
    announced: &[pb::AnnouncedCell],
    decrypted: &Decrypted,
    idx: &[usize],
    cohort: &Cohort,
    width: usize,
    comp: usize,
    def: &MetricDef,
) -> (u32, Est) {
    let h = round.honest() as f64;
    let shares = decrypted.noise_shares as f64;
    let n: u32 = idx.iter().map(|&i| announced[i].n).sum();
    let unit = match def.value_type {
        ValueType::BoundedShare => (def.upper - def.lower).max(1) as f64,
        _ => 1.0,
    };
    let lower = match def.value_type {
        ValueType::BoundedInteger => def.lower as f64,
        _ => 0.0,
    };
    let divisor = f64::from(n.max(1)) * unit;
    // Cells of one scale add up to one Pólya difference; cells of several scales (not made by
    // `grid::announce`) get a normal interval with the summed variances.
    let mut by_scale: BTreeMap<u64, usize> = BTreeMap::new();
    let mut sum = 0i64;
    for &i in idx {
        sum += decrypted.sums[i * width + comp];
        *by_scale.entry(announced[i].scale.to_bits()).or_default() += 1;
    }
    let noise_of = |scale: f64, cells: usize| -> Noise {
        if scale <= 0.0 || shares == 0.0 {
            return Noise::None;
        }
        Noise::Exact {
            shape: cells as f64 * shares / h,
            alpha: (-1.0 / scale).exp(),
            divisor,
        }
    };
    let noise = if by_scale.len() == 1 {
        let (&bits, &cells) = by_scale.iter().next().unwrap_or((&0, &0));
        noise_of(f64::from_bits(bits), cells)
    } else {
        Noise::Normal {
            variance: by_scale
                .iter()
                .map(|(&b, &c)| noise_of(f64::from_bits(b), c).variance())
                .sum(),
        }
    };
    let summed = Est {
        value: lower + sum as f64 / divisor,
        noise,
    };
    // Grid all+kind-size: the direct cell `all` joins by inverse-variance weights.
    let direct = (round.grid == Grid::AllKindSize && *cohort == Cohort::All)
        .then(|| announced.iter().position(|c| c.cell == ALL))
        .flatten();
    let Some(a) = direct else {
        return (n, summed);
    };
    let cell = &announced[a];
    let d_div = f64::from(cell.n.max(1)) * unit;
    let direct = Est {
        value: lower + decrypted.sums[a * width + comp] as f64 / d_div,
        noise: match noise_of(cell.scale, 1) {
            Noise::Exact { shape, alpha, .. } => Noise::Exact {
                shape,
                alpha,
                divisor: d_div,
            },
            other => other,
        },
    };
    (n, Est::combine(direct, summed))
}

fn below_k(c: &mut pb::Cell, k: u32) {
    // Below k not even the number of contributors is published.
    c.n = 0;
    c.reporters = 0;
    c.suppressed = true;
    c.suppression = pb::Suppression::BelowMinCohort as i32;
    c.suppression_reason = format!("fewer than k = {k} contributors");
}

fn not_in_grid(c: &mut pb::Cell) {
    c.suppressed = true;
    c.suppression = pb::Suppression::NotInGrid as i32;
    c.suppression_reason =
        "the cohort is not a union of the cells the trustees decrypted (publication grid)".into();
}

/// Whether an estimate with this half-width is plausible for a value in `[lo, hi]`.
pub fn plausible(estimate: f64, half_width: f64, (lo, hi): (f64, f64)) -> bool {
    let slack = PLAUSIBLE_HALF_WIDTHS * half_width;
    estimate.is_finite() && estimate >= lo - slack && estimate <= hi + slack
}

fn publish(c: &mut pb::Cell, e: Est, catalogue: &Catalogue, cache: &mut QuantileCache) {
    let range = catalogue.range(&c.metric);
    let max_half_width = catalogue.max_half_width(&c.metric);
    let half = e.half_width(cache);
    if !plausible(e.value, half, range) {
        c.suppressed = true;
        c.suppression = pb::Suppression::Implausible as i32;
        c.suppression_reason = format!(
            "estimate {:.3} lies more than {PLAUSIBLE_HALF_WIDTHS} half-widths ({:.3}) outside \
             the possible range [{}, {}]",
            e.value, half, range.0, range.1
        );
    } else if half <= max_half_width {
        c.estimate = e.value;
        c.ci_low = e.value - half;
        c.ci_high = e.value + half;
    } else {
        c.suppressed = true;
        c.suppression = pb::Suppression::TooImprecise as i32;
        c.suppression_reason =
            format!("95% half-width {half:.2} exceeds the usefulness limit {max_half_width}");
    }
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

/// The 95% half-width of a noisy sum over `cells` announced cells of one `scale`, each carrying
/// `noise_shares` trustee shares, in plaintext units (divide by n × unit for the estimate).
pub fn sum_half_width(
    round: &SecureRound,
    scale: f64,
    cells: usize,
    noise_shares: usize,
) -> Result<u64, crate::SecureError> {
    let shape = cells as f64 * noise_shares as f64 / round.honest() as f64;
    noise::half_width(shape, (-1.0 / scale).exp(), CONFIDENCE)
}
