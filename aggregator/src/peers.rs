//! Peer matching with double opt-in (docs/PEERS.md).
//!
//! The [`Desk`] serves it: it holds the in-memory [`PeerBook`] (the match index, [`book`]) and the
//! contact requests behind one lock, a handle to the store, the aggregator's identity for signing
//! answers, the limits and the clock. Its seven handlers ([`handlers`]) take a node's signed
//! message and return a signed answer; [`overview`] is the operator's count.
//!
//! Offers and contact requests live durably in the store and, for matching, in memory. Every node
//! message passes [`crate::admission`] (size, then the signature over the exact received bytes,
//! before decoding), must come from an enrolled, unrevoked key, must be fresh (±5 minutes) and
//! carry a nonce not seen before; every change is committed durably before it is acknowledged.
//!
//! Disclosure: the aggregator learns that a node offers a path, its stage and (from the
//! enrolment) its cohort attributes. Other nodes see per-viewer, per-path pseudonyms with kind,
//! size class and stage. Contact cards travel sealed end to end; the aggregator relays them only
//! after the answer was "accept". A decline looks to the requester exactly like no answer.

pub mod book;
pub mod handlers;
pub mod overview;
#[cfg(test)]
mod tests;

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

pub use book::{PeerBook, RankedMatch};
pub use overview::PeerOverview;

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
struct DeskState {
    book: PeerBook,
    requests: BTreeMap<String, StoredRequest>,
    limits: PeerLimits,
    /// When nonces outside every replay window were last forgotten (Unix seconds).
    nonces_pruned_at: i64,
}

/// The peer-matching desk of an aggregator: the service calls its handlers.
#[derive(Debug)]
pub struct Desk {
    store: Store,
    identity: Arc<Identity>,
    clock: SharedClock,
    /// When the desk was opened (Unix seconds): queries signed before are refused.
    started_at: i64,
    state: Mutex<DeskState>,
}

/// A verified peer message from an enrolled node.
struct PeerCall {
    signer: Vec<u8>,
    enrolment: Enrolment,
    body: pb::payload::Body,
    payload_hash: [u8; 32],
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

    fn lock(&self) -> MutexGuard<'_, DeskState> {
        // A panic while holding the lock leaves consistent data (every change is written to the
        // store before the in-memory book), so a poisoned lock is taken over.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Verifies size and signature (over the exact bytes, before decoding) outside the lock, the
    /// costly part; then takes the lock and checks enrolment, freshness and nonce under it. A
    /// revocation takes the same lock, so it cannot slip in between these checks and the change
    /// the message makes.
    fn admit(
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
    fn apply(
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

    /// The signed acknowledgement of a stored peer message.
    fn ack(&self, call: &PeerCall, request_id: &str) -> pb::SignedMessage {
        self.identity.seal(pb::payload::Body::PeerAck(pb::PeerAck {
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
/// [`Desk::contact`]).
fn close_pending(
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
fn check_path(path_id: &str) -> Result<Category, AggError> {
    book::category_of(path_id).ok_or_else(|| AggError::UnknownPath(path_id.to_string()))
}

/// An X25519 public key field of a peer message.
fn check_key(field: &'static str, key: &[u8]) -> Result<(), AggError> {
    if key.len() != 32 {
        return Err(AggError::BadExchangeKey {
            field,
            len: key.len(),
        });
    }
    Ok(())
}

/// The size of a sealed contact card.
fn check_card(sealed: &[u8]) -> Result<(), AggError> {
    if sealed.len() < 29 || sealed.len() > core_peers::MAX_SEALED_CARD {
        return Err(AggError::BadCardSize(sealed.len()));
    }
    Ok(())
}
