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
mod offering;
mod requests;
pub mod views;

pub use offering::{
    confirm, deliver_pending, deliver_withdrawals, offer, offers, refresh_offers, stages_sent,
    withdraw,
};

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
    node.config().aggregator_key()?;
    let (msg, hash) = seal(node, body);
    let answer = node.link().peer(rpc, msg).await?;
    let v = node.open_from_aggregator(&answer)?;
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

/// The contact card of an offer: read from a TOML file (if given), then each field given on the
/// command line (organisation, name, email, phone, note) set over it, trimmed. `None` if
/// neither a file nor a field was given.
pub fn card_from(
    file: Option<std::path::PathBuf>,
    fields: [Option<String>; 5],
) -> Result<Option<ContactCard>, NodeError> {
    let mut card = match &file {
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|source| NodeError::Io {
                path: f.display().to_string(),
                source,
            })?;
            Some(toml::from_str::<ContactCard>(&text).map_err(|e| {
                NodeError::Config(format!("{}: not a contact card: {e}", f.display()))
            })?)
        }
        None => None,
    };
    let [organisation, name, email, phone, note] = fields;
    if [&organisation, &name, &email, &phone, &note]
        .iter()
        .any(|f| f.is_some())
    {
        let c = card.get_or_insert_with(ContactCard::default);
        let set = |slot: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *slot = v.trim().to_string();
            }
        };
        set(&mut c.organisation, organisation);
        set(&mut c.name, name);
        set(&mut c.email, email);
        set(&mut c.phone, phone);
        set(&mut c.note, note);
    }
    Ok(card)
}
