//! The phases of a closed secure round, driven by [`SecureDesk::advance`]:
//!
//! 1. **NOISE**: the bulletin's entries counted per finest cell, the partition
//!    (`sovbench_secure::grid::announce`), signed with the bulletin's length and head. The
//!    per-cell ciphertext sums (without noise) are computed once here and kept
//!    ([`StoredAnnouncement`]).
//! 2. **DECRYPT**: when all *m* trustees posted noise, or when the noise wait has passed and at
//!    least *h* = *m* − *t* + 1 did: the same cells with the included noise posts, sorted by
//!    trustee index.
//! 3. **Publication** ([`super::finish`]) once *t* valid decryption posts are stored.

use std::collections::BTreeMap;

use prost::Message as _;
use sovbench_core::cell::Cohort;
use sovbench_core::pb;
use sovbench_secure::bulletin::{ciphertext_to_bytes, components_unchecked, sums_of, CellSums};
use sovbench_secure::grid;
use sovbench_secure::Ciphertext;

use super::{bulletin, LoadedRound, SecureDesk};
use crate::error::AggError;
use crate::model::{RoundStatus, StoredAnnouncement};
use crate::store::Store;

/// Trustee post kind: noise shares.
pub const NOISE: u8 = 1;
/// Trustee post kind: decryption shares.
pub const DECRYPT: u8 = 2;

/// A signed announcement stored under `name` (`noise` or `decrypt`).
pub fn stored(
    store: &Store,
    round_id: &str,
    name: &str,
) -> Result<Option<(pb::SignedMessage, pb::Announcement)>, AggError> {
    let Some(bytes) = store.secure_record(round_id, name)? else {
        return Ok(None);
    };
    let msg = pb::SignedMessage::decode(bytes.as_slice())?;
    match pb::Payload::decode(msg.payload.as_slice())?.body {
        Some(pb::payload::Body::Announcement(a)) => Ok(Some((msg, a))),
        _ => Err(AggError::Storage(format!(
            "round {round_id}: the {name} record holds no announcement"
        ))),
    }
}

/// The kept state of the NOISE announcement.
pub fn state(store: &Store, round_id: &str) -> Result<Option<StoredAnnouncement>, AggError> {
    store.secure_json(round_id, "state")
}

/// The announced sums (without noise), decoded.
pub fn sums(a: &StoredAnnouncement) -> Result<Vec<Ciphertext>, AggError> {
    a.sums
        .iter()
        .map(|b| {
            sovbench_secure::bulletin::ciphertext_from_bytes(b)
                .map_err(|e| AggError::Storage(format!("stored sums: {e}")))
        })
        .collect()
}

/// What a closed secure round waits for, in words.
pub fn progress(store: &Store, round_id: &str) -> Result<String, AggError> {
    let l = super::load(store, round_id)?;
    let m = l.round.committee.size();
    let t = l.round.committee.threshold();
    let h = l.round.honest();
    if stored(store, round_id, "decrypt")?.is_some() {
        let n = store.trustee_posts(round_id, DECRYPT)?.len();
        return Ok(format!(
            "waiting for trustees: decryption {n} of {m} ({t} needed)"
        ));
    }
    if stored(store, round_id, "noise")?.is_some() {
        let n = store.trustee_posts(round_id, NOISE)?.len();
        return Ok(format!(
            "waiting for trustees: noise {n} of {m} ({h} needed, all {m} before the noise wait)"
        ));
    }
    Ok("closed, not yet announced".into())
}

impl SecureDesk {
    /// Moves a secure round on as far as it can: announce (NOISE), fix the noise set
    /// (DECRYPT), publish. Returns the publication once there is one.
    pub fn advance(&self, round_id: &str) -> Result<Option<pb::SignedMessage>, AggError> {
        let _phase = self.phase_lock();
        let l = self.load(round_id)?;
        match l.status {
            RoundStatus::Open | RoundStatus::Abandoned => return Ok(None),
            RoundStatus::Published => return self.store.publication(round_id),
            RoundStatus::Closed => {}
        }
        if let Some(p) = self.store.publication(round_id)? {
            // Stored, state not yet updated (a crash in between).
            crate::publication::record_published(&self.store, &self.acks, round_id, &p)?;
            return Ok(Some(p));
        }
        if state(&self.store, round_id)?.is_none() {
            self.announce_noise(round_id, &l)?;
        }
        self.advance_locked(round_id, &l)
    }

    fn advance_locked(
        &self,
        round_id: &str,
        l: &LoadedRound,
    ) -> Result<Option<pb::SignedMessage>, AggError> {
        let st = state(&self.store, round_id)?
            .ok_or_else(|| AggError::Storage(format!("round {round_id}: no announcement")))?;
        let (_, noise) = stored(&self.store, round_id, "noise")?
            .ok_or_else(|| AggError::Storage(format!("round {round_id}: no announcement")))?;
        if noise.cells.is_empty() {
            // Fewer than k contributors: nothing to decrypt, every cell suppressed.
            return self.finish(round_id, l, &st, &noise, None).map(Some);
        }
        let decrypt = match stored(&self.store, round_id, "decrypt")? {
            Some(d) => d,
            None => {
                if !self.fix_noise(round_id, l, &st)? {
                    return Ok(None);
                }
                stored(&self.store, round_id, "decrypt")?.ok_or_else(|| {
                    AggError::Storage(format!("round {round_id}: DECRYPT not stored"))
                })?
            }
        };
        let posts = self.store.trustee_posts(round_id, DECRYPT)?;
        if posts.len() < l.round.committee.threshold() {
            return Ok(None);
        }
        self.finish(round_id, l, &st, &noise, Some((&decrypt.0, &decrypt.1)))
            .map(Some)
    }

