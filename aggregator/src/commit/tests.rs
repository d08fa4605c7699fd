//! The commit worker's promises under slow and failing commits, and while rounds close and keys
//! are revoked with submissions in flight. Commits are slowed or failed with the store's test
//! hook ([`crate::store::Store::set_commit_hook`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::Identity;
use sovbench_core::pb;

use crate::error::AggError;
use crate::{Aggregator, RoundSpec};

struct Fixture {
    _dir: tempfile::TempDir,
    agg: Arc<Aggregator>,
    members: Vec<Identity>,
    round: pb::SignedMessage,
}

fn fixture(n: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let agg = Aggregator::init(&dir.path().join("agg"), "Test").unwrap();
    agg.open_round(RoundSpec {
        round_id: "r".into(),
        metrics: Vec::new(),
        epsilon_per_release: 1.0,
        releases_per_node: 1,
        min_cohort: 2,
        closes_at: sovbench_core::now_unix() + 3_600,
        secure: None,
    })
    .unwrap();
    let members: Vec<Identity> = (0..n).map(|_| Identity::generate().unwrap().0).collect();
    let attrs = CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-BW".into(),
        size: SizeClass::PopLt5k,
    };
    agg.enrol_many(
        members
            .iter()
            .map(|m| (m.public_key().to_vec(), "M".into(), attrs.clone(), 1_000))
            .collect(),
    )
    .unwrap();
    let round = agg.signed_round(Some("r")).unwrap();
    Fixture {
        _dir: dir,
        agg: Arc::new(agg),
        members,
        round,
    }
}

/// A node's signed submission to the round (a plausible discrete Laplace release).
fn submission(round: &pb::SignedMessage, node: &Identity, value: i64) -> pb::SignedMessage {
    let params = match pb::Payload::decode(round.payload.as_slice()).unwrap().body {
        Some(pb::payload::Body::Round(p)) => p,
        _ => panic!("not a round"),
    };
    node.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: params.round_id.clone(),
        round_params_hash: sovbench_core::sha256(&round.payload).to_vec(),
        releases: vec![pb::Release {
            metric: params.metrics[0].id.clone(),
            mechanism: params.metrics[0].mechanism,
            value,
            scale: 4.0,
            epsilon: 1.0,
            ..Default::default()
        }],
        created_at: 1_790_000_000,
        nonce: vec![7; 16],
        encrypted: Vec::new(),
    }))
}

fn receipt(msg: &pb::SignedMessage) -> pb::Receipt {
    match sovbench_core::envelope::open(msg).unwrap().body {
        pb::payload::Body::Receipt(r) => r,
        _ => panic!("not a receipt"),
    }
}

fn failing() -> Option<crate::store::CommitHook> {
    Some(Arc::new(|| Err("fsync failed".into())))
}

fn slow(ms: u64) -> Option<crate::store::CommitHook> {
    Some(Arc::new(move || {
        std::thread::sleep(Duration::from_millis(ms));
        Ok(())
    }))
}

/// Old behaviour caught: an identical retry was answered from the store before the commit
/// worker (bytes applied to sled but not yet durable), and after a failed commit the worker
/// answered later copies from memory as durable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_is_answered_only_after_a_durable_commit() {
    let f = fixture(2);
    let a = submission(&f.round, &f.members[0], 3);
    let first = f.agg.submit(a.clone()).await.unwrap();
    assert_eq!(receipt(&first).acknowledged, 1);
    f.agg.set_commit_hook(failing());
    // Stored durably before, but the retry's commit fails: no answer from memory.
    assert!(matches!(
        f.agg.submit(a.clone()).await,
        Err(AggError::Storage(_))
    ));
    // A new submission whose commit fails, and its retries while commits keep failing.
    let b = submission(&f.round, &f.members[1], 2);
    for _ in 0..2 {
        assert!(matches!(
            f.agg.submit(b.clone()).await,
            Err(AggError::Storage(_))
        ));
    }
    f.agg.set_commit_hook(None);
    let again = f.agg.submit(b.clone()).await.unwrap();
    let r = receipt(&again);
    assert_eq!(r.acknowledged, 2);
    assert_eq!(
        r.signature_sha256,
        sovbench_core::sha256(&b.signature).to_vec()
    );
    // The receipt of a retry is the same bytes (signed again, deterministically).
    assert_eq!(
        f.agg.submit(a.clone()).await.unwrap().encode_to_vec(),
        first.encode_to_vec()
    );
    // A different second submission is still refused.
    let other = submission(&f.round, &f.members[0], 4);
    assert!(matches!(
        f.agg.submit(other).await,
        Err(AggError::Conflict { .. })
    ));
}

