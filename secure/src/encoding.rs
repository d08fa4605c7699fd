//! What a node encrypts for one metric, and what the aggregator checks.
//!
//! Every true value is brought onto a small non-negative integer grid (the same clamping as in
//! mode `direct`) and encrypted under the committee key with a zero-knowledge proof that it lies
//! in the metric's range, so that no node can move a sum by more than its range:
//!
//! | metric type | plaintext | proof | cells |
//! |---|---|---|---|
//! | bounded integer [a, b] | v − a in 0..=b − a | range proof (ring decomposition) | 1 |
//! | share on a grid g | round(share · g) in 0..=g | range proof | 1 |
//! | yes / no | 0 or 1 | bit proof | 1 |
//! | category of k (path stages included) | one-hot | every option a bit, exactly one set | k |
//! | set of k items | k bits | every option a bit | k |
//! | path metrics under a path bound b | b slots, each one (path, stage) or empty | each slot one-of | stages |
//!
//! **Bound to its context.** The range proofs (bounded integers, shares and yes / no, the latter a
//! range proof over 0..=1) are made and checked in a Merlin transcript that starts with the
//! [`Context`]: the round id, the submitting node's public key and the metric id. A proof copied
//! into another round, under another signer or under another metric does not verify. The choice
//! proofs (categories, sets, path slots) come from `elastic_elgamal::app::EncryptedChoice`, whose
//! transcript is fixed by the crate; for them, and as a second line for all, the aggregator keeps
//! every component ciphertext it ever accepted ([`component_keys`]) and refuses a submission that
//! repeats one, within itself, within the round or from any earlier round. A copied ciphertext
//! cannot be re-randomised without a new proof, which needs the plaintext; the trustees refuse a
//! bulletin that holds one twice.

use elastic_elgamal::app::{ChoiceParams, EncryptedChoice, MultiChoice, SingleChoice};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use elastic_elgamal::{PreparedRange, RangeDecomposition, RangeProof};
use merlin::Transcript;
use serde::{Deserialize, Serialize};
use sovbench_core::catalogue::{MetricDef, TrueValue, ValueType};

use crate::{Ciphertext, Group, PublicKey, SecureError};

/// Where an encrypted value belongs: the round, the node that signs the submission and (from the
/// metric's definition) the metric. Every range proof's transcript starts with it.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The round's id.
    pub round_id: &'a str,
    /// The submitting node's raw Ed25519 public key.
    pub signer: &'a [u8],
}

/// Transcript label of a node's range proof (docs/SECURE-AGGREGATION.md, "Proofs bound to their
/// context").
pub const VALUE_LABEL: &[u8] = b"sovbench.v1.encrypted-value";

impl Context<'_> {
    /// The transcript of a range proof of `metric`: the label, then `round`, `signer` and
    /// `metric` as Merlin messages, in this order.
    pub fn transcript(&self, metric: &str) -> Transcript {
        let mut t = Transcript::new(VALUE_LABEL);
        t.append_message(b"round", self.round_id.as_bytes());
        t.append_message(b"signer", self.signer);
        t.append_message(b"metric", metric.as_bytes());
        t
    }
}

/// One metric's encrypted value with its proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Encrypted {
    /// A bounded integer or a share on its grid.
    Range(Ciphertext, RangeProof<Group>),
    /// Yes / no: a range proof over 0..=1.
    Bit(Ciphertext, RangeProof<Group>),
    /// One of k categories.
    OneHot(EncryptedChoice<Group, SingleChoice>),
    /// Any subset of k items.
    Items(EncryptedChoice<Group, MultiChoice>),
    /// The path block of a round with a path bound: b slots ([`paths`]).
    Slots(Vec<paths::Slot>),
}

pub mod paths;

/// The largest plaintext of a range metric: `b − a` (integers) or the grid (shares).
fn range_max(def: &MetricDef) -> Result<u64, SecureError> {
    u64::try_from(def.upper - def.lower)
        .ok()
        .filter(|m| (1..=1 << 20).contains(m))
        .ok_or_else(|| SecureError::Unsupported(def.id.clone()))
}

