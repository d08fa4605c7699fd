//! Group commit: one worker thread owns every write of submissions and every round close, so
//! that duplicate checks, the round's open state and the durable commit are decided in one place
//! and in one order. Concurrent submissions that arrive while a commit is under way are written
//! together and share one `fsync`; each caller gets its answer only after that commit.

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

use prost::Message as _;
use sovbench_core::envelope::{fingerprint, Identity};
use sovbench_core::pb;
use tokio::sync::oneshot;

use crate::error::AggError;
use crate::model::{RoundState, RoundStatus, StoredSubmission};
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
    /// The record to store (its `receipt` is filled in by the worker).
    pub record: StoredSubmission,
}

enum Op {
    Submit(
        PendingSubmission,
        oneshot::Sender<Result<pb::SignedMessage, AggError>>,
    ),
    Close(String, i64, oneshot::Sender<Result<bool, AggError>>),
}

/// Handle to the commit worker. Dropping it stops the worker after the queue is drained.
pub struct Committer {
    tx: Option<SyncSender<Op>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Committer")
    }
}

impl Committer {
    /// Starts the worker.
    pub fn start(store: Store, identity: Arc<Identity>) -> Result<Committer, AggError> {
        let (tx, rx) = sync_channel(QUEUE);
        let worker = std::thread::Builder::new()
            .name("sovbench-commit".into())
            .spawn(move || run(store, identity, rx))
            .map_err(|e| AggError::Storage(format!("starting the commit worker: {e}")))?;
        Ok(Committer {
            tx: Some(tx),
            worker: Some(worker),
        })
    }

    fn send(&self, op: Op) -> Result<(), AggError> {
        let tx = self.tx.as_ref().ok_or(AggError::ShuttingDown)?;
        tx.try_send(op).map_err(|e| match e {
            TrySendError::Full(_) => AggError::Busy,
            TrySendError::Disconnected(_) => AggError::ShuttingDown,
        })
    }

    /// Stores a submission durably and returns its signed receipt; an identical resubmission
    /// returns the stored receipt, a different one is refused.
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
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn run(store: Store, identity: Arc<Identity>, rx: Receiver<Op>) {
    while let Ok(first) = rx.recv() {
        let mut ops = vec![first];
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        process(&store, &identity, ops);
    }
}

type Reply = oneshot::Sender<Result<pb::SignedMessage, AggError>>;

fn process(store: &Store, identity: &Identity, ops: Vec<Op>) {
    let mut batch = SubmissionBatch::default();
    let mut in_batch: HashMap<Vec<u8>, (Vec<u8>, pb::SignedMessage)> = HashMap::new();
    let mut waiting: Vec<(Reply, pb::SignedMessage)> = Vec::new();
    for op in ops {
        match op {
            Op::Submit(p, reply) => match decide(store, identity, &mut in_batch, &mut batch, p) {
                Ok(Decision::Stored(receipt)) => waiting.push((reply, receipt)),
                // A copy of a submission stored earlier is answered at once; a copy of one in this
                // batch only after the batch is durable.
                Ok(Decision::Duplicate(receipt, true)) => {
                    let _ = reply.send(Ok(receipt));
                }
                Ok(Decision::Duplicate(receipt, false)) => waiting.push((reply, receipt)),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Op::Close(round_id, now, reply) => {
                // Everything accepted before the close is stored before the round's state changes.
                // Submitters are answered by the commit of their batch alone, whatever the close.
                let flushed = std::mem::take(&mut batch);
                let committed = store.commit_submissions(flushed);
                answer(
                    &mut waiting,
                    &committed.as_ref().map(|_| ()).map_err(|e| e.to_string()),
                );
                in_batch.clear();
                let _ = reply.send(committed.and_then(|()| close(store, &round_id, now)));
            }
        }
    }
    let res = store.commit_submissions(batch);
    answer(&mut waiting, &res.map_err(|e| e.to_string()));
}

fn answer(waiting: &mut Vec<(Reply, pb::SignedMessage)>, res: &Result<(), String>) {
    for (reply, receipt) in waiting.drain(..) {
        let _ = reply.send(match res {
            Ok(()) => Ok(receipt),
            Err(e) => Err(AggError::Storage(e.clone())),
        });
    }
}

enum Decision {
    Stored(pb::SignedMessage),
    /// A copy: the receipt, and whether the original is durable already.
    Duplicate(pb::SignedMessage, bool),
}

fn decide(
    store: &Store,
    identity: &Identity,
    in_batch: &mut HashMap<Vec<u8>, (Vec<u8>, pb::SignedMessage)>,
    batch: &mut SubmissionBatch,
    mut p: PendingSubmission,
) -> Result<Decision, AggError> {
    let key = submission_key(&p.round_id, &p.node_key);
    let conflict = || AggError::Conflict {
        key: fingerprint(&p.node_key),
        round: p.round_id.clone(),
    };
    if let Some((hash, receipt)) = in_batch.get(&key) {
        return if *hash == p.record.payload_hash {
            Ok(Decision::Duplicate(receipt.clone(), false))
        } else {
            Err(conflict())
        };
    }
    if let Some(existing) = store.submission(&key)? {
        return if existing.payload_hash == p.record.payload_hash {
            Ok(Decision::Duplicate(
                pb::SignedMessage::decode(existing.receipt.as_slice())?,
                true,
            ))
        } else {
            Err(conflict())
        };
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
    let receipt = identity.seal(pb::payload::Body::Receipt(pb::Receipt {
        round_id: p.round_id.clone(),
        submission_hash: p.record.payload_hash.clone(),
        node_key: p.node_key.clone(),
        stored_at: p.record.stored_at,
    }));
    p.record.receipt = receipt.encode_to_vec();
    batch.insert(&key, &p.record)?;
    in_batch.insert(key, (p.record.payload_hash.clone(), receipt.clone()));
    Ok(Decision::Stored(receipt))
}

fn close(store: &Store, round_id: &str, now: i64) -> Result<bool, AggError> {
    let state = store
        .round_state(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
    if state.status != RoundStatus::Open {
        return Ok(false);
    }
    store.set_round_state(
        round_id,
        &RoundState {
            status: RoundStatus::Closed,
            closed_at: Some(now),
        },
    )?;
    Ok(true)
}
