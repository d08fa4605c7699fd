//! The aggregator's operations: enrolment, the round life cycle, checked submissions and
//! publication.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use prost::Message as _;
use serde::Serialize;
use sovbench_core::catalogue::{Catalogue, MechanismKind};
use sovbench_core::cohort::CohortAttributes;
use sovbench_core::envelope::{self, fingerprint, Identity};
use sovbench_core::pb;

use crate::commit::{Committer, PendingSubmission};
use crate::error::AggError;
use crate::estimate::{compute_cells, Contribution};
use crate::model::{Enrolment, RoundState, RoundStatus, StoredSubmission};
use crate::store::Store;

/// File name of the aggregator's Ed25519 key (PKCS#8, mode 0600) inside the data directory.
pub const KEY_FILE: &str = "aggregator.key";
/// Folder of the sled store inside the data directory.
pub const STORE_DIR: &str = "store";

/// What a new round asks for.
#[derive(Debug, Clone)]
pub struct RoundSpec {
    /// Round id (letters, digits, `.`, `_`, `-`).
    pub round_id: String,
    /// Metric ids; empty means the catalogue's default (the five self-test dimensions).
    pub metrics: Vec<String>,
    /// Epsilon of one released value.
    pub epsilon_per_release: f64,
    /// How many metrics each node releases (0 = all).
    pub releases_per_node: u32,
    /// Smallest publishable cohort.
    pub min_cohort: u32,
    /// Closing time, Unix seconds.
    pub closes_at: i64,
}

/// A round with its parameters and state, for listings.
#[derive(Debug, Clone, Serialize)]
pub struct RoundInfo {
    /// Round id.
    pub round_id: String,
    /// Status.
    pub status: RoundStatus,
    /// Metric ids.
    pub metrics: Vec<String>,
    /// Epsilon per release.
    pub epsilon_per_release: f64,
    /// Releases per node (0 = all).
    pub releases_per_node: u32,
    /// Minimum cohort size k.
    pub min_cohort: u32,
    /// Opening time.
    pub opens_at: i64,
    /// Closing time.
    pub closes_at: i64,
    /// Submissions stored.
    pub submissions: usize,
}

/// An opened aggregator: store, signing key, commit worker.
#[derive(Debug)]
pub struct Aggregator {
    dir: PathBuf,
    pub(crate) store: Store,
    pub(crate) identity: Arc<Identity>,
    committer: Committer,
    pub(crate) peers: std::sync::Mutex<crate::peers::PeerBook>,
    /// When this process opened the store (Unix seconds).
    pub(crate) started_at: i64,
}

