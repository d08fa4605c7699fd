//! Contact requests in both directions: listing them ([`requests`]), which also completes what is
//! due (opens cards that arrived, hands over this node's card for accepted outgoing requests),
//! and answering an incoming one ([`answer`]).

use sovbench_core::envelope::{self, b64};
use sovbench_core::pb;
use sovbench_core::peers::{self, ExchangeKey};

use super::model::{IncomingContact, OutgoingContact};
use super::views::{status_key, IncomingView, OutgoingView, RequestsView};
use super::{ack, fresh, secret_of, send};
use crate::error::NodeError;
use crate::link::PeerRpc;
use crate::node::Node;

async fn fetch_requests(node: &Node) -> Result<pb::PeerRequests, NodeError> {
    let (issued_at, nonce) = fresh(node)?;
    match send(
        node,
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
pub async fn requests(node: &Node) -> Result<RequestsView, NodeError> {
    let r = fetch_requests(node).await?;
    let mut view = RequestsView::default();
    for o in r.outgoing {
        // The local record of this very request (an older, closed request to the same peer
        // shares the pseudonym but not the id).
        let mut local = node
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
            match complete_outgoing(node, rec, &o).await {
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
        let mut local = node.store().incoming_contact(&i.request_id)?;
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
                        node.store().put_incoming_contact(rec)?;
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
    node: &Node,
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
        node.store().put_outgoing_contact(rec)?;
    }
    if !rec.card_sent && !o.card_sent {
        if rec.sealed_own_card.is_empty() {
            // Sealed once and stored, so that a retry hands over the same bytes.
            rec.sealed_own_card =
                peers::seal_card(&key, &o.answerer_key, &o.request_id, false, &rec.own_card)?;
            node.store().put_outgoing_contact(rec)?;
        }
        let (issued_at, nonce) = fresh(node)?;
        ack(
            node,
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
        node.store().put_outgoing_contact(rec)?;
    }
    Ok(())
}

/// Accepts or declines an incoming request. Accepting hands over this node's card for the
/// path, sealed to the requester; the requester's card follows when its node next looks.
pub async fn answer(node: &Node, request_id: &str, accept: bool) -> Result<(), NodeError> {
    let r = fetch_requests(node).await?;
    let incoming = r
        .incoming
        .into_iter()
        .find(|i| i.request_id == request_id)
        .ok_or_else(|| {
            NodeError::Peers(format!(
                "no incoming contact request {request_id}; see `sovbench-node peers requests`"
            ))
        })?;
    let mut record = match node.store().incoming_contact(request_id)? {
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
                answered_at: node.now(),
                acknowledged: false,
                peer_card: None,
            };
            if accept {
                let offer = node.store().peer_offer(&incoming.path_id)?.ok_or_else(|| {
                    NodeError::Peers(format!(
                        "you no longer offer {}; offer it again to answer with a card",
                        incoming.path_id
                    ))
                })?;
                let key = ExchangeKey::generate()?;
                rec.sealed_card =
                    peers::seal_card(&key, &incoming.requester_key, request_id, true, &offer.card)?;
                rec.secret = Some(b64(&key.secret_bytes()));
            }
            node.store().put_incoming_contact(&rec)?;
            rec
        }
    };
    let answerer_key = match &record.secret {
        Some(s) => secret_of(s)?.public().to_vec(),
        None => Vec::new(),
    };
    let (issued_at, nonce) = fresh(node)?;
    ack(
        node,
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
    node.store().put_incoming_contact(&record)?;
    Ok(())
}
