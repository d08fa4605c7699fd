//! Admission: the checks every signed message from a node passes before anything looks at its
//! content, shared by submissions ([`crate::submission`]) and peer messages ([`crate::peers`]).
//!
//! In this order: the size of the received message; the Ed25519 signature over the exact received
//! bytes (only then is the payload decoded); the kind of message; and that the signer is enrolled
//! and not revoked.

use prost::Message as _;
use sovbench_core::envelope::{self, fingerprint, Verified};
use sovbench_core::pb;

use crate::error::AggError;
use crate::model::Enrolment;
use crate::store::Store;

/// Checks the size of a received message, then its signature over the exact bytes, and only
/// then decodes it.
pub fn open_checked(msg: &pb::SignedMessage) -> Result<Verified, AggError> {
    open_within(msg, sovbench_proto::MAX_MESSAGE_BYTES)
}

/// [`open_checked`] for the trustees' messages, whose limit is `MAX_TRUSTEE_MESSAGE_BYTES`
/// (the signer must still be a trustee of the round or ceremony, checked by the caller).
pub fn open_checked_trustee(msg: &pb::SignedMessage) -> Result<Verified, AggError> {
    open_within(msg, sovbench_proto::MAX_TRUSTEE_MESSAGE_BYTES)
}

fn open_within(msg: &pb::SignedMessage, limit: usize) -> Result<Verified, AggError> {
    let size = msg.encoded_len();
    if size > limit {
        return Err(AggError::TooLarge(size, limit));
    }
    Ok(envelope::open(msg)?)
}

/// The enrolment of a signer that is enrolled and not revoked.
pub fn enrolled(store: &Store, key: &[u8]) -> Result<Enrolment, AggError> {
    let e = store
        .enrolment(key)?
        .ok_or_else(|| AggError::UnknownKey(fingerprint(key)))?;
    match e.revoked_at {
        Some(_) => Err(AggError::Revoked(e.fingerprint)),
        None => Ok(e),
    }
}

/// The refusal of a message of another kind than `expected`.
pub fn wrong_kind(expected: &'static str, body: &pb::payload::Body) -> AggError {
    AggError::WrongKind {
        expected,
        got: envelope::kind_name(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
    use sovbench_core::envelope::Identity;

    #[test]
    fn oversized_forged_unknown_and_revoked_messages_are_refused_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let (id, _) = Identity::generate().expect("identity");
        let body = pb::payload::Body::PeerRequestsQuery(pb::PeerRequestsQuery::default());
        let msg = id.seal(body.clone());
        let mut big = msg.clone();
        big.signature = vec![0; sovbench_proto::MAX_MESSAGE_BYTES];
        assert!(matches!(open_checked(&big), Err(AggError::TooLarge(..))));
        let mut forged = msg.clone();
        forged.payload.push(0);
        assert!(matches!(
            open_checked(&forged),
            Err(AggError::Envelope(envelope::EnvelopeError::BadSignature(_)))
        ));
        let verified = open_checked(&msg).expect("valid");
        assert!(matches!(
            enrolled(&store, &verified.signer),
            Err(AggError::UnknownKey(_))
        ));
        let mut e = Enrolment {
            public_key: envelope::b64(id.public_key()),
            fingerprint: fingerprint(id.public_key()),
            name: "A".into(),
            attributes: CohortAttributes {
                kind: Kind::Gemeinde,
                state: "DE-NW".into(),
                size: SizeClass::Pop5kTo20k,
            },
            size: 9_000,
            enrolled_at: 1,
            revoked_at: None,
        };
        store.put_enrolment(id.public_key(), &e).expect("put");
        assert_eq!(enrolled(&store, id.public_key()).expect("enrolled"), e);
        e.revoked_at = Some(2);
        store.put_enrolment(id.public_key(), &e).expect("put");
        assert!(matches!(
            enrolled(&store, id.public_key()),
            Err(AggError::Revoked(_))
        ));
        assert!(matches!(
            wrong_kind("submission", &body),
            AggError::WrongKind {
                expected: "submission",
                ..
            }
        ));
    }
}
