//! Submissions in append-only record files, one per round, in `submissions/` inside the store's
//! folder; sled's page log costs 2.5-3× the data it holds, a plain file 41 bytes per record
//! (the node's key, a length and a checksum; format in `store/logs/frames.rs`).
//!
//! A later frame for the same key replaces an earlier one. [`Logs::write_pending`] appends every
//! staged record, `fsync`s the file (and the folder when it created the file) and returns each
//! round's new *committed end*, which the store keeps in sled and makes durable before anything
//! is acknowledged. At open ([`Logs::load`]) the files are scanned and only frames that end at or
//! before the committed end are indexed (in memory: round, node key, position):
//!
//! - a frame a crash cut short, or one that fails its checksum, after the committed end was never
//!   acknowledged: it is cut off at open;
//! - whole frames after the committed end (written, but their commit did not finish; or sled lost
//!   the end) are not indexed but left in place until the round's next append, which only a
//!   started aggregator makes, i.e. after `acks::verify` found nothing acknowledged missing;
//! - a damaged frame before the committed end (the disk lost committed data) is left as it is:
//!   the index ends before it, and the aggregator refuses to start ([`Logs::damage`]), with the
//!   evidence still on disk. It knows the committed end from sled, so it refuses without
//!   `acks.log` too (which, when present, names the acknowledged count first);
//! - a missing file whose round has a committed end is damage of the same kind;
//! - a file of a round that has no committed end is listed as well ([`Logs::unlisted`]): the
//!   store refuses it when it does not know the round either (sled's files deleted or restored
//!   without the record files), instead of starting empty and ignoring it. A known round without
//!   a committed end is a crash during the round's first commit: nothing of it was acknowledged.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::AggError;

mod frames;
use frames::{file_name, header, push_frame, scan, Loc};
pub use frames::{frame, FRAME_OVERHEAD};

/// Folder of the record files inside the store's folder.
pub const DIR: &str = "submissions";
/// "Unknown": the file's length must be set before the next append.
const UNKNOWN: u64 = u64::MAX;

/// One round's file, its index and what is staged for it.
#[derive(Debug)]
struct RoundLog {
    path: PathBuf,
    file: Option<Arc<File>>,
    /// End of the indexed frames: the next append goes here (0: the header is still to write).
    end: u64,
    /// The file's length on disk ([`UNKNOWN`] when not known).
    disk_len: u64,
    /// Whether the folder was `fsync`ed since this process created or opened the file.
    entry_synced: bool,
    /// Whether `end` moved since the store last saved it.
    unsaved: bool,
    index: BTreeMap<Vec<u8>, Loc>,
    /// Staged records (readable at once, durable after the next [`Logs::write_pending`]).
    pending: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl RoundLog {
    fn new(path: PathBuf) -> RoundLog {
        RoundLog {
            path,
            file: None,
            end: 0,
            disk_len: UNKNOWN,
            entry_synced: false,
            unsaved: false,
            index: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }
}

/// What is wrong with a round's record file at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordProblem {
    /// The file reads only up to byte `readable`; `committed` bytes were made durable.
    Damaged {
        /// Where the valid frames end.
        readable: u64,
        /// The committed end sled holds.
        committed: u64,
    },
    /// The file is missing; `committed` bytes were made durable.
    Missing {
        /// The committed end sled holds.
        committed: u64,
    },
    /// The file holds records of a round the store does not know.
    Unknown,
}

/// A round's record file that disagrees with the store at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The round (from the file's name for [`RecordProblem::Unknown`]).
    pub round: String,
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: RecordProblem,
}