fn bad_value(def: &MetricDef, truth: &TrueValue, expected: &str) -> SecureError {
    SecureError::Value {
        metric: def.id.clone(),
        value: format!("{truth:?}"),
        expected: expected.to_string(),
    }
}

/// Prepared ranges by their upper bound.
type Ranges = HashMap<u64, Arc<PreparedRange<Group>>>;

/// The prepared range `0..upper` (its group elements precomputed), made once per range and kept:
/// preparing costs a scalar multiplication per admissible value, as much as a good part of the
/// proof check itself.
pub(crate) fn prepared_range(upper: u64) -> Arc<PreparedRange<Group>> {
    static CACHE: OnceLock<Mutex<Ranges>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(r) = cache.lock().ok().and_then(|c| c.get(&upper).cloned()) {
        return r;
    }
    let r: Arc<PreparedRange<Group>> = Arc::new(RangeDecomposition::optimal(upper).into());
    if let Ok(mut c) = cache.lock() {
        c.insert(upper, r.clone());
    }
    r
}

/// The plaintext of a true value: one integer (range and bit metrics) or one bit per option.
pub fn plaintext(def: &MetricDef, truth: &TrueValue) -> Result<Vec<u64>, SecureError> {
    match (def.value_type, truth) {
        (ValueType::BoundedInteger, TrueValue::Int(v)) => {
            Ok(vec![(def.clamp_value(*v) - def.lower) as u64])
        }
        (ValueType::BoundedShare, TrueValue::Share(s)) if s.is_finite() => {
            let grid = range_max(def)? as f64;
            Ok(vec![(s.clamp(0.0, 1.0) * grid).round() as u64])
        }
        (ValueType::Boolean, TrueValue::Bool(b)) => Ok(vec![u64::from(*b)]),
        (ValueType::Category, TrueValue::Category(key)) => {
            let i = def
                .category_index(key)
                .ok_or_else(|| bad_value(def, truth, "one of the metric's categories"))?;
            Ok((0..def.categories.len())
                .map(|j| u64::from(i == j))
                .collect())
        }
        (ValueType::SetOfItems, TrueValue::Set(items)) => {
            if let Some(unknown) = items.iter().find(|i| def.category_index(i).is_none()) {
                return Err(bad_value(
                    def,
                    &TrueValue::Category(unknown.clone()),
                    "an item of the metric",
                ));
            }
            Ok(def
                .categories
                .iter()
                .map(|c| u64::from(items.contains(&c.key)))
                .collect())
        }
        _ => Err(bad_value(def, truth, "a value of the metric's type")),
    }
}

/// Encrypts a node's true value of `def` under the committee key, with its proof (bound to
/// `ctx` where the proof takes a transcript).
pub fn encrypt<R: rand::CryptoRng + rand::RngCore>(
    key: &PublicKey,
    def: &MetricDef,
    truth: &TrueValue,
    ctx: &Context<'_>,
    rng: &mut R,
) -> Result<Encrypted, SecureError> {
    let plain = plaintext(def, truth)?;
    let mut transcript = ctx.transcript(&def.id);
    Ok(match def.value_type {
        ValueType::BoundedInteger | ValueType::BoundedShare => {
            let range = prepared_range(range_max(def)? + 1);
            let (c, proof) = RangeProof::new(key, &range, plain[0], &mut transcript, rng);
            Encrypted::Range(*c.inner(), proof)
        }
        ValueType::Boolean => {
            let range = prepared_range(2);
            let (c, proof) = RangeProof::new(key, &range, plain[0].min(1), &mut transcript, rng);
            Encrypted::Bit(*c.inner(), proof)
        }
        ValueType::Category => {
            let params = ChoiceParams::single(key.clone(), def.categories.len());
            let choice = plain.iter().position(|&b| b == 1).unwrap_or(0);
            Encrypted::OneHot(EncryptedChoice::single(&params, choice, rng))
        }
        ValueType::SetOfItems => {
            let params = ChoiceParams::multi(key.clone(), def.categories.len());
            let bits: Vec<bool> = plain.iter().map(|&b| b == 1).collect();
            Encrypted::Items(EncryptedChoice::new(&params, &bits, rng))
        }
    })
}

