//! Data at rest (issue 19, item 12): the node's store holds plaintext scores, population and
//! inventory, the aggregator's names and populations, the trustee's key share. Under the usual
//! umask 022, every data directory the three libraries make is 0700 and every file in it 0600
//! (the binaries also set the umask to 077); a loosened directory is private again at the next
//! start.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use sovbench_core::private::set_umask;
use sovbench_node::{round, Node};
use sovbench_tests::Harness;
use sovbench_trustee::trustee::Trustee;

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// Every entry below `dir` (itself included) whose mode is not 0700 (directories) or 0600
/// (files), with its mode; and how many entries were looked at.
fn not_private(dir: &Path) -> (Vec<(PathBuf, String)>, usize) {
    let mut wrong = Vec::new();
    let mut seen = 0;
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        seen += 1;
        let meta = std::fs::symlink_metadata(&p).expect("metadata");
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode(&p) != want {
            wrong.push((p.clone(), format!("{:04o}", mode(&p))));
        }
        if meta.is_dir() {
            for e in std::fs::read_dir(&p).expect("dir") {
                todo.push(e.expect("entry").path());
            }
        }
    }
    (wrong, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_data_directory_is_0700_and_every_file_0600_under_umask_022() {
    // The umask is the process's: other tests running meanwhile get the common default too.
    let before = set_umask(0o022);
    let mut h = Harness::start().await;
    h.open_round("2027-q1", 1.0, 1, 2);
    let node = h.node("gemeinde", "DE-SH", 8_000, [3, 2, 4, 1, 2]);
    round::submit(&node).await.expect("submit");
    let trustee_dir = h.tmp.path().join("trustee");
    let trustee = Trustee::init(&trustee_dir, &h.url(), &h.key()).expect("trustee");
    // Files made after the start: a check that a file the umask would leave 0644 is not.
    let probe = h.tmp.path().join("probe");
    std::fs::write(&probe, "x").expect("write");
    set_umask(before);
    assert_eq!(mode(&probe), 0o644, "the umask was 022");

    for dir in [
        node.dir().to_path_buf(),
        h.agg_dir.clone(),
        trustee_dir.clone(),
    ] {
        let (wrong, seen) = not_private(&dir);
        assert!(wrong.is_empty(), "{}: {wrong:?}", dir.display());
        assert!(seen > 5, "{}: only {seen} entries", dir.display());
    }
    // The aggregator's record of the submission, made while serving, is among them.
    assert!(
        std::fs::read_dir(h.agg_dir.join("store/submissions"))
            .expect("record files")
            .count()
            > 0
    );
    drop(trustee);

    // Loosened (by hand, or restored from a backup): private again when the node next opens.
    let dir = node.dir().to_path_buf();
    drop(node);
    for (p, m) in [(dir.clone(), 0o755), (dir.join("node.toml"), 0o644)] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).expect("chmod");
    }
    std::fs::set_permissions(
        dir.join("store").join("db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let node = Node::open(&dir).expect("open");
    let (wrong, _) = not_private(node.dir());
    assert!(wrong.is_empty(), "{wrong:?}");
    h.stop().await;
}
