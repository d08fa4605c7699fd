use std::path::{Path, PathBuf};

use super::*;
use crate::acks::{self, AckLog};
use crate::model::RoundStatus;
use crate::Aggregator;
use prost::Message as _;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};

fn sub(b: u8) -> StoredSubmission {
    let payload = vec![b; 100];
    let message = pb::SignedMessage {
        payload: payload.clone(),
        signature: vec![b; 64],
        signer: vec![b; 32],
    };
    StoredSubmission {
        acknowledged: b as u64,
        seq: 9,
        ..StoredSubmission::new(
            message.encode_to_vec(),
            sovbench_core::sha256(&payload).to_vec(),
            CohortAttributes {
                kind: Kind::Gemeinde,
                state: "DE-NW".into(),
                size: SizeClass::Pop5kTo20k,
            },
            1,
        )
    }
}

/// The record file of a round in a store's folder.
fn log_path(store: &Path, round: &str) -> PathBuf {
    store.join(logs::DIR).join(format!("{round}.log"))
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Records that older versions kept in sled (JSON: bytes as arrays of numbers, the whole
/// receipt; or compact) are moved to the record files at open and still read; new records take
/// little more than the received bytes.
#[test]
fn old_records_move_from_sled_to_the_record_files_and_new_ones_are_compact() {
    let dir = tempfile::tempdir().unwrap();
    let old = StoredSubmission {
        receipt: vec![5; 150],
        acknowledged: 0,
        acknowledged_digest: Vec::new(),
        seq: 0,
        ..sub(5)
    };
    let mut json = serde_json::to_value(&old).unwrap();
    for field in ["acknowledged", "acknowledged_digest", "seq"] {
        json.as_object_mut().unwrap().remove(field);
    }
    let key = submission_key("r", &[5; 32]);
    let compact_key = submission_key("r", &[4; 32]);
    {
        let s = Store::open(dir.path()).unwrap();
        s.submissions
            .insert(&key, serde_json::to_vec(&json).unwrap())
            .unwrap();
        s.submissions
            .insert(&compact_key, encode_submission(&compact_key, &sub(4)))
            .unwrap();
        s.commit().unwrap();
    }
    for _ in 0..2 {
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.submission(&key).unwrap(), Some(old.clone()));
        assert_eq!(s.submission(&compact_key).unwrap(), Some(sub(4)));
        assert_eq!(s.submission_count("r"), 2);
        assert!(s.submissions.is_empty(), "still in sled");
        assert!(log_path(dir.path(), "r").exists());
    }
    let new = sub(6);
    let key = submission_key("r", &[6; 32]);
    let encoded = encode_submission(&key, &new);
    // The digest is not stored (computed again for a retry's receipt).
    let expected = StoredSubmission {
        acknowledged_digest: Vec::new(),
        ..new.clone()
    };
    assert_eq!(decode_submission(&key, &encoded).unwrap(), expected);
    // The envelope without the signer (it is in the key), attributes, time, count, group:
    // at most the received bytes plus 30.
    assert!(encoded.len() <= new.message.len() + 30, "{}", encoded.len());
    // In the record file, with the node key, length and checksum: at most 41 more.
    assert_eq!(encoded_len(&key, &new), encoded.len() + 41);
    // A record whose signer is not the key's keeps the whole envelope.
    let other = submission_key("r", &[7; 32]);
    assert_eq!(
        decode_submission(&other, &encode_submission(&other, &new)).unwrap(),
        expected
    );
}

/// A frame that a crash cut short after the committed end is cut off at open; whole frames
/// after it (written, but the commit did not finish) are not read and are cut off by the next
/// append. Old behaviour caught: a scan that read up to the first bad frame would count a
/// submission that was never acknowledged, or append after the torn bytes.
#[test]
fn a_torn_tail_is_cut_off_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let key = |b: u8| submission_key("r", &[b; 32]);
    {
        let s = Store::open(dir.path()).unwrap();
        let mut b = SubmissionBatch::default();
        b.insert(&key(1), &sub(1));
        b.insert(&key(2), &sub(2));
        s.commit_submissions(b).unwrap();
    }
    let path = log_path(dir.path(), "r");
    let committed = file_len(&path);
    let frame = logs::frame(&[3; 32], &encode_submission(&key(3), &sub(3))).unwrap();
    append(&path, &frame[..frame.len() - 7]);
    {
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(file_len(&path), committed, "torn tail not cut off");
        assert_eq!(s.submission_count("r"), 2);
        assert_eq!(s.submission(&key(2)).unwrap(), Some(sub(2)));
    }
    append(&path, &frame);
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(file_len(&path), committed + frame.len() as u64);
    assert_eq!(s.submission(&key(3)).unwrap(), None);
    assert_eq!(s.submission_count("r"), 2);
    let mut b = SubmissionBatch::default();
    b.insert(&key(4), &sub(4));
    s.commit_submissions(b).unwrap();
    let four = logs::frame(&[4; 32], &encode_submission(&key(4), &sub(4))).unwrap();
    assert_eq!(file_len(&path), committed + four.len() as u64);
    drop(s);
    let s = Store::open(dir.path()).unwrap();
    let nodes: Vec<u8> = s
        .submissions("r")
        .unwrap()
        .iter()
        .map(|x| x.acknowledged as u8)
        .collect();
    assert_eq!(nodes, [1, 2, 4]);
}