impl Encrypted {
    /// Encoding for the wire: JSON with base64url group elements and scalars (the range proof's
    /// serde form uses a flattened map, which compact binary formats do not support).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SecureError> {
        serde_json::to_vec(self).map_err(|_| SecureError::Malformed("encoding".into()))
    }

    /// Decodes an encoding made by [`Encrypted::to_bytes`]; nothing is checked yet.
    pub fn from_bytes(metric: &str, bytes: &[u8]) -> Result<Encrypted, SecureError> {
        serde_json::from_slice(bytes).map_err(|_| SecureError::Malformed(metric.to_string()))
    }

    /// The ciphertexts of a value verified when it was accepted, without checking the proof
    /// again (a path block gives its slots' option ciphertexts; use
    /// [`Encrypted::paths_unchecked`] for its sums).
    pub fn ciphertexts_unchecked(&self) -> Vec<Ciphertext> {
        match self {
            Encrypted::Range(c, _) | Encrypted::Bit(c, _) => vec![*c],
            Encrypted::OneHot(choice) => choice.choices_unchecked().to_vec(),
            Encrypted::Items(choice) => choice.choices_unchecked().to_vec(),
            Encrypted::Slots(slots) => slots
                .iter()
                .flat_map(|s| s.choices_unchecked().to_vec())
                .collect(),
        }
    }

    /// Checks the proof against the committee key, the metric and the context; returns the
    /// ciphertexts to add into the metric's cells (one, or one per category or item). The checks
    /// of the underlying crate run behind a panic guard: a malformed value from the network is
    /// refused, never a crash.
    pub fn verify(
        &self,
        key: &PublicKey,
        def: &MetricDef,
        ctx: &Context<'_>,
    ) -> Result<Vec<Ciphertext>, SecureError> {
        let proof_err = || SecureError::Proof(def.id.clone());
        let shape_err = || SecureError::Shape(def.id.clone());
        let k = def.categories.len();
        let run = || -> Result<Vec<Ciphertext>, SecureError> {
            match (self, def.value_type) {
                (
                    Encrypted::Range(c, proof),
                    ValueType::BoundedInteger | ValueType::BoundedShare,
                ) => {
                    let range = prepared_range(range_max(def)? + 1);
                    proof
                        .verify(key, &range, *c, &mut ctx.transcript(&def.id))
                        .map_err(|_| proof_err())?;
                    Ok(vec![*c])
                }
                (Encrypted::Bit(c, proof), ValueType::Boolean) => {
                    proof
                        .verify(key, &prepared_range(2), *c, &mut ctx.transcript(&def.id))
                        .map_err(|_| proof_err())?;
                    Ok(vec![*c])
                }
                (Encrypted::OneHot(choice), ValueType::Category) if choice.len() == k && k >= 1 => {
                    let params = ChoiceParams::single(key.clone(), k);
                    choice
                        .verify(&params)
                        .map(<[_]>::to_vec)
                        .map_err(|_| proof_err())
                }
                (Encrypted::Items(choice), ValueType::SetOfItems)
                    if choice.len() == k && k >= 1 =>
                {
                    let params = ChoiceParams::multi(key.clone(), k);
                    choice
                        .verify(&params)
                        .map(<[_]>::to_vec)
                        .map_err(|_| proof_err())
                }
                _ => Err(shape_err()),
            }
        };
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
            .unwrap_or_else(|_| Err(proof_err()))
    }
}

/// The keys under which the aggregator remembers the ciphertexts of an accepted value: the
/// random element `r·G` of each ciphertext the value carries (every option of a choice, every
/// slot of a path block). Two honest encryptions share it with probability about 2^-252, so a
/// repeated key is a copied ciphertext.
pub fn component_keys(enc: &Encrypted) -> Vec<[u8; 32]> {
    enc.ciphertexts_unchecked()
        .iter()
        .map(|c| {
            let bytes = c.to_bytes();
            let mut key = [0u8; 32];
            let n = bytes.len().min(32);
            key[..n].copy_from_slice(&bytes[..n]);
            key
        })
        .collect()
}

#[cfg(test)]
mod tests;
