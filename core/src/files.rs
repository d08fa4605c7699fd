//! Writing files so that a crash leaves either the old or the new content, never a mix.

use std::io::Write as _;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file beside it, `fsync`, rename, then
/// `fsync` of the directory so that the rename itself survives a power loss. The error names
/// the file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |tmp| {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(bytes)?;
        Ok(f)
    })
}

/// [`write_atomically`] with the temporary file created and filled by `create` (which decides
/// its mode, see [`crate::private::write_private`]).
pub(crate) fn write_atomically_with(
    path: &Path,
    create: impl FnOnce(&Path) -> std::io::Result<std::fs::File>,
) -> std::io::Result<()> {
    let named =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let f = create(&tmp).map_err(named)?;
    f.sync_all().map_err(named)?;
    std::fs::rename(&tmp, path).map_err(named)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Directories can be opened read-only and synced on Unix; elsewhere this is best effort.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("bericht.json");
        write_atomically(&p, b"first, longer content").expect("write");
        write_atomically(&p, b"second").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(names.len(), 1);
        let err = write_atomically(&dir.path().join("missing/x"), b"").expect_err("no dir");
        assert!(err.to_string().contains("missing/x"), "{err}");
    }
}
