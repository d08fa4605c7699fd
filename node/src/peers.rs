//! Peer matching on the node: offers, match lists, contact requests and answers, and the
//! end-to-end sealed exchange of contact cards (docs/PEERS.md).
//!
//! What leaves the node: for an offered path its catalogue id and stage (the aggregator adds the
//! cohort attributes it knows from the enrolment); for a contact request the pseudonym and a fresh
//! X25519 public key; the contact card only sealed to the other side's key, and only once both
//! sides have said yes. No self-test, inventory or notes value is sent. Peer matching spends no
//! privacy budget because it is not a statistical release: it is an explicit disclosure the
//! administration consents to per path.

use serde::{Deserialize, Serialize};
use sovbench_core::envelope::{self, b64, unb64};
use sovbench_core::paths::{path_by_id, PathItem};
use sovbench_core::pb;
use sovbench_core::peers::{self, ContactCard, ExchangeKey};

use crate::client::{self, PeerRpc};
use crate::error::NodeError;
use crate::migration::MigrationPath;
use crate::node::Node;

/// The administration's offer for one path, with the card it hands out after a double yes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalOffer {
    /// Catalogue path id.
    pub path_id: String,
    /// The local migration path behind it.
    pub migration_id: String,
    /// The stage last sent.
    pub stage: String,
    /// The contact card.
    pub card: ContactCard,
    /// When offered or last updated (Unix seconds).
    pub offered_at: i64,
    /// Whether the aggregator acknowledged the last offer.
    pub acknowledged: bool,
    /// A withdrawal has been decided (stored before it is sent, so that a crash in between
    /// never leads to offering the path again).
    #[serde(default)]
    pub withdrawing: bool,
}

/// A contact request this node sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingContact {
    /// The node's own path.
    pub path_id: String,
    /// The peer's pseudonym.
    pub pseudonym: String,
    /// X25519 secret of this request (base64).
    pub secret: String,
    /// Request id, once acknowledged.
    pub request_id: Option<String>,
    /// When requested.
    pub created_at: i64,
    /// The node's own card at the time of the request.
    pub own_card: ContactCard,
    /// The node's card sealed to the peer (kept so that a retry sends the same bytes).
    pub sealed_own_card: Vec<u8>,
    /// Whether the aggregator has the sealed card.
    pub card_sent: bool,
    /// The peer's card, once received and opened.
    pub peer_card: Option<ContactCard>,
}

/// An incoming request this node answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingContact {
    /// Request id.
    pub request_id: String,
    /// The node's own path.
    pub path_id: String,
    /// Accepted or declined.
    pub accepted: bool,
    /// X25519 secret (accept only, base64).
    pub secret: Option<String>,
    /// Our card sealed to the requester (accept only).
    pub sealed_card: Vec<u8>,
    /// When answered.
    pub answered_at: i64,
    /// Whether the aggregator acknowledged the answer.
    pub acknowledged: bool,
    /// The requester's card, once received and opened.
    pub peer_card: Option<ContactCard>,
}

/// What `peers offer` did.
#[derive(Debug, Clone, Serialize)]
pub struct OfferReport {
    /// Catalogue path id.
    pub path_id: String,
    /// Stage sent.
    pub stage: String,
    /// Whether this replaced an earlier offer.
    pub updated: bool,
}

/// One listed peer.
#[derive(Debug, Clone, Serialize)]
pub struct MatchView {
    /// Pseudonym (for this node and this path only).
    pub pseudonym: String,
    /// The peer's path.
    pub path_id: String,
    /// Whether it is this node's own path.
    pub same_path: bool,
    /// Stage key.
    pub stage: String,
    /// Kind key.
    pub kind: String,
    /// Size class key.
    pub size_class: String,
    /// Score.
    pub score: i32,
    /// Score parts: reason and points.
    pub parts: Vec<(String, i32)>,
    /// Whether a request to this peer was sent already.
    pub requested: bool,
}

/// The match list of one offered path.
#[derive(Debug, Clone, Serialize)]
pub struct PathMatches {
    /// Catalogue path id.
    pub path_id: String,
    /// Own stage as the aggregator has it.
    pub stage: String,
    /// Candidates before the limit.
    pub candidates: u32,
    /// The best matches.
    pub matches: Vec<MatchView>,
    /// Why there is no list, if the aggregator refused the query.
    pub problem: Option<String>,
}

