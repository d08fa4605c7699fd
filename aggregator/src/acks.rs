//! The acknowledgement record: `acks.log` in the data directory, an append-only text file,
//! independent of the store, that says what the aggregator has promised. The commit worker
//! appends to it and `fsync`s it after each durable commit of the store and **before** any receipt
//! of that commit goes out; closing and publishing append too. At start
//! ([`crate::Aggregator::open`]) the store is compared with it ([`verify`]): a store that holds
//! fewer acknowledged submissions than recorded, other ones (digest), a round state older than
//! recorded or another publication is refused as damaged ([`AggError::StoreDamaged`]), instead
//! of publishing a round that silently lost submissions.
//!
//! One line per event, fields separated by single spaces (round ids contain no spaces):
//!
//! | line | meaning |
//! |---|---|
//! | `ack ROUND SEQ COUNT DIGEST` | after group commit SEQ, COUNT submissions of ROUND are acknowledged; DIGEST (hex) is the sum modulo 2^256 of SHA-256(signature) of them |
//! | `closed ROUND` | the round was closed |
//! | `published ROUND SHA256` | the round was published; SHA-256 (hex) of the publication's signed payload |
//!
//! Each stored submission carries the number of its group commit (`seq`). A commit that reached
//! the store but not the record (a crash in between) was never acknowledged: submissions with a
//! higher `seq` than the round's last `ack` line are not compared. A line cut short by a crash
//! (no final newline) was never acted upon and is cut off at the next start.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use prost::Message as _;
use sovbench_core::pb;

use crate::error::AggError;
use crate::model::{RoundStatus, StoredSubmission};
use crate::store::Store;

/// File name of the acknowledgement record inside the data directory.
pub const ACKS_FILE: &str = "acks.log";

/// An order-independent digest of a set of submissions: the sum modulo 2^256 of the SHA-256 of
/// each signature, as a 32-byte big-endian number.
pub type Digest = [u8; 32];

/// Adds `x` to `d` modulo 2^256 (both big endian).
pub fn add(d: &mut Digest, x: &Digest) {
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let sum = d[i] as u16 + x[i] as u16 + carry;
        d[i] = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
}

/// SHA-256 of the signature of an encoded `SignedMessage`.
pub fn signature_hash(message: &[u8]) -> Result<Digest, AggError> {
    let m = pb::SignedMessage::decode(message)?;
    Ok(sovbench_core::sha256(&m.signature))
}

/// What the record says about one round.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// Submissions acknowledged.
    pub acknowledged: u64,
    /// Their digest.
    pub digest: Digest,
    /// The last group commit that acknowledged some of them.
    pub seq: u64,
    /// Closed.
    pub closed: bool,
    /// SHA-256 of the publication's payload, once published.
    pub published: Option<Digest>,
}

/// The open record: the file, and the running count and digest of every round.
#[derive(Debug)]
pub struct AckLog {
    path: PathBuf,
    file: File,
    running: HashMap<String, (u64, Digest)>,
    next_seq: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> AggError + '_ {
    move |source| AggError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Reads the record in `dir` (none: nothing recorded), cutting off a line a crash left short.
pub fn read(dir: &Path) -> Result<BTreeMap<String, Recorded>, AggError> {
    let path = dir.join(ACKS_FILE);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io(&path)(e)),
    };
    let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    if complete < text.len() {
        let f = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        f.set_len(complete as u64).map_err(io(&path))?;
        f.sync_all().map_err(io(&path))?;
    }
    let bad = |n: usize, line: &str| AggError::AckRecord {
        path: path.display().to_string(),
        detail: format!("line {n} unreadable: {line:?}"),
    };
    let mut rounds: BTreeMap<String, Recorded> = BTreeMap::new();
    for (i, line) in String::from_utf8_lossy(&text[..complete])
        .lines()
        .enumerate()
    {
        let f: Vec<&str> = line.split(' ').collect();
        let hex32 = |s: &str| -> Option<Digest> { hex::decode(s).ok()?.try_into().ok() };
        match f.as_slice() {
            ["ack", round, seq, count, digest] => {
                let r = rounds.entry(round.to_string()).or_default();
                r.seq = r.seq.max(seq.parse().map_err(|_| bad(i + 1, line))?);
                r.acknowledged = count.parse().map_err(|_| bad(i + 1, line))?;
                r.digest = hex32(digest).ok_or_else(|| bad(i + 1, line))?;
            }
            ["closed", round] => rounds.entry(round.to_string()).or_default().closed = true,
            ["published", round, digest] => {
                let r = rounds.entry(round.to_string()).or_default();
                r.closed = true;
                r.published = Some(hex32(digest).ok_or_else(|| bad(i + 1, line))?);
            }
            _ => return Err(bad(i + 1, line)),
        }
    }
    Ok(rounds)
}

