use super::*;
use crate::model::{DeliveryState, LedgerEntry};
use sovbench_core::envelope::Identity;

fn round_msg(agg: &Identity, id: &str, opens_at: i64, closes_at: i64) -> pb::SignedMessage {
    agg.seal(pb::payload::Body::Round(pb::RoundParams {
        round_id: id.into(),
        opens_at,
        closes_at,
        ..Default::default()
    }))
}

fn publication(id: &str, params: &pb::SignedMessage, published_at: i64) -> pb::Publication {
    pb::Publication {
        round_id: id.into(),
        round_params_hash: sovbench_core::sha256(&params.payload).to_vec(),
        published_at,
        ..Default::default()
    }
}

fn took_part(node: &Node, agg: &Identity, id: &str, opens_at: i64, closes_at: i64) {
    node.store()
        .put_round(id, &round_msg(agg, id, opens_at, closes_at))
        .unwrap();
    let entry = LedgerEntry {
        round_id: id.into(),
        recorded_at: opens_at,
        epsilon: 1.0,
        releases: Vec::new(),
        payload_sha256: String::new(),
        state: DeliveryState::Delivered,
        mode: Default::default(),
        secure: None,
        aggregator: "http://127.0.0.1:1".into(),
    };
    node.store()
        .record_release(
            &entry,
            &agg.seal(pb::payload::Body::Receipt(Default::default())),
        )
        .unwrap();
}

#[test]
fn the_round_asked_for_and_the_parameters_seen_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let node = crate::node::testing::node(dir.path());
    let (agg, _) = Identity::generate().unwrap();
    let r1 = round_msg(&agg, "r1", 100, 200);
    node.store().put_round("r1", &r1).unwrap();
    let good = publication("r1", &r1, 300);
    assert!(check_publication(&node, &good, Some("r1")).is_ok());
    // Another round than asked for.
    let err = check_publication(&node, &good, Some("r2")).unwrap_err();
    assert!(
        err.to_string()
            .contains("asked for the publication of round r2"),
        "{err}"
    );
    // Other parameters than the node received for r1.
    let other = round_msg(&agg, "r1", 100, 999);
    let forged = publication("r1", &other, 300);
    let err = check_publication(&node, &forged, Some("r1")).unwrap_err();
    assert!(err.to_string().contains("other round parameters"), "{err}");
    assert!(check_publication(&node, &forged, None).is_err());
}

#[test]
fn an_older_publication_is_refused_as_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, shared) = sovbench_core::clock::TestClock::shared(10_000);
    drop(crate::node::testing::node(dir.path()));
    let node = Node::open_with_clock(dir.path(), shared).unwrap();
    let (agg, _) = Identity::generate().unwrap();
    let r1 = round_msg(&agg, "r1", 100, 200);
    let r2 = round_msg(&agg, "r2", 1_000, 2_000);
    // The node has seen r2's publication: r1's is not the latest any more.
    node.store()
        .put_publication(
            "r2",
            &agg.seal(pb::payload::Body::Publication(publication(
                "r2", &r2, 2_500,
            ))),
        )
        .unwrap();
    let old = publication("r1", &r1, 300);
    let err = check_publication(&node, &old, None).unwrap_err();
    assert!(matches!(err, NodeError::StalePublication { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("already seen the publication of round r2"),
        "{err}"
    );
    // Asked for by its id, the older one is fine.
    assert!(check_publication(&node, &old, Some("r1")).is_ok());
    assert!(check_publication(&node, &publication("r2", &r2, 2_500), None).is_ok());

    // The node took part in r3, which closed at 5,000: a publication from before is stale once
    // r3 has closed, not while it is open.
    took_part(&node, &agg, "r3", 4_000, 5_000);
    let r2_again = publication("r2", &r2, 2_500);
    clock.set(4_500);
    assert!(check_publication(&node, &r2_again, None).is_ok());
    clock.set(5_001);
    let err = check_publication(&node, &r2_again, None).unwrap_err();
    assert!(err.to_string().contains("took part in round r3"), "{err}");
    let r3 = node.store().round("r3").unwrap().unwrap();
    assert!(check_publication(&node, &publication("r3", &r3, 5_100), None).is_ok());
}
