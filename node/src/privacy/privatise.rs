//! Privatisation with OpenDP: every released value is produced by an OpenDP measurement whose
//! parameter (noise scale, probability of the truth, flip parameter) is set by that measurement's
//! own privacy map for the round's epsilon, never by a hand-written formula.
//!
//! | value | OpenDP measurement | parameter found by bisection over the map |
//! |---|---|---|
//! | bounded integer (or share on a grid), clamped | `make_laplace` on `AtomDomain<i64>`, `AbsoluteDistance<i64>` (discrete Laplace) | smallest scale with `map(upper - lower) <= epsilon` |
//! | boolean | `make_randomized_response_bool` | largest probability of the truth with `map(1) <= epsilon` |
//! | category | `make_randomized_response` over the catalogue's categories | largest probability of the truth with `map(1) <= epsilon` |
//! | set of items (at most one) | `make_randomized_response_bitvec`, `max_weight` 1 | smallest `f` with `map(1) <= epsilon` |
//!
//! Which metrics a node releases, when a round asks for fewer than all, is drawn uniformly with
//! the operating system's secure random generator, independently of the data.

use std::collections::HashSet;

use opendp::domains::{AtomDomain, BitVector, BitVectorDomain};
use opendp::measurements::{
    make_laplace, make_randomized_response, make_randomized_response_bitvec,
    make_randomized_response_bool,
};
use opendp::measures::MaxDivergence;
use opendp::metrics::{AbsoluteDistance, DiscreteDistance};
use ring::rand::{SecureRandom, SystemRandom};
use sovbench_core::catalogue::{MechanismKind, MetricDef, TrueValue};
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

fn check_epsilon(metric: &str, epsilon: f64) -> Result<(), NodeError> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(())
    } else {
        Err(privacy_err(
            metric,
            format!("epsilon must be positive, got {epsilon}"),
        ))
    }
}

