//! Peer matching with double opt-in: what node and aggregator must agree on.
//!
//! - [`score`]: the documented match score (docs/PEERS.md), computed by the aggregator and
//!   explained on the node.
//! - [`PseudonymKey`]: the per-viewer, per-path pseudonym of a peer.
//! - [`ContactCard`], [`seal_card`] and [`open_card`]: the contact card an administration writes,
//!   sealed end to end (X25519, HKDF-SHA256, ChaCha20-Poly1305) so that the aggregator relays
//!   only ciphertext.
//! - [`fresh_nonce`], [`check_freshness`]: the replay window of peer messages.

use ring::aead;
use ring::hkdf;
use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::cohort::{Kind, SizeClass};
use crate::i18n::Lang;
use crate::pb;
use crate::vocab::{Category, Stage};

/// Messages whose `issued_at` is further than this from the receiver's clock are refused.
pub const FRESHNESS_SECS: i64 = 300;
/// Length of the random nonce of a peer message.
pub const NONCE_LEN: usize = 16;
/// Largest sealed card accepted.
pub const MAX_SEALED_CARD: usize = 4096;
/// Largest text of one card field.
pub const MAX_CARD_FIELD: usize = 300;
/// Points for being on the same catalogue path. Larger than all other parts together, so a peer
/// on the same path always ranks before a peer on a neighbouring path of the same category.
pub const SAME_PATH_POINTS: i32 = 10;

/// What the score needs to know about one offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferProfile<'a> {
    /// Catalogue path id.
    pub path_id: &'a str,
    /// Category of the path.
    pub category: Category,
    /// Stage.
    pub stage: Stage,
    /// Kind of administration.
    pub kind: Kind,
    /// Size class.
    pub size: SizeClass,
}

/// Position of a size class on its own scale (population or staff) and which scale it is on.
fn size_position(s: SizeClass) -> (bool, i32) {
    let i = SizeClass::ALL.iter().position(|c| *c == s).unwrap_or(0) as i32;
    if i < 6 {
        (true, i)
    } else {
        (false, i - 6)
    }
}

/// The match score of `candidate` for `viewer`, with its parts, or `None` when the candidate is
/// not a match at all (another category). Parts (docs/PEERS.md):
///
/// | part | points |
/// |---|---|
/// | same catalogue path | +10 |
/// | same kind of administration | +3 |
/// | same size class / neighbouring size class | +2 / +1 |
/// | later stage (someone to learn from) / same stage (someone to work with) | +2 / +1 |
pub fn score(
    viewer: &OfferProfile<'_>,
    candidate: &OfferProfile<'_>,
) -> Option<(i32, Vec<(pb::ScoreReason, i32)>)> {
    if viewer.category != candidate.category {
        return None;
    }
    let mut parts = Vec::with_capacity(4);
    if viewer.path_id == candidate.path_id {
        parts.push((pb::ScoreReason::SamePath, SAME_PATH_POINTS));
    }
    if viewer.kind == candidate.kind {
        parts.push((pb::ScoreReason::SameKind, 3));
    }
    let (vs, vi) = size_position(viewer.size);
    let (cs, ci) = size_position(candidate.size);
    if viewer.size == candidate.size {
        parts.push((pb::ScoreReason::SameSize, 2));
    } else if vs == cs && (vi - ci).abs() == 1 {
        parts.push((pb::ScoreReason::NeighbouringSize, 1));
    }
    if viewer.stage == candidate.stage {
        parts.push((pb::ScoreReason::SameStage, 1));
    } else if candidate.stage.rank() > viewer.stage.rank() {
        parts.push((pb::ScoreReason::LaterStage, 2));
    }
    Some((parts.iter().map(|p| p.1).sum(), parts))
}

/// An offer's profile reduced to small integers, for scoring many candidates quickly; gives the
/// same points as [`score`] (a test compares them on every combination).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactProfile {
    path: u16,
    category: u16,
    kind: u8,
    scale: bool,
    size: i8,
    stage: u8,
    rank: u8,
}

