//! Peer matching on the node: offers, match lists, contact requests and answers, and the
//! end-to-end sealed exchange of contact cards (docs/PEERS.md).
//!
//! What leaves the node: for an offered path its catalogue id and stage (the aggregator adds the
//! cohort attributes it knows from the enrolment), and later stages only as the offer's
//! [`StageSharing`] allows (by default each change waits for `peers confirm`); every stage sent is
//! logged in the store. For a contact request the pseudonym and a fresh
//! X25519 public key; the contact card only sealed to the other side's key, and only once both
//! sides have said yes. No self-test, inventory or notes value is sent. Peer matching spends no
//! privacy budget because it is not a statistical release: it is an explicit disclosure the
//! administration consents to per path.
//!
//! The operations are free functions over a [`Node`], which they use only through its public
//! API: [`offer`], [`confirm`], [`offers`], [`withdraw`], [`matches()`], [`contact`],
//! [`requests`], [`answer`], and [`refresh_offers`] and [`deliver_withdrawals`] for the daemon
//! and every command that talks to the aggregator. A withdrawal is outbox-style: recorded first,
//! pending until the aggregator acknowledges it, re-sent until then. [`model`] holds the stored records, [`views`] what the
//! operations return for display.

pub mod model;
mod requests;
pub mod views;

use sovbench_core::envelope::{self, b64, unb64};
use sovbench_core::paths::{path_by_id, PathItem};
use sovbench_core::pb;
use sovbench_core::peers::{self, ContactCard, ExchangeKey};

use crate::error::NodeError;
use crate::link::PeerRpc;
use crate::migration::MigrationPath;
use crate::node::Node;

pub use model::{
    IncomingContact, LocalOffer, OutgoingContact, StageSending, StageSent, StageSharing,
};
pub use requests::{answer, requests};
pub use views::{
    IncomingView, MatchView, OfferReport, OutgoingView, PathMatches, RequestsView, WithdrawReport,
};

use views::reason_key;

fn secret_of(text: &str) -> Result<ExchangeKey, NodeError> {
    let raw = unb64(text).map_err(|e| NodeError::Storage(format!("stored X25519 secret: {e}")))?;
    let bytes: [u8; 32] = raw
        .try_into()
        .map_err(|_| NodeError::Storage("stored X25519 secret has the wrong length".into()))?;
    Ok(ExchangeKey::from_secret(bytes))
}

