//! One trustee's side of the distributed key generation when the trustees are apart and the
//! aggregator relays their messages (`DkgPost` / `DkgFetch`, docs/SECURE-AGGREGATION.md).
//!
//! A [`DkgSession`] is persisted by the trustee between polls ([`DkgSession::to_bytes`]); it
//! produces the messages to post in its current step ([`DkgSession::outgoing`], the same bytes on
//! every call, so a repeated post is idempotent) and absorbs the others' messages from the board
//! ([`DkgSession::absorb`]). Secret shares travel sealed to the recipient's transport key
//! ([`seal`] / [`open`]): an ephemeral Ristretto255 Diffie–Hellman, the 32-byte scalar XOR
//! SHA-256("sovbench dkg share" ‖ ceremony ‖ from ‖ to ‖ ephemeral ‖ DH point); the envelope's
//! Ed25519 signature gives integrity and the sender's polynomial lets the recipient check the
//! share.

use serde::{Deserialize, Serialize};
use sovbench_core::pb;

use crate::committee::Committee;
use crate::{SecureError, Trustee};

/// One trustee's state in a DKG ceremony.
#[derive(Debug, Serialize, Deserialize)]
pub struct DkgSession {
    // Implementation detail (helper fills in).
    #[serde(skip)]
    _todo: (),
}

impl DkgSession {
    /// Starts the ceremony `ceremony` as trustee `index` of `size` with threshold `threshold`.
    pub fn new<R: rand::CryptoRng + rand::RngCore>(
        ceremony: &str,
        threshold: usize,
        size: usize,
        index: usize,
        rng: &mut R,
    ) -> Result<DkgSession, SecureError> {
        let _ = (ceremony, threshold, size, index, rng);
        todo!("helper")
    }

    /// This trustee's index.
    pub fn index(&self) -> usize {
        todo!("helper")
    }

    /// The messages to post now (the same on every call in the same step).
    pub fn outgoing(&self) -> Vec<pb::DkgMessage> {
        todo!("helper")
    }

    /// Absorbs messages from the board whose envelope signatures the caller has checked against
    /// the ceremony's key of `from`; returns whether the session moved on a step.
    pub fn absorb(&mut self, messages: &[pb::DkgMessage]) -> Result<bool, SecureError> {
        let _ = messages;
        todo!("helper")
    }

    /// The committee and this trustee's key share, once the ceremony is complete.
    pub fn finished(&self) -> Option<(Committee, Trustee)> {
        todo!("helper")
    }

    /// Encoding for the trustee's store.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SecureError> {
        todo!("helper")
    }

    /// Decodes [`DkgSession::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<DkgSession, SecureError> {
        let _ = bytes;
        todo!("helper")
    }
}
