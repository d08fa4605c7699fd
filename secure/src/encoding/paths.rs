//! The path block of a round with a path bound b: the round's path metrics encrypted together as
//! b slots (docs/SECURE-AGGREGATION.md, "Paths").
//!
//! Each slot is one encrypted choice among the options "(path, stage)" of every path metric of the
//! round (stages only, never "not on the path") and a last option "empty", proved to have exactly
//! one option set. An administration on at most b paths fills one slot per path; one on more paths
//! fills the slots with b of its paths **drawn uniformly at random** (the bias this gives is
//! documented). The component of option j is the homomorphic sum of option j over the slots, so
//! one administration moves the decrypted counts by at most 2·b in L1 whatever it sends.

use elastic_elgamal::app::{ChoiceParams, EncryptedChoice, SingleChoice};
use rand::seq::SliceRandom;
use sovbench_core::catalogue::TrueValue;
use sovbench_core::paths::NOT_ON_PATH;
use sovbench_core::pb;

use super::Encrypted;
use crate::round::{SecureRound, PATH_BLOCK};
use crate::{Ciphertext, SecureError};

/// Encrypts the path metrics' true values (`truths` in the round's metric order, one per metric;
/// values of other metrics are ignored) as the round's path block.
pub fn encrypt_paths<R: rand::CryptoRng + rand::RngCore>(
    round: &SecureRound,
    truths: &[TrueValue],
    rng: &mut R,
) -> Result<Encrypted, SecureError> {
    let options = round.path_options();
    let mut chosen: Vec<usize> = Vec::new();
    for (i, def) in round.metrics.iter().enumerate() {
        if !round.in_path_block(def) {
            continue;
        }
        let key = match truths.get(i) {
            Some(TrueValue::Category(key)) if def.category_index(key).is_some() => key.as_str(),
            other => {
                return Err(SecureError::Value {
                    metric: def.id.clone(),
                    value: format!("{other:?}"),
                    expected: "one of the path's stages or \"keiner\"".into(),
                })
            }
        };
        if key == NOT_ON_PATH {
            continue;
        }
        let option = options
            .iter()
            .position(|&(m, k)| m == i && k == key)
            .ok_or_else(|| SecureError::Shape(def.id.clone()))?;
        chosen.push(option);
    }
    chosen.shuffle(rng);
    let params = ChoiceParams::single(round.committee.key().clone(), options.len() + 1);
    let slots = (0..round.path_bound as usize)
        .map(|s| {
            let option = chosen.get(s).copied().unwrap_or(options.len());
            EncryptedChoice::single(&params, option, rng)
        })
        .collect();
    Ok(Encrypted::Slots(slots))
}

impl Encrypted {
    /// Checks a path block against the round: b slots, each a proved one-of choice over the
    /// round's path options and "empty". Returns, per path metric of the round (in the round's
    /// order), the ciphertexts of its stages summed over the slots.
    pub fn verify_paths(&self, round: &SecureRound) -> Result<Vec<Vec<Ciphertext>>, SecureError> {
        let shape_err = || SecureError::Shape(PATH_BLOCK.into());
        let proof_err = || SecureError::Proof(PATH_BLOCK.into());
        let Encrypted::Slots(slots) = self else {
            return Err(shape_err());
        };
        let options = round.path_options();
        if slots.len() != round.path_bound as usize
            || slots.iter().any(|s| s.len() != options.len() + 1)
        {
            return Err(shape_err());
        }
        let params = ChoiceParams::single(round.committee.key().clone(), options.len() + 1);
        let run = || -> Result<Vec<Ciphertext>, SecureError> {
            let mut sums = vec![Ciphertext::zero(); options.len()];
            for slot in slots {
                let cts = slot.verify(&params).map_err(|_| proof_err())?;
                for (sum, ct) in sums.iter_mut().zip(cts) {
                    *sum += *ct;
                }
            }
            Ok(sums)
        };
        let sums = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
            .unwrap_or_else(|_| Err(proof_err()))?;
        Ok(by_metric(&options, sums))
    }

    /// [`Encrypted::verify_paths`] without checking the proofs (for a block verified when it was
    /// accepted); the shape is checked.
    pub fn paths_unchecked(
        &self,
        round: &SecureRound,
    ) -> Result<Vec<Vec<Ciphertext>>, SecureError> {
        let Encrypted::Slots(slots) = self else {
            return Err(SecureError::Shape(PATH_BLOCK.into()));
        };
        let options = round.path_options();
        if slots.len() != round.path_bound as usize
            || slots.iter().any(|s| s.len() != options.len() + 1)
        {
            return Err(SecureError::Shape(PATH_BLOCK.into()));
        }
        let mut sums = vec![Ciphertext::zero(); options.len()];
        for slot in slots {
            for (sum, ct) in sums.iter_mut().zip(slot.choices_unchecked()) {
                *sum += *ct;
            }
        }
        Ok(by_metric(&options, sums))
    }
}

/// The option sums grouped per path metric (options are ordered by metric).
fn by_metric(options: &[(usize, &str)], sums: Vec<Ciphertext>) -> Vec<Vec<Ciphertext>> {
    {
        let mut per_metric: Vec<Vec<Ciphertext>> = Vec::new();
        let mut last = None;
        for ((m, _), ct) in options.iter().zip(sums) {
            if last != Some(*m) {
                per_metric.push(Vec::new());
                last = Some(*m);
            }
            if let Some(v) = per_metric.last_mut() {
                v.push(ct);
            }
        }
        per_metric
    }
}

/// The `encrypted` part of a submission: every metric outside the path block in the round's
/// order, each with its proof, then the path block if the round has a path bound
/// ([`crate::bulletin::verify_submission`] expects exactly this). `truths` holds one true value
/// per metric of the round, in its order; `signer` is the raw public key of the node that will
/// sign the submission (the range proofs are bound to it, [`super::Context`]).
pub fn encrypt_submission<R: rand::CryptoRng + rand::RngCore>(
    round: &SecureRound,
    truths: &[TrueValue],
    signer: &[u8],
    rng: &mut R,
) -> Result<Vec<pb::EncryptedValue>, SecureError> {
    let ctx = super::Context {
        round_id: &round.round_id,
        signer,
    };
    if truths.len() != round.metrics.len() {
        return Err(SecureError::Round(format!(
            "{} values for {} metrics",
            truths.len(),
            round.metrics.len()
        )));
    }
    let mut out = Vec::with_capacity(round.metrics.len());
    for (def, truth) in round.metrics.iter().zip(truths) {
        if round.in_path_block(def) {
            continue;
        }
        out.push(pb::EncryptedValue {
            metric: def.id.clone(),
            value: super::encrypt(round.committee.key(), def, truth, &ctx, rng)?.to_bytes()?,
        });
    }
    if round.bounded_paths() {
        out.push(pb::EncryptedValue {
            metric: PATH_BLOCK.to_string(),
            value: encrypt_paths(round, truths, rng)?.to_bytes()?,
        });
    }
    Ok(out)
}

// Only `SingleChoice` slots; the type is named here so that the enum's variant reads plainly.
pub(super) type Slot = EncryptedChoice<crate::Group, SingleChoice>;
