//! `status`: what the trustee knows about itself (key, aggregator, committee, the rounds handled
//! and the announcements refused) and, when `serve` runs or ran, how its polling goes.
//!
//! `serve` holds the store for as long as it runs, so `status` cannot open it then. Instead
//! `serve` writes its status to `serve-status.json` in the data directory ([`STATUS_FILE`],
//! atomically, mode 0600) when it starts, after every pass and when it stops. [`read`] opens the
//! store if it can (waiting only briefly) and shows it, with the last state of `serve` from the
//! file; while `serve` holds the store it shows the file. Whether `serve` runs is told by the
//! store's lock, not by the file, so a `serve` that was killed is shown as not running.
//!
//! The JSON of `status --json` is [`TrusteeStatus`]; its fields are documented in
//! docs/OPERATIONS.md ("Trustee status") and are only ever added to, never renamed or removed.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sovbench_core::envelope;
use sovbench_core::kv::KvError;

use crate::error::TrusteeError;
use crate::model::{Phase, Refusal};
use crate::trustee::Trustee;
use crate::work::Work;

/// File name of `serve`'s status in the data directory.
pub const STATUS_FILE: &str = "serve-status.json";

/// How long `status` waits for the store before it reads [`STATUS_FILE`] instead.
const STORE_WAIT: Duration = Duration::from_millis(300);

/// What the trustee knows about itself, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrusteeStatus {
    /// Its raw Ed25519 public key, base64 (what the operator enters in the committee).
    pub public_key: String,
    /// Fingerprint of that key.
    pub key_fingerprint: String,
    /// The aggregator's address.
    pub aggregator_url: String,
    /// Fingerprint of the pinned aggregator key.
    pub aggregator_key_fingerprint: String,
    /// The committee, once the DKG is complete.
    pub committee: Option<CommitteeStatus>,
    /// Rounds handled, with their phase.
    pub rounds: Vec<RoundStatus>,
    /// Announcements refused.
    pub refusals: Vec<Refusal>,
    /// Where this status was read: the store, or `serve`'s status file while `serve` holds the
    /// store.
    #[serde(default)]
    pub read_from: ReadFrom,
    /// The last state of `serve`, if it ever ran in this data directory.
    #[serde(default)]
    pub serve: Option<ServeState>,
}

/// The committee the trustee belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeStatus {
    /// SHA-256 of the committee document, hex.
    pub fingerprint: String,
    /// The DKG ceremony.
    pub ceremony: String,
    /// This trustee's index (0-based).
    pub index: u32,
    /// Threshold t.
    pub threshold: u32,
    /// Trustees m.
    pub size: u32,
}

/// One round the trustee worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundStatus {
    /// Round id.
    pub round_id: String,
    /// How far it got.
    pub phase: Phase,
    /// Bulletin entries it checked (and tallied) in the NOISE phase.
    pub entries: usize,
}

/// Where a status was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFrom {
    /// The store (no `serve` holds it).
    #[default]
    Store,
    /// `serve`'s status file, written after its last pass (`serve` holds the store).
    ServeStatusFile,
}

/// What one pass of `serve` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing to do: no round waits for the trustees (the aggregator's NOT_FOUND), or this
    /// trustee has done its part and waits for the others. Not an error.
    Idle,
    /// Checked a bulletin and posted noise shares.
    Noise,
    /// Posted decryption shares.
    Decrypted,
    /// Refused the oldest pending announcement; nothing posted.
    Refused,
    /// The pass failed (aggregator unreachable, a bad answer, the store): retried after the poll
    /// interval.
    Error,
}

/// The state of `serve`: since when it runs, and what its passes came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServeState {
    /// Whether `serve` runs now (it holds the store).
    pub running: bool,
    /// Its process id.
    pub pid: u32,
    /// When it started (Unix seconds).
    pub started_at: i64,
    /// When it last wrote its status (Unix seconds).
    pub updated_at: i64,
    /// When it stopped cleanly (None: running, or ended without a clean stop).
    pub stopped_at: Option<i64>,
    /// Seconds between polls.
    pub poll_secs: u64,
    /// Passes (polls) since it started.
    pub passes: u64,
    /// Passes with nothing to do.
    pub idle: u64,
    /// Passes that posted noise or decryption shares.
    pub worked: u64,
    /// Passes that found the oldest pending announcement refused.
    pub refused: u64,
    /// Passes that failed.
    pub errors: u64,
    /// Failed passes in a row up to now (0 after any pass that did not fail).
    pub errors_in_a_row: u64,
    /// What the last pass came to.
    pub last_outcome: Option<Outcome>,
    /// When a pass last posted shares (Unix seconds).
    pub last_work_at: Option<i64>,
    /// The error of the last failed pass.
    pub last_error: Option<String>,
}

impl ServeState {
    /// A `serve` of this process starting at `now`, polling every `poll`.
    pub fn started(poll: Duration, now: i64) -> ServeState {
        ServeState {
            running: true,
            pid: std::process::id(),
            started_at: now,
            updated_at: now,
            stopped_at: None,
            poll_secs: poll.as_secs(),
            passes: 0,
            idle: 0,
            worked: 0,
            refused: 0,
            errors: 0,
            errors_in_a_row: 0,
            last_outcome: None,
            last_work_at: None,
            last_error: None,
        }
    }

