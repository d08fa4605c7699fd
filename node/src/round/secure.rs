//! Taking part in a round in mode secure (docs/SECURE-AGGREGATION.md): [`check`] accepts the
//! round only for the committee pinned in `node.toml` and within the privacy policy (committee
//! size, threshold, epsilon, cohort minimum); [`encrypt`] encrypts every metric's true value to
//! the committee key with its range proof; [`record`] is what the ledger keeps of it (hashes of
//! the encrypted bytes, never a value).
//!
//! The node is charged the round's epsilon (`SecureParams.epsilon`, the whole submission) once,
//! through the same budget as mode direct ([`super::policy::check_epsilon`]).

use rand::rngs::OsRng;
use sovbench_core::catalogue::{Catalogue, TrueValue};
use sovbench_core::pb;
use sovbench_secure::encoding::paths::encrypt_submission;
use sovbench_secure::round::SecureRound;

use super::policy::{check_common, check_epsilon, Budget};
use crate::config::PrivacyPolicy;
use crate::error::NodeError;
use crate::model::{EncryptedRecord, SecureRecord};

/// Checks a round in mode secure: the checks of every mode (catalogue, time window, metrics,
/// cohort minimum), the secure parameters themselves ([`SecureRound::from_params`]), the
/// committee against the pinned fingerprint (`pinned`, from `committee_fingerprint` in
/// `node.toml`), its size m and threshold t against the policy, and the round's epsilon against
/// the policy's limit per round and the budget. Returns the checked round.
pub fn check(
    params: &pb::RoundParams,
    policy: &PrivacyPolicy,
    pinned: Option<[u8; 32]>,
    catalogue: &Catalogue,
    budget: &Budget,
    now: i64,
) -> Result<SecureRound, NodeError> {
    let round_id = params.round_id.clone();
    if params.mode != pb::RoundMode::SecureAggregation as i32 {
        return Err(NodeError::BadRound {
            round: round_id,
            reason: format!("mode {} is not secure", params.mode),
        });
    }
    check_common(params, policy, catalogue, now)?;
    let round = SecureRound::from_params(params).map_err(|e| NodeError::BadRound {
        round: round_id.clone(),
        reason: e.to_string(),
    })?;
    let got = round.committee.fingerprint();
    let (t, m) = (
        round.committee.threshold() as u32,
        round.committee.size() as u32,
    );
    match pinned {
        None => {
            return Err(NodeError::CommitteeNotPinned {
                round: round_id,
                fingerprint: hex::encode(got),
                threshold: t,
                size: m,
            })
        }
        Some(p) if p != got => {
            return Err(NodeError::WrongCommittee {
                round: round_id,
                expected: hex::encode(p),
                got: hex::encode(got),
            })
        }
        Some(_) => {}
    }
    let policy_err = |parameter: &'static str, value: String, limit: String| NodeError::Policy {
        round: round_id.clone(),
        parameter,
        value,
        limit,
    };
    if m < policy.min_trustees {
        return Err(policy_err(
            "committee size m",
            format!("{m} trustees"),
            format!(
                "at least {} (privacy.min_trustees in node.toml)",
                policy.min_trustees
            ),
        ));
    }
    if t < policy.min_threshold {
        return Err(policy_err(
            "threshold t",
            format!("{t} of {m} trustees"),
            format!(
                "at least {} (privacy.min_threshold in node.toml)",
                policy.min_threshold
            ),
        ));
    }
    check_epsilon(
        &round_id,
        round.epsilon,
        &format!("{} (the whole encrypted submission)", round.epsilon),
        policy,
        budget,
    )?;
    Ok(round)
}

/// Encrypts each metric's true value (`truths`, in the round's order) to the committee key with
/// its range proof: the `encrypted` part of the submission. With a path bound the path metrics go
/// into one block of b slots (an administration on more paths contributes b of them, drawn at
/// random; docs/SECURE-AGGREGATION.md, "Paths"). The range proofs are bound to the round, to
/// `signer` (this node's public key, which signs the submission) and to each metric.
pub fn encrypt(
    round: &SecureRound,
    truths: &[TrueValue],
    signer: &[u8],
) -> Result<Vec<pb::EncryptedValue>, NodeError> {
    if truths.len() != round.metrics.len() {
        return Err(NodeError::BadRound {
            round: round.round_id.clone(),
            reason: format!(
                "{} values for {} metrics",
                truths.len(),
                round.metrics.len()
            ),
        });
    }
    Ok(encrypt_submission(round, truths, signer, &mut OsRng)?)
}

/// What the ledger keeps of a secure release: the committee and, per metric, the SHA-256 of the
/// encrypted bytes as sent.
pub fn record(round: &SecureRound, encrypted: &[pb::EncryptedValue]) -> SecureRecord {
    SecureRecord {
        committee_fingerprint: hex::encode(round.committee.fingerprint()),
        trustees: round.committee.size() as u32,
        threshold: round.committee.threshold() as u32,
        grid: round.grid.key().to_string(),
        encrypted: encrypted
            .iter()
            .map(|e| EncryptedRecord {
                metric: e.metric.clone(),
                sha256: hex::encode(sovbench_core::sha256(&e.value)),
            })
            .collect(),
        bulletin_position: None,
        bulletin_head: None,
    }
}

#[cfg(test)]
mod tests;
