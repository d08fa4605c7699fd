//! The trustee's checks, as functions over decoded messages, without a network: the round against
//! its membership ([`check_round`]), the bulletin and the NOISE announcement ([`BulletinCheck`]),
//! the noise draw ([`draw_noise`]) and the DECRYPT announcement ([`check_decrypt`]), which yields
//! the only ciphertexts the trustee ever decrypts. A refusal is a [`Refused`] text that names the
//! entry or cell and the reason.

use prost::Message as _;
use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_secure::bulletin::{self, Tally};
use sovbench_secure::noise;
use sovbench_secure::round::SecureRound;
use sovbench_secure::{grid, Ciphertext, SecureError};

use crate::model::{Membership, RoundRecord};

/// Why the trustee refuses an announcement (which entry or cell, and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(why: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(why.into()))
}

/// Checks signed round parameters (hashing to `params_hash`) against an announcement and this
/// trustee's membership: the announcement names these parameters, the round is in mode secure
/// with valid parameters, its committee is this trustee's committee, and the key at this
/// trustee's index is its own.
pub fn check_round(
    m: &Membership,
    own_key: &[u8],
    params: &pb::RoundParams,
    params_hash: &[u8; 32],
    ann: &pb::Announcement,
) -> Result<SecureRound, Refused> {
    if params.round_id != ann.round_id {
        return refuse(format!(
            "the round parameters are of round {:?}, the announcement of {:?}",
            params.round_id, ann.round_id
        ));
    }
    if ann.round_params_hash.as_slice() != params_hash.as_slice() {
        return refuse("the announcement names other round parameters than the signed ones");
    }
    let round = SecureRound::from_params(params).map_err(|e| Refused(e.to_string()))?;
    if round.committee.fingerprint() != m.fingerprint {
        return refuse(format!(
            "the round's committee {} is not this trustee's committee {}",
            hex::encode(round.committee.fingerprint()),
            hex::encode(m.fingerprint)
        ));
    }
    if round.trustee_keys != m.trustee_keys {
        return refuse("the round lists other trustee keys than the committee");
    }
    if round.trustee_keys.get(m.index as usize).map(Vec::as_slice) != Some(own_key) {
        return refuse(format!(
            "the key at index {} is not this trustee's key",
            m.index
        ));
    }
    Ok(round)
}

/// The trustee's recomputation of a NOISE announcement from the bulletin, page by page.
#[derive(Debug)]
pub struct BulletinCheck<'a> {
    round: &'a SecureRound,
    ann: &'a pb::Announcement,
    tally: Tally,
}

impl<'a> BulletinCheck<'a> {
    /// Starts the check of `ann` (phase NOISE) for `round`.
    pub fn new(round: &'a SecureRound, ann: &'a pb::Announcement) -> BulletinCheck<'a> {
        BulletinCheck {
            round,
            ann,
            tally: Tally::new(&ann.round_params_hash),
        }
    }

    /// The position of the next entry to fetch.
    pub fn next(&self) -> u64 {
        self.tally.len()
    }

    /// Whether every announced entry has been added.
    pub fn complete(&self) -> bool {
        self.tally.len() >= self.ann.bulletin_entries
    }

    /// Adds a page: its round, total and head must be the announcement's, and every entry goes
    /// through the [`Tally`] (signature, kind × size cell, duplicates, copies, proofs, chain).
    pub fn add_page(&mut self, page: &pb::BulletinPage) -> Result<(), Refused> {
        if page.round_id != self.ann.round_id {
            return refuse(format!(
                "a bulletin page of round {:?}",
                sovbench_core::display::echo(&page.round_id)
            ));
        }
        if page.total != self.ann.bulletin_entries || page.head != self.ann.bulletin_head {
            return refuse(format!(
                "a bulletin page signed at {} entries (head {}), the announcement says {} (head {})",
                page.total,
                hex::encode(&page.head),
                self.ann.bulletin_entries,
                hex::encode(&self.ann.bulletin_head)
            ));
        }
        if page.entries.is_empty() && !self.complete() {
            return refuse(format!(
                "the bulletin ends at entry {} of {}",
                self.tally.len(),
                self.ann.bulletin_entries
            ));
        }
        let room = self.ann.bulletin_entries.saturating_sub(self.tally.len());
        if let Some(e) = page
            .entries
            .get(usize::try_from(room).unwrap_or(usize::MAX))
        {
            return refuse(format!(
                "bulletin entry {}: beyond the {} announced entries",
                e.position, self.ann.bulletin_entries
            ));
        }
        // Signatures and proofs are checked on every core; order, chain and duplicates after.
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        self.tally
            .add_all(self.round, &page.entries, threads)
            .map_err(|e| Refused(e.to_string()))
    }

    /// Ends the check: the tally's length and head are the announcement's, and the announced
    /// cells are exactly the partition of the tally's counts, each with at least k
    /// administrations ([`grid::check`]). Returns the tally.
    pub fn finish(self) -> Result<Tally, Refused> {
        if self.tally.len() != self.ann.bulletin_entries
            || self.tally.head().as_slice() != self.ann.bulletin_head.as_slice()
        {
            return refuse(format!(
                "the bulletin recomputes to {} entries (head {}), the announcement says {} (head {})",
                self.tally.len(),
                hex::encode(self.tally.head()),
                self.ann.bulletin_entries,
                hex::encode(&self.ann.bulletin_head)
            ));
        }
        grid::check(self.round, &self.tally.counts(), &self.ann.cells)
            .map_err(|e| Refused(e.to_string()))?;
        Ok(self.tally)
    }
}

