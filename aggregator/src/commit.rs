//! Group commit: one worker thread owns every write of submissions, every round close and every
//! revocation, so that duplicate checks, revocation, the round's open state and the durable
//! commit are decided in one place and in one order. Concurrent submissions that arrive while a
//! commit is under way are written together and share one `fsync`.
//!
//! Nothing is answered from memory: every receipt, a retry's too, goes out only after a
//! successful durable commit (flush and `fsync`) of the group it arrived in, and after the
//! acknowledgement record ([`crate::acks`]) holds the round's new count. A group with only
//! retries still commits, since what they were answered from may not be durable yet (a commit
//! that failed leaves its writes in sled's memory). A close or a revocation first commits and
//! answers everything that arrived before it; whatever arrives after it sees the closed round or
//! the revoked key.

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use prost::Message as _;
use sovbench_core::envelope::{fingerprint, Identity};
use sovbench_core::pb;
use tokio::sync::oneshot;

use crate::acks::{self, AckLog};
use crate::error::AggError;
use crate::model::{Enrolment, RoundState, RoundStatus, StoredSubmission};
use crate::secure::bulletin::Bulletins;
use crate::store::{submission_key, Store, SubmissionBatch};

/// Most submissions in one group commit.
pub const MAX_BATCH: usize = 512;
/// Queue length before callers are told the aggregator is busy.
pub const QUEUE: usize = 8_192;

/// A checked submission waiting to be stored.
pub struct PendingSubmission {
    /// Round id.
    pub round_id: String,
    /// Raw public key of the node.
    pub node_key: Vec<u8>,
    /// Mode secure: the keys of every ciphertext the submission carries (none in mode direct).
    pub ciphertext_keys: Vec<[u8; 32]>,
    /// The record to store (its acknowledged count, digest and group are filled in by the
    /// worker).
    pub record: StoredSubmission,
}

type Reply = oneshot::Sender<Result<pb::SignedMessage, AggError>>;

enum Op {
    Submit(PendingSubmission, Reply),
    Close(String, i64, oneshot::Sender<Result<bool, AggError>>),
    Revoke(Vec<u8>, i64, SyncSender<Result<Enrolment, AggError>>),
}

/// Handle to the commit worker. Dropping it stops the worker after the queue is drained.
pub struct Committer {
    bulletins: Arc<Bulletins>,
    tx: Option<SyncSender<Op>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Committer")
    }
}

impl Committer {
    /// Starts the worker; it appends to the acknowledgement record `acks` and to the bulletins
    /// of secure rounds (rebuilt from the store here).
    pub fn start(
        store: Store,
        identity: Arc<Identity>,
        acks: Arc<Mutex<AckLog>>,
    ) -> Result<Committer, AggError> {
        let (tx, rx) = sync_channel(QUEUE);
        let bulletins = Arc::new(Bulletins::load(&store)?);
        let worker = Worker {
            store,
            identity,
            acks,
            bulletins: bulletins.clone(),
        };
        let worker = std::thread::Builder::new()
            .name("sovbench-commit".into())
            .spawn(move || worker.run(rx))
            .map_err(|e| AggError::Storage(format!("starting the commit worker: {e}")))?;
        Ok(Committer {
            bulletins,
            tx: Some(tx),
            worker: Some(worker),
        })
    }

    /// The bulletins of the secure rounds, as the worker appends to them.
    pub fn bulletins(&self) -> Arc<Bulletins> {
        self.bulletins.clone()
    }

    fn send(&self, op: Op) -> Result<(), AggError> {
        let tx = self.tx.as_ref().ok_or(AggError::ShuttingDown)?;
        tx.try_send(op).map_err(|e| match e {
            TrySendError::Full(_) => AggError::Busy,
            TrySendError::Disconnected(_) => AggError::ShuttingDown,
        })
    }

    /// Stores a submission durably and returns its signed receipt; an identical resubmission
    /// gets the stored receipt (after a durable commit), a different one is refused.
    pub async fn submit(&self, p: PendingSubmission) -> Result<pb::SignedMessage, AggError> {
        let (tx, rx) = oneshot::channel();
        self.send(Op::Submit(p, tx))?;
        rx.await.map_err(|_| AggError::ShuttingDown)?
    }

    /// Closes a round; returns false if it was closed already.
    pub async fn close(&self, round_id: &str, now: i64) -> Result<bool, AggError> {
        let (tx, rx) = oneshot::channel();
        self.send(Op::Close(round_id.to_string(), now, tx))?;
        rx.await.map_err(|_| AggError::ShuttingDown)?
    }

