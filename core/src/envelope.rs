//! Signed envelopes: every message that carries authority is a [`pb::SignedMessage`] whose
//! `payload` is the exact encoding of a [`pb::Payload`], signed with Ed25519.
//!
//! [`open`] verifies the signature over the exact received bytes and only then decodes them;
//! nothing that fails verification is ever parsed.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use prost::Message as _;
use ring::rand::SystemRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};

use crate::pb;

/// Length of a raw Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// Errors of signing, verifying and key handling.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// The signature does not verify under the claimed key.
    #[error("signature does not verify for signer {0}")]
    BadSignature(String),
    /// The signer field is not a 32-byte Ed25519 key.
    #[error("signer must be a raw 32-byte Ed25519 public key, got {0} bytes")]
    BadSignerLength(usize),
    /// A 32-byte key that is not a usable Ed25519 public key: not a point on the curve, not in
    /// canonical encoding, or of small order (any "signature" would verify under such a key for
    /// many messages).
    #[error("public key {key} is not a valid Ed25519 public key: {reason}")]
    WeakKey {
        /// Fingerprint of the key.
        key: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The payload verified but is not a valid `Payload`.
    #[error("payload is not a valid sovbench message: {0}")]
    Decode(#[from] prost::DecodeError),
    /// The payload is of a protocol version this build does not speak.
    #[error("payload has protocol version {0}, this build speaks version {1}")]
    Version(u32, u32),
    /// The payload is well formed but of another kind than expected.
    #[error("expected a {expected} message, got {got}")]
    WrongKind {
        /// What the caller expected.
        expected: &'static str,
        /// What the payload holds.
        got: &'static str,
    },
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file exists already.
    #[error("key file {0} exists already; refusing to overwrite an identity")]
    KeyExists(String),
    /// The key file does not hold an Ed25519 PKCS#8 key.
    #[error("key file {0} does not hold a valid Ed25519 key")]
    KeyInvalid(String),
    /// The system random number generator failed.
    #[error("system random number generator failed")]
    Random,
}

/// An Ed25519 signing identity. `Debug` shows only the fingerprint.
pub struct Identity {
    pair: Ed25519KeyPair,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &fingerprint(self.public_key()))
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Identity {
    /// Generates a new identity and returns it with its PKCS#8 encoding (to be stored).
    pub fn generate() -> Result<(Identity, Vec<u8>), EnvelopeError> {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| EnvelopeError::Random)?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .map_err(|_| EnvelopeError::KeyInvalid("<generated>".into()))?;
        Ok((Identity { pair }, pkcs8.as_ref().to_vec()))
    }

    /// Loads an identity from PKCS#8 bytes.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Identity, EnvelopeError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
            .map_err(|_| EnvelopeError::KeyInvalid("<bytes>".into()))?;
        Ok(Identity { pair })
    }

    /// Creates a new identity in `path` (mode 0600). Refuses to overwrite an existing file.
    pub fn create_file(path: &Path) -> Result<Identity, EnvelopeError> {
        use std::io::Write as _;
        let (id, pkcs8) = Identity::generate()?;
        let key_err = |source| EnvelopeError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut file = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                EnvelopeError::KeyExists(path.display().to_string())
            } else {
                key_err(e)
            }
        })?;
        file.write_all(&pkcs8).map_err(key_err)?;
        file.sync_all().map_err(key_err)?;
        Ok(id)
    }

    /// Loads an identity from `path`.
    pub fn load_file(path: &Path) -> Result<Identity, EnvelopeError> {
        let bytes = std::fs::read(path).map_err(|source| EnvelopeError::KeyFile {
            path: path.display().to_string(),
            source,
        })?;
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(&bytes)
            .map(|pair| Identity { pair })
            .map_err(|_| EnvelopeError::KeyInvalid(path.display().to_string()))
    }

    /// Raw 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// Signs raw bytes.
    pub fn sign_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        self.pair.sign(bytes).as_ref().to_vec()
    }

    /// Encodes `body` into a versioned [`pb::Payload`] and signs the encoded bytes.
    pub fn seal(&self, body: pb::payload::Body) -> pb::SignedMessage {
        let payload = pb::Payload {
            version: sovbench_proto::PROTOCOL_VERSION,
            body: Some(body),
        }
        .encode_to_vec();
        self.seal_bytes(payload)
    }

    /// Signs already encoded payload bytes (used to re-send exactly the same bytes).
    pub fn seal_bytes(&self, payload: Vec<u8>) -> pb::SignedMessage {
        let signature = self.sign_bytes(&payload);
        pb::SignedMessage {
            payload,
            signature,
            signer: self.public_key().to_vec(),
        }
    }
}

