//! A restart loses nothing acknowledged and publishes the same result.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use prost::Message as _;
use sovbench_aggregator::Aggregator;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_node::model::DeliveryState;
use sovbench_node::{compare, round};
use sovbench_sim::durability;
use sovbench_tests::{craft_submission, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_between_submit_and_publish_loses_nothing() {
    let mut h = Harness::start().await;
    h.open_round("r-restart", 1.0, 1, 2);
    let mut nodes = Vec::new();
    for i in 0..6 {
        nodes.push(h.node("stadt", "DE-SN", 30_000 + i, [3, 3, 3, 3, 3]));
    }
    for n in &nodes {
        let r = round::submit(n).await.unwrap();
        assert_eq!(r.current.unwrap().state, DeliveryState::Delivered);
    }
    h.restart().await;
    assert_eq!(h.agg().rounds().unwrap()[0].submissions, 6);
    h.agg().close_round("r-restart").await.unwrap();
    let first = h.agg().publish("r-restart").unwrap();
    h.restart().await;
    let second = h.agg().publish("r-restart").unwrap();
    assert_eq!(first.encode_to_vec(), second.encode_to_vec());
    // Nodes reach the restarted server on the same address and verify the publication.
    let cmp = compare::compare(&nodes[0], Some("r-restart"))
        .await
        .unwrap();
    assert_eq!(cmp.contributors, 6);
}

const CHILD_DIR: &str = "SOVBENCH_TEST_CHILD_AGGREGATOR";
const CHILD_ADDR: &str = "SOVBENCH_TEST_CHILD_ADDR";

/// Not a test of its own: the body of the child aggregator processes that the kill tests start
/// and kill (`sovbench_sim::durability::serve_child`). Without the environment variable it does
/// nothing.
#[test]
#[ignore = "helper process for the kill tests"]
fn child_aggregator() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let addr = std::env::var(CHILD_ADDR).unwrap_or_else(|_| "127.0.0.1:0".into());
    let delay = std::env::var(durability::COMMIT_DELAY_ENV)
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    if let Err(e) = rt.block_on(durability::serve_child(
        std::path::Path::new(&dir),
        &addr,
        Duration::from_millis(delay),
    )) {
        eprintln!("child aggregator: {e:#}");
        std::process::exit(1);
    }
}

/// Spawns [`child_aggregator`] on `dir` and `addr`, every commit `delay_ms` slower.
pub fn spawn_child(dir: &Path, addr: &str, delay_ms: u64) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args([
            "restart::child_aggregator",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_ADDR, addr)
        .env(durability::COMMIT_DELAY_ENV, delay_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?)
}

/// An initialised aggregator with `n` enrolled members and an open round `r-kill`.
pub fn kill_setup(dir: &Path, n: usize) -> (Vec<Identity>, pb::SignedMessage) {
    let members: Vec<Identity> = (0..n)
        .map(|_| Identity::generate().expect("identity").0)
        .collect();
    let agg = Aggregator::init(dir, "Kill-Test").expect("init");
    agg.open_round(sovbench_aggregator::RoundSpec {
        round_id: "r-kill".into(),
        metrics: Vec::new(),
        epsilon_per_release: 1.0,
        releases_per_node: 1,
        min_cohort: 2,
        closes_at: sovbench_core::now_unix() + 3_600,
        secure: None,
    })
    .expect("open round");
    let attrs = CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-BW".into(),
        size: SizeClass::PopLt5k,
    };
    for m in &members {
        agg.enrol(m.public_key(), "M", attrs.clone(), 1_000)
            .expect("enrol");
    }
    (members, agg.signed_round(Some("r-kill")).expect("round"))
}

/// SIGKILL while submissions are in flight and every commit is slow: every submission that was
/// acknowledged before the kill is stored after it. Old behaviour caught: an aggregator that
/// acknowledged before committing (or answered a retry from memory) loses acknowledged
/// submissions here; the earlier version of this test killed only after every receipt arrived,
/// which such an aggregator passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_aggregator_keeps_every_acknowledged_submission() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("agg");
    let (members, round) = kill_setup(&dir, 60);
    let child =
        durability::ChildAggregator::wait(spawn_child(&dir, "127.0.0.1:0", 40).unwrap()).unwrap();
    let url = format!("http://{}", child.addr);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for (i, m) in members.iter().enumerate() {
        let msg = m.seal(craft_submission(&round, i as i64 % 5));
        let url = url.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            // Spread over about 300 ms, so that the kill meets commits under way.
            tokio::time::sleep(Duration::from_millis(5 * i as u64)).await;
            let Ok(mut c) = pb::aggregator_client::AggregatorClient::connect(url).await else {
                return;
            };
            if let Ok(receipt) = c.submit(msg.clone()).await {
                let _ = tx.send((msg, receipt.into_inner()));
            }
        });
    }
    drop(tx);
    // Kill after the first acknowledgements, with more submissions in flight.
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 5 {
        acknowledged.push(rx.recv().await.expect("acknowledgements"));
    }
    tokio::task::block_in_place(|| child.kill()).unwrap();
    while let Some(a) = rx.recv().await {
        acknowledged.push(a);
    }
    assert!(acknowledged.len() < members.len(), "the kill came too late");
    // Opening also compares the store with the acknowledgement record.
    let agg = Aggregator::open(&dir).unwrap();
    assert!(agg.rounds().unwrap()[0].submissions >= acknowledged.len());
    for (msg, receipt) in &acknowledged {
        let v = sovbench_core::envelope::open_from(receipt, agg.public_key()).unwrap();
        let pb::payload::Body::Receipt(r) = v.body else {
            panic!("no receipt")
        };
        assert_eq!(
            r.submission_hash,
            sovbench_core::sha256(&msg.payload).to_vec()
        );
        assert!(agg.submission_stored("r-kill", &r.node_key).unwrap());
    }
}
