//! `CheckEnrolment`: a node asks, with a signed [`pb::EnrolmentQuery`], whether its key is
//! enrolled and not revoked, before it records a release and so before it spends any privacy
//! budget. The answer is a [`pb::EnrolmentStatus`] signed by the aggregator and bound to the query
//! by the query's payload hash.
//!
//! The query passes the same admission as the peer messages: size, then the signature over the
//! exact received bytes ([`crate::admission::open_checked`]), then the replay window (±5 minutes)
//! and the nonce length ([`sovbench_core::peers::check_freshness`]). The nonce of a known key
//! (enrolled or revoked) is claimed in the peer nonce tree, so a captured query cannot be replayed
//! within the window; unknown keys claim nothing (no one can fill the store with queries) and
//! learn only that they are not enrolled.

use sovbench_core::envelope::{fingerprint, Identity};
use sovbench_core::pb;
use sovbench_core::peers as core_peers;

use crate::admission::{open_checked, wrong_kind};
use crate::error::AggError;
use crate::store::Store;

/// Answers a signed `EnrolmentQuery` at time `now` with a signed `EnrolmentStatus`.
pub fn check(
    store: &Store,
    identity: &Identity,
    now: i64,
    msg: &pb::SignedMessage,
) -> Result<pb::SignedMessage, AggError> {
    let verified = open_checked(msg)?;
    let pb::payload::Body::EnrolmentQuery(q) = &verified.body else {
        return Err(wrong_kind("enrolment query", &verified.body));
    };
    core_peers::check_freshness(q.issued_at, &q.nonce, now)?;
    let enrolment = store.enrolment(&verified.signer)?;
    if enrolment.is_some() && !store.claim_nonce(&verified.signer, &q.nonce, q.issued_at)? {
        return Err(AggError::Replay(fingerprint(&verified.signer)));
    }
    let mut status = pb::EnrolmentStatus {
        checked_at: now,
        query_hash: verified.payload_hash.to_vec(),
        ..Default::default()
    };
    if let Some(e) = enrolment {
        status.enrolled = e.revoked_at.is_none();
        status.revoked = e.revoked_at.is_some();
        status.kind = e.attributes.kind.key().to_string();
        status.state = e.attributes.state.clone();
        status.size_class = e.attributes.size.key().to_string();
    }
    Ok(identity.seal(pb::payload::Body::EnrolmentStatus(status)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Enrolment;
    use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
    use sovbench_core::envelope;

    const NOW: i64 = 1_800_000_000;

    fn query(id: &Identity, issued_at: i64, nonce: u8) -> pb::SignedMessage {
        id.seal(pb::payload::Body::EnrolmentQuery(pb::EnrolmentQuery {
            issued_at,
            nonce: vec![nonce; core_peers::NONCE_LEN],
        }))
    }

    fn status(agg: &Identity, answer: &pb::SignedMessage) -> pb::EnrolmentStatus {
        let v = envelope::open_from(answer, agg.public_key()).expect("signed by the aggregator");
        match v.body {
            pb::payload::Body::EnrolmentStatus(s) => s,
            other => panic!("{}", envelope::kind_name(&other)),
        }
    }

    #[test]
    fn unknown_enrolled_and_revoked_keys_get_their_status_and_replays_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let (agg, _) = Identity::generate().expect("identity");
        let (node, _) = Identity::generate().expect("identity");

        // Unknown: not enrolled, no attributes, bound to the query.
        let q = query(&node, NOW, 1);
        let s = status(&agg, &check(&store, &agg, NOW, &q).expect("answer"));
        assert!(!s.enrolled && !s.revoked && s.kind.is_empty());
        assert_eq!(s.query_hash, sovbench_core::sha256(&q.payload).to_vec());
        // An unknown key claims no nonce: asking again with the same query is answered.
        assert!(check(&store, &agg, NOW, &q).is_ok());

        let mut e = Enrolment {
            public_key: envelope::b64(node.public_key()),
            fingerprint: fingerprint(node.public_key()),
            name: "Gemeinde A".into(),
            attributes: CohortAttributes {
                kind: Kind::Gemeinde,
                state: "DE-SH".into(),
                size: SizeClass::Pop5kTo20k,
            },
            size: 12_400,
            enrolled_at: NOW - 10,
            revoked_at: None,
        };
        store.put_enrolment(node.public_key(), &e).expect("enrol");
        let q = query(&node, NOW, 2);
        let s = status(&agg, &check(&store, &agg, NOW, &q).expect("answer"));
        assert!(s.enrolled && !s.revoked);
        assert_eq!(
            (s.kind.as_str(), s.state.as_str(), s.size_class.as_str()),
            ("gemeinde", "DE-SH", SizeClass::Pop5kTo20k.key())
        );
        assert_eq!(s.checked_at, NOW);
        assert!(matches!(
            check(&store, &agg, NOW, &q),
            Err(AggError::Replay(_))
        ));

        e.revoked_at = Some(NOW - 1);
        store.put_enrolment(node.public_key(), &e).expect("revoke");
        let s = status(
            &agg,
            &check(&store, &agg, NOW, &query(&node, NOW, 3)).unwrap(),
        );
        assert!(!s.enrolled && s.revoked);
    }

    #[test]
    fn stale_forged_and_other_messages_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let (agg, _) = Identity::generate().expect("identity");
        let (node, _) = Identity::generate().expect("identity");
        let stale = query(&node, NOW - core_peers::FRESHNESS_SECS - 1, 1);
        assert!(matches!(
            check(&store, &agg, NOW, &stale),
            Err(AggError::Peer(_))
        ));
        let mut forged = query(&node, NOW, 1);
        forged.payload.push(0);
        assert!(matches!(
            check(&store, &agg, NOW, &forged),
            Err(AggError::Envelope(_))
        ));
        let other = node.seal(pb::payload::Body::PeerRequestsQuery(
            pb::PeerRequestsQuery::default(),
        ));
        assert!(matches!(
            check(&store, &agg, NOW, &other),
            Err(AggError::WrongKind { .. })
        ));
    }
}