/// The record files of a store.
#[derive(Debug)]
pub struct Logs {
    dir: PathBuf,
    rounds: RwLock<HashMap<String, RoundLog>>,
    /// Serialises writers; whether the folder's own entry was `fsync`ed by this process.
    writer: Mutex<bool>,
    /// Files damaged or missing before their committed end, found at open.
    damage: Vec<Damage>,
    /// Record files of rounds without a committed end, found at open: round id and file.
    unlisted: Vec<(String, PathBuf)>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> AggError + '_ {
    move |source| AggError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn poisoned<T>(_: T) -> AggError {
    AggError::Storage("submission records: lock poisoned".into())
}

/// `fsync` of a folder, so that a file created in it survives a power loss (Unix; elsewhere a
/// folder cannot be opened for it).
fn sync_dir(dir: &Path) -> Result<(), AggError> {
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(unix)]
fn write_at(f: &File, buf: &[u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, buf, at)
}

#[cfg(windows)]
fn read_at(f: &File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(f, buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut std::mem::take(&mut buf)[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn write_at(f: &File, mut buf: &[u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(f, buf, at)?;
        buf = &buf[n..];
        at += n as u64;
    }
    Ok(())
}

/// Reads a round's file as far as the scan goes; cuts off a damaged tail after the committed end.
/// A file damaged or missing before its committed end is left as it is and returned as damage.
fn load_round(
    dir: &Path,
    round: &str,
    committed: u64,
) -> Result<(RoundLog, Option<RecordProblem>), AggError> {
    let mut log = RoundLog::new(dir.join(file_name(round)));
    let file = match OpenOptions::new().read(true).write(true).open(&log.path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let problem = (committed > 0).then_some(RecordProblem::Missing { committed });
            if problem.is_some() {
                tracing::error!(round, path = %log.path.display(), committed, "submission records missing");
            }
            return Ok((log, problem));
        }
        Err(e) => return Err(io(&log.path)(e)),
    };
    let mut bytes = Vec::new();
    (&file).read_to_end(&mut bytes).map_err(io(&log.path))?;
    log.disk_len = bytes.len() as u64;
    let scan = scan(&bytes, round);
    if let Some(h) = scan.header_len {
        log.end = h;
        for (key, loc, end) in scan.frames {
            if end > committed {
                break;
            }
            log.index.insert(key, loc);
            log.end = end;
        }
    }
    let mut problem = None;
    if scan.valid_end < committed {
        tracing::error!(
            round,
            path = %log.path.display(),
            readable = scan.valid_end,
            committed,
            "submission records damaged before their committed end; left as they are"
        );
        problem = Some(RecordProblem::Damaged {
            readable: scan.valid_end,
            committed,
        });
    } else if scan.valid_end < log.disk_len {
        // A frame a crash cut short, after the committed end: never acknowledged.
        file.set_len(scan.valid_end)
            .and_then(|()| file.sync_all())
            .map_err(io(&log.path))?;
        log.disk_len = scan.valid_end;
    }
    log.file = Some(Arc::new(file));
    Ok((log, problem))
}

/// The round id a record file's name stands for (see `frames::file_name`); a name that is
/// neither form stands for itself.
fn round_of_file(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".log")?;
    Some(match stem.strip_prefix('+') {
        Some(hex) => hex::decode(hex)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| stem.to_string()),
        None => stem.to_string(),
    })
}

/// The record files in `dir` whose round is not among `known`: round id and path.
fn unlisted_files(
    dir: &Path,
    known: &HashMap<String, RoundLog>,
) -> Result<Vec<(String, PathBuf)>, AggError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(round) = round_of_file(&name) {
            if !known.contains_key(&round) && entry.path().is_file() {
                out.push((round, entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One round's share of a write: what to append where.
struct Work {
    round: String,
    path: PathBuf,
    file: Option<Arc<File>>,
    end: u64,
    disk_len: u64,
    entry_synced: bool,
    records: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One round's appended records, durable.
struct Done {
    round: String,
    file: Arc<File>,
    end: u64,
    records: Vec<(Vec<u8>, Loc, Vec<u8>)>,
}

impl Logs {
    /// Opens the record files in `dir` of the rounds given with their committed ends.
    pub fn load(
        dir: &Path,
        committed: impl IntoIterator<Item = (String, u64)>,
    ) -> Result<Logs, AggError> {
        let mut rounds = HashMap::new();
        let mut damage = Vec::new();
        for (round, end) in committed {
            let (log, problem) = load_round(dir, &round, end)?;
            if let Some(problem) = problem {
                damage.push(Damage {
                    round: round.clone(),
                    path: log.path.clone(),
                    problem,
                });
            }
            rounds.insert(round, log);
        }
        let unlisted = unlisted_files(dir, &rounds)?;
        Ok(Logs {
            dir: dir.to_path_buf(),
            rounds: RwLock::new(rounds),
            writer: Mutex::new(false),
            damage,
            unlisted,
        })
    }

    /// Files damaged or missing before their committed end, found at open.
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// Record files of rounds without a committed end, found at open: round id and file.
    pub fn unlisted(&self) -> &[(String, PathBuf)] {
        &self.unlisted
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, HashMap<String, RoundLog>>, AggError> {
        self.rounds.read().map_err(poisoned)
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, HashMap<String, RoundLog>>, AggError> {
        self.rounds.write().map_err(poisoned)
    }

    /// Stages a record: readable at once, written by the next [`Logs::write_pending`].
    pub fn stage(&self, round: &str, key: Vec<u8>, record: Vec<u8>) -> Result<(), AggError> {
        let mut rounds = self.write()?;
        rounds
            .entry(round.to_string())
            .or_insert_with(|| RoundLog::new(self.dir.join(file_name(round))))
            .pending
            .insert(key, record);
        Ok(())
    }

    /// The record stored (or staged) under `key` in `round`.
    pub fn get(&self, round: &str, key: &[u8]) -> Result<Option<Vec<u8>>, AggError> {
        let rounds = self.read()?;
        let Some(log) = rounds.get(round) else {
            return Ok(None);
        };
        if let Some(r) = log.pending.get(key) {
            return Ok(Some(r.clone()));
        }
        match (log.index.get(key), &log.file) {
            (Some(loc), Some(f)) => {
                let mut buf = vec![0; loc.len];
                read_at(f, &mut buf, loc.offset).map_err(io(&log.path))?;
                Ok(Some(buf))
            }
            _ => Ok(None),
        }
    }

    /// Every record of `round` (stored or staged), by node key.
    pub fn all(&self, round: &str) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, AggError> {
        let rounds = self.read()?;
        let Some(log) = rounds.get(round) else {
            return Ok(BTreeMap::new());
        };
        let mut out = BTreeMap::new();
        if let (false, Some(f)) = (log.index.is_empty(), &log.file) {
            let mut region = vec![0; log.end as usize];
            read_at(f, &mut region, 0).map_err(io(&log.path))?;
            for (key, loc) in &log.index {
                let at = loc.offset as usize;
                let record = region.get(at..at + loc.len).ok_or_else(|| {
                    AggError::Storage(format!("{}: index past the end", log.path.display()))
                })?;
                out.insert(key.clone(), record.to_vec());
            }
        }
        for (key, record) in &log.pending {
            out.insert(key.clone(), record.clone());
        }
        Ok(out)
    }

    /// Number of records of `round` (stored or staged).
    pub fn count(&self, round: &str) -> usize {
        let Ok(rounds) = self.read() else {
            return 0;
        };
        rounds.get(round).map_or(0, |log| {
            let staged_only = log.pending.keys().filter(|k| !log.index.contains_key(*k));
            log.index.len() + staged_only.count()
        })
    }

    /// Appends every staged record to its round's file and `fsync`s it (and the folder for a new
    /// file); returns the committed end of every round whose end the store has not saved yet
    /// (save them, then call [`Logs::saved`]). After an error everything staged stays staged.
    pub fn write_pending(&self) -> Result<Vec<(String, u64)>, AggError> {
        let mut dir_synced = self.writer.lock().map_err(poisoned)?;
        let work: Vec<Work> = self
            .read()?
            .iter()
            .filter(|(_, log)| !log.pending.is_empty())
            .map(|(round, log)| Work {
                round: round.clone(),
                path: log.path.clone(),
                file: log.file.clone(),
                end: log.end,
                disk_len: log.disk_len,
                entry_synced: log.entry_synced,
                records: log
                    .pending
                    .iter()
                    .map(|(k, r)| (k.clone(), r.clone()))
                    .collect(),
            })
            .collect();
        let mut done = Vec::with_capacity(work.len());
        let mut failed = None;
        if !work.is_empty() && !*dir_synced {
            // The folder may be new; its entry in the store's folder must survive too.
            sovbench_core::private::create_dir(&self.dir).map_err(io(&self.dir))?;
            sync_dir(self.dir.parent().unwrap_or(Path::new(".")))?;
            *dir_synced = true;
        }
        for w in work {
            let round = w.round.clone();
            match self.append(w) {
                Ok(d) => done.push(d),
                Err(e) => {
                    failed = Some((round, e));
                    break;
                }
            }
        }
        let mut rounds = self.write()?;
        for d in done {
            let Some(log) = rounds.get_mut(&d.round) else {
                continue;
            };
            log.file = Some(d.file);
            log.entry_synced = true;
            log.end = d.end;
            log.disk_len = d.end;
            log.unsaved = true;
            for (key, loc, record) in d.records {
                if log.pending.get(&key) == Some(&record) {
                    log.pending.remove(&key);
                }
                log.index.insert(key, loc);
            }
        }
        if let Some((round, e)) = failed {
            if let Some(log) = rounds.get_mut(&round) {
                log.disk_len = UNKNOWN;
            }
            return Err(e);
        }
        Ok(rounds
            .iter()
            .filter(|(_, log)| log.unsaved)
            .map(|(round, log)| (round.clone(), log.end))
            .collect())
    }

    /// Appends one round's staged records durably.
    fn append(&self, w: Work) -> Result<Done, AggError> {
        let (file, created) = match w.file {
            Some(f) => (f, false),
            None => {
                let mut opts = OpenOptions::new();
                opts.read(true).write(true).create(true).truncate(false);
                // Private whatever the umask (submissions name their nodes' keys).
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(
                    &mut opts,
                    sovbench_core::private::FILE_MODE,
                );
                let f = opts.open(&w.path).map_err(io(&w.path))?;
                (Arc::new(f), true)
            }
        };
        let mut buf = if w.end == 0 {
            header(&w.round)?
        } else {
            Vec::new()
        };
        let mut records = Vec::with_capacity(w.records.len());
        for (key, record) in w.records {
            let loc = push_frame(&mut buf, w.end, &key, &record)?;
            records.push((key, loc, record));
        }
        if w.disk_len != w.end {
            // Cut what follows the indexed frames: a failed append, or frames never committed.
            file.set_len(w.end).map_err(io(&w.path))?;
        }
        write_at(&file, &buf, w.end)
            .and_then(|()| file.sync_data())
            .map_err(io(&w.path))?;
        if created || !w.entry_synced {
            sync_dir(&self.dir)?;
        }
        Ok(Done {
            round: w.round,
            file,
            end: w.end + buf.len() as u64,
            records,
        })
    }

    /// The store saved these committed ends (returned by [`Logs::write_pending`]).
    pub fn saved(&self, ends: &[(String, u64)]) -> Result<(), AggError> {
        let mut rounds = self.write()?;
        for (round, end) in ends {
            if let Some(log) = rounds.get_mut(round) {
                if log.end == *end {
                    log.unsaved = false;
                }
            }
        }
        Ok(())
    }
}
