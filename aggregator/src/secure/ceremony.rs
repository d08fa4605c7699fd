//! DKG ceremonies: registered by the operator (id, threshold, the trustees' Ed25519 keys) and
//! relayed by the aggregator. `DkgPost` stores a trustee's signed step message (durably, before
//! the signed acknowledgement; the same slot again only with identical bytes); `DkgFetch` returns
//! the board a trustee may see: steps 1, 2 and 4 of everyone and the step-3 shares addressed to
//! it. The ceremony is complete when all *m* trustees posted the same committee document.

use std::collections::BTreeMap;

use prost::Message as _;
use serde::Serialize;
use sovbench_core::envelope::{check_public_key, fingerprint};
use sovbench_core::pb;
use sovbench_secure::committee::{Committee, MAX_TRUSTEES};

use super::SecureDesk;
use crate::admission::{open_checked, wrong_kind};
use crate::error::AggError;
use crate::model::StoredCeremony;
use crate::store::Store;

/// A ceremony as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CeremonyInfo {
    /// Ceremony id.
    pub id: String,
    /// Threshold t.
    pub threshold: u32,
    /// Raw Ed25519 keys of the trustees, in index order.
    pub trustee_keys: Vec<Vec<u8>>,
    /// DKG messages posted so far (all steps).
    pub posted: usize,
    /// Whether all trustees posted the same committee document.
    pub complete: bool,
    /// SHA-256 of the agreed committee document (what nodes pin).
    pub fingerprint: Option<[u8; 32]>,
}

/// The agreed committee of a complete ceremony.
#[derive(Debug, Clone)]
pub struct Agreed {
    /// The committee.
    pub committee: Committee,
    /// Its document (`Committee::to_bytes`).
    pub document: Vec<u8>,
    /// The trustees' Ed25519 keys.
    pub trustee_keys: Vec<Vec<u8>>,
}

/// Registers a ceremony.
pub fn create(
    store: &Store,
    id: &str,
    threshold: u32,
    trustee_keys: Vec<Vec<u8>>,
    now: i64,
) -> Result<(), AggError> {
    let bad = |s: String| Err(AggError::BadCeremony(s));
    if !sovbench_core::ids::is_plain_id(id) {
        return bad(format!(
            "id {:?} must be {}",
            sovbench_core::display::echo(id),
            sovbench_core::ids::ID_RULE_EN
        ));
    }
    let m = trustee_keys.len();
    if !(2..=MAX_TRUSTEES).contains(&m) {
        return bad(format!("{m} trustees; a committee has 2 to {MAX_TRUSTEES}"));
    }
    if threshold == 0 || threshold as usize > m {
        return bad(format!("threshold {threshold} must be between 1 and {m}"));
    }
    for (i, k) in trustee_keys.iter().enumerate() {
        check_public_key(k).map_err(|e| AggError::BadCeremony(format!("trustee {i}: {e}")))?;
        if trustee_keys[..i].contains(k) {
            return bad(format!("trustee key {} given twice", fingerprint(k)));
        }
    }
    let record = StoredCeremony {
        threshold,
        trustee_keys,
        created_at: now,
    };
    if !store.put_ceremony(id, &record)? {
        return Err(AggError::CeremonyExists(id.to_string()));
    }
    Ok(())
}

fn stored(store: &Store, id: &str) -> Result<StoredCeremony, AggError> {
    store
        .ceremony(id)?
        .ok_or_else(|| AggError::UnknownCeremony(id.to_string()))
}

/// The committee document all trustees posted, if they agree.
fn agreed_document(
    c: &StoredCeremony,
    store: &Store,
    id: &str,
) -> Result<Option<Vec<u8>>, AggError> {
    let mut docs: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    for ((from, step, _), bytes) in store.dkg_messages(id)? {
        if step != 4 {
            continue;
        }
        let msg = pb::SignedMessage::decode(bytes.as_slice())?;
        if let Some(pb::payload::Body::DkgMessage(m)) =
            pb::Payload::decode(msg.payload.as_slice())?.body
        {
            if let Some(pb::dkg_message::Step::Committee(doc)) = m.step {
                docs.insert(from, doc);
            }
        }
    }
    let m = c.trustee_keys.len();
    let first = docs.values().next().cloned();
    Ok(match first {
        Some(doc) if docs.len() == m && docs.values().all(|d| *d == doc) => Some(doc),
        _ => None,
    })
}

/// A ceremony's state.
pub fn info(store: &Store, id: &str) -> Result<CeremonyInfo, AggError> {
    let c = stored(store, id)?;
    let doc = agreed_document(&c, store, id)?;
    Ok(CeremonyInfo {
        id: id.to_string(),
        threshold: c.threshold,
        posted: store.dkg_messages(id)?.len(),
        complete: doc.is_some(),
        fingerprint: doc.map(|d| sovbench_core::sha256(&d)),
        trustee_keys: c.trustee_keys,
    })
}

