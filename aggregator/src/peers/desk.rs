//! The [`Desk`]: the match index and the contact requests behind one lock, the store, the
//! aggregator's identity, the limits and the clock; the admission of peer messages (signature
//! outside the lock; enrolment, freshness and nonce under it), durable changes, and revocation.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sovbench_core::clock::SharedClock;
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_core::peers as core_peers;
use sovbench_core::vocab::Category;

use crate::admission::{enrolled, open_checked, wrong_kind};
use crate::error::AggError;
use crate::model::{ContactStatus, Enrolment, StoredOffer, StoredRequest};
use crate::store::Store;

use super::book::{self, PeerBook};

/// Limits of peer matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerLimits {
    /// Contact requests one node may send within 24 hours.
    pub requests_per_day: u32,
    /// Largest match list returned.
    pub max_matches: u32,
}

impl Default for PeerLimits {
    fn default() -> Self {
        PeerLimits {
            requests_per_day: 20,
            max_matches: 50,
        }
    }
}

/// Matches returned when a query asks for none in particular.
pub const DEFAULT_MATCHES: u32 = 10;

/// What the desk's lock guards: the match index, the requests, the limits.
#[derive(Debug)]
pub(super) struct DeskState {
    pub(super) book: PeerBook,
    pub(super) requests: BTreeMap<String, StoredRequest>,
    pub(super) limits: PeerLimits,
    /// When nonces outside every replay window were last forgotten (Unix seconds).
    pub(super) nonces_pruned_at: i64,
}

/// The peer-matching desk of an aggregator: the service calls its handlers.
#[derive(Debug)]
pub struct Desk {
    store: Store,
    identity: Arc<Identity>,
    pub(super) clock: SharedClock,
    /// When the desk was opened (Unix seconds): queries signed before are refused.
    started_at: i64,
    state: Mutex<DeskState>,
}

/// A verified peer message from an enrolled node.
pub(super) struct PeerCall {
    pub(super) signer: Vec<u8>,
    pub(super) enrolment: Enrolment,
    pub(super) body: pb::payload::Body,
    pub(super) payload_hash: [u8; 32],
}

impl Desk {
    /// Loads offers and requests from the store into memory, with the default limits.
    pub fn open(
        store: Store,
        identity: Arc<Identity>,
        clock: SharedClock,
    ) -> Result<Desk, AggError> {
        let mut book = PeerBook::new(&store.pseudonym_secret()?);
        for o in store.offers()? {
            // A crash between a revocation and the removal of its offers leaves them in the
            // store; they are not listed.
            match store.enrolment(&o.node_key)? {
                Some(e) if e.revoked_at.is_none() => book.insert_offer(o),
                _ => {}
            }
        }
        let requests = store
            .peer_requests()?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let started_at = clock.now();
        Ok(Desk {
            store,
            identity,
            clock,
            started_at,
            state: Mutex::new(DeskState {
                book,
                requests,
                limits: PeerLimits::default(),
                nonces_pruned_at: 0,
            }),
        })
    }

    /// Sets the limits of peer matching.
    pub fn set_limits(&self, limits: PeerLimits) {
        self.lock().limits = limits;
    }

