//! Peer matching with double opt-in (docs/PEERS.md).
//!
//! Offers and contact requests live durably in the store and, for matching, in memory
//! ([`PeerBook`]). Every node message is verified over the exact received bytes before decoding,
//! must come from an enrolled, unrevoked key, must be fresh (±5 minutes) and carry a nonce not
//! seen before; every change is committed durably before it is acknowledged.
//!
//! Disclosure: the aggregator learns that a node offers a path, its stage and (from the
//! enrolment) its cohort attributes. Other nodes see per-viewer, per-path pseudonyms with kind,
//! size class and stage. Contact cards travel sealed end to end; the aggregator relays them only
//! after the answer was "accept". A decline looks to the requester exactly like no answer.

use std::collections::{BTreeMap, HashMap};

use sovbench_core::envelope;
use sovbench_core::paths::path_by_id;
use sovbench_core::pb;
use sovbench_core::peers::{self, CompactProfile, OfferProfile, PseudonymKey};
use sovbench_core::vocab::{Category, Stage};

use crate::aggregator::Aggregator;
use crate::error::AggError;
use crate::model::{ContactStatus, Enrolment, StoredOffer, StoredRequest};

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

/// What the operator sees of peer matching.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeerOverview {
    /// Number of offers.
    pub offer_count: usize,
    /// Offers per path id and stage.
    pub offers: BTreeMap<String, BTreeMap<String, usize>>,
    /// Unanswered requests.
    pub pending: usize,
    /// Accepted requests (cards exchanged or on their way).
    pub accepted: usize,
    /// Declined requests.
    pub declined: usize,
    /// Requests closed by a withdrawal or revocation before an answer.
    pub closed: usize,
}

/// Matches returned when a query asks for none in particular.
pub const DEFAULT_MATCHES: u32 = 10;

/// The offers of one category, with their compact profiles at the same positions.
#[derive(Debug, Default)]
struct CategoryList {
    offers: Vec<StoredOffer>,
    compact: Vec<Compact>,
    /// Position of each (node key, path id) in `offers`.
    index: HashMap<(Vec<u8>, String), usize>,
}

/// What the matching's inner loop reads of an offer.
#[derive(Debug, Clone, Copy)]
struct Compact {
    profile: CompactProfile,
    /// First eight bytes of the node key (a quick inequality test).
    key: u64,
    seq: u64,
}

fn key_prefix(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(key) {
        *d = *s;
    }
    u64::from_le_bytes(b)
}

/// The in-memory view of all offers and requests.
#[derive(Debug)]
pub struct PeerBook {
    key: PseudonymKey,
    by_category: HashMap<Category, CategoryList>,
    requests: BTreeMap<String, StoredRequest>,
    next_seq: u64,
    limits: PeerLimits,
    /// When nonces outside every replay window were last forgotten (Unix seconds).
    nonces_pruned_at: i64,
}

/// One ranked match, before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedMatch {
    /// The peer's pseudonym for this viewer.
    pub pseudonym: String,
    /// The peer's offer.
    pub offer: StoredOffer,
    /// Score.
    pub score: i32,
    /// Its parts.
    pub parts: Vec<(pb::ScoreReason, i32)>,
}

fn profile(o: &StoredOffer) -> OfferProfile<'_> {
    OfferProfile {
        path_id: &o.path_id,
        category: o.category,
        stage: o.stage,
        kind: o.attributes.kind,
        size: o.attributes.size,
    }
}

impl PeerBook {
    /// An empty book with the pseudonym secret.
    pub fn new(secret: &[u8], limits: PeerLimits) -> PeerBook {
        PeerBook {
            key: PseudonymKey::new(secret),
            by_category: HashMap::new(),
            requests: BTreeMap::new(),
            next_seq: 1,
            limits,
            nonces_pruned_at: 0,
        }
    }

    /// Limits in force.
    pub fn limits(&self) -> PeerLimits {
        self.limits
    }

    /// Adds or replaces an offer (same node, same path). Offers outside the catalogue or with
    /// an unknown stage are ignored (the service refuses them before they get here).
    pub fn insert_offer(&mut self, offer: StoredOffer) {
        let Some(profile) = CompactProfile::new(&profile(&offer)) else {
            tracing::warn!(path = %offer.path_id, stage = offer.stage.key(), "offer outside the catalogue ignored");
            return;
        };
        self.next_seq = self.next_seq.max(offer.seq + 1);
        let compact = Compact {
            profile,
            key: key_prefix(&offer.node_key),
            seq: offer.seq,
        };
        let list = self.by_category.entry(offer.category).or_default();
        let id = (offer.node_key.clone(), offer.path_id.clone());
        match list.index.get(&id) {
            Some(&i) => {
                list.offers[i] = offer;
                list.compact[i] = compact;
            }
            None => {
                list.index.insert(id, list.offers.len());
                list.offers.push(offer);
                list.compact.push(compact);
            }
        }
    }