/// An incoming request as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct IncomingView {
    /// Request id (for `peers accept|decline`).
    pub request_id: String,
    /// Own path that the requester matched.
    pub path_id: String,
    /// Requester's pseudonym.
    pub pseudonym: String,
    /// Requester's path.
    pub requester_path_id: String,
    /// Requester's stage, kind and size class.
    pub stage: String,
    /// Kind key.
    pub kind: String,
    /// Size class key.
    pub size_class: String,
    /// When requested.
    pub requested_at: i64,
    /// `no_answer_yet`, `accepted` or `declined`.
    pub status: String,
    /// The requester's card, once exchanged.
    pub card: Option<ContactCard>,
    /// Why the card could not be opened, if it could not.
    pub problem: Option<String>,
}

/// An outgoing request as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct OutgoingView {
    /// Request id.
    pub request_id: String,
    /// Own path.
    pub path_id: String,
    /// Peer's pseudonym.
    pub pseudonym: String,
    /// Peer's path.
    pub target_path_id: String,
    /// When requested.
    pub requested_at: i64,
    /// `no_answer_yet` (also after a decline) or `accepted`.
    pub status: String,
    /// The peer's card, once exchanged.
    pub card: Option<ContactCard>,
    /// Whether our own card has been handed over.
    pub own_card_sent: bool,
    /// Why the exchange could not be completed, if it could not.
    pub problem: Option<String>,
}

/// Both directions of contact requests.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RequestsView {
    /// Requests to this node.
    pub incoming: Vec<IncomingView>,
    /// Requests from this node.
    pub outgoing: Vec<OutgoingView>,
}

fn status_key(s: i32) -> &'static str {
    match pb::RequestStatus::try_from(s) {
        Ok(pb::RequestStatus::Accepted) => "accepted",
        Ok(pb::RequestStatus::Declined) => "declined",
        _ => "no_answer_yet",
    }
}

