//! The trustee committee: *m* trustees, threshold *t*, one ElGamal public key whose secret exists
//! only as shares.
//!
//! A [`Committee`] is what node, aggregator and every trustee pin: *t*, *m* and each trustee's
//! public key share, from which the committee key follows. It is rebuilt from the key shares on
//! decoding, so an inconsistent document cannot be loaded.

use elastic_elgamal::sharing::{Params, PublicKeySet};
use serde::{Deserialize, Serialize};

use crate::{Group, PublicKey, SecureError, Trustee};

/// Largest committee supported.
pub const MAX_TRUSTEES: usize = 64;

/// The committee's public key set.
#[derive(Debug, Clone)]
pub struct Committee {
    keys: PublicKeySet<Group>,
}

#[derive(Serialize, Deserialize)]
struct Document {
    threshold: u32,
    shares: Vec<PublicKey>,
}

/// Checked threshold parameters.
pub fn params(t: usize, m: usize) -> Result<Params, SecureError> {
    if t == 0 || t > m || m > MAX_TRUSTEES {
        return Err(SecureError::BadParams { t, m });
    }
    Ok(Params::new(m, t))
}

impl Committee {
    /// The committee of a key set (for example the result of the DKG).
    pub fn new(keys: PublicKeySet<Group>) -> Committee {
        Committee { keys }
    }

    /// Rebuilds a committee from its trustees' public key shares, checking that they belong to
    /// one key.
    pub fn from_shares(t: usize, shares: Vec<PublicKey>) -> Result<Committee, SecureError> {
        let p = params(t, shares.len())?;
        PublicKeySet::from_participants(p, shares)
            .map(|keys| Committee { keys })
            .map_err(|e| SecureError::Committee(e.to_string()))
    }

    /// The committee key nodes encrypt to.
    pub fn key(&self) -> &PublicKey {
        self.keys.shared_key()
    }

    /// Threshold *t*.
    pub fn threshold(&self) -> usize {
        self.keys.params().threshold
    }

    /// Number of trustees *m*.
    pub fn size(&self) -> usize {
        self.keys.params().shares
    }

    /// The key set (for verifying decryption shares).
    pub fn key_set(&self) -> &PublicKeySet<Group> {
        &self.keys
    }

    /// Compact encoding: *t* and the key shares.
    pub fn to_bytes(&self) -> Vec<u8> {
        let doc = Document {
            threshold: self.threshold() as u32,
            shares: self.keys.participant_keys().to_vec(),
        };
        // Encoding plain structs into a vector cannot fail.
        postcard::to_allocvec(&doc).unwrap_or_default()
    }

    /// Decodes and checks an encoding made by [`Committee::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Committee, SecureError> {
        let doc: Document = postcard::from_bytes(bytes)
            .map_err(|e| SecureError::Committee(format!("does not decode: {e}")))?;
        Committee::from_shares(doc.threshold as usize, doc.shares)
    }

    /// SHA-256 of the encoding: what round parameters and node configurations pin.
    pub fn fingerprint(&self) -> [u8; 32] {
        sovbench_core::sha256(&self.to_bytes())
    }
}

/// A committee from a trusted dealer, for tests and benchmarks only: real committees come from
/// the DKG ([`crate::dkg`]), where no party ever holds the whole key.
pub fn deal_for_tests<R: rand::CryptoRng + rand::RngCore>(
    m: usize,
    t: usize,
    rng: &mut R,
) -> Result<(Committee, Vec<Trustee>), SecureError> {
    let p = params(t, m)?;
    let dealer = elastic_elgamal::sharing::Dealer::<Group>::new(p, rng);
    let (poly, proof) = dealer.public_info();
    let keys = PublicKeySet::new(p, poly, proof).map_err(|e| SecureError::Dkg(e.to_string()))?;
    let trustees = (0..m)
        .map(|i| {
            Trustee::new(keys.clone(), i, dealer.secret_share_for_participant(i))
                .map_err(|e| SecureError::Dkg(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Committee::new(keys), trustees))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_round_trips_and_inconsistent_shares_are_refused() {
        let mut rng = rand::rngs::OsRng;
        let (c, _) = deal_for_tests(5, 3, &mut rng).expect("committee");
        let back = Committee::from_bytes(&c.to_bytes()).expect("decodes");
        assert_eq!(back.key(), c.key());
        assert_eq!((back.threshold(), back.size()), (3, 5));
        assert_eq!(back.fingerprint(), c.fingerprint());
        // Swap two key shares: they no longer lie on one polynomial of degree t − 1.
        let mut shares = c.key_set().participant_keys().to_vec();
        shares.swap(3, 4);
        assert!(Committee::from_shares(3, shares).is_err());
        assert!(params(0, 5).is_err());
        assert!(params(6, 5).is_err());
        assert!(Committee::from_bytes(b"garbage").is_err());
    }
}