/// After a failed commit the submissions stay written (they read, and count) and the next
/// commit makes them durable, as sled did with a batch whose flush failed.
#[test]
fn a_failed_commit_keeps_the_batch_for_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let key = submission_key("r", &[1; 32]);
    {
        let s = Store::open(dir.path()).unwrap();
        s.set_commit_hook(Some(Arc::new(|| Err("fsync failed".into()))));
        let mut b = SubmissionBatch::default();
        b.insert(&key, &sub(1));
        assert!(s.commit_submissions(b).is_err());
        assert_eq!(s.submission(&key).unwrap(), Some(sub(1)));
        assert_eq!(s.submission_count("r"), 1);
        assert!(!log_path(dir.path(), "r").exists());
        s.set_commit_hook(None);
        s.commit().unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.submission(&key).unwrap(), Some(sub(1)));
}

/// A committed frame that the disk lost or altered (a flipped byte, a cut-off end), or a
/// committed end that sled lost, and the aggregator refuses to start because the store holds
/// fewer submissions than acknowledged; the file is left as it is for the analysis, and with
/// its bytes (or sled's end) put back everything reads again.
#[test]
fn an_acknowledged_record_that_is_damaged_is_refused_at_open() {
    use crate::aggregator::{KEY_FILE, STORE_DIR};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    sovbench_core::envelope::Identity::create_file(&data.join(KEY_FILE)).unwrap();
    let store = data.join(STORE_DIR);
    {
        let s = Store::open(&store).unwrap();
        let open = RoundState {
            status: RoundStatus::Open,
            closed_at: None,
            abandoned: None,
        };
        s.put_round("r", &pb::SignedMessage::default(), &open)
            .unwrap();
        let mut log = AckLog::open(data, &s, &Default::default()).unwrap();
        let seq = log.take_seq();
        let mut b = SubmissionBatch::default();
        for i in 1..=3u8 {
            let x = StoredSubmission { seq, ..sub(i) };
            log.count("r", &acks::signature_hash(&x.message).unwrap());
            b.insert(&submission_key("r", &[i; 32]), &x);
        }
        s.commit_submissions(b).unwrap();
        log.acknowledge(seq, ["r".to_string()].iter()).unwrap();
    }
    drop(Aggregator::open(data).unwrap());
    let path = log_path(&store, "r");
    let good = std::fs::read(&path).unwrap();
    let refused = |bytes: &[u8], holds: usize| {
        std::fs::write(&path, bytes).unwrap();
        let e = Aggregator::open(data).unwrap_err();
        assert!(matches!(e, AggError::StoreDamaged { .. }), "{e}");
        let want = format!("the store holds {holds} submissions, 3 were acknowledged");
        assert!(e.to_string().contains(&want), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "evidence changed");
    };
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 5] ^= 0xff;
    refused(&flipped, 2);
    refused(&good[..n - 5], 2);
    let end = {
        let s = Store::open(&store).unwrap();
        let end = s.submission_ends.remove("r").unwrap().unwrap();
        s.commit().unwrap();
        end
    };
    refused(&good, 0);
    {
        let s = Store::open(&store).unwrap();
        s.submission_ends.insert("r", end).unwrap();
        s.commit().unwrap();
    }
    let agg = Aggregator::open(data).unwrap();
    assert!(agg.submission_stored("r", &[3; 32]).unwrap());
}

