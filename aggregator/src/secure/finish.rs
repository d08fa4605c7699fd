//! The end of a secure round: combine *t* verified decryption shares per component (looked up
//! in `decryption::table_for`), derive the
//! published cells (`sovbench_secure::publish::cells`) and sign the publication with the
//! bulletin's length and head, the DECRYPT announcement's hash and the SHA-256 of every
//! decryption post's payload it rests on.

use std::collections::BTreeMap;

use prost::Message as _;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::Cohort;
use sovbench_core::pb;
use sovbench_secure::decryption::{self, DecryptionShare};
use sovbench_secure::publish::{self, Decrypted};

use super::announce::{self, DECRYPT};
use super::trustees::final_ciphertexts;
use super::{LoadedRound, SecureDesk};
use crate::error::AggError;
use crate::model::StoredAnnouncement;

/// A stored decryption post: the payload's SHA-256 and the decoded shares.
fn decode_post(bytes: &[u8]) -> Result<([u8; 32], Vec<DecryptionShare>), AggError> {
    let msg = pb::SignedMessage::decode(bytes)?;
    let shares = match pb::Payload::decode(msg.payload.as_slice())?.body {
        Some(pb::payload::Body::DecryptionShares(d)) => d
            .shares
            .iter()
            .map(|s| DecryptionShare::from_bytes(s).map_err(|e| AggError::Storage(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(AggError::Storage("a stored decryption post is none".into())),
    };
    Ok((sovbench_core::sha256(&msg.payload), shares))
}

impl SecureDesk {
    /// Decrypts (if there are cells), signs and stores the publication of a secure round.
    pub(crate) fn finish(
        &self,
        round_id: &str,
        l: &LoadedRound,
        st: &StoredAnnouncement,
        noise: &pb::Announcement,
        decrypt: Option<(&pb::SignedMessage, &pb::Announcement)>,
    ) -> Result<pb::SignedMessage, AggError> {
        let committee = &l.round.committee;
        let t = committee.threshold();
        let mut sums = Vec::new();
        let mut used = Vec::new();
        let mut noise_shares = 0;
        let mut announcement_sha256 = Vec::new();
        if let Some((decrypt_msg, decrypt)) = decrypt {
            announcement_sha256 = sovbench_core::sha256(&decrypt_msg.payload).to_vec();
            noise_shares = decrypt.noise.len();
            let finals = final_ciphertexts(&l.round, &announce::sums(st)?, decrypt)?;
            let posts: Vec<([u8; 32], Vec<DecryptionShare>)> = self
                .store
                .trustee_posts(round_id, DECRYPT)?
                .iter()
                .take(t)
                .map(|(_, b)| decode_post(b))
                .collect::<Result<_, _>>()?;
            used = posts.iter().map(|(h, _)| h.to_vec()).collect();
            // One table for every cell: the largest sum plus the largest noise bound.
            let table = decryption::table_for(&l.round, &noise.cells);
            for (j, c) in finals.iter().enumerate() {
                let shares: Vec<DecryptionShare> =
                    posts.iter().map(|(_, s)| s[j].clone()).collect();
                let d = decryption::combine(committee, *c, &shares, &table).map_err(|e| {
                    AggError::Storage(format!("round {round_id}, component {j}: {e}"))
                })?;
                sums.push(d.value);
            }
        }
        let cohorts: BTreeMap<Cohort, u32> = st
            .cohorts
            .iter()
            .filter_map(|(label, n)| label.parse::<Cohort>().ok().map(|c| (c, *n)))
            .collect();
        let cells = publish::cells(
            &l.round,
            &noise.cells,
            &cohorts,
            &Decrypted { sums, noise_shares },
            Catalogue::shared(),
        );
        let publication = pb::Publication {
            round_id: round_id.to_string(),
            round_params_hash: l.params_hash.to_vec(),
            published_at: self.now(),
            contributors: noise.bulletin_entries as u32,
            cells,
            confidence: 0.95,
            min_cohort: l.params.min_cohort,
            submission_signatures_sha256: st.signatures.clone(),
            bulletin_entries: noise.bulletin_entries,
            bulletin_head: noise.bulletin_head.clone(),
            announcement_sha256,
            decryption_shares: used,
        };
        let msg = self
            .identity
            .seal(pb::payload::Body::Publication(publication));
        crate::publication::store_publication(&self.store, &self.acks, round_id, &msg)?;
        tracing::info!(round = %round_id, "secure round published");
        Ok(msg)
    }
}
