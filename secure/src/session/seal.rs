//! Sealing of a DKG secret share to the recipient's transport key: an ephemeral Ristretto255
//! Diffie–Hellman, the 32-byte scalar encoding XOR SHA-256("sovbench dkg share" ‖ ceremony ‖
//! from (u32 BE) ‖ to (u32 BE) ‖ ephemeral ‖ DH point).
//!
//! The seal gives confidentiality only; integrity comes from the sender's Ed25519 signature over
//! the whole message and from the recipient's check of the share against the sender's public
//! polynomial.

use elastic_elgamal::group::{ElementOps, Group as _, ScalarOps};
use elastic_elgamal::SecretKey;
use sovbench_core::pb;

use crate::{Group, SecureError};

type Element = <Group as ElementOps>::Element;

/// A fresh transport key pair: the secret and the 32-byte public point.
pub fn transport_keypair<R: rand::CryptoRng + rand::RngCore>(
    rng: &mut R,
) -> (SecretKey<Group>, Vec<u8>) {
    let secret = SecretKey::<Group>::generate(rng);
    let public = element_bytes(&Group::mul_generator(secret.expose_scalar()));
    (secret, public)
}

fn element_bytes(e: &Element) -> Vec<u8> {
    let mut out = vec![0u8; <Group as ElementOps>::ELEMENT_SIZE];
    Group::serialize_element(e, &mut out);
    out
}

/// Decodes a transport key or an ephemeral point (32 bytes, a valid non-identity point).
pub fn point(bytes: &[u8]) -> Option<Element> {
    if bytes.len() != <Group as ElementOps>::ELEMENT_SIZE {
        return None;
    }
    Group::deserialize_element(bytes).filter(|e| !Group::is_identity(e))
}

fn pad(ceremony: &str, from: usize, to: usize, ephemeral: &[u8], dh: &Element) -> [u8; 32] {
    let mut buf = Vec::with_capacity(18 + ceremony.len() + 8 + 64);
    buf.extend_from_slice(b"sovbench dkg share");
    buf.extend_from_slice(ceremony.as_bytes());
    buf.extend_from_slice(&(from as u32).to_be_bytes());
    buf.extend_from_slice(&(to as u32).to_be_bytes());
    buf.extend_from_slice(ephemeral);
    buf.extend_from_slice(&element_bytes(dh));
    sovbench_core::sha256(&buf)
}

/// Seals trustee `from`'s secret share for trustee `to` to `to`'s transport key.
pub fn seal<R: rand::CryptoRng + rand::RngCore>(
    ceremony: &str,
    from: usize,
    to: usize,
    transport_key: &[u8],
    share: &SecretKey<Group>,
    rng: &mut R,
) -> Result<pb::SealedShare, SecureError> {
    let recipient = point(transport_key).ok_or_else(|| {
        SecureError::Dkg(format!(
            "trustee {to}: the transport key is not a valid point"
        ))
    })?;
    let e = SecretKey::<Group>::generate(rng);
    let ephemeral = element_bytes(&Group::mul_generator(e.expose_scalar()));
    let dh = recipient * e.expose_scalar();
    let key = pad(ceremony, from, to, &ephemeral, &dh);
    let mut sealed = vec![0u8; <Group as ScalarOps>::SCALAR_SIZE];
    Group::serialize_scalar(share.expose_scalar(), &mut sealed);
    for (s, k) in sealed.iter_mut().zip(key) {
        *s ^= k;
    }
    Ok(pb::SealedShare {
        to: to as u32,
        ephemeral,
        sealed,
    })
}

/// Opens a share sealed by trustee `from` to trustee `to` with `to`'s transport secret. The
/// error names the sender.
pub fn open(
    ceremony: &str,
    from: usize,
    transport_secret: &SecretKey<Group>,
    sealed: &pb::SealedShare,
) -> Result<SecretKey<Group>, SecureError> {
    let bad = |why: &str| SecureError::Dkg(format!("trustee {from}: {why}"));
    let ephemeral = point(&sealed.ephemeral)
        .ok_or_else(|| bad("the sealed share's ephemeral key is invalid"))?;
    if sealed.sealed.len() != <Group as ScalarOps>::SCALAR_SIZE {
        return Err(bad("the sealed share has the wrong length"));
    }
    let dh = ephemeral * transport_secret.expose_scalar();
    let key = pad(ceremony, from, sealed.to as usize, &sealed.ephemeral, &dh);
    let plain: Vec<u8> = sealed.sealed.iter().zip(key).map(|(s, k)| s ^ k).collect();
    SecretKey::<Group>::from_bytes(&plain).ok_or_else(|| bad("the sealed share does not open"))
}
