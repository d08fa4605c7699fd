//! The node's local store. This is the only module that names the storage engine (sled); every
//! other module sees typed accessors.
//!
//! Trees and key encodings:
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `b"profile"` | [`Profile`] as JSON |
//! | `assessments` | recorded-at, Unix microseconds, big-endian `u64` | [`AssessmentRecord`] as JSON |
//! | `rounds` | round id (UTF-8) | the round's `SignedMessage` (protobuf) as received |
//! | `ledger` | round id | [`LedgerEntry`] as JSON |
//! | `outbox` | round id | the signed submission (`SignedMessage`, protobuf) awaiting delivery |
//! | `receipts` | round id | the aggregator's signed receipt (`SignedMessage`) |
//! | `publications` | round id | a verified publication (`SignedMessage`) |
//! | `systems` | system name (UTF-8) | [`System`] as JSON |
//! | `readiness` | checked-at, Unix seconds, big-endian `i64` | [`ReadinessResult`] as JSON |
//! | `alternatives` | category key, `0x00`, product | the administration's own [`Alternative`] as JSON |
//! | `meta` | `b"criteria"` | procurement criteria ([`Criterion`] list) as JSON |
//! | `meta` | `b"candidates"` | the workplace's procurement candidates ([`Candidate`] list) as JSON |
//! | `migrations` | path id (UTF-8) | [`MigrationPath`] as JSON |
//! | `peer_offers` | catalogue path id | [`LocalOffer`] (with the contact card) as JSON |
//! | `peer_out` | path id, `0x00`, pseudonym | [`OutgoingContact`] (with its X25519 secret) as JSON |
//! | `peer_in` | request id | [`IncomingContact`] (with its X25519 secret) as JSON |
//! | `peer_seen` | pseudonym | the path id under which the last match list showed it |
//! | `accounts`, `sessions`, `audit` | see [`people`] | the workplace's people, sessions and log of changes |
//! | `peer_stages` | path id, `0x00`, sequence number (big-endian `u64`) | [`StageSent`]: every stage sent for an offer, as JSON |
//!
//! Opening (with lock detection), typed JSON and protobuf values and the durable commit come from
//! [`sovbench_core::kv`], which the aggregator's store shares. Durability: [`Store::commit`]
//! flushes sled and then `fsync`s its data file, because sled 0.34's own flush issues
//! `sync_file_range`, which neither flushes the drive's cache nor the file's metadata. A ledger
//! entry and its outbox entry are written in one transaction and committed before anything is
//! sent.

use std::path::{Path, PathBuf};

use prost::Message as _;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional as _;
use sovbench_core::kv::{self, all_json, get_json, get_msg, pair_key, put_json, put_msg, KvError};
use sovbench_core::kv::{Batch, Db, Tree};
use sovbench_core::pb;

use crate::error::NodeError;
use crate::inventory::alternatives::Alternative;
use crate::inventory::System;
use crate::migration::MigrationPath;
use crate::model::{AssessmentRecord, LedgerEntry, Profile};
use crate::peers::model::{IncomingContact, LocalOffer, OutgoingContact, StageSent};
use crate::procurement::{Candidate, Criterion};
use crate::readiness::ReadinessResult;

/// Cache of the sled database.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// Typed access to the node's sled database.
#[derive(Clone)]
pub struct Store {
    db: Db,
    path: PathBuf,
    meta: Tree,
    assessments: Tree,
    rounds: Tree,
    ledger: Tree,
    outbox: Tree,
    receipts: Tree,
    publications: Tree,
    systems: Tree,
    readiness: Tree,
    alternatives: Tree,
    migrations: Tree,
    peer_offers: Tree,
    peer_out: Tree,
    peer_in: Tree,
    peer_seen: Tree,
    peer_stages: Tree,
    people: people::PeopleTrees,
}

