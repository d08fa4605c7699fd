//! Mode secure on the aggregator (docs/SECURE-AGGREGATION.md, issue 11): the DKG relay, the
//! bulletin, and the trustee phases of a closed secure round.
//!
//! | module | what it does |
//! |---|---|
//! | [`ceremony`] | registered DKG ceremonies; `DkgPost` and `DkgFetch` (the relay) |
//! | [`bulletin`] | the bulletin of each secure round in memory, its pages |
//! | [`submission`] | the checks of an encrypted submission (proofs outside every lock) |
//! | [`announce`] | after close: the NOISE announcement, the DECRYPT announcement, the phase driver |
//! | [`trustees`] | `GetBulletin`, `GetAnnouncement`, `PostNoise`, `PostDecryption` |
//! | [`finish`] | combining the decryption shares and the signed publication |
//!
//! Phases of a closed secure round: the aggregator announces the partition of the bulletin
//! (NOISE); every trustee checks it and posts encrypted noise for every component of every
//! cell; when all *m* posted, or after the noise wait with at least *h* = *m* − *t* + 1 posts,
//! the aggregator fixes the noise set (DECRYPT); trustees post verifiable decryption shares of
//! cell sum + included noise; with *t* valid posts the aggregator combines and publishes.
//! [`SecureDesk::advance`] moves a round on; the server loop and every post call it.

pub mod announce;
pub mod bulletin;
pub mod ceremony;
pub mod finish;
pub mod submission;
#[cfg(test)]
mod tests;
pub mod trustees;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sovbench_core::clock::SharedClock;
use sovbench_core::envelope::{fingerprint, Identity};
use sovbench_core::pb;
use sovbench_core::peers as core_peers;
use sovbench_secure::round::SecureRound;

use crate::acks::AckLog;
use crate::admission::{open_checked, wrong_kind};
use crate::error::AggError;
use crate::model::RoundStatus;
use crate::rounds::round_params;
use crate::store::Store;

use bulletin::Bulletins;

/// Default wait for the last noise shares after the announcement: 10 minutes.
pub const DEFAULT_NOISE_WAIT_SECS: i64 = 600;

/// Mode secure's part of an aggregator: the store, the key, the clock, the bulletins and the
/// noise wait; the trustee handlers are its methods.
#[derive(Debug)]
pub struct SecureDesk {
    pub(crate) store: Store,
    pub(crate) identity: Arc<Identity>,
    pub(crate) clock: SharedClock,
    pub(crate) acks: Arc<Mutex<AckLog>>,
    pub(crate) bulletins: Arc<Bulletins>,
    noise_wait: AtomicI64,
    /// Serialises the phase changes (announcements, publication).
    phases: Mutex<()>,
}

/// A closed or open secure round as the handlers need it.
pub(crate) struct LoadedRound {
    pub(crate) params: pb::RoundParams,
    pub(crate) params_hash: [u8; 32],
    pub(crate) round: SecureRound,
    pub(crate) status: RoundStatus,
}

impl SecureDesk {
    /// The desk over an aggregator's parts.
    pub fn new(
        store: Store,
        identity: Arc<Identity>,
        clock: SharedClock,
        acks: Arc<Mutex<AckLog>>,
        bulletins: Arc<Bulletins>,
    ) -> SecureDesk {
        SecureDesk {
            store,
            identity,
            clock,
            acks,
            bulletins,
            noise_wait: AtomicI64::new(DEFAULT_NOISE_WAIT_SECS),
            phases: Mutex::new(()),
        }
    }

    /// Sets how long after the NOISE announcement the noise set is fixed with fewer than all
    /// trustees (but at least *h*).
    pub fn set_noise_wait(&self, secs: i64) {
        self.noise_wait.store(secs.max(0), Ordering::Relaxed);
    }

    /// The noise wait in seconds.
    pub fn noise_wait(&self) -> i64 {
        self.noise_wait.load(Ordering::Relaxed)
    }

    pub(crate) fn phase_lock(&self) -> MutexGuard<'_, ()> {
        // Guards no data of its own.
        self.phases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Signs an acknowledgement of a stored trustee message.
    pub(crate) fn ack(&self, payload: &[u8]) -> pb::SignedMessage {
        self.identity
            .seal(pb::payload::Body::TrusteeAck(pb::TrusteeAck {
                payload_sha256: sovbench_core::sha256(payload).to_vec(),
                stored_at: self.now(),
            }))
    }

    /// A secure round with its checked parameters.
    pub(crate) fn load(&self, round_id: &str) -> Result<LoadedRound, AggError> {
        load(&self.store, round_id)
    }

    /// Admits a trustee query: size, signature over the exact bytes, kind, freshness (the peer
    /// messages' window) and a nonce not seen before (claimed durably). Returns the signer.
    pub(crate) fn admit_query(
        &self,
        msg: &pb::SignedMessage,
    ) -> Result<(Vec<u8>, pb::TrusteeQuery), AggError> {
        let verified = open_checked(msg)?;
        let q = match verified.body {
            pb::payload::Body::TrusteeQuery(q) => q,
            other => return Err(wrong_kind("trustee query", &other)),
        };
        core_peers::check_freshness(q.issued_at, &q.nonce, self.now())?;
        if !self
            .store
            .claim_nonce(&verified.signer, &q.nonce, q.issued_at)?
        {
            return Err(AggError::Replay(fingerprint(&verified.signer)));
        }
        self.store.commit()?;
        Ok((verified.signer, q))
    }
}

/// A secure round with its checked parameters.
pub(crate) fn load(store: &Store, round_id: &str) -> Result<LoadedRound, AggError> {
    let params = round_params(store, round_id)?;
    let msg = store
        .round(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
    let status = store
        .round_state(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?
        .status;
    if params.mode != pb::RoundMode::SecureAggregation as i32 {
        return Err(AggError::BadSecureRound(format!(
            "round {round_id} is in mode direct"
        )));
    }
    let round = SecureRound::from_params(&params)
        .map_err(|e| AggError::Storage(format!("round {round_id}: {e}")))?;
    Ok(LoadedRound {
        params,
        params_hash: sovbench_core::sha256(&msg.payload),
        round,
        status,
    })
}

/// Whether a round is in mode secure.
pub fn is_secure(store: &Store, round_id: &str) -> Result<bool, AggError> {
    Ok(round_params(store, round_id)?.mode == pb::RoundMode::SecureAggregation as i32)
}

/// What the trustees of a secure round are doing, for `round list`.
pub fn phase_text(store: &Store, round_id: &str, status: RoundStatus) -> Result<String, AggError> {
    Ok(match status {
        RoundStatus::Open => "open".into(),
        RoundStatus::Published => "published".into(),
        RoundStatus::Abandoned => "abandoned".into(),
        RoundStatus::Closed => match announce::progress(store, round_id) {
            Ok(p) => p,
            Err(e) => format!("unknown ({e})"),
        },
    })
}
