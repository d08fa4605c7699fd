//! The utility table: how precise a published dimension mean is, against cohort size and the
//! yearly epsilon, simulated and in theory, and what the alternative budget split would give.
//!
//! Setting: one round a year spends the whole yearly epsilon; each administration releases one of
//! the five self-test dimensions, chosen uniformly at random, with the discrete Laplace mechanism
//! at scale `4 / epsilon` (sensitivity 4 on the 1-5 scale). The table reports the 95% half-width of
//! the cohort mean of one dimension (Datenhoheit):
//!
//! - simulated: the mean half-width the estimator publishes over many simulated rounds, with
//!   true scores from the seeded population and noise from a seeded sampler of OpenDP's discrete
//!   Laplace distribution;
//! - theory: `1.96 * sqrt(d (v + s^2 (1 - 1/d)) / n)` with d = 5 dimensions, v the noise variance
//!   and s^2 the population variance of the scores;
//! - split: the alternative of releasing all five dimensions at `epsilon / 5` each,
//!   `1.96 * sqrt(v(20 / epsilon) / n)`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sovbench_aggregator::estimate::{discrete_laplace_variance, estimate_mean, Report, Z95};
use sovbench_core::selftest::Dimension;

use crate::population::generate;

/// Cohort sizes of the table.
pub const SIZES: [usize; 5] = [10, 30, 100, 300, 1_000];
/// Yearly epsilons of the table.
pub const EPSILONS: [f64; 4] = [0.5, 1.0, 2.0, 4.0];

/// One cell of the table.
#[derive(Debug, Clone, Serialize)]
pub struct UtilityCell {
    /// Cohort size.
    pub n: usize,
    /// Yearly epsilon.
    pub epsilon: f64,
    /// Mean published 95% half-width over the simulated rounds.
    pub simulated: f64,
    /// Theoretical 95% half-width with dimension sampling.
    pub theory: f64,
    /// Theoretical 95% half-width when splitting epsilon over all five dimensions.
    pub split: f64,
    /// Share of simulated rounds whose interval covered the true mean.
    pub coverage: f64,
}

fn geometric(rng: &mut ChaCha8Rng, a: f64) -> i64 {
    let u: f64 = rng.gen::<f64>().max(f64::MIN_POSITIVE);
    (u.ln() / a.ln()).floor() as i64
}

/// A seeded draw from OpenDP's discrete Laplace distribution, P(k) ∝ exp(-|k| / scale).
pub fn discrete_laplace(rng: &mut ChaCha8Rng, scale: f64) -> i64 {
    let a = (-1.0 / scale).exp();
    geometric(rng, a) - geometric(rng, a)
}

/// Simulates the table with `rounds` rounds per cell.
pub fn utility_table(rounds: usize, seed: u64) -> Vec<UtilityCell> {
    let d = Dimension::ALL.len();
    let mut out = Vec::new();
    for &n in &SIZES {
        let pop = generate(n, seed);
        let truth: Vec<f64> = pop
            .iter()
            .map(|a| f64::from(a.assessment.score(Dimension::Datenhoheit)))
            .collect();
        let mean = truth.iter().sum::<f64>() / n as f64;
        let s2 = truth.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        for &eps in &EPSILONS {
            let scale = 4.0 / eps;
            let v = discrete_laplace_variance(scale);
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (n as u64) << 8 ^ (eps * 16.0) as u64);
            let mut widths = 0.0;
            let mut counted = 0usize;
            let mut covered = 0usize;
            for _ in 0..rounds {
                let mut reports: Vec<Report> = Vec::new();
                for x in &truth {
                    // Each administration reports this dimension with probability 1/d.
                    if rng.gen_range(0..d) == 0 {
                        let noisy = x + discrete_laplace(&mut rng, scale) as f64;
                        reports.push(Report {
                            value: noisy,
                            var0: v,
                            var1: v,
                        });
                    }
                }
                if let Some(e) = estimate_mean(&reports, n, 4.0) {
                    widths += e.half_width();
                    counted += 1;
                    if (e.estimate - mean).abs() <= e.half_width() {
                        covered += 1;
                    }
                }
            }
            let theory = Z95 * (d as f64 * (v + s2 * (1.0 - 1.0 / d as f64)) / n as f64).sqrt();
            let split = Z95 * (discrete_laplace_variance(4.0 * d as f64 / eps) / n as f64).sqrt();
            out.push(UtilityCell {
                n,
                epsilon: eps,
                simulated: if counted > 0 {
                    widths / counted as f64
                } else {
                    f64::NAN
                },
                theory,
                split,
                coverage: if counted > 0 {
                    covered as f64 / counted as f64
                } else {
                    f64::NAN
                },
            });
        }
    }
    out
}