const PROFILE: &[u8] = b"profile";
const CRITERIA: &[u8] = b"criteria";
const CANDIDATES: &[u8] = b"candidates";

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the store in `path`.
    pub fn open(path: &Path) -> Result<Store, NodeError> {
        // Every write is followed by an explicit `commit`; no background flusher thread.
        let db = kv::open(path, CACHE_BYTES)?;
        let t = |name: &str| db.open_tree(name).map_err(storage);
        Ok(Store {
            path: path.to_path_buf(),
            meta: t("meta")?,
            assessments: t("assessments")?,
            rounds: t("rounds")?,
            ledger: t("ledger")?,
            outbox: t("outbox")?,
            receipts: t("receipts")?,
            publications: t("publications")?,
            systems: t("systems")?,
            readiness: t("readiness")?,
            alternatives: t("alternatives")?,
            migrations: t("migrations")?,
            peer_offers: t("peer_offers")?,
            peer_out: t("peer_out")?,
            peer_in: t("peer_in")?,
            peer_seen: t("peer_seen")?,
            peer_stages: t("peer_stages")?,
            people: people::PeopleTrees::open(&db)?,
            db,
        })
    }

    /// Makes everything written so far durable: sled flush, then `fsync` of the data file.
    pub fn commit(&self) -> Result<(), NodeError> {
        Ok(kv::commit(&self.db, &self.path)?)
    }

    /// The administration's profile, if `init` has run.
    pub fn profile(&self) -> Result<Option<Profile>, NodeError> {
        Ok(get_json(&self.meta, PROFILE)?)
    }

    /// Stores the profile.
    pub fn put_profile(&self, p: &Profile) -> Result<(), NodeError> {
        put_json(&self.meta, PROFILE, p)?;
        self.commit()
    }

    /// Appends a self-test to the history.
    pub fn add_assessment(&self, rec: &AssessmentRecord) -> Result<(), NodeError> {
        let mut key = rec.recorded_at_micros;
        // Two records in the same microsecond keep both: the later one moves one tick on.
        while self
            .assessments
            .contains_key(key.to_be_bytes())
            .map_err(storage)?
        {
            key += 1;
        }
        put_json(&self.assessments, &key.to_be_bytes(), rec)?;
        self.commit()
    }

    /// All self-tests, oldest first.
    pub fn assessments(&self) -> Result<Vec<AssessmentRecord>, NodeError> {
        Ok(all_json(&self.assessments)?)
    }

    /// The latest self-test.
    pub fn latest_assessment(&self) -> Result<Option<AssessmentRecord>, NodeError> {
        match self.assessments.last().map_err(storage)? {
            Some((_, v)) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// Remembers the signed parameters of a round the node has seen.
    pub fn put_round(&self, round_id: &str, msg: &pb::SignedMessage) -> Result<(), NodeError> {
        Ok(put_msg(&self.rounds, round_id.as_bytes(), msg)?)
    }

    /// The signed parameters of a round.
    pub fn round(&self, round_id: &str) -> Result<Option<pb::SignedMessage>, NodeError> {
        Ok(get_msg(&self.rounds, round_id.as_bytes())?)
    }

    /// Records a release in the ledger and queues its signed bytes in the outbox, atomically and
    /// durably. Fails if the ledger already has an entry for the round.
    pub fn record_release(
        &self,
        entry: &LedgerEntry,
        signed: &pb::SignedMessage,
    ) -> Result<(), NodeError> {
        let key = entry.round_id.as_bytes();
        let entry_bytes = serde_json::to_vec(entry)?;
        let msg_bytes = signed.encode_to_vec();
        let res = (&self.ledger, &self.outbox).transaction(|(ledger, outbox)| {
            if ledger.get(key)?.is_some() {
                return Err(ConflictableTransactionError::Abort(()));
            }
            ledger.insert(key, entry_bytes.as_slice())?;
            outbox.insert(key, msg_bytes.as_slice())?;
            Ok(())
        });
        match res {
            Ok(()) => self.commit(),
            Err(TransactionError::Abort(())) => {
                Err(NodeError::AlreadyReleased(entry.round_id.clone()))
            }
            Err(TransactionError::Storage(e)) => Err(storage(e)),
        }
    }

    /// The ledger entry of a round.
    pub fn ledger_entry(&self, round_id: &str) -> Result<Option<LedgerEntry>, NodeError> {
        Ok(get_json(&self.ledger, round_id.as_bytes())?)
    }

    /// The whole ledger, ordered by round id.
    pub fn ledger(&self) -> Result<Vec<LedgerEntry>, NodeError> {
        Ok(all_json(&self.ledger)?)
    }

    /// Submissions waiting for delivery, by round id.
    pub fn outbox(&self) -> Result<Vec<(String, pb::SignedMessage)>, NodeError> {
        self.outbox
            .iter()
            .map(|kv| {
                let (k, v) = kv.map_err(storage)?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    pb::SignedMessage::decode(v.as_ref())?,
                ))
            })
            .collect()
    }

    /// Stores a receipt, removes the submission from the outbox and marks the ledger entry
    /// delivered, in one transaction, durably.
    pub fn deliver(
        &self,
        entry: &LedgerEntry,
        receipt: &pb::SignedMessage,
    ) -> Result<(), NodeError> {
        self.settle(entry, Some(receipt))
    }

    /// Removes a submission from the outbox without a receipt (the aggregator refused it for
    /// good) and updates its ledger entry, in one transaction, durably. The ledger entry stays:
    /// the bytes may have been seen.
    pub fn refuse(&self, entry: &LedgerEntry) -> Result<(), NodeError> {
        self.settle(entry, None)
    }

    fn settle(
        &self,
        entry: &LedgerEntry,
        receipt: Option<&pb::SignedMessage>,
    ) -> Result<(), NodeError> {
        let key = entry.round_id.as_bytes();
        let entry_bytes = serde_json::to_vec(entry)?;
        let receipt_bytes = receipt.map(|r| r.encode_to_vec());
        (&self.receipts, &self.outbox, &self.ledger)
            .transaction(|(receipts, outbox, ledger)| {
                if let Some(r) = &receipt_bytes {
                    receipts.insert(key, r.as_slice())?;
                }
                outbox.remove(key)?;
                ledger.insert(key, entry_bytes.as_slice())?;
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(()) => NodeError::Storage("transaction aborted".into()),
                TransactionError::Storage(e) => storage(e),
            })?;
        self.commit()
    }

    /// The receipt of a round.
    pub fn receipt(&self, round_id: &str) -> Result<Option<pb::SignedMessage>, NodeError> {
        Ok(get_msg(&self.receipts, round_id.as_bytes())?)
    }

    /// All systems of the inventory, ordered by name.
    pub fn systems(&self) -> Result<Vec<System>, NodeError> {
        Ok(all_json(&self.systems)?)
    }

    /// One system.
    pub fn system(&self, name: &str) -> Result<Option<System>, NodeError> {
        Ok(get_json(&self.systems, name.as_bytes())?)
    }

    /// Stores (adds or replaces) one system durably.
    pub fn put_system(&self, s: &System) -> Result<(), NodeError> {
        put_json(&self.systems, s.name.as_bytes(), s)?;
        self.commit()
    }

    /// Removes one system durably; false if there was none.
    pub fn remove_system(&self, name: &str) -> Result<bool, NodeError> {
        let existed = self
            .systems
            .remove(name.as_bytes())
            .map_err(storage)?
            .is_some();
        self.commit()?;
        Ok(existed)
    }

    /// Stores many systems in one atomic batch and one durable commit; with `replace`, the whole
    /// inventory is replaced.
    pub fn put_systems(&self, systems: &[System], replace: bool) -> Result<(), NodeError> {
        let mut batch = Batch::default();
        if replace {
            for k in self.systems.iter().keys() {
                batch.remove(k.map_err(storage)?);
            }
        }
        for s in systems {
            batch.insert(s.name.as_bytes(), serde_json::to_vec(s)?);
        }
        self.systems.apply_batch(batch).map_err(storage)?;
        self.commit()
    }

    /// Stores a readiness result durably.
    pub fn add_readiness(&self, r: &ReadinessResult) -> Result<(), NodeError> {
        put_json(&self.readiness, &r.checked_at.to_be_bytes(), r)?;
        self.commit()
    }

    /// The latest readiness result.
    pub fn latest_readiness(&self) -> Result<Option<ReadinessResult>, NodeError> {
        match self.readiness.last().map_err(storage)? {
            Some((_, v)) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// Every readiness result, oldest first.
    pub fn readiness_history(&self) -> Result<Vec<ReadinessResult>, NodeError> {
        Ok(all_json(&self.readiness)?)
    }

    /// The candidates of the procurement page (none until uploaded).
    pub fn candidates(&self) -> Result<Vec<Candidate>, NodeError> {
        Ok(get_json(&self.meta, CANDIDATES)?.unwrap_or_default())
    }

    /// Stores the procurement candidates durably.
    pub fn put_candidates(&self, c: &[Candidate]) -> Result<(), NodeError> {
        put_json(&self.meta, CANDIDATES, &c)?;
        self.commit()
    }

    /// The administration's own alternatives.
    pub fn alternatives(&self) -> Result<Vec<Alternative>, NodeError> {
        Ok(all_json(&self.alternatives)?)
    }

    /// Adds an own alternative durably.
    pub fn add_alternative(&self, a: &Alternative) -> Result<(), NodeError> {
        let key = pair_key(a.category.key().as_bytes(), a.product.as_bytes());
        put_json(&self.alternatives, &key, a)?;
        self.commit()
    }

    /// The procurement criteria (the defaults until changed).
    pub fn criteria(&self) -> Result<Vec<Criterion>, NodeError> {
        Ok(get_json(&self.meta, CRITERIA)?.unwrap_or_else(crate::procurement::default_criteria))
    }

    /// Stores the procurement criteria durably.
    pub fn put_criteria(&self, c: &[Criterion]) -> Result<(), NodeError> {
        put_json(&self.meta, CRITERIA, &c)?;
        self.commit()
    }

    /// All migration paths, ordered by id.
    pub fn migrations(&self) -> Result<Vec<MigrationPath>, NodeError> {
        Ok(all_json(&self.migrations)?)
    }

    /// One migration path.
    pub fn migration(&self, id: &str) -> Result<Option<MigrationPath>, NodeError> {
        Ok(get_json(&self.migrations, id.as_bytes())?)
    }

    /// Stores (adds or replaces) a migration path durably.
    pub fn put_migration(&self, p: &MigrationPath) -> Result<(), NodeError> {
        put_json(&self.migrations, p.id.as_bytes(), p)?;
        self.commit()
    }

    /// The administration's offers for peer matching.
    pub fn peer_offers(&self) -> Result<Vec<LocalOffer>, NodeError> {
        Ok(all_json(&self.peer_offers)?)
    }

    /// One offer.
    pub fn peer_offer(&self, path_id: &str) -> Result<Option<LocalOffer>, NodeError> {
        Ok(get_json(&self.peer_offers, path_id.as_bytes())?)
    }

    /// Stores an offer durably.
    pub fn put_peer_offer(&self, o: &LocalOffer) -> Result<(), NodeError> {
        put_json(&self.peer_offers, o.path_id.as_bytes(), o)?;
        self.commit()
    }

    /// Removes an offer durably.
    pub fn remove_peer_offer(&self, path_id: &str) -> Result<(), NodeError> {
        self.peer_offers
            .remove(path_id.as_bytes())
            .map_err(storage)?;
        self.commit()
    }

    /// Logs a stage about to be sent durably; returns the entry's key for
    /// [`Store::put_stage_sent`].
    pub fn log_stage_sent(&self, e: &StageSent) -> Result<Vec<u8>, NodeError> {
        let seq = self.db.generate_id().map_err(storage)?;
        let key = pair_key(e.path_id.as_bytes(), &seq.to_be_bytes());
        put_json(&self.peer_stages, &key, e)?;
        self.commit()?;
        Ok(key)
    }

    /// Updates a logged stage (e.g. once acknowledged) durably.
    pub fn put_stage_sent(&self, key: &[u8], e: &StageSent) -> Result<(), NodeError> {
        put_json(&self.peer_stages, key, e)?;
        self.commit()
    }

    /// Every stage sent, by path and in the order sent.
    pub fn stages_sent(&self) -> Result<Vec<StageSent>, NodeError> {
        Ok(all_json(&self.peer_stages)?)
    }

    /// Outgoing contact requests.
    pub fn outgoing_contacts(&self) -> Result<Vec<OutgoingContact>, NodeError> {
        Ok(all_json(&self.peer_out)?)
    }

    /// The outgoing request to `pseudonym` on `path_id`.
    pub fn outgoing_contact(
        &self,
        path_id: &str,
        pseudonym: &str,
    ) -> Result<Option<OutgoingContact>, NodeError> {
        Ok(get_json(
            &self.peer_out,
            &pair_key(path_id.as_bytes(), pseudonym.as_bytes()),
        )?)
    }

    /// Stores an outgoing request durably.
    pub fn put_outgoing_contact(&self, c: &OutgoingContact) -> Result<(), NodeError> {
        let key = pair_key(c.path_id.as_bytes(), c.pseudonym.as_bytes());
        put_json(&self.peer_out, &key, c)?;
        self.commit()
    }

    /// An answered incoming request.
    pub fn incoming_contact(&self, request_id: &str) -> Result<Option<IncomingContact>, NodeError> {
        Ok(get_json(&self.peer_in, request_id.as_bytes())?)
    }

    /// Stores an answered incoming request durably.
    pub fn put_incoming_contact(&self, c: &IncomingContact) -> Result<(), NodeError> {
        put_json(&self.peer_in, c.request_id.as_bytes(), c)?;
        self.commit()
    }

    /// Remembers under which path the last match list showed each pseudonym.
    pub fn remember_pseudonyms(&self, seen: &[(String, String)]) -> Result<(), NodeError> {
        let mut batch = Batch::default();
        for (pseudonym, path_id) in seen {
            batch.insert(pseudonym.as_bytes(), path_id.as_bytes());
        }
        self.peer_seen.apply_batch(batch).map_err(storage)?;
        self.commit()
    }

    /// The path under which a pseudonym was last listed.
    pub fn pseudonym_path(&self, pseudonym: &str) -> Result<Option<String>, NodeError> {
        Ok(self
            .peer_seen
            .get(pseudonym.as_bytes())
            .map_err(storage)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The latest stored publication, by publication time.
    pub fn latest_publication(&self) -> Result<Option<pb::SignedMessage>, NodeError> {
        let mut best: Option<(i64, pb::SignedMessage)> = None;
        for v in self.publications.iter().values() {
            let msg = pb::SignedMessage::decode(v.map_err(storage)?.as_ref())?;
            if let Ok(p) = pb::Payload::decode(msg.payload.as_slice()) {
                if let Some(pb::payload::Body::Publication(p)) = p.body {
                    if best.as_ref().is_none_or(|(t, _)| p.published_at > *t) {
                        best = Some((p.published_at, msg));
                    }
                }
            }
        }
        Ok(best.map(|(_, m)| m))
    }

    /// Every stored publication (verified when it arrived), in the order of their round ids.
    pub fn publications(&self) -> Result<Vec<pb::SignedMessage>, NodeError> {
        let mut out = Vec::new();
        for v in self.publications.iter().values() {
            out.push(pb::SignedMessage::decode(v.map_err(storage)?.as_ref())?);
        }
        Ok(out)
    }

    /// Stores a verified publication.
    pub fn put_publication(
        &self,
        round_id: &str,
        msg: &pb::SignedMessage,
    ) -> Result<(), NodeError> {
        put_msg(&self.publications, round_id.as_bytes(), msg)?;
        self.commit()
    }
}

/// A storage-engine error, as the shared store helpers report it.
fn storage(e: sled::Error) -> NodeError {
    KvError::from(e).into()
}

mod people;

#[cfg(test)]
mod tests;