/// A message whose signature has been verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Raw public key of the signer.
    pub signer: Vec<u8>,
    /// The decoded payload body.
    pub body: pb::payload::Body,
    /// SHA-256 of the exact payload bytes.
    pub payload_hash: [u8; 32],
}

/// Verifies `msg.signature` over the exact bytes of `msg.payload` under `msg.signer`, then
/// decodes the payload. Nothing is decoded before the signature has verified.
pub fn open(msg: &pb::SignedMessage) -> Result<Verified, EnvelopeError> {
    verify_bytes(&msg.signer, &msg.payload, &msg.signature)?;
    let payload = pb::Payload::decode(msg.payload.as_slice())?;
    if payload.version != sovbench_proto::PROTOCOL_VERSION {
        return Err(EnvelopeError::Version(
            payload.version,
            sovbench_proto::PROTOCOL_VERSION,
        ));
    }
    let body = payload.body.ok_or(EnvelopeError::WrongKind {
        expected: "non-empty",
        got: "empty",
    })?;
    Ok(Verified {
        signer: msg.signer.clone(),
        body,
        payload_hash: crate::sha256(&msg.payload),
    })
}

/// Like [`open`], but also requires the signer to be `expected_signer`.
pub fn open_from(
    msg: &pb::SignedMessage,
    expected_signer: &[u8],
) -> Result<Verified, EnvelopeError> {
    if msg.signer != expected_signer {
        return Err(EnvelopeError::BadSignature(fingerprint(&msg.signer)));
    }
    open(msg)
}

/// Checks that `key` is a raw Ed25519 public key fit to be trusted: 32 bytes that decode to a
/// point on the curve, in canonical encoding (the point re-encodes to the same bytes), and not of
/// small order. Small-order keys (the 8 points of the torsion subgroup) let a trivial signature
/// verify for many messages; non-canonical encodings give one key several spellings. Keys made
/// by `init` (ring) always pass; an operator-supplied key (enrolment, `--aggregator-key`) must be
/// checked with this before it is stored.
pub fn check_public_key(key: &[u8]) -> Result<(), EnvelopeError> {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    let bytes: [u8; PUBLIC_KEY_LEN] = key
        .try_into()
        .map_err(|_| EnvelopeError::BadSignerLength(key.len()))?;
    let weak = |reason| EnvelopeError::WeakKey {
        key: fingerprint(key),
        reason,
    };
    let point = CompressedEdwardsY(bytes)
        .decompress()
        .ok_or_else(|| weak("not a point on the curve"))?;
    if point.compress().to_bytes() != bytes {
        return Err(weak("not in canonical encoding"));
    }
    if point.is_small_order() {
        return Err(weak("a point of small order"));
    }
    Ok(())
}

/// Verifies an Ed25519 signature over `bytes`. The signer key must pass [`check_public_key`].
pub fn verify_bytes(signer: &[u8], bytes: &[u8], sig: &[u8]) -> Result<(), EnvelopeError> {
    if signer.len() != PUBLIC_KEY_LEN {
        return Err(EnvelopeError::BadSignerLength(signer.len()));
    }
    check_public_key(signer)?;
    UnparsedPublicKey::new(&signature::ED25519, signer)
        .verify(bytes, sig)
        .map_err(|_| EnvelopeError::BadSignature(fingerprint(signer)))
}

