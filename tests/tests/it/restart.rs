//! A restart loses nothing acknowledged and publishes the same result.

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use prost::Message as _;
use sovbench_aggregator::Aggregator;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_node::model::DeliveryState;
use sovbench_node::{compare, round};
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

/// Not a test of its own: the body of the child process that `killed_aggregator_...` starts
/// and kills. Without the environment variable it does nothing.
#[test]
#[ignore = "helper process for killed_aggregator_keeps_every_acknowledged_submission"]
fn child_aggregator() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let agg = std::sync::Arc::new(Aggregator::open(std::path::Path::new(&dir)).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("LISTENING {}", listener.local_addr().unwrap());
        sovbench_aggregator::service::serve(
            agg,
            listener,
            Default::default(),
            std::future::pending(),
        )
        .await
        .unwrap();
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_aggregator_keeps_every_acknowledged_submission() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("agg");
    let members: Vec<Identity> = (0..40).map(|_| Identity::generate().unwrap().0).collect();
    let round = {
        let agg = Aggregator::init(&dir, "Kill-Test").unwrap();
        agg.open_round(sovbench_aggregator::RoundSpec {
            round_id: "r-kill".into(),
            metrics: Vec::new(),
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 2,
            closes_at: sovbench_core::now_unix() + 3_600,
        })
        .unwrap();
        let attrs = CohortAttributes {
            kind: Kind::Gemeinde,
            state: "DE-BW".into(),
            size: SizeClass::PopLt5k,
        };
        for m in &members {
            agg.enrol(m.public_key(), "M", attrs.clone(), 1_000)
                .unwrap();
        }
        agg.signed_round(Some("r-kill")).unwrap()
    };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "restart::child_aggregator",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("child ended early").unwrap();
        // libtest may print "test ... " on the same line before the child's own output.
        if let Some(pos) = line.find("LISTENING ") {
            break line[pos + "LISTENING ".len()..].trim().to_string();
        }
    };
    let url = format!("http://{addr}");
    let mut tasks = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let msg = m.seal(craft_submission(&round, i as i64));
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = pb::aggregator_client::AggregatorClient::connect(url)
                .await
                .unwrap();
            (msg.clone(), c.submit(msg).await.unwrap().into_inner())
        }));
    }
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.push(t.await.unwrap());
    }
    // SIGKILL: no shutdown, no flush.
    child.kill().unwrap();
    child.wait().unwrap();
    let agg = Aggregator::open(&dir).unwrap();
    let stored = agg.rounds().unwrap()[0].submissions;
    assert_eq!(stored, members.len());
    for (msg, receipt) in &acknowledged {
        let v = sovbench_core::envelope::open_from(receipt, agg.public_key()).unwrap();
        let pb::payload::Body::Receipt(r) = v.body else {
            panic!("no receipt")
        };
        assert_eq!(
            r.submission_hash,
            sovbench_core::sha256(&msg.payload).to_vec()
        );
    }
}
