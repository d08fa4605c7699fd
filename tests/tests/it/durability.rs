//! Nothing lost, nothing poisoned: a store damaged after a crash is refused at start, a node
//! notices a publication that leaves out its acknowledged submission, and a kill loop (SIGKILL of
//! a real aggregator process at random moments while nodes submit) loses and doubles nothing.

use std::time::Duration;

use prost::Message as _;
use sovbench_aggregator::{AggError, Aggregator};
use sovbench_core::pb;
use sovbench_node::error::NodeError;
use sovbench_node::{compare, round};
use sovbench_sim::durability::{self, ChildAggregator};
use sovbench_tests::{craft_submission, Harness};

use crate::restart::{kill_setup, spawn_child};

/// Flips bytes in the last written 4 KiB of sled's log and cuts off its last 512 bytes.
fn damage_log(store: &std::path::Path) -> usize {
    let db = store.join("db");
    let mut bytes = std::fs::read(&db).expect("sled's log");
    let end = bytes.iter().rposition(|&b| b != 0).expect("a written log") + 1;
    let from = end.saturating_sub(4096);
    for b in bytes[from..end].iter_mut().step_by(61) {
        *b ^= 0xff;
    }
    bytes.truncate(end.saturating_sub(512));
    std::fs::write(&db, &bytes).expect("damaged log written");
    end
}

/// After SIGKILL of a serving aggregator, damage to sled's log (flipped bytes, a cut-off tail)
/// loses acknowledged submissions; the aggregator refuses to start and says why, and so does a
/// child process (exit code 1) instead of serving. Old behaviour caught: sled drops the damaged
/// tail silently and the aggregator started and published a round without them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_is_refused_after_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("agg");
    let (members, round) = kill_setup(&dir, 40);
    let child = ChildAggregator::wait(spawn_child(&dir, "127.0.0.1:0", 0).unwrap()).unwrap();
    let url = format!("http://{}", child.addr);
    let mut tasks = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let msg = m.seal(craft_submission(&round, i as i64 % 5));
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = pb::aggregator_client::AggregatorClient::connect(url)
                .await
                .unwrap();
            c.submit(msg).await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    tokio::task::block_in_place(|| child.kill()).unwrap();
    damage_log(&dir.join("store"));
    let e = Aggregator::open(&dir).expect_err("a damaged store was opened");
    eprintln!("refused: {e}");
    match &e {
        AggError::StoreDamaged { round, .. } => {
            assert_eq!(round, "r-kill");
            let text = e.to_string();
            assert!(
                text.contains("were acknowledged") || text.contains("differ"),
                "{text}"
            );
            assert!(text.contains("the store is damaged"), "{text}");
        }
        // sled itself may refuse the damaged log; then it says so.
        other => assert!(!other.to_string().is_empty()),
    }
    let refused = ChildAggregator::wait(spawn_child(&dir, "127.0.0.1:0", 0).unwrap());
    let text = format!(
        "{:#}",
        refused.err().expect("the child served a damaged store")
    );
    assert!(text.contains("ended before listening"), "{text}");
}

/// `compare` fails with a clear error when a publication leaves out the node's acknowledged
/// submission, and passes for the real one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_notices_a_publication_without_its_submission() {
    let mut h = Harness::start().await;
    h.open_round("r-incl", 1.0, 1, 2);
    let nodes: Vec<_> = (0..3)
        .map(|i| h.node("gemeinde", "DE-HE", 4_000 + i, [3, 3, 2, 4, 1]))
        .collect();
    for n in &nodes {
        round::submit(n).await.unwrap();
    }
    h.agg().close_round("r-incl").await.unwrap();
    let msg = h.agg().publish("r-incl").unwrap();
    compare::compare(&nodes[0], Some("r-incl")).await.unwrap();
    let mut p = match pb::Payload::decode(msg.payload.as_slice()).unwrap().body {
        Some(pb::payload::Body::Publication(p)) => p,
        _ => panic!("not a publication"),
    };
    assert_eq!(p.submission_signatures_sha256.len(), 3);
    let receipt = nodes[0].store().receipt("r-incl").unwrap().unwrap();
    let own = match pb::Payload::decode(receipt.payload.as_slice())
        .unwrap()
        .body
    {
        Some(pb::payload::Body::Receipt(r)) => r.signature_sha256,
        _ => panic!("not a receipt"),
    };
    p.submission_signatures_sha256.retain(|s| *s != own);
    let e = compare::check_included(&nodes[0], &p).unwrap_err();
    assert!(matches!(e, NodeError::NotInPublication { .. }), "{e}");
    assert!(e
        .to_string()
        .contains("does not count this node's submission"));
    // The others are still included.
    compare::check_included(&nodes[1], &p).unwrap();
}

/// A short kill loop: four SIGKILLs at random moments of a real aggregator process while six
/// nodes submit over two rounds, each restart on the same port. Every node ends with a receipt,
/// nothing is lost or counted twice, every ledger is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_loop_loses_and_doubles_nothing() {
    let spawn = |dir: &std::path::Path, addr: &str| spawn_child(dir, addr, 10);
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        durability::kill_loop(4, 6, 2, 7, &spawn),
    )
    .await
    .expect("kill loop within 60 s")
    .unwrap();
    eprintln!("{report:?}");
    assert_eq!(report.kills, 4);
    assert_eq!(report.acknowledged, 6 * report.rounds);
    assert_eq!(
        (report.lost, report.counted_twice, report.ledger_errors),
        (0, 0, 0)
    );
}
