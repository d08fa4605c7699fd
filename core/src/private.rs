//! Data at rest: the data directories of the three programs hold plaintext they must not show
//! to other accounts (a node's scores, population and inventory; the aggregator's enrolments with
//! names; a trustee's key share). Every data directory is mode 0700 and every file in it 0600,
//! whatever the umask, in three layers:
//!
//! - [`private_umask`]: each binary sets the umask to 077 first thing, so everything the process
//!   creates (sled's files too, and the files it writes on request, such as reports and
//!   exports) is private from the start;
//! - [`secure_data_dir`]: at `init` and every start, the data directory and the entries the
//!   program owns in it are set to 0700/0600, for libraries used without the binary and for
//!   directories made by hand or by older versions; what was accessible to others before is
//!   logged as a warning first (German and English), naming the path and its mode;
//! - [`restrict`] for the stores (called by [`crate::kv::open`]) and [`write_private`] for the
//!   configuration files the programs rewrite.
//!
//! Symbolic links are never followed: a link in a data directory to a file elsewhere (a CA
//! certificate in `/etc`) keeps that file's mode.
//!
//! ```
//! # #[cfg(unix)] {
//! use std::os::unix::fs::PermissionsExt as _;
//! let tmp = tempfile::tempdir().unwrap();
//! let dir = tmp.path().join("daten");
//! sovbench_core::private::create_dir(&dir).unwrap();
//! std::fs::write(dir.join("node.toml"), "").unwrap();
//! sovbench_core::private::secure_data_dir(&dir, &["node.toml"]).unwrap();
//! let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
//! assert_eq!(mode(&dir), 0o700);
//! assert_eq!(mode(&dir.join("node.toml")), 0o600);
//! # }
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Mode of a data directory and of every directory in it.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file in a data directory.
pub const FILE_MODE: u32 = 0o600;
/// The umask that yields [`DIR_MODE`] and [`FILE_MODE`].
pub const PRIVATE_UMASK: u32 = 0o077;

/// Sets the process's umask to `mask` and returns the previous one (Unix; elsewhere nothing
/// happens and 0 is returned).
pub fn set_umask(mask: u32) -> u32 {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_bits_truncate(mask as _)).bits() as u32
    }
    #[cfg(not(unix))]
    {
        let _ = mask;
        0
    }
}

/// Makes everything the process creates from now on private to its account: umask 077. The
/// first call in each program's `main`.
pub fn private_umask() {
    set_umask(PRIVATE_UMASK);
}