    /// Removes an offer; returns it if there was one.
    pub fn remove_offer(&mut self, node_key: &[u8], path_id: &str) -> Option<StoredOffer> {
        let category = category_of(path_id)?;
        let list = self.by_category.get_mut(&category)?;
        let i = list
            .index
            .remove(&(node_key.to_vec(), path_id.to_string()))?;
        list.compact.swap_remove(i);
        let removed = list.offers.swap_remove(i);
        if let Some(moved) = list.offers.get(i) {
            list.index
                .insert((moved.node_key.clone(), moved.path_id.clone()), i);
        }
        Some(removed)
    }

    /// A node's offer for a path.
    pub fn offer(&self, node_key: &[u8], path_id: &str) -> Option<&StoredOffer> {
        let category = category_of(path_id)?;
        let list = self.by_category.get(&category)?;
        let i = *list.index.get(&(node_key.to_vec(), path_id.to_string()))?;
        list.offers.get(i)
    }

    /// All offers of a node.
    pub fn offers_of(&self, node_key: &[u8]) -> Vec<StoredOffer> {
        self.by_category
            .values()
            .flat_map(|l| l.offers.iter())
            .filter(|o| o.node_key == node_key)
            .cloned()
            .collect()
    }

    /// Number of offers.
    pub fn offer_count(&self) -> usize {
        self.by_category.values().map(|l| l.offers.len()).sum()
    }

    /// The pseudonym of `subject` on `path_id` for `viewer`.
    pub fn pseudonym(&self, viewer: &[u8], subject: &[u8], path_id: &str) -> String {
        self.key.pseudonym(viewer, subject, path_id)
    }

    /// The best `limit` matches of `viewer`'s offer for `path_id`, ranked by score, then by the
    /// most recently updated offer; with the number of candidates. `None` if the viewer does not
    /// offer the path. Other offers of the viewer itself are never listed.
    pub fn matches(
        &self,
        viewer: &[u8],
        path_id: &str,
        limit: usize,
    ) -> Option<(Vec<RankedMatch>, usize)> {
        let own = self.offer(viewer, path_id)?;
        let me = profile(own);
        let mine = CompactProfile::new(&me)?;
        let viewer_prefix = key_prefix(viewer);
        let list = self.by_category.get(&own.category)?;
        // Top `limit` by (score, seq), kept in a min-heap: most candidates cost one comparison.
        // Scores are 0..=20 and seq < 2^48, so (score << 48 | seq) orders as (score, seq).
        let mut top: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> =
            std::collections::BinaryHeap::with_capacity(limit + 1);
        let mut candidates = 0;
        for (i, c) in list.compact.iter().enumerate() {
            if c.key == viewer_prefix && list.offers[i].node_key == viewer {
                continue;
            }
            let Some(points) = mine.points(&c.profile) else {
                continue;
            };
            candidates += 1;
            if limit == 0 {
                continue;
            }
            let rank = ((points.max(0) as u64) << 48) | (c.seq & ((1 << 48) - 1));
            if top.len() < limit {
                top.push(std::cmp::Reverse((rank, i)));
            } else if top.peek().is_some_and(|m| m.0 .0 < rank) {
                top.pop();
                top.push(std::cmp::Reverse((rank, i)));
            }
        }
        let mut scored: Vec<(u64, usize)> = top.into_iter().map(|r| r.0).collect();
        scored.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
        let out = scored
            .into_iter()
            .filter_map(|(_, i)| {
                let o = &list.offers[i];
                let (score, parts) = peers::score(&me, &profile(o))?;
                Some(RankedMatch {
                    pseudonym: self.key.pseudonym(viewer, &o.node_key, &o.path_id),
                    offer: o.clone(),
                    score,
                    parts,
                })
            })
            .collect();
        Some((out, candidates))
    }

    /// Finds the offer behind a pseudonym in `viewer`'s match candidates for `path_id`.
    fn resolve(&self, viewer: &[u8], path_id: &str, pseudonym: &str) -> Option<StoredOffer> {
        let category = category_of(path_id)?;
        self.by_category
            .get(&category)?
            .offers
            .iter()
            .filter(|o| o.node_key != viewer)
            .find(|o| self.key.pseudonym(viewer, &o.node_key, &o.path_id) == pseudonym)
            .cloned()
    }
}