impl CompactProfile {
    /// The compact form of a profile of a catalogue path with a known stage.
    pub fn new(p: &OfferProfile<'_>) -> Option<CompactProfile> {
        let catalogue = crate::paths::path_catalogue();
        let path = catalogue.iter().position(|i| i.id == p.path_id)?;
        let category = crate::paths::ALTERNATIVES
            .iter()
            .position(|a| a.0 == p.category)?;
        let (scale, size) = size_position(p.size);
        Some(CompactProfile {
            path: path as u16,
            category: category as u16,
            kind: Kind::ALL.iter().position(|k| *k == p.kind)? as u8,
            scale,
            size: size as i8,
            stage: p.stage.index() as u8,
            rank: p.stage.rank(),
        })
    }

    /// The points of `candidate` for this viewer, as [`score`] gives them. Written without
    /// data-dependent branches: the attributes of candidates are random, so branches would be
    /// mispredicted half of the time.
    #[inline]
    pub fn points(&self, candidate: &CompactProfile) -> Option<i32> {
        if self.category != candidate.category {
            return None;
        }
        let same_path = i32::from(self.path == candidate.path);
        let same_kind = i32::from(self.kind == candidate.kind);
        let same_scale = i32::from(self.scale == candidate.scale);
        let d = (self.size - candidate.size).abs();
        let size = same_scale * (2 * i32::from(d == 0) + i32::from(d == 1));
        let same_stage = i32::from(self.stage == candidate.stage);
        let later = i32::from(candidate.rank > self.rank) * (1 - same_stage);
        Some(same_path * SAME_PATH_POINTS + same_kind * 3 + size + same_stage + 2 * later)
    }
}

/// Explanation of a score part.
pub fn reason_text(reason: pb::ScoreReason, lang: Lang) -> &'static str {
    use pb::ScoreReason as R;
    match reason {
        R::SamePath => lang.pick("gleicher Migrationspfad", "same migration path"),
        R::SameKind => lang.pick("gleiche Art der Verwaltung", "same kind of administration"),
        R::SameSize => lang.pick("gleiche Größenklasse", "same size class"),
        R::NeighbouringSize => lang.pick("benachbarte Größenklasse", "neighbouring size class"),
        R::LaterStage => lang.pick(
            "weiter auf dem Pfad (von ihr lernen)",
            "further along (someone to learn from)",
        ),
        R::SameStage => lang.pick(
            "gleiche Phase (zusammenarbeiten)",
            "same stage (someone to work with)",
        ),
        R::Unspecified => "?",
    }
}

/// The aggregator's key for peer pseudonyms.
pub struct PseudonymKey(hmac::Key);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

impl PseudonymKey {
    /// The key from its secret bytes.
    pub fn new(secret: &[u8]) -> PseudonymKey {
        PseudonymKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// Pseudonym of `subject` on `path_id` as `viewer` sees it: the first 80 bits of
    /// HMAC-SHA256(secret, viewer ‖ subject ‖ path), in lower-case base32 (16 characters).
    /// Different per viewer and per path; only the holder of the secret (the aggregator) can
    /// compute or resolve it.
    pub fn pseudonym(&self, viewer: &[u8], subject: &[u8], path_id: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(&(viewer.len() as u32).to_be_bytes());
        ctx.update(viewer);
        ctx.update(&(subject.len() as u32).to_be_bytes());
        ctx.update(subject);
        ctx.update(path_id.as_bytes());
        let tag = ctx.sign();
        base32(&tag.as_ref()[..10])
    }
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Whether `text` looks like a pseudonym (16 characters of the pseudonym alphabet).
pub fn is_pseudonym(text: &str) -> bool {
    text.len() == 16
        && text
            .bytes()
            .all(|b| b"abcdefghijkmnpqrstuvwxyz23456789".contains(&b))
}

/// Errors of the peer primitives.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeerError {
    /// The system random generator failed.
    #[error("random generator failed")]
    Random,
    /// A key has the wrong length or is a low-order point.
    #[error("invalid X25519 key")]
    BadKey,
    /// The card could not be sealed or opened (wrong key, tampered ciphertext).
    #[error("the contact card could not be decrypted (wrong key or altered in transit)")]
    Sealing,
    /// The card is invalid.
    #[error("contact card: {0}")]
    Card(String),
    /// The message is outside the replay window.
    #[error(
        "message issued at {issued_at} is outside the accepted window of ±{window} s around {now}"
    )]
    Stale {
        /// When it claims to be issued.
        issued_at: i64,
        /// The receiver's clock.
        now: i64,
        /// Window.
        window: i64,
    },
    /// The nonce is not 16 bytes.
    #[error("nonce must be {NONCE_LEN} bytes, got {0}")]
    NonceLength(usize),
}

