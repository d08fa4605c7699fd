//! The roll-back rate of a path: rolled back among those beyond the pilot, a ratio of two
//! estimated shares, kept in [0, 1] with an honest interval or suppressed.

use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::CellId;
use sovbench_core::pb;
use sovbench_core::vocab::Stage;

use super::*;

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
pub(super) fn rollback_cell(
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
