//! What a real `serve` process warns about as it starts (issue 19): a data directory that other
//! accounts could read (made private).

use std::path::Path;

use crate::harness::{init, Serving};

#[cfg(unix)]
#[test]
fn a_data_directory_others_can_read_is_warned_about_and_made_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    let (_tmp, dir) = init();
    assert_eq!(mode(&dir), 0o700, "init makes it private");
    assert_eq!(mode(&dir.join("aggregator.key")), 0o600);
    // An operator (or a restore from a backup) loosens it.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(dir.join("store/db"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let srv = Serving::start(&dir);
    // One warning per entry, each naming it, its old mode and what it is now, in both languages.
    let dir_line = srv.log_lines_with("WARN", "\"message\":\"the data directory was accessible");
    assert_eq!(dir_line.len(), 1, "{dir_line:?}");
    assert!(
        dir_line[0].contains("(mode 0755); now 0700")
            && dir_line[0].contains("Datenverzeichnis war"),
        "{}",
        dir_line[0]
    );
    let file_line = srv.log_lines_with("WARN", "store/db");
    assert_eq!(file_line.len(), 1, "{file_line:?}");
    assert!(
        file_line[0].contains("(mode 0644); now 0600")
            && file_line[0].contains("für andere Konten zugänglich"),
        "{}",
        file_line[0]
    );
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("store/db")), 0o600);
    // SIGTERM within milliseconds of "serving" (it was lost before the handlers were registered
    // up front).
    assert_eq!(srv.stop().code(), Some(0));
}
