//! The helpers both stores share over the storage engine (sled): opening with lock detection,
//! typed JSON and protobuf values, and a durable commit. Each crate's `store.rs` builds its typed
//! accessors on these; no other module names the engine.

use std::path::{Path, PathBuf};

use prost::Message as _;
use serde::{de::DeserializeOwned, Serialize};

use crate::pb;

pub use sled::{Batch, Db, Tree};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// Another process holds the store.
    #[error("store {0} is in use by another process")]
    Locked(PathBuf),
    /// The engine failed (I/O, corruption).
    #[error("storage: {0}")]
    Engine(String),
    /// A stored value does not decode.
    #[error("stored value does not decode: {0}")]
    Decode(String),
}

impl From<sled::Error> for KvError {
    fn from(e: sled::Error) -> Self {
        KvError::Engine(e.to_string())
    }
}

impl From<serde_json::Error> for KvError {
    fn from(e: serde_json::Error) -> Self {
        KvError::Decode(e.to_string())
    }
}

impl From<prost::DecodeError> for KvError {
    fn from(e: prost::DecodeError) -> Self {
        KvError::Decode(e.to_string())
    }
}

fn is_lock_error(e: &sled::Error) -> bool {
    let text = e.to_string();
    text.contains("could not acquire lock")
        || text.contains("WouldBlock")
        || text.contains("temporarily unavailable")
}

/// Opens (or creates) a sled database in `path` with a cache of `cache_bytes` and no background
/// flusher (every write is followed by an explicit [`commit`]). Retries for up to two seconds
/// while the file lock is still held: sled's I/O threads of a just-dropped handle in this process
/// may keep the lock for a moment after the last handle is gone.
///
/// The store's folder and every file in it are then set to 0700/0600 ([`crate::private`]):
/// sled creates its files with the process's umask.
pub fn open(path: &Path, cache_bytes: u64) -> Result<Db, KvError> {
    open_waiting(path, cache_bytes, std::time::Duration::from_secs(2))
}

/// [`open`], retrying for `wait` (instead of two seconds) while the lock is held: a command that
/// has something else to show when another process holds the store (the trustee's `status`
/// beside `serve`) need not wait long.
pub fn open_waiting(
    path: &Path,
    cache_bytes: u64,
    wait: std::time::Duration,
) -> Result<Db, KvError> {
    let db = open_engine(path, cache_bytes, wait)?;
    crate::private::restrict(path)
        .map_err(|e| KvError::Engine(format!("making {} private: {e}", path.display())))?;
    Ok(db)
}

fn open_engine(path: &Path, cache_bytes: u64, wait: std::time::Duration) -> Result<Db, KvError> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(cache_bytes)
        .flush_every_ms(None);
    let deadline = std::time::Instant::now() + wait;
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(e) if is_lock_error(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) if is_lock_error(&e) => return Err(KvError::Locked(path.to_path_buf())),
            Err(e) => {
                return Err(KvError::Engine(format!("open {}: {e}", path.display())));
            }
        }
    }
}

/// Makes everything written so far durable: sled flush, then `fsync` of the data file. sled
/// 0.34's flush only issues `sync_file_range`, which survives a killed process but neither
/// flushes the drive's write cache nor the file's metadata.
pub fn commit(db: &Db, path: &Path) -> Result<(), KvError> {
    db.flush()?;
    std::fs::File::open(path.join("db"))
        .and_then(|f| f.sync_all())
        .map_err(|e| KvError::Engine(format!("fsync {}: {e}", path.display())))
}

/// The store's data file, opened once and kept open, so that a durable commit never needs a free
/// descriptor (a server out of descriptors under a flood of connections still commits).
#[derive(Debug)]
pub struct DataFile {
    file: std::fs::File,
    path: PathBuf,
}

impl DataFile {
    /// Opens the data file of the sled store in `path` (after [`open`]).
    pub fn open(path: &Path) -> Result<DataFile, KvError> {
        let file = path.join("db");
        std::fs::File::open(&file)
            .map(|f| DataFile {
                file: f,
                path: path.to_path_buf(),
            })
            .map_err(|e| KvError::Engine(format!("open {}: {e}", file.display())))
    }
}

/// [`commit`] with the data file kept open.
pub fn commit_file(db: &Db, data: &DataFile) -> Result<(), KvError> {
    db.flush()?;
    data.file
        .sync_all()
        .map_err(|e| KvError::Engine(format!("fsync {}: {e}", data.path.display())))
}

/// A JSON value.
pub fn get_json<T: DeserializeOwned>(tree: &Tree, key: &[u8]) -> Result<Option<T>, KvError> {
    match tree.get(key)? {
        Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
        None => Ok(None),
    }
}

/// Every JSON value of a tree, in key order.
pub fn all_json<T: DeserializeOwned>(tree: &Tree) -> Result<Vec<T>, KvError> {
    tree.iter()
        .values()
        .map(|v| Ok(serde_json::from_slice(&v?)?))
        .collect()
}

/// Stores a JSON value.
pub fn put_json<T: Serialize>(tree: &Tree, key: &[u8], value: &T) -> Result<(), KvError> {
    tree.insert(key, serde_json::to_vec(value)?)?;
    Ok(())
}

/// A stored signed message (protobuf).
pub fn get_msg(tree: &Tree, key: &[u8]) -> Result<Option<pb::SignedMessage>, KvError> {
    match tree.get(key)? {
        Some(v) => Ok(Some(pb::SignedMessage::decode(v.as_ref())?)),
        None => Ok(None),
    }
}

/// Stores a signed message as protobuf bytes.
pub fn put_msg(tree: &Tree, key: &[u8], msg: &pb::SignedMessage) -> Result<(), KvError> {
    tree.insert(key, msg.encode_to_vec())?;
    Ok(())
}

/// A key of two parts: `a`, a zero byte, `b`.
pub fn pair_key(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + 1 + b.len());
    k.extend_from_slice(a);
    k.push(0);
    k.extend_from_slice(b);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_bad_values_are_decode_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(dir.path(), 1 << 20).expect("open");
        let t = db.open_tree("t").expect("tree");
        put_json(&t, &pair_key(b"a", b"b"), &vec![1u32, 2]).expect("put");
        put_json(&t, b"z", &vec![3u32]).expect("put");
        commit(&db, dir.path()).expect("commit");
        assert_eq!(
            get_json::<Vec<u32>>(&t, b"a\0b").expect("get"),
            Some(vec![1, 2])
        );
        assert_eq!(all_json::<Vec<u32>>(&t).expect("all").len(), 2);
        t.insert(b"bad", b"{".to_vec()).expect("insert");
        assert!(matches!(
            get_json::<Vec<u32>>(&t, b"bad"),
            Err(KvError::Decode(_))
        ));
        assert!(matches!(get_msg(&t, b"missing"), Ok(None)));
    }
}