impl Aggregator {
    /// Creates an aggregator in `dir`: signing key (0600) and store. Refuses to overwrite.
    pub fn init(dir: &Path, consortium: &str) -> Result<Aggregator, AggError> {
        if consortium.trim().is_empty() {
            return Err(AggError::Invalid(
                "the consortium name must not be empty".into(),
            ));
        }
        if dir.join(KEY_FILE).exists() || dir.join(STORE_DIR).exists() {
            return Err(AggError::AlreadyInitialised(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir).map_err(|source| AggError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Identity::create_file(&dir.join(KEY_FILE)).map_err(|e| match e {
            envelope::EnvelopeError::KeyExists(_) => {
                AggError::AlreadyInitialised(dir.display().to_string())
            }
            other => other.into(),
        })?;
        let store = Store::open(&dir.join(STORE_DIR))?;
        store.set_consortium(consortium.trim())?;
        Aggregator::from_parts(dir, store)
    }

    /// Opens the aggregator in `dir`.
    pub fn open(dir: &Path) -> Result<Aggregator, AggError> {
        if !dir.join(KEY_FILE).exists() || !dir.join(STORE_DIR).exists() {
            return Err(AggError::NotInitialised(dir.display().to_string()));
        }
        let store = Store::open(&dir.join(STORE_DIR))?;
        Aggregator::from_parts(dir, store)
    }

    fn from_parts(dir: &Path, store: Store) -> Result<Aggregator, AggError> {
        let identity = Arc::new(Identity::load_file(&dir.join(KEY_FILE))?);
        let committer = Committer::start(store.clone(), identity.clone())?;
        let book = Aggregator::load_peer_book(&store, Default::default())?;
        Ok(Aggregator {
            dir: dir.to_path_buf(),
            store,
            identity,
            committer,
            peers: std::sync::Mutex::new(book),
            started_at: sovbench_core::now_unix(),
        })
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

    /// Enrols (or re-enrols, lifting a revocation) a node's key with its cohort attributes.
    pub fn enrol(
        &self,
        public_key: &[u8],
        name: &str,
        attributes: CohortAttributes,
        size: u64,
    ) -> Result<Enrolment, AggError> {
        let mut all = self.enrol_many(vec![(
            public_key.to_vec(),
            name.to_string(),
            attributes,
            size,
        )])?;
        all.pop()
            .ok_or_else(|| AggError::Storage("enrolment not returned".into()))
    }

    /// Enrols many keys with one durable commit: `(raw key, name, attributes, size)`.
    pub fn enrol_many(
        &self,
        entries: Vec<(Vec<u8>, String, CohortAttributes, u64)>,
    ) -> Result<Vec<Enrolment>, AggError> {
        let now = sovbench_core::now_unix();
        let mut out = Vec::with_capacity(entries.len());
        for (key, name, attributes, size) in entries {
            if key.len() != envelope::PUBLIC_KEY_LEN {
                return Err(AggError::Invalid(format!(
                    "public key must be 32 bytes (base64 of the raw Ed25519 key), got {}",
                    key.len()
                )));
            }
            let e = Enrolment {
                public_key: envelope::b64(&key),
                fingerprint: fingerprint(&key),
                name: name.trim().to_string(),
                attributes,
                size,
                enrolled_at: now,
                revoked_at: None,
            };
            out.push((key, e));
        }
        self.store.put_enrolments(&out)?;
        Ok(out.into_iter().map(|(_, e)| e).collect())
    }

    /// Revokes a node's key: its further submissions are refused, its peer offers vanish from
    /// every match list and its unanswered contact requests are closed.
    pub fn revoke(&self, public_key: &[u8]) -> Result<Enrolment, AggError> {
        // The peer book's lock is held across both steps: a peer message admitted under it either
        // completes before the revocation (and its offer is removed here) or sees it.
        let mut book = self.peer_book();
        let mut e = self
            .store
            .enrolment(public_key)?
            .ok_or_else(|| AggError::UnknownKey(fingerprint(public_key)))?;
        if e.revoked_at.is_none() {
            e.revoked_at = Some(sovbench_core::now_unix());
            self.store.put_enrolment(public_key, &e)?;
        }
        self.forget_peer(&mut book, public_key)?;
        Ok(e)
    }

    /// All enrolments.
    pub fn enrolments(&self) -> Result<Vec<Enrolment>, AggError> {
        self.store.enrolments()
    }

    /// Opens a round: checks the spec, signs the parameters, stores them durably.
    pub fn open_round(&self, spec: RoundSpec) -> Result<pb::RoundParams, AggError> {
        let now = sovbench_core::now_unix();
        let id = spec.round_id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(AggError::Invalid(format!(
                "round id {id:?} must be 1-64 letters, digits, '.', '_' or '-'"
            )));
        }
        if self.store.round(id)?.is_some() {
            return Err(AggError::Invalid(format!("round {id} exists already")));
        }
        if let Some(open) = self.open_round_id(now)? {
            return Err(AggError::Invalid(format!(
                "round {open} is still open; close it first (one round is open at a time)"
            )));
        }
        let catalogue = Catalogue::shared();
        let ids: Vec<String> = if spec.metrics.is_empty() {
            catalogue
                .default_round_metrics()
                .iter()
                .map(|m| m.id.clone())
                .collect()
        } else {
            spec.metrics.clone()
        };
        let mut metrics = Vec::new();
        for mid in &ids {
            let def = catalogue.metric(mid).ok_or_else(|| {
                AggError::Invalid(format!(
                    "unknown metric {mid}; known: {}",
                    catalogue
                        .metrics
                        .iter()
                        .map(|m| m.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            if metrics.iter().any(|m: &pb::MetricSpec| m.id == def.id) {
                return Err(AggError::Invalid(format!("metric {mid} given twice")));
            }
            metrics.push(def.spec());
        }
        if !(spec.epsilon_per_release.is_finite() && spec.epsilon_per_release > 0.0) {
            return Err(AggError::Invalid(format!(
                "epsilon per release must be a positive number, got {}",
                spec.epsilon_per_release
            )));
        }
        if spec.releases_per_node as usize > metrics.len() {
            return Err(AggError::Invalid(format!(
                "releases per node ({}) exceeds the number of metrics ({})",
                spec.releases_per_node,
                metrics.len()
            )));
        }
        if spec.min_cohort < 2 {
            return Err(AggError::Invalid(
                "minimum cohort size k must be at least 2".into(),
            ));
        }
        if spec.closes_at <= now {
            return Err(AggError::Invalid(
                "closing time must be in the future".into(),
            ));
        }
        let params = pb::RoundParams {
            round_id: id.to_string(),
            mode: pb::RoundMode::Direct as i32,
            metrics,
            epsilon_per_release: spec.epsilon_per_release,
            releases_per_node: spec.releases_per_node,
            min_cohort: spec.min_cohort,
            opens_at: now,
            closes_at: spec.closes_at,
            catalogue_hash: catalogue.hash().to_vec(),
            consortium: self.consortium()?,
        };
        let msg = self.identity.seal(pb::payload::Body::Round(params.clone()));
        self.store.put_round(
            id,
            &msg,
            &RoundState {
                status: RoundStatus::Open,
                closed_at: None,
            },
        )?;
        Ok(params)
    }

    fn open_round_id(&self, now: i64) -> Result<Option<String>, AggError> {
        for (id, st) in self.store.round_states()? {
            if st.status == RoundStatus::Open {
                let p = self.round_params(&id)?;
                if now < p.closes_at {
                    return Ok(Some(id));
                }
            }
        }
        Ok(None)
    }

    /// Rounds that are still marked open but whose closing time has passed.
    pub fn due_rounds(&self, now: i64) -> Result<Vec<String>, AggError> {
        let mut due = Vec::new();
        for (id, st) in self.store.round_states()? {
            if st.status == RoundStatus::Open && self.round_params(&id)?.closes_at <= now {
                due.push(id);
            }
        }
        Ok(due)
    }

    /// The decoded parameters of a round (our own signed message).
    pub fn round_params(&self, round_id: &str) -> Result<pb::RoundParams, AggError> {
        let msg = self
            .store
            .round(round_id)?
            .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
        match pb::Payload::decode(msg.payload.as_slice())?.body {
            Some(pb::payload::Body::Round(p)) => Ok(p),
            _ => Err(AggError::Storage(format!(
                "round {round_id} holds no parameters"
            ))),
        }
    }

    /// The signed parameters of a round, or of the open round for `None`.
    pub fn signed_round(&self, round_id: Option<&str>) -> Result<pb::SignedMessage, AggError> {
        let id = match round_id {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => self
                .open_round_id(sovbench_core::now_unix())?
                .ok_or(AggError::NoOpenRound)?,
        };
        self.store.round(&id)?.ok_or(AggError::UnknownRound(id))
    }

    /// Closes a round (idempotent); returns false if it was closed already.
    pub async fn close_round(&self, round_id: &str) -> Result<bool, AggError> {
        self.committer
            .close(round_id, sovbench_core::now_unix())
            .await
    }

    /// All rounds.
    pub fn rounds(&self) -> Result<Vec<RoundInfo>, AggError> {
        self.store
            .round_states()?
            .into_iter()
            .map(|(id, st)| {
                let p = self.round_params(&id)?;
                Ok(RoundInfo {
                    submissions: self.store.submission_count(&id),
                    round_id: id,
                    status: st.status,
                    metrics: p.metrics.iter().map(|m| m.id.clone()).collect(),
                    epsilon_per_release: p.epsilon_per_release,
                    releases_per_node: p.releases_per_node,
                    min_cohort: p.min_cohort,
                    opens_at: p.opens_at,
                    closes_at: p.closes_at,
                })
            })
            .collect()
    }

    /// Checks the size of a received message, then its signature over the exact bytes, and only
    /// then decodes it.
    pub(crate) fn open_checked(
        &self,
        msg: &pb::SignedMessage,
    ) -> Result<envelope::Verified, AggError> {
        let size = msg.encoded_len();
        if size > sovbench_proto::MAX_MESSAGE_BYTES {
            return Err(AggError::TooLarge(size, sovbench_proto::MAX_MESSAGE_BYTES));
        }
        Ok(envelope::open(msg)?)
    }

    /// The enrolment of a signer that is enrolled and not revoked.
    pub(crate) fn enrolled(&self, key: &[u8]) -> Result<Enrolment, AggError> {
        let e = self
            .store
            .enrolment(key)?
            .ok_or_else(|| AggError::UnknownKey(fingerprint(key)))?;
        match e.revoked_at {
            Some(_) => Err(AggError::Revoked(e.fingerprint)),
            None => Ok(e),
        }
    }

    /// Checks a signed submission and stores it durably; returns the signed receipt.
    ///
    /// Order of checks: size; signature over the exact received bytes; decoding; message kind;
    /// enrolled and unrevoked key; an earlier submission of the same node to the same round
    /// (identical: its receipt again; different: refused); known, open round; parameters equal to
    /// the round's; then, in the commit worker, the duplicate and open-round checks once more.
    pub async fn submit(&self, msg: pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let verified = self.open_checked(&msg)?;
        let sub = match verified.body {
            pb::payload::Body::Submission(s) => s,
            other => return Err(crate::peers::wrong("submission", &other)),
        };
        let enrolment = self.enrolled(&verified.signer)?;
        // An identical retry gets the stored receipt, even after the round closed; a different
        // second submission is refused. (The commit worker checks again, race-free.)
        let key = crate::store::submission_key(&sub.round_id, &verified.signer);
        if let Some(existing) = self.store.submission(&key)? {
            if existing.payload_hash == verified.payload_hash {
                return Ok(pb::SignedMessage::decode(existing.receipt.as_slice())?);
            }
            return Err(AggError::Conflict {
                key: enrolment.fingerprint,
                round: sub.round_id,
            });
        }
        let round_msg = self
            .store
            .round(&sub.round_id)?
            .ok_or_else(|| AggError::UnknownRound(sub.round_id.clone()))?;
        let params = self.round_params(&sub.round_id)?;
        let now = sovbench_core::now_unix();
        let state = self
            .store
            .round_state(&sub.round_id)?
            .ok_or_else(|| AggError::UnknownRound(sub.round_id.clone()))?;
        if state.status != RoundStatus::Open || now >= params.closes_at {
            return Err(AggError::RoundClosed {
                round: sub.round_id.clone(),
                at: sovbench_core::time::format_utc(state.closed_at.unwrap_or(params.closes_at)),
            });
        }
        check_submission(&params, &round_msg, &sub)?;
        self.committer
            .submit(PendingSubmission {
                round_id: sub.round_id.clone(),
                node_key: verified.signer.clone(),
                record: StoredSubmission {
                    message: msg.encode_to_vec(),
                    receipt: Vec::new(),
                    payload_hash: verified.payload_hash.to_vec(),
                    attributes: enrolment.attributes,
                    stored_at: now,
                },
            })
            .await
    }

    /// Computes, signs and stores the benchmark of a closed round. Publishing a round again
    /// returns the stored publication.
    pub fn publish(&self, round_id: &str) -> Result<pb::SignedMessage, AggError> {
        let state = self
            .store
            .round_state(round_id)?
            .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
        match state.status {
            RoundStatus::Open => return Err(AggError::RoundOpen(round_id.to_string())),
            RoundStatus::Published => {
                if let Some(p) = self.store.publication(round_id)? {
                    return Ok(p);
                }
            }
            RoundStatus::Closed => {
                // Stored but the state not yet updated (a crash in between): the same bytes.
                if let Some(p) = self.store.publication(round_id)? {
                    self.store.set_round_state(
                        round_id,
                        &RoundState {
                            status: RoundStatus::Published,
                            closed_at: state.closed_at,
                        },
                    )?;
                    return Ok(p);
                }
            }
        }
        let params = self.round_params(round_id)?;
        let round_msg = self
            .store
            .round(round_id)?
            .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
        let mut contributions = Vec::new();
        for s in self.store.submissions(round_id)? {
            let msg = pb::SignedMessage::decode(s.message.as_slice())?;
            // Verified again: what is published rests only on validly signed bytes.
            if let pb::payload::Body::Submission(sub) = envelope::open(&msg)?.body {
                contributions.push(Contribution {
                    attributes: s.attributes,
                    releases: sub.releases,
                });
            }
        }
        let cells = compute_cells(&params, &contributions, Catalogue::shared());
        let publication = pb::Publication {
            round_id: round_id.to_string(),
            round_params_hash: sovbench_core::sha256(&round_msg.payload).to_vec(),
            published_at: sovbench_core::now_unix(),
            contributors: contributions.len() as u32,
            cells,
            confidence: 0.95,
            min_cohort: params.min_cohort,
        };
        let msg = self
            .identity
            .seal(pb::payload::Body::Publication(publication));
        self.store.put_publication(round_id, &msg)?;
        self.store.set_round_state(
            round_id,
            &RoundState {
                status: RoundStatus::Published,
                closed_at: state.closed_at,
            },
        )?;
        Ok(msg)
    }

    /// A stored publication (the latest for `None`).
    pub fn publication(&self, round_id: Option<&str>) -> Result<pb::SignedMessage, AggError> {
        match round_id {
            Some(id) if !id.is_empty() => self
                .store
                .publication(id)?
                .ok_or_else(|| AggError::NoPublication(format!("for round {id}"))),
            _ => self
                .store
                .latest_publication()?
                .ok_or_else(|| AggError::NoPublication("yet".into())),
        }
    }
}

/// Checks that a submission matches its round exactly.
pub fn check_submission(
    params: &pb::RoundParams,
    round_msg: &pb::SignedMessage,
    sub: &pb::Submission,
) -> Result<(), AggError> {
    let mismatch = |detail: String| AggError::ParamsMismatch {
        round: params.round_id.clone(),
        detail,
    };
    if sub.round_params_hash != sovbench_core::sha256(&round_msg.payload) {
        return Err(mismatch(
            "round parameters hash differs from the round's".into(),
        ));
    }
    let expected = match params.releases_per_node as usize {
        0 => params.metrics.len(),
        m => m.min(params.metrics.len()),
    };
    if sub.releases.len() != expected {
        return Err(mismatch(format!(
            "{} releases, the round asks for {expected}",
            sub.releases.len()
        )));
    }
    if sub.nonce.len() > 64 {
        return Err(mismatch("nonce longer than 64 bytes".into()));
    }
    let mut seen = Vec::new();
    for r in &sub.releases {
        let spec = params
            .metrics
            .iter()
            .find(|m| m.id == r.metric)
            .ok_or_else(|| mismatch(format!("metric {} is not part of the round", r.metric)))?;
        if seen.contains(&r.metric.as_str()) {
            return Err(mismatch(format!("metric {} released twice", r.metric)));
        }
        seen.push(r.metric.as_str());
        if r.mechanism != spec.mechanism {
            return Err(mismatch(format!(
                "metric {} uses another mechanism",
                r.metric
            )));
        }
        let eps = params.epsilon_per_release;
        // The charged epsilon is the round's (within the bisection's tolerance): less would
        // mean more noise than the round's parameters describe, and e.g. a probability of 1/2
        // that leaves nothing to debias.
        if !(r.epsilon >= eps * (1.0 - 1e-6) && r.epsilon <= eps * (1.0 + 1e-9)) {
            return Err(mismatch(format!(
                "metric {} claims epsilon {}, the round's is {eps}",
                r.metric, r.epsilon
            )));
        }
        check_release(spec, r).map_err(|d| mismatch(format!("metric {}: {d}", r.metric)))?;
    }
    Ok(())
}

/// Plausibility of one release's mechanism parameter and value. The guarantee itself is the
/// node's (it ran the OpenDP measurement); these checks keep wrong parameters from distorting the
/// intervals: the parameter must be at least as noisy as the claimed epsilon requires.
fn check_release(spec: &pb::MetricSpec, r: &pb::Release) -> Result<(), String> {
    let slack = 1.0 + 1e-6;
    let k = spec.categories.len();
    match MechanismKind::from_pb(r.mechanism) {
        Some(MechanismKind::DiscreteLaplace) => {
            // The discrete Laplace map charges sensitivity / scale.
            let exact = (spec.upper - spec.lower) as f64 / r.epsilon;
            if !(r.scale.is_finite() && r.scale >= exact / slack && r.scale <= exact * slack) {
                return Err(format!(
                    "noise scale {} does not fit its epsilon (needs {exact:.4})",
                    r.scale
                ));
            }
            // A discrete Laplace value beyond 10^7 is not a plausible draw at any sane scale.
            if r.value.abs() > 10_000_000 {
                return Err(format!("implausible value {}", r.value));
            }
        }
        Some(MechanismKind::RandomizedResponseBool) => {
            let p = r.probability;
            if !(p > 0.5 && p < 1.0)
                || ((p / (1.0 - p)).ln() - r.epsilon).abs() > r.epsilon * (slack - 1.0)
            {
                return Err(format!(
                    "probability {p} does not fit epsilon {}",
                    r.epsilon
                ));
            }
            if !(r.value == 0 || r.value == 1) {
                return Err(format!("value {} is not 0 or 1", r.value));
            }
        }
        Some(MechanismKind::RandomizedResponse) => {
            let p = r.probability;
            if k < 2
                || !(p > 1.0 / k as f64 && p < 1.0)
                || ((p * (k as f64 - 1.0) / (1.0 - p)).ln() - r.epsilon).abs()
                    > r.epsilon * (slack - 1.0)
            {
                return Err(format!(
                    "probability {p} does not fit epsilon {}",
                    r.epsilon
                ));
            }
            if !(0..k as i64).contains(&r.value) {
                return Err(format!("category index {} out of range", r.value));
            }
        }
        Some(MechanismKind::RandomizedResponseBitvec) => {
            let f = r.probability;
            if !(f > 0.0 && f < 1.0)
                || (2.0 * ((2.0 - f) / f).ln() - r.epsilon).abs() > r.epsilon * (slack - 1.0)
            {
                return Err(format!(
                    "flip parameter {f} does not fit epsilon {}",
                    r.epsilon
                ));
            }
            if r.bits.len() != k {
                return Err(format!("{} bits for {k} items", r.bits.len()));
            }
        }
        None => return Err("unknown mechanism".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mech: pb::Mechanism, k: usize) -> pb::MetricSpec {
        pb::MetricSpec {
            id: "m".into(),
            mechanism: mech as i32,
            lower: 1,
            upper: 5,
            categories: (0..k).map(|i| i.to_string()).collect(),
        }
    }

    #[test]
    fn parameters_that_leave_nothing_to_debias_are_refused() {
        let e: f64 = 1.0;
        let ok_bool = pb::Release {
            mechanism: pb::Mechanism::RandomizedResponseBool as i32,
            probability: e.exp() / (1.0 + e.exp()),
            epsilon: e,
            value: 1,
            ..Default::default()
        };
        let s = spec(pb::Mechanism::RandomizedResponseBool, 0);
        assert!(check_release(&s, &ok_bool).is_ok());
        let half = pb::Release {
            probability: 0.5,
            ..ok_bool.clone()
        };
        assert!(check_release(&s, &half).is_err());
        let lap = spec(pb::Mechanism::DiscreteLaplace, 0);
        let ok = pb::Release {
            mechanism: pb::Mechanism::DiscreteLaplace as i32,
            scale: 4.0,
            epsilon: 1.0,
            value: 3,
            ..Default::default()
        };
        assert!(check_release(&lap, &ok).is_ok());
        for scale in [1e300, 3.9, f64::NAN] {
            assert!(
                check_release(
                    &lap,
                    &pb::Release {
                        scale,
                        ..ok.clone()
                    }
                )
                .is_err(),
                "{scale}"
            );
        }
        let cat = spec(pb::Mechanism::RandomizedResponse, 3);
        let p = e.exp() / (e.exp() + 2.0);
        let ok_cat = pb::Release {
            mechanism: pb::Mechanism::RandomizedResponse as i32,
            probability: p,
            epsilon: e,
            value: 2,
            ..Default::default()
        };
        assert!(check_release(&cat, &ok_cat).is_ok());
        assert!(check_release(
            &cat,
            &pb::Release {
                probability: 1.0 / 3.0,
                ..ok_cat.clone()
            }
        )
        .is_err());
        assert!(check_release(&cat, &pb::Release { value: 3, ..ok_cat }).is_err());
        let bits = spec(pb::Mechanism::RandomizedResponseBitvec, 2);
        let f = 2.0 / (1.0 + (e / 2.0).exp());
        let ok_bits = pb::Release {
            mechanism: pb::Mechanism::RandomizedResponseBitvec as i32,
            probability: f,
            epsilon: e,
            bits: vec![true, false],
            ..Default::default()
        };
        assert!(check_release(&bits, &ok_bits).is_ok());
        assert!(check_release(
            &bits,
            &pb::Release {
                probability: 1.0,
                ..ok_bits.clone()
            }
        )
        .is_err());
        assert!(check_release(
            &bits,
            &pb::Release {
                bits: vec![true],
                ..ok_bits
            }
        )
        .is_err());
    }
}