/// One cell of the secure-mode columns: the 95% half-width of a dimension mean of a cohort that
/// is one kind × size cell of n administrations (grid `kind-size`, the five self-test dimensions
/// in one submission, sensitivity 20), 3 of 5 trustees.
#[derive(Debug, Clone, Serialize)]
pub struct SecureCell {
    /// Cohort size.
    pub n: usize,
    /// Epsilon of the round (the whole submission).
    pub epsilon: f64,
    /// Exact 95% half-width with all five trustees' noise shares.
    pub secure: f64,
    /// Exact 95% half-width of a trusted curator adding one discrete Laplace draw of the same
    /// scale to the same sum.
    pub curator: f64,
    /// Share of simulated rounds whose interval covered the true mean.
    pub coverage: f64,
}

/// Trustees and threshold of the secure columns.
pub const COMMITTEE: (usize, usize) = (5, 3);

/// The secure columns, with `rounds` simulated rounds per cell (noise drawn as the trustees
/// draw it: five Pólya-difference shares of shape 1/3).
pub fn secure_table(
    rounds: usize,
    seed: u64,
) -> Result<Vec<SecureCell>, sovbench_secure::SecureError> {
    use sovbench_secure::noise::{self, NoiseSpec};
    let (m, t) = COMMITTEE;
    let h = m - t + 1;
    let sensitivity = 4.0 * Dimension::ALL.len() as f64;
    let mut out = Vec::new();
    for &n in &SIZES {
        let pop = generate(n, seed);
        let sum: i64 = pop
            .iter()
            .map(|a| i64::from(a.assessment.score(Dimension::Datenhoheit)))
            .sum();
        let mean = sum as f64 / n as f64;
        for &eps in &EPSILONS {
            let scale = sensitivity / eps;
            let spec = NoiseSpec::new(scale, m, t)?;
            let alpha = spec.alpha();
            let q_secure = noise::half_width(m as f64 / h as f64, alpha, 0.95)? as f64;
            let q_curator = noise::half_width(1.0, alpha, 0.95)? as f64;
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (n as u64) << 12 ^ (eps * 64.0) as u64);
            let mut covered = 0usize;
            for _ in 0..rounds {
                let mut noisy = sum;
                for _ in 0..m {
                    noisy += noise::share(&spec, &mut rng)?;
                }
                if (noisy as f64 / n as f64 - mean).abs() <= q_secure / n as f64 {
                    covered += 1;
                }
            }
            out.push(SecureCell {
                n,
                epsilon: eps,
                secure: q_secure / n as f64,
                curator: q_curator / n as f64,
                coverage: covered as f64 / rounds.max(1) as f64,
            });
        }
    }
    Ok(out)
}

/// Renders the secure columns as Markdown: secure / curator (ratio), next to local DP.
pub fn render_secure(cells: &[SecureCell], local: &[UtilityCell]) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = write!(o, "| n |");
    for e in EPSILONS {
        let _ = write!(o, " ε = {e}: local / secure / curator |");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "|---|{}", "---|".repeat(EPSILONS.len()));
    for &n in &SIZES {
        let _ = write!(o, "| {n} |");
        for &e in &EPSILONS {
            let l = local
                .iter()
                .find(|c| c.n == n && c.epsilon == e)
                .map_or(f64::NAN, |c| c.simulated);
            if let Some(c) = cells.iter().find(|c| c.n == n && c.epsilon == e) {
                let _ = write!(
                    o,
                    " {l:.2} / {:.2} / {:.2} ({:.2}×) |",
                    c.secure,
                    c.curator,
                    c.secure / c.curator
                );
            }
        }
        let _ = writeln!(o);
    }
    o
}

