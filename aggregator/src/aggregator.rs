//! The [`Aggregator`]: what one consortium's aggregator holds (data directory, store, signing key,
//! clock, commit worker, peer desk) and the operations the command line and the gRPC service
//! call. Each operation reads the clock once and hands over to the module of its concept:
//! [`crate::enrolment`], [`crate::rounds`], [`crate::submission`], [`crate::publication`] and
//! [`crate::peers`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sovbench_core::clock::{SharedClock, SystemClock};
use sovbench_core::cohort::CohortAttributes;
use sovbench_core::envelope::{EnvelopeError, Identity};
use sovbench_core::pb;

use crate::acks::{self, AckLog};
use crate::commit::Committer;
use crate::enrolment::{self, NewEnrolment};
use crate::error::AggError;
use crate::model::Enrolment;
use crate::peers::Desk;
use crate::publication;
use crate::rounds::{self, RoundInfo, RoundSpec};
use crate::secure::ceremony::{self, CeremonyInfo};
use crate::secure::SecureDesk;
use crate::store::{CommitHook, Store};
use crate::submission;

/// File name of the aggregator's Ed25519 key (PKCS#8, mode 0600) inside the data directory.
pub const KEY_FILE: &str = "aggregator.key";
/// Folder of the sled store inside the data directory.
pub const STORE_DIR: &str = "store";
/// What the aggregator owns in its data directory: set to 0700/0600 at every start
/// ([`sovbench_core::private::secure_data_dir`]).
const OWNED: [&str; 5] = [
    KEY_FILE,
    STORE_DIR,
    crate::acks::ACKS_FILE,
    crate::admin::client::ADDR_FILE,
    crate::admin::auth::OPERATORS_FILE,
];

/// An opened aggregator: store, signing key, clock, commit worker, peer desk.
#[derive(Debug)]
pub struct Aggregator {
    dir: PathBuf,
    store: Store,
    identity: Arc<Identity>,
    clock: SharedClock,
    acks: Arc<Mutex<AckLog>>,
    committer: Committer,
    desk: Desk,
    secure: SecureDesk,
    /// The TLS server while `serve` runs with TLS: `status` and the metrics show its
    /// certificate's validity.
    tls: Mutex<Option<Arc<crate::tls::TlsServer>>>,
}

impl Aggregator {
    /// Creates an aggregator in `dir`: signing key (0600) and store. Refuses to overwrite.
    pub fn init(dir: &Path, consortium: &str) -> Result<Aggregator, AggError> {
        Aggregator::init_with_clock(dir, consortium, SystemClock::shared())
    }