    /// Revokes a key at `now` (durably), after everything queued before it is committed and
    /// answered; blocks the calling thread until then. Submissions decided after it are refused.
    pub fn revoke(&self, key: &[u8], now: i64) -> Result<Enrolment, AggError> {
        let (tx, rx) = sync_channel(1);
        self.send(Op::Revoke(key.to_vec(), now, tx))?;
        rx.recv().map_err(|_| AggError::ShuttingDown)?
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

struct Worker {
    store: Store,
    identity: Arc<Identity>,
    acks: Arc<Mutex<AckLog>>,
    bulletins: Arc<Bulletins>,
}

/// What one group commit holds.
#[derive(Default)]
struct Group {
    batch: SubmissionBatch,
    /// Submissions of this group by key: payload hash and receipt.
    in_batch: HashMap<Vec<u8>, (Vec<u8>, pb::SignedMessage)>,
    /// Callers waiting for the commit, with their receipts.
    waiting: Vec<(Reply, pb::SignedMessage)>,
    /// Rounds whose acknowledged count this group records.
    rounds: BTreeSet<String>,
    /// Ciphertext keys of this group's secure submissions, with their round.
    ciphertexts: HashMap<[u8; 32], String>,
    seq: Option<u64>,
}

impl Worker {
    fn run(self, rx: Receiver<Op>) {
        while let Ok(first) = rx.recv() {
            let mut ops = vec![first];
            while ops.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(op) => ops.push(op),
                    Err(_) => break,
                }
            }
            self.process(ops);
        }
    }

