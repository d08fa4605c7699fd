//! The aggregator's store. This is the only module that names the storage engine (sled).
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `b"consortium"`, `b"latest_publication"` | UTF-8 |
//! | `enrolments` | raw 32-byte public key | [`Enrolment`] as a compact record (`0x01`, protobuf; key and fingerprint from the record's key); JSON of earlier versions still reads |
//! | `rounds` | round id (UTF-8) | the signed round parameters (`SignedMessage`, protobuf) |
//! | `round_state` | round id | [`RoundState`] as JSON |
//! | `submission_ends` | round id | committed end of the round's record file (bytes, big-endian `u64`) |
//! | `submissions` | round id, `0x00`, raw public key | records of older versions, moved to the record files at open |
//! | *file* `submissions/<round id>.log` (not sled) | raw public key, in each frame | [`StoredSubmission`]: `0x01` then a private protobuf message (moved from sled: also JSON), framed as in [`logs`] |
//! | `publications` | round id | the signed publication (`SignedMessage`, protobuf) |
//! | `meta` | `b"pseudonym_secret"` | 32 random bytes: the HMAC key of peer pseudonyms |
//! | `offers` | path id, `0x00`, raw public key | [`StoredOffer`] as JSON |
//! | `peer_requests` | request id | [`StoredRequest`] as JSON |
//! | `peer_nonces` | raw public key, nonce | issued-at, big-endian `i64` (replay window) |
//! | `ceremonies` | ceremony id | [`crate::model::StoredCeremony`] as JSON (mode secure, `store/secure.rs`) |
//! | `dkg_messages` | ceremony id, `0x00`, sender (u32 BE), step (u8), recipient (u32 BE) | the exact `SignedMessage` bytes a trustee posted |
//! | `secure_rounds` | round id, `0x00`, `noise` / `decrypt` / `state` | the signed announcements (protobuf); [`crate::model::StoredAnnouncement`] as JSON |
//! | `trustee_posts` | round id, `0x00`, kind (1 noise, 2 decryption), trustee (u32 BE) | the exact `SignedMessage` bytes a trustee posted |
//!
//! Submissions are not in sled: each round's are appended to a record file,
//! `submissions/<round id>.log` in the store's folder (format, checksums and what happens to a
//! damaged file at open: [`logs`]), indexed in memory (round, node key, position) by a scan at
//! open. sled keeps each round's *committed end*: frames after it were never acknowledged. A
//! file damaged or missing before its committed end, or one of a round sled does not know, is
//! reported by [`Store::damage`], and the aggregator refuses to start with it.
//! Records that older versions kept in the `submissions` tree are moved to the files at open.
//!
//! Durability: [`Store::commit`] first appends the staged submissions to their files and `fsync`s
//! them (and the folder when a file is new), then saves the new committed ends in sled, flushes
//! sled and `fsync`s its data file. sled 0.34's flush only issues `sync_file_range`, which
//! survives a killed process but neither flushes the drive's write cache nor the file's
//! metadata; the added `fsync` makes an acknowledged write survive power loss as well (see
//! docs/PROTOCOL.md). [`Store::set_commit_hook`] lets tests make commits slow or fail.
//!
//! Submissions are stored compactly: the received bytes as bytes, the cohort attributes as their
//! keys, and instead of the signed receipt only the fields that are not in the submission (storage
//! time, acknowledged count and digest); the receipt is signed again when a retry asks for it,
//! which gives the same bytes because Ed25519 signatures are deterministic. The payload hash is
//! computed again on reading. Records that older versions stored as JSON (bytes as arrays of
//! numbers, the whole receipt) are read as they are; the first byte tells the formats apart (`{`
//! or `0x01`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sled::Transactional as _;
use sovbench_core::kv::{self, get_json, get_msg, pair_key, put_json, put_msg};
use sovbench_core::pb;

use crate::error::AggError;
use crate::model::{Enrolment, RoundState, StoredOffer, StoredRequest, StoredSubmission};