fn category_of(path_id: &str) -> Option<Category> {
    path_by_id(path_id).map(|p| p.category)
}

fn check_path(path_id: &str) -> Result<Category, AggError> {
    category_of(path_id).ok_or_else(|| {
        AggError::Invalid(format!(
            "{path_id:?} is not a path of the published path catalogue"
        ))
    })
}

fn check_key(what: &str, key: &[u8]) -> Result<(), AggError> {
    if key.len() != 32 {
        return Err(AggError::Invalid(format!(
            "{what} must be a 32-byte X25519 public key, got {} bytes",
            key.len()
        )));
    }
    Ok(())
}

fn check_card(sealed: &[u8]) -> Result<(), AggError> {
    if sealed.len() < 29 || sealed.len() > peers::MAX_SEALED_CARD {
        return Err(AggError::Invalid(format!(
            "a sealed card must be 29 to {} bytes, got {}",
            peers::MAX_SEALED_CARD,
            sealed.len()
        )));
    }
    Ok(())
}

/// A verified peer message from an enrolled node.
struct PeerCall {
    signer: Vec<u8>,
    enrolment: Enrolment,
    body: pb::payload::Body,
    payload_hash: [u8; 32],
}

impl Aggregator {
    /// Loads offers and requests into memory (at open).
    pub(crate) fn load_peer_book(
        store: &crate::store::Store,
        limits: PeerLimits,
    ) -> Result<PeerBook, AggError> {
        let mut book = PeerBook::new(&store.pseudonym_secret()?, limits);
        for o in store.offers()? {
            // A crash between a revocation and the removal of its offers leaves them in the
            // store; they are not listed.
            match store.enrolment(&o.node_key)? {
                Some(e) if e.revoked_at.is_none() => book.insert_offer(o),
                _ => {}
            }
        }
        for r in store.peer_requests()? {
            book.requests.insert(r.id.clone(), r);
        }
        Ok(book)
    }

    /// Sets the limits of peer matching.
    pub fn set_peer_limits(&self, limits: PeerLimits) {
        self.peer_book().limits = limits;
    }

