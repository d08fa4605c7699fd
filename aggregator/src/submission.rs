//! Submissions: a node's signed, privatised values for one round, checked and handed to the
//! commit worker ([`crate::commit`]), which answers with a signed receipt once they are durable.
//!
//! Order of checks: admission (size; signature over the exact received bytes; decoding; message
//! kind; enrolled and unrevoked key, [`crate::admission`]); an earlier submission of the same node
//! to the same round (identical: its receipt again; different: refused); known, open round;
//! parameters equal to the round's ([`check_submission`]) and plausible mechanism parameters
//! ([`check_release`]); then, in the commit worker, the duplicate and open-round checks once more.

use prost::Message as _;
use sovbench_core::catalogue::MechanismKind;
use sovbench_core::display::echo;
use sovbench_core::pb;

use crate::admission::{enrolled, open_checked, wrong_kind};
use crate::commit::{Committer, PendingSubmission};
use crate::error::AggError;
use crate::model::{RoundStatus, StoredSubmission};
use crate::rounds::round_params;
use crate::store::{submission_key, Store};

/// Checks a signed submission received at `now` and stores it durably; returns the signed
/// receipt.
pub async fn submit(
    store: &Store,
    committer: &Committer,
    msg: pb::SignedMessage,
    now: i64,
) -> Result<pb::SignedMessage, AggError> {
    let verified = open_checked(&msg)?;
    let sub = match verified.body {
        pb::payload::Body::Submission(s) => s,
        other => return Err(wrong_kind("submission", &other)),
    };
    let enrolment = enrolled(store, &verified.signer)?;
    // An identical retry gets the stored receipt, even after the round closed; a different
    // second submission is refused. (The commit worker checks again, race-free.)
    // The stored bytes may not be durable yet (or a commit failed): the commit worker answers
    // the retry, after a durable commit.
    let key = submission_key(&sub.round_id, &verified.signer);
    let retry = match store.submission(&key)? {
        Some(existing) if existing.payload_hash == verified.payload_hash => true,
        Some(_) => {
            return Err(AggError::Conflict {
                key: enrolment.fingerprint,
                round: sub.round_id,
            })
        }
        None => false,
    };
    if !retry {
        let params = check_open_round(store, &sub, now)?;
        if params.mode == pb::RoundMode::SecureAggregation as i32 {
            // The proofs (about 1.5 ms) off the async threads and outside every lock.
            let s = sub.clone();
            tokio::task::spawn_blocking(move || crate::secure::submission::verify(&params, &s))
                .await
                .map_err(|e| AggError::Storage(format!("verifying a submission: {e}")))??;
        }
    }
    committer
        .submit(PendingSubmission {
            round_id: sub.round_id.clone(),
            node_key: verified.signer.clone(),
            record: StoredSubmission::new(
                msg.encode_to_vec(),
                verified.payload_hash.to_vec(),
                enrolment.attributes,
                now,
            ),
        })
        .await
}

/// Checks that the submission's round exists, is open at `now` and matches the submission;
/// returns the round's parameters (a secure round's proofs are the caller's to verify).
fn check_open_round(
    store: &Store,
    sub: &pb::Submission,
    now: i64,
) -> Result<pb::RoundParams, AggError> {
    let round_msg = store
        .round(&sub.round_id)?
        .ok_or_else(|| AggError::UnknownRound(sub.round_id.clone()))?;
    let params = round_params(store, &sub.round_id)?;
    let state = store
        .round_state(&sub.round_id)?
        .ok_or_else(|| AggError::UnknownRound(sub.round_id.clone()))?;
    if state.status != RoundStatus::Open || now >= params.closes_at {
        return Err(AggError::RoundClosed {
            round: sub.round_id.clone(),
            at: sovbench_core::time::format_utc(state.closed_at.unwrap_or(params.closes_at)),
        });
    }
    check_submission(&params, &round_msg, sub)?;
    Ok(params)
}