/// A function run before every durable commit; an error fails the commit without writing.
/// Test-only (see [`Store::set_commit_hook`]).
pub type CommitHook = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Cache of the sled database.
const CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Typed access to the aggregator's sled database.
#[derive(Clone)]
pub struct Store {
    db: kv::Db,
    path: PathBuf,
    meta: kv::Tree,
    enrolments: kv::Tree,
    rounds: kv::Tree,
    round_state: kv::Tree,
    submissions: kv::Tree,
    publications: kv::Tree,
    offers: kv::Tree,
    peer_requests: kv::Tree,
    peer_nonces: kv::Tree,
    hook: Arc<Mutex<Option<CommitHook>>>,
    submission_ends: kv::Tree,
    ciphertexts: kv::Tree,
    logs: Arc<logs::Logs>,
    /// sled's data file, kept open for every commit's `fsync`.
    data_file: Arc<kv::DataFile>,
    /// Whole-table reads since open ([`Store::table_reads`]).
    table_reads: Arc<AtomicU64>,
    /// Record files that disagree with sled, found at open ([`Store::damage`]).
    damage: Arc<Vec<logs::Damage>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const CONSORTIUM: &[u8] = b"consortium";
const LATEST: &[u8] = b"latest_publication";
const PSEUDONYM_SECRET: &[u8] = b"pseudonym_secret";

/// Key of an offer: path id, a zero byte, the node's raw public key.
fn offer_key(path_id: &str, node_key: &[u8]) -> Vec<u8> {
    pair_key(path_id.as_bytes(), node_key)
}

/// Key of a submission: round id, a zero byte, the node's raw public key.
pub fn submission_key(round_id: &str, node_key: &[u8]) -> Vec<u8> {
    pair_key(round_id.as_bytes(), node_key)
}

/// Round id and node key of a submission key (None: not one).
fn split_submission_key(key: &[u8]) -> Option<(&str, &[u8])> {
    let zero = key.iter().position(|&b| b == 0)?;
    let round = std::str::from_utf8(&key[..zero]).ok()?;
    Some((round, &key[zero + 1..]))
}

/// Key of a claimed nonce: raw public key, nonce (no separator; keys have a fixed length).
fn nonce_key(signer: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut k = signer.to_vec();
    k.extend_from_slice(nonce);
    k
}

/// A group of submissions to be written in one durable commit.
#[derive(Default)]
pub struct SubmissionBatch {
    batch: Vec<(Vec<u8>, Vec<u8>)>,
    /// Keys of the ciphertexts the group's secure submissions carry, with their round.
    ciphertexts: Vec<([u8; 32], String)>,
}

impl SubmissionBatch {
    /// Adds a submission.
    pub fn insert(&mut self, key: &[u8], s: &StoredSubmission) {
        self.batch.push((key.to_vec(), encode_submission(key, s)));
    }

    /// Records the keys of the ciphertexts a secure submission to `round` carries
    /// ([`Store::ciphertext_round`] finds them after the commit).
    pub fn insert_ciphertexts(&mut self, round: &str, keys: &[[u8; 32]]) {
        self.ciphertexts
            .extend(keys.iter().map(|k| (*k, round.to_string())));
    }

    /// Number of submissions in the batch.
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }
}