/// All ceremonies.
pub fn list(store: &Store) -> Result<Vec<CeremonyInfo>, AggError> {
    store
        .ceremonies()?
        .into_iter()
        .map(|(id, _)| info(store, &id))
        .collect()
}

/// The agreed committee of a complete ceremony (for opening a secure round).
pub fn committee_of(store: &Store, id: &str) -> Result<Agreed, AggError> {
    let c = stored(store, id)?;
    let info = info(store, id)?;
    let document = agreed_document(&c, store, id)?.ok_or_else(|| AggError::CeremonyIncomplete {
        id: id.to_string(),
        detail: format!(
            "not all {} trustees have posted the same committee document yet ({} messages posted)",
            c.trustee_keys.len(),
            info.posted
        ),
    })?;
    let committee =
        Committee::from_bytes(&document).map_err(|e| AggError::Storage(e.to_string()))?;
    Ok(Agreed {
        committee,
        document,
        trustee_keys: c.trustee_keys,
    })
}

impl SecureDesk {
    /// `DkgPost`: a trustee's signed DKG step, stored durably, acknowledged.
    pub fn dkg_post(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let verified = open_checked(msg)?;
        let m = match verified.body {
            pb::payload::Body::DkgMessage(m) => m,
            other => return Err(wrong_kind("DKG message", &other)),
        };
        let c = stored(&self.store, &m.ceremony)?;
        let size = c.trustee_keys.len() as u32;
        if c.trustee_keys.get(m.from as usize) != Some(&verified.signer) {
            return Err(AggError::NotTrustee {
                key: fingerprint(&verified.signer),
                role: format!("trustee {} of ceremony {}", m.from, m.ceremony),
            });
        }
        let bad = |s: String| AggError::BadTrusteeMessage(format!("DKG message: {s}"));
        let slot = match &m.step {
            Some(pb::dkg_message::Step::Commitment(_)) => (m.from, 1, 0),
            Some(pb::dkg_message::Step::Polynomial(_)) => (m.from, 2, 0),
            Some(pb::dkg_message::Step::Share(s)) => {
                if s.to >= size || s.to == m.from {
                    return Err(bad(format!(
                        "a share from trustee {} to trustee {} of {size}",
                        m.from, s.to
                    )));
                }
                (m.from, 3, s.to)
            }
            Some(pb::dkg_message::Step::Committee(doc)) => {
                let committee = Committee::from_bytes(doc)
                    .map_err(|e| bad(format!("the committee document: {e}")))?;
                if committee.size() != size as usize
                    || committee.threshold() != c.threshold as usize
                {
                    return Err(bad(format!(
                        "the committee document says {} of {}, the ceremony {} of {size}",
                        committee.threshold(),
                        committee.size(),
                        c.threshold
                    )));
                }
                (m.from, 4, 0)
            }
            None => return Err(bad("no step".into())),
        };
        let bytes = msg.encode_to_vec();
        if let Some(earlier) = self.store.put_dkg_message(&m.ceremony, slot, &bytes)? {
            if earlier != bytes {
                return Err(AggError::TrusteeConflict(format!(
                    "trustee {} posted step {} of ceremony {} before",
                    m.from, slot.1, m.ceremony
                )));
            }
            // Identical: durable already (committed before its first acknowledgement).
        }
        Ok(self.ack(&msg.payload))
    }

    /// `DkgFetch`: the board of a ceremony as the asking trustee may see it.
    pub fn dkg_fetch(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (signer, q) = self.admit_query(msg)?;
        let id = match q.query {
            Some(pb::trustee_query::Query::DkgCeremony(id)) => id,
            _ => {
                return Err(AggError::BadTrusteeMessage(
                    "DkgFetch needs a query for a ceremony".into(),
                ))
            }
        };
        let c = stored(&self.store, &id)?;
        let me = c
            .trustee_keys
            .iter()
            .position(|k| *k == signer)
            .ok_or_else(|| AggError::NotTrustee {
                key: fingerprint(&signer),
                role: format!("a trustee of ceremony {id}"),
            })? as u32;
        let messages = self
            .store
            .dkg_messages(&id)?
            .into_iter()
            .filter(|((_, step, to), _)| *step != 3 || *to == me)
            .map(|(_, bytes)| bytes)
            .collect();
        let committee = agreed_document(&c, &self.store, &id)?.unwrap_or_default();
        Ok(self
            .identity
            .seal(pb::payload::Body::DkgBoard(pb::DkgBoard {
                ceremony: id,
                threshold: c.threshold,
                trustee_keys: c.trustee_keys,
                messages,
                committee,
            })))
    }
}