/// Name of a payload body's kind, for messages.
pub fn kind_name(body: &pb::payload::Body) -> &'static str {
    match body {
        pb::payload::Body::Round(_) => "round",
        pb::payload::Body::Submission(_) => "submission",
        pb::payload::Body::Receipt(_) => "receipt",
        pb::payload::Body::Publication(_) => "publication",
        pb::payload::Body::PeerOffer(_) => "peer offer",
        pb::payload::Body::PeerWithdraw(_) => "peer withdrawal",
        pb::payload::Body::PeerMatchesQuery(_) => "peer matches query",
        pb::payload::Body::PeerContact(_) => "peer contact request",
        pb::payload::Body::PeerRequestsQuery(_) => "peer requests query",
        pb::payload::Body::PeerAnswer(_) => "peer answer",
        pb::payload::Body::PeerCard(_) => "peer card",
        pb::payload::Body::PeerAck(_) => "peer acknowledgement",
        pb::payload::Body::PeerMatches(_) => "peer matches",
        pb::payload::Body::PeerRequests(_) => "peer requests",
        pb::payload::Body::DkgMessage(_) => "key generation message",
        pb::payload::Body::TrusteeQuery(_) => "trustee query",
        pb::payload::Body::NoiseShares(_) => "noise shares",
        pb::payload::Body::DecryptionShares(_) => "decryption shares",
        pb::payload::Body::DkgBoard(_) => "key generation board",
        pb::payload::Body::BulletinPage(_) => "bulletin page",
        pb::payload::Body::Announcement(_) => "announcement",
        pb::payload::Body::TrusteeAck(_) => "trustee acknowledgement",
        pb::payload::Body::AdminRequest(_) => "operator request",
        pb::payload::Body::AdminReply(_) => "operator reply",
        pb::payload::Body::EnrolmentQuery(_) => "enrolment query",
        pb::payload::Body::EnrolmentStatus(_) => "enrolment status",
        pb::payload::Body::PublicationList(_) => "publication list",
    }
}

/// `n` bytes from the system random generator.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, EnvelopeError> {
    use ring::rand::SecureRandom as _;
    let mut b = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| EnvelopeError::Random)?;
    Ok(b)
}

/// Fingerprint of a public key: the first 16 bytes of its SHA-256, hex, in groups of four.
pub fn fingerprint(public_key: &[u8]) -> String {
    let digest = crate::sha256(public_key);
    let hex = hex::encode(&digest[..16]);
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// Standard base64 (with padding), as used in exports and on the command line.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64.
pub fn unb64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(text.trim())
}

