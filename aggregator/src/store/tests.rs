use super::*;
use crate::model::RoundStatus;
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

/// Records of older versions (JSON, bytes as arrays of numbers, the whole receipt) still
/// read; new records take little more than the received bytes.
#[test]
fn old_json_records_read_and_new_ones_are_compact() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
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
    s.submissions
        .insert(&key, serde_json::to_vec(&json).unwrap())
        .unwrap();
    assert_eq!(s.submission(&key).unwrap(), Some(old));
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
    // A record whose signer is not the key's keeps the whole envelope.
    let other = submission_key("r", &[7; 32]);
    assert_eq!(
        decode_submission(&other, &encode_submission(&other, &new)).unwrap(),
        expected
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