/// A record file without a committed end is no damage when the store knows its round (a crash
/// during the round's first commit, between the file's `fsync` and sled's: nothing of it was
/// acknowledged), and damage when it does not (sled's files deleted or restored without it),
/// for plain and hex-named files alike; a file missing before its committed end is damage too.
/// Old behaviour caught: an unknown round's file was ignored and a missing one only logged.
#[test]
fn record_files_without_a_known_round_or_missing_ones_are_damage() {
    let dir = tempfile::tempdir().unwrap();
    let open = RoundState {
        status: RoundStatus::Open,
        closed_at: None,
        abandoned: None,
    };
    {
        let s = Store::open(dir.path()).unwrap();
        s.put_round("r", &pb::SignedMessage::default(), &open)
            .unwrap();
        let mut b = SubmissionBatch::default();
        b.insert(&submission_key("r", &[1; 32]), &sub(1));
        s.commit_submissions(b).unwrap();
        s.submission_ends.remove("r").unwrap();
        s.commit().unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert!(s.damage().is_empty());
    assert_eq!(s.submission_count("r"), 0);
    drop(s);
    let copy = |round: &str, name: &str| {
        let to = dir.path().join(logs::DIR).join(name);
        std::fs::copy(log_path(dir.path(), "r"), &to).unwrap();
        logs::Damage {
            round: round.into(),
            path: to,
            problem: logs::RecordProblem::Unknown,
        }
    };
    let plain = copy("r-2026", "r-2026.log");
    let hexed = copy("Runde 1", &format!("+{}.log", hex::encode("Runde 1")));
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.damage(), &[hexed.clone(), plain.clone()]);
    std::fs::remove_file(&plain.path).unwrap();
    std::fs::remove_file(&hexed.path).unwrap();
    // A committed end without its file.
    s.submission_ends
        .insert("r", &100u64.to_be_bytes()[..])
        .unwrap();
    s.commit().unwrap();
    drop(s);
    std::fs::remove_file(log_path(dir.path(), "r")).unwrap();
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(
        s.damage(),
        &[logs::Damage {
            round: "r".into(),
            path: log_path(dir.path(), "r"),
            problem: logs::RecordProblem::Missing { committed: 100 },
        }]
    );
}

#[test]
fn enrolments_are_compact_and_old_json_ones_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    let key = sovbench_core::envelope::Identity::generate()
        .unwrap()
        .0
        .public_key()
        .to_vec();
    let e = crate::model::Enrolment {
        public_key: sovbench_core::envelope::b64(&key),
        fingerprint: sovbench_core::envelope::fingerprint(&key),
        name: "Gemeinde Musterhausen".into(),
        attributes: CohortAttributes {
            kind: Kind::Gemeinde,
            state: "DE-SH".into(),
            size: SizeClass::Pop5kTo20k,
        },
        size: 12_400,
        enrolled_at: 1_790_000_000,
        revoked_at: Some(1_790_100_000),
    };
    // Written by an earlier version as JSON.
    s.enrolments
        .insert(&key, serde_json::to_vec(&e).unwrap())
        .unwrap();
    assert_eq!(s.enrolment(&key).unwrap(), Some(e.clone()));
    // Written now: key and fingerprint follow from the record's key, the rest is compact.
    s.put_enrolment(&key, &e).unwrap();
    assert_eq!(s.enrolment(&key).unwrap(), Some(e.clone()));
    assert_eq!(s.enrolments().unwrap(), vec![e.clone()]);
    let stored = s.enrolments.get(&key).unwrap().unwrap();
    // The name, the attribute keys (8 + 5 + 6 here), three numbers and the field tags.
    assert!(stored.len() <= e.name.len() + 45, "{} bytes", stored.len());
    assert!(stored.len() * 4 < serde_json::to_vec(&e).unwrap().len());
}

#[test]
fn submissions_are_scoped_by_round_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        let mut b = SubmissionBatch::default();
        b.insert(&submission_key("r1", &[1; 32]), &sub(1));
        b.insert(&submission_key("r1", &[2; 32]), &sub(2));
        b.insert(&submission_key("r10", &[1; 32]), &sub(3));
        s.commit_submissions(b).unwrap();
        let st = RoundState {
            status: RoundStatus::Open,
            closed_at: None,
            abandoned: None,
        };
        s.put_round("r1", &pb::SignedMessage::default(), &st)
            .unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.submissions("r1").unwrap().len(), 2);
    assert_eq!(s.submissions("r10").unwrap().len(), 1);
    assert_eq!(s.submission_count("r1"), 2);
    assert_eq!(
        s.submission(&submission_key("r1", &[2; 32])).unwrap(),
        Some(sub(2))
    );
    assert_eq!(s.round_states().unwrap()[0].1.status, RoundStatus::Open);
}

#[test]
fn a_second_open_is_refused_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _a = Store::open(dir.path()).unwrap();
    match Store::open(dir.path()) {
        Err(AggError::Locked(_)) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
}
