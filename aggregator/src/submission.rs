//! Submissions: a node's signed, privatised values for one round, checked and handed to the
//! commit worker ([`crate::commit`]), which answers with a signed receipt once they are durable.
//!
//! Order of checks: admission (size; signature over the exact received bytes; decoding; message
//! kind; enrolled and unrevoked key, [`crate::admission`]); an earlier submission of the same node
//! to the same round (identical: its receipt again; different: refused); known, open round;
//! parameters equal to the round's ([`check_submission`]) and plausible mechanism parameters
//! ([`check_release`]); in mode secure the proofs, bound to round, signer and metric
//! ([`crate::secure::submission`]); then, in the commit worker, the duplicate and open-round
//! checks once more and, in mode secure, that no ciphertext was accepted before.

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
    let mut ciphertext_keys = Vec::new();
    if !retry {
        let params = check_open_round(store, &sub, now)?;
        if params.mode == pb::RoundMode::SecureAggregation as i32 {
            // The proofs (about 1.5 ms) off the async threads and outside every lock.
            let s = sub.clone();
            let signer = verified.signer.clone();
            ciphertext_keys = tokio::task::spawn_blocking(move || {
                crate::secure::submission::verify(&params, &s, &signer)
            })
            .await
            .map_err(|e| AggError::Storage(format!("verifying a submission: {e}")))??;
        }
    }
    committer
        .submit(PendingSubmission {
            round_id: sub.round_id.clone(),
            node_key: verified.signer.clone(),
            ciphertext_keys,
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
mod tests;
