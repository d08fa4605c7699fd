//! The roll-back rate of a migration path in mode secure: rolled back / (rolled back, completed
//! and rollout together), among the contributors of a cohort that went beyond the pilot, from the
//! noisy stage sums.
//!
//! With a = the rolled-back share and c = the completed and rollout shares (independent noises,
//! variances known exactly), R = a / (a + c) and, by linearisation,
//! `Var(R) ≈ ((1 − R)² Var(a) + R² Var(c)) / (a + c)²`. As in mode direct the rate is published
//! only when the denominator is clearly positive (at least [`MIN_DENOMINATOR_SDS`] of its own
//! standard deviations, so that the linearisation holds), the estimate lies in [0, 1] and the
//! half-width is within the usefulness limit; the interval is ± 1.96 σ clipped to [0, 1]. The
//! coverage is checked by simulation in the tests.

use sovbench_core::catalogue::Catalogue;
use sovbench_core::pb;

use super::{Est, Z95};

/// How many of its standard deviations the denominator must be above zero.
pub const MIN_DENOMINATOR_SDS: f64 = 3.92;

/// Fills `cell` (cohort, n and metric set) with the roll-back rate from the estimates of the
/// rolled-back share `a` and the completed and rollout shares `others`, or suppresses it.
pub(super) fn rollback(cell: &mut pb::Cell, a: Est, others: &[Est], catalogue: &Catalogue) {
    let c = Est::sum(others);
    let (va, vc) = (a.noise.variance(), c.noise.variance());
    let b = a.value + c.value;
    let sd_b = (va + vc).sqrt();
    let too_imprecise = |cell: &mut pb::Cell, why: String| {
        cell.suppressed = true;
        cell.suppression = pb::Suppression::TooImprecise as i32;
        cell.suppression_reason = why;
    };
    if !(b.is_finite() && b > MIN_DENOMINATOR_SDS * sd_b && b > 0.0) {
        return too_imprecise(
            cell,
            format!(
                "too few administrations beyond the pilot: the denominator {b:.3} is not \
                 {MIN_DENOMINATOR_SDS} standard deviations ({sd_b:.3}) above zero"
            ),
        );
    }
    let r = a.value / b;
    if !(0.0..=1.0).contains(&r) {
        return too_imprecise(cell, format!("the rate {r:.3} lies outside [0, 1]"));
    }
    let var = ((1.0 - r).powi(2) * va + r * r * vc) / (b * b);
    let half = Z95 * var.sqrt();
    let limit = catalogue.max_half_width(&cell.metric);
    if half > limit {
        return too_imprecise(
            cell,
            format!("95% half-width {half:.2} exceeds the usefulness limit {limit}"),
        );
    }
    cell.estimate = r;
    cell.ci_low = (r - half).max(0.0);
    cell.ci_high = (r + half).min(1.0);
}