    /// The limits in force.
    pub fn limits(&self) -> PeerLimits {
        self.lock().limits
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, DeskState> {
        // A panic while holding the lock leaves consistent data (every change is written to the
        // store before the in-memory book), so a poisoned lock is taken over.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Verifies size and signature (over the exact bytes, before decoding) outside the lock, the
    /// costly part; then takes the lock and checks enrolment, freshness and nonce under it. A
    /// revocation takes the same lock, so it cannot slip in between these checks and the change
    /// the message makes.
    pub(super) fn admit(
        &self,
        msg: &pb::SignedMessage,
    ) -> Result<(MutexGuard<'_, DeskState>, PeerCall), AggError> {
        let verified = open_checked(msg)?;
        let mut state = self.lock();
        let enrolment = enrolled(&self.store, &verified.signer)?;
        let (issued_at, nonce) = match &verified.body {
            pb::payload::Body::PeerOffer(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerWithdraw(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerMatchesQuery(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerContact(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerRequestsQuery(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerAnswer(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerCard(m) => (m.issued_at, &m.nonce),
            other => return Err(wrong_kind("peer message", other)),
        };
        let now = self.clock.now();
        core_peers::check_freshness(issued_at, nonce, now)?;
        // Claimed nonces become durable with the next commit, which queries do not make; so a
        // query signed before a restart could be replayed after it. Such queries are refused.
        let is_query = matches!(
            verified.body,
            pb::payload::Body::PeerMatchesQuery(_) | pb::payload::Body::PeerRequestsQuery(_)
        );
        if is_query && issued_at < self.started_at {
            return Err(AggError::IssuedBeforeStart(issued_at, self.started_at));
        }
        if !self.store.claim_nonce(&verified.signer, nonce, issued_at)? {
            return Err(AggError::Replay(enrolment.fingerprint));
        }
        if now - state.nonces_pruned_at > 60 {
            state.nonces_pruned_at = now;
            self.store
                .forget_nonces(now - 2 * core_peers::FRESHNESS_SECS)?;
        }
        Ok((
            state,
            PeerCall {
                signer: verified.signer,
                enrolment,
                body: verified.body,
                payload_hash: verified.payload_hash,
            },
        ))
    }

    /// Writes offers, removals and requests durably, then applies them to the book: the book
    /// never holds what the store does not.
    pub(super) fn apply(
        &self,
        state: &mut DeskState,
        offers: Vec<StoredOffer>,
        removals: &[(String, Vec<u8>)],
        requests: Vec<StoredRequest>,
    ) -> Result<(), AggError> {
        self.store.write_peers(&offers, removals, &requests)?;
        for o in offers {
            state.book.insert_offer(o);
        }
        for (path, key) in removals {
            state.book.remove_offer(key, path);
        }
        for r in requests {
            state.requests.insert(r.id.clone(), r);
        }
        Ok(())
    }

    /// Signs an answer with the aggregator's key.
    pub(super) fn seal(&self, body: pb::payload::Body) -> pb::SignedMessage {
        self.identity.seal(body)
    }

    /// The signed acknowledgement of a stored peer message.
    pub(super) fn ack(&self, call: &PeerCall, request_id: &str) -> pb::SignedMessage {
        self.seal(pb::payload::Body::PeerAck(pb::PeerAck {
            payload_hash: call.payload_hash.to_vec(),
            request_id: request_id.to_string(),
            stored_at: self.clock.now(),
        }))
    }

    /// Revokes a node: runs `revoke` (which marks the enrolment revoked, durably) under the
    /// desk's lock, then removes every offer of the node and closes its unanswered requests. A
    /// peer message admitted under the lock either completes before the revocation (and its offer
    /// is removed here) or sees it.
    pub fn revoke_with(
        &self,
        node: &[u8],
        revoke: impl FnOnce() -> Result<Enrolment, AggError>,
    ) -> Result<Enrolment, AggError> {
        let mut state = self.lock();
        let e = revoke()?;
        let removals: Vec<(String, Vec<u8>)> = state
            .book
            .offers_of(node)
            .into_iter()
            .map(|o| (o.path_id, node.to_vec()))
            .collect();
        let closed = close_pending(&state.requests, node, None);
        self.apply(&mut state, Vec::new(), &removals, closed)?;
        Ok(e)
    }
}

/// Unanswered requests to or from `node` (on `path`, or on any path), marked closed.
///
/// Declined requests are closed too, remembering the decline: a requester must not be able to
/// tell a decline from no answer by withdrawing, offering again and asking again (see
/// `Desk::contact`).
pub(super) fn close_pending(
    requests: &BTreeMap<String, StoredRequest>,
    node: &[u8],
    path: Option<&str>,
) -> Vec<StoredRequest> {
    requests
        .values()
        .filter(|r| matches!(r.status, ContactStatus::Pending | ContactStatus::Declined))
        .filter(|r| {
            (r.target == node && path.is_none_or(|p| r.target_path == p))
                || (r.requester == node && path.is_none_or(|p| r.requester_path == p))
        })
        .map(|r| StoredRequest {
            status: ContactStatus::Closed,
            was_declined: r.was_declined || r.status == ContactStatus::Declined,
            ..r.clone()
        })
        .collect()
}

/// The category of a path of the published path catalogue.
pub(super) fn check_path(path_id: &str) -> Result<Category, AggError> {
    book::category_of(path_id).ok_or_else(|| AggError::UnknownPath(path_id.to_string()))
}

/// An X25519 public key field of a peer message.
pub(super) fn check_key(field: &'static str, key: &[u8]) -> Result<(), AggError> {
    if key.len() != 32 {
        return Err(AggError::BadExchangeKey {
            field,
            len: key.len(),
        });
    }
    Ok(())
}

/// The size of a sealed contact card.
pub(super) fn check_card(sealed: &[u8]) -> Result<(), AggError> {
    if sealed.len() < 29 || sealed.len() > core_peers::MAX_SEALED_CARD {
        return Err(AggError::BadCardSize(sealed.len()));
    }
    Ok(())
}
