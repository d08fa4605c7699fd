//! The bulletin of a secure round: the append-only list of accepted submissions, each with the
//! submitting administration's finest cell, chained by hashes. The aggregator appends to it in
//! acknowledgement order; the trustees (and anyone given it) recompute from it the cells the
//! trustees decrypt ([`Tally`]).
//!
//! Chain: `chain(i) = SHA-256(chain(i − 1) ‖ SHA-256(submission bytes) ‖ cell)`, with 32 zero
//! bytes before entry 0. The head after the last entry is in the announcement and the
//! publication.

use std::collections::{BTreeMap, HashSet};

use prost::Message as _;
use serde::{Deserialize, Serialize};
use sovbench_core::envelope;
use sovbench_core::pb;

use crate::encoding::{component_keys, Context, Encrypted};
use crate::grid;
use crate::round::{SecureRound, PATH_BLOCK};
use crate::{Ciphertext, SecureError};

/// The chain hash before the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// The chain hash after an entry.
pub fn chain(prev: &[u8; 32], submission: &[u8], cell: &str) -> [u8; 32] {
    let mut buf = Vec::with_capacity(64 + cell.len());
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&sovbench_core::sha256(submission));
    buf.extend_from_slice(cell.as_bytes());
    sovbench_core::sha256(&buf)
}

/// Wire form of one ciphertext (noise shares): postcard of its two group elements.
pub fn ciphertext_to_bytes(c: &Ciphertext) -> Vec<u8> {
    postcard::to_allocvec(c).unwrap_or_default()
}

/// Decodes [`ciphertext_to_bytes`]; refuses anything else (including trailing bytes).
pub fn ciphertext_from_bytes(bytes: &[u8]) -> Result<Ciphertext, SecureError> {
    match postcard::take_from_bytes::<Ciphertext>(bytes) {
        Ok((c, [])) => Ok(c),
        _ => Err(SecureError::Malformed("ciphertext".into())),
    }
}

/// Checks the encrypted part of a decoded submission against the round: one encrypted value per
/// metric, in the round's order, each with a valid proof bound to the round, `signer` (the raw
/// public key that signed it) and the metric; no plain releases; no ciphertext twice. Returns
/// the ciphertexts of all components, flattened in cell order, and the keys of every ciphertext
/// the submission carries ([`crate::encoding::component_keys`]). The signature is the caller's to
/// check first.
pub fn verify_submission(
    round: &SecureRound,
    sub: &pb::Submission,
    signer: &[u8],
) -> Result<Verified, SecureError> {
    let mut keys = Vec::new();
    let components = components_of(round, sub, Some((signer, &mut keys)))?;
    let mut seen = HashSet::with_capacity(keys.len());
    if keys.iter().any(|k| !seen.insert(*k)) {
        return Err(SecureError::Round(
            "the submission holds the same ciphertext twice".into(),
        ));
    }
    Ok(Verified { components, keys })
}

/// What [`verify_submission`] gives.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The component ciphertexts in cell order.
    pub components: Vec<Ciphertext>,
    /// The key of every ciphertext the submission carries, each once.
    pub keys: Vec<[u8; 32]>,
}

/// The component ciphertexts of a submission that was verified when it was accepted, in the
/// order of [`verify_submission`], without checking the proofs again (the shape is checked).
pub fn components_unchecked(
    round: &SecureRound,
    sub: &pb::Submission,
) -> Result<Vec<Ciphertext>, SecureError> {
    components_of(round, sub, None)
}