fn reason_key(r: i32) -> String {
    pb::ScoreReason::try_from(r)
        .map(|r| {
            r.as_str_name()
                .trim_start_matches("SCORE_REASON_")
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|_| "unspecified".into())
}

fn secret_of(text: &str) -> Result<ExchangeKey, NodeError> {
    let raw = unb64(text).map_err(|e| NodeError::Storage(format!("stored X25519 secret: {e}")))?;
    let bytes: [u8; 32] = raw
        .try_into()
        .map_err(|_| NodeError::Storage("stored X25519 secret has the wrong length".into()))?;
    Ok(ExchangeKey::from_secret(bytes))
}

impl Node {
    /// The local migration path and catalogue item named by a migration id or a catalogue path
    /// id.
    pub fn resolve_peer_path(&self, arg: &str) -> Result<(MigrationPath, PathItem), NodeError> {
        let all = self.store().migrations()?;
        let found = all
            .iter()
            .find(|m| m.id == arg)
            .or_else(|| {
                all.iter()
                    .find(|m| m.catalogue_item().is_some_and(|i| i.id == arg))
            })
            .cloned();
        let Some(m) = found else {
            let known: Vec<String> = all
                .iter()
                .filter_map(|m| m.catalogue_item().map(|i| format!("{} ({})", m.id, i.id)))
                .collect();
            return Err(NodeError::Peers(format!(
                "no migration path {arg:?}; record it with `sovbench-node migration add` first{}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(". Paths that can be offered: {}", known.join(", "))
                }
            )));
        };
        let item = m.catalogue_item().ok_or_else(|| {
            NodeError::Peers(format!(
                "migration path {} leads to {:?}, which is not in the published path catalogue; only catalogue paths can be matched",
                m.id, m.to_product
            ))
        })?;
        Ok((m, item))
    }

    /// The catalogue path id named by a migration id or a catalogue path id; the latter also
    /// when no local migration follows it any more (to withdraw or ask on an old offer).
    fn peer_path_id(&self, arg: &str) -> Result<String, NodeError> {
        match self.resolve_peer_path(arg) {
            Ok((_, item)) => Ok(item.id),
            Err(_) if path_by_id(arg).is_some() => Ok(arg.to_string()),
            Err(e) => Err(e),
        }
    }

    fn seal_peer(&self, body: pb::payload::Body) -> (pb::SignedMessage, [u8; 32]) {
        let msg = self.identity.seal(body);
        let hash = sovbench_core::sha256(&msg.payload);
        (msg, hash)
    }

    async fn peer_send(
        &self,
        rpc: PeerRpc,
        body: pb::payload::Body,
    ) -> Result<(pb::payload::Body, [u8; 32]), NodeError> {
        let url = self.config().aggregator_url()?.to_string();
        let key = self.config().aggregator_key()?;
        let (msg, hash) = self.seal_peer(body);
        let answer = client::peer(&url, rpc, msg).await?;
        let v = envelope::open_from(&answer, &key)?;
        Ok((v.body, hash))
    }

    async fn peer_ack(&self, rpc: PeerRpc, body: pb::payload::Body) -> Result<String, NodeError> {
        match self.peer_send(rpc, body).await? {
            (pb::payload::Body::PeerAck(a), hash) if a.payload_hash == hash => Ok(a.request_id),
            (pb::payload::Body::PeerAck(_), _) => Err(NodeError::BadAnswer(
                "acknowledgement for another message".into(),
            )),
            (other, _) => Err(NodeError::BadAnswer(format!(
                "expected a peer acknowledgement, got a {}",
                envelope::kind_name(&other)
            ))),
        }
    }

    fn fresh() -> Result<(i64, Vec<u8>), NodeError> {
        Ok((sovbench_core::now_unix(), peers::fresh_nonce()?))
    }

    /// Offers a path (a migration id or a catalogue path id) for peer matching, with `card` (or
    /// the card of an earlier offer of the same path).
    pub async fn peer_offer(
        &self,
        path: &str,
        card: Option<ContactCard>,
    ) -> Result<OfferReport, NodeError> {
        let (m, item) = self.resolve_peer_path(path)?;
        let earlier = self.store().peer_offer(&item.id)?;
        let card = match (card, &earlier) {
            (Some(c), _) => c,
            (None, Some(e)) => e.card.clone(),
            (None, None) => {
                return Err(NodeError::Peers(
                    "the first offer of a path needs a contact card: --name and --email or --phone (or --card FILE)".into(),
                ))
            }
        };
        card.validate()?;
        let mut offer = LocalOffer {
            path_id: item.id.clone(),
            migration_id: m.id.clone(),
            stage: m.stage.key().to_string(),
            card,
            offered_at: sovbench_core::now_unix(),
            acknowledged: false,
            withdrawing: false,
        };
        self.store().put_peer_offer(&offer)?;
        self.send_offer(&offer).await?;
        offer.acknowledged = true;
        self.store().put_peer_offer(&offer)?;
        Ok(OfferReport {
            path_id: offer.path_id,
            stage: offer.stage,
            updated: earlier.is_some(),
        })
    }

    async fn send_offer(&self, offer: &LocalOffer) -> Result<(), NodeError> {
        let (issued_at, nonce) = Self::fresh()?;
        self.peer_ack(
            PeerRpc::Offer,
            pb::payload::Body::PeerOffer(pb::PeerOffer {
                path_id: offer.path_id.clone(),
                stage: offer.stage.clone(),
                issued_at,
                nonce,
            }),
        )
        .await?;
        Ok(())
    }

    /// Re-sends offers whose local migration stage changed or that were never acknowledged;
    /// returns the path ids updated. An offer the aggregator refuses is left for the user to see
    /// (in the match list of that path); an unreachable aggregator stops the refresh.
    pub async fn refresh_peer_offers(&self) -> Result<Vec<String>, NodeError> {
        let mut updated = Vec::new();
        for mut o in self.store().peer_offers()? {
            if o.withdrawing {
                continue;
            }
            let stage = self
                .store()
                .migration(&o.migration_id)?
                .map(|m| m.stage.key().to_string())
                .unwrap_or_else(|| o.stage.clone());
            if stage != o.stage || !o.acknowledged {
                o.stage = stage;
                o.acknowledged = false;
                self.store().put_peer_offer(&o)?;
                match self.send_offer(&o).await {
                    Ok(()) => {}
                    Err(e) if e.is_transient() => return Err(e),
                    Err(e) => {
                        tracing::warn!(path = %o.path_id, error = %e, "offer refused");
                        continue;
                    }
                }
                o.acknowledged = true;
                o.offered_at = sovbench_core::now_unix();
                self.store().put_peer_offer(&o)?;
                updated.push(o.path_id.clone());
            }
        }
        Ok(updated)
    }

    /// Withdraws the offer of a path: the administration vanishes from every match list at once.
    pub async fn peer_withdraw(&self, path: &str) -> Result<String, NodeError> {
        let path_id = self.peer_path_id(path)?;
        let local = self.store().peer_offer(&path_id)?;
        if let Some(mut o) = local.clone() {
            o.withdrawing = true;
            self.store().put_peer_offer(&o)?;
        }
        let (issued_at, nonce) = Self::fresh()?;
        let res = self
            .peer_ack(
                PeerRpc::Withdraw,
                pb::payload::Body::PeerWithdraw(pb::PeerWithdraw {
                    path_id: path_id.clone(),
                    issued_at,
                    nonce,
                }),
            )
            .await;
        match res {
            Ok(_) => {}
            // Not offered at the aggregator (an earlier withdrawal went through before a crash):
            // nothing to withdraw there; forget it locally.
            Err(NodeError::Refused { code, .. }) if code == "NotFound" && local.is_some() => {}
            Err(e) => return Err(e),
        }
        self.store().remove_peer_offer(&path_id)?;
        Ok(path_id)
    }

    /// The best matches for every offered path (after refreshing changed offers).
    pub async fn peer_matches(&self, limit: u32) -> Result<Vec<PathMatches>, NodeError> {
        self.refresh_peer_offers().await?;
        let requested: Vec<(String, String)> = self
            .store()
            .outgoing_contacts()?
            .into_iter()
            .map(|c| (c.path_id, c.pseudonym))
            .collect();
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for o in self.store().peer_offers()? {
            if o.withdrawing {
                continue;
            }
            let (issued_at, nonce) = Self::fresh()?;
            let sent = self
                .peer_send(
                    PeerRpc::Matches,
                    pb::payload::Body::PeerMatchesQuery(pb::PeerMatchesQuery {
                        path_id: o.path_id.clone(),
                        limit,
                        issued_at,
                        nonce,
                    }),
                )
                .await;
            let (body, hash) = match sent {
                Ok(x) => x,
                Err(e) if e.is_transient() => return Err(e),
                Err(e) => {
                    // For example an offer the aggregator refused: shown on its list.
                    out.push(PathMatches {
                        path_id: o.path_id,
                        stage: o.stage,
                        candidates: 0,
                        matches: Vec::new(),
                        problem: Some(e.to_string()),
                    });
                    continue;
                }
            };
            let m = match body {
                pb::payload::Body::PeerMatches(m)
                    if m.query_hash == hash && m.path_id == o.path_id =>
                {
                    m
                }
                other => {
                    return Err(NodeError::BadAnswer(format!(
                        "expected the match list of {}, got a {}",
                        o.path_id,
                        envelope::kind_name(&other)
                    )))
                }
            };
            let matches = m
                .matches
                .into_iter()
                .map(|p| {
                    seen.push((p.pseudonym.clone(), o.path_id.clone()));
                    MatchView {
                        requested: requested.contains(&(o.path_id.clone(), p.pseudonym.clone())),
                        same_path: p.path_id == o.path_id,
                        pseudonym: p.pseudonym,
                        path_id: p.path_id,
                        stage: p.stage,
                        kind: p.kind,
                        size_class: p.size_class,
                        score: p.score,
                        parts: p
                            .parts
                            .iter()
                            .map(|x| (reason_key(x.reason), x.points))
                            .collect(),
                    }
                })
                .collect();
            out.push(PathMatches {
                path_id: o.path_id,
                stage: m.stage,
                candidates: m.candidates,
                matches,
                problem: None,
            });
        }
        self.store().remember_pseudonyms(&seen)?;
        Ok(out)
    }

    /// Asks for contact with a listed peer. The path is the one under which the last match list
    /// showed the pseudonym, unless given. Asking again returns the same request.
    pub async fn peer_contact(
        &self,
        pseudonym: &str,
        path: Option<&str>,
    ) -> Result<String, NodeError> {
        let pseudonym = pseudonym.trim().to_ascii_lowercase();
        if !peers::is_pseudonym(&pseudonym) {
            return Err(NodeError::Peers(format!(
                "{pseudonym:?} is not a pseudonym (16 characters as listed by `sovbench-node peers`)"
            )));
        }
        let path_id = match path {
            Some(p) => self.peer_path_id(p)?,
            None => self.store().pseudonym_path(&pseudonym)?.ok_or_else(|| {
                NodeError::Peers(format!(
                    "{pseudonym} was not in your last match list; run `sovbench-node peers` first or give --path"
                ))
            })?,
        };
        let offer = self.store().peer_offer(&path_id)?.filter(|o| !o.withdrawing).ok_or_else(|| {
            NodeError::Peers(format!(
                "you do not offer {path_id}; contact requests need an offer of your own (`sovbench-node peers offer`)"
            ))
        })?;
        let mut record = match self.store().outgoing_contact(&path_id, &pseudonym)? {
            Some(r) => r,
            None => {
                let key = ExchangeKey::generate()?;
                let r = OutgoingContact {
                    path_id: path_id.clone(),
                    pseudonym: pseudonym.clone(),
                    secret: b64(&key.secret_bytes()),
                    request_id: None,
                    created_at: sovbench_core::now_unix(),
                    own_card: offer.card.clone(),
                    sealed_own_card: Vec::new(),
                    card_sent: false,
                    peer_card: None,
                };
                // The secret is stored before anything is sent: the answer must stay readable.
                self.store().put_outgoing_contact(&r)?;
                r
            }
        };
        let key = secret_of(&record.secret)?;
        let (issued_at, nonce) = Self::fresh()?;
        let id = self
            .peer_ack(
                PeerRpc::Contact,
                pb::payload::Body::PeerContact(pb::PeerContact {
                    path_id,
                    pseudonym,
                    requester_key: key.public().to_vec(),
                    issued_at,
                    nonce,
                }),
            )
            .await?;
        if id.is_empty() {
            return Err(NodeError::BadAnswer(
                "contact acknowledgement without a request id".into(),
            ));
        }
        record.request_id = Some(id.clone());
        self.store().put_outgoing_contact(&record)?;
        Ok(id)
    }

    async fn fetch_requests(&self) -> Result<pb::PeerRequests, NodeError> {
        let (issued_at, nonce) = Self::fresh()?;
        match self
            .peer_send(
                PeerRpc::Requests,
                pb::payload::Body::PeerRequestsQuery(pb::PeerRequestsQuery { issued_at, nonce }),
            )
            .await?
        {
            (pb::payload::Body::PeerRequests(r), hash) if r.query_hash == hash => Ok(r),
            (other, _) => Err(NodeError::BadAnswer(format!(
                "expected the list of contact requests, got a {}",
                envelope::kind_name(&other)
            ))),
        }
    }

    /// Incoming and outgoing requests. Exchanges what is due on the way: opens cards that
    /// arrived, and hands over this node's card for every accepted outgoing request.
    pub async fn peer_requests(&self) -> Result<RequestsView, NodeError> {
        let r = self.fetch_requests().await?;
        let mut view = RequestsView::default();
        for o in r.outgoing {
            // The local record of this very request (an older, closed request to the same peer
            // shares the pseudonym but not the id).
            let mut local = self
                .store()
                .outgoing_contact(&o.path_id, &o.pseudonym)?
                .filter(|l| l.request_id.as_deref() == Some(o.request_id.as_str()));
            let mut problem = None;
            if let (true, Some(rec)) = (
                o.status == pb::RequestStatus::Accepted as i32,
                local.as_mut(),
            ) {
                // One peer's bad card or key must not block the other requests: the problem is
                // shown on its entry, transient failures still abort (and are retried later).
                match self.complete_outgoing(rec, &o).await {
                    Ok(()) => {}
                    Err(e) if e.is_transient() => return Err(e),
                    Err(e) => problem = Some(e.to_string()),
                }
            }
            view.outgoing.push(OutgoingView {
                request_id: o.request_id,
                path_id: o.path_id,
                pseudonym: o.pseudonym,
                target_path_id: o.target_path_id,
                requested_at: o.requested_at,
                status: status_key(o.status).to_string(),
                card: local.as_ref().and_then(|l| l.peer_card.clone()),
                own_card_sent: local.as_ref().is_some_and(|l| l.card_sent) || o.card_sent,
                problem,
            });
        }
        for i in r.incoming {
            let mut local = self.store().incoming_contact(&i.request_id)?;
            let mut problem = None;
            if let Some(rec) = local.as_mut() {
                if let (Some(secret), false, None) =
                    (&rec.secret, i.sealed_card.is_empty(), &rec.peer_card)
                {
                    let opened = secret_of(secret).and_then(|key| {
                        Ok(peers::open_card(
                            &key,
                            &i.requester_key,
                            &i.request_id,
                            false,
                            &i.sealed_card,
                        )?)
                    });
                    match opened {
                        Ok(card) => {
                            rec.peer_card = Some(card);
                            self.store().put_incoming_contact(rec)?;
                        }
                        Err(e) => problem = Some(e.to_string()),
                    }
                }
            }
            view.incoming.push(IncomingView {
                request_id: i.request_id,
                path_id: i.path_id,
                pseudonym: i.pseudonym,
                requester_path_id: i.requester_path_id,
                stage: i.stage,
                kind: i.kind,
                size_class: i.size_class,
                requested_at: i.requested_at,
                status: status_key(i.status).to_string(),
                card: local.and_then(|l| l.peer_card),
                problem,
            });
        }
        Ok(view)
    }

    /// For an accepted outgoing request: opens the peer's card and hands over this node's own.
    async fn complete_outgoing(
        &self,
        rec: &mut OutgoingContact,
        o: &pb::OutgoingRequest,
    ) -> Result<(), NodeError> {
        let key = secret_of(&rec.secret)?;
        if rec.peer_card.is_none() {
            rec.peer_card = Some(peers::open_card(
                &key,
                &o.answerer_key,
                &o.request_id,
                true,
                &o.sealed_card,
            )?);
            self.store().put_outgoing_contact(rec)?;
        }
        if !rec.card_sent && !o.card_sent {
            if rec.sealed_own_card.is_empty() {
                // Sealed once and stored, so that a retry hands over the same bytes.
                rec.sealed_own_card =
                    peers::seal_card(&key, &o.answerer_key, &o.request_id, false, &rec.own_card)?;
                self.store().put_outgoing_contact(rec)?;
            }
            let (issued_at, nonce) = Self::fresh()?;
            self.peer_ack(
                PeerRpc::Card,
                pb::payload::Body::PeerCard(pb::PeerCard {
                    request_id: o.request_id.clone(),
                    sealed_card: rec.sealed_own_card.clone(),
                    issued_at,
                    nonce,
                }),
            )
            .await?;
        }
        if !rec.card_sent {
            rec.card_sent = true;
            self.store().put_outgoing_contact(rec)?;
        }
        Ok(())
    }

    /// Accepts or declines an incoming request. Accepting hands over this node's card for the
    /// path, sealed to the requester; the requester's card follows when its node next looks.
    pub async fn peer_answer(&self, request_id: &str, accept: bool) -> Result<(), NodeError> {
        let r = self.fetch_requests().await?;
        let incoming = r
            .incoming
            .into_iter()
            .find(|i| i.request_id == request_id)
            .ok_or_else(|| {
                NodeError::Peers(format!(
                    "no incoming contact request {request_id}; see `sovbench-node peers requests`"
                ))
            })?;
        let mut record = match self.store().incoming_contact(request_id)? {
            Some(rec) if rec.accepted == accept => rec,
            Some(_) if incoming.status != pb::RequestStatus::NoAnswerYet as i32 => {
                return Err(NodeError::Peers(format!(
                    "request {request_id} has been answered already"
                )))
            }
            _ => {
                let mut rec = IncomingContact {
                    request_id: request_id.to_string(),
                    path_id: incoming.path_id.clone(),
                    accepted: accept,
                    secret: None,
                    sealed_card: Vec::new(),
                    answered_at: sovbench_core::now_unix(),
                    acknowledged: false,
                    peer_card: None,
                };
                if accept {
                    let offer = self.store().peer_offer(&incoming.path_id)?.ok_or_else(|| {
                        NodeError::Peers(format!(
                            "you no longer offer {}; offer it again to answer with a card",
                            incoming.path_id
                        ))
                    })?;
                    let key = ExchangeKey::generate()?;
                    rec.sealed_card = peers::seal_card(
                        &key,
                        &incoming.requester_key,
                        request_id,
                        true,
                        &offer.card,
                    )?;
                    rec.secret = Some(b64(&key.secret_bytes()));
                }
                self.store().put_incoming_contact(&rec)?;
                rec
            }
        };
        let answerer_key = match &record.secret {
            Some(s) => secret_of(s)?.public().to_vec(),
            None => Vec::new(),
        };
        let (issued_at, nonce) = Self::fresh()?;
        self.peer_ack(
            PeerRpc::Answer,
            pb::payload::Body::PeerAnswer(pb::PeerAnswer {
                request_id: request_id.to_string(),
                accept,
                answerer_key,
                sealed_card: record.sealed_card.clone(),
                issued_at,
                nonce,
            }),
        )
        .await?;
        record.acknowledged = true;
        self.store().put_incoming_contact(&record)?;
        Ok(())
    }

    /// The local offers.
    pub fn local_peer_offers(&self) -> Result<Vec<LocalOffer>, NodeError> {
        self.store().peer_offers()
    }
}
