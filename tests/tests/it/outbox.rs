//! A node whose aggregator is down: the release waits in the outbox, is delivered later as the
//! same signed bytes, and is counted once.

use sovbench_node::model::DeliveryState;
use sovbench_node::round::{self, policy, Prepared};
use sovbench_node::{Node, NodeError};
use sovbench_tests::Harness;

/// 2026-12-31T23:30:00Z: every test here runs at a fixed time half an hour before New Year.
const T0: i64 = 1_798_759_800;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregator_down_outbox_then_delivery_without_double_spend() {
    let mut h = Harness::start_at(T0).await.0;
    h.open_round("r-out", 1.0, 1, 2);
    let node = h.node("landkreis", "DE-NI", 180_000, [2, 3, 2, 3, 2]);
    let Prepared::Recorded { signed, .. } = round::prepare(&node).await.unwrap() else {
        panic!("nothing recorded")
    };
    h.stop().await;
    // Delivery fails: it stays queued, counted once.
    let tries = round::flush_outbox(&node).await.unwrap();
    assert_eq!(tries.len(), 1);
    assert_eq!(tries[0].state, DeliveryState::Pending);
    assert!(tries[0]
        .detail
        .as_deref()
        .unwrap_or("")
        .contains("unreachable"));
    let r = round::submit(&node).await.unwrap();
    assert_eq!(r.retried[0].state, DeliveryState::Pending);
    assert!(r.current.is_none());
    let ledger = node.store().ledger().unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].state, DeliveryState::Pending);
    assert!((spent(&node) - 1.0).abs() < 1e-9);

    h.start_again().await;
    let r = round::submit(&node).await.unwrap();
    assert_eq!(r.retried.len(), 1);
    assert_eq!(r.retried[0].state, DeliveryState::Delivered);
    assert!(r.current.is_none(), "no second release for the same round");
    assert!(node.store().outbox().unwrap().is_empty());
    let ledger = node.store().ledger().unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].state, DeliveryState::Delivered);
    assert!((spent(&node) - 1.0).abs() < 1e-9);
    // The aggregator holds exactly the bytes recorded before the first attempt.
    assert_eq!(
        ledger[0].payload_sha256,
        hex(&sovbench_core::sha256(&signed.payload))
    );
    assert_eq!(h.agg().rounds().unwrap()[0].submissions, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_ledger_write_and_send_resends_the_same_bytes() {
    let mut h = Harness::start_at(T0).await.0;
    h.open_round("r-crash", 1.0, 1, 2);
    let node = h.node("gemeinde", "DE-RP", 2_000, [1, 2, 1, 2, 1]);
    let dir = node.dir().to_path_buf();
    let Prepared::Recorded { signed, .. } = round::prepare(&node).await.unwrap() else {
        panic!("nothing recorded")
    };
    drop(node); // the process dies before sending
    let node = Node::open_with_clock(&dir, h.clock.clone()).unwrap(); // the harness clock, as before the crash
    let r = round::submit(&node).await.unwrap();
    assert_eq!(r.retried.len(), 1);
    assert_eq!(r.retried[0].state, DeliveryState::Delivered);
    let ledger = node.store().ledger().unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        ledger[0].payload_sha256,
        hex(&sovbench_core::sha256(&signed.payload))
    );
    let receipt = node.store().receipt("r-crash").unwrap().unwrap();
    let v = sovbench_core::envelope::open_from(&receipt, h.agg().public_key()).unwrap();
    let sovbench_core::pb::payload::Body::Receipt(rc) = v.body else {
        panic!()
    };
    assert_eq!(
        rc.submission_hash,
        sovbench_core::sha256(&signed.payload).to_vec()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_aggregator_with_nothing_queued_is_an_error_and_records_nothing() {
    let mut h = Harness::start_at(T0).await.0;
    h.open_round("r-down", 1.0, 1, 2);
    let node = h.node("stadt", "DE-BE", 3_600_000, [4, 4, 4, 4, 4]);
    h.stop().await;
    let err = round::submit(&node).await.unwrap_err();
    assert!(matches!(err, NodeError::Unreachable { .. }), "{err}");
    assert!(node.store().ledger().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_closed_before_delivery_is_refused_for_good_and_still_counted() {
    let mut h = Harness::start_at(T0).await.0;
    h.open_round("r-late", 1.0, 1, 2);
    let node = h.node("gemeinde", "DE-SH", 1_500, [2, 2, 2, 2, 2]);
    assert!(matches!(
        round::prepare(&node).await.unwrap(),
        Prepared::Recorded { .. }
    ));
    h.agg().close_round("r-late").await.unwrap();
    let d = round::flush_outbox(&node).await.unwrap();
    assert_eq!(d[0].state, DeliveryState::Refused);
    assert!(
        d[0].detail.as_deref().unwrap_or("").contains("closed"),
        "{:?}",
        d[0].detail
    );
    assert!(node.store().outbox().unwrap().is_empty());
    let ledger = node.store().ledger().unwrap();
    assert_eq!(ledger[0].state, DeliveryState::Refused);
    assert!((spent(&node) - 1.0).abs() < 1e-9);
}

/// Epsilon in the node's budget window, read with the node's own clock (the harness's).
fn spent(node: &Node) -> f64 {
    policy::budget(
        &node.store().ledger().expect("ledger"),
        &node.config().privacy,
        node.now(),
    )
    .spent
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
