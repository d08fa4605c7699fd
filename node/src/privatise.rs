//! Privatisation with OpenDP: every released value is produced by an OpenDP measurement whose
//! noise scale is set by that measurement's own privacy map for the round's epsilon.
//!
//! - Bounded integers (self-test scores): the true value is clamped to the catalogue bounds
//!   `[lower, upper]`; the sensitivity is `upper - lower`; the measurement is OpenDP's
//!   `make_laplace` on `AtomDomain<i64>` with `AbsoluteDistance<i64>`, which is the discrete
//!   Laplace mechanism. Its scale is the smallest one whose privacy map charges at most the
//!   round's epsilon for that sensitivity, found by bisection over the map (not by a hand-written
//!   formula).
//! - Which metrics a node releases, when a round asks for fewer than all, is drawn uniformly with
//!   the operating system's secure random generator, independently of the data.

use opendp::domains::AtomDomain;
use opendp::measurements::make_laplace;
use opendp::measures::MaxDivergence;
use opendp::metrics::AbsoluteDistance;
use ring::rand::{SecureRandom, SystemRandom};
use sovbench_core::catalogue::{MechanismKind, MetricDef};
use sovbench_core::pb;

use crate::error::NodeError;

type IntLaplace =
    opendp::core::Measurement<AtomDomain<i64>, AbsoluteDistance<i64>, MaxDivergence, i64>;

fn privacy_err(metric: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::Privacy {
        metric: metric.to_string(),
        reason: e.to_string(),
    }
}

fn laplace(metric: &str, scale: f64) -> Result<IntLaplace, NodeError> {
    make_laplace::<_, _, MaxDivergence>(
        AtomDomain::<i64>::default(),
        AbsoluteDistance::<i64>::default(),
        scale,
        None,
    )
    .map_err(|e| privacy_err(metric, e))
}

/// The smallest discrete-Laplace scale whose OpenDP privacy map charges at most `epsilon` for a
/// change of `sensitivity`. Bisection over the map; returns the scale and the epsilon it charges.
pub fn laplace_scale_for(
    metric: &str,
    sensitivity: i64,
    epsilon: f64,
) -> Result<(f64, f64), NodeError> {
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(privacy_err(
            metric,
            format!("epsilon must be positive, got {epsilon}"),
        ));
    }
    let charge = |scale: f64| -> Result<f64, NodeError> {
        laplace(metric, scale)?
            .map(&sensitivity)
            .map_err(|e| privacy_err(metric, e))
    };
    // Find an upper bound whose charge is within epsilon.
    let mut hi = (sensitivity.max(1) as f64) / epsilon;
    let mut guard = 0;
    while charge(hi)? > epsilon {
        hi *= 2.0;
        guard += 1;
        if guard > 64 {
            return Err(privacy_err(metric, "no scale satisfies the privacy map"));
        }
    }
    let mut lo = 0.0_f64;
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if charge(mid)? <= epsilon {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok((hi, charge(hi)?))
}

/// Releases one bounded-integer metric: clamp, then OpenDP discrete Laplace at the scale the
/// privacy map sets for `epsilon`.
pub fn release(def: &MetricDef, true_value: i64, epsilon: f64) -> Result<pb::Release, NodeError> {
    match def.mechanism {
        MechanismKind::DiscreteLaplace => {
            let (scale, charged) = laplace_scale_for(&def.id, def.sensitivity(), epsilon)?;
            let meas = laplace(&def.id, scale)?;
            let value = meas
                .invoke(&def.clamp_value(true_value))
                .map_err(|e| privacy_err(&def.id, e))?;
            Ok(pb::Release {
                metric: def.id.clone(),
                mechanism: pb::Mechanism::DiscreteLaplace as i32,
                value,
                scale,
                epsilon: charged,
            })
        }
    }
}

/// Chooses `m` of `n` indices uniformly at random (secure randomness, independent of any data),
/// returned in ascending order. `m == 0` or `m >= n` selects all.
pub fn choose_indices(n: usize, m: usize) -> Result<Vec<usize>, NodeError> {
    let mut idx: Vec<usize> = (0..n).collect();
    if m == 0 || m >= n {
        return Ok(idx);
    }
    let rng = SystemRandom::new();
    // Partial Fisher-Yates with rejection sampling for unbiased draws.
    for i in 0..m {
        let span = (n - i) as u64;
        let j = i + uniform_below(&rng, span)? as usize;
        idx.swap(i, j);
    }
    let mut chosen = idx[..m].to_vec();
    chosen.sort_unstable();
    Ok(chosen)
}

fn uniform_below(rng: &SystemRandom, span: u64) -> Result<u64, NodeError> {
    let zone = u64::MAX - (u64::MAX % span);
    loop {
        let mut buf = [0u8; 8];
        rng.fill(&mut buf)
            .map_err(|_| privacy_err("selection", "system random generator failed"))?;
        let v = u64::from_le_bytes(buf);
        if v < zone {
            return Ok(v % span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::catalogue::Catalogue;

    #[test]
    fn scale_comes_from_the_privacy_map() {
        // For discrete Laplace the map charges sensitivity / scale, so the bisection must land on
        // (very nearly) 4 / 1 = 4 for the self-test range 1..5 at epsilon 1.
        let (scale, charged) = laplace_scale_for("m", 4, 1.0).unwrap();
        assert!(charged <= 1.0);
        assert!((scale - 4.0).abs() < 1e-6, "scale {scale}");
        let (scale, charged) = laplace_scale_for("m", 4, 0.5).unwrap();
        assert!(charged <= 0.5 && (scale - 8.0).abs() < 1e-6);
        assert!(laplace_scale_for("m", 4, 0.0).is_err());
    }

    #[test]
    fn release_records_mechanism_scale_and_epsilon() {
        let cat = Catalogue::current();
        let def = cat.metric("selftest.datenhoheit").unwrap();
        let r = release(def, 9, 1.0).unwrap();
        assert_eq!(r.metric, "selftest.datenhoheit");
        assert!(r.epsilon <= 1.0 && r.epsilon > 0.99);
        assert!((r.scale - 4.0).abs() < 1e-6);
    }

    #[test]
    fn noisy_values_are_centred_on_the_clamped_truth() {
        // 4,000 draws at scale 1 (epsilon 4 for sensitivity 4): the discrete Laplace variance is
        // 2 e^-1 / (1 - e^-1)^2 = 1.84, so the mean's standard error is sqrt(1.84 / 4000) = 0.021;
        // a tolerance of 0.1 is almost 5 standard errors. The truth 9 is clamped to 5.
        let cat = Catalogue::current();
        let def = cat.metric("selftest.datenhoheit").unwrap();
        let n = 4_000;
        let sum: i64 = (0..n).map(|_| release(def, 9, 4.0).unwrap().value).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 5.0).abs() < 0.1, "mean {mean}");
    }

    #[test]
    fn selection_is_a_uniform_subset() {
        // 5,000 draws of 1 of 5: each index expected 1,000 times, sd sqrt(5000*.2*.8) = 28.3;
        // a band of +-150 is over 5 sd.
        let mut counts = [0usize; 5];
        for _ in 0..5_000 {
            let c = choose_indices(5, 1).unwrap();
            assert_eq!(c.len(), 1);
            counts[c[0]] += 1;
        }
        assert!(
            counts.iter().all(|&c| (850..=1150).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(choose_indices(5, 0).unwrap(), vec![0, 1, 2, 3, 4]);
        let two = choose_indices(5, 2).unwrap();
        assert!(two.len() == 2 && two[0] < two[1]);
    }
}