/// Creates `dir` (and missing parents) and sets it to [`DIR_MODE`].
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, DIR_MODE)
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Sets `path` to [`DIR_MODE`] (a directory, and everything below it) or [`FILE_MODE`] (a
/// file). Symbolic links are left alone; entries that are private already are not touched.
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let meta = std::fs::symlink_metadata(path)?;
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        let want = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
        if mode_of(&meta) != want {
            set_mode(path, want)?;
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(path)? {
                restrict(&entry?.path())?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A file or directory that others could read (or enter), with the mode it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loose {
    /// The path.
    pub path: PathBuf,
    /// Its permission bits, e.g. `0o755`.
    pub mode: u32,
    /// Whether it is a directory.
    pub dir: bool,
}

/// The entries accessible to group or others: `path` itself, and below it as `depth` says.
#[cfg(unix)]
fn collect(path: &Path, depth: Depth, owned: &[&str], out: &mut Vec<Loose>) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = mode_of(&meta);
    if mode & 0o077 != 0 {
        out.push(Loose {
            path: path.to_path_buf(),
            mode,
            dir: meta.is_dir(),
        });
    }
    if !meta.is_dir() {
        return Ok(());
    }
    match depth {
        Depth::Itself => {}
        Depth::Children => {
            // An entry the program does not own is not exposed while the directory is private.
            let exposed = mode & 0o077 != 0;
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            for p in entries {
                let own = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| owned.contains(&n));
                match (own, exposed) {
                    (true, _) => collect(&p, Depth::All, owned, out)?,
                    (false, true) => collect(&p, Depth::Itself, owned, out)?,
                    (false, false) => {}
                }
            }
        }
        Depth::All => {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            for p in entries {
                collect(&p, Depth::All, owned, out)?;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
#[derive(Debug, Clone, Copy)]
enum Depth {
    Itself,
    Children,
    All,
}

/// What [`secure_data_dir`] would warn about, where accessible to group or others: the data
/// directory `dir` itself, everything at or below the entries named in `owned`, and, while
/// `dir` itself is not private, its other direct entries (once `dir` is 0700 they are no longer
/// exposed, so a file the operator keeps there is not warned about at every start). Empty on
/// systems without Unix permissions.
pub fn loose(dir: &Path, owned: &[&str]) -> std::io::Result<Vec<Loose>> {
    let mut out = Vec::new();
    #[cfg(unix)]
    collect(dir, Depth::Children, owned, &mut out)?;
    #[cfg(not(unix))]
    let _ = (dir, owned);
    Ok(out)
}

/// Warnings at most per data directory; the rest are counted in one more line.
const MAX_WARNINGS: usize = 20;

/// At `init` and at every start: warns about every entry of the data directory `dir` that
/// group or others could read ([`loose`]), then sets `dir` to [`DIR_MODE`] and every entry named
/// in `owned` (the key, the configuration, the store) to [`DIR_MODE`]/[`FILE_MODE`], recursively.
/// Other entries (files the operator put there) are protected by the directory's mode and only
/// warned about, never changed. Returns what was loose.
pub fn secure_data_dir(dir: &Path, owned: &[&str]) -> std::io::Result<Vec<Loose>> {
    let found = loose(dir, owned)?;
    for l in found.iter().take(MAX_WARNINGS) {
        let owned_entry = l.path == dir
            || l.path
                .strip_prefix(dir)
                .ok()
                .and_then(|rel| rel.components().next())
                .and_then(|c| c.as_os_str().to_str())
                .is_some_and(|n| owned.contains(&n));
        let (now_en, now_de) = match (owned_entry, l.dir) {
            (true, true) => ("now 0700", "jetzt 0700"),
            (true, false) => ("now 0600", "jetzt 0600"),
            (false, _) => (
                "left as it is; the data directory is 0700 now",
                "unverändert; das Datenverzeichnis ist jetzt 0700",
            ),
        };
        let (what_en, what_de) = match (l.path == dir, l.dir) {
            (true, _) => ("the data directory", "Das Datenverzeichnis"),
            (false, true) => (
                "a directory in the data directory",
                "Ein Verzeichnis im Datenverzeichnis",
            ),
            (false, false) => (
                "a file in the data directory",
                "Eine Datei im Datenverzeichnis",
            ),
        };
        tracing::warn!(
            path = %l.path.display(),
            mode = %format!("{:04o}", l.mode),
            de = %format!(
                "{what_de} war für andere Konten zugänglich (Modus {:04o}); {now_de}",
                l.mode
            ),
            "{what_en} was accessible to other accounts (mode {:04o}); {now_en}",
            l.mode
        );
    }
    if found.len() > MAX_WARNINGS {
        tracing::warn!(
            dir = %dir.display(),
            more = found.len() - MAX_WARNINGS,
            de = "weitere Einträge im Datenverzeichnis waren für andere Konten zugänglich",
            "more entries in the data directory were accessible to other accounts"
        );
    }
    set_mode(dir, DIR_MODE)?;
    for name in owned {
        let p = dir.join(name);
        if std::fs::symlink_metadata(&p).is_ok() {
            restrict(&p)?;
        }
    }
    Ok(found)
}

/// [`crate::files::write_atomically`] for a file of a data directory: the new file is
/// [`FILE_MODE`] whatever the umask (configuration files the programs rewrite, `serve.addr`).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::files::write_atomically_with(path, |tmp| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(FILE_MODE);
        }
        let mut f = opts.open(tmp)?;
        // An existing temporary file keeps its mode: set it.
        set_mode(tmp, FILE_MODE)?;
        f.write_all(bytes)?;
        Ok(f)
    })
}

#[cfg(all(test, unix))]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    fn mode(p: &Path) -> u32 {
        mode_of(&std::fs::symlink_metadata(p).expect("metadata"))
    }

    /// A tracing subscriber that writes into a buffer, for the warnings.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(f: impl FnOnce()) -> String {
        let buf = Buffer::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buf.0.lock().expect("buffer").clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn a_data_directory_made_under_umask_022_ends_0700_with_files_0600() {
        let old = set_umask(0o022);
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("node");
        create_dir(&dir).expect("create");
        std::fs::write(dir.join("node.key"), "k").expect("write");
        std::fs::create_dir_all(dir.join("store/blobs")).expect("store");
        std::fs::write(dir.join("store/db"), "d").expect("write");
        std::fs::write(dir.join("store/blobs/1"), "b").expect("write");
        write_private(&dir.join("node.toml"), b"x = 1\n").expect("write");
        assert_eq!(mode(&dir.join("node.key")), 0o644, "the umask applies");
        assert_eq!(mode(&dir.join("node.toml")), 0o600, "written private");
        let found = logged(|| {
            secure_data_dir(&dir, &["node.key", "node.toml", "store"]).expect("secure");
        });
        set_umask(old);
        for p in ["", "store", "store/blobs"] {
            assert_eq!(mode(&dir.join(p)), 0o700, "{p}");
        }
        for p in ["node.key", "node.toml", "store/db", "store/blobs/1"] {
            assert_eq!(mode(&dir.join(p)), 0o600, "{p}");
        }
        // What was 0644/0755 was warned about (the directory made by create_dir was not loose).
        assert!(found.contains("WARN"), "{found}");
        assert!(found.contains("store/blobs/1"), "{found}");
        assert!(!found.contains("node.toml"), "{found}");
    }

    #[test]
    fn a_loosened_directory_is_warned_about_in_both_languages_and_tightened() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("aggregator");
        create_dir(&dir).expect("create");
        std::fs::write(dir.join("aggregator.key"), "k").expect("write");
        restrict(&dir).expect("restrict");
        assert!(loose(&dir, &["aggregator.key"]).expect("loose").is_empty());
        // Nothing loose: no warning.
        let quiet = logged(|| {
            secure_data_dir(&dir, &["aggregator.key"]).expect("secure");
        });
        assert!(quiet.is_empty(), "{quiet}");

        set_mode(&dir, 0o755).expect("chmod");
        std::fs::write(dir.join("notiz.txt"), "n").expect("write");
        set_mode(&dir.join("notiz.txt"), 0o644).expect("chmod");
        let text = logged(|| {
            let found = secure_data_dir(&dir, &["aggregator.key"]).expect("secure");
            assert_eq!(found.len(), 2, "{found:?}");
        });
        assert!(text.contains("WARN"), "{text}");
        assert!(text.contains(&dir.display().to_string()), "{text}");
        assert!(text.contains("0755") && text.contains("now 0700"), "{text}");
        assert!(text.contains("für andere Konten zugänglich"), "{text}");
        assert_eq!(mode(&dir), 0o700);
        // A file the program does not own is warned about, not changed.
        assert!(
            text.contains("notiz.txt") && text.contains("left as it is"),
            "{text}"
        );
        assert_eq!(mode(&dir.join("notiz.txt")), 0o644);
        // Once the directory is private the file is no longer exposed: no warning at the next
        // start.
        assert!(loose(&dir, &["aggregator.key"]).expect("loose").is_empty());
    }

    #[test]
    fn symbolic_links_are_not_followed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let outside = tmp.path().join("ca.pem");
        std::fs::write(&outside, "pem").expect("write");
        set_mode(&outside, 0o644).expect("chmod");
        let dir = tmp.path().join("trustee");
        create_dir(&dir).expect("create");
        std::os::unix::fs::symlink(&outside, dir.join("ca.pem")).expect("link");
        secure_data_dir(&dir, &["ca.pem"]).expect("secure");
        restrict(&dir).expect("restrict");
        assert_eq!(mode(&outside), 0o644);
    }
}
