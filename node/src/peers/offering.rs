//! Offering paths: the offer with its contact card, consent to stage changes, the refresh the
//! daemon runs, and withdrawals, which stay pending until the aggregator acknowledges them.

use sovbench_core::pb;
use sovbench_core::peers::ContactCard;

use super::*;
use crate::error::NodeError;
use crate::link::PeerRpc;
use crate::node::Node;

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

/// The local offers (including those whose withdrawal is pending).
pub fn offers(node: &Node) -> Result<Vec<LocalOffer>, NodeError> {
    node.store().peer_offers()
}

/// Every stage this node sent for its offers, by path and in the order sent.
pub fn stages_sent(node: &Node) -> Result<Vec<StageSent>, NodeError> {
    node.store().stages_sent()
}