/// A fresh random nonce for a peer message.
pub fn fresh_nonce() -> Result<Vec<u8>, PeerError> {
    let mut n = vec![0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut n)
        .map_err(|_| PeerError::Random)?;
    Ok(n)
}

/// Checks the replay window and the nonce length of a peer message.
pub fn check_freshness(issued_at: i64, nonce: &[u8], now: i64) -> Result<(), PeerError> {
    if nonce.len() != NONCE_LEN {
        return Err(PeerError::NonceLength(nonce.len()));
    }
    if issued_at.abs_diff(now) > FRESHNESS_SECS.unsigned_abs() {
        return Err(PeerError::Stale {
            issued_at,
            now,
            window: FRESHNESS_SECS,
        });
    }
    Ok(())
}

/// The contact card an administration writes for a path. It leaves the node only sealed, and only
/// after both sides have said yes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactCard {
    /// Organisation, e.g. "Stadt Musterstadt, Amt für Digitalisierung".
    #[serde(default)]
    pub organisation: String,
    /// Contact person or function.
    pub name: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// Telephone number.
    #[serde(default)]
    pub phone: String,
    /// Free text, e.g. what the administration would like to share.
    #[serde(default)]
    pub note: String,
}

impl ContactCard {
    /// Checks that the card says who to contact and how, within the length limits.
    pub fn validate(&self) -> Result<(), PeerError> {
        let fields = [
            ("organisation", &self.organisation),
            ("name", &self.name),
            ("email", &self.email),
            ("phone", &self.phone),
            ("note", &self.note),
        ];
        for (name, v) in fields {
            if v.chars().count() > MAX_CARD_FIELD {
                return Err(PeerError::Card(format!(
                    "{name} is longer than {MAX_CARD_FIELD} characters"
                )));
            }
        }
        if self.name.trim().is_empty() {
            return Err(PeerError::Card(
                "a contact name (person or function) is required".into(),
            ));
        }
        if self.email.trim().is_empty() && self.phone.trim().is_empty() {
            return Err(PeerError::Card(
                "an e-mail address or a telephone number is required".into(),
            ));
        }
        if !self.email.trim().is_empty() && !self.email.contains('@') {
            return Err(PeerError::Card(format!(
                "{:?} is not an e-mail address",
                self.email
            )));
        }
        // Version byte, nonce and tag come on top of the JSON text.
        let len = serde_json::to_vec(self)
            .map_err(|e| PeerError::Card(e.to_string()))?
            .len();
        if len + SEAL_OVERHEAD > MAX_SEALED_CARD {
            return Err(PeerError::Card(format!(
                "the card is {len} bytes long; at most {} fit",
                MAX_SEALED_CARD - SEAL_OVERHEAD
            )));
        }
        Ok(())
    }
}

/// An X25519 key pair for one contact request; the secret stays on the node.
pub struct ExchangeKey {
    secret: x25519_dalek::StaticSecret,
}

