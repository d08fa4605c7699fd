//! Nothing lost, nothing poisoned: a store damaged after a crash is refused at start (with or
//! without `acks.log`: record files damaged before their committed end, record files of a round
//! the store does not know), a node notices a publication that leaves out its acknowledged
//! submission, and a kill loop (SIGKILL of a real aggregator process at random moments while
//! nodes submit) loses and doubles nothing.

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

/// How the start-up evidence of `acks.log` goes missing in the three cases of issue 19, item 6.
#[derive(Debug, Clone, Copy)]
enum Without {
    /// `acks.log` deleted.
    AcksDeleted,
    /// `acks.log` emptied.
    AcksEmptied,
    /// sled's files and `acks.log` deleted; `store/submissions/` left.
    SledAndAcksDeleted,
}

/// 40 acknowledged submissions to round `r-kill` of an aggregator in `dir`, then stopped; the
/// path of the round's record file.
async fn forty_acknowledged(dir: &std::path::Path) -> std::path::PathBuf {
    let (members, round) = kill_setup(dir, 40);
    let agg = Aggregator::open(dir).expect("open");
    for (i, m) in members.iter().enumerate() {
        agg.submit(m.seal(craft_submission(&round, i as i64 % 5)))
            .await
            .expect("acknowledged");
    }
    drop(agg);
    dir.join("store").join("submissions").join("r-kill.log")
}

/// Without `acks.log` (deleted or emptied) a record file damaged before its committed end is
/// still refused at start: the store knows the committed end from sled. Without sled's files and
/// `acks.log`, a record file of a round the store does not know is refused too. Each refusal
/// names the file and the way back (a backup), in English and German, and leaves the file as it
/// was. Old behaviour caught: the aggregator started with a WARN and published 35 or 19 of 40
/// acknowledged submissions, or started empty and ignored the round's file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_acks_log_damaged_or_unknown_record_files_are_refused() {
    use sovbench_aggregator::store::logs::RecordProblem;
    use sovbench_core::i18n::Lang;
    for case in [
        Without::AcksDeleted,
        Without::AcksEmptied,
        Without::SledAndAcksDeleted,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("agg");
        let file = forty_acknowledged(&dir).await;
        let acks = dir.join(sovbench_aggregator::acks::ACKS_FILE);
        let mut bytes = std::fs::read(&file).expect("record file");
        match case {
            Without::AcksDeleted => std::fs::remove_file(&acks).unwrap(),
            Without::AcksEmptied => std::fs::write(&acks, b"").unwrap(),
            Without::SledAndAcksDeleted => {
                std::fs::remove_file(&acks).unwrap();
                for entry in std::fs::read_dir(dir.join("store")).unwrap() {
                    let path = entry.unwrap().path();
                    if path.file_name() == Some("submissions".as_ref()) {
                        continue;
                    }
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path).unwrap();
                    } else {
                        std::fs::remove_file(&path).unwrap();
                    }
                }
            }
        }
        if !matches!(case, Without::SledAndAcksDeleted) {
            // One flipped byte in the middle: the frames from there on no longer read.
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
            std::fs::write(&file, &bytes).unwrap();
        }
        let e = Aggregator::open(&dir).expect_err(&format!("{case:?}: opened"));
        let AggError::RecordFile {
            round,
            path,
            problem,
        } = &e
        else {
            panic!("{case:?}: {e}");
        };
        assert_eq!(round, "r-kill", "{case:?}");
        assert_eq!(path, &file.display().to_string(), "{case:?}");
        match (case, problem) {
            (Without::SledAndAcksDeleted, RecordProblem::Unknown) => {}
            (
                Without::AcksDeleted | Without::AcksEmptied,
                RecordProblem::Damaged {
                    readable,
                    committed,
                },
            ) => {
                assert!(readable < committed, "{case:?}: {readable} {committed}");
                assert_eq!(*committed, bytes.len() as u64, "{case:?}");
            }
            other => panic!("{other:?}"),
        }
        let (en, de) = (e.localised(Lang::En), e.localised(Lang::De));
        assert!(en.contains(path.as_str()) && en.contains("backup"), "{en}");
        assert!(en.contains("does not start"), "{en}");
        assert!(
            de.contains(path.as_str()) && de.contains("Sicherung"),
            "{de}"
        );
        assert!(de.contains("startet nicht"), "{de}");
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "evidence changed");
    }
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