/// Old behaviour caught: while a slow commit was under way, a retry of a submission of the
/// same group was answered from the store at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_commit_holds_back_the_retry_too() {
    let f = fixture(1);
    let a = submission(&f.round, &f.members[0], 3);
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    f.agg.set_commit_hook(Some(Arc::new(move || {
        std::thread::sleep(Duration::from_millis(300));
        d.store(true, Ordering::SeqCst);
        Ok(())
    })));
    let agg = f.agg.clone();
    let first = tokio::spawn({
        let a = a.clone();
        async move { agg.submit(a).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    f.agg.submit(a).await.unwrap();
    assert!(
        done.load(Ordering::SeqCst),
        "answered before a commit ended"
    );
    first.await.unwrap().unwrap();
}

/// With submissions in flight while the round closes: every acknowledged submission is in the
/// publication, no refused one is, and nothing is acknowledged after the close returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_with_submissions_in_flight_keeps_its_promise() {
    let f = fixture(64);
    f.agg.set_commit_hook(slow(20));
    let mut tasks = Vec::new();
    for (i, m) in f.members.iter().enumerate() {
        let msg = submission(&f.round, m, (i % 5) as i64);
        let agg = f.agg.clone();
        tasks.push(tokio::spawn(async move {
            if i >= 32 {
                tokio::time::sleep(Duration::from_millis(i as u64)).await;
            }
            (msg.clone(), agg.submit(msg).await)
        }));
    }
    tokio::time::sleep(Duration::from_millis(40)).await;
    f.agg.close_round("r").await.unwrap();
    let at_close = f.agg.rounds().unwrap()[0].submissions;
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (m, Ok(_)) => acknowledged.push(sovbench_core::sha256(&m.signature).to_vec()),
            (m, Err(AggError::RoundClosed { .. })) => {
                refused.push(sovbench_core::sha256(&m.signature).to_vec())
            }
            (_, Err(e)) => panic!("unexpected refusal: {e}"),
        }
    }
    assert!(!acknowledged.is_empty() && !refused.is_empty(), "no race");
    assert_eq!(f.agg.rounds().unwrap()[0].submissions, at_close);
    assert_eq!(acknowledged.len(), at_close);
    f.agg.set_commit_hook(None);
    let p = match sovbench_core::envelope::open(&f.agg.publish("r").unwrap())
        .unwrap()
        .body
    {
        pb::payload::Body::Publication(p) => p,
        _ => panic!("not a publication"),
    };
    acknowledged.sort();
    assert_eq!(p.submission_signatures_sha256, acknowledged);
    assert_eq!(p.contributors as usize, acknowledged.len());
}

/// Old behaviour caught: a submission admitted before its key was revoked but committed after
/// the revocation returned (the worker did not check revocation, and revocation bypassed it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_acknowledged_after_a_revocation_returned() {
    let f = fixture(48);
    f.agg.set_commit_hook(slow(20));
    let mut tasks = Vec::new();
    for (i, m) in f.members.iter().enumerate() {
        let msg = submission(&f.round, m, (i % 5) as i64);
        let agg = f.agg.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5 * i as u64)).await;
            agg.submit(msg).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let agg = f.agg.clone();
    let keys: Vec<Vec<u8>> = f.members.iter().map(|m| m.public_key().to_vec()).collect();
    // Revoked last node first, so that the last submissions meet their revocation.
    let mut after_revocation = tokio::task::spawn_blocking(move || {
        keys.iter()
            .rev()
            .map(|k| {
                agg.revoke(k).unwrap();
                agg.submission_stored("r", k).unwrap()
            })
            .collect::<Vec<bool>>()
    })
    .await
    .unwrap();
    after_revocation.reverse();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let mut refused = 0;
    for (i, (m, out)) in f.members.iter().zip(&outcomes).enumerate() {
        let stored = f.agg.submission_stored("r", m.public_key()).unwrap();
        assert_eq!(
            stored, after_revocation[i],
            "node {i} stored after its revocation"
        );
        match out {
            Ok(_) => assert!(stored, "node {i} acknowledged but not stored"),
            Err(AggError::Revoked(_)) => {
                refused += 1;
                assert!(!stored, "node {i} refused but stored");
            }
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }
    assert!(
        refused > 0 && refused < outcomes.len(),
        "no race: {refused}"
    );
}