/// The local migration path and catalogue item named by a migration id or a catalogue path
/// id.
pub fn resolve_path(node: &Node, arg: &str) -> Result<(MigrationPath, PathItem), NodeError> {
    let all = node.store().migrations()?;
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
fn path_id_of(node: &Node, arg: &str) -> Result<String, NodeError> {
    match resolve_path(node, arg) {
        Ok((_, item)) => Ok(item.id),
        Err(_) if path_by_id(arg).is_some() => Ok(arg.to_string()),
        Err(e) => Err(e),
    }
}

fn seal(node: &Node, body: pb::payload::Body) -> (pb::SignedMessage, [u8; 32]) {
    let msg = node.seal(body);
    let hash = sovbench_core::sha256(&msg.payload);
    (msg, hash)
}

async fn send(
    node: &Node,
    rpc: PeerRpc,
    body: pb::payload::Body,
) -> Result<(pb::payload::Body, [u8; 32]), NodeError> {
    // The address is checked before the key, so that a node without either hears of the address.
    node.link().url()?;
    let key = node.config().aggregator_key()?;
    let (msg, hash) = seal(node, body);
    let answer = node.link().peer(rpc, msg).await?;
    let v = envelope::open_from(&answer, &key)?;
    Ok((v.body, hash))
}

async fn ack(node: &Node, rpc: PeerRpc, body: pb::payload::Body) -> Result<String, NodeError> {
    match send(node, rpc, body).await? {
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

fn fresh(node: &Node) -> Result<(i64, Vec<u8>), NodeError> {
    Ok((node.now(), peers::fresh_nonce()?))
}

/// Offers a path (a migration id or a catalogue path id) for peer matching, with `card` (or
/// the card of an earlier offer of the same path), sending the path's current local stage (the
/// offer is the consent to it). `sharing` sets when later stage changes may be sent (default:
/// that of an earlier offer, else [`StageSharing::Ask`]). A pending withdrawal of the path is
/// delivered first, so that withdrawing and offering again closes the old requests.
pub async fn offer(
    node: &Node,
    path: &str,
    card: Option<ContactCard>,
    sharing: Option<StageSharing>,
) -> Result<OfferReport, NodeError> {
    let (m, item) = resolve_path(node, path)?;
    let mut earlier = node.store().peer_offer(&item.id)?;
    let card = match (card, &earlier) {
        (Some(c), _) => c,
        (None, Some(e)) if !e.card.name.is_empty() => e.card.clone(),
        _ => {
            return Err(NodeError::Peers(
                "the first offer of a path needs a contact card: --name and --email or --phone (or --card FILE)".into(),
            ))
        }
    };
    card.validate()?;
    if earlier.as_ref().is_some_and(|e| e.withdrawing) {
        deliver_withdrawal(node, &item.id).await?;
        earlier = None;
    }
    let mut offer = LocalOffer {
        path_id: item.id.clone(),
        migration_id: m.id.clone(),
        stage: m.stage.key().to_string(),
        card,
        offered_at: node.now(),
        acknowledged: false,
        withdrawing: false,
        share_stage_changes: sharing
            .or(earlier.as_ref().map(|e| e.share_stage_changes))
            .unwrap_or_default(),
        held_stage: None,
    };
    node.store().put_peer_offer(&offer)?;
    send_stage(node, &offer, StageSending::Offer).await?;
    offer.acknowledged = true;
    node.store().put_peer_offer(&offer)?;
    Ok(OfferReport {
        path_id: offer.path_id,
        stage: offer.stage,
        updated: earlier.is_some(),
        share_stage_changes: offer.share_stage_changes,
    })
}

/// Sends a held stage change of an offered path (the administration's consent to it).
pub async fn confirm(node: &Node, path: &str) -> Result<OfferReport, NodeError> {
    let path_id = path_id_of(node, path)?;
    let mut o = node
        .store()
        .peer_offer(&path_id)?
        .filter(|o| !o.withdrawing)
        .ok_or_else(|| NodeError::Peers(format!("you do not offer {path_id}")))?;
    let stage = node
        .store()
        .migration(&o.migration_id)?
        .map(|m| m.stage.key().to_string())
        .unwrap_or_else(|| o.stage.clone());
    if stage == o.stage && o.acknowledged {
        return Err(NodeError::Peers(format!(
            "no stage change of {path_id} waits for confirmation (the aggregator has {stage})"
        )));
    }
    o.stage = stage;
    o.held_stage = None;
    o.acknowledged = false;
    node.store().put_peer_offer(&o)?;
    send_stage(node, &o, StageSending::Confirm).await?;
    o.acknowledged = true;
    o.offered_at = node.now();
    node.store().put_peer_offer(&o)?;
    Ok(OfferReport {
        path_id: o.path_id,
        stage: o.stage,
        updated: true,
        share_stage_changes: o.share_stage_changes,
    })
}

/// Sends an offer's stage, logged durably before it leaves and marked once acknowledged.
async fn send_stage(node: &Node, offer: &LocalOffer, why: StageSending) -> Result<(), NodeError> {
    let mut entry = StageSent {
        path_id: offer.path_id.clone(),
        stage: offer.stage.clone(),
        sent_at: node.now(),
        why: why.key().to_string(),
        acknowledged: false,
    };
    let key = node.store().log_stage_sent(&entry)?;
    send_offer(node, offer).await?;
    entry.acknowledged = true;
    node.store().put_stage_sent(&key, &entry)
}

async fn send_offer(node: &Node, offer: &LocalOffer) -> Result<(), NodeError> {
    let (issued_at, nonce) = fresh(node)?;
    ack(
        node,
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

/// Delivers pending withdrawals, then re-sends offers that were never acknowledged and stage
/// changes the offer's [`StageSharing`] allows; a change it does not allow is held (shown by
/// `peers offers`, sent by `peers confirm`). Returns the path ids updated. An offer the
/// aggregator refuses is left for the user to see (in the match list of that path); an
/// unreachable aggregator stops the refresh.
pub async fn refresh_offers(node: &Node) -> Result<Vec<String>, NodeError> {
    deliver_withdrawals(node).await?;
    let mut updated = Vec::new();
    for mut o in node.store().peer_offers()? {
        if o.withdrawing {
            continue;
        }
        let stage = node
            .store()
            .migration(&o.migration_id)?
            .map(|m| m.stage.key().to_string())
            .unwrap_or_else(|| o.stage.clone());
        let why = if !o.acknowledged {
            // The stage last consented to, never acknowledged: the same again.
            StageSending::Retry
        } else if stage == o.stage {
            if o.held_stage.take().is_some() {
                node.store().put_peer_offer(&o)?;
            }
            continue;
        } else if o.share_stage_changes == StageSharing::Always {
            o.stage = stage;
            o.held_stage = None;
            StageSending::Always
        } else {
            if o.held_stage.as_deref() != Some(stage.as_str()) {
                tracing::info!(path = %o.path_id, stage = %stage, "stage change held for consent");
                o.held_stage = Some(stage);
                node.store().put_peer_offer(&o)?;
            }
            continue;
        };
        o.acknowledged = false;
        node.store().put_peer_offer(&o)?;
        match send_stage(node, &o, why).await {
            Ok(()) => {}
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => {
                tracing::warn!(path = %o.path_id, error = %e, "offer refused");
                continue;
            }
        }
        o.acknowledged = true;
        o.offered_at = node.now();
        node.store().put_peer_offer(&o)?;
        updated.push(o.path_id.clone());
    }
    Ok(updated)
}

/// Withdraws the offer of a path: the administration vanishes from every match list at once.
/// The withdrawal is recorded before it is sent; if the aggregator cannot be reached it stays
/// pending ([`WithdrawReport::pending`]) and `serve` and every later command that talks to the
/// aggregator deliver it ([`deliver_withdrawals`]).
pub async fn withdraw(node: &Node, path: &str) -> Result<WithdrawReport, NodeError> {
    let path_id = path_id_of(node, path)?;
    let mut o = node
        .store()
        .peer_offer(&path_id)?
        .unwrap_or_else(|| LocalOffer {
            // Not offered according to this node (e.g. a store restored from a backup): withdrawn
            // all the same, so that the aggregator holds no offer either.
            path_id: path_id.clone(),
            migration_id: String::new(),
            stage: String::new(),
            card: ContactCard::default(),
            offered_at: node.now(),
            acknowledged: false,
            withdrawing: true,
            share_stage_changes: StageSharing::Never,
            held_stage: None,
        });
    o.withdrawing = true;
    node.store().put_peer_offer(&o)?;
    match deliver_withdrawal(node, &path_id).await {
        Ok(()) => Ok(WithdrawReport {
            path_id,
            pending: false,
            detail: None,
        }),
        Err(e) if e.is_transient() => Ok(WithdrawReport {
            path_id,
            pending: true,
            detail: Some(e.to_string()),
        }),
        Err(e) => Err(e),
    }
}

/// Sends the withdrawal of a path; once acknowledged (or the aggregator holds no such offer),
/// forgets the offer locally.
async fn deliver_withdrawal(node: &Node, path_id: &str) -> Result<(), NodeError> {
    let (issued_at, nonce) = fresh(node)?;
    let res = ack(
        node,
        PeerRpc::Withdraw,
        pb::payload::Body::PeerWithdraw(pb::PeerWithdraw {
            path_id: path_id.to_string(),
            issued_at,
            nonce,
        }),
    )
    .await;
    match res {
        Ok(_) => {}
        // Not offered at the aggregator (an earlier withdrawal went through before a crash, or
        // it was never offered): nothing to withdraw there.
        Err(NodeError::Refused {
            code: tonic::Code::NotFound,
            ..
        }) => {}
        Err(e) => return Err(e),
    }
    node.store().remove_peer_offer(path_id)
}

/// Delivers every pending withdrawal; returns the path ids withdrawn. An unreachable
/// aggregator stops it (the rest stay pending); a refusal is logged and left pending.
pub async fn deliver_withdrawals(node: &Node) -> Result<Vec<String>, NodeError> {
    let mut done = Vec::new();
    for o in node.store().peer_offers()? {
        if !o.withdrawing {
            continue;
        }
        match deliver_withdrawal(node, &o.path_id).await {
            Ok(()) => done.push(o.path_id),
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => {
                tracing::warn!(path = %o.path_id, error = %e, "withdrawal refused; still pending")
            }
        }
    }
    Ok(done)
}

/// For every command that talks to the aggregator: delivers pending withdrawals first, logging
/// (not failing on) an unreachable aggregator. Does nothing without pending withdrawals.
pub async fn deliver_pending(node: &Node) {
    match node.store().peer_offers() {
        Ok(offers) if offers.iter().any(|o| o.withdrawing) => {
            match deliver_withdrawals(node).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(paths = ?done, "pending withdrawals delivered")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "pending withdrawals not delivered; will retry")
                }
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "reading peer offers"),
    }
}

/// The best matches for every offered path (after refreshing changed offers).
pub async fn matches(node: &Node, limit: u32) -> Result<Vec<PathMatches>, NodeError> {
    refresh_offers(node).await?;
    let requested: Vec<(String, String)> = node
        .store()
        .outgoing_contacts()?
        .into_iter()
        .map(|c| (c.path_id, c.pseudonym))
        .collect();
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for o in node.store().peer_offers()? {
        if o.withdrawing {
            continue;
        }
        let (issued_at, nonce) = fresh(node)?;
        let sent = send(
            node,
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
            pb::payload::Body::PeerMatches(m) if m.query_hash == hash && m.path_id == o.path_id => {
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
    node.store().remember_pseudonyms(&seen)?;
    Ok(out)
}

/// Asks for contact with a listed peer. The path is the one under which the last match list
/// showed the pseudonym, unless given. Asking again returns the same request.
pub async fn contact(
    node: &Node,
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
        Some(p) => path_id_of(node, p)?,
        None => node.store().pseudonym_path(&pseudonym)?.ok_or_else(|| {
            NodeError::Peers(format!(
                "{pseudonym} was not in your last match list; run `sovbench-node peers` first or give --path"
            ))
        })?,
    };
    let offer = node.store().peer_offer(&path_id)?.filter(|o| !o.withdrawing).ok_or_else(|| {
        NodeError::Peers(format!(
            "you do not offer {path_id}; contact requests need an offer of your own (`sovbench-node peers offer`)"
        ))
    })?;
    let mut record = match node.store().outgoing_contact(&path_id, &pseudonym)? {
        Some(r) => r,
        None => {
            let key = ExchangeKey::generate()?;
            let r = OutgoingContact {
                path_id: path_id.clone(),
                pseudonym: pseudonym.clone(),
                secret: b64(&key.secret_bytes()),
                request_id: None,
                created_at: node.now(),
                own_card: offer.card.clone(),
                sealed_own_card: Vec::new(),
                card_sent: false,
                peer_card: None,
            };
            // The secret is stored before anything is sent: the answer must stay readable.
            node.store().put_outgoing_contact(&r)?;
            r
        }
    };
    let key = secret_of(&record.secret)?;
    let (issued_at, nonce) = fresh(node)?;
    let id = ack(
        node,
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
    node.store().put_outgoing_contact(&record)?;
    Ok(id)
}

/// The local offers (including those whose withdrawal is pending).
pub fn offers(node: &Node) -> Result<Vec<LocalOffer>, NodeError> {
    node.store().peer_offers()
}

/// Every stage this node sent for its offers, by path and in the order sent.
pub fn stages_sent(node: &Node) -> Result<Vec<StageSent>, NodeError> {
    node.store().stages_sent()
}