/// Compares the store with the record; the first difference is [`AggError::StoreDamaged`].
pub fn verify(store: &Store, recorded: &BTreeMap<String, Recorded>) -> Result<(), AggError> {
    for (round, rec) in recorded {
        let damaged = |detail: String| AggError::StoreDamaged {
            round: round.clone(),
            detail,
        };
        let state = store
            .round_state(round)
            .map_err(|e| damaged(format!("its state does not read ({e})")))?
            .ok_or_else(|| damaged("the store does not hold the round".into()))?;
        let order = |s: RoundStatus| match s {
            RoundStatus::Open => 0,
            RoundStatus::Closed => 1,
            RoundStatus::Published | RoundStatus::Abandoned => 2,
        };
        let want = if rec.published.is_some() {
            RoundStatus::Published
        } else if rec.closed {
            RoundStatus::Closed
        } else {
            RoundStatus::Open
        };
        if order(state.status) < order(want) {
            return Err(damaged(
                format!(
                    "the store says {:?}, the round was {:?}",
                    state.status, want
                )
                .to_lowercase(),
            ));
        }
        if let Some(want) = rec.published {
            let p = store
                .publication(round)
                .map_err(|e| damaged(format!("its publication does not read ({e})")))?
                .ok_or_else(|| damaged("the store lost the round's publication".into()))?;
            if sovbench_core::sha256(&p.payload) != want {
                return Err(damaged(
                    "the stored publication differs from the one published".into(),
                ));
            }
        }
        let subs = store
            .submissions(round)
            .map_err(|e| damaged(format!("its submissions do not read ({e})")))?;
        let (count, digest) = tally(subs.iter().filter(|s| s.seq <= rec.seq))?;
        if count < rec.acknowledged {
            return Err(damaged(format!(
                "the store holds {count} submissions, {} were acknowledged",
                rec.acknowledged
            )));
        }
        if count != rec.acknowledged || digest != rec.digest {
            return Err(damaged(format!(
                "the store's {count} acknowledged submissions differ from the {} recorded \
                 (digest {} instead of {})",
                rec.acknowledged,
                hex::encode(&digest[..8]),
                hex::encode(&rec.digest[..8])
            )));
        }
    }
    Ok(())
}

/// Count and digest of some submissions.
pub fn tally<'a>(
    subs: impl Iterator<Item = &'a StoredSubmission>,
) -> Result<(u64, Digest), AggError> {
    let mut count = 0;
    let mut digest = [0u8; 32];
    for s in subs {
        count += 1;
        add(&mut digest, &signature_hash(&s.message)?);
    }
    Ok((count, digest))
}

impl AckLog {
    /// Opens the record in `dir` for appending after [`verify`] passed; the running counts start
    /// from what the store holds.
    pub fn open(
        dir: &Path,
        store: &Store,
        recorded: &BTreeMap<String, Recorded>,
    ) -> Result<AckLog, AggError> {
        let path = dir.join(ACKS_FILE);
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, sovbench_core::private::FILE_MODE);
        let file = opts.open(&path).map_err(io(&path))?;
        let mut log = AckLog {
            path,
            file,
            running: HashMap::new(),
            next_seq: recorded.values().map(|r| r.seq).max().unwrap_or(0) + 1,
        };
        for (round, _) in store.round_states()? {
            let subs = store.submissions(&round)?;
            if let Some(max) = subs.iter().map(|s| s.seq).max() {
                log.next_seq = log.next_seq.max(max + 1);
            }
            log.running.insert(round, tally(subs.iter())?);
        }
        Ok(log)
    }

    /// Number of the next group commit.
    pub fn take_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// Counts a submission of `round` (its signature hash); returns the round's new count and
    /// digest.
    pub fn count(&mut self, round: &str, signature_hash: &Digest) -> (u64, Digest) {
        let r = self.running.entry(round.to_string()).or_default();
        r.0 += 1;
        add(&mut r.1, signature_hash);
        *r
    }

    /// Sets a round's running count and digest again from the store (after a failed commit).
    pub fn recount(&mut self, store: &Store, round: &str) -> Result<(), AggError> {
        let subs = store.submissions(round)?;
        self.running.insert(round.to_string(), tally(subs.iter())?);
        Ok(())
    }

    /// Records that group commit `seq` acknowledges the running counts of `rounds`; durable
    /// when it returns.
    pub fn acknowledge<'a>(
        &mut self,
        seq: u64,
        rounds: impl Iterator<Item = &'a String>,
    ) -> Result<(), AggError> {
        let mut text = String::new();
        for round in rounds {
            let (count, digest) = self.running.get(round).copied().unwrap_or_default();
            text.push_str(&format!(
                "ack {round} {seq} {count} {}\n",
                hex::encode(digest)
            ));
        }
        self.append(&text)
    }

    /// Records that a round was closed.
    pub fn closed(&mut self, round: &str) -> Result<(), AggError> {
        self.append(&format!("closed {round}\n"))
    }

    /// Records that a round was published: SHA-256 of the publication's payload.
    pub fn published(&mut self, round: &str, payload_sha256: &Digest) -> Result<(), AggError> {
        self.append(&format!(
            "published {round} {}\n",
            hex::encode(payload_sha256)
        ))
    }

    fn append(&mut self, text: &str) -> Result<(), AggError> {
        if text.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(io(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_a_sum_modulo_2_256() {
        let mut d = [0xff; 32];
        let mut one = [0; 32];
        one[31] = 1;
        add(&mut d, &one);
        assert_eq!(d, [0; 32]);
        let mut a = [0; 32];
        a[31] = 0xff;
        add(&mut a, &one);
        assert_eq!((a[30], a[31]), (1, 0));
    }

    #[test]
    fn a_line_cut_short_is_dropped_and_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = hex::encode([7u8; 32]);
        std::fs::write(
            dir.path().join(ACKS_FILE),
            format!("ack r 3 2 {d}\nclosed r\nack s 4 1 {d}\nack s 5 2"),
        )
        .unwrap();
        let rec = read(dir.path()).unwrap();
        assert_eq!(rec["r"].acknowledged, 2);
        assert!(rec["r"].closed);
        assert_eq!((rec["s"].acknowledged, rec["s"].seq), (1, 4));
        let text = std::fs::read_to_string(dir.path().join(ACKS_FILE)).unwrap();
        assert!(text.ends_with(&format!("ack s 4 1 {d}\n")), "{text}");
        std::fs::write(dir.path().join(ACKS_FILE), "ack r x 2 00\n").unwrap();
        assert!(matches!(read(dir.path()), Err(AggError::AckRecord { .. })));
    }
}