    fn acks(&self) -> Result<MutexGuard<'_, AckLog>, AggError> {
        self.acks
            .lock()
            .map_err(|_| AggError::Storage("acknowledgement record poisoned".into()))
    }

    fn process(&self, ops: Vec<Op>) {
        let mut group = Group::default();
        for op in ops {
            match op {
                Op::Submit(p, reply) => match self.decide(&mut group, p) {
                    Ok(receipt) => group.waiting.push((reply, receipt)),
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                },
                Op::Close(round_id, now, reply) => {
                    // Everything accepted before the close is stored and answered first.
                    self.commit(&mut group);
                    let _ = reply.send(self.close(&round_id, now));
                }
                Op::Revoke(key, now, reply) => {
                    self.commit(&mut group);
                    let _ = reply.send(self.revoke(&key, now));
                }
            }
        }
        self.commit(&mut group);
    }

    /// Commits the group durably, records the acknowledged counts, then answers its callers.
    fn commit(&self, group: &mut Group) {
        let g = std::mem::take(group);
        if g.waiting.is_empty() && g.batch.is_empty() {
            return;
        }
        let res = self.store.commit_submissions(g.batch).and_then(|()| {
            let mut acks = self.acks()?;
            // A group of retries alone has no number yet; it records under a new one.
            let seq = match g.seq {
                Some(seq) => seq,
                None => acks.take_seq(),
            };
            acks.acknowledge(seq, g.rounds.iter())
        });
        if let Err(e) = &res {
            tracing::error!(error = %e, "group commit failed; nobody of the group is acknowledged");
            // The running counts follow what the store holds (a failed flush may still have
            // applied the batch in memory; a later commit makes it durable).
            if let Ok(mut acks) = self.acks() {
                for round in &g.rounds {
                    if let Err(e) = acks.recount(&self.store, round) {
                        tracing::error!(round = %round, error = %e, "recounting");
                    }
                    if let Err(e) = self.bulletins.reload(&self.store, round) {
                        tracing::error!(round = %round, error = %e, "rebuilding the bulletin");
                    }
                }
            }
        }
        for (reply, receipt) in g.waiting {
            let _ = reply.send(match &res {
                Ok(()) => Ok(receipt),
                Err(e) => Err(AggError::Storage(e.to_string())),
            });
        }
    }

    /// Decides a submission: refused, a copy of one stored or in this group (its receipt), or
    /// new (counted, added to the group). Answered only after the group's commit.
    fn decide(
        &self,
        group: &mut Group,
        mut p: PendingSubmission,
    ) -> Result<pb::SignedMessage, AggError> {
        let store = &self.store;
        let key = submission_key(&p.round_id, &p.node_key);
        let conflict = || AggError::Conflict {
            key: fingerprint(&p.node_key),
            round: p.round_id.clone(),
        };
        // Revocations pass through this worker, so this check and a revocation are ordered.
        match store.enrolment(&p.node_key)? {
            Some(Enrolment {
                revoked_at: Some(_),
                fingerprint,
                ..
            }) => return Err(AggError::Revoked(fingerprint)),
            Some(_) => {}
            None => return Err(AggError::UnknownKey(fingerprint(&p.node_key))),
        }
        if let Some((hash, receipt)) = group.in_batch.get(&key) {
            return if *hash == p.record.payload_hash {
                Ok(receipt.clone())
            } else {
                Err(conflict())
            };
        }
        if let Some(existing) = store.submission(&key)? {
            if existing.payload_hash != p.record.payload_hash {
                return Err(conflict());
            }
            group.rounds.insert(p.round_id.clone());
            return self.receipt(&p.round_id, &p.node_key, &existing);
        }
        match store.round_state(&p.round_id)? {
            Some(RoundState {
                status: RoundStatus::Open,
                ..
            }) => {}
            Some(s) => {
                return Err(AggError::RoundClosed {
                    round: p.round_id.clone(),
                    at: s
                        .closed_at
                        .map(sovbench_core::time::format_utc)
                        .unwrap_or_else(|| "an earlier time".into()),
                })
            }
            None => return Err(AggError::UnknownRound(p.round_id.clone())),
        }
        // Mode secure: a ciphertext accepted before, in this group, this round or any earlier
        // round, is a copy (docs/SECURE-AGGREGATION.md, "Copies and replays").
        for k in &p.ciphertext_keys {
            let earlier = match group.ciphertexts.get(k) {
                Some(round) => Some(round.clone()),
                None => store.ciphertext_round(k)?,
            };
            if let Some(earlier) = earlier {
                return Err(AggError::CopiedCiphertext {
                    round: p.round_id.clone(),
                    earlier,
                });
            }
        }
        let signature = acks::signature_hash(&p.record.message)?;
        let mut acks = self.acks()?;
        let seq = *group.seq.get_or_insert_with(|| acks.take_seq());
        let (count, digest) = acks.count(&p.round_id, &signature);
        drop(acks);
        p.record.seq = seq;
        p.record.acknowledged = count;
        p.record.acknowledged_digest = digest.to_vec();
        self.bulletins
            .append(store, &p.round_id, &p.node_key, &p.record)?;
        let receipt = self.receipt(&p.round_id, &p.node_key, &p.record)?;
        group.batch.insert(&key, &p.record);
        group
            .batch
            .insert_ciphertexts(&p.round_id, &p.ciphertext_keys);
        for k in p.ciphertext_keys {
            group.ciphertexts.insert(k, p.round_id.clone());
        }
        group
            .in_batch
            .insert(key, (p.record.payload_hash.clone(), receipt.clone()));
        group.rounds.insert(p.round_id);
        Ok(receipt)
    }

    /// The signed receipt of a stored submission: as stored by older versions, or signed again
    /// from its fields (the same bytes every time: Ed25519 is deterministic).
    fn receipt(
        &self,
        round_id: &str,
        node_key: &[u8],
        s: &StoredSubmission,
    ) -> Result<pb::SignedMessage, AggError> {
        if !s.receipt.is_empty() {
            return Ok(pb::SignedMessage::decode(s.receipt.as_slice())?);
        }
        let mut digest = s.acknowledged_digest.clone();
        if digest.is_empty() && s.acknowledged > 0 {
            // Not stored: the sum over the round's submissions acknowledged up to this one.
            let subs = self.store.submissions(round_id)?;
            let upto = subs.iter().filter(|o| o.acknowledged <= s.acknowledged);
            digest = acks::tally(upto)?.1.to_vec();
        }
        // Mode secure: the entry's bulletin position and the chain hash after it.
        let (bulletin_position, bulletin_head) = match self.bulletins.at(round_id, s.acknowledged) {
            Some((pos, head)) => (pos, head.to_vec()),
            None => (0, Vec::new()),
        };
        Ok(self.identity.seal(pb::payload::Body::Receipt(pb::Receipt {
            round_id: round_id.to_string(),
            submission_hash: s.payload_hash.clone(),
            node_key: node_key.to_vec(),
            stored_at: s.stored_at,
            acknowledged: s.acknowledged,
            acknowledged_digest: digest,
            signature_sha256: acks::signature_hash(&s.message)?.to_vec(),
            bulletin_position,
            bulletin_head,
        })))
    }

    fn close(&self, round_id: &str, now: i64) -> Result<bool, AggError> {
        let state = self
            .store
            .round_state(round_id)?
            .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
        if state.status != RoundStatus::Open {
            return Ok(false);
        }
        self.store.set_round_state(
            round_id,
            &RoundState {
                status: RoundStatus::Closed,
                closed_at: Some(now),
                abandoned: None,
            },
        )?;
        self.acks()?.closed(round_id)?;
        Ok(true)
    }

    fn revoke(&self, key: &[u8], now: i64) -> Result<Enrolment, AggError> {
        let mut e = self
            .store
            .enrolment(key)?
            .ok_or_else(|| AggError::UnknownKey(fingerprint(key)))?;
        if e.revoked_at.is_none() {
            e.revoked_at = Some(now);
            self.store.put_enrolment(key, &e)?;
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests;