/// With `verify` (the signer and where to put the ciphertext keys), every proof is checked.
fn components_of(
    round: &SecureRound,
    sub: &pb::Submission,
    mut verify: Option<(&[u8], &mut Vec<[u8; 32]>)>,
) -> Result<Vec<Ciphertext>, SecureError> {
    if !sub.releases.is_empty() {
        return Err(SecureError::Round(
            "a submission to a secure round carries plain releases".into(),
        ));
    }
    // Expected entries: every metric outside the path block in the round's order, then the path
    // block (one value) if the round has a path bound.
    let singles: Vec<usize> = (0..round.metrics.len())
        .filter(|&i| !round.in_path_block(&round.metrics[i]))
        .collect();
    let block = round.bounded_paths();
    let expected = singles.len() + usize::from(block);
    if sub.encrypted.len() != expected {
        return Err(SecureError::Round(format!(
            "{} encrypted values where the round expects {expected}",
            sub.encrypted.len(),
        )));
    }
    let mut per_metric: Vec<Vec<Ciphertext>> = vec![Vec::new(); round.metrics.len()];
    for (value, &i) in sub.encrypted.iter().zip(&singles) {
        let def = &round.metrics[i];
        if value.metric != def.id {
            return Err(SecureError::Round(format!(
                "encrypted value for {:?} where the round has {}",
                value.metric, def.id
            )));
        }
        let enc = Encrypted::from_bytes(&def.id, &value.value)?;
        per_metric[i] = match verify.as_mut() {
            Some((signer, keys)) => {
                let ctx = Context {
                    round_id: &round.round_id,
                    signer,
                };
                let cts = enc.verify(round.committee.key(), def, &ctx)?;
                keys.extend(component_keys(&enc));
                cts
            }
            None => enc.ciphertexts_unchecked(),
        };
    }
    if block {
        let value = &sub.encrypted[singles.len()];
        if value.metric != PATH_BLOCK {
            return Err(SecureError::Round(format!(
                "encrypted value for {:?} where the round has the path block {PATH_BLOCK}",
                value.metric
            )));
        }
        let enc = Encrypted::from_bytes(PATH_BLOCK, &value.value)?;
        let paths = match verify.as_mut() {
            Some((_, keys)) => {
                let paths = enc.verify_paths(round)?;
                keys.extend(component_keys(&enc));
                paths
            }
            None => enc.paths_unchecked(round)?,
        };
        let path_metrics =
            (0..round.metrics.len()).filter(|&i| round.in_path_block(&round.metrics[i]));
        for (i, cts) in path_metrics.zip(paths) {
            per_metric[i] = cts;
        }
    }
    let out: Vec<Ciphertext> = per_metric.into_iter().flatten().collect();
    if out.len() != round.cell_width() {
        return Err(SecureError::Shape(sub.round_id.clone()));
    }
    Ok(out)
}

/// What the order-independent checks of an entry give: its signer, its component ciphertexts and
/// the keys of every ciphertext it carries.
struct Checked {
    signer: Vec<u8>,
    cts: Vec<Ciphertext>,
    keys: Vec<[u8; 32]>,
}

/// The checks of one entry that do not depend on the entries before it: a kind × size cell, the
/// signature over the exact bytes (before decoding), a submission to this round, every proof.
fn check_entry(
    round: &SecureRound,
    round_params_hash: &[u8],
    entry: &pb::BulletinEntry,
) -> Result<Checked, SecureError> {
    let refuse = |why: String| SecureError::Bulletin {
        position: entry.position,
        why,
    };
    if grid::parse_finest(&entry.cell).is_none() {
        return Err(refuse(format!(
            "cell {:?} is not a kind × size cell of an enrolment",
            entry.cell
        )));
    }
    let msg = pb::SignedMessage::decode(entry.submission.as_slice())
        .map_err(|_| refuse("the submission does not decode".into()))?;
    let opened = envelope::open(&msg).map_err(|e| refuse(format!("the submission: {e}")))?;
    let sub = match opened.body {
        pb::payload::Body::Submission(s) => s,
        _ => return Err(refuse("not a submission".into())),
    };
    if sub.round_id != round.round_id || sub.round_params_hash != round_params_hash {
        return Err(refuse("a submission to another round".into()));
    }
    let verified =
        verify_submission(round, &sub, &msg.signer).map_err(|e| refuse(e.to_string()))?;
    Ok(Checked {
        signer: msg.signer,
        cts: verified.components,
        keys: verified.keys,
    })
}

/// Per finest cell: the count of entries and the sum of their ciphertexts (cell order).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellSums {
    /// Entries in the cell.
    pub n: u32,
    /// Sum of the entries' component ciphertexts.
    pub sums: Vec<Ciphertext>,
}

/// A recomputation of the cells from the bulletin, entry by entry, refusing anything a bulletin
/// must not hold.
#[derive(Debug, Clone)]
pub struct Tally {
    round_params_hash: Vec<u8>,
    head: [u8; 32],
    next: u64,
    signers: HashSet<Vec<u8>>,
    ciphertexts: HashSet<[u8; 32]>,
    cells: BTreeMap<String, CellSums>,
}

impl Tally {
    /// An empty tally for the round whose signed parameters hash to `round_params_hash`.
    pub fn new(round_params_hash: &[u8]) -> Tally {
        Tally {
            round_params_hash: round_params_hash.to_vec(),
            head: GENESIS,
            next: 0,
            signers: HashSet::new(),
            ciphertexts: HashSet::new(),
            cells: BTreeMap::new(),
        }
    }

