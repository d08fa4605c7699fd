//! The desk's handlers together, on a real store with a test clock.

use std::sync::Arc;

use super::desk::{Desk, PeerLimits};
use crate::error::AggError;
use crate::model::Enrolment;
use crate::store::Store;
use sovbench_core::clock::TestClock;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_core::peers as core_peers;

const BBB: &str = "path.videokonferenzen.bigbluebutton";

fn enrolment(id: &Identity, attributes: &CohortAttributes) -> Enrolment {
    Enrolment {
        public_key: envelope::b64(id.public_key()),
        fingerprint: envelope::fingerprint(id.public_key()),
        name: "x".into(),
        attributes: attributes.clone(),
        size: 30_000,
        enrolled_at: 0,
        revoked_at: None,
    }
}

/// Withdrawing, offering again and asking again looks the same to the requester whether the
/// target declined or never answered; the target sees only requests it may answer.
#[test]
fn asking_again_after_a_withdrawal_reveals_no_decline() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (_, clock) = TestClock::shared(1_790_000_000);
    let aggregator_key = Arc::new(Identity::generate().unwrap().0);
    let desk = Desk::open(store.clone(), aggregator_key, clock.clone()).unwrap();
    let attrs = CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-NW".into(),
        size: SizeClass::Pop20kTo50k,
    };
    let ids: Vec<Identity> = (0..3).map(|_| Identity::generate().unwrap().0).collect();
    for id in &ids {
        store
            .put_enrolment(id.public_key(), &enrolment(id, &attrs))
            .unwrap();
    }
    let now = clock.now();
    let nonce = || core_peers::fresh_nonce().unwrap();
    let offer = |id: &Identity| {
        desk.offer(&id.seal(pb::payload::Body::PeerOffer(pb::PeerOffer {
            path_id: BBB.into(),
            stage: "pilot".into(),
            issued_at: now,
            nonce: nonce(),
        })))
        .unwrap();
    };
    let withdraw = |id: &Identity| {
        desk.withdraw(&id.seal(pb::payload::Body::PeerWithdraw(pb::PeerWithdraw {
            path_id: BBB.into(),
            issued_at: now,
            nonce: nonce(),
        })))
        .unwrap();
    };
    let ack_id = |m: pb::SignedMessage| match envelope::open(&m).unwrap().body {
        pb::payload::Body::PeerAck(a) => a.request_id,
        _ => panic!("no ack"),
    };
    let ask = |from: &Identity, to: &Identity| {
        let p = desk
            .lock()
            .book
            .pseudonym(from.public_key(), to.public_key(), BBB);
        ack_id(
            desk.contact(&from.seal(pb::payload::Body::PeerContact(pb::PeerContact {
                path_id: BBB.into(),
                pseudonym: p,
                requester_key: vec![9; 32],
                issued_at: now,
                nonce: nonce(),
            })))
            .unwrap(),
        )
    };
    let requests = |id: &Identity| match envelope::open(
        &desk
            .requests(&id.seal(pb::payload::Body::PeerRequestsQuery(
                pb::PeerRequestsQuery {
                    issued_at: now,
                    nonce: nonce(),
                },
            )))
            .unwrap(),
    )
    .unwrap()
    .body
    {
        pb::payload::Body::PeerRequests(r) => r,
        _ => panic!("no requests"),
    };
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    offer(a);
    offer(b);
    offer(c);
    let to_b = ask(a, b); // B will decline
    let to_c = ask(a, c); // C never answers
    desk.answer(&b.seal(pb::payload::Body::PeerAnswer(pb::PeerAnswer {
        request_id: to_b.clone(),
        accept: false,
        issued_at: now,
        nonce: nonce(),
        ..Default::default()
    })))
    .unwrap();
    assert_eq!(ask(a, b), to_b, "asking again: the same request");
    withdraw(a);
    offer(a);
    let (to_b2, to_c2) = (ask(a, b), ask(a, c));
    assert!(to_b2 != to_b && to_c2 != to_c, "both are new requests");
    for o in requests(a).outgoing {
        assert_eq!(o.status, pb::RequestStatus::NoAnswerYet as i32);
        assert!(o.sealed_card.is_empty() && o.answerer_key.is_empty());
    }
    // C is asked again; B, who declined, is not.
    let c_in: Vec<String> = requests(c)
        .incoming
        .into_iter()
        .map(|i| i.request_id)
        .collect();
    assert_eq!(c_in, vec![to_c2]);
    assert!(requests(b).incoming.is_empty());
    // A rate limit of zero refuses cleanly instead of panicking.
    desk.set_limits(PeerLimits {
        requests_per_day: 0,
        ..Default::default()
    });
    let p = desk
        .lock()
        .book
        .pseudonym(b.public_key(), c.public_key(), BBB);
    let refused = desk.contact(&b.seal(pb::payload::Body::PeerContact(pb::PeerContact {
        path_id: BBB.into(),
        pseudonym: p,
        requester_key: vec![9; 32],
        issued_at: now,
        nonce: nonce(),
    })));
    assert!(matches!(
        refused,
        Err(AggError::RateLimited { limit: 0, .. })
    ));
}
