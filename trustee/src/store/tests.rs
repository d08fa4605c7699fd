use std::collections::BTreeMap;

use sovbench_secure::committee;

use super::*;
use crate::model::Phase;

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

fn record(round: &str) -> RoundRecord {
    RoundRecord {
        round_id: round.into(),
        round_params_hash: vec![1; 32],
        noise_announcement: vec![2, 3],
        noise_announcement_sha256: [4; 32],
        cells: BTreeMap::new(),
        noise_message: vec![5; 10],
        noise_acknowledged: false,
        decrypt_announcement_sha256: None,
        decryption_message: None,
        decryption_acknowledged: false,
        checked_at: 1,
    }
}

#[cfg(unix)]
#[test]
fn the_store_folder_is_0700_and_every_file_in_it_0600() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let s = Store::open(&path).expect("open");
    s.put_round(&record("r1")).expect("put");
    assert_eq!(mode(&path), 0o700);
    let mut files = 0;
    for e in std::fs::read_dir(&path).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_file() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
            files += 1;
        }
    }
    assert!(files > 0, "sled wrote no files");
}

#[test]
fn everything_stored_is_there_after_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = rand::rngs::OsRng;
    let (c, shares) = committee::deal_for_tests(5, 3, &mut rng).expect("committee");
    let m = Membership {
        ceremony: "c1".into(),
        index: 2,
        committee: c.to_bytes(),
        fingerprint: c.fingerprint(),
        trustee_keys: vec![vec![7; 32]; 5],
        threshold: 3,
        size: 5,
    };
    {
        let s = Store::open(dir.path()).expect("open");
        assert!(s.membership().expect("read").is_none());
        s.put_committee(&m, &shares[2]).expect("committee");
        let mut r = record("2026-q1");
        r.decrypt_announcement_sha256 = Some([9; 32]);
        s.put_round(&r).expect("round");
        s.put_refusal(
            &[8; 32],
            &Refusal {
                round_id: "2026-q2".into(),
                reason: "cell x below k".into(),
                at: 5,
            },
        )
        .expect("refusal");
    }
    let s = Store::open(dir.path()).expect("reopen");
    let back = s.membership().expect("read").expect("membership");
    assert_eq!(back.fingerprint, c.fingerprint());
    assert_eq!(back.index, 2);
    let share = s.key_share().expect("read").expect("share");
    assert_eq!(share.index(), 2);
    assert_eq!(share.key_set().shared_key(), c.key());
    let r = s.round("2026-q1").expect("read").expect("round");
    assert_eq!(r.decrypt_announcement_sha256, Some([9; 32]));
    assert_eq!(r.phase(), Phase::Decrypting);
    assert_eq!(s.rounds().expect("all").len(), 1);
    assert_eq!(
        s.refusal(&[8; 32]).expect("read").map(|r| r.reason),
        Some("cell x below k".to_string())
    );
    assert!(s.refusal(&[0; 32]).expect("read").is_none());
}

#[test]
fn a_second_open_is_refused_as_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = Store::open(dir.path()).expect("open");
    match Store::open(dir.path()) {
        Err(TrusteeError::Store(kv::KvError::Locked(p))) => assert_eq!(p, dir.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
}
