//! Verifiable threshold decryption of a cell: each trustee's share comes with a Chaum–Pedersen
//! proof against its public key share; any *t* valid shares recover the noisy sum.

use elastic_elgamal::{CandidateDecryption, DiscreteLogTable, LogEqualityProof};
use serde::{Deserialize, Serialize};

use crate::committee::Committee;
use crate::{Ciphertext, Group, SecureError, Trustee};

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
pub struct Table {
    table: DiscreteLogTable<Group>,
    offset: u64,
    len: u64,
}

impl Table {
    /// A table for sums of at most `max_sum` with noise of at most `noise_bound` either way.
    pub fn new(max_sum: u64, noise_bound: u64) -> Table {
        let len = max_sum + 2 * noise_bound + 1;
        Table {
            table: DiscreteLogTable::new(0..len),
            offset: noise_bound,
            len,
        }
    }
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
    let v = combined
        .decrypt(shifted, &table.table)
        .ok_or(SecureError::OutOfTable(table.len))?;
    Ok(Decrypted {
        value: v as i64 - table.offset as i64,
        rejected,
    })
}