impl std::fmt::Debug for ExchangeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeKey")
            .field("public", &crate::envelope::b64(&self.public()))
            .finish()
    }
}

impl ExchangeKey {
    /// A fresh key from the system random generator.
    pub fn generate() -> Result<ExchangeKey, PeerError> {
        let mut b = [0u8; 32];
        SystemRandom::new()
            .fill(&mut b)
            .map_err(|_| PeerError::Random)?;
        Ok(ExchangeKey::from_secret(b))
    }

    /// The key with the stored secret bytes.
    pub fn from_secret(bytes: [u8; 32]) -> ExchangeKey {
        ExchangeKey {
            secret: x25519_dalek::StaticSecret::from(bytes),
        }
    }

    /// The secret bytes, for the node's store.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    /// The public key to send.
    pub fn public(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&self.secret).to_bytes()
    }

    fn card_key(
        &self,
        peer: &[u8],
        request_id: &str,
        to_requester: bool,
    ) -> Result<aead::LessSafeKey, PeerError> {
        let peer: [u8; 32] = peer.try_into().map_err(|_| PeerError::BadKey)?;
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(PeerError::BadKey);
        }
        let own = self.public();
        let (a, b) = if own <= peer {
            (own, peer)
        } else {
            (peer, own)
        };
        let direction: &[u8] = if to_requester {
            b"to-requester"
        } else {
            b"to-answerer"
        };
        let info: [&[u8]; 4] = [request_id.as_bytes(), direction, &a, &b];
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"sovbench peer card v1");
        let prk = salt.extract(shared.as_bytes());
        let okm = prk
            .expand(&info, &aead::CHACHA20_POLY1305)
            .map_err(|_| PeerError::Sealing)?;
        Ok(aead::LessSafeKey::new(aead::UnboundKey::from(okm)))
    }
}

const SEAL_VERSION: u8 = 1;
/// Bytes a sealed card adds to the card's JSON text: version, nonce, tag.
pub const SEAL_OVERHEAD: usize = 1 + 12 + 16;

/// Seals `card` from the holder of `own` to the holder of the secret behind `peer_public`, for
/// request `request_id`; `to_requester` says in which direction (each direction has its own
/// key). Layout: version byte, 12-byte random nonce, ChaCha20-Poly1305 ciphertext and tag.
pub fn seal_card(
    own: &ExchangeKey,
    peer_public: &[u8],
    request_id: &str,
    to_requester: bool,
    card: &ContactCard,
) -> Result<Vec<u8>, PeerError> {
    card.validate()?;
    let key = own.card_key(peer_public, request_id, to_requester)?;
    let mut nonce = [0u8; 12];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| PeerError::Random)?;
    let mut buf = serde_json::to_vec(card).map_err(|e| PeerError::Card(e.to_string()))?;
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(request_id.as_bytes()),
        &mut buf,
    )
    .map_err(|_| PeerError::Sealing)?;
    let mut out = Vec::with_capacity(1 + 12 + buf.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&buf);
    Ok(out)
}

/// Opens a card sealed by [`seal_card`] with the other side's key pair.
pub fn open_card(
    own: &ExchangeKey,
    peer_public: &[u8],
    request_id: &str,
    to_requester: bool,
    sealed: &[u8],
) -> Result<ContactCard, PeerError> {
    if sealed.len() < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION || sealed.len() > MAX_SEALED_CARD {
        return Err(PeerError::Sealing);
    }
    let key = own.card_key(peer_public, request_id, to_requester)?;
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&sealed[1..13]);
    let mut buf = sealed[13..].to_vec();
    let plain = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(request_id.as_bytes()),
            &mut buf,
        )
        .map_err(|_| PeerError::Sealing)?;
    let card: ContactCard =
        serde_json::from_slice(plain).map_err(|e| PeerError::Card(e.to_string()))?;
    card.validate()?;
    Ok(card)
}

#[cfg(test)]
mod tests;