/// Renders the table as Markdown.
pub fn render(cells: &[UtilityCell]) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = write!(o, "| n |");
    for e in EPSILONS {
        let _ = write!(o, " ε = {e} |");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "|---|{}", "---|".repeat(EPSILONS.len()));
    for &n in &SIZES {
        let _ = write!(o, "| {n} |");
        for &e in &EPSILONS {
            if let Some(c) = cells.iter().find(|c| c.n == n && c.epsilon == e) {
                let _ = write!(
                    o,
                    " {:.2} / {:.2} ({:.2}) |",
                    c.simulated, c.theory, c.split
                );
            }
        }
        let _ = writeln!(o);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean published half-width of the split alternative, simulated: every administration
    /// releases the dimension at `epsilon / 5` (scale `20 / epsilon`), so all n report it.
    fn simulated_split(n: usize, eps: f64, rounds: usize, seed: u64) -> f64 {
        let truth: Vec<f64> = generate(n, seed)
            .iter()
            .map(|a| f64::from(a.assessment.score(Dimension::Datenhoheit)))
            .collect();
        let scale = 4.0 * Dimension::ALL.len() as f64 / eps;
        let v = discrete_laplace_variance(scale);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5151);
        let mut widths = 0.0;
        for _ in 0..rounds {
            let reports: Vec<Report> = truth
                .iter()
                .map(|x| Report {
                    value: x + discrete_laplace(&mut rng, scale) as f64,
                    var0: v,
                    var1: v,
                })
                .collect();
            widths += estimate_mean(&reports, n, 4.0)
                .expect("n >= 2")
                .half_width();
        }
        widths / rounds as f64
    }

    #[test]
    fn secure_columns_are_within_1_3_of_the_curator_and_cover() {
        let table = secure_table(400, 5).expect("table");
        let mut covered = 0.0;
        for c in &table {
            // sqrt(5/3) = 1.29 in variance terms; the exact quantiles differ slightly.
            assert!(c.secure / c.curator <= 1.3, "{c:?}");
            assert!(c.secure > c.curator, "{c:?}");
            covered += c.coverage;
        }
        // 20 cells × 400 rounds: the pooled coverage has a standard error of about 0.24%.
        let pooled = covered / table.len() as f64;
        assert!((0.94..=0.97).contains(&pooled), "pooled coverage {pooled}");
        // Secure beats local DP by far at realistic cohort sizes.
        let local = utility_table(20, 5);
        let md = render_secure(&table, &local);
        assert!(md.contains("| 30 |"), "{md}");
        let at = |n: usize, e: f64| {
            table
                .iter()
                .find(|c| c.n == n && c.epsilon == e)
                .expect("cell")
        };
        let l = local
            .iter()
            .find(|c| c.n == 30 && c.epsilon == 2.0)
            .expect("cell");
        assert!(at(30, 2.0).secure < l.simulated / 1.5, "{l:?}");
    }

    #[test]
    fn simulation_agrees_with_theory_where_the_normal_approximation_holds() {
        // For n >= 100 (about 20 reports per dimension and more) the simulated mean half-width
        // must be within 15% of the theoretical one (200 rounds: the relative standard error of a
        // mean half-width is about 1 / sqrt(2 * 20 * 200) < 1%, so 15% allows for the estimated
        // variance's own bias).
        let table = utility_table(200, 3);
        let mut covered = 0.0;
        let mut cells = 0.0;
        for c in table.iter().filter(|c| c.n >= 100) {
            assert!((c.simulated / c.theory - 1.0).abs() < 0.15, "{c:?}");
            // Per cell (200 rounds): a coverage near 95% has a standard error of 1.5%; 4 of them
            // below 95% is 89%.
            assert!(c.coverage >= 0.89, "{c:?}");
            covered += c.coverage;
            cells += 1.0;
        }
        // Pooled over the 12 cells (2,400 rounds): standard error 0.44%, so 93-97% is more
        // than four standard errors either side of 95%.
        let pooled = covered / cells;
        assert!((0.93..=0.97).contains(&pooled), "pooled coverage {pooled}");
        // Sampling beats splitting in simulation, not only in the formulas, and the split
        // formula matches its own simulation.
        for (n, eps) in [(100, 1.0), (300, 2.0)] {
            let c = table
                .iter()
                .find(|c| c.n == n && c.epsilon == eps)
                .expect("cell in the table");
            let split = simulated_split(n, eps, 100, 3);
            assert!(
                (split / c.split - 1.0).abs() < 0.05,
                "split {split} vs {c:?}"
            );
            assert!(
                c.simulated < split,
                "sampling {} vs split {split}",
                c.simulated
            );
        }
        assert!(render(&table).contains("| 1000 |"));
    }
}
