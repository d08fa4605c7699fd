//! The bulletin of each secure round: its acknowledged submissions in acknowledgement order, each
//! with the node's finest cell and the chain hash ([`sovbench_secure::bulletin::chain`]).
//!
//! [`Bulletins`] keeps, per secure round, the node key, cell and chain hash of every entry in
//! memory (about 100 bytes an entry). The commit worker appends when it numbers a submission, so
//! that the receipt carries the position and head; at start, and after a failed group commit,
//! a round's bulletin is rebuilt from the store. Pages are served from it, each entry's bytes
//! read from the store (an entry not yet durable is not served).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use prost::Message as _;
use sovbench_core::pb;
use sovbench_secure::bulletin::{chain, GENESIS};
use sovbench_secure::grid::finest_cell;

use crate::error::AggError;
use crate::model::{RoundStatus, StoredSubmission};
use crate::store::{submission_key, Store};

/// Most entries on one page.
pub const PAGE_ENTRIES: u32 = 256;
/// Most submission bytes on one page (the page stays below the 16 MiB answer limit).
pub const PAGE_BYTES: usize = 4 * 1024 * 1024;

/// One entry as kept in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Raw public key of the node.
    pub node_key: Vec<u8>,
    /// Its finest cell.
    pub cell: String,
    /// Chain hash after it.
    pub chain: [u8; 32],
}

/// The bulletins of all secure rounds (`None` marks a round in mode direct).
#[derive(Debug, Default)]
pub struct Bulletins {
    rounds: Mutex<HashMap<String, Option<Vec<Entry>>>>,
}

fn is_secure(store: &Store, round_id: &str) -> Result<bool, AggError> {
    match crate::rounds::round_params(store, round_id) {
        Ok(p) => Ok(p.mode == pb::RoundMode::SecureAggregation as i32),
        Err(AggError::UnknownRound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The entries of a round's bulletin from the store: acknowledged submissions in order.
pub fn from_store(
    store: &Store,
    round_id: &str,
) -> Result<Vec<(Entry, StoredSubmission)>, AggError> {
    let mut subs = store.submissions(round_id)?;
    subs.sort_by_key(|s| s.acknowledged);
    let mut head = GENESIS;
    let mut out = Vec::with_capacity(subs.len());
    for s in subs {
        let msg = pb::SignedMessage::decode(s.message.as_slice())?;
        let cell = finest_cell(&s.attributes);
        head = chain(&head, &s.message, &cell);
        out.push((
            Entry {
                node_key: msg.signer,
                cell,
                chain: head,
            },
            s,
        ));
    }
    Ok(out)
}

impl Bulletins {
    /// Rebuilds the bulletins of every unpublished secure round from the store.
    pub fn load(store: &Store) -> Result<Bulletins, AggError> {
        let b = Bulletins::default();
        for (id, st) in store.round_states()? {
            if st.status != RoundStatus::Published {
                // A round that cannot be read is left out here (and tried again on first use):
                // the start-up checks of the acknowledgement record name what is wrong.
                if let Err(e) = b.reload(store, &id) {
                    tracing::warn!(round = %id, error = %e, "bulletin not loaded");
                }
            }
        }
        Ok(b)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Option<Vec<Entry>>>> {
        // Every change is a whole push or a whole replacement: a poisoned lock holds
        // consistent data.
        self.rounds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rebuilds one round's bulletin from the store.
    pub fn reload(&self, store: &Store, round_id: &str) -> Result<(), AggError> {
        let entries = if is_secure(store, round_id)? {
            Some(
                from_store(store, round_id)?
                    .into_iter()
                    .map(|(e, _)| e)
                    .collect(),
            )
        } else {
            None
        };
        self.lock().insert(round_id.to_string(), entries);
        Ok(())
    }

    /// Appends the submission numbered `acknowledged` (from 1) to the bulletin of a secure round;
    /// returns its position and the head after it (`None` for a round in mode direct).
    pub fn append(
        &self,
        store: &Store,
        round_id: &str,
        node_key: &[u8],
        s: &StoredSubmission,
    ) -> Result<Option<(u64, [u8; 32])>, AggError> {
        if !self.lock().contains_key(round_id) {
            self.reload(store, round_id)?;
        }
        let mut rounds = self.lock();
        let Some(Some(entries)) = rounds.get_mut(round_id) else {
            return Ok(None);
        };
        let position = s.acknowledged.saturating_sub(1);
        if position != entries.len() as u64 {
            return Err(AggError::Storage(format!(
                "bulletin of round {round_id}: entry {position} after {} entries",
                entries.len()
            )));
        }
        let prev = entries.last().map_or(GENESIS, |e| e.chain);
        let cell = finest_cell(&s.attributes);
        let head = chain(&prev, &s.message, &cell);
        entries.push(Entry {
            node_key: node_key.to_vec(),
            cell,
            chain: head,
        });
        Ok(Some((position, head)))
    }

    /// The position and chain hash of the stored submission numbered `acknowledged` (a retry's
    /// receipt); `None` in mode direct.
    pub fn at(&self, round_id: &str, acknowledged: u64) -> Option<(u64, [u8; 32])> {
        let rounds = self.lock();
        let entries = rounds.get(round_id)?.as_ref()?;
        let position = acknowledged.checked_sub(1)?;
        entries.get(position as usize).map(|e| (position, e.chain))
    }

    /// Length and head of a round's bulletin.
    pub fn head(&self, round_id: &str) -> Option<(u64, [u8; 32])> {
        let rounds = self.lock();
        let entries = rounds.get(round_id)?.as_ref()?;
        Some((
            entries.len() as u64,
            entries.last().map_or(GENESIS, |e| e.chain),
        ))
    }

    /// A page of a round's bulletin: at most `limit` (≤ [`PAGE_ENTRIES`]) entries from `from`,
    /// at most [`PAGE_BYTES`] of submissions (at least one entry).
    pub fn page(
        &self,
        store: &Store,
        round_id: &str,
        from: u64,
        limit: u32,
    ) -> Result<pb::BulletinPage, AggError> {
        if !self.lock().contains_key(round_id) {
            self.reload(store, round_id)?;
        }
        let (slice, total, head) = {
            let rounds = self.lock();
            let entries = match rounds.get(round_id) {
                Some(Some(e)) => e,
                _ => return Err(AggError::UnknownRound(round_id.to_string())),
            };
            let limit = if limit == 0 {
                PAGE_ENTRIES
            } else {
                limit.min(PAGE_ENTRIES)
            };
            let start = (from as usize).min(entries.len());
            let end = start.saturating_add(limit as usize).min(entries.len());
            (
                entries[start..end].to_vec(),
                entries.len() as u64,
                entries.last().map_or(GENESIS, |e| e.chain),
            )
        };
        let mut page = pb::BulletinPage {
            round_id: round_id.to_string(),
            entries: Vec::with_capacity(slice.len()),
            total,
            head: head.to_vec(),
        };
        let mut bytes = 0;
        for (i, e) in slice.into_iter().enumerate() {
            let Some(s) = store.submission(&submission_key(round_id, &e.node_key))? else {
                break;
            };
            bytes += s.message.len();
            if bytes > PAGE_BYTES && i > 0 {
                break;
            }
            page.entries.push(pb::BulletinEntry {
                position: from + i as u64,
                submission: s.message,
                cell: e.cell,
                chain: e.chain.to_vec(),
            });
        }
        Ok(page)
    }
}
