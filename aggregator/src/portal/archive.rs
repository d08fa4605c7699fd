//! The archive of publications: every round the aggregator published, oldest first, each with
//! the SHA-256 of its signed payload. Serves the gRPC `ListPublications` (a signed
//! [`pb::PublicationList`]) and the portal, which keeps what it loaded in a cache
//! ([`Archive`]): a publication never changes once stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;

use crate::admission::wrong_kind;
use crate::error::AggError;
use crate::model::RoundStatus;
use crate::rounds::round_params;
use crate::store::Store;

/// Entries of one `ListPublications` answer at most.
pub const MAX_LIST: usize = 1000;

/// One stored publication, its signature verified.
#[derive(Debug, Clone)]
pub struct Archived {
    /// The signed message as stored (what `GetPublication` returns).
    pub signed: pb::SignedMessage,
    /// The publication decoded from the signed bytes.
    pub publication: pb::Publication,
    /// Mode of the round (direct or secure).
    pub mode: pb::RoundMode,
    /// SHA-256 of the signed payload bytes.
    pub payload_sha256: [u8; 32],
}

impl Archived {
    /// Round id.
    pub fn round_id(&self) -> &str {
        &self.publication.round_id
    }

    /// `direct` or `secure`.
    pub fn mode_key(&self) -> &'static str {
        match self.mode {
            pb::RoundMode::SecureAggregation => "secure",
            _ => "direct",
        }
    }

    /// The summary the archive lists.
    pub fn summary(&self) -> pb::PublicationSummary {
        pb::PublicationSummary {
            round_id: self.publication.round_id.clone(),
            published_at: self.publication.published_at,
            contributors: self.publication.contributors,
            mode: self.mode as i32,
            payload_sha256: self.payload_sha256.to_vec(),
        }
    }
}

/// Ids of the published rounds (unordered).
pub fn published_ids(store: &Store) -> Result<Vec<String>, AggError> {
    Ok(store
        .round_states()?
        .into_iter()
        .filter(|(_, s)| s.status == RoundStatus::Published)
        .map(|(id, _)| id)
        .collect())
}

/// Loads and verifies the stored publication of a published round; `None` if the round is
/// unknown or not published.
pub fn load(store: &Store, round_id: &str) -> Result<Option<Archived>, AggError> {
    match store.round_state(round_id)? {
        Some(s) if s.status == RoundStatus::Published => {}
        _ => return Ok(None),
    }
    let Some(signed) = store.publication(round_id)? else {
        return Ok(None);
    };
    let publication = match envelope::open(&signed)?.body {
        pb::payload::Body::Publication(p) => p,
        other => return Err(wrong_kind("publication", &other)),
    };
    let mode = pb::RoundMode::try_from(round_params(store, round_id)?.mode)
        .unwrap_or(pb::RoundMode::Direct);
    Ok(Some(Archived {
        payload_sha256: sovbench_core::sha256(&signed.payload),
        signed,
        publication,
        mode,
    }))
}

/// Sorts oldest first: by publication time, then round id.
fn sort(list: &mut [Arc<Archived>]) {
    list.sort_by(|a, b| {
        (a.publication.published_at, a.round_id()).cmp(&(b.publication.published_at, b.round_id()))
    });
}

/// Every published round, oldest first (loaded fresh from the store).
pub fn all(store: &Store) -> Result<Vec<Arc<Archived>>, AggError> {
    let mut list = Vec::new();
    for id in published_ids(store)? {
        if let Some(a) = load(store, &id)? {
            list.push(Arc::new(a));
        }
    }
    sort(&mut list);
    Ok(list)
}

/// The page of the archive after the round `after` (empty: from the first), at most `limit`
/// entries (0 or more than [`MAX_LIST`]: [`MAX_LIST`]), and the id to continue after when more
/// follow.
pub fn page(
    all: &[Arc<Archived>],
    after: &str,
    limit: u32,
) -> (Vec<pb::PublicationSummary>, String) {
    let start = if after.is_empty() {
        0
    } else {
        all.iter()
            .position(|a| a.round_id() == after)
            .map_or(all.len(), |i| i + 1)
    };
    let limit = match limit as usize {
        0 => MAX_LIST,
        n => n.min(MAX_LIST),
    };
    let rest = &all[start.min(all.len())..];
    let take = &rest[..limit.min(rest.len())];
    let next = if rest.len() > take.len() {
        take.last()
            .map(|a| a.round_id().to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    (take.iter().map(|a| a.summary()).collect(), next)
}

/// The signed answer of `ListPublications`.
pub fn signed_list(
    store: &Store,
    identity: &Identity,
    req: &pb::ListPublicationsRequest,
    now: i64,
) -> Result<pb::SignedMessage, AggError> {
    let (publications, next_after) = page(&all(store)?, &req.after, req.limit);
    Ok(
        identity.seal(pb::payload::Body::PublicationList(pb::PublicationList {
            publications,
            listed_at: now,
            next_after,
        })),
    )
}

/// The portal's view of the archive: publications loaded once and kept (they are immutable);
/// the list of published rounds is read from the store on every call, so a round published while
/// the portal runs appears at once.
#[derive(Debug, Default)]
pub struct Archive {
    cache: Mutex<HashMap<String, Arc<Archived>>>,
}

impl Archive {
    /// Every published round, oldest first.
    pub fn all(&self, store: &Store) -> Result<Vec<Arc<Archived>>, AggError> {
        let mut list = Vec::new();
        for id in published_ids(store)? {
            if let Some(a) = self.get(store, &id)? {
                list.push(a);
            }
        }
        sort(&mut list);
        Ok(list)
    }

    /// One published round; `None` if unknown or not published.
    pub fn get(&self, store: &Store, round_id: &str) -> Result<Option<Arc<Archived>>, AggError> {
        if let Some(a) = self.lock()?.get(round_id) {
            return Ok(Some(a.clone()));
        }
        let Some(a) = load(store, round_id)? else {
            return Ok(None);
        };
        let a = Arc::new(a);
        self.lock()?.insert(round_id.to_string(), a.clone());
        Ok(Some(a))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Arc<Archived>>>, AggError> {
        self.cache
            .lock()
            .map_err(|_| AggError::Storage("portal cache poisoned".into()))
    }
}
