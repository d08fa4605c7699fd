//! The trustees' RPCs: `GetBulletin` (committee trustees and enrolled nodes), `GetAnnouncement`,
//! `PostNoise` and `PostDecryption` (the trustee at the message's index only). Every message's
//! signature is verified over the exact bytes first; queries must be fresh with an unseen nonce;
//! posts are stored durably before the signed [`pb::TrusteeAck`], and a second, different post
//! of the same trustee is refused.

use prost::Message as _;
use sovbench_core::envelope::fingerprint;
use sovbench_core::pb;
use sovbench_secure::decryption::{self, DecryptionShare};
use sovbench_secure::noise::proof::cell_noise;
use sovbench_secure::round::SecureRound;
use sovbench_secure::Ciphertext;

use super::announce::{self, DECRYPT, NOISE};
use super::{LoadedRound, SecureDesk};
use crate::admission::{enrolled, open_checked_trustee, wrong_kind};
use crate::error::AggError;
use crate::model::RoundStatus;

/// The noise ciphertexts of a stored (verified at acceptance) noise post for the announced
/// `cells`, the shift by the share bound removed.
pub fn noise_ciphertexts(
    round: &SecureRound,
    cells: &[pb::AnnouncedCell],
    bytes: &[u8],
) -> Result<Vec<Ciphertext>, AggError> {
    let msg = pb::SignedMessage::decode(bytes)?;
    match pb::Payload::decode(msg.payload.as_slice())?.body {
        Some(pb::payload::Body::NoiseShares(n)) => {
            cell_noise(round, cells, &n, false).map_err(|e| AggError::Storage(e.to_string()))
        }
        _ => Err(AggError::Storage("a stored noise post is no noise".into())),
    }
}

/// The ciphertexts the trustees decrypt: announced sums plus every included noise post.
pub fn final_ciphertexts(
    round: &SecureRound,
    sums: &[Ciphertext],
    decrypt: &pb::Announcement,
) -> Result<Vec<Ciphertext>, AggError> {
    let mut out = sums.to_vec();
    for post in &decrypt.noise {
        for (o, n) in out
            .iter_mut()
            .zip(noise_ciphertexts(round, &decrypt.cells, post)?)
        {
            *o += n;
        }
    }
    Ok(out)
}

/// Most refused rounds a trustee may name in one announcement query.
pub const MAX_SKIPPED: usize = 256;

impl SecureDesk {
    fn trustee_index(
        &self,
        l: &LoadedRound,
        signer: &[u8],
        index: Option<u32>,
    ) -> Result<u32, AggError> {
        let keys = &l.round.trustee_keys;
        let found = match index {
            Some(i) => keys
                .get(i as usize)
                .filter(|k| k.as_slice() == signer)
                .map(|_| i),
            None => keys.iter().position(|k| k == signer).map(|i| i as u32),
        };
        found.ok_or_else(|| AggError::NotTrustee {
            key: fingerprint(signer),
            role: match index {
                Some(i) => format!("trustee {i} of round {}", l.params.round_id),
                None => format!("a trustee of round {}", l.params.round_id),
            },
        })
    }

    /// `GetBulletin`: a signed page of a secure round's bulletin.
    pub fn get_bulletin(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (signer, q) = self.admit_query(msg)?;
        let Some(pb::trustee_query::Query::Bulletin(req)) = q.query else {
            return Err(AggError::BadTrusteeMessage(
                "GetBulletin needs a bulletin request".into(),
            ));
        };
        let l = self.load(&req.round_id)?;
        if self.trustee_index(&l, &signer, None).is_err() {
            enrolled(&self.store, &signer)?;
        }
        let page = self
            .bulletins
            .page(&self.store, &req.round_id, req.from, req.limit)?;
        Ok(self.identity.seal(pb::payload::Body::BulletinPage(page)))
    }

    /// `GetAnnouncement`: the current announcement of a round (empty id: the oldest secure round
    /// not yet published that has one).
    pub fn get_announcement(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let (signer, q) = self.admit_query(msg)?;
        let Some(pb::trustee_query::Query::AnnouncementRound(id)) = q.query else {
            return Err(AggError::BadTrusteeMessage(
                "GetAnnouncement needs an announcement query".into(),
            ));
        };
        let id = if id.is_empty() {
            if q.skip_rounds.len() > MAX_SKIPPED || q.skip_rounds.iter().any(|r| r.len() > 128) {
                return Err(AggError::BadTrusteeMessage(format!(
                    "at most {MAX_SKIPPED} refused rounds of at most 128 bytes each"
                )));
            }
            self.oldest_waiting(&signer, &q.skip_rounds)?
                .ok_or_else(|| {
                    AggError::NoAnnouncement("yet: no secure round waits for trustees".into())
                })?
        } else {
            id
        };
        let l = self.load(&id)?;
        self.trustee_index(&l, &signer, None)?;
        let current = match announce::stored(&self.store, &id, "decrypt")? {
            Some(d) => Some(d),
            None => announce::stored(&self.store, &id, "noise")?,
        };
        current
            .map(|(m, _)| m)
            .ok_or_else(|| AggError::NoAnnouncement(format!("for round {id}")))
    }

