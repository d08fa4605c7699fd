//! What the trustee keeps between polls: its committee membership and, per round, what it checked,
//! the noise it drew and what it decrypted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sovbench_secure::bulletin::CellSums;

/// The committee this trustee belongs to, from a completed DKG ceremony.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    /// The ceremony that made the committee.
    pub ceremony: String,
    /// This trustee's index (0-based) in the committee.
    pub index: u32,
    /// The committee document (`Committee::to_bytes`).
    pub committee: Vec<u8>,
    /// SHA-256 of the document.
    pub fingerprint: [u8; 32],
    /// Raw Ed25519 keys of the trustees in index order.
    pub trustee_keys: Vec<Vec<u8>>,
    /// Threshold t.
    pub threshold: u32,
    /// Trustees m.
    pub size: u32,
}

/// How far the trustee got with a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Bulletin and NOISE announcement checked, noise drawn and stored, not yet acknowledged.
    NoiseDrawn,
    /// The aggregator acknowledged the noise shares.
    NoisePosted,
    /// A DECRYPT announcement was accepted and the shares stored, not yet acknowledged.
    Decrypting,
    /// The aggregator acknowledged the decryption shares.
    Decrypted,
}

impl Phase {
    /// Name in the status output.
    pub fn key(self) -> &'static str {
        match self {
            Phase::NoiseDrawn => "noise-drawn",
            Phase::NoisePosted => "noise-posted",
            Phase::Decrypting => "decrypting",
            Phase::Decrypted => "decrypted",
        }
    }
}

/// What the trustee recorded for one round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundRecord {
    /// Round id.
    pub round_id: String,
    /// SHA-256 of the signed round parameters the announcement names.
    pub round_params_hash: Vec<u8>,
    /// The exact payload bytes of the NOISE announcement the trustee checked.
    pub noise_announcement: Vec<u8>,
    /// Their SHA-256.
    pub noise_announcement_sha256: [u8; 32],
    /// Per finest cell, count and ciphertext sums from the trustee's own tally of the bulletin.
    pub cells: BTreeMap<String, CellSums>,
    /// The signed `NoiseShares` message (encoded `SignedMessage`), stored before it was posted.
    pub noise_message: Vec<u8>,
    /// Whether the aggregator acknowledged it.
    pub noise_acknowledged: bool,
    /// SHA-256 of the one DECRYPT announcement the trustee decrypts for this round.
    pub decrypt_announcement_sha256: Option<[u8; 32]>,
    /// The signed `DecryptionShares` message, stored before it was posted.
    pub decryption_message: Option<Vec<u8>>,
    /// Whether the aggregator acknowledged it.
    pub decryption_acknowledged: bool,
    /// Unix seconds of the NOISE check.
    pub checked_at: i64,
}

impl RoundRecord {
    /// The phase the record is in.
    pub fn phase(&self) -> Phase {
        match (
            self.decrypt_announcement_sha256.is_some(),
            self.decryption_acknowledged,
            self.noise_acknowledged,
        ) {
            (true, true, _) => Phase::Decrypted,
            (true, false, _) => Phase::Decrypting,
            (false, _, true) => Phase::NoisePosted,
            (false, _, false) => Phase::NoiseDrawn,
        }
    }
}

/// An announcement the trustee refused, so that it is not checked again on every poll.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refusal {
    /// Round id.
    pub round_id: String,
    /// Which entry or cell, and why.
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}