    /// [`Aggregator::init`] with a clock of the caller's (tests pass a `TestClock`).
    pub fn init_with_clock(
        dir: &Path,
        consortium: &str,
        clock: SharedClock,
    ) -> Result<Aggregator, AggError> {
        if consortium.trim().is_empty() {
            return Err(AggError::EmptyConsortium);
        }
        if dir.join(KEY_FILE).exists() || dir.join(STORE_DIR).exists() {
            return Err(AggError::AlreadyInitialised(dir.display().to_string()));
        }
        sovbench_core::private::create_dir(dir).map_err(|source| AggError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Identity::create_file(&dir.join(KEY_FILE)).map_err(|e| match e {
            EnvelopeError::KeyExists(_) => AggError::AlreadyInitialised(dir.display().to_string()),
            other => other.into(),
        })?;
        let store = Store::open(&dir.join(STORE_DIR))?;
        store.set_consortium(consortium.trim())?;
        Aggregator::from_parts(dir, store, clock)
    }

    /// Opens the aggregator in `dir`. Refuses to start ([`AggError::StoreDamaged`]) when the
    /// store holds less than its acknowledgement record ([`crate::acks`]) says was acknowledged,
    /// and ([`AggError::RecordFile`]) when a submission record file is damaged or missing before
    /// its committed end or belongs to a round the store does not know.
    pub fn open(dir: &Path) -> Result<Aggregator, AggError> {
        Aggregator::open_with_clock(dir, SystemClock::shared())
    }

    /// [`Aggregator::open`] with a clock of the caller's (tests pass a `TestClock`).
    pub fn open_with_clock(dir: &Path, clock: SharedClock) -> Result<Aggregator, AggError> {
        if !dir.join(KEY_FILE).exists() || !dir.join(STORE_DIR).exists() {
            return Err(AggError::NotInitialised(dir.display().to_string()));
        }
        // Names and populations of the enrolled administrations: warn about what others could
        // read, then make it private (before the store is opened, which makes its files private
        // without a word).
        sovbench_core::private::secure_data_dir(dir, &OWNED).map_err(|source| AggError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&dir.join(STORE_DIR))?;
        Aggregator::from_parts(dir, store, clock)
    }

    fn from_parts(dir: &Path, store: Store, clock: SharedClock) -> Result<Aggregator, AggError> {
        let identity = Arc::new(Identity::load_file(&dir.join(KEY_FILE))?);
        let recorded = acks::read(dir)?;
        acks::verify(&store, &recorded)?;
        // The store's own evidence, which needs no acks.log: a record file damaged or missing
        // before its committed end, or one of a round the store does not know.
        if let Some(d) = store.damage().first() {
            return Err(AggError::RecordFile {
                round: d.round.clone(),
                path: d.path.display().to_string(),
                problem: d.problem.clone(),
            });
        }
        let acks = Arc::new(Mutex::new(AckLog::open(dir, &store, &recorded)?));
        let committer = Committer::start(store.clone(), identity.clone(), acks.clone())?;
        let desk = Desk::open(store.clone(), identity.clone(), clock.clone())?;
        let secure = SecureDesk::new(
            store.clone(),
            identity.clone(),
            clock.clone(),
            acks.clone(),
            committer.bulletins(),
        );
        Ok(Aggregator {
            secure,
            dir: dir.to_path_buf(),
            store,
            identity,
            clock,
            acks,
            committer,
            desk,
            tls: Mutex::new(None),
        })
    }

    /// Records the TLS server that serves this aggregator (`serve_tls` does).
    pub fn set_tls(&self, tls: Option<Arc<crate::tls::TlsServer>>) {
        *self
            .tls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = tls;
    }

    /// The validity of the certificate served now, while serving with TLS.
    pub fn tls_certificate(&self) -> Option<crate::tls::CertValidity> {
        self.tls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .and_then(|t| t.certificate())
    }

    /// **For tests only**: runs `hook` before every durable commit of the store, so that a test
    /// can make commits slow or fail ([`Store::set_commit_hook`]); `None` removes it.
    pub fn set_commit_hook(&self, hook: Option<CommitHook>) {
        self.store.set_commit_hook(hook);
    }

    /// Bytes the store takes on disk.
    pub fn store_bytes(&self) -> u64 {
        self.store.disk_bytes()
    }

    /// Data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Raw public key.
    pub fn public_key(&self) -> &[u8] {
        self.identity.public_key()
    }

    /// The consortium's name.
    pub fn consortium(&self) -> Result<String, AggError> {
        Ok(self.store.consortium()?.unwrap_or_default())
    }

    /// The current time by the aggregator's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The peer-matching desk (its handlers serve the peer RPCs).
    pub fn peers(&self) -> &Desk {
        &self.desk
    }

    /// Answers a node's signed `EnrolmentQuery` ([`crate::enrolment_check`]).
    pub fn check_enrolment(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        crate::enrolment_check::check(&self.store, &self.identity, self.clock.now(), msg)
    }

    /// Enrols (or re-enrols, lifting a revocation) a node's key with its cohort attributes.
    pub fn enrol(
        &self,
        public_key: &[u8],
        name: &str,
        attributes: CohortAttributes,
        size: u64,
    ) -> Result<Enrolment, AggError> {
        let entry = (public_key.to_vec(), name.to_string(), attributes, size);
        enrolment::enrol(&self.store, entry, self.now())
    }

    /// Enrols many keys with one durable commit: `(raw key, name, attributes, size)`.
    pub fn enrol_many(&self, entries: Vec<NewEnrolment>) -> Result<Vec<Enrolment>, AggError> {
        enrolment::enrol_many(&self.store, entries, self.now())
    }

    /// Revokes a node's key: its further submissions are refused, its peer offers vanish from
    /// every match list and its unanswered contact requests are closed.
    pub fn revoke(&self, public_key: &[u8]) -> Result<Enrolment, AggError> {
        enrolment::revoke(&self.committer, &self.desk, public_key, self.now())
    }

    /// All enrolments.
    pub fn enrolments(&self) -> Result<Vec<Enrolment>, AggError> {
        enrolment::enrolled(&self.store)
    }

    /// The enrolment of one raw public key, revoked or not (one lookup, whatever the count).
    pub fn enrolment(&self, public_key: &[u8]) -> Result<Option<Enrolment>, AggError> {
        self.store.enrolment(public_key)
    }

    /// How many times since open the store read a whole table ([`Store::table_reads`]): tests
    /// and the enrolment benchmark show with it that a per-request path reads none.
    pub fn store_table_reads(&self) -> u64 {
        self.store.table_reads()
    }

    /// Opens a round: checks the spec, signs the parameters, stores them durably.
    pub fn open_round(&self, spec: RoundSpec) -> Result<pb::RoundParams, AggError> {
        rounds::open_round(&self.store, &self.identity, spec, self.now())
    }

    /// Rounds that are still marked open but whose closing time `now` has passed.
    pub fn due_rounds(&self, now: i64) -> Result<Vec<String>, AggError> {
        rounds::due_rounds(&self.store, now)
    }

    /// Rounds that are closed but not yet published.
    pub fn unpublished_rounds(&self) -> Result<Vec<String>, AggError> {
        rounds::unpublished(&self.store)
    }

    /// The decoded parameters of a round (our own signed message).
    pub fn round_params(&self, round_id: &str) -> Result<pb::RoundParams, AggError> {
        rounds::round_params(&self.store, round_id)
    }

    /// The signed parameters of a round, or of the open round for `None`.
    pub fn signed_round(&self, round_id: Option<&str>) -> Result<pb::SignedMessage, AggError> {
        rounds::signed_round(&self.store, round_id, self.now())
    }

    /// Closes a round (idempotent); returns false if it was closed already.
    pub async fn close_round(&self, round_id: &str) -> Result<bool, AggError> {
        rounds::close(&self.committer, round_id, self.now()).await
    }

    /// Abandons a closed round that cannot be published ([`rounds::abandon`]), under the secure
    /// desk's phase lock so that no publication of it is under way.
    pub fn abandon_round(&self, round_id: &str, reason: &str) -> Result<bool, AggError> {
        let _phase = self.secure().phase_lock();
        let changed = rounds::abandon(&self.store, round_id, reason, self.now())?;
        if changed {
            tracing::warn!(round = %round_id, reason = %reason.trim(), "round abandoned");
        }
        Ok(changed)
    }

    /// All rounds.
    pub fn rounds(&self) -> Result<Vec<RoundInfo>, AggError> {
        rounds::list(&self.store)
    }

    /// Whether the store holds a submission of the key `node_key` (raw) to the round.
    pub fn submission_stored(&self, round_id: &str, node_key: &[u8]) -> Result<bool, AggError> {
        Ok(self
            .store
            .submission(&crate::store::submission_key(round_id, node_key))?
            .is_some())
    }

    /// Checks a signed submission and stores it durably; returns the signed receipt.
    pub async fn submit(&self, msg: pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        submission::submit(&self.store, &self.committer, msg, self.now()).await
    }

    /// Computes, signs and stores the benchmark of a closed round. Publishing a round again
    /// returns the stored publication. A secure round is published once *t* trustees have
    /// posted valid decryption shares; before, [`AggError::TrusteePhase`] says what it waits for.
    pub fn publish(&self, round_id: &str) -> Result<pb::SignedMessage, AggError> {
        if crate::secure::is_secure(&self.store, round_id)? {
            if self.store.round_state(round_id)?.map(|s| s.status)
                == Some(crate::model::RoundStatus::Open)
            {
                return Err(AggError::RoundOpen(round_id.to_string()));
            }
            return match self.secure.advance(round_id)? {
                Some(p) => Ok(p),
                None => Err(self.secure.waiting(round_id)),
            };
        }
        publication::publish(
            &self.store,
            &self.identity,
            &self.acks,
            round_id,
            self.now(),
        )
    }

    /// Mode secure: the trustee handlers, the phases and the noise wait.
    pub fn secure(&self) -> &SecureDesk {
        &self.secure
    }

    /// Moves a closed secure round on as far as its trustees allow (announce, fix the noise
    /// set, publish); returns its publication once there is one. Mode direct: `None`.
    pub fn advance_secure(&self, round_id: &str) -> Result<Option<pb::SignedMessage>, AggError> {
        if !crate::secure::is_secure(&self.store, round_id)? {
            return Ok(None);
        }
        self.secure.advance(round_id)
    }

    /// Whether a round is in mode secure.
    pub fn is_secure(&self, round_id: &str) -> Result<bool, AggError> {
        crate::secure::is_secure(&self.store, round_id)
    }

    /// Registers a DKG ceremony: its id (like a round id), threshold t (1 ≤ t ≤ m) and the m
    /// trustees' raw Ed25519 keys (2 ≤ m ≤ 64, valid, distinct).
    pub fn create_ceremony(
        &self,
        id: &str,
        threshold: u32,
        trustee_keys: Vec<Vec<u8>>,
    ) -> Result<(), AggError> {
        ceremony::create(&self.store, id, threshold, trustee_keys, self.now())
    }

    /// A ceremony's state.
    pub fn ceremony(&self, id: &str) -> Result<CeremonyInfo, AggError> {
        ceremony::info(&self.store, id)
    }

    /// All ceremonies.
    pub fn ceremonies(&self) -> Result<Vec<CeremonyInfo>, AggError> {
        ceremony::list(&self.store)
    }

    /// A stored publication (the latest for `None`).
    pub fn publication(&self, round_id: Option<&str>) -> Result<pb::SignedMessage, AggError> {
        publication::lookup(&self.store, round_id)
    }

    /// The archive of publications, oldest first, signed (`ListPublications`).
    pub fn list_publications(
        &self,
        req: &pb::ListPublicationsRequest,
    ) -> Result<pb::SignedMessage, AggError> {
        crate::portal::archive::signed_list(&self.store, &self.identity, req, self.now())
    }

    /// The store, for the portal's read-only views.
    pub(crate) fn store(&self) -> &crate::store::Store {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::clock::TestClock;
    use sovbench_core::cohort::{Kind, SizeClass};

    /// Every time the aggregator records comes from its clock.
    #[test]
    fn times_come_from_the_clock() {
        let dir = tempfile::tempdir().unwrap();
        let (handle, clock) = TestClock::shared(1_790_000_000);
        assert!(matches!(
            Aggregator::init_with_clock(dir.path(), " ", clock.clone()),
            Err(AggError::EmptyConsortium)
        ));
        let agg = Aggregator::init_with_clock(dir.path(), "Test", clock).unwrap();
        let attrs = CohortAttributes {
            kind: Kind::Stadt,
            state: "DE-SH".into(),
            size: SizeClass::Pop50kTo100k,
        };
        // A real key: enrolment refuses keys that are not valid Ed25519 points.
        let key = sovbench_core::envelope::Identity::generate()
            .unwrap()
            .0
            .public_key()
            .to_vec();
        let e = agg.enrol(&key, "A", attrs.clone(), 60_000).unwrap();
        assert_eq!(e.enrolled_at, 1_790_000_000);
        assert!(matches!(
            agg.enrol(&[7; 31], "B", attrs, 1),
            Err(AggError::BadPublicKey(31))
        ));
        let p = agg
            .open_round(RoundSpec {
                round_id: "r".into(),
                metrics: Vec::new(),
                epsilon_per_release: 1.0,
                releases_per_node: 1,
                min_cohort: 2,
                closes_at: 1_790_000_600,
                secure: None,
            })
            .unwrap();
        assert_eq!(p.opens_at, 1_790_000_000);
        handle.advance(60);
        assert_eq!(agg.revoke(&key).unwrap().revoked_at, Some(1_790_000_060));
        assert!(agg.signed_round(None).is_ok());
        handle.advance(600);
        assert!(matches!(agg.signed_round(None), Err(AggError::NoOpenRound)));
        assert_eq!(agg.due_rounds(agg.now()).unwrap(), vec!["r".to_string()]);
    }
}