    /// The oldest closed, unpublished (and not abandoned) secure round with an announcement
    /// whose committee has `signer` as a trustee, leaving out the rounds in `skip` (those the
    /// asking trustee refused): neither another committee's round nor a refused one blocks it.
    fn oldest_waiting(&self, signer: &[u8], skip: &[String]) -> Result<Option<String>, AggError> {
        let mut waiting = Vec::new();
        for (id, st) in self.store.round_states()? {
            if st.status == RoundStatus::Closed
                && !skip.contains(&id)
                && super::is_secure(&self.store, &id)?
                && self.store.secure_record(&id, "noise")?.is_some()
                && self.trustee_index(&self.load(&id)?, signer, None).is_ok()
            {
                waiting.push((st.closed_at.unwrap_or(0), id));
            }
        }
        waiting.sort();
        Ok(waiting.into_iter().next().map(|(_, id)| id))
    }

    /// Stores a trustee post durably; a repetition with identical bytes is acknowledged again.
    fn store_post(
        &self,
        round_id: &str,
        kind: u8,
        trustee: u32,
        msg: &pb::SignedMessage,
    ) -> Result<pb::SignedMessage, AggError> {
        let bytes = msg.encode_to_vec();
        if let Some(earlier) = self
            .store
            .put_trustee_post(round_id, kind, trustee, &bytes)?
        {
            if earlier != bytes {
                return Err(AggError::TrusteeConflict(format!(
                    "trustee {trustee} posted its {} shares of round {round_id} before",
                    if kind == NOISE { "noise" } else { "decryption" }
                )));
            }
        }
        let ack = self.ack(&msg.payload);
        if let Err(e) = self.advance(round_id) {
            tracing::error!(round = %round_id, error = %e, "advancing the secure round");
        }
        Ok(ack)
    }

    /// `PostNoise`: a trustee's encrypted noise for every component of every announced cell.
    pub fn post_noise(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let verified = open_checked_trustee(msg)?;
        let n = match verified.body {
            pb::payload::Body::NoiseShares(n) => n,
            other => return Err(wrong_kind("noise shares", &other)),
        };
        let l = self.load(&n.round_id)?;
        let trustee = self.trustee_index(&l, &verified.signer, Some(n.trustee))?;
        let (noise_msg, noise) = announce::stored(&self.store, &n.round_id, "noise")?
            .ok_or_else(|| AggError::NoAnnouncement(format!("for round {}", n.round_id)))?;
        if n.announcement_sha256 != sovbench_core::sha256(&noise_msg.payload) {
            return Err(AggError::BadTrusteeMessage(format!(
                "trustee {trustee}: the noise shares name another announcement than round {}'s",
                n.round_id
            )));
        }
        if self.store.secure_record(&n.round_id, "decrypt")?.is_some() {
            let earlier = self.store.trustee_posts(&n.round_id, NOISE)?;
            if earlier
                .iter()
                .any(|(i, b)| *i == trustee && *b == msg.encode_to_vec())
            {
                return Ok(self.ack(&msg.payload));
            }
            return Err(AggError::TrusteePhase {
                round: n.round_id,
                detail: "the noise set is fixed already; post decryption shares".into(),
            });
        }
        // Length, decoding and every share's range proof (|share| ≤ B).
        cell_noise(&l.round, &noise.cells, &n, true)
            .map_err(|e| AggError::BadTrusteeMessage(format!("trustee {trustee}: {e}")))?;
        self.store_post(&n.round_id, NOISE, trustee, msg)
    }

    /// `PostDecryption`: a trustee's verifiable decryption shares; every share is checked.
    pub fn post_decryption(&self, msg: &pb::SignedMessage) -> Result<pb::SignedMessage, AggError> {
        let verified = open_checked_trustee(msg)?;
        let d = match verified.body {
            pb::payload::Body::DecryptionShares(d) => d,
            other => return Err(wrong_kind("decryption shares", &other)),
        };
        let l = self.load(&d.round_id)?;
        let trustee = self.trustee_index(&l, &verified.signer, Some(d.trustee))?;
        let (decrypt_msg, decrypt) = announce::stored(&self.store, &d.round_id, "decrypt")?
            .ok_or_else(|| AggError::TrusteePhase {
                round: d.round_id.clone(),
                detail: "the noise set is not fixed yet; no decryption before".into(),
            })?;
        if d.announcement_sha256 != sovbench_core::sha256(&decrypt_msg.payload) {
            return Err(AggError::BadTrusteeMessage(format!(
                "trustee {trustee}: the decryption shares name another announcement than round {}'s",
                d.round_id
            )));
        }
        let st = announce::state(&self.store, &d.round_id)?
            .ok_or_else(|| AggError::Storage(format!("round {}: no sums", d.round_id)))?;
        let finals = final_ciphertexts(&l.round, &announce::sums(&st)?, &decrypt)?;
        if d.shares.len() != finals.len() {
            return Err(AggError::BadTrusteeMessage(format!(
                "trustee {trustee}: {} decryption shares, the announcement needs {}",
                d.shares.len(),
                finals.len()
            )));
        }
        for (i, (bytes, c)) in d.shares.iter().zip(&finals).enumerate() {
            let ok = DecryptionShare::from_bytes(bytes)
                .map(|s| {
                    s.index == trustee
                        && decryption::verify_share(&l.round.committee, *c, &s).is_ok()
                })
                .unwrap_or(false);
            if !ok {
                tracing::warn!(round = %d.round_id, trustee, component = i, "decryption share refused: it does not verify");
                return Err(AggError::BadTrusteeMessage(format!(
                    "trustee {trustee}: decryption share {i} of round {} does not verify \
                     (tampered, or for another ciphertext)",
                    d.round_id
                )));
            }
        }
        self.store_post(&d.round_id, DECRYPT, trustee, msg)
    }
}