    /// Signs and stores the NOISE announcement of a closed round.
    fn announce_noise(&self, round_id: &str, l: &LoadedRound) -> Result<(), AggError> {
        let entries = bulletin::from_store(&self.store, round_id)?;
        let width = l.round.cell_width();
        let mut cells: BTreeMap<String, CellSums> = BTreeMap::new();
        let mut cohorts: BTreeMap<String, u32> = BTreeMap::new();
        let mut signatures = Vec::with_capacity(entries.len());
        for (entry, s) in &entries {
            let msg = pb::SignedMessage::decode(s.message.as_slice())?;
            let sub = match pb::Payload::decode(msg.payload.as_slice())?.body {
                Some(pb::payload::Body::Submission(sub)) => sub,
                _ => continue,
            };
            let cts = components_unchecked(&l.round, &sub)
                .map_err(|e| AggError::Storage(format!("stored submission: {e}")))?;
            if cts.len() != width {
                return Err(AggError::Storage(format!(
                    "round {round_id}: a stored submission has {} components of {width}",
                    cts.len()
                )));
            }
            let cell = cells.entry(entry.cell.clone()).or_insert_with(|| CellSums {
                n: 0,
                sums: vec![Ciphertext::zero(); width],
            });
            cell.n += 1;
            for (sum, c) in cell.sums.iter_mut().zip(cts) {
                *sum += c;
            }
            for c in Cohort::of(&s.attributes) {
                *cohorts.entry(c.to_string()).or_default() += 1;
            }
            signatures.push(sovbench_core::sha256(&msg.signature).to_vec());
        }
        signatures.sort();
        let counts: BTreeMap<String, u32> = cells.iter().map(|(k, v)| (k.clone(), v.n)).collect();
        let announced = grid::announce(&l.round, &counts)
            .map_err(|e| AggError::Storage(format!("round {round_id}: {e}")))?;
        let sums = sums_of(&cells, width, &announced);
        let head = entries
            .last()
            .map_or(sovbench_secure::bulletin::GENESIS, |(e, _)| e.chain);
        let st = StoredAnnouncement {
            announced_at: self.now(),
            sums: sums.iter().map(ciphertext_to_bytes).collect(),
            cohorts: cohorts.into_iter().collect(),
            signatures,
        };
        let msg = self
            .identity
            .seal(pb::payload::Body::Announcement(pb::Announcement {
                round_id: round_id.to_string(),
                round_params_hash: l.params_hash.to_vec(),
                bulletin_entries: entries.len() as u64,
                bulletin_head: head.to_vec(),
                cells: announced,
                phase: pb::AnnouncementPhase::Noise as i32,
                noise: Vec::new(),
                noise_announcement_sha256: Vec::new(),
            }));
        // The state first: a stored NOISE announcement always has its sums.
        self.store.put_secure_json(round_id, "state", &st)?;
        self.store
            .put_secure_record(round_id, "noise", &msg.encode_to_vec())?;
        tracing::info!(round = %round_id, entries = entries.len(), "secure round announced (noise phase)");
        Ok(())
    }

    /// Fixes the noise set if all trustees posted, or if the noise wait has passed and at least
    /// h did; returns whether the DECRYPT announcement is stored.
    fn fix_noise(
        &self,
        round_id: &str,
        l: &LoadedRound,
        st: &StoredAnnouncement,
    ) -> Result<bool, AggError> {
        let posts = self.store.trustee_posts(round_id, NOISE)?;
        let m = l.round.committee.size();
        let waited = self.now() - st.announced_at >= self.noise_wait();
        if !(posts.len() >= m || (waited && posts.len() >= l.round.honest())) {
            return Ok(false);
        }
        let Some((noise_msg, noise)) = stored(&self.store, round_id, "noise")? else {
            return Ok(false);
        };
        let msg = self
            .identity
            .seal(pb::payload::Body::Announcement(pb::Announcement {
                phase: pb::AnnouncementPhase::Decrypt as i32,
                noise: posts.into_iter().map(|(_, bytes)| bytes).collect(),
                noise_announcement_sha256: sovbench_core::sha256(&noise_msg.payload).to_vec(),
                ..noise
            }));
        self.store
            .put_secure_record(round_id, "decrypt", &msg.encode_to_vec())?;
        tracing::info!(round = %round_id, "noise set fixed (decryption phase)");
        Ok(true)
    }

    /// The refusal of publishing a secure round that is not decrypted yet.
    pub fn waiting(&self, round_id: &str) -> AggError {
        match progress(&self.store, round_id) {
            Ok(detail) => AggError::TrusteePhase {
                round: round_id.to_string(),
                detail,
            },
            Err(e) => e,
        }
    }
}