    /// Counts a pass at `now`.
    pub fn count(&mut self, pass: &Result<Work, TrusteeError>, now: i64) {
        self.passes += 1;
        self.updated_at = now;
        let outcome = match pass {
            Ok(Work::Idle) => Outcome::Idle,
            Ok(Work::Noise { .. }) => Outcome::Noise,
            Ok(Work::Decrypted { .. }) => Outcome::Decrypted,
            Ok(Work::Refused { .. }) => Outcome::Refused,
            Err(_) => Outcome::Error,
        };
        match outcome {
            Outcome::Idle => self.idle += 1,
            Outcome::Noise | Outcome::Decrypted => {
                self.worked += 1;
                self.last_work_at = Some(now);
            }
            Outcome::Refused => self.refused += 1,
            Outcome::Error => self.errors += 1,
        }
        if let Err(e) = pass {
            self.errors_in_a_row += 1;
            self.last_error = Some(sovbench_core::display::error_chain(e));
        } else {
            self.errors_in_a_row = 0;
        }
        self.last_outcome = Some(outcome);
    }

    /// `serve` stops cleanly at `now`.
    pub fn stopped(&mut self, now: i64) {
        self.running = false;
        self.updated_at = now;
        self.stopped_at = Some(now);
    }
}

impl Trustee {
    /// Key, aggregator, committee and the rounds handled with their phase, from the store.
    pub fn status(&self) -> Result<TrusteeStatus, TrusteeError> {
        let config = self.config();
        let aggregator_key = config.check()?;
        let committee = self.store.membership()?.map(|m| CommitteeStatus {
            fingerprint: hex::encode(m.fingerprint),
            ceremony: m.ceremony,
            index: m.index,
            threshold: m.threshold,
            size: m.size,
        });
        let rounds = self
            .store
            .rounds()?
            .into_iter()
            .map(|r| RoundStatus {
                phase: r.phase(),
                entries: r.cells.values().map(|c| c.n as usize).sum(),
                round_id: r.round_id,
            })
            .collect();
        Ok(TrusteeStatus {
            public_key: envelope::b64(self.public_key()),
            key_fingerprint: envelope::fingerprint(self.public_key()),
            aggregator_url: config.aggregator_url,
            aggregator_key_fingerprint: envelope::fingerprint(&aggregator_key),
            committee,
            rounds,
            refusals: self.store.refusals()?,
            read_from: ReadFrom::Store,
            serve: None,
        })
    }

    /// Writes the status with `serve`'s `state` to [`STATUS_FILE`] (atomically, mode 0600).
    pub fn write_serve_status(&self, state: &ServeState) -> Result<(), TrusteeError> {
        let mut status = self.status()?;
        status.serve = Some(state.clone());
        let path = self.dir.join(STATUS_FILE);
        let text = serde_json::to_vec_pretty(&status)
            .map_err(|e| TrusteeError::Config(format!("cannot encode {STATUS_FILE}: {e}")))?;
        sovbench_core::files::write_atomically(&path, &text)
            .map_err(|e| TrusteeError::io(&path, e))?;
        crate::store::restrict(&path)
    }
}

/// `serve`'s last status file in `dir` (None: `serve` never ran there).
pub fn read_serve_status(dir: &Path) -> Result<Option<TrusteeStatus>, TrusteeError> {
    let path = dir.join(STATUS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(TrusteeError::io(&path, e)),
    };
    let status: TrusteeStatus = serde_json::from_slice(&bytes)
        .map_err(|e| TrusteeError::Config(format!("{}: {e}", path.display())))?;
    Ok(Some(status))
}

/// The status `sovbench-trustee status` shows for the trustee in `dir`: from the store when no
/// other process holds it (with `serve`'s last state, marked as not running), else from
/// `serve`'s status file if `serve` holds the store. Another holder (`dkg`) is
/// [`KvError::Locked`].
pub fn read(dir: &Path) -> Result<TrusteeStatus, TrusteeError> {
    read_waiting(dir, STORE_WAIT)
}

/// [`read`], waiting at most `wait` for the store.
fn read_waiting(dir: &Path, wait: Duration) -> Result<TrusteeStatus, TrusteeError> {
    match Trustee::open_waiting(dir, wait) {
        Ok(t) => {
            let mut status = t.status()?;
            status.serve = read_serve_status(dir)?.and_then(|s| s.serve).map(|mut s| {
                // The store was free, so no serve holds it: a file that still says running
                // is from a serve that ended without a clean stop.
                s.running = false;
                s
            });
            Ok(status)
        }
        Err(TrusteeError::Store(KvError::Locked(path))) => match read_serve_status(dir)? {
            Some(mut s) if s.serve.as_ref().is_some_and(|st| st.running) => {
                s.read_from = ReadFrom::ServeStatusFile;
                Ok(s)
            }
            _ => Err(TrusteeError::Store(KvError::Locked(path))),
        },
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests;