/// Draws this trustee's noise for every component of every announced cell (scale of the cell,
/// split over the committee) and encrypts it under the committee key.
pub fn draw_noise<R: rand::CryptoRng + rand::RngCore>(
    round: &SecureRound,
    ann: &pb::Announcement,
    index: u32,
    announcement_sha256: &[u8; 32],
    rng: &mut R,
) -> Result<pb::NoiseShares, SecureError> {
    let (ciphertexts, range_proofs) = noise::proof::draw_cells(round, &ann.cells, rng)?;
    Ok(pb::NoiseShares {
        round_id: ann.round_id.clone(),
        announcement_sha256: announcement_sha256.to_vec(),
        trustee: index,
        ciphertexts,
        range_proofs,
    })
}

/// Checks a DECRYPT announcement (payload hash `ann_sha256`) against the trustee's record of the
/// round and returns the ciphertexts to decrypt, computed by the trustee itself: the announced
/// cells' sums from its own tally plus every included noise share. Refused: a second, different
/// DECRYPT announcement for a round already decrypted; one that does not continue the NOISE
/// announcement the trustee checked (hash, round, bulletin, cells); noise that is not signed by
/// the trustee at its index, is of another round or announcement, of the wrong length, or
/// included twice; this trustee's own noise missing or changed; fewer than h = m − t + 1 noise
/// shares.
pub fn check_decrypt(
    round: &SecureRound,
    record: &RoundRecord,
    index: u32,
    ann: &pb::Announcement,
    ann_sha256: &[u8; 32],
) -> Result<Vec<Ciphertext>, Refused> {
    if let Some(done) = &record.decrypt_announcement_sha256 {
        if done != ann_sha256 {
            return refuse(format!(
                "a second, different DECRYPT announcement {} for round {}: this trustee decrypted \
                 it once, for announcement {}",
                hex::encode(ann_sha256),
                record.round_id,
                hex::encode(done)
            ));
        }
    }
    if ann.noise_announcement_sha256.as_slice() != record.noise_announcement_sha256.as_slice() {
        return refuse(format!(
            "the DECRYPT announcement continues NOISE announcement {}, this trustee checked {}",
            hex::encode(&ann.noise_announcement_sha256),
            hex::encode(record.noise_announcement_sha256)
        ));
    }
    let checked = match pb::Payload::decode(record.noise_announcement.as_slice()) {
        Ok(pb::Payload {
            body: Some(pb::payload::Body::Announcement(a)),
            ..
        }) => a,
        _ => return refuse("the stored NOISE announcement does not decode"),
    };
    if ann.round_id != checked.round_id
        || ann.round_params_hash != checked.round_params_hash
        || ann.bulletin_entries != checked.bulletin_entries
        || ann.bulletin_head != checked.bulletin_head
    {
        return refuse(
            "the DECRYPT announcement names another round or bulletin than the NOISE one",
        );
    }
    if ann.cells != checked.cells {
        return refuse("the DECRYPT announcement's cells are not the checked NOISE cells");
    }
    let own = pb::SignedMessage::decode(record.noise_message.as_slice())
        .map_err(|_| Refused("the stored noise message does not decode".into()))?;
    let width = round.cell_width();
    let expected = ann.cells.len() * width;
    let mut total = bulletin::sums_of(&record.cells, width, &ann.cells);
    let mut seen = vec![false; round.committee.size()];
    let mut own_included = false;
    for (i, bytes) in ann.noise.iter().enumerate() {
        let what = |why: String| Refused(format!("noise share {i} of the announcement: {why}"));
        let msg = pb::SignedMessage::decode(bytes.as_slice())
            .map_err(|_| what("does not decode".into()))?;
        let opened = envelope::open(&msg).map_err(|e| what(e.to_string()))?;
        let ns = match opened.body {
            pb::payload::Body::NoiseShares(ns) => ns,
            other => return Err(what(format!("a {} message", envelope::kind_name(&other)))),
        };
        let t = ns.trustee as usize;
        if round.trustee_keys.get(t) != Some(&msg.signer) {
            return Err(what(format!(
                "signed by {}, not by the trustee at index {t}",
                envelope::fingerprint(&msg.signer)
            )));
        }
        if ns.round_id != ann.round_id
            || ns.announcement_sha256.as_slice() != record.noise_announcement_sha256.as_slice()
        {
            return Err(what("made for another round or announcement".into()));
        }
        if std::mem::replace(&mut seen[t], true) {
            return Err(what(format!("a second noise share of trustee {t}")));
        }
        if ns.trustee == index {
            if msg.payload != own.payload || msg.signature != own.signature {
                return Err(what("this trustee's own noise, changed".into()));
            }
            own_included = true;
        }
        if ns.ciphertexts.len() != expected {
            return Err(what(format!(
                "{} ciphertexts, {expected} expected",
                ns.ciphertexts.len()
            )));
        }
        // Every share's range proof is checked here too: the trustee decrypts only sums whose
        // noise it knows to be bounded.
        let shares = noise::proof::cell_noise(round, &ann.cells, &ns, true)
            .map_err(|e| what(e.to_string()))?;
        for (s, c) in total.iter_mut().zip(shares) {
            *s += c;
        }
    }
    if !own_included {
        return refuse("the DECRYPT announcement does not include this trustee's noise");
    }
    let included = seen.iter().filter(|&&s| s).count();
    if included < round.honest() {
        return refuse(format!(
            "{included} noise shares included, at least h = m − t + 1 = {} needed",
            round.honest()
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