/// Checks that a submission matches its round exactly.
pub fn check_submission(
    params: &pb::RoundParams,
    round_msg: &pb::SignedMessage,
    sub: &pb::Submission,
) -> Result<(), AggError> {
    let mismatch = |detail: String| AggError::ParamsMismatch {
        round: params.round_id.clone(),
        detail,
    };
    if sub.round_params_hash != sovbench_core::sha256(&round_msg.payload) {
        return Err(mismatch(
            "round parameters hash differs from the round's".into(),
        ));
    }
    if sub.nonce.len() > 64 {
        return Err(mismatch("nonce longer than 64 bytes".into()));
    }
    if params.mode == pb::RoundMode::SecureAggregation as i32 {
        // The encrypted values: crate::secure::submission::verify.
        return Ok(());
    }
    if !sub.encrypted.is_empty() {
        return Err(mismatch(format!(
            "{} encrypted values; round {} is in mode direct and takes privatised releases",
            sub.encrypted.len(),
            params.round_id
        )));
    }
    let expected = match params.releases_per_node as usize {
        0 => params.metrics.len(),
        m => m.min(params.metrics.len()),
    };
    if sub.releases.len() != expected {
        return Err(mismatch(format!(
            "{} releases, the round asks for {expected}",
            sub.releases.len()
        )));
    }
    let mut seen = Vec::new();
    for r in &sub.releases {
        let spec = params
            .metrics
            .iter()
            .find(|m| m.id == r.metric)
            .ok_or_else(|| {
                mismatch(format!(
                    "metric {} is not part of the round",
                    echo(&r.metric)
                ))
            })?;
        if seen.contains(&r.metric.as_str()) {
            return Err(mismatch(format!(
                "metric {} released twice",
                echo(&r.metric)
            )));
        }
        seen.push(r.metric.as_str());
        if r.mechanism != spec.mechanism {
            return Err(mismatch(format!(
                "metric {} uses another mechanism",
                r.metric
            )));
        }
        let eps = params.epsilon_per_release;
        // The charged epsilon is the round's (within the bisection's tolerance): less would
        // mean more noise than the round's parameters describe, and e.g. a probability of 1/2
        // that leaves nothing to debias.
        if !(r.epsilon >= eps * (1.0 - 1e-6) && r.epsilon <= eps * (1.0 + 1e-9)) {
            return Err(mismatch(format!(
                "metric {} claims epsilon {}, the round's is {eps}",
                r.metric, r.epsilon
            )));
        }
        check_release(spec, r).map_err(|d| mismatch(format!("metric {}: {d}", r.metric)))?;
    }
    Ok(())
}

/// `ln(1/β)` for the tail probability β = 2^-40 of [`laplace_bounds`].
pub const LN_INV_BETA: f64 = 40.0 * std::f64::consts::LN_2;

/// The values a discrete Laplace release of a true value in `[lower, upper]` at `scale` takes
/// with probability at least 1 − 2^-40: `[lower − T, upper + T]` with `T = ⌈scale · ln 2^40⌉`.
/// (`P(|Z| > T) = 2a^(T+1) / (1 + a) < a^T = e^(−T/scale) ≤ 2^-40` for `a = e^(−1/scale)`.) An
/// honest node is refused wrongly about once in 10^12 releases.
pub fn laplace_bounds(lower: i64, upper: i64, scale: f64) -> (i128, i128) {
    // Float-to-integer casts saturate (NaN gives 0), so no scale can overflow here.
    let t = (scale * LN_INV_BETA).ceil().max(0.0) as i128;
    let t = t.min(i128::from(i64::MAX));
    (i128::from(lower) - t, i128::from(upper) + t)
}

