//! The trustee's local store: the only module that names the storage engine (sled, through
//! [`sovbench_core::kv`]). It holds the key share, so its folder is mode 0700 and its files 0600.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `b"membership"` | [`Membership`] as JSON |
//! | `meta` | `b"share"` | the key share (`ActiveParticipant`, elastic-elgamal serde) as JSON |
//! | `dkg` | ceremony id (UTF-8) | the `DkgSession` (`DkgSession::to_bytes`) |
//! | `rounds` | round id (UTF-8) | [`RoundRecord`] as JSON |
//! | `refusals` | SHA-256 of the refused announcement payload | [`Refusal`] as JSON |
//!
//! Every write is followed by [`Store::commit`] (sled flush, then `fsync` of the data file) before
//! anything that depends on it is posted.

use std::path::{Path, PathBuf};

use sovbench_core::kv::{self, get_json, put_json, Db, Tree};
use sovbench_secure::session::DkgSession;
use sovbench_secure::Trustee as KeyShare;

use crate::error::TrusteeError;
use crate::model::{Membership, Refusal, RoundRecord};

const CACHE_BYTES: u64 = 4 * 1024 * 1024;
const MEMBERSHIP: &[u8] = b"membership";
const SHARE: &[u8] = b"share";

/// Typed access to the trustee's sled database.
#[derive(Clone)]
pub struct Store {
    db: Db,
    path: PathBuf,
    meta: Tree,
    dkg: Tree,
    rounds: Tree,
    refusals: Tree,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Sets `path` to mode 0700 (folders) or 0600 (files), and everything below a folder
/// ([`sovbench_core::private::restrict`], shared with the node and the aggregator).
pub fn restrict(path: &Path) -> Result<(), TrusteeError> {
    sovbench_core::private::restrict(path).map_err(|e| TrusteeError::io(path, e))
}

impl Store {
    /// Opens (or creates) the store in `path` (mode 0700, files 0600). Fails with
    /// [`kv::KvError::Locked`] while another process holds it.
    pub fn open(path: &Path) -> Result<Store, TrusteeError> {
        Store::open_waiting(path, std::time::Duration::from_secs(2))
    }

    /// [`Store::open`], waiting at most `wait` for another process's lock (`status` beside
    /// `serve`: a short wait, then serve's status file instead).
    pub fn open_waiting(path: &Path, wait: std::time::Duration) -> Result<Store, TrusteeError> {
        sovbench_core::private::create_dir(path).map_err(|e| TrusteeError::io(path, e))?;
        let db = kv::open_waiting(path, CACHE_BYTES, wait)?;
        let tree = |name: &str| db.open_tree(name).map_err(kv::KvError::from);
        let store = Store {
            meta: tree("meta")?,
            dkg: tree("dkg")?,
            rounds: tree("rounds")?,
            refusals: tree("refusals")?,
            path: path.to_path_buf(),
            db,
        };
        store.commit()?;
        Ok(store)
    }

    /// Makes every write so far durable, and keeps new files of the engine at mode 0600.
    pub fn commit(&self) -> Result<(), TrusteeError> {
        kv::commit(&self.db, &self.path)?;
        restrict(&self.path)
    }

    /// The committee membership, once the DKG completed.
    pub fn membership(&self) -> Result<Option<Membership>, TrusteeError> {
        Ok(get_json(&self.meta, MEMBERSHIP)?)
    }

    /// The key share, once the DKG completed.
    pub fn key_share(&self) -> Result<Option<KeyShare>, TrusteeError> {
        Ok(get_json(&self.meta, SHARE)?)
    }

    /// Stores the committee membership and the key share together, durably.
    pub fn put_committee(&self, m: &Membership, share: &KeyShare) -> Result<(), TrusteeError> {
        let mut batch = kv::Batch::default();
        batch.insert(
            MEMBERSHIP,
            serde_json::to_vec(m).map_err(kv::KvError::from)?,
        );
        batch.insert(SHARE, serde_json::to_vec(share).map_err(kv::KvError::from)?);
        self.meta.apply_batch(batch).map_err(kv::KvError::from)?;
        self.commit()
    }

    /// The stored DKG session of `ceremony`.
    pub fn dkg_session(&self, ceremony: &str) -> Result<Option<DkgSession>, TrusteeError> {
        match self
            .dkg
            .get(ceremony.as_bytes())
            .map_err(kv::KvError::from)?
        {
            Some(bytes) => Ok(Some(DkgSession::from_bytes(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Stores the DKG session of `ceremony`, durably.
    pub fn put_dkg_session(&self, ceremony: &str, s: &DkgSession) -> Result<(), TrusteeError> {
        self.dkg
            .insert(ceremony.as_bytes(), s.to_bytes()?)
            .map_err(kv::KvError::from)?;
        self.commit()
    }

    /// The record of a round.
    pub fn round(&self, round_id: &str) -> Result<Option<RoundRecord>, TrusteeError> {
        Ok(get_json(&self.rounds, round_id.as_bytes())?)
    }

    /// Every round record, by round id.
    pub fn rounds(&self) -> Result<Vec<RoundRecord>, TrusteeError> {
        Ok(kv::all_json(&self.rounds)?)
    }

    /// Stores the record of a round, durably.
    pub fn put_round(&self, r: &RoundRecord) -> Result<(), TrusteeError> {
        put_json(&self.rounds, r.round_id.as_bytes(), r)?;
        self.commit()
    }

    /// The refusal recorded for an announcement.
    pub fn refusal(&self, announcement_sha256: &[u8]) -> Result<Option<Refusal>, TrusteeError> {
        Ok(get_json(&self.refusals, announcement_sha256)?)
    }

    /// Every recorded refusal.
    pub fn refusals(&self) -> Result<Vec<Refusal>, TrusteeError> {
        Ok(kv::all_json(&self.refusals)?)
    }

    /// Records a refusal, durably.
    pub fn put_refusal(&self, announcement_sha256: &[u8], r: &Refusal) -> Result<(), TrusteeError> {
        put_json(&self.refusals, announcement_sha256, r)?;
        self.commit()
    }
}

#[cfg(test)]
mod tests;