/// The store is compared with the acknowledgement record at start: fewer submissions than
/// acknowledged, or a round state older than recorded, and the aggregator refuses to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_lost_acknowledged_submissions_is_refused() {
    let f = fixture(3);
    for (i, m) in f.members.iter().enumerate() {
        f.agg
            .submit(submission(&f.round, m, i as i64))
            .await
            .unwrap();
    }
    let dir = f.agg.dir().to_path_buf();
    drop(f.agg);
    let acks = dir.join(crate::acks::ACKS_FILE);
    let good = std::fs::read_to_string(&acks).unwrap();
    assert!(good.ends_with('\n'));
    Aggregator::open(&dir).unwrap();
    std::fs::write(&acks, format!("{good}ack r 999 30 {}\n", "00".repeat(32))).unwrap();
    let e = Aggregator::open(&dir).unwrap_err();
    assert!(matches!(e, AggError::StoreDamaged { .. }));
    assert!(
        e.to_string().starts_with(
            "round r: the store holds 3 submissions, 30 were acknowledged; the store is damaged"
        ),
        "{e}"
    );
    std::fs::write(&acks, format!("{good}closed r\n")).unwrap();
    let e = Aggregator::open(&dir).unwrap_err().to_string();
    assert!(
        e.contains("the store says open, the round was closed"),
        "{e}"
    );
    std::fs::write(&acks, &good).unwrap();
    Aggregator::open(&dir).unwrap();
}

/// A group of retries alone, after a restart, records under a new group number. Old behaviour
/// caught (found by the kill loop): it recorded under number 0, and the next start compared no
/// stored submission with the recorded count and refused the store as damaged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_restart_keeps_the_record_consistent() {
    let f = fixture(2);
    let a = submission(&f.round, &f.members[0], 3);
    let first = f.agg.submit(a.clone()).await.unwrap();
    let dir = f.agg.dir().to_path_buf();
    drop(f.agg);
    let agg = Aggregator::open(&dir).unwrap();
    assert_eq!(
        agg.submit(a.clone()).await.unwrap().encode_to_vec(),
        first.encode_to_vec()
    );
    drop(agg);
    let agg = Aggregator::open(&dir).unwrap();
    let b = submission(&f.round, &f.members[1], 1);
    assert_eq!(receipt(&agg.submit(b).await.unwrap()).acknowledged, 2);
}

/// The two races of a revocation, made deterministic with a slow commit: a submission queued
/// before the revocation is acknowledged before the revocation returns (old behaviour caught:
/// the revocation wrote the enrolment at once and the queued submission was stored after it
/// returned; or the worker revoked without committing its group first), and a submission that
/// passed admission before the revocation but reaches the worker after it is refused (old
/// behaviour caught: the worker did not check revocation again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_is_ordered_with_the_submissions_in_flight() {
    let f = fixture(4);
    // Only the commit worker's commits are slow (the peer desk's commit of a revocation is not).
    f.agg.set_commit_hook(Some(Arc::new(|| {
        if std::thread::current().name() == Some("sovbench-commit") {
            std::thread::sleep(Duration::from_millis(150));
        }
        Ok(())
    })));
    let (a, b, c, d) = (&f.members[0], &f.members[1], &f.members[2], &f.members[3]);
    let acked_b = Arc::new(AtomicBool::new(false));
    let submit = |m: &Identity, acked: Option<Arc<AtomicBool>>| {
        let agg = f.agg.clone();
        let msg = submission(&f.round, m, 2);
        tokio::spawn(async move {
            let r = agg.submit(msg).await;
            if let (Ok(_), Some(flag)) = (&r, acked) {
                flag.store(true, Ordering::SeqCst);
            }
            r
        })
    };
    let revoke = |m: &Identity, acked: Arc<AtomicBool>| {
        let agg = f.agg.clone();
        let key = m.public_key().to_vec();
        tokio::task::spawn_blocking(move || {
            agg.revoke(&key).unwrap();
            acked.load(Ordering::SeqCst)
        })
    };
    let pause = || tokio::time::sleep(Duration::from_millis(20));
    // A's commit keeps the worker busy for 150 ms while B's submission and then B's revocation
    // queue up behind it: B is acknowledged, and before the revocation returns.
    let sa = submit(a, None);
    pause().await;
    let sb = submit(b, Some(acked_b.clone()));
    pause().await;
    let rb = revoke(b, acked_b);
    sa.await.unwrap().unwrap();
    assert!(
        rb.await.unwrap(),
        "B's submission, queued before its revocation, acknowledged after it returned"
    );
    sb.await.unwrap().unwrap();
    // D's commit keeps the worker busy while C's revocation and then C's submission (admitted
    // while C was not yet revoked) queue up: C's submission is refused.
    let sd = submit(d, None);
    pause().await;
    let rc = revoke(c, Arc::new(AtomicBool::new(false)));
    pause().await;
    let sc = submit(c, None);
    sd.await.unwrap().unwrap();
    rc.await.unwrap();
    assert!(matches!(sc.await.unwrap(), Err(AggError::Revoked(_))));
    assert!(!f.agg.submission_stored("r", c.public_key()).unwrap());
}