mod text;

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> pb::payload::Body {
        pb::payload::Body::Receipt(pb::Receipt {
            round_id: "r1".into(),
            submission_hash: vec![1; 32],
            node_key: vec![2; 32],
            stored_at: 7,
            ..Default::default()
        })
    }

    #[test]
    fn seal_then_open_round_trips() {
        let (id, _) = Identity::generate().unwrap();
        let msg = id.seal(receipt());
        let v = open(&msg).unwrap();
        assert_eq!(v.signer, id.public_key());
        assert_eq!(v.body, receipt());
    }

    #[test]
    fn any_flipped_payload_bit_is_refused() {
        let (id, _) = Identity::generate().unwrap();
        let msg = id.seal(receipt());
        for i in 0..msg.payload.len() * 8 {
            let mut m = msg.clone();
            m.payload[i / 8] ^= 1 << (i % 8);
            assert!(
                matches!(open(&m), Err(EnvelopeError::BadSignature(_))),
                "bit {i}"
            );
        }
    }

    #[test]
    fn wrong_signer_and_bad_key_length_are_refused() {
        let (a, _) = Identity::generate().unwrap();
        let (b, _) = Identity::generate().unwrap();
        let mut msg = a.seal(receipt());
        msg.signer = b.public_key().to_vec();
        assert!(matches!(open(&msg), Err(EnvelopeError::BadSignature(_))));
        msg.signer = vec![0; 5];
        assert!(matches!(open(&msg), Err(EnvelopeError::BadSignerLength(5))));
        let good = a.seal(receipt());
        assert!(open_from(&good, b.public_key()).is_err());
        assert!(open_from(&good, a.public_key()).is_ok());
    }

    #[test]
    fn garbage_that_is_validly_signed_fails_to_decode_not_to_verify() {
        let (id, _) = Identity::generate().unwrap();
        let msg = id.seal_bytes(vec![0xff, 0xff, 0xff]);
        assert!(matches!(open(&msg), Err(EnvelopeError::Decode(_))));
    }

    #[test]
    fn key_file_is_private_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("sovbench-key-{}", crate::now_unix()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("k{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let id = Identity::create_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            Identity::create_file(&path),
            Err(EnvelopeError::KeyExists(_))
        ));
        let again = Identity::load_file(&path).unwrap();
        assert_eq!(id.public_key(), again.public_key());
        assert!(!format!("{id:?}").contains("pair"));
        std::fs::remove_file(&path).unwrap();
    }

    /// The eight points of small order in canonical encoding (the 8-torsion subgroup: the
    /// identity, the point of order 2, two of order 4, four of order 8), as listed in the
    /// literature on Ed25519 validation criteria.
    const SMALL_ORDER: [&str; 8] = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ];

    #[test]
    fn small_order_and_non_canonical_keys_are_refused() {
        for (i, p) in SMALL_ORDER.iter().enumerate() {
            let key = hex::decode(p).unwrap();
            assert!(
                matches!(check_public_key(&key), Err(EnvelopeError::WeakKey { .. })),
                "small-order point {i}"
            );
        }
        // The identity (y = 1) with the all-zero signature: R = identity, s = 0 satisfies
        // [s]B = R + [k]A for every message, so ring accepts it; the envelope must not.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut sig = vec![0u8; 64];
        sig[0] = 1;
        assert!(matches!(
            verify_bytes(&identity, b"anything at all", &sig),
            Err(EnvelopeError::WeakKey { .. })
        ));
        let (id, _) = Identity::generate().unwrap();
        assert!(check_public_key(id.public_key()).is_ok());
        // y = p + 1 (p = 2^255 - 19) spells the identity non-canonically, and the identity with
        // the sign bit of x = 0 set ("negative zero") is non-canonical as well.
        let mut p_plus_1 = [0xffu8; 32];
        p_plus_1[0] = 0xee; // p = 2^255 - 19 = 0x7fff…ffed; p + 1 = …ffee
        p_plus_1[31] = 0x7f;
        assert!(check_public_key(&p_plus_1).is_err());
        let mut neg_identity = identity;
        neg_identity[31] |= 0x80;
        assert!(matches!(
            check_public_key(&neg_identity),
            Err(EnvelopeError::WeakKey {
                reason: "not in canonical encoding",
                ..
            })
        ));
        // A non-canonical encoding of a point of large order: a canonical y below 19 whose
        // point is not small order, re-spelt as y + p.
        let noncanonical = (2u8..19)
            .filter_map(|y| {
                let mut canon = [0u8; 32];
                canon[0] = y;
                let pt = curve25519_dalek::edwards::CompressedEdwardsY(canon).decompress()?;
                if pt.is_small_order() {
                    return None;
                }
                // y + p = y + 2^255 - 19: low byte y - 19 + 256 with a borrow through the middle.
                let mut alt = [0xffu8; 32];
                alt[0] = y.wrapping_sub(19);
                alt[31] = 0x7f;
                Some((canon, alt))
            })
            .next()
            .expect("some small y is on the curve");
        assert!(check_public_key(&noncanonical.0).is_ok());
        assert!(matches!(
            check_public_key(&noncanonical.1),
            Err(EnvelopeError::WeakKey {
                reason: "not in canonical encoding",
                ..
            })
        ));
        assert!(matches!(
            check_public_key(&[1u8; 31]),
            Err(EnvelopeError::BadSignerLength(31))
        ));
    }

    #[test]
    fn fingerprint_is_stable_and_grouped() {
        let fp = fingerprint(&[0u8; 32]);
        assert_eq!(fp.len(), 32 + 7);
        assert_eq!(fp, fingerprint(&[0u8; 32]));
    }
}