    pub(crate) fn peer_book(&self) -> std::sync::MutexGuard<'_, PeerBook> {
        // A panic while holding the lock leaves consistent data (every change is written to the
        // store before the in-memory book), so a poisoned lock is taken over.
        self.peers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Verifies size and signature (over the exact bytes, before decoding) outside the lock, the
    /// costly part; then takes the book's lock and checks enrolment, freshness and nonce under
    /// it. A revocation takes the same lock, so it cannot slip in between these checks and the
    /// change the message makes.
    fn admit(
        &self,
        msg: &pb::SignedMessage,
    ) -> Result<(std::sync::MutexGuard<'_, PeerBook>, PeerCall), AggError> {
        let verified = self.open_checked(msg)?;
        let mut book = self.peer_book();
        let enrolment = self.enrolled(&verified.signer)?;
        let (issued_at, nonce) = match &verified.body {
            pb::payload::Body::PeerOffer(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerWithdraw(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerMatchesQuery(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerContact(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerRequestsQuery(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerAnswer(m) => (m.issued_at, &m.nonce),
            pb::payload::Body::PeerCard(m) => (m.issued_at, &m.nonce),
            other => return Err(wrong("peer message", other)),
        };
        let now = sovbench_core::now_unix();
        peers::check_freshness(issued_at, nonce, now)?;
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
        if now - book.nonces_pruned_at > 60 {
            book.nonces_pruned_at = now;
            self.store.forget_nonces(now - 2 * peers::FRESHNESS_SECS)?;
        }
        Ok((
            book,
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
        book: &mut PeerBook,
        offers: Vec<StoredOffer>,
        removals: &[(String, Vec<u8>)],
        requests: Vec<StoredRequest>,
    ) -> Result<(), AggError> {
        self.store.write_peers(&offers, removals, &requests)?;
        for o in offers {
            book.insert_offer(o);
        }
        for (path, key) in removals {
            book.remove_offer(key, path);
        }
        for r in requests {
            book.requests.insert(r.id.clone(), r);
        }
        Ok(())
    }

    fn peer_ack(&self, call: &PeerCall, request_id: &str) -> pb::SignedMessage {
        self.identity.seal(pb::payload::Body::PeerAck(pb::PeerAck {
            payload_hash: call.payload_hash.to_vec(),
            request_id: request_id.to_string(),
            stored_at: sovbench_core::now_unix(),
        }))
    }

    /// A signed `PeerOffer`: stores (or updates) the offer; a signed `PeerAck` once durable.
    pub fn peer_offer(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut book, call) = self.admit(msg)?;
        let pb::payload::Body::PeerOffer(m) = &call.body else {
            return Err(wrong("peer offer", &call.body));
        };
        let category = check_path(&m.path_id)?;
        let Some(stage) = Stage::from_key(&m.stage) else {
            return Err(AggError::Invalid(format!(
                "unknown stage {:?}; stages: {}",
                m.stage,
                Stage::keys()
            )));
        };
        let offer = StoredOffer {
            node_key: call.signer.clone(),
            path_id: m.path_id.clone(),
            category,
            stage,
            attributes: call.enrolment.attributes.clone(),
            offered_at: sovbench_core::now_unix(),
            seq: book.next_seq,
        };
        self.apply(&mut book, vec![offer], &[], Vec::new())?;
        Ok(self.peer_ack(&call, ""))
    }

    /// A signed `PeerWithdraw`: removes the offer from every list at once and closes unanswered
    /// requests on it, in both directions.
    pub fn peer_withdraw(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut book, call) = self.admit(msg)?;
        let pb::payload::Body::PeerWithdraw(m) = &call.body else {
            return Err(wrong("peer withdrawal", &call.body));
        };
        check_path(&m.path_id)?;
        if book.offer(&call.signer, &m.path_id).is_none() {
            return Err(AggError::NotOffered(m.path_id.clone()));
        }
        let closed = Self::close_pending(&book, &call.signer, Some(&m.path_id));
        let removal = [(m.path_id.clone(), call.signer.clone())];
        self.apply(&mut book, Vec::new(), &removal, closed)?;
        Ok(self.peer_ack(&call, ""))
    }

    /// Unanswered requests to or from `node` (on `path`, or on any path), marked closed.
    ///
    /// Declined requests are closed too, remembering the decline: a requester must not be able
    /// to tell a decline from no answer by withdrawing, offering again and asking again (see
    /// [`Aggregator::peer_contact`]).
    fn close_pending(book: &PeerBook, node: &[u8], path: Option<&str>) -> Vec<StoredRequest> {
        book.requests
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

    /// Removes every offer of a revoked node and closes its unanswered requests; the caller
    /// holds the book's lock across the revocation and this.
    pub(crate) fn forget_peer(&self, book: &mut PeerBook, node: &[u8]) -> Result<(), AggError> {
        let removals: Vec<(String, Vec<u8>)> = book
            .offers_of(node)
            .into_iter()
            .map(|o| (o.path_id, node.to_vec()))
            .collect();
        let closed = Self::close_pending(book, node, None);
        self.apply(book, Vec::new(), &removals, closed)
    }

    /// A signed `PeerMatchesQuery`: the signed match list of the signer's offer.
    pub fn peer_matches(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (book, call) = self.admit(msg)?;
        let pb::payload::Body::PeerMatchesQuery(m) = &call.body else {
            return Err(wrong("peer matches query", &call.body));
        };
        check_path(&m.path_id)?;
        let limit = match m.limit {
            0 => DEFAULT_MATCHES,
            n => n.min(book.limits.max_matches),
        } as usize;
        let stage = book
            .offer(&call.signer, &m.path_id)
            .map(|o| o.stage.key().to_string())
            .ok_or_else(|| AggError::NotOffered(m.path_id.clone()))?;
        let (ranked, candidates) = book
            .matches(&call.signer, &m.path_id, limit)
            .ok_or_else(|| AggError::NotOffered(m.path_id.clone()))?;
        drop(book);
        let matches = ranked
            .into_iter()
            .map(|r| pb::PeerMatch {
                pseudonym: r.pseudonym,
                path_id: r.offer.path_id,
                stage: r.offer.stage.key().to_string(),
                kind: r.offer.attributes.kind.key().to_string(),
                size_class: r.offer.attributes.size.key().to_string(),
                score: r.score,
                parts: r
                    .parts
                    .into_iter()
                    .map(|(reason, points)| pb::ScorePart {
                        reason: reason as i32,
                        points,
                    })
                    .collect(),
            })
            .collect();
        Ok(self
            .identity
            .seal(pb::payload::Body::PeerMatches(pb::PeerMatches {
                path_id: m.path_id.clone(),
                stage,
                matches,
                candidates: candidates as u32,
                computed_at: sovbench_core::now_unix(),
                query_hash: call.payload_hash.to_vec(),
            })))
    }

    /// A signed `PeerContact`: records a contact request (rate-limited); the ack carries its id.
    /// Asking again for the same peer returns the same request.
    pub fn peer_contact(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut book, call) = self.admit(msg)?;
        let pb::payload::Body::PeerContact(m) = &call.body else {
            return Err(wrong("peer contact request", &call.body));
        };
        check_path(&m.path_id)?;
        check_key("requester_key", &m.requester_key)?;
        let own = book
            .offer(&call.signer, &m.path_id)
            .cloned()
            .ok_or_else(|| AggError::NotOffered(m.path_id.clone()))?;
        let target = book
            .resolve(&call.signer, &m.path_id, &m.pseudonym)
            .ok_or_else(|| AggError::UnknownPeer(m.pseudonym.clone(), m.path_id.clone()))?;
        // Asking again returns the same request, also after a decline, so that the requester
        // cannot tell a decline from no answer. A request closed by a withdrawal is not reused;
        // the new one inherits a decline of the pair and stays declined, silently, so that
        // "withdraw, offer again, ask again" cannot reveal the decline either.
        let same_pair = |r: &&StoredRequest| {
            r.requester == call.signer
                && r.target == target.node_key
                && r.target_path == target.path_id
                && r.requester_path == m.path_id
        };
        if let Some(existing) = book
            .requests
            .values()
            .filter(same_pair)
            .find(|r| r.status != ContactStatus::Closed)
        {
            let id = existing.id.clone();
            return Ok(self.peer_ack(&call, &id));
        }
        let declined_before = book
            .requests
            .values()
            .filter(same_pair)
            .any(|r| r.was_declined);
        let now = sovbench_core::now_unix();
        let mut recent: Vec<i64> = book
            .requests
            .values()
            .filter(|r| r.requester == call.signer && r.created_at > now - 86_400)
            .map(|r| r.created_at)
            .collect();
        let limit = book.limits.requests_per_day as usize;
        if recent.len() >= limit {
            recent.sort_unstable();
            // The request that must age out of the 24 hours before another one fits.
            let oldest_counted = recent
                .len()
                .checked_sub(limit)
                .and_then(|i| recent.get(i))
                .copied()
                .unwrap_or(now);
            return Err(AggError::RateLimited {
                limit: book.limits.requests_per_day,
                next: sovbench_core::time::format_utc(oldest_counted + 86_400),
            });
        }
        let id = loop {
            let id = hex::encode(envelope::random_bytes(6)?);
            if !book.requests.contains_key(&id) {
                break id;
            }
        };
        let request = StoredRequest {
            id: id.clone(),
            requester: call.signer.clone(),
            target: target.node_key.clone(),
            requester_path: m.path_id.clone(),
            target_path: target.path_id.clone(),
            requester_stage: own.stage,
            requester_attributes: own.attributes.clone(),
            requester_key: m.requester_key.clone(),
            created_at: now,
            status: if declined_before {
                ContactStatus::Declined
            } else {
                ContactStatus::Pending
            },
            answered_at: None,
            answerer_key: Vec::new(),
            answerer_card: Vec::new(),
            requester_card: Vec::new(),
            was_declined: declined_before,
        };
        self.apply(&mut book, Vec::new(), &[], vec![request])?;
        Ok(self.peer_ack(&call, &id))
    }

    /// A signed `PeerAnswer` of the requested node: accept (with its sealed card) or decline.
    pub fn peer_answer(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut book, call) = self.admit(msg)?;
        let pb::payload::Body::PeerAnswer(m) = &call.body else {
            return Err(wrong("peer answer", &call.body));
        };
        let r = book
            .requests
            .get(&m.request_id)
            .filter(|r| r.target == call.signer)
            .cloned()
            .ok_or_else(|| AggError::UnknownRequest(m.request_id.clone()))?;
        let state = |reason: &str| AggError::RequestState {
            id: r.id.clone(),
            reason: reason.to_string(),
        };
        if m.accept {
            check_key("answerer_key", &m.answerer_key)?;
            check_card(&m.sealed_card)?;
        }
        match r.status {
            ContactStatus::Closed => {
                return Err(state(
                    "an offer behind it was withdrawn; it can no longer be answered",
                ))
            }
            ContactStatus::Accepted if m.accept && r.answerer_card == m.sealed_card => {
                return Ok(self.peer_ack(&call, &r.id))
            }
            ContactStatus::Declined if !m.accept => return Ok(self.peer_ack(&call, &r.id)),
            ContactStatus::Accepted | ContactStatus::Declined => {
                return Err(state("it has been answered already"))
            }
            ContactStatus::Pending => {}
        }
        let updated = if m.accept {
            StoredRequest {
                status: ContactStatus::Accepted,
                answered_at: Some(sovbench_core::now_unix()),
                answerer_key: m.answerer_key.clone(),
                answerer_card: m.sealed_card.clone(),
                ..r
            }
        } else {
            StoredRequest {
                status: ContactStatus::Declined,
                answered_at: Some(sovbench_core::now_unix()),
                ..r
            }
        };
        let id = updated.id.clone();
        self.apply(&mut book, Vec::new(), &[], vec![updated])?;
        Ok(self.peer_ack(&call, &id))
    }

    /// A signed `PeerCard` of the requester, after the accept.
    pub fn peer_card(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut book, call) = self.admit(msg)?;
        let pb::payload::Body::PeerCard(m) = &call.body else {
            return Err(wrong("peer card", &call.body));
        };
        check_card(&m.sealed_card)?;
        let r = book
            .requests
            .get(&m.request_id)
            .filter(|r| r.requester == call.signer)
            .cloned()
            .ok_or_else(|| AggError::UnknownRequest(m.request_id.clone()))?;
        if r.status != ContactStatus::Accepted {
            // Pending, declined and closed look the same to the requester.
            return Err(AggError::RequestState {
                id: r.id,
                reason: "no answer yet".into(),
            });
        }
        if !r.requester_card.is_empty() {
            if r.requester_card == m.sealed_card {
                return Ok(self.peer_ack(&call, &r.id));
            }
            return Err(AggError::RequestState {
                id: r.id,
                reason: "a different card was sent already".into(),
            });
        }
        let updated = StoredRequest {
            requester_card: m.sealed_card.clone(),
            ..r
        };
        let id = updated.id.clone();
        self.apply(&mut book, Vec::new(), &[], vec![updated])?;
        Ok(self.peer_ack(&call, &id))
    }

    /// A signed `PeerRequestsQuery`: the signer's incoming and outgoing requests, signed.
    pub fn peer_requests(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (book, call) = self.admit(msg)?;
        if !matches!(call.body, pb::payload::Body::PeerRequestsQuery(_)) {
            return Err(wrong("peer requests query", &call.body));
        }
        let me = call.signer.as_slice();
        let mut incoming = Vec::new();
        let mut outgoing = Vec::new();
        for r in book.requests.values() {
            // Closed requests leave the target's list; so do re-requests of a pair the target
            // declined before (declined silently, never answered by the target).
            let silently_declined = r.status == ContactStatus::Declined && r.answered_at.is_none();
            if r.target == me && r.status != ContactStatus::Closed && !silently_declined {
                incoming.push(pb::IncomingRequest {
                    request_id: r.id.clone(),
                    path_id: r.target_path.clone(),
                    pseudonym: book.pseudonym(me, &r.requester, &r.requester_path),
                    requester_path_id: r.requester_path.clone(),
                    stage: r.requester_stage.key().to_string(),
                    kind: r.requester_attributes.kind.key().to_string(),
                    size_class: r.requester_attributes.size.key().to_string(),
                    requested_at: r.created_at,
                    status: match r.status {
                        ContactStatus::Accepted => pb::RequestStatus::Accepted,
                        ContactStatus::Declined => pb::RequestStatus::Declined,
                        _ => pb::RequestStatus::NoAnswerYet,
                    } as i32,
                    requester_key: r.requester_key.clone(),
                    sealed_card: r.requester_card.clone(),
                });
            }
            if r.requester == me {
                let accepted = r.status == ContactStatus::Accepted;
                outgoing.push(pb::OutgoingRequest {
                    request_id: r.id.clone(),
                    path_id: r.requester_path.clone(),
                    pseudonym: book.pseudonym(me, &r.target, &r.target_path),
                    target_path_id: r.target_path.clone(),
                    requested_at: r.created_at,
                    status: if accepted {
                        pb::RequestStatus::Accepted
                    } else {
                        pb::RequestStatus::NoAnswerYet
                    } as i32,
                    answerer_key: if accepted {
                        r.answerer_key.clone()
                    } else {
                        Vec::new()
                    },
                    sealed_card: if accepted {
                        r.answerer_card.clone()
                    } else {
                        Vec::new()
                    },
                    card_sent: !r.requester_card.is_empty(),
                });
            }
        }
        drop(book);
        Ok(self
            .identity
            .seal(pb::payload::Body::PeerRequests(pb::PeerRequests {
                incoming,
                outgoing,
                computed_at: sovbench_core::now_unix(),
                query_hash: call.payload_hash.to_vec(),
            })))
    }

    /// Overview for the operator: offers per path and stage, and requests by state. Names no
    /// administration.
    pub fn peer_overview(&self) -> PeerOverview {
        let book = self.peer_book();
        let mut offers: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for o in book.by_category.values().flat_map(|l| l.offers.iter()) {
            *offers
                .entry(o.path_id.clone())
                .or_default()
                .entry(o.stage.key().to_string())
                .or_default() += 1;
        }
        let count = |s: ContactStatus| book.requests.values().filter(|r| r.status == s).count();
        PeerOverview {
            offer_count: book.offer_count(),
            offers,
            pending: count(ContactStatus::Pending),
            accepted: count(ContactStatus::Accepted),
            declined: count(ContactStatus::Declined),
            closed: count(ContactStatus::Closed),
        }
    }
}

/// The refusal of a message of the wrong kind.
pub(crate) fn wrong(expected: &'static str, body: &pb::payload::Body) -> AggError {
    AggError::WrongKind {
        expected,
        got: envelope::kind_name(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};

    fn offer(
        node: u8,
        path: &str,
        stage: &str,
        kind: Kind,
        size: SizeClass,
        seq: u64,
    ) -> StoredOffer {
        StoredOffer {
            node_key: vec![node; 32],
            path_id: path.into(),
            category: category_of(path).expect("catalogue path"),
            stage: Stage::from_key(stage).expect("known stage"),
            attributes: CohortAttributes {
                kind,
                state: "DE-NW".into(),
                size,
            },
            offered_at: 0,
            seq,
        }
    }

    const BBB: &str = "path.videokonferenzen.bigbluebutton";
    const ALFA: &str = "path.videokonferenzen.alfaview";

    #[test]
    fn the_book_ranks_by_score_then_recency_and_stays_consistent_under_removal() {
        let mut book = PeerBook::new(b"k", PeerLimits::default());
        let g = Kind::Gemeinde;
        let m = SizeClass::Pop20kTo50k;
        book.insert_offer(offer(1, BBB, "geplant", g, m, 1));
        book.insert_offer(offer(1, ALFA, "pilot", g, m, 2)); // the viewer's own second offer
        book.insert_offer(offer(2, BBB, "rollout", g, m, 3)); // 17
        book.insert_offer(offer(3, BBB, "rollout", g, m, 4)); // 17, more recent
        book.insert_offer(offer(4, ALFA, "rollout", g, m, 5)); // 7
        book.insert_offer(offer(
            5,
            BBB,
            "erwogen",
            Kind::Land,
            SizeClass::Pop500kPlus,
            6,
        )); // 10
        let (list, candidates) = book.matches(&[1; 32], BBB, 10).unwrap();
        assert_eq!(candidates, 4, "own offers are never candidates");
        let order: Vec<(u8, i32)> = list
            .iter()
            .map(|r| (r.offer.node_key[0], r.score))
            .collect();
        assert_eq!(order, vec![(3, 17), (2, 17), (5, 10), (4, 7)]);
        let (top, _) = book.matches(&[1; 32], BBB, 2).unwrap();
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].offer.node_key[0], 3);
        assert!(book.matches(&[1; 32], BBB, 0).unwrap().0.is_empty());
        assert!(
            book.matches(&[9; 32], BBB, 10).is_none(),
            "no offer, no list"
        );
        // Re-offering updates in place; removal keeps the index right for the moved entry.
        book.insert_offer(offer(2, BBB, "abgeschlossen", g, m, 7));
        assert_eq!(book.offer_count(), 6);
        assert_eq!(book.remove_offer(&[2; 32], BBB).unwrap().seq, 7);
        assert!(book.offer(&[2; 32], BBB).is_none());
        assert_eq!(book.offer(&[5; 32], BBB).unwrap().seq, 6);
        let order: Vec<u8> = book
            .matches(&[1; 32], BBB, 10)
            .unwrap()
            .0
            .iter()
            .map(|r| r.offer.node_key[0])
            .collect();
        assert_eq!(order, vec![3, 5, 4]);
        // Pseudonyms resolve only for the viewer they were made for.
        let p = book.pseudonym(&[1; 32], &[3; 32], BBB);
        assert_eq!(
            book.resolve(&[1; 32], BBB, &p).unwrap().node_key,
            vec![3; 32]
        );
        assert!(book.resolve(&[4; 32], ALFA, &p).is_none());
    }

    /// Withdrawing, offering again and asking again looks the same to the requester whether the
    /// target declined or never answered; the target sees only requests it may answer.
    #[test]
    fn asking_again_after_a_withdrawal_reveals_no_decline() {
        use sovbench_core::envelope::Identity;
        let dir = tempfile::tempdir().unwrap();
        let agg = Aggregator::init(dir.path(), "Test").unwrap();
        let attrs = CohortAttributes {
            kind: Kind::Gemeinde,
            state: "DE-NW".into(),
            size: SizeClass::Pop20kTo50k,
        };
        let ids: Vec<Identity> = (0..3).map(|_| Identity::generate().unwrap().0).collect();
        for id in &ids {
            agg.enrol(id.public_key(), "x", attrs.clone(), 30_000)
                .unwrap();
        }
        let now = sovbench_core::now_unix();
        let nonce = || peers::fresh_nonce().unwrap();
        let offer = |id: &Identity| {
            agg.peer_offer(&id.seal(pb::payload::Body::PeerOffer(pb::PeerOffer {
                path_id: BBB.into(),
                stage: "pilot".into(),
                issued_at: now,
                nonce: nonce(),
            })))
            .unwrap();
        };
        let withdraw = |id: &Identity| {
            agg.peer_withdraw(&id.seal(pb::payload::Body::PeerWithdraw(pb::PeerWithdraw {
                path_id: BBB.into(),
                issued_at: now,
                nonce: nonce(),
            })))
            .unwrap();
        };
        let ack_id = |m: pb::SignedMessage| match envelope::open(&m).unwrap().body {
            pb::payload::Body::PeerAck(a) => a.request_id,
            _ => panic!("no ack"),
        };
        let ask = |from: &Identity, to: &Identity| {
            let p = agg
                .peer_book()
                .pseudonym(from.public_key(), to.public_key(), BBB);
            ack_id(
                agg.peer_contact(&from.seal(pb::payload::Body::PeerContact(pb::PeerContact {
                    path_id: BBB.into(),
                    pseudonym: p,
                    requester_key: vec![9; 32],
                    issued_at: now,
                    nonce: nonce(),
                })))
                .unwrap(),
            )
        };
        let requests = |id: &Identity| match envelope::open(
            &agg.peer_requests(&id.seal(pb::payload::Body::PeerRequestsQuery(
                pb::PeerRequestsQuery {
                    issued_at: now,
                    nonce: nonce(),
                },
            )))
            .unwrap(),
        )
        .unwrap()
        .body
        {
            pb::payload::Body::PeerRequests(r) => r,
            _ => panic!("no requests"),
        };
        let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
        offer(a);
        offer(b);
        offer(c);
        let to_b = ask(a, b); // B will decline
        let to_c = ask(a, c); // C never answers
        agg.peer_answer(&b.seal(pb::payload::Body::PeerAnswer(pb::PeerAnswer {
            request_id: to_b.clone(),
            accept: false,
            issued_at: now,
            nonce: nonce(),
            ..Default::default()
        })))
        .unwrap();
        assert_eq!(ask(a, b), to_b, "asking again: the same request");
        withdraw(a);
        offer(a);
        let (to_b2, to_c2) = (ask(a, b), ask(a, c));
        assert!(to_b2 != to_b && to_c2 != to_c, "both are new requests");
        for o in requests(a).outgoing {
            assert_eq!(o.status, pb::RequestStatus::NoAnswerYet as i32);
            assert!(o.sealed_card.is_empty() && o.answerer_key.is_empty());
        }
        // C is asked again; B, who declined, is not.
        let c_in: Vec<String> = requests(c)
            .incoming
            .into_iter()
            .map(|i| i.request_id)
            .collect();
        assert_eq!(c_in, vec![to_c2]);
        assert!(requests(b).incoming.is_empty());
        // A rate limit of zero refuses cleanly instead of panicking.
        agg.set_peer_limits(PeerLimits {
            requests_per_day: 0,
            ..Default::default()
        });
        let p = agg
            .peer_book()
            .pseudonym(b.public_key(), c.public_key(), BBB);
        let refused = agg.peer_contact(&b.seal(pb::payload::Body::PeerContact(pb::PeerContact {
            path_id: BBB.into(),
            pseudonym: p,
            requester_key: vec![9; 32],
            issued_at: now,
            nonce: nonce(),
        })));
        assert!(matches!(
            refused,
            Err(AggError::RateLimited { limit: 0, .. })
        ));
    }
}
