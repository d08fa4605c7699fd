//! Verifiable threshold decryption of a cell: each trustee's share comes with a Chaum–Pedersen
//! proof against its public key share; any *t* valid shares recover the noisy sum.

use std::collections::HashMap;

use elastic_elgamal::group::ElementOps;
use elastic_elgamal::{CandidateDecryption, LogEqualityProof};
use serde::{Deserialize, Serialize};
use sovbench_core::pb;

use crate::committee::Committee;
use crate::noise::NoiseSpec;
use crate::round::SecureRound;
use crate::{Ciphertext, Group, SecureError, Trustee};

type Element = <Group as ElementOps>::Element;

/// One trustee's decryption share of one ciphertext, with its proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecryptionShare {
    /// The trustee's index (0-based) in the committee.
    pub index: u32,
    share: Vec<u8>,
    proof: LogEqualityProof<Group>,
}

impl DecryptionShare {
    /// Compact binary encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Decodes an encoding made by [`DecryptionShare::to_bytes`]; nothing is checked yet.
    pub fn from_bytes(bytes: &[u8]) -> Result<DecryptionShare, SecureError> {
        postcard::from_bytes(bytes).map_err(|_| SecureError::Malformed("decryption share".into()))
    }
}

/// The trustee's share of `c`.
pub fn share<R: rand::CryptoRng + rand::RngCore>(
    trustee: &Trustee,
    c: Ciphertext,
    rng: &mut R,
) -> DecryptionShare {
    let (share, proof) = trustee.decrypt_share(c, rng);
    DecryptionShare {
        index: trustee.index() as u32,
        share: share.to_bytes(),
        proof,
    }
}

/// Values that decrypt: −noise_bound ..= max_sum + noise_bound.
///
/// Up to [`DIRECT_LOOKUP`] values every value is in one lookup table; beyond, the lookup is
/// baby-step giant-step: a table of the first ⌈√len⌉ multiples of the generator (built once per
/// table, by additions) and at most ⌈√len⌉ giant steps per decryption. For 11,000
/// administrations × a share grid of 1,000 (about 1.1 · 10^7 values) that is some 3,300 table
/// entries and at most as many point subtractions per cell.
pub struct Table {
    baby: HashMap<[u8; 32], u64>,
    /// Number of baby steps: the table holds 0 · g … (step − 1) · g.
    step: u64,
    /// −step · g.
    giant: Element,
    offset: u64,
    len: u64,
}

/// Largest range looked up in a single table.
pub const DIRECT_LOOKUP: u64 = 1 << 16;

fn element_key(e: &Element) -> [u8; 32] {
    let mut out = [0u8; 32];
    Group::serialize_element(e, &mut out);
    out
}

impl Table {
    /// A table for sums of at most `max_sum` with noise of at most `noise_bound` either way.
    pub fn new(max_sum: u64, noise_bound: u64) -> Table {
        let len = max_sum
            .saturating_add(noise_bound.saturating_mul(2))
            .saturating_add(1);
        let step = if len <= DIRECT_LOOKUP + 1 {
            len
        } else {
            (len as f64).sqrt().ceil() as u64
        };
        let g = Group::generator();
        let mut baby = HashMap::with_capacity(step as usize);
        let mut x = Group::identity();
        for i in 0..step {
            baby.insert(element_key(&x), i);
            x += g;
        }
        Table {
            baby,
            step,
            giant: -x,
            offset: noise_bound,
            len,
        }
    }

    /// Values the table covers.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the table covers no value (never: it holds at least 0).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The v in 0..len with v · g = `e`.
    fn lookup(&self, e: Element) -> Option<u64> {
        let mut x = e;
        let mut base = 0u64;
        while base < self.len {
            if let Some(&j) = self.baby.get(&element_key(&x)) {
                let v = base + j;
                return (v < self.len).then_some(v);
            }
            x += self.giant;
            base += self.step;
        }
        None
    }
}

/// The table for the announced cells of a round: sums up to the largest n × the largest
/// component maximum, noise up to the largest [`NoiseSpec::bound`] of the cells' scales (all m
/// trustees' shares).
pub fn table_for(round: &SecureRound, announced: &[pb::AnnouncedCell]) -> Table {
    let component_max = round.component_max().into_iter().max().unwrap_or(1);
    let n = announced.iter().map(|c| u64::from(c.n)).max().unwrap_or(0);
    let (m, t) = (round.committee.size(), round.committee.threshold());
    let bound = announced
        .iter()
        .filter_map(|c| NoiseSpec::new(c.scale, m, t).ok())
        .map(|s| s.bound())
        .max()
        .unwrap_or(0);
    Table::new(n.saturating_mul(component_max), bound)
}

/// Checks one trustee's decryption share of `c` against the committee document: the index is a
/// trustee's, the share decodes, and its proof of equal discrete logarithms holds.
pub fn verify_share(
    committee: &Committee,
    c: Ciphertext,
    s: &DecryptionShare,
) -> Result<(), SecureError> {
    let i = s.index as usize;
    let bad = || SecureError::BadShare(i);
    if i >= committee.size() {
        return Err(bad());
    }
    let candidate = CandidateDecryption::<Group>::from_bytes(&s.share).ok_or_else(bad)?;
    committee
        .key_set()
        .verify_share(candidate, c, i, &s.proof)
        .map(|_| ())
        .map_err(|_| bad())
}

/// The outcome of combining shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The decrypted (noisy) sum.
    pub value: i64,
    /// Trustees whose shares did not verify (detected tampering or a fault).
    pub rejected: Vec<u32>,
}

/// Verifies every share of `c`, combines the first *t* valid ones and looks the sum up.
pub fn combine(
    committee: &Committee,
    c: Ciphertext,
    shares: &[DecryptionShare],
    table: &Table,
) -> Result<Decrypted, SecureError> {
    let mut valid = Vec::new();
    let mut rejected = Vec::new();
    for s in shares {
        let i = s.index as usize;
        if i >= committee.size() || valid.iter().any(|(j, _)| *j == i) {
            rejected.push(s.index);
            continue;
        }
        let Some(candidate) = CandidateDecryption::<Group>::from_bytes(&s.share) else {
            rejected.push(s.index);
            continue;
        };
        match committee.key_set().verify_share(candidate, c, i, &s.proof) {
            Ok(v) => valid.push((i, v)),
            Err(_) => rejected.push(s.index),
        }
    }
    let need = committee.threshold();
    if valid.len() < need {
        return Err(SecureError::TooFewShares {
            got: valid.len(),
            need,
        });
    }
    let params = crate::committee::params(need, committee.size())?;
    let combined = params
        .combine_shares(valid.into_iter().take(need))
        .ok_or(SecureError::TooFewShares { got: 0, need })?;
    let shifted = c + Ciphertext::non_blinded(table.offset);
    let v = table
        .lookup(combined.decrypt_to_element(shifted))
        .ok_or(SecureError::OutOfTable(table.len))?;
    Ok(Decrypted {
        value: v as i64 - table.offset as i64,
        rejected,
    })
}

#[cfg(test)]
mod tests;