impl Store {
    /// Opens (or creates) the store in `path`; another process holding it is
    /// [`AggError::Locked`].
    pub fn open(path: &Path) -> Result<Store, AggError> {
        let db = kv::open(path, CACHE_BYTES)?;
        let t = |name: &str| db.open_tree(name).map_err(AggError::from);
        let submission_ends = t("submission_ends")?;
        let mut committed = Vec::new();
        for entry in submission_ends.iter() {
            let (k, v) = entry?;
            let end = <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| AggError::Storage(format!("committed end of {k:?}: {v:?}")))?;
            committed.push((String::from_utf8_lossy(&k).into_owned(), end));
        }
        let logs = logs::Logs::load(&path.join(logs::DIR), committed)?;
        let rounds = t("rounds")?;
        let mut damage = logs.damage().to_vec();
        for (round, file) in logs.unlisted() {
            if !rounds.contains_key(round.as_bytes())? {
                tracing::error!(round, path = %file.display(), "submission records of a round the store does not know");
                damage.push(logs::Damage {
                    round: round.clone(),
                    path: file.clone(),
                    problem: logs::RecordProblem::Unknown,
                });
            }
        }
        let store = Store {
            path: path.to_path_buf(),
            meta: t("meta")?,
            enrolments: t("enrolments")?,
            rounds,
            round_state: t("round_state")?,
            submissions: t("submissions")?,
            publications: t("publications")?,
            offers: t("offers")?,
            peer_requests: t("peer_requests")?,
            peer_nonces: t("peer_nonces")?,
            hook: Arc::new(Mutex::new(None)),
            submission_ends,
            ciphertexts: t("ciphertexts")?,
            logs: Arc::new(logs),
            data_file: Arc::new(kv::DataFile::open(path)?),
            table_reads: Arc::new(AtomicU64::new(0)),
            damage: Arc::new(damage),
            db,
        };
        store.move_old_submissions()?;
        Ok(store)
    }

    /// The record files found at open that disagree with sled: damaged or missing before their
    /// committed end, or of a round sled does not know. The store opens anyway (for the
    /// analysis and for tests); the aggregator refuses to start with any of them.
    pub fn damage(&self) -> &[logs::Damage] {
        &self.damage
    }

    /// Makes everything written so far durable: the staged submissions appended to their files
    /// and `fsync`ed, their committed ends saved, then sled flush and `fsync` of its data file.
    pub fn commit(&self) -> Result<(), AggError> {
        let hook = self.hook.lock().map(|h| h.clone()).unwrap_or_default();
        if let Some(hook) = hook {
            hook().map_err(|e| AggError::Storage(format!("commit: {e}")))?;
        }
        self.write_submissions()?;
        Ok(kv::commit_file(&self.db, &self.data_file)?)
    }

    /// Appends the staged submissions durably and saves the rounds' new committed ends in sled
    /// (durable with sled's next flush).
    fn write_submissions(&self) -> Result<(), AggError> {
        let ends = self.logs.write_pending()?;
        if ends.is_empty() {
            return Ok(());
        }
        let mut batch = kv::Batch::default();
        for (round, end) in &ends {
            batch.insert(round.as_bytes(), &end.to_be_bytes()[..]);
        }
        self.submission_ends.apply_batch(batch)?;
        self.logs.saved(&ends)
    }

    /// Moves submissions that older versions kept in sled to the record files (as they are: both
    /// formats read): files and committed ends durable first, then removed from sled. A crash in
    /// between moves them again (a record already in a file is not written twice).
    fn move_old_submissions(&self) -> Result<(), AggError> {
        let mut old = Vec::new();
        for entry in self.submissions.iter() {
            let (key, record) = entry?;
            if let Some((round, node)) = split_submission_key(&key) {
                if self.logs.get(round, node)?.is_none() {
                    self.logs.stage(round, node.to_vec(), record.to_vec())?;
                }
            }
            old.push(key);
        }
        if old.is_empty() {
            return Ok(());
        }
        self.write_submissions()?;
        kv::commit_file(&self.db, &self.data_file)?;
        let mut gone = kv::Batch::default();
        for key in old {
            gone.remove(key);
        }
        self.submissions.apply_batch(gone)?;
        Ok(kv::commit_file(&self.db, &self.data_file)?)
    }

    /// How many times since open a whole table was read: all enrolments, all round states, all
    /// offers, all contact requests, all nonces, all submissions of a round. A request that
    /// should cost the same however many records exist (enrolling a key, checking an enrolment)
    /// reads none; tests count with it, so that such a path cannot grow a scan unnoticed.
    pub fn table_reads(&self) -> u64 {
        self.table_reads.load(Ordering::Relaxed)
    }

    /// Counts a whole-table read.
    fn read_table(&self) {
        self.table_reads.fetch_add(1, Ordering::Relaxed);
    }

    /// **For tests only**: runs `hook` before every durable commit of this store (and its
    /// clones); an error fails the commit before anything is flushed, as a failing `fsync` would.
    /// Tests use it to make commits slow (sleep, then `Ok`) or fail. `None` removes it.
    pub fn set_commit_hook(&self, hook: Option<CommitHook>) {
        if let Ok(mut h) = self.hook.lock() {
            *h = hook;
        }
    }

    /// The consortium's name.
    pub fn consortium(&self) -> Result<Option<String>, AggError> {
        Ok(self
            .meta
            .get(CONSORTIUM)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Sets the consortium's name.
    pub fn set_consortium(&self, name: &str) -> Result<(), AggError> {
        self.meta.insert(CONSORTIUM, name.as_bytes())?;
        self.commit()
    }

    /// An enrolment by raw public key.
    pub fn enrolment(&self, key: &[u8]) -> Result<Option<Enrolment>, AggError> {
        match self.enrolments.get(key)? {
            Some(v) => Ok(Some(decode_enrolment(key, &v)?)),
            None => Ok(None),
        }
    }

    /// Stores an enrolment durably.
    pub fn put_enrolment(&self, key: &[u8], e: &Enrolment) -> Result<(), AggError> {
        self.enrolments.insert(key, encode_enrolment(e))?;
        self.commit()
    }

    /// Stores many enrolments with one durable commit.
    pub fn put_enrolments(&self, all: &[(Vec<u8>, Enrolment)]) -> Result<(), AggError> {
        let mut batch = kv::Batch::default();
        for (key, e) in all {
            batch.insert(key.as_slice(), encode_enrolment(e));
        }
        self.enrolments.apply_batch(batch)?;
        self.commit()
    }

    /// All enrolments.
    pub fn enrolments(&self) -> Result<Vec<Enrolment>, AggError> {
        self.read_table();
        self.enrolments
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode_enrolment(&k, &v)
            })
            .collect()
    }

    /// Stores a new round durably.
    pub fn put_round(
        &self,
        round_id: &str,
        msg: &pb::SignedMessage,
        state: &RoundState,
    ) -> Result<(), AggError> {
        put_msg(&self.rounds, round_id.as_bytes(), msg)?;
        put_json(&self.round_state, round_id.as_bytes(), state)?;
        self.commit()
    }

    /// A round's signed parameters.
    pub fn round(&self, round_id: &str) -> Result<Option<pb::SignedMessage>, AggError> {
        Ok(get_msg(&self.rounds, round_id.as_bytes())?)
    }

    /// A round's state.
    pub fn round_state(&self, round_id: &str) -> Result<Option<RoundState>, AggError> {
        Ok(get_json(&self.round_state, round_id.as_bytes())?)
    }

    /// Updates a round's state durably.
    pub fn set_round_state(&self, round_id: &str, state: &RoundState) -> Result<(), AggError> {
        put_json(&self.round_state, round_id.as_bytes(), state)?;
        self.commit()
    }

    /// All round ids with their states.
    pub fn round_states(&self) -> Result<Vec<(String, RoundState)>, AggError> {
        self.read_table();
        self.round_state
            .iter()
            .map(|entry| {
                let (k, v) = entry?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    serde_json::from_slice(&v)?,
                ))
            })
            .collect()
    }

    /// A stored submission (or one written but not yet durable).
    pub fn submission(&self, key: &[u8]) -> Result<Option<StoredSubmission>, AggError> {
        let Some((round, node)) = split_submission_key(key) else {
            return Ok(None);
        };
        match self.logs.get(round, node)? {
            Some(v) => Ok(Some(decode_submission(node, &v)?)),
            None => Ok(None),
        }
    }

    /// All submissions of a round, by node key.
    pub fn submissions(&self, round_id: &str) -> Result<Vec<StoredSubmission>, AggError> {
        self.read_table();
        self.logs
            .all(round_id)?
            .iter()
            .map(|(node, v)| decode_submission(node, v))
            .collect()
    }

    /// Number of submissions of a round.
    pub fn submission_count(&self, round_id: &str) -> usize {
        self.logs.count(round_id)
    }

    /// Writes a batch of submissions and commits durably (one fsync per round file of the group,
    /// one of sled). An empty batch still commits: whatever was written before becomes durable.
    /// Written submissions read at once; after a failed commit they stay written and the next
    /// commit makes them durable.
    pub fn commit_submissions(&self, batch: SubmissionBatch) -> Result<(), AggError> {
        for (key, record) in batch.batch {
            let (round, node) = split_submission_key(&key)
                .ok_or_else(|| AggError::Storage(format!("submission key {key:?} has no round")))?;
            self.logs.stage(round, node.to_vec(), record)?;
        }
        // The ciphertexts only once their submissions are staged: a node whose submission could
        // not be staged must not find its own ciphertexts registered when it retries. Both
        // become durable in the one commit below.
        if !batch.ciphertexts.is_empty() {
            let mut seen = kv::Batch::default();
            for (key, round) in &batch.ciphertexts {
                seen.insert(&key[..], round.as_bytes());
            }
            self.ciphertexts.apply_batch(seen)?;
        }
        self.commit()
    }

    /// The round in which a ciphertext with this key ([`sovbench_secure::encoding::component_keys`])
    /// was accepted, if any was: kept for every round, so that no ciphertext is accepted twice.
    pub fn ciphertext_round(&self, key: &[u8; 32]) -> Result<Option<String>, AggError> {
        Ok(self
            .ciphertexts
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Bytes the store takes on disk (every file under its folder, the record files included).
    pub fn disk_bytes(&self) -> u64 {
        dir_bytes(&self.path)
    }

    /// Stores a publication durably and marks it as the latest.
    pub fn put_publication(&self, round_id: &str, msg: &pb::SignedMessage) -> Result<(), AggError> {
        put_msg(&self.publications, round_id.as_bytes(), msg)?;
        self.meta.insert(LATEST, round_id.as_bytes())?;
        self.commit()
    }

    /// A publication by round id.
    pub fn publication(&self, round_id: &str) -> Result<Option<pb::SignedMessage>, AggError> {
        Ok(get_msg(&self.publications, round_id.as_bytes())?)
    }

    /// The latest publication.
    pub fn latest_publication(&self) -> Result<Option<pb::SignedMessage>, AggError> {
        match self.meta.get(LATEST)? {
            Some(id) => Ok(get_msg(&self.publications, &id)?),
            None => Ok(None),
        }
    }
}

/// Peer matching.
impl Store {
    /// The HMAC key of peer pseudonyms; created (32 random bytes, durably) on first use.
    pub fn pseudonym_secret(&self) -> Result<Vec<u8>, AggError> {
        if let Some(v) = self.meta.get(PSEUDONYM_SECRET)? {
            return Ok(v.to_vec());
        }
        let secret = sovbench_core::envelope::random_bytes(32)?;
        self.meta.insert(PSEUDONYM_SECRET, secret.as_slice())?;
        self.commit()?;
        Ok(secret)
    }

    /// All offers.
    pub fn offers(&self) -> Result<Vec<StoredOffer>, AggError> {
        self.read_table();
        Ok(kv::all_json(&self.offers)?)
    }

    /// All contact requests.
    pub fn peer_requests(&self) -> Result<Vec<StoredRequest>, AggError> {
        self.read_table();
        Ok(kv::all_json(&self.peer_requests)?)
    }

    /// Claims a peer message's nonce for its signer: true if it was not seen before (atomic, so
    /// two copies racing each other cannot both pass). Made durable by the next commit.
    pub fn claim_nonce(
        &self,
        signer: &[u8],
        nonce: &[u8],
        issued_at: i64,
    ) -> Result<bool, AggError> {
        let claimed = self.peer_nonces.compare_and_swap(
            nonce_key(signer, nonce),
            None as Option<&[u8]>,
            Some(&issued_at.to_be_bytes()[..]),
        )?;
        Ok(claimed.is_ok())
    }

    /// Forgets nonces issued before `before` (outside every replay window).
    pub fn forget_nonces(&self, before: i64) -> Result<(), AggError> {
        self.read_table();
        let mut old = kv::Batch::default();
        for entry in self.peer_nonces.iter() {
            let (k, v) = entry?;
            let at = <[u8; 8]>::try_from(v.as_ref())
                .map(i64::from_be_bytes)
                .unwrap_or(i64::MIN);
            if at < before {
                old.remove(k);
            }
        }
        self.peer_nonces.apply_batch(old)?;
        Ok(())
    }

    /// Writes offers, removals and requests, then commits durably.
    pub fn write_peers(
        &self,
        put_offers: &[StoredOffer],
        remove_offers: &[(String, Vec<u8>)],
        put_requests: &[StoredRequest],
    ) -> Result<(), AggError> {
        let mut offers = kv::Batch::default();
        for o in put_offers {
            offers.insert(offer_key(&o.path_id, &o.node_key), serde_json::to_vec(o)?);
        }
        for (path, key) in remove_offers {
            offers.remove(offer_key(path, key));
        }
        let mut requests = kv::Batch::default();
        for r in put_requests {
            requests.insert(r.id.as_bytes(), serde_json::to_vec(r)?);
        }
        // Both trees in one transaction: a withdrawal and the requests it closes land together.
        (&self.offers, &self.peer_requests)
            .transaction(|(o, r)| {
                o.apply_batch(&offers)?;
                r.apply_batch(&requests)?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| AggError::Storage(format!("peer transaction: {e:?}")))?;
        self.commit()
    }
}

impl From<sled::Error> for AggError {
    fn from(e: sled::Error) -> Self {
        kv::KvError::from(e).into()
    }
}

pub mod logs;
mod records;
mod secure;
use records::{decode_enrolment, decode_submission, encode_enrolment, encode_submission};
pub use records::{dir_bytes, encoded_len};

#[cfg(test)]
mod tests;
