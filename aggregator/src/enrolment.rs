//! Enrolment: which administrations' keys belong to the consortium, with their cohort attributes.
//!
//! Only enrolled, unrevoked keys are admitted ([`crate::admission::enrolled`]). A revocation also
//! removes the node's peer offers and closes its unanswered contact requests, under the peer
//! desk's lock ([`crate::peers::Desk::revoke_with`]).

use sovbench_core::cohort::CohortAttributes;
use sovbench_core::envelope::{self, fingerprint};

use crate::commit::Committer;
use crate::error::AggError;
use crate::model::Enrolment;
use crate::peers::Desk;
use crate::store::Store;

/// One key to enrol: raw public key, name (for the operator only), cohort attributes, population
/// or staff count.
pub type NewEnrolment = (Vec<u8>, String, CohortAttributes, u64);

/// Enrols (or re-enrols, lifting a revocation) one key at `now`.
pub fn enrol(store: &Store, entry: NewEnrolment, now: i64) -> Result<Enrolment, AggError> {
    enrol_many(store, vec![entry], now)?
        .pop()
        .ok_or_else(|| AggError::Storage("enrolment not returned".into()))
}

/// Enrols (or re-enrols, lifting a revocation) many keys with one durable commit, at `now`.
pub fn enrol_many(
    store: &Store,
    entries: Vec<NewEnrolment>,
    now: i64,
) -> Result<Vec<Enrolment>, AggError> {
    let mut out = Vec::with_capacity(entries.len());
    for (key, name, attributes, size) in entries {
        if key.len() != envelope::PUBLIC_KEY_LEN {
            return Err(AggError::BadPublicKey(key.len()));
        }
        // 32 bytes are not enough: a small-order or non-canonical key would let trivial
        // signatures verify (see `envelope::check_public_key`).
        envelope::check_public_key(&key).map_err(AggError::WeakPublicKey)?;
        let e = Enrolment {
            public_key: envelope::b64(&key),
            fingerprint: fingerprint(&key),
            name: name.trim().to_string(),
            attributes,
            size,
            enrolled_at: now,
            revoked_at: None,
        };
        out.push((key, e));
    }
    store.put_enrolments(&out)?;
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

/// Revokes a node's key at `now`: its further submissions are refused, its peer offers vanish
/// from every match list and its unanswered contact requests are closed. The revocation itself
/// goes through the commit worker: every submission it acknowledges, it acknowledges before this
/// returns; every submission it decides afterwards is refused.
pub fn revoke(
    committer: &Committer,
    desk: &Desk,
    public_key: &[u8],
    now: i64,
) -> Result<Enrolment, AggError> {
    desk.revoke_with(public_key, || committer.revoke(public_key, now))
}

/// All enrolments, revoked ones included.
pub fn enrolled(store: &Store) -> Result<Vec<Enrolment>, AggError> {
    store.enrolments()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::cohort::{Kind, SizeClass};
    use sovbench_core::envelope::{EnvelopeError, Identity};

    fn attrs() -> CohortAttributes {
        CohortAttributes {
            kind: Kind::Gemeinde,
            state: "DE-NW".into(),
            size: SizeClass::Pop5kTo20k,
        }
    }

    /// Old behaviour: any 32 bytes were enrolled, e.g. the identity point, under which the
    /// all-zero-but-one signature verifies for every message.
    #[test]
    fn small_order_and_non_canonical_keys_are_not_enrolled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let mut identity = vec![0u8; 32];
        identity[0] = 1;
        let mut negative_zero = identity.clone();
        negative_zero[31] |= 0x80;
        for key in [identity, vec![0u8; 32], negative_zero] {
            let e = enrol(&store, (key, "X".into(), attrs(), 1), 1).expect_err("weak key");
            assert!(
                matches!(e, AggError::WeakPublicKey(EnvelopeError::WeakKey { .. })),
                "{e}"
            );
        }
        assert!(enrolled(&store).expect("list").is_empty());
        let (id, _) = Identity::generate().expect("identity");
        enrol(
            &store,
            (id.public_key().to_vec(), "A".into(), attrs(), 1),
            1,
        )
        .expect("valid key");
    }
}