/// Bisection for a monotone privacy map: `charge(x)` falls as `x` rises (`falling`) or rises as
/// `x` rises. Returns the best `x` in `[lo, hi]` whose charge is at most `epsilon`.
fn bisect(
    metric: &str,
    epsilon: f64,
    lo: f64,
    hi: f64,
    falling: bool,
    charge: impl Fn(f64) -> Result<f64, NodeError>,
) -> Result<(f64, f64), NodeError> {
    // `ok` is the end of the interval known to satisfy the budget.
    let within = |x: f64| -> Result<bool, NodeError> { Ok(charge(x)? <= epsilon) };
    let (mut ok, mut bad) = if falling { (hi, lo) } else { (lo, hi) };
    if !within(ok)? {
        return Err(privacy_err(
            metric,
            "no parameter satisfies the privacy map",
        ));
    }
    for _ in 0..100 {
        let mid = 0.5 * (ok + bad);
        if mid == ok || mid == bad {
            break;
        }
        if within(mid)? {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    Ok((ok, charge(ok)?))
}

/// The smallest discrete-Laplace scale whose OpenDP privacy map charges at most `epsilon` for a
/// change of `sensitivity`; returns the scale and the epsilon it charges.
pub fn laplace_scale_for(
    metric: &str,
    sensitivity: i64,
    epsilon: f64,
) -> Result<(f64, f64), NodeError> {
    check_epsilon(metric, epsilon)?;
    let charge = |scale: f64| -> Result<f64, NodeError> {
        laplace(metric, scale)?
            .map(&sensitivity)
            .map_err(|e| privacy_err(metric, e))
    };
    let mut hi = (sensitivity.max(1) as f64) / epsilon;
    let mut guard = 0;
    while charge(hi)? > epsilon {
        hi *= 2.0;
        guard += 1;
        if guard > 64 {
            return Err(privacy_err(metric, "no scale satisfies the privacy map"));
        }
    }
    bisect(metric, epsilon, 0.0, hi, true, charge)
}

/// The largest probability of the truth for boolean randomized response within `epsilon`.
pub fn rr_bool_probability_for(metric: &str, epsilon: f64) -> Result<(f64, f64), NodeError> {
    check_epsilon(metric, epsilon)?;
    let charge = |p: f64| -> Result<f64, NodeError> {
        make_randomized_response_bool(p, false)
            .and_then(|m| m.map(&1))
            .map_err(|e| privacy_err(metric, e))
    };
    bisect(metric, epsilon, 0.5, 1.0 - 1e-12, false, charge)
}

/// The largest probability of the truth for k-ary randomized response within `epsilon`.
pub fn rr_probability_for(metric: &str, k: usize, epsilon: f64) -> Result<(f64, f64), NodeError> {
    check_epsilon(metric, epsilon)?;
    if k < 2 {
        return Err(privacy_err(
            metric,
            "a category metric needs at least two categories",
        ));
    }
    let cats: HashSet<u32> = (0..k as u32).collect();
    let charge = |p: f64| -> Result<f64, NodeError> {
        make_randomized_response(cats.clone(), p)
            .and_then(|m| m.map(&1))
            .map_err(|e| privacy_err(metric, e))
    };
    bisect(metric, epsilon, 1.0 / k as f64, 1.0 - 1e-12, false, charge)
}

/// The smallest flip parameter `f` for bit-vector randomized response (at most one set bit)
/// within `epsilon`.
pub fn bitvec_f_for(metric: &str, epsilon: f64) -> Result<(f64, f64), NodeError> {
    check_epsilon(metric, epsilon)?;
    let charge = |f: f64| -> Result<f64, NodeError> {
        make_randomized_response_bitvec(
            BitVectorDomain {
                max_weight: Some(1),
            },
            DiscreteDistance,
            f,
            false,
        )
        .and_then(|m| m.map(&1))
        .map_err(|e| privacy_err(metric, e))
    };
    bisect(metric, epsilon, 1e-12, 1.0, true, charge)
}

type BoolRr = opendp::core::Measurement<AtomDomain<bool>, DiscreteDistance, MaxDivergence, bool>;
type CatRr = opendp::core::Measurement<AtomDomain<u32>, DiscreteDistance, MaxDivergence, u32>;
type BitRr = opendp::core::Measurement<BitVectorDomain, DiscreteDistance, MaxDivergence, BitVector>;

enum Meas {
    Laplace(IntLaplace),
    Bool(BoolRr),
    Category(CatRr),
    Bits(BitRr),
}

/// A metric's OpenDP measurement, built once for a round's epsilon (the privacy-map search runs
/// here), then invoked on the true value.
pub struct Privatiser {
    def: MetricDef,
    meas: Meas,
    /// Scale (discrete Laplace), probability of the truth (randomized response) or f (bit vector).
    parameter: f64,
    /// Epsilon the privacy map charges.
    charged: f64,
}

impl Privatiser {
    /// Builds the measurement of `def` for `epsilon`.
    pub fn new(def: &MetricDef, epsilon: f64) -> Result<Privatiser, NodeError> {
        let id = def.id.as_str();
        let err = |e: opendp::error::Error| privacy_err(id, e);
        let (meas, parameter, charged) = match def.mechanism {
            MechanismKind::DiscreteLaplace => {
                let (scale, c) = laplace_scale_for(id, def.sensitivity(), epsilon)?;
                (Meas::Laplace(laplace(id, scale)?), scale, c)
            }
            MechanismKind::RandomizedResponseBool => {
                let (p, c) = rr_bool_probability_for(id, epsilon)?;
                (
                    Meas::Bool(make_randomized_response_bool(p, false).map_err(err)?),
                    p,
                    c,
                )
            }
            MechanismKind::RandomizedResponse => {
                let k = def.categories.len();
                let (p, c) = rr_probability_for(id, k, epsilon)?;
                let cats: HashSet<u32> = (0..k as u32).collect();
                (
                    Meas::Category(make_randomized_response(cats, p).map_err(err)?),
                    p,
                    c,
                )
            }
            MechanismKind::RandomizedResponseBitvec => {
                let (f, c) = bitvec_f_for(id, epsilon)?;
                let m = make_randomized_response_bitvec(
                    BitVectorDomain {
                        max_weight: Some(1),
                    },
                    DiscreteDistance,
                    f,
                    false,
                )
                .map_err(err)?;
                (Meas::Bits(m), f, c)
            }
        };
        Ok(Privatiser {
            def: def.clone(),
            meas,
            parameter,
            charged,
        })
    }

    /// Epsilon the privacy map charges for one release.
    pub fn epsilon(&self) -> f64 {
        self.charged
    }

    /// Brings the true value into the metric's domain and runs the measurement.
    pub fn invoke(&self, truth: &TrueValue) -> Result<pb::Release, NodeError> {
        let def = &self.def;
        let id = def.id.as_str();
        let err = |e: opendp::error::Error| privacy_err(id, e);
        let wrong = || {
            privacy_err(
                id,
                format!("value {truth:?} does not fit the metric's type"),
            )
        };
        let mut r = pb::Release {
            metric: def.id.clone(),
            mechanism: def.mechanism.to_pb() as i32,
            epsilon: self.charged,
            ..Default::default()
        };
        match (&self.meas, truth) {
            (Meas::Laplace(m), TrueValue::Int(v)) => {
                r.value = m.invoke(&def.clamp_value(*v)).map_err(err)?;
                r.scale = self.parameter;
            }
            (Meas::Laplace(m), TrueValue::Share(s)) if s.is_finite() => {
                let v = (s.clamp(0.0, 1.0) * def.grid as f64).round() as i64;
                r.value = m.invoke(&def.clamp_value(v)).map_err(err)?;
                r.scale = self.parameter;
            }
            (Meas::Bool(m), TrueValue::Bool(b)) => {
                r.value = i64::from(m.invoke(b).map_err(err)?);
                r.probability = self.parameter;
            }
            (Meas::Category(m), TrueValue::Category(key)) => {
                let idx = def.category_index(key).ok_or_else(wrong)? as u32;
                r.value = i64::from(m.invoke(&idx).map_err(err)?);
                r.probability = self.parameter;
            }
            (Meas::Bits(m), TrueValue::Set(items)) => {
                let mut bits = BitVector::repeat(false, def.categories.len());
                // At most one item is released (the privacy map holds for max_weight 1): with
                // several, one is chosen uniformly at random, independently of which they are.
                let set: Vec<usize> = items.iter().filter_map(|i| def.category_index(i)).collect();
                if !set.is_empty() {
                    bits.set(set[choose_indices(set.len(), 1)?[0]], true);
                }
                r.bits = m.invoke(&bits).map_err(err)?.iter().map(|b| *b).collect();
                r.probability = self.parameter;
            }
            _ => return Err(wrong()),
        }
        Ok(r)
    }
}

/// Releases one metric: bring the true value into the metric's domain, then run the OpenDP
/// measurement whose parameter the privacy map sets for `epsilon`.
pub fn release(def: &MetricDef, truth: &TrueValue, epsilon: f64) -> Result<pb::Release, NodeError> {
    Privatiser::new(def, epsilon)?.invoke(truth)
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
mod tests;