    /// Adds the next entry. Refused: a position out of order, a chain hash that does not follow,
    /// an invalid node signature (checked over the exact bytes before decoding), a message that is
    /// not a submission to this round, a cell that is not a kind × size cell, a signer or a
    /// ciphertext seen before, a missing or invalid proof. A refused entry leaves the tally as it
    /// was.
    pub fn add(
        &mut self,
        round: &SecureRound,
        entry: &pb::BulletinEntry,
    ) -> Result<(), SecureError> {
        let checked = check_entry(round, &self.round_params_hash, entry);
        self.absorb(entry, checked)
    }

    /// Adds many entries in order, checking signatures and proofs (the expensive part) on
    /// `threads` threads first; the same refusals as [`Tally::add`], the first one wins.
    pub fn add_all(
        &mut self,
        round: &SecureRound,
        entries: &[pb::BulletinEntry],
        threads: usize,
    ) -> Result<(), SecureError> {
        let hash = self.round_params_hash.clone();
        let chunk = entries.len().div_ceil(threads.max(1)).max(1);
        let checked: Vec<Result<Checked, SecureError>> = std::thread::scope(|s| {
            let handles: Vec<_> = entries
                .chunks(chunk)
                .map(|part| {
                    let hash = &hash;
                    s.spawn(move || {
                        part.iter()
                            .map(|e| check_entry(round, hash, e))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![Err(SecureError::Malformed("bulletin check".into()))]
                    })
                })
                .collect()
        });
        if checked.len() != entries.len() {
            return Err(SecureError::Malformed("bulletin check".into()));
        }
        for (e, c) in entries.iter().zip(checked) {
            self.absorb(e, c)?;
        }
        Ok(())
    }

    /// The order-dependent part of adding an entry: position, chain, duplicates; then the sums.
    fn absorb(
        &mut self,
        entry: &pb::BulletinEntry,
        checked: Result<Checked, SecureError>,
    ) -> Result<(), SecureError> {
        let refuse = |why: String| SecureError::Bulletin {
            position: entry.position,
            why,
        };
        if entry.position != self.next {
            return Err(refuse(format!("expected position {}", self.next)));
        }
        let next_head = chain(&self.head, &entry.submission, &entry.cell);
        if entry.chain.as_slice() != next_head.as_slice() {
            return Err(refuse("the chain hash does not follow".into()));
        }
        let Checked { signer, cts, keys } = checked?;
        if self.signers.contains(&signer) {
            return Err(refuse(format!(
                "a second submission of {}",
                envelope::fingerprint(&signer)
            )));
        }
        // Signer and ciphertexts are recorded only once every check has passed.
        // Each entry's keys are distinct ([`verify_submission`] refuses a repetition).
        if keys.iter().any(|k| self.ciphertexts.contains(k)) {
            return Err(refuse("a ciphertext copied from an earlier entry".into()));
        }
        self.signers.insert(signer);
        self.ciphertexts.extend(keys);
        let cell = self
            .cells
            .entry(entry.cell.clone())
            .or_insert_with(|| CellSums {
                n: 0,
                sums: vec![Ciphertext::zero(); cts.len()],
            });
        cell.n += 1;
        for (s, c) in cell.sums.iter_mut().zip(cts) {
            *s += c;
        }
        self.head = next_head;
        self.next += 1;
        Ok(())
    }

    /// Entries added.
    pub fn len(&self) -> u64 {
        self.next
    }

    /// Whether no entry was added.
    pub fn is_empty(&self) -> bool {
        self.next == 0
    }

    /// The chain hash after the last entry.
    pub fn head(&self) -> [u8; 32] {
        self.head
    }

    /// Entries per finest cell.
    pub fn counts(&self) -> BTreeMap<String, u32> {
        self.cells.iter().map(|(k, v)| (k.clone(), v.n)).collect()
    }

    /// Per finest cell: count and ciphertext sums.
    pub fn cells(&self) -> &BTreeMap<String, CellSums> {
        &self.cells
    }

    /// The ciphertext sums of the announced cells, cells × components, without noise.
    pub fn announced_sums(
        &self,
        round: &SecureRound,
        announced: &[pb::AnnouncedCell],
    ) -> Vec<Ciphertext> {
        sums_of(&self.cells, round.cell_width(), announced)
    }
}

/// The ciphertext sums of announced cells from per-finest-cell sums, cells × components.
pub fn sums_of(
    cells: &BTreeMap<String, CellSums>,
    width: usize,
    announced: &[pb::AnnouncedCell],
) -> Vec<Ciphertext> {
    let mut out = Vec::with_capacity(announced.len() * width);
    for a in announced {
        let mut sums = vec![Ciphertext::zero(); width];
        for m in &a.members {
            if let Some(c) = cells.get(m) {
                for (s, x) in sums.iter_mut().zip(&c.sums) {
                    *s += *x;
                }
            }
        }
        out.extend(sums);
    }
    out
}

#[cfg(test)]
mod tests;
