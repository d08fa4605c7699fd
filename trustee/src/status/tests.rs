use super::*;

fn trustee(dir: &Path) -> Trustee {
    let (id, _) = sovbench_core::envelope::Identity::generate().expect("key");
    Trustee::init(
        dir,
        "http://127.0.0.1:7700",
        &envelope::b64(id.public_key()),
    )
    .expect("init")
}

/// A pass with nothing to do is counted as idle, not as an error; an error counts, and the
/// errors in a row start again after a pass that did not fail. Old behaviour: idle passes were
/// counted nowhere on the trustee and as `not_found` refusals on the aggregator.
#[test]
fn idle_passes_are_no_errors() {
    let mut s = ServeState::started(Duration::from_secs(30), 100);
    s.count(&Ok(Work::Idle), 130);
    s.count(&Ok(Work::Idle), 160);
    assert_eq!((s.passes, s.idle, s.errors), (2, 2, 0));
    assert_eq!(s.last_outcome, Some(Outcome::Idle));
    let unreachable = TrusteeError::Unreachable {
        url: "http://127.0.0.1:1".into(),
        reason: "connection refused".into(),
    };
    s.count(&Err(unreachable), 190);
    s.count(
        &Err(TrusteeError::Unreachable {
            url: "http://127.0.0.1:1".into(),
            reason: "connection refused".into(),
        }),
        220,
    );
    assert_eq!((s.errors, s.errors_in_a_row), (2, 2));
    assert!(s
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("connection refused")));
    s.count(&Ok(Work::Noise { round: "r1".into() }), 250);
    assert_eq!(
        (s.worked, s.errors_in_a_row, s.last_work_at),
        (1, 0, Some(250))
    );
    assert_eq!((s.passes, s.idle, s.errors, s.updated_at), (5, 2, 2, 250));
    s.stopped(260);
    assert!(!s.running);
    assert_eq!(s.stopped_at, Some(260));
}

/// `status` reads the store when it is free, and `serve`'s status file while another process
/// (here another handle in this process) holds the store and the file says `serve` runs; a
/// file that says running while the store is free is from a `serve` that was killed. With the
/// store held and no running `serve` in the file, the lock is the error.
#[test]
fn status_reads_the_store_or_serve_s_file_while_serve_holds_the_store() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("t");
    let t = trustee(&dir);
    let fresh = read_in_process(&dir, t);
    assert_eq!(fresh.read_from, ReadFrom::Store);
    assert!(fresh.serve.is_none());

    let t = Trustee::open(&dir).expect("open");
    let mut state = ServeState::started(Duration::from_secs(5), 1_000);
    state.count(&Ok(Work::Idle), 1_005);
    t.write_serve_status(&state).expect("write");
    // `t` holds the store, as `serve` does.
    let beside = read(&dir).expect("status beside serve");
    assert_eq!(beside.read_from, ReadFrom::ServeStatusFile);
    assert_eq!(beside.serve.as_ref(), Some(&state));
    assert_eq!(beside.public_key, fresh.public_key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join(STATUS_FILE))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Killed: the file still says running, but the store is free.
    let after = read_in_process(&dir, t);
    assert_eq!(after.read_from, ReadFrom::Store);
    let s = after.serve.expect("serve's last state");
    assert!(!s.running && s.stopped_at.is_none());
    assert_eq!(s.passes, 1);

    // Stopped cleanly, then another holder (dkg): the lock is the error.
    let t = Trustee::open(&dir).expect("open");
    state.stopped(1_010);
    t.write_serve_status(&state).expect("write");
    assert!(matches!(
        read(&dir),
        Err(TrusteeError::Store(KvError::Locked(_)))
    ));
    drop(t);
}

/// `read` after dropping `t`; sled's threads may hold the lock a moment after the last handle is
/// gone (in this process only), so this waits for them as `Trustee::open` does.
fn read_in_process(dir: &Path, t: Trustee) -> TrusteeStatus {
    drop(t);
    read_waiting(dir, Duration::from_secs(2)).expect("status")
}
