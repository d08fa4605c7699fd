//! The seven peer-matching handlers of the [`Desk`]: each takes a node's signed message, admits
//! it (`Desk::admit`), makes its change durably and returns a signed answer.
//!
//! | handler | message | answer |
//! |---|---|---|
//! | [`Desk::offer`] | `PeerOffer` | `PeerAck` |
//! | [`Desk::withdraw`] | `PeerWithdraw` | `PeerAck` |
//! | [`Desk::matches`] | `PeerMatchesQuery` | `PeerMatches` |
//! | [`Desk::contact`] | `PeerContact` | `PeerAck` with the request id |
//! | [`Desk::answer`] | `PeerAnswer` | `PeerAck` |
//! | [`Desk::card`] | `PeerCard` | `PeerAck` |
//! | [`Desk::requests`] | `PeerRequestsQuery` | `PeerRequests` |

use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_core::vocab::Stage;

use super::desk::{check_card, check_key, check_path, close_pending, Desk, DEFAULT_MATCHES};
use crate::admission::wrong_kind;
use crate::error::AggError;
use crate::model::{ContactStatus, StoredOffer, StoredRequest};

impl Desk {
    /// A signed `PeerOffer`: stores (or updates) the offer; a signed `PeerAck` once durable.
    pub fn offer(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut state, call) = self.admit(msg)?;
        let pb::payload::Body::PeerOffer(m) = &call.body else {
            return Err(wrong_kind("peer offer", &call.body));
        };
        let category = check_path(&m.path_id)?;
        let stage =
            Stage::from_key(&m.stage).ok_or_else(|| AggError::UnknownStage(m.stage.clone()))?;
        let offer = StoredOffer {
            node_key: call.signer.clone(),
            path_id: m.path_id.clone(),
            category,
            stage,
            attributes: call.enrolment.attributes.clone(),
            offered_at: self.clock.now(),
            seq: state.book.next_seq(),
        };
        self.apply(&mut state, vec![offer], &[], Vec::new())?;
        Ok(self.ack(&call, ""))
    }

    /// A signed `PeerWithdraw`: removes the offer from every list at once and closes unanswered
    /// requests on it, in both directions.
    pub fn withdraw(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut state, call) = self.admit(msg)?;
        let pb::payload::Body::PeerWithdraw(m) = &call.body else {
            return Err(wrong_kind("peer withdrawal", &call.body));
        };
        check_path(&m.path_id)?;
        if state.book.offer(&call.signer, &m.path_id).is_none() {
            return Err(AggError::NotOffered(m.path_id.clone()));
        }
        let closed = close_pending(&state.requests, &call.signer, Some(&m.path_id));
        let removal = [(m.path_id.clone(), call.signer.clone())];
        self.apply(&mut state, Vec::new(), &removal, closed)?;
        Ok(self.ack(&call, ""))
    }

    /// A signed `PeerMatchesQuery`: the signed match list of the signer's offer.
    pub fn matches(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (state, call) = self.admit(msg)?;
        let pb::payload::Body::PeerMatchesQuery(m) = &call.body else {
            return Err(wrong_kind("peer matches query", &call.body));
        };
        check_path(&m.path_id)?;
        let limit = match m.limit {
            0 => DEFAULT_MATCHES,
            n => n.min(state.limits.max_matches),
        } as usize;
        let stage = state
            .book
            .offer(&call.signer, &m.path_id)
            .map(|o| o.stage.key().to_string())
            .ok_or_else(|| AggError::NotOffered(m.path_id.clone()))?;
        let (ranked, candidates) = state
            .book
            .matches(&call.signer, &m.path_id, limit)
            .ok_or_else(|| AggError::NotOffered(m.path_id.clone()))?;
        drop(state);
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
        Ok(self.seal(pb::payload::Body::PeerMatches(pb::PeerMatches {
            path_id: m.path_id.clone(),
            stage,
            matches,
            candidates: candidates as u32,
            computed_at: self.clock.now(),
            query_hash: call.payload_hash.to_vec(),
        })))
    }

    /// A signed `PeerContact`: records a contact request (rate-limited); the ack carries its id.
    /// Asking again for the same peer returns the same request.
    pub fn contact(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut state, call) = self.admit(msg)?;
        let pb::payload::Body::PeerContact(m) = &call.body else {
            return Err(wrong_kind("peer contact request", &call.body));
        };
        check_path(&m.path_id)?;
        check_key("requester_key", &m.requester_key)?;
        let own = state
            .book
            .offer(&call.signer, &m.path_id)
            .cloned()
            .ok_or_else(|| AggError::NotOffered(m.path_id.clone()))?;
        let target = state
            .book
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
        if let Some(existing) = state
            .requests
            .values()
            .filter(same_pair)
            .find(|r| r.status != ContactStatus::Closed)
        {
            let id = existing.id.clone();
            return Ok(self.ack(&call, &id));
        }
        let declined_before = state
            .requests
            .values()
            .filter(same_pair)
            .any(|r| r.was_declined);
        let now = self.clock.now();
        let mut recent: Vec<i64> = state
            .requests
            .values()
            .filter(|r| r.requester == call.signer && r.created_at > now - 86_400)
            .map(|r| r.created_at)
            .collect();
        let limit = state.limits.requests_per_day as usize;
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
                limit: state.limits.requests_per_day,
                next: sovbench_core::time::format_utc(oldest_counted + 86_400),
            });
        }
        let id = loop {
            let id = hex::encode(envelope::random_bytes(6)?);
            if !state.requests.contains_key(&id) {
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
        self.apply(&mut state, Vec::new(), &[], vec![request])?;
        Ok(self.ack(&call, &id))
    }

    /// A signed `PeerAnswer` of the requested node: accept (with its sealed card) or decline.
    pub fn answer(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut state, call) = self.admit(msg)?;
        let pb::payload::Body::PeerAnswer(m) = &call.body else {
            return Err(wrong_kind("peer answer", &call.body));
        };
        let r = state
            .requests
            .get(&m.request_id)
            .filter(|r| r.target == call.signer)
            .cloned()
            .ok_or_else(|| AggError::UnknownRequest(m.request_id.clone()))?;
        let refused = |reason: &str| AggError::RequestState {
            id: r.id.clone(),
            reason: reason.to_string(),
        };
        if m.accept {
            check_key("answerer_key", &m.answerer_key)?;
            check_card(&m.sealed_card)?;
        }
        match r.status {
            ContactStatus::Closed => {
                return Err(refused(
                    "an offer behind it was withdrawn; it can no longer be answered",
                ))
            }
            ContactStatus::Accepted if m.accept && r.answerer_card == m.sealed_card => {
                return Ok(self.ack(&call, &r.id))
            }
            ContactStatus::Declined if !m.accept => return Ok(self.ack(&call, &r.id)),
            ContactStatus::Accepted | ContactStatus::Declined => {
                return Err(refused("it has been answered already"))
            }
            ContactStatus::Pending => {}
        }
        let updated = if m.accept {
            StoredRequest {
                status: ContactStatus::Accepted,
                answered_at: Some(self.clock.now()),
                answerer_key: m.answerer_key.clone(),
                answerer_card: m.sealed_card.clone(),
                ..r
            }
        } else {
            StoredRequest {
                status: ContactStatus::Declined,
                answered_at: Some(self.clock.now()),
                ..r
            }
        };
        let id = updated.id.clone();
        self.apply(&mut state, Vec::new(), &[], vec![updated])?;
        Ok(self.ack(&call, &id))
    }

    /// A signed `PeerCard` of the requester, after the accept.
    pub fn card(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (mut state, call) = self.admit(msg)?;
        let pb::payload::Body::PeerCard(m) = &call.body else {
            return Err(wrong_kind("peer card", &call.body));
        };
        check_card(&m.sealed_card)?;
        let r = state
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
                return Ok(self.ack(&call, &r.id));
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
        self.apply(&mut state, Vec::new(), &[], vec![updated])?;
        Ok(self.ack(&call, &id))
    }

    /// A signed `PeerRequestsQuery`: the signer's incoming and outgoing requests, signed.
    pub fn requests(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (state, call) = self.admit(msg)?;
        if !matches!(call.body, pb::payload::Body::PeerRequestsQuery(_)) {
            return Err(wrong_kind("peer requests query", &call.body));
        }
        let me = call.signer.as_slice();
        let mut incoming = Vec::new();
        let mut outgoing = Vec::new();
        for r in state.requests.values() {
            // Closed requests leave the target's list; so do re-requests of a pair the target
            // declined before (declined silently, never answered by the target).
            let silently_declined = r.status == ContactStatus::Declined && r.answered_at.is_none();
            if r.target == me && r.status != ContactStatus::Closed && !silently_declined {
                incoming.push(pb::IncomingRequest {
                    request_id: r.id.clone(),
                    path_id: r.target_path.clone(),
                    pseudonym: state.book.pseudonym(me, &r.requester, &r.requester_path),
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
                    pseudonym: state.book.pseudonym(me, &r.target, &r.target_path),
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
        drop(state);
        Ok(self.seal(pb::payload::Body::PeerRequests(pb::PeerRequests {
            incoming,
            outgoing,
            computed_at: self.clock.now(),
            query_hash: call.payload_hash.to_vec(),
        })))
    }
}