/// Plausibility of one release's mechanism parameter and value. The guarantee itself is the
/// node's (it ran the OpenDP measurement); these checks keep wrong parameters from distorting the
/// intervals: the parameter must be at least as noisy as the claimed epsilon requires.
pub fn check_release(spec: &pb::MetricSpec, r: &pb::Release) -> Result<(), String> {
    let slack = 1.0 + 1e-6;
    let k = spec.categories.len();
    match MechanismKind::from_pb(r.mechanism) {
        Some(MechanismKind::DiscreteLaplace) => {
            // The discrete Laplace map charges sensitivity / scale.
            let exact = (spec.upper - spec.lower) as f64 / r.epsilon;
            if !(r.scale.is_finite() && r.scale >= exact / slack && r.scale <= exact * slack) {
                return Err(format!(
                    "noise scale {} does not fit its epsilon (needs {exact:.4})",
                    r.scale
                ));
            }
            // The true value lies in [lower, upper] (clamped on the node), and the noise exceeds
            // the tail bound T = scale · ln(1/β) with probability below β = 2^-40: anything
            // outside [lower − T, upper + T] is not a draw of this mechanism. (i128 and a
            // saturating float cast: no overflow for any i64 value or scale.)
            let (lo, hi) = laplace_bounds(spec.lower, spec.upper, r.scale);
            if !(lo..=hi).contains(&i128::from(r.value)) {
                return Err(format!(
                    "value {} is outside [{lo}, {hi}], the range a discrete Laplace draw at \
                     scale {} produces (tail bound for probability 2^-40)",
                    r.value, r.scale
                ));
            }
        }
        Some(MechanismKind::RandomizedResponseBool) => {
            let p = r.probability;
            if !(p > 0.5 && p < 1.0)
                || ((p / (1.0 - p)).ln() - r.epsilon).abs() > r.epsilon * (slack - 1.0)
            {
                return Err(format!(
                    "probability {p} does not fit epsilon {}",
                    r.epsilon
                ));
            }
            if !(r.value == 0 || r.value == 1) {
                return Err(format!("value {} is not 0 or 1", r.value));
            }
        }
        Some(MechanismKind::RandomizedResponse) => {
            let p = r.probability;
            if k < 2
                || !(p > 1.0 / k as f64 && p < 1.0)
                || ((p * (k as f64 - 1.0) / (1.0 - p)).ln() - r.epsilon).abs()
                    > r.epsilon * (slack - 1.0)
            {
                return Err(format!(
                    "probability {p} does not fit epsilon {}",
                    r.epsilon
                ));
            }
            if !(0..k as i64).contains(&r.value) {
                return Err(format!("category index {} out of range", r.value));
            }
        }
        Some(MechanismKind::RandomizedResponseBitvec) => {
            let f = r.probability;
            if !(f > 0.0 && f < 1.0)
                || (2.0 * ((2.0 - f) / f).ln() - r.epsilon).abs() > r.epsilon * (slack - 1.0)
            {
                return Err(format!(
                    "flip parameter {f} does not fit epsilon {}",
                    r.epsilon
                ));
            }
            if r.bits.len() != k {
                return Err(format!("{} bits for {k} items", r.bits.len()));
            }
        }
        None => return Err("unknown mechanism".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixed_round() -> (pb::RoundParams, pb::SignedMessage) {
        let c = sovbench_core::catalogue::Catalogue::current();
        let params = pb::RoundParams {
            round_id: "prop".into(),
            metrics: [
                "selftest.datenhoheit",
                "selftest.band",
                "selftest.exit_strategy",
            ]
            .iter()
            .map(|id| c.metric(id).expect("catalogue metric").spec())
            .collect(),
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 2,
            ..Default::default()
        };
        let (id, _) = sovbench_core::envelope::Identity::generate().expect("identity");
        let msg = id.seal(pb::payload::Body::Round(params.clone()));
        (params, msg)
    }

    fn release() -> impl Strategy<Value = pb::Release> {
        (
            prop::sample::select(vec![
                "selftest.datenhoheit",
                "selftest.band",
                "selftest.exit_strategy",
                "selftest.it_kompetenz",
                "",
            ]),
            0i32..6,
            prop_oneof![any::<i64>(), -200i64..200, Just(i64::MIN), Just(i64::MAX)],
            prop_oneof![Just(4.0f64), Just(4.000_001), any::<f64>(), Just(f64::NAN)],
            prop_oneof![Just(1.0f64), any::<f64>(), Just(0.999_999_5)],
            prop_oneof![
                Just(1f64.exp() / (1.0 + 1f64.exp())),
                Just(1f64.exp() / (1f64.exp() + 2.0)),
                any::<f64>()
            ],
            proptest::collection::vec(any::<bool>(), 0..4),
        )
            .prop_map(
                |(metric, mechanism, value, scale, epsilon, probability, bits)| pb::Release {
                    metric: metric.into(),
                    mechanism,
                    value,
                    scale,
                    epsilon,
                    probability,
                    bits,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Any submission, crafted or arbitrary: the check never panics, and what it accepts has
        /// exactly the round's shape and plausible values (the in-`cargo test` twin of the
        /// `submission_check` fuzz target).
        #[test]
        fn whatever_passes_the_check_has_the_rounds_shape(
            releases in proptest::collection::vec(release(), 0..3),
            right_hash in any::<bool>(),
            nonce in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            let (params, msg) = fixed_round();
            let sub = pb::Submission {
                round_id: "prop".into(),
                round_params_hash: if right_hash {
                    sovbench_core::sha256(&msg.payload).to_vec()
                } else {
                    vec![0; 32]
                },
                releases,
                created_at: 0,
                nonce,
                encrypted: Vec::new(),
            };
            if check_submission(&params, &msg, &sub).is_ok() {
                prop_assert!(right_hash);
                prop_assert_eq!(sub.releases.len(), 1);
                prop_assert!(sub.nonce.len() <= 64);
                let r = &sub.releases[0];
                let spec = params.metrics.iter().find(|m| m.id == r.metric).expect("known");
                prop_assert_eq!(r.mechanism, spec.mechanism);
                prop_assert!((r.epsilon - 1.0).abs() <= 1e-6);
                if MechanismKind::from_pb(r.mechanism) == Some(MechanismKind::DiscreteLaplace) {
                    prop_assert!((-110..=116).contains(&r.value), "{}", r.value);
                } else {
                    prop_assert!((0..3).contains(&r.value), "{}", r.value);
                }
            }
        }
    }

    fn spec(mech: pb::Mechanism, k: usize) -> pb::MetricSpec {
        pb::MetricSpec {
            id: "m".into(),
            mechanism: mech as i32,
            lower: 1,
            upper: 5,
            categories: (0..k).map(|i| i.to_string()).collect(),
        }
    }

    /// Old behaviour: `value.abs() > 10^7` let i64::MIN through (abs wraps in release builds)
    /// and accepted 10^7 for a 1-5 score, enough for one node to move a mean to millions.
    #[test]
    fn laplace_values_beyond_the_tail_bound_are_refused() {
        let lap = spec(pb::Mechanism::DiscreteLaplace, 0);
        let ok = pb::Release {
            mechanism: pb::Mechanism::DiscreteLaplace as i32,
            scale: 4.0,
            epsilon: 1.0,
            value: 3,
            ..Default::default()
        };
        // T = ⌈4 · 40 ln 2⌉ = ⌈110.9⌉ = 111: accepted exactly on [1 − 111, 5 + 111].
        assert_eq!(laplace_bounds(1, 5, 4.0), (-110, 116));
        for (value, accepted) in [
            (-110, true),
            (116, true),
            (-111, false),
            (117, false),
            (10_000_000, false),
            (i64::MIN, false),
            (i64::MIN + 1, false),
            (i64::MAX, false),
        ] {
            let r = pb::Release {
                value,
                ..ok.clone()
            };
            assert_eq!(check_release(&lap, &r).is_ok(), accepted, "{value}");
        }
        // No overflow at extreme scales or bounds.
        assert_eq!(
            laplace_bounds(i64::MIN, i64::MAX, 1e300).0,
            i128::from(i64::MIN) - i128::from(i64::MAX)
        );
        assert_eq!(laplace_bounds(0, 0, f64::NAN), (0, 0));
    }

    #[test]
    fn parameters_that_leave_nothing_to_debias_are_refused() {
        let e: f64 = 1.0;
        let ok_bool = pb::Release {
            mechanism: pb::Mechanism::RandomizedResponseBool as i32,
            probability: e.exp() / (1.0 + e.exp()),
            epsilon: e,
            value: 1,
            ..Default::default()
        };
        let s = spec(pb::Mechanism::RandomizedResponseBool, 0);
        assert!(check_release(&s, &ok_bool).is_ok());
        let half = pb::Release {
            probability: 0.5,
            ..ok_bool.clone()
        };
        assert!(check_release(&s, &half).is_err());
        let lap = spec(pb::Mechanism::DiscreteLaplace, 0);
        let ok = pb::Release {
            mechanism: pb::Mechanism::DiscreteLaplace as i32,
            scale: 4.0,
            epsilon: 1.0,
            value: 3,
            ..Default::default()
        };
        assert!(check_release(&lap, &ok).is_ok());
        for scale in [1e300, 3.9, f64::NAN] {
            assert!(
                check_release(
                    &lap,
                    &pb::Release {
                        scale,
                        ..ok.clone()
                    }
                )
                .is_err(),
                "{scale}"
            );
        }
        let cat = spec(pb::Mechanism::RandomizedResponse, 3);
        let p = e.exp() / (e.exp() + 2.0);
        let ok_cat = pb::Release {
            mechanism: pb::Mechanism::RandomizedResponse as i32,
            probability: p,
            epsilon: e,
            value: 2,
            ..Default::default()
        };
        assert!(check_release(&cat, &ok_cat).is_ok());
        assert!(check_release(
            &cat,
            &pb::Release {
                probability: 1.0 / 3.0,
                ..ok_cat.clone()
            }
        )
        .is_err());
        assert!(check_release(&cat, &pb::Release { value: 3, ..ok_cat }).is_err());
        let bits = spec(pb::Mechanism::RandomizedResponseBitvec, 2);
        let f = 2.0 / (1.0 + (e / 2.0).exp());
        let ok_bits = pb::Release {
            mechanism: pb::Mechanism::RandomizedResponseBitvec as i32,
            probability: f,
            epsilon: e,
            bits: vec![true, false],
            ..Default::default()
        };
        assert!(check_release(&bits, &ok_bits).is_ok());
        assert!(check_release(
            &bits,
            &pb::Release {
                probability: 1.0,
                ..ok_bits.clone()
            }
        )
        .is_err());
        assert!(check_release(
            &bits,
            &pb::Release {
                bits: vec![true],
                ..ok_bits
            }
        )
        .is_err());
    }
}
